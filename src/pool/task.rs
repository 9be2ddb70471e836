//! Tasks: `pool.spawn(f)` returns a [`Task`] handle — join, timeout, cancel, `Future`. Protocol:
//! `README.md` § Tasks.

use crate::sync::atomic::{
    AtomicBool, AtomicU32,
    Ordering::{AcqRel, Acquire, Relaxed, Release},
};
use crate::sync::{fault, FaultId};
use crate::sync::{Arc, Latch, Mutex, UnsafeCell};
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::metrics::Counters;
use super::{run_timed, with_helper, Helper};

/// How long a join that helps while it waits first sleeps on its task's latch when it finds no
/// work, before it looks again; each fruitless look doubles it, up to [`HELP_PAUSE_MAX`]. The latch
/// wakes it at once when the task finishes; the pause bounds how late it notices new work.
const HELP_PAUSE_MIN: Duration = Duration::from_micros(50);
/// The longest pause of a helping join between two looks for work.
const HELP_PAUSE_MAX: Duration = Duration::from_millis(1);

/// Why a task produced no value.
///
/// # Examples
///
/// ```
/// use shmkern::{Pool, TaskError};
/// use std::time::Duration;
///
/// let pool = Pool::builder().threads(2).build().unwrap();
/// let (release, blocked) = std::sync::mpsc::channel::<()>();
/// let err = pool.spawn(move || blocked.recv()).join_timeout(Duration::from_millis(1));
/// assert_eq!(err, Err(TaskError::TimedOut));
/// assert_eq!(TaskError::TimedOut.to_string(), "timed out waiting for the task");
/// drop(release); // the detached task ends
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskError {
    /// The task panicked; the panic message (or a placeholder for a non-string payload).
    Panicked(String),
    /// The task was cancelled before it started (by [`Task::cancel`] or by dropping the pool).
    Cancelled,
    /// [`Task::join_timeout`] gave up waiting; the task itself goes on.
    TimedOut,
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Panicked(msg) => write!(f, "task panicked: {msg}"),
            TaskError::Cancelled => f.write_str("task was cancelled before it started"),
            TaskError::TimedOut => f.write_str("timed out waiting for the task"),
        }
    }
}

impl std::error::Error for TaskError {}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// A cancellation flag shared between the party that cancels and the work that polls it: tasks
/// started with [`Pool::spawn_cancellable`](crate::Pool::spawn_cancellable), and data-parallel calls
/// given one in [`ParOptions`](crate::ParOptions).
///
/// # Examples
///
/// ```
/// use shmkern::CancelToken;
///
/// let token = CancelToken::new();
/// let copy = token.clone(); // clones share one flag
/// copy.cancel();
/// assert!(token.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::CancelToken;
    ///
    /// assert!(!CancelToken::new().is_cancelled());
    /// assert!(!CancelToken::default().is_cancelled());
    /// ```
    pub fn new() -> Self {
        Self(Arc::new(AtomicBool::new(false)))
    }
    /// Requests cancellation. Work that polls the token stops at its next check.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{CancelToken, ParOptions, Pool};
    /// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    ///
    /// let pool = Pool::builder().threads(1).build().unwrap();
    /// let token = CancelToken::new();
    /// let runs = AtomicUsize::new(0);
    /// let opts = ParOptions {
    ///     cancel: Some(&token),
    ///     chunk_len: Some(10),
    ///     ..ParOptions::default()
    /// };
    /// let stop_after_one = |_: &[u8]| {
    ///     runs.fetch_add(1, Relaxed);
    ///     token.cancel();
    /// };
    /// let err = pool.reduce_with(&[0u8; 100], opts, stop_after_one, |_, _| ()).unwrap_err();
    /// assert!(err.is_cancelled());
    /// assert_eq!(runs.load(Relaxed), 1); // 9 of the 10 chunks were skipped
    /// ```
    pub fn cancel(&self) {
        // Relaxed: a request, not a publication; the work's result travels by its own hand-off.
        self.0.store(true, Relaxed);
    }
    /// Whether cancellation was requested.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = shmkern::CancelToken::new();
    /// assert!(!token.is_cancelled());
    /// token.cancel();
    /// token.cancel(); // idempotent
    /// assert!(token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Relaxed)
    }
}

