//! The real `shmkern` binary on raw and `.npy` files made by the tests and by `shmkern gen`: its
//! JSON checked against the library, every error case (exit status and one-line message), and the
//! same answer for every thread count.

use serde_json::Value;
use shmkern::buffer::DType;
use shmkern::kernels::Accuracy;
use shmkern::{Pool, SharedBuffer};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shmkern(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shmkern"))
        .args(args)
        .output()
        .expect("run shmkern")
}

/// Runs the command, expects success and exactly one JSON object on stdout.
fn json(args: &[&str]) -> Value {
    let out = shmkern(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one line of JSON: {stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v.is_object());
    v
}

/// Runs the command, expects exit status `code` and one line on stderr holding every `want`.
fn fails(args: &[&str], code: i32, want: &[&str]) {
    let out = shmkern(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    for w in want {
        assert!(
            stderr.contains(w),
            "{args:?}: {stderr:?} should contain {w:?}"
        );
    }
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    if code == 1 {
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    }
}

fn f64_of(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "NaN" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        Value::Number(n) => n.to_string().parse().unwrap(),
        other => panic!("not a float: {other}"),
    }
}

fn same_f64(v: &Value, x: Option<f64>) {
    match x {
        None => assert_eq!(v, &Value::Null),
        Some(x) if x.is_nan() => assert_eq!(v, "NaN"),
        Some(x) => assert_eq!(f64_of(v).to_bits(), x.to_bits(), "{v} vs {x:?}"),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn write_raw<T: bytemuck::Pod>(dir: &Path, name: &str, data: &[T]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytemuck::cast_slice(data)).unwrap();
    p
}

fn write_npy<T: shmkern::buffer::Element>(dir: &Path, name: &str, data: &[T]) -> PathBuf {
    let p = dir.join(name);
    SharedBuffer::<T>::create_npy(&p, data.len())
        .unwrap()
        .copy_from_slice(data);
    p
}

const STATS_KEYS: [&str; 13] = [
    "dtype",
    "count",
    "nan_count",
    "sum",
    "min",
    "max",
    "mean",
    "variance",
    "std_dev",
    "ddof",
    "threads",
    "seconds",
    "bytes",
];
const SUM_KEYS: [&str; 7] = [
    "dtype", "count", "sum", "accuracy", "threads", "seconds", "bytes",
];

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn stats_json_matches_the_library_for_raw_and_npy_files() {
    let d = tempfile::tempdir().unwrap();
    let data: Vec<f64> = (0..100_003)
        .map(|i| ((i as f64) * 0.37).sin() * 1e3 + if i % 1000 == 7 { f64::NAN } else { 0.0 })
        .collect();
    let lib = Pool::builder().threads(2).build().unwrap().stats(&data);
    let raw = write_raw(d.path(), "x.f64", &data);
    let npy = write_npy(d.path(), "x.npy", &data);
    for args in [
        vec!["stats", s(&raw), "--dtype", "f64", "--json"],
        vec!["stats", s(&npy), "--json"],
        vec!["stats", s(&npy), "--json", "--dtype", "f64", "--ddof", "0"],
    ] {
        let v = json(&args);
        assert_eq!(keys(&v), STATS_KEYS);
        let ddof = v["ddof"].as_u64().unwrap();
        assert_eq!(ddof, if args.contains(&"--ddof") { 0 } else { 1 });
        assert_eq!(v["dtype"], "f64");
        assert_eq!(v["count"].as_u64(), Some(lib.count()));
        assert_eq!(v["nan_count"].as_u64(), Some(lib.nan_count()));
        assert!(lib.nan_count() > 0);
        same_f64(&v["sum"], Some(lib.sum()));
        same_f64(&v["min"], lib.min());
        same_f64(&v["max"], lib.max());
        same_f64(&v["mean"], lib.mean());
        same_f64(&v["variance"], lib.variance(ddof));
        same_f64(&v["std_dev"], lib.std_dev(ddof));
        assert_eq!(v["bytes"].as_u64(), Some(8 * data.len() as u64));
        assert!(v["seconds"].as_f64().unwrap() >= 0.0);
        assert!(v["threads"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn every_thread_count_gives_the_same_json() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("g.npy");
    let out = shmkern(&[
        "gen",
        s(&p),
        "--dtype",
        "f32",
        "--count",
        "300000",
        "--dist",
        "normal",
        "--seed",
        "7",
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let strip = |mut v: Value, threads: u64| {
        assert_eq!(v["threads"].as_u64(), Some(threads));
        let o = v.as_object_mut().unwrap();
        o.remove("threads");
        o.remove("seconds");
        v
    };
    for cmd in [
        vec!["stats"],
        vec!["sum"],
        vec!["sum", "--accuracy", "compensated"],
        vec!["sum", "--accuracy", "exact"],
    ] {
        let mut first = None;
        for t in ["1", "2", "3", "7"] {
            let mut args = cmd.clone();
            args.extend([s(&p), "--json", "--threads", t]);
            let v = strip(json(&args), t.parse().unwrap());
            match &first {
                None => first = Some(v),
                Some(f) => assert_eq!(&v, f, "{args:?}"),
            }
        }
    }
}

#[test]
fn sums_match_the_library_in_every_accuracy_and_integers_stay_exact() {
    let d = tempfile::tempdir().unwrap();
    let mut x: Vec<f64> = (0..70_000).map(|i| 1.0 / (1.0 + i as f64)).collect();
    x[5] = 1e16;
    x[60_000] = -1e16;
    let p = write_raw(d.path(), "x", &x);
    let pool = Pool::builder().threads(2).build().unwrap();
    for (name, acc) in [
        ("fast", Accuracy::Fast),
        ("compensated", Accuracy::Compensated),
        ("exact", Accuracy::Exact),
    ] {
        let v = json(&["sum", s(&p), "--dtype", "f64", "--accuracy", name, "--json"]);
        assert_eq!(keys(&v), SUM_KEYS);
        assert_eq!(v["accuracy"], name);
        same_f64(&v["sum"], Some(pool.sum_float_at(&x, acc)));
    }
    // i64 and u64 sums beyond 2^64 are exact JSON integers.
    let big = vec![u64::MAX; 1000];
    let v = json(&[
        "sum",
        s(&write_raw(d.path(), "u", &big)),
        "--dtype",
        "u64",
        "--json",
    ]);
    assert_eq!(
        v["sum"].to_string(),
        (u128::from(u64::MAX) * 1000).to_string()
    );
    assert_eq!(v["accuracy"], "exact");
    let neg = vec![i64::MIN + 1; 3];
    let v = json(&["sum", s(&write_npy(d.path(), "i.npy", &neg)), "--json"]);
    assert_eq!(
        v["sum"].to_string(),
        (i128::from(i64::MIN + 1) * 3).to_string()
    );
    let v = json(&["stats", s(&write_npy(d.path(), "j.npy", &neg)), "--json"]);
    assert_eq!(
        v["sum"].to_string(),
        (i128::from(i64::MIN + 1) * 3).to_string()
    );
    assert_eq!(v["min"].to_string(), (i64::MIN + 1).to_string());
    assert_eq!(v["dtype"], "i64");
}

#[test]
fn special_values_are_strings_and_undefined_values_null() {
    let d = tempfile::tempdir().unwrap();
    let p = write_raw(d.path(), "s", &[1.0f64, f64::INFINITY, f64::NAN]);
    let v = json(&["stats", s(&p), "--dtype", "f64", "--json"]);
    assert_eq!(
        (v["count"].as_u64(), v["nan_count"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (&v["sum"], &v["max"], &v["mean"]),
        (
            &Value::from("inf"),
            &Value::from("inf"),
            &Value::from("inf")
        )
    );
    assert_eq!(v["variance"], "NaN");
    let v = json(&["sum", s(&p), "--dtype", "f64", "--json"]);
    assert_eq!(v["sum"], "NaN");
    let m = write_raw(d.path(), "m", &[f64::NEG_INFINITY, -0.0]);
    let v = json(&["stats", s(&m), "--dtype", "f64", "--json", "--ddof", "2"]);
    assert_eq!(
        (&v["min"], &v["sum"]),
        (&Value::from("-inf"), &Value::from("-inf"))
    );
    assert_eq!(v["max"].to_string(), "-0.0");
    assert_eq!(
        (&v["variance"], &v["std_dev"]),
        (&Value::Null, &Value::Null)
    );

    let e = write_raw::<u8>(d.path(), "empty", &[]);
    let v = json(&["stats", s(&e), "--dtype", "u16", "--json"]);
    assert_eq!(v["count"].as_u64(), Some(0));
    assert_eq!(v["sum"].to_string(), "0");
    for k in ["min", "max", "mean", "variance", "std_dev"] {
        assert_eq!(v[k], Value::Null, "{k}");
    }
    let v = json(&["sum", s(&e), "--dtype", "f32", "--json"]);
    assert_eq!(v["sum"].to_string(), "0.0");

    // Finite magnitudes around 1e±300 whose variance overflows: "inf", not "NaN", whichever
    // chunks the huge values fall in.
    let huge: Vec<f64> = (0..70_000)
        .map(|i| if i % 3 == 0 { 1e300 } else { -2e300 })
        .collect();
    let h = write_raw(d.path(), "huge", &huge);
    let v = json(&["stats", s(&h), "--dtype", "f64", "--json"]);
    assert_eq!(
        (&v["variance"], &v["std_dev"]),
        (&Value::from("inf"), &Value::from("inf"))
    );
}

#[test]
fn bad_input_fails_with_one_line_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("missing.f64");
    let dir = d.path().to_str().unwrap();
    let odd = write_raw(d.path(), "odd", &[0u8; 12]);
    let npy = write_npy(d.path(), "i.npy", &[1i32, 2, 3]);
    let bad = d.path().join("bad.npy");
    std::fs::write(&bad, b"\x93NUMPY\x01\x00\x10\x00{'descr': 'zz'}").unwrap();
    let be = d.path().join("be.npy");
    let dict = b"{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}\n";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict);
    bytes.extend_from_slice(&[0; 8]);
    std::fs::write(&be, bytes).unwrap();
    let m = s(&missing);

    // Usage errors: exit 2.
    fails(&["stats", s(&odd)], 2, &[s(&odd), "needs --dtype"]);
    fails(&["stats", s(&odd), "--dtype", "f16"], 2, &["f16"]);
    fails(
        &["stats", s(&odd), "--dtype", "f32", "--threads", "0"],
        2,
        &["threads"],
    );
    fails(&["frobnicate"], 2, &["frobnicate"]);
    fails(
        &["sum", s(&odd), "--dtype", "f32", "--accuracy", "sloppy"],
        2,
        &["sloppy"],
    );
    fails(
        &[
            "gen",
            &format!("{dir}/n"),
            "--dtype",
            "i32",
            "--count",
            "5",
            "--dist",
            "normal",
        ],
        2,
        &["normal", "i32"],
    );
    // Everything else: exit 1.
    fails(&["stats", m, "--dtype", "f64"], 1, &[m, "No such file"]);
    fails(&["sum", m, "--dtype", "f64"], 1, &[m]);
    fails(&["stats", dir, "--dtype", "f64"], 1, &[dir, "directory"]);
    fails(
        &["stats", s(&odd), "--dtype", "f64"],
        1,
        &[s(&odd), "not a multiple of 8"],
    );
    fails(
        &["stats", s(&npy), "--dtype", "f64"],
        1,
        &[s(&npy), "holds i32", "--dtype"],
    );
    fails(&["stats", s(&bad)], 1, &[s(&bad), ".npy"]);
    fails(&["stats", s(&be)], 1, &[s(&be), "'>f8'"]);
    fails(
        &["gen", s(&odd), "--dtype", "u8", "--count", "3"],
        1,
        &[s(&odd), "exists"],
    );
    assert_eq!(
        std::fs::read(&odd).unwrap(),
        [0u8; 12],
        "an existing file is left alone"
    );
    fails(
        &[
            "gen",
            &format!("{dir}/no/such/dir.f64"),
            "--dtype",
            "f64",
            "--count",
            "3",
        ],
        1,
        &["no/such/dir.f64"],
    );
}

#[test]
fn gen_depends_on_the_seed_alone_and_writes_npy_or_raw() {
    let d = tempfile::tempdir().unwrap();
    let one = d.path().join("a.f64");
    let two = d.path().join("b.f64");
    for (p, t) in [(&one, "1"), (&two, "2")] {
        let out = shmkern(&[
            "gen",
            s(p),
            "--dtype",
            "f64",
            "--count",
            "200001",
            "--seed",
            "9",
            "--threads",
            t,
            "-q",
        ]);
        assert!(out.status.success());
        assert!(out.stdout.is_empty(), "--quiet prints nothing");
    }
    let a = std::fs::read(&one).unwrap();
    assert_eq!(a.len(), 8 * 200_001);
    assert_eq!(a, std::fs::read(&two).unwrap());
    let vals: &[f64] = bytemuck::cast_slice(&a);
    assert!(vals.iter().all(|&x| (0.0..1.0).contains(&x)));
    // Another seed, other values; --force replaces.
    let out = shmkern(&[
        "gen",
        s(&two),
        "--dtype",
        "f64",
        "--count",
        "10",
        "--seed",
        "10",
        "--force",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("wrote 10 f64 values"));
    assert_ne!(&std::fs::read(&two).unwrap()[..80], &a[..80]);

    for t in DType::ALL {
        let p = d.path().join(format!("ints-{t}.npy"));
        let out = shmkern(&[
            "gen",
            s(&p),
            "--dtype",
            t.name(),
            "--count",
            "5000",
            "--dist",
            "ints",
            "-q",
        ]);
        assert!(out.status.success(), "{t}");
        let v = json(&["stats", s(&p), "--json"]);
        assert_eq!(v["dtype"], t.name());
        assert_eq!(v["count"].as_u64(), Some(5000));
        let (lo, hi) = (f64_of(&v["min"]), f64_of(&v["max"]));
        assert!(lo >= -1000.0 && hi <= 1000.0 && lo < hi, "{t}: {lo}..{hi}");
    }
}

#[test]
fn demo_runs_and_reports_identical_results() {
    let out = shmkern(&["demo", "--size", "16M"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2097152 f64 values"), "{stdout}");
    assert!(stdout.contains("bit-identical"), "{stdout}");
    assert!(stdout.contains("speed-up"), "{stdout}");
    fails(&["demo", "--size", "lots"], 2, &["lots"]);
}

#[test]
fn human_output_names_the_file_and_the_values() {
    let d = tempfile::tempdir().unwrap();
    let p = write_npy(d.path(), "h.npy", &[1u8, 2, 3, 4]);
    let out = shmkern(&["stats", s(&p)]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    for want in [
        "h.npy (u8, 4 values",
        "count      4",
        "sum        10",
        "mean       2.5",
        "min        1",
        "variance   1.6666666666666667 (ddof 1)",
    ] {
        assert!(text.contains(want), "{text:?} should contain {want:?}");
    }
}

#[test]
fn numpy_files_read_when_numpy_is_installed() {
    let d = tempfile::tempdir().unwrap();
    let script = format!(
        "import numpy as np\n\
         np.save(r'{0}/a.npy', np.arange(1000, dtype='<f4') / 8)\n\
         np.save(r'{0}/b.npy', np.arange(-50, 50, dtype=np.int16).reshape(10, 10))\n",
        d.path().display()
    );
    let ran = Command::new("python3").args(["-c", &script]).output();
    match ran {
        Ok(o) if o.status.success() => {}
        _ => {
            println!("SKIPPED: python3 with NumPy is not available on this machine");
            return;
        }
    }
    let v = json(&["stats", &format!("{}/a.npy", d.path().display()), "--json"]);
    assert_eq!(
        (v["dtype"].as_str(), v["count"].as_u64()),
        (Some("f32"), Some(1000))
    );
    same_f64(&v["sum"], Some((0..1000).map(|i| i as f64 / 8.0).sum()));
    let v = json(&["sum", &format!("{}/b.npy", d.path().display()), "--json"]);
    assert_eq!(
        (v["dtype"].as_str(), v["sum"].to_string()),
        (Some("i16"), "-50".to_owned())
    );
}

/// The JSON without the keys that say how it was computed.
fn result_only(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    for k in ["threads", "processes", "seconds"] {
        o.remove(k);
    }
    v
}

#[test]
fn processes_give_the_in_process_json_bit_for_bit() {
    let d = tempfile::tempdir().unwrap();
    let f: Vec<f64> = (0..200_003)
        .map(|i| ((i as f64) * 0.91).cos() * 1e5 + if i % 777 == 3 { f64::NAN } else { 0.0 })
        .collect();
    let npy = write_npy(d.path(), "f.npy", &f);
    let ints: Vec<i32> = (0..100_001).map(|i| i32::MAX - i * 3).collect();
    let raw = write_raw(d.path(), "i.raw", &ints);
    // Without NaN, and cancelling, for the exact sum.
    let g: Vec<f64> = (0..200_003)
        .map(|i| ((i as f64) * 0.37).sin() * 1e12)
        .collect();
    let clean = write_npy(d.path(), "g.npy", &g);
    for (cmd, file, extra) in [
        (vec!["stats"], &npy, vec![]),
        (vec!["sum"], &npy, vec![]),
        (vec!["stats"], &raw, vec!["--dtype", "i32"]),
        (vec!["sum"], &raw, vec!["--dtype", "i32"]),
        (vec!["sum"], &clean, vec!["--accuracy", "exact"]),
        (vec!["reduce", "minmax"], &npy, vec!["--nan", "propagate"]),
        (vec!["reduce", "moments"], &npy, vec![]),
        (vec!["reduce", "norms"], &raw, vec!["--dtype", "i32"]),
    ] {
        let mut one = cmd.clone();
        one.extend([s(file), "--json", "-q"]);
        one.extend(&extra);
        let single = json(&one);
        for n in ["2", "3"] {
            let mut args = one.clone();
            args.extend(["--processes", n]);
            let v = json(&args);
            assert_eq!(
                v["processes"].as_u64(),
                Some(n.parse().unwrap()),
                "{args:?}"
            );
            assert_eq!(result_only(v), result_only(single.clone()), "{args:?}");
        }
    }
    // The job file lives in TMPDIR and is removed at the end.
    let tmp = d.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shmkern"))
        .args(["stats", s(&npy), "--processes", "2", "-q"])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    // Float sums in processes are fast or exact: compensated is a usage error, and so are the
    // two-column kernels.
    fails(
        &[
            "sum",
            s(&npy),
            "--processes",
            "2",
            "--accuracy",
            "compensated",
        ],
        2,
        &["--processes", "compensated"],
    );
    fails(
        &["reduce", "dot", s(&npy), s(&npy), "--processes", "2"],
        2,
        &["--processes", "dot"],
    );
}

#[test]
fn job_commands_run_a_job_started_by_hand() {
    let d = tempfile::tempdir().unwrap();
    let f: Vec<f32> = (0..150_000).map(|i| (i as f32 * 0.013).sin()).collect();
    let npy = write_npy(d.path(), "f.npy", &f);
    let job = d.path().join("f.job");
    let out = shmkern(&["job", "create", s(&job), s(&npy)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&job).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let status = json(&["job", "status", s(&job), "--json"]);
    assert_eq!(status["kind"], "stats");
    assert_eq!(status["done"].as_u64(), Some(0));
    assert_eq!(status["chunks"].as_u64(), Some(5));
    // Nobody works on it: waiting times out with one line and exit 1.
    fails(
        &["job", "wait", s(&job), "--timeout", "0.1"],
        1,
        &["timed out", "0 of 5"],
    );
    // Two participants started by hand, then the result, as `stats` prints it.
    let workers: Vec<_> = (0..2)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_shmkern"))
                .args(["job", "work", s(&job), "--threads", "1", "-q"])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut w in workers {
        assert!(w.wait().unwrap().success());
    }
    let waited = json(&["job", "wait", s(&job), "--json", "--ddof", "0"]);
    let direct = json(&["stats", s(&npy), "--json", "--ddof", "0", "-q"]);
    assert_eq!(result_only(waited), result_only(direct));
    assert_eq!(
        json(&["job", "status", s(&job), "--json"])["done"].as_u64(),
        Some(5)
    );
    // A job file is never replaced; a garbage one is refused with one line.
    fails(&["job", "create", s(&job), s(&npy)], 1, &[s(&job)]);
    let junk = write_raw(d.path(), "junk.job", &[7u8; 5000]);
    for sub in ["work", "wait", "status"] {
        fails(&["job", sub, s(&junk)], 1, &["junk.job", "not a job file"]);
    }
    // --mode widens on purpose; a mode that locks the owner out is a usage error.
    let wide = d.path().join("w.job");
    let out = shmkern(&[
        "job",
        "create",
        s(&wide),
        s(&npy),
        "--kind",
        "sum",
        "--mode",
        "640",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&wide).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
    fails(
        &[
            "job",
            "create",
            s(&d.path().join("x.job")),
            s(&npy),
            "--mode",
            "400",
        ],
        2,
        &["--mode"],
    );
}

/// Runs the command and fails the test if it has not exited after `bound` (a hang guard for inputs
/// that used to block forever: a generous bound, not a timing assertion).
fn shmkern_within(args: &[&str], bound: std::time::Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shmkern"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run shmkern");
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > bound {
            child.kill().unwrap();
            panic!("{args:?} still running after {bound:?}: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A FIFO, a pseudo-file and a missing file: each is refused at once with one line naming the
/// file and the real cause, exit status 1 — never a blocked open, never "0 values".
#[test]
fn unmappable_inputs_are_refused_at_once_naming_the_cause() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    let f = s(&fifo);
    let job = d.path().join("fifo.job");
    let missing = d.path().join("missing.bin");
    let bound = std::time::Duration::from_secs(30);
    let cases: [(&[&str], &[&str]); 8] = [
        (&["stats", f, "--dtype", "u8"], &[f, "not a regular file"]),
        (&["stats", f], &[f, "not a regular file"]),
        (&["sum", f, "--dtype", "f64"], &[f, "not a regular file"]),
        (&["job", "create", s(&job), f], &[f, "not a regular file"]),
        (&["job", "status", f], &[f, "not a regular file"]),
        (
            &["stats", "/proc/self/status", "--dtype", "u8"],
            &["/proc/self/status", "pseudo-file"],
        ),
        (&["stats", s(&missing)], &[s(&missing), "No such file"]),
        (&["sum", s(&missing)], &[s(&missing), "No such file"]),
    ];
    for (args, want) in cases {
        let out = shmkern_within(args, bound);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
        for w in want {
            assert!(stderr.contains(w), "{args:?}: {stderr:?} should name {w:?}");
        }
    }
    assert!(!job.exists(), "no job file is left for a refused data file");
}

/// A tmpfs of one page, mounted for one test and unmounted when dropped.
struct TinyFs(PathBuf);

impl TinyFs {
    /// `None` where this process may not mount (not root, or in a container without the right).
    fn mount(at: PathBuf) -> Option<TinyFs> {
        std::fs::create_dir(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4k", "tmpfs", s(&at)])
            .status()
            .is_ok_and(|st| st.success());
        ok.then_some(TinyFs(at))
    }
}

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Files are allocated before they are mapped: on a full file system `gen`, `job create` and
/// `--processes` (whose job file lives in TMPDIR) fail with one line naming the file and the cause,
/// exit status 1, and leave no file behind — rather than dying of SIGBUS at the first write.
#[test]
fn a_full_file_system_is_an_error_not_a_crash() {
    let d = tempfile::tempdir().unwrap();
    let Some(full) = TinyFs::mount(d.path().join("full")) else {
        eprintln!("skipped: cannot mount a tmpfs here (the test needs root)");
        return;
    };
    let dir = full.0.clone();
    let big = dir.join("big.f64");
    fails(
        &["gen", s(&big), "--dtype", "f64", "--count", "100000"],
        1,
        &[s(&big), "No space left"],
    );
    let data = write_raw(d.path(), "data.f64", &vec![0.5f64; 300_000]);
    let job = dir.join("data.job");
    fails(
        &["job", "create", s(&job), s(&data), "--dtype", "f64"],
        1,
        &[s(&job), "No space left"],
    );
    let out = Command::new(env!("CARGO_BIN_EXE_shmkern"))
        .args(["stats", s(&data), "--dtype", "f64", "--processes", "2"])
        .env("TMPDIR", &dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "--processes with a full TMPDIR: {stderr}"
    );
    assert!(stderr.contains("No space left"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr:?}");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(
        left.is_empty(),
        "files left on the full file system: {left:?}"
    );
}

/// `job create` creates its header under a temporary name of its own: files that happen to sit
/// beside the job file (the name an older version used included) are never touched, and an error
/// names the job file, not a temporary one.
#[test]
fn job_create_touches_no_file_it_did_not_create() {
    let d = tempfile::tempdir().unwrap();
    let data = write_raw(d.path(), "data.f64", &[1.0f64, 2.0, 3.0]);
    let job = d.path().join("x.job");
    let bystanders: Vec<PathBuf> = ["x.tmp-1", "x.job.tmp", ".x.job.tmp-1-0-0"]
        .iter()
        .map(|n| d.path().join(n))
        .collect();
    for b in &bystanders {
        std::fs::write(b, b"not ours").unwrap();
    }
    let v = shmkern(&["job", "create", s(&job), s(&data), "--dtype", "f64"]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    fails(
        &["job", "create", s(&job), s(&data), "--dtype", "f64"],
        1,
        &[s(&job), "exists"],
    );
    let nowhere = d.path().join("no/such/dir/y.job");
    let out = shmkern(&["job", "create", s(&nowhere), s(&data), "--dtype", "f64"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(s(&nowhere)) && !stderr.contains("y.job.tmp"),
        "{stderr}"
    );
    for b in &bystanders {
        assert_eq!(
            std::fs::read(b).unwrap(),
            b"not ours",
            "{} was touched",
            b.display()
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".x.job.tmp-1-0-0",
            "data.f64",
            "x.job",
            "x.job.tmp",
            "x.tmp-1"
        ]
    );
}

/// Command-line errors are one line naming the problem plus one line of usage, exit status 2;
/// a world-writable job file needs saying so; `demo` refuses a buffer larger than free memory.
#[test]
fn usage_errors_are_short_and_risky_requests_are_refused() {
    for (args, want) in [
        (&["frobnicate"][..], "frobnicate"),
        (&["stats"][..], "<FILE>"),
        (&["stats", "x", "--threads", "0"][..], "--threads"),
        (&["job", "wait", "x", "--timeout", "abc"][..], "abc"),
    ] {
        let out = shmkern(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(
            lines.len(),
            2,
            "{args:?}: error and usage lines: {stderr:?}"
        );
        assert!(
            lines[0].starts_with("shmkern: error: ") && lines[0].contains(want),
            "{stderr}"
        );
        assert!(
            lines[1].starts_with("shmkern: usage: ") && lines[1].contains("--help"),
            "{stderr}"
        );
    }
    let d = tempfile::tempdir().unwrap();
    let data = write_raw(d.path(), "data.f64", &[1.0f64, 2.0]);
    let job = d.path().join("w.job");
    for mode in ["666", "602", "777"] {
        fails(
            &[
                "job",
                "create",
                s(&job),
                s(&data),
                "--dtype",
                "f64",
                "--mode",
                mode,
            ],
            2,
            &["every user", "--world-writable"],
        );
        assert!(!job.exists(), "--mode {mode} created the job file anyway");
    }
    let ok = shmkern(&[
        "job",
        "create",
        s(&job),
        s(&data),
        "--dtype",
        "f64",
        "--mode",
        "666",
        "--world-writable",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = shmkern_within(
        &["demo", "--size", "1000000G"],
        std::time::Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("available"), "{stderr}");
}

/// Runs the command held for 2 s between mapping its files and reading them (the test hooks
/// `SHMKERN_TEST_DELAY_AFTER_MAP_MS` and `SHMKERN_TEST_MAPPED_MARKER`), with TMPDIR at `tmp`;
/// truncates `victim` to one page once the command says it has mapped it; returns what the
/// command printed and how it ended.
fn truncated_while_running(args: &[&str], tmp: &Path, victim: &Path) -> Output {
    let marker = victim.with_extension("mapped");
    let _ = std::fs::remove_file(&marker);
    let child = Command::new(env!("CARGO_BIN_EXE_shmkern"))
        .args(args)
        .env("SHMKERN_TEST_DELAY_AFTER_MAP_MS", "2000")
        .env("SHMKERN_TEST_MAPPED_MARKER", &marker)
        .env("TMPDIR", tmp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !marker.exists() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "the command never mapped its input"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(victim)
        .unwrap()
        .set_len(4096)
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Expects exit status 1 and one line on stderr holding every `want`.
fn one_line_error(what: &str, out: &Output, want: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: {:?}: {stderr}",
        out.status
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{what}: one line: {stderr:?}"
    );
    for w in want {
        assert!(
            stderr.contains(w),
            "{what}: {stderr:?} should contain {w:?}"
        );
    }
}

/// A file truncated while the command reads it: one line naming the file, exit status 1, never a
/// SIGBUS death; the job file of `--processes` is not left behind. (The test hook
/// `SHMKERN_TEST_DELAY_AFTER_MAP_MS` holds the command between mapping and reading.)
#[test]
fn a_file_truncated_under_the_command_is_an_error_not_a_crash() {
    let d = tempfile::tempdir().unwrap();
    let tmp = d.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let cases: [(&[&str], &str); 3] = [
        (&["stats"], "the file shrank"),
        (&["sum", "--processes", "2"], "a file shrank"),
        (
            &["stats", "--processes", "2", "--threads", "1"],
            "a file shrank",
        ),
    ];
    for (i, (args, want)) in cases.into_iter().enumerate() {
        let data = write_raw(d.path(), &format!("d{i}.f64"), &vec![0.25f64; 1 << 20]);
        let mut full = args.to_vec();
        full.extend([s(&data), "--dtype", "f64"]);
        let out = truncated_while_running(&full, &tmp, &data);
        one_line_error(&format!("{full:?}"), &out, &[s(&data), want]);
    }
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "job files left behind: {left:?}");
}

/// A job file truncated under `job work`: one line naming the job file, exit status 1.
#[test]
fn a_job_file_truncated_under_job_work_is_an_error_not_a_crash() {
    let d = tempfile::tempdir().unwrap();
    let data = write_raw(d.path(), "d.f64", &vec![0.75f64; 1 << 20]);
    let job = d.path().join("d.job");
    let made = shmkern(&["job", "create", s(&job), s(&data), "--dtype", "f64"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = truncated_while_running(&["job", "work", s(&job), "--quiet"], d.path(), &job);
    one_line_error("job work", &out, &[s(&job), "shrank"]);
}

/// `--processes` unlinks its job file at once (the helpers attach through an inherited
/// descriptor), so even a command killed with SIGKILL leaves no job file behind.
#[test]
fn processes_leave_no_job_file_even_when_killed() {
    let d = tempfile::tempdir().unwrap();
    let tmp = d.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let data = write_raw(d.path(), "d.f64", &vec![0.5f64; 1 << 20]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_shmkern"))
        .args(["stats", s(&data), "--dtype", "f64", "--processes", "2"])
        .env("SHMKERN_TEST_DELAY_AFTER_MAP_MS", "2000")
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().unwrap(); // SIGKILL: no destructor runs
    child.wait().unwrap();
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "job files left behind: {left:?}");
}

/// `describe` and `quantile`: pandas' fields plus NaN count, skewness and kurtosis; numpy's
/// quantiles over the non-NaN values, keyed as given; integers keep their type in min and max.
/// (cli/tests/numpy.rs compares both with numpy on larger files.)
#[test]
fn describe_and_quantile_print_their_fields() {
    let d = tempfile::tempdir().unwrap();
    let p = write_raw(d.path(), "x", &[1.0f64, 2.0, f64::NAN, 3.0, 10.0]);
    let v = json(&["describe", s(&p), "--dtype", "f64", "--json"]);
    assert_eq!(
        (v["count"].as_u64(), v["nan_count"].as_u64()),
        (Some(4), Some(1))
    );
    for (k, want) in [
        ("mean", 4.0),
        ("min", 1.0),
        ("q25", 1.75),
        ("q50", 2.5),
        ("q75", 4.75),
        ("max", 10.0),
    ] {
        assert_eq!(v[k].as_f64(), Some(want), "{k}");
    }
    assert_eq!(v["std"].as_f64(), Some((50.0f64 / 3.0).sqrt()));
    assert!((v["skewness"].as_f64().unwrap() - 1.0182337649086284).abs() < 1e-15);
    assert!((v["kurtosis"].as_f64().unwrap() + 0.7696).abs() < 1e-15);
    let text = String::from_utf8(shmkern(&["describe", s(&p), "--dtype", "f64"]).stdout).unwrap();
    assert!(text.contains("q50") && text.contains("kurtosis"), "{text}");

    let v = json(&[
        "quantile",
        s(&p),
        "--dtype",
        "f64",
        "0.5",
        "1",
        "0.10",
        "--json",
    ]);
    assert_eq!(v["quantiles"]["0.5"].as_f64(), Some(2.5));
    assert_eq!(v["quantiles"]["1"].as_f64(), Some(10.0));
    assert_eq!(v["quantiles"]["0.10"].as_f64(), Some(1.3));

    let i = write_raw(d.path(), "i", &[i64::MAX, -5, 0]);
    let v = json(&["describe", s(&i), "--dtype", "i64", "--json"]);
    assert_eq!(v["max"].to_string(), i64::MAX.to_string());
    let e = write_raw::<f32>(d.path(), "e", &[]);
    let v = json(&["describe", s(&e), "--dtype", "f32", "--json"]);
    for k in ["mean", "std", "min", "q50", "max", "skewness", "kurtosis"] {
        assert_eq!(v[k], Value::Null, "{k}");
    }

    fails(
        &["quantile", s(&p), "--dtype", "f64", "1.5"],
        2,
        &["\"1.5\" is not a quantile from 0 to 1"],
    );
    fails(&["quantile", s(&p), "--dtype", "f64"], 2, &["<Q>"]);
    fails(
        &["describe", s(&p), "--dtype", "f64", "--processes", "2"],
        2,
        &["describe runs in one process"],
    );
    fails(
        &["describe", "/nonexistent/x.npy"],
        1,
        &["/nonexistent/x.npy"],
    );
}

/// `hist`: numpy's edges and counts, outliers and NaNs apart, a bar chart as text; bad bins and
/// ranges are errors naming them.
#[test]
fn hist_prints_counts_and_a_chart() {
    let d = tempfile::tempdir().unwrap();
    let p = write_raw(d.path(), "h", &[1.0f64, 2.0, 2.0, 3.0, f64::NAN, 9.0]);
    let v = json(&[
        "hist",
        s(&p),
        "--dtype",
        "f64",
        "--bins",
        "4",
        "--range",
        "1",
        "3",
        "--json",
    ]);
    assert_eq!(v["edges"], serde_json::json!([1.0, 1.5, 2.0, 2.5, 3.0]));
    assert_eq!(v["counts"], serde_json::json!([1, 0, 2, 1]));
    assert_eq!(
        (
            v["below"].as_u64(),
            v["above"].as_u64(),
            v["nan_count"].as_u64()
        ),
        (Some(0), Some(1), Some(1))
    );
    let v = json(&["hist", s(&p), "--dtype", "f64", "--bins", "2", "--json"]);
    assert_eq!(v["edges"], serde_json::json!([1.0, 5.0, 9.0]));
    let out = shmkern(&[
        "hist",
        s(&p),
        "--dtype",
        "f64",
        "--bins",
        "2",
        "--range",
        "-1",
        "3",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    // 1.0 lies on the edge that opens the second bin.
    assert!(text.contains("[-1.0, 1.0)  0\n"), "{text}");
    assert!(
        text.contains("[1.0, 3.0]   4  ########################################\n"),
        "{text}"
    );
    fails(
        &["hist", s(&p), "--dtype", "f64", "--bins", "0"],
        2,
        &["--bins"],
    );
    fails(
        &[
            "hist",
            s(&p),
            "--dtype",
            "f64",
            "--bins",
            "3",
            "--range",
            "2",
            "1",
        ],
        1,
        &["range 2..1 must be finite"],
    );
    let inf = write_raw(d.path(), "inf", &[1.0f64, f64::INFINITY]);
    fails(
        &["hist", s(&inf), "--dtype", "f64", "--bins", "3"],
        1,
        &["give a range"],
    );
}

/// `reduce`: each kernel's fields; two files for dot and covariance, one for the others; unequal
/// lengths, a float-only kernel on integers and a wrong file count are errors naming the cause.
#[test]
fn reduce_runs_each_kernel() {
    let d = tempfile::tempdir().unwrap();
    let x = write_raw(d.path(), "x", &[3.0f64, -1.0, f64::NAN, 7.0, -1.0]);
    let y = write_raw(d.path(), "y", &[1.0f64, 2.0, 3.0, 4.0]);
    let z = write_raw(d.path(), "z", &[2.0f64, 4.0, 6.0, 9.0]);
    let v = json(&["reduce", "minmax", s(&x), "--dtype", "f64", "--json"]);
    assert_eq!(
        (v["argmin"].as_u64(), v["argmax"].as_u64()),
        (Some(1), Some(3))
    );
    assert_eq!(
        (v["min"].as_f64(), v["max"].as_f64()),
        (Some(-1.0), Some(7.0))
    );
    let v = json(&[
        "reduce",
        "moments",
        s(&y),
        "--dtype",
        "f64",
        "--json",
        "--ddof",
        "0",
    ]);
    assert_eq!(
        (v["mean"].as_f64(), v["variance"].as_f64()),
        (Some(2.5), Some(1.25))
    );
    let v = json(&["reduce", "norms", s(&y), "--dtype", "f64", "--json"]);
    assert_eq!(
        (v["l1"].as_f64(), v["linf"].as_f64()),
        (Some(10.0), Some(4.0))
    );
    let v = json(&["reduce", "dot", s(&y), s(&z), "--dtype", "f64", "--json"]);
    assert_eq!(v["dot"].as_f64(), Some(64.0));
    // One lane's cancellation: the fast dot loses the 1, the exact one keeps it.
    let mut c = vec![0.0f64; 33];
    (c[0], c[16], c[32]) = (1e16, 1.0, -1e16);
    let (c, ones) = (
        write_raw(d.path(), "c", &c),
        write_raw(d.path(), "ones", &[1.0f64; 33]),
    );
    let dot = |extra: &[&str]| {
        let mut a = vec!["reduce", "dot", s(&c), s(&ones), "--dtype", "f64", "--json"];
        a.extend(extra);
        let v = json(&a);
        (v["dot"].as_f64(), v["accuracy"].as_str().map(str::to_owned))
    };
    assert_eq!(dot(&[]), (Some(0.0), Some("fast".into())));
    assert_eq!(dot(&["--exact"]), (Some(1.0), Some("exact".into())));
    fails(
        &[
            "reduce",
            "dot",
            s(&c),
            s(&ones),
            "--dtype",
            "f64",
            "--exact",
            "--compensated",
        ],
        2,
        &["--exact"],
    );
    let v = json(&[
        "reduce",
        "covariance",
        s(&y),
        s(&z),
        "--dtype",
        "f64",
        "--json",
    ]);
    assert_eq!(v["covariance"].as_f64(), Some(11.5 / 3.0));
    fails(
        &["reduce", "dot", s(&x), s(&y), "--dtype", "f64"],
        1,
        &["5 values", "4", "equally long"],
    );
    fails(
        &["reduce", "dot", s(&y), "--dtype", "f64"],
        2,
        &["give two files"],
    );
    fails(
        &["reduce", "norms", s(&y), s(&z), "--dtype", "f64"],
        2,
        &["one too many"],
    );
    let i = write_raw(d.path(), "i", &[1i32, 2]);
    fails(
        &["reduce", "dot", s(&i), s(&i), "--dtype", "i32"],
        1,
        &["float columns"],
    );
    fails(
        &["reduce", "argmax", s(&y), "--dtype", "f64"],
        2,
        &["argmax"],
    );
}

/// `reduce group-stats`: each group's count, NaNs, sum and extremes against a scan in the test
/// (sums of eighths: exact), the same JSON on 1 to 3 threads, empty groups as nulls, keys and values
/// of different types (a raw value file with `--dtype2`); bad keys and columns are errors naming
/// the cause.
#[test]
fn reduce_group_stats_per_key() {
    let d = tempfile::tempdir().unwrap();
    let n = 100_003usize;
    let keys: Vec<u16> = (0..n).map(|i| ((i * 7919) % 13) as u16).collect();
    let values: Vec<f64> = (0..n)
        .map(|i| {
            if i % 101 == 0 {
                f64::NAN
            } else {
                ((i * 31) % 1000) as f64 / 8.0 - 60.0
            }
        })
        .collect();
    let (k, v) = (
        write_npy(d.path(), "k.npy", &keys),
        write_raw(d.path(), "v", &values),
    );
    let run = |threads: &str, extra: &[&str]| {
        let mut a = vec![
            "reduce",
            "group-stats",
            s(&k),
            s(&v),
            "--dtype2",
            "f64",
            "--json",
        ];
        a.extend(["--threads", threads]);
        a.extend(extra);
        json(&a)
    };
    let one = run("1", &[]);
    let groups = one["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 13);
    for (g, got) in groups.iter().enumerate() {
        let rows = || (0..n).filter(|&i| keys[i] as usize == g);
        let vals: Vec<f64> = rows().map(|i| values[i]).filter(|x| !x.is_nan()).collect();
        assert_eq!(got["key"].as_u64(), Some(g as u64));
        assert_eq!(got["count"].as_u64(), Some(vals.len() as u64), "group {g}");
        let nans = rows().filter(|&i| values[i].is_nan()).count() as u64;
        assert_eq!(got["nan_count"].as_u64(), Some(nans), "group {g}");
        assert_eq!(
            got["sum"].as_f64(),
            Some(vals.iter().sum::<f64>()),
            "group {g}"
        );
        let min = vals.iter().copied().fold(f64::INFINITY, f64::min);
        let max = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(
            (got["min"].as_f64(), got["max"].as_f64()),
            (Some(min), Some(max))
        );
    }
    for threads in ["2", "3"] {
        assert_eq!(
            run(threads, &[])["groups"],
            one["groups"],
            "{threads} threads"
        );
    }
    let wide = run("2", &["--groups", "20"]);
    let wide = wide["groups"].as_array().unwrap();
    assert_eq!(wide.len(), 20);
    assert_eq!(wide[..13], groups[..]);
    assert_eq!(
        (wide[19]["count"].as_u64(), wide[19]["mean"].is_null()),
        (Some(0), true)
    );
    // The text table: a header and a row a group.
    let out = shmkern(&[
        "reduce",
        "group-stats",
        s(&k),
        s(&v),
        "--dtype2",
        "f64",
        "-q",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("key  count")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("12 ")),
        "{text}"
    );
    // Errors.
    let fk = write_raw(d.path(), "fk", &[0.0f64, 1.0]);
    let two = write_raw(d.path(), "two", &[1.0f64, 2.0]);
    fails(
        &[
            "reduce",
            "group-stats",
            s(&fk),
            s(&two),
            "--dtype",
            "f64",
            "--dtype2",
            "f64",
        ],
        1,
        &["fk", "integer keys"],
    );
    fails(
        &["reduce", "group-stats", s(&k), s(&two), "--dtype2", "f64"],
        1,
        &["100003 keys", "2 values", "equally long"],
    );
    fails(
        &[
            "reduce",
            "group-stats",
            s(&k),
            s(&v),
            "--dtype2",
            "f64",
            "--groups",
            "5",
        ],
        1,
        &["key 6 at row 3", "0..5"],
    );
    fails(&["reduce", "group-stats", s(&k), s(&v)], 2, &["--dtype2"]);
    fails(&["reduce", "group-stats", s(&k)], 2, &["give two files"]);
    fails(
        &[
            "reduce",
            "group-stats",
            s(&k),
            s(&v),
            "--dtype2",
            "f64",
            "--processes",
            "2",
        ],
        2,
        &["one process"],
    );
}

/// `job create --kind` for the kernels beyond stats and sum: a participant started by hand, then
/// `job wait` prints what the in-process command prints.
#[test]
fn job_kinds_print_the_in_process_results() {
    let d = tempfile::tempdir().unwrap();
    let f: Vec<f64> = (0..100_003)
        .map(|i| ((i as f64) * 0.61).sin() * 1e9 + if i % 999 == 7 { f64::NAN } else { 0.0 })
        .collect();
    let g: Vec<f64> = f
        .iter()
        .map(|v| if v.is_nan() { 0.5 } else { *v })
        .collect();
    let (npy, clean) = (
        write_npy(d.path(), "f.npy", &f),
        write_npy(d.path(), "g.npy", &g),
    );
    for (kind, file, single) in [
        ("minmax", &npy, vec!["reduce", "minmax"]),
        ("moments", &npy, vec!["reduce", "moments"]),
        ("norms", &clean, vec!["reduce", "norms"]),
        ("sum-exact", &clean, vec!["sum", "--accuracy", "exact"]),
    ] {
        let job = d.path().join(format!("{kind}.job"));
        let out = shmkern(&["job", "create", s(&job), s(file), "--kind", kind]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = shmkern(&["job", "work", s(&job), "--quiet"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let waited = json(&["job", "wait", s(&job), "--json"]);
        let mut args = single.clone();
        args.extend([s(file), "--json", "-q"]);
        assert_eq!(result_only(waited), result_only(json(&args)), "{kind}");
    }
    // Integers sum exactly already: an exact-sum job over them is a usage error.
    let ints = write_raw(d.path(), "i.raw", &[1i32, 2, 3]);
    let job = d.path().join("i.job");
    fails(
        &[
            "job",
            "create",
            s(&job),
            s(&ints),
            "--dtype",
            "i32",
            "--kind",
            "sum-exact",
        ],
        2,
        &["sum-exact", "i32"],
    );
}
