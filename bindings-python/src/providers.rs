//! `infrarag.providers`: the embedded aws, azurerm and google schemas.

use pyo3::prelude::*;

use crate::convert::json_result;

/// Describes a resource type or `data.` source; see `infrarag/providers.py`.
#[pyfunction]
pub(crate) fn providers_describe(py: Python<'_>, type_name: String) -> PyResult<Py<PyAny>> {
    json_result(
        py,
        crate::detach::released(py, move || infrarag::providers::describe(&type_name)),
    )
}
