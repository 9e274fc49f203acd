//! `.driftignore`: which live resources and attributes a drift report
//! leaves out, in driftctl's syntax.
//!
//! One pattern a line: `TYPE.ID` leaves out a resource, `TYPE.ID.PATH`
//! (path segments joined by dots) one attribute and what is below it; `*`
//! matches any run of characters within a segment, `\.` a dot within an id,
//! `!` before a pattern takes back what earlier lines left out, and `#`
//! starts a comment. The last pattern that matches decides.

use std::path::Path;

use crate::error::{Error, Result};

/// A parsed `.driftignore`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftIgnore {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    keep: bool,
    segments: Vec<String>,
}

impl DriftIgnore {
    /// The patterns of `text`, one a line.
    pub fn parse(text: &str) -> DriftIgnore {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|line| {
                let (keep, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                Rule {
                    keep,
                    segments: split(pattern),
                }
            })
            .collect();
        DriftIgnore { rules }
    }

    /// The patterns of the file at `path`.
    pub fn read(path: impl AsRef<Path>) -> Result<DriftIgnore> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Ok(DriftIgnore::parse(&text))
    }

    /// Whether the resource `resource_type` `id` is left out.
    pub fn ignores_resource(&self, resource_type: &str, id: &str) -> bool {
        self.decide(&[resource_type, id], false)
    }

    /// Whether the attribute at `path` (segments) of the resource is left out.
    pub fn ignores_attribute(&self, resource_type: &str, id: &str, path: &[String]) -> bool {
        let mut target: Vec<&str> = vec![resource_type, id];
        target.extend(path.iter().map(String::as_str));
        self.decide(&target, true)
    }

    /// The last rule's verdict among those matching `target`; attribute
    /// rules (more than two segments) match a target they are a prefix of.
    fn decide(&self, target: &[&str], attribute: bool) -> bool {
        let mut ignored = false;
        for rule in &self.rules {
            let n = rule.segments.len();
            let applies = if attribute {
                n >= 2 && n <= target.len()
            } else {
                n == 2 || (n == 1 && rule.segments[0] == "*")
            };
            let matched = applies
                && if n == 1 {
                    true
                } else {
                    rule.segments.iter().zip(target).all(|(p, t)| glob(p, t))
                };
            if matched {
                ignored = !rule.keep;
            }
        }
        ignored
    }
}

/// A pattern's segments: split on dots that no backslash escapes.
fn split(pattern: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.last_mut().expect("one segment").push(next);
                }
            }
            '.' => out.push(String::new()),
            c => out.last_mut().expect("one segment").push(c),
        }
    }
    out
}

/// Whether `text` matches `pattern`, where `*` is any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_matching_pattern_decides() {
        let ignore = DriftIgnore::parse(
            "# users made by hand\naws_iam_user.*\n!aws_iam_user.ci\naws_s3_bucket.logs\\.example\\.com\n",
        );
        assert!(ignore.ignores_resource("aws_iam_user", "alice"));
        assert!(!ignore.ignores_resource("aws_iam_user", "ci"));
        assert!(ignore.ignores_resource("aws_s3_bucket", "logs.example.com"));
        assert!(!ignore.ignores_resource("aws_s3_bucket", "logs"));
        assert!(!ignore.ignores_resource("aws_vpc", "vpc-1"));
    }

    #[test]
    fn attribute_patterns_cover_what_is_below_them() {
        let ignore = DriftIgnore::parse("aws_instance.*.tags\naws_vpc.vpc-1.tags.Owner\n");
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        assert!(ignore.ignores_attribute("aws_instance", "i-1", &path("tags.Env")));
        assert!(!ignore.ignores_attribute("aws_instance", "i-1", &path("ami")));
        assert!(ignore.ignores_attribute("aws_vpc", "vpc-1", &path("tags.Owner")));
        assert!(!ignore.ignores_attribute("aws_vpc", "vpc-1", &path("tags.Env")));
        assert!(!ignore.ignores_resource("aws_instance", "i-1"));
        assert!(DriftIgnore::parse("*").ignores_resource("aws_vpc", "vpc-1"));
    }

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob("a*c", "abbc"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "a-b-c"));
        assert!(!glob("a*b*c", "a-c"));
        assert!(!glob("ab*ba", "aba"));
    }
}
