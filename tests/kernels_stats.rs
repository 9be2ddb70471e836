//! Properties of `stats` (docs/numerics.md §3, §5): determinism over thread counts (P-det), count / NaN
//! count / min / max / sum against direct computations, P-var against the exact rational variance,
//! P-merge, P-special, and integer statistics (P-int).

#[path = "common/kernels.rs"]
mod common;
#[path = "common/miri.rs"]
mod miri;
#[path = "common/oracle.rs"]
#[allow(dead_code)]
mod oracle;

use common::{edge_len, pools};
use proptest::prelude::*;
use shmkern::kernels::sequential_sum;
use shmkern::{sched::CHUNK_LEN, Stats};

/// Data around an offset (stresses the variance's cancellation), sometimes with NaNs and signed
/// zeros.
fn data() -> impl Strategy<Value = Vec<f64>> {
    (
        edge_len(),
        -1e6f64..1e6,
        1e-3f64..1e3,
        any::<u64>(),
        0u32..4,
    )
        .prop_map(|(n, offset, scale, seed, nans)| {
            let mut s = seed | 1;
            (0..n)
                .map(|i| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    if nans > 0 && s % 97 == 0 {
                        f64::NAN
                    } else if i % 1009 == 5 {
                        if s & 1 == 0 {
                            0.0
                        } else {
                            -0.0
                        }
                    } else {
                        offset + scale * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
                    }
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::with_cases(256)))]

    /// P-det and the plain fields: every thread count gives the same bits; count, NaN count, min,
    /// max match a direct computation; the sum is the §1 tree over the non-NaN values.
    #[test]
    fn p_det_and_fields(xs in data(), t in 0usize..8) {
        let s = pools()[t].stats(&xs);
        prop_assert_eq!(s, pools()[0].stats(&xs), "threads {}", t + 1);
        let clean: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
        prop_assert_eq!(s.count(), clean.len() as u64);
        prop_assert_eq!(s.nan_count(), (xs.len() - clean.len()) as u64);
        let min = clean.iter().copied().min_by(f64::total_cmp);
        let max = clean.iter().copied().max_by(f64::total_cmp);
        prop_assert_eq!(s.min().map(f64::to_bits), min.map(f64::to_bits));
        prop_assert_eq!(s.max().map(f64::to_bits), max.map(f64::to_bits));
        // NaNs are absent: replacing each by -0.0 keeps every lane's value.
        let absent: Vec<f64> = xs.iter().map(|&x| if x.is_nan() { -0.0 } else { x }).collect();
        if !clean.is_empty() {
            prop_assert_eq!(s.sum().to_bits(), sequential_sum(&absent).to_bits());
        }
    }

    /// P-var: variance against the exact rational (n·S2 − S1²) / (n·(n − ddof)), within
    /// 8·(D + 4)·u·κ, κ = 1 + mean²/variance (the two-pass-per-chunk scheme's error grows with the
    /// data's offset relative to its spread).
    #[test]
    fn p_var(xs in data(), ddof in 0u64..3) {
        let s = pools()[1].stats(&xs);
        let clean: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
        match oracle::variance_rational(&clean, ddof) {
            None => prop_assert_eq!(s.variance(ddof), None),
            Some((num, den)) => {
                let v = s.variance(ddof).unwrap();
                let exact = oracle::round_rational_f64(&num, &den);
                if exact == 0.0 {
                    prop_assert!(v <= 1e-9 * s.mean().unwrap().abs().max(1.0).powi(2));
                } else {
                    let mean = s.mean().unwrap();
                    let kappa = 1.0 + mean * mean / exact;
                    let d = oracle::d_fast(clean.len()) as f64;
                    let bound = 8.0 * (d + 4.0) * f64::EPSILON / 2.0 * kappa;
                    let rel = oracle::relative_error(v, &num, &den);
                    prop_assert!(rel <= bound, "relative error {} > bound {} (len {})", rel, bound, clean.len());
                }
            }
        }
    }

    /// P-merge: merging the statistics of a (the largest power of two of chunks below the total)
    /// and b (the rest) gives the statistics of a ++ b, bit for bit.
    #[test]
    #[cfg_attr(miri, ignore = "grows every input past one chunk: too slow for Miri")]
    fn p_merge(xs in data()) {
        // Grow short inputs past one chunk (by repeating them) instead of rejecting them.
        let mut xs = xs;
        if xs.is_empty() {
            xs.push(1.5);
        }
        while xs.len() <= CHUNK_LEN {
            xs.extend_from_within(..);
        }
        let chunks = xs.len().div_ceil(CHUNK_LEN);
        let mut left = 1;
        while left * 2 < chunks {
            left *= 2;
        }
        let (a, b) = xs.split_at(left * CHUNK_LEN);
        let pool = &pools()[1];
        prop_assert_eq!(Stats::merge(pool.stats(a), pool.stats(b)), pool.stats(&xs));
    }

    /// P-int: integer statistics are exact where they can be: sum (wide), min, max in the input
    /// type, and the mean is the exact sum converted once, divided by n.
    #[test]
    fn p_int(n in edge_len(), seed in any::<u64>(), t in 0usize..8) {
        let mut s = seed | 1;
        let raw: Vec<u64> = (0..n.min(150_000)).map(|_| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; s }).collect();
        let pool = &pools()[t];
        macro_rules! check {
            ($t:ty, $wide:ty) => {{
                let v: Vec<$t> = raw.iter().map(|&r| r as $t).collect();
                let st = pool.stats(&v);
                prop_assert_eq!(st, pools()[0].stats(&v));
                let exact: $wide = v.iter().map(|&x| x as $wide).sum();
                prop_assert_eq!(st.sum(), exact);
                prop_assert_eq!(st.min(), v.iter().copied().min());
                prop_assert_eq!(st.max(), v.iter().copied().max());
                prop_assert_eq!(st.nan_count(), 0);
                if !v.is_empty() {
                    prop_assert_eq!(st.mean(), Some(exact as f64 / v.len() as f64));
                }
            }};
        }
        check!(i8, i128); check!(i16, i128); check!(i32, i128); check!(i64, i128);
        check!(u8, u128); check!(u16, u128); check!(u32, u128); check!(u64, u128);
    }
}

