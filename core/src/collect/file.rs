//! The audit trail and records in one SQLite file, written as the index's
//! file is: each entry with its records in one transaction, through a
//! write-ahead log, so a crash loses at most the append in flight.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection};

use super::store::{AuditEntry, RecordQuery, RecordStore, StoredRecord};
use super::Record;
use crate::error::{Error, Result};
use crate::store::file::open_sqlite;

/// The layout this code reads and writes; a file with another is refused.
const FORMAT: &str = "records-1";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    host TEXT NOT NULL,
    method TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    entry INTEGER NOT NULL REFERENCES audit (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    method TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_host ON records (host, method, time_ms);
";

/// A [`RecordStore`] in one SQLite file, locked by the process that opened
/// it.
pub struct FileRecordStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for FileRecordStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRecordStore")
            .field("path", &self.path)
            .finish()
    }
}

impl FileRecordStore {
    /// Opens the file at `path`, creating it (not its directory) when
    /// missing, and locks it against other processes.
    pub fn open(path: impl AsRef<Path>) -> Result<FileRecordStore> {
        let path = path.as_ref().to_path_buf();
        let conn = open_sqlite(&path, SCHEMA, FORMAT, &[], "a record store")?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(|e| storage(&path, e))?;
        Ok(FileRecordStore {
            path,
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fail(&self, e: impl std::fmt::Display) -> Error {
        storage(&self.path, e)
    }

    fn json<T: serde::Serialize>(&self, value: &T) -> Result<String> {
        serde_json::to_string(value).map_err(|e| self.fail(e))
    }

    /// Rows of `table` (its JSON column `column`) matching `query`.
    fn select<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        column: &str,
        order: &str,
        query: &RecordQuery,
    ) -> Result<Vec<T>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {column} FROM {table}
             WHERE (?1 IS NULL OR host = ?1) AND (?2 IS NULL OR method = ?2)
               AND (?3 IS NULL OR time_ms >= ?3) AND (?4 IS NULL OR time_ms < ?4)
             ORDER BY {order}"
        );
        let mut stmt = conn.prepare_cached(&sql).map_err(|e| self.fail(e))?;
        let clamp = |v: Option<u64>| v.map(|t| t.min(i64::MAX as u64) as i64);
        let rows = stmt
            .query_map(
                params![
                    query.host,
                    query.method,
                    clamp(query.since_ms),
                    clamp(query.until_ms)
                ],
                |r| r.get::<_, String>(0),
            )
            .map_err(|e| self.fail(e))?;
        rows.map(|row| {
            let text = row.map_err(|e| self.fail(e))?;
            serde_json::from_str(&text)
                .map_err(|e| self.fail(format!("a stored row does not read back: {e}")))
        })
        .collect()
    }
}

fn storage(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Storage {
        path: Some(path.to_path_buf()),
        message: e.to_string(),
    }
}

impl RecordStore for FileRecordStore {
    fn append(&self, entry: &AuditEntry, records: &[Record]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.fail(e))?;
        tx.execute(
            "INSERT INTO audit (id, time_ms, host, method, entry) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                entry.id as i64,
                entry.time_ms as i64,
                entry.host,
                entry.method,
                self.json(entry)?
            ],
        )
        .map_err(|e| self.fail(e))?;
        for record in records {
            let stored = StoredRecord {
                entry: entry.id,
                host: entry.host.clone(),
                method: entry.method.clone(),
                time_ms: entry.time_ms,
                record: record.clone(),
            };
            tx.execute(
                "INSERT INTO records (entry, host, method, time_ms, record) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![entry.id as i64, entry.host, entry.method, entry.time_ms as i64, self.json(&stored)?],
            )
            .map_err(|e| self.fail(e))?;
        }
        tx.commit().map_err(|e| self.fail(e))
    }

    fn audit(&self, query: &RecordQuery) -> Result<Vec<AuditEntry>> {
        self.select("audit", "entry", "id", query)
    }

    fn records(&self, query: &RecordQuery) -> Result<Vec<StoredRecord>> {
        self.select("records", "record", "entry, rowid", query)
    }

    fn last_id(&self) -> Result<u64> {
        let conn = self.conn();
        let id: Option<i64> = conn
            .query_row("SELECT max(id) FROM audit", [], |r| r.get(0))
            .map_err(|e| self.fail(e))?;
        Ok(id.unwrap_or(0).max(0) as u64)
    }

    fn prune(&self, before_ms: u64) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.fail(e))?;
        let t = before_ms.min(i64::MAX as u64) as i64;
        tx.execute("DELETE FROM records WHERE time_ms < ?1", [t])
            .map_err(|e| self.fail(e))?;
        let n = tx
            .execute("DELETE FROM audit WHERE time_ms < ?1", [t])
            .map_err(|e| self.fail(e))?;
        tx.commit().map_err(|e| self.fail(e))?;
        Ok(n)
    }
}
