//! The chunk function of [`ExactMoments`](super::ExactMoments): the exact sums of the values and
//! of their squares in one fused pass a block, which cuts every value into integer *pieces* whose
//! pairwise products sum exactly in integers.
//!
//! # Pieces
//!
//! Within a block of [`BLOCK`] = 1024 values, let `e = floor(log2 max|x|)` and `e_min` the same of
//! the smallest nonzero `|x|`. Every value is then a multiple of `2^(e_min − D + 1)` (`D` = 53
//! bits of an `f64`, 24 of an `f32`), and below `2^(e + 1)` in magnitude. With `top = e + 2` and
//! the units `U_k = 2^(top − 26k)`, the error-free split of the exact sum's folds (`exact.rs`,
//! step 2: `t = σ_k + r`, `K = bits(t) − bits(σ_k)`, `r ← r − (t − σ_k)`, with
//! `σ_k = 1.5 · 2^(log2 U_k + 52)`) cuts a value into integers `K_1, K_2, …` with
//! `x = Σ K_k · U_k` exactly: `|K_1| ≤ 2^25` (`|x| < 2^(top − 1)`), and each later `|K_k| ≤ 2^25`
//! (the previous remainder is at most half a unit). After `n` pieces, with
//! `U_n ≤ 2^(e_min − D + 1)`, the remainder is zero: `n = ceil((e − e_min + D + 1) / 26)` —
//! three for `f64` values within 24 binades of each other, two for `f32` within 27.
//!
//! So `x² = Σ_{k,l} K_k K_l · U_k U_l`, and every product `K_k K_l` is an integer of at most
//! `2^50` (a signed 32 × 32 → 64-bit multiply, which every vector ISA has). The products of one
//! unit — those of degree `d = k + l`, at most five ordered pairs — are summed together, and the
//! block's sums `Σ_i K_{i,k}` and `Σ_i Σ_{k+l=d} K_{i,k} K_{i,l}` (at most `5 · 2^60`: `i64`) are
//! exact integer sums in any order; each goes into the [`Superaccumulator`] as one integer at its
//! unit. One pass, `n + 2n − 1` integer accumulators, no fold chains: for `f64` three splits and
//! six products a value, about a third of the work of folding the values, their squares and the
//! squares' rounding errors.
//!
//! The pass also reads the *next* block for its range (largest and smallest nonzero `|x|`, an
//! integer max and min): the pieces are compute-bound and a scan of its own is memory-bound, and
//! fused, the next block's reads overlap this one's arithmetic. The block after that is
//! prefetched into L2 as the pass goes (on AVX2 and AVX-512, whose loop is written with explicit
//! vectors: `square_rows.rs`) or before it (the auto-vectorized loop of the other ISAs).
//!
//! # When a block takes the general path
//!
//! The pieces need `e ≤ 500` (every square finite, the largest unit's square within the
//! accumulator's adds), `e_min ≥ −480`, `U_n² ≥ 2^-1074` (the smallest product on the
//! accumulator's scale) and `n ≤` [`MAX_PIECES`]. A block that fails any of these (an `∞`, a huge
//! or tiny value, values more than about 100 binades apart) goes through the general path: the
//! exact folds of the values, of their rounded squares and of the squares' rounding errors
//! (`exact::block`). Within the pieces' range both paths compute the same exact sums — the
//! fused multiply-add's error term is exact for `|x| ≥ 2^-480` — so which path a block takes never
//! changes a bit, whatever the block boundaries.
//!
//! NaNs are counted and go in as zero on both paths (they are skipped); the flags that decide the
//! sign of a zero sum are those of the general path: `Σx`'s as its exact sum's, `Σx²`'s set by any
//! block (a square is `+0.0` at least).

use super::element::Float;
use super::exact::{self, exponent, Superaccumulator, ABS, FOLD_LEN, INF_BITS, SIGN};
use super::i64x8::I64x8;
use super::square_rows::{self, DEGREES};

