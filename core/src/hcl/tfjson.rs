//! Terraform JSON syntax (`.tf.json`) into the same [`File`] model as native
//! syntax: block structure by Terraform's rules, strings read as templates.

use super::ast::*;
use super::parser::{parse, Parsed, MAX_DEPTH};
use super::source::LineIndex;
use crate::diagnostic::{Diagnostic, DiagnosticCode};

/// Parses a `.tf.json` document. Never fails: malformed JSON yields an empty
/// body and a positioned diagnostic.
pub fn parse_json(src: &str) -> Parsed {
    let lines = LineIndex::new(src);
    let mut reader = Reader {
        src: src.as_bytes(),
        text: src,
        pos: 0,
        lines: &lines,
    };
    let mut diagnostics = Vec::new();
    let value = match reader.document() {
        Ok(v) => v,
        Err((at, message)) => {
            diagnostics.push(Diagnostic::error(
                DiagnosticCode::InvalidJson,
                lines.span(at..(at + 1).min(src.len()).max(at)),
                message,
            ));
            return Parsed {
                file: File {
                    body: Body::default(),
                    comments: Vec::new(),
                },
                diagnostics,
            };
        }
    };
    let mut cx = Builder {
        diagnostics: &mut diagnostics,
        comments: Vec::new(),
    };
    let body = match &value.kind {
        J::Object(props) => Body {
            items: cx.root_items(props),
            span: value.span,
        },
        _ => {
            cx.error(
                value.span,
                "a Terraform JSON document must be an object".into(),
            );
            Body::default()
        }
    };
    let comments = cx.comments;
    Parsed {
        file: File { body, comments },
        diagnostics,
    }
}

/// A JSON value with the span it came from.
#[derive(Debug, Clone)]
struct JValue {
    kind: J,
    span: Span,
}

#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<JValue>),
    Object(Vec<(String, Span, JValue)>),
}

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    lines: &'a LineIndex<'a>,
}

type JResult<T> = std::result::Result<T, (usize, String)>;

impl Reader<'_> {
    fn document(&mut self) -> JResult<JValue> {
        let v = self.value(0)?;
        self.ws();
        if self.pos < self.src.len() {
            return Err((self.pos, "unexpected text after the JSON document".into()));
        }
        Ok(v)
    }

    fn ws(&mut self) {
        while self.pos < self.src.len()
            && matches!(self.src[self.pos], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> JResult<JValue> {
        if depth > MAX_DEPTH {
            return Err((
                self.pos,
                format!("nesting is deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.ws();
        let start = self.pos;
        let kind = match self.src.get(self.pos) {
            None => {
                return Err((
                    self.pos,
                    "unexpected end of file; expected a JSON value".into(),
                ))
            }
            Some(b'{') => {
                self.pos += 1;
                let mut props = Vec::new();
                self.ws();
                if self.src.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        let key_start = self.pos;
                        if self.src.get(self.pos) != Some(&b'"') {
                            return Err((
                                self.pos,
                                "expected a property name in double quotes".into(),
                            ));
                        }
                        let key = self.string()?;
                        let key_span = self.lines.span(key_start..self.pos);
                        self.ws();
                        if self.src.get(self.pos) != Some(&b':') {
                            return Err((self.pos, "expected `:` after the property name".into()));
                        }
                        self.pos += 1;
                        let v = self.value(depth + 1)?;
                        props.push((key, key_span, v));
                        self.ws();
                        match self.src.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err((self.pos, "expected `,` or `}` in object".into())),
                        }
                    }
                }
                J::Object(props)
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.src.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.src.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err((self.pos, "expected `,` or `]` in array".into())),
                        }
                    }
                }
                J::Array(items)
            }
            Some(b'"') => J::String(self.string()?),
            Some(b't') => self.keyword("true", J::Bool(true))?,
            Some(b'f') => self.keyword("false", J::Bool(false))?,
            Some(b'n') => self.keyword("null", J::Null)?,
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                while self.pos < self.src.len()
                    && matches!(
                        self.src[self.pos],
                        b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
                    )
                {
                    self.pos += 1;
                }
                let raw = &self.text[start..self.pos];
                if raw.parse::<f64>().is_err() {
                    return Err((start, format!("invalid number `{raw}`")));
                }
                J::Number(raw.to_string())
            }
            Some(_) => {
                let ch = self.text[self.pos..].chars().next().unwrap_or(' ');
                return Err((
                    self.pos,
                    format!("unexpected `{ch}`; expected a JSON value"),
                ));
            }
        };
        Ok(JValue {
            kind,
            span: self.lines.span(start..self.pos),
        })
    }

    fn keyword(&mut self, word: &str, value: J) -> JResult<J> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err((self.pos, "unexpected word; expected a JSON value".into()))
        }
    }

    fn string(&mut self) -> JResult<String> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                return Err((start, "unterminated string".into()));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let esc = self.src.get(self.pos + 1).copied();
                    self.pos += 2;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            let ch = if (0xD800..0xDC00).contains(&hi)
                                && self.text[self.pos..].starts_with("\\u")
                            {
                                self.pos += 2;
                                let lo = self.hex4()?;
                                char::from_u32(
                                    0x10000
                                        + ((hi - 0xD800) << 10)
                                        + (lo.wrapping_sub(0xDC00) & 0x3ff),
                                )
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(ch.unwrap_or('\u{fffd}'));
                        }
                        _ => return Err((self.pos - 2, "invalid escape in string".into())),
                    }
                }
                b'\n' => return Err((self.pos, "unterminated string: newline in string".into())),
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    fn hex4(&mut self) -> JResult<u32> {
        let h = self
            .text
            .get(self.pos..self.pos + 4)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or((self.pos, "invalid \\u escape".to_string()))?;
        self.pos += 4;
        Ok(h)
    }
}

