//! Mean, variance, skewness and excess kurtosis in one read of the data: [`Moments`], a [`Kernel`],
//! and [`CentralMoments`], its partial and result.
//!
//! Per chunk: the non-NaN values' mean `c` (a first pass over the cache-resident chunk), then the
//! power sums `Σ dᵏ`, `d = x − c`, `k = 1..4`, each in the `docs/numerics.md` §1 tree (16 lanes
//! from −0.0, the halving fold, the block tree). As in [`Stats`](super::Stats), the mean is kept
//! as a pair `c + Σd / n`, so data around a large offset keeps its precision, and the central
//! moments follow from the power sums exactly as polynomials in the small rest `e = Σd / n`.
//! Chunks merge with Pébay's pairwise formulas (2008) in the canonical tree.
//!
//! A chunk without NaN or ±∞ — its sum says so, being finite — takes two passes on explicit
//! vectors (`passes.rs`: the sum, then the four power sums together), which perform the reference's
//! operations in its order; other chunks take the portable reference. The same bits either way,
//! on every ISA.

use super::f64x8::F64x8;
use super::isa::isa_dispatch;
use super::kernel::{ChunkAt, Kernel};
use super::partial::plain_partial;
use super::stats::StatElement;
use super::tree::{canonical, chunk_tree, fold, tree, two_sum, LANES};
use crate::sched::{BLOCK_LEN, CHUNK_BLOCKS};
use bytemuck::Zeroable;
use std::fmt;
use std::marker::PhantomData;

/// The count, mean and second to fourth central moments of the non-NaN values of a range, and how
/// many NaNs and infinities it holds. Plain old data (`#[repr(C)]`, 64 bytes): a partial that can
/// sit in a shared mapping or be merged later with [`CentralMoments::merge`].
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Moments};
///
/// let m = run_sequential(&Moments::new(), &[1.0, 2.0, 3.0, 10.0, f64::NAN][..])?;
/// assert_eq!((m.count(), m.nan_count()), (4, 1));
/// assert_eq!(m.mean(), Some(4.0));
/// assert_eq!(m.variance(0), Some(12.5));
/// // scipy.stats.skew and kurtosis of [1, 2, 3, 10]: 1.0182337649086284, -0.7696
/// assert!((m.skewness().unwrap() - 1.0182337649086284).abs() < 1e-15);
/// assert!((m.kurtosis().unwrap() + 0.7696).abs() < 1e-15);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[repr(C)]
pub struct CentralMoments<T: StatElement> {
    count: u64,
    nan_count: u64,
    /// Values that are ±∞ (the moments are then NaN, as IEEE arithmetic gives).
    inf_count: u64,
    /// The mean as the pair `center + center_lo`.
    center: f64,
    center_lo: f64,
    /// `Σ (x − mean)ᵏ` for k = 2, 3, 4.
    m2: f64,
    m3: f64,
    m4: f64,
    _t: PhantomData<T>,
}

plain_partial!(CentralMoments, 8);

impl<T: StatElement> fmt::Debug for CentralMoments<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CentralMoments")
            .field("count", &self.count)
            .field("nan_count", &self.nan_count)
            .field("mean", &self.mean())
            .field("variance", &self.variance(0))
            .field("skewness", &self.skewness())
            .field("kurtosis", &self.kurtosis())
            .finish()
    }
}

impl<T: StatElement> CentralMoments<T> {
    /// The moments of no value: the merge's identity.
    pub fn empty() -> Self {
        Zeroable::zeroed()
    }

    /// Non-NaN values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// NaN values (skipped by every moment).
    pub fn nan_count(&self) -> u64 {
        self.nan_count
    }

