//! Models: the completion latch. `wait` returns only after every count-down and sees the writes made
//! before them (one loom `UnsafeCell` per counter, so a missing happens-before is a reported race),
//! and the waiter-count fast path (skip the wake when nobody waits) loses no wake-up.
#![cfg(shmkern_loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use loom_tests::{expect_rejected, DEADLOCK, RACE};
use shmkern::sync::faults::{inject, Fault};
use shmkern::sync::Latch;

/// `counters` threads each write their cell, then count down; the main thread waits and reads.
fn publish(counters: usize) {
    let latch = Arc::new(Latch::new(counters as u32));
    let cells: Arc<Vec<UnsafeCell<usize>>> =
        Arc::new((0..counters).map(|_| UnsafeCell::new(0)).collect());
    let threads: Vec<_> = (0..counters)
        .map(|i| {
            let (latch, cells) = (latch.clone(), cells.clone());
            thread::spawn(move || {
                // SAFETY: cell `i` is this thread's alone until `count_down` (Release) publishes it
                // to the waiter; loom checks the accesses do not overlap
                cells[i].with_mut(|p| unsafe { *p = i + 1 });
                latch.count_down();
            })
        })
        .collect();
    latch.wait(None).unwrap();
    for (i, c) in cells.iter().enumerate() {
        assert_eq!(
            // SAFETY: the latch opened (`wait` returned Ok), so every write happened-before this
            // read — the claim under test; loom fails the model if not
            c.with(|p| unsafe { *p }),
            i + 1,
            "read before the latch opened"
        );
    }
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(latch.waiting(), 0);
}

#[test]
fn latch_publishes_writes() {
    loom::model(|| publish(2));
}

#[test]
fn latch_no_lost_wakeup() {
    loom::model(|| publish(1));
}

/// Twin: a `Relaxed` count-down does not publish the counter's write.
#[test]
fn twin_latch_relaxed_count_down_is_rejected() {
    expect_rejected("twin_latch_relaxed_count_down_is_rejected", &[RACE], || {
        let _bug = inject(Fault::LatchRelaxedCountDown);
        loom::model(|| publish(1));
    });
}

/// Twin: without the Dekker fences the opener can miss the waiter, which sleeps forever.
#[test]
fn twin_latch_without_fences_is_rejected() {
    expect_rejected("twin_latch_without_fences_is_rejected", &[DEADLOCK], || {
        let _bug = inject(Fault::LatchNoFence);
        loom::model(|| publish(1));
    });
}
