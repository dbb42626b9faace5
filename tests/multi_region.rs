//! Several regions: a spoke names its `region`, each region with spokes has its own hub
//! (`regionalHubs` merged over `hub`), the hubs are peered with each other, each spoke peers with
//! its own region's hub and sends its default route to its own region's firewall, whose rules
//! take only that region's spokes as sources; zones follow each resource's region; a spoke in a
//! region without a hub, a regional hub without spokes and a regional hub that overlaps a spoke
//! are refused at their pointers; an estate that names only its own location renders as before.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::diag::Diagnostic;
use aks_harden::{Error, Estate, Files, Syntax, load_file, load_str};
use serde_json::{Value, json};
use support::root;

const FIXTURE: &str = "tests/fixtures/valid/prod-two-regions.json";
const HUB: &str = "vnet-contoso-hub";
const HUB_CA: &str = "vnet-contoso-hub-canadaeast";
const PEERING: &str = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";

fn two_regions() -> Estate {
    load_file(&root().join(FIXTURE)).unwrap()
}

/// Render through the gate: the two-region estate must pass the audit as it is.
fn files(e: &Estate) -> Files {
    support::render_gated(e)
}

/// An ARM resource with the deployment it is declared in.
struct Res {
    deployment: String,
    body: Value,
}

impl Res {
    fn rtype(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
    fn name(&self) -> &str {
        self.body["name"].as_str().unwrap_or_default()
    }
    fn location(&self) -> &str {
        self.body["location"].as_str().unwrap_or_default()
    }
}

/// Every resource of `arm/main.json`, nested deployments opened.
fn arm(files: &Files) -> Vec<Res> {
    fn walk(rs: &[Value], deployment: &str, out: &mut Vec<Res>) {
        for r in rs {
            if r["type"] == json!("Microsoft.Resources/deployments") {
                let name = r["name"].as_str().unwrap_or_default();
                walk(
                    r["properties"]["template"]["resources"].as_array().unwrap(),
                    name,
                    out,
                );
            } else {
                out.push(Res {
                    deployment: deployment.to_string(),
                    body: r.clone(),
                });
            }
        }
    }
    let doc: Value = serde_json::from_str(&files["arm/main.json"]).unwrap();
    let mut out = Vec::new();
    walk(doc["resources"].as_array().unwrap(), "", &mut out);
    out
}

fn of_type<'a>(rs: &'a [Res], t: &str) -> Vec<&'a Res> {
    rs.iter().filter(|r| r.rtype() == t).collect()
}

/// The VNet a peering or link points at: the last quoted name in its id expression.
fn remote(v: &Value) -> String {
    let id = v.as_str().unwrap_or_default();
    id.rsplit('\'').nth(1).unwrap_or_default().to_string()
}

/// Peerings as (from VNet, to VNet).
fn peerings(rs: &[Res]) -> Vec<(String, String)> {
    of_type(rs, PEERING)
        .into_iter()
        .map(|p| {
            (
                p.name().split('/').next().unwrap().to_string(),
                remote(&p.body["properties"]["remoteVirtualNetwork"]["id"]),
            )
        })
        .collect()
}

fn invalid(doc: &Value) -> Vec<Diagnostic> {
    match load_str("estate.json", &doc.to_string(), Syntax::Json) {
        Err(Error::Invalid(d)) => d,
        Ok(_) => panic!("accepted: {doc}"),
        Err(e) => panic!("{e}"),
    }
}

/// The diagnostic of the refused `doc` at `pointer`.
fn invalid_at(doc: &Value, pointer: &str) -> Diagnostic {
    let d = invalid(doc);
    d.iter()
        .find(|d| d.pointer == pointer)
        .cloned()
        .unwrap_or_else(|| panic!("nothing at {pointer}: {d:#?}"))
}

/// `a` and `b` hold the same files with the same bytes, the manifests aside.
fn assert_same_files(a: &Files, b: &Files) {
    for (path, text) in a {
        if path.ends_with("manifest.json") {
            continue;
        }
        assert!(b[path] == *text, "{path} differs");
    }
}

