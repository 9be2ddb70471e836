//! The kernel suite's properties, one test binary (each binary costs a build and a link in every
//! configuration `.ci/test` runs: native, ThreadSanitizer, AddressSanitizer, aarch64): moments,
//! norms, extremes with their NaN policies, the two-column kernels, quantiles and histograms, each
//! in its own module against its own oracle.

#[path = "../common/kernels.rs"]
mod common;
#[path = "../common/miri.rs"]
mod miri;
#[path = "../common/oracle.rs"]
#[allow(dead_code)]
mod oracle;

mod exact;
mod extremes;
mod group;
mod histogram;
mod moments;
mod norms;
mod pairs;
mod quantile;
