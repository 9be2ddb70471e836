//! Work-stealing chunk ranges: each participant owns a `[start, end)` range of chunk indices packed
//! into one cache-padded `AtomicU64`, claims from its front with one CAS per chunk, and when empty
//! steals the back half of the largest other range with one CAS. Rounds make the same counters
//! reusable. Protocol, states and orderings: `README.md` beside this file.

use crate::error::{Error, ErrorKind};
use crate::sync::atomic::{
    fence, AtomicU32, AtomicU64,
    Ordering::{Acquire, Relaxed, Release, SeqCst},
};
use crate::sync::futex;
use crate::sync::{fault, FaultId};
use crossbeam_utils::CachePadded;
use std::fmt;

/// One participant's slot: its range and whether a participant holds it.
#[repr(C)]
struct Slot {
    /// `start << 32 | end`: the chunk indices `[start, end)` not yet claimed from this slot.
    range: AtomicU64,
    /// `1` while a [`Claimer`] holds the slot, else `0`.
    occupied: AtomicU32,
}

/// The round words: which round is open, and who is inside it.
#[repr(C)]
struct RoundWords {
    /// Even: no round open (`0` at creation). Odd: round `generation` is open.
    generation: CachePadded<AtomicU32>,
    /// Participants that joined the current round and have not left, plus [`CLOSER_ASLEEP`]; the
    /// futex word `close` sleeps on.
    active: CachePadded<AtomicU32>,
}

/// The flag in `active` (above any participant count) that the owner sets before it sleeps in
/// `close`, so that the last leaver wakes it — and only then makes the syscall.
const CLOSER_ASLEEP: u32 = 1 << 31;

fn pack(start: u32, end: u32) -> u64 {
    (u64::from(start) << 32) | u64::from(end)
}

fn unpack(v: u64) -> (u32, u32) {
    ((v >> 32) as u32, v as u32)
}

/// A round of work: the ticket a participant needs to [`join`](WorkRanges::join). Returned by
/// [`WorkRanges::open`]; copy it to the participants.
///
/// # Examples
///
/// ```
/// use shmkern::sched::WorkRanges;
///
/// let ranges = WorkRanges::new(1).unwrap();
/// let first = ranges.open(4).unwrap();
/// ranges.close(first).unwrap();
/// let second = ranges.open(4).unwrap();
/// // A stale ticket is refused; the current one is accepted.
/// assert!(ranges.join(first, 0).is_none());
/// assert!(ranges.join(second, 0).is_some());
/// # ranges.close(second).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Round {
    generation: u32,
    chunks: u32,
}

impl Round {
    /// The round's generation number (odd; unique until the `u32` wraps after 2^31 rounds).
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(1).unwrap();
    /// let a = ranges.open(1).unwrap();
    /// ranges.close(a).unwrap();
    /// let b = ranges.open(1).unwrap();
    /// assert_eq!((a.generation() % 2, b.generation() % 2), (1, 1)); // odd: open
    /// assert_ne!(a.generation(), b.generation());
    /// ```
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Chunks handed out in this round: indices `0..chunks`.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(2).unwrap();
    /// let round = ranges.open(10).unwrap();
    /// assert_eq!(round.chunks(), 10);
    /// assert_eq!(ranges.remaining(), 10);
    /// ```
    pub fn chunks(&self) -> u32 {
        self.chunks
    }

    /// The round as one non-zero `u64` (generation, chunks), so it can be published in one atomic.
    pub(crate) fn to_ticket(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.chunks)
    }

    /// The inverse of [`to_ticket`](Round::to_ticket); `None` for `0` (no round). A ticket whose
    /// generation is stale is harmless: `join` refuses it.
    pub(crate) fn from_ticket(ticket: u64) -> Option<Round> {
        (ticket != 0).then_some(Round {
            generation: (ticket >> 32) as u32,
            chunks: ticket as u32,
        })
    }
}

