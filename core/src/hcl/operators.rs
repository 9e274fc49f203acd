//! Rebuilds operator expressions by HCL precedence. tree-sitter-hcl groups
//! postfix steps after an operation wrongly (`a + b.c` as `(a + b).c`), so
//! the parser flattens operations into tokens and regroups them here.

use super::ast::*;

/// One token of a flattened operator expression, in source order.
pub(crate) enum Tok {
    Operand(Expression),
    Prefix(UnaryOp, Span),
    Postfix(TraversalOp),
    Infix(BinaryOp),
}

pub(crate) fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne => 3,
        BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le => 4,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
    }
}

/// Groups the tokens: postfix steps bind tightest, then prefix operators,
/// then binary operators by precedence, left-associative. `None` when the
/// tokens do not form an expression.
pub(crate) fn regroup(tokens: Vec<Tok>) -> Option<Expression> {
    let mut it = tokens.into_iter().peekable();
    let e = binary(&mut it, 1)?;
    it.next().is_none().then_some(e)
}

type Tokens = std::iter::Peekable<std::vec::IntoIter<Tok>>;

fn binary(it: &mut Tokens, min: u8) -> Option<Expression> {
    let mut lhs = unary(it)?;
    while let Some(Tok::Infix(op)) = it.peek() {
        let op = *op;
        let p = precedence(op);
        if p < min {
            break;
        }
        it.next();
        let rhs = binary(it, p + 1)?;
        lhs = Expression::binary(op, lhs, rhs);
    }
    Some(lhs)
}

fn unary(it: &mut Tokens) -> Option<Expression> {
    let mut prefixes = Vec::new();
    while let Some(Tok::Prefix(op, span)) = it.peek() {
        prefixes.push((*op, *span));
        it.next();
    }
    let mut e = match it.next()? {
        Tok::Operand(e) => e,
        _ => return None,
    };
    let mut ops = Vec::new();
    while let Some(Tok::Postfix(_)) = it.peek() {
        if let Some(Tok::Postfix(op)) = it.next() {
            ops.push(op);
        }
    }
    if let Some(last) = ops.last() {
        let span = e.span.to(last.span());
        e = Expression {
            kind: ExprKind::Traversal {
                target: Box::new(e),
                ops,
            },
            span,
        };
    }
    for (op, span) in prefixes.into_iter().rev() {
        e = Expression::unary(op, span, e);
    }
    Some(e)
}
