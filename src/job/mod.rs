//! Cross-process jobs: several processes compute one reduction over a shared file, coordinated by
//! atomics and process-shared futexes in a small job file, and survive a participant killed
//! mid-job.
//!
//! A job file (`layout.rs`) names the data file and holds, as atomics, a chunk table (`table.rs`:
//! unclaimed / claimed by `p` at generation `g` / being written / done), two result slots per
//! chunk, a count of published chunks (the futex word waiters sleep on) and a participants table
//! (PID and start time, `liveness.rs`). Participants claim chunks, compute them with their own
//! pool, publish each result exactly once; a chunk whose owner died is given back with its
//! generation bumped and computed again. The final merge runs over the chunk results in index
//! order in the kernels' fixed tree, so the answer is bit-identical to [`Pool::stats`] on the same
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

mod layout;
mod liveness;
// Crate-private here; public (hidden) only in the loom build, for the models (`lib.rs`).
mod members;
#[doc(hidden)]
pub mod table;

pub use layout::fuzz_decode_header;
pub use layout::{JobKind, MAX_PARTICIPANTS};
use members::Members;

use crate::buffer::{npy, DType, ReadOnly};
use crate::error::Error;
use crate::kernels::{Float, Int, StatElement, Stats, Streaming};
use crate::sched::CHUNK_LEN;
use crate::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use crate::{futex, Pool, SharedBuffer};
use layout::{Header, Layout, HEADER_LEN, PARTICIPANT_BYTES};
use memmap2::MmapRaw;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use table::{ChunkTable, Claim, SLOT_WORDS};

/// How long a waiter sleeps before it looks again at the participants' liveness.
const POLL: Duration = Duration::from_millis(50);
/// Chunks a participant thread reserves at a time (4 MiB of f64): long sequential stretches of
/// the file per process, and one cursor update per run instead of per chunk.
const RUN: usize = 16;
/// Participant slots of a job made by [`Job::create`].
const DEFAULT_PARTICIPANTS: u32 = 64;

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

/// What `Job::create` learns about the data file.
struct DataFile {
    dtype: DType,
    offset: u64,
    len: u64,
    file_len: u64,
}

fn inspect_data(path: &Path, dtype: Option<DType>) -> Result<DataFile, Error> {
    let file_len = crate::buffer::regular_file_len(path)?;
    let mut magic = [0u8; 6];
    let is_npy = File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| npy::has_magic(&magic));
    if is_npy {
        let h = npy::read_header(path)?;
        if let Some(t) = dtype.filter(|&t| t != h.dtype) {
            return Err(Error::file(
                path,
                format!("holds {}, not {t} as asked", h.dtype),
            ));
        }
        return Ok(DataFile {
            dtype: h.dtype,
            offset: h.data_offset,
            len: h.count(),
            file_len,
        });
    }
    let dtype = dtype.ok_or_else(|| Error::file(path, "a raw data file needs its element type"))?;
    if file_len % dtype.size() as u64 != 0 {
        return Err(Error::file(
            path,
            format!(
                "its length, {file_len} bytes, is not a multiple of {}",
                dtype.size()
            ),
        ));
    }
    Ok(DataFile {
        dtype,
        offset: 0,
        len: file_len / dtype.size() as u64,
        file_len,
    })
}

