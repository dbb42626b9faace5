//! The `aks-harden` binary end to end: every subcommand and every exit code (0 ok, 1 `--check`
//! drift, 2 usage, I/O or input error), run as a child process from the package root.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::Format;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MANIFEST: &str = ".aks-harden-manifest";
const PROFILES: [&str; 4] = ["dev", "staging", "prod", "regulated"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run the binary with `args` in the package root.
fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run aks-harden")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Assert the exit code, showing both streams when it is wrong.
#[track_caller]
fn assert_exit(o: &Output, want: i32) {
    assert_eq!(
        code(o),
        want,
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
}

/// `gen --profile <profile> --out <out>` plus `extra`.
fn gen_profile(profile: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("gen"),
        OsStr::new("--profile"),
        OsStr::new(profile),
        OsStr::new("--out"),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(OsStr::new));
    run(args)
}

/// Every file under `dir` (relative `/`-separated path → bytes); empty when `dir` is missing.
fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("under base");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, std::fs::read(&path).expect("read output file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn out_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join("out")
}

fn assert_help_snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

// ---- gen ----

#[test]
fn gen_profile_writes_arm_templates_and_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let o = gen_profile("prod", &out, &[]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).starts_with(&format!("wrote {} files to ", file_count("prod"))),
        "{}",
        stdout(&o)
    );

    let files = snapshot_dir(&out);
    let rendered = support::render(
        &aks_harden::load_profile("prod").expect("prod"),
        Format::IMPLEMENTED,
    )
    .expect("renders");
    let mut expected: Vec<&str> = rendered.keys().map(String::as_str).collect();
    expected.push(MANIFEST);
    expected.sort_unstable();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, expected);
    assert!(names.contains(&"arm/main.json") && names.contains(&"arm/main.parameters.json"));

    let main: serde_json::Value =
        serde_json::from_slice(&files["arm/main.json"]).expect("main.json is JSON");
    assert!(
        main["$schema"]
            .as_str()
            .expect("$schema")
            .contains("DeploymentTemplate")
    );
    let params: serde_json::Value =
        serde_json::from_slice(&files["arm/main.parameters.json"]).expect("parameters are JSON");
    assert!(
        params["$schema"]
            .as_str()
            .expect("$schema")
            .contains("deploymentParameters")
    );

    let manifest = String::from_utf8(files[MANIFEST].clone()).expect("manifest is UTF-8");
    let listed: Vec<&str> = manifest.lines().filter(|l| !l.starts_with('#')).collect();
    let written: Vec<&str> = rendered.keys().map(String::as_str).collect();
    assert_eq!(
        listed, written,
        "the manifest lists exactly the files written"
    );
    assert!(
        !out.join(".aks-harden.lock").exists(),
        "the lock file is removed after writing"
    );
}

#[test]
fn gen_twice_gives_identical_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    assert_exit(&gen_profile("regulated", &out, &[]), 0);
    let first = snapshot_dir(&out);
    let o = gen_profile("regulated", &out, &[]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains(&format!(
            "(0 changed, {} unchanged, 0 removed)",
            file_count("regulated")
        )),
        "{}",
        stdout(&o)
    );
    assert_eq!(snapshot_dir(&out), first);

    // A fresh folder gets the same bytes too: nothing depends on what was there before.
    let other = tmp.path().join("other");
    assert_exit(&gen_profile("regulated", &other, &[]), 0);
    assert_eq!(snapshot_dir(&other), first);
}

#[test]
fn gen_estate_file_renders_its_overrides() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let o = run([
        OsStr::new("gen"),
        OsStr::new("--estate"),
        OsStr::new("tests/fixtures/valid/staging-overrides.yaml"),
        OsStr::new("--format"),
        OsStr::new("arm"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert_exit(&o, 0);
    let main = std::fs::read_to_string(out.join("arm/main.json")).expect("main.json");
    assert!(
        main.contains("\"northeurope\""),
        "the location override reaches the template"
    );
    assert!(
        !main.contains("\"westeurope\""),
        "the profile's location is replaced"
    );
}

#[test]
fn gen_check_up_to_date_exits_0() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    assert_exit(&gen_profile("prod", &out, &[]), 0);
    let before = snapshot_dir(&out);
    let o = gen_profile("prod", &out, &["--check"]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).starts_with(&format!("up to date: {} files in ", file_count("prod"))),
        "{}",
        stdout(&o)
    );
    assert_eq!(snapshot_dir(&out), before);
}

