//! Prompt assembly under a token budget: instructions, retrieved context
//! with citations, conversation history and the user's message, with
//! secrets redacted, rendered for Anthropic or OpenAI.
//!
//! [`PromptBuilder::build`] counts every part with the tokenizer and, when
//! they do not all fit, leaves parts out in this order (first left out
//! first):
//! 1. the oldest history turns, one at a time from the oldest (a gap in the
//!    middle of a conversation would mislead, so turns are kept newest-first
//!    until one does not fit);
//! 2. the history's summary;
//! 3. retrieved context, from the lowest-ranked; each item is kept whole or
//!    left out, since half a resource block is worse than none;
//! 4. the task text, which is cut to what fits rather than left out.
//!
//! Packing is strict: once a part is left out, every part after it in this
//! order is left out too, so what a prompt holds is always a prefix of the
//! priority order and never depends on the sizes of lower parts.
//!
//! The system parts and the user's message are never cut: when they alone
//! exceed the budget, `build` fails. What was left out is in
//! [`Prompt::omitted`].

mod memory;
mod redact;
mod template;

use std::sync::Arc;

use serde::Serialize;

pub use memory::{
    extractive_summary, Compaction, Conversation, ModelSummariser, Summariser, Summary, Turn,
};
pub use redact::{redact, Redaction, Redactor};
pub use template::Template;

use crate::error::{Error, Result};
use crate::index::Hit;
use crate::llm::{anthropic_body, openai_body, Message, Request, Role, SystemPart, ToolSpec};
use crate::tokens::{self, Tokenizer};

/// Tokens counted for each message beyond its text (role and framing);
/// providers do not publish theirs, and 4 is OpenAI's documented figure.
pub const MESSAGE_OVERHEAD: usize = 4;

/// Retrieved text offered to the model, with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextItem {
    /// `path:start-end`.
    pub citation: String,
    /// The Terraform address, when the text is a block.
    pub address: Option<String>,
    /// The code fence's language (`hcl`, `markdown`, ...).
    pub language: String,
    /// The item's text.
    pub text: String,
}

impl From<&Hit> for ContextItem {
    fn from(hit: &Hit) -> ContextItem {
        let language = serde_json::to_value(hit.chunk.language)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "text".into());
        ContextItem {
            citation: hit.citation(),
            address: hit.chunk.address.clone(),
            language,
            text: hit.chunk.text.clone(),
        }
    }
}

impl ContextItem {
    /// An item as callers in other languages give it: `{citation, text,
    /// address?, language?}`, or a search hit's `{citation, chunk: {text,
    /// address, language}}`; the language defaults to `hcl`.
    pub fn from_json(v: &serde_json::Value) -> Result<ContextItem> {
        let chunk = v.get("chunk").unwrap_or(v);
        let text =
            |o: &serde_json::Value, k: &str| o.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let missing = |field: &str| Error::InvalidArgument {
            name: "context".into(),
            message: format!("a context item needs `{field}`: {v}"),
        };
        Ok(ContextItem {
            citation: text(v, "citation").ok_or_else(|| missing("citation"))?,
            address: text(chunk, "address"),
            language: text(chunk, "language").unwrap_or_else(|| "hcl".into()),
            text: text(chunk, "text").ok_or_else(|| missing("text"))?,
        })
    }
}

/// A part [`PromptBuilder::build`] left out or cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Omission {
    /// `context`, `summary`, `turn` or `task`.
    pub kind: String,
    /// The context item's citation, `turn N` (0-based) or the kind.
    pub label: String,
    /// Its tokens, with message framing.
    pub tokens: usize,
    /// Set when the part was cut, not left out: the tokens kept.
    pub kept_tokens: Option<usize>,
}

