//! The worker pool: persistent workers, the calling thread taking part in data-parallel calls, tasks
//! with handles. Protocols (call publication, sleep/wake, completion, panics, shutdown): `README.md`
//! beside this file and `docs/design.md`.

mod builder;
mod call;
mod metrics;
mod par;
mod task;
mod worker;

pub use builder::Builder;
pub use metrics::WorkerMetrics;
#[cfg(not(shmkern_loom))]
pub(crate) use par::tree_merge;
pub use par::ParOptions;
pub use task::{CancelToken, Task, TaskError};

use crate::error::Error;
#[cfg(not(shmkern_loom))]
use crate::kernels::{Prefetch, VariantChoice};
use crate::sync::atomic::{
    AtomicU32, AtomicUsize,
    Ordering::{Relaxed, Release},
};
use crate::sync::{thread, Arc, EventCount, Mutex};
use call::{CallSlot, ChunkFn, Payload};
use crossbeam_utils::CachePadded;
use metrics::Metrics;
use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;
use task::Queued;

/// Data-parallel calls that can run at once; a call that finds every slot taken runs inline on its
/// caller (correct, just not parallel). Four covers several concurrent callers on any machine we
/// target; under loom one slot keeps the state space small.
const CALL_SLOTS: usize = if cfg!(shmkern_loom) { 1 } else { 4 };

#[cfg(not(shmkern_loom))]
std::thread_local! {
    /// The `Inner` address of the pool whose worker this thread is (0: none).
    static WORKER_OF: Cell<usize> = const { Cell::new(0) };
}
// loom runs its threads as coroutines on one OS thread: a std thread-local would be shared by them.
#[cfg(shmkern_loom)]
loom::thread_local! {
    static WORKER_OF: Cell<usize> = Cell::new(0);
}

pub(crate) struct Inner {
    participants: usize,
    calls: Box<[CachePadded<CallSlot>]>,
    sleep: EventCount,
    /// 0 while running; 1 once the pool is being dropped.
    shutdown: AtomicU32,
    tasks: Mutex<VecDeque<Box<dyn Queued>>>,
    /// Length of `tasks`, readable without the lock (a hint for idle workers).
    queued: AtomicUsize,
    metrics: Metrics,
    spin: Duration,
    inline_below: usize,
    /// From which input size the kernels stream, and which of them prefetch (speed only, never a
    /// result bit).
    #[cfg(not(shmkern_loom))]
    variant_choice: VariantChoice,
}

impl Inner {
    fn lock_tasks(&self) -> crate::sync::MutexGuard<'_, VecDeque<Box<dyn Queued>>> {
        // Tasks run outside the lock and the queue is consistent at every unlock: poison is harmless.
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push_task(&self, t: Box<dyn Queued>) {
        {
            let mut q = self.lock_tasks();
            q.push_back(t);
            self.queued.store(q.len(), Relaxed);
        }
        // The condition (`queued`) is stored before `notify`'s fence: the event-count protocol.
        self.sleep.notify(1);
    }

    fn pop_task(&self) -> Option<Box<dyn Queued>> {
        if self.queued.load(Relaxed) == 0 {
            return None;
        }
        let mut q = self.lock_tasks();
        let t = q.pop_front();
        self.queued.store(q.len(), Relaxed);
        t
    }

    /// Whether an idle worker has something to do. Loaded after `prepare_wait`'s fence, so a
    /// condition stored before a `notify` is seen or the notification is (event-count protocol).
    fn has_work(&self, seen: &[u64]) -> bool {
        self.shutdown.load(Relaxed) != 0
            || self.queued.load(Relaxed) != 0
            || self.calls.iter().zip(seen).any(|(j, s)| j.has_news(*s))
    }
}