/// How many labels a top-level block type takes in JSON syntax, and how
/// its properties map; `None` means the key is not a known block type.
fn top_level_labels(kind: &str) -> Option<usize> {
    Some(match kind {
        "resource" | "data" | "ephemeral" => 2,
        "variable" | "output" | "module" | "provider" | "check" => 1,
        "terraform" | "locals" | "moved" | "import" | "removed" => 0,
        _ => return None,
    })
}

/// Nested block types (with their label count) that Terraform knows without
/// a provider schema.
fn nested_block_labels(parent: &str, kind: &str) -> Option<usize> {
    Some(match (parent, kind) {
        (_, "lifecycle") | (_, "connection") | (_, "content") => 0,
        (_, "provisioner") | (_, "dynamic") => 1,
        ("variable", "validation") => 0,
        ("terraform", "required_providers") | ("terraform", "cloud") => 0,
        ("terraform", "backend") => 1,
        ("check", "assert") => 0,
        ("check", "data") => 2,
        _ => return None,
    })
}

struct Builder<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
    comments: Vec<Comment>,
}

impl Builder<'_> {
    fn error(&mut self, span: Span, message: String) {
        self.diagnostics.push(Diagnostic::error(
            DiagnosticCode::InvalidJson,
            span,
            message,
        ));
    }

    fn comment(&mut self, value: &JValue) {
        if let J::String(s) = &value.kind {
            self.comments.push(Comment {
                text: format!("// {s}"),
                style: CommentStyle::DoubleSlash,
                span: value.span,
            });
        }
    }

    fn root_items(&mut self, props: &[(String, Span, JValue)]) -> Vec<Structure> {
        let mut items = Vec::new();
        for (key, key_span, value) in props {
            if key == "//" {
                self.comment(value);
                continue;
            }
            match top_level_labels(key) {
                Some(n) => self.blocks(key, *key_span, n, value, Vec::new(), &mut items),
                None => self.error(*key_span, format!("unknown top-level block type `{key}`")),
            }
        }
        items
    }

    /// Unfolds `n` levels of labels, then one body or an array of bodies.
    fn blocks(
        &mut self,
        kind: &str,
        kind_span: Span,
        n: usize,
        value: &JValue,
        labels: Vec<Label>,
        out: &mut Vec<Structure>,
    ) {
        if n > 0 {
            let J::Object(props) = &value.kind else {
                self.error(
                    value.span,
                    format!("`{kind}` expects an object keyed by its labels"),
                );
                return;
            };
            for (label, label_span, v) in props {
                if label == "//" {
                    self.comment(v);
                    continue;
                }
                let mut l = labels.clone();
                l.push(Label {
                    value: label.clone(),
                    quoted: true,
                    span: *label_span,
                });
                self.blocks(kind, kind_span, n - 1, v, l, out);
            }
            return;
        }
        match &value.kind {
            J::Array(bodies) => {
                for b in bodies {
                    self.blocks(kind, kind_span, 0, b, labels.clone(), out);
                }
            }
            J::Object(props) => {
                let body = Body {
                    items: self.body_items(kind, props),
                    span: value.span,
                };
                let open = Span {
                    start: value.span.start,
                    end: value.span.start,
                };
                let close = Span {
                    start: value.span.end,
                    end: value.span.end,
                };
                out.push(Structure::Block(Block {
                    kind: kind.to_string(),
                    kind_span,
                    labels,
                    body,
                    open_brace: open,
                    close_brace: close,
                    span: kind_span.to(value.span),
                    leading_comments: Vec::new(),
                    trailing_comment: None,
                }));
            }
            _ => self.error(
                value.span,
                format!("a `{kind}` block body must be an object"),
            ),
        }
    }

    fn body_items(&mut self, kind: &str, props: &[(String, Span, JValue)]) -> Vec<Structure> {
        let mut items = Vec::new();
        for (key, key_span, value) in props {
            if key == "//" {
                self.comment(value);
                continue;
            }
            if let Some(n) = nested_block_labels(kind, key) {
                if matches!(value.kind, J::Object(_) | J::Array(_)) {
                    self.blocks(key, *key_span, n, value, Vec::new(), &mut items);
                    continue;
                }
            }
            let literal = kind == "variable" && key == "default";
            items.push(Structure::Attribute(Attribute {
                name: key.clone(),
                name_span: *key_span,
                expr: self.expression(value, literal),
                span: key_span.to(value.span),
                leading_comments: Vec::new(),
                trailing_comment: None,
            }));
        }
        items
    }

    /// A JSON value as an expression; strings are templates unless
    /// `literal` (variable defaults are taken as written).
    fn expression(&mut self, v: &JValue, literal: bool) -> Expression {
        let kind = match &v.kind {
            J::Null => ExprKind::Null,
            J::Bool(b) => ExprKind::Bool { value: *b },
            J::Number(raw) => ExprKind::Number { raw: raw.clone() },
            J::String(s) => return self.template(s, v.span, literal),
            J::Array(items) => ExprKind::Tuple {
                items: items.iter().map(|i| self.expression(i, literal)).collect(),
            },
            J::Object(props) => ExprKind::Object {
                items: props
                    .iter()
                    .filter(|(k, _, _)| k != "//")
                    .map(|(k, ks, val)| ObjectItem {
                        key: self.template(k, *ks, literal),
                        value: self.expression(val, literal),
                    })
                    .collect(),
            },
        };
        Expression { kind, span: v.span }
    }

    fn template(&mut self, s: &str, span: Span, literal: bool) -> Expression {
        let plain = || Expression {
            kind: ExprKind::Template(Template {
                style: TemplateStyle::Quoted,
                parts: vec![TemplatePart::Literal {
                    raw: s.to_string(),
                    value: s.to_string(),
                    span,
                }],
            }),
            span,
        };
        if literal || !(s.contains("${") || s.contains("%{")) {
            return plain();
        }
        // A heredoc takes the text as written, interpolations included.
        let marker = "INFRARAG_JSON_TEMPLATE";
        let wrapped = format!("x = <<{marker}\n{s}\n{marker}\n");
        let parsed = parse(&wrapped);
        let expr = parsed
            .file
            .body
            .attribute("x")
            .map(|a| a.expr.clone())
            .filter(|_| !parsed.has_errors());
        match expr {
            Some(mut e) => {
                if let ExprKind::Template(t) = &mut e.kind {
                    t.style = TemplateStyle::Quoted;
                    if let Some(TemplatePart::Literal { raw, value, .. }) = t.parts.last_mut() {
                        if raw.ends_with('\n') {
                            raw.pop();
                            value.pop();
                        }
                    }
                }
                relocate(&mut e, span);
                // A template that is one interpolation is that expression.
                if let ExprKind::Template(t) = &e.kind {
                    if let [TemplatePart::Interpolation { expr, .. }] = t.parts.as_slice() {
                        return expr.clone();
                    }
                }
                e
            }
            None => {
                self.error(span, "invalid template in JSON string".into());
                plain()
            }
        }
    }
}

