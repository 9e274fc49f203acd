//! `infrarag.drift`: Terraform state, plans and plan message streams, read
//! with every sensitive value masked; configuration and live drift.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use infrarag::drift::aws::{AwsInventory, AwsOptions, Credentials};
use infrarag::drift::ignore::DriftIgnore;
use infrarag::drift::inventory::{Inventory, Listed, LiveResource};
use infrarag::drift::live::{compare_live_file, LiveDrift, LiveOptions};
use infrarag::drift::sarif::to_sarif;
use infrarag::drift::{compare_config, ConfigDrift, PlanSummary};
use infrarag::terraform::state::{Plan, PlanMessage, State};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::serialize_large;
use crate::detach::released;
use crate::error::{to_pyerr, Result};
use crate::http::Options;
use crate::store::{call, from_py, Raised};

/// Runs `read` without the GIL and returns its value as Python data.
fn read<T: serde::Serialize + Send>(
    py: Python<'_>,
    read: impl FnOnce() -> infrarag::Result<T> + Send,
) -> PyResult<Py<PyAny>> {
    match released(py, read) {
        Ok(value) => serialize_large(py, &value),
        Err(e) => Err(to_pyerr(py, e)),
    }
}

/// Reads a state file or `terraform show -json` state; see `infrarag/drift.py`.
#[pyfunction]
pub(crate) fn drift_read_state(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    read(py, move || State::read(&path))
}

/// Reads `terraform show -json PLAN` output; see `infrarag/drift.py`.
#[pyfunction]
pub(crate) fn drift_read_plan(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    read(py, move || Plan::read(&path))
}

/// Reads a `terraform plan -json` message stream; see `infrarag/drift.py`.
#[pyfunction]
pub(crate) fn drift_read_plan_stream(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    read(py, move || PlanMessage::read_stream(&path))
}

/// Compares a configuration with a state; see `infrarag/drift.py`.
#[pyfunction]
#[pyo3(signature = (module, state, *, vars = None, var_files = Vec::new(), environment = true))]
pub(crate) fn drift_compare_config(
    py: Python<'_>,
    module: PathBuf,
    state: PathBuf,
    vars: Option<Vec<(String, String)>>,
    var_files: Vec<PathBuf>,
    environment: bool,
) -> PyResult<Py<PyAny>> {
    read(py, move || {
        let inputs = crate::hcl::inputs(vars, var_files, environment);
        compare_config(&module, &inputs, &State::read(&state)?)
    })
}

/// Lists AWS resources as the Terraform AWS provider's state names them;
/// see `infrarag/drift.py`.
#[pyclass(name = "AwsInventory", module = "infrarag._native", frozen)]
pub(crate) struct PyAwsInventory {
    inner: Arc<AwsInventory>,
}

#[pymethods]
impl PyAwsInventory {
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> Result<Self> {
        let options = Options::new(py, options)?;
        let regions = options.take::<Vec<String>>("regions")?.unwrap_or_default();
        let endpoint = options.take::<String>("endpoint")?;
        let profile = options.take::<String>("profile")?;
        let access_key_id = options.take::<String>("access_key_id")?;
        let secret_access_key = options.take::<String>("secret_access_key")?;
        let session_token = options.take::<String>("session_token")?;
        let concurrency = options.whole("concurrency")?;
        let page_size = options.whole("page_size")?;
        let http = options.http()?;
        options.finish("AwsInventory")?;
        let credentials = match (access_key_id, secret_access_key) {
            (Some(access_key_id), Some(secret_access_key)) => Some(Credentials {
                access_key_id,
                secret_access_key,
                session_token,
            }),
            (None, None) => None,
            _ => {
                return Err(infrarag::Error::InvalidArgument {
                    name: "secret_access_key".into(),
                    message: "access_key_id and secret_access_key come together".into(),
                }
                .into())
            }
        };
        let inner = AwsInventory::new(AwsOptions {
            regions,
            endpoint,
            profile,
            credentials,
            http,
            concurrency,
            page_size,
        })?;
        Ok(PyAwsInventory {
            inner: Arc::new(inner),
        })
    }

    /// The resource types it lists.
    fn resource_types(&self) -> Vec<String> {
        self.inner.resource_types()
    }

