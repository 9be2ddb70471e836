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
//! The same loops serve cache-resident and streaming inputs: they read the data in order, which
//! the hardware prefetcher follows from memory on its own. They used to prefetch 4 KiB ahead in
//! 1 KiB groups when the input streams (the `f64` sum still does, see `vector::Sum`); on the AMD
//! Zen 4 VM that made them slower, one participant over 1 GiB (`cargo bench --bench scaling`,
//! three alternated runs each, 2026-12-04): `i64` sums 20.8–21.7 GB/s with it and 29.4–31.3
//! without, `i64` `stats` 16.6–17.1 and 21.0–22.0 (×0.61–0.63 and ×0.80–0.81 of one core's
//! read-bandwidth loop); a scratch build read 1 GiB of `i8` at 32.6 GB/s without it. The earlier
//! figure in their favour (×0.20 without, 2026-12-03) was of the explicit-lane loops above, whose
//! cache-resident variant was the gathers.
//!
//! Each caller passes at most one chunk ([`CHUNK_LEN`] elements) per call and picks an accumulator
//! that cannot overflow for that many elements (`element.rs` has the bounds; they bound every
//! partial sum, so they hold for whatever lanes the vectorizer picks).

use crate::sched::CHUNK_LEN;
use std::ops::Add;

/// `Σ widen(x_i)`.
#[inline(always)]
pub(super) fn sum<T, A>(x: &[T], widen: impl Fn(T) -> A + Copy) -> A
where
    T: Copy,
    A: Copy + Default + Add<Output = A>,
{
    debug_assert!(x.len() <= CHUNK_LEN);
    x.iter().fold(A::default(), |s, &v| s + widen(v))
}

/// `(Σ x, min, max)` of a non-empty `x`, the sum as in [`sum`], in one loop along the data. Now
/// that the sum is a plain fold, the sum, min and max reductions vectorize together; two loops
/// (the sum, then a min/max fold over the chunk in L1/L2) took one more read of the chunk: one
/// cache-resident chunk's `i16` `stats` took 6.0–6.2 µs that way and 4.9–5.1 µs fused, `i64`
/// 8.4–8.5 µs and 6.9 µs (`kernels_table` table (e), two alternating runs each, AMD Zen 4 VM,
/// 2026-12-04).
#[inline(always)]
pub(super) fn scan<T, A>(x: &[T], widen: impl Fn(T) -> A + Copy) -> (A, T, T)
where
    T: Copy + Ord,
    A: Copy + Default + Add<Output = A>,
{
    debug_assert!(x.len() <= CHUNK_LEN);
    let (mut s, mut lo, mut hi) = (A::default(), x[0], x[0]);
    for &v in x {
        s = s + widen(v);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (s, lo, hi)
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
