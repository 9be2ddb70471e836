//! What the language bindings (python/, node/) share, so that each holds only its own language's
//! side: [`Column`], a borrowed slice of any element type the kernels read, with the macros that
//! run one body for each element type; and [`pool`], the process's pools by thread count.

mod column;
mod pools;

pub use column::Column;
pub use pools::{pool, MAX_THREADS};
