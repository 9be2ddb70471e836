//! `suite`: the kernels of the kernel suite over 1 GiB of `f64` on 2 participants, against the
//! read-bandwidth loop and against what a Rust user would write with rayon (docs/performance.md,
//! "Kernel suite"):
//!
//! ```sh
//! cargo bench --bench tables -- suite        # about two minutes
//! ```
//!
//! Rows: the bandwidth loop (`common/bandwidth.rs`); `stats` (the reference one-read kernel);
//! `Moments` (mean to excess kurtosis); `MinMax` (extremes with positions); `histogram` of 100 bins
//! over a given range (one read); `quantiles` of three quartiles (three reads: extremes, a
//! histogram, a collection; more on clustered data); `describe`'s calls (`stats`, `Moments`,
//! `quantiles_given`: four reads or more); `ExactMoments` (exact `Σx` and `Σx²`, target ×0.5 of the
//! bandwidth loop) beside the exact sum it builds on. Beside each, rayon as a user writes it: a `par_iter`
//! fold of the power sums, of the extremes with their index, of per-thread bin counts (`par_chunks`), and for quantiles a sorted
//! copy (`par_sort_unstable_by(total_cmp)`, the copy inside the timing). Results are compared
//! before timing (counts and extremes equal; moments within 1e-9; quantiles equal).
//!
//! numpy's single calls that do the same (`np.var`, `np.argmax`, `np.histogram`, `np.quantile`,
//! `np.dot`, and pandas' `describe()` when pandas is installed) run first, in a Python child over
//! the same values (`numpy_suite.py`, [`NUMPY_REPS`] calls each); their results are checked
//! against shmkern's (positions, counts and quartiles equal, variance and dot product to 1e-9) and
//! their times printed beside shmkern's in a last table. Without `python3` or numpy the table is
//! left out, and the output says so.
//!
//! A second table: the two-column kernels (`Dot` fast and compensated, `ExactDot`, `Covariance`)
//! over the buffer's two halves as two columns, against the two-stream bandwidth loop over the same
//! bytes (the target for `Dot` is ×0.9 of it) and rayon's `par_iter().zip()` dot product.
//!
//! Ratios: ×bandwidth = the bandwidth loop's time / the kernel's (≥ 0.9 is the target for the
//! one-read kernels), and `reads (time)` = the kernel's time / the bandwidth loop's (what it costs
//! in reads of the data; `describe` must stay ≤ 4), beside `reads (data)`, the passes it made over
//! the data (counted by the progress counter); ×rayon = rayon's time / shmkern's. Medians of
//! [`REPS`] single calls, the variants of a round run back to back in a rotating order.

use crate::common::bandwidth::{bandwidth, bandwidth2};
use crate::common::buffer::{f64_value, Buffer, BYTES};
use crate::common::report::{self, back_to_back as once, fmt_time, Stats, Variant};
use crate::numpy::{self, Call};
use rayon::prelude::*;
use shmkern::kernels::{Accuracy, Covariance, Dot, ExactDot, ExactMoments, Isa, MinMax, Moments};
use shmkern::{ParOptions, Pool};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Single calls per variant; the median is reported.
const REPS: usize = 7;
/// Single calls of each numpy function (a quantile call takes seconds).
const NUMPY_REPS: usize = 3;
/// Participants of every variant.
const THREADS: usize = 2;
/// The quartiles `describe` and the quantile rows ask for.
const QUARTILES: [f64; 3] = [0.25, 0.5, 0.75];
/// Bins of the histogram rows, over [`RANGE`].
const BINS: usize = 100;
const RANGE: (f64, f64) = (-1.0, 1.0);

/// The power sums `(n, Σx, Σx², Σx³, Σx⁴)` as a rayon user folds them (about zero: no shift).
fn rayon_moments(x: &[f64]) -> (f64, f64, f64, f64) {
    let (n, s1, s2, s3, s4) = x
        .par_iter()
        .fold(
            || (0u64, 0.0, 0.0, 0.0, 0.0),
            |(n, a, b, c, d), &v| {
                let v2 = v * v;
                (n + 1, a + v, b + v2, c + v2 * v, d + v2 * v2)
            },
        )
        .reduce(
            || (0, 0.0, 0.0, 0.0, 0.0),
            |x, y| (x.0 + y.0, x.1 + y.1, x.2 + y.2, x.3 + y.3, x.4 + y.4),
        );
    let n = n as f64;
    let mean = s1 / n;
    let var = s2 / n - mean * mean;
    let m3 = s3 / n - 3.0 * mean * s2 / n + 2.0 * mean.powi(3);
    let m4 = s4 / n - 4.0 * mean * s3 / n + 6.0 * mean * mean * s2 / n - 3.0 * mean.powi(4);
    (mean, var, m3 / var.powf(1.5), m4 / (var * var) - 3.0)
}

