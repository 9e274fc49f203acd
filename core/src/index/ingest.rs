//! Ingestion of a directory in two steps: chunking and embedding, which need
//! only a snapshot of what the index holds, then one commit that swaps the
//! result in, so readers of a shared index never wait for the slow part.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use super::{embed_texts, root_prefix, under, Index, IngestReport, Progress, ProgressFn, Stage};
use crate::chunk::{Chunk, Chunker, DirChunks, Skipped};
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::store::{Document, VectorStore};

/// A chunk's code and summary vectors; `None` for one the index holds
/// already, under the chunk's id.
pub(super) type Vectors = (Option<Vec<f32>>, Option<Vec<f32>>);

/// A chunk the index holds, as an ingestion compares it with new ones.
pub(super) struct HeldText {
    pub(super) id: String,
    /// SHA-256 of its text ([`Chunk::content_hash`]).
    pub(super) text_hash: String,
    pub(super) summary: String,
}

/// What an ingestion may take from the index rather than embed: the
/// summaries of the chunks it holds for the files chunked again, by id,
/// and vectors for new chunk ids copied from held chunks with the same
/// text (a block that moved within its file): the code vector, and the
/// summary vector when the summaries match too.
pub(super) struct Reuse {
    summaries: HashMap<String, String>,
    code: HashMap<String, Vec<f32>>,
    summary: HashMap<String, Vec<f32>>,
}

/// An ingestion of one directory; see [`Index::add_path`].
pub struct AddPath<'a> {
    index: &'a mut Index,
    options: Options<'a>,
}

/// What an ingestion reads and whom it tells how far it got.
pub(super) struct Options<'a> {
    pub(super) dir: PathBuf,
    pub(super) extensions: Option<Vec<String>>,
    pub(super) progress: Option<Box<ProgressFn<'a>>>,
}

impl<'a> Options<'a> {
    pub(super) fn new(dir: PathBuf) -> Self {
        Options {
            dir,
            extensions: None,
            progress: None,
        }
    }

    pub(super) fn with_extensions<S: Into<String>>(
        mut self,
        extensions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.extensions = Some(extensions.into_iter().map(Into::into).collect());
        self
    }

    pub(super) fn with_progress(
        mut self,
        callback: impl Fn(&Progress) -> ControlFlow<()> + Send + Sync + 'a,
    ) -> Self {
        self.progress = Some(Box::new(callback));
        self
    }
}

impl<'a> AddPath<'a> {
    pub(super) fn new(index: &'a mut Index, dir: PathBuf) -> Self {
        AddPath {
            index,
            options: Options::new(dir),
        }
    }

    /// Only files with these extensions (`"tf"`, `"md"`); default all text.
    pub fn extensions<S: Into<String>>(mut self, extensions: impl IntoIterator<Item = S>) -> Self {
        self.options = self.options.with_extensions(extensions);
        self
    }

    /// Called after each file chunked and each batch embedded; return
    /// `ControlFlow::Break(())` to stop, leaving the index as it was.
    pub fn on_progress(
        mut self,
        callback: impl Fn(&Progress) -> ControlFlow<()> + Send + Sync + 'a,
    ) -> Self {
        self.options = self.options.with_progress(callback);
        self
    }

    /// Files are named by `dir` as given joined with their path below it
    /// (`terraform/s3/main.tf`), so several roots share one index; a file
    /// the index held under `dir` that is gone is removed. Nothing changes
    /// unless the whole ingestion succeeds.
    pub fn execute(self) -> Result<IngestReport> {
        self.index.refresh()?;
        let chunked = Plan::new(self.index, self.options).chunk()?;
        let reuse = self.index.reusable(&chunked)?;
        let prepared = chunked.embed(reuse)?;
        self.index.apply(prepared)
    }
}

/// Everything the slow part of an ingestion needs, copied out of the index
/// so that it runs without holding it.
pub(super) struct Plan<'a> {
    options: Options<'a>,
    prefix: String,
    chunker: Chunker,
    /// The chunker's [`Chunker::fingerprint`].
    fingerprint: String,
    embedder: Arc<dyn Embedder>,
    /// Content hashes of the files the index held under the root.
    held: HashMap<String, String>,
    /// Those of them another chunker chunked ([`Chunker::fingerprint`]).
    stale: HashSet<String>,
}

/// What a [`Plan`] chunked, to be embedded.
pub(super) struct Chunked<'a> {
    options: Options<'a>,
    prefix: String,
    embedder: Arc<dyn Embedder>,
    /// The chunker's fingerprint, kept with each file.
    chunker: String,
    held: HashMap<String, String>,
    found: DirChunks,
}

