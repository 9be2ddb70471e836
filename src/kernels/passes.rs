//! The passes over a chunk's blocks, on explicit vectors ([`F64x8`]), and the chunk kernels built
//! from them (hence the name): each [`Pass`] turns whole blocks into their lanes — the sum
//! ([`Sum`], [`Shifted`]), the statistics' first pass ([`Scan`]: sum and extremes) and second
//! ([`M2`]: `Σ (x − mean)²`). They perform the same IEEE operations in the same order as the
//! portable reference in `tree.rs` (lane `j` of a block adds elements `j`, `j+16`, … from −0.0;
//! the lanes fold `i + i+8`, then `+4`, `+2`, `+1`; blocks combine by the §1 tree), so the bits
//! are those of the reference on every ISA. A 16-lane row is two `F64x8`: lanes 0–7 and 8–15.
//!
//! Each pass finishes its blocks' lane folds eight blocks at a time ([`F64x8::fold_each`]) and the
//! cache-resident sum reads several blocks side by side where the ISA has the registers
//! ([`F64x8::BLOCKS`]): more independent work per cycle, the same operations. Passes that stream
//! from memory read one block at a time (see [`Sum`]).
//!
//! Streaming from DRAM, each core must keep its memory stream busy while it computes. Whether
//! software prefetches help depends on the CPU's hardware prefetchers (`kernels::prefetch` says
//! which gain where): so the passes that first read a streaming input (`STREAM` = true, see
//! `kernels::stream_bytes`) take a `PREFETCH` parameter, chosen per CPU, and with it prefetch
//! [`PREFETCH_BYTES`] ahead, through the end of the chunk into the next one (usually the
//! participant's next claim). On cache-resident input they never do: there the prefetch
//! instructions only take dispatch slots.

use super::element::{Float, Lanes};
use super::f32x16::F32x16;
use super::f64x8::{prefetch, F64x8, PREFETCH_BYTES};
use super::tree::{block, chunk_tree_by, fold, tree, BlockValues, LANES};
use crate::sched::{BLOCK_LEN, CHUNK_BLOCKS};

const ROWS: usize = BLOCK_LEN / LANES;

/// Lanes 0–7 and 8–15 of the row at `q`.
///
/// # Safety
///
/// `q` is valid for reading 16 elements; the CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn row<V: F64x8, T: Lanes>(q: *const T) -> (V, V) {
    // SAFETY: forwarded: `q[0..16]` is readable.
    unsafe { (T::load8(q), T::load8(q.add(8))) }
}

/// Prefetches the cache lines of the row that its stream reaches [`PREFETCH_BYTES`] after `q`,
/// when `K` blocks are read side by side (each block a stream, so that row lies `K − 1` blocks
/// further on).
#[inline(always)]
fn prefetch_row<T, const K: usize>(q: *const T) {
    let ahead = q
        .cast::<u8>()
        .wrapping_add(PREFETCH_BYTES + (K - 1) * BLOCK_LEN * std::mem::size_of::<T>());
    for line in 0..(LANES * std::mem::size_of::<T>()).div_ceil(64) {
        prefetch(ahead.wrapping_add(64 * line));
    }
}

/// One pass over whole blocks, `K` adjacent blocks at a time. Blocks are independent (each has
/// its own 16 lanes), so working on several at once changes no operation of any, only how many
/// add chains the CPU has in flight.
trait Pass<V: F64x8, T: Lanes> {
    /// Whether this pass gains from several blocks at once ([`F64x8::BLOCKS`]) where `V` allows
    /// it.
    const SEVERAL: bool;
    /// For each of the `K` blocks of `g`: its 16 lanes after the fold's first step (lane i +
    /// lane i+8), which the caller finishes.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s ISA.
    unsafe fn blocks<const K: usize>(&mut self, g: &[[T; BLOCK_LEN]; K]) -> [V; K];
}

/// A pass on a chunk's whole blocks and `load` on its partial block, for `chunk_tree_by`.
struct OnBlocks<V, P, L> {
    pass: P,
    load: L,
    _v: std::marker::PhantomData<V>,
}

impl<V, P, L> OnBlocks<V, P, L> {
    fn new(pass: P, load: L) -> Self {
        OnBlocks {
            pass,
            load,
            _v: std::marker::PhantomData,
        }
    }
}

impl<V: F64x8, T: Lanes, P: Pass<V, T>, L: Fn(T) -> f64 + Copy> BlockValues<T>
    for OnBlocks<V, P, L>
{
    #[inline(always)]
    /// # Safety: the CPU supports `V`'s ISA.
    unsafe fn whole(&mut self, blocks: &[[T; BLOCK_LEN]], sums: &mut [f64]) {
        // SAFETY: forwarded.
        unsafe { each_block::<V, T, P>(&mut self.pass, blocks, sums) }
    }
    #[inline(always)]
    fn partial(&self, tail: &[T]) -> f64 {
        block(tail, self.load)
    }
}

