//! The `infrarag` command line, for the package's `infrarag` bin.

use napi_derive::napi;

/// The `infrarag` command line (`validate DIR`, `checks`, `--version`) on
/// the process's own streams; returns the exit status (70 after an
/// internal error). The package's `infrarag` bin calls it.
#[napi]
pub fn run_cli(argv: Vec<String>) -> u32 {
    u32::from(infrarag::cli::run(
        &argv,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    ))
}
