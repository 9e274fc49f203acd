//! The HNSW graph hnsw_rs built, copied into flat arrays that queries walk:
//! nodes renumbered breadth-first so that neighbours lie near in memory,
//! measured on 8-bit codes of the vectors and ranked at the end exactly.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use hnsw_rs::anndists::dist::Distance;
use rayon::prelude::*;

use super::hnsw::{dot, dot_codes, CosineDistance, Graph};

/// No walk number: the entry is not in the graph.
const ABSENT: u32 = u32::MAX;

/// A query walks walk numbers; callers speak entry numbers. Walk numbers
/// follow a breadth-first pass over the bottom layer, so a node's
/// neighbours mostly sit a few rows from it and a walk reads fewer pages
/// than it would in insertion order.
pub(crate) struct Flat {
    /// Neighbours of node `w` in layer 0: `targets[offsets[w]..offsets[w + 1]]`.
    offsets: Vec<u32>,
    targets: Vec<u32>,
    /// Layers 1 and up, for the nodes that reach them.
    upper: HashMap<u32, Vec<Vec<u32>>>,
    /// Node `w`'s vector is row `w` (zeros when it had none, which
    /// `present` records): one block, read in order, not pointers chased.
    /// The store keeps no other full-precision copy of these vectors.
    matrix: Vec<f32>,
    /// Row `w` of `matrix` in 8 bits, `codes[w * dimension..]`, times
    /// `steps[w]`: a walk measures these, a quarter of the bytes to fetch
    /// from memory, and only its best are measured again on `matrix`.
    codes: Vec<i8>,
    steps: Vec<f32>,
    present: Vec<bool>,
    /// Whether node `w` may be returned: false for removed entries, which
    /// walks still pass through.
    live: Vec<bool>,
    dead: usize,
    /// Walk number to entry number, and back.
    outer: Vec<u32>,
    inner: Vec<u32>,
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

/// hnsw_rs fills bottom-layer lists to 2M with the nearest nodes when it
/// links new nodes back, which makes walks measure many near-duplicates.
/// Thinning them (1.0 is HNSW's own rule; larger keeps more) made queries
/// 24% faster at recall@10 0.95 on `ann.py`'s data; 1.0 only 11%.
const SPREAD: f32 = 1.25;

/// At most this many neighbours are fetched ahead of being measured.
const AHEAD: usize = 64;

/// How many of a walk's nearest, by their codes, are measured again on the
/// vectors for `k` results: a code's error (about 0.001 on a unit
/// vector's dot product) only swaps near neighbours.
fn remeasured(k: usize) -> usize {
    2 * k
}

impl Flat {
    /// Copies `graph`, whose node ids are entry numbers below `n`, with
    /// each node's vector from `vector`; `live` says which entries
    /// searches may return. Entries not in the graph get no row.
    pub fn new<'v>(
        graph: &Graph,
        n: usize,
        vector: &(dyn Fn(usize) -> Option<&'v [f32]> + Sync),
        live: &dyn Fn(usize) -> bool,
    ) -> Option<Flat> {
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut uppers: Vec<(u32, Vec<Vec<u32>>)> = Vec::new();
        let mut in_graph = vec![false; n];
        let (mut entry, mut top) = (None, 0);
        for point in graph.get_point_indexation() {
            let id = point.get_origin_id();
            if id >= n {
                continue;
            }
            in_graph[id] = true;
            let level = usize::from(point.get_point_id().0);
            if entry.is_none() || level > top {
                entry = Some(id as u32);
                top = level;
            }
            let mut layers = point.get_neighborhood_id().into_iter().map(|l| {
                l.into_iter()
                    .map(|nb| nb.d_id)
                    .filter(|&t| t < n)
                    .map(|t| t as u32)
                    .collect::<Vec<u32>>()
            });
            lists[id] = layers.next().unwrap_or_default();
            let rest: Vec<Vec<u32>> = layers.take(level).collect();
            if !rest.is_empty() {
                uppers.push((id as u32, rest));
            }
        }
        let entry = entry?;
        let dimension = vector(entry as usize)?.len();
        let vector = |e: usize| {
            in_graph[e]
                .then(|| vector(e))
                .flatten()
                .filter(|v| v.len() == dimension)
        };
        lists.par_iter_mut().enumerate().for_each(|(u, list)| {
            if let Some(node) = vector(u) {
                *list = diverse(node, std::mem::take(list), &vector);
            }
        });
        let outer = walk_order(entry, &lists, &in_graph);
        let mut inner = vec![ABSENT; n];
        for (w, &e) in outer.iter().enumerate() {
            inner[e as usize] = w as u32;
        }
        let to_walk = |ids: &[u32]| ids.iter().map(|&e| inner[e as usize]).collect::<Vec<u32>>();
        let mut matrix = vec![0f32; outer.len() * dimension];
        let mut present = vec![false; outer.len()];
        let mut offsets = Vec::with_capacity(outer.len() + 1);
        let mut targets = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        offsets.push(0);
        for (w, &e) in outer.iter().enumerate() {
            if let Some(v) = vector(e as usize) {
                matrix[w * dimension..(w + 1) * dimension].copy_from_slice(v);
                present[w] = true;
            }
            targets.extend(to_walk(&lists[e as usize]));
            offsets.push(targets.len() as u32);
        }
        let (codes, steps) = quantize(&matrix, dimension);
        let upper = uppers
            .into_iter()
            .map(|(e, layers)| {
                (
                    inner[e as usize],
                    layers.iter().map(|l| to_walk(l)).collect(),
                )
            })
            .collect();
        let live: Vec<bool> = outer
            .iter()
            .zip(&present)
            .map(|(&e, &p)| p && live(e as usize))
            .collect();
        Some(Flat {
            offsets,
            targets,
            upper,
            matrix,
            codes,
            steps,
            dead: present.iter().zip(&live).filter(|(&p, &l)| p && !l).count(),
            present,
            live,
            outer,
            entry: inner[entry as usize],
            inner,
            dimension,
            top,
        })
    }

