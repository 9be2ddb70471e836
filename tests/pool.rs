//! Integration tests of the worker pool (`shmkern::Pool`) with real threads: many concurrent callers
//! on one pool checked against sequential computations, bit-identical float reductions for every
//! thread count, panic isolation, task handles (timeouts, cancellation, drop, `map`, `.await`),
//! data-parallel options (cancel token, progress, chunk length), broadcast, metrics and `global()`.
//!
//! Every expected value is computed sequentially here, without the pool. Thread counting and idle
//! CPU time need a process of their own: `tests/pool_idle.rs`.
#![cfg(not(shmkern_loom))]

use shmkern::{
    global,
    kernels::Accuracy,
    sched::{WorkRanges, CHUNK_LEN},
    CancelToken, ParOptions, Pool, Task, TaskError,
};
use std::collections::VecDeque;
use std::panic::{self, catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

/// Upper bound for any hand-off a test waits for, so that a broken pool fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(20);

/// How long the awaited task of the async tests runs while a tokio task ticks every 10 ms. Miri's
/// clock advances 5 µs for each basic block it interprets, so there a tick costs much more than
/// 10 ms of that clock: the task runs longer, for the ticker to reach the same 5 ticks.
const AWAITED: Duration = Duration::from_millis(if cfg!(miri) { 1_000 } else { 200 });

/// Part of the message of every panic a test provokes on purpose (see [`quiet_expected_panics`]).
const MARKER: &str = "[expected test panic]";

/// A non-string panic payload a test provokes on purpose.
struct ExpectedPanic;

/// Installs (once per process) a panic hook that stays silent for the panics the tests provoke —
/// those whose message contains [`MARKER`] or whose payload is [`ExpectedPanic`] — and hands every
/// other panic to the previous hook. Tests run concurrently, so the hook is never swapped back and
/// forth per test: a filter installed once cannot hide an unexpected panic of another test.
fn quiet_expected_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let p = info.payload();
            let expected = p.is::<ExpectedPanic>()
                || p.downcast_ref::<&str>().is_some_and(|s| s.contains(MARKER))
                || p.downcast_ref::<String>()
                    .is_some_and(|s| s.contains(MARKER));
            if !expected {
                previous(info);
            }
        }));
    });
}

/// The text of a caught panic payload.
fn payload_text(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string>".to_string()
    }
}

/// xorshift64: a tiny seeded generator, so every run checks the same cases.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform-ish in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The merge tree of `docs/numerics.md` §1, written independently of the library: `m > 1` items
/// split into the largest power of two strictly below `m` and the rest.
fn tree<R: Clone>(parts: &[R], merge: &impl Fn(R, R) -> R) -> R {
    let m = parts.len();
    assert!(m > 0);
    if m == 1 {
        return parts[0].clone();
    }
    let mut left = 1;
    while left * 2 < m {
        left *= 2;
    }
    let a = tree(&parts[..left], merge);
    let b = tree(&parts[left..], merge);
    merge(a, b)
}

/// Start offsets of the chunks of `len` elements cut into `chunk_len` (none when `len == 0`).
fn chunk_starts(len: usize, chunk_len: usize) -> Vec<usize> {
    (0..len).step_by(chunk_len).collect()
}

/// A length for a random job: mostly small, some of several [`CHUNK_LEN`] chunks.
fn random_len(rng: &mut Rng, max: usize) -> usize {
    match rng.below(100) {
        0 => 40_000 + rng.below(max - 40_000 + 1),
        1..=9 => 2_000 + rng.below(38_000),
        _ => rng.below(2_001),
    }
}

fn opts_len(chunk_len: usize) -> ParOptions<'static> {
    ParOptions {
        chunk_len: Some(chunk_len),
        ..ParOptions::default()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Many callers, one pool
// ---------------------------------------------------------------------------------------------

/// Four threads each submit 10,000 jobs of random sizes to one pool at once: reductions (a sum
/// with a chunk count, and an order-sensitive string merge whose shape is the fixed tree),
/// in-place chunk transforms and tasks. Every result is checked against a sequential computation,
/// and the string merges also against a one-participant pool.
///
/// Under Miri each thread submits only the edge-length jobs, and those stay below one
/// [`CHUNK_LEN`] (a chunk takes seconds there): around `inline_below`, and a few short chunks in
/// the custom-grid jobs.
#[test]
fn concurrent_callers_mixed_jobs_match_sequential() {
    const CALLERS: u64 = 4;
    const JOBS: usize = if cfg!(miri) { EDGE_LENS.len() } else { 10_000 };
    const MAX_LEN: usize = if cfg!(miri) { 2_500 } else { 200_000 };
    const EDGE_LENS: [usize; 8] = if cfg!(miri) {
        [0, 1, 999, 1_000, 1_001, 1_999, 2_001, MAX_LEN]
    } else {
        [
            0,
            1,
            CHUNK_LEN - 1,
            CHUNK_LEN,
            CHUNK_LEN + 1,
            2 * CHUNK_LEN,
            5 * CHUNK_LEN + 7,
            MAX_LEN,
        ]
    };
    // Calls of fewer than 1,000 elements run inline, larger ones as jobs: both paths are covered.
    let pool = Pool::builder()
        .threads(3)
        .inline_below(1_000)
        .build()
        .unwrap();
    let mut rng = Rng::new(1);
    let vals: Arc<Vec<u64>> = Arc::new((0..MAX_LEN).map(|_| rng.next() >> 32).collect());
    let ids: Vec<u32> = (0..MAX_LEN as u32).collect();
    let counts: Vec<AtomicUsize> = (0..4).map(|_| AtomicUsize::new(0)).collect();

    thread::scope(|s| {
        for caller in 0..CALLERS {
            let (pool, vals, ids, counts) = (&pool, &vals, &ids, &counts);
            s.spawn(move || {
                let one = Pool::builder().threads(1).build().unwrap();
                let mut rng = Rng::new(100 + caller);
                let mut pending: VecDeque<(Task<u64>, u64, usize)> = VecDeque::new();
                for job in 0..JOBS {
                    let len = EDGE_LENS
                        .get(job)
                        .copied()
                        .unwrap_or_else(|| random_len(&mut rng, MAX_LEN));
                    let off = rng.below(MAX_LEN - len + 1);
                    let slice = &vals[off..off + len];
                    let ctx = format!("caller {caller} job {job} len {len} off {off}");
                    let kind = if job < EDGE_LENS.len() {
                        job % 4
                    } else {
                        rng.below(4)
                    };
                    counts[kind].fetch_add(1, Relaxed);
                    match kind {
                        0 => {
                            // Sum with the default grid; the chunk count shows each chunk was
                            // mapped exactly once.
                            let (sum, chunks, elems) = pool.reduce(
                                slice,
                                |c| (c.iter().sum::<u64>(), 1u64, c.len()),
                                |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2),
                            );
                            assert_eq!(sum, slice.iter().sum::<u64>(), "{ctx}");
                            assert_eq!(chunks as usize, len.div_ceil(CHUNK_LEN).max(1), "{ctx}");
                            assert_eq!(elems, len, "{ctx}");
                        }
                        1 => {
                            // Order-sensitive merge over a custom grid of at most 300 chunks.
                            let cl = len.div_ceil(1 + rng.below(300)).max(1);
                            let id_slice = &ids[off..off + len];
                            let map = |c: &[u32]| {
                                c.first().map_or_else(|| "e".to_string(), |x| x.to_string())
                            };
                            let merge = |a: String, b: String| format!("({a} {b})");
                            let got = pool.reduce_with(id_slice, opts_len(cl), map, merge);
                            let got = got.unwrap();
                            let leaves: Vec<String> = chunk_starts(len, cl)
                                .into_iter()
                                .map(|st| (off + st).to_string())
                                .collect();
                            let expected = if leaves.is_empty() {
                                "e".to_string()
                            } else {
                                tree(&leaves, &merge)
                            };
                            assert_eq!(got, expected, "{ctx} chunk_len {cl}");
                            let on_one = one.reduce_with(id_slice, opts_len(cl), map, merge);
                            assert_eq!(on_one.unwrap(), expected, "{ctx} (1 thread)");
                        }
                        2 => {
                            // In-place transform that is wrong if a chunk runs twice or with a
                            // wrong offset.
                            let cl = (1 + rng.below(64)).max(len / 2048);
                            let mut v = slice.to_vec();
                            pool.for_each_chunk_mut(&mut v, cl, |o, c| {
                                for (j, x) in c.iter_mut().enumerate() {
                                    *x = x.wrapping_mul(3) ^ (o + j) as u64;
                                }
                            })
                            .unwrap();
                            let ok = v
                                .iter()
                                .zip(slice)
                                .enumerate()
                                .all(|(i, (&got, &x))| got == x.wrapping_mul(3) ^ i as u64);
                            assert!(ok, "{ctx} chunk_len {cl}");
                        }
                        _ => {
                            // A task with an order-sensitive fold; up to 8 in flight per caller.
                            let v = Arc::clone(vals);
                            let fold = |s: &[u64]| {
                                s.iter()
                                    .fold(0u64, |a, &x| a.wrapping_mul(31).wrapping_add(x))
                            };
                            let expected = fold(slice);
                            let t = pool.spawn(move || fold(&v[off..off + len]));
                            pending.push_back((t, expected, job));
                            if pending.len() > 8 {
                                let (t, e, j) = pending.pop_front().unwrap();
                                assert_eq!(t.join(), Ok(e), "caller {caller} task of job {j}");
                            }
                        }
                    }
                }
                for (t, e, j) in pending {
                    assert_eq!(t.join(), Ok(e), "caller {caller} task of job {j}");
                }
            });
        }
    });
    for (kind, c) in counts.iter().enumerate() {
        let enough = if cfg!(miri) {
            2 * CALLERS as usize
        } else {
            5_001
        };
        assert!(c.load(Relaxed) >= enough, "job kind {kind} ran too rarely");
    }
    // The parallel paths were exercised: workers ran chunks and tasks.
    let m = pool.metrics();
    assert!(
        m[1..].iter().map(|w| w.chunks_run).sum::<u64>() > 0,
        "{m:?}"
    );
    assert!(m[1..].iter().map(|w| w.tasks_run).sum::<u64>() > 0, "{m:?}");
}

