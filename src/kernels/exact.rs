//! `Accuracy::Exact`: the float sum rounded once, to nearest-even, from the exact sum.
//!
//! # The accumulator (in the style of Radford Neal's xsum "small superaccumulator")
//!
//! Every finite `f64` is `±M · 2^(p − 1074)` with an integer `M < 2^53` and a bit position
//! `p = max(exponent field, 1) − 1` in `0..=2045` (subnormals have field 0 and `p = 0`). So every
//! finite double is an integer multiple of `2^-1074`, and an exact sum is an integer on that scale.
//! [`Superaccumulator`] holds it as [`CHUNKS`] = 67 signed `i64` *chunks*: chunk `k` weighs `2^(32k − 1074)`,
//! so the value is `Σ chunk[k] · 2^(32k − 1074)`. An integer `K` (any `i64`) at bit position
//! `p` is added by cutting `|K| · 2^(p mod 32)` (at most `2^94`) into three 32-bit parts, added with
//! `K`'s sign to chunks `p / 32`, `p / 32 + 1` and `p / 32 + 2`: three integer adds, no branch. A
//! double is `K = ±M` at its own `p`.
//!
//! **Why nothing overflows.** *Normalizing* propagates carries upwards: chunk `k < 66` keeps its
//! low 32 bits (`[0, 2^32)`) and passes `chunk[k] >> 32` (arithmetic, so a borrow for a negative
//! chunk) to chunk `k + 1`; the value does not change. After a normalization every chunk but the
//! top one is below `2^32`. One add changes a chunk by less than `2^32`, and the accumulator
//! normalizes every [`ADDS_PER_CARRY`] = 1024 adds, so a chunk stays below
//! `2^32 + 1024 · 2^32 = 2^42.01`, far from `2^63` (so are the carries, below `2^11`). Adds reach
//! chunk 65 at most (`p ≤ 2045`); chunk 66 takes only carries. It holds `floor(S / 2^1038)`: a call
//! sums at most 2^47 elements (`MAX_CHUNKS · CHUNK_LEN`), each below `2^1024`, so `|S| < 2^1071`
//! and the top chunk stays below `2^33`. Merging two accumulators normalizes both and adds them
//! chunk by chunk (each sum below `2^34`): exact, so the merged value is the exact sum of both —
//! whichever chunks were merged in whichever order, on however many threads.
//!
//! **Rounding once.** After a final normalization the sign of the sum is the sign of the top chunk;
//! a negative sum is negated (and normalized again) to get the magnitude `N` (an integer, in units
//! of `2^-1074`). The highest nonzero chunk and the two below it give a window of at least 65 bits
//! (or all of `N` when it lies in chunks 0–2); the chunks below the window only matter as a
//! *sticky* bit (nonzero or not). The window is cut to 53 bits `q`; the first bit cut off is the
//! *guard* bit, the rest of the window and the lower chunks are *sticky*. Round half to even:
//! `q += 1` when guard and (sticky or `q` odd); a carry to `2^53` renormalizes. With `T` the
//! number of bits cut off `N`, the IEEE encoding is uniform for normal and subnormal results:
//! `bits = (T << 52) + q` (a subnormal has `T = 0, q < 2^52`; a normal one exponent field `T + 1`
//! and fraction `q − 2^52`, whose sum is the same number). `T + 1 ≥ 2047` is an overflow to `±∞` —
//! exactly IEEE round-to-nearest's rule (`|S| ≥ 2^1024 · (1 − 2^-54)`), since the check comes
//! after rounding.
//!
//! # Feeding it fast: exact folds of 256-element blocks
//!
//! Adding every element to the chunks would serialize on store-to-load forwarding (consecutive
//! elements of similar size hit the same chunks). So each block of [`FOLD_LEN`] = 256 elements is
//! first reduced *exactly*, with vector code, to one or a few integers (error-free extraction, as
//! in Rump, Ogita and Oishi's `ExtractScalar`, with the extracted parts read off as integers):
//!
//! 1. One pass finds the bits of `max |x_i|` (an integer max, which the compiler vectorizes).
//!    All zero: the block holds only zeros. NaN or `∞`, or `max |x| ≥ 2^1021`: the block goes
//!    element by element into the accumulator (the rare slow path).
//! 2. With `e = floor(log2 max|x|)`, `s = max(e + 3, −1022)` and `σ = 1.5 · 2^s`, every element
//!    splits as `t = σ + x` (rounded), `q = t − σ`, `r = x − q`. Since `|x| < 2^(e+1) ≤ 2^(s−2)`,
//!    `σ + x` lies in `[1.25, 1.75] · 2^s`, so `t` lies in the binade `[2^s, 2^(s+1))` where the
//!    doubles are the multiples of `2^(s−52)` and their bit patterns step by one: `q` is exact, and
//!    `K_i = bits(t) − bits(σ) = q / 2^(s−52)` is an integer, `|K_i| ≤ 2^50 + 1`. `r` is the
//!    rounding error of `σ + x`: a double (the error of an addition always is), `|r| ≤ 2^(s−53)`,
//!    and `x = q + r` exactly. (With `s = −1022` the addition is itself exact: `r = 0`.)
//! 3. `Σ K_i` is an integer sum (wrapping `u64` adds of the bit patterns, minus `256 · bits(σ)`;
//!    the true value is below `2^59`), so it is exact and the compiler vectorizes it freely. It goes
//!    into the accumulator as one integer at bit position `s − 52`.
//! 4. The remainders `r_i` are folded again, with `s` from the bound `|r| ≤ 2^(s−53)` or from the OR
//!    of their bit patterns (which orders above each `|r_i|`), whichever is smaller, until the OR is
//!    zero; each fold takes at least 50 bits off the top of the block's range. After
//!    [`MAX_FOLDS`] folds the nonzero remainders go into the accumulator one by one, which bounds
//!    the cost of a block whose magnitudes span the whole exponent range.
//!
//! Doubles with magnitudes within a few orders of each other need two folds (three vector passes
//! over the L1-resident block, one read from memory); `f32` data usually one. Every step is exact,
//! so neither the vector width, the block size nor the number of folds changes a bit of the result.
//!
//! # Special values and the sign of zero (`docs/numerics.md` §2, IEEE 754)
//!
//! NaNs and infinities are flags beside the chunks: any NaN, or `+∞` with `−∞` → NaN (the canonical
//! `f64::NAN`); `+∞` alone → `+∞`. An exact sum of zero is `−0.0` when every element was `−0.0`
//! (tracked as "saw anything but `−0.0`"), else `+0.0`; an accumulator that saw nothing rounds to
//! `−0.0`, the identity of IEEE addition (the API returns `+0.0` for an empty slice before
//! accumulating anything).

