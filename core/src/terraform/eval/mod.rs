//! Terraform's expression language as Terraform evaluates it: values with
//! unknowns and sensitivity, conversions, operators, the function library,
//! and a module's variables, locals and outputs in dependency order.
//!
//! What depends on the world (resources' attributes, the clock, files,
//! random ids) evaluates to unknown, never to a guess.

mod convert;
mod expand;
mod expr;
mod format;
mod functions;
mod inputs;
pub mod number;
mod types;
mod value;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, DiagnosticCode, Severity};
use crate::error::{Error, Result};
use crate::hcl::{self, ExprKind, Expression, Span, TraversalOp};

use super::SourceFile;

pub use convert::{convert, unify};
pub use expand::{expand_module, Expansion, InstanceKey, Mode, ResourceInstance, MAX_INSTANCES};
pub(crate) use expr::iterate;
pub use format::console;
pub use functions::names as function_names;
pub(crate) use inputs::auto_files_of;
pub use inputs::{Given, Inputs};
pub use number::Number;
pub use types::{parse_type, type_of_expression};
pub use value::{Kind, Type, Value};

/// Why an expression has no value, in Terraform's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalError {
    /// Terraform's title for the error (`Invalid function argument`).
    pub summary: String,
    /// What exactly is wrong.
    pub detail: String,
    /// The expression at fault.
    pub span: Span,
}

impl EvalError {
    /// As a diagnostic, for [`Error::Evaluation`].
    pub fn diagnostic(&self) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code: DiagnosticCode::Evaluation,
            message: if self.detail.is_empty() {
                self.summary.clone()
            } else {
                format!("{}: {}", self.summary, self.detail)
            },
            summary: self.summary.clone(),
            span: self.span,
        }
    }
}

/// What an expression's names refer to: `var`, `local`, `each`, `count`,
/// `path` and `terraform`. Any other root name (a resource type, `data`,
/// `module`) is unknown when [`Scope::module`] is set, and an error
/// otherwise.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `var.NAME`.
    pub variables: BTreeMap<String, Value>,
    /// `local.NAME`.
    pub locals: BTreeMap<String, Value>,
    /// `each.key` and `each.value`.
    pub each: Option<(Value, Value)>,
    /// `count.index`.
    pub count: Option<i64>,
    /// `path.module`, `path.root`, `path.cwd`.
    pub path: BTreeMap<String, Value>,
    /// `module.NAME`: a module call's outputs (an object; a tuple or
    /// object of them for `count` or `for_each`). A call not here is
    /// unknown when [`Scope::module`] is set.
    pub calls: BTreeMap<String, Value>,
    /// Whether references to resources, data sources and module calls are
    /// allowed (as unknown values).
    pub module: bool,
}

impl Scope {
    /// `var.NAME` or `local.NAME`, when the scope holds it.
    fn member(&self, root: &str, name: &str) -> Option<&Value> {
        match root {
            "var" => self.variables.get(name),
            "local" => self.locals.get(name),
            "module" => self.calls.get(name),
            _ => None,
        }
    }

    fn root(&self, name: &str) -> Option<Value> {
        let object = |m: &BTreeMap<String, Value>| Value::object(m.clone());
        Some(match name {
            "var" if self.module || !self.variables.is_empty() => object(&self.variables),
            "local" if self.module || !self.locals.is_empty() => object(&self.locals),
            "each" => {
                let (k, v) = self.each.clone()?;
                Value::object(BTreeMap::from([("key".into(), k), ("value".into(), v)]))
            }
            "count" => Value::object(BTreeMap::from([("index".into(), Value::int(self.count?))])),
            "path" if !self.path.is_empty() => object(&self.path),
            "terraform" => Value::object(BTreeMap::from([(
                "workspace".into(),
                Value::string("default"),
            )])),
            _ if self.module => Value::unknown(Type::Dynamic),
            _ => return None,
        })
    }
}