// ---------------------------------------------------------------------------------------------
// 2. Determinism of float reductions
// ---------------------------------------------------------------------------------------------

fn fsum(c: &[f64]) -> f64 {
    c.iter().sum()
}

/// A float of random sign and magnitude (1e-20 .. 1e20), so that the order of additions matters.
fn mixed_f64(rng: &mut Rng) -> f64 {
    let sign = if rng.next() & 1 == 0 { 1.0 } else { -1.0 };
    let frac = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    sign * (1.0 + frac) * 10f64.powi(rng.below(41) as i32 - 20)
}

/// `reduce` with a float `+` merge gives bit-identical results on 1, 2, 3, 4 and 8 participants,
/// equal to the sequential chunk sums merged in the fixed tree — and the data is such that the
/// tree order matters (a left fold of the same partials differs in some case).
#[test]
fn float_reduce_is_bit_identical_for_every_thread_count() {
    let pools: Vec<Pool> = [1, 2, 3, 4, 8]
        .iter()
        .map(|&n| Pool::builder().threads(n).inline_below(0).build().unwrap())
        .collect();
    let mut rng = Rng::new(2);
    let mut order_matters = false;
    // Under Miri fewer and shorter cases; the default grid's are a single chunk there.
    let (cases, short, long) = if cfg!(miri) {
        (6, 1_000, 3_001)
    } else {
        (30, 5_000, 300_001)
    };
    for case in 0..cases {
        let (len, chunk_len) = match case % 3 {
            0 => (rng.below(short), Some(1 + rng.below(300))),
            1 => (rng.below(long), None),
            _ => (rng.below(12 * short), Some(1 + rng.below(4_096))),
        };
        let data: Vec<f64> = (0..len).map(|_| mixed_f64(&mut rng)).collect();
        let cl = chunk_len.unwrap_or(CHUNK_LEN);
        let partials: Vec<f64> = if len == 0 {
            vec![fsum(&[])]
        } else {
            data.chunks(cl).map(fsum).collect()
        };
        let expected = tree(&partials, &|a, b| a + b);
        let left_fold = partials[1..].iter().fold(partials[0], |a, &b| a + b);
        order_matters |= left_fold.to_bits() != expected.to_bits();
        let opts = ParOptions {
            chunk_len,
            ..ParOptions::default()
        };
        for pool in &pools {
            for rep in 0..2 {
                let got = pool.reduce_with(&data, opts, fsum, |a, b| a + b).unwrap();
                assert_eq!(
                    got.to_bits(),
                    expected.to_bits(),
                    "case {case}: len {len}, chunk_len {cl}, {} threads, rep {rep}: {got:e} vs {expected:e}",
                    pool.threads()
                );
            }
            if chunk_len.is_none() {
                let got = pool.reduce(&data, fsum, |a, b| a + b);
                assert_eq!(got.to_bits(), expected.to_bits(), "case {case} (reduce)");
            }
        }
    }
    assert!(
        order_matters,
        "the data never made the merge order matter: the test would not catch a wrong order"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Panics
// ---------------------------------------------------------------------------------------------

/// 10,000 panicking tasks each give `Err(Panicked(message))` with their own message (string
/// literals, formatted strings, a non-string payload); the pool then runs tasks and reductions.
#[test]
fn panicking_tasks_report_their_message_and_pool_survives() {
    quiet_expected_panics();
    let pool = Pool::builder().threads(3).build().unwrap();
    // Under Miri (where each panic unwinds slowly) fewer tasks and less data.
    let (n_tasks, n_data): (u32, u64) = if cfg!(miri) {
        (30, 3_000)
    } else {
        (10_000, 300_000)
    };
    let tasks: Vec<Task<u32>> = (0..n_tasks)
        .map(|i| match i % 3 {
            0 => pool.spawn(|| panic!("static message [expected test panic]")),
            1 => pool.spawn(move || panic!("task {i} failed {MARKER}")),
            _ => pool.spawn(|| panic::panic_any(ExpectedPanic)),
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let expected = match i % 3 {
            0 => format!("static message {MARKER}"),
            1 => format!("task {i} failed {MARKER}"),
            _ => "<non-string panic payload>".to_string(),
        };
        assert_eq!(t.join(), Err(TaskError::Panicked(expected)), "task {i}");
    }
    assert_eq!(pool.spawn(|| 6 * 7).join(), Ok(42));
    let data: Vec<u64> = (1..=n_data).collect();
    assert_eq!(
        pool.reduce(&data, |c| c.iter().sum::<u64>(), |a, b| a + b),
        n_data * (n_data + 1) / 2
    );
    let err = pool.spawn(|| -> u8 { panic!("shown {MARKER}") }).join();
    assert_eq!(
        err.unwrap_err().to_string(),
        format!("task panicked: shown {MARKER}")
    );
}

/// A chunk that panics in `reduce` / `for_each_chunk_mut` re-raises that panic on the caller only
/// after every participant stopped running chunks; the pool keeps working afterwards.
#[test]
fn panicking_chunk_is_reraised_on_caller_and_pool_survives() {
    quiet_expected_panics();
    let pool = Pool::builder().threads(3).inline_below(0).build().unwrap();
    let (rounds, n): (u64, u64) = if cfg!(miri) { (3, 2_000) } else { (60, 10_000) };
    let data: Vec<u64> = (0..n).collect();
    let sum: u64 = data.iter().sum();
    let in_flight = AtomicUsize::new(0);
    for round in 0..rounds {
        let bad = (round * 37) % n;
        let r = catch_unwind(AssertUnwindSafe(|| {
            pool.reduce_with(
                &data,
                opts_len(50),
                |c| {
                    in_flight.fetch_add(1, SeqCst);
                    thread::sleep(Duration::from_micros(20));
                    let hit = c.contains(&bad);
                    in_flight.fetch_sub(1, SeqCst);
                    if hit {
                        panic!("chunk with {bad} {MARKER}");
                    }
                    c.iter().sum::<u64>()
                },
                |a, b| a + b,
            )
        }));
        let payload = r.expect_err("the chunk's panic must reach the caller");
        assert_eq!(
            payload_text(&*payload),
            format!("chunk with {bad} {MARKER}")
        );
        assert_eq!(
            in_flight.load(SeqCst),
            0,
            "a participant still ran a chunk after the panic was re-raised"
        );

        let mut v = data.clone();
        let r = catch_unwind(AssertUnwindSafe(|| {
            pool.for_each_chunk_mut(&mut v, 64, |o, c| {
                in_flight.fetch_add(1, SeqCst);
                c.iter_mut().for_each(|x| *x += 1);
                in_flight.fetch_sub(1, SeqCst);
                if o <= bad as usize && (bad as usize) < o + c.len() {
                    panic::panic_any(ExpectedPanic);
                }
            })
        }));
        let payload = r.expect_err("the chunk's panic must reach the caller");
        assert!(
            payload.is::<ExpectedPanic>(),
            "the payload is passed on as is"
        );
        assert_eq!(in_flight.load(SeqCst), 0);

        // The pool works at once after each panic.
        let got = pool.reduce_with(&data, opts_len(50), |c| c.iter().sum::<u64>(), |a, b| a + b);
        assert_eq!(got.unwrap(), sum);
    }
    // A panic in `merge` also reaches the caller.
    let r = catch_unwind(AssertUnwindSafe(|| {
        pool.reduce_with(
            &data,
            opts_len(100),
            |c| c.len(),
            |_, _| -> usize { panic!("merge {MARKER}") },
        )
    }));
    assert_eq!(payload_text(&*r.unwrap_err()), format!("merge {MARKER}"));
    let mut v = data.clone();
    pool.for_each_chunk_mut(&mut v, 64, |_, c| c.iter_mut().for_each(|x| *x *= 2))
        .unwrap();
    assert!(v.iter().zip(&data).all(|(a, b)| *a == 2 * b));
    assert_eq!(pool.spawn(|| 1).join(), Ok(1));
}

// ---------------------------------------------------------------------------------------------
// 6. Tasks
// ---------------------------------------------------------------------------------------------

/// Blocks the only worker of a two-participant pool with a task that waits on a channel; returns
/// its handle and the sender that releases it (the task returns `true` if it was released).
fn block_worker(pool: &Pool) -> (Task<bool>, mpsc::Sender<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let blocker = pool.spawn(move || {
        started_tx.send(()).unwrap();
        release_rx.recv_timeout(LIMIT).is_ok()
    });
    started_rx
        .recv_timeout(LIMIT)
        .expect("the blocking task did not start");
    (blocker, release_tx)
}

#[test]
fn join_timeout_times_out_and_task_still_completes() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let (tx, rx) = mpsc::channel();
    let t = pool.spawn(move || {
        thread::sleep(Duration::from_millis(300));
        tx.send(7u32).unwrap();
        7u32
    });
    let t0 = Instant::now();
    assert_eq!(
        t.join_timeout(Duration::from_millis(50)),
        Err(TaskError::TimedOut)
    );
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(50),
        "returned after {waited:?}"
    );
    assert!(
        waited < Duration::from_millis(290),
        "waited {waited:?}: did not time out"
    );
    // The task goes on, detached.
    assert_eq!(rx.recv_timeout(LIMIT), Ok(7));
    // A short task joined with a generous timeout gives its value.
    assert_eq!(pool.spawn(|| "v").join_timeout(LIMIT), Ok("v"));
    // A timeout too large for a deadline means no timeout, not a panic.
    assert_eq!(pool.spawn(|| 2).join_timeout(Duration::MAX), Ok(2));
    assert!(pool.spawn(|| ()).wait_timeout(Duration::MAX));
}

#[test]
fn wait_timeout_and_is_finished() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let (tx, rx) = mpsc::channel::<()>();
    let t = pool.spawn(move || {
        rx.recv_timeout(LIMIT).unwrap();
        99u64
    });
    assert!(!t.is_finished());
    let t0 = Instant::now();
    assert!(!t.wait_timeout(Duration::from_millis(40)));
    assert!(t0.elapsed() >= Duration::from_millis(40));
    assert!(!t.is_finished());
    tx.send(()).unwrap();
    assert!(t.wait_timeout(LIMIT));
    assert!(t.is_finished());
    assert!(
        t.wait_timeout(Duration::ZERO),
        "a finished task waits no time"
    );
    assert_eq!(t.join(), Ok(99));
}

