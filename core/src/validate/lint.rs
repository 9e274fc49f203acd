//! Lint: the rules of tflint's terraform ruleset that need no provider,
//! as warnings coded by the tflint rule name (`terraform_typed_variables`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::structure::{header, range_text};
use super::{leading, Finding, Severity};
use crate::hcl::{
    BinaryOp, Block, Body, CommentStyle, ExprKind, Expression, Span, TemplatePart, TraversalOp,
};
use crate::terraform::{literal_key, DeclarationKind, Module, SourceFile};

pub(super) fn check(files: &[SourceFile], module: &Module, out: &mut Vec<Finding>) {
    for f in files {
        let mut lint = Lint {
            file: &f.path,
            out: &mut *out,
        };
        lint.comments(f);
        for block in f.parsed.file.body.blocks() {
            lint.declaration(block);
            each_expression(&block.body, &mut |e| lint.expression(e));
        }
    }
    unused(files, module, out);
    required_version(files, out);
    required_providers(files, module, out);
}

struct Lint<'a> {
    file: &'a Path,
    out: &'a mut Vec<Finding>,
}

impl Lint<'_> {
    fn warn(&mut self, code: &str, message: String, span: Span) {
        self.out.push(warning(self.file, code, message, span));
    }

    fn comments(&mut self, f: &SourceFile) {
        for c in &f.parsed.file.comments {
            if c.style == CommentStyle::DoubleSlash {
                self.warn(
                    "terraform_comment_syntax",
                    "Single line comments should begin with #".into(),
                    c.span,
                );
            }
        }
    }

    /// Names, types, descriptions and module sources of one declaration.
    fn declaration(&mut self, block: &Block) {
        let labels = block.label_values();
        let name = match (block.kind.as_str(), labels.as_slice()) {
            ("resource" | "data" | "ephemeral", [_, n]) => Some(*n),
            ("variable" | "output" | "module" | "check", [n]) => Some(*n),
            _ => None,
        };
        if let Some(n) = name.filter(|n| !snake_case(n)) {
            self.warn(
                "terraform_naming_convention",
                format!(
                    "{} name `{n}` must match the following format: snake_case",
                    block.kind
                ),
                header(block),
            );
        }
        if block.kind == "locals" {
            for a in block.body.attributes().filter(|a| !snake_case(&a.name)) {
                self.warn(
                    "terraform_naming_convention",
                    format!(
                        "local value name `{}` must match the following format: snake_case",
                        a.name
                    ),
                    a.name_span,
                );
            }
        }
        let described = |b: &Block| {
            b.body
                .attribute("description")
                .and_then(|a| match &a.expr.kind {
                    ExprKind::Template(t) => t.as_plain_string(),
                    _ => Some(String::from("(computed)")),
                })
                .is_some_and(|d| !d.is_empty())
        };
        match (block.kind.as_str(), name) {
            ("variable", Some(n)) => {
                if !described(block) {
                    let m = format!("`{n}` variable has no description");
                    self.warn("terraform_documented_variables", m, header(block));
                }
                if block.body.attribute("type").is_none() {
                    let m = format!("`{n}` variable has no type");
                    self.warn("terraform_typed_variables", m, header(block));
                }
            }
            ("output", Some(n)) if !described(block) => {
                let m = format!("`{n}` output has no description");
                self.warn("terraform_documented_outputs", m, header(block));
            }
            ("module", Some(_)) => self.pinned(block),
            _ => {}
        }
    }

    /// Git and Mercurial module sources must name a ref that is not a
    /// default branch.
    fn pinned(&mut self, block: &Block) {
        let Some(attr) = block.body.attribute("source") else {
            return;
        };
        let ExprKind::Template(t) = &attr.expr.kind else {
            return;
        };
        let Some(source) = t.as_plain_string() else {
            return;
        };
        let vcs = source.starts_with("git::")
            || source.starts_with("hg::")
            || source.starts_with("git@")
            || source.starts_with("github.com/")
            || source.starts_with("bitbucket.org/");
        if !vcs {
            return;
        }
        let query = source.split_once('?').map(|(_, q)| q);
        let pin = ["ref=", "rev="]
            .iter()
            .find_map(|key| query?.split('&').find_map(|kv| kv.strip_prefix(key)));
        let message = match pin {
            None => format!("Module source \"{source}\" is not pinned"),
            Some(b @ ("master" | "main" | "default" | "develop")) => {
                format!("Module source \"{source}\" uses a default branch as ref ({b})")
            }
            Some(_) => return,
        };
        self.warn("terraform_module_pinned_source", message, attr.expr.span);
    }

    fn expression(&mut self, e: &Expression) {
        match &e.kind {
            ExprKind::Template(t)
                if matches!(t.parts.as_slice(), [TemplatePart::Interpolation { .. }])
                    && matches!(t.style, crate::hcl::TemplateStyle::Quoted) =>
            {
                self.warn(
                    "terraform_deprecated_interpolation",
                    "Interpolation-only expressions are deprecated in Terraform v0.12.14".into(),
                    e.span,
                );
            }
            ExprKind::Traversal { ops, .. } => self.legacy_ops(ops),
            ExprKind::Object { items } => {
                let mut seen: HashMap<String, Span> = HashMap::new();
                for item in items {
                    let Some(key) = literal_key(&item.key) else {
                        continue;
                    };
                    match seen.get(&key) {
                        Some(first) => {
                            let m = format!(
                                "Duplicate key: \"{key}\", first defined at {}",
                                range_text(self.file, *first)
                            );
                            self.warn("terraform_map_duplicate_keys", m, item.key.span);
                        }
                        None => {
                            seen.insert(key, item.key.span);
                        }
                    }
                }
            }
            ExprKind::Binary {
                op: BinaryOp::Eq | BinaryOp::Ne,
                lhs,
                rhs,
            } if [lhs, rhs]
                .iter()
                .any(|s| matches!(&s.kind, ExprKind::Tuple { items } if items.is_empty())) =>
            {
                self.warn(
                    "terraform_empty_list_equality",
                    "Comparing a collection with an empty list is invalid. To detect an empty \
                     collection, check its length."
                        .into(),
                    e.span,
                );
            }
            _ => {}
        }
    }

    fn legacy_ops(&mut self, ops: &[TraversalOp]) {
        for op in ops {
            match op {
                TraversalOp::LegacyIndex { span, .. } => self.warn(
                    "terraform_deprecated_index",
                    "List items should be accessed using square brackets".into(),
                    *span,
                ),
                TraversalOp::AttrSplat { span, ops } => {
                    // The `.*` itself; the splat's span runs on over its steps.
                    let span = leading(*span, 2);
                    self.warn(
                        "terraform_deprecated_index",
                        "Legacy splat expressions (.*) are deprecated and should be replaced \
                         with full splat expressions ([*])"
                            .into(),
                        span,
                    );
                    self.legacy_ops(ops);
                }
                TraversalOp::FullSplat { ops, .. } => self.legacy_ops(ops),
                _ => {}
            }
        }
    }
}