/// Evaluates an expression in a scope.
pub fn evaluate(e: &Expression, scope: &Scope) -> std::result::Result<Value, EvalError> {
    expr::Evaluator::new(scope, Vec::new()).eval(e)
}

/// [`evaluate`] with names bound ahead of the scope's own (innermost
/// last): `dynamic` blocks' iterators, an instance's `each` and `count`.
pub(crate) fn evaluate_bound(
    e: &Expression,
    scope: &Scope,
    bound: Vec<(String, Value)>,
) -> std::result::Result<Value, EvalError> {
    expr::Evaluator::new(scope, bound).eval(e)
}

/// Parses and evaluates expression text, as `terraform console` does.
/// Syntax errors are [`Error::Parse`]; evaluation errors are
/// [`Error::Evaluation`], both with positions in `text`.
pub fn evaluate_str(text: &str, scope: &Scope) -> Result<Value> {
    let e = parse_expression(text)?;
    evaluate(&e, scope).map_err(|mut err| {
        err.span = unshift(err.span, LEAD.len());
        Error::Evaluation {
            path: None,
            diagnostics: vec![err.diagnostic()],
        }
    })
}

/// What `parse_expression` puts before the text: the parser reads bodies.
const LEAD: &str = "_=";

/// Evaluates expression text as `terraform console` run in `module`
/// would: with the module's variables (from `inputs`, then defaults),
/// locals and `path.*`; without a module, only what the text itself
/// decides. A local the module cannot evaluate (it fails, or is on a
/// cycle) is unknown here; [`evaluate_module`] lists why.
pub fn evaluate_text_in(text: &str, module: Option<&Path>, inputs: &Inputs) -> Result<Value> {
    let scope = match module {
        Some(dir) => evaluate_module(dir, inputs)?.scope(Some(dir)),
        None => Scope::default(),
    };
    evaluate_str(text, &scope)
}

/// Parses one expression. Its spans are of the text after [`LEAD`]; the
/// errors returned here are already in `text`'s own positions.
fn parse_expression(text: &str) -> Result<Expression> {
    let source = format!("{LEAD}{text}\n");
    let parsed = hcl::parse(&source);
    let shift = |mut d: Diagnostic| {
        d.span = unshift(d.span, LEAD.len());
        d
    };
    if parsed.has_errors() {
        return Err(Error::Parse {
            path: None,
            diagnostics: parsed.diagnostics.into_iter().map(shift).collect(),
        });
    }
    let attrs: Vec<_> = parsed.file.body.attributes().collect();
    match (attrs.as_slice(), parsed.file.body.items.len()) {
        ([a], 1) => Ok(a.expr.clone()),
        _ => Err(Error::Parse {
            path: None,
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                code: DiagnosticCode::Unexpected,
                message: "Extra characters after expression".into(),
                summary: "Extra characters after expression".into(),
                span: Span::default(),
            }],
        }),
    }
}

fn unshift(mut s: Span, by: usize) -> Span {
    for p in [&mut s.start, &mut s.end] {
        if p.line == 1 {
            p.column = p.column.saturating_sub(by).max(1);
        }
        p.byte = p.byte.saturating_sub(by);
    }
    s
}

/// A module's values: its variables (from inputs or defaults), locals and
/// outputs, each evaluated once in dependency order.
#[derive(Debug, Clone, Default)]
pub struct ModuleValues {
    /// `var.NAME`: the input given, else the default, else unknown.
    pub variables: BTreeMap<String, Value>,
    /// `local.NAME`.
    pub locals: BTreeMap<String, Value>,
    /// Each output's `value`.
    pub outputs: BTreeMap<String, Value>,
    /// What could not be evaluated, with the file it is in: cycles,
    /// failing expressions, inputs of the wrong type. The values they
    /// concern are unknown.
    pub diagnostics: Vec<(std::path::PathBuf, Diagnostic)>,
}

