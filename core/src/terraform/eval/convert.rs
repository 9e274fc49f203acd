//! Terraform's type conversions: what `tolist`, `tostring`, function
//! parameters and variable types do to a value, and the unified type of
//! conditionals and collections.

use std::collections::BTreeMap;

use super::number::Number;
use super::value::{Kind, Type, Value};

/// Converts `value` to type `to` as Terraform does, or says why it cannot,
/// in Terraform's words (`a number is required`).
pub fn convert(value: &Value, to: &Type) -> Result<Value, String> {
    let sensitive = value.sensitive;
    let from = value.ty();
    if *to == Type::Dynamic || from == *to {
        return Ok(value.clone());
    }
    let out = match &value.kind {
        Kind::Null(_) => {
            check_type(&from, to)?;
            Value::new(Kind::Null(to.clone()))
        }
        Kind::Unknown(_) => {
            check_type(&from, to)?;
            Value::unknown(to.clone())
        }
        _ => convert_known(value, to)?,
    };
    Ok(out.mark(sensitive))
}

/// Whether any value of type `from` might convert to `to`.
fn check_type(from: &Type, to: &Type) -> Result<(), String> {
    if *from == Type::Dynamic || *to == Type::Dynamic || from == to {
        return Ok(());
    }
    let ok = match (from, to) {
        (Type::Number | Type::Bool | Type::String, Type::String) => true,
        (Type::String, Type::Number | Type::Bool) => true,
        (Type::List(a) | Type::Set(a), Type::List(b) | Type::Set(b)) => return check_type(a, b),
        (Type::Map(a), Type::Map(b)) => return check_type(a, b),
        (Type::Tuple(items), Type::List(b) | Type::Set(b)) => {
            return items.iter().try_for_each(|t| check_type(t, b))
        }
        (Type::Object(attrs), Type::Map(b)) => {
            return attrs.values().try_for_each(|t| check_type(t, b))
        }
        (Type::Map(_), Type::Object(_)) => true,
        (Type::Object(a), Type::Object(b)) => b.keys().all(|k| a.contains_key(k)),
        (Type::Tuple(a), Type::Tuple(b)) => a.len() == b.len(),
        (Type::List(_), Type::Tuple(_)) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(type_required(to))
    }
}

/// Whether any value of `from` could convert to `to`, looking inside
/// tuples and objects where `check_type` looks only at their shape.
fn convertible(from: &Type, to: &Type) -> bool {
    match (from, to) {
        (Type::Tuple(a), Type::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| convertible(x, y))
        }
        (Type::Object(a), Type::Object(b)) => b
            .iter()
            .all(|(k, y)| a.get(k).is_some_and(|x| convertible(x, y))),
        (Type::Map(e), Type::Object(b)) => b.values().all(|y| convertible(e, y)),
        (Type::List(e), Type::Tuple(b)) => b.iter().all(|y| convertible(e, y)),
        (Type::List(a) | Type::Set(a), Type::List(b) | Type::Set(b))
        | (Type::Map(a), Type::Map(b)) => convertible(a, b),
        (Type::Tuple(items), Type::List(b) | Type::Set(b)) => {
            items.iter().all(|t| convertible(t, b))
        }
        (Type::Object(attrs), Type::Map(b)) => attrs.values().all(|t| convertible(t, b)),
        _ => check_type(from, to).is_ok(),
    }
}

/// `a number is required`, `list of string required`.
pub fn type_required(to: &Type) -> String {
    match to {
        Type::String => "string required".into(),
        Type::Number => "number required".into(),
        Type::Bool => "bool required".into(),
        Type::Object(_) => "object required".into(),
        Type::Tuple(_) => "tuple required".into(),
        other => format!("{} required", other.friendly()),
    }
}

