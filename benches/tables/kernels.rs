//! `kernels`: the sum kernels next to rayon, the sequential loops and a read-bandwidth loop, as
//! markdown tables (docs/performance.md, "Kernels"):
//!
//! ```sh
//! cargo bench --bench tables -- kernels                              # about a minute
//! SHMKERN_BENCH_HUGE_PAGES=1 cargo bench --bench tables -- kernels   # the data on huge pages
//! ```
//!
//! - **(a) f64 sum**, 1,000 / 65,536 / 1 Mi / 128 Mi (1 GiB) elements: `Pool::sum_float`, the
//!   sequential 16-lane loop (`kernels::sequential_sum`, the same tree on one thread), rayon
//!   `par_iter().sum()`, `Pool::stats`, `Pool::sum_float_at` in `Compensated` and `Exact`
//!   accuracy, and a read-bandwidth loop (`common/bandwidth.rs`): the same memory as `u64`, each
//!   of the two participants XOR-folding its half in a loop the compiler vectorizes (compiled for
//!   the best ISA of the CPU, as the kernels are), run with `Pool::broadcast` so no thread is
//!   started inside the timing. Then the targets, checked from the medians. (The naive
//!   `iter().sum()` at these sizes is in the `plot` table, rayon `par_chunks` with the 16-lane
//!   loop in the `anchors` table.)
//! - **(b) chunk kernel per ISA**: one thread, 65,536 elements (two chunks, 512 KiB: L2-resident),
//!   `kernels::chunk_sum_on` for SSE2 (`Isa::Baseline`), AVX2 and AVX-512, on a slice that starts on
//!   a 64-byte line and on one that starts 16 bytes past a line (as a `Vec<f64>` usually does), and
//!   the bits of the results compared; and the read ceiling, an XOR-fold read loop over the same
//!   bytes on the best ISA (on a CPU whose L2 delivers less than SSE2 can add, no ISA gains here).
//! - **(c) i64 sum and stats**, 65,536 (cache-resident), 1 Mi and 128 Mi elements: `Pool::sum_int`
//!   (exact, `i128`) and `Pool::stats` against a naive `iter().map(|&x| x as i128).sum()` and the
//!   bandwidth loop.
//! - **(d) `stats` with a zero minimum**, 65,536 and 1 Mi elements: data from 0.0 to 999.0 against
//!   the same plus 1.0 (the sign of a zero min or max must be settled from the data).
//! - **(e) one chunk of each element type** ([`CHUNK_LEN`] elements, cache-resident, one thread):
//!   `sum_int`/`sum_float` and `stats` per type, the cache-resident kernels that the tables above
//!   (streaming sizes, or `f64` only) do not show.
//!
//! Every parallel variant has 2 participants (pools built once, called from the main thread; the
//! shmkern caller is participant 0, rayon's caller blocks in `install`). The data is the 1 GiB
//! buffer of `common/buffer.rs`, written in full before any timing; smaller sizes use its prefix,
//! and table (c) rewrites it with `i64` values. With `SHMKERN_BENCH_HUGE_PAGES=1` the mapping is
//! advised onto transparent huge pages first.
//!
//! Each number is the median over [`REPS`] repetitions ([`BIG_REPS`] for 1 GiB) of the time per call
//! of one repetition; a repetition runs as many calls as fit in about [`REP_TARGET`] (one call for
//! 1 GiB). The compared variants run in the same loop of repetitions, in an order that rotates every
//! repetition, so drift on a noisy machine hits them alike. After each table the binary prints the
//! CPU time other processes used meanwhile. `cargo bench --bench kernels` times the (a) sum under
//! criterion.

use crate::common::bandwidth::{bandwidth, read_words};
use crate::common::buffer::{f64_value, i64_value, Buffer};
use crate::common::report::{self, back_to_back, fmt_n, fmt_time, section, Variant};
use rayon::prelude::*;
use shmkern::kernels::{chunk_sum_on, sequential_sum, Accuracy, Isa};
use shmkern::{sched::CHUNK_LEN, Pool};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Repetitions per variant; the median is reported.
const REPS: usize = 15;
/// Repetitions per variant for the 1 GiB size (one call each).
const BIG_REPS: usize = 7;
/// Target measured time of one repetition.
const REP_TARGET: Duration = Duration::from_millis(30);
/// Participants of every parallel variant.
const THREADS: usize = 2;
/// The largest array: 128 Mi `f64` = 1 GiB.
const BIG: usize = 1 << 27;
/// Element counts of the f64 table.
const SIZES: [usize; 4] = [1_000, 65_536, 1 << 20, BIG];
/// Element counts of the i64 table.
const INT_SIZES: [usize; 3] = [65_536, 1 << 20, BIG];
/// Elements of the single-thread ISA table: two chunks.
const ISA_LEN: usize = 2 * CHUNK_LEN;