/// `TaskInner::state`: in the queue, not started.
const QUEUED: u32 = 0;
/// Running on a worker.
const RUNNING: u32 = 1;
/// Finished: `result` holds the value or the panic.
const DONE: u32 = 2;
/// Cancelled before it started: `result` holds `Err(Cancelled)`.
const CANCELLED: u32 = 3;

struct TaskInner<R> {
    state: AtomicU32,
    token: CancelToken,
    /// Opens (Release) once `result` is written; `join` waits on it.
    done: Latch,
    /// Written once, by whoever moved `state` out of `QUEUED`; read by the handle after `done`.
    result: UnsafeCell<Option<Result<R, TaskError>>>,
    /// The waker of the last `poll` that returned `Pending`.
    waker: Mutex<Option<Waker>>,
}

// SAFETY: `result` is written by exactly one thread (the one whose CAS moved `state` out of QUEUED)
// before `done` opens, and read only by the handle's owner after observing `done` open (Acquire).
// Everything else is atomics or a mutex. `R: Send` because the value crosses threads.
unsafe impl<R: Send> Sync for TaskInner<R> {}
// SAFETY: as above; the inner value moves between threads only as an `R: Send`.
unsafe impl<R: Send> Send for TaskInner<R> {}

impl<R> TaskInner<R> {
    /// Publishes `result` and wakes everyone waiting: the joiner (latch) and the async poller.
    fn finish(&self, result: Result<R, TaskError>) {
        // SAFETY: only the thread that won the CAS out of QUEUED calls `finish`, once; the handle
        // reads `result` only after `done` opens below.
        self.result.with_mut(|r| unsafe { *r = Some(result) });
        if fault(FaultId::TaskWakerBeforeDone) {
            // Broken twin: taking the waker before opening `done` races with a poll that registers
            // its waker in between: that poll is never woken.
            let w = self.waker.lock().unwrap().take();
            self.done.count_down();
            if let Some(w) = w {
                w.wake();
            }
            return;
        }
        self.done.count_down();
        // After `done` opened: a poll that locks after us sees it open; one that locked before us
        // left its waker here.
        let w = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// A queued unit of work: run it, or cancel it without running.
pub(crate) trait Queued: Send {
    /// Runs the task unless it was cancelled; `counters` count it before its result is published,
    /// so `metrics()` after `join()` includes it.
    fn run(self: Box<Self>, counters: &Counters);
    fn cancel(self: Box<Self>);
    /// The task's identity, the address of its shared state: [`Task::id`] of its handle.
    fn id(&self) -> usize;
}

struct Job<F, R> {
    f: F,
    inner: Arc<TaskInner<R>>,
}

impl<F, R> Queued for Job<F, R>
where
    F: FnOnce(&CancelToken) -> R + Send,
    R: Send,
{
    fn run(self: Box<Self>, counters: &Counters) {
        let inner = &self.inner;
        // AcqRel on success: nothing to publish yet, but keeps the state machine's edges explicit.
        if inner
            .state
            .compare_exchange(QUEUED, RUNNING, AcqRel, Relaxed)
            .is_err()
        {
            return; // cancelled before it started: the canceller wrote the result
        }
        let Job { f, inner } = *self;
        let mut out = Err(TaskError::Cancelled); // overwritten: the closure below always runs
        run_timed(counters, || {
            out = catch_unwind(AssertUnwindSafe(|| f(&inner.token)))
                .map_err(|p| TaskError::Panicked(panic_message(&*p)));
            true
        });
        counters.add_task();
        inner.state.store(DONE, Release);
        inner.finish(out);
    }

    fn cancel(self: Box<Self>) {
        self.inner.try_cancel();
    }

    fn id(&self) -> usize {
        Arc::as_ptr(&self.inner).addr()
    }
}

impl<R> TaskInner<R> {
    /// QUEUED → CANCELLED; true if this prevented the run.
    fn try_cancel(&self) -> bool {
        self.token.cancel();
        let won = if fault(FaultId::CancelWithoutCas) {
            // Broken twin: check, then store: a worker's QUEUED → RUNNING in between runs the task
            // although the cancel also wins, and both write the result.
            self.state.load(Acquire) == QUEUED && {
                self.state.store(CANCELLED, Release);
                true
            }
        } else {
            self.state
                .compare_exchange(QUEUED, CANCELLED, AcqRel, Relaxed)
                .is_ok()
        };
        if won {
            self.finish(Err(TaskError::Cancelled));
        }
        won
    }
}

/// Makes a queued job and its handle, for the pool whose `Inner` is at address `pool`.
pub(crate) fn new_task<F, R>(pool: usize, f: F) -> (Box<dyn Queued>, Task<R>)
where
    F: FnOnce(&CancelToken) -> R + Send + 'static,
    R: Send + 'static,
{
    let inner = Arc::new(TaskInner {
        state: AtomicU32::new(QUEUED),
        token: CancelToken::new(),
        done: Latch::new(1),
        result: UnsafeCell::new(None),
        waker: Mutex::new(None),
    });
    let job = Box::new(Job {
        f,
        inner: inner.clone(),
    });
    (job, Task { inner, pool })
}

/// The handle of a task started with [`Pool::spawn`](crate::Pool::spawn) — the `Promise` of a
/// `pool.exec(task)`.
///
/// Dropping the handle detaches the task: it still runs, and its result is dropped.
///
/// # Joining inside the pool
///
/// Tasks may spawn and join tasks of their own pool, to any depth, on a pool of any size. A join
/// ([`join`](Task::join), [`join_timeout`](Task::join_timeout),
/// [`wait_timeout`](Task::wait_timeout)) on one of the pool's workers — in a task or in a
/// data-parallel closure — or on the thread that runs one of the pool's data-parallel calls does
/// not only wait: until the task has finished it runs the pool's queued work, the awaited task
/// itself first if it has not started, so no thread waits for work that nobody is free to run.
/// A thread outside the pool (or in another pool) only waits; `.await` never runs pool work.
///
/// What helping implies: a helped task runs on the joining thread, nested in its stack; a timed
/// join may return late by the length of the task or chunk it was running when its time ran out;
/// and a join must not hold a lock that a queued task may take (it might run that task itself).
///
/// # Examples
///
/// ```
/// use shmkern::{Pool, TaskError};
///
/// let pool = Pool::builder().threads(2).build().unwrap();
/// assert_eq!(pool.spawn(|| 6 * 7).join(), Ok(42));
///
/// let bad = pool.spawn(|| -> u32 { panic!("bad input") });
/// assert_eq!(bad.join(), Err(TaskError::Panicked("bad input".into())));
/// // The pool lives on.
/// assert_eq!(pool.spawn(|| 1).join(), Ok(1));
/// ```
///
/// Recursive spawn and join on a pool with a single worker:
///
/// ```
/// use shmkern::Pool;
/// use std::sync::Arc;
///
/// fn fib(pool: &Arc<Pool>, n: u64) -> u64 {
///     if n < 2 {
///         return n;
///     }
///     let p = Arc::clone(pool);
///     let a = pool.spawn(move || fib(&p, n - 1));
///     let b = fib(pool, n - 2);
///     a.join().unwrap() + b // on the worker, this join runs queued tasks while it waits
/// }
///
/// let pool = Arc::new(Pool::builder().threads(2).build().unwrap());
/// let p = Arc::clone(&pool);
/// assert_eq!(pool.spawn(move || fib(&p, 15)).join(), Ok(610));
/// ```
pub struct Task<R> {
    inner: Arc<TaskInner<R>>,
    /// The address of the pool's `Inner`: only compared with the pool a joining thread works in
    /// (never dereferenced), to decide whether the join helps while it waits.
    pool: usize,
}

impl<R> Task<R> {
    /// Waits for the task and returns its value, or why there is none. Inside the task's pool it
    /// runs queued work while it waits ([Joining inside the pool](Task#joining-inside-the-pool)).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{Pool, TaskError};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// assert_eq!(pool.spawn(|| (1..=10).product::<u64>()).join(), Ok(3_628_800));
    /// let row = 7;
    /// let failed = pool.spawn(move || -> u64 { panic!("bad row {row}") }).join();
    /// assert_eq!(failed, Err(TaskError::Panicked("bad row 7".into())));
    /// ```
    pub fn join(self) -> Result<R, TaskError> {
        self.wait(None);
        self.take()
    }

    /// Like [`join`](Task::join), giving up after `timeout` with `Err(TaskError::TimedOut)`; the task
    /// then goes on, detached. Use [`wait_timeout`](Task::wait_timeout) to wait and keep the handle.
    /// Inside the task's pool it runs queued work while it waits, and may return late by the length
    /// of the work it ran ([Joining inside the pool](Task#joining-inside-the-pool)).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{Pool, TaskError};
    /// use std::time::Duration;
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let (release, blocked) = std::sync::mpsc::channel::<()>();
    /// let stuck = pool.spawn(move || blocked.recv().is_err());
    /// assert_eq!(stuck.join_timeout(Duration::from_millis(1)), Err(TaskError::TimedOut));
    /// drop(release); // the detached task ends
    /// assert_eq!(pool.spawn(|| 1).join_timeout(Duration::from_secs(10)), Ok(1));
    /// ```
    pub fn join_timeout(self, timeout: Duration) -> Result<R, TaskError> {
        if !self.wait(Some(timeout)) {
            return Err(TaskError::TimedOut);
        }
        self.take()
    }

    /// Waits at most `timeout`; true if the task has finished (or was cancelled). Inside the task's
    /// pool it runs queued work while it waits, as [`join_timeout`](Task::join_timeout) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
    /// let (release, blocked) = std::sync::mpsc::channel::<u32>();
    /// let task = pool.spawn(move || blocked.recv().unwrap());
    /// assert!(!task.wait_timeout(Duration::from_millis(1)));
    /// release.send(5).unwrap();
    /// assert!(task.wait_timeout(Duration::from_secs(10)));
    /// assert_eq!(task.join(), Ok(5)); // the handle was kept
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.wait(Some(timeout))
    }

    /// Whether the task has finished (value, panic or cancellation).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
    /// let (release, blocked) = std::sync::mpsc::channel::<()>();
    /// let task = pool.spawn(move || blocked.recv().unwrap());
    /// assert!(!task.is_finished());
    /// release.send(()).unwrap();
    /// assert!(task.wait_timeout(Duration::from_secs(10)));
    /// assert!(task.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.done.is_open()
    }