use super::bigint::Big;
use super::element::Float;
use crate::sched::BLOCK_LEN;
use std::fmt;

/// Chunks of the accumulator (see the module docs: 64 for the exponent range, three for carries).
pub(crate) const CHUNKS: usize = 67;
/// Bits per chunk below the carry.
const CHUNK_BITS: u32 = 32;
/// Low-bits mask of a chunk.
const LOW_MASK: u64 = (1 << CHUNK_BITS) - 1;
/// The top chunk, which keeps the sign and everything from `2^1038` up.
const TOP: usize = CHUNKS - 1;
/// Adds between two normalizations (each add changes a chunk by less than `2^32`).
const ADDS_PER_CARRY: u32 = 1 << 10;
/// Elements reduced by one fold: `FOLD_LEN · (2^50 + 1)` must stay below `2^63`.
pub(super) const FOLD_LEN: usize = BLOCK_LEN;
/// `s − e` of step 2: `|x| ≤ 2^(s−2)` keeps `σ + x` in one binade.
const MARGIN: i32 = 3;
/// Folds before the remainders of a block are added one by one.
const MAX_FOLDS: u32 = 6;
/// Largest `floor(log2 max|x|)` a fold takes: `σ + x < 2^(s+1)` must stay below `2^1024`.
const FOLD_MAX_EXP: i32 = 1023 - MARGIN;
pub(super) const SIGN: u64 = 1 << 63;
pub(super) const ABS: u64 = !SIGN;
const FRAC: u64 = (1 << 52) - 1;
/// Bits of `+∞`: an absolute value with these bits or more is `∞` or NaN.
pub(super) const INF_BITS: u64 = 0x7ff0_0000_0000_0000;

const _: () = assert!((FOLD_LEN as u128) * ((1 << 50) + 1) < (1 << 63));
const _: () = assert!((1u64 << CHUNK_BITS) * (ADDS_PER_CARRY as u64 + 1) < (1 << 62));

