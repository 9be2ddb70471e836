//! Analyses two million `{ id, value }` records held in shared memory, in parallel, and checks the
//! answer against a plain sequential loop.
//!
//! ```sh
//! cargo run --release --example analyze
//! ```
//!
//! The records are `#[repr(C)]` plain old data in a [`SharedBuffer`] (the memory another process
//! could map too). Two parallel analyses run over them:
//!
//! - the value column is copied out with `Pool::for_each_chunk_mut` and described by `Pool::stats`
//!   (count, sum, mean, min, max, variance in one pass);
//! - a `Pool::reduce` over the records themselves finds *which* records hold the smallest and the
//!   largest value, something a column of values alone cannot say.
//!
//! Checks (the process panics, exiting non-zero, on any mismatch): the statistics are bit-identical
//! to those of a one-thread pool (the library promises the same bits for every thread count);
//! count, min and max equal the sequential loop's exactly, and so do the ids found by the reduce;
//! sum and variance are within the error bounds `docs/guarantees.md` documents, against an accurate
//! sequential (Neumaier-compensated) reference.

use bytemuck::{Pod, Zeroable};
use shmkern::{sched::CHUNK_LEN, Pool, SharedBuffer};
use std::time::Instant;

/// Records in the data set.
const RECORDS: usize = 2 << 20;
/// The unit roundoff of `f64`.
const U: f64 = f64::EPSILON / 2.0;

/// One record: 16 bytes, no padding.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Record {
    id: u64,
    value: f64,
}

// SAFETY: `#[repr(C)]` with two 8-byte fields, so no padding; all-zero bits are a valid `u64` and a
// valid `f64`.
unsafe impl Zeroable for Record {}
// SAFETY: as above, and every bit pattern is a valid `u64` and `f64`; `Record` is `Copy + 'static`.
unsafe impl Pod for Record {}

/// A well-mixed 64-bit hash (SplitMix64's finaliser): record `id`'s pseudo-random bits, so any
/// thread can make any record without shared generator state.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Record `id`: a value around 100 (the sum of four uniforms, roughly bell-shaped).
fn record(id: u64) -> Record {
    let uniform = |k: u64| (mix(id * 4 + k) >> 11) as f64 / (1u64 << 53) as f64;
    let bell = (0..4).map(uniform).sum::<f64>() - 2.0;
    Record {
        id,
        value: 100.0 + 40.0 * bell,
    }
}

/// Where the extreme values are: (value, id) of the smallest and of the largest.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Extremes {
    min: (f64, u64),
    max: (f64, u64),
}

impl Extremes {
    /// The extremes of `records` (not empty), the first one found on ties.
    fn of(records: &[Record]) -> Self {
        let first = (records[0].value, records[0].id);
        let mut e = Extremes {
            min: first,
            max: first,
        };
        for r in records {
            if r.value < e.min.0 {
                e.min = (r.value, r.id);
            }
            if r.value > e.max.0 {
                e.max = (r.value, r.id);
            }
        }
        e
    }

    /// The extremes of `a`'s records followed by `b`'s (ties go to `a`, the earlier ones).
    fn merge(a: Self, b: Self) -> Self {
        Extremes {
            min: if b.min.0 < a.min.0 { b.min } else { a.min },
            max: if b.max.0 > a.max.0 { b.max } else { a.max },
        }
    }
}

/// Neumaier's compensated sum: accurate to about `2u·|S|`, an honest sequential reference.
fn neumaier(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}