    /// Cancels the task: one that has not started never runs (its handle returns
    /// `Err(TaskError::Cancelled)`, and `cancel` returns true); one that is running sees its
    /// [`CancelToken`] set (if it was spawned with `spawn_cancellable`) and finishes as it chooses
    /// (`cancel` returns false).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{Pool, TaskError};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap(); // one worker
    /// let (release, blocked) = std::sync::mpsc::channel::<()>();
    /// let busy = pool.spawn(move || blocked.recv().unwrap());
    /// let queued = pool.spawn(|| "never runs"); // waits behind `busy`
    /// assert!(queued.cancel());
    /// assert_eq!(queued.join(), Err(TaskError::Cancelled));
    /// release.send(()).unwrap();
    /// assert_eq!(busy.join(), Ok(()));
    /// ```
    pub fn cancel(&self) -> bool {
        self.inner.try_cancel()
    }

    /// Waits until the task has finished, for at most `timeout` (`None`: no limit); true if it has.
    ///
    /// On a worker of the task's pool, or on the caller of one of its data-parallel calls, it runs
    /// the pool's queued work while it waits (`README.md` § Helping while waiting): a thread that
    /// only waited there could wait for work that nobody is free to run. Anywhere else it only waits.
    fn wait(&self, timeout: Option<Duration>) -> bool {
        if self.inner.done.is_open() {
            return true;
        }
        // Broken twin `twin_nested_join_without_helping_is_rejected`: every join only waits.
        if !fault(FaultId::JoinSkipsHelping) {
            let helped = with_helper(self.pool, |h| h.map(|h| self.wait_helping(h, timeout)));
            if let Some(done) = helped {
                return done;
            }
        }
        self.inner.done.wait(timeout).is_ok()
    }

