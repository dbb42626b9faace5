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

// ---- the lock ----

/// Who holds a lock, as recorded in the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    pid: u32,
    host: String,
}

impl Holder {
    fn me() -> Holder {
        Holder {
            pid: std::process::id(),
            host: hostname(),
        }
    }

    fn text(&self) -> String {
        format!(
            "# aks-harden is writing into this folder\npid={}\nhost={}\n",
            self.pid, self.host
        )
    }

    fn parse(text: &str) -> Option<Holder> {
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::trim)
        };
        Some(Holder {
            pid: field("pid")?.parse().ok()?,
            host: field("host")?.to_string(),
        })
    }

    /// Whether the holder is certainly gone: same host, and no such process. Where that cannot
    /// be told (no `/proc`), a lock is never considered stale.
    fn is_gone(&self) -> bool {
        self.host == hostname() && process_is_gone(self.pid)
    }
}

#[cfg(target_os = "linux")]
fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(not(target_os = "linux"))]
fn hostname() -> String {
    String::new()
}

#[cfg(target_os = "linux")]
fn process_is_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_is_gone(_pid: u32) -> bool {
    false
}

/// Removes a lock file when dropped.
struct LockGuard(PathBuf);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn create_lock(path: &Path, holder: &Holder) -> std::io::Result<LockGuard> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let guard = LockGuard(path.to_path_buf());
    f.write_all(holder.text().as_bytes())?;
    Ok(guard)
}

fn read_lock(path: &Path) -> Option<(String, Option<Holder>)> {
    let text = String::from_utf8_lossy(&read_regular(path, 4096)?).to_string();
    let holder = Holder::parse(&text);
    Some((text, holder))
}

/// Take the lock on `out`, breaking a stale one. Returns the guard and the pid of a broken lock.
fn lock(out: &Path) -> Result<(LockGuard, Option<u32>), WriteError> {
    let path = out.join(LOCK);
    let me = Holder::me();
    let mut broke = None;
    for _ in 0..3 {
        match create_lock(&path, &me) {
            Ok(guard) => return Ok((guard, broke)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(err(&path, e, "check that the output folder is writable")),
        }
        let seen = read_lock(&path);
        match &seen {
            Some((text, Some(h))) if h.is_gone() && break_stale(out, &path, text)? => {
                broke = Some(h.pid);
            }
            // Gone between the attempt and the read: try again.
            None if kind(&path) == Kind::Missing => {}
            _ => return Err(held(&path, seen.and_then(|(_, h)| h))),
        }
    }
    Err(held(&path, None))
}

fn held(path: &Path, holder: Option<Holder>) -> WriteError {
    let shown = path.display();
    match holder {
        Some(h) => err(
            path,
            format!(
                "another aks-harden run (process {} on {}) is writing into this folder",
                h.pid,
                if h.host.is_empty() {
                    "this machine"
                } else {
                    &h.host
                }
            ),
            &format!("wait for it to finish; if it is not running, delete {shown}"),
        ),
        None => err(
            path,
            "the output folder is locked by another aks-harden run",
            &format!("wait for it to finish; if no aks-harden run is writing here, delete {shown}"),
        ),
    }
}

/// Remove the stale lock at `path` if it still holds `stale_text`. Only the holder of
/// [`BREAK_LOCK`] may break a lock, so two runs that both find a stale lock cannot both remove
/// it (the second would remove the first one's fresh lock). `false` when someone else is busy
/// breaking it.
fn break_stale(out: &Path, path: &Path, stale_text: &str) -> Result<bool, WriteError> {
    let break_path = out.join(BREAK_LOCK);
    let _guard = match create_lock(&break_path, &Holder::me()) {
        Ok(g) => g,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => {
            return Err(err(
                &break_path,
                e,
                "check that the output folder is writable",
            ));
        }
    };
    match read_lock(path) {
        Some((text, _)) if text == stale_text => match fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) => Err(err(path, e, "delete the stale lock file by hand")),
        },
        Some(_) => Ok(false),
        None => Ok(true),
    }
}

