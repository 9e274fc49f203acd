//! Collection functions and type conversions: `length`, `lookup`,
//! `merge`, `concat`, `flatten`, sets, `zipmap`, `coalesce`, `tolist`...

use std::collections::BTreeMap;

use unicode_segmentation::UnicodeSegmentation;

use super::super::convert::{convert, unify};
use super::super::expr::{equal, MAX_ITERATIONS};
use super::super::number::Number;
use super::super::value::{Kind, Type, Value};
use super::{def, list_of, Args, Def, Fail, Out, P};

pub(super) static DEFS: &[Def] = &[
    def!("length", ["value": Any], |a| {
        let v = &a.values[0];
        Ok(Value::int(match &v.kind {
            Kind::String(s) => s.graphemes(true).count(),
            Kind::List(_, x) | Kind::Set(_, x) | Kind::Tuple(x) => x.len(),
            Kind::Map(_, m) | Kind::Object(m) => m.len(),
            _ => return Err(Fail::Call("argument must be a string, a collection type, or a structural type".into())),
        } as i64))
    }),
    def!("element", ["list": Any, "index": Num], |a| {
        let items = sequence(a, 0)?;
        if items.is_empty() {
            return Err(Fail::Call("cannot use element function with an empty list".into()));
        }
        let i = a.int(1)?;
        // A tuple's element type is chosen by Go's `index % length` before
        // the call, which fails below zero; a list wraps the index.
        if i % (items.len() as i64) < 0 && matches!(a.values[0].kind, Kind::Tuple(_)) {
            return Err(Fail::Call(format!("index out of range [{i}] for a tuple")));
        }
        let i = i.rem_euclid(items.len() as i64);
        Ok(items[i as usize].clone())
    }),
    def!("index", ["list": Any, "value": Any], |a| {
        let items = sequence(a, 0)?;
        items
            .iter()
            .position(|x| equal(x, &a.values[1], false).as_bool() == Some(true))
            .map(|i| Value::int(i as i64))
            .ok_or_else(|| Fail::Call("item not found".into()))
    }),
    def!("contains", ["list": Any, "value": Any], |a| {
        let items = match &a.values[0].kind {
            Kind::List(_, x) | Kind::Set(_, x) | Kind::Tuple(x) => x,
            _ => return Err(Fail::Call("argument must be list, tuple, or set".into())),
        };
        Ok(Value::bool(items.iter().any(|x| equal(x, &a.values[1], false).as_bool() == Some(true))))
    }),
    def!("lookup", ["inputMap": Any, "key": Str], ...("default": AnyNull), |a| {
        if a.values.len() > 3 {
            return Err(Fail::Call("lookup() takes no more than three arguments".into()));
        }
        let m = a.values[0].entries().ok_or_else(|| Fail::Arg(0, "the given value is not a map or object".into()))?;
        // A map's result has its element type, so the default must convert
        // to it, whether or not it is used.
        let default = match (&a.values[0].kind, a.values.get(2)) {
            (Kind::Map(elem, _), Some(d)) => Some(convert(d, elem).map_err(|_| {
                Fail::Arg(2, "the default value must have the same type as the map elements".into())
            })?),
            (_, d) => d.cloned(),
        };
        match m.get(a.str(1)) {
            Some(v) => Ok(v.clone()),
            None => match default {
                Some(d) => Ok(d),
                None if matches!(a.values[0].kind, Kind::Object(_)) => {
                    Err(Fail::Arg(1, format!("lookup failed to find key {:?}", a.str(1))))
                }
                None => Err(Fail::Call(format!("lookup failed to find key {:?}", a.str(1)))),
            },
        }
    }),
    def!("keys", ["inputMap": Any], |a| {
        let v = &a.values[0];
        let keys: Vec<Value> = v
            .entries()
            .ok_or_else(|| Fail::Arg(0, "must have map or object type".into()))?
            .keys()
            .map(|k| Value::string(k.clone()))
            .collect();
        Ok(match v.kind {
            Kind::Object(_) => Value::tuple(keys),
            _ => Value::list(Type::String, keys),
        })
    }),
    def!("values", ["mapping": Any], |a| {
        let v = &a.values[0];
        let vals: Vec<Value> = v
            .entries()
            .ok_or_else(|| Fail::Arg(0, "must have map or object type".into()))?
            .values()
            .cloned()
            .collect();
        Ok(match &v.kind {
            Kind::Map(t, _) => Value::list(t.clone(), vals),
            _ => Value::tuple(vals),
        })
    }),
    def!("merge", [], ...("maps": AnyNull), |a| {
        let mut out = BTreeMap::new();
        let args = a.rest(0);
        for (i, v) in args.iter().enumerate() {
            if v.is_null() {
                continue;
            }
            let m = v.entries().ok_or_else(|| Fail::Arg(i, "arguments must be maps or objects".into()))?;
            out.extend(m.iter().map(|(k, x)| (k.clone(), x.clone())));
        }
        let first = args.first().map(Value::ty);
        if let Some(Type::Map(e)) = &first {
            if args.iter().all(|v| v.ty() == Type::Map(e.clone())) {
                return Ok(Value::map((**e).clone(), out));
            }
        }
        Ok(Value::object(out))
    }),
    def!("concat", [], ...("seqs": Any), |a| {
        let args = a.rest(0);
        if args.is_empty() {
            return Err(Fail::Call("at least one argument is required".into()));
        }
        let mut items = Vec::new();
        for (i, v) in args.iter().enumerate() {
            match &v.kind {
                Kind::List(_, x) | Kind::Tuple(x) => items.extend(x.iter().cloned()),
                _ => return Err(Fail::Arg(i, format!("all arguments must be lists or tuples; got {}", v.ty().friendly()))),
            }
        }
        let lists: Option<Vec<Type>> = args
            .iter()
            .map(|v| match v.ty() {
                Type::List(e) => Some(*e),
                _ => None,
            })
            .collect();
        if let Some(elems) = lists {
            if let Some(t) = unify(&elems) {
                let conv: Result<Vec<Value>, String> = items.iter().map(|x| convert(x, &t)).collect();
                return conv.map(|v| Value::list(t, v)).map_err(Fail::Call);
            }
        }
        Ok(Value::tuple(items))
    }),
    def!("flatten", ["list": Any], |a| {
        let mut out = Vec::new();
        if a.values[0].elements().is_none() {
            return Err(Fail::Arg(0, "can only flatten lists, sets and tuples".into()));
        }
        flatten(&a.values[0], &mut out);
        Ok(Value::tuple(out))
    }),
    def!("distinct", ["list": List], |a| {
        let mut out: Vec<Value> = Vec::new();
        for x in a.items(0) {
            if !out.iter().any(|y| y.equals_raw(x)) {
                out.push(x.clone());
            }
        }
        Ok(list_of(out, &a.values[0]))
    }),
    def!("compact", ["list": ListStr], |a| {
        let out: Vec<Value> = a
            .items(0)
            .iter()
            .filter(|x| !x.is_null() && x.as_str() != Some(""))
            .cloned()
            .collect();
        Ok(Value::list(Type::String, out))
    }),
    def!("reverse", ["list": Any], |a| {
        let v = &a.values[0];
        match &v.kind {
            Kind::List(t, x) => Ok(Value::list(t.clone(), x.iter().rev().cloned().collect())),
            Kind::Tuple(x) => Ok(Value::tuple(x.iter().rev().cloned().collect())),
            Kind::Set(t, x) => Ok(Value::list(t.clone(), x.iter().rev().cloned().collect())),
            _ => Err(Fail::Arg(0, "can only reverse list or tuple values".into())),
        }
    }),
    def!("slice", ["list": Any, "start_index": Num, "end_index": Num], |a| {
        let items = sequence(a, 0)?;
        let (s, e) = (a.int(1)?, a.int(2)?);
        if s < 0 {
            return Err(Fail::Arg(1, "start index must not be less than zero".into()));
        }
        if e > items.len() as i64 {
            return Err(Fail::Arg(2, "end index must not be greater than the length of the list".into()));
        }
        if s > e {
            return Err(Fail::Arg(1, "start index must not be greater than end index".into()));
        }
        let part = items[s as usize..e as usize].to_vec();
        Ok(match &a.values[0].kind {
            Kind::List(t, _) => Value::list(t.clone(), part),
            _ => Value::tuple(part),
        })
    }),
    def!("sort", ["list": ListStr], |a| {
        let mut out: Vec<Value> = a.items(0).to_vec();
        if out.iter().any(Value::is_null) {
            return Err(Fail::Arg(0, "given list element is null; a null string cannot be sorted".into()));
        }
        out.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
        Ok(Value::list(Type::String, out))
    }),
    def!("range", [], ...("params": Num), |a| {
        let n = a.values.len();
        let one = Number::from_i64(1);
        let (start, end, step) = match n {
            1 => (Number::from_i64(0), a.num(0).clone(), one.clone()),
            2 => (a.num(0).clone(), a.num(1).clone(), one.clone()),
            3 => (a.num(0).clone(), a.num(1).clone(), a.num(2).clone()),
            _ => return Err(Fail::Call("must have one, two, or three arguments".into())),
        };
        let step = if n < 3 && end < start { step.neg() } else { step };
        if step.is_zero() {
            return Err(Fail::Arg(2, "step must not be zero".into()));
        }
        let down = step.is_negative();
        if down && start < end {
            return Err(Fail::Arg(0, "start must be greater than or equal to end when step is negative".into()));
        }
        if !down && start > end {
            return Err(Fail::Arg(0, "start must be less than or equal to end when step is positive".into()));
        }
        let mut out = Vec::new();
        let mut x = start;
        while if down { x > end } else { x < end } {
            if out.len() >= 1024 {
                return Err(Fail::Call("more than 1024 values were generated; either decrease the difference between start and end or use a smaller step".into()));
            }
            out.push(Value::number(x.clone()));
            x = x.add(&step).map_err(|_| Fail::Call("invalid range".into()))?;
        }
        Ok(Value::list(Type::Number, out))
    }),
    def!("zipmap", ["keys": ListStr, "values": Any], |a| {
        let keys = a.items(0);
        let vals = sequence(a, 1)?;
        if keys.len() != vals.len() {
            return Err(Fail::Call(format!("number of keys ({}) does not match number of values ({})", keys.len(), vals.len())));
        }
        let mut m = BTreeMap::new();
        for (k, v) in keys.iter().zip(vals) {
            let k = k.as_str().ok_or_else(|| Fail::Arg(0, "keys must not be null".into()))?;
            m.insert(k.to_string(), v.clone());
        }
        Ok(match &a.values[1].kind {
            Kind::List(t, _) => Value::map(t.clone(), m),
            _ => Value::object(m),
        })
    }),
    def!("coalesce", [], ...("vals": AnyNull), |a| {
        let args = a.rest(0);
        let types: Vec<Type> = args.iter().map(Value::ty).collect();
        let t = unify(&types).ok_or_else(|| Fail::Call("all arguments must have the same type".into()))?;
        for v in args {
            if v.is_null() || v.as_str() == Some("") {
                continue;
            }
            let c = convert(v, &t).map_err(Fail::Call)?;
            if c.as_str() == Some("") {
                continue;
            }
            return Ok(c);
        }
        Err(Fail::Call("no non-null, non-empty-string arguments".into()))
    }),
    def!("coalescelist", [], ...("vals": Any), |a| {
        for (i, v) in a.rest(0).iter().enumerate() {
            match &v.kind {
                Kind::List(_, x) | Kind::Tuple(x) if !x.is_empty() => return Ok(v.clone()),
                Kind::List(..) | Kind::Tuple(_) => {}
                _ => return Err(Fail::Arg(i, "coalescelist arguments must be lists or tuples".into())),
            }
        }
        Err(Fail::Call("no non-null arguments".into()))
    }),
    def!("chunklist", ["list": List, "size": Num], |a| {
        let size = a.int(1)?;
        if size < 0 {
            return Err(Fail::Arg(1, "the size argument must be positive".into()));
        }
        let items = a.items(0);
        let elem = a.values[0].ty().element().cloned().unwrap_or(Type::Dynamic);
        let chunks: Vec<Value> = if items.is_empty() {
            Vec::new()
        } else if size == 0 {
            vec![Value::list(elem.clone(), items.to_vec())]
        } else {
            items.chunks(size as usize).map(|c| Value::list(elem.clone(), c.to_vec())).collect()
        };
        Ok(Value::list(Type::List(Box::new(elem)), chunks))
    }),
    def!("setunion", ["first_set": Set], ...("other_sets": Set), |a| set_op(a, |acc, s| {
        acc.extend(s.iter().cloned());
    })),
    def!("setintersection", ["first_set": Set], ...("other_sets": Set), |a| set_op(a, |acc, s| {
        acc.retain(|x| s.iter().any(|y| x.equals_raw(y)));
    })),
    def!("setproduct", [], ...("sets": Any), setproduct),
    def!("setsubtract", ["a": Set, "b": Set], |a| set_op(a, |acc, s| {
        acc.retain(|x| !s.iter().any(|y| x.equals_raw(y)));
    })),
    def!("transpose", ["values": Any], |a| {
        let t = Type::Map(Box::new(Type::List(Box::new(Type::String))));
        let m = convert(&a.values[0], &t).map_err(|e| Fail::Arg(0, e))?;
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, list) in m.entries().into_iter().flatten() {
            for v in list.elements().unwrap_or_default() {
                let s = v.as_str().ok_or_else(|| Fail::Arg(0, "input must not contain null list elements".into()))?;
                out.entry(s.to_string()).or_default().push(Value::string(k.clone()));
            }
        }
        Ok(Value::map(
            Type::List(Box::new(Type::String)),
            out.into_iter().map(|(k, v)| (k, Value::list(Type::String, v))).collect(),
        ))
    }),
    def!("one", ["list": Any], |a| {
        let v = &a.values[0];
        let items = match &v.kind {
            Kind::List(..) | Kind::Set(..) | Kind::Tuple(_) => v.elements().unwrap_or_default(),
            _ => return Err(Fail::Arg(0, "must be a list, set, or tuple value".into())),
        };
        match items {
            [] => Ok(Value::new(Kind::Null(v.ty().element().cloned().unwrap_or(Type::Dynamic)))),
            [x] => Ok(x.clone()),
            _ => Err(Fail::Arg(0, "must be a list, set, or tuple value with either zero or one elements".into())),
        }
    }),
    def!("sum", ["list": Any], |a| {
        let v = &a.values[0];
        let items = match &v.kind {
            Kind::List(..) | Kind::Set(..) | Kind::Tuple(_) => v.elements().unwrap_or_default(),
            _ => return Err(Fail::Arg(0, "cannot sum noniterable".into())),
        };
        if items.is_empty() {
            return Err(Fail::Arg(0, "cannot sum an empty list".into()));
        }
        let mut total: Option<Number> = None;
        for x in items {
            let n = convert(x, &Type::Number).map_err(|_| Fail::Call("can't compute sum of opposing infinities".into()))?;
            let n = n.as_number().cloned().ok_or_else(|| Fail::Arg(0, "argument must be list, set, or tuple of number values".into()))?;
            total = Some(match total {
                None => n,
                Some(t) => t.add(&n).map_err(|_| Fail::Call("can't compute sum of opposing infinities".into()))?,
            });
        }
        Ok(Value::number(total.unwrap_or_else(Number::zero)))
    }),
    def!("alltrue", ["list": ListBool], |a| {
        Ok(Value::bool(a.items(0).iter().all(|x| x.as_bool() == Some(true))))
    }),
    def!("anytrue", ["list": ListBool], |a| {
        Ok(Value::bool(a.items(0).iter().any(|x| x.as_bool() == Some(true))))
    }),
    def!("matchkeys", ["values": List, "keys": List, "searchset": List], |a| {
        let (vals, keys, search) = (a.items(0), a.items(1), a.items(2));
        if vals.len() != keys.len() {
            return Err(Fail::Call("length of keys and values should be equal".into()));
        }
        let out: Vec<Value> = vals
            .iter()
            .zip(keys)
            .filter(|(_, k)| search.iter().any(|s| convert(s, &k.ty()).is_ok_and(|s| s.equals_raw(k))))
            .map(|(v, _)| v.clone())
            .collect();
        Ok(list_of(out, &a.values[0]))
    }),
    def!("tolist", ["v": AnyNull], |a| to(a, Type::List(Box::new(Type::Dynamic)))),
    def!("toset", ["v": AnyNull], |a| to(a, Type::Set(Box::new(Type::Dynamic)))),
    def!("tomap", ["v": AnyNull], |a| to(a, Type::Map(Box::new(Type::Dynamic)))),
    def!("tostring", ["v": AnyNull], |a| to(a, Type::String)),
    def!("tonumber", ["v": AnyNull], |a| to(a, Type::Number)),
    def!("tobool", ["v": AnyNull], |a| to(a, Type::Bool)),
    Def {
        name: "sensitive",
        params: &[("value", P::AnyNull)],
        variadic: None,
        unknowns: true,
        imp: |a| Ok(a.values[0].clone().mark(true)),
    },
    Def {
        name: "nonsensitive",
        params: &[("value", P::AnyNull)],
        variadic: None,
        unknowns: true,
        imp: |a| {
            let mut v = a.values[0].clone();
            v.sensitive = false;
            Ok(v)
        },
    },
    Def {
        name: "issensitive",
        params: &[("value", P::AnyNull)],
        variadic: None,
        unknowns: true,
        imp: |a| Ok(Value::bool(a.values[0].sensitive)),
    },
];

