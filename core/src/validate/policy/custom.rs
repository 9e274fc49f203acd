//! Policies written in checkov's YAML custom-policy format: attribute,
//! filter and connection conditions, combined with `and` and `or`.
//!
//! Each resource of the judged types gets one verdict. Conditions are
//! three-valued: a value that is a reference makes a comparison UNKNOWN,
//! as in the built-in checks. An attribute condition judges the resource
//! of its `resource_types` most recently brought into scope: the judged
//! resource itself, or, inside an `and` holding a connection, each
//! connected resource in turn. So
//!
//! ```yaml
//! and:
//!   - cond_type: connection
//!     resource_types: [aws_s3_bucket]
//!     connected_resource_types: [aws_s3_bucket_versioning]
//!     operator: exists
//!   - cond_type: attribute
//!     resource_types: [aws_s3_bucket_versioning]
//!     attribute: versioning_configuration.status
//!     operator: equals
//!     value: Enabled
//! ```
//!
//! holds for a bucket when some versioning resource connected to it says
//! `Enabled`; with `not_exists`, when none connected to it does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::hcl::{Diagnostic, DiagnosticCode, Pos, Span};

use super::graph::Graph;
use super::{Read, Resource};

/// A policy in checkov's custom-policy YAML format.
#[derive(Debug, Clone)]
pub struct CustomPolicy {
    /// `metadata.id`: the code its failures carry.
    pub id: String,
    /// `metadata.name`.
    pub title: String,
    /// `metadata.resource_types`, sorted, when written.
    listed_types: Option<Vec<String>>,
    definition: Condition,
}

#[derive(Debug, Clone)]
enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    /// `cond_type: filter`: the judged resource's type is one of these.
    Filter(Types),
    Attribute {
        types: Types,
        path: Vec<String>,
        op: Operator,
        value: Value,
    },
    Connection {
        types: Types,
        connected: Types,
        exists: bool,
    },
}

/// `resource_types`: a list, or `all`.
#[derive(Debug, Clone)]
enum Types {
    All,
    Only(Vec<String>),
}

impl Types {
    fn matches(&self, kind: &str) -> bool {
        match self {
            Types::All => true,
            Types::Only(t) => t.iter().any(|t| t == kind),
        }
    }

    fn overlaps(&self, other: &Types) -> bool {
        match (self, other) {
            (Types::Only(a), Types::Only(b)) => a.iter().any(|t| b.contains(t)),
            _ => false,
        }
    }
}

/// checkov's attribute operators. The `Not*` ones are the negation of
/// their positive form, so they hold when the attribute is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Exists,
    IsEmpty,
    IsNotEmpty,
    Equals,
    Within,
    Contains,
    StartingWith,
    EndingWith,
    RegexMatch,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    IsTrue,
    IsFalse,
    LengthEquals,
    LengthGreaterThan,
    LengthGreaterThanOrEqual,
    LengthLessThan,
    LengthLessThanOrEqual,
    Subset,
    Intersects,
    Not(Positive),
}

