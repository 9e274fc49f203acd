//! [`ChatModel`]: one HTTP client for Anthropic's Messages API and
//! OpenAI-compatible Chat Completions, streaming, with retries.

use std::io::BufReader;
use std::ops::ControlFlow;
use std::time::Duration;

use reqwest::blocking::Client;
use serde_json::Value;

use super::decode::{Decoder, Step};
use super::{anthropic, check, openai, sse, Completion, Delta, LanguageModel, Request};
use crate::cancel::CancelToken;
use crate::error::{Error, Result};
use crate::http::{self, describe, server_message, Backoff, Defaults, HttpOptions};

/// The wire format a [`ChatModel`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// `POST {base}/v1/messages` with `x-api-key`.
    Anthropic,
    /// `POST {base}/chat/completions` with a bearer key: OpenAI, Azure,
    /// Ollama, vLLM, LiteLLM and the other compatible servers.
    OpenAi,
}

/// Configures a [`ChatModel`]; finish with [`build`](Self::build).
#[derive(Debug, Clone)]
pub struct ChatModelBuilder {
    provider: Provider,
    model: String,
    base_url: String,
    api_key: Option<String>,
    http: HttpOptions,
}

/// A chat model's transport defaults: answers stream for minutes, and
/// providers ask for patience when overloaded.
const DEFAULTS: Defaults = Defaults {
    timeout: Duration::from_secs(120),
    max_retries: 4,
    backoff: Duration::from_secs(1),
    max_backoff: Duration::from_secs(60),
};

impl ChatModelBuilder {
    /// The key sent as `x-api-key` (Anthropic) or a bearer token (OpenAI).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Where the API lives: `https://api.anthropic.com` (the default for
    /// Anthropic, which appends `/v1/messages`) or
    /// `https://api.openai.com/v1` (the default for OpenAI, which appends
    /// `/chat/completions`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sends this header on every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.http.headers.push((name.into(), value.into()));
        self
    }

    /// Every transport option `options` sets, over what is set already.
    pub fn http(mut self, options: HttpOptions) -> Self {
        self.http = self.http.merged(options);
        self
    }

    /// The longest wait for a connection, for the response to begin, or for
    /// the next piece of a streamed answer (default 120 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.http.timeout = Some(timeout);
        self
    }

    /// Retries after 408, 409, 429, 5xx (529 included), a lost connection,
    /// or an error event before any of the answer was reported (default 4).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.http.max_retries = Some(n);
        self
    }

    /// Exponential backoff from `first` up to `max`, with full jitter,
    /// unless the server asks for a wait with `Retry-After` (defaults 1 s
    /// and 60 s).
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

    /// Checks the settings and makes the client; fails on an empty model, a bad URL or header, or a missing key where the service needs one.
    pub fn build(self) -> Result<ChatModel> {
        let invalid = |name: &str, message: String| Error::InvalidArgument {
            name: name.into(),
            message,
        };
        if self.model.trim().is_empty() {
            return Err(invalid("model", "the model name is empty".into()));
        }
        // A missing key would otherwise be found only by the first request,
        // after the caller has built everything around the client.
        let authorised = self
            .api_key
            .as_deref()
            .is_some_and(|k| !k.trim().is_empty())
            || self.http.headers.iter().any(|(n, _)| {
                n.eq_ignore_ascii_case("x-api-key") || n.eq_ignore_ascii_case("authorization")
            });
        let needs_key = match self.provider {
            Provider::Anthropic => Some("ANTHROPIC_API_KEY"),
            // Local OpenAI-compatible servers (Ollama, vLLM) take no key.
            Provider::OpenAi if self.base_url.contains("api.openai.com") => Some("OPENAI_API_KEY"),
            Provider::OpenAi => None,
        };
        if let (Some(variable), false) = (needs_key, authorised) {
            return Err(invalid(
                "api_key",
                format!("no API key: pass one, or set {variable} and use from_env"),
            ));
        }
        let path = match self.provider {
            Provider::Anthropic => "/v1/messages",
            Provider::OpenAi => "/chat/completions",
        };
        let joined = format!("{}{path}", self.base_url.trim_end_matches('/'));
        let url = reqwest::Url::parse(&joined)
            .map_err(|e| invalid("base_url", format!("{:?} is not a URL: {e}", self.base_url)))?;
        let mut all = self.http.headers.clone();
        match (self.provider, &self.api_key) {
            (Provider::Anthropic, key) => {
                all.push(("anthropic-version".into(), "2023-06-01".into()));
                if let Some(k) = key {
                    all.push(("x-api-key".into(), k.clone()));
                }
            }
            (Provider::OpenAi, Some(k)) => {
                all.push(("authorization".into(), format!("Bearer {k}")))
            }
            (Provider::OpenAi, None) => {}
        }
        let transport = self.http.resolve(&DEFAULTS);
        let http = http::client(&all, transport.timeout, "base_url")?;
        Ok(ChatModel {
            wire: Wire {
                provider: self.provider,
                url,
                http,
                model: self.model,
            },
            max_retries: transport.max_retries,
            backoff: transport.backoff,
        })
    }
}

