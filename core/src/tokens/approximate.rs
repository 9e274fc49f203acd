//! A tokenizer-free estimate of BPE token counts, for budgets where speed
//! matters more than the last few percent.

use super::Tokenizer;
use crate::error::{Error, Result};

/// Estimates `cl100k_base` counts without a vocabulary: the text is split
/// the way cl100k's pre-tokenizer splits it (words with their leading space,
/// runs of up to three digits, punctuation runs, whitespace), and each piece
/// counts one token per seven letters or four punctuation characters. Over
/// ../shared/corpus/modules the total comes within 2% of the exact count and
/// the median file within 6% (tested to stay within 10%); it cannot encode
/// or decode.
#[derive(Debug, Clone, Copy, Default)]
pub struct Approximate;

fn is_newline(c: char) -> bool {
    c == '\n' || c == '\r'
}

fn is_punct(c: char) -> bool {
    !c.is_whitespace() && !c.is_alphabetic() && !c.is_numeric()
}

impl Tokenizer for Approximate {
    fn name(&self) -> &str {
        "approximate"
    }

    fn encode(&self, _text: &str) -> Vec<u32> {
        Vec::new()
    }

    fn decode(&self, _tokens: &[u32]) -> Result<String> {
        Err(Error::InvalidArgument {
            name: "tokens".into(),
            message: "the approximate tokenizer only counts; it has no vocabulary".into(),
        })
    }

    fn count(&self, text: &str) -> usize {
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        let run = |from: usize, pred: &dyn Fn(char) -> bool| {
            let mut j = from;
            while j < n && pred(chars[j]) {
                j += 1;
            }
            j
        };
        let mut count = 0;
        let mut i = 0;
        while i < n {
            let c = chars[i];
            // A word, with one leading non-letter (space, `_`, `.`, quote).
            let word_from = if c.is_alphabetic() {
                Some(i)
            } else if !is_newline(c)
                && !c.is_numeric()
                && chars.get(i + 1).is_some_and(|d| d.is_alphabetic())
            {
                Some(i + 1)
            } else {
                None
            };
            if let Some(from) = word_from {
                let end = run(from, &|d| d.is_alphabetic());
                count += (end - from).div_ceil(7);
                i = end;
                continue;
            }
            if c.is_numeric() {
                i = run(i, &char::is_numeric).min(i + 3);
                count += 1;
                continue;
            }
            let punct_from = if c == ' ' { i + 1 } else { i };
            if chars.get(punct_from).is_some_and(|&d| is_punct(d)) {
                let end = run(punct_from, &is_punct);
                count += (end - punct_from).div_ceil(4);
                i = run(end, &is_newline);
                continue;
            }
            // Whitespace: through its last line break, else all but the
            // space that the next piece takes with it.
            let end = run(i, &char::is_whitespace);
            count += 1;
            i = match chars[i..end].iter().rposition(|&d| is_newline(d)) {
                Some(last) => i + last + 1,
                None if end < n && end - i > 1 => end - 1,
                None => end,
            };
        }
        count
    }
}
