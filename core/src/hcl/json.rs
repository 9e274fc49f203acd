//! python-hcl2-compatible dictionaries: renders a parsed file the way
//! `hcl2.loads()` does (7.3.1 semantics), quirks included, as JSON values.
//!
//! The rules mirror python-hcl2's transformer step by step (see
//! `../shared/corpus/python-hcl2/FORMAT.md`); the known differences are
//! listed in `tests/KNOWN_DIFFERENCES.md`.

use serde_json::{Map, Number, Value};

use super::ast::*;
use super::diagnostic::{Diagnostic, DiagnosticCode};
use super::parser::parse;
use crate::error::{Error, Result};

/// Which python-hcl2 output format to reproduce. Only 7.3.1's exists so
/// far; 8.1.4's lossless format is tracked in issue 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// python-hcl2 7.3.1: unquoted strings, plain labels, comments dropped.
    #[default]
    V7,
}

impl std::str::FromStr for Dialect {
    type Err = Error;

    fn from_str(s: &str) -> Result<Dialect> {
        match s {
            "v7" => Ok(Dialect::V7),
            "v8" => Err(Error::InvalidArgument {
                name: "dialect".into(),
                message: "the python-hcl2 8.x format is not implemented yet; use \"v7\"".into(),
            }),
            other => Err(Error::InvalidArgument {
                name: "dialect".into(),
                message: format!("expected \"v7\", got {other:?}"),
            }),
        }
    }
}

/// Options of [`loads`].
#[derive(Debug, Clone, Default)]
pub struct LoadsOptions {
    pub dialect: Dialect,
    /// Add `__start_line__` / `__end_line__` to every block body.
    pub with_meta: bool,
}

impl LoadsOptions {
    pub fn new(dialect: Dialect) -> Self {
        LoadsOptions {
            dialect,
            with_meta: false,
        }
    }

    pub fn with_meta(mut self, on: bool) -> Self {
        self.with_meta = on;
        self
    }
}

/// See [`super::loads`].
pub fn loads(text: &str, options: &LoadsOptions) -> Result<Value> {
    let parsed = parse(text);
    let fatal: Vec<Diagnostic> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code.is_grammar_error() || fatal_in(options.dialect, d.code))
        .cloned()
        .collect();
    if !fatal.is_empty() {
        return Err(Error::Parse {
            path: None,
            diagnostics: fatal,
        });
    }
    let r = V7 {
        src: text,
        with_meta: options.with_meta,
    };
    let body = r.body(&parsed.file.body).map_err(|d| Error::Parse {
        path: None,
        diagnostics: vec![d],
    })?;
    Ok(body.into_json())
}

/// The strictness rules each python-hcl2 version also enforces.
fn fatal_in(dialect: Dialect, code: DiagnosticCode) -> bool {
    match dialect {
        Dialect::V7 => matches!(code, DiagnosticCode::DuplicateAttribute),
    }
}

/// A value as python-hcl2's transformer holds it: `Str` is the transformer's
/// string form (quoted `"..."`, wrapped `${...}`, or bare expression text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Py {
    Str(String),
    /// An integer of any size, as decimal digits with optional sign.
    Int(String),
    Float(f64),
    Bool(bool),
    None,
    Dict(Vec<(String, Py)>),
    List(Vec<Py>),
}

