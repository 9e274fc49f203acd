//! Date and time functions: `formatdate`, `timeadd` and `timecmp` over
//! RFC 3339 timestamps, with Terraform's (Go's) parsing rules and messages.
//! `timestamp()` itself is unknown until apply and lives with the other
//! machine-dependent functions.

use super::super::value::Value;
use super::{def, Def, Fail};

pub(super) static DEFS: &[Def] = &[
    def!("formatdate", ["format": Str, "time": Str], |a| {
        let t = Timestamp::parse(a.str(1)).map_err(|e| Fail::Arg(1, e))?;
        format_date(a.str(0), &t).map(Value::string).map_err(|e| Fail::Arg(0, e))
    }),
    def!("timeadd", ["timestamp": Str, "duration": Str], |a| {
        let t = Timestamp::parse(a.str(0)).map_err(Fail::Call)?;
        let d = parse_duration(a.str(1)).map_err(Fail::Call)?;
        Ok(Value::string(t.add_nanos(d).rfc3339()))
    }),
    def!("timecmp", ["timestamp_a": Str, "timestamp_b": Str], |a| {
        let x = Timestamp::parse_lenient(a.str(0)).map_err(|e| Fail::Arg(0, e))?;
        let y = Timestamp::parse_lenient(a.str(1)).map_err(|e| Fail::Arg(1, e))?;
        Ok(Value::int(x.instant().cmp(&y.instant()) as i64))
    }),
];

const NANOS: i128 = 1_000_000_000;

/// An instant and the UTC offset it was written with, which Terraform keeps
/// when it formats the result.
struct Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    nanos: i128,
    /// Seconds east of UTC.
    offset: i64,
}

/// A civil date and time at some offset.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    weekday: usize,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl Timestamp {
    /// Parses a strict RFC 3339 timestamp as `formatdate` and `timeadd`
    /// do; the error is Terraform's wording.
    fn parse(s: &str) -> Result<Timestamp, String> {
        let t = Timestamp::parse_lenient(s)?;
        match strict_problem(s, &t) {
            Some(why) => Err(format!("not a valid RFC3339 timestamp: {why}")),
            None => Ok(t),
        }
    }

    /// Parses as `timecmp` does, with Go's more forgiving layout parser.
    fn parse_lenient(s: &str) -> Result<Timestamp, String> {
        go_parse(s).map_err(|why| format!("not a valid RFC3339 timestamp: {why}"))
    }

    fn instant(&self) -> i128 {
        self.nanos
    }

    fn add_nanos(&self, d: i64) -> Timestamp {
        Timestamp {
            nanos: self.nanos + d as i128,
            offset: self.offset,
        }
    }

    fn civil(&self) -> Civil {
        use chrono::{Datelike as _, Timelike as _};
        let local = self.nanos.div_euclid(NANOS) as i64 + self.offset;
        // Within chrono's range: a four-digit year moved by at most Go's
        // longest duration (292 years).
        let t = chrono::DateTime::from_timestamp(local, 0)
            .unwrap_or_default()
            .naive_utc();
        Civil {
            year: i64::from(t.year()),
            month: t.month(),
            day: t.day(),
            hour: t.hour(),
            minute: t.minute(),
            second: t.second(),
            weekday: t.weekday().num_days_from_sunday() as usize,
        }
    }

    /// Go's `-0700` and `-07:00` forms of the offset.
    fn offset_text(&self, colon: bool) -> String {
        let sign = if self.offset < 0 { '-' } else { '+' };
        let m = self.offset.abs() / 60;
        let sep = if colon { ":" } else { "" };
        format!("{sign}{:02}{sep}{:02}", m / 60, m % 60)
    }

    /// Go's `time.RFC3339` layout: whole seconds, `Z` for UTC.
    fn rfc3339(&self) -> String {
        let c = self.civil();
        let zone = if self.offset == 0 {
            "Z".to_string()
        } else {
            self.offset_text(true)
        };
        format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
            go_year(c.year),
            c.month,
            c.day,
            c.hour,
            c.minute,
            c.second
        )
    }
}

/// Go writes years with at least four digits, the sign before the padding.
fn go_year(y: i64) -> String {
    if y < 0 {
        format!("-{:03}", -y)
    } else {
        format!("{y:04}")
    }
}

