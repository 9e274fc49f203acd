//! Offline embedding throughput on ../shared/corpus/modules (.tf and .md),
//! one text at a time on one thread, as the per-core figure the goal names.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use infrarag::embed::Hashing;

fn bench(c: &mut Criterion) {
    let dir = infrarag_tests::corpus().join("modules");
    let texts: Vec<String> = [".tf", ".md"]
        .iter()
        .flat_map(|ext| infrarag_tests::files_with_ext(&dir, ext))
        .map(|p| std::fs::read_to_string(p).expect("corpus file"))
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let embedder = Hashing::default();
    let mut g = c.benchmark_group("embed");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("hashing_384_one_thread", |b| {
        b.iter(|| texts.iter().map(|t| embedder.embed_one(t)[0]).sum::<f32>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
