//! OpenAI's `cl100k_base` and `o200k_base` byte-pair encodings, exact and
//! offline: bpe-openai embeds the same rank files Python tiktoken downloads.

use super::Tokenizer;
use crate::error::{Error, Result};

/// An exact tiktoken encoding. Cheap to create: the vocabulary is loaded
/// once per process, on first use.
#[derive(Clone, Copy)]
pub struct Tiktoken {
    name: &'static str,
    bpe: fn() -> &'static bpe_openai::Tokenizer,
}

impl Tiktoken {
    /// GPT-4 / GPT-3.5 / `text-embedding-3-*`.
    pub fn cl100k_base() -> Self {
        Tiktoken {
            name: "cl100k_base",
            bpe: bpe_openai::cl100k_base,
        }
    }

    /// GPT-4o and later.
    pub fn o200k_base() -> Self {
        Tiktoken {
            name: "o200k_base",
            bpe: bpe_openai::o200k_base,
        }
    }
}

impl std::fmt::Debug for Tiktoken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Tiktoken").field(&self.name).finish()
    }
}

impl Tokenizer for Tiktoken {
    fn name(&self) -> &str {
        self.name
    }

    fn encode(&self, text: &str) -> Vec<u32> {
        (self.bpe)().encode(text)
    }

    fn decode(&self, tokens: &[u32]) -> Result<String> {
        let bpe = (self.bpe)();
        // bpe-openai indexes its tables with the id: check before it can panic.
        let vocabulary = bpe.bpe.num_tokens();
        if let Some(bad) = tokens.iter().find(|&&t| t as usize >= vocabulary) {
            return Err(Error::InvalidArgument {
                name: "tokens".into(),
                message: format!("token {bad} is not in the {} vocabulary", self.name),
            });
        }
        String::from_utf8(bpe.bpe.decode_tokens(tokens)).map_err(|e| Error::InvalidArgument {
            name: "tokens".into(),
            message: format!(
                "the tokens end or start inside a character (invalid UTF-8 at byte {})",
                e.utf8_error().valid_up_to()
            ),
        })
    }

    fn count(&self, text: &str) -> usize {
        (self.bpe)().count(text)
    }

    fn count_within(&self, text: &str, limit: usize) -> Option<usize> {
        let bpe = (self.bpe)();
        bpe.count_till_limit(&bpe.normalize(text), limit)
    }
}
