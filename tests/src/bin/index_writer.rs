//! A process for the crash tests in `tests/store.rs` and
//! `tests/store_postgres.rs` to kill: for rounds FIRST to LAST it rewrites
//! the `.tf` files under DIR (ending them with `# round N`) and ingests DIR
//! into INDEX (an index file, or a `postgres://` URL), saying on stdout
//! when a round's files are written, embedded and committed, and in
//! between when its stores are written to, pausing after the code vectors
//! so a kill there leaves vectors without documents.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use infrarag::embed::Hashing;
use infrarag::index::{Index, Stage};
use infrarag::store::postgres::PostgresStore;
use infrarag::store::{
    Document, DocumentChanges, DocumentStore, FileStore, Stores, VectorQuery, VectorRecord,
    VectorStore,
};
use infrarag::Result;

static ROUND: AtomicU32 = AtomicU32::new(0);

/// Says what its store does, before and after.
struct Announce<S: ?Sized> {
    name: &'static str,
    inner: Box<S>,
}

impl DocumentStore for Announce<dyn DocumentStore> {
    fn load(&self) -> Result<Vec<Document>> {
        self.inner.load()
    }
    fn apply(&mut self, changes: &DocumentChanges) -> Result<()> {
        let round = ROUND.load(Ordering::SeqCst);
        say(format!("round {round} {} applying", self.name));
        self.inner.apply(changes)?;
        say(format!("round {round} {} applied", self.name));
        Ok(())
    }
    fn version(&self) -> Result<Option<u64>> {
        self.inner.version()
    }
    fn hashes(&self) -> Result<Vec<(String, String)>> {
        self.inner.hashes()
    }
    fn get(&self, paths: &[String]) -> Result<Vec<Document>> {
        self.inner.get(paths)
    }
}

impl VectorStore for Announce<dyn VectorStore> {
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn ids(&self) -> Result<Vec<String>> {
        self.inner.ids()
    }
    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<()> {
        self.inner.upsert(records)?;
        say(format!(
            "round {} {} stored",
            ROUND.load(Ordering::SeqCst),
            self.name
        ));
        std::thread::sleep(Duration::from_millis(50));
        Ok(())
    }
    fn delete(&mut self, ids: &[String]) -> Result<()> {
        self.inner.delete(ids)
    }
    fn search(&self, query: &VectorQuery<'_>) -> Result<Vec<(String, f32)>> {
        self.inner.search(query)
    }
}

fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn tf_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("DIR is readable") {
        let path = entry.expect("DIR is readable").path();
        if path.is_dir() {
            tf_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "tf") {
            out.push(path);
        }
    }
}

/// The file without its round marker, then the marker of `round`.
fn mark(text: &str, round: u32) -> String {
    let base = match text.rfind("# round ") {
        Some(at) => &text[..at],
        None => text,
    };
    format!("{base}# round {round}\n")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, index_path, dir, first, last] = &args[..] else {
        eprintln!("usage: index_writer INDEX DIR FIRST LAST");
        std::process::exit(2);
    };
    let first: u32 = first.parse().expect("FIRST is a number");
    let last: u32 = last.parse().expect("LAST is a number");
    let model = infrarag::embed::Embedder::model(&Hashing::default()).to_string();
    let stores = if index_path.starts_with("postgres://") {
        let db =
            PostgresStore::connect(index_path.as_str()).unwrap_or_else(|e| panic!("open: {e}"));
        db.bind_model(&model, 384)
            .unwrap_or_else(|e| panic!("open: {e}"));
        db.into_stores(384)
    } else {
        let file = FileStore::open(index_path).unwrap_or_else(|e| panic!("open: {e}"));
        file.bind_model(&model, 384)
            .unwrap_or_else(|e| panic!("open: {e}"));
        file.into_stores(384)
    };
    let Stores {
        documents,
        code,
        summary,
    } = stores.unwrap_or_else(|e| panic!("open: {e}"));
    let mut index = Index::builder()
        .stores(Stores {
            documents: Box::new(Announce {
                name: "documents",
                inner: documents,
            }),
            code: Box::new(Announce {
                name: "code",
                inner: code,
            }),
            summary,
        })
        .unwrap_or_else(|e| panic!("open: {e}"));
    let mut files = Vec::new();
    tf_files(Path::new(dir), &mut files);
    // Files are replaced by renaming, so a kill never leaves half of one;
    // the temporary file is outside DIR, so it is never ingested.
    let tmp = Path::new(dir)
        .parent()
        .expect("DIR has a parent")
        .join(".index_writer.tmp");
    for round in first..=last {
        ROUND.store(round, Ordering::SeqCst);
        for f in &files {
            let text = std::fs::read_to_string(f).expect("files are UTF-8");
            std::fs::write(&tmp, mark(&text, round)).expect("the parent is writable");
            std::fs::rename(&tmp, f).expect("files are writable");
        }
        say(format!("round {round} written"));
        index
            .add_path(dir)
            .on_progress(|p| {
                if p.stage == Stage::Embedding && p.done == p.total {
                    say(format!("round {round} embedded"));
                }
                ControlFlow::Continue(())
            })
            .execute()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        say(format!("round {round} committed"));
    }
}
