//! Cross-process futex and latch tests: two processes map one file and meet on its words.
//!
//! The test binary re-runs itself as the child: the parent spawns `current_exe()` with
//! `--exact <child test> --nocapture --test-threads=1` and the environment variables [`ROLE_ENV`]
//! and [`PATH_ENV`]. The `child_*` tests do nothing unless [`ROLE_ENV`] names their role, so in an
//! ordinary run they pass at once. A child reports through its exit code (see [`exit`]) and writes
//! its output to a log file the parent prints when something fails.
//!
//! Every word is an element of an [`AtomicBuffer`] and accessed only atomically, in both processes;
//! no `unsafe` forms a word. Tests a–c map a file by path; test d hands an anonymous buffer to the
//! child by descriptor ([`SharedBuffer::share_fd`]).
#![cfg(all(target_os = "linux", not(shmkern_loom)))]

use shmkern::buffer::AtomicBuffer;
use shmkern::sync::futex::{self, Scope, WaitResult};
use shmkern::sync::Latch;
use shmkern::SharedBuffer;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering::Acquire, Ordering::Relaxed, Ordering::Release};
use std::time::{Duration, Instant};

/// Which child role to play (unset: the `child_*` tests return at once).
const ROLE_ENV: &str = "SHMKERN_XP_ROLE";
/// The file both processes map (tests a–c).
const PATH_ENV: &str = "SHMKERN_XP_PATH";
/// The number of the descriptor the child inherits (test d).
const FD_ENV: &str = "SHMKERN_XP_FD";

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

/// A mapping of the shared file, seen as atomics only.
struct Shared {
    words: AtomicBuffer<AtomicU32>,
}

impl Shared {
    /// Creates the zero-filled shared file at `path` (`MAP_LEN` bytes) and maps it.
    fn create(path: &Path) -> Shared {
        let buf = SharedBuffer::<u32>::create(path, MAP_LEN / 4).expect("create the shared file");
        Shared {
            words: buf.into_atomic(),
        }
    }

    /// Maps the existing shared file at `path`.
    fn open(path: &Path) -> Shared {
        // SAFETY: the file lives in a temporary directory private to this test and is never
        // truncated while mapped; its bytes are accessed only through atomics (`into_atomic`, and
        // `latch`), in this process and in the others that map it.
        let buf = unsafe { SharedBuffer::<u32>::open_mut(path) }.expect("open the shared file");
        assert_eq!(buf.len(), MAP_LEN / 4);
        Shared {
            words: buf.into_atomic(),
        }
    }

    /// The `AtomicU32` at byte offset `off`.
    fn word(&self, off: usize) -> &AtomicU32 {
        assert!(off.is_multiple_of(4), "bad word offset {off}");
        &self.words[off / 4]
    }

    /// The `Latch` (8 bytes) at byte offset `off`.
    fn latch(&self, off: usize) -> &Latch {
        assert!(
            off.is_multiple_of(4) && off + 8 <= MAP_LEN,
            "bad latch offset {off}"
        );
        // From the slice's pointer, which covers the whole mapping (not one word's).
        let ptr = self.words.as_ptr().wrapping_add(off / 4).cast_mut().cast();
        // SAFETY: two in-bounds, 4-aligned words of a mapping that outlives the returned
        // reference, accessed only as atomics (the buffer's, and the latch's in every process).
        unsafe { Latch::from_ptr(ptr) }
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
        Self::spawn_with_env(test, role, (PATH_ENV, path.as_os_str()), log)
    }

