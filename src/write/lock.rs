//! The lock on an output folder: one writer at a time, and a lock left by a run that crashed
//! broken safely.

use super::{BREAK_LOCK, Kind, LOCK, WriteError, err, kind, read_regular};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

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
pub(super) struct LockGuard(PathBuf);

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
pub(super) fn lock(out: &Path) -> Result<(LockGuard, Option<u32>), WriteError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
