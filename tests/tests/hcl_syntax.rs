//! Hand-checked syntax verdicts: each snippet's expected outcome was taken
//! from `terraform fmt -` (Terraform 1.11), and the diagnostic must point at
//! the offending line and column.

use infrarag::hcl::{self, DiagnosticCode};

/// (source, expected first error code and its 1-based line and column).
const REJECTED: &[(&str, DiagnosticCode, usize, usize)] = &[
    // tree-sitter-hcl's scanner itself stops at an unknown escape.
    ("a = \"\\q\"\n", DiagnosticCode::Unexpected, 1, 6),
    ("a = \"\\uD800\"\n", DiagnosticCode::InvalidEscape, 1, 6),
    ("a = \"\\U00110000\"\n", DiagnosticCode::InvalidEscape, 1, 6),
    ("a = \"x\ny\"\n", DiagnosticCode::MultilineString, 1, 7),
    (
        "a = \"${f(\"\n  ${b}\n\")}\"\n",
        DiagnosticCode::MultilineString,
        1,
        11,
    ),
    (
        "a = \"x%{ if true }\ny%{ endif }\"\n",
        DiagnosticCode::MultilineString,
        1,
        19,
    ),
    ("a = 0x10\n", DiagnosticCode::InvalidNumber, 1, 5),
    ("b \"x${y}\" {\n}\n", DiagnosticCode::InvalidLabel, 1, 3),
    (
        "a = {k = 1\n, j = 2}\n",
        DiagnosticCode::MisplacedComma,
        2,
        1,
    ),
    ("a = 1 b = 2\n", DiagnosticCode::MissingNewline, 1, 7),
    ("b \"x\"\n{\n}\n", DiagnosticCode::BlockBraceOnNewLine, 2, 1),
    (
        "b { x = 1\n}\n",
        DiagnosticCode::InvalidSingleLineBlock,
        1,
        5,
    ),
    ("a = 1\na = 2\n", DiagnosticCode::DuplicateAttribute, 2, 1),
];

const ACCEPTED: &[&str] = &[
    "a = 1e5\n",
    "a = 1.5e-3\n",
    "a = \"\\U0010FFFF \\uFFFF\"\n",
    "a = \"${\n1}\"\n",
    "a = \"%{ if\ntrue }x%{ endif }\"\n",
    "b \"x$${y}\" {\n}\n",
    "a = [1\n, 2]\n",
    "a = {\nk = 1,\n}\n",
    "b { x = 1 }\n",
];

#[test]
fn rejected_snippets_point_at_the_error() {
    for (src, code, line, column) in REJECTED {
        let parsed = hcl::parse(src);
        let first = parsed
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .unwrap_or_else(|| panic!("{src:?}: no error reported"));
        assert_eq!(first.code, *code, "{src:?}: {first}");
        assert_eq!(
            (first.span.start.line, first.span.start.column),
            (*line, *column),
            "{src:?}: {first}"
        );
        assert!(!first.message.is_empty());
    }
}

#[test]
fn accepted_snippets_have_no_errors() {
    for src in ACCEPTED {
        let parsed = hcl::parse(src);
        let errors: Vec<String> = parsed.diagnostics.iter().map(|d| d.to_string()).collect();
        assert!(errors.is_empty(), "{src:?}: {errors:?}");
    }
}

#[test]
fn python_hcl2_dialects_skip_strictness_they_do_not_enforce() {
    use hcl::{loads, Dialect, LoadsOptions};
    // Both python-hcl2 versions read multi-line strings and interpolated
    // labels; 7.3.1 rejects a comma that starts a line, 8.1.4 does not.
    let src = "a = {k = 1\n, j = 2}\n";
    assert!(loads(src, &LoadsOptions::new(Dialect::V7)).is_err());
    let v8 = loads(src, &LoadsOptions::new(Dialect::V8)).unwrap();
    assert_eq!(v8["a"]["j"], 2);
    let label = loads("b \"x${y}\" {\n}\n", &LoadsOptions::new(Dialect::V7)).unwrap();
    assert!(label["b"][0].get("x${y}").is_some());
    // A hexadecimal literal is outside every grammar.
    assert!(loads("a = 0x10\n", &LoadsOptions::new(Dialect::V8)).is_err());
}
