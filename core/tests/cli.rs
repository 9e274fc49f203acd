//! The `infrarag` command as CI runs it: exit status, formats, selection.

use std::path::PathBuf;
use std::process::Command;

fn fixture(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/validate")
        .join(case)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_infrarag"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_clean_module_exits_0_and_findings_exit_1() {
    // Clean of lint warnings too: any finding makes the exit status 1.
    let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/terraform/web");
    let (code, out, _) = run(&["validate", web.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("0 error(s), 0 warning(s), 1 suppressed in 1 file(s)\n"),
        "{out}"
    );
    let valid = fixture("valid");
    let (code, out, _) = run(&["validate", valid.to_str().unwrap()]);
    assert_eq!(code, 1, "lint warnings: {out}");
    assert!(out.contains("warning[terraform_documented_outputs]"));
    let (code, _, _) = run(&[
        "validate",
        valid.to_str().unwrap(),
        "--skip-checks",
        "terraform_",
    ]);
    assert_eq!(code, 0);

    let refs = fixture("references");
    let (code, out, _) = run(&["validate", refs.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains(
        "error[undeclared_variable]: Reference to undeclared input variable\n  --> main.tf:8:20\n"
    ));
}

#[test]
fn formats_are_the_library_renderings() {
    let refs = fixture("references");
    let dir = refs.to_str().unwrap();
    let (code, out, _) = run(&[
        "validate",
        dir,
        "--format",
        "sarif",
        "--skip-checks",
        "terraform_",
    ]);
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(11)
    );

    let (_, out, _) = run(&[
        "validate",
        dir,
        "--format=terraform",
        "--skip-checks=terraform_",
    ]);
    let tf: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(tf["error_count"], 11);

    let (_, out, _) = run(&[
        "validate",
        dir,
        "--format",
        "junit",
        "--skip-checks",
        "terraform_",
    ]);
    assert_eq!(out.matches("<failure ").count(), 11);
}

#[test]
fn selected_checks_decide_the_exit_status() {
    let refs = fixture("references");
    let dir = refs.to_str().unwrap();
    let (code, out, _) = run(&[
        "validate",
        dir,
        "--checks",
        "duplicate_",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&["validate", dir, "--checks", "self_", "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_usage_and_missing_directories_exit_2() {
    let (code, _, err) = run(&["validate"]);
    assert_eq!(code, 2);
    assert!(err.contains("validate needs a directory"));
    let (code, _, err) = run(&["validate", "/nonexistent/infrarag"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/infrarag"), "{err}");
}

#[test]
fn custom_policies_run_and_bad_ones_exit_2() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let module = root.join("lint");
    let policies = root.join("policies");
    let (code, out, err) = run(&[
        "validate",
        module.to_str().unwrap(),
        "--checks",
        "ORG_LOGS_1",
        "--policies",
        policies.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    // The bucket neither logs inline nor has a logging resource.
    assert_eq!(codes, ["ORG_LOGS_1"]);

    let bad = std::env::temp_dir().join(format!("infrarag-bad-policy-{}.yaml", std::process::id()));
    std::fs::write(&bad, "metadata:\n  id: X\ndefinition:\n  cond_type: nope\n").expect("writes");
    let (code, _, err) = run(&[
        "validate",
        module.to_str().unwrap(),
        "--external-checks-dir",
        bad.to_str().unwrap(),
    ]);
    std::fs::remove_file(&bad).ok();
    assert_eq!(code, 2);
    assert!(err.contains("unsupported cond_type `nope`"), "{err}");
    assert!(err.contains(":4:"), "names the line: {err}");
}
