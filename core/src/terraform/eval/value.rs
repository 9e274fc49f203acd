//! Terraform's values and types: primitives, collections and structures,
//! null and unknown of a type, and the sensitive mark.

use std::collections::BTreeMap;
use std::fmt;

use super::number::Number;

/// A Terraform type constraint or value type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `bool`.
    Bool,
    /// `any`: not yet decided.
    Dynamic,
    /// `list(T)`.
    List(Box<Type>),
    /// `set(T)`.
    Set(Box<Type>),
    /// `map(T)`.
    Map(Box<Type>),
    /// `tuple([T, ...])`.
    Tuple(Vec<Type>),
    /// `object({name = T, ...})`.
    Object(BTreeMap<String, Type>),
}

impl Type {
    /// Whether this type still holds `any` somewhere.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::String | Type::Number | Type::Bool => false,
            Type::List(t) | Type::Set(t) | Type::Map(t) => t.has_dynamic(),
            Type::Tuple(ts) => ts.iter().any(Type::has_dynamic),
            Type::Object(m) => m.values().any(Type::has_dynamic),
        }
    }

    /// The element type of a list, set or map.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(t) | Type::Set(t) | Type::Map(t) => Some(t),
            _ => None,
        }
    }

    /// How Terraform names the type in error messages: `string`,
    /// `list of string`, `object`, `tuple`.
    pub fn friendly(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Dynamic => "dynamic".into(),
            Type::List(t) => format!("list of {}", t.friendly()),
            Type::Set(t) => format!("set of {}", t.friendly()),
            Type::Map(t) => format!("map of {}", t.friendly()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        }
    }
}

impl fmt::Display for Type {
    /// The type as `type()` prints it: `list(string)`,
    /// `object({a: number})`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            Type::Object(m) => {
                f.write_str("object({")?;
                for (i, (k, t)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {t}")?;
                }
                f.write_str("})")
            }
        }
    }
}

/// A Terraform value, perhaps unknown, perhaps null, perhaps sensitive.
#[derive(Debug, Clone)]
pub struct Value {
    /// What the value is.
    pub kind: Kind,
    /// Whether the value is marked sensitive; a value computed from a
    /// sensitive one is sensitive too.
    pub sensitive: bool,
}

/// The forms a [`Value`] takes.
#[derive(Debug, Clone)]
pub enum Kind {
    /// `null` of a type.
    Null(Type),
    /// A value of this type known only when Terraform applies.
    Unknown(Type),
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string. Terraform also normalises strings to NFC; this
    /// evaluator keeps them as written.
    String(String),
    /// `list(T)`: the element type and the elements.
    List(Type, Vec<Value>),
    /// `set(T)`: the element type and the elements, ordered as Terraform
    /// orders sets, without duplicates.
    Set(Type, Vec<Value>),
    /// `map(T)`: the element type and the elements by key.
    Map(Type, BTreeMap<String, Value>),
    /// A tuple's elements.
    Tuple(Vec<Value>),
    /// An object's attributes.
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// A value that is not sensitive.
    pub fn new(kind: Kind) -> Value {
        Value {
            kind,
            sensitive: false,
        }
    }

    /// `null` of type `any`.
    pub fn null() -> Value {
        Value::new(Kind::Null(Type::Dynamic))
    }

    /// An unknown value of a type.
    pub fn unknown(t: Type) -> Value {
        Value::new(Kind::Unknown(t))
    }

    /// A string.
    pub fn string(s: impl Into<String>) -> Value {
        Value::new(Kind::String(s.into()))
    }

    /// A number.
    pub fn number(n: Number) -> Value {
        Value::new(Kind::Number(n))
    }

    /// A whole number.
    pub fn int(i: i64) -> Value {
        Value::number(Number::from_i64(i))
    }

    /// A bool.
    pub fn bool(b: bool) -> Value {
        Value::new(Kind::Bool(b))
    }

