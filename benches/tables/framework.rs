//! `framework`: what running a reduction through the kernel framework costs (docs/performance.md,
//! "Kernel framework"):
//!
//! ```sh
//! cargo bench --bench tables -- framework        # about a minute
//! ```
//!
//! At 1 Mi and 128 Mi (1 GiB) `f64` elements, 2 participants, in one interleaved loop:
//!
//! - `Pool::sum_float` and `Pool::stats`, which run the built-in kernels (`FloatSum`, `Describe`)
//!   through `Pool::run_with`;
//! - the same per-chunk functions through the closure-based `Pool::reduce_with` with the contract
//!   grid, the path `sum_float` and `stats` took before the framework (the kernel's `chunk` called
//!   directly, its merge as the closure, `finish` after);
//! - a user kernel defined here, outside the library, that sums each chunk with the public
//!   `kernels::sequential_sum` (the same tree on one chunk) and merges with `+`, run by `Pool::run`.
//!
//! All give the same bits (asserted before timing). The targets: the framework path within 3 % of
//! the closure path for `sum_float` and `stats`, and the user kernel within 10 % of `sum_float`.
//! Each time is the median over [`REPS`] repetitions ([`BIG_REPS`] single calls at 1 GiB); each
//! target ratio the median over the repetitions of the two variants' time ratio in that repetition
//! (paired: the variants of a repetition run back to back, so load that comes and goes on a shared
//! machine hits both).

use crate::common::buffer::{f64_value, Buffer};
use crate::common::report::{self, back_to_back, fmt_time, Variant};
use shmkern::kernels::{sequential_sum, ChunkAt, Describe, FloatSum, Kernel};
use shmkern::{sched::CHUNK_LEN, ParOptions, Pool};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Repetitions per variant; the median is reported.
const REPS: usize = 21;
/// Repetitions per variant at 1 GiB (one call each).
const BIG_REPS: usize = 9;
/// Target measured time of one repetition.
const REP_TARGET: Duration = Duration::from_millis(30);
/// Participants of every variant.
const THREADS: usize = 2;
/// The largest size: 128 Mi `f64` = 1 GiB.
const BIG: usize = 1 << 27;
/// The sizes the targets name.
const SIZES: [usize; 2] = [1 << 20, BIG];

/// A user's plain sum: each chunk's tree sum by the public sequential function, partials added.
struct UserSum;

impl Kernel for UserSum {
    type Input<'a> = &'a [f64];
    type Partial = f64;
    type Output = f64;
    fn chunk(&self, _: ChunkAt, x: &[f64]) -> f64 {
        sequential_sum(x)
    }
    fn merge(&self, left: f64, right: f64) -> f64 {
        left + right
    }
    fn finish(&self, root: f64) -> f64 {
        root
    }
}

/// `kernel` through the closure-based `reduce_with` on the contract grid: the path the built-in
/// calls took before they were kernels. Chunk positions are not passed there; these kernels ignore
/// them.
fn closure_path<K>(pool: &Pool, kernel: &K, data: &[f64]) -> K::Output
where
    K: for<'a> Kernel<Input<'a> = &'a [f64]> + Sync,
{
    let opts = ParOptions {
        chunk_len: Some(CHUNK_LEN),
        ..ParOptions::default()
    };
    let at = ChunkAt::new(0, 0);
    let root = pool
        .reduce_with(
            data,
            opts,
            |x| kernel.chunk(at, x),
            |a, b| kernel.merge(a, b),
        )
        .expect("no cancel, no deadline");
    kernel.finish(root)
}

fn size_label(n: usize) -> &'static str {
    if n == BIG {
        "128 Mi (1 GiB)"
    } else {
        "1 Mi"
    }
}

fn verdict(holds: bool) -> &'static str {
    if holds {
        "holds"
    } else {
        "does NOT hold"
    }
}

