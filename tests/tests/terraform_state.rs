//! Terraform state, plans and plan streams read against Terraform's own
//! output: every fixture of `../shared/corpus/drift`, and a project applied
//! here by Terraform, whose state file and `show -json` must agree. No
//! sensitive value survives reading.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use infrarag::terraform::state::{Action, Plan, PlanMessage, State, StateFormat, SENSITIVE};
use infrarag::Error;
use infrarag_tests::{read_json, scratch};
use serde_json::Value;

fn drift() -> PathBuf {
    infrarag_tests::corpus().join("drift")
}

/// Each instance's address and dependencies, by address.
fn instances(state: &State) -> BTreeMap<String, Vec<String>> {
    state
        .instances
        .iter()
        .filter(|i| i.deposed.is_none())
        .map(|i| {
            let mut deps = i.dependencies.clone();
            deps.sort();
            (i.address.clone(), deps)
        })
        .collect()
}

/// The addresses `terraform show -json` lists, walking its modules.
fn shown_addresses(module: &Value, out: &mut BTreeSet<String>) {
    for r in module["resources"].as_array().into_iter().flatten() {
        out.insert(r["address"].as_str().unwrap().to_string());
    }
    for c in module["child_modules"].as_array().into_iter().flatten() {
        shown_addresses(c, out);
    }
}

#[test]
fn every_fixture_reads_as_terraform_wrote_it() {
    let root = drift().join("terraform-json");
    let mut read = 0;
    for case in std::fs::read_dir(&root).unwrap() {
        let case = case.unwrap().path();
        for file in std::fs::read_dir(&case).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if case.ends_with("invalid") {
                let err = if name.starts_with("plan") {
                    Plan::read(&file).unwrap_err()
                } else {
                    State::read(&file).unwrap_err()
                };
                assert_eq!(err.code(), "PARSE_ERROR", "{}", file.display());
                let text = err.to_string();
                assert!(text.starts_with(&file.display().to_string()), "{text}");
                continue;
            }
            let json = read_json(&file);
            if name.starts_with("plan") {
                let plan = Plan::read(&file).unwrap_or_else(|e| panic!("{e}"));
                let want: Vec<&str> = json["resource_changes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| c["address"].as_str().unwrap())
                    .collect();
                let got: Vec<&str> = plan
                    .resource_changes
                    .iter()
                    .map(|c| c.address.as_str())
                    .collect();
                assert_eq!(got, want, "{}", file.display());
                assert_eq!(
                    plan.format_version,
                    json["format_version"].as_str().unwrap()
                );
                if let Some(prior) = &plan.prior_state {
                    let mut want = BTreeSet::new();
                    shown_addresses(&json["prior_state"]["values"]["root_module"], &mut want);
                    let got: BTreeSet<String> = instances(prior).into_keys().collect();
                    assert_eq!(got, want, "{}", file.display());
                }
            } else {
                let state = State::read(&file).unwrap_or_else(|e| panic!("{e}"));
                if name == "terraform.tfstate" {
                    assert_eq!(state.format, StateFormat::File);
                    assert_eq!(state.serial, json["serial"].as_u64());
                    assert_eq!(state.lineage.as_deref(), json["lineage"].as_str());
                    // A state file's instances and their keys, counted in
                    // the JSON itself.
                    let want: usize = json["resources"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["instances"].as_array().unwrap().len())
                        .sum();
                    assert_eq!(state.instances.len(), want, "{}", file.display());
                } else {
                    assert_eq!(state.format, StateFormat::Show);
                    let mut want = BTreeSet::new();
                    shown_addresses(&json["values"]["root_module"], &mut want);
                    let got: BTreeSet<String> = instances(&state).into_keys().collect();
                    assert_eq!(got, want, "{}", file.display());
                }
            }
            read += 1;
        }
    }
    assert!(read >= 30, "{read} fixtures read");
}

