//! References: to variables, locals, resources, data sources, modules and
//! module outputs the module does not declare, and `count`, `each` and
//! `self` used where they mean nothing; worded and placed as Terraform
//! reports them.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{leading, suggestion, Finding, Fix, Severity};
use crate::hcl::{Block, Span};
use crate::terraform::references::{in_body, in_expression};
use crate::terraform::{DeclarationKind, Module, Reference, ReferenceKind, SourceFile};

/// What the module declares, by the names references use.
struct Declared<'a> {
    variables: Vec<&'a str>,
    locals: Vec<&'a str>,
    modules: Vec<&'a str>,
    /// `type.name`, `data.type.name`, `ephemeral.type.name`.
    addresses: HashSet<&'a str>,
    /// The outputs of module calls whose source is a local directory that
    /// could be read.
    outputs: HashMap<&'a str, Vec<String>>,
}

/// The outputs each local module call's directory declares, by call name.
fn module_outputs<'a>(module: &'a Module, dir: Option<&Path>) -> HashMap<&'a str, Vec<String>> {
    let Some(dir) = dir else {
        return HashMap::new();
    };
    module
        .of_kind(DeclarationKind::Module)
        .filter_map(|d| {
            let source = d.details.source.as_deref()?;
            if !(source.starts_with("./") || source.starts_with("../")) {
                return None;
            }
            let called = Module::load(dir.join(source)).ok()?;
            let names = called
                .of_kind(DeclarationKind::Output)
                .map(|o| o.name.clone())
                .collect();
            Some((d.name.as_str(), names))
        })
        .collect()
}

