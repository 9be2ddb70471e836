//! Exact summation oracle for the kernel property tests (docs/numerics.md §1, §5).
//!
//! Include it from an integration test with
//!
//! ```ignore
//! #[path = "common/oracle.rs"]
//! mod oracle;
//! ```
//!
//! Nothing here uses the crate under test. Every finite `f64` is `m · 2^e` with an integer `m` and
//! `e >= -1074`, so `x · 2^1074` is an integer. All values are lifted to `BigInt` on that common
//! scale ([`SCALE`]), summed exactly, and rounded *once* (round to nearest, ties to even) to `f64`
//! or `f32`, with guard/sticky bits, gradual underflow (subnormals) and IEEE overflow.
//!
//! Sign of zero (IEEE 754 round-to-nearest rules for `x + y`, applied to the whole sum):
//! * empty input -> `+0.0` (the contract in docs/numerics.md §2; note that the `xsum` crate returns
//!   `-0.0` for an empty sum);
//! * non-empty input whose elements are all `-0.0` -> `-0.0`;
//! * any other input whose exact sum is zero (`+0.0` present, or nonzero values cancelling) ->
//!   `+0.0`. (In round-to-nearest an exact zero sum of operands of opposite sign is `+0`, and a
//!   nonzero float sum can never round to zero, so no other case yields `-0.0`.)
//!
//! Special values: any NaN, or `+inf` together with `-inf` -> NaN; otherwise infinities of one
//! sign -> that infinity. A finite input whose exact sum is too large rounds to `±inf` (IEEE:
//! when `|S| >= 2^1024 · (1 − 2^-54)`, i.e. at or above the midpoint between `f64::MAX` and
//! `2^1024`).
// Includers may also put `#[allow(dead_code)]` on the `mod` item; that is fine.
#![allow(dead_code, clippy::duplicated_attributes)]

use num_bigint::{BigInt, BigUint, Sign};

/// Common scale: a finite `f64` `x` is represented exactly by the integer `x · 2^SCALE`.
pub const SCALE: u64 = 1074;

/// The exact outcome of a floating-point sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exact {
    /// All inputs finite: `scaled` is the exact sum times `2^SCALE`. `neg_zero` is true exactly when
    /// the input is non-empty and every element is `-0.0` (the only case whose IEEE sum is `-0.0`).
    Finite { scaled: BigInt, neg_zero: bool },
    /// At least one `+inf`, no `-inf`, no NaN.
    PosInf,
    /// At least one `-inf`, no `+inf`, no NaN.
    NegInf,
    /// A NaN input, or both `+inf` and `-inf`.
    NaN,
}

impl Exact {
    /// The exact scaled sum (`S · 2^1074`), `None` for the special outcomes.
    pub fn scaled(&self) -> Option<&BigInt> {
        match self {
            Exact::Finite { scaled, .. } => Some(scaled),
            _ => None,
        }
    }

    /// Round once to the nearest `f64`, ties to even (see the module docs for the zero sign).
    pub fn round_f64(&self) -> f64 {
        match self {
            Exact::NaN => f64::NAN,
            Exact::PosInf => f64::INFINITY,
            Exact::NegInf => f64::NEG_INFINITY,
            Exact::Finite { scaled, neg_zero } => {
                if scaled.sign() == Sign::NoSign {
                    return if *neg_zero { -0.0 } else { 0.0 };
                }
                let neg = scaled.sign() == Sign::Minus;
                f64::from_bits(round_scaled(neg, scaled.magnitude(), SCALE, F64))
            }
        }
    }

    /// Round the exact value once to the nearest `f32`, ties to even (no double rounding through
    /// `f64`). Same zero-sign and special-value rules as [`Exact::round_f64`].
    pub fn round_f32(&self) -> f32 {
        match self {
            Exact::NaN => f32::NAN,
            Exact::PosInf => f32::INFINITY,
            Exact::NegInf => f32::NEG_INFINITY,
            Exact::Finite { scaled, neg_zero } => {
                if scaled.sign() == Sign::NoSign {
                    return if *neg_zero { -0.0 } else { 0.0 };
                }
                let neg = scaled.sign() == Sign::Minus;
                f32::from_bits(round_scaled(neg, scaled.magnitude(), SCALE, F32) as u32)
            }
        }
    }
}

