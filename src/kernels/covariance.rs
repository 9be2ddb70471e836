//! Covariance and Pearson correlation of two equally long columns in one read: [`Covariance`], a
//! [`Kernel`], and [`CoMoments`], its partial and result.
//!
//! As for [`Stats`](super::Stats), each mean is kept as a pair `c + Σ(x − c)/n` (per chunk `c` is
//! the chunk's mean, then one pass sums `x − cx`, `y − cy`, their squares and their product, each
//! in the `docs/numerics.md` §1 tree), and chunks merge with Chan's pairwise formulas, so data
//! around a large offset keeps its precision. NaN propagates, as `numpy.cov` does: a pair with a
//! NaN makes every result NaN.

use super::f64x8::F64x8;
use super::isa::isa_dispatch;
use super::kernel::{ChunkAt, Kernel};
use super::partial::plain_partial;
use super::stats::StatElement;
use super::tree::{canonical, two_sum};
use bytemuck::Zeroable;
use std::fmt;
use std::marker::PhantomData;

/// The count, means, second moments and co-moment of pairs `(x, y)`. Plain old data
/// (`#[repr(C)]`, 80 bytes).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Covariance};
///
/// let (x, y) = ([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0]);
/// let c = run_sequential(&Covariance::new(), (&x[..], &y[..]))?;
/// // numpy.cov(x, y)[0, 1] is 3.833333333333333, numpy.corrcoef(x, y)[0, 1] 0.994376712684369:
/// // here the exact 11.5 / 3 correctly rounded, and the same correlation within an ulp.
/// assert_eq!(c.covariance(1), Some(11.5 / 3.0));
/// assert!((c.correlation().unwrap() - 0.994376712684369).abs() <= 2.3e-16); // one ulp
/// # Ok::<(), shmkern::Error>(())
/// ```
#[repr(C)]
pub struct CoMoments<T: StatElement> {
    count: u64,
    /// Pairs with a NaN in either column (every result is then NaN).
    nan_count: u64,
    cx: f64,
    cx_lo: f64,
    cy: f64,
    cy_lo: f64,
    /// `Σ (x − mean_x)²`, `Σ (y − mean_y)²`, `Σ (x − mean_x)(y − mean_y)`.
    m2x: f64,
    m2y: f64,
    cxy: f64,
    _reserved: u64,
    _t: PhantomData<T>,
}

plain_partial!(CoMoments, 10);

impl<T: StatElement> fmt::Debug for CoMoments<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoMoments")
            .field("count", &self.count)
            .field("covariance", &self.covariance(1))
            .field("correlation", &self.correlation())
            .finish()
    }
}

impl<T: StatElement> CoMoments<T> {
    /// No pair: the merge's identity.
    pub fn empty() -> Self {
        Zeroable::zeroed()
    }

    /// Pairs read (those with a NaN included).
    pub fn count(&self) -> u64 {
        self.count
    }

    fn nan(&self) -> bool {
        self.nan_count > 0
    }

    /// The means of the two columns, `None` without a pair.
    pub fn means(&self) -> Option<(f64, f64)> {
        (self.count > 0).then(|| {
            if self.nan() {
                return (f64::NAN, f64::NAN);
            }
            (
                canonical(self.cx + self.cx_lo),
                canonical(self.cy + self.cy_lo),
            )
        })
    }

    /// `Σ (x − mean_x)(y − mean_y) / (count − ddof)` (numpy's `cov(x, y)[0, 1]` with `ddof`; its
    /// default is 1), `None` when `count <= ddof`.
    pub fn covariance(&self, ddof: u64) -> Option<f64> {
        (self.count > ddof).then(|| {
            if self.nan() {
                return f64::NAN;
            }
            canonical(self.cxy / (self.count - ddof) as f64)
        })
    }

    /// The variances of the two columns with `ddof`, `None` when `count <= ddof`.
    pub fn variances(&self, ddof: u64) -> Option<(f64, f64)> {
        (self.count > ddof).then(|| {
            if self.nan() {
                return (f64::NAN, f64::NAN);
            }
            let d = (self.count - ddof) as f64;
            ((self.m2x / d).max(0.0), (self.m2y / d).max(0.0))
        })
    }

    /// Pearson's correlation `Σ dx·dy / sqrt(Σ dx² · Σ dy²)`, clamped to `[−1, 1]` (as
    /// `numpy.corrcoef` clips it): `None` below 2 pairs; NaN when a column is constant (0/0) or a
    /// pair holds a NaN.
    pub fn correlation(&self) -> Option<f64> {
        (self.count >= 2).then(|| {
            if self.nan() {
                return f64::NAN;
            }
            // One square root of the product (two roundings: a perfect correlation comes out as
            // ±1 wherever the product is exact); each its own where the product would overflow or
            // fall below the normal range.
            let product = self.m2x * self.m2y;
            let r = if product.is_normal() {
                self.cxy / product.sqrt()
            } else {
                self.cxy / (self.m2x.sqrt() * self.m2y.sqrt())
            };
            canonical(r.clamp(-1.0, 1.0))
        })
    }

