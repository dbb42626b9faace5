//! The Mermaid diagram of the Markdown report: snapshots for 1, 10 and 200 spokes, forced
//! tunnelling and external templates; every diagram within Mermaid's default limits, up to a fleet of 1,000
//! spokes; ids that follow names, so adding a spoke changes only that spoke's lines; and the
//! report's evidence cut short in every format while the JSON report keeps it whole.
//! `tests/render-diagrams.sh` renders every snapshotted diagram with Mermaid itself.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

use aks_harden::audit::report::mermaid::{self, MAX_EDGES, MAX_TEXT};
use aks_harden::audit::report::{CAP, CAP_NOTE};
use aks_harden::audit::{self, Date, Input, ReportFormat, Severity, Source};
use aks_harden::{Syntax, load_str, profile};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

const TEMPLATES: &str = "tests/fixtures/audit/templates";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots/audit");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// `prod` with `n` spokes named `s0`…, each a copy of prod's spoke: in its own /16
/// (10.(1+i).0.0/16) up to 254 spokes, in its own /20 beyond; pod ranges are /20s of
/// 100.64.0.0/10 and service ranges /26s of 198.18.0.0/15, so that none overlap.
fn many_spokes(n: usize, names: impl Fn(usize) -> String) -> String {
    let prod: Value =
        serde_json::from_str(profile::builtin("prod").expect("prod")).expect("prod is JSON");
    let template = prod["spokes"]["prod"].clone();
    let mut spokes = serde_json::Map::new();
    spokes.insert("prod".into(), Value::Null);
    for i in 0..n {
        let mut s = template.clone();
        let (a, b) = if n <= 254 {
            (format!("10.{}", 1 + i), 0)
        } else {
            (format!("10.{}", (16 + i) / 16), ((16 + i) % 16) * 16)
        };
        s["addressSpace"] = json!(format!("{a}.{b}.0/{}", if n <= 254 { 16 } else { 20 }));
        s["subnets"] = json!({
            "system": format!("{a}.{b}.0/24"), "user": format!("{a}.{}.0/22", b + 4),
            "apiServer": format!("{a}.{}.0/28", b + 8),
            "privateEndpoints": format!("{a}.{}.0/27", b + 9),
            "ingress": format!("{a}.{}.0/24", b + 10),
            "applicationGateway": format!("{a}.{}.0/24", b + 11),
        });
        let (pod, svc) = (i * 16, i * 64);
        let net = &mut s["cluster"]["network"];
        net["podCidr"] = json!(format!("100.{}.{}.0/20", 64 + pod / 256, pod % 256));
        let svc_net = format!("198.{}.{}", 18 + svc / 65536, svc / 256 % 256);
        net["serviceCidr"] = json!(format!("{svc_net}.{}/26", svc % 256));
        net["dnsServiceIp"] = json!(format!("{svc_net}.{}", svc % 256 + 10));
        spokes.insert(names(i), s);
    }
    json!({ "extends": "prod", "spokes": spokes }).to_string()
}

fn spoke_name(i: usize) -> String {
    format!("s{i}")
}

fn estate_input(text: &str) -> Input {
    let estate = load_str("spokes.json", text, Syntax::Json)
        .unwrap_or_else(|e| panic!("{:#?}", e.diagnostics()));
    aks_harden::audit_input(&estate, Source::new("spokes.json", "spokes.json", None))
}

fn template_input(file: &str) -> Input {
    let uri = format!("{TEMPLATES}/{file}");
    let text = std::fs::read_to_string(root().join(&uri)).expect("fixture");
    Input::from_template(Source::new(uri.clone(), uri, Some(text)), None).expect("a template")
}

fn within_limits(name: &str, d: &str) {
    assert!(d.len() < MAX_TEXT, "{name}: {} characters", d.len());
    let edges = mermaid::edge_count(d);
    assert!(edges < MAX_EDGES, "{name}: {edges} edges");
}

fn snapshot(name: &str, d: &str) {
    // Fenced like the Markdown report, so the render script reads every snapshot alike.
    let fenced = format!("```mermaid\n{d}```\n");
    settings().bind(|| insta::assert_snapshot!(name, fenced));
}

