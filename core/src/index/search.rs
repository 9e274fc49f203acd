//! Hybrid search over an [`Index`]: BM25 and the code and summary vectors,
//! each asked for candidates, fused by reciprocal rank.

use std::collections::HashMap;

use super::fold::fold;
use super::prior::Intent;
use super::{citation, Hit, Index, Scores, SearchMode, Signal};
use crate::chunk::{Chunk, ChunkKind};
use crate::error::Result;
use crate::store::{top_k_by, ChunkSearch, Filter, LexicalQuery, Metadata, Place, VectorQuery};

/// Reciprocal rank fusion's damping constant, the value of Cormack et al.
const RRF_K: f32 = 60.0;
/// Each signal contributes this many candidates per hit asked for.
const CANDIDATES_PER_HIT: usize = 4;
const MIN_CANDIDATES: usize = 40;

/// A search's settings as a binding receives them: each `None` keeps
/// [`Search`]'s default.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// How many hits (default 10).
    pub k: Option<usize>,
    /// Which signals (default hybrid).
    pub mode: Option<SearchMode>,
    /// HNSW search breadth (default 64).
    pub ef: Option<usize>,
    /// Which chunks may be returned.
    pub filter: Filter,
}

/// A query; see [`Index::search`].
pub struct Search<'a> {
    index: &'a Index,
    query: &'a str,
    k: usize,
    mode: SearchMode,
    filter: Filter,
    ef: usize,
}

impl<'a> Search<'a> {
    pub(super) fn new(index: &'a Index, query: &'a str) -> Self {
        Search {
            index,
            query,
            k: 10,
            mode: SearchMode::Hybrid,
            filter: Filter::default(),
            ef: 64,
        }
    }

    /// How many hits to return (default 10).
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Which signals to search and fuse (default hybrid).
    pub fn mode(mut self, mode: SearchMode) -> Self {
        self.mode = mode;
        self
    }

    /// Keeps only chunks `filter` accepts.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// HNSW search breadth (default 64): higher finds more of the true
    /// nearest vectors, slower.
    pub fn ef(mut self, ef: usize) -> Self {
        self.ef = ef;
        self
    }

    /// Every setting `options` gives; the others keep their values.
    pub fn options(mut self, options: SearchOptions) -> Self {
        self.k = options.k.unwrap_or(self.k);
        self.mode = options.mode.unwrap_or(self.mode);
        self.ef = options.ef.unwrap_or(self.ef);
        self.filter = options.filter;
        self
    }

    /// The best `k` chunks, best first. Fails only when the embedder does.
    pub fn execute(self) -> Result<Vec<Hit>> {
        let index = self.index;
        if self.k == 0 {
            return Ok(Vec::new());
        }
        let n = self
            .k
            .saturating_mul(CANDIDATES_PER_HIT)
            .max(MIN_CANDIDATES);
        // The store counts its chunks as of the commits this search reads;
        // the index's count may be older (SharedIndex::search).
        if let Some(remote) = index.remote() {
            return self.execute_remote(remote, n);
        }
        if index.is_empty() {
            return Ok(Vec::new());
        }
        let n = n.min(index.len());
        let filter = &self.filter;
        let intent = Intent::of(self.query);
        // The prior of a chunk the filter accepts; 0 for any other.
        let weight = |slot: usize| {
            index.chunks[slot]
                .as_ref()
                .filter(|c| filter.accepts_chunk(c))
                .map_or(0.0, |c| intent.prior_of(c, index.copied[slot]))
        };
        let mut signals: Vec<(Kind, Vec<(usize, f32)>)> = Vec::new();
        if self.mode != SearchMode::Vector {
            let hits = index
                .lexical
                .search(self.query, n, &|s| weight(s as usize), &|a, b| {
                    index.id_order(a as usize, b as usize)
                });
            signals.push((
                Kind::Lexical,
                hits.into_iter().map(|(s, x)| (s as usize, x)).collect(),
            ));
        }
        if self.mode != SearchMode::Lexical {
            for (kind, found) in self.vector_search(n)? {
                // A store's answer is checked against the index: a caller's
                // store may hold ids the index dropped, or filter loosely.
                let mut hits: Vec<(usize, f32)> = found
                    .into_iter()
                    .filter_map(|(id, score)| {
                        let slot = *index.slot_of.get(&id)? as usize;
                        let w = weight(slot);
                        (w > 0.0).then_some((slot, weigh_cosine(score, w)))
                    })
                    .collect();
                top_k_by(&mut hits, n, |&a, &b| index.id_order(a, b));
                signals.push((kind, hits));
            }
        }
        let chunk = |s: usize| index.chunks.get(s).and_then(Option::as_ref);
        // In memory every chunk is whole, so the fold needs none read.
        Ok(fuse(index, &chunk, &|_| true, &signals, self.k).unwrap_or_default())
    }

