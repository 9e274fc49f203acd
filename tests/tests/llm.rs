//! The chat clients against a local server replaying recorded Anthropic and
//! OpenAI streams: deltas, tool calls, usage, request bodies and headers,
//! retries on 429/529/5xx with Retry-After, errors mid-stream, cancellation.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use infrarag::llm::{
    ChatModel, Completion, Content, Delta, LanguageModel, Message, Request, StopReason, SystemPart,
    ToolSpec, Usage,
};
use infrarag::Error;
use infrarag_tests::replay::{ReplayServer, Reply};
use serde_json::json;

fn request() -> Request {
    let mut r = Request::new("Which bucket holds the logs?");
    r.system = vec![
        SystemPart {
            text: "You write Terraform.".into(),
            cache: true,
        },
        SystemPart {
            text: "Cite your sources.".into(),
            cache: false,
        },
    ];
    r.tools = vec![ToolSpec {
        name: "lookup".into(),
        description: "Finds a block by address".into(),
        parameters: json!({"type": "object", "properties": {"address": {"type": "string"}}, "required": ["address"]}),
    }];
    r.max_tokens = 512;
    r
}

fn anthropic(server: &ReplayServer) -> ChatModel {
    ChatModel::anthropic("claude-sonnet-4-5")
        .api_key("sk-ant-test")
        .base_url(&server.base)
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .unwrap()
}

fn openai(server: &ReplayServer) -> ChatModel {
    ChatModel::openai("gpt-4o")
        .api_key("sk-test")
        .base_url(format!("{}/v1", server.base))
        .backoff(Duration::from_millis(5), Duration::from_millis(20))
        .build()
        .unwrap()
}

fn streamed(model: &dyn LanguageModel, r: &Request) -> (Result<Completion, Error>, Vec<Delta>) {
    let mut deltas = Vec::new();
    let out = model.stream(r, &mut |d| {
        deltas.push(d.clone());
        ControlFlow::Continue(())
    });
    (out, deltas)
}

#[test]
fn anthropic_streams_text_and_a_tool_call() {
    let server = ReplayServer::start(vec![Reply::recorded("anthropic_tool_use.sse")]);
    let (out, deltas) = streamed(&anthropic(&server), &request());
    let done = out.unwrap();
    assert_eq!(done.model, "claude-sonnet-4-5-20250929");
    assert_eq!(done.stop_reason, StopReason::ToolUse);
    assert_eq!(done.text(), "Let me look up the bucket.");
    let calls: Vec<_> = done.tool_calls().collect();
    assert_eq!(
        calls,
        vec![(
            "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
            "lookup",
            &json!({"address": "aws_s3_bucket.logs"})
        )]
    );
    assert_eq!(
        done.usage,
        Usage {
            input_tokens: 472,
            output_tokens: 89,
            cache_write_tokens: 0,
            cache_read_tokens: 401
        }
    );
    assert_eq!(
        deltas,
        vec![
            Delta::Text {
                index: 0,
                text: "Let me look up".into()
            },
            Delta::Text {
                index: 0,
                text: " the bucket.".into()
            },
            Delta::ToolUse {
                index: 1,
                id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
                name: "lookup".into()
            },
            Delta::ToolInput {
                index: 1,
                partial_json: "{\"address\": \"aws_s3".into()
            },
            Delta::ToolInput {
                index: 1,
                partial_json: "_bucket.logs\"}".into()
            },
        ]
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.body["model"], "claude-sonnet-4-5");
    assert_eq!(r.body["stream"], true);
    assert_eq!(r.body["max_tokens"], 512);
    assert_eq!(
        r.body["system"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    assert!(r.body["system"][1].get("cache_control").is_none());
    assert_eq!(
        r.body["tools"][0]["input_schema"]["required"],
        json!(["address"])
    );
    assert_eq!(
        r.body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "Which bucket holds the logs?"}]}])
    );
}

