//! `infrarag.providers`: the embedded aws, azurerm and google schemas.

use pyo3::prelude::*;

use crate::convert::to_py;
use crate::error::to_pyerr;

/// Describes a resource type or `data.` source; see `infrarag/providers.py`.
#[pyfunction]
pub(crate) fn providers_describe(py: Python<'_>, type_name: String) -> PyResult<Py<PyAny>> {
    match py.detach(move || infrarag::providers::describe(&type_name)) {
        Ok(v) => to_py(py, &v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}
