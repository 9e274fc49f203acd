//! BM25F over code-aware terms ([`crate::terms`]), words and identifier
//! parts stemmed: an inverted index of documents in numbered slots, each
//! document a few fields that count with their own weights.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use rust_stemmers::{Algorithm, Stemmer};

use crate::terms::{for_each_term, TermKind};

/// BM25's term-frequency saturation and length normalisation, at the
/// values Lucene and bm25s use.
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Calls `emit` with the index terms of `text`: English (Snowball) stems of
/// words and identifier parts, so a question about `encrypting` finds
/// `encryption`; whole identifiers as they are, so an exact name scores
/// higher still. With `questions`, words that carry no subject of their
/// own (`which`, `the`, `should`) are left out.
fn for_each_index_term(stemmer: &Stemmer, text: &str, questions: bool, mut emit: impl FnMut(&str)) {
    STEMS.with_borrow_mut(|stems| {
        if stems.len() > STEMS_HELD {
            stems.clear();
        }
        for_each_term(text, |term, kind| match kind {
            TermKind::Compound => emit(term),
            TermKind::Word if questions && is_stopword(term) => {}
            TermKind::Word | TermKind::Part => match stems.get(term) {
                Some(stem) => emit(stem),
                None => {
                    let stem: Box<str> = stemmer.stem(term).into();
                    emit(&stem);
                    stems.insert(term.into(), stem);
                }
            },
        });
    });
}

/// English function words, as questions to a search use them. Indexed
/// text keeps them (its lengths stay BM25's); a query drops them, since
/// in one-line variable descriptions "the" or "which" outweighs the subject.
fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// Sorted, for [`is_stopword`].
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "an", "and", "any", "are", "as", "at", "be", "before", "being",
    "but", "by", "can", "could", "did", "do", "does", "doing", "each", "every", "for", "from",
    "get", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "itself",
    "just", "let", "like", "make", "may", "me", "might", "must", "my", "need", "needs", "no",
    "not", "of", "on", "only", "or", "other", "our", "out", "own", "same", "set", "should", "so",
    "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "up", "use", "want", "was", "we", "were", "what", "when", "where",
    "which", "while", "who", "why", "will", "with", "would", "you", "your",
];

/// How many words' stems a thread remembers before starting afresh.
const STEMS_HELD: usize = 100_000;

thread_local! {
    /// Stems by word, per thread: code repeats a few thousand words over
    /// and over, and Snowball took a third of the time an index spent
    /// reopening.
    static STEMS: std::cell::RefCell<HashMap<Box<str>, Box<str>, RandomState>> =
        std::cell::RefCell::new(HashMap::default());
}

/// A document's weighted length in index terms, and each term with its
/// weighted frequency.
type Terms = (f32, Vec<(String, f32)>);

/// The index terms of a document's fields, each occurrence counting its
/// field's weight.
fn count(stemmer: &Stemmer, fields: &[(String, f32)]) -> Terms {
    let mut counts: HashMap<String, f32, RandomState> = HashMap::default();
    let mut len = 0f32;
    for (text, weight) in fields {
        for_each_index_term(stemmer, text, false, |term| {
            len += weight;
            match counts.get_mut(term) {
                Some(n) => *n += weight,
                None => {
                    counts.insert(term.to_string(), *weight);
                }
            }
        });
    }
    (len, counts.into_iter().collect())
}

thread_local! {
    /// A stemmer per thread, for the terms of a store that searches its own
    /// chunks.
    static STEMMER: Stemmer = Stemmer::create(Algorithm::English);
}

/// A chunk's weighted length and its terms with their weighted
/// frequencies, as [`Lexical`] counts them.
pub(super) fn chunk_terms(chunk: &crate::chunk::Chunk) -> (f32, Vec<(String, f32)>) {
    STEMMER.with(|stemmer| count(stemmer, &super::fields::of(chunk)))
}

/// The distinct index terms of a question, in order, as [`Lexical::search`]
/// scores them.
pub(super) fn query_terms(query: &str) -> Vec<String> {
    STEMMER.with(|stemmer| {
        let mut out: Vec<String> = Vec::new();
        for_each_index_term(stemmer, query, true, |term| {
            if !out.iter().any(|t| t == term) {
                out.push(term.to_string());
            }
        });
        out
    })
}

