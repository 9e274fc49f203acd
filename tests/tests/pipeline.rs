//! The generation loop: retrieval, prompt, tool calls, validation and the
//! correction rounds, with a scripted model, a replayed Anthropic stream,
//! and the offline fallback on the example module.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use infrarag::index::Index;
use infrarag::llm::{
    ChatModel, Completion, Content, Delta, Fallback, LanguageModel, Request, StopReason, ToolSpec,
    Usage,
};
use infrarag::pipeline::{Event, FnTool, Generator, Outcome};
use infrarag::validate::Validator;
use infrarag::Error;
use infrarag_tests::replay::{ReplayServer, Reply};
use serde_json::json;

const WEB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/terraform/web");

/// Answers with its script in order and keeps every request.
struct Scripted {
    answers: Mutex<Vec<Vec<Content>>>,
    seen: Mutex<Vec<Request>>,
}

impl Scripted {
    fn new(answers: Vec<Vec<Content>>) -> Arc<Scripted> {
        Arc::new(Scripted {
            answers: Mutex::new(answers),
            seen: Mutex::new(Vec::new()),
        })
    }
}

fn text(t: &str) -> Vec<Content> {
    vec![Content::Text { text: t.into() }]
}

impl LanguageModel for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn stream(
        &self,
        r: &Request,
        on: &mut dyn FnMut(&Delta) -> ControlFlow<()>,
    ) -> infrarag::Result<Completion> {
        self.seen.lock().unwrap().push(r.clone());
        let content = self.answers.lock().unwrap().remove(0);
        for c in &content {
            if let Content::Text { text } = c {
                for piece in text.split_inclusive('\n') {
                    if on(&Delta::Text {
                        index: 0,
                        text: piece.into(),
                    })
                    .is_break()
                    {
                        return Err(Error::Cancelled);
                    }
                }
            }
        }
        let tools = content.iter().any(|c| matches!(c, Content::ToolUse { .. }));
        Ok(Completion {
            model: "scripted".into(),
            content,
            stop_reason: if tools {
                StopReason::ToolUse
            } else {
                StopReason::EndTurn
            },
            usage: Usage {
                input_tokens: 100,
                output_tokens: 10,
                ..Usage::default()
            },
        })
    }
}

fn only_references() -> Validator {
    Validator::new().with_checks(["undeclared_", "syntax."])
}

const BROKEN: &str = "Here:\n```hcl main.tf\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = var.bucket_name\n}\n```\n";
const FIXED: &str = "```hcl main.tf\nvariable \"bucket_name\" {\n  type = string\n}\n\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = var.bucket_name\n}\n```\n";