/// The positive operators a `not_` form negates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Positive {
    Exists,
    Equals,
    Within,
    Contains,
    StartingWith,
    EndingWith,
    RegexMatch,
    LengthEquals,
    Subset,
    Intersects,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        use Operator as O;
        Some(match name {
            "exists" => O::Exists,
            "not_exists" => O::Not(Positive::Exists),
            "is_empty" => O::IsEmpty,
            "is_not_empty" => O::IsNotEmpty,
            "equals" => O::Equals,
            "not_equals" => O::Not(Positive::Equals),
            "within" => O::Within,
            "not_within" => O::Not(Positive::Within),
            "contains" => O::Contains,
            "not_contains" => O::Not(Positive::Contains),
            "starting_with" => O::StartingWith,
            "not_starting_with" => O::Not(Positive::StartingWith),
            "ending_with" => O::EndingWith,
            "not_ending_with" => O::Not(Positive::EndingWith),
            "regex_match" => O::RegexMatch,
            "not_regex_match" => O::Not(Positive::RegexMatch),
            "greater_than" => O::GreaterThan,
            "greater_than_or_equal" => O::GreaterThanOrEqual,
            "less_than" => O::LessThan,
            "less_than_or_equal" => O::LessThanOrEqual,
            "is_true" => O::IsTrue,
            "is_false" => O::IsFalse,
            "length_equals" => O::LengthEquals,
            "length_not_equals" => O::Not(Positive::LengthEquals),
            "length_greater_than" => O::LengthGreaterThan,
            "length_greater_than_or_equal" => O::LengthGreaterThanOrEqual,
            "length_less_than" => O::LengthLessThan,
            "length_less_than_or_equal" => O::LengthLessThanOrEqual,
            "subset" => O::Subset,
            "not_subset" => O::Not(Positive::Subset),
            "intersects" => O::Intersects,
            "not_intersects" => O::Not(Positive::Intersects),
            _ => return None,
        })
    }

    /// Whether the operator compares with a `value` (so one is required).
    fn needs_value(self) -> bool {
        !matches!(
            self,
            Operator::Exists
                | Operator::Not(Positive::Exists)
                | Operator::IsEmpty
                | Operator::IsNotEmpty
                | Operator::IsTrue
                | Operator::IsFalse
        )
    }
}

/// Three-valued truth, plus "no condition here judges this resource".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
    NotApplicable,
}

impl Truth {
    fn of(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            t => t,
        }
    }

    fn all(items: impl IntoIterator<Item = Truth>) -> Truth {
        Truth::fold(items, Truth::False)
    }

    fn any(items: impl IntoIterator<Item = Truth>) -> Truth {
        Truth::fold(items, Truth::True)
    }

    /// `decisive` (FALSE for `and`, TRUE for `or`) as soon as one item is;
    /// else UNKNOWN if one is; else the other truth if any item applied.
    fn fold(items: impl IntoIterator<Item = Truth>, decisive: Truth) -> Truth {
        let (mut unknown, mut applied) = (false, false);
        for t in items {
            match t {
                Truth::Unknown => unknown = true,
                Truth::NotApplicable => {}
                t if t == decisive => return t,
                _ => applied = true,
            }
        }
        match (unknown, applied) {
            (true, _) => Truth::Unknown,
            (false, true) => decisive.not(),
            (false, false) => Truth::NotApplicable,
        }
    }
}

