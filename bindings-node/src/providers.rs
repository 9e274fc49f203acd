//! `providers`: the embedded aws, azurerm and google schemas.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{js_error, thrown};

/// Describes a resource type (`aws_s3_bucket`) or data source
/// (`data.aws_ami`): `{ type, kind, provider, source, version,
/// docs_version, description, category, attributes, blocks }`, from the
/// schemas compiled into infrarag. Throws INVALID_ARGUMENT, naming the
/// nearest known type, for a type no embedded provider has.
#[napi(namespace = "providers")]
pub fn describe(env: Env, type_name: String) -> Result<serde_json::Value> {
    thrown(&env, || {
        infrarag::providers::describe(&type_name).map_err(js_error)
    })
}
