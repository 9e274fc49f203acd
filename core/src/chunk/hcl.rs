//! HCL chunking: one chunk per top-level block with the comments above it;
//! a block over budget splits at its attributes and nested blocks, every
//! piece repeating the headers it lacks; regions with syntax errors go by line.

use std::ops::Range;

use super::split::{self, assemble, Frame, Packed, Unit};
use super::{distinct, part_note, split_drafts, trimmed, ChunkKind, Chunker, Draft, Source};
use crate::hcl::{self as syntax, Attribute, Block, Structure};
use crate::terraform::{self, constant_value, DeclarationKind, Reference};

/// How many names a summary lists per category.
const SUMMARY_NAMES: usize = 24;

pub(super) fn chunk(chunker: &Chunker, source: &Source<'_>) -> Vec<Draft> {
    let src = source.text;
    let parsed = syntax::parser::parse_with(src, false);
    let broken: Vec<Range<usize>> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && d.code.is_grammar_error())
        .map(|d| whole_lines(src, d.span.bytes()))
        .collect();
    let is_broken = |r: &Range<usize>| broken.iter().any(|b| b.start < r.end && r.start < b.end);

    let mut out = Vec::new();
    let mut attributes: Vec<(Range<usize>, &Attribute)> = Vec::new();
    let mut cursor = 0;
    for item in &parsed.file.body.items {
        let own = item_range(src, item);
        if own.start < cursor || is_broken(&own) {
            continue;
        }
        let gap = cursor..own.start;
        let start = if is_broken(&gap) {
            flush_attributes(chunker, source, &mut attributes, &mut out);
            out.extend(lines(chunker, source, gap));
            own.start
        } else {
            trimmed(src, gap).map_or(own.start, |g| line_start(src, g.start))
        };
        match item {
            Structure::Attribute(a) => attributes.push((start..own.end, a)),
            Structure::Block(b) => {
                flush_attributes(chunker, source, &mut attributes, &mut out);
                out.extend(block(chunker, source, start..own.end, b));
            }
        }
        cursor = own.end;
    }
    flush_attributes(chunker, source, &mut attributes, &mut out);
    let tail = cursor..src.len();
    if is_broken(&tail) {
        out.extend(lines(chunker, source, tail));
    } else if let Some(tail) = trimmed(src, tail) {
        let mut drafts = split_drafts(chunker, source, tail, split::LINES, ChunkKind::Comment);
        for d in &mut drafts {
            d.summary = format!("comments in {}{}", source.shown, part_note(d));
        }
        out.extend(drafts);
    }
    out
}

/// A broken region, chunked by line.
fn lines(chunker: &Chunker, source: &Source<'_>, range: Range<usize>) -> Vec<Draft> {
    let mut drafts = split_drafts(chunker, source, range, split::LINES, ChunkKind::Lines);
    for d in &mut drafts {
        d.summary = format!("{} with syntax errors{}", source.shown, part_note(d));
    }
    drafts
}

/// A finished piece of a split block: its source range and text.
struct Piece {
    range: Range<usize>,
    text: String,
}

fn block(chunker: &Chunker, source: &Source<'_>, range: Range<usize>, b: &Block) -> Vec<Draft> {
    let src = source.text;
    let tokenizer = chunker.config.tokenizer.as_ref();
    let whole = tokenizer.count_within(&src[range.clone()], chunker.config.max_tokens);
    let pieces = if let Some(tokens) = whole {
        vec![(
            Piece {
                range: range.clone(),
                text: String::new(),
            },
            Some(tokens),
        )]
    } else {
        split_block(chunker, src, range, b, &mut Vec::new())
            .into_iter()
            .map(|p| (p, None))
            .collect()
    };
    let kind = if b.kind == "variable" {
        DeclarationKind::Variable
    } else {
        DeclarationKind::Resource
    };
    let mut references = terraform::references::in_body(&b.body, kind);
    references.sort_by_key(|r| r.span.start.byte);
    let labels: Vec<String> = b.labels.iter().map(|l| l.value.clone()).collect();
    let address = terraform::block_address(b);
    let parts = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, (piece, tokens))| {
            let mut d = if parts == 1 {
                Draft::new(piece.range, ChunkKind::Block)
            } else {
                let mut d = Draft::new(piece.range, ChunkKind::BlockPart);
                d.text = Some(piece.text);
                d
            };
            d.tokens = tokens;
            d.part = i + 1;
            d.parts = parts;
            d.block_type = Some(b.kind.clone());
            d.labels = labels.clone();
            d.address = address.clone();
            d.summary = block_summary(source.shown, b, &d, &references);
            d
        })
        .collect()
}

