//! A file that shrinks under the command: one line naming it, exit status 1, no signal death.
//!
//! The command maps its files. When another process truncates a mapped file, the next read of a
//! page past the new end raises SIGBUS, which by default kills the process with no word of why.
//! The library cannot prevent that (its `open` is `unsafe` for exactly this reason); the command,
//! which owns the process, turns it into an error: [`install`] sets a SIGBUS handler, and the
//! command registers each mapping with [`watch`] (the faulting address then says which file it
//! was) and each file to remove on the way out with [`remove_on_crash`].
//!
//! The handler does only async-signal-safe work: it reads registrations through atomics (each
//! written completely before the Release store that publishes it, read after an Acquire load),
//! then calls `write(2)`, `unlink(2)` and `_exit(2)`. Registrations are leaked on purpose: they
//! must outlive anything the handler might still read.

use std::ffi::CString;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// A mapped range and the message that names its file.
struct Watched {
    start: usize,
    len: usize,
    message: CString,
}

/// Mappings the handler knows about; a slot holds a leaked `Watched` or null.
static WATCHED: [AtomicPtr<Watched>; 4] = [const { AtomicPtr::new(std::ptr::null_mut()) }; 4];
/// The message for a fault outside every watched range (a mapping the library made itself, such
/// as a job file's), or null for the generic one.
static FALLBACK: AtomicPtr<CString> = AtomicPtr::new(std::ptr::null_mut());
/// A file to unlink before exiting (the temporary job file of `--processes`), or null.
static REMOVE: AtomicPtr<CString> = AtomicPtr::new(std::ptr::null_mut());
/// Slots of `WATCHED` handed out so far.
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// Set by the first thread that takes the fault: several threads reading the shrunken mapping
/// fault at once, and only one of them may print the line and exit; the others wait for that
/// exit (`pause`), since returning would only fault again.
#[cfg(target_os = "linux")]
static REPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

const GENERIC: &[u8] =
    b"shmkern: error: a mapped file shrank while it was being read (truncated by another process?)\n";

fn leak<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

fn message(what: &str) -> CString {
    let text = format!("shmkern: error: {what}\n").replace('\0', "?");
    CString::new(text).unwrap_or_default()
}

/// Installs the handler (Linux; elsewhere the default action stays).
pub fn install() {
    #[cfg(target_os = "linux")]
    // SAFETY: a zeroed sigaction is a valid value to fill in; `handler` has the SA_SIGINFO
    // signature; sigemptyset and sigaction get pointers to that live local.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) = handler;
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// Names `path` in the message for a fault in `bytes` (a mapping of it).
pub fn watch(bytes: &[u8], path: &Path) {
    let slot = NEXT.fetch_add(1, Ordering::Relaxed);
    let Some(slot) = WATCHED.get(slot) else {
        return; // more mappings than slots: the fallback message covers the rest
    };
    let watched = leak(Watched {
        start: bytes.as_ptr() as usize,
        len: bytes.len(),
        message: message(&format!(
            "{}: the file shrank while it was being read (truncated by another process?)",
            path.display()
        )),
    });
    // Release: the handler's Acquire load of the pointer sees the whole `Watched`.
    slot.store(watched, Ordering::Release);
}

/// The message for a fault outside the watched ranges: `what` names the files involved.
pub fn fallback(what: &str) {
    let m = leak(message(&format!(
        "{what}: a file shrank while it was being read (truncated by another process?)"
    )));
    // Release: pairs with the handler's Acquire load.
    FALLBACK.store(m, Ordering::Release);
}

/// Unlinks `path` if the command dies of SIGBUS (the handler's only clean-up).
pub fn remove_on_crash(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
        // Release: pairs with the handler's Acquire load.
        REMOVE.store(leak(c), Ordering::Release);
    }
}

#[cfg(target_os = "linux")]
extern "C" fn handler(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler of SIGBUS; every
    // pointer loaded below was published with Release after being fully written and is never
    // freed; write, unlink, pause and _exit are async-signal-safe, and so are lock-free atomics.
    unsafe {
        // Relaxed: only which thread reports is decided here; nothing is published through it.
        if REPORTING.swap(true, Ordering::Relaxed) {
            loop {
                libc::pause();
            }
        }
        let addr = (*info).si_addr() as usize;
        let mut text: &[u8] = GENERIC;
        let fallback = FALLBACK.load(Ordering::Acquire);
        if !fallback.is_null() {
            text = (*fallback).as_bytes();
        }
        for slot in &WATCHED {
            let w = slot.load(Ordering::Acquire);
            if !w.is_null() && addr >= (*w).start && addr - (*w).start < (*w).len {
                text = (*w).message.as_bytes();
            }
        }
        libc::write(2, text.as_ptr().cast(), text.len());
        let remove = REMOVE.load(Ordering::Acquire);
        if !remove.is_null() {
            libc::unlink((*remove).as_ptr());
        }
        libc::_exit(1);
    }
}
