//! Properties of `Pool::group_stats`: every pool gives the same bits; counts, NaN counts and
//! extremes equal a direct scan's; each group's sum is within the documented bound of its exact
//! sum (`oracle.rs`), its mean and variance within 1e-12 of an exact mean and a variance taken
//! about it with compensated sums; and merging two calls over a split of the rows at a subtree
//! of the canonical tree gives the whole call's bits.

use crate::common::{edge_len, pools};
use crate::oracle::{exact_sum_f64, round_rational_f64, within_bound};
use num_bigint::BigInt;
use proptest::prelude::*;
use shmkern::sched::CHUNK_LEN;
use shmkern::{CancelToken, ParOptions, Stats};

/// The exact mean, rounded once, and the variance (ddof 1) about it with Neumaier sums: within a
/// few units of the last place of the exact variance for these data.
fn mean_var(x: &[f64]) -> (f64, f64) {
    let num = exact_sum_f64(x).scaled().cloned().expect("finite");
    let den = BigInt::from(x.len()) << 1074u32;
    let mean = round_rational_f64(&num, &den);
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &v in x {
        let d = (v - mean) * (v - mean);
        let t = s + d;
        c += if s.abs() >= d.abs() {
            (s - t) + d
        } else {
            (d - t) + s
        };
        s = t;
    }
    (mean, (s + c) / (x.len() - 1) as f64)
}

fn columns(n: usize, groups: u32, seed: u64) -> (Vec<u32>, Vec<f64>) {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let keys = (0..n)
        .map(|_| (next() % u64::from(groups)) as u32)
        .collect();
    let values = (0..n)
        .map(|_| match next() % 64 {
            0 => f64::NAN,
            1 => -0.0,
            r => 1e6 + (next() >> 11) as f64 / (1u64 << 53) as f64 * r as f64,
        })
        .collect();
    (keys, values)
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(24)))]

    #[test]
    fn p_group_stats(n in edge_len(), g in prop::sample::select(vec![1u32, 3, 200, 70_000]), seed in any::<u64>(), t in 0usize..8) {
        // Few groups per chunk are counted into place; 70,000 (more than a chunk's rows) are sorted.
        let (keys, values) = columns(n, g, seed);
        let got = pools()[t].group_stats(&keys, &values, g as usize).unwrap();
        prop_assert_eq!(got.len(), g as usize);
        prop_assert_eq!(&got, &pools()[0].group_stats(&keys, &values, g as usize).unwrap());
        for (k, s) in got.iter().enumerate().filter(|(k, _)| *k % 997 == 0 || g <= 200) {
            let mine: Vec<f64> = keys.iter().zip(&values).filter(|&(&key, _)| key as usize == k).map(|(_, &v)| v).collect();
            let finite: Vec<f64> = mine.iter().copied().filter(|v| !v.is_nan()).collect();
            prop_assert_eq!(s.count(), finite.len() as u64);
            prop_assert_eq!(s.nan_count(), (mine.len() - finite.len()) as u64);
            let min = finite.iter().copied().min_by(f64::total_cmp);
            let max = finite.iter().copied().max_by(f64::total_cmp);
            prop_assert_eq!(s.min().map(f64::to_bits), min.map(f64::to_bits));
            prop_assert_eq!(s.max().map(f64::to_bits), max.map(f64::to_bits));
            if finite.len() >= 2 {
                // Neumaier within each chunk, then one rounding a level of the tree: D = 24.
                prop_assert!(within_bound(s.sum(), &finite, 24), "group {}: sum {}", k, s.sum());
                let (mean, var) = mean_var(&finite);
                prop_assert!((s.mean().unwrap() - mean).abs() <= 1e-12 * mean.abs(), "group {}", k);
                let v = s.variance(1).unwrap();
                prop_assert!((v - var).abs() <= 1e-12 * var, "group {}: {} against {}", k, v, var);
            }
        }
    }
}

