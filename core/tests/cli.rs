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
fn errors_exit_1_and_warnings_only_with_fail_on_warning() {
    let web = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/terraform/web");
    let (code, out, _) = run(&["validate", web.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("0 error(s), 0 warning(s), 3 suppressed in 1 file(s)\n"),
        "{out}"
    );
    // Lint warnings alone pass, as `report.ok` says, unless asked.
    let valid = fixture("valid");
    let (code, out, _) = run(&["validate", valid.to_str().unwrap()]);
    assert_eq!(code, 0, "lint warnings: {out}");
    assert!(out.contains("warning[terraform_documented_outputs]"));
    let (code, _, _) = run(&["validate", valid.to_str().unwrap(), "--fail-on", "warning"]);
    assert_eq!(code, 1);
    let (code, _, _) = run(&[
        "validate",
        valid.to_str().unwrap(),
        "--skip-checks",
        "terraform_",
        "--fail-on=warning",
    ]);
    assert_eq!(code, 0);

    let refs = fixture("references");
    let (code, out, _) = run(&["validate", refs.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains(
        "error[undeclared_variable]: Reference to undeclared input variable\n  --> main.tf:8:20\n"
    ));
    for soft in [&["--soft-fail"][..], &["--fail-on", "never"]] {
        let mut argv = vec!["validate", refs.to_str().unwrap()];
        argv.extend(soft);
        let (code, out, _) = run(&argv);
        assert_eq!(code, 0);
        assert!(out.contains("error[undeclared_variable]"));
    }
}

#[test]
fn standard_input_is_validated_as_one_file() {
    let refs = fixture("references");
    let text = std::fs::read_to_string(refs.join("main.tf")).expect("fixture");
    let mut child = Command::new(env!("CARGO_BIN_EXE_infrarag"))
        .args(["validate", "-", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("writes");
    let out = child.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(1));
    let piped: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let (_, from_dir, _) = run(&["validate", refs.to_str().unwrap(), "--format", "json"]);
    let from_dir: serde_json::Value = serde_json::from_str(&from_dir).expect("JSON");
    assert_eq!(piped["findings"], from_dir["findings"]);
    assert!(piped["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

#[test]
fn sarif_uris_are_relative_to_the_stated_base() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO_BIN_EXE_infrarag"))
        .current_dir(&repo)
        .args([
            "validate",
            "tests/fixtures/validate/references",
            "--format",
            "sarif",
        ])
        .output()
        .expect("runs");
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let run = &sarif["runs"][0];
    let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(
        location["uri"],
        "tests/fixtures/validate/references/main.tf"
    );
    assert_eq!(location["uriBaseId"], "SRCROOT");
    let root = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .expect("SRCROOT");
    let repo = std::fs::canonicalize(&repo).expect("repo");
    assert_eq!(root, format!("file://{}/", repo.display()));

    let (_, out, _) = run_sarif_with_base(&repo.join("tests/fixtures/validate"));
    let sarif: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let location =
        &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uri"], "references/main.tf");
}

fn run_sarif_with_base(base: &std::path::Path) -> (i32, String, String) {
    let refs = fixture("references");
    run(&[
        "validate",
        refs.to_str().unwrap(),
        "--format",
        "sarif",
        "--sarif-base",
        base.to_str().unwrap(),
    ])
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

/// `--no-expand` judges a block with `count` or `for_each` once, under its
/// bare address, as checkov does with `CHECKOV_ENABLE_FOREACH_HANDLING=False`.
#[test]
fn no_expand_judges_repeated_blocks_once() {
    let called = fixture("../called_modules");
    let dir = called.to_str().unwrap();
    let addresses = |extra: &[&str]| {
        let mut args = vec!["validate", dir, "--checks", "CKV_AWS_3", "--format", "json"];
        args.extend(extra);
        let (_, out, err) = run(&args);
        let json: serde_json::Value = serde_json::from_str(&out).expect(&err);
        json["policies"]
            .as_array()
            .expect("policies")
            .iter()
            .map(|p| p["address"].as_str().expect("address").to_string())
            .filter(|a| a.starts_with("module.each"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        addresses(&[]),
        [
            "module.each[\"a\"].aws_ebs_volume.this",
            "module.each[\"b\"].aws_ebs_volume.this"
        ]
    );
    assert_eq!(
        addresses(&["--no-expand"]),
        ["module.each.aws_ebs_volume.this"]
    );
}

#[test]
fn bad_usage_and_missing_directories_exit_2() {
    let (code, out, err) = run(&[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("no command given") && err.contains("usage: infrarag validate"));
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("usage: infrarag validate"));
    let (code, out, _) = run(&["--version"]);
    assert_eq!(
        (code, out),
        (0, format!("infrarag {}\n", env!("CARGO_PKG_VERSION")))
    );
    let (code, out, _) = run(&["checks"]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|l| l == "undeclared_variable"));
    assert!(
        out.lines()
            .any(|l| l
                == "CKV_AWS_18\tEnsure the S3 bucket has access logging enabled\taws_s3_bucket")
    );
    // Selected by provider and category; as JSON, the security catalogue.
    let (code, out, _) = run(&["checks", "--checks", "gcp,iam", "--format", "json"]);
    assert_eq!(code, 0);
    let listed: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let listed = listed.as_array().expect("a list");
    assert!(!listed.is_empty());
    assert!(listed.iter().all(|c| c["provider"] == "gcp"
        || c["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "IAM")));
    assert!(listed
        .iter()
        .any(|c| c["id"] == "CKV_AWS_1" && c["kind"] == "data"));
    let (code, _, err) = run(&["checks", "--checks", "HIGH"]);
    assert_eq!(code, 2);
    assert!(err.contains("\"HIGH\" names no check"), "{err}");

    let refs = fixture("references");
    let (code, out, err) = run(&[
        "validate",
        refs.to_str().unwrap(),
        "--checks",
        "CKV_AWS_999,undeclared_variabel",
    ]);
    assert_eq!(
        (code, out.as_str()),
        (2, ""),
        "an unknown check name must not pass"
    );
    assert!(
        err.contains("\"CKV_AWS_999\" names no check") && err.contains("CKV_AWS_99"),
        "{err}"
    );

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

#[test]
fn eval_prints_what_terraform_console_prints() {
    let module = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/module_values");
    let module = module.to_str().unwrap();
    // `terraform console -var 'tags={env="prod"}'` in the fixture printed
    // this (size comes from its terraform.tfvars, names from the default).
    let (code, out, _) = run(&[
        "eval",
        "local.prefixed",
        "--dir",
        module,
        "--var",
        r#"tags={env="prod"}"#,
    ]);
    assert_eq!(
        (code, out.as_str()),
        (0, "[\n  \"PROD-web\",\n  \"PROD-db\",\n]\n")
    );
    let (code, out, _) = run(&["eval", "local.total", "--dir", module, "--format=json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["value"].as_i64(), v["type"].as_str()),
        (Some(6), Some("number"))
    );
    let (code, _, err) = run(&["eval", r#"upper("a", "b")"#]);
    assert_eq!(code, 1);
    assert!(
        err.contains("<input>:1:12: Too many function arguments"),
        "{err}"
    );
    let (code, _, err) = run(&["eval", "1", "--var", "novalue"]);
    assert_eq!(code, 2);
    assert!(err.contains("--var takes NAME=VALUE"), "{err}");
}

#[test]
fn validate_takes_var_files_and_vars_as_terraform_plan_does() {
    let module = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/tfvars");
    let dir = module.to_str().unwrap();
    let file = module.join("override.tfvars");
    let verdicts = |extra: &[&str]| {
        let mut args = vec!["validate", dir, "--checks", "CKV_AWS_3", "--format", "json"];
        args.extend(extra);
        let (_, out, err) = run(&args);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p["address"].as_str().unwrap(),
                    p["outcome"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    // checkov 3.3.13 -d tfvars --var-file override.tfvars gives the same.
    assert_eq!(
        verdicts(&["--var-file", file.to_str().unwrap()]),
        [
            "aws_ebs_volume.from_tfvars PASSED",
            "aws_ebs_volume.from_auto FAILED",
            "aws_ebs_volume.last_file_wins FAILED"
        ]
    );
    assert_eq!(
        verdicts(&["--var", "encrypted=false", "--var=order=true"]),
        [
            "aws_ebs_volume.from_tfvars FAILED",
            "aws_ebs_volume.from_auto PASSED",
            "aws_ebs_volume.last_file_wins PASSED"
        ]
    );
    let (code, _, err) = run(&["validate", dir, "--var-file", "absent.tfvars"]);
    assert_eq!(code, 2);
    assert!(err.contains("absent.tfvars"), "{err}");
}

#[test]
fn expand_lists_the_instances_terraform_plan_makes() {
    let module = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/expand");
    let dir = module.to_str().unwrap();
    // Terraform 1.11's plan of the fixture names these instances, in this
    // order within each module (terraform_expand.rs replans it).
    let (code, out, err) = run(&["expand", dir]);
    assert_eq!(code, 0, "{err}");
    let addresses: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        addresses,
        [
            "terraform_data.subnet[\"a\"]",
            "terraform_data.subnet[\"b\"]",
            "terraform_data.password",
            "module.net[0].terraform_data.vpc",
            "module.net[1].terraform_data.vpc",
            "outputs"
        ]
    );
    assert!(out.contains("  input = (sensitive value)\n"), "{out}");
    assert!(!out.contains("hunter2"));
    let (code, out, _) = run(&["expand", dir, "--var", "zones=[]", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["resources"].as_array().map(Vec::len), Some(3));
    let broken = std::env::temp_dir().join(format!("infrarag-cli-expand-{}", std::process::id()));
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("main.tf"),
        "resource \"terraform_data\" \"x\" {\n  count = -1\n}\n",
    )
    .unwrap();
    let (code, _, err) = run(&["expand", broken.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("main.tf:2:11: Invalid count argument"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&broken);
}

#[cfg(feature = "providers")]
#[test]
fn describe_prints_a_types_schema_and_refuses_unknown_types() {
    let (code, out, _) = run(&["describe", "data.aws_ami"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        (v["type"].as_str(), v["kind"].as_str()),
        (Some("aws_ami"), Some("data"))
    );
    assert_eq!(v["source"], "registry.terraform.io/hashicorp/aws");
    assert_eq!(
        v["blocks"]["filter"]["attributes"]["name"]["required"],
        true
    );
    let (code, _, err) = run(&["describe", "aws_s3_buckt"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean \"aws_s3_bucket\""), "{err}");
}

#[cfg(not(feature = "providers"))]
#[test]
fn describe_without_the_providers_feature_says_so() {
    let (code, _, err) = run(&["describe", "aws_kms_key"]);
    assert_eq!(code, 2);
    assert!(err.contains("without the `providers` feature"), "{err}");
}