/// Values under one plan: four times [`FOLD_LEN`], to spread the reductions of the accumulators
/// and the adds into the sums over many values; as many as the pieces' bounds allow.
const BLOCK: usize = 4 * FOLD_LEN;
/// Bits of a piece: products of two pieces at most `2^50`, and `BLOCK` of them at most `2^60`.
const PIECE_BITS: i32 = 26;
/// Most pieces a value is cut into on the fast path (values up to about 100 binades apart for
/// `f64`); more go through the folds.
const MAX_PIECES: i32 = 5;
/// Largest `e` the pieces take: squares below `2^1002`, the first unit's square on the scale.
const MAX_EXP: i32 = 500;
/// Smallest `e_min` the pieces take: squares at least `2^-960`, where the general path's
/// rounding-error split is exact too.
const MIN_EXP: i32 = -480;

// The block's sums are `i64`: a degree's sum is at most `BLOCK · MAX_PIECES · 2^50`, below 2^63;
// its terms' degrees fit the loops' accumulators.
const _: () = assert!((BLOCK as u128 * MAX_PIECES as u128) << (2 * PIECE_BITS - 2) < 1 << 63);
const _: () = assert!(DEGREES == 2 * MAX_PIECES as usize - 1);

/// One read of a block: the bits of its largest `|x|` (NaN above `∞`) and of its smallest
/// nonzero one (0 when there is none).
#[inline(always)]
fn scan<T: Float>(x: &[T; BLOCK]) -> (u64, u64) {
    // Integer reductions only, which the compiler may reorder: the loop vectorizes. The bits are
    // below 2^63, so a signed max orders them; the minimum is taken of `bits − 1` as unsigned
    // (zero wraps to the top), as a signed minimum of it with the sign bit flipped (a signed
    // minimum vectorizes on more ISAs than an unsigned one).
    let (mut max, mut min) = (0i64, i64::MAX);
    for v in x {
        let b = v.widen().to_bits() & ABS;
        max = max.max(b as i64);
        min = min.min((b.wrapping_sub(1) ^ SIGN) as i64);
    }
    (max as u64, (min as u64 ^ SIGN).wrapping_add(1))
}

/// [`scan`] of a block with NaNs: their count, and the extremes of the other values.
#[cold]
fn scan_nan<T: Float>(x: &[T; BLOCK]) -> (u64, u64, u64) {
    let (mut nans, mut max, mut min) = (0u64, 0u64, u64::MAX);
    for v in x {
        let b = v.widen().to_bits() & ABS;
        if b > INF_BITS {
            nans += 1;
        } else {
            max = max.max(b);
            min = min.min(b.wrapping_sub(1));
        }
    }
    (nans, max, min.wrapping_add(1))
}

/// `1.5 · 2^s` (normal `s`), the splitting constant of a unit `2^(s − 52)`.
#[inline(always)]
fn sigma(s: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&s));
    f64::from_bits((((s + 1023) as u64) << 52) | (1 << 51))
}

