//! The rules of HCL native syntax that tree-sitter-hcl accepts but Terraform
//! rejects: newlines between items, block braces, one-line blocks, multi-line
//! quoted strings, bad escapes, redefined attributes, interpolated labels,
//! non-decimal numbers and commas that start a line in an object.

use std::collections::HashMap;

use super::ast::*;
use super::source::LineIndex;
use crate::diagnostic::{Diagnostic, DiagnosticCode};

pub(crate) fn check(src: &str, lines: &LineIndex, file: &File, out: &mut Vec<Diagnostic>) {
    let mut cx = Strict { src, lines, out };
    cx.body(&file.body, None);
}

struct Strict<'a, 'b> {
    src: &'a str,
    lines: &'a LineIndex<'a>,
    out: &'b mut Vec<Diagnostic>,
}

impl Strict<'_, '_> {
    fn err(&mut self, code: DiagnosticCode, span: Span, message: &str) {
        self.out
            .push(Diagnostic::error(code, span, message.to_string()));
    }

    fn body(&mut self, body: &Body, block: Option<&Block>) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut prev: Option<Span> = None;
        for item in &body.items {
            let span = item.span();
            if let Some(p) = prev {
                if p.end.line == span.start.line {
                    let message = match item {
                        Structure::Attribute(_) => {
                            "missing newline: each argument must start on a new line"
                        }
                        Structure::Block(_) => {
                            "missing newline: each block must start on a new line"
                        }
                    };
                    self.err(DiagnosticCode::MissingNewline, span, message);
                }
            }
            prev = Some(span);
            match item {
                Structure::Attribute(a) => {
                    if let Some(first) = seen.insert(&a.name, a.name_span) {
                        let message = format!(
                            "attribute `{}` redefined; it was already set at line {}",
                            a.name, first.start.line
                        );
                        self.err(DiagnosticCode::DuplicateAttribute, a.name_span, &message);
                    }
                    self.expression(&a.expr);
                }
                Structure::Block(b) => {
                    self.block_shape(b);
                    self.labels(b);
                    self.body(&b.body, Some(b));
                }
            }
        }
        if let Some(b) = block {
            self.block_items(b);
        }
    }

    /// Labels are literal strings: python-hcl2 reads `"a-${x}"` as text, but
    /// Terraform rejects it.
    fn labels(&mut self, b: &Block) {
        for label in b.labels.iter().filter(|l| l.quoted) {
            let raw = self.src.get(label.span.bytes()).unwrap_or("");
            if has_template_sequence(raw) {
                self.err(
                    DiagnosticCode::InvalidLabel,
                    label.span,
                    "invalid block label: labels are literal strings; interpolation and directives are not allowed",
                );
            }
        }
    }

    fn block_shape(&mut self, b: &Block) {
        let header_end = b.labels.last().map_or(b.kind_span, |l| l.span);
        if b.open_brace.start.line != header_end.end.line {
            self.err(
                DiagnosticCode::BlockBraceOnNewLine,
                b.open_brace,
                "invalid block definition: the opening `{` must be on the same line as the block header",
            );
        }
    }

    /// A block's content starts on the line after `{` and ends on the line
    /// before `}`, except for a one-line block holding a single argument.
    fn block_items(&mut self, b: &Block) {
        let (Some(first), Some(last)) = (b.body.items.first(), b.body.items.last()) else {
            return;
        };
        let open_line = b.open_brace.start.line;
        let close_line = b.close_brace.start.line;
        let single_line =
            first.span().start.line == open_line || last.span().end.line == close_line;
        if !single_line {
            return;
        }
        let ok = b.body.items.len() == 1
            && matches!(first, Structure::Attribute(_))
            && open_line == close_line;
        if !ok {
            let message = if matches!(first, Structure::Block(_)) && open_line == close_line {
                "invalid single-argument block: a one-line block may hold one argument, not a nested block"
            } else if b.body.items.len() > 1 && open_line == close_line {
                "invalid single-argument block: a one-line block may hold only one argument"
            } else if first.span().start.line == open_line {
                "missing newline after `{`: block content must start on a new line"
            } else {
                "missing newline before `}`: an argument must end with a newline"
            };
            self.err(
                DiagnosticCode::InvalidSingleLineBlock,
                first.span().to(last.span()),
                message,
            );
        }
    }

    fn expression(&mut self, e: &Expression) {
        let mut templates = Vec::new();
        let mut numbers = Vec::new();
        let mut objects = Vec::new();
        e.walk(&mut |x| match &x.kind {
            ExprKind::Template(t) if t.style == TemplateStyle::Quoted => {
                templates.push((t, x.span))
            }
            ExprKind::Number { raw } => numbers.push((raw, x.span)),
            ExprKind::Object { items } => objects.push(items),
            _ => {}
        });
        for (t, span) in templates {
            self.literal_escapes(&t.parts);
            self.quoted_newline(&t.parts, span);
        }
        for (raw, span) in numbers {
            if !raw
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
            {
                self.err(
                    DiagnosticCode::InvalidNumber,
                    span,
                    "invalid number: HCL numbers are decimal (digits, `.`, exponent)",
                );
            }
        }
        for items in objects {
            self.object_commas(items);
        }
    }

    /// Object items end at a newline or a comma, so a comma at the start of
    /// a line separates nothing.
    fn object_commas(&mut self, items: &[ObjectItem]) {
        for item in items {
            let rest = self.src.get(item.value.span.end.byte..).unwrap_or("");
            let gap_end = skip_trivia(rest);
            if rest[gap_end..].starts_with(',') && rest[..gap_end].contains('\n') {
                let at = item.value.span.end.byte + gap_end;
                self.err(
                    DiagnosticCode::MisplacedComma,
                    self.lines.span(at..at + 1),
                    "invalid expression: a comma must follow its object item on the same line",
                );
            }
        }
    }

    fn literal_escapes(&mut self, parts: &[TemplatePart]) {
        for p in parts {
            match p {
                TemplatePart::Literal { raw, span, .. } => self.escapes(raw, span.start.byte),
                TemplatePart::If {
                    then, otherwise, ..
                } => {
                    self.literal_escapes(then);
                    if let Some(o) = otherwise {
                        self.literal_escapes(o);
                    }
                }
                TemplatePart::For { body, .. } => self.literal_escapes(body),
                TemplatePart::Interpolation { .. } => {}
            }
        }
    }

    /// A newline in the literal text of a quoted string (not inside `${}`
    /// or a `%{}` tag). tree-sitter-hcl drops some of that text as
    /// whitespace, so the source is scanned around the parts it kept.
    fn quoted_newline(&mut self, parts: &[TemplatePart], span: Span) {
        let mut holes = Vec::new();
        collect_holes(parts, &mut holes);
        holes.sort_by_key(|h| h.start.byte);
        let end = span.end.byte.saturating_sub(1);
        let mut from = span.start.byte + 1;
        let holes = holes.iter().map(|h| (h.start.byte, h.end.byte));
        for (hole_start, hole_end) in holes.chain([(end, end)]) {
            let text = from..hole_start.max(from);
            from = from.max(hole_end);
            if let Some(nl) = self.src.get(text.clone()).and_then(|t| t.find('\n')) {
                let at = self.lines.span(text.start + nl..text.start + nl + 1);
                self.err(
                    DiagnosticCode::MultilineString,
                    at,
                    "invalid multi-line string: quoted strings may not span lines; use `\\n` or a heredoc",
                );
                return;
            }
        }
    }

    fn escapes(&mut self, raw: &str, base: usize) {
        let b = raw.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'\\' {
                i += 1;
                continue;
            }
            let ok = match b.get(i + 1) {
                Some(b'n' | b'r' | b't' | b'"' | b'\\') => 2,
                Some(b'u') => unicode_escape(raw, i + 2, 4),
                Some(b'U') => unicode_escape(raw, i + 2, 8),
                _ => 0,
            };
            if ok == 0 {
                let end = (i + 2).min(b.len());
                let end = (end..=b.len())
                    .find(|&e| raw.is_char_boundary(e))
                    .unwrap_or(b.len());
                let at = self.lines.span(base + i..base + end);
                let seq = self.src.get(base + i..base + end).unwrap_or("\\");
                self.err(
                    DiagnosticCode::InvalidEscape,
                    at,
                    &format!("invalid escape sequence `{seq}`: use `\\\\` for a literal backslash"),
                );
                i = end;
            } else {
                i += ok;
            }
        }
    }
}

