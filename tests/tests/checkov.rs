//! Security policies against checkov itself: for every check this engine
//! ports, the resources it passes and fails in the check's fixture under
//! `../shared/corpus/checkov` or `checkov-all`, or for a check checkov
//! ships without one, under `tests/fixtures/checkov`, equal checkov
//! 3.3.13's (`expected.json`).
//! The checks not yet ported are listed, not skipped silently: the test
//! fails if the two lists stop covering the corpus's 80.

use std::collections::BTreeSet;
use std::path::PathBuf;

use infrarag::validate::policy::{check_ids, checks, Outcome};
use infrarag::validate::Validator;
use serde_json::Value;

/// Every check directory of the corpus folder `name` (`checkov`, the 80
/// checks; `checkov-all`, the 652 others with fixtures), by id.
fn fixtures_in(name: &str) -> Vec<(String, PathBuf)> {
    check_dirs(&infrarag_tests::corpus().join(name))
}

/// This repository's fixtures for the checks checkov ships without one,
/// with checkov 3.3.13's verdicts recorded beside each
/// (`tests/oracles/checkov_verdicts.py`).
fn own_fixtures() -> Vec<(String, PathBuf)> {
    check_dirs(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/checkov"))
}

/// The `<provider>/<CHECK_ID>` directories under `root`, by id.
fn check_dirs(root: &std::path::Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for cloud in ["aws", "azure", "gcp"] {
        for entry in std::fs::read_dir(root.join(cloud)).expect("checkov corpus") {
            let dir = entry.expect("entry").path();
            let id = dir
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            out.push((id, dir));
        }
    }
    out.sort();
    out
}

/// The 80 checks of `../shared/corpus/checkov`.
fn fixtures() -> Vec<(String, PathBuf)> {
    fixtures_in("checkov")
}

fn addresses(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ported_checks_agree_with_checkov() {
    let ported = check_ids();
    let mut wrong = Vec::new();
    let mut compared = 0;
    for (id, dir) in fixtures()
        .into_iter()
        .chain(fixtures_in("checkov-all"))
        .chain(own_fixtures())
    {
        if !ported.contains(&id.as_str()) {
            continue;
        }
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
        )
        .expect("JSON");
        let (mut passed, mut failed) = (BTreeSet::new(), BTreeSet::new());
        // Two upstream tests turn checkov's count and for_each handling off.
        let expand = expected["env"]["CHECKOV_ENABLE_FOREACH_HANDLING"] != "False";
        // checkov scans every directory under the check's.
        for module in infrarag_tests::module_dirs(&dir) {
            let report = Validator::new()
                .with_checks([id.as_str()])
                .expand_instances(expand)
                .execute(&module)
                .expect("validates");
            for e in report.policies {
                match e.outcome {
                    Outcome::Passed => passed.insert(e.address),
                    Outcome::Failed => failed.insert(e.address),
                    Outcome::Unknown | Outcome::Skipped => false,
                };
            }
        }
        compared += 1;
        let (want_passed, want_failed) = (
            addresses(&expected["passed"]),
            addresses(&expected["failed"]),
        );
        if passed != want_passed || failed != want_failed {
            wrong.push(format!(
                "{id}: passed {passed:?} (checkov {want_passed:?}), failed {failed:?} (checkov {want_failed:?})"
            ));
        }
    }
    assert_eq!(compared, ported.len(), "every ported check has a fixture");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Each check's id, title, provider, kind and resource types, as the
/// catalogue gives them, equal what checkov reports for it in the corpus.
#[test]
fn catalogue_describes_checks_as_checkov_does() {
    let catalogue = checks();
    assert_eq!(catalogue.len(), check_ids().len());
    let mut compared = 0;
    for (id, dir) in fixtures()
        .into_iter()
        .chain(fixtures_in("checkov-all"))
        .chain(own_fixtures())
    {
        let Some(c) = catalogue.iter().find(|c| c.id == id) else {
            continue;
        };
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
        )
        .expect("JSON");
        let mut types: Vec<&str> = c.resource_types.clone();
        types.sort_unstable();
        let mut want: Vec<&str> = expected["resource_types"]
            .as_array()
            .expect("types")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        want.sort_unstable();
        assert_eq!(c.title, expected["title"], "{id}");
        assert_eq!(c.provider, expected["provider"], "{id}");
        assert_eq!(c.kind, expected["kind"], "{id}");
        assert_eq!(types, want, "{id}");
        assert!(!c.categories.is_empty(), "{id}");
        compared += 1;
    }
    assert_eq!(compared, catalogue.len());
}

/// checkov's classification, written from its registries, names every
/// check of the corpus and of its list without fixtures, 919, and the
/// engine runs them all.
#[test]
fn classification_covers_checkovs_919_checks() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../core/src/validate/policy/checkov_catalog.txt"),
    )
    .expect("catalogue");
    let listed: BTreeSet<String> = text
        .lines()
        .map(|l| l.split(' ').next().expect("id").to_string())
        .collect();
    let skipped: Value = serde_json::from_str(
        &std::fs::read_to_string(infrarag_tests::corpus().join("checkov-all/skipped.json"))
            .expect("skipped.json"),
    )
    .expect("JSON");
    let mut corpus: BTreeSet<String> = fixtures()
        .into_iter()
        .chain(fixtures_in("checkov-all"))
        .map(|(id, _)| id)
        .collect();
    for s in skipped["no_upstream_fixture"].as_array().expect("list") {
        corpus.insert(s["check_id"].as_str().expect("id").to_string());
    }
    assert_eq!(corpus.len(), 919);
    assert_eq!(listed, corpus);
    // The engine runs every one of them.
    let ported: BTreeSet<String> = check_ids().iter().map(|s| s.to_string()).collect();
    assert_eq!(ported, corpus);
    // Our own fixtures are for the checks checkov ships without one.
    let without: BTreeSet<&str> = skipped["no_upstream_fixture"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["check_id"].as_str())
        .collect();
    for (id, _) in own_fixtures() {
        assert!(without.contains(id.as_str()), "{id} has checkov's fixture");
    }
}

