//! Markdown chunking by heading hierarchy: a section with its subsections
//! when they fit, else its own text and each subsection in turn; every chunk
//! knows its heading path, and fenced code is only ever cut between lines.

use std::ops::Range;

use super::split::{self, fence_marker, Packed, Unit};
use super::{distinct, part_note, split_drafts, trimmed, ChunkKind, Chunker, Draft, Source};

/// A heading and the text up to the next heading of any level.
#[derive(Debug)]
struct Section {
    /// 0 for the text before the first heading, else 1 to 6.
    level: usize,
    /// The titles from the outermost heading down to this one.
    path: Vec<String>,
    /// From the heading line to the next heading.
    range: Range<usize>,
    /// Languages of the fenced code blocks in its own text.
    fences: Vec<String>,
}

pub(super) fn chunk(chunker: &Chunker, source: &Source<'_>) -> Vec<Draft> {
    let sections = sections(source.text);
    let mut drafts = Vec::new();
    node(chunker, source, &sections, 0, &mut drafts);
    for d in &mut drafts {
        let first = sections.partition_point(|s| s.range.end <= d.range.start);
        let fences = distinct(
            sections[first..]
                .iter()
                .take_while(|s| s.range.start < d.range.end)
                .flat_map(|s| s.fences.iter().map(String::as_str))
                .filter(|f| !f.is_empty()),
        );
        let mut summary = if d.heading_path.is_empty() {
            format!("text in {}", source.shown)
        } else {
            format!(
                "section {:?} in {}",
                d.heading_path.join(" > "),
                source.shown
            )
        };
        summary.push_str(&part_note(d));
        if !fences.is_empty() {
            summary.push_str(&format!(": code in {}", fences.join(", ")));
        }
        d.summary = summary;
    }
    drafts
}

/// The end index (exclusive) of section `i`'s subtree in `sections`.
fn subtree_end(sections: &[Section], i: usize) -> usize {
    let level = sections[i].level;
    (i + 1..sections.len())
        .find(|&j| sections[j].level <= level)
        .unwrap_or(sections.len())
}

/// Chunks section `i` with its subsections.
fn node(
    chunker: &Chunker,
    source: &Source<'_>,
    sections: &[Section],
    i: usize,
    out: &mut Vec<Draft>,
) {
    let src = source.text;
    let end = subtree_end(sections, i);
    let whole = sections[i].range.start..sections[end - 1].range.end;
    let splitter = chunker.splitter(&[], 0);
    let Some(whole) = trimmed(src, whole) else {
        return;
    };
    let tokens = splitter.measure(src, whole.clone());
    if tokens <= chunker.config.max_tokens {
        let mut d = Draft::new(whole.clone(), ChunkKind::Section);
        d.tokens = Some(tokens);
        d.heading_path = heading_path(sections, &whole);
        out.push(d);
        return;
    }
    // Too large: the section's own text, then each subsection, packing
    // neighbours that fit together.
    let mut units = Vec::new();
    if let Some(own) = trimmed(src, sections[i].range.clone()) {
        let tokens = splitter.measure(src, own.clone());
        if tokens <= chunker.config.max_tokens {
            units.push(Unit::Piece(own, tokens));
        } else {
            let mut drafts =
                split_drafts(chunker, source, own, split::MARKDOWN, ChunkKind::Section);
            for d in &mut drafts {
                d.heading_path = sections[i].path.clone();
            }
            units.push(Unit::Fixed(drafts));
        }
    }
    let mut j = i + 1;
    while j < end {
        let child_end = subtree_end(sections, j);
        let range = sections[j].range.start..sections[child_end - 1].range.end;
        if let Some(range) = trimmed(src, range) {
            let tokens = splitter.measure(src, range.clone());
            if tokens <= chunker.config.max_tokens {
                units.push(Unit::Piece(range, tokens));
            } else {
                let mut drafts = Vec::new();
                node(chunker, source, sections, j, &mut drafts);
                if !drafts.is_empty() {
                    units.push(Unit::Fixed(drafts));
                }
            }
        }
        j = child_end;
    }
    for packed in splitter.pack(src, units) {
        match packed {
            Packed::Fixed(drafts) => out.extend(drafts),
            Packed::Range(r) => {
                let mut d = Draft::new(r.clone(), ChunkKind::Section);
                d.heading_path = heading_path(sections, &r);
                out.push(d);
            }
        }
    }
}

