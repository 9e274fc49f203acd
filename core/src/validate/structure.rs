//! Structure: unknown blocks, wrong labels, arguments where they do not
//! belong, declarations made twice and `count` beside `for_each`, worded
//! and placed as Terraform reports them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Finding, Related, Severity};
use crate::hcl::{Block, Span};
use crate::terraform::SourceFile;

pub(super) fn check(files: &[SourceFile], out: &mut Vec<Finding>) {
    let mut first: HashMap<String, (PathBuf, Span)> = HashMap::new();
    for f in files {
        for block in f.parsed.file.body.blocks() {
            for (key, span, words) in declared(block) {
                match first.get(&key) {
                    Some((file, at)) => out.push(duplicate(&f.path, span, file, *at, words)),
                    None => {
                        first.insert(key, (f.path.clone(), span));
                    }
                }
            }
            count_and_for_each(&f.path, block, out);
            shape(&f.path, block, out);
        }
    }
}

/// What a duplicate of a declaration is called: code, summary, and the
/// detail's parts before and after the first declaration's place.
struct Words {
    code: &'static str,
    summary: String,
    before: String,
    after: &'static str,
}

/// The names `block` declares, each with the range Terraform reports and
/// the words for a duplicate.
fn declared(block: &Block) -> Vec<(String, Span, Words)> {
    let labels = block.label_values();
    let header = header(block);
    let one = |key: String, words: Words| vec![(key, header, words)];
    match (block.kind.as_str(), labels.as_slice()) {
        ("resource", [t, n]) => one(
            format!("{t}.{n}"),
            Words {
                code: "duplicate_resource",
                summary: format!("Duplicate resource \"{t}\" configuration"),
                before: format!("A {t} resource named \"{n}\" was already declared at"),
                after: "Resource names must be unique per type in each module.",
            },
        ),
        ("data", [t, n]) => one(
            format!("data.{t}.{n}"),
            Words {
                code: "duplicate_data",
                summary: format!("Duplicate data \"{t}\" configuration"),
                before: format!("A {t} data resource named \"{n}\" was already declared at"),
                after: "Resource names must be unique per type in each module.",
            },
        ),
        ("variable", [n]) => one(
            format!("var.{n}"),
            Words {
                code: "duplicate_variable",
                summary: "Duplicate variable declaration".into(),
                before: format!("A variable named \"{n}\" was already declared at"),
                after: "Variable names must be unique within a module.",
            },
        ),
        ("output", [n]) => one(
            format!("output.{n}"),
            Words {
                code: "duplicate_output",
                summary: "Duplicate output definition".into(),
                before: format!("An output named \"{n}\" was already defined at"),
                after: "Output names must be unique within a module.",
            },
        ),
        ("module", [n]) => one(
            format!("module.{n}"),
            Words {
                code: "duplicate_module",
                summary: "Duplicate module call".into(),
                before: format!("A module call named \"{n}\" was already defined at"),
                after: "Module calls must have unique names within a module.",
            },
        ),
        ("locals", []) => block
            .body
            .attributes()
            .map(|a| {
                let n = &a.name;
                (
                    format!("local.{n}"),
                    a.span,
                    Words {
                        code: "duplicate_local",
                        summary: "Duplicate local value definition".into(),
                        before: format!("A local value named \"{n}\" was already defined at"),
                        after: "Local value names must be unique within a module.",
                    },
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn duplicate(file: &Path, span: Span, first_file: &Path, first: Span, w: Words) -> Finding {
    let place = range_text(first_file, first);
    Finding {
        severity: Severity::Error,
        code: w.code.into(),
        summary: w.summary,
        detail: format!("{} {place}. {}", w.before, w.after),
        file: file.to_path_buf(),
        span,
        related: vec![Related {
            file: first_file.to_path_buf(),
            span: first,
            message: "first declared here".into(),
        }],
        fix: None,
    }
}

/// The labels each top-level block type takes, by name.
fn labels_of(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "resource" | "data" | "ephemeral" => &["type", "name"],
        "variable" | "output" | "module" | "provider" | "check" => &["name"],
        "terraform" | "locals" | "moved" | "import" | "removed" => &[],
        _ => return None,
    })
}

/// What a nested block may hold: required and optional arguments, and
/// nested block types. Only the blocks whose contents Terraform fixes
/// without a provider schema.
struct Contents {
    required: &'static [&'static str],
    optional: &'static [&'static str],
    blocks: &'static [&'static str],
}

