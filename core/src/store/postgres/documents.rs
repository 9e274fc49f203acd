//! [`DocumentStore`] and [`ChunkSearch`] on `infrarag_documents`, one row
//! per chunk in `infrarag_chunks`, its BM25 terms in `infrarag_postings`
//! and each term's postings packed in `infrarag_term_postings`: each commit
//! is one transaction that first bumps the change counter, which also
//! serialises writers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use foldhash::fast::RandomState;

use pgvector::Vector;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;
use postgres::{Client, GenericClient, Transaction};

use super::pool::Pool;
use super::vectors::{cosine, ef_of, nearest_first, Space};
use super::{db_error, filter_sql, refused};
use crate::chunk::{Chunk, Language};
use crate::error::Result;
use crate::index::{chunk_classes, lexical_terms, weigh, Bm25};
use crate::store::{
    ChunkSearch, Document, DocumentChanges, DocumentStore, Filter, HeldFile, Hybrid, LexicalQuery,
    Metadata, Place, VectorQuery,
};

/// A commit adding at least this many chunks is a bulk load: it refreshes
/// the planner's statistics when it adds a fifth of the chunks held, and
/// rebuilds the postings' indexes when it adds as many as were held.
const BULK_CHUNKS: usize = 1_000;

/// Chunks whose terms are found and written per round, when a migration
/// left them without: bounded so one round stays a modest transaction.
const PENDING_BATCH: i64 = 2_000;

pub(super) struct PostgresDocuments {
    pool: Arc<Pool>,
    /// Whether an index may leave BM25 to the database
    /// ([`DocumentStore::searchable`]) rather than keep the chunks.
    searchable: bool,
}

impl PostgresDocuments {
    pub(super) fn new(pool: Arc<Pool>, searchable: bool) -> Self {
        PostgresDocuments { pool, searchable }
    }

    /// BM25 and, when `vector` is given, both vector searches, in as few
    /// statements as the filter allows (see [`read_search`]).
    fn search(&self, query: &LexicalQuery<'_>, vector: Option<&VectorQuery<'_>>) -> Result<Hybrid> {
        let mut conn = self.pool.get()?;
        let fail = |e: postgres::Error| db_error("searching chunks", &e);
        if let Some(v) = vector {
            conn.ef_search(ef_of(v)).map_err(fail)?;
        }
        let filtered = *query.filter != Filter::default();
        let first = first_sql(vector.map(|v| (filtered, v.k)));
        let first = conn.statement(&first).map_err(fail)?;
        let bodies = conn.statement(&BODIES).map_err(fail)?;
        // Each statement sees the commits before it. Chunks are never
        // changed, only deleted and added under new keys, so the reads
        // agree unless a chunk the postings named is gone: then they are
        // read again in one snapshot. Without the snapshot's BEGIN and
        // COMMIT, hybrid p50 with 8 clients went from 13.6 to 12.5 ms
        // (search.py's queries, three interleaved runs each).
        if let Some(found) = read_search(&mut *conn, &first, &bodies, query, vector)? {
            return Ok(found);
        }
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(fail)?;
        let found = read_search(&mut tx, &first, &bodies, query, vector)?;
        tx.commit().map_err(fail)?;
        found.ok_or_else(|| refused("chunks vanished inside one snapshot".into()))
    }

    /// Documents with their chunks in order; `paths` `None` for all.
    fn read(&self, paths: Option<&[String]>) -> Result<Vec<Document>> {
        let mut conn = self.pool.get()?;
        let (docs, chunks) = match paths {
            Some(p) => (
                conn.query(
                    "SELECT path, content_hash, chunker FROM infrarag_documents
                     WHERE path = ANY($1)",
                    &[&p],
                ),
                conn.query(
                    "SELECT path, body FROM infrarag_chunks WHERE path = ANY($1) ORDER BY path, ord",
                    &[&p],
                ),
            ),
            None => (
                conn.query(
                    "SELECT path, content_hash, chunker FROM infrarag_documents",
                    &[],
                ),
                conn.query(
                    "SELECT path, body FROM infrarag_chunks ORDER BY path, ord",
                    &[],
                ),
            ),
        };
        let docs = docs.map_err(|e| db_error("reading documents", &e))?;
        let chunks = chunks.map_err(|e| db_error("reading chunks", &e))?;
        let mut by_path: HashMap<String, Vec<Chunk>> = HashMap::new();
        for row in chunks {
            let path: String = row.get(0);
            let chunk = decode(&path, row.get(1))?;
            by_path.entry(path).or_default().push(chunk);
        }
        Ok(docs
            .into_iter()
            .map(|row| {
                let path: String = row.get(0);
                Document {
                    chunks: by_path.remove(&path).unwrap_or_default(),
                    content_hash: row.get(1),
                    chunker: row.get(2),
                    path,
                }
            })
            .collect())
    }
}

