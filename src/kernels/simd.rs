//! Eight `f64` lanes as one value, for the hand-vectorized kernels in `vector.rs`.
//!
//! LLVM vectorizes the portable 16-lane loops of `lanes.rs` with 128-bit registers only (even
//! under AVX-512), and cannot turn the total-order min/max of the reference statistics into
//! `vminpd`/`vmaxpd`. These types spell the same IEEE operations with explicit registers: one
//! 512-bit register, two 256-bit ones, or four 128-bit ones per eight lanes; `Portable` (plain
//! arrays) serves other architectures and Miri. Every operation is lane-wise and exactly rounded,
//! so the ISA changes the speed, never the bits.
//!
//! `min`/`max` have the x86 `MINPD` semantics (`if a < b { a } else { b }`), implemented the same
//! way by `Portable`; the callers use them only on NaN-free data and resolve `±0.0` ties
//! themselves, so which zero comes out never reaches a result.

/// Eight `f64` lanes on one instruction set.
///
/// Every method is `unsafe`: the caller must run on a CPU with the implementing type's ISA
/// (checked once by the dispatch in `lanes.rs`), and pointers must be valid for reading eight
/// elements (no alignment needed).
pub trait F64x8: Copy {
    /// All lanes `v`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn splat(v: f64) -> Self;
    /// Lanes `p[0..8]`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `p` is valid for reading 8 `f64`s.
    unsafe fn load(p: *const f64) -> Self;
    /// Lanes `p[0..8]` widened (exactly) to `f64`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `p` is valid for reading 8 `f32`s.
    unsafe fn load_f32(p: *const f32) -> Self;
    /// Lane-wise `self + o`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn add(self, o: Self) -> Self;
    /// Lane-wise `self - o`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn sub(self, o: Self) -> Self;
    /// Lane-wise `self * o` (never fused with an add).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn mul(self, o: Self) -> Self;
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
    unsafe fn to_array(self) -> [f64; 8];
}

/// A hint that the cache line holding `p` will be read soon. Never faults and has no effect on
/// program behaviour, so `p` may point anywhere (it is computed with `wrapping_add`).
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `prefetcht0` is SSE (baseline on x86-64); it reads no memory architecturally and
    // cannot fault, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = p;
}

/// Plain arrays: the reference semantics of every operation. The vector type off x86-64 and under
/// Miri; on x86-64 the unit tests compare the others with it.
#[derive(Clone, Copy)]
#[cfg_attr(all(target_arch = "x86_64", not(miri)), allow(dead_code))]
pub struct Portable([f64; 8]);

#[cfg_attr(all(target_arch = "x86_64", not(miri)), allow(dead_code))]
impl Portable {
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        let mut r = self.0;
        for (r, o) in r.iter_mut().zip(o.0) {
            *r = f(*r, o);
        }
        Portable(r)
    }
}

