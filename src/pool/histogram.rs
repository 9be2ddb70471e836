//! `Pool::histogram`: numpy's `histogram` with fixed uniform bins, its counts exact `u64`s and
//! the values outside the range and the NaNs counted apart. One read with a given range; two
//! without (the extremes first). Counts do not depend on the order of counting, so the passes use
//! large chunks (few per-chunk histograms to add) and any thread count gives the same result.

use super::{ParOptions, Pool};
use crate::error::{Error, ErrorKind};
use crate::kernels::{Bins, Histogram, MinMax, StatElement};
use crate::sched::CHUNK_LEN;

/// The most bins a histogram takes: 2^24 counts are 128 MiB, per chunk being counted.
pub(crate) const MAX_BINS: usize = 1 << 24;

impl Pool {
    /// The histogram of `data` in `bins` uniform bins over `range` (`[lo, hi]`, finite,
    /// `lo <= hi`), or over the non-NaN values' own smallest and largest when `range` is `None`;
    /// as numpy's `np.histogram(data, bins, range)`: its edges bit for bit (`linspace`), each bin
    /// `[edges[i], edges[i + 1])` but the last, which also holds `hi`; a range of one value widened
    /// to `[v − 0.5, v + 0.5]`; empty data over `[0, 1]`. Unlike numpy, values outside the range
    /// and NaNs are counted apart (numpy drops them, and refuses NaNs without a range); values are
    /// binned in `f64` (numpy bins `f32` data in `f32`).
    ///
    /// Errors: no bin or more than 2^24; a range that is not finite, has `lo > hi` or is wider than the largest
    /// double; without a range, data whose extremes are ±∞ (give a range); a cancelled call or one past its deadline
    /// ([`histogram_with`](Pool::histogram_with)).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build()?;
    /// let h = pool.histogram(&[1.0, 2.0, 2.0, 3.0, f64::NAN, 9.0], 4, Some((1.0, 3.0)))?;
    /// assert_eq!(h.edges, [1.0, 1.5, 2.0, 2.5, 3.0]);
    /// assert_eq!(h.counts, [1, 0, 2, 1]); // 3.0 is in the last bin, closed
    /// assert_eq!((h.below, h.above, h.nan_count), (0, 1, 1));
    /// // Without a range: the data's own extremes.
    /// let h = pool.histogram(&[0u8, 10, 10, 5], 2, None)?;
    /// assert_eq!((h.edges, h.counts), (vec![0.0, 5.0, 10.0], vec![1, 3]));
    /// assert!(pool.histogram(&[1.0], 0, None).is_err());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn histogram<T: StatElement>(
        &self,
        data: &[T],
        bins: usize,
        range: Option<(f64, f64)>,
    ) -> Result<Histogram, Error> {
        self.histogram_with(data, bins, range, ParOptions::default())
    }

    /// [`histogram`](Pool::histogram) with a cancel token, a deadline and a progress counter
    /// (elements read, over both passes when there is no range). `opts.chunk_len` is ignored: the
    /// result does not depend on it.
    pub fn histogram_with<T: StatElement>(
        &self,
        data: &[T],
        bins: usize,
        range: Option<(f64, f64)>,
        opts: ParOptions<'_>,
    ) -> Result<Histogram, Error> {
        let bad = |why: String| Error::new(ErrorKind::BadHistogram(why));
        if bins == 0 || bins > MAX_BINS {
            return Err(bad(format!(
                "a histogram has 1 to {MAX_BINS} bins, not {bins}"
            )));
        }
        let (lo, hi) = match range {
            Some((lo, hi)) => {
                if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                    return Err(bad(format!(
                        "the range {lo}..{hi} must be finite, its first bound at most its second"
                    )));
                }
                (lo, hi)
            }
            None => {
                let e = self.run_with(
                    &MinMax::new(),
                    data,
                    ParOptions {
                        chunk_len: None,
                        ..opts
                    },
                )?;
                match (e.min(), e.max()) {
                    (Some((lo, _)), Some((hi, _))) => (lo.value(), hi.value()),
                    _ => (0.0, 1.0),
                }
            }
        };
        let bins = Bins::new(bins, lo, hi).ok_or_else(|| {
            if !(lo.is_finite() && hi.is_finite()) {
                bad(format!(
                    "the data's range {lo}..{hi} is not finite: give a range"
                ))
            } else {
                bad(format!(
                    "the range {lo}..{hi} is wider than the largest double: give a narrower one"
                ))
            }
        })?;
        // At least 16 elements a bin per chunk, so the per-chunk histograms stay few.
        let chunk_len = (32 * CHUNK_LEN).max(16 * bins.len());
        self.reduce_with(
            data,
            ParOptions {
                chunk_len: Some(chunk_len),
                ..opts
            },
            |chunk| {
                let mut h = bins.empty();
                for &v in chunk {
                    h.count(&bins, v);
                }
                h
            },
            Histogram::add,
        )
    }
}