    /// The mean of the non-NaN values, `None` without any. Accurate to about one rounding of the
    /// pair `center + rest` it is kept as; NaN when some value is ±∞.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| {
            if self.inf_count > 0 {
                return f64::NAN;
            }
            canonical(self.center + self.center_lo)
        })
    }

    /// `Σ (x − mean)² / (count − ddof)`, `None` when `count <= ddof`; NaN when some value is ±∞;
    /// `+∞` when finite values overflow it.
    pub fn variance(&self, ddof: u64) -> Option<f64> {
        (self.count > ddof).then(|| {
            if self.inf_count > 0 {
                return f64::NAN;
            }
            let v = self.m2 / (self.count - ddof) as f64;
            if v.is_finite() {
                v.max(0.0)
            } else {
                f64::INFINITY
            }
        })
    }

    /// The population skewness `g1 = m3 / m2^1.5`, `mᵏ = Σ (x − mean)ᵏ / n` (scipy's
    /// `skew(bias=True)`, numpy-based tools' default): `None` below 2 values; NaN when the values
    /// are all equal (0/0), include ±∞, or are so large that `Σ (x − mean)³` overflows (beyond
    /// about `1e100` around the mean).
    pub fn skewness(&self) -> Option<f64> {
        (self.count >= 2).then(|| {
            if self.inf_count > 0 {
                return f64::NAN;
            }
            let n = self.count as f64;
            let m2 = self.m2 / n;
            // 0/0 makes a NaN whose sign differs between CPUs (x86 sets it, Arm does not).
            canonical((self.m3 / n) / (m2 * m2.sqrt()))
        })
    }

    /// The population excess kurtosis `g2 = m4 / m2² − 3` (scipy's `kurtosis(fisher=True,
    /// bias=True)`): `None` below 2 values; NaN as for [`skewness`](Self::skewness) (with
    /// `Σ (x − mean)⁴`, beyond about `1e75` around the mean).
    pub fn kurtosis(&self) -> Option<f64> {
        (self.count >= 2).then(|| {
            if self.inf_count > 0 {
                return f64::NAN;
            }
            let n = self.count as f64;
            let m2 = self.m2 / n;
            canonical((self.m4 / n) / (m2 * m2) - 3.0)
        })
    }

    /// The moments of `a` followed by `b` (Pébay's formulas, the means as pairs). Merging the
    /// chunk partials in the canonical tree gives [`Moments`]' result bit for bit.
    pub fn merge(a: Self, b: Self) -> Self {
        let (nan_count, inf_count) = (a.nan_count + b.nan_count, a.inf_count + b.inf_count);
        if a.count == 0 || b.count == 0 {
            let only = if a.count == 0 { b } else { a };
            return CentralMoments {
                nan_count,
                inf_count,
                ..only
            };
        }
        let n = a.count + b.count;
        let (na, nb, nf) = (a.count as f64, b.count as f64, n as f64);
        let delta = (b.center - a.center) + (b.center_lo - a.center_lo);
        let (center, center_lo) = two_sum(a.center, a.center_lo + delta * (nb / nf));
        let (d2, ab) = (delta * delta, na * nb / nf);
        let m2 = a.m2 + b.m2 + d2 * ab;
        let m3 = a.m3
            + b.m3
            + d2 * delta * ab * ((na - nb) / nf)
            + 3.0 * delta * (na * b.m2 - nb * a.m2) / nf;
        let m4 = a.m4
            + b.m4
            + d2 * d2 * ab * ((na * na - na * nb + nb * nb) / (nf * nf))
            + 6.0 * d2 * (na * na * b.m2 + nb * nb * a.m2) / (nf * nf)
            + 4.0 * delta * (na * b.m3 - nb * a.m3) / nf;
        CentralMoments {
            count: n,
            nan_count,
            inf_count,
            center: canonical(center),
            center_lo: canonical(center_lo),
            m2: canonical(m2),
            m3: canonical(m3),
            m4: canonical(m4),
            _t: PhantomData,
        }
    }

    /// The moments of one chunk: the mean `c` of its non-NaN values in the §1 tree, then the
    /// power sums about it, then the central moments about the pair `c + Σd/n`. A chunk whose
    /// values' sum is finite holds no NaN and no ∞ (either makes it NaN or ±∞): its sum and power
    /// sums run on `V`'s vector passes, which perform the reference's operations in its order
    /// (`passes.rs`); a chunk with NaNs or infinities (or whose sum overflows) takes the portable
    /// reference. The same bits either way.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[inline(always)]
    unsafe fn of_chunk<V: F64x8>(x: &[T]) -> Self {
        // SAFETY: forwarded from the caller.
        let sum = unsafe { T::vector_sum::<V>(x) };
        if sum.is_finite() && !x.is_empty() {
            let c = sum / x.len() as f64;
            // SAFETY: forwarded from the caller; the chunk is NaN-free.
            let s = unsafe { T::vector_powers::<V>(x, c) };
            return Self::from_sums(x.len(), 0, c, s);
        }
        Self::reference(x)
    }

    /// The moments of one chunk in portable code: what [`of_chunk`](Self::of_chunk) gives.
    fn reference(x: &[T]) -> Self {
        // NaNs and infinities in one branch-free pass (it vectorizes).
        let (nans, infs) = x.iter().fold((0usize, 0usize), |(n, i), v| {
            (
                n + usize::from(v.is_nan()),
                i + usize::from(v.value().is_infinite()),
            )
        });
        let count = x.len() - nans;
        if count == 0 {
            return CentralMoments {
                nan_count: nans as u64,
                ..Self::empty()
            };
        }
        let sum = chunk_tree(x, |v: T| if v.is_nan() { -0.0 } else { v.value() });
        let c = sum / count as f64;
        Self::from_sums(count, nans, c, power_sums(x, c)).with_infinities(infs as u64)
    }

    /// The central moments of `count` values (and `nans` NaNs) about `c + e`, `e = s1 / count`,
    /// from their power sums `[s1, s2, s3, s4]` about `c`.
    #[inline(always)]
    fn from_sums(count: usize, nans: usize, c: f64, [s1, s2, s3, s4]: [f64; 4]) -> Self {
        let n = count as f64;
        let e = s1 / n;
        // Σ (d − e)ᵏ from the power sums of d: binomial expansions with Σd = n·e.
        let m2 = s2 - s1 * e;
        let m3 = s3 - 3.0 * e * s2 + 2.0 * n * e * e * e;
        let m4 = s4 - 4.0 * e * s3 + 6.0 * e * e * s2 - 3.0 * n * e * e * e * e;
        CentralMoments {
            count: count as u64,
            nan_count: nans as u64,
            center: canonical(c),
            center_lo: canonical(e),
            m2: canonical(m2),
            m3: canonical(m3),
            m4: canonical(m4),
            ..Self::empty()
        }
    }

    /// These moments, `infs` of whose values are ±∞.
    fn with_infinities(self, infs: u64) -> Self {
        CentralMoments {
            inf_count: infs,
            ..self
        }
    }
}

