//! Data-parallel calls on a [`Pool`]: `reduce`, `for_each_chunk_mut`, `broadcast`. Each is a call
//! of chunk indices over the chunk grid (see `call.rs`), or runs inline when it is small.

use super::task::CancelToken;
use super::Pool;
use crate::error::{Error, ErrorKind};
use crate::sched::{merge_tree, ChunkGrid, CHUNK_LEN};
use crate::sync::atomic::{AtomicU64, Ordering::Relaxed};
use crate::sync::UnsafeCell;
use std::ops::Range;
use std::panic::resume_unwind;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// Options of a data-parallel call: a cancel token and a deadline checked between chunks, a
/// progress counter, and the chunk length.
///
/// # Examples
///
/// ```
/// use shmkern::{ParOptions, Pool};
/// use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
///
/// let pool = Pool::builder().threads(2).build().unwrap();
/// let done = AtomicU64::new(0);
/// let opts = ParOptions { progress: Some(&done), chunk_len: Some(1000), ..ParOptions::default() };
/// let chunks = pool.reduce_with(&vec![1u32; 10_500], opts, |_| 1, |a, b| a + b).unwrap();
/// assert_eq!(chunks, 11);
/// assert_eq!(done.load(Relaxed), 10_500);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ParOptions<'a> {
    /// Checked before each chunk: once cancelled, remaining chunks are skipped and the call returns
    /// an error saying so.
    pub cancel: Option<&'a CancelToken>,
    /// Incremented (`Relaxed`) by the number of elements of every chunk completed, so another thread
    /// can show progress while the call runs.
    pub progress: Option<&'a AtomicU64>,
    /// Elements per chunk; `None`: [`CHUNK_LEN`] (the kernels' contract grid). The result of a
    /// `reduce` depends on the chunk length, never on the thread count.
    pub chunk_len: Option<usize>,
    /// Checked before each chunk: once it has passed, remaining chunks are skipped and the call
    /// returns an error saying it timed out ([`Error::is_timed_out`]). A call whose every chunk ran
    /// returns its result, however late. A chunk already running is not interrupted.
    ///
    /// ```
    /// use shmkern::{ParOptions, Pool};
    /// use std::time::{Duration, Instant};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let slow = |c: &[u8]| { std::thread::sleep(Duration::from_millis(5)); c.len() };
    /// let opts = ParOptions {
    ///     deadline: Some(Instant::now() + Duration::from_millis(20)),
    ///     chunk_len: Some(1),
    ///     ..ParOptions::default()
    /// };
    /// let err = pool.reduce_with(&[0u8; 1000], opts, slow, |a, b| a + b).unwrap_err();
    /// assert!(err.is_timed_out());
    /// assert_eq!(err.to_string(), "the data-parallel call passed its deadline");
    /// ```
    pub deadline: Option<Instant>,
}

impl ParOptions<'_> {
    /// Whether the call must skip its remaining chunks: cancelled, or past its deadline.
    pub(super) fn stopped(&self) -> bool {
        self.cancel.is_some_and(CancelToken::is_cancelled)
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
    /// Why a call that skipped chunks stopped.
    pub(super) fn stop_error(&self) -> Error {
        if self.cancel.is_some_and(CancelToken::is_cancelled) {
            Error::new(ErrorKind::Cancelled)
        } else {
            Error::new(ErrorKind::DeadlinePassed)
        }
    }
    pub(super) fn advance(&self, elements: usize) {
        if let Some(p) = self.progress {
            p.fetch_add(elements as u64, Relaxed);
        }
    }
    pub(super) fn grid(&self, len: usize) -> Result<ChunkGrid, Error> {
        ChunkGrid::with_chunk_len(len, self.chunk_len.unwrap_or(CHUNK_LEN))
    }
}

/// One result slot per chunk, each written by the one participant that claimed the chunk.
struct Partials<R>(Box<[UnsafeCell<Option<R>>]>);

// SAFETY: slot `k` is written only by the participant that claimed chunk `k` (claims are exclusive),
// and read by the caller only after the call's `close`, which happens-after every participant's work.
unsafe impl<R: Send> Sync for Partials<R> {}

impl<R> Partials<R> {
    fn new(n: usize) -> Self {
        Self((0..n).map(|_| UnsafeCell::new(None)).collect())
    }
    /// # Safety
    /// The caller has exclusive use of slot `k` (it claimed chunk `k`).
    unsafe fn put(&self, k: usize, r: R) {
        // SAFETY: exclusive by the caller's contract.
        self.0[k].with_mut(|p| unsafe { *p = Some(r) });
    }
    fn into_vec(self) -> Vec<Option<R>> {
        self.0
            .into_vec()
            .into_iter()
            // SAFETY: we own the cells (`self` by value): no other access is possible.
            .map(|c| c.with_mut(|p| unsafe { (*p).take() }))
            .collect()
    }
}