    /// The vector of entry `n`, when it is a node.
    pub fn vector(&self, n: usize) -> Option<&[f32]> {
        let w = self.walk(n)?;
        self.present[w as usize].then(|| self.row(w))
    }

    /// Stops returning entry `n` (it was removed).
    pub fn kill(&mut self, n: usize) {
        if let Some(w) = self.walk(n) {
            if std::mem::replace(&mut self.live[w as usize], false) {
                self.dead += 1;
            }
        }
    }

    /// Nodes whose entries were removed.
    pub fn dead(&self) -> usize {
        self.dead
    }

    fn walk(&self, n: usize) -> Option<u32> {
        self.inner.get(n).copied().filter(|&w| w != ABSENT)
    }

    fn row(&self, w: u32) -> &[f32] {
        let start = w as usize * self.dimension;
        &self.matrix[start..start + self.dimension]
    }

    fn distance(&self, query: &[f32], w: u32) -> f32 {
        CosineDistance.eval(query, self.row(w))
    }

    /// [`Self::distance`] as node `w`'s codes give it.
    fn estimate(&self, query: &[f32], w: u32) -> f32 {
        let start = w as usize * self.dimension;
        let codes = &self.codes[start..start + self.dimension];
        1.0 - dot_codes(query, codes) * self.steps[w as usize]
    }