/// The exact sum of some doubles, and the flags of the special values among them: the partial
/// of [`ExactSum`](super::ExactSum) and [`ExactDot`](super::ExactDot), and the accumulator of
/// [`Accuracy::Exact`](super::Accuracy::Exact).
///
/// Its [`merge`](Self::merge) is exact, so it is **associative and commutative bit for bit**:
/// partials merged in any order and grouping (an engine's partitions, merged as they finish)
/// give one result. Plain old data (`#[repr(C)]`, 544 bytes: 67 `i64` chunks weighing
/// `2^(32k − 1074)`, an add counter and four flags), always left normalized (every chunk but the
/// last in `[0, 2^32)`), so equal sums have equal bytes. The module docs of `exact.rs` give the
/// representation and why nothing overflows.
///
/// # Examples
///
/// ```
/// use shmkern::kernels::Superaccumulator;
///
/// let (mut a, mut b) = (Superaccumulator::new(), Superaccumulator::new());
/// a.add(1e100);
/// a.add(1.0);
/// b.add(-1e100);
/// assert_eq!(Superaccumulator::merge(a, b).round(), 1.0);
/// assert_eq!(Superaccumulator::merge(a, b), Superaccumulator::merge(b, a)); // the same bytes
/// assert_eq!(Superaccumulator::new().round().to_bits(), (-0.0f64).to_bits());
/// ```
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Superaccumulator {
    /// `Σ chunk[k] · 2^(32k − 1074)`.
    chunk: [i64; CHUNKS],
    /// Adds since the last normalization.
    adds: u32,
    /// Flags, each 0 or 1 (any other value reads as 1): a NaN was seen, `+∞`, `−∞`, and some
    /// element other than `−0.0`.
    nan: u8,
    pos_inf: u8,
    neg_inf: u8,
    pub(super) not_only_neg_zero: u8,
}

const _: () = assert!(std::mem::size_of::<Superaccumulator>() == 8 * (CHUNKS + 1));
const _: () = assert!(std::mem::align_of::<Superaccumulator>() == 8);

// SAFETY: `#[repr(C)]` of an `i64` array, a `u32` and four `u8`s, with no padding (the size check
// above): every bit pattern is a value. The methods assume no more than that: flags read as
// "nonzero", and the chunk arithmetic of a merge wraps instead of overflowing, so a forged
// partial gives a wrong sum, never a panic.
unsafe impl bytemuck::Zeroable for Superaccumulator {}
// SAFETY: as above; the type is `Copy` and `'static`.
unsafe impl bytemuck::Pod for Superaccumulator {}

impl PartialEq for Superaccumulator {
    /// Bitwise equality: the same exact sum and flags, since both sides are normalized.
    fn eq(&self, other: &Self) -> bool {
        bytemuck::bytes_of(self) == bytemuck::bytes_of(other)
    }
}

impl Eq for Superaccumulator {}

impl fmt::Debug for Superaccumulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Superaccumulator")
            .field("rounded", &self.round())
            .finish()
    }
}

impl Default for Superaccumulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Superaccumulator {
    /// The accumulator of no element (rounds to `−0.0`).
    pub const fn new() -> Self {
        Superaccumulator {
            chunk: [0; CHUNKS],
            adds: 0,
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            not_only_neg_zero: 0,
        }
    }

    /// Adds one element, whatever its value: the special-value and zero-sign flags, and the
    /// chunks for a finite value.
    pub fn add(&mut self, x: f64) {
        let bits = x.to_bits();
        self.not_only_neg_zero |= u8::from(bits != SIGN);
        if bits & ABS >= INF_BITS {
            if x.is_nan() {
                self.nan = 1;
            } else if x > 0.0 {
                self.pos_inf = 1;
            } else {
                self.neg_inf = 1;
            }
        } else {
            self.add_finite(x);
        }
    }

    /// Adds a finite `x` to the chunks: `±M` at bit position `p` (module docs).
    #[inline(always)]
    fn add_finite(&mut self, x: f64) {
        debug_assert!(x.is_finite());
        let bits = x.to_bits();
        let field = (bits >> 52) & 0x7ff;
        let mant = ((bits & FRAC) | (u64::from(field != 0) << 52)) as i64;
        let neg = (bits as i64) >> 63; // 0 or −1: `(v ^ neg) − neg` is `v` or `−v`
        self.add_int((mant ^ neg) - neg, (field.max(1) - 1) as u32);
    }