    /// A tuple.
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::new(Kind::Tuple(items))
    }

    /// An object.
    pub fn object(attrs: BTreeMap<String, Value>) -> Value {
        Value::new(Kind::Object(attrs))
    }

    /// A list of elements of one type.
    pub fn list(element: Type, items: Vec<Value>) -> Value {
        Value::new(Kind::List(element, items))
    }

    /// A map of elements of one type.
    pub fn map(element: Type, items: BTreeMap<String, Value>) -> Value {
        Value::new(Kind::Map(element, items))
    }

    /// A set of elements of one type: duplicates dropped, in Terraform's
    /// set order.
    pub fn set(element: Type, mut items: Vec<Value>) -> Value {
        if items.iter().all(is_primitive) {
            items.sort_by(set_order);
        } else {
            items.sort_by_cached_key(|v| (v.is_unknown(), set_bytes(v)));
        }
        let mut unique: Vec<Value> = Vec::with_capacity(items.len());
        for item in items {
            if item.is_unknown() || !unique.iter().any(|u| u.equals_raw(&item)) {
                unique.push(item);
            }
        }
        Value::new(Kind::Set(element, unique))
    }

    /// This value, marked sensitive when `sensitive` holds.
    pub fn mark(mut self, sensitive: bool) -> Value {
        self.sensitive |= sensitive;
        self
    }

    /// The value's type.
    pub fn ty(&self) -> Type {
        match &self.kind {
            Kind::Null(t) | Kind::Unknown(t) => t.clone(),
            Kind::Bool(_) => Type::Bool,
            Kind::Number(_) => Type::Number,
            Kind::String(_) => Type::String,
            Kind::List(t, _) => Type::List(Box::new(t.clone())),
            Kind::Set(t, _) => Type::Set(Box::new(t.clone())),
            Kind::Map(t, _) => Type::Map(Box::new(t.clone())),
            Kind::Tuple(items) => Type::Tuple(items.iter().map(Value::ty).collect()),
            Kind::Object(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), v.ty())).collect()),
        }
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null(_))
    }

    /// Whether the value itself is unknown (its elements may be too,
    /// see [`Value::is_wholly_known`]).
    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, Kind::Unknown(_))
    }

    /// Whether no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match &self.kind {
            Kind::Unknown(_) => false,
            Kind::List(_, v) | Kind::Set(_, v) | Kind::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Kind::Map(_, m) | Kind::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// Whether any part of the value is sensitive.
    pub fn has_sensitive(&self) -> bool {
        self.sensitive
            || match &self.kind {
                Kind::List(_, v) | Kind::Set(_, v) | Kind::Tuple(v) => {
                    v.iter().any(Value::has_sensitive)
                }
                Kind::Map(_, m) | Kind::Object(m) => m.values().any(Value::has_sensitive),
                _ => false,
            }
    }

    /// The value with every sensitive mark removed, and whether it had
    /// any.
    pub fn unmark_deep(&self) -> (Value, bool) {
        let marked = self.has_sensitive();
        (self.map_items(&|v| v.unmark_deep().0).mark_off(), marked)
    }

    fn mark_off(mut self) -> Value {
        self.sensitive = false;
        self
    }

    fn map_items(&self, f: &dyn Fn(&Value) -> Value) -> Value {
        let kind = match &self.kind {
            Kind::List(t, v) => Kind::List(t.clone(), v.iter().map(f).collect()),
            Kind::Set(t, v) => Kind::Set(t.clone(), v.iter().map(f).collect()),
            Kind::Tuple(v) => Kind::Tuple(v.iter().map(f).collect()),
            Kind::Map(t, m) => Kind::Map(
                t.clone(),
                m.iter().map(|(k, v)| (k.clone(), f(v))).collect(),
            ),
            Kind::Object(m) => Kind::Object(m.iter().map(|(k, v)| (k.clone(), f(v))).collect()),
            other => other.clone(),
        };
        Value {
            kind,
            sensitive: self.sensitive,
        }
    }

    /// The string, when the value is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number, when the value is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match &self.kind {
            Kind::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The bool, when the value is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements of a known list, set or tuple.
    pub fn elements(&self) -> Option<&[Value]> {
        match &self.kind {
            Kind::List(_, v) | Kind::Set(_, v) | Kind::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The attributes or elements of a known object or map.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match &self.kind {
            Kind::Map(_, m) | Kind::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Equality as Terraform's `==` sees it between known values, marks
    /// aside: same type and same content.
    pub fn equals_raw(&self, other: &Value) -> bool {
        match (&self.kind, &other.kind) {
            (Kind::Null(_), Kind::Null(_)) => true,
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            (Kind::Number(a), Kind::Number(b)) => a == b,
            (Kind::String(a), Kind::String(b)) => a == b,
            (Kind::List(ta, a), Kind::List(tb, b)) | (Kind::Set(ta, a), Kind::Set(tb, b)) => {
                ta == tb && a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals_raw(y))
            }
            (Kind::Tuple(a), Kind::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals_raw(y))
            }
            (Kind::Map(ta, a), Kind::Map(tb, b)) => ta == tb && same_entries(a, b),
            (Kind::Object(a), Kind::Object(b)) => same_entries(a, b),
            (Kind::Unknown(a), Kind::Unknown(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// The value as JSON: sets and tuples as arrays, maps and objects as
    /// objects, numbers with every digit; null and unknown parts (and
    /// infinities, which JSON cannot hold) as `null`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Null(_) | Kind::Unknown(_) => J::Null,
            Kind::Bool(b) => J::Bool(*b),
            // Whole numbers, the common case, skip the decimal text.
            Kind::Number(n) => match n.to_i64() {
                Some(i) => J::from(i),
                None => n
                    .text()
                    .parse::<serde_json::Number>()
                    .map(J::Number)
                    .unwrap_or(J::Null),
            },
            Kind::String(s) => J::String(s.clone()),
            Kind::List(_, v) | Kind::Set(_, v) | Kind::Tuple(v) => {
                J::Array(v.iter().map(Value::to_json).collect())
            }
            Kind::Map(_, m) | Kind::Object(m) => {
                J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// `{value, type, known, sensitive, console}`: the JSON value with
    /// what JSON cannot say beside it.
    pub fn to_json_report(&self) -> serde_json::Value {
        serde_json::json!({
            "value": self.to_json(),
            "type": self.ty().to_string(),
            "known": self.is_wholly_known(),
            "sensitive": self.has_sensitive(),
            "console": super::format::console(self),
        })
    }
}

fn same_entries(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && va.equals_raw(vb))
}

/// Whether `v` is ordered in a set by its own value ([`set_order`]) rather
/// than by [`set_bytes`].
fn is_primitive(v: &Value) -> bool {
    matches!(
        v.kind,
        Kind::String(_) | Kind::Number(_) | Kind::Bool(_) | Kind::Unknown(_) | Kind::Null(_)
    )
}

/// Terraform's order for set elements: strings lexically, numbers by
/// value, `false` before `true`, unknowns last. Collections are ordered by
/// [`set_bytes`] instead.
fn set_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (&a.kind, &b.kind) {
        (Kind::Unknown(_), Kind::Unknown(_)) => Equal,
        (Kind::Unknown(_), _) => Greater,
        (_, Kind::Unknown(_)) => Less,
        (Kind::String(x), Kind::String(y)) => x.cmp(y),
        (Kind::Number(x), Kind::Number(y)) => x.partial_cmp(y).unwrap_or(Equal),
        (Kind::Bool(x), Kind::Bool(y)) => x.cmp(y),
        _ => Equal,
    }
}

/// The text cty orders a set of collections by (its set hash bytes): a
/// string quoted as Go's `%q` quotes it, a number as `big.Float.String`
/// writes it (`%g`, ten digits), `T`/`F`, `~` for null and `?` for unknown;
/// lists and sets as `[e;e;]`, tuples and objects (by attribute name) as
/// `<e;e;>`, maps as `{"k":e;}`. Compared byte by byte, so `[10]` comes
/// before `[1]`, as `terraform console` prints `toset([[1], [10]])`.
fn set_bytes(v: &Value) -> String {
    let mut out = String::new();
    write_set_bytes(v, &mut out);
    out
}

fn write_set_bytes(v: &Value, out: &mut String) {
    let each = |out: &mut String, items: &mut dyn Iterator<Item = &Value>| {
        for item in items {
            write_set_bytes(item, out);
            out.push(';');
        }
    };
    match &v.kind {
        Kind::Unknown(_) => out.push('?'),
        Kind::Null(_) => out.push('~'),
        Kind::Bool(b) => out.push(if *b { 'T' } else { 'F' }),
        Kind::String(s) => out.push_str(&super::format::quote(s)),
        Kind::Number(n) => out.push_str(&go_g10(n.to_f64())),
        Kind::List(_, items) | Kind::Set(_, items) => {
            out.push('[');
            each(out, &mut items.iter());
            out.push(']');
        }
        Kind::Tuple(items) => {
            out.push('<');
            each(out, &mut items.iter());
            out.push('>');
        }
        Kind::Object(attrs) => {
            out.push('<');
            each(out, &mut attrs.values());
            out.push('>');
        }
        Kind::Map(_, entries) => {
            out.push('{');
            for (k, e) in entries {
                out.push_str(&super::format::quote(k));
                out.push(':');
                write_set_bytes(e, out);
                out.push(';');
            }
            out.push('}');
        }
    }
}

/// `n` as Go's `%.10g` writes it: ten significant digits, trailing zeros
/// dropped, an exponent (`e+21`, at least two digits) below 1e-4 or from
/// 1e10 up.
fn go_g10(n: f64) -> String {
    if !n.is_finite() {
        return if n > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if n == 0.0 {
        return "0".to_string();
    }
    let sci = format!("{n:.9e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..10).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(mantissa), exp.abs());
    }
    let decimals = usize::try_from(9 - exp).unwrap_or(0);
    trim(&format!("{n:.decimals$}"))
}
