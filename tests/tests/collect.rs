//! The collectors' parsers against jc's parses of the same outputs
//! (`../shared/corpus/collectors/`, see its SOURCES.md), field by field.
//! jc's names and units differ from ours; each comparison maps one onto the
//! other and counts the values that agree. Every value must.

use std::collections::BTreeMap;
use std::path::PathBuf;

use infrarag::collect::{
    parse_df, parse_diskstats, parse_loadavg, parse_meminfo, parse_net_dev, parse_proc_stat,
    parse_ss, parse_uptime,
};
use serde_json::Value;

fn dir(name: &str) -> PathBuf {
    infrarag_tests::corpus().join("collectors").join(name)
}

/// Every `.out` in `folder` that has a `.json` beside it (and whose name
/// starts with one of `prefixes`, when given), with both read.
fn pairs(folder: &str, only: &[&str]) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "out"))
        .collect();
    names.sort();
    for out_path in names {
        let name = out_path.file_stem().unwrap().to_string_lossy().to_string();
        let json_path = out_path.with_extension("json");
        if !json_path.is_file() || !(only.is_empty() || only.iter().any(|p| name.contains(p))) {
            continue;
        }
        let text = std::fs::read_to_string(&out_path).unwrap();
        let json = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
        out.push((name, text, json));
    }
    assert!(!out.is_empty(), "no fixtures in {folder}");
    out
}

/// Counts agreements between jc's `expected` and our `actual`; a
/// disagreement is listed with where it is.
#[derive(Default)]
struct Tally {
    agree: usize,
    differ: Vec<String>,
}

impl Tally {
    fn check(&mut self, at: &str, expected: &Value, actual: &Value) {
        let same = match (expected.as_f64(), actual.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => expected == actual,
        };
        if same {
            self.agree += 1;
        } else {
            self.differ
                .push(format!("{at}: jc {expected}, ours {actual}"));
        }
    }

    fn finish(self, what: &str, min: usize) {
        println!(
            "{what}: {} values agree, {} differ",
            self.agree,
            self.differ.len()
        );
        assert!(
            self.differ.is_empty(),
            "{what}:\n{}",
            self.differ.join("\n")
        );
        assert!(
            self.agree >= min,
            "{what}: only {} values compared",
            self.agree
        );
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn proc_stat_cpu_lines_agree_with_jc() {
    let mut t = Tally::default();
    for (name, text, jc) in pairs("proc-stat", &[]) {
        // jc keeps the last value of a cpu named twice (stat2 holds two
        // samples); so does this map.
        let ours: BTreeMap<String, Value> = parse_proc_stat(&text)
            .unwrap()
            .iter()
            .map(|c| (c.cpu.clone(), to_value(c)))
            .collect();
        let jc = jc.as_object().unwrap();
        for (cpu, fields) in jc.iter().filter(|(k, _)| k.starts_with("cpu")) {
            for (field, value) in fields.as_object().unwrap() {
                t.check(&format!("{name} {cpu}.{field}"), value, &ours[cpu][field]);
            }
        }
        assert_eq!(
            ours.len(),
            jc.keys().filter(|k| k.starts_with("cpu")).count(),
            "{name}"
        );
    }
    t.finish("/proc/stat vs jc", 100);
}

#[test]
fn meminfo_agrees_with_jc_in_bytes() {
    let mut t = Tally::default();
    for (name, text, jc) in pairs("proc-meminfo", &[]) {
        let ours = parse_meminfo(&text).unwrap();
        let in_kb: BTreeMap<&str, bool> = text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k, v.trim_end().ends_with("kB")))
            .collect();
        let jc = jc.as_object().unwrap();
        assert_eq!(ours.fields.len(), jc.len(), "{name}");
        for (key, value) in jc {
            let scale = if in_kb[key.as_str()] { 1024 } else { 1 };
            let expected = Value::from(value.as_u64().unwrap() * scale);
            t.check(
                &format!("{name} {key}"),
                &expected,
                &Value::from(ours.fields.get(key).unwrap()),
            );
        }
        assert_eq!(ours.total_bytes, jc["MemTotal"].as_u64().unwrap() * 1024);
    }
    t.finish("/proc/meminfo vs jc", 100);
}