    /// Adds `k · 2^(p − 1074)`, for any `k` and `p ≤ 2045`.
    #[inline(always)]
    pub(super) fn add_int(&mut self, k: i64, p: u32) {
        debug_assert!(p <= 2045);
        let neg = k >> 63;
        let v = u128::from(k.unsigned_abs()) << (p % CHUNK_BITS); // ≤ 2^94: three parts < 2^32
        let idx = (p / CHUNK_BITS) as usize; // ≤ 63
        let parts = [
            (v as u64 & LOW_MASK) as i64,
            ((v >> CHUNK_BITS) as u64 & LOW_MASK) as i64,
            (v >> (2 * CHUNK_BITS)) as i64,
        ];
        for (c, part) in self.chunk[idx..idx + 3].iter_mut().zip(parts) {
            *c += (part ^ neg) - neg;
        }
        self.adds += 1;
        if self.adds >= ADDS_PER_CARRY {
            self.normalize();
        }
    }

    /// Propagates carries: every chunk below the top into `[0, 2^32)`, the value unchanged.
    ///
    /// Wrapping, so that a forged partial (bytes from elsewhere) cannot make it panic; for the
    /// accumulator's own values no add wraps (module docs).
    pub(crate) fn normalize(&mut self) {
        for k in 0..TOP {
            let carry = self.chunk[k] >> CHUNK_BITS;
            self.chunk[k] &= LOW_MASK as i64;
            self.chunk[k + 1] = self.chunk[k + 1].wrapping_add(carry);
        }
        self.adds = 0;
    }

    /// The exact sum of both accumulators' elements (flags combined as IEEE addition would),
    /// normalized: the same bytes whichever side is which, and however a set of accumulators is
    /// grouped into merges.
    pub fn merge(mut a: Superaccumulator, mut b: Superaccumulator) -> Superaccumulator {
        a.normalize();
        b.normalize();
        for (x, y) in a.chunk.iter_mut().zip(b.chunk) {
            *x = x.wrapping_add(y);
        }
        a.normalize();
        a.nan = u8::from(a.nan | b.nan != 0);
        a.pos_inf = u8::from(a.pos_inf | b.pos_inf != 0);
        a.neg_inf = u8::from(a.neg_inf | b.neg_inf != 0);
        a.not_only_neg_zero = u8::from(a.not_only_neg_zero | b.not_only_neg_zero != 0);
        a
    }

    /// Whether the chunks' sum is negative, and its magnitude, normalized (the flags aside).
    fn sign_and_magnitude(&self) -> (bool, Superaccumulator) {
        let mut m = *self;
        m.normalize();
        let neg = m.chunk[TOP] < 0;
        if neg {
            for c in &mut m.chunk {
                *c = c.wrapping_neg();
            }
            m.normalize();
        }
        (neg, m)
    }

    /// The exact sum as a sign and a magnitude in units of `2^-1074`, or `None` when a NaN or an
    /// infinity was added (the flags decide the value then, see [`round`](Self::round)).
    pub(crate) fn integer(&self) -> Option<(bool, Big)> {
        if self.nan != 0 || self.pos_inf != 0 || self.neg_inf != 0 {
            return None;
        }
        let (neg, m) = self.sign_and_magnitude();
        // Every chunk but the top is in [0, 2^32); the top one below 2^62 (as u64, two limbs).
        let mut limbs: Vec<u32> = m.chunk[..TOP].iter().map(|&c| c as u32).collect();
        let top = m.chunk[TOP] as u64;
        limbs.extend([top as u32, (top >> 32) as u32]);
        Some((neg, Big::from_limbs(limbs)))
    }

    /// The exact sum rounded once to the nearest `f64`, ties to even, with the special-value and
    /// zero-sign rules of the module docs.
    pub fn round(&self) -> f64 {
        let (pos_inf, neg_inf) = (self.pos_inf != 0, self.neg_inf != 0);
        if self.nan != 0 || (pos_inf && neg_inf) {
            return f64::NAN;
        }
        if pos_inf {
            return f64::INFINITY;
        }
        if neg_inf {
            return f64::NEG_INFINITY;
        }
        let (neg, m) = self.sign_and_magnitude();
        let c = &m.chunk;
        let Some(h) = c.iter().rposition(|&v| v != 0) else {
            return if self.not_only_neg_zero != 0 {
                0.0
            } else {
                -0.0
            };
        };
        // The window: chunks base..=h as one integer (the top chunk is below 2^34, so w < 2^98).
        let base = h.saturating_sub(2);
        let mut w: u128 = 0;
        for k in (base..=h).rev() {
            w = (w << CHUNK_BITS) | c[k] as u128;
        }
        let below = c[..base].iter().any(|&v| v != 0);
        let nbits = u128::BITS - w.leading_zeros();
        // Bits cut off the window (at least 12 when base > 0, since then w ≥ 2^64).
        let mut shift = nbits.saturating_sub(53);
        let mut q = (w >> shift) as u64;
        if shift > 0 {
            let guard = (w >> (shift - 1)) & 1 == 1;
            let sticky = below || w & ((1u128 << (shift - 1)) - 1) != 0;
            if guard && (sticky || q & 1 == 1) {
                q += 1;
                if q == 1 << 53 {
                    q >>= 1;
                    shift += 1;
                }
            }
        }
        let t = u64::from(shift) + u64::from(CHUNK_BITS) * base as u64;
        let sign = if neg { SIGN } else { 0 };
        if t + 1 >= 0x7ff {
            return f64::from_bits(sign | INF_BITS);
        }
        f64::from_bits(sign | ((t << 52) + q))
    }
}

