//! The validator against Terraform itself: for each module under
//! `tests/fixtures/validate`, our findings in `terraform validate -json`'s
//! shape must equal what Terraform 1.11 printed for it (recorded beside
//! it by `tests/oracles/terraform_validate.sh`). And on the real modules of
//! the corpus, which Terraform accepts, it must find nothing.

use std::path::{Path, PathBuf};

use infrarag::validate::{render, Validator};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/validate")
}

/// Terraform's diagnostics without the parts we do not reproduce
/// (`snippet`), in position order.
fn comparable(report: &Value) -> Vec<Value> {
    let mut d: Vec<Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|x| {
            serde_json::json!({
                "severity": x["severity"],
                "summary": x["summary"],
                "detail": x["detail"],
                "range": x["range"],
            })
        })
        .collect();
    d.sort_by_key(|x| {
        (
            x["range"]["filename"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            x["range"]["start"]["byte"].as_u64(),
        )
    });
    d
}

fn agrees_with_terraform(case: &str, expected_errors: u64) {
    let dir = fixtures().join(case);
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("terraform.json")).expect("recorded output"),
    )
    .expect("recorded JSON");
    assert_eq!(
        recorded["error_count"], expected_errors,
        "{case}: the recording"
    );
    // Terraform does not lint: its comparison leaves our lint rules out.
    let report = Validator::new()
        .skip_checks(["terraform_"])
        .execute(&dir)
        .expect("validates");
    let ours = render::terraform(&report);
    assert_eq!(ours["valid"], recorded["valid"], "{case}");
    assert_eq!(ours["error_count"], recorded["error_count"], "{case}");
    let (ours, theirs) = (comparable(&ours), comparable(&recorded));
    for (o, t) in ours.iter().zip(&theirs) {
        assert_eq!(o, t, "{case}");
    }
    assert_eq!(ours.len(), theirs.len(), "{case}");
}

#[test]
fn undeclared_and_misplaced_references_agree_with_terraform() {
    agrees_with_terraform("references", 11);
}

#[test]
fn duplicate_declarations_agree_with_terraform() {
    agrees_with_terraform("duplicates", 6);
}

#[test]
fn count_beside_for_each_agrees_with_terraform() {
    agrees_with_terraform("count_and_for_each", 1);
}

#[test]
fn unknown_blocks_labels_and_arguments_agree_with_terraform() {
    agrees_with_terraform("shapes", 8);
}

#[test]
fn outputs_a_local_module_lacks_agree_with_terraform() {
    agrees_with_terraform("module_outputs", 1);
}

#[test]
fn module_outputs_need_the_module_directory() {
    let dir = fixtures().join("module_outputs");
    let files = infrarag::terraform::read_files(&dir).expect("reads");
    assert!(Validator::new().check(&files).ok());
    assert!(!Validator::new().execute(&dir).expect("validates").ok());
}

#[test]
fn a_valid_module_agrees_with_terraform() {
    agrees_with_terraform("valid", 0);
}

#[test]
fn suggestions_come_with_fixes_that_terraform_would_accept() {
    let dir = fixtures().join("references");
    let report = Validator::new().execute(&dir).expect("validates");
    let fixes: Vec<(&str, &str)> = report
        .findings
        .iter()
        .filter_map(|f| Some((f.code.as_str(), f.fix.as_ref()?.replacement.as_str())))
        .collect();
    assert_eq!(
        fixes,
        [
            ("undeclared_variable", "var.name"),
            ("undeclared_local", "local.tags"),
            ("undeclared_module", "module.network.id"),
        ]
    );
    // Applying every fix leaves only the findings that had none.
    let text = std::fs::read_to_string(dir.join("main.tf")).expect("fixture");
    let mut fixed = text.clone();
    let mut edits: Vec<_> = report
        .findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .collect();
    edits.sort_by_key(|f| std::cmp::Reverse(f.span.start.byte));
    for fix in edits {
        fixed.replace_range(fix.span.bytes(), &fix.replacement);
    }
    let file = infrarag::terraform::SourceFile::new("main.tf", fixed);
    let again = Validator::new().check(&[file]);
    assert_eq!(again.error_count(), report.error_count() - 3);
    assert!(again.findings.iter().all(|f| f.fix.is_none()));
}