/// Work-stealing ranges of chunk indices for up to `participants` threads, reusable round after
/// round.
///
/// A round hands out every index in `0..chunks` **exactly once**, under any interleaving:
/// 1. the owner [`open`](WorkRanges::open)s a round, which splits `0..chunks` evenly over the slots;
/// 2. participants [`join`](WorkRanges::join) it (each gets a free slot, preferring its own index),
///    and iterate their [`Claimer`] until it returns `None`: first the front of their own range (one
///    CAS per chunk), then the back half of the largest other range (one CAS per steal);
/// 3. the owner [`close`](WorkRanges::close)s it, which waits until every participant has left, so no
///    participant of round *k* can still be claiming when round *k+1* rewrites the ranges; a
///    participant that arrives late with round *k*'s ticket is refused by the generation check.
///
/// `open` and `close` are the owner's: one thread at a time calls them. Everything else may run on
/// any number of threads at once.
///
/// # Memory ordering
///
/// - Claims and steals are `Relaxed` CASes: exclusivity comes from the CAS itself (one modification
///   order per word), and no data travels through the ranges. Within a round a word never returns to
///   an earlier value (starts only grow while a slot is non-empty, and only the slot's holder refills
///   an empty slot), so a CAS cannot succeed on a stale value (no ABA).
/// - `open` writes the ranges, then `Release`-stores the odd generation; `join` `Acquire`-loads it, so
///   a participant sees this round's ranges.
/// - Leaving is a `Release` decrement of `active`; `close`'s `Acquire` load that reads `0` (through the
///   release sequence of all the decrements) makes everything the participants did happen before
///   `close` returns, and so before the next `open`.
/// - Join vs. close is a Dekker pair with `fence(SeqCst)`: a joiner increments `active` then checks
///   the generation; `close` stores the even generation then reads `active`. One of them sees the
///   other.
/// - The last leave vs. a sleeping close needs no fence: `close` sets a flag in `active` with an
///   RMW before it sleeps, and the leaver's decrement is an RMW of the same word, so one of the two
///   sees the other's write (the leaver wakes the owner, or the owner sees the count reach 0).
///
/// # Examples
///
/// ```
/// use shmkern::sched::WorkRanges;
/// use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
///
/// let ranges = WorkRanges::new(2).unwrap();
/// let hits: Vec<AtomicU32> = (0..100).map(|_| AtomicU32::new(0)).collect();
/// let round = ranges.open(100).unwrap();
/// std::thread::scope(|s| {
///     for me in 0..2 {
///         let (ranges, hits) = (&ranges, &hits);
///         s.spawn(move || {
///             if let Some(claimer) = ranges.join(round, me) {
///                 for k in claimer {
///                     hits[k as usize].fetch_add(1, Relaxed);
///                 }
///             }
///         });
///     }
/// });
/// ranges.close(round).unwrap();
/// assert!(hits.iter().all(|h| h.load(Relaxed) == 1));
/// ```
pub struct WorkRanges {
    round: RoundWords,
    slots: Box<[CachePadded<Slot>]>,
}

impl WorkRanges {
    /// The most participants (range slots) one `WorkRanges` supports. Stealing scans every slot,
    /// so the limit keeps a scan within a few cache misses per slot; 1024 is far above any core
    /// count the pool sizes itself to.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::WorkRanges;
    ///
    /// assert!(WorkRanges::new(WorkRanges::MAX_PARTICIPANTS).is_ok());
    /// assert!(WorkRanges::new(WorkRanges::MAX_PARTICIPANTS + 1).is_err());
    /// ```
    pub const MAX_PARTICIPANTS: usize = 1024;

