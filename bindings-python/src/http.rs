//! The keyword arguments of the HTTP clients (`HttpEmbedder`, the chat
//! models), read once: the transport options every one of them takes
//! (`infrarag::http::HttpOptions`, in seconds) and each client's own.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use infrarag::http::{seconds, HttpOptions};

use crate::error::{invalid, whole_of, Result};

/// A call's `**options`, taken one by one; a name left over when the
/// call has taken what it knows is refused as Python refuses it.
pub(crate) struct Options<'py> {
    left: Bound<'py, PyDict>,
}

impl<'py> Options<'py> {
    pub(crate) fn new(py: Python<'py>, given: Option<&Bound<'py, PyDict>>) -> PyResult<Self> {
        let left = match given {
            Some(d) => d.copy()?,
            None => PyDict::new(py),
        };
        Ok(Options { left })
    }

    fn raw(&self, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let value = self.left.get_item(name)?;
        self.left.del_item(name).ok();
        Ok(value.filter(|v| !v.is_none()))
    }

    /// `name`, or `None` when it was not given or given as `None`.
    pub(crate) fn take<T: for<'a> FromPyObject<'a, 'py>>(&self, name: &str) -> PyResult<Option<T>> {
        match self.raw(name)? {
            None => Ok(None),
            Some(v) => v.extract::<T>().map(Some).map_err(|e| {
                let e: PyErr = e.into();
                invalid(v.py(), name, e.to_string())
            }),
        }
    }

    /// A whole number: a bool, a float or a negative number is refused.
    pub(crate) fn whole(&self, name: &str) -> PyResult<Option<usize>> {
        match self.raw(name)? {
            None => Ok(None),
            Some(v) => whole_of(&v)
                .map(Some)
                .map_err(|message| invalid(v.py(), name, message)),
        }
    }

    fn secs(&self, name: &str) -> Result<Option<std::time::Duration>> {
        Ok(match self.take::<f64>(name)? {
            Some(v) => Some(seconds(name, v)?),
            None => None,
        })
    }

    /// The transport options: `headers`, `timeout`, `max_retries`,
    /// `backoff`, `max_backoff` and `max_retry_after`.
    pub(crate) fn http(&self) -> Result<HttpOptions> {
        let max_retries = match self.whole("max_retries")? {
            Some(n) => Some(u32::try_from(n).map_err(|_| {
                invalid(self.left.py(), "max_retries", format!("{n} is too large"))
            })?),
            None => None,
        };
        Ok(HttpOptions {
            headers: self
                .take::<std::collections::BTreeMap<String, String>>("headers")?
                .unwrap_or_default()
                .into_iter()
                .collect(),
            timeout: self.secs("timeout")?,
            max_retries,
            backoff: self.secs("backoff")?,
            max_backoff: self.secs("max_backoff")?,
            max_retry_after: self.secs("max_retry_after")?,
        })
    }

    /// Refuses a keyword the call does not take, as Python does.
    pub(crate) fn finish(self, function: &str) -> PyResult<()> {
        match self.left.keys().iter().next() {
            Some(k) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{function}() got an unexpected keyword argument {}",
                k.repr()?
            ))),
            None => Ok(()),
        }
    }
}
