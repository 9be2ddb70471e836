//! The worker pool: persistent workers, the calling thread taking part in data-parallel calls, tasks
//! with handles. Protocols (call publication, sleep/wake, completion, panics, shutdown): `README.md`
//! beside this file and `docs/design.md`.

mod builder;
mod call;
#[cfg(not(shmkern_loom))]
mod group;
#[cfg(not(shmkern_loom))]
mod histogram;
#[cfg(not(shmkern_loom))]
mod kernels;
mod metrics;
mod par;
#[cfg(not(shmkern_loom))]
mod quantile;
// The kernels (and so `Pool::run`) are not built under loom.
#[cfg(not(shmkern_loom))]
mod run;
mod scope;
mod task;
mod worker;

pub use builder::Builder;
#[cfg(not(shmkern_loom))]
pub use kernels::{checked_sum, stats, sum};
pub use metrics::WorkerMetrics;
pub use par::ParOptions;
pub use scope::{Scope, ScopedTask};
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
use metrics::{Counters, Metrics};
use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};
use task::Queued;

/// Data-parallel calls that can run at once; a call that finds every slot taken runs inline on its
/// caller (correct, just not parallel). Four covers several concurrent callers on any machine we
/// target. Under loom this is the most a model may ask for (`Builder::call_slots`, loom builds
/// only); a pool there has one unless its model asks for more, which keeps the state space small.
const CALL_SLOTS: usize = if cfg!(shmkern_loom) { 2 } else { 4 };

/// What the current thread is to the pools it works in: the worker of one, the caller of a
/// data-parallel call of one, or neither. `Task::join` reads it to decide whether to help while it
/// waits (`README.md` § Helping while waiting). Every field is this thread's alone.
pub(crate) struct Local {
    /// The `Inner` of the pool whose worker this thread is; null on every other thread. Set by
    /// `worker::run` before the worker loop and cleared after it, while the thread holds an `Arc` of
    /// that `Inner`: non-null, it points to a live `Inner`.
    worker_of: Cell<*const Inner>,
    /// This worker's participant index (meaningful while `worker_of` is set).
    me: Cell<usize>,
    /// Per call slot, the last ticket this worker handled, so that it never handles one call twice:
    /// the worker loop and the joins that help while they wait share them.
    seen: [Cell<u64>; CALL_SLOTS],
    /// The `Inner` of the pool whose data-parallel call this thread runs as participant 0 (the
    /// innermost, if calls of several pools nest), or null. Set by `run_chunks` for the call's
    /// duration, while `&Pool` borrows the `Inner`: non-null, it points to a live `Inner`.
    caller_of: Cell<*const Inner>,
    /// How deep this thread is inside timed work ([`run_timed`]): helping nests tasks and chunks
    /// in others, and only the outermost is added to the busy time.
    depth: Cell<u32>,
}

impl Local {
    const fn new() -> Self {
        Self {
            worker_of: Cell::new(std::ptr::null()),
            me: Cell::new(0),
            seen: [const { Cell::new(0) }; CALL_SLOTS],
            caller_of: Cell::new(std::ptr::null()),
            depth: Cell::new(0),
        }
    }
}

#[cfg(not(shmkern_loom))]
std::thread_local! {
    static LOCAL: Local = const { Local::new() };
}
// loom runs its threads as coroutines on one OS thread: a std thread-local would be shared by them.
#[cfg(shmkern_loom)]
loom::thread_local! {
    static LOCAL: Local = Local::new();
}

/// Runs `f` and, if it returns true (it did some work), adds its duration to `counters`' busy time
/// — unless this thread already runs timed work further out: a task or chunk run by a join that
/// helps while it waits is inside another one, whose measurement covers it (counting both would
/// make busy time exceed wall time).
pub(crate) fn run_timed(counters: &Counters, f: impl FnOnce() -> bool) -> bool {
    struct Depth<'a>(&'a Cell<u32>);
    impl Drop for Depth<'_> {
        fn drop(&mut self) {
            self.0.set(self.0.get() - 1);
        }
    }
    LOCAL.with(|l| {
        let outermost = l.depth.get() == 0;
        l.depth.set(l.depth.get() + 1);
        let _depth = Depth(&l.depth);
        let t0 = Instant::now();
        let worked = f();
        if worked && outermost {
            counters.add_busy(t0.elapsed());
        }
        worked
    })
}

/// A thread that may help the pool it waits on: one of its workers, or the caller of one of its
/// data-parallel calls. Made by [`with_helper`] only.
pub(crate) struct Helper<'a> {
    inner: &'a Inner,
    /// `(me, seen)` for a worker; `None` for a caller (participant 0), which helps with tasks only:
    /// index 0 of every call slot belongs to that slot's own caller.
    worker: Option<(usize, &'a [Cell<u64>; CALL_SLOTS])>,
}

