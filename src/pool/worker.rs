//! A worker's life: help with data-parallel calls, run queued tasks, spin a bounded while, then
//! sleep on the pool's event count. Protocol: `README.md` § Sleep and wake.

use super::{run_timed, Inner, LOCAL};
use crate::sync::atomic::Ordering::Acquire;
use crate::sync::Arc;
use std::cell::Cell;
use std::time::Instant;

/// A worker thread's body: marks the thread as participant `me` of `inner`'s pool (so that a join
/// inside its tasks and chunks helps while it waits), runs the worker loop, and clears the mark
/// before the thread lets go of `inner`.
pub(crate) fn run(inner: Arc<Inner>, me: usize) {
    /// Clears the mark however the loop ends, before `inner` is dropped (declared after it).
    struct Unmark<'a>(&'a Cell<*const Inner>);
    impl Drop for Unmark<'_> {
        fn drop(&mut self) {
            self.0.set(std::ptr::null());
        }
    }
    LOCAL.with(|l| {
        l.me.set(me);
        l.worker_of.set(Arc::as_ptr(&inner));
        let _unmark = Unmark(&l.worker_of);
        main_loop(&inner, me, &l.seen);
    });
}

/// The worker loop of participant `me` (1..participants). Returns on shutdown, once no call or task
/// is left for it. `seen` holds, per call slot, the last ticket this worker handled, so that it
/// does not rejoin an exhausted call (shared with the joins that help while they wait).
fn main_loop(inner: &Inner, me: usize, seen: &[Cell<u64>]) {
    let counters = inner.metrics.get(me);
    let mut shared = 0;
    loop {
        let mut worked = run_timed(counters, || {
            let mut helped = false;
            for (slot, seen) in inner.calls.iter().zip(seen) {
                helped |= slot.help(me, seen, counters);
            }
            helped
        });
        if !worked {
            if let Some(task) = inner.pop_task() {
                task.run(counters);
                worked = true;
            }
        }
        if worked {
            continue;
        }
        if inner.shutdown.load(Acquire) != 0 {
            return;
        }
        if spin_for_work(inner, seen, &mut shared) {
            continue;
        }
        // The event-count protocol: announce, re-check, then sleep unless notified since the key.
        let key = inner.sleep.prepare_wait();
        if inner.has_work(seen) {
            inner.sleep.cancel_wait();
            continue;
        }
        counters.add_sleep();
        shared = 0;
        inner.sleep.wait(key, None);
    }
}

/// Yields in a row, while this worker shares its CPU with the pool's latest caller, before it moves
/// itself to another CPU ([`move_off`]). A yield hands the CPU to the caller at once, which is what
/// a worker woken onto its caller's CPU needs to let the caller finish a call. But two threads
/// taking turns on one CPU never look waiting to the scheduler, which then leaves them there with
/// another CPU idle, and every call pays two context switches: a hot round trip of about 3 µs
/// instead of 0.8 µs, for whole runs (docs/performance.md, "Pool"). Spinning on without yields
/// does not help either: the spin budget ends, the worker sleeps, and its next wake-up lands on
/// the caller's CPU again. After a sleep the count starts again.
#[cfg(not(shmkern_loom))]
const SHARED_YIELDS: u32 = 16;

/// Moves this thread off `cpu` if another CPU is allowed: its affinity mask without `cpu` (the
/// kernel migrates it at once), then the mask as it was (so nothing stays pinned). False where
/// that cannot be done (no other CPU allowed, not Linux, a call failed); the mask is restored in
/// every case.
#[cfg(not(shmkern_loom))]
fn move_off(cpu: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity/setaffinity get its
        // size and a pointer to a live local; CPU_* only touch the set's bits below CPU_SETSIZE
        // (checked against `cpu` first).
        unsafe {
            let mut was: libc::cpu_set_t = std::mem::zeroed();
            if cpu as usize >= libc::CPU_SETSIZE as usize
                || libc::sched_getaffinity(0, size, &mut was) != 0
                || libc::CPU_COUNT(&was) < 2
                || !libc::CPU_ISSET(cpu as usize, &was)
            {
                return false;
            }
            let mut elsewhere = was;
            libc::CPU_CLR(cpu as usize, &mut elsewhere);
            let moved = libc::sched_setaffinity(0, size, &elsewhere) == 0;
            libc::sched_setaffinity(0, size, &was);
            moved
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        false
    }
}

/// Spins for the pool's spin budget, returning early (true) when work shows up. `shared` counts
/// the yields in a row made to a caller on this CPU ([`SHARED_YIELDS`]).
fn spin_for_work(inner: &Inner, seen: &[Cell<u64>], shared: &mut u32) -> bool {
    if inner.spin.is_zero() || cfg!(shmkern_loom) {
        return false;
    }
    let start = Instant::now();
    while start.elapsed() < inner.spin {
        // Look for work every 4 pause hints: a pause costs ~140 cycles on recent Intel cores
        // (Intel's optimization manual), so checking only every 32 would notice new work up to
        // ~2 µs late — as long as a whole chunk of the sum kernel takes (docs/performance.md,
        // "Kernels").
        for _ in 0..8 {
            for _ in 0..4 {
                std::hint::spin_loop();
            }
            if inner.has_work(seen) {
                return true;
            }
        }
        let_caller_run(inner, shared);
    }
    false
}

/// Lets the pool's caller run if this worker shares its CPU: a few yields, then a move to another
/// CPU ([`SHARED_YIELDS`]). Nothing under loom, which does not spin.
#[cfg(not(shmkern_loom))]
fn let_caller_run(inner: &Inner, shared: &mut u32) {
    // Let the caller run if it shares this CPU: a worker woken from sleep often lands on its
    // caller's CPU, and a spin that never yields would hold the caller off for the whole budget
    // (an after-sleep broadcast then took the spin budget + 3 µs; 3.5 µs with the yield). But
    // only [`SHARED_YIELDS`] times in a row: see there. A worker on another CPU never yields
    // (a yield is a system call, and a call arriving during it waits); where the CPU cannot be
    // known, always yield.
    let cpu = super::current_cpu();
    if cpu == u32::MAX {
        std::thread::yield_now();
    } else if cpu
        == inner
            .caller_cpu
            .load(crate::sync::atomic::Ordering::Relaxed)
    {
        if *shared < SHARED_YIELDS {
            *shared += 1;
            std::thread::yield_now();
        } else if !move_off(cpu) {
            std::thread::yield_now();
        }
    } else {
        *shared = 0;
    }
}

#[cfg(shmkern_loom)]
fn let_caller_run(_: &Inner, _: &mut u32) {}