#[test]
fn errors_are_sent_back_and_the_corrected_files_win() {
    let model = Scripted::new(vec![text(BROKEN), text(FIXED)]);
    let generator = Generator::new(model.clone()).validator(only_references());
    let mut events = Vec::new();
    let out = generator
        .generate("A bucket for logs")
        .on_event(|e| {
            events.push(e.clone());
            ControlFlow::Continue(())
        })
        .execute()
        .unwrap();
    assert_eq!(out.outcome, Outcome::Valid);
    assert_eq!(out.rounds.len(), 2);
    assert_eq!(out.files.len(), 1);
    assert!(out.files[0].text.starts_with("variable \"bucket_name\""));
    let first = &out.rounds[0].problems;
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].code.as_str(), first[0].line, first[0].column),
        ("undeclared_variable", 2, 12)
    );
    assert_eq!(
        out.usage,
        Usage {
            input_tokens: 200,
            output_tokens: 20,
            ..Usage::default()
        }
    );

    let seen = model.seen.lock().unwrap();
    let correction = seen[1].messages.last().unwrap().text();
    assert!(
        correction.contains("main.tf:2:12: error[undeclared_variable]"),
        "{correction}"
    );
    assert_eq!(seen[1].messages.len(), 3, "task, first answer, correction");

    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Retrieved { .. } => "retrieved",
            Event::PromptBuilt { .. } => "prompt",
            Event::Generating { .. } => "gen",
            Event::Validated { .. } => "validated",
            Event::Correcting { .. } => "correcting",
            Event::Done { .. } => "done",
            _ => "other",
        })
        .collect::<Vec<_>>();
    let mut collapsed = kinds.clone();
    collapsed.dedup();
    assert_eq!(
        collapsed,
        [
            "retrieved",
            "prompt",
            "gen",
            "validated",
            "correcting",
            "gen",
            "validated",
            "done"
        ]
    );
    let streamed: String = events
        .iter()
        .filter_map(|e| match e {
            Event::Generating { round: 0, text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed, BROKEN);
}

#[test]
fn rounds_are_bounded_and_an_unchanged_answer_stops_early() {
    let model = Scripted::new(vec![text(BROKEN), text(BROKEN), text(BROKEN)]);
    let out = Generator::new(model.clone())
        .validator(only_references())
        .generate("x")
        .execute()
        .unwrap();
    assert_eq!(out.outcome, Outcome::Invalid);
    assert_eq!(out.rounds.len(), 2, "the second answer changed nothing");

    let model = Scripted::new(vec![
        text(BROKEN),
        text(&BROKEN.replace("logs", "a")),
        text(&BROKEN.replace("logs", "b")),
    ]);
    let out = Generator::new(model)
        .validator(only_references())
        .max_rounds(1)
        .generate("x")
        .execute()
        .unwrap();
    assert_eq!((out.outcome, out.rounds.len()), (Outcome::Invalid, 2));

    let model = Scripted::new(vec![text("I cannot help with that.")]);
    let out = Generator::new(model).generate("x").execute().unwrap();
    assert_eq!(out.outcome, Outcome::NoCode);
}

fn lookup_spec() -> ToolSpec {
    ToolSpec {
        name: "lookup".into(),
        description: "Finds a block by address".into(),
        parameters: json!({"type": "object", "properties": {"address": {"type": "string"}}, "required": ["address"]}),
    }
}

#[test]
fn tool_calls_from_a_streamed_answer_run_and_their_results_go_back() {
    let server = ReplayServer::start(vec![
        Reply::recorded("anthropic_tool_use.sse"),
        Reply::recorded("anthropic_text.sse"),
    ]);
    let model = ChatModel::anthropic("claude-sonnet-4-5")
        .api_key("k")
        .base_url(&server.base)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let c = calls.clone();
    let tool = FnTool::new(lookup_spec(), move |input: &serde_json::Value| {
        c.lock().unwrap().push(input.clone());
        Ok("resource \"aws_s3_bucket\" \"logs\" { bucket = \"acme-logs\" }".to_string())
    });
    let generator = Generator::new(Arc::new(model))
        .validator(only_references())
        .tool(Arc::new(tool));
    let mut events = Vec::new();
    let out = generator
        .generate("Which bucket holds the logs?")
        .on_event(|e| {
            events.push(e.clone());
            ControlFlow::Continue(())
        })
        .execute()
        .unwrap();
    assert_eq!(out.outcome, Outcome::Valid);
    assert_eq!(
        *calls.lock().unwrap(),
        vec![json!({"address": "aws_s3_bucket.logs"})]
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, Event::ToolCall { name, .. } if name == "lookup")));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ToolResult {
            is_error: false,
            ..
        }
    )));
    assert_eq!(out.usage.input_tokens, 472 + 1210);
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body["tools"][0]["name"], "lookup");
    let back = &seen[1].body["messages"];
    assert_eq!(back[1]["content"][1]["type"], "tool_use");
    assert_eq!(
        back[2]["content"][0]["tool_use_id"],
        "toolu_01T1x1fJ34qAmk2tNTrN7Up6"
    );
    assert!(back[2]["content"][0]["content"]
        .as_str()
        .unwrap()
        .contains("acme-logs"));
}

