//! The element types the kernels accept, and what each sums to.

use super::f64x8::F64x8;
use super::ints::{self, Halves};
use crate::sched::{BLOCK_LEN, CHUNK_LEN};

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
    /// Whether the elements are `f32`: the statistics' first pass then takes the extremes on the
    /// `f32` rows themselves (`passes::Scan`).
    #[doc(hidden)]
    const IS_F32: bool;
}

impl sealed::Sealed for f64 {}
impl sealed::Sealed for f32 {}

impl Float for f64 {
    const IS_F32: bool = false;
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
    const IS_F32: bool = true;
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

/// What the vector passes read (`passes.rs`): an element type whose values load as eight `f64`
/// lanes, each exactly `v as f64` (exact for floats and for integers up to 2^53 in magnitude,
/// rounded to nearest-even beyond, as `as` rounds), so a pass gives the reference's bits.
pub(crate) trait Lanes: Copy {
    /// `self as f64`.
    fn to_f64(self) -> f64;
    /// Elements `p[0..8]` as eight lanes, each `to_f64` of the element.
    ///
    /// # Safety
    ///
    /// `p` is valid for reading 8 elements, and the CPU supports `V`'s instruction set.
    unsafe fn load8<V: F64x8>(p: *const Self) -> V;
    /// Whether the passes read a block's rows through [`load8`](Self::load8); when false they
    /// first widen the whole block into `f64`s with [`widen_block`](Self::widen_block) and read
    /// those from L1. For 8- to 32-bit integers `load8` builds each row from eight scalar loads
    /// (for `i8` LLVM assembles them with shifts and inserts), while the plain loop of
    /// `widen_block` vectorizes into sign-extending loads and one conversion per row: more than
    /// twice as fast for their `stats`. 64-bit integers keep `load8`, which is faster for them
    /// than the widened copy (docs/performance.md, "Kernels").
    const ROWS_DIRECT: bool = true;
    /// `to_f64` of every element of a block.
    #[inline(always)]
    fn widen_block(b: &[Self; BLOCK_LEN]) -> [f64; BLOCK_LEN] {
        let mut out = [0.0; BLOCK_LEN];
        for (o, &v) in out.iter_mut().zip(b) {
            *o = v.to_f64();
        }
        out
    }
}

impl<T: Float> Lanes for T {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self.widen()
    }
    #[inline(always)]
    /// # Safety: as on [`Lanes::load8`].
    unsafe fn load8<V: F64x8>(p: *const T) -> V {
        // SAFETY: forwarded.
        unsafe { Float::load8(p) }
    }
}

/// 2^31 and 2^32, for the integer conversions below.
const TWO_31: f64 = 2_147_483_648.0;
const TWO_32: f64 = 4_294_967_296.0;

/// Eight elements at `p`, each mapped to an `i32` by `f`.
///
/// # Safety
///
/// `p` is valid for reading 8 elements.
#[inline(always)]
unsafe fn eight<T: Copy>(p: *const T, f: impl Fn(T) -> i32) -> [i32; 8] {
    // SAFETY: forwarded.
    unsafe { p.cast::<[T; 8]>().read_unaligned() }.map(f)
}

/// `u32` values as `f64`, exactly: `(v − 2^31)` fits `i32` and converts exactly, and adding
/// 2^31 back is exact (the result is an integer below 2^32).
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn from_u32<V: F64x8>(v: [u32; 8]) -> V {
    let biased = v.map(|v| (v ^ 0x8000_0000) as i32);
    // SAFETY: forwarded; `biased` holds 8 readable `i32`s.
    unsafe { V::load_i32(biased.as_ptr()).add(V::splat(TWO_31)) }
}

/// `high · 2^32 + low` with one rounding, the round-to-nearest-even of the exact value (both
/// terms are exact in `f64`: `high` has 32 bits, times a power of two; `low` is below 2^32), so
/// the same as the 64-bit value's `as f64`.
///
/// # Safety
///
/// The CPU supports `V`'s instruction set.
#[inline(always)]
unsafe fn join<V: F64x8>(high: V, low: [u32; 8]) -> V {
    // SAFETY: forwarded.
    unsafe { high.mul(V::splat(TWO_32)).add(from_u32::<V>(low)) }
}

macro_rules! narrow_lanes {
    ($($t:ty),*) => {$(
        impl Lanes for $t {
            const ROWS_DIRECT: bool = false;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[inline(always)]
            /// # Safety: as on [`Lanes::load8`].
            unsafe fn load8<V: F64x8>(p: *const $t) -> V {
                // SAFETY: forwarded; every value fits `i32`, which converts exactly.
                unsafe { V::load_i32(eight(p, i32::from).as_ptr()) }
            }
        }
    )*};
}
narrow_lanes!(i8, i16, i32, u8, u16);

