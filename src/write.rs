//! Writing a rendered file set into an output folder, safely: every file is first written to a
//! temporary sibling and only then renamed into place, so an error leaves the previous output
//! intact; a lock file keeps two runs from interleaving; a manifest records what aks-harden wrote,
//! so stale files are removed only when aks-harden wrote them, and nothing else in the folder is
//! touched. `check` compares instead of writing.

use crate::emit::Files;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Name of the manifest aks-harden keeps in the output folder.
pub const MANIFEST: &str = ".aks-harden-manifest";
/// Name of the lock file held while writing.
pub const LOCK: &str = ".aks-harden.lock";

/// A write failed; the output folder holds what it held before.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {message}")]
pub struct WriteError {
    /// The path involved.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

fn err(path: &Path, message: impl ToString, hint: &str) -> WriteError {
    WriteError {
        path: path.to_path_buf(),
        message: message.to_string(),
        hint: hint.to_string(),
    }
}

/// What a write did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Files whose content changed or that are new.
    pub written: Vec<String>,
    /// Files left as they were (same bytes).
    pub unchanged: Vec<String>,
    /// Files from an earlier run that the estate no longer produces.
    pub removed: Vec<String>,
}

/// Something that stores files; the real folder, or a test double that fails on demand.
pub trait Sink {
    /// Write `bytes` to `path` (a temporary file that is renamed later).
    fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;
}

/// Writes to the file system.
#[derive(Debug, Default)]
pub struct FsSink;

impl Sink for FsSink {
    fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut f = fs::File::create(path)?;
        f.write_all(bytes)?;
        f.sync_all()
    }
}

fn checked_path(out: &Path, rel: &str) -> Result<PathBuf, WriteError> {
    let p = Path::new(rel);
    if p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(err(
            p,
            "refusing a path outside the output folder",
            "this is a bug in aks-harden; please report it",
        ));
    }
    Ok(out.join(p))
}

fn read_manifest(out: &Path) -> Vec<String> {
    fs::read_to_string(out.join(MANIFEST))
        .map(|s| {
            s.lines()
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn manifest_text(files: &Files) -> String {
    let mut s = String::from("# files written by aks-harden; it removes only these\n");
    for k in files.keys() {
        let _ = writeln!(s, "{k}");
    }
    s
}

struct LockGuard(PathBuf);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn prepare_out(out: &Path) -> Result<(), WriteError> {
    match fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = fs::metadata(out).map_err(|e| err(out, e, "point --out at a folder"))?;
            if !target.is_dir() {
                return Err(err(
                    out,
                    "the path is not a folder",
                    "point --out at a folder",
                ));
            }
            Ok(())
        }
        Ok(m) if !m.is_dir() => Err(err(
            out,
            "the path exists and is not a folder",
            "point --out at a folder (it is created if missing)",
        )),
        Ok(_) => Ok(()),
        Err(_) => fs::create_dir_all(out).map_err(|e| {
            err(
                out,
                e,
                "check that the parent folder exists and is writable",
            )
        }),
    }
}

/// Write `files` into `out` with the real file system.
pub fn write(out: &Path, files: &Files) -> Result<Report, WriteError> {
    write_with(out, files, &mut FsSink)
}

/// Write `files` into `out` through `sink`.
pub fn write_with(out: &Path, files: &Files, sink: &mut dyn Sink) -> Result<Report, WriteError> {
    prepare_out(out)?;
    let lock_path = out.join(LOCK);
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&lock_path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                err(
                    &lock_path,
                    "another aks-harden run is writing into this folder",
                    "wait for it to finish; if none is running, delete the lock file",
                )
            } else {
                err(out, e, "check that the folder is writable")
            }
        })?;
    let _guard = LockGuard(lock_path);

    let previous = read_manifest(out);
    let mut report = Report::default();
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in staged {
            let _ = fs::remove_file(tmp);
        }
    };
    let mut all = files.clone();
    all.insert(MANIFEST.to_string(), manifest_text(files));
    for (rel, content) in &all {
        let dest = checked_path(out, rel)?;
        if fs::read(&dest).is_ok_and(|old| old == content.as_bytes()) {
            if rel != MANIFEST {
                report.unchanged.push(rel.clone());
            }
            continue;
        }
        if let Some(parent) = dest.parent() {
            if let Err(e) = fs::create_dir_all(parent) {
                cleanup(&staged);
                return Err(err(parent, e, "check that the output folder is writable"));
            }
        }
        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{file_name}.aks-harden-tmp"));
        if let Err(e) = sink.write(&tmp, content.as_bytes()) {
            let _ = fs::remove_file(&tmp);
            cleanup(&staged);
            return Err(err(
                &dest,
                e,
                "check free space and permissions; the previous output is intact",
            ));
        }
        staged.push((tmp, dest));
        if rel != MANIFEST {
            report.written.push(rel.clone());
        }
    }
    for (tmp, dest) in &staged {
        if let Err(e) = fs::rename(tmp, dest) {
            cleanup(&staged);
            return Err(err(dest, e, "check permissions on the output folder"));
        }
    }
    for rel in previous {
        if files.contains_key(&rel) || rel == MANIFEST {
            continue;
        }
        if let Ok(p) = checked_path(out, &rel) {
            if fs::remove_file(&p).is_ok() {
                report.removed.push(rel);
                // Remove folders aks-harden emptied, never others.
                let mut dir = p.parent();
                while let Some(d) = dir {
                    if d == out || fs::remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
    }
    Ok(report)
}

/// Compare `files` with what is in `out`: a unified diff per differing file, and the stale files
/// a write would remove. Empty when the folder is up to date.
pub fn check(out: &Path, files: &Files) -> String {
    let mut diff = String::new();
    for (rel, content) in files {
        let old = fs::read_to_string(out.join(rel)).unwrap_or_default();
        if old != *content {
            let d = similar::TextDiff::from_lines(old.as_str(), content.as_str());
            let _ = write!(
                diff,
                "{}",
                d.unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{rel}"), &format!("b/{rel}"))
            );
        }
    }
    for rel in read_manifest(out) {
        if !files.contains_key(&rel) && out.join(&rel).exists() {
            let _ = writeln!(diff, "stale: {rel} (aks-harden would remove it)");
        }
    }
    diff
}