#[test]
fn spokes_snapshots_stay_small() {
    for n in [1, 10, 200] {
        let d = mermaid::render(&estate_input(&many_spokes(n, spoke_name)));
        within_limits(&format!("{n} spokes"), &d);
        // Past a handful of spokes the diagram no longer grows.
        assert!(d.len() < 6_000, "{n} spokes: {} characters", d.len());
        snapshot(&format!("diagram-{n}-spokes"), &d);
    }
}

#[test]
fn a_fleet_of_a_thousand_spokes_stays_within_mermaid_limits() {
    let d = mermaid::render(&estate_input(&many_spokes(1000, spoke_name)));
    within_limits("1000 spokes", &d);
    assert!(d.contains("more spokes like vnet-contoso-s0"), "{d}");
    assert!(d.contains("999 more spokes"), "{d}");
}

#[test]
fn templates_are_drawn_from_their_topology() {
    let d = mermaid::render(&template_input("two-peered-vnets.json"));
    within_limits("two-peered-vnets", &d);
    // Clusters inside the VNets they deploy into, through a resolved id and an unevaluated one.
    for (vnet, aks) in [("vnet_app_a", "aks_app_a"), ("vnet_app_b", "aks_app_b")] {
        let block: Vec<&str> = d
            .lines()
            .skip_while(|l| !l.contains(&format!("subgraph {vnet}[")))
            .take_while(|l| l.trim() != "end")
            .collect();
        assert!(
            block.iter().any(|l| l.trim_start().starts_with(aks)),
            "{aks} in {vnet}:\n{d}"
        );
    }
    assert!(d.contains("vnet_app_a -.-|\"peering\"| vnet_app_b"), "{d}");
    // No firewall: neither VNet is a hub, so neither is a spoke.
    assert!(!d.contains("hub ") && !d.contains("spoke "), "{d}");
    // Names: a sketch of the expression, never a position; no placeholder nodes.
    assert!(d.contains("ACR acra…"), "{d}");
    assert!(!d.contains("registries#"), "{d}");
    assert!(!d.contains("[\" \"]"), "{d}");
    assert!(d.contains("acr_acra -.-|\"private link\"| pe_acr_a"), "{d}");
    snapshot("diagram-two-peered-vnets", &d);

    let d = mermaid::render(&template_input("paths.json"));
    within_limits("paths", &d);
    for want in [
        "operators --> bas_hub",
        "bas_hub -.->|\"operator access\"| aks_spoke",
        "clients -->|\"public frontend\"| agw_spoke",
        "agw_spoke -->|\"ingress\"| aks_spoke",
        "aks_spoke --> rt_spoke",
        "rt_spoke -->|\"0.0.0.0/0\"| fw_afw_hub",
        "fw_afw_hub --> rt_firewall",
        "fleet_contoso -.->|\"member\"| aks_spoke",
        "forced tunnelling",
    ] {
        assert!(d.contains(want), "{want}:\n{d}");
    }
    snapshot("diagram-paths", &d);
}

#[test]
fn forced_tunnelling_and_what_sets_regulated_apart_are_drawn() {
    let path = root().join("tests/fixtures/audit/estates/regulated-forced-tunnel.json");
    let estate = aks_harden::load_file(&path).unwrap_or_else(|e| panic!("{:#?}", e.diagnostics()));
    let d = mermaid::render(&aks_harden::audit_input(
        &estate,
        Source::new("estate", "estate", None),
    ));
    for want in [
        "aks_contoso_prod --> rt_contoso_prod",
        "rt_contoso_prod -->|\"0.0.0.0/0\"| fw_afw_contoso_hub",
        "fw_afw_contoso_hub --> rt_contoso_afw",
        "rt_contoso_afw -->|\"0.0.0.0/0\"| hop_upstream_next_hop_10_100_0_4",
        "forced tunnelling",
        "sandbox (Kata)",
        "Istio mesh",
        "FIPS nodes",
    ] {
        assert!(d.contains(want), "{want}:\n{d}");
    }
    // The firewall tunnels upstream: it has no path of its own to the Internet.
    assert!(!d.contains("fw_afw_contoso_hub --> internet"), "{d}");
    snapshot("diagram-forced-tunnel", &d);
}

