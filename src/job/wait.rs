//! Waiting for a job's result: [`Job::wait_stats`], [`Job::wait_sum_float`] and
//! [`Job::wait_sum_int`] sleep on the job's done count until every chunk is published, then merge
//! the chunk results in index order in the kernels' fixed tree.

use super::kernel::{from_words, partial_words, JobKernel};
use super::table::ChunkTable;
use super::{Job, POLL};
use crate::buffer::{DType, Element};
use crate::error::Error;
use crate::kernels::{ChunkAt, Describe, Float, FloatSum, Int, IntSum, StatElement, Stats};
use crate::sync::futex;
use std::time::{Duration, Instant};

impl Job {
    /// Waits up to `timeout` for every chunk, then merges the results in chunk-index order in the
    /// kernels' tree: the same bits as [`Pool::stats`](crate::Pool::stats) over the data. The job
    /// must be a [`JobKind::Stats`](crate::job::JobKind::Stats) job and `T` the data's type.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-wait-stats-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
    /// # SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// // Nobody works on the job yet: the wait times out, saying how far the job got.
    /// let err = job.wait_stats::<f64>(Duration::from_millis(10)).unwrap_err();
    /// assert!(err.to_string().contains("timed out after 0.0 s with 0 of 4 chunks done"), "{err}");
    /// assert!(err.to_string().ends_with("not done: chunks 0-3"), "{err}");
    /// let pool = Pool::builder().threads(2).build()?;
    /// job.work(&pool)?;
    /// assert_eq!(job.wait_stats::<f64>(Duration::from_secs(10))?, pool.stats(&values));
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn wait_stats<T: StatElement + crate::buffer::Element>(
        &self,
        timeout: Duration,
    ) -> Result<Stats<T>, Error> {
        self.wait_kernel(&Describe::<T>::new(), timeout)
    }

    /// [`wait_stats`](Job::wait_stats) for a [`JobKind::Sum`](crate::job::JobKind::Sum) job over
    /// floats: the same bits as [`Pool::sum_float`](crate::Pool::sum_float) over the data.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-wait-sum-float-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values: Vec<f32> = (0..100_000).map(|i| (i as f32).sin()).collect();
    /// # SharedBuffer::<f32>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Sum)? };
    /// let pool = Pool::builder().threads(2).build()?;
    /// job.work(&pool)?;
    /// let sum = job.wait_sum_float::<f32>(Duration::from_secs(10))?;
    /// assert_eq!(sum.to_bits(), pool.sum_float(&values).to_bits()); // the same bits
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn wait_sum_float<T: Float + crate::buffer::Element>(
        &self,
        timeout: Duration,
    ) -> Result<f64, Error> {
        self.wait_kernel(&FloatSum::<T>::new(), timeout)
    }

    /// [`wait_stats`](Job::wait_stats) for a [`JobKind::Sum`](crate::job::JobKind::Sum) job over
    /// integers: the exact sum, as [`Pool::sum_int`](crate::Pool::sum_int) gives it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-wait-sum-int-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values = vec![i16::MAX; 70_000];
    /// # SharedBuffer::<i16>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Sum)? };
    /// job.work(&Pool::builder().threads(2).build()?)?;
    /// // Exact and wide: far beyond what an i16 (or an i32) holds.
    /// assert_eq!(job.wait_sum_int::<i16>(Duration::from_secs(10))?, 32_767 * 70_000);
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn wait_sum_int<T: Int + crate::buffer::Element>(
        &self,
        timeout: Duration,
    ) -> Result<T::Wide, Error> {
        self.wait_kernel(&IntSum::<T>::new(), timeout)
    }

