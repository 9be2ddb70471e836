//! Tests of the exact oracle in `tests/common/oracle.rs`: hand cases, cross-checks against the
//! `xsum` crate and against independent exact computations (i128 sums with Rust's correctly
//! rounded `as` conversions, IEEE division), and the bound / variance helpers.

#[path = "common/oracle.rs"]
mod oracle;

use num_bigint::BigInt;
use oracle::*;
use proptest::prelude::*;
use xsum::XsumExt;

/// `2^e` as an `f64`, for `e` in the normal or subnormal range.
fn pow2(e: i32) -> f64 {
    assert!((-1074..=1023).contains(&e));
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

fn sum64(xs: &[f64]) -> f64 {
    exact_sum_f64(xs).round_f64()
}

#[track_caller]
fn assert_bits(got: f64, want: f64) {
    assert_eq!(
        got.to_bits(),
        want.to_bits(),
        "got {got:e} ({:#018x}), want {want:e} ({:#018x})",
        got.to_bits(),
        want.to_bits()
    );
}

#[track_caller]
fn assert_bits32(got: f32, want: f32) {
    assert_eq!(
        got.to_bits(),
        want.to_bits(),
        "got {got:e} ({:#010x}), want {want:e} ({:#010x})",
        got.to_bits(),
        want.to_bits()
    );
}

// ---------------------------------------------------------------- hand cases

#[test]
fn cancellation_hand_cases() {
    assert_bits(sum64(&[1e16, 1.0, -1e16]), 1.0);
    assert_bits(sum64(&[1.0, 1e100, 1.0, -1e100]), 2.0);
    // Naive left-to-right gives 0.0 and 0.0 here.
    assert_eq!([1e16, 1.0, -1e16].iter().sum::<f64>(), 0.0);
}

#[test]
fn tenth_times_ten() {
    // 0.1 = m · 2^-56 with m = 7205759403792794, so Σ = 10m / 2^56, with
    // 10m = 2^56 + 4: the exact sum is 1 + 2^-54, below the midpoint 1 + 2^-53 between 1 and its
    // successor 1 + 2^-52, hence it rounds to 1.0 (while naive summation gives 0.9999999999999999).
    let bits = 0.1f64.to_bits();
    let m = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
    let e = ((bits >> 52) & 0x7ff) as i32 - 1075;
    assert_eq!(e, -56);
    let ten_m = 10 * m;
    let excess = ten_m - (1u128 << 56);
    assert_eq!(excess, 4);
    // ulp(1) = 2^-52 = 16 units of 2^-56; the midpoint is 8 units; 4 < 8 rounds down.
    assert!(excess < 8);
    let want = 1.0;
    let ex = exact_sum_f64(&[0.1; 10]);
    assert_eq!(ex.scaled().unwrap(), &(to_exact(0.1) * 10));
    assert_eq!(
        ex.scaled().unwrap(),
        &(BigInt::from(ten_m) << (1074 - 56) as u32)
    );
    assert_bits(ex.round_f64(), want);
    assert_ne!([0.1f64; 10].iter().sum::<f64>(), want);
}

#[test]
fn overflow_and_max() {
    let max = f64::MAX;
    assert_bits(sum64(&[max, max]), f64::INFINITY);
    assert_bits(sum64(&[-max, -max]), f64::NEG_INFINITY);
    assert_bits(sum64(&[max, max, -max]), max);
    // ulp(MAX) = 2^971; the midpoint MAX + 2^970 = 2^1024·(1 − 2^-54) is a tie, and MAX's
    // significand is odd, so it rounds (with unbounded exponent) to 2^1024: overflow.
    assert_bits(sum64(&[max, pow2(970)]), f64::INFINITY);
    assert_bits(sum64(&[-max, -pow2(970)]), f64::NEG_INFINITY);
    // Just below the midpoint: MAX.
    assert_bits(sum64(&[max, pow2(970), -pow2(-1074)]), max);
    assert_bits(sum64(&[max, pow2(969), pow2(968)]), max);
    assert_bits(sum64(&[-max, -pow2(970), pow2(917)]), -max);
}

#[test]
fn subnormals() {
    let tiny = f64::from_bits(1); // 2^-1074 = 5e-324
    assert_eq!(tiny, 5e-324);
    assert_bits(sum64(&[5e-324; 3]), 1.5e-323);
    assert_bits(sum64(&[5e-324; 3]), f64::from_bits(3));
    // Largest subnormal + smallest subnormal = smallest normal.
    let max_sub = f64::from_bits((1 << 52) - 1);
    assert_bits(sum64(&[max_sub, tiny]), f64::MIN_POSITIVE);
    assert_bits(sum64(&[f64::MIN_POSITIVE, -tiny]), max_sub);
    assert_bits(sum64(&[-tiny, -tiny]), -f64::from_bits(2));
    // Big values that cancel, leaving a subnormal.
    assert_bits(sum64(&[1e300, tiny, -1e300]), tiny);
}

#[test]
fn ties_to_even() {
    let u = pow2(-53);
    // 1 + 2^-53 is halfway between 1 (even) and 1 + 2^-52 (odd): to 1.
    assert_bits(sum64(&[1.0, u]), 1.0);
    // 1 + 2^-52 + 2^-53 is halfway between 1 + 2^-52 (odd) and 1 + 2^-51 (even): up.
    assert_bits(sum64(&[1.0, pow2(-52), u]), 1.0 + pow2(-51));
    // A sticky bit far below the guard bit breaks the tie upwards.
    assert_bits(sum64(&[1.0, u, pow2(-1074)]), 1.0 + pow2(-52));
    assert_bits(sum64(&[1.0, u, -pow2(-1074)]), 1.0);
    assert_bits(sum64(&[-1.0, -u]), -1.0);
    assert_bits(sum64(&[-1.0, -pow2(-52), -u]), -(1.0 + pow2(-51)));
    // Carry out of the significand: (2 − 2^-52) + 2^-53 is a tie between 2 − 2^-52 (odd) and 2.
    assert_bits(sum64(&[2.0 - pow2(-52), u]), 2.0);
    // Tie just above the subnormal range boundary, at exponent -1022: ulp = 2^-1074, no tie
    // possible for sums; for f32 ties exist in its subnormal range (see round_f32_hand_cases).
}

#[test]
fn signed_zeros() {
    assert_bits(sum64(&[]), 0.0);
    assert_bits(sum64(&[-0.0]), -0.0);
    assert_bits(sum64(&[-0.0, -0.0]), -0.0);
    assert_bits(sum64(&[0.0, -0.0]), 0.0);
    assert_bits(sum64(&[-0.0, 0.0]), 0.0);
    assert_bits(sum64(&[0.0]), 0.0);
    // An exact zero from cancelling operands is +0.0 in round-to-nearest.
    assert_bits(sum64(&[1.0, -1.0]), 0.0);
    assert_bits(sum64(&[-1.0, 1.0]), 0.0);
    assert_bits(sum64(&[-0.0, -1.0, 1.0, -0.0]), 0.0);
    // Same rules as sequential IEEE addition.
    assert_bits(-0.0f64 + -0.0, -0.0);
    assert_bits(1.0f64 + -1.0, 0.0);
    assert_bits32(exact_sum_f32(&[]).round_f32(), 0.0);
    assert_bits32(exact_sum_f32(&[-0.0, -0.0]).round_f32(), -0.0);
    assert_bits32(exact_sum_f32(&[-0.0, 0.0]).round_f32(), 0.0);
}

#[test]
fn special_values() {
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    assert!(sum64(&[nan]).is_nan());
    assert!(sum64(&[1.0, nan, 2.0]).is_nan());
    assert!(sum64(&[inf, -inf]).is_nan());
    assert!(sum64(&[inf, 1.0, nan]).is_nan());
    assert!(sum64(&[-nan]).is_nan());
    assert_eq!(exact_sum_f64(&[inf, -inf]), Exact::NaN);
    assert_bits(sum64(&[inf, 1.0]), inf);
    assert_bits(sum64(&[inf, inf, -f64::MAX]), inf);
    assert_bits(sum64(&[-inf, -inf, 1e308]), -inf);
    assert_bits(sum64(&[-inf]), -inf);
    assert_eq!(exact_sum_f64(&[-inf, 3.0]), Exact::NegInf);
    assert_eq!(exact_sum_f64(&[inf, 3.0]), Exact::PosInf);
    assert!(exact_sum_f32(&[f32::NAN]).round_f32().is_nan());
    assert!(exact_sum_f32(&[f32::INFINITY, f32::NEG_INFINITY])
        .round_f32()
        .is_nan());
    assert_bits32(
        exact_sum_f32(&[f32::INFINITY, 1.0]).round_f32(),
        f32::INFINITY,
    );
    assert_bits32(
        exact_sum_f32(&[f32::NEG_INFINITY]).round_f32(),
        f32::NEG_INFINITY,
    );
}

#[test]
fn to_exact_hand_cases() {
    assert_eq!(to_exact(0.0), BigInt::ZERO);
    assert_eq!(to_exact(-0.0), BigInt::ZERO);
    assert_eq!(to_exact(1.0), BigInt::from(1) << 1074u32);
    assert_eq!(to_exact(-3.0), BigInt::from(-3) << 1074u32);
    assert_eq!(to_exact(0.5), BigInt::from(1) << 1073u32);
    assert_eq!(to_exact(5e-324), BigInt::from(1));
    assert_eq!(to_exact(-f64::from_bits(12345)), BigInt::from(-12345));
    assert_eq!(
        to_exact(f64::MIN_POSITIVE),
        BigInt::from(1u64 << 52),
        "2^-1022 · 2^1074 = 2^52"
    );
    assert_eq!(
        to_exact(f64::MAX),
        BigInt::from((1u64 << 53) - 1) << (1023 - 52 + 1074) as u32
    );
    assert_eq!(
        exact_abs_sum(&[1.0, -2.0, 0.5, -0.0]),
        to_exact(3.5),
        "Σ|x|"
    );
    assert_eq!(exact_abs_sum(&[]), BigInt::ZERO);
}

#[test]
fn round_f32_hand_cases() {
    let r32 = |xs: &[f64]| exact_sum_f64(xs).round_f32();
    // f32 ulp(1) = 2^-23; 1 + 2^-24 is a tie to 1 (even), 1 + 2^-23 + 2^-24 a tie up to 1 + 2^-22.
    assert_bits32(r32(&[1.0, pow2(-24)]), 1.0);
    assert_bits32(r32(&[1.0, pow2(-23), pow2(-24)]), 1.0 + 2f32.powi(-22));
    assert_bits32(r32(&[1.0, pow2(-24), pow2(-1074)]), 1.0 + 2f32.powi(-23));
    // Subnormal f32 ties: 2^-150 is halfway between 0 and 2^-149 -> +0 (even), and keeps its sign.
    assert_bits32(r32(&[pow2(-150)]), 0.0);
    assert_bits32(r32(&[-pow2(-150)]), -0.0);
    assert_bits32(r32(&[pow2(-150), pow2(-1074)]), f32::from_bits(1));
    // 3·2^-150 is halfway between 2^-149 (odd) and 2^-148 (even) -> 2^-148.
    assert_bits32(r32(&[pow2(-149), pow2(-150)]), f32::from_bits(2));
    // Far below: underflow to a signed zero.
    assert_bits32(r32(&[pow2(-1000)]), 0.0);
    assert_bits32(r32(&[-pow2(-1000)]), -0.0);
    // Overflow: f32 ulp(MAX) = 2^104, midpoint MAX + 2^103 -> inf; just below -> MAX.
    let m = f64::from(f32::MAX);
    assert_bits32(r32(&[m, pow2(103)]), f32::INFINITY);
    assert_bits32(r32(&[-m, -pow2(103)]), f32::NEG_INFINITY);
    assert_bits32(r32(&[m, pow2(103), -pow2(-1074)]), f32::MAX);
    assert_bits32(r32(&[f64::MAX]), f32::INFINITY);
    // f32 input widened exactly.
    assert_bits32(exact_sum_f32(&[1e8, 1.0, -1e8]).round_f32(), 1.0);
    assert_bits(exact_sum_f32(&[0.1f32; 10]).round_f64(), {
        // 10 · 0.1f32 is exact in f64 (24-bit significand times 10 fits in 53 bits).
        f64::from(0.1f32) * 10.0
    });
    assert_bits32(
        exact_sum_f32(&[f32::MAX, f32::MAX]).round_f32(),
        f32::INFINITY,
    );
    assert_bits(
        exact_sum_f32(&[f32::MAX, f32::MAX]).round_f64(),
        2.0 * f64::from(f32::MAX),
    );
}

#[test]
fn d_fast_values() {
    assert_eq!(d_fast(0), 20);
    assert_eq!(d_fast(1), 20);
    assert_eq!(d_fast(256), 20);
    assert_eq!(d_fast(257), 21);
    assert_eq!(d_fast(512), 21);
    assert_eq!(d_fast(513), 22);
    assert_eq!(d_fast(1024), 22);
    assert_eq!(d_fast(1025), 23);
    assert_eq!(d_fast(1 << 30), 42);
    assert_eq!(d_fast((1 << 30) + 1), 43);
    // docs/numerics.md §1: for n = 2^30, γ_D ≤ 4.7e-15.
    let d = f64::from(d_fast(1 << 30));
    let u = pow2(-53);
    let gamma = d * u / (1.0 - d * u);
    assert!(gamma < 4.7e-15 && gamma > 4.6e-15, "{gamma:e}");
}

#[test]
fn within_bound_hand_cases() {
    // Exact result: within any bound, even D = 0.
    assert!(within_bound(3.0, &[1.0, 2.0], 0));
    assert!(within_bound(0.0, &[], 0));
    // One rounding: 1 + 2^-53 -> 1. Error 2^-53; γ_1·Σ|x| = 2^-53(1 + 2^-53)/(1 − 2^-53) > 2^-53.
    assert!(within_bound(1.0, &[1.0, pow2(-53)], 1));
    assert!(!within_bound(1.0, &[1.0, pow2(-53)], 0));
    // Equality case: x = 1 − 2^-53, ŝ = 1: |ŝ − S| = 2^-53 and γ_1·x = 2^-53 exactly
    // (γ_1 = 1/(2^53 − 1), x = (2^53 − 1)·2^-53).
    let x = 1.0 - pow2(-53);
    assert!(within_bound(1.0, &[x], 1));
    assert!(!within_bound(1.0 + pow2(-52), &[x], 1));
    assert!(!within_bound(1.0, &[x], 0));
    // ŝ = 1 + 2^-52: error 3·2^-53 needs γ_D·x ≥ 3·2^-53, i.e. D = 3 (D = 2 falls just short).
    assert!(!within_bound(1.0 + pow2(-52), &[x], 2));
    assert!(within_bound(1.0 + pow2(-52), &[x], 3));
    // Non-finite computed results never satisfy the bound.
    assert!(!within_bound(f64::INFINITY, &[f64::MAX, f64::MAX], 100));
    assert!(!within_bound(f64::NAN, &[1.0], 100));
}

#[test]
fn variance_hand_cases() {
    assert_bits(exact_variance(&[1.0, 2.0, 3.0, 4.0], 1).unwrap(), 5.0 / 3.0);
    assert_bits(exact_variance(&[1.0, 2.0, 3.0, 4.0], 0).unwrap(), 1.25);
    // A large offset does not matter to the exact value.
    let off = 1e8;
    let xs = [off + 1.0, off + 2.0, off + 3.0, off + 4.0];
    assert_bits(exact_variance(&xs, 1).unwrap(), 5.0 / 3.0);
    let xs = [1e16, 1e16 + 2.0, 1e16 + 4.0, 1e16 + 6.0];
    assert_bits(exact_variance(&xs, 0).unwrap(), 5.0);
    assert_bits(exact_variance(&[7.5], 0).unwrap(), 0.0);
    assert_bits(exact_variance(&[-3.0, -3.0, -3.0], 1).unwrap(), 0.0);
    assert_bits(exact_variance(&[0.1, 0.2, 0.3], 1).unwrap(), {
        // Exact rational of the binary values, rounded once; equals 0.01 to within rounding.
        let (num, den) = variance_rational(&[0.1, 0.2, 0.3], 1).unwrap();
        round_rational_f64(&num, &den)
    });
    assert!((exact_variance(&[0.1, 0.2, 0.3], 1).unwrap() - 0.01).abs() < 1e-17);
    // Tiny values: squares below 2^-1074 are still exact on scale 2^2148.
    let t = pow2(-1074);
    let v = exact_variance(&[t, -t], 0).unwrap(); // = t^2 = 2^-2148, underflows to +0
    assert_bits(v, 0.0);
    let v = exact_variance(&[pow2(-530), -pow2(-530)], 0).unwrap(); // 2^-1060
    assert_bits(v, pow2(-1060));
    // None when n <= ddof.
    assert_eq!(exact_variance(&[], 0), None);
    assert_eq!(exact_variance(&[1.0], 1), None);
    assert_eq!(exact_variance(&[1.0, 2.0], 2), None);
    assert_eq!(exact_variance(&[1.0, 2.0], 5), None);
    assert!(variance_rational(&[], 0).is_none());
}

#[test]
fn rational_and_relative_error_helpers() {
    let b = BigInt::from;
    assert_bits(round_rational_f64(&b(1), &b(3)), 1.0 / 3.0);
    assert_bits(round_rational_f64(&b(-2), &b(3)), -2.0 / 3.0);
    assert_bits(round_rational_f64(&b(2), &b(-3)), -2.0 / 3.0);
    assert_bits(round_rational_f64(&b(1), &b(10)), 0.1);
    assert_bits(round_rational_f64(&b(0), &b(-7)), 0.0);
    // Huge and tiny.
    assert_bits(round_rational_f64(&(b(1) << 2000u32), &b(1)), f64::INFINITY);
    assert_bits(round_rational_f64(&b(1), &(b(1) << 1074u32)), pow2(-1074));
    assert_bits(round_rational_f64(&b(1), &(b(1) << 1075u32)), 0.0); // tie to even (0)
    assert_bits(round_rational_f64(&b(3), &(b(1) << 1076u32)), pow2(-1074)); // 0.75 ulp
    assert_bits(round_rational_f64(&b(1), &(b(3) << 1074u32)), 0.0); // 1/3 ulp
    assert_bits(round_rational_f64(&b(2), &(b(3) << 1074u32)), pow2(-1074)); // 2/3 ulp

    // Just above a tie via a remainder: 2^53 + 1 + 1/3 -> 2^53 + 2.
    let num = (b(1) << 53u32) * 3 + 4;
    assert_bits(round_rational_f64(&num, &b(3)), 9007199254740994.0);
    let num = (b(1) << 53u32) * 3 + 3; // exactly 2^53 + 1: tie to even 2^53
    assert_bits(round_rational_f64(&num, &b(3)), 9007199254740992.0);

    assert_bits(relative_error(1.5, &b(1), &b(1)), 0.5);
    assert_bits(relative_error(0.0, &b(0), &b(1)), 0.0);
    assert_bits(relative_error(1.0, &b(0), &b(1)), f64::INFINITY);
    assert_bits(relative_error(-3.0, &b(-3), &b(1)), 0.0);
    let r = relative_error(1.0 / 3.0, &b(1), &b(3));
    assert!(r > 0.0 && r <= pow2(-53), "{r:e}");
    assert!(rel_within(1.5, &b(1), &b(1), 0.5));
    assert!(!rel_within(1.5, &b(1), &b(1), 0.4999999));
    assert!(rel_within(-1.5, &b(1), &b(-1), 0.5));
    assert!(rel_within(1.0 / 3.0, &b(1), &b(3), pow2(-53)));
    assert!(!rel_within(1.0 / 3.0, &b(1), &b(3), pow2(-55)));
    assert!(!rel_within(f64::NAN, &b(1), &b(3), 1.0));
}

// ---------------------------------------------------------------- strategies

/// A finite f64 with biased exponent field in `lo..=hi` (0 = subnormal/zero), random sign and
/// fraction.
fn f64_field(lo: u64, hi: u64) -> impl Strategy<Value = f64> {
    (any::<bool>(), lo..=hi, 0u64..(1 << 52))
        .prop_map(|(neg, e, m)| f64::from_bits((u64::from(neg) << 63) | (e << 52) | m))
}

/// Mixed magnitudes: mostly moderate exponents, some extreme ones, some zeros and subnormals.
fn mixed() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => f64_field(1023 - 60, 1023 + 60),
        2 => f64_field(0, 2046),
        1 => f64_field(0, 0),
        1 => prop_oneof![Just(0.0), Just(-0.0)],
    ]
}

