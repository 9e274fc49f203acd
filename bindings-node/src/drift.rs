//! `drift`: Terraform state, plans and plan message streams, read with
//! every sensitive value masked.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use infrarag::drift::compare_config;
use infrarag::terraform::state::{Plan, PlanMessage, State};

use crate::convert::Json;
use crate::error::{internal, js_error, thrown, Code};
use crate::hcl::{inputs, ExpandOptions};
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
/// for arguments whose configured value is wholly known and differs.
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
