//! `anchors`: shmkern's f64 sum against the anchors of the project brief, side by side in one
//! run, as markdown tables (docs/performance.md, "Anchors"):
//!
//! ```sh
//! apt install libtbb-dev                  # oneTBB for the C++ child; Node.js: `node` on the PATH
//! cargo bench --bench tables -- anchors   # about 25 s on 2 cores
//! ```
//!
//! At 1,000 / 65,536 / 1 Mi / 128 Mi (1 GiB) elements, on as many threads as the machine has
//! (`available_parallelism`; each parallel variant on that many):
//!
//! - shmkern `Pool::sum_float` (the caller is one of the participants) and, for reference, its
//!   16-lane loop on one thread (`kernels::sequential_sum`) and the read-bandwidth loop
//!   (`common/bandwidth.rs`: the machine's limit at the large sizes);
//! - **rayon**: `par_iter().sum()`, what a Rust user would write, and `par_chunks(CHUNK_LEN)` with
//!   the 16-lane loop per chunk, the best a rayon user can do (each through `install`);
//! - **paralight** 0.0.12 (`RangeStrategy::Fixed`): `par_iter().sum()`, and chunk indices mapped
//!   to the 16-lane loop per chunk;
//! - **oneTBB** `parallel_deterministic_reduce` (grain `CHUNK_LEN`, a careful 32-accumulator
//!   leaf loop compiled by g++ -O3 -march=native: four AVX-512 add chains), in a child process
//!   mapping the same memory, and its leaf loop on one thread;
//! - **Node.js**: `worker_threads` summing slices of a `SharedArrayBuffer`, woken and awaited with
//!   `Atomics.wait/notify` (the main thread only dispatches, as a Node program keeps its event
//!   loop free), an 8-accumulator loop (V8 does not vectorize); and that loop on the main thread
//!   alone.
//!
//! The children (`benches/common/anchors.rs`, sources in `benches/anchors/`) time their own loops,
//! so no pipe latency is counted; oneTBB is compiled here with g++ and skipped, with the reason
//! printed, where g++ or oneTBB (`apt install libtbb-dev`) is missing; Node.js likewise.
//! `SHMKERN_ANCHOR_TBB` and `SHMKERN_ANCHOR_NODE` name other commands to start them with
//! (`benches/device/anchors.sh` uses them).
//!
//! Besides the time, each parallel variant is checked outside the timing: its result on one
//! thread and on all of them, bit for bit (shmkern and oneTBB's deterministic reduce promise the
//! same bits; the others do not), and every result against shmkern's within the worst-case bound
//! of recursive summation, `n·ε·Σ|x|` (a child that summed the wrong thing would fail it).
//!
//! Method as in the `kernels` table (helpers in `benches/common/report.rs`): the data (the values
//! of `common/buffer.rs`) is one 1 GiB anonymous `SharedBuffer` (the children open its memfd)
//! written in full before any timing; smaller sizes read its prefix. Per size the variants run
//! interleaved, in an order that rotates every repetition; medians of [`REPS`] repetitions of
//! about [`REP_TARGET`] ([`BIG_REPS`] single calls at 1 GiB).

use crate::common::anchors::{self, para, Anchor};
use crate::common::bandwidth::bandwidth;
use crate::common::buffer::f64_value;
use crate::common::report::{self, back_to_back, fmt_n, fmt_time, Variant};
use paralight::prelude::ThreadPool;
use rayon::prelude::*;
use shmkern::kernels::{sequential_sum, Isa};
use shmkern::{sched::CHUNK_LEN, Pool, SharedBuffer};
use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Repetitions per variant; the median is reported.
const REPS: usize = 11;
/// Repetitions per variant for the 1 GiB size (one call each).
const BIG_REPS: usize = 7;
/// Target measured time of one repetition.
const REP_TARGET: Duration = Duration::from_millis(30);
/// The largest array: 128 Mi `f64` = 1 GiB.
const BIG: usize = 1 << 27;
/// Element counts, as in the `kernels` table.
const SIZES: [usize; 4] = [1_000, 65_536, 1 << 20, BIG];

