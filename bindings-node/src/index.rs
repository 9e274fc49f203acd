//! `index`: the shared index, its hits and its Promise methods; sync
//! methods never wait for an ingestion on the main thread.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::chunk::{Chunk, Chunker, Skipped};
use crate::convert::small;
use crate::embed::Embedder;
use crate::error::{coded, counted, js_error, thrown, Code};
use crate::js_store;
use crate::task::{job, Job};

/// What each signal thought of a hit: raw score and 1-based rank.
#[napi(object, namespace = "index")]
pub struct Signal {
    pub score: f64,
    pub rank: u32,
}

/// One search result.
#[napi(object, namespace = "index")]
pub struct Hit {
    pub chunk: Chunk,
    /// Sum over signals of `1 / (60 + rank)`; one signal's raw score when
    /// only one was used.
    pub score: f64,
    /// Each signal's own score and rank, where it found the chunk.
    pub scores: Scores,
    /// `path:start-end` (lines, 1-based).
    pub citation: String,
    /// Citations of the other pieces and copies of the same block or
    /// section (an example's re-exported output, a generated wrapper),
    /// folded into this hit, best first.
    pub places: Vec<String>,
}

/// A hit's standing in each signal search fuses.
#[napi(object, namespace = "index")]
pub struct Scores {
    pub lexical: Option<Signal>,
    pub code: Option<Signal>,
    pub summary: Option<Signal>,
}

/// What `addPath` changed.
#[napi(object, namespace = "index")]
pub struct IngestReport {
    /// Files new to the index.
    pub added: u32,
    /// Files held before and chunked again: their content changed, or
    /// another `.tf` file of their directory did (a block's summary quotes
    /// the variables it reads), or another chunker chunked them (a new
    /// release, another `Chunker` configuration).
    pub updated: u32,
    /// Files whose content, module and chunker the index already held.
    pub unchanged: u32,
    /// Files under the path the index held that are gone.
    pub removed: u32,
    /// Chunks indexed by this call: those of the files added or updated.
    pub chunks: u32,
    /// Texts sent to the embedder: a chunk's code and its summary count
    /// one each. A chunk whose text the index held (also a block that
    /// moved within its file) gets that code vector, and the summary vector
    /// too while the summary is the same, so an update sends only what
    /// changed.
    pub embedded: u32,
    /// Files left out (binary, not UTF-8, too large), and why.
    pub skipped: Vec<Skipped>,
}

/// A file the index holds.
#[napi(object, namespace = "index")]
pub struct Source {
    pub path: String,
    pub content_hash: String,
    pub chunks: u32,
}

/// Options of `search`.
#[napi(object, namespace = "index")]
#[derive(Default)]
pub struct SearchOptions {
    /// Hits to return (default 10): a whole number.
    pub k: Option<f64>,
    /// HNSW search breadth (default 64): higher finds more of the true
    /// nearest vectors, slower.
    pub ef: Option<f64>,
    /// `"hybrid"` (default), `"vector"` or `"lexical"`.
    pub mode: Option<String>,
    pub path_prefix: Option<String>,
    /// `"hcl"`, `"markdown"` or `"text"`.
    pub language: Option<String>,
    pub block_type: Option<String>,
    pub address: Option<String>,
}

pub(crate) fn signal(s: Option<infrarag::index::Signal>) -> Option<Signal> {
    s.map(|s| Signal {
        score: f64::from(s.score),
        rank: small(s.rank),
    })
}

/// An index the JS object and its running tasks share.
pub(crate) struct IndexCell {
    index: infrarag::index::SharedIndex,
    /// Its stores are JS objects, which only the Promise methods may reach.
    js_stores: bool,
}

pub(crate) type SharedIndex = std::sync::Arc<IndexCell>;

