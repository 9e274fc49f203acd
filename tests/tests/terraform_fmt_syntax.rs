//! Differential test against Terraform's own HCL parser: on every input of
//! ../shared/corpus that carries a `terraform fmt` verdict, our "has syntax
//! errors" verdict must equal Terraform's.

use std::path::{Path, PathBuf};

use infrarag::hcl;
use infrarag_tests::{corpus, read_json};
use serde_json::Value;

const VERDICT: &str = "terraform_fmt_1.11.4";

/// One input and whether `terraform fmt -` rejected it.
struct Case {
    path: PathBuf,
    terraform_rejects: bool,
}

fn cases_from(index: &Path, files: &Value, base: &Path) -> Vec<Case> {
    files
        .as_object()
        .unwrap_or_else(|| panic!("{}: no file map", index.display()))
        .iter()
        .filter_map(|(name, status)| {
            let verdict = status.get(VERDICT)?;
            Some(Case {
                path: base.join(name),
                terraform_rejects: verdict != "ok",
            })
        })
        .collect()
}

fn all_cases() -> Vec<Case> {
    let root = corpus();
    let mut cases = Vec::new();
    for (index, base) in [
        (
            "tree-sitter-hcl/generated/parse-status.json",
            "tree-sitter-hcl/example",
        ),
        ("python-hcl2/generated/syntax-status.json", "python-hcl2"),
        ("checkov/generated/syntax-status.json", "checkov"),
    ] {
        let doc = read_json(&root.join(index));
        let files = doc.get("files").unwrap_or(&doc);
        cases.extend(cases_from(&root.join(index), files, &root.join(base)));
    }
    let spec = read_json(&root.join("hcl-specsuite/expectations.json"));
    for case in spec["cases"].as_object().expect("specsuite cases").values() {
        let (Some(input), Some(verdict)) = (case["input"].as_str(), case.get(VERDICT)) else {
            continue;
        };
        cases.push(Case {
            path: root.join("hcl-specsuite/specsuite/tests").join(input),
            terraform_rejects: verdict != "ok",
        });
    }
    cases
}

/// `terraform fmt -` reads native syntax whatever the file is called.
fn we_reject(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match hcl::parse_bytes(&bytes, hcl::Syntax::Native, Some(path)) {
        Ok(parsed) => parsed.diagnostics.iter().any(|d| d.is_error()),
        Err(_) => true,
    }
}

#[test]
fn syntax_verdicts_equal_terraform_fmt() {
    let cases = all_cases();
    assert!(cases.len() > 2000, "only {} cases found", cases.len());
    let disagreements: Vec<String> = cases
        .iter()
        .filter(|c| we_reject(&c.path) != c.terraform_rejects)
        .map(|c| {
            format!(
                "{} (terraform {})",
                c.path.display(),
                if c.terraform_rejects {
                    "rejects"
                } else {
                    "accepts"
                }
            )
        })
        .collect();
    let agree = cases.len() - disagreements.len();
    println!("terraform fmt agreement: {agree}/{}", cases.len());
    assert!(
        disagreements.is_empty(),
        "{agree}/{} agree; disagreements:\n{}",
        cases.len(),
        disagreements.join("\n")
    );
}
