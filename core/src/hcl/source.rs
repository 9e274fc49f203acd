//! Maps byte offsets in a source text to 1-based line and character columns,
//! so every node and diagnostic can say where it is in terms a person reads.

use super::ast::{Pos, Span};

/// Line starts of one source text.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
    /// All-ASCII text: columns are byte offsets, no counting needed.
    ascii: bool,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `src`.
    pub fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(src.as_bytes()));
        LineIndex {
            src,
            starts,
            ascii: src.is_ascii(),
        }
    }

    /// The position of a byte offset; offsets inside a character or past the
    /// end are clamped.
    pub fn pos(&self, byte: usize) -> Pos {
        let mut byte = byte.min(self.src.len());
        while !self.src.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= byte) - 1;
        let start = self.starts[line];
        let column = if self.ascii {
            byte - start
        } else {
            self.src[start..byte].chars().count()
        };
        Pos {
            byte,
            line: line + 1,
            column: column + 1,
        }
    }

    /// The span of a byte range of the source.
    pub fn span(&self, bytes: std::ops::Range<usize>) -> Span {
        Span {
            start: self.pos(bytes.start),
            end: self.pos(bytes.end),
        }
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).copied().unwrap_or(self.src.len());
        self.src[start..end].trim_end_matches(['\n', '\r'])
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

/// Checks that `bytes` is UTF-8, locating the first bad byte otherwise.
pub fn check_utf8(bytes: &[u8]) -> Result<&str, Pos> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = e.valid_up_to();
        // The prefix up to `good` is valid by definition.
        let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or_default();
        LineIndex::new(prefix).pos(good)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let idx = LineIndex::new("ab\nçd\n");
        assert_eq!(
            idx.pos(0),
            Pos {
                byte: 0,
                line: 1,
                column: 1
            }
        );
        assert_eq!(
            idx.pos(3),
            Pos {
                byte: 3,
                line: 2,
                column: 1
            }
        );
        // `d` follows a two-byte character.
        assert_eq!(
            idx.pos(5),
            Pos {
                byte: 5,
                line: 2,
                column: 2
            }
        );
        assert_eq!(idx.pos(99).line, 3);
        assert_eq!(idx.line_text(2), "çd");
    }

    #[test]
    fn bad_utf8_is_located() {
        let err = check_utf8(b"a = 1\nb = \"\xff\"\n").unwrap_err();
        assert_eq!((err.line, err.column, err.byte), (2, 6, 11));
    }
}
