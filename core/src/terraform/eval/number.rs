//! Terraform's numbers: binary floating point of 512 bits by default, as Go's
//! `big.Float` holds them, so that sums, quotients and their text match.

use std::cmp::Ordering;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};

/// The precision, in bits, of numbers Terraform reads from text.
pub const PRECISION: u32 = 512;

/// Decimal exponents beyond this are refused: `10^n` would be computed
/// exactly, and no configuration needs numbers that large.
const MAX_DECIMAL_EXPONENT: i64 = 100_000;

/// A number as Terraform holds it: `mantissa × 2^exponent`, rounded to
/// `precision` bits (nearest, ties to even), or an infinity.
#[derive(Debug, Clone)]
pub struct Number {
    neg: bool,
    kind: Kind,
    precision: u32,
}

#[derive(Debug, Clone)]
enum Kind {
    Zero,
    /// `mant × 2^exp`, `mant` non-zero, at most `precision` bits.
    Finite {
        mant: BigUint,
        exp: i64,
    },
    Inf,
}

/// Why an operation has no numeric result (Go's `big.ErrNaN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANumber;

impl Number {
    /// Zero, of Terraform's default precision.
    pub fn zero() -> Number {
        Number {
            neg: false,
            kind: Kind::Zero,
            precision: PRECISION,
        }
    }

    /// An integer, exact (Go's `SetInt64`: 64 bits of precision).
    pub fn from_i64(v: i64) -> Number {
        Number::from_bigint(&BigInt::from(v), 64)
    }

    /// An integer of any size, rounded to `precision` bits.
    pub fn from_bigint(v: &BigInt, precision: u32) -> Number {
        let neg = v.sign() == Sign::Minus;
        Number::finite(neg, v.magnitude().clone(), 0, false, precision)
    }

