//! Deterministic sum and statistics kernels (issue 4, in progress): the fixed summation tree of
//! `shared/NUMERICS.md` §1 for `f32`/`f64`, exact wide sums for integers, single-pass statistics. Bit-identical for every
//! thread count, every claim order and every CPU. See `docs/guarantees.md`.

mod compensated;
mod cpu;
mod element;
mod exact;
mod ints;
mod lanes;
mod prefetch;
mod simd;
mod simd32;
mod stats;
mod sum;
mod vector;

pub(crate) use element::int_chunk_sum_for;
pub use element::{Float, Int};
pub(crate) use lanes::chunk_sum_for;
pub use lanes::{chunk_sum_on, Isa, LANES};
pub use prefetch::Prefetch;
pub(crate) use stats::chunk_stats_for;
pub use stats::{stats, StatElement, Stats};
pub use sum::{checked_sum, sequential_sum, sequential_sum_compensated, sum, Accuracy};

/// Inputs of at least this many bytes, and larger than the CPU's last-level cache where it says
/// how large that is ([`cpu::last_level_bytes`]), are taken to stream from memory.
///
/// The float sums then read one block at a time, and the first passes prefetch
/// [`vector::PREFETCH_BYTES`] ahead where the caller's [`Prefetch`] says so (a pool's, or
/// [`Prefetch::detect`]'s for `sequential_sum`): by default every one on Intel CPUs, the float
/// passes on AMD Zen 5 and later, the `f64` sum alone on others (`prefetch.rs` has the
/// measurements). On the Intel dev VM (2026-11) the
/// hardware prefetchers alone left a 1 GiB sum at 0.94–0.97× of the read-bandwidth loop, against
/// 1.01–1.13× with it; on the AMD Zen 4 VM (2026-12) the sum reads 1.03–1.12× with it. Smaller
/// inputs are usually still in a cache from whoever wrote them, where the prefetch instructions
/// only take issue slots: they cost a 512 KiB L2-resident AVX-512 sum about 10 % on the Intel VM
/// (both in docs/performance.md), and an input that fits the last-level cache was as often read
/// from there: on the AMD Zen 5 VM (32 MiB L3) the streaming `f64` sum read L3-resident inputs
/// of 2–32 MiB at 0.69–0.99× of the cache-resident kernel's speed (`cpu.rs`). Both kernels perform the same
/// additions, so the choice never changes a result bit. 4 MiB is the Intel VM's L2 (2 × 2 MiB),
/// twice the AMD VM's: the floor where the CPU does not say its cache size.
const STREAM_BYTES: usize = 4 << 20;

/// The input size, in bytes, from which the kernels take their streaming variants by default:
/// 4 MiB, or more than the CPU's last-level cache where the CPU says how large that is (one byte
/// more than 32 MiB on the AMD dev VM). A pool can be told otherwise
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
/// streaming kernels, and which of those prefetch. A pool's own ([`Builder::stream_bytes`],
/// [`Builder::prefetch`]), or the detected defaults for the sequential functions.
///
/// [`Builder::stream_bytes`]: crate::Builder::stream_bytes
/// [`Builder::prefetch`]: crate::Builder::prefetch
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Streaming {
    /// Inputs of at least this many bytes stream.
    pub(crate) bytes: usize,
    /// Which streaming passes prefetch.
    pub(crate) prefetch: Prefetch,
}

impl Streaming {
    /// [`stream_bytes`] and [`Prefetch::detect`].
    pub(crate) fn detect() -> Streaming {
        Streaming {
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

    /// The integer sum's variant for a call over `data`, as for [`stats`](Streaming::stats).
    pub(crate) fn int_sum<T>(self, data: &[T]) -> Variant {
        if self.streams(data) && self.prefetch.int_sum() {
            Variant::Prefetching
        } else {
            Variant::CacheResident
        }
    }
}

/// Which variant of a kernel a call takes ([`Streaming`] decides). Speed only: all give the same
/// bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Several blocks at a time where the ISA gains from it, no prefetch.
    CacheResident,
    /// One block at a time, no prefetch (the float sum only).
    Streaming,
    /// One block at a time, prefetching ahead.
    Prefetching,
}

/// Proptest settings of the kernels' unit tests: `cases` natively; under Miri 4 cases and no
/// regression file (Miri's isolation refuses the host file access proptest makes for it).
#[cfg(test)]
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let native = proptest::test_runner::Config::with_cases(cases);
    if cfg!(miri) {
        proptest::test_runner::Config {
            cases: 4,
            failure_persistence: None,
            ..native
        }
    } else {
        native
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The threshold and the prefetch choice pick the variants they say, per kernel and type.
    #[test]
    fn streaming_picks_each_kernels_variant() {
        use Variant::*;
        let x = [0.0f64; 1000]; // 8,000 bytes
        let y = [0.0f32; 1000]; // 4,000 bytes
        let z = [0i64; 1000];
        let at = |bytes, prefetch| super::Streaming { bytes, prefetch };
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

    /// A pool's calls take the threshold and the prefetch choice it was built with (the detected
    /// ones by default), which every kernel choice of its calls and jobs reads.
    #[test]
    fn pools_carry_their_streaming() {
        let pool = crate::Pool::builder()
            .threads(1)
            .stream_bytes(0)
            .prefetch(Prefetch::FloatPasses)
            .build()
            .unwrap();
        let want = super::Streaming {
            bytes: 0,
            prefetch: Prefetch::FloatPasses,
        };
        assert_eq!(pool.streaming(), want);
        let default = crate::Pool::builder().threads(1).build().unwrap();
        assert_eq!(default.streaming(), super::Streaming::detect());
    }
}