/// Chunks and vectors ready to be committed by [`Index::apply`].
pub(super) struct Prepared {
    prefix: String,
    /// Files read, with their chunks and each chunk's vectors.
    files: Vec<(Document, Vec<Vectors>)>,
    /// Files present whose content the index already held.
    unchanged: Vec<String>,
    skipped: Vec<Skipped>,
    chunks: usize,
    /// Texts sent to the embedder.
    embedded: usize,
}

impl<'a> Plan<'a> {
    pub(super) fn new(index: &Index, options: Options<'a>) -> Self {
        let prefix = root_prefix(&options.dir);
        let fingerprint = index.chunker.fingerprint();
        let mut held = HashMap::new();
        let mut stale = HashSet::new();
        for (path, s) in index
            .sources
            .iter()
            .filter(|(path, _)| under(path, &prefix))
        {
            held.insert(path.clone(), s.content_hash.clone());
            if s.chunker != fingerprint {
                stale.insert(path.clone());
            }
        }
        Plan {
            options,
            prefix,
            chunker: index.chunker.clone(),
            fingerprint,
            embedder: index.embedder.clone(),
            held,
            stale,
        }
    }

    /// Chunks what is new or changed; stops with [`Error::Cancelled`]
    /// when the progress callback says so.
    pub(super) fn chunk(self) -> Result<Chunked<'a>> {
        let Plan {
            options,
            prefix,
            chunker,
            fingerprint,
            embedder,
            held,
            stale,
        } = self;
        let found = {
            let (held, stale) = (&held, &stale);
            let mut job = chunker
                .chunk_dir(&options.dir)
                .path_prefix(prefix.clone())
                .held(held.keys().cloned())
                .unchanged(move |path, hash| {
                    !stale.contains(path) && held.get(path).is_some_and(|h| h == hash)
                });
            if let Some(e) = &options.extensions {
                job = job.extensions(e.iter().cloned());
            }
            if let Some(cb) = options.progress.as_deref() {
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
        Ok(Chunked {
            options,
            prefix,
            embedder,
            chunker: fingerprint,
            held,
            found,
        })
    }
}

impl Chunked<'_> {
    /// The files chunked again that the index held: their chunks may
    /// still be held under the same ids.
    pub(super) fn held_paths(&self) -> Vec<String> {
        self.found
            .files
            .iter()
            .filter(|f| self.held.contains_key(&f.path))
            .map(|f| f.path.clone())
            .collect()
    }

    /// Embeds the chunks' vectors that the index lacks ([`missing`]) and
    /// `reuse` cannot copy: editing one file of a module chunks the module
    /// again, but sends the embedder only what changed. Stops with
    /// [`Error::Cancelled`] when the progress callback says so.
    pub(super) fn embed(self, mut reuse: Reuse) -> Result<Prepared> {
        let Chunked {
            options,
            prefix,
            embedder,
            chunker,
            found,
            ..
        } = self;
        let progress = options.progress.as_deref();
        let mut texts: Vec<&str> = Vec::new();
        // Where each chunk with something to embed ends in `texts`, so
        // progress counts chunks.
        let mut ends: Vec<usize> = Vec::new();
        let mut sources: Vec<(Source, Source)> = Vec::with_capacity(found.chunks.len());
        for c in &found.chunks {
            let (code, summary) = missing(&reuse.summaries, c);
            let code = Source::of(code, reuse.code.remove(&c.id));
            let summary = Source::of(summary, reuse.summary.remove(&c.id));
            if matches!(code, Source::Embed) {
                texts.push(&c.text);
            }
            if matches!(summary, Source::Embed) {
                texts.push(&c.summary);
            }
            if matches!(code, Source::Embed) || matches!(summary, Source::Embed) {
                ends.push(texts.len());
            }
            sources.push((code, summary));
        }
        let total = ends.len();
        let mut vectors = embed_texts(embedder.as_ref(), &texts, |done| {
            let p = Progress {
                stage: Stage::Embedding,
                done: ends.partition_point(|&end| end <= done),
                total,
            };
            match progress {
                Some(cb) if cb(&p).is_break() => Err(Error::Cancelled),
                _ => Ok(()),
            }
        })?
        .into_iter();
        let embedded = texts.len();
        let chunks = found.chunks.len();
        let mut by_file: HashMap<String, Vec<(Chunk, Vectors)>> = HashMap::new();
        for (c, (code, summary)) in found.chunks.into_iter().zip(sources) {
            let mut vector = |source: Source| match source {
                Source::Held => None,
                Source::Copied(v) => Some(v),
                Source::Embed => vectors.next(),
            };
            let (code, summary) = (vector(code), vector(summary));
            by_file
                .entry(c.path.clone())
                .or_default()
                .push((c, (code, summary)));
        }
        let files = found
            .files
            .into_iter()
            .map(|file| {
                let (chunks, vectors) = by_file
                    .remove(&file.path)
                    .unwrap_or_default()
                    .into_iter()
                    .unzip();
                let doc = Document {
                    path: file.path,
                    content_hash: file.content_hash,
                    chunker: chunker.clone(),
                    chunks,
                };
                (doc, vectors)
            })
            .collect();
        Ok(Prepared {
            prefix,
            files,
            unchanged: found.unchanged.into_iter().map(|f| f.path).collect(),
            skipped: found.skipped,
            chunks,
            embedded,
        })
    }
}

