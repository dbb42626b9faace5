//! Fleets: spokes written as only what differs from the spoke defaults, subnets derived from each
//! spoke's own address space by the profile's layout, a profile's example spoke kept only when an
//! estate names it, and cluster ranges checked by Azure's rules (pod and service ranges may
//! repeat across Azure CNI Overlay clusters, never overlap a network a cluster reaches).

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::diag::Code;
use aks_harden::{Diagnostic, Error, Estate, Format, Options, Syntax, load_file, load_str};
use serde_json::{Value, json};
use std::path::PathBuf;
use support::{assert_exit, run, stderr, stdout};

fn fixture(name: &str) -> PathBuf {
    support::root().join("tests/fixtures/fleet").join(name)
}

fn load(name: &str) -> Estate {
    load_file(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}: {:#?}", e.diagnostics()))
}

fn refused(name: &str, text: &str) -> Vec<Diagnostic> {
    match load_str(name, text, Syntax::Json) {
        Err(Error::Invalid(d)) => d,
        Err(e) => panic!("{name}: {e}"),
        Ok(e) => panic!("{name}: accepted with {} spokes", e.spokes.len()),
    }
}

fn keys(e: &Estate) -> Vec<&str> {
    e.spokes.iter().map(|s| s.key.as_str()).collect()
}

fn subnet(e: &Estate, spoke: &str, field: &str) -> String {
    let s = e.spokes.iter().find(|s| s.key == spoke).expect("spoke");
    s.subnets
        .iter()
        .find(|n| n.role.field() == field)
        .map_or_else(
            || panic!("{spoke} has no {field} subnet"),
            |n| n.cidr.to_string(),
        )
}

/// Ten spokes of three keys each validate, get their subnets from the layout and share the
/// profile's pod and service ranges, and render every format through the audit gate.
#[test]
fn ten_spokes_written_as_name_subscription_and_address_space_render() {
    let estate = load("ten-spokes.json");
    assert_eq!(
        estate.spokes.len(),
        10,
        "the profile's example spoke is not among them"
    );
    assert!(!keys(&estate).contains(&"prod"));
    for (i, s) in estate.spokes.iter().enumerate() {
        let n = i + 1;
        assert_eq!(s.address_space.to_string(), format!("10.{n}.0.0/16"));
        assert_eq!(subnet(&estate, &s.key, "system"), format!("10.{n}.0.0/24"));
        assert_eq!(subnet(&estate, &s.key, "user"), format!("10.{n}.4.0/22"));
        assert_eq!(
            subnet(&estate, &s.key, "apiServer"),
            format!("10.{n}.8.0/28")
        );
        assert_eq!(
            subnet(&estate, &s.key, "applicationGateway"),
            format!("10.{n}.11.0/24")
        );
        assert_eq!(s.cluster.pod_cidr.to_string(), "10.244.0.0/16");
        assert_eq!(s.cluster.service_cidr.to_string(), "10.245.0.0/16");
        assert!(
            s.cluster.kms && s.cluster.private,
            "{}: prod's settings",
            s.key
        );
        assert_eq!(
            s.subscription_id.as_deref(),
            Some(format!("00000000-0000-0000-0000-{n:012}").as_str())
        );
    }
    // The gate enforced, as `gen` runs it: prod's posture holds on every spoke.
    let out = aks_harden::generate(&estate, &Options::new(support::today()))
        .unwrap_or_else(|e| panic!("{e}"));
    let arm = &out.files["arm/main.json"];
    assert_eq!(arm.matches("\"podCidr\": \"10.244.0.0/16\"").count(), 10);
    for i in 0..10 {
        let key = format!("s{i:04}");
        assert!(arm.contains(&format!("aks-contoso-{key}")), "{key}");
        assert!(
            out.files
                .contains_key(&format!("bicep/modules/{key}-cluster.bicep"))
        );
        assert!(
            out.files
                .contains_key(&format!("terraform/{key}-cluster.tf.json"))
        );
    }
}

#[test]
fn the_cli_validates_and_generates_the_ten_spoke_estate() {
    let file = fixture("ten-spokes.json");
    let o = run(["validate".as_ref(), file.as_os_str()]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains("valid Prod estate with 10 spokes"),
        "{}",
        stdout(&o)
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let o = run([
        "gen".as_ref(),
        "--estate".as_ref(),
        file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_exit(&o, 0);
    assert!(out.join("arm/main.json").is_file());
    assert!(out.join("bicep/main.bicep").is_file());
    assert!(out.join("terraform/s0009-cluster.tf.json").is_file());
    assert!(
        !stderr(&o).contains("warning:"),
        "ten spokes fit one ARM template: {}",
        stderr(&o)
    );
}

/// A fleet whose ARM template is larger than ARM takes is generated, and `gen` says so, with
/// the size it wrote and what to deploy instead; the Terraform output alone draws no warning.
#[test]
fn a_fleet_over_arms_template_limits_is_warned_about() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("thirty.json");
    std::fs::write(&file, generated::estate(30)).expect("write");
    let generate = |out: &std::path::Path, format: &str| {
        run([
            "gen".as_ref(),
            "--estate".as_ref(),
            file.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
    };
    let out = tmp.path().join("all");
    let o = generate(&out, "all");
    assert_exit(&o, 0);
    let bytes = std::fs::metadata(out.join("arm/main.json"))
        .expect("arm/main.json")
        .len();
    assert!(bytes > 4 * 1024 * 1024, "{bytes} bytes");
    #[allow(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let size = format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "warning: arm/main.json (and the template bicep/main.bicep compiles to) is over ARM's limits on one template: it is {size} (limit 4 MB)"
        )),
        "{err}"
    );
    assert_eq!(err.matches("warning:").count(), 1, "only the size: {err}");
    assert!(err.contains("--format terraform"), "{err}");
    assert!(
        err.contains("learn.microsoft.com/azure/azure-resource-manager/templates/best-practices#template-limits"),
        "{err}"
    );
    let o = generate(&tmp.path().join("terraform"), "terraform");
    assert_exit(&o, 0);
    assert!(!stderr(&o).contains("warning:"), "{}", stderr(&o));
}

#[test]
fn two_spokes_sharing_a_pod_range_render() {
    let estate = load("shared-pod-range.json");
    assert_eq!(keys(&estate), ["blue", "green"]);
    let files = support::render(&estate, Format::IMPLEMENTED).expect("render");
    assert_eq!(
        files["arm/main.json"]
            .matches("\"podCidr\": \"10.244.0.0/16\"")
            .count(),
        2
    );
}

/// A pod range on the hub is refused at the user's line, naming both ranges, and the hint offers
/// the next free range of the same size.
#[test]
fn a_pod_range_on_the_hub_is_refused_with_both_pointers() {
    let path = fixture("pod-range-on-the-hub.json");
    let diags = match load_file(&path) {
        Err(Error::Invalid(d)) => d,
        other => panic!("accepted: {:?}", other.map(|e| e.name)),
    };
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, Code::CidrOverlap);
    assert_eq!(d.file, path.display().to_string());
    assert_eq!(d.pointer, "/spokes/blue/cluster/network/podCidr");
    assert_eq!(d.related.as_deref(), Some("/hub/addressSpace"));
    assert!(d.message.contains("10.0.0.0/16") && d.message.contains("10.0.0.0/22"));
    assert!(
        d.hint.contains("(at /spokes/blue/cluster/network/podCidr)")
            && d.hint.contains("(at /hub/addressSpace)"),
        "{}",
        d.hint
    );
    // 10.1.0.0/16 is the spoke's own network.
    assert!(
        d.hint.contains("the next free /16 is 10.2.0.0/16"),
        "{}",
        d.hint
    );
}

/// Every range a cluster reaches is out of bounds for its pod and service ranges: its own VNet,
/// another spoke's, and its own service range; the DNS address lies in the service range.
#[test]
fn cluster_ranges_miss_every_network_the_cluster_reaches() {
    let cases = [
        (
            json!({ "a": { "addressSpace": "10.1.0.0/16", "cluster": { "network": { "podCidr": "10.1.128.0/17" } } } }),
            "/spokes/a/cluster/network/podCidr",
            "/spokes/a/addressSpace",
        ),
        (
            json!({ "a": { "addressSpace": "10.1.0.0/16" },
                    "b": { "addressSpace": "10.2.0.0/16", "cluster": { "network": { "serviceCidr": "10.1.0.0/20", "dnsServiceIp": "10.1.0.10" } } } }),
            "/spokes/b/cluster/network/serviceCidr",
            "/spokes/a/addressSpace",
        ),
        (
            json!({ "a": { "addressSpace": "10.1.0.0/16", "cluster": { "network": { "serviceCidr": "10.244.0.0/20", "dnsServiceIp": "10.244.0.10" } } } }),
            "/spokes/a/cluster/network/serviceCidr",
            "/spokeDefaults/cluster/network/podCidr",
        ),
    ];
    for (spokes, pointer, related) in cases {
        let text = json!({ "extends": "prod", "spokes": spokes }).to_string();
        let diags = refused("ranges.json", &text);
        let d = diags
            .iter()
            .find(|d| d.code == Code::CidrOverlap)
            .unwrap_or_else(|| panic!("{text}: {diags:#?}"));
        assert_eq!(d.pointer, pointer, "{text}");
        assert_eq!(d.related.as_deref(), Some(related), "{text}");
    }
    let text = r#"{ "extends": "prod", "spokes": { "a": { "addressSpace": "10.1.0.0/16", "cluster": { "network": { "dnsServiceIp": "10.245.0.0" } } } } }"#;
    let diags = refused("dns.json", text);
    assert_eq!(diags[0].code, Code::CidrOutside);
    assert_eq!(diags[0].pointer, "/spokes/a/cluster/network/dnsServiceIp");
}

#[test]
fn overlapping_spokes_get_the_next_free_range_of_their_size() {
    let text = r#"{ "extends": "prod", "spokes": {
        "a": { "addressSpace": "10.1.0.0/16" },
        "b": { "addressSpace": "10.2.0.0/16" },
        "c": { "addressSpace": "10.1.0.0/16" } } }"#;
    let diags = refused("twins.json", text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.pointer, "/spokes/c/addressSpace");
    assert_eq!(d.related.as_deref(), Some("/spokes/a/addressSpace"));
    assert!(
        d.hint.contains("the next free /16 is 10.3.0.0/16"),
        "{}",
        d.hint
    );
}

