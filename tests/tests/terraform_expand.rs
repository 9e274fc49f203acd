//! `terraform::eval::expand_module` against Terraform itself: generated
//! configurations of `terraform_data` resources, variables (defaults and a
//! `terraform.tfvars`), locals, `count`, `for_each`, a local module called
//! with arguments (itself repeated), and outputs reading the module's
//! outputs. `terraform plan` runs offline on them; every instance address,
//! every `input` and every root output must equal its planned value.
//!
//! `INFRARAG_EXPAND_CASES` (default 24) and `INFRARAG_EXPAND_SEED` (default
//! 7) choose the cases; `INFRARAG_EXPAND_SHOW=N` prints the first N that
//! differ, with their files.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use infrarag::terraform::eval::{expand_module, Inputs, Kind, Value, MAX_INSTANCES};
use infrarag_tests::Rng;
use serde_json::Value as Json;

const NAMES: &[&str] = &["web", "db", "cache", "api", "a-b", "Z9"];

fn pick<'a>(r: &mut Rng, items: &[&'a str]) -> &'a str {
    r.pick(items).copied().unwrap_or_default()
}

fn names(r: &mut Rng) -> String {
    let n = 1 + r.below(3);
    let mut chosen: Vec<&str> = Vec::new();
    while chosen.len() < n {
        let name = pick(r, NAMES);
        if !chosen.contains(&name) {
            chosen.push(name);
        }
    }
    let quoted: Vec<String> = chosen.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

fn tags(r: &mut Rng) -> String {
    let n = r.below(3);
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{} = {:?}",
                ["env", "team", "tier"][i],
                pick(r, &["prod", "", "ops", "x"])
            )
        })
        .collect();
    format!("{{ {} }}", items.join(", "))
}

/// How a block repeats, and the names its body may use.
#[derive(Clone, Copy, PartialEq)]
enum Repeat {
    Once,
    Count,
    Each,
}

fn repetition(r: &mut Rng) -> (Repeat, String) {
    match r.below(9) {
        0..=2 => (Repeat::Once, String::new()),
        3 => (Repeat::Count, "count = var.n".into()),
        4 => (
            Repeat::Count,
            "count = var.enabled ? length(var.names) : 0".into(),
        ),
        5 => (Repeat::Count, "count = min(var.n, 2)".into()),
        6 => (Repeat::Each, "for_each = toset(var.names)".into()),
        7 => (Repeat::Each, "for_each = local.by_name".into()),
        _ => (
            Repeat::Each,
            "for_each = { for k, v in var.tags : k => v if v != \"\" }".into(),
        ),
    }
}

/// An `input` expression, using what the block's repetition binds.
fn input(r: &mut Rng, repeat: Repeat) -> String {
    let mut choices: Vec<String> = vec![
        "local.prefix".into(),
        "merge(var.tags, { extra = local.prefix })".into(),
        "{ size = var.n * 2, names = var.names }".into(),
        "[for n in var.names : upper(n)]".into(),
        "{ id = terraform_data.anchor.id, n = var.n }".into(),
        "jsonencode(local.by_name)".into(),
        "var.enabled ? \"on\" : null".into(),
        "cidrsubnet(\"10.0.0.0/16\", 8, var.n)".into(),
    ];
    match repeat {
        Repeat::Count => choices.extend([
            "count.index * 10".into(),
            "[local.prefix, count.index]".into(),
            "var.names[count.index % length(var.names)]".into(),
        ]),
        Repeat::Each => choices.extend([
            "each.key".into(),
            "\"${each.key}=${each.value}\"".into(),
            "{ k = each.key, v = each.value, p = local.prefix }".into(),
        ]),
        Repeat::Once => {}
    }
    r.pick(&choices).cloned().unwrap_or_default()
}

/// A generated configuration: the root module, its child and, maybe, a
/// `terraform.tfvars`.
struct Case {
    root: String,
    child: String,
    tfvars: Option<String>,
}

fn case(r: &mut Rng) -> Case {
    let mut root = format!(
        r#"variable "names" {{
  type    = list(string)
  default = {}
}}

variable "n" {{
  type    = number
  default = {}
}}

variable "enabled" {{
  default = {}
}}

variable "tags" {{
  type    = map(string)
  default = {}
}}

