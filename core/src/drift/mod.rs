//! Drift: what a Terraform configuration declares against what its state
//! records ([`compare_config`]), and state against what is live
//! ([`live::compare_live`] over an [`inventory::Inventory`]).

pub mod aws;
pub mod ignore;
pub mod inventory;
pub mod live;
pub mod sarif;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::terraform::eval::{expand_module, Inputs};
use crate::terraform::state::{Action, Mode, Plan, State, SENSITIVE};
use crate::terraform::{read_files, DeclarationKind, Module};

/// How a configuration and a state differ; see [`compare_config`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigDrift {
    /// Managed instances both declare, by address.
    pub managed: Vec<String>,
    /// Declared by the configuration, absent from state: `apply` would
    /// create them.
    pub missing: Vec<String>,
    /// In state, declared no more: `apply` would destroy them.
    pub undeclared: Vec<String>,
    /// In state, of a resource block the configuration declares whose
    /// `count` or `for_each` needs values only state or apply know (a
    /// resource's attributes): neither missing nor undeclared.
    pub undetermined: Vec<String>,
    /// What the configuration could not evaluate, as `file:line: message`.
    pub diagnostics: Vec<String>,
    /// State addresses a `moved` block renames, as (from, to).
    pub moved: Vec<(String, String)>,
    /// Arguments whose value the configuration knows and state holds
    /// differently.
    pub changed: Vec<AttributeDrift>,
}

/// One argument whose configured value differs from state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeDrift {
    /// The instance's address (as the configuration names it).
    pub address: String,
    /// The argument's name; `input.interval` for a key of an object the
    /// configuration knows only in part.
    pub attribute: String,
    /// Its value in the configuration.
    pub config: Value,
    /// Its value in state; [`SENSITIVE`] when sensitive.
    pub state: Value,
}

impl ConfigDrift {
    /// Whether the configuration and state agree on everything compared.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.undeclared.is_empty() && self.changed.is_empty()
    }

    /// The report as lines of text: one per difference, then what could
    /// not be compared, then a count.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for a in &self.missing {
            out.push_str(&format!("missing     {a} (declared, not in state)\n"));
        }
        for a in &self.undeclared {
            out.push_str(&format!("undeclared  {a} (in state, declared no more)\n"));
        }
        for (from, to) in &self.moved {
            out.push_str(&format!("moved       {from} -> {to}\n"));
        }
        for c in &self.changed {
            out.push_str(&format!(
                "changed     {}.{}: state {} -> config {}\n",
                c.address, c.attribute, c.state, c.config
            ));
        }
        for a in &self.undetermined {
            out.push_str(&format!(
                "not compared {a} (its count or for_each needs state or apply)\n"
            ));
        }
        for d in &self.diagnostics {
            out.push_str(&format!("note        {d}\n"));
        }
        out.push_str(&format!(
            "configuration against state: {} managed, {} missing, {} undeclared, {} changed\n",
            self.managed.len(),
            self.missing.len(),
            self.undeclared.len(),
            self.changed.len()
        ));
        out
    }

    /// Whether anything could not be compared: instances
    /// [`undetermined`](Self::undetermined) or expressions the
    /// configuration could not evaluate.
    pub fn is_partial(&self) -> bool {
        !self.undetermined.is_empty() || !self.diagnostics.is_empty()
    }
}

