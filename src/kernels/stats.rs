//! Single-pass statistics (`docs/numerics.md` §3): per chunk (L2-resident), count, NaN count, the
//! §1 tree sum, min, max, then `M2 = Σ (x − mean_chunk)²` in a second pass over the same chunk,
//! which costs no memory traffic; chunk states merge in chunk-index order over the §1 tree shape.

use super::f64x8::F64x8;
use super::i64x8::I64x8;
use super::kernel::{ChunkAt, Kernel};
use super::key_scan;
use super::nan::NanPolicy;
use super::partial::plain_partial;
use super::passes;
use super::tree::{canonical, chunk_tree, two_sum};
use super::variant::{Variant, VariantChoice};
use crate::sched::CHUNK_LEN;
use bytemuck::Zeroable;
use std::fmt;
use std::marker::PhantomData;

mod sealed {
    pub trait Sealed {}
}

/// An element type [`Stats`] can describe: `f32`, `f64` and the primitive integers.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::StatElement;
///
/// fn spread<T: StatElement>(x: &[T]) -> Option<f64> {
///     shmkern::stats(x).std_dev(0)
/// }
/// assert_eq!(spread(&[2u8, 4, 4, 4, 5, 5, 7, 9]), Some(2.0));
/// assert_eq!(spread(&[2.0f32, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), Some(2.0));
/// assert_eq!(u64::MAX.value(), 2f64.powi(64)); // rounded beyond 2^53
/// ```
pub trait StatElement: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The sum's type: `f64` for floats, `i128`/`u128` for integers (exact).
    type Sum: Copy + fmt::Debug + PartialEq;
    /// The value as `f64`, for the mean and the second moment (exact for floats; rounded for
    /// integers beyond 2^53).
    fn value(self) -> f64;
    #[doc(hidden)]
    fn is_nan(self) -> bool;
    /// A key whose integer order is the element's order (floats: total order, −0.0 < +0.0).
    #[doc(hidden)]
    fn key(self) -> i64;
    #[doc(hidden)]
    fn to_raw(self) -> u64;
    /// The raw bits of the element whose key is `k` (the inverse of `key`).
    #[doc(hidden)]
    fn raw_from_key(k: i64) -> u64;
    #[doc(hidden)]
    fn from_raw(raw: u64) -> Self;
    /// The chunk's sum with NaNs absent; `has_nan` says whether the chunk holds any (without them
    /// the NaN test can be skipped: the same bits, faster code).
    #[doc(hidden)]
    fn chunk_sum(x: &[Self], has_nan: bool) -> Self::Sum;
    #[doc(hidden)]
    fn add(a: Self::Sum, b: Self::Sum) -> Self::Sum;
    /// Adds the non-NaN `v` to a running sum `(s, c)` taken in row order: for floats a Neumaier
    /// pair (`c` the compensation), for integers exactly (`c` unused).
    #[doc(hidden)]
    fn add_one(s: &mut Self::Sum, c: &mut f64, v: Self);
    /// The running sum of no value: −0.0 for floats (as the tree's), 0 for integers.
    #[doc(hidden)]
    fn sum_zero() -> Self::Sum;
    /// A running sum's value: `s + c` for floats where `s` is finite and `c` not zero (a
    /// compensation past an infinity is NaN, and adding a zero one could flip a −0.0).
    #[doc(hidden)]
    fn sum_close(s: Self::Sum, c: f64) -> Self::Sum;
    #[doc(hidden)]
    fn sum_to_raw(s: Self::Sum) -> [u64; 2];
    #[doc(hidden)]
    fn sum_from_raw(r: [u64; 2]) -> Self::Sum;
    #[doc(hidden)]
    fn sum_to_f64(s: Self::Sum) -> f64;
    /// Floats: `(sum, min, max, s2, s1)` of a chunk on the vector kernels (`s2`, `s1`: `Σ (x − c)²`
    /// and `Σ (x − c)` about `c = sum / count`), or `None` where the
    /// reference path must run (integers; an empty chunk; a NaN sum, from a NaN element or ∞ − ∞).
    /// A zero `min`/`max` has the reference's sign (−0.0 < +0.0). The first pass prefetches
    /// ahead when `PREFETCH`.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[doc(hidden)]
    unsafe fn vector_chunk<V: F64x8, const PREFETCH: bool>(x: &[Self]) -> Option<[f64; 5]>;
    /// Integers: `(sum, min, max, s2, s1)` of a chunk (1 to `CHUNK_LEN` elements) on the vector
    /// kernels, the first pass prefetching ahead when `PREFETCH`; `s2`, `s1` around the reference's
    /// mean `sum / count`. `None` for floats and for other lengths.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[doc(hidden)]
    unsafe fn int_chunk<V: F64x8, const PREFETCH: bool>(
        x: &[Self],
    ) -> Option<(Self::Sum, Self, Self, f64, f64)>;
    /// The §1 tree sum of a chunk's values (`value` of each; NaNs included, so a NaN makes it
    /// NaN) on the vector kernels.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[doc(hidden)]
    unsafe fn vector_sum<V: F64x8>(x: &[Self]) -> f64;
    /// `Σ dᵏ`, `d = value − c`, `k` = 1 to 4, of a NaN-free chunk, each in the §1 tree, on the
    /// vector kernels (the moments' power sums).
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[doc(hidden)]
    unsafe fn vector_powers<V: F64x8>(x: &[Self], c: f64) -> [f64; 4];
    /// The covariance's sums `[Σ dx, Σ dy, Σ dx², Σ dy², Σ dx·dy]` of two equally long chunks
    /// about `(cx, cy)`, each in the §1 tree, on the vector kernels.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[doc(hidden)]
    unsafe fn vector_co_sums<V: F64x8>(x: &[Self], y: &[Self], cx: f64, cy: f64) -> [f64; 5];
    /// [`key_extremes`] of a chunk, on the lanes `L` where they are vector registers.
    ///
    /// # Safety
    ///
    /// The CPU supports `L`'s instruction set.
    #[doc(hidden)]
    #[inline(always)]
    unsafe fn key_extremes_on<L: I64x8>(x: &[Self]) -> (u64, i64, i64) {
        key_extremes(x)
    }
}

