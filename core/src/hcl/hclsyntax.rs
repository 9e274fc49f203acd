//! The first syntax error of a file as Terraform reports it: HCL's own
//! scanner and recursive-descent parser (`hclsyntax`), followed token by
//! token to where they first complain, with their summary and detail.
//!
//! Only broken files come here; tree-sitter still recovers their tree and
//! the rest of their errors. Terraform sorts what it prints by position, so
//! the first error is the earliest of the scanner's complaints (bad
//! characters, unsupported operators) and the parser's first one.

use super::source::LineIndex;
use crate::diagnostic::{Diagnostic, DiagnosticCode};

/// Terraform's first error: summary, detail and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HclError {
    pub code: DiagnosticCode,
    pub summary: String,
    pub detail: String,
    pub bytes: std::ops::Range<usize>,
}

impl HclError {
    pub fn diagnostic(&self, lines: &LineIndex) -> Diagnostic {
        Diagnostic::error(
            self.code,
            lines.span(self.bytes.clone()),
            self.detail.clone(),
        )
        .with_summary(&self.summary)
    }
}

/// The first error Terraform reports for `src`, if any.
pub(crate) fn first_error(src: &str) -> Option<HclError> {
    let tokens = scan(src);
    let lexical = tokens.iter().find_map(invalid_token);
    let mut p = Parser {
        src,
        tokens: &tokens,
        pos: 0,
        last: 0,
        depth: 0,
        too_deep: false,
        newlines: vec![true],
    };
    let parsed = p.body(T::Eof, None).err();
    if p.too_deep {
        // Too deep to follow here; the caller's own diagnostics stand.
        return None;
    }
    match (lexical, parsed) {
        (Some(l), Some(p)) if p.bytes.start < l.bytes.start => Some(p),
        (Some(l), _) => Some(l),
        (None, p) => p,
    }
}

/// hclsyntax's token types, as far as its errors tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T {
    Ident,
    Number,
    OQuote,
    CQuote,
    OHeredoc,
    CHeredoc,
    Literal,
    QuotedNewline,
    InvalidEscape,
    Interp,
    Control,
    SeqEnd,
    Newline,
    /// A `#` or `//` comment, which ends with its line's newline.
    LineComment,
    BlockComment,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Comma,
    Dot,
    Ellipsis,
    Equal,
    Colon,
    DoubleColon,
    Question,
    FatArrow,
    /// A binary operator other than `-` (which is also unary).
    Operator,
    Minus,
    Star,
    Bang,
    Semicolon,
    Backtick,
    BitwiseAnd,
    BitwiseOr,
    BitwiseNot,
    BitwiseXor,
    StarStar,
    Invalid,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    t: T,
    start: usize,
    end: usize,
}

fn invalid_token(tok: &Token) -> Option<HclError> {
    let (summary, detail) = match tok.t {
        T::Semicolon => ("Invalid character", "The \";\" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values."),
        T::Backtick => ("Invalid character", "The \"`\" character is not valid. To create a multi-line string, use the \"heredoc\" syntax, like \"<<EOT\"."),
        T::BitwiseAnd => ("Unsupported operator", "Bitwise operators are not supported. Did you mean boolean AND (\"&&\")?"),
        T::BitwiseOr => ("Unsupported operator", "Bitwise operators are not supported. Did you mean boolean OR (\"||\")?"),
        T::BitwiseNot => ("Unsupported operator", "Bitwise operators are not supported. Did you mean boolean NOT (\"!\")?"),
        T::BitwiseXor => ("Unsupported operator", "Bitwise operators are not supported."),
        T::StarStar => ("Unsupported operator", "\"**\" is not a supported operator. Exponentiation is not supported as an operator."),
        T::Invalid => ("Invalid character", "This character is not used within the language."),
        T::QuotedNewline => return multi_line(*tok).err(),
        _ => return None,
    };
    fail::<()>(
        DiagnosticCode::Unexpected,
        summary,
        detail,
        tok.start..tok.end,
    )
    .err()
}

// ---------------------------------------------------------------- scanner