#[test]
fn check_selection_keeps_and_skips_by_code_prefix() {
    let dir = fixtures().join("references");
    let only = Validator::new()
        .with_checks(["undeclared_"])
        .execute(&dir)
        .expect("validates");
    assert_eq!(only.findings.len(), 8);
    let skipped = Validator::new()
        .skip_checks(["undeclared_resource", "self_", "terraform_"])
        .execute(&dir)
        .expect("validates");
    assert_eq!(skipped.findings.len(), 11 - 3);
}

#[test]
fn the_corpus_modules_have_no_reference_or_structure_errors() {
    let dirs = infrarag_tests::module_dirs(&infrarag_tests::corpus().join("modules"));
    assert!(dirs.len() > 20, "found {} modules", dirs.len());
    let mut wrong = Vec::new();
    for dir in &dirs {
        // Not a module: the generator of the security-group submodules
        // copies it beside an `auto_values.tf` declaring its `auto_*`
        // variables (see the test below).
        if dir.ends_with("_templates") {
            continue;
        }
        let report = Validator::new()
            // Schema findings have their own oracle: tests/provider_schemas.rs.
            .skip_checks(["syntax.", "terraform_", "CKV_", "CKV2_", "schema."])
            .execute(dir)
            .expect("validates");
        for f in report.findings {
            wrong.push(format!(
                "{}/{}:{}: {} ({})",
                dir.display(),
                f.file.display(),
                f.span.start.line,
                f.detail,
                f.code
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_security_group_template_lacks_only_its_generated_variables() {
    let dir = infrarag_tests::corpus().join("modules/sg/modules/_templates");
    // Security verdicts on the templates are the checkov conformance
    // tests' business.
    let report = Validator::new()
        .skip_checks(["terraform_", "CKV_", "CKV2_"])
        .execute(&dir)
        .expect("validates");
    assert_eq!(report.findings.len(), 12);
    for f in &report.findings {
        assert_eq!(f.code, "undeclared_variable");
        assert!(f.detail.contains("name \"auto_"), "{}", f.detail);
    }
    // Each generated submodule declares them in its auto_values.tf. (Its
    // security verdicts are the called module's, judged elsewhere.)
    let generated = Validator::new()
        .skip_checks(["terraform_", "CKV_", "CKV2_"])
        .execute(dir.with_file_name("ssh"))
        .expect("validates");
    assert!(generated.findings.is_empty());
}

#[test]
fn lint_rules_find_each_planted_violation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint");
    // The security policies have their own tests.
    let report = Validator::new()
        .skip_checks(["CKV_", "CKV2_"])
        .execute(&dir)
        .expect("validates");
    let found: Vec<(&str, usize, usize)> = report
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.span.start.line, f.span.start.column))
        .collect();
    // Read off the fixture by hand: each rule's violation, where it is.
    assert_eq!(
        found,
        [
            ("terraform_comment_syntax", 1, 1),
            ("terraform_required_version", 2, 1),
            ("terraform_naming_convention", 10, 1),
            ("terraform_documented_variables", 10, 1),
            ("terraform_typed_variables", 10, 1),
            ("terraform_unused_declarations", 10, 1),
            ("terraform_unused_declarations", 18, 3),
            ("terraform_map_duplicate_keys", 21, 5),
            ("terraform_unused_declarations", 25, 1),
            ("terraform_required_providers", 25, 1),
            ("terraform_deprecated_interpolation", 28, 12),
            ("terraform_empty_list_equality", 30, 12),
            ("terraform_module_pinned_source", 34, 12),
            ("terraform_module_pinned_source", 42, 12),
            ("terraform_documented_outputs", 45, 1),
            ("terraform_deprecated_index", 46, 29),
            ("terraform_deprecated_index", 50, 35),
        ]
    );
    assert!(report.ok(), "lint findings are warnings");
    assert_eq!(report.warning_count(), 17);
}

/// The corpus modules pass the lint discipline terraform-aws-modules keep,
/// except where the text itself shows otherwise: every unused declaration
/// reported is named nowhere else in its module's files, and every
/// deprecated index is a `.*` or `.0` as written.
#[test]
fn lint_on_the_corpus_reports_only_what_the_text_confirms() {
    let dirs = infrarag_tests::module_dirs(&infrarag_tests::corpus().join("modules"));
    let mut unused = 0;
    for dir in &dirs {
        let report = Validator::new()
            .with_checks(["terraform_"])
            .execute(dir)
            .expect("validates");
        let texts: Vec<(PathBuf, String)> = report
            .files
            .iter()
            .map(|f| {
                (
                    f.clone(),
                    std::fs::read_to_string(dir.join(f)).expect("text"),
                )
            })
            .collect();
        for f in &report.findings {
            let (_, text) = texts.iter().find(|(p, _)| p == &f.file).expect("file");
            let written = &text[f.span.bytes()];
            match f.code.as_str() {
                "terraform_unused_declarations" => {
                    unused += 1;
                    let name = if let Some(rest) = f.summary.strip_prefix("variable \"") {
                        format!("var.{}", rest.split('"').next().unwrap_or_default())
                    } else if let Some(rest) = f.summary.strip_prefix("local.") {
                        format!("local.{}", rest.split(' ').next().unwrap_or_default())
                    } else {
                        let quoted: Vec<&str> = f.summary.split('"').collect();
                        format!("data.{}.{}", quoted[1], quoted[3])
                    };
                    let mentions: usize = texts
                        .iter()
                        .map(|(_, t)| {
                            t.match_indices(&name)
                                .filter(|(i, _)| {
                                    !t[i + name.len()..].starts_with(|c: char| {
                                        c.is_alphanumeric() || c == '_' || c == '-'
                                    })
                                })
                                .count()
                        })
                        .sum();
                    assert_eq!(mentions, 0, "{}: {name} is used", dir.display());
                }
                "terraform_deprecated_index" => {
                    assert!(
                        written == ".*"
                            || written
                                .strip_prefix('.')
                                .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit())),
                        "{}: {written:?}",
                        dir.display()
                    );
                }
                other => panic!("{}: {other} {}", dir.display(), f.summary),
            }
        }
    }
    assert!(
        unused > 0,
        "the security-group submodules declare unused variables"
    );
}

