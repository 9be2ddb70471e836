//! Prints the bits of every kernel result over a fixed set of deterministic inputs, for the
//! comparison of instruction sets in CI: `.ci/test` runs it natively (x86-64: AVX-512, AVX2 or
//! SSE2, whichever the CPU has) and as an aarch64 binary under qemu-user (the portable vector
//! path, compiled for another ISA), and the two outputs must be identical line for line — the
//! library promises the same bits on every CPU (`docs/guarantees.md`).
//!
//! ```sh
//! cargo run --release --example bits > bits.txt
//! ```
//!
//! One line per (input, function, accuracy, pool): the input's name (element type, kind of values,
//! length, offset of the slice in its allocation), the call, where it ran, and the result's bits
//! in hex. The calls: `Pool::sum_float_at` in each [`Accuracy`], `Pool::sum_int`,
//! `Pool::checked_sum`, `Pool::stats` (its accessors and all 80 bytes of the `Stats`, private
//! fields included), the `MinMax` kernel (all bytes of its `Extremes`), the `Moments` kernel (its
//! bytes and derived moments), the `Norms` kernel, `Dot` (both accuracies), `ExactDot`, `ExactMoments` and `Covariance` of
//! each float input against itself reversed, `Pool::quantiles` (five quantiles) and `Pool::histogram` (edges and
//! counts) on pools of 1, 2 and 4
//! threads, and on pools that take the streaming kernels (without and with prefetch) for every
//! input; `shmkern::sum`, `checked_sum` and `stats` on the global pool; `sequential_sum`,
//! `sequential_sum_compensated` and `run_sequential`; `chunk_sum_on` on the detected ISA and on
//! the baseline, for inputs of at most one chunk. Inputs: `f64` and `f32` with mixed magnitudes
//! and signs, the whole exponent range, subnormals, cancellation, overflow, ±∞, NaNs, zeros; every
//! integer type over its whole range, with small values and with its extremes; from 0 elements
//! to several chunks, some one element into their allocation.
//!
//! The values come from a fixed-seed generator written here (splitmix64), so both machines sum
//! the same inputs. What needs no second machine is checked here too: each function's results
//! for one input must be the same bits on every pool, ISA of this CPU, and sequential
//! reference; the program exits with status 1 (after printing every line) when one is not.

use bytemuck::Pod;
use shmkern::kernels::{
    chunk_sum_on, run_sequential, sequential_sum, sequential_sum_compensated, Accuracy,
    CentralMoments, Covariance, Describe, Dot, ExactDot, ExactMoments, Float, Int, Isa, MinMax,
    Moments, Norms, Prefetch, StatElement,
};
use shmkern::sched::{BLOCK_LEN, CHUNK_LEN};
use shmkern::{Pool, Stats};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

/// Input lengths: empty, one, odd, around a block, around a chunk, several chunks.
const LENGTHS: [usize; 13] = [
    0,
    1,
    7,
    17,
    BLOCK_LEN - 1,
    BLOCK_LEN,
    BLOCK_LEN + 1,
    1001,
    CHUNK_LEN - 1,
    CHUNK_LEN,
    CHUNK_LEN + 1,
    3 * CHUNK_LEN + 4097,
    5 * CHUNK_LEN + 3,
];

/// splitmix64: a fixed-seed stream of 64-bit values, the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Rng {
        // FNV-1a of the input's name: every input its own stream.
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A float type built from its sign, biased exponent and mantissa bits.
trait Bits: Float + StatElement + Pod {
    const NAME: &'static str;
    const MANT_BITS: u32;
    const EXP_MAX: u64;
    fn from_parts(neg: bool, exp: u64, mant: u64) -> Self;
    fn from_f64(v: f64) -> Self;
    fn negated(self) -> Self;
}

impl Bits for f64 {
    const NAME: &'static str = "f64";
    const MANT_BITS: u32 = 52;
    const EXP_MAX: u64 = 0x7ff;
    fn from_parts(neg: bool, exp: u64, mant: u64) -> f64 {
        f64::from_bits(u64::from(neg) << 63 | exp << 52 | (mant & ((1 << 52) - 1)))
    }
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn negated(self) -> f64 {
        -self
    }
}

impl Bits for f32 {
    const NAME: &'static str = "f32";
    const MANT_BITS: u32 = 23;
    const EXP_MAX: u64 = 0xff;
    fn from_parts(neg: bool, exp: u64, mant: u64) -> f32 {
        f32::from_bits(
            (u32::from(neg) << 31) | (exp as u32) << 23 | (mant as u32 & ((1 << 23) - 1)),
        )
    }
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn negated(self) -> f32 {
        -self
    }
}

