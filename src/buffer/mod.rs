//! [`SharedBuffer`]: typed, memory-mapped buffers that several threads and several processes can
//! use at once — shmkern's `SharedArrayBuffer`.
//!
//! | constructor | memory | access | `unsafe`? |
//! |---|---|---|---|
//! | [`anonymous`](SharedBuffer::anonymous) | a sealed memfd (Linux), shareable with children | read-write | no |
//! | [`create`](SharedBuffer::create) / [`create_npy`](SharedBuffer::create_npy) | a new file, mode 0600 | read-write | no |
//! | [`open`](SharedBuffer::open) / [`open_npy`](SharedBuffer::open_npy) | an existing file | read-only | yes |
//! | [`open_mut`](SharedBuffer::open_mut) / [`from_file`](SharedBuffer::from_file) | an existing file | read-write | yes |
//!
//! **Why some constructors are `unsafe`.** A view `&[T]` promises that nothing changes the
//! elements while it lives, and a mapping of a file can be changed, or truncated, by any process
//! that can open the file. memmap2 marks every file map `unsafe` for that reason and we follow it
//! for files that existed before we mapped them: the caller promises that no one else writes or
//! truncates them while the buffer lives (except through atomics, see below). `anonymous` and
//! `create` are safe: their memory is new, reachable only through a descriptor we hold or a file we
//! created with `O_EXCL` and mode 0600; anyone who hands it to another process does so through an
//! `unsafe` constructor on the other side ([`from_file`](SharedBuffer::from_file)) and takes on the
//! same promise there. `docs/guarantees.md` says this in user terms.
//!
//! **Atomics, and other processes.** A `SharedBuffer` hands out plain `&[T]`, which must not
//! race with writes. For memory that several threads or processes write at once, convert a
//! read-write buffer of `u32` or `u64` with [`into_atomic`](SharedBuffer::<u32>::into_atomic): the
//! [`AtomicBuffer`] it returns derefs to `[AtomicU32]` or `[AtomicU64]` only (futex words for
//! [`sync::futex`](crate::sync::futex)), so safe code cannot mix plain and atomic accesses; the
//! conversion consumes the buffer, and [`into_inner`](AtomicBuffer::into_inner) converts back. To
//! hand a buffer to a child process, [`share_fd`](SharedBuffer::share_fd) duplicates its
//! descriptor so that the child inherits it, and the child attaches with
//! [`from_file`](SharedBuffer::from_file) — `unsafe` there, as the table says.
//!
//! Mappings start on a page boundary, so every `T` is aligned; the data of a `.npy` file starts at
//! a multiple of 64 bytes (NumPy pads its header so), and a file whose data is not aligned for `T`
//! is an error rather than a misaligned view. A length of zero maps nothing (the OS cannot map zero
//! bytes) and gives an empty buffer.

mod anon;
mod atomic;
mod dtype;
mod hint;
pub mod npy;

pub use atomic::{AtomicBuffer, AtomicWord};
pub use dtype::{DType, Element, ParseDTypeError};
pub use hint::Hint;

use crate::error::Error;
use bytemuck::Pod;
use memmap2::{MmapOptions, MmapRaw};
use npy::NpyHeader;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::ptr::NonNull;

mod sealed {
    pub trait Sealed {}
}

/// How a [`SharedBuffer`] may be used: [`ReadOnly`] or [`ReadWrite`].
///
/// # Examples
///
/// ```
/// use shmkern::buffer::{Access, ReadOnly, ReadWrite};
///
/// assert!(ReadWrite::WRITABLE && !ReadOnly::WRITABLE);
/// let buf = shmkern::SharedBuffer::<u8>::anonymous(1)?; // `ReadWrite` by default
/// assert!(format!("{buf:?}").contains("writable: true"));
/// # Ok::<(), shmkern::Error>(())
/// ```
pub trait Access: sealed::Sealed {
    /// Whether the mapping is writable.
    const WRITABLE: bool;
}

