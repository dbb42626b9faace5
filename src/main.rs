//! The `aks-harden` command: parse arguments and hand over to the library.

use clap::Parser;
use std::process::ExitCode;

/// The command allocates and frees millions of small values for a large estate (JSON trees,
/// names, traces); mimalloc does that with about a third less CPU than the system allocator.
/// Without transparent huge pages: memory mimalloc hands back and takes again would otherwise be
/// zeroed 2 MiB at a time, which cost more kernel time than the allocator saved.
/// The library leaves the choice to whoever embeds it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = aks_harden::cli::Cli::parse();
    aks_harden::cli::run(
        cli,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}