/// An IEEE binary format: `p` significand bits (with the hidden bit), least subnormal exponent
/// `emin_lsb` (the value of the smallest subnormal is `2^emin_lsb`), `exp_bits` exponent bits.
#[derive(Clone, Copy)]
struct Format {
    p: u64,
    emin_lsb: i64,
    exp_bits: u64,
}

const F64: Format = Format {
    p: 53,
    emin_lsb: -1074,
    exp_bits: 11,
};
const F32: Format = Format {
    p: 24,
    emin_lsb: -149,
    exp_bits: 8,
};

/// Round `(-1)^neg · mag · 2^-scale` (with `mag > 0`) to the nearest value of `fmt`, ties to
/// even, and return its bit pattern (in the low bits of the `u64` for `f32`).
///
/// Requires `scale >= -fmt.emin_lsb`, so that the format's smallest subnormal is an integer
/// number of scale units (`2^min_shift`).
///
/// The kept significand is `q = mag >> shift`, with `shift = max(bits(mag) − p, min_shift)`:
/// `p` bits for normal results, fewer when the result is subnormal (the LSB never drops below
/// `2^emin_lsb`). Guard bit = bit `shift − 1`, sticky = any lower bit set. Round up when guard
/// and (sticky or q odd). A carry to `q = 2^p` renormalises (`q = 2^(p−1)`, `shift + 1`).
///
/// The encoding is uniform for normal and subnormal results: with `k = shift − min_shift`,
/// `bits = (k << (p − 1)) + q`. (Subnormal: `k = 0`, `q < 2^(p−1)`, exponent field 0. Normal:
/// exponent field `k + 1` and fraction `q − 2^(p−1)`, whose sum is the same number.) The result
/// overflows exactly when the exponent field reaches all-ones, i.e. `k + 1 >= 2^exp_bits − 1`;
/// since rounding happens before this check, the threshold is IEEE's
/// `|S| >= 2^emax · (2 − 2^-p)` (for `f64`: `2^1024 · (1 − 2^-54)`).
fn round_scaled(neg: bool, mag: &BigUint, scale: u64, fmt: Format) -> u64 {
    let min_shift = scale
        .checked_add_signed(fmt.emin_lsb)
        .expect("scale must cover the format's smallest subnormal");
    debug_assert!(mag.bits() > 0);
    let nbits = mag.bits();
    let mut shift = nbits.saturating_sub(fmt.p).max(min_shift);
    let mut q = low_u64(&(mag >> shift));
    if shift > 0 {
        let guard = mag.bit(shift - 1);
        let tz = mag.trailing_zeros().expect("mag is nonzero");
        let sticky = tz < shift - 1;
        if guard && (sticky || q & 1 == 1) {
            q += 1;
            if q == 1u64 << fmt.p {
                q >>= 1;
                shift += 1;
            }
        }
    }
    let inf_field = (1u64 << fmt.exp_bits) - 1;
    let sign_bit = u64::from(neg) << (fmt.exp_bits + fmt.p - 1);
    let k = shift - min_shift;
    if q == 0 {
        // Only when the value is at most half the format's smallest subnormal (e.g. an f64 sum
        // below 2^-150 rounded to f32): IEEE underflows it to a zero of the value's sign. Never
        // for f64 results on scale 2^1074, where mag >= 1 = the smallest subnormal.
        return sign_bit;
    }
    if k + 1 >= inf_field {
        return sign_bit | (inf_field << (fmt.p - 1));
    }
    sign_bit | ((k << (fmt.p - 1)) + q)
}

/// The low 64 bits of `x` (callers only use it for values `< 2^64`).
fn low_u64(x: &BigUint) -> u64 {
    x.iter_u64_digits().next().unwrap_or(0)
}

/// The exact value `x · 2^1074` of a finite `f64`, as an integer. Panics on NaN or infinity.
pub fn to_exact(x: f64) -> BigInt {
    assert!(x.is_finite(), "to_exact: non-finite input {x}");
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let field = (bits >> 52) & 0x7ff;
    let frac = bits & ((1u64 << 52) - 1);
    // Subnormal (field 0): x = frac · 2^-1074. Normal: x = (2^52 + frac) · 2^(field − 1075), so
    // x · 2^1074 = (2^52 + frac) · 2^(field − 1).
    let mag = if field == 0 {
        BigUint::from(frac)
    } else {
        BigUint::from(frac | (1u64 << 52)) << (field - 1)
    };
    let sign = if neg { Sign::Minus } else { Sign::Plus };
    BigInt::from_biguint(sign, mag)
}