/// A read-only mapping: `Deref<Target = [T]>` only.
///
/// # Examples
///
/// ```
/// use shmkern::{buffer::ReadOnly, SharedBuffer};
///
/// let path = std::env::temp_dir().join(format!("shmkern-doc-ro-{}.u32", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// SharedBuffer::<u32>::create(&path, 2)?.copy_from_slice(&[7, 8]);
/// // SAFETY: nothing else writes or truncates the file while it is mapped.
/// let ro: SharedBuffer<u32, ReadOnly> = unsafe { SharedBuffer::open(&path)? };
/// assert_eq!(&ro[..], &[7, 8]);
/// # drop(ro);
/// # std::fs::remove_file(&path).unwrap();
/// # Ok::<(), shmkern::Error>(())
/// ```
///
/// A read-only buffer cannot be written through:
///
/// ```compile_fail,E0596
/// # fn f(mut ro: shmkern::SharedBuffer<u32, shmkern::buffer::ReadOnly>) {
/// ro[0] = 1; // error: `SharedBuffer<u32, ReadOnly>` is not `DerefMut`
/// # }
/// ```
#[derive(Debug)]
pub enum ReadOnly {}
/// A read-write mapping: `Deref` and `DerefMut`.
///
/// # Examples
///
/// ```
/// use shmkern::{buffer::ReadWrite, SharedBuffer};
///
/// let mut buf: SharedBuffer<i32, ReadWrite> = SharedBuffer::anonymous(3)?;
/// buf[1] = -5; // `DerefMut<Target = [i32]>`
/// buf.iter_mut().for_each(|x| *x += 1);
/// assert_eq!(&buf[..], &[1, -4, 1]);
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Debug)]
pub enum ReadWrite {}

impl sealed::Sealed for ReadOnly {}
impl sealed::Sealed for ReadWrite {}
impl Access for ReadOnly {
    const WRITABLE: bool = false;
}
impl Access for ReadWrite {
    const WRITABLE: bool = true;
}

/// A memory-mapped array of `T`: anonymous shared memory or a file, viewed as `[T]`.
///
/// `A` says whether it is writable ([`ReadWrite`], the default) or not ([`ReadOnly`]). See the
/// [module documentation](self) for the constructors and why some are `unsafe`.
///
/// # Examples
///
/// ```
/// use shmkern::SharedBuffer;
///
/// let mut buf = SharedBuffer::<f64>::anonymous(100_000)?;
/// for (i, x) in buf.iter_mut().enumerate() {
///     *x = i as f64;
/// }
/// let s = shmkern::stats(&buf);
/// assert_eq!((s.count(), s.max()), (100_000, Some(99_999.0)));
/// # Ok::<(), shmkern::Error>(())
/// ```
pub struct SharedBuffer<T: Pod, A: Access = ReadWrite> {
    /// Start of the elements: inside `map`, or dangling (and aligned) when `len == 0`.
    ptr: NonNull<T>,
    len: usize,
    /// The mapping; `None` for an empty buffer.
    map: Option<MmapRaw>,
    /// The file or memfd behind the mapping (`None` for an anonymous buffer off Linux and Unix).
    file: Option<File>,
    _marker: PhantomData<(Box<[T]>, A)>,
}

// SAFETY: a `SharedBuffer` owns its mapping as a `Box<[T]>` owns its allocation: moving it to
// another thread moves that ownership, and `&SharedBuffer` hands out only `&[T]`. `MmapRaw` and
// `File` are `Send + Sync`.
unsafe impl<T: Pod + Send, A: Access> Send for SharedBuffer<T, A> {}
// SAFETY: as above; shared access gives `&[T]`, which is `Sync` when `T` is.
unsafe impl<T: Pod + Sync, A: Access> Sync for SharedBuffer<T, A> {}

impl<T: Pod, A: Access> fmt::Debug for SharedBuffer<T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedBuffer")
            .field("type", &std::any::type_name::<T>())
            .field("len", &self.len)
            .field("writable", &A::WRITABLE)
            .finish()
    }
}

impl<T: Pod, A: Access> Deref for SharedBuffer<T, A> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // The constructors' contracts exclude writes by others (other than through atomics) while
        // `&self` lives, and `T: Pod` makes every byte pattern a valid `T`.
        // SAFETY: `ptr` is aligned and points at `len` `T`s inside the live mapping (checked when
        // the buffer was made), or is dangling with `len == 0`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Pod> DerefMut for SharedBuffer<T, ReadWrite> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as for `deref`; the mapping is writable (`ReadWrite`), and `&mut self` is the
        // only way into it in this process.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// Bytes for `len` elements of `T`, or an error naming `path`.
