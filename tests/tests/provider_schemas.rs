//! Schema validation against its oracles: the corpus's
//! `provider-schemas/validation.json`, which lists every place where the
//! six module repositories and the checkov fixtures differ from the
//! embedded schemas (each classified), and a fixture with one finding of
//! each kind, worded as `terraform validate` words them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use infrarag::hcl::{self, Severity};
use infrarag::validate::{Finding, Validator};
use serde_json::Value;

fn validation() -> Value {
    let path = infrarag_tests::corpus().join("provider-schemas/validation.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("validation.json")).expect("json")
}

fn schema_findings(dir: &Path) -> Vec<Finding> {
    Validator::new()
        .with_checks(["schema."])
        .recursive(true)
        .execute(dir)
        .expect("validates")
        .findings
}

/// The name of the resource or data block in `file` that holds `line`.
fn enclosing(file: &Path, line: usize) -> String {
    let text = std::fs::read_to_string(file).expect("source");
    let parsed = hcl::parse(&text);
    let name = parsed
        .file
        .body
        .blocks()
        .filter(|b| matches!(b.kind.as_str(), "resource" | "data"))
        .find(|b| b.span.start.line <= line && line <= b.span.end.line)
        .and_then(|b| b.labels.get(1))
        .map_or_else(|| "?".into(), |l| l.value.clone());
    name
}

/// The first quoted name a finding's detail gives: the argument, block or
/// type it is about.
fn subject(f: &Finding) -> String {
    let first_line = f.detail.lines().next().unwrap_or_default();
    let quoted = first_line.split('"').nth(1).unwrap_or_default();
    match f.code.as_str() {
        "schema.invalid_resource_type" | "schema.invalid_data_source" => first_line
            .split(" type \"")
            .nth(1)
            .or_else(|| first_line.split("data source \"").nth(1))
            .and_then(|s| s.split('"').next())
            .unwrap_or(quoted)
            .to_string(),
        _ => quoted.to_string(),
    }
}

/// validation.json's mismatch kinds as our finding codes.
fn code_of(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "unknown_attribute" | "block_as_attribute" => "schema.unsupported_argument",
        "unknown_block" => "schema.unsupported_block",
        "missing_required_attribute" => "schema.missing_argument",
        "missing_required_block" => "schema.missing_block",
        "unknown_type" => "schema.invalid_resource_type",
        // A parse error stops Terraform before any schema is read;
        // a computed-only attribute set to null is accepted.
        "parse_error" | "computed_only_set" => return None,
        other => panic!("unexpected mismatch kind {other}"),
    })
}

/// (file relative to the corpus, block name, code, subject) → count.
type Tally = BTreeMap<(String, String, String, String), usize>;

fn expected(section: &str) -> Tally {
    let mut out = Tally::new();
    for group in validation()[section]["mismatch_groups"]
        .as_array()
        .expect("groups")
    {
        let Some(code) = code_of(group["kind"].as_str().unwrap()) else {
            continue;
        };
        let path = group["path"].as_str().unwrap();
        let subject = match path {
            "" => group["type"].as_str().unwrap().split_once('.').unwrap().1,
            p => p.rsplit('.').next().unwrap(),
        };
        for place in group["where"].as_array().unwrap() {
            let (file, name) = place.as_str().unwrap().split_once('#').unwrap();
            *out.entry((file.into(), name.into(), code.into(), subject.into()))
                .or_default() += 1;
        }
    }
    out
}

fn ours(root: &Path, prefix: &str, findings: &[Finding]) -> Tally {
    let mut out = Tally::new();
    for f in findings
        .iter()
        .filter(|f| f.code != "schema.provider_version")
    {
        let file = format!("{prefix}/{}", f.file.display());
        let name = enclosing(&root.join(&f.file), f.span.start.line);
        *out.entry((file, name, f.code.clone(), subject(f)))
            .or_default() += 1;
    }
    out
}

fn differences(want: &Tally, got: &Tally) -> Vec<String> {
    let keys: std::collections::BTreeSet<_> = want.keys().chain(got.keys()).collect();
    keys.into_iter()
        .filter(|k| want.get(*k) != got.get(*k))
        .map(|k| format!("{k:?}: expected {:?}, got {:?}", want.get(k), got.get(k)))
        .collect()
}

