//! [`AtomicBuffer`]: a read-write [`SharedBuffer`] of `u32` or `u64` seen as `[AtomicU32]` or
//! `[AtomicU64]` only — the `Int32Array` over a `SharedArrayBuffer` that `Atomics` works on.
//!
//! Why a separate type rather than a method on `&SharedBuffer`: a `SharedBuffer` hands out plain
//! `&[T]` (and `&mut [T]`), and an atomic view of the same memory beside a plain one would let safe
//! code race an atomic store with a plain read — a data race, undefined behaviour. So the
//! conversion consumes the buffer ([`SharedBuffer::into_atomic`]), and the only way back,
//! [`AtomicBuffer::into_inner`], consumes the atomic buffer: within one process the two views never
//! coexist.

use super::{sealed, ReadWrite, SharedBuffer};
#[cfg(unix)]
use crate::error::Error;
use crate::sync::atomic::{AtomicU32, AtomicU64};
use bytemuck::Pod;
use std::fmt;
use std::fs::File;
use std::mem::{align_of, size_of};
use std::ops::Deref;

/// The word types of an [`AtomicBuffer`]: [`AtomicU32`] (the futex word) and [`AtomicU64`].
/// Sealed: no other type can implement it.
///
/// # Examples
///
/// ```
/// use shmkern::buffer::{AtomicBuffer, AtomicWord};
/// use std::sync::atomic::{AtomicU32, AtomicU64};
///
/// // Generic code over both kinds of atomic buffer.
/// fn words<W: AtomicWord>(buf: &AtomicBuffer<W>) -> usize {
///     buf.len()
/// }
/// let a: AtomicBuffer<AtomicU32> = shmkern::SharedBuffer::<u32>::anonymous(3)?.into_atomic();
/// let b: AtomicBuffer<AtomicU64> = shmkern::SharedBuffer::<u64>::anonymous(5)?.into_atomic();
/// assert_eq!((words(&a), words(&b)), (3, 5));
/// # Ok::<(), shmkern::Error>(())
/// ```
pub trait AtomicWord: sealed::Sealed + Send + Sync + fmt::Debug + 'static {
    /// The plain integer with the same size and bit validity: `u32` for `AtomicU32`, `u64` for
    /// `AtomicU64`.
    type Plain: Pod;
    /// The word type's name, for `Debug` (`std::any::type_name` is not stable: newer toolchains
    /// print `Atomic<u32>`).
    #[doc(hidden)]
    const NAME: &'static str;
}

impl sealed::Sealed for AtomicU32 {}
impl sealed::Sealed for AtomicU64 {}
impl AtomicWord for AtomicU32 {
    type Plain = u32;
    const NAME: &'static str = "AtomicU32";
}
impl AtomicWord for AtomicU64 {
    type Plain = u64;
    const NAME: &'static str = "AtomicU64";
}

// `AtomicU32`/`AtomicU64` have the size and bit validity of `u32`/`u64` (std documents it); their
// alignment equals their size, which can exceed the integer's (`u64` on 32-bit x86), hence the
// alignment check in `AtomicBuffer::new`.
const _: () = assert!(size_of::<AtomicU32>() == size_of::<u32>());
const _: () = assert!(size_of::<AtomicU64>() == size_of::<u64>());