/// `js_stores`: the index runs on JS objects (see `sync_allowed`).
pub(crate) fn shared(index: infrarag::index::Index, js_stores: bool) -> SharedIndex {
    std::sync::Arc::new(IndexCell {
        index: infrarag::index::SharedIndex::new(index),
        js_stores,
    })
}

/// Refuses a synchronous call that would reach JS stores: they answer on
/// the main thread, which the call is holding.
pub(crate) fn sync_allowed(index: &SharedIndex) -> Result<(), Code> {
    if index.js_stores {
        return Err(napi::Error::new(
            Code::plain("INVALID_ARGUMENT"),
            "this index's stores are JavaScript objects: use addPath, search and \
             removePath, which leave the main thread free to answer them"
                .to_string(),
        ));
    }
    Ok(())
}

/// `f` on the index as last committed; waits only for a commit.
pub(crate) fn read<T>(
    index: &SharedIndex,
    f: impl FnOnce(&infrarag::index::Index) -> T,
) -> Result<T, Code> {
    index.index.read(f).map_err(js_error)
}

/// `cancel`: the Promise's token; without one the call is on the main
/// thread, where waiting for a running ingestion would hold the event loop,
/// so it fails with BUSY instead.
pub(crate) fn add_path_with(
    index: &SharedIndex,
    dir: &str,
    extensions: Option<Vec<String>>,
    cancel: Option<&infrarag::CancelToken>,
) -> Result<IngestReport, Code> {
    let mut job = index.index.add_path(dir).wait(cancel.is_some());
    if let Some(c) = cancel {
        job = job.on_progress(move |_| match c.is_cancelled() {
            true => std::ops::ControlFlow::Break(()),
            false => std::ops::ControlFlow::Continue(()),
        });
    }
    if let Some(e) = extensions {
        job = job.extensions(e);
    }
    let r = job.execute().map_err(js_error)?;
    Ok(IngestReport {
        added: small(r.added),
        updated: small(r.updated),
        unchanged: small(r.unchanged),
        removed: small(r.removed),
        chunks: small(r.chunks),
        embedded: small(r.embedded),
        skipped: r.skipped.into_iter().map(Skipped::from).collect(),
    })
}

pub(crate) fn index_builder(
    embedder: Option<&Embedder>,
    chunker: Option<&Chunker>,
) -> Result<infrarag::index::IndexBuilder, Code> {
    let mut builder = infrarag::index::Index::builder();
    if let Some(e) = embedder {
        builder = builder.embedder(e.inner.clone());
    }
    if let Some(c) = chunker {
        builder = builder.chunker(c.for_index()?);
    }
    Ok(builder)
}

/// How `Index.postgres` connects.
#[napi(object, namespace = "index")]
pub struct PostgresOptions {
    /// At most this many connections at once (default 8).
    pub max_connections: Option<f64>,
    /// Seconds a statement may run before the server stops it (default
    /// 30; 0 for no limit).
    pub statement_timeout: Option<f64>,
    /// A PEM file of certificate authorities trusted besides the public
    /// ones, for `sslmode=require` against a private CA.
    pub ca_file: Option<String>,
    /// Keep a copy of every chunk and its BM25 terms in this process
    /// (default false: BM25 runs in the database and the process holds only
    /// the list of files). Faster lexical search, memory in proportion to
    /// the corpus.
    pub cache_chunks: Option<bool>,
}

/// The store `Index.postgres` connects to, configured, not yet connected.
fn postgres_options(
    url: String,
    o: Option<PostgresOptions>,
) -> Result<infrarag::store::postgres::PostgresOptions, Code> {
    let mut options = infrarag::store::postgres::PostgresStore::options(url);
    let Some(o) = o else {
        return Ok(options);
    };
    if let Some(n) = counted("maxConnections", o.max_connections)? {
        options = options.max_connections(n);
    }
    if let Some(s) = o.statement_timeout {
        let t = std::time::Duration::try_from_secs_f64(s).map_err(|_| {
            js_error(infrarag::Error::InvalidArgument {
                name: "statementTimeout".into(),
                message: format!("must be a number of seconds, 0 or more, not {s}"),
            })
        })?;
        options = options.statement_timeout(t);
    }
    if let Some(ca) = o.ca_file {
        options = options.ca_file(ca);
    }
    if let Some(cache) = o.cache_chunks {
        options = options.cache_chunks(cache);
    }
    Ok(options)
}