/// Gives every node of a template parsed out of a JSON string the span of
/// that string, the finest position JSON syntax can report.
fn relocate(e: &mut Expression, span: Span) {
    e.span = span;
    match &mut e.kind {
        ExprKind::Null
        | ExprKind::Bool { .. }
        | ExprKind::Number { .. }
        | ExprKind::Variable { .. }
        | ExprKind::Invalid => {}
        ExprKind::Template(t) => relocate_parts(&mut t.parts, span),
        ExprKind::Tuple { items } => items.iter_mut().for_each(|i| relocate(i, span)),
        ExprKind::Object { items } => items.iter_mut().for_each(|i| {
            relocate(&mut i.key, span);
            relocate(&mut i.value, span);
        }),
        ExprKind::FunctionCall { args, .. } => args.iter_mut().for_each(|a| relocate(a, span)),
        ExprKind::Traversal { target, ops } => {
            relocate(target, span);
            relocate_ops(ops, span);
        }
        ExprKind::Unary { operand, .. } => relocate(operand, span),
        ExprKind::Binary { lhs, rhs, .. } => {
            relocate(lhs, span);
            relocate(rhs, span);
        }
        ExprKind::Conditional {
            condition,
            then,
            otherwise,
        } => {
            relocate(condition, span);
            relocate(then, span);
            relocate(otherwise, span);
        }
        ExprKind::For(f) => {
            relocate(&mut f.collection, span);
            if let Some(k) = &mut f.key {
                relocate(k, span);
            }
            relocate(&mut f.value, span);
            if let Some(c) = &mut f.condition {
                relocate(c, span);
            }
        }
        ExprKind::Parens { inner } => relocate(inner, span),
    }
}

