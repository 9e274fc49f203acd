//! python-hcl2 8.1.4's `loads()` with its default options: source forms kept
//! (quotes, escapes, heredoc markers), `__is_block__` markers, comments kept.
//!
//! Mirrors 8.1.4's rule classes (`hcl2/rules/*.py`); FORMAT.md §2 lists the
//! differences from v7. Comment placement follows its lark grammar: which
//! rule owns a run of comments decides where, or whether, it shows up.

use super::py::*;
use super::render_ops;
use crate::diagnostic::{Diagnostic, DiagnosticCode};
use crate::hcl::ast::*;

/// Renders a parsed file as 8.1.4's `loads()` dict.
pub(super) fn render(src: &str, file: &File) -> Result<Py, Diagnostic> {
    let runs = comment_runs(src, &file.comments);
    let runs: Vec<&Run> = runs.iter().collect();
    V8 { src }.body(&file.body, &runs)
}

/// A maximal sequence of comments with only whitespace between them: what
/// one `new_line_or_comment` rule of the grammar consumes.
struct Run {
    start: usize,
    end: usize,
    /// The run starts on the line of the token before it.
    inline: bool,
    /// The `{"value": ...}` texts 8.1.4 makes of it.
    values: Vec<String>,
}

fn comment_runs(src: &str, comments: &[Comment]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < comments.len() {
        let mut j = i;
        while j + 1 < comments.len()
            && src
                .get(comments[j].span.end.byte..comments[j + 1].span.start.byte)
                .is_some_and(|gap| gap.bytes().all(|b| b.is_ascii_whitespace()))
        {
            j += 1;
        }
        let start = comments[i].span.start.byte;
        let end = comments[j].span.end.byte;
        let before = src[..start].trim_end_matches([' ', '\t', '\r']);
        runs.push(Run {
            start,
            end,
            inline: !before.ends_with('\n'),
            values: to_list(&lex_trivia(&src[start..end])),
        });
        i = j + 1;
    }
    runs
}

/// The text the lark lexer keeps of whitespace and comments: newlines with
/// the indentation after them, and comments (`#`/`//` with their line end);
/// other whitespace is `%ignore`d.
fn lex_trivia(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        match b[i] {
            b'\n' => {
                i += 1;
                while i < b.len() && matches!(b[i], b' ' | b'\t') {
                    i += 1;
                }
            }
            b'#' => i = line_end(s, i),
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_end(s, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = s[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
            }
            _ => {
                i += s[i..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
        }
        out.push_str(&s[start..i]);
    }
    out
}

fn line_end(s: &str, from: usize) -> usize {
    s[from..].find('\n').map_or(s.len(), |p| from + p + 1)
}

/// `NewLineOrCommentRule.to_list`: one value for a lone block comment, else
/// one per non-empty line with its `//` or `#` removed.
fn to_list(raw: &str) -> Vec<String> {
    let stripped = raw.trim();
    if stripped.starts_with("/*") && stripped.ends_with("*/") {
        let inner = stripped
            .get(2..stripped.len().saturating_sub(2))
            .unwrap_or("");
        let text = inner.trim();
        return if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_string()]
        };
    }
    let mut out = Vec::new();
    for line in raw.split('\n') {
        let mut line = line.trim();
        for delimiter in ["//", "#"] {
            if let Some(rest) = line.strip_prefix(delimiter) {
                line = rest;
                break;
            }
        }
        if !line.is_empty() {
            out.push(line.trim().to_string());
        }
    }
    out
}

/// Where 8.1.4 puts a run of comments found inside an attribute's value.
#[derive(PartialEq)]
enum Place {
    /// `__inline_comments__` of the enclosing body.
    Inline,
    /// Owned by a rule that never reports its comments (object elements,
    /// strings, splats).
    Lost,
}

fn within(span: Span, run: &Run) -> bool {
    span.start.byte <= run.start && run.end <= span.end.byte
}

/// How deep, along the right edge of `e`, the binary operation that ends it
/// sits (0: `e` itself). The grammar lets that operation swallow the
/// comments that follow it.
fn absorber_depth(e: &Expression) -> Option<usize> {
    match &e.kind {
        ExprKind::Binary { rhs, .. } => Some(absorber_depth(rhs).map_or(0, |d| d + 1)),
        ExprKind::Conditional { otherwise, .. } => absorber_depth(otherwise).map(|d| d + 1),
        _ => None,
    }
}

