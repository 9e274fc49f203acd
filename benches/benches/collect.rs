//! Collector parsers over the corpus's outputs (MB/s of output parsed into
//! records), and the service's cost for a cached collection, which is what
//! a dashboard polling many hosts mostly pays.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use infrarag::collect::{
    parse, parse_df, parse_diskstats, parse_loadavg, parse_meminfo, parse_net_dev, parse_proc_stat,
    parse_ss, parse_uptime, Caller, CollectionService, Command, Failure, Output, Transport,
};

/// (kind, corpus folder, which files)
const CASES: [(&str, &str, &str); 8] = [
    ("proc_stat", "proc-stat", ""),
    ("meminfo", "proc-meminfo", ""),
    ("loadavg", "proc-loadavg", ""),
    ("uptime", "proc-uptime", ""),
    ("diskstats", "proc-diskstats", ""),
    ("net_dev", "proc-net-dev", ""),
    ("df", "df", "-PT-B1"),
    ("ss", "ss", "tulpn."),
];

fn outputs(folder: &str, only: &str) -> Vec<String> {
    let dir = infrarag_tests::corpus().join("collectors").join(folder);
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "out"))
        .filter(|p| p.to_string_lossy().contains(only))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("corpus file"))
        .collect()
}

/// Answers `ss -tulpnH` at once, from the corpus.
struct Canned(String);

impl Transport for Canned {
    fn host(&self) -> &str {
        "canned"
    }

    fn run(&self, _: &Command) -> Result<Output, Failure> {
        Ok(Output {
            status: Some(0),
            stdout: self.0.clone().into_bytes(),
            stderr: Vec::new(),
            truncated: false,
        })
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("collect_parse");
    for (kind, folder, only) in CASES {
        let texts = outputs(folder, only);
        g.throughput(Throughput::Bytes(
            texts.iter().map(String::len).sum::<usize>() as u64,
        ));
        g.bench_function(kind, |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| parse(kind, t).expect("parses").len())
                    .sum::<usize>()
            })
        });
    }
    g.finish();

    // The typed parsers alone, before their records become JSON values: the
    // difference is what the conversion costs.
    type Count = fn(&str) -> usize;
    let typed: [(&str, &str, &str, Count); 8] = [
        ("proc_stat", "proc-stat", "", |t| {
            parse_proc_stat(t).expect("parses").len()
        }),
        ("meminfo", "proc-meminfo", "", |t| {
            parse_meminfo(t).expect("parses").fields.len()
        }),
        ("loadavg", "proc-loadavg", "", |t| {
            parse_loadavg(t).expect("parses").tasks as usize
        }),
        ("uptime", "proc-uptime", "", |t| {
            parse_uptime(t).expect("parses").uptime_seconds as usize
        }),
        ("diskstats", "proc-diskstats", "", |t| {
            parse_diskstats(t).expect("parses").len()
        }),
        ("net_dev", "proc-net-dev", "", |t| {
            parse_net_dev(t).expect("parses").len()
        }),
        ("df", "df", "-PT-B1", |t| parse_df(t).expect("parses").len()),
        ("ss", "ss", "tulpn.", |t| parse_ss(t).expect("parses").len()),
    ];
    let mut g = c.benchmark_group("collect_parse_typed");
    for (kind, folder, only, count) in typed {
        let texts = outputs(folder, only);
        g.throughput(Throughput::Bytes(
            texts.iter().map(String::len).sum::<usize>() as u64,
        ));
        g.bench_function(kind, |b| {
            b.iter(|| texts.iter().map(|t| count(t)).sum::<usize>())
        });
    }
    g.finish();

    let ss = outputs("ss", "tulpnH").remove(0);
    let service = CollectionService::builder()
        .host("web1", Arc::new(Canned(ss)))
        .ttl("ports", Duration::from_secs(3600))
        .build()
        .expect("service");
    let caller = Caller::new("bench", "cached");
    service
        .collect("web1", "ports", &caller)
        .expect("first collection");
    c.bench_function("collect/cached", |b| {
        b.iter(|| {
            service
                .collect("web1", "ports", &caller)
                .expect("cached")
                .records
                .len()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
