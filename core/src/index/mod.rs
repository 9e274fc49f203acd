//! Retrieval over chunks: incremental ingestion of directories and hybrid
//! search (BM25 + HNSW over code and summary vectors, fused by rank).
//!
//! Open with [`Index::open`] (one file), [`Index::in_memory`] or
//! [`Index::builder`] (any [`crate::store`]); ingest with
//! [`Index::add_path`]; query with [`Index::search`].

mod fields;
mod fold;
mod ingest;
mod lexical;
mod prior;
mod search;
mod shared;

pub use ingest::AddPath;
use ingest::{HeldText, Vectors};
pub use search::{Search, SearchOptions};
pub use shared::{SharedAddPath, SharedIndex};

/// What BM25F reads of a chunk: its fields as `(text, weight)` (names,
/// what the provider documentation says the block is, text and summary,
/// and the variable descriptions the summary quotes).
/// A search's lexical score of a chunk is BM25 (k1 1.2, b 0.75) over these,
/// each occurrence of a term counting its field's weight, times
/// [`prior`].
pub fn lexical_fields(chunk: &Chunk) -> Vec<(String, f32)> {
    fields::of(chunk)
}

/// The factor every signal's score of `chunk` is multiplied by for
/// `query`: below 1 for examples, tests, wrappers, changelogs and
/// terraform-docs tables, and for variables, outputs and locals unless the
/// query asks for an input, output or setting; above 1 for documentation
/// when the query asks how, why or what.
pub fn prior(query: &str, chunk: &Chunk) -> f32 {
    prior::Intent::of(query).prior(chunk)
}

/// The classes of `chunk` that [`prior`] weighs, as bits: 1 a copy
/// (example, test, wrapper, changelog, terraform-docs table), 2 a knob
/// (variable, output, locals), 4 prose (Markdown). A store that searches
/// its own chunks ([`ChunkSearch`]) keeps them per chunk and multiplies a
/// chunk's BM25 score by [`LexicalQuery::class_weights`](crate::store::LexicalQuery::class_weights)
/// of each.
pub fn chunk_classes(chunk: &Chunk) -> u8 {
    prior::classes_of(chunk, prior::is_copied(chunk))
}

/// A chunk's weighted length and its index terms with their weighted
/// frequencies, as the in-memory BM25 counts them over
/// [`lexical_fields`]: what a [`ChunkSearch`] store keeps per chunk.
pub fn lexical_terms(chunk: &Chunk) -> (f32, Vec<(String, f32)>) {
    lexical::chunk_terms(chunk)
}

/// The distinct index terms of a query (stemmed, function words left out),
/// as [`LexicalQuery::terms`](crate::store::LexicalQuery::terms) takes
/// them.
pub fn query_terms(query: &str) -> Vec<String> {
    lexical::query_terms(query)
}

/// BM25's `k1` and `b`, for a [`ChunkSearch`] store that scores in its
/// own engine.
pub const BM25_PARAMETERS: (f32, f32) = lexical::BM25;

/// For a store that sums BM25 itself, as the in-memory index does.
#[cfg(feature = "postgres")]
pub(crate) use lexical::Bm25;
#[cfg(feature = "postgres")]
pub(crate) use prior::weigh;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::chunk::{Chunk, ChunkConfig, Chunker, Skipped};
use crate::embed::{Embedder, Hashing};
use crate::error::{Error, Result};
use crate::store::{
    ChunkSearch, Document, DocumentChanges, DocumentStore, FileStore, MemoryVectorStore, Metadata,
    Stores, VectorRecord, VectorStore,
};
use lexical::Lexical;

pub use crate::store::Filter;

/// Which signals a search uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// BM25 and both vectors, fused (the default).
    #[default]
    Hybrid,
    /// The code and summary vectors, fused.
    Vector,
    /// BM25 only.
    Lexical,
}

impl SearchMode {
    /// The mode's name: `hybrid`, `vector` or `lexical`.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Hybrid => "hybrid",
            SearchMode::Vector => "vector",
            SearchMode::Lexical => "lexical",
        }
    }
}

