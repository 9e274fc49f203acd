//! The tree-sitter-hcl path: parses any input, recovering from errors,
//! and converts its concrete tree into the typed model with every syntax
//! error positioned. [`super::parser`] sends here what the hand-written
//! parser gives up on.

use tree_sitter::{Node, Parser, Tree};

use super::ast::*;
use super::literal::decode_literal;
use super::numbers::{is_bare_exponent, mask_exponents};
use super::operators::{regroup, Tok};
use super::parser::{finish, Parsed, MAX_DEPTH};
use super::source::LineIndex;
use crate::diagnostic::{Diagnostic, DiagnosticCode};

pub(crate) fn tree_sitter_path(src: &str, lines: &LineIndex, strict_rules: bool) -> Parsed {
    let masked = mask_exponents(src);
    let tree = run_tree_sitter(masked.as_deref().unwrap_or(src.as_bytes()));
    let mut cx = Converter {
        src,
        lines,
        diagnostics: Vec::new(),
        depth_reported: false,
    };
    let (body, comments) = match &tree {
        Some(tree) => {
            let root = tree.root_node();
            cx.collect_errors(root);
            let comments = cx.collect_comments(root);
            (cx.file_body(root), comments)
        }
        None => {
            cx.push(
                DiagnosticCode::Unparsable,
                0..src.len(),
                "the parser could not process this input".into(),
            );
            (Body::default(), Vec::new())
        }
    };
    let diagnostics = cx.diagnostics;
    finish(
        src,
        lines,
        File { body, comments },
        diagnostics,
        strict_rules,
    )
}

thread_local! {
    /// One parser per thread: creating one and loading the language costs
    /// more than parsing a small file.
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

fn run_tree_sitter(src: &[u8]) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_hcl::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut()?;
        let tree = parser.parse(src, None);
        if tree.is_none() {
            // A parse that did not finish leaves state behind.
            parser.reset();
        }
        tree
    })
}

struct Converter<'s> {
    src: &'s str,
    lines: &'s LineIndex<'s>,
    diagnostics: Vec<Diagnostic>,
    depth_reported: bool,
}

/// Named children, skipping comments.
fn children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cur = node.walk();
    node.children(&mut cur)
        .filter(|c| !(c.is_extra() && c.kind() == "comment"))
        .collect()
}

