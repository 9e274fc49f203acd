//! python-hcl2 7.3.1 conformance: every fixture, probe and module file of
//! ../shared/corpus/python-hcl2 must give the same dict as python-hcl2.

use infrarag::hcl::{loads, Dialect, LoadsOptions};
use infrarag_tests::{corpus, files_with_ext, first_difference, py_eq, read_json};
use serde_json::Value;

fn v7(meta: bool) -> LoadsOptions {
    LoadsOptions::new(Dialect::V7).with_meta(meta)
}

/// Cases where we deliberately differ, with the reason; see
/// tests/KNOWN_DIFFERENCES.md.
const KNOWN_PROBE_DIFFERENCES: &[&str] = &[
    // python-hcl2 7.3.1 rejects CRLF line endings; we accept them.
    "crlf",
];

#[test]
fn upstream_v7_fixtures() {
    let root = corpus();
    let dir = root.join("python-hcl2/v7");
    let mut failures = Vec::new();
    let inputs = std::fs::read_dir(dir.join("terraform-config")).expect("v7 inputs");
    let mut count = 0;
    for entry in inputs.flatten() {
        let path = entry.path();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let expected = read_json(
            &dir.join("terraform-config-json")
                .join(format!("{stem}.json")),
        );
        let text = std::fs::read_to_string(&path).unwrap();
        count += 1;
        match loads(&text, &v7(false)) {
            Ok(ours) if py_eq(&ours, &expected) => {}
            Ok(ours) => failures.push(format!(
                "{stem}: {}",
                first_difference(&ours, &expected, "").unwrap_or_default()
            )),
            Err(e) => failures.push(format!("{stem}: error {e}")),
        }
    }
    assert_eq!(count, 21, "expected 21 v7 fixtures");
    let text = std::fs::read_to_string(dir.join("with-meta/data_sources.tf")).unwrap();
    let expected = read_json(&dir.join("with-meta/data_sources.json"));
    let ours = loads(&text, &v7(true)).expect("with-meta fixture parses");
    if !py_eq(&ours, &expected) {
        failures.push(format!(
            "with-meta: {:?}",
            first_difference(&ours, &expected, "")
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of 22 differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn probes_v7_default_and_with_meta() {
    let root = corpus();
    let probes = root.join("python-hcl2/generated/probes");
    let cases = read_json(&probes.join("cases.json"));
    let mut failures = Vec::new();
    for (mode, meta) in [("default", false), ("with_meta", true)] {
        let outputs = read_json(&probes.join(format!("python-hcl2-7.3.1.{mode}.json")));
        for (name, text) in cases.as_object().unwrap() {
            if KNOWN_PROBE_DIFFERENCES.contains(&name.as_str()) {
                continue;
            }
            let expected = &outputs["cases"][name];
            let ours = loads(text.as_str().unwrap(), &v7(meta));
            let ok = expected["ok"].as_bool().unwrap();
            match (ok, ours) {
                (true, Ok(v)) if py_eq(&v, &expected["result"]) => {}
                (true, Ok(v)) => failures.push(format!(
                    "{mode}/{name}: {}",
                    first_difference(&v, &expected["result"], "").unwrap_or_default()
                )),
                (true, Err(e)) => failures.push(format!("{mode}/{name}: we raised {e}")),
                (false, Ok(v)) => failures.push(format!(
                    "{mode}/{name}: python-hcl2 raised {}, we returned {v}",
                    expected["error"]
                )),
                (false, Err(_)) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} probes differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn all_module_files_with_meta() {
    let root = corpus();
    let expected_root = root.join("python-hcl2/generated/modules-v7-with_meta");
    let files = files_with_ext(&expected_root, ".tf.json");
    assert_eq!(files.len(), 1004, "expected 1004 module outputs");
    let mut failures = Vec::new();
    for exp_path in &files {
        let rel = exp_path.strip_prefix(&expected_root).unwrap();
        let rel = rel.to_string_lossy();
        let src = root.join("modules").join(rel.trim_end_matches(".json"));
        let text = std::fs::read_to_string(&src).unwrap();
        let expected: Value = read_json(exp_path);
        match loads(&text, &v7(true)) {
            Ok(v) if py_eq(&v, &expected) => {}
            Ok(v) => failures.push(format!(
                "{rel}: {}",
                first_difference(&v, &expected, "").unwrap_or_default()
            )),
            Err(e) => failures.push(format!("{rel}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} module files differ:\n{}",
        failures.len(),
        files.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
