//! The chunk grid: `len` elements cut into fixed chunks that depend on `len` alone — never on the
//! thread count — so that reductions over chunks have one tree shape (`shared/NUMERICS.md` §1).

use crate::error::{Error, ErrorKind};
use std::ops::Range;

/// Elements in one leaf block of the summation tree (NUMERICS §1, contract).
pub const BLOCK_LEN: usize = 256;
/// Blocks in one chunk: a power of two, so a chunk is one complete subtree of the summation tree
/// (contract). 128 blocks = 32 Ki elements = 256 KiB of `f64`: fits a core's L2, so a second pass
/// over a chunk (the statistics kernel's) costs no memory traffic.
pub const CHUNK_BLOCKS: usize = 128;
/// Elements in one chunk of the default grid (`BLOCK_LEN * CHUNK_BLOCKS`, contract).
pub const CHUNK_LEN: usize = BLOCK_LEN * CHUNK_BLOCKS;
/// The largest chunk count: chunk indices travel as `u32` halves of one `AtomicU64`
/// ([`WorkRanges`](crate::WorkRanges)). With [`CHUNK_LEN`] that is 2^47 elements.
pub const MAX_CHUNKS: usize = u32::MAX as usize;

/// `len` elements cut into chunks of `chunk_len` (the last one may be shorter).
///
/// # Examples
///
/// ```
/// use shmkern::{ChunkGrid, CHUNK_LEN};
///
/// let grid = ChunkGrid::new(2 * CHUNK_LEN + 5).unwrap();
/// assert_eq!(grid.chunks(), 3);
/// assert_eq!(grid.chunk(2), 2 * CHUNK_LEN..2 * CHUNK_LEN + 5);
///
/// let small = ChunkGrid::with_chunk_len(10, 4).unwrap();
/// assert_eq!(small.iter().collect::<Vec<_>>(), vec![0..4, 4..8, 8..10]);
///
/// // Too many chunks for u32 indices is an error, not a panic.
/// assert!(ChunkGrid::with_chunk_len(1 << 40, 1).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChunkGrid {
    len: usize,
    chunk_len: usize,
    chunks: u32,
}

impl ChunkGrid {
    /// The grid of the kernels: chunks of [`CHUNK_LEN`] elements.
    pub fn new(len: usize) -> Result<Self, Error> {
        Self::with_chunk_len(len, CHUNK_LEN)
    }

    /// A grid with chunks of `chunk_len` elements. Fails if `chunk_len == 0` or the grid would have
    /// more than [`MAX_CHUNKS`] chunks.
    pub fn with_chunk_len(len: usize, chunk_len: usize) -> Result<Self, Error> {
        if chunk_len == 0 {
            return Err(Error::new(ErrorKind::ZeroChunkLen));
        }
        let chunks = u32::try_from(len.div_ceil(chunk_len))
            .ok()
            .filter(|&c| c as usize <= MAX_CHUNKS)
            .ok_or_else(|| Error::new(ErrorKind::TooManyChunks { len, chunk_len }))?;
        Ok(Self {
            len,
            chunk_len,
            chunks,
        })
    }

    /// Elements covered.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the grid covers no element (and so has no chunk).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Elements per chunk (the last chunk may have fewer).
    pub fn chunk_len(&self) -> usize {
        self.chunk_len
    }

    /// Number of chunks, `ceil(len / chunk_len)`.
    pub fn chunks(&self) -> u32 {
        self.chunks
    }

    /// Element range of chunk `k`, or `None` if `k >= chunks()`.
    pub fn get(&self, k: u32) -> Option<Range<usize>> {
        (k < self.chunks).then(|| {
            // k < chunks, so start < len; the end saturates instead of overflowing when `len` is
            // within one chunk of usize::MAX.
            let start = k as usize * self.chunk_len;
            start..start.saturating_add(self.chunk_len).min(self.len)
        })
    }

    /// Element range of chunk `k`.
    ///
    /// # Panics
    ///
    /// If `k >= chunks()`, as slice indexing does; [`get`](ChunkGrid::get) is the checked form.
    pub fn chunk(&self, k: u32) -> Range<usize> {
        self.get(k).unwrap_or_else(|| {
            panic!(
                "chunk index {k} out of range: the grid has {} chunks",
                self.chunks
            )
        })
    }

    /// The chunk ranges in index order.
    pub fn iter(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        (0..self.chunks).map(|k| self.chunk(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_exactly() {
        for (len, cl) in [(0, 3), (1, 1), (7, 3), (9, 3), (10, 1)] {
            let g = ChunkGrid::with_chunk_len(len, cl).unwrap();
            let flat: Vec<usize> = g.iter().flatten().collect();
            assert_eq!(flat, (0..len).collect::<Vec<_>>());
            assert_eq!(g.get(g.chunks()), None);
        }
    }

    #[test]
    fn errors_are_clear() {
        let e = ChunkGrid::with_chunk_len(5, 0).unwrap_err();
        assert_eq!(e.to_string(), "chunk length must be at least 1");
        let e = ChunkGrid::with_chunk_len(usize::MAX, 1).unwrap_err();
        assert!(
            e.to_string().contains("more than the supported 4294967295"),
            "{e}"
        );
        assert!(ChunkGrid::with_chunk_len(MAX_CHUNKS, 1).is_ok());
        assert!(ChunkGrid::with_chunk_len(MAX_CHUNKS + 1, 1).is_err());
    }

    #[test]
    #[should_panic(expected = "chunk index 3 out of range")]
    fn chunk_out_of_range_panics_with_message() {
        ChunkGrid::with_chunk_len(9, 3).unwrap().chunk(3);
    }
}
