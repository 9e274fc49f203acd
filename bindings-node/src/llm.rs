//! `llm`: the Anthropic and OpenAI-compatible clients and the offline
//! fallback; completions run on the libuv pool, deltas reach the listener.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use infrarag::llm::{self, ChatModel, ChatModelBuilder, Fallback, Request};

use crate::convert::{json, Json};
use crate::error::{invalid, js_error, whole, Code};
use crate::js_store::Returned;
use crate::listener::{callback_error, deliver, listener};
use crate::task::{job, Job};

/// How to reach a hosted model.
#[napi(object, namespace = "llm")]
pub struct ChatOptions {
    pub api_key: Option<String>,
    /// `https://api.anthropic.com` / `https://api.openai.com/v1` by default.
    pub base_url: Option<String>,
    /// Seconds to wait for a connection, the response, or the next piece
    /// of a stream (default 120).
    pub timeout: Option<f64>,
    /// Retries after 408/409/429/5xx/529 or a lost connection (default 4).
    pub max_retries: Option<f64>,
    /// First and longest wait between retries, in seconds (1 and 60),
    /// unless the server sends `Retry-After`.
    pub backoff: Option<f64>,
    pub max_backoff: Option<f64>,
    /// The longest `Retry-After` waited for, in seconds (default 60); a
    /// server asking for longer rejects at once with PROVIDER_ERROR whose
    /// `retryAfter` is the wait asked for.
    pub max_retry_after: Option<f64>,
}

pub(crate) fn seconds(name: &str, v: Option<f64>, default: f64) -> Result<Duration, Code> {
    let v = v.unwrap_or(default);
    Duration::try_from_secs_f64(v)
        .map_err(|_| invalid(name, format!("{v} is not a number of seconds")))
}

pub(crate) fn configured(
    b: ChatModelBuilder,
    o: Option<ChatOptions>,
) -> Result<LanguageModel, Code> {
    let o = o.unwrap_or(ChatOptions {
        api_key: None,
        base_url: None,
        timeout: None,
        max_retries: None,
        backoff: None,
        max_backoff: None,
        max_retry_after: None,
    });
    let mut b = b
        .timeout(seconds("timeout", o.timeout, 120.0)?)
        .max_retries(whole("maxRetries", o.max_retries, 4)? as u32)
        .backoff(
            seconds("backoff", o.backoff, 1.0)?,
            seconds("maxBackoff", o.max_backoff, 60.0)?,
        )
        .max_retry_after(seconds("maxRetryAfter", o.max_retry_after, 60.0)?);
    if let Some(k) = o.api_key {
        b = b.api_key(k);
    }
    if let Some(u) = o.base_url {
        b = b.base_url(u);
    }
    Ok(LanguageModel {
        inner: Arc::new(b.build().map_err(js_error)?),
    })
}

pub(crate) fn request_of(v: Value) -> Result<Request, Code> {
    Request::from_json(v).map_err(js_error)
}

/// A model that answers requests: Anthropic, an OpenAI-compatible
/// endpoint, or the offline fallback.
#[napi(namespace = "llm")]
pub struct LanguageModel {
    pub(crate) inner: Arc<dyn llm::LanguageModel>,
}

#[napi(namespace = "llm")]
impl LanguageModel {
    /// Anthropic's Messages API.
    #[napi(factory)]
    pub fn anthropic(model: String, options: Option<ChatOptions>) -> Result<Self, Code> {
        configured(ChatModel::anthropic(model), options)
    }

    /// An OpenAI-compatible Chat Completions API.
    #[napi(factory)]
    pub fn openai(model: String, options: Option<ChatOptions>) -> Result<Self, Code> {
        configured(ChatModel::openai(model), options)
    }

    /// The offline, deterministic fallback; every answer says it is one.
    #[napi(factory)]
    pub fn fallback() -> Self {
        LanguageModel {
            inner: Arc::new(Fallback::new()),
        }
    }

    /// Anthropic when `ANTHROPIC_API_KEY` is set, else OpenAI when
    /// `OPENAI_API_KEY` is, else the fallback.
    #[napi(factory)]
    pub fn from_env(model: Option<String>) -> Result<Self, Code> {
        Ok(LanguageModel {
            inner: llm::from_env(model.as_deref()).map_err(js_error)?,
        })
    }

    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Answers `request` off the main thread; `onDelta` receives each
    /// streamed piece (`{type: 'text' | 'tool_use' | 'tool_input', ...}`),
    /// and `{type: 'retrying', attempt, wait_ms, reason}` about once a
    /// second while a failed attempt waits to be retried, each before the
    /// Promise settles; a throw stops the call (CANCELLED).
    /// Rejects with `code` PROVIDER_ERROR (and `status`, `requestId`) when
    /// the service fails.
    #[napi(
        ts_args_type = "request: string | object, onDelta?: (delta: Delta) => void, signal?: AbortSignal",
        ts_return_type = "Promise<Completion>"
    )]
    pub fn complete(
        &self,
        request: Value,
        on_delta: Option<Function<Value, Returned>>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<Job<Json>>> {
        let cancel = infrarag::CancelToken::new();
        let (model, token) = (self.inner.clone(), cancel.clone());
        let on_delta = listener("onDelta", on_delta)?;
        Ok(job(signal, Some(&cancel), move || {
            let r = request_of(request)?;
            let mut threw = None;
            let done =
                model.stream_until(&r, &mut |d| deliver(&on_delta, json(d), &mut threw), &token);
            callback_error("onDelta", threw)?;
            done.map(|c| Json(json(&c))).map_err(js_error)
        }))
    }
}