    /// Ranges for `participants` slots (1 to [`MAX_PARTICIPANTS`](Self::MAX_PARTICIPANTS)); no round is open.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::WorkRanges;
    ///
    /// assert_eq!(WorkRanges::new(4).unwrap().participants(), 4);
    /// let err = WorkRanges::new(0).unwrap_err();
    /// assert!(err.to_string().contains("between 1 and 1024"), "{err}");
    /// ```
    pub fn new(participants: usize) -> Result<Self, Error> {
        if !(1..=Self::MAX_PARTICIPANTS).contains(&participants) {
            return Err(Error::new(ErrorKind::Participants {
                requested: participants,
                max: Self::MAX_PARTICIPANTS,
            }));
        }
        let slots = (0..participants)
            .map(|_| {
                CachePadded::new(Slot {
                    range: AtomicU64::new(0),
                    occupied: AtomicU32::new(0),
                })
            })
            .collect();
        Ok(Self {
            round: RoundWords {
                generation: CachePadded::new(AtomicU32::new(0)),
                active: CachePadded::new(AtomicU32::new(0)),
            },
            slots,
        })
    }

    /// Number of slots: at most this many participants can be joined at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(2).unwrap();
    /// assert_eq!(ranges.participants(), 2);
    /// let round = ranges.open(8).unwrap();
    /// let (_a, _b) = (ranges.join(round, 0), ranges.join(round, 1));
    /// assert!(ranges.join(round, 0).is_none()); // every slot is taken
    /// ```
    pub fn participants(&self) -> usize {
        self.slots.len()
    }

    /// Opens a round handing out chunk indices `0..chunks`, split evenly over the slots (a slot
    /// nobody joins is stolen from). Fails if a round is still open.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(3).unwrap();
    /// let round = ranges.open(9).unwrap();
    /// assert_eq!(ranges.remaining(), 9); // 3 + 3 + 3
    /// assert!(ranges.open(1).is_err()); // one round at a time
    /// ranges.close(round).unwrap();
    /// assert!(ranges.open(1).is_ok());
    /// ```
    pub fn open(&self, chunks: u32) -> Result<Round, Error> {
        // Only the owner writes `generation`, so a Relaxed read of our own last store suffices.
        let g = self.round.generation.load(Relaxed);
        if g % 2 == 1 {
            return Err(Error::new(ErrorKind::RoundAlreadyOpen { generation: g }));
        }
        let p = self.slots.len() as u64;
        for (i, slot) in self.slots.iter().enumerate() {
            let i = i as u64;
            let lo = (u64::from(chunks) * i / p) as u32;
            let hi = (u64::from(chunks) * (i + 1) / p) as u32;
            // Relaxed: published by the Release store of the generation below.
            slot.range.store(pack(lo, hi), Relaxed);
        }
        let generation = g.wrapping_add(1);
        self.round.generation.store(generation, Release);
        Ok(Round { generation, chunks })
    }

