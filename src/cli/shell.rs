//! Shell integration: `completions` (bash, zsh, fish, PowerShell, elvish), `man` (roff pages for
//! the command and every subcommand) and the global `--quiet`, which keeps the success lines of
//! a command off stdout for scripts. aks-harden prints no colour of its own; clap colours its
//! help and usage errors only on a terminal and honours `NO_COLOR`.

use super::{Cli, Exit};
use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `completions` arguments.
#[derive(Debug, Args)]
#[command(after_help = "\
Install, for example:
  bash:        aks-harden completions bash > ~/.local/share/bash-completion/completions/aks-harden
  zsh:         aks-harden completions zsh > \"${fpath[1]}/_aks-harden\"
  fish:        aks-harden completions fish > ~/.config/fish/completions/aks-harden.fish
  PowerShell:  aks-harden completions powershell | Out-String | Invoke-Expression")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// `man` arguments.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `aks-harden.1` and one `aks-harden-<command>.1` per subcommand into this folder
    /// (created if missing); without it, print `aks-harden.1` to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Run `completions`: the script for the shell on stdout.
pub fn completions_cmd(args: &CompletionsArgs, out: &mut dyn Write) -> Exit {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "aks-harden", &mut buf);
    let _ = out.write_all(&buf);
    Exit::Success
}

/// The man page of `cmd` (built, so subcommands are named `aks-harden-gen`), as roff.
fn page(cmd: clap::Command) -> std::io::Result<(String, Vec<u8>)> {
    let man = clap_mangen::Man::new(cmd)
        .source(format!("aks-harden {}", env!("CARGO_PKG_VERSION")))
        .manual("aks-harden");
    let mut buf = Vec::new();
    man.render(&mut buf)?;
    Ok((man.get_filename(), buf))
}

fn pages_of(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    out.push(page(cmd.clone())?);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages_of(sub, out)?;
    }
    Ok(())
}

/// Every page, file name and roff: `aks-harden.1`, then one per subcommand (`aks-harden-gen.1`,
/// `aks-harden-profiles-show.1`, ...).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    pages_of(&cmd, &mut pages)?;
    Ok(pages)
}

fn write_pages(dir: &Path, out: &mut dyn Write) -> Result<(), String> {
    let pages = man_pages().map_err(|e| format!("cannot render the man pages: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| {
        format!(
            "cannot create {}: {e}\n  = hint: check that its parent folder is writable",
            dir.display()
        )
    })?;
    for (name, bytes) in &pages {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| {
            format!(
                "cannot write {}: {e}\n  = hint: check that the folder is writable",
                path.display()
            )
        })?;
    }
    let _ = writeln!(out, "wrote {} man pages to {}", pages.len(), dir.display());
    Ok(())
}

/// Run `man`.
pub fn man_cmd(args: &ManArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let result = match &args.out {
        Some(dir) => write_pages(dir, out),
        None => page(Cli::command())
            .map(|(_, b)| {
                let _ = out.write_all(&b);
            })
            .map_err(|e| format!("cannot render the man page: {e}")),
    };
    match result {
        Ok(()) => Exit::Success,
        Err(m) => {
            let _ = writeln!(err, "error: {m}");
            Exit::Error
        }
    }
}

/// Run a command; with `quiet`, drop what it printed on stdout when it succeeded. Failures
/// (a `--check` diff, say) still print everything.
pub fn quietly(quiet: bool, out: &mut dyn Write, run: impl FnOnce(&mut dyn Write) -> Exit) -> Exit {
    if !quiet {
        return run(out);
    }
    let mut buf = Vec::new();
    let code = run(&mut buf);
    if code != Exit::Success {
        let _ = out.write_all(&buf);
    }
    code
}
