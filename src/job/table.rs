//! The chunk table of a cross-process job: who computes which chunk, and the exactly-once
//! publication of each chunk's result, even when participants die mid-chunk.
//!
//! Everything here is a plain atomic inside the job's shared mapping (or, in the loom models, an
//! ordinary allocation); nothing is trusted: every index read from shared memory is checked.
//!
//! # Chunk state machine
//!
//! Each chunk has one `AtomicU64` state word, `generation << 32 | owner << 2 | tag`:
//!
//! ```text
//!              claim (CAS)              begin_write (CAS)           publish (CAS, Release)
//! UNCLAIMED(g) ───────────► CLAIMED(p,g) ────────────────► WRITING(p,g) ───────────────────► DONE(p,g)
//!      ▲                         │                              │
//!      └──── reclaim (CAS): owner p is dead ─── UNCLAIMED(g+1) ◄┘
//! ```
//!
//! - A participant computes a chunk only after its `claim` CAS succeeded, and writes the result
//!   slot only after `begin_write` moved the state from *its own* `CLAIMED(p, g)` to `WRITING(p, g)`.
//! - `reclaim` moves a chunk whose owner is dead back to `UNCLAIMED` **with the generation bumped**.
//!   A participant slot can be reused by a new process, so without the bump the chunk could be
//!   claimed again as the very same `CLAIMED(p, g)` a zombie of the old process still expects, and
//!   the zombie's late `begin_write`/`publish` would succeed (ABA): two writers of one slot, or one
//!   chunk published twice. With the bump, every CAS of a zombie fails. (A dead process cannot
//!   write; but "dead" is a verdict from outside — a process in another PID namespace, say, can be
//!   misjudged — and the generation makes a wrong verdict cost a recomputation, never a wrong result.)
//! - Each chunk has **two** result slots; generation `g` writes slot `g % 2`, so even a misjudged
//!   writer of generation `g` cannot tear the result of generation `g + 1`. Writers two
//!   generations apart (a participant stalled mid-write through two takeovers, which leases make
//!   possible) share a slot; that is harmless because every honest writer of a chunk writes the
//!   same words (deterministic kernels over a data file whose identity is checked), and a
//!   dishonest one can spoil the result anyway.
//!
//! # Orderings
//!
//! - `publish` is a `Release` CAS of the state after the result words were written (`Relaxed`
//!   stores); a reader that sees `DONE(p, g)` with an `Acquire` load reads the words of slot `g % 2`
//!   after them: the result is complete.
//! - `claim`, `begin_write` and `reclaim` are `AcqRel` CASes: they only need atomicity (one winner),
//!   and `Acquire` makes a reclaimer's later writes happen after what it saw.
//! - `done` (the count of published chunks, also the futex word waiters sleep on) is incremented
//!   with `Release` after the publishing CAS, so a waiter that reads the final count with
//!   `Acquire` sees every `DONE` state and every result word. The publication that completes the
//!   job wakes the sleepers; the others do not (no waiter acts on a partial count).
//! - `cursor` (the next never-claimed chunk to try) is `Relaxed`: it is only a hint; the state
//!   CAS decides.

use crate::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Words (u64) of a `Stats<T>` partial (80 bytes), the largest built-in one: the slot size of the
/// loom models' tables. A job's table has its own, [`ChunkTable::slot_words`]: the size of its
/// kernel's partial.
#[cfg_attr(not(shmkern_loom), allow(dead_code))]
pub const SLOT_WORDS: usize = 10;

const TAG_MASK: u64 = 0b11;
const UNCLAIMED: u64 = 0;
const CLAIMED: u64 = 1;
const WRITING: u64 = 2;
const DONE: u64 = 3;
/// Owners are participant indices below this bound (14 bits of the state word).
pub const MAX_OWNERS: u32 = 1 << 14;

/// A decoded state word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Unclaimed { generation: u32 },
    Claimed { owner: u32, generation: u32 },
    Writing { owner: u32, generation: u32 },
    Done { owner: u32, generation: u32 },
}

