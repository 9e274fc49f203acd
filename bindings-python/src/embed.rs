//! `infrarag.embed`: the offline and HTTP embedders.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;

use infrarag::embed::{Embedder, Hashing, HttpEmbedder};
use infrarag::Error;

use crate::error::{to_pyerr, whole_number, whole_u32, Failure, Result};

/// Turns texts into vectors; see `infrarag/embed.py`.
#[pyclass(name = "Embedder", module = "infrarag._native", frozen)]
pub(crate) struct PyEmbedder {
    pub(crate) inner: Arc<dyn Embedder>,
}

#[pymethods]
impl PyEmbedder {
    #[staticmethod]
    #[pyo3(signature = (dimension = 384))]
    fn hashing(#[pyo3(from_py_with = whole_number)] dimension: usize) -> Result<Self> {
        let inner = Hashing::new(dimension)?;
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
    ) -> Result<Self> {
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