/// Total-order key of an `f64` (IEEE totalOrder without NaNs: −0.0 < +0.0).
#[inline(always)]
fn f64_key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

macro_rules! float_element {
    ($t:ty) => {
        impl sealed::Sealed for $t {}
        impl StatElement for $t {
            type Sum = f64;
            #[inline(always)]
            fn value(self) -> f64 {
                f64::from(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                self.is_nan()
            }
            #[inline(always)]
            fn key(self) -> i64 {
                f64_key(f64::from(self))
            }
            fn to_raw(self) -> u64 {
                f64::from(self).to_bits()
            }
            #[inline(always)]
            fn raw_from_key(k: i64) -> u64 {
                f64_key(f64::from_bits(k as u64)) as u64 // the key map is an involution
            }
            fn from_raw(raw: u64) -> Self {
                f64::from_bits(raw) as $t
            }
            #[inline(always)]
            fn chunk_sum(x: &[Self], has_nan: bool) -> f64 {
                if has_nan {
                    // NaNs are absent from the statistics: a −0.0 in their lane is exactly "absent".
                    chunk_tree(x, |v: $t| if v.is_nan() { -0.0 } else { f64::from(v) })
                } else {
                    chunk_tree(x, f64::from)
                }
            }
            fn add(a: f64, b: f64) -> f64 {
                a + b
            }
            #[inline(always)]
            fn add_one(s: &mut f64, c: &mut f64, v: Self) {
                neumaier(s, c, f64::from(v));
            }
            fn sum_zero() -> f64 {
                -0.0
            }
            fn sum_close(s: f64, c: f64) -> f64 {
                if c != 0.0 && s.is_finite() {
                    s + c
                } else {
                    s
                }
            }
            fn sum_to_raw(s: f64) -> [u64; 2] {
                // A NaN sum (∞ − ∞) as the canonical NaN: which NaN the CPU makes is not portable.
                [canonical(s).to_bits(), 0]
            }
            fn sum_from_raw(r: [u64; 2]) -> f64 {
                f64::from_bits(r[0])
            }
            fn sum_to_f64(s: f64) -> f64 {
                s
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::vector_chunk`].
            unsafe fn vector_chunk<V: F64x8, const PREFETCH: bool>(x: &[Self]) -> Option<[f64; 5]> {
                // SAFETY: the caller guarantees `V`'s ISA.
                let (sum, min, max) = unsafe { passes::chunk_scan::<V, $t, PREFETCH>(x) };
                if x.is_empty() || sum.is_nan() {
                    return None;
                }
                // No NaN element: the reference's sum is this one (every element present), and so
                // is its mean.
                let mean = sum / x.len() as f64;
                if min != 0.0 && max != 0.0 {
                    // SAFETY: as above.
                    let (s2, s1) = unsafe { passes::chunk_m2::<V, $t>(x, mean) };
                    return Some([sum, min, max, s2, s1]);
                }
                // A zero min or max: MINPD/MAXPD keep either zero on a tie, and the reference
                // orders −0.0 < +0.0. The second pass also tells which zeros the chunk holds.
                let (s2, s1, some_sign_set, some_sign_clear) =
                    // SAFETY: as above.
                    unsafe { passes::chunk_m2_signs::<V, $t>(x, mean) };
                let zero = |negative: bool| if negative { -0.0 } else { 0.0 };
                let min = if min == 0.0 { zero(some_sign_set) } else { min };
                let max = if max == 0.0 {
                    zero(!some_sign_clear)
                } else {
                    max
                };
                Some([sum, min, max, s2, s1])
            }
            /// # Safety: as on [`StatElement::int_chunk`].
            unsafe fn int_chunk<V: F64x8, const PREFETCH: bool>(
                _: &[Self],
            ) -> Option<(f64, Self, Self, f64, f64)> {
                None
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::vector_sum`].
            unsafe fn vector_sum<V: F64x8>(x: &[Self]) -> f64 {
                // SAFETY: the caller guarantees `V`'s ISA.
                unsafe { passes::chunk_sum::<V, $t, false, false>(x) }
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::vector_powers`].
            unsafe fn vector_powers<V: F64x8>(x: &[Self], c: f64) -> [f64; 4] {
                // SAFETY: the caller guarantees `V`'s ISA.
                unsafe { passes::chunk_powers::<V, $t>(x, c) }
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::vector_co_sums`].
            unsafe fn vector_co_sums<V: F64x8>(x: &[Self], y: &[Self], cx: f64, cy: f64) -> [f64; 5] {
                // SAFETY: the caller guarantees `V`'s ISA.
                unsafe { passes::chunk_co_sums::<V, $t>(x, y, cx, cy) }
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::key_extremes_on`].
            unsafe fn key_extremes_on<L: I64x8>(x: &[Self]) -> (u64, i64, i64) {
                if L::NATIVE {
                    // SAFETY: the caller guarantees `L`'s ISA.
                    unsafe { key_scan::key_extremes::<L, $t>(x) }
                } else {
                    key_extremes(x)
                }
            }
        }
    };
}
float_element!(f64);
float_element!(f32);

macro_rules! int_element {
    ($t:ty, $wide:ty, $raw:ty) => {
        impl sealed::Sealed for $t {}
        impl StatElement for $t {
            type Sum = $wide;
            #[inline(always)]
            fn value(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                false
            }
            #[inline(always)]
            fn key(self) -> i64 {
                // Unsigned 64-bit values are shifted into i64's range, keeping their order.
                (self as $raw as i64)
                    ^ (if <$t>::MIN == 0 && <$t>::BITS == 64 {
                        i64::MIN
                    } else {
                        0
                    })
            }
            fn to_raw(self) -> u64 {
                self as $raw as u64
            }
            #[inline(always)]
            fn raw_from_key(k: i64) -> u64 {
                (k ^ (if <$t>::MIN == 0 && <$t>::BITS == 64 {
                    i64::MIN
                } else {
                    0
                })) as u64
            }
            fn from_raw(raw: u64) -> Self {
                raw as $raw as $t
            }
            #[inline(always)]
            fn chunk_sum(x: &[Self], _: bool) -> $wide {
                <$t as super::element::Int>::chunk_sum(x)
            }
            fn add(a: $wide, b: $wide) -> $wide {
                a + b
            }
            #[inline(always)]
            fn add_one(s: &mut $wide, _: &mut f64, v: Self) {
                *s += v as $wide;
            }
            fn sum_zero() -> $wide {
                0
            }
            fn sum_close(s: $wide, _: f64) -> $wide {
                s
            }
            fn sum_to_raw(s: $wide) -> [u64; 2] {
                let v = s as u128;
                [v as u64, (v >> 64) as u64]
            }
            fn sum_from_raw(r: [u64; 2]) -> $wide {
                ((u128::from(r[1]) << 64) | u128::from(r[0])) as $wide
            }
            fn sum_to_f64(s: $wide) -> f64 {
                s as f64
            }
            /// # Safety: as on [`StatElement::vector_chunk`].
            unsafe fn vector_chunk<V: F64x8, const PREFETCH: bool>(_: &[Self]) -> Option<[f64; 5]> {
                None
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::int_chunk`].
            unsafe fn int_chunk<V: F64x8, const PREFETCH: bool>(
                x: &[Self],
            ) -> Option<($wide, Self, Self, f64, f64)> {
                use super::element::Int;
                if x.is_empty() || x.len() > CHUNK_LEN {
                    return None;
                }
                let (sum, min, max) = <$t as Int>::lane_scan::<PREFETCH>(x);
                // The reference's mean and its NaN-free second pass, on vectors.
                let mean = Self::sum_to_f64(sum) / x.len() as f64;
                // SAFETY: the caller guarantees `V`'s ISA.
                let (s2, s1) = unsafe { passes::chunk_m2::<V, $t>(x, mean) };
                Some((sum, min, max, s2, s1))
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::vector_sum`].
            unsafe fn vector_sum<V: F64x8>(x: &[Self]) -> f64 {
                // SAFETY: the caller guarantees `V`'s ISA.
                unsafe { passes::chunk_lanes_sum::<V, $t>(x) }
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::vector_powers`].
            unsafe fn vector_powers<V: F64x8>(x: &[Self], c: f64) -> [f64; 4] {
                // SAFETY: the caller guarantees `V`'s ISA.
                unsafe { passes::chunk_powers::<V, $t>(x, c) }
            }
            #[inline(always)]
            /// # Safety: as on [`StatElement::vector_co_sums`].
            unsafe fn vector_co_sums<V: F64x8>(
                x: &[Self],
                y: &[Self],
                cx: f64,
                cy: f64,
            ) -> [f64; 5] {
                // SAFETY: the caller guarantees `V`'s ISA.
                unsafe { passes::chunk_co_sums::<V, $t>(x, y, cx, cy) }
            }
        }
    };
}
int_element!(i8, i128, i64);
int_element!(i16, i128, i64);
int_element!(i32, i128, i64);
int_element!(i64, i128, i64);
int_element!(u8, u128, u64);
int_element!(u16, u128, u64);
int_element!(u32, u128, u64);
int_element!(u64, u128, u64);

/// Count, NaN count, sum, min, max, mean and variance of a slice, from one pass over memory.
///
/// - Describes the **non-NaN** values; NaNs are counted in [`nan_count`](Stats::nan_count) (as a
///   data frame's `describe()` does). [`Pool::sum_float`](crate::Pool::sum_float) alone follows IEEE (NaN in, NaN out).
/// - `min`/`max`: over non-NaN values, in the total order where `−0.0 < +0.0`; integers in their own
///   type. `None` when there is no value.
/// - `mean()`: `None` when `count == 0`. `variance(ddof)`: `None` when `count <= ddof`; a negative
///   rounding result is clamped to `0.0`. With `±∞` among the values, mean and variance are `±∞` or
///   NaN.
/// - Plain old data (`bytemuck::Pod`, `#[repr(C)]`, 80 bytes): it can sit in a shared mapping, cross
///   a process boundary, and be [`merge`](Stats::merge)d later.
/// - Deterministic: the same bits for every thread count and CPU.
///
/// # Examples
///
/// ```
/// let pool = shmkern::Pool::builder().threads(2).build().unwrap();
/// let s = pool.stats(&[1.0, 2.0, 3.0, 4.0, f64::NAN]);
/// assert_eq!((s.count(), s.nan_count()), (4, 1));
/// assert_eq!((s.min(), s.max(), s.sum()), (Some(1.0), Some(4.0), 10.0));
/// assert_eq!(s.mean(), Some(2.5));
/// assert_eq!(s.variance(1), Some(5.0 / 3.0));
/// assert_eq!(pool.stats(&[7u8]).variance(1), None);
/// ```
#[repr(C)]
pub struct Stats<T: StatElement> {
    count: u64,
    nan_count: u64,
    /// `T::Sum` as raw bits (f64 bits in word 0, or the 128-bit integer little-endian).
    sum: [u64; 2],
    /// `T` as raw bits; meaningless while `count == 0`.
    min: u64,
    max: u64,
    /// The mean of the values as an unevaluated sum `center + center_lo` (`docs/numerics.md` §3):
    /// `center` is a chunk's `sum / count`, `center_lo` the rest, `Σ (x − center) / count`, so
    /// the merge of second moments sees differences of means far below `center`'s last bit (data
    /// around a large offset).
    center: f64,
    /// Σ (x − mean)² about that mean, as a Neumaier pair (`m2 + m2_lo`).
    m2: f64,
    m2_lo: f64,
    /// See `center`.
    center_lo: f64,
    _t: PhantomData<T>,
}

plain_partial!(Stats, 10);

impl<T: StatElement + fmt::Debug> fmt::Debug for Stats<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stats")
            .field("count", &self.count)
            .field("nan_count", &self.nan_count)
            .field("sum", &self.sum())
            .field("min", &self.min())
            .field("max", &self.max())
            .field("mean", &self.mean())
            .field("variance(1)", &self.variance(1))
            .finish()
    }
}

