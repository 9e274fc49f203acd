//! A [`Report`] written out for people and tools: text with the source
//! line and a caret, JSON, SARIF 2.1.0, JUnit XML, and `terraform validate -json`.

use serde_json::{json, Value};

use super::{Finding, Report, Severity};

/// For a person: each finding with its place, its source line, a caret
/// under the range, the detail and the fix; then a count.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let (line, col) = (f.span.start.line, f.span.start.column);
        out.push_str(&format!(
            "{}[{}]: {}\n  --> {}:{line}:{col}\n",
            f.severity.as_str(),
            f.code,
            f.summary,
            f.file.display()
        ));
        let source = report
            .source(&f.file)
            .and_then(|t| t.lines().nth(line.wrapping_sub(1)));
        if let Some(src) = source {
            let gutter = line.to_string().len();
            let width = if f.span.end.line == line {
                f.span.end.column.saturating_sub(col).max(1)
            } else {
                src.chars().count().saturating_sub(col - 1).max(1)
            };
            out.push_str(&format!(
                "{:gutter$} |\n{line} | {src}\n{:gutter$} | {}{}\n",
                "",
                "",
                " ".repeat(col - 1),
                "^".repeat(width)
            ));
        }
        if !f.detail.is_empty() {
            out.push_str(&format!("  = {}\n", f.detail));
        }
        if let Some(fix) = &f.fix {
            out.push_str(&format!("  = fix: {}\n", fix.message));
        }
        out.push('\n');
    }
    let silenced = match report.suppressed.len() {
        0 => String::new(),
        n => format!(", {n} suppressed"),
    };
    out.push_str(&format!(
        "{} error(s), {} warning(s){silenced} in {} file(s)\n",
        report.error_count(),
        report.warning_count(),
        report.files.len()
    ));
    out
}

/// infrarag's own JSON: the report's fields plus `ok` and the counts;
/// `policies` has every security-policy verdict, passed ones included.
pub fn json(report: &Report) -> Value {
    json!({
        "ok": report.ok(),
        "error_count": report.error_count(),
        "warning_count": report.warning_count(),
        "dir": report.dir,
        "files": report.files,
        "findings": report.findings,
        "policies": report.policies,
        "suppressed": report.suppressed,
    })
}

fn range(f: &Finding) -> Value {
    let pos = |p: crate::hcl::Pos| json!({"line": p.line, "column": p.column, "byte": p.byte});
    json!({
        "filename": f.file,
        "start": pos(f.span.start),
        "end": pos(f.span.end),
    })
}

/// The shape `terraform validate -json` prints (format 1.0), so tools
/// reading Terraform's output read ours.
pub fn terraform(report: &Report) -> Value {
    let diagnostics: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "severity": f.severity.as_str(),
                "summary": f.summary,
                "detail": f.detail,
                "range": range(f),
            })
        })
        .collect();
    json!({
        "format_version": "1.0",
        "valid": report.ok(),
        "error_count": report.error_count(),
        "warning_count": report.warning_count(),
        "diagnostics": diagnostics,
    })
}

/// SARIF 2.1.0, one run, a rule per code found, for code-scanning tools;
/// suppressed findings are results carrying their `suppressions`. File
/// URIs are relative to the module directory, stated as the base
/// `SRCROOT` in `originalUriBaseIds`; see [`sarif_relative_to`] for a scan
/// started elsewhere (code scanning wants URIs from the repository root).
pub fn sarif(report: &Report) -> Value {
    sarif_relative_to(report, &report.dir)
}

