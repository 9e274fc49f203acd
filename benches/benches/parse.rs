//! Parse throughput: `hcl::parse` and python-hcl2-compatible `hcl::loads`
//! over the terraform-aws-modules corpus (falls back to a generated module
//! when ../shared/corpus is absent).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use infrarag::hcl::{self, Dialect, LoadsOptions};

fn corpus_text() -> Vec<String> {
    let root = std::env::var("INFRARAG_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus").into());
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(root).join("modules")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "tf") {
                if let Ok(t) = std::fs::read_to_string(&p) {
                    out.push(t);
                }
            }
        }
    }
    if out.is_empty() {
        let block = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"${var.name}-logs\"\n  tags = merge(var.tags, { Name = \"x\" })\n}\n";
        out.push(block.repeat(2000));
    }
    out
}

fn bench(c: &mut Criterion) {
    let files = corpus_text();
    let bytes: usize = files.iter().map(String::len).sum();
    let mut g = c.benchmark_group("hcl");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("parse", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| hcl::parse(f).file.body.items.len())
                .sum::<usize>()
        })
    });
    let opts = LoadsOptions::new(Dialect::V7);
    g.bench_function("loads_v7", |b| {
        b.iter(|| {
            files
                .iter()
                .filter(|f| hcl::loads(f, &opts).is_ok())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