/// Selecting by provider, category and severity, checked by hand.
#[test]
fn checks_are_selected_by_provider_category_and_severity() {
    let ids = |names: &[&str]| -> Vec<&'static str> {
        Validator::new()
            .with_checks(names.iter().copied())
            .selected_checks()
            .expect("selects")
            .into_iter()
            .map(|c| c.id)
            .collect()
    };
    let gcp = ids(&["gcp"]);
    assert!(gcp.contains(&"CKV_GCP_78") && gcp.contains(&"CKV2_GCP_1"));
    assert!(gcp.iter().all(|id| id.contains("_GCP_")));
    // EBS encryption is ENCRYPTION; S3 access logging is LOGGING.
    let encryption = ids(&["encryption"]);
    assert!(encryption.contains(&"CKV_AWS_3") && !encryption.contains(&"CKV_AWS_18"));
    let both = ids(&["azure", "LOGGING"]);
    assert!(both.contains(&"CKV_AWS_18") && both.iter().any(|id| id.contains("_AZURE_")));
    // checkov gives a severity offline to CKV2_AWS_34 alone.
    let severe = Validator::new().with_checks(["MEDIUM"]).selected_checks();
    match check_ids().contains(&"CKV2_AWS_34") {
        true => assert_eq!(
            severe
                .expect("selects")
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
            ["CKV2_AWS_34"]
        ),
        false => assert!(severe.is_err()),
    }
    let skipped = Validator::new()
        .skip_checks(["aws", "azure"])
        .selected_checks()
        .expect("selects");
    assert_eq!(skipped.len(), gcp.len());
    let err = Validator::new()
        .with_checks(["gpc"])
        .selected_checks()
        .expect_err("a typo");
    assert!(err.to_string().contains("gpc"), "{err}");
}

/// Each verdict as (check, address, outcome), in report order.
fn verdicts(report: &infrarag::validate::Report) -> Vec<(&str, &str, Outcome)> {
    report
        .policies
        .iter()
        .map(|e| (e.check.as_str(), e.address.as_str(), e.outcome))
        .collect()
}

