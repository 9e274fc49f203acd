//! Python objects as an index's stores: adapters implementing the core's
//! `DocumentStore` and `VectorStore` by calling the object's methods (the
//! protocol is in `infrarag/store.py`), data crossing as JSON-shaped dicts.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;

use infrarag::collect::{AuditEntry, Record, RecordQuery, RecordStore, StoredRecord};
use infrarag::store::{
    Document, DocumentChanges, DocumentStore, VectorQuery, VectorRecord, VectorStore,
};
use infrarag::Error;

use crate::detach::released;

/// The first exception a store of the caller's raised, per thread that
/// called it, to raise again as it is once the core call it broke has
/// returned: concurrent calls on one object each get their own.
#[derive(Clone, Default)]
pub(crate) struct Raised(Arc<Mutex<Vec<(std::thread::ThreadId, PyErr)>>>);

impl Raised {
    /// The exception kept first, from whichever thread.
    pub fn take(&self) -> Option<PyErr> {
        let mut slot = self.0.lock().ok()?;
        (!slot.is_empty()).then(|| slot.remove(0).1)
    }

    /// The exception kept on `thread`.
    pub fn take_for(&self, thread: std::thread::ThreadId) -> Option<PyErr> {
        let mut slot = self.0.lock().ok()?;
        let i = slot.iter().position(|(t, _)| *t == thread)?;
        Some(slot.remove(i).1)
    }

    pub(crate) fn keep(&self, method: &str, e: PyErr) -> Error {
        let message = format!("{method} raised {e}");
        let thread = std::thread::current().id();
        if let Ok(mut slot) = self.0.lock() {
            if slot.iter().all(|(t, _)| *t != thread) {
                slot.push((thread, e));
            }
        }
        Error::Storage {
            path: None,
            message,
        }
    }
}

/// `json.dumps(value)` read back as `T`.
pub(crate) fn from_py<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    method: &str,
    value: &Bound<'_, PyAny>,
) -> Result<T, Error> {
    let bad = |message: String| Error::Storage {
        path: None,
        message: format!("{method} returned {message}"),
    };
    let text: String = py
        .import("json")
        .and_then(|json| json.call_method1("dumps", (value,)))
        .and_then(|s| s.extract())
        .map_err(|e| bad(format!("something JSON cannot hold: {e}")))?;
    serde_json::from_str(&text).map_err(|e| bad(format!("an unexpected shape: {e}")))
}

fn to_py<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    crate::convert::serialize(py, value)
}

/// Calls `obj.method(*args)`, keeping what it raises.
pub(crate) fn call<'py>(
    py: Python<'py>,
    obj: &Py<PyAny>,
    raised: &Raised,
    method: &str,
    args: impl pyo3::call::PyCallArgs<'py>,
) -> Result<Bound<'py, PyAny>, Error> {
    obj.bind(py)
        .call_method1(method, args)
        .map_err(|e| raised.keep(method, e))
}

/// A Python document store: `load()` and `apply(remove, put)`.
pub(crate) struct PyDocumentStore {
    pub obj: Py<PyAny>,
    pub raised: Raised,
}

impl DocumentStore for PyDocumentStore {
    fn load(&self) -> infrarag::Result<Vec<Document>> {
        Python::attach(|py| {
            let out = call(py, &self.obj, &self.raised, "load", ())?;
            from_py(py, "load", &out)
        })
    }

    fn apply(&mut self, changes: &DocumentChanges) -> infrarag::Result<()> {
        Python::attach(|py| {
            let put = to_py(py, &changes.put).map_err(|e| self.raised.keep("apply", e))?;
            call(
                py,
                &self.obj,
                &self.raised,
                "apply",
                (changes.remove.clone(), put),
            )
            .map(drop)
        })
    }
}

/// A Python vector store: `dimension`, `ids()`, `upsert(records)`,
/// `delete(ids)`, `search(vector, k, filter)`, and optionally
/// `vectors(ids)`.
pub(crate) struct PyVectorStore {
    obj: Py<PyAny>,
    dimension: usize,
    /// Whether it has the optional `vectors(ids)`.
    gives_vectors: bool,
    raised: Raised,
}

