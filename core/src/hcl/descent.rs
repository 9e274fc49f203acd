//! A hand-written recursive-descent parser for well-formed HCL native syntax,
//! some 17 times faster than tree-sitter-hcl (`cargo bench -p
//! infrarag-benches --bench parse`). It gives up at the first thing
//! it does not accept; [`super::parser`] then parses with tree-sitter, which
//! recovers from errors and reports them. On what it accepts, it builds
//! exactly the [`File`] the tree-sitter path builds (a corpus-wide test
//! compares the two).

use super::ast::*;
use super::literal::decode_literal;
use super::source::LineIndex;

/// Why the parser stopped: the input is broken, or uses a form this parser
/// leaves to tree-sitter. Either way tree-sitter takes over.
struct GiveUp;

type R<T> = Result<T, GiveUp>;

/// Deepest nesting handled here, well below [`super::MAX_DEPTH`]: deeper
/// input goes to tree-sitter, which reports it.
const DEPTH: usize = 64;

/// Parses `src`, or returns `None` where the tree-sitter path must decide.
/// Comments are collected but not yet attached to items.
pub(crate) fn parse(src: &str, lines: &LineIndex) -> Option<File> {
    if src.starts_with('\u{feff}') {
        return None;
    }
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        lines,
        comments: Vec::new(),
        depth: 0,
    };
    let items = p.body_items(true).ok()?;
    Some(File {
        body: Body {
            items,
            span: lines.span(0..src.len()),
        },
        comments: p.comments,
    })
}

struct Parser<'s> {
    src: &'s str,
    b: &'s [u8],
    pos: usize,
    lines: &'s LineIndex<'s>,
    comments: Vec<Comment>,
    depth: usize,
}

/// Where a template's text ends.
#[derive(Clone, Copy)]
enum Until<'m> {
    /// The closing `"` of a quoted template.
    Quote,
    /// A line holding only the heredoc's marker.
    Marker { marker: &'m str },
}

/// A directive tag that closes the template parts before it.
enum Closing {
    Else,
    EndIf,
    EndFor,
}

/// Template parts, and the directive tag that ended them, if one did.
type Parts = (Vec<TemplatePart>, Option<(Closing, DirectiveTag)>);

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

