//! `futex`: what the futex operations cost, `Scope::Shared` next to `Scope::Private`, as one
//! markdown table (docs/performance.md, "Futex"):
//!
//! ```sh
//! cargo bench --bench tables -- futex   # about 15 s
//! ```
//!
//! - `wake_one` on a word nobody waits on (one `FUTEX_WAKE` syscall);
//! - a `wait` whose value differs, through the public API (the user-space pre-check, no syscall)
//!   and through the hook `futex::__syscall_wait` (the kernel's `EAGAIN` path; cargo feature
//!   `internals`, which the benches enable);
//! - a wake-to-running round trip between two threads over two words (`common/pingpong.rs`),
//!   left to the scheduler, pinned to one CPU, and pinned to two.
//!
//! Each number is the median over [`REPS`] repetitions of the ns per operation of one repetition;
//! a repetition runs as many iterations as fit in about [`REP_TARGET`]. Shared and private
//! repetitions alternate, so drift on a noisy machine hits both scopes alike. `cargo bench --bench
//! futex` times the same operations under criterion.

use crate::common::pingpong::{allowed_cpus, pin_to, set_affinity, PingPong};
use crate::common::report::{self, fmt_ns, stats, Stats};
use shmkern::sync::futex::{self, Scope};
use std::hint::black_box;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

/// Repetitions per (operation, scope); the median is reported.
const REPS: usize = 15;
/// Target wall time of one repetition.
const REP_TARGET: Duration = Duration::from_millis(80);

/// The state one benchmarked operation runs on, per scope.
struct Subject {
    scope: Scope,
    word: AtomicU32,
    pp: Option<PingPong>,
}

/// Where the two threads of a round trip run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// Left to the scheduler (what an application gets by default).
    Unpinned,
    /// Both threads pinned to one CPU: the wake hands the CPU over.
    SameCpu,
    /// The threads pinned to two different CPUs: the wake has to rouse the other, idle CPU.
    CrossCpu,
}

#[derive(Clone, Copy)]
enum Op {
    WakeNoWaiter,
    WaitNotEqualPrecheck,
    WaitNotEqualSyscall,
    RoundTrip(Placement),
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::WakeNoWaiter => "`wake_one`, no waiter (syscall)",
            Op::WaitNotEqualPrecheck => "`wait` → NotEqual, public API (user-space pre-check)",
            Op::WaitNotEqualSyscall => "`wait` → NotEqual, `__syscall_wait` (kernel `EAGAIN`)",
            Op::RoundTrip(Placement::Unpinned) => "round trip, 2 threads, unpinned",
            Op::RoundTrip(Placement::SameCpu) => "round trip, 2 threads pinned to 1 CPU",
            Op::RoundTrip(Placement::CrossCpu) => "round trip, 2 threads pinned to 2 CPUs",
        }
    }

    /// `cpus`: the first CPUs of this process's affinity mask (for pinned placements).
    fn subject(self, scope: Scope, cpus: &[usize]) -> Subject {
        Subject {
            scope,
            // 1 so that waiting for 0 is NotEqual.
            word: AtomicU32::new(1),
            pp: match self {
                Op::RoundTrip(Placement::Unpinned) => Some(PingPong::new(scope, None)),
                Op::RoundTrip(Placement::SameCpu) => Some(PingPong::new(scope, Some(cpus[0]))),
                Op::RoundTrip(Placement::CrossCpu) => Some(PingPong::new(scope, Some(cpus[1]))),
                _ => None,
            },
        }
    }

    /// Runs `iters` iterations and returns the elapsed time.
    fn run(self, s: &mut Subject, iters: u64) -> Duration {
        let scope = s.scope;
        let word = &s.word;
        let start = Instant::now();
        match self {
            Op::WakeNoWaiter => {
                for _ in 0..iters {
                    black_box(scope.wake_one(black_box(word)));
                }
            }
            Op::WaitNotEqualPrecheck => {
                for _ in 0..iters {
                    black_box(scope.wait(black_box(word), black_box(0), None));
                }
            }
            Op::WaitNotEqualSyscall => {
                for _ in 0..iters {
                    black_box(futex::__syscall_wait(black_box(word), black_box(0), scope));
                }
            }
            Op::RoundTrip(_) => {
                let pp = s.pp.as_mut().expect("round trip needs a peer");
                for _ in 0..iters {
                    pp.round_trip();
                }
            }
        }
        start.elapsed()
    }

    /// Iterations that take about [`REP_TARGET`] (also serves as warm-up).
    fn calibrate(self, s: &mut Subject) -> u64 {
        report::calibrate(|iters| self.run(s, iters), report::rep_target(REP_TARGET))
    }
}

