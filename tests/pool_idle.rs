//! Pool tests that read the process's threads in `/proc/self/task`: pools leave no thread behind
//! when dropped, and idle workers use no CPU. They live in their own test binary so that the other
//! pool tests' threads do not disturb the counts, and they take a lock so they do not disturb each
//! other.
#![cfg(all(target_os = "linux", not(shmkern_loom)))]

use shmkern::Pool;
use std::fs;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// The tests of this binary run one at a time: each counts the threads of the whole process.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Linux keeps 15 bytes of a thread name: the default `shmkern-worker-{i}` shows as this prefix.
const WORKER_COMM: &str = "shmkern-worker";

fn tids() -> Vec<u32> {
    fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The name of thread `tid`, or `None` if it exited meanwhile.
fn comm(tid: u32) -> Option<String> {
    let s = fs::read_to_string(format!("/proc/self/task/{tid}/comm")).ok()?;
    Some(s.trim_end().to_string())
}

fn worker_tids() -> Vec<u32> {
    tids()
        .into_iter()
        .filter(|&t| comm(t).is_some_and(|c| c.starts_with(WORKER_COMM)))
        .collect()
}

/// utime + stime of thread `tid` in clock ticks (fields 14 and 15 of `stat`).
fn cpu_ticks(tid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .unwrap_or_else(|e| panic!("stat of thread {tid}: {e}"));
    // The name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    let rest = &stat[stat.rfind(')').expect("stat has a name") + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime field 15.
    let utime: u64 = f[11].parse().unwrap();
    let stime: u64 = f[12].parse().unwrap();
    utime + stime
}

/// Polls until `f()` holds (a joined thread can linger in /proc for a moment), or fails after a
/// generous limit with `what`.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < Duration::from_secs(10), "{what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// 1,000 pools of 2 to 4 participants, some of them used, are built and dropped: every drop joins
/// its workers, and the process ends with as many threads as it started with.
#[test]
fn dropped_pools_leave_no_thread_behind() {
    let _serial = serial();
    eventually("worker threads of another test are still alive", || {
        worker_tids().is_empty()
    });
    let before = tids().len();
    for i in 0..1_000usize {
        let n = 2 + i % 3;
        let pool = Pool::builder().threads(n).build().unwrap();
        match i % 10 {
            0 => assert_eq!(pool.spawn(move || i).join(), Ok(i)),
            1 => {
                let data = vec![1u32; 3 * shmkern::sched::CHUNK_LEN];
                let s = pool.reduce(&data, |c| c.len(), |a, b| a + b);
                assert_eq!(s, data.len());
            }
            2 => {
                // Dropped with tasks queued (some may be cancelled) and one running.
                for _ in 0..4 {
                    drop(pool.spawn(|| thread::sleep(Duration::from_micros(50))));
                }
            }
            _ => {}
        }
        if i % 100 == 0 {
            // Exactly this pool's workers exist: every earlier pool's were joined.
            eventually(&format!("pool {i}: not {} workers", n - 1), || {
                worker_tids().len() == n - 1
            });
        }
        drop(pool);
    }
    eventually("worker threads outlived their pool", || {
        worker_tids().is_empty()
    });
    let after = tids().len();
    // Tolerance: the test harness may start or end a thread of its own meanwhile.
    assert!(
        after <= before + 2,
        "{before} threads before, {after} after 1,000 pools"
    );
}

/// An idle pool (3 participants, default spin budget) whose workers have gone to sleep uses no
/// CPU: over one second its workers accumulate (almost) no clock ticks and do not wake up.
#[test]
fn idle_workers_use_no_cpu() {
    let _serial = serial();
    let pool = Pool::builder().threads(3).build().unwrap();
    // Some work first, so the workers have been awake and then went idle.
    let data: Vec<u64> = (0..4 * shmkern::sched::CHUNK_LEN as u64).collect();
    for _ in 0..20 {
        let s = pool.reduce(&data, |c| c.iter().sum::<u64>(), |a, b| a + b);
        assert_eq!(s, data.iter().sum::<u64>());
    }
    assert_eq!(pool.spawn(|| 1).join(), Ok(1));
    thread::sleep(Duration::from_millis(200));

    let workers = worker_tids();
    assert_eq!(workers.len(), 2, "the pool's two workers, by name");
    let sleeps0: Vec<u64> = pool.metrics().iter().map(|m| m.sleeps).collect();
    let ticks0: u64 = workers.iter().map(|&t| cpu_ticks(t)).sum();
    thread::sleep(Duration::from_secs(1));
    let ticks1: u64 = workers.iter().map(|&t| cpu_ticks(t)).sum();
    let sleeps1: Vec<u64> = pool.metrics().iter().map(|m| m.sleeps).collect();

    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    assert!(hz > 0);
    assert!(
        ticks1 - ticks0 < 5,
        "idle workers used {} ticks (1/{hz} s each) in one second",
        ticks1 - ticks0
    );
    assert!(
        sleeps0[1..].iter().all(|&s| s > 0),
        "workers never slept: {sleeps0:?}"
    );
    let woke: u64 = sleeps1.iter().zip(&sleeps0).map(|(a, b)| a - b).sum();
    assert!(woke <= 2, "idle workers woke up {woke} times in one second");
    drop(pool);
    eventually("workers outlived the pool", || worker_tids().is_empty());
}
