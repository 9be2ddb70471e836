//! Deterministic sum and statistics kernels (issue 4, in progress): the fixed summation tree of
//! `shared/NUMERICS.md` §1 for `f32`/`f64`, exact wide sums for integers, single-pass statistics. Bit-identical for every
//! thread count, every claim order and every CPU. See `docs/guarantees.md`.

mod compensated;
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

/// Inputs of at least this many bytes are taken to stream from memory.
///
/// The float sums then read one block at a time, and the first passes prefetch
/// [`vector::PREFETCH_BYTES`] ahead where the caller's [`Prefetch`] says so (a pool's, or
/// [`Prefetch::detect`]'s for `sequential_sum`): by default every one on Intel CPUs, the `f64`
/// sum alone on others (`prefetch.rs` has the measurements). On the Intel dev VM (2026-11) the
/// hardware prefetchers alone left a 1 GiB sum at 0.94–0.97× of the read-bandwidth loop, against
/// 1.01–1.13× with it; on the AMD Zen 4 VM (2026-12) the sum reads 1.03–1.12× with it. Smaller
/// inputs are usually still in a cache from whoever wrote them, where the prefetch instructions
/// only take issue slots: they cost a 512 KiB L2-resident AVX-512 sum about 10 % on the Intel VM
/// (both in docs/performance.md). Both kernels perform the same additions, so the choice never
/// changes a result bit. 4 MiB is the Intel VM's L2 (2 × 2 MiB), twice the AMD VM's.
const STREAM_BYTES: usize = 4 << 20;

/// Whether a call over `data` takes the streaming kernels (see [`STREAM_BYTES`]).
fn streams<T>(data: &[T]) -> bool {
    std::mem::size_of_val(data) >= STREAM_BYTES
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