/// Where one of a chunk's vectors comes from.
enum Source {
    /// The index holds it under the chunk's id.
    Held,
    /// Copied from a held chunk with the same text.
    Copied(Vec<f32>),
    Embed,
}

impl Source {
    /// For a vector the index lacks or not (`missing`), with the copy
    /// [`Reuse`] has for it, if any.
    fn of(missing: bool, copy: Option<Vec<f32>>) -> Source {
        match (missing, copy) {
            (false, _) => Source::Held,
            (true, Some(v)) => Source::Copied(v),
            (true, None) => Source::Embed,
        }
    }
}

/// The vectors `store` holds under the held ids of `pairs` (new id, held
/// id), by new id; a pair whose vector the store does not give is left out.
fn copies(
    store: &dyn VectorStore,
    pairs: &[(String, String)],
) -> Result<HashMap<String, Vec<f32>>> {
    if pairs.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = pairs.iter().map(|(_, held)| held.clone()).collect();
    let held: HashMap<String, Vec<f32>> = store.vectors(&ids)?.into_iter().collect();
    Ok(pairs
        .iter()
        .filter_map(|(new, id)| Some((new.clone(), held.get(id)?.clone())))
        .collect())
}

/// Which of `chunk`'s vectors the index lacks (code, summary), given the
/// summaries of the chunks it holds by id: a chunk's id names its text, so
/// a held id has the code vector, and the summary vector while the summary
/// is the same.
fn missing(held: &HashMap<String, String>, chunk: &Chunk) -> (bool, bool) {
    match held.get(&chunk.id) {
        None => (true, true),
        Some(summary) => (false, *summary != chunk.summary),
    }
}

impl Index {
    /// What `chunked` may take from the index rather than embed ([`Reuse`]).
    pub(super) fn reusable(&self, chunked: &Chunked<'_>) -> Result<Reuse> {
        let held = self.held_texts(&chunked.held_paths())?;
        let mut by_text: HashMap<&str, Vec<&HeldText>> = HashMap::new();
        for h in &held {
            by_text.entry(h.text_hash.as_str()).or_default().push(h);
        }
        let summaries: HashMap<String, String> = held
            .iter()
            .map(|h| (h.id.clone(), h.summary.clone()))
            .collect();
        // (new id, held id) of vectors to copy.
        let mut code: Vec<(String, String)> = Vec::new();
        let mut summary: Vec<(String, String)> = Vec::new();
        for c in &chunked.found.chunks {
            if summaries.contains_key(&c.id) {
                continue;
            }
            let Some(same) = by_text.get(c.content_hash.as_str()) else {
                continue;
            };
            code.push((c.id.clone(), same[0].id.clone()));
            if let Some(h) = same.iter().find(|h| h.summary == c.summary) {
                summary.push((c.id.clone(), h.id.clone()));
            }
        }
        Ok(Reuse {
            code: copies(self.code.as_ref(), &code)?,
            summary: copies(self.summary.as_ref(), &summary)?,
            summaries,
        })
    }

