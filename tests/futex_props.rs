//! Property tests of the futex contract (`shmkern::sync::futex`): timeouts, `NotEqual`, wake counts and
//! "too large a timeout means no timeout". Timing bounds here are sanity bounds, not benchmarks.
#![cfg(not(shmkern_loom))]

#[path = "common/miri.rs"]
mod miri;

use proptest::prelude::*;
use shmkern::sync::futex::{self, spin_then_wait, Scope, WaitResult};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::Acquire, Ordering::Release};
use std::time::{Duration, Instant};

/// How much later than its timeout a timed-out wait may return before we call it broken.
const SLACK: Duration = Duration::from_secs(2);
/// How long a wait that must not sleep (`NotEqual`, a past deadline) may take at most.
const PROMPT: Duration = Duration::from_millis(500);
/// Upper bound for the threaded tests' hand-offs before they fail instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

/// The ways to wait on a word with a relative timeout.
#[derive(Clone, Copy, Debug)]
enum Waiter {
    Shared,
    Private,
    Spin,
}

impl Waiter {
    fn wait(self, word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> WaitResult {
        match self {
            Waiter::Shared => futex::wait(word, expected, timeout),
            Waiter::Private => Scope::Private.wait(word, expected, timeout),
            Waiter::Spin => spin_then_wait(word, expected, timeout),
        }
    }

    fn scope(self) -> Scope {
        match self {
            Waiter::Private => Scope::Private,
            Waiter::Shared | Waiter::Spin => Scope::Shared,
        }
    }
}

fn any_waiter() -> impl Strategy<Value = Waiter> {
    prop_oneof![
        Just(Waiter::Shared),
        Just(Waiter::Private),
        Just(Waiter::Spin)
    ]
}

/// `waiter` on a word holding `value`, expecting it: must time out after `ms`, not before, and not
/// absurdly later.
fn check_times_out(waiter: Waiter, value: u32, ms: u64) -> Result<(), TestCaseError> {
    let word = AtomicU32::new(value);
    let timeout = Duration::from_millis(ms);
    let t0 = Instant::now();
    let r = waiter.wait(&word, value, Some(timeout));
    let took = t0.elapsed();
    prop_assert_eq!(r, WaitResult::TimedOut, "{:?} {:?}", waiter, timeout);
    prop_assert!(
        took >= timeout,
        "{:?} returned after {:?} < {:?}",
        waiter,
        took,
        timeout
    );
    prop_assert!(
        took < timeout + SLACK,
        "{:?} returned after {:?} for {:?}",
        waiter,
        took,
        timeout
    );
    prop_assert_eq!(word.into_inner(), value, "waiting never changes the word");
    Ok(())
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::with_cases(16)))]

    #[test]
    fn wait_times_out(ms in 1u64..30, value in any::<u32>()) {
        check_times_out(Waiter::Shared, value, ms)?;
    }

    #[test]
    fn private_wait_times_out(ms in 1u64..30, value in any::<u32>()) {
        check_times_out(Waiter::Private, value, ms)?;
    }

    #[test]
    fn spin_then_wait_times_out(ms in 1u64..30, value in any::<u32>()) {
        check_times_out(Waiter::Spin, value, ms)?;
    }

    /// `wait_until` with a future deadline times out at (not before) the deadline.
    #[test]
    fn wait_until_times_out_at_deadline(ms in 1u64..30, value in any::<u32>(), private in any::<bool>()) {
        let word = AtomicU32::new(value);
        let deadline = Instant::now() + Duration::from_millis(ms);
        let r = if private {
            Scope::Private.wait_until(&word, value, Some(deadline))
        } else {
            futex::wait_until(&word, value, Some(deadline))
        };
        let now = Instant::now();
        prop_assert_eq!(r, WaitResult::TimedOut);
        prop_assert!(now >= deadline, "returned {:?} early", deadline - now);
        prop_assert!(now < deadline + SLACK, "returned {:?} late", now - deadline);
    }

    /// Huge timeouts (up to `Duration::MAX`, beyond what a `timespec` holds) mean "no timeout": the
    /// waiter neither times out at once nor misbehaves, and is woken normally.
    #[test]
    fn huge_timeout_is_no_timeout(
        timeout in prop_oneof![
            Just(Duration::MAX),
            (u64::MAX / 2..=u64::MAX).prop_map(Duration::from_secs),
            (1u64 << 33..1u64 << 62).prop_map(Duration::from_secs),
        ],
        waiter in any_waiter(),
    ) {
        let word = AtomicU32::new(0);
        let started = AtomicU32::new(0);
        let results = std::thread::scope(|s| {
            let t = s.spawn(|| {
                started.store(1, Release);
                let mut results = Vec::new();
                while word.load(Acquire) == 0 {
                    let r = waiter.wait(&word, 0, Some(timeout));
                    results.push(r);
                    if r == WaitResult::TimedOut {
                        break;
                    }
                }
                results
            });
            while started.load(Acquire) == 0 {
                std::thread::yield_now();
            }
            // Let the waiter fall asleep (if it times out at once, it is gone by now).
            std::thread::sleep(Duration::from_millis(5));
            word.store(1, Release);
            let deadline = Instant::now() + LIMIT;
            while !t.is_finished() {
                waiter.scope().wake_all(&word);
                assert!(Instant::now() < deadline, "the waiter was never woken");
                std::thread::sleep(Duration::from_micros(200));
            }
            t.join().unwrap()
        });
        prop_assert!(
            !results.contains(&WaitResult::TimedOut),
            "{:?} with timeout {:?} returned {:?}",
            waiter,
            timeout,
            results
        );
    }
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::default()))]

    /// A deadline already past returns `TimedOut` without sleeping.
    #[test]
    fn past_deadline_times_out_promptly(ago_ms in 0u64..10_000, value in any::<u32>(), private in any::<bool>()) {
        let word = AtomicU32::new(value);
        let t0 = Instant::now();
        let deadline = t0.checked_sub(Duration::from_millis(ago_ms)).unwrap_or(t0);
        let r = if private {
            Scope::Private.wait_until(&word, value, Some(deadline))
        } else {
            futex::wait_until(&word, value, Some(deadline))
        };
        prop_assert_eq!(r, WaitResult::TimedOut);
        prop_assert!(t0.elapsed() < PROMPT, "took {:?}", t0.elapsed());
    }

    /// A differing value returns `NotEqual` at once, whatever the timeout, through every entry point.
    #[test]
    fn not_equal_returns_at_once(value in any::<u32>(), delta in 1u32..=u32::MAX) {
        let expected = value.wrapping_add(delta);
        let word = AtomicU32::new(value);
        let long = Some(Duration::from_secs(10));
        let t0 = Instant::now();
        prop_assert_eq!(futex::wait(&word, expected, long), WaitResult::NotEqual);
        prop_assert_eq!(futex::wait(&word, expected, None), WaitResult::NotEqual);
        prop_assert_eq!(Scope::Private.wait(&word, expected, long), WaitResult::NotEqual);
        prop_assert_eq!(spin_then_wait(&word, expected, long), WaitResult::NotEqual);
        prop_assert_eq!(
            futex::wait_until(&word, expected, Some(Instant::now() + Duration::from_secs(10))),
            WaitResult::NotEqual
        );
        prop_assert_eq!(
            Scope::Private.wait_until(&word, expected, None),
            WaitResult::NotEqual
        );
        prop_assert!(t0.elapsed() < PROMPT, "took {:?}", t0.elapsed());
        prop_assert_eq!(word.into_inner(), value);
    }

    /// Waking a word nobody sleeps on wakes nobody and leaves the word alone.
    #[test]
    fn wake_without_waiters_is_zero(value in any::<u32>(), n in any::<usize>()) {
        let word = AtomicU32::new(value);
        for scope in [Scope::Shared, Scope::Private] {
            prop_assert_eq!(scope.wake(&word, n), 0);
            prop_assert_eq!(scope.wake_one(&word), 0);
            prop_assert_eq!(scope.wake_all(&word), 0);
        }
        prop_assert_eq!(futex::wake(&word, n), 0);
        prop_assert_eq!(futex::wake_one(&word), 0);
        prop_assert_eq!(futex::wake_all(&word), 0);
        prop_assert_eq!(word.into_inner(), value);
    }
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::with_cases(32)))]

    /// `k` threads sleep on a word; the main thread publishes a value and calls `wake(word, 1)` until
    /// all have left. Each call wakes at most one, all calls together at most `k`, and every thread
    /// sees the published value.
    #[test]
    fn wake_one_at_a_time(k in 1usize..=4, value in 1u32..=u32::MAX, private in any::<bool>()) {
        let scope = if private { Scope::Private } else { Scope::Shared };
        let word = AtomicU32::new(0);
        let started = AtomicUsize::new(0);
        let (seen, total) = std::thread::scope(|s| {
            let threads: Vec<_> = (0..k)
                .map(|_| {
                    s.spawn(|| {
                        started.fetch_add(1, Release);
                        let deadline = Instant::now() + LIMIT;
                        loop {
                            let v = word.load(Acquire);
                            if v != 0 {
                                return Ok(v);
                            }
                            let left = deadline.saturating_duration_since(Instant::now());
                            if scope.wait(&word, 0, Some(left)) == WaitResult::TimedOut
                                && word.load(Acquire) == 0
                            {
                                return Err("timed out: never woken");
                            }
                        }
                    })
                })
                .collect();
            while started.load(Acquire) < k {
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_millis(2));
            word.store(value, Release);
            let mut total = 0;
            let deadline = Instant::now() + LIMIT;
            while !threads.iter().all(|t| t.is_finished()) && Instant::now() < deadline {
                let n = scope.wake(&word, 1);
                assert!(n <= 1, "wake(word, 1) woke {n}");
                total += n;
                std::thread::yield_now();
            }
            let seen: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            (seen, total)
        });
        prop_assert!(total <= k, "woke {} in all, for {} sleepers", total, k);
        for v in seen {
            prop_assert_eq!(v, Ok(value));
        }
    }
}
