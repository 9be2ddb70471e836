//! Models of the pool's tasks beyond `pool.rs`'s (its `Future` and nested join), on the real `Pool`
//! with 2 participants (the caller and one worker), no spinning:
//!
//! - `pool_task_cancel_vs_run`: the caller cancels a task while the worker may be starting it. The
//!   task's state word decides (`QUEUED` → `RUNNING` by the worker, `QUEUED` → `CANCELLED` by the
//!   canceller, both CASes, one wins): either `cancel` returns true, the closure never ran and
//!   `join` says `Cancelled`, or it returns false and `join` gives the closure's value, run once.
//!   The result cell (a loom `UnsafeCell`) is written by the winner alone, so loom reports a race
//!   if both write. Twin: `Fault::CancelWithoutCas` (`TaskInner::try_cancel` checks, then stores).
//! - `pool_drop_drains_queue`: the pool is dropped with two tasks queued or running. `Pool::drop`
//!   takes what is still queued and cancels it while the worker runs what it already took, then
//!   joins the worker: every handle resolves, with its value exactly when its closure ran. Twin:
//!   `Fault::DropForgetsQueued` (`Pool::drop` drops the queued tasks without cancelling them: their
//!   handles never open, and the joins sleep for ever).
//!
//! Both run under the pool step's preemption bound (`.ci/test`).
#![cfg(shmkern_loom)]

use loom_tests::{expect_rejected, DEADLOCK, RACE};
use shmkern::sync::faults::{inject, Fault};
use shmkern::{Pool, TaskError};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

fn pool() -> Pool {
    Pool::builder()
        .threads(2)
        .spin(Duration::ZERO)
        .inline_below(0)
        .build()
        .unwrap()
}

/// The caller cancels a task that the worker may be taking at the same moment.
fn cancel_vs_run() {
    let pool = pool();
    let ran = Arc::new(AtomicUsize::new(0));
    let task = {
        let ran = ran.clone();
        pool.spawn(move || {
            ran.fetch_add(1, Relaxed);
            7u32
        })
    };
    let cancelled = task.cancel();
    let result = task.join();
    // `join` returned, so the worker is done with the task (the closure's Relaxed add is ordered
    // before the result's publication, which `join` acquired).
    let runs = ran.load(Relaxed);
    if cancelled {
        assert_eq!(
            result,
            Err(TaskError::Cancelled),
            "a won cancel must say so"
        );
        assert_eq!(runs, 0, "the closure ran although its cancel won");
    } else {
        assert_eq!(
            result,
            Ok(7),
            "a task whose cancel lost must give its value"
        );
        assert_eq!(runs, 1, "the closure must run exactly once");
    }
}

#[test]
fn pool_task_cancel_vs_run() {
    loom::model(cancel_vs_run);
}

#[test]
fn twin_task_cancel_without_cas_is_rejected() {
    expect_rejected(
        "twin_task_cancel_without_cas_is_rejected",
        &[
            RACE,
            "the closure ran although its cancel won",
            "a won cancel must say so",
        ],
        || {
            let _bug = inject(Fault::CancelWithoutCas);
            loom::model(cancel_vs_run);
        },
    );
}

/// Two tasks, then the pool is dropped: each is run by the worker or cancelled by the drop, and
/// every handle resolves.
fn drop_drains_queue() {
    let pool = pool();
    let ran = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..2u32)
        .map(|i| {
            let ran = ran.clone();
            pool.spawn(move || {
                ran.fetch_add(1, Relaxed);
                i
            })
        })
        .collect();
    drop(pool);
    let mut values = 0;
    for (i, t) in (0..2u32).zip(tasks) {
        match t.join() {
            Ok(v) => {
                assert_eq!(v, i, "a task's value went to another handle");
                values += 1;
            }
            Err(e) => assert_eq!(e, TaskError::Cancelled, "only a cancel may end a task here"),
        }
    }
    assert_eq!(
        ran.load(Relaxed),
        values,
        "a value without a run, or a run without a value"
    );
}

#[test]
fn pool_drop_drains_queue() {
    loom::model(drop_drains_queue);
}

#[test]
fn twin_drop_forgets_queued_is_rejected() {
    expect_rejected("twin_drop_forgets_queued_is_rejected", &[DEADLOCK], || {
        let _bug = inject(Fault::DropForgetsQueued);
        loom::model(drop_drains_queue);
    });
}
