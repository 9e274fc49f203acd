//! The transport options every HTTP client takes (`infrarag::http`), read
//! once from a JavaScript options object's fields, in seconds.

use std::collections::HashMap;

use infrarag::http::{seconds, HttpOptions};

use crate::error::{js_error, whole, Code};

/// The fields an options object shares with every other HTTP client's;
/// `None` keeps the client's default.
pub(crate) struct Fields {
    pub headers: Option<HashMap<String, String>>,
    pub timeout: Option<f64>,
    pub max_retries: Option<f64>,
    pub backoff: Option<f64>,
    pub max_backoff: Option<f64>,
    pub max_retry_after: Option<f64>,
}

impl Fields {
    pub(crate) fn options(self) -> napi::Result<HttpOptions, Code> {
        let secs = |name: &str, v: Option<f64>| v.map(|v| seconds(name, v)).transpose();
        let max_retries = self
            .max_retries
            .map(|_| whole("maxRetries", self.max_retries, 0))
            .transpose()?;
        let mut headers: Vec<(String, String)> =
            self.headers.unwrap_or_default().into_iter().collect();
        // An object's keys reach Rust unordered; sorting keeps requests the
        // same from one run to the next.
        headers.sort();
        Ok(HttpOptions {
            headers,
            timeout: secs("timeout", self.timeout).map_err(js_error)?,
            max_retries: max_retries.map(|n| n as u32),
            backoff: secs("backoff", self.backoff).map_err(js_error)?,
            max_backoff: secs("maxBackoff", self.max_backoff).map_err(js_error)?,
            max_retry_after: secs("maxRetryAfter", self.max_retry_after).map_err(js_error)?,
        })
    }
}