    /// A float64, exact (Go's `big.NewFloat`: 53 bits of precision).
    /// Functions built on Go's `math` package give numbers of this kind.
    pub fn from_f64(v: f64) -> Number {
        if v.is_infinite() {
            return Number::infinity(v < 0.0);
        }
        if v == 0.0 {
            return Number {
                neg: v.is_sign_negative(),
                kind: Kind::Zero,
                precision: 53,
            };
        }
        let bits = v.to_bits();
        let exp_bits = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp) = if exp_bits == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp_bits - 1075)
        };
        Number::finite(v < 0.0, BigUint::from(mant), exp, false, 53)
    }

    /// Positive or negative infinity.
    pub fn infinity(neg: bool) -> Number {
        Number {
            neg,
            kind: Kind::Inf,
            precision: PRECISION,
        }
    }

    /// Reads a number as Go's `big.ParseFloat(s, 10, 512, ToNearestEven)`
    /// does, which is how Terraform reads number literals and converts
    /// strings: an optional sign, digits with an optional point, an
    /// optional `e` exponent, or `Inf`.
    pub fn parse(s: &str) -> Option<Number> {
        let (neg, rest) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if rest == "Inf" || rest == "inf" {
            return Some(Number::infinity(neg));
        }
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
            return None;
        }
        let mut exp10: i64 = match exponent {
            Some(e) => {
                let body = e.strip_prefix(['+', '-']).unwrap_or(e);
                if body.is_empty() || !digits(body) || body.len() > 12 {
                    return None;
                }
                e.parse().ok()?
            }
            None => 0,
        };
        exp10 -= frac.len() as i64;
        let all = format!("{int}{frac}");
        let mant = BigUint::parse_bytes(all.as_bytes(), 10).unwrap_or_default();
        if mant.is_zero() {
            return Some(Number {
                neg,
                kind: Kind::Zero,
                precision: PRECISION,
            });
        }
        if exp10.abs() > MAX_DECIMAL_EXPONENT {
            return None;
        }
        Some(if exp10 >= 0 {
            Number::finite(
                neg,
                mant * BigUint::from(10u32).pow(exp10 as u32),
                0,
                false,
                PRECISION,
            )
        } else {
            quotient(
                neg,
                &mant,
                0,
                &BigUint::from(10u32).pow((-exp10) as u32),
                0,
                PRECISION,
            )
        })
    }

    /// Rounds `mant × 2^exp` (with `sticky` set when bits below it were
    /// dropped) to `precision` bits, nearest with ties to even.
    fn finite(neg: bool, mant: BigUint, exp: i64, sticky: bool, precision: u32) -> Number {
        if mant.is_zero() {
            return Number {
                neg,
                kind: Kind::Zero,
                precision,
            };
        }
        let bits = mant.bits() as i64;
        let (mut mant, mut exp) = (mant, exp);
        if bits > precision as i64 {
            let shift = (bits - precision as i64) as u64;
            let half = BigUint::one() << (shift - 1);
            let rest = &mant & ((BigUint::one() << shift) - 1u32);
            mant >>= shift;
            exp += shift as i64;
            let up = match rest.cmp(&half) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal => sticky || mant.bit(0),
            };
            if up {
                mant += 1u32;
                if mant.bits() > precision as u64 {
                    mant >>= 1;
                    exp += 1;
                }
            }
        }
        let tz = mant.trailing_zeros().unwrap_or(0);
        mant >>= tz;
        Number {
            neg,
            kind: Kind::Finite {
                mant,
                exp: exp + tz as i64,
            },
            precision,
        }
    }

    /// The precision, in bits, this number was rounded to.
    pub fn precision(&self) -> u32 {
        self.precision
    }

    /// Whether this is an infinity.
    pub fn is_infinite(&self) -> bool {
        matches!(self.kind, Kind::Inf)
    }

    /// Whether this is zero (of either sign).
    pub fn is_zero(&self) -> bool {
        matches!(self.kind, Kind::Zero)
    }

    /// Whether this is below zero.
    pub fn is_negative(&self) -> bool {
        self.neg && !self.is_zero()
    }

    /// Whether this is a whole number (infinities are not).
    pub fn is_integer(&self) -> bool {
        match &self.kind {
            Kind::Zero => true,
            Kind::Finite { exp, .. } => *exp >= 0,
            Kind::Inf => false,
        }
    }

    /// The whole part, truncated toward zero (Go's `Float.Int`).
    pub fn trunc_int(&self) -> Option<BigInt> {
        match &self.kind {
            Kind::Zero => Some(BigInt::zero()),
            Kind::Inf => None,
            Kind::Finite { mant, exp } => {
                let mag = if *exp >= 0 {
                    mant << (*exp as u64)
                } else if -*exp >= mant.bits() as i64 {
                    BigUint::zero()
                } else {
                    mant >> ((-*exp) as u64)
                };
                let sign = if self.neg { Sign::Minus } else { Sign::Plus };
                Some(BigInt::from_biguint(sign, mag))
            }
        }
    }

    /// The value as an `i64` when it is a whole number that fits.
    pub fn to_i64(&self) -> Option<i64> {
        if !self.is_integer() {
            return None;
        }
        self.trunc_int()?.to_i64()
    }

    /// The nearest float64 (Go's `Float.Float64`).
    pub fn to_f64(&self) -> f64 {
        let sign = if self.neg { -1.0 } else { 1.0 };
        match &self.kind {
            Kind::Zero => sign * 0.0,
            Kind::Inf => sign * f64::INFINITY,
            Kind::Finite { .. } => self.text().parse::<f64>().unwrap_or(f64::NAN),
        }
    }

    /// `-self`.
    pub fn neg(&self) -> Number {
        Number {
            neg: !self.neg,
            ..self.clone()
        }
    }

    /// `|self|`.
    pub fn abs(&self) -> Number {
        Number {
            neg: false,
            ..self.clone()
        }
    }

    fn signed(&self) -> Option<(BigInt, i64)> {
        match &self.kind {
            Kind::Zero => Some((BigInt::zero(), 0)),
            Kind::Inf => None,
            Kind::Finite { mant, exp } => {
                let sign = if self.neg { Sign::Minus } else { Sign::Plus };
                Some((BigInt::from_biguint(sign, mant.clone()), *exp))
            }
        }
    }

    /// `self + other` at the larger of the two precisions.
    pub fn add(&self, other: &Number) -> Result<Number, NotANumber> {
        let precision = self.precision.max(other.precision);
        match (&self.kind, &other.kind) {
            (Kind::Inf, Kind::Inf) if self.neg != other.neg => Err(NotANumber),
            (Kind::Inf, _) => Ok(Number::infinity(self.neg).with_precision(precision)),
            (_, Kind::Inf) => Ok(Number::infinity(other.neg).with_precision(precision)),
            (Kind::Zero, Kind::Zero) => Ok(Number {
                neg: self.neg && other.neg,
                kind: Kind::Zero,
                precision,
            }),
            _ => {
                let (a, ea) = self.signed().ok_or(NotANumber)?;
                let (b, eb) = other.signed().ok_or(NotANumber)?;
                let e = ea.min(eb);
                let sum = (a << ((ea - e) as u64)) + (b << ((eb - e) as u64));
                let neg = sum.sign() == Sign::Minus;
                Ok(Number::finite(
                    neg,
                    sum.magnitude().clone(),
                    e,
                    false,
                    precision,
                ))
            }
        }
    }

    /// `self - other`.
    pub fn sub(&self, other: &Number) -> Result<Number, NotANumber> {
        self.add(&other.neg())
    }

    /// `self × other`.
    pub fn mul(&self, other: &Number) -> Result<Number, NotANumber> {
        let precision = self.precision.max(other.precision);
        let neg = self.neg != other.neg;
        match (&self.kind, &other.kind) {
            (Kind::Inf, Kind::Zero) | (Kind::Zero, Kind::Inf) => Err(NotANumber),
            (Kind::Inf, _) | (_, Kind::Inf) => Ok(Number::infinity(neg).with_precision(precision)),
            (Kind::Zero, _) | (_, Kind::Zero) => Ok(Number {
                neg,
                kind: Kind::Zero,
                precision,
            }),
            (Kind::Finite { mant: a, exp: ea }, Kind::Finite { mant: b, exp: eb }) => {
                Ok(Number::finite(neg, a * b, ea + eb, false, precision))
            }
        }
    }

    /// `self ÷ other`; a finite number divided by zero is an infinity.
    pub fn div(&self, other: &Number) -> Result<Number, NotANumber> {
        let precision = self.precision.max(other.precision);
        let neg = self.neg != other.neg;
        match (&self.kind, &other.kind) {
            (Kind::Zero, Kind::Zero) | (Kind::Inf, Kind::Inf) => Err(NotANumber),
            (Kind::Inf, _) | (_, Kind::Zero) => Ok(Number::infinity(neg).with_precision(precision)),
            (Kind::Zero, _) | (_, Kind::Inf) => Ok(Number {
                neg,
                kind: Kind::Zero,
                precision,
            }),
            (Kind::Finite { mant: a, exp: ea }, Kind::Finite { mant: b, exp: eb }) => {
                Ok(quotient(neg, a, *ea, b, *eb, precision))
            }
        }
    }

    /// `self % other` as Terraform computes it: `self − other × trunc(self
    /// ÷ other)` at `self`'s precision; `x % 0` is `x`, and infinities
    /// give the product's infinity.
    pub fn rem(&self, other: &Number) -> Result<Number, NotANumber> {
        if self.is_infinite() || other.is_infinite() {
            return self.mul(other);
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        let ratio = self.div(other)?.trunc_int().ok_or(NotANumber)?;
        let whole = Number::from_bigint(&ratio, self.precision);
        let product = other.mul(&whole)?.with_precision(self.precision);
        Ok(self.sub(&product)?.with_precision(self.precision))
    }

    /// This number rounded to `precision` bits.
    pub fn with_precision(&self, precision: u32) -> Number {
        match &self.kind {
            Kind::Finite { mant, exp } => {
                Number::finite(self.neg, mant.clone(), *exp, false, precision)
            }
            _ => Number {
                precision,
                ..self.clone()
            },
        }
    }

    /// The largest whole number not above this one.
    pub fn floor(&self) -> Number {
        self.whole(false)
    }

    /// The smallest whole number not below this one.
    pub fn ceil(&self) -> Number {
        self.whole(true)
    }

    fn whole(&self, up: bool) -> Number {
        let Some(t) = self.trunc_int() else {
            return self.clone();
        };
        if self.is_integer() {
            // Through an integer, as Go's `SetInt` does: `-0` becomes `0`.
            return Number::from_bigint(&t, self.precision);
        }
        let adjust = if up && !self.neg {
            1
        } else if !up && self.neg {
            -1
        } else {
            0
        };
        Number::from_bigint(&(t + adjust), self.precision)
    }

    /// The shortest decimal text that reads back as this number at its
    /// precision (Go's `Float.Text('f', -1)`): `0.1`, `-0`, `+Inf`.
    pub fn text(&self) -> String {
        let sign = if self.neg { "-" } else { "" };
        match &self.kind {
            Kind::Zero => format!("{sign}0"),
            Kind::Inf => format!("{}Inf", if self.neg { "-" } else { "+" }),
            Kind::Finite { mant, exp } => {
                let mut d = Decimal::of(mant, *exp);
                // Normalise to precision + 1 bits: the lowest bit is then
                // half an ulp, so mant ± 1 bound the numbers that round
                // back to this one.
                let s = mant.bits() as i64 - (self.precision as i64 + 1);
                let (m2, e2) = if s < 0 {
                    (mant << ((-s) as u64), exp + s)
                } else {
                    (mant >> (s as u64), exp + s)
                };
                let lower = Decimal::of(&(&m2 - 1u32), e2);
                let upper = Decimal::of(&(&m2 + 1u32), e2);
                let inclusive = !m2.bit(1);
                d.shortest(&lower, &upper, inclusive);
                format!("{sign}{}", d.fixed())
            }
        }
    }
}

