//! The typed HCL syntax model: bodies, blocks, attributes and every expression
//! kind, each carrying the [`Span`] of source it came from.

use serde::Serialize;

pub use crate::diagnostic::{Pos, Span};

/// One parsed file: its top-level body and every comment in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    pub body: Body,
    /// Every comment in source order, including those inside expressions.
    pub comments: Vec<Comment>,
}

/// A sequence of attributes and blocks.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Body {
    pub items: Vec<Structure>,
    pub span: Span,
}

impl Body {
    /// The attributes of this body, in source order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.items.iter().filter_map(|s| match s {
            Structure::Attribute(a) => Some(a),
            Structure::Block(_) => None,
        })
    }

    /// The blocks of this body, in source order.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.items.iter().filter_map(|s| match s {
            Structure::Block(b) => Some(b),
            Structure::Attribute(_) => None,
        })
    }

    /// The last attribute with this name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes().filter(|a| a.name == name).last()
    }

    /// The blocks of this type, in source order.
    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks().filter(move |b| b.kind == kind)
    }
}

/// An item of a body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Structure {
    Attribute(Attribute),
    Block(Block),
}

impl Structure {
    pub fn span(&self) -> Span {
        match self {
            Structure::Attribute(a) => a.span,
            Structure::Block(b) => b.span,
        }
    }
}

/// `name = expr`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribute {
    pub name: String,
    pub name_span: Span,
    pub expr: Expression,
    pub span: Span,
    /// Comments on the lines directly above, with no blank line between.
    pub leading_comments: Vec<Comment>,
    /// A comment after the attribute on its last line.
    pub trailing_comment: Option<Comment>,
}

/// `type "label" label { body }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    /// The block type, e.g. `resource`.
    pub kind: String,
    pub kind_span: Span,
    pub labels: Vec<Label>,
    pub body: Body,
    pub open_brace: Span,
    pub close_brace: Span,
    pub span: Span,
    pub leading_comments: Vec<Comment>,
    pub trailing_comment: Option<Comment>,
}

impl Block {
    /// The label values, unquoted.
    pub fn label_values(&self) -> Vec<&str> {
        self.labels.iter().map(|l| l.value.as_str()).collect()
    }
}

/// A block label: a quoted string (escapes decoded) or a bare identifier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub value: String,
    pub quoted: bool,
    pub span: Span,
}

/// How a comment was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentStyle {
    /// `# text`
    Hash,
    /// `// text`
    DoubleSlash,
    /// `/* text */`
    Block,
}

/// A comment, with its delimiters in `text`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comment {
    pub text: String,
    pub style: CommentStyle,
    pub span: Span,
}

impl Comment {
    /// The comment text without its delimiters, trimmed.
    pub fn content(&self) -> &str {
        let t = self.text.as_str();
        let inner = match self.style {
            CommentStyle::Hash => &t[1..],
            CommentStyle::DoubleSlash => &t[2..],
            CommentStyle::Block => t
                .strip_prefix("/*")
                .and_then(|s| s.strip_suffix("*/"))
                .unwrap_or(t),
        };
        inner.trim()
    }
}

/// An expression and the source it spans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expression {
    pub kind: ExprKind,
    pub span: Span,
}

/// Every HCL expression form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExprKind {
    Null,
    Bool {
        value: bool,
    },
    /// A number literal as written (`10`, `1.5`, `1e5`).
    Number {
        raw: String,
    },
    /// A quoted string or heredoc; a plain string is a template with one
    /// literal part.
    Template(Template),
    Tuple {
        items: Vec<Expression>,
    },
    Object {
        items: Vec<ObjectItem>,
    },
    /// A bare name: `var`, `each`, `string`.
    Variable {
        name: String,
    },
    /// `name(args...)`; `expand_final` is set for `f(a, b...)`.
    FunctionCall {
        name: String,
        args: Vec<Expression>,
        expand_final: bool,
    },
    /// A term followed by attribute access, indexes and splats.
    Traversal {
        target: Box<Expression>,
        ops: Vec<TraversalOp>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expression>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expression>,
        rhs: Box<Expression>,
    },
    Conditional {
        condition: Box<Expression>,
        then: Box<Expression>,
        otherwise: Box<Expression>,
    },
    /// `[for k, v in coll : value if cond]` or
    /// `{for k, v in coll : key => value... if cond}`.
    For(Box<ForExpr>),
    /// `( expr )`
    Parens {
        inner: Box<Expression>,
    },
    /// Source that did not parse; its diagnostics say why.
    Invalid,
}

