//! `hcl`: python-hcl2-compatible values, the syntax tree and modules.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use infrarag::hcl::{self, Dialect};
use infrarag::terraform::Module;

use crate::convert::Json;
use crate::error::{coded, internal, js_error, thrown, Code};
use crate::task::{job, Job};

/// How `hcl.loads` reproduces python-hcl2.
#[napi(object, namespace = "hcl")]
pub struct LoadsOptions {
    /// The python-hcl2 format to reproduce: `"v7"` (7.3.1, the default) or
    /// `"v8"` (8.1.4 with its default options).
    pub dialect: Option<String>,
    /// Add `__start_line__` / `__end_line__` to block bodies (`"v7"` only).
    pub with_meta: Option<bool>,
}

/// What `hcl.parse` reads.
#[napi(object, namespace = "hcl")]
pub struct ParseOptions {
    /// Terraform JSON (`.tf.json`) instead of native HCL.
    pub json: Option<bool>,
}

pub(crate) fn loads_options(options: Option<LoadsOptions>) -> Result<hcl::LoadsOptions, Code> {
    let (dialect, meta) = match options {
        Some(o) => (o.dialect, o.with_meta.unwrap_or(false)),
        None => (None, false),
    };
    let dialect: Dialect = match dialect {
        Some(d) => d.parse().map_err(js_error)?,
        None => Dialect::default(),
    };
    Ok(hcl::LoadsOptions::new(dialect).with_meta(meta))
}

/// Parses HCL into the JSON python-hcl2 returns for it. Syntax errors
/// throw PARSE_ERROR with `diagnostics` (each `{ severity, code, message,
/// summary, span: { start, end } }`, as `parse` lists them; `summary` is
/// Terraform's title for the error).
#[napi(namespace = "hcl")]
pub fn loads(env: Env, text: String, options: Option<LoadsOptions>) -> Result<serde_json::Value> {
    let opts = loads_options(options).map_err(|e| coded(&env, e))?;
    hcl::loads(&text, &opts).map_err(|e| coded(&env, js_error(e)))
}

/// Parses native HCL (or Terraform JSON with `{ json: true }`) into the
/// syntax tree `{ body, comments, diagnostics }`; never throws for syntax
/// errors, which are listed in `diagnostics`.
#[napi(namespace = "hcl")]
pub fn parse(env: Env, text: String, options: Option<ParseOptions>) -> Result<serde_json::Value> {
    thrown(&env, || {
        let parsed = if options.and_then(|o| o.json).unwrap_or(false) {
            hcl::tfjson::parse_json(&text)
        } else {
            hcl::parse(&text)
        };
        serde_json::to_value(&parsed).map_err(internal)
    })
}

pub(crate) fn module_json(dir: &str) -> Result<serde_json::Value, Code> {
    let m = Module::load(dir).map_err(js_error)?;
    serde_json::to_value(&m).map_err(internal)
}

/// Loads a Terraform module directory, blocking the calling thread.
#[napi(namespace = "hcl")]
pub fn load_module_sync(env: Env, dir: String) -> Result<serde_json::Value> {
    thrown(&env, || module_json(&dir))
}

/// Loads a Terraform module directory off the main thread.
#[napi(namespace = "hcl", ts_return_type = "Promise<unknown>")]
pub fn load_module(dir: String, signal: Option<AbortSignal>) -> AsyncTask<Job<Json>> {
    job(signal, None, move || module_json(&dir).map(Json))
}

/// Where `hcl.evaluate` takes `var.*`, `local.*` and `path.*` from.
#[napi(object, namespace = "hcl")]
pub struct EvaluateOptions {
    /// A module directory: its variables, locals and `path.*` are in scope.
    pub module: Option<String>,
    /// `-var NAME=VALUE` values: text, read by the variable's type.
    pub vars: Option<std::collections::HashMap<String, String>>,
    /// `-var-file` paths, later ones winning.
    pub var_files: Option<Vec<String>>,
    /// Read `TF_VAR_NAME` environment variables (default true).
    pub environment: Option<bool>,
}

