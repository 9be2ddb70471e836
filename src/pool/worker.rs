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
        if spin_for_work(inner, seen) {
            continue;
        }
        // The event-count protocol: announce, re-check, then sleep unless notified since the key.
        let key = inner.sleep.prepare_wait();
        if inner.has_work(seen) {
            inner.sleep.cancel_wait();
            continue;
        }
        counters.add_sleep();
        inner.sleep.wait(key, None);
    }
}

/// Spins for the pool's spin budget, returning early (true) when work shows up.
fn spin_for_work(inner: &Inner, seen: &[Cell<u64>]) -> bool {
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
        // Let a thread that shares this CPU run: a worker woken from sleep often lands on its
        // caller's CPU, and a spin that never yields would hold the caller off for the whole budget
        // (an after-sleep broadcast took the spin budget + 3 µs without this; 3.5 µs with it).
        std::thread::yield_now();
    }
    false
}