/// A read-write [`SharedBuffer`] of `u32` or `u64` viewed as atomics only: `Deref<Target = [W]>`
/// with `W` = [`AtomicU32`] or [`AtomicU64`], and no plain view at all. Made by
/// [`SharedBuffer::into_atomic`]; it keeps the mapping and its file alive.
///
/// Its words can be used from any number of threads through `&AtomicBuffer` (it is `Sync`), and
/// its `AtomicU32`s are futex words for [`sync::futex`](crate::sync::futex) — shared scope, so a
/// word also meets waiters and wakers in other processes that map the same memory (on Linux; see
/// [`CROSS_PROCESS`](crate::sync::futex::CROSS_PROCESS)). To hand the buffer to a child process,
/// see [`share_fd`](AtomicBuffer::share_fd).
///
/// Every word is aligned: a mapping starts on a page boundary, and the data of a read-write buffer
/// starts at offset 0 of its file or, for [`create_npy`](SharedBuffer::create_npy), at a multiple
/// of 64 bytes.
///
/// # Examples
///
/// Two threads hand a value over through a futex word, with no `unsafe`:
///
/// ```
/// use shmkern::{sync::futex, SharedBuffer};
/// use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
///
/// let mut buf = SharedBuffer::<u32>::anonymous(2)?;
/// buf[1] = 40; // plain writes before the conversion...
/// let words = buf.into_atomic(); // ...then atomics only: `&[AtomicU32]`
/// let (flag, data) = (&words[0], &words[1]);
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         data.fetch_add(2, Relaxed);
///         flag.store(1, Release); // publish, then wake
///         futex::wake_all(flag);
///     });
///     while flag.load(Acquire) == 0 {
///         futex::wait(flag, 0, None); // `Woken` may be spurious: the loop re-checks
///     }
/// });
/// assert_eq!(data.load(Relaxed), 42);
/// let plain = words.into_inner(); // back to `[u32]` once no one uses the atomics
/// assert_eq!(&plain[..], &[1, 42]);
/// # Ok::<(), shmkern::Error>(())
/// ```
pub struct AtomicBuffer<W: AtomicWord> {
    /// The mapping, never dereferenced as `[W::Plain]` while `self` lives; its `ptr` is aligned
    /// for `W` (checked in `new`).
    inner: SharedBuffer<W::Plain, ReadWrite>,
}

impl<W: AtomicWord> AtomicBuffer<W> {
    fn new(inner: SharedBuffer<W::Plain, ReadWrite>) -> Self {
        // Always true (see the type's docs); checked because `deref` relies on it.
        assert!(
            inner.len == 0 || (inner.ptr.as_ptr() as usize).is_multiple_of(align_of::<W>()),
            "a read-write mapping is not aligned for {}",
            std::any::type_name::<W>()
        );
        Self { inner }
    }

    /// The buffer back as a plain [`SharedBuffer`] (`[u32]` or `[u64]`), with the values the
    /// atomics last held. Consumes `self`, so no atomic view of this process outlives it.
    ///
    /// Another process that maps the same memory is not stopped by this: if one still uses it, it
    /// must not write while this process reads plainly — the promise that process made when it
    /// attached with the `unsafe` [`from_file`](SharedBuffer::from_file).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::Ordering::Relaxed;
    ///
    /// let words = shmkern::SharedBuffer::<u64>::anonymous(3)?.into_atomic();
    /// words[2].store(u64::MAX, Relaxed);
    /// let mut plain = words.into_inner();
    /// plain[0] = 5;
    /// assert_eq!(&plain[..], &[5, 0, u64::MAX]);
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn into_inner(self) -> SharedBuffer<W::Plain, ReadWrite> {
        self.inner
    }

    /// The file (or memfd) behind the buffer, if any (as [`SharedBuffer::file`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let words = shmkern::SharedBuffer::<u32>::anonymous(4)?.into_atomic();
    /// let file = words.file().expect("on Unix: a memfd or an unlinked temporary file");
    /// assert_eq!(file.metadata().unwrap().len(), 16); // 4 × 4 bytes
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    pub fn file(&self) -> Option<&File> {
        self.inner.file()
    }

    /// A duplicate of the buffer's descriptor that a child process inherits, as
    /// [`SharedBuffer::share_fd`] (which says what the parent and the child do). Unix only.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    ///
    /// let words = shmkern::SharedBuffer::<u32>::anonymous(1)?.into_atomic();
    /// let fd = words.share_fd()?; // pass `fd.as_raw_fd()` to the child; drop `fd` after spawning
    /// assert_ne!(fd.as_raw_fd(), words.file().unwrap().as_raw_fd());
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    #[cfg(unix)]
    pub fn share_fd(&self) -> Result<std::os::fd::OwnedFd, Error> {
        self.inner.share_fd()
    }
}

