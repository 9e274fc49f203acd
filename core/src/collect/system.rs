//! The `system` method: CPU, memory, load, uptime, filesystems, disk I/O
//! and network counters, from `/proc` and `df -PT -B1`, with their units
//! in the field names.

use std::time::Duration;

use serde::Serialize;

use super::{
    parsed, record, require_success, rest_from, scan, Collector, Command, Parsed, Problem, Record,
    Runner,
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
        if !line.trim_start().starts_with("cpu") {
            continue;
        }
        let n = i + 1;
        let mut fields = scan::Fields::new(line);
        let cpu = fields.word().unwrap_or_default();
        let (values, count) = fields
            .uints::<10>()
            .map_err(|x| (n, format!("{cpu}: {x:?} is not a number")))?;
        if count < 4 {
            return Err((n, format!("{cpu}: {count} columns, at least 4 expected")));
        }
        let [user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice] = values;
        out.push(CpuTimes {
            cpu: cpu.to_string(),
            user,
            nice,
            system,
            idle,
            iowait,
            irq,
            softirq,
            steal,
            guest,
            guest_nice,
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
    pub fields: MemoryFields,
}

/// `/proc/meminfo`'s lines by name, in the file's order. The names share
/// one buffer: a string per line would cost more than parsing the line.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MemoryFields {
    names: String,
    /// Where each name ends in `names`, and its value.
    entries: Vec<(usize, u64)>,
}

impl MemoryFields {
    /// The value of the line called `name` (the last, were there two).
    pub fn get(&self, name: &str) -> Option<u64> {
        self.iter()
            .filter(|(n, _)| *n == name)
            .last()
            .map(|(_, v)| v)
    }

    /// The lines as (name, value), in the file's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        let starts = std::iter::once(0).chain(self.entries.iter().map(|(end, _)| *end));
        starts
            .zip(&self.entries)
            .map(|(start, (end, value))| (&self.names[start..*end], *value))
    }

    /// How many lines there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn push(&mut self, name: &str, value: u64) {
        self.names.push_str(name);
        self.entries.push((self.names.len(), value));
    }
}

impl std::fmt::Debug for MemoryFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for MemoryFields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// `/proc/meminfo`.
pub fn parse_meminfo(text: &str) -> Parsed<Memory> {
    let mut fields = MemoryFields {
        names: String::with_capacity(text.len() / 2),
        entries: Vec::with_capacity(64),
    };
    // MemTotal, MemFree, MemAvailable, SwapTotal, SwapFree
    let mut head = [None; 5];
    let (mut at, mut n) = (0, 0);
    while at < text.len() {
        n += 1;
        let start = at;
        let (name, value) = match meminfo_line(text.as_bytes(), start) {
            Some((colon, value, next)) => {
                at = next;
                (&text[start..colon], value)
            }
            None => {
                let end = text[start..].find('\n').map_or(text.len(), |p| start + p);
                at = end + 1;
                let line = text[start..end].trim_end_matches('\r');
                match line.split_once(':') {
                    Some((name, rest)) => (name, meminfo_value(n, name, rest)?),
                    None if line.trim().is_empty() => continue,
                    None => return Err((n, format!("{line:?} is not `Name: value`"))),
                }
            }
        };
        let slot = match name {
            "MemTotal" => 0,
            "MemFree" => 1,
            "MemAvailable" => 2,
            "SwapTotal" => 3,
            "SwapFree" => 4,
            _ => usize::MAX,
        };
        if let Some(slot) = head.get_mut(slot) {
            *slot = Some(value);
        }
        fields.push(name, value);
    }
    let [total, free, available, swap_total, swap_free] = head;
    Ok(Memory {
        total_bytes: total.ok_or_else(|| (1, "no MemTotal line".to_string()))?,
        free_bytes: free.unwrap_or(0),
        available_bytes: available.unwrap_or(0),
        swap_total_bytes: swap_total.unwrap_or(0),
        swap_free_bytes: swap_free.unwrap_or(0),
        fields,
    })
}

