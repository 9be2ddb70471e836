//! The futex under loom (loom builds only): same signatures, run by the portable in-process fallback
//! (`parking.rs`, the futex that non-Linux builds ship) on loom's `Mutex` and `Condvar`, so protocols
//! built on `wait`/`wake` are model-checked — a lost wake-up shows up as a loom deadlock — and so is
//! the fallback itself (the twin `twin_futex_unchecked_sleep_is_rejected` breaks it).
//!
//! The value is checked under the bucket lock, as the kernel checks it under its hash-bucket lock;
//! nothing adds a fence beyond that lock (loom explores the fast paths where no thread ever reaches
//! the futex, and those carry the protocol's own orderings).
//!
//! [`Mode`] switches the mock to misbehave in the ways the contract allows, so callers are checked to
//! re-check: [`Mode::Spurious`] returns `Woken` at once without sleeping; [`Mode::TimeoutsExpire`]
//! makes every wait that has a timeout return `TimedOut` at once. (loom's `Condvar::wait_timeout`
//! never times out, so a faithful timed wait is modelled as an untimed one.)

use super::{parking, Scope, WaitResult};
use crate::sync::atomic::{AtomicU32, Ordering::Relaxed};
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

pub(super) fn wait(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<Duration>,
    scope: Scope,
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
    // Faithful: the portable fallback itself, on loom's primitives. Its timed wait would reach
    // loom's `Condvar::wait_timeout`, which never times out, and read the real clock: the timeout
    // is dropped here instead (the module docs).
    let _ = timeout;
    parking::wait(word, expected, None, scope)
}

pub(super) fn wake(word: &AtomicU32, n: usize, scope: Scope) -> usize {
    parking::wake(word, n, scope)
}
