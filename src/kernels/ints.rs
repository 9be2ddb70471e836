//! The integer chunk loops: the exact sum, and the sum/min/max scan that is the first part of
//! integer statistics. Integer addition is exact and associative, so any lane split gives the same
//! result, and the loops are plain reductions along the data, which LLVM's loop vectorizer turns
//! into vector code for whichever ISA the dispatch arm enables (`isa::isa_dispatch`).
//!
//! The loops keep no explicit lanes: given lanes (say one 64-byte line of input per row), LLVM
//! vectorizes across rows instead, with gathers (`vpgatherdd`), and a cache-resident chunk sums
//! many times more slowly with AVX-512 (docs/performance.md, "Kernels").
//!
//! With `PREFETCH` (inputs that stream from memory on a CPU that gains from it, see
//! `kernels::prefetch`) the loop runs over groups of [`GROUP_BYTES`] and prefetches each group's
//! lines [`PREFETCH_BYTES`] ahead, as the float passes do; a prefetch inside the element loop would
//! keep it from vectorizing. Without, the loops read the data in order, which the hardware
//! prefetcher follows on its own. Which is faster depends on the CPU's prefetchers: over 1 GiB the
//! prefetch slows the `i64` sums and statistics on AMD Zen 4 and Zen 5 and speeds them up on Intel
//! Xeon, hence the per-CPU choice (docs/performance.md, "Tuned constants").
//!
//! Each caller passes at most one chunk ([`CHUNK_LEN`] elements) per call and picks an accumulator
//! that cannot overflow for that many elements (`element.rs` has the bounds; they bound every
//! partial sum, so they hold for whatever lanes the vectorizer picks).

use super::f64x8::{prefetch, PREFETCH_BYTES};
use crate::sched::CHUNK_LEN;
use std::ops::Add;

/// Bytes of input per prefetching group of the `PREFETCH` loops: 16 lines.
const GROUP_BYTES: usize = 1024;

/// `Σ widen(x_i)`, prefetching ahead when `PREFETCH`.
#[inline(always)]
pub(super) fn sum<T, A, const PREFETCH: bool>(x: &[T], widen: impl Fn(T) -> A + Copy) -> A
where
    T: Copy,
    A: Copy + Default + Add<Output = A>,
{
    debug_assert!(x.len() <= CHUNK_LEN);
    fold_groups::<T, A, PREFETCH>(x, A::default(), |s, g| {
        g.iter().fold(s, |s, &v| s + widen(v))
    })
}

/// `fold(init, x)`; with `PREFETCH`, the same fold carried through `x`'s groups of
/// [`GROUP_BYTES`], each group's prefetch ([`prefetch_group`]) issued before it is read. `fold`
/// takes a whole slice so that its element loop stays free of prefetches and vectorizes.
#[inline(always)]
fn fold_groups<T, S, const PREFETCH: bool>(x: &[T], init: S, fold: impl Fn(S, &[T]) -> S) -> S {
    if !PREFETCH {
        return fold(init, x);
    }
    x.chunks(GROUP_BYTES / size_of::<T>()).fold(init, |acc, g| {
        prefetch_group(g);
        fold(acc, g)
    })
}

/// Prefetches the lines [`PREFETCH_BYTES`] past the group `g`'s (see [`prefetch`]).
#[inline(always)]
fn prefetch_group<T>(g: &[T]) {
    let ahead = g.as_ptr().cast::<u8>().wrapping_add(PREFETCH_BYTES);
    for line in 0..GROUP_BYTES / 64 {
        prefetch(ahead.wrapping_add(64 * line));
    }
}

/// `(Σ x, min, max)` of a non-empty `x`, the sum as in [`sum`], in one loop along the data (with
/// the same prefetching groups when `PREFETCH`). The sum is a plain fold, so the sum, min and max
/// reductions vectorize together in one loop; two loops (the sum, then a min/max fold over the
/// chunk in L1/L2) would read the chunk once more, which makes a cache-resident chunk's integer
/// `stats` measurably slower (docs/performance.md, "Kernels").
#[inline(always)]
pub(super) fn scan<T, A, const PREFETCH: bool>(x: &[T], widen: impl Fn(T) -> A + Copy) -> (A, T, T)
where
    T: Copy + Ord,
    A: Copy + Default + Add<Output = A>,
{
    debug_assert!(x.len() <= CHUNK_LEN);
    let fold = |(mut s, mut lo, mut hi): (A, T, T), g: &[T]| {
        for &v in g {
            s = s + widen(v);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        (s, lo, hi)
    };
    fold_groups::<T, (A, T, T), PREFETCH>(x, (A::default(), x[0], x[0]), fold)
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