#[test]
fn tool_results_go_back_in_each_wire_format() {
    let mut r = request();
    r.messages.push(Message {
        role: infrarag::llm::Role::Assistant,
        content: vec![Content::ToolUse {
            id: "t1".into(),
            name: "lookup".into(),
            input: json!({"address": "x"}),
        }],
    });
    r.messages.push(Message {
        role: infrarag::llm::Role::User,
        content: vec![Content::ToolResult {
            tool_use_id: "t1".into(),
            content: "found".into(),
            is_error: false,
        }],
    });
    let a = infrarag::llm::anthropic_body(&r, "m", false);
    assert_eq!(
        a["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": "t1", "content": "found", "is_error": false})
    );
    assert!(a.get("stream").is_none());
    let o = infrarag::llm::openai_body(&r, "m", false);
    assert_eq!(
        o["messages"][0],
        json!({"role": "system", "content": "You write Terraform.\n\nCite your sources."})
    );
    assert_eq!(
        o["messages"][2]["tool_calls"][0]["function"],
        json!({"name": "lookup", "arguments": "{\"address\":\"x\"}"})
    );
    assert_eq!(
        o["messages"][3],
        json!({"role": "tool", "tool_call_id": "t1", "content": "found"})
    );
    assert_eq!(o["tools"][0]["function"]["name"], "lookup");
}

#[test]
fn openai_streams_tool_calls_and_usage() {
    let server = ReplayServer::start(vec![Reply::recorded("openai_tool_calls.sse")]);
    let (out, deltas) = streamed(&openai(&server), &request());
    let done = out.unwrap();
    assert_eq!(done.stop_reason, StopReason::ToolUse);
    assert_eq!(
        done.tool_calls().collect::<Vec<_>>(),
        vec![(
            "call_abc123",
            "lookup",
            &json!({"address": "aws_s3_bucket.logs"})
        )]
    );
    assert_eq!(
        done.usage,
        Usage {
            input_tokens: 523,
            output_tokens: 19,
            cache_write_tokens: 0,
            cache_read_tokens: 384
        }
    );
    assert_eq!(deltas.len(), 3);
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1/chat/completions");
    assert_eq!(r.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(r.body["stream_options"], json!({"include_usage": true}));
}

#[test]
fn openai_streams_text() {
    let server = ReplayServer::start(vec![Reply::recorded("openai_text.sse")]);
    let done = openai(&server).complete(&request()).unwrap();
    assert_eq!(
        done.text(),
        "```hcl\nresource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n```"
    );
    assert_eq!(done.stop_reason, StopReason::EndTurn);
    assert_eq!(done.usage.input_tokens, 812);
}

#[test]
fn overloaded_and_rate_limited_answers_are_retried_honouring_retry_after() {
    let server = ReplayServer::start(vec![
        Reply::Status(
            529,
            vec![],
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.into(),
        ),
        Reply::Status(
            429,
            vec![("retry-after".into(), "0.3".into())],
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#.into(),
        ),
        Reply::recorded("anthropic_overloaded.sse"),
        Reply::recorded("anthropic_text.sse"),
    ]);
    let start = Instant::now();
    let done = anthropic(&server).complete(&request()).unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "Retry-After was not honoured"
    );
    assert!(done.text().contains("bucket = \"acme-logs\""));
    assert_eq!(done.usage.cache_write_tokens, 1024);
    assert_eq!(server.requests().len(), 4);
}

