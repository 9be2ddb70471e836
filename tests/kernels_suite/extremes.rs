//! Properties of `MinMax` and its NaN policies against a direct scan: every pool gives the
//! sequential bits; `Skip` is numpy's `nanargmin`/`nanargmax` (first position on ties, −0.0 below
//! +0.0), `Propagate` numpy's `argmin`/`argmax` (the first NaN wins both), `Greatest` a total
//! order with NaN above every number; `Stats::min_with`/`max_with` read the same policies to the
//! same values.

use crate::common::{edge_len, pools};
use proptest::prelude::*;
use shmkern::kernels::{run_sequential, MinMax, NanPolicy};

/// The first position of the smallest (`less`) non-NaN value.
fn first_by(x: &[f64], better: impl Fn(f64, f64) -> bool) -> Option<(u64, usize)> {
    let mut best: Option<(f64, usize)> = None;
    for (i, &v) in x.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if best.is_none_or(|(b, _)| better(v, b)) {
            best = Some((v, i));
        }
    }
    best.map(|(v, i)| (v.to_bits(), i))
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(64)))]

    #[test]
    fn p_policies(n in edge_len(), seed in any::<u64>(), nans in 0u64..3, t in 0usize..8) {
        let mut s = seed | 1;
        let x: Vec<f64> = (0..n).map(|_| {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            match s % 97 {
                0 if nans > 0 => f64::NAN,
                1 => -0.0,
                2 => 0.0,
                _ => ((s >> 40) % 1000) as f64 - 500.0,
            }
        }).collect();
        let e = pools()[t].run(&MinMax::new(), &x[..]).unwrap();
        prop_assert_eq!(e, run_sequential(&MinMax::new(), &x[..]).unwrap());
        let bits = |r: Option<(f64, usize)>| r.map(|(v, i)| (v.to_bits(), i));
        let less = |a: f64, b: f64| a.total_cmp(&b).is_lt();
        let more = |a: f64, b: f64| a.total_cmp(&b).is_gt();
        let (min, max) = (first_by(&x, less), first_by(&x, more));
        prop_assert_eq!(bits(e.min_with(NanPolicy::Skip)), min);
        prop_assert_eq!(bits(e.max_with(NanPolicy::Skip)), max);
        let first_nan = x.iter().position(|v| v.is_nan()).map(|i| (f64::NAN.to_bits(), i));
        let nan_bits = |r: Option<(f64, usize)>| r.map(|(v, i)| (if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() }, i));
        prop_assert_eq!(nan_bits(e.min_with(NanPolicy::Propagate)), first_nan.or(min));
        prop_assert_eq!(nan_bits(e.max_with(NanPolicy::Propagate)), first_nan.or(max));
        prop_assert_eq!(nan_bits(e.min_with(NanPolicy::Greatest)), min);
        prop_assert_eq!(nan_bits(e.max_with(NanPolicy::Greatest)), first_nan.or(max));
        // `Stats` reads the same policy to the same values (without positions).
        let st = pools()[t].stats(&x);
        let value = |r: Option<(f64, usize)>| r.map(|(v, _)| if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() });
        let stat = |r: Option<f64>| r.map(|v| if v.is_nan() { f64::NAN.to_bits() } else { v.to_bits() });
        for policy in [NanPolicy::Skip, NanPolicy::Propagate, NanPolicy::Greatest] {
            prop_assert_eq!(stat(st.min_with(policy)), value(e.min_with(policy)), "{:?}", policy);
            prop_assert_eq!(stat(st.max_with(policy)), value(e.max_with(policy)), "{:?}", policy);
        }
    }
}

#[test]
fn only_nans_and_integers() {
    let e = run_sequential(&MinMax::new(), &[f64::NAN, f64::NAN][..]).unwrap();
    assert_eq!((e.min(), e.count(), e.nan_count()), (None, 0, 2));
    assert_eq!(
        e.max_with(NanPolicy::Propagate)
            .map(|(v, i)| (v.is_nan(), i)),
        Some((true, 0))
    );
    let i = run_sequential(&MinMax::new(), &[5u8, 1, 9, 1][..]).unwrap();
    assert_eq!(i.min_with(NanPolicy::Propagate), Some((1, 1)));
}
