//! A Terraform module: every `.tf` / `.tf.json` file of one directory, its
//! declarations by address, and the reference graph between them.

pub(crate) mod calls;
pub mod eval;
pub(crate) mod references;
pub mod state;
mod values;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::hcl::{self, Block, Body, Diagnostic, Span};

pub use references::{Reference, ReferenceKind};
pub use values::{constant_value, literal_key};

/// What kind of top-level declaration a [`Declaration`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeclarationKind {
    /// `resource "type" "name"`.
    Resource,
    /// `data "type" "name"`.
    Data,
    /// `ephemeral "type" "name"`.
    Ephemeral,
    /// `variable "name"`.
    Variable,
    /// One entry of a `locals` block.
    Local,
    /// `output "name"`.
    Output,
    /// `module "name"`.
    Module,
    /// `provider "name"`, with its alias if any.
    Provider,
    /// The `terraform` block.
    Terraform,
    /// A `moved` block.
    Moved,
    /// An `import` block.
    Import,
    /// A `removed` block.
    Removed,
    /// `check "name"`.
    Check,
}

/// One addressable declaration of a module.
#[derive(Debug, Clone, Serialize)]
pub struct Declaration {
    /// What is declared.
    pub kind: DeclarationKind,
    /// `aws_s3_bucket.logs`, `data.aws_iam_policy_document.x`, `module.vpc`,
    /// `var.region`, `local.tags`, `output.arn`, `provider.aws.west`,
    /// `terraform`, `moved[0]`, `check.health`.
    pub address: String,
    /// The resource or data source type, for those kinds.
    pub resource_type: Option<String>,
    /// The declared name (the last label, or the local's name).
    pub name: String,
    /// The file the declaration is in, relative to the module directory.
    pub file: PathBuf,
    /// The whole block (or, for a local, its attribute).
    pub span: Span,
    /// Every reference its expressions make, in source order.
    pub references: Vec<Reference>,
    /// Kind-specific facts.
    pub details: Details,
}

/// Facts specific to a declaration kind.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Details {
    /// `variable`: the type constraint as written.
    pub type_constraint: Option<String>,
    /// `variable`: the default, when it is a constant.
    pub default: Option<serde_json::Value>,
    /// `variable` and `output`: the description.
    pub description: Option<String>,
    /// `variable` and `output`: `sensitive`, when constant.
    pub sensitive: Option<bool>,
    /// `variable`: `nullable`, when constant.
    pub nullable: Option<bool>,
    /// `variable`: `validation` blocks as (condition source, error message).
    pub validations: Vec<Validation>,
    /// `module`: the `source` and `version` arguments.
    pub source: Option<String>,
    /// `module`: the `version` argument.
    pub version: Option<String>,
    /// `provider`: the alias.
    pub alias: Option<String>,
    /// `local`: the value, when it is a constant.
    pub value: Option<serde_json::Value>,
    /// `terraform`: `required_version`.
    pub required_version: Option<String>,
    /// `terraform`: `required_providers` by local name.
    pub required_providers: BTreeMap<String, RequiredProvider>,
    /// `terraform`: the backend type.
    pub backend: Option<String>,
    /// `count` and `for_each` present (resources, data, modules).
    pub count: bool,
    /// `for_each` present (resources, data, modules).
    pub for_each: bool,
}

/// A `validation` block of a variable.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// The condition's source text.
    pub condition: String,
    /// The error message, when it is a constant string.
    pub error_message: Option<String>,
}

/// One entry of `required_providers`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RequiredProvider {
    /// The provider's source address, e.g. `hashicorp/aws`.
    pub source: Option<String>,
    /// The version constraint.
    pub version: Option<String>,
}

/// A parsed file of a module.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleFile {
    /// Relative to the module directory.
    pub path: PathBuf,
    /// The file's size in bytes.
    pub bytes: usize,
    /// Its syntax errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// A loaded module directory.
#[derive(Debug, Clone, Serialize)]
pub struct Module {
    /// The directory the module was loaded from (empty when built from sources).
    pub dir: PathBuf,
    /// Every file, in name order.
    pub files: Vec<ModuleFile>,
    /// Every declaration, file by file in source order.
    pub declarations: Vec<Declaration>,
}

