//! `Pool::run`: any [`Kernel`] on the pool — its chunks claimed by the participants, its partials
//! merged in the canonical tree, so the bits match [`run_sequential`] and every other pool.
//!
//! [`run_sequential`]: crate::kernels::run_sequential

use super::{ParOptions, Pool};
use crate::error::Error;
use crate::kernels::{ChunkAt, Columns, Kernel};

impl Pool {
    /// Runs `kernel` over `input` on this pool: the same bits as
    /// [`run_sequential`](crate::kernels::run_sequential) and as any other pool. Errors: the
    /// columns differ in length, or the input has more chunks than the grid supports. A panic in
    /// the kernel is re-raised here after every participant has stopped touching `input`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{ChunkAt, Kernel};
    /// use shmkern::Pool;
    ///
    /// /// How many values exceed a threshold.
    /// struct Above(f64);
    /// impl Kernel for Above {
    ///     type Input<'a> = &'a [f64];
    ///     type Partial = u64;
    ///     type Output = u64;
    ///     fn chunk(&self, _: ChunkAt, x: &[f64]) -> u64 {
    ///         x.iter().filter(|&&v| v > self.0).count() as u64
    ///     }
    ///     fn merge(&self, l: u64, r: u64) -> u64 { l + r }
    ///     fn finish(&self, n: u64) -> u64 { n }
    /// }
    ///
    /// let data: Vec<f64> = (0..100_000).map(f64::from).collect();
    /// let pool = Pool::builder().threads(2).build()?;
    /// assert_eq!(pool.run(&Above(89_999.5), &data)?, 10_000);
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn run<K: Kernel>(&self, kernel: &K, input: K::Input<'_>) -> Result<K::Output, Error> {
        self.run_with(kernel, input, ParOptions::default())
    }

    /// [`run`](Pool::run) with options: a cancel token (then `Err` says the call was cancelled), a
    /// progress counter (rows done) and a chunk length (default [`CHUNK_LEN`]; the result's bits
    /// depend on it, and partials merge with [`merge_pieces`] only on the default grid).
    ///
    /// [`CHUNK_LEN`]: crate::sched::CHUNK_LEN
    /// [`merge_pieces`]: crate::sched::merge_pieces
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{ChunkAt, Kernel};
    /// use shmkern::{ParOptions, Pool};
    ///
    /// /// The chunk offsets, as a bitmask of which chunks ran (chunks of 10 rows).
    /// struct Offsets;
    /// impl Kernel for Offsets {
    ///     type Input<'a> = &'a [u8];
    ///     type Partial = u64;
    ///     type Output = u64;
    ///     fn chunk(&self, at: ChunkAt, _: &[u8]) -> u64 { 1 << (at.offset / 10) }
    ///     fn merge(&self, l: u64, r: u64) -> u64 { l | r }
    ///     fn finish(&self, m: u64) -> u64 { m }
    /// }
    ///
    /// let pool = Pool::builder().threads(2).inline_below(0).build()?;
    /// let opts = ParOptions { chunk_len: Some(10), ..ParOptions::default() };
    /// assert_eq!(pool.run_with(&Offsets, &[0u8; 45], opts)?, 0b11111);
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn run_with<K: Kernel>(
        &self,
        kernel: &K,
        input: K::Input<'_>,
        opts: ParOptions<'_>,
    ) -> Result<K::Output, Error> {
        let grid = opts.grid(input.rows()?)?;
        let root = self.reduce_grid(
            &grid,
            opts,
            |index, range| {
                let at = ChunkAt::new(index, range.start);
                kernel.chunk(at, input.rows_range(range))
            },
            |a, b| kernel.merge(a, b),
        )?;
        Ok(kernel.finish(root))
    }
}
