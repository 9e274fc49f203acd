//! The `infrarag` command line, for `python -m infrarag` and the wheel's
//! console script.

use pyo3::prelude::*;

/// The `infrarag` command line on the process's own streams; returns the
/// exit status (70, sysexits' EX_SOFTWARE, after an internal error). See
/// `infrarag/__main__.py`.
#[pyfunction]
pub(crate) fn cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    // `run` catches its own panics; `released` only leaves the GIL here.
    crate::detach::released(py, || {
        Ok(infrarag::cli::run(
            &argv,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ))
    })
    .unwrap_or(infrarag::cli::INTERNAL_ERROR)
}
