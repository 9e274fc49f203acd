//! The crate's one public error type. Every fallible public function returns
//! [`Result<T>`]; variants carry structured fields so callers can branch on them.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use crate::diagnostic::{Diagnostic, DiagnosticCode, Pos, Span};

/// Everything that can go wrong in infrarag.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source has syntax errors; `diagnostics` holds every one, in order.
    #[error("{}", parse_message(path.as_deref(), diagnostics))]
    Parse {
        /// The file, when the text came from one.
        path: Option<PathBuf>,
        /// Every syntax error, in source order.
        diagnostics: Vec<Diagnostic>,
    },
    /// An expression has no value: a function refused its arguments, an
    /// attribute or index does not exist, types do not convert.
    /// `diagnostics` say where, with Terraform's summary for each.
    #[error("{}", parse_message(path.as_deref(), diagnostics))]
    Evaluation {
        /// The file, when the expression came from one.
        path: Option<PathBuf>,
        /// Each error, in the order found.
        diagnostics: Vec<Diagnostic>,
    },
    /// The input bytes are not UTF-8.
    #[error("{}invalid UTF-8 at line {line}, column {column} (byte {byte})", prefix(path.as_deref()))]
    InvalidUtf8 {
        /// The file, when the bytes came from one.
        path: Option<PathBuf>,
        /// 0-based offset of the first byte that is not UTF-8.
        byte: usize,
        /// Its 1-based line.
        line: usize,
        /// Its 1-based column, in characters.
        column: usize,
    },
    /// A file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// An argument was out of its allowed range or form.
    #[error("invalid argument `{name}`: {message}")]
    InvalidArgument {
        /// The argument's name, as the caller's language spells it.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// An embedder failed or returned vectors that cannot be used.
    #[error("embedder {model}: {message}")]
    Embed {
        /// The embedder's model id.
        model: String,
        /// What went wrong.
        message: String,
    },
    /// A remote service (an embeddings or chat endpoint, or a cloud API an
    /// inventory lists) failed after its retries; `status` is the last HTTP
    /// status, when one came back, and `request_id` the id the service gave
    /// the request. For a cloud API, `model` names the operation
    /// (`ec2:DescribeInstances`) and the message starts with the service's
    /// error code (`AccessDenied`).
    /// `retry_after_ms` is the wait the service asked for when it was longer
    /// than the client honours (`max_retry_after`), so the call failed at
    /// once.
    #[error("{provider} ({model}){}: {message}", request_id.as_deref().map(|r| format!(" request {r}")).unwrap_or_default())]
    Provider {
        /// The service's host.
        provider: String,
        /// The model asked for, or a cloud API's operation.
        model: String,
        /// The last HTTP status, when one came back.
        status: Option<u16>,
        /// The id the service gave the request, when it sent one.
        request_id: Option<String>,
        /// What the service said, or what failed.
        message: String,
        /// The wait asked for, in milliseconds, when past the client's cap.
        retry_after_ms: Option<u32>,
    },
    /// A store could not read or write; `path` is its file, when it has one.
    #[error("{}{message}", prefix(path.as_deref()))]
    Storage {
        /// The store's file, when it has one.
        path: Option<PathBuf>,
        /// What went wrong.
        message: String,
    },
    /// PostgreSQL refused or failed a request (store::postgres);
    /// `sqlstate` is the server's five-character code, when it sent one
    /// (`28P01` bad password, `57014` statement timeout, …).
    #[error("{message}")]
    Database {
        /// The SQLSTATE the server answered with; `None` when the request
        /// never reached it (unreachable, TLS) or the library refused it.
        sqlstate: Option<String>,
        /// What went wrong.
        message: String,
    },
    /// A progress callback asked to stop; nothing was returned.
    #[error("cancelled")]
    Cancelled,
    /// A tool the host gave the generation loop failed; the loop reports
    /// `message` to the model as the call's result.
    #[error("{message}")]
    Tool {
        /// The tool's name.
        name: String,
        /// What it raised or threw.
        message: String,
    },
    /// A collection from a host failed: it could not be reached
    /// (`TRANSPORT_ERROR`), a command failed (`COMMAND_ERROR`) or ran past
    /// its timeout (`COMMAND_TIMEOUT`), or its output did not parse
    /// (`OUTPUT_ERROR`).
    #[error("{0}")]
    Collect(Box<CollectError>),
    /// The call would have had to wait for other work on the same object
    /// (an ingestion into a shared index) and was asked not to.
    #[error("busy: {message}")]
    Busy {
        /// What the call would have waited for.
        message: String,
    },
    /// A bug in infrarag: one of its own checks failed (a Rust panic) and
    /// [`catch_panic`] stopped the call there instead of letting the panic
    /// reach the host process. Whatever the call was writing is not
    /// committed.
    #[error("internal error, a bug in infrarag (please report it): {message}")]
    Internal {
        /// The failed check's message.
        message: String,
    },
}

