//! The issue's load: 1,000 hosts × 7 methods (system, ports, drives,
//! containers, zfs, proxy, logs), each host a collection job every 30 s
//! with 30 s of jitter, from one process, over a transport that answers
//! from the corpus's captured outputs at once. Prints the CPU this process
//! spent per 30 s of schedule, as a share of one core (goal: under 5%).
//!
//!     cargo bench -p infrarag-benches --bench collect_load
//!
//! Time is a ManualClock moved in 100 ms steps, each once the runs it
//! started have ended, so the figure is what the scheduler, the service
//! and the parsers cost, not how long the wall clock took. The waiting
//! between steps (sleeps of 200 µs) costs next to no CPU.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use infrarag::collect::{
    Caller, CollectionService, Command, CronSchedule, Failure, ManualClock, Output, RunOutcome,
    Scheduler, System, Transport, Trigger,
};

fn corpus(path: &str) -> String {
    std::fs::read_to_string(infrarag_tests::corpus().join("collectors").join(path))
        .expect("corpus file")
}

/// Command lines and what they print, as the tests' scripted hosts have.
fn answers() -> HashMap<String, (i32, String)> {
    let mut a = HashMap::new();
    let mut add = |line: &str, status: i32, text: String| {
        a.insert(line.to_string(), (status, text));
    };
    add("cat /proc/stat", 0, corpus("proc-stat/local-proc-stat.out"));
    add(
        "cat /proc/meminfo",
        0,
        corpus("proc-meminfo/local-proc-meminfo.out"),
    );
    add(
        "cat /proc/loadavg",
        0,
        corpus("proc-loadavg/local-proc-loadavg.out"),
    );
    add(
        "cat /proc/uptime",
        0,
        corpus("proc-uptime/local-proc-uptime.out"),
    );
    add("df -PT -B1", 0, corpus("df/local-df-PT-B1.out"));
    add(
        "cat /proc/diskstats",
        0,
        corpus("proc-diskstats/local-proc-diskstats.out"),
    );
    add(
        "cat /proc/net/dev",
        0,
        corpus("proc-net-dev/local-proc-net-dev.out"),
    );
    add("ss -tulpnH", 0, corpus("ss/local-ss-tulpnH.out"));
    add(
        "smartctl -j --scan",
        0,
        r#"{"devices": [{"name": "/dev/sda", "type": "sat", "protocol": "ATA"}]}"#.into(),
    );
    add(
        "smartctl -j -a -d sat /dev/sda",
        0,
        corpus("smartctl/scrutiny-smart-ata.json"),
    );
    add(
        "docker ps -a --no-trunc --format '{{.ID}}'",
        0,
        "5c1e8d0b6a2c\nb1e20e58e5c9\n".into(),
    );
    add(
        "docker inspect 5c1e8d0b6a2c b1e20e58e5c9",
        0,
        corpus("docker/docker-inspect-all.json"),
    );
    add(
        "docker stats --no-stream -a --format json",
        0,
        corpus("docker/docker-stats-no-stream-a-format-json.jsonl"),
    );
    add("zpool status -j --json-int", 2, String::new());
    add(
        "zpool status -v",
        0,
        corpus("zpool-status/generic-zpool-status-v4.out"),
    );
    add(
        "zfs list -j --json-int -t filesystem,volume,snapshot",
        0,
        corpus("zfs/zfs-list-j-t-filesystem-snapshot.json"),
    );
    add(
        "find /config/nginx/proxy-confs -maxdepth 1 -type f '(' -name '*.subdomain.conf' -o -name '*.subfolder.conf' ')'",
        0,
        "/config/nginx/proxy-confs/grafana.subdomain.conf\n".into(),
    );
    add(
        "cat -- /config/nginx/proxy-confs/grafana.subdomain.conf",
        0,
        corpus("swag/grafana.subdomain.conf.sample"),
    );
    add(
        "journalctl -o json --no-pager -n 100",
        0,
        corpus("journalctl/journalctl-t-disk-monitor-o-json.jsonl"),
    );
    a
}