#[test]
fn the_checkov_fixtures_show_exactly_the_listed_schema_findings() {
    let root = infrarag_tests::corpus().join("checkov");
    let findings = schema_findings(&root);
    let want = expected("checkov_check");
    assert!(
        want.values().sum::<usize>() > 100,
        "the oracle lists {want:?}"
    );
    let diff = differences(&want, &ours(&root, "checkov", &findings));
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

#[test]
fn the_module_repositories_have_no_schema_error_and_only_newer_provider_warnings() {
    let root = infrarag_tests::corpus().join("modules");
    let findings = schema_findings(&root);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Every listed difference there is a newer provider's argument, which
    // the module's own constraint (aws >= 6.x, above 6.25.0) explains.
    let want = expected("modules_check");
    let diff = differences(&want, &ours(&root, "modules", &findings));
    assert!(diff.is_empty(), "{}", diff.join("\n"));
    let warned = findings
        .iter()
        .filter(|f| f.code != "schema.provider_version");
    assert!(warned.clone().count() == want.values().sum::<usize>());
    assert!(warned
        .into_iter()
        .all(|f| f.detail.contains("; the module requires >= 6.")));
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema")
}

/// Each finding's code, line, severity and summary, checked by hand
/// against the embedded schemas; the wording follows what `terraform
/// validate` printed for the same mistakes on its builtin provider.
#[test]
fn each_kind_of_schema_mistake_is_worded_as_terraform_words_it() {
    let report = Validator::new()
        .with_checks(["schema."])
        .execute(fixture())
        .expect("validates");
    let got: Vec<(&str, usize, Severity, &str)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.code.as_str(),
                f.span.start.line,
                f.severity,
                f.summary.as_str(),
            )
        })
        .collect();
    use Severity::{Error, Warning};
    assert_eq!(
        got,
        [
            (
                "schema.unsupported_argument",
                6,
                Error,
                "Unsupported argument"
            ),
            (
                "schema.invalid_resource_type",
                9,
                Error,
                "Invalid resource type"
            ),
            (
                "schema.invalid_data_source",
                12,
                Error,
                "Invalid data source"
            ),
            (
                "schema.missing_argument",
                15,
                Error,
                "Missing required argument"
            ),
            (
                "schema.missing_block",
                15,
                Error,
                "Insufficient default_action blocks"
            ),
            (
                "schema.computed_argument",
                22,
                Error,
                "Computed attributes cannot be set"
            ),
            (
                "schema.unsupported_argument",
                23,
                Error,
                "Unsupported argument"
            ),
            (
                "schema.unsupported_block",
                26,
                Error,
                "Unsupported block type"
            ),
            (
                "schema.too_many_blocks",
                32,
                Error,
                "Too many metadata_options blocks"
            ),
            (
                "schema.missing_block",
                58,
                Warning,
                "Insufficient boot_disk blocks"
            ),
            (
                "schema.missing_block",
                58,
                Warning,
                "Insufficient network_interface blocks"
            ),
        ]
    );
    let detail = |line: usize| {
        let f = report
            .findings
            .iter()
            .find(|f| f.span.start.line == line)
            .unwrap();
        (
            f.detail.lines().next().unwrap().to_string(),
            f.fix.as_ref().map(|x| x.replacement.clone()),
        )
    };
    assert_eq!(
        detail(9),
        (
            "The provider hashicorp/aws does not support resource type \"aws_s3_buckt\". Did you mean \"aws_s3_bucket\"?".into(),
            Some("\"aws_s3_bucket\"".into())
        )
    );
    assert_eq!(
        detail(23).0,
        "An argument named \"root_block_device\" is not expected here. Did you mean to define a block of type \"root_block_device\"?"
    );
    assert!(report
        .findings
        .iter()
        .all(|f| f.detail.contains("hashicorp/aws 6.25.0")
            || f.detail.contains("hashicorp/google 6.50.0")));
}
