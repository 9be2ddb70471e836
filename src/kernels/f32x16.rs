//! [`F32x16`], sixteen `f32` lanes as one value, with one implementation per instruction set (the
//! file is named after the trait, as `f64x8.rs` is after [`F64x8`](super::f64x8::F64x8)): the
//! running extremes of `f32` statistics, kept in `f32`.
//!
//! The statistics' first pass widens every element to `f64` for the sum; its min and max need no
//! widening, because widening is exact and keeps the order (`min` of the widened values is the
//! widened `min`). Taking them on the `f32` row itself halves their instructions: one 16-lane
//! row is one AVX-512 register (two AVX2, four SSE2 ones) instead of two `F64x8`. `min`/`max` have
//! the x86 `MINPS`/`MAXPS` semantics, as [`F64x8`](super::f64x8::F64x8)'s: used only on NaN-free
//! data, with `±0.0` ties resolved by the caller.

/// Sixteen `f32` lanes on one instruction set (the [`F64x8::F32`](super::f64x8::F64x8::F32) of
/// that set's `F64x8`).
///
/// Every method is `unsafe`: the caller must run on a CPU with the implementing type's ISA, and
/// pointers must be valid for reading sixteen `f32`s (no alignment needed).
pub trait F32x16: Copy {
    /// All lanes `v`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn splat(v: f32) -> Self;
    /// Lanes `p[0..16]`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `p` is valid for reading 16 `f32`s.
    unsafe fn load(p: *const f32) -> Self;
    /// Lane-wise `if self < o { self } else { o }`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn min(self, o: Self) -> Self;
    /// Lane-wise `if self > o { self } else { o }`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn max(self, o: Self) -> Self;
    /// The lanes in order.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn to_array(self) -> [f32; 16];
}

/// Plain arrays: the reference semantics, for `Portable` (off x86-64 and under Miri).
#[derive(Clone, Copy)]
#[cfg_attr(all(target_arch = "x86_64", not(miri)), allow(dead_code))]
pub struct Portable32([f32; 16]);

impl F32x16 for Portable32 {
    #[inline(always)]
    /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
    unsafe fn splat(v: f32) -> Self {
        Portable32([v; 16])
    }
    #[inline(always)]
    /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 16 readable `f32`s at `p`.
        Portable32(unsafe { p.cast::<[f32; 16]>().read_unaligned() })
    }
    #[inline(always)]
    /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
    unsafe fn min(self, o: Self) -> Self {
        Portable32(std::array::from_fn(|i| {
            let (a, b) = (self.0[i], o.0[i]);
            if a < b {
                a
            } else {
                b
            }
        }))
    }
    #[inline(always)]
    /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
    unsafe fn max(self, o: Self) -> Self {
        Portable32(std::array::from_fn(|i| {
            let (a, b) = (self.0[i], o.0[i]);
            if a > b {
                a
            } else {
                b
            }
        }))
    }
    #[inline(always)]
    /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
    unsafe fn to_array(self) -> [f32; 16] {
        self.0
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
pub use x86::{Avx2F32, Avx512F32, Sse2F32};

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use super::F32x16;
    use std::arch::x86_64::*;

    /// Defines an `F32x16` made of `[$reg; N]`, one intrinsic per part, as `f64x8.rs`'s `parts!`
    /// does for `F64x8` (the intrinsics' target features come from the `#[target_feature]`
    /// kernels these `#[inline(always)]` methods are inlined into).
    macro_rules! parts32 {
        ($name:ident, $reg:ty, $n:literal, $isa:literal, splat $splat:ident, load $load:ident,
         min $min:ident, max $max:ident, store $store:ident) => {
            #[doc = concat!("Sixteen `f32` lanes in ", stringify!($n), " ", $isa, " registers.")]
            #[derive(Clone, Copy)]
            pub struct $name([$reg; $n]);

            impl F32x16 for $name {
                #[inline(always)]
                /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
                unsafe fn splat(v: f32) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA.
                    $name([unsafe { $splat(v) }; $n])
                }
                #[inline(always)]
                /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
                unsafe fn load(p: *const f32) -> Self {
                    const W: usize = 16 / $n;
                    // SAFETY: the caller guarantees the ISA and 16 readable `f32`s at `p`; part
                    // i reads `p[i*W..(i+1)*W]`, unaligned.
                    $name(std::array::from_fn(|i| unsafe { $load(p.add(i * W)) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
                unsafe fn min(self, o: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA. MINPS returns the first
                    // operand only where it is less than the second: `if a < b { a } else { b }`.
                    $name(std::array::from_fn(|i| unsafe { $min(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
                unsafe fn max(self, o: Self) -> Self {
                    // SAFETY: as `min`; MAXPS is `if a > b { a } else { b }`.
                    $name(std::array::from_fn(|i| unsafe { $max(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F32x16`] (this type's ISA present; pointers readable).
                unsafe fn to_array(self) -> [f32; 16] {
                    const W: usize = 16 / $n;
                    let mut out = [0.0f32; 16];
                    for (i, part) in self.0.into_iter().enumerate() {
                        // SAFETY: the ISA as above; `out[i*W..(i+1)*W]` is in bounds.
                        unsafe { $store(out.as_mut_ptr().add(i * W), part) };
                    }
                    out
                }
            }
        };
    }

    parts32!(Sse2F32, __m128, 4, "SSE2", splat _mm_set1_ps, load _mm_loadu_ps,
        min _mm_min_ps, max _mm_max_ps, store _mm_storeu_ps);
    parts32!(Avx2F32, __m256, 2, "AVX2", splat _mm256_set1_ps, load _mm256_loadu_ps,
        min _mm256_min_ps, max _mm256_max_ps, store _mm256_storeu_ps);
    parts32!(Avx512F32, __m512, 1, "AVX-512F", splat _mm512_set1_ps, load _mm512_loadu_ps,
        min _mm512_min_ps, max _mm512_max_ps, store _mm512_storeu_ps);
}
