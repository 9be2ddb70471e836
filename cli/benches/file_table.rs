//! `cargo bench -p shmkern-cli --bench file_table`: stats over a file in the page cache, through
//! the `shmkern` command and through the library, against the library's in-memory `stats`; the
//! effect of the access hints and of pre-faulting; the command's memory beyond the mapped file;
//! `--processes 2` (a cross-process job) against 2 threads in one process.
//!
//! Sizes: `SHMKERN_FILE_MIB` MiB of f64 (default 1024). Uses about twice that in memory (the
//! in-memory copy and the file's page cache) and as much disk in the temporary directory.

#[path = "../../benches/common/report.rs"]
mod report;

use shmkern::buffer::{Hint, ReadOnly};
use shmkern::{Pool, SharedBuffer};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const REPS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    report::stats(std::mem::take(&mut v)).median
}

/// Seconds of `f`, median of `REPS` runs.
fn time(mut f: impl FnMut()) -> f64 {
    median(
        (0..REPS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// Runs `shmkern stats FILE --json -q --threads T`; returns (its own "seconds", the process's wall
/// time, its RssAnon in KiB).
fn command(file: &Path, threads: usize) -> (f64, f64, u64) {
    let (seconds, wall, anon, _) = run_json(file, &["stats", "--threads", &threads.to_string()]);
    (seconds, wall, anon)
}

/// Runs `shmkern CMD FILE --json -q ARGS…` (`args[0]` is the command); returns (its own "seconds",
/// the process's wall time, its RssAnon in KiB, the JSON without how-it-ran keys).
fn run_json(file: &Path, args: &[&str]) -> (f64, f64, u64, serde_json::Value) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_shmkern"))
        .arg(args[0])
        .args([file.to_str().unwrap(), "--json", "-q"])
        .args(&args[1..])
        .env("SHMKERN_REPORT_MEMORY", "1")
        .output()
        .expect("run shmkern");
    let wall = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let anon = stderr
        .split_whitespace()
        .find_map(|w| w.strip_prefix("RssAnon="))
        .and_then(|k| k.parse().ok())
        .unwrap_or(0);
    let seconds = v["seconds"].as_f64().unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["seconds", "threads", "processes"] {
        o.remove(k);
    }
    (seconds, wall, anon, v)
}

/// One table row: time, GB/s and the speed ratio against `base` seconds.
fn print_row(name: &str, s: f64, bytes: f64, base: f64) {
    println!(
        "| {name} | {:.1} | {:.1} | {:.2}× |",
        s * 1e3,
        bytes / s / 1e9,
        base / s
    );
}

fn main() {
    let started = Instant::now();
    let mib: usize = std::env::var("SHMKERN_FILE_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let len = mib << 17;
    let bytes = (len * 8) as f64;
    let pool = Pool::new().unwrap();
    let threads = pool.threads();
    report::print_header(
        &report::machine(),
        &format!(
            "median of {REPS} runs; {mib} MiB of f64 ({len} values); {threads} threads; the file \
             is in the page cache (written just before, then read once)"
        ),
    );

    let data: Vec<f64> = (0..len).map(|i| ((i % 9973) as f64).sin()).collect();
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("data.npy");
    SharedBuffer::<f64>::create_npy(&npy, len)
        .unwrap()
        .copy_from_slice(&data);
    let want = pool.stats(&data);
    // SAFETY (here and below): the bench's own file, not written while mapped.
    // SAFETY: the bench's own file, not written while mapped.
    let mapped = unsafe { SharedBuffer::<f64, ReadOnly>::open_npy(&npy) }.unwrap();
    assert_eq!(pool.stats(&mapped), want);

    report::section(|| {
        println!("| stats over {mib} MiB of f64 | ms | GB/s | ÷ in-memory |");
        println!("|---|---:|---:|---:|");
        let base = time(|| assert_eq!(pool.stats(&data), want));
        let row = |name: &str, s: f64| print_row(name, s, bytes, base);
        row("library, in memory (`Vec<f64>`)", base);
        row(
            "library, file mapped once (page tables warm)",
            time(|| assert_eq!(pool.stats(&mapped), want)),
        );
        let fresh = |prepare: &dyn Fn(&SharedBuffer<f64, ReadOnly>)| {
            time(|| {
                // SAFETY: the bench's own file, not written while mapped.
                let m = unsafe { SharedBuffer::<f64, ReadOnly>::open_npy(&npy) }.unwrap();
                prepare(&m);
                assert_eq!(pool.stats(&m), want);
            })
        };
        row("library, map + stats (no hint)", fresh(&|_| {}));
        row(
            "library, map + `Hint::Sequential` + stats",
            fresh(&|m| m.advise(Hint::Sequential).unwrap()),
        );
        row(
            "library, map + `Hint::WillNeed` + stats",
            fresh(&|m| m.advise(Hint::WillNeed).unwrap()),
        );
        row(
            "library, map + `populate()` + stats",
            fresh(&|m| m.populate().unwrap()),
        );
        let runs: Vec<(f64, f64, u64)> = (0..REPS).map(|_| command(&npy, threads)).collect();
        let own = median(runs.iter().map(|r| r.0).collect());
        let wall = median(runs.iter().map(|r| r.1).collect());
        row(
            "`shmkern stats data.npy` (its reported seconds: map + stats)",
            own,
        );
        row("`shmkern stats data.npy` (whole process, wall clock)", wall);
        let anon = runs.iter().map(|r| r.2).max().unwrap_or(0);
        println!();
        println!(
            "`shmkern stats` resident memory beyond the mapped file (RssAnon, largest of {REPS} \
             runs): {:.1} MiB",
            anon as f64 / 1024.0
        );
    });

    report::section(|| {
        // Cross-process jobs: the same work in 2 processes of 1 thread (a job over the file)
        // against 1 process of 2 threads. Runs alternate, so drifting load hits both alike; every
        // run's result must be the same JSON.
        println!(
            "| {mib} MiB of f64 in the page cache | ms (own) | ms (wall) | GB/s (wall) | ÷ threads |"
        );
        println!("|---|---:|---:|---:|---:|");
        for cmd in ["stats", "sum"] {
            let threads = ["--threads", "2"];
            let procs = ["--processes", "2", "--threads", "1"];
            let mut runs: [Vec<(f64, f64)>; 2] = [vec![], vec![]];
            let mut first = None;
            for _ in 0..REPS {
                for (i, extra) in [&threads[..], &procs[..]].into_iter().enumerate() {
                    let mut args = vec![cmd];
                    args.extend(extra);
                    let (own, wall, _, v) = run_json(&npy, &args);
                    match &first {
                        None => first = Some(v),
                        Some(f) => assert_eq!(&v, f, "{args:?} changed the result"),
                    }
                    runs[i].push((own, wall));
                }
            }
            let med = |i: usize, f: fn(&(f64, f64)) -> f64| median(runs[i].iter().map(f).collect());
            let base = med(0, |r| r.1);
            for (i, name) in [
                format!("`shmkern {cmd} data.npy --threads 2`"),
                format!("`shmkern {cmd} data.npy --processes 2 --threads 1`"),
            ]
            .iter()
            .enumerate()
            {
                let (own, wall) = (med(i, |r| r.0), med(i, |r| r.1));
                println!(
                    "| {name} | {:.1} | {:.1} | {:.1} | {:.2}× |",
                    own * 1e3,
                    wall * 1e3,
                    bytes / wall / 1e9,
                    base / wall
                );
            }
        }
    });

    report::section(|| {
        println!("| stats over {mib} MiB of f64, anonymous memory | ms | GB/s | ÷ `Vec` |");
        println!("|---|---:|---:|---:|");
        let base = time(|| assert_eq!(pool.stats(&data), want));
        let row = |name: &str, s: f64| print_row(name, s, bytes, base);
        row("`Vec<f64>`", base);
        let mut anon = SharedBuffer::<f64>::anonymous(len).unwrap();
        anon.copy_from_slice(&data);
        row(
            "`SharedBuffer::anonymous` (memfd)",
            time(|| assert_eq!(pool.stats(&anon), want)),
        );
        let mut huge = SharedBuffer::<f64>::anonymous(len).unwrap();
        huge.advise(Hint::HugePages).unwrap();
        huge.copy_from_slice(&data);
        row(
            "`SharedBuffer::anonymous` + `Hint::HugePages`",
            time(|| assert_eq!(pool.stats(&huge), want)),
        );
        println!();
        println!(
            "(transparent huge pages: {}; shmem: {})",
            report::thp_mode(),
            std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/shmem_enabled")
                .unwrap_or_default()
                .trim()
        );
    });
    report::print_total(started);
}
