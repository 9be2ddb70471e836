//! Cross-process jobs with real processes: three processes give the single-process `stats` bit for
//! bit; one of three killed with SIGKILL mid-job, and the job still completes with the same bits;
//! a late attacher gets the result at once; `attach` rejects corrupt files without panicking.
//!
//! The test binary re-runs itself as the helper processes: `child_worker` does nothing unless
//! [`ROLE_ENV`] is set, in which case it attaches to the job at [`PATH_ENV`] and works on it.
#![cfg(all(target_os = "linux", not(shmkern_loom)))]

use proptest::prelude::*;
use shmkern::buffer::DType;
use shmkern::job::{Job, JobKernel, JobKind, Registry};
use shmkern::kernels::{
    run_sequential, Accuracy, ChunkAt, ExactMoments, ExactSum, Kernel, MinMax, Moments, Prefetch,
};
use shmkern::{sched::CHUNK_LEN, Pool, SharedBuffer, Stats};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROLE_ENV: &str = "SHMKERN_JOB_ROLE";
const PATH_ENV: &str = "SHMKERN_JOB_PATH";
const DELAY_ENV: &str = "SHMKERN_JOB_DELAY_MS";

#[test]
fn child_worker() {
    if std::env::var(ROLE_ENV).is_err() {
        return;
    }
    let path = PathBuf::from(std::env::var(PATH_ENV).unwrap());
    // SAFETY: the parent test does not modify the data file while the job runs.
    let mut job = unsafe { Job::attach(&path) }.unwrap();
    let delay: u64 = std::env::var(DELAY_ENV).unwrap().parse().unwrap();
    job.set_chunk_delay(Duration::from_millis(delay));
    let pool = Pool::builder().threads(1).build().unwrap();
    job.work_with(&pool, &registry()).unwrap();
}

/// The helpers' kernels: the built-in ones and this test's own [`Checksum`].
fn registry() -> Registry {
    let mut r = Registry::builtin();
    r.register::<Checksum>();
    r
}

