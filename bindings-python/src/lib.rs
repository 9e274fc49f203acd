//! Python bindings: converts types, maps errors to the `InfraragError`
//! hierarchy and releases the GIL around parsing. No logic lives here.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

mod generate;
mod store;
mod validate;

use infrarag::chunk::{self, ChunkConfig, Chunker};
use infrarag::embed::{Embedder, Hashing, HttpEmbedder};

use infrarag::hcl::{self, Dialect, LoadsOptions};
use infrarag::index::{Filter, Index, SearchMode, SharedIndex};
use infrarag::terraform::Module;
use infrarag::tokens;
use infrarag::{CancelToken, Error};

fn to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        serde_json::Value::Null => py.None(),
        serde_json::Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                let text = n.to_string();
                if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    // Integers beyond 64 bits: Python's int parses the digits.
                    py.import("builtins")?
                        .getattr("int")?
                        .call1((text,))?
                        .unbind()
                } else {
                    n.as_f64()
                        .unwrap_or(f64::NAN)
                        .into_pyobject(py)?
                        .into_any()
                        .unbind()
                }
            }
        }
        serde_json::Value::String(s) => s.into_pyobject(py)?.into_any().unbind(),
        serde_json::Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        serde_json::Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

fn serialize<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let json = serde_json::to_value(value).map_err(|e| {
        error_of(
            py,
            "InfraragError",
            e.to_string(),
            vec![],
            "SERIALIZE_ERROR",
        )
    })?;
    to_py(py, &json)
}

