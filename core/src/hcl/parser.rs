//! The front door of native HCL parsing: [`parse`] tries the hand-written
//! parser and hands what it gives up on to tree-sitter-hcl, then attaches
//! comments and adds the strict rules' diagnostics.

use super::ast::*;
use super::source::LineIndex;
use super::strict;
use super::tree_sitter::tree_sitter_path;
use crate::diagnostic::{Diagnostic, DiagnosticCode};

/// Deepest nesting of expressions and blocks we convert. Real configurations
/// stay far below it; beyond it the subtree becomes [`ExprKind::Invalid`]
/// with a diagnostic, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 200;

/// The result of parsing: a tree (partial when the source is broken) and
/// every diagnostic, in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The tree; partial when the source is broken.
    pub file: File,
    /// Every error and warning, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// The syntax tree as the bindings give it: `{body, comments, diagnostics}`.
impl serde::Serialize for Parsed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Parsed", 3)?;
        out.serialize_field("body", &self.file.body)?;
        out.serialize_field("comments", &self.file.comments)?;
        out.serialize_field("diagnostics", &self.diagnostics)?;
        out.end()
    }
}

impl Parsed {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Parses HCL native syntax. Never fails: broken input yields a partial tree
/// plus diagnostics.
pub fn parse(src: &str) -> Parsed {
    parse_with(src, true)
}

/// [`parse`], optionally without the rules stricter than the grammar
/// (duplicate attributes, escapes, ...): for readers that only need the
/// tree and where the grammar broke, such as the chunker.
///
/// Well-formed input is read by the hand-written [`super::descent`] parser;
/// whatever it gives up on goes to tree-sitter-hcl, which recovers from
/// errors and says where they are.
///
/// Where the file is broken, its first error is the one Terraform would
/// print first, at Terraform's position and in its words
/// ([`super::hclsyntax`]); errors of ours up to the end of the token it names
/// are dropped, as tree-sitter recovers differently and points elsewhere.
pub(crate) fn parse_with(src: &str, strict_rules: bool) -> Parsed {
    let lines = LineIndex::new(src);
    let (mut parsed, well_formed) = match super::descent::parse(src, &lines) {
        Some(file) => (finish(src, &lines, file, Vec::new(), strict_rules), true),
        None => (tree_sitter_path(src, &lines, strict_rules), false),
    };
    if strict_rules && (!well_formed || parsed.has_errors()) {
        if let Some(first) = super::hclsyntax::first_error(src) {
            let mut first = first.diagnostic(&lines);
            // The nearest error of ours on its line, up to it, lends its
            // code (a grammar error's, of two at one place): readers such
            // as the python-hcl2 dialects tell the grammar's errors from
            // Terraform's stricter rules by it.
            if let Some(ours) = parsed
                .diagnostics
                .iter()
                .filter(|d| {
                    d.is_error()
                        && d.span.start.line == first.span.start.line
                        && d.span.start.byte <= first.span.start.byte
                })
                .max_by_key(|d| (d.span.start.byte, d.code.is_grammar_error()))
            {
                first.code = ours.code;
            }
            parsed
                .diagnostics
                .retain(|d| !d.is_error() || d.span.start.byte > first.span.end.byte);
            // Something left open is one error, not another at the end.
            if first.code == DiagnosticCode::Missing {
                let end = src.trim_end().len();
                parsed
                    .diagnostics
                    .retain(|d| d.code != DiagnosticCode::Missing || d.span.start.byte < end);
            }
            parsed.diagnostics.push(first);
            parsed
                .diagnostics
                .sort_by_key(|d| (d.span.start.byte, d.span.end.byte));
        }
    }
    parsed
}

/// [`parse`] with tree-sitter-hcl alone, bypassing the hand-written parser:
/// the reference that parser is tested and benchmarked against (every input
/// with a syntax error goes this way anyway). Not part of the API: [`parse`]
/// gives the same result.
#[doc(hidden)]
pub fn parse_tree_sitter(src: &str) -> Parsed {
    tree_sitter_path(src, &LineIndex::new(src), true)
}

/// The hand-written parser alone: `None` where it gives up. Exposed for the
/// test that compares it with [`parse_tree_sitter`] over the corpus.
#[doc(hidden)]
pub fn parse_descent(src: &str) -> Option<Parsed> {
    let lines = LineIndex::new(src);
    super::descent::parse(src, &lines).map(|file| finish(src, &lines, file, Vec::new(), true))
}

/// Attaches comments, adds the strict rules' diagnostics and orders them.
pub(super) fn finish(
    src: &str,
    lines: &LineIndex,
    mut file: File,
    mut diagnostics: Vec<Diagnostic>,
    strict_rules: bool,
) -> Parsed {
    attach_comments(&mut file);
    if strict_rules {
        strict::check(src, lines, &file, &mut diagnostics);
    }
    diagnostics.sort_by_key(|d| (d.span.start.byte, d.span.end.byte));
    diagnostics.dedup_by(|a, b| a.span == b.span && a.code == b.code);
    Parsed { file, diagnostics }
}

fn attach_comments(file: &mut File) {
    let comments = file.comments.clone();
    attach_in(&mut file.body, &comments);
}

fn attach_in(body: &mut Body, comments: &[Comment]) {
    let mut prev_end = body.span.start.byte;
    for item in &mut body.items {
        let (span, leading, trailing, nested) = match item {
            Structure::Attribute(a) => (
                a.span,
                &mut a.leading_comments,
                &mut a.trailing_comment,
                None,
            ),
            Structure::Block(b) => (
                b.span,
                &mut b.leading_comments,
                &mut b.trailing_comment,
                Some(&mut b.body),
            ),
        };
        let lo = comments.partition_point(|c| c.span.start.byte < prev_end);
        // Recovered items of broken input can overlap the previous one.
        let hi = comments
            .partition_point(|c| c.span.start.byte < span.start.byte)
            .max(lo);
        let before: Vec<&Comment> = comments[lo..hi]
            .iter()
            .filter(|c| c.span.end.byte <= span.start.byte)
            .collect();
        let mut want_line = span.start.line;
        let mut picked = Vec::new();
        for c in before.iter().rev() {
            if c.span.end.line + 1 == want_line || c.span.end.line == want_line {
                picked.push((*c).clone());
                want_line = c.span.start.line;
            } else {
                break;
            }
        }
        picked.reverse();
        *leading = picked;
        let after = comments.partition_point(|c| c.span.start.byte < span.end.byte);
        *trailing = comments[after..]
            .iter()
            .take(1)
            .find(|c| c.span.start.byte >= span.end.byte && c.span.start.line == span.end.line)
            .cloned();
        prev_end = trailing.as_ref().map_or(span.end.byte, |c| c.span.end.byte);
        if let Some(b) = nested {
            attach_in(b, comments);
        }
    }
}
