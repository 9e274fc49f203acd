//! The `zfs` method: pools with their vdev trees, errors and scrub state,
//! from `zpool status -j` (OpenZFS 2.3 and later) or, on older hosts, the
//! text of `zpool status -v`; and datasets and snapshots from `zfs list`.

use serde::Serialize;
use serde_json::Value;

use super::{parsed, record, require_success, Collector, Command, Parsed, Problem, Record, Runner};

/// A device of a pool's tree (the pool itself, a mirror or raidz group, a
/// disk, a spare), depth first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vdev {
    /// The vdev's name (`mirror-0`, `sda`, a partuuid).
    pub name: String,
    /// 0 for the pool's root, 1 for its top-level vdevs, and so on; groups
    /// the text output heads (`logs`, `spares`) are at depth 1 too.
    pub depth: usize,
    /// `ONLINE`, `DEGRADED`, `FAULTED`, `HEALTHY`, `AVAIL`, ...; `None`
    /// for a group heading (`spares`, `logs`).
    pub state: Option<String>,
    /// Read errors; `None` where zpool prints no counters (spares, headings).
    pub read_errors: Option<u64>,
    /// Write errors.
    pub write_errors: Option<u64>,
    /// Checksum errors.
    pub checksum_errors: Option<u64>,
}

/// One pool, from `zpool status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pool {
    /// The pool's name.
    pub name: String,
    /// `ONLINE`, `DEGRADED`, `FAULTED`, ...
    pub state: String,
    /// What is wrong, when zpool says (the `status:` paragraph, or the JSON
    /// status code such as `OK`).
    pub status: Option<String>,
    /// What to do about it (`action:`).
    pub action: Option<String>,
    /// The last or running scrub or resilver (`scan:`, or `scrub:` on old
    /// releases).
    pub scan: Option<String>,
    /// Where to read about the status (`see:`).
    pub see: Option<String>,
    /// `errors:` (`No known data errors`), or the JSON error count.
    pub errors: Option<String>,
    /// The vdev tree, depth first.
    pub vdevs: Vec<Vdev>,
}

fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        v => v.as_u64(),
    }
}

/// `zpool status -j` (with or without `--json-int`).
pub fn parse_zpool_status_json(text: &str) -> Parsed<Vec<Pool>> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| (e.line(), format!("not zpool JSON: {e}")))?;
    let pools = v
        .get("pools")
        .and_then(Value::as_object)
        .ok_or_else(|| (1, "no `pools` object".to_string()))?;
    let s = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::new();
    for (name, pool) in pools {
        let mut vdevs = Vec::new();
        fn walk(map: &serde_json::Map<String, Value>, depth: usize, out: &mut Vec<Vdev>) {
            for (name, v) in map {
                out.push(Vdev {
                    name: v
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(name)
                        .to_string(),
                    depth,
                    state: v.get("state").and_then(Value::as_str).map(str::to_string),
                    read_errors: number(v.get("read_errors")),
                    write_errors: number(v.get("write_errors")),
                    checksum_errors: number(v.get("checksum_errors")),
                });
                if let Some(children) = v.get("vdevs").and_then(Value::as_object) {
                    walk(children, depth + 1, out);
                }
            }
        }
        if let Some(tree) = pool.get("vdevs").and_then(Value::as_object) {
            walk(tree, 0, &mut vdevs);
        }
        for group in ["dedup", "special", "logs", "l2cache", "spares"] {
            if let Some(tree) = pool.get(group).and_then(Value::as_object) {
                walk(tree, 1, &mut vdevs);
            }
        }
        out.push(Pool {
            name: s(pool, "name").unwrap_or_else(|| name.clone()),
            state: s(pool, "state").unwrap_or_default(),
            status: s(pool, "status"),
            action: None,
            scan: pool.get("scan_stats").map(|x| x.to_string()),
            see: None,
            errors: number(pool.get("error_count")).map(|n| n.to_string()),
            vdevs,
        });
    }
    Ok(out)
}