/// A pool of persistent worker threads; the thread that calls a data-parallel method works too, so
/// a pool of `N` participants runs `N − 1` background threads.
///
/// - Data-parallel calls: [`reduce`](Pool::reduce), [`for_each_chunk_mut`](Pool::for_each_chunk_mut),
///   [`broadcast`](Pool::broadcast). Several threads may call at once; each call's claims,
///   completion and wake-ups are atomics and futexes only.
/// - Tasks: [`spawn`](Pool::spawn) → [`Task`] (join, timeout, cancel, `Future`), [`map`](Pool::map).
///
/// # Failure isolation
///
/// A panic in a task or in a chunk never kills a worker. A task's handle returns
/// `Err(TaskError::Panicked(message))`; a data-parallel call stops handing out chunks and re-raises
/// the first panic on its calling thread, after every participant has stopped touching the caller's
/// data. The pool stays usable either way.
///
/// # Idle workers
///
/// A worker with nothing to do spins for the spin budget ([`Builder::DEFAULT_SPIN`]), then sleeps on a futex
/// and uses no CPU. A new data-parallel call wakes only as many sleepers as it has chunks to share; a
/// call of one chunk wakes none.
///
/// # Shutdown
///
/// Dropping the pool **cancels** queued tasks that no worker has started (their handles return
/// `Err(TaskError::Cancelled)`), lets running tasks finish, then wakes and joins every worker: no
/// thread outlives the pool. (If the last handle is dropped by one of the pool's own tasks, that
/// worker cannot join itself: it exits right after the task, detached.)
///
/// # Examples
///
/// ```
/// use shmkern::Pool;
///
/// let pool = Pool::builder().threads(4).build().unwrap();
/// let data: Vec<f64> = (0..200_000).map(|i| i as f64).collect();
/// let max = pool.reduce(&data, |c| c.iter().copied().fold(f64::MIN, f64::max), f64::max);
/// assert_eq!(max, 199_999.0);
/// assert_eq!(pool.threads(), 4);
/// ```
pub struct Pool {
    inner: Arc<Inner>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl Pool {
    /// A pool sized to `std::thread::available_parallelism()`, with default settings.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::new()?;
    /// let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// assert_eq!(pool.threads(), cpus);
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn new() -> Result<Pool, Error> {
        Builder::default().build()
    }

    /// A [`Builder`] to configure a pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build()?;
    /// assert_eq!(pool.threads(), 2);
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Participants: the calling thread plus the workers.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    /// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    ///
    /// let pool = Pool::builder().threads(3).build().unwrap();
    /// let ran = AtomicUsize::new(0);
    /// pool.broadcast(|_| {
    ///     ran.fetch_add(1, Relaxed);
    /// });
    /// assert_eq!(ran.load(Relaxed), pool.threads()); // the caller and 2 workers
    /// ```
    pub fn threads(&self) -> usize {
        self.inner.participants
    }

    /// Which kernels prefetch on streaming input in this pool's calls ([`Builder::prefetch`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{kernels::Prefetch, Pool};
    ///
    /// assert_eq!(Pool::builder().threads(1).build().unwrap().prefetch(), Prefetch::detect());
    /// ```
    #[cfg(not(shmkern_loom))]
    pub fn prefetch(&self) -> Prefetch {
        self.inner.variant_choice.prefetch
    }

    /// From which input size, in bytes, this pool's calls take the streaming kernels
    /// ([`Builder::stream_bytes`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{kernels, Pool};
    ///
    /// let pool = Pool::builder().threads(1).build().unwrap();
    /// assert_eq!(pool.stream_bytes(), kernels::stream_bytes());
    /// ```
    #[cfg(not(shmkern_loom))]
    pub fn stream_bytes(&self) -> usize {
        self.inner.variant_choice.bytes
    }

    /// [`stream_bytes`](Pool::stream_bytes) and [`prefetch`](Pool::prefetch) together, as the
    /// kernels take them.
    #[cfg(not(shmkern_loom))]
    pub(crate) fn variant_choice(&self) -> VariantChoice {
        self.inner.variant_choice
    }

    /// Runs `f` on a worker; the [`Task`] handle joins it, times out, cancels it or `.await`s it.
    /// With one participant (no workers) the task runs at once on the calling thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let caller = std::thread::current().id();
    /// assert_ne!(pool.spawn(|| std::thread::current().id()).join(), Ok(caller)); // on the worker
    /// let solo = Pool::builder().threads(1).build().unwrap();
    /// let task = solo.spawn(|| 42);
    /// assert!(task.is_finished()); // no worker: it ran at once, here
    /// assert_eq!(task.join(), Ok(42));
    /// ```
    pub fn spawn<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> Task<R> {
        self.spawn_cancellable(move |_| f())
    }

    /// Like [`spawn`](Pool::spawn); the task receives a [`CancelToken`] that [`Task::cancel`] sets
    /// while it runs, so long work can stop early.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let (started, running) = std::sync::mpsc::channel();
    /// let task = pool.spawn_cancellable(move |token| {
    ///     started.send(()).unwrap();
    ///     while !token.is_cancelled() {
    ///         std::thread::yield_now();
    ///     }
    ///     "stopped early"
    /// });
    /// running.recv().unwrap();
    /// assert!(!task.cancel()); // it runs already: `cancel` only sets its token
    /// assert_eq!(task.join(), Ok("stopped early"));
    /// ```
    pub fn spawn_cancellable<R: Send + 'static>(
        &self,
        f: impl FnOnce(&CancelToken) -> R + Send + 'static,
    ) -> Task<R> {
        let (queued, handle) = task::new_task(f);
        if self.workers.is_empty() {
            queued.run(self.inner.metrics.get(0));
        } else {
            self.inner.push_task(queued);
        }
        handle
    }