/// Runs `work`; a panic inside it becomes [`Error::Internal`]. The
/// bindings run every call into the core through it: a panic that reached
/// them would abort a Node process, and reach Python as a
/// `PanicException`, which `except Exception` does not catch.
pub fn catch_panic<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    // A panic leaves no half-made value behind: writers commit only at
    // their end, and a lock the panic poisoned fails the calls after it
    // with an error, not with wrong data.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Err(Error::Internal { message })
    })
}

/// Why a collection failed, before the service names the host and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The transport failed: the host is unreachable or the connection broke.
    Transport(String),
    /// The host offered a key that is not trusted: unknown, or changed.
    HostKey {
        /// The SHA-256 fingerprint of the key offered.
        fingerprint: String,
        /// Why it was refused.
        message: String,
    },
    /// The host accepted none of the keys offered.
    Auth(String),
    /// A command ran past its timeout.
    TimedOut {
        /// The command line.
        command: String,
        /// How long it was given.
        after: std::time::Duration,
    },
    /// A command could not start, or exited with a status the method does
    /// not accept.
    Command {
        /// The command line.
        command: String,
        /// Its exit status (127: not found); `None` when it never ran.
        status: Option<i32>,
        /// What it wrote to stderr, or why it could not start.
        stderr: String,
    },
    /// A command's output did not parse.
    Output {
        /// The command line.
        command: String,
        /// The 1-based line of the output.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// A collection that failed on a host: the host, the method and the
/// [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectError {
    /// The host collected from.
    pub host: String,
    /// The method.
    pub method: String,
    /// What went wrong.
    pub problem: Problem,
}

