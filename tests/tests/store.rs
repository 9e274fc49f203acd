//! Persistence: an index file reopens with the same chunks, vectors and
//! answers without embedding again; a writer process (`index_writer`)
//! killed mid-ingestion, at points it announces, leaves a file that opens to
//! a state it committed; stores of the caller's are reconciled when an
//! index opens on them.

use infrarag_tests::{copy_dir, scratch};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use infrarag::chunk::{ChunkConfig, Chunker};
use infrarag::embed::{Embedder, Hashing};
use infrarag::index::{Filter, Index};
use infrarag::store::{
    Document, DocumentChanges, DocumentStore, FileStore, MemoryDocumentStore, MemoryVectorStore,
    Metadata, Stores, VectorQuery, VectorRecord, VectorStore,
};
use infrarag::Error;
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// [`Hashing`], counting the texts it embeds.
struct Counting {
    inner: Hashing,
    texts: AtomicUsize,
}

impl Embedder for Counting {
    fn model(&self) -> &str {
        self.inner.model()
    }
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn embed(&self, texts: &[&str]) -> infrarag::Result<Vec<Vec<f32>>> {
        self.texts.fetch_add(texts.len(), Ordering::SeqCst);
        self.inner.embed(texts)
    }
    fn fusion_weight(&self) -> f32 {
        self.inner.fusion_weight()
    }
}

fn answers(index: &Index, query: &str) -> Vec<(String, String, u32)> {
    index
        .search(query)
        .k(8)
        .execute()
        .unwrap()
        .into_iter()
        .map(|h| (h.citation(), h.chunk.id, h.score.to_bits()))
        .collect()
}

#[test]
fn an_index_file_reopens_with_the_same_answers_and_no_embedding() {
    let dir = scratch("store", "reopen");
    let file = dir.join("idx");
    let s3 = infrarag_tests::corpus().join("modules/s3");
    let queries = [
        "encrypt bucket with KMS",
        "lifecycle rule expiration",
        "var.tags",
    ];
    let (sources, before) = {
        let mut index = Index::open(&file).unwrap();
        let report = index.add_path(&s3).execute().unwrap();
        assert!(report.added > 10 && report.chunks > 100, "{report:?}");
        let before: Vec<_> = queries.iter().map(|q| answers(&index, q)).collect();
        (index.sources(), before)
    };
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["idx"], "a closed index is one file");

    let counting = Arc::new(Counting {
        inner: Hashing::default(),
        texts: AtomicUsize::new(0),
    });
    let mut index = Index::builder()
        .embedder(counting.clone())
        .open(&file)
        .unwrap();
    assert_eq!(index.sources(), sources);
    for (q, want) in queries.iter().zip(&before) {
        assert_eq!(&answers(&index, q), want, "{q}");
    }
    assert_eq!(counting.texts.load(Ordering::SeqCst), queries.len());
    let again = index.add_path(&s3).execute().unwrap();
    assert_eq!(
        (again.unchanged, again.added, again.chunks),
        (sources.len(), 0, 0)
    );
    assert_eq!(counting.texts.load(Ordering::SeqCst), queries.len());
    for s in &sources {
        assert_eq!(s.content_hash, sha256(&std::fs::read(&s.path).unwrap()));
    }
}

