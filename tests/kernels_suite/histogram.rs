//! Properties of `Pool::histogram` against an oracle that bins each value by a binary search of
//! numpy's edges (`linspace`): every thread count gives the same counts; values on edges, just
//! beside them, outside the range, NaN, ±∞; integers; one-value ranges; empty data.

use crate::common::{edge_len, pools};
use proptest::prelude::*;
use shmkern::kernels::{Histogram, StatElement};

/// numpy's `histogram` counts by definition: edges `i·step + lo` (`step = (hi − lo)/bins`, the last
/// `hi`), a value in bin `i` when `edges[i] <= x < edges[i + 1]`, the last bin closed.
fn oracle<T: StatElement>(x: &[T], bins: usize, lo: f64, hi: f64) -> Histogram {
    let (lo, hi) = if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let step = (hi - lo) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + lo).collect();
    edges[bins] = hi;
    let mut h = Histogram {
        edges: edges.clone(),
        counts: vec![0; bins],
        below: 0,
        above: 0,
        nan_count: 0,
    };
    for v in x.iter().map(|v| v.value()) {
        if v.is_nan() {
            h.nan_count += 1;
        } else if v < lo {
            h.below += 1;
        } else if v > hi {
            h.above += 1;
        } else {
            let i = edges.partition_point(|&e| e <= v).min(bins) - 1;
            h.counts[i.min(bins - 1)] += 1;
        }
    }
    h
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(64)))]

    /// Values from the edges themselves and their neighbours, spread values, outliers, NaN, ±∞.
    #[test]
    fn p_f64(n in edge_len(), seed in any::<u64>(), bins in 1usize..50, lo in -1e3f64..1e3, width in 0.0f64..1e3, t in 0usize..8) {
        let hi = lo + width;
        let ours = pools()[t].histogram(&[0.0f64; 0], bins, Some((lo, hi))).unwrap();
        let edges = ours.edges.clone();
        let mut s = seed | 1;
        let x: Vec<f64> = (0..n).map(|_| {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            let e = edges[(s % edges.len() as u64) as usize];
            match s % 11 {
                0 => e,
                1 => e.next_up(),
                2 => e.next_down(),
                3 => f64::NAN,
                4 => if s & 64 == 0 { f64::INFINITY } else { f64::NEG_INFINITY },
                5 => lo - 1.0,
                _ => lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64),
            }
        }).collect();
        let got = pools()[t].histogram(&x, bins, Some((lo, hi))).unwrap();
        prop_assert_eq!(&got, &oracle(&x, bins, lo, hi));
        prop_assert_eq!(got.counts.iter().sum::<u64>() + got.below + got.above + got.nan_count, n as u64);
    }

    /// Without a range: the data's own extremes (integers too), NaNs apart.
    #[test]
    fn p_own_range(n in 1usize..5000, seed in any::<u64>(), bins in 1usize..300) {
        let mut s = seed | 1;
        let mut next = move || { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s };
        let a: Vec<i32> = (0..n).map(|_| next() as i32 >> (next() % 31)).collect();
        let (lo, hi) = (*a.iter().min().unwrap() as f64, *a.iter().max().unwrap() as f64);
        prop_assert_eq!(pools()[1].histogram(&a, bins, None).unwrap(), oracle(&a, bins, lo, hi));
        let f: Vec<f32> = (0..n).map(|i| if i % 7 == 0 { f32::NAN } else { (next() >> 40) as f32 * 0.37 }).collect();
        let clean = f.iter().filter(|v| !v.is_nan());
        let lo = clean.clone().fold(f32::INFINITY, |a, &b| a.min(b)) as f64;
        let hi = clean.fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
        let got = pools()[2].histogram(&f, bins, None).unwrap();
        if lo.is_finite() {
            prop_assert_eq!(got, oracle(&f, bins, lo, hi));
        }
    }
}

#[test]
fn edges_and_errors() {
    let pool = &pools()[1];
    let one = pool.histogram(&[5.0f64; 10], 2, None).unwrap();
    assert_eq!((one.edges, one.counts), (vec![4.5, 5.0, 5.5], vec![0, 10]));
    let empty = pool.histogram::<f64>(&[], 2, None).unwrap();
    assert_eq!(
        (empty.edges, empty.counts),
        (vec![0.0, 0.5, 1.0], vec![0, 0])
    );
    let err = |r: Result<Histogram, shmkern::Error>| r.unwrap_err().to_string();
    assert!(err(pool.histogram(&[1.0], 0, None)).contains("1 to 16777216 bins, not 0"));
    assert!(
        err(pool.histogram(&[1.0], usize::MAX, None)).contains("bins, not 18446744073709551615")
    );
    assert!(err(pool.histogram(&[1.0], 3, Some((2.0, 1.0)))).contains("range 2..1 must be finite"));
    assert!(err(pool.histogram(&[1.0], 3, Some((0.0, f64::NAN)))).contains("must be finite"));
    assert!(err(pool.histogram(&[1.0, f64::INFINITY], 3, None)).contains("give a range"));
    let wide = [-f64::MAX, 0.0, f64::MAX];
    assert!(err(pool.histogram(&wide, 3, None)).contains("wider than the largest double"));
    let inf = pool
        .histogram(
            &[1.0, f64::INFINITY, f64::NEG_INFINITY],
            2,
            Some((0.0, 2.0)),
        )
        .unwrap();
    assert_eq!((inf.counts, inf.below, inf.above), (vec![0, 1], 1, 1));
}
