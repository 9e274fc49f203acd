//! The embedded default: documents and vectors in one SQLite file, written
//! in transactions through a write-ahead log, so a crash loses at most the
//! change in flight and never corrupts what was committed.
//!
//! The file is locked by the process that opened it; the write-ahead log
//! lives beside it only while it is open.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};

use super::{
    Document, DocumentChanges, DocumentStore, MemoryVectorStore, Metadata, Stores, VectorQuery,
    VectorRecord, VectorStore,
};
use crate::chunk::Chunk;
use crate::error::{Error, Result};

/// The layout this code reads and writes; a file with a newer one is
/// refused, one with an older one is moved to it ([`UPGRADES`]).
const FORMAT: &str = "2";

/// How a file of each older layout becomes the next: 1 to 2 keeps each
/// file's chunker, unknown (empty) for what format 1 wrote.
const UPGRADES: &[Upgrade] = &[(
    "1",
    "2",
    "ALTER TABLE documents ADD COLUMN chunker TEXT NOT NULL DEFAULT '';",
)];

/// Vectors live in a rowid table: a WITHOUT ROWID table stores whole rows
/// in its key's B-tree, which 1.5 KB vectors more than double in size.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    path TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    chunks TEXT NOT NULL,
    chunker TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS vectors (
    space TEXT NOT NULL,
    id TEXT NOT NULL,
    path TEXT NOT NULL,
    language TEXT NOT NULL,
    block_type TEXT,
    address TEXT,
    vector BLOB NOT NULL,
    UNIQUE (space, id)
);
";

/// An index file, open and locked. [`FileStore::into_stores`] gives the
/// stores an [`crate::index::Index`] runs on.
pub struct FileStore {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Shared {
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self, e: impl std::fmt::Display) -> Error {
        storage_error(&self.path, e)
    }
}

/// A change of a file's layout: from one format, to the next, by this SQL.
pub(crate) type Upgrade = (&'static str, &'static str, &'static str);

/// Opens the SQLite file at `path` as infrarag's stores use one: locked
/// against other connections, written through a write-ahead log with full
/// syncs, holding `schema`, and marked with `format`. A file of an older
/// format is moved to it through `upgrades`, in the same transaction; one
/// of any other is refused. `what` names such a file in errors.
pub(crate) fn open_sqlite(
    path: &Path,
    schema: &str,
    format: &str,
    upgrades: &[Upgrade],
    what: &str,
) -> Result<Connection> {
    let fail = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            storage_error(path, "is open in another process")
        }
        Some(rusqlite::ErrorCode::NotADatabase) => storage_error(path, format!("is not {what}")),
        _ => storage_error(path, e),
    };
    let conn = Connection::open(path).map_err(fail)?;
    // A file another connection holds stays locked until it is closed:
    // waiting (SQLite's default is 5 s) only delays the same answer.
    conn.busy_timeout(std::time::Duration::ZERO).map_err(fail)?;
    // Exclusive locking keeps the WAL index in memory (no -shm file) and
    // holds the lock from the first write until the file closes.
    conn.execute_batch(
        "PRAGMA locking_mode = EXCLUSIVE;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;",
    )
    .map_err(fail)?;
    conn.execute_batch(&format!("BEGIN IMMEDIATE; {schema}"))
        .map_err(fail)?;
    let found: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(fail)?;
    match found.as_deref() {
        None => {
            conn.execute("INSERT INTO meta VALUES ('format', ?1)", [format])
                .map_err(fail)?;
        }
        Some(f) if f == format => {}
        Some(older) => {
            let mut at = older;
            while at != format {
                let Some((_, next, sql)) = upgrades.iter().find(|(from, _, _)| *from == at) else {
                    return Err(storage_error(
                        path,
                        format!("has format {older}; this version reads format {format}"),
                    ));
                };
                conn.execute_batch(sql).map_err(fail)?;
                at = next;
            }
            conn.execute("UPDATE meta SET value = ?1 WHERE key = 'format'", [format])
                .map_err(fail)?;
        }
    }
    conn.execute_batch("COMMIT").map_err(fail)?;
    Ok(conn)
}

fn storage_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Storage {
        path: Some(path.to_path_buf()),
        message: e.to_string(),
    }
}

