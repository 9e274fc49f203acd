//! `infrarag.tokens`: the built-in tokenizers, and Python callables used
//! as tokenizers by the core.

use std::sync::Mutex;

use pyo3::prelude::*;

use infrarag::{tokens, Error};

use crate::detach::released;
use crate::error::{to_pyerr, Failure, Result};

/// A built-in tokenizer; see `infrarag/tokens.py`.
#[pyclass(name = "Tokenizer", module = "infrarag._native", frozen)]
pub(crate) struct PyTokenizer {
    pub(crate) inner: Box<dyn tokens::Tokenizer>,
}

#[pymethods]
impl PyTokenizer {
    #[new]
    pub(crate) fn new(name: &str) -> Result<Self> {
        let inner = tokens::by_name(name)?;
        Ok(PyTokenizer { inner })
    }

    /// The encoding: `cl100k_base`, `o200k_base` or `approximate`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// How many tokens `text` is, as tiktoken counts them.
    fn count(&self, py: Python<'_>, text: &str) -> Result<usize> {
        let text = text.to_owned();
        Ok(released(py, || Ok(self.inner.count(&text)))?)
    }

    /// The token ids of `text`.
    fn encode(&self, py: Python<'_>, text: &str) -> Result<Vec<u32>> {
        let text = text.to_owned();
        Ok(released(py, || Ok(self.inner.encode(&text)))?)
    }

    /// The text of token ids; raises InvalidArgumentError for ids that split a character or are unknown.
    fn decode(&self, tokens: Vec<u32>) -> Result<String> {
        self.inner.decode(&tokens).map_err(Failure::from)
    }

    fn __repr__(&self) -> String {
        format!("Tokenizer('{}')", self.inner.name())
    }
}

/// A Python tokenizer: a callable `text -> int` (a count) or `text -> list`
/// (ids), or an object with an `encode` method. The first exception it
/// raises is kept and re-raised when the call into Rust returns.
pub(crate) struct CallableTokenizer {
    /// The encoding: `cl100k_base`, `o200k_base` or `approximate`.
    name: String,
    func: Py<PyAny>,
    error: Mutex<Option<PyErr>>,
}

impl CallableTokenizer {
    pub(crate) fn new(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let func = if obj.is_callable() {
            obj.clone().unbind()
        } else if obj.hasattr("encode")? {
            obj.getattr("encode")?.unbind()
        } else {
            return Err(to_pyerr(
                py,
                Error::InvalidArgument {
                    name: "tokenizer".into(),
                    message: "expected a name, a Tokenizer, a callable or an object with `encode`"
                        .into(),
                },
            ));
        };
        let name = obj
            .getattr("name")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| "python".to_string());
        Ok(CallableTokenizer {
            name,
            func,
            error: Mutex::new(None),
        })
    }

    pub(crate) fn call(&self, text: &str) -> Option<Vec<u32>> {
        if self.failed() {
            return None;
        }
        Python::attach(|py| {
            let result = self.func.call1(py, (text,)).and_then(|r| {
                let r = r.bind(py);
                if let Ok(n) = r.extract::<usize>() {
                    Ok(vec![0; n])
                } else {
                    r.len().map(|n| vec![0; n])
                }
            });
            match result {
                Ok(ids) => Some(ids),
                Err(e) => {
                    if let Ok(mut slot) = self.error.lock() {
                        slot.get_or_insert(e);
                    }
                    None
                }
            }
        })
    }

    pub(crate) fn failed(&self) -> bool {
        self.error.lock().map(|e| e.is_some()).unwrap_or(true)
    }

    pub(crate) fn take_error(&self) -> Option<PyErr> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }
}

impl tokens::Tokenizer for CallableTokenizer {
    /// The encoding: `cl100k_base`, `o200k_base` or `approximate`.
    fn name(&self) -> &str {
        &self.name
    }

    /// Only the number of ids is known; the chunker needs no more.
    fn encode(&self, text: &str) -> Vec<u32> {
        self.call(text).unwrap_or_default()
    }

    /// The text of token ids; raises InvalidArgumentError for ids that split a character or are unknown.
    fn decode(&self, _tokens: &[u32]) -> infrarag::Result<String> {
        Err(Error::InvalidArgument {
            name: "tokens".into(),
            message: "a Python tokenizer cannot decode through infrarag".into(),
        })
    }

    /// An error counts as 0 tokens so the work ends quickly; the error is
    /// raised once it has.
    fn count(&self, text: &str) -> usize {
        self.call(text).map_or(0, |ids| ids.len())
    }
}