/// Whether `SHMKERN_BENCH_HUGE_PAGES=1` asks for the buffer on transparent huge pages
/// (`MADV_HUGEPAGE`; the default is the kernel's choice, which under THP `madvise` is 4 KiB pages).
fn huge_pages() -> bool {
    std::env::var("SHMKERN_BENCH_HUGE_PAGES").as_deref() == Ok("1")
}

fn isa_name(isa: Isa) -> &'static str {
    match isa {
        Isa::Baseline => "SSE2 (`Isa::Baseline`)",
        Isa::Avx2 => "AVX2",
        Isa::Avx512 => "AVX-512",
    }
}

/// `n` elements as a size label: "1,000", "65,536", "1 Mi", "128 Mi (1 GiB)".
fn size_label(n: usize) -> String {
    match n {
        _ if n == BIG => "128 Mi (1 GiB)".to_string(),
        _ if n >= 1 << 20 && n.is_multiple_of(1 << 20) => format!("{} Mi", n >> 20),
        _ => fmt_n(n),
    }
}

fn gbs(bytes: usize, ns: f64) -> f64 {
    bytes as f64 / ns
}

fn verdict(holds: bool) -> &'static str {
    if holds {
        "holds"
    } else {
        "does NOT hold"
    }
}

/// Medians (ns) the target lines of table (a) need, by size.
#[derive(Default)]
struct Targets {
    /// (size, sum_float, bandwidth, par_iter, 16-lane, stats)
    rows: Vec<(usize, f64, f64, f64, f64, f64)>,
}

/// (a) f64 sums at every size, next to the bandwidth loop.
fn f64_table(buf: &Buffer, shm: &Pool, ray: &rayon::ThreadPool, isa: Isa) {
    println!(
        "### (a) Sum of f64 ({THREADS} threads; time per call, GB/s read, speed ratios: \
         reference time / variant time, >1 = faster than the reference)"
    );
    println!();
    println!(
        "| elements | variant | time (median) | min–max | GB/s | ×bandwidth loop | ×rayon `par_iter` | ×16-lane loop |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    let mut targets = Targets::default();
    for n in SIZES {
        let d = &buf.view::<f64>()[..n];
        let w = &buf.view::<u64>()[..n];
        let s16 = sequential_sum(d);
        let sf = shm.sum_float(d);
        assert_eq!(
            sf.to_bits(),
            s16.to_bits(),
            "sum_float and sequential_sum differ at {n} elements"
        );
        let names = [
            "two-thread read-bandwidth loop (`u64` XOR)",
            "shmkern `sum_float`",
            "sequential 16-lane loop (`sequential_sum`)",
            "rayon `par_iter().sum()`",
            "shmkern `stats` (count, NaNs, sum, min, max, mean, M2)",
            "shmkern `sum_float_at(Compensated)`",
            "shmkern `sum_float_at(Exact)`",
        ];
        let mut variants: Vec<Variant<'_>> = vec![
            back_to_back(|| {
                black_box(bandwidth(shm, isa, black_box(w)));
            }),
            back_to_back(|| {
                black_box(shm.sum_float(black_box(d)));
            }),
            back_to_back(|| {
                black_box(sequential_sum(black_box(d)));
            }),
            back_to_back(|| {
                black_box(ray.install(|| black_box(d).par_iter().sum::<f64>()));
            }),
            back_to_back(|| {
                black_box(shm.stats(black_box(d)));
            }),
            back_to_back(|| {
                black_box(shm.sum_float_at(black_box(d), Accuracy::Compensated));
            }),
            back_to_back(|| {
                black_box(shm.sum_float_at(black_box(d), Accuracy::Exact));
            }),
        ];
        let reps = if n == BIG { BIG_REPS } else { REPS };
        let s = report::measure(&mut variants, reps, REP_TARGET);
        drop(variants);
        let (bw, par, seq) = (s[0].median, s[3].median, s[2].median);
        for (name, x) in names.iter().zip(&s) {
            println!(
                "| {} | {name} | {} | {}–{} | {:.2} | ×{:.2} | ×{:.2} | ×{:.2} |",
                size_label(n),
                fmt_time(x.median),
                fmt_time(x.min),
                fmt_time(x.max),
                gbs(n * 8, x.median),
                bw / x.median,
                par / x.median,
                seq / x.median
            );
        }
        targets
            .rows
            .push((n, s[1].median, bw, par, seq, s[4].median));
    }
    println!();
    println!("Targets, from the medians above (`sum_float` against the reference):");
    println!();
    for &(n, sf, bw, par, seq, st) in &targets.rows {
        match n {
            BIG => {
                let (a, b) = (bw / sf, par / sf);
                println!(
                    "- 1 GiB: ×{a:.3} of the bandwidth loop's speed (target ≥ 0.95: {}); \
                     ×{b:.2} of rayon `par_iter` (target ≥ 1.5: {})",
                    verdict(a >= 0.95),
                    verdict(b >= 1.5)
                );
                let c = bw / st;
                println!(
                    "- 1 GiB `stats`: ×{c:.3} of the bandwidth loop's speed (target ≥ 0.85: {})",
                    verdict(c >= 0.85)
                );
            }
            1_048_576 => {
                let a = seq / sf;
                println!(
                    "- 1 Mi: ×{a:.2} of the 16-lane loop's speed (target ≥ 1.6: {})",
                    verdict(a >= 1.6)
                );
            }
            65_536 => {
                let a = seq / sf;
                println!(
                    "- 65,536: ×{a:.2} of the 16-lane loop's speed (target ≥ 1.0: {})",
                    verdict(a >= 1.0)
                );
            }
            1_000 => {
                let a = sf / seq;
                println!(
                    "- 1,000: time ×{a:.2} of the 16-lane loop's time (target ≤ 1.5: {})",
                    verdict(a <= 1.5)
                );
            }
            _ => {}
        }
    }
    println!();
}

