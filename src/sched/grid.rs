//! The chunk grid: `len` elements cut into fixed chunks that depend on `len` alone — never on the
//! thread count — so that reductions over chunks have one tree shape (`docs/numerics.md` §1).

use crate::error::{Error, ErrorKind};
use std::ops::Range;

/// Elements in one leaf block of the summation tree (docs/numerics.md §1, contract).
///
/// # Examples
///
/// ```
/// use shmkern::{kernels::LANES, sched::BLOCK_LEN};
///
/// assert_eq!(BLOCK_LEN, 256);
/// assert_eq!(BLOCK_LEN % LANES, 0); // a block is whole rows of the 16 summation lanes
/// ```
pub const BLOCK_LEN: usize = 256;
/// Blocks in one chunk: a power of two, so a chunk is one complete subtree of the summation tree
/// (contract). 128 blocks = 32 Ki elements = 256 KiB of `f64`: fits a core's L2, so a second pass
/// over a chunk (the statistics kernel's) costs no memory traffic.
///
/// # Examples
///
/// ```
/// use shmkern::sched::{BLOCK_LEN, CHUNK_BLOCKS};
///
/// assert!(CHUNK_BLOCKS.is_power_of_two());
/// // 256 KiB of `f64` per chunk.
/// assert_eq!(CHUNK_BLOCKS * BLOCK_LEN * std::mem::size_of::<f64>(), 256 * 1024);
/// ```
pub const CHUNK_BLOCKS: usize = 128;
/// Elements in one chunk of the default grid (`BLOCK_LEN * CHUNK_BLOCKS`, contract).
///
/// # Examples
///
/// ```
/// use shmkern::sched::{ChunkGrid, BLOCK_LEN, CHUNK_BLOCKS, CHUNK_LEN};
///
/// assert_eq!(CHUNK_LEN, BLOCK_LEN * CHUNK_BLOCKS);
/// assert_eq!(ChunkGrid::new(CHUNK_LEN + 1).unwrap().chunks(), 2);
/// ```
pub const CHUNK_LEN: usize = BLOCK_LEN * CHUNK_BLOCKS;
/// The largest chunk count: chunk indices travel as `u32` halves of one `AtomicU64`
/// ([`WorkRanges`](crate::sched::WorkRanges)). With [`CHUNK_LEN`] that is 2^47 elements.
///
/// # Examples
///
/// ```
/// use shmkern::sched::{ChunkGrid, MAX_CHUNKS};
///
/// assert_eq!(MAX_CHUNKS as u64, u64::from(u32::MAX));
/// assert!(ChunkGrid::with_chunk_len(MAX_CHUNKS, 1).is_ok());
/// assert!(ChunkGrid::with_chunk_len(MAX_CHUNKS + 1, 1).is_err());
/// ```
pub const MAX_CHUNKS: usize = u32::MAX as usize;

/// `len` elements cut into chunks of `chunk_len` (the last one may be shorter).
///
/// # Examples
///
/// ```
/// use shmkern::sched::{ChunkGrid, CHUNK_LEN};
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
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::{ChunkGrid, CHUNK_LEN};
    ///
    /// let grid = ChunkGrid::new(3 * CHUNK_LEN).unwrap();
    /// assert_eq!((grid.chunks(), grid.chunk_len()), (3, CHUNK_LEN));
    /// assert_eq!(ChunkGrid::new(0).unwrap().chunks(), 0);
    /// ```
    pub fn new(len: usize) -> Result<Self, Error> {
        Self::with_chunk_len(len, CHUNK_LEN)
    }

    /// A grid with chunks of `chunk_len` elements. Fails if `chunk_len == 0` or the grid would have
    /// more than [`MAX_CHUNKS`] chunks.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::ChunkGrid;
    ///
    /// let grid = ChunkGrid::with_chunk_len(10, 3).unwrap();
    /// assert_eq!(grid.chunks(), 4); // 3 + 3 + 3 + 1
    /// let err = ChunkGrid::with_chunk_len(10, 0).unwrap_err();
    /// assert_eq!(err.to_string(), "chunk length must be at least 1");
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let grid = shmkern::sched::ChunkGrid::with_chunk_len(10, 4).unwrap();
    /// assert_eq!(grid.len(), 10);
    /// assert_eq!(grid.iter().map(|r| r.len()).sum::<usize>(), grid.len());
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the grid covers no element (and so has no chunk).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::ChunkGrid;
    ///
    /// let empty = ChunkGrid::new(0).unwrap();
    /// assert!(empty.is_empty());
    /// assert_eq!((empty.chunks(), empty.get(0)), (0, None));
    /// assert!(!ChunkGrid::new(1).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Elements per chunk (the last chunk may have fewer).
    ///
    /// # Examples
    ///
    /// ```
    /// let grid = shmkern::sched::ChunkGrid::with_chunk_len(10, 4).unwrap();
    /// assert_eq!(grid.chunk_len(), 4);
    /// assert_eq!(grid.chunk(2).len(), 2); // the last chunk is shorter
    /// ```
    pub fn chunk_len(&self) -> usize {
        self.chunk_len
    }

    /// Number of chunks, `ceil(len / chunk_len)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::ChunkGrid;
    ///
    /// assert_eq!(ChunkGrid::with_chunk_len(8, 4).unwrap().chunks(), 2);
    /// assert_eq!(ChunkGrid::with_chunk_len(9, 4).unwrap().chunks(), 3);
    /// ```
    pub fn chunks(&self) -> u32 {
        self.chunks
    }

    /// Element range of chunk `k`, or `None` if `k >= chunks()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let grid = shmkern::sched::ChunkGrid::with_chunk_len(10, 4).unwrap();
    /// assert_eq!(grid.get(1), Some(4..8));
    /// assert_eq!(grid.get(3), None); // out of range: no panic
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::{ChunkGrid, CHUNK_LEN};
    ///
    /// let grid = ChunkGrid::new(2 * CHUNK_LEN + 100).unwrap();
    /// assert_eq!(grid.chunk(0), 0..CHUNK_LEN);
    /// assert_eq!(grid.chunk(2), 2 * CHUNK_LEN..2 * CHUNK_LEN + 100); // the short last chunk
    /// ```
    pub fn chunk(&self, k: u32) -> Range<usize> {
        self.get(k).unwrap_or_else(|| {
            panic!(
                "chunk index {k} out of range: the grid has {} chunks",
                self.chunks
            )
        })
    }

    /// The chunk ranges in index order.
    ///
    /// # Examples
    ///
    /// ```
    /// let grid = shmkern::sched::ChunkGrid::with_chunk_len(7, 3).unwrap();
    /// assert_eq!(grid.iter().collect::<Vec<_>>(), vec![0..3, 3..6, 6..7]);
    /// ```
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