/// Checks every reference in `files`; module outputs are checked when the
/// module's directory `dir` is known.
pub(super) fn check(
    files: &[SourceFile],
    module: &Module,
    dir: Option<&Path>,
    out: &mut Vec<Finding>,
) {
    let names = |kind| -> Vec<&str> {
        let mut v: Vec<&str> = module.of_kind(kind).map(|d| d.name.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let declared = Declared {
        variables: names(DeclarationKind::Variable),
        locals: names(DeclarationKind::Local),
        modules: names(DeclarationKind::Module),
        addresses: module
            .declarations
            .iter()
            .filter(|d| {
                matches!(
                    d.kind,
                    DeclarationKind::Resource | DeclarationKind::Data | DeclarationKind::Ephemeral
                )
            })
            .map(|d| d.address.as_str())
            .collect(),
        outputs: module_outputs(module, dir),
    };
    for f in files {
        for block in f.parsed.file.body.blocks() {
            let context = Context::of(block);
            for r in references_of(block) {
                if let Some(finding) = judge(&r, &context, &declared, &f.path) {
                    out.push(finding);
                }
            }
        }
    }
}

/// The references a top-level block makes that Terraform evaluates.
fn references_of(block: &Block) -> Vec<Reference> {
    match block.kind.as_str() {
        "locals" => block
            .body
            .attributes()
            .flat_map(|a| in_expression(&a.expr))
            .collect(),
        // Addresses of things being moved, removed or imported are not
        // evaluated as references.
        "moved" | "removed" | "import" | "terraform" => Vec::new(),
        "variable" => in_body(&block.body, DeclarationKind::Variable),
        _ => in_body(&block.body, DeclarationKind::Resource),
    }
}

/// Where `count`, `each` and `self` mean something inside one block.
struct Context {
    count: bool,
    for_each: bool,
    /// Provisioner, connection and postcondition blocks, where `self` is
    /// the resource.
    self_in: Vec<Span>,
}

impl Context {
    fn of(block: &Block) -> Context {
        let instanced = matches!(block.kind.as_str(), "resource" | "data" | "module");
        let mut self_in = Vec::new();
        if block.kind == "resource" {
            collect_self_scopes(block, &mut self_in);
        }
        Context {
            count: instanced && block.body.attribute("count").is_some(),
            for_each: instanced && block.body.attribute("for_each").is_some(),
            self_in,
        }
    }
}

fn collect_self_scopes(block: &Block, out: &mut Vec<Span>) {
    for inner in block.body.blocks() {
        match inner.kind.as_str() {
            "provisioner" | "connection" | "postcondition" => out.push(inner.span),
            _ => collect_self_scopes(inner, out),
        }
    }
}

fn judge(r: &Reference, cx: &Context, declared: &Declared, file: &Path) -> Option<Finding> {
    let name = r.subject.split('.').nth(1).unwrap_or_default();
    let finding = |code: &str, summary: &str, detail: String, span: Span, fix: Option<Fix>| {
        Some(Finding {
            fix,
            ..Finding::new(Severity::Error, code, file, span, summary, detail)
        })
    };
    let fix = |prefix: &str, better: &str| Fix {
        message: format!("replace with {prefix}.{better}"),
        file: file.to_path_buf(),
        span: r.span,
        replacement: match (&r.attribute, r.kind) {
            (Some(a), ReferenceKind::Module) => format!("{prefix}.{better}.{a}"),
            _ => format!("{prefix}.{better}"),
        },
    };
    match r.kind {
        ReferenceKind::Variable if !declared.variables.contains(&name) => {
            let near = suggestion(name, declared.variables.iter().copied());
            let detail = match near {
                Some(n) => format!(
                    "An input variable with the name \"{name}\" has not been declared. Did you mean \"{n}\"?"
                ),
                None => format!(
                    "An input variable with the name \"{name}\" has not been declared. This \
                     variable can be declared with a variable \"{name}\" {{}} block."
                ),
            };
            finding(
                "undeclared_variable",
                "Reference to undeclared input variable",
                detail,
                r.span,
                near.map(|n| fix("var", n)),
            )
        }
        ReferenceKind::Local if !declared.locals.contains(&name) => {
            let detail = format!("A local value with the name \"{name}\" has not been declared.");
            let near = suggestion(name, declared.locals.iter().copied());
            finding(
                "undeclared_local",
                "Reference to undeclared local value",
                did_you_mean(detail, near),
                r.span,
                near.map(|n| fix("local", n)),
            )
        }
        ReferenceKind::Module if !declared.modules.contains(&name) => {
            let detail = format!("No module call named \"{name}\" is declared in the root module.");
            let near = suggestion(name, declared.modules.iter().copied());
            finding(
                "undeclared_module",
                "Reference to undeclared module",
                did_you_mean(detail, near),
                r.span,
                near.map(|n| fix("module", n)),
            )
        }
        ReferenceKind::Module => {
            let output = r.attribute.as_deref()?;
            let known = declared.outputs.get(name)?;
            if known.iter().any(|o| o == output) {
                return None;
            }
            finding(
                "undeclared_output",
                "Unsupported attribute",
                format!("This object does not have an attribute named \"{output}\"."),
                after(r.span, &r.subject),
                None,
            )
        }
        ReferenceKind::Resource | ReferenceKind::Data | ReferenceKind::Ephemeral
            if !declared.addresses.contains(r.subject.as_str()) =>
        {
            let parts: Vec<&str> = r.subject.split('.').collect();
            let (what, t, n) = match parts.as_slice() {
                ["data", t, n] => ("A data resource", *t, *n),
                ["ephemeral", t, n] => ("An ephemeral resource", *t, *n),
                [t, n] => ("A managed resource", *t, *n),
                _ => return None,
            };
            finding(
                "undeclared_resource",
                "Reference to undeclared resource",
                format!("{what} \"{t}\" \"{n}\" has not been declared in the root module."),
                r.span,
                None,
            )
        }
        ReferenceKind::Meta => meta(r, cx, file),
        _ => None,
    }
}

/// The part of `span` after its first `subject.len()` characters (the
/// `.output` of `module.x.output`), when it lies on one line.
fn after(span: Span, subject: &str) -> Span {
    if span.start.line != span.end.line {
        return span;
    }
    let mut start = span.start;
    start.byte += subject.len();
    start.column += subject.chars().count();
    Span {
        start,
        end: span.end,
    }
}

fn did_you_mean(detail: String, near: Option<&str>) -> String {
    match near {
        Some(n) => format!("{detail} Did you mean \"{n}\"?"),
        None => detail,
    }
}

/// `count`, `each` and `self` out of their contexts.
fn meta(r: &Reference, cx: &Context, file: &Path) -> Option<Finding> {
    let root = r.subject.split('.').next().unwrap_or_default();
    let (code, summary, detail, span) = match root {
        "count" if !cx.count => (
            "count_out_of_context",
            "Reference to \"count\" in non-counted context",
            "The \"count\" object can only be used in \"module\", \"resource\", and \"data\" \
             blocks, and only when the \"count\" argument is set.",
            r.span,
        ),
        "each" if !cx.for_each => (
            "each_out_of_context",
            "Reference to \"each\" in context without for_each",
            "The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only \
             when the \"for_each\" argument is set.",
            r.span,
        ),
        "self"
            if !cx
                .self_in
                .iter()
                .any(|s| s.bytes().contains(&r.span.start.byte)) =>
        {
            (
                "self_out_of_context",
                "Invalid \"self\" reference",
                "The \"self\" object is not available in this context. This object can be used \
                 only in resource provisioner, connection, and postcondition blocks.",
                leading(r.span, "self".len()),
            )
        }
        _ => return None,
    };
    Some(Finding::new(
        Severity::Error,
        code,
        file,
        span,
        summary,
        detail,
    ))
}