/// The kinds of float input, by name.
const FLOAT_KINDS: [&str; 11] = [
    "unit",      // uniform in [0, 1): the common case, min/max on the vector fast path
    "mixed",     // random signs, magnitudes 2^-40 .. 2^40
    "wide",      // random signs, every finite exponent: subnormals to nearly MAX
    "subnormal", // subnormals and signed zeros only
    "cancel",    // ±2^40.. pairs that cancel among small values: Fast loses what the others keep
    "huge",      // ±nearly MAX: f64 lanes overflow (∞ or NaN); Exact only if the exact sum does
    "posinf",    // mixed with +∞: sums +∞, the moments ∞ − ∞
    "bothinf",   // mixed with +∞ and −∞: sums NaN
    "nan",       // mixed with NaNs of either sign and several payloads
    "negzero",   // −0.0 only: sums −0.0
    "zeros",     // ±0.0 mixed: minimum −0.0, maximum +0.0
];

/// `len` values of `kind`. The special values of "posinf", "bothinf" and "nan" are at random
/// places and always in the middle (and, for "bothinf", an ∞ of either sign at a third).
fn float_input<T: Bits>(kind: &str, len: usize, rng: &mut Rng) -> Vec<T> {
    let bias = T::EXP_MAX / 2;
    let inf = |neg| T::from_parts(neg, T::EXP_MAX, 0);
    let mut v: Vec<T> = Vec::with_capacity(len);
    let mut huge = T::from_parts(false, 0, 0);
    for i in 0..len {
        let r = rng.next();
        let (neg, mant) = (r & 1 == 1, r >> 1);
        let mixed = |rng: &mut Rng| T::from_parts(neg, bias - 40 + rng.below(81), mant);
        let x = match kind {
            "unit" => T::from_f64((r >> 11) as f64 * 2f64.powi(-53)),
            "mixed" => mixed(rng),
            "wide" => T::from_parts(neg, rng.below(T::EXP_MAX), mant),
            "subnormal" => T::from_parts(neg, 0, mant >> rng.below(u64::from(T::MANT_BITS) + 1)),
            "cancel" => match i % 4 {
                0 => {
                    huge = T::from_parts(neg, bias + 40 + rng.below(20), mant);
                    huge
                }
                1 => huge.negated(), // in the next lane: the two meet in the fold
                _ => T::from_parts(neg, bias - rng.below(30), mant),
            },
            "huge" => T::from_parts(neg, T::EXP_MAX - 1 - rng.below(4), mant),
            "posinf" if i == len / 2 || rng.below(500) == 0 => inf(false),
            "bothinf" if i == len / 2 => inf(false),
            "bothinf" if i == len / 3 || rng.below(300) == 0 => inf(neg),
            "nan" if i == len / 2 || rng.below(200) == 0 => {
                T::from_parts(neg, T::EXP_MAX, mant | 1)
            }
            "posinf" | "bothinf" | "nan" => mixed(rng),
            "negzero" => T::from_parts(true, 0, 0),
            "zeros" => T::from_parts(neg, 0, 0),
            _ => unreachable!("unknown kind {kind}"),
        };
        v.push(x);
    }
    v
}

/// An integer type from 64 random bits.
trait IntBits: Int + StatElement + Pod {
    const NAME: &'static str;
    const MIN: Self;
    const MAX: Self;
    fn wrap(r: u64) -> Self;
    /// `r` in `-8..8` (signed) or `0..16` (unsigned).
    fn small(r: u64) -> Self;
}

macro_rules! int_bits {
    ($($t:ident)*) => {$(
        impl IntBits for $t {
            const NAME: &'static str = stringify!($t);
            const MIN: $t = $t::MIN;
            const MAX: $t = $t::MAX;
            fn wrap(r: u64) -> $t {
                r as $t
            }
            fn small(r: u64) -> $t {
                (r % 16) as $t - if $t::MIN == 0 { 0 } else { 8 as $t }
            }
        }
    )*};
}
int_bits!(i8 i16 i32 i64 u8 u16 u32 u64);

const INT_KINDS: [&str; 3] = [
    "full",     // every bit pattern: checked_sum overflows
    "small",    // -8..8 or 0..16: checked_sum fits
    "extremes", // MIN, MAX, 0 and -1 (MAX for unsigned): conversions and sums at their edges
];