/// How values are rendered, checked by hand: a variable's default and a
/// constant local count as written, other references are UNKNOWN,
/// `count = 0` is not judged, and a `dynamic` block counts as its content.
#[test]
fn values_render_as_checkov_renders_them() {
    let text = r#"
variable "on" {
  default = true
}

locals {
  off = false
}

resource "aws_ebs_volume" "var" {
  encrypted = var.on
}

resource "aws_ebs_volume" "local" {
  encrypted = local.off
}

resource "aws_ebs_volume" "ref" {
  encrypted = aws_kms_key.k.enabled
}

resource "aws_ebs_volume" "none" {
  count = 0
}

resource "aws_lambda_function" "dynamic" {
  dynamic "vpc_config" {
    for_each = [1]
    content {
      subnet_ids = []
    }
  }
}

resource "aws_lambda_function" "plain" {}
"#;
    let file = infrarag::terraform::SourceFile::new("main.tf", text);
    let report = Validator::new()
        .with_checks(["CKV_AWS_3", "CKV_AWS_117"])
        .check(&[file]);
    let got = verdicts(&report);
    assert_eq!(
        got,
        [
            ("CKV_AWS_3", "aws_ebs_volume.var", Outcome::Passed),
            ("CKV_AWS_3", "aws_ebs_volume.local", Outcome::Failed),
            ("CKV_AWS_3", "aws_ebs_volume.ref", Outcome::Unknown),
            (
                "CKV_AWS_117",
                "aws_lambda_function.dynamic",
                Outcome::Passed
            ),
            ("CKV_AWS_117", "aws_lambda_function.plain", Outcome::Failed),
        ]
    );
    // Failures are findings too, as errors coded by check id.
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["CKV_AWS_3", "CKV_AWS_117"]);
}

/// Custom policies in checkov's YAML format, judged by hand: attribute
/// conditions, `and`/`or`, connections, `for_each` instances and
/// references that leave the verdict UNKNOWN.
#[test]
fn custom_policies_judge_as_written() {
    let text = r#"
variable "owner" {}

locals {
  buckets = { a = "logs/a", b = "other/b" }
}

resource "aws_s3_bucket" "inline" {
  tags = { Owner = "team" }
  logging {
    target_prefix = "logs/inline"
  }
}

resource "aws_s3_bucket" "connected" {
  tags = { Name = "x" }
}

resource "aws_s3_bucket_logging" "connected" {
  bucket        = aws_s3_bucket.connected.id
  target_prefix = "logs/connected"
}

resource "aws_s3_bucket" "unknown" {
  tags = { Owner = var.owner }
  logging {
    target_prefix = var.owner
  }
}

resource "aws_s3_bucket" "each" {
  for_each = local.buckets
  tags     = { Owner = each.key }
  logging {
    target_prefix = each.value
  }
}
"#;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/policies");
    let policies = infrarag::validate::policy::CustomPolicy::load_all(&dir).expect("loads");
    let ids: Vec<&str> = policies.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["ORG_LOGS_1", "ORG_TAGS_1"], "yaml and yml, by name");
    let file = infrarag::terraform::SourceFile::new("main.tf", text);
    let report = Validator::new()
        .with_checks(["ORG_"])
        .with_policies(policies)
        .check(&[file]);
    let got = verdicts(&report);
    use Outcome::{Failed, Passed, Unknown};
    assert_eq!(
        got,
        [
            ("ORG_LOGS_1", "aws_s3_bucket.inline", Passed),
            ("ORG_LOGS_1", "aws_s3_bucket.connected", Passed),
            ("ORG_LOGS_1", "aws_s3_bucket.unknown", Unknown),
            ("ORG_LOGS_1", "aws_s3_bucket.each[\"a\"]", Passed),
            ("ORG_LOGS_1", "aws_s3_bucket.each[\"b\"]", Failed),
            ("ORG_TAGS_1", "aws_s3_bucket.inline", Passed),
            ("ORG_TAGS_1", "aws_s3_bucket.connected", Failed),
            // A reference still exists.
            ("ORG_TAGS_1", "aws_s3_bucket.unknown", Passed),
            ("ORG_TAGS_1", "aws_s3_bucket.each[\"a\"]", Passed),
            ("ORG_TAGS_1", "aws_s3_bucket.each[\"b\"]", Passed),
        ]
    );
    let failed: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(failed, ["ORG_TAGS_1", "ORG_LOGS_1"]);
}

