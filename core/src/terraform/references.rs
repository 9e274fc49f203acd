//! Finds what a declaration refers to: `var.x`, `local.y`, resources, data
//! sources, module outputs and meta-arguments, honouring `for` and `dynamic`
//! iterator scopes so iteration variables are not mistaken for resources.

use serde::Serialize;

use super::DeclarationKind;
use crate::hcl::{Body, ExprKind, Expression, Span, TemplatePart, TraversalOp};

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReferenceKind {
    /// `var.name`.
    Variable,
    /// `local.name`.
    Local,
    /// `type.name` of a managed resource.
    Resource,
    /// `data.type.name`.
    Data,
    /// `ephemeral.type.name`.
    Ephemeral,
    /// `module.name`.
    Module,
    /// `provider::name::function`.
    Provider,
    /// `count.*`, `each.*`, `self.*`, `path.*`, `terraform.*`.
    Meta,
}

/// One reference made by an expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// What kind of object it refers to.
    pub kind: ReferenceKind,
    /// The address referred to: `var.region`, `aws_s3_bucket.logs`,
    /// `module.vpc`, `data.aws_ami.ubuntu`, `count.index`.
    pub subject: String,
    /// The attribute read after the subject, if any (`arn`, a module output).
    pub attribute: Option<String>,
    /// The subject as written (`var.region`, `aws_s3_bucket.logs`), and for
    /// a module the output read (`module.vpc.id`), as Terraform reports it.
    pub span: Span,
}

/// References made anywhere in a declaration body.
pub fn in_body(body: &Body, kind: DeclarationKind) -> Vec<Reference> {
    let mut cx = Collector::default();
    cx.body(body, kind == DeclarationKind::Variable, true);
    cx.out
}

/// References made by one expression.
pub fn in_expression(e: &Expression) -> Vec<Reference> {
    let mut cx = Collector::default();
    cx.expr(e);
    cx.out
}

#[derive(Default)]
struct Collector {
    scope: Vec<String>,
    out: Vec<Reference>,
}

impl Collector {
    fn body(&mut self, body: &Body, is_variable: bool, top: bool) {
        for attr in body.attributes() {
            match attr.name.as_str() {
                // A variable's type constraint names types, not objects.
                "type" if is_variable && top => {}
                "provider" if top => self.provider_ref(&attr.expr),
                "providers" if top => {
                    if let ExprKind::Object { items } = &attr.expr.kind {
                        for item in items {
                            self.provider_ref(&item.value);
                        }
                    }
                }
                _ => self.expr(&attr.expr),
            }
        }
        for block in body.blocks() {
            if block.kind == "dynamic" {
                let iterator = block
                    .body
                    .attribute("iterator")
                    .and_then(|a| match &a.expr.kind {
                        ExprKind::Variable { name } => Some(name.clone()),
                        _ => None,
                    })
                    .or_else(|| block.labels.first().map(|l| l.value.clone()));
                for attr in block.body.attributes() {
                    if attr.name != "iterator" {
                        self.expr(&attr.expr);
                    }
                }
                let pushed = iterator.is_some();
                if let Some(it) = iterator {
                    self.scope.push(it);
                }
                for inner in block.body.blocks() {
                    self.body(&inner.body, false, false);
                }
                if pushed {
                    self.scope.pop();
                }
            } else {
                self.body(&block.body, false, false);
            }
        }
    }

    fn provider_ref(&mut self, e: &Expression) {
        let text = match &e.kind {
            ExprKind::Variable { name } => name.clone(),
            ExprKind::Traversal { target, ops } => match (&target.kind, ops.as_slice()) {
                (ExprKind::Variable { name }, [TraversalOp::GetAttr { name: alias, .. }]) => {
                    format!("{name}.{alias}")
                }
                _ => return self.expr(e),
            },
            _ => return self.expr(e),
        };
        self.out.push(Reference {
            kind: ReferenceKind::Provider,
            subject: format!("provider.{text}"),
            attribute: None,
            span: e.span,
        });
    }

