//! The HNSW graph (hnsw_rs) behind [`super::MemoryVectorStore`]: a cosine
//! distance that cannot panic, and the graph's build settings.

use std::sync::atomic::{AtomicBool, Ordering};

use hnsw_rs::anndists::dist::Distance;
use hnsw_rs::hnsw::Hnsw;

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

/// The dot product, with AVX2 and FMA where the CPU has them (checked once;
/// 2-3x faster than what the compiler makes for baseline x86-64).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static FAST: OnceLock<bool> = OnceLock::new();
        if *FAST.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        }) {
            // SAFETY: the CPU supports both features the function enables.
            return unsafe { dot_avx2(a, b) };
        }
    }
    dot_portable(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n, so both 8-lane loads stay in bounds.
        unsafe {
            s0 = _mm256_fmadd_ps(
                _mm256_loadu_ps(a.as_ptr().add(i)),
                _mm256_loadu_ps(b.as_ptr().add(i)),
                s0,
            );
            s1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(a.as_ptr().add(i + 8)),
                _mm256_loadu_ps(b.as_ptr().add(i + 8)),
                s1,
            );
        }
        i += 16;
    }
    let mut lanes = [0f32; 8];
    // SAFETY: `lanes` holds exactly 8 f32.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_add_ps(s0, s1)) };
    lanes.iter().sum::<f32>() + dot_portable(&a[i..n], &b[i..n])
}

/// Eight running sums so the compiler vectorises the loop.
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
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

pub(crate) type Graph = Hnsw<'static, f32, CosineDistance>;

/// A graph of `items` (vector, number), sized to grow to twice as many,
/// built on the rayon pool.
pub(crate) fn build(items: Vec<(&[f32], usize)>) -> Graph {
    let graph = empty(items.len());
    graph.parallel_insert_slice(&items);
    graph
}

/// [`build`] on the calling thread alone: for background builds, which
/// must not take the rayon pool from work the caller waits for. Stops
/// early, with a partial graph, once `stop` is set.
pub(crate) fn build_here(items: Vec<(&[f32], usize)>, stop: &AtomicBool) -> Graph {
    let graph = empty(items.len());
    for batch in items.chunks(256) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        for &item in batch {
            graph.insert_slice(item);
        }
    }
    graph
}

fn empty(n: usize) -> Graph {
    Hnsw::new(
        LINKS,
        (n * 2).max(1024),
        MAX_LAYERS,
        EF_CONSTRUCTION,
        CosineDistance,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_agrees_with_the_plain_sum_at_every_length() {
        for n in [0, 1, 7, 8, 15, 16, 17, 31, 384, 385] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "{n}");
        }
    }
}

/// The graph hnsw_rs built, copied into flat arrays for searching: a
/// compressed neighbour list for the bottom layer, the upper layers by
/// node, and the nodes' vectors in one matrix, so a query follows indexes
/// instead of hnsw_rs's locked, reference-counted points.
pub(crate) struct Flat {
    /// Neighbours of node `n` in layer 0: `targets[offsets[n]..offsets[n + 1]]`.
    offsets: Vec<u32>,
    targets: Vec<u32>,
    /// Layers 1 and up, for the nodes that reach them.
    upper: std::collections::HashMap<u32, Vec<Vec<u32>>>,
    /// Node `n`'s vector is row `n`, when `present[n]`: one contiguous
    /// block, so a walk reads memory in order rather than chasing pointers.
    matrix: Vec<f32>,
    present: Vec<bool>,
    /// Whether node `n` may be returned: false for removed entries, which
    /// walks still pass through.
    live: Vec<bool>,
    dimension: usize,
    entry: u32,
    top: usize,
}

/// A candidate: distance, then node, ordered by distance.
#[derive(Clone, Copy, PartialEq)]
struct Near(f32, u32);

