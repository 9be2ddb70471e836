//! The kernel framework (`shmkern::kernels::Kernel`): every built-in kernel and a user kernel
//! defined here give the same bits on pools of 1..=8 threads as on one thread, whatever order the
//! chunks are computed in; positions are the whole input's; merging the partials of any split of
//! the chunk list into canonical subtrees (`sched::merge_pieces`) equals the single call.

#[path = "common/kernels.rs"]
mod common;
#[path = "common/miri.rs"]
mod miri;

use common::{edge_len, pools};
use proptest::prelude::*;
use shmkern::kernels::{
    partial, run_sequential, ChunkAt, Describe, FloatSum, IntSum, Kernel, MinMax,
};
use shmkern::sched::{merge_pieces, ChunkGrid, Piece, CHUNK_LEN};
use shmkern::Pool;

/// A user kernel: a position-weighted checksum over two columns, with a 16-byte partial.
struct Checksum;

#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Sums {
    weighted: u64,
    plain: u64,
}

impl Kernel for Checksum {
    type Input<'a> = (&'a [u32], &'a [u8]);
    type Partial = Sums;
    type Output = (u64, u64);
    fn chunk(&self, at: ChunkAt, (x, y): (&[u32], &[u8])) -> Sums {
        let mut s = Sums {
            weighted: 0,
            plain: 0,
        };
        for (i, (&a, &b)) in x.iter().zip(y).enumerate() {
            let v = u64::from(a) ^ u64::from(b);
            s.weighted = s
                .weighted
                .wrapping_add(v.wrapping_mul((at.offset + i) as u64 + 1));
            s.plain = s.plain.wrapping_add(v);
        }
        s
    }
    fn merge(&self, l: Sums, r: Sums) -> Sums {
        Sums {
            weighted: l.weighted.wrapping_add(r.weighted),
            plain: l.plain.wrapping_add(r.plain),
        }
    }
    fn finish(&self, s: Sums) -> (u64, u64) {
        (s.weighted, s.plain)
    }
}

/// Floats with mixed signs and magnitudes, a few NaNs, ±0.0 and repeated extremes.
fn floats() -> impl Strategy<Value = Vec<f64>> {
    edge_len().prop_flat_map(|n| {
        proptest::collection::vec(
            prop_oneof![
                8 => -1e6f64..1e6,
                1 => Just(0.0),
                1 => Just(-0.0),
                1 => Just(f64::NAN),
                1 => Just(1e300),
                1 => Just(-1e300),
            ],
            n,
        )
    })
}

/// `kernel` over `input`, computed chunk by chunk starting at chunk `rotate % chunks` (as a
/// participant claiming in another order would), each chunk its own piece.
fn rotated<K: Kernel>(kernel: &K, input: K::Input<'_>, rotate: usize) -> K::Output {
    use shmkern::kernels::Columns;
    let rows = input.rows().unwrap();
    let grid = ChunkGrid::new(rows).unwrap();
    let n = grid.chunks();
    if n == 0 {
        return run_sequential(kernel, input).unwrap();
    }
    let mut pieces = Vec::new();
    for i in 0..n {
        let k = (i as usize + rotate % n as usize) as u32 % n;
        let p = partial(kernel, input.rows_range(grid.chunk(k)), k).unwrap();
        pieces.push(Piece {
            first: k,
            chunks: 1,
            partial: p,
        });
    }
    kernel.finish(merge_pieces(n, pieces, |a, b| kernel.merge(a, b)).unwrap())
}

/// `piece` written to the versioned byte format and read back, as another machine would.
fn through_bytes<P: shmkern::bytemuck::Pod>(piece: Piece<P>) -> Piece<P> {
    let bytes = piece.to_bytes("kernel").unwrap();
    Piece::from_bytes(&bytes, "kernel").unwrap()
}

/// A random split of chunks `lo..hi` (a canonical subtree) into canonical subtrees.
fn split(lo: u32, hi: u32, coins: &mut impl Iterator<Item = bool>, out: &mut Vec<(u32, u32)>) {
    if hi - lo == 1 || coins.next().unwrap_or(true) {
        out.push((lo, hi - lo));
        return;
    }
    let n = hi - lo;
    let mid = lo + (1 << (u32::BITS - 1 - (n - 1).leading_zeros()));
    split(lo, mid, coins, out);
    split(mid, hi, coins, out);
}

fn pool(threads: usize) -> &'static Pool {
    &pools()[threads - 1]
}

