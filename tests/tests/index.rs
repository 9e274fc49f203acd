//! The index end to end: incremental ingestion by content hash, BM25 and
//! vector scores checked against formulas computed here, filters, fusion,
//! cancellation and embedder failures leaving the index untouched.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use infrarag::embed::{Embedder, Hashing};
use infrarag::index::{Filter, Index, SearchMode, Stage};
use infrarag::terms::{for_each_term, TermKind};
use infrarag::Error;
use rust_stemmers::{Algorithm, Stemmer};
use sha2::{Digest, Sha256};

fn s3() -> std::path::PathBuf {
    infrarag_tests::corpus().join("modules/s3")
}

fn s3_index() -> Index {
    let mut index = Index::in_memory();
    index
        .add_path(s3())
        .execute()
        .expect("the s3 module ingests");
    index
}

#[test]
fn the_kms_question_finds_the_encryption_blocks() {
    let index = s3_index();
    let hits = index
        .search("encrypt bucket with KMS")
        .k(5)
        .execute()
        .unwrap();
    assert_eq!(hits.len(), 5);
    let addresses: Vec<_> = hits
        .iter()
        .filter_map(|h| h.chunk.address.clone())
        .collect();
    assert!(
        addresses.iter().any(|a| a == "aws_kms_key.objects"),
        "{addresses:?}"
    );
    assert!(
        addresses[..3]
            .iter()
            .any(|a| a == "aws_s3_bucket_server_side_encryption_configuration.this"),
        "{addresses:?}"
    );
    let top = &hits[0];
    let cite = top.citation();
    assert!(cite.starts_with(&format!("{}/", s3().display())), "{cite}");
    let file = std::fs::read_to_string(&top.chunk.path).unwrap();
    let lines: Vec<&str> = file.lines().collect();
    let cited = lines[top.chunk.start_line - 1..top.chunk.end_line].join("\n");
    assert!(cited.contains(top.chunk.text.lines().next().unwrap()));
}

/// The terms BM25 should see: identifiers whole, words and parts stemmed.
fn terms(text: &str) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut out = Vec::new();
    for_each_term(text, |t, kind| {
        out.push(match kind {
            TermKind::Compound => t.to_string(),
            _ => stemmer.stem(t).into_owned(),
        })
    });
    out
}

/// BM25 with k1 = 1.2, b = 0.75 and idf = ln(1 + (n - df + 0.5) / (df + 0.5)),
/// over each chunk's text and summary.
#[test]
fn lexical_scores_are_bm25() {
    let index = s3_index();
    let docs = all_chunks(&index);
    let n = docs.len() as f64;
    let avg = docs.iter().map(|d| d.1.len()).sum::<usize>() as f64 / n;
    let query = "versioning mfa_delete";
    let mut qterms = terms(query);
    qterms.sort();
    qterms.dedup();
    let mut want: Vec<(String, f64)> = docs
        .iter()
        .map(|(id, words)| {
            let score: f64 = qterms
                .iter()
                .map(|t| {
                    let df = docs.iter().filter(|d| d.1.contains(t)).count() as f64;
                    let tf = words.iter().filter(|w| *w == t).count() as f64;
                    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                    idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * words.len() as f64 / avg))
                })
                .sum();
            (id.clone(), score)
        })
        .filter(|d| d.1 > 0.0)
        .collect();
    want.sort_by(|a, b| b.1.total_cmp(&a.1));
    let got = index
        .search(query)
        .k(8)
        .mode(SearchMode::Lexical)
        .execute()
        .unwrap();
    assert_eq!(got.len(), 8);
    for (hit, (id, score)) in got.iter().zip(&want) {
        assert!(
            (f64::from(hit.score) - score).abs() < 1e-3 * score,
            "{} {} vs {id} {score}",
            hit.chunk.id,
            hit.score
        );
        let lexical = hit.scores.lexical.unwrap();
        assert_eq!(lexical.score, hit.score);
        assert!(hit.scores.code.is_none() && hit.scores.summary.is_none());
    }
}

