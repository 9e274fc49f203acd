//! Where a module's calls lead: a local source's directory, or where
//! `terraform init` installed any other (`.terraform/modules/modules.json`).

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::hcl::Block;

use super::{constant_value, SourceFile};

/// A module block's arguments that are Terraform's, not the called
/// module's inputs.
pub(crate) const CALL_META: [&str; 6] = [
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Where `terraform init` installed each module, by module key (`net`,
/// `net.subnets`), relative to `dir`, from its
/// `.terraform/modules/modules.json`; empty when there is none or it
/// cannot be read (then only local sources are followed).
pub(crate) fn installed(dir: &Path) -> HashMap<String, PathBuf> {
    let Ok(text) = std::fs::read_to_string(dir.join(".terraform/modules/modules.json")) else {
        return HashMap::new();
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        return HashMap::new();
    };
    manifest["Modules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let key = m["Key"].as_str().filter(|k| !k.is_empty())?;
            Some((key.to_string(), normalized(Path::new(m["Dir"].as_str()?))))
        })
        .collect()
}

/// The module key of call `name` in the module answering `parent` (`""`
/// for the root).
pub(crate) fn key_of(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// Where a call leads, from the root module's directory: a local source
/// from its caller's directory `caller`, any other where it was installed.
pub(crate) fn resolve(
    caller: &Path,
    key: &str,
    source: Option<&str>,
    installed: &HashMap<String, PathBuf>,
) -> Option<PathBuf> {
    match source {
        Some(s) if s.starts_with("./") || s.starts_with("../") => Some(normalized(&caller.join(s))),
        _ => installed.get(key).cloned(),
    }
}

/// The module key and directory (from the root) of each call in `files`,
/// which sit in `caller` and answer `key` (`""` for the root).
pub(crate) fn targets<'f>(
    files: &'f [SourceFile],
    caller: &'f Path,
    key: &'f str,
    installed: &'f HashMap<String, PathBuf>,
) -> impl Iterator<Item = (String, PathBuf)> + 'f {
    calls(files).filter_map(move |(block, source)| {
        let key = key_of(key, &block.labels.first()?.value);
        let dir = resolve(caller, &key, source.as_deref(), installed)?;
        Some((key, dir))
    })
}

/// Every `module` block of `files`, with its source when that is a
/// constant string.
pub(crate) fn calls(files: &[SourceFile]) -> impl Iterator<Item = (&Block, Option<String>)> {
    files
        .iter()
        .flat_map(|f| f.parsed.file.body.blocks_of("module"))
        .map(|b| {
            let source = b
                .body
                .attribute("source")
                .and_then(|a| constant_value(&a.expr))
                .and_then(|v| v.as_str().map(String::from));
            (b, source)
        })
}

/// `a/./b/../c` as `a/c`, keeping leading `..`.
pub(crate) fn normalized(path: &Path) -> PathBuf {
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
