//! The kernels as Python functions, each under its Rust name. Every one takes any C-contiguous
//! buffer (`column.rs`), releases the GIL while it computes (`call.rs`) and gives the same bits as
//! the Rust library on the same data, for any `threads=`.

use crate::call::{compute, pool};
use crate::column::{numpy_name, Held};
use crate::record::{field, Record};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use shmkern::kernels::{
    Accuracy, Covariance, Dot, ExactDot, ExactMoments, MinMax, Moments, NanPolicy, Norms,
};
use shmkern_bindings::{each_int, each_pair, each_type, Column};

/// `accuracy=` as the Rust enum.
pub(crate) fn accuracy(name: &str) -> PyResult<Accuracy> {
    match name {
        "fast" => Ok(Accuracy::Fast),
        "compensated" => Ok(Accuracy::Compensated),
        "exact" => Ok(Accuracy::Exact),
        _ => Err(PyValueError::new_err(format!(
            "accuracy: {name:?} is not one of \"fast\", \"compensated\", \"exact\""
        ))),
    }
}

/// `nan=` as the Rust enum.
fn nan_policy(name: &str) -> PyResult<NanPolicy> {
    match name {
        "skip" => Ok(NanPolicy::Skip),
        "propagate" => Ok(NanPolicy::Propagate),
        "greatest" => Ok(NanPolicy::Greatest),
        _ => Err(PyValueError::new_err(format!(
            "nan: {name:?} is not one of \"skip\", \"propagate\", \"greatest\""
        ))),
    }
}

/// Runs `$body` with `$x` bound to the slice if the column holds floats; a `TypeError` naming
/// the kernel otherwise.
macro_rules! each_float {
    ($col:expr, $kernel:expr, $x:ident => $body:expr) => {
        match $col {
            Column::F64($x) => $body,
            Column::F32($x) => $body,
            other => {
                return Err(PyTypeError::new_err(format!(
                    "{}: needs float32 or float64 data, got {}",
                    $kernel,
                    $crate::column::numpy_name(other.dtype())
                )))
            }
        }
    };
}
pub(crate) use each_float;

