//! Chunking a directory tree: walks it honouring `.gitignore` and skipping
//! `.terraform/`, chunks the text files in parallel and reports progress.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{hex, inputs, Chunk, Chunker, Language};
use crate::error::{Error, Result};

/// Files larger than this are skipped unless [`ChunkDir::max_file_bytes`]
/// says otherwise: generated state and vendored bundles, not code.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// How far a [`ChunkDir`] has got; passed to the progress callback after
/// each file.
#[derive(Debug, Clone, Serialize)]
pub struct WalkProgress {
    /// Files finished (chunked or skipped), this one included.
    pub done: usize,
    /// Files to look at in all.
    pub total: usize,
    /// The file just finished, relative to the root.
    pub path: String,
}

/// A file that was chunked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChunkedFile {
    /// Relative to the root, `/`-separated.
    pub path: String,
    /// The language it was read as.
    pub language: Language,
    /// Its size in bytes.
    pub bytes: usize,
    /// SHA-256 of the file's bytes, 64 hex digits.
    pub content_hash: String,
    /// How many chunks it gave.
    pub chunks: usize,
}

/// A file that was not chunked, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Relative to the root, `/`-separated.
    pub path: String,
    /// Why: unreadable, binary, not UTF-8, too large.
    pub reason: String,
}

/// What [`ChunkDir::execute`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirChunks {
    /// Every chunk, files in path order, each file's chunks in source order.
    pub chunks: Vec<Chunk>,
    /// The files chunked, in path order.
    pub files: Vec<ChunkedFile>,
    /// The files left out, in path order.
    pub skipped: Vec<Skipped>,
    /// The files [`ChunkDir::unchanged`] recognised, in path order; not
    /// chunked.
    pub unchanged: Vec<ChunkedFile>,
}

type ProgressFn<'a> = dyn Fn(&WalkProgress) -> ControlFlow<()> + Send + Sync + 'a;
type UnchangedFn<'a> = dyn Fn(&str, &str) -> bool + Send + Sync + 'a;

/// Chunks every text file under a directory; configure, then
/// [`execute`](ChunkDir::execute).
pub struct ChunkDir<'a> {
    chunker: &'a Chunker,
    root: PathBuf,
    max_file_bytes: u64,
    extensions: Option<Vec<String>>,
    hidden: bool,
    prefix: String,
    progress: Option<Box<ProgressFn<'a>>>,
    unchanged: Option<Box<UnchangedFn<'a>>>,
    held: Vec<String>,
}

impl<'a> ChunkDir<'a> {
    pub(super) fn new(chunker: &'a Chunker, root: PathBuf) -> Self {
        ChunkDir {
            chunker,
            root,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            extensions: None,
            hidden: false,
            prefix: String::new(),
            progress: None,
            unchanged: None,
            held: Vec::new(),
        }
    }