/// P-special (docs/numerics.md §2) for statistics.
#[test]
#[cfg_attr(miri, ignore = "several chunks on 8 pools: too slow for Miri")]
fn p_special() {
    for pool in pools() {
        let e = pool.stats::<f64>(&[]);
        assert_eq!(
            (e.count(), e.nan_count(), e.min(), e.mean(), e.variance(0)),
            (0, 0, None, None, None)
        );
        let nans = pool.stats(&[f64::NAN; 3]);
        assert_eq!((nans.count(), nans.nan_count(), nans.max()), (0, 3, None));
        let z = pool.stats(&[0.0, -0.0, 0.0]);
        assert_eq!(
            z.min().map(f64::to_bits),
            Some((-0.0f64).to_bits()),
            "-0.0 < +0.0"
        );
        assert_eq!(z.max().map(f64::to_bits), Some(0.0f64.to_bits()));
        let one = pool.stats(&[5.0f32]);
        assert_eq!((one.variance(0), one.variance(1)), (Some(0.0), None));
        assert_eq!(one.min(), Some(5.0f32));
        let inf = pool.stats(&[1.0, f64::INFINITY]);
        assert_eq!(inf.max(), Some(f64::INFINITY));
        assert_eq!(inf.mean(), Some(f64::INFINITY));
        // IEEE: ∞ − ∞ is NaN, and the clamp of negative variances must not hide it as 0.0.
        assert!(inf.variance(1).unwrap().is_nan());
        assert!(inf.std_dev(0).unwrap().is_nan());
        // Constant data: exactly 0 when the mean is exact; otherwise tiny and never negative.
        let c = pool.stats(&vec![0.5f64; 3 * CHUNK_LEN + 5]);
        assert_eq!(c.variance(1), Some(0.0));
        let c = pool.stats(&vec![0.1f64; 3 * CHUNK_LEN + 5]);
        let v = c.variance(1).unwrap();
        assert!((0.0..1e-30).contains(&v), "{v}");
        // Pod: it round-trips through bytes (a shared mapping, a file, a socket).
        let s = pool.stats(&[1.0, 2.0, 4.0]);
        let bytes = bytemuck::bytes_of(&s).to_vec();
        assert_eq!(bytes.len(), 80);
        assert_eq!(*bytemuck::from_bytes::<Stats<f64>>(&bytes), s);
    }
}

/// `n` values `offset + scale · z`, `z` standard normal (Box–Muller over a fixed xorshift), each
/// rounded to `f64`.
fn shifted_normal(n: usize, offset: f64, scale: f64, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    let mut uniform = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let (u, v) = (uniform(), uniform());
            offset + scale * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        })
        .collect()
}