locals {{
  prefix  = {}
  by_name = {{ for i, n in var.names : n => i }}
}}

resource "terraform_data" "anchor" {{}}
"#,
        names(r),
        r.below(4),
        r.below(2) == 0,
        tags(r),
        pick(
            r,
            &[
                "\"p\"",
                "upper(var.names[0])",
                "join(\"-\", var.names)",
                "format(\"%s-%d\", var.names[0], var.n)"
            ]
        ),
    );
    for i in 0..(1 + r.below(4)) {
        let (repeat, line) = repetition(r);
        root.push_str(&format!(
            "\nresource \"terraform_data\" \"r{i}\" {{\n  {line}\n  input = {}\n}}\n",
            input(r, repeat)
        ));
    }
    let (call, line) = repetition(r);
    let name = match call {
        Repeat::Each => "each.key",
        Repeat::Count => "\"n${count.index}\"",
        Repeat::Once => "local.prefix",
    };
    root.push_str(&format!(
        "\nmodule \"m\" {{\n  source = \"./child\"\n  {line}\n  name   = {name}\n  size   = {}\n  items  = {}\n}}\n",
        pick(r, &["var.n", "length(var.names)", "2"]),
        pick(r, &["var.names", "[]", "[for n in var.names : \"${n}-x\"]"]),
    ));
    let from_module = match call {
        Repeat::Once => "module.m.full",
        Repeat::Count => "module.m[*].full",
        Repeat::Each => "{ for k, m in module.m : k => m.count }",
    };
    root.push_str(&format!(
        "\nlocals {{\n  from_module = {from_module}\n}}\n\nresource \"terraform_data\" \"reads_module\" {{\n  input = local.from_module\n}}\n\noutput \"module\" {{\n  value = local.from_module\n}}\n\noutput \"prefix\" {{\n  value = local.prefix\n}}\n"
    ));
    let child = r#"variable "name" {
  type = string
}

variable "size" {
  type    = number
  default = 1
}

variable "items" {
  type    = list(string)
  default = []
}

locals {
  full = "${var.name}-${var.size}"
}

resource "terraform_data" "c" {
  for_each = toset(var.items)
  input    = { name = local.full, item = each.value }
}

resource "terraform_data" "d" {
  count = var.size > 2 ? 2 : var.size
  input = "${local.full}#${count.index}"
}

output "full" {
  value = local.full
}

output "count" {
  value = length(var.items)
}
"#
    .to_string();
    let tfvars = (r.below(3) == 0)
        .then(|| format!("names   = {}\nenabled = {}\n", names(r), r.below(2) == 0));
    Case {
        root,
        child,
        tfvars,
    }
}

/// `terraform plan` in `dir`, shown as JSON.
fn plan(dir: &Path) -> Result<Json, String> {
    let run = |args: &[&str]| {
        let out = Command::new("terraform")
            .args(args)
            .current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run terraform (the expansion oracle): {e}"));
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    };
    run(&["init", "-input=false", "-no-color", "-backend=false"])?;
    run(&["plan", "-input=false", "-no-color", "-out=plan.bin"])?;
    let shown = run(&["show", "-json", "plan.bin"])?;
    serde_json::from_slice(&shown).map_err(|e| e.to_string())
}

/// Every planned resource's address and `input` (absent when unknown).
fn planned(module: &Json, out: &mut BTreeMap<String, Option<Json>>) {
    for r in module["resources"].as_array().into_iter().flatten() {
        let address = r["address"].as_str().unwrap_or_default().to_string();
        out.insert(address, r["values"].get("input").cloned());
    }
    for c in module["child_modules"].as_array().into_iter().flatten() {
        planned(c, out);
    }
}

/// A value as `terraform show -json` writes a planned one: unknown
/// object attributes left out, and `None` for a value unknown as a whole.
fn as_planned(v: &Value) -> Option<Json> {
    if v.is_unknown() {
        return None;
    }
    Some(match &v.kind {
        Kind::Map(_, m) | Kind::Object(m) => Json::Object(
            m.iter()
                .filter_map(|(k, x)| Some((k.clone(), as_planned(x)?)))
                .collect(),
        ),
        Kind::List(_, items) | Kind::Set(_, items) | Kind::Tuple(items) => Json::Array(
            items
                .iter()
                .map(|x| as_planned(x).unwrap_or(Json::Null))
                .collect(),
        ),
        _ => v.to_json(),
    })
}

