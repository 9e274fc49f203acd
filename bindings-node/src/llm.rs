//! `llm`: the Anthropic and OpenAI-compatible clients and the offline
//! fallback; completions run on the libuv pool, deltas reach the listener.

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use infrarag::llm::{self, ChatModel, ChatModelBuilder, Fallback, Request};

use crate::convert::{json, Json};
use crate::error::{js_error, thrown, Code};
use crate::http::http_options;
use crate::js_store::Returned;
use crate::listener::{callback_error, deliver, listener};
use crate::task::{job, Job};

/// How to reach a hosted model; unset fields keep the client's defaults.
#[napi(object, namespace = "llm")]
pub struct ChatOptions {
    pub api_key: Option<String>,
    /// `https://api.anthropic.com` / `https://api.openai.com/v1` by default.
    pub base_url: Option<String>,
    /// Sent on every request.
    pub headers: Option<HashMap<String, String>>,
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

pub(crate) fn configured(
    b: ChatModelBuilder,
    o: Option<ChatOptions>,
) -> Result<LanguageModel, Code> {
    let Some(o) = o else {
        return Ok(LanguageModel {
            inner: Arc::new(b.build().map_err(js_error)?),
        });
    };
    let mut b = b.http(http_options!(o)?);
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
    pub fn anthropic(env: Env, model: String, options: Option<ChatOptions>) -> Result<Self> {
        thrown(&env, || configured(ChatModel::anthropic(model), options))
    }

    /// An OpenAI-compatible Chat Completions API.
    #[napi(factory)]
    pub fn openai(env: Env, model: String, options: Option<ChatOptions>) -> Result<Self> {
        thrown(&env, || configured(ChatModel::openai(model), options))
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
    pub fn from_env(env: Env, model: Option<String>) -> Result<Self> {
        thrown(&env, || {
            Ok(LanguageModel {
                inner: llm::from_env(model.as_deref()).map_err(js_error)?,
            })
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
            callback_error(threw)?;
            done.map(|c| Json(json(&c))).map_err(js_error)
        }))
    }
}