struct Fixtures(Arc<HashMap<String, (i32, String)>>);

impl Transport for Fixtures {
    fn host(&self) -> &str {
        "fixtures"
    }

    fn run(&self, command: &Command) -> Result<Output, Failure> {
        let (status, text) = self
            .0
            .get(&command.line())
            .cloned()
            .unwrap_or((127, String::new()));
        Ok(Output {
            status: Some(status),
            stdout: text.into_bytes(),
            stderr: Vec::new(),
            truncated: false,
        })
    }
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 =
        fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0);
    ticks / 100.0
}

fn main() {
    const HOSTS: usize = 1000;
    const METHODS: [&str; 7] = [
        "system",
        "ports",
        "drives",
        "containers",
        "zfs",
        "proxy",
        "logs",
    ];
    let answers = Arc::new(answers());
    let mut builder = CollectionService::builder()
        .max_total(64)
        // The two /proc/stat samples a second apart are what a real host
        // needs; fixtures answer at once.
        .method(
            Arc::new(System {
                interval: Duration::ZERO,
            }),
            None,
        );
    for h in 0..HOSTS {
        builder = builder.host(format!("host{h:04}"), Arc::new(Fixtures(answers.clone())));
    }
    // Each method's records are fresh for less than the interval, so every
    // fire collects.
    for m in METHODS {
        builder = builder.ttl(m, Duration::from_secs(20));
    }
    let service = builder.build().expect("service");
    let start = CronSchedule::instant("2026-01-01T00:00:00Z").expect("time");
    let clock = Arc::new(ManualClock::new(start));
    let scheduler = Scheduler::with_clock(clock.clone());
    let every = Duration::from_secs(30);
    for h in 0..HOSTS {
        let host = format!("host{h:04}");
        let targets = METHODS
            .iter()
            .map(|m| (host.clone(), m.to_string()))
            .collect();
        scheduler
            .add_collection(
                host.clone(),
                Trigger::every(every).with_jitter(every),
                &service,
                targets,
                Caller::new("bench", "load"),
            )
            .expect("job");
    }
    // Runs end long before their next fire in real time; stepping the
    // clock only once they have keeps that true here.
    let idle = || {
        while scheduler.running() > 0 {
            std::thread::sleep(Duration::from_micros(200));
        }
    };
    // Warm up: the first 60 s of schedule fire every job once or twice.
    let step = Duration::from_millis(100);
    for _ in 0..600 {
        clock.advance(step);
        scheduler.tick();
        idle();
    }
    let runs_before = scheduler.history().len();
    let (cpu_before, wall_before) = (cpu_seconds(), Instant::now());
    // Measured: 90 s of schedule, three intervals.
    let mut fired = 0;
    for _ in 0..900 {
        clock.advance(step);
        fired += scheduler.tick();
        idle();
    }
    let (cpu, wall) = (cpu_seconds() - cpu_before, wall_before.elapsed());
    let history = scheduler.history();
    let measured = &history[runs_before..];
    let failed = measured
        .iter()
        .filter(|r| r.outcome != RunOutcome::Succeeded)
        .count();
    let collections = fired * METHODS.len();
    let per_interval = cpu / 3.0;
    println!(
        "collect_load: {HOSTS} hosts x {} methods every 30 s: {fired} job runs, {collections} collections in 90 s of schedule",
        METHODS.len()
    );
    println!(
        "collect_load: {cpu:.2} CPU s in {:.2} s of wall time: {:.2}% of one core ({:.1} µs of CPU a collection); {failed} runs failed",
        wall.as_secs_f64(),
        per_interval / 30.0 * 100.0,
        cpu / collections as f64 * 1e6
    );
    if let Some(r) = measured.iter().find(|r| r.outcome != RunOutcome::Succeeded) {
        println!("collect_load: a failed run: {r:?}");
    }
    let _ = scheduler.shutdown(Duration::from_secs(10));
}
