//! `pool`: what the worker pool costs, shmkern next to rayon and a sequential loop, as markdown
//! tables (docs/performance.md, "Pool"):
//!
//! ```sh
//! cargo bench --bench tables -- pool   # about 35 s
//! ```
//!
//! - **(a) Broadcast round trip**: an empty `Pool::broadcast` on a 2-participant pool (the calling
//!   thread plus one worker) against `rayon::ThreadPool::broadcast` on a 2-thread rayon pool, both
//!   issued from the main thread, which is outside both pools. Back to back (the workers are still
//!   spinning from the previous call), and after a 1 ms sleep (the workers have gone to sleep, so
//!   the call pays for waking them).
//! - **(b) Reduce**: a sum of `f64` over 1,000 / 65,536 / 1,048,576 elements — `Pool::reduce`
//!   (map: a sequential sum of the chunk, merge: `+`), a sequential `iter().sum()`, rayon
//!   `par_chunks(CHUNK_LEN)` and rayon `par_iter().sum()` (both through `ThreadPool::install` from
//!   the main thread).
//! - **(c1), (c2) Defaults**: the reduce with spin budgets 0 / 10 / 50 (default) / 200 µs, back to
//!   back and with 20 µs or 100 µs of caller work between calls; and with `inline_below` 0, default
//!   and 131,072.
//! - **(d) Breakdown**: when a reduce's last chunk ends (timed inside `map`) and how long the call
//!   takes after that, next to a broadcast that sums the same two halves.
//!
//! Each back-to-back number is the median over [`REPS`] repetitions of the ns per call of one
//! repetition; a repetition runs as many calls as fit in about [`REP_TARGET`] of measured time. The
//! compared variants run in the same loop of repetitions, in an order that rotates every repetition,
//! so drift on a noisy machine hits them alike. The sleep-gap broadcast numbers are medians of
//! [`GAP_CALLS`] single timed calls per variant, the variants alternating call by call. `cargo bench
//! --bench pool` times (a) and (b) under criterion.

use crate::common::report::{self, back_to_back, fmt_n, fmt_ns, section, stats, Stats, Variant};
use rayon::prelude::*;
use shmkern::{sched::CHUNK_LEN, Builder, Pool};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Repetitions per variant; the median is reported.
const REPS: usize = 15;
/// Target measured time of one repetition.
const REP_TARGET: Duration = Duration::from_millis(30);
/// Participants of every pool compared.
const THREADS: usize = 2;
/// Sleep between two calls of the sleep-gap broadcast measurement.
const SLEEP_GAP: Duration = Duration::from_millis(1);
/// Timed calls per variant of the sleep-gap broadcast measurement.
const GAP_CALLS: usize = 400;
/// Element counts of the reduce comparison.
const SIZES: [usize; 3] = [1_000, 65_536, 1_048_576];
/// Spin budgets compared (µs).
const SPINS_US: [u64; 4] = [0, 10, 50, 200];
/// Caller work between two reduces in the spin-budget table (µs of busy waiting; 0: back to back).
const CALLER_GAPS_US: [u64; 3] = [0, 20, 100];
/// Element counts of the reduce breakdown, with the timed calls per variant.
const BREAKDOWN: [(usize, usize); 2] = [(65_536, 3000), (1_048_576, 400)];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Measures every variant over [`REPS`] repetitions of about [`REP_TARGET`], interleaved (see
/// [`report::measure`]). Returns ns per call, in the variants' order.
fn measure(variants: &mut [Variant<'_>]) -> Vec<Stats> {
    report::measure(variants, REPS, REP_TARGET)
}

/// Busy-waits `d`: stands for sequential work the caller does between two parallel calls.
fn busy(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// A variant with `gap` of caller work before each call; only the calls are timed.
fn with_gap<'a>(gap: Duration, mut f: impl FnMut() + 'a) -> Variant<'a> {
    if gap.is_zero() {
        return back_to_back(f);
    }
    Box::new(move |iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            busy(gap);
            let start = Instant::now();
            f();
            total += start.elapsed();
        }
        total
    })
}

fn pool(spin: Duration, inline_below: usize) -> Pool {
    Pool::builder()
        .threads(THREADS)
        .spin(spin)
        .inline_below(inline_below)
        .build()
        .expect("pool")
}

fn worker_sleeps(p: &Pool) -> u64 {
    p.metrics().iter().skip(1).map(|m| m.sleeps).sum()
}

