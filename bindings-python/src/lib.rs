//! Python bindings: converts types, maps errors to the `InfraragError`
//! hierarchy and releases the GIL around parsing. No logic lives here.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use infrarag::hcl::{self, Dialect, LoadsOptions};
use infrarag::terraform::Module;
use infrarag::tokens;
use infrarag::Error;

fn to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        serde_json::Value::Null => py.None(),
        serde_json::Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                let text = n.to_string();
                if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    // Integers beyond 64 bits: Python's int parses the digits.
                    py.import("builtins")?
                        .getattr("int")?
                        .call1((text,))?
                        .unbind()
                } else {
                    n.as_f64()
                        .unwrap_or(f64::NAN)
                        .into_pyobject(py)?
                        .into_any()
                        .unbind()
                }
            }
        }
        serde_json::Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        serde_json::Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        serde_json::Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

fn serialize<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let json = serde_json::to_value(value).map_err(|e| {
        error_of(
            py,
            "InfraragError",
            e.to_string(),
            vec![],
            "SERIALIZE_ERROR",
        )
    })?;
    to_py(py, &json)
}

/// Instantiates one of the exception classes of `infrarag.errors`.
fn error_of(
    py: Python<'_>,
    class: &str,
    message: String,
    attrs: Vec<(&str, Py<PyAny>)>,
    code: &str,
) -> PyErr {
    let made = py
        .import("infrarag.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|cls| cls.call1((message.clone(),)));
    match made {
        Ok(value) => {
            let _ = value.setattr("code", code);
            for (k, v) in attrs {
                let _ = value.setattr(k, v);
            }
            PyErr::from_value(value)
        }
        Err(e) => e,
    }
}

/// Maps a core error to its Python exception, with structured attributes.
fn to_pyerr(py: Python<'_>, err: Error) -> PyErr {
    let message = err.to_string();
    let code = err.code();
    let (class, attrs): (&str, Vec<(&str, Py<PyAny>)>) = match &err {
        Error::Parse { path, diagnostics } => {
            let diags = serialize(py, diagnostics).unwrap_or_else(|_| py.None());
            (
                "ParseError",
                vec![
                    ("diagnostics", diags),
                    ("path", path_obj(py, path.as_ref())),
                ],
            )
        }
        Error::InvalidUtf8 {
            path,
            byte,
            line,
            column,
        } => {
            let diag = serde_json::json!([{
                "severity": "error",
                "code": "invalid_utf8",
                "message": "invalid UTF-8",
                "span": {"start": {"byte": byte, "line": line, "column": column},
                         "end": {"byte": byte, "line": line, "column": column}},
            }]);
            let diags = to_py(py, &diag).unwrap_or_else(|_| py.None());
            (
                "ParseError",
                vec![
                    ("diagnostics", diags),
                    ("path", path_obj(py, path.as_ref())),
                ],
            )
        }
        Error::Io { path, .. } => ("StorageError", vec![("path", path_obj(py, Some(path)))]),
        Error::InvalidArgument { name, .. } => {
            let name = name
                .clone()
                .into_pyobject(py)
                .map(|n| n.into_any().unbind())
                .unwrap_or_else(|_| py.None());
            ("InvalidArgumentError", vec![("argument", name)])
        }
        _ => ("InfraragError", vec![]),
    };
    error_of(py, class, message, attrs, code)
}

fn path_obj(py: Python<'_>, path: Option<&PathBuf>) -> Py<PyAny> {
    match path {
        Some(p) => p
            .display()
            .to_string()
            .into_pyobject(py)
            .map(|s| s.into_any().unbind())
            .unwrap_or_else(|_| py.None()),
        None => py.None(),
    }
}

fn options(py: Python<'_>, dialect: &str, with_meta: bool) -> PyResult<LoadsOptions> {
    let dialect: Dialect = dialect.parse().map_err(|e| to_pyerr(py, e))?;
    Ok(LoadsOptions::new(dialect).with_meta(with_meta))
}

/// python-hcl2-compatible `loads`; see `infrarag/hcl.pyi`.
#[pyfunction]
#[pyo3(signature = (text, *, dialect = "v7", with_meta = false))]
fn hcl_loads(py: Python<'_>, text: &str, dialect: &str, with_meta: bool) -> PyResult<Py<PyAny>> {
    let opts = options(py, dialect, with_meta)?;
    let text = text.to_owned();
    let result = py.detach(move || hcl::loads(&text, &opts));
    match result {
        Ok(v) => to_py(py, &v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// `loads` of a file read by the core, so errors carry its path.
#[pyfunction]
#[pyo3(signature = (path, *, dialect = "v7", with_meta = false))]
fn hcl_load_file(
    py: Python<'_>,
    path: PathBuf,
    dialect: &str,
    with_meta: bool,
) -> PyResult<Py<PyAny>> {
    let opts = options(py, dialect, with_meta)?;
    let result = py.detach(move || hcl::load_file(&path, &opts));
    match result {
        Ok(v) => to_py(py, &v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// Parses native HCL into the syntax tree and diagnostics; never raises for
/// syntax errors.
#[pyfunction]
#[pyo3(signature = (text, *, json = false))]
fn hcl_parse(py: Python<'_>, text: &str, json: bool) -> PyResult<Py<PyAny>> {
    let text = text.to_owned();
    let parsed = py.detach(move || {
        if json {
            hcl::tfjson::parse_json(&text)
        } else {
            hcl::parse(&text)
        }
    });
    let value = serde_json::json!({
        "body": parsed.file.body,
        "comments": parsed.file.comments,
        "diagnostics": parsed.diagnostics,
    });
    to_py(py, &value)
}

/// Loads a Terraform module directory; see `infrarag/hcl.pyi`.
#[pyfunction]
fn hcl_load_module(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    let result = py.detach(move || Module::load(&path));
    match result {
        Ok(m) => serialize(py, &m),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// A built-in tokenizer; see `infrarag/tokens.py`.
#[pyclass(name = "Tokenizer", module = "infrarag._native", frozen)]
struct PyTokenizer {
    inner: Box<dyn tokens::Tokenizer>,
}

#[pymethods]
impl PyTokenizer {
    #[new]
    fn new(py: Python<'_>, name: &str) -> PyResult<Self> {
        let inner = tokens::by_name(name).map_err(|e| to_pyerr(py, e))?;
        Ok(PyTokenizer { inner })
    }

    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn count(&self, py: Python<'_>, text: &str) -> usize {
        let text = text.to_owned();
        py.detach(|| self.inner.count(&text))
    }

    fn encode(&self, py: Python<'_>, text: &str) -> Vec<u32> {
        let text = text.to_owned();
        py.detach(|| self.inner.encode(&text))
    }

    fn decode(&self, py: Python<'_>, tokens: Vec<u32>) -> PyResult<String> {
        self.inner.decode(&tokens).map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self) -> String {
        format!("Tokenizer('{}')", self.inner.name())
    }
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTokenizer>()?;
    m.add_function(wrap_pyfunction!(hcl_loads, m)?)?;
    m.add_function(wrap_pyfunction!(hcl_parse, m)?)?;
    m.add_function(wrap_pyfunction!(hcl_load_file, m)?)?;
    m.add_function(wrap_pyfunction!(hcl_load_module, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