impl State {
    pub fn decode(word: u64) -> State {
        let generation = (word >> 32) as u32;
        let owner = ((word >> 2) as u32) & (MAX_OWNERS - 1);
        match word & TAG_MASK {
            UNCLAIMED => State::Unclaimed { generation },
            CLAIMED => State::Claimed { owner, generation },
            WRITING => State::Writing { owner, generation },
            _ => State::Done { owner, generation },
        }
    }

    fn encode(tag: u64, owner: u32, generation: u32) -> u64 {
        (u64::from(generation) << 32) | (u64::from(owner & (MAX_OWNERS - 1)) << 2) | tag
    }
}

/// A claimed chunk: the index and the generation the claim holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Claim {
    pub chunk: usize,
    pub generation: u32,
}

/// The shared chunk table: views of the job's atomics.
#[derive(Debug)]
pub struct ChunkTable<'a> {
    pub states: &'a [AtomicU64],
    /// `2 * slot_words` words per chunk: slot 0 then slot 1.
    pub results: &'a [AtomicU64],
    pub done: &'a AtomicU32,
    pub cursor: &'a AtomicU64,
    /// Words of one result slot: the job's partial, in 8-byte words (at least 1). `results`
    /// holds `chunks × 2 × slot_words` words.
    pub slot_words: usize,
}

