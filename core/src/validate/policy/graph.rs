//! The resources of a module, and of each local module it calls, and their
//! connections, as checkov's graph checks see them: two resources are
//! connected when either refers to the other, within one module instance.

use std::collections::HashMap;
use std::path::Path;

use crate::hcl::{BinaryOp, Block, Body, ExprKind, Expression, TemplatePart, TraversalOp};
use crate::terraform::{Declaration, DeclarationKind, Module, ReferenceKind, SourceFile};

use super::values::{Instance, Scope, Values};
use super::{Resource, Source};
use crate::terraform::eval::{convert, iterate, Kind, Type, Value, MAX_INSTANCES};

/// One `resource` or `data` block.
pub(super) struct Node<'a> {
    /// `aws_s3_bucket`.
    pub kind: &'a str,
    /// `aws_s3_bucket.logs`, without `data.` for data sources, as checkov
    /// reports it; `module.net.aws_vpc.this` inside a called module.
    pub address: String,
    pub file: &'a Path,
    pub block: &'a Block,
    /// The `for_each` or `count` instance this node is.
    pub instance: Option<Instance>,
    /// The values of the module instance the node belongs to.
    values: &'a Values,
}

/// Every resource and data source of a module and its local module
/// instances, with who refers to whom.
#[derive(Default)]
pub(super) struct Graph<'a> {
    pub nodes: Vec<Node<'a>>,
    /// For each node, the nodes it refers to or that refer to it, each once.
    neighbours: Vec<Vec<usize>>,
}

impl<'a> Graph<'a> {
    /// Adds one module instance: its resources, named after `prefix`
    /// (`""` for the module validated, `module.net.` for a call), read
    /// with `values`.
    pub fn add(
        &mut self,
        prefix: &str,
        files: &'a [SourceFile],
        module: &Module,
        values: &'a Values,
    ) {
        let first = self.nodes.len();
        let nodes = &mut self.nodes;
        // Terraform's address (`data.` kept) to nodes: a module with a
        // duplicate declaration still connects both copies.
        let mut by_address: HashMap<String, Vec<usize>> = HashMap::new();
        for f in files {
            for block in f.parsed.file.body.blocks() {
                let labels = block.label_values();
                let (block_kind, [kind, name]) = (block.kind.as_str(), labels.as_slice()) else {
                    continue;
                };
                let full = match block_kind {
                    "resource" => format!("{kind}.{name}"),
                    "data" => format!("data.{kind}.{name}"),
                    _ => continue,
                };
                let address = format!("{kind}.{name}");
                let scope = Scope {
                    values,
                    instance: None,
                };
                let Some(instances) = instances(&block.body, scope) else {
                    by_address.entry(full).or_default().push(nodes.len());
                    nodes.push(Node {
                        kind,
                        address: format!("{prefix}{address}"),
                        file: &f.path,
                        block,
                        instance: None,
                        values,
                    });
                    continue;
                };
                // Each instance is judged apart, as `name["key"]` or
                // `name[0]`; a reference to the resource reaches them all.
                for instance in instances {
                    by_address
                        .entry(full.clone())
                        .or_default()
                        .push(nodes.len());
                    nodes.push(Node {
                        kind,
                        address: format!("{prefix}{address}{}", instance.suffix()),
                        file: &f.path,
                        block,
                        instance: Some(instance),
                        values,
                    });
                }
            }
        }
        let neighbours = &mut self.neighbours;
        neighbours.resize(nodes.len(), Vec::new());
        // Two resources that give one argument the same variable or local
        // whose value is not known (`bucket = var.bucket_name`, with no
        // default, on a bucket and on its versioning) name the same thing,
        // and checkov connects them; a known value is only text to it.
        let mut by_name: HashMap<(&str, String), Vec<usize>> = HashMap::new();
        for (i, n) in nodes.iter().enumerate().skip(first) {
            let scope = Scope {
                values: n.values,
                instance: n.instance.as_ref(),
            };
            for a in n.block.body.attributes() {
                if let Some(subject) =
                    named_value(&a.expr).filter(|_| scope.read(&a.expr) == super::Read::Reference)
                {
                    by_name
                        .entry((a.name.as_str(), subject))
                        .or_default()
                        .push(i);
                }
            }
        }
        for same in by_name.values() {
            for &a in same {
                neighbours[a].extend(same.iter().copied().filter(|&b| b != a));
            }
        }
        let locals = locals_of(module);
        for d in &module.declarations {
            let Some(from) = by_address.get(&d.address) else {
                continue;
            };
            // A duplicate declaration's references are its own block's.
            let from: Vec<usize> = from
                .iter()
                .copied()
                .filter(|&n| nodes[n].block.span == d.span && nodes[n].file == d.file)
                .collect();
            let targets = resources_named(d, &locals)
                .into_iter()
                .filter_map(|subject| by_address.get(subject))
                .flatten();
            for &to in targets {
                for &from in &from {
                    if from != to {
                        neighbours[from].push(to);
                        neighbours[to].push(from);
                    }
                }
            }
        }
        for n in &mut neighbours[first..] {
            n.sort_unstable();
            n.dedup();
        }
    }