impl F64x8 for Portable {
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn splat(v: f64) -> Self {
        Portable([v; 8])
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn load(p: *const f64) -> Self {
        // SAFETY: the caller guarantees 8 readable `f64`s at `p`.
        Portable(unsafe { p.cast::<[f64; 8]>().read_unaligned() })
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn load_f32(p: *const f32) -> Self {
        // SAFETY: the caller guarantees 8 readable `f32`s at `p`.
        Portable(unsafe { p.cast::<[f32; 8]>().read_unaligned() }.map(f64::from))
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn add(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn sub(self, o: Self) -> Self {
        self.zip(o, |a, b| a - b)
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn mul(self, o: Self) -> Self {
        self.zip(o, |a, b| a * b)
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn min(self, o: Self) -> Self {
        self.zip(o, |a, b| if a < b { a } else { b })
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn max(self, o: Self) -> Self {
        self.zip(o, |a, b| if a > b { a } else { b })
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn to_array(self) -> [f64; 8] {
        self.0
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
pub use x86::{Avx2, Avx512, Sse2};

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use super::F64x8;
    use std::arch::x86_64::*;

    /// Defines an `F64x8` made of `[$reg; N]`: lane-wise operations map over the parts.
    /// `$load`/`$load_f32` read one part; every other method names one intrinsic per part. The
    /// intrinsics' own target features are enabled by the `#[target_feature]` kernels these
    /// `#[inline(always)]` methods are inlined into (the dispatch in `lanes.rs`).
    macro_rules! parts {
        ($name:ident, $reg:ty, $n:literal, $isa:literal,
         splat $splat:ident, load $load:ident, load_f32 |$q:ident| $load_f32:expr,
         add $add:ident, sub $sub:ident, mul $mul:ident, min $min:ident, max $max:ident,
         store $store:ident) => {
            #[doc = concat!("Eight `f64` lanes in ", stringify!($n), " ", $isa, " registers.")]
            #[derive(Clone, Copy)]
            pub struct $name([$reg; $n]);

            impl F64x8 for $name {
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn splat(v: f64) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA.
                    $name([unsafe { $splat(v) }; $n])
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn load(p: *const f64) -> Self {
                    const W: usize = 8 / $n;
                    // SAFETY: the caller guarantees the ISA and 8 readable `f64`s at `p`; part i
                    // reads `p[i*W..(i+1)*W]`, unaligned.
                    $name(std::array::from_fn(|i| unsafe { $load(p.add(i * W)) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn load_f32(p: *const f32) -> Self {
                    const W: usize = 8 / $n;
                    // SAFETY: as `load`, over 8 readable `f32`s; part i converts `p[i*W..]`.
                    $name(std::array::from_fn(|i| unsafe {
                        let $q = p.add(i * W);
                        $load_f32
                    }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn add(self, o: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA.
                    $name(std::array::from_fn(|i| unsafe { $add(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn sub(self, o: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA.
                    $name(std::array::from_fn(|i| unsafe { $sub(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn mul(self, o: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA.
                    $name(std::array::from_fn(|i| unsafe { $mul(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn min(self, o: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA. MINPD returns the first
                    // operand only where it is less than the second: `if a < b { a } else { b }`.
                    $name(std::array::from_fn(|i| unsafe { $min(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn max(self, o: Self) -> Self {
                    // SAFETY: as `min`; MAXPD is `if a > b { a } else { b }`.
                    $name(std::array::from_fn(|i| unsafe { $max(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn to_array(self) -> [f64; 8] {
                    const W: usize = 8 / $n;
                    let mut out = [0.0f64; 8];
                    for (i, part) in self.0.into_iter().enumerate() {
                        // SAFETY: the ISA as above; `out[i*W..(i+1)*W]` is in bounds.
                        unsafe { $store(out.as_mut_ptr().add(i * W), part) };
                    }
                    out
                }
            }
        };
    }

    parts!(Sse2, __m128d, 4, "SSE2",
        splat _mm_set1_pd, load _mm_loadu_pd,
        load_f32 |q| _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(q.cast()))),
        add _mm_add_pd, sub _mm_sub_pd, mul _mm_mul_pd, min _mm_min_pd, max _mm_max_pd,
        store _mm_storeu_pd);
    parts!(Avx2, __m256d, 2, "AVX2",
        splat _mm256_set1_pd, load _mm256_loadu_pd,
        load_f32 |q| _mm256_cvtps_pd(_mm_loadu_ps(q)),
        add _mm256_add_pd, sub _mm256_sub_pd, mul _mm256_mul_pd, min _mm256_min_pd,
        max _mm256_max_pd, store _mm256_storeu_pd);
    parts!(Avx512, __m512d, 1, "AVX-512F",
        splat _mm512_set1_pd, load _mm512_loadu_pd,
        load_f32 |q| _mm512_cvtps_pd(_mm256_loadu_ps(q)),
        add _mm512_add_pd, sub _mm512_sub_pd, mul _mm512_mul_pd, min _mm512_min_pd,
        max _mm512_max_pd, store _mm512_storeu_pd);
}

/// The vector type each [`Isa`](crate::kernels::Isa) runs (the dispatch in `lanes.rs` names these).
/// Under Miri and off x86-64 all are `Portable`: Miri interprets no vendor intrinsics, and the other
/// ISAs are never reported as supported there.
pub mod isa {
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    pub use super::Portable as Baseline;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    pub use super::{Avx2, Avx512, Sse2 as Baseline};
    #[cfg(all(target_arch = "x86_64", miri))]
    pub use super::{Portable as Avx2, Portable as Avx512};
}
