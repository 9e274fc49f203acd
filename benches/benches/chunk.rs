//! Chunking and token-counting throughput on ../shared/corpus/modules at the
//! platforms' defaults (400 tokens, 60 of overlap, cl100k_base): `.tf` and
//! `.md` file by file on one thread, and `chunk_dir` over all six repos.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use infrarag::chunk::{ChunkConfig, Chunker};
use infrarag::tokens::{Approximate, Tiktoken, Tokenizer};

fn files(ext: &str) -> Vec<(String, String)> {
    let dir = infrarag_tests::corpus().join("modules");
    infrarag_tests::files_with_ext(&dir, ext)
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(&dir).expect("inside").to_string_lossy();
            (
                rel.into_owned(),
                std::fs::read_to_string(p).expect("corpus file"),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let chunker = Chunker::new(ChunkConfig::default()).expect("defaults are valid");
    let mut g = c.benchmark_group("chunk");
    g.sample_size(10);
    for ext in [".tf", ".md"] {
        let files = files(ext);
        let bytes: usize = files.iter().map(|f| f.1.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(format!("chunk_file{}", ext.replace('.', "_")), |b| {
            b.iter(|| {
                files
                    .iter()
                    .map(|(p, t)| chunker.chunk_file(p, t).len())
                    .sum::<usize>()
            })
        });
        if ext == ".tf" {
            for tok in [
                &Tiktoken::cl100k_base() as &dyn Tokenizer,
                &Tiktoken::o200k_base(),
                &Approximate,
            ] {
                g.bench_function(format!("count_{}", tok.name()), |b| {
                    b.iter(|| files.iter().map(|(_, t)| tok.count(t)).sum::<usize>())
                });
            }
        }
    }
    let dir = infrarag_tests::corpus().join("modules");
    let all: usize = files(".tf")
        .iter()
        .chain(files(".md").iter())
        .map(|f| f.1.len())
        .sum();
    g.throughput(Throughput::Bytes(all as u64));
    g.bench_function("chunk_dir_modules", |b| {
        b.iter(|| {
            chunker
                .chunk_dir(&dir)
                .extensions(["tf", "md"])
                .execute()
                .expect("corpus")
                .chunks
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
