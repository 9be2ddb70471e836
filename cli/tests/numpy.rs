//! `shmkern describe` and `shmkern quantile` against numpy on real files (`tests/numpy/check.py`
//! says what it compares). Runs when `python3` has numpy (`.ci/run` installs it with pip); without
//! it the test says so loudly and passes, as the suite's other optional tools do.

use std::process::Command;

#[test]
fn describe_and_quantile_agree_with_numpy() {
    let has_numpy = Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_numpy {
        eprintln!("!!! NUMPY COMPARISON SKIPPED: python3 with numpy is not installed here !!!");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/numpy/check.py");
    let out = Command::new("python3")
        .args([script, env!("CARGO_BIN_EXE_shmkern")])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    assert!(
        out.status.success(),
        "numpy disagrees:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
