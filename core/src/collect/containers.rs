//! The `containers` method: `docker ps -a`, `docker inspect` and
//! `docker stats --no-stream`, joined into one record per container, sizes
//! in bytes.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::{parsed, record, require_success, Collector, Command, Parsed, Problem, Record, Runner};

/// A published or exposed port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerPort {
    /// The port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// The host address it is published on (`0.0.0.0`, `::`); `None` when
    /// only exposed.
    pub host_ip: Option<String>,
    /// The host port; `None` when only exposed.
    pub host_port: Option<u16>,
}

/// One container, from `docker inspect` (and `docker stats`, when it runs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Container {
    /// The full id.
    pub id: String,
    /// The name, without the leading `/`.
    pub name: String,
    /// The image as given (`postgres:16-alpine`).
    pub image: String,
    /// `running`, `restarting`, `exited`, `paused`, `created`, `dead`.
    pub state: String,
    /// The health check's verdict (`healthy`, `unhealthy`, `starting`);
    /// `None` without a health check.
    pub health: Option<String>,
    /// How often the engine restarted it.
    pub restart_count: u64,
    /// The last exit code.
    pub exit_code: i64,
    /// Whether it was killed for lack of memory.
    pub oom_killed: bool,
    /// When it started, RFC 3339, as the engine says.
    pub started_at: Option<String>,
    /// The compose project (`com.docker.compose.project`), if any.
    pub compose_project: Option<String>,
    /// The compose service (`com.docker.compose.service`), if any.
    pub compose_service: Option<String>,
    /// Its ports, in the engine's order.
    pub ports: Vec<ContainerPort>,
    /// The networks it is attached to, sorted.
    pub networks: Vec<String>,
    /// Every label.
    pub labels: HashMap<String, String>,
    /// CPU, percent of one CPU (from `docker stats`).
    pub cpu_percent: Option<f64>,
    /// Memory in use, less inactive file cache, as `docker stats` shows it.
    pub memory_usage_bytes: Option<u64>,
    /// The memory limit.
    pub memory_limit_bytes: Option<u64>,
    /// Bytes received over the network.
    pub net_rx_bytes: Option<u64>,
    /// Bytes sent over the network.
    pub net_tx_bytes: Option<u64>,
    /// Bytes read from block devices.
    pub block_read_bytes: Option<u64>,
    /// Bytes written to block devices.
    pub block_write_bytes: Option<u64>,
    /// Processes in it.
    pub pids: Option<u64>,
}

/// A size as the Docker CLI prints it (`412.2MiB`, `734MB`, `0B`), in bytes
/// (rounded to the nearest byte; the CLI shows four significant digits).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = t.split_at(split);
    let n: f64 = number.trim().parse().ok()?;
    let scale: f64 = match unit {
        "B" => 1.0,
        "kB" | "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024f64.powi(4),
        _ => return None,
    };
    Some((n * scale).round() as u64)
}

/// `docker inspect` output: a JSON array of containers.
pub fn parse_docker_inspect(text: &str) -> Parsed<Vec<Container>> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| (e.line(), format!("not docker inspect JSON: {e}")))?;
    let items = v
        .as_array()
        .ok_or_else(|| (1, "not a JSON array".to_string()))?;
    let s = |c: &Value, p: &str| c.pointer(p).and_then(Value::as_str).map(str::to_string);
    items
        .iter()
        .map(|c| {
            let labels: HashMap<String, String> = c
                .pointer("/Config/Labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let mut ports = Vec::new();
            if let Some(map) = c
                .pointer("/NetworkSettings/Ports")
                .and_then(Value::as_object)
            {
                for (spec, bindings) in map {
                    let (port, protocol) = spec.split_once('/').unwrap_or((spec, "tcp"));
                    let Ok(container_port) = port.parse() else {
                        return Err((1, format!("port {spec:?} is not a number")));
                    };
                    match bindings.as_array().filter(|b| !b.is_empty()) {
                        None => ports.push(ContainerPort {
                            container_port,
                            protocol: protocol.to_string(),
                            host_ip: None,
                            host_port: None,
                        }),
                        Some(bindings) => ports.extend(bindings.iter().map(|b| ContainerPort {
                            container_port,
                            protocol: protocol.to_string(),
                            host_ip: s(b, "/HostIp"),
                            host_port: s(b, "/HostPort").and_then(|p| p.parse().ok()),
                        })),
                    }
                }
            }
            let mut networks: Vec<String> = c
                .pointer("/NetworkSettings/Networks")
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            networks.sort();
            let name = s(c, "/Name").unwrap_or_default();
            Ok(Container {
                id: s(c, "/Id").ok_or_else(|| (1, "a container without an Id".to_string()))?,
                name: name.trim_start_matches('/').to_string(),
                image: s(c, "/Config/Image").unwrap_or_default(),
                state: s(c, "/State/Status").unwrap_or_default(),
                health: s(c, "/State/Health/Status"),
                restart_count: c
                    .pointer("/RestartCount")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
                exit_code: c
                    .pointer("/State/ExitCode")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                oom_killed: c
                    .pointer("/State/OOMKilled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                started_at: s(c, "/State/StartedAt"),
                compose_project: labels.get("com.docker.compose.project").cloned(),
                compose_service: labels.get("com.docker.compose.service").cloned(),
                ports,
                networks,
                labels,
                cpu_percent: None,
                memory_usage_bytes: None,
                memory_limit_bytes: None,
                net_rx_bytes: None,
                net_tx_bytes: None,
                block_read_bytes: None,
                block_write_bytes: None,
                pids: None,
            })
        })
        .collect()
}

/// Adds `docker stats --no-stream --format json` (one JSON object a
/// line) to `containers`, matched by name.
pub fn add_docker_stats(containers: &mut [Container], text: &str) -> Parsed<()> {
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line).map_err(|e| (i + 1, format!("not JSON: {e}")))?;
        let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
        let pair = |k: &str| {
            let (a, b) = field(k).split_once(" / ").unwrap_or(("", ""));
            (parse_size(a), parse_size(b))
        };
        let Some(c) = containers.iter_mut().find(|c| c.name == field("Name")) else {
            continue;
        };
        c.cpu_percent = field("CPUPerc").trim_end_matches('%').parse().ok();
        (c.memory_usage_bytes, c.memory_limit_bytes) = pair("MemUsage");
        (c.net_rx_bytes, c.net_tx_bytes) = pair("NetIO");
        (c.block_read_bytes, c.block_write_bytes) = pair("BlockIO");
        c.pids = field("PIDs").parse().ok();
    }
    Ok(())
}

/// The `containers` method.
#[derive(Debug, Clone, Default)]
pub struct Containers;

impl Collector for Containers {
    fn name(&self) -> &str {
        "containers"
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        let ps = Command::new(["docker", "ps", "-a", "--no-trunc", "--format", "{{.ID}}"]);
        let output = run(&ps)?;
        require_success(&ps, &output)?;
        let ids: Vec<String> = output
            .text()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut argv = vec!["docker".to_string(), "inspect".into()];
        argv.extend(ids);
        let inspect = Command::new(argv);
        let output = run(&inspect)?;
        require_success(&inspect, &output)?;
        let mut containers = parsed(&inspect, parse_docker_inspect(&output.text()))?;
        let stats = Command::new(["docker", "stats", "--no-stream", "-a", "--format", "json"]);
        let output = run(&stats)?;
        require_success(&stats, &output)?;
        parsed(&stats, add_docker_stats(&mut containers, &output.text()))?;
        Ok(containers.iter().map(|c| record("container", c)).collect())
    }
}
