//! Taking part in a job: [`Job::work`] joins as a participant, claims runs of chunks on a pool,
//! computes and publishes each chunk's result exactly once, then helps with the chunks of
//! participants that died (`members.rs` holds the protocol; `table.rs` the chunk states).

use super::kernel::{partial_words, to_words, JobKernel, Registry};
use super::members::{self, Members};
use super::table::Claim;
use super::Job;
use crate::error::Error;
use crate::kernels::ChunkAt;
use crate::sched::CHUNK_LEN;
use crate::sync::atomic::Ordering::Relaxed;
use crate::Pool;

/// Chunks a participant thread reserves at a time (4 MiB of f64): long sequential stretches of
/// the file per process, and one cursor update per run instead of per chunk.
const RUN: usize = 16;

impl Job {
    /// Takes a participant slot ([`Members::join`]).
    fn join(&self) -> Result<u32, Error> {
        let p = Members::join(self, &self.table(), Self::me()).ok_or_else(|| {
            Error::file(
                &self.path,
                format!(
                    "all {} participant slots are held by live processes",
                    self.header.max_participants
                ),
            )
        })?;
        self.renew(p);
        Ok(p)
    }

    /// Computes and publishes claim `c` of participant `p` with `kernel`; `false` (nothing
    /// published) once the data file is found changed since the job was made.
    fn compute<K: JobKernel>(&self, kernel: &K, c: Claim, p: u32) -> bool {
        if !self.chunk_delay.is_zero() {
            std::thread::sleep(self.chunk_delay);
        }
        let at = ChunkAt::new(c.chunk as u32, c.chunk * CHUNK_LEN);
        let words = to_words(&kernel.chunk(at, self.chunk::<K::Elem>(c.chunk)));
        if !self.data_unchanged() {
            return false;
        }
        let table = self.table();
        if table.begin_write(c, p) {
            table.publish(c, p, &words);
        }
        self.renew(p);
        true
    }

    /// Claims and computes chunks on `pool` until every chunk of the job is published, taking
    /// over the chunks of participants that die meanwhile. Returns when the job is complete. The
    /// kernels stream and prefetch as the pool's [`Builder::stream_bytes`] and [`Prefetch`] say
    /// (speed only: every process gets the same bits whatever each one's pool says).
    ///
    /// [`Builder::stream_bytes`]: crate::Builder::stream_bytes
    /// [`Prefetch`]: crate::kernels::Prefetch
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-work-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
    /// # SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// let pool = Pool::builder().threads(2).build()?;
    /// job.work(&pool)?;
    /// let status = job.status();
    /// assert_eq!(status.done, status.chunks); // complete when `work` returns
    /// assert_eq!(job.wait_stats::<f64>(Duration::ZERO)?, pool.stats(&values));
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn work(&self, pool: &Pool) -> Result<(), Error> {
        self.work_with(pool, &Registry::builtin())
    }

    /// [`work`](Job::work) with the kernels of `registry`: the job's kernel (its name and element
    /// type, from the job file) must be registered there, or the job is refused with an error
    /// naming it. See [`JobKernel`] for an example.
    pub fn work_with(&self, pool: &Pool, registry: &Registry) -> Result<(), Error> {
        let name = String::from_utf8_lossy(&self.header.kernel);
        match registry.find(&self.header.kernel, self.header.dtype) {
            Some(work) => work(self, pool),
            None => Err(Error::file(
                &self.path,
                format!(
                    "the job runs the kernel {name:?} over {}, which this participant's registry \
                     does not have (register it with Registry::register)",
                    self.header.dtype
                ),
            )),
        }
    }

    /// `work` with kernel `K` (what the registry's entry for `K` calls).
    pub(crate) fn work_kernel<K: JobKernel>(&self, pool: &Pool) -> Result<(), Error> {
        let words = partial_words::<K::Partial>();
        if words != self.header.partial_words as usize {
            return Err(Error::file(
                &self.path,
                format!(
                    "the kernel {:?} has a partial of {words} words, the job file says {}: \
                     another version of the kernel made the job",
                    K::NAME,
                    self.header.partial_words
                ),
            ));
        }
        let kernel = K::from_params(&self.header.params, self.all::<K::Elem>(), pool)
            .map_err(|e| Error::file(&self.path, format!("kernel {:?}: {e}", K::NAME)))?;
        let p = self.join()?;
        let table = self.table();
        let compute = |c| self.compute(&kernel, c, p);
        pool.broadcast(|_| members::claim_runs(&table, p, RUN, compute));
        // Once the claiming phase has returned, none of this participant's own claims is being
        // computed, so a chunk still claimed under its slot is stale or forged: it is given back
        // like a dead owner's.
        let dead = |o| o == p || self.owner_dead(o);
        if !self.data_changed.load(Relaxed) {
            members::help(&table, p, dead, compute, || self.renew(p));
        }
        self.leave(p, Self::me());
        // The flag was set by this participant's own threads, which `broadcast` joined (or by
        // this thread in `help`): Relaxed sees it.
        if self.data_changed.load(Relaxed) {
            return Err(self.check_data_file().err().unwrap_or_else(|| {
                Error::file(
                    &self.path,
                    "stopped: the data file changed while it was read",
                )
            }));
        }
        let done = table.done_count();
        if u64::from(done) < self.header.chunks {
            return Err(Error::file(
                &self.path,
                format!(
                    "the chunk table is inconsistent: every chunk is marked done but the count \
                     says {done} of {}; the file was written by something other than a participant",
                    self.header.chunks
                ),
            ));
        }
        // The count says complete, but it did not count publications only: chunks are still not
        // done (a forged count makes `help` stop at once). Honestly, a count that reaches the
        // chunk count was incremented after every chunk's `DONE` (Release, read Acquire), so this
        // is never true then; the waiters report the same inconsistency.
        if (0..table.chunks()).any(|k| !table.is_done(k)) {
            return Err(Error::file(
                &self.path,
                format!(
                    "the chunk table is inconsistent: the count says {done} of {} chunks are \
                     done but these are not: {}; the file was written by something other than a \
                     participant",
                    self.header.chunks,
                    super::wait::not_done(&table)
                ),
            ));
        }
        Ok(())
    }
}
