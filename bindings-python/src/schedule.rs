//! `infrarag.collect.Scheduler`: jobs that are Python callables or
//! collections, run on the core scheduler's threads (the GIL taken only to
//! call Python).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use pyo3::prelude::*;

use infrarag::collect::{Caller, Run, Scheduler, Trigger};

use crate::collect::PyCollectionService;
use crate::convert::serialize;
use crate::detach::released;
use crate::error::Result;

/// Calls a Python job: an exception is the run's error, and an awaitable
/// it returns is run to its end with `asyncio.run` on the job's thread.
fn call_job(py: Python<'_>, function: &Py<PyAny>) -> PyResult<()> {
    let returned = function.call0(py)?;
    let inspect = py.import("inspect")?;
    if inspect
        .call_method1("isawaitable", (returned.bind(py),))?
        .is_truthy()?
    {
        py.import("asyncio")?.call_method1("run", (returned,))?;
    }
    Ok(())
}

/// The scheduler; see `infrarag/collect.py`.
#[pyclass(name = "Scheduler", module = "infrarag._native", frozen)]
pub struct PyScheduler {
    inner: Arc<Scheduler>,
}

#[pymethods]
impl PyScheduler {
    #[new]
    #[pyo3(signature = (*, on_run = None, workers = None))]
    fn new(
        on_run: Option<Py<PyAny>>,
        #[pyo3(from_py_with = crate::error::maybe_whole)] workers: Option<usize>,
    ) -> Self {
        let mut inner = Scheduler::new();
        if let Some(n) = workers {
            inner = inner.workers(n);
        }
        if let Some(listener) = on_run {
            inner.on_run(move |run: &Run| {
                Python::attach(|py| {
                    let called = serialize(py, run).and_then(|r| listener.call1(py, (r,)));
                    if let Err(e) = called {
                        e.write_unraisable(py, Some(listener.bind(py)));
                    }
                });
            });
        }
        PyScheduler {
            inner: Arc::new(inner),
        }
    }

    /// Adds a job calling `function`; see `infrarag/collect.py`.
    #[pyo3(signature = (name, function, *, every = None, jitter = None, cron = None, tz = None))]
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        py: Python<'_>,
        name: String,
        function: Py<PyAny>,
        every: Option<f64>,
        jitter: Option<f64>,
        cron: Option<&str>,
        tz: Option<&str>,
    ) -> Result<()> {
        let trigger = Trigger::from_options(every, jitter, cron, tz)?;
        let action = move |_: &infrarag::CancelToken| {
            Python::attach(|py| call_job(py, &function).map_err(|e| e.to_string()))
        };
        Ok(released(py, || self.inner.add(name, trigger, action))?)
    }

    /// Adds a job collecting `targets` through `service`.
    #[pyo3(signature = (name, service, targets, *, every = None, jitter = None, cron = None, tz = None, actor = "scheduler", reason = ""))]
    #[allow(clippy::too_many_arguments)]
    fn add_collection(
        &self,
        py: Python<'_>,
        name: String,
        service: PyRef<'_, PyCollectionService>,
        targets: Vec<(String, String)>,
        every: Option<f64>,
        jitter: Option<f64>,
        cron: Option<&str>,
        tz: Option<&str>,
        actor: &str,
        reason: &str,
    ) -> Result<()> {
        let trigger = Trigger::from_options(every, jitter, cron, tz)?;
        let service = service.service().clone();
        let caller = Caller::new(actor, reason);
        Ok(released(py, || {
            self.inner
                .add_collection(name, trigger, &service, targets, caller)
        })?)
    }

    /// Removes a job; whether it was there.
    fn remove(&self, name: &str) -> bool {
        self.inner.remove(name)
    }

    /// The jobs' names, sorted.
    #[getter]
    fn jobs(&self) -> Vec<String> {
        self.inner.jobs()
    }

    /// `(job, milliseconds since the epoch)`, soonest first.
    #[pyo3(signature = (n = 1))]
    fn upcoming(&self, n: usize) -> Result<Vec<(String, u64)>> {
        Ok(self
            .inner
            .upcoming(n)?
            .into_iter()
            .map(|(job, at)| {
                let ms = at
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis();
                (job, ms as u64)
            })
            .collect())
    }

    /// The runs so far, oldest first.
    fn history(&self, py: Python<'_>) -> Result<Py<PyAny>> {
        Ok(serialize(py, &self.inner.history())?)
    }

    /// Runs the jobs in real time until `shutdown`.
    fn start(&self) -> Result<()> {
        Ok(self.inner.start()?)
    }

    /// Stops firing, waits up to `timeout` seconds, cancels what is left;
    /// waits without the GIL, which the runs it waits for may need.
    fn shutdown(&self, py: Python<'_>, timeout: f64) -> Result<Py<PyAny>> {
        let timeout = infrarag::http::seconds("timeout", timeout)?;
        let inner = self.inner.clone();
        let report = released(py, move || {
            Ok(inner.shutdown(timeout.min(Duration::from_secs(86_400))))
        })?;
        Ok(serialize(py, &report)?)
    }

    fn __repr__(&self) -> String {
        format!("Scheduler(jobs={:?})", self.inner.jobs())
    }
}