/// What the scanner is inside.
enum Mode {
    /// Expressions; inside a template's `${ }` or `%{ }` when `interp`,
    /// with `braces` object braces open in it.
    Normal { interp: bool, braces: usize },
    /// A quoted template, up to its `"`.
    Quoted,
    /// A heredoc, up to a line holding only `marker`.
    Heredoc { marker: String },
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

fn scan(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut modes = vec![Mode::Normal {
        interp: false,
        braces: 0,
    }];
    let mut i = 0;
    let mut line_start = true;
    let push = |out: &mut Vec<Token>, t, start, end| out.push(Token { t, start, end });
    while i < b.len() {
        match modes.last_mut().expect("the outermost mode stays") {
            Mode::Normal { interp, braces } => {
                let c = src[i..].chars().next().unwrap_or('\0');
                let two = src.get(i..i + 2).unwrap_or("");
                let start = i;
                let (t, len) = match c {
                    ' ' | '\t' => {
                        i += 1;
                        continue;
                    }
                    '\n' => (T::Newline, 1),
                    '\r' if two == "\r\n" => (T::Newline, 2),
                    '#' => (T::LineComment, line_len(src, i)),
                    '/' if two == "//" => (T::LineComment, line_len(src, i)),
                    '/' if two == "/*" => match src[i + 2..].find("*/") {
                        Some(e) => (T::BlockComment, e + 4),
                        None => (T::Operator, 1),
                    },
                    '"' => {
                        push(&mut out, T::OQuote, i, i + 1);
                        i += 1;
                        modes.push(Mode::Quoted);
                        continue;
                    }
                    '<' if two == "<<" => match heredoc_marker(src, i) {
                        Some((marker, len)) => {
                            push(&mut out, T::OHeredoc, i, i + len);
                            i += len;
                            line_start = true;
                            modes.push(Mode::Heredoc { marker });
                            continue;
                        }
                        None => (T::Operator, 1),
                    },
                    c if is_ident_start(c) => {
                        let len = src[i..]
                            .find(|c: char| !is_ident_continue(c))
                            .unwrap_or(src.len() - i);
                        (T::Ident, len)
                    }
                    '0'..='9' => (T::Number, number_len(b, i)),
                    '{' => {
                        *braces += 1;
                        (T::OBrace, 1)
                    }
                    '~' if *interp && *braces == 0 && src[i + 1..].starts_with('}') => {
                        push(&mut out, T::SeqEnd, i, i + 2);
                        i += 2;
                        modes.pop();
                        continue;
                    }
                    '}' if *interp && *braces == 0 => {
                        push(&mut out, T::SeqEnd, i, i + 1);
                        i += 1;
                        modes.pop();
                        continue;
                    }
                    '}' => {
                        *braces = braces.saturating_sub(1);
                        (T::CBrace, 1)
                    }
                    _ => punctuation(src, i, c),
                };
                push(&mut out, t, start, start + len);
                i += len;
            }
            Mode::Quoted => {
                let start = i;
                match template_piece(src, i, b'"') {
                    Piece::Close => {
                        push(&mut out, T::CQuote, i, i + 1);
                        i += 1;
                        modes.pop();
                    }
                    Piece::Newline(len) => {
                        push(&mut out, T::QuotedNewline, i, i + len);
                        i += len;
                    }
                    Piece::Sequence(t, len) => {
                        push(&mut out, t, i, i + len);
                        i += len;
                        modes.push(Mode::Normal {
                            interp: true,
                            braces: 0,
                        });
                    }
                    Piece::BadEscape(len) => {
                        push(&mut out, T::InvalidEscape, i, i + len);
                        i += len;
                    }
                    Piece::Literal(len) => {
                        push(&mut out, T::Literal, start, start + len);
                        i += len;
                    }
                }
            }
            Mode::Heredoc { marker } => {
                if line_start {
                    let line = &src[i..i + line_len(src, i)];
                    let content = line.trim_end_matches('\n').trim_end_matches('\r');
                    if content.trim_matches([' ', '\t']) == marker {
                        // The newline after the marker ends the argument.
                        push(&mut out, T::CHeredoc, i, i + content.len());
                        i += content.len();
                        modes.pop();
                        continue;
                    }
                }
                line_start = false;
                match template_piece(src, i, b'\n') {
                    Piece::Close => {
                        push(&mut out, T::Literal, i, i + 1);
                        i += 1;
                        line_start = true;
                    }
                    Piece::Sequence(t, len) => {
                        push(&mut out, t, i, i + len);
                        i += len;
                        modes.push(Mode::Normal {
                            interp: true,
                            braces: 0,
                        });
                    }
                    Piece::Newline(len) | Piece::BadEscape(len) | Piece::Literal(len) => {
                        push(&mut out, T::Literal, i, i + len);
                        i += len;
                    }
                }
            }
        }
    }
    push(&mut out, T::Eof, src.len(), src.len());
    out
}

/// Bytes to the end of the line at `i`, its newline included.
fn line_len(src: &str, i: usize) -> usize {
    src[i..].find('\n').map_or(src.len() - i, |e| e + 1)
}

/// `<<EOT` or `<<-EOT` and its newline: the marker and the length.
fn heredoc_marker(src: &str, i: usize) -> Option<(String, usize)> {
    let rest = &src[i + 2..];
    let (flush, rest) = match rest.strip_prefix('-') {
        Some(r) => (1, r),
        None => (0, rest),
    };
    if !rest.starts_with(is_ident_start) {
        return None;
    }
    let name_len = rest
        .find(|c: char| !is_ident_continue(c))
        .unwrap_or(rest.len());
    let after = &rest[name_len..];
    let newline = if after.starts_with("\r\n") {
        2
    } else if after.starts_with('\n') {
        1
    } else {
        return None;
    };
    Some((rest[..name_len].to_string(), 2 + flush + name_len + newline))
}

/// hclsyntax's number token: a digit, then digits, dots and exponents,
/// not ending in a dot. `1.2.3` is one token, and an invalid number.
fn number_len(b: &[u8], i: usize) -> usize {
    let mut end = i + 1;
    loop {
        match b.get(end) {
            Some(c) if c.is_ascii_digit() || *c == b'.' => end += 1,
            Some(b'e' | b'E') => {
                let sign = usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
                if !b.get(end + 1 + sign).is_some_and(u8::is_ascii_digit) {
                    break;
                }
                end += 2 + sign;
            }
            _ => break,
        }
    }
    while b[end - 1] == b'.' {
        end -= 1;
    }
    end - i
}

/// Whether a number token is a number: digits, a fraction, an exponent.
fn valid_number(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (
            &text[..at],
            Some(text[at + 1..].trim_start_matches(['+', '-'])),
        ),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

fn punctuation(src: &str, i: usize, c: char) -> (T, usize) {
    let two = src.get(i..i + 2).unwrap_or("");
    if src[i..].starts_with("...") {
        return (T::Ellipsis, 3);
    }
    match two {
        "==" | "!=" | "<=" | ">=" | "&&" | "||" => return (T::Operator, 2),
        "=>" => return (T::FatArrow, 2),
        "::" => return (T::DoubleColon, 2),
        "**" => return (T::StarStar, 2),
        _ => {}
    }
    let t = match c {
        '[' => T::OBrack,
        ']' => T::CBrack,
        '(' => T::OParen,
        ')' => T::CParen,
        ',' => T::Comma,
        '.' => T::Dot,
        '=' => T::Equal,
        ':' => T::Colon,
        '?' => T::Question,
        '-' => T::Minus,
        '*' => T::Star,
        '!' => T::Bang,
        '+' | '/' | '%' | '<' | '>' => T::Operator,
        ';' => T::Semicolon,
        '`' => T::Backtick,
        '&' => T::BitwiseAnd,
        '|' => T::BitwiseOr,
        '~' => T::BitwiseNot,
        '^' => T::BitwiseXor,
        _ => T::Invalid,
    };
    (t, c.len_utf8())
}

/// One piece of template text.
enum Piece {
    /// The closing quote (or, in a heredoc, the end of a line).
    Close,
    Newline(usize),
    /// `${` or `%{`, with its `~`.
    Sequence(T, usize),
    BadEscape(usize),
    Literal(usize),
}

fn template_piece(src: &str, i: usize, close: u8) -> Piece {
    let b = src.as_bytes();
    let quoted = close == b'"';
    let at = |k: usize| b.get(i + k).copied();
    match at(0) {
        Some(c) if c == close => return Piece::Close,
        Some(b'\n') if quoted => return Piece::Newline(1),
        Some(b'\r') if quoted && at(1) == Some(b'\n') => return Piece::Newline(2),
        Some(b'$' | b'%') if at(1) == Some(b'{') => {
            let t = if at(0) == Some(b'$') {
                T::Interp
            } else {
                T::Control
            };
            return Piece::Sequence(t, if at(2) == Some(b'~') { 3 } else { 2 });
        }
        Some(b'\\') if quoted => {
            return match at(1) {
                Some(b'n' | b'r' | b't' | b'"' | b'\\') => Piece::Literal(2),
                Some(b'u') if escape_len(b, i, 4) == 6 => Piece::Literal(6),
                Some(b'U') if escape_len(b, i, 8) == 10 => Piece::Literal(10),
                Some(b'\n') | None => Piece::BadEscape(1),
                Some(_) => {
                    Piece::BadEscape(1 + src[i + 1..].chars().next().map_or(0, char::len_utf8))
                }
            };
        }
        _ => {}
    }
    // Literal text up to the next thing above; `$${` and `%%{` are
    // escapes of the sequences.
    let mut k = 0;
    loop {
        match at(k) {
            None => break,
            Some(c) if c == close => break,
            Some(b'\n' | b'\\') if quoted => break,
            Some(b'\r') if quoted && at(k + 1) == Some(b'\n') => break,
            Some(b'$' | b'%')
                if at(k + 1) == Some(at(k).unwrap_or(0)) && at(k + 2) == Some(b'{') =>
            {
                k += 3
            }
            Some(b'$' | b'%') if at(k + 1) == Some(b'{') => break,
            Some(_) => k += 1,
        }
    }
    Piece::Literal(k.max(1))
}

fn escape_len(b: &[u8], i: usize, digits: usize) -> usize {
    2 + b[i + 2..]
        .iter()
        .take(digits)
        .take_while(|c| c.is_ascii_hexdigit())
        .count()
}

// ----------------------------------------------------------------- parser

struct Parser<'t> {
    src: &'t str,
    tokens: &'t [Token],
    pos: usize,
    /// Where the last token read ends.
    last: usize,
    /// Blocks and expressions open now; past [`DEPTH`] the parse stops.
    depth: usize,
    too_deep: bool,
    /// Whether newlines are tokens here (bodies, objects) or whitespace
    /// (brackets, parentheses, interpolations).
    newlines: Vec<bool>,
}

type R<T = ()> = Result<T, HclError>;

fn fail<X>(
    code: DiagnosticCode,
    summary: impl Into<String>,
    detail: impl Into<String>,
    bytes: std::ops::Range<usize>,
) -> R<X> {
    Err(HclError {
        code,
        summary: summary.into(),
        detail: detail.into(),
        bytes,
    })
}

/// [`fail`] with the diagnostic code the summary falls under.
fn error<X>(summary: &str, detail: &str, bytes: std::ops::Range<usize>) -> R<X> {
    let code = match summary {
        "Missing newline after argument" | "Missing newline after block definition" => {
            DiagnosticCode::MissingNewline
        }
        "Invalid multi-line string" => DiagnosticCode::MultilineString,
        "Invalid escape sequence" => DiagnosticCode::InvalidEscape,
        "Attribute redefined" => DiagnosticCode::DuplicateAttribute,
        "Invalid single-argument block definition" => DiagnosticCode::InvalidSingleLineBlock,
        "Invalid string literal" => DiagnosticCode::InvalidLabel,
        "Invalid block definition" if detail.contains("same line as the block header") => {
            DiagnosticCode::BlockBraceOnNewLine
        }
        s if s.starts_with("Missing")
            || s.starts_with("Unterminated")
            || s.starts_with("Unclosed") =>
        {
            DiagnosticCode::Missing
        }
        _ => DiagnosticCode::Unexpected,
    };
    fail(code, summary, detail, bytes)
}

/// Deepest nesting followed, as in [`super::descent`]: deeper input is
/// left to tree-sitter's diagnostics rather than risk the stack.
const DEPTH: usize = 64;

const DEFINITION_REQUIRED: &str = "An argument or block definition is required here.";

impl<'t> Parser<'t> {
    /// The next significant token: comments skipped, a line comment read
    /// as the newline it ends with where newlines count.
    fn peek_at(&self) -> (usize, Token) {
        let include = *self.newlines.last().unwrap_or(&true);
        let mut k = self.pos;
        loop {
            let tok = self.tokens[k.min(self.tokens.len() - 1)];
            match tok.t {
                T::LineComment if include && self.comment_ends_line(tok) => {
                    return (
                        k,
                        Token {
                            t: T::Newline,
                            ..tok
                        },
                    )
                }
                T::LineComment | T::BlockComment => k += 1,
                T::Newline if !include => k += 1,
                _ => return (k, tok),
            }
        }
    }

