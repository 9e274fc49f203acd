//! Field splitting and number reading for the collectors' parsers: one pass
//! over ASCII, nothing allocated, so parsing costs less than fetching.

/// Up to `N` whitespace-separated fields of `line`, and how many it has in
/// all (possibly more than `N`).
pub(crate) fn fields<const N: usize>(line: &str) -> ([&str; N], usize) {
    let mut out = [""; N];
    let mut count = 0;
    let mut words = Fields::new(line);
    while let Some(field) = words.word() {
        if let Some(slot) = out.get_mut(count) {
            *slot = field;
        }
        count += 1;
    }
    (out, count)
}

/// What `str::split_ascii_whitespace` splits on.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// The whitespace-separated fields of a text, read left to right, numbers
/// read as they are scanned.
pub(crate) struct Fields<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Fields { text, at: 0 }
    }

    fn skip_space(&mut self) -> usize {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() && is_space(bytes[self.at]) {
            self.at += 1;
        }
        self.at
    }

    /// The next field; `None` past the last.
    pub(crate) fn word(&mut self) -> Option<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.skip_space();
        if start == bytes.len() {
            return None;
        }
        while self.at < bytes.len() && !is_space(bytes[self.at]) {
            self.at += 1;
        }
        // Split at ASCII bytes, so always at a character boundary.
        Some(&self.text[start..self.at])
    }

    /// The remaining fields as numbers: the first `N`, and how many there
    /// are; the first that is not a number, if one is not.
    pub(crate) fn uints<const N: usize>(&mut self) -> Result<([u64; N], usize), &'a str> {
        let mut out = [0; N];
        let mut count = 0;
        while let Some(value) = self.uint() {
            if let Some(slot) = out.get_mut(count) {
                *slot = value?;
            } else {
                value?;
            }
            count += 1;
        }
        Ok((out, count))
    }

    /// What follows the fields read so far, without surrounding whitespace.
    pub(crate) fn rest(&self) -> &'a str {
        self.text[self.at..].trim_ascii()
    }

    /// The next field as a number: `None` past the last field, the field
    /// itself when it is not a run of digits that fits in `u64`.
    pub(crate) fn uint(&mut self) -> Option<Result<u64, &'a str>> {
        let bytes = self.text.as_bytes();
        let start = self.skip_space();
        if start == bytes.len() {
            return None;
        }
        let mut value: u64 = 0;
        while self.at < bytes.len() {
            let digit = bytes[self.at].wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
            self.at += 1;
        }
        // 19 digits cannot overflow; longer ones, and anything that is not
        // digits, take the checked path.
        let clean = self.at == bytes.len() || is_space(bytes[self.at]);
        if clean && self.at > start && self.at - start <= 19 {
            return Some(Ok(value));
        }
        self.at = start;
        let field = self.word()?;
        Some(uint(field).ok_or(field))
    }
}

/// A run of ASCII digits as a number; `None` for anything else, or one too
/// large for `u64`.
pub(crate) fn uint(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(value)
}

/// A decimal like `0.42` or `12345.67`, correctly rounded; anything else
/// `str::parse` accepts goes through it.
pub(crate) fn decimal(text: &str) -> Option<f64> {
    // Up to 15 digits, mantissa and power of ten are exact in f64, so one
    // correctly rounded division gives the nearest double, as parse would.
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if !whole.is_empty() && whole.len() + fraction.len() <= 15 {
        let mantissa = uint(whole).and_then(|w| match fraction {
            "" => Some(w),
            f => Some(w * 10u64.pow(f.len() as u32) + uint(f)?),
        });
        if let Some(m) = mantissa {
            return Some(m as f64 / 10f64.powi(fraction.len() as i32));
        }
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_count_past_the_array() {
        assert_eq!(fields::<2>("  a \t b c\n"), (["a", "b"], 3));
        assert_eq!(fields::<3>(""), (["", "", ""], 0));
    }

    #[test]
    fn fields_read_numbers_as_uint_does() {
        let text = " 0 18446744073709551615\t18446744073709551616 12a -1 0012 \r\n";
        let mut f = Fields::new(text);
        let mut read = Vec::new();
        while let Some(x) = f.uint() {
            read.push(x);
        }
        let expected: Vec<_> = text
            .split_ascii_whitespace()
            .map(|w| uint(w).ok_or(w))
            .collect();
        assert_eq!(read, expected);
        assert_eq!(expected.len(), 6);
    }

    #[test]
    fn uint_refuses_what_is_not_digits() {
        assert_eq!(uint("18446744073709551615"), Some(u64::MAX));
        for bad in ["", "18446744073709551616", "-1", "1.0", " 1", "1a"] {
            assert_eq!(uint(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn decimal_matches_std_parse() {
        let cases = [
            "0.00",
            "0.42",
            "12345.67",
            "7",
            "0.1",
            "0.3",
            "99999999999999.9",
            "1.7976931348623157",
            "123456789.123456789",
            "1e3",
            ".5",
            "-2.5",
            "nan",
        ];
        for text in cases {
            assert_eq!(
                decimal(text).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{text}"
            );
        }
        for bad in ["", "x", "1.2.3", "1."] {
            assert_eq!(decimal(bad), bad.parse().ok(), "{bad:?}");
        }
    }

    #[test]
    fn decimal_agrees_with_std_on_many_short_values() {
        // Every value with up to 5 digits and 0 to 3 decimals, the shapes
        // /proc/loadavg and /proc/uptime print.
        for n in (0..100_000u64).step_by(7) {
            for places in 0..4 {
                let text = if places == 0 {
                    n.to_string()
                } else {
                    let s = format!("{n:0>width$}", width = places + 1);
                    let (w, f) = s.split_at(s.len() - places);
                    format!("{w}.{f}")
                };
                assert_eq!(decimal(&text), text.parse().ok(), "{text}");
            }
        }
    }
}
