//! Prompt assembly and the generation loop on ../shared/corpus/modules (all
//! six repos indexed): building a prompt from 8 hits and a 20-turn history,
//! with a roomy and a tight budget; redacting a 10 kB text; and the whole
//! loop (retrieve, prompt, generate with the offline fallback, validate,
//! correct) end to end.

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use infrarag::index::Index;
use infrarag::llm::{Fallback, Role};
use infrarag::pipeline::Generator;
use infrarag::prompt::{redact, Conversation, PromptBuilder};

fn bench(c: &mut Criterion) {
    let dir = infrarag_tests::corpus().join("modules");
    let mut index = Index::in_memory();
    index.add_path(&dir).execute().expect("ingests");
    let hits = index
        .search("encrypt bucket with KMS")
        .k(8)
        .execute()
        .expect("searches");
    let mut history = Conversation::new(100_000);
    for i in 0..20 {
        let role = if i % 2 == 0 {
            Role::User
        } else {
            Role::Assistant
        };
        history
            .push(
                role,
                format!(
                    "turn {i}: {}",
                    "we changed the bucket policy and its KMS key. ".repeat(12)
                ),
            )
            .expect("counts");
    }
    let builder = |window: usize| {
        PromptBuilder::new()
            .context_window(window)
            .reserve_output(1024)
            .system(
                "You write Terraform for AWS. Cite the context as [n].",
                true,
            )
            .task("Answer with complete files in ```hcl blocks.")
            .hits(&hits)
            .history(&history)
            .user("Add a bucket for access logs, encrypted with the same key.")
    };
    let full = builder(200_000).build().expect("builds");
    let mut g = c.benchmark_group("prompt");
    g.throughput(Throughput::Elements(1));
    g.bench_function("build_8_hits_20_turns", |b| {
        b.iter(|| builder(200_000).build().expect("builds").tokens)
    });
    g.bench_function("build_tight_budget", |b| {
        b.iter(|| {
            builder(full.tokens / 2)
                .build()
                .expect("builds")
                .omitted
                .len()
        })
    });
    let text: String = hits
        .iter()
        .map(|h| h.chunk.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .repeat(3);
    let text = format!(
        "{}\naccess_key = \"AKIAIOSFODNN7EXAMPLE\"\n",
        &text[..text.len().min(10_000)]
    );
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("redact_10kB", |b| b.iter(|| redact(&text).1.len()));
    g.finish();

    let generator = Generator::new(Arc::new(Fallback::new())).k(20);
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("fallback_end_to_end", |b| {
        b.iter(|| {
            generator
                .generate("an S3 bucket encrypted with KMS")
                .index(&index)
                .execute()
                .expect("generates")
                .rounds
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