impl Module {
    /// Loads every `.tf` and `.tf.json` file directly in `dir` (not
    /// subdirectories: those are other modules), parsing files in parallel.
    /// Files with syntax errors still contribute what parsed; their
    /// diagnostics are in [`Module::files`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Module> {
        let dir = dir.as_ref();
        let files = read_files(dir)?;
        let mut module = Module::from_parsed(&files);
        module.dir = dir.to_path_buf();
        Ok(module)
    }

    /// A module of files already read and parsed; the parses stay the
    /// caller's (the validator walks them again).
    pub fn from_parsed(files: &[SourceFile]) -> Module {
        let mut module = Module {
            dir: PathBuf::new(),
            files: Vec::new(),
            declarations: Vec::new(),
        };
        for f in files {
            module.add_file(f.path.clone(), &f.text, &f.parsed);
        }
        module
    }

    /// A module of in-memory files, `(name, text)` pairs, as [`Module::load`] reads a directory.
    pub fn from_sources<'a>(sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Module {
        let files: Vec<SourceFile> = sources
            .into_iter()
            .map(|(name, text)| SourceFile::new(name, text))
            .collect();
        Module::from_parsed(&files)
    }

    fn add_file(&mut self, rel: PathBuf, text: &str, parsed: &hcl::Parsed) {
        let mut counters = Counters::of(&self.declarations);
        for block in parsed.file.body.blocks() {
            declarations_of(block, text, &rel, &mut counters, &mut self.declarations);
        }
        self.files.push(ModuleFile {
            path: rel,
            bytes: text.len(),
            diagnostics: parsed.diagnostics.clone(),
        });
    }

    /// The declaration with this address.
    pub fn get(&self, address: &str) -> Option<&Declaration> {
        self.declarations.iter().find(|d| d.address == address)
    }

    /// Declarations of one kind, in file order.
    pub fn of_kind(&self, kind: DeclarationKind) -> impl Iterator<Item = &Declaration> {
        self.declarations.iter().filter(move |d| d.kind == kind)
    }

    /// The addresses `address` refers to that are declared in this module,
    /// deduplicated, in first-reference order.
    pub fn dependencies(&self, address: &str) -> Vec<&str> {
        let Some(d) = self.get(address) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = Vec::new();
        for r in &d.references {
            if let Some(target) = self.get(&r.subject) {
                if !out.contains(&target.address.as_str()) {
                    out.push(&target.address);
                }
            }
        }
        out
    }

    /// The declarations that refer to `address`.
    pub fn dependents(&self, address: &str) -> Vec<&str> {
        self.declarations
            .iter()
            .filter(|d| d.references.iter().any(|r| r.subject == address))
            .map(|d| d.address.as_str())
            .collect()
    }

    /// Every diagnostic of every file, with the file it belongs to.
    pub fn diagnostics(&self) -> impl Iterator<Item = (&Path, &Diagnostic)> {
        self.files
            .iter()
            .flat_map(|f| f.diagnostics.iter().map(move |d| (f.path.as_path(), d)))
    }
}

/// [`read_files`], parsed once while none of the directory's files changes
/// (names, sizes and modification times): a repository's examples call the
/// same modules, and a platform validates the same tree again and again.
/// Shared, since copying the trees costs about as much as parsing them.
pub(crate) fn read_files_cached(dir: &Path) -> Result<Arc<[SourceFile]>> {
    Ok(read_module_cached(dir)?.0)
}