pub fn run() {
    let started = Instant::now();
    report::print_header(
        &report::machine(),
        &format!(
            "median of {REPS} repetitions of ~{} ms each ({BIG_REPS} single calls at 1 GiB), the \
             variants of a size interleaved in a rotating order; one pool of {THREADS} threads \
             built once; data: one 1 GiB anonymous mapping, every page written before timing",
            REP_TARGET.as_millis()
        ),
    );
    let mut buf = Buffer::new(false);
    buf.fill(THREADS, f64_value);
    let pool = Pool::builder().threads(THREADS).build().expect("pool");
    report::section(|| table(&buf, &pool));
    report::print_total(started);
}

fn table(buf: &Buffer, pool: &Pool) {
    println!(
        "### Built-in kernels through the framework, through the closure path, and a user kernel \
         ({THREADS} threads; ratio = closure-path time / variant time, >1 = faster)"
    );
    println!();
    println!("| elements | variant | time (median) | min–max | GB/s | ×closure path |");
    println!("|---:|---|---:|---:|---:|---:|");
    let mut verdicts = Vec::new();
    for n in SIZES {
        let d = &buf.view::<f64>()[..n];
        // The kernels as `sum_float` and `stats` pick them for this input on this pool (streaming
        // past the cache, prefetching where the CPU gains from it).
        let sum = FloatSum::for_input(d);
        let describe = Describe::for_input(d);
        let want = pool.sum_float(d).to_bits();
        assert_eq!(closure_path(pool, &sum, d).to_bits(), want);
        assert_eq!(pool.run(&UserSum, d).unwrap().to_bits(), want);
        assert_eq!(closure_path(pool, &describe, d), pool.stats(d));
        let names = [
            "`sum_float` (framework: `FloatSum` by `run_with`)",
            "`FloatSum` by the closure path (`reduce_with`)",
            "user kernel `UserSum` by `Pool::run`",
            "`stats` (framework: `Describe` by `run_with`)",
            "`Describe` by the closure path (`reduce_with`)",
        ];
        let mut variants: Vec<Variant<'_>> = vec![
            back_to_back(|| {
                black_box(pool.sum_float(black_box(d)));
            }),
            back_to_back(|| {
                black_box(closure_path(pool, &sum, black_box(d)));
            }),
            back_to_back(|| {
                black_box(pool.run(&UserSum, black_box(d)).unwrap());
            }),
            back_to_back(|| {
                black_box(pool.stats(black_box(d)));
            }),
            back_to_back(|| {
                black_box(closure_path(pool, &describe, black_box(d)));
            }),
        ];
        let reps = if n == BIG { BIG_REPS } else { REPS };
        let samples = report::measure_samples(&mut variants, reps, REP_TARGET);
        drop(variants);
        let s: Vec<_> = samples.iter().cloned().map(report::stats).collect();
        // Time ratios of paired rounds: a burst of load hits both variants of a round alike.
        let ratio = |a: usize, b: usize| report::paired_ratio(&samples[a], &samples[b]);
        // Each row against the closure path of its own kernel (the user kernel against the sum's).
        let reference = [1, 1, 1, 4, 4];
        for ((name, x), r) in names.iter().zip(&s).zip(reference) {
            println!(
                "| {} | {name} | {} | {}–{} | {:.2} | ×{:.3} |",
                size_label(n),
                fmt_time(x.median),
                fmt_time(x.min),
                fmt_time(x.max),
                (n * 8) as f64 / x.median,
                s[r].median / x.median,
            );
        }
        let (sum_ratio, stats_ratio, user_ratio) = (ratio(0, 1), ratio(3, 4), ratio(2, 0));
        verdicts.push(format!(
            "- {}: `sum_float` time ×{sum_ratio:.3} of the closure path's (target ≤ 1.03: {}); \
             `stats` ×{stats_ratio:.3} (target ≤ 1.03: {}); the user kernel ×{user_ratio:.3} of \
             `sum_float`'s time (target ≤ 1.10: {})",
            size_label(n),
            verdict(sum_ratio <= 1.03),
            verdict(stats_ratio <= 1.03),
            verdict(user_ratio <= 1.10),
        ));
    }
    println!();
    println!(
        "Targets (time ratios: the median over the rounds of one variant's time over the other's \
         in the same round):"
    );
    println!();
    for v in verdicts {
        println!("{v}");
    }
    println!();
}