    /// Re-runs this test binary as the `test` child, playing `role`, with one more environment
    /// variable (`env`: name and value).
    fn spawn_with_env(
        test: &str,
        role: &str,
        env: (&str, &std::ffi::OsStr),
        log: PathBuf,
    ) -> ChildGuard {
        let out = File::create(&log).expect("create the child log");
        let err = out.try_clone().expect("clone the child log handle");
        let child = Command::new(std::env::current_exe().expect("current_exe"))
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(ROLE_ENV, role)
            .env(env.0, env.1)
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

// ---------------------------------------------------------------------------------------------
// d. An anonymous buffer handed to a child by descriptor: ping-pong on a futex word, data written
//    by the child and checked by the parent.

const PING_ROLE: &str = "ping-pong";

/// Layout of test d's buffer, in `u32` words: the turn word, the child's count of `Woken` waits
/// (each on its own cache line), then `PING_ROUNDS` chunks of `PING_CHUNK` data words.
const TURN: usize = 0;
const CHILD_WOKEN: usize = 16;
const DATA: usize = 32;
const PING_ROUNDS: usize = 20;
const PING_CHUNK: usize = 64;
const PING_WORDS: usize = DATA + PING_ROUNDS * PING_CHUNK;

/// What the child writes into data word `k` (counted from `DATA`).
fn ping_value(k: usize) -> u32 {
    (k as u32).wrapping_mul(2_654_435_761) ^ 0x5EED
}

/// Sleeps on `turn` until it holds `want`, at most until `deadline`. `Ok` with the number of
/// `Woken` results; `Err` with what the word held on a timeout or a value past `want`.
fn await_turn(turn: &AtomicU32, want: u32, deadline: Instant) -> Result<u32, String> {
    let mut woken = 0;
    loop {
        let seen = turn.load(Acquire);
        if seen == want {
            return Ok(woken);
        }
        if seen > want {
            return Err(format!("the turn word went past {want} to {seen}"));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match futex::wait(turn, seen, Some(left)) {
            WaitResult::Woken => woken += 1, // or spurious: the loop re-checks
            WaitResult::NotEqual => {}
            WaitResult::TimedOut => {
                return Err(format!(
                    "timed out waiting for turn {want}; the word holds {}",
                    turn.load(Acquire)
                ))
            }
        }
    }
}

/// Child of `buffer_handed_to_child_by_descriptor`: attaches to the inherited descriptor; in round
/// `r` waits for turn `2r + 1`, writes chunk `r`, publishes turn `2r + 2` and wakes the parent.
#[test]
fn child_ping_pongs_with_parent() {
    if std::env::var(ROLE_ENV).as_deref() != Ok(PING_ROLE) {
        return;
    }
    let fd: RawFd = std::env::var(FD_ENV)
        .expect("the child needs the descriptor's number")
        .parse()
        .expect("a descriptor number");
    // SAFETY: the parent passed this descriptor down (a `share_fd` duplicate, inherited across
    // exec); nothing else in this process owns it.
    let file = unsafe { File::from_raw_fd(fd) };
    // SAFETY: the parent and this process access the memory only through atomics (both convert
    // their buffers with `into_atomic` at once); the memfd is sealed against resizing.
    let words = match unsafe { SharedBuffer::<u32>::from_file(file) } {
        Ok(buf) => buf.into_atomic(),
        Err(e) => child_exit(exit::FAILED, &format!("cannot map the descriptor: {e}")),
    };
    if words.len() != PING_WORDS {
        child_exit(
            exit::FAILED,
            &format!("mapped {} words, not {PING_WORDS}", words.len()),
        );
    }
    let turn = &words[TURN];
    let mut woken = 0;
    for r in 0..PING_ROUNDS {
        let deadline = Instant::now() + LIMIT;
        match await_turn(turn, 2 * r as u32 + 1, deadline) {
            Ok(n) => woken += n,
            Err(why) => child_exit(exit::FAILED, &why),
        }
        for i in 0..PING_CHUNK {
            let k = r * PING_CHUNK + i;
            words[DATA + k].store(ping_value(k), Relaxed);
        }
        words[CHILD_WOKEN].store(woken, Relaxed);
        turn.store(2 * r as u32 + 2, Release); // publishes the chunk (and the count)
        futex::wake_all(turn);
    }
    child_exit(
        exit::OK,
        &format!("{PING_ROUNDS} rounds, woken {woken} times"),
    )
}

#[test]
fn buffer_handed_to_child_by_descriptor() {
    let dir = tempfile::tempdir().unwrap();
    let words = SharedBuffer::<u32>::anonymous(PING_WORDS)
        .unwrap()
        .into_atomic();
    let fd = words.share_fd().unwrap();
    let number = fd.as_raw_fd().to_string();
    let mut child = ChildGuard::spawn_with_env(
        "child_ping_pongs_with_parent",
        PING_ROLE,
        (FD_ENV, number.as_ref()),
        dir.path().join("ping-pong.log"),
    );
    drop(fd); // the child has its copy
              // Let the child reach its first sleep, so the first wake crosses the process boundary.
    std::thread::sleep(SETTLE);

    let turn = &words[TURN];
    let mut woken = 0;
    for r in 0..PING_ROUNDS {
        turn.store(2 * r as u32 + 1, Release);
        futex::wake_all(turn);
        match await_turn(turn, 2 * r as u32 + 2, Instant::now() + LIMIT) {
            Ok(n) => woken += n,
            Err(why) => panic!("round {r}: {why}; child log:\n{}", child.log()),
        }
        // The Acquire of the turn word makes the child's chunk visible.
        for i in 0..PING_CHUNK {
            let k = r * PING_CHUNK + i;
            assert_eq!(words[DATA + k].load(Relaxed), ping_value(k), "word {k}");
        }
    }
    let code = child.exit_code_within(LIMIT);
    assert_eq!(code, exit::OK, "the child failed; log:\n{}", child.log());
    let child_woken = words[CHILD_WOKEN].load(Relaxed);
    eprintln!("waits woken: {woken} in the parent, {child_woken} in the child");
    // Each side sleeps while the other works: at least one wait must have been a real
    // cross-process sleep ended by the other side's wake (a lost wake would have timed out).
    assert!(
        woken + child_woken > 0,
        "no wait ever slept: the exchange did not exercise cross-process wakes"
    );

    // The child has exited: back to plain `[u32]`, and everything it wrote is there.
    let plain = words.into_inner();
    assert_eq!(plain[TURN], 2 * PING_ROUNDS as u32);
    assert!(plain[DATA..]
        .iter()
        .enumerate()
        .all(|(k, &x)| x == ping_value(k)));
}