/// [`sarif`] with URIs relative to `base` (the repository root, the
/// working directory), stated as `SRCROOT`; a file outside `base` gets an
/// absolute `file:` URI. A report of files held in memory keeps their
/// names, relative to a `SRCROOT` the reader supplies.
pub fn sarif_relative_to(report: &Report, base: &std::path::Path) -> Value {
    let roots = Roots::new(&report.dir, base);
    let mut codes: Vec<(&str, &str)> = report
        .findings
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.finding))
        .map(|f| (f.code.as_str(), f.summary.as_str()))
        .collect();
    codes.sort_unstable();
    codes.dedup_by_key(|c| c.0);
    let rules: Vec<Value> = codes
        .iter()
        .map(|(id, summary)| json!({"id": id, "shortDescription": {"text": summary}}))
        .collect();
    let region = |s: crate::hcl::Span| {
        json!({
            "startLine": s.start.line,
            "startColumn": s.start.column,
            "endLine": s.end.line,
            "endColumn": s.end.column,
            "byteOffset": s.start.byte,
            "byteLength": s.end.byte.saturating_sub(s.start.byte),
        })
    };
    let location = |file: &std::path::Path, s| {
        json!({"physicalLocation": {
            "artifactLocation": roots.artifact(file),
            "region": region(s),
        }})
    };
    let silenced = report.suppressed.iter().map(|s| (&s.finding, Some(s)));
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| (f, None))
        .chain(silenced)
        .map(|(f, suppression)| {
            let message = if f.detail.is_empty() {
                f.summary.clone()
            } else {
                format!("{}: {}", f.summary, f.detail)
            };
            let mut r = json!({
                "ruleId": f.code,
                "ruleIndex": codes.iter().position(|c| c.0 == f.code),
                "level": f.severity.as_str(),
                "message": {"text": message},
                "locations": [location(&f.file, f.span)],
            });
            if !f.related.is_empty() {
                r["relatedLocations"] = f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, rel)| {
                        let mut l = location(&rel.file, rel.span);
                        l["id"] = json!(i);
                        l["message"] = json!({"text": rel.message});
                        l
                    })
                    .collect();
            }
            if let Some(s) = suppression {
                r["suppressions"] = json!([{
                    "kind": "inSource",
                    "justification": s.reason.clone().unwrap_or_default(),
                    "location": location(&s.file, s.span),
                }]);
            }
            if let Some(fix) = &f.fix {
                r["fixes"] = json!([{
                    "description": {"text": fix.message},
                    "artifactChanges": [{
                        "artifactLocation": roots.artifact(&fix.file),
                        "replacements": [{
                            "deletedRegion": region(fix.span),
                            "insertedContent": {"text": fix.replacement},
                        }],
                    }],
                }]);
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "infrarag",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": roots.original(),
            "results": results,
        }],
    })
}

/// Where a report's files are and the base their URIs are relative to.
struct Roots {
    /// The module directory and the base, absolute and without `.` or
    /// `..`; `None` for a report of files held in memory.
    dirs: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

impl Roots {
    fn new(dir: &std::path::Path, base: &std::path::Path) -> Roots {
        let absolute = |p: &std::path::Path| std::path::absolute(p).ok().map(|p| lexical(&p));
        let dirs = match dir.as_os_str().is_empty() {
            true => None,
            false => absolute(dir).zip(absolute(base)),
        };
        Roots { dirs }
    }

    fn artifact(&self, file: &std::path::Path) -> Value {
        let Some((dir, base)) = &self.dirs else {
            return json!({"uri": uri(file), "uriBaseId": "SRCROOT"});
        };
        let full = lexical(&dir.join(file));
        match full.strip_prefix(base) {
            Ok(rel) => json!({"uri": uri(rel), "uriBaseId": "SRCROOT"}),
            Err(_) => json!({"uri": file_uri(&full)}),
        }
    }

    fn original(&self) -> Value {
        match &self.dirs {
            Some((_, base)) => {
                let mut root = file_uri(base);
                if !root.ends_with('/') {
                    root.push('/');
                }
                json!({"SRCROOT": {"uri": root}})
            }
            None => json!({}),
        }
    }
}

/// `path` with `.` dropped and `..` taken back, without asking the file
/// system (a link is not followed).
fn lexical(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// An absolute path as a `file:` URI.
fn file_uri(path: &std::path::Path) -> String {
    let parts: std::path::PathBuf = path
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .collect();
    format!("file:///{}", uri(&parts))
}

/// A relative path as a URI reference: forward slashes, reserved
/// characters escaped.
fn uri(path: &std::path::Path) -> String {
    let mut out = String::new();
    for (i, part) in path.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in part.as_os_str().to_string_lossy().bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// JUnit XML, as CI systems read it: a test case per file checked that
/// passes when clean, and one case per finding, failing for errors.
pub fn junit(report: &Report) -> String {
    let mut cases = String::new();
    let (mut tests, mut failures) = (0, 0);
    for file in &report.files {
        let name = escape(&file.display().to_string());
        let found: Vec<&Finding> = report.findings.iter().filter(|f| &f.file == file).collect();
        if found.is_empty() {
            tests += 1;
            cases.push_str(&format!(
                "    <testcase classname=\"{name}\" name=\"{name}\"/>\n"
            ));
        }
        for f in found {
            tests += 1;
            let at = format!(
                "{}:{}:{}",
                file.display(),
                f.span.start.line,
                f.span.start.column
            );
            let body = escape(&format!("{at}: {}", f.detail));
            let case_name = escape(&format!("{} at {at}", f.code));
            let inner = if f.severity == Severity::Error {
                failures += 1;
                format!(
                    "<failure type=\"{}\" message=\"{}\">{body}</failure>",
                    escape(&f.code),
                    escape(&f.summary)
                )
            } else {
                format!("<system-out>{}: {body}</system-out>", escape(&f.summary))
            };
            cases.push_str(&format!(
                "    <testcase classname=\"{name}\" name=\"{case_name}\">{inner}</testcase>\n"
            ));
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"infrarag validate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

/// Text safe inside XML attributes and elements.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry other control characters at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
