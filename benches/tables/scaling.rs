//! `scaling`: how the kernels scale with the thread count, and the two per-CPU choices measured
//! on every machine, as markdown tables (docs/performance.md, "Scaling"):
//!
//! ```sh
//! cargo bench --bench tables -- scaling                               # under a minute on 2 cores
//! SHMKERN_BENCH_THREADS=1,4,16 cargo bench --bench tables -- scaling  # other thread counts
//! ```
//!
//! Pools of 1, 2, 4, 8, 12 and 16 participants (those the machine has cores for, and its own core
//! count; `SHMKERN_BENCH_THREADS` replaces the list):
//!
//! - **(a) 1 GiB of f64** (128 Mi elements): `Pool::sum_float`, `Pool::stats`, rayon
//!   `par_iter().sum()` on a rayon pool of as many threads, and the read-bandwidth loop
//!   (`common/bandwidth.rs`: each participant of the pool XOR-folds its share of the same memory
//!   as `u64`) on the same pool: GB/s, speed-up against one participant, and ratios.
//! - **(b) 1 Mi f64** (8 MiB, cache-resident on a large last-level cache): the same variants, time
//!   per call: what a pool's fork and join cost as it grows.
//! - **(c) 1 GiB of i64 and of f32**: `sum_int` / `stats` of `i64` and `sum_float` / `stats` of
//!   `f32` next to the bandwidth loop over the same bytes.
//! - **(d) software prefetch**: the sums and `stats` of 1 GiB of f64, i64 and f32 on pools built
//!   with `Prefetch::Off` and with `Prefetch::AllPasses`, one participant and all cores, side by
//!   side: the measurement behind `Prefetch::detect`'s choice for this CPU (`F64Sum` is
//!   `AllPasses` for the f64 sum and `Off` for the rest).
//! - **(e) streaming kernels by input size**: the f64 sum and `stats`, the f32 sum and the i64 sum
//!   over 2 MiB to 1 GiB, on pools that take the cache-resident kernels at every size
//!   (`stream_bytes(usize::MAX)`) and pools that take the streaming ones (`stream_bytes(0)`, with
//!   this CPU's `Prefetch::detect()`), one participant and all cores: the measurement behind
//!   `kernels::stream_bytes()`'s threshold, the CPU's last-level cache.
//!
//! Every result is checked bit for bit against the one-participant result (and `sum_float` against
//! the sequential 16-lane loop): the binary panics if any thread count gives other bits.
//!
//! Measurement as in the `kernels` table: the 1 GiB buffer of `common/buffer.rs`, written in full
//! (by as many threads as the machine has cores) before any timing; pools built once per thread
//! count and called from the main thread (the shmkern caller is participant 0, rayon's caller
//! blocks in `install`); per thread count, the variants run interleaved in rotating order, and
//! each number is the median over [`BIG_REPS`] single calls (1 GiB) or [`REPS`] repetitions of
//! about [`REP_TARGET`] (1 Mi).

use crate::common::bandwidth::bandwidth;
use crate::common::buffer::{f64_value, i64_value, Buffer, BYTES};
use crate::common::report::{self, back_to_back, fmt_time, section, Variant};
use rayon::prelude::*;
use shmkern::kernels::{sequential_sum, Isa, Prefetch};
use shmkern::Pool;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Repetitions per variant at 1 Mi elements; the median is reported.
const REPS: usize = 11;
/// Single calls per variant at 1 GiB; the median is reported.
const BIG_REPS: usize = 7;
/// Target measured time of one repetition at 1 Mi elements.
const REP_TARGET: Duration = Duration::from_millis(30);
/// Elements of table (b).
const MID: usize = 1 << 20;
/// Input sizes of table (e), in bytes: from inside a large L2 to well past a large last-level cache.
const STREAM_SIZES: [usize; 5] = [2 << 20, 8 << 20, 32 << 20, 128 << 20, BYTES];
/// Thread counts tried, where the machine has the cores.
const THREADS: [usize; 6] = [1, 2, 4, 8, 12, 16];

