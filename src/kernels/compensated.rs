//! `Accuracy::Compensated`: the `docs/numerics.md` §1 tree with every lane and node carrying a
//! (sum, correction) pair updated by Neumaier's two-sum. Same tree shape, so just as deterministic.

use super::element::Float;
use super::tree::LANES;
use crate::sched::{BLOCK_LEN, CHUNK_BLOCKS};

/// A value and the rounding error accumulated beside it.
pub(crate) type Pair = (f64, f64);

/// Adds `x` to (`s`, `c`) with Neumaier's two-sum: `s` takes the rounded sum, `c` collects the
/// exact rounding error of that addition.
#[inline(always)]
pub(crate) fn add(s: &mut f64, c: &mut f64, x: f64) {
    let t = *s + x;
    *c += if s.abs() >= x.abs() {
        (*s - t) + x
    } else {
        (x - t) + *s
    };
    *s = t;
}

/// `a ⊕ b`: the corrections add, then `b`'s sum is added to `a`'s with two-sum.
#[inline(always)]
pub(crate) fn merge(a: Pair, b: Pair) -> Pair {
    let (mut s, mut c) = (a.0, a.1 + b.1);
    add(&mut s, &mut c, b.0);
    (s, c)
}

#[inline(always)]
pub(crate) fn fold(mut s: [f64; LANES], mut c: [f64; LANES]) -> Pair {
    let mut w = LANES / 2;
    while w > 0 {
        for i in 0..w {
            let (ns, nc) = merge((s[i], c[i]), (s[i + w], c[i + w]));
            s[i] = ns;
            c[i] = nc;
        }
        w /= 2;
    }
    (s[0], c[0])
}

#[inline(always)]
fn block<T: Float>(x: &[T]) -> Pair {
    let mut s = [-0.0f64; LANES];
    let mut c = [-0.0f64; LANES];
    let mut rows = x.chunks_exact(LANES);
    for row in &mut rows {
        let row: &[T; LANES] = row.try_into().expect("whole rows");
        for j in 0..LANES {
            add(&mut s[j], &mut c[j], row[j].widen());
        }
    }
    for (j, &v) in rows.remainder().iter().enumerate() {
        add(&mut s[j], &mut c[j], v.widen());
    }
    fold(s, c)
}

/// The §1 tree over block pairs: a range of `m > 1` splits into the largest power of two below `m`
/// and the rest.
pub(crate) fn tree(p: &[Pair]) -> Pair {
    match p.len() {
        0 => (-0.0, -0.0),
        1 => p[0],
        m => {
            let left = 1usize << (usize::BITS - 1 - (m - 1).leading_zeros());
            merge(tree(&p[..left]), tree(&p[left..]))
        }
    }
}

#[inline(always)]
fn chunk_generic<T: Float>(x: &[T]) -> Pair {
    let mut sums = [(0.0, 0.0); CHUNK_BLOCKS];
    let n = x.len().div_ceil(BLOCK_LEN);
    assert!(n <= CHUNK_BLOCKS, "a chunk has at most CHUNK_BLOCKS blocks");
    for (b, blk) in x.chunks(BLOCK_LEN).enumerate() {
        sums[b] = block(blk);
    }
    tree(&sums[..n])
}

super::isa::isa_dispatch!(chunk_isa, chunk, chunk_generic, <T: Float> -> Pair);

/// The final value of a pair: `s + c` rounded once. Where the plain sum `s` is not finite (±∞ or
/// NaN), the correction is meaningless and `s` is the IEEE answer; a zero correction leaves `s` (and
/// so the sign of a zero sum) alone.
pub(crate) fn finish(p: Pair) -> f64 {
    let (s, c) = p;
    if !s.is_finite() || c == 0.0 {
        s
    } else {
        s + c
    }
}