fn decode(path: &str, body: &str) -> Result<Chunk> {
    serde_json::from_str(body)
        .map_err(|e| refused(format!("a stored chunk of {path} cannot be read: {e}")))
}

impl DocumentStore for PostgresDocuments {
    fn load(&self) -> Result<Vec<Document>> {
        self.read(None)
    }

    fn apply(&mut self, changes: &DocumentChanges) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut conn = self.pool.get()?;
        let mut tx = conn
            .transaction()
            .map_err(|e| db_error("starting a commit", &e))?;
        let before: i64 = tx
            .query_one(
                "UPDATE infrarag_state SET version = version + 1 WHERE id = 1 RETURNING chunks",
                &[],
            )
            .map_err(|e| db_error("committing documents", &e))?
            .get(0);
        let mut touched = delete(&mut tx, &changes.remove)?;
        let added: usize = changes.put.iter().map(|d| d.chunks.len()).sum();
        // Building the postings' indexes once after a load at least as
        // large as the table took less time than keeping them up to date
        // row by row; meanwhile searches wait for the commit.
        let rebuild = added >= BULK_CHUNKS && added as i64 >= before;
        if rebuild {
            tx.batch_execute("DROP INDEX infrarag_postings_term, infrarag_postings_chunk")
                .map_err(|e| db_error("loading chunk terms", &e))?;
        }
        touched.extend(put(&mut tx, &changes.put)?);
        if rebuild {
            tx.batch_execute(postings_indexes!())
                .map_err(|e| db_error("indexing chunk terms", &e))?;
        }
        pack(&mut tx, (!rebuild).then_some(touched))?;
        let held = update_statistics(&mut tx)?;
        let bulk = added >= BULK_CHUNKS && added * 5 >= held;
        if bulk {
            // The planner's row counts from before a bulk load (an empty
            // table) made the first searches after it five times slower.
            tx.batch_execute("ANALYZE infrarag_chunks, infrarag_postings, infrarag_term_postings")
                .map_err(|e| db_error("analyzing the chunk tables", &e))?;
        }
        tx.commit()
            .map_err(|e| db_error("committing documents", &e))?;
        if bulk {
            // Until a vacuum marks the new pages all-visible, each posting
            // a later commit repacks through the (term, chunk) index is
            // also looked up in the table. VACUUM cannot run in a
            // transaction and the load is committed: if it fails,
            // autovacuum does the same later, so its error is nothing the
            // caller could act on.
            let _ = conn
                .batch_execute("VACUUM infrarag_postings, infrarag_chunks, infrarag_term_postings");
        }
        Ok(())
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
        self.read(Some(paths))
    }

    fn searchable(&self) -> Option<&dyn ChunkSearch> {
        self.searchable.then_some(self as &dyn ChunkSearch)
    }
}

impl ChunkSearch for PostgresDocuments {
    fn sources(&self) -> Result<Vec<HeldFile>> {
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT d.path, d.content_hash, d.chunker,
                        (SELECT count(*) FROM infrarag_chunks c WHERE c.path = d.path)
                 FROM infrarag_documents d",
                &[],
            )
            .map_err(|e| db_error("reading documents", &e))?;
        Ok(rows
            .into_iter()
            .map(|r| HeldFile {
                path: r.get(0),
                content_hash: r.get(1),
                chunker: r.get(2),
                chunks: r.get::<_, i64>(3) as usize,
            })
            .collect())
    }

    /// BM25 as [`crate::index::Index`] scores it in memory: the packed
    /// postings of the query's terms are read and summed here, then the
    /// best chunks are read in batches, best first, keeping those the
    /// filter accepts, until `query.k` are kept. Every kept chunk that ties
    /// the last one's score is ranked, so ties go by chunk id as in memory.
    fn lexical(&self, query: &LexicalQuery<'_>) -> Result<Vec<(Chunk, f32)>> {
        if query.terms.is_empty() || query.k == 0 {
            return Ok(Vec::new());
        }
        Ok(self.search(query, None)?.lexical)
    }

    fn vector_places(&self) -> Option<[Place; 2]> {
        Some([
            Space::Code.place(&self.pool),
            Space::Summary.place(&self.pool),
        ])
    }

    /// [`lexical`](ChunkSearch::lexical), with both vector searches in its
    /// first statement, and their Markdown chunks read with its first
    /// batch: two requests instead of five. The other vector hits come as
    /// outlines from their vectors' rows, unless the query has no BM25
    /// terms: reading their chunks by id took a quarter of a hybrid
    /// search's CPU, for hits that are rarely shown.
    fn hybrid(&self, lexical: &LexicalQuery<'_>, vector: &VectorQuery<'_>) -> Result<Hybrid> {
        self.search(lexical, Some(vector))
    }

    fn chunks(&self, ids: &[String]) -> Result<Vec<Chunk>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get()?;
        let read = conn
            .statement(
                "SELECT DISTINCT ON (id) path, body FROM infrarag_chunks
                 WHERE id = ANY($1) ORDER BY id, key",
            )
            .map_err(|e| db_error("reading chunks", &e))?;
        conn.query(&read, &[&ids])
            .map_err(|e| db_error("reading chunks", &e))?
            .into_iter()
            .map(|r| decode(r.get(0), r.get(1)))
            .collect()
    }

    fn chunk_ids(&self, paths: &[String]) -> Result<Vec<String>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .pool
            .get()?
            .query(
                "SELECT id FROM infrarag_chunks WHERE path = ANY($1)",
                &[&paths],
            )
            .map_err(|e| db_error("reading chunk ids", &e))?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }
}