/// One `key = value` (or `key: value`) of an object constructor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectItem {
    pub key: Expression,
    pub value: Expression,
}

/// A step of a traversal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TraversalOp {
    /// `.name`
    GetAttr { name: String, span: Span },
    /// `[expr]`
    Index { key: Expression, span: Span },
    /// `.0`, the legacy index form; `raw` is the digits as written.
    LegacyIndex { raw: String, span: Span },
    /// `.*` followed by its own steps.
    AttrSplat { ops: Vec<TraversalOp>, span: Span },
    /// `[*]` followed by its own steps.
    FullSplat { ops: Vec<TraversalOp>, span: Span },
}

impl TraversalOp {
    pub fn span(&self) -> Span {
        match self {
            TraversalOp::GetAttr { span, .. }
            | TraversalOp::Index { span, .. }
            | TraversalOp::LegacyIndex { span, .. }
            | TraversalOp::AttrSplat { span, .. }
            | TraversalOp::FullSplat { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    #[serde(rename = "-")]
    Negate,
    #[serde(rename = "!")]
    Not,
}

impl UnaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Negate => "-",
            UnaryOp::Not => "!",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
    #[serde(rename = "*")]
    Mul,
    #[serde(rename = "/")]
    Div,
    #[serde(rename = "%")]
    Mod,
    #[serde(rename = "+")]
    Add,
    #[serde(rename = "-")]
    Sub,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "&&")]
    And,
    #[serde(rename = "||")]
    Or,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }

    pub fn from_token(s: &str) -> Option<BinaryOp> {
        Some(match s {
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            "%" => BinaryOp::Mod,
            "+" => BinaryOp::Add,
            "-" => BinaryOp::Sub,
            ">" => BinaryOp::Gt,
            ">=" => BinaryOp::Ge,
            "<" => BinaryOp::Lt,
            "<=" => BinaryOp::Le,
            "==" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            "&&" => BinaryOp::And,
            "||" => BinaryOp::Or,
            _ => return None,
        })
    }
}

/// A for expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expression,
    /// The key expression; `Some` makes this an object `for`.
    pub key: Option<Expression>,
    pub value: Expression,
    /// `...` after the value of an object `for` (grouping mode).
    pub grouping: bool,
    pub condition: Option<Expression>,
}

/// A quoted template or heredoc.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    pub style: TemplateStyle,
    pub parts: Vec<TemplatePart>,
}

impl Template {
    /// The decoded string, when the template has no interpolations or
    /// directives. An indented heredoc (`<<-`) loses the indentation its
    /// lines share, as HCL evaluates it.
    pub fn as_plain_string(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                TemplatePart::Literal { value, .. } => out.push_str(value),
                _ => return None,
            }
        }
        if let TemplateStyle::Heredoc { indented: true, .. } = self.style {
            out = flush(&out);
        }
        Some(out)
    }
}

/// The text of a `<<-` heredoc without the leading whitespace its lines
/// share, as hclsyntax strips it: lines holding only whitespace do not
/// count, the shortest indentation is measured in bytes, and each line
/// loses whole whitespace characters until that many bytes are gone.
fn flush(text: &str) -> String {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let shared = text
        .split('\n')
        .filter(|l| !l.trim().is_empty())
        .map(indent)
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|line| {
            let mut cut = 0;
            for (i, c) in line.char_indices() {
                if cut >= shared || !c.is_whitespace() {
                    break;
                }
                cut = i + c.len_utf8();
            }
            &line[cut..]
        })
        .collect();
    lines.join("\n")
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum TemplateStyle {
    /// `"..."`
    Quoted,
    /// `<<MARKER` or, with `indented`, `<<-MARKER`.
    Heredoc { marker: String, indented: bool },
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum TemplatePart {
    /// Literal text: `raw` as written, `value` with HCL escapes decoded
    /// (`\n`, `\"`, `\uNNNN`, `$${`, `%%{`).
    Literal {
        raw: String,
        value: String,
        span: Span,
    },
    /// `${ expr }`, with `~` strip markers.
    Interpolation {
        expr: Expression,
        strip_left: bool,
        strip_right: bool,
        span: Span,
    },
    /// `%{ if cond }...%{ else }...%{ endif }`
    If {
        condition: Expression,
        then: Vec<TemplatePart>,
        otherwise: Option<Vec<TemplatePart>>,
        /// The `%{ if cond }`, `%{ else }` and `%{ endif }` tags; `close`
        /// is absent only in broken input.
        open: DirectiveTag,
        else_tag: Option<DirectiveTag>,
        close: Option<DirectiveTag>,
        span: Span,
    },
    /// `%{ for k, v in coll }...%{ endfor }`
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Expression,
        body: Vec<TemplatePart>,
        /// The `%{ for ... }` and `%{ endfor }` tags.
        open: DirectiveTag,
        close: Option<DirectiveTag>,
        span: Span,
    },
}