impl CustomPolicy {
    /// Reads one policy from YAML text; `path` names it in errors.
    /// Errors are [`Error::Parse`] with one `invalid_policy` diagnostic
    /// at the offending line.
    pub fn from_yaml(text: &str, path: impl AsRef<Path>) -> Result<CustomPolicy> {
        let path = path.as_ref();
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| {
            let at = e.location().map_or_else(Pos::default, |l| Pos {
                byte: l.index(),
                line: l.line(),
                column: l.column(),
            });
            invalid(path, Span { start: at, end: at }, e.to_string())
        })?;
        let fail = |needle: &str, message: String| invalid(path, locate(text, needle), message);
        let meta = doc.get("metadata");
        let field = |name: &str| meta.and_then(|m| m.get(name)).and_then(Value::as_str);
        let Some(id) = field("id") else {
            return Err(fail("metadata", "the policy has no `metadata.id`".into()));
        };
        let title = field("name").unwrap_or(id).to_string();
        let Some(definition) = doc.get("definition") else {
            return Err(fail(id, "the policy has no `definition`".into()));
        };
        let definition = condition(definition).map_err(|(needle, m)| fail(&needle, m))?;
        let listed_types = meta
            .and_then(|m| m.get("resource_types"))
            .and_then(Value::as_array)
            .map(|a| {
                let mut t: Vec<String> = a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect();
                t.sort();
                t
            });
        Ok(CustomPolicy {
            id: id.to_string(),
            title,
            listed_types,
            definition,
        })
    }

    /// Reads a policy file.
    pub fn load(path: impl AsRef<Path>) -> Result<CustomPolicy> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        CustomPolicy::from_yaml(&text, path)
    }

    /// Reads every `.yaml` and `.yml` file of a directory (not its
    /// subdirectories), in name order, as checkov's
    /// `--external-checks-dir` does; a path to a file reads that file.
    pub fn load_all(path: impl AsRef<Path>) -> Result<Vec<CustomPolicy>> {
        let path = path.as_ref();
        if path.is_file() {
            return Ok(vec![CustomPolicy::load(path)?]);
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("yaml") || x == "yml")
            })
            .collect();
        files.sort();
        files.iter().map(CustomPolicy::load).collect()
    }

    /// The types the policy is listed under: `metadata.resource_types`
    /// when written, else those of its filters and attribute conditions
    /// (a connection's are not among them), sorted, as checkov lists a
    /// graph check's types.
    pub fn resource_types(&self) -> Vec<&str> {
        fn walk<'a>(c: &'a Condition, out: &mut Vec<&'a str>) {
            match c {
                Condition::And(items) | Condition::Or(items) => {
                    items.iter().for_each(|i| walk(i, out))
                }
                Condition::Filter(Types::Only(t))
                | Condition::Attribute {
                    types: Types::Only(t),
                    ..
                } => out.extend(t.iter().map(String::as_str)),
                _ => {}
            }
        }
        if let Some(listed) = &self.listed_types {
            return listed.iter().map(String::as_str).collect();
        }
        let mut out = Vec::new();
        walk(&self.definition, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The resource types this policy judges: its filter's, or else every
    /// type its conditions name (`None`: all types).
    fn judged(&self) -> Option<Vec<&str>> {
        let top = match &self.definition {
            Condition::And(c) => c.as_slice(),
            one => std::slice::from_ref(one),
        };
        for c in top {
            if let Condition::Filter(t) = c {
                return match t {
                    Types::All => None,
                    Types::Only(t) => Some(t.iter().map(String::as_str).collect()),
                };
            }
        }
        let mut out = Vec::new();
        named_types(&self.definition, &mut out).then_some(out)
    }

    /// This policy's verdict on every resource it judges, in file order.
    pub(super) fn evaluate(&self, graph: &Graph<'_>) -> Vec<(usize, super::Outcome)> {
        let judged = self.judged();
        let mut out = Vec::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            // Data sources can be connected to, but checkov's graph checks
            // judge resources.
            if node.block.kind != "resource"
                || judged.as_ref().is_some_and(|t| !t.contains(&node.kind))
            {
                continue;
            }
            let mut bound = vec![i];
            let outcome = match eval(&self.definition, graph, &mut bound) {
                Truth::True => super::Outcome::Passed,
                Truth::False => super::Outcome::Failed,
                Truth::Unknown | Truth::NotApplicable => super::Outcome::Unknown,
            };
            out.push((i, outcome));
        }
        out
    }
}

fn invalid(path: &Path, span: Span, message: String) -> Error {
    Error::Parse {
        path: Some(path.to_path_buf()),
        diagnostics: vec![Diagnostic::error(
            DiagnosticCode::InvalidPolicy,
            span,
            message,
        )],
    }
}

/// Where `needle` first appears in `text` (its whole line), or the start:
/// the YAML reader keeps no positions past syntax, and a policy's
/// offending value is nearly always unique in it.
fn locate(text: &str, needle: &str) -> Span {
    let Some(byte) = text.find(needle).filter(|_| !needle.is_empty()) else {
        let start = Pos {
            byte: 0,
            line: 1,
            column: 1,
        };
        return Span { start, end: start };
    };
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[byte..].find('\n').map_or(text.len(), |i| byte + i);
    let line = text[..byte].matches('\n').count() + 1;
    let pos = |b: usize| Pos {
        byte: b,
        line,
        column: text[line_start..b].chars().count() + 1,
    };
    Span {
        start: pos(line_start),
        end: pos(line_end),
    }
}

