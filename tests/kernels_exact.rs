//! Properties of `Accuracy::Exact` (docs/numerics.md §5):
//!
//! - **P-exact**: `sum_float_at(data, Exact)` equals the exact oracle's sum rounded once to nearest-even
//!   (`oracle::exact_sum_f64(..).round_f64()`), bit for bit, for `f64` and `f32` input, on pools of
//!   1–8 threads, for lengths around the block and chunk edges and magnitudes across the whole
//!   exponent range (subnormals to near `f64::MAX`, where the exact sum may overflow), heavy
//!   cancellation and signed zeros; also with NaNs and infinities mixed in.
//! - **P-special**: docs/numerics.md §2 for Exact, by hand, bit for bit.
//! - **P-det**: the same bits for every thread count.
//! - The data has teeth: on the same generated data a naive loop and `Fast` mode miss the exact
//!   result in a large share of cases, so the properties above would catch a sum that is not exact.

#[path = "common/kernels.rs"]
#[allow(dead_code)] // `edge_len`: the lengths here are weighted towards short inputs
mod common;
#[path = "common/miri.rs"]
mod miri;
#[path = "common/oracle.rs"]
#[allow(dead_code)]
mod oracle;

use common::pools;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use shmkern::kernels::Accuracy;
use shmkern::{sched::BLOCK_LEN, sched::CHUNK_LEN};

const EXACT: Accuracy = Accuracy::Exact;

/// Lengths around the edges — 0, 1, B−1, B, B+1, one chunk ± 1, several chunks + a tail — with the
/// long ones rare (`cargo test` runs the oracle unoptimized). Under Miri only those below 1000, as
/// in `common::edge_len`.
fn len() -> impl Strategy<Value = usize> {
    if cfg!(miri) {
        return prop_oneof![
            2 => 0usize..=2,
            3 => (BLOCK_LEN - 1)..=(BLOCK_LEN + 1),
            4 => 3usize..1000,
        ]
        .boxed();
    }
    prop_oneof![
        2 => 0usize..=2,
        3 => (BLOCK_LEN - 1)..=(BLOCK_LEN + 1),
        4 => 3usize..2000,
        1 => (CHUNK_LEN - 1)..=(CHUNK_LEN + 1),
        1 => (2usize..4).prop_flat_map(|c| (1usize..CHUNK_LEN).prop_map(move |t| c * CHUNK_LEN + t)),
    ]
    .boxed()
}

/// Finite doubles of every kind: ordinary, any exponent (normal or subnormal), near `f64::MAX`,
/// tiny, integers, signed zeros.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e6f64..1e6,
        4 => (any::<bool>(), 0u64..2047, any::<u64>())
            .prop_map(|(neg, field, frac)| {
                f64::from_bits((u64::from(neg) << 63) | (field << 52) | (frac & ((1 << 52) - 1)))
            }),
        1 => (1u64..1 << 52, any::<bool>()).prop_map(|(b, neg)| {
            let x = f64::from_bits(b); // subnormal
            if neg { -x } else { x }
        }),
        1 => (0u64..1 << 20, any::<bool>()).prop_map(|(d, neg)| {
            let x = f64::from_bits(f64::MAX.to_bits() - d); // near f64::MAX
            if neg { -x } else { x }
        }),
        1 => (-1000i32..1000).prop_map(f64::from),
        1 => Just(0.0f64),
        1 => Just(-0.0f64),
    ]
}

/// A cheap generator for long inputs: xorshift over a seed.
fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut s = seed | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}

/// `len` values drawn from a short random pattern with random signs, or — half of the time —
/// heavy cancellation: the second half negates the first in another order, and a few small
/// residues from the pattern are scattered in, so the exact sum is tiny against `Σ|x|`.
fn build(len: usize, pattern: &[f64], seed: u64, cancel: bool) -> Vec<f64> {
    let mut next = xorshift(seed);
    let pick = |r: u64| pattern[(r as usize) % pattern.len()];
    if !cancel || len < 4 {
        return (0..len)
            .map(|_| {
                let r = next();
                let v = pick(r >> 8);
                if r & 1 == 1 {
                    -v
                } else {
                    v
                }
            })
            .collect();
    }
    let half = len / 2;
    let mut v: Vec<f64> = (0..half)
        .map(|_| {
            let r = next();
            if r & 1 == 1 {
                -pick(r >> 8)
            } else {
                pick(r >> 8)
            }
        })
        .collect();
    let rot = (next() as usize) % half;
    let negated: Vec<f64> = (0..half).map(|i| -v[(i + rot) % half]).collect();
    v.extend(negated);
    while v.len() < len {
        v.push(0.0);
    }
    for _ in 0..3 {
        let (at, r) = (next() as usize % len, next());
        v[at] = pick(r) * 2f64.powi((r % 64) as i32 - 100); // a residue, maybe subnormal
    }
    v
}