fn sequence(a: &Args, i: usize) -> Result<&[Value], Fail> {
    match &a.values[i].kind {
        Kind::List(_, x) | Kind::Tuple(x) => Ok(x),
        _ => Err(Fail::Call(format!(
            "argument {} must be a list or tuple",
            i + 1
        ))),
    }
}

fn flatten(v: &Value, out: &mut Vec<Value>) {
    match &v.kind {
        Kind::List(_, x) | Kind::Set(_, x) | Kind::Tuple(x) => {
            x.iter().for_each(|i| flatten(i, out))
        }
        _ => out.push(v.clone()),
    }
}

/// cty's `setproduct`: every combination of one element from each
/// argument (a set, or a list or tuple read as a list), the first
/// argument's varying slowest, as tuples; a list of them when every
/// argument is a list, else a set.
fn setproduct(a: &Args) -> Out {
    let sets = a.rest(0);
    if sets.len() < 2 {
        return Err(Fail::Call("at least two arguments are required".into()));
    }
    let mut all_lists = true;
    let mut columns: Vec<(Type, Vec<Value>)> = Vec::new();
    for (i, s) in sets.iter().enumerate() {
        match &s.kind {
            Kind::Set(t, items) => {
                all_lists = false;
                columns.push((t.clone(), items.clone()));
            }
            Kind::List(..) | Kind::Tuple(_) => {
                let list = convert(s, &Type::List(Box::new(Type::Dynamic)))
                    .map_err(|e| Fail::Arg(i, e))?;
                let items = list.elements().unwrap_or_default();
                // A tuple's elements share the type they were unified to;
                // a null among them takes it, and prints as tostring(null)
                // once it stands in a tuple of its own.
                let elem = match list.ty().element() {
                    Some(t) if *t != Type::Dynamic => t.clone(),
                    _ => {
                        let known: Vec<Type> = items
                            .iter()
                            .filter(|v| !v.is_null())
                            .map(Value::ty)
                            .collect();
                        unify(&known).unwrap_or(Type::Dynamic)
                    }
                };
                let items = items
                    .iter()
                    .map(|v| convert(v, &elem).unwrap_or_else(|_| v.clone()))
                    .collect();
                columns.push((elem, items));
            }
            _ => return Err(Fail::Arg(i, "a set or a list is required".into())),
        }
    }
    let total = columns
        .iter()
        .try_fold(1usize, |n, (_, c)| n.checked_mul(c.len()))
        .filter(|&n| n <= MAX_ITERATIONS);
    let Some(total) = total else {
        return Err(Fail::Call(format!(
            "the product has more than {MAX_ITERATIONS} elements, more than infrarag builds"
        )));
    };
    // An empty argument empties the product: nothing is built, where the
    // arguments before it could multiply past any bound.
    let mut rows: Vec<Vec<Value>> = if total == 0 {
        Vec::new()
    } else {
        vec![Vec::with_capacity(columns.len())]
    };
    for (_, column) in &columns {
        let mut next = Vec::with_capacity(rows.len() * column.len());
        for row in &rows {
            for v in column {
                let mut r = row.clone();
                r.push(v.clone());
                next.push(r);
            }
        }
        rows = next;
    }
    let elem = Type::Tuple(columns.into_iter().map(|(t, _)| t).collect());
    let items = rows.into_iter().map(Value::tuple).collect();
    Ok(if all_lists {
        Value::list(elem, items)
    } else {
        Value::set(elem, items)
    })
}

