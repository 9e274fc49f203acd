//! String functions: case, trimming, splitting, `format`, `replace`,
//! `substr` and regular expressions, measured in grapheme clusters.

use unicode_segmentation::UnicodeSegmentation;

use super::super::convert::convert;
use super::super::number::Number;
use super::super::value::{Kind, Type, Value};
use super::{def, list_of, Args, Def, Fail, Out, MAX_STRING};

pub(super) static DEFS: &[Def] = &[
    def!("upper", ["str": Str], |a| Ok(Value::string(a.str(0).to_uppercase()))),
    def!("lower", ["str": Str], |a| Ok(Value::string(a.str(0).to_lowercase()))),
    def!("title", ["str": Str], |a| Ok(Value::string(title(a.str(0))))),
    def!("trimspace", ["str": Str], |a| Ok(Value::string(a.str(0).trim()))),
    def!("trim", ["str": Str, "cutset": Str], |a| {
        let cut: Vec<char> = a.str(1).chars().collect();
        Ok(Value::string(a.str(0).trim_matches(cut.as_slice())))
    }),
    def!("trimprefix", ["str": Str, "prefix": Str], |a| {
        Ok(Value::string(a.str(0).strip_prefix(a.str(1)).unwrap_or(a.str(0))))
    }),
    def!("trimsuffix", ["str": Str, "suffix": Str], |a| {
        Ok(Value::string(a.str(0).strip_suffix(a.str(1)).unwrap_or(a.str(0))))
    }),
    def!("chomp", ["str": Str], |a| {
        Ok(Value::string(a.str(0).trim_end_matches(['\r', '\n'])))
    }),
    def!("startswith", ["str": Str, "prefix": Str], |a| {
        Ok(Value::bool(a.str(0).starts_with(a.str(1))))
    }),
    def!("endswith", ["str": Str, "suffix": Str], |a| {
        Ok(Value::bool(a.str(0).ends_with(a.str(1))))
    }),
    def!("strcontains", ["str": Str, "substr": Str], |a| {
        Ok(Value::bool(a.str(0).contains(a.str(1))))
    }),
    def!("strrev", ["str": Str], |a| {
        Ok(Value::string(a.str(0).graphemes(true).rev().collect::<String>()))
    }),
    def!("indent", ["spaces": Num, "str": Str], |a| {
        let n = a.int(0)?.max(0) as usize;
        let lines = a.str(1).matches('\n').count();
        let size = n
            .checked_mul(lines)
            .and_then(|pad| pad.checked_add(a.str(1).len()))
            .filter(|&size| size <= MAX_STRING);
        if size.is_none() {
            return Err(Fail::Call(format!(
                "{n} spaces on {lines} lines make a string of more than {MAX_STRING} bytes, more than infrarag builds"
            )));
        }
        if lines == 0 {
            return Ok(Value::string(a.str(1)));
        }
        let pad = " ".repeat(n);
        Ok(Value::string(a.str(1).replace('\n', &format!("\n{pad}"))))
    }),
    def!("split", ["separator": Str, "str": Str], |a| {
        let parts: Vec<Value> = if a.str(0).is_empty() {
            a.str(1).chars().map(|c| Value::string(c.to_string())).collect()
        } else {
            a.str(1).split(a.str(0)).map(Value::string).collect()
        };
        Ok(Value::list(Type::String, parts))
    }),
    def!("join", ["separator": Str], ...("lists": ListStr), |a| {
        if a.values.len() < 2 {
            return Err(Fail::Call("at least one list is required".into()));
        }
        let mut parts = Vec::new();
        let mut size = 0usize;
        for (i, list) in a.rest(1).iter().enumerate() {
            for item in list.elements().unwrap_or_default() {
                match item.as_str() {
                    Some(s) => {
                        size += s.len() + a.str(0).len();
                        if size > MAX_STRING {
                            return Err(Fail::Call(format!(
                                "the joined string would be more than {MAX_STRING} bytes, more than infrarag builds"
                            )));
                        }
                        parts.push(s.to_string())
                    }
                    None => {
                        return Err(Fail::Arg(i + 1, "element must not be null".into()))
                    }
                }
            }
        }
        Ok(Value::string(parts.join(a.str(0))))
    }),
    def!("replace", ["str": Str, "substr": Str, "replace": Str], |a| {
        let (s, sub, rep) = (a.str(0), a.str(1), a.str(2));
        if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
            let re = regex(&sub[1..sub.len() - 1], 1)?;
            return Ok(Value::string(re.replace_all(s, rep).into_owned()));
        }
        Ok(Value::string(s.replace(sub, rep)))
    }),
    def!("substr", ["str": Str, "offset": Num, "length": Num], |a| {
        let g: Vec<&str> = a.str(0).graphemes(true).collect();
        let n = g.len() as i64;
        let mut offset = a.int(1)?;
        let mut length = a.int(2)?;
        if offset < 0 && length == 0 {
            // Terraform takes the rest of the string here.
            length = -1;
        }
        if offset < 0 {
            offset = (offset + n).max(0);
        }
        if offset > n {
            return Ok(Value::string(""));
        }
        let end = if length < 0 { n } else { (offset + length).min(n) };
        Ok(Value::string(g[offset as usize..end.max(offset) as usize].concat()))
    }),
    def!("regex", ["pattern": Str, "string": Str], |a| {
        let re = regex(a.str(0), 0)?;
        let caps = re
            .captures(a.str(1))
            .ok_or_else(|| Fail::Call("pattern did not match any part of the given string".into()))?;
        Ok(captures(&re, &caps))
    }),
    def!("regexall", ["pattern": Str, "string": Str], |a| {
        let re = regex(a.str(0), 0)?;
        let all: Vec<Value> = re.captures_iter(a.str(1)).map(|c| captures(&re, &c)).collect();
        let elem = all.first().map(Value::ty).unwrap_or(if re.captures_len() == 1 {
            Type::String
        } else {
            Type::Dynamic
        });
        Ok(Value::list(elem, all))
    }),
    def!("format", ["format": Str], ...("args": AnyNull), |a| {
        format(a.str(0), a.rest(1)).map(Value::string)
    }),
    def!("formatlist", ["format": Str], ...("args": AnyNull), |a| formatlist(a)),
];