/// The first statement of a search: the packed postings of the terms in
/// `$1` (term, postings, block) and the chunk count and total length;
/// with `nearest` (whether filtered, how many) also that many code and
/// summary vectors nearest `$2` (space 0 or 1, id, cosine, and the
/// metadata: path, language, block type, address), filtered by `$3` to
/// `$6` ([`Space::nearest`]).
fn first_sql(nearest: Option<(bool, usize)>) -> String {
    let mut sql = String::from(
        "SELECT term, postings, block, NULL::float8, NULL::int2, NULL::text, NULL::real,
                NULL::text, NULL::text, NULL::text, NULL::text
         FROM infrarag_term_postings WHERE term = ANY($1)
         UNION ALL
         SELECT NULL, NULL, chunks, total_len, NULL, NULL, NULL, NULL, NULL, NULL, NULL
         FROM infrarag_state WHERE id = 1",
    );
    if let Some((filtered, limit)) = nearest {
        for space in [Space::Code, Space::Summary] {
            let select = format!(
                "NULL, NULL, NULL, NULL, {}::int2, id, {}, path, language, block_type, address",
                space as u8,
                cosine(2)
            );
            let filter = filtered.then_some(3);
            sql.push_str(&format!(
                "\n UNION ALL ({})",
                space.nearest(&select, 2, filter, limit)
            ));
        }
    }
    sql
}

/// Chunks by key (`$1`), with whether the filter in `$2` to `$5` keeps
/// each and, if it does, its body; then the chunks of the ids in `$6`
/// whose first key is not among them (key, true, path, body).
static BODIES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT key, kept, path, CASE WHEN kept THEN body END FROM (
             SELECT key, path, body, {} AS kept
             FROM infrarag_chunks WHERE key = ANY($1)) c
         UNION ALL
         SELECT key, true, path, body FROM (
             SELECT DISTINCT ON (id) key, path, body FROM infrarag_chunks
             WHERE id = ANY($6) ORDER BY id, key) v
         WHERE key <> ALL($1)",
        filter_sql(2)
    )
});

