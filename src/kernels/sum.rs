//! `sum` for floats (the `docs/numerics.md` §1 tree) and integers (exact, wide), on a pool.

use super::compensated;
use super::element::{int_chunk_sum_for, Float, Int};
use super::exact;
use super::kernel::{run_sequential, ChunkAt, Kernel};
use super::tree::chunk_sum_for;
use super::VariantChoice;
use crate::error::{Error, ErrorKind};
use crate::pool::{ParOptions, Pool};
use crate::sched::{ChunkGrid, CHUNK_LEN};

/// The float sum ([`Accuracy::Fast`]) as a [`Kernel`]: what [`Pool::sum_float`] runs. Partial: the
/// chunk's tree value (`f64`); merge: one add; finish: NaN made canonical.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, FloatSum};
///
/// let data: Vec<f32> = (0..100_000).map(|i| i as f32 * 0.25).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let kernel = FloatSum::for_input(&data);
/// assert_eq!(pool.run(&kernel, &data)?.to_bits(), pool.sum_float(&data).to_bits());
/// assert_eq!(run_sequential(&FloatSum::new(), &data)?.to_bits(), pool.sum_float(&data).to_bits());
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct FloatSum<T> {
    chunk: fn(&[T]) -> f64,
}

impl<T: Float> FloatSum<T> {
    /// With the cache-resident chunk kernel: right for any input, fastest on input in a cache.
    pub fn new() -> Self {
        Self::with_choice(&[], VariantChoice::detect())
    }

    /// With the chunk kernel the sequential functions would choose for `data` (streaming on large
    /// input); the same bits as [`new`](FloatSum::new).
    pub fn for_input(data: &[T]) -> Self {
        Self::with_choice(data, VariantChoice::detect())
    }

    pub(crate) fn with_choice(data: &[T], choice: VariantChoice) -> Self {
        Self {
            chunk: chunk_sum_for(data, choice),
        }
    }
}

impl<T: Float> Default for FloatSum<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Kernel for FloatSum<T> {
    type Input<'a> = &'a [T];
    type Partial = f64;
    type Output = f64;
    fn chunk(&self, _: ChunkAt, x: &[T]) -> f64 {
        if x.is_empty() {
            return 0.0;
        }
        (self.chunk)(x)
    }
    fn merge(&self, left: f64, right: f64) -> f64 {
        left + right
    }
    fn finish(&self, root: f64) -> f64 {
        canonical(root)
    }
}

/// The exact integer sum as a [`Kernel`]: what [`Pool::sum_int`] runs. Partial: the chunk's sum in
/// `T::Wide` (`i128`/`u128`); merge: one add (exact).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, IntSum};
///
/// let data = vec![u64::MAX; 70_000];
/// assert_eq!(run_sequential(&IntSum::for_input(&data), &data)?, u64::MAX as u128 * 70_000);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct IntSum<T: Int> {
    chunk: fn(&[T]) -> T::Wide,
}

impl<T: Int> IntSum<T> {
    /// With the cache-resident chunk kernel.
    pub fn new() -> Self {
        Self::with_choice(&[], VariantChoice::detect())
    }

    /// With the chunk kernel the sequential functions would choose for `data`; the same result as
    /// [`new`](IntSum::new).
    pub fn for_input(data: &[T]) -> Self {
        Self::with_choice(data, VariantChoice::detect())
    }

    pub(crate) fn with_choice(data: &[T], choice: VariantChoice) -> Self {
        Self {
            chunk: int_chunk_sum_for(data, choice),
        }
    }
}

impl<T: Int> Default for IntSum<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Int> Kernel for IntSum<T> {
    type Input<'a> = &'a [T];
    type Partial = T::Wide;
    type Output = T::Wide;
    fn chunk(&self, _: ChunkAt, x: &[T]) -> T::Wide {
        if x.is_empty() {
            return T::Wide::default();
        }
        (self.chunk)(x)
    }
    fn merge(&self, left: T::Wide, right: T::Wide) -> T::Wide {
        left + right
    }
    fn finish(&self, root: T::Wide) -> T::Wide {
        root
    }
}

