//! Where an index keeps its chunks and vectors: the [`DocumentStore`] and
//! [`VectorStore`] traits, in memory ([`MemoryDocumentStore`],
//! [`MemoryVectorStore`]), in one crash-safe local file ([`FileStore`]) or,
//! with the `postgres` feature, in PostgreSQL shared by many processes
//! (`postgres::PostgresStore`), which also runs BM25 over its chunks
//! ([`ChunkSearch`]), so no process holds them.
//!
//! The document store is the index's source of truth. An ingestion writes new
//! vectors first, then commits its document changes in one call, then
//! deletes the vectors nothing refers to any more; a crash between the steps
//! leaves vectors without documents, which [`crate::index::Index`] deletes
//! when it next opens the stores.

pub(crate) mod file;
mod flat;
mod hnsw;
mod memory;
#[cfg(feature = "postgres")]
pub mod postgres;

pub use file::FileStore;
pub use memory::{MemoryDocumentStore, MemoryVectorStore};

use serde::{Deserialize, Serialize};

use crate::chunk::{Chunk, Language};
use crate::error::Result;

/// A file the index holds: its content hash and its chunks, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The file's path, as the index names it.
    pub path: String,
    /// SHA-256 of the file's bytes, 64 hex digits.
    pub content_hash: String,
    /// What chunked it ([`crate::chunk::Chunker::fingerprint`]); empty
    /// when unknown, as in stores written before it was kept. A file held
    /// with another is chunked again when next ingested, though its bytes
    /// are the same.
    #[serde(default)]
    pub chunker: String,
    /// Its chunks, in file order.
    pub chunks: Vec<Chunk>,
}

/// One atomic change to a [`DocumentStore`]: the paths in `remove` go, then
/// the documents in `put` are stored (replacing any with the same path).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentChanges {
    /// Paths whose documents go.
    pub remove: Vec<String>,
    /// Documents stored, replacing any with the same path.
    pub put: Vec<Document>,
}

impl DocumentChanges {
    /// Whether the change changes nothing.
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.put.is_empty()
    }
}

/// Holds documents by path.
pub trait DocumentStore: Send + Sync {
    /// Every document, in any order.
    fn load(&self) -> Result<Vec<Document>>;

    /// Applies `changes` all or nothing: after an error or a crash the store
    /// holds what it held before.
    fn apply(&mut self, changes: &DocumentChanges) -> Result<()>;

    /// For a store other processes write too: a number that changes with
    /// every commit, whoever makes it, so an index knows when to look for
    /// their changes. `None` (the default) for a store only this index
    /// writes.
    fn version(&self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// Every document's path and content hash, in any order.
    fn hashes(&self) -> Result<Vec<(String, String)>> {
        Ok(self
            .load()?
            .into_iter()
            .map(|d| (d.path, d.content_hash))
            .collect())
    }

    /// The documents held at `paths`, in any order.
    fn get(&self, paths: &[String]) -> Result<Vec<Document>> {
        let wanted: std::collections::HashSet<&str> = paths.iter().map(String::as_str).collect();
        Ok(self
            .load()?
            .into_iter()
            .filter(|d| wanted.contains(d.path.as_str()))
            .collect())
    }

    /// The store's own search over its chunks, when it has one; an index
    /// over such a store keeps no chunk in memory. `None` by default.
    fn searchable(&self) -> Option<&dyn ChunkSearch> {
        None
    }
}

/// A file a [`ChunkSearch`] store holds, without its chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFile {
    /// The file's path, as the index names it.
    pub path: String,
    /// SHA-256 of its bytes.
    pub content_hash: String,
    /// What chunked it ([`Document::chunker`]).
    pub chunker: String,
    /// How many chunks it has.
    pub chunks: usize,
}

/// A BM25 search a [`ChunkSearch`] store runs.
#[derive(Debug, Clone, Copy)]
pub struct LexicalQuery<'a> {
    /// The query's index terms ([`crate::index::query_terms`]).
    pub terms: &'a [String],
    /// How many chunks to return.
    pub k: usize,
    /// Which chunks may be returned.
    pub filter: &'a Filter,
    /// A chunk's score is multiplied by the weight of each class it is in
    /// ([`crate::index::chunk_classes`]): copy, knob, prose.
    pub class_weights: [f32; 3],
}