fn all_chunks(index: &Index) -> Vec<(String, Vec<String>)> {
    let hits = index
        .search("")
        .k(usize::MAX)
        .mode(SearchMode::Lexical)
        .execute()
        .unwrap();
    assert!(hits.is_empty(), "an empty query matches nothing");
    let mut out = Vec::new();
    let chunker = infrarag::chunk::Chunker::new(Default::default()).unwrap();
    for source in index.sources() {
        let text = std::fs::read_to_string(&source.path).unwrap();
        for c in chunker.chunk_file(&source.path, &text) {
            out.push((c.id.clone(), terms(&format!("{}\n{}", c.text, c.summary))));
        }
    }
    assert_eq!(out.len(), index.len());
    out
}

#[test]
fn vector_scores_are_cosines_of_the_embeddings() {
    let index = s3_index();
    let embedder = Hashing::default();
    let query = "lifecycle rule to expire old object versions";
    let q = embedder.embed_one(query);
    let got = index
        .search(query)
        .k(10)
        .mode(SearchMode::Vector)
        .execute()
        .unwrap();
    assert_eq!(got.len(), 10);
    for hit in &got {
        for (signal, text) in [
            (hit.scores.code, &hit.chunk.text),
            (hit.scores.summary, &hit.chunk.summary),
        ] {
            if let Some(s) = signal {
                let v = embedder.embed_one(text);
                let cos: f32 = q.iter().zip(&v).map(|(a, b)| a * b).sum();
                assert!((s.score - cos).abs() < 1e-4, "{} vs {cos}", s.score);
            }
        }
        assert!(hit.scores.lexical.is_none());
    }
    // Fused by rank: 1/(60 + rank) per signal, sorted.
    for hit in &got {
        let want: f32 = [hit.scores.code, hit.scores.summary]
            .iter()
            .flatten()
            .map(|s| 1.0 / (60.0 + s.rank as f32))
            .sum();
        assert!((hit.score - want).abs() < 1e-6);
    }
    assert!(got.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn filters_hold_for_every_hit() {
    let index = s3_index();
    let prefix = format!("{}/examples/", s3().display());
    for mode in [SearchMode::Hybrid, SearchMode::Vector, SearchMode::Lexical] {
        let hits = index
            .search("bucket policy")
            .k(20)
            .mode(mode)
            .filter(
                Filter::default()
                    .path_prefix(&prefix)
                    .block_type("resource"),
            )
            .execute()
            .unwrap();
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|h| h.chunk.path.starts_with(&prefix)
            && h.chunk.block_type.as_deref() == Some("resource")));
    }
    let exact = index
        .search("anything at all")
        .k(5)
        .mode(SearchMode::Vector)
        .filter(Filter::default().address("aws_s3_bucket_policy.this"))
        .execute()
        .unwrap();
    assert!(!exact.is_empty());
    assert!(exact
        .iter()
        .all(|h| h.chunk.address.as_deref() == Some("aws_s3_bucket_policy.this")));
}