impl Job {
    /// Creates the job file at `job_path` (mode 0600; fails if it exists) for `data_path` (a
    /// `.npy` file, or a raw file of `dtype`), and attaches to it.
    ///
    /// # Safety
    ///
    /// As for [`SharedBuffer::open`]: the data file must not be modified or truncated while any
    /// participant works on the job.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{buffer::DType, job::{Job, JobKind}};
    ///
    /// # let name = format!("shmkern-doc-job-create-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let (data, job_path) = (dir.join("data.f64"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let bytes: Vec<u8> = [1.0f64, 2.0, 3.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    /// std::fs::write(&data, bytes).unwrap(); // raw: no header to tell the type
    /// // SAFETY: nothing modifies the data file while the job exists.
    /// let err = unsafe { Job::create(&job_path, &data, None, JobKind::Sum) }.unwrap_err();
    /// assert!(err.to_string().ends_with("a raw data file needs its element type"), "{err}");
    /// // SAFETY: as above.
    /// let job = unsafe { Job::create(&job_path, &data, Some(DType::F64), JobKind::Sum)? };
    /// assert_eq!((job.dtype(), job.count()), (DType::F64, 3));
    /// // SAFETY: as above.
    /// assert!(unsafe { Job::create(&job_path, &data, Some(DType::F64), JobKind::Sum) }.is_err());
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub unsafe fn create(
        job_path: impl AsRef<Path>,
        data_path: impl AsRef<Path>,
        dtype: Option<DType>,
        kind: JobKind,
    ) -> Result<Job, Error> {
        let (job_path, data_path) = (job_path.as_ref(), data_path.as_ref());
        let data = inspect_data(data_path, dtype)?;
        let abs =
            std::fs::canonicalize(data_path).map_err(|e| Error::io(data_path, "resolve", &e))?;
        let path_bytes = abs.as_os_str().as_encoded_bytes().to_vec();
        if path_bytes.len() > layout::PATH_CAP {
            return Err(Error::file(
                data_path,
                "its absolute path is too long for a job file",
            ));
        }
        let header = Header {
            kind,
            dtype: data.dtype,
            max_participants: DEFAULT_PARTICIPANTS,
            data_len: data.len,
            data_offset: data.offset,
            data_file_len: data.file_len,
            chunks: data.len.div_ceil(CHUNK_LEN as u64),
            data_path: path_bytes,
        };
        let layout = header
            .layout()
            .ok_or_else(|| Error::file(data_path, "too large for a job"))?;
        // Written under a temporary name and linked into place, so an attacher never sees a
        // half-written header, and an existing job file is never replaced.
        let tmp = job_path.with_extension(format!("tmp-{}", std::process::id()));
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let written = (|| {
            let mut f = opts.open(&tmp).map_err(|e| Error::io(&tmp, "create", &e))?;
            f.set_len(layout.file_len as u64)
                .map_err(|e| Error::io(&tmp, "size", &e))?;
            std::io::Write::write_all(&mut f, &header.encode())
                .map_err(|e| Error::io(&tmp, "write", &e))?;
            std::fs::hard_link(&tmp, job_path).map_err(|e| Error::io(job_path, "create", &e))
        })();
        let _ = std::fs::remove_file(&tmp);
        written?;
        // SAFETY: the caller's contract covers the data file.
        unsafe { Job::attach(job_path) }
    }