/// A kernel defined outside the library: a seeded, position-weighted checksum of `u32`s and the
/// first position of the largest value, with a 24-byte partial (three words; the built-in kinds
/// use one, two or ten) and a parameter (the seed).
struct Checksum {
    seed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
struct Sums {
    weighted: u64,
    max: u64,
    max_at: u64,
}

impl Kernel for Checksum {
    type Input<'a> = &'a [u32];
    type Partial = Sums;
    type Output = Sums;
    fn chunk(&self, at: ChunkAt, x: &[u32]) -> Sums {
        let mut s = Sums {
            weighted: 0,
            max: 0,
            max_at: u64::MAX,
        };
        for (i, &v) in x.iter().enumerate() {
            let pos = (at.offset + i) as u64;
            s.weighted = s
                .weighted
                .wrapping_add((u64::from(v) ^ self.seed).wrapping_mul(pos + 1));
            if s.max_at == u64::MAX || u64::from(v) > s.max {
                (s.max, s.max_at) = (u64::from(v), pos);
            }
        }
        s
    }
    fn merge(&self, l: Sums, r: Sums) -> Sums {
        let right = r.max_at != u64::MAX && (l.max_at == u64::MAX || r.max > l.max);
        Sums {
            weighted: l.weighted.wrapping_add(r.weighted),
            max: if right { r.max } else { l.max },
            max_at: if right { r.max_at } else { l.max_at },
        }
    }
    fn finish(&self, s: Sums) -> Sums {
        s
    }
}

impl JobKernel for Checksum {
    type Elem = u32;
    const NAME: &'static str = "tests.checksum";
    fn params(&self) -> Vec<u8> {
        self.seed.to_le_bytes().to_vec()
    }
    fn from_params(p: &[u8], _: &[u32], _: &Pool) -> Result<Self, String> {
        let seed = p
            .try_into()
            .map_err(|_| format!("{} parameter bytes, not 8", p.len()))?;
        Ok(Checksum {
            seed: u64::from_le_bytes(seed),
        })
    }
}

fn spawn_worker(job: &Path, delay_ms: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_worker", "--test-threads=1"])
        .env(ROLE_ENV, "work")
        .env(PATH_ENV, job)
        .env(DELAY_ENV, delay_ms.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// `n` f64 values with a NaN now and then, written as `.npy`; returns the path and the values.
fn data(dir: &Path, n: usize) -> (PathBuf, Vec<f64>) {
    let v: Vec<f64> = (0..n)
        .map(|i| {
            if i % 9999 == 5 {
                f64::NAN
            } else {
                ((i as f64) * 0.731).sin() * 1e6
            }
        })
        .collect();
    let p = dir.join("data.npy");
    SharedBuffer::<f64>::create_npy(&p, n)
        .unwrap()
        .copy_from_slice(&v);
    (p, v)
}

fn expected(v: &[f64]) -> Stats<f64> {
    Pool::builder().threads(2).build().unwrap().stats(v)
}

#[test]
fn three_processes_give_the_single_process_result_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 37 * CHUNK_LEN + 123);
    let job_path = dir.path().join("j.job");
    // SAFETY: the test's own data file; nothing modifies it.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    let mut kids: Vec<Child> = (0..2).map(|_| spawn_worker(&job_path, 1)).collect();
    job.work(&Pool::builder().threads(1).build().unwrap())
        .unwrap();
    let got = job.wait_stats::<f64>(Duration::from_secs(10)).unwrap();
    for k in &mut kids {
        assert!(k.wait().unwrap().success());
    }
    assert_eq!(got, expected(&v));
    assert_eq!(job.status().done, 38);
}

/// A timeout too long for the clock (`Duration::MAX`) means no deadline, not a panic.
#[test]
fn an_unrepresentable_timeout_waits_without_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 3 * CHUNK_LEN);
    // SAFETY: the test's own data file; nothing modifies it.
    let job =
        unsafe { Job::create(dir.path().join("m.job"), &data, None, JobKind::Stats) }.unwrap();
    job.work(&Pool::builder().threads(2).build().unwrap())
        .unwrap();
    assert_eq!(job.wait_stats::<f64>(Duration::MAX).unwrap(), expected(&v));
}

#[test]
fn a_participant_killed_mid_job_does_not_change_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 40 * CHUNK_LEN);
    let job_path = dir.path().join("k.job");
    // SAFETY: as above.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    // Two slow helpers (50 ms a chunk): the victim holds a claimed chunk nearly all the time.
    let mut victim = spawn_worker(&job_path, 50);
    let mut other = spawn_worker(&job_path, 50);
    let start = Instant::now();
    // Wait until both helpers have claimed chunks, then kill one in the middle of a chunk.
    while job.status().live_participants < 2 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(120));
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    assert!(
        job.status().done < 40,
        "the kill landed after the job finished"
    );
    job.work(&Pool::builder().threads(2).build().unwrap())
        .unwrap();
    let got = job.wait_stats::<f64>(Duration::from_secs(10)).unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(other.wait().unwrap().success());
    assert_eq!(got, expected(&v));
}

#[test]
fn a_late_attacher_gets_the_result_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 3 * CHUNK_LEN + 1);
    let job_path = dir.path().join("l.job");
    // SAFETY: as above.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    job.work(&Pool::builder().threads(2).build().unwrap())
        .unwrap();
    drop(job);
    // SAFETY: as above.
    let late = unsafe { Job::attach(&job_path) }.unwrap();
    let t = Instant::now();
    assert_eq!(
        late.wait_stats::<f64>(Duration::ZERO).unwrap(),
        expected(&v)
    );
    assert!(t.elapsed() < Duration::from_secs(1));
    assert!(
        late.wait_stats::<f32>(Duration::ZERO).is_err(),
        "wrong type"
    );
    // A second job file at the same path is refused, not overwritten.
    // SAFETY: as above.
    assert!(unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.is_err());
}

