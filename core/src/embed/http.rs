//! [`HttpEmbedder`]: any endpoint speaking OpenAI's `/v1/embeddings`
//! (OpenAI, Azure OpenAI, Ollama, vLLM, TEI, Voyage), with batching, a
//! concurrency limit, timeouts and retries that honour `Retry-After`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use serde::Deserialize;

use super::Embedder;
use crate::error::{Error, Result};
use crate::http::{self, describe, preview, server_message, Backoff, Defaults, HttpOptions};

/// Configures an [`HttpEmbedder`]; finish with [`build`](Self::build).
#[derive(Debug, Clone)]
pub struct HttpEmbedderBuilder {
    url: String,
    model: String,
    dimension: Option<usize>,
    batch_size: usize,
    concurrency: usize,
    http: HttpOptions,
}

/// An embedder's transport defaults: embeddings are short requests, so a
/// shorter timeout and a quicker first retry than a chat model's.
const DEFAULTS: Defaults = Defaults {
    timeout: Duration::from_secs(60),
    max_retries: 5,
    backoff: Duration::from_millis(500),
    max_backoff: Duration::from_secs(30),
};

impl HttpEmbedderBuilder {
    /// Sends `Authorization: Bearer <key>` (OpenAI, Voyage, vLLM, TEI).
    pub fn api_key(self, key: impl AsRef<str>) -> Self {
        self.header("authorization", format!("Bearer {}", key.as_ref()))
    }

    /// Sends this header on every request (Azure: `api-key`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.http.headers.push((name.into(), value.into()));
        self
    }

    /// Every transport option `options` sets, over what is set already.
    pub fn http(mut self, options: HttpOptions) -> Self {
        self.http = self.http.merged(options);
        self
    }

    /// The vectors' length; when not set, [`build`](Self::build) asks the
    /// endpoint once.
    pub fn dimension(mut self, dimension: usize) -> Self {
        self.dimension = Some(dimension);
        self
    }

    /// Texts per request (default 64; OpenAI accepts up to 2048).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Requests in flight at once (default 4).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Limit for one request, connecting included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = Some(timeout);
        self
    }

    /// Retries of a request after a 408, 409, 429 or 5xx answer, a timeout
    /// or a lost connection (default 5).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.http.max_retries = Some(n);
        self
    }

    /// The first retry waits up to `first`, each next up to twice as long,
    /// never more than `max` (defaults 0.5 s and 30 s); the wait is drawn at
    /// random below that (full jitter) unless the server said how long with
    /// `Retry-After` or `retry-after-ms`.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.http.backoff = Some(first);
        self.http.max_backoff = Some(max);
        self
    }

    /// The longest `Retry-After` waited for (default 60 s); a server asking
    /// for longer fails the call at once with [`Error::Provider`] whose
    /// `retry_after` holds the wait asked for.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.http.max_retry_after = Some(max);
        self
    }

    /// Checks the settings and makes the client; without a dimension, asks the endpoint once for one.
    pub fn build(self) -> Result<HttpEmbedder> {
        let invalid = |name: &str, message: String| Error::InvalidArgument {
            name: name.into(),
            message,
        };
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| invalid("url", format!("{:?} is not a URL: {e}", self.url)))?;
        if self.batch_size == 0 || self.concurrency == 0 {
            return Err(invalid(
                "batch_size",
                "batch size and concurrency must be at least 1".into(),
            ));
        }
        if self.model.is_empty() {
            return Err(invalid("model", "the model name is empty".into()));
        }
        let transport = self.http.resolve(&DEFAULTS);
        let client = http::client(&self.http.headers, transport.timeout, "url")?;
        let mut embedder = HttpEmbedder {
            client,
            url,
            model: self.model,
            dimension: self.dimension.unwrap_or(0),
            batch_size: self.batch_size,
            concurrency: self.concurrency,
            max_retries: transport.max_retries,
            backoff: transport.backoff,
        };
        if self.dimension.is_none() {
            let probe = embedder.request(&["dimension probe"])?;
            embedder.dimension = probe[0].len();
        }
        Ok(embedder)
    }
}

/// An [`Embedder`] calling an OpenAI-compatible embeddings endpoint.
///
/// One [`Embedder::embed`] call splits its texts into requests of
/// `batch_size` and sends up to `concurrency` at a time; vectors come back
/// in the order of the texts whatever order the server lists them in.
#[derive(Debug)]
pub struct HttpEmbedder {
    client: Client,
    url: reqwest::Url,
    model: String,
    dimension: usize,
    batch_size: usize,
    concurrency: usize,
    max_retries: u32,
    backoff: Backoff,
}

#[derive(Deserialize)]
struct EmbeddingResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

/// The vectors of one request's texts, or why there are none.
type Batch = Result<Vec<Vec<f32>>>;