    /// Joins `round`, taking a free slot — `preferred` if it is free, else the next free one.
    ///
    /// Returns `None` if the round is no longer open (closed, or a later round is open) or every
    /// slot is taken. The [`Claimer`] leaves the round when dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(2).unwrap();
    /// let round = ranges.open(4).unwrap();
    /// let a = ranges.join(round, 1).unwrap();
    /// let b = ranges.join(round, 1).unwrap(); // slot 1 is taken: the next free one
    /// assert_eq!((a.slot(), b.slot()), (1, 0));
    /// drop((a, b));
    /// ranges.close(round).unwrap();
    /// assert!(ranges.join(round, 0).is_none()); // closed
    /// ```
    pub fn join(&self, round: Round, preferred: usize) -> Option<Claimer<'_>> {
        // Dekker with `close`: announce ourselves, fence, then check the round is still open.
        self.round.active.fetch_add(1, Relaxed);
        fence(SeqCst);
        // Acquire: pairs with `open`'s Release store, so we see this round's ranges.
        if !fault(FaultId::JoinSkipsGeneration)
            && self.round.generation.load(Acquire) != round.generation
        {
            self.leave_round();
            return None;
        }
        let n = self.slots.len();
        let start = preferred % n;
        for i in (start..n).chain(0..start) {
            // Acquire: pairs with the previous holder's Release in `Claimer::drop`.
            if self.slots[i]
                .occupied
                .compare_exchange(0, 1, Acquire, Relaxed)
                .is_ok()
            {
                return Some(Claimer {
                    ranges: self,
                    slot: i,
                    stolen: 0,
                });
            }
        }
        self.leave_round();
        None
    }

    /// Closes `round` and waits until every participant that joined it has left. Afterwards the
    /// ranges may be re-[`open`](WorkRanges::open)ed.
    ///
    /// Chunks nobody claimed stay unclaimed: close after the work is complete (the pool waits on a
    /// completion [`Latch`](crate::sync::Latch) first). Fails if `round` is not the open round.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(2).unwrap();
    /// let round = ranges.open(100).unwrap();
    /// let total = std::thread::scope(|s| {
    ///     let other = s.spawn(|| ranges.join(round, 1).map_or(0, |c| c.count()));
    ///     let mine = ranges.join(round, 0).map_or(0, |c| c.count());
    ///     // Every chunk is claimed; `close` returns once the other participant has left.
    ///     ranges.close(round).unwrap();
    ///     mine + other.join().unwrap()
    /// });
    /// assert_eq!(total, 100);
    /// assert!(ranges.close(round).is_err()); // no longer the open round
    /// ```
    pub fn close(&self, round: Round) -> Result<(), Error> {
        let g = self.round.generation.load(Relaxed);
        if g != round.generation || g.is_multiple_of(2) {
            return Err(Error::new(ErrorKind::NotTheOpenRound {
                expected: round.generation,
                found: g,
            }));
        }
        self.round.generation.store(g.wrapping_add(1), Relaxed);
        // Dekker with `join`: store the even generation, fence, read `active`.
        fence(SeqCst);
        if fault(FaultId::CloseSkipsWait) {
            return Ok(()); // broken twin: participants may still be working
        }
        let active = &self.round.active;
        loop {
            // Acquire: reading 0 synchronizes with every leaver's Release decrement.
            let a = active.load(Acquire);
            if a == 0 {
                return Ok(());
            }
            // Participants usually leave within a microsecond of the owner's last claim: spin
            // briefly before paying a futex sleep and wake (tens of microseconds: docs/performance.md,
            // "Futex").
            if futex::spin_while(active, a) {
                continue;
            }
            // Going to sleep: say so in `active` itself, so the last leaver's decrement (an RMW
            // on the same word, after ours or before it) either sees the flag and wakes us, or
            // has already happened and our RMW sees its count. Acquire: as the load above.
            let prev = active.fetch_or(CLOSER_ASLEEP, Acquire);
            if prev & !CLOSER_ASLEEP != 0 {
                futex::wait(active, prev | CLOSER_ASLEEP, None);
            }
            // Relaxed: the flag carries no data; returning needs the Acquire load of 0 above.
            active.fetch_and(!CLOSER_ASLEEP, Relaxed);
        }
    }

    fn leave_round(&self) {
        // Release: our work happens before the owner's Acquire read of the count we leave. Only
        // the owner sleeps on `active`, and it sets `CLOSER_ASLEEP` first (see `close`), so the
        // last leaver pays a syscall only when the owner is actually asleep.
        let prev = self.round.active.fetch_sub(1, Release);
        if prev == CLOSER_ASLEEP | 1 && !fault(FaultId::LeaveSkipsWake) {
            futex::wake_all(&self.round.active);
        }
    }

    /// Remaining chunks in every slot (a racy snapshot, for diagnostics and tests).
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(1).unwrap();
    /// let round = ranges.open(5).unwrap();
    /// let mut claimer = ranges.join(round, 0).unwrap();
    /// claimer.claim();
    /// claimer.claim();
    /// assert_eq!(ranges.remaining(), 3);
    /// ```
    pub fn remaining(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| {
                let (a, b) = unpack(s.range.load(Relaxed));
                u64::from(b.saturating_sub(a))
            })
            .sum()
    }
}

impl fmt::Debug for WorkRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkRanges")
            .field("participants", &self.slots.len())
            .field("generation", &self.round.generation.load(Relaxed))
            .field(
                "active",
                &(self.round.active.load(Relaxed) & !CLOSER_ASLEEP),
            )
            .field("remaining", &self.remaining())
            .finish()
    }
}