#[test]
fn loadavg_and_uptime_agree_with_jc() {
    let mut t = Tally::default();
    for (name, text, jc) in pairs("proc-loadavg", &[]) {
        let ours = to_value(&parse_loadavg(&text).unwrap());
        for (theirs, mine) in [
            ("load_1m", "load_1m"),
            ("load_5m", "load_5m"),
            ("load_15m", "load_15m"),
            ("running", "running"),
            ("available", "tasks"),
            ("last_pid", "last_pid"),
        ] {
            t.check(&format!("{name} {theirs}"), &jc[theirs], &ours[mine]);
        }
    }
    for (name, text, jc) in pairs("proc-uptime", &[]) {
        let ours = to_value(&parse_uptime(&text).unwrap());
        t.check(
            &format!("{name} up_time"),
            &jc["up_time"],
            &ours["uptime_seconds"],
        );
        t.check(
            &format!("{name} idle_time"),
            &jc["idle_time"],
            &ours["idle_seconds"],
        );
    }
    t.finish("/proc/loadavg and /proc/uptime vs jc", 16);
}

#[test]
fn net_dev_agrees_with_jc() {
    let names = [
        ("r_bytes", "rx_bytes"),
        ("r_packets", "rx_packets"),
        ("r_errs", "rx_errors"),
        ("r_drop", "rx_dropped"),
        ("r_fifo", "rx_fifo"),
        ("r_frame", "rx_frame"),
        ("r_compressed", "rx_compressed"),
        ("r_multicast", "rx_multicast"),
        ("t_bytes", "tx_bytes"),
        ("t_packets", "tx_packets"),
        ("t_errs", "tx_errors"),
        ("t_drop", "tx_dropped"),
        ("t_fifo", "tx_fifo"),
        ("t_colls", "tx_collisions"),
        ("t_carrier", "tx_carrier"),
        ("t_compressed", "tx_compressed"),
        ("interface", "interface"),
    ];
    let mut t = Tally::default();
    for (name, text, jc) in pairs("proc-net-dev", &[]) {
        let ours = parse_net_dev(&text).unwrap();
        let jc = jc.as_array().unwrap();
        assert_eq!(ours.len(), jc.len(), "{name}");
        for (theirs, mine) in jc.iter().zip(&ours) {
            let mine = to_value(mine);
            for (a, b) in names {
                t.check(
                    &format!("{name} {} {a}", mine["interface"]),
                    &theirs[a],
                    &mine[b],
                );
            }
        }
    }
    t.finish("/proc/net/dev vs jc", 100);
}

#[test]
fn diskstats_agree_with_jc() {
    let names = [
        ("maj", "major"),
        ("min", "minor"),
        ("device", "device"),
        ("reads_completed", "reads_completed"),
        ("reads_merged", "reads_merged"),
        ("sectors_read", "sectors_read"),
        ("read_time_ms", "read_time_ms"),
        ("writes_completed", "writes_completed"),
        ("writes_merged", "writes_merged"),
        ("sectors_written", "sectors_written"),
        ("write_time_ms", "write_time_ms"),
        ("io_in_progress", "io_in_progress"),
        ("io_time_ms", "io_time_ms"),
        ("weighted_io_time_ms", "weighted_io_time_ms"),
        ("discards_completed_successfully", "discards_completed"),
        ("discards_merged", "discards_merged"),
        ("sectors_discarded", "sectors_discarded"),
        ("discarding_time_ms", "discard_time_ms"),
        ("flush_requests_completed_successfully", "flushes_completed"),
        ("flushing_time_ms", "flush_time_ms"),
    ];
    let mut t = Tally::default();
    for (name, text, jc) in pairs("proc-diskstats", &[]) {
        let ours = parse_diskstats(&text).unwrap();
        let jc = jc.as_array().unwrap();
        assert_eq!(ours.len(), jc.len(), "{name}");
        for (theirs, mine) in jc.iter().zip(&ours) {
            let mine = to_value(mine);
            for (a, b) in names {
                if let Some(expected) = theirs.get(a) {
                    t.check(
                        &format!("{name} {} {a}", mine["device"]),
                        expected,
                        &mine[b],
                    );
                }
            }
        }
    }
    t.finish("/proc/diskstats vs jc", 500);
}