fn lines(d: &str) -> BTreeSet<String> {
    d.lines().map(str::to_string).collect()
}

#[test]
fn adding_a_spoke_changes_only_its_own_lines() {
    // Drawn in full: the new spoke's lines come, nothing else changes.
    let names = |i: usize| ["alpha", "bravo", "charlie"][i].to_string();
    let before = lines(&mermaid::render(&estate_input(&many_spokes(2, names))));
    let after = lines(&mermaid::render(&estate_input(&many_spokes(3, names))));
    let gone: Vec<&String> = before.difference(&after).collect();
    let came: Vec<&String> = after.difference(&before).collect();
    assert!(gone.is_empty(), "lines that changed: {gone:#?}");
    assert!(!came.is_empty());
    for l in &came {
        assert!(
            l.contains("charlie") || l.trim() == "end",
            "a line not about the new spoke: {l}"
        );
    }

    // Summarised: only the summary's line changes.
    let before = lines(&mermaid::render(&estate_input(&many_spokes(
        10, spoke_name,
    ))));
    let after = lines(&mermaid::render(&estate_input(&many_spokes(
        11, spoke_name,
    ))));
    let gone: Vec<&String> = before.difference(&after).collect();
    let came: Vec<&String> = after.difference(&before).collect();
    assert_eq!(gone.len(), 1, "{gone:#?}");
    assert_eq!(came.len(), 1, "{came:#?}");
    assert!(gone[0].contains("9 more spokes like") && came[0].contains("10 more spokes like"));
}

#[test]
fn evidence_is_cut_in_every_format_and_whole_in_json() {
    // A cluster whose properties come from another deployment's outputs: its evidence quotes
    // the long expression behind them.
    let input = template_input("reference-properties.json");
    let report = audit::audit(&input, Date::parse("2025-06-01").expect("a date"));
    let long: Vec<String> = report
        .results
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| report.evidence(f))
        .filter(|e| e.chars().count() > CAP)
        .collect();
    assert!(!long.is_empty(), "the fixture quotes a long expression");
    let render = |f| audit::render(&report, f, Severity::High).expect("renders");

    let text = render(ReportFormat::Text);
    for l in text.lines().filter(|l| l.starts_with("  - ")) {
        assert!(l.chars().count() <= CAP + 80, "{l}");
    }
    assert!(text.contains(CAP_NOTE));

    let md = render(ReportFormat::Markdown);
    for row in md.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let evidence = cells.get(3).copied().unwrap_or_default();
        for item in evidence.split("<br>") {
            assert!(item.chars().count() <= CAP + 10, "{item}");
        }
    }
    assert!(md.contains(CAP_NOTE));
    assert!(md.len() < 40_000, "{} bytes", md.len());

    let doc: Value = serde_json::from_str(&render(ReportFormat::Json)).expect("JSON");
    let findings: Vec<&Value> = doc["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .flat_map(|c| c["findings"].as_array().expect("findings"))
        .collect();
    let mut whole = 0;
    for f in findings {
        let message = f["message"].as_str().expect("message");
        assert!(message.chars().count() <= CAP, "{message}");
        if let Some(full) = f["fullMessage"].as_str() {
            assert!(full.chars().count() > CAP);
            let kept: String = message.chars().take(CAP - 1).collect();
            assert!(full.starts_with(&kept));
            whole += 1;
        }
    }
    assert!(whole > 0, "the JSON report keeps long messages whole");

    let sarif: Value = serde_json::from_str(&render(ReportFormat::Sarif)).expect("SARIF");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let mut kept = 0;
    for r in results {
        let message = r["message"]["text"].as_str().expect("text");
        // The control's id and title, and at most CAP characters of evidence; the fix is the
        // rule's help.
        assert!(message.chars().count() <= CAP + 200, "{message}");
        kept += usize::from(r["properties"]["fullEvidence"].is_string());
    }
    assert!(kept > 0);
}