    fn comment_ends_line(&self, tok: Token) -> bool {
        self.text(tok).ends_with('\n')
    }

    fn text(&self, tok: Token) -> &'t str {
        &self.src[tok.start..tok.end]
    }

    fn peek(&self) -> Token {
        self.peek_at().1
    }

    fn read(&mut self) -> Token {
        let (k, tok) = self.peek_at();
        self.pos = (k + 1).min(self.tokens.len() - 1);
        self.last = tok.end;
        tok
    }

    /// Runs `f` with newlines counting as tokens (`include`) or not, as
    /// hclsyntax pushes and pops that setting around brackets.
    fn with_newlines<X>(&mut self, include: bool, f: impl FnOnce(&mut Self) -> R<X>) -> R<X> {
        self.newlines.push(include);
        let out = f(self);
        self.newlines.pop();
        out
    }

    /// A body up to `end`; `open` is the block's `{` when it is one.
    fn body(&mut self, end: T, open: Option<Token>) -> R {
        let mut names: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        loop {
            let next = self.peek();
            if next.t == end {
                self.read();
                return Ok(());
            }
            match next.t {
                T::Newline => {
                    self.read();
                }
                T::Ident => {
                    if let Some(name) = self.body_item()? {
                        let text = &self.src[name.start..name.end];
                        if let Some(&first) = names.get(text) {
                            let line = 1 + self.src[..first].matches('\n').count();
                            return error(
                                "Attribute redefined",
                                &format!("The argument {text:?} was already set at line {line}. Each argument may be set only once."),
                                name.start..name.end,
                            );
                        }
                        names.insert(text, name.start);
                    }
                }
                _ => {
                    let bad = self.read();
                    return match (bad.t, open) {
                        (T::OQuote, _) => error(
                            "Invalid argument name",
                            "Argument names must not be quoted.",
                            bad.start..bad.end,
                        ),
                        (T::Eof, Some(open)) => error(
                            "Unclosed configuration block",
                            "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.",
                            open.start..open.end,
                        ),
                        _ => error(
                            "Argument or block definition required",
                            DEFINITION_REQUIRED,
                            bad.start..bad.end,
                        ),
                    };
                }
            }
        }
    }

