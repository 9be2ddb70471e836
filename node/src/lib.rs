//! The Node.js addon `shmkern.node`, wrapped by index.js (options objects, typed errors).
//!
//! - `column.rs`: a typed array held for a call and read as a slice (`shmkern_bindings::Column`),
//!   without copying;
//! - `task.rs`: one kernel call as an `AsyncTask`, off the event loop, with an `AbortSignal`;
//! - `value.rs`: results as numbers, BigInts, objects and arrays;
//! - `open.rs`: a file mapped and handed to JavaScript as a typed array;
//! - `image.rs`, `hash.rs`: the seed's image and password-hashing work as calls on the pool;
//! - `error.rs`: errors tagged with the JavaScript class index.js throws.
//!
//! Every function here takes its arguments positionally (index.js takes an options object) and,
//! but `open`, returns a promise.

mod column;
mod error;
mod hash;
mod image;
mod open;
mod task;
mod value;

use column::Arg;
use error::range_error;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use shmkern::kernels::{Accuracy, NanPolicy};
use task::{KernelTask, Op, Started};

type Call = Result<Started>;

fn accuracy(name: Option<String>) -> Result<Accuracy> {
    match name.as_deref().unwrap_or("fast") {
        "fast" => Ok(Accuracy::Fast),
        "compensated" => Ok(Accuracy::Compensated),
        "exact" => Ok(Accuracy::Exact),
        other => Err(range_error(format!(
            "accuracy: {other:?} is not one of 'fast', 'compensated', 'exact'"
        ))),
    }
}

fn nan_policy(name: Option<String>) -> Result<NanPolicy> {
    match name.as_deref().unwrap_or("skip") {
        "skip" => Ok(NanPolicy::Skip),
        "propagate" => Ok(NanPolicy::Propagate),
        "greatest" => Ok(NanPolicy::Greatest),
        other => Err(range_error(format!(
            "nan: {other:?} is not one of 'skip', 'propagate', 'greatest'"
        ))),
    }
}

fn ddof(d: Option<u32>, default: u32) -> u64 {
    u64::from(d.unwrap_or(default))
}

fn one(op: Op, data: Unknown<'_>, threads: Option<u32>, signal: Option<AbortSignal>) -> Call {
    KernelTask::start(op, Arg::get(data, "data")?, None, threads, signal)
}

fn two(
    op: Op,
    a: Unknown<'_>,
    b: Unknown<'_>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    KernelTask::start(
        op,
        Arg::get(a, "a")?,
        Some(Arg::get(b, "b")?),
        threads,
        signal,
    )
}

#[napi(js_name = "sum", ts_return_type = "Promise<number | bigint>")]
pub fn sum(
    data: Unknown<'_>,
    accuracy_: Option<String>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    one(Op::Sum(accuracy(accuracy_)?), data, threads, signal)
}

#[napi(ts_return_type = "Promise<Stats>")]
pub fn stats(
    data: Unknown<'_>,
    ddof_: Option<u32>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    one(
        Op::Stats {
            ddof: ddof(ddof_, 0),
        },
        data,
        threads,
        signal,
    )
}

#[napi(ts_return_type = "Promise<Extremes>")]
pub fn minmax(
    data: Unknown<'_>,
    nan: Option<String>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    one(Op::MinMax(nan_policy(nan)?), data, threads, signal)
}

#[napi(ts_return_type = "Promise<Moments>")]
pub fn moments(
    data: Unknown<'_>,
    ddof_: Option<u32>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    one(
        Op::Moments {
            ddof: ddof(ddof_, 0),
        },
        data,
        threads,
        signal,
    )
}

#[napi(ts_return_type = "Promise<ExactMoments>")]
pub fn exact_moments(
    data: Unknown<'_>,
    ddof_: Option<u32>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    one(
        Op::ExactMoments {
            ddof: ddof(ddof_, 0),
        },
        data,
        threads,
        signal,
    )
}

