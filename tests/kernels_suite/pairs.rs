//! Properties of the two-column kernels, `Dot`, `ExactDot` and `Covariance`: every thread count
//! gives the sequential run's bits, and each against an exact oracle (big integers on the 2^1074
//! scale for the dot product; integer power sums on a binary grid for the co-moments). `ExactDot`
//! is the oracle's value rounded once, also from chunk partials merged in a random order and
//! grouping.

use crate::common::{edge_len, pools};
use crate::oracle;
use num_bigint::BigInt;
use proptest::prelude::*;
use shmkern::kernels::{
    partial, run_sequential, Covariance, Dot, ExactDot, Kernel, Superaccumulator,
};
use shmkern::sched::CHUNK_LEN;

const U: f64 = f64::EPSILON / 2.0;

/// The exact `Σ x_i·y_i`, rounded once, and `Σ|x_i·y_i|` (as f64, rounded).
fn exact_dot(x: &[f64], y: &[f64]) -> (f64, f64) {
    let scale = BigInt::from(1) << (2 * oracle::SCALE);
    let (mut s, mut a) = (BigInt::ZERO, BigInt::ZERO);
    for (&u, &v) in x.iter().zip(y) {
        let p = oracle::to_exact(u) * oracle::to_exact(v);
        a += if p < BigInt::ZERO { -&p } else { p.clone() };
        s += p;
    }
    (
        oracle::round_rational_f64(&s, &scale),
        oracle::round_rational_f64(&a, &scale),
    )
}

/// Two columns of mixed magnitudes and signs, with cancellation.
fn columns() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (edge_len(), any::<u64>()).prop_map(|(n, seed)| {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut value = move || {
            let r = next();
            let m = (r >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            m * 2f64.powi((r % 60) as i32 - 30)
        };
        let x: Vec<f64> = (0..n).map(|_| value()).collect();
        let y: Vec<f64> = (0..n).map(|_| value()).collect();
        (x, y)
    })
}

