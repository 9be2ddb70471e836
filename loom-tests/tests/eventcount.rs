//! Model: the event count the pool's idle workers sleep on. A job published while a worker is
//! deciding to sleep must still be seen (no lost notification), and its data must be visible.
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
use shmkern::sync::EventCount;

struct Shared {
    ec: EventCount,
    posted: AtomicU32,
    job: UnsafeCell<u32>,
}

/// The main thread posts a job (writes it, Release-stores `posted`, notifies); a worker runs the
/// idle protocol until it sees the job.
fn post_while_worker_decides_to_sleep() {
    let s = Arc::new(Shared {
        ec: EventCount::new(),
        posted: AtomicU32::new(0),
        job: UnsafeCell::new(0),
    });
    let worker = {
        let s = s.clone();
        thread::spawn(move || loop {
            if s.posted.load(Acquire) == 1 {
                break;
            }
            let key = s.ec.prepare_wait();
            if s.posted.load(Acquire) == 1 {
                s.ec.cancel_wait();
                break;
            }
            s.ec.wait(key, None);
        })
    };
    // SAFETY: the worker reads `job` only after its Acquire load of `posted` sees the Release store
    // below, so this write is exclusive; loom's cell tracking fails the model if the protocol lets
    // them overlap
    s.job.with_mut(|p| unsafe { *p = 5 });
    s.posted.store(1, Release);
    s.ec.notify(1);
    worker.join().unwrap();
    // SAFETY: the worker only reads `job`, and it has been joined
    assert_eq!(s.job.with(|p| unsafe { *p }), 5);
    assert_eq!(s.ec.waiters(), 0, "waiter count leaked");
}

#[test]
fn eventcount_no_lost_notification() {
    loom::model(post_while_worker_decides_to_sleep);
}

/// Twin: without the Dekker fences the notifier can miss the waiter and skip the wake.
#[test]
fn twin_eventcount_without_fences_is_rejected() {
    expect_rejected(
        "twin_eventcount_without_fences_is_rejected",
        &[DEADLOCK],
        || {
            let _bug = inject(Fault::EventCountNoFence);
            loom::model(post_while_worker_decides_to_sleep);
        },
    );
}
