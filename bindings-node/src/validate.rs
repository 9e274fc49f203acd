//! `validate`: a module's findings as JS objects, the report's renderings,
//! and the work done on the libuv pool.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use infrarag::hcl::Span;
use infrarag::validate::{render, Validator};

use crate::convert::{small, Json};
use crate::error::{js_error, thrown, Code};
use crate::task::{job, Job};

/// A position: 0-based byte offset, 1-based line and column.
#[napi(object, namespace = "validate")]
pub struct Pos {
    pub byte: u32,
    pub line: u32,
    pub column: u32,
}

/// A range of a file, `start` inclusive, `end` exclusive.
#[napi(object, namespace = "validate")]
pub struct Range {
    pub start: Pos,
    pub end: Pos,
}

impl From<Span> for Range {
    fn from(s: Span) -> Range {
        let pos = |p: infrarag::diagnostic::Pos| Pos {
            byte: small(p.byte),
            line: small(p.line),
            column: small(p.column),
        };
        Range {
            start: pos(s.start),
            end: pos(s.end),
        }
    }
}

/// Another place that explains a finding (the first of two declarations).
#[napi(object, namespace = "validate")]
pub struct Related {
    pub file: String,
    pub span: Range,
    pub message: String,
}

/// A suggested edit: replace `span` of `file` with `replacement`.
#[napi(object, namespace = "validate")]
pub struct Fix {
    pub message: String,
    pub file: String,
    pub span: Range,
    pub replacement: String,
}

/// One thing wrong with a module, where it starts and ends (1-based lines
/// and columns, 0-based bytes), as Python's `Finding` has it.
#[napi(object, namespace = "validate")]
pub struct Finding {
    /// `error` or `warning`.
    pub severity: String,
    /// Stable: `undeclared_variable`, `duplicate_resource`, `syntax.unexpected`, ...
    pub code: String,
    pub summary: String,
    pub detail: String,
    /// Relative to the module directory.
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub start_byte: u32,
    pub end_byte: u32,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}

/// What validating a module found: `findings`, `ok` when there is no
/// error, and its renderings.
#[napi(namespace = "validate")]
pub struct Report {
    inner: infrarag::validate::Report,
}

#[napi(namespace = "validate")]
impl Report {
    /// No errors (warnings allowed).
    #[napi(getter)]
    pub fn ok(&self) -> bool {
        self.inner.ok()
    }

    #[napi(getter)]
    pub fn error_count(&self) -> u32 {
        small(self.inner.error_count())
    }

    #[napi(getter)]
    pub fn warning_count(&self) -> u32 {
        small(self.inner.warning_count())
    }

    /// The files checked, relative to the module directory.
    #[napi(getter)]
    pub fn files(&self) -> Vec<String> {
        self.inner
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect()
    }

    /// In file order, then by position.
    #[napi(getter)]
    pub fn findings(&self) -> Vec<Finding> {
        self.inner
            .findings
            .iter()
            .map(|f| Finding {
                severity: f.severity.as_str().into(),
                code: f.code.clone(),
                summary: f.summary.clone(),
                detail: f.detail.clone(),
                file: f.file.display().to_string(),
                line: small(f.span.start.line),
                column: small(f.span.start.column),
                end_line: small(f.span.end.line),
                end_column: small(f.span.end.column),
                start_byte: small(f.span.start.byte),
                end_byte: small(f.span.end.byte),
                related: f
                    .related
                    .iter()
                    .map(|r| Related {
                        file: r.file.display().to_string(),
                        span: r.span.into(),
                        message: r.message.clone(),
                    })
                    .collect(),
                fix: f.fix.as_ref().map(|x| Fix {
                    message: x.message.clone(),
                    file: x.file.display().to_string(),
                    span: x.span.into(),
                    replacement: x.replacement.clone(),
                }),
            })
            .collect()
    }

    /// Every security-policy verdict, passed ones included: `check`,
    /// `title`, `address`, `outcome` (`PASSED`, `FAILED`, `UNKNOWN`,
    /// `SKIPPED`), `file`, `span`.
    #[napi(getter, ts_return_type = "Array<Record<string, any>>")]
    pub fn policies(&self) -> Json {
        Json(serde_json::to_value(&self.inner.policies).unwrap_or_default())
    }

