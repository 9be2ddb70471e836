//! `shmkern stats` and `shmkern sum`: map the file, compute on a pool, print text or JSON.

use crate::dispatch::dispatch;
use crate::input::{inspect, Source};
use crate::output::{json_opt, print, rate, rows, size, text_opt, Scalar};
use crate::progress::Progress;
use crate::{AccuracyArg, Failure, InputArgs, StatsArgs, SumArgs};
use serde_json::json;
use shmkern::buffer::{Element, Hint};
use shmkern::kernels::{Accuracy, Float, Int, StatElement};
use shmkern::{ParOptions, Pool};
use std::time::Instant;

/// A pool of `threads` participants, or one per core.
pub fn pool(threads: Option<u32>) -> Result<Pool, Failure> {
    let builder = Pool::builder();
    let builder = match threads {
        Some(n) => builder.threads(n as usize),
        None => builder,
    };
    Ok(builder.build()?)
}

/// What every command that read a file reports besides its result.
struct Run {
    threads: usize,
    seconds: f64,
    bytes: u64,
}

impl Run {
    fn text(&self, src: &Source, count: u64) -> Vec<(&'static str, String)> {
        vec![
            (
                "file",
                format!(
                    "{} ({}, {count} values, {})",
                    src.path.display(),
                    src.dtype,
                    size(self.bytes)
                ),
            ),
            (
                "time",
                format!(
                    "{:.3} s, {} on {} threads",
                    self.seconds,
                    rate(self.bytes, self.seconds),
                    self.threads
                ),
            ),
        ]
    }
}

pub fn stats(args: StatsArgs) -> Result<(), Failure> {
    let src = inspect(&args.input.file, args.input.dtype)?;
    let pool = pool(args.input.threads)?;
    dispatch!(src.dtype, T => stats_of::<T>(&src, &pool, &args))
}

fn stats_of<T>(src: &Source, pool: &Pool, args: &StatsArgs) -> Result<(), Failure>
where
    T: StatElement + Element + Scalar,
    T::Sum: Scalar,
{
    let start = Instant::now();
    let data = src.map::<T>()?;
    // Sequential read-ahead for the page cache; a hint, so a refusal changes nothing.
    let _ = data.advise(Hint::Sequential);
    let progress = Progress::start("stats", data.len() as u64, args.input.quiet);
    let opts = ParOptions {
        progress: Some(progress.counter()),
        ..ParOptions::default()
    };
    let s = pool.stats_with(&data, opts)?;
    progress.finish();
    let run = Run {
        threads: pool.threads(),
        seconds: start.elapsed().as_secs_f64(),
        bytes: data.as_bytes().len() as u64,
    };
    let ddof = args.ddof;
    if args.input.json {
        let v = json!({
            "dtype": T::DTYPE.name(),
            "count": s.count(),
            "nan_count": s.nan_count(),
            "sum": s.sum().json(),
            "min": json_opt(s.min()),
            "max": json_opt(s.max()),
            "mean": json_opt(s.mean()),
            "variance": json_opt(s.variance(ddof)),
            "std_dev": json_opt(s.std_dev(ddof)),
            "ddof": ddof,
            "threads": run.threads,
            "seconds": run.seconds,
            "bytes": run.bytes,
        });
        return print(&format!("{v}\n"));
    }
    let mut r = run.text(src, s.count() + s.nan_count());
    r.extend([
        ("count", s.count().to_string()),
        ("nan_count", s.nan_count().to_string()),
        ("sum", s.sum().text()),
        ("min", text_opt(s.min())),
        ("max", text_opt(s.max())),
        ("mean", text_opt(s.mean())),
        (
            "variance",
            format!("{} (ddof {ddof})", text_opt(s.variance(ddof))),
        ),
        (
            "std_dev",
            format!("{} (ddof {ddof})", text_opt(s.std_dev(ddof))),
        ),
    ]);
    print(&rows(&r))
}

pub fn sum(args: SumArgs) -> Result<(), Failure> {
    let src = inspect(&args.input.file, args.input.dtype)?;
    let pool = pool(args.input.threads)?;
    let input = &args.input;
    let accuracy = match args.accuracy {
        AccuracyArg::Fast => Accuracy::Fast,
        AccuracyArg::Compensated => Accuracy::Compensated,
        AccuracyArg::Exact => Accuracy::Exact,
    };
    use shmkern::buffer::DType;
    match src.dtype {
        DType::F32 => float_sum::<f32>(&src, &pool, input, accuracy),
        DType::F64 => float_sum::<f64>(&src, &pool, input, accuracy),
        DType::I8 => int_sum::<i8>(&src, &pool, input),
        DType::I16 => int_sum::<i16>(&src, &pool, input),
        DType::I32 => int_sum::<i32>(&src, &pool, input),
        DType::I64 => int_sum::<i64>(&src, &pool, input),
        DType::U8 => int_sum::<u8>(&src, &pool, input),
        DType::U16 => int_sum::<u16>(&src, &pool, input),
        DType::U32 => int_sum::<u32>(&src, &pool, input),
        DType::U64 => int_sum::<u64>(&src, &pool, input),
    }
}

fn accuracy_name(a: Accuracy) -> &'static str {
    match a {
        Accuracy::Compensated => "compensated",
        Accuracy::Exact => "exact",
        _ => "fast",
    }
}

/// Maps the file, runs `f` on the data, and prints the sum as text or JSON.
fn sum_of<T: Element, S: Scalar>(
    src: &Source,
    pool: &Pool,
    input: &InputArgs,
    accuracy: &str,
    f: impl FnOnce(&Pool, &[T]) -> S,
) -> Result<(), Failure> {
    let start = Instant::now();
    let data = src.map::<T>()?;
    let _ = data.advise(Hint::Sequential);
    let s = f(pool, &data);
    let run = Run {
        threads: pool.threads(),
        seconds: start.elapsed().as_secs_f64(),
        bytes: data.as_bytes().len() as u64,
    };
    if input.json {
        let v = json!({
            "dtype": T::DTYPE.name(),
            "count": data.len(),
            "sum": s.json(),
            "accuracy": accuracy,
            "threads": run.threads,
            "seconds": run.seconds,
            "bytes": run.bytes,
        });
        return print(&format!("{v}\n"));
    }
    let mut r = run.text(src, data.len() as u64);
    r.extend([("accuracy", accuracy.to_owned()), ("sum", s.text())]);
    print(&rows(&r))
}

fn float_sum<T: Float + Element>(
    src: &Source,
    pool: &Pool,
    input: &InputArgs,
    accuracy: Accuracy,
) -> Result<(), Failure> {
    sum_of::<T, f64>(src, pool, input, accuracy_name(accuracy), |p, d| {
        p.sum_with(d, accuracy)
    })
}

/// Integer sums are exact whatever `--accuracy` says, and report "exact".
fn int_sum<T: Int + Element>(src: &Source, pool: &Pool, input: &InputArgs) -> Result<(), Failure>
where
    T::Wide: Scalar,
{
    sum_of::<T, T::Wide>(src, pool, input, "exact", |p, d| p.sum_int(d))
}
