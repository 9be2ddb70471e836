//! Cross-process jobs: several processes compute one reduction over a shared file, coordinated by
//! atomics and process-shared futexes in a small job file, and survive a participant killed
//! mid-job. Protocol notes: [`README.md`](README.md) beside this file and `docs/design.md`.
//!
//! A job file (`layout.rs`) names the data file and holds, as atomics, a chunk table (`table.rs`:
//! unclaimed / claimed by `p` at generation `g` / being written / done), two result slots per
//! chunk, a count of published chunks (the futex word waiters sleep on) and a participants table
//! (PID and start time, `liveness.rs`). Participants claim chunks, compute them with their own
//! pool, publish each result exactly once; a chunk whose owner died is given back with its
//! generation bumped and computed again. The final merge runs over the chunk results in index
//! order in the kernels' fixed tree, so the answer is bit-identical to [`Pool::stats`](crate::Pool::stats) on the same
//! data.
//!
//! # Trust
//!
//! The job file is created with mode 0600. `attach` reads the header with `read(2)` and validates
//! every field against the others and the file lengths (`layout.rs`); everything else in the
//! mapping is touched only through atomics, and every index read from it is bounds-checked, so a
//! process that writes garbage into the mapping can spoil the job's result but cannot make a
//! participant crash, read out of bounds or hang (waits always have a timeout).
//!
//! # Examples
//!
//! ```
//! use shmkern::job::{Job, JobKind};
//! use shmkern::{Pool, SharedBuffer};
//! use std::time::Duration;
//!
//! let dir = std::env::temp_dir().join(format!("shmkern-doc-job-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let data = dir.join("data.npy");
//! let job_path = dir.join("data.job");
//! # let _ = (std::fs::remove_file(&data), std::fs::remove_file(&job_path));
//! let values: Vec<f64> = (0..100_000).map(|i| i as f64).collect();
//! SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
//!
//! // SAFETY: nothing modifies the data file while the job runs.
//! let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
//! let pool = Pool::builder().threads(2).build()?;
//! job.work(&pool)?; // other processes would `Job::attach(&job_path)` and `work` too
//! let stats = job.wait_stats::<f64>(Duration::from_secs(10))?;
//! assert_eq!(stats, pool.stats(&values));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), shmkern::Error>(())
//! ```

#[cfg(any(test, feature = "internals"))]
mod fuzz;
mod kernel;
mod layout;
mod liveness;
// Crate-private here; public (hidden) only in the loom build, for the models (`lib.rs`).
mod members;
mod open;
mod table;
mod wait;
mod work;

/// Fuzzing hook (cargo feature `internals`, for `fuzz/`): runs `work` and the wait on a job whose
/// chunk table and participant slots hold forged words, and checks how they end. Not part of the
/// API.
#[cfg(feature = "internals")]
pub use fuzz::fuzz_chunk_table;
pub use kernel::{JobKernel, Registry};
/// Fuzzing hook (cargo feature `internals`, for `fuzz/`): decodes a job header from untrusted
/// bytes and checks what the decoder promises. Not part of the API.
#[cfg(feature = "internals")]
pub use layout::fuzz_decode_header;
pub use layout::JobKind;
use members::Members;
use open::data_path_of;

use crate::buffer::{DType, ReadOnly};
use crate::error::Error;
use crate::sched::CHUNK_LEN;
use crate::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering, Ordering::Relaxed};
use crate::SharedBuffer;
use layout::{DataIdentity, Header, Layout, PARTICIPANT_BYTES};
use memmap2::MmapRaw;
use std::path::PathBuf;
use std::time::Duration;
use std::time::Instant;
use table::ChunkTable;

use members::POLL;

