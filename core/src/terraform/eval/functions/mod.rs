//! Terraform's built-in functions: the table of names, parameter types and
//! implementations, and how a call checks and converts its arguments.

mod collections;
mod datetime;
pub(super) mod encoding;
mod network;
mod numeric;
mod strings;
mod yaml;

use crate::hcl::{Expression, Span};

use super::convert::convert;
use super::expr::error;
use super::value::{Type, Value};
use super::EvalError;

/// A parameter's type, as functions declare them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum P {
    /// `string`
    Str,
    /// `number`
    Num,
    /// any value but null
    Any,
    /// any value, null included
    AnyNull,
    /// `list(string)`
    ListStr,
    /// `list(any)`: a list, set or tuple converted to a list
    List,
    /// `set(any)`
    Set,
    /// `list(bool)`
    ListBool,
}

impl P {
    fn ty(self) -> Option<Type> {
        let b = Box::new;
        Some(match self {
            P::Str => Type::String,
            P::Num => Type::Number,
            P::Any | P::AnyNull => return None,
            P::ListStr => Type::List(b(Type::String)),
            P::List => Type::List(b(Type::Dynamic)),
            P::Set => Type::Set(b(Type::Dynamic)),
            P::ListBool => Type::List(b(Type::Bool)),
        })
    }
}

/// Why a call failed: an argument (by position) or the call as a whole.
pub(super) enum Fail {
    Arg(usize, String),
    Call(String),
}

pub(super) type Out = Result<Value, Fail>;

/// What an implementation is given: the converted arguments, unmarked.
pub(super) struct Args {
    pub values: Vec<Value>,
}

impl Args {
    pub fn str(&self, i: usize) -> &str {
        self.values[i].as_str().unwrap_or_default()
    }
    pub fn num(&self, i: usize) -> &super::number::Number {
        static ZERO: std::sync::OnceLock<super::number::Number> = std::sync::OnceLock::new();
        self.values[i]
            .as_number()
            .unwrap_or_else(|| ZERO.get_or_init(super::number::Number::zero))
    }
    /// The argument as a whole number, or an argument error.
    pub fn int(&self, i: usize) -> Result<i64, Fail> {
        let n = self.num(i);
        if !n.is_integer() {
            return Err(Fail::Call(format!(
                "argument {} must be a whole number",
                i + 1
            )));
        }
        n.to_i64()
            .ok_or_else(|| Fail::Call(format!("argument {} is too large", i + 1)))
    }
    pub fn items(&self, i: usize) -> &[Value] {
        self.values[i].elements().unwrap_or_default()
    }
    /// The variadic arguments from position `from`.
    pub fn rest(&self, from: usize) -> &[Value] {
        self.values.get(from..).unwrap_or_default()
    }
}

pub(super) struct Def {
    pub name: &'static str,
    pub params: &'static [(&'static str, P)],
    pub variadic: Option<(&'static str, P)>,
    /// Whether unknown arguments reach the implementation; otherwise the
    /// result is unknown.
    pub unknowns: bool,
    pub imp: fn(&Args) -> Out,
}

macro_rules! def {
    ($name:literal, [$($p:literal : $t:ident),*], ...($v:literal : $vt:ident), $imp:expr) => {
        Def { name: $name, params: &[$(($p, super::P::$t)),*], variadic: Some(($v, super::P::$vt)), unknowns: false, imp: $imp }
    };
    ($name:literal, [$($p:literal : $t:ident),*], $imp:expr) => {
        Def { name: $name, params: &[$(($p, super::P::$t)),*], variadic: None, unknowns: false, imp: $imp }
    };
}
pub(super) use def;

fn table() -> impl Iterator<Item = &'static Def> {
    strings::DEFS
        .iter()
        .chain(collections::DEFS)
        .chain(numeric::DEFS)
        .chain(encoding::DEFS)
        .chain(network::DEFS)
        .chain(datetime::DEFS)
}

fn find(name: &str) -> Option<&'static Def> {
    table().find(|d| d.name == name)
}

/// The longest string a function (`indent`, `join`) or a template builds:
/// Terraform builds any, but a configuration written by a model must not
/// exhaust the process, by one large count or by locals that each double
/// the last.
pub(super) const MAX_STRING: usize = 64 << 20;