/// The pieces' sums of one block, `N` pieces a value with units `2^(top − 26k)` (`k = 1..=N`):
/// `Σ K_k` and, by degree `d`, `Σ_{k+l=d} K_k K_l` over every ordered pair (the square's terms
/// of one unit), for NaN-free values; and the range of `next`, as [`scan`] gives it or (the
/// explicit loop) a wider one with the same plan's sums (`square_rows.rs`).
///
/// The same loop [`scan`]s the `next` block: its reads from memory then overlap the arithmetic,
/// where a scan of its own would leave the memory idle while this block is cut (the pieces are
/// compute-bound, the scan memory-bound). On lanes with vector integer operations the loop is
/// written with them and prefetches `after` row by row (`square_rows.rs`); elsewhere it is the
/// auto-vectorized loop below, and the caller prefetches.
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
unsafe fn pieces<L: I64x8, const N: usize, X: Float, T: Float>(
    x: &[X; BLOCK],
    top: i32,
    next: &[T; BLOCK],
    after: *const T,
) -> ([i64; N], [i64; DEGREES], (u64, u64)) {
    let sig: [f64; N] = std::array::from_fn(|k| sigma(top + 52 - PIECE_BITS * (k as i32 + 1)));
    if L::NATIVE {
        // SAFETY: `L`'s ISA is the caller's guarantee.
        return unsafe { square_rows::rows::<L, N, X, T>(x, &sig, next, after) };
    }
    let mut sums = [0u64; N];
    let mut degrees = [0i64; DEGREES];
    let mut rest = 0u64;
    let (mut max, mut min) = (0i64, i64::MAX);
    for (v, w) in x.iter().zip(next) {
        let b = w.widen().to_bits() & ABS;
        max = max.max(b as i64);
        min = min.min((b.wrapping_sub(1) ^ SIGN) as i64);
        let mut r = v.widen();
        let mut k = [0u64; N];
        for p in 0..N {
            let t = sig[p] + r;
            // Within one binade the bit patterns step by one unit: `bits(t) = bits(σ) + K`.
            // The low 32 bits of `bits(σ)` are zero and `|K| ≤ 2^25`, so the low 32 bits of
            // `bits(t)`, as a signed integer, are `K` itself.
            k[p] = t.to_bits();
            if p + 1 < N || cfg!(debug_assertions) {
                r -= t - sig[p];
            }
        }
        rest |= r.to_bits() & ABS;
        for p in 0..N {
            sums[p] = sums[p].wrapping_add(k[p]);
            // Signed 32 × 32 → 64-bit products, exact; each pair off the diagonal once, doubled.
            degrees[2 * p] += i64::from(k[p] as i32) * i64::from(k[p] as i32);
            for q in p + 1..N {
                degrees[p + q] += 2 * i64::from(k[p] as i32) * i64::from(k[q] as i32);
            }
        }
    }
    debug_assert_eq!(rest, 0, "the last piece leaves no remainder");
    // Σ bits(t) − BLOCK · bits(σ) = Σ K (wrapping: the true value is below 2^37).
    let sums = std::array::from_fn(|p| {
        sums[p].wrapping_sub(sig[p].to_bits().wrapping_mul(BLOCK as u64)) as i64
    });
    (
        sums,
        degrees,
        (max as u64, (min as u64 ^ SIGN).wrapping_add(1)),
    )
}

/// Adds the block's pieces to the sums: `Σ K_k` at unit `U_k`, the degree-`d` products at
/// `U_0² · 2^(-26d)`; `top` is `log2 U_0`.
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
unsafe fn add_pieces<L: I64x8, const N: usize, X: Float, T: Float>(
    (s1, s2): (&mut Superaccumulator, &mut Superaccumulator),
    x: &[X; BLOCK],
    top: i32,
    (next, after): (&[T; BLOCK], *const T),
) -> (u64, u64) {
    // SAFETY: forwarded from the caller.
    let (sums, degrees, next_range) = unsafe { pieces::<L, N, X, T>(x, top, next, after) };
    // Bit positions on the accumulator's 2^-1074 scale.
    let unit = |k: usize| top - PIECE_BITS * (k as i32 + 1) + 1074;
    for (p, &sum) in sums.iter().enumerate() {
        s1.add_int(sum, unit(p) as u32);
    }
    for (d, &sum) in degrees.iter().enumerate().take(2 * N - 1) {
        s2.add_int(sum, (2 * unit(0) - PIECE_BITS * d as i32 - 1074) as u32);
    }
    next_range
}

/// The pieces of a block whose largest and smallest nonzero `|x|` have the bits `max` and `min`
/// (`0 < min ≤ max`): their number `n` and `log2 U_0`; `None` when the block takes the general
/// path (module docs).
#[inline(always)]
fn plan<T: Float>(max: u64, min: u64) -> Option<(usize, i32)> {
    if max >= INF_BITS {
        return None;
    }
    let (e, e_min) = (exponent(max), exponent(min));
    let digits = if T::IS_F32 { 24 } else { 53 };
    let n = (e - e_min + digits + PIECE_BITS) / PIECE_BITS;
    let top = e + 2;
    let fits = e <= MAX_EXP && e_min >= MIN_EXP && n <= MAX_PIECES;
    (fits && 2 * (top - PIECE_BITS * n) >= -1074).then_some((n as usize, top))
}

