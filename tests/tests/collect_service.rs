//! The collection service: cache, shared runs, limits, retries, typed
//! failures and the audit trail, over a transport that answers from the
//! corpus's captured outputs (and counts what it is asked), and the real
//! local transport.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use infrarag::collect::{
    Caller, CollectionService, Command, Failure, Local, Outcome, Output, RecordQuery, Transport,
};
use infrarag::Error;

/// Answers each command line from a table, after `delay`, counting calls
/// and the most run at once; `fail_first` transport failures come first.
struct Scripted {
    answers: HashMap<String, (i32, String)>,
    delay: Duration,
    calls: AtomicUsize,
    running: AtomicUsize,
    most: AtomicUsize,
    fail_first: AtomicUsize,
    log: Mutex<Vec<String>>,
}

fn corpus(path: &str) -> String {
    std::fs::read_to_string(infrarag_tests::corpus().join("collectors").join(path)).unwrap()
}

impl Scripted {
    fn new(delay: Duration) -> Scripted {
        let mut answers = HashMap::new();
        let mut add = |line: &str, file: &str| {
            answers.insert(line.to_string(), (0, corpus(file)));
        };
        add("cat /proc/stat", "proc-stat/local-proc-stat.out");
        add("cat /proc/meminfo", "proc-meminfo/local-proc-meminfo.out");
        add("cat /proc/loadavg", "proc-loadavg/local-proc-loadavg.out");
        add("cat /proc/uptime", "proc-uptime/local-proc-uptime.out");
        add("df -PT -B1", "df/local-df-PT-B1.out");
        add(
            "cat /proc/diskstats",
            "proc-diskstats/local-proc-diskstats.out",
        );
        add("cat /proc/net/dev", "proc-net-dev/local-proc-net-dev.out");
        add("ss -tulpnH", "ss/local-ss-tulpnH.out");
        Scripted {
            answers,
            delay,
            calls: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            fail_first: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
        }
    }

    fn answer(mut self, line: &str, status: i32, stdout: &str) -> Scripted {
        self.answers.insert(line.into(), (status, stdout.into()));
        self
    }
}

impl Transport for Scripted {
    fn host(&self) -> &str {
        "scripted"
    }

    fn run(&self, command: &Command) -> Result<Output, Failure> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.log.lock().unwrap().push(command.line());
        if self
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(Failure::Transport("connection reset by peer".into()));
        }
        let (status, stdout) = self
            .answers
            .get(&command.line())
            .cloned()
            .unwrap_or((127, String::new()));
        Ok(Output {
            status: Some(status),
            stdout: stdout.into_bytes(),
            stderr: if status == 127 {
                b"sh: not found".to_vec()
            } else {
                Vec::new()
            },
            truncated: false,
        })
    }
}

fn caller() -> Caller {
    Caller::new("test", "checking the service")
}

fn service(host: Arc<Scripted>) -> CollectionService {
    CollectionService::builder()
        .host("web1", host)
        .method(
            Arc::new(infrarag::collect::System {
                interval: Duration::ZERO,
            }),
            None,
        )
        .retries(2, Duration::from_millis(1))
        .build()
        .unwrap()
}

#[test]
fn a_collection_is_typed_cached_and_audited() {
    let host = Arc::new(Scripted::new(Duration::ZERO));
    let svc = service(host.clone());
    let first = svc.collect("web1", "system", &caller()).unwrap();
    assert!(!first.cached);
    let kinds: Vec<&str> = first.records.iter().map(|r| r.kind.as_str()).collect();
    for kind in [
        "cpu",
        "memory",
        "load",
        "uptime",
        "filesystem",
        "disk_io",
        "net_io",
    ] {
        assert!(kinds.contains(&kind), "no {kind} record in {kinds:?}");
    }
    let memory = first.records.iter().find(|r| r.kind == "memory").unwrap();
    assert_eq!(memory.data["total_bytes"], 24_683_568u64 * 1024);
    let calls = host.calls.load(Ordering::SeqCst);
    assert_eq!(calls, 8, "two /proc/stat samples and six other reads");

    let again = svc.collect("web1", "system", &caller()).unwrap();
    assert!(again.cached && again.records == first.records && again.taken_at == first.taken_at);
    assert_eq!(
        host.calls.load(Ordering::SeqCst),
        calls,
        "a cache hit runs nothing"
    );

    let audit = svc.store().audit(&RecordQuery::default()).unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(
        (audit[0].outcome, audit[1].outcome),
        (Outcome::Collected, Outcome::Cached)
    );
    assert_eq!(audit[0].commands.len(), 8);
    assert_eq!(audit[0].records_written, first.records.len());
    assert!(audit[0].bytes_read > 1000 && audit[0].time.ends_with('Z'));
    assert_eq!(
        (audit[1].actor.as_str(), audit[1].reason.as_str()),
        ("test", "checking the service")
    );
    let stored = svc.store().latest("web1", "system").unwrap();
    assert_eq!(stored.len(), first.records.len());
    assert!(stored.iter().all(|r| r.entry == first.audit_id));
}

