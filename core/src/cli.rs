//! The `infrarag` command line, run by the Rust binary, `python -m
//! infrarag` and the npm package's `infrarag` alike: [`run`] takes the
//! arguments and the three streams and returns the exit status.

use std::io::{Read, Write};

use crate::validate::{render, Report, Severity, Validator};

const USAGE: &str = "\
usage: infrarag validate DIR|- [--recursive] [--no-expand]
                               [--format text|json|sarif|junit|terraform]
                               [--checks CODE,...] [--skip-checks CODE,...]
                               [--policies PATH]... [--fail-on error|warning|never]
                               [--soft-fail] [--stdin-name NAME] [--sarif-base DIR]
                               [--var NAME=VALUE]... [--var-file FILE]...
       infrarag eval EXPR [--dir DIR] [--var NAME=VALUE]... [--var-file FILE]...
                          [--format console|json]
       infrarag expand DIR [--var NAME=VALUE]... [--var-file FILE]... [--format text|json]
       infrarag drift --state PATH [--config DIR] [--plan PLAN.json]
                      [--var NAME=VALUE]... [--var-file FILE]...
                      [--aws-region R]... [--aws-endpoint URL] [--aws-profile NAME]
                      [--driftignore FILE] [--strict] [--format text|json|sarif]
       infrarag checks [--checks NAME,...] [--skip-checks NAME,...] [--format text|json]
       infrarag describe TYPE
       infrarag --version

Checks the Terraform module in DIR (its .tf and .tf.json files) for syntax,
reference and structure errors, as terraform validate does; warns where
tflint's terraform ruleset would (codes `terraform_*`); and runs checkov's
security checks (codes `CKV_*`, `CKV2_*`). A code ending in `_` or `.` selects
every check whose code starts with it (`undeclared_` selects all
undeclared-reference checks; `--skip-checks terraform_` leaves lint out); a
provider (`aws`, `azure`, `gcp`), a checkov category (`ENCRYPTION`,
`NETWORKING`, `IAM`, ...) or a severity (`MEDIUM`: that or worse) selects
those security checks; a name that selects no check is an error.
`infrarag checks` lists every code --checks keeps and --skip-checks does
not, a security check with
its title and resource types (tab-separated); --format json gives the
security checks' id, title, provider, kind, resource types, categories
and severity.
Resources of the aws, azurerm and google providers are checked against their
schemas (codes `schema.*`); `infrarag describe aws_s3_bucket` (or
`data.aws_ami`) prints a type's schema, description and category as JSON.

--recursive (-r) validates every module directory under DIR (skipping
.terraform and hidden directories) into one report, as checkov -d and
tflint --recursive do; paths are relative to DIR.

--no-expand judges each block with count or for_each once, as written,
under its bare address, as checkov does with
CHECKOV_ENABLE_FOREACH_HANDLING=False; by default each instance is judged
apart (aws_instance.web[0], aws_instance.web[1]).

--var and --var-file set variables as they do for terraform plan, over
terraform.tfvars, *.auto.tfvars and defaults (a later one wins); with
--recursive, every module declaring the variable gets it.

DIR `-` reads one file from standard input, named by --stdin-name (default
main.tf; a name ending in .tf.json is read as Terraform JSON).

