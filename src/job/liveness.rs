//! Is a participant still alive? A process ID plus the process's start time, so that a recycled
//! PID is not mistaken for the participant that died.

/// An identity of process `pid` that changes when the PID is reused: its start time in clock ticks
/// since boot (`/proc/<pid>/stat`, field 22). `None` if the process does not exist or is a zombie.
#[cfg(target_os = "linux")]
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: split after its `)`.
    let rest = stat.rsplit_once(") ")?.1;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    if state == "Z" || state == "X" {
        return None; // exited: it cannot run again, whatever it held
    }
    // `rest` starts at field 3; field 22 is the 20th from there.
    fields.nth(18)?.parse().ok()
}

/// Without `/proc`: whether `kill(pid, 0)` finds the process; the identity is a constant 1.
#[cfg(all(unix, not(target_os = "linux")))]
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    let exists = r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists.then_some(1)
}

#[cfg(not(unix))]
pub(crate) fn start_time(_pid: u32) -> Option<u64> {
    Some(1) // no way to tell: every participant counts as alive
}

/// Milliseconds of `CLOCK_MONOTONIC`: one clock for every process of the machine (in one time
/// namespace), so a lease renewed by one participant can be judged by another.
#[cfg(unix)]
pub(crate) fn monotonic_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime(2) writes the live local `ts`; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64) * 1000 + (ts.tv_nsec as u64) / 1_000_000
}

/// Without a shared monotonic clock: this process's own (cross-process jobs need Unix anyway).
#[cfg(not(unix))]
pub(crate) fn monotonic_ms() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    ORIGIN
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
        + 1
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore)] // reads /proc and starts a process
    fn this_process_has_a_start_time_and_a_reaped_child_none() {
        let me = std::process::id();
        assert!(start_time(me).unwrap() > 0);
        assert_eq!(start_time(me), start_time(me));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert_eq!(start_time(pid), None, "a reaped child is gone");
    }
}
