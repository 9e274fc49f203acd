//! Retrieval over chunks: incremental ingestion of directories and hybrid
//! search (BM25 + HNSW over code and summary vectors, fused by rank).
//!
//! Build with [`Index::in_memory`] or [`Index::builder`]; ingest with
//! [`Index::add_path`]; query with [`Index::search`].

mod lexical;
mod vector;

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::chunk::{Chunk, ChunkConfig, Chunker, Language, Skipped};
use crate::embed::{Embedder, Hashing};
use crate::error::{Error, Result};
use lexical::Lexical;
use vector::Vectors;

/// Reciprocal rank fusion's damping constant, the value of Cormack et al.
const RRF_K: f32 = 60.0;
/// Each signal contributes this many candidates per hit asked for.
const CANDIDATES_PER_HIT: usize = 4;
const MIN_CANDIDATES: usize = 40;

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

/// Restricts a search to chunks matching every field that is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// The chunk's path starts with this (`"s3/"`).
    pub path_prefix: Option<String>,
    pub language: Option<Language>,
    /// `resource`, `variable`, `module`, …
    pub block_type: Option<String>,
    /// Exactly this Terraform address (`aws_s3_bucket.logs`).
    pub address: Option<String>,
}

impl Filter {
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    pub fn language(mut self, language: Language) -> Self {
        self.language = Some(language);
        self
    }

    pub fn block_type(mut self, block_type: impl Into<String>) -> Self {
        self.block_type = Some(block_type.into());
        self
    }

    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    fn accepts(&self, c: &Chunk) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|p| c.path.starts_with(p))
            && self.language.is_none_or(|l| c.language == l)
            && self
                .block_type
                .as_deref()
                .is_none_or(|b| c.block_type.as_deref() == Some(b))
            && self
                .address
                .as_deref()
                .is_none_or(|a| c.address.as_deref() == Some(a))
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

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Signal {
    pub score: f32,
    pub rank: usize,
}

/// One search result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub chunk: Chunk,
    /// The fused score: the sum over signals of `1 / (60 + rank)`; for a
    /// single signal, its raw score.
    pub score: f32,
    pub scores: Scores,
}

impl Hit {
    /// Where to cite the hit from: `path:start-end` (lines, 1-based).
    pub fn citation(&self) -> String {
        format!(
            "{}:{}-{}",
            self.chunk.path, self.chunk.start_line, self.chunk.end_line
        )
    }
}

/// A file the index holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub path: String,
    /// SHA-256 of its bytes when it was ingested.
    pub content_hash: String,
    pub chunks: usize,
}

/// What [`AddPath::execute`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Files new to the index.
    pub added: usize,
    /// Files whose content changed, re-chunked and re-embedded.
    pub updated: usize,
    /// Files with the content hash the index already held; not re-read.
    pub unchanged: usize,
    /// Files under the root the index held that are gone.
    pub removed: usize,
    /// Chunks embedded and indexed by this call.
    pub chunks: usize,
    /// Files left out (binary, not UTF-8, too large), and why.
    pub skipped: Vec<Skipped>,
}

/// The stage an ingestion is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading and chunking files; counts files.
    Chunking,
    /// Embedding new chunks; counts chunks.
    Embedding,
}

/// How far an ingestion has got.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
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
        let chunker = self.chunker.unwrap_or_else(|| {
            Chunker::new(ChunkConfig::default()).expect("the default configuration is valid")
        });
        Index {
            code: Vectors::new(self.embedder.dimension()),
            summary: Vectors::new(self.embedder.dimension()),
            embedder: self.embedder,
            chunker,
            chunks: Vec::new(),
            free: Vec::new(),
            sources: BTreeMap::new(),
            lexical: Lexical::default(),
        }
    }
}