/// A condition, or (text to point at, message).
fn condition(v: &Value) -> std::result::Result<Condition, (String, String)> {
    let Some(map) = v.as_object() else {
        return Err((
            String::new(),
            format!("a condition must be a mapping, not {v}"),
        ));
    };
    for (key, make) in [
        ("and", Condition::And as fn(Vec<Condition>) -> Condition),
        ("or", Condition::Or),
    ] {
        if let Some(items) = map.get(key) {
            let Some(items) = items.as_array() else {
                return Err((format!("{key}:"), format!("`{key}` must hold a list")));
            };
            return items
                .iter()
                .map(condition)
                .collect::<Result<_, _>>()
                .map(make);
        }
    }
    let text = |k: &str| map.get(k).and_then(Value::as_str);
    let cond_type = text("cond_type").unwrap_or("attribute");
    let types = |k: &str| -> std::result::Result<Types, (String, String)> {
        match map.get(k) {
            Some(Value::String(s)) if s == "all" => Ok(Types::All),
            Some(Value::String(s)) => Ok(Types::Only(vec![s.clone()])),
            Some(Value::Array(items)) => {
                let names: Option<Vec<String>> =
                    items.iter().map(|i| i.as_str().map(String::from)).collect();
                match names {
                    Some(n) if n.iter().any(|t| t == "all") => Ok(Types::All),
                    Some(n) => Ok(Types::Only(n)),
                    None => Err((format!("{k}:"), format!("`{k}` must list type names"))),
                }
            }
            _ => Err((
                format!("{k}:"),
                format!("a {cond_type} condition needs `{k}`"),
            )),
        }
    };
    let operator = text("operator").unwrap_or_default();
    match cond_type {
        "filter" => {
            if operator != "within" || text("attribute") != Some("resource_type") {
                return Err((
                    "filter".into(),
                    "a filter must be `attribute: resource_type` with `operator: within`".into(),
                ));
            }
            types("value").map(Condition::Filter)
        }
        "connection" => {
            let exists = match operator {
                "exists" => true,
                "not_exists" => false,
                other => {
                    return Err((
                        format!("operator: {other}"),
                        format!(
                            "a connection's operator is `exists` or `not_exists`, not `{other}`"
                        ),
                    ))
                }
            };
            Ok(Condition::Connection {
                types: types("resource_types")?,
                connected: types("connected_resource_types")?,
                exists,
            })
        }
        "attribute" => {
            let Some(op) = Operator::parse(operator) else {
                return Err((
                    format!("operator: {operator}"),
                    format!("unknown attribute operator `{operator}`"),
                ));
            };
            let Some(attribute) = text("attribute") else {
                return Err((
                    "cond_type".into(),
                    "an attribute condition needs `attribute`".into(),
                ));
            };
            let value = map.get("value").cloned().unwrap_or(Value::Null);
            if op.needs_value() && value.is_null() {
                return Err((
                    format!("operator: {operator}"),
                    format!("the `{operator}` operator needs a `value`"),
                ));
            }
            if matches!(
                op,
                Operator::RegexMatch | Operator::Not(Positive::RegexMatch)
            ) {
                let pattern = value.as_str().unwrap_or_default();
                if let Err(e) = Regex::new(pattern) {
                    return Err((pattern.to_string(), format!("invalid regex: {e}")));
                }
            }
            Ok(Condition::Attribute {
                types: types("resource_types")?,
                path: attribute.split('.').map(String::from).collect(),
                op,
                value,
            })
        }
        other => Err((
            format!("cond_type: {other}"),
            format!("unsupported cond_type `{other}` (attribute, connection and filter are)"),
        )),
    }
}

/// Collects the types attribute conditions and connection origins name;
/// false when one names `all`.
fn named_types<'p>(c: &'p Condition, out: &mut Vec<&'p str>) -> bool {
    let mut add = |t: &'p Types| match t {
        Types::All => false,
        Types::Only(t) => {
            for t in t {
                if !out.contains(&t.as_str()) {
                    out.push(t);
                }
            }
            true
        }
    };
    match c {
        Condition::And(items) | Condition::Or(items) => items.iter().all(|i| named_types(i, out)),
        Condition::Filter(t) | Condition::Attribute { types: t, .. } => add(t),
        Condition::Connection { types, .. } => add(types),
    }
}