    /// An argument or a block; an argument's name token.
    fn body_item(&mut self) -> R<Option<Token>> {
        let ident = self.read();
        let next = self.peek();
        match next.t {
            T::Equal => self.attribute().map(|()| Some(ident)),
            T::OQuote | T::OBrace | T::Ident => self.block().map(|()| None),
            _ => error(
                "Argument or block definition required",
                "An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value.",
                ident.start..ident.end,
            ),
        }
    }

    fn attribute(&mut self) -> R {
        self.read();
        self.expression()?;
        let end = self.peek();
        match end.t {
            T::Newline | T::Eof => {
                self.read();
                Ok(())
            }
            T::Comma => error(
                "Unexpected comma after argument",
                "Argument definitions must be separated by newlines, not commas. An argument definition must end with a newline.",
                end.start..end.end,
            ),
            _ => error(
                "Missing newline after argument",
                "An argument definition must end with a newline.",
                end.start..end.end,
            ),
        }
    }

    fn block(&mut self) -> R {
        self.nested(Self::block_rest)
    }

    fn block_rest(&mut self) -> R {
        let open = loop {
            let tok = self.peek();
            match tok.t {
                T::OBrace => break self.read(),
                T::OQuote => self.label()?,
                T::Ident => {
                    self.read();
                }
                T::Equal => return error(
                    "Invalid block definition",
                    "The equals sign \"=\" indicates an argument definition, and must not be used when defining a block.",
                    tok.start..tok.end,
                ),
                T::Newline => return error(
                    "Invalid block definition",
                    "A block definition must have block content delimited by \"{\" and \"}\", starting on the same line as the block header.",
                    tok.start..tok.end,
                ),
                _ => return error(
                    "Invalid block definition",
                    "Either a quoted string block label or an opening brace (\"{\") is expected here.",
                    tok.start..tok.end,
                ),
            }
        };
        match self.peek().t {
            T::Newline | T::Eof | T::CBrace => self.body(T::CBrace, Some(open))?,
            _ => {
                self.single_attribute()?;
                let next = self.peek();
                match next.t {
                    T::CBrace => {
                        self.read();
                    }
                    T::Comma => return error(
                        "Invalid single-argument block definition",
                        "Single-line block syntax can include only one argument definition. To define multiple arguments, use the multi-line block syntax with one argument definition per line.",
                        next.start..next.end,
                    ),
                    T::Newline => return error(
                        "Invalid single-argument block definition",
                        "An argument definition on the same line as its containing block creates a single-line block definition, which must also be closed on the same line. Place the block's closing brace immediately after the argument definition.",
                        next.start..next.end,
                    ),
                    _ => return error(
                        "Invalid single-argument block definition",
                        "A single-line block definition must end with a closing brace immediately after its single argument definition.",
                        next.start..next.end,
                    ),
                }
            }
        }
        let eol = self.peek();
        match eol.t {
            T::Newline | T::Eof => {
                self.read();
                Ok(())
            }
            _ => error(
                "Missing newline after block definition",
                "A block definition must end with a newline.",
                eol.start..eol.end,
            ),
        }
    }

