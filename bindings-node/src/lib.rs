//! Node bindings: converts values, maps errors to stable `code`s, and runs
//! directory loading on the libuv thread pool. No logic lives here.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use infrarag::hcl::{self, Dialect, LoadsOptions};
use infrarag::terraform::Module;

/// A JS error whose `code` is the core's stable code (`PARSE_ERROR`,
/// `INVALID_UTF8`, `IO_ERROR`, `INVALID_ARGUMENT`).
fn js_error(err: infrarag::Error) -> napi::Error<String> {
    let message = match &err {
        infrarag::Error::Parse { diagnostics, .. } => {
            let diags = serde_json::to_string(diagnostics).unwrap_or_default();
            format!("{err}\ndiagnostics: {diags}")
        }
        _ => err.to_string(),
    };
    napi::Error::new(err.code().to_string(), message)
}

fn internal(err: impl std::fmt::Display) -> napi::Error<String> {
    napi::Error::new("INTERNAL".to_string(), err.to_string())
}

#[napi(object)]
pub struct ParseOptions {
    /// The python-hcl2 format to reproduce: `"v7"` (7.3.1, the default) or
    /// `"v8"` (8.1.4 with its default options).
    pub dialect: Option<String>,
    /// Add `__start_line__` / `__end_line__` to block bodies (`"v7"` only).
    pub with_meta: Option<bool>,
}

fn loads_options(options: Option<ParseOptions>) -> Result<LoadsOptions, String> {
    let (dialect, meta) = match options {
        Some(o) => (o.dialect, o.with_meta.unwrap_or(false)),
        None => (None, false),
    };
    let dialect: Dialect = match dialect {
        Some(d) => d.parse().map_err(js_error)?,
        None => Dialect::default(),
    };
    Ok(LoadsOptions::new(dialect).with_meta(meta))
}

/// Parses HCL into the JSON python-hcl2 returns for it.
#[napi(namespace = "hcl")]
pub fn parse(text: String, options: Option<ParseOptions>) -> Result<serde_json::Value, String> {
    let opts = loads_options(options)?;
    hcl::loads(&text, &opts).map_err(js_error)
}

/// Parses native HCL (or Terraform JSON when `json` is true) into the syntax
/// tree; never throws for syntax errors, which are listed in `diagnostics`.
#[napi(namespace = "hcl")]
pub fn parse_syntax(text: String, json: Option<bool>) -> serde_json::Value {
    let parsed = if json.unwrap_or(false) {
        hcl::tfjson::parse_json(&text)
    } else {
        hcl::parse(&text)
    };
    serde_json::json!({
        "body": parsed.file.body,
        "comments": parsed.file.comments,
        "diagnostics": parsed.diagnostics,
    })
}

fn module_json(dir: &str) -> Result<serde_json::Value, String> {
    let m = Module::load(dir).map_err(js_error)?;
    serde_json::to_value(&m).map_err(internal)
}

/// Loads a Terraform module directory, blocking the calling thread.
#[napi(namespace = "hcl")]
pub fn load_module_sync(dir: String) -> Result<serde_json::Value, String> {
    module_json(&dir)
}

/// A JSON value returned from a task (napi's `serde_json::Value` support
/// lacks the `TypeName` that `Task` asks for).
pub struct Json(serde_json::Value);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        // SAFETY: forwarded unchanged to napi's own implementation for
        // `serde_json::Value`, with the env napi handed us.
        unsafe { serde_json::Value::to_napi_value(env, val.0) }
    }
}

pub struct LoadModuleTask {
    dir: String,
    /// The core's error, kept until `reject` runs on the JS thread, where a
    /// JS error with its `code` can be built.
    failure: Option<napi::Error<String>>,
}

impl Task for LoadModuleTask {
    type Output = serde_json::Value;
    type JsValue = Json;

    fn compute(&mut self) -> Result<Self::Output> {
        module_json(&self.dir).map_err(|e| {
            let generic = napi::Error::new(Status::GenericFailure, e.reason.clone());
            self.failure = Some(e);
            generic
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Json(output))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<Self::JsValue> {
        let Some(failure) = self.failure.take() else {
            return Err(err);
        };
        let mut error = env.create_error(napi::Error::new(
            Status::GenericFailure,
            failure.reason.clone(),
        ))?;
        error.set_named_property("code", failure.status.as_str())?;
        Err(napi::Error::from(error.into_unknown(&env)?))
    }
}

/// Loads a Terraform module directory off the main thread.
#[napi(namespace = "hcl")]
pub fn load_module(dir: String) -> AsyncTask<LoadModuleTask> {
    AsyncTask::new(LoadModuleTask { dir, failure: None })
}

/// A built-in tokenizer: `cl100k_base` and `o200k_base` count exactly as
/// Python tiktoken does; `approximate` only counts.
#[napi(namespace = "tokens")]
pub struct Tokenizer {
    inner: Box<dyn infrarag::tokens::Tokenizer>,
}

#[napi(namespace = "tokens")]
impl Tokenizer {
    /// `name`: `"cl100k_base"` (the default), `"o200k_base"` or
    /// `"approximate"`; throws INVALID_ARGUMENT for others.
    #[napi(constructor)]
    pub fn new(name: Option<String>) -> Result<Self, String> {
        let name = name.as_deref().unwrap_or("cl100k_base");
        let inner = infrarag::tokens::by_name(name).map_err(js_error)?;
        Ok(Tokenizer { inner })
    }

    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The number of tokens of `text`.
    #[napi]
    pub fn count(&self, text: String) -> u32 {
        u32::try_from(self.inner.count(&text)).unwrap_or(u32::MAX)
    }

    /// The token ids of `text`.
    #[napi]
    pub fn encode(&self, text: String) -> Vec<u32> {
        self.inner.encode(&text)
    }

    /// The text of `tokens`; throws INVALID_ARGUMENT when they split a
    /// character or are not in the vocabulary.
    #[napi]
    pub fn decode(&self, tokens: Vec<u32>) -> Result<String, String> {
        self.inner.decode(&tokens).map_err(js_error)
    }
}