#[test]
fn each_region_with_spokes_gets_its_own_hub_in_every_format() {
    let e = two_regions();
    assert_eq!(e.regional_hubs.len(), 1);
    let ca = &e.regional_hubs[0];
    assert_eq!(ca.region, "canadaeast");
    assert_eq!(ca.vnet_name, HUB_CA);
    assert_eq!(ca.resource_group, "rg-contoso-hub-canadaeast");
    // The hub's subnets, moved to the same offsets inside 10.0.4.0/22.
    assert_eq!(ca.firewall_subnet.to_string(), "10.0.4.0/26");
    assert_eq!(ca.firewall.private_ip.to_string(), "10.0.4.4");
    assert_eq!(e.hub.firewall.private_ip.to_string(), "10.0.0.4");
    assert_eq!(ca.firewall.name, "afw-contoso-hub-canadaeast");
    assert_eq!(ca.firewall.policy_name, "afwp-contoso-hub-canadaeast");

    let f = files(&e);
    let rs = arm(&f);
    let firewalls: Vec<(&str, &str)> = of_type(&rs, "Microsoft.Network/azureFirewalls")
        .iter()
        .map(|r| (r.name(), r.location()))
        .collect();
    assert_eq!(
        firewalls,
        [
            ("afw-contoso-hub", "westeurope"),
            ("afw-contoso-hub-canadaeast", "canadaeast")
        ]
    );
    for path in [
        "bicep/modules/hub-canadaeast.bicep",
        "terraform/hub-canadaeast.tf.json",
    ] {
        let text = &f[path];
        assert!(text.contains("afw-contoso-hub-canadaeast"), "{path}");
        assert!(text.contains("10.0.4.0/26"), "{path}");
    }
    // Every resource of the Canadian spoke and hub is in Canada; the others are not.
    for r in &rs {
        let d = r.deployment.trim_start_matches("contoso-");
        let canadian =
            d.starts_with("canada-") || d == "hub-canadaeast" || r.name().contains("canada");
        let loc = r.location();
        if loc.is_empty() || loc == "global" {
            continue;
        }
        assert_eq!(
            loc == "canadaeast",
            canadian,
            "{} {} in {}",
            r.rtype(),
            r.name(),
            r.deployment
        );
    }
}

#[test]
fn hubs_peer_both_ways_and_each_spoke_only_with_its_own_hub() {
    let rs = arm(&files(&two_regions()));
    let p = peerings(&rs);
    let has = |a: &str, b: &str| p.iter().any(|(x, y)| x == a && y == b);
    assert!(has(HUB, HUB_CA), "{p:?}");
    assert!(has(HUB_CA, HUB), "{p:?}");
    assert!(has("vnet-contoso-prod", HUB), "{p:?}");
    assert!(has(HUB, "vnet-contoso-prod"), "{p:?}");
    assert!(has("vnet-contoso-canada", HUB_CA), "{p:?}");
    assert!(has(HUB_CA, "vnet-contoso-canada"), "{p:?}");
    assert!(!has("vnet-contoso-canada", HUB), "{p:?}");
    assert!(!has(HUB, "vnet-contoso-canada"), "{p:?}");
    assert!(!has("vnet-contoso-prod", HUB_CA), "{p:?}");
    assert!(!has(HUB_CA, "vnet-contoso-prod"), "{p:?}");
    assert_eq!(p.len(), 6, "{p:?}");
    // Hub to hub: forwarded traffic both ways, no gateway.
    for r in of_type(&rs, PEERING) {
        if r.name().starts_with("vnet-contoso-hub") && r.name().contains("to-vnet-contoso-hub") {
            assert_eq!(r.body["properties"]["allowForwardedTraffic"], json!(true));
            assert_eq!(r.body["properties"]["useRemoteGateways"], json!(false));
        }
    }
}