/// Evaluates a Terraform expression as `terraform console` does; returns
/// `{ value, type, known, sensitive, console }`: `value` is JSON (unknown
/// parts null), `console` the value as console prints it. Throws
/// EVALUATION_ERROR (with `diagnostics`) when the expression has no value,
/// PARSE_ERROR when it does not parse.
#[napi(namespace = "hcl")]
pub fn evaluate(
    env: Env,
    expr: String,
    options: Option<EvaluateOptions>,
) -> Result<serde_json::Value> {
    thrown(&env, || {
        let (module, vars, files, environment) = match options {
            Some(o) => (o.module, o.vars, o.var_files, o.environment),
            None => (None, None, None, None),
        };
        let inputs = inputs(vars, files, environment);
        infrarag::terraform::eval::evaluate_text_in(
            &expr,
            module.as_deref().map(std::path::Path::new),
            &inputs,
        )
        .map(|v| v.to_json_report())
        .map_err(js_error)
    })
}

/// Where `hcl.expand` takes variables from (as `hcl.evaluate` does).
#[napi(object, namespace = "hcl")]
pub struct ExpandOptions {
    /// `-var NAME=VALUE` values: text, read by the variable's type.
    pub vars: Option<std::collections::HashMap<String, String>>,
    /// `-var-file` paths, later ones winning.
    pub var_files: Option<Vec<String>>,
    /// Read `TF_VAR_NAME` environment variables (default true).
    pub environment: Option<bool>,
}

/// Expands the configuration in `dir` as `terraform plan` would, off the
/// main thread: `{ resources, modules, outputs, diagnostics, ... }`, each
/// resource instance with its `address` (`module.m["a"].aws_s3_bucket.b[0]`)
/// and its arguments as evaluated (`values`; unknown ones null and named in
/// `unknown`, sensitive ones null and named in `sensitive`).
#[napi(namespace = "hcl", ts_return_type = "Promise<Record<string, any>>")]
pub fn expand(
    dir: String,
    options: Option<ExpandOptions>,
    signal: Option<AbortSignal>,
) -> AsyncTask<Job<Json>> {
    let (vars, files, environment) = match options {
        Some(o) => (o.vars, o.var_files, o.environment),
        None => (None, None, None),
    };
    job(signal, None, move || {
        let inputs = inputs(vars, files, environment);
        infrarag::terraform::eval::expand_module(&dir, &inputs)
            .map(|x| Json(x.to_json()))
            .map_err(js_error)
    })
}

/// `expand`, blocking the calling thread.
#[napi(namespace = "hcl", ts_return_type = "Record<string, any>")]
pub fn expand_sync(
    env: Env,
    dir: String,
    options: Option<ExpandOptions>,
) -> Result<serde_json::Value> {
    let (vars, files, environment) = match options {
        Some(o) => (o.vars, o.var_files, o.environment),
        None => (None, None, None),
    };
    thrown(&env, || {
        let inputs = inputs(vars, files, environment);
        infrarag::terraform::eval::expand_module(&dir, &inputs)
            .map(|x| x.to_json())
            .map_err(js_error)
    })
}

/// Variables as `terraform plan` gathers them: `TF_VAR_` names (unless
/// `environment` is false), the files it loads unasked, `files`, then
/// `vars`, a later one winning.
pub(crate) fn inputs(
    vars: Option<std::collections::HashMap<String, String>>,
    files: Option<Vec<String>>,
    environment: Option<bool>,
) -> infrarag::terraform::eval::Inputs {
    let mut inputs = infrarag::terraform::eval::Inputs::new()
        .with_auto_files(true)
        .with_environment(environment.unwrap_or(true));
    for f in files.unwrap_or_default() {
        inputs = inputs.var_file(f);
    }
    let mut vars: Vec<(String, String)> = vars.unwrap_or_default().into_iter().collect();
    vars.sort();
    for (k, v) in vars {
        inputs = inputs.var(k, v);
    }
    inputs
}