#[test]
fn df_in_bytes_agrees_with_jc() {
    let mut t = Tally::default();
    // Only `df -PT -B1`, the format the system method runs, is in bytes; the
    // other fixtures (`df -h`, macOS) are other formats.
    for (name, text, jc) in pairs("df", &["-PT-B1"]) {
        let ours = parse_df(&text).unwrap();
        let jc = jc.as_array().unwrap();
        assert_eq!(ours.len(), jc.len(), "{name}");
        for (theirs, mine) in jc.iter().zip(&ours) {
            let mine = to_value(mine);
            for (a, b) in [
                ("filesystem", "filesystem"),
                ("type", "type"),
                ("1_blocks", "size_bytes"),
                ("used", "used_bytes"),
                ("available", "available_bytes"),
                ("capacity_percent", "capacity_percent"),
                ("mounted_on", "mount_point"),
            ] {
                t.check(
                    &format!("{name} {} {a}", mine["mount_point"]),
                    &theirs[a],
                    &mine[b],
                );
            }
        }
    }
    t.finish("df -PT -B1 vs jc", 20);
}

#[test]
fn ss_listeners_agree_with_jc() {
    let mut t = Tally::default();
    for (name, text, jc) in pairs("ss", &["tulpn"]) {
        let ours = parse_ss(&text).unwrap();
        let jc = jc.as_array().unwrap();
        assert_eq!(ours.len(), jc.len(), "{name}");
        for (theirs, mine) in jc.iter().zip(&ours) {
            let at = format!("{name} {}:{:?}", mine.local_address, mine.local_port);
            let v = to_value(mine);
            for (a, b) in [
                ("netid", "protocol"),
                ("state", "state"),
                ("recv_q", "recv_q"),
                ("send_q", "send_q"),
            ] {
                t.check(&format!("{at} {a}"), &theirs[a], &v[b]);
            }
            // jc keeps an IPv6 address's brackets (`[::1]`); ours are bare.
            let bare = |a: &Value| {
                Value::from(
                    a.as_str()
                        .unwrap()
                        .trim_start_matches('[')
                        .trim_end_matches(']'),
                )
            };
            for a in ["local_address", "peer_address"] {
                t.check(&format!("{at} {a}"), &bare(&theirs[a]), &v[a]);
            }
            let port = |p: &Value| match p.as_str() {
                Some("*") => Value::Null,
                Some(n) => Value::from(n.parse::<u64>().unwrap()),
                None => Value::Null,
            };
            t.check(
                &format!("{at} local_port"),
                &port(&theirs["local_port"]),
                &v["local_port"],
            );
            t.check(
                &format!("{at} peer_port"),
                &port(&theirs["peer_port"]),
                &v["peer_port"],
            );
            // jc keeps a process's name under `user`, keyed by pid.
            let theirs_procs: Vec<(u64, String, String)> = theirs["opts"]["process_id"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(pid, p)| {
                            let field = |k: &str| p[k].as_str().unwrap_or("").to_string();
                            (
                                pid.parse().unwrap(),
                                field("user"),
                                field("file_descriptor"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mine_procs: Vec<(u64, String, String)> = mine
                .processes
                .iter()
                .map(|p| (u64::from(p.pid), p.name.clone(), p.fd.to_string()))
                .collect();
            t.check(
                &format!("{at} processes"),
                &to_value(&theirs_procs),
                &to_value(&mine_procs),
            );
        }
    }
    // The header-less capture the method runs (`ss -tulpnH`) has no jc
    // parse (jc rejects it); it must give what the same sockets with the
    // header give.
    let with = std::fs::read_to_string(dir("ss").join("local-ss-tulpn.out")).unwrap();
    let without = std::fs::read_to_string(dir("ss").join("local-ss-tulpnH.out")).unwrap();
    assert_eq!(parse_ss(&with).unwrap(), parse_ss(&without).unwrap());
    t.finish("ss -tulpn vs jc", 80);
}

#[test]
fn parse_errors_name_the_line() {
    assert_eq!(parse_loadavg("1.0 2.0 x 1/2 3").unwrap_err().0, 1);
    let (line, message) = parse_meminfo("MemTotal: 10 kB\nMemFree: lots kB\n").unwrap_err();
    assert_eq!(line, 2);
    assert!(message.contains("lots"), "{message}");
    let (line, _) = parse_net_dev("h1\nh2\n  lo: 1 2 3\n").unwrap_err();
    assert_eq!(line, 3);
    let (line, _) =
        parse_df("Filesystem Type 1-blocks Used Available Capacity Mounted\n/dev/x ext4 1 2\n")
            .unwrap_err();
    assert_eq!(line, 2);
    assert!(parse_proc_stat("intr 1 2\n").is_err());
    // A users column cut or garbled on a remote host; these panicked.
    let line = "tcp LISTEN 0 511 0.0.0.0:8080 0.0.0.0:* ";
    for users in [
        "users:(()",
        "users:((é\"nginx\",pid=1,fd=3))",
        "users:((\"nginx\"))",
    ] {
        let (n, message) = parse_ss(&format!(
            "{line}users:((\"a\",pid=1,fd=2))\n{line}{users}\n"
        ))
        .expect_err(users);
        assert_eq!(n, 2, "{users}: {message}");
    }
}

#[test]
fn smartctl_output_and_its_exit_status_bits() {
    use infrarag::collect::{parse_smartctl, parse_smartctl_scan, SmartStatus};
    let read = |name: &str| std::fs::read_to_string(dir("smartctl").join(name)).unwrap();
    let mut parsed = 0;
    for entry in std::fs::read_dir(dir("smartctl")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if !name.contains("scan") {
            parse_smartctl(&read(&name), "/dev/x", 0).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            parsed += 1;
        }
    }
    assert_eq!(parsed, 23);

    let ata = parse_smartctl(&read("scrutiny-smart-ata.json"), "/dev/sdb", 0).unwrap();
    assert_eq!(ata.model.as_deref(), Some("WDC WD140EDFZ-11A0VA0"));
    assert_eq!(
        (ata.capacity_bytes, ata.temperature_celsius),
        (Some(14_000_519_643_136), Some(32))
    );
    assert_eq!(
        (ata.power_on_hours, ata.power_cycles, ata.smart_passed),
        (Some(1730), Some(9), Some(true))
    );
    assert_eq!(
        (ata.protocol.as_deref(), ata.device_type.as_deref()),
        (Some("ATA"), Some("sat"))
    );
    assert_eq!(ata.attributes[0].name, "Raw_Read_Error_Rate");
    assert!(ata.attributes[0].prefailure && ata.status == SmartStatus::decode(0));

    let nvme = parse_smartctl(&read("scrutiny-smart-nvme.json"), "/dev/nvme0", 0).unwrap();
    assert_eq!(
        (nvme.percentage_used, nvme.media_errors, nvme.power_on_hours),
        (Some(0), Some(0), Some(2401))
    );
    assert!(nvme.attributes.is_empty());

    // 216 = bits 3, 4, 6 and 7 (SOURCES.md): failing, prefail at threshold,
    // errors logged, self-test errors; SMART says it did not pass.
    let failing = parse_smartctl(&read("scrutiny-smart-fail2.json"), "/dev/sdc", 0).unwrap();
    let s = failing.status;
    assert_eq!(s.code, 216);
    assert!(
        s.disk_failing
            && s.prefail_below_threshold
            && s.error_log_has_records
            && s.self_test_errors
    );
    assert!(!s.command_line && !s.open_failed && !s.command_failed && !s.past_below_threshold);
    assert_eq!(failing.smart_passed, Some(false));
    // 2: the device could not be opened; there is no device section.
    let closed = parse_smartctl(&read("scrutiny-smart-fail.json"), "/dev/sda", 0).unwrap();
    assert!(closed.status.open_failed && closed.model.is_none() && closed.device == "/dev/sda");
    assert!(
        closed.messages.iter().any(|m| m.contains("Open failed")),
        "{:?}",
        closed.messages
    );
    // 4 behind MegaRAID: a command failed; the drive still reads.
    let raid = parse_smartctl(&read("scrutiny-smart-megaraid0.json"), "/dev/sda", 0).unwrap();
    assert!(raid.status.command_failed && raid.model.is_some());

    let scan = parse_smartctl_scan(&read("scrutiny-smartctl_scan_simple.json")).unwrap();
    assert_eq!(scan[0], ("/dev/sda".to_string(), Some("scsi".to_string())));
    assert!(parse_smartctl_scan(&read("local-smartctl-j-scan.json"))
        .unwrap()
        .is_empty());
    assert_eq!(parse_smartctl("{ not json", "/dev/x", 0).unwrap_err().0, 1);
}

#[test]
fn docker_cli_output_agrees_with_the_engine_it_came_from() {
    use infrarag::collect::{add_docker_stats, parse_docker_inspect, parse_size};
    let read = |name: &str| std::fs::read_to_string(dir("docker").join(name)).unwrap();
    let engine = |name: &str| -> Value {
        serde_json::from_str(&read(&format!("engine/containers-{name}-json.json"))).unwrap()
    };
    let mut containers = parse_docker_inspect(&read("docker-inspect-all.json")).unwrap();
    add_docker_stats(
        &mut containers,
        &read("docker-stats-no-stream-a-format-json.jsonl"),
    )
    .unwrap();
    assert_eq!(containers.len(), 5);
    let mut t = Tally::default();
    for c in &containers {
        let e = engine(&c.name);
        t.check(
            &format!("{} id", c.name),
            &e["Id"],
            &Value::from(c.id.clone()),
        );
        t.check(
            &format!("{} state", c.name),
            &e["State"]["Status"],
            &Value::from(c.state.clone()),
        );
        t.check(
            &format!("{} restarts", c.name),
            &e["RestartCount"],
            &Value::from(c.restart_count),
        );
        t.check(
            &format!("{} exit", c.name),
            &e["State"]["ExitCode"],
            &Value::from(c.exit_code),
        );
        let health = e["State"]["Health"]["Status"].clone();
        t.check(&format!("{} health", c.name), &health, &to_value(&c.health));
        let labels = e["Config"]["Labels"].as_object().map_or(0, |m| m.len());
        t.check(
            &format!("{} labels", c.name),
            &Value::from(labels),
            &Value::from(c.labels.len()),
        );
        let published: usize = e["NetworkSettings"]["Ports"].as_object().map_or(0, |m| {
            m.values()
                .map(|b| b.as_array().map_or(1, |a| a.len().max(1)))
                .sum()
        });
        t.check(
            &format!("{} ports", c.name),
            &Value::from(published),
            &Value::from(c.ports.len()),
        );
    }
    t.finish("docker inspect against the engine", 35);

    // Stats are rounded by the CLI to four significant digits; the engine's
    // raw figures must be within that rounding.
    let app = containers.iter().find(|c| c.name == "cloud-app-1").unwrap();
    let stats: Value =
        serde_json::from_str(&read("engine/containers-cloud-app-1-stats.json")).unwrap();
    let memory = stats["memory_stats"]["usage"].as_u64().unwrap()
        - stats["memory_stats"]["stats"]["inactive_file"]
            .as_u64()
            .unwrap();
    let shown = app.memory_usage_bytes.unwrap();
    assert!(shown.abs_diff(memory) < 60_000, "{shown} vs {memory}");
    assert_eq!(
        app.memory_limit_bytes,
        stats["memory_stats"]["limit"].as_u64()
    );
    let rx = stats["networks"]["eth0"]["rx_bytes"].as_u64().unwrap();
    assert!(app.net_rx_bytes.unwrap().abs_diff(rx) < 100_000);
    assert_eq!(app.pids, Some(58));
    assert_eq!(
        (
            app.compose_project.as_deref(),
            app.compose_service.as_deref()
        ),
        (Some("cloud"), Some("app"))
    );
    let db = containers.iter().find(|c| c.name == "cloud-db-1").unwrap();
    assert_eq!(db.ports[0].host_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        (db.ports[0].container_port, db.ports[0].host_port),
        (5432, Some(5432))
    );
    assert_eq!(parse_size("1.2GB"), Some(1_200_000_000));
    assert_eq!(parse_size("2GiB"), Some(2 << 30));
    assert_eq!(parse_size("12 parsecs"), None);
}

#[test]
fn zpool_status_text_agrees_with_jc_and_keeps_the_tree() {
    use infrarag::collect::parse_zpool_status_text;
    let mut t = Tally::default();
    for (name, text, jc) in pairs("zpool-status", &[]) {
        let ours = parse_zpool_status_text(&text).unwrap();
        let jc = jc.as_array().unwrap();
        assert_eq!(ours.len(), jc.len(), "{name}");
        for (theirs, mine) in jc.iter().zip(&ours) {
            let at = format!("{name} {}", mine.name);
            t.check(
                &format!("{at} pool"),
                &theirs["pool"],
                &Value::from(mine.name.clone()),
            );
            t.check(
                &format!("{at} state"),
                &theirs["state"],
                &Value::from(mine.state.clone()),
            );
            // Old releases head the scan `scrub:`; jc keeps that name.
            for (a, b) in [
                ("status", "status"),
                ("action", "action"),
                ("scan", "scan"),
                ("scrub", "scan"),
                ("see", "see"),
                ("errors", "errors"),
            ] {
                if let Some(expected) = theirs.get(a) {
                    t.check(&format!("{at} {a}"), expected, &to_value(mine)[b]);
                }
            }
            let config = theirs["config"].as_array().unwrap();
            assert_eq!(config.len(), mine.vdevs.len(), "{at} config rows");
            for (row, vdev) in config.iter().zip(&mine.vdevs) {
                let v = to_value(vdev);
                t.check(&format!("{at} {}", vdev.name), &row["name"], &v["name"]);
                for (a, b) in [
                    ("state", "state"),
                    ("read", "read_errors"),
                    ("write", "write_errors"),
                    ("checksum", "checksum_errors"),
                ] {
                    if let Some(expected) = row.get(a) {
                        t.check(&format!("{at} {} {a}", vdev.name), expected, &v[b]);
                    }
                }
            }
        }
    }
    t.finish("zpool status vs jc", 200);

    // jc flattens the tree; ours keeps its depth.
    let text =
        std::fs::read_to_string(dir("zpool-status").join("generic-zpool-status-v4.out")).unwrap();
    let pool = &parse_zpool_status_text(&text).unwrap()[0];
    let depths: Vec<(String, usize)> = pool
        .vdevs
        .iter()
        .map(|v| (v.name.clone(), v.depth))
        .take(3)
        .collect();
    assert_eq!(
        depths,
        [
            ("pool1".into(), 0),
            ("mirror-0".into(), 1),
            ("wwn-0x5000c500c65ac66f".into(), 2)
        ]
    );
}

#[test]
fn zpool_and_zfs_json_from_the_openzfs_manual() {
    use infrarag::collect::{parse_zfs_list_json, parse_zpool_status_json};
    let read = |name: &str| std::fs::read_to_string(dir("zfs").join(name)).unwrap();
    let pools = parse_zpool_status_json(&read("zpool-status-j-c.json")).unwrap();
    let tank = &pools[0];
    assert_eq!(
        (
            tank.name.as_str(),
            tank.state.as_str(),
            tank.errors.as_deref()
        ),
        ("tank", "ONLINE", Some("0"))
    );
    assert_eq!(
        (tank.vdevs[0].name.as_str(), tank.vdevs[0].depth),
        ("tank", 0)
    );
    assert_eq!(
        (tank.vdevs[1].name.as_str(), tank.vdevs[1].depth),
        ("raidz1-0", 1)
    );
    assert!(tank
        .vdevs
        .iter()
        .any(|v| v.depth == 2 && v.state.as_deref() == Some("HEALTHY")));
    let datasets = parse_zfs_list_json(&read("zfs-list-j-t-filesystem-snapshot.json")).unwrap();
    let root = datasets.iter().find(|d| d.name == "pool").unwrap();
    // 290K and 30.5G, binary units, as `zfs list` prints them.
    assert_eq!(
        (root.used_bytes, root.available_bytes),
        (
            Some(290 * 1024),
            Some((30.5 * f64::from(1u32 << 30)) as u64)
        )
    );
    assert_eq!(root.mountpoint.as_deref(), Some("/pool"));
    assert!(datasets
        .iter()
        .any(|d| d.kind == "SNAPSHOT" && d.name.contains('@')));
}

#[test]
fn nginx_site_files_parse_as_crossplane_parses_them() {
    use infrarag::collect::{parse_nginx, proxy_site};
    let mut files = 0;
    let mut t = Tally::default();
    let mut names: Vec<_> = std::fs::read_dir(dir("swag"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sample"))
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let crossplane: Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("sample.json")).unwrap(),
        )
        .unwrap();
        let expected = &crossplane["config"][0]["parsed"];
        let ours = to_value(&parse_nginx(&text).unwrap());
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // Every directive (and comment) compared where it stands.
        fn walk(at: &str, a: &Value, b: &Value, t: &mut Tally) {
            let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
            t.check(
                &format!("{at} count"),
                &Value::from(a.len()),
                &Value::from(b.len()),
            );
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let here = format!("{at}[{i}] line {}", x["line"]);
                for key in ["directive", "line", "args", "comment"] {
                    t.check(&format!("{here} {key}"), &x[key], &y[key]);
                }
                if x.get("block").is_some() || y.get("block").is_some() {
                    walk(&here, &x["block"], &y["block"], t);
                }
            }
        }
        walk(&name, expected, &ours, &mut t);
        files += 1;
        let site = proxy_site(&name, &text).unwrap();
        assert!(!site.upstreams.is_empty(), "{name}: no upstream");
    }
    assert_eq!(files, 30);
    t.finish("nginx site files vs crossplane", 3000);

    let read = |n: &str| std::fs::read_to_string(dir("swag").join(n)).unwrap();
    let grafana = proxy_site(
        "grafana.subdomain.conf",
        &read("grafana.subdomain.conf.sample"),
    )
    .unwrap();
    assert_eq!(grafana.server_names, ["grafana.*"]);
    assert_eq!(grafana.listen_ports, [443]);
    assert_eq!(grafana.kind, "subdomain");
    let api = &grafana.upstreams[1];
    assert_eq!(
        (api.location.as_str(), api.app.as_deref(), api.port),
        ("~ (/grafana)?/api", Some("grafana"), Some(3000))
    );
    assert_eq!(
        api.proxy_pass.as_deref(),
        Some("$upstream_proto://$upstream_app:$upstream_port")
    );
    assert!(
        grafana.auth.is_empty(),
        "the auth includes are commented out"
    );
    let enabled = read("grafana.subdomain.conf.sample").replace(
        "#include /config/nginx/authelia-server.conf;",
        "include /config/nginx/authelia-server.conf;",
    );
    let with_auth = proxy_site("grafana.subdomain.conf", &enabled).unwrap();
    assert_eq!(with_auth.auth, ["authelia"]);
    assert_ne!(with_auth.content_hash, grafana.content_hash);
    assert_eq!(parse_nginx("server {\n  listen 80;\n").unwrap_err().0, 2);
}

/// The journal captures, against what SOURCES.md says of each (entries and
/// priorities) and values read off the files by hand.
#[test]
fn journal_entries_from_journalctl_json() {
    let read = |name: &str| {
        let text = std::fs::read_to_string(
            dir("journalctl").join(format!("journalctl-t-{name}-o-json.jsonl")),
        )
        .unwrap();
        infrarag::collect::parse_journal(&text, false).unwrap()
    };
    let priorities = |entries: &[infrarag::collect::LogEntry]| {
        entries
            .iter()
            .map(|e| e.priority.unwrap())
            .collect::<Vec<_>>()
    };
    let disk = read("disk-monitor");
    assert_eq!(priorities(&disk), [2, 1, 3, 7, 6, 6]);
    assert_eq!(disk[0].time, "2026-12-02T16:17:19.065019Z");
    assert_eq!(disk[0].time_us, 1_796_228_239_065_019);
    assert_eq!(disk[0].identifier.as_deref(), Some("disk-monitor"));
    assert_eq!(disk[0].stream.as_deref(), Some("stdout"));
    assert_eq!(disk[0].pid, Some(16954));
    assert_eq!(
        disk[0].message,
        "/dev/sda: SMART overall-health self-assessment test result: FAILED!"
    );
    assert!(disk[0]
        .cursor
        .as_deref()
        .unwrap()
        .starts_with("s=ffc84376684348cd80bb9118d571b643;i=163;"));
    // MESSAGE as an array of bytes (not UTF-8): decoded with replacement.
    assert!(disk
        .iter()
        .any(|e| e.message == "raw bytes: \u{fffd}\u{fffd} invalid utf-8 \u{fffd} end"));
    assert!(disk
        .iter()
        .any(|e| e.message == "température du disque: 47 °C — seuil 55 °C ✓"));
    assert_eq!(priorities(&read("disk-monitor-p0to3")), [2, 1, 3]);
    assert_eq!(priorities(&read("swag-healthcheck")), [6, 4, 5]);
    assert_eq!(priorities(&read("backup")), [6, 3, 3, 4]);
    let prefixed = read("level-prefix");
    assert_eq!(priorities(&prefixed), [3, 6, 5, 6, 6]);
    assert_eq!(
        prefixed[3].message,
        "tab\tseparated\tfields and \"quotes\" and back\\slash"
    );
    assert_eq!(prefixed[4].message.len(), 3000);
    // The journal gives no unit here: journald was not run by systemd.
    assert!(disk.iter().all(|e| e.unit.is_none()));

    // A last line cut by the output limit waits for the next poll; a cut
    // line elsewhere is an error naming it.
    let text = std::fs::read_to_string(dir("journalctl").join("journalctl-t-backup-o-json.jsonl"))
        .unwrap();
    let cut = &text[..text.len() - 40];
    let kept = infrarag::collect::parse_journal(cut, true).unwrap();
    assert_eq!(kept.len(), 3);
    let e = infrarag::collect::parse_journal(cut, false).unwrap_err();
    assert_eq!(e.0, 4);
}

/// `docker logs --timestamps` lines, hand-written in docker's format.
#[test]
fn docker_log_lines() {
    let out =
        "2026-12-02T16:17:19.065019123Z listening on :8080\n2026-12-02T16:17:20.000000001Z ready\n";
    let entries = infrarag::collect::parse_docker_logs(out, "app", "stdout").unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].time_us, 1_796_228_239_065_019);
    assert_eq!(entries[0].message, "listening on :8080");
    assert_eq!(entries[1].stream.as_deref(), Some("stdout"));
    let e = infrarag::collect::parse_docker_logs("yesterday oops\n", "app", "stderr").unwrap_err();
    assert_eq!(e.0, 1);
}