impl<'s> Converter<'s> {
    fn text(&self, node: Node) -> &'s str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    fn span(&self, node: Node) -> Span {
        self.lines.span(node.byte_range())
    }

    fn push(&mut self, code: DiagnosticCode, bytes: std::ops::Range<usize>, message: String) {
        self.diagnostics
            .push(Diagnostic::error(code, self.lines.span(bytes), message));
    }

    /// Walks the whole tree without recursion and reports ERROR and MISSING
    /// nodes.
    fn collect_errors(&mut self, root: Node) {
        if !root.has_error() {
            return;
        }
        let mut cur = root.walk();
        loop {
            let node = cur.node();
            let mut descend = node.has_error();
            if node.is_missing() {
                let what = readable_token(node.kind());
                self.push(
                    DiagnosticCode::Missing,
                    node.start_byte()..node.end_byte(),
                    format!("expected {what}"),
                );
                descend = false;
            } else if node.is_error() {
                let msg = self.error_message(node);
                let end = node
                    .end_byte()
                    .max(node.start_byte() + 1)
                    .min(self.src.len());
                self.push(
                    DiagnosticCode::Unexpected,
                    node.start_byte().min(end)..end,
                    msg,
                );
                descend = false;
            }
            if descend && cur.goto_first_child() {
                continue;
            }
            loop {
                if cur.goto_next_sibling() {
                    break;
                }
                if !cur.goto_parent() {
                    return;
                }
            }
        }
    }

    fn error_message(&self, node: Node) -> String {
        let found = first_leaf(node)
            .map(|l| {
                let t = self.text(l);
                if l.kind() == "ERROR" || t.is_empty() {
                    describe_text(&self.src[node.start_byte()..])
                } else {
                    describe_text(t)
                }
            })
            .unwrap_or_else(|| describe_text(&self.src[node.start_byte().min(self.src.len())..]));
        let expected = self.expected_before(node);
        match expected {
            Some(e) => format!("unexpected {found}; expected {e}"),
            None => format!("unexpected {found}"),
        }
    }

    /// What the grammar would have accepted where `node` begins, from the
    /// parse state after the preceding token.
    fn expected_before(&self, node: Node) -> Option<String> {
        let prev = previous_leaf(node)?;
        let state = prev.next_parse_state();
        let lang: tree_sitter::Language = tree_sitter_hcl::LANGUAGE.into();
        let mut names: Vec<String> = lang
            .lookahead_iterator(state)?
            .iter_names()
            .filter_map(expected_name)
            .collect();
        names.sort();
        names.dedup();
        if names.is_empty() || names.len() > 6 {
            return None;
        }
        Some(join_alternatives(&names))
    }

    fn collect_comments(&self, root: Node) -> Vec<Comment> {
        let mut out = Vec::new();
        let mut cur = root.walk();
        loop {
            let node = cur.node();
            if node.is_extra() && node.kind() == "comment" {
                let text = self.text(node);
                // The grammar's `#` and `//` comments swallow the line ending.
                let trimmed = text.trim_end_matches(['\n', '\r']);
                let end = node.start_byte() + trimmed.len();
                let style = if text.starts_with('#') {
                    CommentStyle::Hash
                } else if text.starts_with("//") {
                    CommentStyle::DoubleSlash
                } else {
                    CommentStyle::Block
                };
                out.push(Comment {
                    text: trimmed.to_string(),
                    style,
                    span: self.lines.span(node.start_byte()..end),
                });
            } else if self
                .src
                .as_bytes()
                .get(node.byte_range())
                .is_none_or(may_hold_comment)
                && cur.goto_first_child()
            {
                continue;
            }
            loop {
                if cur.goto_next_sibling() {
                    break;
                }
                if !cur.goto_parent() {
                    out.sort_by_key(|c| c.span.start.byte);
                    return out;
                }
            }
        }
    }

    fn file_body(&mut self, root: Node) -> Body {
        let mut items = Vec::new();
        for child in children(root) {
            match child.kind() {
                "body" => self.body_items(child, 0, &mut items),
                "object" => self.push(
                    DiagnosticCode::Unexpected,
                    child.start_byte()..child.start_byte() + 1,
                    "unexpected `{`; expected an argument or block definition".into(),
                ),
                _ => self.body_item(child, 0, &mut items),
            }
        }
        Body {
            items,
            span: self.lines.span(0..self.src.len()),
        }
    }

    fn body_items(&mut self, body: Node, depth: usize, out: &mut Vec<Structure>) {
        for child in children(body) {
            self.body_item(child, depth, out);
        }
    }

    /// Converts an attribute or block; inside ERROR nodes, recovers the
    /// well-formed items tree-sitter still recognised.
    fn body_item(&mut self, node: Node, depth: usize, out: &mut Vec<Structure>) {
        match node.kind() {
            "attribute" => {
                if let Some(a) = self.attribute(node, depth) {
                    out.push(Structure::Attribute(a));
                }
            }
            "block" => {
                if let Some(b) = self.block(node, depth) {
                    out.push(Structure::Block(b));
                }
            }
            "ERROR" | "body" => {
                for c in children(node) {
                    self.body_item(c, depth, out);
                }
            }
            _ => {}
        }
    }

    fn attribute(&mut self, node: Node, depth: usize) -> Option<Attribute> {
        let ch = children(node);
        let name = ch.iter().find(|c| c.kind() == "identifier")?;
        let expr_node = ch.iter().find(|c| c.kind() == "expression")?;
        Some(Attribute {
            name: self.text(*name).to_string(),
            name_span: self.span(*name),
            expr: self.expression(*expr_node, depth + 1),
            span: self.span(node),
            leading_comments: Vec::new(),
            trailing_comment: None,
        })
    }

    fn block(&mut self, node: Node, depth: usize) -> Option<Block> {
        let ch = children(node);
        let kind_node = *ch.first().filter(|c| c.kind() == "identifier")?;
        let mut labels = Vec::new();
        let mut open = None;
        let mut close = None;
        let mut body = Body::default();
        for c in &ch[1..] {
            match c.kind() {
                "string_lit" => {
                    let parts =
                        self.template_parts(children(*c), self.quoted_inside(*c), depth, true);
                    let value = Template {
                        style: TemplateStyle::Quoted,
                        parts,
                    }
                    .as_plain_string()
                    .unwrap_or_default();
                    labels.push(Label {
                        value,
                        quoted: true,
                        span: self.span(*c),
                    });
                }
                "identifier" if open.is_none() => labels.push(Label {
                    value: self.text(*c).to_string(),
                    quoted: false,
                    span: self.span(*c),
                }),
                "block_start" => open = Some(self.span(*c)),
                "block_end" => close = Some(self.span(*c)),
                "body" => {
                    if depth >= MAX_DEPTH {
                        self.too_deep(*c);
                    } else {
                        let mut items = Vec::new();
                        self.body_items(*c, depth + 1, &mut items);
                        body = Body {
                            items,
                            span: self.span(*c),
                        };
                    }
                }
                _ => {}
            }
        }
        let open_brace = open?;
        let close_brace = close.unwrap_or(Span {
            start: open_brace.end,
            end: open_brace.end,
        });
        if body.items.is_empty() {
            body.span = Span {
                start: open_brace.end,
                end: close_brace.start,
            };
        }
        Some(Block {
            kind: self.text(kind_node).to_string(),
            kind_span: self.span(kind_node),
            labels,
            body,
            open_brace,
            close_brace,
            span: self.span(node),
            leading_comments: Vec::new(),
            trailing_comment: None,
        })
    }

    fn too_deep(&mut self, node: Node) {
        if !self.depth_reported {
            self.depth_reported = true;
            self.push(
                DiagnosticCode::TooDeep,
                node.start_byte()..node.start_byte() + 1,
                format!("nesting is deeper than {MAX_DEPTH} levels"),
            );
        }
    }

    fn invalid(&self, node: Node) -> Expression {
        Expression {
            kind: ExprKind::Invalid,
            span: self.span(node),
        }
    }

    /// Converts an `expression` node, or any node standing for one term.
    fn expression(&mut self, node: Node, depth: usize) -> Expression {
        if depth > MAX_DEPTH {
            self.too_deep(node);
            return self.invalid(node);
        }
        match node.kind() {
            "expression" => {
                let ch = children(node);
                if ch.len() == 1 && ch[0].kind() == "conditional" {
                    return self.conditional(ch[0], depth);
                }
                self.term(node, &ch, depth)
            }
            _ => self.term(node, &[node], depth),
        }
    }

    fn conditional(&mut self, node: Node, depth: usize) -> Expression {
        let exprs: Vec<Node> = children(node)
            .into_iter()
            .filter(|c| c.kind() == "expression")
            .collect();
        if exprs.len() != 3 {
            return self.invalid(node);
        }
        let condition = self.expression(exprs[0], depth + 1);
        let then = self.expression(exprs[1], depth + 1);
        let otherwise = self.expression(exprs[2], depth + 1);
        right_associative(condition, then, otherwise)
    }

    /// A term spread over sibling nodes: a primary (or `( expr )`) followed by
    /// index / get_attr / splat steps, as tree-sitter inlines `_expr_term`.
    fn term(&mut self, whole: Node, nodes: &[Node], depth: usize) -> Expression {
        let Some(first) = nodes.first() else {
            return self.invalid(whole);
        };
        if nodes.iter().any(|n| n.kind() == "operation") {
            return self.operation(whole, nodes, depth);
        }
        let (primary, rest) = if first.kind() == "(" {
            let close = nodes.iter().position(|n| n.kind() == ")");
            let inner = nodes.iter().find(|n| n.kind() == "expression");
            let (Some(close), Some(inner)) = (close, inner) else {
                return self.invalid(whole);
            };
            let span = self.lines.span(first.start_byte()..nodes[close].end_byte());
            let e = Expression {
                kind: ExprKind::Parens {
                    inner: Box::new(self.expression(*inner, depth + 1)),
                },
                span,
            };
            (e, &nodes[close + 1..])
        } else {
            (self.primary(*first, depth), &nodes[1..])
        };
        if rest.is_empty() {
            return primary;
        }
        let ops = self.traversal_ops(rest, depth);
        let end = rest.last().map_or(whole.end_byte(), |n| n.end_byte());
        let span = self.lines.span(primary.span.start.byte..end);
        Expression {
            kind: ExprKind::Traversal {
                target: Box::new(primary),
                ops,
            },
            span,
        }
    }

    /// An operator expression: flattened into tokens, then regrouped by
    /// precedence (see [`super::operators`]).
    fn operation(&mut self, whole: Node, nodes: &[Node], depth: usize) -> Expression {
        let mut tokens = Vec::new();
        if self.flatten(nodes, depth, &mut tokens) {
            if let Some(e) = regroup(tokens) {
                return e;
            }
        }
        self.invalid(whole)
    }

    /// Appends the tokens of a term sequence; false when the input is too
    /// deep or malformed.
    fn flatten(&mut self, nodes: &[Node], depth: usize, out: &mut Vec<Tok>) -> bool {
        if depth > MAX_DEPTH {
            if let Some(n) = nodes.first() {
                self.too_deep(*n);
            }
            return false;
        }
        let mut i = 0;
        while i < nodes.len() {
            let n = nodes[i];
            i += 1;
            match n.kind() {
                "operation" | "binary_operation" | "unary_operation" => {
                    if !self.flatten(&children(n), depth + 1, out) {
                        return false;
                    }
                }
                "get_attr" | "index" | "splat" => {
                    let ops = self.traversal_ops(&[n], depth);
                    out.extend(ops.into_iter().map(Tok::Postfix));
                }
                "(" => {
                    let Some(close) = nodes[i..].iter().position(|c| c.kind() == ")") else {
                        return false;
                    };
                    let close = i + close;
                    let e = self.term(n, &nodes[i - 1..=close], depth + 1);
                    out.push(Tok::Operand(e));
                    i = close + 1;
                }
                k if !n.is_named() => {
                    if let Some(op) = BinaryOp::from_token(k) {
                        // `-` is prefix where no operand precedes it.
                        let prefix = k == "-"
                            && !matches!(out.last(), Some(Tok::Operand(_)) | Some(Tok::Postfix(_)));
                        if prefix {
                            out.push(Tok::Prefix(UnaryOp::Negate, self.span(n)));
                        } else {
                            out.push(Tok::Infix(op));
                        }
                    } else if k == "!" {
                        out.push(Tok::Prefix(UnaryOp::Not, self.span(n)));
                    } else {
                        return false;
                    }
                }
                _ => {
                    let e = self.primary(n, depth + 1);
                    out.push(Tok::Operand(e));
                }
            }
        }
        true
    }

    fn traversal_ops(&mut self, nodes: &[Node], depth: usize) -> Vec<TraversalOp> {
        let mut ops = Vec::new();
        for n in nodes {
            match n.kind() {
                "get_attr" => {
                    let name = children(*n)
                        .into_iter()
                        .find(|c| c.kind() == "identifier")
                        .map(|c| self.text(c).to_string())
                        .unwrap_or_default();
                    ops.push(TraversalOp::GetAttr {
                        name,
                        span: self.span(*n),
                    });
                }
                "index" => {
                    for c in children(*n) {
                        match c.kind() {
                            "new_index" => {
                                let key = children(c)
                                    .into_iter()
                                    .find(|x| x.kind() == "expression")
                                    .map(|x| self.expression(x, depth + 1))
                                    .unwrap_or_else(|| self.invalid(c));
                                ops.push(TraversalOp::Index {
                                    key,
                                    span: self.span(*n),
                                });
                            }
                            "legacy_index" => {
                                let raw = self.text(c).trim_start_matches('.').trim().to_string();
                                ops.push(TraversalOp::LegacyIndex {
                                    raw,
                                    span: self.span(*n),
                                });
                            }
                            _ => {}
                        }
                    }
                }
                "splat" => {
                    for c in children(*n) {
                        let inner: Vec<Node> = children(c)
                            .into_iter()
                            .filter(|x| matches!(x.kind(), "get_attr" | "index"))
                            .collect();
                        match c.kind() {
                            "attr_splat" => {
                                // `.*` takes only the attribute steps right
                                // after it; tree-sitter-hcl also puts later
                                // indexes inside, where HCL applies them to
                                // the splat's result.
                                let attrs =
                                    inner.iter().take_while(|x| x.kind() == "get_attr").count();
                                let sub = self.traversal_ops(&inner[..attrs], depth);
                                let end = inner[..attrs]
                                    .last()
                                    .map_or(c.start_byte() + 2, |x| x.end_byte());
                                let span = self.lines.span(c.start_byte()..end);
                                ops.push(TraversalOp::AttrSplat { ops: sub, span });
                                let rest = self.traversal_ops(&inner[attrs..], depth);
                                ops.extend(rest);
                            }
                            "full_splat" => {
                                let sub = self.traversal_ops(&inner, depth);
                                let span = self.span(c);
                                ops.push(TraversalOp::FullSplat { ops: sub, span });
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        ops
    }

    fn primary(&mut self, node: Node, depth: usize) -> Expression {
        let span = self.span(node);
        let kind = match node.kind() {
            "expression" => return self.expression(node, depth + 1),
            "operation" => return self.operation(node, &[node], depth),
            "literal_value" | "collection_value" | "template_expr" | "for_expr" => {
                match children(node).first() {
                    Some(c) => return self.primary(*c, depth),
                    None => ExprKind::Invalid,
                }
            }
            "numeric_lit" => ExprKind::Number {
                raw: self.text(node).to_string(),
            },
            "bool_lit" => ExprKind::Bool {
                value: self.text(node) == "true",
            },
            "null_lit" => ExprKind::Null,
            "string_lit" | "quoted_template" => {
                let parts =
                    self.template_parts(children(node), self.quoted_inside(node), depth, true);
                ExprKind::Template(Template {
                    style: TemplateStyle::Quoted,
                    parts,
                })
            }
            "heredoc_template" => self.heredoc(node, depth),
            "tuple" => {
                let items = children(node)
                    .into_iter()
                    .filter(|c| c.kind() == "expression")
                    .map(|c| self.expression(c, depth + 1))
                    .collect();
                ExprKind::Tuple { items }
            }
            "object" => {
                let mut items = Vec::new();
                for elem in children(node) {
                    if elem.kind() != "object_elem" {
                        continue;
                    }
                    let key = elem.child_by_field_name("key");
                    let val = elem.child_by_field_name("val");
                    if let (Some(k), Some(v)) = (key, val) {
                        items.push(ObjectItem {
                            key: self.expression(k, depth + 1),
                            value: self.expression(v, depth + 1),
                        });
                    }
                }
                ExprKind::Object { items }
            }
            "variable_expr" => {
                let text = self.text(node);
                if is_bare_exponent(text) {
                    ExprKind::Number {
                        raw: text.to_string(),
                    }
                } else {
                    ExprKind::Variable {
                        name: text.to_string(),
                    }
                }
            }
            "function_call" => {
                let ch = children(node);
                let name = ch
                    .iter()
                    .find(|c| c.kind() == "identifier")
                    .map(|c| self.text(*c).to_string())
                    .unwrap_or_default();
                let mut args = Vec::new();
                let mut expand_final = false;
                if let Some(a) = ch.iter().find(|c| c.kind() == "function_arguments") {
                    for c in children(*a) {
                        match c.kind() {
                            "expression" => args.push(self.expression(c, depth + 1)),
                            "ellipsis" => expand_final = true,
                            _ => {}
                        }
                    }
                }
                ExprKind::FunctionCall {
                    name,
                    args,
                    expand_final,
                }
            }
            "for_tuple_expr" | "for_object_expr" => self.for_expr(node, depth),
            "conditional" => return self.conditional(node, depth),
            _ => ExprKind::Invalid,
        };
        Expression { kind, span }
    }

    /// The variables a `for` introduces (`for k, v in` or `for v in`): the
    /// key's, if named, and the value's; `None` when it names none.
    fn for_vars(&self, intro: &[Node]) -> Option<(Option<String>, String)> {
        let idents: Vec<String> = intro
            .iter()
            .filter(|c| c.kind() == "identifier")
            .map(|c| self.text(*c).to_string())
            .collect();
        match idents.as_slice() {
            [v] => Some((None, v.clone())),
            [k, v, ..] => Some((Some(k.clone()), v.clone())),
            [] => None,
        }
    }

    fn for_expr(&mut self, node: Node, depth: usize) -> ExprKind {
        let ch = children(node);
        let Some(intro) = ch.iter().find(|c| c.kind() == "for_intro") else {
            return ExprKind::Invalid;
        };
        let intro_ch = children(*intro);
        let Some((key_var, value_var)) = self.for_vars(&intro_ch) else {
            return ExprKind::Invalid;
        };
        let collection = match intro_ch.iter().find(|c| c.kind() == "expression") {
            Some(c) => self.expression(*c, depth + 1),
            None => return ExprKind::Invalid,
        };
        let exprs: Vec<Node> = ch
            .iter()
            .copied()
            .filter(|c| c.kind() == "expression")
            .collect();
        let condition = ch
            .iter()
            .find(|c| c.kind() == "for_cond")
            .and_then(|c| children(*c).into_iter().find(|x| x.kind() == "expression"))
            .map(|c| self.expression(c, depth + 1));
        let grouping = ch.iter().any(|c| c.kind() == "ellipsis");
        let (key, value) = if node.kind() == "for_object_expr" {
            if exprs.len() < 2 {
                return ExprKind::Invalid;
            }
            (
                Some(self.expression(exprs[0], depth + 1)),
                self.expression(exprs[1], depth + 1),
            )
        } else {
            match exprs.first() {
                Some(e) => (None, self.expression(*e, depth + 1)),
                None => return ExprKind::Invalid,
            }
        };
        ExprKind::For(Box::new(ForExpr {
            key_var,
            value_var,
            collection,
            key,
            value,
            grouping,
            condition,
        }))
    }

    fn heredoc(&mut self, node: Node, depth: usize) -> ExprKind {
        let ch = children(node);
        let indented = ch
            .iter()
            .any(|c| c.kind() == "heredoc_start" && self.text(*c) == "<<-");
        let idents: Vec<&Node> = ch
            .iter()
            .filter(|c| c.kind() == "heredoc_identifier")
            .collect();
        let marker = idents
            .first()
            .map(|c| self.text(**c).to_string())
            .unwrap_or_default();
        // The text runs from the line after the opening marker to the start
        // of the closing marker's line.
        let open_end = idents.first().map_or(node.start_byte(), |c| c.end_byte());
        let start = self.src[open_end..node.end_byte()]
            .find('\n')
            .map_or(node.end_byte(), |p| open_end + p + 1);
        let end = match idents.get(1) {
            Some(close) => self.src[..close.start_byte()]
                .rfind('\n')
                .map_or(0, |p| p + 1),
            None => node.end_byte(),
        };
        let inner: Vec<Node> = ch
            .iter()
            .copied()
            .filter(|c| !matches!(c.kind(), "heredoc_start" | "heredoc_identifier"))
            .collect();
        let parts = self.template_parts(inner, start..end.max(start), depth, false);
        ExprKind::Template(Template {
            style: TemplateStyle::Heredoc { marker, indented },
            parts,
        })
    }

    /// The bytes between a quoted string's quotes (up to its end where
    /// broken input has no closing quote).
    fn quoted_inside(&self, node: Node) -> std::ops::Range<usize> {
        let r = node.byte_range();
        let start = (r.start + 1).min(r.end);
        let end = if r.end > start && self.src.as_bytes().get(r.end - 1) == Some(&b'"') {
            r.end - 1
        } else {
            r.end
        };
        start..end
    }

    /// Converts the children of a template (quoted, heredoc or a directive's
    /// body) into parts. Literal text is the source between the
    /// interpolations and directives within `text`, since tree-sitter-hcl
    /// drops whitespace at the edges of its literal nodes; `quoted` selects
    /// backslash-escape decoding.
    fn template_parts(
        &mut self,
        nodes: Vec<Node>,
        text: std::ops::Range<usize>,
        depth: usize,
        quoted: bool,
    ) -> Vec<TemplatePart> {
        let mut parts: Vec<TemplatePart> = Vec::new();
        let mut cursor = text.start;
        for n in nodes {
            let code: Vec<TemplatePart> = match n.kind() {
                "template_interpolation" => {
                    let ch = children(n);
                    let (strip_left, strip_right) = strip_markers(&ch);
                    let expr = match ch.iter().find(|c| c.kind() == "expression") {
                        Some(e) => self.expression(*e, depth + 1),
                        None => {
                            // tree-sitter-hcl accepts `${}` without an error.
                            if !n.has_error() {
                                // Where `}` or `~}` closes it, as Terraform points.
                                let close = match ch.as_slice() {
                                    [.., m, _] if m.kind() == "strip_marker" => m.start_byte(),
                                    [.., c] => c.start_byte(),
                                    [] => n.start_byte(),
                                };
                                self.push(
                                    DiagnosticCode::Missing,
                                    close..close + 1,
                                    "expected an expression".into(),
                                );
                            }
                            self.invalid(n)
                        }
                    };
                    vec![TemplatePart::Interpolation {
                        expr,
                        strip_left,
                        strip_right,
                        span: self.span(n),
                    }]
                }
                "template_directive" => children(n)
                    .into_iter()
                    .filter_map(|d| self.directive(d, depth, quoted))
                    .collect(),
                _ => continue,
            };
            for part in code {
                let span = part.span();
                self.literal(&mut parts, cursor..span.start.byte, quoted);
                cursor = cursor.max(span.end.byte);
                parts.push(part);
            }
        }
        self.literal(&mut parts, cursor..text.end, quoted);
        parts
    }

    /// Pushes the source in `bytes` as a literal part, unless it is empty.
    fn literal(&self, parts: &mut Vec<TemplatePart>, bytes: std::ops::Range<usize>, quoted: bool) {
        let Some(raw) = self.src.get(bytes.clone()).filter(|r| !r.is_empty()) else {
            return;
        };
        parts.push(TemplatePart::Literal {
            raw: raw.to_string(),
            value: decode_literal(raw, quoted),
            span: self.lines.span(bytes),
        });
    }

    fn tag(&self, node: Node) -> DirectiveTag {
        let (strip_left, strip_right) = strip_markers(&children(node));
        DirectiveTag {
            span: self.span(node),
            strip_left,
            strip_right,
        }
    }

    fn directive(&mut self, node: Node, depth: usize, quoted: bool) -> Option<TemplatePart> {
        let span = self.span(node);
        let ch = children(node);
        match node.kind() {
            "template_if" => {
                let intro = ch.iter().find(|c| c.kind() == "template_if_intro")?;
                let cond = children(*intro)
                    .into_iter()
                    .find(|c| c.kind() == "expression")?;
                let condition = self.expression(cond, depth + 1);
                let else_at = ch.iter().position(|c| c.kind() == "template_else_intro");
                let end_at = ch
                    .iter()
                    .position(|c| c.kind() == "template_if_end")
                    .unwrap_or(ch.len());
                let end_byte = ch.get(end_at).map_or(node.end_byte(), |n| n.start_byte());
                let then_end = else_at.map_or(end_byte, |e| ch[e].start_byte());
                let then_nodes = ch[1..else_at.unwrap_or(end_at)].to_vec();
                let then =
                    self.template_parts(then_nodes, intro.end_byte()..then_end, depth + 1, quoted);
                let otherwise = else_at.map(|e| {
                    let text = ch[e].end_byte()..end_byte;
                    self.template_parts(ch[e + 1..end_at].to_vec(), text, depth + 1, quoted)
                });
                Some(TemplatePart::If {
                    condition,
                    then,
                    otherwise,
                    open: self.tag(*intro),
                    else_tag: else_at.map(|e| self.tag(ch[e])),
                    close: ch.get(end_at).map(|n| self.tag(*n)),
                    span,
                })
            }
            "template_for" => {
                let start = ch.iter().find(|c| c.kind() == "template_for_start")?;
                let sch = children(*start);
                let (key_var, value_var) = self.for_vars(&sch)?;
                let coll = sch.iter().find(|c| c.kind() == "expression")?;
                let collection = self.expression(*coll, depth + 1);
                let end_at = ch
                    .iter()
                    .position(|c| c.kind() == "template_for_end")
                    .unwrap_or(ch.len());
                let end_byte = ch.get(end_at).map_or(node.end_byte(), |n| n.start_byte());
                let body = self.template_parts(
                    ch[1..end_at].to_vec(),
                    start.end_byte()..end_byte,
                    depth + 1,
                    quoted,
                );
                Some(TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                    open: self.tag(*start),
                    close: ch.get(end_at).map(|n| self.tag(*n)),
                    span,
                })
            }
            _ => None,
        }
    }
}

/// `condition ? then : otherwise`, regrouped to the right: tree-sitter-hcl
/// reads `a ? b : c ? d : e` as `(a ? b : c) ? d : e`, where HCL means
/// `a ? b : (c ? d : e)`. A parenthesised condition is left as written.
fn right_associative(condition: Expression, then: Expression, otherwise: Expression) -> Expression {
    match condition.kind {
        ExprKind::Conditional {
            condition: a,
            then: b,
            otherwise: c,
        } => Expression::conditional(*a, *b, right_associative(*c, then, otherwise)),
        kind => Expression::conditional(
            Expression {
                kind,
                span: condition.span,
            },
            then,
            otherwise,
        ),
    }
}

fn first_leaf(node: Node) -> Option<Node> {
    let mut n = node;
    loop {
        let mut cur = n.walk();
        let next = n.children(&mut cur).find(|c| c.kind() != "comment");
        match next {
            Some(c) => n = c,
            None => return Some(n),
        }
    }
}

fn previous_leaf(node: Node) -> Option<Node> {
    let mut n = node;
    loop {
        if let Some(p) = n.prev_sibling() {
            let mut leaf = p;
            while leaf.child_count() > 0 {
                leaf = leaf.child(u32::try_from(leaf.child_count() - 1).ok()?)?;
            }
            if leaf.kind() == "comment" {
                n = leaf;
                continue;
            }
            return Some(leaf);
        }
        n = n.parent()?;
    }
}

/// A short description of the text at an error.
fn describe_text(text: &str) -> String {
    let t = text.trim_start();
    if t.is_empty() {
        return "end of file".into();
    }
    let first = t.chars().next().unwrap_or(' ');
    if first == '\n' {
        return "newline".into();
    }
    let word: String = if first.is_alphanumeric() || first == '_' {
        t.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .take(40)
            .collect()
    } else {
        t.chars().take(1).collect()
    };
    format!("`{word}`")
}

fn readable_token(kind: &str) -> String {
    match kind {
        "block_end" | "object_end" => "`}`".into(),
        "block_start" | "object_start" => "`{`".into(),
        "tuple_end" => "`]`".into(),
        "tuple_start" => "`[`".into(),
        "quoted_template_end" | "quoted_template_start" => "`\"`".into(),
        "template_interpolation_end" | "template_directive_end" => "`}`".into(),
        "identifier" => "a name".into(),
        "expression" | "_expr_term" => "an expression".into(),
        "heredoc_identifier" => "the heredoc's closing marker".into(),
        k if k.chars().all(|c| !c.is_alphanumeric()) => format!("`{k}`"),
        k => k.replace('_', " "),
    }
}

fn expected_name(name: &str) -> Option<String> {
    Some(match name {
        "comment" | "_whitespace" | "ERROR" | "end" => return None,
        "identifier" => "a name".into(),
        "block_start" | "object_start" => "`{`".into(),
        "block_end" | "object_end" => "`}`".into(),
        "tuple_start" => "`[`".into(),
        "tuple_end" => "`]`".into(),
        "quoted_template_start" | "quoted_template_end" => "`\"`".into(),
        "numeric_lit_token1" | "numeric_lit_token2" => "a number".into(),
        n if n.starts_with('_') || n.contains("template") || n.contains("heredoc") => return None,
        n if n.chars().all(|c| !c.is_alphanumeric()) => format!("`{n}`"),
        n => n.replace('_', " "),
    })
}

fn join_alternatives(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Attaches each comment that stands alone on the lines directly above an
/// item (no blank line between) as a leading comment, and a comment after an
/// item on its last line as the trailing comment.
/// The `~` markers of an interpolation or directive tag's children
/// (`${~ ... ~}`, `%{~ ... ~}`): just after the opening token, just before
/// the closing one.
fn strip_markers(ch: &[Node]) -> (bool, bool) {
    let left = ch.get(1).is_some_and(|c| c.kind() == "strip_marker");
    let right = ch.len() > 2 && ch[ch.len() - 2].kind() == "strip_marker";
    (left, right)
}

/// Whether source text could contain a comment (`#`, `//`, `/*`); the
/// comment walk skips subtrees that cannot.
fn may_hold_comment(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'#' => return true,
            b'/' if matches!(text.get(i + 1), Some(b'/' | b'*')) => return true,
            _ => i += 1,
        }
    }
    false
}