/// Blocks folded together by [`F64x8::fold_each`].
const FOLD_GROUP: usize = 8;

/// Stores the value of `blocks[i]` in `sums[i]`: [`F64x8::BLOCKS`] blocks at a time where the
/// pass gains from it, one otherwise; folded eight at a time.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn each_block<V: F64x8, T: Lanes, P: Pass<V, T>>(
    pass: &mut P,
    blocks: &[[T; BLOCK_LEN]],
    sums: &mut [f64],
) {
    // SAFETY: forwarded.
    unsafe {
        const { assert!(matches!(V::BLOCKS, 1 | 2 | 4), "F64x8::BLOCKS is 1, 2 or 4") };
        match if P::SEVERAL { V::BLOCKS } else { 1 } {
            4 => in_groups::<V, T, P, 4>(pass, blocks, sums),
            2 => in_groups::<V, T, P, 2>(pass, blocks, sums),
            _ => in_groups::<V, T, P, 1>(pass, blocks, sums),
        }
    }
}

/// [`each_block`] with `K` blocks at a time (`K` divides [`FOLD_GROUP`]).
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn in_groups<V: F64x8, T: Lanes, P: Pass<V, T>, const K: usize>(
    pass: &mut P,
    blocks: &[[T; BLOCK_LEN]],
    sums: &mut [f64],
) {
    debug_assert_eq!(blocks.len(), sums.len());
    const { assert!(FOLD_GROUP.is_multiple_of(K)) };
    let (groups, rest) = blocks.as_chunks::<FOLD_GROUP>();
    let (out, rest_out) = sums.as_chunks_mut::<FOLD_GROUP>();
    // SAFETY: forwarded.
    unsafe {
        for (g, out) in groups.iter().zip(out) {
            let mut half = [V::splat(0.0); FOLD_GROUP];
            let (runs, _) = g.as_chunks::<K>();
            for (run, half) in runs.iter().zip(half.as_chunks_mut::<K>().0) {
                *half = pass.blocks(run);
            }
            *out = V::fold_each(half);
        }
        for (b, s) in rest.iter().zip(rest_out) {
            *s = pass.blocks(std::array::from_ref(b))[0].fold();
        }
    }
}

/// Lanes 0–15 of `K` blocks (as `lo`, 0–7, and `hi`, 8–15) after the fold's first step: lane i
/// + lane i+8.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn halves<V: F64x8, const K: usize>(acc: [[V; 2]; K]) -> [V; K] {
    let mut out = [acc[0][0]; K];
    for (out, [lo, hi]) in out.iter_mut().zip(acc) {
        // SAFETY: forwarded.
        *out = unsafe { lo.add(hi) };
    }
    out
}

/// The §1 sum of each block: lane j adds elements j, j+16, … from −0.0; prefetching ahead when
/// `PREFETCH` (only ever with `STREAM`).
struct Sum<const STREAM: bool, const PREFETCH: bool>;

impl<V: F64x8, T: Lanes, const STREAM: bool, const PREFETCH: bool> Pass<V, T>
    for Sum<STREAM, PREFETCH>
{
    // Two blocks side by side are two interleaved streams 2 KiB apart inside each 4 KiB page.
    // From L2 that is free, but streaming from DRAM it can defeat the hardware prefetcher (AMD
    // Zen 4's, for one: a large sum then reads far below the bandwidth; docs/performance.md,
    // "Kernels"). So the streaming kernel reads one block at a time, the most prefetcher-friendly
    // order on any CPU; same operations, same bits.
    const SEVERAL: bool = !STREAM;
    #[inline(always)]
    /// # Safety: as on [`Pass::blocks`].
    unsafe fn blocks<const K: usize>(&mut self, g: &[[T; BLOCK_LEN]; K]) -> [V; K] {
        // SAFETY: the caller guarantees the ISA; row `r` of block `k` reads `g[k][16r..16r+16]`.
        unsafe {
            let mut acc = [[V::splat(-0.0); 2]; K];
            for r in 0..ROWS {
                for (k, acc) in acc.iter_mut().enumerate() {
                    let q = g[k].as_ptr().add(r * LANES);
                    if PREFETCH {
                        prefetch_row::<T, K>(q);
                    }
                    let (a, b) = row::<V, T>(q);
                    *acc = [acc[0].add(a), acc[1].add(b)];
                }
            }
            halves(acc)
        }
    }
}