/// The headings every section in `range` shares: the path of the section
/// holding its start, cut to the common prefix of those starting inside.
fn heading_path(sections: &[Section], range: &Range<usize>) -> Vec<String> {
    // Sections are in order and the first starts at 0.
    let holder = sections
        .partition_point(|s| s.range.start <= range.start)
        .saturating_sub(1);
    let mut path = sections[holder].path.clone();
    for s in sections[holder + 1..]
        .iter()
        .take_while(|s| s.range.start < range.end)
    {
        let common = path.iter().zip(&s.path).take_while(|(a, b)| a == b).count();
        path.truncate(common);
    }
    path
}

/// Splits the text at headings outside fenced code: ATX (`## Title`) and
/// setext (a line under a paragraph of `===` or `---`).
fn sections(text: &str) -> Vec<Section> {
    let mut out = vec![Section {
        level: 0,
        path: Vec::new(),
        range: 0..0,
        fences: Vec::new(),
    }];
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    let mut offset = 0;
    let mut previous: Option<(usize, &str)> = None;
    let mut front_matter = text.starts_with("---\n") || text.starts_with("---\r\n");
    let mut first = true;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed_line = line.trim();
        if front_matter {
            if !first && (trimmed_line == "---" || trimmed_line == "...") {
                front_matter = false;
            }
            first = false;
            continue;
        }
        first = false;
        if let Some((ch, len)) = fence_marker(line) {
            match fence {
                None => {
                    fence = Some((ch, len));
                    let info = line.trim_start().trim_start_matches(ch as char).trim();
                    let language = info.split_whitespace().next().unwrap_or("").to_string();
                    if let Some(s) = out.last_mut() {
                        s.fences.push(language);
                    }
                }
                Some((open, open_len))
                    if open == ch && len >= open_len && trimmed_line.len() == len =>
                {
                    fence = None
                }
                Some(_) => {}
            }
            previous = None;
            continue;
        }
        if fence.is_some() {
            continue;
        }
        let heading = atx(line).map(|(l, t)| (l, t, start)).or_else(|| {
            let (prev_start, prev) = previous?;
            let level = setext(line)?;
            Some((level, prev.trim().to_string(), prev_start))
        });
        match heading {
            Some((level, title, at)) => {
                if let Some(s) = out.last_mut() {
                    s.range.end = at;
                }
                while stack.last().is_some_and(|(l, _)| *l >= level) {
                    stack.pop();
                }
                stack.push((level, title));
                out.push(Section {
                    level,
                    path: stack.iter().map(|(_, t)| t.clone()).collect(),
                    range: at..text.len(),
                    fences: Vec::new(),
                });
                previous = None;
            }
            None => {
                previous = (!trimmed_line.is_empty() && atx_level(line).is_none())
                    .then_some((start, line));
            }
        }
    }
    if let Some(s) = out.last_mut() {
        s.range.end = text.len();
    }
    out
}

fn atx_level(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.bytes().take_while(|&b| b == b'#').count();
    let after = rest[level..].chars().next();
    ((1..=6).contains(&level) && after.is_none_or(char::is_whitespace)).then_some(level)
}

/// `## Title ##` → (2, "Title").
fn atx(line: &str) -> Option<(usize, String)> {
    let level = atx_level(line)?;
    let text = line.trim().trim_start_matches('#').trim();
    let text = text.trim_end_matches('#').trim_end();
    Some((level, text.to_string()))
}

fn setext(line: &str) -> Option<usize> {
    let t = line.trim();
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 || t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b == b'=') {
        Some(1)
    } else if t.len() >= 2 && t.bytes().all(|b| b == b'-') {
        Some(2)
    } else {
        None
    }
}
