//! The CI recipes in `docs/ci/` work as written: every `aks-harden ...` command line in them is
//! run with the built binary against a small repository (an estate file and its committed output
//! on `main`, a change on a branch), so a renamed flag or subcommand breaks this test.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const RECIPES: [&str; 2] = ["docs/ci/github-actions.yml", "docs/ci/azure-pipelines.yml"];

/// What the CI systems put in place of their variables, for the fixture repository.
const VARIABLES: [(&str, &str); 2] = [
    ("${{ github.base_ref }}", "main"),
    ("${SYSTEM_PULLREQUEST_TARGETBRANCH#refs/heads/}", "main"),
];

/// Subcommands whose appearance in a recipe must be a command line this test runs.
const SUBCOMMANDS: [&str; 5] = ["gen", "validate", "audit", "diff", "init"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `aks-harden` command lines of a recipe: script lines that start with `aks-harden `, after
/// a `run:` or `- script:` key when the command is on the key's own line.
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut l = line.trim();
        for key in ["- run:", "run:", "- script:", "script:"] {
            if let Some(rest) = l.strip_prefix(key) {
                l = rest.trim();
            }
        }
        if l.starts_with("aks-harden ") {
            out.push(l.to_string());
        } else if !l.starts_with('#') {
            for sub in SUBCOMMANDS {
                assert!(
                    !l.contains(&format!("aks-harden {sub}")),
                    "a command this test cannot run, not at the start of a script line: {line}"
                );
            }
        }
    }
    out
}

/// Split a command line as the shell would (quotes, no expansion); fails on a `$` left over.
fn words(line: &str) -> Vec<String> {
    assert!(
        !line.contains('$'),
        "a variable this test does not know; add it to VARIABLES: {line}"
    );
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (_, c) => word.push(c),
        }
    }
    assert!(quote.is_none(), "unbalanced quotes: {line}");
    if started || !word.is_empty() {
        out.push(word);
    }
    out
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "aks-harden")
        .env("GIT_AUTHOR_EMAIL", "aks-harden@example.com")
        .env("GIT_COMMITTER_NAME", "aks-harden")
        .env("GIT_COMMITTER_EMAIL", "aks-harden@example.com")
        .output()
        .expect("run git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn aks(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args(args)
        .current_dir(dir)
        .env("AKS_HARDEN_TODAY", "2026-01-15")
        .output()
        .expect("run aks-harden")
}

const ESTATE: &str = "extends: prod\nname: fabrikam\nlocation: northeurope\n";

/// A repository as the recipes expect it: `estate.yaml` and its output in `out/` on `main`
/// (also as `origin/main`), and a pull request branch that changes the estate and its output.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    git(&dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("estate.yaml"), ESTATE).expect("write");
    let o = aks(&dir, &["gen", "--estate", "estate.yaml", "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "estate"]);
    git(&dir, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    git(&dir, &["checkout", "-q", "-b", "longer-retention"]);
    std::fs::write(
        dir.join("estate.yaml"),
        format!("{ESTATE}spokes:\n  prod:\n    logAnalytics:\n      retentionDays: 120\n"),
    )
    .expect("write");
    let o = aks(&dir, &["gen", "--estate", "estate.yaml", "--out", "out"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    git(&dir, &["commit", "-q", "-am", "longer retention"]);
    (tmp, dir)
}

/// Run one recipe line in `dir`: `aks-harden ARGS [> FILE] [|| ...]`. Returns what it wrote to
/// the redirect target, if any.
fn run_line(dir: &Path, recipe: &str, line: &str) -> Option<(String, String)> {
    let mut l = line.to_string();
    for (var, value) in VARIABLES {
        l = l.replace(var, value);
    }
    let command = l.split(" || ").next().expect("a command");
    let (command, target) = match command.split_once(" > ") {
        Some((c, t)) => (c, Some(t.trim())),
        None => (command, None),
    };
    let argv = words(command);
    assert_eq!(argv[0], "aks-harden");
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    let o = aks(dir, &args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{recipe}: `{line}`\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let target = target?;
    let path = dir.join(target);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, &o.stdout).expect("write the redirect target");
    Some((
        target.to_string(),
        String::from_utf8(o.stdout).expect("UTF-8"),
    ))
}

#[test]
fn every_recipe_command_runs_against_a_fixture_repository() {
    for recipe in RECIPES {
        let text = std::fs::read_to_string(root().join(recipe)).expect("the recipe exists");
        let lines = commands(&text);
        let has = |needle: &[&str]| {
            lines.iter().any(|l| {
                needle
                    .iter()
                    .all(|n| words(&l.replace('$', "")).iter().any(|w| w == n))
            })
        };
        assert!(has(&["gen", "--check"]), "{recipe} runs gen --check");
        assert!(
            has(&["audit", "sarif"]),
            "{recipe} runs audit --format sarif"
        );
        assert!(
            has(&["diff", "markdown"]),
            "{recipe} runs diff --format markdown"
        );

        let (_tmp, dir) = fixture();
        for line in &lines {
            let Some((target, output)) = run_line(&dir, recipe, line) else {
                continue;
            };
            if Path::new(&target).extension().is_some_and(|e| e == "sarif") {
                let v: serde_json::Value = serde_json::from_str(&output).expect("SARIF is JSON");
                assert_eq!(v["version"], "2.1.0", "{recipe}: {target}");
            } else if Path::new(&target).extension().is_some_and(|e| e == "md") {
                assert!(
                    output.starts_with("## aks-harden diff\n"),
                    "{recipe}: {output}"
                );
                assert!(
                    output.contains("| `properties.retentionInDays` | `90` | `120` |"),
                    "{recipe}: the pull request's change is in the comment: {output}"
                );
            }
        }
    }
}

#[test]
fn the_extractor_sees_commands_and_refuses_hidden_ones() {
    let yaml = "steps:\n  - run: aks-harden gen --estate e.yaml --out out --check\n  - script: |\n      aks-harden diff --base \"origin/x:e.yaml\" > d.md || s=$?\n";
    assert_eq!(
        commands(yaml),
        [
            "aks-harden gen --estate e.yaml --out out --check",
            "aks-harden diff --base \"origin/x:e.yaml\" > d.md || s=$?"
        ]
    );
    assert_eq!(
        words("aks-harden diff --base \"origin/main:e.yaml\" --x 'a b'"),
        [
            "aks-harden",
            "diff",
            "--base",
            "origin/main:e.yaml",
            "--x",
            "a b"
        ]
    );
    let hidden = std::panic::catch_unwind(|| commands("run: x=$(aks-harden audit --profile prod)"));
    assert!(hidden.is_err(), "a command inside another is refused");
}