    /// Commits a prepared ingestion: files read are put, files held under
    /// its root and no longer present are removed, all in one commit.
    /// Callers make sure nothing else changed the index since the plan.
    pub(super) fn apply(&mut self, prepared: Prepared) -> Result<IngestReport> {
        let Prepared {
            prefix,
            mut files,
            unchanged,
            skipped,
            chunks,
            embedded,
        } = prepared;
        let embedded = embedded + self.embed_gaps(&mut files)?;
        let present: HashSet<&str> = files
            .iter()
            .map(|(d, _)| d.path.as_str())
            .chain(unchanged.iter().map(String::as_str))
            .collect();
        let mut remove: Vec<String> = self
            .paths_under(&prefix)
            .filter(|p| !present.contains(p.as_str()))
            .cloned()
            .collect();
        let mut out = IngestReport {
            unchanged: unchanged.len(),
            removed: remove.len(),
            chunks,
            embedded,
            skipped,
            ..IngestReport::default()
        };
        let mut put = Vec::with_capacity(files.len());
        let mut aligned = Vec::with_capacity(chunks);
        for (doc, vectors) in files {
            if self.sources.contains_key(&doc.path) {
                out.updated += 1;
                remove.push(doc.path.clone());
            } else {
                out.added += 1;
            }
            aligned.extend(vectors);
            put.push(doc);
        }
        self.commit(remove, put, aligned)?;
        Ok(out)
    }

    /// Embeds what a plan left to the index that the index no longer holds
    /// as the plan saw it, since another process committed in between;
    /// returns how many texts that was.
    fn embed_gaps(&self, files: &mut [(Document, Vec<Vectors>)]) -> Result<usize> {
        let kept = |v: &Vectors| v.0.is_none() || v.1.is_none();
        let paths: Vec<String> = files
            .iter()
            .filter(|(_, vectors)| vectors.iter().any(kept))
            .map(|(doc, _)| doc.path.clone())
            .collect();
        if paths.is_empty() {
            return Ok(0);
        }
        let held: HashMap<String, String> = self
            .held_texts(&paths)?
            .into_iter()
            .map(|h| (h.id, h.summary))
            .collect();
        let mut texts: Vec<&str> = Vec::new();
        let mut gaps: Vec<(usize, usize, bool)> = Vec::new();
        for (f, (doc, vectors)) in files.iter().enumerate() {
            for (i, (c, (code, summary))) in doc.chunks.iter().zip(vectors).enumerate() {
                let (code_gone, summary_gone) = missing(&held, c);
                if code.is_none() && code_gone {
                    texts.push(&c.text);
                    gaps.push((f, i, true));
                }
                if summary.is_none() && summary_gone {
                    texts.push(&c.summary);
                    gaps.push((f, i, false));
                }
            }
        }
        if texts.is_empty() {
            return Ok(0);
        }
        let vectors = embed_texts(self.embedder.as_ref(), &texts, |_| Ok(()))?;
        let n = texts.len();
        for ((f, i, code), vector) in gaps.into_iter().zip(vectors) {
            let slot = &mut files[f].1[i];
            match code {
                true => slot.0 = Some(vector),
                false => slot.1 = Some(vector),
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{Options, Plan};
    use crate::index::{Index, SearchMode};

    #[test]
    fn vectors_kept_from_files_replaced_since_the_plan_are_embedded_at_commit() {
        let dir = std::env::temp_dir().join(format!("infrarag-gaps-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("main.tf"),
            "resource \"aws_iam_role\" \"this\" {\n  name = var.role_name\n}\n",
        )
        .unwrap();
        let variables = |description: &str| {
            let text =
                format!("variable \"role_name\" {{\n  description = \"{description}\"\n}}\n");
            std::fs::write(dir.join("variables.tf"), text).unwrap();
        };
        variables("Name of the role");
        let mut index = Index::in_memory();
        index.add_path(&dir).execute().unwrap();

        variables("Role that publishes OS metrics");
        let chunked = Plan::new(&index, Options::new(dir.clone()))
            .chunk()
            .unwrap();
        let reuse = index.reusable(&chunked).unwrap();
        let prepared = chunked.embed(reuse).unwrap();
        assert_eq!((prepared.chunks, prepared.embedded), (2, 3));
        // Another writer commits in between: the chunks the plan meant to
        // keep are gone.
        index.remove_path(&dir).unwrap();
        let report = index.apply(prepared).unwrap();
        assert_eq!((report.added, report.embedded), (2, 4));

        let ids: BTreeSet<String> = index
            .chunks
            .iter()
            .flatten()
            .map(|c| c.id.clone())
            .collect();
        for store in [&index.code, &index.summary] {
            assert_eq!(
                store.ids().unwrap().into_iter().collect::<BTreeSet<_>>(),
                ids
            );
        }
        let mut fresh = Index::in_memory();
        fresh.add_path(&dir).execute().unwrap();
        let hits = |index: &Index| -> Vec<(String, f32)> {
            let hits = index
                .search("role metrics")
                .mode(SearchMode::Vector)
                .execute();
            hits.unwrap()
                .into_iter()
                .map(|h| (h.chunk.id, h.score))
                .collect()
        };
        assert_eq!(hits(&index), hits(&fresh));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
