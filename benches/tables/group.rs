//! `group`: `Pool::group_stats` (statistics per group of a dense `u32` key) over 128 Mi rows
//! (1 GiB of `f64` values and 512 MiB of keys) on 2 participants, against the read-bandwidth loop,
//! `stats` of the values alone, and what a Rust user would write with rayon (docs/performance.md,
//! "Grouped statistics"):
//!
//! ```sh
//! cargo bench --bench tables -- group        # about a minute
//! ```
//!
//! Rows: the bandwidth loop over the values (`common/bandwidth.rs`), `stats` of the values,
//! `group_stats` with 16, 1,000 and 100,000 groups (keys uniform at random: each chunk of 32 Ki
//! rows holds every group of the first two, and is sorted rather than counted for the third), and
//! rayon's `par_chunks` fold of per-group `(count, Σx, Σx², min, max)` for 1,000 groups (one
//! pass, plain sums: neither shmkern's accuracy on shifted data nor its determinism). Counts are
//! compared with rayon's before timing. ×bandwidth = the bandwidth loop's time / the row's; it
//! reads 1 GiB, the grouped rows 1.5 GiB. Medians of [`REPS`] single calls, the variants of a
//! round back to back in a rotating order.

use crate::common::bandwidth::bandwidth;
use crate::common::buffer::{f64_value, Buffer};
use crate::common::report::{self, back_to_back as once, fmt_time, Variant};
use rayon::prelude::*;
use shmkern::kernels::Isa;
use shmkern::Pool;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Single calls per variant; the median is reported.
const REPS: usize = 5;
/// Participants of every variant.
const THREADS: usize = 2;
/// The group counts of the `group_stats` rows; rayon's row uses the second.
const GROUPS: [u32; 3] = [16, 1000, 100_000];

/// Per group `(count, Σx, Σx², min, max)` as a rayon user folds them.
fn rayon_groups(keys: &[u32], x: &[f64], groups: usize) -> Vec<(u64, f64, f64, f64, f64)> {
    let empty = || vec![(0u64, 0.0, 0.0, f64::INFINITY, f64::NEG_INFINITY); groups];
    keys.par_chunks(1 << 15)
        .zip(x.par_chunks(1 << 15))
        .fold(empty, |mut acc, (ks, xs)| {
            for (&k, &v) in ks.iter().zip(xs) {
                let a = &mut acc[k as usize];
                *a = (a.0 + 1, a.1 + v, a.2 + v * v, a.3.min(v), a.4.max(v));
            }
            acc
        })
        .reduce(empty, |mut a, b| {
            for (p, q) in a.iter_mut().zip(b) {
                *p = (p.0 + q.0, p.1 + q.1, p.2 + q.2, p.3.min(q.3), p.4.max(q.4));
            }
            a
        })
}

/// `n` keys uniform in `0..groups` (xorshift; the same keys every run).
fn keys(n: usize, groups: u32) -> Vec<u32> {
    let mut s = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(groups);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 16) % u64::from(groups)) as u32
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
             anonymous mapping of f64 (every page written before timing) and a 512 MiB Vec of \
             u32 keys per group count; bandwidth loop on {isa:?}"
        ),
    );
    let mut buf = Buffer::new(false);
    buf.fill(THREADS, f64_value);
    let pool = Pool::builder().threads(THREADS).build().expect("pool");
    let ray = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .expect("rayon pool");
    report::section(|| table(&buf, &pool, &ray, isa));
    report::print_total(started);
}

fn table(buf: &Buffer, pool: &Pool, ray: &rayon::ThreadPool, isa: Isa) {
    let x = buf.view::<f64>();
    let w = buf.view::<u64>();
    let key_sets: Vec<Vec<u32>> = GROUPS.iter().map(|&g| keys(x.len(), g)).collect();
    // Results first: counts as rayon's.
    let g = pool
        .group_stats(&key_sets[1], x, GROUPS[1] as usize)
        .unwrap();
    let r = ray.install(|| rayon_groups(&key_sets[1], x, GROUPS[1] as usize));
    for (s, q) in g.iter().zip(&r) {
        assert_eq!(s.count(), q.0);
        assert_eq!((s.min(), s.max()), (Some(q.3), Some(q.4)));
    }

    let mut names = vec![
        "two-thread read-bandwidth loop (`u64` XOR), values only".to_owned(),
        "`stats` of the values".to_owned(),
    ];
    let mut variants: Vec<Variant<'_>> = vec![
        once(|| {
            black_box(bandwidth(pool, isa, black_box(w)));
        }),
        once(|| {
            black_box(pool.stats(black_box(x)));
        }),
    ];
    for (&groups, k) in GROUPS.iter().zip(&key_sets) {
        names.push(format!("`group_stats`, {groups} groups"));
        variants.push(once(move || {
            black_box(
                pool.group_stats(black_box(k), black_box(x), groups as usize)
                    .unwrap(),
            );
        }));
    }
    names.push(format!(
        "rayon: `par_chunks` fold of per-group sums, {} groups",
        GROUPS[1]
    ));
    variants.push(once(|| {
        black_box(ray.install(|| rayon_groups(&key_sets[1], black_box(x), GROUPS[1] as usize)));
    }));
    let s = report::measure(&mut variants, REPS, Duration::ZERO);
    drop(variants);
    let bw = s[0].median;
    println!(
        "### Grouped statistics, 128 Mi rows (1 GiB of f64 values, 512 MiB of u32 keys), \
         {THREADS} threads (×bandwidth: bandwidth-loop time / time; ns/row: time / rows)"
    );
    println!();
    println!("| variant | time (median) | min–max | ns/row | ×bandwidth |");
    println!("|---|---:|---:|---:|---:|");
    for (name, v) in names.iter().zip(&s) {
        println!(
            "| {name} | {} | {}–{} | {:.2} | ×{:.3} |",
            fmt_time(v.median),
            fmt_time(v.min),
            fmt_time(v.max),
            v.median / x.len() as f64,
            bw / v.median,
        );
    }
    println!();
    println!(
        "`group_stats` with {} groups against rayon's plain fold: ×{:.2} (rayon's time / shmkern's)",
        GROUPS[1],
        s[5].median / s[3].median
    );
    println!();
}