fn eval(c: &Condition, g: &Graph<'_>, bound: &mut Vec<usize>) -> Truth {
    match c {
        Condition::And(items) => eval_and(items.iter().collect(), g, bound),
        Condition::Or(items) => {
            Truth::any(items.iter().map(|i| eval(i, g, bound)).collect::<Vec<_>>())
        }
        Condition::Filter(t) => Truth::of(t.matches(g.nodes[bound[0]].kind)),
        Condition::Attribute {
            types,
            path,
            op,
            value,
        } => match bound
            .iter()
            .rev()
            .find(|&&n| types.matches(g.nodes[n].kind))
        {
            Some(&n) => apply(*op, &found(&g.resource(n), path), value),
            None => Truth::NotApplicable,
        },
        Condition::Connection { .. } => connection(c, &[], g, bound),
    }
}

/// An `and`: its first connection that can start from a resource in
/// scope quantifies over the connected resources, judging each with the
/// conditions that concern their types; the rest are judged as usual.
fn eval_and(items: Vec<&Condition>, g: &Graph<'_>, bound: &mut Vec<usize>) -> Truth {
    let scoped = items
        .iter()
        .enumerate()
        .find_map(|(at, c)| Some((at, *c, origin(c, g, bound)?.1)));
    let Some((at, conn, partner_types)) = scoped else {
        return Truth::all(items.iter().map(|i| eval(i, g, bound)).collect::<Vec<_>>());
    };
    let (partner, rest): (Vec<&Condition>, Vec<&Condition>) = items
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != at)
        .map(|(_, c)| *c)
        .partition(|c| concerns(c, partner_types));
    let quantified = connection(conn, &partner, g, bound);
    Truth::all([quantified, eval_and(rest, g, bound)])
}

/// The resource in scope a connection starts from, and the types of the
/// resources at its other end.
fn origin<'c>(c: &'c Condition, g: &Graph<'_>, bound: &[usize]) -> Option<(usize, &'c Types)> {
    let Condition::Connection {
        types, connected, ..
    } = c
    else {
        return None;
    };
    let last = |t: &Types| {
        bound
            .iter()
            .rev()
            .find(|&&n| t.matches(g.nodes[n].kind))
            .copied()
    };
    last(types)
        .map(|n| (n, connected))
        .or_else(|| last(connected).map(|n| (n, types)))
}

/// Whether a condition judges resources of `types` (so, inside an `and`
/// with a connection to them, it judges each connected one).
fn concerns(c: &Condition, types: &Types) -> bool {
    match c {
        Condition::And(items) | Condition::Or(items) => items.iter().any(|i| concerns(i, types)),
        Condition::Filter(_) => false,
        Condition::Attribute { types: t, .. } => t.overlaps(types),
        Condition::Connection {
            types: t,
            connected,
            ..
        } => t.overlaps(types) || connected.overlaps(types),
    }
}

/// A connection condition: whether some connected resource satisfies
/// `partner` (every one of them; none given, any connected resource).
fn connection(
    c: &Condition,
    partner: &[&Condition],
    g: &Graph<'_>,
    bound: &mut Vec<usize>,
) -> Truth {
    let Condition::Connection { exists, .. } = c else {
        return Truth::NotApplicable;
    };
    let Some((from, partner_types)) = origin(c, g, bound) else {
        return Truth::NotApplicable;
    };
    let mut verdicts = Vec::new();
    for &n in g.neighbours(from) {
        if !partner_types.matches(g.nodes[n].kind) || bound.contains(&n) {
            continue;
        }
        bound.push(n);
        let t = match eval_and(partner.to_vec(), g, bound) {
            Truth::NotApplicable => Truth::True,
            t => t,
        };
        bound.pop();
        verdicts.push(t);
    }
    let some = match Truth::any(verdicts) {
        Truth::NotApplicable => Truth::False,
        t => t,
    };
    if *exists {
        some
    } else {
        some.not()
    }
}

/// What an attribute path reaches: values, or blocks (`true` when empty).
enum Found {
    Value(Read),
    Block { empty: bool },
}

/// Every value or block `path` reaches in `r`, through every block of
/// each name (`*` or a number picks among them).
fn found(r: &Resource<'_>, path: &[String]) -> Vec<Found> {
    let mut out = Vec::new();
    walk(r, path, &mut out);
    out
}

