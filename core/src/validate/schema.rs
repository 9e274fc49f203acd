//! Provider schemas: resource and data-source types, their arguments and
//! nested blocks, checked as `terraform validate` checks them once the
//! aws, azurerm and google providers are installed, worded as Terraform
//! words them, from the schemas in [`crate::providers`].
//!
//! When a module's `required_providers` asks for a version the embedded
//! schema is not, what the schema does not know may simply be newer (or
//! older): those findings are warnings that name both versions.

use std::collections::BTreeMap;
use std::path::Path;

use super::{suggestion, Finding, Fix, Severity};
use crate::hcl::{Block, Body, ExprKind, Expression, Span};
use crate::providers::{self, Block as Schema, Nesting, Provider};
use crate::terraform::eval::{self, Scope};
use crate::terraform::SourceFile;

/// Arguments and blocks Terraform itself reads in resource and data blocks.
const META_ARGUMENTS: [&str; 4] = ["count", "for_each", "provider", "depends_on"];
const META_BLOCKS: [&str; 3] = ["lifecycle", "provisioner", "connection"];

pub(super) fn check(files: &[SourceFile], out: &mut Vec<Finding>) {
    // Terraform reads no schema while the configuration does not parse.
    if files
        .iter()
        .any(|f| f.parsed.diagnostics.iter().any(|d| d.is_error()))
    {
        return;
    }
    let wanted = required_versions(files);
    let mut announced: Vec<&str> = Vec::new();
    for f in files {
        for block in f.parsed.file.body.blocks() {
            let data = match block.kind.as_str() {
                "resource" => false,
                "data" => true,
                _ => continue,
            };
            let Some(type_label) = block.labels.first() else {
                continue;
            };
            let Some((provider, beta)) = provider_of(block, &type_label.value, &wanted) else {
                continue;
            };
            // A constraint the embedded version does not meet: findings
            // become warnings naming both versions, and the module hears
            // it once.
            let mismatch = wanted
                .get(provider.name.as_str())
                .and_then(|w| w.version.as_ref())
                .filter(|(c, _, _)| allows(c, &provider.version) == Some(false));
            if let Some((constraint, file, span)) = mismatch {
                if !announced.contains(&provider.name.as_str()) {
                    announced.push(&provider.name);
                    out.push(Finding::new(
                        Severity::Warning,
                        "schema.provider_version",
                        file,
                        *span,
                        "Provider version not described",
                        format!(
                            "This module requires {} {constraint}; infrarag's schema describes {} {}. \
                             What that schema does not know is reported as a warning, as it may \
                             be the other version's.",
                            provider.short_source(),
                            provider.short_source(),
                            provider.version
                        ),
                    ));
                }
            }
            let mut checker = Checker {
                file: &f.path,
                provider,
                severity: if mismatch.is_some() || beta {
                    Severity::Warning
                } else {
                    Severity::Error
                },
                wanted: mismatch.map(|(c, _, _)| c.as_str()),
                beta,
                out,
            };
            checker.top(block, &type_label.value, type_label.span, data);
        }
    }
}

/// What `required_providers` says of one provider: its source and its
/// version constraint with where it is written.
#[derive(Default)]
struct Wanted {
    source: Option<String>,
    version: Option<(String, std::path::PathBuf, Span)>,
}

fn required_versions(files: &[SourceFile]) -> BTreeMap<String, Wanted> {
    let mut out: BTreeMap<String, Wanted> = BTreeMap::new();
    for f in files {
        for tf in f.parsed.file.body.blocks_of("terraform") {
            for rp in tf.body.blocks_of("required_providers") {
                for attr in rp.body.attributes() {
                    let Ok(value) = eval::evaluate(&attr.expr, &Scope::default()) else {
                        continue;
                    };
                    let entry = out.entry(attr.name.clone()).or_default();
                    let field = |k: &str| value.entries()?.get(k)?.as_str().map(str::to_string);
                    // `aws = "~> 5.0"` is the pre-0.13 shorthand for a version.
                    let version = field("version").or_else(|| value.as_str().map(str::to_string));
                    entry.source = field("source").or(entry.source.take());
                    if let Some(v) = version {
                        entry.version = Some((v, f.path.clone(), attr.span));
                    }
                }
            }
        }
    }
    out
}

