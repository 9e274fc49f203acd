//! `yamlencode`'s writer: the YAML Terraform produces (cty's encoder over
//! go-yaml v3's emitter), byte for byte, so hashes of it match.
//!
//! Strings and keys are double-quoted, multi-line strings become literal
//! blocks where YAML allows, long quoted strings fold at spaces past column
//! 80, and a document that is one plain scalar ends with `...`.

use super::super::value::{Kind, Value};

/// go-yaml's preferred line width and indentation.
const WIDTH: usize = 80;
const INDENT: usize = 2;

/// Where a node is written, which decides its indentation and whether a
/// collection starts on the current line.
#[derive(Clone, Copy)]
enum Pos {
    /// The whole document.
    Root,
    /// After `"key":` in a block mapping at this indentation.
    MapValue(usize),
    /// After `- ` or a complex key's `: `, written at this indentation.
    Compact(usize),
}

pub(super) fn encode(v: &Value) -> Result<String, String> {
    let mut e = Emitter::default();
    if matches!(v.kind, Kind::Null(_) | Kind::Bool(_) | Kind::Number(_)) {
        e.plain(v)?;
        e.out.push_str("\n...\n");
        return Ok(e.out);
    }
    e.node(v, Pos::Root)?;
    if !e.out.ends_with('\n') {
        e.out.push('\n');
    }
    Ok(e.out)
}

#[derive(Default)]
struct Emitter {
    out: String,
    column: usize,
}

impl Emitter {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += s.chars().count();
    }

    /// Moves to a fresh line indented by `indent`, unless already at the
    /// start of one.
    fn line(&mut self, indent: usize) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.column = 0;
        self.write(&" ".repeat(indent));
    }

    fn plain(&mut self, v: &Value) -> Result<(), String> {
        match &v.kind {
            Kind::Null(_) => self.write("null"),
            Kind::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Kind::Number(n) => self.write(&n.text()),
            _ => return Err("value is not known".into()),
        }
        Ok(())
    }

    fn node(&mut self, v: &Value, pos: Pos) -> Result<(), String> {
        let gap = |e: &mut Emitter| {
            if matches!(pos, Pos::MapValue(_)) {
                e.write(" ");
            }
        };
        let scalar_indent = match pos {
            Pos::Root => INDENT,
            Pos::MapValue(at) | Pos::Compact(at) => at + INDENT,
        };
        match &v.kind {
            Kind::Null(_) | Kind::Bool(_) | Kind::Number(_) | Kind::Unknown(_) => {
                gap(self);
                self.plain(v)?;
            }
            Kind::String(s) => {
                gap(self);
                self.string(s, scalar_indent);
            }
            Kind::List(_, items) | Kind::Set(_, items) | Kind::Tuple(items) => {
                if items.is_empty() {
                    gap(self);
                    self.write("[]");
                    return Ok(());
                }
                // A sequence under a mapping key is not indented.
                let (indent, inline) = match pos {
                    Pos::Root => (0, false),
                    Pos::MapValue(at) => (at, false),
                    Pos::Compact(at) => (at + INDENT, true),
                };
                for (i, item) in items.iter().enumerate() {
                    if !(inline && i == 0) {
                        self.line(indent);
                    }
                    self.write("- ");
                    self.node(item, Pos::Compact(indent))?;
                }
            }
            Kind::Map(_, entries) | Kind::Object(entries) => {
                if entries.is_empty() {
                    gap(self);
                    self.write("{}");
                    return Ok(());
                }
                let (indent, inline) = match pos {
                    Pos::Root => (0, false),
                    Pos::MapValue(at) => (at + INDENT, false),
                    Pos::Compact(at) => (at + INDENT, true),
                };
                for (i, (key, item)) in entries.iter().enumerate() {
                    if !(inline && i == 0) {
                        self.line(indent);
                    }
                    if is_simple_key(key) {
                        self.quoted(key, 0, false);
                        self.write(":");
                        self.node(item, Pos::MapValue(indent))?;
                    } else {
                        self.write("? ");
                        self.string(key, indent + INDENT);
                        self.line(indent);
                        self.write(": ");
                        self.node(item, Pos::Compact(indent))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// A string value: a literal block when it spans lines and YAML can
    /// carry it that way, double-quoted otherwise.
    fn string(&mut self, s: &str, indent: usize) {
        if s.contains('\n') && block_allowed(s) {
            self.literal(s, indent);
        } else {
            self.quoted(s, indent, true);
        }
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.write("|");
        if s.starts_with([' ', '\n']) {
            self.write(&INDENT.to_string());
        }
        if !s.ends_with('\n') {
            self.write("-");
        } else if s.len() == 1 || s[..s.len() - 1].ends_with('\n') {
            self.write("+");
        }
        let mut at_line_start = true;
        self.out.push('\n');
        self.column = 0;
        for c in s.chars() {
            if c == '\n' {
                self.out.push('\n');
                self.column = 0;
                at_line_start = true;
                continue;
            }
            if at_line_start {
                self.write(&" ".repeat(indent));
                at_line_start = false;
            }
            self.out.push(c);
            self.column += 1;
        }
    }

    /// A double-quoted scalar; with `fold`, a space past the preferred
    /// width becomes a line break (a folded space when read back).
    fn quoted(&mut self, s: &str, indent: usize, fold: bool) {
        self.write("\"");
        let mut after_space = false;
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if needs_escape(c) {
                self.write(&escape(c));
                after_space = false;
            } else if c == ' ' {
                let last = i + 1 == s.len();
                if fold && !after_space && self.column > WIDTH && i != 0 && !last {
                    self.line(indent);
                    if chars.peek().is_some_and(|&(_, n)| n == ' ') {
                        self.write("\\");
                    }
                } else {
                    self.write(" ");
                }
                after_space = true;
            } else {
                self.out.push(c);
                self.column += 1;
                after_space = false;
            }
        }
        self.write("\"");
    }
}

/// A key go-yaml writes inline: one line, at most 128 bytes.
fn is_simple_key(k: &str) -> bool {
    k.len() <= 128 && !k.chars().any(is_break)
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml's printable set; everything else is escaped.
fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{FEFF}'
}

/// Literal blocks cannot hold unprintable characters, a trailing space, or
/// a space just before a line break.
fn block_allowed(s: &str) -> bool {
    s.chars()
        .all(|c| is_printable(c) && !matches!(c, '\u{2028}' | '\u{2029}'))
        && !s.ends_with(' ')
        && !s.contains(" \n")
}

fn needs_escape(c: char) -> bool {
    !is_printable(c) || is_break(c) || c == '"' || c == '\\'
}

fn escape(c: char) -> String {
    match c {
        '\0' => "\\0".into(),
        '\u{7}' => "\\a".into(),
        '\u{8}' => "\\b".into(),
        '\t' => "\\t".into(),
        '\n' => "\\n".into(),
        '\u{b}' => "\\v".into(),
        '\u{c}' => "\\f".into(),
        '\r' => "\\r".into(),
        '\u{1b}' => "\\e".into(),
        '"' => "\\\"".into(),
        '\\' => "\\\\".into(),
        '\u{85}' => "\\N".into(),
        '\u{a0}' => "\\_".into(),
        '\u{2028}' => "\\L".into(),
        '\u{2029}' => "\\P".into(),
        c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
        c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
        c => format!("\\U{:08X}", c as u32),
    }
}