fn walk(r: &Resource<'_>, path: &[String], out: &mut Vec<Found>) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let blocks = r.blocks(first);
    if !blocks.is_empty() {
        let (chosen, rest): (Vec<&Resource<'_>>, &[String]) = match rest.first() {
            Some(s) if s == "*" => (blocks.iter().collect(), &rest[1..]),
            Some(s) if s.parse::<usize>().is_ok() => {
                let i: usize = s.parse().unwrap_or_default();
                (blocks.get(i).into_iter().collect(), &rest[1..])
            }
            _ => (blocks.iter().collect(), rest),
        };
        for b in chosen {
            if rest.is_empty() {
                out.push(Found::Block {
                    empty: b.is_empty(),
                });
            } else {
                walk(b, rest, out);
            }
        }
        return;
    }
    match r.get(first) {
        Read::Missing | Read::Constant(Value::Null) => {}
        Read::Constant(v) => within_value(&v, rest, out),
        Read::Reference => out.push(Found::Value(Read::Reference)),
    }
}

fn within_value(v: &Value, path: &[String], out: &mut Vec<Found>) {
    let Some((first, rest)) = path.split_first() else {
        if !v.is_null() {
            out.push(Found::Value(Read::Constant(v.clone())));
        }
        return;
    };
    match v {
        Value::Array(items) if first == "*" => {
            for i in items {
                within_value(i, rest, out);
            }
        }
        Value::Array(items) => match first.parse::<usize>() {
            Ok(i) => {
                if let Some(x) = items.get(i) {
                    within_value(x, rest, out);
                }
            }
            // A path through a list of objects reads each.
            Err(_) => {
                for i in items {
                    within_value(i, path, out);
                }
            }
        },
        Value::Object(o) => {
            if let Some(x) = o.get(first.as_str()) {
                within_value(x, rest, out);
            }
        }
        _ => {}
    }
}

/// An operator over everything the path reached: a positive operator
/// holds when one value satisfies it, UNKNOWN when none does but one is a
/// reference; a `not_` operator is its negation.
fn apply(op: Operator, found: &[Found], expected: &Value) -> Truth {
    let positive = |p: Positive| match p {
        Positive::Exists => Operator::Exists,
        Positive::Equals => Operator::Equals,
        Positive::Within => Operator::Within,
        Positive::Contains => Operator::Contains,
        Positive::StartingWith => Operator::StartingWith,
        Positive::EndingWith => Operator::EndingWith,
        Positive::RegexMatch => Operator::RegexMatch,
        Positive::LengthEquals => Operator::LengthEquals,
        Positive::Subset => Operator::Subset,
        Positive::Intersects => Operator::Intersects,
    };
    match op {
        Operator::Not(p) => apply(positive(p), found, expected).not(),
        Operator::Exists => Truth::of(!found.is_empty()),
        Operator::IsEmpty if found.is_empty() => Truth::False,
        Operator::IsEmpty => Truth::all(found.iter().map(|f| match f {
            Found::Block { empty } => Truth::of(*empty),
            Found::Value(Read::Constant(v)) => Truth::of(length(v) == Some(0)),
            Found::Value(_) => Truth::Unknown,
        })),
        _ => Truth::any(found.iter().map(|f| match f {
            Found::Block { empty } => Truth::of(op == Operator::IsNotEmpty && !empty),
            Found::Value(Read::Constant(v)) => Truth::of(compare(op, v, expected)),
            Found::Value(_) => Truth::Unknown,
        }))
        .or_false(),
    }
}

impl Truth {
    /// Nothing to judge counts as not holding.
    fn or_false(self) -> Truth {
        match self {
            Truth::NotApplicable => Truth::False,
            t => t,
        }
    }
}

