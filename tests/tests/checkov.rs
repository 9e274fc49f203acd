//! Security policies against checkov itself: for every check this engine
//! ports, the resources it passes and fails in the check's fixture under
//! `../shared/corpus/checkov` equal checkov 3.3.13's (`expected.json`).
//! The checks not yet ported are listed, not skipped silently: the test
//! fails if the two lists stop covering the corpus's 80.

use std::collections::BTreeSet;
use std::path::PathBuf;

use infrarag::validate::policy::{check_ids, Outcome};
use infrarag::validate::Validator;
use serde_json::Value;

/// Every check directory of the corpus, by id.
fn fixtures() -> Vec<(String, PathBuf)> {
    let root = infrarag_tests::corpus().join("checkov");
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
    for (id, dir) in fixtures() {
        if !ported.contains(&id.as_str()) {
            continue;
        }
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
        )
        .expect("JSON");
        let (mut passed, mut failed) = (BTreeSet::new(), BTreeSet::new());
        // checkov scans every directory under the check's.
        for module in infrarag_tests::module_dirs(&dir) {
            let report = Validator::new()
                .with_checks([id.as_str()])
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

/// The corpus's checks this engine does not port yet. Porting one moves
/// it from here to the engine; the test fails until this list says so.
const NOT_YET_PORTED: &[&str] = &[
    "CKV2_AWS_10",
    "CKV2_AWS_11",
    "CKV2_AWS_12",
    "CKV2_AWS_20",
    "CKV2_AWS_6",
    "CKV2_GCP_1",
    "CKV_AWS_103",
    "CKV_AWS_145",
    "CKV_AWS_18",
    "CKV_AWS_19",
    "CKV_AWS_20",
    "CKV_AWS_21",
    "CKV_AWS_24",
    "CKV_AWS_25",
    "CKV_AWS_260",
    "CKV_AWS_277",
    "CKV_AWS_286",
    "CKV_AWS_355",
    "CKV_AWS_45",
    "CKV_AWS_46",
    "CKV_AWS_57",
    "CKV_AWS_70",
    "CKV_AWS_88",
    "CKV_AZURE_10",
    "CKV_AZURE_23",
    "CKV_AZURE_9",
    "CKV_GCP_2",
];

#[test]
fn ported_and_unported_checks_cover_the_corpus() {
    let corpus: BTreeSet<String> = fixtures().into_iter().map(|(id, _)| id).collect();
    assert_eq!(corpus.len(), 80);
    let mut covered: BTreeSet<String> = check_ids().iter().map(|s| s.to_string()).collect();
    for id in NOT_YET_PORTED {
        assert!(
            covered.insert(id.to_string()),
            "{id} is ported and listed as not ported"
        );
    }
    assert_eq!(covered, corpus);
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
    let got: Vec<(&str, &str, Outcome)> = report
        .policies
        .iter()
        .map(|e| (e.check, e.address.as_str(), e.outcome))
        .collect();
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
