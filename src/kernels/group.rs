//! Statistics per group of a dense integer key: the leaf step and the merge of
//! [`Pool::group_stats`](crate::Pool::group_stats).
//!
//! The data's rows are cut into leaves of [`leaf_rows`] rows (a length that depends on the group
//! count alone). A leaf's partial is sparse: for each group that has a row in the leaf, the
//! [`Stats`] of that group's values, accumulated row by row in row order ([`leaf`]: a group's rows are scattered,
//! so the statistics' vector kernel, which needs them contiguous, would first have to gather them;
//! accumulating in place costs a few operations a row whatever the number of groups). Two
//! partials merge group by group with [`Stats::merge`]; a group absent from one side keeps the
//! other's statistics, which is what merging with [`Stats::empty`] (the merge's identity) would
//! give. So each group's result is the canonical tree, over the leaves, of that group's per-leaf
//! statistics — a function of the data and the group count alone, whatever the thread count.

use super::{StatElement, Stats};
use crate::error::{Error, ErrorKind};
use crate::sched::CHUNK_LEN;

mod sealed {
    pub trait Sealed {}
}

/// The most groups a grouped call takes: the result alone is 80 bytes a group.
pub const MAX_GROUPS: usize = 1 << 24;

/// An integer type a key column can hold: the unsigned and signed primitives. A key is a group
/// index in `0..groups`; a negative one is an error like one too large.
///
/// # Examples
///
/// ```
/// let pool = shmkern::Pool::builder().threads(2).build()?;
/// let by_u8 = pool.group_stats(&[1u8, 0, 1], &[1.0, 2.0, 3.0], 2)?;
/// let by_i64 = pool.group_stats(&[1i64, 0, 1], &[1.0, 2.0, 3.0], 2)?;
/// assert_eq!(by_u8, by_i64);
/// assert!(pool.group_stats(&[-1i32], &[1.0], 2).is_err());
/// # Ok::<(), shmkern::Error>(())
/// ```
pub trait GroupKey: Copy + Send + Sync + std::fmt::Display + sealed::Sealed {
    /// The key as a group index, `None` if negative or past `u64`.
    #[doc(hidden)]
    fn index(self) -> Option<u64>;
}

macro_rules! group_key {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl GroupKey for $t {
            #[inline(always)]
            fn index(self) -> Option<u64> {
                u64::try_from(self).ok()
            }
        }
    )*};
}
group_key!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// The statistics of the groups present in some leaves, sorted by group.
pub(crate) type GroupPartial<T> = Vec<(u32, Stats<T>)>;

/// The error for a key outside `0..groups` at `row`.
fn bad_key<K: GroupKey>(row: usize, key: K, groups: usize) -> Error {
    Error::new(ErrorKind::BadGroups(format!(
        "the key {key} at row {row} is not a group in 0..{groups}"
    )))
}

/// Checks `groups` against [`MAX_GROUPS`].
pub(crate) fn check_groups(groups: usize) -> Result<(), Error> {
    if groups > MAX_GROUPS {
        return Err(Error::new(ErrorKind::BadGroups(format!(
            "{groups} groups are more than the {MAX_GROUPS} a grouped call takes"
        ))));
    }
    Ok(())
}

/// A group's running state within one leaf.
#[derive(Clone, Copy)]
struct Acc<S> {
    group: u32,
    count: u32,
    nans: u32,
    sum: S,
    comp: f64,
    lo: i64,
    hi: i64,
    center: f64,
    s2: f64,
    s1: f64,
}

/// Scratch of one participant for [`leaf`]: which of a leaf's groups each group index is.
/// Reused across leaves: [`leaf`] leaves every slot free.
pub(crate) struct Scratch {
    /// `slot[g]`: group `g`'s place in the leaf's accumulators, `u32::MAX` if it has none yet.
    slot: Vec<u32>,
}

impl Scratch {
    pub(crate) fn new(groups: usize) -> Self {
        Self {
            slot: vec![u32::MAX; groups],
        }
    }
}