/// State files and `show -json` of the same state name the same instances
/// with the same dependencies: the addresses this library builds from a
/// state file are the ones Terraform prints.
#[test]
fn a_state_file_and_its_show_json_agree() {
    let pairs = [
        (
            "terraform-json/110_sensitive_values",
            "terraform.tfstate",
            "state.json",
        ),
        (
            "generated/terraform_data/step1",
            "terraform.tfstate",
            "show-json-state.json",
        ),
        (
            "generated/terraform_data/step2",
            "terraform.tfstate",
            "show-json-state.json",
        ),
    ];
    for (dir, file, shown) in pairs {
        let dir = drift().join(dir);
        let file = State::read(dir.join(file)).unwrap();
        let shown = State::read(dir.join(shown)).unwrap();
        assert_eq!(
            instances(&file).keys().collect::<Vec<_>>(),
            instances(&shown).keys().collect::<Vec<_>>(),
            "{}",
            dir.display()
        );
        assert_eq!(
            file.outputs.keys().collect::<Vec<_>>(),
            shown.outputs.keys().collect::<Vec<_>>()
        );
    }
}

/// The plan and the message stream of the same `terraform plan` say the
/// same: each streamed change is a planned resource change with matching
/// actions, and the summary counts them.
#[test]
fn a_plan_and_its_message_stream_agree() {
    let step2 = drift().join("generated/terraform_data/step2");
    let plan = Plan::read(step2.join("show-json-tfplan.json")).unwrap();
    let messages = PlanMessage::read_stream(step2.join("plan-json.jsonl")).unwrap();
    let by_address: BTreeMap<&str, _> = plan
        .resource_changes
        .iter()
        .map(|c| (c.address.as_str(), c))
        .collect();
    let (mut add, mut change, mut remove) = (0, 0, 0);
    let mut streamed = 0;
    for m in &messages {
        match m {
            PlanMessage::PlannedChange(c) => {
                streamed += 1;
                let planned = by_address[c.address.as_str()];
                let actions = &planned.change.actions;
                match c.action.as_str() {
                    "create" => assert_eq!(actions, &[Action::Create]),
                    "update" => assert_eq!(actions, &[Action::Update]),
                    "delete" => assert_eq!(actions, &[Action::Delete]),
                    "replace" => assert!(planned.change.is_replace(), "{actions:?}"),
                    other => panic!("{other}"),
                }
                assert_eq!(c.previous_address, planned.previous_address);
                assert_eq!(c.reason.is_some(), planned.action_reason.is_some());
                add += usize::from(actions.contains(&Action::Create));
                change += usize::from(actions == &[Action::Update]);
                remove += usize::from(actions.contains(&Action::Delete));
            }
            PlanMessage::ChangeSummary {
                add: a,
                change: c,
                remove: r,
                operation,
                ..
            } => {
                assert_eq!(operation, "plan");
                assert_eq!((*a, *c, *r), (add as u64, change as u64, remove as u64));
            }
            _ => {}
        }
    }
    let changing = plan
        .resource_changes
        .iter()
        .filter(|c| c.change.actions != [Action::NoOp])
        .count();
    assert_eq!(streamed, changing);
    assert!(matches!(messages[0], PlanMessage::Version { .. }));
    assert_eq!(
        plan.resource_changes
            .iter()
            .find(|c| c.previous_address.as_deref() == Some("terraform_data.release"))
            .map(|c| c.address.as_str()),
        Some("terraform_data.app_release")
    );
}

/// The step-1 and step-2 secrets of the generated project, and the
/// terraform-json fixture's.
const SECRETS: [&str; 2] = ["s3cr3t-step1", "s3cr3t-step2"];

