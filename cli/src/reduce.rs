//! `shmkern reduce KERNEL FILE [FILE2]`: one of the library's kernels over a file (`minmax`,
//! `moments`, `norms`) or over two equally long files of one element type (`dot`, `covariance`),
//! or over keys and values (`group-stats`, in `group.rs`), on a pool; text or JSON.

use crate::dispatch::dispatch;
use crate::input::{inspect, inspect_with, Source};
use crate::output::{json_opt, text_opt, Scalar};
use crate::processes;
use crate::progress::Progress;
use crate::run::{emit, on_mapped_reads, pool, Fields, Run};
use crate::{Failure, InputArgs, NanArg, ReduceArgs, ReduceKernel};
use shmkern::buffer::{DType, Element, Hint};
use shmkern::job::JobKernel;
use shmkern::kernels::{
    CentralMoments, Covariance, Dot, ExactDot, Extremes, Float, Kernel, MinMax, Moments, NanPolicy,
    NormParts, Norms, StatElement,
};
use shmkern::{ParOptions, Pool};
use std::time::Instant;

pub fn reduce(args: ReduceArgs) -> Result<(), Failure> {
    let src = inspect(&args.input.file, args.input.dtype)?;
    let two = matches!(
        args.kernel,
        ReduceKernel::Dot | ReduceKernel::Covariance | ReduceKernel::GroupStats
    );
    if let Some(n) = args.input.processes.filter(|&n| n > 1 && two) {
        return Err(Failure::Usage(format!(
            "reduce {} runs in one process (--processes {n}): a job reads one data file",
            args.kernel.name()
        )));
    }
    let second = match (&args.other, two) {
        // group-stats' values have a type of their own; dot's and covariance's FILE's.
        (Some(p), true) if args.kernel == ReduceKernel::GroupStats => {
            Some(inspect_with(p, args.dtype2, "--dtype2")?)
        }
        (Some(p), true) => Some(inspect_with(
            p,
            args.dtype2.or(Some(src.dtype)),
            "--dtype2",
        )?),
        (None, true) => {
            return Err(Failure::Usage(format!(
                "reduce {}: give two files, FILE and FILE2",
                args.kernel.name()
            )))
        }
        (Some(p), false) => {
            return Err(Failure::Usage(format!(
                "reduce {} reads one file; {} is one too many",
                args.kernel.name(),
                p.display()
            )))
        }
        (None, false) => None,
    };
    let pool = pool(args.input.threads)?;
    match (args.kernel, second) {
        (ReduceKernel::Dot, Some(b)) => match src.dtype {
            DType::F64 => dot::<f64>(&src, &b, &pool, &args),
            DType::F32 => dot::<f32>(&src, &b, &pool, &args),
            t => Err(Failure::Other(format!(
                "{}: dot reads float columns (f32, f64), not {t}",
                src.path.display()
            ))),
        },
        (ReduceKernel::GroupStats, Some(b)) => crate::group::group_stats(&src, &b, &pool, &args),
        (ReduceKernel::Covariance, Some(b)) => {
            dispatch!(src.dtype, T => covariance::<T>(&src, &b, &pool, &args))
        }
        (kernel, _) => dispatch!(src.dtype, T => one_column::<T>(kernel, &src, &pool, &args)),
    }
}

fn one_column<T>(
    kernel: ReduceKernel,
    src: &Source,
    pool: &Pool,
    args: &ReduceArgs,
) -> Result<(), Failure>
where
    T: StatElement + Element + Scalar,
{
    let input = &args.input;
    let (fields, run, total) = match kernel {
        ReduceKernel::Minmax => {
            let (e, run) = compute(MinMax::<T>::new(), src, pool, input, "minmax")?;
            let policy = match args.nan {
                NanArg::Skip => NanPolicy::Skip,
                NanArg::Propagate => NanPolicy::Propagate,
                NanArg::Greatest => NanPolicy::Greatest,
            };
            (minmax_fields(&e, policy), run, e.count() + e.nan_count())
        }
        ReduceKernel::Moments => {
            let (m, run) = compute(Moments::<T>::new(), src, pool, input, "moments")?;
            (
                moments_fields(&m, args.ddof),
                run,
                m.count() + m.nan_count(),
            )
        }
        _ => {
            let (n, run) = compute(Norms::<T>::new(), src, pool, input, "norms")?;
            (norms_fields(&n), run, n.count())
        }
    };
    emit(src, total, fields, &run, input.json)
}

/// The fields of extremes under `policy` (also `job wait`'s, with `Skip`).
pub fn minmax_fields<T: StatElement + Scalar>(e: &Extremes<T>, policy: NanPolicy) -> Fields {
    let (min, max) = (e.min_with(policy), e.max_with(policy));
    vec![
        ("count", e.count().into(), e.count().to_string()),
        ("nan_count", e.nan_count().into(), e.nan_count().to_string()),
        (
            "min",
            json_opt(min.map(|m| m.0)),
            text_opt(min.map(|m| m.0)),
        ),
        (
            "argmin",
            json_opt(min.map(|m| m.1 as u64)),
            text_opt(min.map(|m| m.1 as u64)),
        ),
        (
            "max",
            json_opt(max.map(|m| m.0)),
            text_opt(max.map(|m| m.0)),
        ),
        (
            "argmax",
            json_opt(max.map(|m| m.1 as u64)),
            text_opt(max.map(|m| m.1 as u64)),
        ),
    ]
}

