//! `drift`: Terraform state, plans and plan message streams, read with
//! every sensitive value masked; configuration and live drift.

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use infrarag::drift::aws::{AwsOptions, Credentials};
use infrarag::drift::ignore::DriftIgnore;
use infrarag::drift::inventory::{Inventory, Listed, LiveResource};
use infrarag::drift::live::{compare_live_file, LiveDrift};
use infrarag::drift::sarif::to_sarif;
use infrarag::drift::{compare_config, ConfigDrift};
use infrarag::terraform::state::{Plan, PlanMessage, State};

use crate::convert::Json;
use crate::error::{counted, internal, invalid, js_error, thrown, Code};
use crate::hcl::{inputs, ExpandOptions};
use crate::http::http_options;
use crate::js_store::{Awaited, Settling};
use crate::task::{job, Job};

fn json<T: serde::Serialize>(read: infrarag::Result<T>) -> Result<serde_json::Value, Code> {
    serde_json::to_value(read.map_err(js_error)?).map_err(internal)
}

/// Reads a state file (format 4) or `terraform show -json` state:
/// `{ format, terraform_version, serial, lineage, outputs, instances }`,
/// each instance `{ address, module, mode, resource_type, name, index,
/// provider, schema_version, attributes, sensitive_paths, dependencies,
/// tainted, deposed }`; sensitive values read `"(sensitive value)"`.
/// Throws PARSE_ERROR naming the file, line, column and JSON path.
#[napi(namespace = "drift")]
pub fn read_state_sync(env: Env, path: String) -> Result<serde_json::Value> {
    thrown(&env, || json(State::read(&path)))
}

/// `readStateSync` off the main thread.
#[napi(namespace = "drift", ts_return_type = "Promise<unknown>")]
pub fn read_state(path: String, signal: Option<AbortSignal>) -> AsyncTask<Job<Json>> {
    job(signal, None, move || json(State::read(&path)).map(Json))
}

/// Reads `terraform show -json PLAN` output (format 0.1 to 1.x):
/// `{ format_version, terraform_version, resource_changes, resource_drift,
/// output_changes, prior_state, relevant_attributes, configuration }`.
#[napi(namespace = "drift")]
pub fn read_plan_sync(env: Env, path: String) -> Result<serde_json::Value> {
    thrown(&env, || json(Plan::read(&path)))
}

/// `readPlanSync` off the main thread.
#[napi(namespace = "drift", ts_return_type = "Promise<unknown>")]
pub fn read_plan(path: String, signal: Option<AbortSignal>) -> AsyncTask<Job<Json>> {
    job(signal, None, move || json(Plan::read(&path)).map(Json))
}

/// Reads a `terraform plan -json` stream: the messages that say what
/// changes (`version`, `planned_change`, `resource_drift`,
/// `change_summary`, `outputs`, `diagnostic`), each with its `type`.
#[napi(namespace = "drift")]
pub fn read_plan_stream_sync(env: Env, path: String) -> Result<serde_json::Value> {
    thrown(&env, || json(PlanMessage::read_stream(&path)))
}

/// `readPlanStreamSync` off the main thread.
#[napi(namespace = "drift", ts_return_type = "Promise<unknown>")]
pub fn read_plan_stream(path: String, signal: Option<AbortSignal>) -> AsyncTask<Job<Json>> {
    job(signal, None, move || {
        json(PlanMessage::read_stream(&path)).map(Json)
    })
}

fn compared(
    dir: &str,
    state: &str,
    options: Option<ExpandOptions>,
) -> Result<serde_json::Value, Code> {
    let (vars, files, environment) = match options {
        Some(o) => (o.vars, o.var_files, o.environment),
        None => (None, None, None),
    };
    let inputs = inputs(vars, files, environment);
    json(State::read(state).and_then(|s| compare_config(dir, &inputs, &s)))
}

/// Compares the configuration in `dir` (expanded as `hcl.expand` does,
/// with the same options) with the state at `state`: `{ managed, missing,
/// undeclared, undetermined, moved, changed, diagnostics }`, managed
/// resources only; `changed` lists `{ address, attribute, config, state }`
/// for arguments whose configured value is known and differs (of an
/// object known in part, each known key: `attribute` `input.interval`).
#[napi(
    namespace = "drift",
    ts_args_type = "dir: string, state: string, options?: hcl.ExpandOptions | undefined | null"
)]
pub fn compare_config_sync(
    env: Env,
    dir: String,
    state: String,
    options: Option<ExpandOptions>,
) -> Result<serde_json::Value> {
    thrown(&env, || compared(&dir, &state, options))
}

