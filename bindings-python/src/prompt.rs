//! `infrarag.prompt`: prompt assembly under a budget, conversation memory,
//! templates and redaction.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use infrarag::llm::{Role, ToolSpec};
use infrarag::prompt::{
    self, ContextItem, Conversation, ModelSummariser, Prompt, PromptBuilder, Template, Turn,
};
use infrarag::Error;

use crate::convert::{json_of, serialize, to_py, typed};
use crate::detach::{detached, released};
use crate::error::{invalid, maybe_whole, whole_number, Failure, Result};
use crate::llm::PyModel;

/// An assembled prompt; see `infrarag/prompt.py`.
#[pyclass(name = "Prompt", module = "infrarag._native", frozen)]
pub struct PyPrompt {
    inner: Prompt,
}

#[pymethods]
impl PyPrompt {
    /// The request, Anthropic-shaped: `{"system", "messages", "max_tokens", ...}`.
    #[getter]
    fn request(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.inner.request)
    }
    /// Tokens the prompt may use: the context window less the reserved output.
    #[getter]
    fn budget(&self) -> usize {
        self.inner.budget
    }
    /// Tokens the prompt uses.
    #[getter]
    fn tokens(&self) -> usize {
        self.inner.tokens
    }
    /// The context items included, in the order given; the prompt numbers
    /// them `[1]`, `[2]`, ... for citation.
    #[getter]
    fn context(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.inner.context)
    }
    /// What was left out to fit the budget, in the order it was dropped.
    #[getter]
    fn omitted(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.inner.omitted)
    }
    /// Secrets replaced: `{"kind", "source", "line", "column", "placeholder"}`.
    #[getter]
    fn redactions(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.inner.redactions)
    }
    /// Every field above as one JSON-ready dict.
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.inner)
    }
    /// The request body of Anthropic's Messages API for `model`.
    fn to_anthropic(&self, py: Python<'_>, model: &str) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.to_anthropic(model))
    }
    /// The request body of OpenAI's Chat Completions API for `model`.
    fn to_openai(&self, py: Python<'_>, model: &str) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.to_openai(model))
    }
    fn __repr__(&self) -> String {
        format!(
            "Prompt({} of {} tokens, {} omitted)",
            self.inner.tokens,
            self.inner.budget,
            self.inner.omitted.len()
        )
    }
}

/// Builds a prompt from plain values; `infrarag.prompt.PromptBuilder`
/// gathers them.
#[pyfunction]
#[pyo3(signature = (user, *, system, task, context, conversation, tools, context_window, reserve_output, tokenizer, redact, temperature))]
#[allow(clippy::too_many_arguments)]
pub fn build_prompt(
    py: Python<'_>,
    user: Option<String>,
    system: Vec<(String, bool)>,
    task: Option<String>,
    context: &Bound<'_, PyAny>,
    conversation: Option<PyRef<'_, PyConversation>>,
    tools: &Bound<'_, PyAny>,
    #[pyo3(from_py_with = maybe_whole)] context_window: Option<usize>,
    #[pyo3(from_py_with = maybe_whole)] reserve_output: Option<usize>,
    tokenizer: Option<&str>,
    redact: Option<bool>,
    temperature: Option<f32>,
) -> Result<PyPrompt> {
    let context = context_of(py, context)?;
    let tools: Vec<ToolSpec> = typed(py, "tools", json_of(py, tools)?)?;
    let mut b = PromptBuilder::new().context(context).tools(tools);
    if let Some(name) = tokenizer {
        b = b.tokenizer(Arc::from(infrarag::tokens::by_name(name)?));
    }
    if let Some(n) = context_window {
        b = b.context_window(n);
    }
    if let Some(n) = reserve_output {
        b = b.reserve_output(n);
    }
    if let Some(on) = redact {
        b = b.redact(on);
    }
    if let Some(u) = user {
        b = b.user(u);
    }
    for (text, cache) in system {
        b = b.system(text, cache);
    }
    if let Some(t) = task {
        b = b.task(t);
    }
    if let Some(t) = temperature {
        b = b.temperature(t);
    }
    if let Some(c) = conversation {
        b = b.history(&c.get()?);
    }
    let inner = released(py, || b.build())?;
    Ok(PyPrompt { inner })
}

/// Context items from a Python list of dicts.
pub(crate) fn context_of(py: Python<'_>, items: &Bound<'_, PyAny>) -> Result<Vec<ContextItem>> {
    match json_of(py, items)? {
        Value::Array(items) => items
            .iter()
            .map(|v| ContextItem::from_json(v).map_err(Failure::from))
            .collect(),
        other => Err(invalid(py, "context", format!("expected a list, got {other}")).into()),
    }
}

/// A chat's memory; see `infrarag/prompt.py`.
#[pyclass(name = "Conversation", module = "infrarag._native", frozen)]
pub struct PyConversation {
    inner: Mutex<Conversation>,
}

impl PyConversation {
    pub(crate) fn get(&self) -> PyResult<Conversation> {
        self.inner.lock().map(|c| c.clone()).map_err(|_| {
            Python::attach(|py| invalid(py, "conversation", "a call on it failed midway".into()))
        })
    }
}

