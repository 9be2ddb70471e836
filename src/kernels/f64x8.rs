//! [`F64x8`], eight `f64` lanes as one value, with one implementation per instruction set (the
//! file is named after the trait): the vector type of the hand-vectorized passes in `passes.rs`.
//! Beside it, [`isa`] maps each [`Isa`](crate::kernels::Isa) to its type, and [`prefetch`] is the
//! hint the streaming passes issue.
//!
//! LLVM vectorizes the portable 16-lane loops of `tree.rs` with 128-bit registers only (even
//! under AVX-512), and cannot turn the total-order min/max of the reference statistics into
//! `vminpd`/`vmaxpd`. These types spell the same IEEE operations with explicit registers: one
//! 512-bit register, two 256-bit ones, or four 128-bit ones per eight lanes; `Portable` (plain
//! arrays) serves other architectures and Miri. Every operation is lane-wise and exactly rounded,
//! so the ISA changes the speed, never the bits.
//!
//! `min`/`max` have the x86 `MINPD` semantics (`if a < b { a } else { b }`), implemented the same
//! way by `Portable`; the callers use them only on NaN-free data and resolve `±0.0` ties
//! themselves, so which zero comes out never reaches a result.

use super::f32x16::{F32x16, Portable32};

/// Eight `f64` lanes on one instruction set.
///
/// Every method is `unsafe`: the caller must run on a CPU with the implementing type's ISA
/// (checked once by the dispatch in `isa.rs`), and pointers must be valid for reading eight
/// elements (no alignment needed).
pub trait F64x8: Copy {
    /// Sixteen `f32` lanes on the same ISA, for the `f32` statistics' extremes (`f32x16.rs`).
    type F32: F32x16;
    /// How many blocks the passes that gain from it work on at once (1, 2 or 4): each block
    /// brings two more independent add chains, which CPUs with a long vector-add latency need to
    /// keep their adders busy, as long as the registers hold every block's accumulators without
    /// spilling. It changes no operation, only their interleaving. AVX-512 takes 4 (8 chains, 8
    /// of its 32 registers): with 1 or 2 an L2-resident AVX-512 sum is hardly faster than SSE2's,
    /// with 4 clearly so (docs/performance.md, "Tuned constants", blocks per AVX-512 step).
    const BLOCKS: usize;
    /// Whether the sum should read an `f64` block that does not start on a cache line as whole
    /// lines into rotated lanes (`passes::Shifted`) instead of with loads that straddle two
    /// lines: where a straddling load costs two (AVX-512: every 64-byte load of such a block;
    /// AVX2: every other 32-byte one when the block is 16 bytes off, as a `Vec<f64>` usually is).
    const SHIFTED_LINES: bool = false;
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
    /// Lanes `p[0..8]` converted (exactly) to `f64`.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `p` is valid for reading 8 `i32`s.
    unsafe fn load_i32(p: *const i32) -> Self;
    /// Lanes `p[0..8]` each converted as `v as f64` (one rounding to nearest), where the ISA has
    /// a 64-bit integer conversion (AVX-512DQ's `VCVTQQ2PD`); `None` elsewhere, and the caller
    /// builds the lanes from 32-bit halves (`element::Lanes for i64`).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `p` is valid for reading 8 `i64`s.
    #[inline(always)]
    unsafe fn load_i64(p: *const i64) -> Option<Self> {
        let _ = p;
        None
    }
    /// [`load_i64`](Self::load_i64) for `u64` (`VCVTUQQ2PD`).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `p` is valid for reading 8 `u64`s.
    #[inline(always)]
    unsafe fn load_u64(p: *const u64) -> Option<Self> {
        let _ = p;
        None
    }
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
    /// Lane-wise bitwise OR of the `f64` bit patterns.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn or_bits(self, o: Self) -> Self;
    /// Lane-wise bitwise AND of the `f64` bit patterns.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn and_bits(self, o: Self) -> Self;
    /// The lanes in order.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn to_array(self) -> [f64; 8];
    /// The last three steps of the contract's lane fold over these eight lanes: lane i + lane
    /// i+4, then i + i+2, then i + i+1; returns lane 0 (what `tree::fold::<8>` of the array
    /// gives), with register shuffles instead of a round trip through memory.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    unsafe fn fold(self) -> f64;
    /// Lanes `lo..hi` of `p[0..8]` in lanes `lo..hi`, −0.0 in the others; reads only
    /// `p[lo..hi]` (so `p` itself may point outside the allocation, computed with `wrapping_sub`).
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA; `lo <= hi <= 8`; `p.wrapping_add(i)` is valid for
    /// reading an `f64` for every `i` in `lo..hi`.
    #[inline(always)]
    unsafe fn load_part(p: *const f64, lo: usize, hi: usize) -> Self {
        let mut lanes = [-0.0f64; 8];
        for (i, lane) in lanes.iter_mut().enumerate().take(hi).skip(lo) {
            // SAFETY: `i` is in `lo..hi`, readable by the caller's guarantee.
            *lane = unsafe { p.wrapping_add(i).read_unaligned() };
        }
        // SAFETY: the ISA is the caller's guarantee; `lanes` holds 8 readable `f64`s.
        unsafe { Self::load(lanes.as_ptr()) }
    }
    /// [`fold`](Self::fold) of each of eight vectors (eight blocks), in order. ISAs with wide
    /// shuffles fold them together, transposing as they go: the same additions, fewer
    /// instructions.
    ///
    /// # Safety
    ///
    /// The CPU supports this type's ISA.
    #[inline(always)]
    unsafe fn fold_each(v: [Self; 8]) -> [f64; 8] {
        let mut out = [0.0; 8];
        // A loop, not `array::map`: `map` calls its closure through a std wrapper compiled
        // without the kernel's target features, which LLVM does not always inline, and where it
        // does not, every vector operation becomes a call (the AVX2 sum then runs at half speed).
        for (out, v) in out.iter_mut().zip(v) {
            // SAFETY: forwarded.
            *out = unsafe { v.fold() };
        }
        out
    }
}

