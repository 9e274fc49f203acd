//! `infrarag.collect`: one collection service for a process, with Python
//! functions as custom methods; collections run without the GIL.

use std::collections::HashMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use infrarag::collect::{
    Caller, Collection, CollectionService, Command, CommandCollector, HostSpec, Output, Record,
    RecordQuery, System,
};
use infrarag::http::seconds;

use crate::convert::{json_of, serialize, to_py};
use crate::detach::{detached, released};
use crate::error::{maybe_whole, Result};

/// Records as a list of `{"kind", "data"}` dicts, straight from their
/// JSON data: `serialize` would first copy each through a new JSON value,
/// which was most of what a small parse cost from Python.
fn records_py(py: Python<'_>, records: &[Record]) -> PyResult<Py<PyAny>> {
    let list = pyo3::types::PyList::empty(py);
    for r in records {
        let d = PyDict::new(py);
        d.set_item(pyo3::intern!(py, "kind"), &r.kind)?;
        d.set_item(pyo3::intern!(py, "data"), to_py(py, &r.data)?)?;
        list.append(d)?;
    }
    Ok(list.into_any().unbind())
}

/// A collection as a dict, its records through [`records_py`].
fn collection_py(py: Python<'_>, c: &Collection) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("host", &c.host)?;
    d.set_item("method", &c.method)?;
    d.set_item("records", records_py(py, &c.records)?)?;
    d.set_item("taken_at", &c.taken_at)?;
    d.set_item("taken_at_ms", c.taken_at_ms)?;
    d.set_item("duration_ms", c.duration_ms)?;
    d.set_item("cached", c.cached)?;
    d.set_item("audit_id", c.audit_id)?;
    Ok(d.into_any().unbind())
}

/// A Python parse function over the outputs of a custom method's commands.
fn python_parse(
    function: Py<PyAny>,
) -> impl Fn(&[Output]) -> std::result::Result<Vec<Record>, String> + Send + Sync {
    move |outputs: &[Output]| {
        Python::attach(|py| {
            let given: Vec<Py<PyAny>> = outputs
                .iter()
                .map(|o| {
                    let d = PyDict::new(py);
                    d.set_item("status", o.status)?;
                    d.set_item("stdout", o.text())?;
                    d.set_item("stderr", o.error_text())?;
                    Ok(d.into_any().unbind())
                })
                .collect::<PyResult<_>>()?;
            let returned = function.call1(py, (given,))?;
            let records = json_of(py, returned.bind(py))?;
            serde_json::from_value::<Vec<Record>>(records).map_err(|e| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "a parse function returns a list of {{\"kind\": str, \"data\": ...}}: {e}"
                ))
            })
        })
        .map_err(|e: PyErr| e.to_string())
    }
}

/// A custom method as `infrarag/collect.py` passes it: its name, its
/// commands' argv, and its parse function.
type PyCollectorSpec = (String, Vec<Vec<String>>, Py<PyAny>);

/// The collection service; see `infrarag/collect.py`.
#[pyclass(name = "CollectionService", module = "infrarag._native", frozen)]
pub struct PyCollectionService {
    inner: CollectionService,
    /// What a record store of the caller's raised, raised again after the
    /// call.
    raised: crate::store::Raised,
}

impl PyCollectionService {
    /// The core service, for the scheduler's collection jobs.
    pub(crate) fn service(&self) -> &CollectionService {
        &self.inner
    }

    /// The core's error, unless the caller's record store raised first on
    /// `thread`, the one that made the core call: then that exception, as
    /// it was.
    fn error(&self, py: Python<'_>, e: infrarag::Error, thread: std::thread::ThreadId) -> PyErr {
        self.raised
            .take_for(thread)
            .unwrap_or_else(|| crate::error::to_pyerr(py, e))
    }
}

