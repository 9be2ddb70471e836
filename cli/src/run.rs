//! `shmkern stats` and `shmkern sum`: map the file, compute on a pool (or, with `--processes N`,
//! in N cooperating processes through a job), print text or JSON.

use crate::dispatch::dispatch;
use crate::input::{inspect, Source};
use crate::output::{json_opt, print, rate, rows, size, text_opt, Scalar};
use crate::processes;
use crate::progress::Progress;
use crate::{AccuracyArg, Failure, InputArgs, StatsArgs, SumArgs};
use serde_json::{Map, Value};
use shmkern::buffer::{DType, Element, Hint};
use shmkern::job::JobKind;
use shmkern::kernels::{Accuracy, ExactSum, Float, Int, StatElement, Stats};
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

/// How a result was computed, printed after it: threads (per process), processes (only when more
/// than one), seconds and bytes. `threads` is `None` for `job wait`, which computes nothing.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub threads: Option<usize>,
    pub processes: usize,
    pub seconds: f64,
    pub bytes: u64,
}

/// A result as named values, in print order: `(name, JSON value, text)`.
pub type Fields = Vec<(&'static str, Value, String)>;

/// Prints `fields` of the data in `src` (`count` values of `dtype`) with the run's figures: one
/// JSON object, or aligned text rows headed by the file and the time.
pub fn emit(
    src: &Source,
    count: u64,
    fields: Fields,
    run: &Run,
    json: bool,
) -> Result<(), Failure> {
    if json {
        let mut m = Map::new();
        m.insert("dtype".into(), src.dtype.name().into());
        for (k, v, _) in fields {
            m.insert(k.into(), v);
        }
        if let Some(t) = run.threads {
            m.insert("threads".into(), t.into());
        }
        if run.processes > 1 {
            m.insert("processes".into(), run.processes.into());
        }
        m.insert("seconds".into(), run.seconds.into());
        m.insert("bytes".into(), run.bytes.into());
        return print(&format!("{}\n", Value::Object(m)));
    }
    let on = match (run.threads, run.processes) {
        (Some(t), 1) => format!(" on {t} threads"),
        (Some(t), p) => format!(" in {p} processes of {t} threads"),
        (None, _) => String::new(),
    };
    let mut r = vec![
        (
            "file",
            format!(
                "{} ({}, {count} values, {})",
                src.path.display(),
                src.dtype,
                size(run.bytes)
            ),
        ),
        (
            "time",
            format!("{:.3} s, {}{on}", run.seconds, rate(run.bytes, run.seconds)),
        ),
    ];
    r.extend(fields.into_iter().map(|(k, _, t)| (k, t)));
    print(&rows(&r))
}

/// The fields of a `Stats` result with variances of `ddof`.
pub fn stats_fields<T>(s: &Stats<T>, ddof: u64) -> Fields
where
    T: StatElement + Scalar,
    T::Sum: Scalar,
{
    let var = |x: Option<f64>| (json_opt(x), format!("{} (ddof {ddof})", text_opt(x)));
    let (variance, variance_text) = var(s.variance(ddof));
    let (std_dev, std_dev_text) = var(s.std_dev(ddof));
    vec![
        ("count", s.count().into(), s.count().to_string()),
        ("nan_count", s.nan_count().into(), s.nan_count().to_string()),
        ("sum", s.sum().json(), s.sum().text()),
        ("min", json_opt(s.min()), text_opt(s.min())),
        ("max", json_opt(s.max()), text_opt(s.max())),
        ("mean", json_opt(s.mean()), text_opt(s.mean())),
        ("variance", variance, variance_text),
        ("std_dev", std_dev, std_dev_text),
        ("ddof", ddof.into(), ddof.to_string()),
    ]
}

/// The fields of a sum of `count` values.
pub fn sum_fields<S: Scalar>(count: u64, sum: S, accuracy: &str) -> Fields {
    vec![
        ("count", count.into(), count.to_string()),
        ("sum", sum.json(), sum.text()),
        ("accuracy", accuracy.into(), accuracy.to_owned()),
    ]
}

pub fn stats(args: StatsArgs) -> Result<(), Failure> {
    let src = inspect(&args.input.file, args.input.dtype)?;
    if let Some(n) = args.input.processes.filter(|&n| n > 1) {
        let create = processes::builtin(&src, JobKind::Stats);
        return processes::run(&src, create, n, &args.input, |job, run| {
            dispatch!(src.dtype, T => {
                let s = job.wait_stats::<T>(processes::WAIT)?;
                emit(&src, s.count() + s.nan_count(), stats_fields(&s, args.ddof), run, args.input.json)
            })
        });
    }
    let pool = pool(args.input.threads)?;
    dispatch!(src.dtype, T => stats_of::<T>(&src, &pool, &args))
}

fn stats_of<T>(src: &Source, pool: &Pool, args: &StatsArgs) -> Result<(), Failure>
where
    T: StatElement + Element + Scalar,
    T::Sum: Scalar,
{
    let (s, run) = on_mapped::<T, _>(src, pool, "stats", args.input.quiet, |p, d, o| {
        p.stats_with(d, o)
    })?;
    let count = s.count() + s.nan_count();
    emit(
        src,
        count,
        stats_fields(&s, args.ddof),
        &run,
        args.input.json,
    )
}

/// Maps the file, runs `f` on the data with a progress bar labelled `what` (unless `quiet`), and
/// returns its result with the run's figures.
fn on_mapped<T: Element, R>(
    src: &Source,
    pool: &Pool,
    what: &str,
    quiet: bool,
    f: impl FnOnce(&Pool, &[T], ParOptions<'_>) -> Result<R, shmkern::Error>,
) -> Result<(R, Run), Failure> {
    on_mapped_reads(src, pool, what, quiet, 1, f)
}

/// [`on_mapped`] for work that reads the data about `reads` times (the bar's length).
pub fn on_mapped_reads<T: Element, R>(
    src: &Source,
    pool: &Pool,
    what: &str,
    quiet: bool,
    reads: u64,
    f: impl FnOnce(&Pool, &[T], ParOptions<'_>) -> Result<R, shmkern::Error>,
) -> Result<(R, Run), Failure> {
    let start = Instant::now();
    let data = src.map::<T>()?;
    // Sequential read-ahead for the page cache; a hint, so a refusal changes nothing.
    let _ = data.advise(Hint::Sequential);
    let progress = Progress::start(what, data.len() as u64 * reads, quiet);
    let opts = ParOptions {
        progress: Some(progress.counter()),
        ..ParOptions::default()
    };
    let r = f(pool, &data, opts)?;
    progress.finish();
    let run = Run {
        threads: Some(pool.threads()),
        processes: 1,
        seconds: start.elapsed().as_secs_f64(),
        bytes: data.as_bytes().len() as u64,
    };
    Ok((r, run))
}

fn accuracy_of(a: AccuracyArg) -> Accuracy {
    match a {
        AccuracyArg::Fast => Accuracy::Fast,
        AccuracyArg::Compensated => Accuracy::Compensated,
        AccuracyArg::Exact => Accuracy::Exact,
    }
}

fn accuracy_name(a: Accuracy) -> &'static str {
    match a {
        Accuracy::Compensated => "compensated",
        Accuracy::Exact => "exact",
        _ => "fast",
    }
}

pub fn sum(args: SumArgs) -> Result<(), Failure> {
    let src = inspect(&args.input.file, args.input.dtype)?;
    let accuracy = accuracy_of(args.accuracy);
    if let Some(n) = args.input.processes.filter(|&n| n > 1) {
        let float = matches!(src.dtype, DType::F32 | DType::F64);
        if float && accuracy == Accuracy::Compensated {
            return Err(Failure::Usage(
                "--processes sums floats in fast or exact accuracy, not compensated (a job's \
                 chunk results are plain partials; the compensated pairs are not one); use \
                 --accuracy exact or drop --processes"
                    .into(),
            ));
        }
        if float && accuracy == Accuracy::Exact {
            let json = args.input.json;
            let report = |src: &Source, s: f64, count: u64, run: &Run| {
                emit(src, count, sum_fields(count, s, "exact"), run, json)
            };
            return match src.dtype {
                DType::F32 => {
                    let create = processes::of_kernel(&src, ExactSum::<f32>::new());
                    processes::run(&src, create, n, &args.input, |job, run| {
                        let s = job.wait_kernel(&ExactSum::<f32>::new(), processes::WAIT)?;
                        report(&src, s, job.count(), run)
                    })
                }
                _ => {
                    let create = processes::of_kernel(&src, ExactSum::<f64>::new());
                    processes::run(&src, create, n, &args.input, |job, run| {
                        let s = job.wait_kernel(&ExactSum::<f64>::new(), processes::WAIT)?;
                        report(&src, s, job.count(), run)
                    })
                }
            };
        }
        let create = processes::builtin(&src, JobKind::Sum);
        return processes::run(&src, create, n, &args.input, |job, run| {
            let count = job.count();
            let (fields, json) = (|s| sum_fields(count, s, "fast"), args.input.json);
            match src.dtype {
                DType::F32 => emit(
                    &src,
                    count,
                    fields(job.wait_sum_float::<f32>(processes::WAIT)?),
                    run,
                    json,
                ),
                DType::F64 => emit(
                    &src,
                    count,
                    fields(job.wait_sum_float::<f64>(processes::WAIT)?),
                    run,
                    json,
                ),
                _ => dispatch_int_job(&src, job, run, json),
            }
        });
    }
    let pool = pool(args.input.threads)?;
    let input = &args.input;
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

/// Prints an integer sum job's exact result.
pub fn dispatch_int_job(
    src: &Source,
    job: &shmkern::job::Job,
    run: &Run,
    json: bool,
) -> Result<(), Failure> {
    fn of<T: Int + Element>(
        src: &Source,
        job: &shmkern::job::Job,
        run: &Run,
        json: bool,
    ) -> Result<(), Failure>
    where
        T::Wide: Scalar,
    {
        let s = job.wait_sum_int::<T>(processes::WAIT)?;
        emit(
            src,
            job.count(),
            sum_fields(job.count(), s, "exact"),
            run,
            json,
        )
    }
    match src.dtype {
        DType::I8 => of::<i8>(src, job, run, json),
        DType::I16 => of::<i16>(src, job, run, json),
        DType::I32 => of::<i32>(src, job, run, json),
        DType::I64 => of::<i64>(src, job, run, json),
        DType::U8 => of::<u8>(src, job, run, json),
        DType::U16 => of::<u16>(src, job, run, json),
        DType::U32 => of::<u32>(src, job, run, json),
        DType::U64 => of::<u64>(src, job, run, json),
        DType::F32 | DType::F64 => unreachable!("float sums are not integer jobs"),
    }
}

/// Maps the file, runs `f` on the data with a progress bar, and prints the sum as text or JSON.
fn sum_of<T: Element, S: Scalar>(
    src: &Source,
    pool: &Pool,
    input: &InputArgs,
    accuracy: &str,
    f: impl FnOnce(&Pool, &[T], ParOptions<'_>) -> Result<S, shmkern::Error>,
) -> Result<(), Failure> {
    let (s, run) = on_mapped(src, pool, "sum", input.quiet, f)?;
    let count = run.bytes / T::DTYPE.size() as u64;
    emit(src, count, sum_fields(count, s, accuracy), &run, input.json)
}

fn float_sum<T: Float + Element>(
    src: &Source,
    pool: &Pool,
    input: &InputArgs,
    accuracy: Accuracy,
) -> Result<(), Failure> {
    sum_of::<T, f64>(src, pool, input, accuracy_name(accuracy), |p, d, o| {
        p.sum_float_with(d, accuracy, o)
    })
}

/// Integer sums are exact whatever `--accuracy` says, and report "exact".
fn int_sum<T: Int + Element>(src: &Source, pool: &Pool, input: &InputArgs) -> Result<(), Failure>
where
    T::Wide: Scalar,
{
    sum_of::<T, T::Wide>(src, pool, input, "exact", |p, d, o| p.sum_int_with(d, o))
}
