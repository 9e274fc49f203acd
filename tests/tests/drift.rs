//! Configuration against state, with Terraform's own plan as the oracle:
//! the generated project's step-2 configuration against its step-1 state
//! must differ exactly where `terraform plan` said it would, and each
//! configuration against the state its apply left must not differ at all.

use std::collections::BTreeSet;
use std::path::PathBuf;

use infrarag::drift::compare_config;
use infrarag::terraform::eval::Inputs;
use infrarag::terraform::state::{Action, Plan, State};

fn generated() -> PathBuf {
    infrarag_tests::corpus().join("drift/generated/terraform_data")
}

#[test]
fn a_configuration_differs_from_state_where_terraform_plans_changes() {
    let g = generated();
    let state = State::read(g.join("step1/terraform.tfstate")).unwrap();
    let plan = Plan::read(g.join("step2/show-json-tfplan.json")).unwrap();
    let drift = compare_config(g.join("step2/config"), &Inputs::default(), &state).unwrap();

    let with = |want: &[Action]| -> BTreeSet<String> {
        plan.resource_changes
            .iter()
            .filter(|c| c.change.actions == want)
            .map(|c| c.address.clone())
            .collect()
    };
    let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
    assert_eq!(set(&drift.missing), with(&[Action::Create]));
    assert_eq!(set(&drift.undeclared), with(&[Action::Delete]));
    // The alert's count reads the services' outputs, which only state
    // knows; the expansion cannot count it, so it is not compared.
    let alert = "module.monitoring.terraform_data.alert[0]";
    assert_eq!(drift.undetermined, [alert]);
    assert!(
        drift
            .diagnostics
            .iter()
            .any(|d| d.contains("\"count\" value depends on resource attributes")),
        "{:?}",
        drift.diagnostics
    );
    let moved: Vec<(String, String)> = plan
        .resource_changes
        .iter()
        .filter_map(|c| Some((c.previous_address.clone()?, c.address.clone())))
        .collect();
    assert_eq!(drift.moved, moved);

    // Every argument the plan changes to a wholly known value is
    // reported, with the plan's before and after; nothing else is.
    let mut want = BTreeSet::new();
    for c in &plan.resource_changes {
        if !(c.change.actions == [Action::Update] || c.change.is_replace()) || c.address == alert {
            continue;
        }
        for attr in ["input", "triggers_replace"] {
            // Compared where the configuration's value is known: wholly,
            // or key by key in an object known in part, as compare_config
            // documents.
            known_plan_changes(
                &c.address,
                attr.to_string(),
                &c.change.before[attr],
                &c.change.after[attr],
                &c.change.after_unknown[attr],
                &mut want,
            );
        }
    }
    let got: BTreeSet<_> = drift
        .changed
        .iter()
        .map(|d| {
            (
                d.address.clone(),
                d.attribute.clone(),
                d.state.to_string(),
                d.config.to_string(),
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

/// The plan's changes of a value at `path` whose after value is known:
/// whole when nothing in it is unknown, else each key of an object.
fn known_plan_changes(
    address: &str,
    path: String,
    before: &serde_json::Value,
    after: &serde_json::Value,
    unknown: &serde_json::Value,
    out: &mut BTreeSet<(String, String, String, String)>,
) {
    if !unknown.to_string().contains("true") {
        if before != after {
            out.insert((
                address.to_string(),
                path,
                before.to_string(),
                after.to_string(),
            ));
        }
        return;
    }
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (key, value) in a {
            if let Some(old) = b.get(key) {
                let u = unknown.get(key).unwrap_or(&serde_json::Value::Null);
                known_plan_changes(address, format!("{path}.{key}"), old, value, u, out);
            }
        }
    }
}

#[test]
fn a_configuration_matches_the_state_its_apply_left() {
    let g = generated();
    for step in ["step1", "step2"] {
        let state = State::read(g.join(step).join("terraform.tfstate")).unwrap();
        let drift =
            compare_config(g.join(step).join("config"), &Inputs::default(), &state).unwrap();
        assert!(drift.is_empty(), "{step}: {drift:?}");
        assert_eq!(
            drift.managed.len() + drift.undetermined.len(),
            state
                .instances
                .iter()
                .filter(|i| i.mode == infrarag::terraform::state::Mode::Managed)
                .count(),
            "{step}"
        );
    }
}

/// `infrarag drift`'s exit status, standard output and standard error.
fn cli(args: &[&str]) -> (u8, String, String) {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = infrarag::cli::run(&args, &mut std::io::empty(), &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn the_drift_command_reports_and_exits_by_what_drifted() {
    let g = generated();
    let path = |p: &str| g.join(p).display().to_string();
    let (s1, s2) = (
        path("step1/terraform.tfstate"),
        path("step2/terraform.tfstate"),
    );
    let config = path("step2/config");

    let (code, out, _) = cli(&["drift", "--state", &s1, "--config", &config]);
    assert_eq!(code, 1, "{out}");
    for line in [
        "missing     terraform_data.dns (declared, not in state)",
        "undeclared  terraform_data.node[2] (in state, declared no more)",
        "moved       terraform_data.release -> terraform_data.app_release",
        "changed     terraform_data.service[\"web\"].input: state {",
        "configuration against state: ",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }

    let (code, out, _) = cli(&[
        "drift", "--state", &s2, "--config", &config, "--format", "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["config"]["missing"], serde_json::json!([]));

    let (code, out, _) = cli(&["drift", "--plan", &path("step2/show-json-tfplan.json")]);
    assert_eq!(code, 1);
    assert!(
        out.contains("planned     terraform_data.dns (create)"),
        "{out}"
    );
    assert!(!out.contains("s3cr3t"), "{out}");

    let (code, _, err) = cli(&["drift", "--config", &config]);
    assert_eq!(code, 2);
    assert!(err.contains("drift --config needs --state"), "{err}");
    let (code, _, err) = cli(&["drift", "--aws-region", "eu-west-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("need --state"), "{err}");
    let (code, _, err) = cli(&[
        "drift",
        "--state",
        &path("step1/nope.tfstate"),
        "--config",
        &config,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("nope.tfstate"), "{err}");
}

/// `moved` blocks inside modules, and a module moved by the root with a
/// resource moved within it: the renames are the plan's previous
/// addresses, and nothing else differs.
#[test]
fn moves_within_modules_rename_as_terraform_plans_them() {
    let dir = infrarag_tests::scratch("drift", "module_moves");
    std::fs::create_dir_all(dir.join("m")).unwrap();
    let write = |p: &str, text: &str| std::fs::write(dir.join(p), text).unwrap();
    write(
        "main.tf",
        "module \"old\" {\n  source = \"./m\"\n}\nmodule \"each\" {\n  source   = \"./m\"\n  for_each = toset([\"a\", \"b\"])\n}\n",
    );
    write(
        "m/main.tf",
        "resource \"terraform_data\" \"before\" {\n  input = \"x\"\n}\n",
    );
    infrarag_tests::terraform(&dir, &["init", "-backend=false", "-input=false"]);
    infrarag_tests::terraform(&dir, &["apply", "-auto-approve", "-input=false"]);
    let state = State::read(dir.join("terraform.tfstate")).unwrap();

    write(
        "main.tf",
        "module \"new\" {\n  source = \"./m\"\n}\nmodule \"each\" {\n  source   = \"./m\"\n  for_each = toset([\"a\", \"b\"])\n}\nmoved {\n  from = module.old\n  to   = module.new\n}\n",
    );
    write(
        "m/main.tf",
        "resource \"terraform_data\" \"after\" {\n  input = \"x\"\n}\nmoved {\n  from = terraform_data.before\n  to   = terraform_data.after\n}\n",
    );
    infrarag_tests::terraform(&dir, &["init", "-backend=false", "-input=false"]);
    infrarag_tests::terraform(&dir, &["plan", "-out=tfplan", "-input=false"]);
    let shown = infrarag_tests::terraform(&dir, &["show", "-json", "tfplan"]);
    let plan = Plan::parse(&String::from_utf8(shown).unwrap(), None).unwrap();
    let mut want: Vec<(String, String)> = plan
        .resource_changes
        .iter()
        .filter_map(|c| Some((c.previous_address.clone()?, c.address.clone())))
        .collect();
    assert_eq!(want.len(), 3, "{want:?}");
    assert!(plan
        .resource_changes
        .iter()
        .all(|c| c.change.actions == [Action::NoOp]));

    let drift = compare_config(&dir, &Inputs::default(), &state).unwrap();
    let mut got = drift.moved.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(drift.is_empty(), "{drift:?}");
    assert_eq!(drift.managed.len(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}
