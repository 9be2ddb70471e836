//! An event count: lets a thread sleep until "something changed" without losing a notification that
//! races with its decision to sleep. The pool's idle workers sleep on one. Protocol: `README.md`
//! § Event count.

use super::atomic::{
    fence, AtomicU32,
    Ordering::{Acquire, Relaxed, Release, SeqCst},
};
use super::futex::{self, WaitResult};
use super::{fault, FaultId};
use std::fmt;
use std::time::Duration;

/// A futex-backed event count (as in folly and Eigen): the waiter takes a [`Key`] *before* its last
/// check of the condition, and sleeps only if no notification came after the key was taken.
///
/// ```text
/// waiter:   let key = ec.prepare_wait();
///           if condition() { ec.cancel_wait(); } else { ec.wait(key, None); }   // then re-check
/// notifier: make condition() true (any store);  ec.notify(n);
/// ```
///
/// `#[repr(C)]`, two `u32` atomics: it can live in a shared mapping; the futex word is
/// shared-scope.
///
/// # Memory ordering
///
/// - Dekker pair: the notifier's condition store, `fence(SeqCst)`, load of `waiters`; the waiter's
///   increment of `waiters`, `fence(SeqCst)`, then its key load and condition check. One of them sees
///   the other: either the waiter sees the condition, or the notifier sees the waiter and bumps the
///   epoch.
/// - The epoch bump is a `Release` RMW and the key load `Acquire`: a waiter whose key already
///   includes the bump synchronizes with it, so its condition check sees the condition.
/// - A bump after the key was taken makes the futex wait return `NotEqual` (or wakes it): no lost
///   notification (loom model `eventcount_no_lost_notification`).
///
/// # Examples
///
/// ```
/// use shmkern::sync::EventCount;
/// use std::sync::atomic::{AtomicBool, Ordering::{Acquire, Release}};
///
/// let ec = EventCount::new();
/// let ready = AtomicBool::new(false);
/// std::thread::scope(|s| {
///     s.spawn(|| loop {
///         let key = ec.prepare_wait();
///         if ready.load(Acquire) {
///             ec.cancel_wait();
///             break;
///         }
///         ec.wait(key, None);
///     });
///     ready.store(true, Release);
///     ec.notify_all();
/// });
/// assert_eq!(ec.waiters(), 0);
/// ```
#[repr(C)]
pub struct EventCount {
    /// Bumped by every notification that finds a waiter; the futex word.
    epoch: AtomicU32,
    /// Threads between `prepare_wait` and the end of their `wait` / `cancel_wait`.
    waiters: AtomicU32,
}

/// The epoch a waiter saw in [`EventCount::prepare_wait`]; pass it to [`EventCount::wait`].
///
/// # Examples
///
/// ```
/// use shmkern::sync::EventCount;
///
/// let ec = EventCount::new();
/// let before = ec.prepare_wait();
/// ec.notify(1); // a waiter is registered: the notification moves the epoch
/// ec.cancel_wait();
/// let after = ec.prepare_wait();
/// ec.cancel_wait();
/// assert_ne!(before, after, "a key taken after a notification differs");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a prepared wait must end in `wait` or `cancel_wait`"]
pub struct Key(u32);

impl EventCount {
    /// A new event count with no waiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::EventCount;
    ///
    /// let ec = EventCount::new();
    /// assert_eq!(ec.waiters(), 0);
    /// // `const`: an event count can be a static.
    /// static IDLE: EventCount = EventCount::new();
    /// assert_eq!(IDLE.notify_all(), 0);
    /// ```
    #[cfg(not(shmkern_loom))]
    pub const fn new() -> Self {
        Self {
            epoch: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
        }
    }

    /// A new event count with no waiters.
    #[cfg(shmkern_loom)]
    pub fn new() -> Self {
        Self {
            epoch: AtomicU32::new(0),
            waiters: AtomicU32::new(0),
        }
    }

