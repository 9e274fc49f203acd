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
/// - With no earlier answer, it answers with two HCL code blocks of the
///   last user message (the retrieved context, best first): the first
///   `resource` and `data` blocks, else the first blocks, never two that
///   declare the same address.
/// - With an earlier answer holding code (a correction round), it repeats
///   that code with the arguments the provider schema does not know fixed
///   (renamed to the name the finding's fix offers, or removed), adding
///   for each name it uses but does not declare the
///   block of the prompt's context that declares it (or else a `variable`
///   block for a `var.NAME`), and the context's blocks that refer to what
///   it declares (a bucket's public access block, say).
///
/// Usage is counted with [`Approximate`]. It never calls tools.
#[derive(Debug, Default, Clone)]
pub struct Fallback;

impl Fallback {
    /// The offline model.
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

/// The top-level blocks of HCL `text` with the addresses each declares
/// (`aws_s3_bucket.logs`, `data.x.y`, `var.x`, `module.m`, `local.a`),
/// found by header and brace depth: enough for code a prompt quotes.
fn blocks(text: &str) -> Vec<(Vec<String>, String)> {
    static HEAD: OnceLock<Regex> = OnceLock::new();
    static LOCAL: OnceLock<Regex> = OnceLock::new();
    let head = HEAD.get_or_init(|| {
        Regex::new(r#"(?m)^(resource|data|variable|module|output|locals)((?:\s+"[^"]*")*)\s*\{"#)
            .expect("head")
    });
    let local =
        LOCAL.get_or_init(|| Regex::new(r"(?m)^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=").expect("local"));
    let mut out = Vec::new();
    for c in head.captures_iter(text) {
        let start = c.get(0).map_or(0, |m| m.start());
        let mut depth = 0usize;
        let mut end = text.len();
        for (i, ch) in text[start..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = start + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let body = &text[start..end];
        let labels: Vec<&str> = c[2].split('"').skip(1).step_by(2).collect();
        let addresses = match (&c[1], labels.as_slice()) {
            ("resource", [t, n]) => vec![format!("{t}.{n}")],
            ("data", [t, n]) => vec![format!("data.{t}.{n}")],
            ("variable", [n]) => vec![format!("var.{n}")],
            ("module", [n]) => vec![format!("module.{n}")],
            ("output", [n]) => vec![format!("output.{n}")],
            ("locals", []) => {
                let inner = &body[body.find('{').map_or(0, |i| i + 1)..];
                let mut names = Vec::new();
                let mut depth = 0i32;
                for line in inner.lines() {
                    if depth == 0 {
                        if let Some(m) = local.captures(line) {
                            names.push(format!("local.{}", &m[1]));
                        }
                    }
                    depth += line.matches(['{', '[', '(']).count() as i32;
                    depth -= line.matches(['}', ']', ')']).count() as i32;
                }
                names
            }
            _ => Vec::new(),
        };
        out.push((addresses, body.to_string()));
    }
    out
}

/// Two of the context's code blocks, best first: `resource` and `data`
/// blocks before the others, none declaring an address an earlier one
/// declares (two files' `output "x"`, say).
fn first_answer(context: &[String]) -> Vec<String> {
    let declaring: Vec<(&String, Vec<String>)> = context
        .iter()
        .map(|code| {
            (
                code,
                blocks(code).into_iter().flat_map(|(a, _)| a).collect(),
            )
        })
        .collect();
    let infrastructure = |addresses: &[String]| {
        addresses.iter().any(|a| {
            !["var.", "local.", "output.", "module."]
                .iter()
                .any(|p| a.starts_with(p))
        })
    };
    let (first, rest): (Vec<_>, Vec<_>) = declaring.iter().partition(|(_, a)| infrastructure(a));
    let mut chosen: Vec<String> = Vec::new();
    let mut declared: Vec<&String> = Vec::new();
    for (code, addresses) in first.into_iter().chain(rest) {
        if chosen.len() == 2 {
            break;
        }
        if chosen.contains(code) || addresses.iter().any(|a| declared.contains(&a)) {
            continue;
        }
        declared.extend(addresses);
        chosen.push((*code).clone());
    }
    chosen
}

/// The addresses `code` refers to, in order of first use.
fn references(code: &str) -> Vec<String> {
    static REF: OnceLock<Regex> = OnceLock::new();
    let re = REF.get_or_init(|| {
        Regex::new(r"\b(var|local|module|data\.[a-z0-9_]+|[a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)")
            .expect("reference")
    });
    let mut out: Vec<String> = Vec::new();
    for c in re.captures_iter(code) {
        let a = format!("{}.{}", &c[1], &c[2]);
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// `code` with the argument names a correction's findings flag fixed: an
/// unsupported argument whose finding offers a fix (a "Did you mean", or the
/// argument it spells out) is renamed to the name offered, and one without
/// is removed when it stands on a line of its own.
/// Findings are read from the correction's items `- FILE:LINE:COL:
/// error[CODE]: ... (replace with "NAME")`, whose lines are `code`'s lines
/// (the answer is one file).
fn apply_fixes(code: &str, correction: &str) -> String {
    static HEAD: OnceLock<Regex> = OnceLock::new();
    static FIX: OnceLock<Regex> = OnceLock::new();
    let head = HEAD.get_or_init(|| {
        Regex::new(r"^[^\n]*?:(\d+):(\d+): error\[schema\.unsupported_argument\]:")
            .expect("finding")
    });
    let fix =
        FIX.get_or_init(|| Regex::new(r#"\(replace with "([A-Za-z0-9_-]+)"\)"#).expect("fix"));
    let mut lines: Vec<Option<String>> = code.lines().map(|l| Some(l.to_string())).collect();
    // A finding's message may run over several lines, up to the next "- ".
    for finding in correction.split("\n- ") {
        let Some(c) = head.captures(finding) else {
            continue;
        };
        let (Ok(line), Ok(column)) = (c[1].parse::<usize>(), c[2].parse::<usize>()) else {
            continue;
        };
        let better = fix.captures(finding).and_then(|f| f.get(1));
        let Some(Some(text)) = lines.get_mut(line.wrapping_sub(1)) else {
            continue;
        };
        let start: usize = text
            .chars()
            .take(column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        let name_len = text[start..]
            .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'))
            .unwrap_or(text.len() - start);
        match better {
            Some(better) => text.replace_range(start..start + name_len, better.as_str()),
            None => {
                let balanced = ['{', '[', '(']
                    .iter()
                    .zip(['}', ']', ')'])
                    .all(|(&o, cl)| text.matches(o).count() == text.matches(cl).count());
                if balanced && text[start + name_len..].trim_start().starts_with('=') {
                    lines[line - 1] = None;
                }
            }
        }
    }
    let mut out: Vec<String> = lines.into_iter().flatten().collect();
    if code.ends_with('\n') {
        out.push(String::new());
    }
    out.join("\n")
}

/// `code` completed from `context`: each undeclared name it uses gets its
/// declaring block (for a variable, a `variable` block when the context
/// has none), and the blocks referring to what it declares are added.
fn complete(code: &str, context: &str) -> String {
    let offered = blocks(context);
    let mut out = code.trim_end().to_string();
    // Added blocks may use further names: repeat until nothing is added.
    for _ in 0..8 {
        let declared: Vec<String> = blocks(&out).into_iter().flat_map(|(a, _)| a).collect();
        let mut added = false;
        for (addresses, block) in &offered {
            let refers = references(block).iter().any(|r| declared.contains(r));
            let again = addresses.iter().any(|a| declared.contains(a));
            if refers && !again && !out.contains(block.as_str()) {
                out.push_str(&format!("\n\n{block}"));
                added = true;
            }
        }
        for name in references(&out) {
            if declared.contains(&name) {
                continue;
            }
            let block = offered
                .iter()
                .find(|(a, _)| a.contains(&name))
                .map(|(_, b)| b.clone());
            let block = match (block, name.strip_prefix("var.")) {
                (Some(b), _) => b,
                (None, Some(v)) => format!("variable \"{v}\" {{\n  type = string\n}}"),
                (None, None) => continue,
            };
            if !out.contains(&block) {
                out.push_str(&format!("\n\n{block}"));
                added = true;
            }
        }
        if !added {
            break;
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
        let first_user = request
            .messages
            .iter()
            .find(|m| m.role == Role::User)
            .map(|m| m.text())
            .unwrap_or_default();
        let context = code_blocks(&first_user).join("\n\n");
        let last_user = request
            .messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.text())
            .unwrap_or_default();
        let code = match earlier {
            Some(blocks) => Some(complete(
                &apply_fixes(&blocks.join("\n\n"), &last_user),
                &context,
            )),
            None => {
                let chosen = first_answer(&code_blocks(&last_user));
                (!chosen.is_empty()).then(|| chosen.join("\n\n"))
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
        let resource =
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n  tags   = local.tags\n}";
        let ctx = format!(
            "Context:\n```hcl\n{resource}\n```\n```hcl\nlocals {{\n  tags = {{ Env = var.env }}\n  other = 1\n}}\n```\nWrite it."
        );
        let mut req = Request::new(ctx);
        let first = Fallback.complete(&req).unwrap().text();
        assert!(first.starts_with(LABEL));
        assert!(
            first.contains(resource) && first.contains("locals {"),
            "{first}"
        );
        let three = Request::new("```hcl\na = 1\n```\n```hcl\nb = 2\n```\n```hcl\nc = 3\n```");
        let best = Fallback.complete(&three).unwrap().text();
        assert!(
            best.contains("a = 1\n\nb = 2\n```") && !best.contains("c = 3"),
            "{best}"
        );
        req.messages
            .push(Message::assistant(format!("```hcl\n{resource}\n```")));
        req.messages
            .push(Message::user("main.tf:2:12: undeclared variable"));
        let second = Fallback.complete(&req).unwrap().text();
        let want = format!(
            "```hcl main.tf\n{resource}\n\nvariable \"name\" {{\n  type = string\n}}\n\nlocals {{\n  tags = {{ Env = var.env }}\n  other = 1\n}}\n\nvariable \"env\" {{\n  type = string\n}}\n```"
        );
        assert!(second.contains(&want), "{second}");
        assert_eq!(second, Fallback.complete(&req).unwrap().text());
    }

    #[test]
    fn schema_findings_rename_or_drop_the_arguments_they_name() {
        let code = "resource \"aws_s3_bucket\" \"b\" {\n  bucket_name = var.name\n  shiny       = true\n  tags = {\n    a = 1\n  }\n}";
        let correction = "Validation found these problems in your files:\n\
            - main.tf:2:3: error[schema.unsupported_argument]: Unsupported argument: An argument named \"bucket_name\" is not expected here.\n\nChecked against hashicorp/aws 6.25.0. Suggested: replace with bucket (replace with \"bucket\").\n\
            - main.tf:3:3: error[schema.unsupported_argument]: Unsupported argument: An argument named \"shiny\" is not expected here. Checked against hashicorp/aws 6.25.0.\n\
            - main.tf:4:3: error[other.check]: something else\n";
        assert_eq!(
            apply_fixes(code, correction),
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = var.name\n  tags = {\n    a = 1\n  }\n}"
        );
        assert_eq!(apply_fixes(code, "no findings"), code);
    }
}
