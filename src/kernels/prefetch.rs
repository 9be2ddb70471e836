//! Which kernels issue software prefetches on input that streams from memory: a choice per CPU,
//! because the hardware prefetchers differ, and one that changes speed only, never a result bit
//! (a prefetch is a hint; every variant performs the same arithmetic in the same order).
//!
//! One participant over 1 GiB, with the prefetch against without (`cargo bench --bench scaling`,
//! table (d), which runs every kernel on pools of both choices, interleaved; docs/performance.md,
//! "Software prefetch chosen per CPU", has the tables and the alternated A/B runs before them):
//!
//! - AMD Zen 4 (the 2-core dev VM, 2026-12-04): it helps the `f64` sum alone (×1.09) and slows
//!   every other kernel: `i64` sums ×0.66, `f32` sums ×0.71, `stats` ×0.77–0.92.
//! - Intel Xeon, family 6 model 207 (the 16-core device VM, 2026-12-04): it helps every kernel but
//!   the `f64` sum, which the hardware already keeps fed (×1.00): `i64` sums ×1.44, `f32` sums
//!   ×1.34, `stats` ×1.18–1.28; on 16 participants ×1.06–1.30, the `f64` sum included (×1.10).
//!
//! So [`Prefetch::detect`] picks [`Prefetch::AllPasses`] on Intel CPUs and [`Prefetch::F64Sum`]
//! elsewhere (AMD measured; other vendors unmeasured, and `F64Sum` is the cheaper bet). A pool
//! can be told otherwise ([`Builder::prefetch`](crate::Builder::prefetch)).
//!
//! The prefetch instructions exist on x86-64 only (`prefetcht1`); on other architectures and
//! under Miri `simd::prefetch` compiles to nothing, so there every choice runs alike.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// Which passes over input that streams from memory (inputs of at least
/// [`Pool::stream_bytes`](crate::Pool::stream_bytes): by default 4 MiB, or more than the CPU's
/// last-level cache) prefetch 4 KiB ahead of what they read. Results are the same bits under every
/// choice; only speed differs.
///
/// # Examples
///
/// ```
/// use shmkern::{kernels::Prefetch, Pool};
///
/// let x: Vec<f32> = (0..1 << 21).map(|i| (i % 1000) as f32).collect(); // 8 MiB
/// let sums: Vec<u64> = [Prefetch::Off, Prefetch::F64Sum, Prefetch::AllPasses]
///     .into_iter()
///     .map(|p| {
///         // Streams from 4 MiB on (by default only past the last-level cache).
///         let pool = Pool::builder().threads(2).prefetch(p).stream_bytes(4 << 20).build().unwrap();
///         assert_eq!(pool.prefetch(), p);
///         pool.sum_float(&x).to_bits()
///     })
///     .collect();
/// assert!(sums.iter().all(|&s| s == sums[0]));
/// // A pool built without the option takes what this CPU is measured to prefer.
/// assert_eq!(Pool::builder().threads(1).build().unwrap().prefetch(), Prefetch::detect());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Prefetch {
    /// No kernel prefetches: the hardware prefetchers alone.
    Off,
    /// Only the `f64` sum prefetches (best on AMD Zen 4).
    F64Sum,
    /// Every first pass prefetches: the float and integer sums and the first pass of `stats`
    /// (best on Intel Xeon).
    AllPasses,
}

/// [`Prefetch::detect`]'s answer once known, as `1 + its index`; 0 before. Relaxed loads and
/// stores suffice: the byte publishes nothing but itself, every thread that finds 0 computes the
/// same answer from the CPU, and any value read is a valid choice.
static DETECTED: AtomicU8 = AtomicU8::new(0);

const ALL: [Prefetch; 3] = [Prefetch::Off, Prefetch::F64Sum, Prefetch::AllPasses];

impl Prefetch {
    /// The choice measured best for this CPU: [`AllPasses`](Prefetch::AllPasses) on an Intel
    /// CPU, [`F64Sum`](Prefetch::F64Sum) on any other (see the module documentation for the
    /// measurements). The CPU is asked once per process.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::Prefetch;
    ///
    /// assert_ne!(Prefetch::detect(), Prefetch::Off);
    /// assert_eq!(Prefetch::detect(), Prefetch::detect());
    /// ```
    pub fn detect() -> Prefetch {
        match DETECTED.load(Relaxed) {
            0 => {
                let p = if intel() {
                    Prefetch::AllPasses
                } else {
                    Prefetch::F64Sum
                };
                DETECTED.store(1 + p as u8, Relaxed);
                p
            }
            i => ALL[usize::from(i - 1)],
        }
    }

    /// Whether the sum of streaming `T` elements prefetches.
    pub(crate) fn float_sum<T: 'static>(self) -> bool {
        match self {
            Prefetch::Off => false,
            Prefetch::F64Sum => std::any::TypeId::of::<T>() == std::any::TypeId::of::<f64>(),
            Prefetch::AllPasses => true,
        }
    }

    /// Whether the other first passes (integer sums, the first pass of `stats`) prefetch.
    pub(crate) fn other_passes(self) -> bool {
        self == Prefetch::AllPasses
    }
}

/// Whether the CPU's vendor string is Intel's.
fn intel() -> bool {
    super::cpu::vendor().is_some_and(|(name, _)| &name == b"GenuineIntel")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_f64_sum_prefetches_under_f64sum() {
        assert!(Prefetch::F64Sum.float_sum::<f64>());
        assert!(!Prefetch::F64Sum.float_sum::<f32>());
        assert!(!Prefetch::F64Sum.other_passes());
        assert!(Prefetch::AllPasses.float_sum::<f32>() && Prefetch::AllPasses.other_passes());
        assert!(!Prefetch::Off.float_sum::<f64>() && !Prefetch::Off.other_passes());
    }

    #[test]
    fn detection_is_remembered() {
        let first = Prefetch::detect();
        assert_eq!(DETECTED.load(Relaxed), 1 + first as u8);
        assert_eq!(Prefetch::detect(), first);
        #[cfg(all(target_arch = "x86_64", not(miri)))]
        {
            let vendor_is_intel = std::fs::read_to_string("/proc/cpuinfo")
                .map(|c| c.contains("GenuineIntel"))
                .unwrap_or(intel());
            assert_eq!(first == Prefetch::AllPasses, vendor_is_intel);
        }
    }
}
