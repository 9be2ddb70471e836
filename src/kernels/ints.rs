//! The integer chunk loops: the exact sum, and the sum/min/max scan that is the first part of
//! integer statistics. Integer addition is exact and associative, so any lane split gives the same
//! result; the loops keep explicit lanes (one 64-byte cache line of input per row) so that LLVM
//! turns them into vector code for whichever ISA the dispatch arm enables (`lanes::isa_dispatch`).
//!
//! With `STREAM` (inputs that stream from memory, see `kernels::streams`) each row prefetches the
//! line [`PREFETCH_BYTES`] ahead, as the float passes do: on the 2-core dev VM (AMD Zen 4,
//! 2026-12-03) a 1 GiB `i64` sum in this loop read ×0.20 of the bandwidth loop on the hardware
//! prefetchers alone and ×1.14 with the prefetch (`kernels_table` table (c), one run each, the
//! first with `kernels::STREAM_BYTES` edited to turn streaming off).
//!
//! Each caller passes at most one chunk ([`CHUNK_LEN`] elements) per call and picks an accumulator
//! that cannot overflow for that many elements (`element.rs` has the bounds).

use super::simd::prefetch;
use super::vector::PREFETCH_BYTES;
use crate::sched::CHUNK_LEN;
use std::ops::Add;

/// Bytes of input per row of lanes.
const ROW_BYTES: usize = 64;

/// Hints the line [`PREFETCH_BYTES`] past `row` when `STREAM`.
#[inline(always)]
fn ahead<T, const STREAM: bool>(row: &[T]) {
    if STREAM {
        prefetch(row.as_ptr().cast::<u8>().wrapping_add(PREFETCH_BYTES));
    }
}

/// `Σ widen(x_i)` over `L` lanes of `A` (`L · size_of::<T>() == ROW_BYTES`).
#[inline(always)]
pub(super) fn sum<T, A, const L: usize, const STREAM: bool>(x: &[T], widen: impl Fn(T) -> A) -> A
where
    T: Copy,
    A: Copy + Default + Add<Output = A>,
{
    debug_assert!(x.len() <= CHUNK_LEN && L * size_of::<T>() == ROW_BYTES);
    let mut acc = [A::default(); L];
    let (rows, tail) = x.as_chunks::<L>();
    for row in rows {
        ahead::<T, STREAM>(row);
        for j in 0..L {
            acc[j] = acc[j] + widen(row[j]);
        }
    }
    for (j, &v) in tail.iter().enumerate() {
        acc[j] = acc[j] + widen(v);
    }
    acc.into_iter().fold(A::default(), |s, a| s + a)
}

/// `(Σ x, min, max)` of a non-empty `x`, the sum over `L` lanes of `A` as in [`sum`]: the sum
/// as it streams in, then min and max over the same chunk, which is in L1/L2 by then. One loop
/// doing all three stayed scalar for 64-bit values (LLVM spilled the accumulators), and min/max
/// over explicit lanes vectorized across rows with gathers (both seen with `perf annotate`); the
/// two loops below each vectorize along the data.
#[inline(always)]
pub(super) fn scan<T, A, const L: usize, const STREAM: bool>(
    x: &[T],
    widen: impl Fn(T) -> A,
) -> (A, T, T)
where
    T: Copy + Ord,
    A: Copy + Default + Add<Output = A>,
{
    let total = sum::<T, A, L, STREAM>(x, widen);
    // A plain min/max reduction, which LLVM's loop vectorizer knows.
    let (lo, hi) = x
        .iter()
        .fold((x[0], x[0]), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    (total, lo, hi)
}

/// A 64-bit value as `(high 32 bits, arithmetic; low 32 bits, unsigned)`: `v = high · 2^32 + low`.
/// The halves of up to 2^15 values sum in 64 bits each (|Σ high| ≤ 2^46, Σ low < 2^47), where an
/// `i128` accumulator would not vectorize.
#[derive(Clone, Copy, Default)]
pub(super) struct Halves<H> {
    high: H,
    low: u64,
}

impl<H: Add<Output = H>> Add for Halves<H> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Halves {
            high: self.high + o.high,
            low: self.low + o.low,
        }
    }
}

impl Halves<i64> {
    #[inline(always)]
    pub(super) fn of_i64(v: i64) -> Self {
        Halves {
            high: v >> 32,
            low: v as u64 & 0xFFFF_FFFF,
        }
    }
    #[inline(always)]
    pub(super) fn total(self) -> i128 {
        (i128::from(self.high) << 32) + i128::from(self.low)
    }
}

impl Halves<u64> {
    #[inline(always)]
    pub(super) fn of_u64(v: u64) -> Self {
        Halves {
            high: v >> 32,
            low: v & 0xFFFF_FFFF,
        }
    }
    #[inline(always)]
    pub(super) fn total(self) -> u128 {
        (u128::from(self.high) << 32) + u128::from(self.low)
    }
}
