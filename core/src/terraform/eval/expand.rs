//! A configuration's instances as `terraform plan` expands them: `count`
//! and `for_each` into addresses, module calls with their arguments
//! evaluated into the called module, and each instance's arguments.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::error::Result;
use crate::hcl::{Block, Body, ExprKind, Span};
use crate::terraform::calls::{calls, installed, key_of, resolve, CALL_META};
use crate::terraform::{read_files_cached, SourceFile};

use super::inputs::Given;
use super::{
    convert, eval_diag, evaluate_bound, evaluate_files_with, format, iterate, path_values,
    read_module, Inputs, Kind, Scope, Type, Value,
};

/// Module calls nest at most this deep (a module calling itself would
/// not end).
const MAX_DEPTH: usize = 8;

/// How often a module's values are evaluated again when they read its
/// calls' outputs (`module.net.id` in a local that another call reads).
const MAX_ROUNDS: usize = 4;

/// What follows an instance's name in its address: `[0]` or `["a"]`; as
/// a plan expands it and as state records it (`index_key`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InstanceKey {
    /// A `count` index.
    Int(i64),
    /// A `for_each` key.
    String(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::String(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

/// A `resource` or a `data` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `resource`.
    Managed,
    /// `data`.
    Data,
}

/// One instance of a resource or data source.
#[derive(Debug, Clone)]
pub struct ResourceInstance {
    /// `module.net["a"].aws_subnet.this[0]`, as `terraform plan` names it.
    pub address: String,
    /// The module instance it is in: `module.net["a"]`, or `""`.
    pub module: String,
    /// Resource or data source.
    pub mode: Mode,
    /// `aws_subnet`.
    pub kind: String,
    /// `this`.
    pub name: String,
    /// The `count` index or `for_each` key, when the block repeats.
    pub key: Option<InstanceKey>,
    /// Its arguments as evaluated (meta-arguments left out); a nested
    /// block type is a tuple of objects, `dynamic` blocks expanded.
    pub values: BTreeMap<String, Value>,
    /// The block's file, relative to the root module's directory.
    pub file: PathBuf,
    /// The block's header.
    pub span: Span,
}

/// A configuration expanded: every resource instance, every module
/// instance, the root module's outputs, and what could not be evaluated.
#[derive(Debug, Clone, Default)]
pub struct Expansion {
    /// In module order, then file order.
    pub resources: Vec<ResourceInstance>,
    /// Module instances: `module.net`, `module.net["a"].module.subnets[0]`.
    pub modules: Vec<String>,
    /// The root module's outputs.
    pub outputs: BTreeMap<String, Value>,
    /// Each with its file, relative to the root module's directory.
    pub diagnostics: Vec<(PathBuf, Diagnostic)>,
}

impl Expansion {
    /// As JSON: `resources` (address, module, mode, type, name, key,
    /// values, unknown and sensitive attribute names), `modules`,
    /// `outputs` and `diagnostics`. Sensitive values are left out (as
    /// `null`, their names listed); unknown ones are `null`.
    pub fn to_json(&self) -> serde_json::Value {
        let values = |m: &BTreeMap<String, Value>| {
            let mut values = serde_json::Map::new();
            let (mut unknown, mut sensitive) = (Vec::new(), Vec::new());
            for (k, v) in m {
                if v.has_sensitive() {
                    sensitive.push(k.clone());
                    values.insert(k.clone(), serde_json::Value::Null);
                    continue;
                }
                if !v.is_wholly_known() {
                    unknown.push(k.clone());
                }
                values.insert(k.clone(), v.to_json());
            }
            (values, unknown, sensitive)
        };
        let resources: Vec<serde_json::Value> = self
            .resources
            .iter()
            .map(|r| {
                let (v, unknown, sensitive) = values(&r.values);
                serde_json::json!({
                    "address": r.address,
                    "module": r.module,
                    "mode": r.mode,
                    "type": r.kind,
                    "name": r.name,
                    "key": r.key,
                    "values": v,
                    "unknown": unknown,
                    "sensitive": sensitive,
                    "file": r.file,
                    "line": r.span.start.line,
                })
            })
            .collect();
        let (outputs, unknown, sensitive) = values(&self.outputs);
        serde_json::json!({
            "resources": resources,
            "modules": self.modules,
            "outputs": outputs,
            "unknown_outputs": unknown,
            "sensitive_outputs": sensitive,
            "diagnostics": self.diagnostics.iter().map(|(file, d)| serde_json::json!({
                "file": file,
                "line": d.span.start.line,
                "column": d.span.start.column,
                "summary": d.summary,
                "message": d.message,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Expands the configuration rooted in `dir` with these inputs, as
/// `terraform plan` would: local module calls followed where they point,
/// others where `terraform init` installed them (a call that leads
/// nowhere has unknown outputs and no instances here). What only `apply`
/// knows is unknown; a `count` or `for_each` that is not known, or not
/// of a kind Terraform accepts, is a diagnostic (with Terraform's words)
/// and makes no instance.
pub fn expand_module(dir: impl AsRef<Path>, inputs: &Inputs) -> Result<Expansion> {
    let dir = dir.as_ref();
    let files = read_module(dir)?;
    let given = inputs.resolve(dir)?;
    let walk = Walk {
        root: dir,
        installed: installed(dir),
    };
    let mut out = Expansion::default();
    out.outputs = walk.instance(&files, Path::new(""), &given, "", "", 0, &mut out);
    Ok(out)
}

/// The root directory and where its calls were installed.
struct Walk<'r> {
    root: &'r Path,
    installed: HashMap<String, PathBuf>,
}

impl Walk<'_> {
    /// Expands one module instance (files already named from the root)
    /// into `out`, returning its outputs.
    #[allow(clippy::too_many_arguments)]
    fn instance(
        &self,
        files: &[SourceFile],
        rel: &Path,
        given: &BTreeMap<String, Given>,
        key: &str,
        prefix: &str,
        depth: usize,
        out: &mut Expansion,
    ) -> BTreeMap<String, Value> {
        let dir = self.root.join(rel);
        let reads_calls = files.iter().any(|f| f.text.contains("module."));
        let mut known_calls = BTreeMap::new();
        for round in 1.. {
            let values = evaluate_files_with(files, given, Some(&dir), &known_calls);
            let scope = Scope {
                variables: values.variables,
                locals: values.locals,
                path: path_values(&dir),
                calls: known_calls.clone(),
                module: true,
                ..Scope::default()
            };
            let mut this = Expansion::default();
            let next = self.calls(files, rel, &scope, key, prefix, depth, &mut this);
            let settled = !reads_calls || round >= MAX_ROUNDS || same(&next, &known_calls);
            if settled {
                // A module's own resources come before its calls', as
                // `terraform plan` lists them.
                let mut own = Expansion::default();
                resources(files, &scope, prefix, &mut own);
                out.diagnostics.extend(values.diagnostics);
                out.diagnostics.append(&mut own.diagnostics);
                out.diagnostics.append(&mut this.diagnostics);
                out.modules.append(&mut this.modules);
                out.resources.append(&mut own.resources);
                out.resources.append(&mut this.resources);
                return values.outputs;
            }
            known_calls = next;
        }
        unreachable!("the loop returns by round {MAX_ROUNDS}")
    }

    /// Expands the module calls of `files` into `out`, returning each
    /// call's value as `module.NAME` reads it.
    #[allow(clippy::too_many_arguments)]
    fn calls(
        &self,
        files: &[SourceFile],
        rel: &Path,
        scope: &Scope,
        key: &str,
        prefix: &str,
        depth: usize,
        out: &mut Expansion,
    ) -> BTreeMap<String, Value> {
        let mut values = BTreeMap::new();
        for (block, source) in calls(files) {
            let Some(name) = block.labels.first().map(|l| l.value.as_str()) else {
                continue;
            };
            let call_key = key_of(key, name);
            let file = file_of(files, block);
            let child = resolve(rel, &call_key, source.as_deref(), &self.installed)
                .filter(|_| depth < MAX_DEPTH)
                .and_then(|target| Some((self.read(&target)?, target)));
            let repeats = match repetition(&block.body, scope) {
                Ok(r) => r,
                Err(d) => {
                    out.diagnostics.push((file, d));
                    values.insert(name.to_string(), Value::unknown(Type::Dynamic));
                    continue;
                }
            };
            let Some((child_files, target)) = child else {
                values.insert(name.to_string(), Value::unknown(Type::Dynamic));
                continue;
            };
            let mut each = Vec::new();
            for (instance, bound) in repeats.instances {
                let mut given = BTreeMap::new();
                for a in block.body.attributes() {
                    if CALL_META.contains(&a.name.as_str()) {
                        continue;
                    }
                    let v = evaluate_bound(&a.expr, scope, bound.clone()).unwrap_or_else(|e| {
                        out.diagnostics.push((file.clone(), e.diagnostic()));
                        Value::unknown(Type::Dynamic)
                    });
                    given.insert(a.name.clone(), Given::Value(v));
                }
                let suffix = instance.as_ref().map(|k| k.to_string()).unwrap_or_default();
                let address = format!("{prefix}module.{name}{suffix}");
                out.modules.push(address.clone());
                let outputs = self.instance(
                    &child_files,
                    &target,
                    &given,
                    &call_key,
                    &format!("{address}."),
                    depth + 1,
                    out,
                );
                each.push((instance, Value::object(outputs)));
            }
            values.insert(name.to_string(), repeats.kind.collect(each));
        }
        values
    }

    /// A called module's files, named from the root; `None` when they
    /// cannot be read or do not parse (Terraform would stop there).
    fn read(&self, rel: &Path) -> Option<Vec<SourceFile>> {
        let shared = read_files_cached(&self.root.join(rel)).ok()?;
        if shared.iter().any(|f| f.parsed.has_errors()) {
            return None;
        }
        let mut files = shared.to_vec();
        for f in &mut files {
            f.path = rel.join(&f.path);
        }
        Some(files)
    }
}

/// A resource block's arguments that are not the resource's.
const RESOURCE_META: [&str; 4] = ["count", "for_each", "provider", "depends_on"];

/// Nested blocks that are Terraform's, not the resource's.
const META_BLOCKS: [&str; 3] = ["lifecycle", "provisioner", "connection"];

/// Every instance of every resource and data block of `files` into `out`.
fn resources(files: &[SourceFile], scope: &Scope, prefix: &str, out: &mut Expansion) {
    for f in files {
        for block in f.parsed.file.body.blocks() {
            let mode = match block.kind.as_str() {
                "resource" => Mode::Managed,
                "data" => Mode::Data,
                _ => continue,
            };
            let [kind, name] = block.label_values()[..] else {
                continue;
            };
            let repeats = match repetition(&block.body, scope) {
                Ok(r) => r,
                Err(d) => {
                    out.diagnostics.push((f.path.clone(), d));
                    continue;
                }
            };
            let data = if mode == Mode::Data { "data." } else { "" };
            for (key, bound) in repeats.instances {
                let suffix = key.as_ref().map(|k| k.to_string()).unwrap_or_default();
                let mut diagnostics = Vec::new();
                let values = body_values(&block.body, scope, &bound, &mut diagnostics);
                out.diagnostics
                    .extend(diagnostics.into_iter().map(|d| (f.path.clone(), d)));
                out.resources.push(ResourceInstance {
                    address: format!("{prefix}{data}{kind}.{name}{suffix}"),
                    module: prefix.trim_end_matches('.').to_string(),
                    mode,
                    kind: kind.to_string(),
                    name: name.to_string(),
                    key,
                    values,
                    file: f.path.clone(),
                    span: block.header_span(),
                });
            }
        }
    }
}

/// A body's arguments and nested blocks (each type a tuple of objects,
/// `dynamic` blocks expanded with their iterators) as evaluated.
fn body_values(
    body: &Body,
    scope: &Scope,
    bound: &[(String, Value)],
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for a in body.attributes() {
        if RESOURCE_META.contains(&a.name.as_str()) {
            continue;
        }
        let v = evaluate_bound(&a.expr, scope, bound.to_vec()).unwrap_or_else(|e| {
            diagnostics.push(e.diagnostic());
            Value::unknown(Type::Dynamic)
        });
        out.insert(a.name.clone(), v);
    }
    let mut blocks: BTreeMap<String, Option<Vec<Value>>> = BTreeMap::new();
    for b in body.blocks() {
        if META_BLOCKS.contains(&b.kind.as_str()) {
            continue;
        }
        if b.kind != "dynamic" {
            let v = Value::object(body_values(&b.body, scope, bound, diagnostics));
            if let Some(list) = blocks.entry(b.kind.clone()).or_insert(Some(Vec::new())) {
                list.push(v);
            }
            continue;
        }
        let [kind] = b.label_values()[..] else {
            continue;
        };
        let made = dynamic(b, kind, scope, bound, diagnostics);
        let entry = blocks.entry(kind.to_string()).or_insert(Some(Vec::new()));
        match (entry.as_mut(), made) {
            (Some(list), Some(made)) => list.extend(made),
            // One block of unknown number makes the whole type unknown.
            _ => *entry = None,
        }
    }
    for (kind, list) in blocks {
        let v = list.map_or_else(|| Value::unknown(Type::Dynamic), Value::tuple);
        out.insert(kind, v);
    }
    out
}

/// The blocks a `dynamic "kind"` block makes: one per element of its
/// `for_each`, its iterator (the label, or `iterator = name`) bound to
/// `{key, value}`; `None` when `for_each` is not known.
fn dynamic(
    block: &Block,
    kind: &str,
    scope: &Scope,
    bound: &[(String, Value)],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<Value>> {
    let content = block.body.blocks_of("content").next()?;
    let for_each = block.body.attribute("for_each")?;
    let iterator = match block.body.attribute("iterator").map(|a| &a.expr.kind) {
        Some(ExprKind::Variable { name }) => name.clone(),
        _ => kind.to_string(),
    };
    let collection = match evaluate_bound(&for_each.expr, scope, bound.to_vec()) {
        Ok(v) => v,
        Err(e) => {
            diagnostics.push(e.diagnostic());
            return None;
        }
    };
    let pairs = iterate(&collection)?;
    let mut out = Vec::new();
    for (key, value) in pairs {
        let mut inner = bound.to_vec();
        inner.push((
            iterator.clone(),
            Value::object(BTreeMap::from([
                ("key".to_string(), key),
                ("value".to_string(), value),
            ])),
        ));
        out.push(Value::object(body_values(
            &content.body,
            scope,
            &inner,
            diagnostics,
        )));
    }
    Some(out)
}

/// How a block repeats, and the instances it makes, each with its key
/// and the names it binds (`each`, `count`).
struct Repetition {
    kind: Repeat,
    instances: Vec<(Option<InstanceKey>, Bindings)>,
}

/// Names bound ahead of a scope's own, innermost last.
type Bindings = Vec<(String, Value)>;

#[derive(Clone, Copy)]
enum Repeat {
    Once,
    Count,
    Each,
}

impl Repeat {
    /// A module call's value from its instances' outputs: an object, a
    /// tuple of them (`count`), or an object of them by key (`for_each`).
    fn collect(self, each: Vec<(Option<InstanceKey>, Value)>) -> Value {
        match self {
            Repeat::Once => each
                .into_iter()
                .next()
                .map_or_else(|| Value::unknown(Type::Dynamic), |(_, v)| v),
            Repeat::Count => Value::tuple(each.into_iter().map(|(_, v)| v).collect()),
            Repeat::Each => Value::object(
                each.into_iter()
                    .filter_map(|(k, v)| match k? {
                        InstanceKey::String(s) => Some((s, v)),
                        InstanceKey::Int(_) => None,
                    })
                    .collect(),
            ),
        }
    }
}

/// The most instances one `count` or `for_each` makes here. Terraform
/// makes any number, but `count = 1000000` in a configuration a model
/// wrote must not exhaust the process expanding it: past this, expansion
/// reports "Too many instances" and makes none, and validation judges the
/// block once, as written.
pub const MAX_INSTANCES: usize = 10_000;

/// The "Too many instances" diagnostic at `span` for `n` instances.
fn too_many(n: impl std::fmt::Display, span: Span) -> Diagnostic {
    eval_diag(
        "Too many instances",
        &format!("This block makes {n} instances, more than infrarag expands ({MAX_INSTANCES}); it has none here."),
        span,
    )
}

/// The instances `count` or `for_each` make, with Terraform's errors for
/// values it refuses.
fn repetition(body: &Body, scope: &Scope) -> std::result::Result<Repetition, Diagnostic> {
    if let Some(a) = body.attribute("for_each") {
        let fail =
            |detail: String| Err(eval_diag("Invalid for_each argument", &detail, a.expr.span));
        let v = evaluate_bound(&a.expr, scope, Vec::new()).map_err(|e| e.diagnostic())?;
        if v.is_null() {
            return fail("The given \"for_each\" argument value is unsuitable: the given \"for_each\" argument value is null. A map, or set of strings is allowed.".into());
        }
        if v.has_sensitive() {
            return fail("Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments. If used, the sensitive value could be exposed as a resource instance key.".into());
        }
        let unknown = match &v.kind {
            Kind::Map(_, m) | Kind::Object(m) => m.is_empty() && v.is_unknown(),
            Kind::Set(_, items) => items.iter().any(Value::is_unknown),
            _ => v.is_unknown(),
        };
        if unknown {
            return fail("The \"for_each\" set includes values derived from resource attributes that cannot be determined until apply, and so Terraform cannot determine the full set of keys that will identify the instances of this resource.".into());
        }
        let each = |k: String, value: Value| {
            let binding = Value::object(BTreeMap::from([
                ("key".to_string(), Value::string(k.clone())),
                ("value".to_string(), value),
            ]));
            (
                Some(InstanceKey::String(k)),
                vec![("each".to_string(), binding)],
            )
        };
        let instances = match &v.kind {
            Kind::Map(_, m) | Kind::Object(m) => {
                m.iter().map(|(k, x)| each(k.clone(), x.clone())).collect()
            }
            Kind::Set(_, items) if items.is_empty() => Vec::new(),
            Kind::Set(element, items) => {
                if *element != Type::String {
                    return Err(eval_diag(
                        "Invalid for_each set argument",
                        &format!("The given \"for_each\" argument value is unsuitable: \"for_each\" supports maps and sets of strings, but you have provided a set containing type {}.", element.friendly()),
                        a.expr.span,
                    ));
                }
                let mut out = Vec::new();
                for x in items {
                    match x.as_str() {
                        Some(s) => out.push(each(s.to_string(), x.clone())),
                        None => return fail("The given \"for_each\" argument value is unsuitable: \"for_each\" sets must not contain null values.".into()),
                    }
                }
                out
            }
            _ => {
                return fail(format!(
                    "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}.",
                    v.ty().friendly()
                ))
            }
        };
        if instances.len() > MAX_INSTANCES {
            return Err(too_many(instances.len(), a.expr.span));
        }
        return Ok(Repetition {
            kind: Repeat::Each,
            instances,
        });
    }
    if let Some(a) = body.attribute("count") {
        let fail = |detail: &str| Err(eval_diag("Invalid count argument", detail, a.expr.span));
        let v = evaluate_bound(&a.expr, scope, Vec::new()).map_err(|e| e.diagnostic())?;
        if v.is_null() {
            return fail("The given \"count\" argument value is null. An integer is required.");
        }
        if v.is_unknown() {
            return fail("The \"count\" value depends on resource attributes that cannot be determined until apply, so Terraform cannot predict how many instances will be created.");
        }
        let Ok(n) = convert(&v, &Type::Number) else {
            return Err(eval_diag(
                "Incorrect value type",
                "Invalid expression value: a number is required.",
                a.expr.span,
            ));
        };
        let Some(n) = n.as_number().and_then(|n| n.to_i64()) else {
            return fail("The given \"count\" argument value is unsuitable: value must be a whole number, between -9223372036854775808 and 9223372036854775807.");
        };
        if n < 0 {
            return fail("The given \"count\" argument value is unsuitable: must be greater than or equal to zero.");
        }
        if n as u64 > MAX_INSTANCES as u64 {
            return Err(too_many(n, a.expr.span));
        }
        let instances = (0..n)
            .map(|i| {
                let binding = Value::object(BTreeMap::from([("index".to_string(), Value::int(i))]));
                (
                    Some(InstanceKey::Int(i)),
                    vec![("count".to_string(), binding)],
                )
            })
            .collect();
        return Ok(Repetition {
            kind: Repeat::Count,
            instances,
        });
    }
    Ok(Repetition {
        kind: Repeat::Once,
        instances: vec![(None, Vec::new())],
    })
}

/// The file of `files` that holds `block`.
fn file_of(files: &[SourceFile], block: &Block) -> PathBuf {
    files
        .iter()
        .find(|f| f.parsed.file.body.blocks().any(|b| std::ptr::eq(b, block)))
        .map(|f| f.path.clone())
        .unwrap_or_default()
}

/// Whether two sets of call values print alike (nothing changed between
/// two rounds).
fn same(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && format::console(va) == format::console(vb))
}
