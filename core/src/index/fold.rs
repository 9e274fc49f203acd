//! Folding of a ranking: the pieces of one block, and copies of one block
//! or section in other files, become one hit that lists their places.

use std::collections::HashSet;

use super::prior::is_copy;
use crate::chunk::{Chunk, Language};
use crate::terms::for_each_term;

/// Two chunks with the same address or heading are copies when this share
/// of their distinct terms is common to both (Jaccard): generated
/// per-module wrappers differ in a port or a name, a re-exported output
/// in its description.
const SAME: f32 = 0.5;

/// A group of chunks the ranking shows as one hit.
pub(super) struct Group {
    /// Indexes into the ranking, in ranking order.
    pub members: Vec<usize>,
    /// The first member's distinct terms, found once a chunk of another
    /// file with its address or heading asks: most groups never need them.
    terms: Option<HashSet<String>>,
}

impl Group {
    /// The member that stands for the group: a definition rather than a
    /// copy ([`super::prior::is_copy`]), then the one nearest the root of
    /// its repository (a root module's variable, not the same variable of
    /// the submodule it passes it to), then the best-ranked.
    pub fn head(&self, ranked: &[&Chunk]) -> usize {
        let key = |&i: &usize| {
            let path = &ranked[i].path;
            (is_copy(path), path.matches(['/', '\\']).count(), i)
        };
        self.members.iter().copied().min_by_key(key).unwrap_or(0)
    }
}

/// Walks `ranked` (best first) and groups it, stopping once `k` groups are
/// complete as far as the walk can tell: a later chunk may still join an
/// earlier group, so the walk reads the whole candidate list.
///
/// A chunk `whole` denies is known only by its outline (id, path,
/// language, block type, address). When the groups depend on its text,
/// or it belongs to one of them (which shows its lines, or all of it),
/// the fold fails with the indexes of every such chunk: the caller reads
/// them whole and folds again.
pub(super) fn fold(
    ranked: &[&Chunk],
    whole: &dyn Fn(usize) -> bool,
    k: usize,
) -> Result<Vec<Group>, Vec<usize>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut needed: Vec<usize> = Vec::new();
    for (i, chunk) in ranked.iter().enumerate() {
        let mut terms: Option<HashSet<String>> = None;
        let open = groups.len() < k;
        let home = groups.iter_mut().position(|g| {
            let first = ranked[g.members[0]];
            if !related(first, chunk) {
                return false;
            }
            if first.path == chunk.path {
                return true;
            }
            let unread: Vec<usize> = [g.members[0], i]
                .into_iter()
                .filter(|&j| !whole(j))
                .collect();
            if !unread.is_empty() {
                // Taken for different until read.
                needed.extend(unread);
                return false;
            }
            let mine = terms.get_or_insert_with(|| term_set(&chunk.text));
            let theirs = g.terms.get_or_insert_with(|| term_set(&first.text));
            jaccard(theirs, mine) >= SAME
        });
        match home {
            Some(g) => groups[g].members.push(i),
            None if open => groups.push(Group {
                members: vec![i],
                terms,
            }),
            None => {}
        }
    }
    needed.extend(
        groups
            .iter()
            .flat_map(|g| &g.members)
            .copied()
            .filter(|&i| !whole(i)),
    );
    if needed.is_empty() {
        return Ok(groups);
    }
    needed.sort_unstable();
    needed.dedup();
    Err(needed)
}

/// Whether two chunks could be the same block or section: one address (in
/// one file, pieces of one block), or one Markdown heading path.
fn related(a: &Chunk, b: &Chunk) -> bool {
    match (&a.address, &b.address) {
        (Some(x), Some(y)) => x == y && a.block_type == b.block_type,
        (None, None) => {
            a.language == Language::Markdown
                && b.language == Language::Markdown
                && !a.heading_path.is_empty()
                && a.heading_path.last() == b.heading_path.last()
                && (a.path != b.path || a.heading_path == b.heading_path)
        }
        _ => false,
    }
}