/// [`Sum`] for `f64` blocks that start `s` elements (1–7) past a 64-byte line: a `Vec<f64>` from
/// the allocator usually does (16 bytes past). Loading their rows as they lie makes every 64-byte
/// load straddle two cache lines, which costs an L2-resident AVX-512 sum a large part of its speed
/// (docs/performance.md, "Kernels"). This pass reads each block as the 33 lines it touches, whole
/// (the first and last only in part, through [`F64x8::load_part`]), so no load straddles.
///
/// The lanes come out rotated, not reordered: line `j` of a block holds, in register position
/// `p`, the element `8j + p − s` of the block, whose contract lane is `(p − s + 8j) mod 16`. So
/// even lines always feed the same 8 lanes in the same positions (accumulator `acc[0]`), odd lines
/// the other 8 (`acc[1]`), and each lane still receives its elements `j, j+16, …` one after another
/// from −0.0. The lines' parts outside the block load as −0.0, which leaves any sum unchanged.
/// `acc[0] + acc[1]` then holds in position `p` the fold's first step for lane `(p − s) mod 8`
/// (lane i + lane i+8; for `p < s` as i+8 + i, the same IEEE sum): the eight halves rotated by
/// `s`. They need no rotating back: the fold's remaining steps pair positions 4, 2 and 1 apart
/// (mod 8, 4, 2), which a rotation keeps paired, so the fold of the rotated halves performs the
/// same additions, some with their operands swapped — the same IEEE results. (A NaN's payload may
/// depend on the operand order; the sums return every NaN as the canonical one.)
struct Shifted {
    /// The misalignment in elements, 1–7.
    s: usize,
}

/// Cache lines of 8 `f64`s that a 256-element block spans when it does not start on one.
const LINES: usize = BLOCK_LEN / 8 + 1;

impl<V: F64x8> Pass<V, f64> for Shifted {
    const SEVERAL: bool = true;
    #[inline(always)]
    /// # Safety: as on [`Pass::blocks`].
    unsafe fn blocks<const K: usize>(&mut self, g: &[[f64; BLOCK_LEN]; K]) -> [V; K] {
        let s = self.s;
        // Line `j` of block `k` starts at `line(k).add(8 j)`, `s` elements before the block.
        let line = |k: usize| g[k].as_ptr().wrapping_sub(s);
        // SAFETY: the caller guarantees the ISA. Line 0 is read in lanes s..8 = block elements
        // 0..8−s, lines 1..=31 whole = elements 8j−s..8j−s+8 (within 8−s..256−s), line 32 in
        // lanes 0..s = elements 256−s..256: every read lies inside block `k`.
        unsafe {
            let mut acc = [[V::splat(-0.0); 2]; K];
            for (k, acc) in acc.iter_mut().enumerate() {
                acc[0] = acc[0].add(V::load_part(line(k), s, 8));
            }
            for j in (1..LINES - 2).step_by(2) {
                for (k, acc) in acc.iter_mut().enumerate() {
                    let q = line(k).wrapping_add(8 * j);
                    acc[1] = acc[1].add(V::load(q));
                    acc[0] = acc[0].add(V::load(q.add(8)));
                }
            }
            let mut out = [acc[0][0]; K];
            for (k, (acc, out)) in acc.iter_mut().zip(&mut out).enumerate() {
                acc[1] = acc[1].add(V::load(line(k).wrapping_add(8 * (LINES - 2))));
                acc[0] = acc[0].add(V::load_part(line(k).wrapping_add(8 * (LINES - 1)), 0, s));
                *out = acc[0].add(acc[1]);
            }
            out
        }
    }
}

/// The misalignment of `x` in elements when the sum should take [`Shifted`]: on cache-resident
/// `f64` input (`!STREAM`; streaming from memory, the straddling loads cost nothing measurable)
/// that does not start on a 64-byte line, where `V` asks for it.
#[inline(always)]
fn shifted<V: F64x8, T: Float, const STREAM: bool>(x: &[T]) -> Option<(&[f64], usize)> {
    if STREAM || !V::SHIFTED_LINES {
        return None;
    }
    let x = T::as_f64s(x)?;
    let s = (x.as_ptr() as usize % 64) / 8;
    (s != 0).then_some((x, s))
}

/// The §1 tree sum of one chunk (what `tree::chunk_tree(x, widen)` computes): the streaming
/// kernel when `STREAM` (see [`super::stream_bytes`]), with software prefetch when also `PREFETCH`.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_sum<V: F64x8, T: Float, const STREAM: bool, const PREFETCH: bool>(
    x: &[T],
) -> f64 {
    if let Some((x, s)) = shifted::<V, T, STREAM>(x) {
        // SAFETY: the caller guarantees the ISA.
        return unsafe { chunk_sum_shifted::<V>(x, s) };
    }
    let mut values = OnBlocks::<V, _, _>::new(Sum::<STREAM, PREFETCH>, T::widen);
    // SAFETY: the caller guarantees the ISA.
    unsafe { chunk_tree_by(x, &mut values) }
}

