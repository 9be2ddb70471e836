//! Exact moments: [`ExactMoments`], whose partial [`PowerSums`] keeps the count, the NaN count, and
//! `Σx` and `Σx²` **exactly** (two [`Superaccumulator`]s, fed by `square_pieces.rs`: each value
//! cut into integer pieces whose products sum exactly, or each square split exactly into two
//! doubles with a fused multiply-add). Its merge is exact, so partials merged in any order and
//! grouping give the same bits; the mean and the variance are computed from the exact sums in
//! big-integer arithmetic and rounded once:
//!
//! - mean = `Σx / n`, correctly rounded;
//! - variance = `(n·Σx² − (Σx)²) / (n·(n − ddof))`, correctly rounded (the numerator is an exact
//!   integer on the `2^-2148` scale, divided by the count with a sticky bit).
//!
//! So both are the exact values rounded once, for any data whose squares are representable: every
//! `|x|` below about `1.3e154` (`x²` finite) and every nonzero `|x|` above about `2^-484` (`x²`
//! at least `2^-969`, where the split is exact). A larger `|x|` makes the variance `+∞` (as
//! [`Stats`](super::Stats) gives for a variance that overflows); a smaller one may leave an error
//! of `2^-1075` in that square. NaNs are skipped and counted; any `±∞` makes the mean `±∞` (NaN for
//! both) and the variance NaN.

use super::bigint::Big;
use super::element::Float;
use super::exact::Superaccumulator;
use super::kernel::{ChunkAt, Kernel};
use super::square_pieces;
use std::fmt;
use std::marker::PhantomData;

/// Count, NaN count, and the exact `Σx` and `Σx²` of the non-NaN values: the partial and result
/// of [`ExactMoments`]. Plain old data (`#[repr(C)]`, 138 words), normalized, so its bytes are a
/// function of the values alone; [`merge`](Self::merge) is exact, associative and commutative.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{partial, ExactMoments, Kernel, PowerSums};
///
/// let x: Vec<f64> = (0..100_000).map(|i| 1e9 + (i % 4) as f64).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let m = pool.run(&ExactMoments::new(), &x[..])?;
/// assert_eq!((m.mean(), m.variance(0)), (Some(1e9 + 1.5), Some(1.25)));
/// // Partials of any pieces, merged in any order: the same bits.
/// let k = ExactMoments::new();
/// let (a, b) = x.split_at(12_345);
/// let merged = PowerSums::merge(partial(&k, b, 0)?, partial(&k, a, 0)?);
/// assert_eq!(k.finish(merged), m);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[repr(C)]
#[derive(Clone, Copy)]
pub struct PowerSums {
    count: u64,
    nan_count: u64,
    s1: Superaccumulator,
    s2: Superaccumulator,
}

const _: () = assert!(std::mem::size_of::<PowerSums>() == 8 * 138);

// SAFETY: `#[repr(C)]` of two `u64`s and two `Superaccumulator`s (themselves `Pod`, 68 words),
// with no padding (the size check above): every bit pattern is a value, and the methods assume no
// more (a forged partial gives a wrong value, never a panic).
unsafe impl bytemuck::Zeroable for PowerSums {}
// SAFETY: as above; the type is `Copy` and `'static`.
unsafe impl bytemuck::Pod for PowerSums {}

impl PartialEq for PowerSums {
    /// Bitwise equality: the same counts and exact sums.
    fn eq(&self, other: &Self) -> bool {
        bytemuck::bytes_of(self) == bytemuck::bytes_of(other)
    }
}

impl Eq for PowerSums {}

impl fmt::Debug for PowerSums {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PowerSums")
            .field("count", &self.count)
            .field("nan_count", &self.nan_count)
            .field("mean", &self.mean())
            .field("variance(1)", &self.variance(1))
            .finish()
    }
}

impl PowerSums {
    /// No value.
    pub fn empty() -> Self {
        bytemuck::Zeroable::zeroed()
    }

    /// Number of non-NaN values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of NaN values (skipped).
    pub fn nan_count(&self) -> u64 {
        self.nan_count
    }

    /// The exact sum of the non-NaN values, rounded once (`+0.0` when there is none).
    pub fn sum(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        self.s1.round()
    }

    /// The mean, `Σx / n` rounded once; `None` without a value.
    pub fn mean(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let Some((neg, s1)) = self.s1.integer() else {
            return Some(self.s1.round()); // ±∞ or NaN
        };
        // 128 more bits than the sum has, so the quotient keeps more than 53 of them.
        let (q, sticky) = s1.shl(128).div_small(self.count);
        let m = q.to_f64(-1074 - 128, sticky);
        Some(if neg { -m } else { m })
    }

