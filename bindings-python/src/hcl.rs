//! `infrarag.hcl`: python-hcl2-compatible dicts, the syntax tree and
//! modules, parsed without the GIL.

use std::path::PathBuf;

use pyo3::prelude::*;

use infrarag::hcl::{self, Dialect, LoadsOptions};
use infrarag::terraform::{eval, Module};

use crate::convert::{json_result, serialize};
use crate::detach::released;
use crate::error::{to_pyerr, Result};

pub(crate) fn options(dialect: &str, with_meta: bool) -> Result<LoadsOptions> {
    let dialect: Dialect = dialect.parse()?;
    Ok(LoadsOptions::new(dialect).with_meta(with_meta))
}

/// python-hcl2-compatible `loads`; see `infrarag/hcl.pyi`.
#[pyfunction]
#[pyo3(signature = (text, *, dialect = "v7", with_meta = false))]
pub(crate) fn hcl_loads(
    py: Python<'_>,
    text: &str,
    dialect: &str,
    with_meta: bool,
) -> PyResult<Py<PyAny>> {
    let opts = options(dialect, with_meta)?;
    let text = text.to_owned();
    let result = released(py, move || hcl::loads(&text, &opts));
    json_result(py, result)
}

/// `loads` of a file read by the core, so errors carry its path.
#[pyfunction]
#[pyo3(signature = (path, *, dialect = "v7", with_meta = false))]
pub(crate) fn hcl_load_file(
    py: Python<'_>,
    path: PathBuf,
    dialect: &str,
    with_meta: bool,
) -> PyResult<Py<PyAny>> {
    let opts = options(dialect, with_meta)?;
    let result = released(py, move || hcl::load_file(&path, &opts));
    json_result(py, result)
}

/// Parses native HCL into the syntax tree and diagnostics; never raises for
/// syntax errors.
#[pyfunction]
#[pyo3(signature = (text, *, json = false))]
pub(crate) fn hcl_parse(py: Python<'_>, text: &str, json: bool) -> PyResult<Py<PyAny>> {
    let text = text.to_owned();
    let parsed = released(py, move || {
        Ok(if json {
            hcl::tfjson::parse_json(&text)
        } else {
            hcl::parse(&text)
        })
    })
    .map_err(|e| to_pyerr(py, e))?;
    serialize(py, &parsed)
}

/// Loads a Terraform module directory; see `infrarag/hcl.pyi`.
#[pyfunction]
pub(crate) fn hcl_load_module(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    let result = released(py, move || Module::load(&path));
    match result {
        Ok(m) => serialize(py, &m),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// Evaluates a Terraform expression; see `infrarag/hcl.pyi`.
#[pyfunction]
#[pyo3(signature = (expr, *, module = None, vars = None, var_files = Vec::new(), environment = true))]
pub(crate) fn hcl_evaluate(
    py: Python<'_>,
    expr: String,
    module: Option<PathBuf>,
    vars: Option<Vec<(String, String)>>,
    var_files: Vec<PathBuf>,
    environment: bool,
) -> PyResult<Py<PyAny>> {
    let result = released(py, move || {
        let inputs = inputs(vars, var_files, environment);
        eval::evaluate_text_in(&expr, module.as_deref(), &inputs).map(|v| v.to_json_report())
    });
    json_result(py, result)
}

/// Expands a configuration into its instances; see `infrarag/hcl.py`.
#[pyfunction]
#[pyo3(signature = (module, *, vars = None, var_files = Vec::new(), environment = true))]
pub(crate) fn hcl_expand(
    py: Python<'_>,
    module: PathBuf,
    vars: Option<Vec<(String, String)>>,
    var_files: Vec<PathBuf>,
    environment: bool,
) -> PyResult<Py<PyAny>> {
    let result = released(py, move || {
        let inputs = inputs(vars, var_files, environment);
        eval::expand_module(&module, &inputs).map(|x| x.to_json())
    });
    json_result(py, result)
}

/// Variables as `terraform plan` gathers them: `TF_VAR_` names (when
/// `environment` holds), the files it loads unasked, `var_files`, then
/// `vars`, a later one winning.
pub(crate) fn inputs(
    vars: Option<Vec<(String, String)>>,
    var_files: Vec<PathBuf>,
    environment: bool,
) -> eval::Inputs {
    let mut inputs = eval::Inputs::new()
        .with_auto_files(true)
        .with_environment(environment);
    for f in var_files {
        inputs = inputs.var_file(f);
    }
    for (k, v) in vars.unwrap_or_default() {
        inputs = inputs.var(k, v);
    }
    inputs
}
