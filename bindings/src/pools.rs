//! The pools of this process, one per thread count asked for, created on first use and kept for
//! the life of the process (a binding's calls come and go; starting threads for each would cost
//! more than most calls).

use shmkern::{Error, Pool};
use std::sync::Mutex;

/// The largest thread count a binding's call may ask for.
pub const MAX_THREADS: usize = 1024;

/// The pools: the creating process's id, the thread count asked for (`None`: one per core), the
/// pool.
static POOLS: Mutex<Vec<(u32, Option<usize>, &'static Pool)>> = Mutex::new(Vec::new());

/// The pool for `threads` participants (the core count when `None`). `threads` must be between
/// 1 and [`MAX_THREADS`]; the caller checks it, to word its own error.
///
/// Pools are keyed by process id too: a process forked from one that had pools (Python's
/// `multiprocessing` with the fork start method) has none of their threads, so it builds its own
/// instead of waiting forever on workers that do not exist in it. The parent's pools are left
/// alone (leaked) in the child.
pub fn pool(threads: Option<usize>) -> Result<&'static Pool, Error> {
    debug_assert!(threads.is_none_or(|n| (1..=MAX_THREADS).contains(&n)));
    let pid = std::process::id();
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    pools.retain(|(p, _, _)| *p == pid);
    if let Some((_, _, pool)) = pools.iter().find(|(_, t, _)| *t == threads) {
        return Ok(pool);
    }
    let built = match threads {
        Some(n) => Pool::builder().threads(n).build(),
        None => Pool::new(),
    }?;
    let pool: &'static Pool = Box::leak(Box::new(built));
    pools.push((pid, threads, pool));
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
}