/// A cross-process job over one data file. See the [module documentation](self).
///
/// # Examples
///
/// ```
/// use shmkern::job::{Job, JobKind};
/// use shmkern::{Pool, SharedBuffer};
/// use std::time::Duration;
///
/// # let dir = std::env::temp_dir().join(format!("shmkern-doc-job-struct-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
/// # let _ = std::fs::remove_file(&job_path);
/// let values: Vec<u32> = (0..100_000).collect();
/// SharedBuffer::<u32>::create_npy(&data, values.len())?.copy_from_slice(&values);
/// // SAFETY: nothing modifies the data file while the job runs.
/// let job = unsafe { Job::create(&job_path, &data, None, JobKind::Sum)? };
/// // SAFETY: as above; a second participant, as another process would attach.
/// let other = unsafe { Job::attach(&job_path)? };
/// let (p1, p2) = (Pool::builder().threads(1).build()?, Pool::builder().threads(1).build()?);
/// std::thread::scope(|s| {
///     s.spawn(|| other.work(&p1).unwrap());
///     job.work(&p2).unwrap();
/// });
/// assert_eq!(job.wait_sum_int::<u32>(Duration::from_secs(10))?, 4_999_950_000);
/// # drop((job, other));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), shmkern::Error>(())
/// ```
pub struct Job {
    path: PathBuf,
    header: Header,
    layout: Layout,
    map: MmapRaw,
    data: SharedBuffer<u8, ReadOnly>,
    chunk_delay: Duration,
    /// When this handle was made: the origin of `data_checked`.
    opened: Instant,
    /// Nanoseconds after `opened` of the last check of the data file's identity by `work` (a
    /// hint shared by this process's threads; Relaxed: the check itself is the syscall).
    data_checked: AtomicU64,
    /// Set when a check found the data file changed: this participant publishes nothing more.
    data_changed: AtomicBool,
    /// After how long without progress another participant's claims are run again.
    lease: Duration,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("path", &self.path)
            .field("dtype", &self.header.dtype)
            .field("chunks", &self.header.chunks)
            .finish()
    }
}

/// Progress of a job, from [`Job::status`].
///
/// # Examples
///
/// ```
/// # use shmkern::job::{Job, JobKind};
/// # use shmkern::{Pool, SharedBuffer};
/// # use std::time::Duration;
/// # let name = format!("shmkern-doc-job-jobstatus-{}", std::process::id());
/// # let dir = std::env::temp_dir().join(name);
/// # std::fs::create_dir_all(&dir).unwrap();
/// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
/// # let _ = std::fs::remove_file(&job_path);
/// let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
/// # SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
/// # // SAFETY: nothing modifies the data file while the job runs.
/// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
/// use shmkern::job::JobStatus;
///
/// // 100 000 elements: 4 chunks of `CHUNK_LEN`.
/// job.work(&Pool::builder().threads(2).build()?)?;
/// // Every chunk published, and the participant has left.
/// assert_eq!(job.status(), JobStatus { chunks: 4, done: 4, live_participants: 0 });
/// # drop(job);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobStatus {
    /// Chunks in the job.
    pub chunks: u64,
    /// Chunks whose result is published.
    pub done: u64,
    /// Participant slots held by live processes.
    pub live_participants: u32,
}

impl Job {
    /// Participants a job can have at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::job::Job;
    /// use shmkern::sched::WorkRanges;
    ///
    /// assert_eq!(Job::MAX_PARTICIPANTS, 1024);
    /// // Numerically the same limit as a pool's participants.
    /// assert_eq!(Job::MAX_PARTICIPANTS as usize, WorkRanges::MAX_PARTICIPANTS);
    /// ```
    pub const MAX_PARTICIPANTS: u32 = layout::MAX_PARTICIPANTS;

    /// The data's element type.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-dtype-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values = vec![1.0f32; 1000];
    /// # SharedBuffer::<f32>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// use shmkern::buffer::DType;
    ///
    /// // The job was made from a `.npy` file of f32: its header told the type.
    /// assert_eq!(job.dtype(), DType::F32);
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn dtype(&self) -> DType {
        self.header.dtype
    }

    /// The built-in kind the job computes; `None` for a kernel of its own
    /// ([`kernel_name`](Job::kernel_name) names it).
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-kind-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values = vec![1.0f32; 1000];
    /// # SharedBuffer::<f32>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Sum)? };
    /// assert_eq!((job.kind(), job.kernel_name()), (Some(JobKind::Sum), "sum"));
    /// // Asking a sum job for statistics is an error that says what the job computes.
    /// let err = job.wait_stats::<f32>(Duration::ZERO).unwrap_err();
    /// assert!(err.to_string().contains("computes sum over f32, not stats over f32"), "{err}");
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn kind(&self) -> Option<JobKind> {
        JobKind::from_name(&self.header.kernel)
    }

    /// The name of the kernel the job runs ([`JobKernel::NAME`]; `"stats"` and `"sum"` for the
    /// built-in kinds).
    pub fn kernel_name(&self) -> &str {
        // The header's name was checked to be printable ASCII.
        std::str::from_utf8(&self.header.kernel).unwrap_or("?")
    }

    /// Elements in the job's data.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-count-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
    /// # SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// assert_eq!(job.count(), values.len() as u64);
    /// assert_eq!(job.status().chunks, 4); // ceil(100 000 / CHUNK_LEN)
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn count(&self) -> u64 {
        self.header.data_len
    }

