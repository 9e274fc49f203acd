//! A shared index under concurrent use: readers answer from the last
//! committed state while an ingestion is held inside its embedder, writers
//! take turns, a busy writer can refuse instead of waiting, and a stopped
//! ingestion changes nothing.

use std::ops::ControlFlow;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use infrarag::embed::{Embedder, Hashing};
use infrarag::index::{Index, SharedIndex};
use infrarag::Error;

/// Hashing, but the first call after `hold` is armed reports that it
/// started and waits until released.
struct Gate {
    inner: Hashing,
    hold: Mutex<Option<(Sender<()>, Receiver<()>)>>,
}

impl Embedder for Gate {
    fn model(&self) -> &str {
        self.inner.model()
    }
    fn dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn embed(&self, texts: &[&str]) -> infrarag::Result<Vec<Vec<f32>>> {
        let held = self.hold.lock().unwrap().take();
        if let Some((started, release)) = held {
            started.send(()).unwrap();
            release.recv().unwrap();
        }
        self.inner.embed(texts)
    }
}

fn corpus(name: &str) -> std::path::PathBuf {
    infrarag_tests::corpus().join("modules").join(name)
}

/// Runs `f` on a thread and waits at most ten seconds for it: a reader
/// that waits for the held ingestion fails here instead of hanging.
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the call waited for the running ingestion")
}

#[test]
fn readers_see_the_last_commit_while_an_ingestion_embeds() {
    let (started_tx, started) = channel();
    let (release, release_rx) = channel();
    let gate = Arc::new(Gate {
        inner: Hashing::default(),
        hold: Mutex::new(None),
    });
    let shared = Arc::new(SharedIndex::new(
        Index::builder().embedder(gate.clone()).in_memory(),
    ));
    shared
        .add_path(corpus("s3"))
        .extensions(["tf"])
        .execute()
        .unwrap();
    let before = shared.read(|i| (i.len(), i.sources())).unwrap();
    let ranking = |s: &SharedIndex| {
        s.read(|i| {
            i.search("role policy attachment")
                .k(20)
                .execute()
                .unwrap()
                .into_iter()
                .map(|h| h.citation())
                .collect::<Vec<_>>()
        })
        .unwrap()
    };
    let before_ranking = ranking(&shared);

    *gate.hold.lock().unwrap() = Some((started_tx, release_rx));
    let writer = {
        let shared = shared.clone();
        std::thread::spawn(move || shared.add_path(corpus("iam")).extensions(["tf"]).execute())
    };
    started.recv().unwrap();

    let s = shared.clone();
    let (len, sources) = within(move || s.read(|i| (i.len(), i.sources())).unwrap());
    assert_eq!((len, &sources), (before.0, &before.1));
    let s = shared.clone();
    assert_eq!(within(move || ranking(&s)), before_ranking);
    let s = shared.clone();
    let busy = within(move || s.try_remove_path(corpus("s3")));
    assert!(matches!(busy, Err(Error::Busy { .. })), "{busy:?}");
    let s = shared.clone();
    let busy = within(move || s.add_path(corpus("s3")).wait(false).execute());
    assert!(matches!(busy, Err(Error::Busy { .. })), "{busy:?}");
    assert_eq!(busy.unwrap_err().code(), "BUSY");

    release.send(()).unwrap();
    let report = writer.join().unwrap().unwrap();
    assert!(report.added > 0);
    let after = shared.read(|i| i.len()).unwrap();
    assert_eq!(after, before.0 + report.chunks);
    assert_ne!(ranking(&shared), before_ranking);
    assert_eq!(shared.remove_path(corpus("iam")).unwrap(), report.added);
    assert_eq!(ranking(&shared), before_ranking);
}

#[test]
fn a_stopped_ingestion_leaves_the_shared_index_as_it_was() {
    let shared = SharedIndex::new(Index::in_memory());
    shared.add_path(corpus("s3")).execute().unwrap();
    let before = shared.read(|i| i.sources()).unwrap();
    let err = shared
        .add_path(corpus("iam"))
        .on_progress(|p| match p.done {
            0 => ControlFlow::Continue(()),
            _ => ControlFlow::Break(()),
        })
        .execute()
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(shared.read(|i| i.sources()).unwrap(), before);
}

#[test]
fn a_closed_shared_index_refuses_every_call() {
    let shared = SharedIndex::new(Index::in_memory());
    shared.add_path(corpus("s3")).execute().unwrap();
    shared.close().unwrap();
    shared.close().unwrap();
    assert!(shared.is_closed());
    for err in [
        shared.read(|i| i.len()).unwrap_err(),
        shared.add_path(corpus("s3")).execute().unwrap_err(),
        shared.remove_path(corpus("s3")).unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::Storage { message, .. } if message == "the index is closed"),
            "{err}"
        );
    }
}
