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
//! - AMD Zen 5, family 26 (the same dev VM from 2026-12-04 on, moved to a newer host; two runs):
//!   it helps the float passes and slows the integer ones: `f64` `stats` ×1.01–1.06 (one
//!   participant) and ×1.12–1.16 (two), `f32` `stats` ×1.07–1.11, the `f64` sum ×0.98–1.10, the
//!   `f32` sum ×1.00–1.04; `i64` sums ×0.73–0.95 and `stats` ×0.84–0.89.
//!
//! So [`Prefetch::detect`] picks [`Prefetch::AllPasses`] on Intel CPUs, [`Prefetch::FloatPasses`]
//! on AMD from family 26 (Zen 5) on, and [`Prefetch::F64Sum`] elsewhere (older AMD measured; other
//! vendors unmeasured, and `F64Sum` is the cheaper bet). A pool can be told otherwise
//! ([`Builder::prefetch`](crate::Builder::prefetch)).
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
/// let choices = [Prefetch::Off, Prefetch::F64Sum, Prefetch::FloatPasses, Prefetch::AllPasses];
/// let sums: Vec<u64> = choices
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
    /// The float passes prefetch: the `f32` and `f64` sums and the first pass of their `stats`
    /// (best on AMD Zen 5).
    FloatPasses,
    /// Every first pass prefetches: the float and integer sums and the first pass of `stats`
    /// (best on Intel Xeon).
    AllPasses,
}

/// [`Prefetch::detect`]'s answer once known, as `1 + its index`; 0 before. Relaxed loads and
/// stores suffice: the byte publishes nothing but itself, every thread that finds 0 computes the
/// same answer from the CPU, and any value read is a valid choice.
static DETECTED: AtomicU8 = AtomicU8::new(0);

const ALL: [Prefetch; 4] = [
    Prefetch::Off,
    Prefetch::F64Sum,
    Prefetch::FloatPasses,
    Prefetch::AllPasses,
];

impl Prefetch {
    /// The choice measured best for this CPU: [`AllPasses`](Prefetch::AllPasses) on an Intel
    /// CPU, [`FloatPasses`](Prefetch::FloatPasses) on an AMD CPU of family 26 (Zen 5) or later,
    /// [`F64Sum`](Prefetch::F64Sum) on any other (see the module documentation for the
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
                let p = match super::cpu::vendor() {
                    Some((name, _)) if &name == b"GenuineIntel" => Prefetch::AllPasses,
                    Some((name, _)) if &name == b"AuthenticAMD" && super::cpu::family() >= 26 => {
                        Prefetch::FloatPasses
                    }
                    _ => Prefetch::F64Sum,
                };
                DETECTED.store(1 + p as u8, Relaxed);
                p
            }
            i => ALL[usize::from(i - 1)],
        }
    }

    /// Whether the sum of streaming `T` elements (a float type) prefetches.
    pub(crate) fn float_sum<T: 'static>(self) -> bool {
        match self {
            Prefetch::Off => false,
            Prefetch::F64Sum => is::<T, f64>(),
            Prefetch::FloatPasses | Prefetch::AllPasses => true,
        }
    }

    /// Whether the first pass of `stats` over streaming `T` elements prefetches.
    pub(crate) fn stats_pass<T: 'static>(self) -> bool {
        match self {
            Prefetch::Off | Prefetch::F64Sum => false,
            Prefetch::FloatPasses => is::<T, f64>() || is::<T, f32>(),
            Prefetch::AllPasses => true,
        }
    }

    /// Whether the integer sums prefetch.
    pub(crate) fn int_sum(self) -> bool {
        self == Prefetch::AllPasses
    }
}

/// Whether `T` is `U`.
fn is<T: 'static, U: 'static>() -> bool {
    std::any::TypeId::of::<T>() == std::any::TypeId::of::<U>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_choice_prefetches_its_passes() {
        assert!(Prefetch::F64Sum.float_sum::<f64>());
        assert!(!Prefetch::F64Sum.float_sum::<f32>());
        assert!(!Prefetch::F64Sum.stats_pass::<f64>() && !Prefetch::F64Sum.int_sum());
        assert!(
            Prefetch::FloatPasses.float_sum::<f32>() && Prefetch::FloatPasses.float_sum::<f64>()
        );
        assert!(Prefetch::FloatPasses.stats_pass::<f32>());
        assert!(Prefetch::FloatPasses.stats_pass::<f64>());
        assert!(!Prefetch::FloatPasses.stats_pass::<i64>() && !Prefetch::FloatPasses.int_sum());
        assert!(Prefetch::AllPasses.float_sum::<f32>() && Prefetch::AllPasses.stats_pass::<u8>());
        assert!(Prefetch::AllPasses.int_sum());
        assert!(!Prefetch::Off.float_sum::<f64>() && !Prefetch::Off.stats_pass::<f64>());
        assert!(!Prefetch::Off.int_sum());
    }

    #[test]
    fn detection_is_remembered() {
        let first = Prefetch::detect();
        assert_eq!(DETECTED.load(Relaxed), 1 + first as u8);
        assert_eq!(Prefetch::detect(), first);
        // Linux's own reading of the CPU: the vendor and family lines of /proc/cpuinfo.
        #[cfg(all(target_os = "linux", target_arch = "x86_64", not(miri)))]
        {
            let info = std::fs::read_to_string("/proc/cpuinfo").unwrap();
            let field = |name: &str| {
                info.lines()
                    .find(|l| l.starts_with(name))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
                    .unwrap()
            };
            let family: u32 = field("cpu family").parse().unwrap();
            let want = match field("vendor_id").as_str() {
                "GenuineIntel" => Prefetch::AllPasses,
                "AuthenticAMD" if family >= 26 => Prefetch::FloatPasses,
                _ => Prefetch::F64Sum,
            };
            assert_eq!(first, want);
        }
    }
}