    /// The `n` nearest chunk ids to the query in the code and in the
    /// summary vectors, with their cosines.
    fn vector_search(&self, n: usize) -> Result<[(Kind, Nearest); 2]> {
        let index = self.index;
        let q = index.embed(&[self.query], |_| Ok(()))?.remove(0);
        let query = self.vector_query(&q, n);
        Ok([
            (Kind::Code, index.code.search(&query)?),
            (Kind::Summary, index.summary.search(&query)?),
        ])
    }

    /// The `n` nearest to `vector` that the filter accepts.
    fn vector_query<'v>(&'v self, vector: &'v [f32], n: usize) -> VectorQuery<'v> {
        VectorQuery {
            vector,
            k: n,
            ef: self.ef.max(n),
            filter: &self.filter,
        }
    }

    /// [`execute`](Self::execute) on a store that searches its own chunks:
    /// only the candidates each signal names are read from it, in one go
    /// when it holds the vectors too ([`ChunkSearch::hybrid`]).
    fn execute_remote(self, remote: &dyn ChunkSearch, n: usize) -> Result<Vec<Hit>> {
        let index = self.index;
        let intent = Intent::of(self.query);
        let terms = super::lexical::query_terms(self.query);
        let lexical = LexicalQuery {
            terms: &terms,
            k: n,
            filter: &self.filter,
            class_weights: intent.weights(),
        };
        let mut pool = Pool::default();
        let mut signals: Vec<(Kind, Vec<(usize, f32)>)> = Vec::new();
        let hybrid = self.mode == SearchMode::Hybrid;
        let together = self
            .places()
            .is_some_and(|places| remote.vector_places() == Some(places));
        let bm25 = |pool: &mut Pool| -> Result<Vec<(usize, f32)>> {
            Ok(pool.ranked(remote.lexical(&lexical)?, n))
        };
        let found = match self.mode {
            SearchMode::Lexical => {
                signals.push((Kind::Lexical, bm25(&mut pool)?));
                None
            }
            _ if together => {
                let q = index.embed(&[self.query], |_| Ok(()))?.remove(0);
                let lexical = LexicalQuery {
                    terms: if hybrid { &terms } else { &[] },
                    ..lexical
                };
                let found = remote.hybrid(&lexical, &self.vector_query(&q, n))?;
                if hybrid {
                    signals.push((Kind::Lexical, pool.ranked(found.lexical, n)));
                }
                for chunk in found.chunks {
                    pool.add(chunk);
                }
                for (id, metadata) in found.outlines {
                    pool.add_outline(id, metadata);
                }
                Some([(Kind::Code, found.code), (Kind::Summary, found.summary)])
            }
            _ => {
                if hybrid {
                    signals.push((Kind::Lexical, bm25(&mut pool)?));
                }
                let found = self.vector_search(n)?;
                let missing: Vec<String> = found
                    .iter()
                    .flat_map(|(_, hits)| hits)
                    .filter(|(id, _)| !pool.keys.contains_key(id))
                    .map(|(id, _)| id.clone())
                    .collect();
                for chunk in remote.chunks(&missing)? {
                    pool.add(chunk);
                }
                Some(found)
            }
        };
        for (kind, found) in found.into_iter().flatten() {
            let mut hits: Vec<(usize, f32)> = found
                .into_iter()
                .filter_map(|(id, score)| {
                    let key = *pool.keys.get(&id)?;
                    let chunk = &pool.chunks[key];
                    if !self.filter.accepts_chunk(chunk) {
                        return None;
                    }
                    Some((key, weigh_cosine(score, intent.prior(chunk))))
                })
                .collect();
            top_k_by(&mut hits, n, |&a, &b| pool.id_order(a, b));
            signals.push((kind, hits));
        }
        loop {
            let chunk = |key: usize| pool.chunks.get(key);
            let whole = |key: usize| pool.whole[key];
            let needed = match fuse(index, &chunk, &whole, &signals, self.k) {
                Ok(hits) => return Ok(hits),
                Err(needed) => needed,
            };
            let ids: Vec<String> = needed.iter().map(|&k| pool.chunks[k].id.clone()).collect();
            for chunk in remote.chunks(&ids)? {
                pool.complete(chunk);
            }
            // A chunk a commit deleted since the search is dropped, as a
            // vector hit whose chunk is gone always was.
            let gone: Vec<usize> = needed.into_iter().filter(|&k| !pool.whole[k]).collect();
            if !gone.is_empty() {
                for (_, hits) in &mut signals {
                    hits.retain(|(key, _)| !gone.contains(key));
                }
            }
        }
    }

