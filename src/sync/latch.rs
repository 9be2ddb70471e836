//! A count-down latch made only of two `u32` atomics, so it can live inside a shared mapping and be
//! waited on from several processes. Protocol and orderings: `README.md` § Latch.

use super::atomic::{
    fence, AtomicU32,
    Ordering::{Acquire, Relaxed, Release, SeqCst},
};
use super::futex::{self, WaitResult};
use super::{fault, FaultId};
use std::fmt;
use std::time::{Duration, Instant};

/// A count-down latch: opens when [`count_down`](Latch::count_down) has been called `n` times; every
/// [`wait`](Latch::wait) returns once it is open.
///
/// `#[repr(C)]`, two `u32` atomics, no pointers, no allocation: a `Latch` can sit inside a memory
/// mapping shared by several processes ([`Latch::from_ptr`]); its futex word is shared-scope. All-zero
/// bytes are a valid, open latch.
///
/// # Memory ordering
///
/// - Every `count_down` is a `Release` RMW of `count`. The `wait` that returns `Ok` has done an
///   `Acquire` load that read `0`, written by the last count-down; since all count-downs are RMWs of
///   one word, they form one release sequence, so **every write made before every `count_down` is
///   visible after `wait` returns** (loom model `latch_publishes_writes`).
/// - Skipping the futex wake when nobody waits is a Dekker pattern: the opener stores `count = 0`,
///   `fence(SeqCst)`, loads `waiters`; a waiter increments `waiters`, `fence(SeqCst)`, loads `count`.
///   The two fences are ordered, so either the opener sees the waiter (and wakes it) or the waiter
///   sees `0` (and never sleeps) (loom model `latch_no_lost_wakeup`).
///
/// # Examples
///
/// ```
/// use shmkern::sync::Latch;
/// use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
///
/// let latch = Latch::new(2);
/// let data = AtomicU64::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| {
///             data.fetch_add(21, Relaxed);
///             latch.count_down();
///         });
///     }
///     latch.wait(None).unwrap();
///     // The latch's Release/Acquire pair makes both writes visible.
///     assert_eq!(data.load(Relaxed), 42);
/// });
/// assert!(latch.is_open());
/// ```
#[repr(C)]
pub struct Latch {
    /// Count-downs still to come; `0` = open. The futex word waiters sleep on.
    count: AtomicU32,
    /// Threads inside `wait` that may sleep: registered before their last check of `count`.
    waiters: AtomicU32,
}

#[cfg(not(shmkern_loom))]
const _: () = {
    assert!(std::mem::size_of::<Latch>() == 8);
    assert!(std::mem::align_of::<Latch>() == 4);
};

/// The error of a [`Latch::wait`] whose timeout passed before the latch opened.
///
/// # Examples
///
/// ```
/// use shmkern::{sync::Latch, sync::TimedOut};
/// use std::time::Duration;
///
/// let latch = Latch::new(1);
/// assert_eq!(latch.wait(Some(Duration::from_millis(1))), Err(TimedOut));
/// assert_eq!(TimedOut.to_string(), "timed out waiting for the latch to open");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out waiting for the latch to open")
    }
}

impl std::error::Error for TimedOut {}

impl Latch {
    /// A latch that opens after `n` count-downs (`n == 0`: open already).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::Latch;
    ///
    /// let latch = Latch::new(2);
    /// assert_eq!((latch.count(), latch.is_open()), (2, false));
    /// assert!(Latch::new(0).is_open());
    /// // `const`: a latch can be a static.
    /// static READY: Latch = Latch::new(1);
    /// assert!(READY.count_down());
    /// ```
    #[cfg(not(shmkern_loom))]
    pub const fn new(n: u32) -> Self {
        Self {
            count: AtomicU32::new(n),
            waiters: AtomicU32::new(0),
        }
    }

    /// A latch that opens after `n` count-downs (`n == 0`: open already).
    #[cfg(shmkern_loom)]
    pub fn new(n: u32) -> Self {
        Self {
            count: AtomicU32::new(n),
            waiters: AtomicU32::new(0),
        }
    }