    /// [`wait`](Task::wait) on a thread that helps `helper`'s pool: look for the task's end, run one
    /// piece of queued work, and only when there is none sleep on the latch for a bounded pause.
    /// A helped task or chunk runs to its end, so with a `timeout` this may return that much late.
    fn wait_helping(&self, helper: &Helper<'_>, timeout: Option<Duration>) -> bool {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let id = self.id();
        let mut pause = HELP_PAUSE_MIN;
        loop {
            if self.inner.done.is_open() {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            // Relaxed: a hint of whether the task may still be in the queue, which saves a search
            // once it has started; `take_task` finds it under the queue's mutex, and `run`'s CAS out
            // of QUEUED decides who runs it (a cancelled task is never run).
            let own_queued = self.inner.state.load(Relaxed) == QUEUED;
            if helper.help_once(id, own_queued) {
                pause = HELP_PAUSE_MIN;
                continue;
            }
            let wait = deadline.map_or(pause, |d| {
                pause.min(d.saturating_duration_since(Instant::now()))
            });
            if self.inner.done.wait(Some(wait)).is_ok() {
                return true;
            }
            pause = (pause * 2).min(HELP_PAUSE_MAX);
        }
    }

    /// A second handle on the task that can only wait for it (a scope keeps one of every task it
    /// spawned, whoever holds the task's own handle). It never reads the result.
    pub(crate) fn waiter(&self) -> Waiter<R> {
        Waiter(Task {
            inner: self.inner.clone(),
            pool: self.pool,
        })
    }

    /// The task's identity: the address of the state it shares with its queued job ([`Queued::id`]).
    fn id(&self) -> usize {
        Arc::as_ptr(&self.inner).addr()
    }

    fn take(&self) -> Result<R, TaskError> {
        let taken = self.inner.result.with_mut(|r| {
            // SAFETY: `done` is open (observed with Acquire by the caller), so the one write of
            // `result` happened before; the handle is the only reader, and it is not `Clone`.
            unsafe { (*r).take() }
        });
        taken.unwrap_or(Err(TaskError::Cancelled))
    }
}

/// A handle that only waits for its task: [`Task::waiter`].
pub(crate) struct Waiter<R>(Task<R>);

impl<R> Waiter<R> {
    /// Waits until the task has finished, helping the pool as [`Task::join`] does.
    pub(crate) fn wait(&self) {
        self.0.wait(None);
    }
}

impl<R> Future for Task<R> {
    type Output = Result<R, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.inner.done.is_open() {
            return Poll::Ready(self.take());
        }
        {
            let mut slot = self.inner.waker.lock().unwrap_or_else(|e| e.into_inner());
            // Checked under the lock: `finish` opens `done` before it locks to take the waker.
            if !self.inner.done.is_open() {
                match &mut *slot {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    other => *other = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
        }
        Poll::Ready(self.take())
    }
}

impl<R> fmt::Debug for Task<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.inner.state.load(Acquire) {
            QUEUED => "queued",
            RUNNING => "running",
            DONE => "done",
            _ => "cancelled",
        };
        f.debug_struct("Task").field("state", &state).finish()
    }
}