/// Chunks with their BM25 terms and code and summary vectors, searchable
/// together.
pub struct Index {
    chunker: Chunker,
    embedder: Arc<dyn Embedder>,
    /// By slot, which is also the chunk's id in `lexical`, `code` and
    /// `summary`.
    chunks: Vec<Option<Chunk>>,
    free: Vec<u32>,
    sources: BTreeMap<String, SourceEntry>,
    lexical: Lexical,
    /// Vectors of the chunks' text and of their summaries: two graphs, so
    /// neither search wades through the other's nodes.
    code: Vectors,
    summary: Vectors,
}

struct SourceEntry {
    content_hash: String,
    slots: Vec<u32>,
}

impl Index {
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

    /// The model id of the embedder.
    pub fn model(&self) -> &str {
        self.embedder.model()
    }

    /// How many chunks the index holds.
    pub fn len(&self) -> usize {
        self.sources.values().map(|s| s.slots.len()).sum()
    }

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
                chunks: s.slots.len(),
            })
            .collect()
    }

    /// Ingests the text files under `dir`; configure, then
    /// [`execute`](AddPath::execute).
    pub fn add_path(&mut self, dir: impl Into<PathBuf>) -> AddPath<'_> {
        AddPath {
            index: self,
            dir: dir.into(),
            extensions: None,
            progress: None,
        }
    }

    /// Forgets the file at `path`; returns whether the index held it.
    pub fn remove_source(&mut self, path: &str) -> bool {
        let Some(entry) = self.sources.remove(path) else {
            return false;
        };
        for slot in entry.slots {
            self.lexical.remove(slot);
            self.code.remove(slot as usize);
            self.summary.remove(slot as usize);
            self.chunks[slot as usize] = None;
            self.free.push(slot);
        }
        true
    }

    /// Forgets every file under `dir` (named as [`AddPath::execute`] names
    /// them); returns how many there were.
    pub fn remove_path(&mut self, dir: impl AsRef<std::path::Path>) -> usize {
        let prefix = root_prefix(dir.as_ref());
        let gone: Vec<String> = self.paths_under(&prefix).cloned().collect();
        for path in &gone {
            self.remove_source(path);
        }
        gone.len()
    }

    /// The paths held under the root whose name prefix is `prefix`.
    fn paths_under<'s>(&'s self, prefix: &'s str) -> impl Iterator<Item = &'s String> + 's {
        self.sources.keys().filter(move |p| under(p, prefix))
    }

    /// Searches for `query`; configure, then [`execute`](Search::execute).
    pub fn search<'a>(&'a self, query: &'a str) -> Search<'a> {
        Search {
            index: self,
            query,
            k: 10,
            mode: SearchMode::Hybrid,
            filter: Filter::default(),
            ef: 64,
        }
    }

    /// Embeds `texts` in the embedder's batches, checking each vector and
    /// scaling it to unit length.
    fn embed(
        &self,
        texts: &[&str],
        mut on_batch: impl FnMut(usize) -> Result<()>,
    ) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.embedder.batch_size().max(1)) {
            let vectors = self.embedder.embed(batch)?;
            if vectors.len() != batch.len() {
                return Err(self.embed_error(format!(
                    "returned {} vectors for {} texts",
                    vectors.len(),
                    batch.len()
                )));
            }
            for mut v in vectors {
                if v.len() != self.code.dimension() {
                    return Err(self.embed_error(format!(
                        "returned a vector of {} dimensions, not {}",
                        v.len(),
                        self.code.dimension()
                    )));
                }
                crate::embed::normalize(&mut v);
                if v.iter().any(|x| !x.is_finite()) || v.iter().all(|&x| x == 0.0) {
                    return Err(self.embed_error("returned a zero or non-finite vector".into()));
                }
                out.push(v);
            }
            on_batch(out.len())?;
        }
        Ok(out)
    }

    fn embed_error(&self, message: String) -> Error {
        Error::Embed {
            model: self.embedder.model().to_string(),
            message,
        }
    }

    /// Adds chunks with their embeddings (code then summary, per chunk).
    fn insert(
        &mut self,
        path: String,
        content_hash: String,
        chunks: Vec<Chunk>,
        vectors: &mut impl Iterator<Item = Vec<f32>>,
    ) {
        let mut slots = Vec::with_capacity(chunks.len());
        let mut code = Vec::with_capacity(chunks.len());
        let mut summary = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let slot = self.free.pop().unwrap_or_else(|| {
                self.chunks.push(None);
                (self.chunks.len() - 1) as u32
            });
            self.lexical
                .insert(slot, &format!("{}\n{}", chunk.text, chunk.summary));
            if let (Some(c), Some(s)) = (vectors.next(), vectors.next()) {
                code.push((slot as usize, c));
                summary.push((slot as usize, s));
            }
            self.chunks[slot as usize] = Some(chunk);
            slots.push(slot);
        }
        self.code.insert(code);
        self.summary.insert(summary);
        self.sources.insert(
            path,
            SourceEntry {
                content_hash,
                slots,
            },
        );
    }
}