/// Instantiates one of the exception classes of `infrarag.errors`.
fn error_of(
    py: Python<'_>,
    class: &str,
    message: String,
    attrs: Vec<(&str, Py<PyAny>)>,
    code: &str,
) -> PyErr {
    let made = py
        .import("infrarag.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|cls| cls.call1((message.clone(),)));
    match made {
        Ok(value) => {
            let _ = value.setattr("code", code);
            for (k, v) in attrs {
                let _ = value.setattr(k, v);
            }
            PyErr::from_value(value)
        }
        Err(e) => e,
    }
}

/// Maps a core error to its Python exception, with structured attributes.
fn to_pyerr(py: Python<'_>, err: Error) -> PyErr {
    let message = err.to_string();
    let code = err.code();
    let (class, attrs): (&str, Vec<(&str, Py<PyAny>)>) = match &err {
        Error::Parse { path, diagnostics } => {
            let diags = serialize(py, diagnostics).unwrap_or_else(|_| py.None());
            (
                "ParseError",
                vec![
                    ("diagnostics", diags),
                    ("path", path_obj(py, path.as_ref())),
                ],
            )
        }
        Error::InvalidUtf8 {
            path,
            byte,
            line,
            column,
        } => {
            let diag = serde_json::json!([{
                "severity": "error",
                "code": "invalid_utf8",
                "message": "invalid UTF-8",
                "span": {"start": {"byte": byte, "line": line, "column": column},
                         "end": {"byte": byte, "line": line, "column": column}},
            }]);
            let diags = to_py(py, &diag).unwrap_or_else(|_| py.None());
            (
                "ParseError",
                vec![
                    ("diagnostics", diags),
                    ("path", path_obj(py, path.as_ref())),
                ],
            )
        }
        Error::Io { path, .. } => ("StorageError", vec![("path", path_obj(py, Some(path)))]),
        Error::Storage { path, .. } => {
            ("StorageError", vec![("path", path_obj(py, path.as_ref()))])
        }
        Error::Provider {
            provider,
            model,
            status,
            request_id,
            retry_after_ms,
            ..
        } => {
            let text = |v: Option<&str>| match v {
                Some(s) => s
                    .into_pyobject(py)
                    .map(|s| s.into_any().unbind())
                    .unwrap_or_else(|_| py.None()),
                None => py.None(),
            };
            let status = match status {
                Some(s) => s
                    .into_pyobject(py)
                    .map(|s| s.into_any().unbind())
                    .unwrap_or_else(|_| py.None()),
                None => py.None(),
            };
            (
                "ProviderError",
                vec![
                    ("provider", text(Some(provider))),
                    ("model", text(Some(model))),
                    ("status", status),
                    ("request_id", text(request_id.as_deref())),
                    (
                        "retry_after",
                        match retry_after_ms {
                            Some(ms) => (f64::from(*ms) / 1000.0)
                                .into_pyobject(py)
                                .map(|s| s.into_any().unbind())
                                .unwrap_or_else(|_| py.None()),
                            None => py.None(),
                        },
                    ),
                ],
            )
        }
        Error::Cancelled => ("CancelledError", vec![]),
        Error::Busy { .. } => ("BusyError", vec![]),
        Error::InvalidArgument { name, .. } => {
            let name = name
                .clone()
                .into_pyobject(py)
                .map(|n| n.into_any().unbind())
                .unwrap_or_else(|_| py.None());
            ("InvalidArgumentError", vec![("argument", name)])
        }
        _ => ("InfraragError", vec![]),
    };
    error_of(py, class, message, attrs, code)
}

/// A fresh copy of a dict or list the object keeps, so a caller's changes
/// to a `to_dict()` result do not reach the object.
pub(crate) fn deep_copy(py: Python<'_>, value: &Py<PyAny>) -> PyResult<Py<PyAny>> {
    Ok(py
        .import("copy")?
        .call_method1("deepcopy", (value.clone_ref(py),))?
        .unbind())
}

/// A whole-number argument (`default` when not given): a bool, a float, a
/// negative number or one past `usize` is an `InvalidArgumentError` naming
/// the argument, not an `OverflowError` or a wrapped value.
pub(crate) fn whole(
    py: Python<'_>,
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
    default: usize,
) -> PyResult<usize> {
    match value {
        None => Ok(default),
        Some(v) => whole_of(v).map_err(|message| {
            to_pyerr(
                py,
                Error::InvalidArgument {
                    name: name.into(),
                    message,
                },
            )
        }),
    }
}

/// `value` as a whole number, or why it is not one.
fn whole_of(value: &Bound<'_, PyAny>) -> Result<usize, String> {
    let shown = || value.repr().map(|r| r.to_string()).unwrap_or_default();
    if value.is_instance_of::<pyo3::types::PyBool>() {
        return Err(format!("expected a whole number, got {}", shown()));
    }
    match value.extract::<i128>() {
        Ok(n) if n < 0 => Err(format!("expected a whole number, got {n}")),
        Ok(n) => usize::try_from(n).map_err(|_| format!("{n} is too large")),
        Err(_) => Err(format!("expected a whole number, got {}", shown())),
    }
}

/// A whole-number argument, for `#[pyo3(from_py_with = ...)]`: a bool, a
/// float, a negative number or one past `usize` is an
/// `InvalidArgumentError` (pyo3 adds a note naming the argument), not an
/// `OverflowError` or a silently truncated value.
pub(crate) fn whole_number(value: &Bound<'_, PyAny>) -> PyResult<usize> {
    whole_of(value).map_err(|message| unnamed(value.py(), message))
}

/// [`whole_number`] that must also fit 32 bits (retry counts).
pub(crate) fn whole_u32(value: &Bound<'_, PyAny>) -> PyResult<u32> {
    let n = whole_number(value)?;
    u32::try_from(n).map_err(|_| unnamed(value.py(), format!("{n} is too large")))
}

/// An `InvalidArgumentError` for an argument whose name pyo3 adds as a note.
fn unnamed(py: Python<'_>, message: String) -> PyErr {
    error_of(
        py,
        "InvalidArgumentError",
        message,
        vec![],
        "INVALID_ARGUMENT",
    )
}

fn path_obj(py: Python<'_>, path: Option<&PathBuf>) -> Py<PyAny> {
    match path {
        Some(p) => p
            .display()
            .to_string()
            .into_pyobject(py)
            .map(|s| s.into_any().unbind())
            .unwrap_or_else(|_| py.None()),
        None => py.None(),
    }
}

fn options(py: Python<'_>, dialect: &str, with_meta: bool) -> PyResult<LoadsOptions> {
    let dialect: Dialect = dialect.parse().map_err(|e| to_pyerr(py, e))?;
    Ok(LoadsOptions::new(dialect).with_meta(with_meta))
}

/// python-hcl2-compatible `loads`; see `infrarag/hcl.pyi`.
#[pyfunction]
#[pyo3(signature = (text, *, dialect = "v7", with_meta = false))]
fn hcl_loads(py: Python<'_>, text: &str, dialect: &str, with_meta: bool) -> PyResult<Py<PyAny>> {
    let opts = options(py, dialect, with_meta)?;
    let text = text.to_owned();
    let result = py.detach(move || hcl::loads(&text, &opts));
    match result {
        Ok(v) => to_py(py, &v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// `loads` of a file read by the core, so errors carry its path.
#[pyfunction]
#[pyo3(signature = (path, *, dialect = "v7", with_meta = false))]
fn hcl_load_file(
    py: Python<'_>,
    path: PathBuf,
    dialect: &str,
    with_meta: bool,
) -> PyResult<Py<PyAny>> {
    let opts = options(py, dialect, with_meta)?;
    let result = py.detach(move || hcl::load_file(&path, &opts));
    match result {
        Ok(v) => to_py(py, &v),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// Parses native HCL into the syntax tree and diagnostics; never raises for
/// syntax errors.
#[pyfunction]
#[pyo3(signature = (text, *, json = false))]
fn hcl_parse(py: Python<'_>, text: &str, json: bool) -> PyResult<Py<PyAny>> {
    let text = text.to_owned();
    let parsed = py.detach(move || {
        if json {
            hcl::tfjson::parse_json(&text)
        } else {
            hcl::parse(&text)
        }
    });
    let value = serde_json::json!({
        "body": parsed.file.body,
        "comments": parsed.file.comments,
        "diagnostics": parsed.diagnostics,
    });
    to_py(py, &value)
}

/// Loads a Terraform module directory; see `infrarag/hcl.pyi`.
#[pyfunction]
fn hcl_load_module(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    let result = py.detach(move || Module::load(&path));
    match result {
        Ok(m) => serialize(py, &m),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// A built-in tokenizer; see `infrarag/tokens.py`.
#[pyclass(name = "Tokenizer", module = "infrarag._native", frozen)]
struct PyTokenizer {
    inner: Box<dyn tokens::Tokenizer>,
}

#[pymethods]
impl PyTokenizer {
    #[new]
    fn new(py: Python<'_>, name: &str) -> PyResult<Self> {
        let inner = tokens::by_name(name).map_err(|e| to_pyerr(py, e))?;
        Ok(PyTokenizer { inner })
    }

    /// The encoding: `cl100k_base`, `o200k_base` or `approximate`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// How many tokens `text` is, as tiktoken counts them.
    fn count(&self, py: Python<'_>, text: &str) -> usize {
        let text = text.to_owned();
        py.detach(|| self.inner.count(&text))
    }

    /// The token ids of `text`.
    fn encode(&self, py: Python<'_>, text: &str) -> Vec<u32> {
        let text = text.to_owned();
        py.detach(|| self.inner.encode(&text))
    }

    /// The text of token ids; raises InvalidArgumentError for ids that split a character or are unknown.
    fn decode(&self, py: Python<'_>, tokens: Vec<u32>) -> PyResult<String> {
        self.inner.decode(&tokens).map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self) -> String {
        format!("Tokenizer('{}')", self.inner.name())
    }
}

/// A Python tokenizer: a callable `text -> int` (a count) or `text -> list`
/// (ids), or an object with an `encode` method. The first exception it
/// raises is kept and re-raised when the call into Rust returns.
struct CallableTokenizer {
    /// The encoding: `cl100k_base`, `o200k_base` or `approximate`.
    name: String,
    func: Py<PyAny>,
    error: Mutex<Option<PyErr>>,
}

impl CallableTokenizer {
    fn new(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let func = if obj.is_callable() {
            obj.clone().unbind()
        } else if obj.hasattr("encode")? {
            obj.getattr("encode")?.unbind()
        } else {
            return Err(to_pyerr(
                py,
                Error::InvalidArgument {
                    name: "tokenizer".into(),
                    message: "expected a name, a Tokenizer, a callable or an object with `encode`"
                        .into(),
                },
            ));
        };
        let name = obj
            .getattr("name")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| "python".to_string());
        Ok(CallableTokenizer {
            name,
            func,
            error: Mutex::new(None),
        })
    }

    fn call(&self, text: &str) -> Option<Vec<u32>> {
        if self.failed() {
            return None;
        }
        Python::attach(|py| {
            let result = self.func.call1(py, (text,)).and_then(|r| {
                let r = r.bind(py);
                if let Ok(n) = r.extract::<usize>() {
                    Ok(vec![0; n])
                } else {
                    r.len().map(|n| vec![0; n])
                }
            });
            match result {
                Ok(ids) => Some(ids),
                Err(e) => {
                    if let Ok(mut slot) = self.error.lock() {
                        slot.get_or_insert(e);
                    }
                    None
                }
            }
        })
    }

    fn failed(&self) -> bool {
        self.error.lock().map(|e| e.is_some()).unwrap_or(true)
    }

    fn take_error(&self) -> Option<PyErr> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }
}

impl tokens::Tokenizer for CallableTokenizer {
    /// The encoding: `cl100k_base`, `o200k_base` or `approximate`.
    fn name(&self) -> &str {
        &self.name
    }

    /// Only the number of ids is known; the chunker needs no more.
    fn encode(&self, text: &str) -> Vec<u32> {
        self.call(text).unwrap_or_default()
    }

    /// The text of token ids; raises InvalidArgumentError for ids that split a character or are unknown.
    fn decode(&self, _tokens: &[u32]) -> infrarag::Result<String> {
        Err(Error::InvalidArgument {
            name: "tokens".into(),
            message: "a Python tokenizer cannot decode through infrarag".into(),
        })
    }

    /// An error counts as 0 tokens so the work ends quickly; the error is
    /// raised once it has.
    fn count(&self, text: &str) -> usize {
        self.call(text).map_or(0, |ids| ids.len())
    }
}

/// Calls the Python `progress(done, total, label)` from worker threads.
type Tick<'a> = dyn Fn(usize, usize, &str) -> ControlFlow<()> + Sync + 'a;

/// What work running off the GIL shares with the waiting thread: whether to
/// stop, and the first Python exception, raised once the work has ended.
pub(crate) struct Guard {
    stop: AtomicBool,
    raised: Mutex<Option<PyErr>>,
    /// Cancelled with `stop`, so core work that waits (a model call) stops
    /// waiting too.
    cancel: CancelToken,
}

impl Guard {
    fn keep(&self, e: PyErr) {
        if let Ok(mut slot) = self.raised.lock() {
            slot.get_or_insert(e);
        }
        self.stop.store(true, Ordering::Relaxed);
        self.cancel.cancel();
    }

    /// Calls into Python from a worker thread; an exception (or an earlier
    /// Ctrl-C) says stop, and the exception is raised when the call ends.
    pub(crate) fn call(&self, f: impl FnOnce(Python<'_>) -> PyResult<()>) -> ControlFlow<()> {
        if self.stop.load(Ordering::Relaxed) {
            return ControlFlow::Break(());
        }
        match Python::attach(f) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.keep(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// Runs `work` on a worker thread while this one waits without the GIL and
/// checks for Ctrl-C, which Python only delivers to the main thread. The
/// first exception `work` met through its [`Guard`], or Ctrl-C, is raised
/// here, ahead of the core's own result.
pub(crate) fn detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&Guard) -> infrarag::Result<T> + Send,
) -> PyResult<infrarag::Result<T>> {
    detached_until(py, CancelToken::new(), work)
}

/// [`detached`] whose Ctrl-C or exception also cancels `cancel`, the token
/// the work was given.
pub(crate) fn detached_until<T: Send>(
    py: Python<'_>,
    cancel: CancelToken,
    work: impl FnOnce(&Guard) -> infrarag::Result<T> + Send,
) -> PyResult<infrarag::Result<T>> {
    let guard = Guard {
        stop: AtomicBool::new(false),
        raised: Mutex::new(None),
        cancel,
    };
    let result = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel();
            let g = &guard;
            scope.spawn(move || {
                let _ = tx.send(work(g));
            });
            loop {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(result) => return result,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            guard.keep(e);
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(Error::Cancelled)
                    }
                }
            }
        })
    });
    match guard.raised.lock().ok().and_then(|mut e| e.take()) {
        Some(err) => Err(err),
        None => Ok(result),
    }
}

/// [`detached`] for work that reports progress: `work`'s tick calls
/// `progress(done, total, label)` and says stop after Ctrl-C or an
/// exception.
fn interruptible<T: Send>(
    py: Python<'_>,
    progress: Option<&Py<PyAny>>,
    work: impl FnOnce(&Tick<'_>) -> infrarag::Result<T> + Send,
) -> PyResult<infrarag::Result<T>> {
    detached(py, |guard| {
        let tick = |done: usize, total: usize, label: &str| {
            guard.call(|py| match progress {
                Some(cb) => cb.call1(py, (done, total, label)).map(|_| ()),
                None => Ok(()),
            })
        };
        work(&tick)
    })
}

/// Asks long work to stop; see `infrarag/__init__.py`.
#[pyclass(name = "CancelToken", module = "infrarag._native", frozen)]
pub(crate) struct PyCancelToken {
    pub(crate) inner: CancelToken,
}

#[pymethods]
impl PyCancelToken {
    #[new]
    fn new() -> Self {
        PyCancelToken {
            inner: CancelToken::new(),
        }
    }

    /// Asks the work holding this token to stop.
    fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether `cancel` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    fn __repr__(&self) -> String {
        format!("CancelToken(cancelled={})", self.inner.is_cancelled())
    }
}

/// Turns texts into vectors; see `infrarag/embed.py`.
#[pyclass(name = "Embedder", module = "infrarag._native", frozen)]
struct PyEmbedder {
    inner: Arc<dyn Embedder>,
}

#[pymethods]
impl PyEmbedder {
    #[staticmethod]
    #[pyo3(signature = (dimension = 384))]
    fn hashing(
        py: Python<'_>,
        #[pyo3(from_py_with = whole_number)] dimension: usize,
    ) -> PyResult<Self> {
        let inner = Hashing::new(dimension).map_err(|e| to_pyerr(py, e))?;
        Ok(PyEmbedder {
            inner: Arc::new(inner),
        })
    }

    #[staticmethod]
    #[pyo3(signature = (url, model, *, api_key = None, headers = None, dimension = None, batch_size = 64, concurrency = 4, timeout = 60.0, max_retries = 5))]
    #[allow(clippy::too_many_arguments)]
    fn http(
        py: Python<'_>,
        url: String,
        model: String,
        api_key: Option<String>,
        headers: Option<Vec<(String, String)>>,
        dimension: Option<usize>,
        #[pyo3(from_py_with = whole_number)] batch_size: usize,
        #[pyo3(from_py_with = whole_number)] concurrency: usize,
        timeout: f64,
        #[pyo3(from_py_with = whole_u32)] max_retries: u32,
    ) -> PyResult<Self> {
        let timeout = Duration::try_from_secs_f64(timeout).map_err(|_| {
            to_pyerr(
                py,
                Error::InvalidArgument {
                    name: "timeout".into(),
                    message: format!("{timeout} is not a number of seconds"),
                },
            )
        })?;
        let mut builder = HttpEmbedder::builder(url, model)
            .batch_size(batch_size)
            .concurrency(concurrency)
            .timeout(timeout)
            .max_retries(max_retries);
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        for (name, value) in headers.unwrap_or_default() {
            builder = builder.header(name, value);
        }
        if let Some(d) = dimension {
            builder = builder.dimension(d);
        }
        let inner = py.detach(|| builder.build()).map_err(|e| to_pyerr(py, e))?;
        Ok(PyEmbedder {
            inner: Arc::new(inner),
        })
    }

    /// The model id (vectors of different models never mix).
    #[getter]
    fn model(&self) -> &str {
        self.inner.model()
    }

    /// The vectors' length.
    #[getter]
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    /// Unit vectors for `texts`, in order.
    fn embed(&self, py: Python<'_>, texts: Vec<String>) -> PyResult<Vec<Vec<f32>>> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        py.detach(|| self.inner.embed(&refs))
            .map_err(|e| to_pyerr(py, e))
    }

    fn __repr__(&self) -> String {
        format!(
            "Embedder(model='{}', dimension={})",
            self.inner.model(),
            self.inner.dimension()
        )
    }
}

/// One chunk; see `infrarag/chunk.py`.
#[pyclass(name = "Chunk", module = "infrarag._native", frozen, get_all)]
struct PyChunk {
    /// Stable: 32 hex digits of SHA-256 over the path, byte range and text.
    id: String,
    /// The file, as the chunker named it.
    path: String,
    /// `hcl`, `markdown` or `text`.
    language: &'static str,
    /// `block` (a whole HCL block), `block_part` (a piece of one, repeating its header), `section` or `text`.
    kind: &'static str,
    /// The chunk's text, exactly as in the file (a block part starts with its header).
    text: String,
    /// For HCL: `resource`, `data`, `module`, `variable`, ...
    block_type: Option<String>,
    /// For HCL: the block's labels.
    labels: Vec<String>,
    /// For HCL: the Terraform address (`aws_s3_bucket.logs`, `var.region`).
    address: Option<String>,
    /// For Markdown: the headings above the chunk, outermost first.
    heading_path: Vec<String>,
    /// 1-based index of this piece of its block or section.
    part: usize,
    /// How many pieces its block or section was cut into.
    parts: usize,
    /// First line, 1-based.
    start_line: usize,
    /// Last line, 1-based, inclusive.
    end_line: usize,
    /// Byte offset of the first byte in the file.
    start_byte: usize,
    /// Byte offset just past the last byte.
    end_byte: usize,
    /// Tokens by the chunker's tokenizer; never over its budget.
    token_count: usize,
    /// SHA-256 of the whole file the chunk came from.
    content_hash: String,
    /// A one-line description of the chunk (what it declares and sets), embedded beside the code.
    summary: String,
}

impl From<chunk::Chunk> for PyChunk {
    fn from(c: chunk::Chunk) -> Self {
        PyChunk {
            id: c.id,
            path: c.path,
            language: c.language.as_str(),
            kind: c.kind.as_str(),
            text: c.text,
            block_type: c.block_type,
            labels: c.labels,
            address: c.address,
            heading_path: c.heading_path,
            part: c.part,
            parts: c.parts,
            start_line: c.start_line,
            end_line: c.end_line,
            start_byte: c.start_byte,
            end_byte: c.end_byte,
            token_count: c.token_count,
            content_hash: c.content_hash,
            summary: c.summary,
        }
    }
}

#[pymethods]
impl PyChunk {
    /// Every field as one JSON-ready dict (`infrarag.types.ChunkDict`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.json())
    }

    fn __repr__(&self) -> String {
        format!(
            "Chunk({}:{}-{} {} {} tokens)",
            self.path, self.start_line, self.end_line, self.kind, self.token_count
        )
    }
}

/// The chunker; see `infrarag/chunk.py`.
#[pyclass(name = "Chunker", module = "infrarag._native", frozen)]
struct PyChunker {
    inner: Chunker,
    callable: Option<Arc<CallableTokenizer>>,
}

impl PyChunker {
    /// Runs `work` without the GIL, then raises what the Python tokenizer
    /// raised, if anything.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&Chunker) -> infrarag::Result<T> + Send,
    ) -> PyResult<T> {
        let result = py.detach(|| work(&self.inner));
        if let Some(err) = self.callable.as_ref().and_then(|c| c.take_error()) {
            return Err(err);
        }
        result.map_err(|e| to_pyerr(py, e))
    }
}

#[pymethods]
impl PyChunker {
    #[new]
    #[pyo3(signature = (max_tokens = 400, overlap = 60, tokenizer = None))]
    fn new(
        py: Python<'_>,
        #[pyo3(from_py_with = whole_number)] max_tokens: usize,
        #[pyo3(from_py_with = whole_number)] overlap: usize,
        tokenizer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut config = ChunkConfig::new(max_tokens).with_overlap(overlap);
        let mut callable = None;
        match tokenizer {
            None => {}
            Some(t) if t.is_instance_of::<pyo3::types::PyString>() => {
                let name: String = t.extract()?;
                let tok = tokens::by_name(&name).map_err(|e| to_pyerr(py, e))?;
                config = config.with_tokenizer(Arc::from(tok));
            }
            Some(t) if t.is_instance_of::<PyTokenizer>() => {
                let name = t.cast::<PyTokenizer>()?.get().inner.name().to_string();
                let tok = tokens::by_name(&name).map_err(|e| to_pyerr(py, e))?;
                config = config.with_tokenizer(Arc::from(tok));
            }
            Some(t) => {
                let c = Arc::new(CallableTokenizer::new(py, t)?);
                config = config.with_tokenizer(c.clone());
                callable = Some(c);
            }
        }
        let inner = Chunker::new(config).map_err(|e| to_pyerr(py, e))?;
        Ok(PyChunker { inner, callable })
    }

    /// The most tokens a chunk may have.
    #[getter]
    fn max_tokens(&self) -> usize {
        self.inner.config().max_tokens()
    }

    /// Tokens a piece repeats from the one before.
    #[getter]
    fn overlap(&self) -> usize {
        self.inner.config().overlap()
    }

    /// The tokenizer's name, or `callable` for a Python function.
    #[getter]
    fn tokenizer(&self) -> String {
        self.inner.config().tokenizer().name().to_string()
    }

    /// Chunks one file's text; see `infrarag/chunk.py`.
    #[pyo3(signature = (path, content, *, language = None))]
    fn chunk_file(
        &self,
        py: Python<'_>,
        path: &str,
        content: &str,
        language: Option<&str>,
    ) -> PyResult<Vec<PyChunk>> {
        let language = language
            .map(str::parse::<chunk::Language>)
            .transpose()
            .map_err(|e| to_pyerr(py, e))?;
        let chunks = self.run(py, |c| {
            Ok(match language {
                Some(l) => c.chunk_as(path, content, l),
                None => c.chunk_file(path, content),
            })
        })?;
        Ok(chunks.into_iter().map(PyChunk::from).collect())
    }

    /// Chunks every text file under a directory; see `infrarag/chunk.py`.
    #[pyo3(signature = (path, *, extensions = None, include_hidden = false, max_file_bytes = None, progress = None))]
    fn chunk_dir(
        &self,
        py: Python<'_>,
        path: PathBuf,
        extensions: Option<Vec<String>>,
        include_hidden: bool,
        max_file_bytes: Option<u64>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let result = interruptible(py, progress.as_ref(), |tick| {
            let mut job = self.inner.chunk_dir(&path).include_hidden(include_hidden);
            if let Some(e) = extensions {
                job = job.extensions(e);
            }
            if let Some(b) = max_file_bytes {
                job = job.max_file_bytes(b);
            }
            job.on_progress(|p| tick(p.done, p.total, &p.path))
                .execute()
        })?;
        if let Some(err) = self.callable.as_ref().and_then(|c| c.take_error()) {
            return Err(err);
        }
        let result = result.map_err(|e| to_pyerr(py, e))?;
        let dict = PyDict::new(py);
        let chunks: Vec<PyChunk> = result.chunks.into_iter().map(PyChunk::from).collect();
        dict.set_item("chunks", chunks)?;
        dict.set_item("files", serialize(py, &result.files)?)?;
        dict.set_item("skipped", serialize(py, &result.skipped)?)?;
        Ok(dict.into_any().unbind())
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!(
            "Chunker(max_tokens={}, overlap={}, tokenizer='{}')",
            c.max_tokens(),
            c.overlap(),
            c.tokenizer().name()
        )
    }
}

/// One search result; see `infrarag/index.py`.
#[pyclass(name = "Hit", module = "infrarag._native", frozen, get_all)]
struct PyHit {
    /// The chunk found.
    chunk: Py<PyChunk>,
    /// The fused score: the sum over signals of 1 / (60 + rank); one signal's raw score when only one ran.
    score: f32,
    /// Each signal's `{"score", "rank"}` (`lexical`, `code`, `summary`), or None where it did not find the chunk.
    scores: Py<PyAny>,
    /// `path:start-end`, the lines to cite.
    citation: String,
}

#[pymethods]
impl PyHit {
    /// The hit as one JSON-ready dict (`infrarag.types.HitDict`).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let dict = PyDict::new(py);
        dict.set_item("chunk", to_py(py, &self.chunk.get().json())?)?;
        dict.set_item("score", self.score)?;
        dict.set_item("scores", deep_copy(py, &self.scores)?)?;
        dict.set_item("citation", &self.citation)?;
        Ok(dict.into_any().unbind())
    }

    fn __repr__(&self) -> String {
        format!("Hit({} score={:.4})", self.citation, self.score)
    }
}

