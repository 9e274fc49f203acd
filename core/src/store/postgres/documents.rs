//! [`DocumentStore`] on `infrarag_documents`: each commit is one
//! transaction that first bumps the change counter, which also serialises
//! writers.

use std::sync::Arc;

use postgres::Transaction;

use super::pool::Pool;
use super::{db_error, refused};
use crate::chunk::Chunk;
use crate::error::Result;
use crate::store::{Document, DocumentChanges, DocumentStore};

/// Documents written per statement: bounded so a large ingestion does not
/// build one huge message.
const BATCH: usize = 256;

pub(super) struct PostgresDocuments {
    pool: Arc<Pool>,
}

impl PostgresDocuments {
    pub(super) fn new(pool: Arc<Pool>) -> Self {
        PostgresDocuments { pool }
    }

    fn read(&self, sql: &str, paths: Option<&[String]>) -> Result<Vec<Document>> {
        let mut conn = self.pool.get()?;
        let rows = match paths {
            Some(p) => conn.query(sql, &[&p]),
            None => conn.query(sql, &[]),
        }
        .map_err(|e| db_error("reading documents", &e))?;
        rows.into_iter()
            .map(|row| {
                let path: String = row.get(0);
                let chunks: &str = row.get(2);
                let chunks: Vec<Chunk> = serde_json::from_str(chunks).map_err(|e| {
                    refused(format!("the stored chunks of {path} cannot be read: {e}"))
                })?;
                Ok(Document {
                    content_hash: row.get(1),
                    path,
                    chunks,
                })
            })
            .collect()
    }
}

impl DocumentStore for PostgresDocuments {
    fn load(&self) -> Result<Vec<Document>> {
        self.read(
            "SELECT path, content_hash, chunks FROM infrarag_documents",
            None,
        )
    }

    fn apply(&mut self, changes: &DocumentChanges) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.get()?;
        let mut tx = conn
            .transaction()
            .map_err(|e| db_error("starting a commit", &e))?;
        tx.execute(
            "UPDATE infrarag_state SET version = version + 1 WHERE id = 1",
            &[],
        )
        .map_err(|e| db_error("committing documents", &e))?;
        if !changes.remove.is_empty() {
            tx.execute(
                "DELETE FROM infrarag_documents WHERE path = ANY($1)",
                &[&changes.remove],
            )
            .map_err(|e| db_error("removing documents", &e))?;
        }
        for batch in changes.put.chunks(BATCH) {
            put(&mut tx, batch)?;
        }
        tx.commit()
            .map_err(|e| db_error("committing documents", &e))
    }

    fn version(&self) -> Result<Option<u64>> {
        let mut conn = self.pool.get()?;
        let row = conn
            .statement("SELECT version FROM infrarag_state WHERE id = 1")
            .and_then(|st| conn.query_one(&st, &[]))
            .map_err(|e| db_error("reading the change counter", &e))?;
        Ok(Some(row.get::<_, i64>(0) as u64))
    }

    fn hashes(&self) -> Result<Vec<(String, String)>> {
        let rows = self
            .pool
            .get()?
            .query("SELECT path, content_hash FROM infrarag_documents", &[])
            .map_err(|e| db_error("reading documents", &e))?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn get(&self, paths: &[String]) -> Result<Vec<Document>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        self.read(
            "SELECT path, content_hash, chunks FROM infrarag_documents WHERE path = ANY($1)",
            Some(paths),
        )
    }
}

fn put(tx: &mut Transaction<'_>, docs: &[Document]) -> Result<()> {
    let paths: Vec<&str> = docs.iter().map(|d| d.path.as_str()).collect();
    let hashes: Vec<&str> = docs.iter().map(|d| d.content_hash.as_str()).collect();
    let chunks = docs
        .iter()
        .map(|d| serde_json::to_string(&d.chunks))
        .collect::<std::result::Result<Vec<String>, _>>()
        .map_err(|e| refused(format!("cannot encode chunks: {e}")))?;
    tx.execute(
        "INSERT INTO infrarag_documents (path, content_hash, chunks)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
         ON CONFLICT (path) DO UPDATE
         SET content_hash = excluded.content_hash, chunks = excluded.chunks",
        &[&paths, &hashes, &chunks],
    )
    .map_err(|e| db_error("storing documents", &e))?;
    tx.execute(
        "DELETE FROM infrarag_chunk_ids WHERE path = ANY($1)",
        &[&paths],
    )
    .map_err(|e| db_error("storing chunk ids", &e))?;
    let (ids, owners): (Vec<&str>, Vec<&str>) = docs
        .iter()
        .flat_map(|d| d.chunks.iter().map(|c| (c.id.as_str(), d.path.as_str())))
        .unzip();
    tx.execute(
        "INSERT INTO infrarag_chunk_ids (id, path)
         SELECT * FROM unnest($1::text[], $2::text[])",
        &[&ids, &owners],
    )
    .map_err(|e| db_error("storing chunk ids", &e))?;
    Ok(())
}
