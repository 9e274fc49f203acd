//! The offline embedder: signed feature hashing of code-aware terms and
//! their character trigrams, so `encrypt` finds `encryption` and
//! `kms_master_key_id` matches a question about KMS keys.

use rayon::prelude::*;

use super::{normalize, Embedder};
use crate::error::{Error, Result};
use crate::terms::{for_each_term, TermKind};

/// Weight of one character trigram relative to a whole term; a word of
/// n characters has n + 1 trigrams, so together they count about as much
/// as the word itself when n is near 4.
const TRIGRAM_WEIGHT: f32 = 0.25;

/// Feature hashing of terms (see [`crate::terms`]) and of the character
/// trigrams of every word and identifier part, with boundary marks
/// (`<bu`, `buc`, …, `et>`). Each feature adds ±weight to one dimension,
/// both chosen by a hash; the sum is square-rooted per dimension, which
/// damps terms repeated through a file, and scaled to unit length.
///
/// Deterministic on every platform; about 40 MB/s per core.
#[derive(Debug, Clone)]
pub struct Hashing {
    dimension: usize,
    model: String,
}

impl Default for Hashing {
    /// 384 dimensions, the size of MiniLM's vectors.
    fn default() -> Self {
        Hashing::new(384).expect("384 is a valid dimension")
    }
}

impl Hashing {
    /// Fails for a dimension under 16, where collisions drown the signal.
    pub fn new(dimension: usize) -> Result<Self> {
        if !(16..=65_536).contains(&dimension) {
            return Err(Error::InvalidArgument {
                name: "dimension".into(),
                message: format!("{dimension} is outside 16..=65536"),
            });
        }
        Ok(Hashing {
            dimension,
            model: format!("infrarag-hashing-v1-{dimension}"),
        })
    }

    /// The unit vector of one text; an empty text gets a fixed one.
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dimension];
        let mut add = |hash: u64, weight: f32| {
            let slot = ((u128::from(hash) * self.dimension as u128) >> 64) as usize;
            v[slot] += if hash & 1 == 0 { weight } else { -weight };
        };
        let mut any = false;
        for_each_term(text, |term, kind| {
            any = true;
            add(mix(fnv(SEED_TERM, term.as_bytes())), 1.0);
            if kind != TermKind::Compound {
                trigrams(term.as_bytes(), |h| add(h, TRIGRAM_WEIGHT));
            }
        });
        if !any {
            add(mix(SEED_TERM), 1.0);
        }
        v.iter_mut().for_each(|x| *x = x.signum() * x.abs().sqrt());
        normalize(&mut v);
        v
    }
}

impl Embedder for Hashing {
    fn model(&self) -> &str {
        &self.model
    }

    /// Trigram vectors find a right block in the top 5 for about a third of
    /// the development questions, where BM25 with provider knowledge finds
    /// one for three fifths; fused at more than a few hundredths they pull
    /// BM25's ranking down (`make bench-retrieval`).
    fn fusion_weight(&self) -> f32 {
        0.02
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.par_iter().map(|t| self.embed_one(t)).collect())
    }

    fn batch_size(&self) -> usize {
        256
    }
}

const SEED_TERM: u64 = 0xcbf2_9ce4_8422_2325;
const SEED_TRIGRAM: u64 = 0x9e37_79b9_7f4a_7c15;

/// FNV-1a from `seed`; fast on the short strings terms are.
fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(seed, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64's finaliser: spreads FNV's weak high bits over all 64.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The hashes of the byte trigrams of `<term>`.
fn trigrams(term: &[u8], mut each: impl FnMut(u64)) {
    let byte = |i: usize| match i {
        0 => b'<',
        i if i <= term.len() => term[i - 1],
        _ => b'>',
    };
    for i in 0..term.len() {
        each(mix(fnv(SEED_TRIGRAM, &[byte(i), byte(i + 1), byte(i + 2)])));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn unit_length_and_deterministic() {
        let e = Hashing::default();
        for text in ["", "   ", "resource \"aws_s3_bucket\" \"logs\" {}", "ü"] {
            let v = e.embed_one(text);
            assert_eq!(v.len(), 384);
            let norm: f32 = v.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-5, "{text:?}: {norm}");
            assert_eq!(v, e.embed_one(text));
        }
    }

    #[test]
    fn shared_stems_and_parts_score_higher() {
        let e = Hashing::default();
        let q = e.embed_one("encrypt bucket with KMS");
        let kms = e.embed_one(
            "server_side_encryption_configuration { kms_master_key_id = aws_kms_key.this.arn }",
        );
        let dns = e.embed_one("resource \"aws_route53_record\" \"www\" { ttl = 300 }");
        assert!(cosine(&q, &kms) > cosine(&q, &dns) + 0.1);
    }

    #[test]
    fn trigrams_cover_the_marked_word() {
        let mut n = 0;
        trigrams(b"ab", |_| n += 1);
        assert_eq!(n, 2);
    }

    #[test]
    fn small_dimensions_are_refused() {
        assert!(matches!(
            Hashing::new(8),
            Err(Error::InvalidArgument { .. })
        ));
    }
}