impl PyVectorStore {
    pub fn new(obj: &Bound<'_, PyAny>, raised: Raised) -> PyResult<Self> {
        let dimension = obj.getattr("dimension")?.extract()?;
        Ok(PyVectorStore {
            obj: obj.clone().unbind(),
            dimension,
            gives_vectors: obj.hasattr("vectors")?,
            raised,
        })
    }
}

impl VectorStore for PyVectorStore {
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn ids(&self) -> infrarag::Result<Vec<String>> {
        Python::attach(|py| {
            let out = call(py, &self.obj, &self.raised, "ids", ())?;
            from_py(py, "ids", &out)
        })
    }

    fn upsert(&mut self, records: Vec<VectorRecord>) -> infrarag::Result<()> {
        Python::attach(|py| {
            let records = to_py(py, &records).map_err(|e| self.raised.keep("upsert", e))?;
            call(py, &self.obj, &self.raised, "upsert", (records,)).map(drop)
        })
    }

    fn delete(&mut self, ids: &[String]) -> infrarag::Result<()> {
        Python::attach(|py| call(py, &self.obj, &self.raised, "delete", (ids.to_vec(),)).map(drop))
    }

    fn vectors(&self, ids: &[String]) -> infrarag::Result<Vec<(String, Vec<f32>)>> {
        if !self.gives_vectors {
            return Ok(Vec::new());
        }
        Python::attach(|py| {
            let out = call(py, &self.obj, &self.raised, "vectors", (ids.to_vec(),))?;
            from_py(py, "vectors", &out)
        })
    }

    fn search(&self, query: &VectorQuery<'_>) -> infrarag::Result<Vec<(String, f32)>> {
        Python::attach(|py| {
            let filter = to_py(py, query.filter).map_err(|e| self.raised.keep("search", e))?;
            let out = call(
                py,
                &self.obj,
                &self.raised,
                "search",
                (query.vector.to_vec(), query.k, filter),
            )?;
            from_py(py, "search", &out)
        })
    }
}

/// The built-in vector store on its own: an HNSW graph (M 16,
/// ef_construction 100) over unit vectors, searched exactly while it holds
/// 2000 or fewer. `upsert(ids, vectors)` takes `vectors` as the bytes of a
/// `(len(ids), dimension)` float32 array (`ndarray.tobytes()`) and
/// normalises them; `search(vector, k, ef)` (a list of floats or float32
/// bytes) returns `(id, cosine)` pairs, best first. Both release the GIL.
#[pyclass(name = "MemoryVectorStore", module = "infrarag._native", frozen)]
pub(crate) struct PyMemoryVectorStore {
    inner: std::sync::RwLock<infrarag::store::MemoryVectorStore>,
    /// The vectors' length.
    dimension: usize,
}

impl PyMemoryVectorStore {
    /// Only a panic while the lock was held (an internal error already
    /// raised) leaves it poisoned.
    fn poisoned() -> Error {
        Error::Internal {
            message: "an earlier internal error left the store unusable".into(),
        }
    }
}

#[pymethods]
impl PyMemoryVectorStore {
    #[new]
    fn new(#[pyo3(from_py_with = crate::error::whole_number)] dimension: usize) -> Self {
        PyMemoryVectorStore {
            inner: std::sync::RwLock::new(infrarag::store::MemoryVectorStore::new(dimension)),
            dimension,
        }
    }

