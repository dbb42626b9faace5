//! Diagnostics, data-driven: every file in `tests/fixtures/invalid` must fail to load with the
//! code its name states (`cidr-overlap.json`, `cidr-overlap-2.json`, ...), and its rendered
//! diagnostics are snapshot-tested in `snapshots/diagnostics/<file stem>.snap`. Inputs that cannot
//! sensibly be committed (a directory, a huge file, invalid UTF-8, deep nesting) are generated in a
//! temporary folder. Every code in `aks_harden::diag::Code::ALL` must be produced by at least one case.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::{Diagnostic, Error, Syntax, diag::Code, load_file, load_str};
use std::collections::BTreeSet;
use std::path::{MAIN_SEPARATOR, Path, PathBuf};

/// Codes no estate file can produce on its own today.
const NOT_FROM_A_FILE: &[&str] = &["tier-requirement"];

/// Fixtures whose name states no single code, with the codes they must report (at least).
const MULTI: &[(&str, &[&str])] = &[("four-problems", &["unknown-key", "wrong-type"])];

fn fixture_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(kind)
}

/// The fixture files of `kind` (`valid` or `invalid`), sorted by name.
fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = fixture_dir(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("fixture names are UTF-8")
        .to_string()
}

/// The codes a case named `name` must report: the name itself, or the name without a `-<number>`
/// suffix, must be a diagnostic code, unless the case is listed in [`MULTI`].
fn expected_codes(name: &str) -> Vec<&'static str> {
    if let Some((_, codes)) = MULTI.iter().find(|(n, _)| *n == name) {
        return codes.to_vec();
    }
    let base = match name.rsplit_once('-') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    };
    let code = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .find(|c| *c == base)
        .unwrap_or_else(|| {
            panic!("case {name:?} names no diagnostic code; rename it or add it to MULTI")
        });
    vec![code]
}

/// The diagnostics of an estate file that must not load.
fn diagnostics_of(path: &Path) -> Vec<Diagnostic> {
    match load_file(path) {
        Err(Error::Invalid(diags)) => {
            assert!(
                !diags.is_empty(),
                "{}: Error::Invalid without diagnostics",
                path.display()
            );
            diags
        }
        Err(e) => panic!("{}: expected Error::Invalid, got {e:?}", path.display()),
        Ok(estate) => panic!(
            "{}: loaded without error as {:?} estate",
            path.display(),
            estate.tier
        ),
    }
}

fn codes(diags: &[Diagnostic]) -> BTreeSet<&'static str> {
    diags.iter().map(|d| d.code.as_str()).collect()
}

/// Diagnostics as printed, blank-line separated, with `dir` (absolute, machine dependent) shown
/// as `shown_as`.
fn render(diags: &[Diagnostic], dir: &Path, shown_as: &str) -> String {
    let prefix = format!("{}{MAIN_SEPARATOR}", dir.display());
    diags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n\n")
        .replace(&prefix, &format!("{shown_as}/"))
}

fn assert_diagnostics_snapshot(name: &str, rendered: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots/diagnostics");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, rendered));
}

/// Inputs generated into `dir`, named like fixtures: (name, path).
fn generated_cases(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut cases = Vec::new();

    // A directory where a file is expected.
    let io = dir.join("io.json");
    std::fs::create_dir(&io).expect("create directory");
    cases.push(("io".to_string(), io));

    // One byte over the 4 MiB limit; valid JSON otherwise, so only the size is wrong.
    let large = dir.join("too-large.json");
    let limit = aks_harden::profile::MAX_FILE_BYTES;
    let mut text = String::from("{\"extends\": \"prod\", \"description\": \"");
    let tail = "\"}";
    text.push_str(&"x".repeat(limit + 1 - text.len() - tail.len()));
    text.push_str(tail);
    assert_eq!(text.len(), limit + 1);
    std::fs::write(&large, text).expect("write large file");
    cases.push(("too-large".to_string(), large));

    // Latin-1 "café" in an otherwise valid estate.
    let latin1 = dir.join("not-utf8.json");
    std::fs::write(
        &latin1,
        b"{\"extends\": \"prod\", \"description\": \"caf\xe9\"}\n",
    )
    .expect("write latin-1 file");
    cases.push(("not-utf8".to_string(), latin1));

    // 100 levels of nested objects, JSON and YAML.
    let deep = dir.join("too-deep.json");
    let json = format!("{}1{}", "{\"a\": ".repeat(100), "}".repeat(100));
    std::fs::write(&deep, json).expect("write deep JSON");
    cases.push(("too-deep".to_string(), deep));

    let deep_yaml = dir.join("too-deep-2.yaml");
    let mut yaml = String::new();
    for i in 0..100 {
        yaml.push_str(&"  ".repeat(i));
        yaml.push_str("a:\n");
    }
    yaml.push_str(&"  ".repeat(100));
    yaml.push_str("1\n");
    std::fs::write(&deep_yaml, yaml).expect("write deep YAML");
    cases.push(("too-deep-2".to_string(), deep_yaml));

    cases
}