/// `compareConfigSync` off the main thread.
#[napi(
    namespace = "drift",
    js_name = "compareConfig",
    ts_args_type = "dir: string, state: string, options?: hcl.ExpandOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<unknown>"
)]
pub fn compare_config_job(
    dir: String,
    state: String,
    options: Option<ExpandOptions>,
    signal: Option<AbortSignal>,
) -> AsyncTask<Job<Json>> {
    job(signal, None, move || {
        compared(&dir, &state, options).map(Json)
    })
}

/// How an `AwsInventory` reaches AWS; unset fields are found as the AWS
/// CLI finds them (the environment, then `~/.aws`'s profile).
#[napi(object, namespace = "drift")]
pub struct AwsInventoryOptions {
    /// Regions to list; else `AWS_REGION`, `AWS_DEFAULT_REGION`, the
    /// profile's, or `us-east-1`. IAM is global and listed once.
    pub regions: Option<Vec<String>>,
    /// One URL for every service (an emulator, a proxy).
    pub endpoint: Option<String>,
    pub profile: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// Requests in flight at once (default 8).
    pub concurrency: Option<f64>,
    /// Items a page, within each API's bounds (default: each API's most).
    pub page_size: Option<f64>,
    pub headers: Option<HashMap<String, String>>,
    /// Seconds.
    pub timeout: Option<f64>,
    pub max_retries: Option<f64>,
    pub backoff: Option<f64>,
    pub max_backoff: Option<f64>,
    pub max_retry_after: Option<f64>,
}

/// Lists AWS resources (S3 buckets and their settings, EC2 instances,
/// VPCs, subnets, security groups and rules, IAM roles, users and
/// policies, RDS instances) as the Terraform AWS provider's state names
/// them, over HTTPS with Signature V4.
#[napi(namespace = "drift")]
pub struct AwsInventory {
    inner: Arc<infrarag::drift::aws::AwsInventory>,
}

#[napi(namespace = "drift")]
impl AwsInventory {
    /// Throws INVALID_ARGUMENT when no credentials are found or the
    /// endpoint is not a URL.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<AwsInventoryOptions>) -> Result<Self> {
        thrown(&env, || {
            let o = options.unwrap_or(AwsInventoryOptions {
                regions: None,
                endpoint: None,
                profile: None,
                access_key_id: None,
                secret_access_key: None,
                session_token: None,
                concurrency: None,
                page_size: None,
                headers: None,
                timeout: None,
                max_retries: None,
                backoff: None,
                max_backoff: None,
                max_retry_after: None,
            });
            let http = http_options!(o)?;
            let credentials = match (o.access_key_id, o.secret_access_key) {
                (Some(access_key_id), Some(secret_access_key)) => Some(Credentials {
                    access_key_id,
                    secret_access_key,
                    session_token: o.session_token,
                }),
                (None, None) => None,
                _ => {
                    return Err(invalid(
                        "secretAccessKey",
                        "accessKeyId and secretAccessKey come together".into(),
                    ))
                }
            };
            let inner = infrarag::drift::aws::AwsInventory::new(AwsOptions {
                regions: o.regions.unwrap_or_default(),
                endpoint: o.endpoint,
                profile: o.profile,
                credentials,
                http,
                concurrency: counted("concurrency", o.concurrency)?,
                page_size: counted("pageSize", o.page_size)?,
            })
            .map_err(js_error)?;
            Ok(AwsInventory {
                inner: Arc::new(inner),
            })
        })
    }

    /// The resource types it lists.
    #[napi]
    pub fn resource_types(&self) -> Vec<String> {
        self.inner.resource_types()
    }

    /// Every live resource of `resourceType`, listed off the main thread.
    #[napi(ts_return_type = "Promise<LiveResource[]>")]
    pub fn list(&self, resource_type: String, signal: Option<AbortSignal>) -> AsyncTask<Job<Json>> {
        let inner = self.inner.clone();
        job(signal, None, move || {
            json(inner.list(&resource_type)).map(Json)
        })
    }

    /// The regions listed.
    #[napi(getter)]
    pub fn regions(&self) -> Vec<String> {
        self.inner.regions().to_vec()
    }

    /// HTTP requests sent so far, retries included.
    #[napi(getter)]
    pub fn requests(&self) -> f64 {
        self.inner.requests() as f64
    }
}

