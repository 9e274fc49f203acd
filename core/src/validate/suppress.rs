//! Suppressions written in the source: checkov's `#checkov:skip=ID:reason`
//! and our `# infrarag:ignore CODE[,CODE] reason`, honoured and reported.
//!
//! A suppression inside a top-level block covers that block (checkov's
//! rule); one outside any block covers its own line and the next.

use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

use super::Finding;
use crate::hcl::Span;
use crate::terraform::SourceFile;

/// A finding a suppression silenced, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed {
    /// The finding silenced.
    pub finding: Finding,
    /// The reason written after the code, if any.
    pub reason: Option<String>,
    /// Where the suppressing comment is.
    pub file: PathBuf,
    /// The comment.
    pub span: Span,
}

/// One suppressing comment.
pub(super) struct Suppression {
    codes: Vec<String>,
    reason: Option<String>,
    file: PathBuf,
    span: Span,
    covers: Covers,
}

enum Covers {
    /// The bytes of the top-level block holding the comment.
    Block(Range<usize>),
    /// The comment's line and the next.
    Lines(usize),
}

pub(super) fn collect<'a>(files: impl IntoIterator<Item = &'a SourceFile>) -> Vec<Suppression> {
    let mut out = Vec::new();
    for f in files {
        let blocks: Vec<Range<usize>> = f
            .parsed
            .file
            .body
            .blocks()
            .map(|b| b.span.bytes())
            .collect();
        for c in &f.parsed.file.comments {
            let Some((codes, reason)) = parse(c.content()) else {
                continue;
            };
            let at = c.span.start.byte;
            let covers = match blocks.iter().find(|r| r.contains(&at)) {
                Some(r) => Covers::Block(r.clone()),
                None => Covers::Lines(c.span.start.line),
            };
            out.push(Suppression {
                codes,
                reason,
                file: f.path.clone(),
                span: c.span,
                covers,
            });
        }
    }
    out
}

/// The codes and reason of a suppressing comment's text, if it is one.
fn parse(text: &str) -> Option<(Vec<String>, Option<String>)> {
    let reason = |r: &str| Some(r.trim().to_string()).filter(|r| !r.is_empty());
    if let Some(rest) = text.strip_prefix("checkov:skip=") {
        // checkov's own pattern: `checkov:skip=\s*([A-Z_\d]+)(:[^\n]+)?`.
        let rest = rest.trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        let (id, after) = rest.split_at(end);
        if id.is_empty() {
            return None;
        }
        return Some((
            vec![id.to_string()],
            after.strip_prefix(':').and_then(reason),
        ));
    }
    let rest = text.strip_prefix("infrarag:ignore")?;
    let rest = rest.trim_start();
    let (codes, why) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let codes: Vec<String> = codes
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    (!codes.is_empty()).then(|| (codes, reason(why)))
}

impl Suppression {
    /// Whether this comment silences `code` at `span` of `file`.
    pub(super) fn covers(&self, code: &str, file: &std::path::Path, span: Span) -> bool {
        let named = self.codes.iter().any(|c| super::names_code(c, code));
        named
            && self.file == file
            && match &self.covers {
                Covers::Block(r) => r.contains(&span.start.byte),
                Covers::Lines(line) => span.start.line == *line || span.start.line == line + 1,
            }
    }

    pub(super) fn silence(&self, finding: Finding) -> Suppressed {
        Suppressed {
            finding,
            reason: self.reason.clone(),
            file: self.file.clone(),
            span: self.span,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn both_comment_forms_parse() {
        assert_eq!(
            parse("checkov:skip=CKV_AWS_20:The bucket is a public website"),
            Some((
                vec!["CKV_AWS_20".to_string()],
                Some("The bucket is a public website".to_string())
            ))
        );
        assert_eq!(
            parse("checkov:skip=CKV_AWS_20"),
            Some((vec!["CKV_AWS_20".to_string()], None))
        );
        assert_eq!(
            parse("infrarag:ignore terraform_typed_variables,CKV_AWS_16 legacy module"),
            Some((
                vec![
                    "terraform_typed_variables".to_string(),
                    "CKV_AWS_16".to_string()
                ],
                Some("legacy module".to_string())
            ))
        );
        assert_eq!(parse("infrarag:ignore"), None);
        assert_eq!(parse("just a comment"), None);
    }
}
