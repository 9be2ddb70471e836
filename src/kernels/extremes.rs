//! The smallest and largest values with their positions: [`MinMax`], a [`Kernel`] like any user's,
//! and [`Extremes`], its partial and result.
//!
//! Policy, as [`Stats`](super::Stats)': NaNs are skipped and counted; values compare in the total
//! order where `−0.0 < +0.0`; a tie keeps the **first** position (numpy's `argmin`/`argmax` rule for
//! non-NaN data). The merge of a left and a right range keeps the left on ties, so the first
//! position wins in the tree as in one pass.

use super::i64x8::I64x8;
use super::isa::isa_dispatch;
use super::kernel::{ChunkAt, Kernel};
use super::nan::NanPolicy;
use super::partial::plain_partial;
use super::stats::StatElement;
use bytemuck::Zeroable;
use std::fmt;
use std::marker::PhantomData;

/// The smallest and largest non-NaN values of a range, where each first occurs, where the first
/// NaN is, and how many values and NaNs it holds. Plain old data (`#[repr(C)]`, 56 bytes): a
/// partial that can sit in a shared mapping or be merged later with [`Extremes::merge`].
///
/// How NaNs count is chosen when reading it ([`NanPolicy`]): [`min`](Self::min) and
/// [`max`](Self::max) skip them (numpy's `nanargmin`/`nanargmax`, pandas' `idxmin`/`idxmax`);
/// [`min_with`](Self::min_with)/[`max_with`](Self::max_with) can propagate the first NaN instead
/// (numpy's `argmin`/`argmax`) or order NaN above every number (a total order where NaN is
/// greatest, as sorting libraries do).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::{run_sequential, MinMax, NanPolicy};
///
/// let data = [3.0, f64::NAN, -1.0, 7.0, -1.0, 7.0];
/// let e = run_sequential(&MinMax::new(), &data[..])?;
/// assert_eq!((e.min(), e.max()), (Some((-1.0, 2)), Some((7.0, 3))));
/// assert_eq!((e.count(), e.nan_count()), (5, 1));
/// // numpy's argmax: the first NaN wins.
/// let (nan, at) = e.max_with(NanPolicy::Propagate).unwrap();
/// assert!(nan.is_nan() && at == 1);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[repr(C)]
pub struct Extremes<T: StatElement> {
    count: u64,
    nan_count: u64,
    /// `StatElement::key` of the minimum and maximum (meaningless while `count == 0`).
    min_key: i64,
    max_key: i64,
    /// Their first positions in the whole input.
    min_at: u64,
    max_at: u64,
    /// The first NaN's position in the whole input (meaningless while `nan_count == 0`).
    nan_at: u64,
    _t: PhantomData<T>,
}

plain_partial!(Extremes, 7);

impl<T: StatElement + fmt::Debug> fmt::Debug for Extremes<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extremes")
            .field("count", &self.count)
            .field("nan_count", &self.nan_count)
            .field("min", &self.min())
            .field("max", &self.max())
            .finish()
    }
}

impl<T: StatElement> Extremes<T> {
    /// The extremes of no value: the merge's identity.
    pub fn empty() -> Self {
        Zeroable::zeroed()
    }

    /// The smallest non-NaN value and where it first occurs, or `None` if there is no value.
    pub fn min(&self) -> Option<(T, usize)> {
        (self.count > 0).then(|| (Self::value(self.min_key), self.min_at as usize))
    }

    /// The smallest value under `policy` and where it first occurs, or `None` if there is no value
    /// (with `Propagate`, a NaN counts as a value).
    pub fn min_with(&self, policy: NanPolicy) -> Option<(T, usize)> {
        match policy {
            NanPolicy::Propagate if self.nan_count > 0 => Some(self.first_nan()),
            _ => self.min(),
        }
    }

    /// The largest value under `policy` and where it first occurs, or `None` if there is no value
    /// (with `Propagate` or `Greatest`, a NaN counts as a value).
    pub fn max_with(&self, policy: NanPolicy) -> Option<(T, usize)> {
        match policy {
            NanPolicy::Propagate | NanPolicy::Greatest if self.nan_count > 0 => {
                Some(self.first_nan())
            }
            _ => self.max(),
        }
    }

    /// The first NaN (as its element type: NaN for floats) and its position.
    fn first_nan(&self) -> (T, usize) {
        (T::from_raw(f64::NAN.to_bits()), self.nan_at as usize)
    }