fn sum_chunk(c: &[f64]) -> f64 {
    c.iter().sum::<f64>()
}

fn shm_sum(p: &Pool, data: &[f64]) -> f64 {
    p.reduce(black_box(data), sum_chunk, |a, b| a + b)
}

fn seq_sum(data: &[f64]) -> f64 {
    black_box(data).iter().sum::<f64>()
}

fn data(n: usize) -> Vec<f64> {
    (0..n).map(|i| (i % 1000) as f64 * 0.001).collect()
}

/// (a) Empty broadcast from the main thread, back to back and after a 1 ms sleep.
fn broadcast_tables(shm: &Pool, ray: &rayon::ThreadPool) {
    let mut variants = vec![
        back_to_back(|| {
            shm.broadcast(|i| {
                black_box(i);
            })
        }),
        back_to_back(|| {
            black_box(ray.broadcast(|ctx| {
                black_box(ctx.index());
            }));
        }),
    ];
    let b2b = measure(&mut variants);
    drop(variants);

    // Each of 2,000 back-to-back calls timed on its own: the distribution of the hot round trip
    // (a median far below the 90th percentile means some calls, or whole runs, pay a slow path).
    let mut each: Vec<f64> = (0..2000)
        .map(|_| {
            let start = Instant::now();
            shm.broadcast(|i| {
                black_box(i);
            });
            start.elapsed().as_nanos() as f64
        })
        .collect();
    each.sort_by(f64::total_cmp);

    // One timed call after each sleep, the two pools alternating call by call.
    let mut gap: [Vec<f64>; 2] = [Vec::with_capacity(GAP_CALLS), Vec::with_capacity(GAP_CALLS)];
    for i in 0..2 * GAP_CALLS {
        std::thread::sleep(SLEEP_GAP);
        let which = i % 2;
        let start = Instant::now();
        if which == 0 {
            shm.broadcast(|i| {
                black_box(i);
            });
        } else {
            black_box(ray.broadcast(|ctx| {
                black_box(ctx.index());
            }));
        }
        gap[which].push(start.elapsed().as_nanos() as f64);
    }
    for g in &mut gap {
        g.sort_by(f64::total_cmp);
    }

    println!(
        "### (a) Empty broadcast round trip, called from outside the pool ({THREADS} threads)"
    );
    println!();
    println!("| variant | shmkern ns | rayon ns | shmkern/rayon |");
    println!("|---|---:|---:|---:|");
    println!(
        "| back to back (median of {REPS} repetitions) | {} | {} | {:.3} |",
        fmt_ns(b2b[0].median),
        fmt_ns(b2b[1].median),
        b2b[0].median / b2b[1].median
    );
    let (s, r) = (percentile(&gap[0], 0.5), percentile(&gap[1], 0.5));
    println!(
        "| after a {} ms sleep (median of {GAP_CALLS} calls) | {} | {} | {:.3} |",
        SLEEP_GAP.as_millis(),
        fmt_ns(s),
        fmt_ns(r),
        s / r
    );
    println!();
    println!(
        "spread: back to back, min–max over repetitions: shmkern {}–{}, rayon {}–{}; after a sleep, \
         10th–90th percentile of calls: shmkern {}–{}, rayon {}–{}",
        fmt_ns(b2b[0].min),
        fmt_ns(b2b[0].max),
        fmt_ns(b2b[1].min),
        fmt_ns(b2b[1].max),
        fmt_ns(percentile(&gap[0], 0.1)),
        fmt_ns(percentile(&gap[0], 0.9)),
        fmt_ns(percentile(&gap[1], 0.1)),
        fmt_ns(percentile(&gap[1], 0.9)),
    );
    println!();
    let (median, p90) = (percentile(&each, 0.5), percentile(&each, 0.9));
    println!(
        "hot round trip, each of {} back-to-back shmkern calls timed: median {}, 90th percentile \
         {} (×{:.2})",
        each.len(),
        fmt_ns(median),
        fmt_ns(p90),
        p90 / median
    );
    println!();
}

