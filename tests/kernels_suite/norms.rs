//! Properties of the `Norms` kernel: every thread count gives the sequential run's bits; L∞ is
//! the exact largest `|x|`; L1 within the sum's bound of the exact `Σ|x|`; L2 within 4 ulps of the
//! exact `sqrt(Σ x²)` (a big-integer sum and square root), over magnitudes from subnormals to near
//! `f64::MAX`, where an unscaled sum of squares would overflow or underflow.

use crate::common::{edge_len, pools};
use crate::oracle;
use num_bigint::BigInt;
use proptest::prelude::*;
use shmkern::kernels::{run_sequential, Norms};

/// The exact `sqrt(Σ x²)` of finite `xs`, rounded (within an ulp: the integer square root of the
/// sum of squares on the 2^1074 scale, then one rounding).
fn exact_l2(xs: &[f64]) -> f64 {
    let s: BigInt = xs.iter().map(|&x| oracle::to_exact(x).pow(2)).sum();
    oracle::round_rational_f64(&s.sqrt(), &(BigInt::from(1) << oracle::SCALE))
}

fn data() -> impl Strategy<Value = Vec<f64>> {
    (edge_len(), any::<u64>(), -1070i32..1020).prop_map(|(n, seed, e)| {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                // Magnitudes over a range of 2^40 around 2^e, both signs.
                let m = (s >> 12) as f64 / (1u64 << 52) as f64 + 1.0;
                let sign = if s & 1 == 0 { 1.0 } else { -1.0 };
                sign * m * 2f64.powi(e.saturating_sub((s % 41) as i32).max(-1074))
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(64)))]

    #[test]
    fn p_norms(xs in data(), t in 0usize..8) {
        let n = pools()[t].run(&Norms::new(), &xs[..]).unwrap();
        prop_assert_eq!(n, run_sequential(&Norms::new(), &xs[..]).unwrap());
        let linf = xs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        prop_assert_eq!(n.linf(), linf);
        let abs: Vec<f64> = xs.iter().map(|x| x.abs()).collect();
        if oracle::exact_sum_f64(&abs).round_f64().is_infinite() {
            prop_assert_eq!(n.l1(), f64::INFINITY); // the exact Σ|x| overflows too
        } else {
            prop_assert!(oracle::within_bound(n.l1(), &abs, oracle::d_fast(xs.len())), "l1 {}", n.l1());
        }
        let want = exact_l2(&xs);
        let ulps = n.l2().to_bits().abs_diff(want.to_bits());
        prop_assert!(ulps <= 4, "l2 {:e} vs exact {:e}: {} ulps", n.l2(), want, ulps);
    }
}

#[test]
fn special_values() {
    let norms = |x: &[f64]| run_sequential(&Norms::new(), x).unwrap();
    let e = norms(&[]);
    assert_eq!((e.l1(), e.l2(), e.linf(), e.count()), (0.0, 0.0, 0.0, 0));
    let z = norms(&[0.0, -0.0]);
    assert_eq!((z.l1(), z.l2(), z.linf()), (0.0, 0.0, 0.0));
    let nan = norms(&[1.0, f64::NAN, f64::INFINITY]);
    assert!(nan.l1().is_nan() && nan.l2().is_nan() && nan.linf().is_nan());
    let inf = norms(&[1.0, f64::NEG_INFINITY]);
    assert_eq!(
        (inf.l1(), inf.l2(), inf.linf()),
        (f64::INFINITY, f64::INFINITY, f64::INFINITY)
    );
    // Overflow only where the norm itself does.
    let big = vec![f64::MAX; 4];
    assert_eq!(norms(&big).l2(), f64::INFINITY);
    assert_eq!(norms(&[f64::MAX, 0.0]).l2(), f64::MAX);
    let ints = run_sequential(&Norms::new(), &[3i32, -4][..]).unwrap();
    assert_eq!((ints.l1(), ints.l2(), ints.linf()), (7.0, 5.0, 4.0));
}
