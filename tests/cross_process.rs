//! Cross-process futex and latch tests: two processes map one file and meet on its words.
//!
//! The test binary re-runs itself as the child: the parent spawns `current_exe()` with
//! `--exact <child test> --nocapture --test-threads=1` and the environment variables [`ROLE_ENV`]
//! and [`PATH_ENV`]. The `child_*` tests do nothing unless [`ROLE_ENV`] names their role, so in an
//! ordinary run they pass at once. A child reports through its exit code (see [`exit`]) and writes
//! its output to a log file the parent prints when something fails.
//!
//! Every word is formed with `AtomicU32::from_ptr` on the mapping and accessed only atomically, in
//! both processes.
#![cfg(all(target_os = "linux", not(shmkern_loom)))]

use memmap2::MmapMut;
use shmkern::sync::futex::{self, Scope, WaitResult};
use shmkern::sync::Latch;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::time::{Duration, Instant};

/// Which child role to play (unset: the `child_*` tests return at once).
const ROLE_ENV: &str = "SHMKERN_XP_ROLE";
/// The file both processes map.
const PATH_ENV: &str = "SHMKERN_XP_PATH";

/// Size of the shared file and mapping.
const MAP_LEN: usize = 4096;
/// Offsets in the mapping, each on its own cache line.
const READY: usize = 0;
const WORD: usize = 64;
const LATCH: usize = 128;
const OPENED: usize = 192;
const PUBLISHED: usize = 256;

/// How long any one step may take before the test fails (waits, child start-up, child exit).
const LIMIT: Duration = Duration::from_secs(5);
/// How long the waking side sleeps so that the waiting side is asleep in the kernel.
const SETTLE: Duration = Duration::from_millis(100);
/// Exchanges tried before giving up when the waiter was too slow to fall asleep.
const ATTEMPTS: usize = 3;

/// Child exit codes. `SLOW` means "the exchange did not happen because the sleeper was not asleep in
/// time" — the parent retries; everything else non-zero is a failure.
mod exit {
    pub const OK: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const SLOW: i32 = 2;
}

/// A mapping of the shared file; words are handed out from its base pointer.
struct Shared {
    /// Base of the mapping, taken once from `map` (never re-borrowed from it afterwards).
    base: *mut u8,
    /// Keeps the mapping alive; its pages do not move when the `MmapMut` value does.
    _map: MmapMut,
}

impl Shared {
    /// Creates the zero-filled shared file at `path` (`MAP_LEN` bytes) and maps it.
    fn create(path: &Path) -> Shared {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .expect("create the shared file");
        file.set_len(MAP_LEN as u64).expect("size the shared file");
        Self::map(&file)
    }

    /// Maps the existing shared file at `path`.
    fn open(path: &Path) -> Shared {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .expect("open the shared file");
        assert_eq!(file.metadata().unwrap().len(), MAP_LEN as u64);
        Self::map(&file)
    }

    fn map(file: &File) -> Shared {
        // SAFETY: the file lives in a temporary directory private to this test and is never
        // truncated while mapped; its bytes are accessed only through atomics (`word`, `latch`), in
        // this process and in the others that map it, never through references to the bytes.
        let mut map = unsafe { MmapMut::map_mut(file) }.expect("map the shared file");
        assert_eq!(map.len(), MAP_LEN);
        let base = map.as_mut_ptr();
        Shared { base, _map: map }
    }

    /// The `AtomicU32` at byte offset `off`.
    fn word(&self, off: usize) -> &AtomicU32 {
        assert!(
            off.is_multiple_of(4) && off + 4 <= MAP_LEN,
            "bad word offset {off}"
        );
        // SAFETY: `base` points to the start of a live, page-aligned mapping of `MAP_LEN` bytes that
        // stays mapped as long as `self` (and so the returned reference) lives; `off` is in bounds
        // and a multiple of 4, so the pointer is valid and aligned for a `u32`. The bytes are only
        // ever accessed atomically, here and in the other processes mapping the file.
        unsafe { AtomicU32::from_ptr(self.base.add(off).cast()) }
    }

    /// The `Latch` (8 bytes) at byte offset `off`.
    fn latch(&self, off: usize) -> &Latch {
        assert!(
            off.is_multiple_of(4) && off + 8 <= MAP_LEN,
            "bad latch offset {off}"
        );
        // SAFETY: as in `word`: 8 in-bounds, 4-aligned bytes of a mapping that outlives the returned
        // reference, accessed only as the latch's atomics (by this and other processes' latches).
        unsafe { Latch::from_ptr(self.base.add(off)) }
    }
}

/// A child process that is killed (and reaped) if it is still running when the guard is dropped,
/// so no failure path leaves it behind.
struct ChildGuard {
    child: Child,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl ChildGuard {
    /// Re-runs this test binary as the `test` child, playing `role` on the file at `path`.
    fn spawn(test: &str, role: &str, path: &Path, log: PathBuf) -> ChildGuard {
        let out = File::create(&log).expect("create the child log");
        let err = out.try_clone().expect("clone the child log handle");
        let child = Command::new(std::env::current_exe().expect("current_exe"))
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(ROLE_ENV, role)
            .env(PATH_ENV, path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawn the child process");
        ChildGuard {
            child,
            log,
            status: None,
        }
    }

    /// The exit status if the child has exited.
    fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait on the child");
        }
        self.status
    }