/// Compares the configuration rooted in `dir` (expanded with `inputs` as
/// `terraform plan` would) with `state`, managed resources only. An
/// argument counts as changed when the configuration's value is known and
/// not sensitive and differs from state's; of an object or map known in
/// part, each known attribute or key is compared (`tags.Name`). Values
/// known only after apply, and arguments the configuration leaves unset,
/// are not compared. `moved` blocks (the root module's, and each module
/// instance's within it) rename state addresses before comparing.
pub fn compare_config(
    dir: impl AsRef<Path>,
    inputs: &Inputs,
    state: &State,
) -> Result<ConfigDrift> {
    let dir = dir.as_ref();
    let expansion = expand_module(dir, inputs)?;
    // Which directory each module instance's blocks are in, from the
    // instances that did expand.
    let mut dirs: BTreeMap<&str, std::path::PathBuf> = BTreeMap::new();
    dirs.insert("", dir.to_path_buf());
    for r in &expansion.resources {
        if let Some(parent) = r.file.parent() {
            dirs.entry(r.module.as_str())
                .or_insert_with(|| dir.join(parent));
        }
    }
    // A module's `moved` blocks rename addresses within its instances.
    let mut moves = Vec::new();
    for (module, at) in &dirs {
        let prefix = if module.is_empty() {
            String::new()
        } else {
            format!("{module}.")
        };
        for (from, to) in moved_blocks(at)? {
            moves.push((format!("{prefix}{from}"), format!("{prefix}{to}")));
        }
    }
    let mut held: BTreeMap<String, &crate::terraform::state::Instance> = BTreeMap::new();
    let mut drift = ConfigDrift::default();
    for i in &state.instances {
        if i.mode != Mode::Managed || i.deposed.is_some() {
            continue;
        }
        // Moves chain (a module moved, then a resource within it); as
        // many renames as there are blocks at most, so a cycle ends.
        let mut address = i.address.clone();
        for _ in 0..moves.len() {
            match rename(&address, &moves) {
                Some(to) if to != address => address = to,
                _ => break,
            }
        }
        if address != i.address {
            drift.moved.push((i.address.clone(), address.clone()));
        }
        held.insert(address, i);
    }
    let mut declared = BTreeSet::new();
    for r in expansion
        .resources
        .iter()
        .filter(|r| r.mode == Mode::Managed)
    {
        declared.insert(r.address.clone());
        let Some(instance) = held.get(&r.address) else {
            drift.missing.push(r.address.clone());
            continue;
        };
        drift.managed.push(r.address.clone());
        for (name, value) in &r.values {
            if let Some(stored) = live::attribute(&instance.attributes, name) {
                known_changes(&r.address, name.clone(), value, stored, &mut drift.changed);
            }
        }
    }
    drift.diagnostics = expansion
        .diagnostics
        .iter()
        .map(|(file, d)| format!("{}:{}: {}", file.display(), d.span.start.line, d.message))
        .collect();
    // Where the expansion failed: a file and line under the root.
    let failed: Vec<(std::path::PathBuf, usize)> = expansion
        .diagnostics
        .iter()
        .map(|(file, d)| (dir.join(file), d.span.start.line))
        .collect();
    let mut blocks: BTreeMap<std::path::PathBuf, Blocks> = BTreeMap::new();
    for (address, instance) in &held {
        if declared.contains(address) {
            continue;
        }
        let module = instance.module.as_deref().unwrap_or("");
        // A block whose count or for_each failed to evaluate made no
        // instance, so whether it still declares this one is unknown.
        let unknown = match dirs.get(module) {
            Some(d) => {
                if !blocks.contains_key(d) {
                    blocks.insert(d.clone(), resource_blocks(d)?);
                }
                let key = (instance.resource_type.clone(), instance.name.clone());
                blocks[d].get(&key).is_some_and(|(file, lines)| {
                    failed
                        .iter()
                        .any(|(f, line)| f == file && lines.contains(line))
                })
            }
            None => false,
        };
        if unknown {
            drift.undetermined.push(address.clone());
        } else {
            drift.undeclared.push(address.clone());
        }
    }
    Ok(drift)
}

/// The parts of the configured `value` of the argument at `path` that are
/// known, not sensitive, and differ from `stored`: the whole value when
/// wholly known, else each known attribute or key of an object or map
/// (named `path.key`), deeper as far as values are known.
fn known_changes(
    address: &str,
    path: String,
    value: &crate::terraform::eval::Value,
    stored: &Value,
    out: &mut Vec<AttributeDrift>,
) {
    use crate::terraform::eval::Kind;
    if value.has_sensitive() {
        return;
    }
    if value.is_wholly_known() {
        let config = value.to_json();
        if !same(&config, stored) {
            out.push(AttributeDrift {
                address: address.to_string(),
                attribute: path,
                config,
                state: stored.clone(),
            });
        }
        return;
    }
    if let (Kind::Object(fields) | Kind::Map(_, fields), Value::Object(held)) =
        (&value.kind, stored)
    {
        for (key, v) in fields {
            if let Some(s) = held.get(key) {
                known_changes(address, format!("{path}.{key}"), v, s, out);
            }
        }
    }
}