/// `len` values of `kind`.
fn int_input<T: IntBits>(kind: &str, len: usize, rng: &mut Rng) -> Vec<T> {
    (0..len)
        .map(|_| {
            let r = rng.next();
            match kind {
                "full" => T::wrap(r),
                "small" => T::small(r),
                "extremes" => match r % 4 {
                    0 => T::MIN,
                    1 => T::MAX,
                    2 => T::wrap(0),
                    _ => T::wrap(u64::MAX),
                },
                _ => unreachable!("unknown kind {kind}"),
            }
        })
        .collect()
}

/// The pools each function runs on, by name: 1, 2 and 4 threads with the default variant choice
/// (cache-resident kernels below the last-level cache's size: every input here), and the same
/// thread counts streaming every input, without and with software prefetch.
fn pools() -> Vec<(String, Pool)> {
    let mut pools = Vec::new();
    for t in [1, 2, 4] {
        let b = || Pool::builder().threads(t);
        pools.push((format!("pool{t}"), b().build().unwrap()));
        let stream = b().stream_bytes(0).prefetch(Prefetch::Off).build().unwrap();
        pools.push((format!("stream{t}"), stream));
        let prefetch = b()
            .stream_bytes(0)
            .prefetch(Prefetch::AllPasses)
            .build()
            .unwrap();
        pools.push((format!("prefetch{t}"), prefetch));
    }
    pools
}

/// The printed lines, and each (input, function)'s results by where they came from.
#[derive(Default)]
struct Out {
    text: String,
    groups: BTreeMap<String, Vec<(String, String)>>,
}

impl Out {
    /// Records `bits` of `what` on `input` from `source`; printed when `print` (results of an
    /// ISA only some CPUs have are checked here, never printed: the outputs must not depend on
    /// the CPU).
    fn put(&mut self, input: &str, what: &str, source: &str, bits: String, print: bool) {
        if print {
            writeln!(self.text, "{input} {what} {source} {bits}").unwrap();
        }
        let key = format!("{input} {what}");
        self.groups
            .entry(key)
            .or_default()
            .push((source.to_string(), bits));
    }
}

/// The bits of `v` as one hex number (both machines are little-endian).
fn hex<T: Pod>(v: &T) -> String {
    let bytes = bytemuck::bytes_of(v);
    bytes.iter().rev().map(|b| format!("{b:02x}")).collect()
}

/// Every byte of `v`, as little-endian 64-bit words in hex joined by dots.
fn words<P: Pod>(v: &P) -> String {
    let words: Vec<String> = bytemuck::bytes_of(v)
        .chunks(8)
        .map(|w| {
            let mut b = [0u8; 8];
            b[..w.len()].copy_from_slice(w);
            format!("{:016x}", u64::from_le_bytes(b))
        })
        .collect();
    words.join(".")
}

/// Every field of `s`: its accessors, then the raw 80 bytes (private fields included).
fn stats_bits<T: StatElement + Pod>(s: &Stats<T>) -> String {
    let opt = |v: Option<f64>| v.map_or("none".to_string(), |v| hex(&v));
    format!(
        "count={} nan_count={} min={} max={} mean={} var0={} var1={} std1={} raw={}",
        s.count(),
        s.nan_count(),
        s.min().map_or("none".to_string(), |v| hex(&v)),
        s.max().map_or("none".to_string(), |v| hex(&v)),
        opt(s.mean()),
        opt(s.variance(0)),
        opt(s.variance(1)),
        opt(s.std_dev(1)),
        words(s)
    )
}

