//! Several processes cooperating on one data file — what Node.js's `cluster` module does with
//! forked workers, done with a shmkern cross-process job.
//!
//! ```sh
//! cargo run --release --example multiprocess
//! ```
//!
//! The parent writes 16 Mi f64 values (128 MiB) to a `.npy` file in a fresh temporary directory and
//! creates a job for their `stats` (`Job::create`). It then starts three helper processes — itself
//! again (`std::env::current_exe()`) with the arguments `worker JOB_PATH` — which attach to the job
//! (`Job::attach`) and claim and compute chunks of it (`Job::work`), each with a one-thread pool, as
//! the parent does too. The parent waits for every chunk (`Job::wait_stats`) and for the helpers to
//! exit, then removes the directory.
//!
//! Checks (a panic, so a non-zero exit, on failure): every helper exits successfully, and the
//! job's merged result is bit-identical to `Pool::stats` over the same data in one process.

use shmkern::job::{Job, JobKind};
use shmkern::{Pool, SharedBuffer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Values in the data file: 16 Mi f64, 128 MiB.
const LEN: usize = 16 << 20;
/// Processes working on the job: the parent and `PROCESSES - 1` helpers.
const PROCESSES: usize = 4;
/// How long the parent waits for the job before it gives up.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A temporary directory, removed with everything in it when dropped (also when a check panics).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Value `i` of the data set: pseudo-random in [-1, 1), from a hash of the index, so any thread
/// can make any value.
fn value(i: u64) -> f64 {
    let mut x = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// A helper process: attach to the job and work until every chunk is done.
fn worker(job_path: &Path) -> Result<(), shmkern::Error> {
    let start = Instant::now();
    // SAFETY: the parent wrote the data file before it created the job and never modifies it
    // again; every participant only reads it.
    let job = unsafe { Job::attach(job_path)? };
    let joined = job.status();
    job.work(&Pool::builder().threads(1).build()?)?;
    println!(
        "  helper {}: joined with {} of {} chunks done, left {:.0} ms after start with all done",
        std::process::id(),
        joined.done,
        joined.chunks,
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, job_path] = &args[..] {
        if role == "worker" {
            return Ok(worker(Path::new(job_path))?);
        }
    }

    let dir =
        TempDir(std::env::temp_dir().join(format!("shmkern-multiprocess-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0)?;
    let (data_path, job_path) = (dir.0.join("data.npy"), dir.0.join("data.job"));

    let pool = Pool::new()?;
    let mut data = SharedBuffer::<f64>::create_npy(&data_path, LEN)?;
    pool.for_each_chunk_mut(&mut data, shmkern::sched::CHUNK_LEN, |first, chunk| {
        for (i, x) in chunk.iter_mut().enumerate() {
            *x = value((first + i) as u64);
        }
    })?;
    println!(
        "{} Mi f64 values in {}; {PROCESSES} processes with one thread each",
        LEN >> 20,
        data_path.display()
    );

    let start = Instant::now();
    // SAFETY: the data file is complete, and nothing writes it from here on: `data` is only read
    // below, and the helpers only read it.
    let job = unsafe { Job::create(&job_path, &data_path, None, JobKind::Stats)? };
    let exe = std::env::current_exe()?;
    let mut helpers = (1..PROCESSES)
        .map(|_| Command::new(&exe).arg("worker").arg(&job_path).spawn())
        .collect::<Result<Vec<_>, _>>()?;
    job.work(&Pool::builder().threads(1).build()?)?;
    let stats = job.wait_stats::<f64>(TIMEOUT)?;
    let elapsed = start.elapsed();
    for helper in &mut helpers {
        let status = helper.wait()?;
        assert!(status.success(), "a helper process failed: {status}");
    }

    println!(
        "job done in {:.0} ms: count {}, mean {:.9}, min {:.6}, max {:.6}, variance {:.9}",
        elapsed.as_secs_f64() * 1e3,
        stats.count(),
        stats.mean().expect("values"),
        stats.min().expect("values"),
        stats.max().expect("values"),
        stats.variance(1).expect("values")
    );
    assert_eq!(
        stats,
        pool.stats(&data),
        "the job's result differs from Pool::stats"
    );
    println!(
        "checked: {} helpers exited successfully; the job's result is bit-identical to Pool::stats \
         in one process",
        PROCESSES - 1
    );
    Ok(()) // `dir`, declared first, is dropped last: the files are removed after being unmapped
}
