//! The arithmetic of exact quantiles, which `Pool::quantiles` runs in passes over the data: which
//! order statistics a quantile needs (numpy's default `linear` method), the key ranges a pass
//! narrows them to, and the interpolation.
//!
//! Values are ranked by their [`StatElement::key`], an integer whose order is the values' total
//! order (`−0.0 < +0.0`, NaN excluded by the caller), so bins are integer ranges: no rounding
//! decides which bin a value falls in, and a range of one key holds one value.

use super::stats::StatElement;

/// The order statistics (0-based ranks among `n` sorted values) and the weight numpy's `linear`
/// method interpolates them with for the quantile `q` in `[0, 1]`: the virtual index
/// `h = (n − 1)·q`, ranks `floor(h)` and `floor(h) + 1` (clamped to `n − 1`), weight `h − floor(h)`.
pub(crate) fn linear_ranks(n: u64, q: f64) -> (u64, u64, f64) {
    debug_assert!(n > 0 && (0.0..=1.0).contains(&q));
    let h = (n - 1) as f64 * q;
    let lo = (h.floor() as u64).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    (lo, hi, h - h.floor())
}

/// numpy's `_lerp(a, b, t)`: `a + (b − a)·t` below `t = 0.5`, `b − (b − a)·(1 − t)` from it on (so
/// the result is monotone in `t` and exact at both ends).
pub(crate) fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// A range of keys `lo..=hi`, cut into bins of `2^shift` keys each (the last one shorter): the
/// bin of a key is a shift of its offset, no division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyRange {
    pub(crate) lo: i64,
    pub(crate) hi: i64,
}

impl KeyRange {
    /// Keys in the range, less one (`0` to `2^64 − 1`).
    fn span(self) -> u64 {
        self.hi.wrapping_sub(self.lo) as u64
    }

    /// Whether `key` lies in the range.
    #[inline(always)]
    pub(crate) fn contains(self, key: i64) -> bool {
        (self.lo..=self.hi).contains(&key)
    }

    /// The smallest `shift` whose bins of `2^shift` keys number at most `bins` (a power of two).
    pub(crate) fn shift(self, bins: usize) -> u32 {
        debug_assert!(bins.is_power_of_two());
        // Bins needed: ⌊span / 2^shift⌋ + 1 ≤ bins ⇔ span >> shift < bins.
        let need = u64::BITS - self.span().leading_zeros();
        need.saturating_sub(bins.trailing_zeros())
    }

    /// How many bins of `2^shift` keys the range has.
    pub(crate) fn bins(self, shift: u32) -> usize {
        self.span().checked_shr(shift).unwrap_or(0) as usize + 1
    }

    /// The bin of `key` (in the range): its offset from `lo`, shifted.
    #[inline(always)]
    pub(crate) fn bin_of(self, key: i64, shift: u32) -> usize {
        (key.wrapping_sub(self.lo) as u64)
            .checked_shr(shift)
            .unwrap_or(0) as usize
    }

    /// The keys of bin `i`.
    pub(crate) fn bin(self, i: usize, shift: u32) -> KeyRange {
        // Shifts reach 64 (one bin of all 2^64 keys).
        let first = (i as u64).checked_shl(shift).unwrap_or(0);
        let size = 1u64.checked_shl(shift).map_or(u64::MAX, |b| b - 1);
        let last = first.saturating_add(size).min(self.span());
        KeyRange {
            lo: self.lo.wrapping_add(first as i64),
            hi: self.lo.wrapping_add(last as i64),
        }
    }
}

/// The value whose key is `key`, as `f64` (exact for floats; `as f64` for integers).
pub(crate) fn value_of<T: StatElement>(key: i64) -> f64 {
    T::from_raw(T::raw_from_key(key)).value()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bins tile the range in order, each key in the bin `bin_of` names, at most `bins` of
    /// them and more than half that many when the range has the keys, for ranges from one key to
    /// all 2^64 of them.
    #[test]
    #[cfg_attr(miri, ignore = "integer arithmetic only, no unsafe: slow under Miri")]
    fn bins_tile_the_range() {
        for (lo, hi) in [
            (0, 0),
            (-5, 5),
            (7, 7 + 4095),
            (7, 7 + 4096),
            (i64::MIN, i64::MAX),
            (-1, i64::MAX),
        ] {
            let r = KeyRange { lo, hi };
            for bins in [1, 4, 16, 4096] {
                let shift = r.shift(bins);
                let n = r.bins(shift);
                assert!(n <= bins, "{r:?}: {n} bins of 2^{shift}");
                let keys = i128::from(hi) - i128::from(lo) + 1;
                assert!(2 * n > bins || keys < bins as i128, "{r:?}: only {n} bins");
                let mut next = i128::from(lo);
                for i in 0..n {
                    let b = r.bin(i, shift);
                    assert_eq!(i128::from(b.lo), next, "{r:?} bin {i} of {n}");
                    assert!(b.lo <= b.hi);
                    let mid = ((i128::from(b.lo) + i128::from(b.hi)) / 2) as i64;
                    for k in [b.lo, b.hi, mid] {
                        assert_eq!(r.bin_of(k, shift), i, "{r:?} key {k}");
                    }
                    next = i128::from(b.hi) + 1;
                }
                assert_eq!(next, i128::from(hi) + 1);
            }
        }
    }

    /// numpy's `linear` method: `np.quantile(np.arange(5.0), [0, 0.1, 0.5, 0.9, 1])` is
    /// `[0, 0.4, 2, 3.6, 4]`.
    #[test]
    fn linear_method_as_numpy() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let q = |q: f64| {
            let (lo, hi, t) = linear_ranks(5, q);
            lerp(x[lo as usize], x[hi as usize], t)
        };
        assert_eq!(
            [q(0.0), q(0.1), q(0.5), q(0.9), q(1.0)],
            [0.0, 0.4, 2.0, 3.6, 4.0]
        );
        assert_eq!(linear_ranks(1, 0.7), (0, 0, 0.0));
        assert_eq!(lerp(1.0, 1.0, 0.3), 1.0);
    }
}
