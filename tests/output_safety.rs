//! Output safety: `gen` writes all of a template set or none of it, never writes, reads or
//! removes through a symlink inside the output folder, never touches a file it did not write,
//! and keeps two runs from interleaving. Failures the file system will not produce on demand
//! (a full disk, a rename refused half-way, a read-only folder when running as root) are
//! simulated through [`aks_harden::write::Sink`].

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::write::{self, FsSink, LOCK, MANIFEST, Sink};
use aks_harden::{Files, Format};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `aks-harden gen --profile <profile> --out <out>` plus `extra`, killed after a minute.
fn gen_cmd(profile: &str, out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aks-harden"));
    c.args(["gen", "--profile", profile, "--out"])
        .arg(out)
        .args(extra)
        .current_dir(root())
        .stdin(Stdio::null());
    c
}

fn gen_profile(profile: &str, out: &Path) -> Output {
    let child = gen_cmd(profile, out, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run aks-harden");
    wait(child)
}

/// Wait for a child, failing the test if it runs for more than a minute (a hang).
fn wait(mut child: std::process::Child) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("aks-harden still running after a minute: it hangs");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_exit(o: &Output, want: i32) {
    assert_eq!(
        o.status.code(),
        Some(want),
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
}

/// Everything under `dir` without following symlinks: relative path → bytes, or `-> target`
/// for a symlink, or `<dir>` for an empty folder.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut empty = true;
        for entry in entries {
            empty = false;
            let path = entry.expect("entry").path();
            let rel = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .replace('\\', "/");
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("read link");
                out.insert(rel, format!("-> {}", target.display()).into_bytes());
            } else if meta.is_dir() {
                walk(base, &path, out);
            } else if meta.is_file() {
                out.insert(rel, std::fs::read(&path).expect("read"));
            } else {
                out.insert(rel, b"<special>".to_vec());
            }
        }
        if empty && dir != base {
            let rel = dir
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy();
            out.insert(rel.replace('\\', "/"), b"<dir>".to_vec());
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// What `gen --profile <profile>` writes into an empty folder.
fn reference(tmp: &Path, profile: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = tmp.join(format!("reference-{profile}"));
    assert_exit(&gen_profile(profile, &dir), 0);
    snapshot(&dir)
}

fn files(pairs: &[(&str, &str)]) -> Files {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn profile_files(profile: &str) -> Files {
    let estate = aks_harden::load_profile(profile).expect("built-in profile");
    support::render(&estate, Format::IMPLEMENTED).expect("render")
}

/// A sink that lets `writes` writes and `renames` renames through, then fails every call.
struct FailingSink {
    writes: usize,
    renames: usize,
    error: io::ErrorKind,
}

impl FailingSink {
    fn new(writes: usize, renames: usize) -> Self {
        FailingSink {
            writes,
            renames,
            error: io::ErrorKind::StorageFull,
        }
    }
}

impl Sink for FailingSink {
    fn write(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        if self.writes == 0 {
            // Leave a partial temporary file behind, as a full disk would.
            let _ = std::fs::write(path, &bytes[..bytes.len() / 2]);
            return Err(io::Error::new(self.error, "simulated failure"));
        }
        self.writes -= 1;
        FsSink.write(path, bytes)
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        if self.renames == 0 {
            return Err(io::Error::new(self.error, "simulated failure"));
        }
        self.renames -= 1;
        std::fs::rename(from, to)
    }
}

/// No lock, temporary or backup file anywhere under `dir`.
#[track_caller]
fn assert_no_debris(dir: &Path) {
    for name in snapshot(dir).keys() {
        let file = name.rsplit('/').next().unwrap_or(name);
        assert!(
            file != LOCK
                && file != write::BREAK_LOCK
                && !file.ends_with(write::TMP_SUFFIX)
                && !file.ends_with(write::BACKUP_SUFFIX),
            "left behind: {name}"
        );
    }
}

// ---- where --out points ----

#[test]
fn out_pointing_at_a_file_is_refused_and_the_file_is_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("out.json");
    std::fs::write(&file, "precious").expect("write");
    let o = gen_profile("prod", &file);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("out.json"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "precious");
    assert_eq!(
        snapshot(tmp.path()).len(),
        1,
        "nothing is created next to it"
    );
}

#[test]
fn read_only_folder_fails_cleanly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    assert_exit(&gen_profile("prod", &out), 0);
    let before = snapshot(&out);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let set = |mode| {
            std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).expect("chmod");
            std::fs::set_permissions(out.join("arm"), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        };
        set(0o555);
        let probe = out.join("probe");
        if std::fs::write(&probe, "").is_ok() {
            let _ = std::fs::remove_file(&probe);
            println!(
                "note: permission bits do not stop writes here (running as root); the read-only \
                 folder is simulated through the Sink below instead"
            );
        } else {
            let o = gen_profile("regulated", &out);
            assert_exit(&o, 2);
            assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
            assert_eq!(snapshot(&out), before);
        }
        set(0o755);
    }

    // Simulated: every write is refused.
    let mut sink = FailingSink {
        writes: 0,
        renames: usize::MAX,
        error: io::ErrorKind::PermissionDenied,
    };
    let e = write::write_with(&out, &profile_files("regulated"), &mut sink)
        .expect_err("a read-only folder cannot take the files");
    assert!(e.message.contains("simulated failure"), "{e}");
    assert!(e.hint.contains("previous output is intact"), "{}", e.hint);
    assert_eq!(snapshot(&out), before);
    assert_no_debris(&out);
}

