//! Values for a root module's variables, gathered as `terraform plan`
//! gathers them: `TF_VAR_` names, `terraform.tfvars`, `*.auto.tfvars`,
//! then `-var-file` and `-var` in the order given, a later one winning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, DiagnosticCode, Pos, Severity, Span};
use crate::error::{Error, Result};
use crate::hcl;

use super::functions::encoding::from_json;
use super::{convert, evaluate, parse_expression, Scope, Type, Value};

/// Where a root module's variables get values, beyond their defaults.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    given: Vec<Source>,
    environment: bool,
    auto_files: bool,
}

#[derive(Debug, Clone)]
enum Source {
    Var(String, String),
    File(PathBuf),
}

/// One variable's value as given: text from `-var` or the environment,
/// read by the variable's type; or a value from a `.tfvars` file.
#[derive(Debug, Clone)]
pub enum Given {
    /// `-var name=text` or `TF_VAR_name=text`.
    Raw(String),
    /// A value from a variables file.
    Value(Value),
}

impl Given {
    /// The value for a variable of type `ty`. Text is taken literally for
    /// primitive and unset types, and read as an expression otherwise, as
    /// Terraform reads `-var` values.
    pub fn value(&self, ty: &Type) -> std::result::Result<Value, String> {
        let v = match self {
            Given::Value(v) => v.clone(),
            Given::Raw(text) => match ty {
                Type::String | Type::Number | Type::Bool | Type::Dynamic => {
                    Value::string(text.clone())
                }
                _ => {
                    let e = parse_expression(text).map_err(|e| e.to_string())?;
                    evaluate(&e, &Scope::default()).map_err(|e| e.detail)?
                }
            },
        };
        convert(&v, ty)
    }
}

impl Inputs {
    /// No inputs: only defaults.
    pub fn new() -> Inputs {
        Inputs::default()
    }

    /// Also read `terraform.tfvars`, `terraform.tfvars.json` and
    /// `*.auto.tfvars(.json)` from the module directory, as Terraform does
    /// without being asked.
    pub fn with_auto_files(mut self, yes: bool) -> Inputs {
        self.auto_files = yes;
        self
    }

    /// Also read `TF_VAR_name` environment variables.
    pub fn with_environment(mut self, yes: bool) -> Inputs {
        self.environment = yes;
        self
    }

    /// `-var name=value`.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Inputs {
        self.given.push(Source::Var(name.into(), value.into()));
        self
    }

    /// `-var-file=path`, relative to the current directory.
    pub fn var_file(mut self, path: impl Into<PathBuf>) -> Inputs {
        self.given.push(Source::File(path.into()));
        self
    }

    /// Every variable's value, the later source winning.
    pub fn resolve(&self, dir: &Path) -> Result<BTreeMap<String, Given>> {
        let mut out = BTreeMap::new();
        if self.environment {
            for (k, v) in std::env::vars() {
                if let Some(name) = k.strip_prefix("TF_VAR_") {
                    out.insert(name.to_string(), Given::Raw(v));
                }
            }
        }
        if self.auto_files {
            for p in auto_files(dir).map_err(|e| Error::io(dir, e))? {
                out.extend(read_file(&p)?);
            }
        }
        for s in &self.given {
            match s {
                Source::Var(k, v) => {
                    out.insert(k.clone(), Given::Raw(v.clone()));
                }
                Source::File(p) => out.extend(read_file(p)?),
            }
        }
        Ok(out)
    }
}

/// The variables files Terraform reads from a root module's directory
/// without being asked, in the order it reads them (a later one wins):
/// `terraform.tfvars`, `terraform.tfvars.json`, then each `*.auto.tfvars`
/// and `*.auto.tfvars.json` in name order.
pub(crate) fn auto_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
    Ok(auto_files_of(&entries))
}

/// [`auto_files`] among `entries`, a directory's listing: one listing
/// serves a validation's configuration files and its variables, and no
/// file is asked for by name.
pub(crate) fn auto_files_of(entries: &[std::fs::DirEntry]) -> Vec<PathBuf> {
    const NAMED: [&str; 2] = ["terraform.tfvars", "terraform.tfvars.json"];
    let mut named: Vec<(usize, PathBuf)> = Vec::new();
    let mut auto: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let rank = NAMED.iter().position(|n| *n == name);
        let is_auto = name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json");
        if rank.is_none() && !is_auto {
            continue;
        }
        let path = entry.path();
        // An entry's type comes with the listing unless it is a link.
        let is_file = match entry.file_type() {
            Ok(t) if t.is_symlink() => path.is_file(),
            Ok(t) => t.is_file(),
            Err(_) => false,
        };
        match (is_file, rank) {
            (false, _) => {}
            (true, Some(rank)) => named.push((rank, path)),
            (true, None) => auto.push(path),
        }
    }
    named.sort();
    auto.sort();
    named.into_iter().map(|(_, p)| p).chain(auto).collect()
}

/// A `.tfvars` or `.tfvars.json` file's values. Its expressions may not
/// refer to anything; a syntax error or a reference is an error naming
/// the file.
fn read_file(path: &Path) -> Result<BTreeMap<String, Given>> {
    if path.extension().is_some_and(|e| e == "json") {
        return read_json_file(path);
    }
    let parsed = hcl::parse_file(path)?;
    if parsed.has_errors() {
        return Err(Error::Parse {
            path: Some(path.to_path_buf()),
            diagnostics: parsed.diagnostics,
        });
    }
    let mut out = BTreeMap::new();
    for a in parsed.file.body.attributes() {
        let v = evaluate(&a.expr, &Scope::default()).map_err(|e| Error::Evaluation {
            path: Some(path.to_path_buf()),
            diagnostics: vec![e.diagnostic()],
        })?;
        out.insert(a.name.clone(), Given::Value(v));
    }
    Ok(out)
}

/// A `.tfvars.json` file: one object, its strings values rather than
/// templates (unlike `.tf.json`).
fn read_json_file(path: &Path) -> Result<BTreeMap<String, Given>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let fail = |line: usize, column: usize, message: String| {
        let at = Pos {
            byte: 0,
            line: line.max(1),
            column: column.max(1),
        };
        Err(Error::Parse {
            path: Some(path.to_path_buf()),
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                code: DiagnosticCode::InvalidJson,
                summary: message.clone(),
                message,
                span: Span { start: at, end: at },
            }],
        })
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(m)) => Ok(m
            .iter()
            .map(|(k, v)| (k.clone(), Given::Value(from_json(v))))
            .collect()),
        Ok(_) => fail(1, 1, "A variables file must hold one JSON object".into()),
        Err(e) => fail(e.line(), e.column(), format!("Invalid JSON: {e}")),
    }
}
