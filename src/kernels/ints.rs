//! The integer chunk loops: the exact sum, and the sum/min/max scan that is the first part of
//! integer statistics. Integer addition is exact and associative, so any lane split gives the same
//! result, and the loops are plain reductions along the data, which LLVM's loop vectorizer turns
//! into vector code for whichever ISA the dispatch arm enables (`lanes::isa_dispatch`).
//!
//! They used to keep explicit lanes, one 64-byte line of input per row. Without a prefetch in
//! the loop, LLVM vectorized those across rows, with gathers (`vpgatherdd`, seen with `perf
//! annotate`): one cache-resident chunk of `i32` took 23.6–31.7 µs to sum with AVX-512 instead
//! of 1.5 µs, of `i64` 13.5–22.8 µs instead of 2.5–2.8 (`kernels_table` table (e), two runs
//! each, AMD Zen 4 VM, 2026-12-03; docs/performance.md).
//!
//! With `STREAM` (inputs that stream from memory, see `kernels::streams`) the loop runs over
//! groups of [`GROUP_BYTES`] and prefetches each group's lines [`PREFETCH_BYTES`] ahead, as the
//! float passes do: on the same VM a 1 GiB `i64` sum read ×0.20 of the bandwidth loop on the
//! hardware prefetchers alone and ×1.14 with the prefetch (`kernels_table` table (c), one run
//! each, the first with `kernels::STREAM_BYTES` edited to turn streaming off). A prefetch inside
//! the element loop would keep it from vectorizing.
//!
//! Each caller passes at most one chunk ([`CHUNK_LEN`] elements) per call and picks an accumulator
//! that cannot overflow for that many elements (`element.rs` has the bounds; they bound every
//! partial sum, so they hold for whatever lanes the vectorizer picks).

use super::simd::prefetch;
use super::vector::PREFETCH_BYTES;
use crate::sched::CHUNK_LEN;
use std::ops::Add;

/// Bytes of input per prefetching group of the streaming loop: 16 lines.
const GROUP_BYTES: usize = 1024;

/// `Σ widen(x_i)`, prefetching ahead when `STREAM`.
#[inline(always)]
pub(super) fn sum<T, A, const STREAM: bool>(x: &[T], widen: impl Fn(T) -> A + Copy) -> A
where
    T: Copy,
    A: Copy + Default + Add<Output = A>,
{
    debug_assert!(x.len() <= CHUNK_LEN);
    let add = |s: A, g: &[T]| g.iter().fold(s, |s, &v| s + widen(v));
    if !STREAM {
        return add(A::default(), x);
    }
    let mut acc = A::default();
    for g in x.chunks(GROUP_BYTES / size_of::<T>()) {
        let ahead = g.as_ptr().cast::<u8>().wrapping_add(PREFETCH_BYTES);
        for line in 0..GROUP_BYTES / 64 {
            prefetch(ahead.wrapping_add(64 * line));
        }
        acc = add(acc, g);
    }
    acc
}

/// `(Σ x, min, max)` of a non-empty `x`, the sum as in [`sum`]: the sum as it streams in, then
/// min and max over the same chunk, which is in L1/L2 by then. One loop doing all three stayed
/// scalar for 64-bit values (LLVM spilled the accumulators), and min/max over explicit lanes
/// vectorized across rows with gathers (both seen with `perf annotate`); the two loops below each
/// vectorize along the data.
#[inline(always)]
pub(super) fn scan<T, A, const STREAM: bool>(x: &[T], widen: impl Fn(T) -> A + Copy) -> (A, T, T)
where
    T: Copy + Ord,
    A: Copy + Default + Add<Output = A>,
{
    let total = sum::<T, A, STREAM>(x, widen);
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
