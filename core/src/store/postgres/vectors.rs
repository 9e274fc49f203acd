//! [`VectorStore`] on pgvector: one table per space (code, summary), each
//! with an HNSW index on cosine distance; `ef` is set per query.

use std::sync::Arc;

use pgvector::Vector;
use postgres::Client;

use super::pool::Pool;
use super::{db_error, filter_sql, refused};
use crate::error::Result;
use crate::store::{top_k_by, Filter, Place, VectorQuery, VectorRecord, VectorStore};

/// Rows written per statement.
const BATCH: usize = 500;

/// Upserts of at least this many rows, and of at least as many as the
/// table holds, rebuild the HNSW index after loading instead of growing it.
const BULK: usize = 2_000;

/// pgvector's largest `hnsw.ef_search`.
const MAX_EF: usize = 1000;

#[derive(Debug, Clone, Copy)]
pub(super) enum Space {
    Code,
    Summary,
}

impl Space {
    fn table(self) -> &'static str {
        match self {
            Space::Code => "infrarag_code_vectors",
            Space::Summary => "infrarag_summary_vectors",
        }
    }

    /// Where this space's vectors in the database behind `pool` are.
    pub(super) fn place(self, pool: &Arc<Pool>) -> Place {
        Place::new(pool, self as u8)
    }

    /// A query for `select` of the `limit` rows nearest `$vector`, nearest
    /// first as the HNSW index finds them; with `filter`, only rows its
    /// parameters (`$filter` to `$filter + 3`: path prefix, language, block
    /// type, address) accept. The limit is written in, and an unfiltered
    /// query has no WHERE clause: the planner then takes the HNSW index in
    /// a generic plan too, so a prepared search is not planned again on
    /// every execution (0.3 ms of the server's time per search).
    pub(super) fn nearest(
        self,
        select: &str,
        vector: usize,
        filter: Option<usize>,
        limit: usize,
    ) -> String {
        let filter = filter.map_or(String::new(), |f| format!("WHERE {}", filter_sql(f)));
        format!(
            "SELECT {select} FROM {} {filter} ORDER BY embedding <=> ${vector} LIMIT {limit}",
            self.table()
        )
    }
}

/// The `hnsw.ef_search` a query asks for, within what pgvector allows.
pub(super) fn ef_of(query: &VectorQuery<'_>) -> usize {
    query.ef.max(query.k).clamp(1, MAX_EF)
}

/// Sorts the `k` nearest of `hits` (id, cosine) first: under a filter
/// the iterative scan returns rows only roughly in distance order.
pub(super) fn nearest_first(hits: &mut Vec<(String, f32)>, k: usize) {
    top_k_by(hits, k, |a, b| a.cmp(b));
}

/// A row's cosine to the query vector in `$vector`, in f32 as the
/// in-memory stores compute it.
pub(super) fn cosine(vector: usize) -> String {
    format!("(1 - (embedding <=> ${vector}))::real")
}

