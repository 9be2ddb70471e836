//! `Pool::group_stats`: statistics per group of a dense integer key column, one read of both
//! columns, the same bits for every thread count.
//!
//! The leaves of the canonical tree are runs of rows of a fixed length chosen from the group
//! count alone (`kernels::group::leaf_rows`: `CHUNK_LEN` rows up to 4 Ki groups, longer beyond);
//! each group's result is the canonical tree over the leaves (`kernels/group.rs`). A leaf's partial
//! is a list of the groups it holds, so keeping every leaf's partial until the end, as
//! `reduce_grid` does, could take `leaves × groups` statistics. Instead each participant folds a
//! run of `2^j` consecutive leaves with a `TreeFold` (memory: `j + 1` partials) and only the runs'
//! partials are kept. A run of `2^j` leaves starting at a multiple of `2^j` is a subtree of the
//! canonical tree, and the last, shorter run is the tree's right spine, so the tree over the runs,
//! each a leaf, is the tree over the leaves: the run length changes no bit, and is chosen for the
//! thread count and the size.

use super::{ParOptions, Pool};
use crate::error::{Error, ErrorKind};
use crate::kernels::group::{self, GroupKey, GroupPartial};
use crate::kernels::{StatElement, Stats};
use crate::sched::{ChunkGrid, TreeFold};

impl Pool {
    /// The statistics of `values` per group of `keys` (`keys[i]` in `0..groups` is the group of
    /// `values[i]`): one [`Stats`] per group, [`Stats::empty`] for a group without a row. One
    /// read of both columns.
    ///
    /// Each group's statistics have the same bits for every thread count: per leaf of rows
    /// (`CHUNK_LEN` = 32 Ki rows for up to 4 Ki groups; beyond, the power-of-two multiple of it
    /// nearest above eight rows a group, at most 2 Mi rows), each group's values are accumulated
    /// in row order (count, NaNs and extremes exact; the sum a Neumaier pair for floats, exact for
    /// integers; the second moment about the leaf's group mean, in a second pass), and the
    /// leaves' statistics are merged with [`Stats::merge`] in the canonical tree. They are as
    /// accurate as [`stats`](Pool::stats)' (`docs/guarantees.md`), not its bits: `stats` adds in
    /// a tree of vector lanes.
    ///
    /// Errors: columns of different lengths; a key negative or not below `groups` (the first such
    /// row is named); more than [`MAX_GROUPS`](crate::kernels::MAX_GROUPS) groups.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = shmkern::Pool::builder().threads(2).build()?;
    /// let keys = [0u32, 2, 0, 2, 2];
    /// let values = [1.0, 10.0, 3.0, 20.0, f64::NAN];
    /// let g = pool.group_stats(&keys, &values, 3)?;
    /// assert_eq!((g[0].count(), g[0].mean()), (2, Some(2.0)));
    /// assert_eq!(g[1].count(), 0); // no row: empty
    /// assert_eq!((g[2].count(), g[2].nan_count(), g[2].sum()), (2, 1, 30.0));
    /// let err = pool.group_stats(&[0u32, 3], &[1.0, 2.0], 3).unwrap_err();
    /// assert!(err.to_string().contains("key 3 at row 1"));
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn group_stats<K: GroupKey, T: StatElement>(
        &self,
        keys: &[K],
        values: &[T],
        groups: usize,
    ) -> Result<Vec<Stats<T>>, Error> {
        self.group_stats_with(keys, values, groups, ParOptions::default())
    }

    /// [`group_stats`](Pool::group_stats) with a cancel token, a deadline and a progress counter
    /// (rows read). `opts.chunk_len` is ignored: the leaves are the contract's.
    pub fn group_stats_with<K: GroupKey, T: StatElement>(
        &self,
        keys: &[K],
        values: &[T],
        groups: usize,
        opts: ParOptions<'_>,
    ) -> Result<Vec<Stats<T>>, Error> {
        if keys.len() != values.len() {
            return Err(Error::new(ErrorKind::ColumnLengths(vec![
                keys.len(),
                values.len(),
            ])));
        }
        group::check_groups(groups)?;
        let leaf = group::leaf_rows(groups);
        let leaves = ChunkGrid::with_chunk_len(values.len(), leaf)?.chunks() as usize;
        let run = run_leaves(leaves, self.threads());
        let runs = ChunkGrid::with_chunk_len(values.len(), run * leaf)?;
        let partial = self.reduce_grid(
            &runs,
            ParOptions {
                chunk_len: None,
                progress: None,
                ..opts
            },
            |_, rows| {
                let mut fold = TreeFold::new();
                let mut scratch = group::Scratch::new(groups);
                for start in rows.clone().step_by(leaf) {
                    if opts.stopped() {
                        return Err(opts.stop_error());
                    }
                    let end = (start + leaf).min(rows.end);
                    let part = group::leaf(
                        &keys[start..end],
                        &values[start..end],
                        groups,
                        start,
                        &mut scratch,
                    );
                    opts.advance(end - start);
                    fold.push(part, merge);
                }
                fold.finish(merge)
                    .unwrap_or_else(|| Ok(GroupPartial::new()))
            },
            merge,
        )??;
        Ok(group::finish(partial, groups))
    }
}

/// Merges two leaf ranges' results; the first error in row order wins.
fn merge<T: StatElement>(
    a: Result<GroupPartial<T>, Error>,
    b: Result<GroupPartial<T>, Error>,
) -> Result<GroupPartial<T>, Error> {
    Ok(group::merge(a?, b?))
}

/// The leaves each participant folds at a time: a power of two, so that runs are subtrees of the
/// canonical tree; about four runs a thread for balance, and at most 64 leaves.
fn run_leaves(leaves: usize, threads: usize) -> usize {
    let per = leaves.div_ceil(4 * threads.max(1)).clamp(1, 64);
    1 << (usize::BITS - 1 - per.leading_zeros()) // rounded down to a power of two
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_powers_of_two() {
        for (chunks, threads, run) in [
            (0, 1, 1),
            (1, 8, 1),
            (9, 2, 2),
            (100, 1, 16),
            (100, 2, 8),
            (1 << 20, 2, 64),
        ] {
            assert_eq!(
                run_leaves(chunks, threads),
                run,
                "{chunks} leaves, {threads} threads"
            );
        }
    }
}
