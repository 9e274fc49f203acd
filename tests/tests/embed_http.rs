//! HttpEmbedder against a local server speaking OpenAI's embeddings
//! protocol: order, batching, the concurrency limit, headers, retries on
//! 429/5xx honouring Retry-After, typed errors, timeouts, bad bodies, and
//! an index embedding through it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use infrarag::embed::{Embedder, HttpEmbedder};
use infrarag::index::{Index, SearchMode};
use infrarag::Error;
use serde_json::{json, Value};

/// What the server does with the n-th request (0-based).
enum Reply {
    /// Embeddings of the inputs, listed in reverse with their indexes.
    Embeddings,
    Status(u16, Vec<(&'static str, &'static str)>, &'static str),
    Body(&'static str),
    Hang(Duration),
}

struct Seen {
    at: Instant,
    headers: Vec<(String, String)>,
    body: Value,
}

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    most_in_flight: Arc<AtomicUsize>,
}

/// The server's vector of a text: its length, its count of `a`, and 1.
fn vector_of(text: &str) -> Vec<f32> {
    vec![text.len() as f32, text.matches('a').count() as f32, 1.0]
}

fn serve(delay: Duration, script: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/embeddings", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let script = Arc::new(script);
    let (s, f, m) = (seen.clone(), in_flight.clone(), most.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (s, f, m, script) = (s.clone(), f.clone(), m.clone(), script.clone());
            std::thread::spawn(move || {
                let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                handle(stream, delay, &s, &*script);
                f.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Server {
        url,
        seen,
        most_in_flight: most,
    }
}

fn handle(
    stream: TcpStream,
    delay: Duration,
    seen: &Mutex<Vec<Seen>>,
    script: &dyn Fn(usize) -> Reply,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':').unwrap();
        let (name, value) = (name.to_ascii_lowercase(), value.trim().to_string());
        if name == "content-length" {
            length = value.parse().unwrap();
        }
        headers.push((name, value));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let n = {
        let mut seen = seen.lock().unwrap();
        seen.push(Seen {
            at: Instant::now(),
            headers,
            body: body.clone(),
        });
        seen.len() - 1
    };
    std::thread::sleep(delay);
    let (status, extra, text) = match script(n) {
        Reply::Embeddings => {
            let inputs = body["input"].as_array().unwrap();
            let data: Vec<Value> = inputs
                .iter()
                .enumerate()
                .rev()
                .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector_of(t.as_str().unwrap())}))
                .collect();
            let out = json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}});
            (200, vec![], out.to_string())
        }
        Reply::Status(code, headers, body) => (code, headers, body.to_string()),
        Reply::Body(body) => (200, vec![], body.to_string()),
        Reply::Hang(d) => {
            std::thread::sleep(d);
            return;
        }
    };
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nx-request-id: req-{n}\r\n",
        text.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let _ = out.write_all(format!("{head}\r\n{text}").as_bytes());
}

fn embedder(server: &Server) -> infrarag::embed::HttpEmbedderBuilder {
    HttpEmbedder::builder(&server.url, "test-embed")
        .dimension(3)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
}

#[test]
fn texts_are_batched_concurrently_and_come_back_in_order() {
    let server = serve(Duration::from_millis(150), |_| Reply::Embeddings);
    let e = embedder(&server)
        .api_key("sk-test")
        .header("x-team", "infra")
        .batch_size(3)
        .concurrency(2)
        .build()
        .unwrap();
    assert_eq!(
        (e.model(), e.dimension(), e.batch_size()),
        ("test-embed", 3, 6)
    );
    let texts: Vec<String> = (0..10)
        .map(|i| "a".repeat(i) + &"b".repeat(i % 3))
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = e.embed(&refs).unwrap();
    let want: Vec<Vec<f32>> = texts.iter().map(|t| vector_of(t)).collect();
    assert_eq!(vectors, want);
    let seen = server.seen.lock().unwrap();
    let sizes: Vec<usize> = seen
        .iter()
        .map(|s| s.body["input"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), 10);
    assert!(sizes.iter().all(|&n| n <= 3), "{sizes:?}");
    assert_eq!(server.most_in_flight.load(Ordering::SeqCst), 2);
    for s in seen.iter() {
        assert_eq!(s.body["model"], "test-embed");
        assert_eq!(s.body["encoding_format"], "float");
        let header = |name: &str| {
            s.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("authorization"), Some("Bearer sk-test"));
        assert_eq!(header("x-team"), Some("infra"));
    }
}