    /// Every live resource of `resource_type`, without the GIL.
    fn list(&self, py: Python<'_>, resource_type: String) -> PyResult<Py<PyAny>> {
        let inner = self.inner.clone();
        read(py, move || inner.list(&resource_type))
    }

    /// The regions listed.
    #[getter]
    fn regions(&self) -> Vec<String> {
        self.inner.regions().to_vec()
    }

    /// HTTP requests sent so far, retries included.
    #[getter]
    fn requests(&self) -> u64 {
        self.inner.requests()
    }
}

/// A Python inventory: `resource_types()` and `list(resource_type)`.
struct PyInventory {
    obj: Py<PyAny>,
    raised: Raised,
}

impl Inventory for PyInventory {
    fn resource_types(&self) -> Vec<String> {
        Python::attach(|py| {
            call(py, &self.obj, &self.raised, "resource_types", ())
                .and_then(|v| from_py(py, "resource_types", &v))
                .unwrap_or_default()
        })
    }

    fn list(&self, resource_type: &str) -> infrarag::Result<Vec<LiveResource>> {
        Python::attach(|py| {
            let listed = call(py, &self.obj, &self.raised, "list", (resource_type,))?;
            let values: Vec<serde_json::Value> = from_py(py, "list", &listed)?;
            LiveResource::from_json(resource_type, values).map_err(|message| {
                infrarag::Error::Storage {
                    path: None,
                    message: format!("list returned {message}"),
                }
            })
        })
    }
}

/// Compares a state with what an inventory lists; see `infrarag/drift.py`.
#[pyfunction]
#[pyo3(signature = (state, inventory, *, ignore = String::new(), strict = false, resource_types = None))]
pub(crate) fn drift_compare_live(
    py: Python<'_>,
    state: PathBuf,
    inventory: &Bound<'_, PyAny>,
    ignore: String,
    strict: bool,
    resource_types: Option<Vec<String>>,
) -> PyResult<Py<PyAny>> {
    let raised = Raised::default();
    let inventory: Arc<dyn Inventory> = if let Ok(aws) = inventory.cast::<PyAwsInventory>() {
        aws.get().inner.clone()
    } else if let Ok(map) = inventory.cast::<PyDict>() {
        let given: BTreeMap<String, Vec<serde_json::Value>> =
            from_py(py, "inventory", map.as_any()).map_err(|e| to_pyerr(py, e))?;
        let mut listed = BTreeMap::new();
        for (resource_type, values) in given {
            let typed = LiveResource::from_json(&resource_type, values).map_err(|message| {
                let message = format!("{resource_type}: {message}");
                to_pyerr(
                    py,
                    infrarag::Error::InvalidArgument {
                        name: "inventory".into(),
                        message,
                    },
                )
            })?;
            listed.insert(resource_type, typed);
        }
        Arc::new(Listed(listed))
    } else {
        Arc::new(PyInventory {
            obj: inventory.clone().unbind(),
            raised: raised.clone(),
        })
    };
    let options = LiveOptions {
        ignore: DriftIgnore::parse(&ignore),
        strict,
        resource_types,
        concurrency: None,
    };
    let outcome = released(py, || {
        compare_live_file(&state, inventory.as_ref(), &options)
    });
    match outcome {
        Ok(report) => serialize_large(py, &report),
        Err(e) => Err(raised.take().unwrap_or_else(|| to_pyerr(py, e))),
    }
}

/// Drift reports as SARIF; see `infrarag/drift.py`.
#[pyfunction]
#[pyo3(signature = (state, *, config = None, live = None, plan = None))]
pub(crate) fn drift_sarif(
    py: Python<'_>,
    state: String,
    config: Option<&Bound<'_, PyAny>>,
    live: Option<&Bound<'_, PyAny>>,
    plan: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let config: Option<ConfigDrift> = config
        .map(|c| from_py(py, "config", c))
        .transpose()
        .map_err(|e| to_pyerr(py, e))?;
    let live: Option<LiveDrift> = live
        .map(|c| from_py(py, "live", c))
        .transpose()
        .map_err(|e| to_pyerr(py, e))?;
    let plan: Option<PlanSummary> = plan
        .map(|c| from_py(py, "plan", c))
        .transpose()
        .map_err(|e| to_pyerr(py, e))?;
    serialize_large(
        py,
        &to_sarif(&state, config.as_ref(), live.as_ref(), plan.as_ref()),
    )
}