    /// Runs `f` on every item as tasks and returns the results in input order.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
    /// let lens = pool.map(vec!["a", "bb", "ccc"], |s| s.len());
    /// assert_eq!(lens, vec![Ok(1), Ok(2), Ok(3)]);
    /// ```
    pub fn map<T, R, F>(
        &self,
        items: impl IntoIterator<Item = T>,
        f: F,
    ) -> Vec<Result<R, TaskError>>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(T) -> R + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let tasks: Vec<Task<R>> = items
            .into_iter()
            .map(|item| {
                let f = f.clone();
                self.spawn(move || f(item))
            })
            .collect();
        tasks.into_iter().map(Task::join).collect()
    }

    /// Per-participant counters (participant 0: the calling threads).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{Pool, sched::CHUNK_LEN};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let data = vec![1u64; 4 * CHUNK_LEN];
    /// assert_eq!(pool.reduce(&data, |c| c.iter().sum::<u64>(), |a, b| a + b), data.len() as u64);
    /// let m = pool.metrics();
    /// assert_eq!(m.len(), 2);
    /// assert_eq!(m.iter().map(|w| w.chunks_run).sum::<u64>(), 4); // each chunk run once
    /// ```
    pub fn metrics(&self) -> Vec<WorkerMetrics> {
        self.inner.metrics.snapshot()
    }

    fn runs_inline(&self, elements: usize) -> bool {
        self.inner.participants == 1 || elements < self.inner.inline_below
    }

    fn is_own_worker(&self) -> bool {
        WORKER_OF.with(|w| w.get()) == Arc::as_ptr(&self.inner) as usize
    }

    /// Runs `f(k)` for `k < chunks` (or once per participant if `broadcast`) on a call slot, the
    /// caller taking part; inline if every slot is taken (a broadcast waits for a slot instead).
    fn run_chunks(&self, broadcast: bool, chunks: u32, f: &ChunkFn<'_>) -> Result<(), Payload> {
        let inner = &*self.inner;
        let workers = inner.participants - 1;
        let wake = if broadcast {
            usize::MAX
        } else {
            (chunks as usize).saturating_sub(1).min(workers)
        };
        let backoff = crossbeam_utils::Backoff::new();
        loop {
            for slot in inner.calls.iter() {
                if slot.try_acquire() {
                    return slot.run(
                        &inner.sleep,
                        broadcast,
                        chunks,
                        wake,
                        f,
                        inner.metrics.get(0),
                    );
                }
            }
            if !broadcast {
                (0..chunks).for_each(f);
                return Ok(());
            }
            backoff.snooze();
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let inner = &*self.inner;
        inner.shutdown.store(1, Release);
        if !crate::sync::fault(crate::sync::FaultId::ShutdownNoNotify) {
            inner.sleep.notify_all();
        }
        let queued: Vec<_> = {
            let mut q = inner.lock_tasks();
            inner.queued.store(0, Relaxed);
            q.drain(..).collect()
        };
        for t in queued {
            t.cancel();
        }
        let me = thread::current().id();
        for w in self.workers.drain(..) {
            if w.thread().id() == me {
                // The pool is dropped by one of its own tasks (which held the last `Arc<Pool>`): a
                // thread cannot join itself. It leaves its loop after this task, having seen
                // `shutdown`; its handle is detached.
                continue;
            }
            // Workers catch every panic of the work they run; an Err here would be a bug in the loop.
            let _ = w.join();
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("threads", &self.threads())
            .field("queued_tasks", &self.inner.queued.load(Relaxed))
            .finish()
    }
}

#[cfg(not(shmkern_loom))]
static GLOBAL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();

/// The process-wide pool, created on first use with [`Pool::new`]'s settings. If its threads cannot
/// be started, it falls back to a pool of one participant (everything runs on the caller) rather
/// than failing.
///
/// # Examples
///
/// ```
/// let pool = shmkern::global();
/// assert!(std::ptr::eq(pool, shmkern::global())); // one pool per process
/// assert!(pool.threads() >= 1);
/// assert_eq!(pool.sum_int(&[1u8, 2, 3]), 6);
/// ```
#[cfg(not(shmkern_loom))]
pub fn global() -> &'static Pool {
    GLOBAL.get_or_init(|| {
        Pool::new().unwrap_or_else(|_| {
            Pool::builder()
                .threads(1)
                .build()
                .expect("a one-participant pool starts no thread")
        })
    })
}

