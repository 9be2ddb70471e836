//! `SharedBuffer`: every constructor, the typed views, `.npy` mapping, every error case (each
//! message names the path and the problem), and anonymous memory shared with a child process.
#![cfg(not(shmkern_loom))]

use shmkern::buffer::{npy, AtomicBuffer, DType, Hint, ReadOnly};
use shmkern::{Error, SharedBuffer};
use std::fs;
use std::io::ErrorKind;
use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Asserts that `r` failed with a message that names `path` and contains every word of `want`.
fn assert_error<T: std::fmt::Debug>(r: Result<T, Error>, path: &Path, want: &[&str]) -> Error {
    let e = r.expect_err("expected an error");
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "{msg:?} should name {}",
        path.display()
    );
    assert_eq!(e.path(), Some(path.display().to_string().as_str()));
    for w in want {
        assert!(msg.contains(w), "{msg:?} should say {w:?}");
    }
    e
}

#[test]
fn create_then_open_round_trips_every_type() {
    let d = dir();
    fn check<T: bytemuck::Pod + PartialEq + std::fmt::Debug>(d: &Path, vals: &[T]) {
        let path = d.join(std::any::type_name::<T>());
        let mut b = SharedBuffer::<T>::create(&path, vals.len()).unwrap();
        assert!(b
            .iter()
            .all(|x| bytemuck::bytes_of(x).iter().all(|&b| b == 0)));
        b.copy_from_slice(vals);
        b.flush().unwrap();
        drop(b);
        // SAFETY: the file is this test's own and nothing else writes it.
        let ro = unsafe { SharedBuffer::<T, ReadOnly>::open(&path) }.unwrap();
        assert_eq!(&ro[..], vals);
        assert_eq!(ro.as_bytes().len(), std::mem::size_of_val(vals));
        // SAFETY: as above.
        let mut rw = unsafe { SharedBuffer::<T>::open_mut(&path) }.unwrap();
        rw.reverse();
        drop(rw);
        let mut back = vals.to_vec();
        back.reverse();
        // SAFETY: as above.
        assert_eq!(
            &unsafe { SharedBuffer::<T, _>::open(&path) }.unwrap()[..],
            &back[..]
        );
    }
    check(d.path(), &[1.5f64, -0.0, f64::INFINITY]);
    check(d.path(), &[1.5f32, f32::MIN_POSITIVE]);
    check(d.path(), &[i8::MIN, 0, i8::MAX]);
    check(d.path(), &[u16::MAX, 7]);
    check(d.path(), &[i32::MIN, 1, 2, 3]);
    check(d.path(), &[u64::MAX]);
}

#[cfg(unix)]
#[test]
fn created_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let d = dir();
    let path = d.path().join("x");
    SharedBuffer::<u8>::create(&path, 10).unwrap();
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let npy = d.path().join("x.npy");
    SharedBuffer::<u8>::create_npy(&npy, 10).unwrap();
    assert_eq!(
        fs::metadata(&npy).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn empty_files_map_to_empty_buffers() {
    let d = dir();
    let path = d.path().join("empty");
    fs::write(&path, b"").unwrap();
    // SAFETY: nothing else writes the test's file.
    let b = unsafe { SharedBuffer::<f64, ReadOnly>::open(&path) }.unwrap();
    assert!(b.is_empty());
    b.advise(Hint::Sequential).unwrap();
    b.populate().unwrap();
    assert_eq!(shmkern::stats(&b[..]).count(), 0);
    // SAFETY: as above.
    assert!(unsafe { SharedBuffer::<u32>::open_mut(&path) }
        .unwrap()
        .is_empty());
    assert!(SharedBuffer::<u32>::create(d.path().join("e2"), 0)
        .unwrap()
        .is_empty());
    let npy_path = d.path().join("e.npy");
    drop(SharedBuffer::<i64>::create_npy(&npy_path, 0).unwrap());
    // SAFETY: as above.
    assert!(unsafe { SharedBuffer::<i64, _>::open_npy(&npy_path) }
        .unwrap()
        .is_empty());
}

#[test]
fn bad_files_are_errors_that_name_the_path_and_the_problem() {
    let d = dir();
    let missing = d.path().join("missing.f64");
    // SAFETY (all `open*` calls below): the files are this test's own; nothing else writes them.
    let e = assert_error(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<f64, _>::open(&missing) },
        &missing,
        &["cannot open"],
    );
    assert_eq!(e.io_kind(), Some(ErrorKind::NotFound));
    assert_error(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<f64>::open_mut(&missing) },
        &missing,
        &["cannot open"],
    );

    assert_error(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<f64, _>::open(d.path()) },
        d.path(),
        &["is a directory"],
    );
    assert_error(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<f64, _>::open_npy(d.path()) },
        d.path(),
        &["is a directory"],
    );

    let odd = d.path().join("odd");
    fs::write(&odd, [0u8; 12]).unwrap();
    assert_error(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<f64, _>::open(&odd) },
        &odd,
        &["12 bytes", "not a multiple of 8", "f64"],
    );
    assert_eq!(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<f32, _>::open(&odd) }.unwrap().len(),
        3
    );

    let exists = d.path().join("exists");
    fs::write(&exists, b"keep").unwrap();
    let e = assert_error(
        SharedBuffer::<u8>::create(&exists, 4),
        &exists,
        &["cannot create"],
    );
    assert_eq!(e.io_kind(), Some(ErrorKind::AlreadyExists));
    assert_eq!(
        fs::read(&exists).unwrap(),
        b"keep",
        "create must not touch an existing file"
    );

    let no_dir = d.path().join("no/such/dir/file");
    assert_error(
        SharedBuffer::<u8>::create(&no_dir, 4),
        &no_dir,
        &["cannot create"],
    );
    assert_error(
        SharedBuffer::<u64>::create(d.path().join("huge"), usize::MAX),
        &d.path().join("huge"),
        &["do not fit"],
    );
}