/// An estate that lists spokes gets exactly those it names; naming the profile's example spoke
/// keeps it as the profile has it; listing none keeps the profile's.
#[test]
fn a_profiles_example_spoke_stays_only_when_named() {
    let with = |spokes: Value| {
        let text = json!({ "extends": "prod", "spokes": spokes }).to_string();
        load_str("example.json", &text, Syntax::Json)
            .unwrap_or_else(|e| panic!("{text}: {:#?}", e.diagnostics()))
    };
    assert_eq!(
        keys(&with(json!({ "qa": { "addressSpace": "10.2.0.0/16" } }))),
        ["qa"]
    );
    let both = with(json!({ "prod": {}, "qa": { "addressSpace": "10.2.0.0/16" } }));
    assert_eq!(keys(&both), ["prod", "qa"]);
    let profile = aks_harden::load_profile("prod").expect("prod");
    assert_eq!(
        both.spokes[0], profile.spokes[0],
        "prod kept as the profile has it"
    );
    assert_eq!(
        keys(&with(
            json!({ "prod": null, "qa": { "addressSpace": "10.2.0.0/16" } })
        )),
        ["qa"]
    );
    let untouched = load_str(
        "plain.json",
        r#"{ "extends": "prod", "locks": false }"#,
        Syntax::Json,
    )
    .expect("loads");
    assert_eq!(keys(&untouched), ["prod"]);
    // A file extending a file: the first file that lists spokes decides; the next adds to them.
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("base.json"),
        r#"{ "extends": "prod", "spokes": { "qa": { "addressSpace": "10.2.0.0/16" } } }"#,
    )
    .expect("write base");
    let top = tmp.path().join("top.json");
    std::fs::write(
        &top,
        r#"{ "extends": "./base.json", "spokes": { "uat": { "addressSpace": "10.3.0.0/16" } } }"#,
    )
    .expect("write top");
    assert_eq!(keys(&load_file(&top).expect("loads")), ["qa", "uat"]);
}