/// The line at `start` when it has the kernel's own shape, `Name:`, spaces,
/// digits and ` kB` or nothing: where its colon is, its value in bytes, and
/// where the next line starts. Any other shape is left to
/// [`meminfo_value`], which also words the errors.
fn meminfo_line(bytes: &[u8], start: usize) -> Option<(usize, u64, usize)> {
    let mut at = start;
    while *bytes.get(at)? != b':' {
        if bytes[at] == b'\n' {
            return None;
        }
        at += 1;
    }
    let colon = at;
    at += 1;
    while bytes.get(at) == Some(&b' ') {
        at += 1;
    }
    let digits = at;
    let mut value: u64 = 0;
    while let Some(digit) = bytes
        .get(at)
        .map(|b| b.wrapping_sub(b'0'))
        .filter(|d| *d <= 9)
    {
        // 19 digits cannot overflow; a 20th goes the checked way.
        if at - digits == 19 {
            return None;
        }
        value = value * 10 + u64::from(digit);
        at += 1;
    }
    if at == digits {
        return None;
    }
    if bytes[at..].starts_with(b" kB") {
        value = value.checked_mul(1024)?;
        at += 3;
    }
    match bytes.get(at) {
        None => Some((colon, value, at)),
        Some(b'\n') => Some((colon, value, at + 1)),
        Some(_) => None,
    }
}

