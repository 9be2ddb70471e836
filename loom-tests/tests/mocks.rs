//! Models with the futex mock misbehaving as the contract allows: every wait wakes spuriously, or
//! every timed wait times out. Callers must re-check (the latch does) and must not leak or underflow
//! their waiter counts on the timeout path.
#![cfg(shmkern_loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::AtomicU32;
use loom::sync::Arc;
use loom::thread;
use loom_tests::{expect_rejected, RACE};
use shmkern::sync::faults::{inject, Fault};
use shmkern::sync::futex::{
    self,
    model::{set_mode, Mode},
    WaitResult,
};
use shmkern::sync::Latch;
use std::time::Duration;

/// Restores the faithful mock when a test ends, even by panic.
struct ModeGuard;
impl Drop for ModeGuard {
    fn drop(&mut self) {
        set_mode(Mode::Faithful);
    }
}
fn mode(m: Mode) -> ModeGuard {
    set_mode(m);
    ModeGuard
}

/// One counter thread writes 7 into the cell, then counts the latch (of 1) down; the main thread waits
/// with `timeout`. On `Ok` it checks the write is visible; either way the waiter count must return to 0.
fn latch_handoff_with(timeout: Option<Duration>) {
    let latch = Arc::new(Latch::new(1));
    let cell = Arc::new(UnsafeCell::new(0u32));
    let counter = {
        let (latch, cell) = (latch.clone(), cell.clone());
        thread::spawn(move || {
            // SAFETY: the cell is this thread's alone until `count_down` (Release) publishes it to
            // the waiter; loom checks the accesses do not overlap
            cell.with_mut(|p| unsafe { *p = 7 });
            latch.count_down();
        })
    };
    if latch.wait(timeout).is_ok() {
        // SAFETY: the latch opened, so the counter's write happened-before this read — the claim
        // under test; loom fails the model if not
        let seen = cell.with(|p| unsafe { *p });
        assert_eq!(seen, 7, "read before the latch opened");
    } else {
        assert!(timeout.is_some(), "an untimed wait returned Err");
    }
    counter.join().unwrap();
    assert_eq!(
        latch.waiting(),
        0,
        "waiter count leaked on the timeout path"
    );
    assert!(latch.is_open());
}

fn latch_handoff() {
    latch_handoff_with(None);
}

#[test]
fn latch_survives_spurious_wakeups() {
    let _m = mode(Mode::Spurious);
    loom::model(latch_handoff);
}

/// Twin: a latch that takes `Woken` as "open" returns early on a spurious wake-up.
#[test]
fn twin_latch_trusting_woken_is_rejected() {
    expect_rejected(
        "twin_latch_trusting_woken_is_rejected",
        &[RACE, "read before the latch opened"],
        || {
            let _m = mode(Mode::Spurious);
            let _bug = inject(Fault::LatchTrustsWoken);
            loom::model(latch_handoff);
        },
    );
}

/// A timed wait that times out (the mock makes every timed wait do so) returns `Err` only while the
/// latch is closed, and leaves the waiter count at zero either way.
fn latch_timeout() {
    latch_handoff_with(Some(Duration::from_millis(1)));
}

#[test]
fn latch_timeout_leaves_no_waiter() {
    let _m = mode(Mode::TimeoutsExpire);
    loom::model(latch_timeout);
}

/// Twin: a timed-out waiter that forgets to deregister.
#[test]
fn twin_latch_leaking_waiter_is_rejected() {
    expect_rejected(
        "twin_latch_leaking_waiter_is_rejected",
        &["waiter count leaked"],
        || {
            let _m = mode(Mode::TimeoutsExpire);
            let _bug = inject(Fault::LatchLeaksWaiter);
            loom::model(latch_timeout);
        },
    );
}

/// The mocks keep the value check: a differing value is `NotEqual` in every mode.
#[test]
fn mocks_still_check_the_value() {
    for m in [Mode::Spurious, Mode::TimeoutsExpire] {
        let _m = mode(m);
        loom::model(|| {
            let w = AtomicU32::new(1);
            assert_eq!(
                futex::wait(&w, 0, Some(Duration::from_millis(1))),
                WaitResult::NotEqual
            );
            assert_ne!(
                futex::wait(&w, 1, Some(Duration::from_millis(1))),
                WaitResult::NotEqual
            );
        });
    }
}