/// Binds the database to `model`'s vectors of `dimension` (refusing
/// another's), makes the vector tables, and deletes vectors that no
/// document has referred to for an hour: what a writer killed between its
/// vectors and its documents leaves. The hour spares ingestions still
/// running in other processes.
pub(super) fn bind_model(conn: &mut Client, model: &str, dimension: usize) -> Result<()> {
    let mut tx = conn
        .transaction()
        .map_err(|e| db_error("binding the model", &e))?;
    tx.execute("LOCK TABLE infrarag_meta IN EXCLUSIVE MODE", &[])
        .map_err(|e| db_error("binding the model", &e))?;
    let held: Vec<(String, String)> = tx
        .query(
            "SELECT key, value FROM infrarag_meta WHERE key IN ('model', 'dimension')",
            &[],
        )
        .map_err(|e| db_error("reading the model", &e))?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let get = |k: &str| {
        held.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    match (get("model"), get("dimension")) {
        (Some(m), Some(d)) if m == model && d == dimension.to_string() => {}
        (Some(m), Some(d)) => {
            return Err(refused(format!(
                "the database holds vectors of {m} ({d} dimensions), not of {model} \
                 ({dimension} dimensions); open it with that embedder or use another database"
            )))
        }
        _ => {
            tx.execute(
                "INSERT INTO infrarag_meta VALUES ('model', $1), ('dimension', $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&model, &dimension.to_string()],
            )
            .map_err(|e| db_error("recording the model", &e))?;
        }
    }
    for space in [Space::Code, Space::Summary] {
        let t = space.table();
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {t} (
                id text PRIMARY KEY,
                path text NOT NULL,
                language text NOT NULL,
                block_type text,
                address text,
                embedding vector({dimension}) NOT NULL,
                written_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS {t}_hnsw ON {t} USING hnsw (embedding vector_cosine_ops);
            DELETE FROM {t} v WHERE written_at < now() - interval '1 hour'
                AND NOT EXISTS (SELECT 1 FROM infrarag_chunks c WHERE c.id = v.id);"
        ))
        .map_err(|e| db_error(&format!("making {t}"), &e))?;
    }
    tx.commit().map_err(|e| db_error("binding the model", &e))
}

pub(super) struct PostgresVectors {
    pool: Arc<Pool>,
    space: Space,
    dimension: usize,
}

impl PostgresVectors {
    pub(super) fn new(pool: Arc<Pool>, space: Space, dimension: usize) -> Self {
        PostgresVectors {
            pool,
            space,
            dimension,
        }
    }
}