// Small end-to-end checks of the unsafe paths (call pointer hand-off, disjoint chunk slices, task
// result cells); heap memory only, so they also run under Miri.
#[cfg(all(test, not(shmkern_loom)))]
mod tests {
    use super::*;
    use std::panic::AssertUnwindSafe;
    use std::sync::atomic::AtomicU64;

    fn small_pool() -> Pool {
        Pool::builder()
            .threads(2)
            .spin(Duration::from_micros(20))
            .inline_below(0)
            .build()
            .unwrap()
    }

    #[test]
    fn data_parallel_calls() {
        let pool = small_pool();
        let opts = ParOptions {
            chunk_len: Some(2),
            ..ParOptions::default()
        };
        let data: Vec<u64> = (1..=9).collect();
        let order = pool
            .reduce_with(
                &data,
                opts,
                |c| format!("{}", c[0]),
                |a, b| format!("({a}{b})"),
            )
            .unwrap();
        // Chunks [1,2] [3,4] [5,6] [7,8] [9]: the docs/numerics.md §1 tree (((0 1)(2 3)) 4).
        assert_eq!(order, "(((13)(57))9)");
        let sum = pool.reduce_with(&data, opts, |c| c.iter().sum::<u64>(), |a, b| a + b);
        assert_eq!(sum.unwrap(), 45);
        let mut v = vec![1u32; 7];
        pool.for_each_chunk_mut(&mut v, 3, |off, c| {
            c.iter_mut().for_each(|x| *x += off as u32)
        })
        .unwrap();
        assert_eq!(v, [1, 1, 1, 4, 4, 4, 7]);
        let seen = AtomicU64::new(0);
        pool.broadcast(|p| {
            seen.fetch_or(1 << p, Relaxed);
        });
        assert_eq!(seen.load(Relaxed), 0b11);
    }

    #[test]
    fn panics_are_isolated() {
        let pool = small_pool();
        let data = [1u8, 2, 3, 4];
        let opts = ParOptions {
            chunk_len: Some(1),
            ..ParOptions::default()
        };
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
            pool.reduce_with(&data, opts, |c| assert_ne!(c[0], 3), |_, _| ())
        }));
        assert!(r.is_err());
        assert_eq!(
            pool.spawn(|| panic!("boom")).join(),
            Err(TaskError::Panicked("boom".into()))
        );
        assert_eq!(pool.spawn(|| 5).join(), Ok(5));
        let total = pool.reduce_with(&data, opts, |c| u32::from(c[0]), |a, b| a + b);
        assert_eq!(total.unwrap(), 10);
    }
}