fn convert_known(value: &Value, to: &Type) -> Result<Value, String> {
    match (to, &value.kind) {
        (Type::String, Kind::Number(n)) => Ok(Value::string(n.text())),
        (Type::String, Kind::Bool(b)) => Ok(Value::string(b.to_string())),
        (Type::Number, Kind::String(s)) => Number::parse(s)
            .map(Value::number)
            .ok_or_else(|| "a number is required".to_string()),
        (Type::Bool, Kind::String(s)) => match s.as_str() {
            "true" | "1" => Ok(Value::bool(true)),
            "false" | "0" => Ok(Value::bool(false)),
            other => Err(match other.to_lowercase().as_str() {
                "true" => {
                    "a bool is required; to convert from string, use lowercase \"true\"".into()
                }
                "false" => {
                    "a bool is required; to convert from string, use lowercase \"false\"".into()
                }
                _ => "a bool is required".into(),
            }),
        },
        (Type::List(elem) | Type::Set(elem), _) => {
            let items = match &value.kind {
                Kind::List(_, v) | Kind::Set(_, v) | Kind::Tuple(v) => v,
                _ => return Err(type_required(to)),
            };
            let elem = element_type(elem, items.iter().map(Value::ty))?;
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(convert(item, &elem).map_err(|e| format!("element {i}: {e}"))?);
            }
            Ok(if matches!(to, Type::Set(_)) {
                Value::set(elem, out)
            } else {
                Value::list(elem, out)
            })
        }
        (Type::Map(elem), _) => {
            let entries = match &value.kind {
                Kind::Map(_, m) | Kind::Object(m) => m,
                _ => return Err(type_required(to)),
            };
            let elem = element_type(elem, entries.values().map(Value::ty))?;
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let c = convert(v, &elem).map_err(|e| format!("element {k:?}: {e}"))?;
                out.insert(k.clone(), c);
            }
            Ok(Value::map(elem, out))
        }
        (Type::Tuple(types), _) => {
            let items = match &value.kind {
                Kind::List(_, v) | Kind::Tuple(v) => v,
                _ => return Err(type_required(to)),
            };
            if items.len() != types.len() {
                return Err(format!(
                    "tuple required with exactly {} elements",
                    types.len()
                ));
            }
            let mut out = Vec::new();
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                out.push(convert(item, t).map_err(|e| format!("element {i}: {e}"))?);
            }
            Ok(Value::tuple(out))
        }
        (Type::Object(attrs), _) => {
            let entries = match &value.kind {
                Kind::Map(_, m) | Kind::Object(m) => m,
                _ => return Err(type_required(to)),
            };
            let mut out = BTreeMap::new();
            for (name, t) in attrs {
                let Some(v) = entries.get(name) else {
                    return Err(format!("attribute {name:?} is required"));
                };
                out.insert(
                    name.clone(),
                    convert(v, t).map_err(|e| format!("attribute {name:?}: {e}"))?,
                );
            }
            Ok(Value::object(out))
        }
        _ => Err(type_required(to)),
    }
}

/// The element type a collection of these element types takes: `want`
/// when it is decided, else the types unified.
fn element_type(want: &Type, types: impl Iterator<Item = Type>) -> Result<Type, String> {
    if !want.has_dynamic() {
        return Ok(want.clone());
    }
    let types: Vec<Type> = types.collect();
    if types.is_empty() {
        return Ok(if *want == Type::Dynamic {
            Type::Dynamic
        } else {
            want.clone()
        });
    }
    let unified =
        unify(&types).ok_or_else(|| "all elements must have the same type".to_string())?;
    if *want == Type::Dynamic {
        Ok(unified)
    } else {
        Ok(want.clone())
    }
}

/// The one type every one of `types` converts to, as Terraform picks it
/// for conditionals and collections; `None` when there is none.
pub fn unify(types: &[Type]) -> Option<Type> {
    if let Some(t) = unify_kinds(types) {
        return Some(t);
    }
    // Objects that share no type cannot fall back to one of themselves:
    // cty gives up there rather than drop attributes.
    if types.iter().all(|t| matches!(t, Type::Object(_))) {
        return None;
    }
    // No type built from their shared kind: the most general of the
    // types themselves that all the others convert to.
    let mut candidates: Vec<&Type> = types.iter().collect();
    candidates.sort_by_key(|t| generality(t));
    candidates
        .into_iter()
        .find(|c| types.iter().all(|t| convertible(t, c)))
        .cloned()
}