impl std::str::FromStr for SearchMode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "hybrid" => Ok(SearchMode::Hybrid),
            "vector" => Ok(SearchMode::Vector),
            "lexical" => Ok(SearchMode::Lexical),
            other => Err(Error::InvalidArgument {
                name: "mode".into(),
                message: format!("unknown search mode {other:?}; use hybrid, vector or lexical"),
            }),
        }
    }
}

/// What each signal thought of a hit: its raw score and 1-based rank among
/// that signal's candidates, absent when the hit was not among them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Scores {
    /// BM25 of the query against the chunk's text and summary.
    pub lexical: Option<Signal>,
    /// Cosine similarity of the query to the chunk's code vector.
    pub code: Option<Signal>,
    /// Cosine similarity of the query to the chunk's summary vector.
    pub summary: Option<Signal>,
}

/// A chunk's standing in one signal's candidates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Signal {
    /// The signal's own score (BM25, or cosine similarity).
    pub score: f32,
    /// 1-based rank among the signal's candidates; equal scores share the
    /// best of their ranks.
    pub rank: usize,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The chunk found.
    pub chunk: Chunk,
    /// The fused score: the sum over signals of `weight / (60 + rank)`
    /// (BM25's weight is 1, the vectors' the embedder's
    /// [`fusion_weight`](crate::embed::Embedder::fusion_weight)); for a
    /// single signal, its raw score times the chunk's prior. A hit with
    /// [`places`](Hit::places) scores as the best of them.
    pub score: f32,
    /// Its standing in each signal that found it.
    pub scores: Scores,
    /// The other places of the same block or section, folded into this
    /// hit, best first, as citations: the remaining pieces of a block split
    /// in parts, and copies of it in other files (an example's re-exported
    /// output, a generated wrapper).
    pub places: Vec<String>,
}

impl Hit {
    /// Where to cite the hit from: `path:start-end` (lines, 1-based).
    pub fn citation(&self) -> String {
        citation(&self.chunk)
    }
}

/// `path:start-end` of a chunk (lines, 1-based).
fn citation(chunk: &Chunk) -> String {
    format!("{}:{}-{}", chunk.path, chunk.start_line, chunk.end_line)
}

/// A file the index holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The file's path, as the index names it.
    pub path: String,
    /// SHA-256 of its bytes when it was ingested.
    pub content_hash: String,
    /// How many chunks it has.
    pub chunks: usize,
}

/// What [`AddPath::execute`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Files new to the index.
    pub added: usize,
    /// Files held before, chunked and embedded again: their content
    /// changed, or another `.tf` file of their directory did (a block's
    /// summary quotes the variables it reads), or another chunker made
    /// their chunks ([`Chunker::fingerprint`]).
    pub updated: usize,
    /// Files with the content hash the index already held, chunked by this
    /// chunker, in a directory whose `.tf` files did not change; not
    /// chunked again.
    pub unchanged: usize,
    /// Files under the root the index held that are gone.
    pub removed: usize,
    /// Chunks indexed by this call: those of the files added or updated.
    pub chunks: usize,
    /// Texts sent to the embedder: a chunk's code and its summary count
    /// one each. A chunk whose text the index held, under its id or, for a
    /// block that moved, another id of the files chunked again, gets that
    /// code vector, and the summary vector too while the summary is the
    /// same, so an update sends only what changed.
    pub embedded: usize,
    /// Files left out (binary, not UTF-8, too large), and why.
    pub skipped: Vec<Skipped>,
}

/// The stage an ingestion is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading and chunking files; counts files.
    Chunking,
    /// Embedding new chunks and changed summaries; counts chunks.
    Embedding,
}

impl Stage {
    /// The stage's name as serialised: `chunking` or `embedding`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Chunking => "chunking",
            Stage::Embedding => "embedding",
        }
    }
}

/// How far an ingestion has got.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// What is being done.
    pub stage: Stage,
    /// Units of it done.
    pub done: usize,
    /// Units in all.
    pub total: usize,
}

type ProgressFn<'a> = dyn Fn(&Progress) -> ControlFlow<()> + Send + Sync + 'a;