/// The thread counts to measure: `SHMKERN_BENCH_THREADS`, or [`THREADS`] up to the core count
/// and the core count itself.
fn thread_counts(cores: usize) -> Vec<usize> {
    if let Ok(list) = std::env::var("SHMKERN_BENCH_THREADS") {
        return list
            .split(',')
            .map(|t| {
                t.trim()
                    .parse()
                    .expect("SHMKERN_BENCH_THREADS: numbers, commas")
            })
            .collect();
    }
    let mut v: Vec<usize> = THREADS.into_iter().filter(|&t| t <= cores).collect();
    if !v.contains(&cores) {
        v.push(cores);
    }
    v
}

/// A pool of each thread count, and a rayon pool of as many threads.
struct Pools {
    /// Threads that write the buffer: the machine's cores.
    fill_threads: usize,
    shm: Vec<Pool>,
    ray: Vec<rayon::ThreadPool>,
}

impl Pools {
    fn new(counts: &[usize], fill_threads: usize) -> Pools {
        Pools {
            fill_threads,
            shm: counts
                .iter()
                .map(|&t| Pool::builder().threads(t).build().expect("pool"))
                .collect(),
            ray: counts
                .iter()
                .map(|&t| {
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(t)
                        .build()
                        .expect("rayon pool")
                })
                .collect(),
        }
    }
}

fn gbs(bytes: usize, ns: f64) -> f64 {
    bytes as f64 / ns
}

/// The bytes of a `Stats`, to compare results bit for bit.
fn bits<T: bytemuck::Pod>(x: &T) -> Vec<u8> {
    bytemuck::bytes_of(x).to_vec()
}

/// (a) and (b): f64 sum and stats over the first `n` elements, per thread count.
fn f64_table(buf: &Buffer, pools: &Pools, isa: Isa, n: usize) {
    let d = &buf.view::<f64>()[..n];
    let w = &buf.view::<u64>()[..n];
    let big = n * 8 == BYTES;
    println!(
        "### ({}) f64, {} ({}): GB/s read, speed-up against 1 participant, ratios",
        if big { "a" } else { "b" },
        if big {
            "128 Mi elements"
        } else {
            "1 Mi elements"
        },
        if big { "1 GiB" } else { "8 MiB" }
    );
    println!();
    println!(
        "| threads | bandwidth loop | `sum_float` | `stats` | rayon `par_iter().sum()` | `sum_float` time | \
         `sum_float` speed-up | `sum_float` ×bandwidth | `stats` ×bandwidth | `sum_float` ×rayon |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let seq = sequential_sum(d);
    let one_stats = bits(&pools.shm[0].stats(d));
    let mut first_sum = None;
    for (shm, ray) in pools.shm.iter().zip(&pools.ray) {
        let t = shm.threads();
        assert_eq!(
            shm.sum_float(d).to_bits(),
            seq.to_bits(),
            "sum_float at {t} threads"
        );
        assert_eq!(bits(&shm.stats(d)), one_stats, "stats at {t} threads");
        let mut variants: Vec<Variant<'_>> = vec![
            back_to_back(|| {
                black_box(bandwidth(shm, isa, black_box(w)));
            }),
            back_to_back(|| {
                black_box(shm.sum_float(black_box(d)));
            }),
            back_to_back(|| {
                black_box(shm.stats(black_box(d)));
            }),
            back_to_back(|| {
                black_box(ray.install(|| black_box(d).par_iter().sum::<f64>()));
            }),
        ];
        let s = medians(&mut variants, big);
        let (bw, sf, st, ry) = (s[0], s[1], s[2], s[3]);
        let base = *first_sum.get_or_insert(sf);
        println!(
            "| {t} | {:.1} | {:.1} | {:.1} | {:.1} | {} | ×{:.2} | ×{:.3} | ×{:.3} | ×{:.2} |",
            gbs(n * 8, bw),
            gbs(n * 8, sf),
            gbs(n * 8, st),
            gbs(n * 8, ry),
            fmt_time(sf),
            base / sf,
            bw / sf,
            bw / st,
            ry / sf
        );
    }
    println!();
    println!(
        "Every thread count gave the same bits: `sum_float` = the sequential 16-lane loop, \
         `stats` = the 1-participant `stats`."
    );
    println!();
}

