//! Covariance and Pearson correlation of two equally long columns in one read: [`Covariance`], a
//! [`Kernel`], and [`CoMoments`], its partial and result.
//!
//! As for [`Stats`](super::Stats), each mean is kept as a pair `c + Σ(x − c)/n` (per chunk `c` is
//! the chunk's mean, then one pass sums `x − cx`, `y − cy`, their squares and their product, each
//! in the `docs/numerics.md` §1 tree), and chunks merge with Chan's pairwise formulas, so data
//! around a large offset keeps its precision. NaN propagates, as `numpy.cov` does: a pair with a
//! NaN makes every result NaN.

use super::isa::isa_dispatch;
use super::kernel::{ChunkAt, Kernel};
use super::partial::plain_partial;
use super::stats::StatElement;
use super::tree::{canonical, chunk_tree, fold, tree, two_sum, LANES};
use crate::sched::{BLOCK_LEN, CHUNK_BLOCKS};
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

    /// The co-moments of one chunk of pairs.
    #[inline(always)]
    fn of_chunk(x: &[T], y: &[T]) -> Self {
        let nans = x
            .iter()
            .zip(y)
            .filter(|(a, b)| a.is_nan() || b.is_nan())
            .count() as u64;
        let count = x.len() as u64;
        let n = count as f64;
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
        let [s1x, s1y, s2x, s2y, sxy] = std::array::from_fn(|k| tree(&mut sums[k][..blocks]));
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

/// One chunk's co-moments (a function, so the ISA dispatch can name it).
#[inline(always)]
fn chunk_generic<T: StatElement>((x, y): (&[T], &[T])) -> CoMoments<T> {
    CoMoments::of_chunk(x, y)
}

isa_dispatch!(chunk_isa, chunk, chunk_generic, <T: StatElement>((&[T], &[T])) -> CoMoments<T>);

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