/// Adds `t` to the Neumaier pair (`s`, `c`).
#[inline(always)]
fn neumaier(s: &mut f64, c: &mut f64, t: f64) {
    let u = *s + t;
    *c += if s.abs() >= t.abs() {
        (*s - u) + t
    } else {
        (t - u) + *s
    };
    *s = u;
}

/// `(NaN count, smallest key, largest key)` of `x`'s non-NaN elements (`i64::MAX`, `i64::MIN` when
/// there is none). Branch-free over eight lanes so it vectorizes: a NaN counts nowhere and cannot
/// win; keys are exact, so the lane split changes no result.
#[inline(always)]
pub(crate) fn key_extremes<T: StatElement>(x: &[T]) -> (u64, i64, i64) {
    const W: usize = 8;
    let mut nans = [0u64; W];
    let mut lo = [i64::MAX; W];
    let mut hi = [i64::MIN; W];
    let mut rows = x.chunks_exact(W);
    for row in &mut rows {
        for j in 0..W {
            let (nan, k) = (row[j].is_nan(), row[j].key());
            nans[j] += u64::from(nan);
            lo[j] = lo[j].min(if nan { i64::MAX } else { k });
            hi[j] = hi[j].max(if nan { i64::MIN } else { k });
        }
    }
    for (j, &v) in rows.remainder().iter().enumerate() {
        let (nan, k) = (v.is_nan(), v.key());
        nans[j] += u64::from(nan);
        lo[j] = lo[j].min(if nan { i64::MAX } else { k });
        hi[j] = hi[j].max(if nan { i64::MIN } else { k });
    }
    (
        nans.iter().sum(),
        lo.into_iter().min().unwrap_or(i64::MAX),
        hi.into_iter().max().unwrap_or(i64::MIN),
    )
}