    /// Name files `prefix/relative/path` instead of `relative/path`, in
    /// chunks (and so their ids) and in every list; keeps the files of
    /// several roots apart in one index. Summaries still name the path
    /// relative to the directory.
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().trim_end_matches('/').to_string();
        self
    }

    /// Asked with each file's path and SHA-256 (hex) before chunking; a file
    /// for which it returns true is listed in [`DirChunks::unchanged`]
    /// instead of being chunked. Incremental ingestion passes what it holds.
    ///
    /// The `.tf` files of one directory are one module, and a block's
    /// summary quotes the variables it reads from its siblings: when one
    /// of them is chunked (or one in [`held`](ChunkDir::held) is gone),
    /// all of them are.
    pub fn unchanged(mut self, known: impl Fn(&str, &str) -> bool + Send + Sync + 'a) -> Self {
        self.unchanged = Some(Box::new(known));
        self
    }

    /// The paths (as this walk names them) the caller holds from an earlier
    /// walk. A `.tf` file among them that this walk no longer chunks, or
    /// finds unchanged, changed its module: the rest of its directory is
    /// chunked again rather than recognised as unchanged.
    pub fn held(mut self, paths: impl IntoIterator<Item = String>) -> Self {
        self.held = paths.into_iter().collect();
        self
    }

    /// Skip files larger than this (default 4 MiB).
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes;
        self
    }

    /// Only chunk files whose name ends with one of these extensions
    /// (`"tf"`, `"md"`, `"tf.json"`; no leading dot). Default: every text file.
    pub fn extensions<S: Into<String>>(mut self, extensions: impl IntoIterator<Item = S>) -> Self {
        self.extensions = Some(extensions.into_iter().map(Into::into).collect());
        self
    }

    /// Also walk hidden files and directories (default: skipped, like
    /// `.git/`). `.terraform/` is skipped regardless.
    pub fn include_hidden(mut self, hidden: bool) -> Self {
        self.hidden = hidden;
        self
    }

    /// Called after each file from the worker threads; return
    /// `ControlFlow::Break(())` to stop, making `execute` fail with
    /// [`Error::Cancelled`].
    pub fn on_progress(
        mut self,
        callback: impl Fn(&WalkProgress) -> ControlFlow<()> + Send + Sync + 'a,
    ) -> Self {
        self.progress = Some(Box::new(callback));
        self
    }

    /// Walks and chunks. Fails when the root cannot be read or the progress
    /// callback stops it; files that cannot be read or are not text are
    /// listed in [`DirChunks::skipped`]. The summary of a resource, data
    /// source or module call quotes the descriptions of the variables it
    /// reads that its directory declares (`; inputs: "…"`), which
    /// [`Chunker::chunk_file`] alone cannot see.
    pub fn execute(self) -> Result<DirChunks> {
        let meta = std::fs::metadata(&self.root).map_err(|e| Error::io(&self.root, e))?;
        if !meta.is_dir() {
            return Err(Error::io(
                &self.root,
                std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            ));
        }
        let (paths, mut skipped) = self.walk();
        let total = paths.len();
        let read: Vec<(&Path, Read)> = paths
            .par_iter()
            .map(|(path, rel)| (path.as_path(), self.read(path, rel, false)))
            .collect();
        let changed = self.changed_modules(read.iter().map(|(_, r)| r));
        let cancelled = AtomicBool::new(false);
        let done = AtomicUsize::new(0);
        let results: Vec<Option<Outcome>> = read
            .into_par_iter()
            .map(|(path, r)| {
                if cancelled.load(Ordering::Relaxed) {
                    return None;
                }
                let r = match r {
                    Read::Text {
                        file, text: None, ..
                    } if inputs::is_module_file(&file.path)
                        && changed.contains(inputs::directory(&file.path)) =>
                    {
                        self.read(path, &file.path, true)
                    }
                    r => r,
                };
                let outcome = match r {
                    Read::Skipped(s) => Outcome::Skipped(s),
                    Read::Text { file, text: None } => Outcome::Unchanged(file),
                    Read::Text {
                        mut file,
                        text: Some(text),
                    } => {
                        let shown = self.shown(&file.path);
                        let chunks = self.chunker.chunk_file_shown(&file.path, shown, &text);
                        file.chunks = chunks.len();
                        Outcome::Chunked(file, chunks)
                    }
                };
                if let Some(callback) = &self.progress {
                    let progress = WalkProgress {
                        done: done.fetch_add(1, Ordering::Relaxed) + 1,
                        total,
                        path: outcome.path().to_string(),
                    };
                    if callback(&progress).is_break() {
                        cancelled.store(true, Ordering::Relaxed);
                    }
                }
                Some(outcome)
            })
            .collect();
        if cancelled.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let mut out = DirChunks::default();
        for outcome in results.into_iter().flatten() {
            match outcome {
                Outcome::Chunked(file, chunks) => {
                    out.files.push(file);
                    out.chunks.extend(chunks);
                }
                Outcome::Skipped(s) => skipped.push(s),
                Outcome::Unchanged(file) => out.unchanged.push(file),
            }
        }
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        out.skipped = skipped;
        inputs::quote(&mut out.chunks);
        Ok(out)
    }

    /// The directories whose `.tf` files must all be chunked: one of them
    /// is new or changed, or a held one is no longer read.
    fn changed_modules<'r>(&self, read: impl Iterator<Item = &'r Read>) -> HashSet<String> {
        let mut changed = HashSet::new();
        let mut present = HashSet::new();
        for r in read {
            if let Read::Text { file, text } = r {
                if inputs::is_module_file(&file.path) {
                    present.insert(file.path.as_str());
                    if text.is_some() {
                        changed.insert(inputs::directory(&file.path).to_string());
                    }
                }
            }
        }
        for path in &self.held {
            if inputs::is_module_file(path) && !present.contains(path.as_str()) {
                changed.insert(inputs::directory(path).to_string());
            }
        }
        changed
    }

    /// The files to chunk (absolute, relative) in path order, and the entries
    /// the walk could not read.
    fn walk(&self) -> (Vec<(PathBuf, String)>, Vec<Skipped>) {
        let mut files = Vec::new();
        let mut skipped = Vec::new();
        let walker = ignore::WalkBuilder::new(&self.root)
            .hidden(!self.hidden)
            .require_git(false)
            .git_global(false)
            .filter_entry(|e| {
                let name = e.file_name();
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && (name == ".terraform" || name == ".git"))
            })
            .build();
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    skipped.push(Skipped {
                        path: String::new(),
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let path = entry.into_path();
            let Some(rel) = relative(&self.root, &path) else {
                skipped.push(Skipped {
                    path: path.to_string_lossy().into_owned(),
                    reason: "the path is not UTF-8".into(),
                });
                continue;
            };
            if let Some(exts) = &self.extensions {
                let name = rel.rsplit('/').next().unwrap_or(&rel);
                if !exts
                    .iter()
                    .any(|e| name.len() > e.len() + 1 && name.ends_with(&format!(".{e}")))
                {
                    continue;
                }
            }
            let rel = match self.prefix.as_str() {
                "" => rel,
                prefix => format!("{prefix}/{rel}"),
            };
            files.push((path, rel));
        }
        files.sort_by(|a, b| a.1.cmp(&b.1));
        (files, skipped)
    }

    /// Reads and hashes one file; keeps its text unless
    /// [`ChunkDir::unchanged`] knows it and `always` is false.
    fn read(&self, path: &Path, rel: &str, always: bool) -> Read {
        let skip = |reason: String| {
            Read::Skipped(Skipped {
                path: rel.to_string(),
                reason,
            })
        };
        match std::fs::metadata(path) {
            Ok(m) if m.len() > self.max_file_bytes => {
                return skip(format!(
                    "{} bytes, over the limit of {}",
                    m.len(),
                    self.max_file_bytes
                ))
            }
            Ok(_) => {}
            Err(e) => return skip(e.to_string()),
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return skip(e.to_string()),
        };
        if bytes[..bytes.len().min(8192)].contains(&0) {
            return skip("binary (contains NUL bytes)".into());
        }
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => return skip(format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to())),
        };
        let file = ChunkedFile {
            path: rel.to_string(),
            language: Language::for_path(rel),
            bytes: text.len(),
            content_hash: hex(&Sha256::digest(text.as_bytes())),
            chunks: 0,
        };
        let known = !always
            && self
                .unchanged
                .as_ref()
                .is_some_and(|known| known(rel, &file.content_hash));
        Read::Text {
            file,
            text: (!known).then_some(text),
        }
    }

    /// The path as summaries name it: relative to the directory walked.
    fn shown<'p>(&self, rel: &'p str) -> &'p str {
        match self.prefix.as_str() {
            "" => rel,
            prefix => rel
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or(rel),
        }
    }
}

/// A file after the first pass: read and hashed, or left out.
enum Read {
    Text {
        file: ChunkedFile,
        /// `None` when [`ChunkDir::unchanged`] knows the file: a walk
        /// over a large tree that changed little keeps only what changed,
        /// and reads again the rest of a changed module.
        text: Option<String>,
    },
    Skipped(Skipped),
}

enum Outcome {
    Chunked(ChunkedFile, Vec<Chunk>),
    Skipped(Skipped),
    Unchanged(ChunkedFile),
}

impl Outcome {
    fn path(&self) -> &str {
        match self {
            Outcome::Chunked(file, _) | Outcome::Unchanged(file) => &file.path,
            Outcome::Skipped(s) => &s.path,
        }
    }
}

/// `path` relative to `root`, `/`-separated on every platform.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}
