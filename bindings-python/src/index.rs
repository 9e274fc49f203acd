//! `infrarag.index`: the shared index and its hits; every wait for the
//! index happens without the GIL.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use infrarag::chunk;
use infrarag::index::{Filter, Index, SearchMode, SearchOptions, SharedIndex};
use infrarag::store::postgres::PostgresStore;
use infrarag::Error;

use crate::chunk::{PyChunk, PyChunker};
use crate::convert::{deep_copy, serialize, to_py};
use crate::detach::{interruptible, released};
use crate::embed::PyEmbedder;
use crate::error::{invalid, to_pyerr, whole, Failure, Result};
use crate::store;
use crate::tokens::CallableTokenizer;

/// One search result; see `infrarag/index.py`.
#[pyclass(name = "Hit", module = "infrarag._native", frozen, get_all)]
pub(crate) struct PyHit {
    /// The chunk found.
    chunk: Py<PyChunk>,
    /// The fused score: the sum over signals of 1 / (60 + rank); one signal's raw score when only one ran.
    score: f32,
    /// Each signal's `{"score", "rank"}` (`lexical`, `code`, `summary`), or None where it did not find the chunk.
    scores: Py<PyAny>,
    /// `path:start-end`, the lines to cite.
    citation: String,
    /// Citations of the other pieces and copies of the same block or section, folded into this hit.
    places: Vec<String>,
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
        dict.set_item("places", &self.places)?;
        Ok(dict.into_any().unbind())
    }

    fn __repr__(&self) -> String {
        format!("Hit({} score={:.4})", self.citation, self.score)
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
        released(py, || self.inner.read(f)).map_err(|e| self.error(py, e))
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
        let index = released(py, || builder.stores(stores));
        let index = index.map_err(|e| raised.take().unwrap_or_else(|| to_pyerr(py, e)))?;
        let mut out = PyIndex::with(index, callable);
        out.raised = raised;
        Ok(out)
    }

    /// Unlocks the index file; see `index.py`.
    fn close(&self, py: Python<'_>) -> Result<()> {
        released(py, || self.inner.close()).map_err(Failure::from)
    }

    /// The index in the file at `path`, created when missing; see `index.py`.
    #[staticmethod]
    #[pyo3(signature = (path, *, chunker = None, embedder = None))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        chunker: Option<&Bound<'_, PyChunker>>,
        embedder: Option<&Bound<'_, PyEmbedder>>,
    ) -> Result<Self> {
        let (builder, callable) = PyIndex::builder(chunker, embedder);
        let index = released(py, || builder.open(&path))?;
        Ok(PyIndex::with(index, callable))
    }

    /// The index in a PostgreSQL database, shared by every process that
    /// opens it; see `index.py`.
    #[staticmethod]
    #[pyo3(signature = (url, *, chunker = None, embedder = None, max_connections = None, statement_timeout = None, ca_file = None, cache_chunks = false))]
    #[allow(clippy::too_many_arguments)]
    fn postgres(
        py: Python<'_>,
        url: String,
        chunker: Option<&Bound<'_, PyChunker>>,
        embedder: Option<&Bound<'_, PyEmbedder>>,
        max_connections: Option<&Bound<'_, PyAny>>,
        statement_timeout: Option<f64>,
        ca_file: Option<PathBuf>,
        cache_chunks: bool,
    ) -> PyResult<Self> {
        let max_connections = whole(py, "max_connections", max_connections)?;
        let statement_timeout = statement_timeout
            .map(|s| {
                std::time::Duration::try_from_secs_f64(s).map_err(|_| {
                    invalid(
                        py,
                        "statement_timeout",
                        format!("must be a number of seconds, 0 or more, not {s}"),
                    )
                })
            })
            .transpose()?;
        let (builder, callable) = PyIndex::builder(chunker, embedder);
        let index = released(py, || {
            let mut options = PostgresStore::options(url).cache_chunks(cache_chunks);
            if let Some(n) = max_connections {
                options = options.max_connections(n);
            }
            if let Some(t) = statement_timeout {
                options = options.statement_timeout(t);
            }
            if let Some(ca) = ca_file {
                options = options.ca_file(ca);
            }
            builder.postgres_store(options.connect()?)
        });
        let index = index.map_err(|e| to_pyerr(py, e))?;
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
    #[pyo3(signature = (query, k = None, *, mode = None, path_prefix = None, language = None, block_type = None, address = None, ef = None))]
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        py: Python<'_>,
        query: &str,
        k: Option<&Bound<'_, PyAny>>,
        mode: Option<&str>,
        path_prefix: Option<String>,
        language: Option<&str>,
        block_type: Option<String>,
        address: Option<String>,
        ef: Option<&Bound<'_, PyAny>>,
    ) -> Result<Vec<PyHit>> {
        let k = whole(py, "k", k)?;
        let ef = whole(py, "ef", ef)?;
        let mode = mode.map(str::parse::<SearchMode>).transpose()?;
        let language = language.map(str::parse::<chunk::Language>).transpose()?;
        let options = SearchOptions {
            k,
            mode,
            ef,
            filter: Filter {
                path_prefix,
                language,
                block_type,
                address,
            },
        };
        let hits =
            released(py, || self.inner.search(query, options)).map_err(|e| self.error(py, e))?;
        hits.into_iter()
            .map(|h| {
                let citation = h.citation();
                Ok(PyHit {
                    scores: serialize(py, &h.scores)?,
                    score: h.score,
                    citation,
                    places: h.places,
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
        released(py, || self.inner.remove_path(&path)).map_err(|e| self.error(py, e))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.read(py, |index| {
            format!("Index({} chunks, model='{}')", index.len(), index.model())
        })
    }
}