/// A document store that keeps each chunk on its own and searches them
/// itself, scoring BM25 as [`crate::index::Index`] does in memory: the
/// index then holds only the list of files, so no process needs the whole
/// corpus.
pub trait ChunkSearch: Send + Sync {
    /// Every file held, in any order.
    fn sources(&self) -> Result<Vec<HeldFile>>;

    /// The best `query.k` chunks `query.filter` accepts, best first (equal
    /// scores by chunk id), with their scores: BM25 over
    /// [`crate::index::lexical_terms`] times the class weights.
    fn lexical(&self, query: &LexicalQuery<'_>) -> Result<Vec<(Chunk, f32)>>;

    /// The chunks with these ids, in any order; ids held by no document are
    /// left out.
    fn chunks(&self, ids: &[String]) -> Result<Vec<Chunk>>;

    /// The ids of the chunks of the files at `paths`.
    fn chunk_ids(&self, paths: &[String]) -> Result<Vec<String>>;

    /// Where the code and summary vectors that [`hybrid`](Self::hybrid)
    /// searches are kept, when the store searches vectors too; `None` (the
    /// default) when it does not. An index whose vector stores are at
    /// these places searches through `hybrid`.
    fn vector_places(&self) -> Option<[Place; 2]> {
        None
    }

    /// BM25 as [`lexical`](Self::lexical) finds it and the nearest code and
    /// summary vectors as their stores' [`VectorStore::search`] finds them,
    /// with the chunks of all or their outlines ([`Hybrid::outlines`]), in
    /// fewer requests than the three searches one by one. Only asked of a
    /// store with
    /// [`vector_places`](Self::vector_places); the default refuses.
    fn hybrid(&self, lexical: &LexicalQuery<'_>, vector: &VectorQuery<'_>) -> Result<Hybrid> {
        let _ = (lexical, vector);
        Err(crate::error::Error::InvalidArgument {
            name: "store".into(),
            message: "this document store searches no vectors".into(),
        })
    }
}

/// Where a store keeps its data, so that an index can tell when one
/// database holds several of its stores ([`ChunkSearch::vector_places`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The address of what the stores share, alive as long as they are.
    shared: usize,
    /// Which of the shared place's parts.
    part: u8,
}

impl Place {
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn new<T>(shared: &std::sync::Arc<T>, part: u8) -> Place {
        Place {
            shared: std::sync::Arc::as_ptr(shared) as *const () as usize,
            part,
        }
    }
}

/// What [`ChunkSearch::hybrid`] finds.
#[derive(Debug, Clone, Default)]
pub struct Hybrid {
    /// BM25's best chunks, best first, with their scores.
    pub lexical: Vec<(Chunk, f32)>,
    /// The nearest code vectors' chunk ids, nearest first, with cosines.
    pub code: Vec<(String, f32)>,
    /// The nearest summary vectors' chunk ids, likewise.
    pub summary: Vec<(String, f32)>,
    /// The chunks of those ids that `lexical` does not hold, except those
    /// in `outlines`.
    pub chunks: Vec<Chunk>,
    /// Ids of vector hits whose chunks were left unread, with their
    /// vectors' metadata: a store may leave out chunks outside Markdown,
    /// whose prior the metadata decides, for the caller to read
    /// ([`ChunkSearch::chunks`]) only the ones it shows.
    pub outlines: Vec<(String, Metadata)>,
}

/// What a vector search can filter on: the fields of its chunk that
/// [`Filter`] reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The chunk's file.
    pub path: String,
    /// The chunk's language.
    pub language: Language,
    /// The block type of an HCL chunk (`resource`, `variable`, ...).
    pub block_type: Option<String>,
    /// The chunk's Terraform address, when it has one.
    pub address: Option<String>,
}

impl From<&Chunk> for Metadata {
    fn from(c: &Chunk) -> Self {
        Metadata {
            path: c.path.clone(),
            language: c.language,
            block_type: c.block_type.clone(),
            address: c.address.clone(),
        }
    }
}

/// A vector under a chunk id, with what filters need to know of the chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VectorRecord {
    /// The chunk's id.
    pub id: String,
    /// Unit length, [`VectorStore::dimension`] long.
    pub vector: Vec<f32>,
    /// What filters read of the chunk.
    pub metadata: Metadata,
}