#[test]
fn the_step_limit_stops_a_model_that_only_calls_tools() {
    let call = |id: &str, input| {
        vec![Content::ToolUse {
            id: id.into(),
            name: "lookup".into(),
            input,
        }]
    };
    let model = Scripted::new(vec![
        call("a", json!({"address": 3})),
        call("b", json!({"address": "x"})),
        call("c", json!({})),
    ]);
    let tool = FnTool::new(lookup_spec(), |_: &serde_json::Value| Ok("ok".to_string()));
    let mut results = Vec::new();
    let out = Generator::new(model)
        .tool(Arc::new(tool))
        .max_steps(2)
        .generate("x")
        .on_event(|e| {
            if let Event::ToolResult {
                output, is_error, ..
            } = e
            {
                results.push((output.clone(), *is_error));
            }
            ControlFlow::Continue(())
        })
        .execute()
        .unwrap();
    assert_eq!(out.outcome, Outcome::StepLimit);
    assert_eq!(
        results,
        vec![
            (
                "invalid input for lookup: \"address\" must be of type string, got 3".to_string(),
                true
            ),
            ("ok".to_string(), false),
            (
                "invalid input for lookup: \"address\" is required".to_string(),
                true
            ),
        ]
    );
}

#[test]
fn the_fallback_runs_the_whole_loop_offline_and_deterministically() {
    let mut index = Index::in_memory();
    index.add_path(WEB).execute().unwrap();
    let generator = Generator::new(Arc::new(Fallback::new()))
        .validator(only_references())
        .k(20);
    let run = || {
        let mut events = Vec::new();
        let out = generator
            .generate("a bucket for logs")
            .index(&index)
            .on_event(|e| {
                events.push(e.clone());
                ControlFlow::Continue(())
            })
            .execute()
            .unwrap();
        (out, events)
    };
    let (out, events) = run();
    assert_eq!(out.model, "infrarag-fallback");
    assert_eq!(out.context.len(), index.len().min(20));
    assert!(out.rounds[0]
        .answer
        .starts_with(infrarag::llm::fallback::LABEL));
    assert!(!out.files.is_empty());
    // The retrieved blocks use variables declared elsewhere; the fallback's
    // correction declares them.
    assert!(
        out.rounds[0]
            .problems
            .iter()
            .any(|p| p.code == "undeclared_variable"),
        "{:?}",
        out.rounds[0].problems
    );
    assert_eq!(
        out.outcome,
        Outcome::Valid,
        "{:?}",
        out.rounds.last().unwrap().problems
    );
    assert!(matches!(
        events.last(),
        Some(Event::Done {
            outcome: Outcome::Valid,
            rounds: 2,
            ..
        })
    ));
    let (again, _) = run();
    assert_eq!(again.files, out.files);
}

#[test]
fn breaking_from_an_event_cancels_and_errors_are_reported_as_failed() {
    let model = Scripted::new(vec![text(BROKEN)]);
    let err = Generator::new(model)
        .generate("x")
        .on_event(|e| {
            if matches!(e, Event::Generating { .. }) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .execute()
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled));

    let server = ReplayServer::start(vec![Reply::Status(
        401,
        vec![],
        r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#
            .into(),
    )]);
    let model = ChatModel::anthropic("m")
        .api_key("revoked")
        .base_url(&server.base)
        .build()
        .unwrap();
    let mut last = None;
    let err = Generator::new(Arc::new(model))
        .generate("x")
        .on_event(|e| {
            last = Some(e.clone());
            ControlFlow::Continue(())
        })
        .execute()
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Provider {
            status: Some(401),
            ..
        }
    ));
    match last {
        Some(Event::Failed { code, message }) => {
            assert_eq!(code, "PROVIDER_ERROR");
            assert!(message.contains("invalid x-api-key"));
        }
        other => panic!("{other:?}"),
    }
}

fn replayed(server: &ReplayServer) -> Arc<ChatModel> {
    Arc::new(
        ChatModel::anthropic("claude-sonnet-4-5")
            .api_key("k")
            .base_url(&server.base)
            .backoff(Duration::from_millis(1), Duration::from_millis(2))
            .build()
            .unwrap(),
    )
}