fn data() -> impl Strategy<Value = Vec<f64>> {
    (
        len(),
        prop::collection::vec(value(), 1..48),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(len, pattern, seed, cancel)| build(len, &pattern, seed, cancel))
}

/// Finite `f32` values of every kind, as `f64` patterns for [`build`] (exactly representable).
fn value_f32() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -1e4f32..1e4,
        4 => (any::<bool>(), 0u32..255, any::<u32>()).prop_map(|(neg, field, frac)| {
            f32::from_bits((u32::from(neg) << 31) | (field << 23) | (frac & ((1 << 23) - 1)))
        }),
        1 => (1u32..1 << 23).prop_map(f32::from_bits), // subnormal
        1 => (0u32..1 << 10).prop_map(|d| f32::from_bits(f32::MAX.to_bits() - d)),
        1 => Just(-0.0f32),
        1 => Just(0.0f32),
    ]
    .prop_map(f64::from)
}

fn data_f32() -> impl Strategy<Value = Vec<f32>> {
    (
        len(),
        prop::collection::vec(value_f32(), 1..48),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(len, pattern, seed, cancel)| {
            // Residues are scaled by powers of two and may leave f32's range: keep them in it.
            build(len, &pattern, seed, cancel)
                .into_iter()
                .map(|x| x as f32)
                .collect()
        })
}

/// The oracle's answer: the exact sum rounded once to the nearest `f64`.
fn expected(xs: &[f64]) -> f64 {
    oracle::exact_sum_f64(xs).round_f64()
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::with_cases(256)))]

    /// P-exact, f64: bit for bit the oracle's rounding of the exact sum.
    #[test]
    fn p_exact_f64(xs in data(), t in 0usize..8) {
        let got = pools()[t].sum_float_at(&xs, EXACT);
        let want = expected(&xs);
        prop_assert_eq!(
            got.to_bits(), want.to_bits(),
            "threads {}, len {}: got {:e}, exact rounds to {:e}", t + 1, xs.len(), got, want
        );
    }

    /// P-exact, f32 input: the exact sum of the widened values, rounded once to f64.
    #[test]
    fn p_exact_f32(ys in data_f32(), t in 0usize..8) {
        let got = pools()[t].sum_float_at(&ys, EXACT);
        let want = oracle::exact_sum_f32(&ys).round_f64();
        prop_assert_eq!(
            got.to_bits(), want.to_bits(),
            "threads {}, len {}: got {:e}, exact rounds to {:e}", t + 1, ys.len(), got, want
        );
    }

    /// P-exact with NaN and ±∞ at random places: the oracle's IEEE rules.
    #[test]
    fn p_exact_special(
        mut xs in data(),
        specials in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3), 1..4),
        t in 0usize..8,
    ) {
        let n = xs.len();
        if n > 0 {
            for (at, kind) in specials {
                xs[at.index(n)] = match kind {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    _ => f64::NEG_INFINITY,
                };
            }
        }
        let got = pools()[t].sum_float_at(&xs, EXACT);
        prop_assert_eq!(got.to_bits(), expected(&xs).to_bits(), "threads {}", t + 1);
    }
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::with_cases(256)))]

    /// P-det: every thread count gives the same bits (f64 and f32).
    #[test]
    fn p_det(xs in data()) {
        let bits: Vec<u64> = pools().iter().map(|p| p.sum_float_at(&xs, EXACT).to_bits()).collect();
        prop_assert!(bits.iter().all(|&b| b == bits[0]), "len {}: {:x?}", xs.len(), bits);
        let ys: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
        let bits: Vec<u64> = pools().iter().map(|p| p.sum_float_at(&ys, EXACT).to_bits()).collect();
        prop_assert!(bits.iter().all(|&b| b == bits[0]), "f32, len {}: {:x?}", ys.len(), bits);
    }
}

