//! What the HTTP clients (embedders, chat models) share: one set of transport
//! options, how the client is made, and failing well: backoff, `Retry-After`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};

/// Response headers that carry a request id, by provider: OpenAI and most
/// servers, Azure's API management, Anthropic.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "apim-request-id", "request-id"];

/// How an HTTP client (an [`HttpEmbedder`](crate::embed::HttpEmbedder) or a
/// [`ChatModel`](crate::llm::ChatModel)) talks to its server. A field left
/// `None` keeps that client's default, so a binding passes only what its
/// caller set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpOptions {
    /// Sent on every request, after the client's own.
    pub headers: Vec<(String, String)>,
    /// The longest wait for a connection, for a response to begin, or for
    /// the next piece of a streamed one.
    pub timeout: Option<Duration>,
    /// Retries after 408, 409, 429, 5xx, a timeout or a lost connection.
    pub max_retries: Option<u32>,
    /// The first retry's longest wait; each next may wait twice as long.
    pub backoff: Option<Duration>,
    /// No retry waits longer than this, unless the server asked.
    pub max_backoff: Option<Duration>,
    /// The longest `Retry-After` honoured; a server asking for longer fails
    /// the call at once with [`Error::Provider`] carrying the wait asked for.
    pub max_retry_after: Option<Duration>,
}

impl HttpOptions {
    /// These options with every field `other` sets taken from `other`, and
    /// `other`'s headers sent after these.
    pub fn merged(mut self, other: HttpOptions) -> HttpOptions {
        self.headers.extend(other.headers);
        self.timeout = other.timeout.or(self.timeout);
        self.max_retries = other.max_retries.or(self.max_retries);
        self.backoff = other.backoff.or(self.backoff);
        self.max_backoff = other.max_backoff.or(self.max_backoff);
        self.max_retry_after = other.max_retry_after.or(self.max_retry_after);
        self
    }

    /// The settings a client runs with: these options over its `defaults`.
    pub(crate) fn resolve(&self, defaults: &Defaults) -> Settings {
        Settings {
            timeout: self.timeout.unwrap_or(defaults.timeout),
            max_retries: self.max_retries.unwrap_or(defaults.max_retries),
            backoff: Backoff::new(
                self.backoff.unwrap_or(defaults.backoff),
                self.max_backoff.unwrap_or(defaults.max_backoff),
                self.max_retry_after.unwrap_or(MAX_RETRY_AFTER),
            ),
        }
    }
}

/// A duration given in seconds by a caller, as the bindings take them;
/// `name` is the argument blamed when it is negative or not finite.
pub fn seconds(name: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| Error::InvalidArgument {
        name: name.into(),
        message: format!("{value} is not a number of seconds"),
    })
}

/// One kind of client's defaults for what [`HttpOptions`] leaves unset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Defaults {
    pub timeout: Duration,
    pub max_retries: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
}

/// What a client runs with, once its options are resolved.
#[derive(Debug)]
pub(crate) struct Settings {
    pub timeout: Duration,
    pub max_retries: u32,
    pub backoff: Backoff,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const D: Defaults = Defaults {
        timeout: Duration::from_secs(7),
        max_retries: 3,
        backoff: Duration::from_millis(250),
        max_backoff: Duration::from_secs(9),
    };

    #[test]
    fn unset_options_keep_the_clients_defaults() {
        let t = HttpOptions::default().resolve(&D);
        assert_eq!((t.timeout, t.max_retries), (D.timeout, 3));
        assert_eq!((t.backoff.first, t.backoff.max), (D.backoff, D.max_backoff));
        assert_eq!(t.backoff.max_asked, MAX_RETRY_AFTER);
    }

    #[test]
    fn a_later_set_option_wins_and_headers_accumulate() {
        let first = HttpOptions {
            headers: vec![("a".into(), "1".into())],
            timeout: Some(Duration::from_secs(1)),
            max_retries: Some(0),
            ..HttpOptions::default()
        };
        let second = HttpOptions {
            headers: vec![("b".into(), "2".into())],
            timeout: Some(Duration::from_secs(2)),
            max_retry_after: Some(Duration::from_secs(5)),
            ..HttpOptions::default()
        };
        let merged = first.merged(second);
        assert_eq!(merged.headers.len(), 2);
        assert_eq!(merged.headers[1].0, "b");
        let t = merged.resolve(&D);
        assert_eq!((t.timeout, t.max_retries), (Duration::from_secs(2), 0));
        assert_eq!(t.backoff.max_asked, Duration::from_secs(5));
    }

    #[test]
    fn seconds_rejects_what_is_not_a_duration() {
        assert_eq!(seconds("t", 1.5).unwrap(), Duration::from_millis(1500));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = seconds("timeout", bad).unwrap_err();
            assert!(matches!(e, Error::InvalidArgument { ref name, .. } if name == "timeout"));
        }
    }
}
