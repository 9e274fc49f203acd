//! Validation: each of the 80 checkov fixture directories with its one
//! check, as `benches/peers/validate.py` runs them against checkov, and the
//! six module repositories of ../shared/corpus/modules with every check.

use criterion::{criterion_group, criterion_main, Criterion};
use infrarag::validate::policy::check_ids;
use infrarag::validate::Validator;

fn bench(c: &mut Criterion) {
    let corpus = infrarag_tests::corpus();
    let ported = check_ids();
    let fixtures: Vec<(std::path::PathBuf, Validator)> = ["aws", "azure", "gcp"]
        .iter()
        .flat_map(|cloud| {
            std::fs::read_dir(corpus.join("checkov").join(cloud))
                .expect("checkov fixtures")
                .flatten()
                .map(|e| e.path())
        })
        .filter_map(|dir| {
            let id = dir.file_name()?.to_str()?.to_string();
            ported
                .contains(&id.as_str())
                .then(|| (dir, Validator::new().with_checks([id])))
        })
        .collect();
    assert_eq!(fixtures.len(), 80, "the 80 ported checks' fixtures");
    let mut g = c.benchmark_group("validate");
    g.sample_size(20);
    g.bench_function("checkov_fixtures_x80", |b| {
        b.iter(|| {
            fixtures
                .iter()
                .map(|(dir, v)| v.execute(dir).expect("validates").findings.len())
                .sum::<usize>()
        })
    });
    let repos: Vec<_> = infrarag_tests::module_dirs(&corpus.join("modules"));
    let all = Validator::new();
    g.sample_size(10);
    g.bench_function("module_dirs_all_checks", |b| {
        b.iter(|| {
            repos
                .iter()
                .map(|d| all.execute(d).expect("validates").findings.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
