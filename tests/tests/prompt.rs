//! Prompt assembly: what fits is packed in the documented order, the count
//! is the tokenizer's, secrets are replaced, the renders are the providers'
//! shapes; conversation memory and templates are in the module's own tests.

use std::sync::Arc;

use infrarag::index::Index;
use infrarag::llm::Role;
use infrarag::prompt::{ContextItem, Conversation, Prompt, PromptBuilder, MESSAGE_OVERHEAD};
use infrarag::tokens::{Tiktoken, Tokenizer};
use infrarag::Error;
use serde_json::json;

const WEB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/terraform/web");

fn context() -> Vec<ContextItem> {
    let mut index = Index::in_memory();
    index.add_path(WEB).execute().unwrap();
    let hits = index.search("bucket for logs").k(6).execute().unwrap();
    assert_eq!(hits.len(), 6);
    hits.iter().map(ContextItem::from).collect()
}

fn conversation() -> Conversation {
    let mut c = Conversation::new(10_000);
    for i in 0..6 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        c.push(
            role,
            format!("turn {i}: {}", "we discussed the bucket policy ".repeat(4)),
        )
        .unwrap();
    }
    c.summary = Some(infrarag::prompt::Summary {
        text: "The user wants private buckets.".into(),
        tokens: 7,
        turns: 4,
    });
    c
}

fn builder(window: usize) -> PromptBuilder {
    PromptBuilder::new()
        .context_window(window)
        .reserve_output(100)
        .system("You write Terraform for AWS.", true)
        .task("Answer with one hcl code block.")
        .context(context())
        .history(&conversation())
        .user("Add a bucket for access logs.")
}

/// Tokens of the request counted apart from the builder: each text once,
/// plus the framing per message.
fn recount(p: &Prompt) -> usize {
    let t = Tiktoken::cl100k_base();
    let system: usize = p.request.system.iter().map(|s| t.count(&s.text)).sum();
    let messages: usize = p
        .request
        .messages
        .iter()
        .map(|m| t.count(&m.text()) + MESSAGE_OVERHEAD)
        .sum();
    system + MESSAGE_OVERHEAD + messages
}

#[test]
fn everything_fits_in_a_large_window() {
    let p = builder(100_000).build().unwrap();
    assert!(p.omitted.is_empty(), "{:?}", p.omitted);
    assert_eq!(p.context.len(), 6);
    let last = p.request.messages.last().unwrap().text();
    for (i, item) in p.context.iter().enumerate() {
        assert!(
            last.contains(&format!("[{}] {}", i + 1, item.citation)),
            "{last}"
        );
    }
    assert!(last.trim_end().ends_with("Add a bucket for access logs."));
    assert_eq!(
        p.request.messages.len(),
        7,
        "six turns, then the new message"
    );
    assert_eq!(p.request.messages[0].role, Role::User);
    assert!(p
        .request
        .system
        .last()
        .unwrap()
        .text
        .contains("The user wants private buckets."));
    // The builder counts parts apart; joining them shifts a few tokens.
    let apart = recount(&p);
    assert!(
        p.tokens.abs_diff(apart) <= 12,
        "counted {} vs {apart}",
        p.tokens
    );
    assert_eq!(p.request.max_tokens, 100);
}