/// Sum of all elements. Floats (`accuracy` "fast", "compensated" or "exact") give a float summed
/// in f64 on shmkern's fixed tree; integers give the exact sum as an int.
#[pyfunction]
#[pyo3(signature = (data, accuracy="fast", threads=None))]
pub(crate) fn sum(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    accuracy: &str,
    threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let acc = self::accuracy(accuracy)?;
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    let bytes = col.bytes();
    match col {
        Column::F64(x) => compute(py, bytes, |o| pool.sum_float_with(x, acc, o))?.into_py_any(py),
        Column::F32(x) => compute(py, bytes, |o| pool.sum_float_with(x, acc, o))?.into_py_any(py),
        Column::I8(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
        Column::I16(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
        Column::I32(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
        Column::I64(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
        Column::U8(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
        Column::U16(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
        Column::U32(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
        Column::U64(x) => compute(py, bytes, |o| pool.sum_int_with(x, o))?.into_py_any(py),
    }
}

/// Count, NaN count, sum, min, max, mean, variance and std (with `ddof`) in one read.
#[pyfunction]
#[pyo3(signature = (data, ddof=0, threads=None))]
pub(crate) fn stats<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    ddof: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, Record>> {
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    each_type!(col, x => {
        let s = compute(py, col.bytes(), |o| pool.stats_with(x, o))?;
        stats_record(py, &s, ddof)
    })
}

/// A `Stats` as a record.
pub(crate) fn stats_record<'py, T>(
    py: Python<'py>,
    s: &shmkern::Stats<T>,
    ddof: u64,
) -> PyResult<Bound<'py, Record>>
where
    T: shmkern::kernels::StatElement + for<'a> IntoPyObject<'a>,
    T::Sum: for<'a> IntoPyObject<'a>,
{
    Record::build(
        py,
        "Stats",
        [
            ("count", field(py, s.count())),
            ("nan_count", field(py, s.nan_count())),
            ("sum", field(py, s.sum())),
            ("min", field(py, s.min())),
            ("max", field(py, s.max())),
            ("mean", field(py, s.mean())),
            ("variance", field(py, s.variance(ddof))),
            ("std", field(py, s.std_dev(ddof))),
        ],
    )
}

/// Minimum and maximum with their first positions; `nan` chooses what a NaN does ("skip" as
/// numpy's `nanargmin`, "propagate" as `argmin`, "greatest": NaN above every number).
#[pyfunction]
#[pyo3(signature = (data, nan="skip", threads=None))]
pub(crate) fn minmax<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    nan: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, Record>> {
    let policy = nan_policy(nan)?;
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    each_type!(col, x => {
        let e = compute(py, col.bytes(), |o| pool.run_with(&MinMax::new(), x, o))?;
        let (min, max) = (e.min_with(policy), e.max_with(policy));
        Record::build(
            py,
            "Extremes",
            [
                ("count", field(py, e.count())),
                ("nan_count", field(py, e.nan_count())),
                ("min", field(py, min.map(|m| m.0))),
                ("argmin", field(py, min.map(|m| m.1))),
                ("max", field(py, max.map(|m| m.0))),
                ("argmax", field(py, max.map(|m| m.1))),
            ],
        )
    })
}

/// Mean, variance (`ddof`), std, skewness and excess kurtosis in one read (NaNs skipped).
#[pyfunction]
#[pyo3(signature = (data, ddof=0, threads=None))]
pub(crate) fn moments<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    ddof: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, Record>> {
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    each_type!(col, x => {
        let m = compute(py, col.bytes(), |o| pool.run_with(&Moments::new(), x, o))?;
        let variance = m.variance(ddof);
        Record::build(
            py,
            "CentralMoments",
            [
                ("count", field(py, m.count())),
                ("nan_count", field(py, m.nan_count())),
                ("mean", field(py, m.mean())),
                ("variance", field(py, variance)),
                ("std", field(py, variance.map(f64::sqrt))),
                ("skewness", field(py, m.skewness())),
                ("kurtosis", field(py, m.kurtosis())),
            ],
        )
    })
}

/// Count, exact sum, and the mean and variance (`ddof`) rounded once from exact power sums.
#[pyfunction]
#[pyo3(signature = (data, ddof=0, threads=None))]
pub(crate) fn exact_moments<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    ddof: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, Record>> {
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    let p = each_float!(col, "exact_moments", x => {
        compute(py, col.bytes(), |o| pool.run_with(&ExactMoments::new(), x, o))?
    });
    power_sums_record(py, &p, ddof)
}

/// A `PowerSums` as a record.
pub(crate) fn power_sums_record<'py>(
    py: Python<'py>,
    p: &shmkern::kernels::PowerSums,
    ddof: u64,
) -> PyResult<Bound<'py, Record>> {
    Record::build(
        py,
        "PowerSums",
        [
            ("count", field(py, p.count())),
            ("nan_count", field(py, p.nan_count())),
            ("sum", field(py, p.sum())),
            ("mean", field(py, p.mean())),
            ("variance", field(py, p.variance(ddof))),
            ("std", field(py, p.std_dev(ddof))),
        ],
    )
}

/// L1, L2 (scaled: no overflow or underflow) and L∞ norms.
#[pyfunction]
#[pyo3(signature = (data, threads=None))]
pub(crate) fn norms<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, Record>> {
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    each_type!(col, x => {
        let n = compute(py, col.bytes(), |o| pool.run_with(&Norms::new(), x, o))?;
        Record::build(
            py,
            "NormParts",
            [
                ("count", field(py, n.count())),
                ("l1", field(py, n.l1())),
                ("l2", field(py, n.l2())),
                ("linf", field(py, n.linf())),
            ],
        )
    })
}

/// The two columns of a two-column kernel, of one float type and one length.
fn two_floats<'a>(a: &'a Held, b: &'a Held, kernel: &str) -> PyResult<(Column<'a>, Column<'a>)> {
    let (ca, cb) = (a.column(), b.column());
    if ca.dtype() != cb.dtype() {
        return Err(PyTypeError::new_err(format!(
            "{kernel}: both columns must have one element type, got {} and {}",
            numpy_name(ca.dtype()),
            numpy_name(cb.dtype())
        )));
    }
    Ok((ca, cb))
}

/// Dot product of two float columns (`accuracy` "fast", "compensated" or "exact": rounded once).
#[pyfunction]
#[pyo3(signature = (a, b, accuracy="fast", threads=None))]
pub(crate) fn dot(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    accuracy: &str,
    threads: Option<usize>,
) -> PyResult<f64> {
    let acc = self::accuracy(accuracy)?;
    let pool = pool(threads)?;
    let (ha, hb) = (Held::get(a, "a")?, Held::get(b, "b")?);
    let (ca, cb) = two_floats(&ha, &hb, "dot")?;
    let bytes = ca.bytes() + cb.bytes();
    macro_rules! go {
        ($x:expr, $y:expr) => {
            compute(py, bytes, |o| match acc {
                Accuracy::Exact => pool.run_with(&ExactDot::new(), ($x, $y), o),
                Accuracy::Compensated => pool.run_with(&Dot::compensated(), ($x, $y), o),
                _ => pool.run_with(&Dot::new(), ($x, $y), o),
            })
        };
    }
    match (ca, cb) {
        (Column::F64(x), Column::F64(y)) => go!(x, y),
        (Column::F32(x), Column::F32(y)) => go!(x, y),
        (other, _) => Err(PyTypeError::new_err(format!(
            "dot: needs float32 or float64 data, got {}",
            numpy_name(other.dtype())
        ))),
    }
}

/// Covariance (`ddof`, 1 as numpy's `cov`) and Pearson correlation of two columns.
#[pyfunction]
#[pyo3(signature = (a, b, ddof=1, threads=None))]
pub(crate) fn covariance<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    ddof: u64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, Record>> {
    let pool = pool(threads)?;
    let (ha, hb) = (Held::get(a, "a")?, Held::get(b, "b")?);
    let (ca, cb) = two_floats(&ha, &hb, "covariance")?;
    let bytes = ca.bytes() + cb.bytes();
    macro_rules! go {
        ($x:expr, $y:expr) => {{
            let c = compute(py, bytes, |o| {
                pool.run_with(&Covariance::new(), ($x, $y), o)
            })?;
            let means = c.means();
            let vars = c.variances(ddof);
            Record::build(
                py,
                "CoMoments",
                [
                    ("count", field(py, c.count())),
                    ("mean_a", field(py, means.map(|m| m.0))),
                    ("mean_b", field(py, means.map(|m| m.1))),
                    ("variance_a", field(py, vars.map(|v| v.0))),
                    ("variance_b", field(py, vars.map(|v| v.1))),
                    ("covariance", field(py, c.covariance(ddof))),
                    ("correlation", field(py, c.correlation())),
                ],
            )
        }};
    }
    each_pair!(ca, cb, (x, y) => go!(x, y), unreachable!("two_floats checked the types are equal"))
}

/// Histogram with numpy's bins: `bins` uniform bins over `range` (the data's min and max when
/// None), exact counts; values outside the range and NaNs counted apart.
#[pyfunction]
#[pyo3(signature = (data, bins=10, range=None, threads=None))]
pub(crate) fn histogram<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    bins: usize,
    range: Option<(f64, f64)>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, Record>> {
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    let h =
        each_type!(col, x => compute(py, col.bytes(), |o| pool.histogram_with(x, bins, range, o))?);
    Record::build(
        py,
        "Histogram",
        [
            ("counts", field(py, h.counts)),
            ("edges", field(py, h.edges)),
            ("below", field(py, h.below)),
            ("above", field(py, h.above)),
            ("nan_count", field(py, h.nan_count)),
        ],
    )
}

/// Exact quantiles (numpy's default `linear` method over the non-NaN values) for each `q` in
/// 0..=1; None for each when there is no non-NaN value.
#[pyfunction]
#[pyo3(signature = (data, q, threads=None))]
pub(crate) fn quantiles(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    q: Vec<f64>,
    threads: Option<usize>,
) -> PyResult<Vec<Option<f64>>> {
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    each_type!(col, x => compute(py, col.bytes(), |o| pool.quantiles_with(x, &q, o)))
}

/// `Stats` of each group 0..`groups` of a dense integer key column, one read of both columns.
#[pyfunction]
#[pyo3(signature = (keys, values, groups, ddof=0, threads=None))]
pub(crate) fn group_stats<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
    values: &Bound<'py, PyAny>,
    groups: usize,
    ddof: u64,
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, Record>>> {
    let pool = pool(threads)?;
    let (hk, hv) = (Held::get(keys, "keys")?, Held::get(values, "values")?);
    let (ck, cv) = (hk.column(), hv.column());
    let bytes = ck.bytes() + cv.bytes();
    macro_rules! with_keys {
        ($k:expr) => {
            each_type!(cv, v => {
                let all = compute(py, bytes, |o| pool.group_stats_with($k, v, groups, o))?;
                all.iter().map(|s| stats_record(py, s, ddof)).collect()
            })
        };
    }
    each_int!(ck, k => with_keys!(k), other => Err(PyTypeError::new_err(format!(
        "group_stats: keys must be integers, got {}",
        numpy_name(other.dtype())
    ))))
}
