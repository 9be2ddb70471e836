//! `shmkern demo`: the README's main job. Fills an anonymous shared buffer with normal f64 values
//! and times `stats` on one thread and on all of them, checking that both give the same bits.

use crate::gen::fill;
use crate::output::{print, rate, rows, size, Scalar};
use crate::progress::Progress;
use crate::{DemoArgs, Dist, Failure};
use shmkern::{Pool, SharedBuffer, Stats};
use std::time::{Duration, Instant};

const DEFAULT_SIZE: u64 = 1 << 30;
/// Timed runs per thread count; the best is reported (the machine may be shared).
const RUNS: usize = 3;

/// Parses `1G`, `256M`, `64K` (powers of 1024) or a plain number of bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 10),
        Some((i, 'M' | 'm')) => (&t[..i], 20),
        Some((i, 'G' | 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size (bytes, or a number with K, M or G)"))?;
    n.checked_mul(1 << shift)
        .filter(|&b| b >= 8)
        .ok_or_else(|| format!("{s:?} is out of range (at least 8 bytes)"))
}

/// `MemAvailable` from /proc/meminfo, in bytes (Linux).
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

pub fn run(args: DemoArgs) -> Result<(), Failure> {
    let mut bytes = args.size.unwrap_or(DEFAULT_SIZE);
    let mut note = String::new();
    let avail = available_memory();
    match (args.size, avail) {
        (None, Some(avail)) if avail / 4 < bytes => {
            bytes = (avail / 4).max(8 << 20);
            note = format!(" (less than 1 GiB: {} of memory available)", size(avail));
        }
        // The buffer is memory, not a file: filling more than the machine has free would end in
        // swapping or the OOM killer, not in an error.
        (Some(asked), Some(avail)) if asked > avail / 2 => {
            return Err(Failure::Other(format!(
                "--size {}: the demo's buffer lives in memory, and only {} is available (at most \
                 half of it, {}, can be used)",
                size(asked),
                size(avail),
                size(avail / 2)
            )));
        }
        _ => {}
    }
    let len = (bytes / 8) as usize;
    let all = crate::run::pool(None)?;
    let one = Pool::builder().threads(1).build()?;

    let mut data = SharedBuffer::<f64>::anonymous(len)?;
    let start = Instant::now();
    let progress = Progress::start("filling", len as u64, false);
    fill(&all, &mut data, Dist::Normal, 42, &progress)?;
    progress.finish();
    let fill_time = start.elapsed();
    let bytes = data.as_bytes().len() as u64;

    let mut out = format!(
        "shmkern demo: stats of {} f64 values ({}{note}) in an anonymous shared buffer\n\
         filled with normal(0, 1) values (seed 42) in {:.2} s on {} threads\n\n",
        len,
        size(bytes),
        fill_time.as_secs_f64(),
        all.threads()
    );
    let (s1, t1) = best_of(&one, &data);
    let (sn, tn) = best_of(&all, &data);
    out.push_str(&format!(
        "{:>8}  {:>9}  {:>10}  {:>8}\n",
        "threads", "time", "throughput", "speed-up"
    ));
    for (threads, t) in [(1, t1), (all.threads(), tn)] {
        out.push_str(&format!(
            "{threads:>8}  {:>7.1} ms  {:>10}  {:>7.2}x\n",
            t.as_secs_f64() * 1e3,
            rate(bytes, t.as_secs_f64()),
            t1.as_secs_f64() / t.as_secs_f64()
        ));
    }
    let same = s1 == sn;
    out.push_str(&format!(
        "\nbest of {RUNS} runs each; the two results are {}\n\n",
        if same {
            "bit-identical"
        } else {
            "DIFFERENT (a bug)"
        }
    ));
    out.push_str(&rows(&[
        ("count", sn.count().to_string()),
        ("nan_count", sn.nan_count().to_string()),
        ("sum", sn.sum().text()),
        ("min", sn.min().map_or("undefined".into(), Scalar::text)),
        ("max", sn.max().map_or("undefined".into(), Scalar::text)),
        ("mean", sn.mean().map_or("undefined".into(), Scalar::text)),
        (
            "variance",
            sn.variance(1).map_or("undefined".into(), Scalar::text),
        ),
        (
            "std_dev",
            sn.std_dev(1).map_or("undefined".into(), Scalar::text),
        ),
    ]));
    print(&out)?;
    if same {
        Ok(())
    } else {
        Err(Failure::Other(
            "stats on 1 thread and on all threads differ".to_owned(),
        ))
    }
}

/// The fastest of [`RUNS`] timed `stats` calls, with the result (every run's must agree).
fn best_of(pool: &Pool, data: &[f64]) -> (Stats<f64>, Duration) {
    let mut best = Duration::MAX;
    let mut result = Stats::empty();
    for _ in 0..RUNS {
        let start = Instant::now();
        result = pool.stats(data);
        best = best.min(start.elapsed());
    }
    (result, best)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("256m"), Ok(256 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("").is_err());
        assert!(parse_size("1T").is_err());
        assert!(parse_size("4").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
