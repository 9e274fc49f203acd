//! Security policies with checkov's ids and semantics: each check judges
//! the resources of its types PASSED, FAILED or UNKNOWN, as checkov does.
//!
//! Values are read the way checkov's graph "renders" them: constants as
//! written, `var.x` as the variable's constant default, `local.x` as the
//! local's constant value; anything else is a reference, and a check that
//! needs it answers UNKNOWN. Resources with `count = 0` are not judged.

mod checks;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::hcl::{Block, Body, ExprKind, Expression, ObjectItem, Span, TraversalOp};
use crate::terraform::{constant_value, literal_key, DeclarationKind, Module, SourceFile};

/// What a check concluded about one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Passed,
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
    /// `CKV_AWS_16`.
    pub check: &'static str,
    pub title: &'static str,
    /// `aws_db_instance.main`, as checkov names it (data sources too carry
    /// no `data.` prefix).
    pub address: String,
    pub outcome: Outcome,
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
    pub types: &'static [&'static str],
    pub judge: fn(&Resource<'_>) -> Outcome,
}

/// The ids of every check this engine knows, in id order.
pub fn check_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = checks::ALL.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids
}

/// A resource as a check sees it: its type, its body (or, for a nested
/// object written as an attribute, that object's value), and the module's
/// constant variables and locals to render values with.
pub(crate) struct Resource<'a> {
    pub kind: &'a str,
    source: Source<'a>,
    values: &'a Values,
}

/// Where a resource's, or a nested block's, contents come from: checkov
/// reads `x { ... }` and `x = { ... }` alike.
enum Source<'a> {
    Body(&'a Body),
    /// An object constructor, its values rendered as they are read.
    Items(&'a [ObjectItem]),
    Object(Value),
}

/// Constant variable defaults and locals by name.
#[derive(Default)]
struct Values {
    variables: HashMap<String, Value>,
    locals: HashMap<String, Value>,
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
                            Some(self.nested(Source::Body(&b.body)))
                        } else if b.kind == "dynamic" && b.label_values() == [name] {
                            let content = b.body.blocks_of("content").next()?;
                            Some(self.nested(Source::Body(&content.body)))
                        } else {
                            None
                        }
                    })
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

    /// A block inside this one, read with the same type and values.
    fn nested(&self, source: Source<'a>) -> Resource<'a> {
        Resource {
            kind: self.kind,
            source,
            values: self.values,
        }
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

    /// Whether this block has nothing in it.
    pub fn is_empty(&self) -> bool {
        match &self.source {
            Source::Body(b) => b.attributes().next().is_none() && b.blocks().next().is_none(),
            Source::Items(items) => items.is_empty(),
            Source::Object(v) => v.as_object().is_none_or(|o| o.is_empty()),
        }
    }

    fn render(&self, e: &Expression) -> Read {
        if let Some(v) = constant_value(e) {
            return Read::Constant(v);
        }
        match &e.kind {
            // A bare `True`/`False` parses as a name; checkov's parser
            // reads it as the boolean.
            ExprKind::Variable { name } if name.eq_ignore_ascii_case("true") => {
                Read::Constant(Value::Bool(true))
            }
            ExprKind::Variable { name } if name.eq_ignore_ascii_case("false") => {
                Read::Constant(Value::Bool(false))
            }
            ExprKind::Traversal { target, ops } => {
                let (ExprKind::Variable { name: root }, [TraversalOp::GetAttr { name, .. }]) =
                    (&target.kind, ops.as_slice())
                else {
                    return Read::Reference;
                };
                let found = match root.as_str() {
                    "var" => self.values.variables.get(name),
                    "local" => self.values.locals.get(name),
                    _ => None,
                };
                found.map_or(Read::Reference, |v| Read::Constant(v.clone()))
            }
            ExprKind::Template(t) => match t.parts.as_slice() {
                [crate::hcl::TemplatePart::Interpolation { expr, .. }] => self.render(expr),
                _ => Read::Reference,
            },
            ExprKind::Parens { inner } => self.render(inner),
            // `jsonencode({...})` is the document itself to a check.
            ExprKind::FunctionCall { name, args, .. }
                if name == "jsonencode" && args.len() == 1 =>
            {
                self.render(&args[0])
            }
            _ => Read::Reference,
        }
    }
}

/// The item of an object constructor whose literal key is `name`.
fn item<'e>(items: &'e [ObjectItem], name: &str) -> Option<&'e ObjectItem> {
    items
        .iter()
        .find(|i| literal_key(&i.key).as_deref() == Some(name))
}

/// Runs the checks `select` accepts over every resource of `files`.
pub(crate) fn scan(
    files: &[SourceFile],
    module: &Module,
    select: impl Fn(&str) -> bool,
) -> Vec<Evaluation> {
    let values = Values {
        variables: module
            .of_kind(DeclarationKind::Variable)
            .filter_map(|d| Some((d.name.clone(), d.details.default.clone()?)))
            .collect(),
        locals: module
            .of_kind(DeclarationKind::Local)
            .filter_map(|d| Some((d.name.clone(), d.details.value.clone()?)))
            .collect(),
    };
    let checks: Vec<&Check> = checks::ALL.iter().filter(|c| select(c.id)).collect();
    let mut out = Vec::new();
    for f in files {
        for block in f.parsed.file.body.blocks() {
            if matches!(block.kind.as_str(), "resource" | "data" | "provider") {
                evaluate(&f.path, block, &values, &checks, &mut out);
            }
        }
    }
    out
}

fn evaluate(
    file: &Path,
    block: &Block,
    values: &Values,
    checks: &[&Check],
    out: &mut Vec<Evaluation>,
) {
    // Providers are named `aws.default`, or `aws.<alias>`, as checkov
    // names them.
    let alias = match block
        .body
        .attribute("alias")
        .map(|a| constant_value(&a.expr))
    {
        Some(Some(Value::String(a))) => a,
        _ => "default".to_string(),
    };
    let labels = block.label_values();
    let (kind, name) = match (block.kind.as_str(), labels.as_slice()) {
        ("provider", [kind]) => (*kind, alias.as_str()),
        (_, [kind, name]) => (*kind, *name),
        _ => return,
    };
    let resource = Resource {
        kind,
        source: Source::Body(&block.body),
        values,
    };
    if matches!(resource.get("count"), Read::Constant(Value::Number(n)) if n.as_f64() == Some(0.0))
    {
        return;
    }
    let applies = |c: &&&Check| c.block == block.kind && c.types.contains(&kind);
    for check in checks.iter().filter(applies) {
        out.push(Evaluation {
            check: check.id,
            title: check.title,
            address: format!("{kind}.{name}"),
            outcome: (check.judge)(&resource),
            file: file.to_path_buf(),
            span: super::structure::header(block),
        });
    }
}