/// [`read_files_cached`], with the variables files Terraform reads in
/// `dir` without being asked (`terraform.tfvars`, `*.auto.tfvars`), from the same listing.
pub(crate) fn read_module_cached(dir: &Path) -> Result<(Arc<[SourceFile]>, Vec<PathBuf>)> {
    type Stamp = (PathBuf, u64, Option<SystemTime>);
    type Kept = HashMap<PathBuf, (Vec<Stamp>, Arc<[SourceFile]>)>;
    static CACHE: Mutex<Option<(Kept, usize)>> = Mutex::new(None);
    /// Source bytes kept at most (their trees take several times more);
    /// beyond, the cache starts again.
    const KEPT_BYTES: usize = 16 << 20;
    // The key is the path made absolute, not resolved: resolving it
    // (a readlink per component) cost a small module's validation a
    // tenth of its time, and two spellings of one directory only cost a
    // second entry.
    let key = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
    let entries: Vec<std::fs::DirEntry> = std::fs::read_dir(&key)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    let var_files = eval::auto_files_of(&entries);
    let mut stamps: Vec<Stamp> = entries
        .iter()
        .filter_map(|e| {
            let name = e.file_name();
            if !is_config_file(&name.to_string_lossy()) {
                return None;
            }
            let meta = e.metadata().ok().filter(|m| m.is_file())?;
            Some((e.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    stamps.sort();
    let lock = || CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, files)) = lock()
        .as_ref()
        .and_then(|(kept, _)| kept.get(&key))
        .filter(|(stamped, _)| *stamped == stamps)
    {
        return Ok((Arc::clone(files), var_files));
    }
    // Parsing runs on rayon's pool: holding the lock through it would
    // deadlock a caller already on that pool (a recursive validation)
    // whose worker, while it waits, takes up another call that locks.
    let files: Arc<[SourceFile]> = read_files(dir)?.into();
    let mut cache = lock();
    let (kept, bytes) = cache.get_or_insert_with(|| (HashMap::new(), 0));
    let size: usize = files.iter().map(|f| f.text.len()).sum();
    if *bytes + size > KEPT_BYTES {
        kept.clear();
        *bytes = 0;
    }
    *bytes += size;
    if let Some((_, stale)) = kept.insert(key, (stamps, Arc::clone(&files))) {
        *bytes -= stale.iter().map(|f| f.text.len()).sum::<usize>();
    }
    Ok((files, var_files))
}

/// One file of a module directory, read and parsed.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative to the module directory.
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    /// Its syntax tree and diagnostics.
    pub parsed: hcl::Parsed,
}

impl SourceFile {
    /// A file of text already in hand (a model's answer, say), parsed as
    /// HCL or, for a `.tf.json` path, as Terraform JSON.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> SourceFile {
        let (path, text) = (path.into(), text.into());
        let parsed = match hcl::Syntax::for_path(&path) {
            hcl::Syntax::Native => hcl::parse(&text),
            hcl::Syntax::Json => hcl::tfjson::parse_json(&text),
        };
        SourceFile { path, text, parsed }
    }
}

/// Whether a file name is Terraform configuration: `.tf` or `.tf.json`.
pub(crate) fn is_config_file(name: &str) -> bool {
    name.ends_with(".tf") || name.ends_with(".tf.json")
}

/// Reads and parses every `.tf` and `.tf.json` file directly in `dir` (not
/// subdirectories: those are other modules), in parallel, in path order.
pub fn read_files(dir: &Path) -> Result<Vec<SourceFile>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_file() && is_config_file(&name) {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let parsed =
                hcl::parse_bytes(&bytes, hcl::Syntax::for_path(path), Some(path.as_path()))?;
            Ok(SourceFile {
                path: path.strip_prefix(dir).unwrap_or(path).to_path_buf(),
                text: String::from_utf8(bytes).unwrap_or_default(),
                parsed,
            })
        })
        .collect()
}

#[derive(Default)]
struct Counters {
    moved: usize,
    import: usize,
    removed: usize,
}

impl Counters {
    fn of(decls: &[Declaration]) -> Counters {
        let count = |k| decls.iter().filter(|d| d.kind == k).count();
        Counters {
            moved: count(DeclarationKind::Moved),
            import: count(DeclarationKind::Import),
            removed: count(DeclarationKind::Removed),
        }
    }
}

fn declarations_of(
    block: &Block,
    src: &str,
    file: &Path,
    counters: &mut Counters,
    out: &mut Vec<Declaration>,
) {
    let labels = block.label_values();
    let decl = |kind, address: String, resource_type: Option<&str>, name: &str| Declaration {
        kind,
        address,
        resource_type: resource_type.map(str::to_string),
        name: name.to_string(),
        file: file.to_path_buf(),
        span: block.span,
        references: references::in_body(&block.body, kind),
        details: Details::default(),
    };
    let address = block_address(block).unwrap_or_default();
    let mut d = match (block.kind.as_str(), labels.as_slice()) {
        ("resource", [t, n]) => decl(DeclarationKind::Resource, address, Some(t), n),
        ("data", [t, n]) => decl(DeclarationKind::Data, address, Some(t), n),
        ("ephemeral", [t, n]) => decl(DeclarationKind::Ephemeral, address, Some(t), n),
        ("variable", [n]) => decl(DeclarationKind::Variable, address, None, n),
        ("output", [n]) => decl(DeclarationKind::Output, address, None, n),
        ("module", [n]) => decl(DeclarationKind::Module, address, None, n),
        ("check", [n]) => decl(DeclarationKind::Check, address, None, n),
        ("provider", [n]) => {
            let mut d = decl(DeclarationKind::Provider, address, None, n);
            d.details.alias = string_attr(&block.body, "alias");
            d
        }
        ("terraform", []) => decl(DeclarationKind::Terraform, address, None, "terraform"),
        ("moved", []) => {
            counters.moved += 1;
            decl(
                DeclarationKind::Moved,
                format!("moved[{}]", counters.moved - 1),
                None,
                "moved",
            )
        }
        ("import", []) => {
            counters.import += 1;
            decl(
                DeclarationKind::Import,
                format!("import[{}]", counters.import - 1),
                None,
                "import",
            )
        }
        ("removed", []) => {
            counters.removed += 1;
            decl(
                DeclarationKind::Removed,
                format!("removed[{}]", counters.removed - 1),
                None,
                "removed",
            )
        }
        ("locals", []) => {
            for attr in block.body.attributes() {
                let mut d = Declaration {
                    kind: DeclarationKind::Local,
                    address: format!("local.{}", attr.name),
                    resource_type: None,
                    name: attr.name.clone(),
                    file: file.to_path_buf(),
                    span: attr.span,
                    references: references::in_expression(&attr.expr),
                    details: Details::default(),
                };
                d.details.value = constant_value(&attr.expr);
                out.push(d);
            }
            return;
        }
        _ => return,
    };
    fill_details(&mut d, block, src);
    out.push(d);
}