    /// Where the index's code and summary vectors are kept, when both
    /// stores say.
    fn places(&self) -> Option<[Place; 2]> {
        Some([self.index.code.place()?, self.index.summary.place()?])
    }
}

/// A cosine weighed by a prior `w` (> 0): a lower prior moves any cosine
/// down, negative ones too.
fn weigh_cosine(score: f32, w: f32) -> f32 {
    if score >= 0.0 {
        score * w
    } else {
        score / w
    }
}

/// Chunk ids with their cosines, nearest first.
type Nearest = Vec<(String, f32)>;

/// The chunks a search over a store has read, by key, whole or in
/// outline ([`Hybrid::outlines`](crate::store::Hybrid::outlines)).
#[derive(Default)]
struct Pool {
    chunks: Vec<Chunk>,
    whole: Vec<bool>,
    keys: HashMap<String, usize>,
}

impl Pool {
    fn add(&mut self, chunk: Chunk) -> usize {
        if let Some(&key) = self.keys.get(&chunk.id) {
            return key;
        }
        self.keys.insert(chunk.id.clone(), self.chunks.len());
        self.chunks.push(chunk);
        self.whole.push(true);
        self.chunks.len() - 1
    }

    /// A chunk known by its vector's metadata alone: every field the
    /// filter and the prior read, the rest empty until [`Pool::complete`].
    fn add_outline(&mut self, id: String, metadata: Metadata) {
        if self.keys.contains_key(&id) {
            return;
        }
        let key = self.add(Chunk {
            id,
            path: metadata.path,
            language: metadata.language,
            kind: ChunkKind::Block,
            text: String::new(),
            block_type: metadata.block_type,
            labels: Vec::new(),
            address: metadata.address,
            heading_path: Vec::new(),
            part: 1,
            parts: 1,
            start_line: 0,
            end_line: 0,
            start_byte: 0,
            end_byte: 0,
            token_count: 0,
            content_hash: String::new(),
            summary: String::new(),
        });
        self.whole[key] = false;
    }

    /// Puts a whole chunk in place of its outline.
    fn complete(&mut self, chunk: Chunk) {
        if let Some(&key) = self.keys.get(&chunk.id) {
            self.chunks[key] = chunk;
            self.whole[key] = true;
        }
    }