fn postgres_index(
    builder: infrarag::index::IndexBuilder,
    options: infrarag::store::postgres::PostgresOptions,
) -> Result<Index, Code> {
    let store = options.connect().map_err(js_error)?;
    let index = builder.postgres_store(store).map_err(js_error)?;
    Ok(Index {
        inner: shared(index, false),
    })
}

/// Chunks with BM25 terms and code and summary vectors (offline embedder),
/// in memory (`new Index()`) or in one crash-safe file (`Index.open(path)`);
/// hybrid search fuses them by rank.
#[napi(namespace = "index")]
pub struct Index {
    pub(crate) inner: SharedIndex,
}

#[napi(namespace = "index")]
impl Index {
    /// An empty index in memory, embedding with `embedder` (default
    /// `Embedder.hashing()`) and chunking with `chunker` (default
    /// `new Chunker()`; one with a tokenizer function is refused, since
    /// ingestion runs off the main thread).
    #[napi(constructor)]
    pub fn new(env: Env, embedder: Option<&Embedder>, chunker: Option<&Chunker>) -> Result<Self> {
        thrown(&env, || {
            Ok(Index {
                inner: shared(index_builder(embedder, chunker)?.in_memory(), false),
            })
        })
    }

    /// The number of chunks held.
    #[napi(getter)]
    pub fn size(&self, env: Env) -> Result<u32> {
        thrown(&env, || read(&self.inner, |index| small(index.len())))
    }

    /// The embedder's model id.
    #[napi(getter)]
    pub fn model(&self, env: Env) -> Result<String> {
        thrown(&env, || {
            read(&self.inner, |index| index.model().to_string())
        })
    }

    /// Ingests the text files under `dir` off the main thread: new and
    /// changed files chunked and embedded, unchanged ones (same SHA-256)
    /// skipped, files held under `dir` that are gone removed. Rejects with
    /// IO_ERROR when `dir` cannot be read; nothing changes then.
    #[napi(ts_return_type = "Promise<index.IngestReport>")]
    pub fn add_path(
        &self,
        dir: String,
        extensions: Option<Vec<String>>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<IngestReport>> {
        let cancel = infrarag::CancelToken::new();
        let (index, token) = (self.inner.clone(), cancel.clone());
        job(signal, Some(&cancel), move || {
            add_path_with(&index, &dir, extensions, Some(&token))
        })
    }

    /// `addPath`, blocking the calling thread. Throws BUSY instead of
    /// waiting while another ingestion or removal runs on this index.
    #[napi]
    pub fn add_path_sync(
        &self,
        env: Env,
        dir: String,
        extensions: Option<Vec<String>>,
    ) -> Result<IngestReport> {
        thrown(&env, || {
            sync_allowed(&self.inner)
                .and_then(|()| add_path_with(&self.inner, &dir, extensions, None))
        })
    }

    /// `search`, blocking the calling thread (about a millisecond with the
    /// offline embedder). A running `addPath` does not hold it up: it sees
    /// the index as before or after that ingestion, never part of it.
    #[napi]
    pub fn search_sync(
        &self,
        env: Env,
        query: String,
        options: Option<SearchOptions>,
    ) -> Result<Vec<Hit>> {
        thrown(&env, || {
            sync_allowed(&self.inner)
                .and_then(|()| search_with(&self.inner, &query, options.unwrap_or_default()))
        })
    }

    /// The best chunks for `query`, best first, found off the main thread,
    /// so the event loop is not held while a remote embedder embeds it.
    #[napi(ts_return_type = "Promise<Array<index.Hit>>")]
    pub fn search(
        &self,
        query: String,
        options: Option<SearchOptions>,
        signal: Option<AbortSignal>,
    ) -> AsyncTask<Job<Vec<Hit>>> {
        let index = self.inner.clone();
        job(signal, None, move || {
            search_with(&index, &query, options.unwrap_or_default())
        })
    }

    /// The files held, in path order.
    #[napi]
    pub fn sources(&self, env: Env) -> Result<Vec<Source>> {
        thrown(&env, || {
            let sources = read(&self.inner, |index| index.sources())?;
            Ok(sources
                .into_iter()
                .map(|s| Source {
                    path: s.path,
                    content_hash: s.content_hash,
                    chunks: small(s.chunks),
                })
                .collect())
        })
    }

    /// `removePath`, blocking the calling thread. Throws BUSY instead of
    /// waiting while an ingestion or removal runs on this index.
    #[napi]
    pub fn remove_path_sync(&self, env: Env, dir: String) -> Result<u32> {
        thrown(&env, || {
            sync_allowed(&self.inner)?;
            remove_path_with(&self.inner, &dir, false)
        })
    }

    /// Forgets every file under `dir`, off the main thread; resolves to
    /// how many.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn remove_path(&self, dir: String, signal: Option<AbortSignal>) -> AsyncTask<Job<u32>> {
        let index = self.inner.clone();
        job(signal, None, move || remove_path_with(&index, &dir, true))
    }

