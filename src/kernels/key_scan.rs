//! The extremes' first step for float data on explicit vectors ([`I64x8`]): the NaN count and the
//! smallest and largest total-order keys of a chunk, one row of eight values a step, with a
//! prefetch of the row [`PREFETCH_BYTES`] ahead in each step.
//!
//! The portable loop (`stats::key_extremes`) is compute-light but cannot overlap its reads with
//! anything: LLVM does not vectorize a loop with a prefetch in it, and streamed from memory the
//! chunk then costs its arithmetic *plus* its read. Here each row asks for a line further on, so
//! the memory works while the lanes compare. The key of a value is that of `stats::f64_key` (the
//! widened value's bits, the magnitude bits flipped for negatives), a NaN neither count's minimum
//! nor maximum: the same integers as the portable loop, so the same result.

use super::element::Float;
use super::exact::{ABS, INF_BITS};
use super::f64x8::{prefetch, PREFETCH_BYTES};
use super::i64x8::I64x8;

/// `(NaN count, smallest key, largest key)` of `x`'s non-NaN elements (`i64::MAX`, `i64::MIN`
/// when there is none), as `stats::key_extremes` gives them.
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
pub(crate) unsafe fn key_extremes<L: I64x8, T: Float>(x: &[T]) -> (u64, i64, i64) {
    let (rows, rest) = x.as_chunks::<8>();
    let ahead = PREFETCH_BYTES / std::mem::size_of::<T>();
    let line = 64 / std::mem::size_of::<T>();
    // SAFETY: every `L` call needs `L`'s ISA, the caller's guarantee; each load reads one row of
    // `rows`; the prefetch reads nothing.
    let (nans, lo, hi) = unsafe {
        let zero = L::splat(0);
        let (abs, inf) = (L::splat(ABS as i64), L::splat(INF_BITS as i64));
        let (none_lo, none_hi) = (L::splat(i64::MAX), L::splat(i64::MIN));
        let (mut nans, mut lo, mut hi) = (zero, none_lo, none_hi);
        for (i, row) in rows.iter().enumerate() {
            if (8 * i).is_multiple_of(line) {
                prefetch(row.as_ptr().wrapping_add(ahead));
            }
            let b = L::load(row.as_ptr());
            let nan = b.and(abs).gt(inf);
            // Negative values: every bit but the sign flipped (`zero > b` is all ones, shifted).
            let key = b.xor(zero.gt(b).shr1());
            nans = nans.add(nan); // −1 a NaN
            lo = lo.min64(L::select(nan, none_lo, key));
            hi = hi.max64(L::select(nan, none_hi, key));
        }
        let nans = nans.to_array().iter().fold(0i64, |a, &n| a.wrapping_sub(n)) as u64;
        (nans, lo.to_array(), hi.to_array())
    };
    let mut out = (
        nans,
        lo.into_iter().min().unwrap_or(i64::MAX),
        hi.into_iter().max().unwrap_or(i64::MIN),
    );
    for v in rest {
        let v = v.widen();
        if v.is_nan() {
            out.0 += 1;
        } else {
            let b = v.to_bits() as i64;
            let key = b ^ (((b >> 63) as u64) >> 1) as i64;
            out = (out.0, out.1.min(key), out.2.max(key));
        }
    }
    out
}
