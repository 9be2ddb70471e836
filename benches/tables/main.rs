//! The markdown tables of `docs/performance.md`, each measuring shmkern next to its references
//! (rayon, sequential loops, the machine's read bandwidth, the anchors of the project brief), one
//! table per subcommand:
//!
//! - `futex`: futex wake and wait costs, shared scope next to private ([`futex`]);
//! - `pool`: the pool's broadcast round trip and reduce against rayon, its spin budget and inline
//!   cutoff ([`pool`]);
//! - `kernels`: the sum kernels at four sizes, per ISA and per element type ([`kernels`]);
//! - `scaling`: the kernels on 1 to 16 participants, with and without software prefetch, cached
//!   against streaming ([`scaling`]);
//! - `framework`: the built-in kernels through the kernel framework against the closure path
//!   they took before, and a user kernel ([`framework`]);
//! - `suite`: the kernel suite (moments, extremes, histogram, quantiles, describe) against the
//!   bandwidth loop and rayon ([`suite`]);
//! - `group`: statistics per group of a key column against the bandwidth loop, `stats` and rayon
//!   ([`group`]);
//! - `anchors`: the `f64` sum against rayon, paralight, oneTBB and Node.js ([`anchors`]);
//! - `plot`: the `f64` sum's throughput at 14 input sizes, a table and `docs/throughput.png`
//!   ([`plot`]).
//!
//! ```sh
//! cargo bench --bench tables -- kernels          # one table (several: `-- futex pool`)
//! cargo bench --bench tables                     # all (also `-- all`), each in its own process
//! cargo bench --bench tables -- kernels --quick  # smoke run, few short repetitions: not for docs
//! ```
//!
//! Each table says what it measures at the top of its module. Code they share is in
//! `benches/common/`: `report.rs` (header, interleaved measurement, formatting, other processes'
//! CPU time), `buffer.rs` (the 1 GiB test data), `bandwidth.rs` (the read-bandwidth loop),
//! `pingpong.rs` (the futex round trip), `anchors.rs` (the oneTBB and Node.js children). On the
//! 16-core device machine, `benches/device/` builds and runs this binary.

mod anchors;
mod framework;
mod futex;
mod group;
mod kernels;
mod numpy;
mod plot;
mod pool;
mod scaling;
mod suite;

#[path = "../common/mod.rs"]
mod common;

use std::process::{Command, ExitCode};

/// The tables, by subcommand name, in the order `all` runs them.
const TABLES: [(&str, fn()); 9] = [
    ("futex", futex::run),
    ("pool", pool::run),
    ("kernels", kernels::run),
    ("scaling", scaling::run),
    ("framework", framework::run),
    ("suite", suite::run),
    ("group", group::run),
    ("anchors", run_anchors),
    ("plot", plot::run),
];

fn run_anchors() {
    if let Err(e) = anchors::run() {
        panic!("anchors: {e}");
    }
}

fn usage() -> String {
    let names: Vec<&str> = TABLES.iter().map(|(n, _)| *n).collect();
    format!(
        "usage: cargo bench --bench tables -- [{}|all]... [--quick]",
        names.join("|")
    )
}

fn main() -> ExitCode {
    let mut names = Vec::new();
    let mut quick = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            // What cargo passes to every bench target.
            "--bench" => {}
            "--quick" => quick = true,
            "all" => names.extend(TABLES.iter().map(|(n, _)| n.to_string())),
            name if TABLES.iter().any(|(n, _)| *n == name) => names.push(arg),
            _ => {
                eprintln!("tables: unknown argument {arg:?}\n{}", usage());
                return ExitCode::from(2);
            }
        }
    }
    if names.is_empty() {
        names.extend(TABLES.iter().map(|(n, _)| n.to_string()));
    }
    if let [name] = &names[..] {
        if quick {
            common::report::set_quick();
        }
        let (_, run) = TABLES
            .iter()
            .find(|(n, _)| n == name)
            .expect("a known table");
        run();
        return ExitCode::SUCCESS;
    }
    // Several tables: each in a process of its own, as if run one by one, so that none inherits
    // another's threads, CPU affinity or memory.
    let exe = std::env::current_exe().expect("this binary's path");
    let mut failed = Vec::new();
    for name in &names {
        let mut child = Command::new(&exe);
        child.arg(name);
        if quick {
            child.arg("--quick");
        }
        match child.status() {
            Ok(status) if status.success() => {}
            Ok(status) => failed.push(format!("{name} ({status})")),
            Err(e) => failed.push(format!("{name} (not started: {e})")),
        }
        println!();
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("tables: failed: {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
