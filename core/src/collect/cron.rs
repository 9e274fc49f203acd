//! Cron expressions in a time zone ([`CronSchedule`], on croner): when a
//! scheduled job fires next, across daylight-saving changes.

use std::str::FromStr;
use std::time::SystemTime;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use crate::error::{Error, Result};

/// A cron expression evaluated in a time zone.
///
/// - Five fields (`minute hour day-of-month month day-of-week`), six with
///   seconds **first**, seven with a year last; names (`MON`, `JAN`), lists,
///   ranges, steps; `L` (last day of the month), `15W` (nearest weekday),
///   `5#2` (second Friday), `5#L` or `L5` (last Friday); a `+` before the
///   day of week requires both days to match (else either does, as in cron).
/// - Macros: `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/
///   `@midnight`, `@hourly`.
/// - Daylight saving: a time that a spring-forward gap skips fires at the
///   first minute after the gap; a time that a fall-back hour repeats fires
///   once, at its first occurrence (as cronie does).
///
/// ```
/// use infrarag::collect::CronSchedule;
/// let s = CronSchedule::parse("30 2 * * *", "America/New_York").unwrap();
/// // 2026-03-08 02:30 does not exist in New York: it fires at 03:00 EDT.
/// let start = infrarag::collect::CronSchedule::instant("2026-03-08T00:00:00-05:00").unwrap();
/// let next = s.next_after(start).unwrap();
/// assert_eq!(s.local(next), "2026-03-08T03:00:00-04:00");
/// ```
#[derive(Debug, Clone)]
pub struct CronSchedule {
    expression: String,
    cron: Cron,
    tz: Tz,
}

impl CronSchedule {
    /// Parses `expression` for the IANA time zone `tz` (`UTC`,
    /// `Europe/Berlin`). An invalid one is an `InvalidArgument` that says
    /// what is wrong.
    pub fn parse(expression: &str, tz: &str) -> Result<CronSchedule> {
        let invalid = |message: String| Error::InvalidArgument {
            name: "cron".into(),
            message: format!("`{expression}`: {message}"),
        };
        let zone = Tz::from_str(tz).map_err(|_| Error::InvalidArgument {
            name: "tz".into(),
            message: format!("`{tz}` is not an IANA time zone name"),
        })?;
        let pattern = normalise(expression).map_err(invalid)?;
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Optional)
            .build()
            .parse(&pattern)
            .map_err(|e| invalid(e.to_string()))?;
        Ok(CronSchedule {
            expression: expression.to_string(),
            cron,
            tz: zone,
        })
    }

    /// The expression as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The time zone's name.
    pub fn time_zone(&self) -> &str {
        self.tz.name()
    }

    /// The first fire time strictly after `after`; an error when the
    /// expression never fires again (`0 0 30 2 *`).
    pub fn next_after(&self, after: SystemTime) -> Result<SystemTime> {
        let local = self
            .tz
            .from_utc_datetime(&DateTime::<Utc>::from(after).naive_utc());
        self.cron
            .find_next_occurrence(&local, false)
            .map(SystemTime::from)
            .map_err(|e| Error::InvalidArgument {
                name: "cron".into(),
                message: format!(
                    "`{}` never fires after {}: {e}",
                    self.expression,
                    local.to_rfc3339()
                ),
            })
    }

    /// The next `n` fire times after `after`.
    pub fn upcoming(&self, after: SystemTime, n: usize) -> Result<Vec<SystemTime>> {
        let mut out = Vec::with_capacity(n);
        let mut at = after;
        for _ in 0..n {
            at = self.next_after(at)?;
            out.push(at);
        }
        Ok(out)
    }

    /// `t` in this schedule's time zone, as ISO 8601 with its UTC offset.
    pub fn local(&self, t: SystemTime) -> String {
        DateTime::<Utc>::from(t)
            .with_timezone(&self.tz)
            .to_rfc3339()
    }

    /// An ISO 8601 time with an offset (`2026-03-08T00:00:00-05:00`) as an
    /// instant.
    pub fn instant(text: &str) -> Result<SystemTime> {
        DateTime::parse_from_rfc3339(text)
            .map(SystemTime::from)
            .map_err(|e| Error::InvalidArgument {
                name: "time".into(),
                message: format!("`{text}` is not an ISO 8601 time with an offset: {e}"),
            })
    }
}

/// The expression croner reads: `@midnight` as `@daily`, `L5` (croniter's
/// last Friday) as `5#L`; an empty list item is refused, which croner
/// would let through.
fn normalise(expression: &str) -> std::result::Result<String, String> {
    let trimmed = expression.trim();
    if trimmed.eq_ignore_ascii_case("@midnight") {
        return Ok("@daily".into());
    }
    let mut fields: Vec<String> = trimmed.split_whitespace().map(String::from).collect();
    if fields.iter().any(|f| f.split(',').any(str::is_empty)) {
        return Err("a list has an empty item".into());
    }
    if trimmed.starts_with('@') {
        return Ok(trimmed.to_string());
    }
    let dow = match fields.len() {
        5 => 4,
        6 | 7 => 5,
        n => {
            return Err(format!(
                "has {n} fields; five, six (seconds first) or seven (and a year) are read"
            ))
        }
    };
    fields[dow] = fields[dow]
        .split(',')
        .map(|item| match item.strip_prefix(['L', 'l']) {
            Some(day) if !day.is_empty() && day.chars().all(|c| c.is_ascii_digit()) => {
                format!("{day}#L")
            }
            _ => item.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",");
    Ok(fields.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        CronSchedule::instant(text).unwrap()
    }

    #[test]
    fn spring_forward_fires_after_the_gap_and_fall_back_fires_once() {
        let s = CronSchedule::parse("30 1 * * *", "America/New_York").unwrap();
        let fires: Vec<String> = s
            .upcoming(at("2026-10-31T00:00:00-04:00"), 3)
            .unwrap()
            .into_iter()
            .map(|t| s.local(t))
            .collect();
        assert_eq!(
            fires,
            [
                "2026-10-31T01:30:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-02T01:30:00-05:00"
            ]
        );
    }

    #[test]
    fn croniter_spellings_are_read_and_bad_ones_refused() {
        let s = CronSchedule::parse("0 0 * * L5", "UTC").unwrap();
        assert_eq!(
            s.local(s.next_after(at("2026-01-01T00:00:00Z")).unwrap()),
            "2026-01-30T00:00:00+00:00"
        );
        let s = CronSchedule::parse("@midnight", "UTC").unwrap();
        assert_eq!(
            s.local(s.next_after(at("2026-01-01T00:00:00Z")).unwrap()),
            "2026-01-02T00:00:00+00:00"
        );
        for bad in ["1,,2 * * * *", "* * * *", "61 * * * *", "@fortnightly"] {
            let e = CronSchedule::parse(bad, "UTC").unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
        assert!(CronSchedule::parse("* * * * *", "Mars/Olympus").is_err());
        let never = CronSchedule::parse("0 0 30 2 *", "UTC").unwrap();
        assert!(never
            .next_after(at("2026-01-01T00:00:00Z"))
            .unwrap_err()
            .to_string()
            .contains("never fires"));
    }
}