/// Configures an [`Index`].
pub struct IndexBuilder {
    embedder: Arc<dyn Embedder>,
    chunker: Option<Chunker>,
}

impl IndexBuilder {
    /// The embedder for chunks and queries (default [`Hashing`]).
    pub fn embedder(mut self, embedder: Arc<dyn Embedder>) -> Self {
        self.embedder = embedder;
        self
    }

    /// The chunker for ingested files (default 400 tokens, 60 of overlap).
    pub fn chunker(mut self, chunker: Chunker) -> Self {
        self.chunker = Some(chunker);
        self
    }

    /// An empty index held in memory.
    pub fn in_memory(self) -> Index {
        let dimension = self.embedder.dimension();
        self.assemble(
            None,
            Box::new(MemoryVectorStore::new(dimension)),
            Box::new(MemoryVectorStore::new(dimension)),
        )
    }

    /// The index in the file at `path`, created when missing. Chunks and
    /// vectors are read back, not recomputed; the file must hold vectors of
    /// this builder's embedder.
    pub fn open(self, path: impl AsRef<Path>) -> Result<Index> {
        let file = FileStore::open(path)?;
        file.bind_model(self.embedder.model(), self.embedder.dimension())?;
        let stores = file.into_stores(self.embedder.dimension())?;
        self.stores(stores)
    }

    /// The index in the PostgreSQL database at `url` (migrated on open, see
    /// [`PostgresStore`](crate::store::postgres::PostgresStore)), shared with
    /// every process that opens it: a commit by one is seen by the others'
    /// next search, ingestion or [`Index::refresh`]. BM25 runs in the
    /// database as well as the vector search, so a process holds only the
    /// list of files, not the chunks (unless
    /// [`cache_chunks`](crate::store::postgres::PostgresOptions::cache_chunks)).
    /// The database must hold vectors of this builder's embedder, or none.
    #[cfg(feature = "postgres")]
    pub fn postgres(self, url: &str) -> Result<Index> {
        self.postgres_store(crate::store::postgres::PostgresStore::connect(url)?)
    }

    /// [`postgres`](Self::postgres) on a store connected with options of the
    /// caller's (pool size, timeouts, CA file).
    #[cfg(feature = "postgres")]
    pub fn postgres_store(self, store: crate::store::postgres::PostgresStore) -> Result<Index> {
        let dimension = self.embedder.dimension();
        store.bind_model(self.embedder.model(), dimension)?;
        let stores = store.into_stores(dimension)?;
        self.stores(stores)
    }

    /// An index over stores of the caller's. What they hold is loaded (only
    /// the list of files, when the document store searches its own chunks:
    /// [`DocumentStore::searchable`]); vectors
    /// no document refers to (left by a crash mid-ingestion) are deleted, and
    /// a document whose vectors are missing is dropped, so the next
    /// [`Index::add_path`] ingests it again. Stores that other processes
    /// write too (a [`DocumentStore::version`]) are loaded as they are:
    /// what looks half-written may be another process's ingestion in
    /// flight, so cleaning up is theirs.
    pub fn stores(self, stores: Stores) -> Result<Index> {
        let Stores {
            mut documents,
            mut code,
            mut summary,
        } = stores;
        let dimension = self.embedder.dimension();
        for (name, store) in [("code", &code), ("summary", &summary)] {
            if store.dimension() != dimension {
                return Err(Error::InvalidArgument {
                    name: "stores".into(),
                    message: format!(
                        "the {name} vector store holds {} dimensions; the embedder makes {dimension}",
                        store.dimension()
                    ),
                });
            }
        }
        let version = documents.version()?;
        if version.is_some() {
            let mut index = self.assemble(Some(documents), code, summary);
            index.reload()?;
            index.seen = version;
            return Ok(index);
        }
        let mut docs = documents.load()?;
        let known: HashSet<&str> = docs
            .iter()
            .flat_map(|d| d.chunks.iter().map(|c| c.id.as_str()))
            .collect();
        let mut held: Vec<HashSet<String>> = Vec::new();
        for store in [&mut code, &mut summary] {
            let ids: HashSet<String> = store.ids()?.into_iter().collect();
            let orphans: Vec<String> = ids
                .iter()
                .filter(|id| !known.contains(id.as_str()))
                .cloned()
                .collect();
            if !orphans.is_empty() {
                store.delete(&orphans)?;
            }
            held.push(ids);
        }
        let (whole, partial): (Vec<Document>, Vec<Document>) = docs.drain(..).partition(|d| {
            d.chunks
                .iter()
                .all(|c| held.iter().all(|ids| ids.contains(&c.id)))
        });
        if !partial.is_empty() {
            let ids: Vec<String> = partial
                .iter()
                .flat_map(|d| d.chunks.iter().map(|c| c.id.clone()))
                .collect();
            documents.apply(&DocumentChanges {
                remove: partial.into_iter().map(|d| d.path).collect(),
                put: Vec::new(),
            })?;
            code.delete(&ids)?;
            summary.delete(&ids)?;
        }
        let mut index = self.assemble(Some(documents), code, summary);
        index.remember(whole);
        Ok(index)
    }

