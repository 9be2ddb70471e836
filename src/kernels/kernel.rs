//! The kernel abstraction that every reduction shares, built-in or a user's: a [`Kernel`] maps one
//! chunk of its input [`Columns`] to a plain-data partial, merges two partials, and finishes the
//! root. The grid cuts the input into chunks by its length alone and the partials merge in the
//! canonical tree (`crate::sched::merge_tree`), so a kernel's result has the same bits on any
//! thread count, schedule, CPU or process count — and, since a partial is plain bytes, for
//! partials computed anywhere and merged later ([`merge_pieces`](crate::sched::merge_pieces)).
//!
//! Runs: [`Pool::run`](crate::Pool::run) (the pool, the caller taking part) and [`run_sequential`]
//! (this thread only) run the same chunk and merge calls in the same tree.

use crate::error::{Error, ErrorKind};
use crate::sched::{ChunkGrid, TreeFold, CHUNK_LEN};
use std::ops::Range;

/// Where a chunk lies in the input: its index in the grid and the index of its first element, for
/// kernels whose result depends on positions (an argmax, a checksum of positions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChunkAt {
    /// The chunk's index in the grid.
    pub index: u32,
    /// The index, in the whole input, of the chunk's first element.
    pub offset: usize,
}

impl ChunkAt {
    /// The chunk with this index whose first element is at `offset`: what a kernel's own tests
    /// pass to [`Kernel::chunk`] (the runs build it from the grid).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{ChunkAt, Kernel, MinMax};
    /// use shmkern::sched::CHUNK_LEN;
    ///
    /// let e = MinMax::new().chunk(ChunkAt::new(2, 2 * CHUNK_LEN), &[3.0, 1.0, 2.0]);
    /// assert_eq!(e.min(), Some((1.0, 2 * CHUNK_LEN + 1)));
    /// ```
    pub fn new(index: u32, offset: usize) -> Self {
        Self { index, offset }
    }
}

/// The input of a kernel: one or several equally long columns, cut into chunks together.
/// Implemented for `&[T]`, for tuples of two or three columns (each itself `Columns`), and for
/// arrays `[&[T]; N]`.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::Columns;
///
/// let (x, y) = ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]);
/// assert_eq!((&x[..], &y[..]).rows().unwrap(), 3);
/// assert_eq!((&x[..], &y[..]).rows_range(1..3), (&x[1..], &y[1..]));
/// let err = (&x[..], &y[..2]).rows().unwrap_err();
/// assert!(err.to_string().contains("differ in length (3, 2)"), "{err}");
/// ```
pub trait Columns: Copy + Sync {
    /// The number of rows, or an error when the columns differ in length.
    fn rows(&self) -> Result<usize, Error>;
    /// Rows `range` of every column (`range` within `0..rows()`).
    fn rows_range(&self, range: Range<usize>) -> Self;
}

impl<T: Sync> Columns for &[T] {
    fn rows(&self) -> Result<usize, Error> {
        Ok(self.len())
    }
    fn rows_range(&self, range: Range<usize>) -> Self {
        &self[range]
    }
}

/// Equal lengths or an error listing them.
fn same(lengths: &[usize]) -> Result<usize, Error> {
    let first = lengths[0];
    if lengths.iter().all(|&n| n == first) {
        Ok(first)
    } else {
        Err(Error::new(ErrorKind::ColumnLengths(lengths.to_vec())))
    }
}

impl<A: Columns, B: Columns> Columns for (A, B) {
    fn rows(&self) -> Result<usize, Error> {
        same(&[self.0.rows()?, self.1.rows()?])
    }
    fn rows_range(&self, range: Range<usize>) -> Self {
        (self.0.rows_range(range.clone()), self.1.rows_range(range))
    }
}

impl<A: Columns, B: Columns, C: Columns> Columns for (A, B, C) {
    fn rows(&self) -> Result<usize, Error> {
        same(&[self.0.rows()?, self.1.rows()?, self.2.rows()?])
    }
    fn rows_range(&self, range: Range<usize>) -> Self {
        (
            self.0.rows_range(range.clone()),
            self.1.rows_range(range.clone()),
            self.2.rows_range(range),
        )
    }
}