/// Whether `text` matches `pattern`, compiling each pattern once per thread
/// rather than once per value judged. Patterns come from loaded policies,
/// so there are few; the memo starts again past 256 of them.
fn regex_matches(pattern: &str, text: &str) -> bool {
    thread_local! {
        static COMPILED: std::cell::RefCell<HashMap<String, Option<Regex>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    COMPILED.with(|cell| {
        let mut compiled = cell.borrow_mut();
        if compiled.len() > 256 {
            compiled.clear();
        }
        if let Some(regex) = compiled.get(pattern) {
            return regex.as_ref().is_some_and(|r| r.is_match(text));
        }
        let regex = Regex::new(pattern).ok();
        let matched = regex.as_ref().is_some_and(|r| r.is_match(text));
        compiled.insert(pattern.to_string(), regex);
        matched
    })
}

fn compare(op: Operator, v: &Value, expected: &Value) -> bool {
    let number = |v: &Value| text(v).and_then(|t| t.parse::<f64>().ok());
    let len_vs = |f: fn(usize, f64) -> bool| match (length(v), number(expected)) {
        (Some(l), Some(n)) => f(l, n),
        _ => false,
    };
    let ordered = |f: fn(f64, f64) -> bool| match (number(v), number(expected)) {
        (Some(a), Some(b)) => f(a, b),
        _ => false,
    };
    let strings = |f: fn(&str, &str) -> bool| match (text(v), text(expected)) {
        (Some(a), Some(b)) => f(&a, &b),
        _ => false,
    };
    let items = |x: &Value| match x {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    match op {
        Operator::Equals => loosely_equal(v, expected),
        Operator::Within => items(expected).iter().any(|e| loosely_equal(v, e)),
        Operator::Contains => match v {
            Value::Array(a) => a.iter().any(|i| loosely_equal(i, expected)),
            Value::Object(o) => text(expected).is_some_and(|k| o.contains_key(&k)),
            _ => strings(|a, b| a.contains(b)),
        },
        Operator::StartingWith => strings(|a, b| a.starts_with(b)),
        Operator::EndingWith => strings(|a, b| a.ends_with(b)),
        Operator::RegexMatch => match (text(v), expected.as_str()) {
            (Some(t), Some(p)) => regex_matches(p, &t),
            _ => false,
        },
        Operator::GreaterThan => ordered(|a, b| a > b),
        Operator::GreaterThanOrEqual => ordered(|a, b| a >= b),
        Operator::LessThan => ordered(|a, b| a < b),
        Operator::LessThanOrEqual => ordered(|a, b| a <= b),
        Operator::IsTrue => Read::Constant(v.clone()).is_true(),
        Operator::IsFalse => Read::Constant(v.clone()).is_false(),
        Operator::IsNotEmpty => length(v).is_some_and(|l| l > 0) || v.is_number() || v.is_boolean(),
        Operator::LengthEquals => len_vs(|l, n| l as f64 == n),
        Operator::LengthGreaterThan => len_vs(|l, n| l as f64 > n),
        Operator::LengthGreaterThanOrEqual => len_vs(|l, n| l as f64 >= n),
        Operator::LengthLessThan => len_vs(|l, n| (l as f64) < n),
        Operator::LengthLessThanOrEqual => len_vs(|l, n| l as f64 <= n),
        Operator::Subset => {
            let allowed = items(expected);
            items(v)
                .iter()
                .all(|i| allowed.iter().any(|a| loosely_equal(i, a)))
        }
        Operator::Intersects => {
            let other = items(expected);
            items(v)
                .iter()
                .any(|i| other.iter().any(|a| loosely_equal(i, a)))
        }
        Operator::Exists | Operator::IsEmpty | Operator::Not(_) => false,
    }
}

fn length(v: &Value) -> Option<usize> {
    match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        Value::Object(o) => Some(o.len()),
        _ => None,
    }
}

/// A scalar as text: numbers in their shortest form, booleans lowercase.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        }),
        _ => None,
    }
}