/// Adds one block to `Σx` and `Σx²` by its `n` pieces; returns the [`scan`] of `next`.
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
unsafe fn by_pieces<L: I64x8, X: Float, T: Float>(
    sums: (&mut Superaccumulator, &mut Superaccumulator),
    x: &[X; BLOCK],
    (n, top): (usize, i32),
    next: (&[T; BLOCK], *const T),
) -> (u64, u64) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match n {
            1 => add_pieces::<L, 1, X, T>(sums, x, top, next),
            2 => add_pieces::<L, 2, X, T>(sums, x, top, next),
            3 => add_pieces::<L, 3, X, T>(sums, x, top, next),
            4 => add_pieces::<L, 4, X, T>(sums, x, top, next),
            _ => add_pieces::<L, 5, X, T>(sums, x, top, next),
        }
    }
}

/// Adds one block, whose [`scan`] is `range`, to `Σx` and `Σx²`; returns its NaN count and the
/// scan of `next`. `after` is the block after `next`, to prefetch.
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
unsafe fn block<L: I64x8, T: Float>(
    s1: &mut Superaccumulator,
    s2: &mut Superaccumulator,
    (x, range): (&[T; BLOCK], (u64, u64)),
    next: (&[T; BLOCK], *const T),
    scratch: &mut [[f64; FOLD_LEN]; 5],
) -> (u64, (u64, u64)) {
    s2.not_only_neg_zero = 1; // a square is +0.0 at least
    let (max, min) = range;
    let (nans, max, min) = if max > INF_BITS {
        scan_nan(x)
    } else {
        (0, max, min)
    };
    if max == 0 {
        // Zeros and NaNs only: nothing to add, but a +0.0 decides the sign of a zero sum.
        s1.not_only_neg_zero |= u8::from(x.iter().any(|v| v.widen().to_bits() == 0));
        return (nans, scan(next.0));
    }
    let next_range = match plan::<T>(max, min) {
        Some(plan) => {
            s1.not_only_neg_zero = 1;
            if nans == 0 {
                // SAFETY: forwarded from the caller.
                unsafe { by_pieces::<L, T, T>((s1, s2), x, plan, next) }
            } else {
                // NaNs are skipped: cut a copy with zeros in their place (a zero is no piece).
                let clean = without_nans(x);
                // SAFETY: forwarded from the caller.
                unsafe { by_pieces::<L, f64, T>((s1, s2), &clean, plan, next) }
            }
        }
        None => {
            for part in x.chunks_exact(FOLD_LEN) {
                let part = part.try_into().expect("chunks_exact yields whole parts");
                general(s1, s2, part, scratch);
            }
            scan(next.0)
        }
    };
    (nans, next_range)
}

/// The block widened, with `0.0` for each NaN.
#[cold]
fn without_nans<T: Float>(x: &[T; BLOCK]) -> [f64; BLOCK] {
    x.map(|v| {
        let v = v.widen();
        if v.is_nan() {
            0.0
        } else {
            v
        }
    })
}

/// The general path of a block: the exact folds of the values (NaN as `−0.0`), their rounded
/// squares and the squares' rounding errors.
#[cold]
fn general<T: Float>(
    s1: &mut Superaccumulator,
    s2: &mut Superaccumulator,
    x: &[T; FOLD_LEN],
    [v, p, e, a, b]: &mut [[f64; FOLD_LEN]; 5],
) {
    for i in 0..FOLD_LEN {
        let u = x[i].widen();
        v[i] = if u.is_nan() { -0.0 } else { u };
        let q = v[i] * v[i];
        let r = v[i].mul_add(v[i], -q);
        // The error of a product whose error is a double (module docs: the range where it is).
        (p[i], e[i]) = (q, if r.is_finite() && r != 0.0 { r } else { -0.0 });
    }
    exact::block(s1, v, a, b);
    exact::block(s2, p, a, b);
    exact::block(s2, e, a, b);
}

