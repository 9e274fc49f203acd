//! A local HTTP server that answers each request with the next scripted
//! reply: a recorded event stream from `fixtures/llm`, a status, or a cut
//! connection. It records what each request carried.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// What the server sends for one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this `text/event-stream` body.
    Stream(String),
    /// This status, these headers and this body.
    Status(u16, Vec<(String, String)>, String),
    /// Nothing for this long, then the connection closes.
    Hang(std::time::Duration),
}

impl Reply {
    /// A recorded stream from `tests/fixtures/llm`.
    pub fn recorded(name: &str) -> Reply {
        Reply::Stream(fixture(name))
    }
}

/// The text of `tests/fixtures/llm/<name>`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/llm")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct ReplayServer {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl ReplayServer {
    /// Serves `replies` in order; requests past the end get a 500.
    pub fn start(replies: Vec<Reply>) -> ReplayServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let replies = Arc::new(Mutex::new(replies.into_iter()));
        let s = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (s, r) = (s.clone(), replies.clone());
                std::thread::spawn(move || handle(stream, &s, &r));
            }
        });
        ReplayServer { base, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

fn handle(stream: TcpStream, seen: &Mutex<Vec<Seen>>, replies: &Mutex<std::vec::IntoIter<Reply>>) {
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            let (name, value) = (name.to_ascii_lowercase(), value.trim().to_string());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    seen.lock().expect("seen").push(Seen {
        path,
        headers,
        body,
    });
    let reply = replies.lock().expect("replies").next();
    if let Some(Reply::Hang(d)) = reply {
        std::thread::sleep(d);
        return;
    }
    let (status, extra, text, kind) = match reply {
        Some(Reply::Hang(_)) => return,
        Some(Reply::Stream(text)) => (200, Vec::new(), text, "text/event-stream"),
        Some(Reply::Status(code, headers, body)) => (code, headers, body, "application/json"),
        None => (
            500,
            Vec::new(),
            "{\"error\":{\"message\":\"no reply scripted\"}}".into(),
            "application/json",
        ),
    };
    let mut head = format!(
        "HTTP/1.1 {status} S\r\ncontent-type: {kind}\r\nconnection: close\r\nrequest-id: req_{}\r\n",
        seen.lock().expect("seen").len()
    );
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = stream;
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
}
