//! Writing a set in parts ([`Writer`]): staged into the folder as the parts come, put in
//! place at the commit, taken back when dropped uncommitted.

use super::lock::{LockGuard, lock};
use super::{
    BACKUP_SUFFIX, Files, Kind, LOCK, MANIFEST, STAGING, Sink, TMP_SUFFIX, WriteError, Written,
    checked_path, contained, err, folders_between, is_plain_file_inside, kind, manifest_text,
    prepare_out, read_manifest, read_regular, sibling, unsafe_destination, unsafe_destination_file,
};
use std::fs;
use std::path::{Path, PathBuf};

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
/// [`Writer::begin`] until the writer is committed or dropped, each [`Writer::add`] puts a part's files on
/// disk at once (so the caller can free them), and nothing is in place before
/// [`Writer::commit`]. A writer dropped without a commit, or after a failed `add`, leaves the
/// folder as it was. [`write`] writes a set as one part.
///
/// Into an empty (or new) folder every part goes into the staging folder ([`STAGING`]) and
/// the commit renames its top-level entries; into a folder with earlier output each changed
/// file is staged beside its destination and the commit renames it over the old one.
pub struct Writer<'s, S: Sink + ?Sized> {
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
    /// An `add` failed and took everything back; nothing more is written.
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

impl<'s, S: Sink + ?Sized> Writer<'s, S> {
    /// Lock `out` (creating it if missing) and get ready to write into it.
    pub fn begin(out: &Path, sink: &'s mut S) -> Result<Writer<'s, S>, WriteError> {
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
        Ok(Writer {
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

    /// Put `files` on disk, staged: none of them is in place before [`Writer::commit`]. Every
    /// path is checked before any of them is written. On failure everything added so far is taken back.
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

impl<S: Sink + ?Sized> Drop for Writer<'_, S> {
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
