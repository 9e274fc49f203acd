//! `infrarag.drift`: Terraform state, plans and plan message streams, read
//! with every sensitive value masked.

use std::path::PathBuf;

use infrarag::drift::compare_config;
use infrarag::terraform::state::{Plan, PlanMessage, State};
use pyo3::prelude::*;

use crate::convert::serialize_large;
use crate::error::to_pyerr;

/// Runs `read` without the GIL and returns its value as Python data.
fn read<T: serde::Serialize + Send>(
    py: Python<'_>,
    read: impl FnOnce() -> infrarag::Result<T> + Send,
) -> PyResult<Py<PyAny>> {
    match py.detach(read) {
        Ok(value) => serialize_large(py, &value),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// Reads a state file or `terraform show -json` state; see `infrarag/drift.py`.
#[pyfunction]
pub(crate) fn drift_read_state(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    read(py, move || State::read(&path))
}

/// Reads `terraform show -json PLAN` output; see `infrarag/drift.py`.
#[pyfunction]
pub(crate) fn drift_read_plan(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    read(py, move || Plan::read(&path))
}

/// Reads a `terraform plan -json` message stream; see `infrarag/drift.py`.
#[pyfunction]
pub(crate) fn drift_read_plan_stream(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    read(py, move || PlanMessage::read_stream(&path))
}

/// Compares a configuration with a state; see `infrarag/drift.py`.
#[pyfunction]
#[pyo3(signature = (module, state, *, vars = None, var_files = Vec::new(), environment = true))]
pub(crate) fn drift_compare_config(
    py: Python<'_>,
    module: PathBuf,
    state: PathBuf,
    vars: Option<Vec<(String, String)>>,
    var_files: Vec<PathBuf>,
    environment: bool,
) -> PyResult<Py<PyAny>> {
    read(py, move || {
        let inputs = crate::hcl::inputs(vars, var_files, environment);
        compare_config(&module, &inputs, &State::read(&state)?)
    })
}