    /// The co-moments of `a`'s pairs followed by `b`'s (Chan's formulas, the means as pairs).
    pub fn merge(a: Self, b: Self) -> Self {
        let nan_count = a.nan_count + b.nan_count;
        if a.count == 0 || b.count == 0 {
            let only = if a.count == 0 { b } else { a };
            return CoMoments { nan_count, ..only };
        }
        let n = a.count + b.count;
        let (na, nb, nf) = (a.count as f64, b.count as f64, n as f64);
        let dx = (b.cx - a.cx) + (b.cx_lo - a.cx_lo);
        let dy = (b.cy - a.cy) + (b.cy_lo - a.cy_lo);
        let (cx, cx_lo) = two_sum(a.cx, a.cx_lo + dx * (nb / nf));
        let (cy, cy_lo) = two_sum(a.cy, a.cy_lo + dy * (nb / nf));
        let ab = na * nb / nf;
        CoMoments {
            count: n,
            nan_count,
            cx: canonical(cx),
            cx_lo: canonical(cx_lo),
            cy: canonical(cy),
            cy_lo: canonical(cy_lo),
            m2x: canonical(a.m2x + b.m2x + dx * dx * ab),
            m2y: canonical(a.m2y + b.m2y + dy * dy * ab),
            cxy: canonical(a.cxy + b.cxy + dx * dy * ab),
            _reserved: 0,
            _t: PhantomData,
        }
    }

    /// The co-moments of one chunk of pairs: the centres from the §1 sums, then the five sums
    /// about them, all on `V`'s vector passes (`passes.rs`), which perform the reference's
    /// operations in its order (NaNs included: they propagate as IEEE says, and are counted).
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[inline(always)]
    unsafe fn of_chunk<V: F64x8>(x: &[T], y: &[T]) -> Self {
        let n = x.len() as f64;
        // SAFETY: forwarded from the caller.
        let (cx, cy) = unsafe { (T::vector_sum::<V>(x) / n, T::vector_sum::<V>(y) / n) };
        // SAFETY: forwarded from the caller.
        let sums = unsafe { T::vector_co_sums::<V>(x, y, cx, cy) };
        Self::from_sums(x, y, (cx, cy), sums)
    }

    /// The co-moments of the pairs `(x, y)`, about the centres `c` with the sums
    /// `[Σ dx, Σ dy, Σ dx², Σ dy², Σ dx·dy]` (each in the §1 tree).
    #[inline(always)]
    fn from_sums(x: &[T], y: &[T], (cx, cy): (f64, f64), sums: [f64; 5]) -> Self {
        let nans = x
            .iter()
            .zip(y)
            .filter(|(a, b)| a.is_nan() || b.is_nan())
            .count() as u64;
        let count = x.len() as u64;
        let n = count as f64;
        let [s1x, s1y, s2x, s2y, sxy] = sums;
        let (ex, ey) = (s1x / n, s1y / n);
        CoMoments {
            count,
            nan_count: nans,
            cx: canonical(cx),
            cx_lo: canonical(ex),
            cy: canonical(cy),
            cy_lo: canonical(ey),
            m2x: canonical(s2x - s1x * ex),
            m2y: canonical(s2y - s1y * ey),
            cxy: canonical(sxy - s1x * ey),
            _reserved: 0,
            _t: PhantomData,
        }
    }

    /// [`of_chunk`](Self::of_chunk) in portable code: the reference its vector passes match.
    #[cfg(test)]
    fn reference(x: &[T], y: &[T]) -> Self {
        use super::tree::{chunk_tree, fold, tree, LANES};
        use crate::sched::{BLOCK_LEN, CHUNK_BLOCKS};
        let n = x.len() as f64;
        let cx = chunk_tree(x, |v: T| v.value()) / n;
        let cy = chunk_tree(y, |v: T| v.value()) / n;
        // Σ dx, Σ dy, Σ dx², Σ dy², Σ dx·dy in the §1 tree, one pass.
        let mut sums = [[0.0f64; CHUNK_BLOCKS]; 5];
        let mut blocks = 0;
        for (b, (bx, by)) in x.chunks(BLOCK_LEN).zip(y.chunks(BLOCK_LEN)).enumerate() {
            let mut acc = [[-0.0f64; LANES]; 5];
            for (rx, ry) in bx.chunks(LANES).zip(by.chunks(LANES)) {
                for j in 0..rx.len() {
                    let (dx, dy) = (rx[j].value() - cx, ry[j].value() - cy);
                    let p = [dx, dy, dx * dx, dy * dy, dx * dy];
                    for k in 0..5 {
                        acc[k][j] += p[k];
                    }
                }
            }
            for k in 0..5 {
                sums[k][b] = fold(acc[k]);
            }
            blocks = b + 1;
        }
        let sums = std::array::from_fn(|k| tree(&mut sums[k][..blocks]));
        Self::from_sums(x, y, (cx, cy), sums)
    }
}

