//! Making and joining a job: [`Job::create`] writes a new job file for a data file, [`Job::attach`]
//! maps an existing one after validating its header (`layout.rs`) against the file lengths.

use super::kernel::{builtin_partial_words, partial_words, JobKernel};
use super::layout::{self, DataIdentity, Header, HEADER_LEN};
use super::{Job, JobKind};
use crate::buffer::{npy, DType, Element, ReadOnly};
use crate::error::Error;
use crate::sched::CHUNK_LEN;
use crate::sync::atomic::{AtomicBool, AtomicU64};
use crate::SharedBuffer;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Participant slots of a job made by [`Job::create`].
const DEFAULT_PARTICIPANTS: u32 = 64;

/// What `Job::create` learns about the data file.
struct DataFile {
    dtype: DType,
    offset: u64,
    len: u64,
    file_len: u64,
    identity: DataIdentity,
}

fn inspect_data(path: &Path, dtype: Option<DType>) -> Result<DataFile, Error> {
    let (file, file_len) = crate::buffer::open_regular(path, false)?;
    let meta = file.metadata().map_err(|e| Error::io(path, "stat", &e))?;
    let identity = DataIdentity::of(&meta);
    if npy::is_npy_file(path)? {
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
            identity,
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
        identity,
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
        let words = builtin_partial_words(kind, data.dtype);
        // SAFETY: the caller's contract.
        unsafe { Self::create_named(job_path, data_path, data, kind.name(), Vec::new(), words) }
    }

    /// Creates a job file that runs `kernel` (a [`JobKernel`] of one's own, or a built-in one)
    /// over `data_path`, as [`create`](Job::create) does for the built-in kinds. The data's element
    /// type must be the kernel's; the job file records the kernel's name, its
    /// [`params`](JobKernel::params) and the size of its partial. Participants run it with
    /// [`work_with`](Job::work_with) and a [`Registry`](super::Registry) that has it; the result
    /// comes from [`wait_kernel`](Job::wait_kernel). See [`JobKernel`] for an example.
    ///
    /// # Safety
    ///
    /// As for [`create`](Job::create).
    pub unsafe fn create_kernel<K: JobKernel>(
        job_path: impl AsRef<Path>,
        data_path: impl AsRef<Path>,
        dtype: Option<DType>,
        kernel: &K,
    ) -> Result<Job, Error> {
        let (job_path, data_path) = (job_path.as_ref(), data_path.as_ref());
        let data = inspect_data(data_path, dtype.or(Some(K::Elem::DTYPE)))?;
        if data.dtype != K::Elem::DTYPE {
            return Err(Error::file(
                data_path,
                format!(
                    "holds {} elements; the kernel {:?} reads {}",
                    data.dtype,
                    K::NAME,
                    K::Elem::DTYPE
                ),
            ));
        }
        let name_ok = (1..=layout::NAME_CAP).contains(&K::NAME.len())
            && K::NAME.bytes().all(|b| b.is_ascii_graphic());
        let params = kernel.params();
        let words = partial_words::<K::Partial>();
        if !name_ok
            || params.len() > layout::PARAMS_CAP
            || words > layout::MAX_PARTIAL_WORDS as usize
        {
            return Err(Error::file(
                job_path,
                format!(
                    "the kernel {:?} cannot be recorded in a job file: its name must be 1 to {} \
                     printable ASCII bytes, its parameters at most {} bytes ({} given) and its \
                     partial at most {} bytes ({} given)",
                    K::NAME,
                    layout::NAME_CAP,
                    layout::PARAMS_CAP,
                    params.len(),
                    layout::MAX_PARTIAL_WORDS * 8,
                    std::mem::size_of::<K::Partial>()
                ),
            ));
        }
        // SAFETY: the caller's contract.
        unsafe { Self::create_named(job_path, data_path, data, K::NAME, params, words as u32) }
    }

    /// Writes the job file for kernel `name` and attaches to it.
    ///
    /// # Safety
    ///
    /// As for [`create`](Job::create).
    unsafe fn create_named(
        job_path: &Path,
        data_path: &Path,
        data: DataFile,
        name: &str,
        params: Vec<u8>,
        partial_words: u32,
    ) -> Result<Job, Error> {
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
            kernel: name.as_bytes().to_vec(),
            params,
            partial_words,
            dtype: data.dtype,
            max_participants: DEFAULT_PARTICIPANTS,
            data_len: data.len,
            data_offset: data.offset,
            data_file_len: data.file_len,
            chunks: data.len.div_ceil(CHUNK_LEN as u64),
            identity: data.identity,
            data_path: path_bytes,
        };
        let layout = header
            .layout()
            .ok_or_else(|| Error::file(data_path, "too large for a job"))?;
        // Written under a temporary name and linked into place, so an attacher never sees a
        // half-written header, and an existing job file is never replaced. The temporary file is
        // one this call created (`create_new` on a fresh name), so removing it afterwards can
        // never delete somebody else's file; errors name the job file, the one the caller knows.
        let (tmp, mut f) = create_temporary(job_path)?;
        let written = (|| {
            crate::buffer::allocate(&f, job_path, layout.file_len as u64)?;
            std::io::Write::write_all(&mut f, &header.encode())
                .map_err(|e| Error::io(job_path, "write", &e))?;
            std::fs::hard_link(&tmp, job_path).map_err(|e| Error::io(job_path, "create", &e))
        })();
        drop(f);
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
    /// assert_eq!((again.kind(), again.count()), (Some(JobKind::Stats), 100_000));
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
        let (file, file_len) = crate::buffer::open_regular(path, true)?;
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
        let job = Job {
            path: path.to_owned(),
            header,
            layout,
            map,
            data,
            chunk_delay: Duration::ZERO,
            opened: std::time::Instant::now(),
            data_checked: AtomicU64::new(0),
            data_changed: AtomicBool::new(false),
            lease: Job::DEFAULT_LEASE,
        };
        job.check_data_file()?;
        Ok(job)
    }
}

/// Creates a new file (mode 0600) beside `job_path` under a name nobody else uses, for the job's
/// header to be written before the file is linked into place. A name that exists is never
/// touched: the next one is tried.
fn create_temporary(job_path: &Path) -> Result<(PathBuf, File), Error> {
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    // Distinct names for the calls of one process; the PID and the clock for other processes.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file_name = job_path.file_name().unwrap_or_default().to_string_lossy();
    for _ in 0..100 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            ".{file_name}.tmp-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        );
        let tmp = job_path.with_file_name(name);
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(job_path, "create", &e)),
        }
    }
    Err(Error::file(
        job_path,
        "cannot create: 100 temporary names beside it were all taken",
    ))
}

/// The data file's path as the header records it.
pub(super) fn data_path_of(header: &Header) -> PathBuf {
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