/// What `compareLive` leaves out and lists.
#[napi(object, namespace = "drift")]
pub struct LiveOptions {
    /// A `.driftignore` file: `TYPE.ID` leaves out a resource,
    /// `TYPE.ID.PATH` an attribute, `*` any run of characters, `!` takes
    /// back what earlier lines left out.
    pub ignore: Option<String>,
    /// More lines of the same syntax.
    pub ignore_patterns: Option<Vec<String>>,
    /// Reports the cloud's own defaults (default VPC, subnets, security
    /// group) as unmanaged too.
    pub strict: Option<bool>,
    /// The types to list; all the inventory lists when unset.
    pub resource_types: Option<Vec<String>>,
}

/// A JS inventory: its types, read once, and its `list` method, called
/// from worker threads through a threadsafe function; what it returns may
/// be a Promise.
struct JsInventory {
    types: Vec<String>,
    list: Awaited,
}

impl Inventory for JsInventory {
    fn resource_types(&self) -> Vec<String> {
        self.types.clone()
    }

    fn list(&self, resource_type: &str) -> infrarag::Result<Vec<LiveResource>> {
        let failed = |message: String| infrarag::Error::Storage {
            path: None,
            message: format!("list: {message}"),
        };
        let listed = self
            .list
            .call(Value::String(resource_type.into()))
            .map_err(failed)?;
        typed_resources(resource_type, listed).map_err(failed)
    }
}

/// `listed`, which must be an array, as live resources of `resource_type`.
fn typed_resources(
    resource_type: &str,
    listed: Value,
) -> std::result::Result<Vec<LiveResource>, String> {
    match listed {
        Value::Array(items) => {
            LiveResource::from_json(resource_type, items).map_err(|e| format!("returned {e}"))
        }
        _ => Err("returned something other than an array".into()),
    }
}

/// The inventory a JS value names: an `AwsInventory`, an object with
/// `resourceTypes` (an array, or a method returning one) and `list`, or
/// resources already listed, by type. `sync` refuses a JS inventory, whose
/// answers the blocked main thread could not give.
fn inventory_of(
    env: &Env,
    given: Either<ClassInstance<'_, AwsInventory>, Object<'_>>,
    sync: bool,
) -> Result<Arc<dyn Inventory>, Code> {
    let object = match given {
        Either::A(aws) => return Ok(aws.inner.clone()),
        Either::B(object) => object,
    };
    let list: Option<Function<Value, Settling>> = object
        .get_named_property::<Unknown>("list")
        .ok()
        .filter(|v| v.get_type().ok() == Some(ValueType::Function))
        .and_then(|_| object.get_named_property("list").ok());
    let Some(list) = list else {
        let listed: HashMap<String, Value> = env
            .from_js_value(object)
            .map_err(|e| invalid("inventory", e.reason.clone()))?;
        let mut by_type = std::collections::BTreeMap::new();
        for (resource_type, items) in listed {
            let typed = typed_resources(&resource_type, crate::js_store::integral(items))
                .map_err(|m| invalid("inventory", format!("{resource_type}: {m}")))?;
            by_type.insert(resource_type, typed);
        }
        return Ok(Arc::new(Listed(by_type)));
    };
    if sync {
        return Err(invalid(
            "inventory",
            "a JavaScript inventory answers on the main thread, which compareLiveSync blocks: use compareLive".into(),
        ));
    }
    let types: Vec<String> = match object.get_named_property::<Unknown>("resourceTypes") {
        Ok(v) if v.get_type().ok() == Some(ValueType::Function) => {
            let f: Function<(), Vec<String>> = object
                .get_named_property("resourceTypes")
                .map_err(|e| invalid("inventory", e.reason.clone()))?;
            f.apply(object, ())
                .map_err(|e| invalid("inventory", format!("resourceTypes: {}", e.reason)))?
        }
        Ok(v) if v.get_type().ok() == Some(ValueType::Object) => object
            .get_named_property("resourceTypes")
            .map_err(|e| invalid("inventory", format!("resourceTypes: {}", e.reason)))?,
        _ => {
            return Err(invalid(
                "inventory",
                "an inventory needs `resourceTypes` (an array, or a method returning one)".into(),
            ))
        }
    };
    let bound = list
        .bind(object)
        .and_then(|f| Awaited::new("list".into(), &f))
        .map_err(|e| invalid("inventory", e.reason.clone()))?;
    Ok(Arc::new(JsInventory { types, list: bound }))
}