/// Each `resource` block of a module by (type, name): its file and lines.
type Blocks = BTreeMap<(String, String), (std::path::PathBuf, std::ops::RangeInclusive<usize>)>;

/// The `resource` blocks of the module in `dir`, as its declarations list
/// them.
fn resource_blocks(dir: &Path) -> Result<Blocks> {
    Ok(Module::load(dir)?
        .declarations
        .into_iter()
        .filter(|d| d.kind == DeclarationKind::Resource)
        .filter_map(|d| {
            let lines = d.span.start.line..=d.span.end.line;
            Some(((d.resource_type?, d.name), (dir.join(&d.file), lines)))
        })
        .collect())
}

/// A plan's drift and changes, summarised as [`ConfigDrift`] is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    /// Objects changed outside Terraform, found by refreshing: address
    /// and actions.
    pub drift: Vec<(String, Vec<Action>)>,
    /// What applying the plan would do, no-ops left out: address and
    /// actions.
    pub changes: Vec<(String, Vec<Action>)>,
}

impl PlanSummary {
    /// The summary of `plan`.
    pub fn of(plan: &Plan) -> PlanSummary {
        let listed = |changes: &[crate::terraform::state::ResourceChange]| {
            changes
                .iter()
                .filter(|c| c.change.actions != [Action::NoOp])
                .map(|c| (c.address.clone(), c.change.actions.clone()))
                .collect()
        };
        PlanSummary {
            drift: listed(&plan.resource_drift),
            changes: listed(&plan.resource_changes),
        }
    }

    /// Whether the plan found no drift and changes nothing.
    pub fn is_empty(&self) -> bool {
        self.drift.is_empty() && self.changes.is_empty()
    }

    /// The summary as lines of text.
    pub fn to_text(&self) -> String {
        let actions = |a: &[Action]| {
            a.iter()
                .map(|x| {
                    serde_json::to_value(x)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = String::new();
        for (a, x) in &self.drift {
            out.push_str(&format!("drifted     {a} ({})\n", actions(x)));
        }
        for (a, x) in &self.changes {
            out.push_str(&format!("planned     {a} ({})\n", actions(x)));
        }
        out.push_str(&format!(
            "plan: {} drifted, {} to change\n",
            self.drift.len(),
            self.changes.len()
        ));
        out
    }
}

/// Whether two values are equal as Terraform compares them: numbers by
/// value (`2` and `2.0`), a sensitive state value never differing.
fn same(config: &Value, state: &Value) -> bool {
    match (config, state) {
        (_, Value::String(s)) if s == SENSITIVE => true,
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| same(x, y)))
        }
        _ => config == state,
    }
}

/// The `moved { from = ..., to = ... }` blocks of the module in `dir`, as
/// (from, to) address texts (a `.tf.json` file's without their quotes).
fn moved_blocks(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for file in read_files(dir)? {
        for block in file.parsed.file.body.blocks_of("moved") {
            let source = |name: &str| {
                block.body.attribute(name).map(|a| {
                    let text = file.text[a.expr.span.bytes()].trim();
                    text.trim_matches('"').to_string()
                })
            };
            if let (Some(from), Some(to)) = (source("from"), source("to")) {
                out.push((from, to));
            }
        }
    }
    Ok(out)
}

/// `address` renamed by the first `moved` block that names it or a
/// resource or module containing it.
fn rename(address: &str, moves: &[(String, String)]) -> Option<String> {
    moves.iter().find_map(|(from, to)| {
        if address == from {
            return Some(to.clone());
        }
        let rest = address.strip_prefix(from.as_str())?;
        (rest.starts_with('[') || rest.starts_with('.')).then(|| format!("{to}{rest}"))
    })
}
