//! Security policies with checkov's ids and semantics: each check judges
//! the resources of its types PASSED, FAILED or UNKNOWN, as checkov does.
//!
//! Values are evaluated as Terraform evaluates them (through
//! [`terraform::eval`](crate::terraform::eval)); one that is not known is a
//! reference, and a check that needs it answers UNKNOWN. A resource whose `count` or `for_each` is known is judged per
//! instance (`name[0]`, `name["key"]`); `count = 0` makes none.

mod checks;
mod custom;
mod graph;
pub(crate) mod iam;
pub(crate) mod modules;
pub(crate) mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::hcl::{Body, ExprKind, Expression, ObjectItem, Span};
use crate::terraform::eval::{Given, Value as Evaluated};
use crate::terraform::{constant_value, literal_key, Module, SourceFile};

pub use custom::CustomPolicy;
use graph::Graph;
use values::{Scope, Values};

/// What a check concluded about one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// The resource meets the check.
    Passed,
    /// The resource fails the check.
    Failed,
    /// The check cannot tell (a value is a reference); checkov does not
    /// report these.
    Unknown,
    /// A `#checkov:skip=` or `# infrarag:ignore` comment in the resource
    /// names the check.
    Skipped,
}

/// One check's conclusion about one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// `CKV_AWS_16`, or a custom policy's id.
    pub check: String,
    /// The check's title.
    pub title: String,
    /// `aws_db_instance.main`, as checkov names it (data sources too carry
    /// no `data.` prefix).
    pub address: String,
    /// What the check concluded.
    pub outcome: Outcome,
    /// The resource's file, relative to the module directory.
    pub file: PathBuf,
    /// The resource's header.
    pub span: Span,
}

/// A check: an id, a title, the resource types it reads, and its verdict
/// on one resource.
pub(crate) struct Check {
    pub id: &'static str,
    pub title: &'static str,
    /// `resource`, `data` or `provider` blocks.
    pub block: &'static str,
    /// The block types judged; a `resource` check also judges the data
    /// sources it lists as `data.TYPE`, as checkov lists them.
    pub types: &'static [&'static str],
    pub judge: fn(&Resource<'_>) -> Outcome,
}

/// The ids of every built-in check, in id order.
pub fn check_ids() -> Vec<&'static str> {
    builtin_ids().to_vec()
}

/// [`check_ids`], sorted once and kept: a validation that names checks
/// looks its names up here on every call.
pub(crate) fn builtin_ids() -> &'static [&'static str] {
    static IDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| {
        let mut ids: Vec<&'static str> = checks::all()
            .map(|c| c.id)
            .chain(graph_check_ids())
            .collect();
        ids.sort_unstable();
        ids
    })
}

/// The ids of the graph checks, from their file names (a unit test holds
/// each to its `metadata.id`), without reading the YAML: a validation
/// that selects none of them never parses it.
fn graph_check_ids() -> impl Iterator<Item = &'static str> {
    GRAPH_CHECKS
        .iter()
        .map(|(name, _)| name.strip_suffix(".yaml").unwrap_or(name))
}

/// What one built-in security check is: its checkov id and title, where it
/// applies, and how checkov classifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckInfo {
    /// `CKV_AWS_16`.
    pub id: &'static str,
    /// checkov's title.
    pub title: &'static str,
    /// `aws`, `azure` or `gcp`.
    pub provider: &'static str,
    /// What the check reads, as checkov files it: `resource`, `data`,
    /// `provider` (a provider block's settings) or `graph` (resources and
    /// their connections).
    pub kind: &'static str,
    /// The types it judges; for a graph check, every type it names.
    pub resource_types: Vec<&'static str>,
    /// checkov's categories: `ENCRYPTION`, `NETWORKING`, `IAM`, ...
    pub categories: Vec<&'static str>,
    /// checkov's severity, where it has one offline (`MEDIUM`): only one
    /// of its 919 aws, azure and gcp checks does.
    pub severity: Option<&'static str>,
}