impl Py {
    fn insert(items: &mut Vec<(String, Py)>, key: String, value: Py) {
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => items.push((key, value)),
        }
    }

    pub(crate) fn into_json(self) -> Value {
        match self {
            Py::Str(s) => Value::String(s),
            Py::Int(digits) => digits
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| digits.parse::<u64>().map(Value::from))
                .unwrap_or_else(|_| big_int(&digits)),
            Py::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Py::Bool(b) => Value::Bool(b),
            Py::None => Value::Null,
            Py::Dict(items) => {
                let mut m = Map::new();
                for (k, v) in items {
                    m.insert(k, v.into_json());
                }
                Value::Object(m)
            }
            Py::List(items) => Value::Array(items.into_iter().map(Py::into_json).collect()),
        }
    }

    /// Python's `str()` of the value.
    fn py_str(&self) -> String {
        match self {
            Py::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr()` of the value.
    fn py_repr(&self) -> String {
        match self {
            Py::Str(s) => py_repr_str(s),
            Py::Int(d) => d.clone(),
            Py::Float(f) => py_float_repr(*f),
            Py::Bool(true) => "True".into(),
            Py::Bool(false) => "False".into(),
            Py::None => "None".into(),
            Py::Dict(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", py_repr_str(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Py::List(items) => {
                let inner: Vec<String> = items.iter().map(Py::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }

    /// `json.dumps(value)` with Python's defaults (ASCII-only output).
    fn json_dumps(&self) -> String {
        match self {
            Py::Str(s) => json_str(s),
            Py::Int(d) => d.clone(),
            Py::Float(f) => py_float_repr(*f),
            Py::Bool(b) => b.to_string(),
            Py::None => "null".into(),
            Py::Dict(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", json_str(k), v.json_dumps()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Py::List(items) => {
                let inner: Vec<String> = items.iter().map(Py::json_dumps).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }
}

/// An integer beyond 64 bits keeps its exact digits (serde_json's
/// `arbitrary_precision` holds them as written).
fn big_int(digits: &str) -> Value {
    serde_json::from_str::<Number>(digits).map_or(Value::Null, Value::Number)
}

fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// Python's `repr(float)`: shortest round-trip digits, `.0` for integral
/// values, exponent form outside `1e-4 <= |x| < 1e16`.
pub(crate) fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

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

fn is_string_dollar(s: &str) -> bool {
    s.starts_with("${") && s.ends_with('}')
}

/// `to_string_dollar`: how a value is stored in an attribute, tuple or
/// object slot.
fn to_string_dollar(v: Py) -> Py {
    let Py::Str(s) = v else { return v };
    if is_string_dollar(&s) {
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

fn unwrap_string_dollar(s: String) -> String {
    if is_string_dollar(&s) {
        s[2..s.len() - 1].to_string()
    } else {
        s
    }
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

struct V7<'a> {
    src: &'a str,
    with_meta: bool,
}

impl V7<'_> {
    fn body(&self, body: &Body) -> std::result::Result<Py, Diagnostic> {
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
                self.ops(ops, &mut s);
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
                        out.push_str(&unwrap_string_dollar(to_tf_inline(&self.expr(operand))));
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
                Py::Str(format!("{} ? {} : {}", parts[0], parts[1], parts[2]))
            }
            ExprKind::For(f) => Py::Str(self.for_expr(f)),
            ExprKind::Parens { inner } => Py::Str(format!("({})", self.expr(inner).py_str())),
            ExprKind::Invalid => Py::Str(self.raw(e.span).to_string()),
        }
    }

    fn ops(&self, ops: &[TraversalOp], s: &mut String) {
        for op in ops {
            match op {
                TraversalOp::GetAttr { name, .. } => {
                    s.push('.');
                    s.push_str(name);
                }
                TraversalOp::Index { key, .. } => {
                    s.push('[');
                    s.push_str(&self.expr(key).py_str());
                    s.push(']');
                }
                TraversalOp::LegacyIndex { raw, .. } => {
                    // Only the first digit survives python-hcl2's `index` rule.
                    s.push('[');
                    s.push_str(&raw[..raw.len().min(1)]);
                    s.push(']');
                }
                TraversalOp::AttrSplat { ops, .. } => {
                    s.push_str(".*");
                    self.ops(ops, s);
                }
                TraversalOp::FullSplat { ops, .. } => {
                    s.push_str("[*]");
                    self.ops(ops, s);
                }
            }
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

fn already_defined(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        DiagnosticCode::DuplicateAttribute,
        span,
        format!("{name} already defined"),
    )
}

/// A number literal as python-hcl2 7.3.1 types it.
fn number(raw: &str) -> Py {
    let is_float = raw.contains(['.', 'e', 'E']);
    if !is_float {
        let neg = raw.starts_with('-');
        let digits = raw.trim_start_matches('-').trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        let sign = if neg && digits != "0" { "-" } else { "" };
        return Py::Int(format!("{sign}{digits}"));
    }
    if raw.contains('e') {
        return Py::Str(format!("${{{raw}}}"));
    }
    raw.parse::<f64>()
        .map(Py::Float)
        .unwrap_or_else(|_| Py::Str(format!("${{{raw}}}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(py_float_repr(100.0), "100.0");
        assert_eq!(py_float_repr(1.5), "1.5");
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_float_repr(1.5e-5), "1.5e-05");
        assert_eq!(py_float_repr(0.0001), "0.0001");
    }

    #[test]
    fn json_dumps_escapes_non_ascii() {
        assert_eq!(json_str("é\"😀"), "\"\\u00e9\\\"\\ud83d\\ude00\"");
    }

    #[test]
    fn sequential_unescape_quirk() {
        assert_eq!(v7_unescape("a\\\\nb"), "a\\\nb");
    }
}