/// Pairs on a binary grid around offsets (`(ox + i)·2^-e`, `(oy + j)·2^-e`), `y` correlated with `x`.
fn grid_pairs() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, i32)> {
    (
        edge_len(),
        -(1i64 << 40)..(1i64 << 40),
        0i32..30,
        any::<u64>(),
        -4i64..5,
    )
        .prop_map(|(n, offset, e, seed, slope)| {
            let mut s = seed | 1;
            let unit = 2f64.powi(-e);
            let (mut x, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n));
            for _ in 0..n {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let i = (s >> 44) as i64; // 0..2^20
                let noise = ((s >> 20) & 0xffff) as i64;
                x.push((offset + i) as f64 * unit);
                y.push((offset / 2 + slope * i + noise) as f64 * unit);
            }
            (x, y, e)
        })
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(64)))]

    /// Fast: every pool gives the sequential bits, within γ_(D+1)·Σ|x·y| of the exact dot product;
    /// compensated: within 2u·|dot| plus a second-order term.
    #[test]
    fn p_dot((x, y) in columns(), t in 0usize..8) {
        let fast = pools()[t].run(&Dot::new(), (&x[..], &y[..])).unwrap();
        prop_assert_eq!(fast.to_bits(), run_sequential(&Dot::new(), (&x[..], &y[..])).unwrap().to_bits());
        let comp = pools()[t].run(&Dot::compensated(), (&x[..], &y[..])).unwrap();
        prop_assert_eq!(comp.to_bits(), run_sequential(&Dot::compensated(), (&x[..], &y[..])).unwrap().to_bits());
        let (exact, abs) = exact_dot(&x, &y);
        let d = f64::from(oracle::d_fast(x.len()) + 1);
        let gamma = d * U / (1.0 - d * U);
        prop_assert!((fast - exact).abs() <= gamma * abs * (1.0 + 4.0 * U) + 2.0 * U * exact.abs(), "fast {:e} vs {:e}", fast, exact);
        prop_assert!((comp - exact).abs() <= 2.0 * U * exact.abs() + 4.0 * gamma * gamma * abs + f64::MIN_POSITIVE, "compensated {:e} vs {:e}", comp, exact);
    }

    /// Exact: the exact dot product rounded once, on every pool, and after the columns cancel
    /// to a value far below their products (`x ++ −x ++ [1]` against `y ++ y ++ [2^-80]`).
    #[test]
    fn p_exact_dot((x, y) in columns(), t in 0usize..8, order in any::<u64>()) {
        let got = pools()[t].run(&ExactDot::new(), (&x[..], &y[..])).unwrap();
        let (exact, _) = exact_dot(&x, &y);
        prop_assert_eq!(got.to_bits(), if x.is_empty() { 0.0f64.to_bits() } else { exact.to_bits() }, "{:e} vs {:e}", got, exact);
        let (mut x2, mut y2) = (x.clone(), y.clone());
        x2.extend(x.iter().map(|v| -v));
        y2.extend(&y);
        x2.push(1.0);
        y2.push(2f64.powi(-80));
        let got = pools()[t].run(&ExactDot::new(), (&x2[..], &y2[..])).unwrap();
        prop_assert_eq!(got, 2f64.powi(-80));
        // Single-chunk partials merged in a shuffled order, folded at random: the same bits.
        let k = ExactDot::new();
        let mut parts: Vec<Superaccumulator> = x2.chunks(CHUNK_LEN).zip(y2.chunks(CHUNK_LEN)).enumerate()
            .map(|(i, (a, b))| partial(&k, (a, b), i as u32).unwrap()).collect();
        let mut s = order | 1;
        let mut next = move || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s };
        while parts.len() > 1 {
            let i = (next() % parts.len() as u64) as usize;
            let a = parts.swap_remove(i);
            let j = (next() % parts.len() as u64) as usize;
            parts[j] = Superaccumulator::merge(parts[j], a);
        }
        prop_assert_eq!(k.finish(parts[0]), 2f64.powi(-80));
    }

    /// Covariance and correlation against the exact ones, whatever the offset: covariance within
    /// 16u·sqrt(Σdx²·Σdy²)/(n − 1), correlation within 1e-12.
    #[test]
    fn p_covariance((x, y, e) in grid_pairs(), t in 0usize..8) {
        let c = pools()[t].run(&Covariance::new(), (&x[..], &y[..])).unwrap();
        prop_assert_eq!(c, run_sequential(&Covariance::new(), (&x[..], &y[..])).unwrap());
        let n = x.len();
        if n < 2 {
            prop_assert_eq!(c.correlation(), None);
            return Ok(());
        }
        let k = |v: f64| BigInt::from((v * 2f64.powi(e)) as i64);
        let (kx, ky): (Vec<BigInt>, Vec<BigInt>) = (x.iter().map(|&v| k(v)).collect(), y.iter().map(|&v| k(v)).collect());
        let sum = |v: &[BigInt]| v.iter().sum::<BigInt>();
        let dot = |a: &[BigInt], b: &[BigInt]| a.iter().zip(b).map(|(p, q)| p * q).sum::<BigInt>();
        let nb = BigInt::from(n);
        // n·Σ(x − x̄)(y − ȳ) = n·Σxy − Σx·Σy, in grid units squared.
        let (sx, sy) = (sum(&kx), sum(&ky));
        let cxy = &nb * dot(&kx, &ky) - &sx * &sy;
        let cxx = &nb * dot(&kx, &kx) - &sx * &sx;
        let cyy = &nb * dot(&ky, &ky) - &sy * &sy;
        let unit2 = 2f64.powi(-2 * e);
        let den = &nb * BigInt::from(n - 1);
        let cov = oracle::round_rational_f64(&cxy, &den) * unit2;
        let (vx, vy) = (oracle::round_rational_f64(&cxx, &den) * unit2, oracle::round_rational_f64(&cyy, &den) * unit2);
        let got = c.covariance(1).unwrap();
        prop_assert!((got - cov).abs() <= 16.0 * U * (vx * vy).sqrt() + f64::MIN_POSITIVE, "covariance {:e} vs {:e}", got, cov);
        if vx > 0.0 && vy > 0.0 {
            let r = (cov / (vx.sqrt() * vy.sqrt())).clamp(-1.0, 1.0);
            let got = c.correlation().unwrap();
            prop_assert!((got - r).abs() <= 1e-12, "correlation {} vs {}", got, r);
        }
    }
}

#[test]
fn specials_and_errors() {
    let (x, y) = ([1.0, f64::NAN], [1.0, 2.0]);
    assert!(run_sequential(&Dot::new(), (&x[..], &y[..]))
        .unwrap()
        .is_nan());
    let c = run_sequential(&Covariance::new(), (&x[..], &y[..])).unwrap();
    assert!(c.covariance(1).unwrap().is_nan() && c.correlation().unwrap().is_nan());
    assert_eq!(
        run_sequential(&Dot::<f64>::new(), (&[][..], &[][..])).unwrap(),
        0.0
    );
    let flat = run_sequential(
        &Covariance::new(),
        (&[2.0; 5][..], &[1.0, 2.0, 3.0, 4.0, 5.0][..]),
    )
    .unwrap();
    assert_eq!(flat.covariance(1), Some(0.0));
    assert!(flat.correlation().unwrap().is_nan(), "0/0");
    let ints = run_sequential(&Covariance::new(), (&[1i32, 2, 3][..], &[3i32, 2, 1][..])).unwrap();
    assert_eq!(
        (ints.covariance(1), ints.correlation()),
        (Some(-1.0), Some(-1.0))
    );
    let err = pools()[1]
        .run(&Dot::new(), (&[1.0f64; 3][..], &[1.0f64; 2][..]))
        .unwrap_err();
    assert!(err.to_string().contains("differ in length"), "{err}");
}