    fn assemble(
        self,
        documents: Option<Box<dyn DocumentStore>>,
        code: Box<dyn VectorStore>,
        summary: Box<dyn VectorStore>,
    ) -> Index {
        let chunker = self.chunker.unwrap_or_else(|| {
            Chunker::new(ChunkConfig::default()).expect("the default configuration is valid")
        });
        Index {
            embedder: self.embedder,
            chunker,
            chunks: Vec::new(),
            copied: Vec::new(),
            free: Vec::new(),
            slot_of: HashMap::new(),
            sources: BTreeMap::new(),
            lexical: Lexical::default(),
            documents,
            seen: None,
            code,
            summary,
        }
    }
}

/// Chunks with their BM25 terms and code and summary vectors, searchable
/// together.
///
/// Chunks and their BM25 terms live in memory, unless the document store
/// searches them itself ([`DocumentStore::searchable`], as PostgreSQL
/// does): then memory holds only the list of files. Documents and vectors
/// are written through to the stores, the document store last, so it
/// decides what a crash leaves.
pub struct Index {
    chunker: Chunker,
    embedder: Arc<dyn Embedder>,
    /// By slot, which is also the chunk's id in `lexical`.
    chunks: Vec<Option<Chunk>>,
    /// By slot: whether the chunk is a copy ([`prior::is_copied`]).
    copied: Vec<bool>,
    free: Vec<u32>,
    /// Chunk id to slot, for the vector stores' answers.
    slot_of: HashMap<String, u32>,
    sources: BTreeMap<String, SourceEntry>,
    lexical: Lexical,
    /// `None` for an in-memory index, whose chunks are only in `chunks`.
    documents: Option<Box<dyn DocumentStore>>,
    /// The [`DocumentStore::version`] memory was last brought up to.
    seen: Option<u64>,
    /// Vectors of the chunks' text and of their summaries: two stores, so
    /// neither search wades through the other's vectors.
    code: Box<dyn VectorStore>,
    summary: Box<dyn VectorStore>,
}

struct SourceEntry {
    content_hash: String,
    /// What chunked it ([`Document::chunker`]).
    chunker: String,
    /// Where its chunks are in memory; none when the store holds them.
    slots: Vec<u32>,
    chunks: usize,
}

impl SourceEntry {
    /// A file whose `chunks` chunks the store holds, not memory.
    fn in_store(content_hash: String, chunker: String, chunks: usize) -> Self {
        SourceEntry {
            content_hash,
            chunker,
            slots: Vec::new(),
            chunks,
        }
    }
}

impl Index {
    /// A builder for an index: its embedder, chunker and stores.
    pub fn builder() -> IndexBuilder {
        IndexBuilder {
            embedder: Arc::new(Hashing::default()),
            chunker: None,
        }
    }

    /// An empty in-memory index with the default embedder and chunker.
    pub fn in_memory() -> Index {
        Index::builder().in_memory()
    }