#[test]
fn sum_jobs_give_the_pool_sum_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let pool = Pool::builder().threads(2).build().unwrap();
    // f64 with a helper process: the same bits as `sum_float` (NaN included: canonical).
    let (data, v) = data(dir.path(), 9 * CHUNK_LEN + 77);
    let job_path = dir.path().join("s.job");
    // SAFETY: as above.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Sum) }.unwrap();
    let mut kid = spawn_worker(&job_path, 1);
    job.work(&pool).unwrap();
    let got = job.wait_sum_float::<f64>(Duration::from_secs(10)).unwrap();
    assert!(kid.wait().unwrap().success());
    assert_eq!(got.to_bits(), pool.sum_float(&v).to_bits());
    // And without NaN, where a wrong chunk sum would show in the bits.
    let finite: Vec<f64> = v
        .iter()
        .map(|x| if x.is_nan() { 0.25 } else { *x })
        .collect();
    let finite_path = dir.path().join("finite.npy");
    SharedBuffer::<f64>::create_npy(&finite_path, finite.len())
        .unwrap()
        .copy_from_slice(&finite);
    // SAFETY: as above.
    let job =
        unsafe { Job::create(dir.path().join("f.job"), &finite_path, None, JobKind::Sum) }.unwrap();
    job.work(&pool).unwrap();
    let got = job.wait_sum_float::<f64>(Duration::ZERO).unwrap();
    assert!(got.is_finite());
    assert_eq!(got.to_bits(), pool.sum_float(&finite).to_bits());
    // Integers: the exact wide sum, for a signed and an unsigned type, raw files with a dtype.
    let ints: Vec<i64> = (0..5 * CHUNK_LEN as i64 + 3)
        .map(|i| i64::MAX - i * 977)
        .collect();
    let raw = dir.path().join("ints.raw");
    std::fs::write(&raw, bytemuck::cast_slice(&ints)).unwrap();
    // SAFETY: as above.
    let job = unsafe {
        Job::create(
            dir.path().join("i.job"),
            &raw,
            Some(DType::I64),
            JobKind::Sum,
        )
    }
    .unwrap();
    job.work(&pool).unwrap();
    let wide = job.wait_sum_int::<i64>(Duration::ZERO).unwrap();
    assert_eq!(wide, pool.sum_int(&ints));
    assert!(
        wide > i128::from(i64::MAX),
        "the sum overflows i64: it must be wide"
    );
    let bytes: Vec<u8> = (0..3 * CHUNK_LEN + 5).map(|i| (i * 7) as u8).collect();
    let raw = dir.path().join("bytes.raw");
    std::fs::write(&raw, &bytes).unwrap();
    // SAFETY: as above.
    let job = unsafe {
        Job::create(
            dir.path().join("b.job"),
            &raw,
            Some(DType::U8),
            JobKind::Sum,
        )
    }
    .unwrap();
    job.work(&pool).unwrap();
    assert_eq!(
        job.wait_sum_int::<u8>(Duration::ZERO).unwrap(),
        pool.sum_int(&bytes)
    );
    // Asking a sum job for stats, or for another type, is an error that says what the job is.
    let e = job.wait_stats::<u8>(Duration::ZERO).unwrap_err();
    assert!(e.to_string().contains("sum over u8"), "{e}");
    assert!(job.wait_sum_int::<i8>(Duration::ZERO).is_err());
}

