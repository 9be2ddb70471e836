//! [`I64x8`], eight 64-bit lanes read as signed integers or as `f64` bit patterns, with one
//! implementation per instruction set (the file is named after the trait, as `f64x8.rs` is after
//! [`F64x8`](super::f64x8::F64x8)): the lanes of the exact moments' explicit pieces loop
//! (`square_rows.rs`), which mixes IEEE additions with integer sums, extremes and products on the
//! same registers.
//!
//! Only AVX2 and AVX-512 have the integer operations in vector registers (SSE2 lacks the 32-bit
//! unsigned extremes and the signed 32 × 32 → 64-bit product), so only they run that loop
//! ([`NATIVE`](I64x8::NATIVE)); the baseline keeps the auto-vectorized one. [`Portable64`] gives
//! every operation its reference meaning (plain arrays), for tests and Miri. Every operation is
//! lane-wise and exact (the float ones correctly rounded), so the ISA never changes a bit.

use super::element::Float;

/// Eight 64-bit lanes on one instruction set.
///
/// Every method is `unsafe`: the caller must run on a CPU with the implementing type's ISA
/// (checked once by the dispatch in `isa.rs`), and pointers must be valid for reading eight
/// elements (no alignment needed).
pub trait I64x8: Copy {
    /// Whether these lanes are vector registers with every operation one or two instructions:
    /// the explicit loop is then faster than the auto-vectorized one.
    const NATIVE: bool;
    /// All lanes `v`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn splat(v: i64) -> Self;
    /// The bit patterns of `p[0..8]` widened (exactly) to `f64`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `p` is valid for reading 8 `T`s.
    unsafe fn load<T: Float>(p: *const T) -> Self;
    /// Lane-wise wrapping `self + o` (integers).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn add(self, o: Self) -> Self;
    /// Lane-wise `self & o`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn and(self, o: Self) -> Self;
    /// Lane-wise `self ^ o`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn xor(self, o: Self) -> Self;
    /// Lane-wise logical shift right by one bit.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn shr1(self) -> Self;
    /// Lane-wise signed `self > o`: all bits set where it holds, none elsewhere.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn gt(self, o: Self) -> Self;
    /// Lane-wise `if mask { a } else { b }`, `mask` lanes all bits set or none (from
    /// [`gt`](Self::gt)).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn select(mask: Self, a: Self, b: Self) -> Self;
    /// Lane-wise signed `min(self, o)`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    #[inline(always)]
    unsafe fn min64(self, o: Self) -> Self {
        // SAFETY: forwarded.
        unsafe { Self::select(self.gt(o), o, self) }
    }
    /// Lane-wise signed `max(self, o)`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    #[inline(always)]
    unsafe fn max64(self, o: Self) -> Self {
        // SAFETY: forwarded.
        unsafe { Self::select(self.gt(o), self, o) }
    }
    /// The unsigned `max` of each 32-bit half of the lanes with the same half of `o` (one
    /// instruction on AVX2 as on AVX-512, where a 64-bit one takes three on AVX2).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn max32(self, o: Self) -> Self;
    /// The unsigned `min` of each 32-bit half, as [`max32`](Self::max32).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn min32(self, o: Self) -> Self;
    /// Lane-wise product of the low 32 bits of each lane as signed integers (exact in 64 bits).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn mul32(self, o: Self) -> Self;
    /// Lane-wise `self + o` of the lanes as `f64` (correctly rounded, never fused).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn add_f64(self, o: Self) -> Self;
    /// Lane-wise `self − o` of the lanes as `f64`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn sub_f64(self, o: Self) -> Self;
    /// The lanes in order.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn to_array(self) -> [i64; 8];
}

/// Plain arrays: the reference meaning of every operation. The lanes of the baseline, of other
/// architectures and of Miri (where the pieces take the auto-vectorized loop instead), and of the
/// tests that run the explicit loop there.
#[derive(Clone, Copy)]
pub struct Portable64([i64; 8]);

impl Portable64 {
    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(i64, i64) -> i64) -> Self {
        let mut r = self.0;
        for (r, o) in r.iter_mut().zip(o.0) {
            *r = f(*r, o);
        }
        Portable64(r)
    }
}

/// `f(a, b)` of the lanes as `f64`, as bits.
#[inline(always)]
fn as_f64(a: i64, b: i64, f: impl Fn(f64, f64) -> f64) -> i64 {
    f(f64::from_bits(a as u64), f64::from_bits(b as u64)).to_bits() as i64
}

/// `f` of the high halves of `a` and `b` and of their low halves, as one lane.
#[inline(always)]
fn halves(a: i64, b: i64, f: impl Fn(u32, u32) -> u32) -> i64 {
    let (a, b) = (a as u64, b as u64);
    let high = f((a >> 32) as u32, (b >> 32) as u32);
    let low = f(a as u32, b as u32);
    ((u64::from(high) << 32) | u64::from(low)) as i64
}

