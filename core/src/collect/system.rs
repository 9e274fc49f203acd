//! The `system` method: CPU, memory, load, uptime, filesystems, disk I/O
//! and network counters, from `/proc` and `df -PT -B1`, with their units
//! in the field names.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{
    parsed, record, require_success, rest_from, Collector, Command, Parsed, Problem, Record, Runner,
};

fn number<T: std::str::FromStr>(line: usize, field: &str, what: &str) -> Parsed<T> {
    field
        .parse()
        .map_err(|_| (line, format!("{what}: {field:?} is not a number")))
}

/// One `cpu` line of `/proc/stat`: time spent in each state since boot, in
/// clock ticks (USER_HZ, 100 a second on Linux).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpuTimes {
    /// `cpu` for all CPUs together, `cpu0`, `cpu1`, ... for each.
    pub cpu: String,
    /// Ticks in user mode.
    pub user: u64,
    /// Ticks in user mode at low priority.
    pub nice: u64,
    /// Ticks in kernel mode.
    pub system: u64,
    /// Ticks idle.
    pub idle: u64,
    /// Ticks waiting for I/O (absent before Linux 2.5.41: 0).
    pub iowait: u64,
    /// Ticks servicing interrupts.
    pub irq: u64,
    /// Ticks servicing soft interrupts.
    pub softirq: u64,
    /// Ticks stolen by the hypervisor.
    pub steal: u64,
    /// Ticks running guests.
    pub guest: u64,
    /// Ticks running niced guests.
    pub guest_nice: u64,
}

impl CpuTimes {
    fn total(&self) -> u64 {
        // guest and guest_nice are already counted in user and nice.
        self.user
            + self.nice
            + self.system
            + self.idle
            + self.iowait
            + self.irq
            + self.softirq
            + self.steal
    }
}

/// The `cpu` lines of `/proc/stat`.
pub fn parse_proc_stat(text: &str) -> Parsed<Vec<CpuTimes>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let mut fields = line.split_whitespace();
        let Some(cpu) = fields.next().filter(|f| f.starts_with("cpu")) else {
            continue;
        };
        let values: Vec<u64> = fields.map(|f| number(n, f, cpu)).collect::<Parsed<_>>()?;
        if values.len() < 4 {
            return Err((
                n,
                format!("{cpu}: {} columns, at least 4 expected", values.len()),
            ));
        }
        let at = |k: usize| values.get(k).copied().unwrap_or(0);
        out.push(CpuTimes {
            cpu: cpu.to_string(),
            user: at(0),
            nice: at(1),
            system: at(2),
            idle: at(3),
            iowait: at(4),
            irq: at(5),
            softirq: at(6),
            steal: at(7),
            guest: at(8),
            guest_nice: at(9),
        });
    }
    if out.is_empty() {
        return Err((1, "no cpu line".into()));
    }
    Ok(out)
}

/// CPU utilisation between two `/proc/stat` samples, in percent of the
/// time that passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuUsage {
    /// `cpu` for all CPUs together, `cpu0`, ... for each.
    pub cpu: String,
    /// Time not idle (nor waiting for I/O).
    pub busy_percent: f64,
    /// Time in user mode, nice included.
    pub user_percent: f64,
    /// Time in kernel mode, interrupts included.
    pub system_percent: f64,
    /// Time waiting for I/O.
    pub iowait_percent: f64,
    /// Time stolen by the hypervisor.
    pub steal_percent: f64,
}

/// Utilisation of each CPU present in both samples.
pub fn cpu_usage(before: &[CpuTimes], after: &[CpuTimes]) -> Vec<CpuUsage> {
    after
        .iter()
        .filter_map(|a| {
            let b = before.iter().find(|b| b.cpu == a.cpu)?;
            let total = a.total().saturating_sub(b.total()).max(1) as f64;
            let pct = |x: u64, y: u64| 100.0 * x.saturating_sub(y) as f64 / total;
            let idle = pct(a.idle, b.idle);
            let iowait = pct(a.iowait, b.iowait);
            Some(CpuUsage {
                cpu: a.cpu.clone(),
                busy_percent: (100.0 - idle - iowait).max(0.0),
                user_percent: pct(a.user + a.nice, b.user + b.nice),
                system_percent: pct(a.system + a.irq + a.softirq, b.system + b.irq + b.softirq),
                iowait_percent: iowait,
                steal_percent: pct(a.steal, b.steal),
            })
        })
        .collect()
}

