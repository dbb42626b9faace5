//! `aks-harden init`: a starter estate that is valid except for the ids a user must fill in,
//! whose diagnostics name each one; filled in, it renders. It never overwrites a file.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use std::path::Path;
use support::{assert_exit, run_in, stderr, stdout};

/// The placeholders `validate` reports as not being GUIDs, with the pointers it names.
fn named_placeholders(diagnostics: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = diagnostics.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("error[guid]: \"") else {
            continue;
        };
        let value = rest.split('"').next().expect("a quoted value").to_string();
        let at = lines.next().expect("a location line");
        let pointer = at.rsplit(" at ").next().expect("a pointer").to_string();
        out.push((value, pointer));
    }
    out
}

#[test]
fn init_then_fill_the_named_ids_then_gen() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let o = run_in(
        dir,
        [
            "init",
            "--extends",
            "prod",
            "--name",
            "fabrikam",
            "estate.yaml",
        ],
    );
    assert_exit(&o, 0);
    assert!(
        stdout(&o).starts_with("wrote estate.yaml"),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(dir.join("estate.yaml")).expect("written");
    assert!(text.starts_with("# yaml-language-server: $schema=./estate.schema.json\n"));
    assert!(
        text.contains("\n\"$schema\": \"./estate.schema.json\"\n"),
        "{text}"
    );
    for key in [
        "subscriptionId",
        "addressSpace",
        "adminGroupObjectIds",
        "tenantId",
    ] {
        let line = text
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{key}:")))
            .unwrap_or_else(|| panic!("{key} is in the starter:\n{text}"));
        let above = text.lines().nth(line - 1).expect("a line above");
        assert!(
            above.trim_start().starts_with('#'),
            "{key} has a comment: {above}"
        );
    }

    // As written, only the ids are wrong, and each diagnostic says where and what.
    let o = run_in(dir, ["validate", "estate.yaml"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    let named = named_placeholders(&err);
    let pointers: Vec<&str> = named.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "/tenantId",
            "/spokes/prod/subscriptionId",
            "/spokes/prod/cluster/entra/adminGroupObjectIds/0"
        ],
        "{err}"
    );
    assert!(err.ends_with("error: 3 problems found\n"), "{err}");
    assert_eq!(err.matches("= hint: ").count(), 3, "{err}");

    // Fill in exactly what the diagnostics named.
    let mut filled = text.clone();
    for (i, (value, _)) in named.iter().enumerate() {
        filled = filled.replace(
            value,
            &format!("{i}{i}{i}{i}{i}{i}{i}{i}-0000-4000-8000-000000000000"),
        );
    }
    std::fs::write(dir.join("estate.yaml"), filled).expect("write");
    let o = run_in(dir, ["validate", "estate.yaml"]);
    assert_exit(&o, 0);
    let o = run_in(dir, ["gen", "--estate", "estate.yaml", "--out", "out"]);
    assert_exit(&o, 0);
    let main = std::fs::read_to_string(dir.join("out/arm/main.json")).expect("rendered");
    assert!(
        main.contains("aks-fabrikam-prod"),
        "the cluster is named after the estate"
    );
    let params =
        std::fs::read_to_string(dir.join("out/arm/main.parameters.json")).expect("rendered");
    assert!(
        params.contains("1111-0000-4000-8000-000000000000"),
        "{params}"
    );
}

#[test]
fn the_starter_reads_as_reviewed() {
    let o = run_in(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        ["init", "--extends", "prod", "--name", "fabrikam"],
    );
    assert_exit(&o, 0);
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("init__prod.yaml", stdout(&o)));
}

#[test]
fn every_profile_and_format_with_several_spokes_renders_once_filled() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    for profile in ["dev", "staging", "prod", "regulated"] {
        for ext in ["yaml", "json"] {
            let file = format!("{profile}.{ext}");
            let o = run_in(
                dir,
                [
                    "init",
                    "--extends",
                    profile,
                    "--name",
                    "fab",
                    "--spokes",
                    "3",
                    &file,
                ],
            );
            assert_exit(&o, 0);
            let text = std::fs::read_to_string(dir.join(&file)).expect("written");
            if ext == "json" {
                let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(v["$schema"], "./estate.schema.json");
            }
            let o = run_in(dir, ["validate", &file]);
            assert_exit(&o, 2);
            let named = named_placeholders(&stderr(&o));
            // tenant, then a subscription and an admin group per spoke
            assert_eq!(named.len(), 7, "{}", stderr(&o));
            // Distinct ids: spokes that share a subscription fail ENV-SUBSCRIPTIONS.
            let mut filled = text;
            for (i, (value, _)) in named.iter().enumerate() {
                filled =
                    filled.replace(value, &format!("{:08x}-1234-4234-8234-123456789012", i + 1));
            }
            std::fs::write(dir.join(&file), filled).expect("write");
            let o = run_in(
                dir,
                [
                    "gen",
                    "--estate",
                    &file,
                    "--out",
                    &format!("out-{profile}-{ext}"),
                    "--format",
                    "arm",
                ],
            );
            assert_exit(&o, 0);
        }
    }
}

#[test]
fn init_refuses_to_overwrite_and_bad_options() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::write(dir.join("estate.yaml"), "mine\n").expect("write");
    let o = run_in(dir, ["init", "--name", "fabrikam", "estate.yaml"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.starts_with("error: estate.yaml already exists"),
        "{err}"
    );
    assert!(err.contains("= hint:"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("estate.yaml")).expect("kept"),
        "mine\n"
    );

    for (args, says) in [
        (
            vec!["init", "--name", "Fabrikam"],
            "not a valid estate name",
        ),
        (
            vec!["init", "--name", "fab", "--extends", "nope"],
            "no built-in profile `nope`",
        ),
        (
            vec!["init", "--name", "fab", "--spokes", "0"],
            "--spokes 0 is out of range",
        ),
        (
            vec!["init", "--name", "fab", "--format", "json", "x.yaml"],
            "x.yaml would be read as YAML",
        ),
        (
            vec!["init", "--name", "fab", "no/such/folder/e.yaml"],
            "cannot create",
        ),
    ] {
        let o = run_in(dir, &args);
        assert_exit(&o, 2);
        let err = stderr(&o);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(err.contains("= hint:"), "{args:?}: {err}");
    }
    assert!(!dir.join("x.yaml").exists());
}