/// A nearest-neighbour query.
#[derive(Debug, Clone, Copy)]
pub struct VectorQuery<'a> {
    /// Unit length.
    pub vector: &'a [f32],
    /// How many ids to return at most.
    pub k: usize,
    /// Search breadth for approximate stores (HNSW's `ef`); others ignore it.
    pub ef: usize,
    /// Which chunks may be returned.
    pub filter: &'a Filter,
}

/// Holds unit vectors by id and finds the nearest to a query.
pub trait VectorStore: Send + Sync {
    /// The length of every vector held.
    fn dimension(&self) -> usize;

    /// The id of every vector held, in any order.
    fn ids(&self) -> Result<Vec<String>>;

    /// Stores `records`, replacing vectors with the same ids.
    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<()>;

    /// Forgets these ids; ids not held are ignored.
    fn delete(&mut self, ids: &[String]) -> Result<()>;

    /// The vectors held under these ids, in any order; ids not held are
    /// left out. An index copies them to a chunk whose text or summary
    /// moved to a new id instead of embedding it again. The default holds
    /// none back, and the index embeds again.
    fn vectors(&self, ids: &[String]) -> Result<Vec<(String, Vec<f32>)>> {
        let _ = ids;
        Ok(Vec::new())
    }

    /// Up to `query.k` ids whose metadata `query.filter` accepts, nearest
    /// first, with cosine similarity (1 for the same direction).
    fn search(&self, query: &VectorQuery<'_>) -> Result<Vec<(String, f32)>>;

    /// Where the vectors are kept, when a [`ChunkSearch`] store may search
    /// them too ([`ChunkSearch::vector_places`]); `None` by default.
    fn place(&self) -> Option<Place> {
        None
    }
}

/// The stores behind one index: its documents, and two vector stores, for
/// the chunks' code and for their summaries.
pub struct Stores {
    /// The files and their chunks.
    pub documents: Box<dyn DocumentStore>,
    /// Vectors of the chunks' code.
    pub code: Box<dyn VectorStore>,
    /// Vectors of the chunks' summaries.
    pub summary: Box<dyn VectorStore>,
}

/// Restricts a search to chunks matching every field that is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// The chunk's path starts with this (`"s3/"`).
    pub path_prefix: Option<String>,
    /// The chunk's language is this.
    pub language: Option<Language>,
    /// `resource`, `variable`, `module`, …
    pub block_type: Option<String>,
    /// Exactly this Terraform address (`aws_s3_bucket.logs`).
    pub address: Option<String>,
}

impl Filter {
    /// Keeps chunks whose path starts with `prefix`.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Keeps chunks of `language`.
    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    /// Keeps HCL chunks of this block type.
    pub fn block_type(mut self, block_type: impl Into<String>) -> Self {
        self.block_type = Some(block_type.into());
        self
    }

    /// Keeps the chunk with this Terraform address.
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// Whether a chunk with this metadata passes.
    pub fn accepts(
        &self,
        path: &str,
        language: Language,
        block_type: Option<&str>,
        address: Option<&str>,
    ) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|p| path.starts_with(p))
            && self.language.is_none_or(|l| language == l)
            && self
                .block_type
                .as_deref()
                .is_none_or(|b| block_type == Some(b))
            && self.address.as_deref().is_none_or(|a| address == Some(a))
    }

    /// [`accepts`](Self::accepts) for a chunk.
    pub fn accepts_chunk(&self, c: &Chunk) -> bool {
        self.accepts(
            &c.path,
            c.language,
            c.block_type.as_deref(),
            c.address.as_deref(),
        )
    }

    /// [`accepts`](Self::accepts) for a vector's metadata.
    pub fn accepts_metadata(&self, m: &Metadata) -> bool {
        self.accepts(
            &m.path,
            m.language,
            m.block_type.as_deref(),
            m.address.as_deref(),
        )
    }
}

/// Keeps the `k` highest scores, highest first; ties in `tie`'s order, so
/// results do not depend on the order things were stored in.
pub(crate) fn top_k_by<I>(
    hits: &mut Vec<(I, f32)>,
    k: usize,
    tie: impl Fn(&I, &I) -> std::cmp::Ordering,
) {
    let order = |a: &(I, f32), b: &(I, f32)| b.1.total_cmp(&a.1).then_with(|| tie(&a.0, &b.0));
    if hits.len() > k {
        hits.select_nth_unstable_by(k, order);
        hits.truncate(k);
    }
    hits.sort_by(order);
}