#[test]
fn rate_limits_and_server_errors_are_retried_as_the_server_asks() {
    let server = serve(Duration::ZERO, |n| match n {
        0 => Reply::Status(
            429,
            vec![("retry-after", "1")],
            r#"{"error":{"message":"slow down"}}"#,
        ),
        1 => Reply::Status(503, vec![], "overloaded"),
        2 => Reply::Status(500, vec![("retry-after-ms", "300")], "{}"),
        _ => Reply::Embeddings,
    });
    let e = embedder(&server).build().unwrap();
    assert_eq!(e.embed(&["abc"]).unwrap(), vec![vector_of("abc")]);
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    let gap = |i: usize| seen[i + 1].at - seen[i].at;
    assert!(
        gap(0) >= Duration::from_millis(950),
        "Retry-After: 1 waited {:?}",
        gap(0)
    );
    assert!(
        gap(1) < Duration::from_millis(500),
        "the backoff is 10-50 ms: {:?}",
        gap(1)
    );
    assert!(
        gap(2) >= Duration::from_millis(280),
        "retry-after-ms waited {:?}",
        gap(2)
    );
}

fn provider_error(err: Error) -> (Option<u16>, Option<String>, String) {
    match err {
        Error::Provider {
            status,
            request_id,
            message,
            model,
            ..
        } => {
            assert_eq!(model, "test-embed");
            (status, request_id, message)
        }
        other => panic!("not a provider error: {other}"),
    }
}