/// BM25's `k1` and `b`.
pub(super) const BM25: (f32, f32) = (K1, B);

/// BM25's collection figures, for scoring postings read elsewhere exactly
/// as [`Lexical::search`] scores its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bm25 {
    n: f32,
    avg: f32,
}

impl Bm25 {
    /// `chunks` documents whose weighted lengths sum to `total_len`.
    pub(crate) fn new(chunks: usize, total_len: f64) -> Self {
        Bm25 {
            n: chunks as f32,
            avg: (total_len / chunks.max(1) as f64) as f32,
        }
    }

    /// The inverse document frequency of a term in `df` documents.
    pub(crate) fn idf(self, df: usize) -> f32 {
        let df = df as f32;
        (1.0 + (self.n - df + 0.5) / (df + 0.5)).ln()
    }

    /// What a term of inverse frequency `idf`, counted `tf` times in a
    /// document of weighted length `len`, adds to its score.
    pub(crate) fn term(self, idf: f32, tf: f32, len: f32) -> f32 {
        let norm = K1 * (1.0 - B + B * len / self.avg);
        idf * tf * (K1 + 1.0) / (tf + norm)
    }
}

/// An inverted index from term to `(slot, weighted frequency)`.
pub(crate) struct Lexical {
    stemmer: Stemmer,
    /// foldhash: std's SipHash was a sixth of the time spent reopening.
    term_ids: HashMap<String, u32, RandomState>,
    postings: Vec<Vec<(u32, f32)>>,
    /// Per slot: its weighted length in terms and its distinct term ids;
    /// `None` once removed or never used.
    docs: Vec<Option<(f32, Vec<u32>)>>,
    total_len: f64,
    live: usize,
}

impl Default for Lexical {
    fn default() -> Self {
        Lexical {
            stemmer: Stemmer::create(Algorithm::English),
            term_ids: HashMap::default(),
            postings: Vec::new(),
            docs: Vec::new(),
            total_len: 0.0,
            live: 0,
        }
    }
}

impl Lexical {
    /// Indexes many documents, each `(text, weight)` fields, under free
    /// slots, finding their terms in parallel.
    pub fn insert_many(&mut self, docs: &[(u32, Vec<(String, f32)>)]) {
        use rayon::prelude::*;
        let stemmer = &self.stemmer;
        let counted: Vec<(u32, Terms)> = docs
            .par_iter()
            .map(|(slot, fields)| (*slot, count(stemmer, fields)))
            .collect();
        for (slot, (len, terms)) in counted {
            self.add(slot, len, terms);
        }
    }

    fn add(&mut self, slot: u32, len: f32, terms: Vec<(String, f32)>) {
        let mut ids: Vec<(u32, f32)> = terms
            .into_iter()
            .map(|(term, n)| {
                let id = match self.term_ids.get(&term) {
                    Some(&id) => id,
                    None => {
                        let id = self.term_ids.len() as u32;
                        self.term_ids.insert(term, id);
                        self.postings.push(Vec::new());
                        id
                    }
                };
                (id, n)
            })
            .collect();
        ids.sort_unstable_by_key(|&(id, _)| id);
        for &(id, n) in &ids {
            self.postings[id as usize].push((slot, n));
        }
        let slot = slot as usize;
        if self.docs.len() <= slot {
            self.docs.resize(slot + 1, None);
        }
        self.docs[slot] = Some((len, ids.into_iter().map(|(id, _)| id).collect()));
        self.total_len += f64::from(len);
        self.live += 1;
    }

    /// Forgets `slot`; a free slot is left alone.
    pub fn remove(&mut self, slot: u32) {
        let Some((len, ids)) = self.docs.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        for id in ids {
            self.postings[id as usize].retain(|&(s, _)| s != slot);
        }
        self.total_len -= f64::from(len);
        self.live -= 1;
    }

