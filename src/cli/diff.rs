//! `diff`: load both sides (an estate file, a file at a git revision, a built-in profile or an
//! output folder), judge each once and print what changes with [`crate::diff`]. Running
//! `git show` happens here, never in the library.

use super::Exit;
use super::audit::{SeverityArg, severity};
use crate::audit::{self, Date, Input, Report, Source};
use crate::{Error, Syntax};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `diff` arguments.
#[derive(Debug, Args)]
#[command(after_help = "\
A side is one of:
  FILE              an estate file (JSON, or YAML with a .yaml/.yml extension)
  FOLDER            an output folder of `aks-harden gen` (its arm/main.json is compared)
  profile:NAME      a built-in profile: dev, staging, prod or regulated
  REV:PATH          an estate file or output folder at a git revision, as `git show REV:PATH`
                    reads it (PATH from the repository root, or ./PATH from here)

With a REV:PATH base and no --head, the head is PATH as it is on disk.

Exit status: 0 when no control at or above --min-severity gets worse, 1 when one does, 2 on error.")]
pub struct DiffArgs {
    /// The side before the change, e.g. `main:estate.yaml` or `profile:prod`.
    #[arg(long, value_name = "SIDE")]
    pub base: String,
    /// The side after the change; by default PATH of a `REV:PATH` base, on disk.
    #[arg(long, value_name = "SIDE")]
    pub head: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormatArg,
    /// Exit 1 when a control at or above this severity gets worse.
    #[arg(long, value_enum, default_value = "low")]
    pub min_severity: SeverityArg,
}

/// `diff` output format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    /// For a terminal.
    Text,
    /// For tools.
    Json,
    /// For a pull request comment.
    Markdown,
}

/// A side that could not be loaded: the message is printed, or the diagnostics are.
enum Failure {
    Message(String),
    Invalid(Error),
}

fn msg(s: impl Into<String>) -> Failure {
    Failure::Message(s.into())
}

