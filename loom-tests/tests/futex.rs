//! Model: raw futex wait/wake. The waker publishes data, stores the word (Release) and wakes; the
//! waiter loops `while word == 0 { wait }`. Proves no lost wake-up when the wake lands while the
//! waiter is deciding to sleep, and that the data is visible after the Acquire re-check.
#![cfg(shmkern_loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{
    AtomicU32,
    Ordering::{Acquire, Release},
};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{expect_rejected, DEADLOCK};
use shmkern::sync::faults::{inject, Fault};
use shmkern::sync::futex::{self, WaitResult};

fn handoff() {
    let word = Arc::new(AtomicU32::new(0));
    let data = Arc::new(UnsafeCell::new(0u32));
    let waker = {
        let (word, data) = (word.clone(), data.clone());
        thread::spawn(move || {
            // SAFETY: the main thread reads `data` only after its Acquire load of `word` sees the
            // Release store below; loom's cell tracking fails the model if the accesses overlap
            data.with_mut(|p| unsafe { *p = 42 });
            word.store(1, Release);
            futex::wake_one(&word);
        })
    };
    while word.load(Acquire) == 0 {
        let r = futex::wait(&word, 0, None);
        assert_ne!(r, WaitResult::TimedOut, "an untimed wait cannot time out");
    }
    // SAFETY: the waker's write happens-before the Acquire load of `word` that saw 1 (its Release
    // store); loom checks this
    assert_eq!(data.with(|p| unsafe { *p }), 42);
    waker.join().unwrap();
}

#[test]
fn futex_wait_wake_no_lost_wakeup() {
    loom::model(handoff);
}

/// Twin: a futex whose value check is not atomic with going to sleep loses the wake-up.
#[test]
fn twin_futex_unchecked_sleep_is_rejected() {
    expect_rejected(
        "twin_futex_unchecked_sleep_is_rejected",
        &[DEADLOCK],
        || {
            let _bug = inject(Fault::FutexUncheckedSleep);
            loom::model(handoff);
        },
    );
}

/// `wake(n)` reports how many it woke, never more than were asleep or than `n`.
#[test]
fn futex_wake_counts() {
    loom::model(|| {
        let word = Arc::new(AtomicU32::new(0));
        let sleeper = {
            let word = word.clone();
            thread::spawn(move || {
                while word.load(Acquire) == 0 {
                    futex::wait(&word, 0, None);
                }
            })
        };
        word.store(1, Release);
        let woken = futex::wake(&word, 5);
        assert!(woken <= 1, "woke {woken} of one sleeper");
        sleeper.join().unwrap();
        assert_eq!(futex::wake_all(&word), 0, "nobody is left asleep");
    });
}
