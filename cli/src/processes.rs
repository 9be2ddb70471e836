//! `--processes N`, the cluster-module analogue: this process creates a job for the input file,
//! starts N − 1 helper processes of itself (`shmkern job work JOB`), works on the job too, and
//! prints the same result as the in-process command — bit for bit, since the job merges the chunk
//! results in the kernels' fixed tree. The processes share the file's page-cache pages; nothing is
//! copied or serialized.

use crate::progress::Progress;
use crate::run::{pool, Run};
use crate::{Failure, InputArgs};
use shmkern::job::{Job, JobKernel, JobKind};
use shmkern::sched::CHUNK_LEN;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::input::Source;

/// How long to wait for the result once `work` has returned (when every chunk is already done).
pub const WAIT: Duration = Duration::from_secs(10);
/// How often the progress bar reads the job's done count.
const POLL: Duration = Duration::from_millis(50);

/// Removes the job file when the command ends, however it ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The helper processes; any still running when this is dropped (the parent failed) are killed.
struct Helpers(Vec<Child>);

impl Helpers {
    /// Waits for every helper; a helper that failed only costs time (the others took over its
    /// chunks), so it is reported as a warning, not an error.
    fn finish(mut self) {
        for (i, mut c) in self.0.drain(..).enumerate() {
            match c.wait() {
                Ok(s) if s.success() => {}
                Ok(s) => eprintln!(
                    "shmkern: warning: helper process {} ended with {s}; the others computed its \
                     chunks",
                    i + 1
                ),
                Err(e) => eprintln!("shmkern: warning: helper process {}: {e}", i + 1),
            }
        }
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A fresh job file name in the temporary directory.
fn job_path() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("shmkern-{}-{nanos}.job", std::process::id()))
}

/// How helpers reach the job file at `path`: on Linux an open descriptor of it (to pass as their
/// standard input) and the path `/proc/self/fd/0`, with `path` itself unlinked at once; elsewhere
/// `path`.
fn job_for_helpers(path: &Path) -> Result<(PathBuf, Option<std::fs::File>), Failure> {
    if cfg!(target_os = "linux") {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Failure::Other(format!("{}: cannot open: {e}", path.display())))?;
        let _ = std::fs::remove_file(path);
        Ok((PathBuf::from("/proc/self/fd/0"), Some(file)))
    } else {
        Ok((path.to_owned(), None))
    }
}

/// Runs a job over `src` in `n` processes (this one included) of `input.threads` threads each
/// (default: the cores divided among the processes), then calls `report` with the finished job
/// and the run's figures. `create` makes the job file at the path it is given, over `src`
/// ([`builtin`] for `stats` and `sum`, `Job::create_kernel` for the others).
pub fn run(
    src: &Source,
    create: impl FnOnce(&Path) -> Result<Job, shmkern::Error>,
    n: u32,
    input: &InputArgs,
    report: impl FnOnce(&Job, &Run) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let start = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let threads = input
        .threads
        .map_or((cores / n as usize).max(1), |t| t as usize);
    let path = job_path();
    crate::sigbus::remove_on_crash(&path);
    let job = create(&path)?;
    let _remove = RemoveOnDrop(path.clone());
    crate::sigbus::fallback(&format!(
        "the job file {} (or the input {})",
        path.display(),
        src.path.display()
    ));
    // The job file must not outlive the command, even one killed with SIGKILL: on Linux it is
    // unlinked at once, and the helpers attach to it through the descriptor they inherit as
    // their standard input (`/proc/self/fd/0`). Elsewhere they attach by path, and the file is
    // removed when the command ends.
    let (helper_job, helper_stdin) = job_for_helpers(&path)?;
    crate::input::delay_after_map();
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Other(format!("cannot find the shmkern executable: {e}")))?;
    let mut helpers = Helpers(Vec::new());
    for _ in 1..n {
        let stdin =
            match &helper_stdin {
                Some(f) => Stdio::from(f.try_clone().map_err(|e| {
                    Failure::Other(format!("{}: cannot share: {e}", path.display()))
                })?),
                None => Stdio::null(),
            };
        let child = Command::new(&exe)
            .arg("job")
            .arg("work")
            .arg(&helper_job)
            .args(["--threads", &threads.to_string(), "--quiet"])
            .stdin(stdin)
            .stdout(Stdio::null())
            // The command's own error or result is the one line the user gets; a helper that
            // fails is reported by the parent (`Helpers::finish`), and its chunks are recomputed.
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Failure::Other(format!("{}: cannot start: {e}", exe.display())))?;
        helpers.0.push(child);
    }
    work(&job, &pool(Some(threads as u32))?, input.quiet)?;
    let run = Run {
        threads: Some(threads),
        processes: n as usize,
        seconds: start.elapsed().as_secs_f64(),
        bytes: job.count() * src.dtype.size() as u64,
    };
    report(&job, &run)?;
    helpers.finish();
    Ok(())
}

/// `create` for [`run`] (and `job create`): a built-in `kind` job over `src`.
pub fn builtin(
    src: &Source,
    kind: JobKind,
) -> impl FnOnce(&Path) -> Result<Job, shmkern::Error> + '_ {
    move |path| {
        // SAFETY: the command's documented contract: its input is not modified while it runs.
        unsafe { Job::create(path, &src.path, Some(src.dtype), kind) }
    }
}

/// `create` for [`run`] (and `job create`): a job of `kernel` over `src`.
pub fn of_kernel<K: JobKernel>(
    src: &Source,
    kernel: K,
) -> impl FnOnce(&Path) -> Result<Job, shmkern::Error> + '_ {
    move |path| {
        // SAFETY: the command's documented contract: its input is not modified while it runs.
        unsafe { Job::create_kernel(path, &src.path, Some(src.dtype), &kernel) }
    }
}

/// `job.work(pool)` with a progress bar (unless `quiet`) that counts the chunks every participant
/// has published.
pub fn work(job: &Job, pool: &shmkern::Pool, quiet: bool) -> Result<(), Failure> {
    let total = job.count();
    let progress = Progress::start("job", total, quiet);
    let (stop, stopped) = mpsc::channel::<()>();
    let result = std::thread::scope(|s| {
        let progress = &progress;
        s.spawn(move || {
            // Polls until `stop` is dropped, which wakes `recv_timeout` at once.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(POLL) {
                let done = job.status().done * CHUNK_LEN as u64;
                progress.counter().store(done.min(total), Relaxed);
            }
        });
        let r = job.work(pool);
        drop(stop);
        r
    });
    progress.finish();
    Ok(result?)
}

/// Parses a file mode given in octal ("600", "0640"): permission bits only.
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let m = u32::from_str_radix(s, 8).map_err(|_| format!("{s:?} is not an octal mode"))?;
    if m > 0o777 {
        return Err(format!("{s:?} has bits beyond the permission bits (0777)"));
    }
    if m & 0o600 != 0o600 {
        return Err(format!(
            "{s:?} does not let the owner read and write the job file"
        ));
    }
    Ok(m)
}

/// Sets the job file's mode (after `Job::create` made it 0600).
pub fn set_mode(path: &Path, mode: u32) -> Result<(), Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| Failure::Other(format!("{}: cannot set its mode: {e}", path.display())))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