#[pymethods]
impl PyCollectionService {
    #[new]
    #[pyo3(signature = (*, hosts = None, ssh_config = None, collectors = None, ttl = None, max_per_host = None, max_total = None, retries = None, backoff = None, system_interval = None, store = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        hosts: Option<Vec<(String, Py<PyAny>)>>,
        ssh_config: Option<std::path::PathBuf>,
        collectors: Option<Vec<PyCollectorSpec>>,
        ttl: Option<HashMap<String, f64>>,
        #[pyo3(from_py_with = maybe_whole)] max_per_host: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] max_total: Option<usize>,
        #[pyo3(from_py_with = maybe_whole)] retries: Option<usize>,
        backoff: Option<f64>,
        system_interval: Option<f64>,
        store: Option<Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let mut b = CollectionService::builder();
        let raised = crate::store::Raised::default();
        let hosts = hosts.unwrap_or_default();
        if !hosts.is_empty() {
            let config = infrarag::collect::ssh_config(ssh_config)?;
            for (name, spec) in hosts {
                let spec = HostSpec::from_value(&name, json_of(py, spec.bind(py))?)?;
                let transport = spec.transport(&name, &config)?;
                b = b.host(name, transport);
            }
        }
        match store {
            Some(location) if location.is_instance_of::<pyo3::types::PyString>() => {
                let location: String = location.extract()?;
                b = b.store(released(py, || {
                    infrarag::collect::record_store_at(&location)
                })?);
            }
            Some(obj) => {
                b = b.store(Arc::new(crate::store::PyRecordStore {
                    obj: obj.unbind(),
                    raised: raised.clone(),
                }));
            }
            None => {}
        }
        if let Some(n) = max_per_host {
            b = b.max_per_host(n);
        }
        if let Some(n) = max_total {
            b = b.max_total(n);
        }
        if retries.is_some() || backoff.is_some() {
            let backoff = seconds("backoff", backoff.unwrap_or(0.5))?;
            b = b.retries(retries.unwrap_or(2).min(u32::MAX as usize) as u32, backoff);
        }
        if let Some(s) = system_interval {
            b = b.method(
                Arc::new(System {
                    interval: seconds("system_interval", s)?,
                }),
                None,
            );
        }
        for (method, t) in ttl.unwrap_or_default() {
            b = b.ttl(method, seconds("ttl", t)?);
        }
        for (name, commands, parse) in collectors.unwrap_or_default() {
            let commands = commands.into_iter().map(Command::new).collect();
            b = b.method(
                Arc::new(CommandCollector::new(name, commands, python_parse(parse))),
                None,
            );
        }
        let inner = b.build().map_err(|e| {
            raised
                .take()
                .unwrap_or_else(|| crate::error::to_pyerr(py, e))
        })?;
        Ok(PyCollectionService { inner, raised })
    }

    /// The hosts served.
    #[getter]
    fn hosts(&self) -> Vec<String> {
        self.inner.hosts()
    }

    /// The methods served.
    #[getter]
    fn methods(&self) -> Vec<String> {
        self.inner.methods()
    }

    /// Collects `method` on `host`; see `infrarag/collect.py`.
    #[pyo3(signature = (host, method, *, actor = "", reason = "", args = None))]
    fn collect(
        &self,
        py: Python<'_>,
        host: &str,
        method: &str,
        actor: &str,
        reason: &str,
        args: Option<std::collections::BTreeMap<String, String>>,
    ) -> Result<Py<PyAny>> {
        let caller = Caller::new(actor, reason);
        let args = args.unwrap_or_default();
        // A cache hit is answered here; only a collection goes to a worker
        // thread, where Ctrl-C can interrupt the wait for it.
        let here = std::thread::current().id();
        if let Some(hit) = released(py, || {
            Ok(self.inner.cached_with(host, method, &args, &caller))
        })? {
            let hit = hit.map_err(|e| self.error(py, e, here))?;
            return Ok(collection_py(py, &hit)?);
        }
        let service = self.inner.clone();
        let (worker, done) = detached(py, |_| {
            let worker = std::thread::current().id();
            Ok((worker, service.collect_with(host, method, &args, &caller)))
        })??;
        let done = done.map_err(|e| self.error(py, e, worker))?;
        Ok(collection_py(py, &done)?)
    }

    /// `what` = `audit`: the audit trail; `records`: stored records; both
    /// filtered, oldest first.
    #[pyo3(signature = (what, *, host = None, method = None, since_ms = None, until_ms = None))]
    fn query(
        &self,
        py: Python<'_>,
        what: &str,
        host: Option<String>,
        method: Option<String>,
        since_ms: Option<u64>,
        until_ms: Option<u64>,
    ) -> Result<Py<PyAny>> {
        let q = RecordQuery {
            host,
            method,
            since_ms,
            until_ms,
        };
        let store = self.inner.store();
        let here = std::thread::current().id();
        Ok(match what {
            "audit" => {
                let entries =
                    released(py, || store.audit(&q)).map_err(|e| self.error(py, e, here))?;
                serialize(py, &entries)?
            }
            _ => {
                let records =
                    released(py, || store.records(&q)).map_err(|e| self.error(py, e, here))?;
                serialize(py, &records)?
            }
        })
    }

    /// The records of the latest collection of `method` on `host`.
    fn latest(&self, py: Python<'_>, host: &str, method: &str) -> Result<Py<PyAny>> {
        let here = std::thread::current().id();
        let records = released(py, || self.inner.store().latest(host, method))
            .map_err(|e| self.error(py, e, here))?;
        Ok(serialize(py, &records)?)
    }

    /// Forgets audit entries and records older than `before_ms`.
    fn prune(&self, py: Python<'_>, before_ms: u64) -> Result<usize> {
        let here = std::thread::current().id();
        Ok(released(py, || self.inner.store().prune(before_ms))
            .map_err(|e| self.error(py, e, here))?)
    }

    fn __repr__(&self) -> String {
        format!(
            "CollectionService(hosts={:?}, methods={:?})",
            self.inner.hosts(),
            self.inner.methods()
        )
    }
}

/// Records from one command's output; see `infrarag/collect.py`.
#[pyfunction]
pub fn collect_parse(py: Python<'_>, kind: &str, text: &str) -> Result<Py<PyAny>> {
    let records = released(py, || infrarag::collect::parse(kind, text))?;
    Ok(records_py(py, &records)?)
}
