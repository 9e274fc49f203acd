//! How checks read values, as checkov's graph "renders" them: constants as
//! written, variables by their default, locals and `each.*` evaluated.
//!
//! Evaluation covers what a module's own text decides: literals,
//! templates, indexes and attributes, `for` expressions, conditionals on
//! known values, and the conversion functions (`toset`, `tolist`,
//! `tomap`, `concat`, `length`, `jsonencode`). Anything else is a reference: its value is
//! known only when Terraform runs, and a check that needs it is UNKNOWN.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::hcl::{BinaryOp, Body, ExprKind, Expression, TemplatePart, TraversalOp, UnaryOp};
use crate::terraform::eval::auto_files;
use crate::terraform::{constant_value, literal_key, DeclarationKind, Module, SourceFile};

use super::Read;

/// A module's variable defaults and local expressions.
#[derive(Default)]
pub(super) struct Values<'a> {
    variables: HashMap<String, Value>,
    locals: HashMap<&'a str, &'a Expression>,
}

impl<'a> Values<'a> {
    pub fn new(files: &'a [SourceFile], module: &Module) -> Values<'a> {
        let locals = files
            .iter()
            .flat_map(|f| f.parsed.file.body.blocks_of("locals"))
            .flat_map(|b: &'a crate::hcl::Block| locals_of(&b.body))
            .collect();
        Values {
            variables: module
                .of_kind(DeclarationKind::Variable)
                // checkov leaves a variable whose default is null as the
                // reference it is, so it is unknown here too.
                .filter_map(|d| match d.details.default.clone()? {
                    Value::Null => None,
                    v => Some((d.name.clone(), v)),
                })
                .collect(),
            locals,
        }
    }
}

impl<'a> Values<'a> {
    /// These values with the variables `inputs` sets (from `.tfvars`
    /// files) replacing their defaults.
    pub fn with_inputs(mut self, inputs: &HashMap<String, Value>) -> Values<'a> {
        for (name, value) in inputs.iter().filter(|(_, v)| !v.is_null()) {
            self.variables.insert(name.clone(), value.clone());
        }
        self
    }

    /// The values of a called module: its variables' defaults, replaced by
    /// what the call passes. An input that is not known leaves the
    /// variable unknown, whatever its default.
    pub fn called(
        files: &'a [SourceFile],
        module: &Module,
        inputs: impl IntoIterator<Item = (String, Read)>,
    ) -> Values<'a> {
        let mut values = Values::new(files, module);
        for (name, read) in inputs {
            match read {
                Read::Constant(v) => {
                    values.variables.insert(name, v);
                }
                _ => {
                    values.variables.remove(&name);
                }
            }
        }
        values
    }
}

/// The variables a root module's directory sets as Terraform reads them
/// without being asked (the files `eval::inputs::auto_files` lists, a
/// later file winning). Only constants count (Terraform accepts nothing
/// else there); a file that cannot be read or parsed sets nothing, since
/// judging it is `terraform plan`'s job, not validation's.
pub(crate) fn auto_inputs(dir: &std::path::Path) -> HashMap<String, Value> {
    let mut inputs = HashMap::new();
    for path in auto_files(dir).unwrap_or_default() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "json") {
            if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&text) {
                inputs.extend(m);
            }
            continue;
        }
        let parsed = crate::hcl::parse(&text);
        if parsed.has_errors() {
            continue;
        }
        for a in parsed.file.body.attributes() {
            if let Some(v) = constant_value(&a.expr) {
                inputs.insert(a.name.clone(), v);
            }
        }
    }
    inputs
}

fn locals_of(body: &Body) -> impl Iterator<Item = (&str, &Expression)> {
    body.attributes().map(|a| (a.name.as_str(), &a.expr))
}

/// One instance of a resource (or module call) that `for_each` or `count`
/// repeats: what `each.key` and `each.value`, or `count.index`, are.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Instance {
    Each { key: Value, value: Value },
    Count(usize),
}

impl Instance {
    /// `["key"]` or `[0]`, as an address ends.
    pub fn suffix(&self) -> String {
        match self {
            Instance::Each { key, .. } => {
                format!("[{}]", Value::String(text(key).unwrap_or_default()))
            }
            Instance::Count(i) => format!("[{i}]"),
        }
    }
}

