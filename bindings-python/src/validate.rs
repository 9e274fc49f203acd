//! `infrarag.validate`: a module's findings as Python objects, and the
//! report's renderings.

use std::path::PathBuf;

use pyo3::prelude::*;

use infrarag::validate::{render, Finding, Report, Validator};

use crate::convert::{deep_copy, serialize, to_py};
use crate::detach::released;
use crate::error::Result;

/// One finding; see `infrarag/validation.py`.
#[pyclass(name = "Finding", module = "infrarag._native", frozen, get_all)]
pub struct PyFinding {
    /// `error` or `warning`.
    severity: String,
    /// Stable: `undeclared_variable`, `terraform_typed_variables`, `CKV_AWS_18`, `syntax.unexpected`, ...
    code: String,
    /// One line saying what is wrong.
    summary: String,
    /// The explanation, as Terraform or checkov words it.
    detail: String,
    /// The file, relative to the module directory.
    file: String,
    /// 1-based line where it starts.
    line: usize,
    /// 1-based column where it starts.
    column: usize,
    /// 1-based line where it ends.
    end_line: usize,
    /// 1-based column just past its end.
    end_column: usize,
    /// Byte offset where it starts.
    start_byte: usize,
    /// Byte offset just past its end.
    end_byte: usize,
    /// Other places the finding concerns: `{"file", "span", "message"}`.
    related: Py<PyAny>,
    /// A replacement that resolves it (`{"message", "file", "span", "replacement"}`), or None.
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
    /// Every field as one JSON-ready dict (`infrarag.types.FindingDict`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let dict = pyo3::types::PyDict::new(py);
        dict.set_item("severity", &self.severity)?;
        dict.set_item("code", &self.code)?;
        dict.set_item("summary", &self.summary)?;
        dict.set_item("detail", &self.detail)?;
        dict.set_item("file", &self.file)?;
        dict.set_item("line", self.line)?;
        dict.set_item("column", self.column)?;
        dict.set_item("end_line", self.end_line)?;
        dict.set_item("end_column", self.end_column)?;
        dict.set_item("start_byte", self.start_byte)?;
        dict.set_item("end_byte", self.end_byte)?;
        dict.set_item("related", deep_copy(py, &self.related)?)?;
        dict.set_item("fix", deep_copy(py, &self.fix)?)?;
        Ok(dict.into_any().unbind())
    }

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
    /// Every finding, in file and position order.
    findings: Vec<Py<PyFinding>>,
}

#[pymethods]
impl PyReport {
    /// True when no finding is an error.
    #[getter]
    fn ok(&self) -> bool {
        self.inner.ok()
    }

    /// How many findings are errors.
    #[getter]
    fn error_count(&self) -> usize {
        self.inner.error_count()
    }

    /// How many findings are warnings.
    #[getter]
    fn warning_count(&self) -> usize {
        self.inner.warning_count()
    }

    /// The files checked, relative to the module directory.
    #[getter]
    fn files(&self) -> Vec<String> {
        self.inner
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect()
    }

    /// Every finding, in file and position order.
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

    /// The report as `terraform validate` and tflint print it.
    fn to_text(&self, py: Python<'_>) -> Result<String> {
        Ok(released(py, || Ok(render::text(&self.inner)))?)
    }

    /// The report as one JSON-ready dict: the same as `to_json()`.
    fn to_dict(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let json = released(py, || Ok(render::json(&self.inner)))?;
        Ok(to_py(py, &json)?)
    }
    /// Every finding, policy verdict and suppression as JSON-ready dicts.
    fn to_json(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let json = released(py, || Ok(render::json(&self.inner)))?;
        Ok(to_py(py, &json)?)
    }

    /// SARIF 2.1.0, URIs relative to the module directory (stated as SRCROOT).
    fn to_sarif(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let sarif = released(py, || Ok(render::sarif(&self.inner)))?;
        Ok(to_py(py, &sarif)?)
    }

    /// JUnit XML, a test case per file and per finding.
    fn to_junit(&self, py: Python<'_>) -> Result<String> {
        Ok(released(py, || Ok(render::junit(&self.inner)))?)
    }

    /// The shape of `terraform validate -json`.
    fn to_terraform(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        let terraform = released(py, || Ok(render::terraform(&self.inner)))?;
        Ok(to_py(py, &terraform)?)
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
    walk: Walk,
    inputs: Inputs,
) -> Result<PyReport> {
    let report = released(py, move || {
        let mut validator = Validator::new();
        // `vars` win over every file, as the docstring says.
        for file in inputs.var_files {
            validator = validator.var_file(file);
        }
        for (name, value) in inputs.vars {
            validator = validator.var(name, value);
        }
        let validator = validator
            .recursive(walk.recursive)
            .expand_instances(walk.expand)
            .with_checks(checks.unwrap_or_default())
            .skip_checks(skip_checks.unwrap_or_default())
            .with_policy_paths(policies.unwrap_or_default())?;
        match module {
            Module::Dir(path) => validator.execute(&path),
            Module::Files(files) => validator.execute_files(files),
        }
    })?;
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

/// Validates a module: a directory's path, or `(name, text)` pairs held
/// in memory; see `infrarag/validation.py`.
#[pyfunction]
#[pyo3(signature = (module, *, checks=None, skip_checks=None, policies=None, recursive=false, expand=true, vars=Vec::new(), var_files=Vec::new()))]
#[allow(clippy::too_many_arguments)]
pub fn validate(
    py: Python<'_>,
    module: &Bound<'_, PyAny>,
    checks: Option<Vec<String>>,
    skip_checks: Option<Vec<String>>,
    policies: Option<Vec<PathBuf>>,
    recursive: bool,
    expand: bool,
    vars: Vec<(String, String)>,
    var_files: Vec<PathBuf>,
) -> Result<PyReport> {
    let module = match module.cast::<pyo3::types::PyList>() {
        Ok(files) => Module::Files(files.extract()?),
        Err(_) => Module::Dir(module.extract()?),
    };
    let inputs = Inputs { vars, var_files };
    let walk = Walk { recursive, expand };
    run(py, module, checks, skip_checks, policies, walk, inputs)
}

/// Which modules and which instances are judged.
struct Walk {
    recursive: bool,
    expand: bool,
}

/// `-var` pairs and `-var-file` paths, in the order given.
struct Inputs {
    vars: Vec<(String, String)>,
    var_files: Vec<PathBuf>,
}

/// The ids of every built-in security check, in id order.
#[pyfunction]
pub fn check_ids() -> Vec<&'static str> {
    infrarag::validate::policy::check_ids()
}

/// The built-in security checks `checks` and `skip_checks` keep, as dicts
/// (id, title, provider, kind, resource_types, categories, severity).
#[pyfunction]
#[pyo3(signature = (*, checks=None, skip_checks=None))]
pub fn checks(
    py: Python<'_>,
    checks: Option<Vec<String>>,
    skip_checks: Option<Vec<String>>,
) -> Result<Py<PyAny>> {
    let listed = Validator::new()
        .with_checks(checks.unwrap_or_default())
        .skip_checks(skip_checks.unwrap_or_default())
        .selected_checks()?;
    Ok(serialize(py, &listed)?)
}
