//! infrarag: parse, chunk, retrieve, prompt, validate and collect
//! Infrastructure-as-Code, from one Rust core shared by Python and Node.
//!
//! Start with [`hcl::parse`] for one file, [`terraform::Module::load`] for a
//! directory, [`hcl::loads`] for python-hcl2-compatible dictionaries, or
//! [`chunk::Chunker`] to split a repository for retrieval.

#![warn(missing_docs)]

pub mod cancel;
pub mod chunk;
pub mod cli;
pub mod collect;
pub mod diagnostic;
pub mod drift;
pub mod embed;
pub mod error;
pub mod hcl;
pub mod http;
pub mod index;
pub mod llm;
pub mod pipeline;
pub mod prompt;
#[cfg(feature = "providers")]
pub mod providers;
pub mod store;
pub mod terms;
pub mod terraform;
pub mod tokens;
pub mod validate;

pub use cancel::CancelToken;
pub use error::{catch_panic, Error, Result};

/// The README's Rust quickstart, run as a doctest.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
