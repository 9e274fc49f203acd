//! Language models: the [`LanguageModel`] trait, the request and answer
//! types, Anthropic and OpenAI-compatible clients, and an offline fallback.
//!
//! A [`Request`] is what [`crate::prompt::PromptBuilder`] builds; a model
//! streams [`Delta`]s while it answers and returns the whole [`Completion`].

mod anthropic;
mod client;
mod decode;
pub mod fallback;
mod openai;
mod sse;

use std::ops::ControlFlow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use anthropic::body as anthropic_body;
pub use client::{ChatModel, ChatModelBuilder, Provider};
pub use fallback::Fallback;
pub use openai::body as openai_body;

use crate::cancel::CancelToken;
use crate::error::{Error, Result};

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The person (or the program) asking; tool results go in user messages.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// `"user"` or `"assistant"`, as in the wire formats.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = Error;

    /// A role from its wire name; anything else is an invalid `role`.
    fn from_str(name: &str) -> Result<Role> {
        match name {
            "user" => Ok(Role::User),
            "assistant" => Ok(Role::Assistant),
            other => Err(Error::InvalidArgument {
                name: "role".into(),
                message: format!("{other:?} is not \"user\" or \"assistant\""),
            }),
        }
    }
}

/// One piece of a message, in Anthropic's shape (OpenAI's is derived).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// Text the model wrote, or the user's.
    Text {
        /// The text.
        text: String,
    },
    /// The model asks for a tool call; `input` follows the tool's schema.
    ToolUse {
        /// The model's id for the call, which the result quotes.
        id: String,
        /// The tool's name.
        name: String,
        /// The arguments.
        input: serde_json::Value,
    },
    /// A tool's answer, sent back in a user message.
    ToolResult {
        /// The id of the call this answers.
        tool_use_id: String,
        /// What the tool returned, or its error's message.
        content: String,
        /// Whether the tool failed.
        #[serde(default)]
        is_error: bool,
    },
}

/// A turn of the conversation sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who says it.
    pub role: Role,
    /// What is said, in order.
    pub content: Vec<Content>,
}

impl Message {
    /// A user message of one text part.
    pub fn user(text: impl Into<String>) -> Message {
        Message {
            role: Role::User,
            content: vec![Content::Text { text: text.into() }],
        }
    }

    /// An assistant message of one text part.
    pub fn assistant(text: impl Into<String>) -> Message {
        Message {
            role: Role::Assistant,
            content: vec![Content::Text { text: text.into() }],
        }
    }

    /// The message's text parts, joined.
    pub fn text(&self) -> String {
        text_of(&self.content)
    }
}

/// A tool the model may call: a name, what it does, and a JSON schema for
/// its input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The name the model calls it by.
    pub name: String,
    /// What it does, for the model to decide when to call it.
    pub description: String,
    /// JSON schema of the input object.
    #[serde(alias = "input_schema")]
    pub parameters: serde_json::Value,
}

/// One part of the system prompt; `cache` marks the end of a prefix the
/// provider may cache (Anthropic's `cache_control`; ignored by OpenAI,
/// which caches on its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemPart {
    /// The text.
    pub text: String,
    /// Ends a prefix Anthropic may cache (ignored elsewhere).
    #[serde(default)]
    pub cache: bool,
}

/// Everything a model call needs but the model's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The system prompt's parts, in order.
    pub system: Vec<SystemPart>,
    /// The conversation, oldest first, ending with the user's turn.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(default)]
    pub tools: Vec<ToolSpec>,
    /// Most tokens the answer may have.
    pub max_tokens: u32,
    /// Sampling temperature; the provider's default when `None`.
    #[serde(default)]
    pub temperature: Option<f32>,
    /// Texts that end the answer when the model writes them.
    #[serde(default)]
    pub stop: Vec<String>,
}

impl Request {
    /// A one-message request with no system prompt.
    pub fn new(user: impl Into<String>) -> Request {
        Request {
            system: Vec::new(),
            messages: vec![Message::user(user)],
            tools: Vec::new(),
            max_tokens: 4096,
            temperature: None,
            stop: Vec::new(),
        }
    }