    /// Waits at most `limit` for the child to exit; on timeout kills it and fails the test.
    fn exit_code_within(&mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_status() {
                return status.code().unwrap_or_else(|| {
                    panic!(
                        "child ended without an exit code ({status}); log:\n{}",
                        self.log()
                    )
                });
            }
            if Instant::now() >= deadline {
                self.kill();
                panic!(
                    "child did not exit within {limit:?}; killed it. Log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn kill(&mut self) {
        if self.try_status().is_none() {
            let _ = self.child.kill();
            self.status = self.child.wait().ok();
        }
    }

    /// What the child wrote (for failure messages).
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("<no log: {e}>"))
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Polls until `word` holds `value`, failing (the guard then kills the child) if `child` exits
/// first or [`LIMIT`] passes.
fn await_value(word: &AtomicU32, value: u32, child: &mut ChildGuard) {
    let deadline = Instant::now() + LIMIT;
    while word.load(Acquire) != value {
        if let Some(status) = child.try_status() {
            panic!(
                "child exited ({status}) before the word reached {value}; log:\n{}",
                child.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the word did not reach {value} within {LIMIT:?}; child log:\n{}",
            child.log()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The child side: the mapped file if this process plays `role`, else `None`.
fn child_role(role: &str) -> Option<Shared> {
    let wanted = std::env::var(ROLE_ENV).ok()?;
    if wanted != role {
        return None;
    }
    let path = std::env::var_os(PATH_ENV).expect("the child needs the shared file's path");
    Some(Shared::open(Path::new(&path)))
}

/// Ends the child process with `code` after saying why.
fn child_exit(code: i32, why: &str) -> ! {
    eprintln!("child exits {code}: {why}");
    std::process::exit(code)
}

// ---------------------------------------------------------------------------------------------
// a. The parent wakes a child asleep on a shared word.

const WAITS_ROLE: &str = "waits-for-parent";

/// Child of `parent_wakes_child`: announces itself, sleeps on `WORD == 0`, exits `OK` only if woken
/// with the word at 1.
#[test]
fn child_waits_for_parent() {
    let Some(shared) = child_role(WAITS_ROLE) else {
        return;
    };
    let word = shared.word(WORD);
    shared.word(READY).store(1, Release);
    let deadline = Instant::now() + LIMIT;
    loop {
        match futex::wait(
            word,
            0,
            Some(deadline.saturating_duration_since(Instant::now())),
        ) {
            WaitResult::Woken if word.load(Acquire) == 1 => child_exit(exit::OK, "woken, saw 1"),
            // Spurious: the word is still 0, sleep again.
            WaitResult::Woken => continue,
            WaitResult::NotEqual => child_exit(exit::SLOW, "the word changed before we slept"),
            WaitResult::TimedOut => child_exit(exit::FAILED, "timed out: nobody woke us"),
        }
    }
}

/// One exchange of test a; `false` if the child was not asleep in time (retry).
fn parent_wakes_child_once(dir: &Path, attempt: usize) -> bool {
    let path = dir.join(format!("wake-child-{attempt}"));
    let shared = Shared::create(&path);
    let word = shared.word(WORD);
    let mut child = ChildGuard::spawn(
        "child_waits_for_parent",
        WAITS_ROLE,
        &path,
        dir.join(format!("wake-child-{attempt}.log")),
    );
    await_value(shared.word(READY), 1, &mut child);
    std::thread::sleep(SETTLE);

    // A private wake keys by (process, address): it must not find the shared sleeper.
    assert_eq!(
        Scope::Private.wake_all(word),
        0,
        "a private wake woke a shared-scope sleeper in another process"
    );
    word.store(1, Release);
    let woken = futex::wake_all(word);
    assert!(
        woken <= 1,
        "wake_all woke {woken} sleepers; only one exists"
    );
    let code = child.exit_code_within(LIMIT);
    if woken == 0 {
        // The child was not asleep yet: it saw 1 (NotEqual) and exited SLOW, or it failed.
        assert!(
            code == exit::SLOW || code == exit::OK,
            "child failed (exit {code}); log:\n{}",
            child.log()
        );
        return false;
    }
    assert_eq!(
        code,
        exit::OK,
        "the wake found the child but it did not exit OK; log:\n{}",
        child.log()
    );
    true
}

#[test]
fn parent_wakes_child() {
    let dir = tempfile::tempdir().unwrap();
    let ok = (0..ATTEMPTS).any(|attempt| parent_wakes_child_once(dir.path(), attempt));
    assert!(
        ok,
        "in {ATTEMPTS} attempts the child was never asleep when the parent woke it"
    );
}

// ---------------------------------------------------------------------------------------------
// b. A child wakes the parent asleep on a shared word.

const WAKES_ROLE: &str = "wakes-parent";

/// Child of `child_wakes_parent`: waits for the parent's `READY`, lets it fall asleep, publishes 1
/// and wakes it; exits `OK` only if its `wake_all` woke exactly one sleeper.
#[test]
fn child_wakes_parent_child() {
    let Some(shared) = child_role(WAKES_ROLE) else {
        return;
    };
    let (ready, word) = (shared.word(READY), shared.word(WORD));
    let deadline = Instant::now() + LIMIT;
    while ready.load(Acquire) != 1 {
        if Instant::now() >= deadline {
            child_exit(exit::FAILED, "the parent never became ready");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(SETTLE);
    if Scope::Private.wake_all(word) != 0 {
        child_exit(
            exit::FAILED,
            "a private wake found the parent's shared sleep",
        );
    }
    word.store(1, Release);
    match futex::wake_all(word) {
        1 => child_exit(exit::OK, "woke the parent"),
        0 => child_exit(exit::SLOW, "nobody was asleep"),
        n => child_exit(exit::FAILED, &format!("woke {n} sleepers; only one exists")),
    }
}

/// One exchange of test b; `false` if the parent was not asleep in time (retry).
fn child_wakes_parent_once(dir: &Path, attempt: usize) -> bool {
    let path = dir.join(format!("wake-parent-{attempt}"));
    let shared = Shared::create(&path);
    let word = shared.word(WORD);
    let mut child = ChildGuard::spawn(
        "child_wakes_parent_child",
        WAKES_ROLE,
        &path,
        dir.join(format!("wake-parent-{attempt}.log")),
    );
    shared.word(READY).store(1, Release);
    let deadline = Instant::now() + LIMIT;
    let result = loop {
        let r = futex::wait(
            word,
            0,
            Some(deadline.saturating_duration_since(Instant::now())),
        );
        match r {
            // Spurious: still 0, sleep again.
            WaitResult::Woken if word.load(Acquire) == 0 => continue,
            _ => break r,
        }
    };
    assert_ne!(
        result,
        WaitResult::TimedOut,
        "the child never woke the parent within {LIMIT:?}; child log:\n{}",
        child.log()
    );
    assert_eq!(word.load(Acquire), 1);
    let code = child.exit_code_within(LIMIT);
    match (result, code) {
        (WaitResult::Woken, exit::OK) => true,
        // The child woke nobody: the parent was not asleep yet (it saw 1 and got NotEqual), or its
        // sleep ended spuriously just before the wake.
        (_, exit::SLOW) => false,
        _ => panic!(
            "parent's wait returned {result:?}, child exited {code}; child log:\n{}",
            child.log()
        ),
    }
}

#[test]
fn child_wakes_parent() {
    let dir = tempfile::tempdir().unwrap();
    let ok = (0..ATTEMPTS).any(|attempt| child_wakes_parent_once(dir.path(), attempt));
    assert!(
        ok,
        "in {ATTEMPTS} attempts the parent was never asleep when the child woke it"
    );
}

// ---------------------------------------------------------------------------------------------
// c. A latch in the mapping, counted down by two child processes.

const COUNTS_ROLE: &str = "counts-down";

/// Child of `latch_across_processes`: publishes a write, counts the latch down once, and records
/// whether its count-down opened the latch.
#[test]
fn child_counts_down() {
    let Some(shared) = child_role(COUNTS_ROLE) else {
        return;
    };
    let latch = shared.latch(LATCH);
    if latch.count() == 0 {
        child_exit(exit::FAILED, "the latch was not armed before we started");
    }
    // Give the parent time to fall asleep, so the wake crosses the process boundary.
    std::thread::sleep(SETTLE / 2);
    shared.word(PUBLISHED).fetch_add(1, Relaxed);
    if latch.count_down() {
        shared.word(OPENED).fetch_add(1, Relaxed);
    }
    child_exit(exit::OK, "counted down");
}

#[test]
fn latch_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latch");
    let shared = Shared::create(&path);
    let latch = shared.latch(LATCH);
    assert!(latch.is_open(), "zeroed bytes are an open latch");
    latch.reset(2);

    let mut children: Vec<ChildGuard> = (0..2)
        .map(|i| {
            ChildGuard::spawn(
                "child_counts_down",
                COUNTS_ROLE,
                &path,
                dir.path().join(format!("latch-{i}.log")),
            )
        })
        .collect();
    let waited = latch.wait(Some(LIMIT));
    let logs = || {
        children
            .iter()
            .map(ChildGuard::log)
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    assert_eq!(
        waited,
        Ok(()),
        "the latch did not open within {LIMIT:?}; children's logs:\n{}",
        logs()
    );
    // The count-downs' Release and the wait's Acquire make the children's writes visible.
    assert_eq!(shared.word(PUBLISHED).load(Relaxed), 2);
    assert_eq!(latch.count(), 0);
    assert_eq!(latch.waiting(), 0);
    for child in &mut children {
        let code = child.exit_code_within(LIMIT);
        assert_eq!(code, exit::OK, "a child failed; log:\n{}", child.log());
    }
    assert_eq!(
        shared.word(OPENED).load(Relaxed),
        1,
        "exactly one count-down opens the latch"
    );
}