/// A FIFO, a directory and a pseudo-file are refused by every path-taking constructor, at once
/// (the open does not block) and naming the cause; so is a FIFO handed over as a descriptor.
#[test]
#[cfg(target_os = "linux")]
fn what_cannot_be_mapped_is_refused_without_blocking() {
    use std::os::unix::fs::OpenOptionsExt;
    let d = dir();
    let fifo = d.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let proc_file = Path::new("/proc/self/status");
    // Each open runs on a thread the test can give up on, so a regression fails instead of hanging.
    let within = |what: &'static str, f: Box<dyn FnOnce() -> Result<(), Error> + Send>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()).unwrap());
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{what}: still blocked after 30 s"))
    };
    let f2 = fifo.clone();
    // SAFETY (every `open*` below): nothing writes the files; they are refused before any mapping.
    let r = within(
        "open",
        Box::new(move || unsafe { SharedBuffer::<u8, ReadOnly>::open(&f2) }.map(drop)),
    );
    assert_error(r, &fifo, &["not a regular file"]);
    let f2 = fifo.clone();
    let r = within(
        "open_mut",
        Box::new(move || unsafe { SharedBuffer::<u8>::open_mut(&f2) }.map(drop)),
    );
    assert_error(r, &fifo, &["not a regular file"]);
    let f2 = fifo.clone();
    let r = within(
        "open_npy",
        Box::new(move || unsafe { SharedBuffer::<f64, ReadOnly>::open_npy(&f2) }.map(drop)),
    );
    assert_error(r, &fifo, &["not a regular file"]);
    let f2 = fifo.clone();
    let r = within(
        "is_npy_file",
        Box::new(move || npy::is_npy_file(&f2).map(drop)),
    );
    assert_error(r, &fifo, &["not a regular file"]);
    let r = within(
        "pseudo-file",
        Box::new(move || unsafe { SharedBuffer::<u8, ReadOnly>::open(proc_file) }.map(drop)),
    );
    assert_error(r, proc_file, &["pseudo-file", "length of 0"]);
    // SAFETY: as above.
    let r = unsafe { SharedBuffer::<u8, ReadOnly>::open(d.path()) };
    assert_error(r, d.path(), &["directory"]);
    // A descriptor of a FIFO (opened without blocking) is refused too.
    let fd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    // SAFETY: as above.
    let e = unsafe { SharedBuffer::<u8>::from_file(fd) }.unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    // A really empty regular file is still an empty buffer, not an error.
    let empty = d.path().join("empty");
    fs::write(&empty, b"").unwrap();
    // SAFETY: as above.
    assert!(unsafe { SharedBuffer::<u8, ReadOnly>::open(&empty) }
        .unwrap()
        .is_empty());
}

