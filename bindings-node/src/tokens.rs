//! `tokens`: the built-in tokenizers.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::convert::small;
use crate::error::{js_error, thrown};

/// A built-in tokenizer: `cl100k_base` and `o200k_base` count exactly as
/// Python tiktoken does; `approximate` only counts.
#[napi(namespace = "tokens")]
pub struct Tokenizer {
    inner: Box<dyn infrarag::tokens::Tokenizer>,
}

#[napi(namespace = "tokens")]
impl Tokenizer {
    /// `name`: `"cl100k_base"` (the default), `"o200k_base"` or
    /// `"approximate"`; throws INVALID_ARGUMENT for others.
    #[napi(constructor)]
    pub fn new(env: Env, name: Option<String>) -> Result<Self> {
        thrown(&env, || {
            let name = name.as_deref().unwrap_or(infrarag::tokens::DEFAULT);
            let inner = infrarag::tokens::by_name(name).map_err(js_error)?;
            Ok(Tokenizer { inner })
        })
    }

    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The number of tokens of `text`.
    #[napi]
    pub fn count(&self, env: Env, text: String) -> Result<u32> {
        thrown(&env, || Ok(small(self.inner.count(&text))))
    }

    /// The token ids of `text`.
    #[napi]
    pub fn encode(&self, env: Env, text: String) -> Result<Vec<u32>> {
        thrown(&env, || Ok(self.inner.encode(&text)))
    }

    /// The text of `tokens`; throws INVALID_ARGUMENT when they split a
    /// character or are not in the vocabulary.
    #[napi]
    pub fn decode(&self, env: Env, tokens: Vec<u32>) -> Result<String> {
        thrown(&env, || self.inner.decode(&tokens).map_err(js_error))
    }
}

/// The built-in tokenizer `name` (default `"cl100k_base"`), as
/// `new Tokenizer(name)`.
#[napi(namespace = "tokens")]
pub fn get(env: Env, name: Option<String>) -> Result<Tokenizer> {
    Tokenizer::new(env, name)
}

/// The number of tokens of `text`, counted by the built-in `tokenizer`
/// (default `"cl100k_base"`).
#[napi(namespace = "tokens")]
pub fn count(env: Env, text: String, tokenizer: Option<String>) -> Result<u32> {
    Tokenizer::new(env, tokenizer)?.count(env, text)
}