/// `/proc/meminfo`, in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Memory {
    /// `MemTotal`.
    pub total_bytes: u64,
    /// `MemFree`.
    pub free_bytes: u64,
    /// `MemAvailable`: what can be had without swapping (0 before Linux 3.14).
    pub available_bytes: u64,
    /// `SwapTotal`.
    pub swap_total_bytes: u64,
    /// `SwapFree`.
    pub swap_free_bytes: u64,
    /// Every line, by its name; sizes in bytes, counts (`HugePages_Total`)
    /// as they are.
    pub fields: BTreeMap<String, u64>,
}

/// `/proc/meminfo`.
pub fn parse_meminfo(text: &str) -> Parsed<Memory> {
    let mut fields = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (name, rest) = line
            .split_once(':')
            .ok_or_else(|| (i + 1, format!("{line:?} is not `Name: value`")))?;
        let mut parts = rest.split_whitespace();
        let value: u64 = number(i + 1, parts.next().unwrap_or(""), name)?;
        let value = match parts.next() {
            Some("kB") => value * 1024,
            Some(unit) => return Err((i + 1, format!("{name}: unknown unit {unit:?}"))),
            None => value,
        };
        fields.insert(name.to_string(), value);
    }
    let get = |k: &str| fields.get(k).copied();
    let total_bytes = get("MemTotal").ok_or_else(|| (1, "no MemTotal line".to_string()))?;
    Ok(Memory {
        total_bytes,
        free_bytes: get("MemFree").unwrap_or(0),
        available_bytes: get("MemAvailable").unwrap_or(0),
        swap_total_bytes: get("SwapTotal").unwrap_or(0),
        swap_free_bytes: get("SwapFree").unwrap_or(0),
        fields,
    })
}

/// `/proc/loadavg`: run-queue averages and task counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Load {
    /// Average over 1 minute.
    pub load_1m: f64,
    /// Average over 5 minutes.
    pub load_5m: f64,
    /// Average over 15 minutes.
    pub load_15m: f64,
    /// Tasks runnable now.
    pub running: u64,
    /// Tasks in all.
    pub tasks: u64,
    /// The most recent process id.
    pub last_pid: u64,
}

/// `/proc/loadavg`.
pub fn parse_loadavg(text: &str) -> Parsed<Load> {
    let f: Vec<&str> = text.split_whitespace().collect();
    if f.len() != 5 {
        return Err((1, format!("{} fields, 5 expected", f.len())));
    }
    let (running, tasks) = f[3]
        .split_once('/')
        .ok_or_else(|| (1, format!("{:?} is not running/total", f[3])))?;
    Ok(Load {
        load_1m: number(1, f[0], "load")?,
        load_5m: number(1, f[1], "load")?,
        load_15m: number(1, f[2], "load")?,
        running: number(1, running, "running")?,
        tasks: number(1, tasks, "tasks")?,
        last_pid: number(1, f[4], "last pid")?,
    })
}

/// `/proc/uptime`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Uptime {
    /// Seconds since boot.
    pub uptime_seconds: f64,
    /// Seconds the CPUs spent idle, summed over CPUs.
    pub idle_seconds: f64,
}

/// `/proc/uptime`.
pub fn parse_uptime(text: &str) -> Parsed<Uptime> {
    let f: Vec<&str> = text.split_whitespace().collect();
    if f.len() != 2 {
        return Err((1, format!("{} fields, 2 expected", f.len())));
    }
    Ok(Uptime {
        uptime_seconds: number(1, f[0], "uptime")?,
        idle_seconds: number(1, f[1], "idle time")?,
    })
}

/// One line of `df -PT -B1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filesystem {
    /// The device or source (`/dev/vda`, `tmpfs`).
    pub filesystem: String,
    /// The filesystem type (`ext4`).
    #[serde(rename = "type")]
    pub fs_type: String,
    /// Size.
    pub size_bytes: u64,
    /// Used.
    pub used_bytes: u64,
    /// Available to unprivileged users.
    pub available_bytes: u64,
    /// `df`'s Capacity column.
    pub capacity_percent: u8,
    /// Where it is mounted.
    pub mount_point: String,
}