impl<'s> Parser<'s> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.pos + ahead).copied()
    }

    fn starts(&self, s: &str) -> bool {
        self.b
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s.as_bytes()))
    }

    fn span(&self, start: usize, end: usize) -> Span {
        self.lines.span(start..end)
    }

    fn expect(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > DEPTH {
            return Err(GiveUp);
        }
        Ok(())
    }

    /// Skips spaces, tabs, CRLF line ends and comments, and bare newlines
    /// too when `newlines`. A line comment stops before its newline.
    fn trivia(&mut self, newlines: bool) -> R<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'\r') if self.at(1) == Some(b'\n') && newlines => self.pos += 2,
                Some(b'\r') if self.at(1) == Some(b'\n') => return Ok(()),
                Some(b'\n') if newlines => self.pos += 1,
                Some(b'#') => self.line_comment(CommentStyle::Hash),
                Some(b'/') if self.at(1) == Some(b'/') => {
                    self.line_comment(CommentStyle::DoubleSlash)
                }
                Some(b'/') if self.at(1) == Some(b'*') => self.block_comment(newlines)?,
                _ => return Ok(()),
            }
        }
    }

    fn line_comment(&mut self, style: CommentStyle) {
        let start = self.pos;
        let end = memchr(b'\n', &self.b[start..]).map_or(self.b.len(), |p| start + p);
        let text = self.src[start..end].trim_end_matches('\r');
        self.comments.push(Comment {
            text: text.to_string(),
            style,
            span: self.span(start, start + text.len()),
        });
        self.pos = start + text.len();
    }

    /// A `/* */` comment; one spanning lines where newlines matter is left
    /// to tree-sitter, since whether it ends the item is not clear-cut.
    fn block_comment(&mut self, newlines: bool) -> R<()> {
        let start = self.pos;
        let len = self.src[start + 2..].find("*/").ok_or(GiveUp)?;
        let end = start + 2 + len + 2;
        let text = &self.src[start..end];
        if !newlines && text.contains('\n') {
            return Err(GiveUp);
        }
        self.comments.push(Comment {
            text: text.to_string(),
            style: CommentStyle::Block,
            span: self.span(start, end),
        });
        self.pos = end;
        Ok(())
    }

    /// After an item: the rest of its line must be blank or a comment.
    fn end_of_line(&mut self) -> R<()> {
        self.trivia(false)?;
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.pos += 1;
                Ok(())
            }
            Some(b'\r') if self.at(1) == Some(b'\n') => {
                self.pos += 2;
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    fn identifier(&mut self) -> R<(usize, usize)> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return Err(GiveUp);
        }
        while self.peek().is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        if self.peek().is_some_and(|c| c >= 0x80) {
            return Err(GiveUp);
        }
        Ok((start, self.pos))
    }

    /// Whether the keyword `word` comes next, followed by whitespace.
    fn keyword(&self, word: &str) -> bool {
        self.starts(word) && matches!(self.at(word.len()), Some(b' ' | b'\t' | b'\n' | b'\r'))
    }

    fn body_items(&mut self, top: bool) -> R<Vec<Structure>> {
        let mut items = Vec::new();
        loop {
            self.trivia(true)?;
            match self.peek() {
                None if top => return Ok(items),
                None => return Err(GiveUp),
                Some(b'}') if !top => return Ok(items),
                _ => {}
            }
            items.push(self.item()?);
            self.end_of_line()?;
        }
    }

    fn item(&mut self) -> R<Structure> {
        let (start, end) = self.identifier()?;
        self.trivia(false)?;
        if self.peek() == Some(b'=') && self.at(1) != Some(b'=') {
            self.pos += 1;
            self.trivia(false)?;
            let expr = self.expression(false)?;
            let span = self.span(start, expr.span.end.byte);
            return Ok(Structure::Attribute(Attribute {
                name: self.src[start..end].to_string(),
                name_span: self.span(start, end),
                expr,
                span,
                leading_comments: Vec::new(),
                trailing_comment: None,
            }));
        }
        self.block(start, end).map(Structure::Block)
    }

    fn block(&mut self, start: usize, kind_end: usize) -> R<Block> {
        self.enter()?;
        let mut labels = Vec::new();
        loop {
            match self.peek() {
                Some(b'"') => {
                    let label_start = self.pos;
                    let parts = self.quoted()?;
                    let value = match parts.as_slice() {
                        [] => String::new(),
                        [TemplatePart::Literal { value, .. }] => value.clone(),
                        _ => return Err(GiveUp),
                    };
                    labels.push(Label {
                        value,
                        quoted: true,
                        span: self.span(label_start, self.pos),
                    });
                }
                Some(b'{') => break,
                _ => {
                    let (s, e) = self.identifier()?;
                    labels.push(Label {
                        value: self.src[s..e].to_string(),
                        quoted: false,
                        span: self.span(s, e),
                    });
                }
            }
            self.trivia(false)?;
        }
        let open_at = self.pos;
        self.pos += 1;
        let open_brace = self.span(open_at, open_at + 1);
        self.trivia(false)?;
        let items = match self.peek() {
            Some(b'}') => Vec::new(),
            Some(b'\n' | b'\r') => self.body_items(false)?,
            _ => {
                // A one-line block holds one argument.
                let item = self.item()?;
                if !matches!(item, Structure::Attribute(_)) {
                    return Err(GiveUp);
                }
                self.trivia(false)?;
                vec![item]
            }
        };
        let close_at = self.pos;
        self.expect(b'}')?;
        let close_brace = self.span(close_at, close_at + 1);
        let body_span = match (items.first(), items.last()) {
            (Some(first), Some(last)) => first.span().to(last.span()),
            _ => Span {
                start: open_brace.end,
                end: close_brace.start,
            },
        };
        self.depth -= 1;
        Ok(Block {
            kind: self.src[start..kind_end].to_string(),
            kind_span: self.span(start, kind_end),
            labels,
            body: Body {
                items,
                span: body_span,
            },
            open_brace,
            close_brace,
            span: self.span(start, close_at + 1),
            leading_comments: Vec::new(),
            trailing_comment: None,
        })
    }

    /// An expression; `newlines` says whether line breaks are whitespace
    /// here (inside brackets) or end it (an argument, an object item).
    fn expression(&mut self, newlines: bool) -> R<Expression> {
        self.enter()?;
        let condition = self.binary(newlines, 1)?;
        self.trivia(newlines)?;
        let out = if self.peek() == Some(b'?') {
            self.pos += 1;
            self.trivia(newlines)?;
            let then = self.expression(newlines)?;
            self.trivia(newlines)?;
            self.expect(b':')?;
            self.trivia(newlines)?;
            let otherwise = self.expression(newlines)?;
            Expression::conditional(condition, then, otherwise)
        } else {
            condition
        };
        self.depth -= 1;
        Ok(out)
    }

    /// The binary operator next, longest first, and its length. `<<`
    /// starts a heredoc, not `<`.
    fn binary_op(&self) -> Option<(BinaryOp, usize)> {
        if self.starts("<<") {
            return None;
        }
        [2, 1].into_iter().find_map(|len| {
            let token = self.src.get(self.pos..self.pos + len)?;
            BinaryOp::from_token(token).map(|op| (op, len))
        })
    }

    /// Operators by precedence, left-associative: the same grouping as
    /// [`super::operators::regroup`].
    fn binary(&mut self, newlines: bool, min: u8) -> R<Expression> {
        let mut lhs = self.unary(newlines)?;
        loop {
            self.trivia(newlines)?;
            let Some((op, len)) = self.binary_op() else {
                return Ok(lhs);
            };
            let p = super::operators::precedence(op);
            if p < min {
                return Ok(lhs);
            }
            self.pos += len;
            self.trivia(newlines)?;
            let rhs = self.binary(newlines, p + 1)?;
            lhs = Expression::binary(op, lhs, rhs);
        }
    }

    fn unary(&mut self, newlines: bool) -> R<Expression> {
        let mut prefixes = Vec::new();
        loop {
            let op = match self.peek() {
                Some(b'-') => UnaryOp::Negate,
                Some(b'!') => UnaryOp::Not,
                _ => break,
            };
            prefixes.push((op, self.span(self.pos, self.pos + 1)));
            self.pos += 1;
            self.trivia(newlines)?;
        }
        let mut e = self.postfix()?;
        for (op, span) in prefixes.into_iter().rev() {
            e = Expression::unary(op, span, e);
        }
        Ok(e)
    }

    /// A primary followed by attribute access, indexes and splats, written
    /// without spaces between them.
    fn postfix(&mut self) -> R<Expression> {
        let primary = self.primary()?;
        let mut ops = Vec::new();
        loop {
            let start = self.pos;
            match (self.peek(), self.at(1)) {
                (Some(b'.'), Some(b'*')) => {
                    self.pos += 2;
                    let mut sub = Vec::new();
                    // Only attribute steps belong to `.*`; an index after
                    // them applies to its result.
                    while self.peek() == Some(b'.') && self.at(1).is_some_and(is_ident_start) {
                        sub.push(self.get_attr()?);
                    }
                    let span = self.span(start, self.pos);
                    ops.push(TraversalOp::AttrSplat { ops: sub, span });
                }
                (Some(b'['), Some(b'*')) => {
                    self.pos += 2;
                    self.expect(b']')?;
                    let mut sub = Vec::new();
                    loop {
                        match (self.peek(), self.at(1)) {
                            (Some(b'.'), Some(b'*' | b'.')) | (Some(b'['), Some(b'*')) => break,
                            (Some(b'.'), _) => sub.push(self.dot()?),
                            (Some(b'['), _) => sub.push(self.index()?),
                            _ => break,
                        }
                    }
                    let span = self.span(start, self.pos);
                    ops.push(TraversalOp::FullSplat { ops: sub, span });
                }
                (Some(b'.'), Some(b'.')) => break,
                (Some(b'.'), _) => ops.push(self.dot()?),
                (Some(b'['), _) => ops.push(self.index()?),
                _ => break,
            }
        }
        let Some(last) = ops.last() else {
            return Ok(primary);
        };
        let span = primary.span.to(last.span());
        Ok(Expression {
            kind: ExprKind::Traversal {
                target: Box::new(primary),
                ops,
            },
            span,
        })
    }

    /// `.name` or the legacy index `.0`.
    fn dot(&mut self) -> R<TraversalOp> {
        match self.at(1) {
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                self.pos += 1;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                if self.peek().is_some_and(is_ident_continue) {
                    return Err(GiveUp);
                }
                Ok(TraversalOp::LegacyIndex {
                    raw: self.src[start + 1..self.pos].to_string(),
                    span: self.span(start, self.pos),
                })
            }
            _ => self.get_attr(),
        }
    }

    fn get_attr(&mut self) -> R<TraversalOp> {
        let start = self.pos;
        self.pos += 1;
        let (s, e) = self.identifier()?;
        Ok(TraversalOp::GetAttr {
            name: self.src[s..e].to_string(),
            span: self.span(start, e),
        })
    }

    fn index(&mut self) -> R<TraversalOp> {
        let start = self.pos;
        self.pos += 1;
        self.trivia(true)?;
        let key = self.expression(true)?;
        self.trivia(true)?;
        self.expect(b']')?;
        Ok(TraversalOp::Index {
            key,
            span: self.span(start, self.pos),
        })
    }

    fn primary(&mut self) -> R<Expression> {
        let start = self.pos;
        let kind = match self.peek().ok_or(GiveUp)? {
            b'0'..=b'9' => self.number()?,
            b'"' => ExprKind::Template(Template {
                style: TemplateStyle::Quoted,
                parts: self.quoted()?,
            }),
            b'<' if self.starts("<<") => self.heredoc()?,
            b'[' => self.tuple()?,
            b'{' => self.object()?,
            b'(' => {
                self.pos += 1;
                self.trivia(true)?;
                let inner = self.expression(true)?;
                self.trivia(true)?;
                self.expect(b')')?;
                ExprKind::Parens {
                    inner: Box::new(inner),
                }
            }
            _ => {
                let (s, mut e) = self.identifier()?;
                // A provider function: `provider::name::function(...)`.
                while self.starts("::") {
                    self.pos += 2;
                    e = self.identifier()?.1;
                }
                let name = &self.src[s..e];
                match (name, self.peek()) {
                    (_, Some(b'(')) => self.call(name)?,
                    _ if name.contains("::") => return Err(GiveUp),
                    ("true", _) => ExprKind::Bool { value: true },
                    ("false", _) => ExprKind::Bool { value: false },
                    ("null", _) => ExprKind::Null,
                    _ => ExprKind::Variable {
                        name: name.to_string(),
                    },
                }
            }
        };
        Ok(Expression {
            kind,
            span: self.span(start, self.pos),
        })
    }

    fn number(&mut self) -> R<ExprKind> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos > from
        };
        digits(self);
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(GiveUp);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(GiveUp);
            }
        }
        if self
            .peek()
            .is_some_and(|c| is_ident_continue(c) || c == b'.' || c >= 0x80)
        {
            return Err(GiveUp);
        }
        Ok(ExprKind::Number {
            raw: self.src[start..self.pos].to_string(),
        })
    }

    fn call(&mut self, name: &str) -> R<ExprKind> {
        let name = name.to_string();
        self.pos += 1;
        let mut args = Vec::new();
        let mut expand_final = false;
        self.trivia(true)?;
        while self.peek() != Some(b')') {
            args.push(self.expression(true)?);
            self.trivia(true)?;
            if self.starts("...") {
                self.pos += 3;
                expand_final = true;
                self.trivia(true)?;
                if self.peek() == Some(b',') {
                    self.pos += 1;
                    self.trivia(true)?;
                }
                break;
            }
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.trivia(true)?;
                }
                Some(b')') => {}
                _ => return Err(GiveUp),
            }
        }
        self.expect(b')')?;
        Ok(ExprKind::FunctionCall {
            name,
            args,
            expand_final,
        })
    }

    fn tuple(&mut self) -> R<ExprKind> {
        self.pos += 1;
        self.trivia(true)?;
        if self.keyword("for") {
            return self.for_expr(b']');
        }
        let mut items = Vec::new();
        while self.peek() != Some(b']') {
            items.push(self.expression(true)?);
            self.trivia(true)?;
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.trivia(true)?;
                }
                Some(b']') => {}
                _ => return Err(GiveUp),
            }
        }
        self.pos += 1;
        Ok(ExprKind::Tuple { items })
    }

    /// `{ key = value ... }`: items end at a comma or a newline.
    fn object(&mut self) -> R<ExprKind> {
        self.pos += 1;
        self.trivia(true)?;
        if self.keyword("for") {
            return self.for_expr(b'}');
        }
        let mut items = Vec::new();
        while self.peek() != Some(b'}') {
            // tree-sitter-hcl reads newlines as spaces, so a key starting
            // with an operator would continue the previous value there.
            if !matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'"' | b'('))
            {
                return Err(GiveUp);
            }
            let key = self.expression(false)?;
            self.trivia(false)?;
            match (self.peek(), self.at(1)) {
                (Some(b'='), Some(b'=' | b'>')) => return Err(GiveUp),
                (Some(b'=' | b':'), _) => self.pos += 1,
                _ => return Err(GiveUp),
            }
            self.trivia(false)?;
            let value = self.expression(false)?;
            items.push(ObjectItem { key, value });
            self.trivia(false)?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'\n' | b'\r' | b'}') => {}
                _ => return Err(GiveUp),
            }
            self.trivia(true)?;
        }
        self.pos += 1;
        Ok(ExprKind::Object { items })
    }

    /// `for k, v in coll : ...` up to and including the closing bracket.
    fn for_expr(&mut self, close: u8) -> R<ExprKind> {
        self.pos += 3;
        let (key_var, value_var, collection) = self.for_intro()?;
        self.expect(b':')?;
        self.trivia(true)?;
        let first = self.expression(true)?;
        self.trivia(true)?;
        let (key, value) = if close == b'}' {
            if !self.starts("=>") {
                return Err(GiveUp);
            }
            self.pos += 2;
            self.trivia(true)?;
            let value = self.expression(true)?;
            self.trivia(true)?;
            (Some(first), value)
        } else {
            (None, first)
        };
        let grouping = close == b'}' && self.starts("...");
        if grouping {
            self.pos += 3;
            self.trivia(true)?;
        }
        let condition = if self.keyword("if") {
            self.pos += 2;
            self.trivia(true)?;
            let c = self.expression(true)?;
            self.trivia(true)?;
            Some(c)
        } else {
            None
        };
        self.expect(close)?;
        Ok(ExprKind::For(Box::new(ForExpr {
            key_var,
            value_var,
            collection,
            key,
            value,
            grouping,
            condition,
        })))
    }

    /// `k, v in coll` after `for`, with the space after the collection.
    fn for_intro(&mut self) -> R<(Option<String>, String, Expression)> {
        self.trivia(true)?;
        let (s, e) = self.identifier()?;
        let first = self.src[s..e].to_string();
        self.trivia(true)?;
        let (key_var, value_var) = if self.peek() == Some(b',') {
            self.pos += 1;
            self.trivia(true)?;
            let (s, e) = self.identifier()?;
            self.trivia(true)?;
            (Some(first), self.src[s..e].to_string())
        } else {
            (None, first)
        };
        if !self.keyword("in") {
            return Err(GiveUp);
        }
        self.pos += 2;
        self.trivia(true)?;
        let collection = self.expression(true)?;
        self.trivia(true)?;
        Ok((key_var, value_var, collection))
    }

    /// `"..."`, consumed whole; returns its parts.
    fn quoted(&mut self) -> R<Vec<TemplatePart>> {
        self.pos += 1;
        let (parts, closing) = self.template_parts(Until::Quote, true)?;
        if closing.is_some() {
            return Err(GiveUp);
        }
        self.expect(b'"')?;
        Ok(parts)
    }

    fn heredoc(&mut self) -> R<ExprKind> {
        self.pos += 2;
        let indented = self.peek() == Some(b'-');
        if indented {
            self.pos += 1;
        }
        let (s, e) = self.identifier()?;
        let marker = &self.src[s..e];
        if self.starts("\r\n") {
            self.pos += 1;
        }
        self.expect(b'\n')?;
        let until = Until::Marker { marker };
        let (parts, closing) = self.template_parts(until, false)?;
        if closing.is_some() {
            return Err(GiveUp);
        }
        // At the closing marker's line: skip its indentation and the marker.
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos += marker.len();
        Ok(ExprKind::Template(Template {
            style: TemplateStyle::Heredoc {
                marker: marker.to_string(),
                indented,
            },
            parts,
        }))
    }

    /// Whether `self.pos`, at the start of a line, is the heredoc's closing
    /// marker line: the marker alone, with spaces around it allowed.
    fn at_marker(&self, marker: &str) -> bool {
        let mut i = self.pos;
        while matches!(self.b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if !self.b[i..].starts_with(marker.as_bytes()) {
            return false;
        }
        i += marker.len();
        while matches!(self.b.get(i), Some(b' ' | b'\t' | b'\r')) {
            i += 1;
        }
        matches!(self.b.get(i), None | Some(b'\n'))
    }

    /// Template text and its interpolations and directives, up to the end
    /// of the template or a closing directive tag, which is consumed and
    /// returned. `quoted` selects backslash-escape decoding.
    fn template_parts(&mut self, until: Until, quoted: bool) -> R<Parts> {
        self.enter()?;
        let mut parts = Vec::new();
        let mut literal_start = self.pos;
        let mut line_start = matches!(until, Until::Marker { .. });
        let closing = loop {
            if line_start {
                if let Until::Marker { marker } = until {
                    if self.at_marker(marker) {
                        break None;
                    }
                }
                line_start = false;
            }
            let Some(c) = self.peek() else {
                return Err(GiveUp);
            };
            match c {
                b'"' if matches!(until, Until::Quote) => break None,
                b'\n' if matches!(until, Until::Quote) => return Err(GiveUp),
                b'\r' if matches!(until, Until::Quote) => return Err(GiveUp),
                b'\n' => {
                    self.pos += 1;
                    line_start = true;
                }
                b'\\' if matches!(until, Until::Quote) => self.escape()?,
                b'$' | b'%' if self.at(1) == Some(c) && self.at(2) == Some(b'{') => {
                    self.pos += 3;
                }
                b'$' if self.at(1) == Some(b'{') => {
                    self.literal(&mut parts, literal_start, quoted);
                    parts.push(self.interpolation()?);
                    literal_start = self.pos;
                }
                b'%' if self.at(1) == Some(b'{') => {
                    self.literal(&mut parts, literal_start, quoted);
                    if let Some(closing) = self.directive(until, quoted, &mut parts)? {
                        break Some(closing);
                    }
                    literal_start = self.pos;
                }
                _ => self.pos += 1,
            }
        };
        if closing.is_none() {
            self.literal(&mut parts, literal_start, quoted);
        }
        self.depth -= 1;
        Ok((parts, closing))
    }

    /// A backslash escape in a quoted template. Unknown ones are syntax
    /// errors, reported by tree-sitter; `\u` escapes naming no character
    /// are left to the strict rules, as on the tree-sitter path.
    fn escape(&mut self) -> R<()> {
        let hex = |p: &Self, n: usize| {
            p.b.get(p.pos + 2..p.pos + 2 + n)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        };
        self.pos += match self.at(1) {
            Some(b'n' | b'r' | b't' | b'"' | b'\\') => 2,
            Some(b'u') if hex(self, 4) => 6,
            Some(b'U') if hex(self, 8) => 10,
            _ => return Err(GiveUp),
        };
        Ok(())
    }

    fn literal(&self, parts: &mut Vec<TemplatePart>, start: usize, quoted: bool) {
        if start == self.pos {
            return;
        }
        let raw = &self.src[start..self.pos];
        parts.push(TemplatePart::Literal {
            raw: raw.to_string(),
            value: decode_literal(raw, quoted),
            span: self.span(start, self.pos),
        });
    }

    /// `~` just inside an opening `${` / `%{`.
    fn strip_left(&mut self) -> bool {
        let strip = self.peek() == Some(b'~');
        if strip {
            self.pos += 1;
        }
        strip
    }

    /// `~}` or `}` closing an interpolation or tag.
    fn close_tag(&mut self) -> R<bool> {
        let strip = self.peek() == Some(b'~');
        if strip {
            self.pos += 1;
        }
        self.expect(b'}')?;
        Ok(strip)
    }

    fn interpolation(&mut self) -> R<TemplatePart> {
        let start = self.pos;
        self.pos += 2;
        let strip_left = self.strip_left();
        self.trivia(true)?;
        let expr = self.expression(true)?;
        self.trivia(true)?;
        let strip_right = self.close_tag()?;
        Ok(TemplatePart::Interpolation {
            expr,
            strip_left,
            strip_right,
            span: self.span(start, self.pos),
        })
    }

    /// A `%{ ... }` tag. An `if` or `for` is parsed with its body up to its
    /// end tag and pushed; `else`, `endif` and `endfor` are returned.
    fn directive(
        &mut self,
        until: Until,
        quoted: bool,
        parts: &mut Vec<TemplatePart>,
    ) -> R<Option<(Closing, DirectiveTag)>> {
        let start = self.pos;
        self.pos += 2;
        let strip_left = self.strip_left();
        self.trivia(true)?;
        let tag = |p: &mut Self, strip_right| DirectiveTag {
            span: p.span(start, p.pos),
            strip_left,
            strip_right,
        };
        for (word, closing) in [
            ("else", Closing::Else),
            ("endif", Closing::EndIf),
            ("endfor", Closing::EndFor),
        ] {
            if self.starts(word) && !self.at(word.len()).is_some_and(is_ident_continue) {
                self.pos += word.len();
                self.trivia(true)?;
                let strip_right = self.close_tag()?;
                return Ok(Some((closing, tag(self, strip_right))));
            }
        }
        if self.keyword("if") {
            self.pos += 2;
            self.trivia(true)?;
            let condition = self.expression(true)?;
            self.trivia(true)?;
            let strip_right = self.close_tag()?;
            let open = tag(self, strip_right);
            let (then, closing) = self.template_parts(until, quoted)?;
            let (otherwise, else_tag, close) = match closing.ok_or(GiveUp)? {
                (Closing::EndIf, close) => (None, None, close),
                (Closing::Else, else_tag) => match self.template_parts(until, quoted)? {
                    (otherwise, Some((Closing::EndIf, close))) => {
                        (Some(otherwise), Some(else_tag), close)
                    }
                    _ => return Err(GiveUp),
                },
                (Closing::EndFor, _) => return Err(GiveUp),
            };
            parts.push(TemplatePart::If {
                condition,
                then,
                otherwise,
                open,
                else_tag,
                close: Some(close),
                span: self.span(start, self.pos),
            });
            return Ok(None);
        }
        if self.keyword("for") {
            self.pos += 3;
            let (key_var, value_var, collection) = self.for_intro()?;
            let strip_right = self.close_tag()?;
            let open = tag(self, strip_right);
            let (body, closing) = self.template_parts(until, quoted)?;
            let Some((Closing::EndFor, close)) = closing else {
                return Err(GiveUp);
            };
            parts.push(TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
                open,
                close: Some(close),
                span: self.span(start, self.pos),
            });
            return Ok(None);
        }
        Err(GiveUp)
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&c| c == needle)
}
