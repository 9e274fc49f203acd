//! Checks a Terraform module without running providers, as `terraform
//! validate` does (syntax, references, structure, and the aws, azurerm and
//! google schemas: errors), and lints it with the provider-free rules of
//! tflint's terraform ruleset (warnings).
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
#[cfg(feature = "providers")]
mod schema;
mod structure;
mod suppress;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::hcl::Span;
use crate::terraform::eval::{Given, Inputs};
use crate::terraform::{read_module_cached, Module, SourceFile};

pub use crate::hcl::Severity;
pub use suppress::Suppressed;

/// One thing wrong with a module, where it is, and how to fix it when that
/// is clear.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `error` or `warning`.
    pub severity: Severity,
    /// Stable identifier: `undeclared_variable`, `duplicate_resource`,
    /// `syntax.unexpected`, ...
    pub code: String,
    /// One line; Terraform's own words where Terraform reports the same.
    pub summary: String,
    /// More about it, in Terraform's words where Terraform reports the same.
    pub detail: String,
    /// Relative to the module directory.
    pub file: PathBuf,
    /// Where it is, in `file`.
    pub span: Span,
    /// Other places that explain this one (the first declaration of a
    /// duplicate).
    pub related: Vec<Related>,
    /// A replacement that resolves it, when one is clear.
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
    /// The file, relative to the module directory.
    pub file: PathBuf,
    /// Where in it.
    pub span: Span,
    /// Why this place matters (`first declared here`).
    pub message: String,
}

/// A suggested edit: replace the text at `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// What the fix does.
    pub message: String,
    /// The file, relative to the module directory.
    pub file: PathBuf,
    /// The text to replace.
    pub span: Span,
    /// What to write instead.
    pub replacement: String,
}

/// What validating a module found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The module directory.
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
    /// Adds the report of the module in `dir` (relative to this report's
    /// directory), its paths made relative to this one's.
    fn absorb(&mut self, dir: &Path, other: Report) {
        let at = |p: &Path| dir.join(p);
        self.files.extend(other.files.iter().map(|p| at(p)));
        for mut f in other.findings {
            f.file = at(&f.file);
            for r in &mut f.related {
                r.file = at(&r.file);
            }
            self.findings.push(f);
        }
        for mut e in other.policies {
            e.file = at(&e.file);
            self.policies.push(e);
        }
        for mut s in other.suppressed {
            s.file = at(&s.file);
            s.finding.file = at(&s.finding.file);
            self.suppressed.push(s);
        }
        for (path, text) in other.sources {
            let path = at(&path);
            if !self.sources.iter().any(|(p, _)| *p == path) {
                self.sources.push((path, text));
            }
        }
    }

    /// No errors (warnings allowed).
    pub fn ok(&self) -> bool {
        self.error_count() == 0
    }

    /// Findings of severity error.
    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Findings of severity warning.
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
/// (`undeclared_`, `terraform_`, `CKV_AWS_`, `syntax.`); a provider
/// (`aws`, `azure`, `gcp`), a checkov category (`ENCRYPTION`, any case) or
/// a severity (`MEDIUM`: that or worse) names those built-in security
/// checks (see [`policy::checks`]); any other name is one code
/// (`CKV_AWS_3` is not `CKV_AWS_35`).
#[derive(Debug, Clone, Default)]
pub struct Validator {
    only: Vec<CheckName>,
    skip: Vec<CheckName>,
    custom: Vec<policy::CustomPolicy>,
    recursive: bool,
    /// Set by `expand_instances(false)`; the default expands.
    as_written: bool,
    inputs: Inputs,
}

