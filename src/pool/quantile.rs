//! `Pool::quantiles`: exact quantiles of a slice without sorting a copy of it, in passes over the
//! data.
//!
//! 1. The extremes and the count of the non-NaN values ([`MinMax`]).
//! 2. For the order statistics the quantiles need (numpy's `linear` method), a histogram of at
//!    most [`BINS`] bins of `2^shift` keys each over their key range ([`StatElement::key`]:
//!    integers in the values' order, so a value's bin is a shift of its offset), then the same
//!    inside the bins that hold a wanted rank, until each such bin holds at most [`COLLECT`]
//!    values or a single key.
//! 3. One pass that collects the keys of those bins; a selection among them gives each rank.
//!
//! On most data that is three reads (extremes, one histogram, the collection); a narrow cluster of
//! more than [`COLLECT`] distinct values inside one bin takes one more histogram each time, at most
//! six in all (64-bit keys, at least 11 bits a histogram), so at most eight reads. Histogram counts and collected key sets do not
//! depend on the order of the values, so any chunking and thread count give the same result; the
//! passes use large chunks to keep the per-chunk partials few.

use super::{ParOptions, Pool};
use crate::error::{Error, ErrorKind};
use crate::kernels::quantile::{lerp, linear_ranks, value_of, KeyRange};
use crate::kernels::{canonical, MinMax, StatElement, Stats};
use crate::sched::CHUNK_LEN;

/// Bins of a histogram pass, at most (a power of two: each bin is `2^shift` keys).
const BINS: usize = 4096;
/// A bin with at most this many values is collected (8 bytes a value: 16 MiB).
const COLLECT: u64 = 1 << 21;
/// Elements per chunk of the histogram and collection passes: few partials (each holds a
/// histogram per range being refined), many chunks still for the participants to share.
const PASS_CHUNK: usize = 32 * CHUNK_LEN;

/// Ranks still to find inside one key range.
#[derive(Debug)]
struct Open {
    range: KeyRange,
    /// Values with a key below `range.lo`.
    below: u64,
    /// Values inside `range`.
    count: u64,
    /// Wanted ranks (0-based among all values) inside the range.
    ranks: Vec<u64>,
}

/// Every `q` is in `[0, 1]` (so not NaN).
fn check_qs(qs: &[f64]) -> Result<(), Error> {
    match qs.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        Some(&q) => Err(Error::new(ErrorKind::BadQuantile(q.to_string()))),
        None => Ok(()),
    }
}

/// The statistics a quantile search started from do not describe the data it read.
fn not_these_values(expected: u64, found: u64) -> Error {
    Error::new(ErrorKind::StatsMismatch { expected, found })
}

