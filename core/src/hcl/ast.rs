//! The typed HCL syntax model: bodies, blocks, attributes and every expression
//! kind, each carrying the [`Span`] of source it came from.

use serde::Serialize;

pub use crate::diagnostic::{Pos, Span};

/// One parsed file: its top-level body and every comment in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    /// The top-level attributes and blocks.
    pub body: Body,
    /// Every comment in source order, including those inside expressions.
    pub comments: Vec<Comment>,
}

/// A sequence of attributes and blocks.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Body {
    /// The attributes and blocks, in source order.
    pub items: Vec<Structure>,
    /// From the first item to the last (the braces are the block's).
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
    /// `name = expr`.
    Attribute(Attribute),
    /// `type "label" { ... }`.
    Block(Block),
}

impl Structure {
    /// The source the attribute or block spans.
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
    /// The attribute's name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The value.
    pub expr: Expression,
    /// From the name to the end of the value.
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
    /// Where the block type is written.
    pub kind_span: Span,
    /// The labels after the type, in order.
    pub labels: Vec<Label>,
    /// What is between the braces.
    pub body: Body,
    /// The `{`.
    pub open_brace: Span,
    /// The `}`.
    pub close_brace: Span,
    /// From the type to the closing brace.
    pub span: Span,
    /// Comments on the lines directly above, with no blank line between.
    pub leading_comments: Vec<Comment>,
    /// A comment after the closing brace on its line.
    pub trailing_comment: Option<Comment>,
}

impl Block {
    /// The header, from the block type to its last label: where
    /// Terraform points at a block.
    pub fn header_span(&self) -> Span {
        Span {
            start: self.span.start,
            end: self
                .labels
                .last()
                .map_or(self.kind_span.end, |l| l.span.end),
        }
    }

    /// The label values, unquoted.
    pub fn label_values(&self) -> Vec<&str> {
        self.labels.iter().map(|l| l.value.as_str()).collect()
    }
}

/// A block label: a quoted string (escapes decoded) or a bare identifier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    /// The label's text, escapes decoded.
    pub value: String,
    /// Whether it was written in quotes.
    pub quoted: bool,
    /// Where it is written, the quotes included.
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
    /// The comment as written, delimiters included.
    pub text: String,
    /// Which delimiters it has.
    pub style: CommentStyle,
    /// Where it is written.
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
    /// The expression's form and parts.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// Every HCL expression form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExprKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool {
        /// The literal's value.
        value: bool,
    },
    /// A number literal as written (`10`, `1.5`, `1e5`).
    Number {
        /// The digits as written.
        raw: String,
    },
    /// A quoted string or heredoc; a plain string is a template with one
    /// literal part.
    Template(Template),
    /// `[a, b, c]`.
    Tuple {
        /// The elements, in order.
        items: Vec<Expression>,
    },
    /// `{ key = value, ... }`.
    Object {
        /// The items, in order.
        items: Vec<ObjectItem>,
    },
    /// A bare name: `var`, `each`, `string`.
    Variable {
        /// The name.
        name: String,
    },
    /// `name(args...)`; `expand_final` is set for `f(a, b...)`.
    FunctionCall {
        /// The function's name, with its namespace (`provider::p::f`) if any.
        name: String,
        /// The arguments, in order.
        args: Vec<Expression>,
        /// Whether the last argument is followed by `...`.
        expand_final: bool,
    },
    /// A term followed by attribute access, indexes and splats.
    Traversal {
        /// The term the steps start from.
        target: Box<Expression>,
        /// The steps, in order.
        ops: Vec<TraversalOp>,
    },
    /// `-x` or `!x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// What it applies to.
        operand: Box<Expression>,
    },
    /// `a op b`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Expression>,
        /// The right operand.
        rhs: Box<Expression>,
    },
    /// `condition ? then : otherwise`.
    Conditional {
        /// What is tested.
        condition: Box<Expression>,
        /// The value when it holds.
        then: Box<Expression>,
        /// The value when it does not.
        otherwise: Box<Expression>,
    },
    /// `[for k, v in coll : value if cond]` or
    /// `{for k, v in coll : key => value... if cond}`.
    For(Box<ForExpr>),
    /// `( expr )`
    Parens {
        /// The expression between the parentheses.
        inner: Box<Expression>,
    },
    /// Source that did not parse; its diagnostics say why.
    Invalid,
}

/// One `key = value` (or `key: value`) of an object constructor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectItem {
    /// The key: a bare name, a string, or a parenthesised expression.
    pub key: Expression,
    /// The value.
    pub value: Expression,
}

