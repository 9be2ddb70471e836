//! Futex-style wait/notify on an [`AtomicU32`]: the Rust equivalent of JavaScript's `Atomics.wait` /
//! `Atomics.notify`, usable across processes on Linux.
//!
//! # The contract
//!
//! - [`wait`]`(word, expected, timeout)` sleeps only if `*word == expected` at the moment it goes to
//!   sleep — the check and the sleep are one atomic step with respect to [`wake`]. It returns
//!   [`WaitResult::NotEqual`] at once when the value differs, [`WaitResult::TimedOut`] when the timeout
//!   passes, and [`WaitResult::Woken`] otherwise. **`Woken` may be spurious**: a signal, an unrelated
//!   wake on the same address or the platform may end the sleep. Callers always re-check their
//!   condition in a loop ([`spin_then_wait`] and [`Latch`](crate::sync::Latch) do).
//! - [`wake`]`(word, n)` wakes at most `n` threads sleeping on `word` and returns how many it woke.
//!   Waking never changes the word: the waker changes the value first, then wakes.
//! - **Ordering comes from the word, not from the call.** `wait` and `wake` are not memory barriers
//!   you may rely on. Publish with a `Release` store (or RMW) of the word before `wake`; after `wait`
//!   returns, read the word with `Acquire` before reading the published data.
//!
//! # Scope: shared (the default) or private
//!
//! The free functions use [`Scope::Shared`]: on Linux they call `futex(2)` **without**
//! `FUTEX_PRIVATE_FLAG`, so the kernel keys the sleep by the physical page. A waiter and a waker in
//! two different processes that map the same file (or memfd) meet, and so do two mappings of one file
//! in one process. std, `atomic-wait` and `parking_lot` use private futexes, which cannot do this.
//! [`Scope::Private`] is the opt-in for words that never leave the process heap; both sides of one
//! word must use the same scope (a private wake never finds a shared waiter). Whether it is faster is
//! measured in `docs/performance.md`.
//!
//! # Timeouts
//!
//! A timeout is turned once into an absolute `CLOCK_MONOTONIC` deadline (`FUTEX_WAIT_BITSET`), so a
//! retry after `EINTR` does not stretch the wait. A timeout too large to represent means "no timeout".
//!
//! # Platforms
//!
//! | platform | in-process | across processes |
//! |---|---|---|
//! | Linux | `futex(2)` | yes (shared scope) |
//! | other Unix, Windows | a portable parking table (mutex + condvar per address bucket) | **no** |
//!
//! The fallback is in-process only because it keys sleepers by virtual address in a table private to
//! the process; macOS's `os_sync_wait_on_address` (14.4+) and FreeBSD's `_umtx_op` could lift this
//! later, and Windows' `WaitOnAddress` is process-private by design. [`CROSS_PROCESS`] says which case
//! a build is in; cross-process users must check it.
//!
//! Under `--cfg shmkern_loom` the same functions run on the portable fallback built on loom's mutex and
//! condvar (see `model.rs`), so that protocols built on them — and the fallback itself — are
//! model-checked, lost wake-ups included.
//!
//! # Examples
//!
//! ```
//! use shmkern::sync::futex::{self, WaitResult};
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use std::time::Duration;
//!
//! static READY: AtomicU32 = AtomicU32::new(0);
//!
//! let t = std::thread::spawn(|| {
//!     // Re-check in a loop: Woken may be spurious.
//!     while READY.load(Ordering::Acquire) == 0 {
//!         futex::wait(&READY, 0, None);
//!     }
//! });
//! READY.store(1, Ordering::Release);
//! futex::wake_all(&READY);
//! t.join().unwrap();
//!
//! // A value that differs returns at once; a matching one times out.
//! assert_eq!(futex::wait(&READY, 7, None), WaitResult::NotEqual);
//! assert_eq!(futex::wait(&READY, 1, Some(Duration::from_millis(1))), WaitResult::TimedOut);
//! ```

use crate::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

#[cfg(all(target_os = "linux", not(shmkern_loom)))]
#[path = "linux.rs"]
mod imp;

#[cfg(any(test, not(target_os = "linux"), shmkern_loom))]
mod queue;