    /// Findings silenced by `#checkov:skip=` / `# infrarag:ignore`
    /// comments: `finding`, `reason`, `file`, `span`.
    #[napi(getter, ts_return_type = "Array<Record<string, any>>")]
    pub fn suppressed(&self) -> Json {
        Json(serde_json::to_value(&self.inner.suppressed).unwrap_or_default())
    }

    /// For a person: source lines with carets under each finding.
    #[napi]
    pub fn to_text(&self, env: Env) -> Result<String> {
        thrown(&env, || Ok(render::text(&self.inner)))
    }

    #[napi(ts_return_type = "Record<string, any>")]
    pub fn to_json(&self, env: Env) -> Result<Json> {
        thrown(&env, || Ok(Json(render::json(&self.inner))))
    }

    /// SARIF 2.1.0.
    #[napi(ts_return_type = "Record<string, any>")]
    pub fn to_sarif(&self, env: Env) -> Result<Json> {
        thrown(&env, || Ok(Json(render::sarif(&self.inner))))
    }

    #[napi]
    pub fn to_junit(&self, env: Env) -> Result<String> {
        thrown(&env, || Ok(render::junit(&self.inner)))
    }

    /// The shape of `terraform validate -json`.
    #[napi(ts_return_type = "Record<string, any>")]
    pub fn to_terraform(&self, env: Env) -> Result<Json> {
        thrown(&env, || Ok(Json(render::terraform(&self.inner))))
    }
}

/// Which checks run: a name ending in `_` or `.` names every code it
/// begins (`undeclared_`, `CKV_AWS_`), any other exactly one code.
#[napi(object, namespace = "validate")]
#[derive(Default)]
pub struct ValidateOptions {
    pub checks: Option<Vec<String>>,
    pub skip_checks: Option<Vec<String>>,
    /// Custom policies in checkov's YAML format: files, or directories
    /// whose `.yaml`/`.yml` files are read.
    pub policies: Option<Vec<String>>,
    /// `validate` only: every directory under `dir` holding Terraform
    /// files is validated as a module (`.terraform` and hidden directories
    /// skipped) into one report, paths relative to `dir`, as `checkov -d`
    /// and `tflint --recursive` scan a repository.
    pub recursive: Option<bool>,
    /// Security checks judge each instance `count` or `for_each` makes
    /// (`aws_instance.web[0]`); `false` judges each such block once, as
    /// written, under its bare address, as checkov does with
    /// `CHECKOV_ENABLE_FOREACH_HANDLING=False`. Default `true`.
    pub expand: Option<bool>,
    /// Variables set as `-var NAME=VALUE` sets them (read by the
    /// variable's type), over `terraform.tfvars`, `*.auto.tfvars` and
    /// defaults.
    pub vars: Option<std::collections::HashMap<String, String>>,
    /// `.tfvars` or `.tfvars.json` files, as `-var-file` (later wins, and
    /// `vars` over them all).
    pub var_files: Option<Vec<String>>,
}

/// Where a module's files come from.
enum Module {
    Dir(String),
    Files(Vec<(String, String)>),
}

fn run(module: Module, options: ValidateOptions) -> Result<infrarag::validate::Report, Code> {
    let mut validator = Validator::new();
    for file in options.var_files.unwrap_or_default() {
        validator = validator.var_file(file);
    }
    let mut vars: Vec<(String, String)> = options.vars.unwrap_or_default().into_iter().collect();
    vars.sort();
    for (name, value) in vars {
        validator = validator.var(name, value);
    }
    let validator = validator
        .recursive(options.recursive.unwrap_or(false))
        .expand_instances(options.expand.unwrap_or(true))
        .with_checks(options.checks.unwrap_or_default())
        .skip_checks(options.skip_checks.unwrap_or_default())
        .with_policy_paths(options.policies.unwrap_or_default())
        .map_err(js_error)?;
    match module {
        Module::Dir(dir) => validator.execute(dir),
        Module::Files(_) if options.recursive == Some(true) => {
            Err(infrarag::Error::InvalidArgument {
                name: "recursive".into(),
                message: "validateFiles validates one module; recursive is for a directory".into(),
            })
        }
        Module::Files(files) => validator.execute_files(files),
    }
    .map_err(js_error)
}

