//! `infrarag.pipeline`: the generate → validate → correct loop, with
//! Python tools, events and cancellation.

use std::sync::Arc;

use pyo3::prelude::*;
use serde_json::Value;

use infrarag::llm::ToolSpec;
use infrarag::pipeline::{Generator, Tool};
use infrarag::validate::Validator;
use infrarag::Error;

use crate::cancel::PyCancelToken;
use crate::convert::{json_of, serialize, to_py};
use crate::detach::detached_until;
use crate::error::{maybe_whole, Result};
use crate::index::PyIndex;
use crate::llm::PyModel;
use crate::prompt::{context_of, PyConversation};

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
        .map_err(|e| Error::Tool {
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
    #[pyo3(signature = (model, *, tools, max_rounds = None, max_steps = None, k = None, checks = None, skip_checks = None, system = None, context_window = None, reserve_output = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        model: PyRef<'_, PyModel>,
        tools: Vec<(String, String, Py<PyAny>, Py<PyAny>)>,
        #[pyo3(from_py_with = maybe_whole)] max_rounds: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] max_steps: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] k: Option<usize>,
        checks: Option<Vec<String>>,
        skip_checks: Option<Vec<String>>,
        system: Option<String>,
        #[pyo3(from_py_with = maybe_whole)] context_window: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] reserve_output: Option<usize>,
    ) -> Result<Self> {
        let mut validator = Validator::new();
        if let Some(c) = checks {
            validator = validator.with_checks(c);
        }
        if let Some(s) = skip_checks {
            validator = validator.skip_checks(s);
        }
        validator.verify_checks()?;
        let mut g = Generator::new(model.inner.clone()).validator(validator);
        if let Some(n) = max_rounds {
            g = g.max_rounds(n);
        }
        if let Some(n) = max_steps {
            g = g.max_steps(n);
        }
        if let Some(n) = k {
            g = g.k(n);
        }
        if let Some(n) = context_window {
            g = g.context_window(n);
        }
        if let Some(n) = reserve_output {
            g = g.reserve_output(n);
        }
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
    ) -> Result<Py<PyAny>> {
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
            Some(i) => i.read(py, |index| generator.retrieve(index, &task))??,
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
        let done = result?;
        Ok(serialize(py, &done)?)
    }

    /// The model's name.
    #[getter]
    fn model(&self) -> String {
        self.inner.model().name().to_string()
    }
}