/// Go's `strings.Title`: a letter after anything but a letter, digit,
/// underscore or apostrophe is upper-cased.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = !(c.is_alphanumeric() || c == '_' || c == '\'');
    }
    out
}

fn regex(pattern: &str, arg: usize) -> Result<regex::Regex, Fail> {
    regex::Regex::new(&ascii_classes(pattern))
        .map_err(|e| Fail::Arg(arg, format!("invalid regular expression pattern: {e}")))
}

/// Go's `\w`, `\d`, `\s` and `\b` are ASCII-only, the regex crate's are
/// Unicode: spell Go's meaning out.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push(c);
                    break;
                };
                let (outside, inside) = match n {
                    'w' => ("[0-9A-Za-z_]", "0-9A-Za-z_"),
                    'W' => ("[^0-9A-Za-z_]", ""),
                    'd' => ("[0-9]", "0-9"),
                    'D' => ("[^0-9]", ""),
                    's' => ("[\\t\\n\\f\\r ]", "\\t\\n\\f\\r "),
                    'S' => ("[^\\t\\n\\f\\r ]", ""),
                    'b' if !in_class => ("(?-u:\\b)", ""),
                    'B' if !in_class => ("(?-u:\\B)", ""),
                    _ => ("", ""),
                };
                let with = if in_class { inside } else { outside };
                if with.is_empty() {
                    out.push(c);
                    out.push(n);
                } else {
                    out.push_str(with);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal.
                let rest = chars.as_str();
                let lead = if rest.starts_with("^]") {
                    2
                } else if rest.starts_with(']') {
                    1
                } else {
                    0
                };
                for _ in 0..lead {
                    out.extend(chars.next());
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn captures(re: &regex::Regex, caps: &regex::Captures) -> Value {
    let names: Vec<Option<&str>> = re.capture_names().collect();
    let text = |i: usize| Value::string(caps.get(i).map_or("", |m| m.as_str()));
    if names.len() == 1 {
        return text(0);
    }
    if names.iter().skip(1).all(Option::is_some) {
        let m = names
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, n)| (n.unwrap_or_default().to_string(), text(i)))
            .collect();
        return Value::map(Type::String, m);
    }
    if names.iter().skip(1).any(Option::is_some) {
        let m = names
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(i, n)| n.map(|n| (n.to_string(), text(i))))
            .collect();
        return Value::map(Type::String, m);
    }
    Value::tuple((1..names.len()).map(text).collect())
}