    fn expr(&mut self, e: &Expression) {
        match &e.kind {
            ExprKind::Variable { name } => self.root(name, &[], e.span),
            ExprKind::Traversal { target, ops } => {
                if let ExprKind::Variable { name } = &target.kind {
                    self.root(name, ops, e.span);
                } else {
                    self.expr(target);
                }
                self.ops(ops);
            }
            ExprKind::For(f) => {
                self.expr(&f.collection);
                let n = self.push_vars(f.key_var.as_deref(), &f.value_var);
                if let Some(k) = &f.key {
                    self.expr(k);
                }
                self.expr(&f.value);
                if let Some(c) = &f.condition {
                    self.expr(c);
                }
                self.scope.truncate(self.scope.len() - n);
            }
            ExprKind::Template(t) => self.parts(&t.parts),
            ExprKind::Tuple { items } => items.iter().for_each(|i| self.expr(i)),
            ExprKind::Object { items } => {
                for item in items {
                    // A bare-name key is a literal key, not a reference.
                    if !matches!(item.key.kind, ExprKind::Variable { .. }) {
                        self.expr(&item.key);
                    }
                    self.expr(&item.value);
                }
            }
            ExprKind::FunctionCall { args, .. } => args.iter().for_each(|a| self.expr(a)),
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                self.expr(condition);
                self.expr(then);
                self.expr(otherwise);
            }
            ExprKind::Parens { inner } => self.expr(inner),
            ExprKind::Null
            | ExprKind::Bool { .. }
            | ExprKind::Number { .. }
            | ExprKind::Invalid => {}
        }
    }

    fn push_vars(&mut self, key: Option<&str>, value: &str) -> usize {
        self.scope.push(value.to_string());
        match key {
            Some(k) => {
                self.scope.push(k.to_string());
                2
            }
            None => 1,
        }
    }

    fn ops(&mut self, ops: &[TraversalOp]) {
        for op in ops {
            match op {
                TraversalOp::Index { key, .. } => self.expr(key),
                TraversalOp::AttrSplat { ops, .. } | TraversalOp::FullSplat { ops, .. } => {
                    self.ops(ops)
                }
                TraversalOp::GetAttr { .. } | TraversalOp::LegacyIndex { .. } => {}
            }
        }
    }

    fn parts(&mut self, parts: &[TemplatePart]) {
        for p in parts {
            match p {
                TemplatePart::Literal { .. } => {}
                TemplatePart::Interpolation { expr, .. } => self.expr(expr),
                TemplatePart::If {
                    condition,
                    then,
                    otherwise,
                    ..
                } => {
                    self.expr(condition);
                    self.parts(then);
                    if let Some(o) = otherwise {
                        self.parts(o);
                    }
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    ..
                } => {
                    self.expr(collection);
                    let n = self.push_vars(key_var.as_deref(), value_var);
                    self.parts(body);
                    self.scope.truncate(self.scope.len() - n);
                }
            }
        }
    }

    fn root(&mut self, name: &str, ops: &[TraversalOp], span: Span) {
        if self.scope.iter().any(|s| s == name) {
            return;
        }
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOp::GetAttr { name, .. }) => Some(name.clone()),
            _ => None,
        };
        // The subject as written, plus a module output's name: the range
        // Terraform's own diagnostics give a reference.
        let through = |parts: usize| Span {
            start: span.start,
            end: ops
                .get(parts.saturating_sub(1))
                .map_or(span.end, |op| op.span().end),
        };
        let (kind, subject, attribute, span) = match name {
            "var" | "local" | "module" => {
                let Some(n) = attr(0) else { return };
                let kind = match name {
                    "var" => ReferenceKind::Variable,
                    "local" => ReferenceKind::Local,
                    _ => ReferenceKind::Module,
                };
                let parts = if kind == ReferenceKind::Module && attr(1).is_some() {
                    2
                } else {
                    1
                };
                (kind, format!("{name}.{n}"), attr(1), through(parts))
            }
            "data" | "ephemeral" => {
                let (Some(t), Some(n)) = (attr(0), attr(1)) else {
                    return;
                };
                let kind = if name == "data" {
                    ReferenceKind::Data
                } else {
                    ReferenceKind::Ephemeral
                };
                (kind, format!("{name}.{t}.{n}"), attr(2), through(2))
            }
            "count" | "each" | "self" | "path" | "terraform" => {
                let Some(n) = attr(0) else { return };
                (ReferenceKind::Meta, format!("{name}.{n}"), None, through(1))
            }
            _ => {
                let Some(n) = attr(0) else { return };
                (
                    ReferenceKind::Resource,
                    format!("{name}.{n}"),
                    attr(1),
                    through(1),
                )
            }
        };
        self.out.push(Reference {
            kind,
            subject,
            attribute,
            span,
        });
    }
}