/// What names mean while evaluating: the module's values, the instance's
/// `each` or `count`, and the variables of enclosing `for` expressions.
#[derive(Clone, Copy)]
pub(super) struct Scope<'a> {
    pub values: &'a Values<'a>,
    pub instance: Option<&'a Instance>,
}

/// Locals referring to locals deeper than this are taken as references
/// (a cycle would otherwise never end).
const MAX_DEPTH: usize = 32;

impl Scope<'_> {
    /// The value of `e`, or [`Read::Reference`] when it is not known.
    pub fn read(&self, e: &Expression) -> Read {
        self.read_with(e, &[])
    }

    /// [`read`](Self::read) with names bound (`dynamic` blocks' iterators).
    pub fn read_with(&self, e: &Expression, bound: &[(String, Value)]) -> Read {
        match self.eval(e, &mut bound.to_vec(), 0) {
            Some(v) => Read::Constant(v),
            None => Read::Reference,
        }
    }

    /// The value of a document (`jsonencode({...})`, an object or a list)
    /// with each part that is not known written as a `${...}` string: a
    /// policy whose `Resource` refers to a key keeps its shape, as checkov
    /// reads it with the reference as text.
    pub fn read_document(&self, e: &Expression) -> Read {
        if let Some(v) = self.eval(e, &mut Vec::new(), 0) {
            return Read::Constant(v);
        }
        let part = |e: &Expression| match self.read_document(e) {
            Read::Constant(v) => v,
            _ => Value::String("${...}".into()),
        };
        match &e.kind {
            ExprKind::FunctionCall { name, args, .. }
                if name == "jsonencode" && args.len() == 1 =>
            {
                self.read_document(&args[0])
            }
            ExprKind::Parens { inner } => self.read_document(inner),
            ExprKind::Tuple { items } => {
                Read::Constant(Value::Array(items.iter().map(part).collect()))
            }
            ExprKind::Object { items } => {
                let mut m = Map::new();
                for i in items {
                    let key = literal_key(&i.key)
                        .or_else(|| text(&self.eval(&i.key, &mut Vec::new(), 0)?));
                    let Some(key) = key else {
                        return Read::Reference;
                    };
                    m.insert(key, part(&i.value));
                }
                Read::Constant(Value::Object(m))
            }
            _ => Read::Reference,
        }
    }

    fn eval(
        &self,
        e: &Expression,
        bound: &mut Vec<(String, Value)>,
        depth: usize,
    ) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(v) = constant_value(e) {
            return Some(v);
        }
        let mut eval = |e: &Expression| self.eval(e, bound, depth);
        match &e.kind {
            // A bare `True`/`False` parses as a name; checkov's parser
            // reads it as the boolean.
            ExprKind::Variable { name } if name.eq_ignore_ascii_case("true") => {
                Some(Value::Bool(true))
            }
            ExprKind::Variable { name } if name.eq_ignore_ascii_case("false") => {
                Some(Value::Bool(false))
            }
            ExprKind::Variable { name } => lookup(bound, name),
            ExprKind::Traversal { target, ops } => self.traversal(target, ops, bound, depth),
            ExprKind::Template(t) => {
                if let [TemplatePart::Interpolation { expr, .. }] = t.parts.as_slice() {
                    return eval(expr);
                }
                let mut out = String::new();
                for part in &t.parts {
                    match part {
                        TemplatePart::Literal { value, .. } => out.push_str(value),
                        TemplatePart::Interpolation { expr, .. } => match eval(expr)? {
                            Value::String(s) => out.push_str(&s),
                            v @ (Value::Number(_) | Value::Bool(_)) => out.push_str(&v.to_string()),
                            _ => return None,
                        },
                        _ => return None,
                    }
                }
                Some(Value::String(out))
            }
            ExprKind::Parens { inner } => eval(inner),
            ExprKind::Tuple { items } => items
                .iter()
                .map(eval)
                .collect::<Option<_>>()
                .map(Value::Array),
            ExprKind::Object { items } => {
                let mut m = Map::new();
                for i in items {
                    let key = match literal_key(&i.key) {
                        Some(k) => k,
                        None => text(&eval(&i.key)?)?,
                    };
                    m.insert(key, eval(&i.value)?);
                }
                Some(Value::Object(m))
            }
            ExprKind::FunctionCall { name, args, .. } => match (name.as_str(), args.as_slice()) {
                // `jsonencode({...})` is the document itself to a check.
                ("jsonencode" | "tolist" | "tomap", [arg]) => eval(arg),
                ("concat", lists) => {
                    let mut out = Vec::new();
                    for l in lists {
                        match eval(l)? {
                            Value::Array(items) => out.extend(items),
                            _ => return None,
                        }
                    }
                    Some(Value::Array(out))
                }
                ("min" | "max", numbers) if !numbers.is_empty() => {
                    let values = numbers
                        .iter()
                        .map(|n| number(&eval(n)?))
                        .collect::<Option<Vec<f64>>>()?;
                    let pick = if name == "min" { f64::min } else { f64::max };
                    number_value(values.into_iter().reduce(pick)?)
                }
                ("abs", [n]) => number_value(number(&eval(n)?)?.abs()),
                ("contains", [list, item]) => match eval(list)? {
                    Value::Array(items) => Some(Value::Bool(items.contains(&eval(item)?))),
                    _ => None,
                },
                ("keys", [map]) => match eval(map)? {
                    Value::Object(m) => {
                        Some(Value::Array(m.keys().cloned().map(Value::String).collect()))
                    }
                    _ => None,
                },
                ("coalesce", values) => values
                    .iter()
                    .map(&mut eval)
                    .collect::<Option<Vec<Value>>>()?
                    .into_iter()
                    .find(|v| !v.is_null() && v.as_str() != Some("")),
                ("length", [arg]) => match eval(arg)? {
                    Value::Array(a) => Some(Value::from(a.len())),
                    Value::Object(o) => Some(Value::from(o.len())),
                    Value::String(s) => Some(Value::from(s.chars().count())),
                    _ => None,
                },
                ("toset", [arg]) => match eval(arg)? {
                    Value::Array(items) => {
                        let mut unique: Vec<Value> = Vec::new();
                        for i in items {
                            if !unique.contains(&i) {
                                unique.push(i);
                            }
                        }
                        Some(Value::Array(unique))
                    }
                    _ => None,
                },
                _ => None,
            },
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => match eval(condition)? {
                Value::Bool(true) => eval(then),
                Value::Bool(false) => eval(otherwise),
                _ => None,
            },
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => match eval(operand)? {
                Value::Bool(b) => Some(Value::Bool(!b)),
                _ => None,
            },
            ExprKind::Unary {
                op: UnaryOp::Negate,
                operand,
            } => number_value(-number(&eval(operand)?)?),
            ExprKind::Binary { op, lhs, rhs } => binary(*op, eval(lhs)?, eval(rhs)?),
            ExprKind::For(f) => {
                let collection = eval(&f.collection)?;
                let pairs: Vec<(Value, Value)> = match collection {
                    Value::Array(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (Value::from(i), v))
                        .collect(),
                    Value::Object(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
                    _ => return None,
                };
                if f.grouping {
                    return None;
                }
                let mut list = Vec::new();
                let mut object = Map::new();
                for (k, v) in pairs {
                    let mark = bound.len();
                    if let Some(key_var) = &f.key_var {
                        bound.push((key_var.clone(), k));
                    }
                    bound.push((f.value_var.clone(), v));
                    let item = (|| {
                        if let Some(c) = &f.condition {
                            if self.eval(c, bound, depth)? != Value::Bool(true) {
                                return Some(None);
                            }
                        }
                        let value = self.eval(&f.value, bound, depth)?;
                        let key = match &f.key {
                            Some(k) => Some(text(&self.eval(k, bound, depth)?)?),
                            None => None,
                        };
                        Some(Some((key, value)))
                    })();
                    bound.truncate(mark);
                    match item? {
                        Some((Some(key), value)) => {
                            object.insert(key, value);
                        }
                        Some((None, value)) => list.push(value),
                        None => {}
                    }
                }
                Some(if f.key.is_some() {
                    Value::Object(object)
                } else {
                    Value::Array(list)
                })
            }
            _ => None,
        }
    }

    fn traversal(
        &self,
        target: &Expression,
        ops: &[TraversalOp],
        bound: &mut Vec<(String, Value)>,
        depth: usize,
    ) -> Option<Value> {
        let (mut value, rest) = match (&target.kind, ops) {
            (ExprKind::Variable { name }, [TraversalOp::GetAttr { name: attr, .. }, rest @ ..])
                if lookup(bound, name).is_none() =>
            {
                let v = match name.as_str() {
                    "var" => self.values.variables.get(attr).cloned()?,
                    "local" => {
                        let e = self.values.locals.get(attr.as_str())?;
                        self.eval(e, &mut Vec::new(), depth + 1)?
                    }
                    "each" => match (self.instance?, attr.as_str()) {
                        (Instance::Each { key, .. }, "key") => key.clone(),
                        (Instance::Each { value, .. }, "value") => value.clone(),
                        _ => return None,
                    },
                    "count" => match (self.instance?, attr.as_str()) {
                        (Instance::Count(i), "index") => Value::from(*i),
                        _ => return None,
                    },
                    _ => return None,
                };
                (v, rest)
            }
            _ => (self.eval(target, bound, depth)?, ops),
        };
        for op in rest {
            value = match op {
                TraversalOp::GetAttr { name, .. } => value.get(name)?.clone(),
                TraversalOp::LegacyIndex { raw, .. } => {
                    value.get(raw.parse::<usize>().ok()?)?.clone()
                }
                TraversalOp::Index { key, .. } => match self.eval(key, bound, depth)? {
                    Value::String(k) => value.get(&k)?.clone(),
                    Value::Number(n) => value.get(usize::try_from(n.as_u64()?).ok()?)?.clone(),
                    _ => return None,
                },
                TraversalOp::AttrSplat { .. } | TraversalOp::FullSplat { .. } => return None,
            };
        }
        Some(value)
    }
}

