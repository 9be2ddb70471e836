//! The exact moments' pieces loop (`square_pieces.rs`) on explicit vectors ([`I64x8`]), one row
//! of eight values a step, with a prefetch in each step.
//!
//! The pieces are compute-bound and a block's read is memory-bound; at 1 GiB a chunk runs at
//! the speed of the arithmetic *plus* the read unless the memory works while the arithmetic does.
//! The loop reads the next block for its range (so its loads are already in flight), and asks for
//! the block after that one line a row. The auto-vectorized loop cannot take that prefetch — LLVM
//! does not vectorize a loop with a call to the prefetch intrinsic in it — so it prefetches the
//! block in one burst before the loop instead, and a burst of 128 lines stalls the core until the
//! line-fill buffers free up: the arithmetic waits for the memory. Spread over the rows, each
//! prefetch finds a free buffer.
//!
//! The operations are those of the auto-vectorized loop: the same IEEE additions in each lane and
//! exact integer sums, in another order. So the two loops give the same sums, bit for bit.

use super::element::Float;
use super::exact::{ABS, INF_BITS};
use super::f64x8::prefetch;
use super::i64x8::I64x8;

/// Degrees of the square's terms `K_k K_l` (`d = k + l`) for up to five pieces a value.
pub(super) const DEGREES: usize = 9;

/// The pieces' sums of the values `x` (NaN-free; `x.len()` a multiple of 8 and at most 2^10):
/// with `sig[k]` the splitting constant of unit `U_k`, `Σ K_k` and, by degree `d`,
/// `Σ_{k+l=d} K_k K_l` (every ordered pair: the square's terms of unit `U_0² · 2^(-26d)`); and a
/// range of `next` as [`scan`](super::square_pieces) gives it, or wider (below). Prefetches the
/// lines from `after` on, as many bytes as `next` holds.
///
/// The range is taken on the high 32-bit halves of the bit patterns, whose unsigned extremes are
/// one instruction on each ISA: the largest `|x|`'s half with all low bits set is at least the
/// largest `|x|` and has its exponent; the smallest half of `bits − 1` (zero wrapped to the top)
/// with `1` added is at most the smallest nonzero `|x|` and has its exponent or one below. A plan
/// from such a range has as many pieces as needed or one more — the same sums. A range whose
/// largest half is zero (zeros and tiny subnormals only) or that of `∞`/NaN comes back with the
/// largest bits `u64::MAX`, which sends the caller to the exact scan.
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
pub(super) unsafe fn rows<L: I64x8, const N: usize, X: Float, T: Float>(
    x: &[X],
    sig: &[f64; N],
    next: &[T],
    after: *const T,
) -> ([i64; N], [i64; DEGREES], (u64, u64)) {
    assert!(x.len() == next.len() && x.len().is_multiple_of(8) && x.len() <= 1 << 10);
    // SAFETY: every `L` call needs `L`'s ISA, the caller's guarantee; the loads read
    // `x[i..i + 8]` and `next[i..i + 8]` for `i` a multiple of 8 below `x.len()`, in bounds by
    // the assert; the prefetch reads nothing.
    unsafe {
        let zero = L::splat(0);
        let sig_lanes: [L; N] = std::array::from_fn(|k| L::splat(sig[k].to_bits() as i64));
        let (abs, minus_one) = (L::splat(ABS as i64), L::splat(-1));
        let mut sums = [zero; N];
        let mut degrees = [zero; DEGREES];
        let (mut max, mut min) = (zero, L::splat(-1));
        let line = 64 / std::mem::size_of::<T>();
        for i in (0..x.len()).step_by(8) {
            if i % line == 0 {
                prefetch(after.wrapping_add(i));
            }
            let b = L::load(next.as_ptr().add(i)).and(abs);
            max = max.max32(b);
            min = min.min32(b.add(minus_one));
            let mut r = L::load(x.as_ptr().add(i));
            let mut k = [zero; N];
            for p in 0..N {
                let t = sig_lanes[p].add_f64(r);
                k[p] = t;
                if p + 1 < N {
                    r = r.sub_f64(t.sub_f64(sig_lanes[p]));
                }
            }
            for p in 0..N {
                sums[p] = sums[p].add(k[p]);
                // The low 32 bits of `bits(t)` are the piece `K` as a signed integer; of
                // `2 · bits(t)`, `2K` (at most 2^26): each pair off the diagonal once, doubled.
                let twice = k[p].add(k[p]);
                degrees[2 * p] = degrees[2 * p].add(k[p].mul32(k[p]));
                for q in p + 1..N {
                    degrees[p + q] = degrees[p + q].add(k[q].mul32(twice));
                }
            }
        }
        let lanes = |v: L| v.to_array().iter().fold(0i64, |a, &b| a.wrapping_add(b));
        // Σ bits(t) − len · bits(σ) = Σ K (wrapping: the true value is below 2^37).
        let sums = std::array::from_fn(|p| {
            lanes(sums[p]).wrapping_sub((sig[p].to_bits() as i64).wrapping_mul(x.len() as i64))
        });
        let degrees = std::array::from_fn(|d| lanes(degrees[d]));
        let high = |v: L| v.to_array().map(|v| (v as u64 >> 32) as u32);
        let max = high(max).into_iter().max().unwrap_or(0);
        let min = high(min).into_iter().min().unwrap_or(u32::MAX);
        let range = if max == 0 || u64::from(max) << 32 >= INF_BITS {
            (u64::MAX, 0)
        } else {
            (
                (u64::from(max) << 32) | 0xffff_ffff,
                (u64::from(min) << 32) + 1,
            )
        };
        (sums, degrees, range)
    }
}