/// The NaN count of `x` and the exact sums of its other elements and of their squares: the
/// chunk of [`ExactMoments`](super::ExactMoments) (module docs), on the lanes `L`.
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
unsafe fn power_chunk_on<L: I64x8, T: Float>(x: &[T]) -> (u64, Superaccumulator, Superaccumulator) {
    let (mut s1, mut s2) = (Superaccumulator::new(), Superaccumulator::new());
    let mut scratch = [[0.0f64; FOLD_LEN]; 5];
    let mut nans = 0;
    let mut blocks = x
        .chunks_exact(BLOCK)
        .map(|b| <&[T; BLOCK]>::try_from(b).expect("chunks_exact yields whole blocks"));
    if let Some(first) = blocks.next() {
        // Each block is scanned in the loop that cuts the one before (`pieces`); the last one
        // scans itself again, the result unused.
        let mut cur = (first, scan(first));
        loop {
            let (next, last) = blocks.next().map_or((cur.0, true), |b| (b, false));
            // The block after `next`, into L2 while this one is cut: the loop reads `next` for its
            // scan, and the hardware prefetchers alone leave the memory idle during the arithmetic.
            let after = next.as_ptr_range().end;
            if !L::NATIVE {
                // The auto-vectorized loop cannot prefetch row by row (`square_rows.rs`).
                for i in (0..BLOCK).step_by(64 / std::mem::size_of::<T>()) {
                    super::f64x8::prefetch(after.wrapping_add(i));
                }
            }
            // SAFETY: forwarded from the caller.
            let (n, next_range) =
                unsafe { block::<L, T>(&mut s1, &mut s2, cur, (next, after), &mut scratch) };
            nans += n;
            if last {
                break;
            }
            cur = (next, next_range);
        }
    }
    let tail = x.chunks_exact(BLOCK).remainder();
    if !tail.is_empty() {
        // Padding with −0.0 adds nothing and leaves the zero-sign flags alone. The widened tail
        // is cut as `f64` (more pieces at most: the same sums).
        let mut padded = [-0.0f64; BLOCK];
        for (p, v) in padded.iter_mut().zip(tail) {
            *p = v.widen();
        }
        let range = scan(&padded);
        // SAFETY: forwarded from the caller.
        nans += unsafe {
            block::<L, f64>(
                &mut s1,
                &mut s2,
                (&padded, range),
                (&padded, padded.as_ptr()),
                &mut scratch,
            )
        }
        .0;
    }
    s1.normalize();
    s2.normalize();
    (nans, s1, s2)
}

