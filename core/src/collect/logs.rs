//! The `logs` method: journal entries from `journalctl -o json` (by unit,
//! identifier, priority; after a cursor, returning the next one) and
//! container lines from `docker logs --timestamps`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::{parsed, record, require_success, Collector, Command, Parsed, Problem, Record, Runner};

/// Arguments of a collection (`logs`: `unit`, `cursor`, ...), by name.
pub type Args = BTreeMap<String, String>;

/// One log entry, from the journal or a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEntry {
    /// `journal` or `docker`.
    pub source: String,
    /// When it was logged, RFC 3339 UTC (microseconds for the journal,
    /// as docker gives for containers).
    pub time: String,
    /// The same instant, microseconds since the epoch.
    pub time_us: i64,
    /// syslog priority, 0 (emerg) to 7 (debug); the journal only.
    pub priority: Option<u8>,
    /// The systemd unit (`_SYSTEMD_UNIT`), when the journal knows it.
    pub unit: Option<String>,
    /// The syslog identifier (`SYSLOG_IDENTIFIER`), or the container.
    pub identifier: Option<String>,
    /// The process id.
    pub pid: Option<u32>,
    /// `stdout` or `stderr` for a container; the journal's transport.
    pub stream: Option<String>,
    /// The message; bytes that are not UTF-8 are replaced (U+FFFD).
    pub message: String,
    /// The journal's cursor of this entry.
    pub cursor: Option<String>,
}

/// Where the next poll starts: the journal's cursor after the last entry
/// read, or a container's last timestamp (for `since`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogCursor {
    /// `journal` or `docker`.
    pub source: String,
    /// Pass it back as the `cursor` argument.
    pub cursor: Option<String>,
}

/// Entries of `journalctl -o json` output, one JSON object a line; a last
/// line cut short by the output limit is left for the next poll.
pub fn parse_journal(text: &str, truncated: bool) -> Parsed<Vec<LogEntry>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Map<String, Value> = match serde_json::from_str(line) {
            Ok(fields) => fields,
            Err(_) if truncated && i + 1 == lines.len() => break,
            Err(e) => return Err((i + 1, format!("not a journal entry: {e}"))),
        };
        let text_of = |name: &str| fields.get(name).map(field_text);
        let micros = text_of("__REALTIME_TIMESTAMP")
            .ok_or_else(|| (i + 1, "no __REALTIME_TIMESTAMP".to_string()))?
            .parse::<i64>()
            .map_err(|_| (i + 1, "__REALTIME_TIMESTAMP is not a number".to_string()))?;
        out.push(LogEntry {
            source: "journal".into(),
            time: micros_rfc3339(micros),
            time_us: micros,
            priority: text_of("PRIORITY").and_then(|p| p.parse().ok()),
            unit: text_of("_SYSTEMD_UNIT"),
            identifier: text_of("SYSLOG_IDENTIFIER"),
            pid: text_of("_PID").and_then(|p| p.parse().ok()),
            stream: text_of("_TRANSPORT"),
            message: text_of("MESSAGE").unwrap_or_default(),
            cursor: text_of("__CURSOR"),
        });
    }
    Ok(out)
}

/// A journal field's text: a string, or (for data that is not UTF-8) an
/// array of byte values, decoded with replacement.
fn field_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(bytes) => {
            let bytes: Vec<u8> = bytes
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        other => other.to_string(),
    }
}

/// Lines of `docker logs --timestamps` from one stream: an RFC 3339 time
/// with nanoseconds, a space, the line.
pub fn parse_docker_logs(text: &str, container: &str, stream: &str) -> Parsed<Vec<LogEntry>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let (stamp, message) = line.split_once(' ').unwrap_or((line, ""));
        let micros = rfc3339_micros(stamp)
            .ok_or_else(|| (i + 1, format!("`{stamp}` is not a timestamp")))?;
        out.push(LogEntry {
            source: "docker".into(),
            time: stamp.to_string(),
            time_us: micros,
            priority: None,
            unit: None,
            identifier: Some(container.to_string()),
            pid: None,
            stream: Some(stream.to_string()),
            message: message.to_string(),
            cursor: None,
        });
    }
    Ok(out)
}

fn micros_rfc3339(micros: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        .unwrap_or_default()
}

fn rfc3339_micros(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_micros())
}

/// The `logs` method. Arguments:
///
/// - `source`: `journal` (default) or `docker`;
/// - journal: `unit` (`-u`), `identifier` (`-t`), `priority` (`0`-`7` or
///   a name: that priority and more urgent), and `cursor` (entries after
///   it, as many as the output limit holds) or else `lines` (the last N,
///   default 100) and `since` (`journalctl --since`);
/// - docker: `container` (required), `lines` (`--tail`, default 100),
///   `since` (`--since`; the cursor a docker poll returns).
///
/// Records: `log_entry` ([`LogEntry`]) oldest first, then one
/// `log_cursor` ([`LogCursor`]) to pass back as `cursor` next time.
#[derive(Debug, Clone, Default)]
pub struct Logs;

/// The arguments [`Logs`] reads.
pub const LOG_ARGS: &[&str] = &[
    "source",
    "unit",
    "identifier",
    "priority",
    "cursor",
    "lines",
    "since",
    "container",
];

const PRIORITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// An argument that does not suit: refused by [`Collector::check`] before
/// anything runs, through the same code the run would take.
fn bad(argument: &str, message: String) -> Problem {
    Problem::Command {
        command: "logs".into(),
        status: None,
        stderr: format!("`{argument}`: {message}"),
    }
}

impl Logs {
    fn journal(
        &self,
        args: &Args,
        run: &mut Runner<'_>,
    ) -> std::result::Result<Vec<Record>, Problem> {
        let mut argv: Vec<String> = ["journalctl", "-o", "json", "--no-pager"]
            .map(String::from)
            .to_vec();
        if let Some(unit) = args.get("unit") {
            argv.extend(["-u".into(), unit.clone()]);
        }
        if let Some(id) = args.get("identifier") {
            argv.extend(["-t".into(), id.clone()]);
        }
        if let Some(p) = args.get("priority") {
            let level = p
                .parse::<u8>()
                .ok()
                .filter(|n| *n < 8)
                .or_else(|| {
                    PRIORITIES
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(p))
                        .map(|n| n as u8)
                })
                .ok_or_else(|| {
                    bad(
                        "priority",
                        format!("`{p}` is not 0-7 or one of {}", PRIORITIES.join(", ")),
                    )
                })?;
            argv.extend(["-p".into(), format!("0..{level}")]);
        }
        match args.get("cursor") {
            Some(cursor) => argv.push(format!("--after-cursor={cursor}")),
            None => {
                argv.extend(["-n".into(), lines(args)?.to_string()]);
                if let Some(since) = args.get("since") {
                    argv.push(format!("--since={since}"));
                }
            }
        }
        let command = Command::new(argv);
        let output = run(&command)?;
        require_success(&command, &output)?;
        let entries = parsed(&command, parse_journal(&output.text(), output.truncated))?;
        let cursor = entries
            .iter()
            .rev()
            .find_map(|e| e.cursor.clone())
            .or_else(|| args.get("cursor").cloned());
        let mut records: Vec<Record> = entries.iter().map(|e| record("log_entry", e)).collect();
        records.push(record(
            "log_cursor",
            &LogCursor {
                source: "journal".into(),
                cursor,
            },
        ));
        Ok(records)
    }

    fn docker(
        &self,
        args: &Args,
        run: &mut Runner<'_>,
    ) -> std::result::Result<Vec<Record>, Problem> {
        let container = args
            .get("container")
            .ok_or_else(|| bad("container", "docker logs needs a `container`".into()))?;
        let mut argv: Vec<String> = vec!["docker".into(), "logs".into(), "--timestamps".into()];
        argv.extend(["--tail".into(), lines(args)?.to_string()]);
        if let Some(since) = args.get("cursor").or_else(|| args.get("since")) {
            argv.extend(["--since".into(), since.clone()]);
        }
        argv.push(container.clone());
        let command = Command::new(argv);
        let output = run(&command)?;
        require_success(&command, &output)?;
        let mut entries = parsed(
            &command,
            parse_docker_logs(&output.text(), container, "stdout"),
        )?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        entries.extend(parsed(
            &command,
            parse_docker_logs(&stderr, container, "stderr"),
        )?);
        entries.sort_by_key(|e| e.time_us);
        // `--since` includes its own instant; a poll from a cursor skips
        // the entries at it, which the last poll returned.
        if let Some(since) = args.get("cursor").and_then(|c| rfc3339_micros(c)) {
            entries.retain(|e| e.time_us > since);
        }
        let cursor = entries
            .last()
            .map(|e| e.time.clone())
            .or_else(|| args.get("cursor").cloned());
        let mut records: Vec<Record> = entries.iter().map(|e| record("log_entry", e)).collect();
        records.push(record(
            "log_cursor",
            &LogCursor {
                source: "docker".into(),
                cursor,
            },
        ));
        Ok(records)
    }
}

fn lines(args: &Args) -> std::result::Result<u32, Problem> {
    match args.get("lines") {
        None => Ok(100),
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| bad("lines", format!("`{n}` is not a positive number of lines"))),
    }
}

impl Collector for Logs {
    fn name(&self) -> &str {
        "logs"
    }

    fn parameters(&self) -> &[&str] {
        LOG_ARGS
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        self.collect_with(&Args::new(), run)
    }

    fn check(&self, args: &Args) -> std::result::Result<(), String> {
        if let Some(k) = args.keys().find(|k| !LOG_ARGS.contains(&k.as_str())) {
            return Err(format!("`{k}` is not one of {}", LOG_ARGS.join(", ")));
        }
        let mut nothing = |_: &Command| -> std::result::Result<super::Output, Problem> {
            Err(Problem::Transport(String::new()))
        };
        // The same checks the run makes, before anything runs.
        match self.collect_with(args, &mut nothing) {
            Err(Problem::Command {
                stderr,
                status: None,
                ..
            }) => Err(stderr),
            _ => Ok(()),
        }
    }

    fn collect_with(
        &self,
        args: &Args,
        run: &mut Runner<'_>,
    ) -> std::result::Result<Vec<Record>, Problem> {
        match args.get("source").map(String::as_str) {
            None | Some("journal") => self.journal(args, run),
            Some("docker") => self.docker(args, run),
            Some(other) => Err(bad(
                "source",
                format!("`{other}` is not `journal` or `docker`"),
            )),
        }
    }
}