    /// Connects each resource that reads a called module's output
    /// (`bucket = module.b.id`) to the resources that output refers to in
    /// each instance of the call, as checkov's graph connects them.
    /// `instances` are every module instance added, as (prefix, module),
    /// the validated module's (`""`) included.
    pub fn link_outputs(&mut self, instances: &[(&str, &Module)]) {
        let locals: Vec<HashMap<&str, &Declaration>> =
            instances.iter().map(|(_, m)| locals_of(m)).collect();
        let mut linked = Vec::new();
        for &(prefix, module) in instances {
            for d in &module.declarations {
                if !matches!(d.kind, DeclarationKind::Resource | DeclarationKind::Data) {
                    continue;
                }
                let from = self.nodes_at(prefix, &d.address);
                let outputs = d
                    .references
                    .iter()
                    .filter(|r| r.kind == ReferenceKind::Module)
                    .filter_map(|r| {
                        Some((r.subject.strip_prefix("module.")?, r.attribute.as_deref()?))
                    });
                for (call, output) in outputs {
                    let children = instances
                        .iter()
                        .zip(&locals)
                        .filter(|((child, _), _)| is_instance_of(child, prefix, call));
                    for (&(child, callee), locals) in children {
                        let Some(out) = callee
                            .of_kind(DeclarationKind::Output)
                            .find(|o| o.name == output)
                        else {
                            continue;
                        };
                        for subject in resources_named(out, locals) {
                            for to in self.nodes_at(child, subject) {
                                linked.extend(from.iter().map(|&f| (f, to)));
                            }
                        }
                    }
                }
            }
        }
        for (a, b) in linked {
            self.neighbours[a].push(b);
            self.neighbours[b].push(a);
        }
        for n in &mut self.neighbours {
            n.sort_unstable();
            n.dedup();
        }
    }

    /// The nodes of the declaration at `address` (`data.` or not) in the
    /// module instance at `prefix`, each of its instances.
    fn nodes_at(&self, prefix: &str, address: &str) -> Vec<usize> {
        let full = format!(
            "{prefix}{}",
            address.strip_prefix("data.").unwrap_or(address)
        );
        let keyed = format!("{full}[");
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].address == full || self.nodes[i].address.starts_with(&keyed))
            .collect()
    }

    /// The nodes connected to `node`.
    pub fn neighbours(&self, node: usize) -> &[usize] {
        &self.neighbours[node]
    }

    /// `node` as a check reads it.
    pub fn resource(&self, node: usize) -> Resource<'_> {
        let n = &self.nodes[node];
        Resource {
            kind: n.kind,
            source: Source::Body(&n.block.body),
            scope: Scope {
                values: n.values,
                instance: n.instance.as_ref(),
            },
            iterators: Vec::new(),
            linked: Some((self, node)),
        }
    }
}

/// The instances `for_each` or `count` makes, as Terraform makes them: a
/// map's entries, a set's (or, as checkov reads it, a list's) members
/// each its own key, or `0..count`; none for an empty one or zero.
/// `None` when neither is there; [`Instance::Unknown`] alone when the
/// value is not known. When the values do not [`expand`](Values::expand),
/// the block is judged once, as written, unless its count is zero (checkov
/// drops such a block even then); so is a block of more than
/// [`MAX_INSTANCES`] instances.
pub(super) fn instances(body: &Body, scope: Scope<'_>) -> Option<Vec<Instance>> {
    if let Some(a) = body.attribute("for_each") {
        if !scope.values.expand {
            return Some(vec![Instance::Unknown]);
        }
        return Some(
            each(scope.value(&a.expr))
                .filter(|all| all.len() <= MAX_INSTANCES)
                .unwrap_or(vec![Instance::Unknown]),
        );
    }
    let count = body.attribute("count")?;
    let number = |e: &Expression| {
        scope
            .value(e)
            .and_then(|v| convert(&v, &Type::Number).ok())
            .and_then(|v| v.as_number()?.to_i64())
            .and_then(|n| usize::try_from(n).ok())
    };
    let n = number(&count.expr).or_else(|| number(null_tested_branch(&count.expr, scope)?));
    Some(match n {
        Some(n) if (scope.values.expand && n <= MAX_INSTANCES) || n == 0 => {
            (0..n).map(Instance::Count).collect()
        }
        _ => vec![Instance::Unknown],
    })
}

