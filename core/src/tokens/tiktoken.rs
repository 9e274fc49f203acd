//! OpenAI's `cl100k_base` and `o200k_base` byte-pair encodings, exact and
//! offline: tiktoken-rs embeds the same rank files Python tiktoken downloads.

use tiktoken_rs::CoreBPE;

use super::Tokenizer;
use crate::error::{Error, Result};

/// An exact tiktoken encoding. Cheap to create: the vocabulary is loaded
/// once per process, on first use.
#[derive(Clone, Copy)]
pub struct Tiktoken {
    name: &'static str,
    bpe: fn() -> &'static CoreBPE,
}

impl Tiktoken {
    /// GPT-4 / GPT-3.5 / `text-embedding-3-*`.
    pub fn cl100k_base() -> Self {
        Tiktoken {
            name: "cl100k_base",
            bpe: tiktoken_rs::cl100k_base_singleton,
        }
    }

    /// GPT-4o and later.
    pub fn o200k_base() -> Self {
        Tiktoken {
            name: "o200k_base",
            bpe: tiktoken_rs::o200k_base_singleton,
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
        (self.bpe)().encode_ordinary(text)
    }

    fn decode(&self, tokens: &[u32]) -> Result<String> {
        let bytes = (self.bpe)()
            .decode_bytes(tokens)
            .map_err(|e| Error::InvalidArgument {
                name: "tokens".into(),
                message: format!("not in the {} vocabulary: {e}", self.name),
            })?;
        String::from_utf8(bytes).map_err(|e| Error::InvalidArgument {
            name: "tokens".into(),
            message: format!(
                "the tokens end or start inside a character (invalid UTF-8 at byte {})",
                e.utf8_error().valid_up_to()
            ),
        })
    }
}
