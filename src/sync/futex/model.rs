//! The futex under loom (loom builds only): same signatures, built on a loom `Mutex` + `Condvar` and a
//! [`SleepQueue`], so protocols built on `wait`/`wake` are model-checked — a lost wake-up shows up as
//! a loom deadlock.
//!
//! The value is checked under the queue lock, as the kernel checks it under its hash-bucket lock; the
//! mock adds no fence of its own beyond that lock (loom explores the fast paths where no thread ever
//! reaches the mock, and those carry the protocol's own orderings).
//!
//! [`Mode`] switches the mock to misbehave in the ways the contract allows, so callers are checked to
//! re-check: [`Mode::Spurious`] returns `Woken` at once without sleeping; [`Mode::TimeoutsExpire`]
//! makes every wait that has a timeout return `TimedOut` at once. (loom's `Condvar::wait_timeout`
//! never times out, so a faithful timed wait is modelled as an untimed one.)

use super::queue::SleepQueue;
use super::{Scope, WaitResult};
use crate::sync::atomic::{AtomicU32, Ordering::Relaxed};
use crate::sync::{fault, FaultId};
use loom::sync::{Condvar, Mutex};
use std::cell::Cell;
use std::time::Duration;

/// How the mock behaves in the current `loom::model` run (set with [`set_mode`], thread-local).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Sleeps until chosen by a wake, as the kernel does.
    Faithful,
    /// Every wait whose value matches returns `Woken` at once: a spurious wake-up every time.
    Spurious,
    /// Every wait with a timeout returns `TimedOut` at once (after the value check).
    TimeoutsExpire,
}

std::thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Faithful) };
}

/// Sets the mock's [`Mode`] for this OS thread (and so for the `loom::model` runs it starts);
/// returns the previous one.
pub fn set_mode(mode: Mode) -> Mode {
    MODE.with(|m| m.replace(mode))
}

struct Parking {
    queue: Mutex<SleepQueue>,
    cv: Condvar,
}

loom::lazy_static! {
    static ref PARKING: Parking = Parking { queue: Mutex::new(SleepQueue::new()), cv: Condvar::new() };
}

fn addr(word: &AtomicU32) -> usize {
    word as *const AtomicU32 as usize
}

pub(super) fn wait(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<Duration>,
    _: Scope,
) -> WaitResult {
    match MODE.with(Cell::get) {
        Mode::Spurious => {
            if word.load(Relaxed) != expected {
                return WaitResult::NotEqual;
            }
            loom::thread::yield_now();
            return WaitResult::Woken;
        }
        Mode::TimeoutsExpire if timeout.is_some() => {
            if word.load(Relaxed) != expected {
                return WaitResult::NotEqual;
            }
            return WaitResult::TimedOut;
        }
        _ => {}
    }
    let p = &*PARKING;
    if fault(FaultId::FutexUncheckedSleep) {
        // Broken twin: the check is not atomic with the enqueue, so a wake that lands between the
        // check and the enqueue is lost.
        if word.load(Relaxed) != expected {
            return WaitResult::NotEqual;
        }
        let mut q = p.queue.lock().unwrap();
        let ticket = q.enqueue(addr(word));
        while q.is_queued(ticket) {
            q = p.cv.wait(q).unwrap();
        }
        return WaitResult::Woken;
    }
    let mut q = p.queue.lock().unwrap();
    if word.load(Relaxed) != expected {
        return WaitResult::NotEqual;
    }
    let ticket = q.enqueue(addr(word));
    while q.is_queued(ticket) {
        q = p.cv.wait(q).unwrap();
    }
    WaitResult::Woken
}

pub(super) fn wake(word: &AtomicU32, n: usize, _: Scope) -> usize {
    let p = &*PARKING;
    let woken = p.queue.lock().unwrap().wake(addr(word), n);
    if woken > 0 {
        p.cv.notify_all();
    }
    woken
}