    /// The largest non-NaN value and where it first occurs, or `None` if there is no value.
    pub fn max(&self) -> Option<(T, usize)> {
        (self.count > 0).then(|| (Self::value(self.max_key), self.max_at as usize))
    }

    /// Number of non-NaN values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Number of NaNs (0 for integers).
    pub fn nan_count(&self) -> u64 {
        self.nan_count
    }

    fn value(key: i64) -> T {
        T::from_raw(T::raw_from_key(key))
    }

    /// The extremes of `x`, whose first element is at position `offset` of the whole input.
    pub fn of(x: &[T], offset: usize) -> Self {
        let mut e = chunk(x);
        e.min_at += offset as u64;
        e.max_at += offset as u64;
        e.nan_at += offset as u64;
        e
    }

    /// [`of`](Self::of) at offset 0, in two steps that vectorize: the smallest and largest keys and
    /// the NaN count over eight lanes without a branch (keys are exact, so the lane split changes
    /// nothing; for floats on AVX2 and AVX-512 with explicit vectors and a prefetch a row,
    /// `key_scan.rs`), then the first position of each key (an early-exit search of the chunk,
    /// which the first step left in cache).
    ///
    /// # Safety
    ///
    /// The CPU supports `L`'s instruction set.
    #[inline(always)]
    unsafe fn of_chunk<L: I64x8>(x: &[T]) -> Self {
        // SAFETY: forwarded from the caller.
        let (nan_count, min_key, max_key) = unsafe { T::key_extremes_on::<L>(x) };
        let count = x.len() as u64 - nan_count;
        let nan_at = if nan_count > 0 {
            x.iter()
                .position(|v| v.is_nan())
                .expect("a NaN was counted") as u64
        } else {
            0
        };
        if count == 0 {
            return Self {
                nan_count,
                nan_at,
                ..Self::empty()
            };
        }
        let first = |key: i64| {
            x.iter()
                .position(|v| !v.is_nan() && v.key() == key)
                .expect("the key is some element's") as u64
        };
        Self {
            count,
            nan_count,
            min_key,
            max_key,
            min_at: first(min_key),
            max_at: first(max_key),
            nan_at,
            _t: PhantomData,
        }
    }

    /// The extremes of a range whose left part gave `left` and right part `right`: ties keep the
    /// left position (the first occurrence).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::kernels::Extremes;
    ///
    /// let (a, b) = (Extremes::of(&[5u8, 1], 0), Extremes::of(&[1u8, 9], 2));
    /// let e = Extremes::merge(a, b);
    /// assert_eq!((e.min(), e.max()), (Some((1, 1)), Some((9, 3))));
    /// assert_eq!(Extremes::merge(Extremes::empty(), a), a);
    /// ```
    pub fn merge(left: Self, right: Self) -> Self {
        let nan_count = left.nan_count + right.nan_count;
        // The first NaN is the left's, if it has one.
        let nan_at = if left.nan_count > 0 {
            left.nan_at
        } else {
            right.nan_at
        };
        if right.count == 0 {
            return Self {
                nan_count,
                nan_at,
                ..left
            };
        }
        if left.count == 0 {
            return Self {
                nan_count,
                nan_at,
                ..right
            };
        }
        let (min_key, min_at) = if right.min_key < left.min_key {
            (right.min_key, right.min_at)
        } else {
            (left.min_key, left.min_at)
        };
        let (max_key, max_at) = if right.max_key > left.max_key {
            (right.max_key, right.max_at)
        } else {
            (left.max_key, left.max_at)
        };
        Self {
            count: left.count + right.count,
            nan_count,
            min_key,
            max_key,
            min_at,
            max_at,
            nan_at,
            _t: PhantomData,
        }
    }
}

/// [`Extremes::of_chunk`] on the lanes `L` (a function, so the ISA dispatch can name it: integer
/// comparisons only, the same result on each ISA).
///
/// # Safety
///
/// The CPU supports `L`'s instruction set.
#[inline(always)]
unsafe fn chunk_on<L: I64x8, T: StatElement>(x: &[T]) -> Extremes<T> {
    // SAFETY: forwarded from the caller.
    unsafe { Extremes::of_chunk::<L>(x) }
}

isa_dispatch!(chunk_isa, chunk, vector(super::i64x8::isa) chunk_on, <T: StatElement> -> Extremes<T>);