/// Where table (b) places its slice: on a 64-byte line, and 2 elements (16 bytes) past one, where
/// the allocator usually puts a `Vec<f64>`'s data.
const PLACEMENTS: [(&str, usize); 2] = [
    ("line-aligned", 0),
    ("16 B past a line (as a `Vec<f64>`)", 2),
];

/// (b) One thread, 65,536 elements through `chunk_sum_on` per ISA, line-aligned and not; results
/// compared bit for bit.
fn isa_table(buf: &Buffer) {
    let two_chunks = |isa: Isa, d: &[f64]| -> f64 {
        let (a, b) = d.split_at(CHUNK_LEN);
        // Two chunks: the tree is left + right, as in `sequential_sum`.
        chunk_sum_on(isa, a).expect("supported") + chunk_sum_on(isa, b).expect("supported")
    };
    let isas: Vec<Isa> = [Isa::Baseline, Isa::Avx2, Isa::Avx512]
        .into_iter()
        .filter(|i| i.is_supported())
        .collect();
    // (placement, isa) in this order, placement-major.
    let cases: Vec<(usize, Isa)> = (0..PLACEMENTS.len())
        .flat_map(|p| isas.iter().map(move |&i| (p, i)))
        .collect();
    let slice = |p: usize| &buf.view::<f64>()[PLACEMENTS[p].1..PLACEMENTS[p].1 + ISA_LEN];
    let bits: Vec<u64> = cases
        .iter()
        .map(|&(p, i)| two_chunks(i, slice(p)).to_bits())
        .collect();
    let identical = (0..PLACEMENTS.len()).all(|p| {
        let reference = sequential_sum(slice(p)).to_bits();
        cases
            .iter()
            .zip(&bits)
            .all(|(&(q, _), &b)| q != p || b == reference)
    });
    let mut variants: Vec<Variant<'_>> = cases
        .iter()
        .map(|&(p, isa)| {
            let d = slice(p);
            back_to_back(move || {
                black_box(two_chunks(isa, black_box(d)));
            })
        })
        .collect();
    // The read ceiling: the same line-aligned bytes XOR-folded on the best ISA, a loop that does
    // nothing but load (see `bandwidth.rs`). No kernel reads L2 faster than this.
    let best_isa = Isa::detect();
    let words = &buf.view::<u64>()[PLACEMENTS[0].1..PLACEMENTS[0].1 + ISA_LEN];
    variants.push(back_to_back(move || {
        black_box(read_words(best_isa, black_box(words)));
    }));
    let mut s = report::measure(&mut variants, REPS, REP_TARGET);
    drop(variants);
    let ceiling = s.pop().expect("the read-ceiling variant");

    println!(
        "### (b) Chunk kernel per ISA: one thread, {} elements (2 chunks, 512 KiB, L2-resident)",
        fmt_n(ISA_LEN)
    );
    println!();
    println!("| ISA | slice starts | time (median) | min–max | GB/s | ×SSE2 (speed, same start) | result bits |");
    println!("|---|---|---:|---:|---:|---:|---|");
    let mut best = f64::NAN;
    for ((&(p, isa), x), b) in cases.iter().zip(&s).zip(&bits) {
        let base = s[p * isas.len()].median;
        if p == 0 && isa != Isa::Baseline {
            best = best.max(base / x.median);
        }
        println!(
            "| {} | {} | {} | {}–{} | {:.2} | ×{:.2} | `{b:#018x}` |",
            isa_name(isa),
            PLACEMENTS[p].0,
            fmt_time(x.median),
            fmt_time(x.min),
            fmt_time(x.max),
            gbs(ISA_LEN * 8, x.median),
            base / x.median
        );
    }
    for isa in [Isa::Avx2, Isa::Avx512] {
        if !isa.is_supported() {
            println!(
                "| {} | not supported by this CPU | | | | | |",
                isa_name(isa)
            );
        }
    }
    println!();
    println!(
        "All {} results bit-identical per slice (and equal to `sequential_sum`): {}",
        cases.len(),
        if identical { "yes" } else { "NO" }
    );
    if isas.len() > 1 {
        println!(
            "Target: best vector ISA ×{best:.2} of SSE2, line-aligned (target ≥ 1.5 \
             with identical bits: {})",
            verdict(best >= 1.5 && identical)
        );
    }
    println!(
        "Read ceiling: an XOR-fold read loop ({}) over the same line-aligned bytes, one thread: \
         {} ({:.2} GB/s), ×{:.2} of the SSE2 kernel's speed",
        isa_name(best_isa),
        fmt_time(ceiling.median),
        gbs(ISA_LEN * 8, ceiling.median),
        s[0].median / ceiling.median
    );
    println!();
    assert!(identical, "the ISAs gave different bits: {bits:x?}");
}