impl FileStore {
    /// Opens the index file at `path`, creating it (not its directory) when
    /// missing, and locks it against other processes.
    pub fn open(path: impl AsRef<Path>) -> Result<FileStore> {
        let path = path.as_ref().to_path_buf();
        if path.is_dir() {
            return Err(storage_error(&path, "is a directory; an index is one file"));
        }
        let conn = open_sqlite(&path, SCHEMA, FORMAT, UPGRADES, "an infrarag index")?;
        Ok(FileStore {
            shared: Arc::new(Shared {
                path,
                conn: Mutex::new(conn),
            }),
        })
    }

    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Records the embedder whose vectors the file holds, or checks that it
    /// is the one recorded: vectors of two models never mix.
    pub fn bind_model(&self, model: &str, dimension: usize) -> Result<()> {
        let conn = self.shared.conn();
        let get = |key: &str| -> Result<Option<String>> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(|e| self.shared.error(e))
        };
        match (get("model")?, get("dimension")?) {
            (Some(m), Some(d)) if m == model && d == dimension.to_string() => Ok(()),
            (Some(m), Some(d)) => Err(self.shared.error(format!(
                "holds vectors of {m} ({d} dimensions), not of {model} ({dimension}); \
                 open it with that embedder or start a new index"
            ))),
            _ => conn
                .execute(
                    "INSERT OR REPLACE INTO meta VALUES ('model', ?1), ('dimension', ?2)",
                    params![model, dimension.to_string()],
                )
                .map(drop)
                .map_err(|e| self.shared.error(e)),
        }
    }

    /// The file's document store and its code and summary vector stores,
    /// their vectors loaded into memory (graphs build in the background).
    pub fn into_stores(self, dimension: usize) -> Result<Stores> {
        let code = FileVectorStore::load(self.shared.clone(), "code", dimension)?;
        let summary = FileVectorStore::load(self.shared.clone(), "summary", dimension)?;
        Ok(Stores {
            documents: Box::new(FileDocumentStore {
                shared: self.shared,
            }),
            code: Box::new(code),
            summary: Box::new(summary),
        })
    }
}

struct FileDocumentStore {
    shared: Arc<Shared>,
}

impl DocumentStore for FileDocumentStore {
    fn load(&self) -> Result<Vec<Document>> {
        let conn = self.shared.conn();
        let mut stmt = conn
            .prepare("SELECT path, content_hash, chunks, chunker FROM documents")
            .map_err(|e| self.shared.error(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| self.shared.error(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (path, content_hash, chunks, chunker) = row.map_err(|e| self.shared.error(e))?;
            let chunks: Vec<Chunk> = serde_json::from_str(&chunks).map_err(|e| {
                self.shared
                    .error(format!("the chunks of {path} cannot be read: {e}"))
            })?;
            out.push(Document {
                path,
                content_hash,
                chunker,
                chunks,
            });
        }
        Ok(out)
    }

    fn apply(&mut self, changes: &DocumentChanges) -> Result<()> {
        let mut conn = self.shared.conn();
        let fail = |e: rusqlite::Error| self.shared.error(e);
        let tx = conn.transaction().map_err(fail)?;
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM documents WHERE path = ?1")
                .map_err(fail)?;
            for path in &changes.remove {
                delete.execute([path]).map_err(fail)?;
            }
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO documents (path, content_hash, chunks, chunker)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(fail)?;
            for d in &changes.put {
                let chunks = serde_json::to_string(&d.chunks).map_err(|e| self.shared.error(e))?;
                put.execute(params![d.path, d.content_hash, chunks, d.chunker])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }
}

/// Vectors of one space (`code`, `summary`) in the file, mirrored in memory
/// where they are searched.
struct FileVectorStore {
    shared: Arc<Shared>,
    space: &'static str,
    memory: MemoryVectorStore,
}

impl FileVectorStore {
    fn load(shared: Arc<Shared>, space: &'static str, dimension: usize) -> Result<Self> {
        let records = {
            let conn = shared.conn();
            let fail = |e: rusqlite::Error| shared.error(e);
            let mut stmt = conn
                .prepare(
                    "SELECT id, path, language, block_type, address, vector
                     FROM vectors WHERE space = ?1",
                )
                .map_err(fail)?;
            let rows = stmt
                .query_map([space], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                    ))
                })
                .map_err(fail)?;
            let mut records = Vec::new();
            for row in rows {
                let (id, path, language, block_type, address, blob) = row.map_err(fail)?;
                if blob.len() != dimension * 4 {
                    return Err(shared.error(format!(
                        "the {space} vector of {id} has {} bytes, not {}",
                        blob.len(),
                        dimension * 4
                    )));
                }
                records.push(VectorRecord {
                    id,
                    vector: blob
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                    metadata: Metadata {
                        path,
                        language: language.parse()?,
                        block_type,
                        address,
                    },
                });
            }
            records
        };
        Ok(FileVectorStore {
            memory: MemoryVectorStore::with_records(dimension, records)?,
            shared,
            space,
        })
    }
}