#[napi(ts_return_type = "Promise<Norms>")]
pub fn norms(data: Unknown<'_>, threads: Option<u32>, signal: Option<AbortSignal>) -> Call {
    one(Op::Norms, data, threads, signal)
}

#[napi(ts_return_type = "Promise<number>")]
pub fn dot(
    a: Unknown<'_>,
    b: Unknown<'_>,
    accuracy_: Option<String>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    two(Op::Dot(accuracy(accuracy_)?), a, b, threads, signal)
}

#[napi(ts_return_type = "Promise<Covariance>")]
pub fn covariance(
    a: Unknown<'_>,
    b: Unknown<'_>,
    ddof_: Option<u32>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    two(
        Op::Covariance {
            ddof: ddof(ddof_, 1),
        },
        a,
        b,
        threads,
        signal,
    )
}

#[napi(ts_return_type = "Promise<Histogram>")]
pub fn histogram(
    data: Unknown<'_>,
    bins: u32,
    lo: Option<f64>,
    hi: Option<f64>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    let range = match (lo, hi) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        (None, None) => None,
        _ => return Err(range_error("range: give both ends or neither")),
    };
    let bins = bins as usize;
    one(Op::Histogram { bins, range }, data, threads, signal)
}

#[napi(ts_return_type = "Promise<(number | null)[]>")]
pub fn quantiles(
    data: Unknown<'_>,
    q: Vec<f64>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    one(Op::Quantiles(q), data, threads, signal)
}

#[napi(ts_return_type = "Promise<Stats[]>")]
pub fn group_stats(
    keys: Unknown<'_>,
    values: Unknown<'_>,
    groups: u32,
    ddof_: Option<u32>,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Call {
    let op = Op::GroupStats {
        groups: groups as usize,
        ddof: ddof(ddof_, 0),
    };
    KernelTask::start(
        op,
        Arg::get(keys, "keys")?,
        Some(Arg::get(values, "values")?),
        threads,
        signal,
    )
}

#[napi(
    ts_return_type = "Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array"
)]
pub fn open<'env>(env: &'env Env, path: String, dtype: Option<String>) -> Result<Unknown<'env>> {
    open::open(env, path, dtype)
}

#[napi(ts_return_type = "Promise<Uint8Array>")]
pub fn image_grayscale(
    src: Unknown<'_>,
    out: Uint8Array,
    width: u32,
    height: u32,
    channels: u32,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Result<AsyncTask<image::ImageTask>> {
    if channels != 3 && channels != 4 {
        return Err(range_error(format!(
            "grayscale: channels must be 3 (RGB) or 4 (RGBA), got {channels}"
        )));
    }
    let op = image::ImageOp::Grayscale {
        channels: channels as usize,
    };
    let pool = task::pool(threads)?;
    image::ImageTask::start(
        op,
        Arg::get(src, "image")?,
        out,
        (width, height),
        pool,
        signal,
    )
}

#[napi(ts_return_type = "Promise<Uint8Array>")]
pub fn image_box_blur(
    src: Unknown<'_>,
    out: Uint8Array,
    width: u32,
    height: u32,
    radius: u32,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Result<AsyncTask<image::ImageTask>> {
    let op = image::ImageOp::BoxBlur {
        radius: radius as usize,
    };
    let pool = task::pool(threads)?;
    image::ImageTask::start(
        op,
        Arg::get(src, "image")?,
        out,
        (width, height),
        pool,
        signal,
    )
}

#[napi(ts_return_type = "Promise<Buffer[]>")]
pub fn hash_passwords(
    passwords: Vec<String>,
    salt: Buffer,
    iterations: u32,
    key_length: u32,
    threads: Option<u32>,
    signal: Option<AbortSignal>,
) -> Result<AsyncTask<hash::HashTask>> {
    let pool = task::pool(threads)?;
    hash::HashTask::start(
        passwords,
        salt.to_vec(),
        iterations,
        key_length,
        pool,
        signal,
    )
}