/// A `*mut T` that may cross threads: the chunks it is cut into are disjoint and each is handed to
/// one participant.
struct SendPtr<T>(*mut T);
// SAFETY: used only to rebuild disjoint `&mut [T]` chunks, one per claimed chunk index; `T: Send`.
unsafe impl<T: Send> Sync for SendPtr<T> {}

impl<T> SendPtr<T> {
    /// The pointer (a method, so closures capture the whole `SendPtr`, not its raw field).
    fn get(&self) -> *mut T {
        self.0
    }
}

impl Pool {
    /// Reduces `data`: `map` runs once per chunk of [`CHUNK_LEN`] elements, and the per-chunk results
    /// are combined with `merge` in a fixed tree order that depends only on `data.len()`, so the
    /// result is the same for every thread count and every schedule. Empty `data`: `map(&[])`.
    ///
    /// A panic in `map` or `merge` is re-raised here, after every participant has stopped touching
    /// `data`; the pool stays usable.
    ///
    /// # Panics
    ///
    /// Besides re-raising: if `data` has more than [`MAX_CHUNKS`](crate::sched::MAX_CHUNKS) chunks, which
    /// only a slice of zero-sized `T` can; [`reduce_with`](Pool::reduce_with) returns an `Err`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let data: Vec<u64> = (1..=100_000).collect();
    /// let sum = pool.reduce(&data, |c| c.iter().sum::<u64>(), |a, b| a + b);
    /// assert_eq!(sum, 100_000 * 100_001 / 2);
    /// ```
    pub fn reduce<T, R>(
        &self,
        data: &[T],
        map: impl Fn(&[T]) -> R + Sync,
        merge: impl Fn(R, R) -> R,
    ) -> R
    where
        T: Sync,
        R: Send,
    {
        match self.reduce_with(data, ParOptions::default(), map, merge) {
            Ok(r) => r,
            Err(e) => panic!("Pool::reduce: {e}"),
        }
    }

    /// [`reduce`](Pool::reduce) with options: a cancel token (then `Err` says the call was
    /// cancelled), a progress counter, a chunk length (an invalid one is an `Err`).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{ParOptions, Pool};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let data: Vec<u32> = (0..10).collect();
    /// // Chunks of 3; the per-chunk results are merged in chunk order.
    /// let opts = ParOptions { chunk_len: Some(3), ..ParOptions::default() };
    /// let lens = pool.reduce_with(&data, opts, |c| vec![c.len()], |a, b| [a, b].concat());
    /// assert_eq!(lens.unwrap(), vec![3, 3, 3, 1]);
    /// let bad = ParOptions { chunk_len: Some(0), ..ParOptions::default() };
    /// assert!(pool.reduce_with(&data, bad, |c| c.len(), |a, b| a + b).is_err());
    /// ```
    pub fn reduce_with<T, R>(
        &self,
        data: &[T],
        opts: ParOptions<'_>,
        map: impl Fn(&[T]) -> R + Sync,
        merge: impl Fn(R, R) -> R,
    ) -> Result<R, Error>
    where
        T: Sync,
        R: Send,
    {
        let grid = opts.grid(data.len())?;
        self.reduce_grid(&grid, opts, |_, range| map(&data[range]), merge)
    }

    /// The core of every reduction: `map(k, range)` once per chunk `k` of `grid` (one call with
    /// chunk 0 and the empty range when the grid has no chunk), the partials merged in the canonical tree. Zero or one
    /// chunk runs on the caller; so does everything when the pool runs inline for this size.
    pub(crate) fn reduce_grid<R: Send>(
        &self,
        grid: &ChunkGrid,
        opts: ParOptions<'_>,
        map: impl Fn(u32, Range<usize>) -> R + Sync,
        merge: impl Fn(R, R) -> R,
    ) -> Result<R, Error> {
        let n = grid.chunks() as usize;
        if n <= 1 {
            // Zero or one chunk: one call of `map` on the caller — no allocation, no atomics.
            if opts.stopped() {
                return Err(opts.stop_error());
            }
            let range = grid.get(0).unwrap_or(0..0);
            let len = range.len();
            let r = self.inline(1, || map(0, range));
            opts.advance(len);
            return Ok(r);
        }
        let run_chunk = |k: u32| {
            let range = grid.chunk(k);
            let len = range.len();
            let r = map(k, range);
            opts.advance(len);
            r
        };
        let mut parts: Vec<Option<R>> = if self.runs_inline(grid.len()) {
            let mut v = Vec::with_capacity(n);
            self.inline(n as u64, || {
                for k in 0..grid.chunks() {
                    if opts.stopped() {
                        break;
                    }
                    v.push(Some(run_chunk(k)));
                }
            });
            if v.len() < n {
                return Err(opts.stop_error());
            }
            v
        } else {
            let partials = Partials::new(n);
            let work = |k: u32| {
                if !opts.stopped() {
                    // SAFETY: chunk k was claimed by this participant alone.
                    unsafe { partials.put(k as usize, run_chunk(k)) };
                }
            };
            if let Err(payload) = self.run_chunks(false, grid.chunks(), &work) {
                resume_unwind(payload);
            }
            partials.into_vec()
        };
        if parts.iter().any(Option::is_none) {
            return Err(opts.stop_error());
        }
        Ok(merge_tree(&mut parts, &merge))
    }

