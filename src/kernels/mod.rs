//! The deterministic kernels, and what they run on.
//!
//! - **The framework** ([`Kernel`], [`Columns`], [`ChunkAt`]): a reduction as a per-chunk partial
//!   (plain data), a merge and a finish, run by [`Pool::run`](crate::Pool::run),
//!   [`run_sequential`] or [`partial`] on pieces merged later
//!   ([`merge_pieces`](crate::sched::merge_pieces)), always in the one canonical tree. The built-in
//!   kernels below are instances: [`FloatSum`], [`IntSum`], [`Describe`] (statistics) and
//!   [`MinMax`] (extremes with their first positions).
//! - **Float sums** ([`sum()`](crate::sum()), [`Pool::sum_float`](crate::Pool::sum_float),
//!   [`sequential_sum`]): the fixed summation tree of `docs/numerics.md` §1 over `f32` or `f64`
//!   input, accumulated in `f64`, in one of three [`Accuracy`] modes on the same tree: `Fast` (one
//!   add per element), `Compensated` (a Neumaier pair in every lane and node) and `Exact` (the
//!   exact sum, rounded once).
//! - **Integer sums** ([`Pool::sum_int`](crate::Pool::sum_int)): exact, in `i128` or `u128`;
//!   [`checked_sum`](crate::checked_sum()) converts the exact total back to the input type and fails once, at the end,
//!   if it does not fit (`docs/numerics.md` §4).
//! - **Statistics** ([`stats()`](crate::stats()), [`Stats`]): count, NaN count, sum, min, max, mean and variance in
//!   one pass over memory, with chunk states merged over the same tree (`docs/numerics.md` §3).
//! - **ISA dispatch** ([`Isa`]): every kernel is compiled for the portable baseline, AVX2 and
//!   AVX-512, and runs on the best one this CPU has (detected at run time).
//! - **Variant choice** ([`stream_bytes`], [`Prefetch`]): from which input size a call takes the
//!   streaming variants of the kernels, and which of those prefetch ahead.
//!
//! Guarantees (`docs/guarantees.md` states them for users, `docs/numerics.md` is the numeric
//! contract): a result depends on the input values and their order alone — never on the thread
//! count, the order in which chunks are claimed, the instruction set or the variant chosen, all of
//! which perform the same IEEE operations in the same order; special values follow §2; integer
//! sums are exact.
//!
//! The files, their layers (imports run one way) and the call path from the pool to the vector
//! loop: `README.md` beside this file.

mod bigint;
pub(crate) mod compensated;
mod covariance;
mod cpu;
mod dot;
mod element;
pub(crate) mod exact;
mod extremes;
mod f32x16;
mod f64x8;
mod fast;
pub(crate) mod group;
mod histogram;
mod i64x8;
mod int_sum;
mod ints;
mod isa;
mod kernel;
mod key_scan;
mod moments;
mod nan;
mod norms;
mod partial;
mod passes;
mod power_sums;
mod prefetch;
pub(crate) mod quantile;
mod square_pieces;
mod square_rows;
mod stats;
mod sum;
mod tree;
mod variant;

pub use covariance::{CoMoments, Covariance};
pub use dot::{Dot, ExactDot};
pub use element::{Float, Int};
pub use exact::Superaccumulator;
pub use extremes::{Extremes, MinMax};
pub use fast::chunk_sum_on;
pub use group::{GroupKey, MAX_GROUPS};
pub use histogram::{Bins, Histogram};
pub use isa::Isa;
pub use kernel::{partial, run_sequential, ChunkAt, Columns, Kernel};
pub use moments::{CentralMoments, Moments};
pub use nan::NanPolicy;
pub use norms::{NormParts, Norms};
pub use power_sums::{ExactMoments, PowerSums};
pub use prefetch::Prefetch;
pub use stats::{Describe, StatElement, Stats};
pub use sum::{sequential_sum, sequential_sum_compensated, Accuracy, ExactSum, FloatSum, IntSum};
pub(crate) use tree::canonical;
pub use tree::LANES;
pub use variant::stream_bytes;
pub(crate) use variant::VariantChoice;

/// Proptest settings of the kernels' unit tests: `cases` natively; under Miri 2 cases (why:
/// tests/common/miri.rs) and no regression file (Miri's isolation refuses the host file access
/// proptest makes for it).
#[cfg(test)]
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let native = proptest::test_runner::Config::with_cases(cases);
    if cfg!(miri) {
        proptest::test_runner::Config {
            cases: 2,
            failure_persistence: None,
            ..native
        }
    } else {
        native
    }
}