    /// The variance with `ddof` degrees of freedom removed, `(n·Σx² − (Σx)²) / (n·(n − ddof))`
    /// rounded once; `None` when `n ≤ ddof`. NaN with any `±∞`; `+∞` when a square overflows.
    pub fn variance(&self, ddof: u64) -> Option<f64> {
        if self.count <= ddof {
            return None;
        }
        let Some((_, s1)) = self.s1.integer() else {
            return Some(f64::NAN); // an infinity (a NaN is never added)
        };
        let Some((_, s2)) = self.s2.integer() else {
            return Some(f64::INFINITY); // finite values whose squares overflow
        };
        // On the 2^-2148 scale: n·Σx² (Σx² on 2^-1074, shifted up) minus (Σx)² (on 2^-2148).
        let num = s2.mul_small(self.count).shl(1074);
        let num = num
            .checked_sub(&s1.mul(&s1))
            .unwrap_or(Big::from_limbs(Vec::new()));
        let (q, r1) = num.shl(128).div_small(self.count);
        let (q, r2) = q.div_small(self.count - ddof);
        Some(q.to_f64(-2148 - 128, r1 || r2))
    }

    /// The square root of [`variance`](Self::variance) (one more rounding).
    pub fn std_dev(&self, ddof: u64) -> Option<f64> {
        self.variance(ddof).map(f64::sqrt)
    }

    /// The power sums of both parts' values: exact, so any order and grouping of merges gives
    /// the same bytes.
    pub fn merge(a: Self, b: Self) -> Self {
        PowerSums {
            count: a.count.wrapping_add(b.count),
            nan_count: a.nan_count.wrapping_add(b.nan_count),
            s1: Superaccumulator::merge(a.s1, b.s1),
            s2: Superaccumulator::merge(a.s2, b.s2),
        }
    }
}

/// Exact moments as a [`Kernel`] over `f32` or `f64`: the partial and result are [`PowerSums`]
/// (module docs: what is exact, and where). About a quarter of the bandwidth loop's speed on 2
/// threads (`docs/performance.md`): three exact folds a block, of the values, their squares and
/// the squares' errors.
#[derive(Clone, Copy, Debug)]
pub struct ExactMoments<T> {
    _t: PhantomData<fn(&T)>,
}

impl<T: Float> ExactMoments<T> {
    /// The exact moments.
    pub fn new() -> Self {
        Self { _t: PhantomData }
    }
}

impl<T: Float> Default for ExactMoments<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Kernel for ExactMoments<T> {
    type Input<'a> = &'a [T];
    type Partial = PowerSums;
    type Output = PowerSums;
    fn chunk(&self, _: ChunkAt, x: &[T]) -> PowerSums {
        if x.is_empty() {
            return PowerSums::empty();
        }
        let (nans, s1, s2) = square_pieces::power_chunk(x);
        PowerSums {
            count: x.len() as u64 - nans,
            nan_count: nans,
            s1,
            s2,
        }
    }
    fn merge(&self, left: PowerSums, right: PowerSums) -> PowerSums {
        PowerSums::merge(left, right)
    }
    fn finish(&self, root: PowerSums) -> PowerSums {
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(x: &[f64]) -> PowerSums {
        ExactMoments::new().chunk(ChunkAt::new(0, 0), x)
    }

    #[test]
    fn small_cases_are_exact() {
        let m = moments(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!((m.count(), m.nan_count(), m.sum()), (4, 1, 10.0));
        assert_eq!(
            (m.mean(), m.variance(1), m.variance(0)),
            (Some(2.5), Some(5.0 / 3.0), Some(1.25))
        );
        // Shifted far from zero: still exact (Σx² is exact, so is the cancellation).
        let m = moments(&[1e15 + 1.0, 1e15 + 2.0, 1e15 + 3.0]);
        assert_eq!((m.mean(), m.variance(1)), (Some(1e15 + 2.0), Some(1.0)));
        // Negative mean, a third that does not terminate in binary.
        let m = moments(&[-1.0, -1.0, -2.0]);
        assert_eq!(
            (m.mean(), m.variance(0)),
            (Some(-4.0 / 3.0), Some(2.0 / 9.0))
        );
        assert_eq!(moments(&[]).mean(), None);
        assert_eq!(moments(&[5.0]).variance(1), None);
        assert_eq!(moments(&[5.0]).variance(0), Some(0.0));
    }

    #[test]
    fn special_values() {
        let m = moments(&[1.0, f64::INFINITY]);
        assert_eq!(m.mean(), Some(f64::INFINITY));
        assert!(m.variance(1).unwrap().is_nan());
        assert!(moments(&[f64::INFINITY, f64::NEG_INFINITY])
            .mean()
            .unwrap()
            .is_nan());
        // Squares past the largest double: the variance is +∞, the mean still exact.
        let m = moments(&[1e200, -1e200]);
        assert_eq!((m.mean(), m.variance(1)), (Some(0.0), Some(f64::INFINITY)));
        let m = moments(&[f64::NAN, f64::NAN]);
        assert_eq!(
            (m.count(), m.nan_count(), m.mean(), m.sum()),
            (0, 2, None, 0.0)
        );
    }
}
