//! The chunk kernels on explicit vectors ([`F64x8`]): the same IEEE operations in the same order as
//! the portable reference in `lanes.rs` (lane `j` of a block adds elements `j`, `j+16`, … from
//! −0.0; the lanes fold `i + i+8`, then `+4`, `+2`, `+1`; blocks combine by the §1 tree), so the
//! bits are those of the reference on every ISA. A 16-lane row is two `F64x8`: lanes 0–7 and 8–15.
//!
//! Streaming from DRAM, each core must keep its memory stream busy while it computes, and the
//! hardware prefetcher alone fell ~5–20 % short of the bandwidth on this machine; so the
//! first-touch passes (sum, scan) prefetch [`PREFETCH_BYTES`] ahead, through the end of the chunk
//! into the next one (usually the participant's next claim; see docs/performance.md).

use super::element::Float;
use super::lanes::{block, chunk_tree_by, LANES};
use super::simd::{prefetch, F64x8};
use crate::sched::BLOCK_LEN;

/// How far ahead of the row being read the streaming passes prefetch. On the 2-core dev VM, in
/// scratch runs outside the repository, 2–3 KiB ahead brought the single-pass sum from 0.97× to
/// 1.03× of the read-bandwidth loop, 1 KiB was too close and 6–8 KiB no better; docs/performance.md
/// has the in-repository runs (`kernels_table` with this constant edited).
pub(crate) const PREFETCH_BYTES: usize = 2560;

const ROWS: usize = BLOCK_LEN / LANES;

/// Lanes 0–7 and 8–15 of the row at `q`.
///
/// # Safety
///
/// `q` is valid for reading 16 elements; the CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn row<V: F64x8, T: Float>(q: *const T) -> (V, V) {
    // SAFETY: forwarded: `q[0..16]` is readable.
    unsafe { (T::load8(q), T::load8(q.add(8))) }
}

/// Prefetches the cache lines that the row `PREFETCH_BYTES` after `q` occupies.
#[inline(always)]
fn prefetch_row<T>(q: *const T) {
    let ahead = q.cast::<u8>().wrapping_add(PREFETCH_BYTES);
    for line in 0..(LANES * std::mem::size_of::<T>()).div_ceil(64) {
        prefetch(ahead.wrapping_add(64 * line));
    }
}

/// Folds 16 lanes held as `lo` (0–7) and `hi` (8–15): lane i + lane i+8, then +4, +2, +1.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn fold<V: F64x8>(lo: V, hi: V) -> f64 {
    // SAFETY: forwarded.
    super::lanes::fold(unsafe { lo.add(hi).to_array() })
}

/// The §1 tree sum of one chunk (what `lanes::chunk_tree(x, widen)` computes).
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_sum<V: F64x8, T: Float>(x: &[T]) -> f64 {
    let full = |blk: &[T; BLOCK_LEN]| {
        let p = blk.as_ptr();
        // SAFETY: the caller guarantees the ISA; row `r` reads `blk[16r..16r+16]`, in bounds.
        unsafe {
            let (mut lo, mut hi) = (V::splat(-0.0), V::splat(-0.0));
            for r in 0..ROWS {
                let q = p.add(r * LANES);
                prefetch_row(q);
                let (a, b) = row::<V, T>(q);
                lo = lo.add(a);
                hi = hi.add(b);
            }
            fold(lo, hi)
        }
    };
    chunk_tree_by(x, full, |tail| block(tail, T::widen))
}

/// Running min and max of a chunk: two accumulators each (lanes 0–7, 8–15), independent chains.
#[derive(Clone, Copy)]
struct Extremes<V> {
    lo: [V; 2],
    hi: [V; 2],
}

impl<V: F64x8> Extremes<V> {
    /// No element seen yet: every min lane at +∞, every max lane at −∞.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s ISA.
    #[inline(always)]
    unsafe fn new() -> Self {
        // SAFETY: forwarded.
        unsafe {
            Extremes {
                lo: [V::splat(f64::INFINITY); 2],
                hi: [V::splat(-f64::INFINITY); 2],
            }
        }
    }

    /// The smallest and largest lane, and those of the scalar `tail`.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s ISA.
    #[inline(always)]
    unsafe fn finish<T: Float>(self, tail: &[T]) -> (f64, f64) {
        // SAFETY: forwarded.
        let (lo, hi) = unsafe {
            (
                self.lo[0].min(self.lo[1]).to_array(),
                self.hi[0].max(self.hi[1]).to_array(),
            )
        };
        let tail = tail.iter().map(|v| v.widen());
        let min = lo
            .into_iter()
            .chain(tail.clone())
            .fold(f64::INFINITY, |m, v| if v < m { v } else { m });
        let max = hi
            .into_iter()
            .chain(tail)
            .fold(-f64::INFINITY, |m, v| if v > m { v } else { m });
        (min, max)
    }
}

