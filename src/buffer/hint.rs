//! Access hints (`madvise`) and pre-faulting for mapped buffers.

use crate::error::Error;
use memmap2::MmapRaw;
use std::path::Path;

/// How the program will read a buffer, for [`SharedBuffer::advise`](super::SharedBuffer::advise).
///
/// # Examples
///
/// ```
/// use shmkern::{buffer::Hint, SharedBuffer};
///
/// let mut buf = SharedBuffer::<u32>::anonymous(1 << 16)?;
/// buf.fill(7);
/// for hint in [Hint::Sequential, Hint::WillNeed] {
///     buf.advise(hint)?;
/// }
/// assert!(buf.iter().all(|&x| x == 7)); // a hint never changes the contents
/// # Ok::<(), shmkern::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Hint {
    /// Read once, front to back (`MADV_SEQUENTIAL`): aggressive read-ahead, pages dropped early.
    Sequential,
    /// Will be read soon (`MADV_WILLNEED`): start reading the file into the page cache now.
    WillNeed,
    /// Back with transparent huge pages where the kernel can (`MADV_HUGEPAGE`, Linux; only
    /// anonymous and memfd memory on most file systems), so a pass over it takes fewer TLB misses
    /// and page faults. Ignored elsewhere.
    HugePages,
}

#[cfg_attr(not(unix), allow(dead_code))] // only the Unix paths call madvise
fn map_error(e: std::io::Error) -> Error {
    Error::io(Path::new("<mapping>"), "advise", &e)
}

#[cfg(unix)]
pub(super) fn advise(map: &MmapRaw, hint: Hint) -> Result<(), Error> {
    use memmap2::Advice;
    let advice = match hint {
        Hint::Sequential => Advice::Sequential,
        Hint::WillNeed => Advice::WillNeed,
        #[cfg(target_os = "linux")]
        Hint::HugePages => Advice::HugePage,
        #[cfg(not(target_os = "linux"))]
        Hint::HugePages => return Ok(()),
    };
    map.advise(advice).map_err(map_error)
}

#[cfg(not(unix))]
pub(super) fn advise(_map: &MmapRaw, _hint: Hint) -> Result<(), Error> {
    Ok(())
}

/// Faults in every page of `map`: one `madvise` on Linux 5.14+, else a read of one byte per page
/// (a write fault is not needed: the first write to a present page costs no more than a minor
/// fault's worth of work).
pub(super) fn populate(map: &MmapRaw, writable: bool) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    {
        let advice = if writable {
            memmap2::Advice::PopulateWrite
        } else {
            memmap2::Advice::PopulateRead
        };
        match map.advise(advice) {
            Ok(()) => return Ok(()),
            // Older kernels do not know the advice: fall back to touching the pages.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
            Err(e) => return Err(map_error(e)),
        }
    }
    let _ = writable;
    let page = page_size();
    let base = map.as_ptr();
    for offset in (0..map.len()).step_by(page) {
        // SAFETY: `offset < map.len()`, so the byte is inside the live, readable mapping; the
        // buffer's constructors exclude concurrent non-atomic writes. Volatile, so the touch is
        // not optimized away.
        unsafe { std::ptr::read_volatile(base.add(offset)) };
    }
    Ok(())
}

fn page_size() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if n > 0 {
            return n as usize;
        }
    }
    4096
}
