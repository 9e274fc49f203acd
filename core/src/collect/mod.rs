//! Live state from machines: [`Collector`]s (what a method runs and how its
//! output becomes typed records) over a [`Transport`], served with a cache,
//! limits, retries and an audit trail by a [`CollectionService`].

mod containers;
mod cron;
mod drives;
mod file;
#[cfg(feature = "ssh")]
mod hosts;
mod logs;
mod ports;
mod proxy;
mod scan;
mod schedule;
mod service;
#[cfg(feature = "ssh")]
mod ssh;
#[cfg(feature = "ssh")]
mod ssh_config;
mod store;
mod system;
mod transport;
mod zfs;

use serde::Serialize;
use serde_json::Value;

pub use crate::error::{CollectError, Problem};
pub use containers::{
    add_docker_stats, parse_docker_inspect, parse_size, Container, ContainerPort, Containers,
};
pub use cron::CronSchedule;
pub use drives::{parse_smartctl, parse_smartctl_scan, Drive, Drives, SmartAttribute, SmartStatus};
pub use file::FileRecordStore;
#[cfg(feature = "ssh")]
pub use hosts::{ssh_config, HostSpec, SshOptions};
pub use logs::{parse_docker_logs, parse_journal, Args, LogCursor, LogEntry, Logs, LOG_ARGS};
pub use ports::{parse_ss, Ports, Socket, SocketProcess};
pub use proxy::{parse_nginx, proxy_site, Directive, Proxy, ProxySite, Upstream};
pub use schedule::{
    Action, Clock, ManualClock, Run, RunOutcome, Scheduler, Shutdown, SystemClock, Trigger,
    HISTORY, WORKERS,
};
pub use service::{Caller, Collection, CollectionService, CollectionServiceBuilder};
#[cfg(feature = "ssh")]
pub use ssh::{fingerprint, parse_public_key, HostKeys, Ssh, SshHost};
#[cfg(feature = "ssh")]
pub use ssh_config::SshConfig;
pub use store::{
    record_store_at, AuditEntry, MemoryRecordStore, Outcome, RecordQuery, RecordStore, StoredRecord,
};
pub use system::{
    cpu_usage, parse_df, parse_diskstats, parse_loadavg, parse_meminfo, parse_net_dev,
    parse_proc_stat, parse_uptime, CpuTimes, CpuUsage, DiskIo, Filesystem, Load, Memory,
    MemoryFields, NetIo, System, Uptime,
};
pub use transport::{quote, quote_bytes, Command, Failure, Local, Output, Transport};
pub use zfs::{
    parse_zfs_list_json, parse_zpool_status_json, parse_zpool_status_text, Dataset, Pool, Vdev, Zfs,
};

/// One fact a collection found: its kind (`cpu`, `memory`, `filesystem`,
/// `socket`, ...) and its fields, units in their names.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Record {
    /// What the record describes.
    pub kind: String,
    /// Its fields.
    pub data: Value,
}

/// A record of `kind` from a typed value.
pub(crate) fn record<T: Serialize>(kind: &str, value: &T) -> Record {
    Record {
        kind: kind.to_string(),
        data: serde_json::to_value(value).unwrap_or(Value::Null),
    }
}

/// A parse failure: the 1-based line of the output, and what is wrong.
pub type Parsed<T> = std::result::Result<T, (usize, String)>;

/// `r`, a parser's result, with a failure placed in `command`'s output.
pub fn parsed<T>(command: &Command, r: Parsed<T>) -> std::result::Result<T, Problem> {
    r.map_err(|(line, message)| Problem::Output {
        command: command.line(),
        line,
        message,
    })
}

/// `Ok` when `output` exited 0; otherwise the command's failure.
pub fn require_success(command: &Command, output: &Output) -> std::result::Result<(), Problem> {
    match output.status {
        Some(0) => Ok(()),
        status => Err(Problem::Command {
            command: command.line(),
            status,
            stderr: output.error_text(),
        }),
    }
}

/// What a collector calls to run a command on the host it collects from.
pub type Runner<'a> = dyn FnMut(&Command) -> std::result::Result<Output, Problem> + 'a;

/// A collection method: the commands it runs and how their output becomes
/// records. Implement it for a method of your own (the bindings wrap
/// Python and Node functions in one).
pub trait Collector: Send + Sync {
    /// The method's name, as callers ask for it (`system`, `ports`).
    fn name(&self) -> &str;

    /// Runs the method's commands through `run` and parses what they give.
    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem>;

    /// The arguments the method takes (`logs`: `unit`, `cursor`, ...);
    /// none by default.
    fn parameters(&self) -> &[&str] {
        &[]
    }

    /// Whether `args` suit the method, checked before anything runs: by
    /// default, each must be one of [`parameters`](Self::parameters).
    fn check(&self, args: &Args) -> std::result::Result<(), String> {
        match args
            .keys()
            .find(|k| !self.parameters().contains(&k.as_str()))
        {
            None => Ok(()),
            Some(k) if self.parameters().is_empty() => {
                Err(format!("{} takes no arguments, not `{k}`", self.name()))
            }
            Some(k) => Err(format!(
                "`{k}` is not one of {}",
                self.parameters().join(", ")
            )),
        }
    }

    /// [`collect`](Self::collect) with arguments that passed
    /// [`check`](Self::check).
    fn collect_with(
        &self,
        args: &Args,
        run: &mut Runner<'_>,
    ) -> std::result::Result<Vec<Record>, Problem> {
        let _ = args;
        self.collect(run)
    }
}

