//! Models of the worker pool, run on the real `Pool` with 2 participants (the caller and one
//! worker), one call slot and no spinning (loom cfg): call publication vs. a worker deciding to sleep,
//! completion and partials, the panic path, shutdown while the worker sleeps, a task's `Future`, and
//! a nested spawn/join on the busy worker (help while waiting).
#![cfg(shmkern_loom)]

use loom_tests::{expect_rejected, DEADLOCK, RACE};
use shmkern::sync::faults::{inject, Fault};
use shmkern::{ParOptions, Pool};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

fn pool() -> Pool {
    Pool::builder()
        .threads(2)
        .spin(Duration::ZERO)
        .inline_below(0)
        .build()
        .unwrap()
}

fn one_per_chunk() -> ParOptions<'static> {
    ParOptions {
        chunk_len: Some(1),
        ..ParOptions::default()
    }
}

/// A broadcast must run on the worker too, however the worker's decision to sleep interleaves with
/// the call's publication: a lost wake-up is a deadlock.
fn broadcast_reaches_worker() {
    let pool = pool();
    let ran = AtomicUsize::new(0);
    pool.broadcast(|p| {
        ran.fetch_or(1 << p, Relaxed);
    });
    assert_eq!(ran.load(Relaxed), 0b11);
}

#[test]
fn pool_call_publication_no_lost_wakeup() {
    loom::model(broadcast_reaches_worker);
}

#[test]
fn twin_pool_publication_without_fences_is_rejected() {
    expect_rejected(
        "twin_pool_publication_without_fences_is_rejected",
        &[DEADLOCK],
        || {
            let _bug = inject(Fault::EventCountNoFence);
            loom::model(broadcast_reaches_worker);
        },
    );
}

/// Two participants reduce three chunks; the caller reads every partial (loom cells) after the call.
fn reduce_sees_partials() {
    let pool = pool();
    let data = [1u32, 2, 3];
    let sum = pool
        .reduce_with(&data, one_per_chunk(), |c| c[0], |a, b| a + b)
        .unwrap();
    assert_eq!(sum, 6);
}

#[test]
fn pool_reduce_completes_with_every_partial() {
    loom::model(reduce_sees_partials);
}

#[test]
fn twin_close_without_waiting_is_rejected() {
    expect_rejected(
        "twin_close_without_waiting_is_rejected",
        &[RACE, "every chunk produced a partial"],
        || {
            let _bug = inject(Fault::CloseSkipsWait);
            loom::model(reduce_sees_partials);
        },
    );
}

/// A chunk panics: the call re-raises it on the caller after the call's bookkeeping completed, and
/// the next call on the same pool (same slot, same ranges) is correct.
fn panic_completes_bookkeeping() {
    let pool = pool();
    let data = [1u32, 2];
    let r = catch_unwind(AssertUnwindSafe(|| {
        pool.reduce_with(
            &data,
            one_per_chunk(),
            |c| {
                assert!(c[0] != 2, "chunk 1 fails");
                c[0]
            },
            |a, b| a + b,
        )
    }));
    assert!(r.is_err(), "the panic reaches the caller");
    let sum = pool
        .reduce_with(&data, one_per_chunk(), |c| c[0], |a, b| a + b)
        .unwrap();
    assert_eq!(sum, 3);
}

#[test]
fn pool_panicking_chunk_completes_bookkeeping() {
    loom::model(panic_completes_bookkeeping);
}

#[test]
fn twin_panic_that_forgets_to_leave_is_rejected() {
    expect_rejected(
        "twin_panic_that_forgets_to_leave_is_rejected",
        &[DEADLOCK],
        || {
            let _bug = inject(Fault::PanicForgetsLeave);
            loom::model(panic_completes_bookkeeping);
        },
    );
}

/// Dropping a pool whose worker is asleep (or about to be) wakes and joins it.
fn shutdown() {
    drop(pool());
}

#[test]
fn pool_shutdown_while_worker_sleeps() {
    loom::model(shutdown);
}

#[test]
fn twin_shutdown_without_wake_is_rejected() {
    expect_rejected(
        "twin_shutdown_without_wake_is_rejected",
        &[DEADLOCK],
        || {
            let _bug = inject(Fault::ShutdownNoNotify);
            loom::model(shutdown);
        },
    );
}

/// A task's `Future` registers its waker while the worker completes the task: the waker is woken
/// or the result seen (loom's `block_on` deadlocks on a lost wake-up).
fn task_future() {
    let pool = pool();
    let task = pool.spawn(|| 7u32);
    assert_eq!(loom::future::block_on(task), Ok(7));
}

#[test]
fn pool_task_future_wakes() {
    loom::model(task_future);
}

#[test]
fn twin_task_waker_taken_early_is_rejected() {
    expect_rejected(
        "twin_task_waker_taken_early_is_rejected",
        &[DEADLOCK],
        || {
            let _bug = inject(Fault::TaskWakerBeforeDone);
            loom::model(task_future);
        },
    );
}

/// A task spawns a task and joins it while the pool's only worker is busy with the outer task (the
/// issue's reproduction): the worker's join must run the queued inner task itself. The caller, a
/// thread outside the pool, only waits for the outer task; the pool is dropped at the end, so the
/// worker's later sleep and shutdown are explored too.
fn nested_join() {
    let pool = std::sync::Arc::new(pool());
    let p = std::sync::Arc::clone(&pool);
    let outer = pool.spawn(move || p.spawn(|| 7u32).join());
    assert_eq!(outer.join(), Ok(Ok(7)));
}

#[test]
fn pool_nested_join_helps_while_waiting() {
    loom::model(nested_join);
}

#[test]
fn twin_nested_join_without_helping_is_rejected() {
    expect_rejected(
        "twin_nested_join_without_helping_is_rejected",
        &[DEADLOCK],
        || {
            let _bug = inject(Fault::JoinSkipsHelping);
            loom::model(nested_join);
        },
    );
}

/// Inside a broadcast both participants spawn a task and join it: the caller (participant 0, not a
/// worker) and the worker each help while they wait — either may run either task — and no
/// interleaving deadlocks, nor does the worker run the broadcast twice (its join skips the call it
/// is in). With `JoinSkipsHelping` both wait for ever; that fault's twin is the cheaper model above.
fn nested_join_in_broadcast() {
    let pool = pool();
    let sum = AtomicUsize::new(0);
    pool.broadcast(|i| {
        let v = pool.spawn(move || i + 1).join().unwrap();
        sum.fetch_add(v, Relaxed);
    });
    assert_eq!(sum.load(Relaxed), 3);
}

#[test]
fn pool_nested_join_in_broadcast_helps() {
    loom::model(nested_join_in_broadcast);
}
