//! Encoding and hashing functions: JSON, YAML, base64, URL encoding,
//! digests; and the functions whose result depends on the machine, the
//! clock or files, which evaluate to unknown.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::Digest as _;

use super::super::format::quote;
use super::super::number::Number;
use super::super::value::{Kind, Type, Value};
use super::{def, Def, Fail};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub(super) static DEFS: &[Def] = &[
    def!("jsonencode", ["val": AnyNull], |a| json(&a.values[0]).map(Value::string).map_err(Fail::Call)),
    def!("jsondecode", ["str": Str], |a| {
        let v: serde_json::Value = serde_json::from_str(a.str(0))
            .map_err(|e| Fail::Call(format!("{e}")))?;
        Ok(from_json(&v))
    }),
    def!("yamldecode", ["src": Str], |a| {
        let v: serde_json::Value = serde_yaml_ng::from_str(a.str(0))
            .map_err(|e| Fail::Call(format!("on line {e}")))?;
        Ok(from_json(&v))
    }),
    def!("yamlencode", ["value": AnyNull], |a| {
        super::yaml::encode(&a.values[0]).map(Value::string).map_err(Fail::Call)
    }),
    def!("base64encode", ["str": Str], |a| Ok(Value::string(B64.encode(a.str(0))))),
    def!("base64decode", ["str": Str], |a| {
        let bytes = B64
            .decode(a.str(0))
            .map_err(|_| Fail::Call(format!("failed to decode base64 data {}", quote(a.str(0)))))?;
        String::from_utf8(bytes)
            .map(Value::string)
            .map_err(|_| Fail::Call("the result of decoding the provided string is not valid UTF-8".into()))
    }),
    def!("urlencode", ["str": Str], |a| Ok(Value::string(urlencode(a.str(0))))),
    def!("md5", ["str": Str], |a| Ok(Value::string(hex(&md5::compute(a.str(0)).0)))),
    def!("sha1", ["str": Str], |a| Ok(Value::string(hex(&sha1::Sha1::digest(a.str(0)))))),
    def!("sha256", ["str": Str], |a| Ok(Value::string(hex(&sha2::Sha256::digest(a.str(0)))))),
    def!("sha512", ["str": Str], |a| Ok(Value::string(hex(&sha2::Sha512::digest(a.str(0)))))),
    def!("base64sha256", ["str": Str], |a| Ok(Value::string(B64.encode(sha2::Sha256::digest(a.str(0)))))),
    def!("base64sha512", ["str": Str], |a| Ok(Value::string(B64.encode(sha2::Sha512::digest(a.str(0)))))),
    def!("basename", ["path": Str], |a| Ok(Value::string(basename(a.str(0))))),
    def!("dirname", ["path": Str], |a| Ok(Value::string(dirname(a.str(0))))),
    // Known only when Terraform runs: the clock, random ids, the machine's
    // files and directories.
    def!("timestamp", [], |_| Ok(Value::unknown(Type::String))),
    def!("plantimestamp", [], |_| Ok(Value::unknown(Type::String))),
    def!("uuid", [], |_| Ok(Value::unknown(Type::String))),
    def!("bcrypt", ["str": Str], ...("cost": Num), |_| Ok(Value::unknown(Type::String))),
    def!("file", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("filebase64", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("fileexists", ["path": Str], |_| Ok(Value::unknown(Type::Bool))),
    def!("fileset", ["path": Str, "pattern": Str], |_| {
        Ok(Value::unknown(Type::Set(Box::new(Type::String))))
    }),
    def!("filemd5", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("filesha1", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("filesha256", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("filesha512", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("filebase64sha256", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("filebase64sha512", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("templatefile", ["path": Str, "vars": AnyNull], |_| Ok(Value::unknown(Type::Dynamic))),
    // Deterministic in Terraform, but the bytes are Go's own DEFLATE
    // encoder's, which no Rust compressor reproduces.
    def!("base64gzip", ["str": Str], |_| Ok(Value::unknown(Type::String))),
    def!("abspath", ["path": Str], |_| Ok(Value::unknown(Type::String))),
    def!("pathexpand", ["path": Str], |_| Ok(Value::unknown(Type::String))),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Go's `url.QueryEscape`.
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn basename(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn dirname(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    clean(dir)
}

/// Go's `filepath.Clean`, for `/`-separated paths.
fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// The value as `jsonencode` writes it: Go's JSON, with `<`, `>` and `&`
/// escaped, object keys sorted.
pub(super) fn json(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(v, &mut out)?;
    Ok(out)
}

fn write_json(v: &Value, out: &mut String) -> Result<(), String> {
    match &v.kind {
        Kind::Unknown(_) => return Err("value is not known".into()),
        Kind::Null(_) => out.push_str("null"),
        Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Kind::Number(n) => {
            if n.is_infinite() {
                return Err("value is infinite".into());
            }
            out.push_str(&n.text())
        }
        Kind::String(s) => json_string(s, out),
        Kind::List(_, x) | Kind::Set(_, x) | Kind::Tuple(x) => {
            out.push('[');
            for (i, item) in x.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Kind::Map(_, m) | Kind::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A decoded JSON document as Terraform types it: objects, tuples,
/// numbers, strings, bools and untyped null.
pub(crate) fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::null(),
        serde_json::Value::Bool(b) => Value::bool(*b),
        serde_json::Value::Number(n) => Number::parse(&n.to_string())
            .map(Value::number)
            .unwrap_or_else(|| Value::unknown(Type::Number)),
        serde_json::Value::String(s) => Value::string(s.clone()),
        serde_json::Value::Array(a) => Value::tuple(a.iter().map(from_json).collect()),
        serde_json::Value::Object(m) => Value::object(
            m.iter()
                .map(|(k, x)| (k.clone(), from_json(x)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}
