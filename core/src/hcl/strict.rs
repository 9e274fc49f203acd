//! The rules of HCL native syntax that tree-sitter-hcl accepts but Terraform
//! rejects: newlines between items, block braces, one-line blocks, multi-line
//! quoted strings, bad escapes and redefined attributes.

use std::collections::HashMap;

use super::ast::*;
use super::diagnostic::{Diagnostic, DiagnosticCode};
use super::source::LineIndex;

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
                    self.body(&b.body, Some(b));
                }
            }
        }
        if let Some(b) = block {
            self.block_items(b);
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
        e.walk(&mut |x| {
            if let ExprKind::Template(t) = &x.kind {
                if t.style == TemplateStyle::Quoted {
                    templates.push(t);
                }
            }
        });
        for t in templates {
            self.quoted_parts(&t.parts);
        }
    }

    fn quoted_parts(&mut self, parts: &[TemplatePart]) {
        for p in parts {
            match p {
                TemplatePart::Literal { raw, span, .. } => {
                    if let Some(nl) = raw.find('\n') {
                        let at = self
                            .lines
                            .span(span.start.byte + nl..span.start.byte + nl + 1);
                        self.err(
                            DiagnosticCode::MultilineString,
                            at,
                            "invalid multi-line string: quoted strings may not span lines; use `\\n` or a heredoc",
                        );
                    }
                    self.escapes(raw, span.start.byte);
                }
                TemplatePart::If {
                    then, otherwise, ..
                } => {
                    self.quoted_parts(then);
                    if let Some(o) = otherwise {
                        self.quoted_parts(o);
                    }
                }
                TemplatePart::For { body, .. } => self.quoted_parts(body),
                TemplatePart::Interpolation { .. } => {}
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
                Some(b'u') => hex_run(b, i + 2, 4),
                Some(b'U') => hex_run(b, i + 2, 8),
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

/// Length of a `\uXXXX` / `\UXXXXXXXX` escape starting at the backslash, or 0.
fn hex_run(b: &[u8], from: usize, len: usize) -> usize {
    let digits = b.get(from..from + len);
    match digits {
        Some(d) if d.iter().all(u8::is_ascii_hexdigit) => 2 + len,
        _ => 0,
    }
}