/// A hosted chat model. Every call streams; [`LanguageModel::complete`]
/// just does not look at the pieces.
#[derive(Debug)]
pub struct ChatModel {
    wire: Wire,
    max_retries: u32,
    backoff: Backoff,
}

/// What one attempt needs, cheap to clone onto a thread of its own when
/// the caller must be able to stop waiting for it.
#[derive(Debug, Clone)]
struct Wire {
    provider: Provider,
    url: reqwest::Url,
    http: Client,
    model: String,
}

/// What an attempt on its own thread sends the caller.
enum Message {
    Delta(Delta),
    /// The attempt's outcome and how many deltas the caller has seen.
    Done(std::result::Result<Completion, Failure>, usize),
}

/// Why one attempt failed, and how long to wait before the next, if any.
struct Failure {
    /// Boxed: a failure travels in every attempt's `Result`.
    error: Box<Error>,
    retry: Option<Option<Duration>>,
}

impl ChatModel {
    /// Anthropic's Messages API.
    pub fn anthropic(model: impl Into<String>) -> ChatModelBuilder {
        Self::builder(Provider::Anthropic, model, "https://api.anthropic.com")
    }

    /// An OpenAI-compatible Chat Completions API.
    pub fn openai(model: impl Into<String>) -> ChatModelBuilder {
        Self::builder(Provider::OpenAi, model, "https://api.openai.com/v1")
    }

    fn builder(provider: Provider, model: impl Into<String>, base: &str) -> ChatModelBuilder {
        ChatModelBuilder {
            provider,
            model: model.into(),
            base_url: base.into(),
            api_key: None,
            http: HttpOptions::default(),
        }
    }

    /// The wire format it speaks.
    pub fn provider(&self) -> Provider {
        self.wire.provider
    }

    /// The retry loop around attempts; with `cancel`, each attempt runs on
    /// a thread of its own so the wait for the service can be abandoned.
    fn stream_with(
        &self,
        request: &Request,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
        cancel: Option<&CancelToken>,
    ) -> Result<Completion> {
        check(request)?;
        let body = match self.wire.provider {
            Provider::Anthropic => anthropic::body(request, &self.wire.model, true),
            Provider::OpenAi => openai::body(request, &self.wire.model, true),
        };
        let mut delivered = 0;
        let mut attempt = 0;
        loop {
            let outcome = match cancel {
                None => self.wire.attempt(&body, on_delta, &mut delivered),
                Some(c) => self
                    .wire
                    .attempt_apart(&body, on_delta, &mut delivered, c)?,
            };
            let failure = match outcome {
                Ok(done) => return Ok(done),
                Err(f) => f,
            };
            match failure.retry {
                Some(asked) if attempt < self.max_retries => {
                    attempt += 1;
                    let reason = failure.error.to_string();
                    let wait = self.backoff.wait(asked, attempt - 1, *failure.error)?;
                    wait_to_retry(wait, attempt, &reason, on_delta, cancel)?;
                }
                _ => return Err(*failure.error),
            }
        }
    }
}

impl Wire {
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

