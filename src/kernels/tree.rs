//! The summation tree of `docs/numerics.md` §1 over one chunk (hence the name): 256-element blocks
//! summed in 16 lanes, folded by a fixed halving tree, then the blocks combined by the "largest
//! power of two" rule. This file holds the portable reference of the tree, the chunk sum's entry
//! points, and the ISA dispatch ([`Isa`], `isa_dispatch!`) that every kernel goes through. Every
//! ISA performs exactly these IEEE operations in this order, so every ISA gives the same bits; the
//! vector versions are the same Rust compiled with more target features, or the passes of
//! `passes.rs`, which spell the same operations with explicit vectors.

use super::element::Float;
use super::f64x8::F64x8;
use super::{Variant, VariantChoice};
use crate::sched::BLOCK_LEN;

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
    let mut sums = [0.0f64; crate::sched::CHUNK_BLOCKS];
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

/// The tree value of one chunk of floats on the vector type `V`, for cache-resident input.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn chunk_generic<V: F64x8, T: Float>(x: &[T]) -> f64 {
    // SAFETY: forwarded from the caller.
    unsafe { super::passes::chunk_sum::<V, T, false, false>(x) }
}

/// [`chunk_generic`] for input streaming from memory (see [`super::stream_bytes`]): one block at a
/// time, and with `PREFETCH` software prefetch ahead. The same operations, so the same bits.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn stream_generic<V: F64x8, T: Float, const PREFETCH: bool>(x: &[T]) -> f64 {
    // SAFETY: forwarded from the caller.
    unsafe { super::passes::chunk_sum::<V, T, true, PREFETCH>(x) }
}

/// [`stream_generic`] without software prefetch (a function, so the ISA dispatch can name it).
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn stream_plain<V: F64x8, T: Float>(x: &[T]) -> f64 {
    // SAFETY: forwarded from the caller.
    unsafe { stream_generic::<V, T, false>(x) }
}

/// [`stream_generic`] with software prefetch.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn stream_prefetch<V: F64x8, T: Float>(x: &[T]) -> f64 {
    // SAFETY: forwarded from the caller.
    unsafe { stream_generic::<V, T, true>(x) }
}

/// The instruction sets the chunk kernel can run on. All give identical bits.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{chunk_sum_on, Isa};
///
/// let x: Vec<f64> = (0..5000).map(|i| (i as f64).sin()).collect();
/// let base = chunk_sum_on(Isa::Baseline, &x).unwrap();
/// for isa in [Isa::Avx2, Isa::Avx512] {
///     // `None` where this CPU lacks the ISA; otherwise the very same bits.
///     assert!(chunk_sum_on(isa, &x).map_or(true, |s| s.to_bits() == base.to_bits()));
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Portable code (SSE2 on x86-64: the baseline every x86-64 has).
    Baseline,
    /// x86-64 AVX2.
    Avx2,
    /// x86-64 AVX-512F with AVX-512DQ (every AVX-512 CPU since Skylake-SP; DQ brings the 64-bit
    /// integer conversions the integer statistics use).
    Avx512,
}

impl Isa {
    /// The best instruction set this CPU supports (detected at run time).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{chunk_sum_on, sequential_sum, Isa};
    ///
    /// let isa = Isa::detect();
    /// assert!(isa.is_supported());
    /// let x: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5).collect();
    /// assert_eq!(chunk_sum_on(isa, &x), Some(sequential_sum(&x)));
    /// ```
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if Isa::Avx512.is_supported() {
                return Isa::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }

    /// Whether this CPU can run `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{chunk_sum_on, Isa};
    ///
    /// assert!(Isa::Baseline.is_supported());
    /// #[cfg(target_arch = "x86_64")]
    /// assert_eq!(Isa::Avx2.is_supported(), std::arch::is_x86_feature_detected!("avx2"));
    /// // An ISA this CPU lacks is refused, never run.
    /// assert_eq!(chunk_sum_on(Isa::Avx512, &[1.0f64]).is_some(), Isa::Avx512.is_supported());
    /// ```
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// Defines `$on(isa, x) -> Option<$ret>`, which runs `$generic::<V, T>(x)` compiled for `isa`
/// with its vector type `V` (`None` if this CPU lacks it), and `$best(x) -> $ret`, which runs it on
/// the best ISA of this CPU. `$generic` is an `unsafe fn` whose only requirement is that the CPU
/// supports `V`'s ISA. Every `V` performs the same IEEE operations: the same bits on every ISA.
macro_rules! isa_dispatch {
    // `$generic::<T>` is a safe fn: the target features alone change its code.
    (@call plain $generic:ident, $v:ty, $t:ident, $x:ident) => {
        $generic::<$t>($x)
    };
    // `$generic::<V, T>` is an unsafe fn needing `V`'s ISA.
    (@call vector $generic:ident, $v:ty, $t:ident, $x:ident) => {
        // SAFETY: each arm passes the vector type of the ISA it runs on: Baseline's needs only
        // the target's baseline (SSE2 on x86-64); the AVX2/AVX-512 arms run inside functions
        // whose callers checked the CPU (`is_supported`).
        unsafe { $generic::<$v, $t>($x) }
    };
    ($on:ident, $best:ident, vector $generic:ident, <$t:ident: $bound:path> -> $ret:ty) => {
        $crate::kernels::tree::isa_dispatch!(@def vector, $on, $best, $generic, $t, $bound, $ret);
    };
    ($on:ident, $best:ident, $generic:ident, <$t:ident: $bound:path> -> $ret:ty) => {
        $crate::kernels::tree::isa_dispatch!(@def plain, $on, $best, $generic, $t, $bound, $ret);
    };
    (@def $mode:ident, $on:ident, $best:ident, $generic:ident, $t:ident, $bound:path, $ret:ty) => {
        pub(crate) fn $on<$t: $bound>(isa: $crate::kernels::Isa, x: &[$t]) -> Option<$ret> {
            #[allow(unused_imports)]
            use $crate::kernels::f64x8::isa;
            /// `$generic` compiled with AVX2.
            ///
            /// # Safety
            ///
            /// The CPU must support AVX2 (`Isa::Avx2.is_supported()`).
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            unsafe fn avx2<$t: $bound>(x: &[$t]) -> $ret {
                $crate::kernels::tree::isa_dispatch!(@call $mode $generic, isa::Avx2, $t, x)
            }
            /// `$generic` compiled with AVX-512F and DQ.
            ///
            /// # Safety
            ///
            /// The CPU must support AVX-512F and DQ (`Isa::Avx512.is_supported()`).
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq")]
            unsafe fn avx512<$t: $bound>(x: &[$t]) -> $ret {
                $crate::kernels::tree::isa_dispatch!(@call $mode $generic, isa::Avx512, $t, x)
            }
            if !isa.is_supported() {
                return None;
            }
            Some(match isa {
                $crate::kernels::Isa::Baseline => {
                    $crate::kernels::tree::isa_dispatch!(@call $mode $generic, isa::Baseline, $t, x)
                }
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `is_supported` checked that the CPU has AVX2.
                $crate::kernels::Isa::Avx2 => unsafe { avx2(x) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `is_supported` checked that the CPU has AVX-512F and DQ.
                $crate::kernels::Isa::Avx512 => unsafe { avx512(x) },
                #[cfg(not(target_arch = "x86_64"))]
                _ => unreachable!("is_supported is false for x86 ISAs elsewhere"),
            })
        }

        #[inline]
        pub(crate) fn $best<$t: $bound>(x: &[$t]) -> $ret {
            $on($crate::kernels::Isa::detect(), x).expect("the detected ISA is supported")
        }
    };
}
pub(crate) use isa_dispatch;

isa_dispatch!(chunk_sum_isa, chunk_sum, vector chunk_generic, <T: Float> -> f64);
isa_dispatch!(stream_sum_isa, stream_sum, vector stream_plain, <T: Float> -> f64);
isa_dispatch!(prefetch_sum_isa, prefetch_sum, vector stream_prefetch, <T: Float> -> f64);

/// The chunk sum for a call over `data`: the streaming kernel when `choice` says `data`
/// streams, prefetching when it says so for `T`.
pub(crate) fn chunk_sum_for<T: Float>(data: &[T], choice: VariantChoice) -> fn(&[T]) -> f64 {
    match choice.float_sum(data) {
        Variant::CacheResident => chunk_sum,
        Variant::Streaming => stream_sum,
        Variant::Prefetching => prefetch_sum,
    }
}

/// The tree value of one chunk on `isa`, or `None` if this CPU cannot run it. This is the
/// kernel [`Pool::sum_float`](crate::Pool::sum_float) runs per chunk on inputs under
/// [`Pool::stream_bytes`](crate::Pool::stream_bytes); on larger ones it reads one block at a time
/// and may prefetch ahead, which changes no result bit. A NaN comes back as the
/// canonical `f64::NAN`, as from the sums (its payload could depend on the ISA's operand order).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{chunk_sum_on, Isa};
///
/// let x: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5).collect();
/// assert_eq!(chunk_sum_on(Isa::Baseline, &x), Some(249_750.0));
/// // One chunk: the same tree as the pool's sum.
/// assert_eq!(chunk_sum_on(Isa::Baseline, &x), Some(shmkern::sum(&x)));
/// ```
pub fn chunk_sum_on<T: Float>(isa: Isa, x: &[T]) -> Option<f64> {
    chunk_sum_isa(isa, x).map(super::sum::canonical)
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
            sums in prop::collection::vec(-1e6f64..1e6, 0..=2 * crate::sched::CHUNK_BLOCKS),
        ) {
            let want = tree_by_definition(&sums);
            prop_assert_eq!(tree(&mut sums.clone()).to_bits(), want.to_bits());
        }

        /// The streaming chunk sums, with and without prefetch, give the cache-resident one's
        /// bits on every ISA: same additions, only their order in time and prefetch hints differ.
        #[test]
        fn streaming_sum_is_the_same_sum(
            x in prop::collection::vec(
                -1e6f64..1e6,
                0..if cfg!(miri) { 600 } else { crate::sched::CHUNK_LEN },
            ),
        ) {
            same_streaming_sums(&x)?;
            same_streaming_sums(&x.iter().map(|&v| v as f32).collect::<Vec<_>>())?;
        }
    }

    /// Every ISA's streaming chunk sums of `x`, with and without prefetch, against its
    /// cache-resident one.
    fn same_streaming_sums<T: Float>(x: &[T]) -> Result<(), TestCaseError> {
        for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
            let want = chunk_sum_isa(isa, x).map(f64::to_bits);
            prop_assert_eq!(stream_sum_isa(isa, x).map(f64::to_bits), want, "{:?}", isa);
            // Under Miri a prefetch is a no-op (`f64x8::prefetch`), so the prefetching kernel runs
            // the streaming one's code: skipped there, where every case costs seconds.
            if !cfg!(miri) {
                let got = prefetch_sum_isa(isa, x).map(f64::to_bits);
                prop_assert_eq!(got, want, "{:?} prefetching", isa);
            }
        }
        Ok(())
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