#[test]
fn gen_check_on_modified_file_exits_1_with_diff_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    assert_exit(&gen_profile("prod", &out, &[]), 0);
    let main = out.join("arm/main.json");
    let original = std::fs::read_to_string(&main).expect("main.json");
    let edited = original.replacen(
        "\"contentVersion\": \"1.0.0.0\"",
        "\"contentVersion\": \"9.9.9.9\"",
        1,
    );
    assert_ne!(edited, original, "the edit applies");
    std::fs::write(&main, &edited).expect("edit main.json");
    let before = snapshot_dir(&out);

    let o = gen_profile("prod", &out, &["--check"]);
    assert_exit(&o, 1);
    let diff = stdout(&o);
    assert!(
        diff.contains("--- a/arm/main.json\n+++ b/arm/main.json\n@@ "),
        "{diff}"
    );
    assert!(
        diff.contains("\n-  \"contentVersion\": \"9.9.9.9\",\n"),
        "{diff}"
    );
    assert!(
        diff.contains("\n+  \"contentVersion\": \"1.0.0.0\",\n"),
        "{diff}"
    );
    assert!(
        !diff.contains("main.parameters.json"),
        "only the changed file is diffed: {diff}"
    );
    assert!(stderr(&o).contains("is out of date"), "{}", stderr(&o));
    assert_eq!(snapshot_dir(&out), before, "--check writes nothing");
}

#[test]
fn gen_check_on_missing_folder_exits_1_and_creates_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let o = gen_profile("dev", &out, &["--check"]);
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("+++ b/arm/main.json"), "{}", stdout(&o));
    assert!(!out.exists(), "--check must not create the output folder");
}

#[test]
fn gen_format_not_yet_supported_or_all_formats_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let missing = [Format::Arm, Format::Bicep, Format::Terraform]
        .into_iter()
        .find(|f| !Format::IMPLEMENTED.contains(f));
    match missing {
        Some(f) => {
            let o = gen_profile("prod", &out, &["--format", f.as_str()]);
            assert_exit(&o, 2);
            assert!(stderr(&o).contains("not yet supported"), "{}", stderr(&o));
            assert!(stdout(&o).is_empty(), "{}", stdout(&o));
            assert!(
                !out.exists(),
                "nothing is written for an unsupported format"
            );
        }
        None => {
            let o = gen_profile("prod", &out, &["--format", "all"]);
            assert_exit(&o, 0);
            for dir in ["arm", "bicep", "terraform"] {
                assert!(out.join(dir).is_dir(), "{dir}/ is written");
            }
        }
    }
    // Each implemented format alone writes only its own folder.
    for f in Format::IMPLEMENTED {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = out_dir(&tmp);
        assert_exit(&gen_profile("prod", &out, &["--format", f.as_str()]), 0);
        let dirs: Vec<String> = std::fs::read_dir(&out)
            .expect("out")
            .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with('.'))
            // The companions every format carries: Kubernetes manifests and OPERATE.md.
            .filter(|n| n != "k8s" && n != "OPERATE.md")
            .collect();
        assert_eq!(dirs, [f.as_str()]);
    }
}

/// How many files `gen` writes for a built-in profile in every implemented format.
fn file_count(profile: &str) -> usize {
    let estate = aks_harden::load_profile(profile).expect("built-in profile");
    support::render(&estate, Format::IMPLEMENTED)
        .expect("renders")
        .len()
}

