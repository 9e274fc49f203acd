//! Token counting for budgets: the [`Tokenizer`] trait, exact tiktoken
//! encodings built in ([`Tiktoken`]), and a fast [`Approximate`] counter.
//!
//! Chunkers and prompt builders take any `Tokenizer`; the bindings let
//! Python and Node callables implement it.

mod approximate;
#[cfg(feature = "tiktoken")]
mod tiktoken;

pub use approximate::Approximate;
#[cfg(feature = "tiktoken")]
pub use tiktoken::Tiktoken;

use crate::error::Result;

/// Turns text into model tokens and back. Implementations are shared across
/// threads by the parallel stages.
pub trait Tokenizer: Send + Sync {
    /// A stable name, e.g. `cl100k_base`, recorded with what it measured.
    fn name(&self) -> &str;

    /// The token ids of `text`; special-token text counts as ordinary text.
    fn encode(&self, text: &str) -> Vec<u32>;

    /// The text of `tokens`; fails when they do not form UTF-8 (a sequence
    /// cut inside a character) or hold ids the vocabulary lacks.
    fn decode(&self, tokens: &[u32]) -> Result<String>;

    /// The number of tokens of `text`; `encode(text).len()` unless the
    /// tokenizer knows a cheaper way.
    fn count(&self, text: &str) -> usize {
        self.encode(text).len()
    }

    /// `Some(count)` when `text` has at most `limit` tokens, else `None`.
    /// Budget checks call this; a tokenizer that can stop counting at the
    /// limit makes them cost the limit, not the text.
    fn count_within(&self, text: &str, limit: usize) -> Option<usize> {
        let n = self.count(text);
        (n <= limit).then_some(n)
    }
}

/// The name of the tokenizer used when none is given: `cl100k_base`, or
/// `approximate` when built without the `tiktoken` feature.
pub const DEFAULT: &str = if cfg!(feature = "tiktoken") {
    "cl100k_base"
} else {
    "approximate"
};

/// A built-in tokenizer by name: `cl100k_base`, `o200k_base` or
/// `approximate`.
pub fn by_name(name: &str) -> Result<Box<dyn Tokenizer>> {
    match name {
        "approximate" => Ok(Box::new(Approximate)),
        #[cfg(feature = "tiktoken")]
        "cl100k_base" => Ok(Box::new(Tiktoken::cl100k_base())),
        #[cfg(feature = "tiktoken")]
        "o200k_base" => Ok(Box::new(Tiktoken::o200k_base())),
        other => Err(crate::Error::InvalidArgument {
            name: "tokenizer".into(),
            message: format!(
                "unknown tokenizer {other:?}; built in: cl100k_base, o200k_base, approximate"
            ),
        }),
    }
}
