//! Spin, then sleep: a wake-up through the kernel costs microseconds, so a waiter that expects the
//! word to change very soon spins a bounded while first.

use super::{wait, WaitResult};
use crate::sync::atomic::{AtomicU32, Ordering::Acquire};
use std::time::{Duration, Instant};

/// Waits until `*word != expected`, spinning (a few microseconds: `spin_loop` hints with a check
/// every 4, then crossbeam's [`Backoff`]: more hints, then a handful of `yield`s) before sleeping
/// on the shared-scope futex for at most `timeout` in all.
///
/// Returns [`WaitResult::NotEqual`] if the value changed while spinning (or before), otherwise what
/// the futex wait returned; `Woken` may be spurious, so callers re-check as with [`wait`]. The loads
/// while spinning are `Acquire`, so a `NotEqual` from spinning also orders later reads after the
/// store that changed the word.
///
/// [`Backoff`]: crossbeam_utils::Backoff
///
/// # Examples
///
/// ```
/// use shmkern::sync::futex::{spin_then_wait, WaitResult};
/// use std::sync::atomic::AtomicU32;
/// use std::time::Duration;
///
/// let word = AtomicU32::new(3);
/// assert_eq!(spin_then_wait(&word, 4, None), WaitResult::NotEqual);
/// assert_eq!(spin_then_wait(&word, 3, Some(Duration::from_millis(1))), WaitResult::TimedOut);
/// ```
pub fn spin_then_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
    let start = Instant::now();
    if spin_while(word, expected) {
        return WaitResult::NotEqual;
    }
    let left = timeout.map(|t| t.saturating_sub(start.elapsed()));
    wait(word, expected, left)
}

/// The spinning half of [`spin_then_wait`]: true as soon as `*word != expected` (`Acquire` load,
/// so later reads are ordered after the store that changed it), false if it still holds
/// `expected` after a few microseconds — or at once under loom, where spinning only multiplies the
/// schedules to explore and the futex model is the point.
pub(crate) fn spin_while(word: &AtomicU32, expected: u32) -> bool {
    #[cfg(not(shmkern_loom))]
    {
        // Poll every 4 pause hints for as many pauses as `Backoff`'s spin phase (1 + 2 + … + 64 =
        // 127): its doubling steps (64 pauses ≈ 4 µs at ~140 cycles a pause) noticed a change up
        // to ~4 µs late, longer than a chunk of the sum kernel takes. Then `Backoff` as before.
        for _ in 0..32 {
            if word.load(Acquire) != expected {
                return true;
            }
            for _ in 0..4 {
                std::hint::spin_loop();
            }
        }
        let backoff = crossbeam_utils::Backoff::new();
        while !backoff.is_completed() {
            if word.load(Acquire) != expected {
                return true;
            }
            backoff.snooze();
        }
    }
    word.load(Acquire) != expected
}
