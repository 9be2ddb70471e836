//! The pool's kernel calls: `sum_float`, `sum_int`, `checked_sum` and `stats` with their
//! `_at`/`_with` forms, and the free functions that run them on the global pool. Each runs a
//! kernel of `crate::kernels` on this pool's chunk grid ([`Pool::run_with`]); the pool depends on
//! the kernels, never the other way round.

use super::{ParOptions, Pool};
use crate::error::{Error, ErrorKind};
use crate::kernels::{
    canonical, compensated, Accuracy, Describe, ExactSum, Float, FloatSum, Int, IntSum,
    StatElement, Stats,
};
use crate::sched::CHUNK_LEN;

/// `opts` on the grid every kernel uses: chunks of [`CHUNK_LEN`] (contract).
fn contract(opts: ParOptions<'_>) -> ParOptions<'_> {
    ParOptions {
        chunk_len: Some(CHUNK_LEN),
        ..opts
    }
}

impl Pool {
    /// [`sum_float`](Pool::sum_float) with a chosen [`Accuracy`]. Special values as for
    /// `sum_float` (a non-finite result is the plain IEEE one), except that in `Exact` mode finite
    /// inputs give `±∞` only when their exact sum rounds beyond `f64::MAX` (see
    /// [`Accuracy::Exact`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{kernels::Accuracy, Pool};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// // 1 + 1e-16 + 1e-16 + ... cancels in Fast mode's lanes, not in Compensated mode.
    /// let mut v = vec![1e-16; 20_000];
    /// v[0] = 1.0;
    /// let fast = pool.sum_float_at(&v, Accuracy::Fast);
    /// let comp = pool.sum_float_at(&v, Accuracy::Compensated);
    /// let exact = 1.0 + 19_999.0 * 1e-16;
    /// assert!((comp - exact).abs() <= (fast - exact).abs());
    /// assert!((comp - exact).abs() <= 2.0 * f64::EPSILON);
    /// // Exact mode: the exact sum of the doubles in `v`, rounded once.
    /// let rounded_once = pool.sum_float_at(&v, Accuracy::Exact);
    /// assert!((rounded_once - exact).abs() <= (comp - exact).abs());
    /// assert_eq!(pool.sum_float_at(&[f64::MAX, f64::MAX, -f64::MAX], Accuracy::Exact), f64::MAX);
    /// ```
    pub fn sum_float_at<T: Float>(&self, data: &[T], accuracy: Accuracy) -> f64 {
        self.sum_float_with(data, accuracy, ParOptions::default())
            .unwrap_or_else(|e| panic!("sum_float_at: {e}"))
    }

    /// [`sum_float_at`](Pool::sum_float_at) with a cancel token, a deadline and a progress counter
    /// (elements done, updated after each chunk). `opts.chunk_len` is ignored: the kernels always
    /// use the contract grid of [`CHUNK_LEN`]. `Err` only when the call was cancelled or passed its
    /// deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{kernels::Accuracy, CancelToken, ParOptions, Pool};
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let data = vec![0.5f64; 100_000];
    /// let done = AtomicU64::new(0);
    /// let opts = ParOptions { progress: Some(&done), ..ParOptions::default() };
    /// assert_eq!(pool.sum_float_with(&data, Accuracy::Fast, opts).unwrap(), 50_000.0);
    /// assert_eq!(done.load(Ordering::Relaxed), 100_000);
    ///
    /// let cancel = CancelToken::new();
    /// cancel.cancel();
    /// let opts = ParOptions { cancel: Some(&cancel), ..ParOptions::default() };
    /// assert!(pool.sum_float_with(&data, Accuracy::Exact, opts).is_err());
    /// ```
    pub fn sum_float_with<T: Float>(
        &self,
        data: &[T],
        accuracy: Accuracy,
        opts: ParOptions<'_>,
    ) -> Result<f64, Error> {
        if data.is_empty() {
            return Ok(0.0);
        }
        let opts = contract(opts);
        Ok(match accuracy {
            Accuracy::Fast => self.run_with(
                &FloatSum::with_choice(data, self.variant_choice()),
                data,
                opts,
            )?,
            Accuracy::Compensated => canonical(compensated::finish(self.reduce_with(
                data,
                opts,
                compensated::chunk,
                compensated::merge,
            )?)),
            Accuracy::Exact => self.run_with(&ExactSum::new(), data, opts)?,
        })
    }

    /// [`sum_int`](Pool::sum_int) with a cancel token, a deadline and a progress counter, as
    /// [`sum_float_with`](Pool::sum_float_with). `Err` only when the call was cancelled or passed
    /// its deadline.
    ///
    /// ```
    /// use shmkern::{ParOptions, Pool};
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let done = AtomicU64::new(0);
    /// let opts = ParOptions { progress: Some(&done), ..ParOptions::default() };
    /// assert_eq!(pool.sum_int_with(&vec![u64::MAX; 70_000], opts).unwrap(), u64::MAX as u128 * 70_000);
    /// assert_eq!(done.load(Ordering::Relaxed), 70_000);
    /// ```
    pub fn sum_int_with<T: Int>(&self, data: &[T], opts: ParOptions<'_>) -> Result<T::Wide, Error> {
        if data.is_empty() {
            return Ok(T::Wide::default());
        }
        self.run_with(
            &IntSum::with_choice(data, self.variant_choice()),
            data,
            contract(opts),
        )
    }

    /// Sums `data` in the fixed tree of `docs/numerics.md` §1, in `f64`, on this pool.
    ///
    /// - The result depends only on the values and their order — **not** on the thread count, the
    ///   schedule or the CPU (AVX-512, AVX2 and SSE2 give the same bits).
    /// - Error bound: `|result − exact| ≤ γ_D · Σ|x|`, `D = 20 + ceil(log2(ceil(n / 256)))`,
    ///   `γ_D = D·u / (1 − D·u)`, `u = 2^-53` (for `n = 2^30`: `4.7e-15 · Σ|x|`).
    /// - Special values (IEEE): any NaN → `f64::NAN` (canonical); `+∞` with `−∞` → NaN; finite
    ///   inputs may overflow to ±∞; empty → `+0.0`; all `−0.0` → `−0.0`.
    /// - `f32` input is widened to `f64` exactly; round the result once if you want an `f32`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let data: Vec<f64> = (0..100_000).map(|i| (i as f64).sin()).collect();
    /// let one = Pool::builder().threads(1).build().unwrap();
    /// let two = Pool::builder().threads(2).build().unwrap();
    /// // Bit-identical for any thread count.
    /// assert_eq!(one.sum_float(&data).to_bits(), two.sum_float(&data).to_bits());
    /// assert_eq!(two.sum_float::<f64>(&[]).to_bits(), 0.0f64.to_bits());
    /// assert!(two.sum_float(&[1.0, f64::NAN]).is_nan());
    /// ```
    pub fn sum_float<T: Float>(&self, data: &[T]) -> f64 {
        self.sum_float_with(data, Accuracy::Fast, ParOptions::default())
            .unwrap_or_else(|e| panic!("sum_float: {e}"))
    }

    /// The exact sum of integers, in `i128` (signed types) or `u128` (unsigned): it cannot overflow
    /// (for any slice that fits in memory) and does not depend on the order.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
    /// let data = vec![i64::MAX; 1000];
    /// assert_eq!(pool.sum_int(&data), i64::MAX as i128 * 1000);
    /// assert_eq!(pool.sum_int(&[250u8, 10]), 260u128);
    /// ```
    pub fn sum_int<T: Int>(&self, data: &[T]) -> T::Wide {
        self.sum_int_with(data, ParOptions::default())
            .unwrap_or_else(|e| panic!("sum_int: {e}"))
    }

    /// The exact sum converted to the input type, or an error if it does not fit. The check is made
    /// once, on the exact total — never per step — so it does not depend on the order.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
    /// assert_eq!(pool.checked_sum(&[100i8, 27, -20]).unwrap(), 107);
    /// // 100 + 100 overflows i8 on the way, but the total fits: checked at the end only.
    /// assert_eq!(pool.checked_sum(&[100i8, 100, -100]).unwrap(), 100);
    /// assert!(pool.checked_sum(&[100i8, 100]).is_err());
    /// ```
    pub fn checked_sum<T: Int>(&self, data: &[T]) -> Result<T, Error> {
        let wide = self.sum_int(data);
        T::try_from(wide).map_err(|_| {
            Error::new(ErrorKind::SumOverflow {
                sum: wide.to_string(),
                ty: std::any::type_name::<T>(),
            })
        })
    }
}

/// [`Pool::sum_float`] on the [global](crate::global) pool.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::sequential_sum;
///
/// assert_eq!(shmkern::sum(&[0.5f32, 0.25]), 0.75);
/// let data: Vec<f64> = (0..100_000).map(|i| (i as f64).cos()).collect();
/// // On the global pool, with the bits of the one-thread reference.
/// assert_eq!(shmkern::sum(&data).to_bits(), sequential_sum(&data).to_bits());
/// ```
pub fn sum<T: Float>(data: &[T]) -> f64 {
    crate::global().sum_float(data)
}

/// [`Pool::checked_sum`] on the [global](crate::global) pool.
///
/// # Examples
///
/// ```
/// assert_eq!(shmkern::checked_sum(&[200u8, 50]), Ok(250));
/// let err = shmkern::checked_sum(&[200u8, 100]).unwrap_err();
/// assert_eq!(err.to_string(), "the exact sum 300 does not fit in u8");
/// ```
pub fn checked_sum<T: Int>(data: &[T]) -> Result<T, Error> {
    crate::global().checked_sum(data)
}

impl Pool {
    /// [`Stats`] of `data` in one pass over memory, on this pool; the same bits for every thread
    /// count. See [`Stats`] for the NaN policy and special values.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::Pool;
    ///
    /// let data: Vec<f32> = (0..100_000).map(|i| (i as f32).sqrt()).collect();
    /// let one = Pool::builder().threads(1).build().unwrap();
    /// let two = Pool::builder().threads(2).build().unwrap();
    /// assert_eq!(one.stats(&data), two.stats(&data)); // bitwise, for any thread count
    /// assert_eq!(two.stats(&data).max(), Some(99_999f32.sqrt()));
    /// ```
    pub fn stats<T: StatElement>(&self, data: &[T]) -> Stats<T> {
        self.stats_with(data, ParOptions::default())
            .unwrap_or_else(|e| panic!("stats: {e}"))
    }

    /// [`stats`](Pool::stats) with a cancel token, a deadline and a progress counter (elements
    /// done, updated after each chunk). `opts.chunk_len` is ignored: the kernels always use the
    /// contract grid of [`CHUNK_LEN`]. `Err` only when the call was cancelled or passed its
    /// deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{ParOptions, Pool};
    /// use std::sync::atomic::{AtomicU64, Ordering};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let data = vec![1.0f32; 100_000];
    /// let done = AtomicU64::new(0);
    /// let opts = ParOptions { progress: Some(&done), ..ParOptions::default() };
    /// let s = pool.stats_with(&data, opts).unwrap();
    /// assert_eq!(s, pool.stats(&data));
    /// assert_eq!(done.load(Ordering::Relaxed), 100_000);
    /// ```
    pub fn stats_with<T: StatElement>(
        &self,
        data: &[T],
        opts: ParOptions<'_>,
    ) -> Result<Stats<T>, Error> {
        let opts = contract(opts);
        if data.is_empty() {
            return Ok(Stats::empty());
        }
        self.run_with(
            &Describe::with_choice(data, self.variant_choice()),
            data,
            opts,
        )
    }
}

/// [`Pool::stats`] on the [global](crate::global) pool.
///
/// # Examples
///
/// ```
/// let s = shmkern::stats(&[3u16, 1, 2]);
/// assert_eq!((s.min(), s.max(), s.sum()), (Some(1), Some(3), 6));
/// assert_eq!(s, shmkern::global().stats(&[3u16, 1, 2]));
/// ```
pub fn stats<T: StatElement>(data: &[T]) -> Stats<T> {
    crate::global().stats(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{Prefetch, VariantChoice};

    /// A pool's calls take the threshold and the prefetch choice it was built with (the detected
    /// ones by default), which every kernel choice of its calls and jobs reads.
    #[test]
    fn pools_carry_their_variant_choice() {
        let pool = Pool::builder()
            .threads(1)
            .stream_bytes(0)
            .prefetch(Prefetch::FloatPasses)
            .build()
            .unwrap();
        let want = VariantChoice {
            bytes: 0,
            prefetch: Prefetch::FloatPasses,
        };
        assert_eq!(pool.variant_choice(), want);
        let default = Pool::builder().threads(1).build().unwrap();
        assert_eq!(default.variant_choice(), VariantChoice::detect());
    }
}
