//! `shmkern describe` (pandas' `describe()` plus the NaN count, skewness and excess kurtosis),
//! `shmkern quantile` and `shmkern hist`: map the file, compute on a pool, print text or JSON.
//!
//! `describe` reads the file four times: `stats` (count, NaN count, min, max), the `Moments` kernel
//! (mean, std, skewness, kurtosis) and the two reads `Pool::quantiles_given` needs from known
//! statistics (a histogram, a collection; a dense cluster of values can take more).

use crate::dispatch::dispatch;
use crate::input::{inspect, Source};
use crate::output::{json_opt, text_opt, Scalar};
use crate::run::{emit, on_mapped_reads, pool, Fields};
use crate::{DescribeArgs, Failure, HistArgs, InputArgs, QuantileArgs};
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

pub fn hist(args: HistArgs) -> Result<(), Failure> {
    one_process(&args.input, "hist")?;
    let src = inspect(&args.input.file, args.input.dtype)?;
    let pool = pool(args.input.threads)?;
    dispatch!(src.dtype, T => hist_of::<T>(&src, &pool, &args))
}

/// Width of the longest bar of the text chart, in characters.
const BAR: u64 = 40;

fn hist_of<T>(src: &Source, pool: &Pool, args: &HistArgs) -> Result<(), Failure>
where
    T: StatElement + Element + Scalar,
{
    let input = &args.input;
    let range = args.range.as_deref().map(|r| (r[0], r[1]));
    let reads = if range.is_some() { 1 } else { 2 };
    let (h, run) = on_mapped_reads::<T, _>(src, pool, "hist", input.quiet, reads, |p, d, o| {
        p.histogram_with(d, args.bins as usize, range, o)
    })?;
    let total = h.counts.iter().sum::<u64>() + h.below + h.above + h.nan_count;
    let most = h.counts.iter().copied().max().unwrap_or(0).max(1);
    // One row a bin: its interval, its count, a bar; the columns aligned.
    let labels: Vec<String> = (0..h.counts.len())
        .map(|i| {
            let close = if i + 1 == h.counts.len() { ']' } else { ')' };
            format!("[{}, {}{close}", h.edges[i].text(), h.edges[i + 1].text())
        })
        .collect();
    let label_width = labels.iter().map(String::len).max().unwrap_or(0);
    let count_width = most.to_string().len();
    let chart: Vec<String> = labels
        .iter()
        .zip(&h.counts)
        .map(|(label, &c)| {
            let bar = "#".repeat((c * BAR).div_ceil(most) as usize);
            format!("{label:<label_width$}  {c:>count_width$}  {bar}")
                .trim_end()
                .to_owned()
        })
        .collect();
    let fields: Fields = vec![
        ("bins", h.counts.len().into(), h.counts.len().to_string()),
        (
            "edges",
            h.edges.iter().map(|&e| e.json()).collect(),
            format!(
                "{} .. {}",
                h.edges[0].text(),
                h.edges[h.counts.len()].text()
            ),
        ),
        (
            "counts",
            h.counts.iter().map(|&c| Value::from(c)).collect(),
            format!("\n{}", chart.join("\n")),
        ),
        ("below", h.below.into(), h.below.to_string()),
        ("above", h.above.into(), h.above.to_string()),
        ("nan_count", h.nan_count.into(), h.nan_count.to_string()),
    ];
    emit(src, total, fields, &run, input.json)
}