#[test]
fn identical_concurrent_calls_share_one_run() {
    let host = Arc::new(Scripted::new(Duration::from_millis(20)));
    let svc = CollectionService::builder()
        .host("web1", host.clone())
        .build()
        .unwrap();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| s.spawn(|| svc.collect("web1", "ports", &caller()).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        host.calls.load(Ordering::SeqCst),
        1,
        "one ss for ten callers"
    );
    assert!(results
        .iter()
        .all(|r| r.records == results[0].records && r.records.len() == 9));
    let audit = svc.store().audit(&RecordQuery::default()).unwrap();
    assert_eq!(audit.len(), 10);
    let collected = audit
        .iter()
        .filter(|e| e.outcome == Outcome::Collected)
        .count();
    assert_eq!(collected, 1);
    assert!(audit.iter().all(|e| matches!(
        e.outcome,
        Outcome::Collected | Outcome::Shared | Outcome::Cached
    )));
    // Records are stored once, with the entry that collected them.
    let records = svc.store().records(&RecordQuery::default()).unwrap();
    assert_eq!(records.len(), 9);
}

#[test]
fn the_per_host_limit_holds_under_load() {
    let hosts: Vec<Arc<Scripted>> = (0..5)
        .map(|_| Arc::new(Scripted::new(Duration::from_millis(5))))
        .collect();
    let mut builder = CollectionService::builder()
        .max_per_host(2)
        .ttl("ports", Duration::ZERO);
    for (i, h) in hosts.iter().enumerate() {
        builder = builder.host(format!("h{i}"), h.clone());
    }
    let svc = builder.build().unwrap();
    std::thread::scope(|s| {
        for i in 0..40 {
            let svc = &svc;
            s.spawn(move || {
                svc.collect(&format!("h{}", i % 5), "ports", &caller())
                    .unwrap()
            });
        }
    });
    for h in &hosts {
        assert!(
            h.most.load(Ordering::SeqCst) <= 2,
            "{} at once",
            h.most.load(Ordering::SeqCst)
        );
    }
    assert_eq!(
        svc.store().audit(&RecordQuery::default()).unwrap().len(),
        40
    );
}

#[test]
fn transport_failures_are_retried_and_command_failures_are_not() {
    let host = Arc::new(Scripted::new(Duration::ZERO));
    host.fail_first.store(2, Ordering::SeqCst);
    let svc = service(host.clone());
    let got = svc.collect("web1", "ports", &caller()).unwrap();
    assert_eq!(got.records.len(), 9);
    assert_eq!(
        host.calls.load(Ordering::SeqCst),
        3,
        "two resets, then the answer"
    );

    host.fail_first.store(5, Ordering::SeqCst);
    let svc = service(host.clone());
    let e = svc.collect("web1", "ports", &caller()).unwrap_err();
    assert_eq!(
        (e.code(), e.class_name()),
        ("TRANSPORT_ERROR", "TransportError")
    );
    assert_eq!(e.fields()["host"], "web1");

    let host = Arc::new(Scripted::new(Duration::ZERO).answer("ss -tulpnH", 127, ""));
    let svc = service(host.clone());
    let e = svc.collect("web1", "ports", &caller()).unwrap_err();
    assert_eq!(
        host.calls.load(Ordering::SeqCst),
        1,
        "a missing command is not retried"
    );
    assert_eq!(e.code(), "COMMAND_ERROR");
    assert_eq!(
        (
            e.fields()["status"].as_i64(),
            e.fields()["command"].as_str()
        ),
        (Some(127), Some("ss -tulpnH"))
    );
    assert!(e.to_string().contains("is not installed"), "{e}");
    let audit = svc.store().audit(&RecordQuery::default()).unwrap();
    assert_eq!(audit[0].outcome, Outcome::Failed);
    assert!(audit[0]
        .error
        .as_deref()
        .unwrap()
        .starts_with("COMMAND_ERROR"));
}