#[test]
fn every_invalid_fixture_reports_its_code() {
    let dir = fixture_dir("invalid");
    for path in fixtures("invalid") {
        let name = stem(&path);
        let diags = diagnostics_of(&path);
        let found = codes(&diags);
        for code in expected_codes(&name) {
            assert!(
                found.contains(code),
                "{}: expected {code}, found {found:?}",
                path.display()
            );
        }
        assert!(
            diags
                .iter()
                .all(|d| !d.file.is_empty() && !d.message.is_empty() && !d.hint.is_empty()),
            "{}: every diagnostic names a file and has a message and a hint: {diags:#?}",
            path.display()
        );
        assert_diagnostics_snapshot(&name, &render(&diags, &dir, "tests/fixtures/invalid"));
    }
}

#[test]
fn generated_inputs_report_their_code() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, path) in generated_cases(tmp.path()) {
        let diags = diagnostics_of(&path);
        assert_eq!(diags.len(), 1, "{name}: {diags:#?}");
        let found = codes(&diags);
        assert_eq!(
            found.into_iter().collect::<Vec<_>>(),
            expected_codes(&name),
            "{name}"
        );
        assert_diagnostics_snapshot(&name, &render(&diags, tmp.path(), "<tmp>"));
    }
}

#[test]
fn every_code_has_a_fixture_or_generated_case() {
    let mut produced = BTreeSet::new();
    for path in fixtures("invalid") {
        produced.extend(codes(&diagnostics_of(&path)));
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    for (_, path) in generated_cases(tmp.path()) {
        produced.extend(codes(&diagnostics_of(&path)));
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !NOT_FROM_A_FILE.contains(c) && !produced.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "no fixture in tests/fixtures/invalid and no generated case produces {missing:?}"
    );
    let unknown: Vec<&str> = produced
        .iter()
        .copied()
        .filter(|c| !Code::ALL.iter().any(|k| k.as_str() == *c))
        .collect();
    assert!(
        unknown.is_empty(),
        "codes missing from diag::Code::ALL: {unknown:?}"
    );
}

#[test]
fn every_valid_fixture_loads_and_renders() {
    for path in fixtures("valid") {
        let estate = load_file(&path)
            .unwrap_or_else(|e| panic!("{}: {e}: {:#?}", path.display(), e.diagnostics()));
        let files = support::render(&estate, &[aks_harden::Format::Arm])
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            files.contains_key("arm/main.json"),
            "{}: {:?}",
            path.display(),
            files.keys()
        );
    }
}

