//! The element types the kernels accept, and what each sums to.

use super::simd::F64x8;

mod sealed {
    pub trait Sealed {}
}

/// `f32` or `f64`: summed in `f64` (an `f32` is widened exactly on load).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::Float;
///
/// fn total<T: Float>(x: &[T]) -> f64 {
///     shmkern::sum(x)
/// }
/// assert_eq!(0.1f32.widen(), f64::from(0.1f32)); // exact
/// // f32 input is summed in f64: no f32 rounding on the way.
/// assert_eq!(total(&[16_777_216f32, 1.0]), 16_777_217.0);
/// assert_eq!(16_777_216f32 + 1.0, 16_777_216.0);
/// ```
pub trait Float: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The value as `f64` (exact).
    fn widen(self) -> f64;
    /// Elements `p[0..8]`, widened, as eight vector lanes.
    ///
    /// # Safety
    ///
    /// `p` is valid for reading 8 elements, and the CPU supports `V`'s instruction set.
    #[doc(hidden)]
    unsafe fn load8<V: F64x8>(p: *const Self) -> V;
    /// `x` itself when the elements are `f64`, for the kernels that exist only for `f64`.
    #[doc(hidden)]
    fn as_f64s(x: &[Self]) -> Option<&[f64]>;
}

impl sealed::Sealed for f64 {}
impl sealed::Sealed for f32 {}

impl Float for f64 {
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
    #[inline(always)]
    /// # Safety: as on [`Float::load8`].
    unsafe fn load8<V: F64x8>(p: *const f64) -> V {
        // SAFETY: forwarded from the caller (8 readable elements, the ISA present).
        unsafe { V::load(p) }
    }
    #[inline(always)]
    fn as_f64s(x: &[f64]) -> Option<&[f64]> {
        Some(x)
    }
}

impl Float for f32 {
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    /// # Safety: as on [`Float::load8`].
    unsafe fn load8<V: F64x8>(p: *const f32) -> V {
        // SAFETY: forwarded from the caller (8 readable elements, the ISA present).
        unsafe { V::load_f32(p) }
    }
    #[inline(always)]
    fn as_f64s(_: &[f32]) -> Option<&[f64]> {
        None
    }
}

/// A primitive integer type: summed exactly in a wide type (`i128` for signed, `u128` for
/// unsigned), so the sum never overflows and does not depend on the order.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::Int;
///
/// fn wide_total<T: Int>(x: &[T]) -> T::Wide {
///     shmkern::global().sum_int(x)
/// }
/// assert_eq!(wide_total(&[u64::MAX, u64::MAX]), 2 * u128::from(u64::MAX));
/// assert_eq!(<i8 as Int>::chunk_sum(&[-128, -128]), -256i128);
/// ```
pub trait Int: Copy + Send + Sync + 'static + sealed::Sealed + TryFrom<Self::Wide> {
    /// `i128` or `u128`.
    type Wide: Copy
        + Send
        + Sync
        + std::ops::Add<Output = Self::Wide>
        + std::fmt::Display
        + Default
        + bytemuck::Pod;
    /// The exact sum of one chunk (at most `CHUNK_LEN` elements).
    fn chunk_sum(x: &[Self]) -> Self::Wide;
}

macro_rules! small_int {
    ($t:ty, $acc:ty, $wide:ty) => {
        impl sealed::Sealed for $t {}
        impl Int for $t {
            type Wide = $wide;
            #[inline]
            fn chunk_sum(x: &[Self]) -> $wide {
                // A chunk has at most 2^15 elements of at most 32 bits: the 64-bit accumulator cannot
                // overflow, and the loop vectorizes.
                <$wide>::from(x.iter().map(|&v| <$acc>::from(v)).sum::<$acc>())
            }
        }
    };
}

small_int!(i8, i64, i128);
small_int!(i16, i64, i128);
small_int!(i32, i64, i128);
small_int!(u8, u64, u128);
small_int!(u16, u64, u128);
small_int!(u32, u64, u128);

impl sealed::Sealed for i64 {}
impl Int for i64 {
    type Wide = i128;
    #[inline]
    fn chunk_sum(x: &[Self]) -> i128 {
        // Split each value into a signed high half and an unsigned low half: both sums fit 64 bits
        // for 2^15 elements, and the one-pass loop vectorizes (an i128 accumulator would not).
        let (hi, lo) = x.iter().fold((0i64, 0u64), |(h, l), &v| {
            (h + (v >> 32), l + (v as u64 & 0xFFFF_FFFF))
        });
        (i128::from(hi) << 32) + i128::from(lo)
    }
}

impl sealed::Sealed for u64 {}
impl Int for u64 {
    type Wide = u128;
    #[inline]
    fn chunk_sum(x: &[Self]) -> u128 {
        let (hi, lo) = x.iter().fold((0u64, 0u64), |(h, l), &v| {
            (h + (v >> 32), l + (v & 0xFFFF_FFFF))
        });
        (u128::from(hi) << 32) + u128::from(lo)
    }
}
