//! The anchors shmkern measures itself against that live outside Rust: oneTBB's
//! `parallel_deterministic_reduce` (C++, `benches/anchors/tbb_sum.cpp`) and the Node.js approach —
//! `worker_threads`, a `SharedArrayBuffer`, `Atomics.wait/notify` (`benches/anchors/node_sum.js`).
//! Each runs as a child process that reads the parent's data (the memfd of a
//! [`shmkern::SharedBuffer`], opened as `/proc/<pid>/fd/<fd>`: oneTBB maps the same pages, Node
//! copies them into its `SharedArrayBuffer`) and answers timing commands over a line protocol, so
//! its calls can be interleaved with the in-process variants in one run. Included by the `anchors`
//! table (`benches/tables/anchors.rs`) and the criterion bench `kernels.rs`.
//!
//! Protocol (both children; one stdout line per stdin line):
//! - start: `<program> <data_path> <count> <max_threads>` → `ready <description>`;
//! - `sum <threads> <n> <iters>` → `<elapsed_ns> <bits>`: `iters` back-to-back parallel sums of the
//!   first `n` elements on `threads` threads, timed inside the child (so no pipe latency is
//!   counted), and the IEEE-754 bits of the last result as 16 hex digits;
//! - `seq <n> <iters>` → the same, the child's own loop on its one calling thread;
//! - `quit` (or end of input) → exit 0; anything malformed → `error <message>`, exit 1.
#![allow(dead_code)] // each bench uses its own subset

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// One child process speaking the protocol above.
pub struct Anchor {
    /// What the child said it is (its `ready` line, without the word).
    pub description: String,
    process: Child,
    /// `None` once closed (on drop, so a child waiting for input sees the end of it).
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Anchor {
    /// Starts `command` (the data path, count and thread count already among its arguments) and
    /// waits for its `ready` line.
    fn start(mut command: Command) -> Result<Anchor, String> {
        let shown = format!("{command:?}");
        let mut process = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("could not start {shown}: {e}"))?;
        let stdin = process.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(process.stdout.take().expect("piped stdout"));
        let mut anchor = Anchor {
            description: String::new(),
            process,
            stdin: Some(stdin),
            stdout,
        };
        let line = anchor.read_line()?;
        match line.strip_prefix("ready ") {
            Some(description) => anchor.description = description.to_string(),
            None => return Err(format!("{shown} said {line:?} instead of `ready …`")),
        }
        Ok(anchor)
    }

    /// The child's process id (for its CPU time in `/proc/<pid>/stat`).
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the child closed its output".to_string()),
            Ok(_) => Ok(line.trim_end().to_string()),
            Err(e) => Err(format!("reading the child's output: {e}")),
        }
    }

    /// Sends one command and returns the child's timed loop and the bits of its last result.
    fn call(&mut self, command: &str) -> (Duration, u64) {
        let stdin = self.stdin.as_mut().expect("stdin is open until drop");
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("{}: sending {command:?}: {e}", self.description));
        let line = self
            .read_line()
            .unwrap_or_else(|e| panic!("{}: after {command:?}: {e}", self.description));
        let parsed = line.split_once(' ').and_then(|(ns, bits)| {
            Some((ns.parse::<u64>().ok()?, u64::from_str_radix(bits, 16).ok()?))
        });
        match parsed {
            Some((ns, bits)) => (Duration::from_nanos(ns), bits),
            None => panic!("{}: {command:?} answered {line:?}", self.description),
        }
    }

    /// `iters` parallel sums of the first `n` elements on `threads` threads: the time of the loop
    /// and the last result.
    pub fn sum(&mut self, threads: usize, n: usize, iters: u64) -> (Duration, f64) {
        let (t, bits) = self.call(&format!("sum {threads} {n} {iters}"));
        (t, f64::from_bits(bits))
    }

    /// `iters` sums of the first `n` elements on the child's calling thread alone.
    pub fn seq(&mut self, n: usize, iters: u64) -> (Duration, f64) {
        let (t, bits) = self.call(&format!("seq {n} {iters}"));
        (t, f64::from_bits(bits))
    }
}

