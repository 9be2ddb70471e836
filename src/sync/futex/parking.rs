//! The portable, **in-process only** fallback for platforms without a shared futex: a fixed table of
//! buckets, each a mutex-protected [`SleepQueue`] and a condvar, keyed by the word's virtual address.
//!
//! Why no lost wake-up: the value check and the enqueue happen under the bucket mutex, and a waker
//! changes the word *before* it takes the same mutex to choose sleepers. Either the waker's lock comes
//! first — then the waiter's check (after the lock handoff) sees the new value and returns `NotEqual` —
//! or the waiter is queued first and the waker chooses it.
//!
//! Compiled on Linux too under `cfg(test)`, so its unit tests run everywhere, and under loom, where
//! the futex model (`model.rs`) runs this very code on loom's `Mutex` and `Condvar` (one bucket: loom's
//! primitives cannot be built in a `static` array), so the check-under-the-lock argument above is
//! model-checked on the code that other platforms ship.

use super::queue::SleepQueue;
use super::{Scope, WaitResult};
use crate::sync::atomic::{AtomicU32, Ordering::SeqCst};
use crate::sync::{fault, FaultId};
#[cfg(shmkern_loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(shmkern_loom))]
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[cfg(not(shmkern_loom))]
const BUCKETS: usize = 64;

struct Bucket {
    queue: Mutex<SleepQueue>,
    cv: Condvar,
}

#[cfg(not(shmkern_loom))]
#[allow(clippy::declare_interior_mutable_const)] // used only to initialise the table below
const EMPTY: Bucket = Bucket {
    queue: Mutex::new(SleepQueue::new()),
    cv: Condvar::new(),
};
#[cfg(not(shmkern_loom))]
static TABLE: [Bucket; BUCKETS] = [EMPTY; BUCKETS];

#[cfg(not(shmkern_loom))]
fn bucket(addr: usize) -> &'static Bucket {
    // Words are 4-byte aligned; mix the higher bits so neighbouring words spread out.
    let h = (addr >> 2).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
    &TABLE[h % BUCKETS]
}

#[cfg(shmkern_loom)]
loom::lazy_static! {
    static ref LOOM_BUCKET: Bucket = Bucket { queue: Mutex::new(SleepQueue::new()), cv: Condvar::new() };
}

/// Under loom every address shares one bucket: the sharing that the real table has between
/// colliding addresses, for every address (`wake`'s `notify_all` and the tickets handle it).
#[cfg(shmkern_loom)]
fn bucket(_addr: usize) -> &'static Bucket {
    &LOOM_BUCKET
}

fn addr(word: &AtomicU32) -> usize {
    word as *const AtomicU32 as usize
}

fn lock(b: &Bucket) -> MutexGuard<'_, SleepQueue> {
    // The queue is consistent at every unlock, so a poisoned lock is safe to keep using.
    b.queue.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn wait(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<Duration>,
    _: Scope,
) -> WaitResult {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let addr = addr(word);
    let b = bucket(addr);
    // Broken twin (loom only; `fault` is `false` in every other build): the value is checked
    // before the lock, so a wake that lands between the check and the enqueue is lost.
    let checked_early = fault(FaultId::FutexUncheckedSleep);
    if checked_early && word.load(SeqCst) != expected {
        return WaitResult::NotEqual;
    }
    let mut q = lock(b);
    // Checked under the bucket lock: see the module docs for why this cannot lose a wake-up.
    if !checked_early && word.load(SeqCst) != expected {
        return WaitResult::NotEqual;
    }
    let ticket = q.enqueue(addr);
    loop {
        q = match deadline {
            None => b.cv.wait(q).unwrap_or_else(|e| e.into_inner()),
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return if q.leave(ticket) {
                        WaitResult::TimedOut
                    } else {
                        WaitResult::Woken
                    };
                }
                b.cv.wait_timeout(q, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
        if !q.is_queued(ticket) {
            return WaitResult::Woken;
        }
    }
}

pub(super) fn wake(word: &AtomicU32, n: usize, _: Scope) -> usize {
    let addr = addr(word);
    let b = bucket(addr);
    let woken = lock(b).wake(addr, n);
    if woken > 0 {
        // Several addresses share a bucket: wake all and let the unchosen re-check their tickets.
        b.cv.notify_all();
    }
    woken
}

#[cfg(all(test, not(shmkern_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::{Acquire, Release};
    use std::sync::Arc;

    #[test]
    fn not_equal_and_timeout() {
        let w = AtomicU32::new(5);
        assert_eq!(wait(&w, 4, None, Scope::Shared), WaitResult::NotEqual);
        let t0 = Instant::now();
        let r = wait(&w, 5, Some(Duration::from_millis(20)), Scope::Shared);
        assert_eq!(r, WaitResult::TimedOut);
        assert!(t0.elapsed() >= Duration::from_millis(20));
        assert_eq!(wake(&w, 1, Scope::Shared), 0);
    }

    #[test]
    fn wakes_count_and_deliver() {
        let w = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let w = w.clone();
                std::thread::spawn(move || {
                    while w.load(Acquire) == 0 {
                        wait(&w, 0, None, Scope::Shared);
                    }
                })
            })
            .collect();
        // Let them fall asleep, publish, then wake until every thread has left.
        std::thread::sleep(Duration::from_millis(50));
        w.store(1, Release);
        let mut woken = 0;
        while !threads.iter().all(|t| t.is_finished()) {
            woken += wake(&w, usize::MAX, Scope::Shared);
            std::thread::sleep(Duration::from_millis(1));
        }
        for t in threads {
            t.join().unwrap();
        }
        // A sleeper that saw the new value before sleeping was never queued: at most three wakes.
        assert!(woken <= 3);
    }
}