/// An assembled prompt: the request to send, and how it was packed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prompt {
    /// The request to send, provider-neutral (`llm::anthropic::body` and
    /// `llm::openai::body` give each wire format).
    pub request: Request,
    /// Tokens the prompt may use: the context window less the output
    /// reserved.
    pub budget: usize,
    /// Tokens it uses, by the builder's tokenizer.
    pub tokens: usize,
    /// The context items included, in the order given; the prompt numbers
    /// them `[1]`, `[2]`, ... for citation.
    pub context: Vec<ContextItem>,
    /// Context items left out for lack of room, and why.
    pub omitted: Vec<Omission>,
    /// Secrets replaced by placeholders before sending.
    pub redactions: Vec<Redaction>,
}

impl Prompt {
    /// The Anthropic Messages request body (not streamed).
    pub fn to_anthropic(&self, model: &str) -> serde_json::Value {
        anthropic_body(&self.request, model, false)
    }

    /// The OpenAI Chat Completions request body (not streamed).
    pub fn to_openai(&self, model: &str) -> serde_json::Value {
        openai_body(&self.request, model, false)
    }
}

/// Assembles a [`Prompt`]; see the module documentation for what is left
/// out when not everything fits.
#[derive(Clone)]
pub struct PromptBuilder {
    tokenizer: Arc<dyn Tokenizer>,
    context_window: usize,
    reserve_output: usize,
    system: Vec<SystemPart>,
    task: Option<String>,
    context: Vec<ContextItem>,
    history: Option<Conversation>,
    user: Option<String>,
    tools: Vec<ToolSpec>,
    redact: bool,
    temperature: Option<f32>,
}

impl Default for PromptBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PromptBuilder {
    /// A 200,000-token window with 4,096 reserved for the answer, counted
    /// with `cl100k_base` (`approximate` when built without tiktoken), with
    /// redaction on.
    pub fn new() -> PromptBuilder {
        let tokenizer: Arc<dyn Tokenizer> = match tokens::by_name(tokens::DEFAULT) {
            Ok(t) => Arc::from(t),
            Err(_) => Arc::new(tokens::Approximate),
        };
        PromptBuilder {
            tokenizer,
            context_window: 200_000,
            reserve_output: 4096,
            system: Vec::new(),
            task: None,
            context: Vec::new(),
            history: None,
            user: None,
            tools: Vec::new(),
            redact: true,
            temperature: None,
        }
    }

    /// Counts tokens with `tokenizer` (default `cl100k_base`).
    pub fn tokenizer(mut self, tokenizer: Arc<dyn Tokenizer>) -> Self {
        self.tokenizer = tokenizer;
        self
    }

    /// The model's context window, in tokens.
    pub fn context_window(mut self, tokens: usize) -> Self {
        self.context_window = tokens;
        self
    }

    /// Tokens kept free for the answer; also the request's `max_tokens`.
    pub fn reserve_output(mut self, tokens: usize) -> Self {
        self.reserve_output = tokens;
        self
    }

    /// Adds a system part. `cache` marks the end of a stable prefix that
    /// Anthropic may cache.
    pub fn system(mut self, text: impl Into<String>, cache: bool) -> Self {
        self.system.push(SystemPart {
            text: text.into(),
            cache,
        });
        self
    }

    /// Instructions for this request, placed after the context and before
    /// the user's message.
    pub fn task(mut self, text: impl Into<String>) -> Self {
        self.task = Some(text.into());
        self
    }

    /// Retrieved context, best first.
    pub fn context(mut self, items: impl IntoIterator<Item = ContextItem>) -> Self {
        self.context.extend(items);
        self
    }

