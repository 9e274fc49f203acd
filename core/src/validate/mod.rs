//! Checks a Terraform module without providers, as `terraform validate`
//! does (syntax, references, structure: errors), and lints it with the
//! provider-free rules of tflint's terraform ruleset (warnings).
//!
//! ```
//! use infrarag::terraform::SourceFile;
//! use infrarag::validate::Validator;
//!
//! let text = "output \"x\" {\n  value = var.nmae\n}\nvariable \"name\" {}\n";
//! let file = SourceFile::new("main.tf", text);
//! let report = Validator::new().check(&[file]);
//! assert!(!report.ok());
//! let error = report.findings.iter().find(|f| f.severity == infrarag::hcl::Severity::Error).unwrap();
//! assert_eq!(error.code, "undeclared_variable");
//! assert_eq!(error.fix.as_ref().unwrap().replacement, "var.name");
//! // Lint findings are warnings, coded by tflint rule.
//! assert!(report.findings.iter().any(|f| f.code == "terraform_documented_outputs"));
//! ```

mod lint;
pub mod policy;
mod references;
pub mod render;
mod structure;
mod suppress;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Result;
use crate::hcl::Span;
use crate::terraform::{read_files_cached, Module, SourceFile};

pub use crate::hcl::Severity;
pub use suppress::Suppressed;

/// One thing wrong with a module, where it is, and how to fix it when that
/// is clear.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Stable identifier: `undeclared_variable`, `duplicate_resource`,
    /// `syntax.unexpected`, ...
    pub code: String,
    /// One line; Terraform's own words where Terraform reports the same.
    pub summary: String,
    pub detail: String,
    /// Relative to the module directory.
    pub file: PathBuf,
    pub span: Span,
    /// Other places that explain this one (the first declaration of a
    /// duplicate).
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding with no related places and no fix.
    pub fn new(
        severity: Severity,
        code: impl Into<String>,
        file: impl Into<PathBuf>,
        span: Span,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            code: code.into(),
            summary: summary.into(),
            detail: detail.into(),
            file: file.into(),
            span,
            related: Vec::new(),
            fix: None,
        }
    }
}

/// A place a [`Finding`] points to besides its own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub file: PathBuf,
    pub span: Span,
    pub message: String,
}

/// A suggested edit: replace the text at `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub message: String,
    pub file: PathBuf,
    pub span: Span,
    pub replacement: String,
}

/// What validating a module found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dir: PathBuf,
    /// The files checked, relative to `dir`.
    pub files: Vec<PathBuf>,
    /// In file order, then by position.
    pub findings: Vec<Finding>,
    /// Every security-policy verdict, passed ones included (failed ones
    /// are also findings), as checkov reports them.
    pub policies: Vec<policy::Evaluation>,
    /// Findings silenced by `#checkov:skip=` or `# infrarag:ignore`
    /// comments, with their reasons; not in `findings`.
    pub suppressed: Vec<Suppressed>,
    /// Each file's text, for rendering source lines.
    #[serde(skip)]
    sources: Vec<(PathBuf, String)>,
}

impl Report {
    /// No errors (warnings allowed).
    pub fn ok(&self) -> bool {
        self.error_count() == 0
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// The text of `file` as it was checked.
    pub fn source(&self, file: &Path) -> Option<&str> {
        self.sources
            .iter()
            .find(|(p, _)| p == file)
            .map(|(_, t)| t.as_str())
    }
}

/// Which checks run: all by default; [`with_checks`](Validator::with_checks)
/// keeps only the codes it names, and [`skip_checks`](Validator::skip_checks)
/// drops them. A name ending in `_` or `.` names every code it begins
/// (`undeclared_`, `terraform_`, `CKV_AWS_`, `syntax.`); any other names
/// one code (`CKV_AWS_3` is not `CKV_AWS_35`).
#[derive(Debug, Clone, Default)]
pub struct Validator {
    only: Vec<String>,
    skip: Vec<String>,
    custom: Vec<policy::CustomPolicy>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_checks<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.only.extend(codes.into_iter().map(Into::into));
        self
    }