/// Validates the Terraform module in `dir` (its .tf and .tf.json files)
/// off the main thread. A check name that names no check rejects with
/// INVALID_ARGUMENT, naming the closest codes.
#[napi(namespace = "validate", ts_return_type = "Promise<validate.Report>")]
pub fn validate(
    dir: String,
    options: Option<ValidateOptions>,
    signal: Option<AbortSignal>,
) -> AsyncTask<Job<Report>> {
    job(signal, None, move || {
        let inner = run(Module::Dir(dir), options.unwrap_or_default())?;
        Ok(Report { inner })
    })
}

/// `validate`, blocking the calling thread.
#[napi(namespace = "validate")]
pub fn validate_sync(env: Env, dir: String, options: Option<ValidateOptions>) -> Result<Report> {
    thrown(&env, || {
        Ok(Report {
            inner: run(Module::Dir(dir), options.unwrap_or_default())?,
        })
    })
}

/// Validates a module held in memory, `{ 'main.tf': text, ... }` (names
/// ending in .tf or .tf.json), off the main thread: the report is what
/// the same files in a directory give.
#[napi(namespace = "validate", ts_return_type = "Promise<validate.Report>")]
pub fn validate_files(
    files: std::collections::HashMap<String, String>,
    options: Option<ValidateOptions>,
    signal: Option<AbortSignal>,
) -> AsyncTask<Job<Report>> {
    job(signal, None, move || {
        let module = Module::Files(files.into_iter().collect());
        let inner = run(module, options.unwrap_or_default())?;
        Ok(Report { inner })
    })
}

/// `validateFiles`, blocking the calling thread.
#[napi(namespace = "validate")]
pub fn validate_files_sync(
    env: Env,
    files: std::collections::HashMap<String, String>,
    options: Option<ValidateOptions>,
) -> Result<Report> {
    thrown(&env, || {
        let module = Module::Files(files.into_iter().collect());
        Ok(Report {
            inner: run(module, options.unwrap_or_default())?,
        })
    })
}

/// A built-in security check, as `validate.checks` lists it.
#[napi(object, namespace = "validate")]
pub struct CheckInfo {
    /// `CKV_AWS_16`.
    pub id: String,
    /// checkov's title.
    pub title: String,
    #[napi(ts_type = "'aws' | 'azure' | 'gcp'")]
    pub provider: String,
    /// What it reads, as checkov files it: a resource, a data source, a
    /// provider block, or resources and their connections.
    #[napi(ts_type = "'resource' | 'data' | 'provider' | 'graph'")]
    pub kind: String,
    /// The types it judges (a graph check: those it names).
    pub resource_types: Vec<String>,
    /// checkov's categories: `ENCRYPTION`, `NETWORKING`, `IAM`, ...
    pub categories: Vec<String>,
    /// checkov's severity where it gives one offline (one check of 919).
    pub severity: Option<String>,
}

/// Which checks `validate.checks` lists, named as `validate`'s options
/// name them.
#[napi(object, namespace = "validate")]
#[derive(Default)]
pub struct CheckSelection {
    /// Ids, prefixes ending in `_`, providers (`gcp`), checkov categories
    /// (`ENCRYPTION`) or severities (`MEDIUM`: that or worse) to keep.
    pub checks: Option<Vec<String>>,
    /// The same names, to leave out.
    pub skip_checks: Option<Vec<String>>,
}

/// The built-in security checks `selection` keeps (all without it), in id
/// order; a name that names no check throws INVALID_ARGUMENT.
#[napi(namespace = "validate")]
pub fn checks(env: Env, selection: Option<CheckSelection>) -> Result<Vec<CheckInfo>> {
    thrown(&env, || {
        let selection = selection.unwrap_or_default();
        let listed = Validator::new()
            .with_checks(selection.checks.unwrap_or_default())
            .skip_checks(selection.skip_checks.unwrap_or_default())
            .selected_checks()
            .map_err(js_error)?;
        let strings = |v: Vec<&str>| v.into_iter().map(String::from).collect();
        Ok(listed
            .into_iter()
            .map(|c| CheckInfo {
                id: c.id.into(),
                title: c.title.into(),
                provider: c.provider.into(),
                kind: c.kind.into(),
                resource_types: strings(c.resource_types),
                categories: strings(c.categories),
                severity: c.severity.map(String::from),
            })
            .collect())
    })
}

/// The ids of every built-in security check (`CKV_AWS_16`, ...), in id order.
#[napi(namespace = "validate")]
pub fn check_ids() -> Vec<String> {
    infrarag::validate::policy::check_ids()
        .into_iter()
        .map(String::from)
        .collect()
}