/// `(a × 2^ea) ÷ (b × 2^eb)` rounded to `precision` bits.
fn quotient(neg: bool, a: &BigUint, ea: i64, b: &BigUint, eb: i64, precision: u32) -> Number {
    // Shift the dividend so the quotient has precision + 2 bits at least;
    // the remainder then only decides ties.
    let shift = (precision as i64 + 2 + b.bits() as i64 - a.bits() as i64).max(0);
    let (q, r) = (a << (shift as u64)).div_rem(b);
    Number::finite(neg, q, ea - eb - shift, !r.is_zero(), precision)
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        let rank = |n: &Number| -> i8 {
            match (&n.kind, n.neg) {
                (Kind::Inf, true) => -2,
                (Kind::Inf, false) => 2,
                (Kind::Zero, _) => 0,
                (_, true) => -1,
                (_, false) => 1,
            }
        };
        let (ra, rb) = (rank(self), rank(other));
        if ra != rb || ra.abs() != 1 {
            return Some(ra.cmp(&rb));
        }
        let (a, ea) = self.signed()?;
        let (b, eb) = other.signed()?;
        let e = ea.min(eb);
        Some((a << ((ea - e) as u64)).cmp(&(b << ((eb - e) as u64))))
    }
}

/// Decimal digits and the position of the point, as Go's ftoa uses them:
/// the value is `0.digits × 10^point`.
struct Decimal {
    digits: Vec<u8>,
    point: i64,
}