/// Heavy cancellation: `xs ++ (−xs) ++ noise`, shuffled.
fn cancelling() -> impl Strategy<Value = Vec<f64>> {
    (
        prop::collection::vec(f64_field(1023 - 200, 1023 + 200), 0..120),
        prop::collection::vec(f64_field(1023 - 260, 1023 - 150), 0..4),
    )
        .prop_flat_map(|(big, noise)| {
            let mut v: Vec<f64> = big.iter().copied().chain(big.iter().map(|x| -x)).collect();
            v.extend(noise);
            Just(v).prop_shuffle()
        })
}

fn subnormal_mix() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => f64_field(0, 0),
        2 => f64_field(1, 3),
        1 => prop_oneof![Just(0.0), Just(-0.0)],
    ]
}

fn zeros() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![Just(0.0), Just(-0.0)], 0..20)
}

/// Values near the top of the range, both signs: sums that overflow or come back.
fn near_max() -> impl Strategy<Value = f64> {
    f64_field(2040, 2046)
}

/// `xsum` as the reference, through its positive path only.
///
/// `xsum` 0.1.6 rounds many *negative* results wrongly (for example `[-1.0].xsum()` is
/// `-1.0000000000000002` and `[-0.5].xsum()` is `-0.5000000000000001`), while its positive path
/// is right. Round to nearest is symmetric (`round(−S) = −round(S)`), so a negative exact sum is
/// checked as `−xsum(−xs)`. `xsum` also returns `-0.0` for an empty sum and picks its own sign
/// for an exact zero, so zeros are compared by value; everything else bit for bit.
#[track_caller]
fn check_against_xsum(xs: &[f64]) -> Result<(), TestCaseError> {
    let ours = sum64(xs);
    let negative = exact_sum_f64(xs)
        .scaled()
        .is_some_and(|s| s.sign() == num_bigint::Sign::Minus);
    let theirs = if negative {
        let neg: Vec<f64> = xs.iter().map(|x| -x).collect();
        -neg.xsum()
    } else {
        xs.xsum()
    };
    if ours == 0.0 {
        prop_assert_eq!(theirs, 0.0, "xs = {:?}", xs);
    } else {
        prop_assert_eq!(
            ours.to_bits(),
            theirs.to_bits(),
            "ours {:e}, xsum {:e}, xs = {:?}",
            ours,
            theirs,
            xs
        );
    }
    Ok(())
}

