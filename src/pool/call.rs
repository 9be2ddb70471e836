//! Data-parallel calls: how a caller publishes a call in a slot, how workers find, join and help with
//! it, and how the caller collects it — panics included. Protocol: `README.md` § Data-parallel calls.

use super::metrics::Counters;
use super::run_timed;
use crate::sched::{Claimer, Round, WorkRanges};
use crate::sync::atomic::{
    AtomicPtr, AtomicU32, AtomicU64,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};
use crate::sync::{fault, EventCount, FaultId, Latch};
use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What participants run: chunk index (or, for a broadcast, participant index) → work.
pub(crate) type ChunkFn<'a> = dyn Fn(u32) + Sync + 'a;

/// A panic payload in transit from a participant to the caller.
pub(crate) type Payload = Box<dyn Any + Send + 'static>;

/// `CallSlot::kind`: every participant claims chunks through the ranges.
const CHUNKS: u32 = 0;
/// `CallSlot::kind`: every participant runs the closure once with its own index.
const BROADCAST: u32 = 1;

/// The caller's closure, behind a thin pointer so it fits an `AtomicPtr`.
struct CallRef<'a> {
    run: &'a ChunkFn<'a>,
}

/// One slot for a data-parallel call. A pool has a few, so several callers can run calls at once.
pub(crate) struct CallSlot {
    /// 0: free; 1: owned by a caller (taken with a CAS, released with a Release store).
    busy: AtomicU32,
    /// `Round::to_ticket` while participants may join; 0 otherwise. Workers poll this.
    ticket: AtomicU64,
    /// `CHUNKS` or `BROADCAST`; written before the round opens.
    kind: AtomicU32,
    /// The caller's `CallRef`, valid from `open` until `close` returns; written before the round opens.
    call: AtomicPtr<CallRef<'static>>,
    /// The first panic of the call (a leaked `Box<Payload>`), or null.
    panic: AtomicPtr<Payload>,
    /// Non-zero once a chunk panicked: participants stop claiming.
    stop: AtomicU32,
    /// Hands out chunk indices; its rounds give the caller quiescence (`close`).
    ranges: WorkRanges,
    /// Broadcasts: counted down by each worker after it ran the closure.
    broadcast_done: Latch,
}

impl CallSlot {
    pub(crate) fn new(participants: usize) -> Self {
        Self {
            busy: AtomicU32::new(0),
            ticket: AtomicU64::new(0),
            kind: AtomicU32::new(CHUNKS),
            call: AtomicPtr::new(std::ptr::null_mut()),
            panic: AtomicPtr::new(std::ptr::null_mut()),
            stop: AtomicU32::new(0),
            ranges: WorkRanges::new(participants).expect("participants checked by the builder"),
            broadcast_done: Latch::new(0),
        }
    }

    /// Takes the slot for one call; false if another caller holds it.
    pub(crate) fn try_acquire(&self) -> bool {
        if fault(FaultId::SlotTakenWithoutCas) {
            // Broken twin: check, then store: two callers can both see the slot free and take it.
            return self.busy.load(Acquire) == 0 && {
                self.busy.store(1, Relaxed);
                true
            };
        }
        // Acquire: pairs with the previous owner's Release in `release`, so its last writes to the
        // slot (clearing the panic pointer) are ordered before ours.
        self.busy.compare_exchange(0, 1, Acquire, Relaxed).is_ok()
    }

    fn release(&self) {
        self.busy.store(0, Release);
    }

    /// Whether a worker that last handled ticket `seen` here may find something new to do.
    pub(crate) fn has_news(&self, seen: u64) -> bool {
        let t = self.ticket.load(Relaxed);
        t != 0 && t != seen
    }

