//! [`Fallback`]: the model used when no API key is configured. It calls
//! nothing and answers deterministically from what the prompt holds.

use std::ops::ControlFlow;
use std::sync::OnceLock;

use regex::Regex;

use super::{check, Completion, Content, Delta, LanguageModel, Request, Role, StopReason, Usage};
use crate::error::{Error, Result};
use crate::tokens::{Approximate, Tokenizer};

/// Every answer starts with this line, so no one mistakes it for a model's.
pub const LABEL: &str =
    "[infrarag-fallback: no API key is configured; this answer is assembled from the prompt, not generated]";

/// An offline, deterministic stand-in for a language model, so the
/// platforms' flows run without a key.
///
/// - With no earlier answer, it answers with the HCL code blocks of the
///   last user message (the retrieved context), joined into one block.
/// - With an earlier answer holding code (a correction round), it repeats
///   that code, adding a `variable` block for each `var.NAME` it uses but
///   does not declare.
///
/// Usage is counted with [`Approximate`]. It never calls tools.
#[derive(Debug, Default, Clone)]
pub struct Fallback;

impl Fallback {
    pub fn new() -> Fallback {
        Fallback
    }
}

fn fences() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?ms)^```(?:hcl|terraform|tf)\b[^\n]*\n(.*?)^```").expect("fence pattern")
    })
}

/// The bodies of the HCL code blocks of `text`, in order.
fn code_blocks(text: &str) -> Vec<String> {
    fences()
        .captures_iter(text)
        .map(|c| c[1].trim_end().to_string())
        .collect()
}

/// `code` with a `variable` block added for each undeclared `var.NAME`.
fn declare_variables(code: &str) -> String {
    static USE: OnceLock<Regex> = OnceLock::new();
    static DECL: OnceLock<Regex> = OnceLock::new();
    let uses = USE.get_or_init(|| Regex::new(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)").expect("use"));
    let decls =
        DECL.get_or_init(|| Regex::new(r#"(?m)^\s*variable\s+"([^"]+)""#).expect("declaration"));
    let declared: Vec<&str> = decls
        .captures_iter(code)
        .map(|c| c.get(1).map_or("", |m| m.as_str()))
        .collect();
    let mut out = code.trim_end().to_string();
    let mut added: Vec<&str> = Vec::new();
    for c in uses.captures_iter(code) {
        let name = c.get(1).map_or("", |m| m.as_str());
        if !declared.contains(&name) && !added.contains(&name) {
            added.push(name);
            out.push_str(&format!("\n\nvariable \"{name}\" {{\n  type = string\n}}"));
        }
    }
    out
}

impl LanguageModel for Fallback {
    fn name(&self) -> &str {
        "infrarag-fallback"
    }

    fn stream(
        &self,
        request: &Request,
        on_delta: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
    ) -> Result<Completion> {
        check(request)?;
        let earlier = request
            .messages
            .iter()
            .rev()
            .filter(|m| m.role == Role::Assistant)
            .map(|m| code_blocks(&m.text()))
            .find(|b| !b.is_empty());
        let code = match earlier {
            Some(blocks) => Some(declare_variables(&blocks.join("\n\n"))),
            None => {
                let last = request
                    .messages
                    .iter()
                    .rev()
                    .find(|m| m.role == Role::User)
                    .map(|m| m.text())
                    .unwrap_or_default();
                let mut blocks = code_blocks(&last);
                blocks.dedup();
                (!blocks.is_empty()).then(|| blocks.join("\n\n"))
            }
        };
        let text = match code {
            Some(code) => format!("{LABEL}\n\n```hcl main.tf\n{code}\n```\n"),
            None => format!("{LABEL}\n\nThe prompt holds no HCL to start from.\n"),
        };
        for line in text.split_inclusive('\n') {
            let delta = Delta::Text {
                index: 0,
                text: line.to_string(),
            };
            if on_delta(&delta).is_break() {
                return Err(Error::Cancelled);
            }
        }
        let input: usize = request
            .messages
            .iter()
            .map(|m| Approximate.count(&m.text()))
            .sum::<usize>()
            + Approximate.count(&request.system_text());
        Ok(Completion {
            model: self.name().to_string(),
            usage: Usage {
                input_tokens: input as u64,
                output_tokens: Approximate.count(&text) as u64,
                ..Usage::default()
            },
            content: vec![Content::Text { text }],
            stop_reason: StopReason::EndTurn,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::Message;

    #[test]
    fn answers_with_the_context_then_declares_what_it_uses() {
        let ctx = "Context:\n```hcl\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n}\n```\nWrite it.";
        let mut req = Request::new(ctx);
        let first = Fallback.complete(&req).unwrap().text();
        assert!(first.starts_with(LABEL));
        assert!(first.contains("bucket = var.name") && !first.contains("variable \"name\""));
        req.messages.push(Message::assistant(first));
        req.messages
            .push(Message::user("main.tf:2:12: undeclared variable"));
        let second = Fallback.complete(&req).unwrap().text();
        assert!(
            second.contains("variable \"name\" {\n  type = string\n}"),
            "{second}"
        );
        assert_eq!(second, Fallback.complete(&req).unwrap().text());
    }
}