fn floats<T: Bits>(out: &mut Out, pools: &[(String, Pool)]) {
    for kind in FLOAT_KINDS {
        for (i, &len) in LENGTHS.iter().enumerate() {
            // Every third input starts one element into its allocation (unaligned vectors).
            let off = usize::from(i % 3 == 2);
            let name = format!("{}/{kind}/n={len}/off={off}", T::NAME);
            let all = float_input::<T>(kind, len + off, &mut Rng::new(&name));
            let x = &all[off..];
            // The two-column kernels, over x against x reversed.
            let rev: Vec<T> = x.iter().rev().copied().collect();
            for (kernel, label) in [(Dot::new(), "Dot"), (Dot::compensated(), "Dot/Compensated")] {
                for (source, pool) in pools.iter().filter(|(s, _)| s.starts_with("pool")) {
                    let d = pool.run(&kernel, (x, &rev[..])).unwrap();
                    out.put(&name, label, source, hex(&d), true);
                }
            }
            for (source, pool) in pools.iter().filter(|(s, _)| s.starts_with("pool")) {
                let d = pool.run(&ExactDot::new(), (x, &rev[..])).unwrap();
                out.put(&name, "ExactDot", source, hex(&d), true);
            }
            for (source, pool) in pools.iter().filter(|(s, _)| s.starts_with("pool")) {
                let m = pool.run(&ExactMoments::new(), x).unwrap();
                let derived = [m.mean(), m.variance(1)]
                    .map(|v| v.map_or("none".to_owned(), |v| hex(&v.to_bits())))
                    .join(" ");
                out.put(
                    &name,
                    "ExactMoments",
                    source,
                    format!("{} {derived}", words(&m)),
                    true,
                );
            }
            for (source, pool) in pools.iter().filter(|(s, _)| s.starts_with("pool")) {
                let c = pool.run(&Covariance::new(), (x, &rev[..])).unwrap();
                let derived = [c.covariance(1), c.correlation()]
                    .map(|v| v.map_or("none".to_owned(), |v| hex(&v.to_bits())))
                    .join(" ");
                out.put(
                    &name,
                    "Covariance",
                    source,
                    format!("{} {derived}", words(&c)),
                    true,
                );
            }
            for (acc, acc_name) in [
                (Accuracy::Fast, "Fast"),
                (Accuracy::Compensated, "Compensated"),
                (Accuracy::Exact, "Exact"),
            ] {
                let what = format!("sum_float_at/{acc_name}");
                for (source, pool) in pools {
                    // Only the Fast sum has streaming kernels: the other modes' results on the
                    // streaming pools would repeat the default pools' lines.
                    if acc != Accuracy::Fast && !source.starts_with("pool") {
                        continue;
                    }
                    let s = pool.sum_float_at(x, acc);
                    out.put(&name, &what, source, hex(&s), true);
                }
                let seq = match acc {
                    Accuracy::Fast => Some(("sequential_sum", sequential_sum(x))),
                    Accuracy::Compensated => {
                        Some(("sequential_sum_compensated", sequential_sum_compensated(x)))
                    }
                    _ => None,
                };
                if let Some((source, s)) = seq {
                    out.put(&name, &what, source, hex(&s), true);
                }
            }
            let fast = "sum_float_at/Fast";
            out.put(&name, fast, "global_sum", hex(&shmkern::sum(x)), true);
            // One chunk's tree: the pool's Fast sum, except that an empty chunk is −0.0 (the
            // tree's empty value) where an empty sum is +0.0; so a group of its own.
            if x.len() <= CHUNK_LEN {
                let best = chunk_sum_on(Isa::detect(), x).unwrap();
                out.put(&name, "chunk_sum_on", "detected", hex(&best), true);
                for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512] {
                    if let Some(s) = chunk_sum_on(isa, x) {
                        let print = isa == Isa::Baseline;
                        out.put(&name, "chunk_sum_on", &format!("{isa:?}"), hex(&s), print);
                    }
                }
            }
            stats(out, pools, &name, x);
        }
    }
}