#[cfg(unix)]
#[test]
fn permission_problems_are_errors() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let d = dir();
    let (path, keep) = if root {
        // Root passes every permission check on ordinary files; a read-only sysfs attribute still
        // refuses it writing.
        let p = std::path::PathBuf::from("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
        if !p.exists() {
            println!("SKIPPED: running as root and no read-only sysfs file to try");
            return;
        }
        (p, None)
    } else {
        let p = d.path().join("locked");
        fs::write(&p, [0u8; 8]).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
        (p.clone(), Some(p))
    };
    // SAFETY: the file is not written by anyone while the test maps it.
    let e = assert_error(
        unsafe { SharedBuffer::<u8>::open_mut(&path) },
        &path,
        &["cannot open"],
    );
    assert_eq!(e.io_kind(), Some(ErrorKind::PermissionDenied));
    if keep.is_some() {
        // SAFETY: as above.
        let e = assert_error(
            unsafe { SharedBuffer::<u8, _>::open(&path) },
            &path,
            &["cannot open"],
        );
        assert_eq!(e.io_kind(), Some(ErrorKind::PermissionDenied));
    }
}

/// A `.npy` file with the given version, dict and data bytes.
fn npy_file(path: &Path, version: u8, dict: &str, pad_to: usize, data: &[u8]) {
    let start = if version == 1 { 10 } else { 12 };
    let mut header = dict.to_string();
    while !(start + header.len() + 1).is_multiple_of(pad_to) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY".to_vec();
    bytes.extend_from_slice(&[version, 0]);
    if version == 1 {
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    fs::write(path, bytes).unwrap();
}

#[test]
fn npy_files_map_with_no_copy_and_reject_what_they_cannot_hold() {
    let d = dir();
    let vals = [1.0f64, -2.5, 3.25, 1e300];
    let data: &[u8] = bytemuck::cast_slice(&vals);
    for version in [1, 2, 3] {
        let p = d.path().join(format!("v{version}.npy"));
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
        npy_file(&p, version, dict, 64, data);
        // SAFETY (here and below): the test's own files; nothing else writes them.
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        let b = unsafe { SharedBuffer::<f64, _>::open_npy(&p) }.unwrap();
        assert_eq!(&b[..], &vals);
        assert_eq!(npy::read_header(&p).unwrap().shape, vec![2, 2]);
    }
    // Old NumPy padded to 16 bytes: still aligned for 8-byte types.
    let p16 = d.path().join("p16.npy");
    npy_file(
        &p16,
        1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4,)}",
        16,
        data,
    );
    assert_eq!(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        &unsafe { SharedBuffer::<f64, _>::open_npy(&p16) }.unwrap()[..],
        &vals
    );

    let cases: Vec<(&str, String, Vec<u8>, Vec<&str>)> = vec![
        (
            "dtype.npy",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4,)}".into(),
            data.to_vec(),
            vec!["holds f64 ('<f8'), not f32"],
        ),
        (
            "short.npy",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (9,)}".into(),
            data.to_vec(),
            vec!["announces 9 elements", "32 bytes follow"],
        ),
        (
            "long.npy",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (7,)}".into(),
            data.to_vec(),
            vec!["announces 7 elements"],
        ),
        (
            "be.npy",
            "{'descr': '>f4', 'fortran_order': False, 'shape': (8,)}".into(),
            data.to_vec(),
            vec!["unsupported .npy dtype '>f4'"],
        ),
        (
            "bad.npy",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (8,}".into(),
            data.to_vec(),
            vec!["malformed .npy header"],
        ),
    ];
    for (name, dict, bytes, want) in cases {
        let p = d.path().join(name);
        npy_file(&p, 1, &dict, 64, &bytes);
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        assert_error(unsafe { SharedBuffer::<f32, _>::open_npy(&p) }, &p, &want);
    }
    // A header length that leaves the data misaligned for f32 (offset 10 + 82 = 92 is fine for
    // f32; pick one that is not a multiple of 4).
    let mis = d.path().join("mis.npy");
    let mut dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}".to_string();
    while (10 + dict.len()) % 4 != 1 {
        dict.push(' ');
    }
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.extend_from_slice(&[0u8; 8]);
    fs::write(&mis, bytes).unwrap();
    assert_error(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<f32, _>::open_npy(&mis) },
        &mis,
        &["not aligned"],
    );

    let raw = d.path().join("raw.npy");
    fs::write(&raw, [0u8; 64]).unwrap();
    assert_error(
        // SAFETY: the test's own file; nothing else writes it while it is mapped.
        unsafe { SharedBuffer::<u8, _>::open_npy(&raw) },
        &raw,
        &["not a .npy file"],
    );
    assert_eq!(
        npy::read_header(&raw).unwrap_err().path(),
        Some(raw.display().to_string().as_str())
    );
}

