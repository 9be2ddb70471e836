//! Deterministic sum kernels (issue 4, in progress): the fixed summation tree of
//! `shared/NUMERICS.md` §1 for `f32`/`f64`, exact wide sums for integers. Bit-identical for every
//! thread count, every claim order and every CPU. See `docs/guarantees.md`.

mod element;
mod lanes;
mod sum;

pub use element::{Float, Int};
pub use lanes::{chunk_sum_on, Isa, LANES};
pub use sum::{checked_sum, sequential_sum, sum};