/// Splits a block over budget at its items. `frames` are the enclosing
/// blocks, outermost first; `range` covers the block and whatever of its
/// parents' text the first and last pieces carry.
fn split_block(
    chunker: &Chunker,
    src: &str,
    range: Range<usize>,
    b: &Block,
    frames: &mut Vec<Frame>,
) -> Vec<Piece> {
    let header = src[line_start(src, b.span.start.byte)..b.open_brace.end.byte].to_string();
    let indent: String = header.chars().take_while(|c| c.is_whitespace()).collect();
    frames.push(Frame {
        header_start: b.span.start.byte,
        header,
        close: format!("{indent}}}"),
        end: b.span.end.byte,
    });
    let tokenizer = chunker.config.tokenizer.as_ref();
    // Headers that eat more than half the budget leave no room to be useful:
    // split by lines under the enclosing headers only.
    if tokenizer.count(&split::wrapping(frames)) * 2 > chunker.config.max_tokens {
        frames.pop();
        return by_lines(chunker, src, range, frames);
    }
    let items = &b.body.items;
    if items.is_empty() {
        let pieces = by_lines(chunker, src, range, frames);
        frames.pop();
        return pieces;
    }
    let mut bounds = Vec::with_capacity(items.len());
    let mut start = range.start;
    for (k, item) in items.iter().enumerate() {
        let own = item_range(src, item);
        let end = if k + 1 == items.len() {
            range.end
        } else {
            own.end
        };
        bounds.push(start..end.max(start));
        let next = src[end..]
            .find(|c: char| !c.is_whitespace())
            .map_or(range.end, |i| end + i);
        start = line_start(src, next).max(end).min(range.end);
    }
    let mut units = Vec::with_capacity(items.len());
    for (item, r) in items.iter().zip(bounds) {
        let tokens = chunker.splitter(frames, 0).measure(src, r.clone());
        if tokens <= chunker.config.max_tokens {
            units.push(Unit::Piece(r, tokens));
            continue;
        }
        let pieces = match item {
            Structure::Block(inner) => split_block(chunker, src, r, inner, frames),
            Structure::Attribute(_) => by_lines(chunker, src, r, frames),
        };
        units.extend(pieces.into_iter().map(Unit::Fixed));
    }
    let splitter = chunker.splitter(frames, 0);
    let pieces = splitter
        .pack(src, units)
        .into_iter()
        .filter_map(|p| match p {
            Packed::Fixed(p) => Some(p),
            Packed::Range(r) => piece(src, r, frames),
        })
        .collect();
    frames.pop();
    pieces
}

/// Token splitting with overlap under the enclosing headers: for one
/// attribute larger than the budget.
fn by_lines(chunker: &Chunker, src: &str, range: Range<usize>, frames: &[Frame]) -> Vec<Piece> {
    chunker
        .splitter(frames, chunker.config.overlap)
        .split(src, range, split::LINES)
        .into_iter()
        .filter_map(|r| piece(src, r, frames))
        .collect()
}

/// The piece of `range` without surrounding whitespace, wrapped in the
/// headers it lacks; `None` when only whitespace.
fn piece(src: &str, range: Range<usize>, frames: &[Frame]) -> Option<Piece> {
    let range = trimmed(src, range)?;
    Some(Piece {
        text: assemble(src, range.clone(), frames).into_owned(),
        range,
    })
}

/// Packs a run of top-level attributes (a `.tfvars` file) into chunks.
fn flush_attributes(
    chunker: &Chunker,
    source: &Source<'_>,
    run: &mut Vec<(Range<usize>, &Attribute)>,
    out: &mut Vec<Draft>,
) {
    if run.is_empty() {
        return;
    }
    let src = source.text;
    // Each attribute's range ends where the next one starts, so the run's
    // pieces cover it without gaps.
    let mut units = Vec::with_capacity(run.len());
    let splitter = chunker.splitter(&[], 0);
    for (k, (r, _)) in run.iter().enumerate() {
        let end = run.get(k + 1).map_or(r.end, |next| next.0.start);
        let r = r.start..end;
        let tokens = splitter.measure(src, r.clone());
        if tokens <= chunker.config.max_tokens {
            units.push(Unit::Piece(r, tokens));
        } else {
            units.extend(
                chunker
                    .splitter(&[], chunker.config.overlap)
                    .split(src, r, split::LINES)
                    .into_iter()
                    .map(Unit::Fixed),
            );
        }
    }
    let ranges: Vec<Range<usize>> = splitter
        .pack_ranges(src, units)
        .into_iter()
        .filter_map(|r| trimmed(src, r))
        .collect();
    let parts = ranges.len();
    for (i, r) in ranges.into_iter().enumerate() {
        let mut d = Draft::new(r.clone(), ChunkKind::Attributes);
        d.part = i + 1;
        d.parts = parts;
        let inside: Vec<&Attribute> = run
            .iter()
            .filter(|(_, a)| r.contains(&a.span.start.byte))
            .map(|(_, a)| *a)
            .collect();
        let names = list(inside.iter().map(|a| a.name.as_str()));
        let mut references: Vec<Reference> = inside
            .iter()
            .flat_map(|a| terraform::references::in_expression(&a.expr))
            .collect();
        references.retain(|x| r.contains(&x.span.start.byte));
        let mut summary = format!("attributes in {}{}", source.shown, part_note(&d));
        let mut segments = Vec::new();
        if !names.is_empty() {
            segments.push(format!("sets {names}"));
        }
        let refs = list(references.iter().map(|x| x.subject.as_str()));
        if !refs.is_empty() {
            segments.push(format!("references {refs}"));
        }
        if !segments.is_empty() {
            summary.push_str(": ");
            summary.push_str(&segments.join("; "));
        }
        d.summary = summary;
        out.push(d);
    }
    run.clear();
}

