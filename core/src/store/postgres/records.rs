//! The collectors' [`RecordStore`] on `infrarag_audit` and
//! `infrarag_records`: an entry and its records in one transaction, ids
//! from a sequence so that services in many processes never share one.

use std::sync::Arc;

use super::pool::Pool;
use super::{db_error, refused};
use crate::collect::{AuditEntry, Record, RecordQuery, RecordStore, StoredRecord};
use crate::error::Result;

/// A [`RecordStore`] in PostgreSQL, from [`super::PostgresStore::records`].
pub struct PostgresRecordStore {
    pool: Arc<Pool>,
}

impl std::fmt::Debug for PostgresRecordStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresRecordStore")
            .field("server", &self.pool.server())
            .finish()
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| refused(format!("cannot encode a row: {e}")))
}

/// Milliseconds as PostgreSQL's bigint.
fn ms(t: u64) -> i64 {
    t.min(i64::MAX as u64) as i64
}

impl PostgresRecordStore {
    pub(super) fn new(pool: Arc<Pool>) -> Self {
        PostgresRecordStore { pool }
    }

    /// The JSON column `column` of `table`'s rows matching `query`.
    fn select<T: serde::de::DeserializeOwned>(
        &self,
        table: &str,
        column: &str,
        order: &str,
        query: &RecordQuery,
    ) -> Result<Vec<T>> {
        let rows = self
            .pool
            .get()?
            .query(
                &format!(
                    "SELECT {column} FROM {table}
                     WHERE ($1::text IS NULL OR host = $1) AND ($2::text IS NULL OR method = $2)
                       AND ($3::bigint IS NULL OR time_ms >= $3)
                       AND ($4::bigint IS NULL OR time_ms < $4)
                     ORDER BY {order}"
                ),
                &[
                    &query.host,
                    &query.method,
                    &query.since_ms.map(ms),
                    &query.until_ms.map(ms),
                ],
            )
            .map_err(|e| db_error(&format!("reading {table}"), &e))?;
        decode(table, &rows)
    }
}

/// Each row's first column, the JSON text of a `T`.
fn decode<T: serde::de::DeserializeOwned>(table: &str, rows: &[postgres::Row]) -> Result<Vec<T>> {
    rows.iter()
        .map(|r| {
            serde_json::from_str(r.get::<_, &str>(0))
                .map_err(|e| refused(format!("a row of {table} does not read back: {e}")))
        })
        .collect()
}

impl RecordStore for PostgresRecordStore {
    fn append(&self, entry: &AuditEntry, records: &[Record]) -> Result<()> {
        let entry_json = json(entry)?;
        let stored = records
            .iter()
            .map(|record| {
                json(&StoredRecord {
                    entry: entry.id,
                    host: entry.host.clone(),
                    method: entry.method.clone(),
                    time_ms: entry.time_ms,
                    record: record.clone(),
                })
            })
            .collect::<Result<Vec<String>>>()?;
        let id = i64::try_from(entry.id)
            .map_err(|_| refused(format!("audit id {} is past bigint", entry.id)))?;
        let mut conn = self.pool.get()?;
        let mut tx = conn
            .transaction()
            .map_err(|e| db_error("appending an audit entry", &e))?;
        tx.execute(
            "INSERT INTO infrarag_audit (id, time_ms, host, method, entry) VALUES ($1, $2, $3, $4, $5)",
            &[&id, &ms(entry.time_ms), &entry.host, &entry.method, &entry_json],
        )
        .map_err(|e| db_error("appending an audit entry", &e))?;
        // An id the caller chose keeps the sequence ahead of it.
        tx.execute(
            "SELECT setval('infrarag_audit_ids', greatest($1, (SELECT last_value FROM infrarag_audit_ids)))",
            &[&id],
        )
        .map_err(|e| db_error("appending an audit entry", &e))?;
        if !stored.is_empty() {
            tx.execute(
                "INSERT INTO infrarag_records (entry, host, method, time_ms, record)
                 SELECT $1, $2, $3, $4, r FROM unnest($5::text[]) WITH ORDINALITY AS t (r, i) ORDER BY i",
                &[&id, &entry.host, &entry.method, &ms(entry.time_ms), &stored],
            )
            .map_err(|e| db_error("appending records", &e))?;
        }
        tx.commit()
            .map_err(|e| db_error("appending an audit entry", &e))
    }

    fn audit(&self, query: &RecordQuery) -> Result<Vec<AuditEntry>> {
        self.select("infrarag_audit", "entry", "id", query)
    }

    fn records(&self, query: &RecordQuery) -> Result<Vec<StoredRecord>> {
        self.select("infrarag_records", "record", "entry, seq", query)
    }

    fn latest(&self, host: &str, method: &str) -> Result<Vec<StoredRecord>> {
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT record FROM infrarag_records WHERE entry = (
                     SELECT max(entry) FROM infrarag_records WHERE host = $1 AND method = $2
                 ) ORDER BY seq",
                &[&host, &method],
            )
            .map_err(|e| db_error("reading infrarag_records", &e))?;
        decode("infrarag_records", &rows)
    }

    fn last_id(&self) -> Result<u64> {
        let id: Option<i64> = self
            .pool
            .get()?
            .query_one("SELECT max(id) FROM infrarag_audit", &[])
            .map_err(|e| db_error("reading infrarag_audit", &e))?
            .get(0);
        Ok(id.unwrap_or(0).max(0) as u64)
    }

    fn next_id(&self) -> Result<Option<u64>> {
        let id: i64 = self
            .pool
            .get()?
            .query_one("SELECT nextval('infrarag_audit_ids')", &[])
            .map_err(|e| db_error("taking an audit id", &e))?
            .get(0);
        Ok(Some(id.max(0) as u64))
    }

    fn prune(&self, before_ms: u64) -> Result<usize> {
        let mut conn = self.pool.get()?;
        let mut tx = conn.transaction().map_err(|e| db_error("pruning", &e))?;
        tx.execute(
            "DELETE FROM infrarag_records WHERE time_ms < $1",
            &[&ms(before_ms)],
        )
        .map_err(|e| db_error("pruning infrarag_records", &e))?;
        let n = tx
            .execute(
                "DELETE FROM infrarag_audit WHERE time_ms < $1",
                &[&ms(before_ms)],
            )
            .map_err(|e| db_error("pruning infrarag_audit", &e))?;
        tx.commit().map_err(|e| db_error("pruning", &e))?;
        Ok(n as usize)
    }
}