    /// Views 8 bytes of a (possibly shared) mapping as a latch.
    ///
    /// Zeroed memory is an open latch; call [`reset`](Latch::reset) before handing it out.
    ///
    /// # Safety
    ///
    /// - `ptr` is valid for reads and writes of 8 bytes for `'a`, and the mapping stays mapped (and is
    ///   not truncated) for `'a`;
    /// - for `'a`, those bytes are accessed only as atomics — by this latch, or by a `Latch` made from
    ///   the same bytes in this or another process — never through plain references or writes.
    ///
    /// # Panics
    ///
    /// If `ptr` is not 4-byte aligned (a page-aligned mapping plus an offset that is a multiple of 4
    /// always is).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{sync::Latch, SharedBuffer};
    ///
    /// let mut mem = SharedBuffer::<u32>::anonymous(2)?;
    /// let ptr = mem.as_mut_ptr().cast::<u8>();
    /// // SAFETY: `mem` outlives both views, and its bytes are touched only through them.
    /// let (a, b) = unsafe { (Latch::from_ptr(ptr), Latch::from_ptr(ptr)) };
    /// assert!(a.is_open(), "zeroed bytes are an open latch");
    /// a.reset(1);
    /// assert!(b.count_down()); // the same bytes: counting down `b` opens `a`
    /// assert!(a.is_open());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    #[cfg(not(shmkern_loom))]
    pub unsafe fn from_ptr<'a>(ptr: *mut u8) -> &'a Latch {
        assert!(
            (ptr as usize).is_multiple_of(std::mem::align_of::<Latch>()),
            "Latch::from_ptr: {ptr:p} is not 4-byte aligned"
        );
        // SAFETY: aligned (checked above) and valid for 8 bytes for 'a (caller); `Latch` is two
        // `AtomicU32`s, which have no invalid bit patterns, and every access is atomic (caller).
        unsafe { &*ptr.cast::<Latch>() }
    }

    /// Counts down once. Returns `true` for the call that opened the latch.
    ///
    /// Counting down an open latch does nothing and returns `false` (the count never wraps).
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = shmkern::sync::Latch::new(2);
    /// assert!(!latch.count_down());
    /// assert!(!latch.is_open());
    /// assert!(latch.count_down()); // the call that opened it
    /// assert!(latch.is_open());
    /// assert!(!latch.count_down()); // already open: no effect
    /// assert_eq!(latch.count(), 0);
    /// ```
    pub fn count_down(&self) -> bool {
        // Release: publishes this thread's earlier writes to the waiter's Acquire load of 0 (see the
        // type's "Memory ordering"). The broken twin `latch_relaxed_count_down` drops it.
        let order = if fault(FaultId::LatchRelaxedCountDown) {
            Relaxed
        } else {
            Release
        };
        let mut cur = self.count.load(Relaxed);
        loop {
            if cur == 0 {
                return false;
            }
            match self
                .count
                .compare_exchange_weak(cur, cur - 1, order, Relaxed)
            {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        if cur != 1 {
            return false;
        }
        // We opened it. Dekker with `wait`: our store of 0 / fence / load of `waiters` against the
        // waiter's increment / fence / load of `count`.
        if !fault(FaultId::LatchNoFence) {
            fence(SeqCst);
        }
        if self.waiters.load(Relaxed) != 0 {
            futex::wake_all(&self.count);
        }
        true
    }

    /// Waits until the latch is open, for at most `timeout` (`None`: no limit).
    ///
    /// After `Ok(())`, every write made before every `count_down` is visible. Spins briefly before
    /// sleeping on the (shared-scope) futex; spurious wake-ups are absorbed here.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{sync::Latch, sync::TimedOut};
    /// use std::time::Duration;
    ///
    /// let latch = Latch::new(1);
    /// assert_eq!(latch.wait(Some(Duration::from_millis(1))), Err(TimedOut));
    /// std::thread::scope(|s| {
    ///     s.spawn(|| latch.count_down());
    ///     assert_eq!(latch.wait(None), Ok(()));
    /// });
    /// assert_eq!(latch.waiting(), 0);
    /// ```
    pub fn wait(&self, timeout: Option<Duration>) -> Result<(), TimedOut> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if self.count.load(Acquire) == 0 {
            return Ok(());
        }
        #[cfg(not(shmkern_loom))]
        {
            let backoff = crossbeam_utils::Backoff::new();
            while !backoff.is_completed() {
                backoff.snooze();
                if self.count.load(Acquire) == 0 {
                    return Ok(());
                }
            }
        }
        self.waiters.fetch_add(1, Relaxed);
        if !fault(FaultId::LatchNoFence) {
            fence(SeqCst);
        }
        let result = loop {
            let c = self.count.load(Acquire);
            if c == 0 {
                break Ok(());
            }
            match futex::wait_until(&self.count, c, deadline) {
                WaitResult::TimedOut => {
                    break if self.count.load(Acquire) == 0 {
                        Ok(())
                    } else {
                        Err(TimedOut)
                    }
                }
                // Broken twin `latch_trusts_woken`: a spurious wake-up ends the wait early.
                WaitResult::Woken if fault(FaultId::LatchTrustsWoken) => break Ok(()),
                WaitResult::Woken | WaitResult::NotEqual => {}
            }
        };
        if !(result.is_err() && fault(FaultId::LatchLeaksWaiter)) {
            self.waiters.fetch_sub(1, Relaxed);
        }
        result
    }

    /// Whether the latch is open (`Acquire`: a `true` makes the count-downs' writes visible).
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = shmkern::sync::Latch::new(1);
    /// assert!(!latch.is_open());
    /// latch.count_down();
    /// assert!(latch.is_open());
    /// ```
    pub fn is_open(&self) -> bool {
        self.count.load(Acquire) == 0
    }

    /// Count-downs still to come (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = shmkern::sync::Latch::new(3);
    /// latch.count_down();
    /// assert_eq!(latch.count(), 2);
    /// ```
    pub fn count(&self) -> u32 {
        self.count.load(Relaxed)
    }

    /// Threads currently inside [`wait`](Latch::wait) that may sleep (a snapshot, for diagnostics and
    /// tests; `0` once every waiter has left, whether it was woken or timed out).
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = shmkern::sync::Latch::new(1);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| latch.wait(None).unwrap());
    ///     // The waiter registers before it sleeps.
    ///     while latch.waiting() == 0 {
    ///         std::thread::yield_now();
    ///     }
    ///     latch.count_down();
    /// });
    /// assert_eq!(latch.waiting(), 0);
    /// ```
    pub fn waiting(&self) -> u32 {
        self.waiters.load(Relaxed)
    }