fn warning(file: &Path, code: &str, message: String, span: Span) -> Finding {
    Finding::new(Severity::Warning, code, file, span, message, "")
}

/// tflint's snake_case: lower-case letters and digits in `_`-joined words,
/// starting with a letter.
fn snake_case(name: &str) -> bool {
    name.split('_').enumerate().all(|(i, w)| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && (i > 0 || w.as_bytes()[0].is_ascii_lowercase())
    })
}

/// Every expression in `body` and the bodies nested in it.
fn each_expression<'a>(body: &'a Body, f: &mut dyn FnMut(&'a Expression)) {
    for a in body.attributes() {
        a.expr.walk(f);
    }
    for b in body.blocks() {
        each_expression(&b.body, f);
    }
}

/// Variables, locals and data sources nothing else in the module refers to.
fn unused(files: &[SourceFile], module: &Module, out: &mut Vec<Finding>) {
    let used: HashSet<&str> = module
        .declarations
        .iter()
        .flat_map(|d| {
            d.references
                .iter()
                .filter(move |r| r.subject != d.address)
                .map(|r| r.subject.as_str())
        })
        .collect();
    for f in files {
        for block in f.parsed.file.body.blocks() {
            let labels = block.label_values();
            let found = match (block.kind.as_str(), labels.as_slice()) {
                ("variable", [n]) if !used.contains(format!("var.{n}").as_str()) => Some((
                    format!("variable \"{n}\" is declared but not used"),
                    header(block),
                )),
                ("data", [t, n]) if !used.contains(format!("data.{t}.{n}").as_str()) => Some((
                    format!("data \"{t}\" \"{n}\" is declared but not used"),
                    header(block),
                )),
                ("locals", []) => {
                    for a in block.body.attributes() {
                        if !used.contains(format!("local.{}", a.name).as_str()) {
                            out.push(warning(
                                &f.path,
                                "terraform_unused_declarations",
                                format!("local.{} is declared but not used", a.name),
                                a.span,
                            ));
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some((message, span)) = found {
                out.push(warning(
                    &f.path,
                    "terraform_unused_declarations",
                    message,
                    span,
                ));
            }
        }
    }
}

/// The module's `terraform` blocks, with their files.
fn terraform_blocks(files: &[SourceFile]) -> impl Iterator<Item = (&Path, &Block)> {
    files.iter().flat_map(|f| {
        f.parsed
            .file
            .body
            .blocks_of("terraform")
            .map(move |b| (f.path.as_path(), b))
    })
}

fn required_version(files: &[SourceFile], out: &mut Vec<Finding>) {
    if files.is_empty()
        || terraform_blocks(files).any(|(_, b)| b.body.attribute("required_version").is_some())
    {
        return;
    }
    let (file, span) = terraform_blocks(files)
        .next()
        .map(|(f, b)| (f, header(b)))
        .unwrap_or((files[0].path.as_path(), Span::default()));
    let mut span = span;
    if span.start.line == 0 {
        span.start.line = 1;
        span.start.column = 1;
        span.end = span.start;
    }
    out.push(warning(
        file,
        "terraform_required_version",
        "terraform \"required_version\" attribute is required".into(),
        span,
    ));
}

/// Every provider the module's resources and data sources use must be in
/// `required_providers` with a source and a version.
fn required_providers(files: &[SourceFile], module: &Module, out: &mut Vec<Finding>) {
    let required = module
        .of_kind(DeclarationKind::Terraform)
        .flat_map(|d| d.details.required_providers.iter())
        .collect::<HashMap<_, _>>();
    let mut reported = HashSet::new();
    for f in files {
        for block in f.parsed.file.body.blocks() {
            let labels = block.label_values();
            let provider = match (block.kind.as_str(), labels.as_slice()) {
                ("resource" | "data" | "ephemeral", [t, _]) => block
                    .body
                    .attribute("provider")
                    .and_then(|a| provider_name(&a.expr))
                    .unwrap_or_else(|| t.split('_').next().unwrap_or(t).to_string()),
                ("provider", [n]) => n.to_string(),
                _ => continue,
            };
            // Built into Terraform: nothing to require.
            if provider == "terraform" || !reported.insert(provider.clone()) {
                continue;
            }
            let message = match required.get(&provider) {
                None => format!(
                    "Missing version constraint for provider \"{provider}\" in `required_providers`"
                ),
                Some(r) if r.version.is_none() => format!(
                    "Missing version constraint for provider \"{provider}\" in `required_providers`"
                ),
                Some(r) if r.source.is_none() => {
                    format!("Missing `source` for provider \"{provider}\" in `required_providers`")
                }
                Some(_) => continue,
            };
            out.push(warning(
                &f.path,
                "terraform_required_providers",
                message,
                header(block),
            ));
        }
    }
}

/// `aws` of `provider = aws.west`.
fn provider_name(e: &Expression) -> Option<String> {
    match &e.kind {
        ExprKind::Variable { name } => Some(name.clone()),
        ExprKind::Traversal { target, .. } => provider_name(target),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_is_tflints() {
        for ok in ["a", "bucket", "s3_bucket", "a1_b2", "x_1"] {
            assert!(snake_case(ok), "{ok}");
        }
        for bad in ["", "Bucket", "s3Bucket", "a__b", "_a", "a_", "1a", "a-b"] {
            assert!(!snake_case(bad), "{bad}");
        }
    }
}
