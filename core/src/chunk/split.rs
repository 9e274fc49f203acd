//! The token-budgeted splitter every chunker ends in: cuts a byte range at
//! the coarsest separator that works, packs the pieces back up to the budget
//! and, inside HCL blocks, repeats the enclosing headers in every piece.

use std::borrow::Cow;
use std::ops::Range;

use super::trimmed;
use crate::tokens::Tokenizer;

/// Where a range may be cut, coarsest first. Every level cuts *after* its
/// separator, so the pieces of a range concatenate back to it exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Blank lines.
    Paragraph,
    /// Blank lines outside fenced code: a fence is one piece.
    MarkdownBlock,
    Line,
    /// After `.`, `!` or `?` followed by whitespace.
    Sentence,
    /// After a run of whitespace.
    Word,
    /// Anywhere between two characters: the last resort.
    Char,
}

/// Prose and other code.
pub(crate) const TEXT: &[Level] = &[
    Level::Paragraph,
    Level::Line,
    Level::Sentence,
    Level::Word,
    Level::Char,
];
/// The content of one Markdown section.
pub(crate) const MARKDOWN: &[Level] = &[
    Level::MarkdownBlock,
    Level::Line,
    Level::Sentence,
    Level::Word,
    Level::Char,
];
/// An HCL attribute too large for the budget, or a broken HCL region.
pub(crate) const LINES: &[Level] = &[Level::Line, Level::Word, Level::Char];

/// An HCL block enclosing the text being split. A piece that does not
/// contain the block's header gets it as a prefix; a piece that does not
/// reach its closing brace gets one as a suffix.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    /// Where the block's type name starts.
    pub header_start: usize,
    /// The header's line as written, indentation included:
    /// `resource "aws_s3_bucket" "logs" {`.
    pub header: String,
    /// The closing line: the header's indentation and `}`.
    pub close: String,
    /// The byte after the block's closing brace.
    pub end: usize,
}

/// The text of `range`, wrapped in the headers and closing braces of
/// `frames` (outermost first) that the range itself lacks.
pub(crate) fn assemble<'s>(src: &'s str, range: Range<usize>, frames: &[Frame]) -> Cow<'s, str> {
    let body = &src[range.clone()];
    // Blocks open where the range starts but whose header it lacks; blocks
    // opened before its end but not closed in it.
    let open: Vec<&Frame> = frames
        .iter()
        .filter(|f| f.header_start < range.start && range.start < f.end)
        .collect();
    let close: Vec<&Frame> = frames
        .iter()
        .rev()
        .filter(|f| f.header_start < range.end && range.end < f.end)
        .collect();
    if open.is_empty() && close.is_empty() {
        return Cow::Borrowed(body);
    }
    let mut out = String::with_capacity(body.len() + 64);
    for f in open {
        out.push_str(&f.header);
        out.push('\n');
    }
    out.push_str(body);
    for f in close {
        out.push('\n');
        out.push_str(&f.close);
    }
    Cow::Owned(out)
}

/// What wrapping adds to a piece that lacks every header and brace of
/// `frames`: the most a piece can pay for them.
pub(crate) fn wrapping(frames: &[Frame]) -> String {
    let mut out = String::new();
    for f in frames {
        out.push_str(&f.header);
        out.push('\n');
    }
    for f in frames.iter().rev() {
        out.push('\n');
        out.push_str(&f.close);
    }
    out
}

/// An input to [`Splitter::pack`].
#[derive(Debug, Clone)]
pub(crate) enum Unit<T> {
    /// A piece that fits the budget on its own, with its measured tokens.
    Piece(Range<usize>, usize),
    /// Finished output of a finer split (a range, a piece, drafts), handed
    /// back in place as [`Packed::Fixed`].
    Fixed(T),
}

/// An output of [`Splitter::pack`], in order.
#[derive(Debug)]
pub(crate) enum Packed<T> {
    /// Consecutive pieces packed into one range.
    Range(Range<usize>),
    /// A [`Unit::Fixed`] as it came in.
    Fixed(T),
}

/// Splits byte ranges of one source so every piece, wrapped in `frames`,
/// counts at most `budget` tokens.
pub(crate) struct Splitter<'a> {
    pub tokenizer: &'a dyn Tokenizer,
    pub budget: usize,
    /// Tokens the start of a piece may repeat from the end of the previous.
    pub overlap: usize,
    pub frames: &'a [Frame],
}