    /// The data file the job reads.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-data-path-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
    /// # SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// // The job file records the data file's absolute path.
    /// assert_eq!(job.data_path(), std::fs::canonicalize(&data).unwrap());
    /// assert!(job.data_path().is_absolute());
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn data_path(&self) -> PathBuf {
        data_path_of(&self.header)
    }

    /// Test hook: every chunk takes at least `delay` more (so a test can kill a participant
    /// mid-job).
    #[cfg(feature = "internals")]
    pub fn set_chunk_delay(&mut self, delay: Duration) {
        self.chunk_delay = delay;
    }

    /// Where the job stands.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-status-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
    /// # SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// let before = job.status();
    /// assert_eq!((before.chunks, before.done, before.live_participants), (4, 0, 0));
    /// job.work(&Pool::builder().threads(1).build()?)?;
    /// assert_eq!(job.status().done, 4);
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn status(&self) -> JobStatus {
        let live = (0..self.header.max_participants)
            .filter(|&i| {
                let w = self.participant(i).load(Ordering::Acquire);
                w != 0 && Self::slot_alive(w)
            })
            .count() as u32;
        JobStatus {
            chunks: self.header.chunks,
            done: u64::from(self.table().done_count()).min(self.header.chunks),
            live_participants: live,
        }
    }

    /// `n` atomics of type `A` at byte `offset` of the job mapping.
    fn atomics<A: SharedAtomic>(&self, offset: usize, n: usize) -> &[A] {
        let bytes = n * std::mem::size_of::<A>();
        assert!(
            offset + bytes <= self.map.len() && offset.is_multiple_of(std::mem::align_of::<A>())
        );
        // Every process touches these words only through atomics (the job protocol), so no
        // non-atomic access races with ours; the layout was validated against the file's length.
        // SAFETY: in bounds of the live mapping and aligned (checked above; page-aligned base);
        // `A` is an atomic integer, laid out as its integer, valid for any bits; lives as `&self`.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(offset).cast::<A>(), n) }
    }