fn set_op(a: &Args, f: impl Fn(&mut Vec<Value>, &[Value])) -> Out {
    let sets = a.rest(0);
    let types: Vec<Type> = sets
        .iter()
        .filter_map(|s| s.ty().element().cloned())
        .collect();
    let elem = unify(&types)
        .ok_or_else(|| Fail::Call("given sets must all have compatible element types".into()))?;
    let mut acc: Vec<Value> = sets[0].elements().unwrap_or_default().to_vec();
    for s in &sets[1..] {
        f(&mut acc, s.elements().unwrap_or_default());
    }
    let conv: Result<Vec<Value>, String> = acc.iter().map(|x| convert(x, &elem)).collect();
    Ok(Value::set(elem, conv.map_err(Fail::Call)?))
}

fn to(a: &Args, t: Type) -> Out {
    let v = &a.values[0];
    let primitive = matches!(t, Type::String | Type::Number | Type::Bool);
    if primitive
        && !matches!(
            v.ty(),
            Type::String | Type::Number | Type::Bool | Type::Dynamic
        )
    {
        return Err(Fail::Arg(
            0,
            format!("cannot convert {} to {}", v.ty().friendly(), t.friendly()),
        ));
    }
    convert(v, &t).map_err(|e| {
        let msg = match (&t, e.as_str()) {
            (Type::Number, "a number is required") => format!("cannot convert {:?} to number; given string must be a decimal representation of a number", v.as_str().unwrap_or_default()),
            _ => format!("cannot convert {} to {}", v.ty().friendly(), t.friendly()),
        };
        Fail::Arg(0, msg)
    })
}