/// One failed attempt: the error to give, and whether trying again can help
/// (with the wait the server asked for, if it did).
struct Failure {
    /// Boxed: a failure travels in every attempt's `Result`.
    error: Box<Error>,
    retry: Option<Option<Duration>>,
}

impl HttpEmbedder {
    /// `url` is where to POST, e.g. `https://api.openai.com/v1/embeddings`
    /// or `http://localhost:11434/v1/embeddings` (Ollama).
    pub fn builder(url: impl Into<String>, model: impl Into<String>) -> HttpEmbedderBuilder {
        HttpEmbedderBuilder {
            url: url.into(),
            model: model.into(),
            dimension: None,
            batch_size: 64,
            concurrency: 4,
            http: HttpOptions::default(),
        }
    }

    /// Sends one request for `texts`, retrying as configured.
    fn request(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let body = serde_json::json!({
            "model": self.model,
            "input": texts,
            "encoding_format": "float",
        });
        let mut attempt = 0;
        loop {
            let failure = match self.client.post(self.url.clone()).json(&body).send() {
                Ok(response) => match self.read(response, texts.len()) {
                    Ok(vectors) => return Ok(vectors),
                    Err(f) => f,
                },
                Err(e) => Failure {
                    retry: http::transient(&e).then_some(None),
                    error: Box::new(self.error(None, None, describe(&e))),
                },
            };
            let Some(asked) = failure.retry else {
                return Err(*failure.error);
            };
            if attempt >= self.max_retries {
                return Err(*failure.error);
            }
            std::thread::sleep(self.backoff.wait(asked, attempt, *failure.error)?);
            attempt += 1;
        }
    }

    fn read(&self, response: Response, expected: usize) -> Result<Vec<Vec<f32>>, Failure> {
        let status = response.status();
        let request_id = http::request_id(response.headers());
        let retry_after = http::retry_after(response.headers());
        let text = response.text().map_err(|e| Failure {
            retry: Some(None),
            error: Box::new(self.error(Some(status.as_u16()), request_id.clone(), describe(&e))),
        })?;
        if !status.is_success() {
            let code = status.as_u16();
            return Err(Failure {
                retry: http::retryable(code).then_some(retry_after),
                error: Box::new(self.error(Some(code), request_id, server_message(&text, status))),
            });
        }
        let bad = |message: String| Failure {
            retry: None,
            error: Box::new(self.error(Some(status.as_u16()), request_id.clone(), message)),
        };
        let parsed: EmbeddingResponse = serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "the response is not an embeddings list: {e}: {}",
                preview(&text)
            ))
        })?;
        if parsed.data.len() != expected {
            return Err(bad(format!(
                "returned {} embeddings for {expected} inputs",
                parsed.data.len()
            )));
        }
        let mut out: Vec<Option<Vec<f32>>> = vec![None; expected];
        for (i, item) in parsed.data.into_iter().enumerate() {
            let at = item.index.unwrap_or(i);
            match out.get_mut(at) {
                Some(slot @ None) => *slot = Some(item.embedding),
                _ => {
                    return Err(bad(format!(
                        "embedding index {at} is out of range or repeated"
                    )))
                }
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn error(&self, status: Option<u16>, request_id: Option<String>, message: String) -> Error {
        Error::Provider {
            provider: self.url.host_str().unwrap_or("localhost").to_string(),
            model: self.model.clone(),
            status,
            request_id,
            message,
            retry_after_ms: None,
        }
    }
}

impl Embedder for HttpEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    /// Each call carries `concurrency` requests' worth of texts, so callers
    /// batching by it keep every request slot busy.
    fn batch_size(&self) -> usize {
        self.batch_size * self.concurrency
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let batches: Vec<&[&str]> = texts.chunks(self.batch_size).collect();
        let results: Mutex<Vec<Option<Batch>>> = Mutex::new(batches.iter().map(|_| None).collect());
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..self.concurrency.min(batches.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(batch) = batches.get(i) else {
                        break;
                    };
                    let out = self.request(batch);
                    if out.is_err() {
                        // Nothing after a failure is used: stop taking work.
                        next.store(batches.len(), Ordering::SeqCst);
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(out);
                });
            }
        });
        let mut out = Vec::with_capacity(texts.len());
        for r in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
            match r {
                Some(vectors) => out.extend(vectors?),
                None => return Err(self.error(None, None, "a request was not sent".into())),
            }
        }
        if let Some(v) = out.iter().find(|v| v.len() != self.dimension) {
            return Err(self.error(
                None,
                None,
                format!(
                    "returned a vector of {} dimensions, not {}",
                    v.len(),
                    self.dimension
                ),
            ));
        }
        Ok(out)
    }
}
