//! shmkern: lock-free shared-memory compute kernels — the `worker_threads` + `SharedArrayBuffer` +
//! `Atomics.wait/notify` toolkit, done for Rust programs that need it fast and deterministic.
//!
//! This release holds the foundation the pool, kernels and cross-process jobs are built on:
//!
//! - **Wait/notify**: [`futex`] — `wait`, `wake`, `wake_one`, `wake_all` on an `AtomicU32`, shared
//!   across processes on Linux, with timeouts and a [`spin_then_wait`](futex::spin_then_wait) helper.
//! - **Completion**: [`Latch`] — a count-down latch of two atomics that can live in a shared mapping.
//! - **Scheduling**: [`ChunkGrid`] — fixed chunks determined by the length alone; [`WorkRanges`] —
//!   per-participant ranges of chunk indices with one CAS per claim and work stealing, reusable round
//!   after round.
//!
//! # Guarantees
//!
//! - Every chunk of a [`WorkRanges`] round is claimed exactly once, under any interleaving (loom
//!   models in `loom-tests/`, property tests in `tests/`).
//! - The chunk grid never depends on the thread count, so reductions built on it can be bit-identical
//!   for every thread count (`docs/design.md`).
//! - Nothing here panics on bad sizes: constructors return [`Error`].
//! - Cross-process use needs Linux ([`futex::CROSS_PROCESS`]); elsewhere the futex is an in-process
//!   fallback.
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(missing_debug_implementations)]

#[cfg(not(target_has_atomic = "64"))]
compile_error!("shmkern needs lock-free 64-bit atomics (its chunk ranges are packed AtomicU64s)");

#[cfg(not(shmkern_loom))]
pub mod buffer;
mod error;
#[cfg(not(shmkern_loom))]
pub mod job;
/// Under loom, only the job's chunk table and participant protocol (what the loom models check).
#[cfg(shmkern_loom)]
pub mod job {
    #[doc(hidden)]
    pub mod members;
    #[doc(hidden)]
    pub mod table;
}
#[cfg(not(shmkern_loom))]
pub mod kernels;
mod pool;
mod sched;
mod sync;

#[cfg(not(shmkern_loom))]
pub use buffer::SharedBuffer;
pub use error::Error;
#[cfg(not(shmkern_loom))]
pub use kernels::{checked_sum, stats, sum, Stats};
#[cfg(not(shmkern_loom))]
pub use pool::global;
pub use pool::{
    Builder, CancelToken, ParOptions, Pool, Task, TaskError, WorkerMetrics, DEFAULT_INLINE_BELOW,
    DEFAULT_SPIN,
};
pub use sched::{
    ChunkGrid, Claimer, Round, WorkRanges, BLOCK_LEN, CHUNK_BLOCKS, CHUNK_LEN, MAX_CHUNKS,
    MAX_PARTICIPANTS,
};
pub use sync::futex;
pub use sync::{EventCount, Key, Latch, TimedOut};

/// `docs/guarantees.md`, compiled so that its examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guarantees.md")]
struct GuaranteesDoc;

/// `README.md`, compiled so that its library example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoc;

/// Deliberate bugs for the loom models' broken twins (loom builds only; see `src/sync/faults.rs`).
#[cfg(shmkern_loom)]
pub use sync::faults;