fn uri(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// `git ARGS` in the current folder: stdout, or a message with git's own words.
fn git(args: &[&str], spec: &str) -> Result<Vec<u8>, Failure> {
    let out = Command::new("git").args(args).output().map_err(|e| {
        msg(format!(
            "`{spec}` names a git revision, but git cannot be run: {e}\n  = hint: install git, or compare files on disk"
        ))
    })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(msg(format!(
            "`git {}` failed: {}\n  = hint: check the revision and the path (from the repository root, or ./PATH from here); `git log --oneline -- PATH` lists its revisions",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn git_text(object: &str, spec: &str) -> Result<String, Failure> {
    let bytes = git(&["show", object], spec)?;
    if bytes.len() > crate::profile::MAX_FILE_BYTES {
        return Err(msg(format!(
            "`{object}` is larger than {} bytes",
            crate::profile::MAX_FILE_BYTES
        )));
    }
    String::from_utf8(bytes).map_err(|_| msg(format!("`{object}` is not UTF-8 text")))
}

/// Judge an ARM template with its optional parameter file, as an output folder holds them.
fn template(
    label: &str,
    main: String,
    params: Option<String>,
    today: Date,
) -> Result<Report, Failure> {
    let input = Input::from_template(Source::new(label, label, Some(main)), params.as_deref())
        .map_err(|e| msg(format!("{label}: {}", e.message)))?;
    Ok(audit::judge(input, today))
}

const MAIN: &str = "arm/main.json";
const PARAMS: &str = "arm/main.parameters.json";

fn folder(dir: &Path, today: Date) -> Result<Report, Failure> {
    let main = dir.join(MAIN);
    let text = crate::profile::read_text(&main).map_err(|d| {
        msg(format!(
            "{}: {}\n  = hint: an output folder is compared by its ARM template; generate it with `aks-harden gen --format all` (or arm)",
            main.display(),
            d.message
        ))
    })?;
    let params_path = dir.join(PARAMS);
    let params = if params_path.is_file() {
        Some(crate::profile::read_text(&params_path).map_err(|d| {
            msg(format!(
                "{}: {}\n  = hint: {}",
                params_path.display(),
                d.message,
                d.hint
            ))
        })?)
    } else {
        None
    };
    template(&uri(&main), text, params, today)
}

/// Load and judge one side.
fn side(spec: &str, today: Date) -> Result<Report, Failure> {
    if let Some(name) = spec.strip_prefix("profile:") {
        let estate = crate::load_profile(name).map_err(Failure::Invalid)?;
        return Ok(crate::audit_estate(
            &estate,
            crate::profile_source(name),
            today,
        ));
    }
    let path = Path::new(spec);
    if path.is_dir() {
        return folder(path, today);
    }
    if path.exists() {
        let estate = crate::load_file(path).map_err(Failure::Invalid)?;
        let text = crate::profile::read_text(path).ok();
        let u = uri(path);
        return Ok(crate::audit_estate(
            &estate,
            Source::new(&u, &u, text),
            today,
        ));
    }
    let Some((_, file)) = spec
        .split_once(':')
        .filter(|(r, p)| !r.is_empty() && !p.is_empty())
    else {
        return Err(msg(format!(
            "`{spec}` is neither a file, a folder, `profile:NAME` nor `REV:PATH`\n  = hint: check the path; `aks-harden diff --help` lists what a side can be"
        )));
    };
    let kind = git(&["cat-file", "-t", spec], spec)?;
    if String::from_utf8_lossy(&kind).trim() == "tree" {
        let main = format!("{spec}/{MAIN}");
        let text = git_text(&main, spec)?;
        let params = git_text(&format!("{spec}/{PARAMS}"), spec).ok();
        return template(&main, text, params, today);
    }
    let text = git_text(spec, spec)?;
    let estate = crate::load_str(spec, &text, Syntax::from_path(Path::new(file)))
        .map_err(Failure::Invalid)?;
    let u = uri(Path::new(file));
    Ok(crate::audit_estate(
        &estate,
        Source::new(spec, u, Some(text)),
        today,
    ))
}

/// The head side when none is given: PATH of a `REV:PATH` base.
fn default_head(base: &str) -> Option<String> {
    if base.starts_with("profile:") || Path::new(base).exists() {
        return None;
    }
    let (_, file) = base.split_once(':')?;
    let p = PathBuf::from(file);
    Some(uri(&p))
}

fn print_failure(f: Failure, err: &mut dyn Write) -> Exit {
    match f {
        Failure::Message(m) => {
            let _ = writeln!(err, "error: {m}");
            Exit::Error
        }
        Failure::Invalid(Error::Invalid(d)) => super::print_diagnostics(&d, "", err),
        Failure::Invalid(e) => {
            let _ = writeln!(err, "error: {e}");
            Exit::Error
        }
    }
}

/// Run `diff`: exit 0 when no control at or above the threshold gets worse, 1 when one does,
/// 2 on usage or input errors.
pub fn diff_cmd(args: &DiffArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let today = match super::audit::today() {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Exit::Error;
        }
    };
    let Some(head) = args.head.clone().or_else(|| default_head(&args.base)) else {
        let _ = writeln!(
            err,
            "error: no --head: only a `REV:PATH` base implies one (PATH on disk)\n  = hint: add --head FILE, FOLDER or profile:NAME"
        );
        return Exit::Error;
    };
    let base = match side(&args.base, today) {
        Ok(r) => r,
        Err(f) => return print_failure(f, err),
    };
    let head = match side(&head, today) {
        Ok(r) => r,
        Err(f) => return print_failure(f, err),
    };
    let d = crate::diff::compare(&base, &head);
    let threshold = severity(args.min_severity);
    let text = match args.format {
        DiffFormatArg::Text => crate::diff::text(&d, threshold),
        DiffFormatArg::Json => crate::diff::json(&d, threshold),
        DiffFormatArg::Markdown => crate::diff::markdown(&d, threshold),
    };
    let _ = write!(out, "{text}");
    let worse = d.regressions(threshold);
    if worse.is_empty() {
        Exit::Success
    } else {
        if args.format != DiffFormatArg::Text {
            let ids: Vec<String> = worse
                .iter()
                .map(|c| {
                    format!(
                        "{} ({}, {})",
                        c.control,
                        c.severity.as_str(),
                        c.change.as_str()
                    )
                })
                .collect();
            let _ = writeln!(err, "error: posture gets worse: {}", ids.join(", "));
        }
        Exit::Failed
    }
}