impl PyChunk {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "path": self.path,
            "language": self.language,
            "kind": self.kind,
            "text": self.text,
            "block_type": self.block_type,
            "labels": self.labels,
            "address": self.address,
            "heading_path": self.heading_path,
            "part": self.part,
            "parts": self.parts,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "start_byte": self.start_byte,
            "end_byte": self.end_byte,
            "token_count": self.token_count,
            "content_hash": self.content_hash,
            "summary": self.summary,
        })
    }
}

/// The hybrid search index; see `infrarag/index.py`.
///
/// Every call that may wait for the index (a commit, a running ingestion)
/// waits without the GIL: the thread it waits for may need the GIL to
/// finish (progress, Ctrl-C checks, stores and tokenizers of the caller's).
#[pyclass(name = "Index", module = "infrarag._native", frozen)]
pub(crate) struct PyIndex {
    inner: SharedIndex,
    callable: Option<Arc<CallableTokenizer>>,
    /// What stores of the caller's raised, raised again after the call.
    raised: store::Raised,
}

impl PyIndex {
    fn with(index: Index, callable: Option<Arc<CallableTokenizer>>) -> Self {
        PyIndex {
            inner: SharedIndex::new(index),
            callable,
            raised: store::Raised::default(),
        }
    }

    /// The core's error, unless a store of the caller's raised first: then
    /// that exception, as it was.
    fn error(&self, py: Python<'_>, e: Error) -> PyErr {
        self.raised.take().unwrap_or_else(|| to_pyerr(py, e))
    }

