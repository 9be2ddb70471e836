//! Shared helpers for shmkern's loom models (`tests/`). Empty unless built with
//! `RUSTFLAGS="--cfg shmkern_loom"`; `.ci/test` runs them and states the preemption bound.
#![cfg(shmkern_loom)]

use std::process::Command;

const CHILD_ENV: &str = "SHMKERN_LOOM_TWIN";

/// Asserts that loom **rejects** a broken twin: `run` (which injects a fault and calls
/// `loom::model`) must fail with a message containing one of `reasons` — a deadlock, a causality
/// violation, or the model's own assertion. This is how a twin proves its model would catch the bug
/// it is about.
///
/// The twin runs in a child process (this test binary re-invoked for `test_name` alone), because a
/// loom failure unwinds through loom's own objects outside the execution and can abort the process;
/// the parent reads the child's exit status and stderr. `test_name` must be the calling test's name.
pub fn expect_rejected(test_name: &str, reasons: &[&str], run: impl FnOnce()) {
    if std::env::var(CHILD_ENV).as_deref() == Ok(test_name) {
        run();
        return; // loom accepted it: the child exits 0 and the parent reports it.
    }
    let out = Command::new(std::env::current_exe().expect("test binary path"))
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test_name)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("re-run the test binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("running 1 test"),
        "the child did not run {test_name}: {stdout}"
    );
    assert!(
        !out.status.success(),
        "loom accepted {test_name}, a protocol with a deliberate bug: the model has no teeth"
    );
    assert!(
        reasons
            .iter()
            .any(|r| stderr.contains(r) || stdout.contains(r)),
        "loom rejected {test_name}, but not for the expected reason {reasons:?}:\n{stderr}"
    );
}
/// What loom says when every thread is blocked: the signature of a lost wake-up.
pub const DEADLOCK: &str = "deadlock";
/// What loom says when two accesses race.
pub const RACE: &str = "Causality violation";
/// What loom says when threads keep running without ever finishing (a livelock: polling loops
/// that `yield_now` while nothing they wait for can happen).
pub const LIVELOCK: &str = "Model exceeded maximum number of branches";
