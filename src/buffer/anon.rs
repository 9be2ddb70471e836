//! Anonymous memory that other processes can map: a sealed memfd on Linux, an unlinked file in
//! the temporary directory on other Unix systems, nothing shareable on Windows.

use std::fs::File;
use std::io;

/// A new file of `bytes` zero bytes that lives only as long as its descriptors and mappings, or
/// `None` where the platform has no such thing (the caller then uses private anonymous memory).
#[cfg(target_os = "linux")]
pub(super) fn shared_memory(bytes: usize) -> io::Result<Option<File>> {
    use std::os::fd::FromRawFd;

    // SAFETY: the name is a NUL-terminated string; the flags are valid for memfd_create(2).
    let fd = unsafe {
        libc::memfd_create(
            c"shmkern".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by memfd_create and is owned by nothing else.
    let file = unsafe { File::from_raw_fd(fd) };
    file.set_len(bytes as u64)?;
    // Sealed: no process that gets the descriptor can shrink the memory under another's mapping
    // (which would make its reads fault with SIGBUS), grow it, or change the seals.
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    // SAFETY: fcntl(2) on a descriptor we own, with an int argument as F_ADD_SEALS expects.
    if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Some(file))
}

/// A new file in the temporary directory, created with mode 0600 and unlinked at once: the
/// descriptor keeps it alive and can be handed to other processes.
#[cfg(all(unix, not(target_os = "linux")))]
pub(super) fn shared_memory(bytes: usize) -> io::Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    static NEXT: AtomicU64 = AtomicU64::new(0);
    loop {
        let name = format!(
            "shmkern-anon-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        match file {
            Ok(file) => {
                std::fs::remove_file(&path)?;
                file.set_len(bytes as u64)?;
                return Ok(Some(file));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// No shareable anonymous memory here.
#[cfg(not(unix))]
pub(super) fn shared_memory(_bytes: usize) -> io::Result<Option<File>> {
    Ok(None)
}
