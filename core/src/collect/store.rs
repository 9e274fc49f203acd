//! Where collections go: the audit trail and the records, appended
//! together ([`RecordStore`]), and the in-memory store.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::Record;
use crate::error::{Error, Result};

/// How a call to `collect` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The method ran and its records were stored.
    Collected,
    /// A fresh enough collection was in the cache; nothing ran.
    Cached,
    /// An identical collection was already running; its result was shared.
    Shared,
    /// The collection failed; `error` says why.
    Failed,
}

/// One call to `collect`, whatever its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Unique within the store, increasing.
    pub id: u64,
    /// When the call began, RFC 3339 UTC.
    pub time: String,
    /// Milliseconds since the Unix epoch, the same instant, for ranges.
    pub time_ms: u64,
    /// Who asked (a user, a job, an MCP client), as the caller said.
    pub actor: String,
    /// Why, as the caller said.
    pub reason: String,
    /// The host collected from.
    pub host: String,
    /// The method.
    pub method: String,
    /// The command lines run, in order (none for a cache hit).
    pub commands: Vec<String>,
    /// Milliseconds the call took.
    pub duration_ms: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// The error's code and message, when it failed.
    pub error: Option<String>,
    /// Bytes of output read from the host.
    pub bytes_read: u64,
    /// Records stored with this entry.
    pub records_written: usize,
}

/// A stored record with the collection it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// The audit entry of its collection.
    pub entry: u64,
    /// The host.
    pub host: String,
    /// The method.
    pub method: String,
    /// When it was collected, milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The record.
    pub record: Record,
}

/// What to read back: every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordQuery {
    /// Only this host.
    pub host: Option<String>,
    /// Only this method.
    pub method: Option<String>,
    /// Collected at or after this, milliseconds since the Unix epoch.
    pub since_ms: Option<u64>,
    /// Collected before this.
    pub until_ms: Option<u64>,
}

impl RecordQuery {
    fn accepts(&self, host: &str, method: &str, time_ms: u64) -> bool {
        self.host.as_deref().is_none_or(|h| h == host)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self.since_ms.is_none_or(|t| time_ms >= t)
            && self.until_ms.is_none_or(|t| time_ms < t)
    }
}

/// Keeps the audit trail and the records. An entry and its records are
/// appended together or not at all; a record is never stored without its
/// entry.
pub trait RecordStore: Send + Sync {
    /// Appends `entry` and `records` in one step.
    fn append(&self, entry: &AuditEntry, records: &[Record]) -> Result<()>;

    /// The audit entries matching `query`, in the order the calls began.
    fn audit(&self, query: &RecordQuery) -> Result<Vec<AuditEntry>>;

    /// The records matching `query`, oldest first.
    fn records(&self, query: &RecordQuery) -> Result<Vec<StoredRecord>>;

    /// The records of the latest successful collection of `method` on `host`.
    fn latest(&self, host: &str, method: &str) -> Result<Vec<StoredRecord>> {
        let query = RecordQuery {
            host: Some(host.into()),
            method: Some(method.into()),
            ..RecordQuery::default()
        };
        let records = self.records(&query)?;
        let last = records.iter().map(|r| r.entry).max();
        Ok(records
            .into_iter()
            .filter(|r| Some(r.entry) == last)
            .collect())
    }

    /// The highest entry id held (0 when empty): a service continues after
    /// it, so a reopened store never sees an id twice.
    fn last_id(&self) -> Result<u64> {
        Ok(self
            .audit(&RecordQuery::default())?
            .iter()
            .map(|e| e.id)
            .max()
            .unwrap_or(0))
    }

    /// Forgets entries and records from before `before_ms`; returns how
    /// many entries went.
    fn prune(&self, before_ms: u64) -> Result<usize>;

    /// The id of the next audit entry, for a store that services in other
    /// processes append to as well; `None` (the default) lets the service
    /// count on from [`last_id`](Self::last_id).
    fn next_id(&self) -> Result<Option<u64>> {
        Ok(None)
    }
}

/// The record store at `location`: PostgreSQL, shared by every service
/// that opens it, for a `postgres://` or `postgresql://` URL (with the
/// `postgres` feature); else the SQLite file at that path
/// ([`super::FileRecordStore`]).
pub fn record_store_at(location: &str) -> Result<std::sync::Arc<dyn RecordStore>> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return Ok(std::sync::Arc::new(
            crate::store::postgres::PostgresStore::connect(location)?.records(),
        ));
        #[cfg(not(feature = "postgres"))]
        return Err(Error::InvalidArgument {
            name: "store".into(),
            message: "this build of infrarag has no PostgreSQL support (cargo feature `postgres`)"
                .into(),
        });
    }
    Ok(std::sync::Arc::new(super::FileRecordStore::open(location)?))
}

/// A [`RecordStore`] in memory.
#[derive(Debug, Default)]
pub struct MemoryRecordStore {
    inner: Mutex<(Vec<AuditEntry>, Vec<StoredRecord>)>,
}

impl MemoryRecordStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, (Vec<AuditEntry>, Vec<StoredRecord>)>> {
        self.inner.lock().map_err(|_| Error::Storage {
            path: None,
            message: "the record store was poisoned by a panic".into(),
        })
    }
}

impl RecordStore for MemoryRecordStore {
    fn append(&self, entry: &AuditEntry, records: &[Record]) -> Result<()> {
        let mut inner = self.lock()?;
        inner.0.push(entry.clone());
        inner.1.extend(records.iter().map(|r| StoredRecord {
            entry: entry.id,
            host: entry.host.clone(),
            method: entry.method.clone(),
            time_ms: entry.time_ms,
            record: r.clone(),
        }));
        Ok(())
    }

    fn audit(&self, query: &RecordQuery) -> Result<Vec<AuditEntry>> {
        let inner = self.lock()?;
        // Appended when each call ends; listed by when each began.
        let mut entries: Vec<AuditEntry> = inner
            .0
            .iter()
            .filter(|e| query.accepts(&e.host, &e.method, e.time_ms))
            .cloned()
            .collect();
        entries.sort_by_key(|e| e.id);
        Ok(entries)
    }

    fn records(&self, query: &RecordQuery) -> Result<Vec<StoredRecord>> {
        let inner = self.lock()?;
        Ok(inner
            .1
            .iter()
            .filter(|r| query.accepts(&r.host, &r.method, r.time_ms))
            .cloned()
            .collect())
    }

    fn prune(&self, before_ms: u64) -> Result<usize> {
        let mut inner = self.lock()?;
        let n = inner.0.len();
        inner.0.retain(|e| e.time_ms >= before_ms);
        inner.1.retain(|r| r.time_ms >= before_ms);
        Ok(n - inner.0.len())
    }
}