/// The text of `zpool status [-v]`: `pool:`, `state:`, `status:`,
/// `action:`, `scan:` and `errors:` paragraphs, and the config table whose
/// indentation is the vdev tree.
pub fn parse_zpool_status_text(text: &str) -> Parsed<Vec<Pool>> {
    let mut out: Vec<Pool> = Vec::new();
    let mut field: Option<&'static str> = None;
    let mut in_config = false;
    let mut root_indent = 0;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let header = [
            "pool", "state", "status", "action", "scan", "scrub", "see", "config", "errors",
        ]
        .into_iter()
        .find(|k| trimmed.strip_prefix(k).is_some_and(|r| r.starts_with(':')));
        if let Some(key) = header {
            let value = trimmed[key.len() + 1..].trim().to_string();
            in_config = key == "config";
            if key == "pool" {
                out.push(Pool {
                    name: value,
                    state: String::new(),
                    status: None,
                    action: None,
                    scan: None,
                    see: None,
                    errors: None,
                    vdevs: Vec::new(),
                });
                field = None;
                continue;
            }
            let pool = out
                .last_mut()
                .ok_or_else(|| (n, format!("`{key}:` before any `pool:`")))?;
            field = None;
            match key {
                "state" => pool.state = value,
                "status" => (pool.status, field) = (Some(value), Some("status")),
                "action" => (pool.action, field) = (Some(value), Some("action")),
                "scan" | "scrub" => (pool.scan, field) = (Some(value), Some("scan")),
                "see" => (pool.see, field) = (Some(value), Some("see")),
                "errors" => (pool.errors, field) = (Some(value), Some("errors")),
                _ => {}
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        let Some(pool) = out.last_mut() else {
            return Err((n, format!("{trimmed:?} before any `pool:`")));
        };
        if in_config {
            let f: Vec<&str> = trimmed.split_whitespace().collect();
            if f[0] == "NAME" {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if pool.vdevs.is_empty() {
                root_indent = indent;
            }
            let depth = indent.saturating_sub(root_indent) / 2;
            // Spares and group headings print no counters.
            let count = |k: usize| -> Parsed<Option<u64>> {
                if f.len() < 5 {
                    return Ok(None);
                }
                f[k].parse()
                    .map(Some)
                    .map_err(|_| (n, format!("{:?} is not an error count", f[k])))
            };
            // Group headings (`logs`, `spares`) have no state; spares have
            // no counters.
            pool.vdevs.push(Vdev {
                name: f[0].to_string(),
                depth,
                state: f.get(1).map(|s| s.to_string()),
                read_errors: count(2)?,
                write_errors: count(3)?,
                checksum_errors: count(4)?,
            });
            continue;
        }
        // A paragraph goes on over indented lines.
        let target = match field {
            Some("status") => &mut pool.status,
            Some("action") => &mut pool.action,
            Some("scan") => &mut pool.scan,
            Some("see") => &mut pool.see,
            Some("errors") => &mut pool.errors,
            _ => return Err((n, format!("{trimmed:?} belongs to no field"))),
        };
        if let Some(t) = target {
            t.push('\n');
            t.push_str(trimmed);
        }
    }
    Ok(out)
}

/// A dataset, volume or snapshot from `zfs list -j --json-int`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dataset {
    /// `pool/home`, `pool/home@monday`.
    pub name: String,
    /// `FILESYSTEM`, `VOLUME`, `SNAPSHOT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Space used, in bytes.
    pub used_bytes: Option<u64>,
    /// Space available, in bytes.
    pub available_bytes: Option<u64>,
    /// Data referenced, in bytes.
    pub referenced_bytes: Option<u64>,
    /// Where it is mounted (`-` or `none` for none).
    pub mountpoint: Option<String>,
}

/// A size as zfs prints it without `-p` (`290K`, `30.5G`), in bytes
/// (binary units); numbers pass as they are.
fn zfs_size(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let s = s.trim();
            let (num, unit) =
                s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
            let n: f64 = num.parse().ok()?;
            let scale = match unit {
                "" | "B" => 1u64,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                "T" => 1 << 40,
                "P" => 1 << 50,
                _ => return None,
            };
            Some((n * scale as f64).round() as u64)
        }
        _ => None,
    }
}

/// `zfs list -j` (with `--json-int` the sizes are bytes; without, they
/// are read back from zfs's units).
pub fn parse_zfs_list_json(text: &str) -> Parsed<Vec<Dataset>> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| (e.line(), format!("not zfs JSON: {e}")))?;
    let datasets = v
        .get("datasets")
        .and_then(Value::as_object)
        .ok_or_else(|| (1, "no `datasets` object".to_string()))?;
    Ok(datasets
        .iter()
        .map(|(name, d)| {
            let prop = |k: &str| d.pointer(&format!("/properties/{k}/value"));
            Dataset {
                name: d
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(name)
                    .to_string(),
                kind: d
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                used_bytes: prop("used").and_then(zfs_size),
                available_bytes: prop("available").and_then(zfs_size),
                referenced_bytes: prop("referenced").and_then(zfs_size),
                mountpoint: prop("mountpoint")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }
        })
        .collect())
}

/// The `zfs` method: `zpool status -j --json-int` (falling back to
/// `zpool status -v` where `-j` is not known), then
/// `zfs list -j --json-int -t filesystem,volume,snapshot`.
#[derive(Debug, Clone, Default)]
pub struct Zfs;

impl Collector for Zfs {
    fn name(&self) -> &str {
        "zfs"
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        let json = Command::new(["zpool", "status", "-j", "--json-int"]);
        let output = run(&json)?;
        let pools = if output.status == Some(0) {
            parsed(&json, parse_zpool_status_json(&output.text()))?
        } else if output.status == Some(2) || output.error_text().contains("invalid option") {
            // OpenZFS before 2.3: no -j; its usage error exits 2.
            let text = Command::new(["zpool", "status", "-v"]);
            let output = run(&text)?;
            require_success(&text, &output)?;
            parsed(&text, parse_zpool_status_text(&output.text()))?
        } else {
            require_success(&json, &output)?;
            Vec::new()
        };
        let mut out: Vec<Record> = pools.iter().map(|p| record("pool", p)).collect();
        let list = Command::new([
            "zfs",
            "list",
            "-j",
            "--json-int",
            "-t",
            "filesystem,volume,snapshot",
        ]);
        let output = run(&list)?;
        if output.status == Some(0) {
            let datasets = parsed(&list, parse_zfs_list_json(&output.text()))?;
            out.extend(datasets.iter().map(|d| record("dataset", d)));
        } else if !pools.is_empty() {
            require_success(&list, &output)?;
        }
        Ok(out)
    }
}
