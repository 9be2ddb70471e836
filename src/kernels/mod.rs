//! Deterministic sum and statistics kernels (issue 4, in progress): the fixed summation tree of
//! `shared/NUMERICS.md` §1 for `f32`/`f64`, exact wide sums for integers, single-pass statistics. Bit-identical for every
//! thread count, every claim order and every CPU. See `docs/guarantees.md`.

mod compensated;
mod element;
mod exact;
mod lanes;
mod stats;
mod sum;

pub use element::{Float, Int};
pub(crate) use lanes::chunk_sum;
pub use lanes::{chunk_sum_on, Isa, LANES};
pub(crate) use stats::chunk_stats;
pub use stats::{stats, StatElement, Stats};
pub use sum::{checked_sum, sequential_sum, sequential_sum_compensated, sum, Accuracy};