#[test]
fn client_errors_are_typed_and_not_retried() {
    let server = serve(Duration::ZERO, |_| {
        Reply::Status(
            401,
            vec![],
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#,
        )
    });
    let err = embedder(&server)
        .build()
        .unwrap()
        .embed(&["x"])
        .unwrap_err();
    assert_eq!(err.code(), "PROVIDER_ERROR");
    assert!(err.to_string().contains("request req-0"), "{err}");
    let (status, id, message) = provider_error(err);
    assert_eq!((status, id.as_deref()), (Some(401), Some("req-0")));
    assert!(message.contains("Incorrect API key provided"), "{message}");
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[test]
fn retries_end_and_the_last_failure_is_reported() {
    let server = serve(Duration::ZERO, |_| {
        Reply::Status(502, vec![], "bad gateway")
    });
    let err = embedder(&server)
        .max_retries(2)
        .build()
        .unwrap()
        .embed(&["x"])
        .unwrap_err();
    let (status, id, message) = provider_error(err);
    assert_eq!((status, id.as_deref()), (Some(502), Some("req-2")));
    assert!(message.contains("bad gateway"), "{message}");
    assert_eq!(server.seen.lock().unwrap().len(), 3);
}

#[test]
fn timeouts_and_unusable_answers_fail_clearly() {
    let server = serve(Duration::ZERO, |n| match n {
        0 => Reply::Hang(Duration::from_secs(3)),
        _ => Reply::Embeddings,
    });
    let e = embedder(&server)
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    let (status, _, message) = provider_error(e.embed(&["x"]).unwrap_err());
    assert_eq!(status, None);
    assert!(
        message.contains("timed out") || message.contains("timeout"),
        "{message}"
    );

    for (body, wanted) in [
        ("<html>oops</html>", "not an embeddings list"),
        (r#"{"data":[]}"#, "returned 0 embeddings for 1 inputs"),
        (
            r#"{"data":[{"embedding":[1,2],"index":0}]}"#,
            "2 dimensions, not 3",
        ),
        (
            r#"{"data":[{"embedding":[1,2,3],"index":4}]}"#,
            "index 4 is out of range",
        ),
    ] {
        let server = serve(Duration::ZERO, move |_| Reply::Body(body));
        let err = embedder(&server)
            .build()
            .unwrap()
            .embed(&["x"])
            .unwrap_err();
        assert!(err.to_string().contains(wanted), "{body}: {err}");
        assert_eq!(server.seen.lock().unwrap().len(), 1, "{body} was retried");
    }
    let err = HttpEmbedder::builder("not a url", "m").build().unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
}

#[test]
fn the_dimension_is_asked_of_the_endpoint_when_not_given() {
    let server = serve(Duration::ZERO, |_| Reply::Embeddings);
    let e = HttpEmbedder::builder(&server.url, "probe").build().unwrap();
    assert_eq!(e.dimension(), 3);
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[test]
fn an_index_embeds_through_the_endpoint() {
    let server = serve(Duration::ZERO, |_| Reply::Embeddings);
    let dir = std::env::temp_dir().join(format!("infrarag-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/a.tf"), "variable \"aaaa\" {}\n").unwrap();
    std::fs::write(dir.join("src/b.tf"), "variable \"b\" {}\n").unwrap();
    let file = dir.join("idx");
    let e = Arc::new(embedder(&server).build().unwrap());
    let mut index = Index::builder().embedder(e.clone()).open(&file).unwrap();
    let report = index.add_path(dir.join("src")).execute().unwrap();
    assert_eq!(report.chunks, 2);
    // Two chunks, each text and summary: one request of 4 inputs.
    let inputs: usize = server
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.body["input"].as_array().unwrap().len())
        .sum();
    assert_eq!(inputs, 4);
    let hits = index
        .search("aaaa")
        .mode(SearchMode::Vector)
        .k(2)
        .execute()
        .unwrap();
    assert_eq!(hits.len(), 2);
    drop(index);
    let err = Index::open(&file)
        .err()
        .expect("the hashing embedder is refused");
    assert!(
        err.to_string().contains("test-embed (3 dimensions)"),
        "{err}"
    );

    let down = HttpEmbedder::builder("http://127.0.0.1:9/v1/embeddings", "test-embed")
        .dimension(3)
        .max_retries(1)
        .backoff(Duration::from_millis(5), Duration::from_millis(5))
        .build()
        .unwrap();
    let mut index = Index::builder()
        .embedder(Arc::new(down))
        .open(&file)
        .unwrap();
    std::fs::write(dir.join("src/c.tf"), "variable \"c\" {}\n").unwrap();
    let err = index.add_path(dir.join("src")).execute().unwrap_err();
    assert_eq!(err.code(), "PROVIDER_ERROR");
    assert_eq!(
        index.sources().len(),
        2,
        "a failed ingestion changes nothing"
    );
}

/// A server asking for a longer wait than the client honours fails the
/// call at once, the error carrying the wait asked for.
#[test]
fn a_retry_after_past_the_cap_fails_at_once_with_the_wait() {
    let server = serve(Duration::ZERO, |n| match n {
        0 => Reply::Status(
            429,
            vec![("retry-after", "2")],
            r#"{"error":{"message":"slow down"}}"#,
        ),
        _ => Reply::Embeddings,
    });
    let e = embedder(&server)
        .max_retry_after(Duration::from_millis(500))
        .build()
        .unwrap();
    match e.embed(&["abc"]).unwrap_err() {
        Error::Provider {
            status,
            retry_after_ms,
            message,
            ..
        } => {
            assert_eq!(status, Some(429));
            assert_eq!(retry_after_ms, Some(2000));
            assert!(message.contains("asked to wait 2.0 s"), "{message}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}
