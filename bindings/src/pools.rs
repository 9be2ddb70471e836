//! The pools of this process, one per thread count asked for, created on first use and kept for
//! the life of the process (a binding's calls come and go; starting threads for each would cost
//! more than most calls).

use shmkern::{Error, Pool};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};

/// The largest thread count a binding's call may ask for.
pub const MAX_THREADS: usize = 1024;

/// The pools: the fork generation that created each, the thread count asked for (`None`: one
/// per core), the pool.
static POOLS: Mutex<Vec<(u64, Option<usize>, &'static Pool)>> = Mutex::new(Vec::new());

/// Forks this process has gone through on its way from the first process that used a pool:
/// incremented in each child of a `fork` (a `pthread_atfork` handler), so that a pool from before
/// the fork is never used after it. (Asking the kernel for the process id on every call would
/// do too, at the cost of a system call a call.)
static GENERATION: AtomicU64 = AtomicU64::new(0);
static WATCH_FORKS: Once = Once::new();

/// Runs in the child of a `fork`, on its only thread, before `fork` returns there. Relaxed: every
/// later load in the child is on that thread or on a thread it starts afterwards (spawning
/// synchronizes), so each sees the increment.
extern "C" fn forked() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The pool for `threads` participants (the core count when `None`). `threads` must be between
/// 1 and [`MAX_THREADS`]; the caller checks it, to word its own error.
///
/// A process forked from one that had pools (Python's `multiprocessing` with the fork start
/// method) has none of their worker threads: it builds its own, so that its calls have workers
/// again instead of running on the calling thread alone; the parent's pools are left alone
/// (leaked) in the child. (A fork
/// while another thread holds the pool list's lock, for the microseconds of a lookup, would leave
/// the child's lock held: as with any lock across `fork`, the child would then wait forever on
/// its first call.)
pub fn pool(threads: Option<usize>) -> Result<&'static Pool, Error> {
    debug_assert!(threads.is_none_or(|n| (1..=MAX_THREADS).contains(&n)));
    WATCH_FORKS.call_once(|| {
        // SAFETY: registers a handler with no preparation or parent part; `forked` only
        // increments an atomic, which is async-signal-safe, as a handler run after fork must be.
        // A failure (ENOMEM) leaves forks unnoticed, as before registering: pools then stay keyed
        // by generation 0, which is still right in a process that never forks.
        unsafe {
            libc::pthread_atfork(None, None, Some(forked));
        }
    });
    let generation = GENERATION.load(Ordering::Relaxed);
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    pools.retain(|(g, _, _)| *g == generation);
    if let Some((_, _, pool)) = pools.iter().find(|(_, t, _)| *t == threads) {
        return Ok(pool);
    }
    let built = match threads {
        Some(n) => Pool::builder().threads(n).build(),
        None => Pool::new(),
    }?;
    let pool: &'static Pool = Box::leak(Box::new(built));
    pools.push((generation, threads, pool));
    Ok(pool)
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_pool_per_thread_count() {
        let a = super::pool(Some(2)).unwrap();
        assert!(std::ptr::eq(a, super::pool(Some(2)).unwrap()));
        assert_eq!(a.threads(), 2);
        assert!(!std::ptr::eq(a, super::pool(Some(3)).unwrap()));
    }

    // A forked child's calls are checked from Python (python/tests/test_calls.py,
    // `test_a_forked_child_gets_its_own_pool`), not here: a fork inside this multi-threaded test
    // harness could leave another test's lock held in the child.
}
