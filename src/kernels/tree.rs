//! The summation tree of `docs/numerics.md` §1 over one chunk (hence the name): 256-element blocks
//! summed in 16 lanes, folded by a fixed halving tree, then the blocks combined by the "largest
//! power of two" rule — the numeric contract itself, in portable Rust, over any per-element value.
//! Every ISA performs exactly these IEEE operations in this order, so every ISA gives the same
//! bits: the vector versions are the same Rust compiled with more target features (`isa.rs`), or
//! the passes of `passes.rs`, which spell the same operations with explicit vectors. The bottom of
//! the kernels' layers: it imports nothing else of them.

use crate::sched::{BLOCK_LEN, CHUNK_BLOCKS};

/// Lanes per block (contract, `docs/numerics.md` §1).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{chunk_sum_on, Isa, LANES};
///
/// let mut x = vec![0.0f64; LANES + 1];
/// (x[0], x[1], x[LANES]) = (1e16, -1e16, 1.0);
/// // x[LANES] shares x[0]'s lane and is absorbed there (1e16 + 1.0 rounds to 1e16) before
/// // the lanes fold; a left-to-right loop keeps it.
/// assert_eq!(chunk_sum_on(Isa::Baseline, &x), Some(0.0));
/// assert_eq!(x.iter().sum::<f64>(), 1.0);
/// ```
pub const LANES: usize = 16;
const ROWS: usize = BLOCK_LEN / LANES;

/// Folds `N` lanes (a power of two) by halving: lane i + lane i+N/2, … , +1. With `N = 16` that is
/// the contract's fold; the vector kernels do its first step in registers and pass the other 8.
#[inline(always)]
pub(crate) fn fold<const N: usize>(mut a: [f64; N]) -> f64 {
    let mut w = N / 2;
    while w > 0 {
        for i in 0..w {
            a[i] += a[i + w];
        }
        w /= 2;
    }
    a[0]
}

/// One block of at most 256 elements: lane j adds elements j, j+16, … in order, from −0.0; the
/// missing elements of a partial block are simply absent.
#[inline(always)]
pub(crate) fn block<T: Copy>(x: &[T], load: impl Fn(T) -> f64) -> f64 {
    debug_assert!(x.len() <= BLOCK_LEN);
    let mut acc = [-0.0f64; LANES];
    let mut rows = x.chunks_exact(LANES);
    for row in &mut rows {
        for j in 0..LANES {
            acc[j] += load(row[j]);
        }
    }
    for (j, &v) in rows.remainder().iter().enumerate() {
        acc[j] += load(v);
    }
    fold(acc)
}

/// One full block, rows in order. Taking `&[T; BLOCK_LEN]` gives the compiler the block's length,
/// so it vectorizes along the 16 lanes of one block (one 16-lane row per step: two AVX-512, four
/// AVX2 or eight SSE2 registers of independent add chains) and reads memory in one stream.
/// Several blocks interleaved in this portable loop would make LLVM vectorize across blocks, with
/// gathers and shuffles, at a fraction of this loop's speed; the passes of `passes.rs` interleave
/// blocks with explicit vectors instead (docs/performance.md, "Kernels").
#[inline(always)]
fn block_full<T: Copy>(x: &[T; BLOCK_LEN], load: impl Fn(T) -> f64) -> f64 {
    let mut acc = [-0.0f64; LANES];
    for r in 0..ROWS {
        for j in 0..LANES {
            acc[j] += load(x[r * LANES + j]);
        }
    }
    fold(acc)
}

/// Combines `sums` (one per block) by `docs/numerics.md` §1 rule 3: a range of `m > 1` splits
/// into the largest power of two below `m` and the rest (`tree_by_definition`, beside the tests,
/// says exactly that). Works in place: `sums` holds intermediate values afterwards.
///
/// Unrolling the rule: the range splits into complete subtrees whose sizes are the binary digits
/// of `m`, largest first, and they combine from the right, `t0 + (t1 + (… + tk))`; a complete
/// subtree adds adjacent pairs, level by level. Computed that way, without recursion, one step per
/// binary digit: the recursive form makes ~255 calls per 128-block chunk, which cost an
/// L2-resident chunk sum a measurable part of its speed.
#[inline(always)]
pub(crate) fn tree(sums: &mut [f64]) -> f64 {
    // From the right: the smallest complete subtree (the lowest binary digit) ends the range.
    let mut end = sums.len();
    let mut right = None;
    while end != 0 {
        let size = end & end.wrapping_neg();
        let t = complete(&mut sums[end - size..end]);
        right = Some(match right {
            None => t,
            Some(r) => t + r,
        });
        end -= size;
    }
    right.unwrap_or(-0.0)
}

/// The complete subtree over `s` (a power-of-two length): adjacent pairs, level by level, in place.
#[inline(always)]
fn complete(s: &mut [f64]) -> f64 {
    debug_assert!(s.len().is_power_of_two());
    let mut w = s.len();
    while w > 1 {
        w /= 2;
        // Ascending `i` reads `s[2i]`, `s[2i + 1]` before anything overwrites them.
        for i in 0..w {
            s[i] = s[2 * i] + s[2 * i + 1];
        }
    }
    s[0]
}