fn live_options(options: Option<LiveOptions>) -> Result<infrarag::drift::live::LiveOptions, Code> {
    let Some(o) = options else {
        return Ok(Default::default());
    };
    let mut text = match &o.ignore {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            js_error(infrarag::Error::Io {
                path: path.into(),
                source: e,
            })
        })?,
        None => String::new(),
    };
    for line in o.ignore_patterns.unwrap_or_default() {
        text.push('\n');
        text.push_str(&line);
    }
    Ok(infrarag::drift::live::LiveOptions {
        ignore: DriftIgnore::parse(&text),
        strict: o.strict.unwrap_or(false),
        resource_types: o.resource_types,
        concurrency: None,
    })
}

/// Compares the managed resources of the state at `state` with what the
/// inventory lists: `{ managed, missing, unmanaged, changed, unsupported,
/// ignored, coverage }`. Matching is by type and `id`; each attribute the
/// inventory lists and state holds is compared (maps key by key, lists as
/// sets, JSON documents by value); sensitive values are never compared or
/// reported. A JS inventory's `list` is called once a type, from a worker
/// waiting for its array or for the Promise of it to settle.
#[napi(
    namespace = "drift",
    ts_args_type = "state: string, inventory: AwsInventory | Inventory | Record<string, LiveResource[]>, options?: LiveOptions | undefined | null, signal?: AbortSignal | undefined | null",
    ts_return_type = "Promise<LiveDrift>"
)]
pub fn compare_live(
    env: Env,
    state: String,
    inventory: Either<ClassInstance<'_, AwsInventory>, Object<'_>>,
    options: Option<LiveOptions>,
    signal: Option<AbortSignal>,
) -> Result<AsyncTask<Job<Json>>> {
    let inventory = thrown(&env, || inventory_of(&env, inventory, false))?;
    let options = thrown(&env, || live_options(options))?;
    Ok(job(signal, None, move || {
        compared_live(&state, inventory.as_ref(), &options).map(Json)
    }))
}

/// `compareLive`, blocking; an inventory written in JS needs `compareLive`.
#[napi(
    namespace = "drift",
    ts_args_type = "state: string, inventory: AwsInventory | Record<string, LiveResource[]>, options?: LiveOptions | undefined | null",
    ts_return_type = "LiveDrift"
)]
pub fn compare_live_sync(
    env: Env,
    state: String,
    inventory: Either<ClassInstance<'_, AwsInventory>, Object<'_>>,
    options: Option<LiveOptions>,
) -> Result<serde_json::Value> {
    thrown(&env, || {
        let inventory = inventory_of(&env, inventory, true)?;
        compared_live(&state, inventory.as_ref(), &live_options(options)?)
    })
}

fn compared_live(
    state: &str,
    inventory: &dyn Inventory,
    options: &infrarag::drift::live::LiveOptions,
) -> Result<serde_json::Value, Code> {
    json(compare_live_file(state, inventory, options))
}

/// The reports `sarif` turns into findings.
#[napi(object, namespace = "drift")]
pub struct SarifReports {
    /// What `compareConfig` returned.
    #[napi(ts_type = "unknown")]
    pub config: Option<serde_json::Value>,
    /// What `compareLive` returned.
    #[napi(ts_type = "LiveDrift")]
    pub live: Option<serde_json::Value>,
}

/// The findings of `compareConfig` and `compareLive` reports as one SARIF
/// 2.1.0 run (rules `config/*` and `drift/*`), each pointing at the state
/// file `state` and naming its resource as a logical location.
#[napi(namespace = "drift", ts_return_type = "Record<string, any>")]
pub fn sarif(env: Env, state: String, reports: SarifReports) -> Result<serde_json::Value> {
    thrown(&env, || {
        let config: Option<ConfigDrift> = reports
            .config
            .map(serde_json::from_value)
            .transpose()
            .map_err(|e| invalid("config", e.to_string()))?;
        let live: Option<LiveDrift> = reports
            .live
            .map(|v| serde_json::from_value(crate::js_store::integral(v)))
            .transpose()
            .map_err(|e| invalid("live", e.to_string()))?;
        Ok(to_sarif(&state, config.as_ref(), live.as_ref(), None))
    })
}
