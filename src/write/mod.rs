//! Writing a rendered file set into an output folder, safely.
//!
//! - **All or nothing.** Every file is first written to a temporary sibling; only when all are
//!   written are they renamed into place. If a rename fails half-way, the files already renamed
//!   are put back from hard-linked backups, so an error leaves the previous output intact. Into
//!   an empty (or new) output folder the set is written into a staging folder inside it
//!   ([`STAGING`]) and its few top-level entries are renamed into place, so that a first run of
//!   a large fleet creates each folder once and renames a handful of entries, not every file;
//!   a failure moves what was renamed back and removes the staging folder.
//! - **One writer at a time.** A lock file ([`LOCK`]) records the process id and host of the
//!   writer. A second run fails with an error naming the lock file and the holder; a lock left
//!   by a run that crashed (its process is gone, same host) is broken, under a short-lived
//!   second lock so that two runs cannot both break it.
//! - **Nothing else is touched.** A manifest ([`MANIFEST`]) records what aks-harden wrote. A
//!   file from an earlier run that the estate no longer produces is removed only when the
//!   manifest lists it, and manifest entries that are absolute or contain `..` are ignored.
//!   Other files in the folder are never read, written or removed.
//! - **No symlinks.** `--out` itself may be a symlink to a folder (that folder is the output
//!   folder), but aks-harden never writes, reads or removes through a symlink *inside* it: a
//!   sub-folder or file on the path of a file it writes that is a symlink is an error, and a
//!   symlink on the path of a stale file is left alone. Only regular files are read or replaced,
//!   so a pipe or device in the folder cannot block or flood a run.
//!
//! [`check`] compares instead of writing.

mod lock;
mod writer;

pub use writer::Writer;

use crate::emit::Files;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Component, Path, PathBuf};

/// Name of the manifest aks-harden keeps in the output folder.
pub const MANIFEST: &str = ".aks-harden-manifest";
/// Name of the lock file held while writing.
pub const LOCK: &str = ".aks-harden.lock";
/// Name of the lock held for a moment while breaking a stale [`LOCK`].
pub const BREAK_LOCK: &str = ".aks-harden.lock.break";
/// Suffix of the temporary file each output file is written to before it is renamed into place.
pub const TMP_SUFFIX: &str = ".aks-harden-tmp";
/// Suffix of the backup kept of each replaced file until all renames succeeded.
pub const BACKUP_SUFFIX: &str = ".aks-harden-old";
/// Name of the folder a write into an empty output folder stages the whole set in.
pub const STAGING: &str = ".aks-harden-staging";
/// Largest manifest aks-harden reads; a bigger one is ignored (nothing stale is removed).
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

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
pub struct Written {
    /// Files whose content changed or that are new.
    pub written: Vec<String>,
    /// Files left as they were (same bytes).
    pub unchanged: Vec<String>,
    /// Files from an earlier run that the estate no longer produces.
    pub removed: Vec<String>,
    /// The process id recorded in a stale lock that was broken, if any.
    pub broke_stale_lock: Option<u32>,
}

/// Something that stores files; the real folder, or a test double that fails on demand.
pub trait Sink {
    /// Write `bytes` to `path`, a temporary file that does not exist yet and is renamed later
    /// (on its own, or with the staging folder it is in).
    fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()>;

    /// Move the temporary file `from` over `to`, in the same folder; or a top-level entry of the
    /// staging folder (a file or a whole folder) to the same name in the output folder.
    fn rename(&mut self, from: &Path, to: &Path) -> std::io::Result<()> {
        fs::rename(from, to)
    }
}

/// Writes to the file system.
#[derive(Debug, Default)]
pub struct FsSink;

impl Sink for FsSink {
    fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        // `create_new` never follows a symlink or reuses a file someone else created.
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        // No fsync: the output is derived from the estate and `gen` makes it again, while a
        // flush per file would make writing a fleet's thousands of files wait on the disk
        // thousands of times. Readers still see each file old or new, never half-written,
        // because it is renamed into place; after a power loss `gen --check` tells.
        f.write_all(bytes)
    }
}

/// `rel` joined to `out`, if it stays inside `out` and is spelt the one way aks-harden spells
/// paths: relative, `/`-separated, no empty, `.` or `..` segments (so `arm/./main.json` cannot
/// alias `arm/main.json`).
fn contained(out: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    let plain = rel
        .split('/')
        .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']))
        && p.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !p.is_absolute()).then(|| out.join(p))
}

fn checked_path(out: &Path, rel: &str) -> Result<PathBuf, WriteError> {
    contained(out, rel).ok_or_else(|| {
        err(
            Path::new(rel),
            "refusing a path outside the output folder",
            "this is a bug in aks-harden; please report it",
        )
    })
}

/// What is at a path, without following a symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Missing,
    File,
    Dir,
    Symlink,
    /// A pipe, socket or device.
    Other,
}