impl Drop for Anchor {
    /// Asks the child to quit, closes its input, and gives it two seconds to exit before killing
    /// it: a child stuck in a call must not hang the bench.
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "quit").and_then(|()| stdin.flush());
        }
        for _ in 0..200 {
            if !matches!(self.process.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The folder of the anchors' sources: the checkout the bench was built in, or (for a binary
/// carried to another machine) `benches/anchors` under the current directory.
fn sources() -> PathBuf {
    let built_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/anchors");
    if built_in.is_dir() {
        built_in
    } else {
        PathBuf::from("benches/anchors")
    }
}

/// The command line in environment variable `var`, split at spaces (for a machine where the
/// anchor runs some other way, for example through a carried dynamic loader), if set.
fn command_from_env(var: &str) -> Option<Command> {
    let line = std::env::var(var).ok()?;
    let mut words = line.split_whitespace();
    let mut command = Command::new(words.next()?);
    command.args(words);
    Some(command)
}

/// The data as the children open it: `/proc/<our pid>/fd/<fd of the memfd>`.
pub fn data_path(buf: &shmkern::SharedBuffer<f64>) -> Result<String, String> {
    use std::os::fd::AsRawFd;
    let file = buf
        .file()
        .ok_or("the buffer has no file descriptor to share")?;
    Ok(format!(
        "/proc/{}/fd/{}",
        std::process::id(),
        file.as_raw_fd()
    ))
}

/// Compiles `tbb_sum.cpp` (g++ -O3 -march=native, linked with oneTBB) next to the bench binary
/// and starts it; `Err` says why not (no g++, no oneTBB: `apt install libtbb-dev`). With
/// `SHMKERN_ANCHOR_TBB` set, runs that command line (a `tbb_sum` built elsewhere) instead.
pub fn start_tbb(data: &str, count: usize, threads: usize) -> Result<Anchor, String> {
    if let Some(mut command) = command_from_env("SHMKERN_ANCHOR_TBB") {
        command
            .arg(data)
            .arg(count.to_string())
            .arg(threads.to_string());
        return Anchor::start(command);
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let out = exe.with_file_name("anchors-tbb_sum");
    let compiled = Command::new("g++")
        .args(["-O3", "-march=native", "-std=c++17", "-o"])
        .arg(&out)
        .arg(sources().join("tbb_sum.cpp"))
        .arg("-ltbb")
        .output()
        .map_err(|e| format!("g++ did not run ({e})"))?;
    if !compiled.status.success() {
        let stderr = String::from_utf8_lossy(&compiled.stderr);
        let first = stderr.lines().find(|l| l.contains("error")).unwrap_or("");
        return Err(format!(
            "tbb_sum.cpp did not compile (is oneTBB installed? `apt install libtbb-dev`): {first}"
        ));
    }
    let mut command = Command::new(out);
    command
        .arg(data)
        .arg(count.to_string())
        .arg(threads.to_string());
    Anchor::start(command)
}

/// Starts `node_sum.js` under the `node` on the PATH (or the command line in
/// `SHMKERN_ANCHOR_NODE`); `Err` says why not.
pub fn start_node(data: &str, count: usize, threads: usize) -> Result<Anchor, String> {
    let mut command =
        command_from_env("SHMKERN_ANCHOR_NODE").unwrap_or_else(|| Command::new("node"));
    command
        .arg(sources().join("node_sum.js"))
        .arg(data)
        .arg(count.to_string())
        .arg(threads.to_string());
    Anchor::start(command)
}

/// The paralight anchor, in a module of its own: paralight's prelude and rayon's both name
/// `par_iter`.
pub mod para {
    use paralight::prelude::*;
    use shmkern::kernels::sequential_sum;
    use shmkern::sched::CHUNK_LEN;

    /// A pool of `threads` threads, each given a fixed range (the deterministic strategy).
    pub fn pool(threads: usize) -> ThreadPool {
        ThreadPoolBuilder {
            num_threads: ThreadCount::try_from(threads).expect("at least one thread"),
            range_strategy: RangeStrategy::Fixed,
            cpu_pinning: CpuPinningPolicy::No,
        }
        .build()
    }

    /// `par_iter().sum()`.
    pub fn sum(pool: &mut ThreadPool, data: &[f64]) -> f64 {
        data.par_iter().with_thread_pool(pool).sum::<f64>()
    }

    /// `data`'s chunks of `CHUNK_LEN`, each summed by the 16-lane loop.
    pub fn chunks(pool: &mut ThreadPool, data: &[f64]) -> f64 {
        (0..data.len().div_ceil(CHUNK_LEN))
            .into_par_iter()
            .with_thread_pool(pool)
            .map(|c| sequential_sum(&data[c * CHUNK_LEN..((c + 1) * CHUNK_LEN).min(data.len())]))
            .sum::<f64>()
    }
}