#[cfg(unix)]
#[test]
fn out_may_itself_be_a_symlink_to_a_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).expect("mkdir");
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    assert_exit(&gen_profile("prod", &link), 0);
    assert_eq!(snapshot(&real), reference(tmp.path(), "prod"));
}

#[cfg(unix)]
#[test]
fn a_symlinked_folder_inside_out_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("main.json"), "outside").expect("write");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::os::unix::fs::symlink(&outside, out.join("arm")).expect("symlink");

    let o = gen_profile("prod", &out);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("symlink"), "{}", stderr(&o));
    assert_eq!(
        snapshot(&outside),
        BTreeMap::from([("main.json".to_string(), b"outside".to_vec())])
    );
    assert_no_debris(&out);
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_inside_out_is_refused_not_written_through() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("victim.json");
    std::fs::write(&victim, "victim").expect("write");
    let out = tmp.path().join("out");
    assert_exit(&gen_profile("prod", &out), 0);
    std::fs::remove_file(out.join("arm/main.json")).expect("rm");
    std::os::unix::fs::symlink(&victim, out.join("arm/main.json")).expect("symlink");
    let before = snapshot(&out);

    let o = gen_profile("regulated", &out);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("main.json"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "victim");
    assert_eq!(snapshot(&out), before, "nothing else was written either");

    // `--check` does not read through it either, even when the target holds the right bytes.
    let right = profile_files("regulated")["arm/main.json"].clone();
    std::fs::write(&victim, &right).expect("write");
    let diff = write::check(&out, &profile_files("regulated"));
    assert!(diff.contains("refused: arm/main.json"), "{diff}");
}

#[cfg(unix)]
#[test]
fn symlink_traps_on_bookkeeping_files_are_not_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "victim").expect("write");
    let out = tmp.path().join("out");
    assert_exit(&gen_profile("prod", &out), 0);
    let expected = snapshot(&out);

    let symlink = |at: &Path| {
        let _ = std::fs::remove_file(at);
        std::os::unix::fs::symlink(&victim, at).expect("symlink");
    };
    // A manifest that is a symlink is neither read nor written through: refused.
    symlink(&out.join(MANIFEST));
    let o = gen_profile("prod", &out);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains(MANIFEST), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "victim");
    std::fs::remove_file(out.join(MANIFEST)).expect("rm");

    // A temporary file planted as a symlink is removed, never written through.
    symlink(&out.join("arm/.main.json.aks-harden-tmp"));
    std::fs::remove_file(out.join("arm/main.json")).expect("rm");
    assert_exit(&gen_profile("prod", &out), 0);
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "victim");
    assert_eq!(
        snapshot(&out),
        expected,
        "the trap is gone, the set is whole"
    );

    // A symlinked lock is a lock: refused, and the file it points to is untouched.
    symlink(&out.join(LOCK));
    let o = gen_profile("prod", &out);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains(LOCK), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "victim");
}