impl Decimal {
    fn of(mant: &BigUint, exp: i64) -> Decimal {
        let (digits, point) = if exp >= 0 {
            let s = (mant << (exp as u64)).to_str_radix(10);
            let n = s.len() as i64;
            (s, n)
        } else {
            let k = (-exp) as u32;
            let s = (mant * BigUint::from(5u32).pow(k)).to_str_radix(10);
            let n = s.len() as i64 - k as i64;
            (s, n)
        };
        let mut d = Decimal {
            digits: digits.into_bytes(),
            point,
        };
        d.trim();
        d
    }

    fn trim(&mut self) {
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.point = 0;
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.digits.get(i).copied().unwrap_or(b'0')
    }

    fn shortest(&mut self, lower: &Decimal, upper: &Decimal, inclusive: bool) {
        for i in 0..self.digits.len() {
            let (l, m, u) = (lower.at(i), self.digits[i], upper.at(i));
            let down = l != m || inclusive && i + 1 == lower.digits.len();
            let up = m != u && (inclusive || m + 1 < u || i + 1 < upper.digits.len());
            match (down, up) {
                (true, true) => return self.round(i + 1),
                (true, false) => return self.round_down(i + 1),
                (false, true) => return self.round_up(i + 1),
                _ => {}
            }
        }
    }