/// Where ours and Terraform's differ, in words; `None` when they agree.
fn compare(dir: &Path, want: &Json) -> Option<String> {
    let ours = match expand_module(dir, &Inputs::new().with_auto_files(true)) {
        Ok(x) => x,
        Err(e) => return Some(format!("expand failed: {e}")),
    };
    if let Some((file, d)) = ours.diagnostics.first() {
        return Some(format!("diagnostic {}: {}", file.display(), d.message));
    }
    let mut theirs = BTreeMap::new();
    planned(&want["planned_values"]["root_module"], &mut theirs);
    let mine: BTreeMap<String, Option<Json>> = ours
        .resources
        .iter()
        .map(|r| {
            let input = r.values.get("input").map_or(Some(Json::Null), as_planned);
            (r.address.clone(), input)
        })
        .collect();
    if mine.keys().ne(theirs.keys()) {
        return Some(format!(
            "addresses: ours {:?}, terraform {:?}",
            mine.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>()
        ));
    }
    for (address, input) in &mine {
        let numeric = |v: &Option<Json>| v.as_ref().map(normalized);
        if numeric(input) != numeric(&theirs[address]) {
            return Some(format!(
                "{address}.input: ours {input:?}, terraform {:?}",
                theirs[address]
            ));
        }
    }
    for (name, v) in &ours.outputs {
        let planned_value = want["planned_values"]["outputs"][name].get("value");
        let value = v.is_wholly_known().then(|| normalized(&v.to_json()));
        if value != planned_value.map(normalized) {
            return Some(format!(
                "output {name}: ours {value:?}, terraform {planned_value:?}"
            ));
        }
    }
    None
}