#[test]
fn output_that_does_not_parse_names_the_line_and_stores_nothing() {
    let garbage = "udp UNCONN 0 0 0.0.0.0:53 0.0.0.0:*\ntcp LISTEN zero 0 0.0.0.0:22 0.0.0.0:*\n";
    let host = Arc::new(Scripted::new(Duration::ZERO).answer("ss -tulpnH", 0, garbage));
    let svc = service(host.clone());
    let e = svc.collect("web1", "ports", &caller()).unwrap_err();
    assert_eq!((e.code(), e.class_name()), ("OUTPUT_ERROR", "OutputError"));
    assert_eq!(e.fields()["line"], 2);
    assert!(
        e.to_string()
            .contains("web1: ports: the output of `ss -tulpnH`"),
        "{e}"
    );
    assert_eq!(
        host.calls.load(Ordering::SeqCst),
        1,
        "a parse error is not retried"
    );
    assert!(svc
        .store()
        .records(&RecordQuery::default())
        .unwrap()
        .is_empty());
    assert_eq!(svc.store().audit(&RecordQuery::default()).unwrap().len(), 1);
}

#[test]
fn unknown_hosts_and_methods_are_refused_with_the_known_ones() {
    let svc = CollectionService::builder().build().unwrap();
    let e = svc.collect("nowhere", "system", &caller()).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidArgument { name, message } if name == "host" && message.contains("localhost"))
    );
    let e = svc.collect("localhost", "teleport", &caller()).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidArgument { name, message } if name == "method" && message.contains("ports, proxy, system"))
    );
}

#[test]
fn localhost_answers_for_real() {
    let svc = CollectionService::builder()
        .method(
            Arc::new(infrarag::collect::System {
                interval: Duration::from_millis(50),
            }),
            None,
        )
        .build()
        .unwrap();
    let system = svc.collect("localhost", "system", &caller()).unwrap();
    let memory = system.records.iter().find(|r| r.kind == "memory").unwrap();
    assert!(memory.data["total_bytes"].as_u64().unwrap() > 1 << 20);
    let cpu = system
        .records
        .iter()
        .find(|r| r.kind == "cpu" && r.data["cpu"] == "cpu")
        .unwrap();
    let busy = cpu.data["busy_percent"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&busy), "{busy}");
    assert!(system
        .records
        .iter()
        .any(|r| r.kind == "filesystem" && r.data["mount_point"] == "/"));
    // ss runs as this user; whatever listens, every record parsed.
    let ports = svc.collect("localhost", "ports", &caller()).unwrap();
    assert!(ports.records.iter().all(|r| r.kind == "socket"));
    let _ = Local;
}

/// With `INFRARAG_CRASH_WRITER` set, this test is the writer another test
/// kills: it appends entries with records to the store at that path until
/// it is stopped.
#[test]
fn crash_writer() {
    let Ok(path) = std::env::var("INFRARAG_CRASH_WRITER") else {
        return;
    };
    let store = infrarag::collect::FileRecordStore::open(&path).unwrap();
    let host = Arc::new(Scripted::new(Duration::ZERO));
    let svc = CollectionService::builder()
        .host("web1", host)
        .ttl("ports", Duration::ZERO)
        .store(Arc::new(store))
        .build()
        .unwrap();
    loop {
        svc.collect("web1", "ports", &caller()).unwrap();
    }
}