/// The smallest and largest values with their first positions, as a [`Kernel`] (see
/// [`Extremes`] for the policy). Runs on a pool with [`Pool::run`](crate::Pool::run), on one thread
/// with [`run_sequential`](super::run_sequential).
///
/// # Examples
///
/// ```
/// use shmkern::kernels::MinMax;
///
/// let data: Vec<i64> = (0..1_000_000).map(|i| (i * 7_919) % 1_000_003 - 500_000).collect();
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let e = pool.run(&MinMax::new(), &data)?;
/// let (min, at) = e.min().unwrap();
/// assert_eq!((min, data[at]), (*data.iter().min().unwrap(), min));
/// assert_eq!(data.iter().position(|&v| v == min), Some(at)); // the first occurrence
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MinMax<T>(PhantomData<T>);

impl<T: StatElement> MinMax<T> {
    /// The kernel.
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T: StatElement> Default for MinMax<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: StatElement> Kernel for MinMax<T> {
    type Input<'a> = &'a [T];
    type Partial = Extremes<T>;
    type Output = Extremes<T>;
    fn chunk(&self, at: ChunkAt, x: &[T]) -> Extremes<T> {
        Extremes::of(x, at.offset)
    }
    fn merge(&self, left: Extremes<T>, right: Extremes<T>) -> Extremes<T> {
        Extremes::merge(left, right)
    }
    fn finish(&self, root: Extremes<T>) -> Extremes<T> {
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::i64x8::Portable64;
    use crate::kernels::isa::Isa;
    use crate::kernels::key_scan;
    use crate::kernels::stats::key_extremes;

    /// The explicit key scan (on the reference lanes, so under Miri too) gives the portable loop's
    /// NaN count and keys, and every ISA the portable extremes: NaNs anywhere, ±0.0, ±∞, negative
    /// values, subnormals, tails of every length, `f32`.
    #[test]
    fn the_key_scan_gives_the_portable_loops_keys() {
        fn check<T: crate::kernels::Float + StatElement + std::fmt::Debug>(x: &[T], what: &str) {
            // SAFETY: the reference lanes need no ISA.
            let got = unsafe { key_scan::key_extremes::<Portable64, T>(x) };
            assert_eq!(got, key_extremes(x), "{what}");
            // SAFETY: as above.
            let want = unsafe { Extremes::of_chunk::<Portable64>(x) };
            // Under Miri every ISA is the reference lanes' baseline, checked above.
            for isa in [Isa::Baseline, Isa::Avx2, Isa::Avx512]
                .into_iter()
                .filter(|_| !cfg!(miri))
            {
                if let Some(e) = chunk_isa(isa, x) {
                    assert_eq!(e, want, "{what}: {isa:?}");
                }
            }
        }
        let len = if cfg!(miri) { 40 } else { 1000 };
        let base: Vec<f64> = (0..len)
            .map(|i| ((i * 7919) % 1001) as f64 / 100.0 - 5.0)
            .collect();
        let specials = [
            f64::NAN,
            -f64::NAN,
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1e-310,
            1e-310,
            f64::MAX,
            f64::MIN,
        ];
        // Under Miri (which runs the explicit loop on the reference lanes alone) fewer cases.
        let lens: &[usize] = if cfg!(miri) {
            &[9, len]
        } else {
            &[0, 1, 7, 8, 9, 17, len]
        };
        for &n in lens {
            check(&base[..n], &format!("{n} values"));
            // Under Miri: a NaN, −0.0, −∞ and a subnormal.
            let some = if cfg!(miri) {
                &[0, 3, 5, 6][..]
            } else {
                &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9][..]
            };
            for (s, &v) in some.iter().map(|&i| (i, &specials[i])) {
                let spots = if cfg!(miri) {
                    vec![n / 2]
                } else {
                    vec![0, n / 2, n.saturating_sub(1)]
                };
                for at in spots {
                    if at < n {
                        let mut x = base[..n].to_vec();
                        x[at] = v;
                        check(&x, &format!("{n} values, special {s} at {at}"));
                        let y: Vec<f32> = x.iter().map(|&v| v as f32).collect();
                        check(&y, &format!("f32: {n} values, special {s} at {at}"));
                    }
                }
            }
        }
        check(&[f64::NAN; 20], "NaNs only");
        check(
            &[-0.0f64, 0.0, -0.0, 0.0, 0.0, -0.0, 0.0, -0.0, 0.0],
            "zeros",
        );
    }
}
