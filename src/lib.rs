//! shmkern: lock-free shared-memory compute kernels — the `worker_threads` + `SharedArrayBuffer` +
//! `Atomics.wait/notify` toolkit, done for Rust programs that need it fast and reproducible.
//!
//! ```
//! use shmkern::{Pool, SharedBuffer};
//!
//! let pool = Pool::builder().threads(4).build()?; // the calling thread is one of the 4
//! let mut buf = SharedBuffer::<f64>::anonymous(1_000_000)?; // shared memory (a sealed memfd)
//! pool.for_each_chunk_mut(&mut buf, 65_536, |start, chunk: &mut [f64]| {
//!     for (i, x) in chunk.iter_mut().enumerate() {
//!         *x = ((start + i) as f64).sqrt();
//!     }
//! })?;
//! let stats = pool.stats(&buf); // one pass: count, NaN count, sum, min, max, mean, variance
//! assert_eq!(stats, shmkern::stats(&buf)); // the same bits on any thread count
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The parts, by role
//!
//! **What most programs use** is at the crate root:
//!
//! - [`Pool`] and its [`Builder`] — persistent workers sized to the cores, the calling thread
//!   taking part. Data-parallel calls ([`reduce`](Pool::reduce),
//!   [`for_each_chunk_mut`](Pool::for_each_chunk_mut), [`broadcast`](Pool::broadcast)) with
//!   [`ParOptions`] (chunk length, [`CancelToken`], progress); tasks ([`spawn`](Pool::spawn) →
//!   [`Task`]: join, timeout, cancel, `.await`; [`TaskError`]); per-participant
//!   [`WorkerMetrics`]; the process-wide [`global`] pool.
//! - The kernels [`sum`], [`checked_sum`] and [`stats`] (→ [`Stats`]), and the same on a pool
//!   (`Pool::sum_float`, `Pool::sum_int`, `Pool::stats`, …). More in [`kernels`]: the
//!   [`Accuracy`](kernels::Accuracy) of float sums, the element traits, the ISA and prefetch
//!   choices.
//! - [`SharedBuffer`] — typed memory maps (anonymous memfds a child process can attach to, raw and
//!   `.npy` files), read-only or read-write as a type. More in [`buffer`]: dtypes, `.npy` headers,
//!   access hints, and the [`AtomicBuffer`](buffer::AtomicBuffer) that a buffer of `u32`/`u64`
//!   becomes for futex words shared with other threads and processes.
//! - [`Error`] — every fallible call's error: a message naming the cause, and what kind it was.
//! - [`bytemuck`], re-exported: the element types of a [`SharedBuffer`] are `bytemuck::Pod`.
//!
//! **Cross-process jobs**: [`job`] — several processes compute one `stats` or `sum` of a file
//! through a job file of atomics; a participant killed mid-job is detected and its chunks
//! recomputed.
//!
//! **Building blocks** that the pool and jobs are made of, public for programs that build their
//! own protocols on them:
//!
//! - [`sync`] — [`futex`](sync::futex) wait/wake on atomics (across processes on Linux, with
//!   timeouts), the count-down [`Latch`](sync::Latch) and the [`EventCount`](sync::EventCount);
//!   each can live in a shared mapping.
//! - [`sched`] — the [`ChunkGrid`](sched::ChunkGrid) (chunks fixed by the length alone) and the
//!   work-stealing [`WorkRanges`](sched::WorkRanges) (one CAS per claim, round after round).
//!
//! # Guarantees
//!
//! `docs/guarantees.md` states them in full; in short:
//!
//! - **Same bits.** A float reduction's result depends only on the input: the chunk grid is fixed by
//!   the length alone and partials merge in one tree fixed by the chunk count, so `sum` and `stats`
//!   give the same bits for every thread count, claim order, CPU (AVX-512, AVX2, SSE2, portable) and
//!   number of processes. The accuracy of each mode is documented (`docs/numerics.md`).
//! - **Exactly once.** Every chunk of a [`WorkRanges`](sched::WorkRanges) round is claimed exactly
//!   once under any interleaving (loom models in `loom-tests/`, property tests in `tests/`).
//! - **Failures stay contained.** A panicking task fails only its own handle; a panicking chunk is
//!   re-raised on the caller after every participant has stopped touching its data; the pool stays
//!   usable. Bad sizes, bad files and bad job files are [`Error`]s, not panics.
//! - **Cross-process** sharing needs Linux ([`sync::futex::CROSS_PROCESS`]); elsewhere the futex is
//!   an in-process fallback.
//!
//! Protocols are explained beside their code (`src/sync/README.md`, `src/sched/README.md`,
//! `src/pool/README.md`, `src/job/README.md`) and in `docs/design.md`; measured performance is in
//! `docs/performance.md`.
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![deny(clippy::missing_safety_doc)]
#![cfg_attr(not(test), deny(clippy::undocumented_unsafe_blocks))]
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
pub mod sched;
pub mod sync;

#[cfg(not(shmkern_loom))]
pub use buffer::SharedBuffer;
pub use bytemuck;
pub use error::Error;
#[cfg(not(shmkern_loom))]
pub use kernels::Stats;
#[cfg(not(shmkern_loom))]
pub use pool::{checked_sum, global, stats, sum};
pub use pool::{
    Builder, CancelToken, ParOptions, Pool, Scope, ScopedTask, Task, TaskError, WorkerMetrics,
};

/// `docs/guarantees.md`, compiled so that its examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/guarantees.md")]
struct GuaranteesDoc;

/// `README.md`, compiled so that its library example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoc;
