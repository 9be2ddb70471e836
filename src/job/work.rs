//! Taking part in a job: [`Job::work`] joins as a participant, claims runs of chunks on a pool,
//! computes and publishes each chunk's result exactly once, then helps with the chunks of
//! participants that died (`members.rs` holds the protocol; `table.rs` the chunk states).

use super::members::{self, Members};
use super::table::{Claim, SLOT_WORDS};
use super::{Job, JobKind};
use crate::buffer::DType;
use crate::error::Error;
use crate::kernels::{Float, Int, StatElement, VariantChoice};
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

    /// Computes and publishes claim `c` of participant `p`, with the kernels `choice` picks;
    /// `false` (nothing published) once the data file is found changed since the job was made.
    fn compute(&self, c: Claim, p: u32, choice: VariantChoice) -> bool {
        if !self.chunk_delay.is_zero() {
            std::thread::sleep(self.chunk_delay);
        }
        let words = match self.header.kind {
            JobKind::Stats => dispatch_stats(self, c.chunk, choice),
            JobKind::Sum => dispatch_sum(self, c.chunk, choice),
        };
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
        let p = self.join()?;
        let table = self.table();
        let choice = pool.variant_choice();
        let compute = |c| self.compute(c, p, choice);
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

/// The `Stats` of chunk `k` of the job's data, as result words. The kernels are chosen for the
/// whole job's data and `choice`, as a pool's calls choose them for theirs.
fn dispatch_stats(job: &Job, k: usize, choice: VariantChoice) -> [u64; SLOT_WORDS] {
    fn of<T: StatElement + bytemuck::Pod>(
        job: &Job,
        k: usize,
        s: VariantChoice,
    ) -> [u64; SLOT_WORDS] {
        let kernel = crate::kernels::chunk_stats_for(job.all::<T>(), s);
        bytemuck::cast(kernel(job.chunk::<T>(k)))
    }
    match job.header.dtype {
        DType::F32 => of::<f32>(job, k, choice),
        DType::F64 => of::<f64>(job, k, choice),
        DType::I8 => of::<i8>(job, k, choice),
        DType::I16 => of::<i16>(job, k, choice),
        DType::I32 => of::<i32>(job, k, choice),
        DType::I64 => of::<i64>(job, k, choice),
        DType::U8 => of::<u8>(job, k, choice),
        DType::U16 => of::<u16>(job, k, choice),
        DType::U32 => of::<u32>(job, k, choice),
        DType::U64 => of::<u64>(job, k, choice),
    }
}

/// The sum of chunk `k` of the job's data, as result words: an `f64` for floats, the `i128`/`u128`
/// exact sum for integers; kernels chosen as in [`dispatch_stats`].
fn dispatch_sum(job: &Job, k: usize, choice: VariantChoice) -> [u64; SLOT_WORDS] {
    fn float<T: Float + bytemuck::Pod>(job: &Job, k: usize, s: VariantChoice) -> [u64; SLOT_WORDS] {
        let mut w = [0u64; SLOT_WORDS];
        let kernel = crate::kernels::chunk_sum_for(job.all::<T>(), s);
        w[0] = kernel(job.chunk::<T>(k)).to_bits();
        w
    }
    fn int<T: Int + bytemuck::Pod>(job: &Job, k: usize, s: VariantChoice) -> [u64; SLOT_WORDS] {
        let mut w = [0u64; SLOT_WORDS];
        let kernel = crate::kernels::int_chunk_sum_for(job.all::<T>(), s);
        let wide = kernel(job.chunk::<T>(k));
        bytemuck::cast_slice_mut::<u64, u8>(&mut w[..2]).copy_from_slice(bytemuck::bytes_of(&wide));
        w
    }
    match job.header.dtype {
        DType::F32 => float::<f32>(job, k, choice),
        DType::F64 => float::<f64>(job, k, choice),
        DType::I8 => int::<i8>(job, k, choice),
        DType::I16 => int::<i16>(job, k, choice),
        DType::I32 => int::<i32>(job, k, choice),
        DType::I64 => int::<i64>(job, k, choice),
        DType::U8 => int::<u8>(job, k, choice),
        DType::U16 => int::<u16>(job, k, choice),
        DType::U32 => int::<u32>(job, k, choice),
        DType::U64 => int::<u64>(job, k, choice),
    }
}