impl<T: StatElement> Stats<T> {
    /// The statistics of no value.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{stats, Stats};
    ///
    /// let e = Stats::<f64>::empty();
    /// assert_eq!((e.count(), e.min(), e.mean()), (0, None, None));
    /// assert_eq!(stats::<f64>(&[]), e);
    /// assert_eq!(Stats::merge(e, stats(&[1.0])), stats(&[1.0])); // the merge's identity
    /// ```
    pub fn empty() -> Self {
        Zeroable::zeroed()
    }

    /// Number of non-NaN values.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = shmkern::stats(&[1.0, f64::NAN, 3.0]);
    /// assert_eq!(s.count(), 2); // NaNs are not counted
    /// ```
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of NaN values (always 0 for integers).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(shmkern::stats(&[f32::NAN, 1.0, f32::NAN]).nan_count(), 2);
    /// assert_eq!(shmkern::stats(&[1u8, 2]).nan_count(), 0);
    /// ```
    pub fn nan_count(&self) -> u64 {
        self.nan_count
    }

    /// Sum of the non-NaN values: the `docs/numerics.md` §1 tree for floats (NaNs absent), exact
    /// for integers.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(shmkern::stats(&[1.5, f64::NAN, 2.5]).sum(), 4.0); // NaN absent
    /// assert!(shmkern::sum(&[1.5, f64::NAN, 2.5]).is_nan()); // the IEEE sum, by contrast
    /// assert_eq!(shmkern::stats(&[u64::MAX, 1]).sum(), u128::from(u64::MAX) + 1); // exact
    /// ```
    pub fn sum(&self) -> T::Sum {
        T::sum_from_raw(self.sum)
    }

    /// Smallest non-NaN value (`−0.0 < +0.0`), or `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = shmkern::stats(&[0.0, f64::NAN, -0.0, 2.0]);
    /// assert!(s.min().unwrap().is_sign_negative()); // −0.0 < +0.0; the NaN is skipped
    /// assert_eq!(shmkern::stats(&[f64::NAN]).min(), None);
    /// ```
    pub fn min(&self) -> Option<T> {
        (self.count > 0).then(|| T::from_raw(self.min))
    }

    /// Largest non-NaN value (`−0.0 < +0.0`), or `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(shmkern::stats(&[-3i8, 7, -128]).max(), Some(7));
    /// let s = shmkern::stats(&[-0.0, f64::NAN, 0.0]);
    /// assert!(s.max().unwrap().is_sign_positive());
    /// ```
    pub fn max(&self) -> Option<T> {
        (self.count > 0).then(|| T::from_raw(self.max))
    }

    /// The smallest value under `policy`: [`Skip`](NanPolicy::Skip) and
    /// [`Greatest`](NanPolicy::Greatest) give [`min`](Self::min); [`Propagate`](NanPolicy::Propagate)
    /// gives NaN when any value is NaN (numpy's `min`). `None` when there is no value (a NaN
    /// counts as one under `Propagate`).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::NanPolicy;
    ///
    /// let s = shmkern::stats(&[f64::NAN, f64::NAN]);
    /// assert_eq!(s.min_with(NanPolicy::Skip), None);
    /// assert!(s.min_with(NanPolicy::Propagate).unwrap().is_nan());
    /// assert_eq!(shmkern::stats(&[3u8]).min_with(NanPolicy::Propagate), Some(3));
    /// ```
    pub fn min_with(&self, policy: NanPolicy) -> Option<T> {
        match policy {
            NanPolicy::Propagate if self.nan_count > 0 => Some(Self::nan()),
            _ => self.min(),
        }
    }

    /// The largest value under `policy`: [`Skip`](NanPolicy::Skip) gives [`max`](Self::max);
    /// [`Propagate`](NanPolicy::Propagate) (numpy's `max`) and [`Greatest`](NanPolicy::Greatest)
    /// give NaN when any value is NaN. `None` when there is no value (a NaN counts as one under
    /// those two).
    pub fn max_with(&self, policy: NanPolicy) -> Option<T> {
        match policy {
            NanPolicy::Propagate | NanPolicy::Greatest if self.nan_count > 0 => Some(Self::nan()),
            _ => self.max(),
        }
    }