impl I64x8 for Portable64 {
    const NATIVE: bool = false;
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn splat(v: i64) -> Self {
        Portable64([v; 8])
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn load<T: Float>(p: *const T) -> Self {
        // SAFETY: the caller guarantees 8 readable `T`s at `p`.
        let v = unsafe { p.cast::<[T; 8]>().read_unaligned() };
        Portable64(v.map(|v| v.widen().to_bits() as i64))
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn add(self, o: Self) -> Self {
        self.zip(o, i64::wrapping_add)
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn and(self, o: Self) -> Self {
        self.zip(o, |a, b| a & b)
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn xor(self, o: Self) -> Self {
        self.zip(o, |a, b| a ^ b)
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn shr1(self) -> Self {
        self.zip(self, |a, _| ((a as u64) >> 1) as i64)
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn gt(self, o: Self) -> Self {
        self.zip(o, |a, b| -i64::from(a > b))
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn select(mask: Self, a: Self, b: Self) -> Self {
        let mut r = b.0;
        for ((r, m), a) in r.iter_mut().zip(mask.0).zip(a.0) {
            if m != 0 {
                *r = a;
            }
        }
        Portable64(r)
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn max32(self, o: Self) -> Self {
        self.zip(o, |a, b| halves(a, b, u32::max))
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn min32(self, o: Self) -> Self {
        self.zip(o, |a, b| halves(a, b, u32::min))
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn mul32(self, o: Self) -> Self {
        self.zip(o, |a, b| i64::from(a as i32) * i64::from(b as i32))
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn add_f64(self, o: Self) -> Self {
        self.zip(o, |a, b| as_f64(a, b, |a, b| a + b))
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn sub_f64(self, o: Self) -> Self {
        self.zip(o, |a, b| as_f64(a, b, |a, b| a - b))
    }
    #[inline(always)]
    /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
    unsafe fn to_array(self) -> [i64; 8] {
        self.0
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
pub use x86::{Avx2I64, Avx512I64};

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use super::{Float, I64x8};
    use std::arch::x86_64::*;

    /// Eight 64-bit lanes in one AVX-512 register. The intrinsics' target features are enabled by
    /// the `#[target_feature]` kernel these `#[inline(always)]` methods are inlined into.
    #[derive(Clone, Copy)]
    pub struct Avx512I64(__m512i);

    impl I64x8 for Avx512I64 {
        const NATIVE: bool = true;
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn splat(v: i64) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F.
            Avx512I64(unsafe { _mm512_set1_epi64(v) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn load<T: Float>(p: *const T) -> Self {
            // SAFETY: AVX-512F present; 8 readable `T`s at `p` (32 bytes for `f32`, 64 for
            // `f64`), read unaligned; the conversion of `f32` to `f64` is exact.
            Avx512I64(unsafe {
                if T::IS_F32 {
                    _mm512_castpd_si512(_mm512_cvtps_pd(_mm256_loadu_ps(p.cast())))
                } else {
                    _mm512_loadu_si512(p.cast())
                }
            })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn add(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F.
            Avx512I64(unsafe { _mm512_add_epi64(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn and(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F.
            Avx512I64(unsafe { _mm512_and_si512(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn xor(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F.
            Avx512I64(unsafe { _mm512_xor_si512(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn shr1(self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F.
            Avx512I64(unsafe { _mm512_srli_epi64::<1>(self.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn gt(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F and DQ (`vpmovm2q` turns the
            // compare's mask register into lanes).
            Avx512I64(unsafe { _mm512_movm_epi64(_mm512_cmpgt_epi64_mask(self.0, o.0)) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn select(mask: Self, a: Self, b: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F and DQ (`vpmovq2m` takes each
            // lane's top bit, set in every bit of a selected lane).
            Avx512I64(unsafe { _mm512_mask_blend_epi64(_mm512_movepi64_mask(mask.0), b.0, a.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn min64(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F (`vpminsq`).
            Avx512I64(unsafe { _mm512_min_epi64(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn max64(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F (`vpmaxsq`).
            Avx512I64(unsafe { _mm512_max_epi64(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn max32(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F (`vpmaxud`).
            Avx512I64(unsafe { _mm512_max_epu32(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn min32(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F (`vpminud`).
            Avx512I64(unsafe { _mm512_min_epu32(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn mul32(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F (`vpmuldq`: the signed low halves).
            Avx512I64(unsafe { _mm512_mul_epi32(self.0, o.0) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn add_f64(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX-512F; the casts move no bits.
            Avx512I64(unsafe {
                _mm512_castpd_si512(_mm512_add_pd(
                    _mm512_castsi512_pd(self.0),
                    _mm512_castsi512_pd(o.0),
                ))
            })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn sub_f64(self, o: Self) -> Self {
            // SAFETY: as `add_f64`.
            Avx512I64(unsafe {
                _mm512_castpd_si512(_mm512_sub_pd(
                    _mm512_castsi512_pd(self.0),
                    _mm512_castsi512_pd(o.0),
                ))
            })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn to_array(self) -> [i64; 8] {
            let mut out = [0i64; 8];
            // SAFETY: AVX-512F present; `out` has room for 64 bytes, written unaligned.
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), self.0) };
            out
        }
    }

    /// Eight 64-bit lanes in two AVX2 registers.
    #[derive(Clone, Copy)]
    pub struct Avx2I64([__m256i; 2]);

    impl Avx2I64 {
        /// `f` on each register.
        #[inline(always)]
        fn each(self, o: Self, f: impl Fn(__m256i, __m256i) -> __m256i) -> Self {
            Avx2I64([f(self.0[0], o.0[0]), f(self.0[1], o.0[1])])
        }
    }

    impl I64x8 for Avx2I64 {
        const NATIVE: bool = true;
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn splat(v: i64) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2.
            let r = unsafe { _mm256_set1_epi64x(v) };
            Avx2I64([r, r])
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn load<T: Float>(p: *const T) -> Self {
            // SAFETY: AVX2 present; 8 readable `T`s at `p`, each half read unaligned; the
            // conversion of `f32` to `f64` is exact.
            unsafe {
                if T::IS_F32 {
                    let q = p.cast::<f32>();
                    Avx2I64([
                        _mm256_castpd_si256(_mm256_cvtps_pd(_mm_loadu_ps(q))),
                        _mm256_castpd_si256(_mm256_cvtps_pd(_mm_loadu_ps(q.add(4)))),
                    ])
                } else {
                    let q = p.cast::<__m256i>();
                    Avx2I64([_mm256_loadu_si256(q), _mm256_loadu_si256(q.add(1))])
                }
            }
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn add(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2.
            self.each(o, |a, b| unsafe { _mm256_add_epi64(a, b) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn and(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2.
            self.each(o, |a, b| unsafe { _mm256_and_si256(a, b) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn xor(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2.
            self.each(o, |a, b| unsafe { _mm256_xor_si256(a, b) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn shr1(self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2.
            self.each(self, |a, _| unsafe { _mm256_srli_epi64::<1>(a) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn gt(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2 (`vpcmpgtq`).
            self.each(o, |a, b| unsafe { _mm256_cmpgt_epi64(a, b) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn select(mask: Self, a: Self, b: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2; a selected lane has every byte's top
            // bit set, the byte blend's test.
            let pick = |i: usize| unsafe { _mm256_blendv_epi8(b.0[i], a.0[i], mask.0[i]) };
            Avx2I64([pick(0), pick(1)])
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn max32(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2 (`vpmaxud`).
            self.each(o, |a, b| unsafe { _mm256_max_epu32(a, b) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn min32(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2 (`vpminud`).
            self.each(o, |a, b| unsafe { _mm256_min_epu32(a, b) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn mul32(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2 (`vpmuldq`: the signed low halves).
            self.each(o, |a, b| unsafe { _mm256_mul_epi32(a, b) })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn add_f64(self, o: Self) -> Self {
            // SAFETY: the caller runs on a CPU with AVX2; the casts move no bits.
            self.each(o, |a, b| unsafe {
                _mm256_castpd_si256(_mm256_add_pd(
                    _mm256_castsi256_pd(a),
                    _mm256_castsi256_pd(b),
                ))
            })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn sub_f64(self, o: Self) -> Self {
            // SAFETY: as `add_f64`.
            self.each(o, |a, b| unsafe {
                _mm256_castpd_si256(_mm256_sub_pd(
                    _mm256_castsi256_pd(a),
                    _mm256_castsi256_pd(b),
                ))
            })
        }
        #[inline(always)]
        /// # Safety: as on [`I64x8`] (this type's ISA present; pointers readable).
        unsafe fn to_array(self) -> [i64; 8] {
            let mut out = [0i64; 8];
            // SAFETY: AVX2 present; `out` has room for two 32-byte stores, written unaligned.
            unsafe {
                let q = out.as_mut_ptr().cast::<__m256i>();
                _mm256_storeu_si256(q, self.0[0]);
                _mm256_storeu_si256(q.add(1), self.0[1]);
            }
            out
        }
    }
}

/// The lanes of each [`Isa`](crate::kernels::Isa), named as `isa_dispatch!` expects.
pub mod isa {
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    pub use super::Portable64 as Baseline;
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    pub use super::{Avx2I64 as Avx2, Avx512I64 as Avx512, Portable64 as Baseline};
    #[cfg(all(target_arch = "x86_64", miri))]
    pub use super::{Portable64 as Avx2, Portable64 as Avx512};
}