/// A number as Terraform reads one: a number, or a string of one.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `x` as a JSON number: whole numbers as integers, as Terraform prints them.
fn number_value(x: f64) -> Option<Value> {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Some(Value::from(x as i64))
    } else {
        serde_json::Number::from_f64(x).map(Value::Number)
    }
}

/// A binary operator on two known values, as Terraform applies it; `None`
/// where Terraform would fail (a type it cannot convert, division by zero).
fn binary(op: BinaryOp, a: Value, b: Value) -> Option<Value> {
    let bool_of = |v: &Value| match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    };
    let numbers = || Some((number(&a)?, number(&b)?));
    Some(match op {
        BinaryOp::Eq => Value::Bool(a == b),
        BinaryOp::Ne => Value::Bool(a != b),
        BinaryOp::And => Value::Bool(bool_of(&a)? && bool_of(&b)?),
        BinaryOp::Or => Value::Bool(bool_of(&a)? || bool_of(&b)?),
        BinaryOp::Lt => numbers().map(|(x, y)| Value::Bool(x < y))?,
        BinaryOp::Le => numbers().map(|(x, y)| Value::Bool(x <= y))?,
        BinaryOp::Gt => numbers().map(|(x, y)| Value::Bool(x > y))?,
        BinaryOp::Ge => numbers().map(|(x, y)| Value::Bool(x >= y))?,
        BinaryOp::Add => numbers().and_then(|(x, y)| number_value(x + y))?,
        BinaryOp::Sub => numbers().and_then(|(x, y)| number_value(x - y))?,
        BinaryOp::Mul => numbers().and_then(|(x, y)| number_value(x * y))?,
        BinaryOp::Div => numbers()
            .filter(|(_, y)| *y != 0.0)
            .and_then(|(x, y)| number_value(x / y))?,
        BinaryOp::Mod => numbers()
            .filter(|(_, y)| *y != 0.0)
            .and_then(|(x, y)| number_value(x % y))?,
    })
}

fn lookup(bound: &[(String, Value)], name: &str) -> Option<Value> {
    bound
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

/// A scalar as a map key or string: Terraform converts numbers and
/// booleans to strings there.
pub(super) fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
