//! The HNSW graph (hnsw_rs) behind [`super::MemoryVectorStore`]: a cosine
//! distance that cannot panic, and the graph's build settings.

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

pub(crate) type Graph = Hnsw<'static, f32, CosineDistance>;

/// A graph of `items` (vector, number), sized to grow to twice as many.
pub(crate) fn build(items: Vec<(&[f32], usize)>) -> Graph {
    let graph = Hnsw::new(
        LINKS,
        (items.len() * 2).max(1024),
        MAX_LAYERS,
        EF_CONSTRUCTION,
        CosineDistance,
    );
    graph.parallel_insert_slice(&items);
    graph
}
