//! HCL: parse native syntax (`.tf`, `.hcl`, `.tfvars`) and JSON syntax
//! (`.tf.json`) into one typed model with spans, comments and diagnostics.

pub mod ast;
mod descent;
mod hclsyntax;
mod literal;
pub(crate) mod numbers;
pub(crate) mod operators;
pub mod parser;
pub mod python_hcl2;
pub mod source;
pub(crate) mod strict;
pub mod tfjson;
mod tree_sitter;

use std::path::Path;

pub use crate::diagnostic::{Diagnostic, DiagnosticCode, Severity};
pub use ast::*;
pub use parser::{parse, Parsed, MAX_DEPTH};
pub use python_hcl2::{Dialect, LoadsOptions};

use crate::error::{Error, Result};

/// The syntax a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// HCL native syntax.
    Native,
    /// Terraform JSON syntax (`.tf.json`).
    Json,
}

impl Syntax {
    /// Picks the syntax from a file name: `.json` means JSON.
    pub fn for_path(path: &Path) -> Syntax {
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Syntax::Json,
            _ => Syntax::Native,
        }
    }
}

/// Parses bytes in the given syntax; fails only when they are not UTF-8.
pub fn parse_bytes(bytes: &[u8], syntax: Syntax, path: Option<&Path>) -> Result<Parsed> {
    let text = source::check_utf8(bytes).map_err(|pos| Error::InvalidUtf8 {
        path: path.map(Path::to_path_buf),
        byte: pos.byte,
        line: pos.line,
        column: pos.column,
    })?;
    Ok(match syntax {
        Syntax::Native => parse(text),
        Syntax::Json => tfjson::parse_json(text),
    })
}

/// Reads and parses a file, choosing the syntax by extension.
pub fn parse_file(path: impl AsRef<Path>) -> Result<Parsed> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_bytes(&bytes, Syntax::for_path(path), Some(path))
}

/// python-hcl2-compatible `loads`: the dict python-hcl2 returns for `text`,
/// as JSON. Fails with [`Error::Parse`] where python-hcl2 would raise.
pub fn loads(text: &str, options: &LoadsOptions) -> Result<serde_json::Value> {
    python_hcl2::loads(text, options)
}

/// [`loads`] of a file; errors name the file.
pub fn load_file(path: impl AsRef<Path>, options: &LoadsOptions) -> Result<serde_json::Value> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = source::check_utf8(&bytes).map_err(|pos| Error::InvalidUtf8 {
        path: Some(path.to_path_buf()),
        byte: pos.byte,
        line: pos.line,
        column: pos.column,
    })?;
    python_hcl2::loads(text, options).map_err(|e| match e {
        Error::Parse { diagnostics, .. } => Error::Parse {
            path: Some(path.to_path_buf()),
            diagnostics,
        },
        other => other,
    })
}