/// The embedded provider a resource block uses: its `provider` argument's
/// local name, or its type's prefix; none when `required_providers` maps
/// that name to another source than HashiCorp's. `google-beta` is checked
/// against google's schema, which it extends (so the flag: what google's
/// schema lacks may be beta's).
fn provider_of(
    block: &Block,
    type_name: &str,
    wanted: &BTreeMap<String, Wanted>,
) -> Option<(&'static Provider, bool)> {
    let local = match block.body.attribute("provider") {
        Some(attr) => root_name(&attr.expr)?,
        None => type_name.split('_').next()?.to_string(),
    };
    let beta = local == "google-beta";
    let provider = providers::provider(if beta { "google" } else { &local })?;
    if let Some(source) = wanted.get(&local).and_then(|w| w.source.as_deref()) {
        let source = source.to_ascii_lowercase();
        let source = source
            .strip_prefix("registry.terraform.io/")
            .unwrap_or(&source);
        let expected = if beta {
            "hashicorp/google-beta"
        } else {
            provider.short_source()
        };
        if source != expected {
            return None;
        }
    }
    Some((provider, beta))
}

/// `aws` of `aws.west`.
fn root_name(e: &Expression) -> Option<String> {
    match &e.kind {
        ExprKind::Variable { name } => Some(name.clone()),
        ExprKind::Traversal { target, .. } => root_name(target),
        _ => None,
    }
}

struct Checker<'a> {
    file: &'a Path,
    provider: &'static Provider,
    severity: Severity,
    /// The constraint the embedded version misses, when it does.
    wanted: Option<&'a str>,
    /// A google-beta resource, checked against google's schema.
    beta: bool,
    out: &'a mut Vec<Finding>,
}

