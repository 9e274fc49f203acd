//! Values between Rust and Python: JSON-shaped values to dicts and lists,
//! serde types through JSON, paths.

use pyo3::prelude::*;
use std::collections::HashMap;

use pyo3::types::{PyDict, PyList, PyString};

use serde_json::Value;

use crate::error::invalid;

/// The core's JSON result as Python data, or its error as the matching
/// exception.
pub(crate) fn json_result(
    py: Python<'_>,
    result: infrarag::Result<serde_json::Value>,
) -> PyResult<Py<PyAny>> {
    match result {
        Ok(v) => to_py(py, &v),
        Err(e) => Err(crate::error::to_pyerr(py, e)),
    }
}

pub(crate) fn to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    to_py_keyed(py, v, &mut HashMap::new())
}

/// [`serialize`] for a large value: Python's cyclic garbage collector
/// is paused while the objects are made. Each collection it started
/// walked every object made so far, a third of the time a 50,000-instance
/// state took; nothing made here is garbage, and no Python code runs
/// meanwhile.
pub(crate) fn serialize_large<T: serde::Serialize>(
    py: Python<'_>,
    value: &T,
) -> PyResult<Py<PyAny>> {
    let gc = py.import("gc")?;
    let enabled = gc.call_method0("isenabled")?.is_truthy()?;
    if enabled {
        gc.call_method0("disable")?;
    }
    let made = serialize(py, value);
    if enabled {
        gc.call_method0("enable")?;
    }
    made
}

/// [`to_py`] sharing one Python string per distinct object key, as
/// Python's `json` module does: a state of 50,000 instances repeats the
/// same twenty keys a million times.
fn to_py_keyed<'j>(
    py: Python<'_>,
    v: &'j serde_json::Value,
    keys: &mut HashMap<&'j str, Py<PyString>>,
) -> PyResult<Py<PyAny>> {
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
                list.append(to_py_keyed(py, item, keys)?)?;
            }
            list.into_any().unbind()
        }
        serde_json::Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                let key = keys
                    .entry(k.as_str())
                    .or_insert_with(|| PyString::new(py, k).unbind())
                    .clone_ref(py);
                dict.set_item(key, to_py_keyed(py, item, keys)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

pub(crate) fn serialize<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    // Only a bug in infrarag makes its own values fail to serialise: a
    // RuntimeError, not one of the core's error codes.
    let json = serde_json::to_value(value).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!(
            "infrarag internal error, please report: {e}"
        ))
    })?;
    to_py(py, &json)
}

/// A fresh copy of a dict or list the object keeps, so a caller's changes
/// to a `to_dict()` result do not reach the object.
pub(crate) fn deep_copy(py: Python<'_>, value: &Py<PyAny>) -> PyResult<Py<PyAny>> {
    Ok(py
        .import("copy")?
        .call_method1("deepcopy", (value.clone_ref(py),))?
        .unbind())
}

/// A Python value as JSON, through `json.dumps`, so anything JSON-able
/// (dicts, lists, numbers, dataclasses made into dicts) is accepted.
pub(crate) fn json_of(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let text: String = py
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| invalid(py, "value", e.to_string()))
}

/// A JSON value as a typed core value, or `InvalidArgumentError` naming
/// the argument.
pub(crate) fn typed<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    name: &str,
    v: Value,
) -> PyResult<T> {
    serde_json::from_value(v).map_err(|e| invalid(py, name, e.to_string()))
}
