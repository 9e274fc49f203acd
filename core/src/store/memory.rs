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

struct Entry {
    id: String,
    metadata: Metadata,
    vector: Arc<[f32]>,
}

/// A graph, the numbers below which every entry live when it was built
/// was inserted into it, and its flat copy that queries walk.
struct Built {
    graph: Graph,
    covers: usize,
    flat: Option<Flat>,
}

impl Built {
    /// Copies the graph again after it changed. Removed entries keep the
    /// vectors the old copy had, so walks still pass through them.
    fn reflatten(&mut self, entries: &[Option<Entry>]) {
        let old = self.flat.take();
        let vectors = entries
            .iter()
            .enumerate()
            .map(|(n, e)| match e {
                Some(e) => Some(e.vector.clone()),
                None => old.as_ref().and_then(|f| f.vector(n)),
            })
            .collect();
        let live = entries.iter().map(Option::is_some).collect();
        self.flat = Flat::new(&self.graph, vectors, live);
    }
}

/// A graph of the entries below `covers`, to be built on another thread
/// once the store is first searched (so loading an index is not slowed by
/// it), then being built.
struct Pending {
    covers: usize,
    work: Work,
    /// Set when the store is dropped: the builder gives up.
    stop: Arc<AtomicBool>,
}

enum Work {
    Waiting(Vec<(Arc<[f32]>, usize)>),
    Building(JoinHandle<Graph>),
}

/// A snapshot's vectors as the graph builders take them.
fn items(snapshot: &[(Arc<[f32]>, usize)]) -> Vec<(&[f32], usize)> {
    snapshot.iter().map(|(v, n)| (&v[..], *n)).collect()
}

/// Unit vectors by id, searched through an HNSW graph once there are more
/// than a few thousand.
///
/// Entries are numbered in insertion order and numbers are never reused
/// until a rebuild, so a graph node always means the vector it was built
/// with; a removed entry is a tombstone the search skips.
pub struct MemoryVectorStore {
    dimension: usize,
    entries: Vec<Option<Entry>>,
    by_id: HashMap<String, usize>,
    live: usize,
    /// Graph nodes whose entry has since been removed.
    tombstones: usize,
    graph: RwLock<Option<Built>>,
    pending: Mutex<Option<Pending>>,
}

impl MemoryVectorStore {
    /// An empty store of `dimension`-long vectors.
    pub fn new(dimension: usize) -> Self {
        MemoryVectorStore {
            dimension,
            entries: Vec::new(),
            by_id: HashMap::new(),
            live: 0,
            tombstones: 0,
            graph: RwLock::new(None),
            pending: Mutex::new(None),
        }
    }

    /// A store of `records` that answers at once by exact scan while its
    /// graph is built on a background thread (one core, outside the rayon
    /// pool, so an index loading beside it is not starved), then through
    /// the graph.
    pub fn with_records(dimension: usize, records: Vec<VectorRecord>) -> Result<Self> {
        let mut store = MemoryVectorStore::new(dimension);
        store.append(records)?;
        if store.live > EXACT_UP_TO {
            let snapshot: Vec<(Arc<[f32]>, usize)> = store.live_vectors().collect();
            *store.pending.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(Pending {
                covers: store.entries.len(),
                work: Work::Waiting(snapshot),
                stop: Arc::new(AtomicBool::new(false)),
            });
        }
        Ok(store)
    }