#[test]
fn create_npy_writes_what_numpy_reads() {
    let d = dir();
    let p = d.path().join("out.npy");
    let mut b = SharedBuffer::<u32>::create_npy(&p, 1000).unwrap();
    for (i, x) in b.iter_mut().enumerate() {
        *x = i as u32;
    }
    drop(b);
    let bytes = fs::read(&p).unwrap();
    assert_eq!(&bytes[..10], b"\x93NUMPY\x01\x00\x76\x00");
    let header = std::str::from_utf8(&bytes[10..128]).unwrap();
    assert_eq!(
        header.trim_end(),
        "{'descr': '<u4', 'fortran_order': False, 'shape': (1000,), }"
    );
    assert_eq!(bytes.len(), 128 + 4000);
    // SAFETY: the test's own file.
    let back = unsafe { SharedBuffer::<u32, _>::open_npy(&p) }.unwrap();
    assert_eq!(shmkern::stats(&back[..]).sum(), 999 * 1000 / 2);
    assert_eq!(npy::read_header(&p).unwrap().dtype, DType::U32);
}

#[test]
fn hints_and_populate_work_on_every_kind_of_buffer() {
    let d = dir();
    let anon = SharedBuffer::<f64>::anonymous(1 << 16).unwrap();
    let file = SharedBuffer::<f64>::create(d.path().join("f"), 1 << 16).unwrap();
    // SAFETY: the test's own file.
    let ro = unsafe { SharedBuffer::<f64, _>::open(d.path().join("f")) }.unwrap();
    for hint in [Hint::Sequential, Hint::WillNeed, Hint::HugePages] {
        anon.advise(hint).unwrap();
        file.advise(hint).unwrap();
        ro.advise(hint).unwrap();
    }
    anon.populate().unwrap();
    file.populate().unwrap();
    ro.populate().unwrap();
    assert_eq!(shmkern::sum(&ro[..]), 0.0);
}

#[test]
fn atomic_view_holds_what_was_written_before_and_gives_it_back() {
    let mut b = SharedBuffer::<u32>::anonymous(1000).unwrap();
    for (i, x) in b.iter_mut().enumerate() {
        *x = (i as u32).wrapping_mul(0x9E37_79B9);
    }
    let words: AtomicBuffer<AtomicU32> = b.into_atomic();
    assert_eq!(words.len(), 1000);
    #[cfg(unix)] // a memfd or an unlinked temporary file; none on Windows
    assert_eq!(words.file().unwrap().metadata().unwrap().len(), 4000);
    assert!(format!("{words:?}").contains("AtomicU32"));
    for (i, w) in words.iter().enumerate() {
        assert_eq!(w.load(Relaxed), (i as u32).wrapping_mul(0x9E37_79B9));
    }
    // Atomic writes from several threads, then back to plain `[u32]`.
    std::thread::scope(|s| {
        for t in 0..4 {
            let words = &words;
            s.spawn(move || {
                for w in words.iter().skip(t).step_by(4) {
                    w.fetch_add(1, Relaxed);
                }
            });
        }
    });
    let plain = words.into_inner();
    assert!(plain
        .iter()
        .enumerate()
        .all(|(i, &x)| x == (i as u32).wrapping_mul(0x9E37_79B9).wrapping_add(1)));

    let mut b = SharedBuffer::<u64>::anonymous(3).unwrap();
    b.copy_from_slice(&[u64::MAX, 1 << 40, 7]);
    let words: AtomicBuffer<AtomicU64> = b.into_atomic();
    assert_eq!(words[0].load(Relaxed), u64::MAX);
    assert_eq!(words[1].fetch_add(1, Relaxed), 1 << 40);
    assert_eq!(words[2].swap(8, Relaxed), 7);
    assert_eq!(&words.into_inner()[..], &[u64::MAX, (1 << 40) + 1, 8]);
}

