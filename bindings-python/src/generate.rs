//! `infrarag.llm`, `infrarag.prompt` and `infrarag.pipeline`: language
//! models, prompt assembly, conversation memory and the generation loop.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;

use infrarag::llm::{
    self, ChatModel, ChatModelBuilder, Fallback, LanguageModel, Request, Role, ToolSpec,
};
use infrarag::pipeline::{Generator, Tool};
use infrarag::prompt::{
    self, ContextItem, Conversation, ModelSummariser, Prompt, PromptBuilder, Template, Turn,
};
use infrarag::validate::Validator;
use infrarag::Error;

use super::{
    detached, detached_until, serialize, to_py, to_pyerr, whole_number, whole_u32, PyCancelToken,
    PyIndex,
};

/// A Python value as JSON, through `json.dumps`, so anything JSON-able
/// (dicts, lists, numbers, dataclasses made into dicts) is accepted.
fn json_of(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let text: String = py
        .import("json")?
        .call_method1("dumps", (obj,))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| invalid(py, "value", e.to_string()))
}

fn invalid(py: Python<'_>, name: &str, message: String) -> PyErr {
    to_pyerr(
        py,
        Error::InvalidArgument {
            name: name.into(),
            message,
        },
    )
}

/// A JSON value as a typed core value, or `InvalidArgumentError` naming
/// the argument.
fn typed<T: serde::de::DeserializeOwned>(py: Python<'_>, name: &str, v: Value) -> PyResult<T> {
    serde_json::from_value(v).map_err(|e| invalid(py, name, e.to_string()))
}

/// A model that answers requests; see `infrarag/llm.py`.
#[pyclass(name = "LanguageModel", module = "infrarag._native", frozen)]
pub struct PyModel {
    inner: Arc<dyn LanguageModel>,
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
) -> PyResult<PyModel> {
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
    let model = b.build().map_err(|e| to_pyerr(py, e))?;
    Ok(PyModel {
        inner: Arc::new(model),
    })
}

fn request_of(py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<Request> {
    Request::from_json(json_of(py, request)?).map_err(|e| to_pyerr(py, e))
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
    ) -> PyResult<Self> {
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
    ) -> PyResult<Self> {
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
    fn from_env(py: Python<'_>, model: Option<&str>) -> PyResult<Self> {
        let inner = llm::from_env(model).map_err(|e| to_pyerr(py, e))?;
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
    ) -> PyResult<Py<PyAny>> {
        let request = request_of(py, request)?;
        let model = self.inner.clone();
        let result = detached(py, |guard| {
            model.stream(&request, &mut |d| match &on_delta {
                Some(cb) => guard.call(|py| cb.call1(py, (serialize(py, d)?,)).map(|_| ())),
                None => guard.call(|_| Ok(())),
            })
        })?;
        let done = result.map_err(|e| to_pyerr(py, e))?;
        serialize(py, &done)
    }

    fn __repr__(&self) -> String {
        format!("LanguageModel({:?})", self.inner.name())
    }
}

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
    #[pyo3(from_py_with = whole_number)] context_window: usize,
    #[pyo3(from_py_with = whole_number)] reserve_output: usize,
    tokenizer: &str,
    redact: bool,
    temperature: Option<f32>,
) -> PyResult<PyPrompt> {
    let context = context_of(py, context)?;
    let tools: Vec<ToolSpec> = typed(py, "tools", json_of(py, tools)?)?;
    let tok = infrarag::tokens::by_name(tokenizer).map_err(|e| to_pyerr(py, e))?;
    let mut b = PromptBuilder::new()
        .tokenizer(Arc::from(tok))
        .context_window(context_window)
        .reserve_output(reserve_output)
        .context(context)
        .tools(tools)
        .redact(redact);
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
    let inner = py.detach(|| b.build()).map_err(|e| to_pyerr(py, e))?;
    Ok(PyPrompt { inner })
}