/// A participant in a round: yields the chunk indices it claims, then `None` when no range has work
/// left. Leaves the round when dropped.
///
/// # Examples
///
/// ```
/// let ranges = shmkern::sched::WorkRanges::new(2).unwrap();
/// let round = ranges.open(6).unwrap();
/// // Alone in the round: first its own range (0..3), then the other slot's by stealing.
/// let claimed: Vec<u32> = ranges.join(round, 0).unwrap().collect();
/// let mut sorted = claimed.clone();
/// sorted.sort();
/// assert_eq!(sorted, vec![0, 1, 2, 3, 4, 5]);
/// assert_eq!(&claimed[..3], &[0, 1, 2]);
/// ranges.close(round).unwrap();
/// ```
pub struct Claimer<'a> {
    ranges: &'a WorkRanges,
    slot: usize,
    stolen: u32,
}

impl Claimer<'_> {
    /// The slot this participant holds.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(4).unwrap();
    /// let round = ranges.open(8).unwrap();
    /// assert_eq!(ranges.join(round, 2).unwrap().slot(), 2); // the preferred slot was free
    /// assert_eq!(ranges.join(round, 6).unwrap().slot(), 2); // `preferred` is taken modulo 4
    /// ```
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// Chunks this participant has claimed by stealing (the first chunk of each stolen range).
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(2).unwrap();
    /// let round = ranges.open(8).unwrap();
    /// let mut c = ranges.join(round, 0).unwrap();
    /// let own: Vec<u32> = (0..4).filter_map(|_| c.claim()).collect();
    /// assert_eq!((own, c.stolen()), (vec![0, 1, 2, 3], 0));
    /// assert_eq!(c.claim(), Some(6)); // the back half of slot 1's 4..8
    /// assert_eq!(c.stolen(), 1);
    /// ```
    pub fn stolen(&self) -> u32 {
        self.stolen
    }

    /// Claims the next chunk: from the front of our own range, else by stealing.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = shmkern::sched::WorkRanges::new(1).unwrap();
    /// let round = ranges.open(2).unwrap();
    /// let mut c = ranges.join(round, 0).unwrap();
    /// assert_eq!((c.claim(), c.claim(), c.claim()), (Some(0), Some(1), None));
    /// ```
    pub fn claim(&mut self) -> Option<u32> {
        let own = &self.ranges.slots[self.slot].range;
        let mut cur = own.load(Relaxed);
        loop {
            let (start, end) = unpack(cur);
            if start >= end {
                return self.steal();
            }
            // Relaxed: see WorkRanges' "Memory ordering" — the CAS alone makes the claim exclusive;
            // it fails only if a thief shrank our range meanwhile.
            match own.compare_exchange_weak(cur, pack(start + 1, end), Relaxed, Relaxed) {
                Ok(_) => return Some(start),
                Err(now) => cur = now,
            }
        }
    }

    /// Our range is empty: take the back half of the largest other range. Returns the first stolen
    /// index and installs the rest as our range.
    fn steal(&mut self) -> Option<u32> {
        let slots = &self.ranges.slots;
        loop {
            let mut best: Option<(usize, u64, u32)> = None;
            for (i, s) in slots.iter().enumerate() {
                if i == self.slot {
                    continue;
                }
                let v = s.range.load(Relaxed);
                let (a, b) = unpack(v);
                let len = b.saturating_sub(a);
                if len > best.map_or(0, |(_, _, l)| l) {
                    best = Some((i, v, len));
                }
            }
            // Every range looked empty. A range a thief took is in flight to that thief's slot, and
            // that thief will run it, so nothing is lost by stopping.
            let (victim, v, len) = best?;
            let (start, end) = unpack(v);
            let mid = end - len.div_ceil(2);
            let won = if fault(FaultId::StealPlainStore) {
                // Broken twin: a plain store can overwrite a claim made since our load.
                slots[victim].range.store(pack(start, mid), Relaxed);
                true
            } else {
                slots[victim]
                    .range
                    .compare_exchange(v, pack(start, mid), Relaxed, Relaxed)
                    .is_ok()
            };
            if won {
                self.stolen += 1;
                if mid + 1 < end {
                    // Our slot is empty, and nobody else ever writes an empty slot (thieves only
                    // CAS non-empty values), so a plain store is safe here.
                    slots[self.slot].range.store(pack(mid + 1, end), Relaxed);
                }
                return Some(mid);
            }
        }
    }
}