/// The addresses CKV_AWS_3 judges in `text`, a `main.tf`, in order.
fn ebs_addresses(text: &str, validator: Validator) -> Vec<String> {
    let file = infrarag::terraform::SourceFile::new("main.tf", text);
    let report = validator.with_checks(["CKV_AWS_3"]).check(&[file]);
    verdicts(&report).iter().map(|v| v.1.to_string()).collect()
}

/// `count` instances, named as checkov 3.3.13 names them (checked by
/// running it on this text): a known count makes `name[0]`, `name[1]`...,
/// a count that evaluates to 0 or an empty `for_each` makes none (as in
/// Terraform; checkov 3.3.13 judges an empty `for_each` once, as
/// written), and an unknown one leaves the resource judged once, as
/// written.
#[test]
fn count_makes_instances() {
    let text = r#"
variable "create" {
  default = false
}

variable "on" {
  default = true
}

resource "aws_ebs_volume" "off" {
  count = var.create ? 1 : 0
}

resource "aws_ebs_volume" "on" {
  count = var.on ? 1 : 0
}

resource "aws_ebs_volume" "two" {
  count = 2
}

resource "aws_ebs_volume" "len" {
  count = length(["a"])
}

resource "aws_ebs_volume" "unknown" {
  count = var.later
}

resource "aws_ebs_volume" "empty" {
  for_each = {}
}
"#;
    assert_eq!(
        ebs_addresses(text, Validator::new()),
        [
            "aws_ebs_volume.on[0]",
            "aws_ebs_volume.two[0]",
            "aws_ebs_volume.two[1]",
            "aws_ebs_volume.len[0]",
            "aws_ebs_volume.unknown",
        ]
    );
}

/// A count that tests a value it cannot know against null takes the
/// branch checkov 3.3.13 takes (checked by running it on this text): it
/// reads the value as its own text, never null. Any other unknown count
/// leaves the block judged once, as written.
#[test]
fn unknown_values_tested_against_null_are_not_null() {
    let text = r#"
variable "declared" {}

resource "aws_ebs_volume" "undeclared" {
  count = var.undeclared != null ? 1 : 0
}

resource "aws_ebs_volume" "declared" {
  count = var.declared != null ? 1 : 0
}

resource "aws_ebs_volume" "eq" {
  count = null == var.declared ? 1 : 0
}

resource "aws_ebs_volume" "res" {
  count = aws_s3_bucket.b.id != null ? 1 : 0
}

resource "aws_ebs_volume" "plain" {
  count = var.declared
}

resource "aws_ebs_volume" "bool" {
  count = var.declared ? 1 : 0
}
"#;
    assert_eq!(
        ebs_addresses(text, Validator::new()),
        [
            "aws_ebs_volume.undeclared[0]",
            "aws_ebs_volume.declared[0]",
            "aws_ebs_volume.res[0]",
            "aws_ebs_volume.plain",
            "aws_ebs_volume.bool",
        ]
    );
}