/// `opts` on the grid every kernel uses: chunks of [`CHUNK_LEN`] (contract).
fn contract(opts: ParOptions<'_>) -> ParOptions<'_> {
    ParOptions {
        chunk_len: Some(CHUNK_LEN),
        ..opts
    }
}

/// IEEE special-value rules of `docs/numerics.md` §2 applied to a tree result: any NaN becomes the
/// canonical `f64::NAN` (payloads and signs of NaNs are not portable).
pub(crate) fn canonical(s: f64) -> f64 {
    if s.is_nan() {
        f64::NAN
    } else {
        s
    }
}

/// How a float sum is accumulated. `Fast` and `Compensated` use the same fixed tree and `Exact`
/// rounds the exact sum, so all are bit-identical for every thread count and CPU.
///
/// # Examples
///
/// ```
/// use shmkern::{kernels::Accuracy, Pool};
///
/// assert_eq!(Accuracy::default(), Accuracy::Fast);
/// let pool = Pool::builder().threads(2).build().unwrap();
/// let mut v = vec![0.0; 33];
/// // Elements 0, 16 and 32 share a lane: Fast mode loses the 1.0 to the 1e100 beside it.
/// (v[0], v[16], v[32]) = (1e100, 1.0, -1e100);
/// assert_eq!(pool.sum_float_at(&v, Accuracy::Fast), 0.0);
/// assert_eq!(pool.sum_float_at(&v, Accuracy::Compensated), 1.0);
/// assert_eq!(pool.sum_float_at(&v, Accuracy::Exact), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Accuracy {
    /// One `f64` add per element: error ≤ `γ_D · Σ|x|` (see [`Pool::sum_float`]); memory-bound.
    #[default]
    Fast,
    /// Every lane and tree node carries a (sum, correction) pair updated with Neumaier's two-sum,
    /// rounded once at the end: error ≈ `2u·|S|` plus second-order terms in `u²·Σ|x|`, so sums
    /// with heavy cancellation stay accurate. Costs about 4 flops per element.
    Compensated,
    /// The exact sum, rounded once to the nearest `f64` (ties to even): the best possible result,
    /// independent of the order of the elements, of the thread count and of the CPU. Each chunk is
    /// summed exactly into a fixed-point superaccumulator (in the style of Radford Neal's `xsum`),
    /// the chunks' accumulators are merged exactly, and the total is rounded at the end.
    ///
    /// Special values: any NaN → `f64::NAN` (canonical); `+∞` with `−∞` → NaN; `+∞` (`−∞`) alone →
    /// `+∞` (`−∞`). Finite inputs give `±∞` only when the exact sum rounds beyond `f64::MAX`
    /// (`|S| ≥ 2^1024 · (1 − 2^-54)`), so a large intermediate sum that cancels later is harmless.
    /// Empty → `+0.0`; only `−0.0` elements → `−0.0`; any other exact zero → `+0.0`.
    ///
    /// ```
    /// use shmkern::{kernels::Accuracy, Pool};
    ///
    /// let pool = Pool::builder().threads(2).build().unwrap();
    /// let exact = |v: &[f64]| pool.sum_float_at(v, Accuracy::Exact);
    /// assert_eq!(exact(&[1e16, 1.0, -1e16]), 1.0);
    /// assert_eq!(exact(&[1.0, 1e100, 1.0, -1e100]), 2.0);
    /// assert_eq!(exact(&[0.1, 0.2, -0.3]), 2f64.powi(-55)); // the doubles' exact sum
    /// // Overflow only if the exact sum does.
    /// assert_eq!(exact(&[f64::MAX, f64::MAX]), f64::INFINITY);
    /// assert_eq!(exact(&[f64::MAX, f64::MAX, -f64::MAX]), f64::MAX);
    /// assert!(exact(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
    /// assert_eq!(exact(&[1.0, f64::INFINITY]), f64::INFINITY);
    /// assert_eq!(exact(&[]).to_bits(), 0.0f64.to_bits());
    /// assert_eq!(exact(&[-0.0, -0.0]).to_bits(), (-0.0f64).to_bits());
    /// assert_eq!(exact(&[-0.0, 0.0]).to_bits(), 0.0f64.to_bits());
    /// assert_eq!(exact(&[-1.0, 1.0]).to_bits(), 0.0f64.to_bits());
    /// ```
    Exact,
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
            Accuracy::Exact => self
                .reduce_with(data, opts, exact::chunk, exact::Acc::merge)?
                .round(),
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

/// The same tree as [`Pool::sum_float_at`] in `Compensated` mode, on the calling thread alone.
///
/// # Examples
///
/// ```
/// use shmkern::{kernels::{sequential_sum_compensated, Accuracy}, Pool};
///
/// let pool = Pool::builder().threads(2).build().unwrap();
/// let data: Vec<f64> = (0..100_000).map(|i| (i as f64).sin() * 1e10).collect();
/// let parallel = pool.sum_float_at(&data, Accuracy::Compensated);
/// assert_eq!(sequential_sum_compensated(&data).to_bits(), parallel.to_bits());
/// ```
pub fn sequential_sum_compensated<T: Float>(data: &[T]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let grid = ChunkGrid::new(data.len()).expect("a slice in memory has few enough chunks");
    let partials: Vec<compensated::Pair> =
        grid.iter().map(|r| compensated::chunk(&data[r])).collect();
    canonical(compensated::finish(compensated::tree(&partials)))
}

/// The same tree as [`Pool::sum_float`], evaluated on the calling thread alone (the reference the
/// parallel sum must match bit for bit; also the "sequential 16-lane loop" of the benchmarks).
///
/// # Examples
///
/// ```
/// use shmkern::{kernels::sequential_sum, Pool};
///
/// let pool = Pool::builder().threads(2).build().unwrap();
/// let data: Vec<f32> = (0..100_000).map(|i| (i as f32).sin()).collect();
/// assert_eq!(sequential_sum(&data).to_bits(), pool.sum_float(&data).to_bits());
/// assert_eq!(sequential_sum::<f64>(&[]).to_bits(), 0.0f64.to_bits()); // empty: +0.0
/// ```
pub fn sequential_sum<T: Float>(data: &[T]) -> f64 {
    run_sequential(&FloatSum::for_input(data), data)
        .expect("a slice in memory has few enough chunks")
}
