//! Stores held in process memory: documents in a map, vectors in an HNSW
//! graph with tombstones, an exact scan while small, and a graph built in
//! the background when a store is loaded whole.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use hnsw_rs::anndists::dist::Distance;

use super::flat::Flat;
use super::hnsw::{self, CosineDistance, Graph};
use super::{
    top_k_by, Document, DocumentChanges, DocumentStore, Metadata, VectorQuery, VectorRecord,
    VectorStore,
};
use crate::error::{Error, Result};

/// Documents by path.
#[derive(Debug, Default)]
pub struct MemoryDocumentStore {
    documents: BTreeMap<String, Document>,
}

impl MemoryDocumentStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl DocumentStore for MemoryDocumentStore {
    fn load(&self) -> Result<Vec<Document>> {
        Ok(self.documents.values().cloned().collect())
    }

    fn apply(&mut self, changes: &DocumentChanges) -> Result<()> {
        for path in &changes.remove {
            self.documents.remove(path);
        }
        for d in &changes.put {
            self.documents.insert(d.path.clone(), d.clone());
        }
        Ok(())
    }
}

/// Up to this many live vectors an exact scan is fast (well under a
/// millisecond at 384 dimensions) and has perfect recall.
const EXACT_UP_TO: usize = 2_000;

/// Vectors added since the graph was built are scanned exactly beside it;
/// past this many, a new graph is built in the background. So a small
/// upsert into a large store costs about its own size.
const FRESH_UP_TO: usize = 2_000;

struct Entry {
    id: String,
    metadata: Metadata,
}

/// The one copy of each vector: entries below `covers` in the flat copy of
/// their graph, later ones in `rows`, in entry order. A removed entry's
/// vector stays until the next rebuild, so graph walks still pass through
/// it.
struct Held {
    covers: usize,
    flat: Option<Flat>,
    rows: Vec<f32>,
}

impl Held {
    fn vector(&self, n: usize, dimension: usize) -> Option<&[f32]> {
        if n < self.covers {
            self.flat.as_ref()?.vector(n)
        } else {
            let start = (n - self.covers) * dimension;
            self.rows.get(start..start + dimension)
        }
    }

    /// Graph nodes whose entry has since been removed.
    fn tombstones(&self) -> usize {
        self.flat.as_ref().map_or(0, Flat::dead)
    }
}

/// A graph of the live entries below `upto`, to be built on another thread
/// once the store is first searched (so loading an index is not slowed by
/// it), then being built.
struct Pending {
    upto: usize,
    work: Work,
    /// Set when the store is dropped: the builder gives up.
    stop: Arc<AtomicBool>,
}

/// The vectors a builder thread owns while it builds: a copy, dropped with
/// the graph once the flat copy is made.
struct Snapshot {
    vectors: Vec<f32>,
    entries: Vec<usize>,
    dimension: usize,
}

impl Snapshot {
    fn items(&self) -> Vec<(&[f32], usize)> {
        self.vectors
            .chunks_exact(self.dimension)
            .zip(&self.entries)
            .map(|(v, &n)| (v, n))
            .collect()
    }
}

enum Work {
    Waiting(Snapshot),
    Building(JoinHandle<Graph>),
}

/// Unit vectors by id, searched through an HNSW graph once there are more
/// than a few thousand.
///
/// Entries are numbered in insertion order and numbers are never reused
/// until a rebuild, so a graph node always means the vector it was built
/// with; a removed entry is a tombstone the search skips. hnsw_rs builds
/// each graph; its flat copy then holds the vectors and the graph is
/// dropped, so each vector is held once.
pub struct MemoryVectorStore {
    dimension: usize,
    entries: Vec<Option<Entry>>,
    by_id: HashMap<String, usize>,
    live: usize,
    held: RwLock<Held>,
    pending: Mutex<Option<Pending>>,
}

impl std::fmt::Debug for MemoryVectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryVectorStore")
            .field("dimension", &self.dimension)
            .field("live", &self.live)
            .finish()
    }
}

impl MemoryVectorStore {
    /// An empty store of vectors `dimension` long.
    pub fn new(dimension: usize) -> Self {
        MemoryVectorStore {
            dimension,
            entries: Vec::new(),
            by_id: HashMap::new(),
            live: 0,
            held: RwLock::new(Held {
                covers: 0,
                flat: None,
                rows: Vec::new(),
            }),
            pending: Mutex::new(None),
        }
    }

