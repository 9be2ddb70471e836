//! `partial`, `merge`, `finish`: the order-independent exact partials as bytes.
//!
//! Two kernels have partials whose merge is exact, associative and commutative bit for bit, so
//! that any engine may merge them in any order and grouping and still get one result:
//! `sum_exact` (a `Superaccumulator`) and `moments_exact` (`PowerSums`: count, NaN count and the
//! exact Σx and Σx²). The bytes are the library's versioned piece format (`sched::Piece::to_bytes`,
//! documented in src/sched/wire.rs) under the kernel's job name; since these partials have no
//! position, `first` is 0 and `chunks` counts the chunks' worth of rows they cover (at least 1).

use crate::call::{compute, pool};
use crate::column::Held;
use crate::kernels::{each_float, power_sums_record};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3::IntoPyObjectExt;
use shmkern::kernels::{ChunkAt, ExactMoments, ExactSum, Kernel, PowerSums, Superaccumulator};
use shmkern::sched::{Piece, CHUNK_LEN};
use shmkern_bindings::Column;

const SUM: &str = "sum_exact";
const MOMENTS: &str = "moments_exact";

/// A kernel run for its root partial instead of its output.
struct Unfinished<K>(K);

impl<K: Kernel> Kernel for Unfinished<K> {
    type Input<'a> = K::Input<'a>;
    type Partial = K::Partial;
    type Output = K::Partial;
    fn chunk(&self, at: ChunkAt, input: Self::Input<'_>) -> K::Partial {
        self.0.chunk(at, input)
    }
    fn merge(&self, left: K::Partial, right: K::Partial) -> K::Partial {
        self.0.merge(left, right)
    }
    fn finish(&self, root: K::Partial) -> K::Partial {
        root
    }
}

/// One partial, decoded. At most two live at a time, on the stack of one call: boxing the larger
/// variant would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Exact {
    Sum(Piece<Superaccumulator>),
    Moments(Piece<PowerSums>),
}

impl Exact {
    fn decode(bytes: &[u8]) -> PyResult<Exact> {
        let err = |e: shmkern::Error| PyValueError::new_err(format!("not a valid partial: {e}"));
        match kernel_name(bytes) {
            Some(SUM) => Piece::from_bytes(bytes, SUM).map(Exact::Sum).map_err(err),
            Some(MOMENTS) => Piece::from_bytes(bytes, MOMENTS)
                .map(Exact::Moments)
                .map_err(err),
            Some(other) => Err(PyValueError::new_err(format!(
                "a partial of kernel {other:?}: merge and finish take \"{SUM}\" and \
                 \"{MOMENTS}\" partials"
            ))),
            None => Err(PyValueError::new_err(
                "not a shmkern partial (the bytes do not start with one)",
            )),
        }
    }

    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = match self {
            Exact::Sum(p) => p.to_bytes(SUM),
            Exact::Moments(p) => p.to_bytes(MOMENTS),
        }
        .map_err(crate::call::error)?;
        Ok(PyBytes::new(py, &bytes))
    }
}

/// The kernel name a piece's header records, if the bytes start as a piece does (the header
/// layout of src/sched/wire.rs: magic, name length at byte 11, name from byte 28). Everything
/// else is checked by `Piece::from_bytes`.
fn kernel_name(bytes: &[u8]) -> Option<&str> {
    if !bytes.starts_with(b"SHMKPIEC") {
        return None;
    }
    let len = usize::from(*bytes.get(11)?);
    std::str::from_utf8(bytes.get(28..28 + len)?).ok()
}

/// The chunks' worth of rows `n` rows cover, at least 1 (module docs).
fn chunks_of(rows: usize) -> PyResult<u32> {
    u32::try_from(rows.div_ceil(CHUNK_LEN).max(1))
        .map_err(|_| PyValueError::new_err("data: too many rows for one partial"))
}

/// The exact partial of `data` for `kernel` ("sum_exact" or "moments_exact"), as bytes.
#[pyfunction]
#[pyo3(signature = (data, kernel="sum_exact", threads=None))]
pub(crate) fn partial<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    kernel: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyBytes>> {
    let pool = pool(threads)?;
    let held = Held::get(data, "data")?;
    let col = held.column();
    let bytes = col.bytes();
    let chunks = each_float!(col, "partial", x => chunks_of(x.len())?);
    let piece = match kernel {
        SUM => Exact::Sum(Piece {
            first: 0,
            chunks,
            partial: each_float!(col, "partial", x => {
                compute(py, bytes, |o| pool.run_with(&Unfinished(ExactSum::new()), x, o))?
            }),
        }),
        MOMENTS => Exact::Moments(Piece {
            first: 0,
            chunks,
            partial: each_float!(col, "partial", x => {
                compute(py, bytes, |o| pool.run_with(&ExactMoments::new(), x, o))?
            }),
        }),
        _ => {
            return Err(PyValueError::new_err(format!(
                "kernel: {kernel:?} has no order-independent partial; use \"{SUM}\" or \
                 \"{MOMENTS}\""
            )))
        }
    };
    piece.encode(py)
}

/// The partial of everything the given partials cover (at least one, all of one kernel). The
/// result does not depend on their order or grouping.
#[pyfunction]
#[pyo3(signature = (*partials))]
pub(crate) fn merge<'py>(py: Python<'py>, partials: Vec<Vec<u8>>) -> PyResult<Bound<'py, PyBytes>> {
    let mut decoded = partials.iter().map(|b| Exact::decode(b));
    let first = decoded
        .next()
        .ok_or_else(|| PyTypeError::new_err("merge: needs at least one partial"))??;
    let mut acc = first;
    for next in decoded {
        acc = match (acc, next?) {
            (Exact::Sum(a), Exact::Sum(b)) => Exact::Sum(Piece {
                first: 0,
                chunks: add_chunks(a.chunks, b.chunks)?,
                partial: Superaccumulator::merge(a.partial, b.partial),
            }),
            (Exact::Moments(a), Exact::Moments(b)) => Exact::Moments(Piece {
                first: 0,
                chunks: add_chunks(a.chunks, b.chunks)?,
                partial: PowerSums::merge(a.partial, b.partial),
            }),
            _ => {
                return Err(PyValueError::new_err(
                    "merge: the partials are of different kernels",
                ))
            }
        };
    }
    acc.encode(py)
}

fn add_chunks(a: u32, b: u32) -> PyResult<u32> {
    a.checked_add(b)
        .ok_or_else(|| PyValueError::new_err("merge: the partials cover too many rows"))
}

/// The result of a partial: the exact sum rounded once (a float) for "sum_exact"; for
/// "moments_exact" a record of count, NaN count, sum, mean, variance and std (`ddof`).
#[pyfunction]
#[pyo3(signature = (partial, ddof=0))]
pub(crate) fn finish(py: Python<'_>, partial: Vec<u8>, ddof: u64) -> PyResult<Py<PyAny>> {
    match Exact::decode(&partial)? {
        Exact::Sum(p) => p.partial.round().into_py_any(py),
        Exact::Moments(p) => power_sums_record(py, &p.partial, ddof)?.into_py_any(py),
    }
}