/// Independent reference: values `m_i · 2^(e0 + j_i)` summed exactly as `i128` integers
/// `Σ m_i·2^j_i`, converted with Rust's correctly rounded `i128 as f64`, then scaled by the power
/// of two `2^e0` (exact: the result is 0 or ≥ 2^e0 ≥ 2^-1022, i.e. normal, and an overflow of
/// the rounded value is IEEE's overflow).
fn scaled_ints() -> impl Strategy<Value = (i32, Vec<(i64, u32)>)> {
    (
        // Elements stay finite (|m|·2^(j + e0) < 2^(53 + 39 + 931) = 2^1023), sums may overflow.
        -1022i32..=931,
        prop::collection::vec((-(1i64 << 53) + 1..(1i64 << 53), 0u32..40), 0..300),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn agrees_with_xsum_mixed(xs in prop::collection::vec(mixed(), 0..300)) {
        check_against_xsum(&xs)?;
    }

    #[test]
    fn agrees_with_xsum_cancelling(xs in cancelling()) {
        check_against_xsum(&xs)?;
    }

    #[test]
    fn agrees_with_xsum_subnormals(xs in prop::collection::vec(subnormal_mix(), 0..300)) {
        check_against_xsum(&xs)?;
        // Independent: the scaled sum k = Σ x·2^1074 is an i128; (k as f64) · 2^-1074 is
        // correctly rounded (exact product: it is either k < 2^52 exactly, or normal).
        let k: i128 = xs.iter().map(|&x| {
            let b = x.to_bits();
            let f = (b >> 52) & 0x7ff;
            let m = i128::from(b & ((1 << 52) - 1));
            let mag = if f == 0 { m } else { (m | (1 << 52)) << (f - 1) };
            if x.is_sign_negative() { -mag } else { mag }
        }).sum();
        let want = (k as f64) * pow2(-1074);
        let got = sum64(&xs);
        if want == 0.0 {
            prop_assert_eq!(got, 0.0);
        } else {
            prop_assert_eq!(got.to_bits(), want.to_bits());
        }
    }

    #[test]
    fn agrees_with_xsum_near_max(xs in prop::collection::vec(near_max(), 0..40)) {
        check_against_xsum(&xs)?;
    }

    #[test]
    fn zeros_follow_ieee(xs in zeros()) {
        // The sequential IEEE sum of zeros, started from the first element (not from +0).
        let want = xs.iter().copied().reduce(|a, b| a + b).unwrap_or(0.0);
        prop_assert_eq!(sum64(&xs).to_bits(), want.to_bits());
        check_against_xsum(&xs)?;
    }

    #[test]
    fn cancelling_equals_noise_sum(
        big in prop::collection::vec(f64_field(1, 2046), 0..100),
        noise in f64_field(0, 2046),
    ) {
        let mut xs: Vec<f64> = big.iter().copied().chain(big.iter().map(|x| -x)).collect();
        xs.push(noise);
        xs.reverse();
        prop_assert_eq!(sum64(&xs).to_bits(), noise.to_bits());
    }

    #[test]
    fn agrees_with_i128_reference((e0, terms) in scaled_ints()) {
        let scale = pow2(e0);
        let xs: Vec<f64> = terms.iter().map(|&(m, j)| (m as f64) * pow2(j as i32 + e0)).collect();
        let k: i128 = terms.iter().map(|&(m, j)| i128::from(m) << j).sum();
        let want = (k as f64) * scale;
        let got = sum64(&xs);
        if k == 0 {
            prop_assert_eq!(got, 0.0);
        } else {
            prop_assert_eq!(got.to_bits(), want.to_bits(), "k = {}, e0 = {}", k, e0);
        }
    }

    #[test]
    fn f32_agrees_with_reference(
        // Elements stay finite in f32 (< 2^(24 + 19 + 85) = 2^128); sums may overflow f32.
        e0 in -149i32..=85,
        terms in prop::collection::vec((-(1i32 << 24) + 1..(1i32 << 24), 0u32..20), 0..300),
    ) {
        // f32 values m·2^(e0+j); Σ m·2^j fits in 53 bits, so it and its scaling by 2^e0 are exact
        // in f64, and Rust's f64 -> f32 `as` then rounds once (ties to even, subnormals, inf).
        let xs: Vec<f32> = terms.iter()
            .map(|&(m, j)| (f64::from(m) * pow2(j as i32 + e0)) as f32)
            .collect();
        for (&x, &(m, j)) in xs.iter().zip(&terms) {
            prop_assert_eq!(f64::from(x), f64::from(m) * pow2(j as i32 + e0));
        }
        let k: i64 = terms.iter().map(|&(m, j)| i64::from(m) << j).sum();
        let exact = (k as f64) * pow2(e0);
        let ex = exact_sum_f32(&xs);
        let got = ex.round_f32();
        if k == 0 {
            prop_assert_eq!(got, 0.0);
        } else {
            prop_assert_eq!(got.to_bits(), (exact as f32).to_bits());
        }
        prop_assert_eq!(ex.round_f64(), exact);
    }

    #[test]
    fn single_value_round_trip(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        prop_assert_eq!(sum64(&[x]).to_bits(), bits);
        // round_f32 of one f64 is Rust's correctly rounded `as f32`.
        prop_assert_eq!(exact_sum_f64(&[x]).round_f32().to_bits(), (x as f32).to_bits());
    }

    #[test]
    fn single_value_round_trip_subnormal(m in 0u64..(1 << 52), neg in any::<bool>()) {
        let bits = (u64::from(neg) << 63) | m;
        let x = f64::from_bits(bits);
        prop_assert_eq!(sum64(&[x]).to_bits(), bits);
        prop_assert_eq!(exact_sum_f64(&[x]).round_f32().to_bits(), (x as f32).to_bits());
    }

    #[test]
    fn single_f32_round_trip(bits in any::<u32>()) {
        let x = f32::from_bits(bits);
        prop_assume!(x.is_finite());
        prop_assert_eq!(exact_sum_f32(&[x]).round_f32().to_bits(), bits);
        prop_assert_eq!(exact_sum_f32(&[x]).round_f64().to_bits(), f64::from(x).to_bits());
    }

    #[test]
    fn permutation_invariant(
        (xs, ys) in prop::collection::vec(mixed(), 0..300)
            .prop_flat_map(|xs| (Just(xs.clone()), Just(xs).prop_shuffle()))
    ) {
        let a = exact_sum_f64(&xs);
        let b = exact_sum_f64(&ys);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.round_f64().to_bits(), b.round_f64().to_bits());
        prop_assert_eq!(exact_abs_sum(&xs), exact_abs_sum(&ys));
    }

    #[test]
    fn naive_sum_within_its_own_bound(xs in prop::collection::vec(mixed(), 0..300)) {
        // Sequential summation: each element sees at most n − 1 roundings, so D = n suffices
        // (as long as nothing overflows).
        let naive: f64 = xs.iter().sum();
        prop_assume!(naive.is_finite());
        prop_assert!(within_bound(naive, &xs, xs.len() as u32));
        // The correctly rounded sum is within γ_1·Σ|x| (≥ u·|S|).
        prop_assert!(within_bound(sum64(&xs), &xs, 1));
    }

    #[test]
    fn wrong_result_fails_bound(xs in prop::collection::vec(1.0f64..1e6, 1..300)) {
        // All positive: Σ|x| = S, γ_n ≤ 300·2^-53/(1 − 300·2^-53) ≈ 3.3e-14, far below 1e-3.
        let s = sum64(&xs);
        let wrong = s + 1e-3 * s.abs() + 1.0;
        prop_assert!(!within_bound(wrong, &xs, xs.len() as u32));
        prop_assert!(!within_bound(wrong, &xs, d_fast(xs.len())));
        prop_assert!(within_bound(s, &xs, d_fast(xs.len())));
    }

    #[test]
    fn variance_agrees_with_small_integers(
        xs in prop::collection::vec(-1000i32..=1000, 0..60),
        ddof in 0u64..3,
        shift in -40i32..40,
    ) {
        // For integer data, num = n·Σx² − (Σx)² and den = n·(n − ddof) are small i128s (< 2^53),
        // exact in f64, and IEEE division rounds num/den once. Scaling the data by 2^shift
        // scales the variance by 2^(2·shift), exactly.
        let n = xs.len() as u64;
        let fx: Vec<f64> = xs.iter().map(|&x| f64::from(x) * pow2(shift)).collect();
        let got = exact_variance(&fx, ddof);
        if n <= ddof {
            prop_assert_eq!(got, None);
        } else {
            let s1: i128 = xs.iter().map(|&x| i128::from(x)).sum();
            let s2: i128 = xs.iter().map(|&x| i128::from(x) * i128::from(x)).sum();
            let num = i128::from(n) * s2 - s1 * s1;
            let den = i128::from(n) * i128::from(n - ddof);
            let want = (num as f64) / (den as f64) * pow2(2 * shift);
            prop_assert_eq!(got.map(f64::to_bits), Some(want.to_bits()));
            let (rn, rd) = variance_rational(&fx, ddof).unwrap();
            prop_assert!(rel_within(want, &rn, &rd, pow2(-53)));
        }
    }

    #[test]
    fn rational_rounding_matches_ieee_division(
        a in -(1i64 << 53)..(1i64 << 53),
        b in (1i64..(1i64 << 53)),
        neg in any::<bool>(),
    ) {
        let b = if neg { -b } else { b };
        let got = round_rational_f64(&BigInt::from(a), &BigInt::from(b));
        let want = (a as f64) / (b as f64);
        if want == 0.0 {
            prop_assert_eq!(got, 0.0);
        } else {
            prop_assert_eq!(got.to_bits(), want.to_bits());
        }
    }
}
