//! The mistakes a model makes most in resource blocks, seeded one at a
//! time into the corpus's real blocks (module repositories and checkov
//! fixtures): an argument name misspelt, an argument invented, a required
//! argument dropped. Each must be caught: a schema finding in that block
//! that was not there before. Goal: at least 95% of each kind.
//!
//! `INFRARAG_SCHEMA_MUTATIONS` sets how many cases (default 300, run in
//! CI); `INFRARAG_SCHEMA_MUTATION_SEED` the seed; `INFRARAG_SCHEMA_SHOW=N`
//! prints N misses.

use infrarag::hcl::{self, Block, Span};
use infrarag::providers;
use infrarag::terraform::SourceFile;
use infrarag::validate::Validator;
use infrarag_tests::{corpus, env_number as env, files_with_ext, Rng};

const KINDS: [&str; 3] = [
    "misspelt argument",
    "invented argument",
    "dropped required argument",
];

/// Names models invent for arguments, none of them an argument of the
/// types they land in (checked per case).
const INVENTED: [&str; 12] = [
    "bucket_name",
    "encryption_enabled",
    "instance_name",
    "region_name",
    "enable_logging",
    "security_group",
    "subnet",
    "kms_key",
    "public_access",
    "storage_encrypted_at_rest",
    "vpc",
    "resource_tags",
];

const META: [&str; 4] = ["count", "for_each", "provider", "depends_on"];

fn schema_findings_in(text: &str, span: Span) -> usize {
    let report = Validator::new()
        .with_checks(["schema."])
        .check(&[SourceFile::new("main.tf", text)]);
    report
        .findings
        .iter()
        .filter(|f| span.start.byte <= f.span.start.byte && f.span.end.byte <= span.end.byte)
        .count()
}

fn splice(text: &str, at: Span, with: &str) -> String {
    format!("{}{with}{}", &text[..at.start.byte], &text[at.end.byte..])
}

/// A misspelling one or two edits away: two letters swapped, one dropped
/// or one doubled.
fn misspell(name: &str, r: &mut Rng) -> String {
    let chars: Vec<char> = name.chars().collect();
    let i = r.below(chars.len().max(2) - 1);
    let mut out = chars.clone();
    match r.below(3) {
        0 if chars.len() > 1 => out.swap(i, i + 1),
        1 if chars.len() > 2 => {
            out.remove(i);
        }
        _ => out.insert(i, chars[i]),
    }
    out.into_iter().collect()
}

/// The mutated text and the block it changed, or none when the block
/// offers nothing for this kind.
fn mutate(text: &str, block: &Block, kind: usize, r: &mut Rng) -> Option<(String, Span)> {
    let type_name = &block.labels.first()?.value;
    let schema = providers::for_type(type_name)?
        .resource(type_name)?
        .schema();
    let attrs: Vec<_> = block
        .body
        .attributes()
        .filter(|a| !META.contains(&a.name.as_str()) && schema.attributes.contains_key(&a.name))
        .collect();
    let at_block = |t: String, shift: isize| {
        let mut span = block.span;
        span.end.byte = (span.end.byte as isize + shift) as usize;
        Some((t, span))
    };
    match kind {
        0 => {
            let attr = *r.pick(&attrs)?;
            let wrong = misspell(&attr.name, r);
            if schema.attributes.contains_key(&wrong) || schema.blocks.contains_key(&wrong) {
                return None;
            }
            let shift = wrong.len() as isize - attr.name.len() as isize;
            at_block(splice(text, attr.name_span, &wrong), shift)
        }
        1 => {
            let name = *r.pick(&INVENTED)?;
            if schema.attributes.contains_key(name) || schema.blocks.contains_key(name) {
                return None;
            }
            let line = format!("\n  {name} = \"x\"");
            let mut brace = block.open_brace;
            brace.start = brace.end;
            at_block(splice(text, brace, &line), line.len() as isize)
        }
        _ => {
            let required: Vec<_> = attrs
                .iter()
                .filter(|a| schema.attributes[&a.name].required)
                .collect();
            let attr = **r.pick(&required)?;
            let shift = -((attr.span.end.byte - attr.span.start.byte) as isize);
            at_block(splice(text, attr.span, ""), shift)
        }
    }
}

#[test]
fn seeded_argument_mistakes_are_caught() {
    let count = env("INFRARAG_SCHEMA_MUTATIONS", 300) as usize;
    let seed = env("INFRARAG_SCHEMA_MUTATION_SEED", 23);
    let show = env("INFRARAG_SCHEMA_SHOW", 0) as usize;
    let root = corpus();
    // Files that parse, each with its resource blocks of the three providers.
    let seeds: Vec<(String, String)> = ["modules", "checkov"]
        .iter()
        .flat_map(|d| files_with_ext(&root.join(d), ".tf"))
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
        .filter(|(_, text)| {
            let parsed = hcl::parse(text);
            !parsed.diagnostics.iter().any(|d| d.is_error())
                && parsed.file.body.blocks_of("resource").any(|b| {
                    b.labels
                        .first()
                        .is_some_and(|l| providers::for_type(&l.value).is_some())
                })
        })
        .collect();
    assert!(seeds.len() > 100, "only {} seed files", seeds.len());

    let mut rng = Rng(seed);
    let (mut tried, mut caught) = ([0usize; 3], [0usize; 3]);
    let mut misses = Vec::new();
    let mut attempts = 0;
    while tried.iter().sum::<usize>() < count && attempts < count * 50 {
        attempts += 1;
        let (path, text) = rng.pick(&seeds).expect("seeds");
        let parsed = hcl::parse(text);
        let blocks: Vec<&Block> = parsed.file.body.blocks_of("resource").collect();
        let Some(block) = rng.pick(&blocks).copied() else {
            continue;
        };
        let kind = rng.below(KINDS.len());
        let Some((mutated, span)) = mutate(text, block, kind, &mut rng) else {
            continue;
        };
        let before = schema_findings_in(text, block.span);
        tried[kind] += 1;
        if schema_findings_in(&mutated, span) > before {
            caught[kind] += 1;
        } else {
            misses.push(format!(
                "{} in {path}:{}",
                KINDS[kind], block.span.start.line
            ));
        }
    }
    for m in misses.iter().take(show) {
        eprintln!("missed: {m}");
    }
    let rate = |k: usize| caught[k] as f64 / tried[k].max(1) as f64;
    eprintln!(
        "{} mutations (seed {seed}): {}",
        tried.iter().sum::<usize>(),
        (0..KINDS.len())
            .map(|k| format!(
                "{} {}/{} ({:.1}%)",
                KINDS[k],
                caught[k],
                tried[k],
                100.0 * rate(k)
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for k in 0..KINDS.len() {
        assert!(
            tried[k] > count / 10,
            "too few {} cases: {}",
            KINDS[k],
            tried[k]
        );
        assert!(
            rate(k) >= 0.95,
            "{}: {}/{} caught",
            KINDS[k],
            caught[k],
            tried[k]
        );
    }
}
