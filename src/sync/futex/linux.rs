//! Linux: the raw `futex(2)` syscall, shared or private, with absolute `CLOCK_MONOTONIC` deadlines.

use super::{Scope, WaitResult};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::time::Duration;

fn flag(scope: Scope) -> libc::c_int {
    match scope {
        Scope::Shared => 0,
        Scope::Private => libc::FUTEX_PRIVATE_FLAG,
    }
}

/// `now(CLOCK_MONOTONIC) + timeout`, or `None` when it does not fit a `timespec` (treated as "never").
// `time_t` and `c_long` are 32-bit on some Linux targets: the casts are no-ops only on 64-bit ones.
#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
fn deadline_after(timeout: Duration) -> Option<libc::timespec> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; CLOCK_MONOTONIC is always supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    debug_assert_eq!(rc, 0);
    let secs = i64::try_from(timeout.as_secs()).ok()?;
    let mut sec = (now.tv_sec as i64).checked_add(secs)?;
    let mut nsec = now.tv_nsec as i64 + i64::from(timeout.subsec_nanos());
    if nsec >= 1_000_000_000 {
        nsec -= 1_000_000_000;
        sec = sec.checked_add(1)?;
    }
    Some(libc::timespec {
        tv_sec: sec.try_into().ok()?,
        tv_nsec: nsec as _,
    })
}

pub(super) fn wait(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<Duration>,
    scope: Scope,
) -> WaitResult {
    // User-space pre-check: a differing value costs no syscall. It implies no ordering (see mod docs).
    if word.load(Relaxed) != expected {
        return WaitResult::NotEqual;
    }
    syscall_wait(word, expected, timeout, scope)
}

pub(super) fn syscall_wait(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<Duration>,
    scope: Scope,
) -> WaitResult {
    if timeout == Some(Duration::ZERO) {
        return WaitResult::TimedOut;
    }
    // One absolute deadline for all retries: EINTR does not stretch the wait.
    let deadline = timeout.and_then(deadline_after);
    let ts_ptr = deadline
        .as_ref()
        .map_or(std::ptr::null(), |ts| ts as *const libc::timespec);
    loop {
        // SAFETY: `word` is a live, 4-byte-aligned u32 for the duration of the call; `ts_ptr` is null
        // or points to `deadline`, which outlives the call; the fourth pointer argument (uaddr2) is
        // unused by FUTEX_WAIT_BITSET. The kernel only reads the word.
        let r = unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAIT_BITSET | flag(scope),
                expected,
                ts_ptr,
                std::ptr::null::<u32>(),
                libc::FUTEX_BITSET_MATCH_ANY,
            )
        };
        if r == 0 {
            return WaitResult::Woken;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) => return WaitResult::NotEqual,
            Some(libc::ETIMEDOUT) => return WaitResult::TimedOut,
            // EFAULT/EINVAL cannot happen for a valid reference and deadline; ENOSYS would mean a
            // pre-2.6.25 kernel. Report a (permitted) spurious wake: callers re-check their condition.
            other => {
                debug_assert!(false, "futex wait failed: {other:?}");
                return WaitResult::Woken;
            }
        }
    }
}

pub(super) fn wake(word: &AtomicU32, n: usize, scope: Scope) -> usize {
    let n = libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX);
    // SAFETY: `word` is a live, aligned u32; FUTEX_WAKE never dereferences memory, it only uses the
    // address as the key.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | flag(scope),
            n,
        )
    };
    debug_assert!(
        r >= 0,
        "futex wake failed: {}",
        std::io::Error::last_os_error()
    );
    r.max(0) as usize
}