fn formatlist(a: &Args) -> Out {
    let args = a.rest(1);
    let mut len: Option<usize> = None;
    for (i, v) in args.iter().enumerate() {
        if let Kind::List(..) | Kind::Tuple(_) | Kind::Set(..) = v.kind {
            let n = v.elements().map_or(0, <[Value]>::len);
            match len {
                Some(l) if l != n => {
                    return Err(Fail::Arg(
                        i + 1,
                        format!("argument {} has length {n}, which is inconsistent with argument 1 of length {l}", i + 1),
                    ))
                }
                _ => len = Some(n),
            }
        }
    }
    let n = len.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for row in 0..n {
        let these: Vec<Value> = args
            .iter()
            .map(|v| match v.elements() {
                Some(items) if !matches!(v.kind, Kind::Map(..) | Kind::Object(_)) => {
                    items.get(row).cloned().unwrap_or_else(Value::null)
                }
                _ => v.clone(),
            })
            .collect();
        out.push(Value::string(format(a.str(0), &these)?));
    }
    Ok(list_of(out, &Value::list(Type::String, Vec::new())))
}

/// cty's `format`: Go's verbs on Terraform values.
pub(super) fn format(spec: &str, args: &[Value]) -> Result<String, Fail> {
    let mut out = String::new();
    let mut chars = spec.chars().peekable();
    let mut next = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "+-# 0".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        // Go's fmt, which Terraform formats numbers with, stops reading a
        // width, precision or index once what it has read passes a million
        // and another digit follows; so does this, where Go would print
        // "%!(NOVERB)" and cty would pad a string to any width.
        let digits = |chars: &mut std::iter::Peekable<std::str::Chars>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                let so_far = n.unwrap_or(0);
                if so_far > 1_000_000 {
                    return Err(Fail::Call(format!(
                        "a width, precision or argument index of more than {so_far}0 is more than format reads"
                    )));
                }
                n = Some(so_far * 10 + d as usize);
                chars.next();
            }
            Ok(n)
        };
        if chars.peek() == Some(&'[') {
            chars.next();
            let n = digits(&mut chars)?.unwrap_or(0);
            if chars.next() != Some(']') || n == 0 {
                return Err(Fail::Call("invalid argument index".into()));
            }
            next = n - 1;
        }
        let width = digits(&mut chars)?;
        let precision = if chars.peek() == Some(&'.') {
            chars.next();
            Some(digits(&mut chars)?.unwrap_or(0))
        } else {
            None
        };
        let verb = chars
            .next()
            .ok_or_else(|| Fail::Call("unterminated format verb".into()))?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args.get(next).ok_or_else(|| {
            Fail::Call(format!(
                "not enough arguments for \"%{verb}\" at {}",
                out.len()
            ))
        })?;
        next += 1;
        let body = verb_text(verb, &flags, precision, arg)?;
        let width = width.unwrap_or(0);
        let len = body.chars().count();
        if len >= width {
            out.push_str(&body);
        } else if flags.contains('-') {
            out.push_str(&body);
            out.extend(std::iter::repeat_n(' ', width - len));
        } else if flags.contains('0')
            && matches!(verb, 'd' | 'f' | 'e' | 'g' | 'x' | 'X' | 'o' | 'b')
        {
            let (sign, digits) = match body.strip_prefix(['-', '+']) {
                Some(rest) => (&body[..1], rest),
                None => ("", body.as_str()),
            };
            out.push_str(sign);
            out.extend(std::iter::repeat_n('0', width - len));
            out.push_str(digits);
        } else {
            out.extend(std::iter::repeat_n(' ', width - len));
            out.push_str(&body);
        }
    }
    if next < args.len() && !spec.contains("%[") {
        return Err(Fail::Arg(
            args.len(),
            format!("too many arguments; only {next} used by format string"),
        ));
    }
    Ok(out)
}