impl<T: Sync, const N: usize> Columns for [&[T]; N] {
    fn rows(&self) -> Result<usize, Error> {
        if N == 0 {
            return Ok(0);
        }
        let lengths = self.map(<[T]>::len);
        same(&lengths)
    }
    fn rows_range(&self, range: Range<usize>) -> Self {
        self.map(|c| &c[range.clone()])
    }
}

/// A deterministic reduction: `chunk` maps one chunk of the input to a partial, `merge` combines the
/// partials of two neighbouring ranges (left, then right), and `finish` turns the root partial into
/// the result. The framework calls `chunk` once per chunk of the grid ([`CHUNK_LEN`] rows by
/// default; an empty input is one empty chunk), merges in the canonical tree, and calls `finish`
/// once, so the result depends on the input and the chunk length only.
///
/// What a kernel must do for that to hold: `chunk` depends only on its arguments (not on which
/// thread or when), and `merge` only on its two partials. It need not be associative or
/// commutative: the tree fixes the order. The partial is plain data (`bytemuck::Pod`), so it can
/// sit in a shared mapping, cross a process, or be stored and merged later.
///
/// [`CHUNK_LEN`]: crate::sched::CHUNK_LEN
///
/// # Examples
///
/// The position of the largest value (first occurrence), without `unsafe`: `chunk` gets its offset.
/// The partial derives `Pod` with bytemuck's `derive` feature (`bytemuck = { version = "1",
/// features = ["derive"] }` in the user's `Cargo.toml`).
///
/// ```
/// use shmkern::kernels::{ChunkAt, Kernel};
/// use shmkern::Pool;
///
/// #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
/// #[repr(C)]
/// struct Best { value: f64, at: u64 } // `at == u64::MAX`: no value yet
///
/// struct ArgMax;
/// impl Kernel for ArgMax {
///     type Input<'a> = &'a [f64];
///     type Partial = Best;
///     type Output = Option<usize>;
///     fn chunk(&self, at: ChunkAt, x: &[f64]) -> Best {
///         let mut best = Best { value: f64::NEG_INFINITY, at: u64::MAX };
///         for (i, &v) in x.iter().enumerate() {
///             if best.at == u64::MAX || v > best.value {
///                 best = Best { value: v, at: (at.offset + i) as u64 };
///             }
///         }
///         best
///     }
///     fn merge(&self, l: Best, r: Best) -> Best {
///         if l.at == u64::MAX || (r.at != u64::MAX && r.value > l.value) { r } else { l }
///     }
///     fn finish(&self, b: Best) -> Option<usize> {
///         (b.at != u64::MAX).then_some(b.at as usize)
///     }
/// }
///
/// let data: Vec<f64> = (0..300_000u64).map(|i| ((i * 7919) % 100_003) as f64).collect();
/// let pool = Pool::builder().threads(2).build()?;
/// let first_max = data.iter().position(|&v| v == 100_002.0);
/// assert_eq!(pool.run(&ArgMax, &data)?, first_max);
/// assert_eq!(shmkern::kernels::run_sequential(&ArgMax, &data)?, pool.run(&ArgMax, &data)?);
/// assert_eq!(pool.run(&ArgMax, &[])?, None);
/// # Ok::<(), shmkern::Error>(())
/// ```
pub trait Kernel: Sync {
    /// The columns the kernel reads: `&'a [T]`, `(&'a [A], &'a [B])`, … ([`Columns`]).
    type Input<'a>: Columns;
    /// The result of one chunk, or of a merged range of chunks.
    type Partial: bytemuck::Pod + Send;
    /// What the caller gets.
    type Output;