// ---- writing ----

/// Write `files` into `out` with the real file system.
pub fn write(out: &Path, files: &Files) -> Result<Written, WriteError> {
    write_with(out, files, &mut FsSink)
}

/// Write `files` into `out` through `sink`.
pub fn write_with(out: &Path, files: &Files, sink: &mut dyn Sink) -> Result<Written, WriteError> {
    let mut session = Session::begin(out, sink)?;
    session.add(files)?;
    session.commit()
}

/// A file to replace: its temporary copy, its destination and, once made, its backup.
struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    backup: Option<PathBuf>,
}

/// Undo: temporary files, backups, and folders created for this run (innermost first, only when
/// empty).
fn discard(staged: &[Staged], created: &[PathBuf]) {
    for s in staged {
        let _ = fs::remove_file(&s.tmp);
        if let Some(b) = &s.backup {
            let _ = fs::remove_file(b);
        }
    }
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// A write in parts, for a set too large to hold whole: the output folder is locked from
/// [`Session::begin`] to the end of the session, each [`Session::add`] puts a part's files on
/// disk at once (so the caller can free them), and nothing is in place before
/// [`Session::commit`]. A session dropped without a commit, or after a failed `add`, leaves the
/// folder as it was. [`write`] is a session of one part.
///
/// Into an empty (or new) folder every part goes into the staging folder ([`STAGING`]) and
/// the commit renames its top-level entries; into a folder with earlier output each changed
/// file is staged beside its destination and the commit renames it over the old one.
pub struct Session<'s, S: Sink + ?Sized> {
    out: PathBuf,
    sink: &'s mut S,
    lock: Option<LockGuard>,
    broke: Option<u32>,
    /// Whether `begin` created the output folder (it is removed again if nothing is committed).
    created_out: bool,
    mode: Mode,
    /// Every file added so far.
    keys: std::collections::BTreeSet<String>,
    written: Written,
    /// An `add` failed and undid the session; nothing more is written.
    failed: bool,
    committed: bool,
}

enum Mode {
    /// Into an empty folder, through the staging folder.
    Fresh {
        staging: PathBuf,
        /// Folders made inside the staging folder.
        folders: std::collections::BTreeSet<String>,
        /// Top-level entries, in the order their files came.
        top: Vec<String>,
    },
    /// Over an earlier output, file by file.
    Over {
        previous: Vec<String>,
        folders: Folders,
        staged: Vec<Staged>,
        created: Vec<PathBuf>,
    },
}