/// [`chunk_sum`] through [`Shifted`], for `x` starting `s` (1–7) elements past a 64-byte line.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn chunk_sum_shifted<V: F64x8>(x: &[f64], s: usize) -> f64 {
    debug_assert!((1..8).contains(&s) && x.as_ptr() as usize % 64 == 8 * s);
    let mut values = OnBlocks::<V, _, _>::new(Shifted { s }, f64::widen);
    // SAFETY: the caller guarantees the ISA.
    unsafe { chunk_tree_by(x, &mut values) }
}

/// Running min and max of a chunk: four accumulators each (lanes 0–7 and 8–15 of two blocks),
/// independent chains; for `f32` elements two 16-lane `f32` accumulators each instead (even and
/// odd rows, two chains), which [`Scan`] fills from the rows as they lie in memory. min and max
/// are exact, so the order they see the elements in is free, and widening to `f64` is exact and
/// keeps the order, so the `f32` extremes widen to the `f64` ones.
#[derive(Clone, Copy)]
struct Extremes<V: F64x8> {
    lo: [V; 4],
    hi: [V; 4],
    lo32: [V::F32; 2],
    hi32: [V::F32; 2],
}

impl<V: F64x8> Extremes<V> {
    /// No element seen yet: every min lane at +∞, every max lane at −∞.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s ISA.
    #[inline(always)]
    unsafe fn new() -> Self {
        // SAFETY: forwarded.
        unsafe {
            Extremes {
                lo: [V::splat(f64::INFINITY); 4],
                hi: [V::splat(-f64::INFINITY); 4],
                lo32: [V::F32::splat(f32::INFINITY); 2],
                hi32: [V::F32::splat(-f32::INFINITY); 2],
            }
        }
    }

    /// The smallest and largest lane, and those of the scalar `tail`.
    ///
    /// # Safety
    ///
    /// The CPU supports `V`'s ISA.
    #[inline(always)]
    unsafe fn finish<T: Float>(self, tail: &[T]) -> (f64, f64) {
        let [l0, l1, l2, l3] = self.lo;
        let [h0, h1, h2, h3] = self.hi;
        // SAFETY: forwarded.
        let (lo, hi) = unsafe {
            (
                l0.min(l1).min(l2.min(l3)).to_array(),
                h0.max(h1).max(h2.max(h3)).to_array(),
            )
        };
        // The `f32` accumulators (still at ±∞ for `f64`, where they are not even read).
        let (lo32, hi32) = if T::IS_F32 {
            let [l0, l1] = self.lo32;
            let [h0, h1] = self.hi32;
            // SAFETY: forwarded.
            unsafe { (l0.min(l1).to_array(), h0.max(h1).to_array()) }
        } else {
            ([f32::INFINITY; 16], [-f32::INFINITY; 16])
        };
        let tail = tail.iter().map(|v| v.widen());
        let min = lo
            .into_iter()
            .chain(lo32.map(f64::from))
            .chain(tail.clone())
            .fold(f64::INFINITY, |m, v| if v < m { v } else { m });
        let max = hi
            .into_iter()
            .chain(hi32.map(f64::from))
            .chain(tail)
            .fold(-f64::INFINITY, |m, v| if v > m { v } else { m });
        (min, max)
    }
}

/// The statistics' first pass: the sum of each block, as [`Sum`], and every element into the
/// running extremes, one block at a time; prefetching ahead when `PREFETCH` (on streaming input).
struct Scan<V: F64x8, const PREFETCH: bool>(Extremes<V>);

impl<V: F64x8, T: Float, const PREFETCH: bool> Pass<V, T> for Scan<V, PREFETCH> {
    const SEVERAL: bool = false;
    #[inline(always)]
    /// # Safety: as on [`Pass::blocks`].
    unsafe fn blocks<const K: usize>(&mut self, g: &[[T; BLOCK_LEN]; K]) -> [V; K] {
        let ext = &mut self.0;
        // SAFETY: the caller guarantees the ISA; row `r` of block `k` reads `g[k][16r..16r+16]`.
        unsafe {
            let mut acc = [[V::splat(-0.0); 2]; K];
            for r in 0..ROWS {
                for (k, acc) in acc.iter_mut().enumerate() {
                    let q = g[k].as_ptr().add(r * LANES);
                    if PREFETCH {
                        prefetch_row::<T, K>(q);
                    }
                    let (a, b) = row::<V, T>(q);
                    *acc = [acc[0].add(a), acc[1].add(b)];
                    if T::IS_F32 {
                        // SAFETY (with the block's above): `Float` is sealed, implemented for
                        // `f32` and `f64` only, and `IS_F32` only for `f32`, so `T` is `f32`
                        // here and `q` points at the row's 16 `f32`s, which `row` read already.
                        let x = V::F32::load(q.cast::<f32>());
                        // Two chains, rotated each row (no indexing that could spill them).
                        let ([l0, l1], [h0, h1]) = (ext.lo32, ext.hi32);
                        ext.lo32 = [l1, x.min(l0)];
                        ext.hi32 = [h1, x.max(h0)];
                    } else {
                        let j = 2 * k % 4;
                        ext.lo[j] = a.min(ext.lo[j]);
                        ext.lo[j + 1] = b.min(ext.lo[j + 1]);
                        ext.hi[j] = a.max(ext.hi[j]);
                        ext.hi[j + 1] = b.max(ext.hi[j + 1]);
                    }
                }
            }
            halves(acc)
        }
    }
}

