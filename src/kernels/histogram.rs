//! Fixed uniform bins as numpy's `histogram` draws them: [`Histogram`], the result, and
//! [`Bins`], the edges and the bin of a value, which `Pool::histogram` applies to every value.
//!
//! The edges are numpy's `linspace(lo, hi, bins + 1)` bit for bit (`i · step + lo` with
//! `step = (hi − lo) / bins`, the last edge `hi` itself), a value's bin is estimated from
//! `(x − lo) / (hi − lo) · bins` and corrected against those edges, as numpy corrects it, so a value
//! on an edge falls in the bin that edge opens; the last bin is closed (`hi` belongs to it). Counts
//! are integers, so any order of counting gives the same histogram.

use super::stats::StatElement;

/// A histogram of the values of some data: `counts[i]` values in `[edges[i], edges[i + 1])` (the
/// last bin also holds `edges[bins]`), and, counted apart, the values below the first edge, above
/// the last, and the NaNs.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// `bins + 1` edges, increasing.
    pub edges: Vec<f64>,
    /// One count per bin.
    pub counts: Vec<u64>,
    /// Values below `edges[0]`.
    pub below: u64,
    /// Values above `edges[bins]`.
    pub above: u64,
    /// NaN values.
    pub nan_count: u64,
}

/// The bins of a histogram: `bins` uniform bins from `lo` to `hi` (finite, `lo < hi`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    lo: f64,
    hi: f64,
    edges: Vec<f64>,
}

/// Where a value falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    Bin(usize),
    Below,
    Above,
    Nan,
}

impl Bins {
    /// `bins` bins over `[lo, hi]`, numpy's rules for the range: `lo == hi` widens it to
    /// `[lo − 0.5, hi + 0.5]`. `None` when `bins` is 0, a bound is not finite, `lo > hi`, or the
    /// range is wider than the largest double (`hi − lo` overflows: numpy then draws NaN edges).
    pub fn new(bins: usize, lo: f64, hi: f64) -> Option<Bins> {
        if bins == 0 || !lo.is_finite() || !hi.is_finite() || lo > hi || !(hi - lo).is_finite() {
            return None;
        }
        let (lo, hi) = if lo == hi {
            (lo - 0.5, hi + 0.5)
        } else {
            (lo, hi)
        };
        // numpy.linspace(lo, hi, bins + 1): y = arange · step + lo, or (arange / div) · delta + lo
        // when the step underflows to zero; the last edge is hi.
        let (div, delta) = (bins as f64, hi - lo);
        let step = delta / div;
        let mut edges: Vec<f64> = (0..=bins)
            .map(|i| {
                let i = i as f64;
                if step == 0.0 {
                    (i / div) * delta + lo
                } else {
                    i * step + lo
                }
            })
            .collect();
        edges[bins] = hi;
        Some(Bins { lo, hi, edges })
    }

    /// The edges (`bins + 1` of them).
    pub fn edges(&self) -> &[f64] {
        &self.edges
    }

    /// How many bins.
    pub fn len(&self) -> usize {
        self.edges.len() - 1
    }

    /// Never: a histogram has at least one bin.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Where `x` falls.
    #[inline(always)]
    pub(crate) fn place(&self, x: f64) -> Place {
        if x.is_nan() {
            return Place::Nan;
        }
        if x < self.lo {
            return Place::Below;
        }
        if x > self.hi {
            return Place::Above;
        }
        let n = self.len();
        // numpy: ((x − lo) / (hi − lo)) · bins, truncated, then made consistent with the edges.
        let f = (x - self.lo) / (self.hi - self.lo) * n as f64;
        let mut i = (f as usize).min(n - 1);
        if x < self.edges[i] {
            i -= 1;
        } else if i != n - 1 && x >= self.edges[i + 1] {
            i += 1;
        }
        Place::Bin(i)
    }

    /// An empty histogram over these bins.
    pub(crate) fn empty(&self) -> Histogram {
        Histogram {
            edges: self.edges.clone(),
            counts: vec![0; self.len()],
            below: 0,
            above: 0,
            nan_count: 0,
        }
    }
}

impl Histogram {
    /// Counts `x` into the histogram of `bins` (whose edges these are).
    #[inline(always)]
    pub(crate) fn count<T: StatElement>(&mut self, bins: &Bins, x: T) {
        match bins.place(x.value()) {
            Place::Bin(i) => self.counts[i] += 1,
            Place::Below => self.below += 1,
            Place::Above => self.above += 1,
            Place::Nan => self.nan_count += 1,
        }
    }

    /// Adds `other`'s counts (a histogram over the same bins).
    pub(crate) fn add(mut self, other: Histogram) -> Histogram {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.below += other.below;
        self.above += other.above;
        self.nan_count += other.nan_count;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value lies in the bin whose edges hold it: `edges[i] <= x < edges[i + 1]`, the last
    /// bin closed, for ranges where the estimate from `(x − lo) / (hi − lo)` misses by one.
    #[test]
    #[cfg_attr(miri, ignore = "float arithmetic only, no unsafe: slow under Miri")]
    fn values_lie_between_their_edges() {
        for (bins, lo, hi) in [
            (10, 0.0, 1.0),
            (7, -3.3, 0.1),
            (1000, 1e-300, 3e-300),
            (3, 1e15, 1e15 + 7.0),
        ] {
            let b = Bins::new(bins, lo, hi).unwrap();
            let e = b.edges().to_vec();
            assert_eq!((e[0], e[bins]), (lo, hi));
            let mut probes: Vec<f64> = e
                .iter()
                .flat_map(|&x| [x, x.next_down(), x.next_up()])
                .collect();
            probes.extend((0..1000).map(|i| lo + (hi - lo) * i as f64 / 999.0));
            for x in probes {
                match b.place(x) {
                    Place::Bin(i) => {
                        assert!(e[i] <= x, "{x} below bin {i}'s edge {}", e[i]);
                        assert!(
                            x < e[i + 1] || (i == bins - 1 && x == hi),
                            "{x} past bin {i}"
                        );
                    }
                    Place::Below => assert!(x < lo),
                    Place::Above => assert!(x > hi),
                    Place::Nan => unreachable!(),
                }
            }
        }
        assert_eq!(
            Bins::new(4, 2.0, 2.0).unwrap().edges(),
            [1.5, 1.75, 2.0, 2.25, 2.5]
        );
        assert_eq!(Bins::new(0, 0.0, 1.0), None);
        assert_eq!(Bins::new(1, 1.0, 0.0), None);
        assert_eq!(Bins::new(1, 0.0, f64::INFINITY), None);
        assert_eq!(Bins::new(1, -f64::MAX, f64::MAX), None);
        assert_eq!(Bins::new(1, 0.0, 1.0).unwrap().place(f64::NAN), Place::Nan);
    }
}