impl ModuleValues {
    /// The scope expressions of this module are evaluated in.
    pub fn scope(&self, dir: Option<&Path>) -> Scope {
        Scope {
            variables: self.variables.clone(),
            locals: self.locals.clone(),
            path: dir.map(path_values).unwrap_or_default(),
            module: true,
            ..Scope::default()
        }
    }
}

/// `path.module`, `path.root` and `path.cwd` of a root module in `dir`.
fn path_values(dir: &Path) -> BTreeMap<String, Value> {
    let d = Value::string(dir.to_string_lossy().into_owned());
    ["module", "root", "cwd"]
        .into_iter()
        .map(|k| (k.to_string(), d.clone()))
        .collect()
}

/// Reads a module directory and evaluates its values with these inputs.
pub fn evaluate_module(dir: impl AsRef<Path>, inputs: &Inputs) -> Result<ModuleValues> {
    let dir = dir.as_ref();
    let files = read_module(dir)?;
    let given = inputs.resolve(dir)?;
    Ok(evaluate_files(&files, &given, Some(dir)))
}

/// A module directory's files; the first with syntax errors is
/// [`Error::Parse`], since Terraform evaluates nothing then.
fn read_module(dir: &Path) -> Result<Vec<SourceFile>> {
    let files = super::read_files(dir)?;
    if let Some((path, diags)) = files
        .iter()
        .find(|f| f.parsed.has_errors())
        .map(|f| (f.path.clone(), f.parsed.diagnostics.clone()))
    {
        return Err(Error::Parse {
            path: Some(dir.join(path)),
            diagnostics: diags
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect(),
        });
    }
    Ok(files)
}

/// Evaluates the values of parsed module files, with variables set from
/// `given` (already gathered from `-var`, files and the environment).
pub fn evaluate_files(
    files: &[SourceFile],
    given: &BTreeMap<String, inputs::Given>,
    dir: Option<&Path>,
) -> ModuleValues {
    evaluate_files_with(files, given, dir, &BTreeMap::new())
}

