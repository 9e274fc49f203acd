//! Module calls, judged per call with the caller's inputs, as checkov
//! renders them: `module.net.aws_vpc.this`, `module.net[0]....`. Local
//! sources are read where they point; others where `terraform init` put
//! them, as its `.terraform/modules/modules.json` records.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::terraform::calls::{calls, installed, key_of, targets, CALL_META};
use crate::terraform::eval::{Type, Value};
use crate::terraform::{read_files_cached, Module, SourceFile};

use super::graph::instances as repeats;
use super::values::{Scope, Values};

/// Calls nest at most this deep (a module calling itself would not end).
const MAX_DEPTH: usize = 8;

/// A module a validated module calls (directly or not): its files, their
/// paths relative to the validated module's directory.
pub(crate) struct Callee {
    /// `../../modules/net`, from the validated directory.
    dir: PathBuf,
    /// The calls it answers, by Terraform's module key (`net`,
    /// `net.subnets`).
    keys: Vec<String>,
    pub files: Vec<SourceFile>,
    pub module: Module,
}

/// Reads every module `files` (in `dir`) calls, and those they call. A
/// local source is read where it points; any other source where
/// `terraform init` installed it, when `dir` has been initialised. A
/// module that cannot be read is left out: `terraform init` would fail
/// on it (or has not run), and reference checks already say so.
pub(crate) fn load(dir: &Path, files: &[SourceFile]) -> Vec<Callee> {
    if calls(files).next().is_none() {
        return Vec::new();
    }
    let installed = installed(dir);
    let mut out: Vec<Callee> = Vec::new();
    let mut queue: Vec<(String, PathBuf, usize)> = targets(files, Path::new(""), "", &installed)
        .map(|(key, rel)| (key, rel, 1))
        .collect();
    while let Some((key, rel, depth)) = queue.pop() {
        if depth > MAX_DEPTH || rel.as_os_str().is_empty() {
            continue;
        }
        let at = match out.iter().position(|c| c.dir == rel) {
            Some(at) => at,
            None => {
                let Ok(shared) = read_files_cached(&dir.join(&rel)) else {
                    continue;
                };
                let mut loaded = shared.to_vec();
                for f in &mut loaded {
                    f.path = rel.join(&f.path);
                }
                let module = Module::from_parsed(&loaded);
                out.push(Callee {
                    dir: rel.clone(),
                    keys: Vec::new(),
                    files: loaded,
                    module,
                });
                out.len() - 1
            }
        };
        if out[at].keys.contains(&key) {
            continue;
        }
        let nested: Vec<_> = targets(&out[at].files, &rel, &key, &installed).collect();
        queue.extend(nested.into_iter().map(|(k, d)| (k, d, depth + 1)));
        out[at].keys.push(key);
    }
    out
}

/// One instance of a called module: where its names start, which callee
/// it is, and its values.
pub(super) struct Instance<'a> {
    /// `module.net.`, `module.net["a"].module.subnets.`.
    pub prefix: String,
    pub callee: &'a Callee,
    pub values: Values,
}

/// Every instance of every module `files` call (and so on down), each
/// with the values its call passes.
pub(super) fn instances<'a>(
    files: &'a [SourceFile],
    values: &Values,
    callees: &'a [Callee],
) -> Vec<Instance<'a>> {
    let by_key: HashMap<&str, &Callee> = callees
        .iter()
        .flat_map(|c| c.keys.iter().map(move |k| (k.as_str(), c)))
        .collect();
    let mut out = Vec::new();
    expand(files, values, "", "", &by_key, 0, &mut out);
    out
}

fn expand<'a>(
    files: &'a [SourceFile],
    values: &Values,
    key: &str,
    prefix: &str,
    by_key: &HashMap<&str, &'a Callee>,
    depth: usize,
    out: &mut Vec<Instance<'a>>,
) {
    if depth >= MAX_DEPTH {
        return;
    }
    for (block, _) in calls(files) {
        let labels = block.label_values();
        let [name] = labels.as_slice() else {
            continue;
        };
        let call_key = key_of(key, name);
        let Some(callee) = by_key.get(call_key.as_str()).copied() else {
            continue;
        };
        let scope = Scope {
            values,
            instance: None,
        };
        // A call that makes no instance (`count = 0`, an empty `for_each`)
        // has nothing to judge, as in Terraform.
        let each: Vec<(String, Option<super::values::Instance>)> = match repeats(&block.body, scope)
        {
            Some(list) => list
                .into_iter()
                .map(|i| (format!("{prefix}module.{name}{}.", i.suffix()), Some(i)))
                .collect(),
            None => vec![(format!("{prefix}module.{name}."), None)],
        };
        for (call_prefix, instance) in each {
            let scope = Scope {
                values,
                instance: instance.as_ref(),
            };
            let inputs: BTreeMap<String, Value> = block
                .body
                .attributes()
                .filter(|a| !CALL_META.contains(&a.name.as_str()))
                .map(|a| {
                    let v = scope.value(&a.expr);
                    (a.name.clone(), v.unwrap_or(Value::unknown(Type::Dynamic)))
                })
                .collect();
            let called = values.called(&callee.files, inputs);
            expand(
                &callee.files,
                &called,
                &call_key,
                &call_prefix,
                by_key,
                depth + 1,
                out,
            );
            out.push(Instance {
                prefix: call_prefix,
                callee,
                values: called,
            });
        }
    }
}