#[test]
fn valid_fixtures_override_their_profiles() {
    let load = |name: &str| {
        let path = fixture_dir("valid").join(name);
        load_file(&path).unwrap_or_else(|e| panic!("{name}: {e}: {:#?}", e.diagnostics()))
    };

    let two = load("prod-two-spokes.json");
    assert_eq!(two.tier, aks_harden::model::Tier::Prod);
    let keys: Vec<&str> = two.spokes.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["prod", "qa"]);
    let qa = &two.spokes[1];
    assert_eq!(qa.address_space.to_string(), "10.2.0.0/16");
    assert_eq!(qa.cluster.pod_cidr.to_string(), "10.246.0.0/16");
    assert_eq!(qa.cluster.service_cidr.to_string(), "10.247.0.0/16");
    assert_eq!(qa.cluster.dns_service_ip.to_string(), "10.247.0.10");
    let files = support::render(&two, &[aks_harden::Format::Arm]).expect("render");
    assert!(files["arm/main.json"].contains("aks-contoso-qa"));

    let staging = load("staging-overrides.yaml");
    assert_eq!(staging.tier, aks_harden::model::Tier::Staging);
    assert_eq!(staging.location, "northeurope");
    let user = staging.spokes[0]
        .cluster
        .pools
        .iter()
        .find(|p| p.name == "user")
        .expect("user pool");
    assert_eq!((user.min_count, user.max_count), (2, 20));
    // Untouched settings still come from the profile.
    assert!(!staging.locks);
    assert_eq!(staging.spokes[0].log_retention_days, 30);

    let dev = load("dev-ids.json");
    assert_eq!(dev.tier, aks_harden::model::Tier::Dev);
    assert_eq!(
        dev.tenant_id.as_deref(),
        Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    assert_eq!(
        dev.spokes[0].subscription_id.as_deref(),
        Some("00000000-1111-2222-3333-444444444444")
    );
    assert_eq!(
        dev.spokes[0].cluster.admin_group_object_ids.as_deref(),
        Some(&["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee".to_string()][..])
    );
    // Merge patch keeps the profile's waivers.
    assert!(
        dev.waivers
            .iter()
            .any(|w| w.control.as_str() == "API-PRIVATE")
    );
}

#[test]
fn four_problems_are_reported_in_one_run() {
    let path = fixture_dir("invalid").join("four-problems.json");
    let found = codes(&diagnostics_of(&path));
    let mut want: BTreeSet<&str> = ["unknown-key", "wrong-type", "cidr-overlap"].into();
    want.insert(if found.contains("name-length") {
        "name-length"
    } else {
        "name-chars"
    });
    assert_eq!(found, want);
}

#[test]
fn misspelt_enum_value_is_bad_value_with_a_suggestion() {
    let err = load_str(
        "tier.json",
        r#"{"extends": "prod", "tier": "prd"}"#,
        Syntax::Json,
    )
    .expect_err("tier prd is not a tier");
    let diags = err.diagnostics();
    assert_eq!(codes(diags).into_iter().collect::<Vec<_>>(), ["bad-value"]);
    assert_eq!(diags[0].pointer, "/tier");
    assert!(
        diags[0].hint.contains("did you mean \"prod\""),
        "{}",
        diags[0]
    );
}

#[test]
fn extends_cycle_through_dot_slash_paths_is_reported_at_the_first_repeat() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Canonical, so a fix that canonicalises paths still matches the shown prefix.
    let dir = tmp.path().canonicalize().expect("canonical tempdir");
    let a = dir.join("a.json");
    let b = dir.join("b.json");
    std::fs::write(&a, r#"{"extends": "./b.json"}"#).expect("write a");
    std::fs::write(&b, r#"{"extends": "./a.json"}"#).expect("write b");
    let diags = diagnostics_of(&a);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code.as_str(), "extends-cycle");
    let rendered = render(&diags, &dir, "<tmp>");
    assert!(!rendered.contains("/./"), "{rendered}");
    assert!(
        rendered.contains("forms a cycle: <tmp>/a.json -> <tmp>/b.json -> <tmp>/a.json\n"),
        "{rendered}"
    );
}

#[test]
fn stem_to_code() {
    assert_eq!(expected_codes("cidr-overlap"), ["cidr-overlap"]);
    assert_eq!(expected_codes("cidr-overlap-2"), ["cidr-overlap"]);
    assert_eq!(
        expected_codes("four-problems"),
        ["unknown-key", "wrong-type"]
    );
    assert!(std::panic::catch_unwind(|| expected_codes("cidr-overlapp")).is_err());
}

