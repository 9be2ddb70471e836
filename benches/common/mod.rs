//! Code the benches share, one file per concept. The `tables` binary includes this whole module
//! (`#[path = "../common/mod.rs"]`); the criterion benches and `cli/benches/file_table.rs` include
//! the single files they need with `#[path]`.

/// The oneTBB and Node.js children of the `anchors` table and the criterion `kernels` bench.
pub mod anchors;
/// The read-bandwidth loop the kernel tables compare against.
pub mod bandwidth;
/// The 1 GiB test data of the kernel tables, and its values.
pub mod buffer;
/// The futex round trip between two threads, and CPU affinity.
pub mod pingpong;
/// Header, interleaved measurement, quick mode, formatting, other processes' CPU time.
pub mod report;
