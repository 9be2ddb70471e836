//! Properties of `Pool::quantiles` against the obvious oracle: sort the non-NaN values (total
//! order) and take numpy's `linear` method on the sorted copy. Every thread count gives the same
//! result; lengths around the chunk edges, duplicates, ±0.0, ±∞, integers, `f32`; and data that
//! makes the histogram passes refine several times.

use crate::common::{edge_len, pools};
use proptest::prelude::*;
use shmkern::kernels::StatElement;

/// numpy's `np.nanquantile(x, q)` (method `linear`) on a sorted copy: `h = (n − 1)·q`, the values
/// at `⌊h⌋` and `⌊h⌋ + 1` and numpy's `_lerp`.
fn oracle<T: StatElement>(x: &[T], qs: &[f64]) -> Vec<Option<f64>> {
    let mut v: Vec<T> = x.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by_key(|x| x.key());
    qs.iter()
        .map(|&q| {
            if v.is_empty() {
                return None;
            }
            let h = (v.len() - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(v.len() - 1);
            let (a, b, t) = (v[lo].value(), v[hi].value(), h - h.floor());
            let d = b - a;
            Some(if t >= 0.5 {
                b - d * (1.0 - t)
            } else {
                a + d * t
            })
        })
        .collect()
}

/// Bit patterns of the results (signed zeros compared as bits; every NaN as the canonical one,
/// which shmkern returns: the sign of a NaN an operation makes differs between CPUs).
fn bits(r: &[Option<f64>]) -> Vec<Option<u64>> {
    let canonical = |v: f64| if v.is_nan() { f64::NAN } else { v };
    r.iter()
        .map(|v| v.map(|v| canonical(v).to_bits()))
        .collect()
}

fn quantile_list() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            Just(0.0),
            Just(1.0),
            Just(0.5),
            Just(0.25),
            Just(0.75),
            0.0f64..=1.0
        ],
        1..6,
    )
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(64)))]

    /// f64 data with duplicates, signed zeros, NaNs and infinities, every pool.
    #[test]
    fn p_f64(n in edge_len(), seed in any::<u64>(), qs in quantile_list(), t in 0usize..8, kind in 0u8..4) {
        let mut s = seed | 1;
        let x: Vec<f64> = (0..n).map(|_| {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            match (kind, s % 50) {
                (_, 0) => f64::NAN,
                (1, 1) => f64::INFINITY,
                (1, 2) => f64::NEG_INFINITY,
                (_, 3) => -0.0,
                (_, 4) => 0.0,
                (2, _) => (s % 7) as f64,             // few distinct values
                (3, _) => 1e9 + (s % 1000) as f64 * 1e-7, // a narrow cluster
                _ => (s >> 11) as f64 * 1e-10 - 5e5,
            }
        }).collect();
        let got = pools()[t].quantiles(&x, &qs).unwrap();
        prop_assert_eq!(bits(&got), bits(&oracle(&x, &qs)));
        // From known statistics (one read fewer): the same.
        let stats = pools()[t].stats(&x);
        let given = pools()[t].quantiles_given(&x, &qs, &stats, Default::default()).unwrap();
        prop_assert_eq!(bits(&given), bits(&got));
    }

    /// Integers (including the 64-bit extremes, ranked exactly and interpolated in f64) and f32.
    #[test]
    fn p_ints_and_f32(n in 0usize..5000, seed in any::<u64>(), qs in quantile_list()) {
        let mut s = seed | 1;
        let mut next = move || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s };
        let a: Vec<i64> = (0..n).map(|i| match i % 97 { 0 => i64::MIN, 1 => i64::MAX, _ => next() as i64 }).collect();
        prop_assert_eq!(bits(&pools()[1].quantiles(&a, &qs).unwrap()), bits(&oracle(&a, &qs)));
        let b: Vec<u8> = (0..n).map(|_| next() as u8).collect();
        prop_assert_eq!(bits(&pools()[2].quantiles(&b, &qs).unwrap()), bits(&oracle(&b, &qs)));
        let c: Vec<f32> = (0..n).map(|_| f32::from_bits(next() as u32)).collect();
        prop_assert_eq!(bits(&pools()[3].quantiles(&c, &qs).unwrap()), bits(&oracle(&c, &qs)));
    }
}

/// How many reads of `x` a call makes (the progress counter counts every pass's elements).
fn reads(x: &[f64], qs: &[f64]) -> (Vec<Option<f64>>, u64) {
    let done = std::sync::atomic::AtomicU64::new(0);
    let opts = shmkern::ParOptions {
        progress: Some(&done),
        ..Default::default()
    };
    let r = pools()[1].quantiles_with(x, qs, opts).unwrap();
    (r, done.into_inner() / x.len() as u64)
}

/// Three reads on spread-out data (extremes, one histogram, the collection); more values than
/// one collection holds inside one histogram bin make the passes refine: a dense cluster of 3 Mi
/// distinct values beside far-away ones takes four more histograms; 3 Mi copies of one value need
/// only the extremes.
#[test]
#[cfg_attr(miri, ignore = "millions of values: too slow for Miri")]
fn reads_and_dense_clusters() {
    let n = 3 << 20;
    let qs = [0.0, 0.1, 0.5, 0.999_999, 1.0];
    let spread: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64 * 0.5).collect();
    let (r, passes) = reads(&spread, &qs);
    assert_eq!((bits(&r), passes), (bits(&oracle(&spread, &qs)), 3));
    let mut x: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * f64::EPSILON).collect();
    x.extend([-1e300, 1e300, 0.0]);
    let (r, passes) = reads(&x, &qs);
    assert_eq!((bits(&r), passes), (bits(&oracle(&x, &qs)), 6));
    let same = vec![7.25f64; n];
    assert_eq!(reads(&same, &qs), (vec![Some(7.25); 5], 1));
}

#[test]
fn bad_quantiles_are_errors() {
    for q in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
        let err = pools()[0].quantiles(&[1.0, 2.0], &[0.5, q]).unwrap_err();
        assert!(err.to_string().contains("not in [0, 1]"), "{err}");
    }
    assert_eq!(pools()[0].quantiles::<f64>(&[], &[0.5]).unwrap(), [None]);
    assert_eq!(
        pools()[0].quantiles(&[1.0], &[]).unwrap(),
        Vec::<Option<f64>>::new()
    );
}
