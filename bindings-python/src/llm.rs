//! `infrarag.llm`: the Anthropic and OpenAI-compatible clients and the
//! offline fallback, called without the GIL.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use infrarag::llm::{self, ChatModel, ChatModelBuilder, Fallback, LanguageModel, Request};

use crate::convert::{json_of, serialize};
use crate::detach::detached;
use crate::error::{Failure, Result};
use crate::http::Options;

/// A model that answers requests; see `infrarag/llm.py`.
#[pyclass(name = "LanguageModel", module = "infrarag._native", frozen)]
pub struct PyModel {
    pub(crate) inner: Arc<dyn LanguageModel>,
}

/// A chat model of `b`'s provider, configured by the caller's options.
fn chat(
    b: ChatModelBuilder,
    options: Option<&Bound<'_, PyDict>>,
    function: &str,
) -> Result<PyModel> {
    let Some(given) = options else {
        return Ok(PyModel {
            inner: Arc::new(b.build()?),
        });
    };
    let options = Options::new(given.py(), Some(given))?;
    let mut b = b.http(options.http()?);
    if let Some(k) = options.take::<String>("api_key")? {
        b = b.api_key(k);
    }
    if let Some(u) = options.take::<String>("base_url")? {
        b = b.base_url(u);
    }
    options.finish(function)?;
    Ok(PyModel {
        inner: Arc::new(b.build()?),
    })
}

fn request_of(py: Python<'_>, request: &Bound<'_, PyAny>) -> Result<Request> {
    Request::from_json(json_of(py, request)?).map_err(Failure::from)
}

#[pymethods]
impl PyModel {
    /// See `infrarag/llm.py`: `api_key`, `base_url` and the transport
    /// options every HTTP client takes.
    #[staticmethod]
    #[pyo3(signature = (model, **options))]
    fn anthropic(model: String, options: Option<&Bound<'_, PyDict>>) -> Result<Self> {
        chat(ChatModel::anthropic(model), options, "anthropic")
    }

    /// See `infrarag/llm.py`: `api_key`, `base_url` and the transport
    /// options every HTTP client takes.
    #[staticmethod]
    #[pyo3(signature = (model, **options))]
    fn openai(model: String, options: Option<&Bound<'_, PyDict>>) -> Result<Self> {
        chat(ChatModel::openai(model), options, "openai")
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
