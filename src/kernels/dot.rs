//! The dot product of two equally long columns, [`Dot`], in the summation tree of
//! `docs/numerics.md` §1 over the products `x_i · y_i` (lane `j` of a block adds the products of
//! rows `j, j + 16, …`; the lanes fold; the blocks combine by the "largest power of two" rule), at
//! one of two accuracies, and exactly ([`ExactDot`], its own kernel since its partial differs):
//!
//! - `Fast`: one multiply and one add per pair (no fused multiply-add, so every CPU rounds alike):
//!   error ≤ `γ_(D+1) · Σ|x_i·y_i|`, as a sum of the rounded products.
//! - `Compensated`: each lane carries a Neumaier pair, and each product's rounding error (exact, by
//!   a fused multiply-add: `fma(x, y, −p)`) joins the correction: about twice the working
//!   precision, like `Accuracy::Compensated` for sums.
//! - `Exact` ([`ExactDot`]): every product split exactly into two doubles, summed exactly in a
//!   [`Superaccumulator`] and rounded once.
//!
//! Integer columns are converted to `f64` (`as f64`) and multiplied there. NaN follows IEEE (any
//! NaN, or `0 · ∞`, gives NaN; canonical).

use super::compensated::{self, Pair};
use super::element::Float;
use super::exact::{self, Superaccumulator};
use super::f64x8::{prefetch, F64x8, PREFETCH_BYTES};
use super::isa::isa_dispatch;
use super::kernel::{ChunkAt, Kernel};
use super::sum::Accuracy;
use super::tree::{canonical, fold, tree, LANES};
use crate::sched::{BLOCK_LEN, CHUNK_BLOCKS};
use std::marker::PhantomData;

/// The dot product of two float columns as a [`Kernel`]: `Σ x_i · y_i` in the §1 tree, fast
/// ([`new`](Dot::new)) or compensated ([`compensated`](Dot::compensated); module doc). Input: `(&[T], &[T])`, equally long (else [`Pool::run`] returns
/// an error naming the lengths). Partial: the chunk's `(sum, correction)` as `[f64; 2]`.
///
/// [`Pool::run`]: crate::Pool::run
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Dot};
///
/// let x: Vec<f64> = (0..100_000).map(|i| i as f64).collect();
/// let y = vec![0.5; 100_000];
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let fast = pool.run(&Dot::new(), (&x[..], &y[..]))?;
/// assert_eq!(fast, 0.5 * 99_999.0 * 100_000.0 / 2.0);
/// assert_eq!(fast, run_sequential(&Dot::new(), (&x[..], &y[..]))?);
/// // Cancellation in one lane (elements 0, 16 and 32 share it): compensated keeps the 1.0.
/// let mut a = vec![0.0; 33];
/// (a[0], a[16], a[32]) = (1e16, 1.0, -1e16);
/// let b = vec![1.0; 33];
/// assert_eq!(pool.run(&Dot::new(), (&a[..], &b[..]))?, 0.0);
/// assert_eq!(pool.run(&Dot::compensated(), (&a[..], &b[..]))?, 1.0);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dot<T> {
    accuracy: Accuracy,
    _t: PhantomData<fn(&T)>,
}

impl<T: Float> Dot<T> {
    /// The fast dot product ([`Accuracy::Fast`]).
    pub fn new() -> Self {
        Dot {
            accuracy: Accuracy::Fast,
            _t: PhantomData,
        }
    }

    /// The compensated dot product ([`Accuracy::Compensated`]).
    pub fn compensated() -> Self {
        Dot {
            accuracy: Accuracy::Compensated,
            _t: PhantomData,
        }
    }

    /// The accuracy the kernel runs at: `Fast` or `Compensated`.
    pub fn accuracy(&self) -> Accuracy {
        self.accuracy
    }
}

impl<T: Float> Default for Dot<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The exact dot product of two float columns as a [`Kernel`]: `Σ x_i · y_i` computed exactly and
/// rounded once (the dot product's [`Accuracy::Exact`]), for products within the range the
/// module docs of `exact.rs` state (`2^-969 ≤ |x·y| ≤ f64::MAX`, or zero; each smaller product
/// may be off by 2^-1075, a larger one makes the result `±∞`). Partial: the chunk's
/// [`Superaccumulator`]; its merge is exact, so partials merged in any order give the same bits.
/// NaN (any NaN, `0 · ∞`, `+∞ − ∞`): the canonical NaN. Empty columns: `+0.0`.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Dot, ExactDot};
///
/// // 1e16·1 + 1·1 − 1e16·1 in one lane: the fast dot loses the 1, the exact one cannot.
/// let mut x = vec![0.0; 33];
/// (x[0], x[16], x[32]) = (1e16, 1.0, -1e16);
/// let y = vec![1.0; 33];
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// assert_eq!(pool.run(&Dot::new(), (&x[..], &y[..]))?, 0.0);
/// assert_eq!(pool.run(&ExactDot::new(), (&x[..], &y[..]))?, 1.0);
/// // Products whose rounding errors matter: (1 + 2^-30)² − 1 − 2^-29 is exactly 2^-60.
/// let a = [1.0 + 2f64.powi(-30), -1.0, -(2f64.powi(-29))];
/// let b = [1.0 + 2f64.powi(-30), 1.0, 1.0];
/// assert_eq!(run_sequential(&ExactDot::new(), (&a[..], &b[..]))?, 2f64.powi(-60));
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ExactDot<T> {
    _t: PhantomData<fn(&T)>,
}

