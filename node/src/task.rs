//! One kernel call as a napi `AsyncTask` (or at once, for a small input): validated and its arrays
//! referenced on the event loop,
//! computed on a libuv worker thread (which joins shmkern's pool as its caller), resolved on the
//! event loop. An `AbortSignal` cancels it: before it starts, napi-rs drops the work; while it
//! runs, its `CancelToken` stops the pool at the next chunk boundary.

use crate::column::{js_name, Arg, Held};
use crate::error::{from_shmkern, range_error, type_error};
use crate::value::{count, opt, ToValue, Value};
use napi::bindgen_prelude::*;
use shmkern::kernels::{
    Accuracy, Covariance, Dot, ExactDot, ExactMoments, MinMax, Moments, NanPolicy, Norms,
};
use shmkern::{CancelToken, ParOptions, Pool};
use shmkern_bindings::{each_int, each_pair, each_type, Column, MAX_THREADS};

/// What to compute.
pub(crate) enum Op {
    Sum(Accuracy),
    Stats {
        ddof: u64,
    },
    MinMax(NanPolicy),
    Moments {
        ddof: u64,
    },
    ExactMoments {
        ddof: u64,
    },
    Norms,
    Dot(Accuracy),
    Covariance {
        ddof: u64,
    },
    Histogram {
        bins: usize,
        range: Option<(f64, f64)>,
    },
    Quantiles(Vec<f64>),
    GroupStats {
        groups: usize,
        ddof: u64,
    },
}

pub struct KernelTask {
    op: Op,
    a: Held,
    b: Option<Held>,
    pool: &'static Pool,
    token: CancelToken,
}

/// The pool for `threads` participants (the core count when `None`), shared by the calls that
/// ask for as many (shmkern_bindings::pool).
pub(crate) fn pool(threads: Option<u32>) -> Result<&'static Pool> {
    let threads = threads.map(|n| n as usize);
    if let Some(n) = threads {
        if n == 0 || n > MAX_THREADS {
            return Err(range_error(format!(
                "threads: {n} is not between 1 and {MAX_THREADS}"
            )));
        }
    }
    shmkern_bindings::pool(threads)
        .map_err(|e| Error::from_reason(format!("could not start shmkern's worker threads: {e}")))
}

/// Inputs smaller than this many bytes are computed at once on the calling thread: a few
/// microseconds at most, less than handing the work to a libuv thread and back costs.
const INLINE_BYTES: usize = 64 << 10;

/// A started call: queued off the event loop (a promise), or already computed. Returned once a
/// call, at once converted: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Started {
    Queued(AsyncTask<KernelTask>),
    Done(Value),
}

impl TypeName for Started {
    fn type_name() -> &'static str {
        "Promise | shmkern result"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Started {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        // SAFETY: called by napi-rs on the JS thread with a live `env`, as for each variant.
        unsafe {
            match val {
                Started::Queued(task) => AsyncTask::to_napi_value(env, task),
                Started::Done(v) => Value::to_napi_value(env, v),
            }
        }
    }
}

impl KernelTask {
    /// A call over `a` (and `b` for two-column kernels) on the pool for `threads`, cancelled by
    /// `signal` when given: computed now if its input is under [`INLINE_BYTES`], else queued.
    pub(crate) fn start(
        op: Op,
        a: Arg<'_>,
        b: Option<Arg<'_>>,
        threads: Option<u32>,
        signal: Option<AbortSignal>,
    ) -> Result<Started> {
        let pool = pool(threads)?;
        let bytes = a.column.bytes() + b.as_ref().map_or(0, |b| b.column.bytes());
        if bytes < INLINE_BYTES {
            return run(&op, a.column, b.map(|b| b.column), pool, None).map(Started::Done);
        }
        let token = CancelToken::new();
        if let Some(s) = &signal {
            let t = token.clone();
            s.on_abort(move || t.cancel());
        }
        let task = KernelTask {
            op,
            a: a.hold()?,
            b: b.map(|b| b.hold()).transpose()?,
            pool,
            token,
        };
        Ok(Started::Queued(AsyncTask::with_optional_signal(
            task, signal,
        )))
    }
}