fn main() -> Result<(), shmkern::Error> {
    let pool = Pool::new()?;
    println!(
        "{RECORDS} records of {} bytes in shared memory; pool of {} threads",
        std::mem::size_of::<Record>(),
        pool.threads()
    );

    let mut records = SharedBuffer::<Record>::anonymous(RECORDS)?;
    pool.for_each_chunk_mut(&mut records, CHUNK_LEN, |first, chunk| {
        for (i, r) in chunk.iter_mut().enumerate() {
            *r = record((first + i) as u64);
        }
    })?;

    // Parallel: the value column and its statistics, and the extremes' ids from the records.
    let mut values = SharedBuffer::<f64>::anonymous(RECORDS)?;
    values.populate()?; // fault its pages in now, so the timing below measures the analysis
    let start = Instant::now();
    pool.for_each_chunk_mut(&mut values, CHUNK_LEN, |first, out| {
        for (v, r) in out.iter_mut().zip(&records[first..]) {
            *v = r.value;
        }
    })?;
    let stats = pool.stats(&values);
    let extremes = pool.reduce(&records, Extremes::of, Extremes::merge);
    let parallel = start.elapsed();

    // Sequential: one loop over the records, then one more for the variance.
    let start = Instant::now();
    let seq_extremes = Extremes::of(&records);
    let seq_sum = neumaier(records.iter().map(|r| r.value));
    let seq_mean = seq_sum / RECORDS as f64;
    let seq_var =
        neumaier(records.iter().map(|r| (r.value - seq_mean).powi(2))) / (RECORDS - 1) as f64;
    let sequential = start.elapsed();

    let mean = stats.mean().expect("values");
    let var = stats.variance(1).expect("two or more values");
    println!("count     {}", stats.count());
    println!("sum       {:.6}", stats.sum());
    println!("mean      {mean:.9}");
    println!(
        "min       {:.6} (record {})",
        extremes.min.0, extremes.min.1
    );
    println!(
        "max       {:.6} (record {})",
        extremes.max.0, extremes.max.1
    );
    println!("variance  {var:.9} (std dev {:.9})", var.sqrt());
    println!(
        "time      parallel {:.1} ms, sequential reference {:.1} ms",
        parallel.as_secs_f64() * 1e3,
        sequential.as_secs_f64() * 1e3
    );

    // Same bits for every thread count.
    let one = Pool::builder().threads(1).build()?;
    assert_eq!(
        stats,
        one.stats(&values),
        "stats differ between thread counts"
    );
    let one_extremes = one.reduce(&records, Extremes::of, Extremes::merge);
    assert_eq!(
        extremes, one_extremes,
        "reduce differs between thread counts"
    );

    // Exact quantities: exactly the sequential loop's.
    assert_eq!(stats.count(), RECORDS as u64);
    assert_eq!(stats.nan_count(), 0);
    assert_eq!(
        extremes, seq_extremes,
        "extremes differ from the sequential loop"
    );
    assert_eq!(stats.min(), Some(seq_extremes.min.0));
    assert_eq!(stats.max(), Some(seq_extremes.max.0));

    // Rounded quantities: within the documented bounds (docs/guarantees.md), with 4u·Σ|x| and
    // 4u·variance of slack for the reference's own rounding.
    let d = 20.0 + ((RECORDS as f64 / 256.0).ceil()).log2().ceil();
    let gamma = d * U / (1.0 - d * U);
    let abs_sum: f64 = neumaier(records.iter().map(|r| r.value.abs()));
    let sum_err = (stats.sum() - seq_sum).abs();
    assert!(
        sum_err <= (gamma + 4.0 * U) * abs_sum,
        "sum {} vs sequential {seq_sum}: error {sum_err:e} over the bound",
        stats.sum()
    );
    let var_rel = (var - seq_var).abs() / seq_var;
    let var_bound = 8.0 * (d + 4.0) * U * (1.0 + mean * mean / seq_var) + 4.0 * U;
    assert!(
        var_rel <= var_bound,
        "variance {var} vs sequential {seq_var}: relative error {var_rel:e} > {var_bound:e}"
    );
    println!(
        "checked: same bits on 1 and {} threads; count, min, max and their ids equal the \
         sequential loop's; sum error {sum_err:.1e} (bound {:.1e}), variance relative error \
         {var_rel:.1e} (bound {var_bound:.1e})",
        pool.threads(),
        (gamma + 4.0 * U) * abs_sum
    );
    Ok(())
}
