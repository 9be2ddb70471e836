//! The Python module `shmkern._native`, wrapped by the package `shmkern` (shmkern/__init__.py).
//!
//! - `column.rs`: a Python buffer as a typed slice (`shmkern_bindings::Column`), without copying;
//! - `call.rs`: the pools, the GIL released, Ctrl-C, errors as exceptions;
//! - `kernels.rs`: one function per kernel, under its Rust name;
//! - `partials.rs`: the order-independent exact partials as bytes (`partial`, `merge`, `finish`);
//! - `record.rs`: results with named fields.

mod call;
mod column;
mod kernels;
mod partials;
mod record;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<record::Record>()?;
    m.add_function(wrap_pyfunction!(kernels::sum, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::stats, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::minmax, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::moments, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::exact_moments, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::norms, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::dot, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::covariance, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::histogram, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::quantiles, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::group_stats, m)?)?;
    m.add_function(wrap_pyfunction!(partials::partial, m)?)?;
    m.add_function(wrap_pyfunction!(partials::merge, m)?)?;
    m.add_function(wrap_pyfunction!(partials::finish, m)?)?;
    m.add("CHUNK_LEN", shmkern::sched::CHUNK_LEN)?;
    Ok(())
}