/// An ingestion of one directory; see [`Index::add_path`].
pub struct AddPath<'a> {
    index: &'a mut Index,
    dir: PathBuf,
    extensions: Option<Vec<String>>,
    progress: Option<Box<ProgressFn<'a>>>,
}

impl<'a> AddPath<'a> {
    /// Only files with these extensions (`"tf"`, `"md"`); default all text.
    pub fn extensions<S: Into<String>>(mut self, extensions: impl IntoIterator<Item = S>) -> Self {
        self.extensions = Some(extensions.into_iter().map(Into::into).collect());
        self
    }

    /// Called after each file chunked and each batch embedded; return
    /// `ControlFlow::Break(())` to stop, leaving the index as it was.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&Progress) -> ControlFlow<()> + Send + Sync + 'a,
    ) -> Self {
        self.progress = Some(Box::new(callback));
        self
    }

    /// Files are named by `dir` as given joined with their path below it
    /// (`terraform/s3/main.tf`), so several roots share one index; a file
    /// the index held under `dir` that is gone is removed. Nothing changes
    /// unless the whole ingestion succeeds.
    pub fn execute(self) -> Result<IngestReport> {
        let AddPath {
            index,
            dir,
            extensions,
            progress,
        } = self;
        let prefix = root_prefix(&dir);
        let progress = progress.as_deref();
        let report = |p: Progress| match progress {
            Some(cb) if cb(&p).is_break() => Err(Error::Cancelled),
            _ => Ok(()),
        };
        let found = {
            let sources = &index.sources;
            let mut job = index
                .chunker
                .chunk_dir(&dir)
                .path_prefix(prefix.clone())
                .unchanged(move |path, hash| {
                    sources.get(path).is_some_and(|s| s.content_hash == hash)
                });
            if let Some(e) = extensions {
                job = job.extensions(e);
            }
            if let Some(cb) = progress {
                job = job.on_progress(move |p| {
                    cb(&Progress {
                        stage: Stage::Chunking,
                        done: p.done,
                        total: p.total,
                    })
                });
            }
            job.execute()?
        };
        let texts: Vec<&str> = found
            .chunks
            .iter()
            .flat_map(|c| [c.text.as_str(), c.summary.as_str()])
            .collect();
        let total = found.chunks.len();
        let vectors = index.embed(&texts, |done| {
            report(Progress {
                stage: Stage::Embedding,
                done: done / 2,
                total,
            })
        })?;

        let present: std::collections::HashSet<&str> = found
            .files
            .iter()
            .chain(&found.unchanged)
            .map(|f| f.path.as_str())
            .collect();
        let gone: Vec<String> = index
            .paths_under(&prefix)
            .filter(|p| !present.contains(p.as_str()))
            .cloned()
            .collect();
        let mut out = IngestReport {
            unchanged: found.unchanged.len(),
            removed: gone.len(),
            chunks: total,
            skipped: found.skipped,
            ..IngestReport::default()
        };
        for path in &gone {
            index.remove_source(path);
        }
        let mut by_file: HashMap<String, Vec<Chunk>> = HashMap::new();
        for c in found.chunks {
            by_file.entry(c.path.clone()).or_default().push(c);
        }
        let mut vectors = vectors.into_iter();
        for file in found.files {
            if index.remove_source(&file.path) {
                out.updated += 1;
            } else {
                out.added += 1;
            }
            let chunks = by_file.remove(&file.path).unwrap_or_default();
            index.insert(file.path, file.content_hash, chunks, &mut vectors);
        }
        Ok(out)
    }
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