/// A search through `client`, with `first` ([`first_sql`]) and
/// [`BODIES`] prepared on it; `None` when a chunk the postings named was
/// gone by the time its body was read.
fn read_search(
    client: &mut impl GenericClient,
    first: &postgres::Statement,
    bodies: &postgres::Statement,
    query: &LexicalQuery<'_>,
    vector: Option<&VectorQuery<'_>>,
) -> Result<Option<Hybrid>> {
    let fail = |e: postgres::Error| db_error("searching chunks", &e);
    let f = query.filter;
    let language = f.language.map(|l| l.as_str());
    let filtered = *f != Filter::default();
    let rows = match vector.map(|v| Vector::from(v.vector.to_vec())) {
        None => client.query(first, &[&query.terms]),
        Some(v) if filtered => client.query(
            first,
            &[
                &query.terms,
                &v,
                &f.path_prefix,
                &language,
                &f.block_type,
                &f.address,
            ],
        ),
        Some(v) => client.query(first, &[&query.terms, &v]),
    }
    .map_err(fail)?;
    let mut found = Hybrid::default();
    let mut postings: Vec<(&str, i64, &[u8])> = Vec::new();
    let mut bm25 = Bm25::new(0, 0.0);
    let mut outlines: HashMap<String, Metadata> = HashMap::new();
    for row in &rows {
        match (row.get::<_, Option<&str>>(0), row.get::<_, Option<i16>>(4)) {
            (Some(term), _) => postings.push((term, row.get(2), row.get(1))),
            (None, Some(space)) => {
                let id: String = row.get(5);
                // Both spaces may name a chunk: its metadata is read once.
                if !outlines.contains_key(&id) {
                    outlines.insert(id.clone(), metadata_of(row, &id)?);
                }
                let hit = (id, row.get(6));
                match space {
                    0 => found.code.push(hit),
                    _ => found.summary.push(hit),
                }
            }
            (None, None) => {
                let chunks = row.get::<_, Option<i64>>(2).unwrap_or(0);
                let total = row.get::<_, Option<f64>>(3).unwrap_or(0.0);
                bm25 = Bm25::new(usize::try_from(chunks).unwrap_or(0), total);
            }
        }
    }
    if let Some(v) = vector {
        for hits in [&mut found.code, &mut found.summary] {
            nearest_first(hits, v.k);
        }
    }
    let mut ranked = score(query, bm25, &postings)?;
    // Markdown chunks are read whole: their heading weighs their prior.
    // Of the others, the caller reads the few it shows, when BM25's
    // candidates are there to fill most hits; without them it would show
    // vector hits only, and read them in a third request.
    let whole = |m: &Metadata| m.language == Language::Markdown || query.terms.is_empty();
    let mut ids: Vec<&str> = outlines
        .iter()
        .filter(|(_, m)| whole(m))
        .map(|(id, _)| id.as_str())
        .collect();
    ids.sort_unstable();
    let mut kept: Vec<(Chunk, f32)> = Vec::new();
    let mut next = 0;
    // A filter that keeps few chunks reads more batches; each is four
    // times the last, so even one that keeps none takes a handful.
    let mut size = if filtered { 16 * query.k } else { query.k };
    while (next < ranked.len() && kept.len() < query.k) || !ids.is_empty() {
        let end = next + best_first(&mut ranked[next..], size);
        let batch = &ranked[next..end];
        let keys: Vec<i64> = batch.iter().map(|&(key, _)| key).collect();
        let scores: HashMap<i64, f32> = batch.iter().copied().collect();
        let rows = client
            .query(
                bodies,
                &[
                    &keys,
                    &f.path_prefix,
                    &language,
                    &f.block_type,
                    &f.address,
                    &std::mem::take(&mut ids),
                ],
            )
            .map_err(fail)?;
        let mut seen = 0;
        for row in rows {
            let Some(body) = row.get::<_, Option<&str>>(3) else {
                seen += 1;
                continue;
            };
            let chunk = decode(row.get(2), body)?;
            match scores.get(&row.get::<_, i64>(0)) {
                Some(&score) => {
                    seen += 1;
                    // NULL when the filter names a field the chunk lacks.
                    if row.get::<_, Option<bool>>(1) == Some(true) {
                        kept.push((chunk, score));
                    }
                }
                None => found.chunks.push(chunk),
            }
        }
        if seen < keys.len() {
            return Ok(None);
        }
        next = end;
        size = size.saturating_mul(4);
    }
    kept.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
    // Chunks past the k-th were read for the vector searches too, which
    // asked for them only if they were not read for BM25.
    let past = kept.split_off(query.k.min(kept.len()));
    found
        .chunks
        .extend(past.into_iter().map(|(chunk, _)| chunk));
    found.lexical = kept;
    for chunk in found.lexical.iter().map(|(c, _)| c).chain(&found.chunks) {
        outlines.remove(&chunk.id);
    }
    found.outlines = outlines.into_iter().filter(|(_, m)| !whole(m)).collect();
    Ok(Some(found))
}

/// The metadata a vector row of the first statement carries after its
/// cosine.
fn metadata_of(row: &postgres::Row, id: &str) -> Result<Metadata> {
    let language: &str = row.get(8);
    Ok(Metadata {
        path: row.get(7),
        language: language
            .parse()
            .map_err(|_| refused(format!("the vector of {id} names a language {language:?}")))?,
        block_type: row.get(9),
        address: row.get(10),
    })
}

/// The bytes of one chunk's record in `infrarag_term_postings`
/// (`packed_postings!`).
const RECORD: usize = 11;