fn verb_text(
    verb: char,
    flags: &str,
    precision: Option<usize>,
    arg: &Value,
) -> Result<String, Fail> {
    let need = |t: Type| -> Result<Value, Fail> {
        if arg.is_null() {
            return Err(Fail::Call(format!(
                "unsupported value for \"%{verb}\": null value cannot be formatted"
            )));
        }
        convert(arg, &t).map_err(|e| Fail::Call(format!("unsupported value for \"%{verb}\": {e}")))
    };
    let sign = |n: &Number, s: String| -> String {
        if !n.is_negative() && flags.contains('+') {
            format!("+{s}")
        } else if !n.is_negative() && flags.contains(' ') {
            format!(" {s}")
        } else {
            s
        }
    };
    Ok(match verb {
        'v' => {
            if flags.contains('#') {
                super::encoding::json(arg).map_err(Fail::Call)?
            } else {
                match &arg.kind {
                    Kind::Null(_) => "null".into(),
                    Kind::String(s) => s.clone(),
                    Kind::Number(n) => sign(n, n.text()),
                    Kind::Bool(b) => b.to_string(),
                    _ => super::encoding::json(arg).map_err(Fail::Call)?,
                }
            }
        }
        's' => {
            let s = need(Type::String)?;
            let s = s.as_str().unwrap_or_default();
            match precision {
                Some(p) => s.chars().take(p).collect(),
                None => s.to_string(),
            }
        }
        'q' => super::super::format::quote(need(Type::String)?.as_str().unwrap_or_default()),
        't' => need(Type::Bool)?.as_bool().unwrap_or(false).to_string(),
        'd' | 'x' | 'X' | 'o' | 'b' => {
            let v = need(Type::Number)?;
            let n = v.as_number().cloned().unwrap_or_else(Number::zero);
            let i = if n.is_integer() { n.trunc_int() } else { None };
            let Some(i) = i else {
                return Err(Fail::Call(format!(
                    "unsupported value for \"%{verb}\": number must be an integer"
                )));
            };
            let mag = i.magnitude();
            let body = match verb {
                'd' => mag.to_str_radix(10),
                'x' => mag.to_str_radix(16),
                'X' => mag.to_str_radix(16).to_uppercase(),
                'o' => mag.to_str_radix(8),
                _ => mag.to_str_radix(2),
            };
            let body = if n.is_negative() {
                format!("-{body}")
            } else {
                body
            };
            sign(&n, body)
        }
        'f' | 'e' | 'E' | 'g' | 'G' => {
            let v = need(Type::Number)?;
            let n = v.as_number().cloned().unwrap_or_else(Number::zero);
            let f = n.to_f64();
            let body = match verb {
                'f' => fixed(f, precision.unwrap_or(6)),
                'e' | 'E' => {
                    let s = go_exp(f, precision.unwrap_or(6));
                    if verb == 'E' {
                        s.to_uppercase()
                    } else {
                        s
                    }
                }
                _ => match precision {
                    None => {
                        let s = format!("{f}");
                        if f.abs() >= 1e21 || (f != 0.0 && f.abs() < 1e-4) {
                            go_exp(
                                f,
                                s.trim_start_matches('-')
                                    .replace('.', "")
                                    .trim_start_matches('0')
                                    .len()
                                    .saturating_sub(1),
                            )
                        } else {
                            s
                        }
                    }
                    Some(p) => fixed(f, p.saturating_sub(1)),
                },
            };
            sign(&n, body)
        }
        other => return Err(Fail::Call(format!("unsupported format verb {other:?}"))),
    })
}

/// Fraction digits past which an f64's exact decimal expansion is all
/// zeros (it has at most 1,074); Rust's formatter panics past 65,535.
const EXACT_DIGITS: usize = 1_100;

/// `f` with `precision` fraction digits, exactly, at any precision.
fn fixed(f: f64, precision: usize) -> String {
    let mut s = format!("{:.*}", precision.min(EXACT_DIGITS), f);
    if precision > EXACT_DIGITS && f.is_finite() {
        s.extend(std::iter::repeat_n('0', precision - EXACT_DIGITS));
    }
    s
}

/// `%e`: Go writes at least two exponent digits, with a sign.
fn go_exp(f: f64, precision: usize) -> String {
    let mut s = format!("{:.*e}", precision.min(EXACT_DIGITS), f);
    if precision > EXACT_DIGITS && f.is_finite() {
        if let Some(at) = s.find('e') {
            s.insert_str(at, &"0".repeat(precision - EXACT_DIGITS));
        }
    }
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    format!("{mant}e{sign}{digits:0>2}")
}