    /// Waits up to `timeout` for every chunk of a job made for `kernel` (by
    /// [`create_kernel`](Job::create_kernel), or [`create`](Job::create) for the built-in
    /// kernels), then merges the partials in the canonical tree and finishes the root: the same
    /// bits as [`Pool::run`](crate::Pool::run) of `kernel` over the data. An error if the job runs
    /// another kernel, over another element type or with other parameters. See [`JobKernel`] for
    /// an example.
    pub fn wait_kernel<K: JobKernel>(
        &self,
        kernel: &K,
        timeout: Duration,
    ) -> Result<K::Output, Error> {
        self.expect(K::NAME, K::Elem::DTYPE, &kernel.params())?;
        if partial_words::<K::Partial>() != self.header.partial_words as usize {
            return Err(Error::file(
                &self.path,
                format!(
                    "the kernel {:?} has a partial of {} words, the job file says {}",
                    K::NAME,
                    partial_words::<K::Partial>(),
                    self.header.partial_words
                ),
            ));
        }
        let mut parts = self.wait_parts(timeout, from_words::<K::Partial>)?;
        let root = if parts.is_empty() {
            kernel.chunk(ChunkAt::new(0, 0), &[])
        } else {
            crate::sched::merge_tree(&mut parts, &|a, b| kernel.merge(a, b))
        };
        Ok(kernel.finish(root))
    }

    /// An error unless the job runs kernel `name` over `dtype` with `params`.
    fn expect(&self, name: &str, dtype: DType, params: &[u8]) -> Result<(), Error> {
        if self.header.kernel != name.as_bytes() || self.header.dtype != dtype {
            return Err(Error::file(
                &self.path,
                format!(
                    "the job computes {} over {}, not {name} over {dtype}",
                    String::from_utf8_lossy(&self.header.kernel),
                    self.header.dtype
                ),
            ));
        }
        if self.header.params != params {
            return Err(Error::file(
                &self.path,
                format!("the job runs {name} with other parameters than the kernel given"),
            ));
        }
        Ok(())
    }

    /// Waits up to `timeout` until every chunk is published, then decodes the chunk results in
    /// index order. The data file must still be the one the job was made for, before and after the
    /// wait (each time the waiter wakes, too): a result computed over a file replaced or written
    /// to since is an error, never a result.
    fn wait_parts<R>(
        &self,
        timeout: Duration,
        decode: impl Fn(&[u64]) -> R,
    ) -> Result<Vec<Option<R>>, Error> {
        // A timeout too long to represent (`Duration::MAX`) means no deadline.
        let deadline = Instant::now().checked_add(timeout);
        let table = self.table();
        loop {
            self.check_data_path()?;
            let seen = table.done_count();
            if u64::from(seen) >= self.header.chunks {
                break;
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                let s = self.status();
                return Err(Error::file(
                    &self.path,
                    format!(
                        "timed out after {:.1} s with {} of {} chunks done and {} live \
                         participants; not done: {}",
                        timeout.as_secs_f64(),
                        s.done,
                        s.chunks,
                        s.live_participants,
                        not_done(&table)
                    ),
                ));
            }
            let left = deadline.map_or(POLL, |d| d - now);
            futex::wait(table.done, seen, Some(POLL.min(left)));
        }
        // Every chunk was computed before this check: a change after it cannot reach the result.
        self.check_data_path()?;
        (0..table.chunks())
            .map(|k| {
                let words = table.result(k).ok_or_else(|| {
                    Error::file(
                        &self.path,
                        format!(
                            "chunk {k} is not done although the count says so: the file is \
                             corrupt"
                        ),
                    )
                })?;
                Ok(Some(decode(&words)))
            })
            .collect()
    }
}

/// The chunks without a published result, as index ranges (`0-3, 7, 9-12`), the first few only.
pub(super) fn not_done(table: &ChunkTable<'_>) -> String {
    const SHOWN: usize = 8;
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for k in (0..table.chunks()).filter(|&k| !table.is_done(k)) {
        match ranges.last_mut() {
            Some((_, end)) if *end + 1 == k => *end = k,
            _ => ranges.push((k, k)),
        }
    }
    let mut text: Vec<String> = ranges
        .iter()
        .take(SHOWN)
        .map(|&(a, b)| {
            if a == b {
                format!("chunk {a}")
            } else {
                format!("chunks {a}-{b}")
            }
        })
        .collect();
    if ranges.len() > SHOWN {
        text.push(format!("and {} more ranges", ranges.len() - SHOWN));
    }
    if text.is_empty() {
        text.push("none (the done count is behind)".to_owned());
    }
    text.join(", ")
}
