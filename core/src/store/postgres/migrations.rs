//! The schema's versions, applied in order on open under an advisory lock
//! (so concurrent openers migrate once), each recorded in
//! `infrarag_migrations`.

use postgres::Client;

use super::{db_error, refused};
use crate::error::{Error, Result};

/// The newest schema version this library knows; a database at a newer one
/// is refused.
pub const LATEST_SCHEMA: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Every schema version: its number, what it adds, and its SQL (run in one
/// transaction). [`PostgresOptions::connect`](super::PostgresOptions::connect)
/// applies them; they are public for operators whose own migration tool
/// applies schema changes (record each in `infrarag_migrations`). Chunks
/// moved by version 3 get their search terms on the library's next open.
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "documents, their chunk ids, the change counter and the model",
        "
    CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE infrarag_meta (key text PRIMARY KEY, value text NOT NULL);
    -- One row; every document commit bumps it, so a reader knows whether
    -- to look for other processes' changes.
    CREATE TABLE infrarag_state (
        id integer PRIMARY KEY CHECK (id = 1),
        version bigint NOT NULL
    );
    INSERT INTO infrarag_state VALUES (1, 0);
    CREATE TABLE infrarag_documents (
        path text PRIMARY KEY,
        content_hash text NOT NULL,
        chunks text NOT NULL
    );
    -- Which chunk ids the documents hold: a vector is deleted only when
    -- no document refers to it, whoever asks.
    CREATE TABLE infrarag_chunk_ids (
        id text NOT NULL,
        path text NOT NULL REFERENCES infrarag_documents (path) ON DELETE CASCADE
    );
    CREATE INDEX infrarag_chunk_ids_id ON infrarag_chunk_ids (id);
    CREATE INDEX infrarag_chunk_ids_path ON infrarag_chunk_ids (path);
    ",
    ),
    (
        2,
        "collection audit entries and records",
        "
    -- Ids come from the sequence, so services in many processes never
    -- hand out the same one.
    CREATE SEQUENCE infrarag_audit_ids;
    CREATE TABLE infrarag_audit (
        id bigint PRIMARY KEY,
        time_ms bigint NOT NULL,
        host text NOT NULL,
        method text NOT NULL,
        entry text NOT NULL
    );
    CREATE INDEX infrarag_audit_by_host ON infrarag_audit (host, method, time_ms);
    CREATE INDEX infrarag_audit_by_time ON infrarag_audit (time_ms);
    CREATE TABLE infrarag_records (
        seq bigserial PRIMARY KEY,
        entry bigint NOT NULL REFERENCES infrarag_audit (id) ON DELETE CASCADE,
        host text NOT NULL,
        method text NOT NULL,
        time_ms bigint NOT NULL,
        record text NOT NULL
    );
    CREATE INDEX infrarag_records_by_host ON infrarag_records (host, method, time_ms);
    CREATE INDEX infrarag_records_by_entry ON infrarag_records (entry);
    CREATE INDEX infrarag_records_by_time ON infrarag_records (time_ms);
    ",
    ),
    (
        3,
        "each chunk on its own row, with its BM25 terms",
        concat!(
            "
    -- A search reads only the chunks it returns, so no process holds the
    -- corpus. A chunk's terms are written with it; chunks moved here from
    -- version 2 get theirs on open (len NULL until then).
    CREATE TABLE infrarag_chunks (
        key bigserial PRIMARY KEY,
        path text NOT NULL REFERENCES infrarag_documents (path) ON DELETE CASCADE,
        ord integer NOT NULL,
        id text NOT NULL,
        language text NOT NULL,
        block_type text,
        address text,
        len real,
        classes smallint,
        body text NOT NULL
    );
    CREATE INDEX infrarag_chunks_path ON infrarag_chunks (path, ord);
    CREATE INDEX infrarag_chunks_id ON infrarag_chunks (id);
    -- Each chunk's length and prior classes are repeated on its postings,
    -- so an unfiltered search sums postings alone. No foreign key: its
    -- check per posting doubled the time an ingestion took; postings are
    -- deleted with their chunks, in the same transaction, instead.
    CREATE TABLE infrarag_postings (
        term text NOT NULL,
        chunk bigint NOT NULL,
        tf real NOT NULL,
        len real NOT NULL,
        classes smallint NOT NULL
    );
    CREATE INDEX infrarag_postings_term ON infrarag_postings (term)
        INCLUDE (chunk, tf, len, classes);
    CREATE INDEX infrarag_postings_chunk ON infrarag_postings (chunk);
    ",
            "
    ALTER TABLE infrarag_state
        ADD COLUMN chunks bigint NOT NULL DEFAULT 0,
        ADD COLUMN total_len double precision NOT NULL DEFAULT 0;
    INSERT INTO infrarag_chunks (path, ord, id, language, block_type, address, body)
    SELECT d.path, e.ord::integer, e.c->>'id', e.c->>'language', e.c->>'block_type',
           e.c->>'address', e.c::text
    FROM infrarag_documents d,
         jsonb_array_elements(d.chunks::jsonb) WITH ORDINALITY AS e(c, ord);
    ALTER TABLE infrarag_documents DROP COLUMN chunks;
    -- infrarag_chunks says which ids the documents hold now.
    DROP TABLE infrarag_chunk_ids;
    "
        ),
    ),
    (
        4,
        "each term's postings packed in rows of 1,024 chunk keys",
        concat!(
            "
    -- A search reads a few rows per query term instead of one per
    -- posting: four times faster on the module repositories.
    -- infrarag_postings stays the source: filtered searches join it to the
    -- chunks, and each commit packs again the blocks whose chunks it
    -- added or removed, found through the (term, chunk) index.
    CREATE TABLE infrarag_term_postings (
        term text NOT NULL,
        block bigint NOT NULL,
        postings bytea NOT NULL,
        PRIMARY KEY (term, block)
    );
    -- Stored uncompressed: every search reads them whole.
    ALTER TABLE infrarag_term_postings ALTER COLUMN postings SET STORAGE EXTERNAL;
    DROP INDEX infrarag_postings_term;
    CREATE INDEX infrarag_postings_term ON infrarag_postings (term, chunk)
        INCLUDE (tf, len, classes);
    ",
            "INSERT INTO infrarag_term_postings (term, block, postings)
    SELECT term, chunk >> 10,
        string_agg(int8send(chunk) || float4send(tf) || float4send(len) || int2send(classes),
                   ''::bytea ORDER BY chunk)
    FROM infrarag_postings GROUP BY term, chunk >> 10;
    -- Summed in float4 before, which rounds past 2^24.
    UPDATE infrarag_state SET total_len = (
        SELECT coalesce(sum(len::float8), 0) FROM infrarag_chunks WHERE len IS NOT NULL)
    WHERE id = 1;"
        ),
    ),
    (
        5,
        "packed postings in 11-byte records, rows of 512 chunk keys",
        "
    -- A record keeps its key's offset in the block rather than the key,
    -- and its classes in one byte: 11 bytes, not 18. A block of 512 keys
    -- then fits in the row's page, so reading it needs no TOAST lookups.
    ALTER TABLE infrarag_term_postings SET (toast_tuple_target = 8160);
    TRUNCATE infrarag_term_postings;
    INSERT INTO infrarag_term_postings (term, block, postings)
    SELECT term, chunk >> 9,
        string_agg(int2send((chunk & 511)::int2) || float4send(tf) || float4send(len)
                       || set_byte('\\x00'::bytea, 0, classes),
                   ''::bytea ORDER BY chunk)
    FROM infrarag_postings GROUP BY term, chunk >> 9;
    ",
    ),
    (
        6,
        "each document's chunker",
        "
    -- What chunked each file (Chunker::fingerprint): a file chunked by
    -- another is chunked again when next ingested. Unknown (empty) for
    -- the files held before.
    ALTER TABLE infrarag_documents ADD COLUMN chunker text NOT NULL DEFAULT '';
    ",
    ),
];

