//! python-hcl2 7.3.1's `loads()`: unquoted strings, plain labels, comments
//! dropped, expressions re-rendered as `${...}`, quirks included.
//!
//! The rules mirror 7.3.1's transformer step by step (see
//! `../shared/corpus/python-hcl2/FORMAT.md` §1).

use super::py::*;
use super::render_ops;
use crate::diagnostic::{Diagnostic, DiagnosticCode};
use crate::hcl::ast::*;

/// python-hcl2 7.3.1's `process_escape_sequences`: sequential replaces, so
/// `\\n` becomes backslash + newline, and `\u` escapes stay as written.
fn v7_unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    s.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

/// `reverse_quotes_within_interpolation`: un-escapes `\"` from the first
/// `${` to the last `}` of a JSON dump.
fn reverse_quotes_within_interpolation(s: &str) -> String {
    let Some(start) = s.find("${") else {
        return s.to_string();
    };
    let Some(end) = s.rfind('}').filter(|&e| e > start) else {
        return s.to_string();
    };
    format!(
        "{}{}{}",
        &s[..start],
        s[start..=end].replace("\\\"", "\""),
        &s[end + 1..]
    )
}

fn is_type_keyword(s: &str) -> bool {
    matches!(s, "bool" | "number" | "string")
}

/// `to_string_dollar`: how a value is stored in an attribute, tuple or
/// object slot.
fn to_string_dollar(v: Py) -> Py {
    let Py::Str(s) = v else { return v };
    if is_dollar_string(&s) {
        return Py::Str(s);
    }
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        return Py::Str(v7_unescape(&s[1..s.len() - 1]));
    }
    if is_type_keyword(&s) {
        return Py::Str(s);
    }
    Py::Str(format!("${{{s}}}"))
}

/// `to_tf_inline`: a value rendered inside expression text.
fn to_tf_inline(v: &Py) -> String {
    match v {
        Py::Dict(_) => reverse_quotes_within_interpolation(&v.json_dumps()),
        Py::List(items) => {
            let inner: Vec<String> = items.iter().map(to_tf_inline).collect();
            format!("[{}]", inner.join(", "))
        }
        Py::Bool(true) => "true".into(),
        Py::Bool(false) => "false".into(),
        Py::Str(s) => s.clone(),
        Py::Int(d) => d.clone(),
        Py::Float(f) => py_float_repr(*f),
        Py::None => "None".into(),
    }
}

/// `process_nulls`: `None` → `"null"`.
fn null_to_text(v: Py) -> Py {
    match v {
        Py::None => Py::Str("null".into()),
        other => other,
    }
}

pub(super) struct V7<'a> {
    pub(super) src: &'a str,
    pub(super) with_meta: bool,
}