fn size_label(n: usize) -> String {
    match n {
        BIG => "128 Mi (1 GiB)".to_string(),
        _ if n >= 1 << 20 => format!("{} Mi", n >> 20),
        _ => fmt_n(n),
    }
}

fn rayon_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
}

/// Everything one run compares: the pools on all threads and on one, and the children.
struct Contenders {
    threads: usize,
    isa: Isa,
    shm: Pool,
    shm1: Pool,
    ray: rayon::ThreadPool,
    ray1: rayon::ThreadPool,
    para: RefCell<ThreadPool>,
    para1: RefCell<ThreadPool>,
    tbb: Option<RefCell<Anchor>>,
    node: Option<RefCell<Anchor>>,
}

/// One row of a size: its name, the variant, and its results on one thread and on all of them
/// (`None` for a one-thread row).
struct Row<'a> {
    name: String,
    variant: Variant<'a>,
    results: (Option<f64>, f64),
}

/// The rows of size `n`, every result computed once outside the timing.
fn rows<'a>(c: &'a Contenders, data: &'a [f64], words: &'a [u64]) -> Vec<Row<'a>> {
    let n = data.len();
    let t = c.threads;
    let chunks = |d: &[f64]| {
        d.par_chunks(CHUNK_LEN)
            .map(sequential_sum::<f64>)
            .sum::<f64>()
    };
    // Each borrow of a paralight pool ends with its statement (a temporary in the `vec!` would
    // live to the end of it, and the second borrow would fail).
    let para_sum = (
        Some(para::sum(&mut c.para1.borrow_mut(), data)),
        para::sum(&mut c.para.borrow_mut(), data),
    );
    let para_chunks = (
        Some(para::chunks(&mut c.para1.borrow_mut(), data)),
        para::chunks(&mut c.para.borrow_mut(), data),
    );
    let mut rows = vec![
        Row {
            name: format!("read-bandwidth loop (`u64` XOR, {t} threads; a limit, not a sum)"),
            variant: back_to_back(move || {
                black_box(bandwidth(&c.shm, c.isa, black_box(words)));
            }),
            results: (None, f64::NAN),
        },
        Row {
            name: "**shmkern `Pool::sum_float`**".to_string(),
            variant: back_to_back(move || {
                black_box(c.shm.sum_float(black_box(data)));
            }),
            results: (Some(c.shm1.sum_float(data)), c.shm.sum_float(data)),
        },
        Row {
            name: "shmkern 16-lane loop, one thread (`sequential_sum`)".to_string(),
            variant: back_to_back(move || {
                black_box(sequential_sum(black_box(data)));
            }),
            results: (None, sequential_sum(data)),
        },
        Row {
            name: "rayon `par_iter().sum()`".to_string(),
            variant: back_to_back(move || {
                black_box(c.ray.install(|| black_box(data).par_iter().sum::<f64>()));
            }),
            results: (
                Some(c.ray1.install(|| data.par_iter().sum::<f64>())),
                c.ray.install(|| data.par_iter().sum::<f64>()),
            ),
        },
        Row {
            name: format!("rayon `par_chunks({CHUNK_LEN})` + 16-lane loop"),
            variant: back_to_back(move || {
                black_box(c.ray.install(|| chunks(black_box(data))));
            }),
            results: (
                Some(c.ray1.install(|| chunks(data))),
                c.ray.install(|| chunks(data)),
            ),
        },
        Row {
            name: "paralight `par_iter().sum()`".to_string(),
            variant: back_to_back(move || {
                black_box(para::sum(&mut c.para.borrow_mut(), black_box(data)));
            }),
            results: para_sum,
        },
        Row {
            name: format!("paralight chunks of {CHUNK_LEN} + 16-lane loop"),
            variant: back_to_back(move || {
                black_box(para::chunks(&mut c.para.borrow_mut(), black_box(data)));
            }),
            results: para_chunks,
        },
    ];
    for (child, parallel, alone) in [
        (
            &c.tbb,
            format!("oneTBB `parallel_deterministic_reduce` (grain {CHUNK_LEN})"),
            "oneTBB's leaf loop (C++, 32 accumulators), one thread",
        ),
        (
            &c.node,
            format!("Node.js: {t} `worker_threads` + `SharedArrayBuffer` + `Atomics`"),
            "Node.js: the same loop on the main thread",
        ),
    ] {
        let Some(child) = child else { continue };
        // The children are deterministic for a fixed thread count: every timed loop must end
        // with the result checked here, or it summed something else.
        let timed = move |(time, got): (Duration, f64), want: f64, what: &str| {
            assert_eq!(
                got.to_bits(),
                want.to_bits(),
                "{what}, {n} elements: timed result"
            );
            time
        };
        let one = child.borrow_mut().sum(1, n, 1).1;
        let all = child.borrow_mut().sum(t, n, 1).1;
        rows.push(Row {
            name: parallel,
            variant: Box::new(move |iters| timed(child.borrow_mut().sum(t, n, iters), all, "sum")),
            results: (Some(one), all),
        });
        let seq = child.borrow_mut().seq(n, 1).1;
        rows.push(Row {
            name: alone.to_string(),
            variant: Box::new(move |iters| timed(child.borrow_mut().seq(n, iters), seq, "seq")),
            results: (None, seq),
        });
    }
    rows
}

