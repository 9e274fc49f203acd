//! How checks read values: through [`terraform::eval`](crate::terraform::eval),
//! as Terraform evaluates them.
//!
//! A value that is not wholly known (it names a resource, a variable with
//! no value, the clock) is a reference, and a check that needs it answers
//! UNKNOWN. One habit of checkov's is kept where Terraform would fail: a
//! bare `True`/`False` is the boolean.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value as Json};

use crate::error::Result;
use crate::hcl::{ExprKind, Expression, TemplatePart, TemplateStyle};
use crate::terraform::eval::{self, evaluate_bound, Given, Inputs, Type, Value};
use crate::terraform::{constant_value, literal_key, SourceFile};

use super::Read;

/// One module instance's values: its variables (inputs, else defaults)
/// and its locals, evaluated once.
pub(super) struct Values {
    scope: eval::Scope,
    /// Whether `count` and `for_each` make instances; when not, each
    /// block is judged once, as written (see
    /// [`Validator::expand_instances`](crate::validate::Validator::expand_instances)).
    pub expand: bool,
}

impl Values {
    /// The values of module `files` with variables set from `given`.
    pub fn new(files: &[SourceFile], given: &BTreeMap<String, Given>, expand: bool) -> Values {
        let module = eval::evaluate_files(files, given, None);
        Values {
            scope: module.scope(None),
            expand,
        }
    }

    /// The values of a called module: its variables' defaults, replaced by
    /// what the call passes (an unknown input leaves its variable unknown,
    /// whatever the default), expanded as the caller's are.
    pub fn called(&self, files: &[SourceFile], inputs: BTreeMap<String, Value>) -> Values {
        let given = inputs
            .into_iter()
            .map(|(name, v)| (name, Given::Value(v)))
            .collect();
        Values::new(files, &given, self.expand)
    }
}

/// The variables a root module's directory sets: what `inputs` names
/// (`-var`, `-var-file`), over the files Terraform reads without being
/// asked (`automatic`: `terraform.tfvars`, `*.auto.tfvars`, as
/// [`eval::auto_files_of`] lists them). Those automatic files are read as
/// Terraform would, but one that cannot be read sets nothing: judging it
/// is `terraform plan`'s job, not validation's. A file the caller named
/// that cannot be read is an error.
pub(crate) fn root_inputs(
    dir: &Path,
    automatic: Vec<std::path::PathBuf>,
    inputs: &Inputs,
) -> Result<BTreeMap<String, Given>> {
    let mut given = BTreeMap::new();
    for path in automatic {
        if let Ok(values) = Inputs::new().var_file(path).resolve(dir) {
            given.extend(values);
        }
    }
    given.extend(inputs.resolve(dir)?);
    Ok(given)
}

/// One instance of a resource (or module call) that `for_each` or `count`
/// repeats: what `each.key` and `each.value`, or `count.index`, are.
#[derive(Debug, Clone)]
pub(super) enum Instance {
    Each {
        key: String,
        value: Value,
    },
    Count(usize),
    /// The block repeats, but how is not known: it is judged once, as
    /// written, with `each` and `count` unknown.
    Unknown,
}

impl Instance {
    /// `["key"]` or `[0]`, as an address ends.
    pub fn suffix(&self) -> String {
        match self {
            Instance::Each { key, .. } => format!("[{}]", Json::String(key.clone())),
            Instance::Count(i) => format!("[{i}]"),
            Instance::Unknown => String::new(),
        }
    }

    /// The names the instance binds: `each` or `count`.
    fn binding(&self) -> Vec<(String, Value)> {
        let object = |k: &str, v: Value| Value::object(BTreeMap::from([(k.to_string(), v)]));
        match self {
            Instance::Each { key, value } => vec![(
                "each".into(),
                Value::object(BTreeMap::from([
                    ("key".into(), Value::string(key.clone())),
                    ("value".into(), value.clone()),
                ])),
            )],
            Instance::Count(i) => vec![("count".into(), object("index", Value::int(*i as i64)))],
            Instance::Unknown => ["each", "count"]
                .map(|n| (n.to_string(), Value::unknown(Type::Dynamic)))
                .into(),
        }
    }
}

