//! Drift reports as SARIF 2.1.0, the format code-scanning services
//! (GitHub, GitLab, Azure DevOps) import.

use serde_json::{json, Value};

use super::live::LiveDrift;
use super::{ConfigDrift, PlanSummary};
use crate::terraform::state::Action;

/// Each kind of finding: rule id, short description, level.
const RULES: [(&str, &str, &str); 8] = [
    (
        "drift/missing",
        "In state, not live: deleted outside Terraform",
        "error",
    ),
    ("drift/unmanaged", "Live, in no Terraform state", "warning"),
    (
        "drift/changed",
        "Attribute changed outside Terraform",
        "warning",
    ),
    (
        "config/missing",
        "Declared by the configuration, not in state",
        "note",
    ),
    (
        "config/undeclared",
        "In state, declared by the configuration no more",
        "warning",
    ),
    (
        "config/changed",
        "Configured value differs from state",
        "note",
    ),
    (
        "plan/drifted",
        "Changed outside Terraform, as the plan's refresh found",
        "warning",
    ),
    ("plan/change", "Planned change", "note"),
];

/// The findings of the given reports as one SARIF run. `state` is the
/// state file's path, the artifact every finding points at; resources are
/// named as logical locations (their addresses, or `type.id`).
pub fn to_sarif(
    state: &str,
    config: Option<&ConfigDrift>,
    live: Option<&LiveDrift>,
    plan: Option<&PlanSummary>,
) -> Value {
    let mut results = Vec::new();
    let mut add = |rule: &str, name: &str, message: String| {
        let level = RULES
            .iter()
            .find(|r| r.0 == rule)
            .map(|r| r.2)
            .unwrap_or("note");
        results.push(json!({
            "ruleId": rule,
            "level": level,
            "message": { "text": message },
            "locations": [{
                "physicalLocation": { "artifactLocation": { "uri": state } },
                "logicalLocations": [{ "fullyQualifiedName": name, "kind": "resource" }],
            }],
        }));
    };
    if let Some(c) = config {
        for a in &c.missing {
            add(
                "config/missing",
                a,
                format!("{a} is declared but not in state"),
            );
        }
        for a in &c.undeclared {
            add(
                "config/undeclared",
                a,
                format!("{a} is in state but declared no more"),
            );
        }
        for d in &c.changed {
            add(
                "config/changed",
                &d.address,
                format!(
                    "{}.{}: state {} -> config {}",
                    d.address, d.attribute, d.state, d.config
                ),
            );
        }
    }
    if let Some(l) = live {
        for r in &l.missing {
            let name = r.address.clone().unwrap_or_default();
            add(
                "drift/missing",
                &name,
                format!("{name} (id {}) is in state but not live", r.id),
            );
        }
        for r in &l.unmanaged {
            let name = format!("{}.{}", r.resource_type, r.id);
            add(
                "drift/unmanaged",
                &name,
                format!("{} {} is live but in no state", r.resource_type, r.id),
            );
        }
        for c in &l.changed {
            add(
                "drift/changed",
                &c.address,
                format!(
                    "{}.{}: state {} -> live {}",
                    c.address, c.path, c.state, c.live
                ),
            );
        }
    }
    if let Some(p) = plan {
        for (a, actions) in &p.drift {
            add(
                "plan/drifted",
                a,
                format!("{a} changed outside Terraform ({})", names(actions)),
            );
        }
        for (a, actions) in &p.changes {
            add("plan/change", a, format!("{a}: {}", names(actions)));
        }
    }
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, text, level)| {
            json!({
                "id": id,
                "shortDescription": { "text": text },
                "defaultConfiguration": { "level": level },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "infrarag",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn names(actions: &[Action]) -> String {
    actions
        .iter()
        .filter_map(|a| serde_json::to_value(a).ok()?.as_str().map(String::from))
        .collect::<Vec<_>>()
        .join(", ")
}