/// Jobs over data large enough to stream (over 4 MiB, which the working pools are told streams:
/// the kernels' prefetching variants run) give the pool's bits under every `Prefetch` choice of
/// the working pool: `Job::work` picks the kernels from its pool, and the choice changes speed
/// only.
#[test]
fn jobs_give_the_same_bits_under_every_prefetch_choice() {
    let dir = tempfile::tempdir().unwrap();
    let reference = Pool::builder().threads(2).build().unwrap();
    let floats: Vec<f32> = (0..(4 << 20) / 4 + 12_345)
        .map(|i| ((i as f32) * 0.37).sin() * 1e3)
        .collect();
    let ints: Vec<i64> = (0..(4 << 20) / 8 + 777)
        .map(|i| (i as i64).wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64) >> 3)
        .collect();
    let (f_raw, i_raw) = (dir.path().join("f.raw"), dir.path().join("i.raw"));
    std::fs::write(&f_raw, bytemuck::cast_slice(&floats)).unwrap();
    std::fs::write(&i_raw, bytemuck::cast_slice(&ints)).unwrap();
    for (n, choice) in [
        Prefetch::Off,
        Prefetch::F64Sum,
        Prefetch::FloatPasses,
        Prefetch::AllPasses,
    ]
    .into_iter()
    .enumerate()
    {
        let pool = Pool::builder()
            .threads(2)
            .prefetch(choice)
            .stream_bytes(4 << 20)
            .build()
            .unwrap();
        // SAFETY: nothing modifies the data files while the jobs run.
        let (stats, sum) = unsafe {
            (
                Job::create(
                    dir.path().join(format!("s{n}.job")),
                    &f_raw,
                    Some(DType::F32),
                    JobKind::Stats,
                ),
                Job::create(
                    dir.path().join(format!("i{n}.job")),
                    &i_raw,
                    Some(DType::I64),
                    JobKind::Sum,
                ),
            )
        };
        let (stats, sum) = (stats.unwrap(), sum.unwrap());
        stats.work(&pool).unwrap();
        sum.work(&pool).unwrap();
        assert_eq!(
            stats.wait_stats::<f32>(Duration::ZERO).unwrap(),
            reference.stats(&floats),
            "{choice:?}"
        );
        assert_eq!(
            sum.wait_sum_int::<i64>(Duration::ZERO).unwrap(),
            reference.sum_int(&ints),
            "{choice:?}"
        );
    }
}

/// The job records which file it was made for: another file renamed over the data path (of the
/// same length, even of another dtype), or a write into the file, makes attaching, working and
/// waiting errors that name the data file, never a result that belongs to neither file.
#[test]
fn a_replaced_or_modified_data_file_is_an_error_never_a_result() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = data(dir.path(), 5 * CHUNK_LEN);
    let job_path = dir.path().join("r.job");
    // SAFETY: the test changes the data file on purpose; the job must notice, and the mappings
    // here only read it.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    let pool = Pool::builder().threads(2).build().unwrap();
    job.work(&pool).unwrap();
    // A same-length .npy of another dtype, renamed over the data file.
    let other = dir.path().join("other.npy");
    SharedBuffer::<i64>::create_npy(&other, 5 * CHUNK_LEN)
        .unwrap()
        .fill(7);
    std::fs::rename(&other, &data).unwrap();
    let shown = data.display().to_string();
    let e = job.wait_stats::<f64>(Duration::from_secs(5)).unwrap_err();
    assert!(
        e.to_string().contains(&shown) && e.to_string().contains("another file now"),
        "{e}"
    );
    // SAFETY: as above.
    let e = unsafe { Job::attach(&job_path) }.unwrap_err();
    assert!(e.to_string().contains("another file now"), "{e}");
    drop(job);

    // A write in place: same inode, new modification time.
    let (data, _) = {
        let d = dir.path().join("second");
        std::fs::create_dir(&d).unwrap();
        self::data(&d, 3 * CHUNK_LEN)
    };
    let job_path = dir.path().join("m.job");
    // SAFETY: as above.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Sum) }.unwrap();
    std::thread::sleep(Duration::from_millis(20));
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new().write(true).open(&data).unwrap();
        f.seek(SeekFrom::End(-8)).unwrap();
        f.write_all(&1.5f64.to_le_bytes()).unwrap();
    }
    let e = job.work(&pool).unwrap_err();
    assert!(e.to_string().contains("written to"), "{e}");
    let e = job
        .wait_sum_float::<f64>(Duration::from_secs(5))
        .unwrap_err();
    assert!(e.to_string().contains("written to"), "{e}");
    // SAFETY: as above.
    let e = unsafe { Job::attach(&job_path) }.unwrap_err();
    assert!(e.to_string().contains("written to"), "{e}");
    // The typed waits check the element type too.
    let e = job.wait_sum_float::<f32>(Duration::ZERO).unwrap_err();
    assert!(e.to_string().contains("over f64"), "{e}");
}