/// Spoke defaults merge like `extends`: an estate's defaults patch the profile's, a spoke's own
/// value wins, and a spoke's null removes a default.
#[test]
fn spoke_defaults_merge_under_every_spoke() {
    let text = r#"{ "extends": "prod",
        "spokeDefaults": { "logAnalytics": { "retentionDays": 120 } },
        "spokes": {
          "a": { "addressSpace": "10.1.0.0/16" },
          "b": { "addressSpace": "10.2.0.0/16", "logAnalytics": { "retentionDays": 365 } },
          "c": { "addressSpace": "10.3.0.0/16", "ingress": null } } }"#;
    let e = load_str("defaults.json", text, Syntax::Json)
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics()));
    let days: Vec<u32> = e.spokes.iter().map(|s| s.log_retention_days).collect();
    assert_eq!(days, [120, 365, 120]);
    // The profile's replication setting survives the estate's patch of the same object.
    assert!(e.spokes.iter().all(|s| s.log_replica.is_some()));
    let gateways: Vec<bool> = e.spokes.iter().map(|s| s.ingress.is_some()).collect();
    assert_eq!(gateways, [true, true, false]);
    // No gateway, so no gateway subnet either.
    assert!(
        e.spokes[2]
            .subnets
            .iter()
            .all(|n| n.role.field() != "applicationGateway")
    );
}

