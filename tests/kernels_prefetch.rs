//! Every `Prefetch` choice and every streaming threshold gives the same bits: on inputs large
//! enough to stream (4 MiB or more, which these pools are told streams: the kernels with software
//! prefetch run), the sums and `stats` of a pool built with each choice equal those of the others
//! and of the sequential reference, for floats and integers, on 1 and 3 participants; and pools
//! that stream everything or nothing agree at every size. (The unit tests compare each kernel
//! variant chunk by chunk on every ISA, and check which variant each choice selects and that a
//! pool carries its choices; this checks the results of whole pool calls under every choice.)

use shmkern::kernels::{sequential_sum, stream_bytes, Prefetch, StatElement, Stats};
use shmkern::Pool;

const CHOICES: [Prefetch; 4] = [
    Prefetch::Off,
    Prefetch::F64Sum,
    Prefetch::FloatPasses,
    Prefetch::AllPasses,
];

/// Pools of 1 and 3 participants for each choice, streaming from 4 MiB on.
fn pools() -> Vec<Pool> {
    [1, 3]
        .into_iter()
        .flat_map(|t| {
            CHOICES.map(|p| {
                Pool::builder()
                    .threads(t)
                    .prefetch(p)
                    .stream_bytes(4 << 20)
                    .inline_below(0)
                    .build()
                    .unwrap()
            })
        })
        .collect()
}

/// `n` pseudo-random values (xorshift) mapped by `f`.
fn data<T>(n: usize, f: impl Fn(u64) -> T) -> Vec<T> {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            f(s)
        })
        .collect()
}

/// Elements of `T` in a little over 4 MiB, and not a whole number of chunks.
fn streaming_len<T>() -> usize {
    (4 << 20) / size_of::<T>() + 12_345
}

fn same_stats<T: StatElement + PartialEq + std::fmt::Debug>(pools: &[Pool], x: &[T]) {
    let want: Stats<T> = pools[0].stats(x);
    for p in pools {
        assert_eq!(
            p.stats(x),
            want,
            "{:?}, {} threads",
            p.prefetch(),
            p.threads()
        );
    }
}

#[test]
#[cfg_attr(miri, ignore = "4 MiB inputs: too slow under Miri")]
fn floats_have_the_same_bits_under_every_choice() {
    let pools = pools();
    let x = data(streaming_len::<f64>(), |s| {
        (s >> 11) as f64 * 2f64.powi(-53) * 2f64.powi((s % 40) as i32 - 20) - 0.5
    });
    let want = sequential_sum(&x).to_bits();
    for p in &pools {
        assert_eq!(p.sum_float(&x).to_bits(), want, "{:?}", p.prefetch());
    }
    same_stats(&pools, &x);
    let y: Vec<f32> = data(streaming_len::<f32>(), |s| (s % 2001) as f32 * 0.25 - 250.0);
    let want = sequential_sum(&y).to_bits();
    for p in &pools {
        assert_eq!(p.sum_float(&y).to_bits(), want, "{:?}", p.prefetch());
    }
    same_stats(&pools, &y);
}

#[test]
#[cfg_attr(miri, ignore = "4 MiB inputs: too slow under Miri")]
fn integers_have_the_same_results_under_every_choice() {
    let pools = pools();
    let a: Vec<i64> = data(streaming_len::<i64>(), |s| s as i64);
    let want: i128 = a.iter().map(|&v| i128::from(v)).sum();
    for p in &pools {
        assert_eq!(p.sum_int(&a), want, "{:?}", p.prefetch());
    }
    same_stats(&pools, &a);
    let b: Vec<u8> = data(streaming_len::<u8>(), |s| s as u8);
    let want: u128 = b.iter().map(|&v| u128::from(v)).sum();
    for p in &pools {
        assert_eq!(p.sum_int(&b), want, "{:?}", p.prefetch());
    }
    same_stats(&pools, &b);
    let c: Vec<i16> = data(streaming_len::<i16>(), |s| s as i16);
    same_stats(&pools, &c);
}

/// A pool that streams every input and one that streams none give the same bits at sizes from
/// one element to several chunks, for every prefetch choice; a pool built without the option
/// takes `kernels::stream_bytes()`.
#[test]
fn every_streaming_threshold_gives_the_same_bits() {
    assert_eq!(
        Pool::builder().threads(1).build().unwrap().stream_bytes(),
        stream_bytes()
    );
    let pools: Vec<Pool> = [0, usize::MAX]
        .into_iter()
        .flat_map(|bytes| {
            CHOICES.map(|p| {
                Pool::builder()
                    .threads(3)
                    .prefetch(p)
                    .stream_bytes(bytes)
                    .inline_below(0)
                    .build()
                    .unwrap()
            })
        })
        .collect();
    let x = data(200_001, |s| (s >> 11) as f64 * 2f64.powi(-53) - 0.5);
    let y: Vec<i32> = data(200_001, |s| s as i32);
    for n in [1, 255, 4097, 32_768, 65_537, 200_001] {
        let want = sequential_sum(&x[..n]).to_bits();
        for p in &pools {
            let what = format!(
                "{} elements, {:?}, {} bytes",
                n,
                p.prefetch(),
                p.stream_bytes()
            );
            assert_eq!(p.sum_float(&x[..n]).to_bits(), want, "{what}");
            assert_eq!(p.stats(&x[..n]), pools[0].stats(&x[..n]), "{what}");
            assert_eq!(p.sum_int(&y[..n]), pools[0].sum_int(&y[..n]), "{what}");
            assert_eq!(p.stats(&y[..n]), pools[0].stats(&y[..n]), "{what}");
        }
    }
}
