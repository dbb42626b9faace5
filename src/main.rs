//! The `aks-harden` command: parse arguments and hand over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = aks_harden::cli::Cli::parse();
    aks_harden::cli::run(
        cli,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}