#[test]
fn an_error_after_text_was_reported_is_not_retried() {
    let server = ReplayServer::start(vec![
        Reply::recorded("anthropic_error_after_text.sse"),
        Reply::recorded("anthropic_text.sse"),
    ]);
    let (out, deltas) = streamed(&anthropic(&server), &request());
    match out {
        Err(Error::Provider {
            status,
            message,
            request_id,
            ..
        }) => {
            assert_eq!(status, Some(200));
            assert_eq!(request_id.as_deref(), Some("req_1"));
            assert!(
                message.contains("overloaded_error: Overloaded")
                    && message.contains("after 1 pieces"),
                "{message}"
            );
        }
        other => panic!("expected a provider error, got {other:?}"),
    }
    assert_eq!(deltas.len(), 1);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_cut_stream_is_an_error_and_a_bad_request_is_not_retried() {
    let full = infrarag_tests::replay::fixture("anthropic_text.sse");
    let cut = full[..full.find("event: content_block_stop").unwrap()].to_string();
    let server = ReplayServer::start(vec![Reply::Stream(cut)]);
    let err = anthropic(&server).complete(&request()).unwrap_err();
    assert!(
        err.to_string()
            .contains("ended before the answer was complete"),
        "{err}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "pieces had been reported, so no retry"
    );

    let server = ReplayServer::start(vec![Reply::Status(
        400,
        vec![],
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}"#.into(),
    )]);
    match anthropic(&server).complete(&request()).unwrap_err() {
        Error::Provider {
            status: Some(400),
            message,
            model,
            ..
        } => {
            assert!(message.contains("max_tokens: too large"));
            assert_eq!(model, "claude-sonnet-4-5");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn retries_stop_at_the_limit() {
    let server = ReplayServer::start(vec![]);
    let model = ChatModel::openai("gpt-4o")
        .base_url(&server.base)
        .max_retries(2)
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    let err = model.complete(&request()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Provider {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn breaking_from_the_callback_cancels() {
    let server = ReplayServer::start(vec![Reply::recorded("anthropic_tool_use.sse")]);
    let err = anthropic(&server)
        .stream(&request(), &mut |_| ControlFlow::Break(()))
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled));
}

#[test]
fn bad_requests_and_settings_are_refused_before_sending() {
    assert!(matches!(
        ChatModel::anthropic("").build(),
        Err(Error::InvalidArgument { name, .. }) if name == "model"
    ));
    assert!(matches!(
        ChatModel::openai("m").base_url("not a url").build(),
        Err(Error::InvalidArgument { name, .. }) if name == "base_url"
    ));
    let model = ChatModel::openai("m")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let mut r = request();
    r.messages.clear();
    assert!(
        matches!(model.complete(&r), Err(Error::InvalidArgument { name, .. }) if name == "messages")
    );
}

#[test]
fn a_client_without_a_key_fails_when_built_naming_the_variable() {
    for (built, variable) in [
        (ChatModel::anthropic("m").build(), "ANTHROPIC_API_KEY"),
        (
            ChatModel::anthropic("m").api_key(" ").build(),
            "ANTHROPIC_API_KEY",
        ),
        (ChatModel::openai("gpt-4o").build(), "OPENAI_API_KEY"),
    ] {
        match built {
            Err(Error::InvalidArgument { name, message }) => {
                assert_eq!(name, "api_key");
                assert!(message.contains(variable), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    // A local OpenAI-compatible server takes no key; a proxy may take a header.
    assert!(ChatModel::openai("llama3")
        .base_url("http://127.0.0.1:11434/v1")
        .build()
        .is_ok());
    assert!(ChatModel::anthropic("m")
        .header("Authorization", "Bearer t")
        .build()
        .is_ok());
}

#[test]
fn a_name_that_does_not_resolve_is_not_retried() {
    let model = ChatModel::anthropic("m")
        .api_key("k")
        .base_url("http://infrarag-test.invalid")
        .backoff(Duration::from_millis(200), Duration::from_millis(400))
        .build()
        .unwrap();
    let mut retries = 0;
    let err = model
        .stream(&request(), &mut |d| {
            if matches!(d, Delta::Retrying { .. }) {
                retries += 1;
            }
            std::ops::ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::Provider { status: None, message, .. } if message.contains("dns error")),
        "{err}"
    );
    assert_eq!(retries, 0, "{err}");
}

#[test]
fn a_silent_server_times_out_and_is_retried() {
    let server = ReplayServer::start(vec![
        Reply::Hang(Duration::from_secs(5)),
        Reply::recorded("anthropic_text.sse"),
    ]);
    let model = ChatModel::anthropic("claude-sonnet-4-5")
        .api_key("k")
        .base_url(&server.base)
        .timeout(Duration::from_millis(300))
        .backoff(Duration::from_millis(1), Duration::from_millis(2))
        .build()
        .unwrap();
    let start = Instant::now();
    let done = model.complete(&request()).unwrap();
    assert!(done.text().contains("acme-logs"));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!(server.requests().len(), 2);

    let server = ReplayServer::start(vec![Reply::Hang(Duration::from_secs(5))]);
    let model = ChatModel::anthropic("m")
        .api_key("k")
        .base_url(&server.base)
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    match model.complete(&request()).unwrap_err() {
        Error::Provider {
            status: None,
            message,
            ..
        } => assert!(message.contains("timed out"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn requests_from_json_take_the_short_forms_and_refuse_other_shapes() {
    let r = Request::from_json(
        json!({"system": "Be brief.", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .unwrap();
    assert_eq!(
        r.system,
        vec![SystemPart {
            text: "Be brief.".into(),
            cache: false
        }]
    );
    assert_eq!(r.messages, vec![Message::user("hi")]);
    assert_eq!(r.max_tokens, 4096);
    assert_eq!(
        Request::from_json(json!("hello")).unwrap(),
        Request::new("hello")
    );
    for bad in [
        json!([1, 2]),
        json!({"messages": [{"role": "robot", "content": "x"}]}),
    ] {
        assert!(
            matches!(Request::from_json(bad), Err(Error::InvalidArgument { name, .. }) if name == "request")
        );
    }
}

#[test]
fn a_wait_before_retrying_is_reported_and_can_be_cancelled() {
    let overloaded = || {
        Reply::Status(
            529,
            vec![("retry-after".into(), "30".into())],
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.into(),
        )
    };
    // Stopping at the first report ends the call without waiting the 30 s
    // the server asked for, and without a second request.
    let server = ReplayServer::start(vec![overloaded(), Reply::recorded("anthropic_text.sse")]);
    let mut seen = Vec::new();
    let err = anthropic(&server)
        .stream(&request(), &mut |d| {
            seen.push(d.clone());
            ControlFlow::Break(())
        })
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err:?}");
    assert_eq!(server.requests().len(), 1);
    match &seen[..] {
        [Delta::Retrying {
            attempt: 1,
            wait_ms,
            reason,
        }] => {
            assert!((29_000..=30_000).contains(wait_ms), "{wait_ms}");
            assert!(reason.contains("Overloaded"), "{reason}");
        }
        other => panic!("expected one retrying delta, got {other:?}"),
    }

    // Left to wait, the call reports the countdown, then retries.
    let server = ReplayServer::start(vec![
        Reply::Status(
            429,
            vec![("retry-after".into(), "1.5".into())],
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#.into(),
        ),
        Reply::recorded("anthropic_text.sse"),
    ]);
    let (out, deltas) = streamed(&anthropic(&server), &request());
    assert!(out.unwrap().text().contains("acme-logs"));
    let waits: Vec<u64> = deltas
        .iter()
        .filter_map(|d| match d {
            Delta::Retrying {
                attempt: 1,
                wait_ms,
                ..
            } => Some(*wait_ms),
            _ => None,
        })
        .collect();
    assert_eq!(
        waits.len(),
        2,
        "reported at 1.5 s and once a second after: {waits:?}"
    );
    assert!(waits[0] > waits[1] && waits[1] <= 500, "{waits:?}");
    assert!(matches!(deltas.last(), Some(Delta::Text { .. })));
    assert_eq!(server.requests().len(), 2);
}

/// Past `max_retry_after` (60 s unless set) a server's wait is not sat out:
/// the call fails at once, and the error says how long the server asked.
#[test]
fn a_retry_after_past_the_cap_fails_at_once_with_the_wait() {
    let limited = |after: &str| {
        Reply::Status(
            429,
            vec![("retry-after".into(), after.into())],
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#.into(),
        )
    };
    let server = ReplayServer::start(vec![limited("3600"), Reply::recorded("anthropic_text.sse")]);
    let (out, deltas) = streamed(&anthropic(&server), &request());
    match out.unwrap_err() {
        Error::Provider {
            status: Some(429),
            retry_after_ms,
            message,
            ..
        } => {
            assert_eq!(retry_after_ms, Some(3_600_000));
            assert!(message.contains("longer than the 60.0 s"), "{message}");
        }
        other => panic!("{other}"),
    }
    assert!(deltas.is_empty(), "{deltas:?}");
    assert_eq!(server.requests().len(), 1);

    let server = ReplayServer::start(vec![limited("0.05"), Reply::recorded("anthropic_text.sse")]);
    let model = ChatModel::anthropic("m")
        .api_key("k")
        .base_url(&server.base)
        .max_retry_after(Duration::from_millis(100))
        .build()
        .unwrap();
    assert!(model
        .complete(&request())
        .unwrap()
        .text()
        .contains("acme-logs"));
    assert_eq!(server.requests().len(), 2);
}