impl<'s, S: Sink + ?Sized> Session<'s, S> {
    /// Lock `out` (creating it if missing) and get ready to write into it.
    pub fn begin(out: &Path, sink: &'s mut S) -> Result<Session<'s, S>, WriteError> {
        let created_out = kind(out) == Kind::Missing;
        prepare_out(out)?;
        let (lock, broke) = lock(out)?;
        let mode = if is_empty(out) {
            let staging = out.join(STAGING);
            fs::create_dir(&staging)
                .map_err(|e| err(&staging, e, "check that the output folder is writable"))?;
            Mode::Fresh {
                staging,
                folders: std::collections::BTreeSet::new(),
                top: Vec::new(),
            }
        } else {
            Mode::Over {
                previous: read_manifest(out),
                folders: Folders::default(),
                staged: Vec::new(),
                created: Vec::new(),
            }
        };
        Ok(Session {
            out: out.to_path_buf(),
            sink,
            lock: Some(lock),
            broke,
            created_out,
            mode,
            keys: std::collections::BTreeSet::new(),
            written: Written::default(),
            failed: false,
            committed: false,
        })
    }

    /// How many files were added so far.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no file was added yet.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Put `files` on disk, staged: none of them is in place before [`Session::commit`]. Every
    /// path is checked before any of them is written. On failure the whole session is undone.
    pub fn add(&mut self, files: &Files) -> Result<(), WriteError> {
        if self.failed {
            return Err(err(
                &self.out,
                "an earlier part of this write failed",
                "see the earlier error; the previous output is intact",
            ));
        }
        let added = self.add_part(files.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if added.is_err() {
            self.undo();
            self.failed = true;
        }
        added
    }

    fn add_part<'f>(
        &mut self,
        files: impl Iterator<Item = (&'f str, &'f str)> + Clone,
    ) -> Result<(), WriteError> {
        let out = self.out.clone();
        // Refuse a path outside the folder, or a second file at one path, before anything of
        // this part is written.
        for (rel, _) in files.clone() {
            checked_path(&out, rel)?;
            if rel == MANIFEST || !self.keys.insert(rel.to_string()) {
                return Err(err(
                    Path::new(rel),
                    "two files of the set have this path",
                    "this is a bug in aks-harden; please report it",
                ));
            }
        }
        match &mut self.mode {
            Mode::Fresh {
                staging,
                folders,
                top,
            } => stage_fresh(&out, staging, folders, top, files, self.sink),
            Mode::Over {
                folders,
                staged,
                created,
                ..
            } => stage_over(
                &out,
                folders,
                staged,
                created,
                files,
                self.sink,
                &mut self.written,
            ),
        }
    }

    /// Put everything added in place, the manifest last, and remove what an earlier run wrote
    /// and this one did not. On failure the folder holds what it held before.
    pub fn commit(mut self) -> Result<Written, WriteError> {
        if self.failed {
            return Err(err(
                &self.out,
                "an earlier part of this write failed",
                "see the earlier error; the previous output is intact",
            ));
        }
        let committed = self.commit_parts();
        if committed.is_err() {
            self.undo();
        }
        self.committed = true;
        committed
    }

    fn commit_parts(&mut self) -> Result<Written, WriteError> {
        let out = self.out.clone();
        let manifest = manifest_text(self.keys.iter());
        let mut written = std::mem::take(&mut self.written);
        match &mut self.mode {
            Mode::Fresh { staging, top, .. } => {
                let path = staging.join(MANIFEST);
                self.sink.write(&path, manifest.as_bytes()).map_err(|e| {
                    err(
                        &out.join(MANIFEST),
                        e,
                        "check free space and permissions; the previous output is intact",
                    )
                })?;
                top.push(MANIFEST.to_string());
                for (i, name) in top.iter().enumerate() {
                    if let Err(e) = self.sink.rename(&staging.join(name), &out.join(name)) {
                        for done in top[..i].iter().rev() {
                            let _ = fs::rename(out.join(done), staging.join(done));
                        }
                        return Err(err(
                            &out.join(name),
                            e,
                            "check permissions on the output folder; the previous output is intact",
                        ));
                    }
                }
                let _ = fs::remove_dir(&*staging);
                written.written = self.keys.iter().cloned().collect();
            }
            Mode::Over {
                previous,
                folders,
                staged,
                created,
            } => {
                // The manifest comes last, so it never lists a file before that file is in
                // place.
                let mut manifest_written = Written::default();
                stage_over(
                    &out,
                    folders,
                    staged,
                    created,
                    std::iter::once((MANIFEST, manifest.as_str())),
                    self.sink,
                    &mut manifest_written,
                )?;
                replace(staged, self.sink)?;
                staged.clear();
                created.clear();
                written.written.sort();
                written.unchanged.sort();
                written.removed = remove_stale(&out, previous, &self.keys);
            }
        }
        written.broke_stale_lock = self.broke;
        Ok(written)
    }

    /// Take back everything staged: the staging folder, or the temporary files and backups and
    /// the folders made for them.
    fn undo(&mut self) {
        match &mut self.mode {
            Mode::Fresh { staging, .. } => {
                let _ = fs::remove_dir_all(&*staging);
            }
            Mode::Over {
                staged, created, ..
            } => {
                discard(staged, created);
                staged.clear();
                created.clear();
            }
        }
    }
}

impl<S: Sink + ?Sized> Drop for Session<'_, S> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if !self.failed {
            self.undo();
        }
        drop(self.lock.take());
        if self.created_out {
            // Only when empty: a folder this run made and did not fill.
            let _ = fs::remove_dir(&self.out);
        }
    }
}

