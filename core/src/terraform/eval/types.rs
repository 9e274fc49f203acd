//! Type constraints as Terraform writes them (`list(string)`, `object({a =
//! number})`), read from text or from a variable's `type` expression.

use std::collections::BTreeMap;

use crate::hcl::{ExprKind, Expression};

use super::value::Type;

/// The type a type constraint expression names, or why it names none.
pub fn type_of_expression(e: &Expression) -> Result<Type, String> {
    match &e.kind {
        ExprKind::Variable { name } => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Dynamic),
            other => Err(format!("The keyword {other:?} is not a valid type specification.")),
        },
        ExprKind::FunctionCall { name, args, .. } => {
            let one = || -> Result<Type, String> {
                match args.as_slice() {
                    [a] => type_of_expression(a),
                    _ => Err(format!("The {name} type constructor requires one argument specifying the element type.")),
                }
            };
            match name.as_str() {
                "list" => Ok(Type::List(Box::new(one()?))),
                "set" => Ok(Type::Set(Box::new(one()?))),
                "map" => Ok(Type::Map(Box::new(one()?))),
                "tuple" => match args.as_slice() {
                    [Expression {
                        kind: ExprKind::Tuple { items },
                        ..
                    }] => Ok(Type::Tuple(
                        items.iter().map(type_of_expression).collect::<Result<_, _>>()?,
                    )),
                    _ => Err("The tuple type constructor requires one argument specifying the element types as a list.".into()),
                },
                "object" => match args.as_slice() {
                    [Expression {
                        kind: ExprKind::Object { items },
                        ..
                    }] => {
                        let mut attrs = BTreeMap::new();
                        for item in items {
                            let key = crate::terraform::literal_key(&item.key)
                                .ok_or("Object constructor map keys must be attribute names.")?;
                            let t = match &item.value.kind {
                                // `optional(T)` and `optional(T, default)`: the
                                // attribute's type is T.
                                ExprKind::FunctionCall { name, args, .. }
                                    if name == "optional" && !args.is_empty() =>
                                {
                                    type_of_expression(&args[0])?
                                }
                                _ => type_of_expression(&item.value)?,
                            };
                            attrs.insert(key, t);
                        }
                        Ok(Type::Object(attrs))
                    }
                    _ => Err("The object type constructor requires one argument specifying the attribute types as a map.".into()),
                },
                other => Err(format!("Keyword {other:?} is not a valid type constructor.")),
            }
        }
        _ => Err("A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).".into()),
    }
}

/// The type `text` names (`map(list(string))`).
pub fn parse_type(text: &str) -> Result<Type, String> {
    let parsed = crate::hcl::parse(&format!("t = {text}\n"));
    let attr = parsed
        .file
        .body
        .attributes()
        .next()
        .filter(|_| !parsed.has_errors())
        .ok_or_else(|| format!("{text:?} is not a type"))?;
    type_of_expression(&attr.expr)
}
