//! python-hcl2 8.1.4 conformance (default options): the upstream fixtures
//! and the probe snippets of ../shared/corpus/python-hcl2 give the same dict.

use std::path::Path;

use infrarag::hcl::{loads, Dialect, LoadsOptions};
use infrarag_tests::{corpus, first_difference, py_eq, read_json};

fn v8() -> LoadsOptions {
    LoadsOptions::new(Dialect::V8)
}

/// Lines of the fixtures that python-hcl2 8.1.4 accepts and Terraform
/// rejects, as we do (tests/KNOWN_DIFFERENCES.md): `\"` inside a template
/// directive is no HCL token.
const KNOWN_INVALID_LINES: &[(&str, &str)] = &[("template_directives.tf", "issue_247")];

/// Compares `loads(input)` with an expected JSON file; returns the failure.
fn check(input: &Path, expected: &Path) -> Option<String> {
    let mut text = std::fs::read_to_string(input).unwrap();
    let mut expected = read_json(expected);
    let name = input.file_name().unwrap().to_string_lossy();
    for (file, attribute) in KNOWN_INVALID_LINES {
        if name == *file {
            let line = text
                .lines()
                .find(|l| l.starts_with(attribute))
                .expect("known invalid line present")
                .to_string();
            let err = loads(&line, &v8()).expect_err("Terraform rejects this line");
            assert_eq!(err.code(), "PARSE_ERROR");
            text = text.replace(&format!("{line}\n"), "");
            expected.as_object_mut().unwrap().remove(*attribute);
        }
    }
    match loads(&text, &v8()) {
        Ok(ours) if py_eq(&ours, &expected) => None,
        Ok(ours) => Some(format!(
            "{name}: {}",
            first_difference(&ours, &expected, "").unwrap_or_default()
        )),
        Err(e) => Some(format!("{name}: error {e}")),
    }
}

#[test]
fn upstream_v8_fixtures() {
    let dir = corpus().join("python-hcl2/v8");
    let mut inputs: Vec<_> = std::fs::read_dir(dir.join("hcl2_original"))
        .expect("v8 inputs")
        .flatten()
        .map(|e| e.path())
        .collect();
    inputs.sort();
    assert_eq!(inputs.len(), 10, "expected 10 v8 fixtures");
    let mut failures: Vec<String> = inputs
        .iter()
        .filter_map(|input| {
            let stem = input.file_stem().unwrap().to_string_lossy();
            check(
                input,
                &dir.join("json_serialized").join(format!("{stem}.json")),
            )
        })
        .collect();
    // The specialised fixtures whose expected output uses default options;
    // `operator_precedence` and `heredocs_flattened` need options infrarag
    // does not offer (see tests/KNOWN_DIFFERENCES.md).
    let special = dir.join("specialized");
    for (input, expected) in [
        ("comments.tf", "comments.json"),
        ("heredocs.tf", "heredocs_preserved.json"),
        ("template_directives.tf", "template_directives.json"),
        ("builder_basic.tf", "builder_basic_reparsed.json"),
    ] {
        failures.extend(check(&special.join(input), &special.join(expected)));
    }
    assert!(
        failures.is_empty(),
        "{} of 14 differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn probes_v8_default() {
    let probes = corpus().join("python-hcl2/generated/probes");
    let cases = read_json(&probes.join("cases.json"));
    let outputs = read_json(&probes.join("python-hcl2-8.1.4.default.json"));
    let mut failures = Vec::new();
    let cases = cases.as_object().unwrap();
    assert_eq!(cases.len(), 88, "expected 88 probes");
    for (name, text) in cases {
        let expected = &outputs["cases"][name];
        let ours = loads(text.as_str().unwrap(), &v8());
        match (expected["ok"].as_bool().unwrap(), ours) {
            (true, Ok(v)) if py_eq(&v, &expected["result"]) => {}
            (true, Ok(v)) => failures.push(format!(
                "{name}: {}",
                first_difference(&v, &expected["result"], "").unwrap_or_default()
            )),
            (true, Err(e)) => failures.push(format!("{name}: unexpected error {e}")),
            (false, Ok(v)) => {
                failures.push(format!("{name}: expected {}, got {v}", expected["error"]))
            }
            (false, Err(_)) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 88 probes differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn with_meta_is_refused_for_v8() {
    let err = loads("a = 1", &v8().with_meta(true)).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
}

#[test]
fn exponent_spelling_follows_each_version() {
    // Checked against the released packages: 7.3.1 keeps only a lowercase
    // `e` as text, 8.1.4 keeps both.
    let src = "x = 1E5\ny = 1e5\n";
    let v7 = loads(src, &LoadsOptions::new(Dialect::V7)).unwrap();
    assert_eq!(v7["x"].as_f64(), Some(100000.0));
    assert_eq!(v7["y"], "${1e5}");
    let v8 = loads(src, &v8()).unwrap();
    assert_eq!(v8["x"], "${1E5}");
    assert_eq!(v8["y"], "${1e5}");
}