/// With `expand_instances(false)` a block with `count` or `for_each` is
/// judged once, as written, under its bare address, as checkov 3.3.13
/// judges it with `CHECKOV_ENABLE_FOREACH_HANDLING=False` (checked by
/// running it on this text and on `fixtures/called_modules`): a count
/// known to be zero still makes nothing, an empty `for_each` is judged,
/// and a module call with `for_each` is one instance, `module.each.`.
#[test]
fn instances_can_be_left_unexpanded() {
    let text = r#"
variable "create" {
  default = false
}

resource "aws_ebs_volume" "off" {
  count = var.create ? 1 : 0
}

resource "aws_ebs_volume" "two" {
  count = 2
}

resource "aws_ebs_volume" "keyed" {
  for_each  = toset(["a", "b"])
  encrypted = each.key == "a"
}

resource "aws_ebs_volume" "empty" {
  for_each = {}
}
"#;
    assert_eq!(
        ebs_addresses(text, Validator::new().expand_instances(false)),
        [
            "aws_ebs_volume.two",
            "aws_ebs_volume.keyed",
            "aws_ebs_volume.empty"
        ]
    );

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/called_modules");
    let report = Validator::new()
        .with_checks(["CKV_AWS_3"])
        .expand_instances(false)
        .execute(&dir)
        .expect("validates");
    let addresses: Vec<&str> = verdicts(&report).iter().map(|v| v.1).collect();
    assert_eq!(
        addresses,
        [
            "module.on.aws_ebs_volume.this",
            "module.off.aws_ebs_volume.this",
            "module.each.aws_ebs_volume.this",
            "module.unknown.aws_ebs_volume.this",
            "module.defaulted.aws_ebs_volume.this",
        ]
    );
}

/// A local module is judged once per call, with the inputs the call
/// passes, and named `module.<call>.`, as checkov 3.3.13 judges and names
/// it (checked by running it on the fixture, which it reports the same,
/// UNKNOWN aside, and but for the `count = 0` call: Terraform makes no
/// instance of it, and checkov judges it once, as written).
#[test]
fn called_modules_are_judged_per_call() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/called_modules");
    let report = Validator::new()
        .with_checks(["CKV_AWS_3"])
        .execute(&dir)
        .expect("validates");
    use Outcome::{Failed, Passed, Unknown};
    assert_eq!(
        verdicts(&report),
        [
            ("CKV_AWS_3", "module.on.aws_ebs_volume.this", Passed),
            ("CKV_AWS_3", "module.off.aws_ebs_volume.this", Failed),
            (
                "CKV_AWS_3",
                "module.each[\"a\"].aws_ebs_volume.this",
                Passed
            ),
            (
                "CKV_AWS_3",
                "module.each[\"b\"].aws_ebs_volume.this",
                Failed
            ),
            ("CKV_AWS_3", "module.unknown.aws_ebs_volume.this", Unknown),
            ("CKV_AWS_3", "module.defaulted.aws_ebs_volume.this", Passed),
        ]
    );
    // Failures point into the module's file, and render with its source.
    assert!(report
        .policies
        .iter()
        .all(|p| p.file == std::path::Path::new("disk/main.tf")));
    let text = infrarag::validate::render::text(&report);
    assert!(text.contains("--> disk/main.tf:6:1"), "{text}");
    assert!(
        text.contains("resource \"aws_ebs_volume\" \"this\" {"),
        "{text}"
    );
    // Without a directory there is nothing to call.
    let alone = infrarag::terraform::read_files(&dir).expect("reads");
    assert!(Validator::new()
        .with_checks(["CKV_AWS_3"])
        .check(&alone)
        .policies
        .is_empty());
}

/// Policy documents keep their shape when a part refers to a resource (as
/// checkov reads them, with the reference as text); a document that is
/// itself a reference is UNKNOWN. Graph checks judge resources, not data
/// sources.
#[test]
fn documents_with_references_are_still_read() {
    let text = r#"
resource "aws_iam_policy" "scoped" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["kms:Decrypt"], Resource = aws_kms_key.k.arn }]
  })
}

resource "aws_iam_policy" "star" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["kms:Decrypt"], Resource = "*", Sid = var.sid }]
  })
}

resource "aws_iam_policy" "elsewhere" {
  policy = data.aws_iam_policy_document.d.json
}

