//! The `infrarag` command: `infrarag validate DIR` checks a Terraform
//! module the way CI runs checkov or tflint, exiting 1 when it finds anything.

use std::io::Write;
use std::process::ExitCode;

use infrarag::validate::policy::CustomPolicy;
use infrarag::validate::{render, Validator};

const USAGE: &str = "\
usage: infrarag validate DIR [--format text|json|sarif|junit|terraform]
                             [--checks CODE,...] [--skip-checks CODE,...]
                             [--policies PATH]...

Checks the Terraform module in DIR (its .tf and .tf.json files) for syntax,
reference and structure errors, as terraform validate does; warns where
tflint's terraform ruleset would (codes `terraform_*`); and runs checkov's
security checks (codes `CKV_*`, `CKV2_*`). A code ending in `_` or `.` selects
every check whose code starts with it (`undeclared_` selects all
undeclared-reference checks; `--skip-checks terraform_` leaves lint out).

--policies adds custom policies in checkov's YAML format: a file, or every
.yaml/.yml file of a directory (checkov's --external-checks-dir, also accepted).

Exit status: 0 when nothing is found, 1 when anything is, 2 on bad usage or
an unreadable directory.";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
struct Args {
    dir: String,
    format: Format,
    checks: Vec<String>,
    skip: Vec<String>,
    policies: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Terraform,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("validate") => {}
        Some("-h" | "--help") | None => return Err(String::new()),
        Some(other) => return Err(format!("unknown command {other:?}")),
    }
    let (mut dir, mut format) = (None, Format::Text);
    let (mut checks, mut skip, mut policies) = (Vec::new(), Vec::new(), Vec::new());
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "-h" | "--help" => return Err(String::new()),
            "--format" | "-f" => {
                format = match value()?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "sarif" => Format::Sarif,
                    "junit" => Format::Junit,
                    "terraform" => Format::Terraform,
                    other => return Err(format!("unknown format {other:?}")),
                }
            }
            "--checks" | "-c" => checks.extend(list(&value()?)),
            "--skip-checks" => skip.extend(list(&value()?)),
            "--policies" | "--external-checks-dir" => policies.push(value()?),
            f if f.starts_with('-') => return Err(format!("unknown option {f:?}")),
            _ if dir.is_none() => dir = Some(arg.clone()),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Args {
        dir: dir.ok_or("validate needs a directory")?,
        format,
        checks,
        skip,
        policies,
    })
}

fn list(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&args) {
        Ok(a) => a,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("infrarag: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut custom = Vec::new();
    for path in &args.policies {
        match CustomPolicy::load_all(path) {
            Ok(p) => custom.extend(p),
            Err(e) => {
                eprintln!("infrarag: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let validator = Validator::new()
        .with_checks(args.checks)
        .skip_checks(args.skip)
        .with_policies(custom);
    let report = match validator.execute(&args.dir) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("infrarag: {e}");
            return ExitCode::from(2);
        }
    };
    let out = match args.format {
        Format::Text => render::text(&report),
        Format::Json => pretty(&render::json(&report)),
        Format::Sarif => pretty(&render::sarif(&report)),
        Format::Junit => render::junit(&report),
        Format::Terraform => pretty(&render::terraform(&report)),
    };
    // A closed pipe (`| head`) is not worth a panic.
    let _ = std::io::stdout().write_all(out.as_bytes());
    if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, String> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
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
        assert_eq!(args("validate -f junit dir").unwrap().format, Format::Junit);
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(args("validate").unwrap_err(), "validate needs a directory");
        assert_eq!(
            args("validate d --format xml").unwrap_err(),
            "unknown format \"xml\""
        );
        assert_eq!(
            args("validate d --checks").unwrap_err(),
            "--checks needs a value"
        );
        assert_eq!(args("check d").unwrap_err(), "unknown command \"check\"");
        assert_eq!(
            args("validate d e").unwrap_err(),
            "unexpected argument \"e\""
        );
        assert_eq!(args("--help").unwrap_err(), "");
    }
}