/// Every chunk key with a term of `query`, with its score summed from
/// `postings` (each term's packed blocks, with their numbers) in the
/// query's term order, as the in-memory index sums them, times its class
/// weights.
fn score(
    query: &LexicalQuery<'_>,
    bm25: Bm25,
    postings: &[(&str, i64, &[u8])],
) -> Result<Vec<(i64, f32)>> {
    let damaged = |term: &str, what: String| {
        refused(format!(
            "the stored postings of the term {term:?} are damaged ({what})"
        ))
    };
    let mut by_term: HashMap<&str, Vec<(i64, &[u8])>, RandomState> = HashMap::default();
    // Sums are kept per block, in arrays indexed by a key's offset: a
    // query's terms name tens of thousands of records but only the few
    // blocks the chunks fill, and hashing each key took a tenth of a
    // search's time in the process.
    let mut slots: HashMap<i64, usize, RandomState> = HashMap::default();
    for &(term, block, packed) in postings {
        if packed.len() % RECORD != 0 {
            return Err(damaged(
                term,
                format!("{} bytes, not a multiple of {RECORD}", packed.len()),
            ));
        }
        by_term.entry(term).or_default().push((block, packed));
        let next = slots.len();
        slots.entry(block).or_insert(next);
    }
    let mut sums = vec![Sums::default(); slots.len()];
    for term in query.terms {
        let Some(blocks) = by_term.get(term.as_str()) else {
            continue;
        };
        let df = blocks.iter().map(|(_, b)| b.len() / RECORD).sum();
        let idf = bm25.idf(df);
        for &(block, packed) in blocks {
            let sums = &mut sums[slots[&block]];
            for r in packed.chunks_exact(RECORD) {
                let (offset, tf, len, classes) = unpack(r);
                if offset >= BLOCK {
                    return Err(damaged(term, format!("offset {offset} in block {block}")));
                }
                sums.score[offset] += bm25.term(idf, tf, len);
                sums.classes[offset] = classes;
                sums.seen[offset / 64] |= 1 << (offset % 64);
            }
        }
    }
    let mut out = Vec::new();
    for (&block, &slot) in &slots {
        let sums = &sums[slot];
        for (word, &bits) in sums.seen.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let offset = word * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let weight = weigh(sums.classes[offset], query.class_weights);
                out.push((key_of(block, offset), sums.score[offset] * weight));
            }
        }
    }
    Ok(out)
}

/// How many chunk keys one row of `infrarag_term_postings` covers.
const BLOCK: usize = 1 << BLOCK_BITS;

/// The BM25 sums of one block's keys, by offset, with their classes and
/// which offsets any term named.
#[derive(Clone)]
struct Sums {
    score: [f32; BLOCK],
    classes: [u8; BLOCK],
    seen: [u64; BLOCK / 64],
}

impl Default for Sums {
    fn default() -> Self {
        Sums {
            score: [0.0; BLOCK],
            classes: [0; BLOCK],
            seen: [0; BLOCK / 64],
        }
    }
}

/// Moves the best `n` of `ranked` to its front, best first, followed by
/// any others that tie the last of them; returns how many that is.
fn best_first(ranked: &mut [(i64, f32)], n: usize) -> usize {
    let desc = |a: &(i64, f32), b: &(i64, f32)| b.1.total_cmp(&a.1);
    if ranked.len() <= n {
        ranked.sort_unstable_by(desc);
        return ranked.len();
    }
    ranked.select_nth_unstable_by(n - 1, desc);
    ranked[..n].sort_unstable_by(desc);
    let last = ranked[n - 1].1;
    let mut end = n;
    for i in n..ranked.len() {
        if ranked[i].1 == last {
            ranked.swap(i, end);
            end += 1;
        }
    }
    end
}

/// A record of [`RECORD`] bytes: its chunk's offset in the block, tf,
/// length and classes.
fn unpack(r: &[u8]) -> (usize, f32, f32, u8) {
    let offset = u16::from_be_bytes([r[0], r[1]]);
    let mut tf = [0; 4];
    tf.copy_from_slice(&r[2..6]);
    let mut len = [0; 4];
    len.copy_from_slice(&r[6..10]);
    (
        usize::from(offset),
        f32::from_be_bytes(tf),
        f32::from_be_bytes(len),
        r[10],
    )
}

/// The chunk key at `offset` in `block`.
fn key_of(block: i64, offset: usize) -> i64 {
    block << BLOCK_BITS | offset as i64
}

/// Which blocks of which terms' packed postings a commit changed.
type Blocks = HashSet<(String, i64)>;

/// How many low bits of a key are its place in its block
/// (`block_bits!`).
const BLOCK_BITS: u32 = 9;

/// The block of `infrarag_term_postings` that holds chunk `key`.
fn block_of(key: i64) -> i64 {
    key >> BLOCK_BITS
}