    /// The index in the PostgreSQL database at `url`, with the default
    /// embedder and chunker; see [`IndexBuilder::postgres`].
    #[cfg(feature = "postgres")]
    pub fn postgres(url: &str) -> Result<Index> {
        Index::builder().postgres(url)
    }

    /// Whether memory holds what the document store holds: always, unless
    /// other processes write the store too and one has committed since the
    /// last [`refresh`](Self::refresh).
    pub fn is_current(&self) -> Result<bool> {
        match &self.documents {
            Some(documents) => Ok(documents.version()?.is_none_or(|v| Some(v) == self.seen)),
            None => Ok(true),
        }
    }

    /// Takes in what other processes sharing the store have committed:
    /// files they added or changed are loaded, files they removed
    /// forgotten. Returns whether anything changed. Ingestion and removal
    /// refresh first on their own; [`SharedIndex`] refreshes before each
    /// read, except a search on a store that searches its own chunks,
    /// which reads the committed state itself.
    pub fn refresh(&mut self) -> Result<bool> {
        let Some(documents) = &self.documents else {
            return Ok(false);
        };
        let Some(version) = documents.version()? else {
            return Ok(false);
        };
        if self.seen == Some(version) {
            return Ok(false);
        }
        if self.remote().is_some() {
            self.reload()?;
            self.seen = Some(version);
            return Ok(true);
        }
        let held: HashMap<String, String> = documents.hashes()?.into_iter().collect();
        let gone: Vec<String> = self
            .sources
            .keys()
            .filter(|p| !held.contains_key(*p))
            .cloned()
            .collect();
        let changed: Vec<String> = held
            .iter()
            .filter(|(p, h)| self.sources.get(*p).is_none_or(|s| &s.content_hash != *h))
            .map(|(p, _)| p.clone())
            .collect();
        let fresh = documents.get(&changed)?;
        let any = !gone.is_empty() || !fresh.is_empty();
        for path in &gone {
            self.forget(path);
        }
        self.remember(fresh);
        self.seen = Some(version);
        Ok(any)
    }