/// A client that goes away while the service has not answered: the call
/// in flight is abandoned at once, not when the service speaks.
#[test]
fn a_cancelled_generation_stops_waiting_for_the_model_and_asks_nothing_more() {
    let server = ReplayServer::start(vec![
        Reply::Hang(Duration::from_secs(60)),
        Reply::recorded("anthropic_text.sse"),
    ]);
    let generator = Generator::new(replayed(&server));
    let cancel = infrarag::CancelToken::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let token = cancel.clone();
    std::thread::spawn(move || {
        let out = generator.generate("a bucket").cancel(token).execute();
        let _ = tx.send(out.map(|g| g.outcome));
    });
    while server.requests().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    cancel.cancel();
    let out = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the generation kept waiting for the model after it was cancelled");
    assert!(matches!(out, Err(Error::Cancelled)), "{out:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.requests().len(), 1);
}

/// Cancelled between rounds (here when the first answer has been
/// validated): no correction is asked for, where one would be without it.
#[test]
fn a_generation_cancelled_after_validation_sends_no_correction() {
    let undeclared = infrarag_tests::replay::fixture("anthropic_text.sse")
        .replace(r#"\"acme-logs\""#, "var.missing");
    let script = || {
        ReplayServer::start(vec![
            Reply::Stream(undeclared.clone()),
            Reply::Stream(undeclared.clone()),
        ])
    };
    let server = script();
    let run = Generator::new(replayed(&server))
        .max_rounds(1)
        .generate("a bucket")
        .execute()
        .unwrap();
    assert_eq!(run.rounds.len(), 2, "the uncancelled run corrects once");
    assert_eq!(server.requests().len(), 2);

    let server = script();
    let cancel = infrarag::CancelToken::new();
    let token = cancel.clone();
    let mut seen = Vec::new();
    let err = Generator::new(replayed(&server))
        .max_rounds(1)
        .generate("a bucket")
        .cancel(token)
        .on_event(|e| {
            seen.push(e.clone());
            if matches!(e, Event::Validated { .. }) {
                cancel.cancel();
            }
            ControlFlow::Continue(())
        })
        .execute()
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert!(!seen.iter().any(|e| matches!(e, Event::Correcting { .. })));
}

/// A bucket whose retrieved example invents two arguments: the offline
/// model copies it, the provider schema flags both, and the next round
/// renames the near miss as the schema suggests and drops the other.
#[test]
fn schema_findings_correct_an_invented_argument_in_the_next_round() {
    let dir = std::env::temp_dir().join(format!("infrarag-invented-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket_name   = \"acme-logs\"\n  shiny_feature = true\n  force_destroy = true\n}\n",
    )
    .unwrap();
    let mut index = Index::in_memory();
    index.add_path(&dir).execute().unwrap();
    let out = Generator::new(Arc::new(Fallback::new()))
        .validator(Validator::new().with_checks(["schema."]))
        .generate("a bucket for logs")
        .index(&index)
        .execute()
        .unwrap();
    let first = &out.rounds[0].problems;
    let codes: Vec<(&str, usize)> = first.iter().map(|p| (p.code.as_str(), p.line)).collect();
    assert_eq!(
        codes,
        [
            ("schema.unsupported_argument", 2),
            ("schema.unsupported_argument", 3)
        ],
        "{first:?}"
    );
    // Terraform suggests nothing this far from `bucket`; the fix offers it.
    assert_eq!(
        first[0].fix.as_deref(),
        Some("replace with bucket (replace with \"bucket\")")
    );
    assert_eq!(first[1].fix, None);
    assert_eq!(out.outcome, Outcome::Valid, "{:?}", out.rounds);
    assert_eq!(out.rounds.len(), 2);
    let main = &out.files[0];
    assert_eq!(main.path, "main.tf");
    assert!(
        main.text.contains("  bucket   = \"acme-logs\"\n") && !main.text.contains("shiny_feature"),
        "{}",
        main.text
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
