//! Numeric functions: `abs`, `ceil`, `floor`, `log`, `max`, `min`,
//! `parseint`, `pow`, `signum`.

use num_bigint::BigInt;

use super::super::number::Number;
use super::super::value::Value;
use super::{def, Args, Def, Fail, Out};

pub(super) static DEFS: &[Def] = &[
    def!("abs", ["num": Num], |a| Ok(Value::number(a.num(0).abs()))),
    def!("ceil", ["num": Num], |a| Ok(Value::number(a.num(0).ceil()))),
    def!("floor", ["num": Num], |a| Ok(Value::number(a.num(0).floor()))),
    def!("signum", ["num": Num], |a| {
        let n = a.int(0)?;
        Ok(Value::int(n.signum()))
    }),
    def!("log", ["num": Num, "base": Num], |a| {
        Ok(Value::number(Number::from_f64(a.num(0).to_f64().ln() / a.num(1).to_f64().ln())))
    }),
    def!("pow", ["num": Num, "power": Num], |a| {
        Ok(Value::number(Number::from_f64(a.num(0).to_f64().powf(a.num(1).to_f64()))))
    }),
    def!("max", [], ...("numbers": Num), |a| extreme(a, true)),
    def!("min", [], ...("numbers": Num), |a| extreme(a, false)),
    def!("parseint", ["number": Str, "base": Num], |a| {
        let base = a.int(1)?;
        if !(2..=62).contains(&base) {
            return Err(Fail::Arg(1, "base must be a whole number between 2 and 62 inclusive".into()));
        }
        let s = a.str(0);
        let (neg, digits) = match s.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let value = parse_radix(digits, base as u32).ok_or_else(|| {
            Fail::Arg(0, format!("cannot parse {s:?} as a base {base} integer"))
        })?;
        let value = if neg { -value } else { value };
        let bits = value.bits().max(64) as u32;
        Ok(Value::number(Number::from_bigint(&value, bits)))
    }),
];

/// Digits in Go's `big.Int.SetString` alphabet: `0-9a-zA-Z`, letters
/// case-insensitive up to base 36, then lower before upper.
fn parse_radix(s: &str, base: u32) -> Option<BigInt> {
    if s.is_empty() {
        return None;
    }
    let mut v = BigInt::from(0);
    for c in s.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        v = v * base + d;
    }
    Some(v)
}

fn extreme(a: &Args, max: bool) -> Out {
    let nums = a.rest(0);
    if nums.is_empty() {
        return Err(Fail::Call("must pass at least one number".into()));
    }
    let mut best = a.num(0);
    for i in 1..nums.len() {
        let n = a.num(i);
        if (max && n > best) || (!max && n < best) {
            best = n;
        }
    }
    Ok(Value::number(best.clone()))
}