/// `floor(log2 v)` of a positive finite double given by its bits (`0 < bits < INF_BITS`); for
/// larger bits (the OR of several doubles' bits may look like ∞ or NaN) 1024.
#[inline(always)]
pub(super) fn exponent(bits: u64) -> i32 {
    debug_assert!(bits != 0);
    if bits >= 1 << 52 {
        ((bits >> 52) as i32 - 1023).min(1024)
    } else {
        63 - bits.leading_zeros() as i32 - 1074
    }
}

/// The bits of the largest `|x|` of a block (`|x|` orders like its bits; NaN and ∞ above all).
#[inline(always)]
fn max_abs_bits<T: Float>(x: &[T; FOLD_LEN]) -> u64 {
    // i64: the bits are below 2^63, and a signed max vectorizes on more ISAs than an unsigned one.
    // An integer max may be reordered freely, so this plain loop vectorizes.
    x.iter()
        .map(|v| (v.widen().to_bits() & ABS) as i64)
        .fold(0, i64::max) as u64
}

/// One fold (steps 2 and 3) of `load(i)` for every `i`, remainders into `rem`; returns `Σ K_i`
/// (`Σ q_i = ΣK_i · 2^(s−52)`) and the OR of the remainders' bits without the sign (zero exactly
/// when every remainder is zero; otherwise at least the bits of the largest `|r_i|`).
///
/// Only integer reductions (wrapping add, OR): the compiler may reorder them, so the loop
/// vectorizes to the full width of the ISA it is compiled for.
#[inline(always)]
fn fold(load: impl Fn(usize) -> f64, rem: &mut [f64; FOLD_LEN], s: i32) -> (i64, u64) {
    debug_assert!((-1022..=1023).contains(&s));
    let sigma = f64::from_bits((((s + 1023) as u64) << 52) | (1 << 51)); // 1.5 · 2^s
    let mut k = 0u64;
    let mut or = 0u64;
    for (i, r) in rem.iter_mut().enumerate() {
        let x = load(i);
        let t = sigma + x;
        k = k.wrapping_add(t.to_bits());
        *r = x - (t - sigma);
        or |= r.to_bits();
    }
    let k = k.wrapping_sub(sigma.to_bits().wrapping_mul(FOLD_LEN as u64)) as i64;
    (k, or & ABS)
}

/// Adds the elements of `x` one by one (NaN, ∞, huge magnitudes).
#[cold]
fn one_by_one<T: Float>(acc: &mut Superaccumulator, x: &[T]) {
    for v in x {
        acc.add(v.widen());
    }
}

/// Adds one block of exactly [`FOLD_LEN`] elements to `acc`; `a` and `b` are scratch.
#[inline(always)]
pub(super) fn block<'s, T: Float>(
    acc: &mut Superaccumulator,
    x: &[T; FOLD_LEN],
    mut a: &'s mut [f64; FOLD_LEN],
    mut b: &'s mut [f64; FOLD_LEN],
) {
    let m = max_abs_bits(x);
    if m == 0 {
        // Only zeros: they add nothing, but a +0.0 decides the sign of a zero sum.
        acc.not_only_neg_zero |= u8::from(x.iter().any(|v| v.widen().to_bits() == 0));
        return;
    }
    acc.not_only_neg_zero = 1;
    let e = exponent(m); // 1024 for NaN and ∞
    if e > FOLD_MAX_EXP {
        one_by_one(acc, x);
        return;
    }
    let mut s = (e + MARGIN).max(-1022);
    let (k, mut or) = fold(|i| x[i].widen(), a, s);
    acc.add_int(k, (s - 52 + 1074) as u32);
    let mut folds = 1;
    while or != 0 {
        if folds == MAX_FOLDS {
            for &r in a.iter() {
                if r != 0.0 {
                    acc.add_finite(r);
                }
            }
            return;
        }
        // Every remainder is at most 2^(s−53), and at most the double with the OR-ed bits.
        s = (s - 53 + MARGIN).min(exponent(or) + MARGIN).max(-1022);
        let src: &[f64; FOLD_LEN] = a;
        let (k, next) = fold(|i| src[i], b, s);
        acc.add_int(k, (s - 52 + 1074) as u32);
        std::mem::swap(&mut a, &mut b);
        or = next;
        folds += 1;
    }
}