impl Pool {
    /// The quantiles `qs` (each in `[0, 1]`) of the non-NaN values of `data`, as numpy's
    /// `np.nanquantile(data, qs)` with its default `linear` method computes them: for `n` values
    /// sorted, `h = (n − 1)·q`, the values of ranks `⌊h⌋` and `⌊h⌋ + 1` interpolated by
    /// `h − ⌊h⌋`. Exact order statistics, found in about three reads of `data` and never a sorted
    /// copy (the module doc of `src/pool/quantile.rs` says how). `None` for every quantile when
    /// `data` holds no non-NaN value. `f32` and integer values are interpolated in `f64`. Errors: a
    /// `q` outside `[0, 1]` or NaN; a cancelled call or one past its deadline
    /// ([`quantiles_with`](Pool::quantiles_with)).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build()?;
    /// let data: Vec<f64> = (0..100_001).rev().map(f64::from).collect();
    /// let q = pool.quantiles(&data, &[0.0, 0.25, 0.5, 0.999, 1.0])?;
    /// assert_eq!(q, [Some(0.0), Some(25_000.0), Some(50_000.0), Some(99_900.0), Some(100_000.0)]);
    /// // np.nanquantile([1, NaN, 2, 4], 0.5) == 2.0
    /// assert_eq!(pool.quantiles(&[1.0, f64::NAN, 2.0, 4.0], &[0.5])?, [Some(2.0)]);
    /// assert_eq!(pool.quantiles::<f32>(&[f32::NAN], &[0.5])?, [None]);
    /// assert!(pool.quantiles(&[1.0], &[1.5]).is_err());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn quantiles<T: StatElement>(
        &self,
        data: &[T],
        qs: &[f64],
    ) -> Result<Vec<Option<f64>>, Error> {
        self.quantiles_with(data, qs, ParOptions::default())
    }

    /// [`quantiles`](Pool::quantiles) with a cancel token, a deadline and a progress counter
    /// (elements read, over every pass: about three times `data.len()`). `opts.chunk_len` is
    /// ignored: the result does not depend on it.
    pub fn quantiles_with<T: StatElement>(
        &self,
        data: &[T],
        qs: &[f64],
        opts: ParOptions<'_>,
    ) -> Result<Vec<Option<f64>>, Error> {
        check_qs(qs)?;
        let e = self.run_with(
            &MinMax::new(),
            data,
            ParOptions {
                chunk_len: None,
                ..opts
            },
        )?;
        let extremes = e.min().zip(e.max()).map(|((lo, _), (hi, _))| (lo, hi));
        self.quantiles_in(data, qs, e.count(), extremes, opts)
    }

    /// [`quantiles_with`](Pool::quantiles_with) for data whose [`Stats`] are known (from
    /// [`stats`](Pool::stats) of the same `data`), which saves the first of its reads: two reads
    /// on most data. Statistics of other data are an error (the passes count every value against
    /// them), never a quantile of the wrong values.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build()?;
    /// let data: Vec<u32> = (0..50_000).map(|i| i * 7 % 1000).collect();
    /// let stats = pool.stats(&data);
    /// let opts = shmkern::ParOptions::default();
    /// let q = pool.quantiles_given(&data, &[0.5, 0.9], &stats, opts)?;
    /// assert_eq!(q, pool.quantiles(&data, &[0.5, 0.9])?);
    /// let other = pool.stats(&data[..10]);
    /// assert!(pool.quantiles_given(&data, &[0.5], &other, opts).is_err());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn quantiles_given<T: StatElement>(
        &self,
        data: &[T],
        qs: &[f64],
        stats: &Stats<T>,
        opts: ParOptions<'_>,
    ) -> Result<Vec<Option<f64>>, Error> {
        check_qs(qs)?;
        let extremes = stats.min().zip(stats.max());
        self.quantiles_in(data, qs, stats.count(), extremes, opts)
    }

    /// The quantiles of the `n` non-NaN values of `data`, whose smallest and largest are
    /// `extremes` (`None` when `n` is 0).
    fn quantiles_in<T: StatElement>(
        &self,
        data: &[T],
        qs: &[f64],
        n: u64,
        extremes: Option<(T, T)>,
        opts: ParOptions<'_>,
    ) -> Result<Vec<Option<f64>>, Error> {
        let Some((min, max)) = extremes.filter(|_| n > 0) else {
            return Ok(vec![None; qs.len()]);
        };
        let wanted: Vec<(u64, u64, f64)> = qs.iter().map(|&q| linear_ranks(n, q)).collect();
        let mut ranks: Vec<u64> = wanted.iter().flat_map(|&(lo, hi, _)| [lo, hi]).collect();
        ranks.sort_unstable();
        ranks.dedup();
        let found = self.order_statistics(
            data,
            opts,
            Open {
                range: KeyRange {
                    lo: min.key(),
                    hi: max.key(),
                },
                below: 0,
                count: n,
                ranks,
            },
        )?;
        let at = |r: u64| value_of::<T>(found[found.partition_point(|&(k, _)| k < r)].1);
        Ok(wanted
            .into_iter()
            // ∞ − ∞ between −∞ and +∞ makes a NaN whose sign differs between CPUs.
            .map(|(lo, hi, t)| Some(canonical(lerp(at(lo), at(hi), t))))
            .collect())
    }

    /// The keys of the values of ranks `start.ranks`, as `(rank, key)` sorted by rank.
    fn order_statistics<T: StatElement>(
        &self,
        data: &[T],
        opts: ParOptions<'_>,
        start: Open,
    ) -> Result<Vec<(u64, i64)>, Error> {
        let opts = ParOptions {
            chunk_len: Some(PASS_CHUNK),
            ..opts
        };
        let mut found = Vec::new();
        let mut open = vec![start];
        while !open.is_empty() {
            // A range of one key gives its ranks at once.
            open.retain(|o| {
                if o.range.lo == o.range.hi {
                    found.extend(o.ranks.iter().map(|&r| (r, o.range.lo)));
                    false
                } else {
                    true
                }
            });
            if open.is_empty() {
                break;
            }
            let (collect, refine): (Vec<Open>, Vec<Open>) =
                open.into_iter().partition(|o| o.count <= COLLECT);
            let (hists, keys) = self.pass(data, opts, &refine, &collect)?;
            for (o, mut keys) in collect.iter().zip(keys) {
                if keys.len() as u64 != o.count {
                    return Err(not_these_values(o.count, keys.len() as u64));
                }
                keys.sort_unstable();
                found.extend(o.ranks.iter().map(|&r| (r, keys[(r - o.below) as usize])));
            }
            open = Vec::new();
            for (o, hist) in refine.iter().zip(hists) {
                let total: u64 = hist.iter().sum();
                if total != o.count {
                    return Err(not_these_values(o.count, total));
                }
                // Walk the bins: each wanted rank lies in the bin where the running count passes it.
                let mut below = o.below;
                let mut ranks = o.ranks.iter().copied().peekable();
                for (i, &c) in hist.iter().enumerate() {
                    let mut inside = Vec::new();
                    while let Some(r) = ranks.next_if(|&r| r < below + c) {
                        inside.push(r);
                    }
                    if !inside.is_empty() {
                        open.push(Open {
                            range: o.range.bin(i, o.range.shift(BINS)),
                            below,
                            count: c,
                            ranks: inside,
                        });
                    }
                    below += c;
                }
                debug_assert!(ranks.next().is_none(), "every rank lies in some bin");
            }
        }
        found.sort_unstable();
        Ok(found)
    }

    /// One pass over `data`: the histogram of each range of `refine`, and the keys inside each
    /// range of `collect`.
    #[allow(clippy::type_complexity)]
    fn pass<T: StatElement>(
        &self,
        data: &[T],
        opts: ParOptions<'_>,
        refine: &[Open],
        collect: &[Open],
    ) -> Result<(Vec<Vec<u64>>, Vec<Vec<i64>>), Error> {
        let shifts: Vec<u32> = refine.iter().map(|o| o.range.shift(BINS)).collect();
        let empty = || {
            (
                refine
                    .iter()
                    .zip(&shifts)
                    .map(|(o, &s)| vec![0u64; o.range.bins(s)])
                    .collect::<Vec<_>>(),
                vec![Vec::new(); collect.len()],
            )
        };
        self.reduce_with(
            data,
            opts,
            |chunk| {
                let (mut hists, mut keys) = empty();
                // Range by range over cache-sized pieces, each a tight loop. No NaN test: a NaN's
                // key lies beyond ±∞'s, outside every range (ranges hold non-NaN values' keys).
                for piece in chunk.chunks(CHUNK_LEN) {
                    for ((o, h), &s) in refine.iter().zip(&mut hists).zip(&shifts) {
                        let r = o.range;
                        for &v in piece {
                            let k = v.key();
                            if r.contains(k) {
                                h[r.bin_of(k, s)] += 1;
                            }
                        }
                    }
                    for (o, c) in collect.iter().zip(&mut keys) {
                        let r = o.range;
                        c.extend(piece.iter().map(|v| v.key()).filter(|&k| r.contains(k)));
                    }
                }
                (hists, keys)
            },
            |(mut ha, mut ka), (hb, kb)| {
                for (a, b) in ha.iter_mut().zip(hb) {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                }
                for (a, b) in ka.iter_mut().zip(kb) {
                    a.extend(b);
                }
                (ha, ka)
            },
        )
    }
}