    /// Runs `f(offset, chunk)` on every chunk of `data` (chunks of `chunk_len` elements; `offset` is
    /// the chunk's first index), in parallel, each chunk exactly once — in-place transforms such as
    /// image filters. Panics are re-raised after every participant stopped touching `data`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let mut pixels = vec![10u8; 100_000];
    /// pool.for_each_chunk_mut(&mut pixels, 4096, |_, px| px.iter_mut().for_each(|p| *p = 255 - *p))
    ///     .unwrap();
    /// assert!(pixels.iter().all(|&p| p == 245));
    /// ```
    pub fn for_each_chunk_mut<T: Send>(
        &self,
        data: &mut [T],
        chunk_len: usize,
        f: impl Fn(usize, &mut [T]) + Sync,
    ) -> Result<(), Error> {
        let opts = ParOptions {
            chunk_len: Some(chunk_len),
            ..ParOptions::default()
        };
        self.for_each_chunk_mut_with(data, opts, f)
    }

    /// [`for_each_chunk_mut`](Pool::for_each_chunk_mut) with options (`opts.chunk_len` defaults to
    /// [`CHUNK_LEN`]). On cancellation some chunks have been transformed and others not.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{CancelToken, ParOptions, Pool};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let mut v = vec![0u32; 100_000];
    /// let index = |offset: usize, c: &mut [u32]| {
    ///     c.iter_mut().enumerate().for_each(|(i, x)| *x = (offset + i) as u32)
    /// };
    /// pool.for_each_chunk_mut_with(&mut v, ParOptions::default(), index).unwrap();
    /// assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
    ///
    /// let cancel = CancelToken::new();
    /// cancel.cancel();
    /// let opts = ParOptions { cancel: Some(&cancel), ..ParOptions::default() };
    /// let err = pool.for_each_chunk_mut_with(&mut v, opts, |_, c| c.fill(0)).unwrap_err();
    /// assert!(err.is_cancelled());
    /// assert_eq!(v[99_999], 99_999); // cancelled before the first chunk: nothing changed
    /// ```
    pub fn for_each_chunk_mut_with<T: Send>(
        &self,
        data: &mut [T],
        opts: ParOptions<'_>,
        f: impl Fn(usize, &mut [T]) + Sync,
    ) -> Result<(), Error> {
        let grid = opts.grid(data.len())?;
        let base = SendPtr(data.as_mut_ptr());
        // Set (Relaxed: read after the call, which joined every participant) when a chunk is skipped.
        let skipped = AtomicBool::new(false);
        let work = |k: u32| {
            if opts.stopped() {
                skipped.store(true, Relaxed);
                return;
            }
            let range = grid.chunk(k);
            let len = range.len();
            // SAFETY: `range` lies inside `data` (the grid covers exactly 0..len), chunks of one grid
            // are disjoint, and chunk k is run by exactly one participant; `data` is mutably borrowed
            // for the whole call, which returns only after every participant has finished.
            let chunk = unsafe { std::slice::from_raw_parts_mut(base.get().add(range.start), len) };
            f(range.start, chunk);
            opts.advance(len);
        };
        if grid.chunks() <= 1 || self.runs_inline(data.len()) {
            self.inline(u64::from(grid.chunks()), || {
                (0..grid.chunks()).for_each(work)
            });
        } else if let Err(payload) = self.run_chunks(false, grid.chunks(), &work) {
            resume_unwind(payload);
        }
        if skipped.load(Relaxed) {
            return Err(opts.stop_error());
        }
        Ok(())
    }

    /// Runs `f(participant)` once on every participant of the pool — the calling thread as 0, each
    /// worker with its index — and returns when all have. A panic in any is re-raised here.
    ///
    /// # Panics
    ///
    /// When called from one of this pool's own workers (it would wait for itself), with a message
    /// saying so.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    /// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    ///
    /// let pool = Pool::builder().threads(3).build().unwrap();
    /// let seen = AtomicUsize::new(0);
    /// pool.broadcast(|i| { seen.fetch_or(1 << i, Relaxed); });
    /// assert_eq!(seen.load(Relaxed), 0b111);
    /// ```
    pub fn broadcast(&self, f: impl Fn(usize) + Sync) {
        assert!(
            !self.is_own_worker(),
            "Pool::broadcast called from one of the pool's own workers: it would wait for itself"
        );
        if self.threads() == 1 {
            return self.inline(1, || f(0));
        }
        let work = |p: u32| f(p as usize);
        if let Err(payload) = self.run_chunks(true, 0, &work) {
            resume_unwind(payload);
        }
    }
}