/// Packs the postings of `blocks` (of all, when `None`) from
/// `infrarag_postings` into `infrarag_term_postings` again.
fn pack(tx: &mut Transaction<'_>, blocks: Option<Blocks>) -> Result<()> {
    let fail = |e: postgres::Error| db_error("packing chunk terms", &e);
    let Some(blocks) = blocks else {
        tx.batch_execute(concat!(
            "DELETE FROM infrarag_term_postings;
             INSERT INTO infrarag_term_postings (term, block, postings)
             SELECT term, chunk >> ",
            block_bits!(),
            ", ",
            packed_postings!(),
            " FROM infrarag_postings GROUP BY term, chunk >> ",
            block_bits!()
        ))
        .map_err(fail)?;
        return Ok(());
    };
    if blocks.is_empty() {
        return Ok(());
    }
    let (terms, numbers): (Vec<String>, Vec<i64>) = blocks.into_iter().unzip();
    tx.execute(
        "DELETE FROM infrarag_term_postings t
         USING unnest($1::text[], $2::bigint[]) AS u (term, block)
         WHERE t.term = u.term AND t.block = u.block",
        &[&terms, &numbers],
    )
    .map_err(fail)?;
    tx.execute(
        concat!(
            "INSERT INTO infrarag_term_postings (term, block, postings)
             SELECT u.term, u.block, ",
            packed_postings!(),
            " FROM unnest($1::text[], $2::bigint[]) AS u (term, block)
             JOIN infrarag_postings p ON p.term = u.term
                 AND p.chunk >= u.block << ",
            block_bits!(),
            " AND p.chunk < (u.block + 1) << ",
            block_bits!(),
            "
             GROUP BY u.term, u.block"
        ),
        &[&terms, &numbers],
    )
    .map_err(fail)?;
    Ok(())
}

