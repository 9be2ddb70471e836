//! Per-participant counters, kept with `Relaxed` atomics on cache-padded slots: they order nothing
//! and are read only as statistics.

use crate::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crossbeam_utils::CachePadded;
use std::time::Duration;

/// One participant's counters (participant 0 is every calling thread together).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    tasks: AtomicU64,
    chunks: AtomicU64,
    stolen: AtomicU64,
    busy_ns: AtomicU64,
    sleeps: AtomicU64,
    inline_calls: AtomicU64,
}

impl Counters {
    pub(crate) fn add_chunks(&self, chunks: u64, stolen: u32) {
        if chunks > 0 {
            self.chunks.fetch_add(chunks, Relaxed);
        }
        if stolen > 0 {
            self.stolen.fetch_add(u64::from(stolen), Relaxed);
        }
    }
    /// A data-parallel call of `chunks` chunks that ran on its caller alone.
    pub(crate) fn add_inline_call(&self, chunks: u64) {
        self.inline_calls.fetch_add(1, Relaxed);
        self.add_chunks(chunks, 0);
    }
    pub(crate) fn add_task(&self) {
        self.tasks.fetch_add(1, Relaxed);
    }
    pub(crate) fn add_busy(&self, d: Duration) {
        self.busy_ns
            .fetch_add(d.as_nanos().min(u128::from(u64::MAX)) as u64, Relaxed);
    }
    pub(crate) fn add_sleep(&self) {
        self.sleeps.fetch_add(1, Relaxed);
    }
    fn snapshot(&self, index: usize) -> WorkerMetrics {
        WorkerMetrics {
            index,
            tasks_run: self.tasks.load(Relaxed),
            chunks_run: self.chunks.load(Relaxed),
            chunks_stolen: self.stolen.load(Relaxed),
            busy: Duration::from_nanos(self.busy_ns.load(Relaxed)),
            sleeps: self.sleeps.load(Relaxed),
            inline_calls: self.inline_calls.load(Relaxed),
        }
    }
}

/// Counters of every participant.
#[derive(Debug)]
pub(crate) struct Metrics(Box<[CachePadded<Counters>]>);

impl Metrics {
    pub(crate) fn new(participants: usize) -> Self {
        Self((0..participants).map(|_| CachePadded::default()).collect())
    }
    pub(crate) fn get(&self, index: usize) -> &Counters {
        &self.0[index]
    }
    pub(crate) fn snapshot(&self) -> Vec<WorkerMetrics> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, c)| c.snapshot(i))
            .collect()
    }
}

/// A snapshot of one participant's counters, from [`Pool::metrics`](crate::Pool::metrics).
/// Participant 0 is the calling threads (all of them together); 1.. are the pool's workers.
///
/// # Examples
///
/// ```
/// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
/// pool.spawn(|| ()).join().unwrap();
/// let m = pool.metrics();
/// assert_eq!((m[0].index, m[1].index), (0, 1));
/// assert_eq!(m[1].tasks_run, 1); // the task ran on worker 1, counted before `join` returned
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerMetrics {
    /// Participant index.
    pub index: usize,
    /// Tasks (from `spawn`) run to the end, panicked ones included.
    pub tasks_run: u64,
    /// Chunks of data-parallel calls run (a broadcast counts one per participant).
    pub chunks_run: u64,
    /// Chunks claimed by stealing from another participant's range.
    pub chunks_stolen: u64,
    /// Time spent running tasks and data-parallel work: the workers', and for participant 0 the
    /// calling threads' own share — their chunks of data-parallel calls (inline calls whole), and
    /// the tasks they ran themselves (a one-participant pool's, and those a join in a data-parallel
    /// call ran while it waited). Work nested in other work is counted once.
    pub busy: Duration,
    /// Times the worker went to sleep on the futex after its spin budget ran out.
    pub sleeps: u64,
    /// Participant 0 only: data-parallel calls that ran on their caller alone — small inputs
    /// ([`Builder::inline_below`](crate::Builder::inline_below)), one chunk, a one-participant
    /// pool, or every call slot taken. Their chunks are in `chunks_run`.
    ///
    /// ```
    /// let solo = shmkern::Pool::builder().threads(1).build().unwrap();
    /// let data = vec![1.0f64; 4 * shmkern::sched::CHUNK_LEN];
    /// assert_eq!(solo.sum_float(&data), data.len() as f64);
    /// let m = solo.metrics()[0];
    /// assert_eq!((m.inline_calls, m.chunks_run), (1, 4));
    /// assert!(m.busy > std::time::Duration::ZERO);
    /// ```
    pub inline_calls: u64,
}