#[cfg(unix)]
#[test]
fn a_pipe_or_folder_where_a_file_goes_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    assert_exit(&gen_profile("prod", &out), 0);

    // A folder where the second file of the set goes: the first must not be replaced either.
    std::fs::remove_file(out.join("arm/main.parameters.json")).expect("rm");
    std::fs::create_dir(out.join("arm/main.parameters.json")).expect("mkdir");
    let before = snapshot(&out);
    let o = gen_profile("regulated", &out);
    assert_exit(&o, 2);
    assert_eq!(snapshot(&out), before);

    // A pipe would block a reader forever.
    std::fs::remove_dir(out.join("arm/main.parameters.json")).expect("rmdir");
    let made = Command::new("mkfifo")
        .arg(out.join("arm/main.parameters.json"))
        .status();
    if made.is_ok_and(|s| s.success()) {
        let before = snapshot(&out);
        let o = gen_profile("regulated", &out);
        assert_exit(&o, 2);
        assert_eq!(snapshot(&out), before);
        assert!(
            write::check(&out, &profile_files("regulated")).contains("refused"),
            "--check does not read the pipe"
        );
    } else {
        println!("note: mkfifo is not available; the pipe case is skipped");
    }
}

// ---- unrelated files ----

#[test]
fn unrelated_files_are_left_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let unrelated = [
        ("README.md", "# ours\n"),
        ("custom.json", "{}"),
        ("arm/custom.json", "{\"mine\": true}"),
        ("arm/notes/todo.txt", "todo"),
        (".gitignore", "*.tmp\n"),
        ("old/main.json", "not written by aks-harden"),
    ];
    for (rel, content) in unrelated {
        let p = out.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
    let keep = |snap: &BTreeMap<String, Vec<u8>>| {
        unrelated
            .iter()
            .map(|(rel, _)| (*rel, snap.get(*rel).cloned()))
            .collect::<Vec<_>>()
    };
    let want: Vec<_> = unrelated
        .iter()
        .map(|(rel, c)| (*rel, Some(c.as_bytes().to_vec())))
        .collect();
    for profile in ["prod", "regulated", "dev", "prod"] {
        assert_exit(&gen_profile(profile, &out), 0);
        assert_eq!(keep(&snapshot(&out)), want, "after gen {profile}");
    }
    // Then a smaller set: what the earlier runs wrote goes, the unrelated files stay.
    let o = wait(
        gen_cmd("prod", &out, &["--format", "arm"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run"),
    );
    assert_exit(&o, 0);
    let snap = snapshot(&out);
    assert_eq!(keep(&snap), want);
    let ours: Vec<&String> = snap
        .keys()
        .filter(|k| !unrelated.iter().any(|(rel, _)| rel == k))
        // The companions every format carries: Kubernetes manifests and OPERATE.md.
        .filter(|k| !k.starts_with("k8s/") && *k != "OPERATE.md")
        .collect();
    assert_eq!(
        ours,
        [MANIFEST, "arm/main.json", "arm/main.parameters.json"],
        "only the ARM files and the manifest remain of aks-harden's"
    );
}

#[test]
fn stale_files_are_removed_only_when_the_manifest_lists_them_inside_the_folder() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "victim").expect("write");
    let out = tmp.path().join("out");
    let a = files(&[("arm/main.json", "A"), ("old/stale.json", "stale")]);
    write::write(&out, &a).expect("write A");
    std::fs::write(out.join("old/mine.txt"), "mine").expect("write");

    let mut manifest = std::fs::read_to_string(out.join(MANIFEST)).expect("manifest");
    let abs = victim.display().to_string();
    for hostile in [
        "../victim.txt",
        abs.as_str(),
        "arm/../../victim.txt",
        "./old/mine.txt",
        "old/./mine.txt",
        "old//mine.txt",
        "arm/./main.json",
        ".aks-harden.lock",
        "old",
        "",
    ] {
        manifest.push_str(hostile);
        manifest.push('\n');
    }
    std::fs::write(out.join(MANIFEST), manifest).expect("write manifest");

    let b = files(&[("arm/main.json", "B")]);
    let report = write::write(&out, &b).expect("write B");
    assert_eq!(report.removed, ["old/stale.json"]);
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "victim");
    let snap = snapshot(&out);
    assert_eq!(
        snap.keys().collect::<Vec<_>>(),
        [MANIFEST, "arm/main.json", "old/mine.txt"]
    );
    assert_eq!(snap["arm/main.json"], b"B");
}