/// P-special: docs/numerics.md §2 for Exact, bit for bit, on every pool, with the special value placed
/// past the first chunk so that it travels through the merge.
#[test]
#[cfg_attr(miri, ignore = "several chunks on 8 pools: too slow for Miri")]
fn p_special() {
    let nan = f64::NAN.to_bits();
    let max = f64::MAX;
    for pool in pools() {
        let s = |v: &[f64]| pool.sum_float_at(v, EXACT).to_bits();
        assert_eq!(s(&[]), 0.0f64.to_bits(), "empty is +0.0");
        assert_eq!(
            pool.sum_float_at::<f32>(&[], EXACT).to_bits(),
            0.0f64.to_bits()
        );
        let zeros = vec![-0.0f64; 3 * CHUNK_LEN + 7];
        assert_eq!(s(&zeros), (-0.0f64).to_bits(), "all -0.0 is -0.0");
        assert_eq!(s(&[-0.0]), (-0.0f64).to_bits());
        let mut mixed = zeros.clone();
        mixed[2 * CHUNK_LEN + 3] = 0.0;
        assert_eq!(s(&mixed), 0.0f64.to_bits(), "one +0.0 makes it +0.0");
        mixed[2 * CHUNK_LEN + 3] = 1.0;
        mixed[5] = -1.0;
        assert_eq!(
            s(&mixed),
            0.0f64.to_bits(),
            "an exact zero from cancellation is +0.0"
        );

        let mut v = vec![1.0f64; 2 * CHUNK_LEN + 1];
        v[CHUNK_LEN + 9] = -f64::NAN;
        assert_eq!(s(&v), nan, "any NaN gives the canonical NaN");
        v[CHUNK_LEN + 9] = f64::INFINITY;
        assert_eq!(s(&v), f64::INFINITY.to_bits(), "+inf alone is +inf");
        v[2 * CHUNK_LEN] = f64::NEG_INFINITY;
        assert_eq!(s(&v), nan, "+inf with -inf is NaN");
        assert_eq!(s(&[f64::NEG_INFINITY, max]), f64::NEG_INFINITY.to_bits());
        assert_eq!(s(&[f64::NAN, f64::INFINITY]), nan);

        // Overflow only where the exact sum rounds beyond f64::MAX.
        assert_eq!(s(&[max, max]), f64::INFINITY.to_bits());
        assert_eq!(s(&[-max, -max]), f64::NEG_INFINITY.to_bits());
        assert_eq!(s(&[max, max, -max]), max.to_bits());
        let mut big = vec![max; CHUNK_LEN + 10];
        big.extend(vec![-max; CHUNK_LEN + 9]);
        assert_eq!(s(&big), max.to_bits(), "huge partial sums, finite total");
        let half_ulp = 2f64.powi(970);
        assert_eq!(
            s(&[max, half_ulp]),
            f64::INFINITY.to_bits(),
            "the midpoint rounds up"
        );
        assert_eq!(s(&[max, half_ulp, -f64::from_bits(1)]), max.to_bits());

        // Hand cases of docs/numerics.md §5.
        assert_eq!(pool.sum_float_at(&[1e16, 1.0, -1e16], EXACT), 1.0);
        assert_eq!(pool.sum_float_at(&[1.0, 1e100, 1.0, -1e100], EXACT), 2.0);
        let tiny = f64::from_bits(1);
        assert_eq!(
            s(&[tiny, tiny, -tiny]),
            tiny.to_bits(),
            "subnormals are exact"
        );
        let f: [f32; 3] = [1e30, 1.0, -1e30];
        assert_eq!(pool.sum_float_at(&f, EXACT), 1.0);
        assert_eq!(
            pool.sum_float_at(&[f32::MAX, f32::MAX], EXACT),
            2.0 * f64::from(f32::MAX),
            "f32 input sums in f64: no f32 overflow"
        );
    }
}

/// The generated data has teeth: a naive left-to-right loop and `Fast` mode miss the exact result
/// in many cases, so P-exact would catch a sum that is not exact. (And Exact matches all of them.)
#[test]
#[cfg_attr(miri, ignore = "200 cases of the oracle: too slow for Miri")]
fn data_defeats_naive_sums() {
    let mut runner = TestRunner::deterministic();
    let strategy = data();
    let (mut cases, mut naive_wrong, mut fast_wrong) = (0, 0, 0);
    while cases < 200 {
        let xs = strategy.new_tree(&mut runner).unwrap().current();
        if xs.len() > 5000 {
            continue; // keep this test quick
        }
        cases += 1;
        let want = expected(&xs).to_bits();
        naive_wrong += usize::from(xs.iter().sum::<f64>().to_bits() != want);
        fast_wrong += usize::from(pools()[1].sum_float_at(&xs, Accuracy::Fast).to_bits() != want);
        assert_eq!(pools()[1].sum_float_at(&xs, EXACT).to_bits(), want);
    }
    assert!(
        naive_wrong >= 40,
        "naive loop wrong in only {naive_wrong} of {cases} cases"
    );
    assert!(
        fast_wrong >= 40,
        "Fast mode wrong in only {fast_wrong} of {cases} cases"
    );

    // One in the same lane of Fast mode's tree: 1e100 + 1 loses the 1 before -1e100 arrives.
    let mut v = vec![0.0f64; 33];
    (v[0], v[16], v[32]) = (1e100, 1.0, -1e100);
    assert_eq!(pools()[1].sum_float_at(&v, Accuracy::Fast), 0.0);
    assert_eq!(pools()[1].sum_float_at(&v, EXACT), 1.0);
}