/// Two calls over rows split at a subtree boundary (after two of three chunks), merged group by
/// group, give the whole call's bits: the partials are those of the canonical tree.
#[test]
#[cfg_attr(miri, ignore = "needs three chunks of rows")]
fn a_split_at_a_subtree_merges_to_the_whole() {
    let n = 3 * CHUNK_LEN - 17;
    let (keys, values) = columns(n, 50, 7);
    let split = 2 * CHUNK_LEN;
    for pool in &pools()[..3] {
        let whole = pool.group_stats(&keys, &values, 50).unwrap();
        let a = pool
            .group_stats(&keys[..split], &values[..split], 50)
            .unwrap();
        let b = pool
            .group_stats(&keys[split..], &values[split..], 50)
            .unwrap();
        let merged: Vec<Stats<f64>> = a
            .into_iter()
            .zip(b)
            .map(|(a, b)| Stats::merge(a, b))
            .collect();
        assert_eq!(merged, whole);
    }
}

/// A column of one key describes the values as `stats` does: the same counts and extremes, and
/// (integers) the same exact sum; the float sums and moments differ only in rounding.
#[test]
fn one_key_describes_the_column() {
    let n = if cfg!(miri) { 700 } else { 3 * CHUNK_LEN + 5 };
    let (_, values) = columns(n, 1, 42);
    let ints: Vec<i32> = (0..n as i32).map(|i| i * 7919 - 1_000_000).collect();
    for pool in pools() {
        let g = pool.group_stats(&vec![2u8; n], &values, 3).unwrap();
        let s = pool.stats(&values);
        assert_eq!(
            (g[2].count(), g[2].nan_count(), g[2].min(), g[2].max()),
            (s.count(), s.nan_count(), s.min(), s.max())
        );
        assert!((g[2].sum() - s.sum()).abs() <= 1e-13 * s.sum().abs());
        assert!(
            (g[2].variance(1).unwrap() - s.variance(1).unwrap()).abs()
                <= 1e-10 * s.variance(1).unwrap()
        );
        assert_eq!((g[0], g[1]), (Stats::empty(), Stats::empty()));
        let g = pool.group_stats(&vec![0i64; n], &ints, 1).unwrap();
        let s = pool.stats(&ints);
        assert_eq!(
            (g[0].count(), g[0].sum(), g[0].min(), g[0].max()),
            (s.count(), s.sum(), s.min(), s.max())
        );
    }
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let n = if cfg!(miri) { 300 } else { 5 * CHUNK_LEN };
    let mut keys = vec![1u32; n];
    keys[n - 3] = 9; // the first bad row, in the last chunk
    keys[n - 1] = 12;
    let values = vec![1.0; n];
    for pool in pools() {
        let err = pool.group_stats(&keys, &values, 9).unwrap_err().to_string();
        assert!(err.contains(&format!("key 9 at row {}", n - 3)), "{err}");
        let err = pool
            .group_stats(&keys[1..], &values, 20)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("{}", n - 1)), "{err}");
    }
    let err = pools()[1]
        .group_stats(&[0i16, -4], &[1.0, 2.0], 3)
        .unwrap_err()
        .to_string();
    assert!(err.contains("key -4 at row 1"), "{err}");
    let err = pools()[1]
        .group_stats(&[0u32], &[1.0], (1 << 24) + 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("groups"), "{err}");
    // No row: every group empty; no group and no row: no result.
    assert_eq!(
        pools()[1].group_stats::<u32, f64>(&[], &[], 2).unwrap(),
        [Stats::empty(); 2]
    );
    assert!(pools()[1]
        .group_stats::<u32, f64>(&[], &[], 0)
        .unwrap()
        .is_empty());
    assert!(pools()[1].group_stats(&[0u32], &[1.0], 0).is_err());
}

#[test]
fn a_cancelled_call_is_an_error() {
    let n = if cfg!(miri) { 300 } else { 4 * CHUNK_LEN };
    let token = CancelToken::new();
    token.cancel();
    let opts = ParOptions {
        cancel: Some(&token),
        ..ParOptions::default()
    };
    let err = pools()[1]
        .group_stats_with(&vec![0u32; n], &vec![1.0; n], 1, opts)
        .unwrap_err();
    assert!(err.is_cancelled(), "{err}");
}
