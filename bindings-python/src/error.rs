//! Core errors as instances of the `infrarag.errors` classes, with their
//! structured attributes, and arguments refused before they reach the core.

use pyo3::prelude::*;

use infrarag::Error;

use crate::convert::to_py;

/// Instantiates one of the exception classes of `infrarag.errors`.
pub(crate) fn error_of(
    py: Python<'_>,
    class: &str,
    message: String,
    attrs: Vec<(String, Py<PyAny>)>,
    code: &str,
) -> PyErr {
    // The module is imported once; errors are common on some paths
    // (validation of user input in a loop).
    static ERRORS: pyo3::sync::PyOnceLock<Py<PyModule>> = pyo3::sync::PyOnceLock::new();
    let made = ERRORS
        .get_or_try_init(py, || py.import("infrarag.errors").map(Bound::unbind))
        .and_then(|m| m.bind(py).getattr(class))
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

/// Maps a core error to its `infrarag.errors` class, with the structured
/// attributes the core lists (`Error::fields`).
pub(crate) fn to_pyerr(py: Python<'_>, err: Error) -> PyErr {
    let attrs: Vec<(String, Py<PyAny>)> = err
        .fields()
        .into_iter()
        .map(|(name, value)| (name, to_py(py, &value).unwrap_or_else(|_| py.None())))
        .collect();
    error_of(py, err.class_name(), err.to_string(), attrs, err.code())
}

/// A whole-number argument (`None` when not given or `None`): a bool, a float, a
/// negative number or one past `usize` is an `InvalidArgumentError` naming
/// the argument, not an `OverflowError` or a wrapped value.
pub(crate) fn whole(
    py: Python<'_>,
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<usize>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => whole_of(v).map(Some).map_err(|message| {
            to_pyerr(
                py,
                Error::InvalidArgument {
                    name: name.into(),
                    message,
                },
            )
        }),
    }
}

/// `value` as a whole number, or why it is not one.
pub(crate) fn whole_of(value: &Bound<'_, PyAny>) -> Result<usize, String> {
    let shown = || value.repr().map(|r| r.to_string()).unwrap_or_default();
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(format!("expected a whole number, got {}", shown()));
    }
    match value.extract::<i128>() {
        Ok(n) if n < 0 => Err(format!("expected a whole number, got {n}")),
        Ok(n) => usize::try_from(n).map_err(|_| format!("{n} is too large")),
        Err(_) => Err(format!("expected a whole number, got {}", shown())),
    }
}

/// A whole-number argument, for `#[pyo3(from_py_with = ...)]`: a bool, a
/// float, a negative number or one past `usize` is an
/// `InvalidArgumentError` (pyo3 adds a note naming the argument), not an
/// `OverflowError` or a silently truncated value.
pub(crate) fn whole_number(value: &Bound<'_, PyAny>) -> PyResult<usize> {
    whole_of(value).map_err(|message| unnamed(value.py(), message))
}

/// [`whole_number`] for an argument the core defaults: `None` stays `None`.
pub(crate) fn maybe_whole(value: &Bound<'_, PyAny>) -> PyResult<Option<usize>> {
    if value.is_none() {
        return Ok(None);
    }
    whole_number(value).map(Some)
}

/// An `InvalidArgumentError` for an argument whose name pyo3 adds as a note.
pub(crate) fn unnamed(py: Python<'_>, message: String) -> PyErr {
    error_of(
        py,
        "InvalidArgumentError",
        message,
        vec![],
        "INVALID_ARGUMENT",
    )
}

/// An `InvalidArgumentError` naming the argument.
pub(crate) fn invalid(py: Python<'_>, name: &str, message: String) -> PyErr {
    to_pyerr(
        py,
        Error::InvalidArgument {
            name: name.into(),
            message,
        },
    )
}

/// An error on its way to Python: a core error (so `?` works on any
/// `infrarag::Result`) or an exception Python raised; pyo3 raises it as the
/// matching `infrarag.errors` class.
pub(crate) struct Failure(PyErr);

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure(Python::attach(|py| to_pyerr(py, e)))
    }
}

impl From<PyErr> for Failure {
    fn from(e: PyErr) -> Self {
        Failure(e)
    }
}

impl<'a, 'py> From<pyo3::CastError<'a, 'py>> for Failure {
    fn from(e: pyo3::CastError<'a, 'py>) -> Self {
        Failure(e.into())
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        f.0
    }
}

/// What binding functions return: [`Failure`] takes core errors and
/// Python's alike.
pub(crate) type Result<T, E = Failure> = std::result::Result<T, E>;