impl Checker<'_> {
    fn push(&mut self, code: &str, span: Span, summary: String, detail: String) {
        self.push_fix(code, span, summary, detail, None);
    }

    /// A finding whose "Did you mean" names `better`, offered as a fix
    /// that writes it at `span` (`quoted` for a block label).
    fn push_near(
        &mut self,
        code: &str,
        span: Span,
        summary: &str,
        detail: String,
        better: &str,
        quoted: bool,
    ) {
        let fix = self.replace_with(span, better, quoted);
        let detail = format!("{detail} Did you mean {better:?}?");
        self.push_fix(code, span, summary.into(), detail, Some(fix));
    }

    /// The fix that writes `better` at `span` (`quoted` for a block label).
    fn replace_with(&self, span: Span, better: &str, quoted: bool) -> Fix {
        Fix {
            message: format!("replace with {better}"),
            file: self.file.to_path_buf(),
            span,
            replacement: if quoted {
                format!("{better:?}")
            } else {
                better.to_string()
            },
        }
    }

    fn push_fix(
        &mut self,
        code: &str,
        span: Span,
        summary: String,
        detail: String,
        fix: Option<Fix>,
    ) {
        let p = self.provider;
        let checked = match self.wanted {
            None => format!("Checked against {} {}.", p.short_source(), p.version),
            Some(c) => format!(
                "Checked against {} {}; the module requires {c}, which may know it.",
                p.short_source(),
                p.version
            ),
        };
        let beta = if self.beta {
            " The resource uses google-beta, whose schema extends this one."
        } else {
            ""
        };
        let detail = format!("{detail}\n\n{checked}{beta}");
        self.out.push(Finding {
            fix,
            ..Finding::new(self.severity, code, self.file, span, summary, detail)
        });
    }

    fn top(&mut self, block: &Block, type_name: &str, type_span: Span, data: bool) {
        let p = self.provider;
        let (types, what, summary, code) = if data {
            (
                &p.data_sources,
                "data source",
                "Invalid data source",
                "schema.invalid_data_source",
            )
        } else {
            (
                &p.resources,
                "resource type",
                "Invalid resource type",
                "schema.invalid_resource_type",
            )
        };
        let Some(info) = types.get(type_name) else {
            let detail = format!(
                "The provider {} does not support {what} {type_name:?}.",
                p.short_source()
            );
            match suggestion(type_name, types.keys().map(String::as_str)) {
                Some(s) => self.push_near(code, type_span, summary, detail, s, true),
                None => self.push(code, type_span, summary.into(), detail),
            }
            return;
        };
        self.body(&block.body, info.schema(), block.open_brace, true);
    }

    /// Checks `body` against `schema`; `top` admits the meta-arguments.
    fn body(&mut self, body: &Body, schema: &Schema, open_brace: Span, top: bool) {
        self.arguments(body, schema, top);
        self.required(body, schema, open_brace);
        let seen = self.nested(body, schema, top);
        self.counts(&seen, schema, open_brace);
    }

    /// Each argument written: known, settable, not a block.
    fn arguments(&mut self, body: &Body, schema: &Schema, top: bool) {
        for attr in body.attributes() {
            if top && META_ARGUMENTS.contains(&attr.name.as_str()) {
                continue;
            }
            match schema.attributes.get(&attr.name) {
                Some(a) if !a.settable() && is_set(&attr.expr) => self.push(
                    "schema.computed_argument",
                    attr.name_span,
                    "Computed attributes cannot be set".into(),
                    format!("Computed attributes cannot be set, but a value was set for {:?}.", attr.name),
                ),
                Some(_) => {}
                None if schema.blocks.contains_key(&attr.name) => self.push(
                    "schema.unsupported_argument",
                    attr.name_span,
                    "Unsupported argument".into(),
                    format!(
                        "An argument named {:?} is not expected here. Did you mean to define a block of type {:?}?",
                        attr.name, attr.name
                    ),
                ),
                None => {
                    let detail = format!("An argument named {:?} is not expected here.", attr.name);
                    let names = schema.attributes.iter().filter(|(_, a)| a.settable()).map(|(n, _)| n.as_str());
                    let code = "schema.unsupported_argument";
                    match suggestion(&attr.name, names.clone()) {
                        Some(s) => self.push_near(code, attr.name_span, "Unsupported argument", detail, s, false),
                        None => {
                            // Terraform suggests nothing this far from a name;
                            // the fix still offers the argument the invented one
                            // spells out (`bucket_name`: `bucket`), unset here.
                            let fix = widened(&attr.name, names.filter(|n| body.attribute(n).is_none()))
                                .map(|better| self.replace_with(attr.name_span, better, false));
                            self.push_fix(code, attr.name_span, "Unsupported argument".into(), detail, fix)
                        }
                    }
                }
            }
        }
    }

    /// Each required argument, present.
    fn required(&mut self, body: &Body, schema: &Schema, open_brace: Span) {
        for (name, a) in &schema.attributes {
            if a.required && body.attribute(name).is_none() {
                self.push(
                    "schema.missing_argument",
                    open_brace,
                    "Missing required argument".into(),
                    format!("The argument {name:?} is required, but no definition was found."),
                );
            }
        }
    }

    /// Each nested block written (its content checked in turn), grouped
    /// by type, with whether a `dynamic` block makes their count unknown.
    fn nested<'b>(&mut self, body: &'b Body, schema: &Schema, top: bool) -> Seen<'b> {
        let mut seen = Seen::new();
        for block in body.blocks() {
            if top && META_BLOCKS.contains(&block.kind.as_str()) {
                continue;
            }
            let (name, content, span, dynamic) = match block.kind.as_str() {
                "dynamic" => {
                    let Some(label) = block.labels.first() else {
                        continue;
                    };
                    let content = block.body.blocks_of("content").next();
                    (label.value.as_str(), content, label.span, true)
                }
                kind => (kind, Some(block), block.kind_span, false),
            };
            match schema.blocks.get(name) {
                Some(nested) => {
                    let entry = seen.entry(name).or_default();
                    entry.1 |= dynamic;
                    if let Some(content) = content {
                        entry.0.push(block);
                        if nested.nesting != Nesting::Opaque {
                            self.body(&content.body, &nested.block, content.open_brace, false);
                        }
                    }
                }
                // Attributes of lists of objects may be written as blocks
                // (SDKv2's "attributes as blocks").
                None if schema.attributes.get(name).is_some_and(|a| holds_objects(&a.ty)) => {}
                None if schema.attributes.get(name).is_some_and(|a| a.settable()) => self.push(
                    "schema.unsupported_block",
                    span,
                    "Unsupported block type".into(),
                    format!(
                        "Blocks of type {name:?} are not expected here. Did you mean to define argument {name:?}? \
                         If so, use the equals sign to assign it a value."
                    ),
                ),
                None => {
                    let detail = format!("Blocks of type {name:?} are not expected here.");
                    let code = "schema.unsupported_block";
                    match suggestion(name, schema.blocks.keys().map(String::as_str)) {
                        // A dynamic block's type is its quoted label.
                        Some(s) => self.push_near(code, span, "Unsupported block type", detail, s, dynamic),
                        None => self.push(code, span, "Unsupported block type".into(), detail),
                    }
                }
            }
        }
        seen
    }

    /// Each block type's count within its limits, when it is known.
    fn counts(&mut self, seen: &Seen<'_>, schema: &Schema, open_brace: Span) {
        for (name, nested) in &schema.blocks {
            let (blocks, dynamic) = seen
                .get(name.as_str())
                .map_or((&[][..], false), |(b, d)| (&b[..], *d));
            if dynamic {
                continue;
            }
            let count = blocks.len() as u32;
            if count < nested.min_items {
                let (summary, detail) = if nested.nesting == Nesting::Single {
                    (
                        format!("Missing {name} block"),
                        format!("A block of type {name:?} is required here."),
                    )
                } else {
                    (
                        format!("Insufficient {name} blocks"),
                        format!(
                            "At least {} {name:?} blocks are required.",
                            nested.min_items
                        ),
                    )
                };
                self.push("schema.missing_block", open_brace, summary, detail);
            }
            if let Some(max) = nested.max_items.filter(|m| count > *m) {
                let extra = blocks[max as usize];
                let (summary, detail) = if nested.nesting == Nesting::Single {
                    (
                        format!("Duplicate {name} block"),
                        format!("Only one block of type {name:?} is allowed."),
                    )
                } else {
                    (
                        format!("Too many {name} blocks"),
                        format!("No more than {max} {name:?} blocks are allowed"),
                    )
                };
                self.push("schema.too_many_blocks", extra.kind_span, summary, detail);
            }
        }
    }
}