/// The accumulator of one chunk (any length), portable code.
#[inline(always)]
fn chunk_generic<T: Float>(x: &[T]) -> Superaccumulator {
    let mut acc = Superaccumulator::new();
    let (mut a, mut b) = ([0.0f64; FOLD_LEN], [0.0f64; FOLD_LEN]);
    let mut blocks = x.chunks_exact(FOLD_LEN);
    for blk in &mut blocks {
        let blk: &[T; FOLD_LEN] = blk.try_into().expect("chunks_exact yields whole blocks");
        block(&mut acc, blk, &mut a, &mut b);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // Padding with −0.0 changes neither the sum nor the zero-sign flag.
        let mut padded = [-0.0f64; FOLD_LEN];
        for (p, v) in padded.iter_mut().zip(tail) {
            *p = v.widen();
        }
        block(&mut acc, &padded, &mut a, &mut b);
    }
    acc.normalize(); // the partial's one representation of its value
    acc
}

super::isa::isa_dispatch!(chunk_isa, chunk, chunk_generic, <T: Float> -> Superaccumulator);

/// The exact sum of the products `x_i · y_i` (`x`, `y` equally long): the partial of
/// [`ExactDot`](super::ExactDot). Each product is split into two doubles that add up to it
/// exactly — the rounded product `p` and its rounding error `fma(x, y, −p)` — and each block's
/// products and errors go through the same exact folds as a sum's elements. The split is exact
/// where `|x·y|` is zero or between 2^-969 and the largest double; below, the error term may
/// itself round (by at most 2^-1075 a product); above, `p` is `±∞` and so is the sum. An error
/// of zero is left out (as `−0.0`), so it does not decide the sign of a zero sum.
#[inline(always)]
fn dot_chunk_generic<T: Float>((x, y): (&[T], &[T])) -> Superaccumulator {
    debug_assert_eq!(x.len(), y.len());
    let mut acc = Superaccumulator::new();
    let (mut a, mut b) = ([0.0f64; FOLD_LEN], [0.0f64; FOLD_LEN]);
    let (mut p, mut e) = ([-0.0f64; FOLD_LEN], [-0.0f64; FOLD_LEN]);
    for (bx, by) in x.chunks(FOLD_LEN).zip(y.chunks(FOLD_LEN)) {
        for i in 0..FOLD_LEN {
            // Padding past a short last block with −0.0 changes neither the sum nor its sign.
            (p[i], e[i]) = match (bx.get(i), by.get(i)) {
                (Some(u), Some(v)) => {
                    let (u, v) = (u.widen(), v.widen());
                    let q = u * v;
                    let r = u.mul_add(v, -q);
                    (q, if r.is_finite() && r != 0.0 { r } else { -0.0 })
                }
                _ => (-0.0, -0.0),
            };
        }
        block(&mut acc, &p, &mut a, &mut b);
        block(&mut acc, &e, &mut a, &mut b);
    }
    acc.normalize();
    acc
}

super::isa::isa_dispatch!(dot_chunk_isa, dot_chunk, dot_chunk_generic, <T: Float>((&[T], &[T])) -> Superaccumulator);

#[cfg(test)]
mod tests {
    use super::*;

    /// Element by element, no folds: the reference the folds must match.
    fn direct(xs: &[f64]) -> Superaccumulator {
        let mut a = Superaccumulator::new();
        for &x in xs {
            a.add(x);
        }
        a
    }

    fn exact(xs: &[f64]) -> f64 {
        chunk_generic(xs).round()
    }

