//! Local module calls, judged per call with the caller's inputs, as
//! checkov renders them: `module.net.aws_vpc.this`, `module.net[0]....`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::hcl::Block;
use crate::terraform::{constant_value, read_files_cached, Module, SourceFile};

use super::graph::instances as repeats;
use super::values::{Scope, Values};

/// Calls nest at most this deep (a module calling itself would not end).
const MAX_DEPTH: usize = 8;

/// A local module a validated module calls (directly or not): its files,
/// their paths relative to the validated module's directory.
pub(crate) struct Callee {
    /// `../../modules/net`, from the validated directory.
    dir: PathBuf,
    pub files: Vec<SourceFile>,
    pub module: Module,
}

/// Reads every local module `files` (in `dir`) calls, and those they
/// call. A source that cannot be read is left out: `terraform init` would
/// fail on it, and reference checks already say so.
pub(crate) fn load(dir: &Path, files: &[SourceFile]) -> Vec<Callee> {
    let mut out: Vec<Callee> = Vec::new();
    let mut queue: Vec<(PathBuf, usize)> = calls(files)
        .filter_map(|(_, source)| Some((normalized(Path::new(&source?)), 1)))
        .collect();
    while let Some((rel, depth)) = queue.pop() {
        if depth > MAX_DEPTH || rel.as_os_str().is_empty() || out.iter().any(|c| c.dir == rel) {
            continue;
        }
        let Ok(shared) = read_files_cached(&dir.join(&rel)) else {
            continue;
        };
        let mut loaded = shared.to_vec();
        for f in &mut loaded {
            f.path = rel.join(&f.path);
        }
        for (_, source) in calls(&loaded) {
            if let Some(source) = source {
                queue.push((normalized(&rel.join(source)), depth + 1));
            }
        }
        let module = Module::from_parsed(&loaded);
        out.push(Callee {
            dir: rel,
            files: loaded,
            module,
        });
    }
    out
}

/// Every `module` block of `files`, with its source when that is a local
/// directory (`./x`, `../x`).
fn calls(files: &[SourceFile]) -> impl Iterator<Item = (&Block, Option<String>)> {
    files
        .iter()
        .flat_map(|f| f.parsed.file.body.blocks_of("module"))
        .map(|b| {
            let source = b
                .body
                .attribute("source")
                .and_then(|a| constant_value(&a.expr))
                .and_then(|v| v.as_str().map(String::from))
                .filter(|s| s.starts_with("./") || s.starts_with("../"));
            (b, source)
        })
}

/// `a/./b/../c` as `a/c`, keeping leading `..`.
fn normalized(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// One instance of a called module: where its names start, which callee
/// it is, and its values.
pub(super) struct Instance<'a> {
    /// `module.net.`, `module.net["a"].module.subnets.`.
    pub prefix: String,
    pub callee: &'a Callee,
    pub values: Values<'a>,
}

/// Every instance of every local module `files` call (and so on down),
/// each with the values its call passes.
pub(super) fn instances<'a>(
    files: &'a [SourceFile],
    values: &Values<'a>,
    callees: &'a [Callee],
) -> Vec<Instance<'a>> {
    let by_dir: HashMap<&Path, &Callee> = callees.iter().map(|c| (c.dir.as_path(), c)).collect();
    let mut out = Vec::new();
    expand(files, values, Path::new(""), "", &by_dir, 0, &mut out);
    out
}

fn expand<'a>(
    files: &'a [SourceFile],
    values: &Values<'_>,
    dir: &Path,
    prefix: &str,
    by_dir: &HashMap<&Path, &'a Callee>,
    depth: usize,
    out: &mut Vec<Instance<'a>>,
) {
    if depth >= MAX_DEPTH {
        return;
    }
    for (block, source) in calls(files) {
        let labels = block.label_values();
        let (Some(source), [name]) = (source, labels.as_slice()) else {
            continue;
        };
        let Some(callee) = by_dir
            .get(normalized(&dir.join(&source)).as_path())
            .copied()
        else {
            continue;
        };
        let scope = Scope {
            values,
            instance: None,
        };
        // A call that makes no instance (`count = 0`, an empty `for_each`)
        // checkov still judges once, as written.
        let each: Vec<(String, Option<super::values::Instance>)> = match repeats(&block.body, scope)
        {
            Some(list) if !list.is_empty() => list
                .into_iter()
                .map(|i| (format!("{prefix}module.{name}{}.", i.suffix()), Some(i)))
                .collect(),
            _ => vec![(format!("{prefix}module.{name}."), None)],
        };
        for (call_prefix, instance) in each {
            let scope = Scope {
                values,
                instance: instance.as_ref(),
            };
            let inputs = block
                .body
                .attributes()
                .filter(|a| !META.contains(&a.name.as_str()))
                .map(|a| (a.name.clone(), scope.read(&a.expr)));
            let called = Values::called(&callee.files, &callee.module, inputs);
            expand(
                &callee.files,
                &called,
                &callee.dir,
                &call_prefix,
                by_dir,
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

/// A module block's arguments that are not the module's inputs.
const META: [&str; 7] = [
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
    "alias",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalize_lexically() {
        assert_eq!(normalized(Path::new("./a/../b")), Path::new("b"));
        assert_eq!(normalized(Path::new("x/../../y")), Path::new("../y"));
        assert_eq!(
            normalized(Path::new("../../modules/x")),
            Path::new("../../modules/x")
        );
    }
}