#[test]
fn cancel_of_queued_task_prevents_its_run() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let (blocker, release) = block_worker(&pool);
    let ran = Arc::new(AtomicBool::new(false));
    let r = Arc::clone(&ran);
    let victim = pool.spawn(move || r.store(true, SeqCst));
    assert!(!victim.is_finished());
    assert!(victim.cancel(), "a queued task is cancelled");
    assert!(victim.is_finished(), "a cancelled task is finished");
    assert!(!victim.cancel(), "a second cancel has nothing to prevent");
    assert_eq!(victim.join(), Err(TaskError::Cancelled));
    let after = pool.spawn(|| 5);
    release.send(()).unwrap();
    assert_eq!(blocker.join(), Ok(true));
    // FIFO: `after` was queued behind the victim, so the worker has popped the victim by now.
    assert_eq!(after.join(), Ok(5));
    assert!(!ran.load(SeqCst), "the cancelled task ran");
    // Cancelling a finished task changes nothing.
    let done = pool.spawn(|| 3);
    assert!(done.wait_timeout(LIMIT));
    assert!(!done.cancel());
    assert_eq!(done.join(), Ok(3));
}

#[test]
fn cancel_of_running_task_sets_its_token() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let t = pool.spawn_cancellable(move |token: &CancelToken| {
        started_tx.send(()).unwrap();
        let t0 = Instant::now();
        while !token.is_cancelled() {
            if t0.elapsed() > LIMIT {
                return false;
            }
            thread::sleep(Duration::from_millis(1));
        }
        true
    });
    started_rx.recv_timeout(LIMIT).unwrap();
    assert!(!t.cancel(), "a running task cannot be prevented");
    assert_eq!(t.join(), Ok(true), "the task saw its token set");
    // A token of a task that is not cancelled stays clear.
    let t = pool.spawn_cancellable(|token| token.is_cancelled());
    assert_eq!(t.join(), Ok(false));
}

#[test]
fn dropping_pool_cancels_queued_tasks_and_finishes_running_ones() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let (blocker, release) = block_worker(&pool);
    let ran = Arc::new(AtomicUsize::new(0));
    let queued: Vec<Task<usize>> = (0..100)
        .map(|i| {
            let ran = Arc::clone(&ran);
            pool.spawn(move || {
                ran.fetch_add(1, SeqCst);
                i
            })
        })
        .collect();
    let dropper = thread::spawn(move || drop(pool));
    // The drop cancels the queue before it joins the (still blocked) worker.
    for t in &queued {
        assert!(t.wait_timeout(LIMIT), "queued task not cancelled by drop");
    }
    assert!(!blocker.is_finished());
    assert!(
        !dropper.is_finished(),
        "drop must wait for the running task"
    );
    release.send(()).unwrap();
    dropper.join().unwrap();
    assert_eq!(blocker.join(), Ok(true), "the running task finished");
    for t in queued {
        assert_eq!(t.join(), Err(TaskError::Cancelled));
    }
    assert_eq!(ran.load(SeqCst), 0, "a task cancelled by drop ran");
}

