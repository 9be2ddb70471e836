//! Scoped tasks: [`Pool::scope`] lets tasks borrow from the caller's stack, as
//! `std::thread::scope` does for threads — the scope does not return before every task spawned in
//! it has finished.
//!
//! How: a scoped task is an ordinary task of the pool whose closure's lifetime is erased to
//! `'static`. That is sound because the task's closure is consumed (run, or unwound by its panic)
//! before the task's latch opens, and the scope waits on the latch of every task it spawned before
//! it returns — by panic too (a drop guard). A scoped task cannot be cancelled: a cancelled task's
//! closure is dropped by whichever worker later pops it from the queue, possibly after the scope
//! has returned. Its value goes through a slot of its own, so the pool's task machinery stays
//! `'static`.

use super::task::{Task, TaskError, Waiter};
use super::Pool;
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

/// The scope of [`Pool::scope`]: spawns tasks that may borrow anything that outlives the scope.
///
/// # Examples
///
/// ```
/// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
/// let words = vec!["alpha".to_string(), "beta".to_string()];
/// let total = pool.scope(|s| {
///     let tasks: Vec<_> = words.iter().map(|w| s.spawn(move || w.len())).collect();
///     tasks.into_iter().map(|t| t.join().unwrap()).sum::<usize>()
/// });
/// assert_eq!(total, 9);
/// ```
///
/// A task cannot borrow what the scope outlives:
///
/// ```compile_fail
/// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
/// pool.scope(|s| {
///     let local = vec![1, 2, 3];
///     s.spawn(|| local.len()) // `local` is dropped while the task may still run
/// });
/// ```
pub struct Scope<'scope, 'env: 'scope> {
    pool: &'scope Pool,
    /// A waiting handle on every task spawned in the scope.
    spawned: Mutex<Vec<Waiter<()>>>,
    /// Invariant in both lifetimes, as `std::thread::Scope` is.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

/// The handle of a task spawned in a [`Scope`]: join it (helping the pool while it waits, as
/// [`Task::join`] does) or drop it (the scope still waits for the task).
pub struct ScopedTask<'scope, R> {
    task: Task<()>,
    value: Arc<Mutex<Option<R>>>,
    scope: PhantomData<&'scope ()>,
}

impl<'scope> Scope<'scope, '_> {
    /// Runs `f` as a task of the pool; `f` may borrow anything that outlives the scope. A panic in
    /// `f` fails only this task (its `join` says so).
    pub fn spawn<R: Send + 'scope>(
        &'scope self,
        f: impl FnOnce() -> R + Send + 'scope,
    ) -> ScopedTask<'scope, R> {
        let value = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&value);
        let job: Box<dyn FnOnce() + Send + 'scope> = Box::new(move || {
            let v = f();
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        });
        // The task runs the closure (consuming it, or unwinding through it) before its latch
        // opens, and `Pool::scope` waits on the latch of every task registered below before it
        // returns, by panic too; scoped tasks cannot be cancelled (a cancelled closure is dropped
        // later, by a worker).
        // SAFETY: only the closure's lifetime is erased, and (above) the closure and what it
        // borrows are never used after `'scope` ends.
        let job: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(job) };
        let task = self.pool.spawn(job);
        self.spawned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task.waiter());
        ScopedTask {
            task,
            value,
            scope: PhantomData,
        }
    }
}

impl<R> ScopedTask<'_, R> {
    /// Waits for the task and returns its value, or the panic that ended it.
    pub fn join(self) -> Result<R, TaskError> {
        self.task.join()?;
        let v = self.value.lock().unwrap_or_else(|e| e.into_inner()).take();
        // The closure stored its value before the task finished without a panic.
        Ok(v.expect("a task that finished without a panic stored its value"))
    }

    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.spawned.lock().map_or(0, |v| v.len());
        f.debug_struct("Scope")
            .field("tasks_not_waited_for", &n)
            .finish()
    }
}

impl<R> fmt::Debug for ScopedTask<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedTask")
            .field("task", &self.task)
            .finish()
    }
}

/// Waits for every task of the scope when dropped: on the normal return and on a panic of the
/// scope's closure alike.
struct WaitAll<'a>(&'a Mutex<Vec<Waiter<()>>>);

impl Drop for WaitAll<'_> {
    fn drop(&mut self) {
        // Tasks may spawn more tasks in the scope while we wait: take the list until it stays empty.
        loop {
            let batch = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
            if batch.is_empty() {
                return;
            }
            for w in &batch {
                w.wait();
            }
        }
    }
}

impl Pool {
    /// Runs `f` with a [`Scope`] whose tasks may borrow from the caller's stack, and returns once
    /// every task spawned in it has finished (also when `f` panics: the panic goes on after the
    /// wait). The calling thread helps run the pool's queued work while it waits when it is one of
    /// the pool's workers or inside one of its data-parallel calls; otherwise it only waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
    /// let mut halves = [vec![1u64; 1000], vec![2u64; 1000]];
    /// let [a, b] = &mut halves;
    /// pool.scope(|s| {
    ///     s.spawn(|| a.iter_mut().for_each(|x| *x *= 10));
    ///     s.spawn(|| b.iter_mut().for_each(|x| *x *= 100));
    /// }); // both tasks have finished here
    /// assert_eq!((halves[0][0], halves[1][999]), (10, 200));
    /// ```
    pub fn scope<'env, R>(
        &self,
        f: impl for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> R,
    ) -> R {
        let scope = Scope {
            pool: self,
            spawned: Mutex::new(Vec::new()),
            scope: PhantomData,
            env: PhantomData,
        };
        let wait = WaitAll(&scope.spawned);
        let r = f(&scope);
        drop(wait);
        r
    }
}
