//! Values between Rust and JS: JSON values as they are, counts as numbers.

use napi::bindgen_prelude::*;
use serde_json::Value;

use crate::error::{invalid, Code};

/// A JSON value returned from a task (napi's `serde_json::Value` support
/// lacks the `TypeName` that `Task` asks for).
pub struct Json(pub(crate) serde_json::Value);

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

pub(crate) fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn typed<T: serde::de::DeserializeOwned>(name: &str, v: Value) -> Result<T, Code> {
    serde_json::from_value(v).map_err(|e| invalid(name, e.to_string()))
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}
