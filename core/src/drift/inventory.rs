//! What is live: the [`Inventory`] trait that lists a cloud's resources in
//! Terraform's terms, and [`Listed`], an inventory of resources already listed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Result;

/// One live resource, named and shaped as the Terraform provider's state
/// would hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveResource {
    /// The Terraform resource type (`aws_s3_bucket`).
    pub resource_type: String,
    /// What the provider stores as the resource's `id` (a bucket's name,
    /// `i-…`, a role's name, a policy's ARN).
    pub id: String,
    /// Attributes by their Terraform names; only those listed are compared.
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// Made by the cloud rather than by anyone (a default VPC, its subnets
    /// and security group): not reported unmanaged unless asked to be.
    #[serde(default)]
    pub default: bool,
    /// The resource this one is part of, as `type.id` (a security group
    /// rule's group): not reported unmanaged when that one is managed,
    /// whose state may hold it inline.
    #[serde(default)]
    pub parent: Option<String>,
}

impl LiveResource {
    /// `values`, JSON objects a host language's inventory listed, as
    /// resources of `resource_type`, which each may leave out (it is the
    /// type the inventory was asked for); `Err` says what did not fit.
    pub fn from_json(
        resource_type: &str,
        values: Vec<Value>,
    ) -> std::result::Result<Vec<LiveResource>, String> {
        values
            .into_iter()
            .map(|mut value| {
                if let Some(o) = value.as_object_mut() {
                    o.entry("resource_type")
                        .or_insert_with(|| resource_type.into());
                }
                serde_json::from_value(value).map_err(|e| format!("an unexpected shape: {e}"))
            })
            .collect()
    }
}

/// A source of live resources: a cloud's API, a CMDB, a host language's
/// callable.
pub trait Inventory: Send + Sync {
    /// The resource types it can list.
    fn resource_types(&self) -> Vec<String>;

    /// Every live resource of `resource_type`, one of
    /// [`resource_types`](Self::resource_types).
    fn list(&self, resource_type: &str) -> Result<Vec<LiveResource>>;
}

/// Resources listed beforehand, by type: an inventory of what a caller
/// already fetched (a host language's async client, a CMDB export).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listed(pub BTreeMap<String, Vec<LiveResource>>);

impl Listed {
    /// `resources` grouped by type; `types` may name more (listed, none
    /// live) so that state's resources of those types are compared too.
    pub fn new(resources: Vec<LiveResource>, types: &[String]) -> Listed {
        let mut by_type: BTreeMap<String, Vec<LiveResource>> =
            types.iter().map(|t| (t.clone(), Vec::new())).collect();
        for r in resources {
            by_type.entry(r.resource_type.clone()).or_default().push(r);
        }
        Listed(by_type)
    }
}

impl Inventory for Listed {
    fn resource_types(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    fn list(&self, resource_type: &str) -> Result<Vec<LiveResource>> {
        Ok(self.0.get(resource_type).cloned().unwrap_or_default())
    }
}