/// Exact sum of `xs` (see [`Exact`] and the module docs for special values and the zero sign).
pub fn exact_sum_f64(xs: &[f64]) -> Exact {
    let mut nan = false;
    let mut pos_inf = false;
    let mut neg_inf = false;
    let mut all_neg_zero = !xs.is_empty();
    let mut scaled = BigInt::ZERO;
    for &x in xs {
        if x.is_nan() {
            nan = true;
        } else if x == f64::INFINITY {
            pos_inf = true;
        } else if x == f64::NEG_INFINITY {
            neg_inf = true;
        } else {
            if x.to_bits() != (-0.0f64).to_bits() {
                all_neg_zero = false;
            }
            if x != 0.0 {
                scaled += to_exact(x);
            }
        }
    }
    if nan || (pos_inf && neg_inf) {
        Exact::NaN
    } else if pos_inf {
        Exact::PosInf
    } else if neg_inf {
        Exact::NegInf
    } else {
        Exact::Finite {
            scaled,
            neg_zero: all_neg_zero,
        }
    }
}

/// Exact sum of `f32` values: each is widened to `f64` (exact), then summed exactly. Round the
/// outcome with [`Exact::round_f64`] (the kernels' f64 result) or [`Exact::round_f32`].
pub fn exact_sum_f32(xs: &[f32]) -> Exact {
    let wide: Vec<f64> = xs.iter().map(|&x| f64::from(x)).collect();
    exact_sum_f64(&wide)
}

/// Exact `Σ|x_i| · 2^1074`. Panics on a non-finite element.
pub fn exact_abs_sum(xs: &[f64]) -> BigInt {
    let mut acc = BigInt::ZERO;
    for &x in xs {
        acc += to_exact(x.abs());
    }
    acc
}

/// `D(n)` of the Fast-mode bound (docs/numerics.md §1): `16 + 4 + ceil(log2(ceil(n / 256)))` — at
/// most 16 roundings in a lane, 4 in the lane fold, one per level of the block tree. For
/// `n <= 256` (one block, or `n = 0`, no block at all) the tree term is 0, so `D = 20`.
pub fn d_fast(n: usize) -> u32 {
    let blocks = n.div_ceil(256).max(1);
    20 + blocks.next_power_of_two().trailing_zeros()
}

/// Does `computed` satisfy `|computed − S| ≤ γ_D · Σ|x_i|`, with `γ_D = D·u / (1 − D·u)` and
/// `u = 2^-53`, decided in exact integer arithmetic?
///
/// Derivation: `γ_D = D·2^-53 / (1 − D·2^-53) = D / (2^53 − D)` (multiply numerator and
/// denominator by `2^53`; needs `D < 2^53`). The bound is therefore
/// `|ŝ − S| · (2^53 − D) ≤ D · Σ|x|`, and multiplying both sides by `2^1074` turns every
/// quantity into an integer on the oracle's scale:
/// `|to_exact(ŝ) − S·2^1074| · (2^53 − D) ≤ D · (Σ|x|)·2^1074`.
///
/// `xs` must be finite (panics otherwise). A non-finite `computed` (overflow, NaN) is never
/// within the bound, since the exact sum of finite inputs is finite.
pub fn within_bound(computed: f64, xs: &[f64], d: u32) -> bool {
    assert!(
        xs.iter().all(|x| x.is_finite()),
        "within_bound: inputs must be finite"
    );
    if !computed.is_finite() {
        return false;
    }
    let s = exact_sum_f64(xs)
        .scaled()
        .cloned()
        .expect("finite inputs give a finite sum");
    let err = (to_exact(computed) - s).magnitude().clone();
    let abs = exact_abs_sum(xs).magnitude().clone();
    let two53 = 1u64 << 53;
    let d = u64::from(d);
    assert!(d < two53, "γ_D needs D·u < 1");
    err * (two53 - d) <= abs * d
}