fn comment_dicts(values: Vec<String>) -> Py {
    Py::List(
        values
            .into_iter()
            .map(|v| Py::Dict(vec![("value".into(), Py::Str(v))]))
            .collect(),
    )
}

struct V8<'a> {
    src: &'a str,
}

impl V8<'_> {
    fn raw(&self, span: Span) -> &str {
        self.src.get(span.bytes()).unwrap_or("")
    }

    /// `BodyRule.serialize`, with the runs of comments inside the body.
    fn body(&self, body: &Body, runs: &[&Run]) -> Result<Py, Diagnostic> {
        let mut result: Vec<(String, Py)> = Vec::new();
        let mut attribute_names: Vec<&str> = Vec::new();
        let mut comments = Vec::new();
        let mut inline = Vec::new();
        let mut k = 0;
        let mut previous: Option<&Structure> = None;
        for item in &body.items {
            let span = item.span();
            while k < runs.len() && runs[k].end <= span.start.byte {
                self.body_run(runs[k], previous, &mut comments, &mut inline);
                k += 1;
            }
            let first = k;
            while k < runs.len() && runs[k].start < span.end.byte {
                k += 1;
            }
            let inner = &runs[first..k];
            match item {
                Structure::Block(b) => {
                    if attribute_names.contains(&b.kind.as_str()) {
                        return Err(Diagnostic::error(
                            DiagnosticCode::DuplicateAttribute,
                            b.kind_span,
                            format!("Attribute {} is already defined.", b.kind),
                        ));
                    }
                    let value = self.block(b, inner)?;
                    match result.iter_mut().find(|(key, _)| *key == b.kind) {
                        Some((_, Py::List(list))) => list.push(value),
                        Some((_, other)) => *other = Py::List(vec![value]),
                        None => result.push((b.kind.clone(), Py::List(vec![value]))),
                    }
                }
                Structure::Attribute(a) => {
                    attribute_names.push(&a.name);
                    Py::insert(&mut result, a.name.clone(), self.value(&a.expr));
                    for run in inner.iter().filter(|r| within(a.expr.span, r)) {
                        if self.place(&a.expr, run) == Place::Inline {
                            inline.extend(run.values.iter().cloned());
                        }
                    }
                }
            }
            previous = Some(item);
        }
        for run in runs[k..].iter().copied() {
            self.body_run(run, previous, &mut comments, &mut inline);
        }
        if !comments.is_empty() {
            result.push(("__comments__".into(), comment_dicts(comments)));
        }
        if !inline.is_empty() {
            result.push(("__inline_comments__".into(), comment_dicts(inline)));
        }
        Ok(Py::Dict(result))
    }

    /// A run between the items of a body: a body comment, unless the
    /// attribute before it ends in a binary operation, which takes it.
    fn body_run(
        &self,
        run: &Run,
        previous: Option<&Structure>,
        comments: &mut Vec<String>,
        inline: &mut Vec<String>,
    ) {
        let absorber = match previous {
            Some(Structure::Attribute(a)) => absorber_depth(&a.expr),
            _ => None,
        };
        match absorber {
            _ if run.inline && absorber.is_some() => inline.extend(run.values.iter().cloned()),
            // Only the attribute's own operation reports what it absorbed
            // from the following lines; a nested one drops it.
            Some(depth) if depth > 0 => {}
            _ => comments.extend(run.values.iter().cloned()),
        }
    }

    /// `BlockRule.serialize`: the body with `__is_block__`, nested under
    /// each label after the type.
    fn block(&self, b: &Block, runs: &[&Run]) -> Result<Py, Diagnostic> {
        // Runs in the header (between labels) belong to no body.
        let inside: Vec<&Run> = runs
            .iter()
            .copied()
            .filter(|r| r.start >= b.open_brace.end.byte && r.end <= b.close_brace.start.byte)
            .collect();
        let mut result = self.body(&b.body, &inside)?;
        if let Py::Dict(items) = &mut result {
            Py::insert(items, "__is_block__".into(), Py::Bool(true));
        }
        let mut keys: Vec<String> = b
            .labels
            .iter()
            .map(|l| {
                if l.quoted {
                    self.raw(l.span).to_string()
                } else {
                    l.value.clone()
                }
            })
            .collect();
        // A newline (or comment) before `{` parses as one more label.
        let header_end = b.labels.last().map_or(b.kind_span.end, |l| l.span.end);
        let gap = self
            .src
            .get(header_end.byte..b.open_brace.start.byte)
            .unwrap_or("");
        let trivia = lex_trivia(gap);
        if !trivia.is_empty() {
            keys.push(trivia);
        }
        for key in keys.into_iter().rev() {
            result = Py::Dict(vec![(key, result)]);
        }
        Ok(result)
    }

    /// Where a run inside expression `e` ends up (see [`Place`]).
    fn place(&self, e: &Expression, run: &Run) -> Place {
        let find = |items: &mut dyn Iterator<Item = &Expression>| -> Option<Place> {
            let mut previous = None;
            for item in items {
                if within(item.span, run) {
                    return Some(self.place(item, run));
                }
                if item.span.end.byte <= run.start {
                    previous = Some(item);
                }
            }
            match previous.and_then(absorber_depth) {
                Some(_) if !run.inline => Some(Place::Lost),
                _ => None,
            }
        };
        match &e.kind {
            ExprKind::Template(_) | ExprKind::Invalid => Place::Lost,
            ExprKind::Object { items } => {
                let in_item = items.iter().any(|i| {
                    i.key.span.start.byte <= run.start && run.end <= i.value.span.end.byte
                });
                let after_absorber = items
                    .iter()
                    .rfind(|i| i.value.span.end.byte <= run.start)
                    .is_some_and(|i| absorber_depth(&i.value).is_some());
                if in_item || after_absorber {
                    Place::Lost
                } else {
                    Place::Inline
                }
            }
            ExprKind::Tuple { items } => find(&mut items.iter()).unwrap_or(Place::Inline),
            ExprKind::FunctionCall { args, .. } => find(&mut args.iter()).unwrap_or(Place::Inline),
            ExprKind::Traversal { target, ops } => {
                if within(target.span, run) {
                    return self.place(target, run);
                }
                for op in ops {
                    match op {
                        TraversalOp::Index { key, .. } if within(key.span, run) => {
                            return self.place(key, run)
                        }
                        TraversalOp::AttrSplat { span, .. }
                        | TraversalOp::FullSplat { span, .. }
                            if within(*span, run) =>
                        {
                            return Place::Lost
                        }
                        _ => {}
                    }
                }
                Place::Inline
            }
            ExprKind::Unary { operand: inner, .. } | ExprKind::Parens { inner } => {
                if within(inner.span, run) {
                    self.place(inner, run)
                } else {
                    Place::Inline
                }
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                find(&mut [&**lhs, &**rhs].into_iter()).unwrap_or(Place::Inline)
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => find(&mut [&**condition, &**then, &**otherwise].into_iter())
                .unwrap_or(Place::Inline),
            ExprKind::For(f) => {
                let parts = [
                    Some(&f.collection),
                    f.key.as_ref(),
                    Some(&f.value),
                    f.condition.as_ref(),
                ];
                find(&mut parts.into_iter().flatten()).unwrap_or(Place::Inline)
            }
            ExprKind::Null
            | ExprKind::Bool { .. }
            | ExprKind::Number { .. }
            | ExprKind::Variable { .. } => Place::Inline,
        }
    }

    /// An expression's value outside `${...}`: literals stay Python values,
    /// strings keep their quotes, other expressions become `${...}`.
    fn value(&self, e: &Expression) -> Py {
        match &e.kind {
            ExprKind::Null => Py::None,
            ExprKind::Bool { value } => Py::Bool(*value),
            ExprKind::Number { raw } => number(raw),
            ExprKind::Template(_) | ExprKind::Variable { .. } => Py::Str(self.text(e)),
            ExprKind::Tuple { items } => Py::List(items.iter().map(|i| self.value(i)).collect()),
            ExprKind::Object { items } => {
                let mut out = Vec::new();
                for item in items {
                    let key = match self.simple_key(&item.key) {
                        Some(k) => k,
                        None => to_dollar_string(self.text(&item.key)),
                    };
                    Py::insert(&mut out, key, self.value(&item.value));
                }
                Py::Dict(out)
            }
            ExprKind::Unary {
                op: UnaryOp::Negate,
                operand,
            } => match &operand.kind {
                // `-3` lexes as MINUS and a literal, and is put back together.
                ExprKind::Number { raw } if !raw.contains(['e', 'E']) => match number(raw) {
                    Py::Int(d) => Py::Int(int_digits(&format!("-{d}"))),
                    Py::Float(f) => Py::Float(-f),
                    other => other,
                },
                _ => Py::Str(to_dollar_string(self.text(e))),
            },
            ExprKind::Parens { inner } => {
                let wrapped = match self.value(inner) {
                    Py::Str(s) if is_dollar_string(&s) => {
                        format!("${{({})}}", unwrap_dollar_string(s))
                    }
                    other => format!("({})", other.py_str()),
                };
                Py::Str(to_dollar_string(wrapped))
            }
            _ => Py::Str(to_dollar_string(self.text(e))),
        }
    }

    /// An object key that is a plain identifier, string or number.
    fn simple_key(&self, key: &Expression) -> Option<String> {
        match &key.kind {
            ExprKind::Variable { name } => Some(name.clone()),
            ExprKind::Null => Some("null".into()),
            ExprKind::Bool { value } => Some(value.to_string()),
            ExprKind::Template(t) if t.style == TemplateStyle::Quoted => Some(self.text(key)),
            ExprKind::Number { raw } => Some(self.text_number(raw)),
            _ => None,
        }
    }

    /// An expression's text inside `${...}` (`serialize` with
    /// `inside_dollar_string`).
    fn text(&self, e: &Expression) -> String {
        match &e.kind {
            ExprKind::Null => "null".into(),
            ExprKind::Bool { value } => value.to_string(),
            ExprKind::Number { raw } => self.text_number(raw),
            ExprKind::Template(t) => match &t.style {
                TemplateStyle::Quoted => {
                    let mut out = String::from("\"");
                    let end = e.span.end.byte.saturating_sub(1).max(e.span.start.byte + 1);
                    self.parts_into(&t.parts, e.span.start.byte + 1, end, &mut out);
                    out.push('"');
                    out
                }
                TemplateStyle::Heredoc { .. } => {
                    format!(
                        "\"{}\"",
                        self.raw(e.span).trim_end_matches(['\r', '\n', '\t', ' '])
                    )
                }
            },
            ExprKind::Tuple { items } => {
                let inner: Vec<String> = items.iter().map(|i| self.text(i)).collect();
                format!("[{}]", inner.join(", "))
            }
            ExprKind::Object { items } => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|i| {
                        let key = self.simple_key(&i.key).unwrap_or_else(|| self.text(&i.key));
                        format!("{key} = {}", self.text(&i.value))
                    })
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            ExprKind::Variable { name } => name.clone(),
            ExprKind::FunctionCall {
                name,
                args,
                expand_final,
            } => {
                let args: Vec<String> = args.iter().map(|a| self.text(a)).collect();
                let ellipsis = if *expand_final { " ..." } else { "" };
                format!("{name}({}{ellipsis})", args.join(", "))
            }
            ExprKind::Traversal { target, ops } => {
                let mut s = self.text(target);
                render_ops(ops, &mut s, &|key| self.text(key), &|raw| {
                    format!(".{}", int_digits(raw))
                });
                s
            }
            ExprKind::Unary { op, operand } => format!("{}{}", op.as_str(), self.text(operand)),
            ExprKind::Binary { op, lhs, rhs } => {
                format!("{} {} {}", self.text(lhs), op.as_str(), self.text(rhs))
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => format!(
                "{} ? {} : {}",
                self.text(condition),
                self.text(then),
                self.text(otherwise)
            ),
            ExprKind::For(f) => {
                let mut intro = String::from("for ");
                if let Some(k) = &f.key_var {
                    intro.push_str(k);
                    intro.push_str(", ");
                }
                intro.push_str(&f.value_var);
                intro.push_str(" in ");
                intro.push_str(&self.text(&f.collection));
                intro.push_str(" : ");
                let condition = f
                    .condition
                    .as_ref()
                    .map(|c| format!(" if {}", self.text(c)))
                    .unwrap_or_default();
                match &f.key {
                    Some(key) => format!(
                        "{{{intro}{} => {}{}{condition}}}",
                        self.text(key),
                        self.text(&f.value),
                        if f.grouping { "..." } else { "" }
                    ),
                    None => format!("[{intro}{}{condition}]", self.text(&f.value)),
                }
            }
            ExprKind::Parens { inner } => format!("({})", self.text(inner)),
            ExprKind::Invalid => self.raw(e.span).to_string(),
        }
    }

    /// A number literal's `str()`: ints and floats through Python, exponent
    /// forms as written.
    fn text_number(&self, raw: &str) -> String {
        match number(raw) {
            Py::Str(s) => unwrap_dollar_string(s),
            other => other.py_str(),
        }
    }

    /// Template parts between byte offsets `from` and `to`: literal text as
    /// written, interpolations and directives re-rendered.
    fn parts_into(&self, parts: &[TemplatePart], from: usize, to: usize, out: &mut String) {
        let mut cursor = from;
        for p in parts {
            let span = p.span();
            if span.start.byte > cursor {
                out.push_str(self.src.get(cursor..span.start.byte).unwrap_or(""));
            }
            match p {
                TemplatePart::Literal { raw, .. } => out.push_str(raw),
                TemplatePart::Interpolation { expr, .. } => {
                    out.push_str(&to_dollar_string(self.text(expr)));
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
                    let end = close.map_or(span.end.byte, |t| t.span.start.byte);
                    out.push_str(&render_tag(open, &format!("if {}", self.text(condition))));
                    match (otherwise, else_tag) {
                        (Some(otherwise), Some(middle)) => {
                            self.parts_into(then, open.span.end.byte, middle.span.start.byte, out);
                            out.push_str(&render_tag(middle, "else"));
                            self.parts_into(otherwise, middle.span.end.byte, end, out);
                        }
                        _ => self.parts_into(then, open.span.end.byte, end, out),
                    }
                    if let Some(close) = close {
                        out.push_str(&render_tag(close, "endif"));
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
                } => {
                    let vars = match key_var {
                        Some(k) => format!("{k}, {value_var}"),
                        None => value_var.clone(),
                    };
                    let head = format!("for {vars} in {}", self.text(collection));
                    out.push_str(&render_tag(open, &head));
                    let end = close.map_or(span.end.byte, |t| t.span.start.byte);
                    self.parts_into(body, open.span.end.byte, end, out);
                    if let Some(close) = close {
                        out.push_str(&render_tag(close, "endfor"));
                    }
                }
            }
            cursor = span.end.byte.max(cursor);
        }
        if to > cursor {
            out.push_str(self.src.get(cursor..to).unwrap_or(""));
        }
    }
}

/// A directive tag in 8.1.4's normalised spelling: `%{ head }`,
/// `%{~ head ~}`.
fn render_tag(tag: &DirectiveTag, head: &str) -> String {
    let prefix = if tag.strip_left { "~ " } else { " " };
    let suffix = if tag.strip_right { " ~" } else { " " };
    format!("%{{{prefix}{head}{suffix}}}")
}

/// A number literal as python-hcl2 8.1.4 types it: any exponent keeps the
/// literal as text (`preserve_scientific_notation`).
fn number(raw: &str) -> Py {
    number_literal(raw, &['e', 'E'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_block_comment_is_one_value() {
        assert_eq!(to_list("/*\n  a\n  b\n  */"), vec!["a\n  b"]);
    }

    #[test]
    fn mixed_run_is_split_by_line() {
        let raw = lex_trivia("# hash\n// slashes\n/* block */");
        assert_eq!(to_list(&raw), vec!["hash", "slashes", "/* block */"]);
    }

    #[test]
    fn trivia_keeps_newline_indentation_only() {
        assert_eq!(lex_trivia("  \n  # c\n   x"), "\n  # c\n");
    }
}