    /// Re-arms the latch for `n` more count-downs.
    ///
    /// Must not overlap any `wait` or `count_down` on this latch: reuse it only after every user of the
    /// previous round has left, and hand the reset latch to the next round's users through a
    /// Release/Acquire pair (as [`WorkRanges`](crate::sched::WorkRanges)' round generation does). Overlapping
    /// calls break no memory safety, only the count.
    ///
    /// # Examples
    ///
    /// ```
    /// let latch = shmkern::sync::Latch::new(1);
    /// latch.count_down();
    /// latch.reset(2); // the next round
    /// assert_eq!((latch.count(), latch.is_open()), (2, false));
    /// latch.count_down();
    /// assert!(latch.count_down());
    /// ```
    pub fn reset(&self, n: u32) {
        debug_assert_eq!(
            self.waiters.load(Relaxed),
            0,
            "Latch::reset while threads wait"
        );
        self.count.store(n, Relaxed);
    }
}

impl fmt::Debug for Latch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latch")
            .field("count", &self.count())
            .field("waiting", &self.waiting())
            .finish()
    }
}

#[cfg(all(test, not(shmkern_loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn opens_after_n_and_publishes() {
        let n = if cfg!(miri) { 3 } else { 8 };
        let latch = Latch::new(n);
        let data: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
        std::thread::scope(|s| {
            for (i, d) in data.iter().enumerate() {
                let latch = &latch;
                s.spawn(move || {
                    d.store(i as u64 + 1, Relaxed);
                    latch.count_down();
                });
            }
            latch.wait(None).unwrap();
            for (i, d) in data.iter().enumerate() {
                assert_eq!(d.load(Relaxed), i as u64 + 1);
            }
        });
        assert!(!latch.count_down(), "an open latch stays open");
        assert_eq!(latch.count(), 0);
        assert_eq!(latch.waiting(), 0);
    }

    #[test]
    fn times_out_and_leaves_no_waiter() {
        let latch = Latch::new(1);
        let t0 = Instant::now();
        assert_eq!(latch.wait(Some(Duration::from_millis(10))), Err(TimedOut));
        assert!(t0.elapsed() >= Duration::from_millis(10));
        assert_eq!(latch.waiting(), 0);
        assert!(latch.count_down());
        assert_eq!(latch.wait(Some(Duration::ZERO)), Ok(()));
    }

    #[test]
    fn reset_rearms() {
        let latch = Latch::new(0);
        assert!(latch.is_open());
        latch.reset(1);
        assert!(!latch.is_open());
        assert!(latch.count_down());
        assert!(latch.is_open());
    }

    #[test]
    fn from_ptr_over_anonymous_memory() {
        let mut map = memmap2::MmapMut::map_anon(4096).unwrap();
        // SAFETY: the mapping outlives the latch reference and is only used through it.
        let latch = unsafe { Latch::from_ptr(map.as_mut_ptr().add(64)) };
        assert!(latch.is_open(), "zeroed bytes are an open latch");
        latch.reset(2);
        std::thread::scope(|s| {
            s.spawn(|| latch.count_down());
            s.spawn(|| latch.count_down());
            latch.wait(None).unwrap();
        });
    }
}