/// A hint that the cache line holding `p` will be read soon, into L2 (`prefetcht1`): the
/// streaming passes ask [`PREFETCH_BYTES`] ahead, further than L1
/// should hold, and the hardware brings the line on into L1. Never faults and has no effect on
/// program behaviour, so `p` may point anywhere (it is computed with `wrapping_add`).
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: `prefetcht1` is SSE (baseline on x86-64); it reads no memory architecturally and
    // cannot fault, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(p.cast());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = p;
}

/// How far ahead of the row being read the streaming passes prefetch (into L2, see
/// [`prefetch`]): far enough ahead to hide the memory latency at the rate one core reads. 4 KiB
/// into L2 keeps a 1 GiB sum at the speed of the read-bandwidth loop; 2–3 KiB into L1
/// (`prefetcht0`) does as well on some CPUs and falls short on others, so one distance and hint
/// serve every CPU (docs/performance.md, "Tuned constants").
pub(crate) const PREFETCH_BYTES: usize = 4096;

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
    type F32 = Portable32;
    const BLOCKS: usize = 1;
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
    unsafe fn load_i32(p: *const i32) -> Self {
        // SAFETY: the caller guarantees 8 readable `i32`s at `p`.
        Portable(unsafe { p.cast::<[i32; 8]>().read_unaligned() }.map(f64::from))
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
    unsafe fn or_bits(self, o: Self) -> Self {
        self.zip(o, |a, b| f64::from_bits(a.to_bits() | b.to_bits()))
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn and_bits(self, o: Self) -> Self {
        self.zip(o, |a, b| f64::from_bits(a.to_bits() & b.to_bits()))
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn to_array(self) -> [f64; 8] {
        self.0
    }
    #[inline(always)]
    /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
    unsafe fn fold(self) -> f64 {
        crate::kernels::tree::fold(self.0)
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
pub use x86::{Avx2, Avx512, Sse2};

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod x86 {
    use super::F64x8;
    use crate::kernels::f32x16::{Avx2F32, Avx512F32, Sse2F32};
    use std::arch::x86_64::*;

    /// Defines an `F64x8` made of `[$reg; N]`: lane-wise operations map over the parts.
    /// `$load`/`$load_f32` read one part; every other method names one intrinsic per part. The
    /// intrinsics' own target features are enabled by the `#[target_feature]` kernels these
    /// `#[inline(always)]` methods are inlined into (the dispatch in `isa.rs`).
    macro_rules! parts {
        ($name:ident, $reg:ty, $n:literal, $isa:literal, f32 $f32:ty, blocks $blocks:literal,
         splat $splat:ident, load $load:ident, load_f32 |$q:ident| $load_f32:expr,
         load_i32 |$qi:ident| $load_i32:expr,
         add $add:ident, sub $sub:ident, mul $mul:ident, min $min:ident, max $max:ident,
         or $or:ident, and $and:ident,
         store $store:ident, fold |$parts:ident| $fold:expr
         $(, fold_each |$each:ident| $fold_each:expr)?
         $(, shifted_lines load_part |$lp:ident, $llo:ident, $lhi:ident| $load_part:expr)?
         $(, load_64 |$q64:ident| $load_i64:expr, $load_u64:expr)?) => {
            #[doc = concat!("Eight `f64` lanes in ", stringify!($n), " ", $isa, " registers.")]
            #[derive(Clone, Copy)]
            pub struct $name([$reg; $n]);

            impl F64x8 for $name {
                type F32 = $f32;
                const BLOCKS: usize = $blocks;
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
                unsafe fn load_i32(p: *const i32) -> Self {
                    const W: usize = 8 / $n;
                    // SAFETY: as `load`, over 8 readable `i32`s; part i converts `p[i*W..]`.
                    $name(std::array::from_fn(|i| unsafe {
                        let $qi = p.add(i * W);
                        $load_i32
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
                unsafe fn or_bits(self, o: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA.
                    $name(std::array::from_fn(|i| unsafe { $or(self.0[i], o.0[i]) }))
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn and_bits(self, o: Self) -> Self {
                    // SAFETY: the caller runs on a CPU with this ISA.
                    $name(std::array::from_fn(|i| unsafe { $and(self.0[i], o.0[i]) }))
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
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn fold(self) -> f64 {
                    let $parts = self.0;
                    // SAFETY: the caller runs on a CPU with this ISA.
                    unsafe { $fold }
                }
                $(
                #[inline(always)]
                /// # Safety: as on [`F64x8`] (this type's ISA present; pointers readable).
                unsafe fn fold_each(v: [Self; 8]) -> [f64; 8] {
                    let $each = v;
                    // SAFETY: the caller runs on a CPU with this ISA.
                    unsafe { $fold_each }
                }
                )?
                $(
                const SHIFTED_LINES: bool = true;
                #[inline(always)]
                /// # Safety: as on [`F64x8::load_part`].
                unsafe fn load_part($lp: *const f64, $llo: usize, $lhi: usize) -> Self {
                    // SAFETY: the caller guarantees the ISA and that `p[lo..hi]` is readable;
                    // the masked load reads only those lanes and does not fault on the others.
                    unsafe { $load_part }
                }
                )?
                $(
                #[inline(always)]
                /// # Safety: as on [`F64x8::load_i64`].
                unsafe fn load_i64($q64: *const i64) -> Option<Self> {
                    // SAFETY: the caller guarantees the ISA and 8 readable `i64`s at `p`.
                    Some(unsafe { $load_i64 })
                }
                #[inline(always)]
                /// # Safety: as on [`F64x8::load_u64`].
                unsafe fn load_u64($q64: *const u64) -> Option<Self> {
                    // SAFETY: as `load_i64`, over 8 readable `u64`s.
                    Some(unsafe { $load_u64 })
                }
                )?
            }
        };
    }

    /// Lanes 0 + 1 of `x`: the fold's last step.
    ///
    /// # Safety
    ///
    /// SSE2 (baseline on x86-64).
    #[inline(always)]
    unsafe fn add_pair(x: __m128d) -> f64 {
        // SAFETY: SSE2 is baseline on x86-64.
        unsafe { _mm_cvtsd_f64(_mm_add_sd(x, _mm_unpackhi_pd(x, x))) }
    }

    /// Lanes `first..first + 4` of [`F64x8::load_part`] for AVX2: a masked load (`VMASKMOVPD`,
    /// which reads only the lanes in `lo..hi` and returns +0.0 in the others), then the sign bit
    /// set in the others to make them −0.0. Inlined into the AVX2 kernels.
    ///
    /// # Safety
    ///
    /// The CPU supports AVX; `p.wrapping_add(i)` is readable for every `i` in `lo..hi`.
    #[inline(always)]
    unsafe fn part4(p: *const f64, lo: usize, hi: usize, first: usize) -> __m256d {
        let on = |i: usize| -i64::from((lo..hi).contains(&(first + i)));
        // SAFETY: the caller guarantees AVX and the lanes read; masked-off lanes are not read.
        unsafe {
            let keep = _mm256_set_epi64x(on(3), on(2), on(1), on(0));
            let x = _mm256_maskload_pd(p.wrapping_add(first), keep);
            let off = _mm256_andnot_pd(_mm256_castsi256_pd(keep), _mm256_set1_pd(-0.0));
            _mm256_or_pd(x, off)
        }
    }

    /// Bitwise OR of two `__m512d` with AVX-512F only (`_mm512_or_pd` needs AVX-512DQ).
    ///
    /// # Safety
    ///
    /// The CPU supports AVX-512F.
    #[inline(always)]
    unsafe fn or512(a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: the caller guarantees AVX-512F; the casts are free reinterpretations.
        unsafe {
            _mm512_castsi512_pd(_mm512_or_si512(
                _mm512_castpd_si512(a),
                _mm512_castpd_si512(b),
            ))
        }
    }

    /// Bitwise AND of two `__m512d` with AVX-512F only, as [`or512`].
    ///
    /// # Safety
    ///
    /// The CPU supports AVX-512F.
    #[inline(always)]
    unsafe fn and512(a: __m512d, b: __m512d) -> __m512d {
        // SAFETY: as in `or512`.
        unsafe {
            _mm512_castsi512_pd(_mm512_and_si512(
                _mm512_castpd_si512(a),
                _mm512_castpd_si512(b),
            ))
        }
    }

    /// Lanes i + i+2 of `y` (i = 0, 1), then [`add_pair`]. Like the methods, inlined into the
    /// AVX2/AVX-512 kernels, whose target features its intrinsics then use.
    ///
    /// # Safety
    ///
    /// The CPU supports AVX.
    #[inline(always)]
    unsafe fn fold4(y: __m256d) -> f64 {
        // SAFETY: AVX as the caller guarantees.
        unsafe {
            add_pair(_mm_add_pd(
                _mm256_castpd256_pd128(y),
                _mm256_extractf128_pd::<1>(y),
            ))
        }
    }

    /// `[x0..3 | y0..3] + [x4..7 | y4..7]`, by 128-bit quarters (see [`fold_each_512`]).
    ///
    /// # Safety
    ///
    /// The CPU supports AVX-512F (inlined into the AVX-512 kernels).
    #[inline(always)]
    unsafe fn step4(x: __m512d, y: __m512d) -> __m512d {
        // SAFETY: AVX-512F as the caller guarantees.
        unsafe {
            _mm512_add_pd(
                _mm512_shuffle_f64x2::<0b01_00_01_00>(x, y),
                _mm512_shuffle_f64x2::<0b11_10_11_10>(x, y),
            )
        }
    }

    /// Quarters `[x0, x2, y0, y2] + [x1, x3, y1, y3]` (see [`fold_each_512`]).
    ///
    /// # Safety
    ///
    /// The CPU supports AVX-512F (inlined into the AVX-512 kernels).
    #[inline(always)]
    unsafe fn step2(x: __m512d, y: __m512d) -> __m512d {
        // SAFETY: AVX-512F as the caller guarantees.
        unsafe {
            _mm512_add_pd(
                _mm512_shuffle_f64x2::<0b10_00_10_00>(x, y),
                _mm512_shuffle_f64x2::<0b11_01_11_01>(x, y),
            )
        }
    }

    /// Eight `fold`s at once: vector `b`'s fold lands in lane `b`. Each step adds the same lane
    /// pairs as `fold` (i + i+4, then i + i+2, then i + i+1, lower lane on the left), after
    /// shuffles that bring eight blocks' pairs side by side.
    ///
    /// # Safety
    ///
    /// The CPU supports AVX-512F (inlined into the AVX-512 kernels).
    #[inline(always)]
    unsafe fn fold_each_512(v: [__m512d; 8]) -> [f64; 8] {
        // SAFETY: AVX-512F as the caller guarantees.
        unsafe {
            // i + i+4 for two vectors x, y: [x0..3 | y0..3] + [x4..7 | y4..7] (128-bit quarters
            // 0,1 of x and y, then 2,3), so lanes 0–3 hold x's four sums and 4–7 y's.
            let [a, b, c, d, e, f, g, h] = v;
            let (ab, cd, ef, gh) = (step4(a, b), step4(c, d), step4(e, f), step4(g, h));
            // i + i+2 for four vectors: quarters (0, 2) of ab and cd hold lanes 0–1 of a, b,
            // c, d; quarters (1, 3) their lanes 2–3. Quarter k of the sum is vector k's pair.
            let (abcd, efgh) = (step2(ab, cd), step2(ef, gh));
            // i + i+1: even lanes + odd lanes of the eight pairs, in vector order.
            let even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
            let odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
            let sums = _mm512_add_pd(
                _mm512_permutex2var_pd(abcd, even, efgh),
                _mm512_permutex2var_pd(abcd, odd, efgh),
            );
            let mut out = [0.0f64; 8];
            _mm512_storeu_pd(out.as_mut_ptr(), sums);
            out
        }
    }

    parts!(Sse2, __m128d, 4, "SSE2", f32 Sse2F32, blocks 1,
        splat _mm_set1_pd, load _mm_loadu_pd,
        load_f32 |q| _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(q.cast()))),
        load_i32 |q| _mm_cvtepi32_pd(_mm_loadl_epi64(q.cast())),
        add _mm_add_pd, sub _mm_sub_pd, mul _mm_mul_pd, min _mm_min_pd, max _mm_max_pd,
        or _mm_or_pd, and _mm_and_pd,
        store _mm_storeu_pd,
        // Parts hold lanes 0–1, 2–3, 4–5, 6–7: i + i+4 pairs part 0 with 2 and 1 with 3.
        fold |p| add_pair(_mm_add_pd(_mm_add_pd(p[0], p[2]), _mm_add_pd(p[1], p[3]))));
    parts!(Avx2, __m256d, 2, "AVX2", f32 Avx2F32, blocks 1,
        splat _mm256_set1_pd, load _mm256_loadu_pd,
        load_f32 |q| _mm256_cvtps_pd(_mm_loadu_ps(q)),
        load_i32 |q| _mm256_cvtepi32_pd(_mm_loadu_si128(q.cast())),
        add _mm256_add_pd, sub _mm256_sub_pd, mul _mm256_mul_pd, min _mm256_min_pd,
        max _mm256_max_pd, or _mm256_or_pd, and _mm256_and_pd, store _mm256_storeu_pd,
        // Parts hold lanes 0–3 and 4–7.
        fold |p| fold4(_mm256_add_pd(p[0], p[1])),
        shifted_lines load_part |p, lo, hi| Avx2([part4(p, lo, hi, 0), part4(p, lo, hi, 4)]));
    parts!(Avx512, __m512d, 1, "AVX-512F/DQ", f32 Avx512F32, blocks 4,
    splat _mm512_set1_pd, load _mm512_loadu_pd,
    load_f32 |q| _mm512_cvtps_pd(_mm256_loadu_ps(q)),
    load_i32 |q| _mm512_cvtepi32_pd(_mm256_loadu_si256(q.cast())),
    add _mm512_add_pd, sub _mm512_sub_pd, mul _mm512_mul_pd, min _mm512_min_pd,
    max _mm512_max_pd, or or512, and and512, store _mm512_storeu_pd,
    fold |p| fold4(_mm256_add_pd(_mm512_castpd512_pd256(p[0]), _mm512_extractf64x4_pd::<1>(p[0]))),
    fold_each |v| {
        let [a, b, c, d, e, f, g, h] = v;
        fold_each_512([a.0[0], b.0[0], c.0[0], d.0[0], e.0[0], f.0[0], g.0[0], h.0[0]])
    },
    shifted_lines load_part |p, lo, hi| {
        let keep = (0xFFu32 << lo) & (0xFFu32 >> (8 - hi));
        Avx512([_mm512_mask_loadu_pd(_mm512_set1_pd(-0.0), keep as __mmask8, p)])
    },
    // AVX-512DQ, which the AVX-512 dispatch arm requires with AVX-512F (`Isa::Avx512`).
    load_64 |q| Avx512([_mm512_cvtepi64_pd(_mm512_loadu_si512(q.cast()))]),
        Avx512([_mm512_cvtepu64_pd(_mm512_loadu_si512(q.cast()))]));
}

/// The vector type each [`Isa`](crate::kernels::Isa) runs (the dispatch in `isa.rs` names
/// these).
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
