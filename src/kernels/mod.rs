//! Deterministic sum and statistics kernels (issue 4, in progress): the fixed summation tree of
//! `shared/NUMERICS.md` §1 for `f32`/`f64`, exact wide sums for integers, single-pass statistics. Bit-identical for every
//! thread count, every claim order and every CPU. See `docs/guarantees.md`.

mod compensated;
mod element;
mod exact;
mod lanes;
mod simd;
mod stats;
mod sum;
mod vector;

pub use element::{Float, Int};
pub(crate) use lanes::chunk_sum;
pub use lanes::{chunk_sum_on, Isa, LANES};
pub(crate) use stats::chunk_stats;
pub use stats::{stats, StatElement, Stats};
pub use sum::{checked_sum, sequential_sum, sequential_sum_compensated, sum, Accuracy};

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