    /// `f` on the index as last committed, without the GIL.
    pub(crate) fn read<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Index) -> T + Send,
    ) -> PyResult<T> {
        py.detach(|| self.inner.read(f))
            .map_err(|e| self.error(py, e))
    }

    fn builder(
        chunker: Option<&Bound<'_, PyChunker>>,
        embedder: Option<&Bound<'_, PyEmbedder>>,
    ) -> (
        infrarag::index::IndexBuilder,
        Option<Arc<CallableTokenizer>>,
    ) {
        let mut builder = Index::builder();
        if let Some(e) = embedder {
            builder = builder.embedder(e.get().inner.clone());
        }
        let mut callable = None;
        if let Some(c) = chunker {
            let c = c.get();
            builder = builder.chunker(c.inner.clone());
            callable = c.callable.clone();
        }
        (builder, callable)
    }

    fn tokenizer_error(&self) -> PyResult<()> {
        match self.callable.as_ref().and_then(|c| c.take_error()) {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

#[pymethods]
impl PyIndex {
    #[new]
    #[pyo3(signature = (*, chunker = None, embedder = None))]
    fn new(
        chunker: Option<&Bound<'_, PyChunker>>,
        embedder: Option<&Bound<'_, PyEmbedder>>,
    ) -> Self {
        let (builder, callable) = PyIndex::builder(chunker, embedder);
        PyIndex::with(builder.in_memory(), callable)
    }

    /// An index on stores of the caller's; see `index.py`.
    #[staticmethod]
    #[pyo3(signature = (documents, code, summary, *, chunker = None, embedder = None))]
    fn with_stores(
        py: Python<'_>,
        documents: &Bound<'_, PyAny>,
        code: &Bound<'_, PyAny>,
        summary: &Bound<'_, PyAny>,
        chunker: Option<&Bound<'_, PyChunker>>,
        embedder: Option<&Bound<'_, PyEmbedder>>,
    ) -> PyResult<Self> {
        let raised = store::Raised::default();
        let stores = infrarag::store::Stores {
            documents: Box::new(store::PyDocumentStore {
                obj: documents.clone().unbind(),
                raised: raised.clone(),
            }),
            code: Box::new(store::PyVectorStore::new(code, raised.clone())?),
            summary: Box::new(store::PyVectorStore::new(summary, raised.clone())?),
        };
        let (builder, callable) = PyIndex::builder(chunker, embedder);
        let index = py.detach(|| builder.stores(stores));
        let index = index.map_err(|e| raised.take().unwrap_or_else(|| to_pyerr(py, e)))?;
        let mut out = PyIndex::with(index, callable);
        out.raised = raised;
        Ok(out)
    }

    /// Unlocks the index file; see `index.py`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.close())
            .map_err(|e| to_pyerr(py, e))
    }

    /// The index in the file at `path`, created when missing; see `index.py`.
    #[staticmethod]
    #[pyo3(signature = (path, *, chunker = None, embedder = None))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        chunker: Option<&Bound<'_, PyChunker>>,
        embedder: Option<&Bound<'_, PyEmbedder>>,
    ) -> PyResult<Self> {
        let (builder, callable) = PyIndex::builder(chunker, embedder);
        let index = py
            .detach(|| builder.open(&path))
            .map_err(|e| to_pyerr(py, e))?;
        Ok(PyIndex::with(index, callable))
    }

    /// The embedder's model id.
    #[getter]
    fn model(&self, py: Python<'_>) -> PyResult<String> {
        self.read(py, |index| index.model().to_string())
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.read(py, Index::len)
    }

    /// Ingests the text files under `path`; see `infrarag/index.py`.
    #[pyo3(signature = (path, *, extensions = None, progress = None))]
    fn add_path(
        &self,
        py: Python<'_>,
        path: PathBuf,
        extensions: Option<Vec<String>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let result = interruptible(py, progress.as_ref(), |tick| {
            let mut job = self.inner.add_path(&path);
            if let Some(e) = extensions {
                job = job.extensions(e);
            }
            job.on_progress(|p| tick(p.done, p.total, p.stage.as_str()))
                .execute()
        })?;
        self.tokenizer_error()?;
        let report = result.map_err(|e| self.error(py, e))?;
        serialize(py, &report)
    }

    /// The `k` best chunks for `query`; see `infrarag/index.py`.
    #[pyo3(signature = (query, k = None, *, mode = "hybrid", path_prefix = None, language = None, block_type = None, address = None, ef = None))]
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        py: Python<'_>,
        query: &str,
        k: Option<&Bound<'_, PyAny>>,
        mode: &str,
        path_prefix: Option<String>,
        language: Option<&str>,
        block_type: Option<String>,
        address: Option<String>,
        ef: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<PyHit>> {
        let k = whole(py, "k", k, 10)?;
        let ef = whole(py, "ef", ef, 64)?;
        let mode: SearchMode = mode.parse().map_err(|e| to_pyerr(py, e))?;
        let language = language
            .map(str::parse::<chunk::Language>)
            .transpose()
            .map_err(|e| to_pyerr(py, e))?;
        let filter = Filter {
            path_prefix,
            language,
            block_type,
            address,
        };
        let hits = self
            .read(py, |index| {
                index
                    .search(query)
                    .k(k)
                    .mode(mode)
                    .filter(filter)
                    .ef(ef)
                    .execute()
            })?
            .map_err(|e| self.error(py, e))?;
        hits.into_iter()
            .map(|h| {
                let citation = h.citation();
                Ok(PyHit {
                    scores: serialize(py, &h.scores)?,
                    score: h.score,
                    citation,
                    chunk: Py::new(py, PyChunk::from(h.chunk))?,
                })
            })
            .collect()
    }

    /// The files held, in path order: `{"path", "content_hash", "chunks"}`.
    fn sources(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let sources = self.read(py, Index::sources)?;
        serialize(py, &sources)
    }

    /// Forgets every file under `path`; returns how many.
    fn remove_path(&self, py: Python<'_>, path: PathBuf) -> PyResult<usize> {
        py.detach(|| self.inner.remove_path(&path))
            .map_err(|e| self.error(py, e))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.read(py, |index| {
            format!("Index({} chunks, model='{}')", index.len(), index.model())
        })
    }
}