    /// An index on stores of your own, built off the main thread: what they
    /// hold is loaded and reconciled, and every change is written through.
    /// `documents` has `load()` and `apply({ remove, put })`; `code` and
    /// `summary` have `dimension`, `ids()`, `upsert(records)`,
    /// `delete(ids)` and `search({ vector, k, filter })` returning
    /// `[id, similarity]` pairs, and may have `vectors(ids)` returning the
    /// `[id, vector]` pairs they hold (then the vectors of blocks that only
    /// moved within their file are copied rather than embedded again). Methods run on the main thread and must
    /// return their results (not Promises); use the index's Promise methods
    /// (`addPath`, `search`, `removePath`) only.
    #[napi(ts_return_type = "Promise<index.Index>")]
    pub fn with_stores(
        env: Env,
        documents: Object,
        code: Object,
        summary: Object,
        embedder: Option<&Embedder>,
        chunker: Option<&Chunker>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<Job<Index>>> {
        let stores = infrarag::store::Stores {
            documents: Box::new(js_store::JsDocumentStore::new(&documents)?),
            code: Box::new(js_store::JsVectorStore::new(&code)?),
            summary: Box::new(js_store::JsVectorStore::new(&summary)?),
        };
        let builder = index_builder(embedder, chunker).map_err(|e| coded(&env, e))?;
        Ok(job(signal, None, move || {
            let index = builder.stores(stores).map_err(js_error)?;
            Ok(Index {
                inner: shared(index, true),
            })
        }))
    }

    /// Opens the index file at `path` off the main thread, creating it when
    /// missing: chunks and vectors are read back, not recomputed, and every
    /// change is written through. The file is locked while open; rejects
    /// with STORAGE_ERROR when it is locked, not an index, or holds vectors
    /// of another embedder.
    #[napi(ts_return_type = "Promise<index.Index>")]
    pub fn open(
        env: Env,
        path: String,
        embedder: Option<&Embedder>,
        chunker: Option<&Chunker>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<Job<Index>>> {
        let builder = index_builder(embedder, chunker).map_err(|e| coded(&env, e))?;
        Ok(job(signal, None, move || open_index(builder, &path)))
    }

    /// Writes nothing more and unlocks the index file (waiting for a running
    /// `addPath`); every later call fails with STORAGE_ERROR. Closing twice
    /// is harmless.
    #[napi]
    pub fn close(&self, env: Env) -> Result<()> {
        thrown(&env, || self.inner.index.close().map_err(js_error))
    }

    /// Opens the index in the PostgreSQL database at `url` off the main
    /// thread (`postgres://user:password@host:5432/db`; `sslmode=require`
    /// for TLS); the server needs pgvector, and the schema is created or
    /// migrated on open. Every process that opens the database shares one
    /// index: a commit by one is seen by the others' next search or
    /// `addPath`, and a killed writer leaves the previous state. Rejects
    /// with DATABASE_ERROR (a StorageError with `sqlstate` where the server
    /// sent one) when the server is unreachable, refuses the credentials,
    /// lacks pgvector, holds another embedder's vectors or was migrated by
    /// a newer infrarag.
    #[napi(ts_return_type = "Promise<index.Index>")]
    pub fn postgres(
        env: Env,
        url: String,
        embedder: Option<&Embedder>,
        chunker: Option<&Chunker>,
        options: Option<PostgresOptions>,
        signal: Option<AbortSignal>,
    ) -> Result<AsyncTask<Job<Index>>> {
        let builder = index_builder(embedder, chunker).map_err(|e| coded(&env, e))?;
        let options = postgres_options(url, options).map_err(|e| coded(&env, e))?;
        Ok(job(signal, None, move || postgres_index(builder, options)))
    }

    /// `postgres`, blocking the calling thread.
    #[napi(factory)]
    pub fn postgres_sync(
        env: Env,
        url: String,
        embedder: Option<&Embedder>,
        chunker: Option<&Chunker>,
        options: Option<PostgresOptions>,
    ) -> Result<Index> {
        thrown(&env, || {
            postgres_index(
                index_builder(embedder, chunker)?,
                postgres_options(url, options)?,
            )
        })
    }

    /// `open`, blocking the calling thread.
    #[napi(factory)]
    pub fn open_sync(
        env: Env,
        path: String,
        embedder: Option<&Embedder>,
        chunker: Option<&Chunker>,
    ) -> Result<Index> {
        thrown(&env, || {
            open_index(index_builder(embedder, chunker)?, &path)
        })
    }
}

pub(crate) fn search_with(
    index: &SharedIndex,
    query: &str,
    o: SearchOptions,
) -> Result<Vec<Hit>, Code> {
    let mode = o
        .mode
        .as_deref()
        .map(str::parse::<infrarag::index::SearchMode>)
        .transpose()
        .map_err(js_error)?;
    let language = o
        .language
        .as_deref()
        .map(str::parse::<infrarag::chunk::Language>)
        .transpose()
        .map_err(js_error)?;
    let options = infrarag::index::SearchOptions {
        k: counted("k", o.k)?,
        mode,
        ef: counted("ef", o.ef)?,
        filter: infrarag::index::Filter {
            path_prefix: o.path_prefix,
            language,
            block_type: o.block_type,
            address: o.address,
        },
    };
    let hits = index.index.search(query, options).map_err(js_error)?;
    Ok(hits
        .into_iter()
        .map(|h| Hit {
            citation: h.citation(),
            score: f64::from(h.score),
            scores: Scores {
                lexical: signal(h.scores.lexical),
                code: signal(h.scores.code),
                summary: signal(h.scores.summary),
            },
            chunk: Chunk::from(h.chunk),
            places: h.places,
        })
        .collect())
}

/// `wait`: as for [`add_path_with`].
pub(crate) fn remove_path_with(index: &SharedIndex, dir: &str, wait: bool) -> Result<u32, Code> {
    let removed = match wait {
        true => index.index.remove_path(dir),
        false => index.index.try_remove_path(dir),
    };
    Ok(small(removed.map_err(js_error)?))
}

pub(crate) fn open_index(
    builder: infrarag::index::IndexBuilder,
    path: &str,
) -> Result<Index, Code> {
    let index = builder.open(path).map_err(js_error)?;
    Ok(Index {
        inner: shared(index, false),
    })
}
