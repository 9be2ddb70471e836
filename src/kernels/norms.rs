//! The L1, L2 and L∞ norms in one read: [`Norms`], a [`Kernel`], and [`NormParts`], its partial
//! and result.
//!
//! L2 never overflows or underflows on the way for finite input, as LAPACK's `nrm2` guarantees:
//! each chunk keeps a power-of-two scale `2^e` (the exponent of its largest `|x|`) and the sum of
//! squares of `x · 2^-e`, which the scaling leaves exact (a power of two, save where a value is
//! more than 2^1000 below the largest: its square would not count anyway). Merging two chunks
//! rescales the smaller scale's sum by another power of two. L1 is `Σ|x|` in the `docs/numerics.md`
//! §1 tree, L∞ the largest `|x|`. NaN propagates (any NaN makes every norm NaN, as
//! `numpy.linalg.norm` does); `±∞` makes every norm `+∞`.

use super::isa::isa_dispatch;
use super::kernel::{ChunkAt, Kernel};
use super::partial::plain_partial;
use super::stats::StatElement;
use super::tree::{canonical, chunk_tree};
use bytemuck::Zeroable;
use std::fmt;
use std::marker::PhantomData;

/// The norms of a range: count, NaN and infinity counts, `Σ|x|`, the largest `|x|`, and the sum
/// of squares as `ssq · 2^(2·exp)`. Plain old data (`#[repr(C)]`, 56 bytes).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Norms};
///
/// let n = run_sequential(&Norms::new(), &[3.0, -4.0][..])?;
/// assert_eq!((n.l1(), n.l2(), n.linf()), (7.0, 5.0, 4.0));
/// // No overflow on the way: (3e300, 4e300) has L2 5e300, though 9e600 is not a double.
/// let big = run_sequential(&Norms::new(), &[3e300, 4e300][..])?;
/// assert_eq!(big.l2(), 5e300);
/// let tiny = run_sequential(&Norms::new(), &[3e-310, 4e-310][..])?;
/// assert_eq!(tiny.l2(), 5e-310);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[repr(C)]
pub struct NormParts<T: StatElement> {
    count: u64,
    nan_count: u64,
    inf_count: u64,
    l1: f64,
    linf: f64,
    /// The sum of squares of `x · 2^-exp`.
    ssq: f64,
    /// The scale's exponent (`i64` bits), `i64::MIN` while there is no nonzero value.
    exp: i64,
    _t: PhantomData<T>,
}

plain_partial!(NormParts, 7);

impl<T: StatElement> fmt::Debug for NormParts<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NormParts")
            .field("count", &self.count)
            .field("l1", &self.l1())
            .field("l2", &self.l2())
            .field("linf", &self.linf())
            .finish()
    }
}

/// `2^e` for `|e| <= 1022` (a normal double), exactly.
fn pow2(e: i32) -> f64 {
    debug_assert!(e.abs() <= 1022);
    f64::from_bits(((1023 + e) as u64) << 52)
}

/// `x · 2^e` for any `e`, in two exact steps (`2^e` itself may not be a double: scaling the
/// smallest subnormal up to 1 takes 2^1074); 0 or ∞ only where the result is.
fn mul_pow2(x: f64, e: i64) -> f64 {
    let e = e.clamp(-2044, 2044) as i32;
    let h = e / 2;
    x * pow2(h) * pow2(e - h)
}

/// The exponent of a finite nonzero `|x|`: `x = m · 2^e` with `1 <= m < 2` (subnormals too).
fn exponent(x: f64) -> i64 {
    let bits = x.abs().to_bits();
    let biased = (bits >> 52) as i64;
    if biased == 0 {
        // Subnormal: the leading one is in the mantissa.
        let lead = 63 - bits.leading_zeros() as i64; // bit index, 0..=51
        lead - 1074
    } else {
        biased - 1023
    }
}

impl<T: StatElement> NormParts<T> {
    /// The norms of no value: the merge's identity.
    pub fn empty() -> Self {
        NormParts {
            exp: i64::MIN,
            ..Zeroable::zeroed()
        }
    }

    /// Values read (NaNs included).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `Σ|x|` in the §1 tree: error ≤ `γ_D · Σ|x|` as the sum's; NaN with a NaN, `+∞` with `±∞`.
    pub fn l1(&self) -> f64 {
        self.special().unwrap_or(self.l1)
    }

    /// `sqrt(Σ x²)`, scaled so no intermediate overflows or underflows for finite input; within a
    /// few ulps of the exact value. NaN with a NaN, `+∞` with `±∞`.
    pub fn l2(&self) -> f64 {
        self.special().unwrap_or_else(|| {
            if self.exp == i64::MIN {
                return 0.0;
            }
            // sqrt(ssq · 2^(2e)) = sqrt(ssq) · 2^e, the power of two applied last.
            canonical(mul_pow2(self.ssq.sqrt(), self.exp))
        })
    }