/// One `%{ ... }` tag of a template directive, with its `~` strip markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DirectiveTag {
    pub span: Span,
    pub strip_left: bool,
    pub strip_right: bool,
}

impl TemplatePart {
    pub fn span(&self) -> Span {
        match self {
            TemplatePart::Literal { span, .. }
            | TemplatePart::Interpolation { span, .. }
            | TemplatePart::If { span, .. }
            | TemplatePart::For { span, .. } => *span,
        }
    }
}

impl Expression {
    /// `lhs op rhs`, spanning both operands.
    pub fn binary(op: BinaryOp, lhs: Expression, rhs: Expression) -> Expression {
        let span = lhs.span.to(rhs.span);
        Expression {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        }
    }

    /// `condition ? then : otherwise`, spanning all three.
    pub fn conditional(
        condition: Expression,
        then: Expression,
        otherwise: Expression,
    ) -> Expression {
        let span = condition.span.to(otherwise.span);
        Expression {
            kind: ExprKind::Conditional {
                condition: Box::new(condition),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        }
    }

    /// `op operand`, where `op_span` is the operator's own span.
    pub fn unary(op: UnaryOp, op_span: Span, operand: Expression) -> Expression {
        let span = op_span.to(operand.span);
        Expression {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        }
    }

    /// Calls `f` on this expression and every expression nested in it,
    /// parents before children. Nesting depth is bounded by the parser.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expression)) {
        f(self);
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool { .. }
            | ExprKind::Number { .. }
            | ExprKind::Variable { .. }
            | ExprKind::Invalid => {}
            ExprKind::Template(t) => walk_parts(&t.parts, f),
            ExprKind::Tuple { items } => items.iter().for_each(|e| e.walk(f)),
            ExprKind::Object { items } => items.iter().for_each(|i| {
                i.key.walk(f);
                i.value.walk(f);
            }),
            ExprKind::FunctionCall { args, .. } => args.iter().for_each(|e| e.walk(f)),
            ExprKind::Traversal { target, ops } => {
                target.walk(f);
                walk_ops(ops, f);
            }
            ExprKind::Unary { operand, .. } => operand.walk(f),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            ExprKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                condition.walk(f);
                then.walk(f);
                otherwise.walk(f);
            }
            ExprKind::For(fe) => {
                fe.collection.walk(f);
                if let Some(k) = &fe.key {
                    k.walk(f);
                }
                fe.value.walk(f);
                if let Some(c) = &fe.condition {
                    c.walk(f);
                }
            }
            ExprKind::Parens { inner } => inner.walk(f),
        }
    }
}

fn walk_ops<'a>(ops: &'a [TraversalOp], f: &mut dyn FnMut(&'a Expression)) {
    for op in ops {
        match op {
            TraversalOp::Index { key, .. } => key.walk(f),
            TraversalOp::AttrSplat { ops, .. } | TraversalOp::FullSplat { ops, .. } => {
                walk_ops(ops, f)
            }
            TraversalOp::GetAttr { .. } | TraversalOp::LegacyIndex { .. } => {}
        }
    }
}

fn walk_parts<'a>(parts: &'a [TemplatePart], f: &mut dyn FnMut(&'a Expression)) {
    for p in parts {
        match p {
            TemplatePart::Literal { .. } => {}
            TemplatePart::Interpolation { expr, .. } => expr.walk(f),
            TemplatePart::If {
                condition,
                then,
                otherwise,
                ..
            } => {
                condition.walk(f);
                walk_parts(then, f);
                if let Some(o) = otherwise {
                    walk_parts(o, f);
                }
            }
            TemplatePart::For {
                collection, body, ..
            } => {
                collection.walk(f);
                walk_parts(body, f);
            }
        }
    }
}
