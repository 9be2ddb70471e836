//! `Record`: a kernel's result as named fields (`stats(a).mean`, `.to_dict()`).

use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::IntoPyObjectExt;

/// A kernel's result: its fields, in order, as attributes and as a dict. Equal when the kernel
/// and every field's `repr` are equal: floats compare bit for bit (`repr` round-trips a float
/// exactly and keeps the sign of zero), and a NaN equals a NaN.
#[pyclass(frozen, module = "shmkern")]
pub(crate) struct Record {
    kind: String,
    fields: Vec<(String, Py<PyAny>)>,
}

impl Record {
    /// A record of `kind` (the kernel's Rust name) from `(field, value)` pairs.
    pub(crate) fn build<'py>(
        py: Python<'py>,
        kind: &str,
        fields: impl IntoIterator<Item = (&'static str, PyResult<Py<PyAny>>)>,
    ) -> PyResult<Bound<'py, Record>> {
        let fields = fields
            .into_iter()
            .map(|(k, v)| Ok((k.to_string(), v?)))
            .collect::<PyResult<_>>()?;
        Bound::new(
            py,
            Record {
                kind: kind.to_string(),
                fields,
            },
        )
    }
}

/// A value as a field of a record.
pub(crate) fn field<'py>(py: Python<'py>, v: impl IntoPyObject<'py>) -> PyResult<Py<PyAny>> {
    v.into_py_any(py)
}

#[pymethods]
impl Record {
    /// A record from its kernel's name and a dict of fields (what pickling uses).
    #[new]
    fn new(kind: String, fields: &Bound<'_, PyDict>) -> PyResult<Record> {
        let fields = fields
            .iter()
            .map(|(k, v)| Ok((k.extract::<String>()?, v.unbind())))
            .collect::<PyResult<_>>()?;
        Ok(Record { kind, fields })
    }

    fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone_ref(py))
            .ok_or_else(|| {
                PyAttributeError::new_err(format!("{} has no field {name:?}", self.kind))
            })
    }

    /// The fields' names, in order.
    fn keys(&self) -> Vec<String> {
        self.fields.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The fields as a dict, in order.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.fields {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// The kernel that made this record.
    #[getter]
    fn kernel(&self) -> &str {
        &self.kind
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let parts = self
            .fields
            .iter()
            .map(|(k, v)| Ok(format!("{k}={}", v.bind(py).repr()?)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(format!("{}({})", self.kind, parts.join(", ")))
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<Record>() else {
            return Ok(false);
        };
        let other = other.get();
        if self.kind != other.kind || self.fields.len() != other.fields.len() {
            return Ok(false);
        }
        for ((ka, va), (kb, vb)) in self.fields.iter().zip(&other.fields) {
            if ka != kb || va.bind(py).repr()?.to_str()? != vb.bind(py).repr()?.to_str()? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let cls = py.get_type::<Record>();
        (cls, (self.kind.clone(), self.to_dict(py)?)).into_pyobject(py)
    }
}