/// checkov compares as text, so `"80"` equals `80` and `"True"` equals
/// `true`.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (text(a), text(b)) {
        (Some(x), Some(y)) if a.is_boolean() || b.is_boolean() => x.eq_ignore_ascii_case(&y),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_at(text: &str) -> (usize, String) {
        match CustomPolicy::from_yaml(text, "p.yaml") {
            Err(Error::Parse { diagnostics, path }) => {
                assert_eq!(path.as_deref(), Some(Path::new("p.yaml")));
                (
                    diagnostics[0].span.start.line,
                    diagnostics[0].message.clone(),
                )
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn bad_policies_are_errors_at_their_line() {
        let head = "metadata:\n  id: X_1\n  name: x\ndefinition:\n";
        let (line, message) = error_at(&format!(
            "{head}  cond_type: attribute\n  resource_types: [a]\n  attribute: b\n  operator: bigger\n  value: 1\n"
        ));
        assert_eq!(
            (line, message.as_str()),
            (8, "unknown attribute operator `bigger`")
        );
        let (line, message) = error_at(&format!(
            "{head}  cond_type: attribute\n  resource_types: [a]\n  attribute: b\n  operator: equals\n"
        ));
        assert_eq!(
            (line, message.as_str()),
            (8, "the `equals` operator needs a `value`")
        );
        let (line, _) = error_at("metadata:\n  id: [unclosed\n");
        assert_eq!(line, 3);
        let (_, message) = error_at("definition:\n  and: []\n");
        assert_eq!(message, "the policy has no `metadata.id`");
    }

    #[test]
    fn operators_compare_as_checkov_does() {
        let v = |s: &str| -> Value { serde_json::from_str(s).expect("json") };
        let one = |op: &str, found: &str, expected: &str| {
            let op = Operator::parse(op).expect("operator");
            apply(op, &[Found::Value(Read::Constant(v(found)))], &v(expected))
        };
        assert_eq!(one("equals", "80", "\"80\""), Truth::True);
        assert_eq!(one("equals", "\"True\"", "true"), Truth::True);
        assert_eq!(one("within", "\"b\"", "[\"a\", \"b\"]"), Truth::True);
        assert_eq!(one("not_within", "\"c\"", "[\"a\", \"b\"]"), Truth::True);
        assert_eq!(one("contains", "[\"x\", \"y\"]", "\"y\""), Truth::True);
        assert_eq!(
            one(
                "starting_with",
                "\"ELBSecurityPolicy-TLS13\"",
                "\"ELBSecurityPolicy-\""
            ),
            Truth::True
        );
        assert_eq!(
            one("regex_match", "\"ab12\"", "\"^[a-z]+[0-9]+$\""),
            Truth::True
        );
        // The same pattern again, compiled once: each text is judged anew.
        assert_eq!(
            one("regex_match", "\"12ab\"", "\"^[a-z]+[0-9]+$\""),
            Truth::False
        );
        assert_eq!(
            one("not_regex_match", "\"12ab\"", "\"^[a-z]+[0-9]+$\""),
            Truth::True
        );
        // A pattern that does not compile matches nothing, every time.
        assert!(!regex_matches("(unclosed", "(unclosed"));
        assert!(!regex_matches("(unclosed", "(unclosed"));
        assert_eq!(one("greater_than", "\"90\"", "30"), Truth::True);
        assert_eq!(one("less_than_or_equal", "31", "30"), Truth::False);
        assert_eq!(one("length_greater_than", "[1, 2, 3]", "2"), Truth::True);
        assert_eq!(one("subset", "[\"a\"]", "[\"a\", \"b\"]"), Truth::True);
        assert_eq!(one("intersects", "[\"c\"]", "[\"a\", \"b\"]"), Truth::False);
        // Missing: positive operators fail, their negations hold.
        let equals = Operator::parse("equals").expect("op");
        let not_equals = Operator::parse("not_equals").expect("op");
        assert_eq!(apply(equals, &[], &v("1")), Truth::False);
        assert_eq!(apply(not_equals, &[], &v("1")), Truth::True);
        // A reference decides nothing.
        let reference = [Found::Value(Read::Reference)];
        assert_eq!(apply(equals, &reference, &v("1")), Truth::Unknown);
        assert_eq!(apply(not_equals, &reference, &v("1")), Truth::Unknown);
        assert_eq!(
            apply(Operator::Exists, &reference, &Value::Null),
            Truth::True
        );
    }
}