/// Deletes the documents at `paths`, their chunks and their postings;
/// returns the blocks of packed postings that held them.
fn delete<S: AsRef<str> + postgres::types::ToSql + Sync>(
    tx: &mut Transaction<'_>,
    paths: &[S],
) -> Result<Blocks> {
    if paths.is_empty() {
        return Ok(Blocks::new());
    }
    let touched = tx
        .query(
            concat!(
                "WITH gone AS (
                     DELETE FROM infrarag_postings WHERE chunk IN
                         (SELECT key FROM infrarag_chunks WHERE path = ANY($1))
                     RETURNING term, chunk)
                 SELECT DISTINCT term, chunk >> ",
                block_bits!(),
                " FROM gone"
            ),
            &[&paths],
        )
        .map_err(|e| db_error("removing chunk terms", &e))?;
    tx.execute(
        "DELETE FROM infrarag_documents WHERE path = ANY($1)",
        &[&paths],
    )
    .map_err(|e| db_error("removing documents", &e))?;
    Ok(touched.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Stores `docs`, replacing any at their paths, each chunk with its terms;
/// returns the blocks of packed postings it changed. Rows go in by `COPY`:
/// an ingestion writes hundreds of thousands of postings.
fn put(tx: &mut Transaction<'_>, docs: &[Document]) -> Result<Blocks> {
    if docs.is_empty() {
        return Ok(Blocks::new());
    }
    let paths: Vec<&str> = docs.iter().map(|d| d.path.as_str()).collect();
    let hashes: Vec<&str> = docs.iter().map(|d| d.content_hash.as_str()).collect();
    let chunkers: Vec<&str> = docs.iter().map(|d| d.chunker.as_str()).collect();
    let mut touched = delete(tx, &paths)?;
    tx.execute(
        "INSERT INTO infrarag_documents (path, content_hash, chunker)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])",
        &[&paths, &hashes, &chunkers],
    )
    .map_err(|e| db_error("storing documents", &e))?;
    let chunks: Vec<(&str, usize, &Chunk)> = docs
        .iter()
        .flat_map(|d| {
            d.chunks
                .iter()
                .enumerate()
                .map(|(i, c)| (d.path.as_str(), i, c))
        })
        .collect();
    let keys = allocate_keys(tx, chunks.len())?;
    let rows = encode(&chunks)?;
    copy_chunks(tx, &keys, &chunks, &rows)?;
    copy_postings(tx, &keys, &rows)?;
    touched.extend(blocks_of(&keys, &rows));
    Ok(touched)
}

/// The blocks of packed postings that hold the terms of `rows`, stored
/// under `keys`.
fn blocks_of(keys: &[i64], rows: &[Row]) -> Blocks {
    let distinct: HashSet<(&str, i64), RandomState> = keys
        .iter()
        .zip(rows)
        .flat_map(|(&key, r)| {
            r.terms
                .iter()
                .map(move |(t, _)| (t.as_str(), block_of(key)))
        })
        .collect();
    distinct
        .into_iter()
        .map(|(term, block)| (term.to_string(), block))
        .collect()
}

/// A chunk as stored: its JSON, weighted length, prior classes and terms.
struct Row {
    body: String,
    len: f32,
    classes: i16,
    terms: Vec<(String, f32)>,
}

/// Each chunk's JSON and terms, found in parallel: stemming is most of an
/// ingestion's time here.
fn encode(chunks: &[(&str, usize, &Chunk)]) -> Result<Vec<Row>> {
    use rayon::prelude::*;
    chunks
        .par_iter()
        .map(|(_, _, c)| {
            let body = serde_json::to_string(c)
                .map_err(|e| refused(format!("cannot encode a chunk of {}: {e}", c.path)))?;
            let (len, terms) = lexical_terms(c);
            let classes = i16::from(chunk_classes(c));
            Ok(Row {
                body,
                len,
                classes,
                terms,
            })
        })
        .collect()
}

fn allocate_keys(tx: &mut Transaction<'_>, n: usize) -> Result<Vec<i64>> {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let rows = tx
        .query(
            "SELECT nextval('infrarag_chunks_key_seq') FROM generate_series(1, $1::bigint)",
            &[&n],
        )
        .map_err(|e| db_error("numbering chunks", &e))?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

fn copy_chunks(
    tx: &mut Transaction<'_>,
    keys: &[i64],
    chunks: &[(&str, usize, &Chunk)],
    rows: &[Row],
) -> Result<()> {
    let fail = |e: postgres::Error| db_error("storing chunks", &e);
    let sink = tx
        .copy_in(
            "COPY infrarag_chunks
                 (key, path, ord, id, language, block_type, address, len, classes, body)
             FROM STDIN BINARY",
        )
        .map_err(fail)?;
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::INT4,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::FLOAT4,
        Type::INT2,
        Type::TEXT,
    ];
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    for ((key, (path, ord, c)), row) in keys.iter().zip(chunks).zip(rows) {
        let ord = i32::try_from(*ord).unwrap_or(i32::MAX);
        writer
            .write(&[
                key,
                path,
                &ord,
                &c.id,
                &c.language.as_str(),
                &c.block_type,
                &c.address,
                &row.len,
                &row.classes,
                &row.body,
            ])
            .map_err(fail)?;
    }
    writer.finish().map_err(fail)?;
    Ok(())
}

fn copy_postings(tx: &mut Transaction<'_>, keys: &[i64], rows: &[Row]) -> Result<()> {
    let fail = |e: postgres::Error| db_error("storing chunk terms", &e);
    let sink = tx
        .copy_in("COPY infrarag_postings (term, chunk, tf, len, classes) FROM STDIN BINARY")
        .map_err(fail)?;
    let types = [
        Type::TEXT,
        Type::INT8,
        Type::FLOAT4,
        Type::FLOAT4,
        Type::INT2,
    ];
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    for (key, row) in keys.iter().zip(rows) {
        for (term, tf) in &row.terms {
            writer
                .write(&[term, key, tf, &row.len, &row.classes])
                .map_err(fail)?;
        }
    }
    writer.finish().map_err(fail)?;
    Ok(())
}

/// Updates BM25's chunk count and total length to this transaction's;
/// returns the count. Lengths are summed in f64, as the in-memory index
/// sums them, so an unfiltered search scores as in memory to the bit: in
/// f32 the sum loses whole terms past 2^24 (about 110,000 chunks of the
/// module repositories' size).
fn update_statistics(client: &mut impl GenericClient) -> Result<usize> {
    let row = client
        .query_one(
            "UPDATE infrarag_state SET (chunks, total_len) = (
                 SELECT count(*), coalesce(sum(len::float8), 0) FROM infrarag_chunks
                 WHERE len IS NOT NULL)
             WHERE id = 1 RETURNING chunks",
            &[],
        )
        .map_err(|e| db_error("counting chunks", &e))?;
    Ok(row.get::<_, i64>(0) as usize)
}

