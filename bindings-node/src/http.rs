//! The transport options every HTTP client takes (`infrarag::http`), read
//! once from the fields JavaScript options objects share, in seconds.

use std::collections::HashMap;

use infrarag::http::{seconds, HttpOptions};

use crate::error::{counted, js_error, Code};

/// [`options`] of an options object with the shared fields (`headers`,
/// `timeout`, `maxRetries`, `backoff`, `maxBackoff`, `maxRetryAfter`),
/// moved out of it.
macro_rules! http_options {
    ($o:expr) => {
        $crate::http::options(
            $o.headers,
            $o.timeout,
            $o.max_retries,
            [$o.backoff, $o.max_backoff, $o.max_retry_after],
        )
    };
}
pub(crate) use http_options;

/// The options set; `None` keeps the client's default.
pub(crate) fn options(
    headers: Option<HashMap<String, String>>,
    timeout: Option<f64>,
    max_retries: Option<f64>,
    [backoff, max_backoff, max_retry_after]: [Option<f64>; 3],
) -> napi::Result<HttpOptions, Code> {
    let secs =
        |name: &str, v: Option<f64>| v.map(|v| seconds(name, v)).transpose().map_err(js_error);
    let mut headers: Vec<(String, String)> = headers.unwrap_or_default().into_iter().collect();
    // An object's keys reach Rust unordered; sorting keeps requests the
    // same from one run to the next.
    headers.sort();
    Ok(HttpOptions {
        headers,
        timeout: secs("timeout", timeout)?,
        max_retries: counted("maxRetries", max_retries)?.map(|n| n as u32),
        backoff: secs("backoff", backoff)?,
        max_backoff: secs("maxBackoff", max_backoff)?,
        max_retry_after: secs("maxRetryAfter", max_retry_after)?,
    })
}