/// `$body` with `$x` the slice, if the column holds floats; a `TypeError` otherwise.
macro_rules! each_float {
    ($col:expr, $kernel:expr, $x:ident => $body:expr) => {
        match $col {
            Column::F64($x) => $body,
            Column::F32($x) => $body,
            other => {
                return Err(type_error(format!(
                    "{}: needs a Float64Array or Float32Array, got {}",
                    $kernel,
                    js_name(other.dtype())
                )))
            }
        }
    };
}

fn stats_value<T>(s: &shmkern::Stats<T>, ddof: u64) -> Value
where
    T: shmkern::kernels::StatElement + ToValue,
    T::Sum: ToValue,
{
    Value::Record(vec![
        (c"count", count(s.count())),
        (c"nanCount", count(s.nan_count())),
        (c"sum", s.sum().to_value()),
        (c"min", s.min().to_value()),
        (c"max", s.max().to_value()),
        (c"mean", opt(s.mean())),
        (c"variance", opt(s.variance(ddof))),
        (c"std", opt(s.std_dev(ddof))),
    ])
}

/// Computes `op` over `col` (and `cb`, the second column of two-column kernels).
fn run(
    op: &Op,
    col: Column<'_>,
    cb: Option<Column<'_>>,
    pool: &Pool,
    token: Option<&CancelToken>,
) -> Result<Value> {
    {
        let o = ParOptions {
            cancel: token,
            ..ParOptions::default()
        };
        let e = from_shmkern;
        Ok(match op {
            Op::Sum(acc) => match col {
                Column::F64(x) => Value::Number(pool.sum_float_with(x, *acc, o).map_err(e)?),
                Column::F32(x) => Value::Number(pool.sum_float_with(x, *acc, o).map_err(e)?),
                Column::I8(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
                Column::I16(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
                Column::I32(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
                Column::I64(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
                Column::U8(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
                Column::U16(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
                Column::U32(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
                Column::U64(x) => pool.sum_int_with(x, o).map_err(e)?.to_value(),
            },
            Op::Stats { ddof } => {
                each_type!(col, x => stats_value(&pool.stats_with(x, o).map_err(e)?, *ddof))
            }
            Op::MinMax(policy) => each_type!(col, x => {
                let m = pool.run_with(&MinMax::new(), x, o).map_err(e)?;
                let (min, max) = (m.min_with(*policy), m.max_with(*policy));
                Value::Record(vec![
                    (c"count", count(m.count())),
                    (c"nanCount", count(m.nan_count())),
                    (c"min", min.map(|v| v.0).to_value()),
                    (c"argmin", min.map(|v| v.1).to_value()),
                    (c"max", max.map(|v| v.0).to_value()),
                    (c"argmax", max.map(|v| v.1).to_value()),
                ])
            }),
            Op::Moments { ddof } => each_type!(col, x => {
                let m = pool.run_with(&Moments::new(), x, o).map_err(e)?;
                let variance = m.variance(*ddof);
                Value::Record(vec![
                    (c"count", count(m.count())),
                    (c"nanCount", count(m.nan_count())),
                    (c"mean", opt(m.mean())),
                    (c"variance", opt(variance)),
                    (c"std", opt(variance.map(f64::sqrt))),
                    (c"skewness", opt(m.skewness())),
                    (c"kurtosis", opt(m.kurtosis())),
                ])
            }),
            Op::ExactMoments { ddof } => {
                let p = each_float!(col, "exactMoments", x => {
                    pool.run_with(&ExactMoments::new(), x, o).map_err(e)?
                });
                Value::Record(vec![
                    (c"count", count(p.count())),
                    (c"nanCount", count(p.nan_count())),
                    (c"sum", Value::Number(p.sum())),
                    (c"mean", opt(p.mean())),
                    (c"variance", opt(p.variance(*ddof))),
                    (c"std", opt(p.std_dev(*ddof))),
                ])
            }
            Op::Norms => each_type!(col, x => {
                let n = pool.run_with(&Norms::new(), x, o).map_err(e)?;
                Value::Record(vec![
                    (c"count", count(n.count())),
                    (c"l1", Value::Number(n.l1())),
                    (c"l2", Value::Number(n.l2())),
                    (c"linf", Value::Number(n.linf())),
                ])
            }),
            Op::Dot(acc) => {
                let cb = second(col, cb, "dot")?;
                macro_rules! go {
                    ($x:expr, $y:expr) => {
                        match acc {
                            Accuracy::Exact => pool.run_with(&ExactDot::new(), ($x, $y), o),
                            Accuracy::Compensated => {
                                pool.run_with(&Dot::compensated(), ($x, $y), o)
                            }
                            _ => pool.run_with(&Dot::new(), ($x, $y), o),
                        }
                    };
                }
                Value::Number(
                    match (col, cb) {
                        (Column::F64(x), Column::F64(y)) => go!(x, y),
                        (Column::F32(x), Column::F32(y)) => go!(x, y),
                        (other, _) => {
                            return Err(type_error(format!(
                                "dot: needs Float64Array or Float32Array columns, got {}",
                                js_name(other.dtype())
                            )))
                        }
                    }
                    .map_err(e)?,
                )
            }
            Op::Covariance { ddof } => {
                let cb = second(col, cb, "covariance")?;
                macro_rules! go {
                    ($x:expr, $y:expr) => {{
                        let c = pool.run_with(&Covariance::new(), ($x, $y), o).map_err(e)?;
                        let (means, vars) = (c.means(), c.variances(*ddof));
                        Value::Record(vec![
                            (c"count", count(c.count())),
                            (c"meanA", opt(means.map(|m| m.0))),
                            (c"meanB", opt(means.map(|m| m.1))),
                            (c"varianceA", opt(vars.map(|v| v.0))),
                            (c"varianceB", opt(vars.map(|v| v.1))),
                            (c"covariance", opt(c.covariance(*ddof))),
                            (c"correlation", opt(c.correlation())),
                        ])
                    }};
                }
                each_pair!(col, cb, (x, y) => go!(x, y), unreachable!("second() checked the types"))
            }
            Op::Histogram { bins, range } => {
                let h = each_type!(col, x => pool.histogram_with(x, *bins, *range, o).map_err(e)?);
                Value::Record(vec![
                    (
                        c"counts",
                        Value::List(h.counts.iter().map(|&c| count(c)).collect()),
                    ),
                    (
                        c"edges",
                        Value::List(h.edges.iter().map(|&x| Value::Number(x)).collect()),
                    ),
                    (c"below", count(h.below)),
                    (c"above", count(h.above)),
                    (c"nanCount", count(h.nan_count)),
                ])
            }
            Op::Quantiles(q) => {
                let v = each_type!(col, x => pool.quantiles_with(x, q, o).map_err(e)?);
                Value::List(v.into_iter().map(opt).collect())
            }
            Op::GroupStats { groups, ddof } => {
                let values = cb.expect("groupStats has a values column");
                macro_rules! with_keys {
                    ($k:expr) => {
                        each_type!(values, v => {
                            let all = pool.group_stats_with($k, v, *groups, o).map_err(e)?;
                            Value::List(all.iter().map(|s| stats_value(s, *ddof)).collect())
                        })
                    };
                }
                each_int!(col, k => with_keys!(k), other => {
                    return Err(type_error(format!(
                        "groupStats: keys must be an integer typed array, got {}",
                        js_name(other.dtype())
                    )))
                })
            }
        })
    }
}

/// The second column of a two-column kernel, of the first one's element type.
fn second<'a>(a: Column<'_>, b: Option<Column<'a>>, kernel: &str) -> Result<Column<'a>> {
    let b = b.expect("two-column kernels have a second column");
    if a.dtype() != b.dtype() {
        return Err(type_error(format!(
            "{kernel}: both columns must be of one type, got {} and {}",
            js_name(a.dtype()),
            js_name(b.dtype())
        )));
    }
    Ok(b)
}

impl Task for KernelTask {
    type Output = Value;
    type JsValue = Value;

    fn compute(&mut self) -> Result<Value> {
        let b = self.b.as_ref().map(Held::column);
        run(&self.op, self.a.column(), b, self.pool, Some(&self.token))
    }

    fn resolve(&mut self, _env: Env, output: Value) -> Result<Value> {
        Ok(output)
    }
}