impl std::fmt::Display for CollectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (host, method) = (&self.host, &self.method);
        match &self.problem {
            Problem::Transport(message) => write!(f, "{host}: {method}: cannot reach the host: {message}"),
            Problem::HostKey { message, .. } => write!(f, "{host}: {method}: host key refused: {message}"),
            Problem::Auth(message) => write!(f, "{host}: {method}: authentication failed: {message}"),
            Problem::TimedOut { command, after } => write!(
                f,
                "{host}: {method}: `{command}` ran past its {:.1} s timeout and was stopped",
                after.as_secs_f64()
            ),
            Problem::Command { command, status, stderr } => {
                let why = match status {
                    Some(127) => "is not installed (exit status 127)".to_string(),
                    Some(126) => "cannot be run: permission denied (exit status 126)".to_string(),
                    Some(s) => format!("exited with status {s}"),
                    None => "could not be started".to_string(),
                };
                write!(f, "{host}: {method}: `{command}` {why}")?;
                if !stderr.is_empty() {
                    write!(f, ": {stderr}")?;
                }
                Ok(())
            }
            Problem::Output { command, line, message } => write!(
                f,
                "{host}: {method}: the output of `{command}` does not parse at line {line}: {message}"
            ),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable machine-readable code for the variant, used by the bindings.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Parse { .. } => "PARSE_ERROR",
            Error::Evaluation { .. } => "EVALUATION_ERROR",
            Error::InvalidUtf8 { .. } => "INVALID_UTF8",
            Error::Io { .. } => "IO_ERROR",
            Error::InvalidArgument { .. } => "INVALID_ARGUMENT",
            Error::Embed { .. } => "EMBED_ERROR",
            Error::Storage { .. } => "STORAGE_ERROR",
            Error::Database { .. } => "DATABASE_ERROR",
            Error::Provider { .. } => "PROVIDER_ERROR",
            Error::Cancelled => "CANCELLED",
            Error::Busy { .. } => "BUSY",
            Error::Internal { .. } => "INTERNAL_ERROR",
            Error::Tool { .. } => "TOOL_ERROR",
            Error::Collect(c) => match c.problem {
                Problem::Transport(_) => "TRANSPORT_ERROR",
                Problem::HostKey { .. } => "HOST_KEY_ERROR",
                Problem::Auth(_) => "AUTH_ERROR",
                Problem::TimedOut { .. } => "COMMAND_TIMEOUT",
                Problem::Command { .. } => "COMMAND_ERROR",
                Problem::Output { .. } => "OUTPUT_ERROR",
            },
        }
    }

    /// The exception class the bindings raise for this error, one per
    /// family of codes: `ParseError` (`PARSE_ERROR`, `INVALID_UTF8`),
    /// `StorageError` (`IO_ERROR`, `STORAGE_ERROR`, `DATABASE_ERROR`),
    /// `InvalidArgumentError`,
    /// `EmbedError`, `ProviderError`, `CancelledError`, `ToolError`,
    /// `BusyError`, `InternalError`.
    pub fn class_name(&self) -> &'static str {
        match self {
            Error::Parse { .. } | Error::InvalidUtf8 { .. } => "ParseError",
            Error::Evaluation { .. } => "EvaluationError",
            Error::Io { .. } | Error::Storage { .. } | Error::Database { .. } => "StorageError",
            Error::InvalidArgument { .. } => "InvalidArgumentError",
            Error::Embed { .. } => "EmbedError",
            Error::Provider { .. } => "ProviderError",
            Error::Cancelled => "CancelledError",
            Error::Tool { .. } => "ToolError",
            Error::Busy { .. } => "BusyError",
            Error::Internal { .. } => "InternalError",
            Error::Collect(c) => match c.problem {
                Problem::Transport(_) => "TransportError",
                Problem::HostKey { .. } => "HostKeyError",
                Problem::Auth(_) => "AuthError",
                Problem::TimedOut { .. } => "CommandTimeoutError",
                Problem::Command { .. } => "CommandError",
                Problem::Output { .. } => "OutputError",
            },
        }
    }

    /// The positioned problems behind a parse error: its diagnostics, or
    /// one `invalid_utf8` diagnostic at the first bad byte.
    pub fn diagnostics(&self) -> Option<Vec<Diagnostic>> {
        match self {
            Error::Parse { diagnostics, .. } | Error::Evaluation { diagnostics, .. } => {
                Some(diagnostics.clone())
            }
            Error::InvalidUtf8 {
                byte, line, column, ..
            } => {
                let at = Pos {
                    byte: *byte,
                    line: *line,
                    column: *column,
                };
                let span = Span { start: at, end: at };
                Some(vec![Diagnostic::error(
                    DiagnosticCode::InvalidUtf8,
                    span,
                    "invalid UTF-8".into(),
                )])
            }
            _ => None,
        }
    }

    /// What the error carries besides its message and code, by snake_case
    /// name, as the bindings copy it onto their exceptions: `path` and
    /// `diagnostics` (parse errors), `path` and `sqlstate` (storage), `argument`,
    /// `model` (embedder), `provider`, `model`, `status`, `request_id` and
    /// `retry_after` in seconds (provider), `tool`. Absent values are null.
    pub fn fields(&self) -> Map<String, Value> {
        let path = |p: Option<&std::path::Path>| json!(p.map(|p| p.display().to_string()));
        let value = match self {
            Error::Parse { path: p, .. }
            | Error::InvalidUtf8 { path: p, .. }
            | Error::Evaluation { path: p, .. } => json!({
                "path": path(p.as_deref()),
                "diagnostics": self.diagnostics(),
            }),
            Error::Io { path: p, .. } => json!({ "path": path(Some(p)), "sqlstate": null }),
            Error::Storage { path: p, .. } => {
                json!({ "path": path(p.as_deref()), "sqlstate": null })
            }
            Error::Database { sqlstate, .. } => json!({ "path": null, "sqlstate": sqlstate }),
            Error::InvalidArgument { name, .. } => json!({ "argument": name }),
            Error::Embed { model, .. } => json!({ "model": model }),
            Error::Provider {
                provider,
                model,
                status,
                request_id,
                retry_after_ms,
                ..
            } => json!({
                "provider": provider,
                "model": model,
                "status": status,
                "request_id": request_id,
                "retry_after": retry_after_ms.map(|ms| f64::from(ms) / 1000.0),
            }),
            Error::Tool { name, .. } => json!({ "tool": name }),
            Error::Cancelled | Error::Busy { .. } | Error::Internal { .. } => json!({}),
            Error::Collect(c) => {
                let (host, method) = (&c.host, &c.method);
                match &c.problem {
                    Problem::Transport(_) | Problem::Auth(_) => {
                        json!({ "host": host, "method": method })
                    }
                    Problem::HostKey { fingerprint, .. } => json!({
                        "host": host, "method": method, "fingerprint": fingerprint,
                    }),
                    Problem::TimedOut { command, after } => json!({
                        "host": host, "method": method, "command": command,
                        "after": after.as_secs_f64(),
                    }),
                    Problem::Command {
                        command,
                        status,
                        stderr,
                    } => json!({
                        "host": host, "method": method, "command": command,
                        "status": status, "stderr": stderr,
                    }),
                    Problem::Output { command, line, .. } => json!({
                        "host": host, "method": method, "command": command, "line": line,
                    }),
                }
            }
        };
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

fn prefix(path: Option<&std::path::Path>) -> String {
    path.map(|p| format!("{}: ", p.display()))
        .unwrap_or_default()
}

fn parse_message(path: Option<&std::path::Path>, diagnostics: &[Diagnostic]) -> String {
    let name = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<input>".to_string());
    match diagnostics.first() {
        Some(d) => {
            let more = match diagnostics.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            format!(
                "{name}:{}:{}: {}{more}",
                d.span.start.line, d.span.start.column, d.message
            )
        }
        None => format!("{name}: syntax error"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_a_parse_error_with_one_positioned_diagnostic() {
        let e = Error::InvalidUtf8 {
            path: Some("a.tf".into()),
            byte: 7,
            line: 2,
            column: 3,
        };
        assert_eq!((e.class_name(), e.code()), ("ParseError", "INVALID_UTF8"));
        let fields = e.fields();
        assert_eq!(fields["path"], "a.tf");
        assert_eq!(fields["diagnostics"][0]["code"], "invalid_utf8");
        assert_eq!(fields["diagnostics"][0]["span"]["start"]["line"], 2);
        assert_eq!(fields["diagnostics"][0]["span"]["end"]["byte"], 7);
    }

    #[test]
    fn provider_fields_give_the_wait_in_seconds_and_nulls_for_what_is_unknown() {
        let e = Error::Provider {
            provider: "api.example".into(),
            model: "m".into(),
            status: None,
            request_id: None,
            message: "timed out".into(),
            retry_after_ms: Some(1500),
        };
        let fields = e.fields();
        assert_eq!(fields["retry_after"], 1.5);
        assert!(fields["status"].is_null() && fields["request_id"].is_null());
        assert_eq!(fields.len(), 5);
    }

    #[test]
    fn every_code_has_one_class() {
        let argument = Error::InvalidArgument {
            name: "k".into(),
            message: String::new(),
        };
        assert_eq!(argument.fields()["argument"], "k");
        assert_eq!(argument.class_name(), "InvalidArgumentError");
        assert!(Error::Cancelled.fields().is_empty());
    }

    #[test]
    fn a_panic_inside_catch_panic_is_an_internal_error_with_its_message() {
        let e = catch_panic::<()>(|| panic!("index {} out of range", 3)).unwrap_err();
        assert!(matches!(&e, Error::Internal { message } if message == "index 3 out of range"));
        assert_eq!(
            (e.code(), e.class_name()),
            ("INTERNAL_ERROR", "InternalError")
        );
        assert!(e.to_string().contains("a bug in infrarag"), "{e}");
        let e = catch_panic::<()>(|| std::panic::panic_any(7u8)).unwrap_err();
        assert!(matches!(&e, Error::Internal { message } if message.contains("without a message")));
        assert_eq!(catch_panic(|| Ok(5)).unwrap(), 5);
        assert!(matches!(
            catch_panic::<()>(|| Err(Error::Cancelled)),
            Err(Error::Cancelled)
        ));
    }
}

/// The error table of `tests/api.json`, which both bindings' parity tests
/// read, checked against every variant.
#[cfg(test)]
mod api_spec {
    use super::*;

    /// One of each variant; the match has no wildcard, so a new variant
    /// does not compile until it is listed here (and so in the spec).
    fn every_variant() -> Vec<Error> {
        let all = vec![
            Error::Parse {
                path: None,
                diagnostics: vec![],
            },
            Error::InvalidUtf8 {
                path: None,
                byte: 0,
                line: 1,
                column: 1,
            },
            Error::io("f", std::io::Error::other("x")),
            Error::InvalidArgument {
                name: "n".into(),
                message: String::new(),
            },
            Error::Embed {
                model: "m".into(),
                message: String::new(),
            },
            Error::Provider {
                provider: "p".into(),
                model: "m".into(),
                status: None,
                request_id: None,
                message: String::new(),
                retry_after_ms: None,
            },
            Error::Storage {
                path: None,
                message: String::new(),
            },
            Error::Database {
                sqlstate: Some("28P01".into()),
                message: String::new(),
            },
            Error::Cancelled,
            Error::Tool {
                name: "t".into(),
                message: String::new(),
            },
            Error::Busy {
                message: String::new(),
            },
            Error::Internal {
                message: String::new(),
            },
            Error::Evaluation {
                path: None,
                diagnostics: Vec::new(),
            },
        ];
        let collect = |problem: Problem| {
            Error::Collect(Box::new(CollectError {
                host: "h".into(),
                method: "m".into(),
                problem,
            }))
        };
        let command = "c".to_string();
        let all: Vec<Error> = all
            .into_iter()
            .chain([
                collect(Problem::Transport(String::new())),
                collect(Problem::HostKey {
                    fingerprint: String::new(),
                    message: String::new(),
                }),
                collect(Problem::Auth(String::new())),
                collect(Problem::TimedOut {
                    command: command.clone(),
                    after: std::time::Duration::ZERO,
                }),
                collect(Problem::Command {
                    command: command.clone(),
                    status: Some(1),
                    stderr: String::new(),
                }),
                collect(Problem::Output {
                    command,
                    line: 1,
                    message: String::new(),
                }),
            ])
            .collect();
        for e in &all {
            match e {
                Error::Parse { .. }
                | Error::Evaluation { .. }
                | Error::InvalidUtf8 { .. }
                | Error::Io { .. }
                | Error::InvalidArgument { .. }
                | Error::Embed { .. }
                | Error::Provider { .. }
                | Error::Storage { .. }
                | Error::Database { .. }
                | Error::Cancelled
                | Error::Tool { .. }
                | Error::Busy { .. }
                | Error::Internal { .. }
                | Error::Collect(_) => {}
            }
        }
        all
    }

    #[test]
    fn the_specs_error_table_is_the_cores() {
        let spec: Value = serde_json::from_str(include_str!("../../tests/api.json")).unwrap();
        let table = spec["errors"].as_object().unwrap();
        let mut listed: Vec<(String, String)> = table
            .iter()
            .flat_map(|(class, e)| {
                e["codes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |c| (class.clone(), c.as_str().unwrap().to_string()))
            })
            .collect();
        let mut made: Vec<(String, String)> = every_variant()
            .iter()
            .map(|e| (e.class_name().to_string(), e.code().to_string()))
            .collect();
        listed.sort();
        made.sort();
        assert_eq!(listed, made);
        for e in every_variant() {
            let mut fields: Vec<String> = e.fields().keys().cloned().collect();
            let mut spec_fields: Vec<String> = table[e.class_name()]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            fields.sort();
            spec_fields.sort();
            assert_eq!(fields, spec_fields, "{}", e.code());
        }
    }
}
