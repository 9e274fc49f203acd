//! Evaluates one HCL expression against a [`Scope`], with HCL's rules for
//! operators, conditionals, `for`, splats, indexes and templates.

use std::collections::BTreeMap;

use crate::hcl::{
    BinaryOp, DirectiveTag, ExprKind, Expression, ForExpr, Span, TemplatePart, TraversalOp, UnaryOp,
};

use super::convert::{convert, unify};
use super::functions;
use super::number::Number;
use super::value::{Kind, Type, Value};
use super::{EvalError, Scope};

type R = Result<Value, EvalError>;

pub(super) fn error(summary: &str, detail: impl Into<String>, span: Span) -> EvalError {
    EvalError {
        summary: summary.to_string(),
        detail: detail.into(),
        span,
    }
}

/// An expression's evaluation: the scope and the names `for` expressions
/// and template loops bind, innermost last.
pub(super) struct Evaluator<'s> {
    pub scope: &'s Scope,
    pub bound: Vec<(String, Value)>,
    /// `for` and template `for` steps taken so far, against
    /// [`MAX_ITERATIONS`].
    iterations: usize,
}

/// The `for` steps (of expressions and templates together) one evaluation
/// may take. Terraform has no such limit, but three nested loops over
/// `range(1024)` take a billion steps and as many values (two take a
/// million, which stays within it): a configuration written by a model
/// must not hang or exhaust the process evaluating it.
pub(super) const MAX_ITERATIONS: usize = 1 << 21;

impl<'s> Evaluator<'s> {
    pub fn new(scope: &'s Scope, bound: Vec<(String, Value)>) -> Self {
        Evaluator {
            scope,
            bound,
            iterations: 0,
        }
    }

