//! The exact integer sum of one chunk, compiled for each ISA (`isa.rs`): the integer loops are
//! plain Rust (`ints.rs`), which the target features alone turn into wider vectors; prefetching
//! ahead on streaming input where the variant choice asks for it (`variant.rs`).

use super::element::Int;
use super::isa::isa_dispatch;
use super::variant::{Variant, VariantChoice};

/// One chunk's exact sum, as a function the ISA dispatch can compile once per instruction set:
/// the integer loops are plain Rust, which the target features alone turn into wider vectors.
#[inline(always)]
fn int_chunk<T: Int>(x: &[T]) -> T::Wide {
    T::lane_sum::<false>(x)
}

/// [`int_chunk`] prefetching ahead, for input that streams from memory where the CPU gains from
/// it (see `kernels::prefetch`).
#[inline(always)]
fn int_prefetch<T: Int>(x: &[T]) -> T::Wide {
    T::lane_sum::<true>(x)
}

isa_dispatch!(int_chunk_isa, int_chunk_sum, int_chunk, <T: Int> -> T::Wide);
isa_dispatch!(int_prefetch_isa, int_prefetch_sum, int_prefetch, <T: Int> -> T::Wide);

/// The integer chunk sum for a call over `data`: the prefetching kernel when `choice` says
/// `data` streams and asks for it. Integer sums are exact: both give the same result.
pub(crate) fn int_chunk_sum_for<T: Int>(data: &[T], choice: VariantChoice) -> fn(&[T]) -> T::Wide {
    match choice.int_sum(data) {
        Variant::Prefetching => int_prefetch_sum,
        Variant::CacheResident | Variant::Streaming => int_chunk_sum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::isa::Isa;
    use crate::sched::CHUNK_LEN;
    use proptest::prelude::*;

    /// Every ISA's chunk sum, with and without prefetch, equals the plain wide sum.
    fn check<T: Int + std::fmt::Debug>(
        x: &[T],
        wide: impl Fn(T) -> T::Wide,
    ) -> Result<(), TestCaseError>
    where
        T::Wide: PartialEq + std::fmt::Debug,
    {
        let want = x.iter().fold(T::Wide::default(), |s, &v| s + wide(v));
        for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
            if isa.is_supported() {
                prop_assert_eq!(int_chunk_isa(isa, x).unwrap(), want, "{:?}", isa);
                // Under Miri a prefetch is a no-op (`f64x8::prefetch`) and the prefetching loop's
                // groups are plain slices: skipped there, where every case costs seconds.
                if !cfg!(miri) {
                    let got = int_prefetch_isa(isa, x).unwrap();
                    prop_assert_eq!(got, want, "{:?} prefetching", isa);
                }
            }
        }
        Ok(())
    }

    /// Lengths up to one chunk, whole chunks and near-whole ones often (the accumulator bounds
    /// are for a whole chunk); 300 at most under Miri.
    fn lengths() -> impl Strategy<Value = usize> {
        if cfg!(miri) {
            return (0usize..=300).boxed();
        }
        prop_oneof![0usize..=4096, Just(CHUNK_LEN), CHUNK_LEN - 300..=CHUNK_LEN].boxed()
    }

    proptest! {
        #![proptest_config(crate::kernels::proptest_config(256))]

        /// The integer chunk sums on every ISA, cached and streaming, for every width. `kind` 0
        /// and 1 put each type's minimum and maximum (a quarter of the cases are all one of them,
        /// which reaches the accumulator bounds), 2 zero, anything else `bits` as the type.
        #[test]
        fn int_chunk_sums_are_exact(
            x in lengths().prop_flat_map(|n| prop_oneof![
                3 => prop::collection::vec((0u8..6, any::<u64>()), n),
                1 => (0u8..2).prop_map(move |kind| vec![(kind, 0); n]),
            ]),
        ) {
            macro_rules! width {
                ($t:ty, $wide:ty) => {{
                    let v: Vec<$t> = x
                        .iter()
                        .map(|&(kind, bits)| match kind {
                            0 => <$t>::MIN,
                            1 => <$t>::MAX,
                            2 => 0,
                            _ => bits as $t,
                        })
                        .collect();
                    check(&v, <$wide>::from)?;
                }};
            }
            width!(i8, i128);
            width!(u8, u128);
            width!(i16, i128);
            width!(u16, u128);
            width!(i32, i128);
            width!(u32, u128);
            width!(i64, i128);
            width!(u64, u128);
        }
    }
}
