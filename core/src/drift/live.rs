//! State against what is live: resources managed, missing (in state, gone
//! live) and unmanaged (live, in no state), and attributes changed outside
//! Terraform, as driftctl reported them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ignore::DriftIgnore;
use super::inventory::{Inventory, LiveResource};
use crate::error::Result;
use crate::terraform::state::{is_dynamic, Instance, Mode, State, SENSITIVE};

/// What [`compare_live`] compares and leaves out.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// Resources and attributes left out of the report.
    pub ignore: DriftIgnore,
    /// Report resources the cloud made itself (a default VPC) as
    /// unmanaged too.
    pub strict: bool,
    /// The types to list; all the inventory lists when `None`.
    pub resource_types: Option<Vec<String>>,
    /// How many types are listed at once (default 4).
    pub concurrency: Option<usize>,
}

/// A resource in a report: its state address when state has it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The state address; `None` for an unmanaged resource.
    pub address: Option<String>,
    /// The Terraform resource type.
    pub resource_type: String,
    /// The resource's id.
    pub id: String,
}

/// An attribute whose live value differs from state's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveChange {
    /// The state address.
    pub address: String,
    /// The Terraform resource type.
    pub resource_type: String,
    /// The resource's id.
    pub id: String,
    /// The attribute's path, segments joined by dots (`tags.Env`).
    pub path: String,
    /// Its value in state.
    pub state: Value,
    /// Its live value.
    pub live: Value,
}

/// How a state and what is live differ; see [`compare_live`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveDrift {
    /// In state and live.
    pub managed: Vec<ResourceRef>,
    /// In state, not live: deleted outside Terraform.
    pub missing: Vec<ResourceRef>,
    /// Live, in no state: made outside Terraform.
    pub unmanaged: Vec<ResourceRef>,
    /// Attributes of managed resources changed outside Terraform.
    pub changed: Vec<LiveChange>,
    /// State addresses of types the inventory does not list: not compared.
    pub unsupported: Vec<String>,
    /// Resources the ignore patterns left out.
    pub ignored: usize,
    /// Managed resources as a share of those live and reported
    /// (managed and unmanaged), from 0 to 1; 1 when there are none.
    pub coverage: f64,
}

impl LiveDrift {
    /// Whether nothing is missing, unmanaged or changed.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unmanaged.is_empty() && self.changed.is_empty()
    }

    /// The report as lines of text: one per difference, then the counts.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for r in &self.missing {
            let address = r.address.as_deref().unwrap_or_default();
            out.push_str(&format!(
                "missing     {address} (id {}: in state, not live)\n",
                r.id
            ));
        }
        for r in &self.unmanaged {
            out.push_str(&format!(
                "unmanaged   {} {} (live, in no state)\n",
                r.resource_type, r.id
            ));
        }
        for c in &self.changed {
            out.push_str(&format!(
                "changed     {}.{}: state {} -> live {}\n",
                c.address, c.path, c.state, c.live
            ));
        }
        for a in &self.unsupported {
            out.push_str(&format!(
                "not listed  {a} (the inventory does not list its type)\n"
            ));
        }
        let drifted: BTreeSet<&str> = self.changed.iter().map(|c| c.address.as_str()).collect();
        out.push_str(&format!(
            "state against live: {} managed ({} changed), {} missing, {} unmanaged, {} ignored; coverage {:.0}%\n",
            self.managed.len(),
            drifted.len(),
            self.missing.len(),
            self.unmanaged.len(),
            self.ignored,
            self.coverage * 100.0
        ));
        out
    }
}

/// Compares `state`'s managed resources with what `inventory` lists. A
/// state instance and a live resource are the same when type and `id`
/// agree. Each attribute the inventory lists and state holds is compared:
/// maps key by key, lists as sets, JSON documents (policies) by value, and
/// null, empty strings, lists and maps alike. Sensitive state values are
/// never compared or reported.
pub fn compare_live(
    state: &State,
    inventory: &dyn Inventory,
    options: &LiveOptions,
) -> Result<LiveDrift> {
    compare_with(
        |each| state.instances.iter().try_for_each(each),
        inventory,
        options,
    )
}

