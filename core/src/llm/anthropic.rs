//! Anthropic's Messages API on the wire: the request body and the event
//! stream (`message_start`, `content_block_*`, `message_delta`, `error`).

use serde_json::{json, Value};

use super::decode::{Decoder, Step, StreamError};
use super::{sse, Completion, Content, Delta, Request, StopReason, Usage};

/// The Messages request body for `request`. System parts marked `cache`
/// and the last tool get `cache_control: ephemeral`, so a stable prefix
/// (instructions, tools) is cached across calls.
pub fn body(request: &Request, model: &str, stream: bool) -> Value {
    let mut out = json!({
        "model": model,
        "max_tokens": request.max_tokens,
        "messages": request.messages,
    });
    if !request.system.is_empty() {
        let parts: Vec<Value> = request
            .system
            .iter()
            .map(|p| {
                let mut v = json!({"type": "text", "text": p.text});
                if p.cache {
                    v["cache_control"] = json!({"type": "ephemeral"});
                }
                v
            })
            .collect();
        out["system"] = Value::Array(parts);
    }
    if !request.tools.is_empty() {
        let n = request.tools.len();
        let tools: Vec<Value> = request
            .tools
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut v = json!({
                    "name": t.name,
                    "description": t.description,
                    "input_schema": t.parameters,
                });
                if i + 1 == n {
                    v["cache_control"] = json!({"type": "ephemeral"});
                }
                v
            })
            .collect();
        out["tools"] = Value::Array(tools);
    }
    super::sampling(&mut out, request, "stop_sequences", stream);
    out
}

/// One block of the answer as it builds up.
enum Block {
    Text(String),
    Tool {
        id: String,
        name: String,
        json: String,
    },
    /// Thinking and other kinds this library passes over.
    Other,
}

#[derive(Default)]
pub(crate) struct Stream {
    model: Option<String>,
    blocks: Vec<(usize, Block)>,
    stop: Option<StopReason>,
    usage: Usage,
}

fn tokens(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

impl Stream {
    fn block(&mut self, index: usize) -> Option<&mut Block> {
        self.blocks
            .iter_mut()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| b)
    }

    fn usage(&mut self, u: &Value) {
        if let Some(n) = tokens(u, "input_tokens") {
            self.usage.input_tokens = n;
        }
        if let Some(n) = tokens(u, "output_tokens") {
            self.usage.output_tokens = n;
        }
        if let Some(n) = tokens(u, "cache_creation_input_tokens") {
            self.usage.cache_write_tokens = n;
        }
        if let Some(n) = tokens(u, "cache_read_input_tokens") {
            self.usage.cache_read_tokens = n;
        }
    }
}

impl Decoder for Stream {
    fn event(
        &mut self,
        event: &sse::Event,
        out: &mut dyn FnMut(Delta),
    ) -> Result<Step, StreamError> {
        let v = StreamError::json(event, "an event")?;
        let kind = v.get("type").and_then(Value::as_str).unwrap_or(&event.name);
        let index = v.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
        match kind {
            "message_start" => {
                let m = &v["message"];
                self.model = m.get("model").and_then(Value::as_str).map(str::to_string);
                self.usage(&m["usage"]);
            }
            "content_block_start" => {
                let b = &v["content_block"];
                let block = match b.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        let text = b["text"].as_str().unwrap_or_default().to_string();
                        if !text.is_empty() {
                            out(Delta::Text {
                                index,
                                text: text.clone(),
                            });
                        }
                        Block::Text(text)
                    }
                    Some("tool_use") => {
                        let id = b["id"].as_str().unwrap_or_default().to_string();
                        let name = b["name"].as_str().unwrap_or_default().to_string();
                        out(Delta::ToolUse {
                            index,
                            id: id.clone(),
                            name: name.clone(),
                        });
                        Block::Tool {
                            id,
                            name,
                            json: String::new(),
                        }
                    }
                    _ => Block::Other,
                };
                self.blocks.push((index, block));
            }
            "content_block_delta" => {
                let d = &v["delta"];
                match (d.get("type").and_then(Value::as_str), self.block(index)) {
                    (Some("text_delta"), Some(Block::Text(text))) => {
                        let piece = d["text"].as_str().unwrap_or_default();
                        text.push_str(piece);
                        if !piece.is_empty() {
                            out(Delta::Text {
                                index,
                                text: piece.to_string(),
                            });
                        }
                    }
                    (Some("input_json_delta"), Some(Block::Tool { json, .. })) => {
                        let piece = d["partial_json"].as_str().unwrap_or_default();
                        json.push_str(piece);
                        if !piece.is_empty() {
                            out(Delta::ToolInput {
                                index,
                                partial_json: piece.to_string(),
                            });
                        }
                    }
                    (_, None) => {
                        return Err(StreamError::malformed(format!(
                            "a delta for block {index}, which never started"
                        )))
                    }
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(r) = v["delta"].get("stop_reason").and_then(Value::as_str) {
                    self.stop = Some(match r {
                        "end_turn" => StopReason::EndTurn,
                        "max_tokens" => StopReason::MaxTokens,
                        "stop_sequence" => StopReason::StopSequence,
                        "tool_use" => StopReason::ToolUse,
                        other => StopReason::Other(other.to_string()),
                    });
                }
                let u = v["usage"].clone();
                self.usage(&u);
            }
            "message_stop" => return Ok(Step::Done),
            "error" => {
                let e = &v["error"];
                let kind = e["type"].as_str().unwrap_or("error");
                return Err(StreamError {
                    message: format!(
                        "{kind}: {}",
                        e["message"].as_str().unwrap_or("(no message)")
                    ),
                    retryable: matches!(
                        kind,
                        "overloaded_error" | "api_error" | "rate_limit_error"
                    ),
                });
            }
            _ => {}
        }
        Ok(Step::Continue)
    }

    fn finish(self: Box<Self>, model: &str) -> Completion {
        let mut blocks = self.blocks;
        blocks.sort_by_key(|(i, _)| *i);
        let content = blocks
            .into_iter()
            .filter_map(|(_, b)| match b {
                Block::Text(text) => Some(Content::Text { text }),
                Block::Tool { id, name, json } => Some(Content::ToolUse {
                    id,
                    name,
                    input: super::tool_input(json),
                }),
                Block::Other => None,
            })
            .collect();
        Completion {
            model: self.model.unwrap_or_else(|| model.to_string()),
            content,
            stop_reason: self.stop.unwrap_or(StopReason::EndTurn),
            usage: self.usage,
        }
    }
}
