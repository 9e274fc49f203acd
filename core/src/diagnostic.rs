//! Places in source text and positioned findings about it: what is wrong,
//! where, and how bad. A leaf: errors, the parsers and validation use it.

use serde::Serialize;

/// A position in source text. `line` and `column` are 1-based; `column`
/// counts Unicode scalar values (characters), `byte` is a 0-based offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Pos {
    /// 0-based byte offset.
    pub byte: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// A half-open range of source text, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    /// Where it starts.
    pub start: Pos,
    /// Where it ends (exclusive).
    pub end: Pos,
}

impl Span {
    /// The byte range of this span, for slicing the source.
    pub fn bytes(&self) -> std::ops::Range<usize> {
        self.start.byte..self.end.byte
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The source is not accepted.
    Error,
    /// Accepted, but worth a look.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as it serializes.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Stable identifiers for syntax diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiagnosticCode {
    /// Text the grammar does not accept here.
    Unexpected,
    /// A token the grammar requires is absent.
    Missing,
    /// Nesting beyond [`crate::hcl::MAX_DEPTH`].
    TooDeep,
    /// The parser could not run at all.
    Unparsable,
    /// A quoted string spans lines.
    MultilineString,
    /// An unknown backslash escape in a quoted string.
    InvalidEscape,
    /// Two arguments or blocks on one line.
    MissingNewline,
    /// A block's `{` is not on the line of its header.
    BlockBraceOnNewLine,
    /// A one-line block holding more than a single argument.
    InvalidSingleLineBlock,
    /// An attribute defined twice in one body.
    DuplicateAttribute,
    /// A quoted block label holding `${...}` or `%{...}`.
    InvalidLabel,
    /// A number literal that is not decimal (`0x10`).
    InvalidNumber,
    /// A comma that starts a line inside an object constructor.
    MisplacedComma,
    /// Structure of a `.tf.json` document that Terraform does not accept.
    InvalidJson,
    /// A custom policy file that is not YAML, or not a policy checkov's
    /// custom-policy format describes.
    InvalidPolicy,
    /// Bytes that are not UTF-8, where text was expected.
    InvalidUtf8,
    /// An expression that parses but has no value (Terraform's summary
    /// says why: `Invalid function argument`, `Unsupported attribute`).
    Evaluation,
}

impl DiagnosticCode {
    /// Every code, in declaration order.
    pub const ALL: [DiagnosticCode; 17] = [
        DiagnosticCode::Unexpected,
        DiagnosticCode::Missing,
        DiagnosticCode::TooDeep,
        DiagnosticCode::Unparsable,
        DiagnosticCode::MultilineString,
        DiagnosticCode::InvalidEscape,
        DiagnosticCode::MissingNewline,
        DiagnosticCode::BlockBraceOnNewLine,
        DiagnosticCode::InvalidSingleLineBlock,
        DiagnosticCode::DuplicateAttribute,
        DiagnosticCode::InvalidLabel,
        DiagnosticCode::InvalidNumber,
        DiagnosticCode::MisplacedComma,
        DiagnosticCode::InvalidJson,
        DiagnosticCode::InvalidPolicy,
        DiagnosticCode::InvalidUtf8,
        DiagnosticCode::Evaluation,
    ];

    /// The code as bindings and reports write it (`unexpected`, `invalid_utf8`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::Unexpected => "unexpected",
            DiagnosticCode::Missing => "missing",
            DiagnosticCode::TooDeep => "too_deep",
            DiagnosticCode::Unparsable => "unparsable",
            DiagnosticCode::MultilineString => "multiline_string",
            DiagnosticCode::InvalidEscape => "invalid_escape",
            DiagnosticCode::MissingNewline => "missing_newline",
            DiagnosticCode::BlockBraceOnNewLine => "block_brace_on_new_line",
            DiagnosticCode::InvalidSingleLineBlock => "invalid_single_line_block",
            DiagnosticCode::DuplicateAttribute => "duplicate_attribute",
            DiagnosticCode::InvalidLabel => "invalid_label",
            DiagnosticCode::InvalidNumber => "invalid_number",
            DiagnosticCode::MisplacedComma => "misplaced_comma",
            DiagnosticCode::InvalidJson => "invalid_json",
            DiagnosticCode::InvalidPolicy => "invalid_policy",
            DiagnosticCode::InvalidUtf8 => "invalid_utf8",
            DiagnosticCode::Evaluation => "evaluation",
        }
    }

    /// A title for diagnostics of this code: Terraform's summary where
    /// Terraform reports the same problem.
    pub fn summary(self) -> &'static str {
        match self {
            DiagnosticCode::Unexpected => "Invalid syntax",
            DiagnosticCode::Missing => "Missing syntax",
            DiagnosticCode::TooDeep => "Nesting too deep",
            DiagnosticCode::Unparsable => "Unparsable input",
            DiagnosticCode::MultilineString => "Invalid multi-line string",
            DiagnosticCode::InvalidEscape => "Invalid escape sequence",
            DiagnosticCode::MissingNewline => "Missing newline after argument",
            DiagnosticCode::BlockBraceOnNewLine => "Invalid block definition",
            DiagnosticCode::InvalidSingleLineBlock => "Invalid single-argument block definition",
            DiagnosticCode::DuplicateAttribute => "Attribute redefined",
            DiagnosticCode::InvalidLabel => "Invalid string literal",
            DiagnosticCode::InvalidNumber => "Missing newline after argument",
            DiagnosticCode::MisplacedComma => "Invalid expression",
            DiagnosticCode::InvalidJson => "Invalid JSON",
            DiagnosticCode::InvalidPolicy => "Invalid policy",
            DiagnosticCode::InvalidUtf8 => "Invalid character encoding",
            DiagnosticCode::Evaluation => "Invalid expression value",
        }
    }

    /// Whether the text is outside every HCL grammar (as opposed to a
    /// stricter rule of HCL that lenient readers such as python-hcl2 skip).
    pub fn is_grammar_error(self) -> bool {
        matches!(
            self,
            DiagnosticCode::Unexpected
                | DiagnosticCode::Missing
                | DiagnosticCode::TooDeep
                | DiagnosticCode::Unparsable
                | DiagnosticCode::InvalidJson
                | DiagnosticCode::InvalidNumber
                | DiagnosticCode::InvalidPolicy
                | DiagnosticCode::InvalidUtf8
        )
    }
}

impl std::fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A positioned finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// What kind of problem it is.
    pub code: DiagnosticCode,
    /// What is wrong, in one line.
    pub message: String,
    /// Terraform's title for this kind of error (`Invalid block
    /// definition`, `Unclosed configuration block`), for syntax errors
    /// worded as Terraform words them; otherwise a title for the code.
    pub summary: String,
    /// Where it is.
    pub span: Span,
}

impl Diagnostic {
    /// An error diagnostic.
    pub fn error(code: DiagnosticCode, span: Span, message: String) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            summary: code.summary().to_string(),
            message,
            span,
        }
    }

    /// The same diagnostic under another summary.
    pub fn with_summary(mut self, summary: &str) -> Self {
        self.summary = summary.to_string();
        self
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {} [{}]",
            self.span.start.line, self.span.start.column, self.message, self.code
        )
    }
}