fn relocate_ops(ops: &mut [TraversalOp], span: Span) {
    for op in ops {
        match op {
            TraversalOp::GetAttr { span: s, .. } | TraversalOp::LegacyIndex { span: s, .. } => {
                *s = span
            }
            TraversalOp::Index { key, span: s } => {
                *s = span;
                relocate(key, span);
            }
            TraversalOp::AttrSplat { ops, span: s } | TraversalOp::FullSplat { ops, span: s } => {
                *s = span;
                relocate_ops(ops, span);
            }
        }
    }
}

fn relocate_parts(parts: &mut [TemplatePart], span: Span) {
    for p in parts {
        match p {
            TemplatePart::Literal { span: s, .. } => *s = span,
            TemplatePart::Interpolation { expr, span: s, .. } => {
                *s = span;
                relocate(expr, span);
            }
            TemplatePart::If {
                condition,
                then,
                otherwise,
                open,
                else_tag,
                close,
                span: s,
            } => {
                *s = span;
                for tag in std::iter::once(open).chain(else_tag).chain(close) {
                    tag.span = span;
                }
                relocate(condition, span);
                relocate_parts(then, span);
                if let Some(o) = otherwise {
                    relocate_parts(o, span);
                }
            }
            TemplatePart::For {
                collection,
                body,
                open,
                close,
                span: s,
                ..
            } => {
                *s = span;
                for tag in std::iter::once(open).chain(close) {
                    tag.span = span;
                }
                relocate(collection, span);
                relocate_parts(body, span);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_and_templates() {
        let src = r#"{
  "resource": {"aws_s3_bucket": {"logs": {"bucket": "${var.prefix}-logs", "count": 2}}},
  "variable": {"prefix": {"default": "${not_a_template}"}},
  "locals": {"x": 1}
}"#;
        let p = parse_json(src);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let blocks: Vec<_> = p.file.body.blocks().collect();
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].label_values(), ["aws_s3_bucket", "logs"]);
        let bucket = blocks[0].body.attribute("bucket").unwrap();
        let ExprKind::Template(t) = &bucket.expr.kind else {
            panic!("{:?}", bucket.expr)
        };
        assert!(matches!(t.parts[0], TemplatePart::Interpolation { .. }));
        assert_eq!(bucket.expr.span.start.line, 2);
        let default = blocks[1].body.attribute("default").unwrap();
        assert!(
            matches!(&default.expr.kind, ExprKind::Template(t) if t.as_plain_string().as_deref() == Some("${not_a_template}"))
        );
    }

    #[test]
    fn malformed_json_is_located() {
        let p = parse_json("{\n  \"resource\": [1,\n}");
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].span.start.line, 3);
    }
}