fn kind(p: &Path) -> Kind {
    match fs::symlink_metadata(p) {
        Err(_) => Kind::Missing,
        Ok(m) if m.file_type().is_symlink() => Kind::Symlink,
        Ok(m) if m.is_file() => Kind::File,
        Ok(m) if m.is_dir() => Kind::Dir,
        Ok(_) => Kind::Other,
    }
}

/// The folders between `out` (exclusive) and `dest` (exclusive), outermost first.
fn folders_between(out: &Path, dest: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = dest
        .ancestors()
        .skip(1)
        .take_while(|d| *d != out)
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    dirs
}

/// Why `dest` (a file aks-harden produces) must not be written, if it must not: a symlink or
/// something other than a folder on the way, or something other than a regular file at `dest`.
fn unsafe_destination(out: &Path, dest: &Path) -> Option<WriteError> {
    for d in folders_between(out, dest) {
        match kind(&d) {
            Kind::Missing => break,
            Kind::Dir => {}
            Kind::Symlink => {
                return Some(err(
                    &d,
                    "the folder is a symlink; aks-harden never writes through a symlink",
                    "replace the symlink with a real folder, or point --out elsewhere",
                ));
            }
            Kind::File | Kind::Other => {
                return Some(err(
                    &d,
                    "the path must be a folder, but something else is there",
                    "move it away, or point --out elsewhere",
                ));
            }
        }
    }
    unsafe_destination_file(dest)
}

/// Why the file `dest` must not be written, its folders being real ones.
fn unsafe_destination_file(dest: &Path) -> Option<WriteError> {
    match kind(dest) {
        Kind::Missing | Kind::File => None,
        Kind::Symlink => Some(err(
            dest,
            "the file is a symlink; aks-harden never writes through a symlink",
            "remove the symlink; aks-harden writes a regular file in its place",
        )),
        Kind::Dir | Kind::Other => Some(err(
            dest,
            "the path must be a regular file, but a folder, pipe or device is there",
            "move it away, or point --out elsewhere",
        )),
    }
}

/// Whether `dest` and every folder between it and `out` are what a file aks-harden wrote would
/// be: real folders and a regular file.
fn is_plain_file_inside(out: &Path, dest: &Path) -> bool {
    folders_between(out, dest)
        .iter()
        .all(|d| kind(d) == Kind::Dir)
        && kind(dest) == Kind::File
}

/// Read a regular file (never a symlink, pipe or device) of at most `limit` bytes.
fn read_regular(p: &Path, limit: u64) -> Option<Vec<u8>> {
    let meta = fs::symlink_metadata(p).ok()?;
    if !meta.is_file() || meta.len() > limit {
        return None;
    }
    let mut bytes = Vec::new();
    fs::File::open(p)
        .ok()?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= limit).then_some(bytes)
}

/// The entries of the manifest in `out`; entries that leave the folder or name aks-harden's own
/// bookkeeping files are dropped. Empty when there is no readable manifest.
fn read_manifest(out: &Path) -> Vec<String> {
    let Some(bytes) = read_regular(&out.join(MANIFEST), MAX_MANIFEST_BYTES) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| contained(out, l).is_some())
        .filter(|l| {
            let name = l.rsplit('/').next().unwrap_or(l);
            ![MANIFEST, LOCK, BREAK_LOCK].contains(&name)
                && !name.ends_with(TMP_SUFFIX)
                && !name.ends_with(BACKUP_SUFFIX)
        })
        .map(str::to_string)
        .collect()
}

fn manifest_text<'k>(keys: impl Iterator<Item = &'k String>) -> String {
    let mut s = String::from("# files written by aks-harden; it removes only these\n");
    for k in keys {
        let _ = writeln!(s, "{k}");
    }
    s
}

fn sibling(dest: &Path, suffix: &str) -> PathBuf {
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    dest.with_file_name(format!(".{name}{suffix}"))
}