    fn id_order(&self, a: usize, b: usize) -> std::cmp::Ordering {
        self.chunks[a].id.cmp(&self.chunks[b].id)
    }

    /// A store's best `n` of `found`, added to the pool, by key.
    fn ranked(&mut self, found: Vec<(Chunk, f32)>, n: usize) -> Vec<(usize, f32)> {
        let mut hits: Vec<(usize, f32)> = found
            .into_iter()
            .map(|(chunk, score)| (self.add(chunk), score))
            .collect();
        top_k_by(&mut hits, n, |&a, &b| self.id_order(a, b));
        hits
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Lexical,
    Code,
    Summary,
}

/// Reciprocal rank fusion of the signals' rankings, the vector signals
/// counting the embedder's [`fusion_weight`](crate::embed::Embedder::fusion_weight);
/// one signal keeps its own scores. Ties go to the lower
/// chunk id, so results are the same however the index was filled. The
/// ranking is then folded ([`super::fold`]): pieces and copies of one
/// block become one hit. Fails with the slots of the chunks `whole`
/// denies that the fold needs read.
fn fuse<'c>(
    index: &Index,
    chunk: &dyn Fn(usize) -> Option<&'c Chunk>,
    whole: &dyn Fn(usize) -> bool,
    signals: &[(Kind, Vec<(usize, f32)>)],
    k: usize,
) -> std::result::Result<Vec<Hit>, Vec<usize>> {
    let vectors = index.embedder.fusion_weight();
    let mut merged: HashMap<usize, (f32, Scores)> = HashMap::new();
    for (kind, hits) in signals {
        // Equal scores share the rank of the first of them: the order
        // among them is only the tie-break by id, which says nothing of
        // relevance and must not outweigh the other signals.
        let mut shared = 0;
        for (i, &(slot, score)) in hits.iter().enumerate() {
            if i > 0 && score != hits[i - 1].1 {
                shared = i;
            }
            let rank0 = shared;
            let entry = merged.entry(slot).or_default();
            entry.0 += match signals.len() {
                1 => score,
                _ => {
                    let weight = match kind {
                        Kind::Lexical => 1.0,
                        Kind::Code | Kind::Summary => vectors,
                    };
                    weight / (RRF_K + rank0 as f32 + 1.0)
                }
            };
            let signal = Some(Signal {
                score,
                rank: rank0 + 1,
            });
            match kind {
                Kind::Lexical => entry.1.lexical = signal,
                Kind::Code => entry.1.code = signal,
                Kind::Summary => entry.1.summary = signal,
            }
        }
    }
    let mut ranked: Vec<(usize, f32)> = merged
        .iter()
        .filter(|(&s, _)| chunk(s).is_some())
        .map(|(&s, (x, _))| (s, *x))
        .collect();
    let all = ranked.len();
    let id = |s: usize| chunk(s).map(|c| c.id.as_str());
    top_k_by(&mut ranked, all, |&a, &b| id(a).cmp(&id(b)));
    let chunks: Vec<&Chunk> = ranked.iter().filter_map(|&(s, _)| chunk(s)).collect();
    let groups = fold(&chunks, &|i| whole(ranked[i].0), k)
        .map_err(|needed| needed.into_iter().map(|i| ranked[i].0).collect::<Vec<_>>())?;
    Ok(groups
        .into_iter()
        .filter_map(|group| {
            let head = group.head(&chunks);
            // The group ranks where its best member does.
            let score = ranked[group.members[0]].1;
            let slot = ranked[head].0;
            let places = group
                .members
                .iter()
                .filter(|&&i| i != head)
                .map(|&i| citation(chunks[i]))
                .collect();
            Some(Hit {
                chunk: chunks[head].clone(),
                score,
                scores: merged.remove(&slot)?.1,
                places,
            })
        })
        .collect())
}