    fn table(&self) -> ChunkTable<'_> {
        let chunks = self.header.chunks as usize;
        let words = self.header.partial_words as usize;
        ChunkTable {
            states: self.atomics::<AtomicU64>(self.layout.states, chunks),
            results: self.atomics::<AtomicU64>(self.layout.results, chunks * 2 * words),
            done: &self.atomics::<AtomicU32>(self.layout.done, 1)[0],
            cursor: &self.atomics::<AtomicU64>(self.layout.cursor, 1)[0],
            slot_words: words,
        }
    }

    /// Participant slot `i`'s word: `pid | start_time << 32` (0: free).
    fn participant(&self, i: u32) -> &AtomicU64 {
        let offset = self.layout.participants + i as usize * PARTICIPANT_BYTES;
        &self.atomics::<AtomicU64>(offset, 1)[0]
    }

    /// Participant slot `i`'s lease: when it last showed progress ([`liveness::monotonic_ms`]).
    fn lease_word(&self, i: u32) -> &AtomicU64 {
        let offset = self.layout.participants + i as usize * PARTICIPANT_BYTES + 8;
        &self.atomics::<AtomicU64>(offset, 1)[0]
    }

    /// Renews participant `p`'s lease. Relaxed: the lease is a verdict on time alone; what keeps
    /// the result right when the verdict is wrong is the chunk table's generation check.
    pub(super) fn renew(&self, p: u32) {
        self.lease_word(p).store(liveness::monotonic_ms(), Relaxed);
    }

    /// The default lease of [`set_lease`](Job::set_lease).
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);

    /// Sets how long another participant may go without progress before this participant runs
    /// its claimed chunks again (default [`DEFAULT_LEASE`](Job::DEFAULT_LEASE)). A participant
    /// renews its lease with every chunk it publishes and while it waits, so only one that is
    /// stopped (SIGSTOP), stuck, or slower than the lease per chunk loses its claims — and then
    /// only the time: the first publication of a chunk wins, a late one is refused by the chunk's
    /// generation, and the result's bits are the same either way. A lease shorter than a chunk's
    /// compute time makes participants redo each other's work; zero is treated as one millisecond.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-lease-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// # SharedBuffer::<f64>::create_npy(&data, 1000)?;
    /// // SAFETY: nothing modifies the data file while the job runs.
    /// let mut job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// assert_eq!(job.lease(), Job::DEFAULT_LEASE);
    /// job.set_lease(Duration::from_secs(2));
    /// job.work(&Pool::builder().threads(1).build()?)?;
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn set_lease(&mut self, lease: Duration) {
        self.lease = lease.max(Duration::from_millis(1));
    }

    /// This participant's lease length ([`set_lease`](Job::set_lease)).
    pub fn lease(&self) -> Duration {
        self.lease
    }

    fn me() -> u64 {
        let pid = std::process::id();
        let start = liveness::start_time(pid).unwrap_or(1) as u32;
        u64::from(pid) | (u64::from(start.max(1)) << 32)
    }

    fn slot_alive(word: u64) -> bool {
        let (pid, start) = (word as u32, (word >> 32) as u32);
        match liveness::start_time(pid) {
            None => false,
            Some(now) => start == 0 || (now as u32).max(1) == start,
        }
    }

    /// Checks that the data file this handle mapped is still the one the job was made for (same
    /// file system, inode, length and modification time): an error naming the file otherwise.
    pub(super) fn check_data_file(&self) -> Result<(), Error> {
        let data_path = self.data_path();
        let file = self.data.file().ok_or_else(|| {
            Error::file(&data_path, "has no descriptor to check (not a mapped file)")
        })?;
        let meta = file
            .metadata()
            .map_err(|e| Error::io(&data_path, "stat", &e))?;
        self.compare_data(&data_path, &meta)
    }

    /// [`check_data_file`](Self::check_data_file), and the same for the file the data path names
    /// now (another file may have been renamed over it since this handle mapped it).
    pub(super) fn check_data_path(&self) -> Result<(), Error> {
        self.check_data_file()?;
        let data_path = self.data_path();
        let meta = std::fs::metadata(&data_path).map_err(|e| Error::io(&data_path, "stat", &e))?;
        self.compare_data(&data_path, &meta)
    }

    fn compare_data(
        &self,
        data_path: &std::path::Path,
        meta: &std::fs::Metadata,
    ) -> Result<(), Error> {
        let how = if meta.len() != self.header.data_file_len {
            Some("its length changed")
        } else {
            self.header.identity.differs(&DataIdentity::of(meta))
        };
        match how {
            None => Ok(()),
            Some(how) => Err(Error::file(
                data_path,
                format!(
                    "changed since the job {} was made for it: {how}; the job's result would \
                     not be this file's",
                    self.path.display()
                ),
            )),
        }
    }

    /// Whether the data file is unchanged, as far as `work` can tell before publishing a chunk:
    /// checked at most once a millisecond (an `fstat` per chunk would cost a few per cent of a
    /// chunk's time), and `false` for good once a check failed.
    pub(super) fn data_unchanged(&self) -> bool {
        if self.data_changed.load(Relaxed) {
            return false;
        }
        let now = self.opened.elapsed().as_nanos() as u64;
        let last = self.data_checked.load(Relaxed);
        if now.saturating_sub(last) < 1_000_000 {
            return true;
        }
        self.data_checked.store(now, Relaxed);
        if self.check_data_file().is_err() {
            self.data_changed.store(true, Relaxed);
            return false;
        }
        true
    }

    /// The job's data as `T`s.
    fn all<T: bytemuck::Pod>(&self) -> &[T] {
        let size = std::mem::size_of::<T>();
        let base = self.header.data_offset as usize;
        let len = self.header.data_len as usize;
        // In range and aligned: the header was validated against the data file's length and
        // `T`'s alignment, and the data file's length checked again when it was mapped.
        bytemuck::cast_slice(&self.data[base..base + len * size])
    }

    /// The data of chunk `k` as `T`s.
    fn chunk<T: bytemuck::Pod>(&self, k: usize) -> &[T] {
        let all = self.all::<T>();
        &all[k * CHUNK_LEN..((k + 1) * CHUNK_LEN).min(all.len())]
    }
}

/// The atomic integer types the job mapping holds (so `atomics` cannot be asked for another type).
trait SharedAtomic {}
impl SharedAtomic for AtomicU32 {}
impl SharedAtomic for AtomicU64 {}

/// A job's participant slots live in its shared header; a slot word's process is alive while
/// `/proc` has a process of that PID and start time (`liveness.rs`).
impl Members for Job {
    fn count(&self) -> u32 {
        self.header.max_participants
    }
    fn slot(&self, i: u32) -> &AtomicU64 {
        self.participant(i)
    }
    fn alive(&self, word: u64) -> bool {
        Self::slot_alive(word)
    }
    fn expired(&self, i: u32) -> bool {
        // Relaxed: see `renew`. A lease word never written (0) or from the future (forged)
        // counts as expired.
        let renewed = self.lease_word(i).load(Relaxed);
        let now = liveness::monotonic_ms();
        renewed == 0 || renewed > now || now - renewed > self.lease.as_millis() as u64
    }
}