/// The value after `Name:`, in bytes when its unit is `kB`.
fn meminfo_value(n: usize, name: &str, rest: &str) -> Parsed<u64> {
    let (f, count) = scan::fields::<2>(rest);
    let value =
        scan::uint(f[0]).ok_or_else(|| (n, format!("{name}: {:?} is not a number", f[0])))?;
    match (count, f[1]) {
        (0 | 1, _) => Ok(value),
        (_, "kB") => value
            .checked_mul(1024)
            .ok_or_else(|| (n, format!("{name}: {value} kB is too large"))),
        (_, unit) => Err((n, format!("{name}: unknown unit {unit:?}"))),
    }
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
    let (f, count) = scan::fields::<5>(text);
    if count != 5 {
        return Err((1, format!("{count} fields, 5 expected")));
    }
    let (running, tasks) = f[3]
        .split_once('/')
        .ok_or_else(|| (1, format!("{:?} is not running/total", f[3])))?;
    let load =
        |x: &str| scan::decimal(x).ok_or_else(|| (1, format!("load: {x:?} is not a number")));
    let count = |what: &str, x: &str| {
        scan::uint(x).ok_or_else(|| (1, format!("{what}: {x:?} is not a number")))
    };
    Ok(Load {
        load_1m: load(f[0])?,
        load_5m: load(f[1])?,
        load_15m: load(f[2])?,
        running: count("running", running)?,
        tasks: count("tasks", tasks)?,
        last_pid: count("last pid", f[4])?,
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
    let (f, count) = scan::fields::<2>(text);
    if count != 2 {
        return Err((1, format!("{count} fields, 2 expected")));
    }
    let seconds = |what: &str, x: &str| {
        scan::decimal(x).ok_or_else(|| (1, format!("{what}: {x:?} is not a number")))
    };
    Ok(Uptime {
        uptime_seconds: seconds("uptime", f[0])?,
        idle_seconds: seconds("idle time", f[1])?,
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
        let n = i + 1;
        let mut f = scan::Fields::new(line);
        let (Some(major), Some(minor), Some(device)) = (f.word(), f.word(), f.word()) else {
            if line.trim().is_empty() {
                continue;
            }
            let count = scan::fields::<0>(line).1;
            return Err((n, format!("{count} fields, at least 14 expected")));
        };
        // The 11 counters every kernel has, then 4 for discards, 2 for flushes.
        let (v, count) = f
            .uints::<17>()
            .map_err(|x| (n, format!("{device}: {x:?} is not a number")))?;
        if count < 11 {
            return Err((n, format!("{} fields, at least 14 expected", count + 3)));
        }
        let device_number = |what: &str, x: &str| {
            scan::uint(x)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| (n, format!("{what}: {x:?} is not a device number")))
        };
        let opt = |k: usize| (k < count).then_some(v[k]);
        out.push(DiskIo {
            major: device_number("major", major)?,
            minor: device_number("minor", minor)?,
            device: device.to_string(),
            reads_completed: v[0],
            reads_merged: v[1],
            sectors_read: v[2],
            read_time_ms: v[3],
            writes_completed: v[4],
            writes_merged: v[5],
            sectors_written: v[6],
            write_time_ms: v[7],
            io_in_progress: v[8],
            io_time_ms: v[9],
            weighted_io_time_ms: v[10],
            discards_completed: opt(11),
            discards_merged: opt(12),
            sectors_discarded: opt(13),
            discard_time_ms: opt(14),
            flushes_completed: opt(15),
            flush_time_ms: opt(16),
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
        let n = i + 1;
        let Some((name, rest)) = line.split_once(':') else {
            if line.trim().is_empty() {
                continue;
            }
            return Err((n, format!("{line:?} is not `interface: counters`")));
        };
        let name = name.trim();
        let mut f = scan::Fields::new(rest);
        let (v, count) = f
            .uints::<16>()
            .map_err(|x| (n, format!("{name}: {x:?} is not a number")))?;
        if count != 16 {
            return Err((n, format!("{count} counters, 16 expected")));
        }
        let [rx_bytes, rx_packets, rx_errors, rx_dropped, rx_fifo, rx_frame, rx_compressed, rx_multicast, tx_bytes, tx_packets, tx_errors, tx_dropped, tx_fifo, tx_collisions, tx_carrier, tx_compressed] =
            v;
        out.push(NetIo {
            interface: name.to_string(),
            rx_bytes,
            rx_packets,
            rx_errors,
            rx_dropped,
            rx_fifo,
            rx_frame,
            rx_compressed,
            rx_multicast,
            tx_bytes,
            tx_packets,
            tx_errors,
            tx_dropped,
            tx_fifo,
            tx_collisions,
            tx_carrier,
            tx_compressed,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines in the kernel's shape take a quicker path than others; both
    /// must read the same values and refuse the same lines.
    #[test]
    fn meminfo_lines_of_every_shape() {
        let cases: [(&str, Result<u64, &str>); 12] = [
            ("X:        5 kB", Ok(5120)),
            ("X:\t5 kB", Ok(5120)),
            ("X: 5", Ok(5)),
            ("X: 5 kB\r", Ok(5120)),
            ("X: 5  kB extra", Ok(5120)),
            ("X: 9999999999999999999", Ok(9_999_999_999_999_999_999)),
            ("X: 18446744073709551615", Ok(u64::MAX)),
            (
                "X: 18446744073709551616",
                Err("X: \"18446744073709551616\" is not a number"),
            ),
            (
                "X: 18014398509481984 kB",
                Err("X: 18014398509481984 kB is too large"),
            ),
            ("X: 5 MB", Err("X: unknown unit \"MB\"")),
            ("X: five", Err("X: \"five\" is not a number")),
            ("no colon", Err("\"no colon\" is not `Name: value`")),
        ];
        for (line, expected) in cases {
            for end in ["", "\n"] {
                let text = format!("MemTotal: 1 kB\n \t\n{line}{end}");
                let got = parse_meminfo(&text);
                match expected {
                    Ok(value) => {
                        let memory = got.unwrap();
                        assert_eq!(memory.fields.get("X"), Some(value), "{line:?}");
                        assert_eq!(memory.fields.len(), 2, "{line:?}");
                    }
                    Err(message) => assert_eq!(got, Err((3, message.to_string())), "{line:?}"),
                }
            }
        }
    }

    #[test]
    fn memory_fields_keep_the_file_order_and_the_last_duplicate() {
        let memory = parse_meminfo("MemTotal: 2 kB\nB: 1\nA: 2\nB: 3\n").unwrap();
        let order: Vec<_> = memory.fields.iter().collect();
        assert_eq!(order, [("MemTotal", 2048), ("B", 1), ("A", 2), ("B", 3)]);
        assert_eq!(memory.fields.get("B"), Some(3));
        assert_eq!(memory.fields.get("C"), None);
        assert_eq!(
            serde_json::to_string(&memory.fields).unwrap(),
            r#"{"MemTotal":2048,"B":1,"A":2,"B":3}"#
        );
    }
}