fn byte_len<T>(path: &Path, len: usize) -> Result<usize, Error> {
    check_sized::<T>(path)?;
    len.checked_mul(size_of::<T>()).ok_or_else(|| {
        Error::file(
            path,
            format!(
                "{len} elements of {} do not fit in memory",
                type_name::<T>()
            ),
        )
    })
}

fn check_sized<T>(path: &Path) -> Result<(), Error> {
    if size_of::<T>() == 0 {
        return Err(Error::file(
            path,
            format!(
                "{} has size zero; a buffer needs sized elements",
                type_name::<T>()
            ),
        ));
    }
    Ok(())
}

fn type_name<T>() -> &'static str {
    std::any::type_name::<T>()
}

/// Opens `path` for reading (and writing, if `write`) and checks, on the opened descriptor, that
/// it is a regular file whose length means what it says; returns the file and its length.
///
/// - The open is non-blocking: opening a FIFO or some devices for reading blocks until a writer
///   appears, and the check below must run before anything waits on the file. (`O_NONBLOCK` has no
///   effect on reads and writes of regular files, the only kind that gets past the check.)
/// - The type is checked with `fstat` on the descriptor, not `stat` on the path, so a file replaced
///   between a check and the open cannot slip through.
/// - Pseudo-files (`/proc`, `/sys`) are regular files that report a length of 0 and yet have
///   contents: a mapping of them would be empty. A file of length 0 is read once (at offset 0,
///   without moving the file position) to tell it from a really empty one.
pub(crate) fn open_regular(path: &Path, write: bool) -> Result<(File, u64), Error> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(write);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, libc::O_NONBLOCK);
    let verb = if write { "open for writing" } else { "open" };
    let file = opts.open(path).map_err(|e| Error::io(path, verb, &e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, "stat", &e))?;
    if meta.is_dir() {
        return Err(Error::file(path, "is a directory, not a data file"));
    }
    if !meta.is_file() {
        return Err(Error::file(
            path,
            "is not a regular file (a FIFO, socket or device cannot be mapped)",
        ));
    }
    if meta.len() == 0 && has_unreported_contents(&file) {
        return Err(Error::file(
            path,
            "reports a length of 0 but has contents (a pseudo-file, as under /proc or /sys): it \
             cannot be mapped; copy it to a regular file first",
        ));
    }
    Ok((file, meta.len()))
}

/// Whether a file that reports a length of 0 yields bytes when read.
fn has_unreported_contents(file: &File) -> bool {
    let mut byte = [0u8; 1];
    #[cfg(unix)]
    let read = std::os::unix::fs::FileExt::read_at(file, &mut byte, 0);
    #[cfg(not(unix))]
    let read = std::io::Read::read(&mut &*file, &mut byte);
    matches!(read, Ok(n) if n > 0)
}

/// The element count of `bytes` bytes of `T`, or an error saying the length does not divide.
fn element_count<T>(path: &Path, bytes: u64) -> Result<usize, Error> {
    check_sized::<T>(path)?;
    let size = size_of::<T>() as u64;
    if !bytes.is_multiple_of(size) {
        return Err(Error::file(
            path,
            format!(
                "its length, {bytes} bytes, is not a multiple of {size} (the size of {})",
                type_name::<T>()
            ),
        ));
    }
    usize::try_from(bytes / size)
        .map_err(|_| Error::file(path, "is too large to map on this platform"))
}

impl<T: Pod, A: Access> SharedBuffer<T, A> {
    /// Maps `len` elements at byte `offset` of `file` (already checked to hold them).
    fn map(file: File, path: &Path, offset: u64, len: usize) -> Result<Self, Error> {
        let bytes = byte_len::<T>(path, len)?;
        if bytes == 0 {
            return Ok(Self {
                ptr: NonNull::dangling(),
                len: 0,
                map: None,
                file: Some(file),
                _marker: PhantomData,
            });
        }
        let mut opts = MmapOptions::new();
        opts.offset(offset).len(bytes);
        let map = if A::WRITABLE {
            opts.map_raw(&file)
        } else {
            opts.map_raw_read_only(&file)
        }
        .map_err(|e| Error::io(path, "map", &e))?;
        Self::from_map(map, Some(file), path, offset, len)
    }

