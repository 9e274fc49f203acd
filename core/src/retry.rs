//! What the HTTP clients (embedders, chat models) share: how the client is
//! made, and failing well: backoff with jitter, `Retry-After`, error texts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

/// Response headers that carry a request id, by provider: OpenAI and most
/// servers, Azure's API management, Anthropic.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "apim-request-id", "request-id"];

/// A blocking client sending `headers` on every request (credentials
/// marked sensitive, so they never print), with `timeout` for each wait
/// and at most 10 s to connect. `url_argument` names the argument blamed
/// when no client can be made.
pub(crate) fn client(
    headers: &[(String, String)],
    timeout: Duration,
    url_argument: &str,
) -> Result<Client> {
    let invalid = |name: &str, message: String| Error::InvalidArgument {
        name: name.into(),
        message,
    };
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| invalid("header", format!("{name:?}: {e}")))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|e| invalid("header", format!("value of {name}: {e}")))?;
        if matches!(name.as_str(), "authorization" | "x-api-key" | "api-key") {
            value.set_sensitive(true);
        }
        map.insert(name, value);
    }
    Client::builder()
        .default_headers(map)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("infrarag/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| invalid(url_argument, format!("cannot make an HTTP client: {e}")))
}

/// Statuses worth another try: timeouts, conflicts, rate limits, server
/// errors (Anthropic's 529 "overloaded" among them).
pub(crate) fn retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..600).contains(&status)
}

/// The longest `Retry-After` a client waits for unless told otherwise.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How long to wait before each retry.
#[derive(Debug)]
pub(crate) struct Backoff {
    pub first: Duration,
    pub max: Duration,
    /// The longest wait a server may ask for; past it the call fails at
    /// once, its error carrying the wait asked for.
    pub max_asked: Duration,
    /// Jitter's random state, shared by the requests in flight.
    seed: AtomicU64,
}

impl Backoff {
    pub fn new(first: Duration, max: Duration, max_asked: Duration) -> Backoff {
        Backoff {
            first,
            max,
            max_asked,
            seed: AtomicU64::new(0x2545_f491_4f6c_dd1d),
        }
    }

    /// A wait drawn uniformly below the capped exponential backoff.
    pub fn jitter(&self, attempt: u32) -> Duration {
        let cap = self
            .first
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max);
        let mut x = self
            .seed
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        cap.mul_f64((x >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// The server's wait when it gave one, else the jitter for `attempt`;
    /// `Err` with the failure made final when the server asked for longer
    /// than `max_asked`.
    pub fn wait(&self, asked: Option<Duration>, attempt: u32, error: Error) -> Result<Duration> {
        match asked {
            Some(wait) if wait > self.max_asked => Err(asked_too_long(error, wait, self.max_asked)),
            Some(wait) => Ok(wait),
            None => Ok(self.jitter(attempt)),
        }
    }
}

/// `error`, a provider's, told that the service asked to wait `wait`,
/// longer than the `limit` the client honours.
fn asked_too_long(mut error: Error, wait: Duration, limit: Duration) -> Error {
    if let Error::Provider {
        message,
        retry_after_ms,
        ..
    } = &mut error
    {
        message.push_str(&format!(
            " (the service asked to wait {:.1} s before retrying, longer than the {:.1} s this client waits)",
            wait.as_secs_f64(),
            limit.as_secs_f64()
        ));
        *retry_after_ms = Some(u32::try_from(wait.as_millis()).unwrap_or(u32::MAX));
    }
    error
}

/// The id the service gave the request, if a known header carries one.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|h| headers.get(*h)?.to_str().ok())
        .map(str::to_string)
}

/// The server's wait: `retry-after-ms` (Azure, OpenAI) or `Retry-After` in
/// seconds. An HTTP-date `Retry-After` falls back to the backoff.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let wait = get("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| get("retry-after"))?;
    (wait.is_finite() && wait >= 0.0).then(|| Duration::from_secs_f64(wait.min(86_400.0)))
}

/// `error.message` of an OpenAI- or Anthropic-style error body, else the
/// body's start.
pub(crate) fn server_message(body: &str, status: reqwest::StatusCode) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(|m| m.as_str())
            .map(str::to_string)
    });
    format!("{status}: {}", message.unwrap_or_else(|| preview(body)))
}

/// The start of a text, for messages.
pub(crate) fn preview(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &t[..at]),
        None if t.is_empty() => "(empty body)".into(),
        None => t.to_string(),
    }
}

/// The error and its causes, which reqwest keeps apart.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Whether a failed send may succeed when sent again: a timeout or a lost
/// connection may; a name that does not resolve or a TLS handshake that
/// fails (rustls reports those as invalid data) will fail again the same.
pub(crate) fn transient(e: &reqwest::Error) -> bool {
    (e.is_timeout() || e.is_connect() || e.is_request()) && !permanent(e)
}

fn permanent(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.to_string().starts_with("dns error") {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData {
                return true;
            }
        }
        source = s.source();
    }
    false
}