/// Whether `out` holds nothing but this run's lock (and the staging folder of a run that crashed,
/// which is removed here: it is aks-harden's own and the lock is ours).
fn is_empty(out: &Path) -> bool {
    let Ok(entries) = fs::read_dir(out) else {
        return false;
    };
    let mut leftover = false;
    for entry in entries {
        let Ok(entry) = entry else {
            return false;
        };
        let name = entry.file_name();
        if name == STAGING {
            leftover = true;
        } else if name != LOCK {
            return false;
        }
    }
    // `remove_dir_all` removes a symlink itself, never what it points to.
    !leftover || fs::remove_dir_all(out.join(STAGING)).is_ok()
}

/// Write a part into the staging folder of a fresh write: each folder created once, each file
/// written once.
fn stage_fresh<'f, S: Sink + ?Sized>(
    out: &Path,
    staging: &Path,
    folders: &mut std::collections::BTreeSet<String>,
    top: &mut Vec<String>,
    files: impl Iterator<Item = (&'f str, &'f str)>,
    sink: &mut S,
) -> Result<(), WriteError> {
    let mut path = staging.to_path_buf();
    for (rel, content) in files {
        let first = rel.split('/').next().unwrap_or(rel);
        if !top.iter().any(|t| t == first) {
            top.push(first.to_string());
        }
        for (i, _) in rel.match_indices('/') {
            let folder = &rel[..i];
            if !folders.contains(folder) {
                let d = staging.join(folder);
                fs::create_dir(&d).map_err(|e| {
                    err(
                        &out.join(folder),
                        e,
                        "check that the output folder is writable",
                    )
                })?;
                folders.insert(folder.to_string());
            }
        }
        path.push(rel);
        let made = sink.write(&path, content.as_bytes());
        path.clear();
        path.push(staging);
        made.map_err(|e| {
            err(
                &out.join(rel),
                e,
                "check free space and permissions; the previous output is intact",
            )
        })?;
    }
    Ok(())
}

/// What is at each folder on the way to the files of a set, asked of the file system once per
/// folder rather than once per file.
#[derive(Default)]
struct Folders(std::collections::BTreeMap<PathBuf, Kind>);

impl Folders {
    fn kind(&mut self, d: &Path) -> Kind {
        if let Some(k) = self.0.get(d) {
            return *k;
        }
        let k = kind(d);
        self.0.insert(d.to_path_buf(), k);
        k
    }

    /// [`unsafe_destination`], with the folders' kinds remembered.
    fn unsafe_destination(&mut self, out: &Path, dest: &Path) -> Option<WriteError> {
        for d in folders_between(out, dest) {
            match self.kind(&d) {
                Kind::Missing => return None,
                Kind::Dir => {}
                _ => return unsafe_destination(out, dest),
            }
        }
        unsafe_destination_file(dest)
    }
}

