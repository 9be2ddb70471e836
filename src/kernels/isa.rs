//! The instruction sets a kernel runs on ([`Isa`], detected at run time) and the dispatch that
//! compiles a kernel's generic chunk function once per ISA (`isa_dispatch!`): every kernel goes
//! through it. Each arm runs the same IEEE operations on its vector type (`f64x8.rs`), so every
//! ISA gives the same bits.

/// The instruction sets the chunk kernel can run on. All give identical bits.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{chunk_sum_on, Isa};
///
/// let x: Vec<f64> = (0..5000).map(|i| (i as f64).sin()).collect();
/// let base = chunk_sum_on(Isa::Baseline, &x).unwrap();
/// for isa in [Isa::Avx2, Isa::Avx512] {
///     // `None` where this CPU lacks the ISA; otherwise the very same bits.
///     assert!(chunk_sum_on(isa, &x).map_or(true, |s| s.to_bits() == base.to_bits()));
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Portable code (SSE2 on x86-64: the baseline every x86-64 has).
    Baseline,
    /// x86-64 AVX2 with FMA (every AVX2 CPU has it; the exact kernels' error-free products use
    /// it, no kernel fuses a multiply and an add of its own).
    Avx2,
    /// x86-64 AVX-512F with AVX-512DQ (every AVX-512 CPU since Skylake-SP; DQ brings the 64-bit
    /// integer conversions the integer statistics use).
    Avx512,
}

impl Isa {
    /// The best instruction set this CPU supports (detected at run time).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{chunk_sum_on, sequential_sum, Isa};
    ///
    /// let isa = Isa::detect();
    /// assert!(isa.is_supported());
    /// let x: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5).collect();
    /// assert_eq!(chunk_sum_on(isa, &x), Some(sequential_sum(&x)));
    /// ```
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if Isa::Avx512.is_supported() {
                return Isa::Avx512;
            }
            if Isa::Avx2.is_supported() {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    }

    /// Whether this CPU can run `self`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::{chunk_sum_on, Isa};
    ///
    /// assert!(Isa::Baseline.is_supported());
    /// #[cfg(target_arch = "x86_64")]
    /// assert_eq!(
    ///     Isa::Avx2.is_supported(),
    ///     std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    /// );
    /// // An ISA this CPU lacks is refused, never run.
    /// assert_eq!(chunk_sum_on(Isa::Avx512, &[1.0f64]).is_some(), Isa::Avx512.is_supported());
    /// ```
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Baseline => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// Defines `$on(isa, x) -> Option<$ret>`, which runs `$generic::<V, T>(x)` compiled for `isa`
/// with its vector type `V` (`None` if this CPU lacks it), and `$best(x) -> $ret`, which runs it on
/// the best ISA of this CPU. `x` is a slice `&[T]`, or the input type given in parentheses after
/// the generics (plain functions only). `$generic` is an `unsafe fn` whose only requirement is that the CPU
/// supports `V`'s ISA. Every `V` performs the same IEEE operations: the same bits on every ISA.
macro_rules! isa_dispatch {
    // `$generic::<T>` is a safe fn: the target features alone change its code.
    (@call plain $generic:ident, $v:ty, $t:ident, $x:ident) => {
        $generic::<$t>($x)
    };
    // `$generic::<V, T>` is an unsafe fn needing `V`'s ISA.
    (@call vector $generic:ident, $v:ty, $t:ident, $x:ident) => {
        // SAFETY: each arm passes the vector type of the ISA it runs on: Baseline's needs only
        // the target's baseline (SSE2 on x86-64); the AVX2/AVX-512 arms run inside functions
        // whose callers checked the CPU (`is_supported`).
        unsafe { $generic::<$v, $t>($x) }
    };
    ($on:ident, $best:ident, vector $generic:ident, <$t:ident: $bound:path> -> $ret:ty) => {
        $crate::kernels::isa::isa_dispatch!(@def vector, $crate::kernels::f64x8::isa, $on, $best, $generic, $t, $bound, $ret, &[$t]);
    };
    // `$generic::<L, T>` with `L` another family of per-ISA types (a module `$isa` naming one type
    // per ISA, as `f64x8::isa` does): `i64x8::isa`.
    ($on:ident, $best:ident, vector($isa:path) $generic:ident, <$t:ident: $bound:path> -> $ret:ty) => {
        $crate::kernels::isa::isa_dispatch!(@def vector, $isa, $on, $best, $generic, $t, $bound, $ret, &[$t]);
    };
    // `$generic::<V, T>` over another input than one slice (two columns).
    ($on:ident, $best:ident, vector $generic:ident, <$t:ident: $bound:path>($in:ty) -> $ret:ty) => {
        $crate::kernels::isa::isa_dispatch!(@def vector, $crate::kernels::f64x8::isa, $on, $best, $generic, $t, $bound, $ret, $in);
    };
    // Another input than one slice (two columns: `($in)` is `(&[T], &[T])`).
    ($on:ident, $best:ident, $generic:ident, <$t:ident: $bound:path>($in:ty) -> $ret:ty) => {
        $crate::kernels::isa::isa_dispatch!(@def plain, $crate::kernels::f64x8::isa, $on, $best, $generic, $t, $bound, $ret, $in);
    };
    ($on:ident, $best:ident, $generic:ident, <$t:ident: $bound:path> -> $ret:ty) => {
        $crate::kernels::isa::isa_dispatch!(@def plain, $crate::kernels::f64x8::isa, $on, $best, $generic, $t, $bound, $ret, &[$t]);
    };
    (@def $mode:ident, $isa:path, $on:ident, $best:ident, $generic:ident, $t:ident, $bound:path, $ret:ty, $in:ty) => {
        pub(crate) fn $on<$t: $bound>(isa: $crate::kernels::isa::Isa, x: $in) -> Option<$ret> {
            #[allow(unused_imports)]
            use $isa as isa;
            /// `$generic` compiled with AVX2 and FMA.
            ///
            /// # Safety
            ///
            /// The CPU must support AVX2 and FMA (`Isa::Avx2.is_supported()`).
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            unsafe fn avx2<$t: $bound>(x: $in) -> $ret {
                $crate::kernels::isa::isa_dispatch!(@call $mode $generic, isa::Avx2, $t, x)
            }
            /// `$generic` compiled with AVX-512F and DQ (FMA with them).
            ///
            /// # Safety
            ///
            /// The CPU must support AVX-512F and DQ (`Isa::Avx512.is_supported()`).
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512dq,fma")]
            unsafe fn avx512<$t: $bound>(x: $in) -> $ret {
                $crate::kernels::isa::isa_dispatch!(@call $mode $generic, isa::Avx512, $t, x)
            }
            if !isa.is_supported() {
                return None;
            }
            Some(match isa {
                $crate::kernels::isa::Isa::Baseline => {
                    $crate::kernels::isa::isa_dispatch!(@call $mode $generic, isa::Baseline, $t, x)
                }
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `is_supported` checked that the CPU has AVX2 and FMA.
                $crate::kernels::isa::Isa::Avx2 => unsafe { avx2(x) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `is_supported` checked that the CPU has AVX-512F and DQ.
                $crate::kernels::isa::Isa::Avx512 => unsafe { avx512(x) },
                #[cfg(not(target_arch = "x86_64"))]
                _ => unreachable!("is_supported is false for x86 ISAs elsewhere"),
            })
        }

        #[inline]
        pub(crate) fn $best<$t: $bound>(x: $in) -> $ret {
            $on($crate::kernels::isa::Isa::detect(), x).expect("the detected ISA is supported")
        }
    };
}
pub(crate) use isa_dispatch;
