//! Errors for JavaScript: index.js turns a message tagged `[TypeError]`, `[RangeError]` or
//! `[AbortError]` into that class of error; anything else stays an `Error`.

use napi::{Error, Status};

/// A wrong type of argument: a `TypeError` in JavaScript.
pub(crate) fn type_error(msg: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, format!("[TypeError] {msg}"))
}

/// A value out of its range, or inputs that do not fit together: a `RangeError` in JavaScript.
pub(crate) fn range_error(msg: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, format!("[RangeError] {msg}"))
}

/// A shmkern error: cancelled (the call's `AbortSignal` fired), or a bad input (`RangeError`:
/// unequal lengths, a key past the group count, …), or an I/O failure (`Error`).
pub(crate) fn from_shmkern(e: shmkern::Error) -> Error {
    if e.is_cancelled() {
        aborted()
    } else if e.io_kind().is_some() {
        Error::new(Status::GenericFailure, e.to_string())
    } else {
        range_error(e)
    }
}

/// A call stopped by its `AbortSignal`: index.js rejects with the signal's reason.
pub(crate) fn aborted() -> Error {
    Error::new(
        Status::Cancelled,
        "[AbortError] the call was cancelled at a chunk boundary",
    )
}