/// (b) Sum of f64: sequential, shmkern reduce, rayon par_chunks, rayon par_iter.
fn reduce_table(shm: &Pool, ray: &rayon::ThreadPool) {
    println!(
        "### (b) Reduce, sum of f64 ({THREADS} threads; ns per call, ratio to the sequential loop)"
    );
    println!();
    println!(
        "| elements | sequential `iter().sum()` | shmkern `reduce` | rayon `par_chunks({CHUNK_LEN})` | rayon `par_iter().sum()` |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for n in SIZES {
        let d = data(n);
        let d = &d[..];
        let mut variants = vec![
            back_to_back(|| {
                black_box(seq_sum(d));
            }),
            back_to_back(|| {
                black_box(shm_sum(shm, d));
            }),
            back_to_back(|| {
                black_box(ray.install(|| {
                    black_box(d)
                        .par_chunks(CHUNK_LEN)
                        .map(sum_chunk)
                        .sum::<f64>()
                }));
            }),
            back_to_back(|| {
                black_box(ray.install(|| black_box(d).par_iter().sum::<f64>()));
            }),
        ];
        let s = measure(&mut variants);
        let seq = s[0].median;
        let cell = |x: &Stats| format!("{} (×{:.2})", fmt_ns(x.median), x.median / seq);
        println!(
            "| {} | {} | {} | {} | {} |",
            fmt_n(n),
            fmt_ns(seq),
            cell(&s[1]),
            cell(&s[2]),
            cell(&s[3])
        );
    }
    println!();
}

/// (c1) Spin budgets, with and without caller work between calls.
fn spin_table() {
    let spin_pools: Vec<(u64, Pool)> = SPINS_US
        .iter()
        .map(|&us| {
            (
                us,
                pool(Duration::from_micros(us), Builder::DEFAULT_INLINE_BELOW),
            )
        })
        .collect();

    println!(
        "### (c1) Spin budget: reduce, sum of f64, with 0 / 20 / 100 µs of caller work between calls"
    );
    println!();
    println!(
        "ns per call (ratio to the sequential loop); worker sleeps per call in brackets. Default: {} µs.",
        Builder::DEFAULT_SPIN.as_micros()
    );
    println!();
    print!("| elements | spin |");
    for g in CALLER_GAPS_US {
        if g == 0 {
            print!(" back to back |");
        } else {
            print!(" {g} µs gap |");
        }
    }
    println!();
    print!("|---:|---:|");
    for _ in CALLER_GAPS_US {
        print!("---:|");
    }
    println!();
    for n in [65_536usize, 1_048_576] {
        let d = data(n);
        let d = &d[..];
        // cells[spin][gap] = (ns, ratio, sleeps per call)
        let mut cells = vec![Vec::new(); spin_pools.len()];
        let mut seq_ns = 0.0;
        for (gi, &gap_us) in CALLER_GAPS_US.iter().enumerate() {
            let gap = Duration::from_micros(gap_us);
            let calls: Vec<Cell<u64>> = spin_pools.iter().map(|_| Cell::new(0)).collect();
            let before: Vec<u64> = spin_pools.iter().map(|(_, p)| worker_sleeps(p)).collect();
            let mut variants: Vec<Variant<'_>> = Vec::new();
            if gi == 0 {
                variants.push(back_to_back(|| {
                    black_box(seq_sum(d));
                }));
            }
            for ((_, p), c) in spin_pools.iter().zip(&calls) {
                variants.push(with_gap(gap, move || {
                    c.set(c.get() + 1);
                    black_box(shm_sum(p, d));
                }));
            }
            let s = measure(&mut variants);
            drop(variants);
            let s = if gi == 0 {
                seq_ns = s[0].median;
                &s[1..]
            } else {
                &s[..]
            };
            for (k, ((_, p), c)) in spin_pools.iter().zip(&calls).enumerate() {
                let sleeps = (worker_sleeps(p) - before[k]) as f64 / c.get().max(1) as f64;
                cells[k].push((s[k].median, s[k].median / seq_ns, sleeps));
            }
        }
        for (k, (us, _)) in spin_pools.iter().enumerate() {
            let default = if Duration::from_micros(*us) == Builder::DEFAULT_SPIN {
                " (default)"
            } else {
                ""
            };
            print!("| {} | {us} µs{default} |", fmt_n(n));
            for (ns, ratio, sleeps) in &cells[k] {
                print!(" {} (×{ratio:.2}) [{sleeps:.2}] |", fmt_ns(*ns));
            }
            println!();
        }
        println!(
            "| {} | sequential loop | {} |{}",
            fmt_n(n),
            fmt_ns(seq_ns),
            " |".repeat(CALLER_GAPS_US.len() - 1)
        );
    }
    println!();
}