    /// Attaches to the job file at `path`, validating everything in it (see the module's "Trust").
    ///
    /// # Safety
    ///
    /// As for [`Job::create`]: the job's data file must not be modified while the job runs.
    ///
    /// # Examples
    ///
    /// ```
    /// # use shmkern::job::{Job, JobKind};
    /// # use shmkern::{Pool, SharedBuffer};
    /// # use std::time::Duration;
    /// # let name = format!("shmkern-doc-job-attach-{}", std::process::id());
    /// # let dir = std::env::temp_dir().join(name);
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let (data, job_path) = (dir.join("data.npy"), dir.join("data.job"));
    /// # let _ = std::fs::remove_file(&job_path);
    /// let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
    /// # SharedBuffer::<f64>::create_npy(&data, values.len())?.copy_from_slice(&values);
    /// # // SAFETY: nothing modifies the data file while the job runs.
    /// # let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats)? };
    /// // SAFETY: nothing modifies the data file while the job runs.
    /// let again = unsafe { Job::attach(&job_path)? };
    /// assert_eq!((again.kind(), again.count()), (JobKind::Stats, 100_000));
    /// assert_eq!(again.data_path(), job.data_path());
    /// // A file that is not a valid job is refused, not trusted.
    /// let bad = dir.join("bad.job");
    /// std::fs::write(&bad, b"not a job").unwrap();
    /// // SAFETY: as above.
    /// assert!(unsafe { Job::attach(&bad) }.is_err());
    /// # drop(again);
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub unsafe fn attach(path: impl AsRef<Path>) -> Result<Job, Error> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, "open", &e))?;
        let file_len = file
            .metadata()
            .map_err(|e| Error::io(path, "stat", &e))?
            .len();
        let mut head = Vec::with_capacity(HEADER_LEN);
        (&file)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut head)
            .map_err(|e| Error::io(path, "read", &e))?;
        let header = Header::decode(&head, file_len).map_err(|p| Error::file(path, p))?;
        let layout = header
            .layout()
            .ok_or_else(|| Error::file(path, "the job's regions overflow"))?;
        let map = memmap2::MmapOptions::new()
            .len(layout.file_len)
            .map_raw(&file)
            .map_err(|e| Error::io(path, "map", &e))?;
        let data_path = data_path_of(&header);
        // SAFETY: the caller's contract covers the data file.
        let data = unsafe { SharedBuffer::<u8, ReadOnly>::open(&data_path) }?;
        if data.len() as u64 != header.data_file_len {
            return Err(Error::file(
                &data_path,
                format!(
                    "is {} bytes, but the job {} was made for {} bytes",
                    data.len(),
                    path.display(),
                    header.data_file_len
                ),
            ));
        }
        Ok(Job {
            path: path.to_owned(),
            header,
            layout,
            map,
            data,
            chunk_delay: Duration::ZERO,
        })
    }

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

    /// What the job computes.
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
    /// assert_eq!(job.kind(), JobKind::Sum);
    /// // Asking a sum job for statistics is an error that says what the job computes.
    /// let err = job.wait_stats::<f32>(Duration::ZERO).unwrap_err();
    /// assert!(err.to_string().contains("computes Sum over f32, not Stats over f32"), "{err}");
    /// # drop(job);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn kind(&self) -> JobKind {
        self.header.kind
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
    #[doc(hidden)]
    pub fn set_chunk_delay(&mut self, delay: Duration) {
        self.chunk_delay = delay;
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
        ChunkTable {
            states: self.atomics::<AtomicU64>(self.layout.states, chunks),
            results: self.atomics::<AtomicU64>(self.layout.results, chunks * 2 * SLOT_WORDS),
            done: &self.atomics::<AtomicU32>(self.layout.done, 1)[0],
            cursor: &self.atomics::<AtomicU64>(self.layout.cursor, 1)[0],
        }
    }

    /// Participant slot `i`'s word: `pid | start_time << 32` (0: free).
    fn participant(&self, i: u32) -> &AtomicU64 {
        let offset = self.layout.participants + i as usize * PARTICIPANT_BYTES;
        &self.atomics::<AtomicU64>(offset, 1)[0]
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

    /// Takes a participant slot ([`Members::join`]).
    fn join(&self) -> Result<u32, Error> {
        Members::join(self, &self.table(), Self::me()).ok_or_else(|| {
            Error::file(
                &self.path,
                format!(
                    "all {} participant slots are held by live processes",
                    self.header.max_participants
                ),
            )
        })
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

    /// Computes and publishes claim `c` of participant `p`, with the kernels `streaming` picks.
    fn compute(&self, c: Claim, p: u32, streaming: Streaming) {
        if !self.chunk_delay.is_zero() {
            std::thread::sleep(self.chunk_delay);
        }
        let words = match self.header.kind {
            JobKind::Stats => dispatch_stats(self, c.chunk, streaming),
            JobKind::Sum => dispatch_sum(self, c.chunk, streaming),
        };
        let table = self.table();
        if table.begin_write(c, p) {
            table.publish(c, p, &words);
        }
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
        let streaming = pool.streaming();
        let compute = |c| self.compute(c, p, streaming);
        pool.broadcast(|_| members::claim_runs(&table, p, RUN, compute));
        // Woken, timed out or interrupted: the loop looks at everything again either way.
        let wait = |seen| {
            futex::wait(table.done, seen, Some(POLL));
        };
        members::help(&table, p, |o| self.owner_dead(o), compute, wait);
        self.leave(p, Self::me());
        Ok(())
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

    /// Waits up to `timeout` for every chunk, then merges the results in chunk-index order in the
    /// kernels' tree: the same bits as [`Pool::stats`] over the data. The job must be a
    /// [`JobKind::Stats`] job and `T` the data's type.
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
        self.expect(JobKind::Stats, T::DTYPE)?;
        let parts = self.wait_parts(timeout, bytemuck::cast::<[u64; SLOT_WORDS], Stats<T>>)?;
        Ok(merge_in_tree(parts, Stats::empty(), Stats::merge))
    }

    /// [`wait_stats`](Job::wait_stats) for a [`JobKind::Sum`] job over floats: the same bits as
    /// [`Pool::sum_float`] over the data.
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
        self.expect(JobKind::Sum, T::DTYPE)?;
        let parts = self.wait_parts(timeout, |w| f64::from_bits(w[0]))?;
        let s = merge_in_tree(parts, 0.0, |a, b| a + b);
        // NaN canonical, as `sum_float` makes it.
        Ok(if s.is_nan() { f64::NAN } else { s })
    }

    /// [`wait_stats`](Job::wait_stats) for a [`JobKind::Sum`] job over integers: the exact sum, as
    /// [`Pool::sum_int`] gives it.
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
        self.expect(JobKind::Sum, T::DTYPE)?;
        let parts = self.wait_parts(timeout, |w| {
            bytemuck::pod_read_unaligned(bytemuck::cast_slice(&w[..2]))
        })?;
        Ok(merge_in_tree(parts, T::Wide::default(), |a, b| a + b))
    }

    /// An error unless the job computes `kind` over `dtype`.
    fn expect(&self, kind: JobKind, dtype: DType) -> Result<(), Error> {
        if self.header.kind != kind || self.header.dtype != dtype {
            return Err(Error::file(
                &self.path,
                format!(
                    "the job computes {:?} over {}, not {kind:?} over {dtype}",
                    self.header.kind, self.header.dtype
                ),
            ));
        }
        Ok(())
    }

    /// Waits up to `timeout` until every chunk is published, then decodes the chunk results in
    /// index order.
    fn wait_parts<R>(
        &self,
        timeout: Duration,
        decode: impl Fn([u64; SLOT_WORDS]) -> R,
    ) -> Result<Vec<Option<R>>, Error> {
        let deadline = Instant::now() + timeout;
        let table = self.table();
        loop {
            let seen = table.done_count();
            if u64::from(seen) >= self.header.chunks {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                let s = self.status();
                return Err(Error::file(
                    &self.path,
                    format!(
                        "timed out after {:.1} s with {} of {} chunks done and {} live \
                         participants",
                        timeout.as_secs_f64(),
                        s.done,
                        s.chunks,
                        s.live_participants
                    ),
                ));
            }
            futex::wait(table.done, seen, Some(POLL.min(deadline - now)));
        }
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
                Ok(Some(decode(words)))
            })
            .collect()
    }
}