fn term_set(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for_each_term(text, |t, _| {
        out.insert(t.to_string());
    });
    out
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let common = a.intersection(b).count();
    let union = a.len() + b.len() - common;
    if union == 0 {
        1.0
    } else {
        common as f32 / union as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{ChunkConfig, Chunker};

    fn chunk(path: &str, text: &str) -> Chunk {
        let chunker = Chunker::new(ChunkConfig::new(400)).unwrap();
        chunker.chunk_file(path, text).remove(0)
    }

    #[test]
    fn copies_fold_and_different_blocks_do_not() {
        let a = chunk(
            "sg/modules/https-443/main.tf",
            "module \"sg\" {\n  source = \"../../\"\n  name = var.name\n  ingress_rules = [\"https-443-tcp\"]\n  vpc_id = var.vpc_id\n}\n",
        );
        let b = chunk(
            "sg/modules/http-80/main.tf",
            "module \"sg\" {\n  source = \"../../\"\n  name = var.name\n  ingress_rules = [\"http-80-tcp\"]\n  vpc_id = var.vpc_id\n}\n",
        );
        let c = chunk(
            "sg/modules/ssh/main.tf",
            "module \"sg\" {\n  source = \"git::https://example.com/other\"\n  description = \"something else entirely with many words\"\n}\n",
        );
        let d = chunk(
            "sg/main.tf",
            "resource \"aws_security_group\" \"this\" {\n  name = var.name\n  vpc_id = var.vpc_id\n}\n",
        );
        let ranked = [&b, &d, &a, &c];
        let all = |_: usize| true;
        let groups = fold(&ranked, &all, 10).unwrap();
        assert_eq!(groups[0].head(&ranked), 0);
        let members: Vec<&[usize]> = groups.iter().map(|g| g.members.as_slice()).collect();
        assert_eq!(members, vec![&[0, 2][..], &[1], &[3]]);
        assert_eq!(fold(&ranked, &all, 1).unwrap()[0].members, vec![0, 2]);
        // Pieces of one block fold whatever their text; of two copies, the
        // one nearer the root stands for both.
        let root = chunk(
            "sg/variables.tf",
            "variable \"name\" {\n  type = string\n}\n",
        );
        let nested = chunk(
            "sg/modules/ssh/variables.tf",
            "variable \"name\" {\n  type = string\n}\n",
        );
        let ranked = [&nested, &root];
        assert_eq!(fold(&ranked, &all, 10).unwrap()[0].head(&ranked), 1);
    }

    #[test]
    fn a_fold_asks_for_the_outlines_it_compares_or_shows() {
        let a = chunk(
            "sg/modules/https-443/main.tf",
            "module \"sg\" {\n  source = \"../../\"\n  ingress_rules = [\"https-443-tcp\"]\n}\n",
        );
        let b = chunk(
            "sg/modules/http-80/main.tf",
            "module \"sg\" {\n  source = \"../../\"\n  ingress_rules = [\"http-80-tcp\"]\n}\n",
        );
        let d = chunk(
            "sg/main.tf",
            "resource \"aws_security_group\" \"this\" {\n  name = var.name\n}\n",
        );
        let ranked = [&b, &d, &a];
        let all_but = |unread: usize| move |i: usize| i != unread;
        // A copy in another file is compared by its text: both must be read.
        assert_eq!(fold(&ranked, &all_but(2), 10).err(), Some(vec![2]));
        assert_eq!(fold(&ranked, &all_but(0), 10).err(), Some(vec![0]));
        // A chunk that joins no group and starts none shown is left unread;
        // one that starts a group shown must be read.
        let groups = fold(&ranked, &all_but(1), 1).unwrap();
        assert_eq!(groups[0].members, vec![0, 2]);
        assert_eq!(fold(&ranked, &all_but(1), 10).err(), Some(vec![1]));
    }
}
