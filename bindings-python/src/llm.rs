//! `infrarag.llm`: the Anthropic and OpenAI-compatible clients and the
//! offline fallback, called without the GIL.

use std::sync::Arc;

use std::collections::BTreeMap;

use pyo3::prelude::*;

use infrarag::llm::{self, ChatModel, ChatModelBuilder, Fallback, LanguageModel, Request};

use crate::convert::{json_of, serialize};
use crate::detach::detached;
use crate::error::{Failure, Result};
use crate::http::{retries, Fields};

/// A model that answers requests; see `infrarag/llm.py`.
#[pyclass(name = "LanguageModel", module = "infrarag._native", frozen)]
pub struct PyModel {
    pub(crate) inner: Arc<dyn LanguageModel>,
}

fn configured(
    b: ChatModelBuilder,
    api_key: Option<String>,
    base_url: Option<String>,
    http: Fields,
) -> Result<PyModel> {
    let mut b = b.http(http.options()?);
    if let Some(k) = api_key {
        b = b.api_key(k);
    }
    if let Some(u) = base_url {
        b = b.base_url(u);
    }
    let model = b.build()?;
    Ok(PyModel {
        inner: Arc::new(model),
    })
}

fn request_of(py: Python<'_>, request: &Bound<'_, PyAny>) -> Result<Request> {
    Request::from_json(json_of(py, request)?).map_err(Failure::from)
}

#[pymethods]
impl PyModel {
    #[staticmethod]
    #[pyo3(signature = (model, *, api_key = None, base_url = None, headers = None, timeout = None, max_retries = None, backoff = None, max_backoff = None, max_retry_after = None))]
    #[allow(clippy::too_many_arguments)]
    fn anthropic(
        model: String,
        api_key: Option<String>,
        base_url: Option<String>,
        headers: Option<BTreeMap<String, String>>,
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
        configured(ChatModel::anthropic(model), api_key, base_url, http)
    }

    #[staticmethod]
    #[pyo3(signature = (model, *, api_key = None, base_url = None, headers = None, timeout = None, max_retries = None, backoff = None, max_backoff = None, max_retry_after = None))]
    #[allow(clippy::too_many_arguments)]
    fn openai(
        model: String,
        api_key: Option<String>,
        base_url: Option<String>,
        headers: Option<BTreeMap<String, String>>,
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
        configured(ChatModel::openai(model), api_key, base_url, http)
    }

    #[staticmethod]
    fn fallback() -> Self {
        PyModel {
            inner: Arc::new(Fallback::new()),
        }
    }

    #[staticmethod]
    #[pyo3(signature = (model = None))]
    fn from_env(model: Option<&str>) -> Result<Self> {
        let inner = llm::from_env(model)?;
        Ok(PyModel { inner })
    }

    /// The model's name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Answers `request` (a string or an Anthropic-shaped dict); see `infrarag/llm.py`.
    #[pyo3(signature = (request, on_delta = None))]
    fn complete(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        on_delta: Option<Py<PyAny>>,
    ) -> Result<Py<PyAny>> {
        let request = request_of(py, request)?;
        let model = self.inner.clone();
        let result = detached(py, |guard| {
            model.stream(&request, &mut |d| match &on_delta {
                Some(cb) => guard.call(|py| cb.call1(py, (serialize(py, d)?,)).map(|_| ())),
                None => guard.call(|_| Ok(())),
            })
        })?;
        let done = result?;
        Ok(serialize(py, &done)?)
    }

    fn __repr__(&self) -> String {
        format!("LanguageModel({:?})", self.inner.name())
    }
}
