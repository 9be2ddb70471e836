//! The variant choice: from which input size a call takes the streaming variants of the kernels,
//! and which of those prefetch ahead. Speed only: every variant performs the same IEEE operations,
//! so the choice never changes a result bit. A leaf: it asks the CPU (`cpu.rs`, `prefetch.rs`)
//! and nothing else of the kernels.

use super::cpu;
use super::prefetch::Prefetch;

/// Inputs of at least this many bytes, and larger than the CPU's last-level cache where it says
/// how large that is ([`cpu::last_level_bytes`]), are taken to stream from memory.
///
/// The float sums then read one block at a time, and the first passes prefetch
/// `PREFETCH_BYTES` (`f64x8.rs`) ahead where the caller's [`Prefetch`] says so (a pool's, or
/// [`Prefetch::detect`]'s for `sequential_sum`): by default every one on Intel CPUs, the float
/// passes on AMD Zen 5 and later, the `f64` sum alone on others (`prefetch.rs` says why). On
/// input that streams from DRAM the hardware prefetchers alone can leave a core's memory stream
/// idle while it computes, which a software prefetch ahead avoids. Smaller inputs are usually
/// still in a cache from whoever wrote them: there the prefetch instructions only take issue
/// slots, and the cache-resident kernel (several blocks at a time where the ISA gains from it) is
/// the faster one. That holds for any input that fits the last-level cache, so the threshold is at
/// least that cache's size (`cpu.rs`). Both kernels perform the same additions, so the choice never
/// changes a result bit. 4 MiB, twice the 2 MiB L2 of recent Intel server cores, is the floor where
/// the CPU does not say its cache size. The measurements behind the threshold are in
/// docs/performance.md, "Tuned constants".
const STREAM_BYTES: usize = 4 << 20;

/// The input size, in bytes, from which the kernels take their streaming variants by default:
/// 4 MiB, or more than the CPU's last-level cache where the CPU says how large that is (32 MiB
/// and one byte for a 32 MiB L3). A pool can be told otherwise
/// ([`Builder::stream_bytes`](crate::Builder::stream_bytes)). Speed only: the streaming and the
/// cache-resident kernels give the same bits.
///
/// # Examples
///
/// ```
/// let bytes = shmkern::kernels::stream_bytes();
/// assert!(bytes >= 4 << 20);
/// assert_eq!(shmkern::kernels::stream_bytes(), bytes); // the CPU is asked once
/// ```
pub fn stream_bytes() -> usize {
    STREAM_BYTES.max(cpu::last_level_bytes().map_or(0, |b| b.saturating_add(1)))
}

/// How a call treats input that may stream from memory: from which size on it takes the
/// streaming kernels, and which of those prefetch — so, which [`Variant`] of each kernel it runs.
/// A pool's own ([`Builder::stream_bytes`], [`Builder::prefetch`]), or the detected defaults for
/// the sequential functions.
///
/// [`Builder::stream_bytes`]: crate::Builder::stream_bytes
/// [`Builder::prefetch`]: crate::Builder::prefetch
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VariantChoice {
    /// Inputs of at least this many bytes stream.
    pub(crate) bytes: usize,
    /// Which streaming passes prefetch.
    pub(crate) prefetch: Prefetch,
}

impl VariantChoice {
    /// [`stream_bytes`] and [`Prefetch::detect`].
    pub(crate) fn detect() -> VariantChoice {
        VariantChoice {
            bytes: stream_bytes(),
            prefetch: Prefetch::detect(),
        }
    }

    /// Whether a call over `data` takes the streaming kernels.
    fn streams<T>(self, data: &[T]) -> bool {
        std::mem::size_of_val(data) >= self.bytes
    }

    /// The float sum's variant for a call over `data` (`T` a float type).
    pub(crate) fn float_sum<T: 'static>(self, data: &[T]) -> Variant {
        if !self.streams(data) {
            Variant::CacheResident
        } else if self.prefetch.float_sum::<T>() {
            Variant::Prefetching
        } else {
            Variant::Streaming
        }
    }

    /// The variant of the first pass of `stats` for a call over `data`: without prefetch the
    /// cache-resident pass serves streaming input too.
    pub(crate) fn stats<T: 'static>(self, data: &[T]) -> Variant {
        if self.streams(data) && self.prefetch.stats_pass::<T>() {
            Variant::Prefetching
        } else {
            Variant::CacheResident
        }
    }

    /// The integer sum's variant for a call over `data`, as for [`stats`](VariantChoice::stats).
    pub(crate) fn int_sum<T>(self, data: &[T]) -> Variant {
        if self.streams(data) && self.prefetch.int_sum() {
            Variant::Prefetching
        } else {
            Variant::CacheResident
        }
    }
}

/// Which variant of a kernel a call takes ([`VariantChoice`] decides). Speed only: all give the
/// same bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Several blocks at a time where the ISA gains from it, no prefetch.
    CacheResident,
    /// One block at a time, no prefetch (the float sum only).
    Streaming,
    /// One block at a time, prefetching ahead.
    Prefetching,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The threshold and the prefetch choice pick the variants they say, per kernel and type.
    #[test]
    fn variant_choice_picks_each_kernels_variant() {
        use Variant::*;
        let x = [0.0f64; 1000]; // 8,000 bytes
        let y = [0.0f32; 1000]; // 4,000 bytes
        let z = [0i64; 1000];
        let at = |bytes, prefetch| VariantChoice { bytes, prefetch };
        // Under the threshold: always cache-resident.
        for p in [
            Prefetch::Off,
            Prefetch::F64Sum,
            Prefetch::FloatPasses,
            Prefetch::AllPasses,
        ] {
            let s = at(8001, p);
            assert_eq!(
                [s.float_sum(&x), s.stats(&x), s.int_sum(&z)],
                [CacheResident; 3]
            );
        }
        // At the threshold (inclusive): the prefetch choice decides.
        let off = at(8000, Prefetch::Off);
        assert_eq!(
            [off.float_sum(&x), off.stats(&x), off.int_sum(&z)],
            [Streaming, CacheResident, CacheResident]
        );
        let f64sum = at(4000, Prefetch::F64Sum);
        assert_eq!(
            [f64sum.float_sum(&x), f64sum.float_sum(&y)],
            [Prefetching, Streaming]
        );
        assert_eq!([f64sum.stats(&x), f64sum.int_sum(&z)], [CacheResident; 2]);
        let float = at(4000, Prefetch::FloatPasses);
        assert_eq!([float.float_sum(&x), float.float_sum(&y)], [Prefetching; 2]);
        assert_eq!([float.stats(&x), float.stats(&y)], [Prefetching; 2]);
        assert_eq!([float.stats(&z), float.int_sum(&z)], [CacheResident; 2]);
        let all = at(4000, Prefetch::AllPasses);
        assert_eq!(
            [all.float_sum(&y), all.stats(&z), all.int_sum(&z)],
            [Prefetching; 3]
        );
        // `y` (4,000 bytes) is under a threshold that `x` reaches.
        assert_eq!(at(8000, Prefetch::AllPasses).float_sum(&y), CacheResident);
    }
}