/// `docs/numerics.md` §1 rule 3 as written, recursively: what [`tree`] must equal.
#[cfg(test)]
pub(crate) fn tree_by_definition(sums: &[f64]) -> f64 {
    match sums.len() {
        0 => -0.0,
        1 => sums[0],
        m => {
            let left = 1usize << (usize::BITS - 1 - (m - 1).leading_zeros());
            tree_by_definition(&sums[..left]) + tree_by_definition(&sums[left..])
        }
    }
}

/// The tree value of one chunk (at most `CHUNK_BLOCKS` blocks) of `load(x_i)`: the summation tree
/// of `docs/numerics.md` §1 over any per-element value (the statistics kernel sums
/// `(x − mean)²` with it). A `load` that returns −0.0 makes an element absent.
#[inline(always)]
pub(crate) fn chunk_tree<T: Copy>(x: &[T], load: impl Fn(T) -> f64 + Copy) -> f64 {
    // SAFETY: `Reference` has no requirement.
    unsafe { chunk_tree_by(x, &mut Reference(load)) }
}

/// The values of a chunk's blocks, for [`chunk_tree_by`]. A trait rather than closures: the
/// vector kernels' methods hold intrinsics, which compile to vector instructions only when
/// inlined into the `#[target_feature]` function; a closure that LLVM chooses not to inline is
/// compiled without the features and calls every intrinsic out of line (the statistics then run
/// many times slower). `#[inline(always)]` on the methods makes the inlining certain.
pub(crate) trait BlockValues<T> {
    /// Stores the value of each whole block in `sums` (the same length), in any order it likes:
    /// blocks are independent.
    ///
    /// # Safety
    ///
    /// What the implementation states (the vector ones: the CPU supports their ISA).
    unsafe fn whole(&mut self, blocks: &[[T; BLOCK_LEN]], sums: &mut [f64]);
    /// The value of the final partial block (1 to `BLOCK_LEN − 1` elements).
    fn partial(&self, tail: &[T]) -> f64;
}

/// The portable block values of `load(x_i)`.
struct Reference<F>(F);

impl<T: Copy, F: Fn(T) -> f64 + Copy> BlockValues<T> for Reference<F> {
    #[inline(always)]
    /// # Safety: none required.
    unsafe fn whole(&mut self, blocks: &[[T; BLOCK_LEN]], sums: &mut [f64]) {
        for (sum, blk) in sums.iter_mut().zip(blocks) {
            *sum = block_full(blk, self.0);
        }
    }
    #[inline(always)]
    fn partial(&self, tail: &[T]) -> f64 {
        block(tail, self.0)
    }
}

/// The tree over one chunk's block values, which `values` gives.
///
/// # Safety
///
/// As `values.whole` requires.
#[inline(always)]
pub(crate) unsafe fn chunk_tree_by<T: Copy>(x: &[T], values: &mut impl BlockValues<T>) -> f64 {
    let mut sums = [0.0f64; CHUNK_BLOCKS];
    let (blocks, tail) = x.as_chunks::<BLOCK_LEN>();
    let n = blocks.len() + usize::from(!tail.is_empty());
    assert!(n <= sums.len(), "a chunk has at most CHUNK_BLOCKS blocks");
    // SAFETY: forwarded from the caller.
    unsafe { values.whole(blocks, &mut sums[..blocks.len()]) };
    if !tail.is_empty() {
        sums[blocks.len()] = values.partial(tail);
    }
    tree(&mut sums[..n])
}

/// IEEE special-value rules of `docs/numerics.md` §2 applied to a tree result: any NaN becomes the
/// canonical `f64::NAN` (payloads and signs of NaNs are not portable).
pub(crate) fn canonical(s: f64) -> f64 {
    if s.is_nan() {
        f64::NAN
    } else {
        s
    }
}

/// `(a + b, the rounding error of that addition)`: Knuth's two-sum, exact for any finite `a`, `b`
/// (the statistics keep their means as such pairs, `docs/numerics.md` §3).
#[inline(always)]
pub(crate) fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::kernels::proptest_config(256))]

        /// The unrolled tree adds exactly what the recursive rule says, for every length up to
        /// two chunks' worth of blocks and at the power-of-two edges.
        #[test]
        fn tree_is_the_definition(
            sums in prop::collection::vec(-1e6f64..1e6, 0..=2 * CHUNK_BLOCKS),
        ) {
            let want = tree_by_definition(&sums);
            prop_assert_eq!(tree(&mut sums.clone()).to_bits(), want.to_bits());
        }
    }

    /// Lengths whose binary digits give every shape of the top of the tree.
    #[test]
    fn tree_at_powers_of_two() {
        for m in (0..12).flat_map(|k| [(1usize << k) - 1, 1 << k, (1 << k) + 1]) {
            let sums: Vec<f64> = (0..m)
                .map(|i| 1.0 + (i as f64).sin() * 1e-9 * (i % 7) as f64)
                .collect();
            let want = tree_by_definition(&sums);
            assert_eq!(tree(&mut sums.clone()).to_bits(), want.to_bits(), "m = {m}");
        }
    }
}
