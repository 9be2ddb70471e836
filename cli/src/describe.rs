//! `shmkern describe` (pandas' `describe()` plus the NaN count, skewness and excess kurtosis) and
//! `shmkern quantile`: map the file, compute on a pool, print text or JSON.
//!
//! `describe` reads the file four times: `stats` (count, NaN count, min, max), the `Moments` kernel
//! (mean, std, skewness, kurtosis) and the two reads `Pool::quantiles_given` needs from known
//! statistics (a histogram, a collection; a dense cluster of values can take more).

use crate::dispatch::dispatch;
use crate::input::{inspect, Source};
use crate::output::{json_opt, text_opt, Scalar};
use crate::run::{emit, on_mapped_reads, pool, Fields};
use crate::{DescribeArgs, Failure, InputArgs, QuantileArgs};
use serde_json::{Map, Value};
use shmkern::buffer::Element;
use shmkern::kernels::{Moments, StatElement};
use shmkern::Pool;

/// The quartiles `describe` reports.
const QUARTILES: [f64; 3] = [0.25, 0.5, 0.75];

/// Refuses `--processes N` (N > 1): these commands run in one process.
fn one_process(input: &InputArgs, what: &str) -> Result<(), Failure> {
    match input.processes {
        Some(n) if n > 1 => Err(Failure::Usage(format!(
            "{what} runs in one process: --processes is for stats and sum"
        ))),
        _ => Ok(()),
    }
}

pub fn describe(args: DescribeArgs) -> Result<(), Failure> {
    one_process(&args.input, "describe")?;
    let src = inspect(&args.input.file, args.input.dtype)?;
    let pool = pool(args.input.threads)?;
    dispatch!(src.dtype, T => describe_of::<T>(&src, &pool, &args.input))
}

fn describe_of<T>(src: &Source, pool: &Pool, input: &InputArgs) -> Result<(), Failure>
where
    T: StatElement + Element + Scalar,
{
    let ((s, m, q), run) =
        on_mapped_reads::<T, _>(src, pool, "describe", input.quiet, 4, |p, d, o| {
            let s = p.stats_with(d, o)?;
            let m = p.run_with(&Moments::new(), d, o)?;
            let q = p.quantiles_given(d, &QUARTILES, &s, o)?;
            Ok((s, m, q))
        })?;
    let f = |name: &'static str, x: Option<f64>| (name, json_opt(x), text_opt(x));
    let fields: Fields = vec![
        ("count", s.count().into(), s.count().to_string()),
        ("nan_count", s.nan_count().into(), s.nan_count().to_string()),
        f("mean", m.mean()),
        f("std", m.variance(1).map(f64::sqrt)),
        ("min", json_opt(s.min()), text_opt(s.min())),
        f("q25", q[0]),
        f("q50", q[1]),
        f("q75", q[2]),
        ("max", json_opt(s.max()), text_opt(s.max())),
        f("skewness", m.skewness()),
        f("kurtosis", m.kurtosis()),
    ];
    emit(src, s.count() + s.nan_count(), fields, &run, input.json)
}

pub fn quantile(args: QuantileArgs) -> Result<(), Failure> {
    one_process(&args.input, "quantile")?;
    let src = inspect(&args.input.file, args.input.dtype)?;
    let pool = pool(args.input.threads)?;
    dispatch!(src.dtype, T => quantile_of::<T>(&src, &pool, &args))
}

fn quantile_of<T>(src: &Source, pool: &Pool, args: &QuantileArgs) -> Result<(), Failure>
where
    T: StatElement + Element + Scalar,
{
    let input = &args.input;
    let ((s, q), run) =
        on_mapped_reads::<T, _>(src, pool, "quantile", input.quiet, 3, |p, d, o| {
            let s = p.stats_with(d, o)?;
            let qs: Vec<f64> = args.quantiles.iter().map(|a| a.q).collect();
            let q = p.quantiles_given(d, &qs, &s, o)?;
            Ok((s, q))
        })?;
    // Keyed by the quantile as given on the command line, in its order.
    let mut json = Map::new();
    let mut text = Vec::new();
    for (at, v) in args.quantiles.iter().zip(&q) {
        json.insert(at.text.clone(), json_opt(*v));
        text.push(format!("{}: {}", at.text, text_opt(*v)));
    }
    let fields: Fields = vec![
        ("count", s.count().into(), s.count().to_string()),
        ("nan_count", s.nan_count().into(), s.nan_count().to_string()),
        ("quantiles", Value::Object(json), text.join(", ")),
    ];
    emit(src, s.count() + s.nan_count(), fields, &run, input.json)
}