/// (c2) Inline cutoff.
fn cutoff_table() {
    let cutoffs = [0usize, Builder::DEFAULT_INLINE_BELOW, 4 * CHUNK_LEN];
    let cut_pools: Vec<Pool> = cutoffs
        .iter()
        .map(|&c| pool(Builder::DEFAULT_SPIN, c))
        .collect();
    println!("### (c2) Inline cutoff: reduce, sum of f64, back to back");
    println!();
    println!(
        "ns per call (ratio to the sequential loop). Default `inline_below` = {} (`CHUNK_LEN`); a \
         call of one chunk always runs inline.",
        fmt_n(Builder::DEFAULT_INLINE_BELOW)
    );
    println!();
    print!("| elements | sequential |");
    for c in cutoffs {
        let default = if c == Builder::DEFAULT_INLINE_BELOW {
            " (default)"
        } else {
            ""
        };
        print!(" `inline_below` {}{default} |", fmt_n(c));
    }
    println!();
    println!("|---:|---:|{}", "---:|".repeat(cutoffs.len()));
    for n in [CHUNK_LEN, 2 * CHUNK_LEN] {
        let d = data(n);
        let d = &d[..];
        let mut variants = vec![back_to_back(|| {
            black_box(seq_sum(d));
        })];
        for p in &cut_pools {
            variants.push(back_to_back(move || {
                black_box(shm_sum(p, d));
            }));
        }
        let s = measure(&mut variants);
        let seq = s[0].median;
        print!("| {} | {} |", fmt_n(n), fmt_ns(seq));
        for x in &s[1..] {
            print!(" {} (×{:.2}) |", fmt_ns(x.median), x.median / seq);
        }
        println!();
    }
    println!();
}

/// (d) Where a reduce's time goes: when its last chunk ends (timed inside `map`) and how long the
/// call takes after that, next to a broadcast doing the same split (completion on a latch).
fn breakdown_table(shm: &Pool) {
    println!(
        "### (d) Reduce breakdown: time to the end of the last chunk, and after it ({THREADS} threads, back to back)"
    );
    println!();
    println!(
        "| elements | `reduce` ns | last chunk ends at ns | after the last chunk ns | same halves via `broadcast` ns |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (n, calls) in BREAKDOWN {
        let d = data(n);
        let d = &d[..];
        let half = n / THREADS;
        let (mut total, mut last, mut tail, mut bc) = (vec![], vec![], vec![], vec![]);
        for i in 0..2 * calls + 20 {
            if i % 2 == 0 {
                let last_end = AtomicU64::new(0);
                let t0 = Instant::now();
                let r = shm.reduce(
                    black_box(d),
                    |c| {
                        let r = sum_chunk(c);
                        last_end.fetch_max(t0.elapsed().as_nanos() as u64, Relaxed);
                        r
                    },
                    |a, b| a + b,
                );
                let t = t0.elapsed().as_nanos() as f64;
                black_box(r);
                if i >= 20 {
                    let l = last_end.load(Relaxed) as f64;
                    total.push(t);
                    last.push(l);
                    tail.push(t - l);
                }
            } else {
                let t0 = Instant::now();
                shm.broadcast(|p| {
                    let part = &d[p * half..(p + 1) * half];
                    black_box(part.chunks(CHUNK_LEN).map(sum_chunk).sum::<f64>());
                });
                if i >= 20 {
                    bc.push(t0.elapsed().as_nanos() as f64);
                }
            }
        }
        println!(
            "| {} | {} | {} | {} | {} |",
            fmt_n(n),
            fmt_ns(stats(total).median),
            fmt_ns(stats(last).median),
            fmt_ns(stats(tail).median),
            fmt_ns(stats(bc).median)
        );
    }
    println!();
}

/// Prints the tables.
pub fn run() {
    let started = Instant::now();
    report::print_header(
        &report::machine(),
        &format!(
            "median of {REPS} repetitions of ~{} ms each, compared variants interleaved; \
             pools of {THREADS} threads, called from the main thread",
            REP_TARGET.as_millis()
        ),
    );

    let shm = pool(Builder::DEFAULT_SPIN, Builder::DEFAULT_INLINE_BELOW);
    let ray = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");

    section(|| broadcast_tables(&shm, &ray));
    section(|| reduce_table(&shm, &ray));
    drop(ray);
    section(spin_table);
    section(cutoff_table);
    section(|| breakdown_table(&shm));
    drop(shm);

    report::print_total(started);
}