#[test]
fn smaller_windows_leave_parts_out_in_the_documented_order() {
    let full = builder(100_000).build().unwrap().tokens;
    let mut seen_kinds = std::collections::BTreeSet::new();
    for window in (101..full + 200).step_by(3) {
        let p = match builder(window).build() {
            Ok(p) => p,
            Err(Error::InvalidArgument { name, .. }) => {
                assert_eq!(name, "budget");
                continue;
            }
            Err(e) => panic!("{e}"),
        };
        assert!(
            p.tokens <= p.budget,
            "window {window}: {} > {}",
            p.tokens,
            p.budget
        );
        assert!(recount(&p) <= p.budget + 12, "window {window}");
        let out = |kind: &str| p.omitted.iter().filter(|o| o.kind == kind).count();
        let context_left_out = out("context") > 0;
        let task_cut = out("task") > 0;
        if out("summary") > 0 {
            assert_eq!(
                out("turn"),
                6,
                "window {window}: the summary went before every turn"
            );
        }
        if context_left_out {
            assert_eq!(out("turn"), 6, "window {window}");
            assert_eq!(out("summary"), 1, "window {window}");
        }
        if task_cut {
            assert_eq!(out("context"), 6, "window {window}");
        }
        // Turns go oldest first: the kept ones are the newest.
        let dropped: Vec<usize> = p
            .omitted
            .iter()
            .filter(|o| o.kind == "turn")
            .map(|o| o.label[5..].parse().unwrap())
            .collect();
        assert_eq!(
            dropped,
            (0..dropped.len()).collect::<Vec<_>>(),
            "window {window}"
        );
        assert_eq!(p.request.messages[0].role, Role::User);
        seen_kinds.extend(p.omitted.iter().map(|o| o.kind.clone()));
    }
    assert_eq!(
        seen_kinds.into_iter().collect::<Vec<_>>(),
        ["context", "summary", "task", "turn"]
    );
    match builder(120).build() {
        Err(Error::InvalidArgument { name, message }) => {
            assert_eq!(name, "budget");
            assert!(message.contains("the budget is 20"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn secrets_are_replaced_before_counting_and_reported() {
    let secret = ContextItem {
        citation: "prod.tfvars:1-2".into(),
        address: None,
        language: "hcl".into(),
        text: "db_password = \"correct-horse-battery\"\naccess_key = \"AKIAIOSFODNN7EXAMPLE\""
            .into(),
    };
    let p = PromptBuilder::new()
        .context([secret])
        .user("why does AKIAIOSFODNN7EXAMPLE fail?")
        .build()
        .unwrap();
    let body = p.to_anthropic("claude-sonnet-4-5").to_string();
    assert!(
        !body.contains("correct-horse") && !body.contains("AKIAIOSFODNN7EXAMPLE"),
        "{body}"
    );
    let found: Vec<(&str, &str, usize)> = p
        .redactions
        .iter()
        .map(|r| (r.kind.as_str(), r.source.as_str(), r.line))
        .collect();
    assert_eq!(
        found,
        vec![
            ("aws_access_key_id", "user", 1),
            ("password", "prod.tfvars:1-2", 1),
            ("aws_access_key_id", "prod.tfvars:1-2", 2)
        ]
    );
    assert_eq!(p.redactions[0].placeholder, p.redactions[2].placeholder);
    let off = PromptBuilder::new()
        .redact(false)
        .user("AKIAIOSFODNN7EXAMPLE")
        .build()
        .unwrap();
    assert!(off.redactions.is_empty());
}

#[test]
fn renders_the_providers_request_bodies() {
    let p = PromptBuilder::new()
        .tokenizer(Arc::new(Tiktoken::o200k_base()))
        .system("Stable instructions", true)
        .system("Per request", false)
        .user("hello")
        .build()
        .unwrap();
    let a = p.to_anthropic("claude-sonnet-4-5");
    assert_eq!(
        a["system"],
        json!([
            {"type": "text", "text": "Stable instructions", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Per request"}
        ])
    );
    assert_eq!(
        a["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "hello"}]}])
    );
    assert_eq!(a["max_tokens"], 4096);
    let o = p.to_openai("gpt-4o");
    assert_eq!(
        o["messages"],
        json!([
            {"role": "system", "content": "Stable instructions\n\nPer request"},
            {"role": "user", "content": "hello"}
        ])
    );
    assert!(
        matches!(PromptBuilder::new().build(), Err(Error::InvalidArgument { name, .. }) if name == "user")
    );
}