    /// Search hits, best first.
    pub fn hits<'a>(self, hits: impl IntoIterator<Item = &'a Hit>) -> Self {
        self.context(hits.into_iter().map(ContextItem::from))
    }

    /// The conversation so far; its summary goes in the system prompt and
    /// its turns before the new message.
    pub fn history(mut self, conversation: &Conversation) -> Self {
        self.history = Some(conversation.clone());
        self
    }

    /// The user's new message.
    pub fn user(mut self, text: impl Into<String>) -> Self {
        self.user = Some(text.into());
        self
    }

    /// Offers the model these tools.
    pub fn tools(mut self, tools: impl IntoIterator<Item = ToolSpec>) -> Self {
        self.tools.extend(tools);
        self
    }

    /// Whether secrets are replaced before counting (default on).
    pub fn redact(mut self, on: bool) -> Self {
        self.redact = on;
        self
    }

    /// Sampling temperature (the provider's default otherwise).
    pub fn temperature(mut self, t: f32) -> Self {
        self.temperature = Some(t);
        self
    }

    fn count(&self, text: &str) -> usize {
        self.tokenizer.count(text)
    }

    /// Packs the parts into the budget; fails when there is no user message or the system parts and user message alone do not fit.
    pub fn build(self) -> Result<Prompt> {
        let user = self.user.clone().ok_or_else(|| Error::InvalidArgument {
            name: "user".into(),
            message: "a prompt needs the user's message".into(),
        })?;
        let budget = self
            .context_window
            .checked_sub(self.reserve_output)
            .filter(|b| *b > 0)
            .ok_or_else(|| Error::InvalidArgument {
                name: "reserve_output".into(),
                message: format!(
                    "reserving {} tokens for the answer leaves nothing of a {}-token window",
                    self.reserve_output, self.context_window
                ),
            })?;
        let mut redactor = Redactor::new();
        let mut clean = |text: &str, source: &str| -> String {
            if self.redact {
                redactor.redact(text, source)
            } else {
                text.to_string()
            }
        };
        let system: Vec<SystemPart> = self
            .system
            .iter()
            .map(|p| SystemPart {
                text: clean(&p.text, "system"),
                cache: p.cache,
            })
            .collect();
        let user = clean(&user, "user");
        let task = self.task.as_deref().map(|t| clean(t, "task"));
        let context: Vec<(ContextItem, String)> = self
            .context
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let mut item = item.clone();
                item.text = clean(&item.text, &item.citation);
                let block = render_item(i + 1, &item);
                (item, block)
            })
            .collect();
        let summary = self
            .history
            .as_ref()
            .and_then(|h| h.summary.as_ref())
            .map(|s| clean(&s.text, "summary"));
        let turns: Vec<(Role, String)> = self
            .history
            .iter()
            .flat_map(|h| h.turns.iter().enumerate())
            .map(|(i, t)| (t.role, clean(&t.text, &format!("turn {i}"))))
            .collect();

        // What must fit.
        let tools_text = serde_json::to_string(&self.tools).unwrap_or_default();
        let tool_tokens = if self.tools.is_empty() {
            0
        } else {
            self.count(&tools_text)
        };
        let system_tokens: usize = system.iter().map(|p| self.count(&p.text)).sum::<usize>()
            + if system.is_empty() {
                0
            } else {
                MESSAGE_OVERHEAD
            };
        let required = system_tokens + tool_tokens + self.count(&user) + MESSAGE_OVERHEAD;
        if required > budget {
            return Err(Error::InvalidArgument {
                name: "budget".into(),
                message: format!(
                    "the system prompt, tools and user message need {required} tokens; the budget is {budget}"
                ),
            });
        }
        let mut left = budget - required;
        let mut omitted = Vec::new();

        // The task, cut when it must be.
        let task = match task {
            Some(t) => {
                let n = self.count(&t) + 2;
                if n <= left {
                    left -= n;
                    Some(t)
                } else {
                    let keep = left.saturating_sub(2);
                    let cut = self.truncate(&t, keep);
                    let kept = if cut.is_empty() {
                        0
                    } else {
                        self.count(&cut) + 2
                    };
                    left -= kept.min(left);
                    omitted.push(Omission {
                        kind: "task".into(),
                        label: "task".into(),
                        tokens: n,
                        kept_tokens: Some(kept),
                    });
                    (!cut.is_empty()).then_some(cut)
                }
            }
            None => None,
        };

        // Context, best first, each whole or not at all.
        let mut kept_context = Vec::new();
        let mut full = true;
        for (item, block) in context {
            let n = self.count(&block) + 1;
            if full && n <= left {
                left -= n;
                kept_context.push((item, block));
            } else {
                full = false;
                omitted.push(Omission {
                    kind: "context".into(),
                    label: item.citation.clone(),
                    tokens: n,
                    kept_tokens: None,
                });
            }
        }

        // History: the summary, then turns newest first until one misses.
        let summary_part = summary.and_then(|s| {
            let text = format!("Summary of the earlier conversation:\n{s}");
            let n = self.count(&text);
            if full && n <= left {
                left -= n;
                Some(text)
            } else {
                full = false;
                omitted.push(Omission {
                    kind: "summary".into(),
                    label: "summary".into(),
                    tokens: n,
                    kept_tokens: None,
                });
                None
            }
        });
        let mut first_kept = turns.len();
        for (i, (_, text)) in turns.iter().enumerate().rev() {
            let n = self.count(text) + MESSAGE_OVERHEAD;
            if !full || n > left {
                break;
            }
            left -= n;
            first_kept = i;
        }
        // A request starts with the user: an assistant turn at the front goes.
        while first_kept < turns.len() && turns[first_kept].0 == Role::Assistant {
            left += self.count(&turns[first_kept].1) + MESSAGE_OVERHEAD;
            first_kept += 1;
        }
        for (i, (_, text)) in turns.iter().enumerate().take(first_kept) {
            omitted.push(Omission {
                kind: "turn".into(),
                label: format!("turn {i}"),
                tokens: self.count(text) + MESSAGE_OVERHEAD,
                kept_tokens: None,
            });
        }

        let mut system = system;
        if let Some(s) = summary_part {
            system.push(SystemPart {
                text: s,
                cache: false,
            });
        }
        let mut messages: Vec<Message> = Vec::new();
        for (role, text) in turns.into_iter().skip(first_kept) {
            push_text(&mut messages, role, text);
        }
        let mut last = String::new();
        if !kept_context.is_empty() {
            last.push_str("<context>\n");
            for (_, block) in &kept_context {
                last.push_str(block);
                last.push('\n');
            }
            last.push_str("</context>\n\n");
        }
        if let Some(t) = task {
            last.push_str(&t);
            last.push_str("\n\n");
        }
        last.push_str(&user);
        push_text(&mut messages, Role::User, last);

        let request = Request {
            system,
            messages,
            tools: self.tools.clone(),
            max_tokens: u32::try_from(self.reserve_output).unwrap_or(u32::MAX),
            temperature: self.temperature,
            stop: Vec::new(),
        };
        Ok(Prompt {
            request,
            budget,
            tokens: budget - left,
            context: kept_context.into_iter().map(|(i, _)| i).collect(),
            omitted,
            redactions: redactor.redactions,
        })
    }

    /// The longest prefix of `text` within `tokens` tokens, cut at a
    /// character boundary.
    fn truncate(&self, text: &str, tokens: usize) -> String {
        if tokens == 0 {
            return String::new();
        }
        let ids = self.tokenizer.encode(text);
        let mut n = tokens.min(ids.len());
        while n > 0 {
            if let Ok(s) = self.tokenizer.decode(&ids[..n]) {
                return s;
            }
            n -= 1;
        }
        String::new()
    }
}

/// `[n] citation (address)` and the text in a fence.
fn render_item(n: usize, item: &ContextItem) -> String {
    let address = item
        .address
        .as_deref()
        .map(|a| format!(" ({a})"))
        .unwrap_or_default();
    format!(
        "[{n}] {}{address}\n```{}\n{}\n```",
        item.citation,
        item.language,
        item.text.trim_end()
    )
}

/// Appends text as a message, merging with a last message of the same role
/// (providers want roles to alternate).
fn push_text(messages: &mut Vec<Message>, role: Role, text: String) {
    match messages.last_mut() {
        Some(m) if m.role == role => m.content.push(crate::llm::Content::Text {
            text: format!("\n\n{text}"),
        }),
        _ => messages.push(Message {
            role,
            content: vec![crate::llm::Content::Text { text }],
        }),
    }
}