impl<W: AtomicWord> Deref for AtomicBuffer<W> {
    type Target = [W];
    fn deref(&self) -> &[W] {
        let len = self.inner.len;
        if len == 0 {
            // `inner.ptr` is dangling for `W::Plain`, which may be less aligned than `W`.
            return &[];
        }
        // `W` has the size and bit validity of `W::Plain`, and its interior mutability writes
        // through the shared reference, which the writable mapping allows. In this process the
        // memory is reached only through this view: `inner` is never dereferenced while `self`
        // lives. Other processes or mappings use it through atomics only (the promise of the
        // `unsafe` constructor that attached them).
        // SAFETY: `inner.ptr` points at `len` initialised `W::Plain`s in the live, writable
        // mapping `inner` owns, aligned for `W` (checked in `new`); see above for the rest.
        unsafe { std::slice::from_raw_parts(self.inner.ptr.as_ptr().cast::<W>(), len) }
    }
}

impl<W: AtomicWord> fmt::Debug for AtomicBuffer<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AtomicBuffer")
            .field("type", &W::NAME)
            .field("len", &self.inner.len)
            .finish()
    }
}

impl SharedBuffer<u32, ReadWrite> {
    /// The buffer as [`AtomicU32`]s only (an [`AtomicBuffer`]): futex words for
    /// [`sync::futex`](crate::sync::futex), usable from many threads and processes without
    /// `unsafe`. Consumes the buffer: within one process, memory is either plain or atomic, never
    /// both at once. [`AtomicBuffer::into_inner`] converts back. A [`ReadOnly`](super::ReadOnly)
    /// buffer has no such method: atomics write.
    ///
    /// # Examples
    ///
    /// ```
    /// use shmkern::sync::futex::{self, WaitResult};
    /// use std::sync::atomic::Ordering::Relaxed;
    ///
    /// let mut buf = shmkern::SharedBuffer::<u32>::anonymous(2)?;
    /// buf.copy_from_slice(&[7, 8]);
    /// let words = buf.into_atomic();
    /// assert_eq!(words[1].swap(9, Relaxed), 8);
    /// assert_eq!(futex::wait(&words[0], 0, None), WaitResult::NotEqual); // it holds 7
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    ///
    /// A read-only buffer cannot become atomic:
    ///
    /// ```compile_fail,E0599
    /// # fn f(ro: shmkern::SharedBuffer<u32, shmkern::buffer::ReadOnly>) {
    /// let words = ro.into_atomic(); // error: no method `into_atomic` on a `ReadOnly` buffer
    /// # }
    /// ```
    pub fn into_atomic(self) -> AtomicBuffer<AtomicU32> {
        AtomicBuffer::new(self)
    }
}

impl SharedBuffer<u64, ReadWrite> {
    /// The buffer as [`AtomicU64`]s only (an [`AtomicBuffer`]): counters and packed state shared
    /// by threads and processes, without `unsafe`. Consumes the buffer, as the `u32` version
    /// does; [`AtomicBuffer::into_inner`] converts back. A [`ReadOnly`](super::ReadOnly) buffer
    /// has no such method.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::Ordering::Relaxed;
    ///
    /// let mut buf = shmkern::SharedBuffer::<u64>::anonymous(1)?;
    /// buf[0] = 1 << 40;
    /// let words = buf.into_atomic();
    /// std::thread::scope(|s| {
    ///     for _ in 0..4 {
    ///         s.spawn(|| words[0].fetch_add(1, Relaxed));
    ///     }
    /// });
    /// assert_eq!(words[0].load(Relaxed), (1 << 40) + 4);
    /// # Ok::<(), shmkern::Error>(())
    /// ```
    ///
    /// A read-only buffer cannot become atomic:
    ///
    /// ```compile_fail,E0599
    /// # fn f(ro: shmkern::SharedBuffer<u64, shmkern::buffer::ReadOnly>) {
    /// let words = ro.into_atomic(); // error: no method `into_atomic` on a `ReadOnly` buffer
    /// # }
    /// ```
    pub fn into_atomic(self) -> AtomicBuffer<AtomicU64> {
        AtomicBuffer::new(self)
    }
}
