//! Values as `terraform console` prints them, so results can be compared
//! with Terraform's text and shown to people the way Terraform shows them.

use super::value::{Kind, Type, Value};

/// The value as `terraform console` prints it.
pub fn console(v: &Value) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

fn write(v: &Value, indent: usize, out: &mut String) {
    if v.is_unknown() {
        out.push_str("(known after apply)");
        return;
    }
    if v.sensitive {
        out.push_str("(sensitive value)");
        return;
    }
    match &v.kind {
        Kind::Null(t) => out.push_str(&match t {
            Type::Dynamic => "null".to_string(),
            Type::String => "tostring(null)".into(),
            Type::Number => "tonumber(null)".into(),
            Type::Bool => "tobool(null)".into(),
            Type::List(e) => format!("tolist(null) /* of {} */", e.friendly()),
            Type::Set(e) => format!("toset(null) /* of {} */", e.friendly()),
            Type::Map(e) => format!("tomap(null) /* of {} */", e.friendly()),
            other => format!("null /* {} */", other.friendly()),
        }),
        Kind::Unknown(_) => {}
        Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Kind::Number(n) => out.push_str(&n.text()),
        Kind::String(s) => string(s, indent, out),
        Kind::Tuple(items) => sequence(items, indent, out),
        Kind::List(_, items) => {
            out.push_str("tolist(");
            sequence(items, indent, out);
            out.push(')');
        }
        Kind::Set(_, items) => {
            out.push_str("toset(");
            sequence(items, indent, out);
            out.push(')');
        }
        Kind::Object(m) => mapping(m, indent, out),
        Kind::Map(_, m) => {
            out.push_str("tomap(");
            mapping(m, indent, out);
            out.push(')');
        }
    }
}

fn string(s: &str, indent: usize, out: &mut String) {
    let lines: Vec<&str> = s.split('\n').collect();
    if lines.len() < 2 {
        out.push_str(&quote(s));
        return;
    }
    let mut delimiter = String::from("EOT");
    while lines.iter().any(|l| l.trim() == delimiter) {
        delimiter.push('_');
    }
    out.push_str(if indent > 0 { "<<-" } else { "<<" });
    out.push_str(&delimiter);
    for line in lines {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push_str(line);
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push_str(&delimiter);
}

fn sequence(items: &[Value], indent: usize, out: &mut String) {
    out.push('[');
    for item in items {
        out.push('\n');
        out.push_str(&" ".repeat(indent + 2));
        write(item, indent + 2, out);
        out.push(',');
    }
    if !items.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push(']');
}

fn mapping(m: &std::collections::BTreeMap<String, Value>, indent: usize, out: &mut String) {
    out.push('{');
    for (k, v) in m {
        out.push('\n');
        out.push_str(&" ".repeat(indent + 2));
        string(k, indent + 2, out);
        out.push_str(" = ");
        write(v, indent + 2, out);
    }
    if !m.is_empty() {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
    out.push('}');
}

/// A string quoted as Go's `strconv.Quote` quotes it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