/// Every built-in security check, in id order.
pub fn checks() -> Vec<CheckInfo> {
    let info = |id: &'static str, title: &'static str, resource_types: Vec<&'static str>| {
        let row = catalog().get(id);
        CheckInfo {
            id,
            title,
            provider: provider_of(id).unwrap_or_default(),
            kind: row.map_or("resource", |r| r.kind),
            resource_types,
            categories: row.map(|r| r.categories.clone()).unwrap_or_default(),
            severity: row.and_then(|r| r.severity),
        }
    };
    let mut out: Vec<CheckInfo> = checks::all()
        .map(|c| {
            let types = checks::listed_types(c.id).unwrap_or(c.types);
            info(c.id, c.title, types.to_vec())
        })
        .chain(graph_checks().map(|p| info(&p.id, &p.title, p.resource_types())))
        .collect();
    out.sort_unstable_by_key(|c| c.id);
    out
}

/// The provider a check id names: `CKV_AWS_3` and `CKV2_AWS_6` are aws's.
fn provider_of(id: &str) -> Option<&'static str> {
    match id.split('_').nth(1)? {
        "AWS" => Some("aws"),
        "AZURE" => Some("azure"),
        "GCP" => Some("gcp"),
        _ => None,
    }
}

/// One line of `checkov_catalog.txt`.
struct CatalogRow {
    kind: &'static str,
    categories: Vec<&'static str>,
    severity: Option<&'static str>,
}

/// checkov 3.3.13's classification of its aws, azure and gcp checks, by
/// id, as `tests/oracles/checkov_catalog.py` wrote it from checkov's
/// registries.
fn catalog() -> &'static std::collections::HashMap<&'static str, CatalogRow> {
    static CATALOG: std::sync::OnceLock<std::collections::HashMap<&'static str, CatalogRow>> =
        std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        include_str!("checkov_catalog.txt")
            .lines()
            .filter_map(|line| {
                let mut f = line.split(' ');
                let (id, kind, categories, severity) = (f.next()?, f.next()?, f.next()?, f.next()?);
                let row = CatalogRow {
                    kind,
                    categories: categories.split(',').collect(),
                    severity: (severity != "-").then_some(severity),
                };
                Some((id, row))
            })
            .collect()
    })
}

/// checkov's severities, lowest first.
const SEVERITIES: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// Whether `name` is a group of built-in checks that holds `code`: a
/// provider (`aws`, `azure`, `gcp`), a category of checkov's (`ENCRYPTION`,
/// any case), or a severity (`HIGH`: that one or worse, as checkov's
/// `--check HIGH` selects). Custom policies belong to no group.
pub(crate) fn in_group(name: &str, code: &str) -> bool {
    if !may_be_group(name) {
        return false;
    }
    if let Some(p) = ["aws", "azure", "gcp"].into_iter().find(|p| name == *p) {
        return provider_of(code) == Some(p) && is_builtin(code);
    }
    if let Some(floor) = SEVERITIES.iter().position(|s| name.eq_ignore_ascii_case(s)) {
        let rank = |s: &str| SEVERITIES.iter().position(|x| *x == s);
        return catalog()
            .get(code)
            .and_then(|r| r.severity)
            .and_then(rank)
            .is_some_and(|r| r >= floor)
            && is_builtin(code);
    }
    catalog()
        .get(code)
        .is_some_and(|r| r.categories.iter().any(|c| c.eq_ignore_ascii_case(name)))
        && is_builtin(code)
}

/// Whether `name` has the form of a group's name: a word. A code or a
/// prefix (digits, `.`, a trailing `_`) never names a group.
pub(crate) fn may_be_group(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') && !name.ends_with('_')
}

/// Whether `code` is a built-in check's id.
fn is_builtin(code: &str) -> bool {
    builtin_ids().binary_search(&code).is_ok()
}

/// checkov's graph checks, written in its custom-policy YAML as checkov
/// writes them, from `graph_checks/`.
fn graph_checks() -> impl Iterator<Item = &'static CustomPolicy> {
    (0..GRAPH_CHECKS.len()).filter_map(graph_check)
}