/// `resource aws_s3_bucket "logs" in s3/main.tf: sets bucket, acl; blocks
/// versioning; references var.name`, restricted to what the draft holds.
fn block_summary(path: &str, b: &Block, d: &Draft, references: &[Reference]) -> String {
    let labels = b.label_values();
    let head = match (b.kind.as_str(), labels.as_slice()) {
        ("resource" | "data" | "ephemeral", [t, n]) => format!("{} {t} {n:?}", b.kind),
        _ => std::iter::once(b.kind.clone())
            .chain(labels.iter().map(|l| format!("{l:?}")))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let range = &d.range;
    let mut attributes = Vec::new();
    let mut blocks = Vec::new();
    collect_names(&b.body, range, &mut attributes, &mut blocks);
    let mut segments = Vec::new();
    if let Some(description) = b
        .body
        .attribute("description")
        .filter(|a| range.contains(&a.span.start.byte))
        .and_then(|a| constant_value(&a.expr))
        .and_then(|v| v.as_str().map(str::to_string))
    {
        let short: String = description.chars().take(200).collect();
        segments.push(format!("{short:?}"));
    }
    let attributes = list(attributes.into_iter());
    if !attributes.is_empty() {
        segments.push(format!("sets {attributes}"));
    }
    let blocks = list(blocks.into_iter());
    if !blocks.is_empty() {
        segments.push(format!("blocks {blocks}"));
    }
    let refs = list(
        references
            .iter()
            .filter(|r| range.contains(&r.span.start.byte))
            .map(|r| r.subject.as_str()),
    );
    if !refs.is_empty() {
        segments.push(format!("references {refs}"));
    }
    if let Some(about) = super::about_block(Some(&b.kind), labels.first().copied()) {
        let short: String = about.chars().take(300).collect();
        segments.push(format!("what it is: {short}"));
    }
    let mut summary = format!("{head} in {path}{}", part_note(d));
    if !segments.is_empty() {
        summary.push_str(": ");
        summary.push_str(&segments.join("; "));
    }
    summary
}

/// Attribute names and block types, at any depth, that start in `range`.
fn collect_names<'a>(
    body: &'a syntax::Body,
    range: &Range<usize>,
    attributes: &mut Vec<&'a str>,
    blocks: &mut Vec<&'a str>,
) {
    for item in &body.items {
        match item {
            Structure::Attribute(a) if range.contains(&a.span.start.byte) => {
                attributes.push(&a.name)
            }
            Structure::Attribute(_) => {}
            Structure::Block(inner) => {
                if range.contains(&inner.span.start.byte) {
                    blocks.push(match (inner.kind.as_str(), inner.labels.first()) {
                        ("dynamic", Some(l)) => &l.value,
                        (kind, _) => kind,
                    });
                }
                collect_names(&inner.body, range, attributes, blocks);
            }
        }
    }
}

/// The distinct names, in order, at most [`SUMMARY_NAMES`], comma-separated.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut seen = distinct(names);
    let more = seen.len().saturating_sub(SUMMARY_NAMES);
    seen.truncate(SUMMARY_NAMES);
    let mut s = seen.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// An item from the start of its line to its end, trailing comment included.
fn item_range(src: &str, item: &Structure) -> Range<usize> {
    let (span, trailing) = match item {
        Structure::Attribute(a) => (a.span, a.trailing_comment.as_ref()),
        Structure::Block(b) => (b.span, b.trailing_comment.as_ref()),
    };
    let mut end = span.end.byte;
    if let Some(c) = trailing {
        end = end.max(c.span.end.byte);
    }
    // A line comment's span may include its newline; chunks end before it.
    while end > span.end.byte && matches!(src.as_bytes()[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    let start = span.start.byte;
    let ls = line_start(src, start);
    let start = if src[ls..start].trim().is_empty() {
        ls
    } else {
        start
    };
    start..end
}

fn line_start(src: &str, at: usize) -> usize {
    src.as_bytes()[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// `range` widened to whole lines; at least the last line at the end of
/// the text (where a missing brace is reported).
fn whole_lines(src: &str, range: Range<usize>) -> Range<usize> {
    let at = range.start.min(src.len().saturating_sub(1));
    let start = line_start(src, at);
    let end = range.end.max(at + 1).min(src.len());
    let end = src.as_bytes()[end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(src.len(), |i| end + i);
    start..end
}