#[pymethods]
impl PyConversation {
    #[new]
    #[pyo3(signature = (budget, *, keep_latest = None, tokenizer = None))]
    fn new(
        #[pyo3(from_py_with = whole_number)] budget: usize,
        #[pyo3(from_py_with = maybe_whole)] keep_latest: Option<usize>,
        tokenizer: Option<&str>,
    ) -> Result<Self> {
        let mut c = Conversation::new(budget);
        if let Some(n) = keep_latest {
            c = c.with_keep_latest(n);
        }
        if let Some(name) = tokenizer {
            c = c.with_tokenizer(name)?;
        }
        Ok(PyConversation {
            inner: Mutex::new(c),
        })
    }

    #[staticmethod]
    fn from_json(text: &str) -> Result<Self> {
        let c = Conversation::from_json(text)?;
        Ok(PyConversation {
            inner: Mutex::new(c),
        })
    }

    /// The conversation as JSON text, to store and restore with `from_json`.
    fn to_json(&self) -> PyResult<String> {
        Ok(self.get()?.to_json())
    }

    /// Adds a turn; returns its tokens.
    fn push(&self, py: Python<'_>, role_name: &str, text: String) -> Result<usize> {
        let r: Role = role_name.parse()?;
        let mut c = self
            .inner
            .lock()
            .map_err(|_| invalid(py, "conversation", "poisoned".into()))?;
        c.push(r, text).map(|t| t.tokens).map_err(Failure::from)
    }

    /// Tokens the turns and the summary use.
    #[getter]
    fn tokens(&self) -> PyResult<usize> {
        Ok(self.get()?.tokens())
    }
    /// Tokens the history may use.
    #[getter]
    fn budget(&self) -> PyResult<usize> {
        Ok(self.get()?.budget)
    }
    /// Whether the turns and summary exceed the budget.
    #[getter]
    fn over_budget(&self) -> PyResult<bool> {
        Ok(self.get()?.over_budget())
    }
    /// The turns kept verbatim: `{"role", "text", "tokens"}`.
    #[getter]
    fn turns(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.get()?.turns)
    }
    /// The summary of folded turns (`{"text", "tokens", "turns"}`), or None.
    #[getter]
    fn summary(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        serialize(py, &self.get()?.summary)
    }

    /// Folds the oldest turns into the summary when over budget.
    fn compact(&self, py: Python<'_>, summariser: &Bound<'_, PyAny>) -> Result<Py<PyAny>> {
        let mut c = self.get()?;
        let model = summariser
            .cast::<PyModel>()
            .ok()
            .map(|m| m.get().inner.clone());
        let callable = summariser.clone().unbind();
        let result = detached(py, |guard| match model {
            Some(m) => c.compact(&ModelSummariser::new(m, 1024)).map(|r| (r, c)),
            None => {
                let call = |previous: Option<&str>, turns: &[Turn]| -> infrarag::Result<String> {
                    let mut out = None;
                    let _ = guard.call(|py| {
                        let text: String = callable
                            .call1(py, (previous, serialize(py, &turns.to_vec())?))?
                            .extract(py)?;
                        out = Some(text);
                        Ok(())
                    });
                    out.ok_or(Error::Cancelled)
                };
                c.compact(&call).map(|r| (r, c))
            }
        })?;
        let (done, compacted) = result?;
        *self
            .inner
            .lock()
            .map_err(|_| invalid(py, "conversation", "poisoned".into()))? = compacted;
        Ok(serialize(py, &done)?)
    }

    /// How many of the oldest turns `fold` may replace now.
    fn foldable(&self) -> PyResult<usize> {
        Ok(self.get()?.foldable())
    }

    /// Replaces the `n` oldest turns and the summary with `summary`;
    /// returns `{"folded", "tokens_before", "tokens_after"}`.
    fn fold(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = whole_number)] n: usize,
        summary: String,
    ) -> Result<Py<PyAny>> {
        let mut c = self
            .inner
            .lock()
            .map_err(|_| invalid(py, "conversation", "poisoned".into()))?;
        let done = c.fold(n, summary)?;
        Ok(serialize(py, &done)?)
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.get()?.turns.len())
    }
}

/// A prompt template with `{{name}}` slots.
#[pyclass(name = "Template", module = "infrarag._native", frozen)]
pub struct PyTemplate {
    inner: Template,
}

#[pymethods]
impl PyTemplate {
    #[new]
    fn new(text: &str) -> Result<Self> {
        Template::parse(text)
            .map(|inner| PyTemplate { inner })
            .map_err(Failure::from)
    }

    /// The names the template uses, in order of first use.
    #[getter]
    fn variables(&self) -> Vec<String> {
        self.inner
            .variables()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The text with each `{{name}}` replaced by the value given; raises InvalidArgumentError for a missing one.
    #[pyo3(signature = (**values))]
    fn render(&self, values: Option<&Bound<'_, PyDict>>) -> Result<String> {
        let mut pairs = Vec::new();
        if let Some(v) = values {
            for (k, val) in v.iter() {
                pairs.push((k.str()?.to_string(), val.str()?.to_string()));
            }
        }
        self.inner.render(pairs).map_err(Failure::from)
    }
}

/// Replaces secrets in `text`; returns the text and what was replaced.
#[pyfunction]
pub fn redact(py: Python<'_>, text: &str) -> PyResult<(String, Py<PyAny>)> {
    let (out, found) = prompt::redact(text);
    Ok((out, serialize(py, &found)?))
}