/// Length of a `\uXXXX` / `\UXXXXXXXX` escape starting at the backslash,
/// or 0 when its digits are not hex or name no Unicode scalar value
/// (a surrogate, or beyond U+10FFFF).
fn unicode_escape(raw: &str, from: usize, len: usize) -> usize {
    let scalar = raw
        .get(from..from + len)
        .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|d| u32::from_str_radix(d, 16).ok())
        .and_then(char::from_u32);
    if scalar.is_some() {
        2 + len
    } else {
        0
    }
}

/// Spans inside a template that are code, not text: interpolations and
/// directive tags.
fn collect_holes(parts: &[TemplatePart], out: &mut Vec<Span>) {
    for p in parts {
        match p {
            TemplatePart::Literal { .. } => {}
            TemplatePart::Interpolation { span, .. } => out.push(*span),
            TemplatePart::If {
                then,
                otherwise,
                open,
                else_tag,
                close,
                ..
            } => {
                out.extend(
                    [Some(open), else_tag.as_ref(), close.as_ref()]
                        .into_iter()
                        .flatten()
                        .map(|t| t.span),
                );
                collect_holes(then, out);
                if let Some(o) = otherwise {
                    collect_holes(o, out);
                }
            }
            TemplatePart::For {
                body, open, close, ..
            } => {
                out.extend(
                    [Some(open), close.as_ref()]
                        .into_iter()
                        .flatten()
                        .map(|t| t.span),
                );
                collect_holes(body, out);
            }
        }
    }
}

/// Whether a quoted string holds an unescaped `${` or `%{`.
fn has_template_sequence(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'$', b'$') | (b'%', b'%') => i += 2,
            (b'$' | b'%', b'{') => return true,
            (b'\\', _) => i += 2,
            _ => i += 1,
        }
    }
    false
}

/// Bytes of whitespace and comments at the start of `s`.
fn skip_trivia(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = s[i..].find('\n').map_or(b.len(), |p| i + p),
            b'/' if b.get(i + 1) == Some(&b'/') => i = s[i..].find('\n').map_or(b.len(), |p| i + p),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = s[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2)
            }
            _ => break,
        }
    }
    i
}