/// The branch checkov takes in `x != null ? a : b` (or `==`) when `x` is
/// not known: it reads a value it cannot resolve as its own text, which is
/// never null, so `count = var.subnet != null ? 1 : 0` makes one instance.
fn null_tested_branch<'e>(e: &'e Expression, scope: Scope<'_>) -> Option<&'e Expression> {
    let ExprKind::Conditional {
        condition,
        then,
        otherwise,
    } = &e.kind
    else {
        return None;
    };
    let ExprKind::Binary { op, lhs, rhs } = &condition.kind else {
        return None;
    };
    let tested = match (&lhs.kind, &rhs.kind) {
        (ExprKind::Null, _) => rhs,
        (_, ExprKind::Null) => lhs,
        _ => return None,
    };
    if scope.value(tested).is_some_and(|v| !v.is_unknown()) {
        return None;
    }
    match op {
        BinaryOp::Ne => Some(then),
        BinaryOp::Eq => Some(otherwise),
        _ => None,
    }
}

/// A known `for_each` value's instances; `None` when it is not known.
fn each(value: Option<Value>) -> Option<Vec<Instance>> {
    let value = value?;
    let keyed = matches!(value.kind, Kind::Map(..) | Kind::Object(_));
    let mut out = Vec::new();
    for (key, element) in iterate(&value)? {
        let key = if keyed { key } else { element.clone() };
        let key = convert(&key, &Type::String).ok()?;
        out.push(Instance::Each {
            key: key.as_str()?.to_string(),
            value: element,
        });
    }
    Some(out)
}

/// Whether the module instance at `child` is one of call `call` made by
/// the instance at `parent`: `module.b.`, or `module.b["k"].` / `module.b[0].`.
fn is_instance_of(child: &str, parent: &str, call: &str) -> bool {
    let Some(rest) = child
        .strip_prefix(parent)
        .and_then(|c| c.strip_prefix("module."))
        .and_then(|c| c.strip_prefix(call))
    else {
        return false;
    };
    rest == "." || rest.starts_with('[') && rest.ends_with("].") && !rest.contains("].module.")
}

/// A module's locals by address (`local.id`).
fn locals_of(module: &Module) -> HashMap<&str, &Declaration> {
    module
        .of_kind(DeclarationKind::Local)
        .map(|d| (d.address.as_str(), d))
        .collect()
}

/// The resources and data sources `d` refers to, directly or through
/// locals (`bucket = local.id` where `id = aws_s3_bucket.this.id`), as
/// Terraform's graph connects them.
fn resources_named<'d>(
    d: &'d Declaration,
    locals: &HashMap<&str, &'d Declaration>,
) -> Vec<&'d str> {
    let mut out = Vec::new();
    let mut seen = vec![d.address.as_str()];
    let mut pending = vec![d];
    while let Some(d) = pending.pop() {
        for r in &d.references {
            match r.kind {
                ReferenceKind::Resource | ReferenceKind::Data => out.push(r.subject.as_str()),
                ReferenceKind::Local => {
                    if let Some(local) = locals.get(r.subject.as_str()) {
                        if !seen.contains(&local.address.as_str()) {
                            seen.push(&local.address);
                            pending.push(local);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// `var.x` or `local.x` when that is the whole value (`"${var.x}"` too).
fn named_value(e: &Expression) -> Option<String> {
    match &e.kind {
        ExprKind::Traversal { target, ops } => match (&target.kind, ops.as_slice()) {
            (ExprKind::Variable { name: root }, [TraversalOp::GetAttr { name, .. }])
                if root == "var" || root == "local" =>
            {
                Some(format!("{root}.{name}"))
            }
            _ => None,
        },
        ExprKind::Template(t) => match t.parts.as_slice() {
            [TemplatePart::Interpolation { expr, .. }] => named_value(expr),
            _ => None,
        },
        _ => None,
    }
}
