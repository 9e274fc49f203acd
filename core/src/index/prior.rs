//! How much a search trusts a chunk before reading it: a module's own code
//! over its examples, tests and wrappers; the blocks that do the work over
//! their inputs and outputs, unless the question asks for those.

use crate::chunk::{Chunk, Language};
use crate::terms::for_each_term;

/// Examples, tests, generated wrappers, changelogs and upgrade guides
/// repeat a module's names without being where it does anything; a query
/// still finds them, a step behind the definitions they copy.
const COPY: f32 = 0.55;
/// A variable, output or local value that shares a question's words is
/// usually a knob of the block asked about, not that block.
const KNOB: f32 = 0.7;
/// A question that asks how or why is answered by documentation more
/// often than by a block.
const PROSE: f32 = 1.25;
/// A request for something ("encrypt the bucket with our key") is
/// answered by the code that does it more often than by prose describing
/// it. On the development questions this moved every rank it changed up
/// (MRR@5 0.43 to 0.49); 0.6 to 0.9 all helped, 0.8 most.
const PROSE_UNASKED: f32 = 0.8;

/// The classes of chunk the prior weighs, as bits of
/// [`crate::index::chunk_classes`]: a copy, a knob (variable, output,
/// locals), prose (Markdown).
pub(super) const COPY_CLASS: u8 = 1;
pub(super) const KNOB_CLASS: u8 = 2;
pub(super) const PROSE_CLASS: u8 = 4;

/// What a query asks for, as far as its words say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Intent {
    /// Names an input, output, variable or setting.
    knobs: bool,
    /// Asks how, why or what, to be explained something, for an example or
    /// for the documentation.
    prose: bool,
}

impl Intent {
    pub(super) fn of(query: &str) -> Intent {
        let mut words: Vec<String> = Vec::new();
        for_each_term(query, |term, _| words.push(term.to_string()));
        let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
        let knobs = has(&[
            "input",
            "inputs",
            "output",
            "outputs",
            "variable",
            "variables",
            "setting",
            "settings",
            "argument",
            "arguments",
        ]);
        let first = words.first().map(String::as_str);
        let prose = !knobs
            && (matches!(
                first,
                Some(
                    "how"
                        | "why"
                        | "what"
                        | "can"
                        | "example"
                        | "is"
                        | "does"
                        | "should"
                        | "explain"
                        | "describe"
                )
            ) || query.trim_end().ends_with('?')
                || has(&[
                    "error",
                    "errors",
                    "difference",
                    "example",
                    "examples",
                    "documentation",
                    "docs",
                    "readme",
                    "faq",
                    "troubleshoot",
                    "troubleshooting",
                ]));
        Intent { knobs, prose }
    }

    /// The factor a chunk's scores are multiplied by for this query.
    pub(super) fn prior(self, chunk: &Chunk) -> f32 {
        self.prior_of(chunk, is_copied(chunk))
    }

    /// [`Intent::prior`], with [`is_copied`] of the chunk known: a search
    /// weighs thousands of chunks, and the index keeps that per chunk.
    pub(super) fn prior_of(self, chunk: &Chunk, copied: bool) -> f32 {
        weigh(classes_of(chunk, copied), self.weights())
    }

    /// The factor of each class for this query: copy, knob, prose.
    pub(super) fn weights(self) -> [f32; 3] {
        [
            COPY,
            if self.knobs { 1.0 } else { KNOB },
            if self.prose { PROSE } else { PROSE_UNASKED },
        ]
    }
}

/// The prior of a chunk in `classes`: the product of their `weights`.
pub(crate) fn weigh(classes: u8, weights: [f32; 3]) -> f32 {
    let mut p = 1.0;
    for (bit, w) in [COPY_CLASS, KNOB_CLASS, PROSE_CLASS]
        .into_iter()
        .zip(weights)
    {
        if classes & bit != 0 {
            p *= w;
        }
    }
    p
}

/// The classes `chunk` is in, [`is_copied`] known.
pub(super) fn classes_of(chunk: &Chunk, copied: bool) -> u8 {
    let mut classes = 0;
    if copied {
        classes |= COPY_CLASS;
    }
    if matches!(
        chunk.block_type.as_deref(),
        Some("variable" | "output" | "locals")
    ) {
        classes |= KNOB_CLASS;
    }
    if chunk.language == Language::Markdown {
        classes |= PROSE_CLASS;
    }
    classes
}

/// Whether a chunk repeats what is defined elsewhere: it lies in a copy
/// ([`is_copy`]) or is a terraform-docs table.
pub(super) fn is_copied(chunk: &Chunk) -> bool {
    is_copy(&chunk.path) || is_reference_table(chunk)
}

/// Whether `path` is a copy or a use of code rather than its definition:
/// under `examples/`, `tests/` or `wrappers/`, or a changelog or an
/// upgrade guide. Only the part after the last `..` counts, so a root
/// given as `tests/../modules` is not a test.
pub(super) fn is_copy(path: &str) -> bool {
    let mut parts = path
        .split(['/', '\\'])
        .rev()
        .take_while(|part| *part != "..");
    let file = parts.next().unwrap_or_default().to_ascii_lowercase();
    if file.starts_with("changelog") || file.starts_with("upgrade") {
        return true;
    }
    parts.any(|dir| {
        matches!(
            dir,
            "examples" | "example" | "tests" | "test" | "wrappers" | "fixtures"
        )
    })
}

/// Whether `chunk` is a section that terraform-docs writes from the code
/// (`## Inputs`, `## Resources`, ...): each row repeats a variable's or a
/// resource's name and description, which the code's own chunks hold.
fn is_reference_table(chunk: &Chunk) -> bool {
    chunk.language == Language::Markdown
        && chunk.heading_path.last().is_some_and(|h| {
            matches!(
                h.trim(),
                "Inputs" | "Outputs" | "Resources" | "Modules" | "Providers" | "Requirements"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_known_by_place() {
        assert!(is_copy("s3/examples/complete/main.tf"));
        assert!(is_copy("vpc/wrappers/main.tf"));
        assert!(is_copy("eks/docs/UPGRADE-20.0.md"));
        assert!(is_copy("eks/CHANGELOG.md"));
        assert!(!is_copy("s3/modules/object/main.tf"));
        assert!(!is_copy("examples.tf"));
        assert!(!is_copy("/repo/tests/../../modules/s3/main.tf"));
        assert!(is_copy("/repo/tests/../../modules/s3/examples/main.tf"));
    }

    #[test]
    fn intent_reads_the_question() {
        let i = Intent::of("Which output lists the IDs of the public subnets?");
        assert!(i.knobs && !i.prose);
        let i = Intent::of("How do I enable EFA for GPU nodes?");
        assert!(!i.knobs && i.prose);
        let i = Intent::of("Encrypt the bucket with a KMS key");
        assert!(!i.knobs && !i.prose);
    }

    #[test]
    fn prose_weighs_more_when_asked_for_and_less_when_code_is() {
        let prose = |q: &str| Intent::of(q).weights()[2];
        assert!(prose("Why do my nodes not join the cluster?") > 1.0);
        assert!(prose("Encrypt the bucket with a KMS key") < 1.0);
        assert_eq!(prose("Why?"), PROSE);
        assert_eq!(prose("Add a second CIDR to the VPC"), PROSE_UNASKED);
        assert_eq!(prose("Explain the node group's launch template"), PROSE);
        assert_eq!(prose("Troubleshooting nodes that never join"), PROSE);
        assert_eq!(prose("Point me to the docs on IPAM pools"), PROSE);
    }
}
