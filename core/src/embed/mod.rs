//! Text to vectors for similarity search: the [`Embedder`] trait,
//! [`Hashing`] (an offline default that needs no model and knows code) and
//! [`HttpEmbedder`] (OpenAI-compatible endpoints).
//!
//! Indexes record [`Embedder::model`] beside the vectors, so vectors from
//! different models never mix.

#[cfg(feature = "candle")]
mod bert;
mod hashing;
mod http;

#[cfg(feature = "candle")]
pub use bert::Bert;
pub use hashing::Hashing;
pub use http::{HttpEmbedder, HttpEmbedderBuilder};

use crate::error::Result;

/// Turns texts into vectors of a fixed dimension. Implementations are shared
/// across threads by ingestion.
pub trait Embedder: Send + Sync {
    /// A stable id of the model and every setting that changes its vectors,
    /// e.g. `infrarag-hashing-v1-384` or `text-embedding-3-small`.
    fn model(&self) -> &str;

    /// The length of every vector.
    fn dimension(&self) -> usize;

    /// One vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;

    /// How many texts one `embed` call should carry; callers batch by it.
    fn batch_size(&self) -> usize {
        64
    }

    /// How much a hybrid search counts this embedder's two rankings (code
    /// and summary vectors) against BM25's, which counts 1: a model that
    /// knows meaning counts fully (the default); [`Hashing`], which
    /// matches spelling, only breaks BM25's near-ties.
    fn fusion_weight(&self) -> f32 {
        1.0
    }
}

/// Scales `v` to unit length; a zero vector stays zero.
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