#[test]
fn map_returns_results_in_input_order() {
    quiet_expected_panics();
    let pool = Pool::builder().threads(3).build().unwrap();
    // Uneven work so that completion order differs from input order.
    let out = pool.map(0..500u64, |i| {
        if i % 7 == 0 {
            thread::sleep(Duration::from_micros(300));
        }
        i * i
    });
    let expected: Vec<Result<u64, TaskError>> = (0..500u64).map(|i| Ok(i * i)).collect();
    assert_eq!(out, expected);
    let out = pool.map(vec!["a", "bb", "", "dddd"], |s| {
        assert!(!s.is_empty(), "empty item {MARKER}");
        s.len()
    });
    assert_eq!(
        out,
        vec![
            Ok(1),
            Ok(2),
            Err(TaskError::Panicked(format!("empty item {MARKER}"))),
            Ok(4)
        ]
    );
    assert!(pool.map(Vec::<u8>::new(), |x| x).is_empty());
}

#[test]
fn one_participant_pool_runs_tasks_on_the_caller() {
    let pool = Pool::builder().threads(1).build().unwrap();
    let me = thread::current().id();
    let t = pool.spawn(move || thread::current().id() == me);
    assert!(t.is_finished(), "with no workers the task ran at once");
    assert!(!t.cancel());
    assert_eq!(t.join(), Ok(true));
    let n: u32 = if cfg!(miri) { 1_000 } else { 100_000 };
    let data: Vec<u32> = (0..n).collect();
    let s = pool.reduce(
        &data,
        |c| c.iter().map(|&x| u64::from(x)).sum::<u64>(),
        |a, b| a + b,
    );
    assert_eq!(s, u64::from(n - 1) * u64::from(n) / 2);
    let seen = AtomicUsize::new(0);
    pool.broadcast(|i| {
        assert_eq!(i, 0);
        seen.fetch_add(1, SeqCst);
    });
    assert_eq!(seen.load(SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// 7. Async
// ---------------------------------------------------------------------------------------------

/// Awaits an [`AWAITED`] task inside a tokio task while another tokio task ticks every 10 ms on the
/// same (single) runtime worker: the ticker advances only if the await yields instead of blocking.
#[test]
fn await_on_multi_thread_runtime_does_not_block_the_executor() {
    let pool = Arc::new(Pool::builder().threads(2).build().unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let ticks = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let tk = Arc::clone(&ticks);
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                tk.fetch_add(1, SeqCst);
            }
        });
        let tk = Arc::clone(&ticks);
        let p = Arc::clone(&pool);
        let awaiter = tokio::spawn(async move {
            let before = tk.load(SeqCst);
            let r = p
                .spawn(|| {
                    thread::sleep(AWAITED);
                    42
                })
                .await;
            (r, tk.load(SeqCst) - before)
        });
        let (r, advanced) = awaiter.await.unwrap();
        ticker.abort();
        assert_eq!(r, Ok(42));
        assert!(
            advanced >= 5,
            "the ticker advanced {advanced} times in {AWAITED:?}: the await blocked the executor"
        );
        // Many concurrent awaits, each woken exactly when its task finishes.
        let handles: Vec<_> = (0..200u64)
            .map(|i| {
                let t = pool.spawn(move || {
                    if i % 3 == 0 {
                        thread::sleep(Duration::from_micros(200));
                    }
                    i * 2
                });
                tokio::spawn(t)
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            let r = tokio::time::timeout(LIMIT, h).await.expect("await hung");
            assert_eq!(r.unwrap(), Ok(i as u64 * 2));
        }
    });
}

#[test]
fn await_on_current_thread_runtime_does_not_block_the_executor() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let ticks = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let tk = Arc::clone(&ticks);
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                tk.fetch_add(1, SeqCst);
            }
        });
        let before = ticks.load(SeqCst);
        let r = pool
            .spawn(|| {
                thread::sleep(AWAITED);
                "done"
            })
            .await;
        let advanced = ticks.load(SeqCst) - before;
        ticker.abort();
        assert_eq!(r, Ok("done"));
        assert!(
            advanced >= 5,
            "the ticker advanced {advanced} times in {AWAITED:?}: the await blocked the executor"
        );
        // A task that already finished is ready at once; a cancelled one gives Err(Cancelled).
        let t = pool.spawn(|| 1);
        assert!(t.wait_timeout(LIMIT));
        assert_eq!(t.await, Ok(1));
        let (blocker, release) = block_worker(&pool);
        let victim = pool.spawn(|| 2);
        assert!(victim.cancel());
        assert_eq!(victim.await, Err(TaskError::Cancelled));
        release.send(()).unwrap();
        assert_eq!(blocker.await, Ok(true));
    });
}

// ---------------------------------------------------------------------------------------------
// 8. Data-parallel options
// ---------------------------------------------------------------------------------------------

#[test]
fn cancel_token_from_inside_a_chunk_stops_the_call() {
    let n = if cfg!(miri) { 5_000 } else { 100_000 };
    let data: Vec<u64> = (0..n as u64).collect();
    for threads in [1, 2, 3] {
        let pool = Pool::builder()
            .threads(threads)
            .inline_below(0)
            .build()
            .unwrap();
        // reduce_with: 1,000 chunks (50 under Miri); the first chunk to run cancels (not chunk 0:
        // on a busy machine the workers may run every other chunk, stealing, before the caller
        // gets to 0).
        let token = CancelToken::new();
        let mapped = AtomicUsize::new(0);
        let opts = ParOptions {
            cancel: Some(&token),
            chunk_len: Some(100),
            ..ParOptions::default()
        };
        let r = pool.reduce_with(
            &data,
            opts,
            |c| {
                if mapped.fetch_add(1, SeqCst) == 0 {
                    token.cancel();
                }
                c.len()
            },
            |a, b| a + b,
        );
        let err = r.expect_err("a cancelled reduce must not return a value");
        assert!(err.is_cancelled(), "{err}");
        assert!(
            mapped.load(SeqCst) < n / 100,
            "cancellation skipped no chunk"
        );

        // for_each_chunk_mut_with: same, and the untouched chunks are unchanged.
        let token = CancelToken::new();
        let opts = ParOptions {
            cancel: Some(&token),
            chunk_len: Some(100),
            ..ParOptions::default()
        };
        let mut v = data.clone();
        let first = AtomicBool::new(true);
        let r = pool.for_each_chunk_mut_with(&mut v, opts, |_, c| {
            if first.swap(false, SeqCst) {
                token.cancel();
            }
            c.iter_mut().for_each(|x| *x += 1_000_000);
        });
        assert!(r.expect_err("cancelled").is_cancelled());
        let changed = v.iter().filter(|&&x| x >= 1_000_000).count();
        assert_eq!(
            changed % 100,
            0,
            "chunks are transformed whole or not at all"
        );
        assert!(changed < data.len(), "cancellation skipped no chunk");

        // A token cancelled before the call: no chunk runs, for one chunk or many.
        for len in [0, 10, n] {
            let ran = AtomicUsize::new(0);
            let r = pool.reduce_with(
                &data[..len],
                opts,
                |_| ran.fetch_add(1, SeqCst),
                |a, b| a + b,
            );
            assert!(r.unwrap_err().is_cancelled(), "len {len}");
            assert_eq!(ran.load(SeqCst), 0, "len {len}");
        }
    }
}