/// (c) 1 GiB of `T` (the buffer filled with `value`): `sum` and `stats` next to the bandwidth loop
/// over the same bytes, per thread count; each result compared, as bytes, with 1 participant's.
fn type_table<T: bytemuck::Pod + Send + Sync, S: bytemuck::Pod, St: bytemuck::Pod>(
    buf: &mut Buffer,
    pools: &Pools,
    isa: Isa,
    value: impl Fn(usize) -> T + Sync,
    sum: impl Fn(&Pool, &[T]) -> S,
    stats: impl Fn(&Pool, &[T]) -> St,
) {
    buf.fill(pools.fill_threads, value);
    let d = buf.view::<T>();
    let w = buf.view::<u64>();
    let (one_sum, one_stats) = (bits(&sum(&pools.shm[0], d)), bits(&stats(&pools.shm[0], d)));
    for shm in &pools.shm {
        let t = shm.threads();
        assert_eq!(bits(&sum(shm, d)), one_sum, "sum at {t} threads");
        assert_eq!(bits(&stats(shm, d)), one_stats, "stats at {t} threads");
        let mut variants: Vec<Variant<'_>> = vec![
            back_to_back(|| {
                black_box(bandwidth(shm, isa, black_box(w)));
            }),
            back_to_back(|| {
                black_box(sum(shm, black_box(d)));
            }),
            back_to_back(|| {
                black_box(stats(shm, black_box(d)));
            }),
        ];
        let s = measure_single(&mut variants);
        println!(
            "| `{}` | {t} | {:.1} | {:.1} | {:.1} | ×{:.3} | ×{:.3} |",
            std::any::type_name::<T>(),
            gbs(BYTES, s[0]),
            gbs(BYTES, s[1]),
            gbs(BYTES, s[2]),
            s[0] / s[1],
            s[0] / s[2]
        );
    }
}

/// (c) 1 GiB of i64 and of f32.
fn other_types_table(buf: &mut Buffer, pools: &Pools, isa: Isa) {
    println!(
        "### (c) 1 GiB of i64 (128 Mi elements, sum exact in i128) and of f32 (256 Mi): GB/s read, \
         ratios to the bandwidth loop measured with them"
    );
    println!();
    println!(
        "| type | threads | bandwidth loop | sum | `stats` | sum ×bandwidth | `stats` ×bandwidth |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    type_table(
        buf,
        pools,
        isa,
        i64_value,
        |p, d| p.sum_int(d),
        |p, d| p.stats(d),
    );
    type_table(
        buf,
        pools,
        isa,
        |i| f64_value(i) as f32,
        |p, d| p.sum_float(d),
        |p, d| p.stats(d),
    );
    println!();
    println!(
        "Every thread count gave the same bits as 1 participant (sums and `stats`, both types)."
    );
    println!();
}

/// One type's rows of table (d): per thread count, its sum and `stats` on a pool without and
/// with software prefetch, next to the bandwidth loop, all interleaved; results compared bit for
/// bit across the two pools.
fn prefetch_rows<T: bytemuck::Pod + Send + Sync, S: bytemuck::Pod, St: bytemuck::Pod>(
    buf: &mut Buffer,
    pools: &[[Pool; 2]],
    isa: Isa,
    value: impl Fn(usize) -> T + Sync,
    sum: impl Fn(&Pool, &[T]) -> S,
    stats: impl Fn(&Pool, &[T]) -> St,
) {
    buf.fill(pools.last().map_or(1, |p| p[0].threads()), value);
    let d = buf.view::<T>();
    let w = buf.view::<u64>();
    for [off, on] in pools {
        let t = off.threads();
        assert_eq!(bits(&sum(off, d)), bits(&sum(on, d)), "sum at {t} threads");
        assert_eq!(
            bits(&stats(off, d)),
            bits(&stats(on, d)),
            "stats at {t} threads"
        );
        let mut variants: Vec<Variant<'_>> = vec![
            back_to_back(|| {
                black_box(bandwidth(off, isa, black_box(w)));
            }),
            back_to_back(|| {
                black_box(sum(off, black_box(d)));
            }),
            back_to_back(|| {
                black_box(sum(on, black_box(d)));
            }),
            back_to_back(|| {
                black_box(stats(off, black_box(d)));
            }),
            back_to_back(|| {
                black_box(stats(on, black_box(d)));
            }),
        ];
        let s = measure_single(&mut variants);
        let g = |ns: f64| gbs(BYTES, ns);
        println!(
            "| `{}` | {t} | {:.1} | {:.1} | {:.1} | ×{:.2} | {:.1} | {:.1} | ×{:.2} |",
            std::any::type_name::<T>(),
            g(s[0]),
            g(s[1]),
            g(s[2]),
            s[1] / s[2],
            g(s[3]),
            g(s[4]),
            s[3] / s[4]
        );
    }
}