/// Any number from a fixed 64-bit space, so no other application's
/// advisory lock collides by chance.
const LOCK: i64 = 0x1f7a_5a9e_2d3c_4b01;

/// Applies the migrations the database lacks, then finds the terms of
/// chunks a migration moved.
pub(super) fn migrate(conn: &mut Client) -> Result<()> {
    conn.execute("SELECT pg_advisory_lock($1)", &[&LOCK])
        .map_err(|e| db_error("waiting for the migration lock", &e))?;
    let result = apply(conn).and_then(|()| super::documents::index_pending(conn));
    let unlocked = conn
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK])
        .map_err(|e| db_error("releasing the migration lock", &e));
    result.and(unlocked.map(drop))
}

fn apply(conn: &mut Client) -> Result<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS infrarag_migrations (
            version integer PRIMARY KEY,
            description text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .map_err(|e| db_error("creating infrarag_migrations", &e))?;
    let at = version(conn)?;
    if at > LATEST_SCHEMA {
        return Err(refused(format!(
            "the database's infrarag schema is at version {at}, newer than the {LATEST_SCHEMA} \
             this library knows; upgrade infrarag to use it"
        )));
    }
    for &(v, description, sql) in MIGRATIONS.iter().filter(|m| m.0 > at) {
        let mut tx = conn
            .transaction()
            .map_err(|e| db_error("starting a migration", &e))?;
        tx.batch_execute(sql)
            .map_err(|e| migration_error(v, description, &e))?;
        tx.execute(
            "INSERT INTO infrarag_migrations (version, description) VALUES ($1, $2)",
            &[&v, &description],
        )
        .map_err(|e| migration_error(v, description, &e))?;
        tx.commit()
            .map_err(|e| migration_error(v, description, &e))?;
    }
    Ok(())
}

/// The highest version applied; 0 for a database without infrarag's
/// tables.
pub(super) fn version(conn: &mut Client) -> Result<i32> {
    let exists: bool = conn
        .query_one("SELECT to_regclass('infrarag_migrations') IS NOT NULL", &[])
        .map_err(|e| db_error("reading the schema version", &e))?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = conn
        .query_one("SELECT max(version) FROM infrarag_migrations", &[])
        .map_err(|e| db_error("reading the schema version", &e))?
        .get(0);
    Ok(v.unwrap_or(0))
}

/// pgvector missing or not creatable gets a message that says so and what
/// to do; other failures name the migration.
fn migration_error(version: i32, description: &str, e: &postgres::Error) -> Error {
    let vector = e
        .as_db_error()
        .is_some_and(|db| db.message().contains("\"vector\""));
    if vector {
        return match db_error("the pgvector extension is needed", e) {
            Error::Database { sqlstate, message } => Error::Database {
                sqlstate,
                message: format!(
                    "{message}; install pgvector on the server and run \
                     `CREATE EXTENSION vector` as a superuser in this database"
                ),
            },
            other => other,
        };
    }
    db_error(
        &format!("applying schema version {version} ({description})"),
        e,
    )
}