/// Stage a part over an earlier output: every destination checked first, then each changed file
/// written to a temporary sibling of its destination. Unchanged and changed files are counted
/// in `written` (the manifest is never listed).
fn stage_over<'f, S: Sink + ?Sized>(
    out: &Path,
    folders: &mut Folders,
    staged: &mut Vec<Staged>,
    created: &mut Vec<PathBuf>,
    files: impl Iterator<Item = (&'f str, &'f str)>,
    sink: &mut S,
    written: &mut Written,
) -> Result<(), WriteError> {
    let mut plan = Vec::new();
    for (rel, content) in files {
        let dest = checked_path(out, rel)?;
        if let Some(e) = folders.unsafe_destination(out, &dest) {
            return Err(e);
        }
        let same =
            read_regular(&dest, content.len() as u64).is_some_and(|old| old == content.as_bytes());
        if same {
            if rel != MANIFEST {
                written.unchanged.push(rel.to_string());
            }
        } else {
            plan.push((rel, dest, content));
        }
    }
    for (rel, dest, content) in plan {
        for d in folders_between(out, &dest) {
            if folders.kind(&d) == Kind::Missing {
                fs::create_dir(&d)
                    .map_err(|e| err(&d, e, "check that the output folder is writable"))?;
                folders.0.insert(d.clone(), Kind::Dir);
                created.push(d);
            }
        }
        let tmp = sibling(&dest, TMP_SUFFIX);
        // A leftover from a crashed run, or a trap: never written through, always replaced.
        let _ = fs::remove_file(&tmp);
        if let Err(e) = sink.write(&tmp, content.as_bytes()) {
            let _ = fs::remove_file(&tmp);
            return Err(err(
                &dest,
                e,
                "check free space and permissions; the previous output is intact",
            ));
        }
        staged.push(Staged {
            tmp,
            dest,
            backup: None,
        });
        if rel != MANIFEST {
            written.written.push(rel.to_string());
        }
    }
    Ok(())
}

/// Rename every staged file over its destination, each replaced file backed up first so that a
/// failed rename can be undone; on failure the old files are put back.
fn replace<S: Sink + ?Sized>(staged: &mut [Staged], sink: &mut S) -> Result<(), WriteError> {
    for s in staged.iter_mut() {
        if kind(&s.dest) != Kind::File {
            continue;
        }
        let backup = sibling(&s.dest, BACKUP_SUFFIX);
        let _ = fs::remove_file(&backup);
        let made =
            fs::hard_link(&s.dest, &backup).or_else(|_| fs::copy(&s.dest, &backup).map(|_| ()));
        if let Err(e) = made {
            return Err(err(
                &s.dest,
                e,
                "check free space and permissions; the previous output is intact",
            ));
        }
        s.backup = Some(backup);
    }
    for (i, s) in staged.iter().enumerate() {
        if let Err(e) = sink.rename(&s.tmp, &s.dest) {
            for done in staged[..i].iter().rev() {
                let _ = match &done.backup {
                    Some(b) => fs::rename(b, &done.dest),
                    None => fs::remove_file(&done.dest),
                };
            }
            return Err(err(
                &s.dest,
                e,
                "check permissions on the output folder; the previous output is intact",
            ));
        }
    }
    // Every temporary file is renamed; only the backups are left to remove.
    for b in staged.iter().filter_map(|s| s.backup.as_ref()) {
        let _ = fs::remove_file(b);
    }
    Ok(())
}

/// Remove what an earlier run wrote (its manifest lists it) and this one does not produce,
/// never anything else; and the folders that leaves empty.
fn remove_stale(
    out: &Path,
    previous: &[String],
    keys: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let mut removed = Vec::new();
    for rel in previous {
        if keys.contains(rel) {
            continue;
        }
        let Some(p) = contained(out, rel) else {
            continue;
        };
        if !is_plain_file_inside(out, &p) || fs::remove_file(&p).is_err() {
            continue;
        }
        removed.push(rel.clone());
        // Remove folders aks-harden emptied, never others.
        for d in folders_between(out, &p).iter().rev() {
            if kind(d) != Kind::Dir || fs::remove_dir(d).is_err() {
                break;
            }
        }
    }
    removed
}

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
    fn lock_text_round_trips() {
        let h = Holder {
            pid: 42,
            host: "build-7".into(),
        };
        assert_eq!(Holder::parse(&h.text()), Some(h));
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("pid=x\nhost=a\n"), None);
    }

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