/// [`compare_live`] of the state file at `path`, read one resource at a
/// time ([`State::stream`]): memory holds what the inventory lists and one
/// resource of state, not the whole state.
pub fn compare_live_file(
    path: impl AsRef<Path>,
    inventory: &dyn Inventory,
    options: &LiveOptions,
) -> Result<LiveDrift> {
    compare_with(
        |each| State::stream(path, |i| each(&i)).map(drop),
        inventory,
        options,
    )
}

/// Lists what is live, then compares each instance `instances` hands over
/// as it comes.
fn compare_with(
    instances: impl FnOnce(&mut dyn FnMut(&Instance) -> Result<()>) -> Result<()>,
    inventory: &dyn Inventory,
    options: &LiveOptions,
) -> Result<LiveDrift> {
    let types: Vec<String> = match &options.resource_types {
        Some(t) => t.clone(),
        None => inventory.resource_types(),
    };
    let listed = list_all(inventory, &types, options.concurrency.unwrap_or(4))?;
    let mut live: BTreeMap<String, BTreeMap<String, LiveResource>> = types
        .iter()
        .cloned()
        .zip(listed.into_iter().map(|all| {
            all.into_iter()
                .map(|r| (r.id.clone(), r))
                .collect::<BTreeMap<_, _>>()
        }))
        .collect();
    let mut drift = LiveDrift::default();
    let mut managed_ids: BTreeSet<(String, String)> = BTreeSet::new();
    instances(&mut |instance: &Instance| {
        if instance.mode != Mode::Managed || instance.deposed.is_some() {
            return Ok(());
        }
        let Some(by_id) = live.get_mut(&instance.resource_type) else {
            drift.unsupported.push(instance.address.clone());
            return Ok(());
        };
        let id = match attribute(&instance.attributes, "id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Ok(()),
        };
        let resource_type = &instance.resource_type;
        if options.ignore.ignores_resource(resource_type, &id) {
            drift.ignored += 1;
            by_id.remove(&id);
            return Ok(());
        }
        let reference = ResourceRef {
            address: Some(instance.address.clone()),
            resource_type: resource_type.clone(),
            id: id.clone(),
        };
        match by_id.remove(&id) {
            Some(found) => {
                compare(instance, &found, &options.ignore, &mut drift.changed);
                managed_ids.insert((resource_type.clone(), id));
                drift.managed.push(reference);
            }
            None => drift.missing.push(reference),
        }
        Ok(())
    })?;
    for r in live.into_values().flat_map(BTreeMap::into_values) {
        if options.ignore.ignores_resource(&r.resource_type, &r.id) {
            drift.ignored += 1;
            continue;
        }
        if r.default && !options.strict {
            continue;
        }
        let part_of_managed = r
            .parent
            .as_deref()
            .and_then(|p| p.split_once('.'))
            .is_some_and(|(t, id)| managed_ids.contains(&(t.to_string(), id.to_string())));
        if part_of_managed {
            continue;
        }
        drift.unmanaged.push(ResourceRef {
            address: None,
            resource_type: r.resource_type,
            id: r.id,
        });
    }
    drift.managed.sort();
    drift.missing.sort();
    drift.unmanaged.sort();
    drift
        .changed
        .sort_by(|a, b| (&a.address, &a.path).cmp(&(&b.address, &b.path)));
    let live = drift.managed.len() + drift.unmanaged.len();
    drift.coverage = if live == 0 {
        1.0
    } else {
        drift.managed.len() as f64 / live as f64
    };
    Ok(drift)
}

/// Each type's resources, listed with at most `concurrency` types at once.
fn list_all(
    inventory: &dyn Inventory,
    types: &[String],
    concurrency: usize,
) -> Result<Vec<Vec<LiveResource>>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result<Vec<LiveResource>>>>> =
        types.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..concurrency.clamp(1, types.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(t) = types.get(i) else { break };
                let listed = inventory.list(t).map(|mut all| {
                    all.retain(|r| &r.resource_type == t);
                    all
                });
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(listed);
            });
        }
    });
    slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .unwrap_or_else(|| Ok(Vec::new()))
        })
        .collect()
}

/// An attribute's value in state, looking through a state file's wrapper
/// of a dynamically typed one ([`is_dynamic`]).
pub(super) fn attribute<'a>(attributes: &'a Value, name: &str) -> Option<&'a Value> {
    let v = attributes.get(name)?;
    match v {
        Value::Object(o) if is_dynamic(o) => o.get("value"),
        _ => Some(v),
    }
}

