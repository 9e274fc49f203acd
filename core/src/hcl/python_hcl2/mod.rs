//! python-hcl2-compatible dictionaries: a parsed file rendered the way
//! `hcl2.loads()` renders it, in 7.3.1's or 8.1.4's format, as JSON values.
//!
//! Each dialect mirrors its release's transformer step by step, quirks
//! included (see `../shared/corpus/python-hcl2/FORMAT.md`); the differences
//! we keep are listed in `tests/KNOWN_DIFFERENCES.md`.

mod py;
mod v7;
mod v8;

use serde_json::Value;

use super::ast::{Expression, TraversalOp};
use super::parser::parse;
use crate::diagnostic::{Diagnostic, DiagnosticCode};
use crate::error::{Error, Result};

/// Which python-hcl2 output format to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Dialect {
    /// python-hcl2 7.3.1: unquoted strings, plain labels, comments dropped.
    /// The shape most tools consume, so it is the default.
    #[default]
    V7,
    /// python-hcl2 8.1.4 with its default options: strings and labels keep
    /// their quotes, blocks carry `__is_block__`, comments are kept, heredocs
    /// are preserved whole.
    V8,
}

impl Dialect {
    /// `v7` or `v8`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::V7 => "v7",
            Dialect::V8 => "v8",
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = Error;

    fn from_str(s: &str) -> Result<Dialect> {
        match s {
            "v7" => Ok(Dialect::V7),
            "v8" => Ok(Dialect::V8),
            other => Err(Error::InvalidArgument {
                name: "dialect".into(),
                message: format!("expected \"v7\" or \"v8\", got {other:?}"),
            }),
        }
    }
}

/// Options of [`loads`].
#[derive(Debug, Clone, Default)]
pub struct LoadsOptions {
    /// Which python-hcl2 version to reproduce (default v7).
    pub dialect: Dialect,
    /// Add `__start_line__` / `__end_line__` to every block body (v7 only:
    /// python-hcl2 8.1.4 accepts the option but emits nothing).
    pub with_meta: bool,
}

impl LoadsOptions {
    /// Options reproducing `dialect`, without line metadata.
    pub fn new(dialect: Dialect) -> Self {
        LoadsOptions {
            dialect,
            with_meta: false,
        }
    }

    /// Adds `__start_line__` / `__end_line__` to block bodies (v7 only).
    pub fn with_meta(mut self, on: bool) -> Self {
        self.with_meta = on;
        self
    }
}

/// See [`super::loads`].
pub fn loads(text: &str, options: &LoadsOptions) -> Result<Value> {
    if options.with_meta && options.dialect == Dialect::V8 {
        return Err(Error::InvalidArgument {
            name: "with_meta".into(),
            message: "python-hcl2 8.1.4 emits no line metadata; use dialect \"v7\" for \
                      __start_line__/__end_line__"
                .into(),
        });
    }
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
    let rendered = match options.dialect {
        Dialect::V7 => v7::V7 {
            src: text,
            with_meta: options.with_meta,
        }
        .body(&parsed.file.body),
        Dialect::V8 => v8::render(text, &parsed.file),
    };
    rendered.map(py::Py::into_json).map_err(|d| Error::Parse {
        path: None,
        diagnostics: vec![d],
    })
}

/// The strictness rules each python-hcl2 version enforces beyond the grammar.
fn fatal_in(dialect: Dialect, code: DiagnosticCode) -> bool {
    match dialect {
        Dialect::V7 => matches!(
            code,
            DiagnosticCode::DuplicateAttribute | DiagnosticCode::MisplacedComma
        ),
        // 8.1.4 lets a repeated attribute overwrite the first.
        Dialect::V8 => false,
    }
}

/// Appends the steps of a traversal as python-hcl2 prints them; the dialects
/// differ in how an index key and a legacy `.0` index are written.
fn render_ops(
    ops: &[TraversalOp],
    out: &mut String,
    index: &dyn Fn(&Expression) -> String,
    legacy_index: &dyn Fn(&str) -> String,
) {
    for op in ops {
        match op {
            TraversalOp::GetAttr { name, .. } => {
                out.push('.');
                out.push_str(name);
            }
            TraversalOp::Index { key, .. } => {
                out.push('[');
                out.push_str(&index(key));
                out.push(']');
            }
            TraversalOp::LegacyIndex { raw, .. } => out.push_str(&legacy_index(raw)),
            TraversalOp::AttrSplat { ops, .. } => {
                out.push_str(".*");
                render_ops(ops, out, index, legacy_index);
            }
            TraversalOp::FullSplat { ops, .. } => {
                out.push_str("[*]");
                render_ops(ops, out, index, legacy_index);
            }
        }
    }
}
