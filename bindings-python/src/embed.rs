//! `infrarag.embed`: the offline and HTTP embedders.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use infrarag::embed::{Embedder, Hashing, HttpEmbedder};

use crate::detach::released;
use crate::error::{maybe_whole, Failure, Result};
use crate::http::Options;

/// Turns texts into vectors; see `infrarag/embed.py`.
#[pyclass(name = "Embedder", module = "infrarag._native", frozen)]
pub(crate) struct PyEmbedder {
    pub(crate) inner: Arc<dyn Embedder>,
}

#[pymethods]
impl PyEmbedder {
    #[staticmethod]
    #[pyo3(signature = (dimension = None))]
    fn hashing(#[pyo3(from_py_with = maybe_whole)] dimension: Option<usize>) -> Result<Self> {
        let inner = match dimension {
            Some(d) => Hashing::new(d)?,
            None => Hashing::default(),
        };
        Ok(PyEmbedder {
            inner: Arc::new(inner),
        })
    }

    /// See `infrarag/embed.py`: `api_key`, `dimension`, `batch_size`,
    /// `concurrency`, and the transport options every HTTP client takes.
    #[staticmethod]
    #[pyo3(signature = (url, model, **options))]
    fn http(
        py: Python<'_>,
        url: String,
        model: String,
        options: Option<&Bound<'_, PyDict>>,
    ) -> Result<Self> {
        let options = Options::new(py, options)?;
        let mut builder = HttpEmbedder::builder(url, model);
        if let Some(key) = options.take::<String>("api_key")? {
            builder = builder.api_key(key);
        }
        builder = builder.http(options.http()?);
        if let Some(n) = options.whole("batch_size")? {
            builder = builder.batch_size(n);
        }
        if let Some(n) = options.whole("concurrency")? {
            builder = builder.concurrency(n);
        }
        let dimension = options.whole("dimension")?;
        options.finish("http")?;
        if let Some(d) = dimension {
            builder = builder.dimension(d);
        }
        let inner = released(py, || builder.build())?;
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
    fn embed(&self, py: Python<'_>, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        released(py, || self.inner.embed(&refs)).map_err(Failure::from)
    }

    fn __repr__(&self) -> String {
        format!(
            "Embedder(model='{}', dimension={})",
            self.inner.model(),
            self.inner.dimension()
        )
    }
}