impl Splitter<'_> {
    /// Tokens of `range` as a chunk would hold it: without the whitespace
    /// around it, frames included. Counting stops past the budget: any
    /// result over it only means "too large".
    pub fn measure(&self, src: &str, range: Range<usize>) -> usize {
        match trimmed(src, range) {
            Some(r) => self
                .tokenizer
                .count_within(&assemble(src, r, self.frames), self.budget)
                .unwrap_or(self.budget + 1),
            None => 0,
        }
    }

    /// Tokens two consecutive chunks share when the second starts at `from`
    /// and the first ends at `end`.
    fn shared(&self, src: &str, from: usize, end: usize) -> usize {
        self.tokenizer
            .count(src[from..end].trim_matches(|c: char| c.is_ascii_whitespace()))
    }

    /// Ranges covering `range` in order, each within the budget, cut at the
    /// coarsest of `levels` that gets there. Consecutive ranges overlap by
    /// at most `overlap` tokens.
    pub fn split(&self, src: &str, range: Range<usize>, levels: &[Level]) -> Vec<Range<usize>> {
        if range.is_empty() {
            return Vec::new();
        }
        let tokens = self.measure(src, range.clone());
        if tokens <= self.budget {
            return vec![range];
        }
        self.split_measured(src, range, levels)
    }

    fn split_measured(
        &self,
        src: &str,
        range: Range<usize>,
        levels: &[Level],
    ) -> Vec<Range<usize>> {
        let Some((&level, finer)) = levels.split_first() else {
            return self.by_chars(src, range);
        };
        if level == Level::Char {
            return self.by_chars(src, range);
        }
        let pieces = cut(src, range.clone(), level);
        if pieces.len() <= 1 {
            return self.split_measured(src, range, finer);
        }
        let mut units = Vec::with_capacity(pieces.len());
        for piece in pieces {
            let tokens = self.measure(src, piece.clone());
            if tokens <= self.budget {
                units.push(Unit::Piece(piece, tokens));
            } else {
                units.extend(
                    self.split_measured(src, piece, finer)
                        .into_iter()
                        .map(Unit::Fixed),
                );
            }
        }
        self.pack_ranges(src, units)
    }

    /// [`pack`](Self::pack) where finished units are ranges too.
    pub fn pack_ranges(&self, src: &str, units: Vec<Unit<Range<usize>>>) -> Vec<Range<usize>> {
        self.pack(src, units)
            .into_iter()
            .map(|p| match p {
                Packed::Range(r) | Packed::Fixed(r) => r,
            })
            .collect()
    }

    /// Greedily packs consecutive pieces into ranges within the budget,
    /// starting each range with up to `overlap` tokens of the previous one.
    /// The estimate (a sum of piece counts) only proposes; the exact count of
    /// the packed text decides.
    pub fn pack<T>(&self, src: &str, units: Vec<Unit<T>>) -> Vec<Packed<T>> {
        let wrap = if self.frames.is_empty() {
            0
        } else {
            self.tokenizer.count(&wrapping(self.frames))
        };
        // Pieces by index (`None` for fixed units), and the fixed units'
        // payloads, taken as they are emitted.
        let mut pieces = Vec::with_capacity(units.len());
        let mut fixed = Vec::with_capacity(units.len());
        for unit in units {
            match unit {
                Unit::Piece(r, t) => {
                    pieces.push(Some((r, t)));
                    fixed.push(None);
                }
                Unit::Fixed(x) => {
                    pieces.push(None);
                    fixed.push(Some(x));
                }
            }
        }
        let tokens = |i: usize| pieces[i].as_ref().map_or(usize::MAX, |p| p.1);
        // Groups hold pieces only.
        let range = |i: usize| pieces[i].as_ref().map_or(0..0, |p| p.0.clone());
        let estimate = |from: usize, to: usize| -> usize {
            let sum = (from..to).map(tokens).fold(0usize, usize::saturating_add);
            sum.saturating_sub(wrap * (to - from).saturating_sub(1))
        };
        let n = pieces.len();
        let mut out = Vec::new();
        // The group is units[start..end]; its first `carried` units repeat
        // the end of the previous range.
        let (mut start, mut end, mut carried) = (0, 0, 0);
        loop {
            if end < n {
                let only_carried = carried == end - start;
                match &mut fixed[end] {
                    Some(_) if only_carried => {
                        out.extend(fixed[end].take().map(Packed::Fixed));
                        end += 1;
                        start = end;
                        carried = 0;
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        while carried > 0 && estimate(start, end + 1) > self.budget {
                            start += 1;
                            carried -= 1;
                        }
                        if start == end || estimate(start, end + 1) <= self.budget {
                            end += 1;
                            continue;
                        }
                    }
                }
            } else if carried == end - start {
                break;
            }
            // Flush units[start..end], fitting it by the exact count.
            loop {
                let text = range(start).start..range(end - 1).end;
                if end - start == 1 || self.measure(src, text) <= self.budget {
                    break;
                }
                if carried > 0 {
                    start += 1;
                    carried -= 1;
                } else {
                    end -= 1;
                }
            }
            if carried < end - start {
                out.push(Packed::Range(range(start).start..range(end - 1).end));
            }
            if end == n {
                break;
            }
            // Carry the longest tail within the overlap, never the whole
            // group, by estimate first and then by the exact count.
            let raw = |i: usize| tokens(i).saturating_sub(wrap);
            let mut from = end;
            let mut sum = 0;
            while from > start + 1 && pieces[from - 1].is_some() {
                sum += raw(from - 1);
                if sum > self.overlap {
                    break;
                }
                from -= 1;
            }
            while from < end
                && self.shared(src, range(from).start, range(end - 1).end) > self.overlap
            {
                from += 1;
            }
            carried = end - from;
            start = from;
        }
        out
    }

    /// The last resort: cuts between characters where the exact count says,
    /// found by bisection so it works with any tokenizer.
    fn by_chars(&self, src: &str, range: Range<usize>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut start = range.start;
        while start < range.end {
            let end = self.longest_fit(src, start, range.end);
            out.push(start..end);
            if end >= range.end {
                break;
            }
            let next = if self.overlap > 0 {
                self.overlap_start(src, start, end)
            } else {
                end
            };
            start = next.max(next_char(src, start));
        }
        out
    }

    /// The furthest character boundary `end` at most `limit` with
    /// `start..end` within the budget; at least one character.
    fn longest_fit(&self, src: &str, start: usize, limit: usize) -> usize {
        let fits = |end: usize| self.measure(src, start..end) <= self.budget;
        let mut lo = next_char(src, start).min(limit);
        // No token of the built-in vocabularies spans more than a few dozen
        // bytes, so the budget in bytes times 32 is a safe upper probe.
        let probe = floor_char(src, limit.min(start.saturating_add(self.budget * 32)));
        let mut hi = limit;
        if probe > lo && probe < limit {
            if fits(probe) {
                lo = probe;
            } else {
                hi = probe;
            }
        }
        if fits(hi) {
            return hi;
        }
        bisect(src, lo, hi, fits).0
    }

    /// The earliest character boundary after `start` from which the text up
    /// to `end` counts at most `overlap` tokens.
    fn overlap_start(&self, src: &str, start: usize, end: usize) -> usize {
        let too_much = |from: usize| self.shared(src, from, end) > self.overlap;
        bisect(src, start, end, too_much).1
    }
}