    /// Both paths, and the bits of their rounded results must agree.
    fn check(xs: &[f64], expected: f64) {
        let folded = exact(xs);
        let one_by_one = direct(xs).round();
        assert_eq!(
            folded.to_bits(),
            expected.to_bits(),
            "{xs:?}: got {folded:e}, expected {expected:e}"
        );
        assert_eq!(
            one_by_one.to_bits(),
            expected.to_bits(),
            "direct path {xs:?}"
        );
    }

    /// `2^e` for a normal `e`, built from its bits (`powi` need not be exact, and Miri
    /// perturbs it).
    fn pow2(e: i32) -> f64 {
        f64::from_bits(((e + 1023) as u64) << 52)
    }

    fn normalized(mut a: Superaccumulator) -> [i64; CHUNKS] {
        a.normalize();
        a.chunk
    }

    /// Merges of the same accumulators in any order and grouping have the same bytes, not only
    /// the same rounded value: the partial is normalized after every merge.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "integer arithmetic on a plain struct, no unsafe code: slow under Miri"
    )]
    fn merges_in_any_order_have_the_same_bytes() {
        let parts: Vec<Superaccumulator> = [1e300, -3.5, pow2(-1020), -1e300, 7.0, 1e-300]
            .iter()
            .map(|&x| {
                let mut a = Superaccumulator::new();
                for k in 0..1500 {
                    a.add(x * f64::from(k % 7)); // past ADDS_PER_CARRY: unnormalized inside
                }
                a
            })
            .collect();
        let m = Superaccumulator::merge;
        let left = parts[1..].iter().fold(parts[0], |acc, &p| m(acc, p));
        let right = parts[..5].iter().rev().fold(parts[5], |acc, &p| m(p, acc));
        let paired = m(
            m(m(parts[3], parts[0]), m(parts[5], parts[1])),
            m(parts[4], parts[2]),
        );
        assert_eq!(bytemuck::bytes_of(&left), bytemuck::bytes_of(&right));
        assert_eq!(left, paired);
        // Σ (k mod 7) over k < 1500 is 4495; the ±1e300 cancel, the tiny terms round away.
        assert_eq!(left.round(), 4495.0 * 3.5);
    }

    /// Bytes from elsewhere (a shared file, another process) may be anything: a merge and a
    /// rounding of any bit pattern give some value, never a panic or an overflow trap.
    #[test]
    fn forged_partials_do_not_panic() {
        for fill in [0xffu8, 0x7f, 0x80, 0x55] {
            let mut forged = Superaccumulator::new();
            bytemuck::bytes_of_mut(&mut forged).fill(fill);
            let m = Superaccumulator::merge(forged, forged);
            let _ = (
                m.round(),
                forged.round(),
                Superaccumulator::merge(m, Superaccumulator::new()),
            );
        }
    }

    #[test]
    fn cancellation() {
        check(&[1e16, 1.0, -1e16], 1.0);
        check(&[1.0, 1e100, 1.0, -1e100], 2.0);
        check(&[1e308, -1e308, 1e-308, 3.0], 3.0);
        check(&[-1.0, -(pow2(-60))], -1.0);
        check(&[0.1, 0.2, -0.3], 2.7755575615628914e-17);
    }

    #[test]
    fn ties_to_even_and_sticky() {
        let u = pow2(-53);
        check(&[1.0, u], 1.0); // tie, 1.0 is even
        check(&[1.0 + 2.0 * u, u], 1.0 + 4.0 * u); // tie, rounds up to even
        check(&[1.0, u, pow2(-200)], 1.0 + 2.0 * u); // the sticky bit breaks the tie
        check(&[-1.0, -u, -f64::from_bits(1)], -(1.0 + 2.0 * u));
        check(&[1.0, u, -f64::from_bits(1)], 1.0); // just below the tie
    }

    #[test]
    fn subnormals() {
        let tiny = f64::from_bits(1);
        check(&[tiny, tiny], f64::from_bits(2));
        check(&[f64::MIN_POSITIVE, -tiny], f64::from_bits((1 << 52) - 1));
        check(&[f64::MIN_POSITIVE, -f64::MIN_POSITIVE, tiny], tiny);
        check(&[3.0 * tiny, -tiny], 2.0 * tiny);
    }

    #[test]
    fn overflow_rounds_to_nearest() {
        let max = f64::MAX;
        let half_ulp = pow2(970);
        check(&[max, max], f64::INFINITY);
        check(&[-max, -max], f64::NEG_INFINITY);
        check(&[max, max, -max], max);
        check(&[max, half_ulp], f64::INFINITY); // the midpoint to 2^1024 rounds up (MAX is odd)
        check(&[max, half_ulp, -f64::from_bits(1)], max);
        check(&[max, pow2(969)], max);
        // The largest magnitudes a fold takes (σ = 1.5 · 2^1023) and the smallest it leaves to
        // the element-by-element path.
        let mut v = vec![pow2(1020); 7];
        v.extend([-(pow2(1020)); 6]);
        check(&v, pow2(1020));
        let mut v = vec![pow2(1021); 3];
        v.extend([-(pow2(1021)); 2]);
        check(&v, pow2(1021));
    }

    #[test]
    fn special_values_and_zero_signs() {
        let nan = f64::NAN.to_bits();
        check(&[1.0, f64::INFINITY], f64::INFINITY);
        check(&[f64::NEG_INFINITY, f64::MAX], f64::NEG_INFINITY);
        assert_eq!(exact(&[f64::INFINITY, f64::NEG_INFINITY]).to_bits(), nan);
        assert_eq!(exact(&[1.0, -f64::NAN]).to_bits(), nan);
        assert_eq!(exact(&[f64::INFINITY, f64::NAN]).to_bits(), nan);
        check(&[-0.0, -0.0], -0.0);
        check(&[-0.0, 0.0], 0.0);
        check(&[1.0, -1.0], 0.0);
        check(&[-1.0, 1.0, -0.0], 0.0);
        check(&[], -0.0); // the identity; `sum_float_at` returns +0.0 for an empty slice itself
    }

    /// Many adds into the same chunks: the carries every 1024 adds keep the value exact, and
    /// merging two halves gives the same accumulator as adding everything into one.
    #[test]
    fn carries_and_merge() {
        let big = f64::from_bits(0x433f_ffff_ffff_ffff); // 2^53 − 1: every mantissa bit set
        let n = if cfg!(miri) { 1100 } else { 3000 };
        let xs = vec![big; n];
        let got = direct(&xs);
        let (a, b) = xs.split_at(n / 3);
        assert_eq!(
            normalized(got),
            normalized(Superaccumulator::merge(direct(a), direct(b)))
        );
        // u128 → f64 rounds to nearest, ties to even, too.
        let exact_int = n as u128 * ((1u128 << 53) - 1);
        assert_eq!(got.round(), exact_int as f64);
        let mut both = xs.clone();
        both.extend(xs.iter().map(|&x| -x));
        check(&both, 0.0);
    }

    /// The folds give the accumulator the exact value of adding every element on its own, for
    /// magnitudes across the range, signs and a tail.
    #[test]
    fn folds_equal_direct_adds() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let len = if cfg!(miri) {
            FOLD_LEN + 3
        } else {
            5 * FOLD_LEN + 17
        };
        for spread in [8u64, 60, 200, 2046] {
            let xs: Vec<f64> = (0..len)
                .map(|_| {
                    let r = next();
                    let field = 1023 - spread / 2 + (r >> 11) % spread;
                    f64::from_bits((r & (SIGN | FRAC)) | (field.clamp(0, 2046) << 52))
                })
                .collect();
            assert_eq!(
                normalized(chunk_generic(&xs)),
                normalized(direct(&xs)),
                "spread {spread}"
            );
            assert_eq!(exact(&xs).to_bits(), direct(&xs).round().to_bits());
        }
    }

    /// `f32` input is the same as its exact widening.
    #[test]
    fn f32_is_widened() {
        let xs: Vec<f32> = (0..300).map(|i| (i as f32 - 150.5) * 1e-3).collect();
        let wide: Vec<f64> = xs.iter().map(|&x| f64::from(x)).collect();
        assert_eq!(
            chunk_generic(&xs).round().to_bits(),
            chunk_generic(&wide).round().to_bits()
        );
    }

    /// Every ISA the CPU has gives the accumulator the same value.
    #[test]
    #[cfg_attr(miri, ignore = "target features")]
    fn isas_agree() {
        use crate::kernels::Isa;
        let xs: Vec<f64> = (0..10_000).map(|i| (i as f64).sin() * 1e10).collect();
        let base = normalized(chunk_isa(Isa::Baseline, &xs).unwrap());
        for isa in [Isa::Avx2, Isa::Avx512] {
            if let Some(a) = chunk_isa(isa, &xs) {
                assert_eq!(normalized(a), base, "{isa:?}");
            }
        }
    }
}