data "aws_vpc" "default" {
  default = true
}
"#;
    let file = infrarag::terraform::SourceFile::new("main.tf", text);
    let report = Validator::new()
        .with_checks(["CKV_AWS_355", "CKV2_AWS_11"])
        .check(&[file]);
    use Outcome::{Failed, Passed, Unknown};
    assert_eq!(
        verdicts(&report),
        [
            ("CKV_AWS_355", "aws_iam_policy.scoped", Passed),
            ("CKV_AWS_355", "aws_iam_policy.star", Failed),
            ("CKV_AWS_355", "aws_iam_policy.elsewhere", Unknown),
        ]
    );
}

/// CKV_AWS_23 as checkov 3.3.13 decides it (checked by running it on this
/// text): a description key passes whatever it holds (a null default, an
/// empty string, `null`), and rules written as objects are not read.
#[test]
fn a_description_key_is_enough() {
    let text = r#"
variable "d" {
  default = null
}

resource "aws_security_group" "null_default" {
  description = var.d
}

resource "aws_security_group" "literal_null" {
  description = null
}

resource "aws_security_group" "object_rule" {
  description = "g"
  ingress = [{
    description = ""
    from_port   = 1
    to_port     = 1
  }]
}

resource "aws_security_group" "block_rule" {
  description = "g"
  ingress {
    from_port = 1
    to_port   = 1
  }
}

resource "aws_security_group" "none" {}
"#;
    let file = infrarag::terraform::SourceFile::new("main.tf", text);
    let report = Validator::new().with_checks(["CKV_AWS_23"]).check(&[file]);
    use Outcome::{Failed, Passed};
    assert_eq!(
        verdicts(&report),
        [
            ("CKV_AWS_23", "aws_security_group.null_default", Passed),
            ("CKV_AWS_23", "aws_security_group.literal_null", Passed),
            ("CKV_AWS_23", "aws_security_group.object_rule", Passed),
            ("CKV_AWS_23", "aws_security_group.block_rule", Failed),
            ("CKV_AWS_23", "aws_security_group.none", Failed),
        ]
    );
}

/// The four causes of disagreement issue 17 names, on a fixture of our
/// own: (A) a `dynamic` block's iterator, (B) a `count` decided by `&&`,
/// `||` and a comparison, (C) a bucket named through a local or a called
/// module's output, (D) a
/// module's `for_each` over the call's argument. The verdicts are checkov
/// 3.3.13's on `fixtures/evaluation` (`checkov -d . -o json`), except two
/// where Terraform decides otherwise and we follow Terraform: `disabled`'s
/// count is `true && false ? 1 : 0`, which `terraform console` gives as 0
/// (checkov judges `disabled[0]`), and `dynamic_optional`'s empty
/// `for_each` makes no `metadata_options` block (checkov reads the content
/// as written and passes CKV_AWS_79).
#[test]
fn values_are_evaluated_as_terraform_evaluates_them() {
    let report = fixture_report("evaluation", &["CKV_AWS_79", "CKV_AWS_3", "CKV_AWS_21"]);
    use Outcome::{Failed, Passed};
    assert_eq!(
        verdicts(&report),
        [
            ("CKV_AWS_79", "aws_instance.dynamic", Passed),
            ("CKV_AWS_79", "aws_instance.dynamic_optional", Failed),
            ("CKV_AWS_3", "aws_ebs_volume.compared[0]", Failed),
            (
                "CKV_AWS_3",
                "module.volumes.aws_ebs_volume.this[\"plain\"]",
                Failed
            ),
            (
                "CKV_AWS_3",
                "module.volumes.aws_ebs_volume.this[\"sealed\"]",
                Passed
            ),
            ("CKV_AWS_21", "aws_s3_bucket.this", Passed),
            ("CKV_AWS_21", "module.logs.aws_s3_bucket.this", Passed),
        ]
    );
}