    /// The largest `|x|` (0 for no value). NaN with a NaN, `+∞` with `±∞`.
    pub fn linf(&self) -> f64 {
        self.special().unwrap_or(self.linf)
    }

    /// NaN when a value is NaN, else `+∞` when one is infinite.
    fn special(&self) -> Option<f64> {
        if self.nan_count > 0 {
            Some(f64::NAN)
        } else if self.inf_count > 0 {
            Some(f64::INFINITY)
        } else {
            None
        }
    }

    /// The norms of `a` followed by `b`.
    pub fn merge(a: Self, b: Self) -> Self {
        let exp = a.exp.max(b.exp);
        let rescale = |p: &Self| {
            if p.exp == i64::MIN {
                0.0
            } else {
                mul_pow2(p.ssq, 2 * (p.exp - exp))
            }
        };
        NormParts {
            count: a.count + b.count,
            nan_count: a.nan_count + b.nan_count,
            inf_count: a.inf_count + b.inf_count,
            l1: canonical(a.l1 + b.l1),
            linf: a.linf.max(b.linf),
            ssq: canonical(rescale(&a) + rescale(&b)),
            exp,
            _t: PhantomData,
        }
    }

    /// The norms of one chunk: counts, `Σ|x|` in the tree and the largest `|x|` (NaN and ±∞ left
    /// out), then the scaled squares in the tree.
    #[inline(always)]
    fn of_chunk(x: &[T]) -> Self {
        let (nans, infs, linf) = x.iter().fold((0u64, 0u64, 0.0f64), |(n, i, m), v| {
            let a = v.value().abs();
            let finite = a.is_finite();
            (
                n + u64::from(v.is_nan()),
                i + u64::from(a == f64::INFINITY),
                if finite { m.max(a) } else { m },
            )
        });
        let finite = |v: T| {
            let a = v.value().abs();
            if a.is_finite() {
                a
            } else {
                -0.0
            }
        };
        let l1 = chunk_tree(x, finite);
        let (exp, ssq) = if linf == 0.0 {
            (i64::MIN, 0.0)
        } else {
            let e = exponent(linf);
            (
                e,
                chunk_tree(x, move |v: T| {
                    let s = mul_pow2(finite(v), -e);
                    s * s
                }),
            )
        };
        NormParts {
            count: x.len() as u64,
            nan_count: nans,
            inf_count: infs,
            l1: canonical(l1),
            linf,
            ssq: canonical(ssq),
            exp,
            _t: PhantomData,
        }
    }
}

/// One chunk's norms (a function, so the ISA dispatch can compile it per instruction set; the same
/// operations in the same order on each).
#[inline(always)]
fn chunk_generic<T: StatElement>(x: &[T]) -> NormParts<T> {
    NormParts::of_chunk(x)
}

isa_dispatch!(chunk_isa, chunk, chunk_generic, <T: StatElement> -> NormParts<T>);

/// The L1, L2 and L∞ norms as a [`Kernel`]: partial and result [`NormParts`].
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Norms};
///
/// let x: Vec<f32> = (0..100_000).map(|i| (i % 7) as f32 - 3.0).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let n = pool.run(&Norms::new(), &x)?;
/// assert_eq!(n, run_sequential(&Norms::new(), &x[..])?); // the same bits
/// assert_eq!(n.linf(), 3.0);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Norms<T: StatElement> {
    _t: PhantomData<fn(&T)>,
}

impl<T: StatElement> Norms<T> {
    /// The kernel (it has no parameters).
    pub fn new() -> Self {
        Norms { _t: PhantomData }
    }
}

impl<T: StatElement> Default for Norms<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: StatElement> Kernel for Norms<T> {
    type Input<'a> = &'a [T];
    type Partial = NormParts<T>;
    type Output = NormParts<T>;
    fn chunk(&self, _: ChunkAt, x: &[T]) -> NormParts<T> {
        if x.is_empty() {
            return NormParts::empty();
        }
        chunk(x)
    }
    fn merge(&self, left: NormParts<T>, right: NormParts<T>) -> NormParts<T> {
        NormParts::merge(left, right)
    }
    fn finish(&self, root: NormParts<T>) -> NormParts<T> {
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_and_powers_of_two() {
        for x in [
            1.0,
            1.5,
            2.0,
            3.0,
            1e-310,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let e = exponent(x);
            let m = mul_pow2(x, -e);
            assert!((1.0..2.0).contains(&m), "{x:e}: 2^{e}, {m}");
            assert_eq!(mul_pow2(m, e), x, "{x:e}: exact both ways");
        }
        assert_eq!(mul_pow2(1.0, -1074), 5e-324);
        // (Not `2f64.powi(1023)`: Miri gives `powi` an error of an ulp on purpose.)
        assert_eq!(mul_pow2(1.0, 1023), f64::from_bits(0x7fe0_0000_0000_0000));
        assert_eq!(
            (mul_pow2(1.0, -3000), mul_pow2(1.0, 3000)),
            (0.0, f64::INFINITY)
        );
    }
}