/// The statistics' second pass: `Σ (x − mean)²` of each block (`mean` in every lane), and beside
/// it each block's `Σ (x − mean)` in the same lanes and fold, into `s1` in block order; with
/// `SIGNS`, also the bitwise OR and AND of every element read (see [`chunk_m2_signs`]).
struct M2<V, const SIGNS: bool> {
    mean: V,
    or: V,
    and: V,
    /// `Σ (x − mean)` of the whole blocks done so far, one per block.
    s1: [f64; CHUNK_BLOCKS],
    /// Whole blocks done so far.
    done: usize,
}

impl<V: F64x8, T: Lanes, const SIGNS: bool> Pass<V, T> for M2<V, SIGNS> {
    const SEVERAL: bool = false;
    #[inline(always)]
    /// # Safety: as on [`Pass::blocks`].
    unsafe fn blocks<const K: usize>(&mut self, g: &[[T; BLOCK_LEN]; K]) -> [V; K] {
        if !T::ROWS_DIRECT {
            // The same values, `to_f64` of each element, read from a widened copy in L1.
            let wide: [[f64; BLOCK_LEN]; K] = std::array::from_fn(|k| T::widen_block(&g[k]));
            // SAFETY: forwarded from the caller.
            return unsafe { <Self as Pass<V, f64>>::blocks(self, &wide) };
        }
        let m = self.mean;
        // SAFETY: the caller guarantees the ISA; row `r` of block `k` reads `g[k][16r..16r+16]`.
        unsafe {
            let mut acc = [[V::splat(-0.0); 2]; K];
            let mut acc1 = [[V::splat(-0.0); 2]; K];
            for r in 0..ROWS {
                for k in 0..K {
                    let (a, b) = row::<V, T>(g[k].as_ptr().add(r * LANES));
                    let (d0, d1) = (a.sub(m), b.sub(m));
                    acc[k] = [acc[k][0].add(d0.mul(d0)), acc[k][1].add(d1.mul(d1))];
                    acc1[k] = [acc1[k][0].add(d0), acc1[k][1].add(d1)];
                    if SIGNS {
                        self.or = self.or.or_bits(a.or_bits(b));
                        self.and = self.and.and_bits(a.and_bits(b));
                    }
                }
            }
            for half in halves(acc1) {
                self.s1[self.done] = half.fold();
                self.done += 1;
            }
            halves(acc)
        }
    }
}

/// `(x − mean)²` for the scalar tail: the same two roundings.
#[inline(always)]
fn square<T: Lanes>(mean: f64) -> impl Fn(T) -> f64 + Copy {
    move |v: T| {
        let d = v.to_f64() - mean;
        d * d
    }
}

/// The moments' power sums: `Σ d⁴` of each block (`d = x − c`, `c` in every lane) as its value,
/// and beside it `Σ d`, `Σ d²`, `Σ d³` in the same lanes and fold, into `s` in block order. Per
/// element `d`, `d² = d·d`, `d³ = d²·d`, `d⁴ = d²·d²`: the reference's products (`moments.rs`).
struct Powers<V> {
    c: V,
    /// Elements from a row to the row it prefetches: the chunk's length, so the pass over the
    /// cached chunk asks for the next chunk (usually this participant's next) as it goes.
    ahead: usize,
    /// `Σ dᵏ` (`k` = 1, 2, 3) of the whole blocks done so far, one per block.
    s: [[f64; CHUNK_BLOCKS]; 3],
    /// Whole blocks done so far.
    done: usize,
}