/// (d) Sums and `stats` of 1 GiB of f64, i64 and f32 without and with software prefetch, on one
/// participant and on all cores.
fn prefetch_table(buf: &mut Buffer, cores: usize, isa: Isa) {
    println!(
        "### (d) Software prefetch: 1 GiB of each type, GB/s read without (`Prefetch::Off`) and \
         with (`Prefetch::AllPasses`) it, ratio with/without (speed)"
    );
    println!();
    println!(
        "| type | threads | bandwidth loop | sum, off | sum, prefetch | sum ×prefetch | \
         `stats`, off | `stats`, prefetch | `stats` ×prefetch |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let pools = pool_pairs(cores, |t, i| {
        let p = [Prefetch::Off, Prefetch::AllPasses][i];
        Pool::builder().threads(t).prefetch(p).build()
    });
    prefetch_rows(
        buf,
        &pools,
        isa,
        f64_value,
        |p, d| p.sum_float(d),
        |p, d| p.stats(d),
    );
    prefetch_rows(
        buf,
        &pools,
        isa,
        i64_value,
        |p, d| p.sum_int(d),
        |p, d| p.stats(d),
    );
    prefetch_rows(
        buf,
        &pools,
        isa,
        |i| f64_value(i) as f32,
        |p, d| p.sum_float(d),
        |p, d| p.stats(d),
    );
    println!();
    println!(
        "Both pools gave the same bits for every sum and `stats`. `Prefetch::detect()` on this \
         CPU: `{:?}` (`F64Sum` prefetches in the f64 sum alone, `FloatPasses` in the float sums \
         and float `stats`).",
        Prefetch::detect()
    );
    println!();
}

/// (e) The cache-resident kernels against the streaming ones at each size of [`STREAM_SIZES`].
fn streaming_table(buf: &mut Buffer, cores: usize) {
    println!(
        "### (e) Streaming kernels by input size: GB/s read on pools that never stream \
         (`stream_bytes(usize::MAX)`) and that always do (`stream_bytes(0)`, prefetch `{:?}`), \
         and the ratio (speed)",
        Prefetch::detect()
    );
    println!();
    println!(
        "| kernel | input | threads | cache-resident kernels | streaming kernels | ×streaming |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let pools = pool_pairs(cores, |t, i| {
        let bytes = [usize::MAX, 0][i];
        Pool::builder().threads(t).stream_bytes(bytes).build()
    });
    buf.fill(cores, f64_value);
    streaming_rows(buf, &pools, "f64 `sum_float`", |p, d: &[f64]| {
        bits(&p.sum_float(d))
    });
    streaming_rows(buf, &pools, "f64 `stats`", |p, d: &[f64]| bits(&p.stats(d)));
    buf.fill(cores, |i| f64_value(i) as f32);
    streaming_rows(buf, &pools, "f32 `sum_float`", |p, d: &[f32]| {
        bits(&p.sum_float(d))
    });
    buf.fill(cores, i64_value);
    streaming_rows(buf, &pools, "i64 `sum_int`", |p, d: &[i64]| {
        bits(&p.sum_int(d))
    });
    println!();
    println!(
        "Both pools gave the same bits at every size. `kernels::stream_bytes()` on this CPU: {} \
         bytes (the default threshold: past the last-level cache, where the CPU reports it).",
        shmkern::kernels::stream_bytes()
    );
    println!();
}