proptest! {
    #![proptest_config(miri::config(ProptestConfig::with_cases(32)))]

    /// Built-in kernels: every pool size and every rotated claim order give the sequential bits.
    #[test]
    fn p_builtins_same_bits_everywhere(x in floats(), t in 1usize..=8, rotate in any::<usize>()) {
        let want = run_sequential(&FloatSum::new(), &x[..]).unwrap();
        prop_assert_eq!(pool(t).run(&FloatSum::for_input(&x), &x[..]).unwrap().to_bits(), want.to_bits());
        prop_assert_eq!(rotated(&FloatSum::new(), &x[..], rotate).to_bits(), want.to_bits());
        prop_assert_eq!(pool(t).sum_float(&x).to_bits(), want.to_bits());

        let want = run_sequential(&Describe::new(), &x[..]).unwrap();
        prop_assert_eq!(pool(t).run(&Describe::new(), &x[..]).unwrap(), want);
        prop_assert_eq!(rotated(&Describe::new(), &x[..], rotate), want);
        prop_assert_eq!(pool(t).stats(&x), want);

        let want = run_sequential(&MinMax::new(), &x[..]).unwrap();
        prop_assert_eq!(pool(t).run(&MinMax::new(), &x[..]).unwrap(), want);
        prop_assert_eq!(rotated(&MinMax::new(), &x[..], rotate), want);

        let ints: Vec<i64> = x.iter().map(|&v| if v.is_nan() { -7 } else { (v * 1e12) as i64 }).collect();
        let want = run_sequential(&IntSum::new(), &ints[..]).unwrap();
        prop_assert_eq!(want, ints.iter().map(|&v| i128::from(v)).sum::<i128>());
        prop_assert_eq!(pool(t).run(&IntSum::new(), &ints[..]).unwrap(), want);
        prop_assert_eq!(rotated(&IntSum::new(), &ints[..], rotate), want);
    }

    /// `MinMax` against an oracle: the first smallest and first largest non-NaN value in the total
    /// order where −0.0 < +0.0, and the counts.
    #[test]
    fn p_minmax_oracle(x in floats(), t in 1usize..=8) {
        let e = pool(t).run(&MinMax::new(), &x[..]).unwrap();
        let values: Vec<(usize, f64)> = x.iter().copied().enumerate().filter(|(_, v)| !v.is_nan()).collect();
        let first = |better: &dyn Fn(f64, f64) -> bool| {
            values.iter().fold(None, |best: Option<(usize, f64)>, &(i, v)| match best {
                Some((_, b)) if !better(v, b) => best,
                _ => Some((i, v)),
            })
        };
        let min = first(&|v, b| v.total_cmp(&b).is_lt());
        let max = first(&|v, b| v.total_cmp(&b).is_gt());
        prop_assert_eq!(e.count() as usize, values.len());
        prop_assert_eq!(e.nan_count() as usize, x.len() - values.len());
        prop_assert_eq!(e.min().map(|(v, i)| (i, v.to_bits())), min.map(|(i, v)| (i, v.to_bits())));
        prop_assert_eq!(e.max().map(|(v, i)| (i, v.to_bits())), max.map(|(i, v)| (i, v.to_bits())));
    }

    /// A user kernel over two columns, positional: pools, rotated orders and one thread agree, and
    /// so does a plain loop.
    #[test]
    fn p_user_kernel(n in edge_len(), seed in any::<u32>(), t in 1usize..=8, rotate in any::<usize>()) {
        let x: Vec<u32> = (0..n as u32).map(|i| i.wrapping_mul(2_654_435_761).wrapping_add(seed)).collect();
        let y: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(31) ^ seed as u8).collect();
        let want = x.iter().zip(&y).enumerate().fold((0u64, 0u64), |(w, p), (i, (&a, &b))| {
            let v = u64::from(a) ^ u64::from(b);
            (w.wrapping_add(v.wrapping_mul(i as u64 + 1)), p.wrapping_add(v))
        });
        prop_assert_eq!(run_sequential(&Checksum, (&x[..], &y[..])).unwrap(), want);
        prop_assert_eq!(pool(t).run(&Checksum, (&x[..], &y[..])).unwrap(), want);
        prop_assert_eq!(rotated(&Checksum, (&x[..], &y[..]), rotate), want);
    }

    /// Any split of the chunk list into canonical subtrees, each piece's partial computed on its
    /// own rows (`partial`) and passed through the byte format, merges to the single call's bits.
    #[test]
    fn p_pieces_merge_to_the_single_call(x in floats(), coins in proptest::collection::vec(any::<bool>(), 0..64)) {
        let grid = ChunkGrid::new(x.len()).unwrap();
        prop_assume!(grid.chunks() > 0);
        let mut cuts = Vec::new();
        split(0, grid.chunks(), &mut coins.into_iter(), &mut cuts);
        let rows = |first: u32, n: u32| {
            let start = first as usize * CHUNK_LEN;
            &x[start..(start + n as usize * CHUNK_LEN).min(x.len())]
        };
        let stats = Describe::new();
        let pieces = cuts.iter().map(|&(f, n)| through_bytes(Piece { first: f, chunks: n, partial: partial(&stats, rows(f, n), f).unwrap() }));
        let merged = merge_pieces(grid.chunks(), pieces, |a, b| stats.merge(a, b)).unwrap();
        prop_assert_eq!(merged, run_sequential(&stats, &x[..]).unwrap());
        let mm = MinMax::new();
        let pieces = cuts.iter().map(|&(f, n)| through_bytes(Piece { first: f, chunks: n, partial: partial(&mm, rows(f, n), f).unwrap() }));
        let merged = merge_pieces(grid.chunks(), pieces, |a, b| mm.merge(a, b)).unwrap();
        prop_assert_eq!(merged, run_sequential(&mm, &x[..]).unwrap());
        let sum = FloatSum::new();
        let pieces = cuts.iter().map(|&(f, n)| through_bytes(Piece { first: f, chunks: n, partial: partial(&sum, rows(f, n), f).unwrap() }));
        let merged = merge_pieces(grid.chunks(), pieces, |a, b| sum.merge(a, b)).unwrap();
        prop_assert_eq!(sum.finish(merged).to_bits(), run_sequential(&sum, &x[..]).unwrap().to_bits());
    }
}

#[test]
fn unequal_columns_are_an_error() {
    let (x, y) = (vec![1u32; 10], vec![1u8; 9]);
    let err = pool(2).run(&Checksum, (&x[..], &y[..])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the input columns differ in length (10, 9): a kernel reads equally long columns"
    );
    assert!(run_sequential(&Checksum, (&x[..], &y[..])).is_err());
}
