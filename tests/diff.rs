//! `aks-harden diff` and the library's `diff` module: what changes between two estates, built-in
//! profiles, git revisions or output folders, with the controls that get worse first, and the
//! exit codes (0 nothing gets worse, 1 a control gets worse, 2 bad input).

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::audit::Severity;
use aks_harden::diff::{self, ChangeKind, PostureChange};
use aks_harden::posture::Date;
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use support::{assert_exit, root, run, run_in, stderr, stdout};

const PUBLIC_API_QA: &str = "tests/fixtures/diff/public-api-qa.json";
const WAF_DETECTION_QA: &str = "tests/fixtures/diff/waf-detection-qa.json";

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn today() -> Date {
    Date::parse("2026-01-15").expect("a date")
}

/// Where `needle` starts in `hay`, failing the test when it is not there.
#[track_caller]
fn at(hay: &str, needle: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is in the output:\n{hay}"))
}

#[test]
fn public_api_and_a_new_spoke_put_the_new_failure_first() {
    let o = run(["diff", "--base", "profile:prod", "--head", PUBLIC_API_QA]);
    assert_exit(&o, 1);
    let text = stdout(&o);
    let worse = at(&text, "posture gets worse:");
    let failure = at(&text, "critical API-PRIVATE            new failure");
    let added = at(&text, "resources added (");
    let changed = at(&text, "resources changed (");
    assert!(
        worse < failure && failure < added && added < changed,
        "{text}"
    );
    // The new spoke's cluster is added, the existing cluster's API server is changed.
    at(
        &text,
        "  + contoso-qa-cluster: Microsoft.ContainerService/managedClusters aks-contoso-qa\n",
    );
    at(
        &text,
        "  ~ contoso-prod-cluster: Microsoft.ContainerService/managedClusters aks-contoso-prod\n",
    );
    at(
        &text,
        "properties.apiServerAccessProfile.enablePrivateCluster: true → false\n",
    );
    at(
        &text,
        "properties.apiServerAccessProfile.authorizedIPRanges: (absent) → [\"203.0.113.0/24\"]\n",
    );
    // A public API server needs no private zone of its own: the zone, its links and the roles
    // on it go, and nothing else.
    at(&text, "resources removed (5):");
    at(
        &text,
        "  - contoso-hub: Microsoft.Network/privateDnsZones prod.privatelink.westeurope.azmk8s.io\n",
    );
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    settings().bind(|| insta::assert_snapshot!("diff__public-api-qa.txt", text));
}

#[test]
fn markdown_fits_a_pull_request_comment() {
    let o = run([
        "diff",
        "--base",
        "profile:prod",
        "--head",
        PUBLIC_API_QA,
        "--format",
        "markdown",
    ]);
    assert_exit(&o, 1);
    let md = stdout(&o);
    assert!(
        md.starts_with("## aks-harden diff\n\n❌ **1 control"),
        "{md}"
    );
    let worse = at(&md, "### Posture gets worse");
    let api = at(&md, "| 💥 | `API-PRIVATE`");
    let details = at(&md, "<details><summary>Resources added (");
    assert!(worse < api && api < details, "{md}");
    at(
        &md,
        "| `properties.apiServerAccessProfile.enablePrivateCluster` | `true` | `false` |",
    );
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert!(
        stderr(&o).contains("API-PRIVATE (critical, new failure)"),
        "{}",
        stderr(&o)
    );
    settings().bind(|| insta::assert_snapshot!("diff__public-api-qa.md", md));
}