impl Iterator for Claimer<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        self.claim()
    }
}

impl Drop for Claimer<'_> {
    fn drop(&mut self) {
        // Release: pairs with the next holder's Acquire CAS in `join`.
        self.ranges.slots[self.slot].occupied.store(0, Release);
        // From here on this participant no longer touches the round.
        self.ranges.leave_round();
    }
}

impl fmt::Debug for Claimer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claimer").field("slot", &self.slot).finish()
    }
}

#[cfg(all(test, not(shmkern_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32 as StdU32;

    #[test]
    fn every_chunk_once_over_rounds() {
        let (parts, chunks, rounds) = if cfg!(miri) { (2, 9, 2) } else { (3, 200, 5) };
        let ranges = WorkRanges::new(parts).unwrap();
        for _ in 0..rounds {
            let hits: Vec<StdU32> = (0..chunks).map(|_| StdU32::new(0)).collect();
            let round = ranges.open(chunks).unwrap();
            assert!(
                ranges.open(1).is_err(),
                "a second open must fail while one is open"
            );
            std::thread::scope(|s| {
                for me in 0..parts {
                    let (ranges, hits) = (&ranges, &hits);
                    s.spawn(move || {
                        for k in ranges.join(round, me).unwrap() {
                            hits[k as usize].fetch_add(1, Relaxed);
                        }
                    });
                }
            });
            ranges.close(round).unwrap();
            assert!(hits.iter().all(|h| h.load(Relaxed) == 1));
            assert!(
                ranges.join(round, 0).is_none(),
                "a closed round refuses joiners"
            );
            assert!(ranges.close(round).is_err());
        }
    }

    #[test]
    fn one_participant_steals_everything() {
        let ranges = WorkRanges::new(4).unwrap();
        let round = ranges.open(10).unwrap();
        let mut got: Vec<u32> = ranges.join(round, 2).unwrap().collect();
        got.sort_unstable();
        assert_eq!(got, (0..10).collect::<Vec<_>>());
        ranges.close(round).unwrap();
    }

    #[test]
    fn slots_are_exclusive() {
        let ranges = WorkRanges::new(1).unwrap();
        let round = ranges.open(3).unwrap();
        let a = ranges.join(round, 0).unwrap();
        assert!(ranges.join(round, 0).is_none(), "the only slot is taken");
        drop(a);
        assert!(ranges.join(round, 0).is_some());
        ranges.close(round).unwrap();
    }

    /// A participant that stays inside far longer than `close` spins: the owner sleeps with
    /// `CLOSER_ASLEEP` set, the last leave wakes it, and the flag is gone for the next round.
    #[test]
    fn close_sleeps_until_the_last_leave() {
        let ranges = WorkRanges::new(2).unwrap();
        for _ in 0..if cfg!(miri) { 1 } else { 3 } {
            let round = ranges.open(4).unwrap();
            let inside = ranges.join(round, 1).unwrap();
            let left = StdU32::new(0);
            std::thread::scope(|s| {
                s.spawn(|| {
                    std::thread::sleep(std::time::Duration::from_millis(30));
                    left.store(1, Relaxed);
                    drop(inside);
                });
                ranges.close(round).unwrap();
                assert_eq!(
                    left.load(Relaxed),
                    1,
                    "close returned before the participant left"
                );
            });
            assert_eq!(
                ranges.round.active.load(Relaxed),
                0,
                "flag or count left behind"
            );
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(WorkRanges::new(0).is_err());
        let e = WorkRanges::new(WorkRanges::MAX_PARTICIPANTS + 1).unwrap_err();
        assert!(e.to_string().contains("between 1 and 1024"), "{e}");
    }
}
