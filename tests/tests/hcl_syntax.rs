//! Hand-checked syntax verdicts: each snippet's expected outcome was taken
//! from `terraform fmt -` (Terraform 1.11): its first error's summary and
//! line are Terraform's, the column that of the token Terraform's parser
//! names (its subject).

use infrarag::hcl::{self, DiagnosticCode};

/// (source, expected first error: code, 1-based line and column, and
/// Terraform's summary).
const REJECTED: &[(&str, DiagnosticCode, usize, usize, &str)] = &[
    // tree-sitter-hcl's scanner itself stops at an unknown escape.
    (
        "a = \"\\q\"\n",
        DiagnosticCode::Unexpected,
        1,
        6,
        "Invalid escape sequence",
    ),
    (
        "a = \"\\uD800\"\n",
        DiagnosticCode::InvalidEscape,
        1,
        6,
        "Invalid escape sequence",
    ),
    (
        "a = \"\\U00110000\"\n",
        DiagnosticCode::InvalidEscape,
        1,
        6,
        "Invalid escape sequence",
    ),
    (
        "a = \"x\ny\"\n",
        DiagnosticCode::MultilineString,
        1,
        7,
        "Invalid multi-line string",
    ),
    (
        "a = \"${f(\"\n  ${b}\n\")}\"\n",
        DiagnosticCode::MultilineString,
        1,
        11,
        "Invalid multi-line string",
    ),
    (
        "a = \"x%{ if true }\ny%{ endif }\"\n",
        DiagnosticCode::MultilineString,
        1,
        19,
        "Invalid multi-line string",
    ),
    // `0x10` is the number 0, then a name where a newline must be.
    (
        "a = 0x10\n",
        DiagnosticCode::InvalidNumber,
        1,
        6,
        "Missing newline after argument",
    ),
    (
        "a = \"${}\"\n",
        DiagnosticCode::Missing,
        1,
        8,
        "Invalid expression",
    ),
    (
        "a = \"x${ ~}\"\n",
        DiagnosticCode::Missing,
        1,
        10,
        "Invalid expression",
    ),
    (
        "b \"x${y}\" {\n}\n",
        DiagnosticCode::InvalidLabel,
        1,
        5,
        "Invalid string literal",
    ),
    (
        "a = {k = 1\n, j = 2}\n",
        DiagnosticCode::MisplacedComma,
        2,
        1,
        "Invalid expression",
    ),
    (
        "a = 1 b = 2\n",
        DiagnosticCode::MissingNewline,
        1,
        7,
        "Missing newline after argument",
    ),
    (
        "b \"x\"\n{\n}\n",
        DiagnosticCode::BlockBraceOnNewLine,
        1,
        6,
        "Invalid block definition",
    ),
    // A header's labels do not go on past its line.
    (
        "a \"b\"\n\nc {\n}\n",
        DiagnosticCode::BlockBraceOnNewLine,
        1,
        6,
        "Invalid block definition",
    ),
    (
        "b { x = 1\n}\n",
        DiagnosticCode::InvalidSingleLineBlock,
        1,
        10,
        "Invalid single-argument block definition",
    ),
    (
        "a = 1\na = 2\n",
        DiagnosticCode::DuplicateAttribute,
        2,
        1,
        "Attribute redefined",
    ),
    // The block's `{`, not the end of the file.
    (
        "r \"a\" {\n  x = 1\n",
        DiagnosticCode::Missing,
        1,
        7,
        "Unclosed configuration block",
    ),
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
    for (src, code, line, column, summary) in REJECTED {
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
        assert_eq!(first.summary, *summary, "{src:?}: {first}");
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

/// Both parsers, the hand-written one and tree-sitter's, build these trees;
/// the expectations follow the HCL native syntax specification.
fn both(src: &str) -> Vec<hcl::Parsed> {
    let fast = hcl::parser::parse_descent(src).expect("the hand-written parser accepts it");
    vec![fast, hcl::parser::parse_tree_sitter(src)]
}

fn first_expr(parsed: &hcl::Parsed) -> &hcl::Expression {
    &parsed
        .file
        .body
        .attributes()
        .next()
        .expect("an attribute")
        .expr
}

fn literals(e: &hcl::Expression) -> Vec<&str> {
    let hcl::ExprKind::Template(t) = &e.kind else {
        panic!("not a template: {e:?}")
    };
    t.parts
        .iter()
        .filter_map(|p| match p {
            hcl::TemplatePart::Literal { value, .. } => Some(value.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn template_text_keeps_its_spaces() {
    for parsed in both("a = \"  x ${b}  y  \"\n") {
        assert_eq!(literals(first_expr(&parsed)), ["  x ", "  y  "]);
    }
    for parsed in both("a = <<EOT\n  hello\n  ${b} x\nEOT\n") {
        assert_eq!(literals(first_expr(&parsed)), ["  hello\n  ", " x\n"]);
    }
    for parsed in both("a = <<-EOT\n    %{ if x }\n  yes\n    %{ endif }\n  EOT\n") {
        let hcl::ExprKind::Template(t) = &first_expr(&parsed).kind else {
            panic!("not a template")
        };
        let hcl::TemplatePart::If { then, .. } = &t.parts[1] else {
            panic!("not an if: {:?}", t.parts)
        };
        assert!(
            matches!(&then[0], hcl::TemplatePart::Literal { value, .. } if value == "\n  yes\n    ")
        );
    }
}

#[test]
fn conditionals_group_to_the_right() {
    for parsed in both("a = x ? 1 : y ? 2 : 3\n") {
        let hcl::ExprKind::Conditional {
            condition,
            otherwise,
            ..
        } = &first_expr(&parsed).kind
        else {
            panic!("not a conditional")
        };
        assert!(matches!(&condition.kind, hcl::ExprKind::Variable { name } if name == "x"));
        assert!(matches!(&otherwise.kind, hcl::ExprKind::Conditional { .. }));
        assert_eq!(otherwise.span.start.column, 13);
    }
}

#[test]
fn attribute_splats_end_before_an_index() {
    for parsed in both("a = x.*.y[0]\n") {
        let hcl::ExprKind::Traversal { ops, .. } = &first_expr(&parsed).kind else {
            panic!("not a traversal")
        };
        assert!(
            matches!(&ops[..], [hcl::TraversalOp::AttrSplat { ops: inner, span }, hcl::TraversalOp::Index { .. }]
                if inner.len() == 1 && span.end.column == 10),
            "{ops:?}"
        );
    }
}

#[test]
fn recovered_items_that_overlap_do_not_panic() {
    // tree-sitter recovers `port = 80` as an item that overlaps the block
    // closed on its line; attaching the comment once indexed backwards.
    let src = "r \"a\" {\n  x = 1\n\n  d {\n    t = \"r\"\n  }\n}  port = 80  #as an int\n  p = \"H\"\n}\n";
    let parsed = hcl::parse(src);
    assert!(parsed.has_errors());
    assert!(
        parsed.diagnostics.iter().any(|d| d.span.start.line == 7),
        "{:?}",
        parsed.diagnostics
    );
}

/// hashicorp/hcl's specsuite evaluates every heredoc of `heredoc.hcl` to
/// the strings in `heredoc.t`; those without interpolations are constants
/// here.
#[test]
fn heredocs_evaluate_as_the_hcl_specsuite_says() {
    let dir = infrarag_tests::corpus().join("hcl-specsuite/specsuite/tests/expressions");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("specsuite file");
    let (src, expected) = (read("heredoc.hcl"), read("heredoc.t"));
    let objects = |parsed: &hcl::Parsed, path: &[&str]| -> Vec<(String, hcl::Expression)> {
        let mut expr = &parsed.file.body.attribute(path[0]).expect("attribute").expr;
        for key in &path[1..] {
            let hcl::ExprKind::Object { items } = &expr.kind else {
                panic!("not an object")
            };
            expr = &items
                .iter()
                .find(|i| matches!(&i.key.kind, hcl::ExprKind::Variable { name } if name == key))
                .expect("key")
                .value;
        }
        let hcl::ExprKind::Object { items } = &expr.kind else {
            panic!("not an object")
        };
        items
            .iter()
            .map(|i| {
                let hcl::ExprKind::Variable { name } = &i.key.kind else {
                    panic!("not a name")
                };
                (name.clone(), i.value.clone())
            })
            .collect()
    };
    let (ours, theirs) = (hcl::parse(&src), hcl::parse(&expected));
    let mut compared = 0;
    for group in ["normal", "flush"] {
        let want = objects(&theirs, &["result", group]);
        for (name, value) in objects(&ours, &[group]) {
            let hcl::ExprKind::Template(t) = &value.kind else {
                panic!("{group}.{name} is not a heredoc")
            };
            let Some(got) = t.as_plain_string() else {
                continue;
            };
            let (_, w) = want
                .iter()
                .find(|(n, _)| *n == name)
                .expect("expected value");
            let hcl::ExprKind::Template(w) = &w.kind else {
                panic!("not a string")
            };
            assert_eq!(Some(got), w.as_plain_string(), "{group}.{name}");
            compared += 1;
        }
    }
    assert_eq!(compared, 14, "the heredocs without interpolations");
}
