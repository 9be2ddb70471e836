//! Properties of the order-free exact kernels, `ExactSum` and `ExactMoments`: the mean and the
//! variance are the exact rationals rounded once (big integers on the 2^-1074 scale, `oracle.rs`),
//! and partials of a random partition of the data into runs of chunks — any runs, not only
//! subtrees of the canonical tree — merged in a random order and grouping give the single call's
//! bits (and bytes).

use crate::common::{edge_len, pools};
use crate::oracle::{round_rational_f64, to_exact};
use num_bigint::BigInt;
use proptest::prelude::*;
use shmkern::kernels::{partial, ExactMoments, ExactSum, Kernel, PowerSums, Superaccumulator};
use shmkern::sched::CHUNK_LEN;

/// Values around a random offset with a random spread and sign mix: the cancellation the exact
/// kernels exist for.
fn values() -> impl Strategy<Value = Vec<f64>> {
    (edge_len(), any::<u64>(), -40i32..40, -30i32..10).prop_map(|(n, seed, offset, spread)| {
        let mut s = seed | 1;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let base = 2f64.powi(offset) * if seed % 3 == 0 { -1.0 } else { 1.0 };
        (0..n)
            .map(|_| {
                let r = next();
                match r % 101 {
                    0 => f64::NAN,
                    _ => base + ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2f64.powi(spread),
                }
            })
            .collect()
    })
}

/// The exact mean and variances (ddof 0 and 1) of the non-NaN values, each rounded once.
fn oracle(x: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let v: Vec<BigInt> = x
        .iter()
        .filter(|v| !v.is_nan())
        .map(|&v| to_exact(v))
        .collect();
    let n = BigInt::from(v.len());
    if v.is_empty() {
        return (None, None, None);
    }
    let s1: BigInt = v.iter().sum();
    let s2: BigInt = v.iter().map(|a| a * a).sum();
    let mean = round_rational_f64(&s1, &(&n << 1074u32));
    let num = &n * &s2 - &s1 * &s1; // on the 2^-2148 scale, times n
    let var = |ddof: usize| {
        (v.len() > ddof)
            .then(|| round_rational_f64(&num, &((&n * BigInt::from(v.len() - ddof)) << 2148u32)))
    };
    (Some(mean), var(0), var(1))
}

/// Splits `0..chunks` into random runs, takes each run's partial, and merges them in a random
/// order and grouping.
fn merged_at_random<K>(
    k: &K,
    x: &[f64],
    seed: u64,
    merge: fn(K::Partial, K::Partial) -> K::Partial,
) -> K::Partial
where
    K: for<'a> Kernel<Input<'a> = &'a [f64]>,
{
    let chunks = x.len().div_ceil(CHUNK_LEN).max(1);
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut parts = Vec::new();
    let mut c = 0;
    while c < chunks {
        let run = 1 + (next() % chunks as u64) as usize;
        let end = (c + run).min(chunks);
        let rows = &x[(c * CHUNK_LEN).min(x.len())..(end * CHUNK_LEN).min(x.len())];
        parts.push(partial(k, rows, c as u32).unwrap());
        c = end;
    }
    while parts.len() > 1 {
        let i = (next() % parts.len() as u64) as usize;
        let a = parts.swap_remove(i);
        let j = (next() % parts.len() as u64) as usize;
        parts[j] = if next() % 2 == 0 {
            merge(parts[j], a)
        } else {
            merge(a, parts[j])
        };
    }
    parts[0]
}

proptest! {
    #![proptest_config(crate::miri::config(ProptestConfig::with_cases(48)))]

    #[test]
    fn p_exact_moments(x in values(), t in 0usize..8, seed in any::<u64>()) {
        let k = ExactMoments::new();
        let m = pools()[t].run(&k, &x[..]).unwrap();
        let (mean, var0, var1) = oracle(&x);
        prop_assert_eq!(m.mean().map(f64::to_bits), mean.map(f64::to_bits));
        prop_assert_eq!(m.variance(0).map(f64::to_bits), var0.map(f64::to_bits));
        prop_assert_eq!(m.variance(1).map(f64::to_bits), var1.map(f64::to_bits));
        let nans = x.iter().filter(|v| v.is_nan()).count() as u64;
        prop_assert_eq!((m.count(), m.nan_count()), (x.len() as u64 - nans, nans));
        // Any partition, any merge order: the same bytes.
        prop_assert_eq!(merged_at_random(&k, &x, seed, PowerSums::merge), m);
    }

    #[test]
    fn p_exact_sum_merges_in_any_order(x in values(), t in 0usize..8, seed in any::<u64>()) {
        let clean: Vec<f64> = x.iter().map(|&v| if v.is_nan() { 1.0 } else { v }).collect();
        let k = ExactSum::new();
        let whole = pools()[t].run(&k, &clean[..]).unwrap();
        let merged = merged_at_random(&k, &clean, seed, Superaccumulator::merge);
        prop_assert_eq!(k.finish(merged).to_bits(), whole.to_bits());
        prop_assert_eq!(whole.to_bits(), pools()[t].sum_float_at(&clean, shmkern::kernels::Accuracy::Exact).to_bits());
    }
}
