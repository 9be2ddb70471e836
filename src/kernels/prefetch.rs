//! Which kernels emit software prefetches on input that streams from memory: a choice per CPU,
//! because the hardware prefetchers differ, and one that changes speed only, never a result bit
//! (a prefetch is a hint; every variant performs the same arithmetic in the same order).
//!
//! What the prefetch does to one participant over 1 GiB, against the same kernel without it
//! (`cargo bench --bench tables -- scaling`, table (d), which runs every kernel on pools of both choices,
//! interleaved; the figures are in docs/performance.md, "Tuned constants"):
//!
//! - AMD Zen 4: it helps the `f64` sum alone and slows every other kernel (the `i64` and `f32`
//!   sums, `stats`).
//! - AMD Zen 5 (family 26): it helps the float passes (the sums and `stats` of `f32` and `f64`)
//!   and slows the integer ones.
//! - Intel Xeon: it helps every kernel; the `f64` sum, which the hardware prefetchers already keep
//!   fed on one core, gains once many participants share the memory.
//!
//! So [`Prefetch::detect`] picks [`Prefetch::AllPasses`] on Intel CPUs, [`Prefetch::FloatPasses`]
//! on AMD from family 26 (Zen 5) on, and [`Prefetch::F64Sum`] elsewhere (older AMD as on Zen 4;
//! other vendors unmeasured, and `F64Sum` is the cheaper bet). A pool can be told otherwise
//! ([`Builder::prefetch`](crate::Builder::prefetch)).
//!
//! The prefetch instructions exist on x86-64 only (`prefetcht1`); on other architectures and
//! under Miri `f64x8::prefetch` compiles to nothing, so there every choice runs alike.

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