fn sha(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn ingestion_is_incremental_by_content_hash() {
    let dir = std::env::temp_dir().join(format!("infrarag-index-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("net")).unwrap();
    std::fs::write(dir.join("a.tf"), "variable \"alpha\" {}\n").unwrap();
    std::fs::write(
        dir.join("net/b.tf"),
        "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("c.md"), "# Notes\n\nZebra crossings.\n").unwrap();
    let mut index = Index::in_memory();
    let report = index.add_path(&dir).execute().unwrap();
    assert_eq!(
        (
            report.added,
            report.updated,
            report.unchanged,
            report.removed
        ),
        (3, 0, 0, 0)
    );
    assert_eq!(report.chunks, index.len());
    let root = dir.display().to_string();
    let sources = index.sources();
    assert_eq!(
        sources.iter().map(|s| s.path.clone()).collect::<Vec<_>>(),
        [
            format!("{root}/a.tf"),
            format!("{root}/c.md"),
            format!("{root}/net/b.tf")
        ]
    );
    assert!(sources
        .iter()
        .all(|s| s.content_hash == sha(Path::new(&s.path))));

    let again = index.add_path(&dir).execute().unwrap();
    assert_eq!(
        (
            again.added,
            again.updated,
            again.unchanged,
            again.removed,
            again.chunks
        ),
        (0, 0, 3, 0, 0)
    );

    std::fs::write(dir.join("a.tf"), "variable \"omega\" {}\n").unwrap();
    std::fs::remove_file(dir.join("c.md")).unwrap();
    std::fs::write(dir.join("d.tf"), "output \"x\" { value = 1 }\n").unwrap();
    let seen: std::sync::Mutex<Vec<Stage>> = Default::default();
    let changed = index
        .add_path(&dir)
        .on_progress(|p| {
            seen.lock().unwrap().push(p.stage);
            ControlFlow::Continue(())
        })
        .execute()
        .unwrap();
    assert_eq!(
        (
            changed.added,
            changed.updated,
            changed.unchanged,
            changed.removed
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(changed.chunks, 2);
    let stages = seen.into_inner().unwrap();
    assert!(stages.contains(&Stage::Chunking) && stages.last() == Some(&Stage::Embedding));
    let lexical = |q: &str| {
        index
            .search(q)
            .mode(SearchMode::Lexical)
            .execute()
            .unwrap()
            .into_iter()
            .map(|h| h.chunk.address.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(lexical("omega"), ["var.omega"]);
    assert!(lexical("alpha").is_empty());
    assert!(lexical("zebra").is_empty());
    assert_eq!(index.len(), 3);

    // Another root in the same index is left alone by this one's removals.
    let other = dir.with_extension("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("e.tf"), "locals { e = 1 }\n").unwrap();
    assert_eq!(index.add_path(&other).execute().unwrap().added, 1);
    std::fs::remove_file(dir.join("net/b.tf")).unwrap();
    let last = index.add_path(&dir).execute().unwrap();
    assert_eq!((last.removed, last.unchanged), (1, 2));
    assert_eq!(index.sources().len(), 3);
    assert!(matches!(
        index.add_path(dir.join("missing")).execute(),
        Err(Error::Io { .. })
    ));
    assert_eq!(index.remove_path(&dir).unwrap(), 2);
    assert_eq!(index.sources()[0].path, format!("{}/e.tf", other.display()));
    assert!(index
        .search("omega")
        .mode(SearchMode::Lexical)
        .execute()
        .unwrap()
        .is_empty());
    std::fs::remove_dir_all(&other).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cancelling_or_a_failing_embedder_changes_nothing() {
    let mut index = s3_index();
    let before = index.sources();
    let dir = infrarag_tests::corpus().join("modules/sg/modules");
    let err = index
        .add_path(&dir)
        .on_progress(|p| match p.stage {
            Stage::Embedding => ControlFlow::Break(()),
            Stage::Chunking => ControlFlow::Continue(()),
        })
        .execute()
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled));
    assert_eq!(index.sources(), before);

    struct Short;
    impl Embedder for Short {
        fn model(&self) -> &str {
            "short"
        }
        fn dimension(&self) -> usize {
            8
        }
        fn embed(&self, texts: &[&str]) -> infrarag::Result<Vec<Vec<f32>>> {
            Ok(texts.iter().map(|_| vec![1.0; 4]).collect())
        }
    }
    let mut broken = Index::builder().embedder(Arc::new(Short)).in_memory();
    let err = broken.add_path(&dir).execute().unwrap_err();
    assert!(
        matches!(&err, Error::Embed { model, message } if model == "short" && message.contains("4 dimensions")),
        "{err}"
    );
    assert!(broken.is_empty());
    assert_eq!(err.code(), "EMBED_ERROR");
}

#[test]
fn hybrid_fuses_all_three_signals() {
    let index = s3_index();
    let hits = index
        .search("object lock retention")
        .k(10)
        .execute()
        .unwrap();
    assert_eq!(hits.len(), 10);
    let mut per_signal: HashMap<&str, usize> = HashMap::new();
    for h in &hits {
        let parts = [
            ("lexical", h.scores.lexical),
            ("code", h.scores.code),
            ("summary", h.scores.summary),
        ];
        let want: f32 = parts
            .iter()
            .filter_map(|(name, s)| {
                let s = (*s)?;
                *per_signal.entry(name).or_default() += 1;
                Some(1.0 / (60.0 + s.rank as f32))
            })
            .sum();
        assert!((h.score - want).abs() < 1e-6);
    }
    assert_eq!(per_signal.len(), 3, "{per_signal:?}");
}
