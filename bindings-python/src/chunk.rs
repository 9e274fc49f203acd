//! `infrarag.chunk`: chunks and the chunker, run without the GIL.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use infrarag::chunk::{self, ChunkConfig, Chunker};
use infrarag::tokens;

use crate::convert::{serialize, to_py};
use crate::detach::{interruptible, released};
use crate::error::{maybe_whole, Failure, Result};
use crate::tokens::{CallableTokenizer, PyTokenizer};

/// One chunk; see `infrarag/chunk.py`.
#[pyclass(name = "Chunk", module = "infrarag._native", frozen, get_all)]
pub(crate) struct PyChunk {
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
pub(crate) struct PyChunker {
    pub(crate) inner: Chunker,
    pub(crate) callable: Option<Arc<CallableTokenizer>>,
}

impl PyChunker {
    /// Runs `work` without the GIL, then raises what the Python tokenizer
    /// raised, if anything.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        work: impl FnOnce(&Chunker) -> infrarag::Result<T> + Send,
    ) -> Result<T> {
        let result = released(py, || work(&self.inner));
        if let Some(err) = self.callable.as_ref().and_then(|c| c.take_error()) {
            return Err(err.into());
        }
        result.map_err(Failure::from)
    }
}

#[pymethods]
impl PyChunker {
    #[new]
    #[pyo3(signature = (max_tokens = None, overlap = None, tokenizer = None))]
    fn new(
        py: Python<'_>,
        #[pyo3(from_py_with = maybe_whole)] max_tokens: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] overlap: Option<usize>,
        tokenizer: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let defaults = ChunkConfig::default();
        let mut config = ChunkConfig::new(max_tokens.unwrap_or(defaults.max_tokens()))
            .with_overlap(overlap.unwrap_or(defaults.overlap()));
        let mut callable = None;
        match tokenizer {
            None => {}
            Some(t) if t.is_instance_of::<pyo3::types::PyString>() => {
                let name: String = t.extract()?;
                let tok = tokens::by_name(&name)?;
                config = config.with_tokenizer(Arc::from(tok));
            }
            Some(t) if t.is_instance_of::<PyTokenizer>() => {
                let name = t.cast::<PyTokenizer>()?.get().inner.name().to_string();
                let tok = tokens::by_name(&name)?;
                config = config.with_tokenizer(Arc::from(tok));
            }
            Some(t) => {
                let c = Arc::new(CallableTokenizer::new(py, t)?);
                config = config.with_tokenizer(c.clone());
                callable = Some(c);
            }
        }
        let inner = Chunker::new(config)?;
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
    ) -> Result<Vec<PyChunk>> {
        let language = language.map(str::parse::<chunk::Language>).transpose()?;
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
    ) -> Result<Py<PyAny>> {
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
            return Err(err.into());
        }
        let result = result?;
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

impl PyChunk {
    pub(crate) fn json(&self) -> serde_json::Value {
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