/// A query; see [`Index::search`].
pub struct Search<'a> {
    index: &'a Index,
    query: &'a str,
    k: usize,
    mode: SearchMode,
    filter: Filter,
    ef: usize,
}

impl Search<'_> {
    /// How many hits to return (default 10).
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    pub fn mode(mut self, mode: SearchMode) -> Self {
        self.mode = mode;
        self
    }

    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// HNSW search breadth (default 64): higher finds more of the true
    /// nearest vectors, slower.
    pub fn ef(mut self, ef: usize) -> Self {
        self.ef = ef;
        self
    }

    /// The best `k` chunks, best first. Fails only when the embedder does.
    pub fn execute(self) -> Result<Vec<Hit>> {
        let index = self.index;
        if self.k == 0 || index.is_empty() {
            return Ok(Vec::new());
        }
        let n = self
            .k
            .saturating_mul(CANDIDATES_PER_HIT)
            .max(MIN_CANDIDATES)
            .min(index.len());
        let filter = &self.filter;
        let keep = |slot: usize| {
            index.chunks[slot]
                .as_ref()
                .is_some_and(|c| filter.accepts(c))
        };
        let mut signals: Vec<(Kind, Vec<(usize, f32)>)> = Vec::new();
        if self.mode != SearchMode::Vector {
            let hits = index.lexical.search(self.query, n, &|s| keep(s as usize));
            signals.push((
                Kind::Lexical,
                hits.into_iter().map(|(s, x)| (s as usize, x)).collect(),
            ));
        }
        if self.mode != SearchMode::Lexical {
            let q = index.embed(&[self.query], |_| Ok(()))?.remove(0);
            for (kind, vectors) in [(Kind::Code, &index.code), (Kind::Summary, &index.summary)] {
                signals.push((kind, vectors.search(&q, n, self.ef.max(n), &keep)));
            }
        }
        Ok(fuse(index, &signals, self.k))
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Lexical,
    Code,
    Summary,
}

/// Reciprocal rank fusion of the signals' rankings; one signal keeps its
/// own scores. Ties go to the earlier slot, so results are deterministic.
fn fuse(index: &Index, signals: &[(Kind, Vec<(usize, f32)>)], k: usize) -> Vec<Hit> {
    let mut merged: HashMap<usize, (f32, Scores)> = HashMap::new();
    for (kind, hits) in signals {
        for (rank0, &(slot, score)) in hits.iter().enumerate() {
            let entry = merged.entry(slot).or_default();
            entry.0 += match signals.len() {
                1 => score,
                _ => 1.0 / (RRF_K + rank0 as f32 + 1.0),
            };
            let signal = Some(Signal {
                score,
                rank: rank0 + 1,
            });
            match kind {
                Kind::Lexical => entry.1.lexical = signal,
                Kind::Code => entry.1.code = signal,
                Kind::Summary => entry.1.summary = signal,
            }
        }
    }
    let mut ranked: Vec<(usize, f32)> = merged.iter().map(|(&s, (x, _))| (s, *x)).collect();
    top_k(&mut ranked, k);
    ranked
        .into_iter()
        .filter_map(|(slot, score)| {
            let chunk = index.chunks[slot].clone()?;
            let scores = merged.remove(&slot)?.1;
            Some(Hit {
                chunk,
                score,
                scores,
            })
        })
        .collect()
}

/// Keeps the `k` highest scores, highest first; ties by lower id.
fn top_k<I: Ord + Copy>(hits: &mut Vec<(I, f32)>, k: usize) {
    let order = |a: &(I, f32), b: &(I, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if hits.len() > k {
        hits.select_nth_unstable_by(k, order);
        hits.truncate(k);
    }
    hits.sort_by(order);
}