impl Validator {
    /// A validator running every check.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps only the checks `codes` name: a name ending in `_` or `.` names
    /// every code it begins; a provider, category or severity names that
    /// group of security checks; any other name exactly one code.
    pub fn with_checks<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.only.extend(codes.into_iter().map(CheckName::new));
        self
    }

    /// Drops the checks `codes` name, named as in [`with_checks`](Self::with_checks).
    pub fn skip_checks<S: Into<String>>(mut self, codes: impl IntoIterator<Item = S>) -> Self {
        self.skip.extend(codes.into_iter().map(CheckName::new));
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

    /// [`with_policies`](Self::with_policies) with the policies in each
    /// path: a YAML file, or every `.yaml`/`.yml` file of a directory.
    pub fn with_policy_paths<P: AsRef<Path>>(
        self,
        paths: impl IntoIterator<Item = P>,
    ) -> Result<Self> {
        let mut custom = Vec::new();
        for path in paths {
            custom.extend(policy::CustomPolicy::load_all(path.as_ref())?);
        }
        Ok(self.with_policies(custom))
    }

    /// Sets variable `name` as `-var name=value` sets it for `terraform
    /// plan`: over its default and over `terraform.tfvars`. The value is
    /// read by the variable's type (text for strings, numbers and bools;
    /// an expression for collections). With
    /// [`recursive`](Self::recursive), every module declaring the
    /// variable gets it; a module that does not declare it ignores it.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.inputs = self.inputs.var(name, value);
        self
    }

    /// Reads variables from a `.tfvars` or `.tfvars.json` file, as
    /// `-var-file` does (a path relative to the current directory); a
    /// later file or [`var`](Self::var) wins. A file that cannot be read
    /// fails [`execute`](Self::execute) with an error naming it.
    pub fn var_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.inputs = self.inputs.var_file(path);
        self
    }

    /// Validates a module held in memory (a request's body, a model's
    /// answer): `files` pairs each relative name (`main.tf`,
    /// `vpc.tf.json`) with its text. The report is what
    /// [`execute`](Self::execute) gives for the same files in a directory,
    /// with an empty `dir`; names that are not `.tf` or `.tf.json`, or no
    /// files at all, are [`Error::InvalidArgument`].
    pub fn execute_files<P: Into<PathBuf>, T: Into<String>>(
        &self,
        files: impl IntoIterator<Item = (P, T)>,
    ) -> Result<Report> {
        self.verify_checks()?;
        let mut sources = Vec::new();
        for (path, text) in files {
            let path: PathBuf = path.into();
            let name = path.to_string_lossy();
            if !crate::terraform::is_config_file(&name) {
                return Err(Error::InvalidArgument {
                    name: "files".into(),
                    message: format!("{name:?} is not a .tf or .tf.json file"),
                });
            }
            sources.push(SourceFile::new(path, text));
        }
        if sources.is_empty() {
            return Err(Error::InvalidArgument {
                name: "files".into(),
                message: "no files to validate".into(),
            });
        }
        sources.sort_by(|a, b| a.path.cmp(&b.path));
        let given = self.inputs.resolve(Path::new("."))?;
        Ok(self.run(None, &sources, &given))
    }

    /// Validates the module in `dir` (its `.tf` and `.tf.json` files, not
    /// subdirectories).
    pub fn execute(&self, dir: impl AsRef<Path>) -> Result<Report> {
        self.verify_checks()?;
        let dir = dir.as_ref();
        if self.recursive {
            return self.execute_recursive(dir);
        }
        self.execute_module(dir)
    }

    /// The module in `dir` alone, as [`execute`](Self::execute) checks it.
    fn execute_module(&self, dir: &Path) -> Result<Report> {
        // Terraform and checkov read `terraform.tfvars` beside the module.
        let (files, automatic) = read_module_cached(dir)?;
        let given = policy::values::root_inputs(dir, automatic, &self.inputs)?;
        let mut report = self.run(Some(dir), &files, &given);
        report.dir = dir.to_path_buf();
        Ok(report)
    }

    /// Makes [`execute`](Self::execute) walk the directory as `checkov -d`
    /// and `tflint --recursive` do: every directory under it holding `.tf`
    /// or `.tf.json` files is a module, validated apart (`.terraform` and
    /// hidden directories skipped), and one report holds them all, with
    /// paths relative to the directory given. A module another one calls
    /// is judged on its own and, within its caller, with the caller's
    /// arguments.
    pub fn recursive(mut self, yes: bool) -> Self {
        self.recursive = yes;
        self
    }

    /// Whether security checks judge each instance that `count` or
    /// `for_each` makes (`aws_instance.web[0]`, `aws_instance.web["a"]`), as
    /// Terraform plans them and checkov reports them by default. `false`
    /// judges each block once, as written, under its bare address, with
    /// `count.index` and `each` unknown: what checkov does with
    /// `CHECKOV_ENABLE_FOREACH_HANDLING=False`. The default is `true`.
    pub fn expand_instances(mut self, yes: bool) -> Self {
        self.as_written = !yes;
        self
    }

    fn execute_recursive(&self, root: &Path) -> Result<Report> {
        use rayon::prelude::*;
        let dirs = module_dirs(root)?;
        let reports: Vec<(PathBuf, Report)> = dirs
            .par_iter()
            .map(|dir| {
                let relative = dir.strip_prefix(root).unwrap_or(dir).to_path_buf();
                Ok((relative, self.execute_module(dir)?))
            })
            .collect::<Result<_>>()?;
        let mut all = Report {
            dir: root.to_path_buf(),
            ..Report::default()
        };
        for (relative, report) in reports {
            all.absorb(&relative, report);
        }
        Ok(all)
    }

    /// Validates files already read and parsed, as one module. Without a
    /// directory, outputs of local module calls are not checked, and
    /// variables keep their defaults ([`var`](Self::var) and
    /// [`var_file`](Self::var_file) apply to `execute` and
    /// `execute_files`).
    pub fn check(&self, files: &[SourceFile]) -> Report {
        self.run(None, files, &Default::default())
    }

    fn run(
        &self,
        dir: Option<&Path>,
        files: &[SourceFile],
        given: &BTreeMap<String, Given>,
    ) -> Report {
        let module = Module::from_parsed(files);
        let mut findings = Vec::new();
        syntax(&module, &mut findings);
        structure::check(files, &mut findings);
        references::check(files, &module, dir, &mut findings);
        lint::check(files, &module, &mut findings);
        // Decoding a provider's schemas is the costly part; skip it when
        // no schema check is selected.
        #[cfg(feature = "providers")]
        if RULE_CODES
            .iter()
            .any(|c| c.starts_with("schema.") && self.selects(c))
        {
            schema::check(files, &mut findings);
        }
        findings.retain(|f| self.selects(&f.code));
        // Local modules are judged per call too, with the caller's inputs,
        // as checkov judges them.
        let callees = dir
            .map(|d| policy::modules::load(d, files))
            .unwrap_or_default();
        let mut policies = policy::scan(
            files,
            &module,
            &callees,
            given,
            &self.custom,
            !self.as_written,
            |id| self.selects(id),
        );
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

    /// Fails with [`Error::InvalidArgument`] when a name given to
    /// [`with_checks`](Self::with_checks) or
    /// [`skip_checks`](Self::skip_checks) names no check (a typo would
    /// otherwise select nothing, or skip nothing, in silence), naming the
    /// closest known codes. [`execute`](Self::execute) calls it.
    pub fn verify_checks(&self) -> Result<()> {
        // Most validators name no checks: the catalogue is not built then,
        // so a validation pays nothing for this.
        if self.only.is_empty() && self.skip.is_empty() {
            return Ok(());
        }
        for (argument, names) in [("checks", &self.only), ("skip_checks", &self.skip)] {
            for name in names {
                if self.code_names().any(|code| name.selects(code)) {
                    continue;
                }
                let name = name.text.as_str();
                let known = self.codes();
                // A prefix is compared with the prefixes codes have.
                let candidates: Vec<&str> = match name.ends_with(['_', '.']) {
                    true => known
                        .iter()
                        .flat_map(|c| c.match_indices(['_', '.']).map(|(i, _)| &c[..=i]))
                        .collect(),
                    false => known.iter().map(String::as_str).collect(),
                };
                let mut near: Vec<(usize, &str)> = candidates
                    .into_iter()
                    .map(|c| (edit_distance(name, c), c))
                    .filter(|&(d, _)| d <= 3)
                    .collect();
                near.sort_unstable();
                near.dedup();
                let hint = match near.len() {
                    0 => "; `infrarag checks` lists them".to_string(),
                    _ => format!(
                        "; did you mean {}?",
                        near.iter()
                            .take(3)
                            .map(|(_, c)| *c)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                return Err(Error::InvalidArgument {
                    name: argument.into(),
                    message: format!(
                        "{name:?} names no check (a name ending in `_` or `.` names every \
                         code it begins; a provider, checkov category or severity names \
                         those security checks){hint}"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Every code this validator's findings may carry.
    pub fn codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self.code_names().map(str::to_string).collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// [`codes`](Self::codes), unsorted and borrowed, for the lookups every
    /// validation that names checks makes.
    fn code_names(&self) -> impl Iterator<Item = &str> {
        static SYNTAX: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let syntax = SYNTAX.get_or_init(|| {
            crate::hcl::DiagnosticCode::ALL
                .iter()
                .map(|d| format!("syntax.{}", d.as_str()))
                .collect()
        });
        RULE_CODES
            .iter()
            .copied()
            .chain(syntax.iter().map(String::as_str))
            .chain(policy::builtin_ids().iter().copied())
            .chain(self.custom.iter().map(|p| p.id.as_str()))
    }

    /// The codes of [`codes`](Self::codes) this validator's selection
    /// keeps; an error as [`verify_checks`](Self::verify_checks) gives.
    pub fn selected_codes(&self) -> Result<Vec<String>> {
        self.verify_checks()?;
        Ok(self
            .codes()
            .into_iter()
            .filter(|c| self.selects(c))
            .collect())
    }

    /// The built-in security checks this validator's selection keeps, in
    /// id order (see [`policy::checks`]).
    pub fn selected_checks(&self) -> Result<Vec<policy::CheckInfo>> {
        self.verify_checks()?;
        Ok(policy::checks()
            .into_iter()
            .filter(|c| self.selects(c.id))
            .collect())
    }

    fn selects(&self, code: &str) -> bool {
        let names = |c: &CheckName| c.selects(code);
        (self.only.is_empty() || self.only.iter().any(names)) && !self.skip.iter().any(names)
    }
}

/// The codes of the rules other than the policy checks and the parser's
/// `syntax.*` diagnostics: references, structure (as `terraform validate`
/// words them) and tflint's provider-free rules.
pub const RULE_CODES: &[&str] = &[
    "count_and_for_each",
    "count_out_of_context",
    "duplicate_data",
    "duplicate_local",
    "duplicate_module",
    "duplicate_output",
    "duplicate_resource",
    "duplicate_variable",
    "each_out_of_context",
    "extra_label",
    "missing_argument",
    "missing_label",
    "schema.computed_argument",
    "schema.invalid_data_source",
    "schema.invalid_resource_type",
    "schema.missing_argument",
    "schema.missing_block",
    "schema.provider_version",
    "schema.too_many_blocks",
    "schema.unsupported_argument",
    "schema.unsupported_block",
    "self_out_of_context",
    "terraform_comment_syntax",
    "terraform_deprecated_index",
    "terraform_deprecated_interpolation",
    "terraform_documented_outputs",
    "terraform_documented_variables",
    "terraform_empty_list_equality",
    "terraform_map_duplicate_keys",
    "terraform_module_pinned_source",
    "terraform_naming_convention",
    "terraform_required_providers",
    "terraform_required_version",
    "terraform_typed_variables",
    "terraform_unused_declarations",
    "undeclared_local",
    "undeclared_module",
    "undeclared_output",
    "undeclared_resource",
    "undeclared_variable",
    "unknown_argument",
    "unknown_block",
];

/// Whether `name`, from a check list or a suppressing comment, names
/// `code`: itself, or every code it begins when it ends in `_` or `.`.
pub(crate) fn names_code(name: &str, code: &str) -> bool {
    code == name || (name.ends_with(['_', '.']) && code.starts_with(name))
}

/// A name given to [`Validator::with_checks`] or [`Validator::skip_checks`]:
/// it selects a code as [`names_code`] says, or as a group of built-in
/// checks (a provider, a category, a severity). Whether it may be a group
/// is decided once, since every validation asks it of every check.
#[derive(Debug, Clone)]
struct CheckName {
    text: String,
    group: bool,
}

impl CheckName {
    fn new(text: impl Into<String>) -> CheckName {
        let text = text.into();
        let group = policy::may_be_group(&text);
        CheckName { text, group }
    }

    fn selects(&self, code: &str) -> bool {
        names_code(&self.text, code) || (self.group && policy::in_group(&self.text, code))
    }
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

/// Every directory under `root` (itself included) holding `.tf` or
/// `.tf.json` files, in path order; `.terraform` and hidden directories
/// are not walked.
fn module_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let mut has_module = false;
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let kind = entry.file_type().map_err(|e| Error::io(entry.path(), e))?;
            if kind.is_dir() && !name.starts_with('.') {
                pending.push(entry.path());
            } else if kind.is_file() && crate::terraform::is_config_file(&name) {
                has_module = true;
            }
        }
        if has_module {
            out.push(dir);
        }
    }
    out.sort();
    Ok(out)
}

/// The parser's diagnostics, as findings coded `syntax.<code>`: Terraform's
/// summary, and the parser's message as the detail.
fn syntax(module: &Module, out: &mut Vec<Finding>) {
    for (file, d) in module.diagnostics() {
        let code = format!("syntax.{}", d.code);
        out.push(Finding::new(
            d.severity, code, file, d.span, &d.summary, &d.message,
        ));
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