super::isa::isa_dispatch!(power_chunk_isa, power_chunk, vector(super::i64x8::isa) power_chunk_on, <T: Float> -> (u64, Superaccumulator, Superaccumulator));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::i64x8::Portable64;
    use crate::kernels::Isa;

    /// Every block through the general path (the folds of values, squares and errors): the
    /// reference the pieces must match byte for byte.
    fn folds_only<T: Float>(x: &[T]) -> (u64, Superaccumulator, Superaccumulator) {
        let (mut s1, mut s2) = (Superaccumulator::new(), Superaccumulator::new());
        let mut scratch = [[0.0f64; FOLD_LEN]; 5];
        for blk in x.chunks(FOLD_LEN) {
            let mut padded = [-0.0f64; FOLD_LEN];
            for (p, v) in padded.iter_mut().zip(blk) {
                *p = v.widen();
            }
            general(&mut s1, &mut s2, &padded, &mut scratch);
        }
        s1.normalize();
        s2.normalize();
        let nans = x.iter().filter(|v| v.widen().is_nan()).count() as u64;
        (nans, s1, s2)
    }

    /// The reference lanes run through the explicit loop (`square_rows.rs`), which real vectors
    /// take: so the explicit loop is checked wherever the tests run, Miri included.
    #[derive(Clone, Copy)]
    struct Rows(Portable64);

    impl I64x8 for Rows {
        const NATIVE: bool = true;
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn splat(v: i64) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { Portable64::splat(v) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn load<T: Float>(p: *const T) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { Portable64::load(p) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn add(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { self.0.add(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn and(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { self.0.and(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn xor(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA.
            Rows(unsafe { self.0.xor(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn shr1(self) -> Self {
            // SAFETY: the reference lanes need no ISA.
            Rows(unsafe { self.0.shr1() })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn gt(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA.
            Rows(unsafe { self.0.gt(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn select(mask: Self, a: Self, b: Self) -> Self {
            // SAFETY: the reference lanes need no ISA.
            Rows(unsafe { Portable64::select(mask.0, a.0, b.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn max32(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { self.0.max32(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn min32(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { self.0.min32(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn mul32(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { self.0.mul32(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn add_f64(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { self.0.add_f64(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn sub_f64(self, o: Self) -> Self {
            // SAFETY: the reference lanes need no ISA; pointers are the caller's.
            Rows(unsafe { self.0.sub_f64(o.0) })
        }
        /// # Safety: as on [`I64x8`] (the caller's pointers readable).
        unsafe fn to_array(self) -> [i64; 8] {
            // SAFETY: the reference lanes need no ISA.
            unsafe { self.0.to_array() }
        }
    }

    /// Both loops, on the reference lanes and on every ISA of this CPU, against the folds alone.
    fn check<T: Float>(x: &[T], what: &str) {
        let want = folds_only(x);
        // SAFETY: the portable lanes need no ISA.
        let portable = unsafe {
            [
                power_chunk_on::<Portable64, T>(x),
                power_chunk_on::<Rows, T>(x),
            ]
        };
        let isas = [Isa::Baseline, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|_| !cfg!(miri))
            .filter_map(|isa| power_chunk_isa(isa, x));
        for (i, got) in portable.into_iter().chain(isas).enumerate() {
            assert_eq!(got.0, want.0, "{what} ({i}): NaN count");
            assert_eq!(got.1, want.1, "{what} ({i}): Σx");
            assert_eq!(got.2, want.2, "{what} ({i}): Σx²");
        }
    }

    fn rng(mut s: u64) -> impl FnMut() -> u64 {
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    /// Doubles with random signs and mantissas, exponents uniform in `center ± spread / 2`.
    fn values(next: &mut impl FnMut() -> u64, len: usize, center: i64, spread: u64) -> Vec<f64> {
        (0..len)
            .map(|_| {
                let r = next();
                let e = center - spread as i64 / 2 + ((r >> 11) % (spread + 1)) as i64;
                let field = (e + 1023).clamp(0, 2046) as u64;
                f64::from_bits((r & (SIGN | ((1 << 52) - 1))) | (field << 52))
            })
            .collect()
    }

    /// Blocks that take every number of pieces, blocks at and past each limit of the pieces'
    /// range (which take the folds), and tails: the same bytes as the folds alone.
    #[test]
    #[cfg_attr(
        miri,
        ignore = "safe integer and float arithmetic only: slow under Miri"
    )]
    fn pieces_equal_the_folds() {
        let mut next = rng(0x9e37_79b9_7f4a_7c15);
        // Three whole blocks: the second and third are cut under the range the loop before
        // them took (wider in the explicit loop).
        let len = 3 * BLOCK + 77;
        for center in [
            0i64, 60, -60, 470, 499, 500, 510, -455, -470, -480, -500, -1000, 1000,
        ] {
            for spread in [0u64, 1, 10, 25, 26, 30, 51, 52, 60, 77, 78, 100, 300, 2046] {
                let x = values(&mut next, len, center, spread);
                check(&x, &format!("f64, center {center}, spread {spread}"));
                // Powers of two: the explicit loop's range is then a binade wider (its plan
                // may have a piece more).
                let pow2: Vec<f64> = x
                    .iter()
                    .map(|v| f64::from_bits(v.to_bits() & !((1 << 52) - 1)))
                    .collect();
                check(
                    &pow2,
                    &format!("powers of two, center {center}, spread {spread}"),
                );
                let y: Vec<f32> = x
                    .iter()
                    .map(|&v| (v * 2f64.powi(-center as i32)) as f32)
                    .collect();
                check(&y, &format!("f32, spread {spread}"));
            }
        }
    }

    /// NaNs (skipped), infinities, zeros of both signs (the flags of a zero sum), empty input.
    #[test]
    fn special_values() {
        let mut next = rng(7);
        let mut x = values(&mut next, 3 * FOLD_LEN, 0, 20);
        x[3] = f64::NAN;
        x[FOLD_LEN + 1] = -f64::NAN;
        x[2 * FOLD_LEN + 2] = f64::INFINITY;
        check(&x, "NaN and ∞");
        let zeros = [-0.0f64; 300];
        check(&zeros, "−0.0 only");
        let mut zeros = zeros.to_vec();
        zeros[299] = 0.0;
        check(&zeros, "one +0.0");
        zeros[5] = f64::NAN;
        check(&zeros, "zeros and a NaN");
        zeros[7] = 1e-310; // subnormal: the folds
        check(&zeros, "a subnormal");
        zeros[7] = f64::from_bits(5); // the high half of its bits is zero
        check(&zeros, "a tiny subnormal");
        zeros[9] = 1.0;
        check(&zeros, "a tiny subnormal and 1");
        check::<f64>(&[], "empty");
        check(&[f32::NAN, -0.0, 3.5], "f32 tail");
    }

    /// Blocks after the first of every kind the range of the loop before them must send the
    /// right way: zeros only, zeros with a subnormal whose high half is zero, an `∞`, NaNs,
    /// powers of two a few binades apart.
    #[test]
    #[cfg_attr(miri, ignore = "several blocks: slow under Miri")]
    fn ranges_of_later_blocks() {
        let mut next = rng(5);
        let tiny = f64::from_bits(5);
        /// Makes one kind of block in place.
        type Make = fn(&mut [f64]);
        let kinds: [(&str, Make); 6] = [
            ("zeros", |b| b.fill(0.0)),
            ("−0.0 and a tiny subnormal", |b| {
                b.fill(-0.0);
                b[17] = f64::from_bits(5);
            }),
            ("a tiny subnormal and 3", |b| {
                b[3] = f64::from_bits(5);
                b[4] = 3.0;
            }),
            ("∞", |b| b[100] = f64::NEG_INFINITY),
            ("NaNs", |b| {
                b[0] = f64::NAN;
                b[1023] = f64::NAN;
            }),
            ("powers of two", |b| {
                for (i, v) in b.iter_mut().enumerate() {
                    *v = f64::from_bits(((1023 + (i % 7) as u64) << 52) | ((i as u64 & 1) << 63));
                }
            }),
        ];
        for (what, make) in kinds {
            for at in 1..3 {
                let mut x = values(&mut next, 3 * BLOCK, 2, 12);
                make(&mut x[at * BLOCK..(at + 1) * BLOCK]);
                check(&x, &format!("block {at}: {what}"));
                let y: Vec<f32> = x
                    .iter()
                    .map(|&v| if v == tiny { 1e-45 } else { v as f32 })
                    .collect();
                check(&y, &format!("f32, block {at}: {what}"));
            }
        }
    }

    /// Every ISA the CPU has gives the same sums (the pieces are integer arithmetic and the
    /// splits IEEE additions, whatever the vector width).
    #[test]
    #[cfg_attr(miri, ignore = "target features")]
    fn isas_agree() {
        let mut next = rng(11);
        let mut x = values(&mut next, 5 * BLOCK + 3, 3, 20);
        x[7] = f64::NAN;
        let y: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let base = (
            power_chunk_isa(Isa::Baseline, &x),
            power_chunk_isa(Isa::Baseline, &y),
        );
        for isa in [Isa::Avx2, Isa::Avx512] {
            if isa.is_supported() {
                let got = (power_chunk_isa(isa, &x), power_chunk_isa(isa, &y));
                assert_eq!(got, base, "{isa:?}");
            }
        }
    }

    /// The plan of typical blocks: three pieces for doubles a few binades apart, two for floats,
    /// and the folds outside the pieces' range.
    #[test]
    fn plans() {
        let bits = |v: f64| v.to_bits();
        assert_eq!(plan::<f64>(bits(4.5), bits(1e-4)), Some((3, 4)));
        assert_eq!(plan::<f32>(bits(4.5), bits(1e-4)), Some((2, 4)));
        assert_eq!(plan::<f32>(bits(1.5), bits(1.0)), Some((1, 2)));
        // 2^-50 and 2^-51 from their bits (Miri perturbs `powi`).
        let pow2 = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
        assert_eq!(plan::<f64>(bits(1.0), bits(pow2(-50))), Some((4, 2)));
        assert_eq!(plan::<f64>(bits(1.0), bits(pow2(-51))), Some((5, 2)));
        assert_eq!(plan::<f64>(bits(1e150), bits(1e-150)), None); // 997 binades
        assert_eq!(plan::<f64>(bits(1e160), bits(1e160)), None); // squares overflow
        assert_eq!(plan::<f64>(bits(f64::INFINITY), bits(1.0)), None);
    }
}
