//! Nearest-neighbour search over unit vectors: an HNSW graph (hnsw_rs) with
//! tombstones for removal, rebuilt when they pile up, and an exact scan for
//! small collections and for filters the graph cannot satisfy.

use hnsw_rs::anndists::dist::Distance;
use hnsw_rs::hnsw::Hnsw;

/// Up to this many live vectors an exact scan is fast (well under a
/// millisecond at 384 dimensions) and has perfect recall.
const EXACT_UP_TO: usize = 2_000;
/// Links per node and construction breadth: hnswlib's usual M and a
/// moderate ef, trading a little recall at build for 2x faster ingestion.
const LINKS: usize = 16;
const EF_CONSTRUCTION: usize = 100;
const MAX_LAYERS: usize = 16;

/// `1 - a·b`, never negative. Our own rather than hnsw_rs's `DistDot`,
/// which panics when rounding puts a unit vector's dot product just above 1.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CosineDistance;

impl Distance<f32> for CosineDistance {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).max(0.0)
    }
}

/// Eight running sums so the compiler vectorises the loop.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

pub(crate) struct Vectors {
    dimension: usize,
    /// By id; `None` when removed or never set.
    data: Vec<Option<Box<[f32]>>>,
    graph: Option<Hnsw<'static, f32, CosineDistance>>,
    /// Ids in the graph whose vector has since been removed.
    tombstones: usize,
    live: usize,
}

impl Vectors {
    pub fn new(dimension: usize) -> Self {
        Vectors {
            dimension,
            data: Vec::new(),
            graph: None,
            tombstones: 0,
            live: 0,
        }
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.live
    }

    /// Sets the vectors of free ids; each must be `dimension` long and of
    /// unit length (the caller checks).
    pub fn insert(&mut self, items: Vec<(usize, Vec<f32>)>) {
        let Some(max) = items.iter().map(|(id, _)| *id).max() else {
            return;
        };
        if self.data.len() <= max {
            self.data.resize(max + 1, None);
        }
        let ids: Vec<usize> = items.iter().map(|(id, _)| *id).collect();
        for (id, v) in items {
            if self.data[id].replace(v.into_boxed_slice()).is_none() {
                self.live += 1;
            }
        }
        if let Some(graph) = &self.graph {
            let batch: Vec<(&[f32], usize)> = ids
                .iter()
                .filter_map(|&id| self.data[id].as_deref().map(|v| (v, id)))
                .collect();
            graph.parallel_insert_slice(&batch);
        } else if self.live > EXACT_UP_TO {
            self.rebuild();
        }
    }

    pub fn remove(&mut self, id: usize) {
        if self.data.get_mut(id).and_then(Option::take).is_none() {
            return;
        }
        self.live -= 1;
        if self.graph.is_some() {
            self.tombstones += 1;
            if self.tombstones > self.live / 4 {
                self.rebuild();
            }
        }
    }

    /// A fresh graph of the live vectors, or none when an exact scan will do.
    fn rebuild(&mut self) {
        self.tombstones = 0;
        if self.live <= EXACT_UP_TO {
            self.graph = None;
            return;
        }
        let graph = Hnsw::new(
            LINKS,
            self.live * 2,
            MAX_LAYERS,
            EF_CONSTRUCTION,
            CosineDistance,
        );
        let batch: Vec<(&[f32], usize)> = self
            .data
            .iter()
            .enumerate()
            .filter_map(|(id, v)| v.as_deref().map(|v| (v, id)))
            .collect();
        graph.parallel_insert_slice(&batch);
        self.graph = Some(graph);
    }

    /// The `k` live ids nearest to the unit vector `query` that `keep`
    /// accepts, nearest first, with cosine similarity.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: &(dyn Fn(usize) -> bool + Sync),
    ) -> Vec<(usize, f32)> {
        if k == 0 || self.live == 0 {
            return Vec::new();
        }
        if let Some(graph) = &self.graph {
            let filter = |id: &usize| self.data[*id].is_some() && keep(*id);
            let hits: Vec<(usize, f32)> = graph
                .search_filter(query, k, ef.max(k), Some(&filter))
                .into_iter()
                .map(|n| (n.d_id, 1.0 - n.distance))
                .collect();
            // A selective filter can leave the graph walk short of k; the
            // exact scan then finds every match.
            if hits.len() == k || hits.len() == self.live {
                return hits;
            }
        }
        self.exact(query, k, keep)
    }

    fn exact(&self, query: &[f32], k: usize, keep: &dyn Fn(usize) -> bool) -> Vec<(usize, f32)> {
        let mut hits: Vec<(usize, f32)> = self
            .data
            .iter()
            .enumerate()
            .filter_map(|(id, v)| Some((id, v.as_deref()?)))
            .filter(|&(id, _)| keep(id))
            .map(|(id, v)| (id, 1.0 - CosineDistance.eval(query, v)))
            .collect();
        super::top_k(&mut hits, k);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn graph_and_exact_scan_agree_and_removal_holds() {
        let dim = 32;
        let mut vs = Vectors::new(dim);
        vs.insert((0..3000).map(|i| (i, unit(i as u64, dim))).collect());
        assert!(vs.graph.is_some());
        let q = unit(7, dim);
        let hits = vs.search(&q, 5, 64, &|_| true);
        assert_eq!(hits[0].0, 7);
        assert!((hits[0].1 - 1.0).abs() < 1e-5);
        let exact = vs.exact(&q, 5, &|_| true);
        assert_eq!(hits[0], exact[0]);
        vs.remove(7);
        assert!(vs.search(&q, 5, 64, &|_| true).iter().all(|h| h.0 != 7));
        let odd = vs.search(&q, 5, 64, &|id| id % 2 == 1);
        assert_eq!(odd.len(), 5);
        assert!(odd.iter().all(|h| h.0 % 2 == 1));
        assert!(odd.windows(2).all(|w| w[0].1 >= w[1].1));
        for id in 0..2000 {
            vs.remove(id);
        }
        assert_eq!(vs.len(), 1000);
        assert!(vs.graph.is_none());
        assert_eq!(vs.search(&q, 3, 64, &|id| id == 2500).len(), 1);
    }

    #[test]
    fn graph_recall_is_high() {
        let dim = 24;
        let mut vs = Vectors::new(dim);
        vs.insert((0..3000).map(|i| (i, unit(i as u64, dim))).collect());
        let (mut found, mut wanted) = (0, 0);
        for q in 0..100 {
            let q = unit(10_000 + q, dim);
            let truth = vs.exact(&q, 10, &|_| true);
            let got = vs.search(&q, 10, 100, &|_| true);
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
}