--policies adds custom policies in checkov's YAML format: a file, or every
.yaml/.yml file of a directory (checkov's --external-checks-dir, also accepted).

`infrarag eval` evaluates a Terraform expression as `terraform console`
does and prints its value the way console prints it (or, with --format
json, as {value, type, known, sensitive, console}). With --dir, `var.*`,
`local.*` and `path.*` are the module's: variables take --var and
--var-file values (later wins), then terraform.tfvars and *.auto.tfvars,
then TF_VAR_ names, then defaults. What only `terraform apply` knows
(resource attributes, the clock, files) is `(known after apply)`.

`infrarag expand` lists every resource instance the configuration in DIR
makes, as terraform plan addresses them (count and for_each expanded, module
calls followed with their arguments: local sources, and registry ones that
terraform init installed), with each instance's arguments as evaluated, then
the root module's outputs; variables are read as for eval. Exit status 1
when a count, for_each or argument cannot be evaluated (each is named).

`infrarag drift` compares a state (a state file, or terraform show -json
of one) with the configuration in --config DIR (variables read as for
eval): instances declared and not in state, in state and declared no more,
and arguments whose configured value is known and differs; and/or
summarises a plan (terraform show -json PLANFILE): the drift its refresh
found and the changes it would make; and/or, with any --aws-* flag, compares
the state with what is live in AWS (S3 buckets and their versioning,
encryption and public access settings, EC2 instances, VPCs, subnets,
security groups and rules, IAM roles, users and policies, RDS instances),
as driftctl did: missing (in state, gone live), unmanaged (live, in no
state), changed attributes, and coverage. Credentials and the region come
from the environment and ~/.aws as the AWS CLI finds them; --aws-endpoint
sends every request to one URL (an emulator). --driftignore (default
./.driftignore when present) leaves out resources (TYPE.ID) and attributes
(TYPE.ID.PATH); --strict reports the cloud's own default VPC, subnets and
security group as unmanaged too. Sensitive values are never printed.
Exit status 1 when anything drifted, else 0; 2 on an error.

SARIF file URIs are relative to --sarif-base (default: the working
directory, where CI checks the repository out), stated as SRCROOT.

Exit status: 1 when a finding at or above --fail-on is found (default
error: warnings alone exit 0; --soft-fail is --fail-on never), else 0;
2 on bad usage, an unknown check name or an unreadable directory.";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Validate(Args),
    Eval(EvalArgs),
    Expand(EvalArgs),
    Drift(DriftArgs),
    Checks {
        select: Vec<String>,
        skip: Vec<String>,
        json: bool,
    },
    Describe(String),
    Version,
    Help,
}

#[derive(Debug, PartialEq)]
struct Args {
    /// `-` for standard input.
    dir: String,
    format: Format,
    checks: Vec<String>,
    skip: Vec<String>,
    policies: Vec<String>,
    fail_on: FailOn,
    stdin_name: String,
    sarif_base: String,
    recursive: bool,
    no_expand: bool,
    vars: Vec<(String, String)>,
    var_files: Vec<String>,
}

#[derive(Debug, PartialEq, Default)]
struct EvalArgs {
    /// The expression (`eval`) or the directory (`expand`).
    target: String,
    dir: Option<String>,
    vars: Vec<(String, String)>,
    var_files: Vec<String>,
    json: bool,
}

#[derive(Debug, PartialEq, Default)]
struct DriftArgs {
    state: Option<String>,
    config: Option<String>,
    plan: Option<String>,
    vars: Vec<(String, String)>,
    var_files: Vec<String>,
    format: DriftFormat,
    aws_regions: Vec<String>,
    aws_endpoint: Option<String>,
    aws_profile: Option<String>,
    driftignore: Option<String>,
    strict: bool,
}

