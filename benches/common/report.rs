//! Shared by the table benches (`benches/tables/`, `cli/benches/file_table.rs`): the machine/date
//! header, repetition statistics and the calibrated, interleaved measurement loop, the quick
//! (smoke-test) mode, number formatting, and the accounting of other processes' CPU time during a
//! table.
#![allow(dead_code)] // each bench uses its own subset

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------------
// Quick mode: a smoke test of a table's code, not a measurement.

static QUICK: AtomicBool = AtomicBool::new(false);

/// Turns on quick mode for the rest of the process: [`reps`] and [`rep_target`] shrink, so a
/// table runs in seconds and its numbers mean nothing.
pub fn set_quick() {
    QUICK.store(true, Relaxed);
}

/// Whether quick mode is on.
pub fn quick() -> bool {
    QUICK.load(Relaxed)
}

/// Repetitions to run where a table asks for `n`: `n`, or at most 3 in quick mode.
pub fn reps(n: usize) -> usize {
    if quick() {
        n.min(3)
    } else {
        n
    }
}

/// Measured time of one repetition where a table asks for `target`: `target`, or at most 1 ms in
/// quick mode.
pub fn rep_target(target: Duration) -> Duration {
    if quick() {
        target.min(Duration::from_millis(1))
    } else {
        target
    }
}

// ---------------------------------------------------------------------------------------------
// Header: machine and date.

/// The CPU model from `/proc/cpuinfo`, or "unknown CPU".
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// What `nproc` prints (falling back on `available_parallelism`), or "?".
pub fn nproc() -> String {
    std::process::Command::new("nproc")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(|n| n.to_string())
        })
        .unwrap_or_else(|| "?".to_string())
}