#[test]
fn json_is_a_typed_change_set() {
    let o = run([
        "diff",
        "--base",
        "profile:prod",
        "--head",
        PUBLIC_API_QA,
        "--format",
        "json",
    ]);
    assert_exit(&o, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["summary"]["regressions"], 1);
    assert_eq!(v["controls"][0]["id"], "API-PRIVATE");
    assert_eq!(v["controls"][0]["change"], "newFailure");
    assert_eq!(v["controls"][0]["old"], "pass");
    assert_eq!(v["controls"][0]["new"], "fail");
    let cluster = v["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == "aks-contoso-prod")
        .expect("the prod cluster changes");
    assert_eq!(cluster["change"], "changed");
    assert_eq!(
        cluster["properties"][0],
        serde_json::json!({
            "path": "properties.apiServerAccessProfile.enablePrivateCluster",
            "old": true,
            "new": false
        })
    );
}

#[test]
fn identical_estates_give_an_empty_diff() {
    let same = "tests/fixtures/audit/estates/public-api.json";
    let o = run(["diff", "--base", same, "--head", same]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    at(
        &text,
        "no changes: the same resources and the same verdicts",
    );
    at(&text, "resources: 0 added, 0 removed, 0 changed");

    // A file that only extends prod deploys what prod does.
    let o = run([
        "diff",
        "--base",
        "profile:prod",
        "--head",
        "tests/fixtures/diff/prod.json",
        "--format",
        "markdown",
    ]);
    assert_exit(&o, 0);
    at(&stdout(&o), "✅ **No changes**");

    let prod = aks_harden::load_profile("prod").expect("prod");
    let d = diff::estates(&prod, &prod, today());
    assert!(d.is_empty(), "{d:?}");
    assert!(d.regressions(Severity::Low).is_empty());
}

#[test]
fn the_library_types_every_change() {
    let base = aks_harden::load_profile("prod").expect("prod");
    let head = aks_harden::load_file(&root().join(PUBLIC_API_QA)).expect("fixture loads");
    let d = diff::estates(&base, &head, today());
    assert_eq!(
        d.count(ChangeKind::Removed),
        5,
        "the API server's own zone, links and roles"
    );
    assert!(d.count(ChangeKind::Added) > 40, "a whole spoke is added");
    let worse = d.regressions(Severity::Critical);
    assert_eq!(worse.len(), 1);
    assert_eq!(worse[0].control, "API-PRIVATE");
    assert_eq!(worse[0].change, PostureChange::NewFailure);
    assert!(
        worse[0].evidence[0].contains("enablePrivateCluster"),
        "{:?}",
        worse[0].evidence
    );
    let cluster = d
        .resources
        .iter()
        .find(|r| r.kind == ChangeKind::Changed && r.address.name == "aks-contoso-prod")
        .expect("the cluster changes");
    assert_eq!(cluster.address.deployment, "contoso-prod-cluster");
    assert_eq!(
        cluster.address.rtype,
        "Microsoft.ContainerService/managedClusters"
    );
}

#[test]
fn waivers_added_and_expired_are_told_apart() {
    let public = "tests/fixtures/audit/estates/public-api.json";
    let waived = "tests/fixtures/audit/estates/public-api-waived.json";
    // A waiver added to an existing failure: not worse, but shown.
    let o = run(["diff", "--base", public, "--head", waived]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    at(&text, "other posture changes:");
    at(&text, "API-PRIVATE            waiver added");
    at(
        &text,
        "waiver until 2030-06-30, approved by security-board:",
    );

    // A pass that becomes a waived failure gets worse.
    let o = run(["diff", "--base", "profile:prod", "--head", waived]);
    assert_exit(&o, 1);
    at(&stdout(&o), "API-PRIVATE            waiver added");

    // Past its last day, the waiver no longer covers the failure; close to it, it is called out.
    let base = aks_harden::load_profile("prod").expect("prod");
    let head = aks_harden::load_file(&root().join(waived)).expect("fixture loads");
    let late = diff::estates(&base, &head, Date::parse("2030-07-01").expect("a date"));
    assert_eq!(late.controls[0].change, PostureChange::WaiverExpired);
    assert!(late.controls[0].regresses());
    let soon = diff::estates(&base, &head, Date::parse("2030-06-20").expect("a date"));
    assert_eq!(soon.expiring.len(), 1);
    assert_eq!(soon.expiring[0].days, 10);
    assert!(diff::text(&soon, Severity::Low).contains("expires 2030-06-30 (in 10 days)"));
}

#[test]
fn min_severity_decides_what_counts() {
    let o = run([
        "diff",
        "--base",
        "profile:dev",
        "--head",
        "profile:prod",
        "--min-severity",
        "critical",
    ]);
    assert_exit(&o, 0);
    at(&stdout(&o), "(tier dev → prod)");
    at(&stdout(&o), "API-PRIVATE            fixed");
    let o = run(["diff", "--base", "profile:prod", "--head", "profile:dev"]);
    assert_exit(&o, 1);
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

const RETENTION: &str = r#"{
  "extends": "prod",
  "spokes": { "prod": { "logAnalytics": { "retentionDays": 120 } } }
}
"#;

#[test]
fn a_git_revision_is_compared_with_the_file_on_disk() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("estate.json"), "{ \"extends\": \"prod\" }\n").expect("write");
    git(dir, &["add", "estate.json"]);
    git(dir, &["commit", "-q", "-m", "prod"]);
    std::fs::write(dir.join("estate.json"), RETENTION).expect("write");

    let o = run_in(dir, ["diff", "--base", "main:estate.json"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    at(
        &text,
        "aks-harden diff of main:estate.json → estate.json (tier prod)",
    );
    at(&text, "properties.retentionInDays: 90 → 120");

    // A revision that does not exist: git's words and a hint, exit 2.
    let o = run_in(dir, ["diff", "--base", "nope:estate.json"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.starts_with("error: `git cat-file -t nope:estate.json` failed"),
        "{err}"
    );
    assert!(err.contains("= hint:"), "{err}");
}

#[test]
fn output_folders_are_compared_by_their_arm_template() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("estate.json"), RETENTION).expect("write");
    let gen_out = |args: &[&str]| {
        let o = run_in(dir, args);
        assert_exit(&o, 0);
    };
    gen_out(&[
        "gen",
        "--profile",
        "prod",
        "--out",
        "before",
        "--format",
        "arm",
    ]);
    gen_out(&["gen", "--estate", "estate.json", "--out", "after"]);
    let o = run_in(dir, ["diff", "--base", "before", "--head", "after"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    at(&text, "before/arm/main.json → after/arm/main.json");
    at(
        &text,
        "~ contoso-prod-logs: Microsoft.OperationalInsights/workspaces log-contoso-prod\n      properties.retentionInDays: 90 → 120\n",
    );
    at(&text, "resources: 0 added, 0 removed, 1 changed");
}

#[test]
fn bad_sides_name_the_problem_and_exit_2() {
    let o = run(["diff", "--base", "missing.json", "--head", "profile:prod"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("`missing.json` is neither a file"), "{err}");
    assert!(err.contains("= hint:"), "{err}");

    let o = run(["diff", "--base", "profile:prod"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("add --head"), "{}", stderr(&o));

    let o = run(["diff", "--base", "profile:nope", "--head", "profile:prod"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));

    let o = run([
        "diff",
        "--base",
        "tests/fixtures/invalid/waiver-unknown.json",
        "--head",
        "profile:prod",
    ]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("tests/fixtures/invalid/waiver-unknown.json"),
        "{}",
        stderr(&o)
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let o = run([
        OsStr::new("diff"),
        OsStr::new("--base"),
        tmp.path().as_os_str(),
        OsStr::new("--head"),
        OsStr::new("profile:prod"),
    ]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("arm/main.json"), "{}", stderr(&o));
}

#[path = "../examples/review.rs"]
#[allow(dead_code)]
mod review;

#[test]
fn the_review_example_refuses_a_public_api_server() {
    let (markdown, ok) = review::run().expect("the example runs");
    assert!(!ok, "the proposal makes API-PRIVATE fail");
    assert!(markdown.contains("| 💥 | `API-PRIVATE`"), "{markdown}");
}

/// A reviewer's case: the WAF turned to Detection and a spoke added. The new failing control
/// comes first, then the added resources, then the WAF policy's changed mode; exit 1.
#[test]
fn waf_detection_and_a_new_spoke_put_the_new_failure_first() {
    let o = run(["diff", "--base", "profile:prod", "--head", WAF_DETECTION_QA]);
    assert_exit(&o, 1);
    let text = stdout(&o);
    let failure = at(&text, "high     NET-INGRESS-WAF        new failure");
    let added = at(&text, "resources added (");
    let changed = at(&text, "resources changed (");
    assert!(failure < added && added < changed, "{text}");
    at(
        &text,
        "  + contoso-qa-cluster: Microsoft.ContainerService/managedClusters aks-contoso-qa\n",
    );
    at(
        &text,
        "properties.policySettings.mode: \"Prevention\" → \"Detection\"\n",
    );
    assert!(!text.contains("resources removed"), "{text}");
    settings().bind(|| insta::assert_snapshot!("diff__waf-detection-qa.txt", text));
    let o = run([
        "diff",
        "--base",
        "profile:prod",
        "--head",
        WAF_DETECTION_QA,
        "--format",
        "markdown",
    ]);
    assert_exit(&o, 1);
    let md = stdout(&o);
    assert!(
        at(&md, "### Posture gets worse") < at(&md, "<details>"),
        "regressions before the details: {md}"
    );
    at(&md, "`NET-INGRESS-WAF`");
    settings().bind(|| insta::assert_snapshot!("diff__waf-detection-qa.md", md));
}
