//! Shell integration: completion scripts for every shell, man pages for every subcommand, the
//! global `--quiet`, and no terminal escape codes in anything that goes into a pipe.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use clap::CommandFactory;
use std::ffi::OsStr;
use std::process::Command;
use support::{assert_exit, run, run_in, stderr, stdout};

/// The subcommands users type (not clap's `help`).
fn subcommands() -> Vec<String> {
    aks_harden::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect()
}

/// Whether `program` runs here (`program --version`).
fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn completions_for_every_shell_know_every_subcommand() {
    let subs = subcommands();
    assert!(subs.iter().any(|s| s == "diff") && subs.iter().any(|s| s == "init"));
    for (shell, checker) in [
        ("bash", Some(("bash", "-n"))),
        ("zsh", Some(("zsh", "-n"))),
        ("fish", Some(("fish", "--no-execute"))),
        ("powershell", None),
        ("elvish", None),
    ] {
        let o = run(["completions", shell]);
        assert_exit(&o, 0);
        let script = stdout(&o);
        for sub in &subs {
            assert!(script.contains(sub.as_str()), "{shell} completes `{sub}`");
        }
        assert!(script.contains("min-severity"), "{shell} completes flags");
        // Check the syntax with the shell itself where it is installed.
        if let Some((program, flag)) = checker.filter(|(p, _)| available(p)) {
            let tmp = tempfile::tempdir().expect("tempdir");
            let file = tmp.path().join(format!("aks-harden.{shell}"));
            std::fs::write(&file, &script).expect("write");
            let o = Command::new(program)
                .arg(flag)
                .arg(&file)
                .output()
                .expect("run the shell");
            assert!(
                o.status.success(),
                "{program} {flag} accepts the {shell} script: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    let o = run(["completions", "tcsh"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("possible values"), "{}", stderr(&o));
}

#[test]
fn man_pages_cover_every_subcommand() {
    let o = run(["man"]);
    assert_exit(&o, 0);
    let page = stdout(&o);
    assert!(page.contains(".TH aks-harden 1"), "{page}");
    for sub in subcommands() {
        assert!(
            page.contains(&format!("aks\\-harden\\-{}(1)", sub.replace('-', "\\-"))),
            "the main page lists {sub}: {page}"
        );
    }

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("man1");
    let o = run([OsStr::new("man"), OsStr::new("--out"), dir.as_os_str()]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).starts_with("wrote 13 man pages to "),
        "{}",
        stdout(&o)
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("written")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = subcommands()
        .iter()
        .map(|s| format!("aks-harden-{s}.1"))
        .chain(["aks-harden.1".into(), "aks-harden-profiles-show.1".into()])
        .collect();
    want.sort();
    assert_eq!(names, want);
    let diff = std::fs::read_to_string(dir.join("aks-harden-diff.1")).expect("diff page");
    assert!(diff.contains(".TH aks-harden-diff 1"), "{diff}");
    assert!(diff.contains("\\-\\-base"), "{diff}");

    // man itself renders them, where it is installed.
    if available("man") {
        let o = Command::new("man")
            .arg("-l")
            .arg(dir.join("aks-harden-diff.1"))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .expect("run man");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("SYNOPSIS"));
    }

    let file = tmp.path().join("file");
    std::fs::write(&file, "").expect("write");
    let o = run([OsStr::new("man"), OsStr::new("--out"), file.as_os_str()]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("= hint:"), "{}", stderr(&o));
}

#[test]
fn quiet_keeps_success_chatter_off_stdout_but_not_failures() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let o = run_in(dir, ["gen", "--profile", "dev", "--out", "out", "--quiet"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "");
    assert!(dir.join("out/arm/main.json").is_file());
    let o = run_in(
        dir,
        ["-q", "gen", "--profile", "dev", "--out", "out", "--check"],
    );
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "");
    let o = run_in(dir, ["init", "--name", "fab", "-q", "e.yaml"]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "");

    // A failure still says everything.
    std::fs::write(dir.join("out/arm/main.json"), "{}\n").expect("write");
    let o = run_in(
        dir,
        ["gen", "--profile", "dev", "--out", "out", "--check", "-q"],
    );
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("arm/main.json"), "the diff is shown");
    assert!(stderr(&o).contains("out of date"), "{}", stderr(&o));

    let o = run([
        "validate",
        "tests/fixtures/audit/estates/public-api.json",
        "--quiet",
    ]);
    assert_exit(&o, 0);
    assert_eq!(stdout(&o), "");
    let o = run([
        "validate",
        "tests/fixtures/invalid/waiver-unknown.json",
        "--quiet",
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("error"), "{}", stderr(&o));
}

#[test]
fn nothing_prints_escape_codes_into_a_pipe() {
    for args in [
        vec!["--help"],
        vec!["gen", "--help"],
        vec!["gen", "--nope"],
        vec!["audit", "--profile", "dev"],
        vec!["validate", "tests/fixtures/invalid/waiver-unknown.json"],
        vec!["diff", "--base", "profile:prod", "--head", "profile:dev"],
        vec!["explain", "API-PRIVATE"],
    ] {
        let o = run(&args);
        for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            assert!(
                !bytes.contains(&0x1b),
                "{args:?} writes an escape code to {stream}: {}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