    /// The index in the file at `path` (created when missing), with the
    /// default embedder and chunker; see [`IndexBuilder::open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Index> {
        Index::builder().open(path)
    }

    /// The model id of the embedder.
    pub fn model(&self) -> &str {
        self.embedder.model()
    }

    /// How many chunks the index holds.
    pub fn len(&self) -> usize {
        self.sources.values().map(|s| s.chunks).sum()
    }

    /// Whether the index holds no chunk.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The files the index holds, in path order.
    pub fn sources(&self) -> Vec<Source> {
        self.sources
            .iter()
            .map(|(path, s)| Source {
                path: path.clone(),
                content_hash: s.content_hash.clone(),
                chunks: s.chunks,
            })
            .collect()
    }

    /// Ingests the text files under `dir`; configure, then
    /// [`execute`](AddPath::execute).
    pub fn add_path(&mut self, dir: impl Into<PathBuf>) -> AddPath<'_> {
        AddPath::new(self, dir.into())
    }

    /// Forgets the file at `path`; returns whether the index held it.
    pub fn remove_source(&mut self, path: &str) -> Result<bool> {
        self.refresh()?;
        if !self.sources.contains_key(path) {
            return Ok(false);
        }
        self.commit(vec![path.to_string()], Vec::new(), Vec::new())?;
        Ok(true)
    }

    /// Forgets every file under `dir` (named as [`AddPath::execute`] names
    /// them); returns how many there were.
    pub fn remove_path(&mut self, dir: impl AsRef<Path>) -> Result<usize> {
        self.refresh()?;
        let prefix = root_prefix(dir.as_ref());
        let gone: Vec<String> = self.paths_under(&prefix).cloned().collect();
        let n = gone.len();
        if n > 0 {
            self.commit(gone, Vec::new(), Vec::new())?;
        }
        Ok(n)
    }

    /// The paths held under the root whose name prefix is `prefix`.
    fn paths_under<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = &'s String> + 's {
        self.sources.keys().filter(move |p| under(p, prefix))
    }

    /// Searches for `query`; configure, then [`execute`](Search::execute).
    pub fn search<'a>(&'a self, query: &'a str) -> Search<'a> {
        Search::new(self, query)
    }

    fn embed(
        &self,
        texts: &[&str],
        on_batch: impl FnMut(usize) -> Result<()>,
    ) -> Result<Vec<Vec<f32>>> {
        embed_texts(self.embedder.as_ref(), texts, on_batch)
    }

    /// Replaces the files `remove` names with the documents in `put`, whose
    /// chunks' code and summary vectors are in `vectors`, in order. New
    /// vectors are stored first, documents committed next, stale vectors
    /// deleted last: an error before the commit leaves the index as it was.
    fn commit(
        &mut self,
        remove: Vec<String>,
        put: Vec<Document>,
        vectors: Vec<Vectors>,
    ) -> Result<()> {
        let mut code = Vec::new();
        let mut summary = Vec::new();
        for (c, (c_vec, s_vec)) in put.iter().flat_map(|d| &d.chunks).zip(vectors) {
            let metadata = Metadata::from(c);
            if let Some(vector) = c_vec {
                code.push(VectorRecord {
                    id: c.id.clone(),
                    vector,
                    metadata: metadata.clone(),
                });
            }
            if let Some(vector) = s_vec {
                summary.push(VectorRecord {
                    id: c.id.clone(),
                    vector,
                    metadata,
                });
            }
        }
        let fresh: HashSet<&str> = put
            .iter()
            .flat_map(|d| d.chunks.iter().map(|c| c.id.as_str()))
            .collect();
        let stale: Vec<String> = self
            .held_ids(&remove)?
            .into_iter()
            .filter(|id| !fresh.contains(id.as_str()))
            .collect();
        if !code.is_empty() {
            self.code.upsert(code)?;
        }
        if !summary.is_empty() {
            self.summary.upsert(summary)?;
        }
        let changes = DocumentChanges { remove, put };
        if let Some(documents) = &mut self.documents {
            documents.apply(&changes)?;
        }
        for path in &changes.remove {
            self.forget(path);
        }
        self.remember(changes.put);
        if !stale.is_empty() {
            self.code.delete(&stale)?;
            self.summary.delete(&stale)?;
        }
        Ok(())
    }

    /// The ids of the chunks held for the files at `paths`.
    fn held_ids(&self, paths: &[String]) -> Result<Vec<String>> {
        Ok(match self.remote() {
            Some(remote) => remote.chunk_ids(paths)?,
            None => self.held_chunks(paths).map(|c| c.id.clone()).collect(),
        })
    }

    /// The chunks in memory of the files at `paths`.
    fn held_chunks<'s>(&'s self, paths: &'s [String]) -> impl Iterator<Item = &'s Chunk> + 's {
        paths
            .iter()
            .filter_map(|p| self.sources.get(p))
            .flat_map(|s| &s.slots)
            .filter_map(|&slot| self.chunks[slot as usize].as_ref())
    }

    /// The chunks held for the files at `paths`, each as its id, the hash
    /// of its text and its summary.
    fn held_texts(&self, paths: &[String]) -> Result<Vec<HeldText>> {
        Ok(match self.remote() {
            Some(remote) => remote
                .chunks(&remote.chunk_ids(paths)?)?
                .into_iter()
                .map(|c| HeldText {
                    id: c.id,
                    text_hash: c.content_hash,
                    summary: c.summary,
                })
                .collect(),
            None => self
                .held_chunks(paths)
                .map(|c| HeldText {
                    id: c.id.clone(),
                    text_hash: c.content_hash.clone(),
                    summary: c.summary.clone(),
                })
                .collect(),
        })
    }

    /// The store's search over its own chunks, when it keeps them.
    fn remote(&self) -> Option<&dyn ChunkSearch> {
        self.documents.as_deref().and_then(|d| d.searchable())
    }

    /// Reads the list of files a store with versions holds: all of it when
    /// the store searches its own chunks, the documents otherwise.
    fn reload(&mut self) -> Result<()> {
        let Some(documents) = &self.documents else {
            return Ok(());
        };
        match documents.searchable() {
            Some(remote) => {
                self.sources = remote
                    .sources()?
                    .into_iter()
                    .map(|f| {
                        let entry = SourceEntry::in_store(f.content_hash, f.chunker, f.chunks);
                        (f.path, entry)
                    })
                    .collect();
            }
            None => {
                let docs = documents.load()?;
                self.remember(docs);
            }
        }
        Ok(())
    }

    /// Slots by their chunks' ids.
    fn id_order(&self, a: usize, b: usize) -> std::cmp::Ordering {
        let id = |s: usize| self.chunks[s].as_ref().map(|c| c.id.as_str());
        id(a).cmp(&id(b))
    }

    /// Drops a file's chunks from memory.
    fn forget(&mut self, path: &str) {
        let Some(entry) = self.sources.remove(path) else {
            return;
        };
        for slot in entry.slots {
            self.lexical.remove(slot);
            if let Some(c) = self.chunks[slot as usize].take() {
                self.slot_of.remove(&c.id);
            }
            self.free.push(slot);
        }
    }

    /// Puts files' chunks in memory, replacing any they had; their BM25
    /// terms are found in parallel.
    fn remember(&mut self, docs: Vec<Document>) {
        if self.remote().is_some() {
            for d in docs {
                let entry = SourceEntry::in_store(d.content_hash, d.chunker, d.chunks.len());
                self.sources.insert(d.path, entry);
            }
            return;
        }
        let mut texts = Vec::new();
        for d in docs {
            self.forget(&d.path);
            let mut slots = Vec::with_capacity(d.chunks.len());
            for chunk in d.chunks {
                let slot = self.free.pop().unwrap_or_else(|| {
                    self.chunks.push(None);
                    self.copied.push(false);
                    (self.chunks.len() - 1) as u32
                });
                self.copied[slot as usize] = prior::is_copied(&chunk);
                texts.push((slot, fields::of(&chunk)));
                self.slot_of.insert(chunk.id.clone(), slot);
                self.chunks[slot as usize] = Some(chunk);
                slots.push(slot);
            }
            self.sources.insert(
                d.path,
                SourceEntry {
                    content_hash: d.content_hash,
                    chunker: d.chunker,
                    chunks: slots.len(),
                    slots,
                },
            );
        }
        self.lexical.insert_many(&texts);
    }
}