/// Narrows `lo..hi` to neighbouring character boundaries: `lo` moves up to
/// each midpoint where `below` holds, `hi` down to the others.
fn bisect(
    src: &str,
    mut lo: usize,
    mut hi: usize,
    below: impl Fn(usize) -> bool,
) -> (usize, usize) {
    while hi - lo > 1 {
        let mut mid = floor_char(src, lo + (hi - lo) / 2);
        if mid <= lo {
            mid = next_char(src, lo);
            if mid >= hi {
                break;
            }
        }
        if below(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo, hi)
}

fn next_char(src: &str, at: usize) -> usize {
    src[at..].chars().next().map_or(at, |c| at + c.len_utf8())
}

fn floor_char(src: &str, mut at: usize) -> usize {
    at = at.min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Splits `range` after every separator of `level`.
pub(crate) fn cut(src: &str, range: Range<usize>, level: Level) -> Vec<Range<usize>> {
    let text = &src[range.clone()];
    let base = range.start;
    let ends: Vec<usize> = match level {
        Level::Paragraph => paragraph_ends(text, false),
        Level::MarkdownBlock => paragraph_ends(text, true),
        Level::Line => text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect(),
        // A sentence ends in whitespace after `.`, `!` or `?`.
        Level::Sentence => whitespace_run_ends(text.as_bytes(), |start| {
            start > 0 && matches!(text.as_bytes()[start - 1], b'.' | b'!' | b'?')
        }),
        Level::Word => whitespace_run_ends(text.as_bytes(), |_| true),
        Level::Char => text.char_indices().skip(1).map(|(i, _)| i).collect(),
    };
    let mut out = Vec::with_capacity(ends.len() + 1);
    let mut start = 0;
    for end in ends {
        if end > start && end < text.len() {
            out.push(base + start..base + end);
            start = end;
        }
    }
    if start < text.len() {
        out.push(base + start..base + text.len());
    }
    out
}

/// Where each run of ASCII whitespace ends, for the runs whose start
/// `keep` accepts.
fn whitespace_run_ends(bytes: &[u8], keep: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if keep(start) {
            ends.push(i);
        }
    }
    ends
}

/// Ends of paragraphs: after each run of blank lines. With `fences`, blank
/// lines inside fenced code do not end anything.
fn paragraph_ends(text: &str, fences: bool) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    let mut blank_run = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if fences {
            if let Some((ch, len)) = fence_marker(line) {
                match fence {
                    None => fence = Some((ch, len)),
                    Some((open, open_len))
                        if open == ch && len >= open_len && trimmed.len() == len =>
                    {
                        fence = None
                    }
                    Some(_) => {}
                }
            }
        }
        let blank = trimmed.is_empty() && fence.is_none();
        if blank_run && !blank {
            ends.push(offset);
        }
        blank_run = blank;
        offset += line.len();
    }
    ends
}