/// `stats` and the `MinMax` kernel of `x`, on every pool, the global pool and one thread.
fn stats<T: StatElement + Pod>(out: &mut Out, pools: &[(String, Pool)], name: &str, x: &[T]) {
    for (source, pool) in pools {
        out.put(name, "stats", source, stats_bits(&pool.stats(x)), true);
    }
    let global = stats_bits(&shmkern::stats(x));
    out.put(name, "stats", "global_stats", global, true);
    let describe = run_sequential(&Describe::for_input(x), x).unwrap();
    out.put(name, "stats", "run_sequential", stats_bits(&describe), true);
    // The kernels below have no streaming variant: the pools of 1, 2 and 4 threads suffice (the
    // streaming pools would repeat their lines, and under qemu-user every line costs).
    let plain = || pools.iter().filter(|(s, _)| s.starts_with("pool"));
    let min_max = MinMax::<T>::new();
    for (source, pool) in plain() {
        let e = pool.run(&min_max, x).unwrap();
        out.put(name, "MinMax", source, words(&e), true);
    }
    let e = run_sequential(&min_max, x).unwrap();
    out.put(name, "MinMax", "run_sequential", words(&e), true);
    let moments = Moments::<T>::new();
    for (source, pool) in plain() {
        let m = pool.run(&moments, x).unwrap();
        out.put(name, "Moments", source, moments_bits(&m), true);
    }
    let m = run_sequential(&moments, x).unwrap();
    out.put(name, "Moments", "run_sequential", moments_bits(&m), true);
    let norms = Norms::<T>::new();
    for (source, pool) in plain() {
        let n = pool.run(&norms, x).unwrap();
        let derived = [n.l1(), n.l2(), n.linf()]
            .map(|v| hex(&v.to_bits()))
            .join(" ");
        out.put(
            name,
            "Norms",
            source,
            format!("{} {derived}", words(&n)),
            true,
        );
    }
    const QS: [f64; 5] = [0.0, 0.1, 0.5, 0.75, 1.0];
    for (source, pool) in plain() {
        let q = pool.quantiles(x, &QS).unwrap();
        let bits: Vec<String> = q
            .iter()
            .map(|v| hex(&v.map_or(u64::MAX, f64::to_bits)))
            .collect();
        out.put(name, "quantiles", source, bits.join(" "), true);
        // Own range where the extremes are finite, else a fixed one; edges' bits and the counts.
        let h = pool
            .histogram(x, 7, None)
            .or_else(|_| pool.histogram(x, 7, Some((-1.0, 1.0))))
            .unwrap();
        let edges: Vec<String> = h.edges.iter().map(|e| hex(&e.to_bits())).collect();
        let counts = format!("{:?} {} {} {}", h.counts, h.below, h.above, h.nan_count);
        out.put(
            name,
            "histogram",
            source,
            format!("{} {counts}", edges.join(" ")),
            true,
        );
    }
}

/// The bits of a `CentralMoments`: its bytes, and what its accessors derive from them.
fn moments_bits<T: StatElement>(m: &CentralMoments<T>) -> String {
    let opt = |v: Option<f64>| v.map_or("none".to_owned(), |v| hex(&v.to_bits()));
    format!(
        "{} mean {} var {} skew {} kurt {}",
        words(m),
        opt(m.mean()),
        opt(m.variance(1)),
        opt(m.skewness()),
        opt(m.kurtosis())
    )
}

fn ints<T: IntBits>(out: &mut Out, pools: &[(String, Pool)]) {
    for kind in INT_KINDS {
        for (i, &len) in LENGTHS.iter().enumerate() {
            let off = usize::from(i % 3 == 2);
            let name = format!("{}/{kind}/n={len}/off={off}", T::NAME);
            let all = int_input::<T>(kind, len + off, &mut Rng::new(&name));
            let x = &all[off..];
            let checked = |r: Result<T, shmkern::Error>| match r {
                Ok(v) => hex(&v),
                Err(e) => format!("error: {e}"),
            };
            for (source, pool) in pools {
                out.put(&name, "sum_int", source, hex(&pool.sum_int(x)), true);
                let c = checked(pool.checked_sum(x));
                out.put(&name, "checked_sum", source, c, true);
            }
            let c = checked(shmkern::checked_sum(x));
            out.put(&name, "checked_sum", "global_checked_sum", c, true);
            stats(out, pools, &name, x);
        }
    }
}

fn main() {
    let pools = pools();
    let mut out = Out::default();
    floats::<f64>(&mut out, &pools);
    floats::<f32>(&mut out, &pools);
    ints::<i8>(&mut out, &pools);
    ints::<i16>(&mut out, &pools);
    ints::<i32>(&mut out, &pools);
    ints::<i64>(&mut out, &pools);
    ints::<u8>(&mut out, &pools);
    ints::<u16>(&mut out, &pools);
    ints::<u32>(&mut out, &pools);
    ints::<u64>(&mut out, &pools);
    std::io::stdout().write_all(out.text.as_bytes()).unwrap();

    let mut differ = 0;
    for (key, results) in &out.groups {
        let (first_source, first) = &results[0];
        for (source, bits) in &results[1..] {
            if bits != first {
                differ += 1;
                eprintln!("bits: {key}: {source} gives {bits}, {first_source} {first}");
            }
        }
    }
    let lines = out.text.lines().count();
    if differ > 0 {
        eprintln!("bits: {differ} results differ from another source's for the same input");
        std::process::exit(1);
    }
    eprintln!(
        "bits: {lines} lines printed; {} (input, function) groups, each the same bits from \
         every pool, ISA and sequential reference on this CPU ({:?} detected)",
        out.groups.len(),
        Isa::detect()
    );
}