    /// A request as callers in other languages write it: a string (one user
    /// message), or Anthropic's shape where a string `system` or message
    /// `content` stands for one text part and `max_tokens` defaults to 4096.
    pub fn from_json(value: serde_json::Value) -> Result<Request> {
        let mut v = match value {
            serde_json::Value::String(s) => return Ok(Request::new(s)),
            serde_json::Value::Object(o) => o,
            other => {
                return Err(Error::InvalidArgument {
                    name: "request".into(),
                    message: format!("expected a string or an object, got {other}"),
                })
            }
        };
        if let Some(system) = v.get_mut("system") {
            if let Some(s) = system.as_str() {
                *system = serde_json::json!([{ "text": s }]);
            }
        }
        if let Some(messages) = v
            .get_mut("messages")
            .and_then(serde_json::Value::as_array_mut)
        {
            for m in messages {
                if let Some(s) = m
                    .get("content")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
                {
                    m["content"] = serde_json::json!([{ "type": "text", "text": s }]);
                }
            }
        }
        v.entry("max_tokens").or_insert(4096.into());
        serde_json::from_value(serde_json::Value::Object(v)).map_err(|e| Error::InvalidArgument {
            name: "request".into(),
            message: e.to_string(),
        })
    }

    /// The system parts' text, joined by blank lines.
    pub fn system_text(&self) -> String {
        let parts: Vec<&str> = self.system.iter().map(|p| p.text.as_str()).collect();
        parts.join("\n\n")
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model finished its answer.
    EndTurn,
    /// The answer reached `max_tokens`.
    MaxTokens,
    /// The model wrote one of the request's `stop` texts.
    StopSequence,
    /// It wants tool results before it goes on.
    ToolUse,
    /// A reason this library does not know, as the provider wrote it.
    Other(String),
}

/// Tokens a call used, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens read, cached ones included.
    pub input_tokens: u64,
    /// Tokens written.
    pub output_tokens: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write_tokens: u64,
    /// Input tokens read from it.
    pub cache_read_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cache_write_tokens += o.cache_write_tokens;
        self.cache_read_tokens += o.cache_read_tokens;
    }
}

/// A whole answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The model that answered, as the provider named it.
    pub model: String,
    /// The answer's text and tool calls, in order.
    pub content: Vec<Content>,
    /// Why the model stopped.
    pub stop_reason: StopReason,
    /// Tokens the call used.
    pub usage: Usage,
}

impl Completion {
    /// The answer's text parts, joined.
    pub fn text(&self) -> String {
        text_of(&self.content)
    }

