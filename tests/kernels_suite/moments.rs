//! Properties of the `Moments` kernel (mean, variance, skewness, excess kurtosis): every thread
//! count gives the sequential run's bits (P-det), and each moment against an exact oracle on data
//! built on a binary grid, where the power sums are integers (`BigInt`), so the oracle shares no
//! arithmetic with the kernel.

use crate::common::{edge_len, pools};
use crate::oracle;
use num_bigint::BigInt;
use proptest::prelude::*;
use shmkern::kernels::{run_sequential, CentralMoments, Moments};

/// Values `(offset + k_i) · 2^-e`, `k_i` spread by `spread`, NaNs now and then: integers on the
/// grid, exact in `f64`. Returns the data and the grid's exponent `e`.
fn grid_data() -> impl Strategy<Value = (Vec<f64>, i32)> {
    (
        edge_len(),
        -(1i64 << 45)..(1i64 << 45),
        1i64..(1 << 20),
        0i32..40,
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(n, offset, spread, e, seed, nans)| {
            let mut s = seed | 1;
            let xs = (0..n)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    if nans && s % 101 == 0 {
                        return f64::NAN;
                    }
                    // Skewed: squares of a uniform, so the third moment is not zero.
                    let u = (s >> 40) as i64 % spread;
                    let k = offset + u * u / spread;
                    k as f64 * 2f64.powi(-e)
                })
                .collect();
            (xs, e)
        })
}

/// The exact `(n, Σ(x−μ)², Σ(x−μ)³, Σ(x−μ)⁴)` of the non-NaN values, each rounded once: with
/// `K_i = x_i·2^e` integers and `S_j = Σ K^j`, `n^(j−1) · Σ(K − S₁/n)^j` is an integer polynomial in
/// the `S_j`.
fn exact_central(xs: &[f64], e: i32) -> (u64, [f64; 3]) {
    let ks: Vec<BigInt> = xs
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| BigInt::from((x * 2f64.powi(e)) as i64))
        .collect();
    if ks.is_empty() {
        return (0, [0.0; 3]);
    }
    let n = BigInt::from(ks.len());
    let s = |j: u32| ks.iter().map(|k| k.pow(j)).sum::<BigInt>();
    let (s1, s2, s3, s4) = (s(1), s(2), s(3), s(4));
    // n·M2, n²·M3, n³·M4 (M_j in grid units).
    let m2 = &n * &s2 - &s1 * &s1;
    let m3 = &n * &n * &s3 - 3 * &n * &s1 * &s2 + 2 * s1.pow(3);
    let m4 = n.pow(3) * &s4 - 4 * &n * &n * &s1 * &s3 + 6 * &n * s1.pow(2) * &s2 - 3 * s1.pow(4);
    // Each rounded once to f64, then scaled by a power of two (exact).
    let unit = 2f64.powi(-e);
    let div =
        |num: &BigInt, j: u32| oracle::round_rational_f64(num, &n.pow(j - 1)) * unit.powi(j as i32);
    (ks.len() as u64, [div(&m2, 2), div(&m3, 3), div(&m4, 4)])
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(128)))]

    /// P-det: every pool gives the sequential run's bits.
    #[test]
    fn p_det((xs, _) in grid_data(), t in 0usize..8) {
        let want = run_sequential(&Moments::new(), &xs[..]).unwrap();
        prop_assert_eq!(pools()[t].run(&Moments::new(), &xs[..]).unwrap(), want);
    }

    /// The moments against the exact ones, whatever the offset (up to 2^45 grid steps against a
    /// spread of up to 2^20): mean within 4 ulps, variance within 8, skewness and kurtosis within
    /// 1e-12 · (1 + |value|) (the exact central moments rounded once, the ratios then in `f64`).
    #[test]
    fn p_moments_against_exact((xs, e) in grid_data()) {
        let m: CentralMoments<f64> = pools()[1].run(&Moments::new(), &xs[..]).unwrap();
        let (n, [m2, m3, m4]) = exact_central(&xs, e);
        prop_assert_eq!(m.count(), n);
        prop_assert_eq!(m.nan_count(), xs.len() as u64 - n);
        if n == 0 {
            prop_assert_eq!((m.mean(), m.variance(0), m.skewness()), (None, None, None));
            return Ok(());
        }
        let clean: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
        let mean = oracle::exact_sum_f64(&clean);
        let exact_mean = oracle::round_rational_f64(mean.scaled().unwrap(), &(BigInt::from(n) << oracle::SCALE));
        let got = m.mean().unwrap();
        prop_assert!((got - exact_mean).abs() <= 4.0 * f64::EPSILON * exact_mean.abs(), "mean {} vs {}", got, exact_mean);
        let var = m2 / n as f64;
        let v = m.variance(0).unwrap();
        prop_assert!((v - var).abs() <= 8.0 * f64::EPSILON * var, "variance {:e} vs {:e}", v, var);
        if n >= 2 && var > 0.0 {
            let (skew, kurt) = (m3 / n as f64 / (var * var.sqrt()), m4 / n as f64 / (var * var) - 3.0);
            let (s, k) = (m.skewness().unwrap(), m.kurtosis().unwrap());
            prop_assert!((s - skew).abs() <= 1e-12 * (1.0 + skew.abs()), "skewness {} vs {}", s, skew);
            prop_assert!((k - kurt).abs() <= 1e-12 * (1.0 + kurt.abs()), "kurtosis {} vs {}", k, kurt);
        }
    }
}

/// Special values and edges: empty, one value, equal values, ±∞, NaN only, integers.
#[test]
fn special_values() {
    let run = |x: &[f64]| run_sequential(&Moments::new(), x).unwrap();
    let e = run(&[]);
    assert_eq!(
        (e.count(), e.mean(), e.variance(0), e.skewness()),
        (0, None, None, None)
    );
    let one = run(&[3.5]);
    assert_eq!(
        (one.mean(), one.variance(0), one.variance(1), one.skewness()),
        (Some(3.5), Some(0.0), None, None)
    );
    let same = run(&[2.0; 1000]);
    assert_eq!(same.variance(1), Some(0.0));
    assert!(same.skewness().unwrap().is_nan(), "0/0");
    let inf = run(&[1.0, f64::INFINITY, 2.0]);
    assert!(inf.mean().unwrap().is_nan() && inf.variance(0).unwrap().is_nan());
    let nan = run(&[f64::NAN, f64::NAN]);
    assert_eq!((nan.count(), nan.nan_count(), nan.mean()), (0, 2, None));
    let huge: Vec<f64> = (0..70_000)
        .map(|i| if i % 2 == 0 { 1e200 } else { -1e200 })
        .collect();
    assert_eq!(run(&huge).variance(0), Some(f64::INFINITY));
    let ints = run_sequential(&Moments::new(), &[1i64, 2, 3, 10][..]).unwrap();
    assert_eq!((ints.mean(), ints.variance(0)), (Some(4.0), Some(12.5)));
    let bytes = bytemuck::bytes_of(&ints);
    assert_eq!(bytes.len(), 64);
    assert_eq!(*bytemuck::from_bytes::<CentralMoments<i64>>(bytes), ints);
}