/// Element counts of table (d).
const ZERO_SIZES: [usize; 2] = [65_536, 1 << 20];

/// (d) `stats` of non-negative data whose minimum is 0.0 against the same data shifted by 1.0:
/// a zero min (or max) leaves the sign of the zero to settle, which must not cost a pass.
/// Overwrites the start of the buffer.
fn zero_min_table(buf: &mut Buffer, shm: &Pool) {
    let n = ZERO_SIZES[ZERO_SIZES.len() - 1];
    let words = buf.view_mut::<u64>();
    for i in 0..n {
        let v = (i.wrapping_mul(2_654_435_761) % 1000) as f64; // 0.0 to 999.0, zeros included
        words[i] = v.to_bits();
        words[n + i] = (v + 1.0).to_bits();
    }
    let data = buf.view::<f64>();
    println!("### (d) `stats` when the minimum is 0.0 ({THREADS} threads)");
    println!();
    println!("| elements | data | time (median) | min–max | GB/s | ×min-1.0 data (speed) |");
    println!("|---:|---|---:|---:|---:|---:|");
    for n in ZERO_SIZES {
        let (zero, one) = (&data[..n], &data[ZERO_SIZES[1]..ZERO_SIZES[1] + n]);
        assert_eq!(shm.stats(zero).min(), Some(0.0));
        assert_eq!(shm.stats(one).min(), Some(1.0));
        let mut variants: Vec<Variant<'_>> = vec![
            back_to_back(|| {
                black_box(shm.stats(black_box(zero)));
            }),
            back_to_back(|| {
                black_box(shm.stats(black_box(one)));
            }),
        ];
        let s = report::measure(&mut variants, REPS, REP_TARGET);
        drop(variants);
        let names = ["0.0 to 999.0, min 0.0", "the same + 1.0, min 1.0"];
        for (name, x) in names.iter().zip(&s) {
            println!(
                "| {} | {} | {} | {}–{} | {:.2} | ×{:.2} |",
                size_label(n),
                name,
                fmt_time(x.median),
                fmt_time(x.min),
                fmt_time(x.max),
                gbs(n * 8, x.median),
                s[1].median / x.median
            );
        }
    }
    println!();
}