/// The first smallest and largest values with their indices, as a rayon user reduces them.
fn rayon_minmax(x: &[f64]) -> ((f64, usize), (f64, usize)) {
    x.par_iter()
        .enumerate()
        .fold(
            || ((f64::INFINITY, usize::MAX), (f64::NEG_INFINITY, usize::MAX)),
            |(lo, hi), (i, &v)| {
                (
                    if v < lo.0 { (v, i) } else { lo },
                    if v > hi.0 { (v, i) } else { hi },
                )
            },
        )
        .reduce(
            || ((f64::INFINITY, usize::MAX), (f64::NEG_INFINITY, usize::MAX)),
            |a, b| {
                let lo = if b.0 .0 < a.0 .0 || (b.0 .0 == a.0 .0 && b.0 .1 < a.0 .1) {
                    b.0
                } else {
                    a.0
                };
                let hi = if b.1 .0 > a.1 .0 || (b.1 .0 == a.1 .0 && b.1 .1 < a.1 .1) {
                    b.1
                } else {
                    a.1
                };
                (lo, hi)
            },
        )
}

/// Bin counts over [`RANGE`] as a rayon user writes them: per-thread vectors added at the end.
fn rayon_histogram(x: &[f64]) -> Vec<u64> {
    let (lo, hi) = RANGE;
    let scale = BINS as f64 / (hi - lo);
    x.par_chunks(1 << 16)
        .fold(
            || vec![0u64; BINS],
            |mut h, c| {
                for &v in c {
                    if (lo..=hi).contains(&v) {
                        h[(((v - lo) * scale) as usize).min(BINS - 1)] += 1;
                    }
                }
                h
            },
        )
        .reduce(
            || vec![0u64; BINS],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// Quartiles by a sorted copy, numpy's linear method.
fn rayon_quantiles(x: &[f64]) -> Vec<f64> {
    let mut v = x.to_vec();
    v.par_sort_unstable_by(f64::total_cmp);
    QUARTILES
        .iter()
        .map(|&q| {
            let h = (v.len() - 1) as f64 * q;
            let (i, t) = (h.floor() as usize, h - h.floor());
            let (a, b) = (v[i], v[(i + 1).min(v.len() - 1)]);
            if t >= 0.5 {
                b - (b - a) * (1.0 - t)
            } else {
                a + (b - a) * t
            }
        })
        .collect()
}

pub fn run() {
    let started = Instant::now();
    let isa = Isa::detect();
    report::print_header(
        &report::machine(),
        &format!(
            "median of {REPS} single calls, the variants of a round back to back in a rotating \
             order; pools of {THREADS} threads (shmkern and rayon) built once; data: one 1 GiB \
             anonymous mapping of f64 (every page written before timing); bandwidth loop on {isa:?}"
        ),
    );
    // numpy first, in its own process, before this one maps its gigabyte.
    let (calls, version) = match numpy::run(BYTES / 8, NUMPY_REPS) {
        Ok(found) => found,
        Err(why) => {
            println!("!!! numpy's calls left out: {why}");
            (Vec::new(), String::new())
        }
    };
    let mut buf = Buffer::new(false);
    buf.fill(THREADS, f64_value);
    let pool = Pool::builder().threads(THREADS).build().expect("pool");
    let ray = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");
    let (mut ours, mut dot) = (Vec::new(), Vec::new());
    let on = On {
        buf: &buf,
        pool: &pool,
        ray: &ray,
        isa,
        calls: &calls,
    };
    report::section(|| ours = table(on));
    report::section(|| dot = pairs_table(on));
    if !calls.is_empty() {
        numpy::print_table(
            &calls,
            &version,
            THREADS,
            &[
                ("np.var", "`stats`", ours[1].median),
                ("np.argmax", "`MinMax`", ours[4].median),
                ("np.histogram", "`histogram`", ours[6].median),
                ("np.quantile", "`quantiles`", ours[8].median),
                ("pandas describe", "`describe`'s calls", ours[10].median),
                ("np.dot", "`Dot`", dot[1].median),
            ],
        );
    }
    report::print_total(started);
}

/// Checks numpy's result of `name`, when it made that call, with `same`.
fn check_numpy(calls: &[Call], name: &str, same: impl Fn(&str) -> bool) {
    if let Some(c) = numpy::find(calls, name) {
        assert!(
            same(&c.result),
            "{name} gave {}, shmkern otherwise",
            c.result
        );
    }
}

/// numpy's floats, as its script printed them (shortest round-trip `repr`s, so exact).
fn floats(s: &str) -> Vec<f64> {
    s.split(',').map(|v| v.parse().expect("a float")).collect()
}

/// What each table of the suite runs on: the data, the two pools, the bandwidth loop's ISA and
/// numpy's calls (empty without numpy).
#[derive(Clone, Copy)]
struct On<'a> {
    buf: &'a Buffer,
    pool: &'a Pool,
    ray: &'a rayon::ThreadPool,
    isa: Isa,
    calls: &'a [Call],
}

fn table(on: On<'_>) -> Vec<Stats> {
    let (buf, pool, ray, isa, calls) = (on.buf, on.pool, on.ray, on.isa, on.calls);
    let x = buf.view::<f64>();
    let w = buf.view::<u64>();
    let opts = ParOptions::default();
    // Results first, compared with rayon's.
    let m = pool.run(&Moments::new(), x).unwrap();
    let (mean, var, skew, kurt) = ray.install(|| rayon_moments(x));
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    assert!(close(m.mean().unwrap(), mean) && close(m.variance(0).unwrap(), var));
    assert!(close(m.skewness().unwrap(), skew) && close(m.kurtosis().unwrap(), kurt));
    let pm = pool.run(&ExactMoments::new(), x).unwrap();
    assert!(close(pm.mean().unwrap(), mean) && close(pm.variance(0).unwrap(), var));
    let e = pool.run(&MinMax::new(), x).unwrap();
    assert_eq!(
        (e.min().unwrap(), e.max().unwrap()),
        ray.install(|| rayon_minmax(x))
    );
    let h = pool.histogram(x, BINS, Some(RANGE)).unwrap();
    let rh = ray.install(|| rayon_histogram(x));
    assert_eq!(h.counts.iter().sum::<u64>(), rh.iter().sum::<u64>());
    // How many reads the quantile call and describe's make (the progress counter counts every
    // pass's elements).
    let done = std::sync::atomic::AtomicU64::new(0);
    let counted = ParOptions {
        progress: Some(&done),
        ..ParOptions::default()
    };
    let q = pool.quantiles_with(x, &QUARTILES, counted).unwrap();
    let quantile_reads = done.swap(0, std::sync::atomic::Ordering::Relaxed) / x.len() as u64;
    let s = pool.stats_with(x, counted).unwrap();
    let _ = pool.run_with(&Moments::new(), x, counted).unwrap();
    let _ = pool.quantiles_given(x, &QUARTILES, &s, counted).unwrap();
    let describe_reads = done.into_inner() / x.len() as u64;
    let rq = ray.install(|| rayon_quantiles(x));
    assert_eq!(q, rq.iter().map(|&v| Some(v)).collect::<Vec<_>>());
    // numpy's single calls did the same: the same extremes' position, counts and quartiles (bit
    // for bit), the variance to 1e-9.
    let quartile_bits = |r: &str| {
        let theirs: Vec<u64> = floats(r).iter().map(|v| v.to_bits()).collect();
        theirs == q.iter().map(|v| v.unwrap().to_bits()).collect::<Vec<_>>()
    };
    check_numpy(calls, "np.var", |r| {
        close(floats(r)[0], m.variance(0).unwrap())
    });
    check_numpy(calls, "np.argmax", |r| r.parse() == Ok(e.max().unwrap().1));
    check_numpy(calls, "np.histogram", |r| {
        r.split(',')
            .map(|c| c.parse::<u64>().unwrap())
            .eq(h.counts.iter().copied())
    });
    check_numpy(calls, "np.quantile", quartile_bits);
    check_numpy(calls, "pandas describe", quartile_bits);

    let rows: Vec<(&str, u64)> = vec![
        ("two-thread read-bandwidth loop (`u64` XOR)", 1),
        ("`stats`", 1),
        ("`Moments` (mean, variance, skewness, kurtosis)", 1),
        ("rayon: `par_iter` fold of the power sums", 1),
        ("`MinMax` (extremes with first positions)", 1),
        ("rayon: `par_iter().enumerate()` fold of the extremes", 1),
        ("`histogram`, 100 bins, given range", 1),
        ("rayon: `par_chunks` fold of bin counts", 1),
        ("`quantiles` (3 quartiles)", quantile_reads),
        ("rayon: `to_vec` + `par_sort_unstable_by` + index", 0),
        (
            "`describe`'s calls (`stats`, `Moments`, `quantiles_given`)",
            describe_reads,
        ),
        ("`ExactMoments` (exact Σx and Σx², order-free merge)", 1),
        ("`sum_float_at(Exact)` (the exact sum, for reference)", 1),
    ];
    let mut variants: Vec<Variant<'_>> = vec![
        once(|| {
            black_box(bandwidth(pool, isa, black_box(w)));
        }),
        once(|| {
            black_box(pool.stats(black_box(x)));
        }),
        once(|| {
            black_box(pool.run(&Moments::new(), black_box(x)).unwrap());
        }),
        once(|| {
            black_box(ray.install(|| rayon_moments(black_box(x))));
        }),
        once(|| {
            black_box(pool.run(&MinMax::new(), black_box(x)).unwrap());
        }),
        once(|| {
            black_box(ray.install(|| rayon_minmax(black_box(x))));
        }),
        once(|| {
            black_box(pool.histogram(black_box(x), BINS, Some(RANGE)).unwrap());
        }),
        once(|| {
            black_box(ray.install(|| rayon_histogram(black_box(x))));
        }),
        once(|| {
            black_box(pool.quantiles(black_box(x), &QUARTILES).unwrap());
        }),
        once(|| {
            black_box(ray.install(|| rayon_quantiles(black_box(x))));
        }),
        once(|| {
            let s = pool.stats_with(x, opts).unwrap();
            let m = pool.run_with(&Moments::new(), x, opts).unwrap();
            black_box((m, pool.quantiles_given(x, &QUARTILES, &s, opts).unwrap()));
        }),
        once(|| {
            black_box(pool.run(&ExactMoments::new(), black_box(x)).unwrap());
        }),
        once(|| {
            black_box(pool.sum_float_at(black_box(x), Accuracy::Exact));
        }),
    ];
    let s = report::measure(&mut variants, REPS, Duration::ZERO);
    drop(variants);
    let bw = s[0].median;
    println!(
        "### Kernel suite, 128 Mi f64 (1 GiB), {THREADS} threads (×bandwidth: bandwidth-loop time / \
         time; reads: time / bandwidth-loop time; ×rayon: rayon's time / shmkern's)"
    );
    println!();
    println!("| variant | time (median) | min–max | GB/s | ×bandwidth | reads (time) | reads (data) | ×rayon |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    // The rayon row each shmkern row is compared with.
    let rayon_of = |i: usize| match i {
        2 => Some(3),
        4 => Some(5),
        6 => Some(7),
        8 => Some(9),
        _ => None,
    };
    for (i, ((name, reads), x)) in rows.iter().zip(&s).enumerate() {
        let vs = rayon_of(i).map_or("".to_owned(), |r| format!("×{:.2}", s[r].median / x.median));
        let reads = if *reads == 0 {
            "–".to_owned()
        } else {
            reads.to_string()
        };
        println!(
            "| {name} | {} | {}–{} | {:.2} | ×{:.3} | {:.2} | {reads} | {vs} |",
            fmt_time(x.median),
            fmt_time(x.min),
            fmt_time(x.max),
            (1usize << 30) as f64 / x.median,
            bw / x.median,
            x.median / bw,
        );
    }
    println!();
    let verdict = |ok: bool| if ok { "holds" } else { "does NOT hold" };
    println!("Targets, from the medians above:");
    println!();
    for (i, name) in [(2, "`Moments`"), (4, "`MinMax`"), (6, "`histogram`")] {
        let r = bw / s[i].median;
        println!(
            "- {name}: ×{r:.3} of the bandwidth loop's speed (target ≥ 0.9: {})",
            verdict(r >= 0.9)
        );
    }
    let r = bw / s[11].median;
    println!(
        "- `ExactMoments`: ×{r:.3} of the bandwidth loop's speed (target ≥ 0.5: {}); the exact sum \
         ×{:.3}",
        verdict(r >= 0.5),
        bw / s[12].median
    );
    let d = s[10].median / bw;
    println!(
        "- `describe`: {d:.2} reads' time (target ≤ 4: {})",
        verdict(d <= 4.0)
    );
    println!();
    s
}

/// `Σ x·y` as a rayon user writes it.
fn rayon_dot(x: &[f64], y: &[f64]) -> f64 {
    x.par_iter().zip(y).map(|(a, b)| a * b).sum()
}

/// The two-column kernels over the two halves of the buffer (64 Mi rows of two `f64` columns),
/// against the two-stream bandwidth loop over the same bytes and rayon's dot product.
fn pairs_table(on: On<'_>) -> Vec<Stats> {
    let (buf, pool, ray, isa, calls) = (on.buf, on.pool, on.ray, on.isa, on.calls);
    let all = buf.view::<f64>();
    let (x, y) = all.split_at(all.len() / 2);
    let words = buf.view::<u64>();
    let (wx, wy) = words.split_at(words.len() / 2);
    let fast = pool.run(&Dot::new(), (x, y)).unwrap();
    let exact = pool.run(&ExactDot::new(), (x, y)).unwrap();
    let theirs = ray.install(|| rayon_dot(x, y));
    assert!(
        (fast - exact).abs() <= 1e-9 * exact.abs() && (theirs - exact).abs() <= 1e-9 * exact.abs()
    );
    check_numpy(calls, "np.dot", |r| {
        (floats(r)[0] - exact).abs() <= 1e-9 * exact.abs()
    });
    let names = [
        "two-thread two-stream read-bandwidth loop (`u64` XOR)",
        "`Dot` (fast)",
        "`Dot::compensated`",
        "`ExactDot` (exact, rounded once)",
        "`Covariance` (means, covariance, correlation)",
        "rayon: `par_iter().zip().map().sum()`",
    ];
    let mut variants: Vec<Variant<'_>> = vec![
        once(|| {
            black_box(bandwidth2(pool, isa, black_box(wx), black_box(wy)));
        }),
        once(|| {
            black_box(pool.run(&Dot::new(), (black_box(x), black_box(y))).unwrap());
        }),
        once(|| {
            black_box(
                pool.run(&Dot::compensated(), (black_box(x), black_box(y)))
                    .unwrap(),
            );
        }),
        once(|| {
            black_box(
                pool.run(&ExactDot::new(), (black_box(x), black_box(y)))
                    .unwrap(),
            );
        }),
        once(|| {
            black_box(
                pool.run(&Covariance::new(), (black_box(x), black_box(y)))
                    .unwrap(),
            );
        }),
        once(|| {
            black_box(ray.install(|| rayon_dot(black_box(x), black_box(y))));
        }),
    ];
    let s = report::measure(&mut variants, REPS, Duration::ZERO);
    drop(variants);
    let bw = s[0].median;
    println!(
        "### Two columns, 64 Mi rows of two f64 columns (1 GiB), {THREADS} threads (×bandwidth: \
         two-stream bandwidth-loop time / time; ×rayon: rayon's time / shmkern's)"
    );
    println!();
    println!("| variant | time (median) | min–max | GB/s | ×bandwidth | ×rayon |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (i, (name, v)) in names.iter().zip(&s).enumerate() {
        let vs = if (1..5).contains(&i) {
            format!("×{:.2}", s[5].median / v.median)
        } else {
            String::new()
        };
        println!(
            "| {name} | {} | {}–{} | {:.2} | ×{:.3} | {vs} |",
            fmt_time(v.median),
            fmt_time(v.min),
            fmt_time(v.max),
            (1usize << 30) as f64 / v.median,
            bw / v.median,
        );
    }
    println!();
    let r = bw / s[1].median;
    println!(
        "- `Dot`: ×{r:.3} of the two-stream bandwidth loop's speed (target ≥ 0.9: {})",
        if r >= 0.9 { "holds" } else { "does NOT hold" }
    );
    println!();
    s
}
