//! How work is cut and handed out: the fixed chunk grid and the work-stealing chunk ranges. Design
//! notes: [`README.md`](README.md) beside this file and `docs/design.md`.

mod grid;
mod ranges;
mod tree;
mod wire;

pub use grid::{ChunkGrid, BLOCK_LEN, CHUNK_BLOCKS, CHUNK_LEN, MAX_CHUNKS};
pub use ranges::{Claimer, Round, WorkRanges};
pub(crate) use tree::merge_tree;
pub use tree::{merge_pieces, Piece, TreeFold};
#[cfg(not(shmkern_loom))]
pub(crate) use wire::fnv1a;
pub use wire::PIECE_FORMAT_VERSION;
