//! [`Template`]: text with `{{name}}` slots. A slot with no value is an
//! error naming it and where it is, never an empty string.

use std::collections::HashMap;

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Slot {
        name: String,
        line: usize,
        column: usize,
    },
}

/// A prompt template. `{{ name }}` (spaces optional) is a slot; names are
/// letters, digits and `_`, not starting with a digit. `{{{{` writes a
/// literal `{{`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Fails on a `{{` that does not open a well-formed slot, naming its
    /// line and column.
    pub fn parse(text: &str) -> Result<Template> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut consumed = 0;
        while let Some(at) = rest.find("{{") {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            if let Some(tail) = after.strip_prefix("{{") {
                literal.push_str("{{");
                consumed += at + 4;
                rest = tail;
                continue;
            }
            let (line, column) = position(text, consumed + at);
            let bad = |why: &str| Error::InvalidArgument {
                name: "template".into(),
                message: format!("line {line}, column {column}: {why}"),
            };
            let end = after
                .find("}}")
                .ok_or_else(|| bad("`{{` is not closed by `}}`"))?;
            let name = after[..end].trim();
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(bad(&format!("{name:?} is not a variable name")));
            }
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            parts.push(Part::Slot {
                name: name.to_string(),
                line,
                column,
            });
            consumed += at + 2 + end + 2;
            rest = &after[end + 2..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The slots' names, each once, in order of first use.
    pub fn variables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.parts {
            if let Part::Slot { name, .. } = p {
                if !out.contains(&name.as_str()) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// The text with every slot filled from `values`.
    pub fn render<K: AsRef<str>, V: AsRef<str>>(
        &self,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String> {
        let values: HashMap<String, String> = values
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
            .collect();
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Slot { name, line, column } => match values.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        return Err(Error::InvalidArgument {
                            name: name.clone(),
                            message: format!(
                                "the template uses {{{{{name}}}}} (line {line}, column {column}) but no value was given"
                            ),
                        })
                    }
                },
            }
        }
        Ok(out)
    }
}

/// 1-based line and column (in characters) of byte `at`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_slots_and_refuses_missing_ones() {
        let t =
            Template::parse("Write {{ kind }} for {{region}}.\n{{{{literal}} {{kind}}").unwrap();
        assert_eq!(t.variables(), vec!["kind", "region"]);
        let out = t
            .render([("kind", "an S3 bucket"), ("region", "eu-west-1")])
            .unwrap();
        assert_eq!(
            out,
            "Write an S3 bucket for eu-west-1.\n{{literal}} an S3 bucket"
        );
        match t.render([("kind", "x")]) {
            Err(Error::InvalidArgument { name, message }) => {
                assert_eq!(name, "region");
                assert!(message.contains("line 1, column 22"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_slots_are_errors_with_positions() {
        let e = Template::parse("ok\n  {{ not closed").unwrap_err();
        assert!(e.to_string().contains("line 2, column 3"), "{e}");
        let e = Template::parse("{{ 1x }}").unwrap_err();
        assert!(
            e.to_string().contains("\"1x\" is not a variable name"),
            "{e}"
        );
    }
}
