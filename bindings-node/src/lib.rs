//! Node bindings: `lib.rs` only declares the modules (napi registers what
//! they export); each file converts one core module (`hcl`, `tokens`,
//! `chunk`, `embed`, `index`, `validate`, `generate`), with errors mapped in
//! `error` and what Promise methods share in `task`. Logic lives in the core.

pub mod chunk;
pub mod cli;
mod convert;
pub mod embed;
mod error;
pub mod generate;
pub mod hcl;
pub mod index;
mod js_store;
mod js_tokenizer;
mod task;
pub mod tokens;
pub mod validate;