#[cfg(unix)]
#[test]
fn stale_files_behind_symlinks_are_not_removed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    std::fs::write(outside.join("stale.json"), "outside").expect("write");
    let victim = tmp.path().join("victim.json");
    std::fs::write(&victim, "victim").expect("write");

    let out = tmp.path().join("out");
    let a = files(&[
        ("arm/main.json", "A"),
        ("gone/stale.json", "A"),
        ("arm/linked.json", "A"),
    ]);
    write::write(&out, &a).expect("write A");
    // Replace what the manifest lists with symlinks leading outside.
    std::fs::remove_dir_all(out.join("gone")).expect("rm");
    std::os::unix::fs::symlink(&outside, out.join("gone")).expect("symlink");
    std::fs::remove_file(out.join("arm/linked.json")).expect("rm");
    std::os::unix::fs::symlink(&victim, out.join("arm/linked.json")).expect("symlink");

    let report = write::write(&out, &files(&[("arm/main.json", "B")])).expect("write B");
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(
        std::fs::read_to_string(outside.join("stale.json")).expect("read"),
        "outside"
    );
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "victim");
    assert!(
        std::fs::symlink_metadata(out.join("gone"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
}

// ---- all or nothing ----

/// Every way a write can fail part-way leaves the folder exactly as it was.
#[test]
fn a_failure_half_way_leaves_the_previous_output_intact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let a = files(&[
        ("arm/main.json", "A main"),
        ("arm/main.parameters.json", "A params"),
        ("old/only-in-a.json", "A old"),
        ("same.json", "same"),
    ]);
    let b = files(&[
        ("arm/main.json", "B main"),
        ("arm/main.parameters.json", "B params"),
        ("new/deep/only-in-b.json", "B new"),
        ("same.json", "same"),
    ]);
    write::write(&out, &a).expect("write A");
    let before = snapshot(&out);

    // B changes three files and the manifest: four writes, then up to four renames.
    let mut failures = 0;
    for writes in 0..4 {
        let e = write::write_with(&out, &b, &mut FailingSink::new(writes, usize::MAX))
            .expect_err("the write fails");
        assert!(e.hint.contains("intact"), "{e}");
        assert_eq!(snapshot(&out), before, "after failing write {writes}");
        failures += 1;
    }
    for renames in 0..4 {
        let e = write::write_with(&out, &b, &mut FailingSink::new(usize::MAX, renames))
            .expect_err("the rename fails");
        assert!(e.hint.contains("intact"), "{e}");
        assert_eq!(snapshot(&out), before, "after failing rename {renames}");
        failures += 1;
    }
    assert_eq!(failures, 8);

    // With nothing failing, B replaces A completely.
    let report = write::write_with(&out, &b, &mut FailingSink::new(4, 4)).expect("write B");
    assert_eq!(report.removed, ["old/only-in-a.json"]);
    assert_eq!(report.unchanged, ["same.json"]);
    let snap = snapshot(&out);
    for (rel, content) in &b {
        assert_eq!(snap[rel], content.as_bytes(), "{rel}");
    }
    assert!(!out.join("old").exists(), "the emptied folder is removed");
    assert_no_debris(&out);
}

#[test]
fn a_failed_first_run_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let set = profile_files("prod");
    for (writes, renames) in [
        (0, usize::MAX),
        (1, usize::MAX),
        (usize::MAX, 0),
        (usize::MAX, 1),
    ] {
        write::write_with(&out, &set, &mut FailingSink::new(writes, renames))
            .expect_err("the write fails");
        assert!(snapshot(&out).is_empty(), "{:?}", snapshot(&out).keys());
    }
}

