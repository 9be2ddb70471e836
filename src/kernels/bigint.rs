//! The few operations on non-negative big integers that exact moments need, and their rounding to
//! `f64`: products and differences of exact sums, then one division by the count, rounded once.
//! Little-endian `u32` limbs; sizes stay below a few hundred limbs (exact sums of doubles are
//! below 2^2144 on the 2^-1074 scale), so schoolbook arithmetic is plenty. Written here rather
//! than taken from a crate: the library keeps its dependencies to four, and this is a hundred lines.

use std::cmp::Ordering;

/// A non-negative integer, `Σ limbs[i] · 2^(32 i)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Big(Vec<u32>);

impl Big {
    pub(crate) fn from_limbs(mut limbs: Vec<u32>) -> Self {
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        Big(limbs)
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of significant bits (0 for zero).
    pub(crate) fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => 32 * (self.0.len() as u64 - 1) + u64::from(32 - top.leading_zeros()),
        }
    }

    fn bit(&self, i: u64) -> bool {
        let (limb, b) = ((i / 32) as usize, i % 32);
        self.0.get(limb).is_some_and(|&l| l >> b & 1 == 1)
    }

    /// Whether any bit below bit `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let (limb, b) = ((i / 32) as usize, i % 32);
        self.0[..limb.min(self.0.len())].iter().any(|&l| l != 0)
            || self
                .0
                .get(limb)
                .is_some_and(|&l| l & ((1u32 << b) - 1) != 0)
    }

    /// `self · other`.
    pub(crate) fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let t = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + other.0.len()] = carry as u32;
        }
        Big::from_limbs(out)
    }

    /// `self · m`.
    pub(crate) fn mul_small(&self, m: u64) -> Big {
        self.mul(&Big::from_limbs(vec![m as u32, (m >> 32) as u32]))
    }

    /// `self · 2^k`.
    pub(crate) fn shl(&self, k: u64) -> Big {
        if self.is_zero() {
            return Big(Vec::new());
        }
        let (limbs, b) = ((k / 32) as usize, (k % 32) as u32);
        let mut out = vec![0u32; limbs];
        let mut carry = 0u32;
        for &l in &self.0 {
            out.push((l << b) | carry);
            carry = if b == 0 { 0 } else { l >> (32 - b) };
        }
        out.push(carry);
        Big::from_limbs(out)
    }

    /// `self − other`, or `None` if `other` is larger.
    pub(crate) fn checked_sub(&self, other: &Big) -> Option<Big> {
        if self.cmp(other) == Ordering::Less {
            return None;
        }
        let mut out = self.0.clone();
        let mut borrow = 0i64;
        for (i, o) in out.iter_mut().enumerate() {
            let t = i64::from(*o) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            *o = t as u32; // t + 2^32 when negative: the low 32 bits either way
            borrow = i64::from(t < 0);
        }
        Some(Big::from_limbs(out))
    }

    /// `(⌊self / d⌋, whether the remainder is nonzero)`, `d > 0`.
    pub(crate) fn div_small(&self, d: u64) -> (Big, bool) {
        debug_assert!(d > 0);
        let d = u128::from(d);
        let mut out = vec![0u32; self.0.len()];
        let mut rem = 0u128;
        for i in (0..self.0.len()).rev() {
            let cur = (rem << 32) | u128::from(self.0[i]); // rem < d < 2^64: no overflow
            out[i] = (cur / d) as u32;
            rem = cur % d;
        }
        (Big::from_limbs(out), rem != 0)
    }

    /// `(self + ε) · 2^exp`, where `ε` is some value in `(0, 1)` when `sticky` (nothing is
    /// known of it but that it is there) and 0 otherwise, rounded once to the nearest `f64`,
    /// ties to even; `+∞` beyond the largest double. The sign is the caller's.
    pub(crate) fn to_f64(&self, exp: i64, sticky: bool) -> f64 {
        let n = self.bits();
        if n == 0 {
            // Only ε, below one unit of 2^exp: within the smallest subnormal's half only if
            // 2^exp is small enough; exact moments never ask for it with a large exp.
            return 0.0;
        }
        // The result's last bit: 53 bits below the top, but never below the smallest subnormal's.
        let lsb = (exp + n as i64 - 53).max(-1074);
        let shift = lsb - exp; // bits of `self` cut off (negative: none, shifted up exactly)
        let mut q: u64 = if shift <= 0 {
            let mut v = 0u64;
            for i in (0..n).rev() {
                v = (v << 1) | u64::from(self.bit(i));
            }
            v << -shift
        } else {
            let s = shift as u64;
            let mut v = 0u64;
            for i in (s..n).rev() {
                v = (v << 1) | u64::from(self.bit(i));
            }
            let guard = self.bit(s - 1);
            let rest = sticky || self.any_below(s - 1);
            if guard && (rest || v & 1 == 1) {
                v += 1;
            }
            v
        };
        let mut lsb = lsb;
        if q == 1 << 53 {
            q >>= 1;
            lsb += 1;
        }
        // `q < 2^53`: a normal double `q · 2^lsb` with biased exponent `lsb + 1075` (fraction
        // `q − 2^52`), or a subnormal with `lsb = −1074` and `q < 2^52`: both are the bits
        // `((lsb + 1074) << 52) + q`.
        let t = lsb + 1074;
        if t + 1 >= 0x7ff {
            return f64::INFINITY;
        }
        f64::from_bits(((t as u64) << 52) + q)
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(v: u128) -> Big {
        Big::from_limbs((0..4).map(|i| (v >> (32 * i)) as u32).collect())
    }

    #[test]
    fn arithmetic_matches_u128() {
        let (a, b) = (0x1234_5678_9abc_def0_u128, 0xfedc_ba98_7654_3210_u128);
        assert_eq!(big(a).mul(&big(b)), big(a * b));
        assert_eq!(big(a).mul_small(1 << 40), big(a << 40));
        assert_eq!(big(a).shl(37), big(a << 37));
        assert_eq!(big(b).checked_sub(&big(a)), Some(big(b - a)));
        assert_eq!(big(a).checked_sub(&big(b)), None);
        assert_eq!(big(a * b).div_small(b as u64), (big(a), false));
        assert_eq!(big(a * b + 5).div_small(b as u64), (big(a), true));
        assert_eq!(big(0).bits(), 0);
        assert_eq!(big(a).bits(), 61);
    }

    /// Powers of two from their bits: Miri gives `powi` an error on purpose.
    fn pow2(e: i64) -> f64 {
        f64::from_bits(((e + 1023) as u64) << 52)
    }

    #[test]
    fn rounds_once_to_nearest_even() {
        // Exact values.
        assert_eq!(big(3).to_f64(-1, false), 1.5);
        assert_eq!(big(1).to_f64(-1074, false), f64::from_bits(1));
        assert_eq!(big(1).to_f64(1023, false), pow2(1023));
        assert_eq!(big(1).to_f64(1024, false), f64::INFINITY);
        // 2^53 + 1 is a tie: to even (2^53); with a sticky ε it rounds up.
        let tie = big((1 << 53) + 1);
        assert_eq!(tie.to_f64(0, false), pow2(53));
        assert_eq!(tie.to_f64(0, true), pow2(53) + 2.0);
        // 2^54 − 1 rounds up to 2^54 (a carry out of the 53 bits).
        assert_eq!(big((1 << 54) - 1).to_f64(0, false), pow2(54));
        // Subnormal rounding: 3 · 2^-1076 = 0.75 · 2^-1074 rounds to 2^-1074; 2^-1076 to 0.
        assert_eq!(big(3).to_f64(-1076, false), f64::from_bits(1));
        assert_eq!(big(1).to_f64(-1076, false), 0.0);
        assert_eq!(big(1).to_f64(-1075, true), f64::from_bits(1));
        // The largest double, and just past the rounding point to infinity.
        let max = big((1 << 53) - 1);
        assert_eq!(max.to_f64(971, false), f64::MAX);
        assert_eq!(big((1 << 54) - 1).to_f64(970, false), f64::INFINITY);
    }
}