/// Subnets: written ones win, the rest derive from the spoke's own address space, so adding a
/// spoke moves no other spoke's ranges.
#[test]
fn subnets_derive_from_the_spokes_own_address_space() {
    let text = r#"{ "extends": "prod", "spokes": {
        "a": { "addressSpace": "10.7.0.0/20", "subnets": { "user": "10.7.12.0/22" } } } }"#;
    let e = load_str("layout.json", text, Syntax::Json)
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics()));
    assert_eq!(subnet(&e, "a", "user"), "10.7.12.0/22");
    assert_eq!(subnet(&e, "a", "system"), "10.7.0.0/24");
    assert_eq!(subnet(&e, "a", "ingress"), "10.7.10.0/24");

    let fleet = |n: usize| {
        let spokes: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                (
                    format!("s{i}"),
                    json!({ "addressSpace": format!("10.{}.0.0/16", 50 - i) }),
                )
            })
            .collect();
        let text = json!({ "extends": "prod", "spokes": spokes }).to_string();
        load_str("fleet.json", &text, Syntax::Json).expect("loads")
    };
    let (three, four) = (fleet(3), fleet(4));
    for (a, b) in three.spokes.iter().zip(&four.spokes) {
        assert_eq!(a.subnets, b.subnets, "{}", a.key);
        assert_eq!(a.address_space, b.address_space);
    }
}

/// A layout that does not fit names the smallest address space that would; a layout offset that
/// is not aligned to its size is refused with the aligned one.
#[test]
fn a_layout_that_does_not_fit_names_the_smallest_address_space() {
    let diags = refused(
        "small.json",
        r#"{ "extends": "prod", "spokes": { "a": { "addressSpace": "10.7.0.0/22" } } }"#,
    );
    let d = diags
        .iter()
        .find(|d| d.code == Code::CidrOutside)
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(d.pointer, "/spokes/a/addressSpace");
    assert_eq!(d.file, "small.json");
    assert!(d.message.contains("a /20"), "{}", d.message);
    assert!(d.hint.contains("10.7.0.0/20"), "{}", d.hint);
    // A /20 is enough.
    load_str(
        "enough.json",
        r#"{ "extends": "prod", "spokes": { "a": { "addressSpace": "10.7.0.0/20" } } }"#,
        Syntax::Json,
    )
    .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics()));

    let diags = refused(
        "offset.json",
        r#"{ "extends": "prod", "spokeDefaults": { "subnetLayout": { "user": "0.0.2.0/22" } },
            "spokes": { "a": { "addressSpace": "10.7.0.0/16" }, "b": { "addressSpace": "10.8.0.0/16" } } }"#,
    );
    assert_eq!(
        diags.len(),
        1,
        "one problem, reported once for both spokes: {diags:#?}"
    );
    let d = &diags[0];
    assert_eq!(d.code, Code::CidrHostBits);
    assert_eq!(d.pointer, "/spokeDefaults/subnetLayout/user");
    assert_eq!(d.file, "offset.json");
    assert!(d.hint.contains("0.0.0.0/22"), "{}", d.hint);
    assert!(d.message.contains("1 more spoke"), "{}", d.message);
}