/// A Markdown code fence opener or closer: up to three spaces, then three
/// or more backticks or tildes. Returns the character and the run length.
pub(crate) fn fence_marker(line: &str) -> Option<(u8, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line.as_bytes()[indent..];
    let ch = *rest.first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.iter().take_while(|&&b| b == ch).count();
    (len >= 3).then_some((ch, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Approximate;

    fn splitter(budget: usize, overlap: usize) -> Splitter<'static> {
        Splitter {
            tokenizer: &Approximate,
            budget,
            overlap,
            frames: &[],
        }
    }

    #[test]
    fn cuts_concatenate_back() {
        let src = "one. two! three?  four\n\nfive six\n```\na\n\nb\n```\nend";
        for level in [
            Level::Paragraph,
            Level::MarkdownBlock,
            Level::Line,
            Level::Sentence,
            Level::Word,
            Level::Char,
        ] {
            let pieces = cut(src, 0..src.len(), level);
            let joined: String = pieces.iter().map(|r| &src[r.clone()]).collect();
            assert_eq!(joined, src, "{level:?}");
        }
        let fenced = cut(src, 0..src.len(), Level::MarkdownBlock);
        assert_eq!(fenced.len(), 2, "the blank line inside the fence is kept");
    }

    #[test]
    fn pieces_stay_within_budget_and_overlap() {
        let src = "alpha beta gamma delta epsilon zeta eta theta iota kappa ".repeat(40);
        let s = splitter(20, 5);
        let ranges = s.split(&src, 0..src.len(), TEXT);
        assert!(ranges.len() > 5);
        for r in &ranges {
            assert!(s.measure(&src, r.clone()) <= 20);
        }
        for pair in ranges.windows(2) {
            assert!(pair[1].start <= pair[0].end, "no gap");
            assert!(pair[1].start > pair[0].start, "progress");
            let shared = pair[0].end.saturating_sub(pair[1].start);
            assert!(Approximate.count(&src[pair[1].start..pair[1].start + shared]) <= 5);
        }
        assert_eq!(ranges.last().unwrap().end, src.len());
    }

    #[test]
    fn a_long_word_is_cut_between_characters() {
        let src = "é".repeat(500);
        let s = splitter(10, 0);
        let ranges = s.split(&src, 0..src.len(), LINES);
        assert!(ranges.len() > 1);
        for r in &ranges {
            assert!(src.is_char_boundary(r.start) && src.is_char_boundary(r.end));
            assert!(s.measure(&src, r.clone()) <= 10);
        }
    }

    #[test]
    fn frames_wrap_pieces_that_lack_them() {
        let src = "resource \"a\" \"b\" {\n  x = 1\n  y = 2\n}";
        let frames = [Frame {
            header_start: 0,
            header: "resource \"a\" \"b\" {".into(),
            close: "}".into(),
            end: src.len(),
        }];
        let x = src.find("  x").unwrap();
        let y = src.find("  y").unwrap();
        assert_eq!(
            assemble(src, 0..y - 1, &frames),
            "resource \"a\" \"b\" {\n  x = 1\n}"
        );
        assert_eq!(
            assemble(src, y..src.len(), &frames),
            "resource \"a\" \"b\" {\n  y = 2\n}"
        );
        assert_eq!(assemble(src, 0..src.len(), &frames), src);
        assert!(x < y);
    }
}