#[test]
fn a_spokes_default_route_goes_to_its_own_regions_firewall() {
    let rs = arm(&files(&two_regions()));
    let hop = |rt: &str| {
        let r = of_type(&rs, "Microsoft.Network/routeTables")
            .into_iter()
            .find(|r| r.name() == rt)
            .unwrap_or_else(|| panic!("no route table {rt}"));
        r.body["properties"]["routes"][0]["properties"]["nextHopIpAddress"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(hop("rt-contoso-prod"), "10.0.0.4");
    assert_eq!(hop("rt-contoso-canada"), "10.0.4.4");
    // Each hub's operations subnet leaves through its own firewall too.
    assert_eq!(hop("rt-contoso-operations"), "10.0.0.4");
    assert_eq!(hop("rt-contoso-operations-canadaeast"), "10.0.4.4");
}

#[test]
fn each_firewall_takes_only_its_own_regions_spokes_as_sources() {
    let rs = arm(&files(&two_regions()));
    let sources = |policy: &str| {
        let rcg = of_type(
            &rs,
            "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
        )
        .into_iter()
        .find(|r| r.name().starts_with(&format!("{policy}/")))
        .unwrap_or_else(|| panic!("no rules for {policy}"));
        let mut out = std::collections::BTreeSet::new();
        for c in rcg.body["properties"]["ruleCollections"]
            .as_array()
            .unwrap()
        {
            for rule in c["rules"].as_array().unwrap() {
                for s in rule["sourceAddresses"].as_array().unwrap() {
                    out.insert(s.as_str().unwrap().to_string());
                }
            }
        }
        out
    };
    let we = sources("afwp-contoso-hub");
    let ca = sources("afwp-contoso-hub-canadaeast");
    assert!(!we.is_empty() && !ca.is_empty());
    // The spokes' subnets and the hub's own operations subnet (10.0.2.0/24, moved to 10.0.6.0/24).
    let (we_hub, ca_hub) = (
        ["10.0.0.", "10.0.1.", "10.0.2.", "10.0.3."],
        ["10.0.4.", "10.0.5.", "10.0.6.", "10.0.7."],
    );
    assert!(
        we.iter()
            .all(|s| s.starts_with("10.1.") || we_hub.iter().any(|h| s.starts_with(h))),
        "{we:?}"
    );
    assert!(
        ca.iter()
            .all(|s| s.starts_with("10.2.") || ca_hub.iter().any(|h| s.starts_with(h))),
        "{ca:?}"
    );
    assert!(
        we.contains("10.1.0.0/24") && ca.contains("10.2.0.0/24"),
        "{we:?} {ca:?}"
    );
    assert!(
        we.contains("10.0.2.0/24") && ca.contains("10.0.6.0/24"),
        "{we:?} {ca:?}"
    );
}

#[test]
fn a_region_without_zones_gets_none_and_the_other_keeps_them() {
    assert!(!aks_harden::azure::regions::has_zones("canadaeast"));
    assert!(aks_harden::azure::regions::has_zones("westeurope"));
    let rs = arm(&files(&two_regions()));
    let zoned = |r: &Res| {
        r.body.get("zones").is_some()
            || r.body["properties"]["agentPoolProfiles"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p.get("availabilityZones").is_some()))
            || r.body["properties"]["availabilityZones"].is_array()
            || r.body["properties"]["zoneRedundancy"] == json!("Enabled")
    };
    let ca: Vec<&Res> = rs.iter().filter(|r| r.location() == "canadaeast").collect();
    let we: Vec<&Res> = rs.iter().filter(|r| r.location() == "westeurope").collect();
    assert!(ca.len() > 20 && we.len() > 20);
    let ca_zoned: Vec<String> = ca
        .iter()
        .filter(|r| zoned(r))
        .map(|r| r.name().to_string())
        .collect();
    assert_eq!(ca_zoned, Vec::<String>::new());
    let we_zoned: Vec<&str> = we.iter().filter(|r| zoned(r)).map(|r| r.name()).collect();
    for name in ["afw-contoso-hub", "pip-contoso-afw", "aks-contoso-prod"] {
        assert!(we_zoned.contains(&name), "{name}: {we_zoned:?}");
    }
    let registry = |spoke: &str| {
        rs.iter()
            .find(|r| {
                r.rtype() == "Microsoft.ContainerRegistry/registries"
                    && r.deployment.ends_with(&format!("-{spoke}-shared"))
            })
            .unwrap()
            .body["properties"]["zoneRedundancy"]
            .clone()
    };
    assert_eq!(registry("canada"), json!("Disabled"));
    assert_eq!(registry("prod"), json!("Enabled"));
}

#[test]
fn private_dns_follows_each_region_and_shared_zones_are_declared_once() {
    let rs = arm(&files(&two_regions()));
    let zones: Vec<&str> = of_type(&rs, "Microsoft.Network/privateDnsZones")
        .iter()
        .map(|r| r.name())
        .collect();
    for z in [
        "privatelink.vaultcore.azure.net",
        "privatelink.azurecr.io",
        "westeurope.data.privatelink.azurecr.io",
        "canadaeast.data.privatelink.azurecr.io",
        "prod.privatelink.westeurope.azmk8s.io",
        "canada.privatelink.canadaeast.azmk8s.io",
    ] {
        assert_eq!(
            zones.iter().filter(|x| **x == z).count(),
            1,
            "{z}: {zones:?}"
        );
    }
    let links: Vec<(String, String)> =
        of_type(&rs, "Microsoft.Network/privateDnsZones/virtualNetworkLinks")
            .iter()
            .map(|r| {
                (
                    r.name().split('/').next().unwrap().to_string(),
                    remote(&r.body["properties"]["virtualNetwork"]["id"]),
                )
            })
            .collect();
    let linked = |z: &str, v: &str| links.iter().any(|(a, b)| a == z && b == v);
    // The Canadian API server zone: its hub and its spoke, not the other hub.
    let api = "canada.privatelink.canadaeast.azmk8s.io";
    assert!(
        linked(api, HUB_CA) && linked(api, "vnet-contoso-canada"),
        "{links:?}"
    );
    assert!(!linked(api, HUB), "{links:?}");
    // Shared zones: every hub, and each spoke that uses them.
    for z in ["privatelink.vaultcore.azure.net", "privatelink.azurecr.io"] {
        for v in [HUB, HUB_CA, "vnet-contoso-prod", "vnet-contoso-canada"] {
            assert!(linked(z, v), "{z} → {v}: {links:?}");
        }
    }
    assert!(linked(
        "canadaeast.data.privatelink.azurecr.io",
        "vnet-contoso-canada"
    ));
    assert!(!linked(
        "canadaeast.data.privatelink.azurecr.io",
        "vnet-contoso-prod"
    ));
    // Each cluster points at its own region's API zone.
    let cluster = of_type(&rs, "Microsoft.ContainerService/managedClusters")
        .into_iter()
        .find(|r| r.name() == "aks-contoso-canada")
        .unwrap();
    let zone = cluster.body["properties"]["apiServerAccessProfile"]["privateDNSZone"]
        .as_str()
        .unwrap();
    assert!(
        zone.contains("rg-contoso-hub-canadaeast") && zone.contains(api),
        "{zone}"
    );
}

#[test]
fn operate_md_names_each_regions_operator_path() {
    let f = files(&two_regions());
    let text = &f["OPERATE.md"];
    assert!(text.contains("## Operator paths by region"), "{text}");
    assert!(
        text.contains("Bastion `bas-contoso-hub-canadaeast`"),
        "{text}"
    );
    assert!(text.contains("Bastion `bas-contoso-hub` in `rg-contoso-hub-westeurope`"));
    // The Canadian cluster's section sends its operators through the Canadian Bastion.
    let section = text.split("## Cluster aks-contoso-canada").nth(1).unwrap();
    let section = section.split("## Cluster").next().unwrap();
    assert!(
        section.contains("bastionHosts/bas-contoso-hub-canadaeast"),
        "{section}"
    );
    assert!(
        !section.contains("bastionHosts/bas-contoso-hub\n"),
        "{section}"
    );
    // One region: no such list.
    let one = files(&aks_harden::load_profile("prod").unwrap());
    assert!(!one["OPERATE.md"].contains("Operator paths by region"));
}

#[test]
fn a_spoke_in_a_region_without_a_hub_is_refused_through_the_cli() {
    let dir = std::env::temp_dir().join(format!("aks-harden-regions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("estate.json");
    let doc = json!({
        "extends": "prod",
        "spokes": {
            "prod": { "addressSpace": "10.1.0.0/16" },
            "japan": { "addressSpace": "10.2.0.0/16", "region": "japaneast" }
        }
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    let o = support::run(["validate".as_ref(), path.as_os_str()]);
    let err = support::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("/spokes/japan/region"), "{err}");
    assert!(
        err.contains(r#""regionalHubs": {"japaneast": {"addressSpace""#),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // A misspelt region: a hint with the region meant.
    let d = invalid_at(
        &json!({
            "extends": "prod",
            "spokes": { "prod": { "addressSpace": "10.1.0.0/16", "region": "canadaest" } }
        }),
        "/spokes/prod/region",
    );
    assert!(d.hint.contains("\"canadaeast\""), "{}", d.hint);
}

#[test]
fn a_regional_hub_overlapping_a_spoke_is_refused_with_both_pointers() {
    let d = invalid(&json!({
        "extends": "prod",
        "regionalHubs": { "canadaeast": { "addressSpace": "10.2.0.0/22" } },
        "spokes": {
            "prod": { "addressSpace": "10.1.0.0/16" },
            "canada": { "addressSpace": "10.2.0.0/16", "region": "canadaeast" }
        }
    }));
    let pointers: Vec<(&str, Option<&str>)> = d
        .iter()
        .map(|d| (d.pointer.as_str(), d.related.as_deref()))
        .collect();
    assert!(
        pointers.iter().any(|(p, r)| {
            let both = [*p, r.unwrap_or_default()];
            both.contains(&"/regionalHubs/canadaeast/addressSpace")
                && both.contains(&"/spokes/canada/addressSpace")
        }),
        "{d:#?}"
    );
    // Overlapping the hub of `location` is refused the same way.
    let d = invalid(&json!({
        "extends": "prod",
        "regionalHubs": { "canadaeast": { "addressSpace": "10.0.0.0/22" } },
        "spokes": {
            "prod": { "addressSpace": "10.1.0.0/16" },
            "canada": { "addressSpace": "10.2.0.0/16", "region": "canadaeast" }
        }
    }));
    assert!(
        d.iter().any(|d| {
            let both = [d.pointer.as_str(), d.related.as_deref().unwrap_or_default()];
            both.contains(&"/regionalHubs/canadaeast/addressSpace")
                && both.contains(&"/hub/addressSpace")
        }),
        "{d:#?}"
    );
}

#[test]
fn a_regional_hub_too_small_for_the_hubs_subnets_is_refused_with_the_size_it_needs() {
    let d = invalid_at(
        &json!({
            "extends": "prod",
            "regionalHubs": { "canadaeast": { "addressSpace": "10.0.4.0/26" } },
            "spokes": {
                "prod": { "addressSpace": "10.1.0.0/16" },
                "canada": { "addressSpace": "10.2.0.0/16", "region": "canadaeast" }
            }
        }),
        "/regionalHubs/canadaeast/addressSpace",
    );
    assert!(
        d.message.contains("does not fit in 10.0.4.0/26"),
        "{}",
        d.message
    );
    assert!(d.hint.contains("at least /"), "{}", d.hint);
}

#[test]
fn a_hub_setting_that_every_regional_hub_inherits_is_reported_once_where_it_is_written() {
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(FIXTURE)).unwrap()).unwrap();
    doc["hub"] = json!({ "subnets": { "firewall": "10.0.0.0/27" } });
    let d = invalid(&doc);
    let sizes: Vec<&str> = d
        .iter()
        .filter(|x| x.code.as_str() == "subnet-size")
        .map(|x| x.pointer.as_str())
        .collect();
    assert_eq!(sizes, ["/hub/subnets/firewall"], "{d:#?}");
    // Written in the regional hub's own entry, it is reported there too.
    doc["regionalHubs"]["canadaeast"]["subnets"] = json!({ "firewall": "10.0.4.0/27" });
    let d = invalid(&doc);
    let mut sizes: Vec<&str> = d
        .iter()
        .filter(|x| x.code.as_str() == "subnet-size")
        .map(|x| x.pointer.as_str())
        .collect();
    sizes.sort_unstable();
    assert_eq!(
        sizes,
        [
            "/hub/subnets/firewall",
            "/regionalHubs/canadaeast/subnets/firewall"
        ],
        "{d:#?}"
    );
}

#[test]
fn a_regional_hub_without_spokes_is_refused() {
    let d = invalid_at(
        &json!({
            "extends": "prod",
            "regionalHubs": { "canadaeast": { "addressSpace": "10.0.4.0/22" } },
            "spokes": { "prod": { "addressSpace": "10.1.0.0/16" } }
        }),
        "/regionalHubs/canadaeast",
    );
    assert!(
        d.message.contains("no spoke is in \"canadaeast\""),
        "{}",
        d.message
    );
    assert!(d.hint.contains("\"region\": \"canadaeast\""), "{}", d.hint);
}

#[test]
fn a_spoke_that_names_the_estates_own_region_changes_nothing() {
    let plain = files(&aks_harden::load_profile("prod").unwrap());
    let doc = json!({ "extends": "prod", "spokeDefaults": { "region": "westeurope" } });
    let named = files(&load_str("estate.json", &doc.to_string(), Syntax::Json).unwrap());
    assert_eq!(plain.len(), named.len());
    assert_same_files(&plain, &named);
}

#[test]
fn the_same_estate_gives_the_same_bytes_however_it_is_written() {
    let a = files(&two_regions());
    let b = files(&two_regions());
    assert_eq!(a, b);
    // The spokes and regional hub written in another order.
    let text = std::fs::read_to_string(root().join(FIXTURE)).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let spokes = doc["spokes"].as_object().unwrap();
    let reversed: serde_json::Map<String, Value> = spokes
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    doc["spokes"] = Value::Object(reversed);
    let c = files(&load_str("estate.json", &doc.to_string(), Syntax::Json).unwrap());
    assert_same_files(&a, &c);
}

/// The `EGRESS-FIREWALL` result of auditing an ARM template, with its failure messages.
fn egress_verdict(main: &str) -> (aks_harden::audit::Status, Vec<String>) {
    use aks_harden::audit::{self, Input, Source, Status};
    let input =
        Input::from_template(Source::new("two", "two.json", Some(main.to_string())), None).unwrap();
    let r = audit::audit(&input, support::today());
    let c = r
        .results
        .iter()
        .find(|c| c.control.id.as_str() == "EGRESS-FIREWALL")
        .unwrap();
    let fails = c
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.message.clone())
        .collect();
    (c.status, fails)
}

/// Point the default route of route table `rt` at `ip`.
fn reroute(v: &mut Value, rt: &str, ip: &str) {
    match v {
        Value::Object(o) => {
            if o.get("type") == Some(&json!("Microsoft.Network/routeTables"))
                && o.get("name") == Some(&json!(rt))
            {
                o["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = json!(ip);
            }
            o.values_mut().for_each(|x| reroute(x, rt, ip));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| reroute(x, rt, ip)),
        _ => {}
    }
}

#[test]
fn the_audit_judges_each_spoke_against_its_own_regions_firewall() {
    let f = files(&two_regions());
    let main = &f["arm/main.json"];
    let (status, fails) = egress_verdict(main);
    assert_eq!(status, aks_harden::audit::Status::Pass, "{fails:#?}");
    // The Canadian spoke sent to the firewall of West Europe, which it is not peered with.
    let mut doc: Value = serde_json::from_str(main).unwrap();
    reroute(&mut doc, "rt-contoso-canada", "10.0.0.4");
    let (status, fails) = egress_verdict(&doc.to_string());
    assert_eq!(status, aks_harden::audit::Status::Fail);
    assert!(
        fails
            .iter()
            .any(|m| m.contains("10.0.0.4") && m.contains("10.0.4.4")),
        "{fails:#?}"
    );
    // West Europe's spoke keeps passing: only the Canadian subnets fail.
    assert!(fails.iter().all(|m| !m.contains("10.0.0.4)")), "{fails:#?}");
}

#[test]
fn regional_hubs_that_cannot_serve_are_refused_at_their_entries() {
    let spokes = json!({
        "prod": { "addressSpace": "10.1.0.0/16" },
        "canada": { "addressSpace": "10.2.0.0/16", "region": "canadaeast" }
    });
    // An entry for the estate's own location: `hub` is its hub.
    let d = invalid(&json!({
        "extends": "prod",
        "regionalHubs": {
            "canadaeast": { "addressSpace": "10.0.4.0/22" },
            "westeurope": { "addressSpace": "10.0.8.0/22" }
        },
        "spokes": spokes
    }));
    assert!(
        d.iter().any(|d| d.pointer == "/regionalHubs/westeurope"),
        "{d:#?}"
    );
    // An entry without its own address space.
    let d = invalid_at(
        &json!({
            "extends": "prod",
            "regionalHubs": { "canadaeast": { "firewall": { "zones": [] } } },
            "spokes": spokes
        }),
        "/regionalHubs/canadaeast",
    );
    assert!(d.message.contains("addressSpace"), "{}", d.message);
    // An unknown region, with the one meant.
    let d = invalid_at(
        &json!({
            "extends": "prod",
            "regionalHubs": { "canadaest": { "addressSpace": "10.0.4.0/22" } },
            "spokes": spokes
        }),
        "/regionalHubs/canadaest",
    );
    assert!(d.hint.contains("\"canadaeast\""), "{}", d.hint);
    // Every spoke elsewhere: the hub of `location` would serve nobody.
    let d = invalid(&json!({
        "extends": "prod",
        "regionalHubs": { "canadaeast": { "addressSpace": "10.0.4.0/22" } },
        "spokes": { "canada": { "addressSpace": "10.2.0.0/16", "region": "canadaeast" } }
    }));
    assert!(d.iter().any(|d| d.pointer == "/location"), "{d:#?}");
}

#[test]
fn a_regional_hub_writes_what_differs_and_keeps_the_rest_of_the_hub() {
    let doc = json!({
        "extends": "prod",
        "regionalHubs": {
            "canadaeast": {
                "addressSpace": "10.0.4.0/22",
                "subnets": { "firewall": "10.0.7.0/26", "operations": null },
                "firewall": { "extraFqdns": { "partners": ["api.partner.example"] } }
            }
        },
        "spokes": {
            "prod": { "addressSpace": "10.1.0.0/16" },
            "canada": { "addressSpace": "10.2.0.0/16", "region": "canadaeast" }
        }
    });
    let e = load_str("estate.json", &doc.to_string(), Syntax::Json).unwrap();
    let ca = &e.regional_hubs[0];
    assert_eq!(ca.firewall_subnet.to_string(), "10.0.7.0/26");
    assert_eq!(ca.firewall.private_ip.to_string(), "10.0.7.4");
    assert!(ca.operations.is_none());
    // Bastion's subnet, not written, moved to its offset; the hub's settings kept.
    assert_eq!(
        ca.bastion.as_ref().unwrap().subnet.to_string(),
        e.hub
            .bastion
            .as_ref()
            .unwrap()
            .subnet
            .to_string()
            .replace("10.0.1.", "10.0.5.")
    );
    assert_eq!(ca.firewall.sku, e.hub.firewall.sku);
    assert!(ca.firewall.extra_fqdns.contains_key("partners"));
    assert!(!e.hub.firewall.extra_fqdns.contains_key("partners"));
}

#[test]
fn three_regions_peer_every_hub_with_every_other() {
    let doc = json!({
        "extends": "prod",
        "regionalHubs": {
            "canadaeast": { "addressSpace": "10.0.4.0/22" },
            "japaneast": { "addressSpace": "10.0.8.0/22" }
        },
        "spokes": {
            "prod": { "addressSpace": "10.1.0.0/16" },
            "canada": { "addressSpace": "10.2.0.0/16", "region": "canadaeast" },
            "japan": { "addressSpace": "10.3.0.0/16", "region": "japaneast" }
        }
    });
    let e = load_str("estate.json", &doc.to_string(), Syntax::Json).unwrap();
    let rs = arm(&files(&e));
    let p = peerings(&rs);
    let hubs = [HUB, HUB_CA, "vnet-contoso-hub-japaneast"];
    for a in hubs {
        for b in hubs {
            if a != b {
                assert!(p.iter().any(|(x, y)| x == a && y == b), "{a} → {b}: {p:?}");
            }
        }
    }
    // Three hub-to-hub pairs both ways, and each spoke with its own hub both ways.
    assert_eq!(p.len(), 6 + 6, "{p:?}");
    // Japan has zones, Canada East has none.
    let firewall = |name: &str| {
        of_type(&rs, "Microsoft.Network/azureFirewalls")
            .into_iter()
            .find(|r| r.name() == name)
            .unwrap()
            .body
            .get("zones")
            .cloned()
    };
    assert!(firewall("afw-contoso-hub-japaneast").is_some());
    assert!(firewall("afw-contoso-hub-canadaeast").is_none());
}