impl Eq for Near {}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Near {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

thread_local! {
    /// Per thread: the query number each node was last seen in, and the
    /// current query's number, so the visited set is never cleared.
    static SEEN: std::cell::RefCell<(Vec<u32>, u32)> = const { std::cell::RefCell::new((Vec::new(), 0)) };
}

impl Flat {
    /// Copies `graph`, whose node ids index `vectors`; `live` says which
    /// nodes searches may return.
    pub fn new(
        graph: &Graph,
        vectors: Vec<Option<std::sync::Arc<[f32]>>>,
        live: Vec<bool>,
    ) -> Option<Flat> {
        let n = vectors.len();
        let dimension = vectors
            .iter()
            .flatten()
            .map(|v| v.len())
            .next()
            .unwrap_or(0);
        let mut matrix = vec![0f32; n * dimension];
        let mut present = vec![false; n];
        for (i, v) in vectors.iter().enumerate() {
            if let Some(v) = v.as_ref().filter(|v| v.len() == dimension) {
                matrix[i * dimension..(i + 1) * dimension].copy_from_slice(v);
                present[i] = true;
            }
        }
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut upper = std::collections::HashMap::new();
        let (mut entry, mut top) = (None, 0);
        for point in graph.get_point_indexation() {
            let id = point.get_origin_id();
            if id >= n {
                continue;
            }
            let layers = point.get_neighborhood_id();
            let level = usize::from(point.get_point_id().0);
            if entry.is_none() || level > top {
                entry = Some(id as u32);
                top = level;
            }
            let mut ids = layers
                .into_iter()
                .map(|l| l.into_iter().map(|nb| nb.d_id as u32).collect::<Vec<u32>>());
            lists[id] = ids.next().unwrap_or_default();
            let rest: Vec<Vec<u32>> = ids.take(level).collect();
            if !rest.is_empty() {
                upper.insert(id as u32, rest);
            }
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        offsets.push(0);
        for l in lists {
            targets.extend(l.into_iter().filter(|&t| (t as usize) < n));
            offsets.push(targets.len() as u32);
        }
        Some(Flat {
            offsets,
            targets,
            upper,
            matrix,
            present,
            live,
            dimension,
            entry: entry?,
            top,
        })
    }

    /// The vector node `n` was copied with.
    pub fn vector(&self, n: usize) -> Option<std::sync::Arc<[f32]>> {
        self.present
            .get(n)
            .filter(|&&p| p)
            .map(|_| self.row(n).into())
    }

    /// Stops returning node `n` (its entry was removed).
    pub fn kill(&mut self, n: usize) {
        if let Some(l) = self.live.get_mut(n) {
            *l = false;
        }
    }

    fn row(&self, n: usize) -> &[f32] {
        &self.matrix[n * self.dimension..(n + 1) * self.dimension]
    }

    fn distance(&self, query: &[f32], n: u32) -> f32 {
        if self.present[n as usize] {
            (1.0 - dot(query, self.row(n as usize))).max(0.0)
        } else {
            f32::INFINITY
        }
    }

    fn neighbours(&self, n: u32, layer: usize) -> &[u32] {
        if layer == 0 {
            let n = n as usize;
            &self.targets[self.offsets[n] as usize..self.offsets[n + 1] as usize]
        } else {
            self.upper
                .get(&n)
                .and_then(|l| l.get(layer - 1))
                .map_or(&[], Vec::as_slice)
        }
    }

    /// Up to `k` live nodes `keep` accepts (all live nodes without it),
    /// nearest first, with distances: a greedy descent through the upper
    /// layers, then a beam of `ef` in the bottom one. Other nodes are walked
    /// through, not returned.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        let keep = |n: u32| self.live[n as usize] && keep.is_none_or(|f| f(n as usize));
        use std::collections::BinaryHeap;
        let mut here = Near(self.distance(query, self.entry), self.entry);
        for layer in (1..=self.top).rev() {
            loop {
                let mut moved = false;
                for &nb in self.neighbours(here.1, layer) {
                    let d = self.distance(query, nb);
                    if d < here.0 {
                        here = Near(d, nb);
                        moved = true;
                    }
                }
                if !moved {
                    break;
                }
            }
        }
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            let (marks, epoch) = &mut *seen;
            *epoch = epoch.wrapping_add(1);
            if *epoch == 0 || marks.len() < self.present.len() {
                marks.clear();
                marks.resize(self.present.len(), 0);
                *epoch = 1;
            }
            let epoch = *epoch;
            let ef = ef.max(k);
            // `todo` pops the nearest candidate; `best` the farthest kept.
            let mut todo = BinaryHeap::new();
            let mut best: BinaryHeap<Near> = BinaryHeap::new();
            let mut found: BinaryHeap<Near> = BinaryHeap::new();
            marks[here.1 as usize] = epoch;
            todo.push(std::cmp::Reverse(here));
            best.push(here);
            if keep(here.1) {
                found.push(here);
            }
            while let Some(std::cmp::Reverse(c)) = todo.pop() {
                if best.len() >= ef && best.peek().is_some_and(|f| c.0 > f.0) {
                    break;
                }
                for &nb in self.neighbours(c.1, 0) {
                    let mark = &mut marks[nb as usize];
                    if *mark == epoch {
                        continue;
                    }
                    *mark = epoch;
                    let d = self.distance(query, nb);
                    if best.len() < ef || best.peek().is_some_and(|f| d < f.0) {
                        let near = Near(d, nb);
                        todo.push(std::cmp::Reverse(near));
                        best.push(near);
                        if best.len() > ef {
                            best.pop();
                        }
                        if keep(nb) {
                            found.push(near);
                            if found.len() > k {
                                found.pop();
                            }
                        }
                    }
                }
            }
            let mut out: Vec<(usize, f32)> = found
                .into_sorted_vec()
                .into_iter()
                .map(|n| (n.1 as usize, n.0))
                .collect();
            out.truncate(k);
            out
        })
    }
}