/// Panics unless every result is within the worst-case bound of recursive summation of
/// shmkern's: a variant that summed something else must not be timed.
fn check_results(rows: &[Row<'_>], data: &[f64]) {
    let n = data.len() as f64;
    let bound = n * f64::EPSILON * data.iter().map(|x| x.abs()).sum::<f64>();
    let reference = rows[1].results.1;
    for row in &rows[1..] {
        let (one, all) = row.results;
        for r in one.into_iter().chain([all]) {
            assert!(
                (r - reference).abs() <= bound,
                "{}: {r} is not within {bound:e} of shmkern's {reference} ({} elements)",
                row.name,
                data.len()
            );
        }
    }
}

/// Per size, the medians (ns) of the rows by name, for the summary.
type Medians = Vec<(usize, Vec<(String, f64)>)>;

fn table(c: &Contenders, buf: &SharedBuffer<f64>) -> Medians {
    let t = c.threads;
    println!(
        "### Sum of f64 on {t} threads: shmkern and the anchors (time per call, GB/s read; \
         ×shmkern = the variant's time ÷ shmkern's, >1 = shmkern is faster)"
    );
    println!();
    println!(
        "| elements | variant | time (median) | min–max | GB/s | ×shmkern | same bits on 1 and {t} threads |"
    );
    println!("|---:|---|---:|---:|---:|---:|---|");
    let words: &[u64] = bytemuck::cast_slice(&buf[..]);
    let mut medians = Medians::new();
    for n in SIZES {
        let data = &buf[..n];
        let mut rows = rows(c, data, &words[..n]);
        check_results(&rows, data);
        let reps = if n == BIG { BIG_REPS } else { REPS };
        let mut variants: Vec<Variant<'_>> = rows
            .iter_mut()
            .map(|r| std::mem::replace(&mut r.variant, back_to_back(|| ())))
            .collect();
        // One call per repetition at 1 GiB (a zero target calibrates to one), as the header says.
        let target = if n == BIG { Duration::ZERO } else { REP_TARGET };
        let s = report::measure(&mut variants, reps, target);
        drop(variants);
        let shm = s[1].median;
        for (row, x) in rows.iter().zip(&s) {
            let same = match row.results {
                (Some(one), all) if one.to_bits() == all.to_bits() => "yes".to_string(),
                (Some(one), all) => format!("**no** ({one:e} vs {all:e})"),
                (None, _) => "—".to_string(),
            };
            println!(
                "| {} | {} | {} | {}–{} | {:.2} | ×{:.2} | {same} |",
                size_label(n),
                row.name,
                fmt_time(x.median),
                fmt_time(x.min),
                fmt_time(x.max),
                (n * 8) as f64 / x.median,
                x.median / shm
            );
        }
        medians.push((
            n,
            rows.iter()
                .zip(&s)
                .map(|(r, x)| (r.name.clone(), x.median))
                .collect(),
        ));
    }
    println!();
    medians
}

/// One line per size: shmkern's speed against each parallel anchor, and its share of the
/// bandwidth loop's.
fn summary(medians: &Medians) {
    let Some((_, first)) = medians.first() else {
        return;
    };
    // Columns: the parallel anchors, those rows that have a one-thread twin check (odd layout
    // aside, every row after shmkern's own two whose name does not say "one thread"/"alone").
    let columns: Vec<usize> = (3..first.len())
        .filter(|&i| !first[i].0.contains("one thread") && !first[i].0.contains("main thread"))
        .collect();
    println!(
        "### shmkern `sum_float` against each parallel anchor: its time ÷ shmkern's (>1 = shmkern is faster)"
    );
    println!();
    let mut head = "| elements | shmkern ÷ bandwidth loop (speed) |".to_string();
    let mut rule = "|---:|---:|".to_string();
    for &i in &columns {
        head += &format!(" {} |", first[i].0);
        rule += "---:|";
    }
    println!("{head}");
    println!("{rule}");
    for (n, row) in medians {
        let shm = row[1].1;
        let mut line = format!("| {} | ×{:.2} |", size_label(*n), row[0].1 / shm);
        for &i in &columns {
            line += &format!(" ×{:.2} |", row[i].1 / shm);
        }
        println!("{line}");
    }
    println!();
}

/// Prints the tables.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let isa = Isa::detect();
    report::print_header(
        &format!("{}; kernels on {isa:?}", report::machine()),
        &format!(
            "{threads} threads for every parallel variant; 1 GiB anonymous SharedBuffer written \
             before timing, smaller sizes its prefix; variants interleaved in rotating order; \
             medians of {REPS} repetitions of ~{} ms ({BIG_REPS} single calls at 1 GiB)",
            REP_TARGET.as_millis()
        ),
    );
    let shm = Pool::builder().threads(threads).build()?;
    let mut buf = SharedBuffer::<f64>::anonymous(BIG)?;
    shm.for_each_chunk_mut(&mut buf, 1 << 20, |start, chunk: &mut [f64]| {
        for (i, x) in chunk.iter_mut().enumerate() {
            *x = f64_value(start + i);
        }
    })?;
    let path = anchors::data_path(&buf)?;
    let mut missing = Vec::new();
    let mut child = |name: &str, started: Result<Anchor, String>| match started {
        Ok(a) => {
            println!("- {name}: {}", a.description);
            Some(RefCell::new(a))
        }
        Err(why) => {
            missing.push(format!("{name}: not measured: {why}"));
            None
        }
    };
    let tbb = child("oneTBB", anchors::start_tbb(&path, BIG, threads));
    let node = child("Node.js", anchors::start_node(&path, BIG, threads));
    println!("- paralight and rayon: the versions Cargo.lock names");
    for m in &missing {
        println!("- **{m}**");
    }
    println!();
    let contenders = Contenders {
        threads,
        isa,
        shm,
        shm1: Pool::builder().threads(1).build()?,
        ray: rayon_pool(threads),
        ray1: rayon_pool(1),
        para: RefCell::new(para::pool(threads)),
        para1: RefCell::new(para::pool(1)),
        tbb,
        node,
    };
    let mut children = Vec::new();
    if let Some(a) = &contenders.tbb {
        children.push(("oneTBB", a.borrow().pid()));
    }
    if let Some(a) = &contenders.node {
        children.push(("Node.js", a.borrow().pid()));
    }
    let mut medians = Medians::new();
    report::section_with_children(&children, || medians = table(&contenders, &buf));
    summary(&medians);
    report::print_total(started);
    Ok(())
}