    /// Asks the CPU to start loading node `w`'s codes, which the walk
    /// measures, so the loads of a node's neighbours overlap instead of
    /// waiting on memory one by one. The first line only: the CPU streams
    /// the rest once the dot product reads it, and asking for whole rows
    /// filled the load queue (measured on the f32 rows walked before the
    /// codes: one line 9,080 QPS, two 8,570, the whole row 8,010, none
    /// 7,630; not measured again on the codes' six lines).
    #[inline]
    fn prefetch(&self, w: u32) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: the pointer is into the codes; prefetching reads
            // nothing the program sees and cannot fault.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(
                    self.codes[w as usize * self.dimension..].as_ptr().cast(),
                )
            };
        }
    }

    fn neighbours(&self, w: u32, layer: usize) -> &[u32] {
        if layer == 0 {
            let w = w as usize;
            &self.targets[self.offsets[w] as usize..self.offsets[w + 1] as usize]
        } else {
            self.upper
                .get(&w)
                .and_then(|l| l.get(layer - 1))
                .map_or(&[], Vec::as_slice)
        }
    }

    /// Up to `k` live entries `keep` accepts (all live entries without it),
    /// nearest first, with exact distances: a greedy descent through the
    /// upper layers, then a beam of `ef` in the bottom one, on the codes;
    /// the beam's best are then measured on the vectors. Other nodes are
    /// walked through, not returned.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        if query.len() != self.dimension || k == 0 {
            return Vec::new();
        }
        let here = self.descend(query);
        // Unless something is filtered out, the beam's best are the answer.
        let sift = keep.is_some() || self.dead > 0;
        let keep = |w: u32| {
            self.live[w as usize] && keep.is_none_or(|f| f(self.outer[w as usize] as usize))
        };
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            let (marks, epoch) = &mut *seen;
            *epoch = epoch.wrapping_add(1);
            if *epoch == 0 || marks.len() < self.live.len() {
                marks.clear();
                marks.resize(self.live.len(), 0);
                *epoch = 1;
            }
            let epoch = *epoch;
            let ef = ef.max(k);
            let held = remeasured(k);
            // `todo` pops the nearest candidate, `best` the farthest of the
            // beam; `found` holds the nearest returnable, when it differs.
            let mut todo = BinaryHeap::with_capacity(ef * 4);
            let mut best: BinaryHeap<Near> = BinaryHeap::with_capacity(ef + 1);
            let mut found: BinaryHeap<Near> = BinaryHeap::new();
            marks[here.1 as usize] = epoch;
            todo.push(Reverse(here));
            best.push(here);
            if sift && keep(here.1) {
                found.push(here);
            }
            let mut fresh = [0u32; AHEAD];
            while let Some(Reverse(c)) = todo.pop() {
                if best.len() >= ef && best.peek().is_some_and(|f| c.0 > f.0) {
                    break;
                }
                for group in self.neighbours(c.1, 0).chunks(AHEAD) {
                    let mut m = 0;
                    for &nb in group {
                        let mark = &mut marks[nb as usize];
                        if *mark != epoch {
                            *mark = epoch;
                            self.prefetch(nb);
                            fresh[m] = nb;
                            m += 1;
                        }
                    }
                    for &nb in &fresh[..m] {
                        let d = self.estimate(query, nb);
                        if best.len() < ef || best.peek().is_some_and(|f| d < f.0) {
                            let near = Near(d, nb);
                            todo.push(Reverse(near));
                            best.push(near);
                            if best.len() > ef {
                                best.pop();
                            }
                            if sift && keep(nb) {
                                found.push(near);
                                if found.len() > held {
                                    found.pop();
                                }
                            }
                        }
                    }
                }
            }
            let kept = if sift { found } else { best };
            let mut exact: Vec<Near> = kept
                .into_sorted_vec()
                .into_iter()
                .take(held)
                .map(|n| Near(self.distance(query, n.1), n.1))
                .collect();
            exact.sort_unstable();
            exact
                .into_iter()
                .take(k)
                .map(|n| (self.outer[n.1 as usize] as usize, n.0))
                .collect()
        })
    }

    /// The greedy descent from the top layer's entry to the node nearest
    /// `query` in layer 1, where the beam search starts.
    fn descend(&self, query: &[f32]) -> Near {
        let mut here = Near(self.estimate(query, self.entry), self.entry);
        for layer in (1..=self.top).rev() {
            loop {
                let mut moved = false;
                for &nb in self.neighbours(here.1, layer) {
                    let d = self.estimate(query, nb);
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
        here
    }
}

/// Each row of `matrix` as 8-bit codes and the step one code stands for:
/// the row's largest magnitude over 127, so every row uses the whole range
/// (a zero row gets step 0).
fn quantize(matrix: &[f32], dimension: usize) -> (Vec<i8>, Vec<f32>) {
    let mut codes = vec![0i8; matrix.len()];
    let steps: Vec<f32> = codes
        .par_chunks_mut(dimension.max(1))
        .zip(matrix.par_chunks(dimension.max(1)))
        .map(|(codes, row)| {
            let largest = row.iter().fold(0f32, |m, x| m.max(x.abs()));
            if largest == 0.0 {
                return 0.0;
            }
            let scale = 127.0 / largest;
            for (c, x) in codes.iter_mut().zip(row) {
                *c = (x * scale).round().clamp(-127.0, 127.0) as i8;
            }
            largest / 127.0
        })
        .collect();
    (codes, steps)
}

/// A bottom-layer neighbour list thinned by HNSW's heuristic, relaxed as in
/// DiskANN: nearest first, a neighbour is kept unless one already kept is
/// more than [`SPREAD`] times nearer to it than the node is.
fn diverse<'v>(
    node: &[f32],
    list: Vec<u32>,
    vector: &impl Fn(usize) -> Option<&'v [f32]>,
) -> Vec<u32> {
    let mut near: Vec<(f32, u32, &[f32])> = list
        .into_iter()
        .filter_map(|e| {
            let v = vector(e as usize)?;
            Some((1.0 - dot(node, v), e, v))
        })
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut kept: Vec<(f32, u32, &[f32])> = Vec::with_capacity(near.len());
    for c in near {
        if kept.iter().all(|k| SPREAD * (1.0 - dot(c.2, k.2)) > c.0) {
            kept.push(c);
        }
    }
    kept.into_iter().map(|k| k.1).collect()
}

/// Entry numbers in walk order: breadth-first from `entry` over the bottom
/// layer, then the graph's nodes no path reaches, then the rest.
fn walk_order(entry: u32, lists: &[Vec<u32>], in_graph: &[bool]) -> Vec<u32> {
    let n = lists.len();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut queue = VecDeque::new();
    let mut visit = |start: u32, order: &mut Vec<u32>, placed: &mut Vec<bool>| {
        if std::mem::replace(&mut placed[start as usize], true) {
            return;
        }
        queue.push_back(start);
        while let Some(e) = queue.pop_front() {
            order.push(e);
            for &nb in &lists[e as usize] {
                if !std::mem::replace(&mut placed[nb as usize], true) {
                    queue.push_back(nb);
                }
            }
        }
    };
    visit(entry, &mut order, &mut placed);
    for e in 0..n as u32 {
        if in_graph[e as usize] {
            visit(e, &mut order, &mut placed);
        }
    }
    order.extend((0..n as u32).filter(|&e| !placed[e as usize]));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(x: f32, y: f32) -> Vec<f32> {
        let n = (x * x + y * y).sqrt();
        vec![x / n, y / n]
    }

    #[test]
    fn thinning_drops_a_neighbour_shadowed_by_a_nearer_one() {
        // Node 0 looks along x. Node 1 is its nearest; node 2 lies just
        // past node 1 (far nearer to 1 than to 0), so it goes; node 3 is as
        // far as node 2 but on the other side, so it stays.
        let vectors = [
            unit(1.0, 0.0),
            unit(1.0, 0.3),
            unit(1.0, 0.6),
            unit(1.0, -0.6),
        ];
        let kept = diverse(&vectors[0], vec![3, 2, 1], &|e: usize| {
            vectors.get(e).map(Vec::as_slice)
        });
        assert_eq!(kept, vec![1, 3]);
    }

    #[test]
    fn codes_give_each_row_its_own_step() {
        let matrix = [0.5, -0.25, 0.0, 0.0, 0.0, 0.0, 0.1, 0.2, -0.4];
        let (codes, steps) = quantize(&matrix, 3);
        assert_eq!(codes, [127, -64, 0, 0, 0, 0, 32, 64, -127]);
        assert_eq!(steps, [0.5 / 127.0, 0.0, 0.4 / 127.0]);
        for (w, row) in matrix.chunks(3).enumerate() {
            for (c, x) in codes[w * 3..w * 3 + 3].iter().zip(row) {
                assert!((f32::from(*c) * steps[w] - x).abs() <= steps[w] / 2.0 + 1e-7);
            }
        }
    }

    #[test]
    fn walk_order_is_a_permutation_starting_breadth_first() {
        let lists = vec![vec![2], vec![], vec![0, 3], vec![2], vec![], vec![4]];
        let in_graph = [true, true, true, true, false, true];
        let order = walk_order(2, &lists, &in_graph);
        assert_eq!(order, vec![2, 0, 3, 1, 5, 4]);
    }
}