/// The fields of central moments, the variance with `ddof` (also `job wait`'s).
pub fn moments_fields<T: StatElement>(m: &CentralMoments<T>, ddof: u64) -> Fields {
    let f = |name: &'static str, x: Option<f64>| (name, json_opt(x), text_opt(x));
    vec![
        ("count", m.count().into(), m.count().to_string()),
        ("nan_count", m.nan_count().into(), m.nan_count().to_string()),
        f("mean", m.mean()),
        f("variance", m.variance(ddof)),
        ("ddof", ddof.into(), ddof.to_string()),
        f("skewness", m.skewness()),
        f("kurtosis", m.kurtosis()),
    ]
}

/// The fields of the norms (also `job wait`'s).
pub fn norms_fields<T: StatElement>(n: &NormParts<T>) -> Fields {
    vec![
        ("count", n.count().into(), n.count().to_string()),
        ("l1", n.l1().json(), n.l1().text()),
        ("l2", n.l2().json(), n.l2().text()),
        ("linf", n.linf().json(), n.linf().text()),
    ]
}

/// `kernel` over the mapped file on `pool`, or with `--processes N` as a job of N processes
/// (the same bits: the job merges in the same tree).
fn compute<K>(
    kernel: K,
    src: &Source,
    pool: &Pool,
    input: &InputArgs,
    what: &str,
) -> Result<(K::Output, Run), Failure>
where
    K: JobKernel + Clone,
{
    if let Some(n) = input.processes.filter(|&n| n > 1) {
        let mut out = None;
        let create = processes::of_kernel(src, kernel.clone());
        processes::run(src, create, n, input, |job, run| {
            out = Some((job.wait_kernel(&kernel, processes::WAIT)?, *run));
            Ok(())
        })?;
        return out.ok_or_else(|| Failure::Other(format!("{what}: the job gave no result")));
    }
    on_mapped_reads::<K::Elem, _>(src, pool, what, input.quiet, 1, |p, d, o| {
        p.run_with(&kernel, d, o)
    })
}

/// Maps both files and runs `kernel` over the two columns with a progress bar.
fn on_two<T, K>(
    a: &Source,
    b: &Source,
    pool: &Pool,
    what: &str,
    quiet: bool,
    kernel: &K,
) -> Result<(K::Output, Run, u64), Failure>
where
    T: Element,
    K: for<'c> Kernel<Input<'c> = (&'c [T], &'c [T])>,
{
    let start = Instant::now();
    let (x, y) = (a.map::<T>()?, b.map::<T>()?);
    if x.len() != y.len() {
        return Err(Failure::Other(format!(
            "{} holds {} values and {} holds {}: {what} reads two equally long files",
            a.path.display(),
            x.len(),
            b.path.display(),
            y.len()
        )));
    }
    let _ = (x.advise(Hint::Sequential), y.advise(Hint::Sequential));
    let progress = Progress::start(what, x.len() as u64, quiet);
    let opts = ParOptions {
        progress: Some(progress.counter()),
        ..ParOptions::default()
    };
    let r = pool.run_with(kernel, (&x[..], &y[..]), opts)?;
    progress.finish();
    let run = Run {
        threads: Some(pool.threads()),
        processes: 1,
        seconds: start.elapsed().as_secs_f64(),
        bytes: (x.as_bytes().len() + y.as_bytes().len()) as u64,
    };
    Ok((r, run, x.len() as u64))
}

fn dot<T: Float + Element>(
    a: &Source,
    b: &Source,
    pool: &Pool,
    args: &ReduceArgs,
) -> Result<(), Failure> {
    let (d, run, n, accuracy) = if args.exact {
        let (d, run, n) = on_two(a, b, pool, "dot", args.input.quiet, &ExactDot::<T>::new())?;
        (d, run, n, "exact")
    } else if args.compensated {
        let (d, run, n) = on_two(
            a,
            b,
            pool,
            "dot",
            args.input.quiet,
            &Dot::<T>::compensated(),
        )?;
        (d, run, n, "compensated")
    } else {
        let (d, run, n) = on_two(a, b, pool, "dot", args.input.quiet, &Dot::<T>::new())?;
        (d, run, n, "fast")
    };
    let fields: Fields = vec![
        ("count", n.into(), n.to_string()),
        ("dot", d.json(), d.text()),
        ("accuracy", accuracy.into(), accuracy.to_owned()),
    ];
    emit(a, n, fields, &run, args.input.json)
}

fn covariance<T>(a: &Source, b: &Source, pool: &Pool, args: &ReduceArgs) -> Result<(), Failure>
where
    T: StatElement + Element,
{
    let (c, run, n) = on_two(
        a,
        b,
        pool,
        "covariance",
        args.input.quiet,
        &Covariance::<T>::new(),
    )?;
    let means = c.means();
    let f = |name: &'static str, x: Option<f64>| (name, json_opt(x), text_opt(x));
    let fields: Fields = vec![
        ("count", n.into(), n.to_string()),
        f("mean_x", means.map(|m| m.0)),
        f("mean_y", means.map(|m| m.1)),
        f("covariance", c.covariance(args.ddof)),
        ("ddof", args.ddof.into(), args.ddof.to_string()),
        f("correlation", c.correlation()),
    ];
    emit(a, n, fields, &run, args.input.json)
}