/// A problem in a default the user wrote is reported once, at the default, however many spokes
/// take it.
#[test]
fn a_bad_default_is_reported_once_at_the_default() {
    let spokes: serde_json::Map<String, Value> = (0..5)
        .map(|i| {
            (
                format!("s{i}"),
                json!({ "addressSpace": format!("10.{}.0.0/16", i + 1) }),
            )
        })
        .collect();
    let text = json!({
        "extends": "prod",
        "spokeDefaults": { "cluster": { "network": { "podCidr": "10.0.0.0/16" } } },
        "spokes": spokes,
    })
    .to_string();
    let diags = refused("defaults.json", &text);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, Code::CidrOverlap);
    assert_eq!(
        (d.file.as_str(), d.pointer.as_str()),
        ("defaults.json", "/spokeDefaults/cluster/network/podCidr")
    );
    assert!(d.message.contains("4 more spokes"), "{}", d.message);

    // Unknown keys in the defaults, and an address space there, are refused at the default.
    let text = r#"{ "extends": "prod", "spokeDefaults": { "addressSpace": "10.9.0.0/16", "clustr": {} } }"#;
    let diags = refused("unknown.json", text);
    let pointers: Vec<&str> = diags.iter().map(|d| d.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        ["/spokeDefaults/addressSpace", "/spokeDefaults/clustr"],
        "{diags:#?}"
    );
    assert!(
        diags
            .iter()
            .all(|d| d.code == Code::UnknownKey && d.file == "unknown.json")
    );
}

/// A key missing from a spoke and from the defaults is reported at the user's spoke, with both
/// places it could come from.
#[test]
fn a_missing_key_names_the_spoke_and_the_defaults() {
    let text = r#"{ "extends": "prod", "spokeDefaults": { "registry": null },
        "spokes": { "a": { "addressSpace": "10.1.0.0/16" } } }"#;
    let diags = refused("missing.json", text);
    let d = diags
        .iter()
        .find(|d| d.code == Code::MissingKey)
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert_eq!(
        (d.file.as_str(), d.pointer.as_str()),
        ("missing.json", "/spokes/a")
    );
    assert!(d.message.contains("\"registry\""), "{}", d.message);
    assert!(d.hint.contains("removes it with null"), "{}", d.hint);
}

/// `profiles show` prints the spokes as they deploy: defaults applied, subnets derived, and the
/// output loads as the same estate.
#[test]
fn profiles_show_prints_the_resolved_spokes() {
    let o = run(["profiles", "show", "staging"]);
    assert_exit(&o, 0);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let spoke = &v["spokes"]["staging"];
    assert_eq!(spoke["addressSpace"], "10.1.0.0/16");
    assert_eq!(spoke["subnets"]["user"], "10.1.4.0/22");
    assert_eq!(spoke["subnets"]["applicationGateway"], "10.1.11.0/24");
    assert_eq!(
        spoke["cluster"]["upgrades"]["autoUpgradeWindow"]["dayOfWeek"],
        "Wednesday"
    );
    assert_eq!(v["spokeDefaults"]["subnetLayout"]["user"], "0.0.4.0/22");
    // What it prints is an estate that loads as the profile does.
    let shown = load_str("shown.json", &stdout(&o), Syntax::Json).expect("loads");
    assert_eq!(shown, aks_harden::load_profile("staging").expect("staging"));
}

#[path = "../examples/fleet.rs"]
#[allow(dead_code, reason = "only the estate generator is used")]
mod generated;

#[test]
fn a_fleet_planned_on_two_threads_keeps_spoke_order_and_repeats_itself() {
    let text = generated::estate(40);
    let estate = load_str("fleet.json", &text, Syntax::Json).expect("a valid fleet");
    let keys: Vec<String> = estate.spokes.iter().map(|s| s.key.clone()).collect();
    assert_eq!(keys.len(), 40);
    let template = aks_harden::plan::plan(&estate);
    // The spokes' networks come in the estate's order.
    let networks: Vec<&str> = template
        .deployments
        .iter()
        .filter_map(|d| d.id.strip_suffix("-network"))
        .collect();
    assert_eq!(networks, keys);
    // Every spoke's network deployment passes its subscription through.
    for k in &keys {
        let network = template
            .deployments
            .iter()
            .find(|d| d.id == format!("{k}-network"))
            .expect("a network deployment per spoke");
        assert!(
            network
                .parameters
                .keys()
                .any(|p| p == &format!("{k}SubscriptionId")),
            "{k}: {:?}",
            network.parameters.keys().collect::<Vec<_>>()
        );
    }
    assert!(aks_harden::plan::plan(&estate) == template);
}