impl Lanes for u32 {
    const ROWS_DIRECT: bool = false;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    /// # Safety: as on [`Lanes::load8`].
    unsafe fn load8<V: F64x8>(p: *const u32) -> V {
        // SAFETY: forwarded.
        unsafe { from_u32::<V>(p.cast::<[u32; 8]>().read_unaligned()) }
    }
}

impl Lanes for i64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    /// # Safety: as on [`Lanes::load8`].
    unsafe fn load8<V: F64x8>(p: *const i64) -> V {
        // SAFETY: forwarded (8 readable elements, the ISA present).
        if let Some(v) = unsafe { V::load_i64(p) } {
            return v;
        }
        // SAFETY: forwarded: `v = (v >> 32) · 2^32 + (v as u32)`, the high part signed.
        unsafe {
            let high = V::load_i32(eight(p, |v| (v >> 32) as i32).as_ptr());
            join(
                high,
                p.cast::<[i64; 8]>().read_unaligned().map(|v| v as u32),
            )
        }
    }
}

impl Lanes for u64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    /// # Safety: as on [`Lanes::load8`].
    unsafe fn load8<V: F64x8>(p: *const u64) -> V {
        // SAFETY: forwarded (8 readable elements, the ISA present).
        if let Some(v) = unsafe { V::load_u64(p) } {
            return v;
        }
        // SAFETY: forwarded: `v = (v >> 32) · 2^32 + (v as u32)`.
        unsafe {
            let v = p.cast::<[u64; 8]>().read_unaligned();
            join(
                from_u32::<V>(v.map(|v| (v >> 32) as u32)),
                v.map(|v| v as u32),
            )
        }
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
        + std::iter::Sum
        + bytemuck::Pod;
    /// The exact sum of `x` (any length).
    fn chunk_sum(x: &[Self]) -> Self::Wide;
    /// The exact sum of at most [`CHUNK_LEN`] elements; prefetching ahead when `PREFETCH`.
    #[doc(hidden)]
    fn lane_sum<const PREFETCH: bool>(x: &[Self]) -> Self::Wide;
    /// `(sum, min, max)` of 1 to [`CHUNK_LEN`] elements in one pass; prefetching ahead when
    /// `PREFETCH`.
    #[doc(hidden)]
    fn lane_scan<const PREFETCH: bool>(x: &[Self]) -> (Self::Wide, Self, Self);
}

macro_rules! int {
    ($t:ty, $wide:ty, $acc:ty, $widen:expr, $total:expr) => {
        impl sealed::Sealed for $t {}
        impl Int for $t {
            type Wide = $wide;
            #[inline(always)]
            fn chunk_sum(x: &[Self]) -> $wide {
                // A sub-chunk at a time: the accumulators are sized for `CHUNK_LEN` elements. A
                // kernel call passes one chunk; the split keeps longer slices exact too.
                x.chunks(CHUNK_LEN).map(Self::lane_sum::<false>).sum()
            }
            #[inline(always)]
            fn lane_sum<const PREFETCH: bool>(x: &[Self]) -> $wide {
                $total(ints::sum::<$t, $acc, PREFETCH>(x, $widen))
            }
            #[inline(always)]
            fn lane_scan<const PREFETCH: bool>(x: &[Self]) -> ($wide, Self, Self) {
                let (s, lo, hi) = ints::scan::<$t, $acc, PREFETCH>(x, $widen);
                ($total(s), lo, hi)
            }
        }
    };
}

// The accumulators of `CHUNK_LEN` = 2^15 elements. 8- and 16-bit values sum in 32 bits, twice as
// many to a vector as 64-bit ones: |Σ i16| ≤ 2^15 · 2^15 = 2^30 < 2^31 and
// Σ u16 ≤ 2^15 · (2^16 − 1) < 2^32. 32-bit values sum in 64 bits (|Σ| ≤ 2^46); 64-bit values in
// two 64-bit halves (`ints::Halves`). The bounds hold for every partial sum of a chunk, whichever
// lanes the vectorizer splits it into.
const _: () = assert!(
    CHUNK_LEN <= 1 << 15,
    "the accumulator bounds above assume it"
);
int!(i8, i128, i32, i32::from, i128::from);
int!(i16, i128, i32, i32::from, i128::from);
int!(u8, u128, u32, u32::from, u128::from);
int!(u16, u128, u32, u32::from, u128::from);
int!(i32, i128, i64, i64::from, i128::from);
int!(u32, u128, u64, u64::from, u128::from);
int!(i64, i128, Halves<i64>, Halves::of_i64, Halves::<i64>::total);
int!(u64, u128, Halves<u64>, Halves::of_u64, Halves::<u64>::total);