// ---- one writer at a time ----

/// Several `gen` processes into one folder at once: each either writes a whole set or is
/// refused by the lock, and the folder ends up holding exactly one complete set.
#[test]
fn concurrent_gen_runs_do_not_interleave() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let prod = reference(tmp.path(), "prod");
    let regulated = reference(tmp.path(), "regulated");
    assert_ne!(prod, regulated);
    let out = tmp.path().join("out");
    let (mut ok, mut refused) = (0, 0);
    for round in 0..4 {
        let children: Vec<_> = (0..4)
            .map(|i| {
                let profile = if (i + round) % 2 == 0 {
                    "prod"
                } else {
                    "regulated"
                };
                gen_cmd(profile, &out, &[])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run aks-harden")
            })
            .collect();
        for child in children {
            let o = wait(child);
            match o.status.code() {
                Some(0) => ok += 1,
                Some(2) if stderr(&o).contains(LOCK) => refused += 1,
                _ => panic!("neither written nor refused by the lock:\n{}", stderr(&o)),
            }
        }
        let snap = snapshot(&out);
        assert!(
            snap == prod || snap == regulated,
            "round {round}: the folder holds a mix: {:?}",
            snap.keys()
        );
    }
    println!("concurrent runs: {ok} wrote, {refused} refused by the lock");
    assert!(ok >= 4, "at least one run per round writes");
}

