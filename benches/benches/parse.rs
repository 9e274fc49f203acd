//! Parse throughput: `hcl::parse`, python-hcl2-compatible `hcl::loads` in
//! both dialects, and `terraform::Module::load` over the six module
//! repositories of ../shared/corpus/modules. `parse` takes the hand-written
//! parser; `parse_tree_sitter` is the same call through tree-sitter-hcl,
//! the path of input with errors, and `tree_sitter_only` is tree-sitter-hcl
//! parsing the same text with nothing on top.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use infrarag::hcl::{self, Dialect, LoadsOptions};
use infrarag::terraform::Module;

fn modules_dir() -> std::path::PathBuf {
    infrarag_tests::corpus().join("modules")
}

fn corpus_text() -> Vec<String> {
    infrarag_tests::files_with_ext(&modules_dir(), ".tf")
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("corpus file"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let files = corpus_text();
    let bytes: usize = files.iter().map(String::len).sum();
    let mut g = c.benchmark_group("hcl");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_hcl::LANGUAGE.into())
        .expect("tree-sitter-hcl loads");
    g.bench_function("tree_sitter_only", |b| {
        b.iter(|| {
            files
                .iter()
                .filter_map(|f| parser.parse(f, None))
                .map(|t| t.root_node().child_count())
                .sum::<usize>()
        })
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| hcl::parse(f).file.body.items.len())
                .sum::<usize>()
        })
    });
    g.bench_function("parse_tree_sitter", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| hcl::parser::parse_tree_sitter(f).file.body.items.len())
                .sum::<usize>()
        })
    });
    for dialect in [Dialect::V7, Dialect::V8] {
        let opts = LoadsOptions::new(dialect);
        g.bench_function(format!("loads_{}", dialect.as_str()), |b| {
            b.iter(|| {
                files
                    .iter()
                    .filter(|f| hcl::loads(f, &opts).is_ok())
                    .count()
            })
        });
    }
    let dirs: Vec<_> = std::fs::read_dir(modules_dir())
        .expect("modules")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    g.finish();
    // A module is one directory's own files, fewer bytes than the whole
    // corpus above, so this group reports time only.
    let mut g = c.benchmark_group("terraform");
    g.sample_size(10);
    g.bench_function("load_module_x6", |b| {
        b.iter(|| {
            dirs.iter()
                .map(|d| Module::load(d).map_or(0, |m| m.declarations.len()))
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