/// Embeds `texts` in the embedder's batches, checking each vector and
/// scaling it to unit length; `on_batch` hears how many are done.
fn embed_texts(
    embedder: &dyn Embedder,
    texts: &[&str],
    mut on_batch: impl FnMut(usize) -> Result<()>,
) -> Result<Vec<Vec<f32>>> {
    let dimension = embedder.dimension();
    let error = |message: String| Error::Embed {
        model: embedder.model().to_string(),
        message,
    };
    let mut out = Vec::with_capacity(texts.len());
    for batch in texts.chunks(embedder.batch_size().max(1)) {
        let vectors = embedder.embed(batch)?;
        if vectors.len() != batch.len() {
            return Err(error(format!(
                "returned {} vectors for {} texts",
                vectors.len(),
                batch.len()
            )));
        }
        for mut v in vectors {
            if v.len() != dimension {
                return Err(error(format!(
                    "returned a vector of {} dimensions, not {dimension}",
                    v.len(),
                )));
            }
            crate::embed::normalize(&mut v);
            if v.iter().any(|x| !x.is_finite()) || v.iter().all(|&x| x == 0.0) {
                return Err(error("returned a zero or non-finite vector".into()));
            }
            out.push(v);
        }
        on_batch(out.len())?;
    }
    Ok(out)
}

/// The name prefix of files under `dir`: `dir` as given, `/`-separated,
/// without `./` or a trailing `/`; empty for the current directory.
fn root_prefix(dir: &std::path::Path) -> String {
    let s = dir.to_string_lossy().replace('\\', "/");
    let s = s.trim_end_matches('/');
    let s = s.strip_prefix("./").unwrap_or(s);
    if s == "." {
        String::new()
    } else {
        s.to_string()
    }
}

fn under(path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}