/// A participant stopped with SIGSTOP while it holds claims keeps its process alive but makes no
/// progress: once its lease expires the others run its chunks again, the job completes with the
/// single-process bits, and the stopped process's late writes (after SIGCONT) change nothing.
#[test]
fn a_stopped_participant_loses_its_claims_when_its_lease_expires() {
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 24 * CHUNK_LEN);
    let job_path = dir.path().join("s.job");
    // SAFETY: the test's own data file; nothing modifies it.
    let mut job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    let mut stopped = spawn_worker(&job_path, 200);
    let start = Instant::now();
    while job.status().live_participants < 1 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Mid-chunk: the helper holds a claim it will not finish while stopped.
    std::thread::sleep(Duration::from_millis(300));
    let pid = stopped.id() as libc::pid_t;
    // SAFETY: signals a child of this test.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    assert!(
        job.status().done < 24,
        "the helper finished before it was stopped"
    );
    job.set_lease(Duration::from_millis(500));
    let t0 = Instant::now();
    job.work(&Pool::builder().threads(2).build().unwrap())
        .unwrap();
    let got = job.wait_stats::<f64>(Duration::from_secs(10)).unwrap();
    assert_eq!(got, expected(&v));
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "work took {:?} with a stopped participant",
        t0.elapsed()
    );
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    std::thread::sleep(Duration::from_millis(300)); // its late writes, if any, are refused
    assert_eq!(job.wait_stats::<f64>(Duration::ZERO).unwrap(), expected(&v));
    let _ = stopped.kill();
    stopped.wait().unwrap();
}

/// Forged words in the chunk table (a chunk claimed under the worker's own slot, a chunk claimed
/// by a slot naming pid 1 with no lease, a chunk marked done without the done count) end `work`
/// within a bounded time: with the job complete, or with an error naming the inconsistency.
#[test]
fn forged_chunk_table_words_end_work_in_bounded_time() {
    use std::os::unix::fs::FileExt;
    // The layout of a job made by `Job::create` (src/job/layout.rs): 64 participant slots of 64
    // bytes from byte 4224, then the chunk states, 8 bytes each.
    const PARTICIPANTS: u64 = 4224;
    const STATES: u64 = PARTICIPANTS + 64 * 64;
    let claimed = |owner: u64| (owner << 2) | 1; // generation 0
    let done_by = |owner: u64| (owner << 2) | 3;
    let forge = |job_path: &Path, at: u64, word: u64| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(job_path)
            .unwrap();
        f.write_all_at(&word.to_le_bytes(), at).unwrap();
    };
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 6 * CHUNK_LEN);
    let pool = Pool::builder().threads(2).build().unwrap();
    let bound = Duration::from_secs(60);

    // Chunk 0 claimed under slot 0 (the slot the worker will take), chunk 1 claimed by slot 5,
    // whose word names pid 1 (alive) with start time 0 and no lease.
    let job_path = dir.path().join("a.job");
    // SAFETY: the test's own data file; nothing modifies it.
    let mut job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    forge(&job_path, STATES, claimed(0));
    forge(&job_path, PARTICIPANTS + 5 * 64, 1);
    forge(&job_path, STATES + 8, claimed(5));
    job.set_lease(Duration::from_millis(200));
    let t0 = Instant::now();
    job.work(&pool).unwrap();
    assert!(t0.elapsed() < bound, "work took {:?}", t0.elapsed());
    assert_eq!(
        job.wait_stats::<f64>(Duration::from_secs(5)).unwrap(),
        expected(&v)
    );

    // Chunk 2 marked done (by slot 9) without the done count: the count can never be reached.
    let job_path = dir.path().join("b.job");
    // SAFETY: as above.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    forge(&job_path, STATES + 16, done_by(9));
    let t0 = Instant::now();
    let e = job.work(&pool).unwrap_err();
    assert!(t0.elapsed() < bound, "work took {:?}", t0.elapsed());
    assert!(e.to_string().contains("inconsistent"), "{e}");
    let e = job
        .wait_stats::<f64>(Duration::from_millis(200))
        .unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
}