/// The chunk results merged in the kernels' fixed tree (what `Pool::reduce_with` does), or `empty`
/// for no chunks.
fn merge_in_tree<R>(mut parts: Vec<Option<R>>, empty: R, merge: impl Fn(R, R) -> R) -> R {
    if parts.is_empty() {
        return empty;
    }
    crate::pool::tree_merge(&mut parts, &merge)
}

/// The atomic integer types the job mapping holds (so `atomics` cannot be asked for another type).
trait SharedAtomic {}
impl SharedAtomic for AtomicU32 {}
impl SharedAtomic for AtomicU64 {}

fn data_path_of(header: &Header) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(&header.data_path))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&header.data_path).into_owned())
    }
}

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
}

/// The `Stats` of chunk `k` of the job's data, as result words. The kernels are chosen for the
/// whole job's data and `streaming`, as a pool's calls choose them for theirs.
fn dispatch_stats(job: &Job, k: usize, streaming: Streaming) -> [u64; SLOT_WORDS] {
    fn of<T: StatElement + bytemuck::Pod>(job: &Job, k: usize, s: Streaming) -> [u64; SLOT_WORDS] {
        let kernel = crate::kernels::chunk_stats_for(job.all::<T>(), s);
        bytemuck::cast(kernel(job.chunk::<T>(k)))
    }
    match job.header.dtype {
        DType::F32 => of::<f32>(job, k, streaming),
        DType::F64 => of::<f64>(job, k, streaming),
        DType::I8 => of::<i8>(job, k, streaming),
        DType::I16 => of::<i16>(job, k, streaming),
        DType::I32 => of::<i32>(job, k, streaming),
        DType::I64 => of::<i64>(job, k, streaming),
        DType::U8 => of::<u8>(job, k, streaming),
        DType::U16 => of::<u16>(job, k, streaming),
        DType::U32 => of::<u32>(job, k, streaming),
        DType::U64 => of::<u64>(job, k, streaming),
    }
}

/// The sum of chunk `k` of the job's data, as result words: an `f64` for floats, the `i128`/`u128`
/// exact sum for integers; kernels chosen as in [`dispatch_stats`].
fn dispatch_sum(job: &Job, k: usize, streaming: Streaming) -> [u64; SLOT_WORDS] {
    fn float<T: Float + bytemuck::Pod>(job: &Job, k: usize, s: Streaming) -> [u64; SLOT_WORDS] {
        let mut w = [0u64; SLOT_WORDS];
        let kernel = crate::kernels::chunk_sum_for(job.all::<T>(), s);
        w[0] = kernel(job.chunk::<T>(k)).to_bits();
        w
    }
    fn int<T: Int + bytemuck::Pod>(job: &Job, k: usize, s: Streaming) -> [u64; SLOT_WORDS] {
        let mut w = [0u64; SLOT_WORDS];
        let kernel = crate::kernels::int_chunk_sum_for(job.all::<T>(), s);
        let wide = kernel(job.chunk::<T>(k));
        bytemuck::cast_slice_mut::<u64, u8>(&mut w[..2]).copy_from_slice(bytemuck::bytes_of(&wide));
        w
    }
    match job.header.dtype {
        DType::F32 => float::<f32>(job, k, streaming),
        DType::F64 => float::<f64>(job, k, streaming),
        DType::I8 => int::<i8>(job, k, streaming),
        DType::I16 => int::<i16>(job, k, streaming),
        DType::I32 => int::<i32>(job, k, streaming),
        DType::I64 => int::<i64>(job, k, streaming),
        DType::U8 => int::<u8>(job, k, streaming),
        DType::U16 => int::<u16>(job, k, streaming),
        DType::U32 => int::<u32>(job, k, streaming),
        DType::U64 => int::<u64>(job, k, streaming),
    }
}
