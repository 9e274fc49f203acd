//! The crate's one public error type. Every fallible public function returns
//! [`Result<T>`]; variants carry structured fields so callers can branch on them.

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;

/// Everything that can go wrong in infrarag.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The source has syntax errors; `diagnostics` holds every one, in order.
    #[error("{}", parse_message(path.as_deref(), diagnostics))]
    Parse {
        path: Option<PathBuf>,
        diagnostics: Vec<Diagnostic>,
    },
    /// The input bytes are not UTF-8.
    #[error("{}invalid UTF-8 at line {line}, column {column} (byte {byte})", prefix(path.as_deref()))]
    InvalidUtf8 {
        path: Option<PathBuf>,
        byte: usize,
        line: usize,
        column: usize,
    },
    /// A file or directory could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An argument was out of its allowed range or form.
    #[error("invalid argument `{name}`: {message}")]
    InvalidArgument { name: String, message: String },
    /// An embedder failed or returned vectors that cannot be used.
    #[error("embedder {model}: {message}")]
    Embed { model: String, message: String },
    /// A remote model service (an embeddings or chat endpoint) failed after
    /// its retries; `status` is the last HTTP status, when one came back,
    /// and `request_id` the id the service gave the request.
    /// `retry_after_ms` is the wait the service asked for when it was longer
    /// than the client honours (`max_retry_after`), so the call failed at
    /// once.
    #[error("{provider} ({model}){}: {message}", request_id.as_deref().map(|r| format!(" request {r}")).unwrap_or_default())]
    Provider {
        provider: String,
        model: String,
        status: Option<u16>,
        request_id: Option<String>,
        message: String,
        retry_after_ms: Option<u32>,
    },
    /// A store could not read or write; `path` is its file, when it has one.
    #[error("{}{message}", prefix(path.as_deref()))]
    Storage {
        path: Option<PathBuf>,
        message: String,
    },
    /// A progress callback asked to stop; nothing was returned.
    #[error("cancelled")]
    Cancelled,
    /// A tool the host gave the generation loop failed; the loop reports
    /// `message` to the model as the call's result.
    #[error("{message}")]
    Tool { name: String, message: String },
    /// The call would have had to wait for other work on the same object
    /// (an ingestion into a shared index) and was asked not to.
    #[error("busy: {message}")]
    Busy { message: String },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable machine-readable code for the variant, used by the bindings.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Parse { .. } => "PARSE_ERROR",
            Error::InvalidUtf8 { .. } => "INVALID_UTF8",
            Error::Io { .. } => "IO_ERROR",
            Error::InvalidArgument { .. } => "INVALID_ARGUMENT",
            Error::Embed { .. } => "EMBED_ERROR",
            Error::Storage { .. } => "STORAGE_ERROR",
            Error::Provider { .. } => "PROVIDER_ERROR",
            Error::Cancelled => "CANCELLED",
            Error::Busy { .. } => "BUSY",
            Error::Tool { .. } => "TOOL_ERROR",
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