impl<T: Float> ExactDot<T> {
    /// The exact dot product.
    pub fn new() -> Self {
        Self { _t: PhantomData }
    }
}

impl<T: Float> Default for ExactDot<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Kernel for ExactDot<T> {
    type Input<'a> = (&'a [T], &'a [T]);
    type Partial = Superaccumulator;
    type Output = f64;
    fn chunk(&self, _: ChunkAt, (x, y): (&[T], &[T])) -> Superaccumulator {
        if x.is_empty() {
            // The empty dot product is +0.0, as the empty sum.
            let mut acc = Superaccumulator::new();
            acc.add(0.0);
            return acc;
        }
        exact::dot_chunk((x, y))
    }
    fn merge(&self, left: Superaccumulator, right: Superaccumulator) -> Superaccumulator {
        Superaccumulator::merge(left, right)
    }
    fn finish(&self, root: Superaccumulator) -> f64 {
        root.round()
    }
}

/// The `Fast` tree value of one chunk's products: the portable reference of [`fast_on`].
#[cfg(test)]
fn fast_chunk<T: Float>((x, y): (&[T], &[T])) -> f64 {
    let mut sums = [0.0f64; CHUNK_BLOCKS];
    let mut n = 0;
    for (b, (bx, by)) in x.chunks(BLOCK_LEN).zip(y.chunks(BLOCK_LEN)).enumerate() {
        sums[b] = fast_block(bx, by);
        n = b + 1;
    }
    tree(&mut sums[..n])
}

/// The §1 block value of the products of `x` and `y` (at most a block, equally long).
#[inline(always)]
fn fast_block<T: Float>(x: &[T], y: &[T]) -> f64 {
    let mut acc = [-0.0f64; LANES];
    for (rx, ry) in x.chunks(LANES).zip(y.chunks(LANES)) {
        for j in 0..rx.len() {
            acc[j] += rx[j].widen() * ry[j].widen();
        }
    }
    fold(acc)
}

/// [`fast_chunk`] on explicit vectors: each whole block's 16 lanes as two `V`s, a product and an
/// add a lane a row (never fused), the row's lines [`PREFETCH_BYTES`] further on in both columns
/// asked for; the partial block as the reference. The same operations in the same order, so the
/// same bits; the prefetch lets the reads of both streams overlap the arithmetic.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn fast_on<V: F64x8, T: Float>((x, y): (&[T], &[T])) -> f64 {
    assert_eq!(x.len(), y.len(), "equally long columns");
    let (bx, tx) = x.as_chunks::<BLOCK_LEN>();
    let (by, ty) = y.as_chunks::<BLOCK_LEN>();
    let n = bx.len() + usize::from(!tx.is_empty());
    assert!(n <= CHUNK_BLOCKS, "one chunk at most");
    let mut sums = [0.0f64; CHUNK_BLOCKS];
    let row_bytes = LANES * std::mem::size_of::<T>();
    for (b, (px, py)) in bx.iter().zip(by).enumerate() {
        // SAFETY: the caller guarantees `V`'s ISA; row `r` reads `px[16r..16r + 16]` and the same
        // of `py`, in bounds; the prefetches read nothing.
        unsafe {
            let mut acc = [V::splat(-0.0); 2];
            for r in 0..BLOCK_LEN / LANES {
                let (qx, qy) = (px.as_ptr().add(r * LANES), py.as_ptr().add(r * LANES));
                for line in (0..row_bytes).step_by(64) {
                    prefetch(qx.cast::<u8>().wrapping_add(PREFETCH_BYTES + line));
                    prefetch(qy.cast::<u8>().wrapping_add(PREFETCH_BYTES + line));
                }
                let (a0, a1) = (T::load8::<V>(qx), T::load8::<V>(qx.add(8)));
                let (b0, b1) = (T::load8::<V>(qy), T::load8::<V>(qy.add(8)));
                acc = [acc[0].add(a0.mul(b0)), acc[1].add(a1.mul(b1))];
            }
            sums[b] = acc[0].add(acc[1]).fold();
        }
    }
    if !tx.is_empty() {
        sums[bx.len()] = fast_block(tx, ty);
    }
    tree(&mut sums[..n])
}