fn prepare_out(out: &Path) -> Result<(), WriteError> {
    match fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_symlink() => {
            // `--out` itself may be a symlink: the folder it leads to is the output folder.
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

// ---- writing ----

/// Write `files` into `out` with the real file system.
pub fn write(out: &Path, files: &Files) -> Result<Written, WriteError> {
    write_with(out, files, &mut FsSink)
}

/// Write `files` into `out` through `sink`.
pub fn write_with(out: &Path, files: &Files, sink: &mut dyn Sink) -> Result<Written, WriteError> {
    let mut writer = Writer::begin(out, sink)?;
    writer.add(files)?;
    writer.commit()
}

/// a write would remove. Empty when the folder is up to date. Reads only regular files, never
/// Compare `files` with what is in `out`: a unified diff per differing file, and the stale files
/// a write would remove. Empty when the folder is up to date. Reads only regular files, never
/// through a symlink.
pub fn check(out: &Path, files: &Files) -> String {
    let mut diff = String::new();
    for (rel, content) in files {
        let Some(dest) = contained(out, rel) else {
            let _ = writeln!(diff, "refused: {rel} (outside the output folder)");
            continue;
        };
        if let Some(e) = unsafe_destination(out, &dest) {
            let _ = writeln!(diff, "refused: {rel}: {}: {}", e.path.display(), e.message);
            continue;
        }
        let limit = (content.len() as u64).saturating_mul(2).max(1024 * 1024);
        let old = read_regular(&dest, limit)
            .map(|b| String::from_utf8_lossy(&b).to_string())
            .unwrap_or_default();
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
        if files.contains_key(&rel) {
            continue;
        }
        if contained(out, &rel).is_some_and(|p| is_plain_file_inside(out, &p)) {
            let _ = writeln!(diff, "stale: {rel} (aks-harden would remove it)");
        }
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Files {
        [
            ("arm/main.json", "{}\n"),
            ("bicep/modules/a.bicep", "a"),
            ("bicep/modules/b.bicep", "b"),
            ("OPERATE.md", "# operate\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Relative path → content of every file under `dir`, and the folders as `path/`.
    fn tree(dir: &Path) -> Vec<(String, String)> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
            for e in fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if fs::symlink_metadata(&p).unwrap().is_dir() {
                    out.push((format!("{rel}/"), String::new()));
                    walk(base, &p, out);
                } else {
                    out.push((rel, fs::read_to_string(&p).unwrap_or_default()));
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    #[test]
    fn contained_refuses_paths_that_leave_the_folder() {
        let out = Path::new("out");
        assert_eq!(
            contained(out, "arm/main.json"),
            Some(out.join("arm/main.json"))
        );
        for bad in [
            "",
            "../x",
            "arm/../../x",
            "/etc/passwd",
            "./x",
            "arm/./x",
            "a\\..\\x",
            "arm//x",
            "arm/",
        ] {
            assert_eq!(contained(out, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_first_write_stages_the_set_and_leaves_only_the_set() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let report = write(&out, &set()).unwrap();
        assert_eq!(report.written, set().keys().cloned().collect::<Vec<_>>());
        let mut want: Vec<(String, String)> = set().into_iter().collect();
        want.push((MANIFEST.into(), manifest_text(set().keys())));
        for d in ["arm/", "bicep/", "bicep/modules/"] {
            want.push((d.into(), String::new()));
        }
        want.sort();
        assert_eq!(
            tree(&out),
            want,
            "no lock, staging folder or temporary file is left"
        );
    }

    #[test]
    fn a_crashed_runs_staging_folder_is_removed_and_the_write_goes_ahead() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(out.join(STAGING).join("arm")).unwrap();
        fs::write(out.join(STAGING).join("arm/main.json"), "half").unwrap();
        write(&out, &set()).unwrap();
        assert!(!out.join(STAGING).exists());
        assert_eq!(
            fs::read_to_string(out.join("arm/main.json")).unwrap(),
            "{}\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_staging_folder_planted_as_a_symlink_is_removed_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("keep.txt"), "keep").unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink(&outside, out.join(STAGING)).unwrap();
        write(&out, &set()).unwrap();
        assert!(fs::symlink_metadata(out.join(STAGING)).is_err());
        assert_eq!(tree(&outside), [("keep.txt".into(), "keep".into())]);
        assert_eq!(
            fs::read_to_string(out.join("OPERATE.md")).unwrap(),
            "# operate\n"
        );
    }

    /// Records what is written where.
    struct Spy(Vec<PathBuf>);

    impl Sink for Spy {
        fn write(&mut self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
            self.0.push(path.to_path_buf());
            FsSink.write(path, bytes)
        }
    }

    #[test]
    fn a_folder_with_other_files_is_written_file_by_file() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("README.md"), "mine").unwrap();
        let mut spy = Spy(Vec::new());
        write_with(&out, &set(), &mut spy).unwrap();
        assert!(
            spy.0
                .iter()
                .all(|p| p.to_string_lossy().ends_with(TMP_SUFFIX)),
            "{:?}",
            spy.0
        );
        assert_eq!(fs::read_to_string(out.join("README.md")).unwrap(), "mine");
        // Into an empty folder, the files are written inside the staging folder instead.
        let fresh = tmp.path().join("fresh");
        let mut spy = Spy(Vec::new());
        write_with(&fresh, &set(), &mut spy).unwrap();
        assert_eq!(spy.0.len(), set().len() + 1);
        assert!(
            spy.0.iter().all(|p| p.starts_with(fresh.join(STAGING))),
            "{:?}",
            spy.0
        );
        assert_eq!(
            tree(&fresh),
            tree(&out)
                .into_iter()
                .filter(|(k, _)| k != "README.md")
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn folders_between_lists_parents_outermost_first() {
        let out = Path::new("/o");
        assert_eq!(
            folders_between(out, Path::new("/o/a/b/c.json")),
            [PathBuf::from("/o/a"), PathBuf::from("/o/a/b")]
        );
        assert!(folders_between(out, Path::new("/o/c.json")).is_empty());
    }
}
