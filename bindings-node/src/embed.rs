//! `embed`: the offline and HTTP embedders.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::convert::small;
use crate::error::{coded, counted, js_error, thrown, whole, Code};
use crate::http::http_options;
use crate::task::{job, Job};

/// What `embed.Embedder.http` needs: where to POST and the model, and how
/// to treat the endpoint.
#[napi(object, namespace = "embed")]
pub struct HttpEmbedderOptions {
    /// e.g. `https://api.openai.com/v1/embeddings`, or
    /// `http://localhost:11434/v1/embeddings` for Ollama.
    pub url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer <apiKey>`.
    pub api_key: Option<String>,
    /// Sent on every request (Azure: `{ "api-key": ... }`).
    pub headers: Option<std::collections::HashMap<String, String>>,
    /// The vectors' length; without it the endpoint is asked once, blocking.
    pub dimension: Option<f64>,
    /// Texts per request (default 64).
    pub batch_size: Option<f64>,
    /// Requests in flight at once (default 4).
    pub concurrency: Option<f64>,
    /// Seconds allowed for one request, connecting included (default 60).
    pub timeout: Option<f64>,
    /// Retries after 408/409/429/5xx, timeouts and lost connections, with
    /// backoff and jitter, honouring Retry-After (default 5).
    pub max_retries: Option<f64>,
    /// First and longest wait between retries, in seconds (0.5 and 30),
    /// unless the server sends `Retry-After`.
    pub backoff: Option<f64>,
    pub max_backoff: Option<f64>,
    /// The longest `Retry-After` waited for, in seconds (default 60); a
    /// server asking for longer rejects at once with PROVIDER_ERROR whose
    /// `retryAfter` is the wait asked for.
    pub max_retry_after: Option<f64>,
}

/// Turns texts into vectors: `Embedder.hashing()` (offline, the default) or
/// `Embedder.http({ url, model })` (any OpenAI-compatible endpoint).
/// Failures of an endpoint throw (or reject) with code PROVIDER_ERROR and
/// the fields `provider` (the host), `model`, `status` (the last HTTP
/// status, or null) and `requestId` (or null); the message says the same.
#[napi(namespace = "embed")]
pub struct Embedder {
    pub(crate) inner: std::sync::Arc<dyn infrarag::embed::Embedder>,
}

#[napi(namespace = "embed")]
impl Embedder {
    /// Signed feature hashing of code-aware terms and trigrams (16 to 65536
    /// dimensions, default 384); deterministic, no model.
    #[napi(factory)]
    pub fn hashing(env: Env, dimension: Option<f64>) -> Result<Self> {
        thrown(&env, || {
            let inner = match counted("dimension", dimension)? {
                Some(d) => infrarag::embed::Hashing::new(d).map_err(js_error)?,
                None => infrarag::embed::Hashing::default(),
            };
            Ok(Embedder {
                inner: std::sync::Arc::new(inner),
            })
        })
    }

    /// An OpenAI-compatible `/v1/embeddings` endpoint.
    #[napi(factory)]
    pub fn http(env: Env, options: HttpEmbedderOptions) -> Result<Self> {
        let o = options;
        let http = http_options!(o).map_err(|e| coded(&env, e))?;
        let mut b = infrarag::embed::HttpEmbedder::builder(o.url, o.model);
        if let Some(key) = o.api_key {
            b = b.api_key(key);
        }
        b = b.http(http);
        let count = |name: &str, v: Option<f64>| {
            v.map(|_| whole(name, v, 0))
                .transpose()
                .map_err(|e| coded(&env, e))
        };
        if let Some(d) = count("dimension", o.dimension)? {
            b = b.dimension(d);
        }
        if let Some(n) = count("batchSize", o.batch_size)? {
            b = b.batch_size(n);
        }
        if let Some(n) = count("concurrency", o.concurrency)? {
            b = b.concurrency(n);
        }
        // Probing the dimension can reach the endpoint: its failure is
        // thrown with all its fields.
        let built = b.build().map_err(|e| coded(&env, js_error(e)))?;
        Ok(Embedder {
            inner: std::sync::Arc::new(built),
        })
    }

    #[napi(getter)]
    pub fn model(&self) -> String {
        self.inner.model().to_string()
    }

    #[napi(getter)]
    pub fn dimension(&self) -> u32 {
        small(self.inner.dimension())
    }

    /// One vector per text, in order, computed off the main thread.
    #[napi(ts_return_type = "Promise<Array<Array<number>>>")]
    pub fn embed(
        &self,
        texts: Vec<String>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<Vec<Vec<f64>>>> {
        let embedder = self.inner.clone();
        job(signal, None, move || embed_with(&*embedder, &texts))
    }

    /// `embed`, blocking the calling thread.
    #[napi]
    pub fn embed_sync(&self, env: Env, texts: Vec<String>) -> Result<Vec<Vec<f64>>> {
        thrown(&env, || embed_with(&*self.inner, &texts))
    }
}

pub(crate) fn embed_with(
    embedder: &dyn infrarag::embed::Embedder,
    texts: &[String],
) -> Result<Vec<Vec<f64>>, Code> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&refs).map_err(js_error)?;
    Ok(vectors
        .into_iter()
        .map(|v| v.into_iter().map(f64::from).collect())
        .collect())
}
