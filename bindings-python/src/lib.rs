//! Python bindings: `lib.rs` only registers; each file converts one core
//! module (`hcl`, `tokens`, `chunk`, `embed`, `index`, `validate`, `llm`,
//! `prompt`, `pipeline`, `store`, `collect`), with errors mapped in `error` and work
//! run without the GIL in `detach`. Logic lives in the core.

use pyo3::prelude::*;

mod cancel;
mod chunk;
mod cli;
mod collect;
mod convert;
mod detach;
mod drift;
mod embed;
mod error;
mod hcl;
mod http;
mod index;
mod llm;
mod pipeline;
mod prompt;
mod providers;
mod schedule;
mod store;
mod tokens;
mod validate;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(hcl::hcl_loads, m)?)?;
    m.add_function(wrap_pyfunction!(hcl::hcl_parse, m)?)?;
    m.add_function(wrap_pyfunction!(hcl::hcl_load_file, m)?)?;
    m.add_function(wrap_pyfunction!(hcl::hcl_load_module, m)?)?;
    m.add_function(wrap_pyfunction!(hcl::hcl_evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(hcl::hcl_expand, m)?)?;
    m.add_function(wrap_pyfunction!(providers::providers_describe, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_read_state, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_read_plan, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_read_plan_stream, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_compare_config, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_compare_live, m)?)?;
    m.add_function(wrap_pyfunction!(drift::drift_sarif, m)?)?;
    m.add_class::<drift::PyAwsInventory>()?;
    m.add_class::<tokens::PyTokenizer>()?;
    m.add_class::<chunk::PyChunk>()?;
    m.add_class::<chunk::PyChunker>()?;
    m.add_class::<embed::PyEmbedder>()?;
    m.add_class::<index::PyHit>()?;
    m.add_class::<index::PyIndex>()?;
    m.add_class::<store::PyMemoryVectorStore>()?;
    m.add_class::<cancel::PyCancelToken>()?;
    m.add_class::<validate::PyReport>()?;
    m.add_class::<validate::PyFinding>()?;
    m.add_function(wrap_pyfunction!(validate::validate, m)?)?;
    m.add_function(wrap_pyfunction!(validate::check_ids, m)?)?;
    m.add_function(wrap_pyfunction!(validate::checks, m)?)?;
    m.add_class::<llm::PyModel>()?;
    m.add_class::<prompt::PyPrompt>()?;
    m.add_class::<prompt::PyConversation>()?;
    m.add_class::<prompt::PyTemplate>()?;
    m.add_class::<pipeline::PyGenerator>()?;
    m.add_function(wrap_pyfunction!(prompt::build_prompt, m)?)?;
    m.add_function(wrap_pyfunction!(prompt::redact, m)?)?;
    m.add_function(wrap_pyfunction!(cli::cli, m)?)?;
    m.add_class::<collect::PyCollectionService>()?;
    m.add_class::<schedule::PyScheduler>()?;
    m.add_function(wrap_pyfunction!(collect::collect_parse, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