    /// A store holding `records`; past a few thousand, their graph is built
    /// on another thread once the store is first searched, and exact scans
    /// answer until it is ready.
    pub fn with_records(dimension: usize, records: Vec<VectorRecord>) -> Result<Self> {
        let mut store = MemoryVectorStore::new(dimension);
        store.append(records)?;
        if store.live > EXACT_UP_TO {
            let pending = store.snapshot();
            *store.pending.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(pending);
        }
        Ok(store)
    }

    /// How many vectors the store holds.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether the store holds no vector.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn held(&self) -> std::sync::RwLockReadGuard<'_, Held> {
        self.held.read().unwrap_or_else(|e| e.into_inner())
    }

    fn held_mut(&mut self) -> &mut Held {
        self.held.get_mut().unwrap_or_else(|e| e.into_inner())
    }

    /// A graph to build of every live entry, with a copy of their vectors.
    fn snapshot(&self) -> Pending {
        let held = self.held();
        let mut snapshot = Snapshot {
            vectors: Vec::with_capacity(self.live * self.dimension),
            entries: Vec::with_capacity(self.live),
            dimension: self.dimension,
        };
        for n in (0..self.entries.len()).filter(|&n| self.entries[n].is_some()) {
            if let Some(v) = held.vector(n, self.dimension) {
                snapshot.vectors.extend_from_slice(v);
                snapshot.entries.push(n);
            }
        }
        Pending {
            upto: self.entries.len(),
            work: Work::Waiting(snapshot),
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    fn append(&mut self, records: Vec<VectorRecord>) -> Result<()> {
        if let Some(r) = records.iter().find(|r| r.vector.len() != self.dimension) {
            return Err(Error::InvalidArgument {
                name: "vector".into(),
                message: format!(
                    "{} has {} dimensions; the store holds {}",
                    r.id,
                    r.vector.len(),
                    self.dimension
                ),
            });
        }
        for r in records {
            if let Some(old) = self.by_id.insert(r.id.clone(), self.entries.len()) {
                self.forget(old);
            }
            self.entries.push(Some(Entry {
                id: r.id,
                metadata: r.metadata,
            }));
            self.held_mut().rows.extend_from_slice(&r.vector);
            self.live += 1;
        }
        Ok(())
    }

    fn forget(&mut self, n: usize) {
        if self.entries[n].take().is_some() {
            self.live -= 1;
            if let Some(flat) = self.held_mut().flat.as_mut() {
                flat.kill(n);
            }
        }
    }

    /// Installs a graph a builder finished, without waiting for one still
    /// building unless `wait`; starts the builder of a waiting one.
    fn settle(&self, wait: bool) {
        let Ok(mut pending) = self.pending.try_lock() else {
            return;
        };
        let Some(p) = pending.as_mut() else {
            return;
        };
        let upto = p.upto;
        let graph = match &mut p.work {
            Work::Waiting(snapshot) => {
                let snapshot = std::mem::replace(
                    snapshot,
                    Snapshot {
                        vectors: Vec::new(),
                        entries: Vec::new(),
                        dimension: self.dimension,
                    },
                );
                if wait {
                    Some(hnsw::build(snapshot.items()))
                } else {
                    let stop = p.stop.clone();
                    let spawned = std::thread::Builder::new()
                        .name("infrarag-hnsw".into())
                        .spawn(move || hnsw::build_here(snapshot.items(), &stop));
                    match spawned {
                        Ok(handle) => {
                            p.work = Work::Building(handle);
                            return;
                        }
                        Err(_) => None,
                    }
                }
            }
            Work::Building(handle) if !(wait || handle.is_finished()) => return,
            Work::Building(_) => match pending.take().map(|p| p.work) {
                Some(Work::Building(handle)) => handle.join().ok(),
                _ => None,
            },
        };
        pending.take();
        if let Some(graph) = graph {
            self.install(&graph, upto);
            drop(graph);
            hnsw::release_freed_memory();
        }
    }

    /// Makes `graph` (of the live entries below `upto`) the one searched:
    /// its flat copy takes over their vectors from the old copy and from
    /// `rows`, which keeps only later entries'.
    ///
    /// The copy is made under the read lock, so searches go on meanwhile:
    /// nothing else changes the vectors, since changes need `&mut self` and
    /// only the caller holding `pending` installs.
    fn install(&self, graph: &Graph, upto: usize) {
        let flat = {
            let held = self.held();
            if upto < held.covers {
                return;
            }
            Flat::new(
                graph,
                upto,
                &|n: usize| held.vector(n, self.dimension),
                &|n: usize| self.entries[n].is_some(),
            )
        };
        let Some(flat) = flat else {
            return;
        };
        let mut held = self.held.write().unwrap_or_else(|e| e.into_inner());
        let taken = ((upto - held.covers) * self.dimension).min(held.rows.len());
        held.rows.drain(..taken);
        held.rows.shrink_to_fit();
        held.covers = upto;
        held.flat = Some(flat);
    }

    /// Drops removed entries and renumbers the rest, then builds their
    /// graph (while there are more than a few thousand), here and now.
    fn rebuild(&mut self) {
        self.settle(true);
        let dimension = self.dimension;
        let held = self.held.get_mut().unwrap_or_else(|e| e.into_inner());
        let mut rows = Vec::with_capacity(self.live * dimension);
        let mut entries = Vec::with_capacity(self.live);
        for (n, e) in self.entries.drain(..).enumerate() {
            if let (Some(e), Some(v)) = (e, held.vector(n, dimension)) {
                rows.extend_from_slice(v);
                entries.push(Some(e));
            }
        }
        *held = Held {
            covers: 0,
            flat: None,
            rows,
        };
        self.entries = entries;
        self.live = self.entries.len();
        self.by_id = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(n, e)| Some((e.as_ref()?.id.clone(), n)))
            .collect();
        if self.live > EXACT_UP_TO {
            let graph = hnsw::build(
                held.rows
                    .chunks_exact(dimension)
                    .enumerate()
                    .map(|(n, v)| (v, n))
                    .collect(),
            );
            self.install(&graph, self.entries.len());
            drop(graph);
            hnsw::release_freed_memory();
        }
    }

    /// The `k` nearest of the entries in `range` that `keep` accepts.
    fn exact(
        &self,
        held: &Held,
        range: std::ops::Range<usize>,
        query: &[f32],
        k: usize,
        keep: &dyn Fn(usize) -> bool,
    ) -> Vec<(usize, f32)> {
        let mut hits: Vec<(usize, f32)> = range
            .filter(|&n| self.entries[n].is_some() && keep(n))
            .filter_map(|n| Some((n, held.vector(n, self.dimension)?)))
            .map(|(n, v)| (n, 1.0 - CosineDistance.eval(query, v)))
            .collect();
        top_k_by(&mut hits, k, |&a, &b| self.id_order(a, b));
        hits
    }

    fn id_order(&self, a: usize, b: usize) -> std::cmp::Ordering {
        let id = |n: usize| self.entries[n].as_ref().map(|e| e.id.as_str());
        id(a).cmp(&id(b))
    }

    fn nearest(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&(dyn Fn(usize) -> bool + Sync)>,
    ) -> Vec<(usize, f32)> {
        if k == 0 || self.live == 0 {
            return Vec::new();
        }
        self.settle(false);
        let held = self.held();
        let accepts = |n: usize| keep.is_none_or(|f| f(n));
        if let Some(flat) = held.flat.as_ref() {
            let mut hits: Vec<(usize, f32)> = flat
                .search(
                    query,
                    k,
                    ef.max(k),
                    keep.map(|f| f as &dyn Fn(usize) -> bool),
                )
                .into_iter()
                .map(|(n, d)| (n, 1.0 - d))
                .collect();
            hits.extend(self.exact(&held, held.covers..self.entries.len(), query, k, &accepts));
            top_k_by(&mut hits, k, |&a, &b| self.id_order(a, b));
            if hits.len() == k || hits.len() == self.live {
                return hits;
            }
        }
        self.exact(&held, 0..self.entries.len(), query, k, &accepts)
    }
}