    /// The tool calls the answer asks for, in order.
    pub fn tool_calls(&self) -> impl Iterator<Item = (&str, &str, &serde_json::Value)> {
        self.content.iter().filter_map(|c| match c {
            Content::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

/// A piece of an answer as it streams in. `index` is the content block it
/// belongs to.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    /// Text appended to content block `index`.
    Text {
        /// The content block it belongs to.
        index: usize,
        /// The new text.
        text: String,
    },
    /// A tool call begins; its input follows as JSON text in pieces.
    ToolUse {
        /// The content block it belongs to.
        index: usize,
        /// The model's id for the call.
        id: String,
        /// The tool's name.
        name: String,
    },
    /// A piece of a tool call's input, as JSON text.
    ToolInput {
        /// The content block it belongs to.
        index: usize,
        /// The next piece of the input's JSON.
        partial_json: String,
    },
    /// Not part of the answer: attempt `attempt` failed with `reason` and
    /// the call will be tried again in `wait_ms`. Reported when the wait
    /// begins and then about once a second with the time left, so a caller
    /// can stop waiting (return `ControlFlow::Break`) or show it.
    Retrying {
        /// The attempt that failed, from 1.
        attempt: u32,
        /// Milliseconds left before the next attempt.
        wait_ms: u64,
        /// Why the attempt failed.
        reason: String,
    },
}

/// A model that answers requests. `stream` reports each [`Delta`] as it
/// arrives; returning `ControlFlow::Break` from the callback stops the call
/// with [`Error::Cancelled`].
pub trait LanguageModel: Send + Sync {
    /// The model's name, e.g. `claude-sonnet-4-5` or `infrarag-fallback`.
    fn name(&self) -> &str;

    /// Answers `request`, reporting each piece to `on_delta` as it arrives.
    fn stream(
        &self,
        request: &Request,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
    ) -> Result<Completion>;

    /// Answers `request` without looking at the pieces.
    fn complete(&self, request: &Request) -> Result<Completion> {
        self.stream(request, &mut |_| ControlFlow::Continue(()))
    }

    /// [`stream`](Self::stream) that also ends with [`Error::Cancelled`]
    /// once `cancel` is set. This default looks at it before the call and at
    /// each delta; [`ChatModel`] also stops waiting for the service within
    /// about 50 ms, and its connection is dropped at the next byte.
    fn stream_until(
        &self,
        request: &Request,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
        cancel: &CancelToken,
    ) -> Result<Completion> {
        cancel.check()?;
        self.stream(request, &mut |d| match cancel.is_cancelled() {
            true => ControlFlow::Break(()),
            false => on_delta(d),
        })
    }
}

/// The model the environment configures: Anthropic when
/// `ANTHROPIC_API_KEY` is set, else an OpenAI-compatible endpoint when
/// `OPENAI_API_KEY` is (`OPENAI_BASE_URL` overrides its address), else the
/// offline [`Fallback`], so flows still run without a key. `model` names
/// the model to ask for (defaults: `claude-sonnet-4-5`, `gpt-4o`).
pub fn from_env(model: Option<&str>) -> Result<Arc<dyn LanguageModel>> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let Some(key) = var("ANTHROPIC_API_KEY") {
        let mut b = ChatModel::anthropic(model.unwrap_or("claude-sonnet-4-5")).api_key(key);
        if let Some(url) = var("ANTHROPIC_BASE_URL") {
            b = b.base_url(url);
        }
        return Ok(Arc::new(b.build()?));
    }
    if let Some(key) = var("OPENAI_API_KEY") {
        let mut b = ChatModel::openai(model.unwrap_or("gpt-4o")).api_key(key);
        if let Some(url) = var("OPENAI_BASE_URL") {
            b = b.base_url(url);
        }
        return Ok(Arc::new(b.build()?));
    }
    Ok(Arc::new(Fallback::new()))
}

/// A tool call's input from the JSON text streamed for it: `{}` when none
/// came, the text itself when it is not JSON (the tool's schema check then
/// reports it to the model).
fn tool_input(json: String) -> serde_json::Value {
    if json.trim().is_empty() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_str(&json).unwrap_or(serde_json::Value::String(json))
    }
}

fn text_of(content: &[Content]) -> String {
    content
        .iter()
        .filter_map(|c| match c {
            Content::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The settings both wire formats share; only the stop list's key differs.
fn sampling(out: &mut serde_json::Value, request: &Request, stop_key: &str, stream: bool) {
    if let Some(t) = request.temperature {
        out["temperature"] = serde_json::json!(t);
    }
    if !request.stop.is_empty() {
        out[stop_key] = serde_json::json!(request.stop);
    }
    if stream {
        out["stream"] = serde_json::json!(true);
    }
}

/// Checks a request before anything is sent.
pub(crate) fn check(request: &Request) -> Result<()> {
    let invalid = |name: &str, message: &str| Error::InvalidArgument {
        name: name.into(),
        message: message.into(),
    };
    if request.messages.is_empty() {
        return Err(invalid("messages", "a request needs at least one message"));
    }
    if request.messages[0].role != Role::User {
        return Err(invalid("messages", "the first message must be the user's"));
    }
    if request.max_tokens == 0 {
        return Err(invalid("max_tokens", "must be at least 1"));
    }
    Ok(())
}