/// Covariance and Pearson correlation as a [`Kernel`] over two equally long columns (`(&[T],
/// &[T])`; unequal lengths are an error from [`Pool::run`](crate::Pool::run)): partial and result
/// [`CoMoments`].
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Covariance};
///
/// // Around a large offset the covariance keeps its precision.
/// let x: Vec<f64> = (0..100_000).map(|i| 1e9 + (i % 10) as f64).collect();
/// let y: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let c = pool.run(&Covariance::new(), (&x[..], &y[..]))?;
/// assert_eq!(c, run_sequential(&Covariance::new(), (&x[..], &y[..]))?); // the same bits
/// assert_eq!(c.covariance(0), Some(16.5));
/// assert_eq!(c.correlation(), Some(1.0));
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Covariance<T: StatElement> {
    _t: PhantomData<fn(&T)>,
}

impl<T: StatElement> Covariance<T> {
    /// The kernel (it has no parameters).
    pub fn new() -> Self {
        Covariance { _t: PhantomData }
    }
}

impl<T: StatElement> Default for Covariance<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// One chunk's co-moments on `V` (a function, so the ISA dispatch can name it).
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn chunk_on<V: F64x8, T: StatElement>((x, y): (&[T], &[T])) -> CoMoments<T> {
    // SAFETY: forwarded from the caller.
    unsafe { CoMoments::of_chunk::<V>(x, y) }
}

isa_dispatch!(chunk_isa, chunk, vector chunk_on, <T: StatElement>((&[T], &[T])) -> CoMoments<T>);

impl<T: StatElement> Kernel for Covariance<T> {
    type Input<'a> = (&'a [T], &'a [T]);
    type Partial = CoMoments<T>;
    type Output = CoMoments<T>;
    fn chunk(&self, _: ChunkAt, (x, y): (&[T], &[T])) -> CoMoments<T> {
        if x.is_empty() {
            return CoMoments::empty();
        }
        chunk((x, y))
    }
    fn merge(&self, left: CoMoments<T>, right: CoMoments<T>) -> CoMoments<T> {
        CoMoments::merge(left, right)
    }
    fn finish(&self, root: CoMoments<T>) -> CoMoments<T> {
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::f64x8::Portable;
    use crate::kernels::isa::Isa;

    /// The vector passes (on the reference lanes, so under Miri too, and on every ISA) give the
    /// portable reference's bytes: lengths around the blocks and the chunk, floats and integers,
    /// NaNs and infinities.
    #[test]
    fn vector_passes_give_the_references_bits() {
        fn check<T: StatElement>(x: &[T], y: &[T], what: &str) {
            let want = CoMoments::reference(x, y);
            let bytes = |c: &CoMoments<T>| bytemuck::bytes_of(c).to_vec();
            // SAFETY: `Portable` runs on any CPU.
            let got = unsafe { chunk_on::<Portable, T>((x, y)) };
            assert_eq!(bytes(&got), bytes(&want), "{what}: portable vectors");
            // Under Miri every ISA is the reference lanes' baseline, checked above.
            for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512]
                .into_iter()
                .filter(|_| !cfg!(miri))
            {
                if let Some(got) = chunk_isa(isa, (x, y)) {
                    assert_eq!(bytes(&got), bytes(&want), "{what}: {isa:?}");
                }
            }
        }
        let lens: &[usize] = if cfg!(miri) {
            &[300]
        } else {
            &[0, 1, 15, 16, 255, 256, 257, 5000, crate::sched::CHUNK_LEN]
        };
        for &len in lens {
            let x: Vec<f64> = (0..len).map(|i| 1e6 + (i as f64).sin() * 3.0).collect();
            let y: Vec<f64> = (0..len).map(|i| (i as f64 * 0.3).cos() - 2.0).collect();
            check(&x, &y, &format!("{len} f64"));
            let (xf, yf): (Vec<f32>, Vec<f32>) = x
                .iter()
                .zip(&y)
                .map(|(&a, &b)| ((a - 1e6) as f32, b as f32))
                .unzip();
            check(&xf, &yf, &format!("{len} f32"));
            if len > 0 {
                let mut z = x.clone();
                z[len / 2] = f64::NAN;
                check(&z, &y, &format!("{len} f64, a NaN"));
                z[len / 2] = f64::INFINITY;
                check(&y, &z, &format!("{len} f64, ∞"));
            }
            let xi: Vec<i32> = (0..len as i32).map(|i| i * 7919 % 1000 - 500).collect();
            let yi: Vec<i32> = (0..len as i32).map(|i| i * 31 % 77).collect();
            check(&xi, &yi, &format!("{len} i32"));
            let xb: Vec<u8> = (0..len).map(|i| (i * 13 % 256) as u8).collect();
            check(&xb, &xb, &format!("{len} u8"));
        }
    }
}
