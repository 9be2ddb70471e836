//! Who works on a cross-process job, and how each participant works: joining a participant slot,
//! the claiming phase and the helping loop of `Job::work`. The same code runs in `Job` (slots in
//! the job's shared mapping, liveness from `/proc`) and in the loom models of
//! `loom-tests/tests/job_crash.rs` (slots in an allocation, liveness a flag per model process), so
//! the models check this code, not a copy of it.
//!
//! # Participant slots
//!
//! Each slot is one `AtomicU64`: 0 when free, otherwise the identity of the process in it (a
//! non-zero word the [`Members::alive`] verdict understands; `Job` packs `pid | start time << 32`).
//! A chunk claim names its owner by slot index, so a slot may be taken over only after the dead
//! process's chunks were given back ([`Members::join`]); the chunk table's generation bump makes a
//! stale claim of the old process fail even if that verdict was wrong (`table.rs`).
//!
//! Orderings: a joiner takes a slot with an `AcqRel` CAS (one winner; its later claims are ordered
//! after the win). [`Members::owner_dead`] and the joiner's first look read a slot with `Acquire`,
//! which pairs with that CAS and with `leave`'s, so a slot taken over is read whole.
//! [`Members::leave`] frees the slot with a `Release` CAS: the leaver's published results
//! happen-before a later joiner's reuse of the slot. A failed CAS only compares, publishes nothing
//! and is acted on by nothing (the joiner moves to the next slot, the leaver had already been
//! replaced): `Relaxed` on failure.
//!
//! Two processes may judge the same dead slot at once. Both give its chunks back; the loser's
//! give-back can run after the winner has claimed chunks under the slot's index, and takes those
//! back too. The chunk table's generation bump makes that cost a recomputation, never a wrong or
//! a twice-published result (`table.rs`).

use super::table::{ChunkTable, Claim};
use crate::sync::atomic::{AtomicU64, Ordering};
use crate::sync::{fault, futex, FaultId};
use std::time::Duration;

/// How long a participant's helping loop, or a waiter, sleeps on the done count before it looks
/// again at the participants' liveness.
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// The participant slots of a job and the liveness verdict on their words.
pub trait Members {
    /// How many participant slots there are.
    fn count(&self) -> u32;
    /// Participant slot `i`'s word (`i < count()`).
    fn slot(&self, i: u32) -> &AtomicU64;
    /// Whether the process a non-zero slot word names still exists.
    fn alive(&self, word: u64) -> bool;
    /// Whether participant `i`'s lease has expired: alive or not, it has not shown progress for
    /// longer than the lease, so its claims may be run again (the generation bump makes a late
    /// write of it fail; the result cannot change). Never, by default.
    fn expired(&self, i: u32) -> bool {
        let _ = i;
        false
    }

    /// Whether participant `owner` (an index read from shared memory) is dead: out of range
    /// (garbage: nobody can hold such a claim), free, or its process gone.
    fn owner_dead(&self, owner: u32) -> bool {
        if owner >= self.count() {
            return true;
        }
        // Acquire: pairs with the joiner's CAS, so a slot taken over is read whole.
        let word = self.slot(owner).load(Ordering::Acquire);
        let expired = self.expired(owner) && !fault(FaultId::LeaseExpiryIgnored);
        word == 0 || !self.alive(word) || expired
    }

    /// Takes the first slot that is free or whose process is gone for the process `me`, after
    /// giving back the dead process's chunks in `table`; its index, or `None` when every slot is
    /// held by a live process.
    fn join(&self, table: &ChunkTable<'_>, me: u64) -> Option<u32> {
        for i in 0..self.count() {
            let slot = self.slot(i);
            // Acquire: pairs with the CAS that put this word there (module docs).
            let word = slot.load(Ordering::Acquire);
            if word != 0 && self.alive(word) {
                continue;
            }
            if word != 0 && !fault(FaultId::JoinKeepsDeadClaims) {
                // Give back the dead owner's chunks before its index can mean a live process.
                for k in 0..table.chunks() {
                    table.reclaim(k, |o| o == i);
                }
            }
            // AcqRel: one joiner wins the slot; its later claims are ordered after the win.
            if slot
                .compare_exchange(word, me, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return Some(i);
            }
        }
        None
    }

    /// Frees slot `p` if the process `me` still holds it.
    fn leave(&self, p: u32, me: u64) {
        // Release: our published results happen-before a later joiner reuses the slot.
        let _ = self
            .slot(p)
            .compare_exchange(me, 0, Ordering::Release, Ordering::Relaxed);
    }
}

/// The claiming phase of `Job::work` for participant `p` (one call per thread working for it):
/// reserve runs of `run` chunks from the cursor, [`try_claim`](ChunkTable::try_claim) each chunk
/// of a run and `compute` the claims that succeed, until the cursor passes the end. `compute`
/// returns `false` when the participant must stop (it publishes nothing more): the loop returns.
pub fn claim_runs(
    table: &ChunkTable<'_>,
    p: u32,
    run: usize,
    mut compute: impl FnMut(Claim) -> bool,
) {
    while let Some(run) = table.reserve(run) {
        for k in run {
            if let Some(c) = table.try_claim(k, p) {
                if !compute(c) {
                    return;
                }
            }
        }
    }
}

/// The helping loop of `Job::work` for participant `p`, after [`claim_runs`]: until every chunk is
/// published, give back the chunks of dead owners and compute every unclaimed chunk; when a sweep
/// made no progress, `renew` the participant's lease and sleep on the done count (`seen`, its value
/// before the sweep) for at most [`POLL`]. A dead process announces nothing, so the sleep must end
/// by itself (the timeout) for the loop to notice a crash: the loom twin
/// `twin_job_crash_helper_without_timeout_is_rejected` (the fault `HelperWaitsUntimed`, a sleep
/// with no timeout) shows the deadlock otherwise. As in [`claim_runs`], `compute` returning `false`
/// ends the loop: the participant stops, and its unpublished claims are given back once it has
/// left its slot.
pub fn help(
    table: &ChunkTable<'_>,
    p: u32,
    owner_dead: impl Fn(u32) -> bool,
    mut compute: impl FnMut(Claim) -> bool,
    mut renew: impl FnMut(),
) {
    loop {
        let seen = table.done_count();
        if seen as usize >= table.chunks() {
            return;
        }
        let mut progressed = false;
        for k in 0..table.chunks() {
            table.reclaim(k, &owner_dead);
            if let Some(c) = table.try_claim(k, p) {
                if !compute(c) {
                    return;
                }
                progressed = true;
            }
        }
        if !progressed {
            // Every chunk is done but the count is short: the count was not written by
            // participants (a forged table). Nothing more can happen; the caller reports it.
            if (0..table.chunks()).all(|k| table.is_done(k)) {
                return;
            }
            renew();
            let timeout = if fault(FaultId::HelperWaitsUntimed) {
                None
            } else {
                Some(POLL)
            };
            // Woken, timed out or interrupted: the loop looks at everything again either way.
            futex::wait(table.done, seen, timeout);
        }
    }
}