#[test]
fn progress_counts_every_element() {
    let n = if cfg!(miri) { 1_003 } else { 100_003 };
    let data: Vec<u64> = (0..n).collect();
    for threads in [1, 3] {
        let pool = Pool::builder().threads(threads).build().unwrap();
        for chunk_len in [None, Some(1), Some(7), Some(1_000)] {
            let progress = AtomicU64::new(0);
            let opts = ParOptions {
                progress: Some(&progress),
                chunk_len,
                ..ParOptions::default()
            };
            let s = pool.reduce_with(&data, opts, |c| c.iter().sum::<u64>(), |a, b| a + b);
            assert_eq!(s.unwrap(), data.iter().sum::<u64>());
            assert_eq!(progress.load(SeqCst), data.len() as u64, "{chunk_len:?}");
            let mut v = data.clone();
            pool.for_each_chunk_mut_with(&mut v, opts, |_, c| c.reverse())
                .unwrap();
            assert_eq!(
                progress.load(SeqCst),
                2 * data.len() as u64,
                "{chunk_len:?}"
            );
        }
        let progress = AtomicU64::new(0);
        let opts = ParOptions {
            progress: Some(&progress),
            ..ParOptions::default()
        };
        assert_eq!(
            pool.reduce_with(&data[..0], opts, |c| c.len(), |a, b| a + b),
            Ok(0)
        );
        assert_eq!(progress.load(SeqCst), 0);
    }
}