impl Drop for MemoryVectorStore {
    fn drop(&mut self) {
        if let Some(p) = self.pending.get_mut().unwrap_or_else(|e| e.into_inner()) {
            p.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl VectorStore for MemoryVectorStore {
    fn dimension(&self) -> usize {
        self.dimension
    }

    fn ids(&self) -> Result<Vec<String>> {
        Ok(self.by_id.keys().cloned().collect())
    }

    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<()> {
        self.append(records)?;
        let covers = self.held_mut().covers;
        let pending = self
            .pending
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .is_some();
        if covers == 0 && !pending {
            if self.live > EXACT_UP_TO {
                self.rebuild();
            }
        } else if !pending && self.entries.len() - covers > FRESH_UP_TO {
            let next = self.snapshot();
            *self.pending.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(next);
        }
        if self.held_mut().tombstones() > self.live / 4 {
            self.rebuild();
        }
        Ok(())
    }

    fn vectors(&self, ids: &[String]) -> Result<Vec<(String, Vec<f32>)>> {
        let held = self.held();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let vector = held.vector(*self.by_id.get(id)?, self.dimension)?;
                Some((id.clone(), vector.to_vec()))
            })
            .collect())
    }

    fn delete(&mut self, ids: &[String]) -> Result<()> {
        for id in ids {
            if let Some(n) = self.by_id.remove(id) {
                self.forget(n);
            }
        }
        if self.held_mut().tombstones() > self.live / 4 {
            self.rebuild();
        }
        Ok(())
    }