#[cfg(any(test, not(target_os = "linux"), shmkern_loom))]
mod parking;
#[cfg(all(not(target_os = "linux"), not(shmkern_loom)))]
use parking as imp;

#[cfg(shmkern_loom)]
pub mod model;
#[cfg(shmkern_loom)]
use model as imp;

mod spin;
pub use spin::spin_then_wait;
pub(crate) use spin::spin_while;

/// Whether this build's shared-scope futex works across processes (Linux, not under loom).
///
/// # Examples
///
/// ```
/// // Linux builds (outside loom models) share futex words across processes.
/// assert_eq!(shmkern::sync::futex::CROSS_PROCESS, cfg!(target_os = "linux"));
/// ```
pub const CROSS_PROCESS: bool = cfg!(all(target_os = "linux", not(shmkern_loom)));

/// How a [`wait`] ended. `Woken` may be spurious; see the [module docs](self).
///
/// # Examples
///
/// ```
/// use shmkern::sync::futex::{self, WaitResult};
/// use std::sync::atomic::AtomicU32;
/// use std::time::Duration;
///
/// let word = AtomicU32::new(1);
/// assert_eq!(futex::wait(&word, 0, None), WaitResult::NotEqual);
/// assert_eq!(futex::wait(&word, 1, Some(Duration::from_millis(1))), WaitResult::TimedOut);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitResult {
    /// The thread slept and was woken — by a [`wake`], or spuriously. Re-check the condition.
    Woken,
    /// The word did not hold `expected`, so the thread did not sleep.
    NotEqual,
    /// The timeout passed before a wake.
    TimedOut,
}

/// Which threads a futex word can meet: all processes mapping it, or this process only.
///
/// # Examples
///
/// ```
/// use shmkern::sync::futex::{Scope, WaitResult};
/// use std::sync::atomic::AtomicU32;
///
/// assert_eq!(Scope::default(), Scope::Shared);
/// // A word on this process's heap: the private scope is enough.
/// let word = AtomicU32::new(0);
/// assert_eq!(Scope::Private.wait(&word, 1, None), WaitResult::NotEqual);
/// assert_eq!(Scope::Private.wake_all(&word), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Keyed by the physical page: works across processes and across two mappings of one file.
    /// Required for every word inside a shared mapping.
    #[default]
    Shared,
    /// `FUTEX_PRIVATE_FLAG`: keyed by (process, virtual address). For words on this process's heap
    /// only; a private wake never meets a shared waiter, nor the reverse.
    Private,
}

impl Scope {
    /// [`wait`] with this scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::futex::{Scope, WaitResult};
    /// use std::sync::atomic::AtomicU32;
    /// use std::time::Duration;
    ///
    /// let word = AtomicU32::new(0);
    /// assert_eq!(Scope::Private.wait(&word, 7, None), WaitResult::NotEqual);
    /// let r = Scope::Private.wait(&word, 0, Some(Duration::from_millis(1)));
    /// assert_eq!(r, WaitResult::TimedOut);
    /// ```
    pub fn wait(self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
        imp::wait(word, expected, timeout, self)
    }

    /// [`wait_until`] with this scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::futex::{Scope, WaitResult};
    /// use std::sync::atomic::AtomicU32;
    /// use std::time::{Duration, Instant};
    ///
    /// let word = AtomicU32::new(0);
    /// let deadline = Instant::now() + Duration::from_millis(2);
    /// assert_eq!(Scope::Private.wait_until(&word, 0, Some(deadline)), WaitResult::TimedOut);
    /// assert!(Instant::now() >= deadline);
    /// ```
    pub fn wait_until(
        self,
        word: &AtomicU32,
        expected: u32,
        deadline: Option<Instant>,
    ) -> WaitResult {
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        imp::wait(word, expected, timeout, self)
    }

    /// [`wake`] with this scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::futex::{Scope, WaitResult};
    /// use std::sync::atomic::AtomicU32;
    ///
    /// let word = AtomicU32::new(0);
    /// assert_eq!(Scope::Private.wake(&word, 0), 0);
    /// std::thread::scope(|s| {
    ///     let sleeper = s.spawn(|| Scope::Private.wait(&word, 0, None));
    ///     // Up to 8, but only one sleeps (once it has gone to sleep).
    ///     while Scope::Private.wake(&word, 8) == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     assert_eq!(sleeper.join().unwrap(), WaitResult::Woken);
    /// });
    /// ```
    pub fn wake(self, word: &AtomicU32, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        imp::wake(word, n, self)
    }