    fn single_attribute(&mut self) -> R {
        let ident = self.read();
        if ident.t != T::Ident {
            return error(
                "Argument or block definition required",
                DEFINITION_REQUIRED,
                ident.start..ident.end,
            );
        }
        let eq = self.peek();
        match eq.t {
            T::Equal => {
                self.read();
                self.expression()
            }
            T::OQuote | T::OBrace | T::Ident => error(
                "Argument definition required",
                &format!("A single-line block definition can contain only a single argument. If you meant to define argument {:?}, use an equals sign to assign it a value. To define a nested block, place it on a line of its own within its parent block.", self.text(ident)),
                ident.start..eq.end,
            ),
            _ => error(
                "Argument or block definition required",
                "An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value.",
                ident.start..ident.end,
            ),
        }
    }

    /// A quoted block label: a literal string, no template sequences.
    fn label(&mut self) -> R {
        self.read();
        loop {
            let tok = self.read();
            match tok.t {
                T::CQuote => return Ok(()),
                T::Literal => {}
                T::Interp | T::Control => {
                    let which = &self.src[tok.start..tok.start + 1];
                    return error(
                        "Invalid string literal",
                        &format!("Template sequences are not allowed in this string. To include a literal {which:?}, double it (as \"{which}{which}\") to escape it."),
                        tok.start..tok.end,
                    );
                }
                T::InvalidEscape => return self.invalid_escape(tok),
                T::QuotedNewline => return multi_line(tok),
                _ => {
                    return error(
                        "Unterminated string literal",
                        "Unable to find the closing quote mark before the end of the file.",
                        tok.start..tok.end,
                    )
                }
            }
        }
    }

    fn invalid_escape(&self, tok: Token) -> R {
        let symbol = self.text(tok).get(1..).unwrap_or("");
        let detail = match symbol {
            "u" => "The \\u escape sequence must be followed by four hexadecimal digits.".into(),
            "U" => "The \\U escape sequence must be followed by eight hexadecimal digits.".into(),
            _ => format!("The symbol {symbol:?} is not a valid escape sequence selector."),
        };
        error("Invalid escape sequence", &detail, tok.start..tok.end)
    }

    // ------------------------------------------------------ expressions

    fn expression(&mut self) -> R {
        self.nested(Self::conditional)
    }