fn contents_of(kind: &str) -> Option<Contents> {
    Some(match kind {
        "lifecycle" => Contents {
            required: &[],
            optional: &[
                "create_before_destroy",
                "prevent_destroy",
                "ignore_changes",
                "replace_triggered_by",
            ],
            blocks: &["precondition", "postcondition"],
        },
        "moved" => Contents {
            required: &["from", "to"],
            optional: &[],
            blocks: &[],
        },
        "import" => Contents {
            required: &["to", "id"],
            optional: &["provider", "for_each"],
            blocks: &[],
        },
        "removed" => Contents {
            required: &["from"],
            optional: &[],
            blocks: &["lifecycle", "provisioner", "connection"],
        },
        _ => return None,
    })
}

/// A block's type and labels, and the contents of `lifecycle`, `moved`,
/// `import` and `removed` blocks.
fn shape(file: &Path, block: &Block, out: &mut Vec<Finding>) {
    let error = |code: &str, summary: String, detail: String, span: Span| {
        Finding::new(Severity::Error, code, file, span, summary, detail)
    };
    let kind = block.kind.as_str();
    let Some(names) = labels_of(kind) else {
        out.push(error(
            "unknown_block",
            "Unsupported block type".into(),
            format!("Blocks of type \"{kind}\" are not expected here."),
            block.kind_span,
        ));
        return;
    };
    let given = block.labels.len();
    if given < names.len() {
        out.push(error(
            "missing_label",
            format!("Missing {} for {kind}", names[given]),
            format!(
                "All {kind} blocks must have {} labels ({}).",
                names.len(),
                names.join(", ")
            ),
            block.open_brace,
        ));
    } else if given > names.len() {
        let detail = if names.is_empty() {
            format!("No labels are expected for {kind} blocks.")
        } else {
            format!(
                "Only {} labels ({}) are expected for {kind} blocks.",
                names.len(),
                names.join(", ")
            )
        };
        out.push(error(
            "extra_label",
            format!("Extraneous label for {kind}"),
            detail,
            block.labels[names.len()].span,
        ));
    }
    let mut nested: Vec<&Block> = vec![block];
    if matches!(kind, "resource" | "data" | "ephemeral" | "module") {
        nested = block.body.blocks_of("lifecycle").collect();
    }
    for b in nested {
        let Some(allowed) = contents_of(&b.kind) else {
            continue;
        };
        for attr in b.body.attributes() {
            let name = attr.name.as_str();
            if !allowed.required.contains(&name) && !allowed.optional.contains(&name) {
                out.push(error(
                    "unknown_argument",
                    "Unsupported argument".into(),
                    format!("An argument named \"{name}\" is not expected here."),
                    attr.name_span,
                ));
            }
        }
        for inner in b.body.blocks() {
            if !allowed.blocks.contains(&inner.kind.as_str()) {
                out.push(error(
                    "unknown_block",
                    "Unsupported block type".into(),
                    format!("Blocks of type \"{}\" are not expected here.", inner.kind),
                    inner.kind_span,
                ));
            }
        }
        for name in allowed.required {
            if b.body.attribute(name).is_none() {
                out.push(error(
                    "missing_argument",
                    "Missing required argument".into(),
                    format!("The argument \"{name}\" is required, but no definition was found."),
                    b.open_brace,
                ));
            }
        }
    }
}

fn count_and_for_each(file: &Path, block: &Block, out: &mut Vec<Finding>) {
    if !matches!(block.kind.as_str(), "resource" | "data" | "module") {
        return;
    }
    let (Some(_), Some(for_each)) = (
        block.body.attribute("count"),
        block.body.attribute("for_each"),
    ) else {
        return;
    };
    out.push(Finding::new(
        Severity::Error,
        "count_and_for_each",
        file,
        for_each.name_span,
        "Invalid combination of \"count\" and \"for_each\"",
        "The \"count\" and \"for_each\" meta-arguments are mutually-exclusive, only one \
         should be used to be explicit about the number of resources to be created.",
    ));
}

/// A block's header: its type and labels, without the brace.
pub(super) fn header(block: &Block) -> Span {
    block.header_span()
}

/// A range as Terraform writes it in messages: `main.tf:9,1-30`, or
/// `main.tf:9,1-12,2` across lines.
pub(super) fn range_text(file: &Path, span: Span) -> String {
    let (s, e) = (span.start, span.end);
    if s.line == e.line {
        format!("{}:{},{}-{}", file.display(), s.line, s.column, e.column)
    } else {
        format!(
            "{}:{},{}-{},{}",
            file.display(),
            s.line,
            s.column,
            e.line,
            e.column
        )
    }
}