/// The names of every function this evaluator knows, sorted.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&str> = table().map(|d| d.name).chain(["can", "try"]).collect();
    v.sort_unstable();
    v
}

/// Calls `name` with evaluated `args`: checks the count, converts each to
/// its parameter's type, propagates unknowns and sensitivity.
pub(super) fn call(
    name: &str,
    mut args: Vec<Value>,
    expand_final: bool,
    span: Span,
    exprs: &[Expression],
) -> Result<Value, EvalError> {
    let bare = name.strip_prefix("core::").unwrap_or(name);
    let Some(def) = find(bare) else {
        return Err(error(
            "Call to unknown function",
            format!("There is no function named {name:?}."),
            span,
        ));
    };
    let arg_span = |i: usize| {
        exprs
            .get(i.min(exprs.len().saturating_sub(1)))
            .map_or(span, |e| e.span)
    };
    if expand_final {
        let last = args.pop().unwrap_or_else(Value::null);
        if last.is_unknown() {
            return Ok(Value::unknown(Type::Dynamic));
        }
        match last.elements() {
            Some(items) => args.extend(items.iter().map(|v| v.clone().mark(last.sensitive))),
            None => return Err(error(
                "Invalid expanding argument value",
                "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                arg_span(exprs.len().saturating_sub(1)),
            )),
        }
    }
    let fixed = def.params.len();
    if args.len() < fixed {
        let missing = def.params[args.len()].0;
        return Err(error(
            "Not enough function arguments",
            format!(
                "Function {bare:?} expects {fixed} argument(s). Missing value for {missing:?}."
            ),
            span,
        ));
    }
    if def.variadic.is_none() && args.len() > fixed {
        return Err(error(
            "Too many function arguments",
            format!("Function {bare:?} expects only {fixed} argument(s)."),
            arg_span(fixed),
        ));
    }
    let mut sensitive = false;
    let mut unknown = false;
    let mut values = Vec::with_capacity(args.len());
    for (i, arg) in args.into_iter().enumerate() {
        let (pname, p) = def
            .params
            .get(i)
            .copied()
            .or(def.variadic)
            .unwrap_or(("", P::Any));
        let (arg, marked) = if matches!(bare, "sensitive" | "nonsensitive" | "issensitive") {
            (arg, false)
        } else {
            arg.unmark_deep()
        };
        sensitive |= marked;
        if arg.is_null() && p != P::AnyNull {
            return Err(error(
                "Invalid function argument",
                format!("Invalid value for {pname:?} parameter: argument must not be null."),
                arg_span(i),
            ));
        }
        let arg = match p.ty() {
            Some(t) => convert(&arg, &t).map_err(|e| {
                error(
                    "Invalid function argument",
                    format!("Invalid value for {pname:?} parameter: {e}."),
                    arg_span(i),
                )
            })?,
            None => arg,
        };
        unknown |= !arg.is_wholly_known();
        values.push(arg);
    }
    if unknown && !def.unknowns {
        return Ok(Value::unknown(Type::Dynamic).mark(sensitive));
    }
    let args = Args { values };
    match (def.imp)(&args) {
        Ok(v) => Ok(v.mark(sensitive)),
        Err(Fail::Arg(i, msg)) => {
            let pname = def
                .params
                .get(i)
                .map(|p| p.0)
                .or(def.variadic.map(|v| v.0))
                .unwrap_or("");
            Err(error(
                "Invalid function argument",
                format!("Invalid value for {pname:?} parameter: {msg}."),
                arg_span(i),
            ))
        }
        Err(Fail::Call(msg)) => Err(error(
            "Error in function call",
            format!("Call to function {bare:?} failed: {msg}."),
            span,
        )),
    }
}

/// A list whose element type is the first element's (all elements share
/// it after conversion), or `list(any)` empty.
pub(super) fn list_of(items: Vec<Value>, like: &Value) -> Value {
    let elem = match like.ty() {
        Type::List(e) | Type::Set(e) => *e,
        _ => items.first().map(Value::ty).unwrap_or(Type::Dynamic),
    };
    Value::list(elem, items)
}