    fn from_map(
        map: MmapRaw,
        file: Option<File>,
        path: &Path,
        offset: u64,
        len: usize,
    ) -> Result<Self, Error> {
        let ptr = map.as_mut_ptr();
        if !(ptr as usize).is_multiple_of(align_of::<T>()) {
            return Err(Error::file(
                path,
                format!(
                    "the data at byte offset {offset} is not aligned for {} (alignment {})",
                    type_name::<T>(),
                    align_of::<T>()
                ),
            ));
        }
        Ok(Self {
            // `as_mut_ptr` of a live, non-empty mapping is never null.
            ptr: NonNull::new(ptr.cast::<T>())
                .ok_or_else(|| Error::file(path, "the mapping is at address 0"))?,
            len,
            map: Some(map),
            file,
            _marker: PhantomData,
        })
    }

    /// The elements as bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = shmkern::SharedBuffer::<u16>::anonymous(2)?;
    /// buf.copy_from_slice(&[0x0102, 0x0304]);
    /// assert_eq!(buf.as_bytes().len(), 4);
    /// assert_eq!(buf.as_bytes()[2..], 0x0304u16.to_ne_bytes());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(self)
    }

    /// The file (or memfd) behind the buffer, if any: for `fstat`, for handing to another process,
    /// or for [`from_file`](SharedBuffer::from_file) there.
    ///
    /// # Examples
    ///
    /// ```
    /// let buf = shmkern::SharedBuffer::<u64>::anonymous(4)?;
    /// let file = buf.file().expect("on Unix: a memfd or an unlinked temporary file");
    /// assert_eq!(file.metadata().unwrap().len(), 32); // 4 × 8 bytes
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn file(&self) -> Option<&File> {
        self.file.as_ref()
    }

    /// Tells the OS how the buffer will be read (`madvise`). Hints the platform does not have are
    /// accepted and ignored; an empty buffer ignores every hint.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{buffer::Hint, SharedBuffer};
    ///
    /// let buf = SharedBuffer::<f64>::anonymous(1 << 16)?;
    /// buf.advise(Hint::Sequential)?;
    /// assert_eq!(shmkern::sum(&buf), 0.0);
    /// // An empty buffer maps nothing and ignores every hint.
    /// assert!(SharedBuffer::<f64>::anonymous(0)?.advise(Hint::HugePages).is_ok());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn advise(&self, hint: Hint) -> Result<(), Error> {
        match &self.map {
            Some(map) => hint::advise(map, hint),
            None => Ok(()),
        }
    }

    /// Pre-faults every page, so the first pass over the data does not stop for page faults
    /// (`MADV_POPULATE_READ`/`WRITE` on Linux 5.14+, touching one byte per page elsewhere). Reads
    /// the file into the page cache if it is not there.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = shmkern::SharedBuffer::<u32>::anonymous(1 << 16)?;
    /// buf[12_345] = 9;
    /// buf.populate()?; // faults pages in; never changes them
    /// assert_eq!(buf.iter().map(|&x| u64::from(x)).sum::<u64>(), 9);
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn populate(&self) -> Result<(), Error> {
        match &self.map {
            Some(map) => hint::populate(map, A::WRITABLE),
            None => Ok(()),
        }
    }
}