    /// The `k` best slots for `query`, best first (equal scores in `tie`'s
    /// order), with their BM25 scores times `weight` of the slot; a slot
    /// weighing nothing is left out, and only slots sharing a term with the
    /// query score.
    pub fn search(
        &self,
        query: &str,
        k: usize,
        weight: &dyn Fn(u32) -> f32,
        tie: &dyn Fn(u32, u32) -> std::cmp::Ordering,
    ) -> Vec<(u32, f32)> {
        if self.live == 0 || k == 0 {
            return Vec::new();
        }
        let bm25 = Bm25::new(self.live, self.total_len);
        let mut scores: HashMap<u32, f32> = HashMap::new();
        let mut seen: Vec<u32> = Vec::new();
        for_each_index_term(&self.stemmer, query, true, |term| {
            let Some(&id) = self.term_ids.get(term) else {
                return;
            };
            if seen.contains(&id) {
                return;
            }
            seen.push(id);
            let postings = &self.postings[id as usize];
            let idf = bm25.idf(postings.len());
            for &(slot, tf) in postings {
                let Some((len, _)) = &self.docs[slot as usize] else {
                    continue;
                };
                *scores.entry(slot).or_default() += bm25.term(idf, tf, *len);
            }
        });
        let mut hits: Vec<(u32, f32)> = scores
            .into_iter()
            .filter_map(|(s, x)| {
                let w = weight(s);
                (w > 0.0).then_some((s, x * w))
            })
            .collect();
        crate::store::top_k_by(&mut hits, k, |&a, &b| tie(a, b));
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_the_formula() {
        let mut ix = Lexical::default();
        let one = |text: &str| vec![(text.to_string(), 1.0)];
        ix.insert_many(&[
            (0, one("kms key")),
            (1, one("bucket bucket logs")),
            (2, one("dns record")),
        ]);
        let hits = ix.search("bucket", 10, &|_| 1.0, &|a: u32, b: u32| a.cmp(&b));
        assert_eq!(hits.len(), 1);
        // n = 3, df = 1, tf = 2, |d| = 3, avgdl = 7/3.
        let idf = (1.0f32 + (3.0 - 1.0 + 0.5) / 1.5).ln();
        let norm = K1 * (1.0 - B + B * 3.0 / (7.0 / 3.0));
        let want = idf * 2.0 * (K1 + 1.0) / (2.0 + norm);
        assert_eq!(hits[0].0, 1);
        assert!((hits[0].1 - want).abs() < 1e-6);
        assert_eq!(
            ix.search(
                "which bucket is the one",
                10,
                &|_| 1.0,
                &|a: u32, b: u32| a.cmp(&b)
            ),
            hits,
            "function words of a question add nothing"
        );
        ix.remove(1);
        assert!(ix
            .search("bucket", 10, &|_| 1.0, &|a: u32, b: u32| a.cmp(&b))
            .is_empty());
        assert_eq!(
            ix.search(
                "KMS",
                10,
                &|s| if s == 0 { 0.0 } else { 1.0 },
                &|a: u32, b: u32| a.cmp(&b)
            ),
            vec![]
        );
        assert_eq!(
            ix.search("KMS", 10, &|_| 1.0, &|a: u32, b: u32| a.cmp(&b))[0].0,
            0
        );
    }
}

#[cfg(test)]
mod fields {
    use super::*;

    #[test]
    fn a_field_counts_with_its_weight() {
        let mut ix = Lexical::default();
        // The same words, in a field of weight 2 or twice in one of weight 1:
        // BM25F makes them the same document.
        ix.insert_many(&[
            (0, vec![("queue".into(), 2.0), ("dead letter".into(), 1.0)]),
            (1, vec![("queue queue dead letter".into(), 1.0)]),
            (2, vec![("topic".into(), 1.0)]),
        ]);
        let hits = ix.search("queue", 10, &|_| 1.0, &|a: u32, b: u32| a.cmp(&b));
        assert_eq!(hits.len(), 2);
        assert!((hits[0].1 - hits[1].1).abs() < 1e-6, "{hits:?}");
        // "topic": n = 3, df = 1, tf = 1, |d| = 1, avgdl = (4 + 4 + 1) / 3.
        let hits = ix.search("topic", 10, &|_| 1.0, &|a: u32, b: u32| a.cmp(&b));
        let idf = (1.0f32 + (3.0 - 1.0 + 0.5) / 1.5).ln();
        let norm = K1 * (1.0 - B + B * 1.0 / 3.0);
        assert!((hits[0].1 - idf * (K1 + 1.0) / (1.0 + norm)).abs() < 1e-6);
    }

    #[test]
    fn stopwords_are_sorted() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }
}