    /// NaN as the element type (only floats count NaNs).
    fn nan() -> T {
        T::from_raw(f64::NAN.to_bits())
    }

    /// `sum / count` (for integers: the exact sum converted once to `f64`), or `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(shmkern::stats(&[1u8, 2]).mean(), Some(1.5));
    /// // The exact sum, converted once: no overflow.
    /// assert_eq!(shmkern::stats(&[i64::MAX, i64::MAX]).mean(), Some(i64::MAX as f64));
    /// assert_eq!(shmkern::stats::<f64>(&[]).mean(), None);
    /// ```
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| T::sum_to_f64(self.sum()) / self.count as f64)
    }

    /// `Σ (x − mean)² / (count − ddof)`, or `None` when `count <= ddof`. Never negative (a
    /// negative rounding result is clamped to `0.0`); NaN when the values include ±∞, as IEEE
    /// arithmetic gives (`∞ − ∞`).
    ///
    /// # Examples
    ///
    /// ```
    /// let s = shmkern::stats(&[1.0, 2.0, 3.0, 4.0]);
    /// assert_eq!((s.variance(0), s.variance(1)), (Some(1.25), Some(5.0 / 3.0)));
    /// assert_eq!(s.variance(4), None); // count <= ddof
    /// assert!(shmkern::stats(&[1.0, f64::INFINITY]).variance(0).unwrap().is_nan());
    /// ```
    pub fn variance(&self, ddof: u64) -> Option<f64> {
        (self.count > ddof).then(|| {
            let v = (self.m2 + self.m2_lo) / (self.count - ddof) as f64;
            if !v.is_finite() && !self.has_infinity() {
                // Finite values whose Σ (x − mean)² (or sum) overflowed on the way: the variance
                // is that large too, or larger; ∞ − ∞ must not turn it into NaN.
                return f64::INFINITY;
            }
            // `f64::max` would turn NaN into 0.0: clamp only negative values.
            if v < 0.0 {
                0.0
            } else {
                v
            }
        })
    }

    /// Whether some value is ±∞ (then the smallest or the largest is).
    fn has_infinity(&self) -> bool {
        self.count > 0
            && !(T::from_raw(self.min).value().is_finite()
                && T::from_raw(self.max).value().is_finite())
    }

    /// `variance(ddof).sqrt()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = shmkern::stats(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    /// assert_eq!(s.std_dev(0), Some(2.0));
    /// assert_eq!(s.std_dev(8), None);
    /// ```
    pub fn std_dev(&self, ddof: u64) -> Option<f64> {
        self.variance(ddof).map(f64::sqrt)
    }

    /// The statistics of `a` followed by `b` (`docs/numerics.md` §3). Merging in a fixed order is
    /// deterministic; merging the chunk states of a slice in the §1 tree reproduces
    /// [`Pool::stats`](crate::Pool::stats) bit for bit (`merge(stats(a), stats(b)) == stats(a ++ b)` when `a` holds the
    /// largest power of two of chunks below the total, so the tree splits there).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sched::CHUNK_LEN;
    /// use shmkern::{stats, Stats};
    ///
    /// let data: Vec<f64> = (0..3 * CHUNK_LEN).map(|i| (i % 7) as f64 * 0.1).collect();
    /// // The tree over 3 chunks splits after 2: merging those two parts gives the same bits.
    /// let (a, b) = data.split_at(2 * CHUNK_LEN);
    /// assert_eq!(Stats::merge(stats(a), stats(b)), stats(&data));
    /// ```
    pub fn merge(a: Self, b: Self) -> Self {
        if a.count == 0 {
            return Stats {
                nan_count: a.nan_count + b.nan_count,
                ..b
            };
        }
        if b.count == 0 {
            return Stats {
                nan_count: a.nan_count + b.nan_count,
                ..a
            };
        }
        // Chan's merge: M2 = M2a + M2b + δ² · na · nb / n, δ = mean_b − mean_a. With each mean
        // a pair, δ is the difference of the `center`s (exact when they are within a factor of
        // two of each other: Sterbenz) plus that of the small rests, so it keeps its relative
        // accuracy however large the means are against their differences.
        let n = a.count + b.count;
        let (na, nb) = (a.count as f64, b.count as f64);
        let delta = (b.center - a.center) + (b.center_lo - a.center_lo);
        let (center, center_lo) = two_sum(a.center, a.center_lo + delta * (nb / n as f64));
        let (mut s, mut c) = (a.m2, a.m2_lo);
        for t in [b.m2, b.m2_lo, delta * delta * (na * nb / n as f64)] {
            neumaier(&mut s, &mut c, t);
        }
        let (amin, bmin) = (T::from_raw(a.min), T::from_raw(b.min));
        let (amax, bmax) = (T::from_raw(a.max), T::from_raw(b.max));
        Stats {
            count: n,
            nan_count: a.nan_count + b.nan_count,
            sum: T::sum_to_raw(T::add(a.sum(), b.sum())),
            min: if bmin.key() < amin.key() {
                b.min
            } else {
                a.min
            },
            max: if bmax.key() > amax.key() {
                b.max
            } else {
                a.max
            },
            center: canonical(center),
            m2: canonical(s),
            m2_lo: canonical(c),
            center_lo: canonical(center_lo),
            _t: PhantomData,
        }
    }

    /// The statistics of one chunk on the vector kernels: one pass for sum, min and max, a second
    /// over the same (cache-resident) chunk for `Σ (x − mean)²`. Bit for bit the reference
    /// ([`of_chunk_reference`](Self::of_chunk_reference)), which runs instead for integers and for
    /// chunks whose sum is NaN (a NaN element, or ∞ − ∞). The first pass prefetches ahead when
    /// `PREFETCH` (on input that streams from memory, where the CPU gains from it).
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s instruction set.
    #[inline(always)]
    unsafe fn of_chunk<V: F64x8, const PREFETCH: bool>(x: &[T]) -> Self {
        // SAFETY: forwarded from the caller.
        if let Some(chunk) = unsafe { T::int_chunk::<V, PREFETCH>(x) } {
            return Self::from_int_chunk(x, chunk);
        }
        // SAFETY: forwarded from the caller.
        match unsafe { T::vector_chunk::<V, PREFETCH>(x) } {
            Some(v) => Self::from_vector(x, v),
            None => Self::of_chunk_reference(x),
        }
    }

    /// `(center_lo, m2)` of `count` values with `s2 = Σ (x − center)²` and `s1 = Σ (x − center)`
    /// about `center = sum / count` (each `x − center` exact where `x` is within a factor of two
    /// of `center`): the rest of the mean, `s1 / count`, and the second moment about the mean
    /// `center + center_lo`, `s2 − s1 · (s1 / count)`.
    #[inline(always)]
    fn about_mean(count: u64, s2: f64, s1: f64) -> (f64, f64) {
        let n = count as f64;
        (s1 / n, s2 - s1 * (s1 / n))
    }

    /// The statistics of the non-empty integer chunk `x` from the vector kernels' `(sum, min,
    /// max, m2)`. Bit for bit the reference: integers have no NaN, their sum is exact, their min
    /// and max are exact in any lane split, `raw_from_key(key(v)) == to_raw(v)`, and the second
    /// pass performs the reference's operations on the same `v as f64` values.
    #[inline(always)]
    fn from_int_chunk(x: &[T], (sum, min, max, s2, s1): (T::Sum, T, T, f64, f64)) -> Self {
        let count = x.len() as u64;
        let mean = T::sum_to_f64(sum) / count as f64;
        let (center_lo, m2) = Self::about_mean(count, s2, s1);
        Stats {
            count,
            nan_count: 0,
            sum: T::sum_to_raw(sum),
            min: min.to_raw(),
            max: max.to_raw(),
            center: canonical(mean),
            m2: canonical(m2),
            m2_lo: 0.0,
            center_lo: canonical(center_lo),
            _t: PhantomData,
        }
    }

    /// The statistics of the non-empty, NaN-free chunk `x` from the vector kernels' `(sum, min,
    /// max, m2)`.
    #[inline(always)]
    fn from_vector(x: &[T], [sum, min, max, s2, s1]: [f64; 5]) -> Self {
        // No NaN: the reference's sum is the vector one (every element present), and so is the
        // mean; `vector_chunk` settled the sign of a zero min or max.
        let count = x.len() as u64;
        let mean = sum / count as f64;
        let (center_lo, m2) = Self::about_mean(count, s2, s1);
        Stats {
            count,
            nan_count: 0,
            // Never NaN: the vector path runs only on chunks whose sum is not NaN.
            sum: [sum.to_bits(), 0],
            min: min.to_bits(),
            max: max.to_bits(),
            center: canonical(mean),
            m2: canonical(m2),
            m2_lo: 0.0,
            center_lo: canonical(center_lo),
            _t: PhantomData,
        }
    }

    /// The statistics of values accumulated one by one (the grouped kernels): `count` non-NaN
    /// values and `nan_count` NaNs, their `sum`, the keys of the smallest and largest, and `s2 =
    /// Σ (x − c)²`, `s1 = Σ (x − c)` about `c = sum / count` (`c` as [`center_of`](Self::center_of)
    /// gives it).
    pub(crate) fn from_parts(
        count: u64,
        nan_count: u64,
        sum: T::Sum,
        (lo, hi): (i64, i64),
        (s2, s1): (f64, f64),
    ) -> Self {
        if count == 0 {
            return Stats {
                nan_count,
                ..Self::empty()
            };
        }
        let (center_lo, m2) = Self::about_mean(count, s2, s1);
        Stats {
            count,
            nan_count,
            sum: T::sum_to_raw(sum),
            min: T::raw_from_key(lo),
            max: T::raw_from_key(hi),
            center: canonical(Self::center_of(count, sum)),
            m2: canonical(m2),
            m2_lo: 0.0,
            center_lo: canonical(center_lo),
            _t: PhantomData,
        }
    }

    /// The center of `count > 0` values summing to `sum`: their mean, rounded.
    pub(crate) fn center_of(count: u64, sum: T::Sum) -> f64 {
        T::sum_to_f64(sum) / count as f64
    }

    /// The statistics of one chunk: one pass for count, NaNs, sum, min, max; a second pass over the
    /// same (cache-resident) chunk for `Σ (x − mean)²` in the 16-lane tree.
    #[inline(always)]
    fn of_chunk_reference(x: &[T]) -> Self {
        let (nans, lo, hi) = key_extremes(x);
        let count = x.len() as u64 - nans;
        let (lo_raw, hi_raw) = (T::raw_from_key(lo), T::raw_from_key(hi));
        if count == 0 {
            return Stats {
                nan_count: x.len() as u64,
                ..Self::empty()
            };
        }
        let has_nan = count != x.len() as u64;
        let sum = T::chunk_sum(x, has_nan);
        let mean = T::sum_to_f64(sum) / count as f64;
        // `(s2, s1)`: `Σ (x − mean)²` and `Σ (x − mean)` in the §1 tree, NaN elements absent (the
        // tree's −0.0).
        let (s2, s1) = if has_nan {
            let present = |v: T, f: fn(f64) -> f64| {
                if v.is_nan() {
                    -0.0
                } else {
                    f(v.value() - mean)
                }
            };
            (
                chunk_tree(x, move |v: T| present(v, |d| d * d)),
                chunk_tree(x, move |v: T| present(v, |d| d)),
            )
        } else {
            // Same operations as above for NaN-free chunks, without the test. `move`: the mean is
            // copied into the closure, so the vectorizer sees a loop-invariant register.
            (
                chunk_tree(x, move |v: T| {
                    let d = v.value() - mean;
                    d * d
                }),
                chunk_tree(x, move |v: T| v.value() - mean),
            )
        };
        let (center_lo, m2) = Self::about_mean(count, s2, s1);
        Stats {
            count,
            nan_count: x.len() as u64 - count,
            sum: T::sum_to_raw(sum),
            min: lo_raw,
            max: hi_raw,
            center: canonical(mean),
            m2: canonical(m2),
            m2_lo: 0.0,
            center_lo: canonical(center_lo),
            _t: PhantomData,
        }
    }
}