/// Blocks written, by type, and whether a `dynamic` one is among them.
type Seen<'b> = BTreeMap<&'b str, (Vec<&'b Block>, bool)>;

/// Whether an expression sets a value: anything but `null`, or a
/// reference whose value is not known here (Terraform accepts `null` for a
/// computed attribute, and judges references only when they are known).
fn is_set(e: &Expression) -> bool {
    eval::evaluate(e, &Scope::default()).is_ok_and(|v| v.is_wholly_known() && !v.is_null())
}

/// A list, set or map of objects: Terraform's type notation
/// `["list", ["object", {...}]]`.
fn holds_objects(ty: &serde_json::Value) -> bool {
    ty.get(1)
        .and_then(|inner| inner.get(0))
        .and_then(|k| k.as_str())
        == Some("object")
}

/// Whether a version constraint (`>= 6.28, < 7.0`, `~> 5.0`) admits
/// `version`; `None` when it cannot be read.
pub(crate) fn allows(constraint: &str, version: &str) -> Option<bool> {
    let have = parse_version(version)?;
    let mut ok = true;
    for part in constraint.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (op, rest) = ["~>", ">=", "<=", "!=", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|r| (*op, r.trim())))
            .unwrap_or(("=", part));
        let want = parse_version(rest)?;
        let given = rest.split('.').count();
        ok &= match op {
            ">=" => have >= want,
            "<=" => have <= want,
            ">" => have > want,
            "<" => have < want,
            "!=" => have != want,
            "=" => have == want,
            _ => {
                // `~> 5.1` allows 5.x from 5.1; `~> 5.1.2` allows 5.1.x from 5.1.2.
                let keep = given.saturating_sub(1).max(1);
                have >= want && have[..keep] == want[..keep]
            }
        };
    }
    Some(ok)
}

fn parse_version(v: &str) -> Option<[u64; 3]> {
    let v = v.trim().trim_start_matches('v');
    let core = v.split(['-', '+']).next()?;
    let mut out = [0u64; 3];
    for (i, part) in core.split('.').enumerate() {
        *out.get_mut(i)? = part.parse().ok()?;
    }
    Some(out)
}

/// The one name of `names` that `invented` extends by whole words before or
/// after it (`bucket_name` or `s3_bucket` for `bucket`); `None` when no
/// name, or more than one, fits.
fn widened<'a>(invented: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut fits = names.filter(|n| {
        invented.len() > n.len()
            && ((invented.starts_with(n) && invented[n.len()..].starts_with('_'))
                || (invented.ends_with(n) && invented[..invented.len() - n.len()].ends_with('_')))
    });
    let first = fits.next()?;
    fits.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::{allows, widened};

    #[test]
    fn an_invented_argument_widens_one_real_one() {
        let names = ["bucket", "bucket_prefix", "tags", "force_destroy"];
        assert_eq!(widened("bucket_name", names.into_iter()), Some("bucket"));
        assert_eq!(widened("s3_bucket", names.into_iter()), Some("bucket"));
        // `tags_bucket` widens both `tags` and `bucket`: no single answer.
        assert_eq!(widened("tags_bucket", names.into_iter()), None);
        assert_eq!(widened("shiny_feature", names.into_iter()), None);
        assert_eq!(widened("bucketx", names.into_iter()), None);
    }

    #[test]
    fn constraints_read_as_terraform_reads_them() {
        assert_eq!(allows(">= 6.28", "6.25.0"), Some(false));
        assert_eq!(allows(">= 5.0, < 7.0", "6.25.0"), Some(true));
        assert_eq!(allows("~> 6.0", "6.25.0"), Some(true));
        assert_eq!(allows("~> 6.26.0", "6.25.0"), Some(false));
        assert_eq!(allows("~> 3.0", "4.55.0"), Some(false));
        assert_eq!(allows("6.25.0", "6.25.0"), Some(true));
        assert_eq!(allows("banana", "6.25.0"), None);
    }
}