impl VectorStore for FileVectorStore {
    fn dimension(&self) -> usize {
        self.memory.dimension()
    }

    fn ids(&self) -> Result<Vec<String>> {
        self.memory.ids()
    }

    fn vectors(&self, ids: &[String]) -> Result<Vec<(String, Vec<f32>)>> {
        self.memory.vectors(ids)
    }

    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<()> {
        if let Some(r) = records.iter().find(|r| r.vector.len() != self.dimension()) {
            return Err(self.shared.error(format!(
                "the vector of {} has {} dimensions, not {}",
                r.id,
                r.vector.len(),
                self.dimension()
            )));
        }
        {
            let mut conn = self.shared.conn();
            let fail = |e: rusqlite::Error| self.shared.error(e);
            let tx = conn.transaction().map_err(fail)?;
            {
                let mut put = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO vectors
                         (space, id, path, language, block_type, address, vector)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )
                    .map_err(fail)?;
                let mut blob = Vec::with_capacity(self.dimension() * 4);
                for r in &records {
                    blob.clear();
                    blob.extend(r.vector.iter().flat_map(|x| x.to_le_bytes()));
                    let m = &r.metadata;
                    put.execute(params![
                        self.space,
                        r.id,
                        m.path,
                        m.language.as_str(),
                        m.block_type,
                        m.address,
                        blob
                    ])
                    .map_err(fail)?;
                }
            }
            tx.commit().map_err(fail)?;
        }
        self.memory.upsert(records)
    }

    fn delete(&mut self, ids: &[String]) -> Result<()> {
        {
            let mut conn = self.shared.conn();
            let fail = |e: rusqlite::Error| self.shared.error(e);
            let tx = conn.transaction().map_err(fail)?;
            {
                let mut delete = tx
                    .prepare_cached("DELETE FROM vectors WHERE space = ?1 AND id = ?2")
                    .map_err(fail)?;
                for id in ids {
                    delete.execute(params![self.space, id]).map_err(fail)?;
                }
            }
            tx.commit().map_err(fail)?;
        }
        self.memory.delete(ids)
    }

    fn search(&self, query: &VectorQuery<'_>) -> Result<Vec<(String, f32)>> {
        self.memory.search(query)
    }
}

#[cfg(test)]
mod tests {
    use super::FileStore;

    /// An index file as format 1 wrote it, with one document.
    fn format_1(path: &std::path::Path) {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE documents (
                 path TEXT PRIMARY KEY, content_hash TEXT NOT NULL, chunks TEXT NOT NULL);
             INSERT INTO meta VALUES ('format', '1');
             INSERT INTO documents VALUES ('a.tf', 'abc', '[]');",
        )
        .unwrap();
    }

    #[test]
    fn a_format_1_file_is_moved_to_format_2_and_a_newer_one_refused() {
        let dir = std::env::temp_dir().join(format!("infrarag-format-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let old = dir.join("old");
        format_1(&old);
        let stores = FileStore::open(&old).unwrap().into_stores(8).unwrap();
        let docs = stores.documents.load().unwrap();
        assert_eq!(
            docs.iter()
                .map(|d| (d.path.as_str(), d.content_hash.as_str(), d.chunker.as_str()))
                .collect::<Vec<_>>(),
            [("a.tf", "abc", "")]
        );
        drop(stores);
        let format: String = rusqlite::Connection::open(&old)
            .unwrap()
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(format, "2");

        let newer = dir.join("newer");
        format_1(&newer);
        rusqlite::Connection::open(&newer)
            .unwrap()
            .execute("UPDATE meta SET value = '3' WHERE key = 'format'", [])
            .unwrap();
        let err = FileStore::open(&newer).err().unwrap().to_string();
        assert!(
            err.contains("has format 3; this version reads format 2"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