/// The live attributes of `live` that differ from `instance`'s in state.
fn compare(
    instance: &Instance,
    live: &LiveResource,
    ignore: &DriftIgnore,
    out: &mut Vec<LiveChange>,
) {
    for (name, live_value) in &live.attributes {
        if name == "id" {
            continue;
        }
        let Some(stored) = attribute(&instance.attributes, name) else {
            continue;
        };
        if instance.sensitive_paths.iter().any(|p| {
            p == name || p.starts_with(&format!("{name}.")) || p.starts_with(&format!("{name}["))
        }) {
            continue;
        }
        let mut path = vec![name.clone()];
        differences(&mut path, stored, live_value, &mut |path, state, now| {
            if !ignore.ignores_attribute(&live.resource_type, &live.id, path) {
                out.push(LiveChange {
                    address: instance.address.clone(),
                    resource_type: live.resource_type.clone(),
                    id: live.id.clone(),
                    path: path.join("."),
                    state: state.clone(),
                    live: live_value_of(state, now),
                });
            }
        });
    }
}

/// Calls `found` for each path below `path` where `state` and `live`
/// differ: maps (both objects) key by key, anything else whole.
fn differences(
    path: &mut Vec<String>,
    state: &Value,
    live: &Value,
    found: &mut dyn FnMut(&[String], &Value, &Value),
) {
    if let (Value::Object(s), Value::Object(l)) = (state, live) {
        let keys: BTreeSet<&String> = s.keys().chain(l.keys()).collect();
        for k in keys {
            path.push(k.clone());
            let (a, b) = (
                s.get(k).unwrap_or(&Value::Null),
                l.get(k).unwrap_or(&Value::Null),
            );
            differences(path, a, b, found);
            path.pop();
        }
    } else if !equivalent(state, live) {
        found(path, state, live);
    }
}

/// The live value as reported: masked wherever state's is.
fn live_value_of(state: &Value, live: &Value) -> Value {
    if state.as_str() == Some(SENSITIVE) {
        Value::String(SENSITIVE.into())
    } else {
        live.clone()
    }
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Whether a state value and a live one mean the same; see [`compare_live`].
pub(super) fn equivalent(state: &Value, live: &Value) -> bool {
    if state.as_str() == Some(SENSITIVE) || (empty(state) && empty(live)) {
        return true;
    }
    match (state, live) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(a), Value::String(b)) if a != b => {
            let document = |t: &str| {
                serde_json::from_str::<Value>(t)
                    .ok()
                    .filter(|v| v.is_object() || v.is_array())
            };
            match (document(a), document(b)) {
                (Some(x), Some(y)) => equivalent(&x, &y),
                _ => false,
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                return false;
            }
            let mut used = vec![false; b.len()];
            a.iter().all(|x| {
                let found = b
                    .iter()
                    .enumerate()
                    .find(|(j, y)| !used[*j] && equivalent(x, y))
                    .map(|(j, _)| j);
                found.map(|j| used[j] = true).is_some()
            })
        }
        (Value::Object(a), Value::Object(b)) => a.keys().chain(b.keys()).all(|k| {
            equivalent(
                a.get(k).unwrap_or(&Value::Null),
                b.get(k).unwrap_or(&Value::Null),
            )
        }),
        _ => state == live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_compare_as_terraform_means_them() {
        assert!(equivalent(&json!(null), &json!({})));
        assert!(equivalent(&json!(""), &json!(null)));
        assert!(equivalent(&json!(20), &json!(20.0)));
        assert!(equivalent(&json!(["b", "a"]), &json!(["a", "b"])));
        assert!(!equivalent(&json!(["a", "a"]), &json!(["a", "b"])));
        assert!(equivalent(
            &json!("{\"Version\":\"2012-10-17\",\"Statement\":[]}"),
            &json!("{\n  \"Statement\": [],\n  \"Version\": \"2012-10-17\"\n}")
        ));
        assert!(equivalent(
            &json!([{"status": "Enabled", "mfa_delete": ""}]),
            &json!([{"status": "Enabled"}])
        ));
        assert!(!equivalent(&json!(false), &json!(null)));
        assert!(equivalent(&json!(SENSITIVE), &json!("anything")));
    }
}