#[test]
fn renderings_carry_every_finding() {
    let dir = fixtures().join("duplicates");
    let report = Validator::new()
        .skip_checks(["terraform_"])
        .execute(&dir)
        .expect("validates");
    assert_eq!(report.error_count(), 6);

    let sarif = render::sarif(&report);
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 6);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    for r in results {
        let i = r["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert_eq!(r["level"], "error");
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().expect("line") >= 1);
        assert_eq!(r["relatedLocations"].as_array().map(Vec::len), Some(1));
    }

    let junit = render::junit(&report);
    assert!(junit.starts_with("<?xml version=\"1.0\""));
    assert_eq!(junit.matches("<failure ").count(), 6);
    // main.tf, more.tf and other.tf: only more.tf is clean.
    assert!(junit.contains("tests=\"7\" failures=\"6\""));
    assert!(junit.contains("Duplicate data &quot;terraform_remote_state&quot; configuration"));

    let text = render::text(&report);
    assert!(text.contains(
        "error[duplicate_variable]: Duplicate variable declaration\n  --> main.tf:2:1\n  |\n2 | variable \"v\" {}\n  | ^^^^^^^^^^^^\n"
    ));
    assert!(text.ends_with("6 error(s), 0 warning(s) in 3 file(s)\n"));

    let json = render::json(&report);
    assert_eq!(json["ok"], false);
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(6));
}

/// Suppressions, checked by hand: checkov's `#checkov:skip=` inside a
/// resource skips that check there; `# infrarag:ignore` above a block
/// silences the codes it names on the next line, and nothing else.
#[test]
fn suppressions_are_honoured_and_reported() {
    let text = r#"resource "aws_db_instance" "skipped" {
  #checkov:skip=CKV_AWS_16:encrypted by the snapshot it restores
  storage_encrypted = false
}

