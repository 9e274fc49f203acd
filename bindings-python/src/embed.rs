//! `infrarag.embed`: the offline and HTTP embedders.

use std::sync::Arc;

use std::collections::BTreeMap;

use pyo3::prelude::*;

use infrarag::embed::{Embedder, Hashing, HttpEmbedder};

use crate::error::{maybe_whole, Failure, Result};
use crate::http::{retries, Fields};

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

    #[staticmethod]
    #[pyo3(signature = (url, model, *, api_key = None, headers = None, dimension = None, batch_size = None, concurrency = None, timeout = None, max_retries = None, backoff = None, max_backoff = None, max_retry_after = None))]
    #[allow(clippy::too_many_arguments)]
    fn http(
        py: Python<'_>,
        url: String,
        model: String,
        api_key: Option<String>,
        headers: Option<BTreeMap<String, String>>,
        dimension: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] batch_size: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] concurrency: Option<usize>,
        timeout: Option<f64>,
        #[pyo3(from_py_with = retries)] max_retries: Option<u32>,
        backoff: Option<f64>,
        max_backoff: Option<f64>,
        max_retry_after: Option<f64>,
    ) -> Result<Self> {
        let http = Fields {
            headers,
            timeout,
            max_retries,
            backoff,
            max_backoff,
            max_retry_after,
        };
        let mut builder = HttpEmbedder::builder(url, model);
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        builder = builder.http(http.options()?);
        if let Some(n) = batch_size {
            builder = builder.batch_size(n);
        }
        if let Some(n) = concurrency {
            builder = builder.concurrency(n);
        }
        if let Some(d) = dimension {
            builder = builder.dimension(d);
        }
        let inner = py.detach(|| builder.build())?;
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
        py.detach(|| self.inner.embed(&refs)).map_err(Failure::from)
    }

    fn __repr__(&self) -> String {
        format!(
            "Embedder(model='{}', dimension={})",
            self.inner.model(),
            self.inner.dimension()
        )
    }
}