/// Terraform's preference among unification targets: strings over other
/// primitives, lists over sets over tuples, maps over objects, `any` last.
fn generality(t: &Type) -> u8 {
    match t {
        Type::String | Type::List(_) | Type::Map(_) => 0,
        Type::Set(_) => 1,
        Type::Number | Type::Bool | Type::Tuple(_) | Type::Object(_) => 2,
        Type::Dynamic => 3,
    }
}

fn unify_kinds(types: &[Type]) -> Option<Type> {
    let first = types.first()?;
    if types.iter().all(|t| t == first) {
        return Some(first.clone());
    }
    if types.contains(&Type::Dynamic) {
        return Some(Type::Dynamic);
    }
    let primitive = |t: &Type| matches!(t, Type::String | Type::Number | Type::Bool);
    if types.iter().all(primitive) {
        return types.contains(&Type::String).then_some(Type::String);
    }
    let elements = |f: fn(&Type) -> Option<&Type>| -> Option<Vec<Type>> {
        types.iter().map(|t| f(t).cloned()).collect()
    };
    if let Some(es) = elements(|t| match t {
        Type::List(e) => Some(e),
        _ => None,
    }) {
        return Some(Type::List(Box::new(unify(&es)?)));
    }
    if let Some(es) = elements(|t| match t {
        Type::Set(e) => Some(e),
        _ => None,
    }) {
        return Some(Type::Set(Box::new(unify(&es)?)));
    }
    if let Some(es) = elements(|t| match t {
        Type::Map(e) => Some(e),
        _ => None,
    }) {
        return Some(Type::Map(Box::new(unify(&es)?)));
    }
    if types
        .iter()
        .all(|t| matches!(t, Type::Object(_) | Type::Map(_)))
    {
        let objects: Vec<&BTreeMap<String, Type>> = types
            .iter()
            .filter_map(|t| match t {
                Type::Object(m) => Some(m),
                _ => None,
            })
            .collect();
        if objects.len() == types.len() && objects.iter().all(|m| m.keys().eq(objects[0].keys())) {
            let mut attrs = BTreeMap::new();
            for k in objects[0].keys() {
                let ts: Vec<Type> = objects.iter().map(|m| m[k].clone()).collect();
                attrs.insert(k.clone(), unify(&ts)?);
            }
            return Some(Type::Object(attrs));
        }
        let mut all = Vec::new();
        for t in types {
            match t {
                Type::Object(m) => all.extend(m.values().cloned()),
                Type::Map(e) => all.push((**e).clone()),
                _ => return None,
            }
        }
        return Some(Type::Map(Box::new(if all.is_empty() {
            Type::Dynamic
        } else {
            unify(&all)?
        })));
    }
    if types
        .iter()
        .all(|t| matches!(t, Type::Tuple(_) | Type::List(_)))
    {
        let tuples: Vec<&Vec<Type>> = types
            .iter()
            .filter_map(|t| match t {
                Type::Tuple(v) => Some(v),
                _ => None,
            })
            .collect();
        if tuples.len() == types.len() && tuples.iter().all(|v| v.len() == tuples[0].len()) {
            let mut out = Vec::new();
            for i in 0..tuples[0].len() {
                let ts: Vec<Type> = tuples.iter().map(|v| v[i].clone()).collect();
                out.push(unify(&ts)?);
            }
            return Some(Type::Tuple(out));
        }
        let mut all = Vec::new();
        for t in types {
            match t {
                Type::Tuple(v) => all.extend(v.iter().cloned()),
                Type::List(e) => all.push((**e).clone()),
                _ => return None,
            }
        }
        return Some(Type::List(Box::new(if all.is_empty() {
            Type::Dynamic
        } else {
            unify(&all)?
        })));
    }
    None
}
