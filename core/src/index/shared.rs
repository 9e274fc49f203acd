//! An [`Index`] shared by many threads: searches read a committed state
//! while one ingestion at a time chunks and embeds beside them.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockWriteGuard, TryLockError};

use super::ingest::{Options, Plan};
use super::{Hit, Index, IngestReport, Progress, SearchOptions};
use crate::error::{Error, Result};

/// An [`Index`] for servers: any number of threads search it while one
/// ingestion or removal at a time changes it.
///
/// An ingestion chunks and embeds without holding the index; only its
/// commit excludes readers, so a search sees the state before an ingestion
/// or after it, never part of one, and never waits for the slow part.
/// Ingestions and removals wait for each other (or, with
/// [`SharedAddPath::wait`] and [`SharedIndex::try_remove_path`], fail with
/// [`Error::Busy`] at once). [`close`](SharedIndex::close) waits for the
/// running one, then releases the stores; every later call fails.
pub struct SharedIndex {
    index: RwLock<Index>,
    /// Held for the whole of an ingestion or removal, so a prepared
    /// ingestion commits onto the state it was planned from.
    writer: Mutex<()>,
    closed: AtomicBool,
}

impl SharedIndex {
    /// Shares `index` between threads.
    pub fn new(index: Index) -> Self {
        SharedIndex {
            index: RwLock::new(index),
            writer: Mutex::new(()),
            closed: AtomicBool::new(false),
        }
    }

    /// Calls `f` with the index as last committed (by any process sharing
    /// its store: see [`Index::refresh`]); waits only for a commit in
    /// progress.
    pub fn read<T>(&self, f: impl FnOnce(&Index) -> T) -> Result<T> {
        {
            let index = self.index.read().map_err(|_| poisoned())?;
            self.check_open()?;
            if index.is_current()? {
                return Ok(f(&index));
            }
        }
        self.write()?.refresh()?;
        let index = self.index.read().map_err(|_| poisoned())?;
        self.check_open()?;
        Ok(f(&index))
    }

    /// [`Index::search`] with `options`, on the state last committed. An
    /// index that searches in its store ([`DocumentStore::searchable`])
    /// reads that state in the search's own requests, so it is not asked
    /// for its version first: one round trip fewer per search.
    ///
    /// [`DocumentStore::searchable`]: crate::store::DocumentStore::searchable
    pub fn search(&self, query: &str, options: SearchOptions) -> Result<Vec<Hit>> {
        {
            let index = self.index.read().map_err(|_| poisoned())?;
            self.check_open()?;
            if index.remote().is_some() {
                return index.search(query).options(options).execute();
            }
        }
        self.read(|index| index.search(query).options(options).execute())?
    }

    /// Ingests the text files under `dir` as [`Index::add_path`] does;
    /// configure, then [`execute`](SharedAddPath::execute).
    pub fn add_path(&self, dir: impl Into<PathBuf>) -> SharedAddPath<'_> {
        SharedAddPath {
            shared: self,
            options: Options::new(dir.into()),
            wait: true,
        }
    }

    /// [`Index::remove_path`], after any running ingestion or removal.
    pub fn remove_path(&self, dir: impl AsRef<Path>) -> Result<usize> {
        let _writer = self.writer(true)?;
        self.write()?.remove_path(dir)
    }

    /// [`Index::remove_path`], or [`Error::Busy`] while an ingestion or
    /// removal is running.
    pub fn try_remove_path(&self, dir: impl AsRef<Path>) -> Result<usize> {
        let _writer = self.writer(false)?;
        self.write()?.remove_path(dir)
    }

    /// Waits for a running ingestion or removal, then drops the index (a
    /// file store is unlocked at once). Later calls fail with
    /// [`Error::Storage`]; closing again does nothing.
    pub fn close(&self) -> Result<()> {
        let _writer = self.writer(true);
        let mut index = match self.index.write() {
            Ok(index) => index,
            Err(poison) => poison.into_inner(),
        };
        self.closed.store(true, Ordering::SeqCst);
        *index = Index::in_memory();
        Ok(())
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            return Err(Error::Storage {
                path: None,
                message: "the index is closed".into(),
            });
        }
        Ok(())
    }

    fn writer(&self, wait: bool) -> Result<MutexGuard<'_, ()>> {
        self.check_open()?;
        let guard = if wait {
            self.writer.lock().map_err(|_| poisoned())?
        } else {
            match self.writer.try_lock() {
                Ok(guard) => guard,
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Busy {
                        message: "an ingestion or removal is running on this index".into(),
                    })
                }
                Err(TryLockError::Poisoned(_)) => return Err(poisoned()),
            }
        };
        self.check_open()?;
        Ok(guard)
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Index>> {
        let index = self.index.write().map_err(|_| poisoned())?;
        self.check_open()?;
        Ok(index)
    }
}

/// A lock a panicking call left poisoned: only a bug does that, and the
/// index may be half-changed in memory (never in its stores).
fn poisoned() -> Error {
    Error::Storage {
        path: None,
        message: "the index was poisoned by a crash in an earlier call; open it again".into(),
    }
}

/// An ingestion into a [`SharedIndex`]; see [`SharedIndex::add_path`].
pub struct SharedAddPath<'a> {
    shared: &'a SharedIndex,
    options: Options<'a>,
    wait: bool,
}

impl<'a> SharedAddPath<'a> {
    /// As [`AddPath::extensions`](super::AddPath::extensions).
    pub fn extensions<S: Into<String>>(mut self, extensions: impl IntoIterator<Item = S>) -> Self {
        self.options = self.options.with_extensions(extensions);
        self
    }

    /// As [`AddPath::on_progress`](super::AddPath::on_progress).
    pub fn on_progress(
        mut self,
        callback: impl Fn(&Progress) -> ControlFlow<()> + Send + Sync + 'a,
    ) -> Self {
        self.options = self.options.with_progress(callback);
        self
    }

    /// Whether to wait for a running ingestion or removal (the default) or
    /// fail with [`Error::Busy`] at once.
    pub fn wait(mut self, wait: bool) -> Self {
        self.wait = wait;
        self
    }

    /// Chunks and embeds with the index free to readers, then commits in
    /// one step; on an error or a stop nothing changes.
    pub fn execute(self) -> Result<IngestReport> {
        let SharedAddPath {
            shared,
            options,
            wait,
        } = self;
        let _writer = shared.writer(wait)?;
        // `read` takes in other processes' commits first.
        let chunked = shared.read(|index| Plan::new(index, options))?.chunk()?;
        let reuse = shared.read(|index| index.reusable(&chunked))??;
        let prepared = chunked.embed(reuse)?;
        let mut index = shared.write()?;
        index.refresh()?;
        index.apply(prepared)
    }
}
