//! The index end to end: incremental ingestion by content hash, BM25 and
//! vector scores checked against formulas computed here, filters, fusion,
//! cancellation and embedder failures leaving the index untouched.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use infrarag::chunk::{ChunkConfig, Chunker};
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
    // The example's KMS key is found, after the module's own blocks.
    assert!(
        hits.iter().all(|h| !h.chunk.path.contains("/examples/")),
        "{addresses:?}"
    );
    let more = index
        .search("encrypt bucket with KMS")
        .k(20)
        .execute()
        .unwrap();
    assert!(
        more.iter()
            .any(|h| h.chunk.address.as_deref() == Some("aws_kms_key.objects")),
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

/// BM25F with k1 = 1.2, b = 0.75 and idf = ln(1 + (n - df + 0.5) / (df + 0.5))
/// over each chunk's fields, every occurrence of a term counting its
/// field's weight, times the chunk's prior for the query.
#[test]
fn lexical_scores_are_bm25f_times_the_prior() {
    let index = s3_index();
    let docs = all_chunks(&index);
    let n = docs.len() as f64;
    let len = |terms: &[(String, f64)]| terms.iter().map(|t| t.1).sum::<f64>();
    let avg = docs.iter().map(|d| len(&d.1)).sum::<f64>() / n;
    let query = "versioning mfa_delete";
    let mut qterms = terms(query);
    qterms.sort();
    qterms.dedup();
    let want: HashMap<String, f64> = docs
        .iter()
        .map(|(chunk, words)| {
            let score: f64 = qterms
                .iter()
                .map(|t| {
                    let df = docs
                        .iter()
                        .filter(|d| d.1.iter().any(|w| &w.0 == t))
                        .count() as f64;
                    let tf: f64 = words.iter().filter(|w| &w.0 == t).map(|w| w.1).sum();
                    let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                    idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(words) / avg))
                })
                .sum();
            let prior = f64::from(infrarag::index::prior(query, chunk));
            (citation(chunk), score * prior)
        })
        .collect();
    let best = want.values().copied().fold(0.0, f64::max);
    let got = index
        .search(query)
        .k(8)
        .mode(SearchMode::Lexical)
        .execute()
        .unwrap();
    assert_eq!(got.len(), 8);
    assert!((f64::from(got[0].score) - best).abs() < 1e-3 * best);
    for hit in &got {
        // A folded hit scores as the best of its places.
        let score = std::iter::once(hit.citation())
            .chain(hit.places.iter().cloned())
            .map(|c| want[&c])
            .fold(0.0, f64::max);
        assert!(
            (f64::from(hit.score) - score).abs() < 1e-3 * score,
            "{} {} vs {score}",
            hit.citation(),
            hit.score
        );
        let lexical = hit.scores.lexical.unwrap();
        let own = want[&hit.citation()];
        assert!((f64::from(lexical.score) - own).abs() < 1e-3 * own);
        assert!(hit.scores.code.is_none() && hit.scores.summary.is_none());
    }
    assert!(got.windows(2).all(|w| w[0].score >= w[1].score));
}

fn citation(chunk: &infrarag::chunk::Chunk) -> String {
    format!("{}:{}-{}", chunk.path, chunk.start_line, chunk.end_line)
}

