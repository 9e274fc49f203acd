//! OpenAI's Chat Completions on the wire: the request body and the chunk
//! stream (`choices[0].delta`, `tool_calls`, `usage`, `[DONE]`).

use serde_json::{json, Value};

use super::decode::{Decoder, Step, StreamError};
use super::{sse, Completion, Content, Delta, Request, Role, StopReason, Usage};

/// The Chat Completions body for `request`: the system parts become one
/// system message, tool results become `tool` messages, and tool calls
/// carry their input as JSON text.
pub fn body(request: &Request, model: &str, stream: bool) -> Value {
    let mut messages = Vec::new();
    if !request.system.is_empty() {
        messages.push(json!({"role": "system", "content": request.system_text()}));
    }
    for m in &request.messages {
        let mut text = String::new();
        let mut calls = Vec::new();
        for c in &m.content {
            match c {
                Content::Text { text: t } => text.push_str(t),
                Content::ToolUse { id, name, input } => calls.push(json!({
                    "id": id,
                    "type": "function",
                    "function": {"name": name, "arguments": input.to_string()},
                })),
                Content::ToolResult {
                    tool_use_id,
                    content,
                    ..
                } => messages.push(json!({
                    "role": "tool",
                    "tool_call_id": tool_use_id,
                    "content": content,
                })),
            }
        }
        match m.role {
            Role::User if !text.is_empty() => {
                messages.push(json!({"role": "user", "content": text}))
            }
            Role::User => {}
            Role::Assistant => {
                let mut v = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
                if !calls.is_empty() {
                    v["tool_calls"] = Value::Array(calls);
                }
                messages.push(v);
            }
        }
    }
    let mut out = json!({
        "model": model,
        "max_tokens": request.max_tokens,
        "messages": messages,
    });
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters,
                }})
            })
            .collect();
        out["tools"] = Value::Array(tools);
    }
    super::sampling(&mut out, request, "stop", stream);
    if stream {
        out["stream_options"] = json!({"include_usage": true});
    }
    out
}

/// A tool call as its pieces arrive.
struct Call {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
pub(crate) struct Stream {
    model: Option<String>,
    text: String,
    /// By the provider's tool-call index.
    calls: Vec<(u64, Call)>,
    stop: Option<StopReason>,
    usage: Usage,
}

impl Decoder for Stream {
    fn event(
        &mut self,
        event: &sse::Event,
        out: &mut dyn FnMut(Delta),
    ) -> Result<Step, StreamError> {
        if event.data.trim() == "[DONE]" {
            return Ok(Step::Done);
        }
        let v = StreamError::json(event, "a chunk")?;
        if let Some(e) = v.get("error") {
            let message = e["message"].as_str().unwrap_or("(no message)");
            let kind = e["type"].as_str().or(e["code"].as_str()).unwrap_or("error");
            return Err(StreamError {
                message: format!("{kind}: {message}"),
                retryable: matches!(kind, "server_error" | "rate_limit_exceeded" | "overloaded"),
            });
        }
        if let Some(m) = v.get("model").and_then(Value::as_str) {
            self.model = Some(m.to_string());
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.usage.input_tokens = u["prompt_tokens"].as_u64().unwrap_or(0);
            self.usage.output_tokens = u["completion_tokens"].as_u64().unwrap_or(0);
            self.usage.cache_read_tokens = u
                .pointer("/prompt_tokens_details/cached_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0);
        }
        let Some(choice) = v.get("choices").and_then(|c| c.get(0)) else {
            return Ok(Step::Continue);
        };
        let d = &choice["delta"];
        if let Some(t) = d
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.text.push_str(t);
            out(Delta::Text {
                index: 0,
                text: t.to_string(),
            });
        }
        for call in d
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let at = call["index"].as_u64().unwrap_or(0);
            // Text, when there is any, is block 0; tool calls follow it.
            let index = at as usize + 1;
            let f = &call["function"];
            if !self.calls.iter().any(|(i, _)| *i == at) {
                let id = call["id"].as_str().unwrap_or_default().to_string();
                let name = f["name"].as_str().unwrap_or_default().to_string();
                out(Delta::ToolUse {
                    index,
                    id: id.clone(),
                    name: name.clone(),
                });
                self.calls.push((
                    at,
                    Call {
                        id,
                        name,
                        arguments: String::new(),
                    },
                ));
            }
            if let Some(piece) = f
                .get("arguments")
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty())
            {
                if let Some((_, c)) = self.calls.iter_mut().find(|(i, _)| *i == at) {
                    c.arguments.push_str(piece);
                }
                out(Delta::ToolInput {
                    index,
                    partial_json: piece.to_string(),
                });
            }
        }
        if let Some(r) = choice.get("finish_reason").and_then(Value::as_str) {
            self.stop = Some(match r {
                "stop" => StopReason::EndTurn,
                "length" => StopReason::MaxTokens,
                "tool_calls" | "function_call" => StopReason::ToolUse,
                other => StopReason::Other(other.to_string()),
            });
        }
        Ok(Step::Continue)
    }

    fn finish(self: Box<Self>, model: &str) -> Completion {
        let mut content = Vec::new();
        if !self.text.is_empty() {
            content.push(Content::Text { text: self.text });
        }
        let mut calls = self.calls;
        calls.sort_by_key(|(i, _)| *i);
        for (_, c) in calls {
            content.push(Content::ToolUse {
                id: c.id,
                name: c.name,
                input: super::tool_input(c.arguments),
            });
        }
        Completion {
            model: self.model.unwrap_or_else(|| model.to_string()),
            content,
            stop_reason: self.stop.unwrap_or(StopReason::EndTurn),
            usage: self.usage,
        }
    }
}