/// [`evaluate_files`] with the outputs of the module's calls known
/// (`module.NAME`, see [`Scope::calls`]).
pub(crate) fn evaluate_files_with(
    files: &[SourceFile],
    given: &BTreeMap<String, inputs::Given>,
    dir: Option<&Path>,
    calls: &BTreeMap<String, Value>,
) -> ModuleValues {
    let mut out = ModuleValues::default();
    for f in files {
        for b in f.parsed.file.body.blocks_of("variable") {
            let Some(name) = b.labels.first().map(|l| l.value.clone()) else {
                continue;
            };
            let ty = match b.body.attribute("type") {
                Some(a) => match type_of_expression(&a.expr) {
                    Ok(t) => t,
                    Err(detail) => {
                        out.diagnostics.push((
                            f.path.clone(),
                            eval_diag("Invalid type specification", &detail, a.expr.span),
                        ));
                        Type::Dynamic
                    }
                },
                None => Type::Dynamic,
            };
            let sensitive = b
                .body
                .attribute("sensitive")
                .is_some_and(|a| matches!(a.expr.kind, ExprKind::Bool { value: true }));
            let value = match given.get(&name) {
                Some(g) => g.value(&ty).map_err(|detail| {
                    eval_diag("Invalid value for input variable", &format!("The given value is not suitable for var.{name}: {detail}."), b.kind_span)
                }),
                None => match b.body.attribute("default") {
                    Some(a) => evaluate(&a.expr, &Scope::default())
                        .map_err(|e| e.diagnostic())
                        .and_then(|v| {
                            convert(&v, &ty).map_err(|detail| {
                                eval_diag("Invalid default value for variable", &format!("This default value is not compatible with the variable's type constraint: {detail}."), a.expr.span)
                            })
                        }),
                    // No value: Terraform would ask for one; it is not
                    // known here.
                    None => Ok(Value::unknown(ty.clone())),
                },
            };
            let value = value.unwrap_or_else(|d| {
                out.diagnostics.push((f.path.clone(), d));
                Value::unknown(ty.clone())
            });
            out.variables.insert(name, value.mark(sensitive));
        }
    }
    let mut locals: BTreeMap<String, (&Expression, &std::path::Path)> = BTreeMap::new();
    for f in files {
        for b in f.parsed.file.body.blocks_of("locals") {
            for a in b.body.attributes() {
                locals.insert(a.name.clone(), (&a.expr, f.path.as_path()));
            }
        }
    }
    let order = local_order(&locals, &mut out.diagnostics);
    let mut scope = Scope {
        variables: out.variables.clone(),
        path: dir.map(path_values).unwrap_or_default(),
        calls: calls.clone(),
        module: true,
        ..Scope::default()
    };
    for name in order {
        let (e, file) = locals[&name];
        let v = match evaluate(e, &scope) {
            Ok(v) => v,
            Err(err) => {
                out.diagnostics.push((file.to_path_buf(), err.diagnostic()));
                Value::unknown(Type::Dynamic)
            }
        };
        scope.locals.insert(name, v);
    }
    for name in locals.keys() {
        scope
            .locals
            .entry(name.clone())
            .or_insert_with(|| Value::unknown(Type::Dynamic));
    }
    out.locals = scope.locals.clone();
    for f in files {
        for b in f.parsed.file.body.blocks_of("output") {
            let (Some(name), Some(a)) = (b.labels.first(), b.body.attribute("value")) else {
                continue;
            };
            let v = evaluate(&a.expr, &scope).unwrap_or_else(|err| {
                out.diagnostics.push((f.path.clone(), err.diagnostic()));
                Value::unknown(Type::Dynamic)
            });
            out.outputs.insert(name.value.clone(), v);
        }
    }
    out
}

fn eval_diag(summary: &str, detail: &str, span: Span) -> Diagnostic {
    EvalError {
        summary: summary.into(),
        detail: detail.into(),
        span,
    }
    .diagnostic()
}

/// The locals in an order where each comes after those it refers to;
/// those on a cycle are left out and reported as Terraform reports them.
fn local_order(
    locals: &BTreeMap<String, (&Expression, &Path)>,
    diagnostics: &mut Vec<(std::path::PathBuf, Diagnostic)>,
) -> Vec<String> {
    let deps: BTreeMap<&str, BTreeSet<String>> = locals
        .iter()
        .map(|(n, (e, _))| {
            let mut refs = BTreeSet::new();
            e.walk(&mut |x| {
                if let ExprKind::Traversal { target, ops } = &x.kind {
                    if let (
                        ExprKind::Variable { name },
                        Some(TraversalOp::GetAttr { name: l, .. }),
                    ) = (&target.kind, ops.first())
                    {
                        if name == "local" && locals.contains_key(l) {
                            refs.insert(l.clone());
                        }
                    }
                }
            });
            (n.as_str(), refs)
        })
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    loop {
        let ready: Vec<String> = deps
            .iter()
            .filter(|(n, d)| !done.contains(**n) && d.iter().all(|x| done.contains(x)))
            .map(|(n, _)| n.to_string())
            .collect();
        if ready.is_empty() {
            break;
        }
        for n in ready {
            done.insert(n.clone());
            order.push(n);
        }
    }
    let stuck: Vec<&str> = deps
        .keys()
        .copied()
        .filter(|n| !done.contains(*n))
        .collect();
    if !stuck.is_empty() {
        let names: Vec<String> = stuck
            .iter()
            .map(|n| format!("local.{n} (expand)"))
            .collect();
        let (e, file) = locals[stuck[0]];
        diagnostics.push((
            file.to_path_buf(),
            eval_diag(&format!("Cycle: {}", names.join(", ")), "", e.span),
        ));
    }
    order
}