/// `Σ dᵏ`, `d = x − c`, for k = 1..4 over the non-NaN values of one chunk, each in the §1 tree.
#[inline(always)]
fn power_sums<T: StatElement>(x: &[T], c: f64) -> [f64; 4] {
    let mut sums = [[0.0f64; CHUNK_BLOCKS]; 4];
    let blocks = x.chunks(BLOCK_LEN);
    assert!(blocks.len() <= CHUNK_BLOCKS, "one chunk at most");
    let mut n = 0;
    for (b, blk) in blocks.enumerate() {
        let mut acc = [[-0.0f64; LANES]; 4];
        // Rows of 16 in order: lane j adds elements j, j + 16, … (the §1 block).
        for row in blk.chunks(LANES) {
            for (j, &v) in row.iter().enumerate() {
                // A NaN is absent: −0.0 changes no lane.
                let nan = v.is_nan();
                let d = v.value() - c;
                let d2 = d * d;
                let p = [d, d2, d2 * d, d2 * d2];
                for k in 0..4 {
                    acc[k][j] += if nan { -0.0 } else { p[k] };
                }
            }
        }
        for k in 0..4 {
            sums[k][b] = fold(acc[k]);
        }
        n = b + 1;
    }
    std::array::from_fn(|k| tree(&mut sums[k][..n]))
}