/// The kernel release, or "unknown".
pub fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// The transparent-huge-page mode (the bracketed word of the sysfs file), or "unknown".
pub fn thp_mode() -> String {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .ok()
        .and_then(|s| {
            let a = s.find('[')?;
            let b = s.find(']')?;
            Some(s[a + 1..b].to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Today's UTC date as `YYYY-MM-DD` (days-to-civil, proleptic Gregorian).
pub fn today_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// "CPU model (N cores, `nproc`), Linux release": the machine line's usual content.
pub fn machine() -> String {
    format!(
        "{} ({} cores, `nproc`), Linux {}",
        cpu_model(),
        nproc(),
        kernel()
    )
}

/// Prints the header every table starts with: `machine: …`, `date: … (UTC)`, `method: …` and an
/// empty line.
pub fn print_header(machine: &str, method: &str) {
    println!("machine: {machine}");
    println!("date: {} (UTC)", today_utc());
    println!("method: {method}");
    if quick() {
        println!("mode: --quick (at most 3 repetitions of at most 1 ms): a smoke test, not a measurement");
    }
    println!();
}

// ---------------------------------------------------------------------------------------------
// Repetitions: statistics and the measurement loop.

/// Median, minimum and maximum of a set of repetitions.
#[derive(Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// The [`Stats`] of `v` (not empty).
pub fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Stats {
        median,
        min: v[0],
        max: v[n - 1],
    }
}

/// Runs the given number of calls and returns the measured time.
pub type Variant<'a> = Box<dyn FnMut(u64) -> Duration + 'a>;

/// Iterations of `run` (which runs the given number and returns the measured time) that take about
/// `target` of measured time; also serves as warm-up.
pub fn calibrate(mut run: impl FnMut(u64) -> Duration, target: Duration) -> u64 {
    let mut iters = 1u64;
    loop {
        let t = run(iters);
        if t >= target / 8 || iters >= 1 << 40 {
            let per = t.as_secs_f64() / iters as f64;
            return ((target.as_secs_f64() / per) as u64).max(1);
        }
        iters *= 2;
    }
}

/// Measures every variant over `reps` repetitions of about `target` each, interleaved: repetition
/// `r` starts with variant `r % len` and goes round. Returns ns per call, in the variants' order.
/// (Both shrink in quick mode: [`reps`], [`rep_target`].)
pub fn measure(variants: &mut [Variant<'_>], reps: usize, target: Duration) -> Vec<Stats> {
    measure_samples(variants, reps, target)
        .into_iter()
        .map(stats)
        .collect()
}

/// [`measure`]'s samples themselves: ns per call of each repetition, per variant. Sample `r` of
/// every variant comes from the same round, so ratios of paired samples cancel slow drift.
pub fn measure_samples(
    variants: &mut [Variant<'_>],
    reps: usize,
    target: Duration,
) -> Vec<Vec<f64>> {
    let (reps, target) = (self::reps(reps), rep_target(target));
    let iters: Vec<u64> = variants.iter_mut().map(|v| calibrate(v, target)).collect();
    let n = variants.len();
    let mut ns = vec![Vec::with_capacity(reps); n];
    for rep in 0..reps {
        for j in 0..n {
            let i = (rep + j) % n;
            let t = variants[i](iters[i]);
            ns[i].push(t.as_nanos() as f64 / iters[i] as f64);
        }
    }
    ns
}

/// The median of the per-round ratios `a[r] / b[r]` of two variants' [`measure_samples`].
pub fn paired_ratio(a: &[f64], b: &[f64]) -> f64 {
    stats(a.iter().zip(b).map(|(x, y)| x / y).collect()).median
}

/// A back-to-back variant: `iters` calls of `f` in one timed loop.
pub fn back_to_back<'a>(mut f: impl FnMut() + 'a) -> Variant<'a> {
    Box::new(move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    })
}

// ---------------------------------------------------------------------------------------------
// Formatting.

/// ns with two decimals below 10, one below 100, none above.
pub fn fmt_ns(ns: f64) -> String {
    if ns < 10.0 {
        format!("{ns:.2}")
    } else if ns < 100.0 {
        format!("{ns:.1}")
    } else {
        format!("{ns:.0}")
    }
}

/// A time in ns, µs or ms, about four significant digits.
pub fn fmt_time(ns: f64) -> String {
    if ns < 10_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 10_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{:.1} ms", ns / 1e6)
    }
}

/// `n` with thousands separators: 1048576 → "1,048,576".
pub fn fmt_n(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Other processes' CPU time.

/// CPU seconds used so far by the whole machine (busy, steal) and by this process, from `/proc`.
pub fn cpu_seconds() -> (f64, f64, f64) {
    // SAFETY: sysconf only reads a configuration value.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let machine: Vec<f64> = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| s.lines().next().map(str::to_string))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    // user nice system idle iowait irq softirq steal
    let field = |i: usize| machine.get(i).copied().unwrap_or(0.0);
    let busy = field(0) + field(1) + field(2) + field(5) + field(6);
    (busy / tck, field(7) / tck, process_cpu_seconds("self"))
}

/// CPU seconds (user + system, all its threads) used so far by process `pid` ("self" or a
/// number), from `/proc/<pid>/stat`; 0 if it cannot be read.
pub fn process_cpu_seconds(pid: &str) -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields 14 and 15 of the line (utime, stime, of all threads) are the 12th and 13th
            // after the command name, whose `)` ends field 2.
            let mut f = s.rsplit_once(") ")?.1.split_whitespace().skip(11);
            let utime: f64 = f.next()?.parse().ok()?;
            let stime: f64 = f.next()?.parse().ok()?;
            Some((utime + stime) / tck)
        })
        .unwrap_or(0.0)
}

/// Runs one table and says how much CPU time other processes (and the hypervisor, as steal) took
/// meanwhile: a table measured while something else ran is not comparable.
pub fn section(table: impl FnOnce()) {
    section_with_children(&[], table);
}

/// [`section`] for a table that drives child processes (`(name, pid)`): their CPU time is printed
/// apart, not counted as other processes'.
pub fn section_with_children(children: &[(&str, u32)], table: impl FnOnce()) {
    let child_cpu = || -> Vec<f64> {
        children
            .iter()
            .map(|&(_, pid)| process_cpu_seconds(&pid.to_string()))
            .collect()
    };
    let (busy0, steal0, me0) = cpu_seconds();
    let kids0 = child_cpu();
    let start = Instant::now();
    table();
    let (busy1, steal1, me1) = cpu_seconds();
    let kids1 = child_cpu();
    let kids: Vec<f64> = kids1.iter().zip(&kids0).map(|(a, b)| a - b).collect();
    let mut line = format!(
        "(during this table, {:.1} s: other processes used {:.2} CPU-s, steal {:.2} s",
        start.elapsed().as_secs_f64(),
        ((busy1 - busy0) - (me1 - me0) - kids.iter().sum::<f64>()).max(0.0),
        steal1 - steal0
    );
    for ((name, _), cpu) in children.iter().zip(&kids) {
        line += &format!("; the {name} child {cpu:.2} CPU-s");
    }
    println!("{line})");
    println!();
}

/// Prints the closing `(total … s)` line, `started` being when the binary began.
pub fn print_total(started: Instant) {
    println!("(total {:.1} s)", started.elapsed().as_secs_f64());
}