/// Context items from a Python list of dicts.
fn context_of(py: Python<'_>, items: &Bound<'_, PyAny>) -> PyResult<Vec<ContextItem>> {
    match json_of(py, items)? {
        Value::Array(items) => items
            .iter()
            .map(|v| ContextItem::from_json(v).map_err(|e| to_pyerr(py, e)))
            .collect(),
        other => Err(invalid(
            py,
            "context",
            format!("expected a list, got {other}"),
        )),
    }
}

/// A chat's memory; see `infrarag/prompt.py`.
#[pyclass(name = "Conversation", module = "infrarag._native", frozen)]
pub struct PyConversation {
    inner: Mutex<Conversation>,
}

impl PyConversation {
    fn get(&self) -> PyResult<Conversation> {
        self.inner.lock().map(|c| c.clone()).map_err(|_| {
            Python::attach(|py| invalid(py, "conversation", "a call on it failed midway".into()))
        })
    }
}

fn role(py: Python<'_>, name: &str) -> PyResult<Role> {
    match name {
        "user" => Ok(Role::User),
        "assistant" => Ok(Role::Assistant),
        other => Err(invalid(
            py,
            "role",
            format!("{other:?} is not \"user\" or \"assistant\""),
        )),
    }
}

#[pymethods]
impl PyConversation {
    #[new]
    #[pyo3(signature = (budget, *, keep_latest = 4, tokenizer = "cl100k_base"))]
    fn new(
        py: Python<'_>,
        #[pyo3(from_py_with = whole_number)] budget: usize,
        #[pyo3(from_py_with = whole_number)] keep_latest: usize,
        tokenizer: &str,
    ) -> PyResult<Self> {
        let c = Conversation::new(budget)
            .with_keep_latest(keep_latest)
            .with_tokenizer(tokenizer)
            .map_err(|e| to_pyerr(py, e))?;
        Ok(PyConversation {
            inner: Mutex::new(c),
        })
    }

    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        let c = Conversation::from_json(text).map_err(|e| to_pyerr(py, e))?;
        Ok(PyConversation {
            inner: Mutex::new(c),
        })
    }

    /// The conversation as JSON text, to store and restore with `from_json`.
    fn to_json(&self) -> PyResult<String> {
        Ok(self.get()?.to_json())
    }

    /// Adds a turn; returns its tokens.
    fn push(&self, py: Python<'_>, role_name: &str, text: String) -> PyResult<usize> {
        let r = role(py, role_name)?;
        let mut c = self
            .inner
            .lock()
            .map_err(|_| invalid(py, "conversation", "poisoned".into()))?;
        c.push(r, text)
            .map(|t| t.tokens)
            .map_err(|e| to_pyerr(py, e))
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
    fn compact(&self, py: Python<'_>, summariser: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
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
        let (done, compacted) = result.map_err(|e| to_pyerr(py, e))?;
        *self
            .inner
            .lock()
            .map_err(|_| invalid(py, "conversation", "poisoned".into()))? = compacted;
        serialize(py, &done)
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
    fn new(py: Python<'_>, text: &str) -> PyResult<Self> {
        Template::parse(text)
            .map(|inner| PyTemplate { inner })
            .map_err(|e| to_pyerr(py, e))
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
    fn render(&self, py: Python<'_>, values: Option<&Bound<'_, PyDict>>) -> PyResult<String> {
        let mut pairs = Vec::new();
        if let Some(v) = values {
            for (k, val) in v.iter() {
                pairs.push((k.str()?.to_string(), val.str()?.to_string()));
            }
        }
        self.inner.render(pairs).map_err(|e| to_pyerr(py, e))
    }
}

/// Replaces secrets in `text`; returns the text and what was replaced.
#[pyfunction]
pub fn redact(py: Python<'_>, text: &str) -> PyResult<(String, Py<PyAny>)> {
    let (out, found) = prompt::redact(text);
    Ok((out, serialize(py, &found)?))
}

/// A Python callable the model may call.
struct PyTool {
    spec: ToolSpec,
    function: Py<PyAny>,
}

impl Tool for PyTool {
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    fn call(&self, input: &Value) -> infrarag::Result<String> {
        Python::attach(|py| -> PyResult<String> {
            let arg = to_py(py, input)?;
            let out = self.function.call1(py, (arg,))?;
            let out = out.bind(py);
            match out.extract::<String>() {
                Ok(s) => Ok(s),
                Err(_) => py.import("json")?.call_method1("dumps", (out,))?.extract(),
            }
        })
        .map_err(|e| Error::InvalidArgument {
            name: self.spec.name.clone(),
            message: e.to_string(),
        })
    }
}

/// The generation loop; see `infrarag/pipeline.py`.
#[pyclass(name = "Generator", module = "infrarag._native", frozen)]
pub struct PyGenerator {
    inner: Generator,
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (model, *, tools, max_rounds, max_steps, k, checks, skip_checks, system, context_window, reserve_output))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        model: PyRef<'_, PyModel>,
        tools: Vec<(String, String, Py<PyAny>, Py<PyAny>)>,
        #[pyo3(from_py_with = whole_number)] max_rounds: usize,
        #[pyo3(from_py_with = whole_number)] max_steps: usize,
        #[pyo3(from_py_with = whole_number)] k: usize,
        checks: Option<Vec<String>>,
        skip_checks: Option<Vec<String>>,
        system: Option<String>,
        #[pyo3(from_py_with = whole_number)] context_window: usize,
        #[pyo3(from_py_with = whole_number)] reserve_output: usize,
    ) -> PyResult<Self> {
        let mut validator = Validator::new();
        if let Some(c) = checks {
            validator = validator.with_checks(c);
        }
        if let Some(s) = skip_checks {
            validator = validator.skip_checks(s);
        }
        validator.verify_checks().map_err(|e| to_pyerr(py, e))?;
        let mut g = Generator::new(model.inner.clone())
            .validator(validator)
            .max_rounds(max_rounds)
            .max_steps(max_steps)
            .k(k)
            .context_window(context_window, reserve_output);
        if let Some(s) = system {
            g = g.system(s);
        }
        for (name, description, parameters, function) in tools {
            let parameters = json_of(py, parameters.bind(py))?;
            g = g.tool(Arc::new(PyTool {
                spec: ToolSpec {
                    name,
                    description,
                    parameters,
                },
                function,
            }));
        }
        Ok(PyGenerator { inner: g })
    }

    /// Runs the loop for `task`; see `infrarag/pipeline.py`.
    #[pyo3(signature = (task, *, index = None, context = None, conversation = None, on_event = None, cancel = None))]
    #[allow(clippy::too_many_arguments)]
    fn generate(
        &self,
        py: Python<'_>,
        task: String,
        index: Option<PyRef<'_, PyIndex>>,
        context: Option<&Bound<'_, PyAny>>,
        conversation: Option<PyRef<'_, PyConversation>>,
        on_event: Option<Py<PyAny>>,
        cancel: Option<PyRef<'_, PyCancelToken>>,
    ) -> PyResult<Py<PyAny>> {
        let cancel = cancel.map(|c| c.inner.clone()).unwrap_or_default();
        let given = match context {
            Some(c) => context_of(py, c)?,
            None => Vec::new(),
        };
        let history = conversation.map(|c| c.get()).transpose()?;
        let generator = &self.inner;
        // The index is locked only while searching, so other threads may
        // change it during the (long) generation.
        let mut items = match &index {
            Some(i) => i
                .read(py, |index| generator.retrieve(index, &task))?
                .map_err(|e| to_pyerr(py, e))?,
            None => Vec::new(),
        };
        items.extend(given);
        let token = cancel.clone();
        let result = detached_until(py, cancel, |g| {
            let mut run = generator
                .generate(&task)
                .context(items)
                .cancel(token)
                .on_event(|e| match &on_event {
                    Some(cb) => g.call(|py| cb.call1(py, (serialize(py, e)?,)).map(|_| ())),
                    None => g.call(|_| Ok(())),
                });
            if let Some(h) = &history {
                run = run.history(h);
            }
            run.execute()
        })?;
        let done = result.map_err(|e| to_pyerr(py, e))?;
        serialize(py, &done)
    }

    /// The model's name.
    #[getter]
    fn model(&self) -> String {
        self.inner.model().name().to_string()
    }
}
