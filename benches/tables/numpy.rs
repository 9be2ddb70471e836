//! numpy's single calls on the kernel suite's data (`numpy_suite.py`, in a child process run
//! before the suite maps its own copy, so the two never hold their gigabytes at once): the time
//! of each, and its result, which the suite checks against its own.

use crate::common::report::{self, fmt_time};
use std::process::Command;

/// One numpy call: its times (ns) and its result as the script printed it.
pub struct Call {
    pub name: String,
    pub stats: report::Stats,
    pub result: String,
}

/// numpy's calls over `n` suite values, `reps` times each, with numpy's version; `Err` says why
/// there are none (no `python3`, no numpy, the script failed).
pub fn run(n: usize, reps: usize) -> Result<(Vec<Call>, String), String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/tables/numpy_suite.py");
    let out = Command::new("python3")
        .args([script, &n.to_string(), &reps.to_string()])
        .output()
        .map_err(|e| format!("python3 could not start: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "numpy_suite.py failed ({}): {}",
            out.status,
            err.lines().last().unwrap_or("")
        ));
    }
    let (mut calls, mut version) = (Vec::new(), String::new());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [name, median, min, max, result] = f[..] else {
            return Err(format!("numpy_suite.py: unexpected line {line:?}"));
        };
        if name == "numpy" {
            version = result.to_owned();
            continue;
        }
        if median == "-" {
            println!("({name}: {result}; its row is left out)");
            continue;
        }
        let ns = |s: &str| s.parse::<f64>().map_err(|e| format!("{name}: {s:?}: {e}"));
        calls.push(Call {
            name: name.to_owned(),
            stats: report::Stats {
                median: ns(median)?,
                min: ns(min)?,
                max: ns(max)?,
            },
            result: result.to_owned(),
        });
    }
    Ok((calls, version))
}

/// The call named `name`, if numpy made it.
pub fn find<'a>(calls: &'a [Call], name: &str) -> Option<&'a Call> {
    calls.iter().find(|c| c.name == name)
}

/// Prints numpy's calls beside the shmkern rows that do the same (`(numpy call, shmkern row,
/// shmkern's median ns)`).
pub fn print_table(calls: &[Call], version: &str, threads: usize, pairs: &[(&str, &str, f64)]) {
    println!(
        "### numpy's single calls on the same data (numpy {version}, one thread; ×numpy: numpy's \
         time / shmkern's on {threads} threads)"
    );
    println!();
    println!("| numpy call | time (median) | min–max | shmkern | its time | ×numpy |");
    println!("|---|---:|---:|---|---:|---:|");
    for &(call, row, ours) in pairs {
        let Some(c) = find(calls, call) else { continue };
        println!(
            "| `{call}` | {} | {}–{} | {row} | {} | ×{:.2} |",
            fmt_time(c.stats.median),
            fmt_time(c.stats.min),
            fmt_time(c.stats.max),
            fmt_time(ours),
            c.stats.median / ours,
        );
    }
    println!();
}
