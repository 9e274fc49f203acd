//! `infrarag.validate`: a module's findings as Python objects, and the
//! report's renderings.

use std::path::PathBuf;

use pyo3::prelude::*;

use infrarag::validate::{render, Finding, Report, Validator};

use super::{serialize, to_py, to_pyerr};

/// One finding; see `infrarag/validation.py`.
#[pyclass(name = "Finding", module = "infrarag._native", frozen, get_all)]
pub struct PyFinding {
    severity: String,
    code: String,
    summary: String,
    detail: String,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    start_byte: usize,
    end_byte: usize,
    related: Py<PyAny>,
    fix: Py<PyAny>,
}

impl PyFinding {
    fn new(py: Python<'_>, f: &Finding) -> PyResult<Self> {
        Ok(PyFinding {
            severity: f.severity.as_str().into(),
            code: f.code.clone(),
            summary: f.summary.clone(),
            detail: f.detail.clone(),
            file: f.file.display().to_string(),
            line: f.span.start.line,
            column: f.span.start.column,
            end_line: f.span.end.line,
            end_column: f.span.end.column,
            start_byte: f.span.start.byte,
            end_byte: f.span.end.byte,
            related: serialize(py, &f.related)?,
            fix: serialize(py, &f.fix)?,
        })
    }
}

#[pymethods]
impl PyFinding {
    fn __repr__(&self) -> String {
        format!(
            "Finding({} {}:{}:{} {})",
            self.code, self.file, self.line, self.column, self.summary
        )
    }
}

/// What validating a module found; see `infrarag/validation.py`.
#[pyclass(name = "Report", module = "infrarag._native", frozen)]
pub struct PyReport {
    inner: Report,
    findings: Vec<Py<PyFinding>>,
}

#[pymethods]
impl PyReport {
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }

    #[getter]
    fn error_count(&self) -> usize {
        self.inner.error_count()
    }

    #[getter]
    fn warning_count(&self) -> usize {
        self.inner.warning_count()
    }

    #[getter]
    fn files(&self) -> Vec<String> {
        self.inner
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect()
    }

    #[getter]
    fn findings(&self, py: Python<'_>) -> Vec<Py<PyFinding>> {
        self.findings.iter().map(|f| f.clone_ref(py)).collect()
    }

    /// Every security-policy verdict, passed ones included.
    #[getter]
    fn policies(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.inner.policies)
    }

    /// Findings silenced by comments, with the reasons given.
    #[getter]
    fn suppressed(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.inner.suppressed)
    }

    fn __len__(&self) -> usize {
        self.findings.len()
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = pyo3::types::PyList::new(py, self.findings(py))?;
        Ok(list.try_iter()?.into_any().unbind())
    }

    fn to_text(&self) -> String {
        render::text(&self.inner)
    }

    fn to_json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &render::json(&self.inner))
    }

    fn to_sarif(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &render::sarif(&self.inner))
    }

    fn to_junit(&self) -> String {
        render::junit(&self.inner)
    }

    fn to_terraform(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &render::terraform(&self.inner))
    }

    fn __repr__(&self) -> String {
        format!(
            "Report({} error(s), {} warning(s) in {} file(s))",
            self.inner.error_count(),
            self.inner.warning_count(),
            self.inner.files.len()
        )
    }
}

/// Where a module's files come from.
enum Module {
    Dir(PathBuf),
    Files(Vec<(String, String)>),
}

/// Validates `module` with the checks and policies given, without the GIL.
fn run(
    py: Python<'_>,
    module: Module,
    checks: Option<Vec<String>>,
    skip_checks: Option<Vec<String>>,
    policies: Option<Vec<PathBuf>>,
) -> PyResult<PyReport> {
    let report = py
        .detach(move || {
            let validator = Validator::new()
                .with_checks(checks.unwrap_or_default())
                .skip_checks(skip_checks.unwrap_or_default())
                .with_policy_paths(policies.unwrap_or_default())?;
            match module {
                Module::Dir(path) => validator.execute(&path),
                Module::Files(files) => validator.execute_files(files),
            }
        })
        .map_err(|e| to_pyerr(py, e))?;
    let findings = report
        .findings
        .iter()
        .map(|f| Py::new(py, PyFinding::new(py, f)?))
        .collect::<PyResult<_>>()?;
    Ok(PyReport {
        inner: report,
        findings,
    })
}

/// Validates the module in `path`; see `infrarag/validation.py`.
#[pyfunction]
#[pyo3(signature = (path, *, checks=None, skip_checks=None, policies=None))]
pub fn validate(
    py: Python<'_>,
    path: PathBuf,
    checks: Option<Vec<String>>,
    skip_checks: Option<Vec<String>>,
    policies: Option<Vec<PathBuf>>,
) -> PyResult<PyReport> {
    run(py, Module::Dir(path), checks, skip_checks, policies)
}

/// Validates files held in memory, name to text; see
/// `infrarag/validation.py`.
#[pyfunction]
#[pyo3(signature = (files, *, checks=None, skip_checks=None, policies=None))]
pub fn validate_files(
    py: Python<'_>,
    files: Vec<(String, String)>,
    checks: Option<Vec<String>>,
    skip_checks: Option<Vec<String>>,
    policies: Option<Vec<PathBuf>>,
) -> PyResult<PyReport> {
    run(py, Module::Files(files), checks, skip_checks, policies)
}

/// The ids of every built-in security check, in id order.
#[pyfunction]
pub fn check_ids() -> Vec<&'static str> {
    infrarag::validate::policy::check_ids()
}