impl<V: F64x8, T: Lanes> Pass<V, T> for Powers<V> {
    const SEVERAL: bool = false;
    #[inline(always)]
    /// # Safety: as on [`Pass::blocks`].
    unsafe fn blocks<const K: usize>(&mut self, g: &[[T; BLOCK_LEN]; K]) -> [V; K] {
        if !T::ROWS_DIRECT {
            // The same values, `to_f64` of each element, read from a widened copy in L1.
            let wide: [[f64; BLOCK_LEN]; K] = std::array::from_fn(|k| T::widen_block(&g[k]));
            // SAFETY: forwarded from the caller.
            return unsafe { <Self as Pass<V, f64>>::blocks(self, &wide) };
        }
        let c = self.c;
        // SAFETY: the caller guarantees the ISA; row `r` of block `k` reads `g[k][16r..16r+16]`.
        unsafe {
            // acc[k][p]: power p + 1 of block k, lanes 0–7 and 8–15.
            let mut acc = [[[V::splat(-0.0); 2]; 4]; K];
            for r in 0..ROWS {
                for (k, acc) in acc.iter_mut().enumerate() {
                    let q = g[k].as_ptr().add(r * LANES);
                    let next = q.wrapping_add(self.ahead).cast::<u8>();
                    for line in (0..LANES * std::mem::size_of::<T>()).step_by(64) {
                        prefetch(next.wrapping_add(line));
                    }
                    let (a, b) = row::<V, T>(q);
                    for (h, v) in [a, b].into_iter().enumerate() {
                        let d = v.sub(c);
                        let d2 = d.mul(d);
                        let p = [d, d2, d2.mul(d), d2.mul(d2)];
                        for (acc, p) in acc.iter_mut().zip(p) {
                            acc[h] = acc[h].add(p);
                        }
                    }
                }
            }
            let mut out = [V::splat(0.0); K];
            for (out, acc) in out.iter_mut().zip(acc) {
                for (s, acc) in self.s.iter_mut().zip(acc) {
                    s[self.done] = acc[0].add(acc[1]).fold();
                }
                self.done += 1;
                *out = acc[3][0].add(acc[3][1]);
            }
            out
        }
    }
}

/// `Σ dᵏ`, `d = x − c`, `k` = 1 to 4, over one NaN-free chunk, each in the §1 tree: the power
/// sums of the moments' reference (`moments.rs`), on vectors.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_powers<V: F64x8, T: Lanes>(x: &[T], c: f64) -> [f64; 4] {
    let power = move |v: T, k: usize| {
        let d = v.to_f64() - c;
        let d2 = d * d;
        [d, d2, d2 * d, d2 * d2][k]
    };
    // SAFETY: the caller guarantees the ISA.
    let pass = unsafe {
        Powers::<V> {
            c: V::splat(c),
            ahead: x.len(),
            s: [[0.0; CHUNK_BLOCKS]; 3],
            done: 0,
        }
    };
    let mut values = OnBlocks::<V, _, _>::new(pass, move |v: T| power(v, 3));
    // SAFETY: the ISA as above.
    let s4 = unsafe { chunk_tree_by(x, &mut values) };
    // The lower powers' block values: the whole blocks' from the pass, the partial block's as
    // the reference computes it; then the same tree.
    let Powers { mut s, done, .. } = values.pass;
    let tail = x.as_chunks::<BLOCK_LEN>().1;
    let mut out = [s4; 4];
    for (k, (s, out)) in s.iter_mut().zip(&mut out).enumerate() {
        let mut n = done;
        if !tail.is_empty() {
            s[n] = block(tail, move |v: T| power(v, k));
            n += 1;
        }
        *out = tree(&mut s[..n]);
    }
    out
}

/// `[Σ dx, Σ dy, Σ dx², Σ dy², Σ dx·dy]` (`dx = x − cx`, `dy = y − cy`) over two equally long
/// chunks, each in the §1 tree: the covariance's sums (`covariance.rs`), on vectors, the whole
/// blocks' rows two `V`s a column, the partial block as the reference computes it. Each row asks
/// for the same row of the next chunk in both columns (usually the participant's next claim), so
/// that its read overlaps this pass's arithmetic over the cached chunk.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_co_sums<V: F64x8, T: Lanes>(
    x: &[T],
    y: &[T],
    cx: f64,
    cy: f64,
) -> [f64; 5] {
    assert_eq!(x.len(), y.len(), "equally long columns");
    let (bx, tx) = x.as_chunks::<BLOCK_LEN>();
    let (by, ty) = y.as_chunks::<BLOCK_LEN>();
    let n = bx.len() + usize::from(!tx.is_empty());
    assert!(n <= CHUNK_BLOCKS, "one chunk at most");
    let mut sums = [[0.0f64; CHUNK_BLOCKS]; 5];
    let ahead = x.len();
    for (b, (px, py)) in bx.iter().zip(by).enumerate() {
        // SAFETY: the caller guarantees the ISA; row `r` reads `px[16r..16r + 16]` and the same
        // of `py`, in bounds; the prefetches read nothing.
        unsafe {
            let (vx, vy) = (V::splat(cx), V::splat(cy));
            let mut acc = [[V::splat(-0.0); 2]; 5];
            for r in 0..ROWS {
                let (qx, qy) = (px.as_ptr().add(r * LANES), py.as_ptr().add(r * LANES));
                for line in (0..LANES * std::mem::size_of::<T>()).step_by(64) {
                    prefetch(qx.wrapping_add(ahead).cast::<u8>().wrapping_add(line));
                    prefetch(qy.wrapping_add(ahead).cast::<u8>().wrapping_add(line));
                }
                let ((a0, a1), (b0, b1)) = (row::<V, T>(qx), row::<V, T>(qy));
                for (h, (a, b)) in [(a0, b0), (a1, b1)].into_iter().enumerate() {
                    let (dx, dy) = (a.sub(vx), b.sub(vy));
                    let p = [dx, dy, dx.mul(dx), dy.mul(dy), dx.mul(dy)];
                    for (acc, p) in acc.iter_mut().zip(p) {
                        acc[h] = acc[h].add(p);
                    }
                }
            }
            for (s, acc) in sums.iter_mut().zip(acc) {
                s[b] = acc[0].add(acc[1]).fold();
            }
        }
    }
    if !tx.is_empty() {
        let mut acc = [[-0.0f64; LANES]; 5];
        for (rx, ry) in tx.chunks(LANES).zip(ty.chunks(LANES)) {
            for j in 0..rx.len() {
                let (dx, dy) = (rx[j].to_f64() - cx, ry[j].to_f64() - cy);
                let p = [dx, dy, dx * dx, dy * dy, dx * dy];
                for (acc, p) in acc.iter_mut().zip(p) {
                    acc[j] += p;
                }
            }
        }
        for (s, acc) in sums.iter_mut().zip(acc) {
            s[bx.len()] = fold(acc);
        }
    }
    std::array::from_fn(|k| tree(&mut sums[k][..n]))
}