    /// The partial of one chunk: rows `at.offset..` of the input, `input` being those rows.
    fn chunk(&self, at: ChunkAt, input: Self::Input<'_>) -> Self::Partial;
    /// The partial of a range whose left part gave `left` and right part `right`.
    fn merge(&self, left: Self::Partial, right: Self::Partial) -> Self::Partial;
    /// The result, from the partial of the whole input.
    fn finish(&self, root: Self::Partial) -> Self::Output;
}

/// Runs `kernel` over `input` on the calling thread alone: the same chunks, the same merge tree and
/// so the same bits as [`Pool::run`](crate::Pool::run) on any pool. Errors: the columns differ in
/// length, or the input has more chunks than the grid supports.
///
/// # Examples
///
/// A dot product: two columns reduced together, no zipped copy.
///
/// ```
/// use shmkern::kernels::{run_sequential, ChunkAt, Kernel};
///
/// struct Dot;
/// impl Kernel for Dot {
///     type Input<'a> = (&'a [f64], &'a [f64]);
///     type Partial = f64;
///     type Output = f64;
///     fn chunk(&self, _: ChunkAt, (x, y): (&[f64], &[f64])) -> f64 {
///         x.iter().zip(y).map(|(a, b)| a * b).sum()
///     }
///     fn merge(&self, l: f64, r: f64) -> f64 { l + r }
///     fn finish(&self, s: f64) -> f64 { s }
/// }
///
/// let x = vec![1.5; 100_000];
/// let y = vec![2.0; 100_000];
/// assert_eq!(run_sequential(&Dot, (&x[..], &y[..]))?, 300_000.0);
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// assert_eq!(pool.run(&Dot, (&x[..], &y[..]))?.to_bits(), 300_000f64.to_bits());
/// assert!(run_sequential(&Dot, (&x[..], &y[1..])).is_err()); // lengths differ
/// # Ok::<(), shmkern::Error>(())
/// ```
pub fn run_sequential<K: Kernel>(kernel: &K, input: K::Input<'_>) -> Result<K::Output, Error> {
    Ok(kernel.finish(partial(kernel, input, 0)?))
}

/// The partial of a **piece** of a larger input, on the calling thread: `input` holds the rows of
/// chunks `first_chunk..` of the whole input's grid ([`CHUNK_LEN`] rows a chunk; only the whole
/// input's last chunk may be short), and the chunks see their positions in the whole input. With
/// the pieces of a split on [canonical subtrees](crate::sched::merge_pieces), merging the pieces'
/// partials with `merge_pieces` and finishing the root gives the bits of one call over the whole
/// input: this is how an outside engine (Dask, Spark, …) that partitions the data computes with
/// shmkern and gets the single machine's result. Errors as for [`run_sequential`], and an input
/// that cannot start at `first_chunk` (more rows than the grid holds).
///
/// [`CHUNK_LEN`]: crate::sched::CHUNK_LEN
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{partial, FloatSum, Kernel, MinMax};
/// use shmkern::sched::{merge_pieces, Piece, CHUNK_LEN};
///
/// let data: Vec<f64> = (0..5 * CHUNK_LEN).map(|i| ((i * 31) % 1000) as f64 * 0.37).collect();
/// // Five chunks split as an engine might: chunks 0..4 (a subtree) and chunk 4.
/// let (a, b) = data.split_at(4 * CHUNK_LEN);
/// let sum = FloatSum::new();
/// let pieces = [
///     Piece { first: 0, chunks: 4, partial: partial(&sum, a, 0)? },
///     Piece { first: 4, chunks: 1, partial: partial(&sum, b, 4)? },
/// ];
/// let root = merge_pieces(5, pieces, |l, r| sum.merge(l, r))?;
/// assert_eq!(sum.finish(root).to_bits(), shmkern::sum(&data).to_bits());
///
/// // Positions are the whole input's.
/// let mm = MinMax::new();
/// let right = partial(&mm, b, 4)?;
/// assert!(right.max().unwrap().1 >= 4 * CHUNK_LEN);
/// # Ok::<(), shmkern::Error>(())
/// ```
pub fn partial<K: Kernel>(
    kernel: &K,
    input: K::Input<'_>,
    first_chunk: u32,
) -> Result<K::Partial, Error> {
    let rows = input.rows()?;
    let base = first_chunk as usize * CHUNK_LEN;
    let whole = base.checked_add(rows).ok_or_else(|| {
        Error::new(ErrorKind::TooManyChunks {
            len: usize::MAX,
            chunk_len: CHUNK_LEN,
        })
    })?;
    ChunkGrid::new(whole)?;
    let grid = ChunkGrid::new(rows)?;
    let at = |k: u32, start: usize| ChunkAt::new(first_chunk + k, base + start);
    if grid.chunks() <= 1 {
        let range = grid.get(0).unwrap_or(0..0);
        return Ok(kernel.chunk(at(0, range.start), input.rows_range(range)));
    }
    let merge = |a, b| kernel.merge(a, b);
    let mut fold = TreeFold::new();
    for k in 0..grid.chunks() {
        let range = grid.chunk(k);
        fold.push(
            kernel.chunk(at(k, range.start), input.rows_range(range)),
            merge,
        );
    }
    Ok(fold.finish(merge).expect("more than one chunk"))
}