/// Calls `f` with a [`Helper`] if this thread may help the pool whose `Inner` is at address `pool`
/// while it waits for one of the pool's tasks — it is one of that pool's workers, or inside one of
/// its data-parallel calls as the caller — and with `None` otherwise (a thread outside the pool,
/// or inside another pool: it only waits).
///
/// A stale `pool` (a task of a pool since dropped, whose `Inner` address now belongs to another
/// pool) can only make a thread help the pool it is really in: such a task has finished, since
/// dropping a pool cancels its queued tasks and joins the workers running the others.
pub(crate) fn with_helper<R>(pool: usize, f: impl FnOnce(Option<&Helper<'_>>) -> R) -> R {
    LOCAL.with(|l| {
        let w = l.worker_of.get();
        if !w.is_null() && w.addr() == pool {
            // SAFETY: a non-null `worker_of` points to the `Inner` that this worker thread holds an
            // `Arc` of until after it clears the field (`worker::run`); `f` runs on this thread,
            // inside that span.
            let inner = unsafe { &*w };
            return f(Some(&Helper {
                inner,
                worker: Some((l.me.get(), &l.seen)),
            }));
        }
        let c = l.caller_of.get();
        if !c.is_null() && c.addr() == pool {
            // SAFETY: a non-null `caller_of` was set by `run_chunks` on this thread, which holds
            // `&Pool` (so the `Inner`) borrowed until it restores the field; `f` runs on this
            // thread inside that call.
            let inner = unsafe { &*c };
            return f(Some(&Helper {
                inner,
                worker: None,
            }));
        }
        f(None)
    })
}

impl Helper<'_> {
    /// Runs one piece of queued work of the pool, if there is any: the awaited task itself if it is
    /// still queued (`own`, the address `Queued::id` gives it; `own_queued`, a hint), else (workers
    /// only) a data-parallel call this worker has not handled yet, else the newest queued task.
    /// Returns whether it ran anything.
    pub(crate) fn help_once(&self, own: usize, own_queued: bool) -> bool {
        let inner = self.inner;
        let me = self.worker.map_or(0, |(me, _)| me);
        let counters = inner.metrics.get(me);
        if own_queued {
            if let Some(t) = inner.take_task(own) {
                t.run(counters);
                return true;
            }
        }
        if let Some((me, seen)) = self.worker {
            for (slot, seen) in inner.calls.iter().zip(seen) {
                if run_timed(counters, || slot.help(me, seen, counters)) {
                    return true;
                }
            }
        }
        if let Some(t) = inner.pop_newest_task() {
            t.run(counters);
            return true;
        }
        false
    }
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
    /// The CPU the latest data-parallel call was published from ([`current_cpu`]), for a spinning
    /// worker to tell whether it shares that CPU (then it yields). Relaxed: a scheduling hint, on
    /// which no data depends.
    #[cfg(not(shmkern_loom))]
    caller_cpu: AtomicU32,
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

    /// The oldest queued task (the worker loop: first in, first out).
    fn pop_task(&self) -> Option<Box<dyn Queued>> {
        self.take_where(|q| q.pop_front())
    }

    /// The newest queued task (a join helping while it waits: the work most likely spawned by the
    /// task it waits for, and the shortest; oldest-first would run the tree breadth-first and nest
    /// ever more waiting tasks on the helper's stack).
    fn pop_newest_task(&self) -> Option<Box<dyn Queued>> {
        self.take_where(|q| q.pop_back())
    }

    /// The queued task whose `Queued::id` is `id`, taken out of the queue; searched from the back,
    /// where a task that spawned and then joins it finds its own child.
    fn take_task(&self, id: usize) -> Option<Box<dyn Queued>> {
        self.take_where(|q| {
            q.iter()
                .rposition(|t| t.id() == id)
                .and_then(|i| q.remove(i))
        })
    }

    fn take_where(
        &self,
        take: impl FnOnce(&mut VecDeque<Box<dyn Queued>>) -> Option<Box<dyn Queued>>,
    ) -> Option<Box<dyn Queued>> {
        // Relaxed: a hint; the mutex orders the queue itself, and a task pushed just now is found by
        // the next look (its pusher also notifies the event count).
        if self.queued.load(Relaxed) == 0 {
            return None;
        }
        let mut q = self.lock_tasks();
        let t = take(&mut q);
        self.queued.store(q.len(), Relaxed);
        t
    }

    /// Whether an idle worker has something to do. Loaded after `prepare_wait`'s fence, so a
    /// condition stored before a `notify` is seen or the notification is (event-count protocol).
    fn has_work(&self, seen: &[Cell<u64>]) -> bool {
        self.shutdown.load(Relaxed) != 0
            || self.queued.load(Relaxed) != 0
            || self
                .calls
                .iter()
                .zip(seen)
                .any(|(j, s)| j.has_news(s.get()))
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
    /// With one participant (no workers) the task runs at once on the calling thread, before
    /// `spawn` returns (so a task that spawns and joins tasks is plain recursion there).
    ///
    /// Tasks may spawn and join tasks of the same pool, to any depth: a join on one of the pool's
    /// workers, or in one of its data-parallel calls, runs queued work while it waits
    /// ([Joining inside the pool](Task#joining-inside-the-pool)).
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
        let (queued, handle) = task::new_task(Arc::as_ptr(&self.inner).addr(), f);
        if self.workers.is_empty() {
            queued.run(self.inner.metrics.get(0));
        } else {
            self.inner.push_task(queued);
        }
        handle
    }

    /// Runs `f` on every item as tasks of a [`scope`](Pool::scope) and returns the results in
    /// input order; items, `f` and the results may borrow from the caller. A panic in `f` fails
    /// only its item's result.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
    /// let lens = pool.map(vec!["a", "bb", "ccc"], |s| s.len());
    /// assert_eq!(lens, vec![Ok(1), Ok(2), Ok(3)]);
    /// // Borrowed items, a borrowing closure.
    /// let rows = vec![vec![1, 2], vec![3, 4, 5]];
    /// let offset = 10;
    /// let sums = pool.map(&rows, |r| r.iter().sum::<i32>() + offset);
    /// assert_eq!(sums, vec![Ok(13), Ok(22)]);
    /// ```
    pub fn map<T, R, F>(
        &self,
        items: impl IntoIterator<Item = T>,
        f: F,
    ) -> Vec<Result<R, TaskError>>
    where
        T: Send,
        R: Send,
        F: Fn(T) -> R + Sync,
    {
        let f = &f;
        self.scope(|s| {
            let tasks: Vec<ScopedTask<'_, R>> = items
                .into_iter()
                .map(|item| s.spawn(move || f(item)))
                .collect();
            tasks.into_iter().map(ScopedTask::join).collect()
        })
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

    /// Runs `f`, a data-parallel call of `chunks` chunks, on the calling thread alone, and counts it
    /// in participant 0's metrics: one inline call, its chunks, and its busy time.
    fn inline<R>(&self, chunks: u64, f: impl FnOnce() -> R) -> R {
        let counters = self.inner.metrics.get(0);
        let mut out = None;
        run_timed(counters, || {
            out = Some(f());
            true
        });
        counters.add_inline_call(chunks);
        out.expect("run_timed runs its closure")
    }

    fn runs_inline(&self, elements: usize) -> bool {
        self.inner.participants == 1 || elements < self.inner.inline_below
    }

    fn is_own_worker(&self) -> bool {
        LOCAL.with(|l| std::ptr::eq(l.worker_of.get(), Arc::as_ptr(&self.inner)))
    }

    /// Runs `f(k)` for `k < chunks` (or once per participant if `broadcast`) on a call slot, the
    /// caller taking part; inline if every slot is taken (a broadcast waits for a slot instead).
    fn run_chunks(&self, broadcast: bool, chunks: u32, f: &ChunkFn<'_>) -> Result<(), Payload> {
        let inner = &*self.inner;
        // For the call's duration this thread is the caller of a call of this pool: a join in the
        // closure (or in a task that such a join runs) helps with the pool's queued tasks.
        let _caller = CallerOf::enter(inner);
        let workers = inner.participants - 1;
        let wake = if broadcast {
            usize::MAX
        } else {
            (chunks as usize).saturating_sub(1).min(workers)
        };
        #[cfg(not(shmkern_loom))]
        inner.caller_cpu.store(current_cpu(), Relaxed);
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
                self.inline(u64::from(chunks), || (0..chunks).for_each(f));
                return Ok(());
            }
            backoff.snooze();
        }
    }
}