#[test]
fn sensitive_values_never_come_out() {
    let g = drift().join("generated/terraform_data");
    let mut outputs = Vec::new();
    for path in [
        g.join("step1/terraform.tfstate"),
        g.join("step1/show-json-state.json"),
        g.join("step2/terraform.tfstate"),
    ] {
        let state = State::read(&path).unwrap();
        assert!(state.outputs["db_password"].sensitive);
        assert_eq!(state.outputs["db_password"].value, SENSITIVE);
        outputs.push(serde_json::to_string(&state).unwrap());
    }
    let plan = Plan::read(g.join("step2/show-json-tfplan.json")).unwrap();
    assert_eq!(plan.output_changes["db_password"].before, SENSITIVE);
    assert_eq!(plan.output_changes["db_password"].after, SENSITIVE);
    outputs.push(serde_json::to_string(&plan).unwrap());
    outputs.push(
        serde_json::to_string(&PlanMessage::read_stream(g.join("step2/plan-json.jsonl")).unwrap())
            .unwrap(),
    );
    for (i, text) in outputs.iter().enumerate() {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{i}: {secret} came out");
        }
    }
}

/// A project applied by Terraform here: nested sensitive attributes,
/// `count`, `for_each` and a child module. The state file's instances,
/// attributes and sensitive paths are what `terraform show -json` says.
#[test]
fn state_written_by_terraform_reads_as_show_json_shows_it() {
    let dir = scratch("tfstate", "sensitive");
    std::fs::create_dir_all(dir.join("child")).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        r#"variable "password" {
  type      = string
  sensitive = true
  default   = "hunter2-oracle"
}

resource "terraform_data" "db" {
  input = { user = "admin", password = var.password, ports = [5432, 5433] }
}

resource "terraform_data" "node" {
  count = 2
  input = "node-${count.index}"
}

resource "terraform_data" "svc" {
  for_each   = toset(["api", "web"])
  input      = each.key
  depends_on = [terraform_data.db]
}

module "child" {
  source = "./child"
  secret = var.password
}

output "password" {
  value     = var.password
  sensitive = true
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("child/main.tf"),
        r#"variable "secret" {
  type      = string
  sensitive = true
}

resource "terraform_data" "inner" {
  input = { token = var.secret }
}
"#,
    )
    .unwrap();
    infrarag_tests::terraform(&dir, &["init", "-input=false", "-no-color"]);
    infrarag_tests::terraform(
        &dir,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    let shown = infrarag_tests::terraform(&dir, &["show", "-json"]);
    std::fs::write(dir.join("show.json"), &shown).unwrap();

    let file = State::read(dir.join("terraform.tfstate")).unwrap();
    let show = State::read(dir.join("show.json")).unwrap();
    let json: Value = serde_json::from_slice(&shown).unwrap();
    let mut want = BTreeSet::new();
    shown_addresses(&json["values"]["root_module"], &mut want);
    assert_eq!(instances(&file).into_keys().collect::<BTreeSet<_>>(), want);
    assert_eq!(instances(&file), instances(&show));
    assert!(
        want.contains("terraform_data.svc[\"web\"]") && want.contains("terraform_data.node[1]")
    );
    assert!(want.contains("module.child.terraform_data.inner"));

    let by_address =
        |s: &State, a: &str| s.instances.iter().find(|i| i.address == a).unwrap().clone();
    let db = by_address(&file, "terraform_data.db");
    assert_eq!(db.sensitive_paths, ["input.password"]);
    assert_eq!(db.attributes["input"]["value"]["password"], SENSITIVE);
    assert_eq!(db.attributes["input"]["value"]["user"], "admin");
    let shown_db = by_address(&show, "terraform_data.db");
    assert_eq!(shown_db.attributes["input"]["password"], SENSITIVE);
    assert_eq!(shown_db.attributes["input"]["ports"][1], 5433);
    assert_eq!(
        by_address(&file, "module.child.terraform_data.inner").attributes["input"]["value"]
            ["token"],
        SENSITIVE
    );
    assert_eq!(file.outputs["password"].value, SENSITIVE);
    for s in [&file, &show] {
        let text = serde_json::to_string(s).unwrap();
        assert!(!text.contains("hunter2-oracle"), "{text}");
    }
}