impl DriftArgs {
    /// Whether state is compared with what is live in AWS.
    fn live(&self) -> bool {
        !self.aws_regions.is_empty() || self.aws_endpoint.is_some() || self.aws_profile.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum DriftFormat {
    #[default]
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Terraform,
}

/// The least severe finding that fails the run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FailOn {
    Error,
    Warning,
    Never,
}

impl FailOn {
    fn fails(self, report: &Report) -> bool {
        let at = |s: Severity| report.findings.iter().any(|f| f.severity == s);
        match self {
            FailOn::Error => at(Severity::Error),
            FailOn::Warning => !report.findings.is_empty(),
            FailOn::Never => false,
        }
    }
}

fn parse(args: &[String]) -> Result<Command, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("validate") => {}
        Some("eval") => return parse_eval(it, Command::Eval),
        Some("expand") => {
            return parse_eval(it, |mut a| {
                // `expand` takes the directory where `eval` takes `--dir`.
                a.dir = Some(std::mem::take(&mut a.target));
                Command::Expand(a)
            });
        }
        Some("drift") => return parse_drift(it),
        Some("checks") => {
            let (mut select, mut skip, mut json) = (Vec::new(), Vec::new(), false);
            while let Some(arg) = it.next() {
                let (flag, inline) = split_flag(arg);
                match flag {
                    "--skip-checks" => skip.extend(list(&flag_value(flag, inline, &mut it)?)),
                    "--checks" | "-c" => select.extend(list(&flag_value(flag, inline, &mut it)?)),
                    "--format" | "-f" => {
                        json = match flag_value(flag, inline, &mut it)?.as_str() {
                            "text" => false,
                            "json" => true,
                            other => {
                                return Err(format!(
                                    "checks --format takes text or json, not {other:?}"
                                ))
                            }
                        }
                    }
                    _ => return Err(format!("unexpected argument {arg:?}")),
                }
            }
            return Ok(Command::Checks { select, skip, json });
        }
        Some("describe") => {
            return match (it.next(), it.next()) {
                (Some(t), None) => Ok(Command::Describe(t.clone())),
                (None, _) => Err("describe needs a resource or data source type".into()),
                (_, Some(extra)) => Err(format!("unexpected argument {extra:?}")),
            }
        }
        Some("-V" | "--version") => return Ok(Command::Version),
        Some("-h" | "--help") => return Ok(Command::Help),
        None => return Err("no command given".into()),
        Some(other) => return Err(format!("unknown command {other:?}")),
    }
    let mut args = Args {
        dir: String::new(),
        format: Format::Text,
        checks: Vec::new(),
        skip: Vec::new(),
        policies: Vec::new(),
        fail_on: FailOn::Error,
        stdin_name: "main.tf".into(),
        sarif_base: ".".into(),
        recursive: false,
        no_expand: false,
        vars: Vec::new(),
        var_files: Vec::new(),
    };
    let mut dir = None;
    while let Some(arg) = it.next() {
        let (flag, inline) = split_flag(arg);
        let mut value = || flag_value(flag, inline, &mut it);
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--format" | "-f" => {
                args.format = match value()?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    "junit" => Format::Junit,
                    "terraform" => Format::Terraform,
                    other => return Err(format!("unknown format {other:?}")),
                }
            }
            "--checks" | "-c" => args.checks.extend(list(&value()?)),
            "--skip-checks" => args.skip.extend(list(&value()?)),
            "--policies" | "--external-checks-dir" => args.policies.push(value()?),
            "--fail-on" => {
                args.fail_on = match value()?.as_str() {
                    "error" => FailOn::Error,
                    "warning" => FailOn::Warning,
                    "never" => FailOn::Never,
                    other => {
                        return Err(format!(
                            "--fail-on takes error, warning or never, not {other:?}"
                        ))
                    }
                }
            }
            "--soft-fail" => args.fail_on = FailOn::Never,
            "--recursive" | "-r" => args.recursive = true,
            "--no-expand" => args.no_expand = true,
            "--stdin-name" => args.stdin_name = value()?,
            "--sarif-base" => args.sarif_base = value()?,
            "--var" => args.vars.push(var_pair(&value()?)?),
            "--var-file" => args.var_files.push(value()?),
            "-" if dir.is_none() => dir = Some(arg.clone()),
            f if f.starts_with('-') => return Err(format!("unknown option {f:?}")),
            _ if dir.is_none() => dir = Some(arg.clone()),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    args.dir = dir.ok_or("validate needs a directory (or - for standard input)")?;
    Ok(Command::Validate(args))
}

/// `--flag=value` as the flag and its inline value; anything else as
/// itself.
fn split_flag(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((f, v)) if f.starts_with("--") => (f, Some(v)),
        _ => (arg, None),
    }
}

/// A flag's value: written inline, or the next argument.
fn flag_value(
    flag: &str,
    inline: Option<&str>,
    it: &mut std::slice::Iter<String>,
) -> Result<String, String> {
    inline
        .map(String::from)
        .or_else(|| it.next().cloned())
        .ok_or_else(|| format!("{flag} needs a value"))
}