    /// [`wake_one`] with this scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::futex::{Scope, WaitResult};
    /// use std::sync::atomic::AtomicU32;
    ///
    /// let word = AtomicU32::new(0);
    /// std::thread::scope(|s| {
    ///     let sleeper = s.spawn(|| Scope::Private.wait(&word, 0, None));
    ///     let woken = loop {
    ///         match Scope::Private.wake_one(&word) {
    ///             0 => std::thread::yield_now(), // not asleep yet
    ///             n => break n,
    ///         }
    ///     };
    ///     assert_eq!((woken, sleeper.join().unwrap()), (1, WaitResult::Woken));
    /// });
    /// ```
    pub fn wake_one(self, word: &AtomicU32) -> usize {
        self.wake(word, 1)
    }

    /// [`wake_all`] with this scope.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::futex::Scope;
    /// use std::sync::atomic::AtomicU32;
    ///
    /// let word = AtomicU32::new(0);
    /// let mut woken = 0;
    /// std::thread::scope(|s| {
    ///     for _ in 0..2 {
    ///         s.spawn(|| Scope::Private.wait(&word, 0, None));
    ///     }
    ///     while woken < 2 {
    ///         woken += Scope::Private.wake_all(&word);
    ///     }
    /// });
    /// assert_eq!(woken, 2);
    /// ```
    pub fn wake_all(self, word: &AtomicU32) -> usize {
        self.wake(word, usize::MAX)
    }
}

/// Sleeps while `*word == expected`, for at most `timeout` (`None`: no limit). Shared scope.
///
/// Returns at once with [`WaitResult::NotEqual`] if the word differs. `Woken` may be spurious.
///
/// # Examples
///
/// ```
/// use shmkern::sync::futex::{self, WaitResult};
/// use std::sync::atomic::{AtomicU32, Ordering::{Acquire, Release}};
///
/// let word = AtomicU32::new(0);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         word.store(1, Release);
///         futex::wake_all(&word);
///     });
///     while word.load(Acquire) == 0 {
///         futex::wait(&word, 0, None); // re-checked: `Woken` may be spurious
///     }
/// });
/// assert_eq!(futex::wait(&word, 0, None), WaitResult::NotEqual);
/// ```
pub fn wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
    Scope::Shared.wait(word, expected, timeout)
}

/// Like [`wait`], with an absolute deadline instead of a timeout. Shared scope.
///
/// # Examples
///
/// ```
/// use shmkern::sync::futex::{self, WaitResult};
/// use std::sync::atomic::AtomicU32;
/// use std::time::Instant;
///
/// let word = AtomicU32::new(0);
/// let past = Instant::now();
/// // A deadline that has passed: no sleep at all.
/// assert_eq!(futex::wait_until(&word, 0, Some(past)), WaitResult::TimedOut);
/// assert_eq!(futex::wait_until(&word, 1, None), WaitResult::NotEqual);
/// ```
pub fn wait_until(word: &AtomicU32, expected: u32, deadline: Option<Instant>) -> WaitResult {
    Scope::Shared.wait_until(word, expected, deadline)
}

