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

/// A range of keys `lo..=hi` cut into at most `bins` bins of (nearly) equal key width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyRange {
    pub(crate) lo: i64,
    pub(crate) hi: i64,
}

impl KeyRange {
    /// Keys in the range (at least 1, at most 2^64).
    fn width(self) -> u128 {
        (i128::from(self.hi) - i128::from(self.lo) + 1) as u128
    }

    /// Whether `key` lies in the range.
    pub(crate) fn contains(self, key: i64) -> bool {
        (self.lo..=self.hi).contains(&key)
    }

    /// How many bins a histogram of the range has: `bins`, or fewer when the range has fewer keys.
    pub(crate) fn bins(self, bins: usize) -> usize {
        self.width().min(bins as u128) as usize
    }

    /// The bin of `key` (in the range) among [`bins`](Self::bins)`(bins)`: `(key − lo)·B / width`.
    #[inline(always)]
    pub(crate) fn bin_of(self, key: i64, bins: usize) -> usize {
        let b = self.bins(bins) as u128;
        let off = (i128::from(key) - i128::from(self.lo)) as u128;
        (off * b / self.width()) as usize
    }

    /// The keys of bin `i`: those whose [`bin_of`](Self::bin_of) is `i`.
    pub(crate) fn bin(self, i: usize, bins: usize) -> KeyRange {
        let (b, w) = (self.bins(bins) as u128, self.width());
        // The smallest offset o with o·b / w >= i is ceil(i·w / b).
        let first = |i: u128| (i * w).div_ceil(b);
        let lo = i128::from(self.lo) + first(i as u128) as i128;
        let hi = i128::from(self.lo) + first(i as u128 + 1) as i128 - 1;
        KeyRange {
            lo: lo as i64,
            hi: hi as i64,
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

    /// The bins tile the range in order, each key in the bin `bin_of` names, for ranges from one
    /// key to all 2^64 of them.
    #[test]
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
            for bins in [1, 3, 16, 4096] {
                let n = r.bins(bins);
                let mut next = i128::from(lo);
                for i in 0..n {
                    let b = r.bin(i, bins);
                    assert_eq!(i128::from(b.lo), next, "{r:?} bin {i} of {n}");
                    assert!(b.lo <= b.hi);
                    let mid = ((i128::from(b.lo) + i128::from(b.hi)) / 2) as i64;
                    for k in [b.lo, b.hi, mid] {
                        assert_eq!(r.bin_of(k, bins), i, "{r:?} key {k}");
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