/// `--var NAME=VALUE` as the pair.
fn var_pair(v: &str) -> Result<(String, String), String> {
    let (k, x) = v
        .split_once('=')
        .ok_or_else(|| format!("--var takes NAME=VALUE, not {v:?}"))?;
    Ok((k.to_string(), x.to_string()))
}

/// `eval`'s and `expand`'s arguments: one positional, then options.
fn parse_eval(
    mut it: std::slice::Iter<String>,
    command: fn(EvalArgs) -> Command,
) -> Result<Command, String> {
    let mut out = EvalArgs::default();
    let mut expr = None;
    while let Some(arg) = it.next() {
        let (flag, inline) = split_flag(arg);
        let mut value = || flag_value(flag, inline, &mut it);
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--dir" | "-d" => out.dir = Some(value()?),
            "--var" => out.vars.push(var_pair(&value()?)?),
            "--var-file" => out.var_files.push(value()?),
            "--format" | "-f" => {
                out.json = match value()?.as_str() {
                    "console" | "text" => false,
                    "json" => true,
                    other => return Err(format!("unknown format {other:?}")),
                }
            }
            _ if expr.is_none() => expr = Some(arg.clone()),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    out.target = expr.ok_or("eval needs an expression, and expand a directory")?;
    Ok(command(out))
}

fn parse_drift(mut it: std::slice::Iter<String>) -> Result<Command, String> {
    let mut out = DriftArgs::default();
    while let Some(arg) = it.next() {
        let (flag, inline) = split_flag(arg);
        let mut value = || flag_value(flag, inline, &mut it);
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "--state" => out.state = Some(value()?),
            "--config" => out.config = Some(value()?),
            "--plan" => out.plan = Some(value()?),
            "--var" => out.vars.push(var_pair(&value()?)?),
            "--var-file" => out.var_files.push(value()?),
            "--aws-region" => out.aws_regions.push(value()?),
            "--aws-endpoint" => out.aws_endpoint = Some(value()?),
            "--aws-profile" => out.aws_profile = Some(value()?),
            "--driftignore" => out.driftignore = Some(value()?),
            "--strict" => out.strict = true,
            "--format" | "-f" => {
                out.format = match value()?.as_str() {
                    "text" => DriftFormat::Text,
                    "json" => DriftFormat::Json,
                    "sarif" => DriftFormat::Sarif,
                    other => return Err(format!("unknown format {other:?}")),
                }
            }
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    if out.config.is_some() && out.state.is_none() {
        return Err("drift --config needs --state".into());
    }
    if out.live() && out.state.is_none() {
        return Err("drift --aws-region, --aws-endpoint and --aws-profile need --state".into());
    }
    if out.config.is_none() && out.plan.is_none() && !out.live() {
        return Err("drift needs --config or --aws-* (with --state), or --plan".into());
    }
    Ok(Command::Drift(out))
}

fn list(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// `infrarag checks`: every code `select` keeps (all without it) and
/// `skip` does not, a line
/// each; a security check's line adds its title and resource types, after
/// tabs. As JSON, the security checks' catalogue.
fn checks(select: &[String], skip: &[String], json: bool) -> crate::Result<String> {
    let validator = Validator::new()
        .with_checks(select.iter().cloned())
        .skip_checks(skip.iter().cloned());
    let security = validator.selected_checks()?;
    if json {
        return Ok(serde_json::to_string_pretty(&security).unwrap_or_default() + "\n");
    }
    let mut out = String::new();
    for code in validator.selected_codes()? {
        match security.iter().find(|c| c.id == code) {
            Some(c) => out += &format!("{}\t{}\t{}\n", c.id, c.title, c.resource_types.join(",")),
            None => out += &format!("{code}\n"),
        }
    }
    Ok(out)
}

/// The exit status after an internal error (a bug): sysexits' EX_SOFTWARE.
pub const INTERNAL_ERROR: u8 = 70;

/// Runs the command line `args` (without the program's name): 0 when
/// nothing fails, 1 when findings do (see `--fail-on`), 2 on bad usage or
/// an error, [`INTERNAL_ERROR`] when a bug panicked (the panic is caught
/// here, so the Python and Node `cli` entry points never see it). A stream
/// that cannot be written (a closed pipe) is ignored.
pub fn run(
    args: &[String],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let ran = crate::catch_panic(|| Ok(run_command(args, stdin, stdout, &mut *stderr)));
    ran.unwrap_or_else(|e| {
        let _ = writeln!(stderr, "infrarag: {e}");
        INTERNAL_ERROR
    })
}

fn run_command(
    args: &[String],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let out = match parse(args) {
        Ok(Command::Help) => format!("{USAGE}\n"),
        Ok(Command::Version) => format!("infrarag {}\n", env!("CARGO_PKG_VERSION")),
        Ok(Command::Checks { select, skip, json }) => match checks(&select, &skip, json) {
            Ok(text) => text,
            Err(e) => {
                let _ = writeln!(stderr, "infrarag: {e}");
                return 2;
            }
        },
        Ok(Command::Validate(args)) => return validate(&args, stdin, stdout, stderr),
        Ok(Command::Eval(args)) => return eval(&args, stdout, stderr),
        Ok(Command::Expand(args)) => return expand(&args, stdout, stderr),
        Ok(Command::Drift(args)) => return drift(&args, stdout, stderr),
        Ok(Command::Describe(type_name)) => match describe(&type_name) {
            Ok(text) => text,
            Err(e) => {
                let _ = writeln!(stderr, "infrarag: {e}");
                return 2;
            }
        },
        Err(message) => {
            let _ = writeln!(stderr, "infrarag: {message}\n\n{USAGE}");
            return 2;
        }
    };
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    0
}

/// A type's schema as indented JSON.
fn describe(type_name: &str) -> crate::Result<String> {
    #[cfg(feature = "providers")]
    let described = crate::providers::describe(type_name);
    #[cfg(not(feature = "providers"))]
    let described: crate::Result<serde_json::Value> = Err(crate::Error::InvalidArgument {
        name: "type".into(),
        message: format!("{type_name:?}: built without the `providers` feature"),
    });
    Ok(serde_json::to_string_pretty(&described?).unwrap_or_default() + "\n")
}

fn validate(
    args: &Args,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let mut validator = Validator::new();
    for (name, value) in &args.vars {
        validator = validator.var(name, value);
    }
    for file in &args.var_files {
        validator = validator.var_file(file);
    }
    let report = validator
        .with_checks(args.checks.iter().cloned())
        .skip_checks(args.skip.iter().cloned())
        .recursive(args.recursive)
        .expand_instances(!args.no_expand)
        .with_policy_paths(&args.policies)
        .and_then(|validator| match args.dir.as_str() {
            "-" => {
                let mut text = String::new();
                stdin
                    .read_to_string(&mut text)
                    .map_err(|source| crate::Error::Io {
                        path: "<stdin>".into(),
                        source,
                    })?;
                validator.execute_files([(args.stdin_name.clone(), text)])
            }
            dir => validator.execute(dir),
        });
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(stderr, "infrarag: {e}");
            return 2;
        }
    };
    let out = match args.format {
        Format::Text => render::text(&report),
        Format::Json => pretty(&render::json(&report)),
        Format::Sarif => pretty(&render::sarif_relative_to(
            &report,
            std::path::Path::new(&args.sarif_base),
        )),
        Format::Junit => render::junit(&report),
        Format::Terraform => pretty(&render::terraform(&report)),
    };
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    u8::from(args.fail_on.fails(&report))
}

/// The variables `eval` and `expand` read, as `terraform plan` gathers
/// them.
fn inputs_of(args: &EvalArgs) -> crate::terraform::eval::Inputs {
    let mut inputs = crate::terraform::eval::Inputs::new()
        .with_auto_files(true)
        .with_environment(true);
    for f in &args.var_files {
        inputs = inputs.var_file(f);
    }
    for (k, v) in &args.vars {
        inputs = inputs.var(k, v);
    }
    inputs
}

fn eval(args: &EvalArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    use crate::terraform::eval;
    let dir = args.dir.as_deref().map(std::path::Path::new);
    let result = eval::evaluate_text_in(&args.target, dir, &inputs_of(args));
    match result {
        Ok(v) => {
            let out = if args.json {
                pretty(&v.to_json_report())
            } else {
                eval::console(&v) + "\n"
            };
            let _ = stdout.write_all(out.as_bytes());
            let _ = stdout.flush();
            0
        }
        Err(e) => {
            let _ = writeln!(stderr, "infrarag: {e}");
            1
        }
    }
}

fn expand(args: &EvalArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    use crate::terraform::eval;
    let dir = args.dir.clone().unwrap_or_default();
    let expansion = match eval::expand_module(&dir, &inputs_of(args)) {
        Ok(x) => x,
        Err(e) => {
            let _ = writeln!(stderr, "infrarag: {e}");
            return 2;
        }
    };
    let out = if args.json {
        pretty(&expansion.to_json())
    } else {
        let mut out = String::new();
        let line = |name: &str, v: &eval::Value| {
            let text = if v.has_sensitive() {
                "(sensitive value)".to_string()
            } else {
                eval::console(v)
            };
            format!("  {name} = {}\n", text.replace('\n', "\n  "))
        };
        for r in &expansion.resources {
            out.push_str(&r.address);
            out.push('\n');
            for (name, v) in &r.values {
                out.push_str(&line(name, v));
            }
        }
        if !expansion.outputs.is_empty() {
            out.push_str("outputs\n");
            for (name, v) in &expansion.outputs {
                out.push_str(&line(name, v));
            }
        }
        out
    };
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    for (file, d) in &expansion.diagnostics {
        let at = std::path::Path::new(&dir).join(file);
        let (l, c) = (d.span.start.line, d.span.start.column);
        let _ = writeln!(stderr, "infrarag: {}:{l}:{c}: {}", at.display(), d.message);
    }
    u8::from(!expansion.diagnostics.is_empty())
}

fn drift(args: &DriftArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let (text, json, sarif, drifted) = match drift_report(args) {
        Ok(report) => report,
        Err(e) => {
            let _ = writeln!(stderr, "infrarag: {e}");
            return 2;
        }
    };
    let out = match args.format {
        DriftFormat::Text => text,
        DriftFormat::Json => pretty(&serde_json::Value::Object(json)),
        DriftFormat::Sarif => pretty(&sarif),
    };
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    u8::from(drifted)
}

/// The drift report as text, as JSON and as SARIF, and whether anything
/// drifted.
fn drift_report(
    args: &DriftArgs,
) -> crate::Result<(
    String,
    serde_json::Map<String, serde_json::Value>,
    serde_json::Value,
    bool,
)> {
    use crate::drift::aws::{AwsInventory, AwsOptions};
    use crate::drift::ignore::DriftIgnore;
    use crate::drift::live::{compare_live_file, LiveOptions};
    use crate::drift::{compare_config, PlanSummary};
    use crate::terraform::state::{Plan, State};
    let (mut config, mut live, mut planned) = (None, None, None);
    let mut json = serde_json::Map::new();
    let mut text = String::new();
    let mut drifted = false;
    if let (Some(dir), Some(state)) = (&args.config, &args.state) {
        let inputs = inputs_of(&EvalArgs {
            vars: args.vars.clone(),
            var_files: args.var_files.clone(),
            ..EvalArgs::default()
        });
        let d = compare_config(dir, &inputs, &State::read(state)?)?;
        drifted |= !d.is_empty();
        text.push_str(&d.to_text());
        json.insert(
            "config".into(),
            serde_json::to_value(&d).unwrap_or_default(),
        );
        config = Some(d);
    }
    if let (true, Some(state)) = (args.live(), &args.state) {
        let ignore = match &args.driftignore {
            Some(path) => DriftIgnore::read(path)?,
            None if std::path::Path::new(".driftignore").is_file() => {
                DriftIgnore::read(".driftignore")?
            }
            None => DriftIgnore::default(),
        };
        let inventory = AwsInventory::new(AwsOptions {
            regions: args.aws_regions.clone(),
            endpoint: args.aws_endpoint.clone(),
            profile: args.aws_profile.clone(),
            ..AwsOptions::default()
        })?;
        let options = LiveOptions {
            ignore,
            strict: args.strict,
            ..LiveOptions::default()
        };
        let d = compare_live_file(state, &inventory, &options)?;
        drifted |= !d.is_empty();
        text.push_str(&d.to_text());
        json.insert("live".into(), serde_json::to_value(&d).unwrap_or_default());
        live = Some(d);
    }
    if let Some(plan) = &args.plan {
        let summary = PlanSummary::of(&Plan::read(plan)?);
        drifted |= !summary.is_empty();
        text.push_str(&summary.to_text());
        json.insert(
            "plan".into(),
            serde_json::to_value(&summary).unwrap_or_default(),
        );
        planned = Some(summary);
    }
    let artifact = args
        .state
        .as_deref()
        .or(args.plan.as_deref())
        .unwrap_or_default();
    let sarif =
        crate::drift::sarif::to_sarif(artifact, config.as_ref(), live.as_ref(), planned.as_ref());
    Ok((text, json, sarif, drifted))
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        match parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())? {
            Command::Validate(a) => Ok(a),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn flags_parse_in_either_form() {
        let a = args(
            "validate dir --format=sarif --checks undeclared_,duplicate_ --skip-checks syntax.",
        )
        .unwrap();
        assert_eq!(a.dir, "dir");
        assert_eq!(a.format, Format::Sarif);
        assert_eq!(a.checks, ["undeclared_", "duplicate_"]);
        assert_eq!(a.skip, ["syntax."]);
        assert_eq!(a.fail_on, FailOn::Error);
        assert_eq!(args("validate -f junit dir").unwrap().format, Format::Junit);
        assert_eq!(
            args("validate d --soft-fail").unwrap().fail_on,
            FailOn::Never
        );
        assert_eq!(
            args("validate d --fail-on=warning").unwrap().fail_on,
            FailOn::Warning
        );
        let stdin = args("validate - --stdin-name x.tf.json").unwrap();
        assert_eq!(
            (stdin.dir.as_str(), stdin.stdin_name.as_str()),
            ("-", "x.tf.json")
        );
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            args("validate").unwrap_err(),
            "validate needs a directory (or - for standard input)"
        );
        assert_eq!(
            args("validate d --format xml").unwrap_err(),
            "unknown format \"xml\""
        );
        assert_eq!(
            args("validate d --checks").unwrap_err(),
            "--checks needs a value"
        );
        assert_eq!(
            args("validate d --fail-on sometimes").unwrap_err(),
            "--fail-on takes error, warning or never, not \"sometimes\""
        );
        assert_eq!(args("check d").unwrap_err(), "unknown command \"check\"");
        assert_eq!(
            args("validate d e").unwrap_err(),
            "unexpected argument \"e\""
        );
        assert_eq!(args("").unwrap_err(), "no command given");
        let parsed = |s: &str| parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>());
        assert_eq!(parsed("--help"), Ok(Command::Help));
        assert_eq!(parsed("validate d -h"), Ok(Command::Help));
        assert_eq!(parsed("--version"), Ok(Command::Version));
        assert_eq!(
            parsed("checks"),
            Ok(Command::Checks {
                select: vec![],
                skip: vec![],
                json: false
            })
        );
        assert_eq!(
            parsed("checks --checks=aws,IAM --skip-checks CKV_AWS_1 -f json"),
            Ok(Command::Checks {
                select: vec!["aws".into(), "IAM".into()],
                skip: vec!["CKV_AWS_1".into()],
                json: true
            })
        );
        assert!(parsed("checks --format yaml").is_err());
        assert_eq!(
            parsed("describe aws_kms_key"),
            Ok(Command::Describe("aws_kms_key".into()))
        );
        assert!(parsed("describe").is_err());
    }
}