/// The sum of one whole block at `p`, prefetching ahead, and its elements into `ext`.
///
/// # Safety
///
/// `p` is valid for reading `BLOCK_LEN` elements; the CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn scan_block<V: F64x8, T: Float>(p: *const T, ext: &mut Extremes<V>) -> f64 {
    // SAFETY: forwarded; row `r` reads `p[16r..16r+16]`, inside the block.
    unsafe {
        let (mut s0, mut s1) = (V::splat(-0.0), V::splat(-0.0));
        for r in 0..ROWS {
            let q = p.add(r * LANES);
            prefetch_row(q);
            let (a, b) = row::<V, T>(q);
            s0 = s0.add(a);
            s1 = s1.add(b);
            ext.lo = [a.min(ext.lo[0]), b.min(ext.lo[1])];
            ext.hi = [a.max(ext.hi[0]), b.max(ext.hi[1])];
        }
        fold(s0, s1)
    }
}

/// `Σ (x − mean)²` of one whole block at `p` (`m` holds the mean in every lane).
///
/// # Safety
///
/// `p` is valid for reading `BLOCK_LEN` elements; the CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn m2_block<V: F64x8, T: Float>(p: *const T, m: V) -> f64 {
    // SAFETY: forwarded; row `r` reads `p[16r..16r+16]`, inside the block.
    unsafe {
        let (mut s0, mut s1) = (V::splat(-0.0), V::splat(-0.0));
        for r in 0..ROWS {
            let (a, b) = row::<V, T>(p.add(r * LANES));
            let (d0, d1) = (a.sub(m), b.sub(m));
            s0 = s0.add(d0.mul(d0));
            s1 = s1.add(d1.mul(d1));
        }
        fold(s0, s1)
    }
}

/// `(x − mean)²` for the scalar tail: the same two roundings.
#[inline(always)]
fn square<T: Float>(mean: f64) -> impl Fn(T) -> f64 + Copy {
    move |v: T| {
        let d = v.widen() - mean;
        d * d
    }
}

/// One pass over a chunk for the statistics: its §1 tree sum (every element present) and its
/// smallest and largest elements. Meaningful only when the chunk holds no NaN — which the sum
/// tells: a NaN element makes it NaN. Which zero (±0.0) `min`/`max` return when zeros tie is
/// unspecified; the caller resolves it.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_scan<V: F64x8, T: Float>(x: &[T]) -> (f64, f64, f64) {
    // SAFETY: the caller guarantees the ISA.
    let mut ext = unsafe { Extremes::<V>::new() };
    let whole = |blk: &[T; BLOCK_LEN]| {
        // SAFETY: the ISA as above; `blk` is a whole block.
        unsafe { scan_block(blk.as_ptr(), &mut ext) }
    };
    let sum = chunk_tree_by(x, whole, |tail| block(tail, T::widen));
    // SAFETY: the ISA as above.
    let (min, max) = unsafe { ext.finish(x.chunks_exact(BLOCK_LEN).remainder()) };
    (sum, min, max)
}

/// `Σ (x − mean)²` over one NaN-free chunk in the §1 tree: per element `d = x − mean; d · d` (two
/// roundings, no FMA), exactly as the reference statistics compute it.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_m2<V: F64x8, T: Float>(x: &[T], mean: f64) -> f64 {
    // SAFETY: the caller guarantees the ISA.
    let m = unsafe { V::splat(mean) };
    let whole = |blk: &[T; BLOCK_LEN]| {
        // SAFETY: the ISA as above; `blk` is a whole block.
        unsafe { m2_block(blk.as_ptr(), m) }
    };
    chunk_tree_by(x, whole, |tail| block(tail, square(mean)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::lanes::chunk_tree;
    use crate::kernels::simd::Portable;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::kernels::proptest_config(256))]

        /// `Portable` (the vector type off x86-64 and under Miri) gives the reference tree's bits;
        /// the x86 types are compared through `chunk_sum_on` in tests/kernels_sum.rs.
        #[test]
        fn portable_sum_and_m2_match_reference(
            x in prop::collection::vec(-1e6f64..1e6, 0..if cfg!(miri) { 600 } else { 5000 }),
            mean in -10f64..10.0,
        ) {
            // SAFETY: `Portable` runs on any CPU.
            let (sum, m2) = unsafe { (chunk_sum::<Portable, f64>(&x), chunk_m2::<Portable, f64>(&x, mean)) };
            prop_assert_eq!(sum.to_bits(), chunk_tree(&x, |v| v).to_bits());
            let want = chunk_tree(&x, |v: f64| (v - mean) * (v - mean));
            prop_assert_eq!(m2.to_bits(), want.to_bits());
        }
    }
}