/// One chunk's statistics on `V` (a function, so the ISA dispatch can name it).
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn of_chunk<V: F64x8, T: StatElement>(x: &[T]) -> Stats<T> {
    // SAFETY: forwarded from the caller.
    unsafe { Stats::of_chunk::<V, false>(x) }
}

/// [`of_chunk`] prefetching ahead in the first pass: the same bits.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn of_chunk_prefetch<V: F64x8, T: StatElement>(x: &[T]) -> Stats<T> {
    // SAFETY: forwarded from the caller.
    unsafe { Stats::of_chunk::<V, true>(x) }
}

super::isa::isa_dispatch!(chunk_stats_isa, chunk_stats, vector of_chunk, <T: StatElement> -> Stats<T>);
super::isa::isa_dispatch!(prefetch_stats_isa, prefetch_stats, vector of_chunk_prefetch, <T: StatElement> -> Stats<T>);

/// The chunk statistics for a call over `data`: the prefetching kernel when `choice` says
/// `data` streams and asks for it.
pub(crate) fn chunk_stats_for<T: StatElement>(
    data: &[T],
    choice: VariantChoice,
) -> fn(&[T]) -> Stats<T> {
    match choice.stats(data) {
        Variant::Prefetching => prefetch_stats,
        Variant::CacheResident | Variant::Streaming => chunk_stats,
    }
}