/// A done count forged to say every chunk is done (the helping loop then stops at once) while a
/// chunk is still claimed: `work` must not return `Ok` for a job it left incomplete. It did, and
/// only the waits noticed: the `chunk_table` fuzz target's first finding, replayed at the end.
#[test]
fn a_forged_complete_count_is_an_error_not_a_complete_job() {
    use std::os::unix::fs::FileExt;
    // The layout of a job made by `Job::create` (src/job/layout.rs): the done count (u32) at byte
    // 4096, 64 participant slots of 64 bytes from byte 4224, then the chunk states.
    const DONE: u64 = 4096;
    const STATES: u64 = 4224 + 64 * 64;
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = data(dir.path(), 6 * CHUNK_LEN);
    let job_path = dir.path().join("c.job");
    // SAFETY: the test's own data file; nothing modifies it.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&job_path)
        .unwrap();
    f.write_all_at(&6u32.to_le_bytes(), DONE).unwrap();
    // Chunk 0 claimed (generation 0) by slot 63, which is free: nobody computes it.
    f.write_all_at(&((63u64 << 2) | 1).to_le_bytes(), STATES)
        .unwrap();
    let t0 = Instant::now();
    let e = job
        .work(&Pool::builder().threads(2).build().unwrap())
        .unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(60));
    let e = e.to_string();
    assert!(
        e.contains("inconsistent") && e.contains("these are not: chunk 0;"),
        "{e}"
    );
    let e = job.wait_stats::<f64>(Duration::ZERO).unwrap_err();
    assert!(e.to_string().contains("chunk 0 is not done"), "{e}");

    // The fuzzer's input (fuzz/artifacts/chunk_table/crash-fc903b2d…): a `Sum` job over i32,
    // the cursor forged past the end, the count forged to 157, every slot but the forged four
    // held by PID 1. `work` computed nothing and returned `Ok`; the hook panicked on that.
    let input = [254, 188, 238, 255, 255, 255, 255, 254, 238, 157];
    assert!(!shmkern::job::fuzz_chunk_table(&input));
}