/// The `Compensated` pair of one chunk's products.
#[inline(always)]
fn compensated_chunk<T: Float>((x, y): (&[T], &[T])) -> Pair {
    let mut sums = [(0.0, 0.0); CHUNK_BLOCKS];
    let mut n = 0;
    for (b, (bx, by)) in x.chunks(BLOCK_LEN).zip(y.chunks(BLOCK_LEN)).enumerate() {
        let mut s = [-0.0f64; LANES];
        let mut c = [-0.0f64; LANES];
        for (rx, ry) in bx.chunks(LANES).zip(by.chunks(LANES)) {
            for j in 0..rx.len() {
                let (u, v) = (rx[j].widen(), ry[j].widen());
                let p = u * v;
                compensated::add(&mut s[j], &mut c[j], p);
                // The product's rounding error, exactly (a fused multiply-add is one rounding of
                // u·v − p, which is representable). Not finite where p is not: then s is the answer.
                let e = u.mul_add(v, -p);
                if e.is_finite() {
                    c[j] += e;
                }
            }
        }
        sums[b] = compensated::fold(s, c);
        n = b + 1;
    }
    compensated::tree(&sums[..n])
}

isa_dispatch!(fast_isa, fast, vector fast_on, <T: Float>((&[T], &[T])) -> f64);
isa_dispatch!(compensated_isa, compensated, compensated_chunk, <T: Float>((&[T], &[T])) -> Pair);

impl<T: Float> Kernel for Dot<T> {
    type Input<'a> = (&'a [T], &'a [T]);
    type Partial = [f64; 2];
    type Output = f64;
    fn chunk(&self, _: ChunkAt, (x, y): (&[T], &[T])) -> [f64; 2] {
        if x.is_empty() {
            return [0.0, 0.0];
        }
        match self.accuracy {
            Accuracy::Fast => [fast((x, y)), 0.0],
            _ => {
                let (s, c) = compensated((x, y));
                [s, c]
            }
        }
    }
    fn merge(&self, [ls, lc]: [f64; 2], [rs, rc]: [f64; 2]) -> [f64; 2] {
        match self.accuracy {
            Accuracy::Fast => [ls + rs, 0.0],
            _ => {
                let (s, c) = compensated::merge((ls, lc), (rs, rc));
                [s, c]
            }
        }
    }
    fn finish(&self, [s, c]: [f64; 2]) -> f64 {
        canonical(match self.accuracy {
            Accuracy::Fast => s,
            _ => compensated::finish((s, c)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Fast tree of products is the §1 tree of the rounded products (the sum's own tree).
    #[test]
    #[cfg_attr(miri, ignore = "float arithmetic only, no unsafe: slow under Miri")]
    fn fast_is_the_tree_of_the_products() {
        let x: Vec<f64> = (0..5000).map(|i| (i as f64).sin() * 1e3).collect();
        let y: Vec<f64> = (0..5000).map(|i| (i as f64).cos()).collect();
        let p: Vec<f64> = x.iter().zip(&y).map(|(a, b)| a * b).collect();
        let want = super::super::tree::chunk_tree(&p, |v| v);
        assert_eq!(fast_chunk((&x, &y)).to_bits(), want.to_bits());
    }

    /// Every ISA this CPU has gives the baseline's bits, for each accuracy (the code is the same
    /// portable loops, compiled for each; no contraction into fused multiply-adds).
    #[test]
    fn isas_agree() {
        use super::super::isa::Isa;
        let n = if cfg!(miri) { 300 } else { 5000 };
        let x: Vec<f64> = (0..n).map(|i| (i as f64).sin() * 1e3).collect();
        let y: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).cos()).collect();
        let input = (&x[..], &y[..]);
        // The vector loop on the reference lanes (Miri too) and on every ISA: the reference's bits.
        for len in [0, 1, 17, 256, 300, n].into_iter().filter(|&l| l <= n) {
            let part = (&x[..len], &y[..len]);
            let want = fast_chunk(part).to_bits();
            // SAFETY: `Portable` runs on any CPU.
            let got = unsafe { fast_on::<crate::kernels::f64x8::Portable, f64>(part) };
            assert_eq!(got.to_bits(), want, "{len}: portable vectors");
            for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512]
                .into_iter()
                .filter(|_| !cfg!(miri))
            {
                if let Some(f) = fast_isa(isa, part) {
                    assert_eq!(f.to_bits(), want, "{len}: {isa:?}");
                }
            }
        }
        let base = (
            fast_isa(Isa::Baseline, input).unwrap(),
            compensated_isa(Isa::Baseline, input).unwrap(),
            exact::dot_chunk_isa(Isa::Baseline, input).unwrap(),
        );
        for isa in [Isa::Avx2, Isa::Avx512] {
            if let Some(f) = fast_isa(isa, input) {
                assert_eq!(f.to_bits(), base.0.to_bits(), "{isa:?}");
                let c = compensated_isa(isa, input).unwrap();
                assert_eq!(
                    (c.0.to_bits(), c.1.to_bits()),
                    (base.1 .0.to_bits(), base.1 .1.to_bits()),
                    "{isa:?}"
                );
                assert_eq!(exact::dot_chunk_isa(isa, input).unwrap(), base.2, "{isa:?}");
            }
        }
    }
}