    fn search(&self, query: &VectorQuery<'_>) -> Result<Vec<(String, f32)>> {
        if query.vector.len() != self.dimension {
            return Err(Error::InvalidArgument {
                name: "vector".into(),
                message: format!(
                    "the query has {} dimensions; the store holds {}",
                    query.vector.len(),
                    self.dimension
                ),
            });
        }
        let keep = |n: usize| {
            self.entries[n]
                .as_ref()
                .is_some_and(|e| query.filter.accepts_metadata(&e.metadata))
        };
        let everything = *query.filter == super::Filter::default();
        Ok(self
            .nearest(
                query.vector,
                query.k,
                query.ef,
                (!everything).then_some(&keep as &(dyn Fn(usize) -> bool + Sync)),
            )
            .into_iter()
            .filter_map(|(n, score)| Some((self.entries[n].as_ref()?.id.clone(), score)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::Language;
    use crate::store::Filter;

    fn unit(seed: u64, dim: usize) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut v: Vec<f32> = (0..dim)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        crate::embed::normalize(&mut v);
        v
    }

    fn record(i: usize, dim: usize) -> VectorRecord {
        VectorRecord {
            id: format!("v{i}"),
            vector: unit(i as u64, dim),
            metadata: Metadata {
                path: format!("{}/f.tf", if i % 2 == 1 { "odd" } else { "even" }),
                language: Language::Hcl,
                block_type: None,
                address: None,
            },
        }
    }

    fn search(vs: &MemoryVectorStore, q: &[f32], k: usize, filter: &Filter) -> Vec<(String, f32)> {
        vs.search(&VectorQuery {
            vector: q,
            k,
            ef: 64,
            filter,
        })
        .unwrap()
    }

    fn has_graph(vs: &MemoryVectorStore) -> bool {
        vs.held().flat.is_some()
    }

    fn exact(vs: &MemoryVectorStore, q: &[f32], k: usize) -> Vec<(usize, f32)> {
        vs.exact(&vs.held(), 0..vs.entries.len(), q, k, &|_| true)
    }

    #[test]
    fn graph_and_exact_scan_agree_and_removal_holds() {
        let dim = 32;
        let mut vs = MemoryVectorStore::new(dim);
        vs.upsert((0..3000).map(|i| record(i, dim)).collect())
            .unwrap();
        assert!(has_graph(&vs));
        let q = unit(7, dim);
        let all = Filter::default();
        let hits = search(&vs, &q, 5, &all);
        assert_eq!(hits[0].0, "v7");
        assert!((hits[0].1 - 1.0).abs() < 1e-5);
        assert_eq!(exact(&vs, &q, 1)[0].0, 7);
        assert_eq!(vs.entries[7].as_ref().unwrap().id, "v7");
        vs.delete(&["v7".into()]).unwrap();
        assert!(search(&vs, &q, 5, &all).iter().all(|h| h.0 != "v7"));
        let odd = search(&vs, &q, 5, &Filter::default().path_prefix("odd/"));
        assert_eq!(odd.len(), 5);
        assert!(odd
            .iter()
            .all(|h| h.0[1..].parse::<usize>().unwrap() % 2 == 1));
        assert!(odd.windows(2).all(|w| w[0].1 >= w[1].1));
        // Replacing an id's vector replaces it in the graph too.
        let mut moved = record(8, dim);
        moved.vector = unit(99_999, dim);
        vs.upsert(vec![moved]).unwrap();
        assert!(search(&vs, &q, 3, &all).iter().all(|h| h.0 != "v8"));
        assert_eq!(search(&vs, &unit(99_999, dim), 1, &all)[0].0, "v8");
        let gone: Vec<String> = (0..2000).map(|i| format!("v{i}")).collect();
        vs.delete(&gone).unwrap();
        assert_eq!(vs.len(), 1000);
        assert!(!has_graph(&vs));
        let one = Filter::default().path_prefix("even/");
        assert!(search(&vs, &q, 3, &one)
            .iter()
            .all(|h| h.0[1..].parse::<usize>().unwrap() % 2 == 0));
    }

    #[test]
    fn graph_recall_is_high() {
        let dim = 24;
        let mut vs = MemoryVectorStore::new(dim);
        vs.upsert((0..3000).map(|i| record(i, dim)).collect())
            .unwrap();
        let (mut found, mut wanted) = (0, 0);
        for q in 0..100 {
            let q = unit(10_000 + q, dim);
            let truth = exact(&vs, &q, 10);
            let got = vs.nearest(&q, 10, 100, None);
            // The walk measures codes; what it returns is measured exactly.
            let held = vs.held();
            for &(n, score) in &got {
                let v = held.vector(n, dim).unwrap();
                assert!((score - hnsw::dot(&q, v)).abs() < 1e-6);
            }
            wanted += truth.len();
            found += truth
                .iter()
                .filter(|t| got.iter().any(|g| g.0 == t.0))
                .count();
        }
        assert!(
            found as f32 / wanted as f32 > 0.9,
            "recall {found}/{wanted}"
        );
    }

    #[test]
    fn a_loaded_store_answers_before_and_after_its_graph_is_built() {
        let dim = 16;
        let mut vs =
            MemoryVectorStore::with_records(dim, (0..2500).map(|i| record(i, dim)).collect())
                .unwrap();
        let q = unit(42, dim);
        let all = Filter::default();
        assert_eq!(search(&vs, &q, 1, &all)[0].0, "v42");
        vs.upsert(vec![record(4000, dim)]).unwrap();
        vs.delete(&["v42".into()]).unwrap();
        vs.settle(true);
        assert!(has_graph(&vs));
        assert_eq!(search(&vs, &unit(4000, dim), 1, &all)[0].0, "v4000");
        assert!(search(&vs, &q, 10, &all).iter().all(|h| h.0 != "v42"));
        assert_eq!(vs.len(), 2500);
    }

    #[test]
    fn vectors_are_held_once_and_a_small_upsert_leaves_the_graph_alone() {
        let dim = 16;
        let all = Filter::default();
        let mut vs = MemoryVectorStore::new(dim);
        vs.upsert((0..3000).map(|i| record(i, dim)).collect())
            .unwrap();
        {
            let held = vs.held();
            assert_eq!((held.covers, held.rows.len()), (3000, 0));
        }
        vs.upsert((5000..5010).map(|i| record(i, dim)).collect())
            .unwrap();
        {
            let held = vs.held();
            assert_eq!((held.covers, held.rows.len()), (3000, 10 * dim));
        }
        assert_eq!(search(&vs, &unit(5003, dim), 1, &all)[0].0, "v5003");
        assert_eq!(search(&vs, &unit(7, dim), 1, &all)[0].0, "v7");

        // Past FRESH_UP_TO new vectors a graph of them all is built in the
        // background, and takes their vectors over.
        vs.upsert(
            (10_000..10_000 + FRESH_UP_TO)
                .map(|i| record(i, dim))
                .collect(),
        )
        .unwrap();
        assert!(vs.pending.lock().unwrap().is_some());
        assert_eq!(search(&vs, &unit(10_005, dim), 1, &all)[0].0, "v10005");
        vs.settle(true);
        {
            let held = vs.held();
            assert_eq!((held.covers, held.rows.len()), (vs.entries.len(), 0));
        }
        assert_eq!(search(&vs, &unit(10_005, dim), 1, &all)[0].0, "v10005");
        assert_eq!(vs.len(), 3010 + FRESH_UP_TO);
    }

    #[test]
    fn wrong_dimensions_are_refused() {
        let mut vs = MemoryVectorStore::new(8);
        let err = vs.upsert(vec![record(1, 9)]).unwrap_err();
        assert!(err.to_string().contains("v1 has 9 dimensions"), "{err}");
        assert!(vs.is_empty());
    }
}
