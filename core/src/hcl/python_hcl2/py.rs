//! Python values as python-hcl2's transformers hold them, and the bits of
//! Python's `repr`, `str` and `json.dumps` both dialects render them with.

use serde_json::{Map, Number, Value};

/// A value as python-hcl2's transformer holds it: `Str` is the transformer's
/// string form (quoted `"..."`, wrapped `${...}`, or bare expression text).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Py {
    Str(String),
    /// An integer of any size, as decimal digits with optional sign.
    Int(String),
    Float(f64),
    Bool(bool),
    None,
    Dict(Vec<(String, Py)>),
    List(Vec<Py>),
}

impl Py {
    pub(crate) fn insert(items: &mut Vec<(String, Py)>, key: String, value: Py) {
        match items.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => items.push((key, value)),
        }
    }

    pub(crate) fn into_json(self) -> Value {
        match self {
            Py::Str(s) => Value::String(s),
            Py::Int(digits) => digits
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| digits.parse::<u64>().map(Value::from))
                .unwrap_or_else(|_| big_int(&digits)),
            Py::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Py::Bool(b) => Value::Bool(b),
            Py::None => Value::Null,
            Py::Dict(items) => {
                let mut m = Map::new();
                for (k, v) in items {
                    m.insert(k, v.into_json());
                }
                Value::Object(m)
            }
            Py::List(items) => Value::Array(items.into_iter().map(Py::into_json).collect()),
        }
    }

    /// Python's `str()` of the value.
    pub(crate) fn py_str(&self) -> String {
        match self {
            Py::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr()` of the value.
    pub(crate) fn py_repr(&self) -> String {
        match self {
            Py::Str(s) => py_repr_str(s),
            Py::Int(d) => d.clone(),
            Py::Float(f) => py_float_repr(*f),
            Py::Bool(true) => "True".into(),
            Py::Bool(false) => "False".into(),
            Py::None => "None".into(),
            Py::Dict(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", py_repr_str(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Py::List(items) => {
                let inner: Vec<String> = items.iter().map(Py::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }

    /// `json.dumps(value)` with Python's defaults (ASCII-only output).
    pub(crate) fn json_dumps(&self) -> String {
        match self {
            Py::Str(s) => json_str(s),
            Py::Int(d) => d.clone(),
            Py::Float(f) => py_float_repr(*f),
            Py::Bool(b) => b.to_string(),
            Py::None => "null".into(),
            Py::Dict(items) => {
                let inner: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", json_str(k), v.json_dumps()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Py::List(items) => {
                let inner: Vec<String> = items.iter().map(Py::json_dumps).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }
}

/// An integer beyond 64 bits keeps its exact digits (serde_json's
/// `arbitrary_precision` holds them as written).
pub(crate) fn big_int(digits: &str) -> Value {
    serde_json::from_str::<Number>(digits).map_or(Value::Null, Value::Number)
}

pub(crate) fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// Python's `repr(float)`: shortest round-trip digits, `.0` for integral
/// values, exponent form outside `1e-4 <= |x| < 1e16`.
pub(crate) fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = format!("{f}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

/// `${...}`: python-hcl2's marker for an expression held as a string.
pub(crate) fn is_dollar_string(s: &str) -> bool {
    s.starts_with("${") && s.ends_with('}')
}

/// `to_dollar_string`: wraps in `${...}` unless already wrapped.
pub(crate) fn to_dollar_string(s: String) -> String {
    if is_dollar_string(&s) {
        s
    } else {
        format!("${{{s}}}")
    }
}

/// `unwrap_dollar_string`.
pub(crate) fn unwrap_dollar_string(s: String) -> String {
    if is_dollar_string(&s) {
        s[2..s.len() - 1].to_string()
    } else {
        s
    }
}

/// Python's `int(literal)`: leading zeros dropped, `-0` is `0`.
pub(crate) fn int_digits(raw: &str) -> String {
    let neg = raw.starts_with('-');
    let digits = raw.trim_start_matches('-').trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if neg && digits != "0" { "-" } else { "" };
    format!("{sign}{digits}")
}

/// A number literal's Python value: an int of any size, a float, or, when
/// it has one of the `kept` exponent markers, the text `${literal}`.
pub(crate) fn number_literal(raw: &str, kept: &[char]) -> Py {
    if raw.contains(kept) {
        return Py::Str(format!("${{{raw}}}"));
    }
    if !raw.contains(['.', 'e', 'E']) {
        return Py::Int(int_digits(raw));
    }
    raw.parse::<f64>()
        .map(Py::Float)
        .unwrap_or_else(|_| Py::Str(format!("${{{raw}}}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(py_float_repr(100.0), "100.0");
        assert_eq!(py_float_repr(1.5), "1.5");
        assert_eq!(py_float_repr(1e16), "1e+16");
        assert_eq!(py_float_repr(1.5e-5), "1.5e-05");
        assert_eq!(py_float_repr(0.0001), "0.0001");
    }

    #[test]
    fn json_dumps_escapes_non_ascii() {
        assert_eq!(json_str("é\"😀"), "\"\\u00e9\\\"\\ud83d\\ude00\"");
    }

    #[test]
    fn repr_of_containers() {
        let v = Py::Dict(vec![(
            "a".into(),
            Py::List(vec![Py::Str("x'".into()), Py::None]),
        )]);
        assert_eq!(v.py_repr(), "{'a': [\"x'\", None]}");
    }
}