/// Days since 1970-01-01 of a valid date, or `None` when the day is not
/// in that month.
fn epoch_days(year: i64, month: u32, day: u32) -> Option<i64> {
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    Some(
        date.signed_duration_since(chrono::NaiveDate::default())
            .num_days(),
    )
}

/// Go's `time.Parse` with the RFC 3339 layout, which `timecmp` uses as it
/// is: one-digit hours, `,` before a fraction and offsets up to `+24:60`
/// pass. Errors name the first field that fails, in Terraform's words.
fn go_parse(s: &str) -> Result<Timestamp, String> {
    let cannot = |v: &str, what: &str| {
        if v.is_empty() {
            format!("end of string before {what}")
        } else {
            format!("cannot use {v:?} as {what}")
        }
    };
    let literal = |v: &str, lit: &str| {
        if v.is_empty() {
            format!("end of string where {lit:?} is expected")
        } else {
            format!("found {v:?} where {lit:?} is expected")
        }
    };
    // One or two digits (exactly two when `fixed`), and how many.
    let getnum = |v: &str, fixed: bool| -> Option<(u32, usize)> {
        let b = v.as_bytes();
        let digit = |i: usize| {
            b.get(i)
                .filter(|c| c.is_ascii_digit())
                .map(|c| u32::from(c - b'0'))
        };
        let first = digit(0)?;
        match digit(1) {
            Some(second) => Some((first * 10 + second, 2)),
            None if fixed => None,
            None => Some((first, 1)),
        }
    };
    let mut v = s;
    let Some(year) = v.get(..4).filter(|p| p.bytes().all(|c| c.is_ascii_digit())) else {
        return Err(cannot(v, "year"));
    };
    let year: i64 = year.parse().unwrap_or(0);
    v = &v[4..];
    let mut date = [0u32; 2];
    for (i, what, max) in [(0, "month", 12), (1, "day of month", 31)] {
        let Some(rest) = v.strip_prefix('-') else {
            return Err(literal(v, "-"));
        };
        v = rest;
        let Some((n, used)) = getnum(v, true) else {
            return Err(cannot(v, what));
        };
        v = &v[used..];
        if (i == 0 && n == 0) || n > max {
            return Err(cannot(v, what));
        }
        date[i] = n;
    }
    let Some(rest) = v.strip_prefix('T') else {
        return Err("missing required time introducer 'T'".into());
    };
    v = rest;
    let hour_error = |v: &str| {
        if v.is_empty() {
            "end of string before hour".to_string()
        } else if v.contains(':') {
            "hour must be between 0 and 23 inclusive".into()
        } else if v.len() != 2 {
            "hour must have exactly two digits".into()
        } else {
            cannot(v, "hour")
        }
    };
    let Some((hour, used)) = getnum(v, false) else {
        return Err(hour_error(v));
    };
    v = &v[used..];
    if hour >= 24 {
        return Err(hour_error(v));
    }
    let mut clock = [hour, 0, 0];
    for (i, what) in [(1, "minute"), (2, "second")] {
        let Some(rest) = v.strip_prefix(':') else {
            return Err(literal(v, ":"));
        };
        v = rest;
        let bad = |v: &str| {
            if what == "minute" && !v.is_empty() && v.len() != 2 {
                "minute must have exactly two digits".to_string()
            } else {
                cannot(v, what)
            }
        };
        let Some((n, used)) = getnum(v, true) else {
            return Err(bad(v));
        };
        v = &v[used..];
        if n >= 60 {
            return Err(bad(v));
        }
        clock[i] = n;
    }
    let mut frac = 0i128;
    let b = v.as_bytes();
    if b.len() >= 2 && matches!(b[0], b'.' | b',') && b[1].is_ascii_digit() {
        let n = 1 + b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        // Go keeps the first nine digits.
        frac = (0..9).fold(0i128, |acc, i| {
            acc * 10 + b[1..n].get(i).map_or(0, |c| i128::from(c - b'0'))
        });
        v = &v[n..];
    }
    let offset = if let Some(rest) = v.strip_prefix('Z') {
        v = rest;
        0
    } else {
        let b = v.as_bytes();
        let ok = b.len() >= 6
            && b[3] == b':'
            && matches!(b[0], b'+' | b'-')
            && b[1..3].iter().chain(&b[4..6]).all(u8::is_ascii_digit);
        if !ok {
            return Err(cannot(v, "UTC offset"));
        }
        let two = |i: usize| i64::from(b[i] - b'0') * 10 + i64::from(b[i + 1] - b'0');
        let (h, m) = (two(1), two(4));
        v = &v[6..];
        if h > 24 || m > 60 {
            return Err(cannot(v, "UTC offset"));
        }
        let secs = (h * 60 + m) * 60;
        if b[0] == b'-' {
            -secs
        } else {
            secs
        }
    };
    if !v.is_empty() {
        return Err(cannot(v, "timestamp segment"));
    }
    let Some(days) = epoch_days(year, date[0], date[1]) else {
        return Err("day out of range".into());
    };
    let [hour, minute, second] = clock.map(i64::from);
    let local = days * 86_400 + hour * 3600 + minute * 60 + second;
    Ok(Timestamp {
        nanos: i128::from(local - offset) * NANOS + frac,
        offset,
    })
}