#[test]
fn waiting_without_workers_times_out_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (data, _) = data(dir.path(), 2 * CHUNK_LEN);
    let job_path = dir.path().join("w.job");
    // SAFETY: as above.
    let job = unsafe { Job::create(&job_path, &data, None, JobKind::Stats) }.unwrap();
    let e = job
        .wait_stats::<f64>(Duration::from_millis(100))
        .unwrap_err();
    assert!(e.to_string().contains("timed out"), "{e}");
    assert!(e.to_string().contains("0 of 2 chunks"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `attach` on random bytes, on truncated files and on valid files with one byte corrupted:
    /// an error, never a panic or a hang.
    #[test]
    fn attach_rejects_corrupt_files(
        random in proptest::collection::vec(any::<u8>(), 0..6000),
        cut in 0usize..10_000,
        flip in 0usize..4096,
        bits in 1u8..=255,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.job");
        std::fs::write(&p, &random).unwrap();
        // SAFETY: the test's own files.
        let r = unsafe { Job::attach(&p) };
        prop_assert!(r.is_err());

        let (data, _) = data(dir.path(), 2 * CHUNK_LEN + 7);
        let good = dir.path().join("g.job");
        // SAFETY: the test's own files; nothing modifies the data file while mapped.
        drop(unsafe { Job::create(&good, &data, None, JobKind::Stats) }.unwrap());
        let bytes = std::fs::read(&good).unwrap();
        let t = dir.path().join("t.job");
        std::fs::write(&t, &bytes[..cut.min(bytes.len() - 1)]).unwrap();
        // SAFETY: the test's own files; nothing modifies the data file while mapped.
        let r = unsafe { Job::attach(&t) };
        prop_assert!(r.is_err());
        let mut corrupt = bytes.clone();
        corrupt[flip] ^= bits;
        let c = dir.path().join("c.job");
        std::fs::write(&c, &corrupt).unwrap();
        // SAFETY: the test's own files; nothing modifies the data file while mapped.
        let r = unsafe { Job::attach(&c) };
        prop_assert!(r.is_err());
    }
}

/// A kernel defined here, outside the library, gives the same bits on a pool, on one thread, and
/// as a job of three processes of which one is killed with SIGKILL mid-job.
#[test]
fn a_user_kernel_runs_as_a_job_with_a_participant_killed() {
    let dir = tempfile::tempdir().unwrap();
    let n = 40 * CHUNK_LEN + 17;
    let v: Vec<u32> = (0..n as u32)
        .map(|i| i.wrapping_mul(2_654_435_761) >> 7)
        .collect();
    let data = dir.path().join("u.npy");
    SharedBuffer::<u32>::create_npy(&data, n)
        .unwrap()
        .copy_from_slice(&v);
    let kernel = Checksum { seed: 0x5eed };
    let pool = Pool::builder().threads(2).build().unwrap();
    let on_pool = pool.run(&kernel, &v[..]).unwrap();
    assert_eq!(run_sequential(&kernel, &v[..]).unwrap(), on_pool);

    let job_path = dir.path().join("u.job");
    // SAFETY: the test's own data file; nothing modifies it.
    let job = unsafe { Job::create_kernel(&job_path, &data, None, &kernel) }.unwrap();
    assert_eq!((job.kind(), job.kernel_name()), (None, "tests.checksum"));
    let mut victim = spawn_worker(&job_path, 50);
    let mut other = spawn_worker(&job_path, 50);
    let start = Instant::now();
    while job.status().live_participants < 2 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(120));
    victim.kill().unwrap(); // SIGKILL, in the middle of a chunk
    victim.wait().unwrap();
    assert!(
        job.status().done < 41,
        "the kill landed after the job finished"
    );
    // Without the kernel in its registry a participant refuses the job, naming the kernel.
    let err = job.work(&pool).unwrap_err();
    assert!(
        err.to_string().contains("\"tests.checksum\" over u32"),
        "{err}"
    );
    job.work_with(&pool, &registry()).unwrap();
    let got = job.wait_kernel(&kernel, Duration::from_secs(10)).unwrap();
    assert!(other.wait().unwrap().success());
    assert_eq!(got, on_pool);
    // The waiter must name the same kernel with the same parameters.
    let err = job
        .wait_kernel(&Checksum { seed: 1 }, Duration::ZERO)
        .unwrap_err();
    assert!(err.to_string().contains("other parameters"), "{err}");
    assert!(job.wait_stats::<u32>(Duration::ZERO).is_err());
}