    /// Caller side: runs `run(k)` for every `k < chunks` (or, if `broadcast`, `run(p)` once on every
    /// participant `p`), with the calling thread taking part as participant 0. The slot must have
    /// been taken with [`try_acquire`](CallSlot::try_acquire); it is released on return.
    ///
    /// Returns only after every participant has stopped touching `run` (so the caller's borrowed
    /// data is free again), with the first panic if any chunk panicked.
    pub(crate) fn run(
        &self,
        sleep: &EventCount,
        broadcast: bool,
        chunks: u32,
        wake: usize,
        run: &ChunkFn<'_>,
        counters: &Counters,
    ) -> Result<(), Payload> {
        let call = CallRef { run };
        // Relaxed: all of these are published by the Release store of the round's generation in
        // `open`, which every participant Acquire-loads in `join` before reading them.
        self.stop.store(0, Relaxed);
        self.kind
            .store(if broadcast { BROADCAST } else { CHUNKS }, Relaxed);
        self.call.store(
            &call as *const CallRef<'_> as *mut CallRef<'static>,
            Relaxed,
        );
        let workers = (self.ranges.participants() - 1) as u32;
        if broadcast {
            self.broadcast_done.reset(workers);
        }
        let round = self
            .ranges
            .open(if broadcast { 0 } else { chunks })
            .expect("a slot owned by one caller has no open round");
        // Release: a worker that Acquire-loads this ticket and joins sees the call (join re-checks the
        // generation with Acquire anyway).
        self.ticket.store(round.to_ticket(), Release);
        sleep.notify(wake);

        if broadcast {
            run_timed(counters, || {
                self.run_catching(run, 0);
                true
            });
            counters.add_chunks(1, 0);
            // Every worker runs the closure once, then counts down (Release); our Acquire in `wait`
            // sees their effects.
            let _ = self.broadcast_done.wait(None);
        } else {
            let mut claimer = self
                .ranges
                .join(round, 0)
                .expect("the caller's round is open and slot 0 is free");
            run_timed(counters, || {
                self.drain(&mut claimer, run, counters);
                true
            });
        }
        // No new joiners; `close` also refuses them and waits for those inside to leave.
        self.ticket.store(0, Relaxed);
        self.ranges.close(round).expect("our round is the open one");
        // From here no participant touches `call` or `run` any more.
        let panic = self.panic.swap(std::ptr::null_mut(), Acquire);
        self.release();
        if panic.is_null() {
            Ok(())
        } else {
            // SAFETY: a non-null `panic` was made by `Box::into_raw` in `record_panic`, and the swap
            // gave us the only copy of the pointer.
            Err(*unsafe { Box::from_raw(panic) })
        }
    }

    /// Worker side: if the slot holds a call this worker has not handled (`seen`), joins it and
    /// helps until no chunk is left. Returns whether it joined.
    pub(crate) fn help(&self, me: usize, seen: &Cell<u64>, counters: &Counters) -> bool {
        let ticket = self.ticket.load(Acquire);
        if ticket == 0 || ticket == seen.get() {
            return false;
        }
        // Before running anything: a join inside this call's closure, helping while it waits, must
        // not handle this call again (a broadcast would run twice on this worker).
        seen.set(ticket);
        let Some(round) = Round::from_ticket(ticket) else {
            return false;
        };
        let Some(mut claimer) = self.ranges.join(round, me) else {
            return false; // the round closed (or the slot moved on) meanwhile
        };
        // SAFETY: we joined `round`, so the caller is inside `run` with this round open, and its
        // `close` waits until we drop `claimer`; the `CallRef` it published before opening the round
        // (visible through join's Acquire) outlives every use below.
        let run = unsafe { (*self.call.load(Relaxed)).run };
        if self.kind.load(Relaxed) == BROADCAST {
            self.run_catching(run, me as u32);
            counters.add_chunks(1, 0);
            drop(claimer);
            self.broadcast_done.count_down();
            return true;
        }
        self.drain(&mut claimer, run, counters);
        if self.stop.load(Relaxed) != 0 && fault(FaultId::PanicForgetsLeave) {
            std::mem::forget(claimer); // broken twin: never leaves the round
        }
        true
    }

    /// Claims and runs chunks until none is left or a panic set `stop`.
    fn drain(&self, claimer: &mut Claimer<'_>, run: &ChunkFn<'_>, counters: &Counters) {
        let mut done = 0;
        while self.stop.load(Relaxed) == 0 {
            let Some(k) = claimer.claim() else { break };
            self.run_catching(run, k);
            done += 1;
        }
        counters.add_chunks(done, claimer.stolen());
    }

    fn run_catching(&self, run: &ChunkFn<'_>, k: u32) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| run(k))) {
            self.record_panic(payload);
        }
    }

    /// Keeps the first panic for the caller and tells everyone to stop claiming.
    fn record_panic(&self, payload: Payload) {
        let boxed = Box::into_raw(Box::new(payload));
        // Ordering: the caller reads `panic` only after `close`, which already happens-after our
        // leave; AcqRel keeps the hand-off self-evident.
        if self
            .panic
            .compare_exchange(std::ptr::null_mut(), boxed, AcqRel, Relaxed)
            .is_err()
        {
            // SAFETY: `boxed` came from `Box::into_raw` just above and was not published.
            drop(unsafe { Box::from_raw(boxed) });
        }
        self.stop.store(1, Relaxed);
    }
}
