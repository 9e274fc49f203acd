//! The transport options every HTTP client takes (`infrarag::http`), read
//! once from keyword arguments given in seconds.

use std::collections::BTreeMap;

use pyo3::prelude::*;

use infrarag::http::{seconds, HttpOptions};

use crate::error::{whole_u32, Result};

/// The keyword arguments an HTTP client shares with every other one;
/// `None` keeps the client's default.
pub(crate) struct Fields {
    pub headers: Option<BTreeMap<String, String>>,
    pub timeout: Option<f64>,
    pub max_retries: Option<u32>,
    pub backoff: Option<f64>,
    pub max_backoff: Option<f64>,
    pub max_retry_after: Option<f64>,
}

impl Fields {
    pub(crate) fn options(self) -> Result<HttpOptions> {
        let secs = |name: &str, v: Option<f64>| v.map(|v| seconds(name, v)).transpose();
        Ok(HttpOptions {
            headers: self.headers.unwrap_or_default().into_iter().collect(),
            timeout: secs("timeout", self.timeout)?,
            max_retries: self.max_retries,
            backoff: secs("backoff", self.backoff)?,
            max_backoff: secs("max_backoff", self.max_backoff)?,
            max_retry_after: secs("max_retry_after", self.max_retry_after)?,
        })
    }
}

/// A retry count, or `None` when the caller passed `None`.
pub(crate) fn retries(value: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
    if value.is_none() {
        return Ok(None);
    }
    whole_u32(value).map(Some)
}