impl<T: Pod> SharedBuffer<T, ReadWrite> {
    /// `len` zeroed elements of anonymous shared memory.
    ///
    /// On Linux the memory is a memfd (`memfd_create`) sealed against shrinking and growing, so it
    /// can be handed to a child process, which sees the same pages (unlike memmap2's `map_anon`,
    /// which is `MAP_PRIVATE`: copy-on-write after `fork`). Its own descriptor is close-on-exec;
    /// to hand it over, pass the child a duplicate from [`share_fd`](SharedBuffer::share_fd)
    /// (which says what each side does), and attach there with
    /// [`from_file`](SharedBuffer::from_file). Other Unix systems use a file in the temporary
    /// directory that is deleted as soon as it is open (shareable the same way); Windows uses
    /// process-private memory.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut buf = shmkern::SharedBuffer::<u32>::anonymous(4)?;
    /// buf.copy_from_slice(&[1, 2, 3, 4]);
    /// assert_eq!(buf.iter().sum::<u32>(), 10);
    /// assert!(shmkern::SharedBuffer::<u8>::anonymous(0)?.is_empty());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn anonymous(len: usize) -> Result<Self, Error> {
        let what = Path::new("<anonymous>");
        let bytes = byte_len::<T>(what, len)?;
        let file = anon::shared_memory(bytes).map_err(|e| Error::io(what, "create", &e))?;
        match file {
            Some(file) => Self::map(file, what, 0, len),
            None => {
                // No shareable memory on this platform: process-private anonymous memory.
                if bytes == 0 {
                    return Self::empty(None);
                }
                let map = MmapOptions::new()
                    .len(bytes)
                    .map_anon()
                    .map_err(|e| Error::io(what, "map", &e))?;
                Self::from_map(MmapRaw::from(map), None, what, 0, len)
            }
        }
    }

    fn empty(file: Option<File>) -> Result<Self, Error> {
        Ok(Self {
            ptr: NonNull::dangling(),
            len: 0,
            map: None,
            file,
            _marker: PhantomData,
        })
    }

    /// Creates a new file at `path` holding `len` zeroed elements (mode 0600 on Unix: readable and
    /// writable by its owner only), and maps it read-write. Fails if `path` exists.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("shmkern-doc-create-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("data.f64");
    /// # let _ = std::fs::remove_file(&path);
    /// let mut buf = shmkern::SharedBuffer::<f64>::create(&path, 3)?;
    /// buf.copy_from_slice(&[1.0, 2.0, 3.0]);
    /// buf.flush()?;
    /// drop(buf);
    /// assert_eq!(std::fs::metadata(&path).unwrap().len(), 24);
    /// // SAFETY: the file is ours and nothing else writes it.
    /// let back = unsafe { shmkern::SharedBuffer::<f64, _>::open(&path)? };
    /// assert_eq!(&back[..], &[1.0, 2.0, 3.0]);
    /// assert!(shmkern::SharedBuffer::<f64>::create(&path, 3).is_err()); // exists
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn create(path: impl AsRef<Path>, len: usize) -> Result<Self, Error> {
        let path = path.as_ref();
        let bytes = byte_len::<T>(path, len)?;
        let file = create_file(path, bytes as u64)?;
        Self::map(file, path, 0, len)
    }

    /// Creates a new `.npy` file at `path` (mode 0600 on Unix) for a 1-D array of `len` zeroed
    /// elements, and maps its data read-write. NumPy reads the result with `np.load(path)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::{buffer::{npy, DType}, SharedBuffer};
    ///
    /// let name = format!("shmkern-doc-create-{}.npy", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// SharedBuffer::<i32>::create_npy(&path, 3)?.copy_from_slice(&[-1, 0, 1]);
    /// let header = npy::read_header(&path)?;
    /// assert_eq!((header.dtype, header.shape), (DType::I32, vec![3]));
    /// // SAFETY: nothing else writes or truncates the file while it is mapped.
    /// let back = unsafe { SharedBuffer::<i32, _>::open_npy(&path)? };
    /// assert_eq!(&back[..], &[-1, 0, 1]);
    /// # drop(back);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn create_npy(path: impl AsRef<Path>, len: usize) -> Result<Self, Error>
    where
        T: Element,
    {
        let path = path.as_ref();
        let bytes = byte_len::<T>(path, len)?;
        let header = NpyHeader::encode(T::DTYPE, len as u64);
        let mut file = create_file(path, (header.len() + bytes) as u64)?;
        file.write_all(&header)
            .map_err(|e| Error::io(path, "write", &e))?;
        Self::map(file, path, header.len() as u64, len)
    }

    /// Maps the existing file at `path` read-write; its length must be a multiple of
    /// `size_of::<T>()`.
    ///
    /// # Safety
    ///
    /// While the buffer lives, no other process or mapping may truncate the file, or write to
    /// elements this process reads or writes (other than through atomics on both sides): the file
    /// is seen as a `&mut [T]`.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::SharedBuffer;
    ///
    /// let name = format!("shmkern-doc-open-mut-{}.u16", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// std::fs::write(&path, [0u8; 8]).unwrap();
    /// // SAFETY: no other process or mapping uses the file meanwhile.
    /// let mut buf = unsafe { SharedBuffer::<u16>::open_mut(&path)? };
    /// assert_eq!(buf.len(), 4);
    /// buf[0] = 0xABCD;
    /// drop(buf);
    /// assert_eq!(std::fs::read(&path).unwrap()[..2], 0xABCDu16.to_ne_bytes());
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub unsafe fn open_mut(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let (file, bytes) = open_regular(path, true)?;
        let len = element_count::<T>(path, bytes)?;
        Self::map(file, path, 0, len)
    }

    /// Maps all of an open `file` read-write: how a process attaches to a buffer whose descriptor
    /// another process handed it (for example the memfd of [`anonymous`](SharedBuffer::anonymous)
    /// inherited by a child).
    ///
    /// # Safety
    ///
    /// As for [`open_mut`](SharedBuffer::open_mut): the processes sharing the memory must not write
    /// elements another one reads at the same time, except through atomics on both sides.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::SharedBuffer;
    ///
    /// let mut a = SharedBuffer::<u64>::anonymous(4)?;
    /// let fd = a.file().expect("a memfd (Linux) or a temporary file (Unix)").try_clone().unwrap();
    /// // SAFETY: the two mappings are used one after the other, on this thread only.
    /// let b = unsafe { SharedBuffer::<u64>::from_file(fd)? };
    /// a[3] = 99;
    /// assert_eq!((b.len(), b[3]), (4, 99)); // the same memory
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub unsafe fn from_file(file: File) -> Result<Self, Error> {
        let what = Path::new("<descriptor>");
        let meta = file.metadata().map_err(|e| Error::io(what, "stat", &e))?;
        if !meta.is_file() {
            return Err(Error::file(
                what,
                "is not a regular file or memfd (a FIFO, socket, device or directory cannot be \
                 mapped)",
            ));
        }
        let bytes = meta.len();
        let len = element_count::<T>(what, bytes)?;
        Self::map(file, what, 0, len)
    }

    /// A duplicate of the buffer's descriptor **without** close-on-exec, for handing the buffer to
    /// a child process: the child inherits it across `exec`, and attaches to the same memory with
    /// [`from_file`](SharedBuffer::from_file). The buffer's own descriptor stays close-on-exec, so
    /// children get only what is shared on purpose. Unix only.
    ///
    /// **The parent** calls `share_fd`, passes the number (`fd.as_raw_fd()`) to the child (an
    /// environment variable or an argument), spawns it with [`std::process::Command`], and then
    /// drops the returned [`OwnedFd`](std::os::fd::OwnedFd): until it is dropped, every process
    /// this process spawns, from any thread, inherits a copy.
    ///
    /// **The child** reads the number, turns it into a `File` with `File::from_raw_fd` (`unsafe`:
    /// the number must be an open descriptor that nothing else in the child owns) and maps it with
    /// `SharedBuffer::<T>::from_file(file)` (`unsafe`: the contract of
    /// [`from_file`](SharedBuffer::from_file) applies on the child's side — while both processes
    /// use the memory, neither writes elements the other reads at the same time, except through
    /// atomics on both sides). The child's buffer has the parent's length, in bytes; it must use
    /// the same `T`. For `u32`/`u64` words, [`into_atomic`](SharedBuffer::<u32>::into_atomic) on
    /// both sides makes every access atomic, and [`sync::futex`](crate::sync::futex) wait/wake
    /// then works across the two processes (on Linux:
    /// [`CROSS_PROCESS`](crate::sync::futex::CROSS_PROCESS)).
    ///
    /// # Errors
    ///
    /// If the descriptor cannot be duplicated (the process is out of descriptors, `EMFILE`).
    ///
    /// # Examples
    ///
    /// This program is both sides: run again with the variable set, it plays the child.
    ///
    /// ```
    /// use shmkern::{sync::futex, SharedBuffer};
    /// use std::os::fd::{AsRawFd, FromRawFd};
    /// use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
    /// use std::time::{Duration, Instant};
    ///
    /// const FD_VAR: &str = "SHMKERN_DOC_SHARED_FD";
    /// # if !futex::CROSS_PROCESS { return Ok(()); }
    /// if let Ok(fd) = std::env::var(FD_VAR) {
    ///     // The child: attach to the inherited descriptor, write, publish, wake the parent.
    ///     let fd: i32 = fd.parse().expect("a descriptor number");
    ///     // SAFETY: the parent passed this descriptor down; nothing else here owns it.
    ///     let file = unsafe { std::fs::File::from_raw_fd(fd) };
    ///     // SAFETY: both processes use the memory through atomics only.
    ///     let words = unsafe { SharedBuffer::<u32>::from_file(file)? }.into_atomic();
    ///     words[1].store(42, Relaxed);
    ///     words[0].store(1, Release);
    ///     futex::wake_all(&words[0]);
    ///     return Ok(());
    /// }
    ///
    /// // The parent: share the buffer, start the child, sleep until it publishes.
    /// let words = SharedBuffer::<u32>::anonymous(2)?.into_atomic();
    /// let fd = words.share_fd()?;
    /// let mut child = std::process::Command::new(std::env::current_exe().unwrap())
    ///     .env(FD_VAR, fd.as_raw_fd().to_string())
    ///     .spawn()
    ///     .unwrap();
    /// drop(fd); // the child has its copy; later children need none
    /// let deadline = Instant::now() + Duration::from_secs(10);
    /// while words[0].load(Acquire) == 0 {
    ///     assert!(Instant::now() < deadline, "the child never published");
    ///     futex::wait_until(&words[0], 0, Some(deadline)); // re-checked: may end early
    /// }
    /// assert_eq!(words[1].load(Relaxed), 42);
    /// assert!(child.wait().unwrap().success());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    #[cfg(unix)]
    pub fn share_fd(&self) -> Result<std::os::fd::OwnedFd, Error> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        let what = Path::new("<buffer>");
        let file = self.file.as_ref().ok_or_else(|| {
            Error::file(what, "has no descriptor to share (process-private memory)")
        })?;
        // dup(2), unlike `File::try_clone` (F_DUPFD_CLOEXEC), leaves FD_CLOEXEC clear on the copy.
        // SAFETY: dup(2) of a descriptor that `file` holds open for the whole call.
        let fd = unsafe { libc::dup(file.as_raw_fd()) };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            return Err(Error::io(what, "duplicate its descriptor", &e));
        }
        // SAFETY: `fd` was just returned by dup(2): open, and owned by nothing else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Writes the buffer's changes through to its file (`msync`); a no-op for anonymous memory.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::SharedBuffer;
    ///
    /// let name = format!("shmkern-doc-flush-{}.u8", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// let mut buf = SharedBuffer::<u8>::create(&path, 5)?;
    /// buf.copy_from_slice(b"hello");
    /// buf.flush()?;
    /// assert_eq!(std::fs::read(&path).unwrap(), b"hello");
    /// assert!(SharedBuffer::<u8>::anonymous(5)?.flush().is_ok());
    /// # drop(buf);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn flush(&self) -> Result<(), Error> {
        match &self.map {
            Some(map) if self.file.is_some() => map
                .flush()
                .map_err(|e| Error::io(Path::new("<mapping>"), "flush", &e)),
            _ => Ok(()),
        }
    }
}

