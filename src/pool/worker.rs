//! A worker's life: help with data-parallel calls, run queued tasks, spin a bounded while, then
//! sleep on the pool's event count. Protocol: `README.md` § Sleep and wake.

use super::Inner;
use crate::sync::atomic::Ordering::Acquire;
use std::time::Instant;

/// The worker loop of participant `me` (1..participants). Returns on shutdown, once no call or task
/// is left for it.
pub(crate) fn main_loop(inner: &Inner, me: usize) {
    let counters = inner.metrics.get(me);
    // The last ticket this worker handled in each call slot, so it does not rejoin an exhausted call.
    let mut seen = vec![0u64; inner.calls.len()];
    loop {
        let t0 = Instant::now();
        let mut worked = false;
        for (slot, seen) in inner.calls.iter().zip(seen.iter_mut()) {
            worked |= slot.help(me, seen, counters);
        }
        if worked {
            counters.add_busy(t0.elapsed());
        }
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
        if spin_for_work(inner, &seen) {
            continue;
        }
        // The event-count protocol: announce, re-check, then sleep unless notified since the key.
        let key = inner.sleep.prepare_wait();
        if inner.has_work(&seen) {
            inner.sleep.cancel_wait();
            continue;
        }
        counters.add_sleep();
        inner.sleep.wait(key, None);
    }
}

/// Spins for the pool's spin budget, returning early (true) when work shows up.
fn spin_for_work(inner: &Inner, seen: &[u64]) -> bool {
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