/// Finds and stores the terms of chunks that have none (moved by the
/// version 3 migration), a batch per transaction; called under the
/// migration lock, so once.
pub(super) fn index_pending(conn: &mut Client) -> Result<()> {
    loop {
        let mut tx = conn
            .transaction()
            .map_err(|e| db_error("indexing moved chunks", &e))?;
        let pending = tx
            .query(
                "SELECT key, path, body FROM infrarag_chunks WHERE len IS NULL
                 ORDER BY key LIMIT $1",
                &[&PENDING_BATCH],
            )
            .map_err(|e| db_error("indexing moved chunks", &e))?;
        if pending.is_empty() {
            return Ok(());
        }
        let keys: Vec<i64> = pending.iter().map(|r| r.get(0)).collect();
        let chunks = pending
            .iter()
            .map(|r| decode(r.get(1), r.get(2)))
            .collect::<Result<Vec<Chunk>>>()?;
        let listed: Vec<(&str, usize, &Chunk)> =
            chunks.iter().map(|c| (c.path.as_str(), 0, c)).collect();
        let rows = encode(&listed)?;
        let lens: Vec<f32> = rows.iter().map(|r| r.len).collect();
        let classes: Vec<i16> = rows.iter().map(|r| r.classes).collect();
        tx.execute(
            "UPDATE infrarag_chunks c SET len = u.len, classes = u.classes
             FROM unnest($1::bigint[], $2::real[], $3::smallint[]) AS u(key, len, classes)
             WHERE c.key = u.key",
            &[&keys, &lens, &classes],
        )
        .map_err(|e| db_error("indexing moved chunks", &e))?;
        copy_postings(&mut tx, &keys, &rows)?;
        pack(&mut tx, Some(blocks_of(&keys, &rows)))?;
        update_statistics(&mut tx)?;
        tx.commit()
            .map_err(|e| db_error("indexing moved chunks", &e))?;
    }
}

#[cfg(test)]
mod tests {
    use super::{best_first, block_of, key_of, score, unpack, BLOCK_BITS, RECORD};
    use crate::index::Bm25;
    use crate::store::{Filter, LexicalQuery};

    fn record(offset: u16, tf: f32, len: f32, classes: u8) -> Vec<u8> {
        let mut r = offset.to_be_bytes().to_vec();
        r.extend_from_slice(&tf.to_be_bytes());
        r.extend_from_slice(&len.to_be_bytes());
        r.push(classes);
        r
    }

    #[test]
    fn a_record_names_its_chunk_by_block_and_offset() {
        assert_eq!(block_bits!(), BLOCK_BITS.to_string());
        let key = 7 * 512 + 300;
        assert_eq!(block_of(key), 7);
        let r = record(300, 2.5, 41.0, 5);
        assert_eq!(r.len(), RECORD);
        assert_eq!(unpack(&r), (300, 2.5, 41.0, 5));
        assert_eq!(key_of(7, 300), key);
    }

    #[test]
    fn scores_sum_each_terms_records_by_key() {
        let terms = ["bucket".to_string(), "policy".to_string()];
        let filter = Filter::default();
        let query = LexicalQuery {
            terms: &terms,
            k: 10,
            filter: &filter,
            class_weights: [0.5, 1.0, 1.0],
        };
        let bm25 = Bm25::new(2_000, 60_000.0);
        let bucket = [record(3, 2.0, 40.0, 0), record(511, 1.0, 10.0, 1)].concat();
        let policy = record(3, 1.0, 40.0, 0);
        let far = record(0, 3.0, 20.0, 0);
        let postings = [
            ("policy", 0, &policy[..]),
            ("bucket", 0, &bucket[..]),
            ("bucket", 9, &far[..]),
        ];
        let mut got = score(&query, bm25, &postings).unwrap();
        got.sort_by_key(|&(key, _)| key);
        let (b, p) = (bm25.idf(3), bm25.idf(1));
        let expected = [
            (3, bm25.term(b, 2.0, 40.0) + bm25.term(p, 1.0, 40.0)),
            (511, bm25.term(b, 1.0, 10.0) * 0.5),
            (9 * 512, bm25.term(b, 3.0, 20.0)),
        ];
        assert_eq!(got, expected);

        let damaged = record(512, 1.0, 1.0, 0);
        let postings = [("bucket", 0, &damaged[..])];
        let err = score(&query, bm25, &postings).unwrap_err().to_string();
        assert!(
            err.contains("\"bucket\"") && err.contains("offset 512"),
            "{err}"
        );
    }

    #[test]
    fn a_batch_takes_the_best_first_and_every_tie_of_its_last() {
        let mut ranked = vec![(1, 0.5), (2, 3.0), (3, 1.0), (4, 2.0), (5, 1.0), (6, 1.0)];
        let n = best_first(&mut ranked, 3);
        assert_eq!(n, 5);
        assert_eq!(ranked[..2], [(2, 3.0), (4, 2.0)][..]);
        let mut tied: Vec<i64> = ranked[2..n].iter().map(|&(key, _)| key).collect();
        tied.sort_unstable();
        assert_eq!(tied, [3, 5, 6]);
        assert_eq!(ranked[n..], [(1, 0.5)][..]);

        let mut few = vec![(1, 1.0), (2, 2.0)];
        assert_eq!(best_first(&mut few, 5), 2);
        assert_eq!(few, [(2, 2.0), (1, 1.0)]);
    }
}