/// The same in one process: threads share a pid, so the lock must hold between them too.
#[test]
fn concurrent_library_writes_do_not_interleave() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let sets: Vec<Files> = (0..6)
        .map(|i| {
            let body = format!("writer {i}\n").repeat(2000);
            files(&[
                ("arm/main.json", &body),
                ("arm/main.parameters.json", &body),
                (&format!("only/{i}.json"), &body),
            ])
        })
        .collect();
    let results: Vec<Vec<Result<(), String>>> = std::thread::scope(|s| {
        let handles: Vec<_> = sets
            .iter()
            .map(|set| {
                let out = &out;
                s.spawn(move || {
                    (0..15)
                        .map(|_| {
                            write::write(out, set).map(|_| ()).map_err(|e| {
                                assert!(e.path.ends_with(LOCK), "{e}");
                                e.to_string()
                            })
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let written = results.iter().flatten().filter(|r| r.is_ok()).count();
    assert!(written > 0);
    let snap = snapshot(&out);
    let body = &snap["arm/main.json"];
    let winner = sets
        .iter()
        .position(|s| s["arm/main.json"].as_bytes() == body.as_slice())
        .expect("main.json comes from one writer");
    let mut expected: BTreeMap<String, Vec<u8>> = sets[winner]
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    expected.insert(MANIFEST.into(), snap[MANIFEST].clone());
    assert_eq!(snap, expected, "one writer's complete set, nothing else");
}

fn lock_text(pid: u32, host: &str) -> String {
    format!("# aks-harden is writing into this folder\npid={pid}\nhost={host}\n")
}

#[cfg(target_os = "linux")]
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .to_string()
}

/// A lock left by a run that crashed is broken; one held by a live process, or by a process
/// this machine cannot see, is a clear error naming the lock file.
#[cfg(target_os = "linux")]
#[test]
fn stale_locks_are_broken_live_ones_are_reported() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    assert_exit(&gen_profile("prod", &out), 0);
    let before = snapshot(&out);
    let lock = out.join(LOCK);

    // Above the largest pid_max Linux allows (2^22), so certainly no such process.
    let dead = 4_194_305;
    std::fs::write(&lock, lock_text(dead, &this_host())).expect("write lock");
    let report = write::write(&out, &profile_files("prod")).expect("stale lock is broken");
    assert_eq!(report.broke_stale_lock, Some(dead));
    assert!(!lock.exists());

    // Through the binary too.
    std::fs::write(&lock, lock_text(dead, &this_host())).expect("write lock");
    assert_exit(&gen_profile("regulated", &out), 0);
    assert!(!lock.exists());
    assert_exit(&gen_profile("prod", &out), 0);
    assert_eq!(snapshot(&out), before);

    let refused = |text: &str, says: &str| {
        std::fs::write(&lock, text).expect("write lock");
        let o = gen_profile("regulated", &out);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(err.contains(&lock.display().to_string()), "{err}");
        assert!(err.contains(says), "{err}");
        assert_eq!(std::fs::read_to_string(&lock).expect("lock kept"), text);
        std::fs::remove_file(&lock).expect("rm lock");
        assert_eq!(snapshot(&out), before);
    };
    // This test process is alive.
    refused(
        &lock_text(std::process::id(), &this_host()),
        &format!("process {}", std::process::id()),
    );
    // A process on another machine sharing the folder: its liveness cannot be told here.
    refused(&lock_text(dead, "elsewhere"), "elsewhere");
    // A lock from an older aks-harden, or one being written right now.
    refused("", "locked by another aks-harden run");
}

#[test]
fn the_lock_is_released_after_success_and_failure() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let set = profile_files("prod");
    write::write_with(&out, &set, &mut FailingSink::new(0, 0)).expect_err("fails");
    assert!(!out.join(LOCK).exists());
    write::write(&out, &set).expect("writes");
    assert!(!out.join(LOCK).exists());
    assert_no_debris(&out);
    // Paths in the set that would leave the folder are refused outright.
    for bad in ["../escape.json", "/abs.json", "arm/../../escape.json"] {
        let e = write::write(&out, &files(&[(bad, "x")])).expect_err("refused");
        assert!(e.message.contains("outside"), "{e}");
        assert!(!tmp.path().join("escape.json").exists());
    }
    assert!(!out.join(LOCK).exists());
}

#[test]
fn sink_failures_surface_as_typed_errors_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let e = write::write_with(
        &out,
        &files(&[("arm/main.json", "x")]),
        &mut FailingSink::new(0, 0),
    )
    .expect_err("fails");
    assert_eq!(e.path, out.join("arm/main.json"));
    assert!(e.to_string().starts_with("cannot write "), "{e}");
    assert!(!e.hint.is_empty());
}

// ---- a set written in parts ----

/// A set written in several parts ends as one write of their union, and every way it can
/// fail, or be dropped before its commit, leaves the folder as it was: fresh or over an earlier
/// output.
#[test]
fn a_set_written_in_parts_is_all_or_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let parts = [
        files(&[("arm/main.json", "B main"), ("same.json", "same")]),
        files(&[
            ("bicep/main.bicep", "B bicep"),
            ("new/deep/x.json", "B new"),
        ]),
    ];
    let whole: Files = parts
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let earlier = files(&[
        ("arm/main.json", "A main"),
        ("old/a.json", "A old"),
        ("same.json", "same"),
    ]);
    let reference = tmp.path().join("reference");
    write::write(&reference, &whole).expect("write the union");

    for over in [false, true] {
        let out = tmp.path().join(format!("out-{over}"));
        if over {
            write::write(&out, &earlier).expect("earlier output");
        }
        let before = snapshot(&out);
        // Dropped after each number of parts, without a commit.
        for added in 0..=parts.len() {
            let mut sink = FsSink;
            let mut writer = write::Writer::begin(&out, &mut sink).expect("begin");
            for p in &parts[..added] {
                writer.add(p).expect("add");
            }
            drop(writer);
            assert_eq!(
                snapshot(&out),
                before,
                "over={over}, dropped after {added} parts"
            );
            assert_eq!(
                out.exists(),
                over,
                "a folder the writer made is removed again"
            );
        }
        // A write failing in the second part: the first part's files are taken back too. Over
        // the earlier output, `same.json` is unchanged and not written.
        let first = if over { 1 } else { 2 };
        for writes in first..first + 2 {
            let mut sink = FailingSink::new(writes, usize::MAX);
            let mut writer = write::Writer::begin(&out, &mut sink).expect("begin");
            let added = parts.iter().try_for_each(|p| writer.add(p));
            let e = added.expect_err("the second part fails");
            assert!(e.hint.contains("intact"), "{e}");
            assert!(writer.commit().is_err(), "a failed writer never commits");
            assert_eq!(
                snapshot(&out),
                before,
                "over={over}, failing write {writes}"
            );
        }
        // The same path in two parts is refused.
        let mut sink = FsSink;
        let mut writer = write::Writer::begin(&out, &mut sink).expect("begin");
        writer.add(&parts[0]).expect("add");
        assert!(writer.add(&parts[0]).is_err(), "a path added twice");
        drop(writer);
        assert_eq!(snapshot(&out), before, "over={over}");

        let mut sink = FsSink;
        let mut writer = write::Writer::begin(&out, &mut sink).expect("begin");
        for p in &parts {
            writer.add(p).expect("add");
        }
        assert_eq!(writer.len(), whole.len());
        let report = writer.commit().expect("commit");
        assert_eq!(snapshot(&out), snapshot(&reference), "over={over}");
        if over {
            assert_eq!(report.removed, ["old/a.json"]);
            assert_eq!(report.unchanged, ["same.json"]);
            assert_eq!(
                report.written,
                ["arm/main.json", "bicep/main.bicep", "new/deep/x.json"]
            );
        } else {
            assert_eq!(report.written, whole.keys().cloned().collect::<Vec<_>>());
        }
        assert_no_debris(&out);
    }
}

/// An estate of `n` spokes extending prod; `public` gives one of them a public API server,
/// which the audit gate refuses.
fn fleet_estate(n: usize, public: bool) -> String {
    let mut spokes = serde_json::Map::new();
    for i in 0..n {
        let mut spoke = serde_json::json!({
            "subscriptionId": format!("00000000-0000-0000-0000-{:012}", i + 1),
            "addressSpace": format!("10.{}.0.0/16", i + 1),
        });
        if public && i == n - 1 {
            spoke["cluster"] = serde_json::json!({
                "apiServer": { "private": false, "authorizedIpRanges": ["203.0.113.0/24"] }
            });
        }
        spokes.insert(format!("s{i:04}"), spoke);
    }
    serde_json::json!({ "extends": "prod", "spokes": spokes }).to_string()
}

fn gen_estate(estate: &Path, out: &Path) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args(["gen", "--estate"])
        .arg(estate)
        .arg("--out")
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run aks-harden");
    wait(child)
}

/// `gen` writes a fleet as it renders (past ten spokes): the folder holds exactly what the
/// library renders, and a fleet the audit gate refuses leaves the folder as it was: no folder
/// where there was none, the earlier output untouched where there was one.
#[test]
fn a_fleet_is_written_as_it_renders_and_a_refused_one_leaves_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = tmp.path().join("good.json");
    let refused = tmp.path().join("refused.json");
    std::fs::write(&good, fleet_estate(12, false)).expect("estate");
    std::fs::write(&refused, fleet_estate(12, true)).expect("estate");

    let out = tmp.path().join("out");
    let o = gen_estate(&good, &out);
    assert_exit(&o, 0);
    let estate = aks_harden::load_file(&good).expect("valid");
    let want = support::render(&estate, Format::IMPLEMENTED).expect("render");
    let reference = tmp.path().join("reference");
    write::write(&reference, &want).expect("write");
    let written = snapshot(&out);
    assert_eq!(written, snapshot(&reference));
    assert!(written.keys().any(|k| k.starts_with("terraform/s0011-")));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        stdout.starts_with(&format!("wrote {} files", want.len())),
        "{stdout}"
    );
    let again = gen_estate(&good, &out);
    assert_exit(&again, 0);
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains(&format!("(0 changed, {} unchanged, 0 removed)", want.len())),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );

    let o = gen_estate(&refused, &out);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("API-PRIVATE"), "{}", stderr(&o));
    assert_eq!(snapshot(&out), written, "the earlier output is untouched");

    let fresh = tmp.path().join("fresh");
    assert_exit(&gen_estate(&refused, &fresh), 1);
    assert!(!fresh.exists(), "no folder is left where there was none");
}