/// The rows of a leaf of the grouped kernels' tree: `CHUNK_LEN` times a power of two, about
/// eight rows a group (at most 64 chunks), so that with many groups each leaf's partial holds
/// several rows a group rather than one (a merge per row would cost more than the rows). A
/// function of the group count alone: never of the thread count.
pub(crate) fn leaf_rows(groups: usize) -> usize {
    let chunks = (8 * groups).div_ceil(CHUNK_LEN).clamp(1, 64);
    CHUNK_LEN * chunks.next_power_of_two()
}

/// The partial of one leaf ([`leaf_rows`]): `keys[i]` is the group of `values[i]`, and `offset` is
/// the leaf's first row (for the error naming a bad key: the leaf's first one).
///
/// Two passes over the leaf's rows, in row order, each touching only its row's group: the
/// count, the NaNs, the extremes and the sum (a Neumaier pair for floats, exact for integers);
/// then, about each group's center (its mean in the leaf), `Σ (x − c)` and `Σ (x − c)²` — the statistics'
/// own chunk state ([`Stats::from_parts`]). Every operation's order is the rows', so the partial
/// is a function of the leaf alone.
pub(crate) fn leaf<K: GroupKey, T: StatElement>(
    keys: &[K],
    values: &[T],
    groups: usize,
    offset: usize,
    scratch: &mut Scratch,
) -> Result<GroupPartial<T>, Error> {
    debug_assert_eq!(keys.len(), values.len());
    debug_assert_eq!(scratch.slot.len(), groups);
    let slot = &mut scratch.slot;
    let mut accs: Vec<Acc<T::Sum>> = Vec::new();
    let mut bad = None;
    for (i, (&k, &v)) in keys.iter().zip(values).enumerate() {
        let g = match k.index() {
            Some(g) if g < groups as u64 => g as usize,
            _ => {
                bad = Some(bad_key(offset + i, k, groups));
                break;
            }
        };
        if slot[g] == u32::MAX {
            slot[g] = accs.len() as u32;
            accs.push(Acc {
                group: g as u32,
                count: 0,
                nans: 0,
                sum: T::sum_zero(),
                comp: 0.0,
                lo: i64::MAX,
                hi: i64::MIN,
                center: 0.0,
                s2: 0.0,
                s1: 0.0,
            });
        }
        let a = &mut accs[slot[g] as usize];
        if v.is_nan() {
            a.nans += 1;
        } else {
            a.count += 1;
            T::add_one(&mut a.sum, &mut a.comp, v);
            a.lo = a.lo.min(v.key());
            a.hi = a.hi.max(v.key());
        }
    }
    if let Some(e) = bad {
        for a in &accs {
            slot[a.group as usize] = u32::MAX;
        }
        return Err(e);
    }
    for a in &mut accs {
        a.sum = T::sum_close(a.sum, a.comp);
        if a.count > 0 {
            a.center = Stats::<T>::center_of(u64::from(a.count), a.sum);
        }
    }
    for (&k, &v) in keys.iter().zip(values) {
        // Every key was checked above.
        let g = k.index().unwrap_or(0) as usize;
        let a = &mut accs[slot[g] as usize];
        if !v.is_nan() {
            let d = v.value() - a.center;
            a.s1 += d;
            a.s2 += d * d;
        }
    }
    for a in &accs {
        slot[a.group as usize] = u32::MAX;
    }
    accs.sort_unstable_by_key(|a| a.group);
    Ok(accs
        .iter()
        .map(|a| {
            let stats = Stats::from_parts(
                u64::from(a.count),
                u64::from(a.nans),
                a.sum,
                (a.lo, a.hi),
                (a.s2, a.s1),
            );
            (a.group, stats)
        })
        .collect())
}

/// Merges two partials group by group (the left one covers the earlier leaves).
pub(crate) fn merge<T: StatElement>(a: GroupPartial<T>, b: GroupPartial<T>) -> GroupPartial<T> {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (Some(&(ga, _)), Some(&(gb, _))) => {
                if ga < gb {
                    out.extend(a.next());
                } else if gb < ga {
                    out.extend(b.next());
                } else {
                    let ((g, sa), (_, sb)) = (a.next().expect("peeked"), b.next().expect("peeked"));
                    out.push((g, Stats::merge(sa, sb)));
                }
            }
            (Some(_), None) => out.extend(a.by_ref()),
            (None, Some(_)) => out.extend(b.by_ref()),
            (None, None) => return out,
        }
    }
}