impl V7<'_> {
    pub(super) fn body(&self, body: &Body) -> std::result::Result<Py, Diagnostic> {
        let mut result: Vec<(String, Py)> = Vec::new();
        let mut attributes: Vec<&str> = Vec::new();
        for item in &body.items {
            match item {
                Structure::Attribute(a) => {
                    if result.iter().any(|(k, _)| *k == a.name) {
                        return Err(already_defined(&a.name, a.name_span));
                    }
                    let value = to_string_dollar(self.expr(&a.expr));
                    result.push((a.name.clone(), value));
                    attributes.push(&a.name);
                }
                Structure::Block(b) => {
                    let value = self.block(b)?;
                    match result.iter_mut().find(|(k, _)| *k == b.kind) {
                        Some((_, Py::List(list))) if !attributes.contains(&b.kind.as_str()) => {
                            list.push(value)
                        }
                        Some(_) => return Err(already_defined(&b.kind, b.kind_span)),
                        None => result.push((b.kind.clone(), Py::List(vec![value]))),
                    }
                }
            }
        }
        Ok(Py::Dict(result))
    }

    fn block(&self, b: &Block) -> std::result::Result<Py, Diagnostic> {
        let mut result = self.body(&b.body)?;
        if self.with_meta {
            if let Py::Dict(items) = &mut result {
                Py::insert(
                    items,
                    "__start_line__".into(),
                    Py::Int(b.span.start.line.to_string()),
                );
                Py::insert(
                    items,
                    "__end_line__".into(),
                    Py::Int(b.span.end.line.to_string()),
                );
            }
        }
        for label in b.labels.iter().rev() {
            let key = if label.quoted {
                let raw = self.src.get(label.span.bytes()).unwrap_or("\"\"");
                v7_unescape(raw.get(1..raw.len().saturating_sub(1)).unwrap_or(""))
            } else {
                label.value.clone()
            };
            result = Py::Dict(vec![(key, result)]);
        }
        Ok(result)
    }

    fn raw(&self, span: Span) -> &str {
        self.src.get(span.bytes()).unwrap_or("")
    }

    /// The transformer's value for an expression.
    fn expr(&self, e: &Expression) -> Py {
        match &e.kind {
            ExprKind::Null => Py::None,
            ExprKind::Bool { value } => Py::Bool(*value),
            ExprKind::Number { raw } => number(raw),
            ExprKind::Template(t) => Py::Str(self.template(t, e.span)),
            ExprKind::Tuple { items } => Py::List(
                items
                    .iter()
                    .map(|i| to_string_dollar(self.expr(i)))
                    .collect(),
            ),
            ExprKind::Object { items } => {
                let mut out = Vec::new();
                for item in items {
                    let key = self.object_key(&item.key);
                    let value = to_string_dollar(self.expr(&item.value));
                    Py::insert(&mut out, key, value);
                }
                Py::Dict(out)
            }
            ExprKind::Variable { name } => Py::Str(name.clone()),
            ExprKind::FunctionCall { name, args, .. } => {
                let args: Vec<String> = args
                    .iter()
                    .map(|a| to_tf_inline(&null_to_text(self.expr(a))))
                    .collect();
                Py::Str(format!("{name}({})", args.join(", ")))
            }
            ExprKind::Traversal { target, ops } => {
                let mut s = self.expr(target).py_str();
                render_ops(ops, &mut s, &|key| self.expr(key).py_str(), &|raw| {
                    // Only the first digit survives python-hcl2's `index` rule.
                    format!("[{}]", &raw[..raw.len().min(1)])
                });
                Py::Str(s)
            }
            ExprKind::Unary { op, operand } => {
                if let (UnaryOp::Negate, ExprKind::Number { raw }) = (op, &operand.kind) {
                    // python-hcl2 lexes `-` directly before digits as part of
                    // the number.
                    if operand.span.start.byte == e.span.start.byte + 1 {
                        return number(&format!("-{raw}"));
                    }
                }
                let v = null_to_text(self.expr(operand));
                Py::Str(format!("{}{}", op.as_str(), to_tf_inline(&v)))
            }
            ExprKind::Binary { .. } => {
                // python-hcl2's grammar is flat and right-recursive: every
                // operand but the last is a left operand (`None` stays
                // "None"), only the last goes through `process_nulls`.
                let mut operands = Vec::new();
                let mut ops = Vec::new();
                flatten_binary(e, &mut operands, &mut ops);
                let last = operands.len() - 1;
                let mut out = String::new();
                for (i, operand) in operands.iter().enumerate() {
                    if i < last {
                        out.push_str(&unwrap_dollar_string(to_tf_inline(&self.expr(operand))));
                        out.push(' ');
                        out.push_str(ops[i].as_str());
                        out.push(' ');
                    } else {
                        out.push_str(&to_tf_inline(&null_to_text(self.expr(operand))));
                    }
                }
                Py::Str(out)
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                let parts: Vec<String> = [condition, then, otherwise]
                    .iter()
                    .map(|x| null_to_text(self.expr(x)).py_str())
                    .collect();
                if !matches!(condition.kind, ExprKind::Binary { .. }) {
                    return Py::Str(format!("{} ? {} : {}", parts[0], parts[1], parts[2]));
                }
                // 7.3.1's grammar reads `a == b ? c : d` as `a == (b ? c : d)`:
                // only the last operand is the condition, rendered as one
                // (so a literal `false` there prints as Python's `False`).
                let mut operands = Vec::new();
                let mut ops = Vec::new();
                flatten_binary(condition, &mut operands, &mut ops);
                let mut out = String::new();
                let last = operands.len() - 1;
                for (i, operand) in operands[..last].iter().enumerate() {
                    out.push_str(&unwrap_dollar_string(to_tf_inline(&self.expr(operand))));
                    out.push(' ');
                    out.push_str(ops[i].as_str());
                    out.push(' ');
                }
                let condition = null_to_text(self.expr(operands[last])).py_str();
                out.push_str(&format!("{condition} ? {} : {}", parts[1], parts[2]));
                Py::Str(out)
            }
            ExprKind::For(f) => Py::Str(self.for_expr(f)),
            ExprKind::Parens { inner } => Py::Str(format!("({})", self.expr(inner).py_str())),
            ExprKind::Invalid => Py::Str(self.raw(e.span).to_string()),
        }
    }

    fn for_expr(&self, f: &ForExpr) -> String {
        let mut intro = String::from("for ");
        if let Some(k) = &f.key_var {
            intro.push_str(k);
            intro.push_str(" , ");
        }
        intro.push_str(&f.value_var);
        intro.push_str(" in ");
        intro.push_str(&to_tf_inline(&self.expr(&f.collection)));
        intro.push_str(" :");
        let mut parts = vec![intro];
        if let Some(k) = &f.key {
            parts.push(to_tf_inline(&self.expr(k)));
            parts.push("=>".into());
        }
        parts.push(to_tf_inline(&self.expr(&f.value)));
        if f.grouping {
            parts.push("...".into());
        }
        if let Some(c) = &f.condition {
            parts.push(format!("if {}", to_tf_inline(&self.expr(c))));
        }
        if f.key.is_some() {
            format!("{{{}}}", parts.join(" "))
        } else {
            format!("[{}]", parts.join(" "))
        }
    }

    fn object_key(&self, key: &Expression) -> String {
        let text = match &key.kind {
            ExprKind::Parens { .. } => {
                return to_tf_inline(&to_string_dollar(Py::Str(self.expr(key).py_str())));
            }
            ExprKind::Number { raw } => number(raw).py_str(),
            ExprKind::Variable { name } => name.clone(),
            ExprKind::Template(t) if t.style == TemplateStyle::Quoted => self.template(t, key.span),
            _ => self.raw(key.span).split_whitespace().collect(),
        };
        if has_interpolation(&text) {
            text
        } else if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
            v7_unescape(&text[1..text.len() - 1])
        } else {
            text
        }
    }

    /// The transformer's form of a template: `"..."` with interpolations
    /// re-rendered, or a heredoc's trimmed content in quotes.
    fn template(&self, t: &Template, span: Span) -> String {
        match &t.style {
            TemplateStyle::Quoted => {
                let mut out = String::from("\"");
                let inner = Span {
                    start: Pos {
                        byte: span.start.byte + 1,
                        ..span.start
                    },
                    end: Pos {
                        byte: span.end.byte.saturating_sub(1).max(span.start.byte + 1),
                        ..span.end
                    },
                };
                self.parts_into(&t.parts, inner, &mut out);
                out.push('"');
                out
            }
            TemplateStyle::Heredoc { marker, indented } => {
                let raw = self.raw(span);
                let body_start = raw.find('\n').map_or(raw.len(), |p| p + 1);
                let body_end = raw
                    .trim_end()
                    .strip_suffix(marker.as_str())
                    .map_or(raw.len(), str::len);
                let content = raw.get(body_start..body_end.max(body_start)).unwrap_or("");
                let text = content.trim_end_matches(['\n', '\t', ' ']);
                if !indented {
                    return format!("\"{text}\"");
                }
                let lines: Vec<&str> = text.split('\n').collect();
                let min = lines
                    .iter()
                    .map(|l| l.len() - l.trim_start_matches(' ').len())
                    .min()
                    .unwrap_or(0);
                let trimmed: Vec<&str> = lines.iter().map(|l| &l[min.min(l.len())..]).collect();
                format!("\"{}\"", trimmed.join("\n"))
            }
        }
    }

    /// Writes template parts: literal text and directives as written,
    /// interpolations re-rendered as `${...}`.
    fn parts_into(&self, parts: &[TemplatePart], within: Span, out: &mut String) {
        let mut cursor = within.start.byte;
        for p in parts {
            let span = p.span();
            if span.start.byte > cursor {
                out.push_str(self.src.get(cursor..span.start.byte).unwrap_or(""));
            }
            match p {
                TemplatePart::Literal { raw, .. } => out.push_str(raw),
                TemplatePart::Interpolation { expr, .. } => {
                    out.push_str("${");
                    out.push_str(&self.expr(expr).py_str());
                    out.push('}');
                }
                TemplatePart::If {
                    then, otherwise, ..
                } => {
                    let mut inner: Vec<TemplatePart> = then.clone();
                    inner.extend(otherwise.iter().flatten().cloned());
                    self.parts_into(&inner, span, out);
                }
                TemplatePart::For { body, .. } => self.parts_into(body, span, out),
            }
            cursor = span.end.byte.max(cursor);
        }
        if within.end.byte > cursor {
            out.push_str(self.src.get(cursor..within.end.byte).unwrap_or(""));
        }
    }
}

/// The operands and operators of a chain of binary operations, in source
/// order, ignoring precedence (parentheses stay one operand).
fn flatten_binary<'e>(
    e: &'e Expression,
    operands: &mut Vec<&'e Expression>,
    ops: &mut Vec<BinaryOp>,
) {
    match &e.kind {
        ExprKind::Binary { op, lhs, rhs } => {
            flatten_binary(lhs, operands, ops);
            ops.push(*op);
            flatten_binary(rhs, operands, ops);
        }
        _ => operands.push(e),
    }
}

fn has_interpolation(s: &str) -> bool {
    s.find("${").is_some_and(|p| s[p..].contains('}'))
}

pub(super) fn already_defined(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        DiagnosticCode::DuplicateAttribute,
        span,
        format!("{name} already defined"),
    )
}

/// A number literal as python-hcl2 7.3.1 types it: only a lowercase `e`
/// keeps the literal as text (`1E5` becomes a float).
fn number(raw: &str) -> Py {
    number_literal(raw, &['e'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_unescape_quirk() {
        assert_eq!(v7_unescape("a\\\\nb"), "a\\\nb");
    }
}
