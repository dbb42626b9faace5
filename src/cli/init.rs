//! `init`: write a starter estate file ([`crate::init`]) to a new file or to stdout. It never
//! overwrites a file.

use super::Exit;
use crate::Syntax;
use crate::init::{Starter, starter};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `init` arguments.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The file to create (refused if it exists); stdout when absent.
    pub path: Option<PathBuf>,
    /// The built-in profile the estate extends: dev, staging, prod or regulated.
    #[arg(long, default_value = "prod")]
    pub extends: String,
    /// The estate name: 2 to 10 lowercase letters and digits, starting with a letter.
    #[arg(long)]
    pub name: String,
    /// YAML (with a comment on each value to decide) or JSON; by default from the file's
    /// extension, else YAML.
    #[arg(long, value_enum)]
    pub format: Option<InitFormatArg>,
    /// How many spokes: the profile's own, then spoke2, spoke3, ... (1 to 6).
    #[arg(long, default_value_t = 1)]
    pub spokes: usize,
}

/// Starter format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitFormatArg {
    /// YAML, with comments.
    Yaml,
    /// JSON.
    Json,
}

fn syntax(args: &InitArgs) -> Result<Syntax, String> {
    let by_path = args.path.as_deref().map(Syntax::from_path);
    let asked = args.format.map(|f| match f {
        InitFormatArg::Yaml => Syntax::Yaml,
        InitFormatArg::Json => Syntax::Json,
    });
    match (asked, by_path, args.path.as_deref()) {
        (Some(a), Some(p), Some(path)) if a != p => Err(format!(
            "{} would be read as {}, not as {}\n  = hint: name it .yaml or .yml for YAML, .json for JSON, or drop --format",
            path.display(),
            if p == Syntax::Yaml { "YAML" } else { "JSON" },
            if a == Syntax::Yaml { "YAML" } else { "JSON" },
        )),
        (Some(a), _, _) => Ok(a),
        (None, Some(p), Some(path)) if path.extension().is_some() => Ok(p),
        _ => Ok(Syntax::Yaml),
    }
}

fn create(path: &Path, text: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!(
                    "{} already exists; init never overwrites a file\n  = hint: choose another path, or move the file away first",
                    path.display()
                )
            } else {
                format!(
                    "cannot create {}: {e}\n  = hint: check that its folder exists and is writable",
                    path.display()
                )
            }
        })?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Run `init`.
pub fn init_cmd(args: &InitArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let fail = |m: String, err: &mut dyn Write| {
        let _ = writeln!(err, "error: {m}");
        Exit::Error
    };
    let syntax = match syntax(args) {
        Ok(s) => s,
        Err(m) => return fail(m, err),
    };
    let text = match starter(
        &Starter::new(&args.extends, &args.name)
            .syntax(syntax)
            .spokes(args.spokes),
    ) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}\n  = hint: {}", e.message, e.hint), err),
    };
    let Some(path) = &args.path else {
        let _ = write!(out, "{text}");
        return Exit::Success;
    };
    if let Err(m) = create(path, &text) {
        return fail(m, err);
    }
    let _ = writeln!(
        out,
        "wrote {}: fill in the ids (`aks-harden validate {}` names them), save the schema beside it (`aks-harden schema > estate.schema.json`), then `aks-harden gen --estate {} --out out`",
        path.display(),
        path.display(),
        path.display()
    );
    Exit::Success
}
