//! Constant folding of the expressions Terraform can know without running:
//! literals, plain strings, tuples and objects of them, and negated numbers.

use serde_json::{Map, Number, Value};

use crate::hcl::{ExprKind, Expression, UnaryOp};

/// The JSON value of a constant expression, or `None` when it depends on
/// anything (references, functions, interpolations).
pub fn constant_value(e: &Expression) -> Option<Value> {
    Some(match &e.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool { value } => Value::Bool(*value),
        ExprKind::Number { raw } => number(raw, false)?,
        ExprKind::Template(t) => Value::String(t.as_plain_string()?),
        ExprKind::Tuple { items } => {
            Value::Array(items.iter().map(constant_value).collect::<Option<_>>()?)
        }
        ExprKind::Object { items } => {
            let mut m = Map::new();
            for item in items {
                let key = match &item.key.kind {
                    ExprKind::Variable { name } => name.clone(),
                    _ => match constant_value(&item.key)? {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => return None,
                    },
                };
                m.insert(key, constant_value(&item.value)?);
            }
            Value::Object(m)
        }
        ExprKind::Unary {
            op: UnaryOp::Negate,
            operand,
        } => match &operand.kind {
            ExprKind::Number { raw } => number(raw, true)?,
            _ => return None,
        },
        ExprKind::Parens { inner } => constant_value(inner)?,
        _ => return None,
    })
}

/// An object key written as a literal: a bare name or a plain string
/// (parenthesised keys are expressions, but their text is still known).
pub fn literal_key(key: &Expression) -> Option<String> {
    match &key.kind {
        ExprKind::Variable { name } => Some(name.clone()),
        ExprKind::Template(t) => t.as_plain_string(),
        ExprKind::Parens { inner } => literal_key(inner),
        _ => None,
    }
}

fn number(raw: &str, negate: bool) -> Option<Value> {
    let sign = if negate { "-" } else { "" };
    if let Ok(i) = format!("{sign}{raw}").parse::<i64>() {
        return Some(Value::Number(i.into()));
    }
    let f: f64 = format!("{sign}{raw}").parse().ok()?;
    Number::from_f64(f).map(Value::Number)
}