/// The graph check of `GRAPH_CHECKS[i]`, its YAML read the first time it
/// is asked for: a validation that selects one check reads that one only.
fn graph_check(i: usize) -> Option<&'static CustomPolicy> {
    type Cells = Vec<std::sync::OnceLock<Option<CustomPolicy>>>;
    static PARSED: std::sync::OnceLock<Cells> = std::sync::OnceLock::new();
    let cells = PARSED.get_or_init(|| GRAPH_CHECKS.iter().map(|_| Default::default()).collect());
    cells[i]
        .get_or_init(|| {
            let (name, text) = GRAPH_CHECKS[i];
            CustomPolicy::from_yaml(text, name).ok()
        })
        .as_ref()
}

/// Every file of `graph_checks/`; a unit test requires each to load.
const GRAPH_CHECKS: &[(&str, &str)] = &[
    (
        "CKV2_AWS_1.yaml",
        include_str!("graph_checks/CKV2_AWS_1.yaml"),
    ),
    (
        "CKV2_AWS_10.yaml",
        include_str!("graph_checks/CKV2_AWS_10.yaml"),
    ),
    (
        "CKV2_AWS_11.yaml",
        include_str!("graph_checks/CKV2_AWS_11.yaml"),
    ),
    (
        "CKV2_AWS_12.yaml",
        include_str!("graph_checks/CKV2_AWS_12.yaml"),
    ),
    (
        "CKV2_AWS_14.yaml",
        include_str!("graph_checks/CKV2_AWS_14.yaml"),
    ),
    (
        "CKV2_AWS_16.yaml",
        include_str!("graph_checks/CKV2_AWS_16.yaml"),
    ),
    (
        "CKV2_AWS_18.yaml",
        include_str!("graph_checks/CKV2_AWS_18.yaml"),
    ),
    (
        "CKV2_AWS_19.yaml",
        include_str!("graph_checks/CKV2_AWS_19.yaml"),
    ),
    (
        "CKV2_AWS_2.yaml",
        include_str!("graph_checks/CKV2_AWS_2.yaml"),
    ),
    (
        "CKV2_AWS_20.yaml",
        include_str!("graph_checks/CKV2_AWS_20.yaml"),
    ),
    (
        "CKV2_AWS_21.yaml",
        include_str!("graph_checks/CKV2_AWS_21.yaml"),
    ),
    (
        "CKV2_AWS_22.yaml",
        include_str!("graph_checks/CKV2_AWS_22.yaml"),
    ),
    (
        "CKV2_AWS_28.yaml",
        include_str!("graph_checks/CKV2_AWS_28.yaml"),
    ),
    (
        "CKV2_AWS_29.yaml",
        include_str!("graph_checks/CKV2_AWS_29.yaml"),
    ),
    (
        "CKV2_AWS_3.yaml",
        include_str!("graph_checks/CKV2_AWS_3.yaml"),
    ),
    (
        "CKV2_AWS_31.yaml",
        include_str!("graph_checks/CKV2_AWS_31.yaml"),
    ),
    (
        "CKV2_AWS_32.yaml",
        include_str!("graph_checks/CKV2_AWS_32.yaml"),
    ),
    (
        "CKV2_AWS_33.yaml",
        include_str!("graph_checks/CKV2_AWS_33.yaml"),
    ),
    (
        "CKV2_AWS_37.yaml",
        include_str!("graph_checks/CKV2_AWS_37.yaml"),
    ),
    (
        "CKV2_AWS_38.yaml",
        include_str!("graph_checks/CKV2_AWS_38.yaml"),
    ),
    (
        "CKV2_AWS_39.yaml",
        include_str!("graph_checks/CKV2_AWS_39.yaml"),
    ),
    (
        "CKV2_AWS_45.yaml",
        include_str!("graph_checks/CKV2_AWS_45.yaml"),
    ),
    (
        "CKV2_AWS_5.yaml",
        include_str!("graph_checks/CKV2_AWS_5.yaml"),
    ),
    (
        "CKV2_AWS_51.yaml",
        include_str!("graph_checks/CKV2_AWS_51.yaml"),
    ),
    (
        "CKV2_AWS_57.yaml",
        include_str!("graph_checks/CKV2_AWS_57.yaml"),
    ),
    (
        "CKV2_AWS_6.yaml",
        include_str!("graph_checks/CKV2_AWS_6.yaml"),
    ),
    (
        "CKV2_AWS_61.yaml",
        include_str!("graph_checks/CKV2_AWS_61.yaml"),
    ),
    (
        "CKV2_AWS_62.yaml",
        include_str!("graph_checks/CKV2_AWS_62.yaml"),
    ),
    (
        "CKV2_AWS_63.yaml",
        include_str!("graph_checks/CKV2_AWS_63.yaml"),
    ),
    (
        "CKV2_AWS_64.yaml",
        include_str!("graph_checks/CKV2_AWS_64.yaml"),
    ),
    (
        "CKV2_AWS_8.yaml",
        include_str!("graph_checks/CKV2_AWS_8.yaml"),
    ),
    (
        "CKV2_AWS_9.yaml",
        include_str!("graph_checks/CKV2_AWS_9.yaml"),
    ),
    (
        "CKV2_AZURE_1.yaml",
        include_str!("graph_checks/CKV2_AZURE_1.yaml"),
    ),
    (
        "CKV2_AZURE_11.yaml",
        include_str!("graph_checks/CKV2_AZURE_11.yaml"),
    ),
    (
        "CKV2_AZURE_12.yaml",
        include_str!("graph_checks/CKV2_AZURE_12.yaml"),
    ),
    (
        "CKV2_AZURE_14.yaml",
        include_str!("graph_checks/CKV2_AZURE_14.yaml"),
    ),
    (
        "CKV2_AZURE_15.yaml",
        include_str!("graph_checks/CKV2_AZURE_15.yaml"),
    ),
    (
        "CKV2_AZURE_16.yaml",
        include_str!("graph_checks/CKV2_AZURE_16.yaml"),
    ),
    (
        "CKV2_AZURE_19.yaml",
        include_str!("graph_checks/CKV2_AZURE_19.yaml"),
    ),
    (
        "CKV2_AZURE_22.yaml",
        include_str!("graph_checks/CKV2_AZURE_22.yaml"),
    ),
    (
        "CKV2_AZURE_32.yaml",
        include_str!("graph_checks/CKV2_AZURE_32.yaml"),
    ),
    (
        "CKV2_AZURE_33.yaml",
        include_str!("graph_checks/CKV2_AZURE_33.yaml"),
    ),
    (
        "CKV2_AZURE_42.yaml",
        include_str!("graph_checks/CKV2_AZURE_42.yaml"),
    ),
    (
        "CKV2_AZURE_43.yaml",
        include_str!("graph_checks/CKV2_AZURE_43.yaml"),
    ),
    (
        "CKV2_AZURE_44.yaml",
        include_str!("graph_checks/CKV2_AZURE_44.yaml"),
    ),
    (
        "CKV2_AZURE_45.yaml",
        include_str!("graph_checks/CKV2_AZURE_45.yaml"),
    ),
    (
        "CKV2_AZURE_53.yaml",
        include_str!("graph_checks/CKV2_AZURE_53.yaml"),
    ),
    (
        "CKV2_AZURE_56.yaml",
        include_str!("graph_checks/CKV2_AZURE_56.yaml"),
    ),
    (
        "CKV2_AZURE_57.yaml",
        include_str!("graph_checks/CKV2_AZURE_57.yaml"),
    ),
    (
        "CKV2_AZURE_6.yaml",
        include_str!("graph_checks/CKV2_AZURE_6.yaml"),
    ),
    (
        "CKV2_AZURE_7.yaml",
        include_str!("graph_checks/CKV2_AZURE_7.yaml"),
    ),
    (
        "CKV2_GCP_1.yaml",
        include_str!("graph_checks/CKV2_GCP_1.yaml"),
    ),
    (
        "CKV2_GCP_18.yaml",
        include_str!("graph_checks/CKV2_GCP_18.yaml"),
    ),
    (
        "CKV2_GCP_8.yaml",
        include_str!("graph_checks/CKV2_GCP_8.yaml"),
    ),
    (
        "CKV_AWS_103.yaml",
        include_str!("graph_checks/CKV_AWS_103.yaml"),
    ),
    (
        "CKV_AWS_144.yaml",
        include_str!("graph_checks/CKV_AWS_144.yaml"),
    ),
    (
        "CKV_AWS_145.yaml",
        include_str!("graph_checks/CKV_AWS_145.yaml"),
    ),
    (
        "CKV_AWS_18.yaml",
        include_str!("graph_checks/CKV_AWS_18.yaml"),
    ),
    (
        "CKV_AWS_19.yaml",
        include_str!("graph_checks/CKV_AWS_19.yaml"),
    ),
    (
        "CKV_AWS_20.yaml",
        include_str!("graph_checks/CKV_AWS_20.yaml"),
    ),
    (
        "CKV_AWS_21.yaml",
        include_str!("graph_checks/CKV_AWS_21.yaml"),
    ),
    (
        "CKV_AWS_378.yaml",
        include_str!("graph_checks/CKV_AWS_378.yaml"),
    ),
    (
        "CKV_AWS_57.yaml",
        include_str!("graph_checks/CKV_AWS_57.yaml"),
    ),
    (
        "CKV_AZURE_23.yaml",
        include_str!("graph_checks/CKV_AZURE_23.yaml"),
    ),
    (
        "CKV_AZURE_24.yaml",
        include_str!("graph_checks/CKV_AZURE_24.yaml"),
    ),
];