#[test]
fn an_index_file_keeps_its_model_and_its_lock() {
    let dir = scratch("store", "model");
    let file = dir.join("idx");
    let index = Index::open(&file).unwrap();
    match Index::open(&file) {
        Err(Error::Storage { path, message }) => {
            assert_eq!(path.as_deref(), Some(file.as_path()));
            assert!(message.contains("another process"), "{message}");
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a second open of a locked file succeeded"),
    }
    drop(index);
    let small = Index::builder()
        .embedder(Arc::new(Hashing::new(64).unwrap()))
        .open(&file);
    let err = small.err().expect("another model is refused");
    assert_eq!(err.code(), "STORAGE_ERROR");
    assert!(
        err.to_string()
            .contains("infrarag-hashing-v1-384 (384 dimensions)"),
        "{err}"
    );
    std::fs::write(dir.join("junk"), b"not a database, just bytes of text").unwrap();
    let err = Index::open(dir.join("junk"))
        .err()
        .expect("junk is refused");
    assert!(err.to_string().contains("not an infrarag index"), "{err}");
    let err = Index::open(&dir).err().expect("a directory is refused");
    assert!(err.to_string().contains("is a directory"), "{err}");
}

/// Runs the writer over rounds `first..first + 20` until it prints `line`,
/// waits `delay`, and kills it.
fn kill_writer_at(file: &Path, work: &Path, first: u32, line: &str, delay: Duration) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_index_writer"))
        .arg(file)
        .arg(work)
        .arg(first.to_string())
        .arg((first + 19).to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let seen = out.lines().any(|l| l.unwrap() == line);
    std::thread::sleep(delay);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(seen, "the writer stopped before {line:?}: {status}");
    assert!(!status.success(), "the writer finished before the kill");
}

#[test]
fn a_writer_killed_mid_ingestion_leaves_a_committed_state() {
    let dir = scratch("store", "crash");
    let file = dir.join("idx");
    let work = dir.join("s3");
    copy_dir(&infrarag_tests::corpus().join("modules/s3"), &work);
    let mut bases: HashMap<String, String> = HashMap::new();
    let mut stack = vec![work.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.to_string_lossy().replace('\\', "/");
                bases.insert(name, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let chunker = Chunker::new(ChunkConfig::default()).unwrap();
    // (round of the line to kill after, its stage, milliseconds after it)
    let kills = [
        (2, "code stored", 0),
        (1, "documents applying", 0),
        (2, "embedded", 2),
        (2, "written", 30),
        (1, "code stored", 0),
        (3, "documents applying", 1),
        (1, "written", 120),
    ];
    // Rounds the writers may have reached: a file is as copied or ends
    // with one of their markers.
    let mut rounds: Vec<u32> = Vec::new();
    for (i, (round, stage, ms)) in kills.into_iter().enumerate() {
        let first = 100 * (i as u32 + 1);
        let at = format!("round {} {stage}", first + round - 1);
        kill_writer_at(&file, &work, first, &at, Duration::from_millis(ms));
        rounds.extend(first..first + round + 1);
        let context = format!("killed {ms} ms after {at:?}");
        let version = |path: &str, hash: &str| -> Option<String> {
            let base = bases.get(path)?;
            let marked: &[u32] = if path.ends_with(".tf") { &rounds } else { &[] };
            std::iter::once(base.clone())
                .chain(marked.iter().map(|r| format!("{base}# round {r}\n")))
                .find(|text| sha256(text.as_bytes()) == hash)
        };
        // The file as the crash left it: every document is a whole version
        // of its file, chunked exactly as the chunker chunks that version.
        {
            let raw = FileStore::open(&file)
                .unwrap_or_else(|e| panic!("{context}: {e}"))
                .into_stores(384)
                .unwrap();
            for d in raw.documents.load().unwrap() {
                let text = version(&d.path, &d.content_hash)
                    .unwrap_or_else(|| panic!("{context}: {} holds an unknown version", d.path));
                let ids: Vec<String> = chunker
                    .chunk_file(&d.path, &text)
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                let held: Vec<String> = d.chunks.iter().map(|c| c.id.clone()).collect();
                assert_eq!(held, ids, "{context}: {}", d.path);
            }
        }
        // Opened as an index, it holds those chunks, and its vectors are
        // exactly theirs: what the crash orphaned is gone.
        let held = Index::open(&file)
            .unwrap_or_else(|e| panic!("{context}: {e}"))
            .len();
        let raw = FileStore::open(&file).unwrap().into_stores(384).unwrap();
        let chunks: HashSet<String> = raw
            .documents
            .load()
            .unwrap()
            .into_iter()
            .flat_map(|d| d.chunks.into_iter().map(|c| c.id))
            .collect();
        assert_eq!(chunks.len(), held, "{context}");
        for store in [&raw.code, &raw.summary] {
            let ids: HashSet<String> = store.ids().unwrap().into_iter().collect();
            let extra: Vec<&String> = ids.difference(&chunks).take(3).collect();
            let missing: Vec<&String> = chunks.difference(&ids).take(3).collect();
            assert!(
                extra.is_empty() && missing.is_empty(),
                "{context}: vectors without chunks {extra:?}, chunks without vectors {missing:?}"
            );
        }
    }
    let mut index = Index::open(&file).unwrap();
    index.add_path(&work).execute().unwrap();
    for s in index.sources() {
        assert_eq!(s.content_hash, sha256(&std::fs::read(&s.path).unwrap()));
    }
}

/// A store both the test and the index hold.
struct Shared<T>(Arc<Mutex<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: DocumentStore> DocumentStore for Shared<T> {
    fn load(&self) -> infrarag::Result<Vec<Document>> {
        self.0.lock().unwrap().load()
    }
    fn apply(&mut self, changes: &DocumentChanges) -> infrarag::Result<()> {
        self.0.lock().unwrap().apply(changes)
    }
}

impl<T: VectorStore> VectorStore for Shared<T> {
    fn dimension(&self) -> usize {
        self.0.lock().unwrap().dimension()
    }
    fn ids(&self) -> infrarag::Result<Vec<String>> {
        self.0.lock().unwrap().ids()
    }
    fn upsert(&mut self, records: Vec<VectorRecord>) -> infrarag::Result<()> {
        self.0.lock().unwrap().upsert(records)
    }
    fn delete(&mut self, ids: &[String]) -> infrarag::Result<()> {
        self.0.lock().unwrap().delete(ids)
    }
    fn search(&self, query: &VectorQuery<'_>) -> infrarag::Result<Vec<(String, f32)>> {
        self.0.lock().unwrap().search(query)
    }
}

/// Refuses every change, like a database that went away.
struct Failing;

impl DocumentStore for Failing {
    fn load(&self) -> infrarag::Result<Vec<Document>> {
        Ok(Vec::new())
    }
    fn apply(&mut self, _: &DocumentChanges) -> infrarag::Result<()> {
        Err(Error::Storage {
            path: None,
            message: "connection lost".into(),
        })
    }
}

fn memory_vectors() -> Shared<MemoryVectorStore> {
    Shared(Arc::new(Mutex::new(MemoryVectorStore::new(384))))
}

#[test]
fn stores_of_the_callers_are_written_through_and_reconciled() {
    let s3 = infrarag_tests::corpus().join("modules/s3");
    let (code, summary) = (memory_vectors(), memory_vectors());
    let stores = |documents: Box<dyn DocumentStore>| Stores {
        documents,
        code: Box::new(code.clone()),
        summary: Box::new(summary.clone()),
    };

    // A document store that fails its commit: the ingestion fails, the
    // index is unchanged, and the vectors written first are orphans.
    let mut index = Index::builder().stores(stores(Box::new(Failing))).unwrap();
    let err = index.add_path(&s3).execute().unwrap_err();
    assert!(err.to_string().contains("connection lost"), "{err}");
    assert!(index.is_empty());
    assert!(!code.0.lock().unwrap().ids().unwrap().is_empty());
    drop(index);

    // Opening on the same vectors reconciles them away.
    let docs = Shared(Arc::new(Mutex::new(MemoryDocumentStore::new())));
    let mut index = Index::builder()
        .stores(stores(Box::new(docs.clone())))
        .unwrap();
    assert!(code.0.lock().unwrap().ids().unwrap().is_empty());
    assert!(summary.0.lock().unwrap().ids().unwrap().is_empty());

    let report = index.add_path(&s3).execute().unwrap();
    let held = docs.0.lock().unwrap().load().unwrap();
    assert_eq!(held.len(), report.added);
    let ids: HashSet<String> = held
        .iter()
        .flat_map(|d| d.chunks.iter().map(|c| c.id.clone()))
        .collect();
    assert_eq!(ids.len(), report.chunks);
    let code_ids: HashSet<String> = code.0.lock().unwrap().ids().unwrap().into_iter().collect();
    assert_eq!(code_ids, ids);
    drop(index);

    // A document whose vectors went missing is dropped on open, to be
    // ingested again; the others answer as before.
    let victim = held.iter().find(|d| d.chunks.len() > 1).unwrap().clone();
    summary
        .0
        .lock()
        .unwrap()
        .delete(&[victim.chunks[0].id.clone()])
        .unwrap();
    let mut index = Index::builder()
        .stores(stores(Box::new(docs.clone())))
        .unwrap();
    assert_eq!(index.sources().len(), held.len() - 1);
    assert!(index.sources().iter().all(|s| s.path != victim.path));
    assert!(docs
        .0
        .lock()
        .unwrap()
        .load()
        .unwrap()
        .iter()
        .all(|d| d.path != victim.path));
    let again = index.add_path(&s3).execute().unwrap();
    assert_eq!((again.added, again.chunks), (1, victim.chunks.len()));

    // Vector hits come from the store, filtered on its metadata.
    let q = Hashing::default().embed_one("server side encryption");
    let hits = code
        .0
        .lock()
        .unwrap()
        .search(&VectorQuery {
            vector: &q,
            k: 5,
            ef: 64,
            filter: &Filter::default().block_type("variable"),
        })
        .unwrap();
    assert_eq!(hits.len(), 5);
    let by_id: HashMap<String, Metadata> = held
        .iter()
        .flat_map(|d| d.chunks.iter())
        .map(|c| (c.id.clone(), Metadata::from(c)))
        .collect();
    for (id, _) in &hits {
        assert_eq!(by_id[id].block_type.as_deref(), Some("variable"));
    }

    // Stores of another dimension are refused up front.
    let err = Index::builder()
        .stores(Stores {
            documents: Box::new(MemoryDocumentStore::new()),
            code: Box::new(MemoryVectorStore::new(8)),
            summary: Box::new(MemoryVectorStore::new(384)),
        })
        .err()
        .unwrap();
    assert!(err.to_string().contains("holds 8 dimensions"), "{err}");
}