    fn round(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let up = if self.digits[n] == b'5' && n + 1 == self.digits.len() {
            n > 0 && (self.digits[n - 1] - b'0') % 2 == 1
        } else {
            self.digits[n] >= b'5'
        };
        if up {
            self.round_up(n)
        } else {
            self.round_down(n)
        }
    }

    fn round_down(&mut self, n: usize) {
        self.digits.truncate(n);
        self.trim();
    }

    fn round_up(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let mut i = n;
        while i > 0 && self.digits[i - 1] == b'9' {
            i -= 1;
        }
        if i == 0 {
            self.digits = vec![b'1'];
            self.point += 1;
            return;
        }
        self.digits[i - 1] += 1;
        self.digits.truncate(i);
    }

    fn fixed(&self) -> String {
        let mut out = String::new();
        if self.point > 0 {
            let n = (self.point as usize).min(self.digits.len());
            out.push_str(std::str::from_utf8(&self.digits[..n]).unwrap_or("0"));
            out.extend(std::iter::repeat_n('0', self.point as usize - n));
        } else {
            out.push('0');
        }
        let decimals = (self.digits.len() as i64 - self.point).max(0);
        if decimals > 0 {
            out.push('.');
            for i in 0..decimals {
                let at = self.point + i;
                out.push(if at < 0 {
                    '0'
                } else {
                    self.at(at as usize) as char
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    // Each expected text is what `terraform console` printed (1.11.4).
    #[test]
    fn text_matches_terraform() {
        assert_eq!(n("1").div(&n("3")).unwrap().text(), "0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335");
        assert_eq!(n("0.1").add(&n("0.2")).unwrap().text(), "0.3");
        assert_eq!(n("1e20").text(), "100000000000000000000");
        assert_eq!(n("1e-7").text(), "0.0000001");
        assert_eq!(n("9007199254740993").text(), "9007199254740993");
        assert_eq!(
            Number::from_f64(2f64.powi(64)).text(),
            "18446744073709550000"
        );
        assert_eq!(n("0").neg().text(), "-0");
        assert_eq!(n("1").div(&n("0")).unwrap().text(), "+Inf");
        assert_eq!(n("-7").rem(&n("3")).unwrap().text(), "-1");
        assert_eq!(n("5.5").rem(&n("2")).unwrap().text(), "1.5");
    }

    #[test]
    fn parse_refuses_what_go_refuses() {
        for bad in ["", ".", "1e", "e5", "1x", " 1", "--1", "0x10"] {
            assert!(Number::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(n(".5").text(), "0.5");
        assert_eq!(n("1.").text(), "1");
    }
}