    /// Announces that this thread may sleep; check the condition *after* this, then call
    /// [`wait`](EventCount::wait) or [`cancel_wait`](EventCount::cancel_wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::EventCount;
    ///
    /// let ec = EventCount::new();
    /// let _key = ec.prepare_wait();
    /// assert_eq!(ec.waiters(), 1); // announced: a notifier now bumps the epoch
    /// ec.cancel_wait();
    /// assert_eq!(ec.waiters(), 0);
    /// ```
    pub fn prepare_wait(&self) -> Key {
        self.waiters.fetch_add(1, Relaxed);
        if !fault(FaultId::EventCountNoFence) {
            fence(SeqCst);
        }
        // Acquire: pairs with the notifier's Release bump (see "Memory ordering").
        Key(self.epoch.load(Acquire))
    }

    /// Withdraws a [`prepare_wait`](EventCount::prepare_wait): the condition already holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::EventCount;
    ///
    /// let ec = EventCount::new();
    /// let _key = ec.prepare_wait();
    /// ec.cancel_wait(); // the condition held after all
    /// assert_eq!(ec.waiters(), 0);
    /// assert_eq!(ec.notify(1), 0); // nobody waits again: nothing to wake
    /// ```
    pub fn cancel_wait(&self) {
        self.waiters.fetch_sub(1, Relaxed);
    }

    /// Sleeps unless a notification came since `key` was taken, for at most `timeout`. Returns the
    /// futex result (`Woken` may be spurious): re-check the condition afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{sync::futex::WaitResult, sync::EventCount};
    /// use std::time::Duration;
    ///
    /// let ec = EventCount::new();
    /// let key = ec.prepare_wait();
    /// // No notification since the key: the wait sleeps until its timeout.
    /// assert_eq!(ec.wait(key, Some(Duration::from_millis(1))), WaitResult::TimedOut);
    /// assert_eq!(ec.waiters(), 0); // `wait` ended the prepared wait
    /// ```
    pub fn wait(&self, key: Key, timeout: Option<Duration>) -> WaitResult {
        let r = futex::wait(&self.epoch, key.0, timeout);
        self.waiters.fetch_sub(1, Relaxed);
        r
    }

    /// Wakes up to `n` waiters, after the caller made its condition true. Costs one fence and one
    /// load when nobody waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{sync::futex::WaitResult, sync::EventCount};
    ///
    /// let ec = EventCount::new();
    /// assert_eq!(ec.notify(1), 0); // nobody waits: a fence and a load
    /// let key = ec.prepare_wait();
    /// ec.notify(1); // after the key was taken: that wait does not sleep
    /// assert_eq!(ec.wait(key, None), WaitResult::NotEqual);
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        if !fault(FaultId::EventCountNoFence) {
            fence(SeqCst);
        }
        if self.waiters.load(Relaxed) == 0 {
            return 0;
        }
        self.epoch.fetch_add(1, Release);
        futex::wake(&self.epoch, n)
    }

    /// Wakes every waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{sync::futex::WaitResult, sync::EventCount};
    ///
    /// let ec = EventCount::new();
    /// let (k1, k2) = (ec.prepare_wait(), ec.prepare_wait());
    /// ec.notify_all();
    /// assert_eq!(ec.wait(k1, None), WaitResult::NotEqual);
    /// assert_eq!(ec.wait(k2, None), WaitResult::NotEqual);
    /// assert_eq!(ec.waiters(), 0);
    /// ```
    pub fn notify_all(&self) -> usize {
        self.notify(usize::MAX)
    }

    /// Threads currently between `prepare_wait` and the end of their wait (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::EventCount;
    /// use std::time::Duration;
    ///
    /// let ec = EventCount::new();
    /// let key = ec.prepare_wait();
    /// assert_eq!(ec.waiters(), 1);
    /// ec.wait(key, Some(Duration::ZERO));
    /// assert_eq!(ec.waiters(), 0);
    /// ```
    pub fn waiters(&self) -> u32 {
        self.waiters.load(Relaxed)
    }
}

impl Default for EventCount {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EventCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventCount")
            .field("epoch", &self.epoch.load(Relaxed))
            .field("waiters", &self.waiters())
            .finish()
    }
}