/// The built-in `MinMax` kernel as a job: positions are the whole file's, the bits the pool's.
#[test]
fn a_minmax_job_gives_the_pools_extremes() {
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 7 * CHUNK_LEN + 5);
    let kernel = MinMax::<f64>::new();
    // SAFETY: the test's own data file; nothing modifies it.
    let job =
        unsafe { Job::create_kernel(dir.path().join("m.job"), &data, None, &kernel) }.unwrap();
    assert_eq!(job.kernel_name(), "minmax");
    let pool = Pool::builder().threads(2).build().unwrap();
    job.work(&pool).unwrap();
    let got = job
        .wait_kernel(&MinMax::<f64>::new(), Duration::from_secs(10))
        .unwrap();
    assert_eq!(got, pool.run(&MinMax::new(), &v[..]).unwrap());
    let (max, at) = got.max().unwrap();
    assert_eq!(v[at], max);
    assert!(got.nan_count() > 0, "the data has NaNs, counted apart");
}

/// The built-in `Moments` kernel as a job: a 64-byte partial (8 words), the pool's bits.
#[test]
fn a_moments_job_gives_the_pools_moments() {
    let dir = tempfile::tempdir().unwrap();
    let (data, v) = data(dir.path(), 5 * CHUNK_LEN + 17);
    // SAFETY: the test's own data file; nothing modifies it.
    let job = unsafe {
        Job::create_kernel(
            dir.path().join("mo.job"),
            &data,
            None,
            &Moments::<f64>::new(),
        )
    }
    .unwrap();
    assert_eq!(job.kernel_name(), "moments");
    let pool = Pool::builder().threads(2).build().unwrap();
    job.work(&pool).unwrap();
    let got = job
        .wait_kernel(&Moments::<f64>::new(), Duration::from_secs(10))
        .unwrap();
    assert_eq!(got, pool.run(&Moments::new(), &v[..]).unwrap());
    assert!(got.skewness().is_some());
}

/// The exact sum as a job: a 544-byte partial (68 words, the superaccumulator), the pool's exact
/// bits, with participants attached and working side by side.
#[test]
fn an_exact_sum_job_gives_the_exact_sum() {
    let dir = tempfile::tempdir().unwrap();
    // No NaN (it would make the sum NaN), and terms that cancel across chunks.
    let mut v: Vec<f64> = (0..7 * CHUNK_LEN + 3)
        .map(|i| ((i as f64) * 0.731).sin() * 1e-3)
        .collect();
    let last = v.len() - 1;
    (v[7], v[last]) = (1e300, -1e300);
    let data = dir.path().join("exact.npy");
    SharedBuffer::<f64>::create_npy(&data, v.len())
        .unwrap()
        .copy_from_slice(&v);
    let path = dir.path().join("exact.job");
    // SAFETY: the test's own data file; nothing modifies it.
    let job = unsafe { Job::create_kernel(&path, &data, None, &ExactSum::<f64>::new()) }.unwrap();
    assert_eq!(job.kernel_name(), "sum_exact");
    // SAFETY: as above.
    let other = unsafe { Job::attach(&path) }.unwrap();
    let pool = Pool::builder().threads(1).build().unwrap();
    std::thread::scope(|s| {
        s.spawn(|| other.work(&pool).unwrap());
        job.work(&pool).unwrap();
    });
    let got = job
        .wait_kernel(&ExactSum::<f64>::new(), Duration::from_secs(10))
        .unwrap();
    let want = Pool::builder()
        .threads(2)
        .build()
        .unwrap()
        .sum_float_at(&v, Accuracy::Exact);
    assert_eq!(got.to_bits(), want.to_bits());
    assert!(got.is_finite() && got.abs() < 1e3, "{got}");
    // The plain sum's waiter refuses it: another kernel.
    assert!(job.wait_sum_float::<f64>(Duration::from_secs(1)).is_err());
    // Exact moments too (138 words a partial).
    let path = dir.path().join("moments.job");
    // SAFETY: as above.
    let job =
        unsafe { Job::create_kernel(&path, &data, None, &ExactMoments::<f64>::new()) }.unwrap();
    job.work(&pool).unwrap();
    let got = job
        .wait_kernel(&ExactMoments::<f64>::new(), Duration::from_secs(10))
        .unwrap();
    assert_eq!(got, pool.run(&ExactMoments::new(), &v[..]).unwrap());
}