/// (c) Exact i64 sums against a naive i128 loop and the bandwidth loop.
fn int_table(buf: &Buffer, shm: &Pool, isa: Isa) {
    println!(
        "### (c) Sum and `stats` of i64, the sum exact in i128 ({THREADS} threads; GB/s read, speed ratios as in (a))"
    );
    println!();
    println!(
        "| elements | variant | time (median) | min–max | GB/s | ×bandwidth loop | ×naive i128 loop |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for n in INT_SIZES {
        let d = &buf.view::<i64>()[..n];
        let w = &buf.view::<u64>()[..n];
        let naive = |d: &[i64]| d.iter().map(|&x| x as i128).sum::<i128>();
        assert_eq!(shm.sum_int(d), naive(d), "sum_int is not exact at {n}");
        let names = [
            "two-thread read-bandwidth loop (`u64` XOR)",
            "shmkern `sum_int`",
            "naive `iter().map(|&x| x as i128).sum()`",
            "shmkern `stats` (count, sum, min, max, mean, M2)",
        ];
        let mut variants: Vec<Variant<'_>> = vec![
            back_to_back(|| {
                black_box(bandwidth(shm, isa, black_box(w)));
            }),
            back_to_back(|| {
                black_box(shm.sum_int(black_box(d)));
            }),
            back_to_back(|| {
                black_box(naive(black_box(d)));
            }),
            back_to_back(|| {
                black_box(shm.stats(black_box(d)));
            }),
        ];
        let reps = if n == BIG { BIG_REPS } else { REPS };
        let s = report::measure(&mut variants, reps, REP_TARGET);
        drop(variants);
        let (bw, nv) = (s[0].median, s[2].median);
        for (name, x) in names.iter().zip(&s) {
            println!(
                "| {} | {} | {} | {}–{} | {:.2} | ×{:.2} | ×{:.2} |",
                size_label(n),
                name.replace('|', "\\|"),
                fmt_time(x.median),
                fmt_time(x.min),
                fmt_time(x.max),
                gbs(n * 8, x.median),
                bw / x.median,
                nv / x.median
            );
        }
    }
    println!();
}

/// (e) One chunk of every element type, one thread: the cache-resident sum and `stats` kernels.
fn type_table(buf: &Buffer) {
    println!(
        "### (e) One chunk ({} elements) of each element type, cache-resident, one thread",
        fmt_n(CHUNK_LEN)
    );
    println!();
    println!(
        "| type | bytes | sum (median) | GB/s | `stats` (median) | GB/s | `stats` ×sum time |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let one = Pool::builder().threads(1).build().expect("pool");
    let src = &buf.view::<i64>()[..CHUNK_LEN];
    macro_rules! row {
        ($t:ty, $sum:ident) => {{
            let d: Vec<$t> = src.iter().map(|&v| v as $t).collect();
            let mut variants: Vec<Variant<'_>> = vec![
                back_to_back(|| {
                    black_box(one.$sum(black_box(&d[..])));
                }),
                back_to_back(|| {
                    black_box(one.stats(black_box(&d[..])));
                }),
            ];
            let s = report::measure(&mut variants, REPS, REP_TARGET);
            drop(variants);
            let bytes = std::mem::size_of_val(&d[..]);
            println!(
                "| `{}` | {} | {} | {:.1} | {} | {:.1} | ×{:.2} |",
                stringify!($t),
                fmt_n(bytes),
                fmt_time(s[0].median),
                gbs(bytes, s[0].median),
                fmt_time(s[1].median),
                gbs(bytes, s[1].median),
                s[1].median / s[0].median
            );
        }};
    }
    row!(i8, sum_int);
    row!(u8, sum_int);
    row!(i16, sum_int);
    row!(u16, sum_int);
    row!(i32, sum_int);
    row!(u32, sum_int);
    row!(i64, sum_int);
    row!(u64, sum_int);
    row!(f32, sum_float);
    row!(f64, sum_float);
    println!();
}

/// Prints the tables.
pub fn run() {
    let started = Instant::now();
    let isa = Isa::detect();
    report::print_header(
        &format!(
            "{}, transparent huge pages `{}`",
            report::machine(),
            report::thp_mode()
        ),
        &format!(
            "median of {REPS} repetitions of ~{} ms each ({BIG_REPS} single calls at 1 GiB), \
             compared variants interleaved; pools of {THREADS} threads built once, called from \
             the main thread; data: one 1 GiB anonymous mapping{}, every page written before \
             timing; kernels and bandwidth loop on {}",
            REP_TARGET.as_millis(),
            if huge_pages() {
                " advised onto huge pages (`SHMKERN_BENCH_HUGE_PAGES=1`)"
            } else {
                ""
            },
            isa_name(isa)
        ),
    );

    let mut buf = Buffer::new(huge_pages());
    buf.fill(THREADS, f64_value);
    let shm = Pool::builder().threads(THREADS).build().expect("pool");
    let ray = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");

    section(|| f64_table(&buf, &shm, &ray, isa));
    section(|| isa_table(&buf));
    drop(ray);
    buf.fill(THREADS, i64_value);
    section(|| int_table(&buf, &shm, isa));
    section(|| type_table(&buf));
    section(|| zero_min_table(&mut buf, &shm));
    drop(shm);

    report::print_total(started);
}