/// The address a top-level block declares, for the kinds named by their
/// labels: `aws_s3_bucket.logs`, `data.aws_ami.x`, `ephemeral.t.n`,
/// `var.region`, `output.arn`, `module.vpc`, `check.health`,
/// `provider.aws` (`provider.aws.west` with an alias), `terraform`.
pub fn block_address(block: &Block) -> Option<String> {
    Some(
        match (block.kind.as_str(), block.label_values().as_slice()) {
            ("resource", [t, n]) => format!("{t}.{n}"),
            ("data", [t, n]) => format!("data.{t}.{n}"),
            ("ephemeral", [t, n]) => format!("ephemeral.{t}.{n}"),
            ("variable", [n]) => format!("var.{n}"),
            ("output", [n]) => format!("output.{n}"),
            ("module", [n]) => format!("module.{n}"),
            ("check", [n]) => format!("check.{n}"),
            ("provider", [n]) => match string_attr(&block.body, "alias") {
                Some(a) => format!("provider.{n}.{a}"),
                None => format!("provider.{n}"),
            },
            ("terraform", []) => "terraform".to_string(),
            _ => return None,
        },
    )
}

fn string_attr(body: &Body, name: &str) -> Option<String> {
    body.attribute(name)
        .and_then(|a| match constant_value(&a.expr)? {
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
}

fn bool_attr(body: &Body, name: &str) -> Option<bool> {
    body.attribute(name)
        .and_then(|a| constant_value(&a.expr))
        .and_then(|v| v.as_bool())
}

fn fill_details(d: &mut Declaration, block: &Block, src: &str) {
    let body = &block.body;
    let source_of =
        |a: &hcl::Attribute| src.get(a.expr.span.bytes()).unwrap_or_default().to_string();
    let x = &mut d.details;
    x.description = string_attr(body, "description");
    x.count = body.attribute("count").is_some();
    x.for_each = body.attribute("for_each").is_some();
    match d.kind {
        DeclarationKind::Variable => {
            x.type_constraint = body.attribute("type").map(source_of);
            x.default = body
                .attribute("default")
                .and_then(|a| constant_value(&a.expr));
            x.sensitive = bool_attr(body, "sensitive");
            x.nullable = bool_attr(body, "nullable");
            x.validations = body
                .blocks_of("validation")
                .map(|v| Validation {
                    condition: v
                        .body
                        .attribute("condition")
                        .map(source_of)
                        .unwrap_or_default(),
                    error_message: string_attr(&v.body, "error_message"),
                })
                .collect();
        }
        DeclarationKind::Output => x.sensitive = bool_attr(body, "sensitive"),
        DeclarationKind::Module => {
            x.source = string_attr(body, "source");
            x.version = string_attr(body, "version");
        }
        DeclarationKind::Terraform => {
            x.required_version = string_attr(body, "required_version");
            for rp in body.blocks_of("required_providers") {
                for attr in rp.body.attributes() {
                    let entry = match constant_value(&attr.expr) {
                        Some(serde_json::Value::Object(m)) => RequiredProvider {
                            source: m.get("source").and_then(|v| v.as_str()).map(str::to_string),
                            version: m
                                .get("version")
                                .and_then(|v| v.as_str())
                                .map(str::to_string),
                        },
                        Some(serde_json::Value::String(v)) => RequiredProvider {
                            source: None,
                            version: Some(v),
                        },
                        _ => RequiredProvider::default(),
                    };
                    x.required_providers.insert(attr.name.clone(), entry);
                }
            }
            x.backend = body
                .blocks_of("backend")
                .next()
                .and_then(|b| b.labels.first())
                .map(|l| l.value.clone());
        }
        _ => {}
    }
}