/// One chunk's moments on `V` (a function, so the ISA dispatch can name it; the same operations
/// in the same order on each ISA, so the same bits).
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn chunk_on<V: F64x8, T: StatElement>(x: &[T]) -> CentralMoments<T> {
    // SAFETY: forwarded from the caller.
    unsafe { CentralMoments::of_chunk::<V>(x) }
}

isa_dispatch!(chunk_isa, chunk, vector chunk_on, <T: StatElement> -> CentralMoments<T>);

/// Mean, variance, skewness and excess kurtosis as a [`Kernel`]: partial and result
/// [`CentralMoments`]. NaNs are skipped and counted, as by [`Stats`](super::Stats).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Moments};
///
/// // Around a large offset the moments keep their precision.
/// let data: Vec<f64> = (0..100_000).map(|i| 1e9 + (i % 10) as f64).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let m = pool.run(&Moments::new(), &data)?;
/// assert_eq!(m, run_sequential(&Moments::new(), &data[..])?); // the same bits
/// assert_eq!(m.mean(), Some(1e9 + 4.5));
/// assert_eq!(m.variance(0), Some(8.25));
/// assert!(m.skewness().unwrap().abs() < 1e-15); // symmetric
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Moments<T: StatElement> {
    _t: PhantomData<fn(&T)>,
}

impl<T: StatElement> Moments<T> {
    /// The kernel (it has no parameters).
    pub fn new() -> Self {
        Moments { _t: PhantomData }
    }
}

impl<T: StatElement> Default for Moments<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: StatElement> Kernel for Moments<T> {
    type Input<'a> = &'a [T];
    type Partial = CentralMoments<T>;
    type Output = CentralMoments<T>;
    fn chunk(&self, _: ChunkAt, x: &[T]) -> CentralMoments<T> {
        chunk(x)
    }
    fn merge(&self, left: CentralMoments<T>, right: CentralMoments<T>) -> CentralMoments<T> {
        CentralMoments::merge(left, right)
    }
    fn finish(&self, root: CentralMoments<T>) -> CentralMoments<T> {
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::isa::Isa;

    /// Every ISA gives the portable code's bits (the dispatch only adds target features).
    #[test]
    #[cfg_attr(
        miri,
        ignore = "chunks of 32 Ki values: slow under Miri (the kernel-suite tests run the vector path there)"
    )]
    fn every_isa_gives_the_same_bits() {
        fn check<T: StatElement>(x: &[T], what: &str) {
            let want = CentralMoments::reference(x);
            // SAFETY: `Portable` runs on any CPU.
            let portable = unsafe { chunk_on::<crate::kernels::f64x8::Portable, T>(x) };
            assert_eq!(portable, want, "{what}: portable vectors");
            for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
                if let Some(got) = chunk_isa(isa, x) {
                    assert_eq!(got, want, "{what}: {isa:?}");
                }
            }
        }
        for len in [0, 1, 15, 16, 255, 256, 257, 5000, crate::sched::CHUNK_LEN] {
            let x: Vec<f64> = (0..len).map(|i| 1e6 + (i as f64).sin() * 3.0).collect();
            check(&x, &format!("{len} values around 1e6"));
            let y: Vec<f32> = x.iter().map(|&v| (v - 1e6) as f32).collect();
            check(&y, &format!("{len} f32 values"));
            let mut z = x.clone();
            if len > 0 {
                z[len / 2] = f64::NAN;
                check(&z, &format!("{len} values, a NaN"));
                z[len / 2] = f64::NEG_INFINITY;
                check(&z, &format!("{len} values, −∞"));
            }
            let ints: Vec<i32> = (0..len as i32).map(|i| i * 7919 % 1000 - 500).collect();
            check(&ints, &format!("{len} i32"));
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 256) as u8).collect();
            check(&bytes, &format!("{len} u8"));
            let big: Vec<i64> = (0..len as i64).map(|i| i * (1 << 40) - (1 << 60)).collect();
            check(&big, &format!("{len} i64"));
        }
        check(&[1e308f64, 0.0, 1e308, 5.0], "a sum that overflows");
    }
}