/// The §1 tree sum of a NaN-free chunk of any element type, each element `to_f64`: the pass of
/// [`chunk_powers`] about zero would give it too, at three more products an element.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_lanes_sum<V: F64x8, T: Lanes>(x: &[T]) -> f64 {
    let mut values = OnBlocks::<V, _, _>::new(Sum::<false, false>, T::to_f64);
    // SAFETY: forwarded.
    unsafe { chunk_tree_by(x, &mut values) }
}

/// One pass over a chunk for the statistics: its §1 tree sum (every element present) and its
/// smallest and largest elements. Meaningful only when the chunk holds no NaN — which the sum
/// tells: a NaN element makes it NaN. Which zero (±0.0) `min`/`max` return when zeros tie is
/// unspecified; the caller resolves it. Prefetches ahead when `PREFETCH` (on streaming input).
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_scan<V: F64x8, T: Float, const PREFETCH: bool>(
    x: &[T],
) -> (f64, f64, f64) {
    // SAFETY: the caller guarantees the ISA.
    let scan = Scan::<V, PREFETCH>(unsafe { Extremes::<V>::new() });
    let mut values = OnBlocks::<V, _, _>::new(scan, T::widen);
    // SAFETY: the ISA as above.
    let sum = unsafe { chunk_tree_by(x, &mut values) };
    // SAFETY: the ISA as above.
    let (min, max) = unsafe { values.pass.0.finish(x.as_chunks::<BLOCK_LEN>().1) };
    (sum, min, max)
}

/// `(Σ (x − mean)², Σ (x − mean))` over one NaN-free chunk, each in the §1 tree: per element
/// `d = x − mean` and `d · d` (no FMA), exactly as the reference statistics compute them.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_m2<V: F64x8, T: Lanes>(x: &[T], mean: f64) -> (f64, f64) {
    // SAFETY: forwarded.
    let (s2, s1, _, _) = unsafe { m2_pass::<V, T, false>(x, mean) };
    (s2, s1)
}

/// [`chunk_m2`], and whether some element has its sign bit set and whether some has it clear —
/// for a chunk whose vector min or max came out zero, whose sign `MINPD`/`MAXPD` leave open.
/// With a zero min no element is negative, so a set sign bit is a −0.0 in the data; with a zero
/// max none is positive, so a clear one is a +0.0. Two bitwise operations per row in the pass
/// that reads the chunk anyway, instead of a third pass over it.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
pub(crate) unsafe fn chunk_m2_signs<V: F64x8, T: Float>(
    x: &[T],
    mean: f64,
) -> (f64, f64, bool, bool) {
    // SAFETY: forwarded.
    let (m2, s1, or, and) = unsafe { m2_pass::<V, T, true>(x, mean) };
    // SAFETY: forwarded.
    let (or, and) = unsafe { (or.to_array(), and.to_array()) };
    let tail = x
        .as_chunks::<BLOCK_LEN>()
        .1
        .iter()
        .map(|v| v.widen().to_bits());
    let or = or
        .iter()
        .map(|v| v.to_bits())
        .chain(tail.clone())
        .fold(0, |a, v| a | v);
    let and = and
        .iter()
        .map(|v| v.to_bits())
        .chain(tail)
        .fold(u64::MAX, |a, v| a & v);
    (m2, s1, or >> 63 == 1, and >> 63 == 0)
}

