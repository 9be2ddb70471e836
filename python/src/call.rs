//! Running one kernel call: the pool, the GIL released, Ctrl-C, errors.
//!
//! Every call releases the GIL while it computes, so other Python threads run meanwhile. A long
//! call (at least [`WATCHED_BYTES`] of input) computes on a helper thread while the calling thread
//! wakes every [`SIGNAL_POLL`] to run Python's signal handlers: a `KeyboardInterrupt` (Ctrl-C)
//! cancels the call through its `CancelToken`, which the pool checks at chunk boundaries, and is
//! raised once the helper has stopped. Short calls compute on the calling thread: a helper thread
//! would cost more than the call, and a Ctrl-C during it is handled when it returns, as for any
//! other short call.

use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use shmkern::{CancelToken, ParOptions, Pool};
use shmkern_bindings::MAX_THREADS;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Input size from which a call is watched for Ctrl-C (about a millisecond of reading).
const WATCHED_BYTES: usize = 8 << 20;
/// How often a watched call looks for a pending signal.
const SIGNAL_POLL: Duration = Duration::from_millis(20);
/// The pool for `threads` participants (the core count when `None`): shared with the other
/// calls of this process that ask for as many (shmkern_bindings::pool).
pub(crate) fn pool(threads: Option<usize>) -> PyResult<&'static Pool> {
    if let Some(n) = threads {
        if n == 0 || n > MAX_THREADS {
            return Err(PyValueError::new_err(format!(
                "threads: {n} is not between 1 and {MAX_THREADS}"
            )));
        }
    }
    shmkern_bindings::pool(threads)
        .map_err(|e| PyOSError::new_err(format!("could not start shmkern's worker threads: {e}")))
}

/// A shmkern error as the Python exception that fits it.
pub(crate) fn error(e: shmkern::Error) -> PyErr {
    if e.io_kind().is_some() {
        PyOSError::new_err(e.to_string())
    } else {
        PyValueError::new_err(e.to_string())
    }
}

/// Runs `f` with the GIL released, on the calling thread or, for an input of `bytes` at least
/// [`WATCHED_BYTES`], on a helper thread watched for Ctrl-C (module docs). `f` gets the options
/// to pass to the pool (the cancel token of a watched call).
pub(crate) fn compute<R: Send>(
    py: Python<'_>,
    bytes: usize,
    f: impl FnOnce(ParOptions<'_>) -> Result<R, shmkern::Error> + Send,
) -> PyResult<R> {
    if bytes < WATCHED_BYTES {
        return py.detach(|| f(ParOptions::default())).map_err(error);
    }
    let token = CancelToken::new();
    // Set by the helper when it has its result; the waiting loop sleeps on the condvar.
    let done = (Mutex::new(false), Condvar::new());
    std::thread::scope(|s| {
        let (token, done) = (&token, &done);
        let helper = s.spawn(move || {
            let out = f(ParOptions {
                cancel: Some(token),
                ..ParOptions::default()
            });
            *done.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
            done.1.notify_all();
            out
        });
        let mut interrupt = None;
        loop {
            let finished = py.detach(|| {
                let flag = done.0.lock().unwrap_or_else(|e| e.into_inner());
                let (flag, _) = done
                    .1
                    .wait_timeout_while(flag, SIGNAL_POLL, |finished| !*finished)
                    .unwrap_or_else(|e| e.into_inner());
                *flag
            }) || helper.is_finished();
            if finished {
                break;
            }
            if let Err(e) = py.check_signals() {
                token.cancel();
                // Says where the exception came from: from inside the call, which stopped early.
                // Best effort: notes need Python 3.11; the exception itself is what matters.
                let _ = e.value(py).call_method1(
                    "add_note",
                    ("shmkern: the call was cancelled at a chunk boundary",),
                );
                interrupt = Some(e);
                break;
            }
        }
        // Joined with the GIL released: the helper never needs the GIL, and after a cancel it
        // stops at the next chunk boundary.
        let out = py.detach(|| helper.join());
        match (interrupt, out) {
            (Some(e), _) => Err(e),
            (None, Ok(result)) => result.map_err(|e| {
                if e.is_cancelled() {
                    PyKeyboardInterrupt::new_err("cancelled")
                } else {
                    error(e)
                }
            }),
            (None, Err(_)) => Err(PyRuntimeError::new_err(
                "shmkern: a kernel panicked (a bug; please report it)",
            )),
        }
    })
}