/// Round the exact rational `num / den` once to the nearest `f64`, ties to even. `den` must be
/// nonzero; an exact zero gives `+0.0`.
///
/// Method: `M = floor(|num| · 2^1076 / |den|)`, and the remainder, if nonzero, is ORed into bit 0
/// of `M` as a sticky bit. The rounding position is at least bit 2 (scale `2^1076`, smallest
/// subnormal `2^-1074`), so guard (bit ≥ 1) and the tie test are unaffected by folding the
/// remainder into bit 0, and a nonzero tail still breaks a tie upwards.
pub fn round_rational_f64(num: &BigInt, den: &BigInt) -> f64 {
    assert!(den.sign() != Sign::NoSign, "division by zero");
    if num.sign() == Sign::NoSign {
        return 0.0;
    }
    let neg = num.sign() != den.sign();
    let scale = SCALE + 2;
    let n = num.magnitude() << scale;
    let d = den.magnitude();
    let mut m = &n / d;
    if &m * d != n {
        m |= BigUint::from(1u8);
    }
    if m.bits() == 0 {
        // Unreachable: m = 0 with a nonzero remainder got its sticky bit.
        return if neg { -0.0 } else { 0.0 };
    }
    f64::from_bits(round_scaled(neg, &m, scale, F64))
}

/// The exact variance as a rational `(num, den)` with `den > 0`:
/// `(n·S2 − S1²) / (n·(n − ddof))`, with `S1 = Σx`, `S2 = Σx²`. `S1` is on scale `2^1074`, so
/// `S1²` and `S2` (sum of squared scaled values) are on scale `2^2148`, which goes into `den`.
/// `None` when `n <= ddof`. Panics on a non-finite element.
pub fn variance_rational(xs: &[f64], ddof: u64) -> Option<(BigInt, BigInt)> {
    let n = xs.len() as u64;
    if n <= ddof {
        return None;
    }
    let mut s1 = BigInt::ZERO;
    let mut s2 = BigInt::ZERO;
    for &x in xs {
        let e = to_exact(x);
        s2 += &e * &e;
        s1 += e;
    }
    let num = BigInt::from(n) * s2 - &s1 * &s1;
    let den = (BigInt::from(n) * BigInt::from(n - ddof)) << (2 * SCALE);
    Some((num, den))
}

/// The exact variance (see [`variance_rational`]) rounded once to `f64`; `None` when
/// `n <= ddof`.
pub fn exact_variance(xs: &[f64], ddof: u64) -> Option<f64> {
    variance_rational(xs, ddof).map(|(num, den)| round_rational_f64(&num, &den))
}

/// `|a − num/den| / |num/den|`, computed exactly and rounded once to `f64` (so good to one ulp
/// of the error itself). For an exact value of zero: `0.0` if `a == 0`, else `+inf`. `a` must be
/// finite.
pub fn relative_error(a: f64, num: &BigInt, den: &BigInt) -> f64 {
    assert!(den.sign() != Sign::NoSign, "division by zero");
    // a = A / 2^1074, so |a − num/den| / |num/den| = |A·den − num·2^1074| / (|num|·2^1074).
    let diff = (to_exact(a) * den - (num << SCALE)).magnitude().clone();
    if num.sign() == Sign::NoSign {
        return if diff.bits() == 0 { 0.0 } else { f64::INFINITY };
    }
    let denom = num.magnitude() << SCALE;
    round_rational_f64(&BigInt::from(diff), &BigInt::from(denom))
}

/// Exact test of `|a − num/den| ≤ bound · |num/den|` (no rounding anywhere): with
/// `a = A/2^1074` and `bound = B/2^1074` (both finite, `bound >= 0`), multiply through by
/// `den · 2^1074 > 0`: `|A·den − num·2^1074| ≤ B · |num|`.
pub fn rel_within(a: f64, num: &BigInt, den: &BigInt, bound: f64) -> bool {
    assert!(bound >= 0.0 && bound.is_finite());
    assert!(den.sign() != Sign::NoSign, "division by zero");
    if !a.is_finite() {
        return false;
    }
    let (num, den) = if den.sign() == Sign::Minus {
        (-num.clone(), -den.clone())
    } else {
        (num.clone(), den.clone())
    };
    let lhs = (to_exact(a) * &den - (&num << SCALE)).magnitude().clone();
    let rhs = to_exact(bound).magnitude() * num.magnitude();
    lhs <= rhs
}