    /// How many vectors it holds.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn live_vectors(&self) -> impl Iterator<Item = (Arc<[f32]>, usize)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(n, e)| Some((e.as_ref()?.vector.clone(), n)))
    }

    /// Adds entries after the last, replacing records with the same id;
    /// returns the first new number.
    fn append(&mut self, records: Vec<VectorRecord>) -> Result<usize> {
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
        let first = self.entries.len();
        for r in records {
            if let Some(old) = self.by_id.insert(r.id.clone(), self.entries.len()) {
                self.forget(old);
            }
            self.entries.push(Some(Entry {
                id: r.id,
                metadata: r.metadata,
                vector: r.vector.into(),
            }));
            self.live += 1;
        }
        Ok(first)
    }

    fn forget(&mut self, n: usize) {
        if self.entries[n].take().is_some() {
            self.live -= 1;
            let built = self.graph.get_mut().unwrap_or_else(|e| e.into_inner());
            if let Some(flat) = built.as_mut().and_then(|b| b.flat.as_mut()) {
                flat.kill(n);
            }
            if n < self.graph_covers() {
                self.tombstones += 1;
            }
        }
    }

    /// The numbers below which entries are in a graph, built or pending.
    fn graph_covers(&mut self) -> usize {
        let built = self.graph.get_mut().unwrap_or_else(|e| e.into_inner());
        let pending = self.pending.get_mut().unwrap_or_else(|e| e.into_inner());
        built
            .as_ref()
            .map(|b| b.covers)
            .or(pending.as_ref().map(|p| p.covers))
            .unwrap_or(0)
    }

    /// Starts the background graph if it waits, and installs it once
    /// built, adding the entries that came after its snapshot. With `wait`,
    /// builds or waits for it here.
    fn settle(&self, wait: bool) {
        let Ok(mut pending) = self.pending.try_lock() else {
            return;
        };
        let Some(p) = pending.as_mut() else {
            return;
        };
        let covers = p.covers;
        let graph = match &mut p.work {
            Work::Waiting(snapshot) => {
                let snapshot = std::mem::take(snapshot);
                if wait {
                    Some(hnsw::build(items(&snapshot)))
                } else {
                    let stop = p.stop.clone();
                    let spawned = std::thread::Builder::new()
                        .name("infrarag-hnsw".into())
                        .spawn(move || hnsw::build_here(items(&snapshot), &stop));
                    match spawned {
                        Ok(handle) => {
                            p.work = Work::Building(handle);
                            return;
                        }
                        // No thread to be had: the exact scan goes on
                        // answering until a rebuild.
                        Err(_) => None,
                    }
                }
            }
            Work::Building(handle) if !(wait || handle.is_finished()) => return,
            Work::Building(_) => match pending.take().map(|p| p.work) {
                // A builder that panicked leaves no graph; the exact scan
                // still answers, and the next rebuild tries again.
                Some(Work::Building(handle)) => handle.join().ok(),
                _ => None,
            },
        };
        pending.take();
        if let Some(graph) = graph {
            self.install(graph, covers);
        }
    }

    /// Makes `graph`, built of the live entries below `covers`, the one
    /// searches walk, after adding the entries that came later.
    fn install(&self, graph: Graph, covers: usize) {
        let later: Vec<(&[f32], usize)> = self.entries[covers..]
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((&e.as_ref()?.vector[..], covers + i)))
            .collect();
        graph.parallel_insert_slice(&later);
        let mut built = Built {
            graph,
            covers: self.entries.len(),
            flat: None,
        };
        built.reflatten(&self.entries);
        *self.graph.write().unwrap_or_else(|e| e.into_inner()) = Some(built);
    }

    /// Renumbers the live entries and builds a fresh graph of them, or none
    /// when an exact scan will do.
    fn rebuild(&mut self) {
        self.settle(true);
        self.entries.retain(Option::is_some);
        self.by_id = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(n, e)| Some((e.as_ref()?.id.clone(), n)))
            .collect();
        self.tombstones = 0;
        if self.live > EXACT_UP_TO {
            let graph = hnsw::build(
                self.entries
                    .iter()
                    .enumerate()
                    .filter_map(|(n, e)| Some((&e.as_ref()?.vector[..], n)))
                    .collect(),
            );
            self.install(graph, self.entries.len());
        } else {
            *self.graph.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    fn exact(&self, query: &[f32], k: usize, keep: &dyn Fn(usize) -> bool) -> Vec<(usize, f32)> {
        let mut hits: Vec<(usize, f32)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|&(n, _)| keep(n))
            .filter_map(|(n, e)| Some((n, &e.as_ref()?.vector)))
            .map(|(n, v)| (n, 1.0 - CosineDistance.eval(query, v)))
            .collect();
        top_k_by(&mut hits, k, |&a, &b| self.id_order(a, b));
        hits
    }

    /// Live entries by id, so equal scores rank the same however the
    /// entries were numbered.
    fn id_order(&self, a: usize, b: usize) -> std::cmp::Ordering {
        let id = |n: usize| self.entries[n].as_ref().map(|e| e.id.as_str());
        id(a).cmp(&id(b))
    }

    /// Numbers and similarities of the nearest live entries `keep` accepts
    /// (all live entries when `keep` is `None`).
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
        let built = self.graph.read().unwrap_or_else(|e| e.into_inner());
        if let Some(flat) = built.as_ref().and_then(|b| b.flat.as_ref()) {
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
            top_k_by(&mut hits, k, |&a, &b| self.id_order(a, b));
            // A selective filter can leave the graph walk short of k; the
            // exact scan then finds every match.
            if hits.len() == k || hits.len() == self.live {
                return hits;
            }
        }
        let accepts = |n: usize| self.entries[n].is_some() && keep.is_none_or(|f| f(n));
        self.exact(query, k, &accepts)
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
        let first = self.append(records)?;
        let built = self.graph.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = built.as_mut() {
            let batch: Vec<(&[f32], usize)> = self.entries[first..]
                .iter()
                .enumerate()
                .filter_map(|(i, e)| Some((&e.as_ref()?.vector[..], first + i)))
                .collect();
            b.graph.parallel_insert_slice(&batch);
            b.covers = self.entries.len();
            b.reflatten(&self.entries);
        } else if self.live > EXACT_UP_TO
            && self
                .pending
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .is_none()
        {
            self.rebuild();
        }
        if self.tombstones > self.live / 4 {
            self.rebuild();
        }
        Ok(())
    }

    fn delete(&mut self, ids: &[String]) -> Result<()> {
        for id in ids {
            if let Some(n) = self.by_id.remove(id) {
                self.forget(n);
            }
        }
        let has_graph = self.graph_covers() > 0;
        if has_graph && self.tombstones > self.live / 4 {
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
        vs.graph.read().unwrap().is_some()
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
        assert_eq!(vs.exact(&q, 1, &|_| true)[0].0, 7);
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
            let truth = vs.exact(&q, 10, &|_| true);
            let got = vs.nearest(&q, 10, 100, None);
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
    fn wrong_dimensions_are_refused() {
        let mut vs = MemoryVectorStore::new(8);
        let err = vs.upsert(vec![record(1, 9)]).unwrap_err();
        assert!(err.to_string().contains("v1 has 9 dimensions"), "{err}");
        assert!(vs.is_empty());
    }
}