    pub fn skip_checks<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.skip.extend(codes.into_iter().map(Into::into));
        self
    }

    /// Adds policies in checkov's custom-policy YAML format (see
    /// [`policy::CustomPolicy::load_all`]); they run beside the built-in
    /// checks, and check selection names them by id.
    pub fn with_policies(
        mut self,
        policies: impl IntoIterator<Item = policy::CustomPolicy>,
    ) -> Self {
        self.custom.extend(policies);
        self
    }

    /// Validates the module in `dir` (its `.tf` and `.tf.json` files, not
    /// subdirectories).
    pub fn execute(&self, dir: impl AsRef<Path>) -> Result<Report> {
        let dir = dir.as_ref();
        let files = read_files_cached(dir)?;
        let mut report = self.run(Some(dir), &files);
        report.dir = dir.to_path_buf();
        Ok(report)
    }

    /// Validates files already read and parsed, as one module. Without a
    /// directory, outputs of local module calls are not checked.
    pub fn check(&self, files: &[SourceFile]) -> Report {
        self.run(None, files)
    }

    fn run(&self, dir: Option<&Path>, files: &[SourceFile]) -> Report {
        let module = Module::from_parsed(files);
        let mut findings = Vec::new();
        syntax(&module, &mut findings);
        structure::check(files, &mut findings);
        references::check(files, &module, dir, &mut findings);
        lint::check(files, &module, &mut findings);
        findings.retain(|f| self.selects(&f.code));
        // Local modules are judged per call too, with the caller's inputs,
        // as checkov judges them.
        let callees = dir
            .map(|d| policy::modules::load(d, files))
            .unwrap_or_default();
        let mut policies = policy::scan(files, &module, &callees, &self.custom, |id| {
            self.selects(id)
        });
        findings.extend(
            policies
                .iter()
                .filter(|e| e.outcome == policy::Outcome::Failed)
                .map(|e| {
                    let detail = format!("{} fails {}: {}", e.address, e.check, e.title);
                    Finding::new(Severity::Error, &e.check, &e.file, e.span, &e.title, detail)
                }),
        );
        let order = |f: &Finding| {
            let file = files.iter().position(|s| s.path == f.file);
            (file, f.span.start.byte, f.span.end.byte)
        };
        findings.sort_by_key(|f| order(f));
        // Silenced findings move to `suppressed`; a policy check a comment
        // names is SKIPPED whatever it concluded, as checkov reports it.
        let callee_files = callees.iter().flat_map(|c| &c.files);
        let suppressions = suppress::collect(files.iter().chain(callee_files.clone()));
        for e in &mut policies {
            if suppressions
                .iter()
                .any(|s| s.covers(&e.check, &e.file, e.span))
            {
                e.outcome = policy::Outcome::Skipped;
            }
        }
        let mut suppressed = Vec::new();
        findings.retain(|f| {
            match suppressions
                .iter()
                .find(|s| s.covers(&f.code, &f.file, f.span))
            {
                Some(s) => {
                    suppressed.push(s.silence(f.clone()));
                    false
                }
                None => true,
            }
        });
        Report {
            dir: PathBuf::new(),
            files: files.iter().map(|f| f.path.clone()).collect(),
            findings,
            policies,
            suppressed,
            sources: files
                .iter()
                .chain(callee_files)
                .map(|f| (f.path.clone(), f.text.clone()))
                .collect(),
        }
    }

    fn selects(&self, code: &str) -> bool {
        let names = |c: &String| names_code(c, code);
        (self.only.is_empty() || self.only.iter().any(names)) && !self.skip.iter().any(names)
    }
}

/// Whether `name`, from a check list or a suppressing comment, names
/// `code`: itself, or every code it begins when it ends in `_` or `.`.
pub(crate) fn names_code(name: &str, code: &str) -> bool {
    code == name || (name.ends_with(['_', '.']) && code.starts_with(name))
}

/// The first `len` characters of `span`, which start a one-line ASCII
/// token (`self`, `.*`): the part a diagnostic points at.
pub(crate) fn leading(span: Span, len: usize) -> Span {
    let mut end = span.start;
    end.byte += len;
    end.column += len;
    Span {
        start: span.start,
        end,
    }
}

/// The parser's diagnostics, as findings coded `syntax.<code>`.
fn syntax(module: &Module, out: &mut Vec<Finding>) {
    for (file, d) in module.diagnostics() {
        let code = format!("syntax.{}", d.code);
        out.push(Finding::new(d.severity, code, file, d.span, &d.message, ""));
    }
}

/// The declared name nearest `given` by edit distance, when it is under 3
/// edits away (Terraform's threshold for "Did you mean").
pub(crate) fn suggestion<'a>(
    given: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    names
        .into_iter()
        .map(|n| (edit_distance(given, n), n))
        .filter(|&(d, _)| d < 3)
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("nmae", "name"), 2);
        assert_eq!(edit_distance("netwrk", "network"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(suggestion("tagz", ["tags", "other"]), Some("tags"));
        assert_eq!(suggestion("zzzzzz", ["region"]), None);
    }
}