/// The `infrarag` command line on the process's own streams; returns the
/// exit status. See `infrarag/__main__.py`.
#[pyfunction]
fn cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| {
        infrarag::cli::run(
            &argv,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTokenizer>()?;
    m.add_class::<PyChunk>()?;
    m.add_class::<PyChunker>()?;
    m.add_class::<PyHit>()?;
    m.add_class::<PyIndex>()?;
    m.add_class::<PyEmbedder>()?;
    m.add_class::<PyCancelToken>()?;
    m.add_class::<store::PyMemoryVectorStore>()?;
    m.add_function(wrap_pyfunction!(hcl_loads, m)?)?;
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add_function(wrap_pyfunction!(hcl_parse, m)?)?;
    m.add_function(wrap_pyfunction!(hcl_load_file, m)?)?;
    m.add_function(wrap_pyfunction!(hcl_load_module, m)?)?;
    m.add_class::<validate::PyReport>()?;
    m.add_class::<validate::PyFinding>()?;
    m.add_function(wrap_pyfunction!(validate::validate, m)?)?;
    m.add_function(wrap_pyfunction!(validate::validate_files, m)?)?;
    m.add_function(wrap_pyfunction!(validate::check_ids, m)?)?;
    m.add_class::<generate::PyModel>()?;
    m.add_class::<generate::PyPrompt>()?;
    m.add_class::<generate::PyConversation>()?;
    m.add_class::<generate::PyTemplate>()?;
    m.add_class::<generate::PyGenerator>()?;
    m.add_function(wrap_pyfunction!(generate::build_prompt, m)?)?;
    m.add_function(wrap_pyfunction!(generate::redact, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