/// The second pass over `x`: `(Σ (x − mean)², Σ (x − mean))`, each in the §1 tree, with the OR
/// and AND of its whole blocks' elements when `SIGNS`.
///
/// # Safety
///
/// The CPU supports `V`'s ISA.
#[inline(always)]
unsafe fn m2_pass<V: F64x8, T: Lanes, const SIGNS: bool>(x: &[T], mean: f64) -> (f64, f64, V, V) {
    // SAFETY: the caller guarantees the ISA.
    let pass = unsafe {
        M2::<V, SIGNS> {
            mean: V::splat(mean),
            or: V::splat(0.0),
            and: V::splat(f64::from_bits(u64::MAX)),
            s1: [0.0; CHUNK_BLOCKS],
            done: 0,
        }
    };
    let mut values = OnBlocks::<V, _, _>::new(pass, square(mean));
    // SAFETY: the ISA as above.
    let m2 = unsafe { chunk_tree_by(x, &mut values) };
    // The first moment's block values: the whole blocks' from the pass, the partial block's as the
    // reference computes it; then the same tree.
    let M2 {
        s1, done, or, and, ..
    } = values.pass;
    let mut s1 = s1;
    let tail = x.as_chunks::<BLOCK_LEN>().1;
    let mut n = done;
    if !tail.is_empty() {
        s1[n] = block(tail, move |v: T| v.to_f64() - mean);
        n += 1;
    }
    (m2, tree(&mut s1[..n]), or, and)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::f64x8::Portable;
    use crate::kernels::tree::chunk_tree;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(crate::kernels::proptest_config(256))]

        /// `Portable` (the vector type off x86-64 and under Miri) gives the reference tree's bits;
        /// the x86 types are compared through `chunk_sum_on` in tests/kernels_sum.rs.
        #[test]
        fn portable_sum_and_moments_match_reference(
            x in prop::collection::vec(-1e6f64..1e6, 0..if cfg!(miri) { 600 } else { 5000 }),
            mean in -10f64..10.0,
        ) {
            // SAFETY: `Portable` runs on any CPU.
            let (sum, (m2, s1)) = unsafe {
                (
                    chunk_sum::<Portable, f64, false, false>(&x),
                    chunk_m2::<Portable, f64>(&x, mean),
                )
            };
            prop_assert_eq!(sum.to_bits(), chunk_tree(&x, |v| v).to_bits());
            let want = chunk_tree(&x, |v: f64| (v - mean) * (v - mean));
            prop_assert_eq!(m2.to_bits(), want.to_bits());
            prop_assert_eq!(s1.to_bits(), chunk_tree(&x, |v: f64| v - mean).to_bits());
            // The moments' four power sums, each the tree of its power (`d³ = d²·d`, `d⁴ = d²·d²`).
            // SAFETY: `Portable` runs on any CPU.
            let powers = unsafe { chunk_powers::<Portable, f64>(&x, mean) };
            for (k, got) in powers.into_iter().enumerate() {
                let want = chunk_tree(&x, |v: f64| {
                    let d = v - mean;
                    let d2 = d * d;
                    [d, d2, d2 * d, d2 * d2][k]
                });
                prop_assert_eq!(got.to_bits(), want.to_bits(), "power {}", k + 1);
            }
            // SAFETY: as above.
            let lanes = unsafe { chunk_lanes_sum::<Portable, f64>(&x) };
            prop_assert_eq!(lanes.to_bits(), sum.to_bits());
        }

        /// The line-wise pass of misaligned `f64` blocks gives the reference tree's bits, at every
        /// misalignment and length (whole blocks, a partial one, both). On `Portable` it reads
        /// element by element, so Miri checks that no read leaves the chunk; the AVX-512 pass is
        /// compared through `chunk_sum_on` in tests/kernels_sum.rs.
        #[test]
        fn shifted_sum_matches_reference(
            x in prop::collection::vec(
                prop_oneof![4 => -1e6f64..1e6, 2 => -1e-3f64..1e-3, 1 => Just(-0.0), 1 => Just(0.0)],
                0..if cfg!(miri) { 300 } else { 3000 },
            ),
            s in 1usize..8,
            zeros in any::<bool>(),
        ) {
            // All −0.0 checks that the parts outside a block load as −0.0 (the sum stays −0.0).
            let x: Vec<f64> = if zeros { vec![-0.0; x.len()] } else { x };
            let mut store = vec![0.0f64; x.len() + 16];
            let at = (64 - store.as_ptr() as usize % 64) % 64 / 8 + s;
            store[at..at + x.len()].copy_from_slice(&x);
            let placed = &store[at..at + x.len()];
            // SAFETY: `Portable` runs on any CPU; `placed` starts `s` elements past a line.
            let sum = unsafe { chunk_sum_shifted::<Portable>(placed, s) };
            prop_assert_eq!(sum.to_bits(), chunk_tree(&x, |v| v).to_bits());
        }
    }
}