#[test]
fn gen_invalid_estate_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let o = run([
        OsStr::new("gen"),
        OsStr::new("--estate"),
        OsStr::new("tests/fixtures/invalid/four-problems.json"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("tests/fixtures/invalid/four-problems.json"),
        "{err}"
    );
    assert!(err.contains("error[unknown-key]"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(
        !out.exists(),
        "the output folder is not created for an invalid estate"
    );
}

#[test]
fn gen_invalid_estate_leaves_existing_output_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    assert_exit(&gen_profile("prod", &out, &[]), 0);
    let before = snapshot_dir(&out);
    let o = run([
        OsStr::new("gen"),
        OsStr::new("--estate"),
        OsStr::new("tests/fixtures/invalid/cidr-overlap.json"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    assert_exit(&o, 2);
    assert_eq!(snapshot_dir(&out), before);
}

#[test]
fn gen_leaves_unrelated_files_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    std::fs::create_dir_all(out.join("arm")).expect("mkdir");
    std::fs::write(out.join("README.md"), "mine\n").expect("write");
    std::fs::write(out.join("arm/custom.json"), "{}\n").expect("write");
    for _ in 0..2 {
        assert_exit(&gen_profile("prod", &out, &[]), 0);
        assert_eq!(
            std::fs::read_to_string(out.join("README.md")).expect("read"),
            "mine\n"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("arm/custom.json")).expect("read"),
            "{}\n"
        );
    }
    let manifest = std::fs::read_to_string(out.join(MANIFEST)).expect("manifest");
    assert!(
        !manifest.contains("README.md") && !manifest.contains("custom.json"),
        "{manifest}"
    );
    // Files not in the manifest are no drift either.
    assert_exit(&gen_profile("prod", &out, &["--check"]), 0);
}

#[test]
fn gen_removes_stale_files_listed_in_the_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    assert_exit(&gen_profile("prod", &out, &[]), 0);
    // Pretend an earlier run wrote two files this estate no longer produces.
    std::fs::write(out.join("arm/old.json"), "{}\n").expect("write");
    std::fs::create_dir_all(out.join("legacy")).expect("mkdir");
    std::fs::write(out.join("legacy/old.json"), "{}\n").expect("write");
    let mut manifest = std::fs::read_to_string(out.join(MANIFEST)).expect("manifest");
    manifest.push_str("arm/old.json\nlegacy/old.json\n");
    std::fs::write(out.join(MANIFEST), manifest).expect("write manifest");

    let check = gen_profile("prod", &out, &["--check"]);
    assert_exit(&check, 1);
    assert!(
        stdout(&check).contains("stale: arm/old.json"),
        "{}",
        stdout(&check)
    );
    assert!(out.join("arm/old.json").exists(), "--check removes nothing");

    let o = gen_profile("prod", &out, &[]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("2 removed"), "{}", stdout(&o));
    assert!(!out.join("arm/old.json").exists());
    assert!(
        !out.join("legacy").exists(),
        "a folder emptied by the removal goes too"
    );
    assert!(out.join("arm/main.json").exists());
    let manifest = std::fs::read_to_string(out.join(MANIFEST)).expect("manifest");
    assert!(!manifest.contains("old.json"), "{manifest}");
}

#[test]
fn gen_into_a_file_exits_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("not-a-folder");
    std::fs::write(&out, "keep\n").expect("write");
    let o = gen_profile("prod", &out, &[]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("not a folder"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "keep\n");
}

// ---- validate ----

#[test]
fn validate_valid_fixtures_exit_0() {
    for (file, summary) in [
        (
            "tests/fixtures/valid/prod-two-spokes.json",
            "valid Prod estate with 2 spokes",
        ),
        (
            "tests/fixtures/valid/staging-overrides.yaml",
            "valid Staging estate with 1 spoke",
        ),
        (
            "tests/fixtures/valid/dev-ids.json",
            "valid Dev estate with 1 spoke",
        ),
    ] {
        let o = run(["validate", file]);
        assert_exit(&o, 0);
        assert!(
            stdout(&o).starts_with(&format!("ok: {file} is a {summary}")),
            "{}",
            stdout(&o)
        );
        assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    }
}

#[test]
fn validate_invalid_file_exits_2_naming_file_and_pointer() {
    let o = run(["validate", "tests/fixtures/invalid/cidr-overlap.json"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("error[cidr-overlap]"), "{err}");
    assert!(
        err.contains(
            "--> tests/fixtures/invalid/cidr-overlap.json at /spokes/prod/cluster/network/podCidr"
        ),
        "{err}"
    );
    assert!(err.trim_end().ends_with("error: 1 problem found"), "{err}");
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}

#[test]
fn validate_syntax_error_shows_line_and_column() {
    let o = run(["validate", "tests/fixtures/invalid/syntax.json"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("--> tests/fixtures/invalid/syntax.json:3:28"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn validate_missing_file_exits_2() {
    let o = run(["validate", "tests/fixtures/valid/no-such-file.json"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("error[io]"), "{}", stderr(&o));
    assert!(stderr(&o).contains("no-such-file.json"), "{}", stderr(&o));
}

// ---- schema ----

#[test]
fn schema_prints_valid_json_schema() {
    let o = run(["schema"]);
    assert_exit(&o, 0);
    let schema: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("schema is JSON");
    assert_eq!(schema["title"], "aks-harden estate");
    let required = schema["required"].as_array().expect("required keys");
    for key in ["name", "tier", "location", "hub", "spokes"] {
        assert!(
            required.iter().any(|k| k == key),
            "{key} is required: {required:?}"
        );
    }
    assert!(stdout(&o).ends_with("}\n"));
}

#[test]
fn schema_equals_committed_schema_file() {
    let committed = root().join("schemas").join("estate.schema.json");
    let committed = std::fs::read_to_string(&committed)
        .unwrap_or_else(|e| panic!("{} must be committed: {e}", committed.display()));
    let o = run(["schema"]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o) == committed,
        "schemas/estate.schema.json is out of date: run `aks-harden schema > schemas/estate.schema.json`"
    );
}

// ---- profiles ----

#[test]
fn profiles_lists_the_four_profiles_with_descriptions() {
    let o = run(["profiles"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), PROFILES.len(), "{text}");
    for (line, name) in lines.iter().zip(PROFILES) {
        let file = root().join("profiles").join(format!("{name}.json"));
        let profile: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).expect("profile file"))
                .expect("profile JSON");
        let description = profile["description"].as_str().expect("description");
        assert!(!description.is_empty());
        let (listed_name, listed_description) = line.split_once(' ').expect("name and description");
        assert_eq!(listed_name, name);
        assert_eq!(listed_description.trim_start(), description);
    }
}

#[test]
fn profiles_show_prints_the_resolved_profile() {
    let o = run(["profiles", "show", "prod"]);
    assert_exit(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(v["tier"], "prod");
    assert_eq!(v["name"], "contoso");
    assert!(v["spokes"]["prod"].is_object(), "{v}");
    assert!(stdout(&o).contains("\"tier\": \"prod\""));
}

#[test]
fn profiles_show_unknown_exits_2() {
    let o = run(["profiles", "show", "nope"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("\"nope\""), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}

// ---- usage ----

#[test]
fn unknown_subcommand_exits_2() {
    let o = run(["frobnicate"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("unrecognized subcommand 'frobnicate'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unknown_flag_exits_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let o = gen_profile("prod", &out, &["--frobnicate"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("unexpected argument '--frobnicate'"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn gen_usage_errors_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let out = out.to_str().expect("UTF-8 temp path");
    for args in [
        vec!["gen", "--out", out],
        vec!["gen", "--profile", "prod"],
        vec![
            "gen",
            "--profile",
            "prod",
            "--estate",
            "x.json",
            "--out",
            out,
        ],
        vec!["gen", "--profile", "prod", "--format", "yaml", "--out", out],
        vec!["validate"],
    ] {
        let o = run(&args);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(
            err.starts_with("error: ") && err.contains("--help"),
            "{args:?}: {err}"
        );
    }
    assert!(!Path::new(out).exists());
}

#[test]
fn gen_unknown_profile_exits_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = out_dir(&tmp);
    let o = gen_profile("prd", &out, &[]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("did you mean \"prod\"?"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn version_exits_0() {
    let o = run(["--version"]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o),
        format!("aks-harden {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help() {
    let o = run(["--help"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    for cmd in ["gen", "validate", "schema", "profiles"] {
        assert!(
            text.contains(&format!("\n  {cmd} ")),
            "{cmd} is listed: {text}"
        );
    }
    assert_help_snapshot("help", &text);
}

#[test]
fn gen_help() {
    let o = run(["gen", "--help"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    for flag in ["--profile", "--estate", "--format", "--out", "--check"] {
        assert!(text.contains(flag), "{flag} is documented: {text}");
    }
    assert_help_snapshot("gen-help", &text);
}

#[test]
fn waiver_hint_points_at_the_control_list() {
    let o = run(["validate", "tests/fixtures/invalid/waiver-unknown.json"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("docs/controls.md"), "{err}");
    let list = std::fs::read_to_string("docs/controls.md").expect("docs/controls.md exists");
    for c in aks_harden::audit::CONTROLS {
        assert!(
            list.contains(&format!("`{}`", c.id)),
            "docs/controls.md lacks {}",
            c.id
        );
    }
}