/// Numbers compared as numbers (`2` and `2.0` alike).
fn normalized(v: &Json) -> Json {
    match v {
        Json::Number(n) => Json::from(n.as_f64().unwrap_or(f64::NAN)),
        Json::Array(a) => Json::Array(a.iter().map(normalized).collect()),
        Json::Object(m) => {
            Json::Object(m.iter().map(|(k, x)| (k.clone(), normalized(x))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn generated_configurations_expand_as_terraform_plans_them() {
    let env = infrarag_tests::env_number;
    let cases = env("INFRARAG_EXPAND_CASES", 24) as usize;
    let seed = env("INFRARAG_EXPAND_SEED", 7);
    let show = env("INFRARAG_EXPAND_SHOW", 0) as usize;
    let mut rng = Rng(seed);
    let base = std::env::temp_dir().join(format!("infrarag-expand-{}", std::process::id()));
    let dirs: Vec<_> = (0..cases)
        .map(|i| {
            let c = case(&mut rng);
            let dir = base.join(format!("case{i}"));
            std::fs::create_dir_all(dir.join("child")).unwrap();
            std::fs::write(dir.join("main.tf"), &c.root).unwrap();
            std::fs::write(dir.join("child/main.tf"), &c.child).unwrap();
            if let Some(t) = &c.tfvars {
                std::fs::write(dir.join("terraform.tfvars"), t).unwrap();
            }
            dir
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let chunk = dirs.len().div_ceil(threads).max(1);
    let plans: Vec<Result<Json, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = dirs
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(|d| plan(d)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut wrong = Vec::new();
    let (mut planned_cases, mut instances) = (0, 0);
    for (dir, want) in dirs.iter().zip(&plans) {
        let want = match want {
            Ok(w) => w,
            // The generator writes only configurations Terraform accepts.
            Err(e) => panic!("terraform plan failed in {}: {e}", dir.display()),
        };
        planned_cases += 1;
        let mut theirs = BTreeMap::new();
        planned(&want["planned_values"]["root_module"], &mut theirs);
        instances += theirs.len();
        if let Some(why) = compare(dir, want) {
            wrong.push((dir, why));
        }
    }
    for (dir, why) in wrong.iter().take(show) {
        let text = std::fs::read_to_string(dir.join("main.tf")).unwrap_or_default();
        eprintln!("--- {} : {why}\n{text}", dir.display());
    }
    eprintln!(
        "{planned_cases} configurations (seed {seed}), {instances} planned instances; {} differ",
        wrong.len()
    );
    if wrong.is_empty() {
        let _ = std::fs::remove_dir_all(&base);
    }
    assert!(
        wrong.is_empty(),
        "{} of {cases} generated configurations expand differently from terraform plan; first: {:?}",
        wrong.len(),
        wrong.first()
    );
}

/// The bindings' fixture, `tests/fixtures/expand` (a `terraform.tfvars`, a
/// sensitive variable, `for_each` over a local, a module called with
/// `count`), planned by Terraform in a copy of it.
#[test]
fn the_expand_fixture_expands_as_terraform_plans_it() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/expand");
    let dir = std::env::temp_dir().join(format!("infrarag-expand-fixture-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("net")).unwrap();
    for f in ["main.tf", "terraform.tfvars", "net/main.tf"] {
        std::fs::copy(fixture.join(f), dir.join(f)).unwrap();
    }
    let want = plan(&dir).unwrap_or_else(|e| panic!("terraform plan failed: {e}"));
    assert_eq!(compare(&dir, &want), None);
    let ours = expand_module(&fixture, &Inputs::new().with_auto_files(true)).unwrap();
    assert_eq!(ours.modules, ["module.net[0]", "module.net[1]"]);
    // The sensitive input is named, never shown.
    let json = ours.to_json();
    let password = &json["resources"][2];
    assert_eq!(password["address"], "terraform_data.password");
    assert_eq!(password["values"]["input"], Json::Null);
    assert_eq!(password["sensitive"], serde_json::json!(["input"]));
    assert!(!json.to_string().contains("hunter2"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A registry module `terraform init` installed is expanded from where
/// `.terraform/modules/modules.json` says, its own local call too; a call
/// that was not installed has no instances and unknown outputs.
/// Hand-checked: the call passes `encrypted = false`, the inner call
/// `!var.encrypted`.
#[test]
fn installed_modules_are_followed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/installed_modules");
    let x = expand_module(&dir, &Inputs::new()).unwrap();
    let found: Vec<(&str, Option<bool>)> = x
        .resources
        .iter()
        .map(|r| (r.address.as_str(), r.values["encrypted"].as_bool()))
        .collect();
    assert_eq!(
        found,
        [
            ("module.volumes.aws_ebs_volume.this", Some(false)),
            (
                "module.volumes.module.inner.aws_ebs_volume.inner",
                Some(true)
            ),
        ]
    );
    assert_eq!(x.modules, ["module.volumes", "module.volumes.module.inner"]);
    assert!(x.diagnostics.is_empty(), "{:?}", x.diagnostics);
}

/// A `count` or `for_each` past `MAX_INSTANCES` is a "Too many instances"
/// diagnostic and no instance, not a process that runs out of memory; up
/// to it, every instance is made.
#[test]
fn too_many_instances_are_a_diagnostic() {
    let dir = std::env::temp_dir().join(format!("infrarag-too-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let at_limit = MAX_INSTANCES;
    let over = MAX_INSTANCES + 1;
    std::fs::write(
        dir.join("main.tf"),
        format!(
            "resource \"terraform_data\" \"fits\" {{\n  count = {at_limit}\n}}\n\
             resource \"terraform_data\" \"counted\" {{\n  count = {over}\n}}\n\
             resource \"terraform_data\" \"huge\" {{\n  count = 1000000000000\n}}\n\
             module \"m\" {{\n  source = \"./m\"\n  count  = {over}\n}}\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("m")).unwrap();
    std::fs::write(
        dir.join("m/main.tf"),
        "resource \"terraform_data\" \"x\" {}\n",
    )
    .unwrap();
    let x = expand_module(&dir, &Inputs::new()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let fits = x
        .resources
        .iter()
        .filter(|r| r.address.starts_with("terraform_data.fits["))
        .count();
    assert_eq!((fits, x.resources.len()), (MAX_INSTANCES, MAX_INSTANCES));
    let too_many: Vec<(usize, String)> = x
        .diagnostics
        .iter()
        .filter(|(_, d)| d.summary == "Too many instances")
        .map(|(_, d)| (d.span.start.line, d.message.clone()))
        .collect();
    assert_eq!(
        too_many.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [5, 8, 12],
        "{too_many:?}"
    );
    assert!(
        too_many[0].1.contains(&format!("makes {over} instances")),
        "{too_many:?}"
    );
}