/// Another thread reads the progress counter while a call runs: it sees intermediate values, each
/// a whole number of chunks, never decreasing, ending at the element count.
#[test]
fn progress_is_readable_while_the_call_runs() {
    let pool = Pool::builder().threads(2).inline_below(0).build().unwrap();
    let data = vec![1u64; 20_000];
    let progress = AtomicU64::new(0);
    let opts = ParOptions {
        progress: Some(&progress),
        chunk_len: Some(100),
        ..ParOptions::default()
    };
    thread::scope(|s| {
        let h = s.spawn(|| {
            pool.reduce_with(
                &data,
                opts,
                |c| {
                    thread::sleep(Duration::from_micros(500));
                    c.iter().sum::<u64>()
                },
                |a, b| a + b,
            )
        });
        let mut seen = Vec::new();
        while !h.is_finished() {
            seen.push(progress.load(Relaxed));
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(h.join().unwrap().unwrap(), 20_000);
        assert_eq!(progress.load(Relaxed), 20_000);
        assert!(
            seen.iter().any(|&p| p > 0 && p < 20_000),
            "no intermediate progress seen: {seen:?}"
        );
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress went back");
        assert!(
            seen.iter().all(|&p| p % 100 == 0),
            "progress counts whole chunks"
        );
    });
}

#[test]
fn zero_chunk_len_is_an_error_not_a_panic() {
    for threads in [1, 2] {
        let pool = Pool::builder().threads(threads).build().unwrap();
        for len in [0, 5, 100_000] {
            let data = vec![1u8; len];
            let r = pool.reduce_with(&data, opts_len(0), |c| c.len(), |a, b| a + b);
            let e = r.expect_err("chunk_len 0 must be an error");
            assert!(!e.is_cancelled());
            assert_eq!(e.to_string(), "chunk length must be at least 1");
            let mut v = data.clone();
            assert!(pool.for_each_chunk_mut(&mut v, 0, |_, _| ()).is_err());
            assert!(pool
                .for_each_chunk_mut_with(&mut v, opts_len(0), |_, _| ())
                .is_err());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Broadcast, metrics, concurrent callers, global, builder
// ---------------------------------------------------------------------------------------------

#[test]
fn broadcast_runs_once_per_participant() {
    quiet_expected_panics();
    for threads in 1..=4 {
        let pool = Pool::builder().threads(threads).build().unwrap();
        let counts: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(0)).collect();
        let me = thread::current().id();
        for _ in 0..50 {
            pool.broadcast(|i| {
                counts[i].fetch_add(1, SeqCst);
                if i == 0 {
                    assert_eq!(thread::current().id(), me, "participant 0 is the caller");
                } else {
                    assert_ne!(thread::current().id(), me);
                }
            });
        }
        let got: Vec<usize> = counts.iter().map(|c| c.load(SeqCst)).collect();
        assert_eq!(got, vec![50; threads], "{threads} threads");
        // Each participant is a distinct thread.
        let ids = std::sync::Mutex::new(Vec::new());
        pool.broadcast(|i| ids.lock().unwrap().push((i, thread::current().id())));
        let mut ids = ids.into_inner().unwrap();
        ids.sort_by_key(|&(i, _)| i);
        ids.dedup_by_key(|&mut (_, id)| id);
        assert_eq!(ids.len(), threads);
    }
    // From one of the pool's own workers, broadcast refuses (it would wait for itself).
    let pool = Arc::new(Pool::builder().threads(2).build().unwrap());
    let p = Arc::clone(&pool);
    let r = pool.spawn(move || p.broadcast(|_| ())).join();
    match r {
        Err(TaskError::Panicked(m)) => assert!(m.contains("own workers"), "{m}"),
        other => panic!("broadcast on own worker: {other:?}"),
    }
    // A panic on a participant reaches the caller.
    let r = catch_unwind(AssertUnwindSafe(|| {
        pool.broadcast(|i| {
            if i == 1 {
                panic!("participant 1 {MARKER}");
            }
        })
    }));
    assert_eq!(
        payload_text(&*r.unwrap_err()),
        format!("participant 1 {MARKER}")
    );
    assert_eq!(pool.spawn(|| 1).join(), Ok(1));
}

/// Waits until the sum of `tasks_run` reaches `n` (the counter is bumped just after a task's
/// result is published, so a joiner may see it a moment late), then checks it stays there.
fn wait_tasks_run(pool: &Pool, n: u64) {
    let t0 = Instant::now();
    loop {
        let run: u64 = pool.metrics().iter().map(|m| m.tasks_run).sum();
        assert!(run <= n, "tasks_run {run} > {n} tasks spawned");
        if run == n {
            return;
        }
        assert!(t0.elapsed() < LIMIT, "tasks_run stuck at {run} < {n}");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn metrics_count_tasks_and_chunks() {
    let pool = Pool::builder().threads(3).inline_below(0).build().unwrap();
    let m = pool.metrics();
    assert_eq!(m.len(), 3);
    for (i, w) in m.iter().enumerate() {
        assert_eq!(w.index, i);
        assert_eq!((w.tasks_run, w.chunks_run, w.chunks_stolen), (0, 0, 0));
    }
    let tasks: Vec<Task<u64>> = (0..100u64)
        .map(|i| {
            pool.spawn(move || {
                thread::sleep(Duration::from_micros(100));
                i
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.join(), Ok(i as u64));
    }
    wait_tasks_run(&pool, 100);
    let m = pool.metrics();
    assert_eq!(
        m[0].tasks_run, 0,
        "the caller runs no task on a pool with workers"
    );
    assert!(m[1..].iter().any(|w| w.busy > Duration::ZERO));

    // Chunks: a parallel reduce of 100 chunks counts exactly 100 (workers count before they leave
    // the job, and the call returns after every participant left).
    let data: Vec<u64> = (0..1_000).collect();
    let before: u64 = pool.metrics().iter().map(|w| w.chunks_run).sum();
    for _ in 0..10 {
        let r = pool.reduce_with(&data, opts_len(10), |c| c.iter().sum::<u64>(), |a, b| a + b);
        assert_eq!(r.unwrap(), 499_500);
    }
    let m = pool.metrics();
    let after: u64 = m.iter().map(|w| w.chunks_run).sum();
    assert_eq!(after - before, 1_000);
    let stolen: u64 = m.iter().map(|w| w.chunks_stolen).sum();
    assert!(stolen <= after);
    pool.broadcast(|_| ());
    let bc: u64 = pool.metrics().iter().map(|w| w.chunks_run).sum();
    assert_eq!(
        bc - after,
        3,
        "a broadcast counts one chunk per participant"
    );
    // Tasks that panicked count as run.
    quiet_expected_panics();
    let t = pool.spawn(|| panic!("{MARKER}"));
    assert!(t.join().is_err());
    wait_tasks_run(&pool, 101);
}

/// Eight threads call data-parallel methods on a two-participant pool at once: more callers than
/// job slots, so some calls run inline on their caller. Every result is right.
#[test]
fn many_callers_on_small_pool_fall_back_and_stay_correct() {
    let pool = Pool::builder().threads(2).inline_below(0).build().unwrap();
    let (n, calls) = if cfg!(miri) {
        (2_000, 3)
    } else {
        (50_000, 300)
    };
    let data: Vec<u64> = {
        let mut rng = Rng::new(9);
        (0..n).map(|_| rng.next() >> 40).collect()
    };
    thread::scope(|s| {
        for caller in 0..8u64 {
            let (pool, data) = (&pool, &data);
            s.spawn(move || {
                let mut rng = Rng::new(50 + caller);
                for call in 0..calls {
                    let len = rng.below(data.len() + 1);
                    let cl = 1 + rng.below(500);
                    let slice = &data[..len];
                    let got = pool.reduce_with(
                        slice,
                        opts_len(cl),
                        |c| c.iter().sum::<u64>(),
                        |a, b| a + b,
                    );
                    assert_eq!(
                        got.unwrap(),
                        slice.iter().sum::<u64>(),
                        "caller {caller} call {call}"
                    );
                    let mut v = slice.to_vec();
                    pool.for_each_chunk_mut(&mut v, cl, |o, c| {
                        c.iter_mut()
                            .enumerate()
                            .for_each(|(j, x)| *x += (o + j) as u64)
                    })
                    .unwrap();
                    assert!(v.iter().enumerate().all(|(i, &x)| x == data[i] + i as u64));
                    if call % 50 == 0 {
                        let n = AtomicUsize::new(0);
                        pool.broadcast(|_| {
                            n.fetch_add(1, SeqCst);
                        });
                        assert_eq!(n.load(SeqCst), 2);
                    }
                }
            });
        }
    });
}

/// Tasks running on the pool call `reduce` on the same pool (nested parallelism).
#[test]
fn tasks_can_reduce_on_their_own_pool() {
    let pool = Arc::new(Pool::builder().threads(3).inline_below(0).build().unwrap());
    let (n, n_tasks) = if cfg!(miri) { (2_000, 8) } else { (20_000, 40) };
    let data: Arc<Vec<u64>> = Arc::new((0..n).collect());
    let expected: u64 = data.iter().sum();
    let tasks: Vec<Task<u64>> = (0..n_tasks)
        .map(|i| {
            let (p, d) = (Arc::clone(&pool), Arc::clone(&data));
            pool.spawn(move || {
                let r = p.reduce_with(
                    &d,
                    opts_len(100 + i),
                    |c| c.iter().sum::<u64>(),
                    |a, b| a + b,
                );
                r.unwrap()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.join_timeout(LIMIT), Ok(expected));
    }
}

#[test]
fn global_pool_is_one_pool_and_works() {
    let a = global();
    let b = global();
    assert!(std::ptr::eq(a, b));
    let n = thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(a.threads(), n);
    let n: u64 = if cfg!(miri) { 2_000 } else { 200_000 };
    let data: Vec<u64> = (0..n).collect();
    assert_eq!(
        a.reduce(&data, |c| c.iter().sum::<u64>(), |x, y| x + y),
        (n - 1) * n / 2
    );
    assert_eq!(b.spawn(|| 11).join(), Ok(11));
}

#[test]
fn builder_validates_thread_count_and_defaults() {
    let e = Pool::builder().threads(0).build().expect_err("threads(0)");
    assert!(e.to_string().contains('0'), "{e}");
    assert!(Pool::builder()
        .threads(WorkRanges::MAX_PARTICIPANTS + 1)
        .build()
        .is_err());
    let n = thread::available_parallelism().map_or(1, |n| n.get());
    let pool = Pool::new().unwrap();
    assert_eq!(pool.threads(), n);
    assert_eq!(pool.metrics().len(), n);
    let pool = Pool::builder()
        .threads(2)
        .thread_name(|i| format!("custom-{i}"))
        .stack_size(256 * 1024)
        .spin(Duration::ZERO)
        .build()
        .unwrap();
    let name = pool
        .spawn(|| thread::current().name().map(str::to_string))
        .join();
    assert_eq!(name, Ok(Some("custom-1".to_string())));
}

// ---------------------------------------------------------------------------------------------
// Regression tests for bugs these tests found (fixed in src/pool)
// ---------------------------------------------------------------------------------------------

/// `WorkerMetrics::tasks_run` counts tasks run to the end, panicked ones included — not tasks
/// cancelled while queued (the worker pops them but never runs them). It used to count them.
#[test]
fn metrics_do_not_count_cancelled_tasks() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let (blocker, release) = block_worker(&pool);
    let victims: Vec<Task<()>> = (0..10).map(|_| pool.spawn(|| ())).collect();
    for v in &victims {
        assert!(v.cancel());
    }
    let after = pool.spawn(|| ());
    release.send(()).unwrap();
    assert_eq!(blocker.join(), Ok(true));
    assert_eq!(after.join(), Ok(()));
    for v in victims {
        assert_eq!(v.join(), Err(TaskError::Cancelled));
    }
    // Let the worker finish its bookkeeping for `after` (see the next test).
    thread::sleep(Duration::from_millis(100));
    let run: u64 = pool.metrics().iter().map(|m| m.tasks_run).sum();
    assert_eq!(
        run, 2,
        "2 tasks ran (blocker, after); 10 were cancelled before they started"
    );
}

/// A task is counted in `tasks_run` before its result is published, so `metrics()` read right after
/// `join()` includes it (it used to be counted after, and ~3% of rounds saw the count one short).
#[test]
fn metrics_count_a_task_as_soon_as_it_is_joined() {
    let pool = Pool::builder().threads(2).build().unwrap();
    let rounds: u64 = if cfg!(miri) { 100 } else { 20_000 };
    for i in 0..rounds {
        assert_eq!(pool.spawn(|| ()).join(), Ok(()));
        let run: u64 = pool.metrics().iter().map(|m| m.tasks_run).sum();
        assert_eq!(run, i + 1, "round {i}: a joined task is not counted yet");
    }
}

/// Dropping the last `Arc<Pool>` inside one of the pool's own tasks runs `Pool::drop` on a worker.
/// It must not try to join itself (that used to panic with EDEADLK); it joins the other workers and
/// its own thread exits after the task.
#[test]
fn last_pool_handle_dropped_inside_a_task() {
    quiet_expected_panics();
    let pool = Arc::new(Pool::builder().threads(2).build().unwrap());
    let p = Arc::clone(&pool);
    let (tx, rx) = mpsc::channel::<()>();
    let t = pool.spawn(move || {
        rx.recv_timeout(LIMIT).unwrap();
        drop(p); // the last handle: the pool is dropped here, on its worker
        1
    });
    drop(pool);
    tx.send(()).unwrap();
    assert_eq!(t.join_timeout(LIMIT), Ok(1));
}

/// A slice of zero-sized elements longer than `MAX_CHUNKS * CHUNK_LEN` makes more chunks than the
/// grid allows: `reduce_with` returns the error, and `reduce` panics with that error's message (it
/// used to hit `unreachable!`).
#[test]
fn reduce_over_too_many_zero_sized_elements_does_not_hit_unreachable() {
    quiet_expected_panics();
    let pool = Pool::builder().threads(2).build().unwrap();
    let data = vec![(); usize::MAX];
    assert!(pool
        .reduce_with(&data, ParOptions::default(), |c| c.len(), |a, b| a + b)
        .is_err());
    let r = catch_unwind(AssertUnwindSafe(|| {
        pool.reduce(&data, |c| c.len(), |a, b| a + b)
    }));
    let msg = r.err().map(|p| payload_text(&*p));
    assert!(
        !msg.as_deref().unwrap_or("").contains("unreachable"),
        "reduce hit unreachable!(): {msg:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Nested tasks: a join inside the pool helps while it waits
// ---------------------------------------------------------------------------------------------

/// How long a nested-task test may run before it is declared hung. A hang guard, not a timed
/// assertion: each of these tests takes well under a second when it passes, and a regression
/// (a join inside the pool that only waits) deadlocks forever.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Runs `body` on a thread of its own and fails with a clear message if it has not returned within
/// [`HANG_GUARD`] (the deadlocked thread is left behind; the test process ends anyway). A panic in
/// `body` is re-raised here.
fn hang_guard<T: Send + 'static>(what: &str, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let h = thread::spawn(move || {
        // A failed send means the guard gave up already.
        let _ = tx.send(body());
    });
    match rx.recv_timeout(HANG_GUARD) {
        Ok(v) => {
            h.join().unwrap();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match h.join() {
            Err(p) => panic::resume_unwind(p),
            Ok(()) => unreachable!("the body returned without sending its result"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: not finished after {HANG_GUARD:?}: nested spawn/join deadlocked")
        }
    }
}

/// The reproduction: on a pool with one worker, a task spawns a task and joins it. The
/// worker, busy with the outer task, must run the inner one itself while it waits.
#[test]
fn nested_join_in_a_task_does_not_deadlock() {
    quiet_expected_panics();
    hang_guard("spawn + join inside a task", || {
        let pool = Arc::new(Pool::builder().threads(2).build().unwrap());
        let p = Arc::clone(&pool);
        assert_eq!(pool.spawn(move || p.spawn(|| 7).join()).join(), Ok(Ok(7)));
        // Three levels deep, with `join_timeout`, `wait_timeout` and a panicking child, which fails
        // only itself.
        let p = Arc::clone(&pool);
        let outer = pool.spawn(move || {
            let q = Arc::clone(&p);
            let mid = p.spawn(move || {
                let bad = q.spawn(|| -> u32 { panic!("inner {MARKER}") });
                let good = q.spawn(|| 5u32);
                assert!(good.wait_timeout(LIMIT), "wait_timeout did not help");
                (bad.join(), good.join_timeout(LIMIT))
            });
            mid.join_timeout(LIMIT)
        });
        let (bad, good) = outer.join().unwrap().unwrap();
        assert_eq!(bad, Err(TaskError::Panicked(format!("inner {MARKER}"))));
        assert_eq!(good, Ok(5));
        // The pool lives on; the outer tasks ran on the worker, the inner ones there too.
        assert_eq!(pool.spawn(|| 1).join(), Ok(1));
        let m = pool.metrics();
        assert_eq!(m[0].tasks_run, 0, "a thread outside the pool only waits");
        assert_eq!(m[1].tasks_run, 7);
    });
}

/// The same from data-parallel closures of a two-participant pool: both the caller (participant 0)
/// and the worker spawn and join inside `broadcast`, `reduce` and `for_each_chunk_mut`. Neither is
/// free to run the other's task unless a join helps.
#[test]
fn nested_join_in_data_parallel_closures_does_not_deadlock() {
    hang_guard("spawn + join inside data-parallel closures", || {
        let pool = Pool::builder().threads(2).inline_below(0).build().unwrap();
        let seen = AtomicUsize::new(0);
        pool.broadcast(|i| {
            let v = pool.spawn(move || 1usize << i).join().unwrap();
            seen.fetch_or(v, SeqCst);
        });
        assert_eq!(seen.load(SeqCst), 0b11);
        let data: Vec<u64> = (0..64).collect();
        let sum = pool
            .reduce_with(
                &data,
                opts_len(1),
                |c| {
                    let x = c[0];
                    pool.spawn(move || x * 2).join().unwrap()
                },
                |a, b| a + b,
            )
            .unwrap();
        assert_eq!(sum, 63 * 64);
        let mut v = vec![0u64; 64];
        pool.for_each_chunk_mut(&mut v, 4, |off, c| {
            let base = pool.spawn(move || off as u64).join().unwrap();
            c.iter_mut()
                .enumerate()
                .for_each(|(i, x)| *x = base + i as u64);
        })
        .unwrap();
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
        // Every task ran exactly once, on one participant or the other.
        let run: u64 = pool.metrics().iter().map(|m| m.tasks_run).sum();
        assert_eq!(run, 2 + 64 + 16);
    });
}

/// `fib(n)` with a spawned task per recursive call, each joined by its parent.
fn fib(pool: &Arc<Pool>, n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    let (p1, p2) = (Arc::clone(pool), Arc::clone(pool));
    let a = pool.spawn(move || fib(&p1, n - 1));
    let b = pool.spawn(move || fib(&p2, n - 2));
    a.join().unwrap() + b.join().unwrap()
}

/// Recursive spawn/join (a Fibonacci of depth 20: 21,890 tasks) on pools of 1, 2 and 4
/// participants. With one participant `spawn` runs each task at once on its caller; with workers,
/// every join on a worker runs queued tasks while it waits. Each task is counted once, on the
/// participant that ran it, and busy time is not counted twice for tasks nested in others.
#[test]
fn recursive_fib_by_spawn_and_join() {
    let (n, expected) = if cfg!(miri) { (7, 13) } else { (20, 6765) };
    // fib(n) spawns 2 tasks per call with n >= 2: 2 * fib(n + 1) - 2 of them.
    let tasks: u64 = if cfg!(miri) {
        2 * 21 - 2
    } else {
        2 * 10_946 - 2
    };
    for threads in [1, 2, 4] {
        hang_guard(&format!("fib({n}) on {threads} threads"), move || {
            let pool = Arc::new(Pool::builder().threads(threads).build().unwrap());
            let t0 = Instant::now();
            assert_eq!(fib(&pool, n), expected, "{threads} threads");
            // The root's own spawns are joined from this (outside) thread, which only waits: the
            // last worker may still be counting its task.
            wait_tasks_run(&pool, tasks);
            let wall = t0.elapsed();
            let m = pool.metrics();
            if threads == 1 {
                assert_eq!(
                    m[0].tasks_run, tasks,
                    "one participant: all inline on the caller"
                );
            } else {
                assert_eq!(
                    m[0].tasks_run, 0,
                    "{threads} threads: the outside caller ran a task"
                );
            }
            for w in &m {
                assert!(
                    w.busy <= wall,
                    "participant {} busy {:?} in {wall:?}: nested tasks counted twice",
                    w.index,
                    w.busy
                );
            }
        });
    }
}

/// A join on a worker whose task runs on another worker helps with other queued tasks meanwhile —
/// but never runs one that was cancelled while queued.
#[test]
fn helping_join_runs_other_tasks_but_never_a_cancelled_one() {
    hang_guard("helping join with a cancelled task queued", || {
        let pool = Arc::new(Pool::builder().threads(3).build().unwrap());
        let ran = Arc::new(AtomicBool::new(false));
        let p = Arc::clone(&pool);
        let r = Arc::clone(&ran);
        let outer = pool.spawn(move || {
            // `busy` runs on the other worker until the task `release` (queued below) frees it.
            let (started_tx, started_rx) = mpsc::channel();
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let busy = p.spawn(move || {
                started_tx.send(()).unwrap();
                release_rx.recv_timeout(LIMIT).is_ok()
            });
            started_rx.recv_timeout(LIMIT).unwrap();
            let victim = p.spawn(move || r.store(true, SeqCst));
            assert!(victim.cancel());
            let release = p.spawn(move || release_tx.send(()).unwrap());
            // Only this worker is free: its join must run `release` (and skip `victim`).
            let released = busy.join();
            (released, release.join(), victim.join())
        });
        let (released, release, victim) = outer.join().unwrap();
        assert_eq!(
            released,
            Ok(true),
            "the join did not run the queued `release`"
        );
        assert_eq!(release, Ok(()));
        assert_eq!(victim, Err(TaskError::Cancelled));
        assert!(!ran.load(SeqCst), "a helping join ran a cancelled task");
    });
}

/// A worker of one pool joining a task of another pool does not run the other pool's work: it
/// waits, and the task runs on its own pool's worker.
#[test]
fn join_across_pools_only_waits() {
    hang_guard("join of another pool's task", || {
        let a = Arc::new(
            Pool::builder()
                .threads(2)
                .thread_name(|i| format!("pool-a-{i}"))
                .build()
                .unwrap(),
        );
        let b = Pool::builder()
            .threads(2)
            .thread_name(|i| format!("pool-b-{i}"))
            .build()
            .unwrap();
        let name = || thread::current().name().map(str::to_owned);
        let a2 = Arc::clone(&a);
        let r = b.spawn(move || (name(), a2.spawn(name).join()));
        let (outer, inner) = r.join().unwrap();
        assert_eq!(outer.as_deref(), Some("pool-b-1"));
        assert_eq!(inner, Ok(Some("pool-a-1".to_string())));
    });
}

/// A deadline that has passed skips the remaining chunks and says so; one that has not changes
/// nothing. Both the published and the inline paths, and `for_each_chunk_mut`.
#[test]
#[cfg_attr(miri, ignore = "sums whole chunks: minutes under Miri")]
fn a_passed_deadline_is_an_error_that_says_so() {
    let data = vec![1u32; 64];
    let slow = |c: &[u32]| {
        thread::sleep(Duration::from_millis(2));
        c.len()
    };
    for pool in [
        Pool::builder().threads(2).inline_below(0).build().unwrap(),
        Pool::builder().threads(1).build().unwrap(),
    ] {
        let past = ParOptions {
            deadline: Some(Instant::now()),
            chunk_len: Some(1),
            ..ParOptions::default()
        };
        let err = pool
            .reduce_with(&data, past, slow, |a, b| a + b)
            .unwrap_err();
        assert!(err.is_timed_out() && !err.is_cancelled(), "{err}");
        // Passes after some chunks ran: the rest are skipped.
        let soon = ParOptions {
            deadline: Some(Instant::now() + Duration::from_millis(10)),
            chunk_len: Some(1),
            ..ParOptions::default()
        };
        assert!(pool
            .reduce_with(&data, soon, slow, |a, b| a + b)
            .unwrap_err()
            .is_timed_out());
        let mut v = vec![0u32; 64];
        let err = pool
            .for_each_chunk_mut_with(&mut v, soon, |_, c| {
                thread::sleep(Duration::from_millis(2));
                c.fill(1);
            })
            .unwrap_err();
        assert!(err.is_timed_out());
        assert!(v.contains(&0), "the chunks after the deadline were skipped");
        let later = ParOptions {
            deadline: Some(Instant::now() + Duration::from_secs(600)),
            chunk_len: Some(1),
            ..ParOptions::default()
        };
        assert_eq!(pool.reduce_with(&data, later, slow, |a, b| a + b), Ok(64));
        assert!(pool
            .for_each_chunk_mut_with(&mut v, later, |_, c| c.fill(2))
            .is_ok());
        assert!(v.iter().all(|&x| x == 2));
        // The kernels' calls too.
        let floats = vec![1.0f64; 3 * CHUNK_LEN];
        assert!(pool
            .sum_float_with(&floats, Accuracy::Fast, past)
            .unwrap_err()
            .is_timed_out());
        assert!(pool.stats_with(&floats, past).unwrap_err().is_timed_out());
    }
}

/// Participant 0's metrics count the calls that ran inline, their chunks and the caller's busy
/// time; a published call's chunks are counted once, over all participants.
#[test]
#[cfg_attr(miri, ignore = "sums whole chunks: minutes under Miri")]
fn metrics_count_inline_calls_and_the_callers_work() {
    let data = vec![1.0f64; 4 * CHUNK_LEN];
    let solo = Pool::builder().threads(1).build().unwrap();
    solo.sum_float(&data);
    let m = solo.metrics()[0];
    assert_eq!((m.inline_calls, m.chunks_run), (1, 4));
    assert!(m.busy > Duration::ZERO);

    let pool = Pool::builder().threads(2).inline_below(0).build().unwrap();
    pool.sum_float(&data);
    let m = pool.metrics();
    assert_eq!(m[0].inline_calls, 0);
    assert_eq!(m.iter().map(|w| w.chunks_run).sum::<u64>(), 4);
    // Small inputs run inline on the caller.
    let small = Pool::builder()
        .threads(2)
        .inline_below(usize::MAX)
        .build()
        .unwrap();
    small.sum_float(&data);
    small.reduce(&data, |c| c.len(), |a, b| a + b);
    let m = small.metrics();
    assert_eq!(
        (m[0].inline_calls, m[0].chunks_run, m[1].chunks_run),
        (2, 8, 0)
    );
}

/// Scoped tasks borrow from the stack, mutably and disjointly; the scope returns only after every
/// task finished, also when nobody joins them, and on pools of 1, 2 and 4 participants.
#[test]
fn scoped_tasks_borrow_and_finish_before_the_scope_returns() {
    for threads in [1, 2, 4] {
        let pool = Pool::builder().threads(threads).build().unwrap();
        let mut parts = vec![vec![1u64; 100]; 6];
        let factor = 3;
        pool.scope(|s| {
            for (i, p) in parts.iter_mut().enumerate() {
                s.spawn(move || p.iter_mut().for_each(|x| *x *= factor + i as u64));
            }
        });
        for (i, p) in parts.iter().enumerate() {
            assert!(
                p.iter().all(|&x| x == 3 + i as u64),
                "part {i} on {threads} threads"
            );
        }
        // Tasks spawned by scoped tasks belong to the scope too.
        let hits = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    s.spawn(|| hits.fetch_add(1, Relaxed));
                    hits.fetch_add(1, Relaxed)
                });
            }
        });
        assert_eq!(hits.load(Relaxed), 8);
    }
}

/// A panicking scoped task fails only itself; a panic of the scope's closure comes out of `scope`
/// after every task has finished.
#[test]
fn scoped_panics_are_isolated_and_the_scope_still_waits() {
    quiet_expected_panics();
    let pool = Pool::builder().threads(2).build().unwrap();
    let (bad, good) = pool.scope(|s| {
        let bad = s.spawn(|| -> u32 { panic!("scoped task fails") });
        let good = s.spawn(|| 7u32);
        (bad.join(), good.join())
    });
    assert_eq!(bad, Err(TaskError::Panicked("scoped task fails".into())));
    assert_eq!(good, Ok(7));
    let finished = AtomicBool::new(false);
    let r = catch_unwind(AssertUnwindSafe(|| {
        pool.scope(|s| {
            s.spawn(|| {
                thread::sleep(Duration::from_millis(20));
                finished.store(true, SeqCst);
            });
            panic!("the scope's closure fails");
        })
    }));
    assert!(r.is_err());
    assert!(
        finished.load(SeqCst),
        "the scope returned before its task finished"
    );
}

/// A scope inside a task of the same pool, on a pool whose only worker runs that task: the
/// scope's wait runs the scoped tasks itself. And `map` over borrowed items.
#[test]
fn scopes_nest_in_tasks_and_map_borrows() {
    let pool = Arc::new(Pool::builder().threads(2).build().unwrap());
    let p = Arc::clone(&pool);
    let outer = pool.spawn(move || {
        let data: Vec<u64> = (1..=100).collect();
        p.scope(|s| {
            let (a, b) = data.split_at(50);
            let x = s.spawn(|| a.iter().sum::<u64>());
            let y = s.spawn(|| b.iter().sum::<u64>());
            x.join().unwrap() + y.join().unwrap()
        })
    });
    assert_eq!(outer.join(), Ok(5050));
    let rows: Vec<Vec<u32>> = (0..10).map(|i| vec![i; i as usize]).collect();
    let limit = 20;
    let sums = pool.map(&rows, |r| r.iter().sum::<u32>().min(limit));
    let want: Vec<_> = rows
        .iter()
        .map(|r| Ok(r.iter().sum::<u32>().min(limit)))
        .collect();
    assert_eq!(sums, want);
}