/// driftctl's state reader's cases: the managed resources it keeps (those
/// of the types it supports, so the types its golden results name) are
/// ours, by type and id, and their string attributes hold what driftctl
/// read (JSON documents compared by value, as driftctl re-encodes them).
/// driftctl recomputes `aws_security_group_rule` ids, so those are counted.
#[test]
fn driftctl_reads_the_resources_we_read() {
    let root = drift().join("driftctl/state-reader");
    let mut cases = 0;
    let mut strings = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let case = entry.unwrap().path();
        let golden = case.join("results.golden.json");
        if !golden.exists() {
            continue;
        }
        let golden = read_json(&golden);
        let golden = golden.as_array().unwrap();
        let state = State::read(case.join("terraform.tfstate")).unwrap();
        let types: BTreeSet<&str> = golden.iter().map(|r| r["Type"].as_str().unwrap()).collect();
        let ours: Vec<&infrarag::terraform::state::Instance> = state
            .instances
            .iter()
            .filter(|i| {
                i.mode == infrarag::terraform::state::Mode::Managed
                    && types.contains(i.resource_type.as_str())
            })
            .collect();
        let key = |t: &str, id: &str| {
            if t == "aws_security_group_rule" {
                (t.to_string(), String::new())
            } else {
                (t.to_string(), id.to_string())
            }
        };
        let mut mine: Vec<(String, String)> = ours
            .iter()
            .map(|i| {
                key(
                    &i.resource_type,
                    i.attributes["id"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        let mut theirs: Vec<(String, String)> = golden
            .iter()
            .map(|r| key(r["Type"].as_str().unwrap(), r["Id"].as_str().unwrap()))
            .collect();
        mine.sort();
        theirs.sort();
        assert_eq!(mine, theirs, "{}", case.display());
        for r in golden {
            let Some(i) = ours
                .iter()
                .find(|i| i.attributes["id"] == r["Id"] && i.resource_type == r["Type"])
            else {
                continue;
            };
            for (name, want) in r["Attrs"].as_object().unwrap() {
                let (Some(want), Some(have)) = (want.as_str(), i.attributes[name].as_str()) else {
                    continue;
                };
                if want.is_empty() {
                    continue;
                }
                let document = |t: &str| serde_json::from_str::<Value>(t).ok();
                let same = want == have
                    || matches!((document(want), document(have)), (Some(a), Some(b)) if a == b && a.is_object());
                assert!(
                    same,
                    "{} {}.{name}: {have:?} vs {want:?}",
                    case.display(),
                    i.address
                );
                strings += 1;
            }
        }
        cases += 1;
    }
    assert_eq!(cases, 23);
    assert!(strings > 400, "{strings}");
    // driftctl's v4 fixtures: the valid one reads, the truncated one is a
    // parse error naming its file.
    let v4 = drift().join("driftctl/v4");
    let valid = State::read(v4.join("valid.tfstate")).unwrap();
    assert_eq!(valid.format, StateFormat::File);
    let invalid = State::read(v4.join("invalid.tfstate")).unwrap_err();
    assert_eq!(invalid.code(), "PARSE_ERROR");
    assert!(invalid.to_string().contains("invalid.tfstate"), "{invalid}");
}

/// Every `.tfstate` of the corpus (and a `show -json` state) streamed
/// gives what reading it whole gives: the same instances in the same
/// order, masked alike, and the same outputs and header.
#[test]
fn a_streamed_state_is_the_state_read_whole() {
    let mut files = infrarag_tests::files_with_ext(&drift(), "tfstate");
    files.push(drift().join("generated/terraform_data/step1/show-json-state.json"));
    let mut compared = 0;
    for file in files {
        let Ok(whole) = State::read(&file) else {
            assert!(
                State::stream(&file, |_| Ok(())).is_err(),
                "{}",
                file.display()
            );
            continue;
        };
        let mut streamed = Vec::new();
        let rest = State::stream(&file, |i| {
            streamed.push(i);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(streamed, whole.instances, "{}", file.display());
        assert_eq!(
            (&rest.outputs, &rest.serial, &rest.lineage, &rest.format),
            (&whole.outputs, &whole.serial, &whole.lineage, &whole.format),
            "{}",
            file.display()
        );
        assert!(rest.instances.is_empty());
        compared += 1;
    }
    assert!(compared >= 30, "{compared} states compared");
}

#[test]
fn bad_input_is_refused_naming_file_place_and_version() {
    let dir = scratch("tfstate", "bad");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let state =
        std::fs::read_to_string(drift().join("generated/terraform_data/step1/terraform.tfstate"))
            .unwrap();

    let truncated = write("truncated.tfstate", &state[..state.len() / 2]);
    let err = State::read(&truncated).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.code(), "PARSE_ERROR");
    assert!(
        text.starts_with(&format!("{}:", truncated.display())),
        "{text}"
    );
    assert!(text.contains("invalid JSON"), "{text}");

    let v3 = write(
        "v3.tfstate",
        r#"{"version": 3, "terraform_version": "0.11.14", "serial": 1, "modules": []}"#,
    );
    let text = State::read(&v3).unwrap_err().to_string();
    assert!(
        text.contains("state format version 3 is not read"),
        "{text}"
    );

    let newer = write(
        "plan.json",
        r#"{"format_version": "2.0", "resource_changes": []}"#,
    );
    let text = Plan::read(&newer).unwrap_err().to_string();
    assert!(
        text.contains("format_version 2.0 is newer than the 1.x"),
        "{text}"
    );

    // Valid JSON of the wrong shape: the JSON path and the line say where.
    let wrong = state.replacen("\"schema_version\": 0", "\"schema_version\": \"zero\"", 1);
    assert_ne!(wrong, state);
    let bad = write("wrong.tfstate", &wrong);
    let line = wrong.lines().position(|l| l.contains("\"zero\"")).unwrap() + 1;
    let text = State::read(&bad).unwrap_err().to_string();
    assert!(
        text.contains("at `resources[0].instances[0].schema_version`"),
        "{text}"
    );
    assert!(
        text.starts_with(&format!("{}:{line}:", bad.display())),
        "{text}"
    );
    // Streamed, the same errors say the same.
    let streamed = State::stream(&bad, |_| Ok(())).unwrap_err().to_string();
    assert!(
        streamed.contains("at `resources[0].instances[0].schema_version`"),
        "{streamed}"
    );
    assert!(
        streamed.starts_with(&format!("{}:{line}:", bad.display())),
        "{streamed}"
    );
    let streamed = State::stream(&truncated, |_| Ok(())).unwrap_err();
    assert_eq!(streamed.code(), "PARSE_ERROR");
    assert!(streamed.to_string().contains("invalid JSON"), "{streamed}");
    let streamed = State::stream(&v3, |_| Ok(())).unwrap_err().to_string();
    assert!(
        streamed.contains("state format version 3 is not read"),
        "{streamed}"
    );
    // What the caller's function fails with stops the reading and comes back.
    let step1 = drift().join("generated/terraform_data/step1/terraform.tfstate");
    let mut seen = 0;
    let stopped = State::stream(&step1, |_| {
        seen += 1;
        Err(infrarag::Error::Cancelled)
    })
    .unwrap_err();
    assert!(matches!(stopped, infrarag::Error::Cancelled));
    assert_eq!(seen, 1);

    // A stream's bad line is named by its line in the file.
    let stream = write(
        "plan.jsonl",
        "{\"type\":\"version\",\"terraform\":\"1.11.4\",\"ui\":\"1.2\"}\n{\"type\": \n",
    );
    let text = PlanMessage::read_stream(&stream).unwrap_err().to_string();
    assert!(
        text.starts_with(&format!("{}:2:", stream.display())),
        "{text}"
    );

    assert!(matches!(
        State::read(dir.join("missing.tfstate")),
        Err(Error::Io { .. })
    ));
}