impl ChunkTable<'_> {
    pub fn chunks(&self) -> usize {
        self.states.len()
    }

    fn cas(&self, k: usize, from: u64, to: u64, success: Ordering) -> bool {
        self.states[k]
            .compare_exchange(from, to, success, Ordering::Relaxed)
            .is_ok()
    }

    /// Claims the next chunk nobody has claimed yet, for participant `p`; `None` when the cursor
    /// has passed the end (chunks may still be outstanding, or reclaimable). The job claims runs
    /// ([`reserve`](Self::reserve)); the loom models claim one chunk at a time with this.
    #[cfg_attr(not(shmkern_loom), allow(dead_code))]
    pub fn claim_next(&self, p: u32) -> Option<Claim> {
        loop {
            let k = self.reserve(1)?.start;
            if let Some(c) = self.try_claim(k, p) {
                return Some(c);
            }
        }
    }

    /// The next `n` never-reserved chunks (fewer at the end), for the caller to [`try_claim`]
    /// one by one; `None` when the cursor has passed the end. Reserving is only a hint that
    /// spreads participants over the chunks in runs of `n` (each process then reads long
    /// stretches of the file); the claim CAS decides, so a chunk of someone's run may be claimed by
    /// another participant's helping loop, and the reserver skips it.
    ///
    /// [`try_claim`]: ChunkTable::try_claim
    pub fn reserve(&self, n: usize) -> Option<std::ops::Range<usize>> {
        // Relaxed: the cursor only spreads participants over the chunks; the CAS decides.
        let k = self.cursor.fetch_add(n as u64, Ordering::Relaxed);
        let k = usize::try_from(k).ok().filter(|&k| k < self.chunks())?;
        Some(k..k.saturating_add(n).min(self.chunks()))
    }

    /// Claims chunk `k` if it is unclaimed.
    pub fn try_claim(&self, k: usize, p: u32) -> Option<Claim> {
        let word = self.states[k].load(Ordering::Relaxed);
        match State::decode(word) {
            State::Unclaimed { generation } => {
                let to = State::encode(CLAIMED, p, generation);
                self.cas(k, word, to, Ordering::AcqRel).then_some(Claim {
                    chunk: k,
                    generation,
                })
            }
            _ => None,
        }
    }

    /// Moves `c` from `CLAIMED` by `p` to `WRITING`; `false` if the claim was lost (reclaimed).
    pub fn begin_write(&self, c: Claim, p: u32) -> bool {
        let from = State::encode(CLAIMED, p, c.generation);
        let to = State::encode(WRITING, p, c.generation);
        self.cas(c.chunk, from, to, Ordering::AcqRel)
    }

    /// The result words of `c`'s slot (generation parity).
    fn slot(&self, chunk: usize, generation: u32) -> &[AtomicU64] {
        let start = (chunk * 2 + (generation % 2) as usize) * self.slot_words;
        &self.results[start..start + self.slot_words]
    }

    /// Writes the result of `c` (after a successful `begin_write`) and publishes it. Returns
    /// `false` if the chunk was reclaimed in between (the result is then discarded by readers).
    ///
    /// # Panics
    ///
    /// If `words` is not [`slot_words`](ChunkTable::slot_words) long (a caller's bug: the
    /// partial's size is the job's).
    pub fn publish(&self, c: Claim, p: u32, words: &[u64]) -> bool {
        assert_eq!(words.len(), self.slot_words, "a partial of the job's size");
        let store_words = || {
            for (slot, &w) in self.slot(c.chunk, c.generation).iter().zip(words) {
                // Relaxed: published by the Release CAS below.
                slot.store(w, Ordering::Relaxed);
            }
        };
        // Broken twin (loom only): the words stored after the publishing CAS, so a reader that
        // sees `DONE` may read the slot before they land (a torn result).
        let late = crate::sync::fault(crate::sync::FaultId::PublishBeforeWords);
        if !late {
            store_words();
        }
        let from = State::encode(WRITING, p, c.generation);
        let to = State::encode(DONE, p, c.generation);
        let won = self.cas(c.chunk, from, to, Ordering::Release);
        if won {
            // Release: a waiter that reads the final count (Acquire) sees every DONE and result.
            let before = self.done.fetch_add(1, Ordering::Release);
            // Waiters sleep on `done` (always with a timeout) until it reaches the chunk count:
            // only the last publication changes what they do, so only it pays for the wake
            // syscall (a wake per chunk cost ~1 µs × every chunk of the job). A participant in
            // the helping loop that sleeps with chunks outstanding waits for an owner to die,
            // which nobody signals: it finds out by polling when its timed wait ends.
            if u64::from(before) + 1 >= self.chunks() as u64 {
                crate::sync::futex::wake_all(self.done);
            }
        }
        if late {
            store_words();
        }
        won
    }

    /// If chunk `k` is claimed or being written by an owner that `dead` says is dead, gives it
    /// back as unclaimed with the generation bumped. Returns whether it did.
    pub fn reclaim(&self, k: usize, dead: impl Fn(u32) -> bool) -> bool {
        let word = self.states[k].load(Ordering::Acquire);
        let (owner, generation) = match State::decode(word) {
            State::Claimed { owner, generation } | State::Writing { owner, generation } => {
                (owner, generation)
            }
            _ => return false,
        };
        if !dead(owner) {
            return false;
        }
        let bumped = if crate::sync::fault(crate::sync::FaultId::ReclaimKeepsGeneration) {
            generation
        } else {
            generation.wrapping_add(1)
        };
        let to = State::encode(UNCLAIMED, 0, bumped);
        self.cas(k, word, to, Ordering::AcqRel)
    }

    /// Whether chunk `k` is done (its result published).
    pub fn is_done(&self, k: usize) -> bool {
        matches!(
            State::decode(self.states[k].load(Ordering::Acquire)),
            State::Done { .. }
        )
    }

    /// The published result of chunk `k` ([`slot_words`](ChunkTable::slot_words) words), if it
    /// is done.
    pub fn result(&self, k: usize) -> Option<Vec<u64>> {
        match State::decode(self.states[k].load(Ordering::Acquire)) {
            // Relaxed loads: ordered after the publishing Release CAS by the Acquire load above.
            State::Done { generation, .. } => Some(
                self.slot(k, generation)
                    .iter()
                    .map(|w| w.load(Ordering::Relaxed))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// Published chunks so far (`Acquire`: see the results of all of them).
    pub fn done_count(&self) -> u32 {
        self.done.load(Ordering::Acquire)
    }
}