impl VectorStore for PostgresVectors {
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn ids(&self) -> Result<Vec<String>> {
        let rows = self
            .pool
            .get()?
            .query(&format!("SELECT id FROM {}", self.space.table()), &[])
            .map_err(|e| db_error("listing vectors", &e))?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    fn vectors(&self, ids: &[String]) -> Result<Vec<(String, Vec<f32>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .pool
            .get()?
            .query(
                &format!(
                    "SELECT id, embedding FROM {} WHERE id = ANY($1)",
                    self.space.table()
                ),
                &[&ids],
            )
            .map_err(|e| db_error("reading vectors", &e))?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), r.get::<_, Vector>(1).to_vec()))
            .collect())
    }

    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<()> {
        if let Some(r) = records.iter().find(|r| r.vector.len() != self.dimension) {
            return Err(refused(format!(
                "the vector of {} has {} dimensions; the database's {} has {}",
                r.id,
                r.vector.len(),
                self.space.table(),
                self.dimension
            )));
        }
        let sql = format!(
            "INSERT INTO {} (id, path, language, block_type, address, embedding)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::vector[])
             ON CONFLICT (id) DO UPDATE SET path = excluded.path, language = excluded.language,
                 block_type = excluded.block_type, address = excluded.address,
                 embedding = excluded.embedding, written_at = now()",
            self.space.table()
        );
        let t = self.space.table();
        let mut conn = self.pool.get()?;
        let mut tx = conn
            .transaction()
            .map_err(|e| db_error("storing vectors", &e))?;
        // Building the graph once after a bulk load is several times
        // faster than growing it row by row; searches wait for the commit.
        // The table is counted only for an upsert that could be one.
        let held = match records.len() >= BULK {
            true => Some(
                tx.query_one(&format!("SELECT count(*) FROM {t}"), &[])
                    .map_err(|e| db_error("storing vectors", &e))?
                    .get::<_, i64>(0),
            ),
            false => None,
        };
        let added = records.len() as i64;
        let bulk = held.is_some_and(|held| added >= held);
        // Without statistics of the new rows the planner took a filtered
        // search for a full scan and sort: 13.5 ms p50 for vector searches
        // under a path prefix right after loading the six module
        // repositories, 8.9 ms once analyzed. Autovacuum would analyze
        // within a minute or so; a load of a fifth of the table does now.
        let analyze = held.is_some_and(|held| added * 4 >= held);
        if bulk {
            tx.batch_execute(&format!("DROP INDEX IF EXISTS {t}_hnsw"))
                .map_err(|e| db_error("storing vectors", &e))?;
        }
        for batch in records.chunks(BATCH) {
            let ids: Vec<&str> = batch.iter().map(|r| r.id.as_str()).collect();
            let paths: Vec<&str> = batch.iter().map(|r| r.metadata.path.as_str()).collect();
            let languages: Vec<&str> = batch.iter().map(|r| r.metadata.language.as_str()).collect();
            let block_types: Vec<Option<&str>> = batch
                .iter()
                .map(|r| r.metadata.block_type.as_deref())
                .collect();
            let addresses: Vec<Option<&str>> = batch
                .iter()
                .map(|r| r.metadata.address.as_deref())
                .collect();
            let vectors: Vec<Vector> = batch
                .iter()
                .map(|r| Vector::from(r.vector.clone()))
                .collect();
            tx.execute(
                &sql,
                &[&ids, &paths, &languages, &block_types, &addresses, &vectors],
            )
            .map_err(|e| db_error("storing vectors", &e))?;
        }
        if bulk {
            tx.batch_execute(&format!(
                "CREATE INDEX IF NOT EXISTS {t}_hnsw ON {t} USING hnsw (embedding vector_cosine_ops)"
            ))
                .map_err(|e| db_error("indexing vectors", &e))?;
        }
        if analyze {
            tx.batch_execute(&format!("ANALYZE {t}"))
                .map_err(|e| db_error("analyzing vectors", &e))?;
        }
        tx.commit().map_err(|e| db_error("storing vectors", &e))
    }

    /// Deletes those of `ids` that no document in the database refers to:
    /// another process may have committed a document holding one since
    /// this index last looked.
    fn delete(&mut self, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let t = self.space.table();
        self.pool
            .get()?
            .execute(
                &format!(
                    "DELETE FROM {t} v WHERE v.id = ANY($1)
                     AND NOT EXISTS (SELECT 1 FROM infrarag_chunks c WHERE c.id = v.id)"
                ),
                &[&ids],
            )
            .map_err(|e| db_error("deleting vectors", &e))?;
        Ok(())
    }

    fn search(&self, query: &VectorQuery<'_>) -> Result<Vec<(String, f32)>> {
        if query.vector.len() != self.dimension {
            return Err(refused(format!(
                "the query vector has {} dimensions; the database's {} has {}",
                query.vector.len(),
                self.space.table(),
                self.dimension
            )));
        }
        if query.k == 0 {
            return Ok(Vec::new());
        }
        let f = query.filter;
        let mut conn = self.pool.get()?;
        conn.ef_search(ef_of(query))
            .map_err(|e| db_error("searching vectors", &e))?;
        let language = f.language.map(|l| l.as_str());
        let select = format!("id, {}", cosine(1));
        let vector = Vector::from(query.vector.to_vec());
        let fail = |e: postgres::Error| db_error("searching vectors", &e);
        let rows = if *f == Filter::default() {
            let search = conn
                .statement(&self.space.nearest(&select, 1, None, query.k))
                .map_err(fail)?;
            conn.query(&search, &[&vector]).map_err(fail)?
        } else {
            let search = conn
                .statement(&self.space.nearest(&select, 1, Some(2), query.k))
                .map_err(fail)?;
            conn.query(
                &search,
                &[
                    &vector,
                    &f.path_prefix,
                    &language,
                    &f.block_type,
                    &f.address,
                ],
            )
            .map_err(fail)?
        };
        let mut hits: Vec<(String, f32)> = rows.into_iter().map(|r| (r.get(0), r.get(1))).collect();
        nearest_first(&mut hits, query.k);
        Ok(hits)
    }

    fn place(&self) -> Option<Place> {
        Some(self.space.place(&self.pool))
    }
}
