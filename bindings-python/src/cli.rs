//! The `infrarag` command line, for `python -m infrarag` and the wheel's
//! console script.

use pyo3::prelude::*;

/// The `infrarag` command line on the process's own streams; returns the
/// exit status. See `infrarag/__main__.py`.
#[pyfunction]
pub(crate) fn cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| {
        infrarag::cli::run(
            &argv,
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )
    })
}