/// The dense result: one [`Stats`] per group, empty where a group has no row.
pub(crate) fn finish<T: StatElement>(partial: GroupPartial<T>, groups: usize) -> Vec<Stats<T>> {
    let mut out = vec![Stats::empty(); groups];
    for (g, s) in partial {
        out[g as usize] = s;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::stats::chunk_stats;

    /// A group's partial is the statistics of its values as the chunk kernel gives them, but
    /// for the order of additions: the counts and extremes equal, the sums and moments close.
    #[test]
    fn a_leaf_describes_each_group() {
        let n = if cfg!(miri) { 300 } else { 3000 };
        let keys: Vec<u32> = (0..n).map(|i| (i * 7919 % 13) as u32).collect();
        let values: Vec<f64> = (0..n)
            .map(|i| {
                if i % 101 == 0 {
                    f64::NAN
                } else {
                    1e6 + (i as f64).sin()
                }
            })
            .collect();
        let mut scratch = Scratch::new(20);
        let part = leaf(&keys, &values, 20, 0, &mut scratch).unwrap();
        assert!(
            scratch.slot.iter().all(|&s| s == u32::MAX),
            "scratch left free"
        );
        assert_eq!(part.len(), 13);
        for (g, s) in part {
            let mine: Vec<f64> = keys
                .iter()
                .zip(&values)
                .filter(|&(&k, _)| k == g)
                .map(|(_, &v)| v)
                .collect();
            let want = chunk_stats(&mine);
            assert_eq!(
                (s.count(), s.nan_count(), s.min(), s.max()),
                (want.count(), want.nan_count(), want.min(), want.max())
            );
            assert!(
                (s.sum() - want.sum()).abs() <= 1e-15 * want.sum().abs(),
                "{g}"
            );
            let (v, w) = (s.variance(1).unwrap(), want.variance(1).unwrap());
            assert!((v - w).abs() <= 1e-9 * w, "{g}: {v} against {w}");
        }
        let err = leaf(&[0u32, 13], &[1.0, 2.0], 13, 500, &mut Scratch::new(13)).unwrap_err();
        assert!(err.to_string().contains("key 13 at row 501"), "{err}");
    }

    #[test]
    fn sums_keep_their_special_values() {
        let mut scratch = Scratch::new(4);
        let keys = [0u8, 1, 1, 2, 2, 3, 3];
        let values = [
            -0.0,
            f64::INFINITY,
            1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e308,
            1e308,
        ];
        let part = leaf(&keys, &values, 4, 0, &mut scratch).unwrap();
        assert_eq!(part[0].1.sum().to_bits(), (-0.0f64).to_bits());
        assert_eq!(part[1].1.sum(), f64::INFINITY);
        assert!(part[2].1.sum().is_nan());
        assert_eq!(part[3].1.sum(), f64::INFINITY);
        let ints = leaf(&[0u8, 0], &[i64::MAX, i64::MAX], 1, 0, &mut Scratch::new(1)).unwrap();
        assert_eq!(ints[0].1.sum(), 2 * i128::from(i64::MAX));
    }

    #[test]
    fn merge_keeps_groups_of_either_side() {
        let s = |x: f64| chunk_stats(&[x]);
        let a = vec![(0, s(1.0)), (3, s(2.0))];
        let b = vec![(1, s(5.0)), (3, s(4.0))];
        let m = merge(a, b);
        let groups: Vec<u32> = m.iter().map(|&(g, _)| g).collect();
        assert_eq!(groups, [0, 1, 3]);
        assert_eq!(m[2].1, Stats::merge(s(2.0), s(4.0)));
        assert_eq!(finish(m, 5)[4], Stats::empty());
    }
}
