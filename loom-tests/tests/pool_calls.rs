//! Models of data-parallel calls beyond `pool.rs`'s, on the real `Pool` with 2 participants (the
//! caller and one worker), no spinning:
//!
//! - `pool_two_callers_two_slots`: two threads outside the pool each run a `reduce` at once on a
//!   pool with two call slots (`Builder::call_slots`, loom builds only): each takes its own slot
//!   (`CallSlot::try_acquire`, a CAS on the slot's `busy` word), the worker helps with either or
//!   both, and each caller gets its own sum.
//! - `pool_two_callers_one_slot_inline_fallback`: the same with one slot: whichever caller finds it
//!   taken runs its call inline (`Pool::run_chunks`), and both sums are right.
//!
//!   Twin of both: `Fault::SlotTakenWithoutCas` (`try_acquire` checks, then stores): both callers
//!   take one slot and overwrite each other's call — a race on the slot or a wrong sum.
//! - `pool_for_each_chunk_mut_hands_each_chunk_once`: `for_each_chunk_mut` over three loom cells,
//!   one chunk each: every cell is written by exactly one participant, and the caller reads them
//!   all after the call (loom checks that each write happens-before that read). Twin:
//!   `Fault::CloseSkipsWait` (`WorkRanges::close` returns without waiting for the worker to leave:
//!   the caller's reads race with the worker's writes).
//!
//! Run under the pool step's preemption bound (`.ci/test`).
#![cfg(shmkern_loom)]

use loom::cell::UnsafeCell;
use loom_tests::{expect_rejected, RACE};
use shmkern::sync::faults::{inject, Fault};
use shmkern::{ParOptions, Pool};
use std::sync::Arc;
use std::time::Duration;

fn pool(slots: usize) -> Pool {
    Pool::builder()
        .threads(2)
        .spin(Duration::ZERO)
        .inline_below(0)
        .call_slots(slots)
        .build()
        .unwrap()
}

fn one_per_chunk() -> ParOptions<'static> {
    ParOptions {
        chunk_len: Some(1),
        ..ParOptions::default()
    }
}

/// A `reduce` over two one-element chunks of `data`.
fn sum(pool: &Pool, data: &[u32]) -> u32 {
    pool.reduce_with(data, one_per_chunk(), |c| c[0], |a, b| a + b)
        .unwrap()
}

/// Two callers at once, on a pool with `slots` call slots.
fn two_callers(slots: usize) {
    let pool = Arc::new(pool(slots));
    let other = {
        let pool = pool.clone();
        loom::thread::spawn(move || sum(&pool, &[10, 20]))
    };
    assert_eq!(sum(&pool, &[1, 2]), 3, "the caller's sum");
    assert_eq!(other.join().unwrap(), 30, "the other caller's sum");
}

#[test]
fn pool_two_callers_two_slots() {
    loom::model(|| two_callers(2));
}

#[test]
fn pool_two_callers_one_slot_inline_fallback() {
    loom::model(|| two_callers(1));
}

#[test]
fn twin_slot_taken_without_cas_is_rejected() {
    expect_rejected(
        "twin_slot_taken_without_cas_is_rejected",
        &[RACE, "caller's sum", "slot 0 is free"],
        || {
            let _bug = inject(Fault::SlotTakenWithoutCas);
            loom::model(|| two_callers(1));
        },
    );
}

/// Each of three cells gets 1 added by the participant that runs its chunk; the caller reads all
/// three after the call.
fn for_each_chunk_mut_once() {
    let pool = pool(1);
    let mut cells: Vec<UnsafeCell<u32>> = (0..3).map(|_| UnsafeCell::new(0)).collect();
    pool.for_each_chunk_mut(&mut cells, 1, |_, chunk| {
        for c in chunk {
            // SAFETY: the call hands this chunk to one participant only; loom reports overlap.
            c.with_mut(|p| unsafe { *p += 1 });
        }
    })
    .unwrap();
    for (k, c) in cells.iter().enumerate() {
        // SAFETY: the call has returned, so every participant is done with the cells; loom checks
        // that their writes happen-before these reads.
        let v = c.with(|p| unsafe { *p });
        assert_eq!(v, 1, "chunk {k} was run {v} times");
    }
}

#[test]
fn pool_for_each_chunk_mut_hands_each_chunk_once() {
    loom::model(for_each_chunk_mut_once);
}

#[test]
fn twin_for_each_chunk_mut_close_without_waiting_is_rejected() {
    expect_rejected(
        "twin_for_each_chunk_mut_close_without_waiting_is_rejected",
        &[RACE, "was run"],
        || {
            let _bug = inject(Fault::CloseSkipsWait);
            loom::model(for_each_chunk_mut_once);
        },
    );
}
