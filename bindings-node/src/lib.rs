//! Node bindings: `lib.rs` only declares the modules (napi registers what
//! they export); each file converts one core module (`hcl`, `tokens`,
//! `chunk`, `embed`, `index`, `validate`, `llm`, `prompt`, `pipeline`),
//! with errors mapped in `error`, what Promise methods share in `task` and
//! JS callbacks from worker threads in `listener`. Logic lives in the core.

pub mod chunk;
pub mod cli;
pub mod collect;
mod convert;
pub mod drift;
pub mod embed;
mod error;
pub mod hcl;
mod http;
pub mod index;
mod js_store;
mod js_tokenizer;
mod listener;
pub mod llm;
pub mod pipeline;
pub mod prompt;
pub mod providers;
pub mod schedule;
mod task;
pub mod tokens;
pub mod validate;
