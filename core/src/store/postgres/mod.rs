//! PostgreSQL with pgvector as the store many processes share: documents
//! and their chunks with BM25 terms, code and summary vectors (HNSW,
//! cosine) and the collectors' records.
//!
//! Open with [`PostgresStore::connect`] (or [`PostgresStore::options`]);
//! the schema is migrated on open. [`crate::index::Index::postgres`] runs an
//! index on it: every process's commits are visible to every other's next
//! search.

/// The indexes of `infrarag_postings`, as SQL: as schema version 4 left
/// them, made again after a bulk load drops them.
macro_rules! postings_indexes {
    () => {
        "
    CREATE INDEX infrarag_postings_term ON infrarag_postings (term, chunk)
        INCLUDE (tf, len, classes);
    CREATE INDEX infrarag_postings_chunk ON infrarag_postings (chunk);
    "
    };
}

/// How many low bits of a chunk key place it in its block of
/// `infrarag_term_postings`: blocks of 512 keys, so a block's row of
/// records (5,632 bytes at most) stays in its table page, not in TOAST.
macro_rules! block_bits {
    () => {
        "9"
    };
}

/// The aggregate that packs postings of `infrarag_postings` as
/// `infrarag_term_postings` keeps them, a row per term and block
/// (`chunk >> block_bits!()`): one record of 11 bytes per chunk, in key
/// order, its key within the block (int2), tf and length (float4) and
/// classes (one byte), big-endian, as schema version 5 packs them. Used
/// by every commit.
macro_rules! packed_postings {
    () => {
        concat!(
            "string_agg(int2send((chunk & ((1::int8 << ",
            block_bits!(),
            ") - 1))::int2) || float4send(tf) || float4send(len)
                        || set_byte('\\x00'::bytea, 0, classes),
                    ''::bytea ORDER BY chunk)"
        )
    };
}

mod documents;
mod migrations;
mod pool;
mod records;
mod vectors;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::Stores;
use crate::error::{Error, Result};
use pool::Pool;

pub use migrations::{LATEST_SCHEMA, MIGRATIONS};
pub use records::PostgresRecordStore;

/// Connection settings for [`PostgresStore`]; end with
/// [`connect`](PostgresOptions::connect).
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    url: String,
    max_connections: usize,
    statement_timeout: Duration,
    connect_timeout: Duration,
    ca_file: Option<PathBuf>,
    cache_chunks: bool,
}

impl PostgresOptions {
    /// At most this many connections open at once (default 8); callers
    /// beyond it wait for one to be returned.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// A statement running longer fails with SQLSTATE `57014` (default 30 s;
    /// zero turns the limit off).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// How long to wait for the server, and for a free connection (default
    /// 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// A PEM file of certificate authorities trusted besides webpki's roots,
    /// for a server with a private CA (`sslmode=require` in the URL).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Whether an index on this store keeps a copy of every chunk and its
    /// BM25 terms in this process (default `false`: BM25 runs in the
    /// database, and the process holds only the list of files). The copy
    /// makes lexical search several times faster, costs memory in
    /// proportion to the corpus in every process, and is brought up to
    /// date when another process commits.
    pub fn cache_chunks(mut self, cache: bool) -> Self {
        self.cache_chunks = cache;
        self
    }

    /// Connects, checks pgvector, and migrates the schema to
    /// [`LATEST_SCHEMA`] (refusing a database migrated by a newer infrarag).
    pub fn connect(self) -> Result<PostgresStore> {
        let pool = Pool::new(&self)?;
        {
            let mut conn = pool.get()?;
            migrations::migrate(&mut conn)?;
        }
        Ok(PostgresStore {
            pool: Arc::new(pool),
            cache_chunks: self.cache_chunks,
        })
    }
}

/// A PostgreSQL database holding infrarag's tables (`infrarag_*`), reached
/// through a pool of connections; cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Arc<Pool>,
    cache_chunks: bool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("server", &self.pool.server())
            .finish()
    }
}

impl PostgresStore {
    /// Settings for a connection to `url` (`postgres://user:pass@host:5432/db`
    /// or `host=… user=…`; `sslmode=disable|prefer|require`).
    pub fn options(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            max_connections: 8,
            statement_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            ca_file: None,
            cache_chunks: false,
        }
    }

    /// Connects to `url` with the default options; see
    /// [`PostgresOptions::connect`].
    pub fn connect(url: impl Into<String>) -> Result<PostgresStore> {
        PostgresStore::options(url).connect()
    }

    /// The schema version the database is at (the highest migration
    /// applied).
    pub fn schema_version(&self) -> Result<i32> {
        migrations::version(&mut *self.pool.get()?)
    }

    /// Records that the vectors here are `model`'s, `dimension` long, and
    /// makes their tables; a database already holding another model's or
    /// another length's vectors is refused, naming both.
    pub fn bind_model(&self, model: &str, dimension: usize) -> Result<()> {
        vectors::bind_model(&mut *self.pool.get()?, model, dimension)
    }

    /// The collectors' audit trail and records in this database, shared by
    /// every service that opens it (`CollectionService`'s store).
    pub fn records(&self) -> PostgresRecordStore {
        PostgresRecordStore::new(self.pool.clone())
    }

    /// The document store and the code and summary vector stores of an
    /// index; call [`bind_model`](Self::bind_model) first.
    pub fn into_stores(self, dimension: usize) -> Result<Stores> {
        Ok(Stores {
            documents: Box::new(documents::PostgresDocuments::new(
                self.pool.clone(),
                !self.cache_chunks,
            )),
            code: Box::new(vectors::PostgresVectors::new(
                self.pool.clone(),
                vectors::Space::Code,
                dimension,
            )),
            summary: Box::new(vectors::PostgresVectors::new(
                self.pool,
                vectors::Space::Summary,
                dimension,
            )),
        })
    }
}

/// Whether a row of `infrarag_chunks` or of a vector table passes a
/// [`Filter`](crate::store::Filter) given in four parameters from
/// `$first`: path prefix, language, block type, address (each NULL when
/// unset). One text for both, so a vector search and the chunks it names
/// agree on what a filter keeps.
fn filter_sql(first: usize) -> String {
    let [p, l, b, a] = [first, first + 1, first + 2, first + 3];
    format!(
        "(${p}::text IS NULL OR starts_with(path, ${p}))
         AND (${l}::text IS NULL OR language = ${l})
         AND (${b}::text IS NULL OR block_type = ${b})
         AND (${a}::text IS NULL OR address = ${a})"
    )
}

/// A failed request as [`Error::Database`], with the server's SQLSTATE,
/// message, detail and hint; `doing` says what was being done.
pub(crate) fn db_error(doing: &str, e: &postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => {
            let mut message = format!("PostgreSQL: {doing}: {}", db.message());
            if let Some(detail) = db.detail() {
                message.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                message.push_str(&format!("; {hint}"));
            }
            Error::Database {
                sqlstate: Some(db.code().code().to_string()),
                message,
            }
        }
        None => {
            // The cause (a refused certificate, a closed port) is in the
            // source chain, not in the top error's text.
            let mut message = format!("PostgreSQL: {doing}: {e}");
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            Error::Database {
                sqlstate: e.code().map(|c| c.code().to_string()),
                message,
            }
        }
    }
}

/// An [`Error::Database`] of the library's own, with no SQLSTATE.
pub(crate) fn refused(message: String) -> Error {
    Error::Database {
        sqlstate: None,
        message: format!("PostgreSQL: {message}"),
    }
}