    /// Counts one `for` step at `span`; past [`MAX_ITERATIONS`] an error.
    fn step(&mut self, span: Span) -> Result<(), EvalError> {
        self.iterations += 1;
        if self.iterations > MAX_ITERATIONS {
            return Err(error(
                "Too many iterations",
                format!(
                    "This expression takes more than {MAX_ITERATIONS} 'for' steps, more than infrarag evaluates."
                ),
                span,
            ));
        }
        Ok(())
    }
    pub fn eval(&mut self, e: &Expression) -> R {
        match &e.kind {
            ExprKind::Null => Ok(Value::null()),
            ExprKind::Bool { value } => Ok(Value::bool(*value)),
            ExprKind::Number { raw } => Number::parse(raw).map(Value::number).ok_or_else(|| {
                error(
                    "Invalid number literal",
                    format!("Cannot read {raw:?} as a number."),
                    e.span,
                )
            }),
            ExprKind::Template(t) => {
                if let Some(plain) = t.as_plain_string() {
                    return Ok(Value::string(plain));
                }
                let parts = strip(&t.parts, false, false);
                // A template that is one interpolation alone is its value.
                if let [TemplatePart::Interpolation { expr, .. }] = parts.as_slice() {
                    return self.eval(expr);
                }
                self.template(&parts)
            }
            ExprKind::Tuple { items } => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.eval(item)?);
                }
                Ok(Value::tuple(out))
            }
            ExprKind::Object { items } => {
                let mut out = BTreeMap::new();
                let mut sensitive = false;
                let mut unknown_key = false;
                for item in items {
                    let key = match &item.key.kind {
                        ExprKind::Variable { name } => Value::string(name.clone()),
                        _ => self.eval(&item.key)?,
                    };
                    let value = self.eval(&item.value)?;
                    if key.is_unknown() {
                        unknown_key = true;
                        continue;
                    }
                    if key.is_null() {
                        return Err(error(
                            "Null value as key",
                            "Can't use a null value as a key.",
                            item.key.span,
                        ));
                    }
                    sensitive |= key.sensitive;
                    let key = convert(&key, &Type::String).map_err(|_| {
                        error(
                            "Incorrect key type",
                            "Can't use this value as a key: string required.",
                            item.key.span,
                        )
                    })?;
                    out.insert(key.as_str().unwrap_or_default().to_string(), value);
                }
                if unknown_key {
                    return Ok(Value::unknown(Type::Dynamic).mark(sensitive));
                }
                Ok(Value::object(out).mark(sensitive))
            }
            ExprKind::Variable { name } => self.variable(name, e.span),
            ExprKind::FunctionCall {
                name,
                args,
                expand_final,
            } if name == "try" || name == "can" => self.try_can(name == "can", args, e.span),
            ExprKind::FunctionCall {
                name,
                args,
                expand_final,
            } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a)?);
                }
                functions::call(name, values, *expand_final, e.span, args)
            }
            ExprKind::Traversal { target, ops } => {
                // `var.x` and `local.x` read the one value, rather than
                // building the whole `var` object for every reference.
                if let (
                    ExprKind::Variable { name },
                    Some(TraversalOp::GetAttr { name: attr, .. }),
                ) = (&target.kind, ops.first())
                {
                    let shadowed = self.bound.iter().any(|(n, _)| n == name);
                    if let Some(v) = self.scope.member(name, attr).filter(|_| !shadowed) {
                        return self.steps(v.clone(), &ops[1..]);
                    }
                }
                let v = self.eval(target)?;
                self.steps(v, ops)
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand)?;
                unary(*op, v, operand.span)
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => self.conditional(condition, then, otherwise),
            ExprKind::For(f) => self.for_expr(f, e.span),
            ExprKind::Parens { inner } => self.eval(inner),
            ExprKind::Invalid => Err(error(
                "Invalid expression",
                "The expression did not parse.",
                e.span,
            )),
        }
    }

    /// `try(a, b, ...)`: the first argument that evaluates without error;
    /// `can(x)`: whether `x` does. An argument not wholly known decides
    /// nothing yet, so the result is unknown.
    fn try_can(&mut self, can: bool, args: &[Expression], span: Span) -> R {
        if args.is_empty() || (can && args.len() != 1) {
            let detail = if can {
                "Function \"can\" expects 1 argument(s)."
            } else {
                "Function \"try\" expects at least 1 argument(s)."
            };
            let summary = if args.is_empty() {
                "Not enough function arguments"
            } else {
                "Too many function arguments"
            };
            return Err(error(summary, detail, span));
        }
        let mut last = None;
        for a in args {
            match self.eval(a) {
                Ok(v) if !v.is_wholly_known() => {
                    return Ok(Value::unknown(if can { Type::Bool } else { Type::Dynamic }))
                }
                Ok(v) => return Ok(if can { Value::bool(true) } else { v }),
                Err(_) if can => return Ok(Value::bool(false)),
                Err(err) => last = Some(err),
            }
        }
        Err(last.map_or_else(
            || error("Error in function call", "Call to function \"try\" failed: no expression succeeded.", span),
            |e| error(
                "Error in function call",
                format!("Call to function \"try\" failed: no expression succeeded:\n- {} (at {}:{})\n  {}\n\nAt least one expression must produce a successful result.", e.summary, e.span.start.line, e.span.start.column, e.detail),
                span,
            ),
        ))
    }

    /// Runs `f` with a loop's key and value variables bound (the key
    /// only when the loop names one), as `for` and `%{ for }` bind them.
    fn binding<T>(
        &mut self,
        key_var: Option<&str>,
        value_var: &str,
        key: Value,
        value: Value,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let depth = self.bound.len();
        if let Some(kv) = key_var {
            self.bound.push((kv.to_string(), key));
        }
        self.bound.push((value_var.to_string(), value));
        let out = f(self);
        self.bound.truncate(depth);
        out
    }

    fn variable(&self, name: &str, span: Span) -> R {
        if let Some((_, v)) = self.bound.iter().rev().find(|(n, _)| n == name) {
            return Ok(v.clone());
        }
        self.scope.root(name).ok_or_else(|| {
            error(
                "Unknown variable",
                format!("There is no variable named {name:?}."),
                span,
            )
        })
    }

    fn steps(&mut self, mut v: Value, ops: &[TraversalOp]) -> R {
        for (i, op) in ops.iter().enumerate() {
            match op {
                TraversalOp::GetAttr { name, span } => v = get_attr(&v, name, *span)?,
                TraversalOp::Index { key, span } => {
                    let k = self.eval(key)?;
                    v = index(&v, &k, *span)?;
                }
                TraversalOp::LegacyIndex { raw, span } => {
                    let k = Number::parse(raw)
                        .map(Value::number)
                        .unwrap_or_else(Value::null);
                    v = index(&v, &k, *span)?;
                }
                TraversalOp::AttrSplat { ops: inner, span }
                | TraversalOp::FullSplat { ops: inner, span } => {
                    v = self.splat(v, inner, *span)?;
                    // The splat's own steps are inside it; any after apply
                    // to its result.
                    return self.steps(v, &ops[i + 1..]);
                }
            }
        }
        Ok(v)
    }

    fn splat(&mut self, source: Value, ops: &[TraversalOp], span: Span) -> R {
        let sensitive = source.sensitive;
        let ty = source.ty();
        if source.is_unknown() {
            return Ok(Value::unknown(Type::Dynamic).mark(sensitive));
        }
        let collection = matches!(ty, Type::List(_) | Type::Set(_) | Type::Tuple(_));
        if source.is_null() {
            if !collection {
                return Ok(Value::tuple(Vec::new()).mark(sensitive));
            }
            return Err(error(
                "Splat of null value",
                "Splat expressions (with the * symbol) cannot be applied to null sequences.",
                span,
            ));
        }
        let items: Vec<Value> = match &source.kind {
            Kind::List(_, v) | Kind::Set(_, v) | Kind::Tuple(v) => v.clone(),
            _ => vec![source.clone()],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.steps(item, ops)?);
        }
        let result = match ty {
            Type::List(_) | Type::Set(_) => {
                let types: Vec<Type> = out.iter().map(Value::ty).collect();
                match unify(&types) {
                    Some(t) if !out.is_empty() => {
                        let conv: Result<Vec<Value>, String> =
                            out.iter().map(|v| convert(v, &t)).collect();
                        match conv {
                            Ok(items) => Value::list(t, items),
                            Err(_) => Value::tuple(out),
                        }
                    }
                    _ if out.is_empty() => Value::list(Type::Dynamic, out),
                    _ => Value::tuple(out),
                }
            }
            _ => Value::tuple(out),
        };
        Ok(result.mark(sensitive))
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expression, rhs: &Expression) -> R {
        let a = self.eval(lhs)?;
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let a = operand(&a, &Type::Bool, "left", lhs.span)?;
            // HCL decides `false && x` and `true || x` without x's value,
            // but x must still be a valid expression.
            if let Some(b) = a.as_bool() {
                if (op == BinaryOp::And && !b) || (op == BinaryOp::Or && b) {
                    let rv = self.eval(rhs)?;
                    operand(&rv, &Type::Bool, "right", rhs.span)?;
                    return Ok(Value::bool(b).mark(a.sensitive));
                }
            }
            let b = self.eval(rhs)?;
            let b = operand(&b, &Type::Bool, "right", rhs.span)?;
            let sensitive = a.sensitive || b.sensitive;
            return Ok(match (a.as_bool(), b.as_bool()) {
                (Some(x), Some(y)) => {
                    Value::bool(if op == BinaryOp::And { x && y } else { x || y })
                }
                _ => Value::unknown(Type::Bool),
            }
            .mark(sensitive));
        }
        let b = self.eval(rhs)?;
        let span = lhs.span.to(rhs.span);
        if matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            return Ok(equal(&a, &b, op == BinaryOp::Ne));
        }
        let a = operand(&a, &Type::Number, "left", lhs.span)?;
        let b = operand(&b, &Type::Number, "right", rhs.span)?;
        let sensitive = a.sensitive || b.sensitive;
        let (Some(x), Some(y)) = (a.as_number(), b.as_number()) else {
            let t = if matches!(
                op,
                BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le
            ) {
                Type::Bool
            } else {
                Type::Number
            };
            return Ok(Value::unknown(t).mark(sensitive));
        };
        let nan = |_| {
            error(
                "Error in function call",
                "Call to function failed: the result is not a number.",
                span,
            )
        };
        let v = match op {
            BinaryOp::Add => Value::number(x.add(y).map_err(nan)?),
            BinaryOp::Sub => Value::number(x.sub(y).map_err(nan)?),
            BinaryOp::Mul => Value::number(x.mul(y).map_err(nan)?),
            BinaryOp::Div => Value::number(x.div(y).map_err(|_| {
                error(
                    "Operation failed",
                    "Error during operation: can't divide zero by zero or infinity by infinity.",
                    span,
                )
            })?),
            BinaryOp::Mod => Value::number(x.rem(y).map_err(nan)?),
            BinaryOp::Gt => Value::bool(x > y),
            BinaryOp::Ge => Value::bool(x >= y),
            BinaryOp::Lt => Value::bool(x < y),
            BinaryOp::Le => Value::bool(x <= y),
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or => unreachable_op(),
        };
        Ok(v.mark(sensitive))
    }

    fn conditional(&mut self, c: &Expression, t: &Expression, f: &Expression) -> R {
        let then = self.eval(t);
        let otherwise = self.eval(f);
        let ty_of = |r: &R| r.as_ref().map(Value::ty).unwrap_or(Type::Dynamic);
        let null_dynamic = |r: &R| {
            matches!(
                r,
                Ok(Value {
                    kind: Kind::Null(Type::Dynamic),
                    ..
                })
            )
        };
        let (tt, ft) = (ty_of(&then), ty_of(&otherwise));
        let result_type = if null_dynamic(&then) {
            Some(ft.clone())
        } else if null_dynamic(&otherwise) {
            Some(tt.clone())
        } else if tt == Type::Dynamic || ft == Type::Dynamic {
            Some(Type::Dynamic)
        } else {
            unify(&[tt.clone(), ft.clone()])
        };
        let Some(result_type) = result_type else {
            return Err(error(
                "Inconsistent conditional result types",
                format!(
                    "The true and false result expressions must have consistent types. The 'true' value is {}, but the 'false' value is {}.",
                    tt.friendly(),
                    ft.friendly()
                ),
                c.span.to(f.span),
            ));
        };
        let cond = self.eval(c)?;
        if cond.is_null() {
            return Err(error(
                "Null condition",
                "The condition value is null. Conditions must either be true or false.",
                c.span,
            ));
        }
        let cond = convert(&cond, &Type::Bool).map_err(|e| {
            error(
                "Incorrect condition type",
                format!("The condition expression must be of type bool: {e}."),
                c.span,
            )
        })?;
        let marks = cond.sensitive
            || then.as_ref().is_ok_and(|v| v.sensitive)
            || otherwise.as_ref().is_ok_and(|v| v.sensitive);
        let chosen = match cond.as_bool() {
            None => return Ok(Value::unknown(result_type).mark(marks)),
            Some(true) => then?,
            Some(false) => otherwise?,
        };
        let out = convert(&chosen, &result_type).map_err(|e| {
            error(
                "Inconsistent conditional result types",
                format!(
                    "The result value cannot be converted to {}: {e}.",
                    result_type.friendly()
                ),
                c.span.to(f.span),
            )
        })?;
        Ok(out.mark(marks))
    }

    fn for_expr(&mut self, f: &ForExpr, span: Span) -> R {
        let coll = self.eval(&f.collection)?;
        if coll.is_null() {
            return Err(error(
                "Iteration over null value",
                "A null value cannot be used as the collection in a 'for' expression.",
                f.collection.span,
            ));
        }
        if coll.is_unknown() {
            return Ok(Value::unknown(Type::Dynamic).mark(coll.sensitive));
        }
        let pairs = iterate(&coll).ok_or_else(|| {
            error(
                "Iteration over non-iterable value",
                format!(
                    "A value of type {} cannot be used as the collection in a 'for' expression.",
                    coll.ty().friendly()
                ),
                f.collection.span,
            )
        })?;
        let mut sensitive = coll.sensitive;
        let mut items = Vec::new();
        let mut entries: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in pairs {
            self.step(span)?;
            self.binding(f.key_var.as_deref(), &f.value_var, k, v, |me| {
                me.for_step(
                    f,
                    &mut items,
                    &mut entries,
                    &mut sensitive,
                    &mut unknown,
                    span,
                )
            })?;
        }
        if unknown {
            return Ok(Value::unknown(Type::Dynamic).mark(sensitive));
        }
        let out = if f.key.is_some() {
            let mut m = BTreeMap::new();
            for (k, mut vs) in entries {
                let v = if f.grouping {
                    Value::tuple(vs)
                } else {
                    vs.pop().unwrap_or_else(Value::null)
                };
                m.insert(k, v);
            }
            Value::object(m)
        } else {
            Value::tuple(items)
        };
        Ok(out.mark(sensitive))
    }

    fn for_step(
        &mut self,
        f: &ForExpr,
        items: &mut Vec<Value>,
        entries: &mut BTreeMap<String, Vec<Value>>,
        sensitive: &mut bool,
        unknown: &mut bool,
        span: Span,
    ) -> Result<(), EvalError> {
        if let Some(c) = &f.condition {
            let cv = self.eval(c)?;
            if cv.is_null() {
                return Err(error(
                    "Condition is null",
                    "The value of the 'if' clause must not be null.",
                    c.span,
                ));
            }
            let cv = convert(&cv, &Type::Bool).map_err(|e| {
                error(
                    "Invalid 'for' condition",
                    format!("The 'if' clause value is invalid: {e}."),
                    c.span,
                )
            })?;
            *sensitive |= cv.sensitive;
            match cv.as_bool() {
                None => {
                    *unknown = true;
                    return Ok(());
                }
                Some(false) => return Ok(()),
                Some(true) => {}
            }
        }
        let value = self.eval(&f.value)?;
        let Some(key_expr) = &f.key else {
            items.push(value);
            return Ok(());
        };
        let key = self.eval(key_expr)?;
        if key.is_null() {
            return Err(error(
                "Invalid object key",
                "Key expression in 'for' expression must not produce a null value.",
                key_expr.span,
            ));
        }
        if key.is_unknown() {
            *unknown = true;
            return Ok(());
        }
        *sensitive |= key.sensitive;
        let key = convert(&key, &Type::String).map_err(|e| {
            error(
                "Invalid object key",
                format!("The key expression produced an invalid result: {e}."),
                key_expr.span,
            )
        })?;
        let k = key.as_str().unwrap_or_default().to_string();
        if !f.grouping && entries.contains_key(&k) {
            return Err(error(
                "Duplicate object key",
                format!(
                    "Two different items produced the key {k:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key."
                ),
                span,
            ));
        }
        entries.entry(k).or_default().push(value);
        Ok(())
    }

    fn template(&mut self, parts: &[TemplatePart]) -> R {
        let mut out = String::new();
        let mut sensitive = false;
        let mut unknown = false;
        self.template_into(parts, &mut out, &mut sensitive, &mut unknown)?;
        if unknown {
            return Ok(Value::unknown(Type::String).mark(sensitive));
        }
        Ok(Value::string(out).mark(sensitive))
    }

    fn template_into(
        &mut self,
        parts: &[TemplatePart],
        out: &mut String,
        sensitive: &mut bool,
        unknown: &mut bool,
    ) -> Result<(), EvalError> {
        for part in parts {
            match part {
                TemplatePart::Literal { value, .. } => out.push_str(value),
                TemplatePart::Interpolation { expr, .. } => {
                    let v = self.eval(expr)?;
                    if v.is_null() {
                        return Err(error(
                            "Invalid template interpolation value",
                            "The expression result is null. Cannot include a null value in a string template.",
                            expr.span,
                        ));
                    }
                    *sensitive |= v.sensitive;
                    let s = convert(&v, &Type::String).map_err(|e| {
                        error(
                            "Invalid template interpolation value",
                            format!("Cannot include the given value in a string template: {e}."),
                            expr.span,
                        )
                    })?;
                    match s.as_str() {
                        Some(text) if out.len() + text.len() > functions::MAX_STRING => {
                            return Err(error(
                                "String too long",
                                format!(
                                    "This template makes a string of more than {} bytes, more than infrarag builds.",
                                    functions::MAX_STRING
                                ),
                                expr.span,
                            ));
                        }
                        Some(text) => out.push_str(text),
                        None => *unknown = true,
                    }
                }
                TemplatePart::If {
                    condition,
                    then,
                    otherwise,
                    ..
                } => {
                    let c = self.eval(condition)?;
                    if c.is_null() {
                        return Err(error(
                            "Invalid template if condition value",
                            "The condition value is null. Conditions must either be true or false.",
                            condition.span,
                        ));
                    }
                    let c = convert(&c, &Type::Bool).map_err(|e| {
                        error(
                            "Invalid template if condition value",
                            format!("The result of the condition expression must be a boolean value: {e}."),
                            condition.span,
                        )
                    })?;
                    *sensitive |= c.sensitive;
                    match c.as_bool() {
                        None => *unknown = true,
                        Some(true) => self.template_into(then, out, sensitive, unknown)?,
                        Some(false) => {
                            if let Some(o) = otherwise {
                                self.template_into(o, out, sensitive, unknown)?;
                            }
                        }
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    ..
                } => {
                    let coll = self.eval(collection)?;
                    if coll.is_null() {
                        return Err(error(
                            "Invalid template for collection value",
                            "The collection value is null.",
                            collection.span,
                        ));
                    }
                    if coll.is_unknown() {
                        *unknown = true;
                        continue;
                    }
                    *sensitive |= coll.sensitive;
                    let pairs = iterate(&coll).ok_or_else(|| {
                        error(
                            "Invalid template for collection value",
                            "The collection value must be a list, set, tuple, map or object.",
                            collection.span,
                        )
                    })?;
                    for (k, v) in pairs {
                        self.step(collection.span)?;
                        self.binding(key_var.as_deref(), value_var, k, v, |me| {
                            me.template_into(body, out, sensitive, unknown)
                        })?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn unreachable_op() -> Value {
    Value::unknown(Type::Dynamic)
}

/// The (key, value) pairs a `for` walks: indexes of sequences, the
/// element itself for sets, keys of maps and objects.
pub(crate) fn iterate(v: &Value) -> Option<Vec<(Value, Value)>> {
    Some(match &v.kind {
        Kind::List(_, items) | Kind::Tuple(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| (Value::int(i as i64), x.clone()))
            .collect(),
        Kind::Set(_, items) => items.iter().map(|x| (x.clone(), x.clone())).collect(),
        Kind::Map(_, m) | Kind::Object(m) => m
            .iter()
            .map(|(k, x)| (Value::string(k.clone()), x.clone()))
            .collect(),
        _ => return None,
    })
}

fn operand(v: &Value, t: &Type, side: &str, span: Span) -> R {
    if v.is_null() {
        return Err(error(
            "Invalid operand",
            format!(
                "Unsuitable value for {side} operand: a {} is required.",
                t.friendly()
            ),
            span,
        ));
    }
    convert(v, t).map_err(|e| {
        error(
            "Invalid operand",
            format!("Unsuitable value for {side} operand: {e}."),
            span,
        )
    })
}

fn unary(op: UnaryOp, v: Value, span: Span) -> R {
    let t = match op {
        UnaryOp::Negate => Type::Number,
        UnaryOp::Not => Type::Bool,
    };
    let v = operand(&v, &t, "unary", span)?;
    let sensitive = v.sensitive;
    Ok(match (&v.kind, op) {
        (Kind::Number(n), UnaryOp::Negate) => Value::number(n.neg()),
        (Kind::Bool(b), UnaryOp::Not) => Value::bool(!b),
        _ => Value::unknown(t),
    }
    .mark(sensitive))
}

/// `a == b` (or `!=`): unknown when either side is; otherwise equal type
/// and content.
pub(super) fn equal(a: &Value, b: &Value, negate: bool) -> Value {
    let sensitive = a.has_sensitive() || b.has_sensitive();
    if !a.is_wholly_known() || !b.is_wholly_known() {
        return Value::unknown(Type::Bool).mark(sensitive);
    }
    let (a, _) = a.unmark_deep();
    let (b, _) = b.unmark_deep();
    let eq = if a.is_null() || b.is_null() {
        a.is_null() && b.is_null()
    } else {
        a.ty() == b.ty() && a.equals_raw(&b)
    };
    Value::bool(eq != negate).mark(sensitive)
}

pub(super) fn get_attr(v: &Value, name: &str, span: Span) -> R {
    let sensitive = v.sensitive;
    if v.is_null() {
        return Err(error(
            "Attempt to get attribute from null value",
            "This value is null, so it does not have any attributes.",
            span,
        ));
    }
    match &v.kind {
        Kind::Unknown(Type::Object(attrs)) => match attrs.get(name) {
            Some(t) => Ok(Value::unknown(t.clone()).mark(sensitive)),
            None => Err(unsupported(name, span)),
        },
        Kind::Unknown(Type::Map(e)) => Ok(Value::unknown((**e).clone()).mark(sensitive)),
        Kind::Unknown(Type::Dynamic) => Ok(Value::unknown(Type::Dynamic).mark(sensitive)),
        Kind::Object(m) => m
            .get(name)
            .map(|x| x.clone().mark(sensitive))
            .ok_or_else(|| unsupported(name, span)),
        Kind::Map(_, m) => m
            .get(name)
            .map(|x| x.clone().mark(sensitive))
            .ok_or_else(|| {
                error(
                    "Missing map element",
                    format!("This map does not have an element with the key {name:?}."),
                    span,
                )
            }),
        _ => Err(error(
            "Unsupported attribute",
            "This value does not have any attributes.",
            span,
        )),
    }
}

fn unsupported(name: &str, span: Span) -> EvalError {
    error(
        "Unsupported attribute",
        format!("This object does not have an attribute named {name:?}."),
        span,
    )
}

pub(super) fn index(v: &Value, key: &Value, span: Span) -> R {
    let sensitive = v.sensitive || key.sensitive;
    if v.is_null() {
        return Err(error(
            "Attempt to index null value",
            "This value is null, so it does not have any indices.",
            span,
        ));
    }
    if key.is_null() {
        return Err(error(
            "Invalid index",
            "Can't use a null value as an indexing key.",
            span,
        ));
    }
    let invalid = || {
        error(
            "Invalid index",
            "The given key does not identify an element in this collection value.",
            span,
        )
    };
    if key.is_unknown() || v.is_unknown() {
        let t = match v.ty() {
            Type::List(e) | Type::Map(e) => *e,
            _ => Type::Dynamic,
        };
        return Ok(Value::unknown(t).mark(sensitive));
    }
    match &v.kind {
        Kind::List(_, items) | Kind::Tuple(items) => {
            let k = convert(key, &Type::Number).map_err(|_| {
                error(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: number required.",
                    span,
                )
            })?;
            let n = k.as_number().ok_or_else(invalid)?;
            if !n.is_integer() {
                return Err(error(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: the given index is not an integer.",
                    span,
                ));
            }
            let i = n.to_i64().filter(|i| *i >= 0).ok_or_else(|| {
                error(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: a negative number is not a valid index for a sequence.",
                    span,
                )
            })?;
            items
                .get(i as usize)
                .map(|x| x.clone().mark(sensitive))
                .ok_or_else(|| {
                    error(
                        "Invalid index",
                        "The given key does not identify an element in this collection value: the collection has no elements at this index.",
                        span,
                    )
                })
        }
        Kind::Map(_, m) | Kind::Object(m) => {
            let k = convert(key, &Type::String).map_err(|_| {
                error(
                    "Invalid index",
                    "The given key does not identify an element in this collection value: string required.",
                    span,
                )
            })?;
            let k = k.as_str().unwrap_or_default();
            m.get(k).map(|x| x.clone().mark(sensitive)).ok_or_else(|| {
                if matches!(v.kind, Kind::Object(_)) {
                    error(
                        "Invalid index",
                        format!("The given key does not identify an element in this collection value: this object does not have an attribute named {k:?}."),
                        span,
                    )
                } else {
                    invalid()
                }
            })
        }
        Kind::Set(..) => Err(error(
            "Invalid index",
            "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.",
            span,
        )),
        _ => Err(error(
            "Invalid index",
            "This value does not have any indices.",
            span,
        )),
    }
}

/// The template's parts with the whitespace `~` markers strip removed
/// from the literals beside them, as HCL strips it while parsing.
fn strip(parts: &[TemplatePart], first: bool, last: bool) -> Vec<TemplatePart> {
    let right = |p: &TemplatePart| match p {
        TemplatePart::Interpolation { strip_right, .. } => *strip_right,
        TemplatePart::If { close, .. } | TemplatePart::For { close, .. } => {
            close.is_some_and(|t| t.strip_right)
        }
        TemplatePart::Literal { .. } => false,
    };
    let left = |p: &TemplatePart| match p {
        TemplatePart::Interpolation { strip_left, .. } => *strip_left,
        TemplatePart::If { open, .. } | TemplatePart::For { open, .. } => open.strip_left,
        TemplatePart::Literal { .. } => false,
    };
    let n = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| match p {
            TemplatePart::Literal { raw, value, span } => {
                let mut v = value.as_str();
                if (i == 0 && first) || (i > 0 && right(&parts[i - 1])) {
                    v = v.trim_start();
                }
                if (i + 1 == n && last) || (i + 1 < n && left(&parts[i + 1])) {
                    v = v.trim_end();
                }
                TemplatePart::Literal {
                    raw: raw.clone(),
                    value: v.to_string(),
                    span: *span,
                }
            }
            TemplatePart::If {
                condition,
                then,
                otherwise,
                open,
                else_tag,
                close,
                span,
            } => {
                let end_then = else_tag.map_or(close_left(close), |t| t.strip_left);
                TemplatePart::If {
                    condition: condition.clone(),
                    then: strip(then, open.strip_right, end_then),
                    otherwise: otherwise.as_ref().map(|o| {
                        strip(
                            o,
                            else_tag.is_some_and(|t| t.strip_right),
                            close_left(close),
                        )
                    }),
                    open: *open,
                    else_tag: *else_tag,
                    close: *close,
                    span: *span,
                }
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                open,
                close,
                span,
            } => TemplatePart::For {
                key_var: key_var.clone(),
                value_var: value_var.clone(),
                collection: collection.clone(),
                body: strip(body, open.strip_right, close_left(close)),
                open: *open,
                close: *close,
                span: *span,
            },
            other => other.clone(),
        })
        .collect()
}

fn close_left(close: &Option<DirectiveTag>) -> bool {
    close.is_some_and(|t| t.strip_left)
}