/// A step of a traversal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TraversalOp {
    /// `.name`
    GetAttr {
        /// The attribute's name.
        name: String,
        /// `.name`, the dot included.
        span: Span,
    },
    /// `[expr]`
    Index {
        /// The expression between the brackets.
        key: Expression,
        /// `[key]`, the brackets included.
        span: Span,
    },
    /// `.0`, the legacy index form.
    LegacyIndex {
        /// The digits as written.
        raw: String,
        /// `.0`, the dot included.
        span: Span,
    },
    /// `.*` followed by its own steps.
    AttrSplat {
        /// The steps applied to each element.
        ops: Vec<TraversalOp>,
        /// The splat and its steps.
        span: Span,
    },
    /// `[*]` followed by its own steps.
    FullSplat {
        /// The steps applied to each element.
        ops: Vec<TraversalOp>,
        /// The splat and its steps.
        span: Span,
    },
}

impl TraversalOp {
    /// The source the step spans.
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

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    /// `-`
    #[serde(rename = "-")]
    Negate,
    /// `!`
    #[serde(rename = "!")]
    Not,
}

impl UnaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Negate => "-",
            UnaryOp::Not => "!",
        }
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
    /// `*`
    #[serde(rename = "*")]
    Mul,
    /// `/`
    #[serde(rename = "/")]
    Div,
    /// `%`
    #[serde(rename = "%")]
    Mod,
    /// `+`
    #[serde(rename = "+")]
    Add,
    /// `-`
    #[serde(rename = "-")]
    Sub,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `&&`
    #[serde(rename = "&&")]
    And,
    /// `||`
    #[serde(rename = "||")]
    Or,
}

impl BinaryOp {
    /// The operator as written.
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

    /// The operator written as `s`, if it is one.
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
    /// The key (or index) variable, when two are named.
    pub key_var: Option<String>,
    /// The value variable.
    pub value_var: String,
    /// What is iterated.
    pub collection: Expression,
    /// The key expression; `Some` makes this an object `for`.
    pub key: Option<Expression>,
    /// The element (or, in an object `for`, the value) expression.
    pub value: Expression,
    /// `...` after the value of an object `for` (grouping mode).
    pub grouping: bool,
    /// The `if` filter, if any.
    pub condition: Option<Expression>,
}

/// A quoted template or heredoc.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    /// Quoted or heredoc.
    pub style: TemplateStyle,
    /// The literal text, interpolations and directives, in order.
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

/// How a template is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum TemplateStyle {
    /// `"..."`
    Quoted,
    /// `<<MARKER` or, with `indented`, `<<-MARKER`.
    Heredoc {
        /// The word that opens and closes it, e.g. `EOT`.
        marker: String,
        /// `<<-`: the lines' shared indentation is not part of the value.
        indented: bool,
    },
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "part", rename_all = "snake_case")]
pub enum TemplatePart {
    /// Literal text: `raw` as written, `value` with HCL escapes decoded
    /// (`\n`, `\"`, `\uNNNN`, `$${`, `%%{`).
    Literal {
        /// The text as written.
        raw: String,
        /// The text with its escapes decoded.
        value: String,
        /// Where it is written.
        span: Span,
    },
    /// `${ expr }`, with `~` strip markers.
    Interpolation {
        /// The interpolated expression.
        expr: Expression,
        /// `${~`: whitespace before the interpolation is stripped.
        strip_left: bool,
        /// `~}`: whitespace after the interpolation is stripped.
        strip_right: bool,
        /// From `${` to `}`.
        span: Span,
    },
    /// `%{ if cond }...%{ else }...%{ endif }`
    If {
        /// The condition.
        condition: Expression,
        /// The parts used when it holds.
        then: Vec<TemplatePart>,
        /// The parts of the `%{ else }` branch, if any.
        otherwise: Option<Vec<TemplatePart>>,
        /// The `%{ if cond }`, `%{ else }` and `%{ endif }` tags; `close`
        /// is absent only in broken input.
        open: DirectiveTag,
        /// The `%{ else }` tag, if any.
        else_tag: Option<DirectiveTag>,
        /// The `%{ endif }` tag; absent only in broken input.
        close: Option<DirectiveTag>,
        /// From `%{ if` to the end of `%{ endif }`.
        span: Span,
    },
    /// `%{ for k, v in coll }...%{ endfor }`
    For {
        /// The key variable, when two are named.
        key_var: Option<String>,
        /// The value variable.
        value_var: String,
        /// What is iterated.
        collection: Expression,
        /// The parts repeated for each element.
        body: Vec<TemplatePart>,
        /// The `%{ for ... }` and `%{ endfor }` tags.
        open: DirectiveTag,
        /// The `%{ endfor }` tag; absent only in broken input.
        close: Option<DirectiveTag>,
        /// From `%{ for` to the end of `%{ endfor }`.
        span: Span,
    },
}

/// One `%{ ... }` tag of a template directive, with its `~` strip markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DirectiveTag {
    /// From `%{` to `}`.
    pub span: Span,
    /// `%{~`: whitespace before the tag is stripped.
    pub strip_left: bool,
    /// `~}`: whitespace after the tag is stripped.
    pub strip_right: bool,
}

impl TemplatePart {
    /// The source the part spans.
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