/// `df -PT -B1` (POSIX format, with types, in bytes).
pub fn parse_df(text: &str) -> Parsed<Vec<Filesystem>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 7 {
            return Err((n, format!("{} columns, 7 expected", f.len())));
        }
        // The mount point is the rest of the line: it may hold spaces.
        let mount = rest_from(line, 6).unwrap_or(f[6]);
        out.push(Filesystem {
            filesystem: f[0].to_string(),
            fs_type: f[1].to_string(),
            size_bytes: number(n, f[2], "size")?,
            used_bytes: number(n, f[3], "used")?,
            available_bytes: number(n, f[4], "available")?,
            capacity_percent: number(n, f[5].trim_end_matches('%'), "capacity")?,
            mount_point: mount.to_string(),
        });
    }
    Ok(out)
}

/// One line of `/proc/diskstats`; times in milliseconds, sizes in 512-byte
/// sectors, as the kernel counts them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiskIo {
    /// Major device number.
    pub major: u32,
    /// Minor device number.
    pub minor: u32,
    /// The device's name (`vda`, `nvme0n1p1`).
    pub device: String,
    /// Reads completed.
    pub reads_completed: u64,
    /// Adjacent reads merged.
    pub reads_merged: u64,
    /// Sectors read.
    pub sectors_read: u64,
    /// Milliseconds spent reading.
    pub read_time_ms: u64,
    /// Writes completed.
    pub writes_completed: u64,
    /// Adjacent writes merged.
    pub writes_merged: u64,
    /// Sectors written.
    pub sectors_written: u64,
    /// Milliseconds spent writing.
    pub write_time_ms: u64,
    /// I/Os in flight now.
    pub io_in_progress: u64,
    /// Milliseconds spent doing I/O.
    pub io_time_ms: u64,
    /// Weighted milliseconds spent doing I/O.
    pub weighted_io_time_ms: u64,
    /// Discards completed (Linux 4.18+), flushes (5.5+): absent before.
    pub discards_completed: Option<u64>,
    /// Adjacent discards merged.
    pub discards_merged: Option<u64>,
    /// Sectors discarded.
    pub sectors_discarded: Option<u64>,
    /// Milliseconds spent discarding.
    pub discard_time_ms: Option<u64>,
    /// Flush requests completed.
    pub flushes_completed: Option<u64>,
    /// Milliseconds spent flushing.
    pub flush_time_ms: Option<u64>,
}

/// `/proc/diskstats` (14, 18 or 20 fields a line).
pub fn parse_diskstats(text: &str) -> Parsed<Vec<DiskIo>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let n = i + 1;
        if f.len() < 14 {
            return Err((n, format!("{} fields, at least 14 expected", f.len())));
        }
        let v = |k: usize| number::<u64>(n, f[k], f[2]);
        let opt = |k: usize| f.get(k).map(|x| number::<u64>(n, x, f[2])).transpose();
        out.push(DiskIo {
            major: number(n, f[0], "major")?,
            minor: number(n, f[1], "minor")?,
            device: f[2].to_string(),
            reads_completed: v(3)?,
            reads_merged: v(4)?,
            sectors_read: v(5)?,
            read_time_ms: v(6)?,
            writes_completed: v(7)?,
            writes_merged: v(8)?,
            sectors_written: v(9)?,
            write_time_ms: v(10)?,
            io_in_progress: v(11)?,
            io_time_ms: v(12)?,
            weighted_io_time_ms: v(13)?,
            discards_completed: opt(14)?,
            discards_merged: opt(15)?,
            sectors_discarded: opt(16)?,
            discard_time_ms: opt(17)?,
            flushes_completed: opt(18)?,
            flush_time_ms: opt(19)?,
        });
    }
    Ok(out)
}

