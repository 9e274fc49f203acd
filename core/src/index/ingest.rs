//! Ingestion of a directory in two steps: chunking and embedding, which need
//! only a snapshot of what the index holds, then one commit that swaps the
//! result in, so readers of a shared index never wait for the slow part.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use super::{embed_texts, root_prefix, under, Index, IngestReport, Progress, ProgressFn, Stage};
use crate::chunk::{Chunk, Chunker, Skipped};
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::store::Document;

/// A chunk with its code and summary vectors.
type Embedded = (Chunk, Vec<f32>, Vec<f32>);

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
        let prepared = Plan::new(self.index, self.options).run()?;
        self.index.apply(prepared)
    }
}

/// Everything the slow part of an ingestion needs, copied out of the index
/// so that it runs without holding it.
pub(super) struct Plan<'a> {
    options: Options<'a>,
    prefix: String,
    chunker: Chunker,
    embedder: Arc<dyn Embedder>,
    /// Content hashes of the files the index held under the root.
    held: HashMap<String, String>,
}

/// Chunks and vectors ready to be committed by [`Index::apply`].
pub(super) struct Prepared {
    prefix: String,
    /// Files read, with their chunks and each chunk's code and summary
    /// vectors.
    files: Vec<(Document, Vec<Vec<f32>>)>,
    /// Files present whose content the index already held.
    unchanged: Vec<String>,
    skipped: Vec<Skipped>,
    chunks: usize,
}

impl<'a> Plan<'a> {
    pub(super) fn new(index: &Index, options: Options<'a>) -> Self {
        let prefix = root_prefix(&options.dir);
        let held = index
            .sources
            .iter()
            .filter(|(path, _)| under(path, &prefix))
            .map(|(path, s)| (path.clone(), s.content_hash.clone()))
            .collect();
        Plan {
            options,
            prefix,
            chunker: index.chunker.clone(),
            embedder: index.embedder.clone(),
            held,
        }
    }

    /// Chunks and embeds what is new or changed; stops with
    /// [`Error::Cancelled`] when the progress callback says so.
    pub(super) fn run(self) -> Result<Prepared> {
        let Plan {
            options,
            prefix,
            chunker,
            embedder,
            held,
        } = self;
        let progress = options.progress.as_deref();
        let found = {
            let held = &held;
            let mut job = chunker
                .chunk_dir(&options.dir)
                .path_prefix(prefix.clone())
                .held(held.keys().cloned())
                .unchanged(move |path, hash| held.get(path).is_some_and(|h| h == hash));
            if let Some(e) = options.extensions {
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
        let vectors = embed_texts(embedder.as_ref(), &texts, |done| {
            let p = Progress {
                stage: Stage::Embedding,
                done: done / 2,
                total,
            };
            match progress {
                Some(cb) if cb(&p).is_break() => Err(Error::Cancelled),
                _ => Ok(()),
            }
        })?;
        let mut by_file: HashMap<String, Vec<Embedded>> = HashMap::new();
        let mut vectors = vectors.into_iter();
        for c in found.chunks {
            if let (Some(code), Some(summary)) = (vectors.next(), vectors.next()) {
                by_file
                    .entry(c.path.clone())
                    .or_default()
                    .push((c, code, summary));
            }
        }
        let files = found
            .files
            .into_iter()
            .map(|file| {
                let mut chunks = Vec::new();
                let mut aligned = Vec::new();
                for (c, code, summary) in by_file.remove(&file.path).unwrap_or_default() {
                    chunks.push(c);
                    aligned.push(code);
                    aligned.push(summary);
                }
                let doc = Document {
                    path: file.path,
                    content_hash: file.content_hash,
                    chunks,
                };
                (doc, aligned)
            })
            .collect();
        Ok(Prepared {
            prefix,
            files,
            unchanged: found.unchanged.into_iter().map(|f| f.path).collect(),
            skipped: found.skipped,
            chunks: total,
        })
    }
}

impl Index {
    /// Commits a prepared ingestion: files read are put, files held under
    /// its root and no longer present are removed, all in one commit.
    /// Callers make sure nothing else changed the index since the plan.
    pub(super) fn apply(&mut self, prepared: Prepared) -> Result<IngestReport> {
        let Prepared {
            prefix,
            files,
            unchanged,
            skipped,
            chunks,
        } = prepared;
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
            skipped,
            ..IngestReport::default()
        };
        let mut put = Vec::with_capacity(files.len());
        let mut aligned = Vec::with_capacity(chunks * 2);
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
}