    /// Runs `f` one level deeper, failing past [`DEPTH`].
    fn nested(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.depth += 1;
        if self.depth > DEPTH {
            self.too_deep = true;
            return error("Nesting too deep", "", 0..0);
        }
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn conditional(&mut self) -> R {
        self.binary()?;
        if self.peek().t != T::Question {
            return Ok(());
        }
        self.read();
        self.expression()?;
        let colon = self.peek();
        if colon.t != T::Colon {
            return error(
                "Missing false expression in conditional",
                "The conditional operator (...?...:...) requires a false expression, delimited by a colon.",
                colon.start..colon.end,
            );
        }
        self.read();
        self.expression()
    }

    fn binary(&mut self) -> R {
        loop {
            self.operand()?;
            match self.peek().t {
                T::Operator | T::Minus | T::Star => {
                    self.read();
                }
                _ => return Ok(()),
            }
        }
    }

    fn operand(&mut self) -> R {
        self.term()?;
        self.traversals()
    }

    fn term(&mut self) -> R {
        let start = self.peek();
        match start.t {
            T::OParen => {
                self.read();
                self.with_newlines(false, |p| {
                    p.expression()?;
                    let close = p.peek();
                    if close.t != T::CParen {
                        return error(
                            "Unbalanced parentheses",
                            "Expected a closing parenthesis to terminate the expression.",
                            close.start..close.end,
                        );
                    }
                    p.read();
                    Ok(())
                })
            }
            T::Number => {
                let number = self.read();
                if !valid_number(self.text(number)) {
                    return error(
                        "Invalid number literal",
                        "Failed to recognize the value of this number literal.",
                        number.start..number.end,
                    );
                }
                Ok(())
            }
            T::Ident => {
                let name = self.read();
                match self.peek().t {
                    T::OParen | T::DoubleColon => self.call(name),
                    _ => Ok(()),
                }
            }
            T::OQuote | T::OHeredoc => {
                let open = self.read();
                self.template(open)
            }
            T::Minus | T::Bang => {
                self.read();
                self.nested(Self::operand)
            }
            T::OBrack => self.tuple(),
            T::OBrace => self.object(),
            T::Eof => error(
                "Missing expression",
                "Expected the start of an expression, but found the end of the file.",
                start.start..start.end,
            ),
            _ => error(
                "Invalid expression",
                "Expected the start of an expression, but found an invalid expression token.",
                start.start..start.end,
            ),
        }
    }

    fn traversals(&mut self) -> R {
        loop {
            let next = self.peek();
            match next.t {
                T::Dot => {
                    self.read();
                    let name = self.peek();
                    match name.t {
                        T::Ident | T::Number => {
                            self.read();
                        }
                        T::Star => {
                            self.read();
                        }
                        _ => {
                            return error(
                                "Invalid attribute name",
                                "An attribute name is required after a dot.",
                                name.start..name.end,
                            )
                        }
                    }
                }
                T::OBrack => {
                    self.read();
                    // hclsyntax points these errors at its variable `close`
                    // after recovery has moved it to the matching `]` or to
                    // the end of the file: so do we.
                    if self.peek().t == T::Star {
                        self.read();
                        if self.read().t != T::CBrack {
                            let at = self.recover(T::OBrack, T::CBrack);
                            return error(
                                "Missing close bracket on splat index",
                                "The star for a full splat operator must be immediately followed by a closing bracket (\"]\").",
                                at.start..at.end,
                            );
                        }
                        continue;
                    }
                    self.with_newlines(false, |p| {
                        p.expression()?;
                        if p.read().t != T::CBrack {
                            let at = p.recover(T::OBrack, T::CBrack);
                            return error(
                                "Missing close bracket on index",
                                "The index operator must end with a closing bracket (\"]\").",
                                at.start..at.end,
                            );
                        }
                        Ok(())
                    })?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn call(&mut self, name: Token) -> R {
        while self.peek().t == T::DoubleColon {
            self.read();
            let part = self.read();
            if part.t != T::Ident {
                return error(
                    "Missing function name",
                    "Function scope resolution symbol :: must be followed by a function name in this scope.",
                    part.start..part.end,
                );
            }
        }
        let open = self.read();
        if open.t != T::OParen {
            return error(
                "Missing open parenthesis",
                "Function selector must be followed by an open parenthesis to begin the function call.",
                open.start..open.end,
            );
        }
        self.with_newlines(false, |p| loop {
            if p.peek().t == T::CParen {
                p.read();
                return Ok(());
            }
            p.expression()?;
            let sep = p.read();
            match sep.t {
                T::CParen => return Ok(()),
                T::Ellipsis => {
                    if p.peek().t != T::CParen {
                        return error(
                            "Missing closing parenthesis",
                            "An expanded function argument (with ...) must be immediately followed by closing parentheses.",
                            sep.start..sep.end,
                        );
                    }
                    p.read();
                    return Ok(());
                }
                T::Comma => {
                    if p.peek().t == T::CParen {
                        p.read();
                        return Ok(());
                    }
                }
                T::Eof => return error(
                    "Unterminated function call",
                    "There is no closing parenthesis for this function call before the end of the file. This may be caused by incorrect parethesis nesting elsewhere in this file.",
                    name.start..open.end,
                ),
                _ => return error(
                    "Missing argument separator",
                    "A comma is required to separate each function argument from the next.",
                    sep.start..sep.end,
                ),
            }
        })
    }

    fn tuple(&mut self) -> R {
        let open = self.read();
        self.with_newlines(false, |p| {
            if p.at_for() {
                return p.for_expression(false);
            }
            loop {
                if p.peek().t == T::CBrack {
                    p.read();
                    return Ok(());
                }
                p.expression()?;
                let next = p.peek();
                match next.t {
                    T::CBrack => {
                        p.read();
                        return Ok(());
                    }
                    T::Comma => {
                        p.read();
                    }
                    T::Eof => return error(
                        "Unterminated tuple constructor expression",
                        "There is no corresponding closing bracket before the end of the file. This may be caused by incorrect bracket nesting elsewhere in this file.",
                        open.start..open.end,
                    ),
                    _ => return error(
                        "Missing item separator",
                        "Expected a comma to mark the beginning of the next item.",
                        next.start..next.end,
                    ),
                }
            }
        })
    }

    fn object(&mut self) -> R {
        let open = self.read();
        self.with_newlines(true, |p| {
            if p.at_for() {
                return p.for_expression(true);
            }
            loop {
                let next = p.peek();
                match next.t {
                    T::Newline => {
                        p.read();
                        continue;
                    }
                    T::CBrace => {
                        p.read();
                        return Ok(());
                    }
                    _ => {}
                }
                p.expression()?;
                let next = p.peek();
                match next.t {
                    T::Equal | T::Colon => {
                        p.read();
                    }
                    T::Newline | T::Comma => return error(
                        "Missing attribute value",
                        "Expected an attribute value, introduced by an equals sign (\"=\").",
                        next.start..next.end,
                    ),
                    T::Ident => return error(
                        "Missing key/value separator",
                        "Expected an equals sign (\"=\") to mark the beginning of the attribute value. If you intended to given an attribute name containing periods or spaces, write the name in quotes to create a string literal.",
                        next.start..next.end,
                    ),
                    T::Eof => return unterminated_object(open),
                    _ => return error(
                        "Missing key/value separator",
                        "Expected an equals sign (\"=\") to mark the beginning of the attribute value.",
                        next.start..next.end,
                    ),
                }
                p.expression()?;
                let next = p.peek();
                match next.t {
                    T::CBrace => {
                        p.read();
                        return Ok(());
                    }
                    T::Comma | T::Newline => {
                        p.read();
                    }
                    T::Eof => return unterminated_object(open),
                    _ => return error(
                        "Missing attribute separator",
                        "Expected a newline or comma to mark the beginning of the next attribute.",
                        next.start..next.end,
                    ),
                }
            }
        })
    }

    /// Whether a `for` expression starts here, newlines before it aside.
    fn at_for(&mut self) -> bool {
        self.newlines.push(false);
        let next = self.peek();
        self.newlines.pop();
        self.text_is(next, "for")
    }

    /// Skips to the `close` that matches, or the end of the file, as
    /// hclsyntax does after an error; that token.
    fn recover(&mut self, open: T, close: T) -> Token {
        let mut nest = 0;
        loop {
            let tok = self.read();
            match tok.t {
                t if t == open => nest += 1,
                t if t == close && nest == 0 => return tok,
                t if t == close => nest -= 1,
                T::Eof => return tok,
                _ => {}
            }
        }
    }

    fn text_is(&self, tok: Token, word: &str) -> bool {
        tok.t == T::Ident && self.text(tok) == word
    }

    /// A `for` expression after its `[` or `{`.
    fn for_expression(&mut self, object: bool) -> R {
        let close = if object { T::CBrace } else { T::CBrack };
        let invalid = |p: &Self, detail: &str| -> R {
            let at = p.peek();
            error("Invalid 'for' expression", detail, at.start..at.end)
        };
        self.with_newlines(false, |p| {
            p.read();
            if p.peek().t != T::Ident {
                return invalid(p, "For expression requires variable name after 'for'.");
            }
            p.read();
            if p.peek().t == T::Comma {
                p.read();
                if p.peek().t != T::Ident {
                    return invalid(
                        p,
                        "For expression requires value variable name after comma.",
                    );
                }
                p.read();
            }
            if !p.text_is(p.peek(), "in") {
                return invalid(
                    p,
                    "For expression requires the 'in' keyword after its name declarations.",
                );
            }
            p.read();
            p.expression()?;
            if p.peek().t != T::Colon {
                return invalid(
                    p,
                    "For expression requires a colon after the collection expression.",
                );
            }
            p.read();
            let mut value = p.peek().start..0;
            p.expression()?;
            value.end = p.last;
            let mut key = None;
            if p.peek().t == T::FatArrow {
                p.read();
                key = Some(value.clone());
                value = p.peek().start..0;
                p.expression()?;
                value.end = p.last;
            }
            let ellipsis = (p.peek().t == T::Ellipsis).then(|| p.read());
            if p.text_is(p.peek(), "if") {
                p.read();
                p.expression()?;
            }
            if p.peek().t != close {
                return invalid(p, "Extra characters after the end of the 'for' expression.");
            }
            p.read();
            let wrong = |detail: &str, bytes| error("Invalid 'for' expression", detail, bytes);
            match (object, key, ellipsis) {
                (false, Some(key), _) => {
                    wrong("Key expression is not valid when building a tuple.", key)
                }
                (false, None, Some(e)) => wrong(
                    "Grouping ellipsis (...) cannot be used when building a tuple.",
                    e.start..e.end,
                ),
                (true, None, _) => {
                    wrong("Key expression is required when building an object.", value)
                }
                _ => Ok(()),
            }
        })
    }

    /// A quoted template or heredoc, up to its closing marker; then, as
    /// hclsyntax does once it has all the parts, whether its directives
    /// nest.
    fn template(&mut self, open: Token) -> R {
        let closer = if open.t == T::OQuote {
            T::CQuote
        } else {
            T::CHeredoc
        };
        let mut directives = Vec::new();
        // hclsyntax's `startRange`: an unclosed interpolation points here.
        let first = self.tokens[self.pos];
        loop {
            let tok = self.tokens[self.pos];
            self.pos += 1;
            self.last = tok.end;
            match tok.t {
                t if t == closer => return nesting(&directives, tok),
                T::Literal => {}
                T::InvalidEscape => return self.invalid_escape(tok),
                T::Interp => {
                    self.with_newlines(false, |p| {
                        p.expression()?;
                        let end = p.peek();
                        let quoted = closer == T::CQuote;
                        match end.t {
                            T::SeqEnd => {
                                p.read();
                                Ok(())
                            }
                            T::Eof => error(
                                "Unclosed template interpolation sequence",
                                "There is no closing brace for this interpolation sequence before the end of the file. This might be caused by incorrect nesting inside the given expression.",
                                first.start..first.end,
                            ),
                            T::OQuote | T::CQuote if quoted => error(
                                "Unclosed template interpolation sequence",
                                "There is no closing brace for this interpolation sequence before the end of the quoted template. This might be caused by incorrect nesting inside the given expression.",
                                first.start..first.end,
                            ),
                            T::Colon => error(
                                "Extra characters after interpolation expression",
                                "Template interpolation doesn't expect a colon at this location. Did you intend this to be a literal sequence to be processed as part of another language? If so, you can escape it by starting with \"$${\" instead of just \"${\".",
                                end.start..end.end,
                            ),
                            _ => error(
                                "Extra characters after interpolation expression",
                                "Expected a closing brace to end the interpolation expression, but found extra characters.",
                                end.start..end.end,
                            ),
                        }
                    })?;
                }
                T::Control => directives.push(self.directive()?),
                _ => {
                    self.pos -= 1;
                    return error(
                        "Unterminated template string",
                        "No closing marker was found for the string.",
                        tok.start..tok.end,
                    );
                }
            }
        }
    }

    /// A `%{ ... }` directive after its `%{`: which, and where.
    fn directive(&mut self) -> R<(Directive, Token)> {
        self.with_newlines(false, |p| {
            let kw = p.peek();
            if kw.t != T::Ident {
                return error(
                    "Invalid template directive",
                    "A template directive keyword (\"if\", \"for\", etc) is expected at the beginning of a %{ sequence.",
                    kw.start..kw.end,
                );
            }
            p.read();
            let word = p.text(kw);
            let directive = match word {
                "if" => {
                    p.expression()?;
                    Directive::If
                }
                "else" => Directive::Else,
                "endif" => Directive::EndIf,
                "endfor" => Directive::EndFor,
                "for" => {
                    let invalid = |p: &Self, detail: &str| -> R {
                        let at = p.peek();
                        error("Invalid 'for' directive", detail, at.start..at.end)
                    };
                    if p.peek().t != T::Ident {
                        invalid(p, "A for directive requires a variable name after the 'for' keyword.")?;
                    }
                    p.read();
                    if p.peek().t == T::Comma {
                        p.read();
                        if p.peek().t != T::Ident {
                            invalid(p, "A for directive requires a value variable name after the comma.")?;
                        }
                        p.read();
                    }
                    if !p.text_is(p.peek(), "in") {
                        invalid(p, "A for directive requires an 'in' keyword after the names.")?;
                    }
                    p.read();
                    p.expression()?;
                    Directive::For
                }
                _ => {
                    return error(
                        "Invalid template control keyword",
                        &format!("{word:?} is not a valid template control keyword."),
                        kw.start..kw.end,
                    )
                }
            };
            let close = p.peek();
            if close.t != T::SeqEnd {
                return error(
                    &format!("Extra characters in {word} marker"),
                    "Expected a closing brace to end the sequence, but found extra characters.",
                    close.start..close.end,
                );
            }
            p.read();
            Ok((directive, kw))
        })
    }
}

/// A template directive's keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    If,
    Else,
    EndIf,
    For,
    EndFor,
}

/// Whether a template's directives nest, in hclsyntax's words when not.
fn nesting(directives: &[(Directive, Token)], end: Token) -> R {
    let unbalanced = "The control directives within this template are unbalanced.";
    // Open `if`s (with whether their `else` was seen) and `for`s.
    let mut open: Vec<(Directive, bool)> = Vec::new();
    for &(d, tok) in directives {
        let at = tok.start..tok.end;
        match (d, open.last_mut()) {
            (Directive::If | Directive::For, _) => open.push((d, false)),
            (Directive::Else, Some((Directive::If, seen @ false))) => *seen = true,
            (Directive::EndIf, Some((Directive::If, _)))
            | (Directive::EndFor, Some((Directive::For, _))) => {
                open.pop();
            }
            (Directive::Else, _) => return error("Unexpected else directive", unbalanced, at),
            (Directive::EndIf, _) => return error("Unexpected endif directive", unbalanced, at),
            (Directive::EndFor, _) => return error("Unexpected endfor directive", unbalanced, at),
        }
    }
    match open.last() {
        Some((d, _)) => {
            let (name, end_name) = match d {
                Directive::For => ("for", "endfor"),
                _ => ("if", "endif"),
            };
            error(
                "Unexpected end of template",
                &format!("The {name} directive is missing its corresponding {end_name} directive."),
                end.start..end.end,
            )
        }
        None => Ok(()),
    }
}

fn multi_line(tok: Token) -> R {
    error(
        "Invalid multi-line string",
        "Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.",
        tok.start..tok.end,
    )
}

fn unterminated_object(open: Token) -> R {
    error(
        "Unterminated object constructor expression",
        "There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.",
        open.start..open.end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_input_is_left_alone_not_followed_down() {
        for src in [
            format!("a = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("a = {}1\n", "-".repeat(100_000)),
            format!("{}\n", "b {\n".repeat(100_000)),
        ] {
            assert_eq!(first_error(&src), None);
        }
    }

    #[test]
    fn the_earliest_of_scanner_and_parser_errors() {
        let first = |src: &str| first_error(src).map(|e| (e.summary, e.bytes.start));
        // The parser's error comes first in the file, then the scanner's.
        assert_eq!(
            first("y = = 1\nb = 1;\n"),
            Some(("Invalid expression".into(), 4))
        );
        assert_eq!(
            first("y = 1\nb = $\n"),
            Some(("Invalid character".into(), 10))
        );
        assert_eq!(first("a = [for x in y : x]\nb = <<EOT\nz\n  EOT  \n"), None);
    }
}