#[test]
fn a_writer_killed_mid_write_leaves_the_file_store_consistent() {
    use infrarag::collect::{FileRecordStore, RecordStore};
    let dir = std::env::temp_dir().join(format!("infrarag-records-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("records.db");
    let _ = std::fs::remove_file(&path);
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_writer", "--nocapture"])
        .env("INFRARAG_CRASH_WRITER", &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Let it write for a while, then kill it without warning.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let size = std::fs::metadata(dir.join("records.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
        if size > 200_000 || std::time::Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let store = FileRecordStore::open(&path).unwrap();
    let audit = store.audit(&RecordQuery::default()).unwrap();
    let records = store.records(&RecordQuery::default()).unwrap();
    assert!(audit.len() > 10, "the writer wrote {} entries", audit.len());
    let mut per_entry: HashMap<u64, usize> = HashMap::new();
    for r in &records {
        *per_entry.entry(r.entry).or_default() += 1;
    }
    for e in &audit {
        assert_eq!(
            per_entry.remove(&e.id).unwrap_or(0),
            e.records_written,
            "entry {}",
            e.id
        );
    }
    assert!(
        per_entry.is_empty(),
        "records without their entry: {per_entry:?}"
    );

    // A service on the reopened file goes on after the last id.
    let last = store.last_id().unwrap();
    let svc = CollectionService::builder()
        .host("web1", Arc::new(Scripted::new(Duration::ZERO)))
        .store(Arc::new(store))
        .build()
        .unwrap();
    assert_eq!(
        svc.collect("web1", "ports", &caller()).unwrap().audit_id,
        last + 1
    );
    assert_eq!(svc.store().latest("web1", "ports").unwrap().len(), 9);
    assert!(svc.store().prune(u64::MAX).unwrap() > 10);
    assert!(svc
        .store()
        .records(&RecordQuery::default())
        .unwrap()
        .is_empty());
    drop(svc);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn drives_collect_each_scanned_device_and_keep_a_closed_one() {
    let scan = r#"{"devices": [{"name": "/dev/sda", "type": "sat", "protocol": "ATA"}, {"name": "/dev/sdb", "type": "sat", "protocol": "ATA"}]}"#;
    let host = Arc::new(
        Scripted::new(Duration::ZERO)
            .answer("smartctl -j --scan", 0, scan)
            .answer(
                "smartctl -j -a -d sat /dev/sda",
                0,
                &corpus("smartctl/scrutiny-smart-ata.json"),
            )
            .answer(
                "smartctl -j -a -d sat /dev/sdb",
                2,
                &corpus("smartctl/scrutiny-smart-fail.json"),
            ),
    );
    let svc = service(host.clone());
    let done = svc.collect("web1", "drives", &caller()).unwrap();
    assert_eq!(done.records.len(), 2);
    assert_eq!(done.records[0].data["model"], "WDC WD140EDFZ-11A0VA0");
    assert_eq!(done.records[1].data["status"]["open_failed"], true);
    assert_eq!(done.records[1].data["device"], "/dev/sdb");

    let host = Arc::new(Scripted::new(Duration::ZERO));
    let e = service(host)
        .collect("web1", "drives", &caller())
        .unwrap_err();
    assert_eq!(
        (e.code(), e.fields()["status"].as_i64()),
        ("COMMAND_ERROR", Some(127))
    );
}

#[test]
fn cached_answers_only_from_the_cache_and_audits_only_what_it_answers() {
    let host = Arc::new(Scripted::new(Duration::ZERO));
    let svc = service(host.clone());
    assert!(svc.cached("web1", "ports", &caller()).is_none());
    assert!(svc
        .store()
        .audit(&RecordQuery::default())
        .unwrap()
        .is_empty());
    svc.collect("web1", "ports", &caller()).unwrap();
    let hit = svc.cached("web1", "ports", &caller()).unwrap().unwrap();
    assert!(hit.cached && hit.records.len() == 9);
    assert_eq!(host.calls.load(Ordering::SeqCst), 1);
    let audit = svc.store().audit(&RecordQuery::default()).unwrap();
    assert_eq!(
        audit.iter().map(|e| e.outcome).collect::<Vec<_>>(),
        [Outcome::Collected, Outcome::Cached]
    );
    assert!(matches!(
        svc.cached("web1", "nope", &caller()),
        Some(Err(Error::InvalidArgument { .. }))
    ));
}

#[test]
fn containers_join_ps_inspect_and_stats() {
    let ids = "5c1e8d0b6a2c\nb1e20e58e5c9\n";
    let host = Arc::new(
        Scripted::new(Duration::ZERO)
            .answer("docker ps -a --no-trunc --format '{{.ID}}'", 0, ids)
            .answer(
                "docker inspect 5c1e8d0b6a2c b1e20e58e5c9",
                0,
                &corpus("docker/docker-inspect-all.json"),
            )
            .answer(
                "docker stats --no-stream -a --format json",
                0,
                &corpus("docker/docker-stats-no-stream-a-format-json.jsonl"),
            ),
    );
    let done = service(host)
        .collect("web1", "containers", &caller())
        .unwrap();
    assert_eq!(done.records.len(), 5);
    let exporter = done
        .records
        .iter()
        .find(|r| r.data["name"] == "node-exporter")
        .unwrap();
    assert_eq!(
        (
            exporter.data["state"].as_str(),
            exporter.data["restart_count"].as_u64()
        ),
        (Some("restarting"), Some(37))
    );

    // No docker daemon: the CLI's own failure, with its stderr.
    let host = Arc::new(Scripted::new(Duration::ZERO).answer(
        "docker ps -a --no-trunc --format '{{.ID}}'",
        1,
        "",
    ));
    let e = service(host)
        .collect("web1", "containers", &caller())
        .unwrap_err();
    assert_eq!(
        (e.code(), e.fields()["status"].as_i64()),
        ("COMMAND_ERROR", Some(1))
    );
}

#[test]
fn zfs_falls_back_to_text_on_hosts_without_json() {
    let host = Arc::new(
        Scripted::new(Duration::ZERO)
            .answer("zpool status -j --json-int", 2, "")
            .answer(
                "zpool status -v",
                0,
                &corpus("zpool-status/generic-zpool-status-v4.out"),
            )
            .answer(
                "zfs list -j --json-int -t filesystem,volume,snapshot",
                0,
                &corpus("zfs/zfs-list-j-t-filesystem-snapshot.json"),
            ),
    );
    let done = service(host.clone())
        .collect("web1", "zfs", &caller())
        .unwrap();
    let pools: Vec<_> = done.records.iter().filter(|r| r.kind == "pool").collect();
    assert_eq!(pools[0].data["name"], "pool1");
    assert_eq!(pools[0].data["vdevs"][2]["depth"], 2);
    assert!(done
        .records
        .iter()
        .any(|r| r.kind == "dataset" && r.data["name"] == "pool/home"));
    let log = host.log.lock().unwrap().clone();
    assert_eq!(log[..2], ["zpool status -j --json-int", "zpool status -v"]);
}

#[test]
fn proxy_reads_each_site_file_under_the_directory() {
    let find = "find /config/nginx/proxy-confs -maxdepth 1 -type f '(' -name '*.subdomain.conf' -o -name '*.subfolder.conf' ')'";
    let host = Arc::new(
        Scripted::new(Duration::ZERO)
            .answer(find, 0, "/config/nginx/proxy-confs/grafana.subdomain.conf\n/config/nginx/proxy-confs/dozzle.subfolder.conf\n")
            .answer("cat -- /config/nginx/proxy-confs/grafana.subdomain.conf", 0, &corpus("swag/grafana.subdomain.conf.sample"))
            .answer("cat -- /config/nginx/proxy-confs/dozzle.subfolder.conf", 0, &corpus("swag/dozzle.subfolder.conf.sample")),
    );
    let done = service(host).collect("web1", "proxy", &caller()).unwrap();
    let kinds: Vec<&str> = done
        .records
        .iter()
        .map(|r| r.data["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["subfolder", "subdomain"], "sorted by path");
    assert_eq!(done.records[1].data["upstreams"][0]["app"], "grafana");
    assert_eq!(
        done.records[1].data["content_hash"].as_str().unwrap().len(),
        64
    );
}

fn args(pairs: &[(&str, &str)]) -> infrarag::collect::Args {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn logs_follow_the_journal_from_cursor_to_cursor() {
    let first = corpus("journalctl/journalctl-t-backup-o-json.jsonl");
    let last_cursor = serde_json::from_str::<serde_json::Value>(first.lines().last().unwrap())
        .unwrap()["__CURSOR"]
        .as_str()
        .unwrap()
        .to_string();
    let more = corpus("journalctl/journalctl-t-swag-healthcheck-o-json.jsonl");
    let scripted = Scripted::new(Duration::ZERO)
        .answer(
            "journalctl -o json --no-pager -t backup -p 0..4 -n 50",
            0,
            &first,
        )
        .answer(
            &format!(
                "journalctl -o json --no-pager -t backup -p 0..4 '--after-cursor={last_cursor}'"
            ),
            0,
            &more,
        );
    let scripted = Arc::new(scripted);
    let service = CollectionService::builder()
        .host("nas", scripted.clone())
        .build()
        .unwrap();
    let caller = Caller::new("test", "logs");
    let poll =
        |a: &infrarag::collect::Args| service.collect_with("nas", "logs", a, &caller).unwrap();
    let got = poll(&args(&[
        ("identifier", "backup"),
        ("priority", "warning"),
        ("lines", "50"),
    ]));
    let entries: Vec<_> = got
        .records
        .iter()
        .filter(|r| r.kind == "log_entry")
        .collect();
    assert_eq!(entries.len(), 4);
    let cursor = got.records.last().unwrap();
    assert_eq!(cursor.kind, "log_cursor");
    assert_eq!(cursor.data["cursor"], last_cursor.as_str());
    // The next poll passes the cursor back and gets what came after it.
    let next = poll(&args(&[
        ("identifier", "backup"),
        ("priority", "4"),
        ("cursor", &last_cursor),
    ]));
    assert_eq!(
        next.records
            .iter()
            .filter(|r| r.kind == "log_entry")
            .count(),
        3
    );
    assert!(!next.cached, "logs are never served from the cache");
    // Bad arguments: refused before anything runs or is audited.
    let before = scripted.calls.load(Ordering::SeqCst);
    for bad in [
        args(&[("priority", "loud")]),
        args(&[("lines", "0")]),
        args(&[("source", "syslog")]),
        args(&[("source", "docker")]),
        args(&[("colour", "red")]),
    ] {
        let e = service
            .collect_with("nas", "logs", &bad, &caller)
            .unwrap_err();
        assert_eq!(e.code(), "INVALID_ARGUMENT", "{bad:?}: {e}");
    }
    let e = service
        .collect_with("nas", "system", &args(&[("unit", "x")]), &caller)
        .unwrap_err();
    assert!(e.to_string().contains("takes no arguments"), "{e}");
    assert_eq!(scripted.calls.load(Ordering::SeqCst), before);
    assert_eq!(service.store().audit(&Default::default()).unwrap().len(), 2);
}

#[test]
fn container_logs_merge_both_streams_and_resume_after_the_cursor() {
    struct Docker;
    impl Transport for Docker {
        fn host(&self) -> &str {
            "docker"
        }
        fn run(&self, command: &Command) -> Result<Output, Failure> {
            let (stdout, stderr) = match command.line().as_str() {
                "docker logs --timestamps --tail 100 app" => (
                    "2026-12-02T16:00:00.000000001Z one\n2026-12-02T16:00:02.000000000Z three\n",
                    "2026-12-02T16:00:01.500000000Z two (stderr)\n",
                ),
                "docker logs --timestamps --tail 100 --since 2026-12-02T16:00:02.000000000Z app" => (
                    "2026-12-02T16:00:02.000000000Z three\n2026-12-02T16:00:03.000000000Z four\n",
                    "",
                ),
                other => panic!("unexpected command {other}"),
            };
            Ok(Output {
                status: Some(0),
                stdout: stdout.into(),
                stderr: stderr.into(),
                truncated: false,
            })
        }
    }
    let service = CollectionService::builder()
        .host("box", Arc::new(Docker))
        .build()
        .unwrap();
    let caller = Caller::default();
    let got = service
        .collect_with(
            "box",
            "logs",
            &args(&[("source", "docker"), ("container", "app")]),
            &caller,
        )
        .unwrap();
    let messages: Vec<&str> = got
        .records
        .iter()
        .filter_map(|r| r.data["message"].as_str())
        .collect();
    assert_eq!(messages, ["one", "two (stderr)", "three"]);
    let cursor = got.records.last().unwrap().data["cursor"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(cursor, "2026-12-02T16:00:02.000000000Z");
    let next = service
        .collect_with(
            "box",
            "logs",
            &args(&[
                ("source", "docker"),
                ("container", "app"),
                ("cursor", &cursor),
            ]),
            &caller,
        )
        .unwrap();
    let messages: Vec<&str> = next
        .records
        .iter()
        .filter_map(|r| r.data["message"].as_str())
        .collect();
    assert_eq!(messages, ["four"], "the entry at the cursor came back");
}

/// SWAG's layout, hand-written after linuxserver/docker-swag's
/// nginx.conf and site-confs/default.conf: the main configuration's
/// `http` block includes the site-confs, whose default server includes
/// the subfolder confs (snippets, not followed) and whose top level
/// includes the subdomain confs (already read from proxy-confs).
#[test]
fn proxy_follows_what_nginx_conf_includes() {
    let nginx_conf = "user abc;\nworker_processes 4;\ninclude /etc/nginx/modules/*.conf;\n\
        http {\n    include /etc/nginx/mime.types;\n    include /config/nginx/site-confs/*.conf;\n}\n";
    let default_conf = "server {\n    listen 443 ssl;\n    server_name _;\n    include /config/nginx/ssl.conf;\n\
        location / { proxy_pass http://landing:8080; }\n    include /config/nginx/proxy-confs/*.subfolder.conf;\n}\n\
        include /config/nginx/proxy-confs/*.subdomain.conf;\n";
    let find_sites = "find /config/nginx/proxy-confs -maxdepth 1 -type f '(' -name '*.subdomain.conf' -o -name '*.subfolder.conf' ')'";
    let host = Arc::new(
        Scripted::new(Duration::ZERO)
            .answer(
                find_sites,
                0,
                "/config/nginx/proxy-confs/grafana.subdomain.conf\n",
            )
            .answer(
                "cat -- /config/nginx/proxy-confs/grafana.subdomain.conf",
                0,
                &corpus("swag/grafana.subdomain.conf.sample"),
            )
            .answer("cat -- /config/nginx/nginx.conf", 0, nginx_conf)
            .answer(
                "find /etc/nginx/modules -maxdepth 1 -type f -name '*.conf'",
                0,
                "",
            )
            .answer(
                "cat -- /etc/nginx/mime.types",
                0,
                "types {\n    text/html html;\n}\n",
            )
            .answer(
                "find /config/nginx/site-confs -maxdepth 1 -type f -name '*.conf'",
                0,
                "/config/nginx/site-confs/default.conf\n",
            )
            .answer(
                "cat -- /config/nginx/site-confs/default.conf",
                0,
                default_conf,
            )
            .answer(
                "find /config/nginx/proxy-confs -maxdepth 1 -type f -name '*.subdomain.conf'",
                0,
                "/config/nginx/proxy-confs/grafana.subdomain.conf\n",
            ),
    );
    let done = service(host.clone())
        .collect("web1", "proxy", &caller())
        .unwrap();
    let files: Vec<&str> = done
        .records
        .iter()
        .map(|r| r.data["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "/config/nginx/proxy-confs/grafana.subdomain.conf",
            "/config/nginx/site-confs/default.conf"
        ]
    );
    let default = &done.records[1].data;
    assert_eq!(default["listen_ports"], serde_json::json!([443]));
    assert_eq!(default["upstreams"][0]["proxy_pass"], "http://landing:8080");
    let log = host.log.lock().unwrap().clone();
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("grafana.subdomain.conf") && l.starts_with("cat"))
            .count(),
        1,
        "{log:?}"
    );
    assert!(
        !log.iter()
            .any(|l| l.contains("ssl.conf") || l.ends_with("-name '*.subfolder.conf'")),
        "snippets were read: {log:?}"
    );
}