impl<T: Pod> SharedBuffer<T, ReadOnly> {
    /// Maps the existing file at `path` read-only; its length must be a multiple of
    /// `size_of::<T>()`, and an empty file gives an empty buffer.
    ///
    /// # Safety
    ///
    /// While the buffer lives, no other process or mapping may truncate the file or write to it
    /// (other than through atomics on both sides): the file is seen as a `&[T]`. (A truncated file
    /// makes reads of the lost pages raise `SIGBUS`; concurrent writes are a data race.)
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::SharedBuffer;
    ///
    /// let name = format!("shmkern-doc-open-{}.f64", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// std::fs::write(&path, [1.5f64.to_ne_bytes(), (-2.0f64).to_ne_bytes()].concat()).unwrap();
    /// // SAFETY: nothing else writes or truncates the file while it is mapped.
    /// let buf = unsafe { SharedBuffer::<f64, _>::open(&path)? };
    /// assert_eq!(&buf[..], &[1.5, -2.0]);
    /// # drop(buf);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub unsafe fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let (file, bytes) = open_regular(path, false)?;
        let len = element_count::<T>(path, bytes)?;
        Self::map(file, path, 0, len)
    }

    /// Maps the data of the `.npy` file at `path` read-only, with no copy (what
    /// `np.load(path, mmap_mode="r")` does). The array is read flat, in C order; its dtype must be
    /// `T`'s ([`npy::read_header`] tells which it is).
    ///
    /// # Safety
    ///
    /// As for [`open`](SharedBuffer::open).
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::SharedBuffer;
    ///
    /// let name = format!("shmkern-doc-open-npy-{}.npy", std::process::id());
    /// let path = std::env::temp_dir().join(name);
    /// # let _ = std::fs::remove_file(&path);
    /// SharedBuffer::<f32>::create_npy(&path, 2)?.copy_from_slice(&[0.5, 1.5]);
    /// // SAFETY: nothing else writes or truncates the file while it is mapped.
    /// let wrong = unsafe { SharedBuffer::<f64, _>::open_npy(&path) }.unwrap_err();
    /// assert!(wrong.to_string().ends_with("holds f32 ('<f4'), not f64 as asked"), "{wrong}");
    /// // SAFETY: as above.
    /// let right = unsafe { SharedBuffer::<f32, _>::open_npy(&path)? };
    /// assert_eq!(&right[..], &[0.5, 1.5]);
    /// # drop(right);
    /// # std::fs::remove_file(&path).unwrap();
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub unsafe fn open_npy(path: impl AsRef<Path>) -> Result<Self, Error>
    where
        T: Element,
    {
        let path = path.as_ref();
        let (header, file, bytes) = npy::read_header_from(path)?;
        if header.dtype != T::DTYPE {
            return Err(Error::file(
                path,
                format!(
                    "holds {} ('{}'), not {} as asked",
                    header.dtype,
                    header.dtype.npy_descr(),
                    T::DTYPE
                ),
            ));
        }
        let data_bytes = bytes - header.data_offset;
        let want = header
            .count()
            .checked_mul(size_of::<T>() as u64)
            .ok_or_else(|| Error::file(path, "its .npy shape is too large"))?;
        if data_bytes != want {
            return Err(Error::file(
                path,
                format!(
                    "its .npy header announces {} elements ({want} bytes) but {data_bytes} bytes \
                     follow the header",
                    header.count()
                ),
            ));
        }
        let len = element_count::<T>(path, data_bytes)?;
        Self::map(file, path, header.data_offset, len)
    }
}