/// What RFC 3339 forbids that Go's layout parser lets through, which
/// `formatdate` and `timeadd` reject.
fn strict_problem(s: &str, t: &Timestamp) -> Option<String> {
    let b = s.as_bytes();
    if b.get(12) == Some(&b':') {
        return Some("hour must have exactly two digits".into());
    }
    if b.get(19) == Some(&b',') {
        return Some("cannot use \",\" as timestamp segment".into());
    }
    let tz = t.offset.abs() / 60;
    if !s.ends_with('Z') && (tz / 60 >= 24 || tz % 60 >= 60) {
        return Some(format!("cannot use {:?} as UTC offset", &s[s.len() - 6..]));
    }
    None
}

/// Go's `time.ParseDuration`, in nanoseconds, with its error messages.
fn parse_duration(orig: &str) -> Result<i64, String> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let (neg, mut s) = match orig.as_bytes().first() {
        Some(b'-') => (true, &orig[1..]),
        Some(b'+') => (false, &orig[1..]),
        _ => (false, orig),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut v: u64 = 0;
        for &c in &b[..int_len] {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(c - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
        }
        s = &s[int_len..];
        let (mut f, mut scale, mut frac_len) = (0u64, 1f64, None);
        if let Some(rest) = s.strip_prefix('.') {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for c in rest[..digits].bytes() {
                if overflow || f > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let y = f * 10 + u64::from(c - b'0');
                if y > LIMIT {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10.0;
            }
            frac_len = Some(digits);
            s = &rest[digits..];
        }
        if int_len == 0 && frac_len.is_none_or(|n| n == 0) {
            return Err(invalid());
        }
        let unit_len = s
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let name = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u64 = match name {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_quote(name),
                    go_quote(orig)
                ))
            }
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        total += v;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// The `time` package's own quoting: non-ASCII and control bytes as `\x`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) < 0x20 || !c.is_ascii() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// `formatdate`'s format language: runs of one letter are verbs, `'...'`
/// is literal text with `''` for a quote, anything else is copied.
fn format_date(format: &str, t: &Timestamp) -> Result<String, String> {
    let c = t.civil();
    let mut out = String::new();
    for tok in date_tokens(format) {
        let b = tok.as_bytes();
        if b[0] == b'\'' {
            if b.len() == 1 || b[b.len() - 1] != b'\'' {
                return Err("unterminated literal '".into());
            }
            if b.len() == 2 {
                out.push('\'');
            } else {
                out.push_str(&tok[1..tok.len() - 1].replace("''", "'"));
            }
            continue;
        }
        if !b[0].is_ascii_alphabetic() {
            out.push_str(tok);
            continue;
        }
        let n = b.len();
        let bad = |why: &str| Err(format!("invalid date format verb {tok:?}: {why}"));
        let hour12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
        match (b[0], n) {
            (b'Y', 2) => out.push_str(&format!("{:02}", c.year % 100)),
            (b'Y', 4) => out.push_str(&format!("{:04}", c.year)),
            (b'Y', _) => return bad("year must either be \"YY\" or \"YYYY\""),
            (b'M', 1) => out.push_str(&c.month.to_string()),
            (b'M', 2) => out.push_str(&format!("{:02}", c.month)),
            (b'M', 3) => out.push_str(&MONTHS[c.month as usize - 1][..3]),
            (b'M', 4) => out.push_str(MONTHS[c.month as usize - 1]),
            (b'M', _) => return bad("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\""),
            (b'D', 1) => out.push_str(&c.day.to_string()),
            (b'D', 2) => out.push_str(&format!("{:02}", c.day)),
            (b'D', _) => return bad("day of month must either be \"D\" or \"DD\""),
            (b'E', 3) => out.push_str(&WEEKDAYS[c.weekday][..3]),
            (b'E', 4) => out.push_str(WEEKDAYS[c.weekday]),
            (b'E', _) => return bad("day of week must either be \"EEE\" or \"EEEE\""),
            (b'h', 1) => out.push_str(&c.hour.to_string()),
            (b'h', 2) => out.push_str(&format!("{:02}", c.hour)),
            (b'h', _) => return bad("24-hour must either be \"h\" or \"hh\""),
            (b'H', 1) => out.push_str(&hour12.to_string()),
            (b'H', 2) => out.push_str(&format!("{hour12:02}")),
            (b'H', _) => return bad("12-hour must either be \"H\" or \"HH\""),
            (b'A' | b'a', 2) => {
                let pm = c.hour >= 12;
                out.push_str(match (tok == "AA", pm) {
                    (true, false) => "AM",
                    (true, true) => "PM",
                    (false, false) => "am",
                    (false, true) => "pm",
                })
            }
            (b'A' | b'a', _) => return bad("must be \"AA\" or \"aa\""),
            (b'm', 1) => out.push_str(&c.minute.to_string()),
            (b'm', 2) => out.push_str(&format!("{:02}", c.minute)),
            (b'm', _) => return bad("minute must either be \"m\" or \"mm\""),
            (b's', 1) => out.push_str(&c.second.to_string()),
            (b's', 2) => out.push_str(&format!("{:02}", c.second)),
            (b's', _) => return bad("second must either be \"s\" or \"ss\""),
            (b'Z', 1) if t.offset == 0 => out.push('Z'),
            (b'Z', 1) | (b'Z', 5) => out.push_str(&t.offset_text(true)),
            (b'Z', 3) if t.offset == 0 => out.push_str("UTC"),
            (b'Z', 3) | (b'Z', 4) => out.push_str(&t.offset_text(false)),
            (b'Z', _) => return bad("timezone must be Z, ZZZZ, or ZZZZZ"),
            _ => return Err(format!("invalid date format verb {tok:?}")),
        }
    }
    Ok(out)
}

/// Splits a `formatdate` format into verbs, quoted literals and runs of
/// other text, as Terraform's scanner does.
fn date_tokens(format: &str) -> Vec<&str> {
    let b = format.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i] == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
            } else {
                i += 1;
                loop {
                    match (b.get(i), b.get(i + 1)) {
                        (None, _) => break,
                        (Some(b'\''), Some(b'\'')) => i += 2,
                        (Some(b'\''), _) => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
        } else if b[i].is_ascii_alphabetic() {
            while i < b.len() && b[i] == b[start] {
                i += 1;
            }
        } else {
            i += 1;
            while i < b.len() && b[i] != b'\'' && !b[i].is_ascii_alphabetic() {
                i += 1;
            }
        }
        out.push(&format[start..i]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_from_the_epoch() {
        assert_eq!(epoch_days(1970, 1, 1), Some(0));
        assert_eq!(epoch_days(2000, 3, 1), Some(11_017));
        assert_eq!(epoch_days(2000, 2, 29), Some(11_016));
        assert_eq!(epoch_days(1900, 2, 29), None);
        assert_eq!(epoch_days(0, 1, 1), Some(-719_528));
    }

    #[test]
    fn quoted_literals_keep_doubled_quotes_as_one() {
        let t = Timestamp::parse("2018-01-02T03:04:05Z").unwrap();
        assert_eq!(format_date("'it''s' hh''mm", &t).unwrap(), "it's 03'04");
    }
}