/// Wakes at most `n` threads (in any process) sleeping on `word`; returns how many it woke.
///
/// # Examples
///
/// ```
/// use shmkern::{sync::futex, SharedBuffer};
/// use std::sync::atomic::AtomicU32;
///
/// # if !futex::CROSS_PROCESS { return Ok(()); }
/// // Two mappings of one memfd: one physical page at two addresses.
/// let mut a = SharedBuffer::<u32>::anonymous(1)?;
/// let file = a.file().unwrap().try_clone().unwrap();
/// // SAFETY: both mappings are accessed only through atomics.
/// let mut b = unsafe { SharedBuffer::<u32>::from_file(file)? };
/// // SAFETY: aligned, valid while the buffers live, and accessed only as atomics.
/// let (wa, wb) = unsafe {
///     (AtomicU32::from_ptr(a.as_mut_ptr()), AtomicU32::from_ptr(b.as_mut_ptr()))
/// };
/// std::thread::scope(|s| {
///     let sleeper = s.spawn(|| futex::wait(wa, 0, None));
///     // The shared scope keys by the page: a wake through `b` finds the sleeper on `a`.
///     while futex::wake(wb, 1) == 0 {
///         std::thread::yield_now();
///     }
///     assert_eq!(sleeper.join().unwrap(), futex::WaitResult::Woken);
/// });
/// # Ok::<(), shmkern::Error>(())
/// ```
pub fn wake(word: &AtomicU32, n: usize) -> usize {
    Scope::Shared.wake(word, n)
}

/// Wakes at most one thread sleeping on `word`; returns how many it woke (0 or 1).
///
/// # Examples
///
/// ```
/// use shmkern::sync::futex;
/// use std::sync::atomic::AtomicU32;
///
/// let word = AtomicU32::new(0);
/// assert_eq!(futex::wake_one(&word), 0); // nobody sleeps
/// std::thread::scope(|s| {
///     s.spawn(|| futex::wait(&word, 0, None));
///     while futex::wake_one(&word) == 0 {
///         std::thread::yield_now(); // until the sleeper is asleep
///     }
/// });
/// ```
pub fn wake_one(word: &AtomicU32) -> usize {
    Scope::Shared.wake_one(word)
}

/// Wakes every thread sleeping on `word`; returns how many it woke.
///
/// # Examples
///
/// ```
/// use shmkern::sync::futex;
/// use std::sync::atomic::AtomicU32;
///
/// let word = AtomicU32::new(0);
/// let mut woken = 0;
/// std::thread::scope(|s| {
///     for _ in 0..3 {
///         s.spawn(|| futex::wait(&word, 0, None));
///     }
///     while woken < 3 {
///         woken += futex::wake_all(&word);
///     }
/// });
/// assert_eq!(woken, 3);
/// ```
pub fn wake_all(word: &AtomicU32) -> usize {
    Scope::Shared.wake_all(word)
}

/// Benchmark hook (cargo feature `internals`): the raw kernel wait, without the user-space
/// pre-check of the value, so the `EAGAIN` path of the syscall can be measured. Not part of the
/// API.
#[cfg(all(feature = "internals", target_os = "linux", not(shmkern_loom)))]
pub fn __syscall_wait(word: &AtomicU32, expected: u32, scope: Scope) -> WaitResult {
    imp::syscall_wait(word, expected, None, scope)
}

// Unit tests of the platform implementation; they use only heap memory, so they also run under Miri.
#[cfg(all(test, not(shmkern_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::{Acquire, Release};

    #[test]
    fn not_equal_timeout_and_idle_wake() {
        for scope in [Scope::Shared, Scope::Private] {
            let w = AtomicU32::new(9);
            assert_eq!(scope.wait(&w, 8, None), WaitResult::NotEqual);
            let t0 = Instant::now();
            assert_eq!(
                scope.wait(&w, 9, Some(Duration::from_millis(5))),
                WaitResult::TimedOut
            );
            assert!(t0.elapsed() >= Duration::from_millis(5));
            let past = Instant::now() - Duration::from_millis(1);
            assert_eq!(scope.wait_until(&w, 9, Some(past)), WaitResult::TimedOut);
            assert_eq!(scope.wake_all(&w), 0);
            assert_eq!(scope.wake(&w, 0), 0);
        }
    }

    #[test]
    fn handoff_between_threads() {
        for scope in [Scope::Shared, Scope::Private] {
            let w = AtomicU32::new(0);
            std::thread::scope(|s| {
                s.spawn(|| {
                    // Duration::MAX does not fit a timespec: it means "no timeout".
                    while w.load(Acquire) == 0 {
                        assert_ne!(scope.wait(&w, 0, Some(Duration::MAX)), WaitResult::TimedOut);
                    }
                });
                std::thread::sleep(Duration::from_millis(10));
                w.store(1, Release);
                assert!(scope.wake_one(&w) <= 1);
            });
        }
    }
}