/// Measures `op` for both scopes, alternating repetitions; returns (shared, private).
fn measure(op: Op, cpus: &[usize]) -> (Stats, Stats) {
    if let Op::RoundTrip(Placement::SameCpu | Placement::CrossCpu) = op {
        pin_to(cpus[0]);
    }
    let mut shared = op.subject(Scope::Shared, cpus);
    let mut private = op.subject(Scope::Private, cpus);
    let n_shared = op.calibrate(&mut shared);
    let n_private = op.calibrate(&mut private);
    // Same iteration count for both, so each repetition takes comparable time.
    let iters = n_shared.min(n_private);
    let reps = report::reps(REPS);
    let mut ns_shared = Vec::with_capacity(reps);
    let mut ns_private = Vec::with_capacity(reps);
    for rep in 0..reps {
        // Alternate which scope goes first.
        let order: [(&mut Subject, &mut Vec<f64>); 2] = if rep % 2 == 0 {
            [
                (&mut shared, &mut ns_shared),
                (&mut private, &mut ns_private),
            ]
        } else {
            [
                (&mut private, &mut ns_private),
                (&mut shared, &mut ns_shared),
            ]
        };
        for (s, out) in order {
            let t = op.run(s, iters);
            out.push(t.as_nanos() as f64 / iters as f64);
        }
    }
    drop((shared, private));
    set_affinity(cpus);
    (stats(ns_shared), stats(ns_private))
}

/// Prints the table.
pub fn run() {
    let started = Instant::now();
    report::print_header(
        &report::machine(),
        &format!(
            "median of {REPS} repetitions of ~{} ms each; shared and private repetitions alternate",
            REP_TARGET.as_millis()
        ),
    );

    let cpus = allowed_cpus();
    let mut ops = vec![
        Op::WakeNoWaiter,
        Op::WaitNotEqualPrecheck,
        Op::WaitNotEqualSyscall,
        Op::RoundTrip(Placement::Unpinned),
    ];
    if !cpus.is_empty() {
        ops.push(Op::RoundTrip(Placement::SameCpu));
    }
    if cpus.len() >= 2 {
        ops.push(Op::RoundTrip(Placement::CrossCpu));
    }
    let results: Vec<(Op, Stats, Stats)> = ops
        .iter()
        .map(|&op| {
            let (s, p) = measure(op, &cpus);
            (op, s, p)
        })
        .collect();

    println!("| operation | shared ns | private ns | shared ÷ private |");
    println!("|---|---:|---:|---:|");
    for (op, s, p) in &results {
        println!(
            "| {} | {} | {} | {:.2} |",
            op.label(),
            fmt_ns(s.median),
            fmt_ns(p.median),
            s.median / p.median
        );
    }
    println!();
    println!("spread (min–max over repetitions, ns):");
    println!();
    println!("| operation | shared | private |");
    println!("|---|---:|---:|");
    for (op, s, p) in &results {
        println!(
            "| {} | {}–{} | {}–{} |",
            op.label(),
            fmt_ns(s.min),
            fmt_ns(s.max),
            fmt_ns(p.min),
            fmt_ns(p.max)
        );
    }
    println!();
    report::print_total(started);
}