/// A resource as a check sees it: its type, its body (or, for a nested
/// object written as an attribute, that object's value), and the scope to
/// read values in.
pub(crate) struct Resource<'a> {
    pub kind: &'a str,
    source: Source<'a>,
    scope: Scope<'a>,
    /// The iterators of the `dynamic` blocks this one was made by, each
    /// bound to `{key, value}`.
    iterators: Vec<(String, Evaluated)>,
    /// The graph node of the resource this is (or is a block of), for
    /// checks that follow its connections; none for a provider.
    linked: Option<(&'a Graph<'a>, usize)>,
}

/// Where a resource's, or a nested block's, contents come from: checkov
/// reads `x { ... }` and `x = { ... }` alike.
enum Source<'a> {
    Body(&'a Body),
    /// An object constructor, its values rendered as they are read.
    Items(&'a [ObjectItem]),
    Object(Value),
}

/// A value read from a resource: rendered to a constant, or a reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Read {
    Missing,
    Constant(Value),
    Reference,
}

impl Read {
    /// True for `true` and, as checkov compares, `"true"` in any case.
    pub fn is_true(&self) -> bool {
        match self {
            Read::Constant(Value::Bool(b)) => *b,
            Read::Constant(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    pub fn is_false(&self) -> bool {
        match self {
            Read::Constant(Value::Bool(b)) => !*b,
            Read::Constant(Value::String(s)) => s.eq_ignore_ascii_case("false"),
            _ => false,
        }
    }

    /// Set to something: not missing, not null, not an empty string (a
    /// reference counts, since it will hold a value).
    pub fn is_given(&self) -> bool {
        match self {
            Read::Missing | Read::Constant(Value::Null) => false,
            Read::Constant(Value::String(s)) => !s.is_empty(),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Read::Constant(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

impl<'a> Resource<'a> {
    /// The value at a dotted path (`vpc_config.endpoint_public_access`),
    /// through the first block or object of each name.
    pub fn get(&self, path: &str) -> Read {
        let (first, rest) = match path.split_once('.') {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        match (&self.source, rest) {
            (Source::Body(body), None) => match body.attribute(first) {
                Some(a) => self.render(&a.expr),
                None => Read::Missing,
            },
            (Source::Items(items), None) => {
                item(items, first).map_or(Read::Missing, |i| self.render(&i.value))
            }
            (Source::Object(v), None) => match v.get(first) {
                Some(x) => Read::Constant(x.clone()),
                None => Read::Missing,
            },
            (_, Some(rest)) => match self.blocks(first).into_iter().next() {
                Some(inner) => inner.get(rest),
                None if self.get(first) == Read::Reference => Read::Reference,
                None => Read::Missing,
            },
        }
    }

    /// A policy document argument, with unknown parts as `${...}` text
    /// (see [`Scope::read_document`]).
    pub fn document(&self, name: &str) -> Read {
        match &self.source {
            Source::Body(body) => body
                .attribute(name)
                .map_or(Read::Missing, |a| self.scope.read_document(&a.expr)),
            _ => self.get(name),
        }
    }

    /// Every block named `name` here, as resources to read from: written
    /// blocks, `dynamic` blocks' contents, and objects (or lists of them)
    /// assigned to `name`.
    pub fn blocks(&self, name: &str) -> Vec<Resource<'a>> {
        match &self.source {
            Source::Body(body) => {
                let mut out: Vec<Resource<'a>> = body
                    .blocks()
                    .filter_map(|b| {
                        if b.kind == name {
                            Some(vec![self.nested(Source::Body(&b.body))])
                        } else if b.kind == "dynamic" && b.label_values() == [name] {
                            Some(self.dynamic(b, name))
                        } else {
                            None
                        }
                    })
                    .flatten()
                    .collect();
                if let Some(a) = body.attribute(name) {
                    out.extend(self.assigned(&a.expr));
                }
                out
            }
            Source::Items(items) => item(items, name)
                .map(|i| self.assigned(&i.value))
                .unwrap_or_default(),
            Source::Object(v) => v
                .get(name)
                .map(|v| self.objects(v.clone()))
                .unwrap_or_default(),
        }
    }

    /// This resource itself, as one of a list of rules to read.
    pub fn nested_self(&self) -> Resource<'a> {
        let source = match &self.source {
            Source::Body(b) => Source::Body(b),
            Source::Items(i) => Source::Items(i),
            Source::Object(v) => Source::Object(v.clone()),
        };
        self.nested(source)
    }

    /// A block inside this one, read with the same type and values.
    fn nested(&self, source: Source<'a>) -> Resource<'a> {
        Resource {
            kind: self.kind,
            source,
            scope: self.scope,
            iterators: self.iterators.clone(),
            linked: self.linked,
        }
    }

    /// The blocks a `dynamic "name"` block makes, as Terraform makes them:
    /// one per element of a known `for_each`, its iterator bound to the
    /// element's `key` and `value`; none for an empty one. An unknown
    /// `for_each` leaves the content as written, its iterator unknown.
    fn dynamic(&self, block: &'a crate::hcl::Block, name: &str) -> Vec<Resource<'a>> {
        let Some(content) = block.body.blocks_of("content").next() else {
            return Vec::new();
        };
        let written = || vec![self.nested(Source::Body(&content.body))];
        let Some(for_each) = block.body.attribute("for_each") else {
            return written();
        };
        let iterator = match block.body.attribute("iterator").map(|a| &a.expr.kind) {
            Some(ExprKind::Variable { name }) => name.clone(),
            _ => name.to_string(),
        };
        let Some(elements) = self
            .scope
            .value_with(&for_each.expr, &self.iterators)
            .as_ref()
            .and_then(crate::terraform::eval::iterate)
        else {
            return written();
        };
        elements
            .into_iter()
            .map(|(key, value)| {
                let mut each = self.nested(Source::Body(&content.body));
                let element = Evaluated::object(BTreeMap::from([
                    ("key".to_string(), key),
                    ("value".to_string(), value),
                ]));
                each.iterators.push((iterator.clone(), element));
                each
            })
            .collect()
    }

    /// A constant object, or the objects of a constant list, as blocks.
    fn objects(&self, v: Value) -> Vec<Resource<'a>> {
        match v {
            Value::Object(_) => vec![self.nested(Source::Object(v))],
            Value::Array(items) => items
                .into_iter()
                .filter(Value::is_object)
                .map(|o| self.nested(Source::Object(o)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The objects an attribute assigns: an object constructor (or a
    /// tuple of them) read lazily, or a constant object or list.
    fn assigned(&self, e: &'a Expression) -> Vec<Resource<'a>> {
        match &e.kind {
            ExprKind::Object { items } => vec![self.nested(Source::Items(items))],
            ExprKind::Tuple { items }
                if items
                    .iter()
                    .all(|i| matches!(i.kind, ExprKind::Object { .. })) =>
            {
                items
                    .iter()
                    .filter_map(|i| match &i.kind {
                        ExprKind::Object { items } => Some(self.nested(Source::Items(items))),
                        _ => None,
                    })
                    .collect()
            }
            _ => match self.render(e) {
                Read::Constant(v) => self.objects(v),
                _ => Vec::new(),
            },
        }
    }

    /// Whether a block (or object) of this dotted path exists.
    pub fn has_block(&self, path: &str) -> bool {
        match path.split_once('.') {
            None => !self.blocks(path).is_empty(),
            Some((first, rest)) => self.blocks(first).iter().any(|b| b.has_block(rest)),
        }
    }

    /// Whether this is written as a block (`x { ... }`), not as an object
    /// value (`x = { ... }`).
    pub fn is_block(&self) -> bool {
        matches!(self.source, Source::Body(_))
    }

    /// Whether this block has nothing in it.
    pub fn is_empty(&self) -> bool {
        match &self.source {
            Source::Body(b) => b.attributes().next().is_none() && b.blocks().next().is_none(),
            Source::Items(items) => items.is_empty(),
            Source::Object(v) => v.as_object().is_none_or(|o| o.is_empty()),
        }
    }

    /// The resources and data sources of one of `kinds` connected to the
    /// resource this is (either refers to the other), as checkov's graph
    /// checks connect them.
    pub fn connected(&self, kinds: &[&str]) -> Vec<Resource<'a>> {
        let Some((graph, node)) = self.linked else {
            return Vec::new();
        };
        graph
            .neighbours(node)
            .iter()
            .filter(|&&n| kinds.contains(&graph.nodes[n].kind))
            .map(|&n| graph.resource(n))
            .collect()
    }

    /// The resources of `kinds` whose argument `name` names what this
    /// one's does: the same resource (`bucket = aws_s3_bucket.b.id`), or
    /// the same text up to its last `.`. checkov matches an S3 bucket's
    /// settings to each other this way, by text, whether or not the bucket
    /// is declared.
    pub fn sharing(&self, name: &str, kinds: &[&str]) -> Vec<Resource<'a>> {
        let Some((graph, node)) = self.linked else {
            return Vec::new();
        };
        let Some(mine) = graph.resource(node).subject(name) else {
            return Vec::new();
        };
        (0..graph.nodes.len())
            .filter(|&n| n != node && kinds.contains(&graph.nodes[n].kind))
            .map(|n| graph.resource(n))
            .filter(|r| r.subject(name).as_ref() == Some(&mine))
            .collect()
    }

    /// What argument `name` names, for [`sharing`](Self::sharing): the
    /// resource or data source it refers to, or its text.
    fn subject(&self, name: &str) -> Option<String> {
        let Source::Body(body) = &self.source else {
            return None;
        };
        let expr = &body.attribute(name)?.expr;
        match self.render(expr) {
            Read::Constant(Value::String(s)) => Some(
                s.rsplit_once('.')
                    .map_or(s.as_str(), |(head, _)| head)
                    .to_string(),
            ),
            Read::Reference => match crate::terraform::references::in_expression(expr).as_slice() {
                [r] if matches!(
                    r.kind,
                    crate::terraform::ReferenceKind::Resource
                        | crate::terraform::ReferenceKind::Data
                ) =>
                {
                    Some(r.subject.clone())
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the node this is part of is a data source.
    pub fn is_data(&self) -> bool {
        self.linked
            .is_some_and(|(graph, node)| graph.nodes[node].block.kind == "data")
    }

    fn render(&self, e: &Expression) -> Read {
        self.scope.read_with(e, &self.iterators)
    }
}

/// The item of an object constructor whose literal key is `name`.
fn item<'e>(items: &'e [ObjectItem], name: &str) -> Option<&'e ObjectItem> {
    items
        .iter()
        .find(|i| literal_key(&i.key).as_deref() == Some(name))
}

/// Runs the checks `select` accepts, built-in and `custom`, over every
/// resource (each `for_each` or `count` instance apart), data source and
/// provider of `files`, and over each instance of the local modules they
/// call (`callees`, from [`modules::load`]). Without `expand`, a block
/// with `count` or `for_each` is judged once, as written.
pub(crate) fn scan(
    files: &[SourceFile],
    module: &Module,
    callees: &[modules::Callee],
    given: &BTreeMap<String, Given>,
    custom: &[CustomPolicy],
    expand: bool,
    select: impl Fn(&str) -> bool,
) -> Vec<Evaluation> {
    let values = Values::new(files, given, expand);
    let called = modules::instances(files, &values, callees);
    let mut graph = Graph::default();
    graph.add("", files, module, &values);
    for i in &called {
        graph.add(&i.prefix, &i.callee.files, &i.callee.module, &i.values);
    }
    let instances: Vec<(&str, &Module)> = std::iter::once(("", module))
        .chain(called.iter().map(|i| (i.prefix.as_str(), &i.callee.module)))
        .collect();
    graph.link_outputs(&instances);
    let checks: Vec<&Check> = checks::all().filter(|c| select(c.id)).collect();
    let mut out = Vec::new();
    let mut report = |id: &str, title: &str, address: &str, outcome, file: &Path, block| {
        out.push(Evaluation {
            check: id.to_string(),
            title: title.to_string(),
            address: address.to_string(),
            outcome,
            file: file.to_path_buf(),
            span: super::structure::header(block),
        })
    };
    for (i, node) in graph.nodes.iter().enumerate() {
        let resource = graph.resource(i);
        let applies = |c: &&&Check| match node.block.kind.as_str() {
            "data" if c.block == "resource" => c
                .types
                .iter()
                .any(|t| t.strip_prefix("data.") == Some(node.kind)),
            kind => c.block == kind && c.types.contains(&node.kind),
        };
        for check in checks.iter().filter(applies) {
            let outcome = (check.judge)(&resource);
            report(
                check.id,
                check.title,
                &node.address,
                outcome,
                node.file,
                node.block,
            );
        }
    }
    for f in files {
        for block in f.parsed.file.body.blocks_of("provider") {
            let [kind] = block.label_values()[..] else {
                continue;
            };
            // Named `aws.default`, or `aws.<alias>`, as checkov names them.
            let alias = match block
                .body
                .attribute("alias")
                .map(|a| constant_value(&a.expr))
            {
                Some(Some(Value::String(a))) => a,
                _ => "default".to_string(),
            };
            let resource = Resource {
                kind,
                source: Source::Body(&block.body),
                scope: Scope {
                    values: &values,
                    instance: None,
                },
                iterators: Vec::new(),
                linked: None,
            };
            let applies = |c: &&&Check| c.block == "provider" && c.types.contains(&kind);
            for check in checks.iter().filter(applies) {
                let outcome = (check.judge)(&resource);
                let address = format!("{kind}.{alias}");
                report(check.id, check.title, &address, outcome, &f.path, block);
            }
        }
    }
    let builtin = graph_check_ids()
        .enumerate()
        .filter(|(_, id)| select(id))
        .filter_map(|(i, _)| graph_check(i));
    for policy in builtin.chain(custom.iter().filter(|p| select(&p.id))) {
        for (i, outcome) in policy.evaluate(&graph) {
            let node = &graph.nodes[i];
            report(
                &policy.id,
                &policy.title,
                &node.address,
                outcome,
                node.file,
                node.block,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_graph_check_loads() {
        for (name, text) in GRAPH_CHECKS {
            let policy = CustomPolicy::from_yaml(text, name).expect("loads");
            assert_eq!(format!("{}.yaml", policy.id), *name);
        }
        assert_eq!(graph_checks().count(), GRAPH_CHECKS.len());
    }
}