    /// One attempt: send, then read the stream into `decoder`. `delivered`
    /// counts the deltas the caller has seen, across attempts.
    fn attempt(
        &self,
        body: &serde_json::Value,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
        delivered: &mut usize,
    ) -> std::result::Result<Completion, Failure> {
        let response = self
            .http
            .post(self.url.clone())
            .json(body)
            .send()
            .map_err(|e| Failure {
                retry: http::transient(&e).then_some(None),
                error: Box::new(self.error(None, None, describe(&e))),
            })?;
        let status = response.status();
        let request_id = http::request_id(response.headers());
        if !status.is_success() {
            let wait = http::retry_after(response.headers());
            let text = response.text().unwrap_or_default();
            return Err(Failure {
                retry: http::retryable(status.as_u16()).then_some(wait),
                error: Box::new(self.error(
                    Some(status.as_u16()),
                    request_id,
                    server_message(&text, status),
                )),
            });
        }
        let mut decoder: Box<dyn Decoder> = match self.provider {
            Provider::Anthropic => Box::new(anthropic::Stream::default()),
            Provider::OpenAi => Box::new(openai::Stream::default()),
        };
        let code = Some(status.as_u16());
        let before = *delivered;
        let mut outcome: Option<std::result::Result<(), Failure>> = None;
        let read = sse::read(BufReader::new(response), |event| {
            let mut cancelled = false;
            let step = decoder.event(&event, &mut |delta| {
                if cancelled {
                    return;
                }
                *delivered += 1;
                cancelled = on_delta(&delta).is_break();
            });
            if cancelled {
                outcome = Some(Err(Failure {
                    error: Box::new(Error::Cancelled),
                    retry: None,
                }));
                return Ok(false);
            }
            match step {
                Ok(Step::Continue) => Ok(true),
                Ok(Step::Done) => {
                    outcome = Some(Ok(()));
                    Ok(false)
                }
                Err(e) => {
                    outcome = Some(Err(Failure {
                        retry: (e.retryable && *delivered == before).then_some(None),
                        error: Box::new(self.error(
                            code,
                            request_id.clone(),
                            stream_message(e.message, *delivered - before),
                        )),
                    }));
                    Ok(false)
                }
            }
        });
        match (outcome, read) {
            (Some(Ok(())), _) => Ok(decoder.finish(&self.model)),
            (Some(Err(f)), _) => Err(f),
            (None, Err(e)) => Err(Failure {
                retry: (*delivered == before).then_some(None),
                error: Box::new(self.error(
                    code,
                    request_id,
                    stream_message(format!("the stream broke: {e}"), *delivered - before),
                )),
            }),
            (None, Ok(())) => Err(Failure {
                retry: (*delivered == before).then_some(None),
                error: Box::new(self.error(
                    code,
                    request_id,
                    stream_message(
                        "the stream ended before the answer was complete".into(),
                        *delivered - before,
                    ),
                )),
            }),
        }
    }

    /// [`attempt`](Self::attempt) on a thread of its own, its deltas passed
    /// on here, while this thread looks at `cancel`. When cancelled, or when
    /// `on_delta` says stop, the thread is left to end at its next byte or
    /// timeout, which drops the connection.
    fn attempt_apart(
        &self,
        body: &Value,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
        delivered: &mut usize,
        cancel: &CancelToken,
    ) -> Result<std::result::Result<Completion, Failure>> {
        cancel.check()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let wire = self.clone();
        let body = body.clone();
        let mut seen = *delivered;
        std::thread::Builder::new()
            .name("infrarag-llm".into())
            .spawn(move || {
                let done = wire.attempt(
                    &body,
                    &mut |d| match tx.send(Message::Delta(d.clone())) {
                        Ok(()) => ControlFlow::Continue(()),
                        Err(_) => ControlFlow::Break(()),
                    },
                    &mut seen,
                );
                let _ = tx.send(Message::Done(done, seen));
            })
            .map_err(|e| self.error(None, None, format!("could not start a thread: {e}")))?;
        loop {
            cancel.check()?;
            match rx.recv_timeout(crate::cancel::POLL) {
                Ok(Message::Delta(d)) => {
                    if on_delta(&d).is_break() {
                        return Err(Error::Cancelled);
                    }
                }
                Ok(Message::Done(done, seen)) => {
                    *delivered = seen;
                    return Ok(done);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(self.error(None, None, "the request's thread stopped".into()))
                }
            }
        }
    }
}

/// Sleeps `wait` before the next attempt in slices of at most a second,
/// reporting [`Delta::Retrying`] before each, so the caller can stop.
fn wait_to_retry(
    wait: Duration,
    attempt: u32,
    reason: &str,
    on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
    cancel: Option<&CancelToken>,
) -> Result<()> {
    let until = std::time::Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        let delta = Delta::Retrying {
            attempt,
            wait_ms: u64::try_from(left.as_millis()).unwrap_or(u64::MAX),
            reason: reason.to_string(),
        };
        if on_delta(&delta).is_break() {
            return Err(Error::Cancelled);
        }
        let slice = left.min(Duration::from_secs(1));
        match cancel {
            Some(c) => c.sleep(slice)?,
            None => std::thread::sleep(slice),
        }
        if left <= Duration::from_secs(1) {
            return Ok(());
        }
    }
}

fn stream_message(message: String, pieces: usize) -> String {
    match pieces {
        0 => message,
        n => format!("{message} (after {n} pieces of the answer were reported)"),
    }
}

impl LanguageModel for ChatModel {
    fn name(&self) -> &str {
        &self.wire.model
    }

    fn stream(
        &self,
        request: &Request,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
    ) -> Result<Completion> {
        self.stream_with(request, on_delta, None)
    }

    fn stream_until(
        &self,
        request: &Request,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
        cancel: &CancelToken,
    ) -> Result<Completion> {
        self.stream_with(request, on_delta, Some(cancel))
    }
}
