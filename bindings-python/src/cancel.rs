//! `infrarag.CancelToken`: the core's token, for stopping a generation
//! from another thread.

use pyo3::prelude::*;

use infrarag::CancelToken;

/// Asks long work to stop; see `infrarag/__init__.py`.
#[pyclass(name = "CancelToken", module = "infrarag._native", frozen)]
pub(crate) struct PyCancelToken {
    pub(crate) inner: CancelToken,
}

#[pymethods]
impl PyCancelToken {
    #[new]
    fn new() -> Self {
        PyCancelToken {
            inner: CancelToken::new(),
        }
    }

    /// Asks the work holding this token to stop.
    fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether `cancel` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    fn __repr__(&self) -> String {
        format!("CancelToken(cancelled={})", self.inner.is_cancelled())
    }
}