#[test]
fn empty_and_file_backed_buffers_become_atomic() {
    let empty = SharedBuffer::<u64>::anonymous(0).unwrap().into_atomic();
    assert!(empty.is_empty());
    assert!(empty.into_inner().is_empty());

    // A `.npy` file's data starts after its header (a multiple of 64 bytes): still aligned.
    let d = dir();
    let path = d.path().join("words.npy");
    let mut b = SharedBuffer::<u64>::create_npy(&path, 4).unwrap();
    b.copy_from_slice(&[1, 2, 3, 4]);
    let words = b.into_atomic();
    assert_eq!(words.as_ptr() as usize % 8, 0);
    words[3].store(40, Relaxed);
    let plain = words.into_inner();
    plain.flush().unwrap();
    drop(plain);
    // SAFETY: the test's own file.
    let back = unsafe { SharedBuffer::<u64, ReadOnly>::open_npy(&path) }.unwrap();
    assert_eq!(&back[..], &[1, 2, 3, 40]);

    // A file that existed before, opened read-write.
    let path = d.path().join("words.u32");
    fs::write(&path, [0u8; 12]).unwrap();
    // SAFETY: the test's own file, used through this buffer only.
    let words = unsafe { SharedBuffer::<u32>::open_mut(&path) }
        .unwrap()
        .into_atomic();
    words[2].store(0xDEAD_BEEF, Relaxed);
    drop(words);
    assert_eq!(fs::read(&path).unwrap()[8..], 0xDEAD_BEEFu32.to_ne_bytes());
}

#[cfg(unix)]
#[test]
fn shared_descriptors_survive_exec_and_reach_the_same_memory() {
    use std::os::fd::AsRawFd;
    let close_on_exec = |fd: i32| {
        // SAFETY: fcntl(2) F_GETFD on a descriptor the caller holds open.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert!(flags >= 0, "F_GETFD failed");
        flags & libc::FD_CLOEXEC != 0
    };
    let words = SharedBuffer::<u32>::anonymous(16).unwrap().into_atomic();
    let own = words.file().unwrap().as_raw_fd();
    assert!(
        close_on_exec(own),
        "the buffer's own descriptor is close-on-exec"
    );
    let shared = words.share_fd().unwrap();
    assert_ne!(shared.as_raw_fd(), own);
    assert!(
        !close_on_exec(shared.as_raw_fd()),
        "the shared copy is inherited"
    );
    // Attaching to the copy (here, in this process) reaches the same memory.
    // SAFETY: both mappings are used through atomics only.
    let other = unsafe { SharedBuffer::<u32>::from_file(fs::File::from(shared)) }
        .unwrap()
        .into_atomic();
    assert_eq!(other.len(), 16);
    words[5].store(55, Relaxed);
    assert_eq!(other[5].load(Relaxed), 55);
    // A plain buffer shares the same way.
    let plain = SharedBuffer::<u8>::anonymous(1).unwrap();
    assert!(!close_on_exec(plain.share_fd().unwrap().as_raw_fd()));
}

/// The child role of `anonymous_memory_is_shared_with_a_child_process`: attaches to the inherited
/// descriptor and writes `3·i` into element `i`.
#[cfg(target_os = "linux")]
const CHILD_FD_ENV: &str = "SHMKERN_BUFFER_CHILD_FD";

#[cfg(target_os = "linux")]
#[test]
fn child_writes_through_inherited_descriptor() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let Ok(fd) = std::env::var(CHILD_FD_ENV) else {
        return; // an ordinary run: not the child
    };
    let fd: i32 = fd.parse().unwrap();
    // SAFETY: the parent passed this descriptor to us; nothing else in this process owns it.
    let file = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    // SAFETY: the parent does not touch the memory until this process has exited.
    let mut b = unsafe { SharedBuffer::<u64>::from_file(file) }.unwrap();
    for (i, x) in b.iter_mut().enumerate() {
        *x = 3 * i as u64;
    }
}

#[cfg(target_os = "linux")]
#[test]
fn anonymous_memory_is_shared_with_a_child_process() {
    use std::os::fd::AsRawFd;
    const N: usize = 100_000;
    let b = SharedBuffer::<u64>::anonymous(N).unwrap();
    // A duplicate without close-on-exec, so the child inherits it.
    let inherited = b.share_fd().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_writes_through_inherited_descriptor",
            "--test-threads=1",
        ])
        .env(CHILD_FD_ENV, inherited.as_raw_fd().to_string())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    drop(inherited); // our copy of the duplicate; the buffer keeps its own descriptor
    assert!(status.success(), "child failed: {status}");
    // The child's writes are visible here: the memory is shared, not copied on write.
    assert!(b.iter().enumerate().all(|(i, &x)| x == 3 * i as u64));
    // Sealed against resizing: a process holding the descriptor cannot pull pages from under us.
    assert!(b.file().unwrap().set_len(8).is_err());
}