resource "aws_db_instance" "failing" {
  storage_encrypted = false
}

# infrarag:ignore terraform_typed_variables,terraform_documented_variables kept for compatibility
variable "Legacy" {}
"#;
    let file = infrarag::terraform::SourceFile::new("main.tf", text);
    let report = Validator::new()
        .with_checks([
            "CKV_AWS_16",
            "terraform_typed_variables",
            "terraform_documented_variables",
            "terraform_naming_convention",
        ])
        .check(&[file]);
    let outcomes: Vec<(&str, infrarag::validate::policy::Outcome)> = report
        .policies
        .iter()
        .map(|e| (e.address.as_str(), e.outcome))
        .collect();
    use infrarag::validate::policy::Outcome;
    assert_eq!(
        outcomes,
        [
            ("aws_db_instance.skipped", Outcome::Skipped),
            ("aws_db_instance.failing", Outcome::Failed)
        ]
    );
    let found: Vec<(&str, usize)> = report
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.span.start.line))
        .collect();
    assert_eq!(
        found,
        [("CKV_AWS_16", 6), ("terraform_naming_convention", 11)]
    );
    let silenced: Vec<(&str, usize, Option<&str>)> = report
        .suppressed
        .iter()
        .map(|s| {
            (
                s.finding.code.as_str(),
                s.span.start.line,
                s.reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        silenced,
        [
            (
                "CKV_AWS_16",
                2,
                Some("encrypted by the snapshot it restores")
            ),
            (
                "terraform_documented_variables",
                10,
                Some("kept for compatibility")
            ),
            (
                "terraform_typed_variables",
                10,
                Some("kept for compatibility")
            ),
        ]
    );
    let sarif = render::sarif(&report);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 5);
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 3);
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "encrypted by the snapshot it restores"
    );
    assert!(
        render::text(&report).ends_with("1 error(s), 1 warning(s), 3 suppressed in 1 file(s)\n")
    );
}

/// Syntax against `terraform fmt` 1.11.4, whose verdict on every checkov
/// fixture file the corpus records (`generated/syntax-status.json`): a
/// file has a syntax error exactly when fmt rejects it, on fmt's line.
#[test]
fn syntax_errors_are_where_terraform_fmt_finds_them() {
    let root = infrarag_tests::corpus().join("checkov");
    let status: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("generated/syntax-status.json")).expect("status"),
    )
    .expect("JSON");
    let mut rejected = 0;
    for (file, verdict) in status.as_object().expect("object") {
        let text = std::fs::read_to_string(root.join(file)).expect("fixture");
        let report = Validator::new()
            .with_checks(["syntax."])
            .check(&[infrarag::terraform::SourceFile::new(file.as_str(), text)]);
        let first_error = report
            .findings
            .iter()
            .find(|f| f.severity == infrarag::hcl::Severity::Error);
        let fmt = &verdict["terraform_fmt_1.11.4"];
        match (fmt.as_str(), first_error) {
            (Some("ok"), None) => {}
            (Some("ok"), Some(f)) => panic!("{file}: fmt accepts it, we report {f:?}"),
            (_, None) => panic!("{file}: fmt rejects it ({fmt}), we report nothing"),
            (_, Some(f)) => {
                rejected += 1;
                assert_eq!(
                    Some(f.span.start.line as u64),
                    fmt["line"].as_u64(),
                    "{file}: {f:?}"
                );
            }
        }
    }
    assert_eq!(
        rejected, 3,
        "CKV_AWS_1, CKV_AWS_21 and CKV_AWS_49 have fmt errors"
    );
}

