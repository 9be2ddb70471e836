//! Wait/notify and completion on atomics that may live in memory shared by threads or processes:
//! the [`futex`] (wait/wake on an `AtomicU32`, across processes on Linux, with timeouts), the
//! count-down [`Latch`] and the [`EventCount`]. The pool and the cross-process jobs are built on
//! them. Protocol notes: [`README.md`](README.md) beside this file and `docs/design.md`.
//!
//! This module is also the crate's sync facade: every atomic, fence, `UnsafeCell`, `Arc` and thread
//! the crate uses comes from here (crate-private), so that `--cfg shmkern_loom` swaps them all for
//! loom's model-checked versions (tokio's `src/loom/` is the model). Nothing else in the crate
//! imports `std::sync::atomic`, `std::cell::UnsafeCell`, `std::sync::Arc` or `std::thread`
//! directly.
//!
//! # Examples
//!
//! ```
//! use shmkern::sync::{futex, Latch};
//! use std::sync::atomic::{AtomicU32, Ordering};
//!
//! let word = AtomicU32::new(0);
//! let done = Latch::new(1);
//! std::thread::scope(|s| {
//!     s.spawn(|| {
//!         word.store(1, Ordering::Release);
//!         futex::wake_all(&word);
//!         done.count_down();
//!     });
//!     while word.load(Ordering::Acquire) == 0 {
//!         futex::wait(&word, 0, None); // may return early: the loop re-checks
//!     }
//!     done.wait(None).unwrap();
//! });
//! ```

mod eventcount;
pub mod futex;
mod latch;

pub use eventcount::{EventCount, Key};
pub use latch::{Latch, TimedOut};

#[cfg(shmkern_loom)]
pub mod faults;

#[cfg(not(shmkern_loom))]
mod imp {
    pub(crate) mod atomic {
        #[allow(unused_imports)]
        pub(crate) use std::sync::atomic::{
            fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
        };
    }
    #[allow(unused_imports)]
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub(crate) use std::thread;

    /// `std::cell::UnsafeCell` with loom's `with`/`with_mut` access shape (tokio's shim), so code
    /// written against it compiles unchanged under loom, where every access is race-checked.
    #[derive(Debug)]
    #[allow(dead_code)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[allow(dead_code)]
    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(shmkern_loom)]
mod imp {
    pub(crate) mod atomic {
        #[allow(unused_imports)]
        pub(crate) use loom::sync::atomic::{
            fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
        };
    }
    #[allow(unused_imports)]
    pub(crate) use loom::cell::UnsafeCell;
    #[allow(unused_imports)]
    pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};
    #[allow(unused_imports)]
    pub(crate) use loom::thread;
}

#[allow(unused_imports)]
pub(crate) use imp::{atomic, thread, Arc, Mutex, MutexGuard, UnsafeCell};

/// Is fault `f` injected into this thread's model run? Always `false` outside loom builds, where
/// the check compiles away. See [`faults`] (loom builds only) for what each fault breaks.
#[inline(always)]
#[allow(unused_variables)]
pub(crate) fn fault(f: FaultId) -> bool {
    #[cfg(shmkern_loom)]
    {
        faults::is_active(f)
    }
    #[cfg(not(shmkern_loom))]
    {
        false
    }
}

/// Kept in a private module: the enum is `pub` only so that `faults` (loom builds) can re-export
/// it to the models; outside loom builds nothing outside the crate can name it.
mod fault_id {
    /// Names of the deliberate bugs the loom models' broken twins switch on (see `faults.rs`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[allow(dead_code)]
    #[doc(hidden)]
    pub enum FaultId {
        /// The futex model checks the word *before* taking its queue lock: lost wake-ups.
        FutexUncheckedSleep,
        /// The latch's Dekker fences (waiter count vs. count) are left out: lost wake-ups.
        LatchNoFence,
        /// The latch's count-down is `Relaxed`: the waiter's reads race with the counters' writes.
        LatchRelaxedCountDown,
        /// The latch's wait trusts `Woken` without re-checking the count.
        LatchTrustsWoken,
        /// A timed-out latch wait forgets to remove itself from the waiter count.
        LatchLeaksWaiter,
        /// A steal shrinks the victim's range with a plain store instead of a CAS.
        StealPlainStore,
        /// Joining a round skips the generation check.
        JoinSkipsGeneration,
        /// The event count's Dekker fences are left out: lost notifications.
        EventCountNoFence,
        /// A finishing task takes the async waker before opening its latch: a lost wake-up.
        TaskWakerBeforeDone,
        /// `WorkRanges::close` returns without waiting for the participants to leave.
        CloseSkipsWait,
        /// A worker whose chunk panicked forgets to leave the round.
        PanicForgetsLeave,
        /// Dropping the pool sets the shutdown flag but does not wake sleeping workers.
        ShutdownNoNotify,
        /// A job's reclaim of a dead participant's chunk keeps the generation: ABA with a zombie.
        ReclaimKeepsGeneration,
        /// Joining a job takes a dead process's slot without giving its chunks back first.
        JoinKeepsDeadClaims,
        /// A job's liveness verdict ignores an expired lease: a stopped participant keeps its
        /// claims forever.
        LeaseExpiryIgnored,
        /// The last participant to leave a round does not wake an owner asleep in `close`.
        LeaveSkipsWake,
        /// `Task::join` on a worker of the task's pool only waits: it never runs queued work.
        JoinSkipsHelping,
        /// A job's helping loop sleeps on the done count with no timeout: it never notices a
        /// participant that died holding a claim.
        HelperWaitsUntimed,
        /// A task's cancel checks the state, then stores `CANCELLED`: a worker may start the task
        /// in between, and both write the result.
        CancelWithoutCas,
        /// Dropping the pool drops its queued tasks without cancelling them: their handles never
        /// resolve.
        DropForgetsQueued,
        /// A call slot is taken with a check and a store instead of a CAS: two callers can share
        /// one slot.
        SlotTakenWithoutCas,
        /// A job's publication stores the result words after the CAS that marks the chunk done:
        /// a reader can see `DONE` and read a torn result.
        PublishBeforeWords,
    }
}
pub(crate) use fault_id::FaultId;
