//! Secret redaction before text leaves the process: cloud keys, private
//! keys, API tokens and secret-looking assignments become placeholders.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

/// One secret replaced: what kind, where it was, and what replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redaction {
    /// `aws_access_key_id`, `private_key`, `password`, ...
    pub kind: String,
    /// The text it came from (`system`, `user`, a hit's citation, ...).
    pub source: String,
    /// 1-based line and column of the secret in that text.
    pub line: usize,
    /// Its 1-based column.
    pub column: usize,
    /// What replaced it in the text, e.g. `[REDACTED password 1]`.
    pub placeholder: String,
}

/// What each kind looks like. The group named `s` is the secret when a
/// pattern also matches its surroundings (`password = "..."`).
const PATTERNS: &[(&str, &str)] = &[
    (
        "private_key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
    ),
    (
        "aws_access_key_id",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
    ),
    (
        "aws_secret_access_key",
        r#"(?i)aws_?secret_?access_?key["']?\s*[=:]\s*["']?(?P<s>[A-Za-z0-9/+=]{40})"#,
    ),
    ("anthropic_api_key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    ("openai_api_key", r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{20,}"),
    (
        "github_token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
    ),
    ("slack_token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    (
        "bearer_token",
        r"(?i)\bbearer\s+(?P<s>[A-Za-z0-9._~+/-]{20,}=*)",
    ),
    // Quoted values assigned to secret-named keys, as in `.tfvars`, HCL,
    // YAML and JSON; references (`var.x`, `${...}`) are not quoted values.
    (
        "password",
        r#"(?im)^\s*"?[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api_?key|private_key|access_key|credentials?)"?\s*[=:]\s*"(?P<s>[^"$\n][^"\n]{3,})""#,
    ),
];

fn patterns() -> &'static [(&'static str, Regex)] {
    static P: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    P.get_or_init(|| {
        PATTERNS
            .iter()
            .map(|(k, p)| (*k, Regex::new(p).expect("redaction pattern")))
            .collect()
    })
}

/// Replaces secrets with placeholders like `[REDACTED aws_access_key_id 1]`.
/// One redactor gives the same secret the same placeholder in every text it
/// sees, so a prompt stays consistent.
#[derive(Debug, Default)]
pub struct Redactor {
    seen: HashMap<String, String>,
    counts: HashMap<&'static str, usize>,
    /// Every redaction so far, in order.
    pub redactions: Vec<Redaction>,
}

impl Redactor {
    /// A redactor with the built-in patterns.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// `text` with its secrets replaced; each is recorded with `source`.
    pub fn redact(&mut self, text: &str, source: &str) -> String {
        let mut found: Vec<(usize, usize, &'static str)> = Vec::new();
        for (kind, re) in patterns() {
            for c in re.captures_iter(text) {
                let m = c.name("s").or_else(|| c.get(0)).expect("a match");
                let overlaps = found.iter().any(|(s, e, _)| m.start() < *e && *s < m.end());
                if !overlaps {
                    found.push((m.start(), m.end(), kind));
                }
            }
        }
        if found.is_empty() {
            return text.to_string();
        }
        found.sort();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (start, end, kind) in found {
            out.push_str(&text[at..start]);
            let secret = &text[start..end];
            let placeholder = match self.seen.get(secret) {
                Some(p) => p.clone(),
                None => {
                    let n = self.counts.entry(kind).or_default();
                    *n += 1;
                    let p = format!("[REDACTED {kind} {n}]");
                    self.seen.insert(secret.to_string(), p.clone());
                    p
                }
            };
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
                .chars()
                .count()
                + 1;
            self.redactions.push(Redaction {
                kind: kind.to_string(),
                source: source.to_string(),
                line,
                column,
                placeholder: placeholder.clone(),
            });
            out.push_str(&placeholder);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// `text` with its secrets replaced, and what was replaced.
pub fn redact(text: &str) -> (String, Vec<Redaction>) {
    let mut r = Redactor::new();
    let out = r.redact(text, "text");
    (out, r.redactions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_each_kind_and_keeps_references() {
        let text = concat!(
            "access_key = \"AKIAIOSFODNN7EXAMPLE\"\n",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            "db_password = \"hunter2-but-longer\"\n",
            "password = var.db_password\n",
            "token = \"${var.token}\"\n",
            "key = <<EOT\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nEOT\n",
            "again = \"AKIAIOSFODNN7EXAMPLE\"\n",
            "gh = \"ghp_0123456789abcdefghijABCDEFGHIJ012345\"\n",
        );
        let (out, found) = redact(text);
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI",
            "hunter2",
            "MIIEow",
            "ghp_0123",
        ] {
            assert!(!out.contains(secret), "{secret} left in:\n{out}");
        }
        assert!(
            out.contains("password = var.db_password") && out.contains("token = \"${var.token}\"")
        );
        let kinds: Vec<(&str, usize, usize)> = found
            .iter()
            .map(|r| (r.kind.as_str(), r.line, r.column))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("aws_access_key_id", 1, 15),
                ("aws_secret_access_key", 2, 25),
                ("password", 3, 16),
                ("private_key", 7, 1),
                ("aws_access_key_id", 11, 10),
                ("github_token", 12, 7),
            ]
        );
        assert_eq!(
            found[0].placeholder, found[4].placeholder,
            "one secret, one placeholder"
        );
        assert_eq!(found[0].placeholder, "[REDACTED aws_access_key_id 1]");
    }
}