/// Creates `path` exclusively (mode 0600 on Unix) with `bytes` zero bytes allocated
/// ([`allocate`]). On failure nothing is left behind: the file is removed again.
fn create_file(path: &Path, bytes: u64) -> Result<File, Error> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts.open(path).map_err(|e| Error::io(path, "create", &e))?;
    if let Err(e) = allocate(&file, path, bytes) {
        drop(file);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    Ok(file)
}

/// Sizes `file` to `bytes` zero bytes and reserves its blocks on the file system.
///
/// A file that is only sized (`set_len`) is sparse: its blocks are allocated by the first write
/// to each page, and a write through a mapping that finds the file system full cannot fail
/// politely — the kernel sends SIGBUS and the process dies. Reserving the blocks up front
/// (`posix_fallocate`) turns a full disk into this function's error instead. Where the file system
/// cannot reserve blocks, the file stays sparse (the old behaviour).
pub(crate) fn allocate(file: &File, path: &Path, bytes: u64) -> Result<(), Error> {
    file.set_len(bytes)
        .map_err(|e| Error::io(path, "size", &e))?;
    #[cfg(target_os = "linux")]
    if bytes > 0 {
        use std::os::fd::AsRawFd;
        let len = libc::off_t::try_from(bytes)
            .map_err(|_| Error::file(path, format!("{bytes} bytes do not fit a file offset")))?;
        // SAFETY: posix_fallocate(3) on a descriptor this function borrows, over [0, len), len > 0.
        let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
        match rc {
            0 | libc::EOPNOTSUPP | libc::ENOSYS => {}
            e => {
                let e = std::io::Error::from_raw_os_error(e);
                return Err(Error::io(path, "allocate", &e));
            }
        }
    }
    Ok(())
}