/// The exact population variance of `xs`, all within a factor of two of `offset`, rounded once:
/// each `x − offset` is exact (Sterbenz) and a multiple of `ulp(offset) / 2`, so the variance is
/// a ratio of integers (`Σ D`, `Σ D²` in `i128` for the `D = (x − offset) / (ulp / 2)`).
fn exact_shifted_variance(xs: &[f64], offset: f64) -> f64 {
    let step = (offset.abs().to_bits() + 1) as i64; // next float up: ulp(offset) = its difference
    let ulp = f64::from_bits(step as u64) - offset.abs();
    let (mut s1, mut s2) = (0i128, 0i128);
    for &x in xs {
        let d = x - offset;
        assert!(
            x / offset >= 0.5 && x / offset <= 2.0,
            "{x} is not near {offset}"
        );
        let k = d / (ulp / 2.0);
        assert_eq!(k, k.trunc(), "{x} is not on the grid");
        let k = k as i128;
        s1 += k;
        s2 += k * k;
    }
    let n = xs.len() as i128;
    let num = num_bigint::BigInt::from(n * s2 - s1 * s1);
    let scale = ulp / 2.0; // a power of two: variance = num / n² · scale²
    let den = num_bigint::BigInt::from(n * n);
    oracle::round_rational_f64(&num, &den) * scale * scale
}

/// The ulps between two positive finite `f64`s.
fn ulps(a: f64, b: f64) -> u64 {
    a.to_bits().abs_diff(b.to_bits())
}

/// Data around a large offset (1e9 + N(0, 1), the case numpy's `np.var` gets within about 50 ulps
/// of the exact variance): within 2 ulps on every pool (these cases come out correctly rounded).
/// Chunk means held as one `f64` each missed by about 470,000 ulps: the merged mean's last bit is
/// large against the chunks' differences of means.
#[test]
#[cfg_attr(miri, ignore = "a million values on 8 pools: too slow for Miri")]
fn shifted_data_variance_is_accurate() {
    for (n, offset, scale) in [
        (1 << 20, 1e9, 1.0),
        (300_000, 1e6, 1e-3),
        (200_000, -3e12, 10.0),
    ] {
        let xs = shifted_normal(n, offset, scale, 7);
        let exact = exact_shifted_variance(&xs, offset);
        for pool in pools() {
            let v = pool.stats(&xs).variance(0).unwrap();
            assert!(
                ulps(v, exact) <= 2,
                "offset {offset}: variance {v:e}, exact {exact:e}: {} ulps",
                ulps(v, exact)
            );
        }
    }
    // f32 data around 1e4 (f32 values, so exact in f64 on the way): the f64 variance rounded to
    // f32 is the exact one rounded to f32, or one ulp from it.
    let xs: Vec<f32> = shifted_normal(1 << 20, 1e4, 1.0, 9)
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let wide: Vec<f64> = xs.iter().map(|&v| f64::from(v)).collect();
    let exact = exact_shifted_variance(&wide, 1e4) as f32;
    let v = shmkern::stats(&xs).variance(0).unwrap() as f32;
    assert!(
        v.to_bits().abs_diff(exact.to_bits()) <= 1,
        "{v:e} against {exact:e}"
    );
}

/// Finite values whose variance overflows give +∞ wherever the huge values fall — one chunk or
/// two (the merge then squares their difference of means) — never NaN; ±∞ in the input still
/// gives NaN (∞ − ∞).
#[test]
#[cfg_attr(miri, ignore = "several chunks on 8 pools: too slow for Miri")]
fn overflowing_variance_is_infinite() {
    // Each chunk constant (its own second moment 0): only the merge's squared difference of the
    // chunks' means, (2e155)², overflows.
    let mut apart = vec![1e155f64; 2 * CHUNK_LEN];
    apart[CHUNK_LEN..].fill(-1e155);
    let mut together = vec![0.0f64; 2 * CHUNK_LEN];
    (together[0], together[1]) = (1e200, -1e200);
    let huge: Vec<f64> = (0..3 * CHUNK_LEN)
        .map(|i| if i % 2 == 0 { 1e300 } else { -1e300 } * (1.0 + i as f64 * 1e-6))
        .collect();
    let same = vec![1e308f64; 4]; // the sum overflows; the variance is 0 but Σx is not finite
    for pool in pools() {
        for xs in [&apart, &together, &huge] {
            let s = pool.stats(xs);
            assert_eq!(s.variance(1), Some(f64::INFINITY), "{:e}", xs[0]);
            assert_eq!(s.std_dev(0), Some(f64::INFINITY));
        }
        assert_eq!(pool.stats(&same).variance(0), Some(f64::INFINITY));
        let mut with_inf = apart.clone();
        with_inf[5] = f64::INFINITY;
        assert!(pool.stats(&with_inf).variance(0).unwrap().is_nan());
        let f32s = pool.stats(&[3e38f32, -3e38, 3e38]);
        assert!(
            f32s.variance(0).unwrap() > 1e76,
            "f32 values are summed in f64"
        );
    }
}