/// The statistics as a [`Kernel`]: what [`Pool::stats`](crate::Pool::stats) runs. Partial and result: [`Stats`];
/// merge: [`Stats::merge`].
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, Describe};
///
/// let data: Vec<i32> = (-50_000..50_000).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let s = run_sequential(&Describe::for_input(&data), &data)?;
/// assert_eq!(s, pool.stats(&data));
/// assert_eq!(pool.run(&Describe::new(), &data)?, s);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Describe<T: StatElement> {
    chunk: fn(&[T]) -> Stats<T>,
}

impl<T: StatElement> Describe<T> {
    /// With the cache-resident chunk kernel.
    pub fn new() -> Self {
        Self::with_choice(&[], VariantChoice::detect())
    }

    /// With the chunk kernel the sequential functions would choose for `data`; the same bits as
    /// [`new`](Describe::new).
    pub fn for_input(data: &[T]) -> Self {
        Self::with_choice(data, VariantChoice::detect())
    }

    pub(crate) fn with_choice(data: &[T], choice: VariantChoice) -> Self {
        Self {
            chunk: chunk_stats_for(data, choice),
        }
    }
}

impl<T: StatElement> Default for Describe<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: StatElement> Kernel for Describe<T> {
    type Input<'a> = &'a [T];
    type Partial = Stats<T>;
    type Output = Stats<T>;
    fn chunk(&self, _: ChunkAt, x: &[T]) -> Stats<T> {
        if x.is_empty() {
            return Stats::empty();
        }
        (self.chunk)(x)
    }
    fn merge(&self, left: Stats<T>, right: Stats<T>) -> Stats<T> {
        Stats::merge(left, right)
    }
    fn finish(&self, root: Stats<T>) -> Stats<T> {
        root
    }
}

