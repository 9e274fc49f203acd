//! `infrarag.llm`: the Anthropic and OpenAI-compatible clients and the
//! offline fallback, called without the GIL.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;

use infrarag::llm::{self, ChatModel, ChatModelBuilder, Fallback, LanguageModel, Request};

use crate::convert::{json_of, serialize};
use crate::detach::detached;
use crate::error::{invalid, whole_u32, Failure, Result};

/// A model that answers requests; see `infrarag/llm.py`.
#[pyclass(name = "LanguageModel", module = "infrarag._native", frozen)]
pub struct PyModel {
    pub(crate) inner: Arc<dyn LanguageModel>,
}

#[allow(clippy::too_many_arguments)]
fn configured(
    py: Python<'_>,
    b: ChatModelBuilder,
    api_key: Option<String>,
    base_url: Option<String>,
    timeout: f64,
    max_retries: u32,
    (backoff, max_backoff, max_retry_after): (f64, f64, f64),
) -> Result<PyModel> {
    let secs = |name: &str, v: f64| {
        Duration::try_from_secs_f64(v)
            .map_err(|_| invalid(py, name, format!("{v} is not a number of seconds")))
    };
    let mut b = b
        .timeout(secs("timeout", timeout)?)
        .max_retries(max_retries)
        .backoff(secs("backoff", backoff)?, secs("max_backoff", max_backoff)?)
        .max_retry_after(secs("max_retry_after", max_retry_after)?);
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
    #[pyo3(signature = (model, *, api_key = None, base_url = None, timeout = 120.0, max_retries = 4, backoff = 1.0, max_backoff = 60.0, max_retry_after = 60.0))]
    #[allow(clippy::too_many_arguments)]
    fn anthropic(
        py: Python<'_>,
        model: String,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: f64,
        #[pyo3(from_py_with = whole_u32)] max_retries: u32,
        backoff: f64,
        max_backoff: f64,
        max_retry_after: f64,
    ) -> Result<Self> {
        configured(
            py,
            ChatModel::anthropic(model),
            api_key,
            base_url,
            timeout,
            max_retries,
            (backoff, max_backoff, max_retry_after),
        )
    }

    #[staticmethod]
    #[pyo3(signature = (model, *, api_key = None, base_url = None, timeout = 120.0, max_retries = 4, backoff = 1.0, max_backoff = 60.0, max_retry_after = 60.0))]
    #[allow(clippy::too_many_arguments)]
    fn openai(
        py: Python<'_>,
        model: String,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: f64,
        #[pyo3(from_py_with = whole_u32)] max_retries: u32,
        backoff: f64,
        max_backoff: f64,
        max_retry_after: f64,
    ) -> Result<Self> {
        configured(
            py,
            ChatModel::openai(model),
            api_key,
            base_url,
            timeout,
            max_retries,
            (backoff, max_backoff, max_retry_after),
        )
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