/// What names mean while evaluating: the module instance's values and the
/// resource instance's `each` or `count`.
#[derive(Clone, Copy)]
pub(super) struct Scope<'a> {
    pub values: &'a Values,
    pub instance: Option<&'a Instance>,
}

impl Scope<'_> {
    /// The value of `e`, or [`Read::Reference`] when it is not known.
    pub fn read(&self, e: &Expression) -> Read {
        self.read_with(e, &[])
    }

    /// [`read`](Self::read) with names bound (`dynamic` blocks' iterators).
    pub fn read_with(&self, e: &Expression, bound: &[(String, Value)]) -> Read {
        // Most arguments are literals, whose value is their text.
        if let Some(v) = constant_value(e) {
            return Read::Constant(v);
        }
        match self.value_with(e, bound) {
            Some(v) if v.is_wholly_known() => Read::Constant(v.to_json()),
            _ => Read::Reference,
        }
    }

    /// The value of `e` as Terraform evaluates it, unknown parts and all;
    /// `None` where Terraform would fail.
    pub fn value(&self, e: &Expression) -> Option<Value> {
        self.value_with(e, &[])
    }

    /// [`value`](Self::value) with names bound.
    pub fn value_with(&self, e: &Expression, bound: &[(String, Value)]) -> Option<Value> {
        let mut names: Vec<(String, Value)> = ["True", "TRUE", "False", "FALSE"]
            .into_iter()
            .map(|n| (n.to_string(), Value::bool(n.starts_with('T'))))
            .collect();
        names.extend(self.instance.into_iter().flat_map(Instance::binding));
        names.extend(bound.iter().cloned());
        evaluate_bound(e, &self.values.scope, names).ok()
    }

    /// The value of a document (`jsonencode({...})`, an object or a list)
    /// with each part that is not known written as a `${...}` string: a
    /// policy whose `Resource` refers to a key keeps its shape, as checkov
    /// reads it with the reference as text.
    pub fn read_document(&self, e: &Expression) -> Read {
        if let Read::Constant(v) = self.read(e) {
            return Read::Constant(v);
        }
        let part = |e: &Expression| match self.read_document(e) {
            Read::Constant(v) => v,
            _ => Json::String("${...}".into()),
        };
        match &e.kind {
            ExprKind::FunctionCall { name, args, .. }
                if name == "jsonencode" && args.len() == 1 =>
            {
                self.read_document(&args[0])
            }
            ExprKind::Parens { inner } => self.read_document(inner),
            // A policy written as text with references in it (a heredoc
            // naming `${aws_sqs_queue.q.arn}`) is text to checkov.
            ExprKind::Template(t)
                if !matches!(t.style, TemplateStyle::Heredoc { indented: true, .. }) =>
            {
                let mut out = String::new();
                for p in &t.parts {
                    match p {
                        TemplatePart::Literal { value, .. } => out.push_str(value),
                        TemplatePart::Interpolation { expr, .. } => match self.read(expr) {
                            Read::Constant(v) => out.push_str(&text(&v).unwrap_or_default()),
                            _ => out.push_str("${...}"),
                        },
                        _ => return Read::Reference,
                    }
                }
                Read::Constant(Json::String(out))
            }
            ExprKind::Tuple { items } => {
                Read::Constant(Json::Array(items.iter().map(part).collect()))
            }
            ExprKind::Object { items } => {
                let mut m = Map::new();
                for i in items {
                    let key = literal_key(&i.key).or_else(|| match self.read(&i.key) {
                        Read::Constant(k) => text(&k),
                        _ => None,
                    });
                    let Some(key) = key else {
                        return Read::Reference;
                    };
                    m.insert(key, part(&i.value));
                }
                Read::Constant(Json::Object(m))
            }
            _ => Read::Reference,
        }
    }
}

/// A scalar as a map key or string: Terraform converts numbers and
/// booleans to strings there.
pub(super) fn text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