/// A module directory's `terraform.tfvars` and `*.auto.tfvars(.json)` set
/// its variables, a later file (in name order) winning, as Terraform loads
/// them unasked; the verdicts are checkov 3.3.13's on `fixtures/tfvars`.
#[test]
fn auto_loaded_tfvars_set_variables() {
    let report = fixture_report("tfvars", &["CKV_AWS_3"]);
    use Outcome::{Failed, Passed};
    assert_eq!(
        verdicts(&report),
        [
            ("CKV_AWS_3", "aws_ebs_volume.from_tfvars", Passed),
            ("CKV_AWS_3", "aws_ebs_volume.from_auto", Passed),
            ("CKV_AWS_3", "aws_ebs_volume.last_file_wins", Failed),
        ]
    );
    // Files held in memory have no directory, so no tfvars: the defaults.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tfvars");
    let files = infrarag::terraform::read_files(&dir).expect("reads");
    let alone = Validator::new().with_checks(["CKV_AWS_3"]).check(&files);
    assert!(verdicts(&alone)
        .iter()
        .all(|v| (v.1 == "aws_ebs_volume.last_file_wins") == (v.2 == Passed)));
}

/// `-var-file` and `-var` values win over the files loaded unasked, as
/// Terraform reads them: checkov 3.3.13 with `--var-file override.tfvars`
/// fails `from_auto` too (it has no `-var`; Terraform's own precedence
/// for it is checked against `terraform console` in `terraform_eval.rs`).
#[test]
fn var_files_and_vars_override_the_auto_loaded_ones() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tfvars");
    let report = Validator::new()
        .with_checks(["CKV_AWS_3"])
        .var_file(dir.join("override.tfvars"))
        .execute(&dir)
        .expect("validates");
    use Outcome::{Failed, Passed};
    assert_eq!(
        verdicts(&report),
        [
            ("CKV_AWS_3", "aws_ebs_volume.from_tfvars", Passed),
            ("CKV_AWS_3", "aws_ebs_volume.from_auto", Failed),
            ("CKV_AWS_3", "aws_ebs_volume.last_file_wins", Failed),
        ]
    );
    let report = Validator::new()
        .with_checks(["CKV_AWS_3"])
        .var_file(dir.join("override.tfvars"))
        .var("encrypted", "false")
        .var("order", "true")
        .execute(&dir)
        .expect("validates");
    assert_eq!(
        verdicts(&report),
        [
            ("CKV_AWS_3", "aws_ebs_volume.from_tfvars", Failed),
            ("CKV_AWS_3", "aws_ebs_volume.from_auto", Failed),
            ("CKV_AWS_3", "aws_ebs_volume.last_file_wins", Passed),
        ]
    );
    // A variables file the caller names must exist.
    let missing = Validator::new()
        .var_file(dir.join("absent.tfvars"))
        .execute(&dir)
        .expect_err("an unreadable -var-file fails");
    assert!(missing.to_string().contains("absent.tfvars"), "{missing}");
}

/// A registry module `terraform init` installed (`.terraform/modules`,
/// recorded in `modules.json` by module key) is judged with the caller's
/// arguments, and so is the local module it calls in turn. Hand-checked:
/// the call passes `encrypted = false`, the inner call `!var.encrypted`.
/// (checkov 3.3.13 reads no installed modules without downloading them
/// itself, and gives no verdict here.)
#[test]
fn installed_registry_modules_are_judged_per_call() {
    let report = fixture_report("installed_modules", &["CKV_AWS_3"]);
    use Outcome::{Failed, Passed};
    assert_eq!(
        verdicts(&report),
        [
            (
                "CKV_AWS_3",
                "module.volumes.module.inner.aws_ebs_volume.inner",
                Passed
            ),
            ("CKV_AWS_3", "module.volumes.aws_ebs_volume.this", Failed),
        ]
    );
    let files: Vec<_> = report.policies.iter().map(|p| p.file.clone()).collect();
    assert_eq!(
        files,
        [
            std::path::Path::new(".terraform/modules/volumes/modules/inner/main.tf"),
            std::path::Path::new(".terraform/modules/volumes/main.tf"),
        ]
    );
}

/// `tests/fixtures/<name>` validated with only `checks`.
fn fixture_report(name: &str, checks: &[&str]) -> infrarag::validate::Report {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    Validator::new()
        .with_checks(checks.iter().copied())
        .execute(&dir)
        .expect("validates")
}
