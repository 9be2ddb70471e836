//! The sums as kernels: floats (the `docs/numerics.md` §1 tree, [`Accuracy`]) and integers
//! (exact, wide), and the sequential reference functions. The pool's calls that run them are in
//! `crate::pool`.

use super::compensated;
use super::element::{Float, Int};
use super::exact::{self, Superaccumulator};
use super::fast::chunk_sum_for;
use super::int_sum::int_chunk_sum_for;
use super::kernel::{run_sequential, ChunkAt, Kernel};
use super::tree::canonical;
use super::variant::VariantChoice;
use crate::sched::ChunkGrid;
use std::marker::PhantomData;

/// The float sum ([`Accuracy::Fast`]) as a [`Kernel`]: what [`Pool::sum_float`](crate::Pool::sum_float) runs. Partial: the
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

/// The exact float sum as a [`Kernel`]: [`Accuracy::Exact`], what
/// [`Pool::sum_float_at`](crate::Pool::sum_float_at) runs for it. Partial: the chunk's
/// [`Superaccumulator`] (68 words); merge: exact, so partials merged in **any order and grouping**
/// give the same bits (not only those of the canonical tree); result: the exact sum rounded once.
/// Empty input sums to `+0.0`.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{partial, ExactSum, Kernel, Superaccumulator};
///
/// let data: Vec<f64> = (0..100_000).map(|i| [1e100, 0.5, -1e100, 0.5][i % 4]).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// assert_eq!(pool.run(&ExactSum::new(), &data[..])?, 25_000.0);
/// // Pieces merged in any order, even across the canonical tree's subtrees.
/// let k = ExactSum::new();
/// let (a, b) = data.split_at(40_000); // not a chunk boundary: a single chunk each
/// let (pa, pb) = (partial(&k, &a[..], 0)?, partial(&k, &b[..], 0)?);
/// assert_eq!(k.finish(Superaccumulator::merge(pb, pa)), 25_000.0);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ExactSum<T> {
    _t: PhantomData<fn(&T)>,
}

impl<T: Float> ExactSum<T> {
    /// The exact sum.
    pub fn new() -> Self {
        Self { _t: PhantomData }
    }
}

impl<T: Float> Default for ExactSum<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Kernel for ExactSum<T> {
    type Input<'a> = &'a [T];
    type Partial = Superaccumulator;
    type Output = f64;
    fn chunk(&self, _: ChunkAt, x: &[T]) -> Superaccumulator {
        if x.is_empty() {
            // As if a +0.0 were added: the empty sum is +0.0 (an accumulator of nothing is −0.0).
            let mut acc = Superaccumulator::new();
            acc.add(0.0);
            return acc;
        }
        exact::chunk(x)
    }
    fn merge(&self, left: Superaccumulator, right: Superaccumulator) -> Superaccumulator {
        Superaccumulator::merge(left, right)
    }
    fn finish(&self, root: Superaccumulator) -> f64 {
        root.round()
    }
}

/// The exact integer sum as a [`Kernel`]: what [`Pool::sum_int`](crate::Pool::sum_int) runs. Partial: the chunk's sum in
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
    /// One `f64` add per element: error ≤ `γ_D · Σ|x|` (see [`Pool::sum_float`](crate::Pool::sum_float)); memory-bound.
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

/// The same tree as [`Pool::sum_float_at`](crate::Pool::sum_float_at) in `Compensated` mode, on the calling thread alone.
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

/// The same tree as [`Pool::sum_float`](crate::Pool::sum_float), evaluated on the calling thread alone (the reference the
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