/// Every upstream next hop the estate would route back through the firewall is refused, at the
/// user's pointer: each address of both firewall subnets, and addresses across every routed spoke
/// subnet. Addresses outside them load.
#[test]
fn every_next_hop_that_routes_back_through_the_firewall_is_refused() {
    let with_hop = |hop: &str| {
        let text = format!(
            r#"{{ "extends": "regulated", "hub": {{ "firewall": {{ "upstreamNextHop": "{hop}" }} }} }}"#
        );
        load_str("hop.json", &text, Syntax::Json)
    };
    let mut looping: Vec<String> = Vec::new();
    // AzureFirewallSubnet 10.0.0.0/26 and AzureFirewallManagementSubnet 10.0.0.64/26, whole.
    looping.extend((0..128).map(|i| format!("10.0.0.{i}")));
    // The routed spoke subnets: system 10.1.0.0/24, user 10.1.4.0/22, apiServer 10.1.8.0/28.
    looping.extend((0..256).step_by(7).map(|i| format!("10.1.0.{i}")));
    looping.extend((4..8).flat_map(|b| (0..256).step_by(51).map(move |i| format!("10.1.{b}.{i}"))));
    looping.extend((0..16).map(|i| format!("10.1.8.{i}")));
    for hop in &looping {
        match with_hop(hop) {
            Err(Error::Invalid(d)) => {
                let hit = d
                    .iter()
                    .find(|d| d.code == Code::RouteLoop)
                    .unwrap_or_else(|| {
                        panic!(
                            "{hop}: no route-loop among {:?}",
                            d.iter().map(|d| d.code).collect::<Vec<_>>()
                        )
                    });
                assert_eq!(hit.pointer, "/hub/firewall/upstreamNextHop", "{hop}");
                assert_eq!(hit.file, "hop.json", "{hop}: points into the user's file");
                assert!(hit.message.contains(hop.as_str()), "{hop}: {}", hit.message);
            }
            other => panic!("{hop}: accepted ({:?})", other.map(|e| e.name)),
        }
    }
    // Outside every range routed through the firewall: the rest of the hub, on-premises, and the
    // spoke's private-endpoint subnet (not routed through the firewall).
    for hop in [
        "10.0.1.4",
        "10.0.3.254",
        "192.168.10.4",
        "10.1.9.4",
        "172.16.0.1",
    ] {
        let loaded = with_hop(hop);
        assert!(
            loaded.is_ok(),
            "{hop}: {:?}",
            loaded.err().map(|e| e.diagnostics().to_vec())
        );
    }
}