/// The rows of one kernel in table (e): every size, every thread count; `kernel` returns the
/// result's bytes, compared between the two pools.
fn streaming_rows<T: bytemuck::Pod>(
    buf: &Buffer,
    pools: &[[Pool; 2]],
    name: &str,
    kernel: impl Fn(&Pool, &[T]) -> Vec<u8>,
) {
    for bytes in STREAM_SIZES {
        let d = &buf.view::<T>()[..bytes / size_of::<T>()];
        for [cached, streaming] in pools {
            let t = cached.threads();
            assert_eq!(
                kernel(cached, d),
                kernel(streaming, d),
                "{name}, {bytes} bytes, {t} threads"
            );
            let mut variants: Vec<Variant<'_>> = vec![
                back_to_back(|| {
                    black_box(kernel(cached, black_box(d)));
                }),
                back_to_back(|| {
                    black_box(kernel(streaming, black_box(d)));
                }),
            ];
            let s = medians(&mut variants, bytes == BYTES);
            println!(
                "| {name} | {} MiB | {t} | {:.1} | {:.1} | ×{:.2} |",
                bytes >> 20,
                gbs(bytes, s[0]),
                gbs(bytes, s[1]),
                s[0] / s[1]
            );
        }
    }
}

/// For one participant and for all `cores`: the two pools `build(threads, i)` makes for `i` = 0
/// and 1 (tables (d) and (e) compare such a pair).
fn pool_pairs(
    cores: usize,
    build: impl Fn(usize, usize) -> Result<Pool, shmkern::Error>,
) -> Vec<[Pool; 2]> {
    let mut counts = vec![1, cores];
    counts.dedup();
    counts
        .iter()
        .map(|&t| [0, 1].map(|i| build(t, i).expect("pool")))
        .collect()
}

/// The median ns per call of each variant: over single calls for a 1 GiB input (`big`), over
/// repetitions of about [`REP_TARGET`] otherwise.
fn medians(variants: &mut [Variant<'_>], big: bool) -> Vec<f64> {
    if big {
        measure_single(variants)
    } else {
        report::measure(variants, REPS, REP_TARGET)
            .into_iter()
            .map(|s| s.median)
            .collect()
    }
}

/// [`BIG_REPS`] single calls of every variant, interleaved in rotating order, after one warm-up
/// call each (`report::measure` calibrating to a zero target); the median ns per call of each.
fn measure_single(variants: &mut [Variant<'_>]) -> Vec<f64> {
    report::measure(variants, BIG_REPS, Duration::ZERO)
        .into_iter()
        .map(|s| s.median)
        .collect()
}

/// Prints the tables.
pub fn run() {
    let started = Instant::now();
    let isa = Isa::detect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let counts = thread_counts(cores);
    report::print_header(
        &format!(
            "{}, transparent huge pages `{}`",
            report::machine(),
            report::thp_mode()
        ),
        &format!(
            "pools of {counts:?} participants, built once, called from the main thread; median of \
             {BIG_REPS} single calls (1 GiB) or {REPS} repetitions of ~{} ms (1 Mi), variants \
             interleaved; data: one 1 GiB anonymous mapping, every page written before timing; \
             kernels and bandwidth loop on {isa:?}",
            REP_TARGET.as_millis()
        ),
    );
    let mut buf = Buffer::new(false);
    buf.fill(cores, f64_value);
    let pools = Pools::new(&counts, cores);
    section(|| f64_table(&buf, &pools, isa, BYTES / 8));
    section(|| f64_table(&buf, &pools, isa, MID));
    section(|| other_types_table(&mut buf, &pools, isa));
    drop(pools);
    section(|| prefetch_table(&mut buf, cores, isa));
    section(|| streaming_table(&mut buf, cores));
    report::print_total(started);
}
