//! Ingestion of ../shared/corpus/modules (all six repos, default chunker and
//! offline embedder) in memory and into an index file, reopening that file,
//! and query latency per search mode on the result.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use infrarag::index::{Index, SearchMode};

const QUERIES: [&str; 4] = [
    "encrypt bucket with KMS",
    "VPC flow logs to CloudWatch",
    "node group instance types",
    "database backup retention",
];

fn bench(c: &mut Criterion) {
    let dir = infrarag_tests::corpus().join("modules");
    let mut g = c.benchmark_group("index");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("ingest_modules", |b| {
        b.iter(|| {
            let mut index = Index::in_memory();
            index.add_path(&dir).execute().expect("ingests").chunks
        })
    });
    let file = std::env::temp_dir().join(format!("infrarag-bench-{}.idx", std::process::id()));
    g.bench_function("ingest_modules_to_file", |b| {
        b.iter(|| {
            let _ = std::fs::remove_file(&file);
            let mut index = Index::open(&file).expect("opens");
            index.add_path(&dir).execute().expect("ingests").chunks
        })
    });
    g.bench_function("open_modules_file", |b| {
        b.iter(|| Index::open(&file).expect("opens").len())
    });
    let _ = std::fs::remove_file(&file);
    g.finish();

    let mut index = Index::in_memory();
    index.add_path(&dir).execute().expect("ingests");
    let mut g = c.benchmark_group("search");
    for mode in [SearchMode::Hybrid, SearchMode::Vector, SearchMode::Lexical] {
        g.bench_function(mode.as_str(), |b| {
            let mut i = 0;
            b.iter(|| {
                i += 1;
                index
                    .search(QUERIES[i % QUERIES.len()])
                    .k(10)
                    .mode(mode)
                    .execute()
                    .expect("searches")
                    .len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