/// Every chunk of the index, with its terms weighted by their fields.
fn all_chunks(index: &Index) -> Vec<(infrarag::chunk::Chunk, Vec<(String, f64)>)> {
    let hits = index
        .search("")
        .k(usize::MAX)
        .mode(SearchMode::Lexical)
        .execute()
        .unwrap();
    assert!(hits.is_empty(), "an empty query matches nothing");
    let chunker = infrarag::chunk::Chunker::new(Default::default()).unwrap();
    // As ingestion chunks: files named by absolute path, summaries by the
    // path under the root.
    let root = s3();
    let chunks = chunker
        .chunk_dir(&root)
        .path_prefix(root.to_string_lossy())
        .execute()
        .unwrap()
        .chunks;
    let out: Vec<_> = chunks
        .into_iter()
        .map(|c| {
            let weighted = infrarag::index::lexical_fields(&c)
                .iter()
                .flat_map(|(text, w)| terms(text).into_iter().map(|t| (t, f64::from(*w))))
                .collect();
            (c, weighted)
        })
        .collect();
    assert_eq!(out.len(), index.len());
    assert!(out
        .iter()
        .all(|(c, _)| index.sources().iter().any(|s| s.path == c.path)));
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
                let prior = infrarag::index::prior(query, &hit.chunk);
                let want = if cos >= 0.0 { cos * prior } else { cos / prior };
                assert!((s.score - want).abs() < 1e-4, "{} vs {want}", s.score);
            }
        }
        assert!(hit.scores.lexical.is_none());
    }
    // Fused by rank: the embedder's weight / (60 + rank) per signal,
    // sorted; a folded hit scores as the best of its places.
    let weight = embedder.fusion_weight();
    for hit in &got {
        let own: f32 = [hit.scores.code, hit.scores.summary]
            .iter()
            .flatten()
            .map(|s| weight / (60.0 + s.rank as f32))
            .sum();
        if hit.places.is_empty() {
            assert!((hit.score - own).abs() < 1e-7);
        } else {
            assert!(hit.score >= own - 1e-7);
        }
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
fn a_block_is_found_by_the_words_of_its_inputs() {
    let dir = std::env::temp_dir().join(format!("infrarag-inputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        "resource \"aws_iam_role\" \"this\" {\n  name = var.role_name\n}\n",
    )
    .unwrap();
    let variables = |description: &str| {
        let text = format!("variable \"role_name\" {{\n  description = \"{description}\"\n}}\n");
        std::fs::write(dir.join("variables.tf"), text).unwrap();
    };
    variables("Name of the role");
    let mut index = Index::in_memory();
    index.add_path(&dir).execute().unwrap();
    let lexical = |index: &Index, q: &str| {
        let hits = index.search(q).mode(SearchMode::Lexical).execute().unwrap();
        let mut found: Vec<String> = hits
            .into_iter()
            .map(|h| h.chunk.address.unwrap_or_default())
            .collect();
        found.sort();
        found
    };
    assert!(lexical(&index, "metrics").is_empty());

    variables("Role that publishes OS metrics");
    let report = index.add_path(&dir).execute().unwrap();
    assert_eq!((report.added, report.updated, report.unchanged), (0, 2, 0));
    assert_eq!(
        lexical(&index, "metrics"),
        ["aws_iam_role.this", "var.role_name"]
    );

    std::fs::remove_file(dir.join("variables.tf")).unwrap();
    let report = index.add_path(&dir).execute().unwrap();
    assert_eq!((report.updated, report.removed), (1, 1));
    assert!(lexical(&index, "metrics").is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// [`Hashing`], keeping every text it is sent.
#[derive(Default)]
struct Recording(Hashing, std::sync::Mutex<Vec<String>>);

impl Recording {
    fn take(&self) -> Vec<String> {
        let mut sent = std::mem::take(&mut *self.1.lock().unwrap());
        sent.sort();
        sent
    }
}

impl Embedder for Recording {
    fn model(&self) -> &str {
        self.0.model()
    }
    fn dimension(&self) -> usize {
        self.0.dimension()
    }
    fn embed(&self, texts: &[&str]) -> infrarag::Result<Vec<Vec<f32>>> {
        let mut sent = self.1.lock().unwrap();
        sent.extend(texts.iter().map(|t| t.to_string()));
        self.0.embed(texts)
    }
    fn fusion_weight(&self) -> f32 {
        self.0.fusion_weight()
    }
}

#[test]
fn an_update_sends_the_embedder_only_what_changed() {
    let dir = std::env::temp_dir().join(format!("infrarag-reuse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let role = "resource \"aws_iam_role\" \"this\" {\n  name = var.role_name\n}\n";
    let bucket = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = var.bucket\n}\n";
    std::fs::write(dir.join("main.tf"), format!("{role}\n{bucket}")).unwrap();
    let variables = |role: &str| {
        // A chunk's id names its byte range too: the block edited comes
        // first, so the one after it moves to a new id, with the same text
        // and summary, and its vectors are copied rather than embedded.
        let text = format!(
            "variable \"role_name\" {{\n  description = \"{role}\"\n}}\n\n\
             variable \"bucket\" {{\n  description = \"Where the logs go\"\n}}\n"
        );
        std::fs::write(dir.join("variables.tf"), text).unwrap();
    };
    variables("Name of the role");
    let recording = Arc::new(Recording::default());
    let mut index = Index::builder().embedder(recording.clone()).in_memory();
    let first = index.add_path(&dir).execute().unwrap();
    assert_eq!((first.chunks, first.embedded), (4, 8));
    assert_eq!(recording.take().len(), 8);

    variables("Role that publishes OS metrics");
    let second = index.add_path(&dir).execute().unwrap();
    assert_eq!((second.updated, second.chunks, second.embedded), (2, 4, 3));
    let chunk = |index: &Index, address: &str| {
        index
            .search(address)
            .mode(SearchMode::Lexical)
            .k(1)
            .filter(Filter::default().address(address))
            .execute()
            .unwrap()
            .remove(0)
            .chunk
    };
    let (var, iam) = (
        chunk(&index, "var.role_name"),
        chunk(&index, "aws_iam_role.this"),
    );
    let mut want = vec![var.text, var.summary, iam.summary];
    want.sort();
    assert_eq!(recording.take(), want);

    // A block added at the end leaves the others' byte ranges, and so
    // their ids, as they were.
    let topic = "resource \"aws_sns_topic\" \"alerts\" {\n  name = \"alerts\"\n}\n";
    std::fs::write(dir.join("main.tf"), format!("{role}\n{bucket}\n{topic}")).unwrap();
    let third = index.add_path(&dir).execute().unwrap();
    assert_eq!((third.chunks, third.embedded), (5, 2));
    let topic = chunk(&index, "aws_sns_topic.alerts");
    let mut want = vec![topic.text, topic.summary];
    want.sort();
    assert_eq!(recording.take(), want);

    // The vectors kept are the ones a fresh ingestion computes.
    let mut fresh = Index::in_memory();
    fresh.add_path(&dir).execute().unwrap();
    for q in ["role metrics", "bucket for logs", "alerts topic"] {
        let hits = |index: &Index| -> Vec<(String, f32)> {
            let hits = index.search(q).mode(SearchMode::Vector).execute().unwrap();
            hits.into_iter().map(|h| (h.chunk.id, h.score)).collect()
        };
        assert_eq!(hits(&index), hits(&fresh), "{q}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_another_chunker_chunked_are_chunked_again() {
    let dir = std::env::temp_dir().join(format!("infrarag-rechunk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = dir.join("src");
    infrarag_tests::copy_dir(&s3().join("modules/notification"), &src);
    let file = dir.join("idx");
    let chunker = |max: usize| Chunker::new(ChunkConfig::new(max)).unwrap();
    let first = Index::builder()
        .chunker(chunker(400))
        .open(&file)
        .unwrap()
        .add_path(&src)
        .execute()
        .unwrap();
    assert!(first.added > 1);

    // The index file keeps each file's chunker: reopened with the same
    // one, nothing is chunked again.
    let mut same = Index::builder().chunker(chunker(400)).open(&file).unwrap();
    let report = same.add_path(&src).execute().unwrap();
    assert_eq!((report.unchanged, report.chunks), (first.added, 0));
    drop(same);

    // With another, every file is, though no byte changed, and a search
    // finds the new chunks.
    let mut other = Index::builder().chunker(chunker(60)).open(&file).unwrap();
    let report = other.add_path(&src).execute().unwrap();
    assert_eq!((report.updated, report.unchanged), (first.added, 0));
    assert!(report.chunks > first.chunks, "{} chunks", report.chunks);
    let mut fresh = Index::builder().chunker(chunker(60)).in_memory();
    fresh.add_path(&src).execute().unwrap();
    assert_eq!(other.len(), fresh.len());
    let again = other.add_path(&src).execute().unwrap();
    assert_eq!(again.unchanged, first.added);
    drop(other);
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
        let weight = |name: &str| if name == "lexical" { 1.0 } else { 0.02 };
        let own: f32 = parts
            .iter()
            .filter_map(|(name, s)| {
                let s = (*s)?;
                *per_signal.entry(name).or_default() += 1;
                Some(weight(name) / (60.0 + s.rank as f32))
            })
            .sum();
        if h.places.is_empty() {
            assert!((h.score - own).abs() < 1e-7);
        } else {
            assert!(h.score >= own - 1e-7);
        }
    }
    assert_eq!(per_signal.len(), 3, "{per_signal:?}");
}

#[test]
fn where_a_repository_lies_is_not_part_of_its_chunks() {
    let scratch = infrarag_tests::scratch("index", "checkout");
    // Names count the two directories nearest a file, so both copies lie
    // in a directory of the same name; everything above it differs.
    let near = scratch.join("modules/s3");
    let far = scratch.join("home/someone/src/infrastructure/modules/s3");
    infrarag_tests::copy_dir(&s3(), &near);
    infrarag_tests::copy_dir(&s3(), &far);
    let summaries = |root: &Path| {
        let mut index = Index::in_memory();
        index.add_path(root).execute().unwrap();
        // One file, where no copy folds: its scores still read every
        // chunk's terms, through the lengths and document frequencies.
        let main = format!("{}/main.tf", root.display());
        let mut hits = index
            .search("bucket lifecycle rule")
            .k(usize::MAX)
            .mode(SearchMode::Lexical)
            .filter(Filter::default().path_prefix(main))
            .execute()
            .unwrap();
        hits.sort_by(|a, b| a.chunk.summary.cmp(&b.chunk.summary));
        let prefix = format!("{}/", root.display());
        for hit in &hits {
            assert!(hit.chunk.path.starts_with(&prefix), "{}", hit.chunk.path);
        }
        hits.into_iter()
            .map(|h| (h.chunk.summary, h.score))
            .collect::<Vec<_>>()
    };
    let (a, b) = (summaries(&near), summaries(&far));
    assert!(a.len() > 20);
    assert_eq!(a, b, "the same repository scores the same wherever it lies");
    let lifecycle = a
        .iter()
        .find(|(s, _)| s.contains("aws_s3_bucket_lifecycle_configuration \"this\""))
        .expect("the lifecycle block is found");
    assert!(
        lifecycle.0.contains(" in main.tf"),
        "named under the root: {}",
        lifecycle.0
    );
    assert!(a
        .iter()
        .all(|(s, _)| !s.contains("someone") && !s.contains("infrarag-index")));
    std::fs::remove_dir_all(&scratch).unwrap();
}

#[test]
fn tied_lexical_scores_leave_the_order_to_the_other_signals() {
    let dir = infrarag_tests::scratch("index", "ties");
    let description = "How many days automated backups are kept";
    for (file, name) in [("a.tf", "alpha"), ("b.tf", "omega")] {
        let text = format!("variable \"{name}\" {{\n  description = \"{description}\"\n}}\n");
        std::fs::write(dir.join(file), text).unwrap();
    }
    // The chunks as ingestion makes them: BM25 ties them (the same words
    // but for names of equal length), and the tie-break by id puts the
    // later id second. The summary vectors prefer that one.
    let chunks = infrarag::chunk::Chunker::new(Default::default())
        .unwrap()
        .chunk_dir(&dir)
        .path_prefix(dir.to_string_lossy())
        .execute()
        .unwrap()
        .chunks;
    assert_eq!(chunks.len(), 2);
    let later = chunks.iter().max_by(|a, b| a.id.cmp(&b.id)).unwrap();
    let favoured = format!(" in {}", later.path.rsplit('/').next().unwrap());

    /// Summaries naming `0`'s file point along the query; other summaries
    /// across it; code and queries along it.
    struct Toward(String);
    impl Embedder for Toward {
        fn model(&self) -> &str {
            "toward"
        }
        fn dimension(&self) -> usize {
            2
        }
        fn embed(&self, texts: &[&str]) -> infrarag::Result<Vec<Vec<f32>>> {
            Ok(texts
                .iter()
                .map(|t| match (t.contains(&self.0), t.contains(" in ")) {
                    (false, true) => vec![0.0, 1.0],
                    _ => vec![1.0, 0.0],
                })
                .collect())
        }
    }
    let mut index = Index::builder()
        .embedder(Arc::new(Toward(favoured)))
        .in_memory();
    index.add_path(&dir).execute().unwrap();
    let query = "days automated backups kept";
    let lexical = index
        .search(query)
        .mode(SearchMode::Lexical)
        .execute()
        .unwrap();
    assert_eq!(lexical.len(), 2);
    assert_eq!(lexical[0].score, lexical[1].score, "a lexical tie");
    assert_eq!(lexical[1].chunk.id, later.id, "broken by id");
    let hits = index.search(query).execute().unwrap();
    assert_eq!(hits[0].chunk.id, later.id, "the summary vectors decide");
    let ranks: Vec<usize> = hits
        .iter()
        .map(|h| h.scores.lexical.unwrap().rank)
        .collect();
    assert_eq!(ranks, [1, 1], "equal scores share their rank");
    std::fs::remove_dir_all(&dir).unwrap();
}