/// A collector made of commands and a function that turns their outputs
/// into records: how a user's own method (from Rust, Python or Node) is
/// written. Each command must exit 0; the function gets their outputs in
/// order, and an `Err` it returns is the method's [`Problem::Output`]
/// (line 0: not said).
pub struct CommandCollector<F> {
    name: String,
    commands: Vec<Command>,
    parse: F,
}

impl<F> CommandCollector<F>
where
    F: Fn(&[Output]) -> std::result::Result<Vec<Record>, String> + Send + Sync,
{
    /// The method `name`, running `commands` and parsing with `parse`.
    pub fn new(name: impl Into<String>, commands: Vec<Command>, parse: F) -> Self {
        CommandCollector {
            name: name.into(),
            commands,
            parse,
        }
    }
}

impl<F> Collector for CommandCollector<F>
where
    F: Fn(&[Output]) -> std::result::Result<Vec<Record>, String> + Send + Sync,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        let mut outputs = Vec::with_capacity(self.commands.len());
        for command in &self.commands {
            let output = run(command)?;
            require_success(command, &output)?;
            outputs.push(output);
        }
        (self.parse)(&outputs).map_err(|message| Problem::Output {
            command: self
                .commands
                .iter()
                .map(Command::line)
                .collect::<Vec<_>>()
                .join("; "),
            line: 0,
            message,
        })
    }
}

/// The output kinds [`parse`] reads, each the text of one command.
pub const PARSERS: [&str; 15] = [
    "proc_stat",
    "meminfo",
    "loadavg",
    "uptime",
    "df",
    "diskstats",
    "net_dev",
    "ss",
    "smartctl",
    "journal",
    "zpool_status",
    "zpool_status_json",
    "zfs_list_json",
    "docker_inspect",
    "nginx_site",
];

/// Records from the output of one command that was run elsewhere:
/// `kind` is one of [`PARSERS`] (`proc_stat` gives the CPU times since
/// boot, one record per CPU; `smartctl` reads `smartctl -j -a`; `journal`
/// reads `journalctl -o json`; `zpool_status` reads `zpool status -v`,
/// `zpool_status_json` `zpool status -j`, `zfs_list_json` `zfs list -j`,
/// `docker_inspect` `docker inspect` (without its stats), `nginx_site` one
/// site file, whose `file` is then empty). Output that
/// does not parse is an [`Error::Collect`](crate::Error::Collect) with the
/// line, whose host and command are empty.
pub fn parse(kind: &str, text: &str) -> crate::Result<Vec<Record>> {
    fn all<T: Serialize>(kind: &str, r: Parsed<Vec<T>>) -> Parsed<Vec<Record>> {
        r.map(|v| v.iter().map(|x| record(kind, x)).collect())
    }
    fn one<T: Serialize>(kind: &str, r: Parsed<T>) -> Parsed<Vec<Record>> {
        r.map(|x| vec![record(kind, &x)])
    }
    let parsed = match kind {
        "proc_stat" => all("cpu_times", parse_proc_stat(text)),
        "meminfo" => one("memory", parse_meminfo(text)),
        "loadavg" => one("load", parse_loadavg(text)),
        "uptime" => one("uptime", parse_uptime(text)),
        "df" => all("filesystem", parse_df(text)),
        "diskstats" => all("disk_io", parse_diskstats(text)),
        "net_dev" => all("net_io", parse_net_dev(text)),
        "ss" => all("socket", parse_ss(text)),
        "smartctl" => one("drive", parse_smartctl(text, "", 0)),
        "journal" => all("log_entry", parse_journal(text, false)),
        "zpool_status" => all("pool", parse_zpool_status_text(text)),
        "zpool_status_json" => all("pool", parse_zpool_status_json(text)),
        "zfs_list_json" => all("dataset", parse_zfs_list_json(text)),
        "docker_inspect" => all("container", parse_docker_inspect(text)),
        "nginx_site" => one("proxy_site", proxy_site("", text)),
        other => {
            return Err(crate::Error::InvalidArgument {
                name: "kind".into(),
                message: format!("{other:?} is not one of {}", PARSERS.join(", ")),
            })
        }
    };
    parsed.map_err(|(line, message)| {
        crate::Error::Collect(Box::new(CollectError {
            host: String::new(),
            method: kind.to_string(),
            problem: Problem::Output {
                command: String::new(),
                line,
                message,
            },
        }))
    })
}

/// The text of `line` from its `n`th whitespace-separated field (0-based)
/// to the end, for last columns that may hold spaces.
pub(crate) fn rest_from(line: &str, n: usize) -> Option<&str> {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace)?;
        rest = rest[end..].trim_start();
    }
    Some(rest.trim_end())
}

/// `t` as an RFC 3339 UTC timestamp with milliseconds.
pub fn utc(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `t` in milliseconds since the Unix epoch.
pub(crate) fn millis(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// The mutex's guard, even after a panic elsewhere poisoned it: the
/// service's and scheduler's state stays consistent under each lock.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn utc_timestamps_are_rfc3339() {
        assert_eq!(utc(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        // 2026-12-02T19:45:44.250Z, and a leap day.
        assert_eq!(
            utc(UNIX_EPOCH + Duration::from_millis(1_796_240_744_250)),
            "2026-12-02T19:45:44.250Z"
        );
        assert_eq!(
            utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