    /// The vectors' length.
    #[getter]
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.inner
            .read()
            .map(|s| s.len())
            .map_err(|_| crate::error::to_pyerr(py, Self::poisoned()))
    }

    /// `vectors`: `len(ids) * dimension` little-endian f32 (`ndarray.tobytes()`).
    fn upsert(&self, py: Python<'_>, ids: Vec<String>, vectors: &[u8]) -> PyResult<()> {
        let dim = self.dimension;
        if vectors.len() != ids.len() * dim * 4 {
            return Err(crate::error::to_pyerr(
                py,
                Error::InvalidArgument {
                    name: "vectors".into(),
                    message: format!(
                        "{} bytes for {} ids of {dim} float32s",
                        vectors.len(),
                        ids.len()
                    ),
                },
            ));
        }
        let metadata = infrarag::store::Metadata {
            path: String::new(),
            language: infrarag::chunk::Language::Text,
            block_type: None,
            address: None,
        };
        let records: Vec<VectorRecord> = ids
            .into_iter()
            .zip(vectors.chunks_exact(dim * 4))
            .map(|(id, bytes)| {
                let mut vector: Vec<f32> = bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                infrarag::embed::normalize(&mut vector);
                VectorRecord {
                    id,
                    vector,
                    metadata: metadata.clone(),
                }
            })
            .collect();
        released(py, || {
            let mut store = self.inner.write().map_err(|_| Self::poisoned())?;
            store.upsert(records)
        })
        .map_err(|e| crate::error::to_pyerr(py, e))
    }

    /// `vector`: a list of floats, or the bytes of a float32 array.
    #[pyo3(signature = (vector, k = 10, ef = 64))]
    fn search(
        &self,
        py: Python<'_>,
        vector: &Bound<'_, PyAny>,
        #[pyo3(from_py_with = crate::error::whole_number)] k: usize,
        #[pyo3(from_py_with = crate::error::whole_number)] ef: usize,
    ) -> PyResult<Vec<(String, f32)>> {
        let mut vector: Vec<f32> = match vector.extract::<&[u8]>() {
            Ok(bytes) => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Err(_) => vector.extract()?,
        };
        infrarag::embed::normalize(&mut vector);
        let filter = infrarag::store::Filter::default();
        released(py, || {
            let store = self.inner.read().map_err(|_| Self::poisoned())?;
            store.search(&VectorQuery {
                vector: &vector,
                k,
                ef,
                filter: &filter,
            })
        })
        .map_err(|e| crate::error::to_pyerr(py, e))
    }
}

/// A Python record store: `append(entry, records)`, `audit(query)`,
/// `records(query)`, `prune(before_ms)` (the protocol is in
/// `infrarag/store.py`).
pub(crate) struct PyRecordStore {
    pub obj: Py<PyAny>,
    pub raised: Raised,
}

fn query_py(py: Python<'_>, q: &RecordQuery) -> PyResult<Py<PyAny>> {
    let d = pyo3::types::PyDict::new(py);
    d.set_item("host", &q.host)?;
    d.set_item("method", &q.method)?;
    d.set_item("since_ms", q.since_ms)?;
    d.set_item("until_ms", q.until_ms)?;
    Ok(d.into_any().unbind())
}

impl RecordStore for PyRecordStore {
    fn append(&self, entry: &AuditEntry, records: &[Record]) -> infrarag::Result<()> {
        Python::attach(|py| {
            let keep = |e| self.raised.keep("append", e);
            let entry = to_py(py, entry).map_err(keep)?;
            let records = to_py(py, &records).map_err(keep)?;
            call(py, &self.obj, &self.raised, "append", (entry, records)).map(drop)
        })
    }

    fn audit(&self, query: &RecordQuery) -> infrarag::Result<Vec<AuditEntry>> {
        Python::attach(|py| {
            let q = query_py(py, query).map_err(|e| self.raised.keep("audit", e))?;
            let out = call(py, &self.obj, &self.raised, "audit", (q,))?;
            from_py(py, "audit", &out)
        })
    }

    fn records(&self, query: &RecordQuery) -> infrarag::Result<Vec<StoredRecord>> {
        Python::attach(|py| {
            let q = query_py(py, query).map_err(|e| self.raised.keep("records", e))?;
            let out = call(py, &self.obj, &self.raised, "records", (q,))?;
            from_py(py, "records", &out)
        })
    }

    fn prune(&self, before_ms: u64) -> infrarag::Result<usize> {
        Python::attach(|py| {
            let out = call(py, &self.obj, &self.raised, "prune", (before_ms,))?;
            from_py(py, "prune", &out)
        })
    }
}
