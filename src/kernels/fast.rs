//! `Accuracy::Fast`, the float sum of one chunk: the tree of `tree.rs` computed by the passes of
//! `passes.rs`, compiled for each ISA (`isa.rs`), cache-resident or streaming (`variant.rs`).

use super::element::Float;
use super::f64x8::F64x8;
use super::isa::{isa_dispatch, Isa};
use super::passes;
use super::tree::canonical;
use super::variant::{Variant, VariantChoice};

/// The tree value of one chunk of floats on the vector type `V`, for cache-resident input.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn chunk_generic<V: F64x8, T: Float>(x: &[T]) -> f64 {
    // SAFETY: forwarded from the caller.
    unsafe { passes::chunk_sum::<V, T, false, false>(x) }
}

/// [`chunk_generic`] for input streaming from memory (see [`stream_bytes`](super::stream_bytes)): one block at a
/// time, and with `PREFETCH` software prefetch ahead. The same operations, so the same bits.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn stream_generic<V: F64x8, T: Float, const PREFETCH: bool>(x: &[T]) -> f64 {
    // SAFETY: forwarded from the caller.
    unsafe { passes::chunk_sum::<V, T, true, PREFETCH>(x) }
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
    chunk_sum_isa(isa, x).map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::kernels::proptest_config(256))]

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
}