/// The CPU this thread runs on now (`sched_getcpu`, a vDSO read on Linux), or `u32::MAX` where
/// that cannot be known (other systems, and Miri, which has no CPUs to tell).
#[cfg(not(shmkern_loom))]
pub(crate) fn current_cpu() -> u32 {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        // SAFETY: sched_getcpu(3) takes no arguments and only returns a number (-1 on failure).
        let cpu = unsafe { libc::sched_getcpu() };
        u32::try_from(cpu).unwrap_or(u32::MAX)
    }
    #[cfg(not(all(target_os = "linux", not(miri))))]
    {
        u32::MAX
    }
}

/// Marks this thread as the caller of a data-parallel call of one pool until dropped, when the
/// previous mark (an outer call, of this pool or another) comes back.
struct CallerOf {
    previous: *const Inner,
}

impl CallerOf {
    fn enter(inner: &Inner) -> Self {
        let previous = LOCAL.with(|l| l.caller_of.replace(inner));
        Self { previous }
    }
}

impl Drop for CallerOf {
    fn drop(&mut self) {
        LOCAL.with(|l| l.caller_of.set(self.previous));
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
            if crate::sync::fault(crate::sync::FaultId::DropForgetsQueued) {
                // Broken twin: the queued task is dropped, not cancelled: its handle never opens.
                drop(t);
                continue;
            }
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