/// One interface of `/proc/net/dev`: counters since boot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetIo {
    /// The interface's name.
    pub interface: String,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets received.
    pub rx_packets: u64,
    /// Receive errors.
    pub rx_errors: u64,
    /// Received packets dropped.
    pub rx_dropped: u64,
    /// Receive FIFO overruns.
    pub rx_fifo: u64,
    /// Framing errors.
    pub rx_frame: u64,
    /// Compressed packets received.
    pub rx_compressed: u64,
    /// Multicast frames received.
    pub rx_multicast: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Transmit errors.
    pub tx_errors: u64,
    /// Packets dropped on sending.
    pub tx_dropped: u64,
    /// Transmit FIFO overruns.
    pub tx_fifo: u64,
    /// Collisions.
    pub tx_collisions: u64,
    /// Carrier losses.
    pub tx_carrier: u64,
    /// Compressed packets sent.
    pub tx_compressed: u64,
}

/// `/proc/net/dev` (two header lines, then one line per interface).
pub fn parse_net_dev(text: &str) -> Parsed<Vec<NetIo>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(2) {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let (name, rest) = line
            .split_once(':')
            .ok_or_else(|| (n, format!("{line:?} is not `interface: counters`")))?;
        let v: Vec<u64> = rest
            .split_whitespace()
            .map(|x| number(n, x, name.trim()))
            .collect::<Parsed<_>>()?;
        if v.len() != 16 {
            return Err((n, format!("{} counters, 16 expected", v.len())));
        }
        out.push(NetIo {
            interface: name.trim().to_string(),
            rx_bytes: v[0],
            rx_packets: v[1],
            rx_errors: v[2],
            rx_dropped: v[3],
            rx_fifo: v[4],
            rx_frame: v[5],
            rx_compressed: v[6],
            rx_multicast: v[7],
            tx_bytes: v[8],
            tx_packets: v[9],
            tx_errors: v[10],
            tx_dropped: v[11],
            tx_fifo: v[12],
            tx_collisions: v[13],
            tx_carrier: v[14],
            tx_compressed: v[15],
        });
    }
    Ok(out)
}

/// The `system` method: two `/proc/stat` samples `interval` apart, then
/// memory, load, uptime, filesystems, disk and network counters.
#[derive(Debug, Clone)]
pub struct System {
    /// Between the two CPU samples (default 1 s).
    pub interval: Duration,
}

impl Default for System {
    fn default() -> Self {
        System {
            interval: Duration::from_secs(1),
        }
    }
}

impl Collector for System {
    fn name(&self) -> &str {
        "system"
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        let mut text = |argv: &[&str]| -> std::result::Result<(Command, String), Problem> {
            let command = Command::new(argv.iter().copied());
            let output = run(&command)?;
            require_success(&command, &output)?;
            Ok((command, output.text()))
        };
        let (c, first) = text(&["cat", "/proc/stat"])?;
        let before = parsed(&c, parse_proc_stat(&first))?;
        std::thread::sleep(self.interval);
        let (c, second) = text(&["cat", "/proc/stat"])?;
        let after = parsed(&c, parse_proc_stat(&second))?;
        let mut out: Vec<Record> = cpu_usage(&before, &after)
            .iter()
            .map(|u| record("cpu", u))
            .collect();
        let (c, t) = text(&["cat", "/proc/meminfo"])?;
        out.push(record("memory", &parsed(&c, parse_meminfo(&t))?));
        let (c, t) = text(&["cat", "/proc/loadavg"])?;
        out.push(record("load", &parsed(&c, parse_loadavg(&t))?));
        let (c, t) = text(&["cat", "/proc/uptime"])?;
        out.push(record("uptime", &parsed(&c, parse_uptime(&t))?));
        let (c, t) = text(&["df", "-PT", "-B1"])?;
        out.extend(
            parsed(&c, parse_df(&t))?
                .iter()
                .map(|f| record("filesystem", f)),
        );
        let (c, t) = text(&["cat", "/proc/diskstats"])?;
        out.extend(
            parsed(&c, parse_diskstats(&t))?
                .iter()
                .map(|d| record("disk_io", d)),
        );
        let (c, t) = text(&["cat", "/proc/net/dev"])?;
        out.extend(
            parsed(&c, parse_net_dev(&t))?
                .iter()
                .map(|d| record("net_io", d)),
        );
        Ok(out)
    }
}