/// A problem the user's own key causes is reported at that key, in the user's file, even when the
/// other half of the contradiction comes from the built-in profile.
#[test]
fn every_contradiction_the_user_causes_points_at_the_users_line() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"{ "extends": "prod", "spokes": { "prod": { "paasAccess": "serviceEndpoints" } } }"#,
            "/spokes/prod/paasAccess",
            "KMS",
        ),
        (
            r#"{ "extends": "regulated", "hub": { "firewall": { "sku": "Standard" } } }"#,
            "/hub/firewall/sku",
            "IDPS",
        ),
        (
            r#"{ "extends": "prod", "spokes": { "prod": { "cluster": { "network": { "policy": "azure" } } } } }"#,
            "/spokes/prod/cluster/network/policy",
            "Cilium",
        ),
        (
            r#"{ "extends": "prod", "spokes": { "prod": { "cluster": { "network": { "ciliumDataplane": false } } } } }"#,
            "/spokes/prod/cluster/network/ciliumDataplane",
            "Cilium",
        ),
        (
            r#"{ "extends": "prod", "spokes": { "prod": { "cluster": { "apiServer": { "private": false } } } } }"#,
            "/spokes/prod/cluster/apiServer/private",
            "public API server",
        ),
        (
            r#"{ "extends": "dev", "spokes": { "dev": { "cluster": { "apiServer": { "private": true } } } } }"#,
            "/spokes/dev/cluster/apiServer/private",
            "private API server",
        ),
        (
            r#"{ "extends": "regulated", "spokes": { "prod": { "cluster": { "nodePools": { "sandbox": { "mode": "System" } } } } } }"#,
            "/spokes/prod/cluster/nodePools/sandbox/mode",
            "sandbox",
        ),
        (
            r#"{ "extends": "prod", "spokes": { "prod": { "keyVault": { "sku": "standard" } } } }"#,
            "/spokes/prod/keyVault/sku",
            "Premium vault",
        ),
        (
            r#"{ "extends": "prod", "spokes": { "prod": { "cluster": { "skuTier": "Premium", "kubernetesVersion": "1.26" } } } }"#,
            "/spokes/prod/cluster/kubernetesVersion",
            "long-term support",
        ),
        (
            r#"{ "extends": "prod", "hub": { "firewall": { "upstreamNextHop": "192.168.0.4" } } }"#,
            "/hub/firewall/upstreamNextHop",
            "AzureFirewallManagementSubnet",
        ),
    ];
    for (text, pointer, words) in cases {
        let user: serde_json::Value = serde_json::from_str(text).expect("JSON");
        let diags = match load_str("estate.json", text, Syntax::Json) {
            Err(Error::Invalid(d)) => d,
            other => panic!("{text}: accepted ({:?})", other.map(|e| e.name)),
        };
        for d in &diags {
            assert_eq!(d.file, "estate.json", "{text}: {d}");
            assert!(
                user.pointer(&d.pointer).is_some(),
                "{text}: {} points at a key the user did not write",
                d.pointer
            );
        }
        let d = diags
            .iter()
            .find(|d| d.pointer == *pointer)
            .unwrap_or_else(|| panic!("{text}: nothing at {pointer}: {diags:#?}"));
        assert!(d.message.contains(words), "{text}: {}", d.message);
    }
}

/// A missing key's hint tells the truth about where it could come from: a spoke gets what it
/// writes and what `spokeDefaults` gives. A spoke that removes a default the profile gives is
/// told so, at its own line.
#[test]
fn a_spokes_missing_key_names_where_it_could_come_from() {
    let text = r#"{ "extends": "prod", "spokes": { "s0000": { "subscriptionId": "00000000-0000-0000-0000-000000000001", "addressSpace": "10.2.0.0/16", "keyVault": null } } }"#;
    let diags = match load_str("fleet.json", text, Syntax::Json) {
        Err(Error::Invalid(d)) => d,
        other => panic!("accepted ({:?})", other.map(|e| e.name)),
    };
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, Code::MissingKey);
    assert_eq!(
        (d.file.as_str(), d.pointer.as_str()),
        ("fleet.json", "/spokes/s0000")
    );
    assert!(
        d.hint
            .contains("profile:prod gives every spoke \"keyVault\""),
        "{}",
        d.hint
    );
    assert!(d.hint.contains("null"), "{}", d.hint);
    assert!(!d.hint.contains("extend a built-in profile"), "{}", d.hint);

    // Without a profile: the spoke or the defaults could give it; neither does.
    let text = r#"{ "description": "d", "name": "fab", "tier": "dev", "location": "westeurope",
        "hub": { "addressSpace": "10.0.0.0/22", "subnets": { "firewall": "10.0.0.0/26" },
                 "firewall": { "sku": "Standard", "threatIntelMode": "Deny", "dnsProxy": true } },
        "defender": { "containers": false },
        "spokeDefaults": { "paasAccess": "privateEndpoints" },
        "spokes": { "a": { "addressSpace": "10.1.0.0/16" } } }"#;
    let diags = match load_str("bare.json", text, Syntax::Json) {
        Err(Error::Invalid(d)) => d,
        other => panic!("accepted ({:?})", other.map(|e| e.name)),
    };
    let cluster = diags
        .iter()
        .find(|d| d.code == Code::MissingKey && d.message.contains("\"cluster\""))
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(cluster.pointer, "/spokes/a");
    assert!(
        cluster.hint.contains("\"spokeDefaults\""),
        "{}",
        cluster.hint
    );
    assert!(cluster.hint.contains("at /spokes/a"), "{}", cluster.hint);
}