/// The vector path against the reference, on data built to reach every branch of the fast path and
/// its fallback: ties of ±0.0 at the minimum and maximum, ±∞, overflow to ∞ − ∞, NaN, tails.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::f64x8::Portable;
    use crate::kernels::Isa;
    use proptest::prelude::*;

    /// A xorshift64 stream from `seed`: cheap deterministic test data.
    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed | 1;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    /// Deterministic data from `seed`: `kind` picks the shape (0: mixed signs; 1: non-negative
    /// with zeros, so the minimum is a zero; 2: non-positive with zeros; 3: with ±∞; 4: huge values
    /// that overflow the sum; 5: with NaNs; 6: one NaN, so one chunk takes the fallback; 7 and 8:
    /// as 1 and 2 with zeros of one sign only, +0.0 and −0.0).
    fn data(len: usize, kind: u8, seed: u64) -> Vec<f64> {
        let mut next = xorshift(seed);
        (0..len)
            .map(|_| {
                let s = next();
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                let zero = match kind {
                    7 => 0.0,
                    8 => -0.0,
                    _ if s & 2 == 0 => 0.0,
                    _ => -0.0,
                };
                match (kind, s % 29) {
                    (0..=2 | 7 | 8, 0..=3) => zero,
                    (1 | 7, _) => u * 1e3,
                    (2 | 8, _) => -u * 1e3,
                    (3, 0) => f64::INFINITY,
                    (3, 1) => f64::NEG_INFINITY,
                    (4, 0..=2) => f64::MAX * (u - 0.5),
                    (5, 0) => f64::NAN,
                    _ => 1e3 * (u - 0.5),
                }
            })
            .collect::<Vec<f64>>()
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                if kind == 6 && i as u64 == seed % len as u64 {
                    f64::NAN
                } else {
                    v
                }
            })
            .collect()
    }

    /// Every ISA's chunk statistics (with and without prefetch) and `Portable`'s against the
    /// reference, chunk by chunk, merged as `Pool::stats` merges them.
    fn check<T: StatElement + fmt::Debug>(x: &[T]) -> Result<(), TestCaseError> {
        let want = tree_of_chunks(x, Stats::of_chunk_reference);
        // SAFETY: `Portable` runs on any CPU.
        let portable = unsafe { tree_of_chunks(x, |c| Stats::of_chunk::<Portable, false>(c)) };
        prop_assert_eq!(portable, want, "Portable");
        for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
            if isa.is_supported() {
                let got = tree_of_chunks(x, |c| chunk_stats_isa(isa, c).unwrap());
                prop_assert_eq!(got, want, "{:?}", isa);
                // Under Miri a prefetch is a no-op (`f64x8::prefetch`), so the prefetching kernel
                // runs the other's code: skipped there, where every case costs seconds.
                if !cfg!(miri) {
                    let got = tree_of_chunks(x, |c| prefetch_stats_isa(isa, c).unwrap());
                    prop_assert_eq!(got, want, "{:?} prefetching", isa);
                }
            }
        }
        Ok(())
    }

    /// `chunk` of each chunk of `x`, merged in the §1 tree (as `Pool::stats` does).
    fn tree_of_chunks<T: StatElement>(x: &[T], chunk: impl Fn(&[T]) -> Stats<T>) -> Stats<T> {
        let mut parts: Vec<_> = x.chunks(CHUNK_LEN).map(|c| Some(chunk(c))).collect();
        if parts.is_empty() {
            return Stats::empty();
        }
        crate::sched::merge_tree(&mut parts, &Stats::merge)
    }

    /// Edge lengths and any length up to eight chunks (600 under Miri).
    fn lengths() -> impl Strategy<Value = usize> {
        if cfg!(miri) {
            // Past one block (256) and into a second, partial one: every path of the pass.
            return (1usize..=300).boxed();
        }
        let c = CHUNK_LEN;
        let edges = vec![
            1,
            7,
            16,
            17,
            255,
            256,
            257,
            4095,
            c - 1,
            c,
            c + 1,
            3 * c + 5,
            8 * c,
        ];
        prop_oneof![prop::sample::select(edges), 1..=c, c..=8 * c].boxed()
    }

    /// Random bits, with runs of the type's extremes so that min, max and the wide sum reach them.
    fn int_data(len: usize, seed: u64) -> Vec<u64> {
        let mut next = xorshift(seed);
        (0..len)
            .map(|_| {
                let s = next();
                match s % 13 {
                    0 => 0,
                    1 => u64::MAX,             // -1, or the unsigned maximum
                    2 => 1 << 63 | (s & 0x80), // near i64::MIN, or 0x80 in the narrow types
                    _ => s,
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(crate::kernels::proptest_config(64))]

        /// Every ISA's integer `of_chunk` (the lane scan) equals the reference bit for bit, for
        /// every integer width.
        #[test]
        fn int_stats_match_reference(len in lengths(), seed in any::<u64>()) {
            let x = int_data(len, seed);
            check(&x.iter().map(|&v| v as i8).collect::<Vec<_>>())?;
            check(&x.iter().map(|&v| v as u8).collect::<Vec<_>>())?;
            check(&x.iter().map(|&v| v as i16).collect::<Vec<_>>())?;
            check(&x.iter().map(|&v| v as u16).collect::<Vec<_>>())?;
            check(&x.iter().map(|&v| v as i32).collect::<Vec<_>>())?;
            check(&x.iter().map(|&v| v as u32).collect::<Vec<_>>())?;
            check(&x.iter().map(|&v| v as i64).collect::<Vec<_>>())?;
            check(&x)?;
        }
    }

    proptest! {
        #![proptest_config(crate::kernels::proptest_config(256))]

        /// Every ISA's `of_chunk` equals the reference bit for bit, chunk by chunk, for f64 and f32.
        #[test]
        fn vector_stats_match_reference(len in lengths(), kind in 0u8..9, seed in any::<u64>()) {
            let x = data(len, kind, seed);
            check(&x)?;
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            check(&x32)?;
        }
    }

    /// ∞ − ∞ in the second moment, and in the sum: the NaNs come out canonical. Which NaN an
    /// operation makes is not portable (x86 and Arm differ in sign; Miri picks at random, which is
    /// how this surfaced), and `Stats` equality is bitwise.
    #[test]
    fn nan_moments_are_canonical() {
        let x: Vec<f64> = [f64::NEG_INFINITY, 1.0, 2.0].repeat(7);
        check(&x).unwrap();
        let s = Stats::of_chunk_reference(&x);
        assert_eq!(s.m2.to_bits(), f64::NAN.to_bits());
        let merged = Stats::merge(s, Stats::of_chunk_reference(&[3.0, f64::INFINITY]));
        assert_eq!(merged.sum().to_bits(), f64::NAN.to_bits());
        assert_eq!(merged.center.to_bits(), f64::NAN.to_bits());
        assert_eq!(merged.m2.to_bits(), f64::NAN.to_bits());
    }

    /// One zero among positive (or negative) values, in a whole block or in the partial one, of
    /// either sign: the sign of the zero min (max) comes from that one element wherever it is.
    #[test]
    fn a_single_zero_sets_the_sign() {
        use crate::sched::BLOCK_LEN;
        // Under Miri (every ISA is `Portable` there) one place, in the tail.
        let places: &[usize] = if cfg!(miri) {
            &[BLOCK_LEN + 30]
        } else {
            &[0, 100, BLOCK_LEN - 1, BLOCK_LEN, BLOCK_LEN + 30]
        };
        for &at in places {
            for zero in [0.0, -0.0] {
                for sign in [1.0, -1.0] {
                    let mut x: Vec<f64> = (0..BLOCK_LEN + 40)
                        .map(|i| sign * (1.0 + i as f64))
                        .collect();
                    x[at] = zero;
                    check(&x).unwrap();
                    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                    check(&x32).unwrap();
                }
            }
        }
    }

    /// The zero-sign fix-ups, each way.
    #[test]
    fn signed_zero_extremes() {
        for x in [
            vec![0.0, -0.0, 1.0],
            vec![-0.0, 0.0, 1.0],
            vec![0.0, 0.0, 1.0],
            vec![-0.0, -0.0, -1.0],
            vec![-1.0, 0.0, -0.0],
            vec![0.0, -0.0],
            vec![-0.0],
        ] {
            let mut x: Vec<f64> = x.repeat(100);
            x.push(0.5);
            check(&x).unwrap();
            let s = Stats::of_chunk_reference(&x);
            let negative = x.iter().any(|v| v.to_bits() == (-0.0f64).to_bits());
            let min: f64 = s.min().unwrap();
            if min == 0.0 {
                assert_eq!(min.is_sign_negative(), negative, "{x:?}");
            }
        }
    }
}