/// Parsed directories are reused only while their files are unchanged: an
/// edited, added or removed file is read again.
#[test]
fn a_changed_module_is_validated_again() {
    let dir = std::env::temp_dir().join(format!("infrarag-recheck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let undeclared = |dir: &Path| {
        Validator::new()
            .with_checks(["undeclared_variable"])
            .execute(dir)
            .expect("validates")
            .findings
            .len()
    };
    std::fs::write(dir.join("main.tf"), "output \"a\" {\n  value = var.a\n}\n").expect("write");
    assert_eq!(undeclared(&dir), 1);
    assert_eq!(undeclared(&dir), 1, "unchanged, read from the cache");
    std::fs::write(dir.join("vars.tf"), "variable \"a\" {}\n").expect("write");
    assert_eq!(undeclared(&dir), 0, "a new file is read");
    std::fs::write(dir.join("main.tf"), "output \"a\" {\n  value = var.bb\n}\n").expect("write");
    assert_eq!(undeclared(&dir), 1, "an edited file is read");
    std::fs::remove_file(dir.join("vars.tf")).expect("remove");
    std::fs::write(dir.join("main.tf"), "output \"a\" {\n  value = var.a\n}\n").expect("write");
    assert_eq!(undeclared(&dir), 1, "a removed file is gone");
    std::fs::remove_dir_all(&dir).ok();
}

/// The catalogue of codes `verify_checks` judges names by holds every code
/// the validator reports on the fixtures, the checkov fixtures and the
/// corpus modules, and each rule code is reported somewhere among them.
#[test]
fn every_reported_code_is_in_the_catalogue() {
    let known = Validator::new().codes();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint"));
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schema"));
    let corpus = infrarag_tests::corpus();
    dirs.extend(infrarag_tests::module_dirs(&corpus.join("checkov")));
    dirs.extend(infrarag_tests::module_dirs(&corpus.join("modules")));
    let mut seen = std::collections::BTreeSet::new();
    for dir in &dirs {
        let report = Validator::new().execute(dir).expect("validates");
        seen.extend(report.findings.iter().map(|f| f.code.clone()));
        seen.extend(report.policies.iter().map(|p| p.check.clone()));
    }
    let unknown: Vec<_> = seen.iter().filter(|c| !known.contains(c)).collect();
    assert!(
        unknown.is_empty(),
        "codes missing from the catalogue: {unknown:?}"
    );
    let unseen: Vec<_> = infrarag::validate::RULE_CODES
        .iter()
        .filter(|c| !seen.contains(**c))
        .collect();
    assert!(unseen.is_empty(), "rule codes nothing reports: {unseen:?}");
}

#[test]
fn a_check_name_that_names_nothing_is_refused_with_close_matches() {
    let dir = fixtures().join("references");
    for (validator, argument, near) in [
        (
            Validator::new().with_checks(["CKV_AWS_18", "undeclared_variabel"]),
            "checks",
            "undeclared_variable",
        ),
        (
            Validator::new().skip_checks(["CKV_AWS_999"]),
            "skip_checks",
            "CKV_AWS_99",
        ),
        (
            Validator::new().with_checks(["undeclard_"]),
            "checks",
            "undeclared_",
        ),
    ] {
        let err = validator.execute(&dir).unwrap_err();
        match &err {
            infrarag::Error::InvalidArgument { name, message } => {
                assert_eq!(name, argument);
                assert!(message.contains(near), "{message}");
            }
            other => panic!("{other}"),
        }
    }
    for fine in [
        ["CKV_AWS_"],
        ["syntax."],
        ["terraform_"],
        ["undeclared_variable"],
    ] {
        assert!(Validator::new().with_checks(fine).verify_checks().is_ok());
    }
}

/// `recursive` validates each module directory of a repository apart and
/// reports them as one, paths relative to the root: the same findings and
/// verdicts as validating each directory alone. `.terraform` and hidden
/// directories are not walked.
#[test]
fn a_repository_is_validated_module_by_module() {
    let root = infrarag_tests::corpus().join("modules/s3");
    let all = Validator::new()
        .recursive(true)
        .execute(&root)
        .expect("validates");
    let dirs = infrarag_tests::module_dirs(&root);
    assert!(dirs.len() > 5, "{} module directories", dirs.len());
    let (mut files, mut findings, mut verdicts) = (Vec::new(), Vec::new(), Vec::new());
    for dir in &dirs {
        let alone = Validator::new().execute(dir).expect("validates");
        let at = dir.strip_prefix(&root).expect("under the root");
        files.extend(alone.files.iter().map(|f| at.join(f)));
        findings.extend(
            alone
                .findings
                .iter()
                .map(|f| (at.join(&f.file), f.span.start.line, f.code.clone())),
        );
        verdicts.extend(alone.policies.iter().map(|e| {
            (
                at.join(&e.file),
                e.address.clone(),
                e.check.clone(),
                e.outcome,
            )
        }));
    }
    assert_eq!(all.files, files);
    let ours: Vec<_> = all
        .findings
        .iter()
        .map(|f| (f.file.clone(), f.span.start.line, f.code.clone()))
        .collect();
    assert_eq!(ours, findings);
    let ours: Vec<_> = all
        .policies
        .iter()
        .map(|e| {
            (
                e.file.clone(),
                e.address.clone(),
                e.check.clone(),
                e.outcome,
            )
        })
        .collect();
    assert_eq!(ours, verdicts);
    assert!(all.findings.iter().any(|f| f.file.starts_with("examples")));
    // One SARIF run holds every finding, each with its source line.
    let sarif = render::sarif(&all);
    assert_eq!(sarif["runs"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(all.findings.len())
    );
    let text = render::text(&all);
    assert!(
        text.contains("--> examples/"),
        "{}",
        &text[..text.len().min(2000)]
    );

    let dir = std::env::temp_dir().join(format!("infrarag-recursive-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let broken = "output \"x\" {\n  value = var.missing\n}\n";
    for sub in ["", "modules/net", ".terraform/modules/x", ".hidden"] {
        std::fs::create_dir_all(dir.join(sub)).expect("directory");
        std::fs::write(dir.join(sub).join("main.tf"), broken).expect("file");
    }
    let report = Validator::new()
        .recursive(true)
        .with_checks(["undeclared_"])
        .execute(&dir)
        .expect("validates");
    let found: Vec<_> = report.findings.iter().map(|f| f.file.clone()).collect();
    assert_eq!(
        found,
        [
            PathBuf::from("main.tf"),
            PathBuf::from("modules/net/main.tf")
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Recursive validations of several repositories at once, from threads of
/// their own: each walks its modules on rayon's pool while the others do,
/// which once deadlocked on the parsed-file cache (it parsed under its
/// lock). A watchdog turns a hang into a failure.
#[test]
fn concurrent_recursive_validations_do_not_deadlock() {
    let root = infrarag_tests::corpus().join("modules");
    let repos: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("modules")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    assert!(repos.len() >= 6);
    let (done, finished) = std::sync::mpsc::channel();
    for repo in repos.clone() {
        let done = done.clone();
        std::thread::spawn(move || {
            let report = Validator::new().recursive(true).execute(&repo);
            let _ = done.send(report.map(|r| r.files.len()));
        });
    }
    for _ in &repos {
        let files = finished
            .recv_timeout(std::time::Duration::from_secs(600))
            .expect("a recursive validation hung")
            .expect("validates");
        assert!(files > 0);
    }
}

/// A block of more instances than `MAX_INSTANCES` is judged once, as
/// written, by the same policies that judge each of a few instances:
/// validating `count = 1000000` must not exhaust the process.
#[test]
fn a_block_of_a_million_instances_is_judged_once_as_written() {
    let codes = |count: &str| {
        let text = format!(
            "resource \"aws_s3_bucket\" \"b\" {{\n  count  = {count}\n  bucket = \"b${{count.index}}\"\n}}\n"
        );
        let report = Validator::new().execute_files([("main.tf", text)]).unwrap();
        let mut by_code = std::collections::BTreeMap::<String, usize>::new();
        for f in report.findings.iter().filter(|f| f.code.starts_with("CKV")) {
            *by_code.entry(f.code.clone()).or_default() += 1;
        }
        by_code
    };
    let three = codes("3");
    let million = codes("1000000");
    assert!(!three.is_empty());
    assert!(three.values().all(|&n| n == 3), "{three:?}");
    assert!(million.values().all(|&n| n == 1), "{million:?}");
    assert_eq!(
        three.keys().collect::<Vec<_>>(),
        million.keys().collect::<Vec<_>>()
    );
}
