//! Per-spoke egress: a spoke's own FQDN and network rules reach the hub firewall with that
//! spoke's node subnets as their only source, in every format; hub-wide rules keep every spoke's;
//! a rule given once in `spokeDefaults` becomes one rule per spoke, each from its own subnets;
//! rules that would open the firewall to everything, or that the firewall cannot resolve, are
//! refused at their pointers.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::diag::Code;
use aks_harden::{Error, Estate, Files, Format, Syntax, load_file, load_str};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::{render, root};

const RCG: &str = "Microsoft.Network/firewallPolicies/ruleCollectionGroups";
const PAYMENTS: [&str; 2] = ["10.1.0.0/24", "10.1.4.0/22"];
const SEARCH: [&str; 2] = ["10.2.0.0/24", "10.2.4.0/22"];

fn egress_estate() -> Estate {
    load_file(&root().join("tests/fixtures/valid/prod-egress.json")).unwrap()
}

/// Every rule of the ARM rule collection group, by name.
fn arm_rules(files: &Files) -> BTreeMap<String, Value> {
    fn walk(rs: &[Value], out: &mut BTreeMap<String, Value>) {
        for r in rs {
            if r["type"] == json!("Microsoft.Resources/deployments") {
                walk(
                    r["properties"]["template"]["resources"].as_array().unwrap(),
                    out,
                );
            } else if r["type"] == json!(RCG) {
                for c in r["properties"]["ruleCollections"].as_array().unwrap() {
                    for rule in c["rules"].as_array().unwrap() {
                        out.insert(rule["name"].as_str().unwrap().to_string(), rule.clone());
                    }
                }
            }
        }
    }
    let doc: Value = serde_json::from_str(&files["arm/main.json"]).unwrap();
    let mut out = BTreeMap::new();
    walk(doc["resources"].as_array().unwrap(), &mut out);
    out
}

/// Every rule of the azurerm rule collection group, by name.
fn tf_rules(files: &Files) -> BTreeMap<String, Value> {
    let doc: Value = serde_json::from_str(&files["terraform/hub.tf.json"]).unwrap();
    let group = doc["resource"]["azurerm_firewall_policy_rule_collection_group"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    let mut out = BTreeMap::new();
    for kind in ["network_rule_collection", "application_rule_collection"] {
        for c in group[kind].as_array().unwrap() {
            for rule in c["rule"].as_array().unwrap() {
                out.insert(rule["name"].as_str().unwrap().to_string(), rule.clone());
            }
        }
    }
    out
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn a_spokes_rules_come_from_its_own_subnets_only_in_every_format() {
    let files = render(&egress_estate(), Format::IMPLEMENTED).unwrap();
    let arm = arm_rules(&files);
    let card = &arm["spoke-payments-card-network"];
    assert_eq!(card["ruleType"], json!("ApplicationRule"));
    assert_eq!(strings(&card["sourceAddresses"]), PAYMENTS);
    assert_eq!(
        strings(&card["targetFqdns"]),
        ["api.cards.example.com", "*.settlement.example.com"]
    );
    assert_eq!(
        card["protocols"],
        json!([{ "protocolType": "Https", "port": 443 }])
    );
    let smtp = &arm["spoke-payments-smtp"];
    assert_eq!(smtp["ruleType"], json!("NetworkRule"));
    assert_eq!(strings(&smtp["sourceAddresses"]), PAYMENTS);
    assert_eq!(strings(&smtp["destinationAddresses"]), ["203.0.113.25"]);
    assert_eq!(strings(&smtp["destinationPorts"]), ["587"]);
    assert_eq!(strings(&smtp["ipProtocols"]), ["TCP"]);
    let feed = &arm["spoke-search-index-feed"];
    assert_eq!(strings(&feed["sourceAddresses"]), SEARCH);
    // No rule of one spoke carries the other's subnets; hub-wide rules carry both.
    for (name, rule) in &arm {
        let src = strings(&rule["sourceAddresses"]);
        if name.starts_with("spoke-payments-") {
            assert!(SEARCH.iter().all(|s| !src.contains(s)), "{name}: {src:?}");
        }
        if name.starts_with("spoke-search-") {
            assert!(PAYMENTS.iter().all(|s| !src.contains(s)), "{name}: {src:?}");
        }
    }
    let tag = strings(&arm["aks-fqdn-tag"]["sourceAddresses"]);
    assert!(
        PAYMENTS
            .iter()
            .chain(SEARCH.iter())
            .all(|s| tag.contains(s)),
        "{tag:?}"
    );

    // Bicep carries the same rules.
    let bicep = &files["bicep/modules/hub.bicep"];
    for needle in [
        "name: 'spoke-payments-card-network'",
        "name: 'spoke-payments-smtp'",
        "name: 'spoke-search-index-feed'",
        "'203.0.113.25'",
    ] {
        assert!(bicep.contains(needle), "hub.bicep lacks {needle}");
    }

    // Terraform: the same sources.
    let tf = tf_rules(&files);
    assert_eq!(
        strings(&tf["spoke-payments-card-network"]["source_addresses"]),
        PAYMENTS
    );
    assert_eq!(
        strings(&tf["spoke-payments-smtp"]["source_addresses"]),
        PAYMENTS
    );
    assert_eq!(
        strings(&tf["spoke-payments-smtp"]["destination_addresses"]),
        ["203.0.113.25"]
    );
    assert_eq!(
        strings(&tf["spoke-search-index-feed"]["source_addresses"]),
        SEARCH
    );
}

/// A rule in `spokeDefaults` is every spoke's own: one rule per spoke, each from its subnets.
#[test]
fn a_default_rule_becomes_one_rule_per_spoke() {
    let doc = json!({
        "extends": "prod",
        "spokeDefaults": { "egress": { "fqdns": { "status": ["status.example.com"] } } },
        "spokes": {
            "payments": { "subscriptionId": "00000000-0000-0000-0000-0000000000a1", "addressSpace": "10.1.0.0/16" },
            "search": { "subscriptionId": "00000000-0000-0000-0000-0000000000a2", "addressSpace": "10.2.0.0/16" }
        }
    });
    let estate = load_str("defaults.json", &doc.to_string(), Syntax::Json).unwrap();
    let arm = arm_rules(&render(&estate, &[Format::Arm]).unwrap());
    assert_eq!(
        strings(&arm["spoke-payments-status"]["sourceAddresses"]),
        PAYMENTS
    );
    assert_eq!(
        strings(&arm["spoke-search-status"]["sourceAddresses"]),
        SEARCH
    );
}

/// Loading prod with one spoke egress block (and hub changes) fails with one diagnostic.
fn refused(egress: &Value, hub: &Value) -> aks_harden::Diagnostic {
    let doc = json!({
        "extends": "prod",
        "hub": hub,
        "spokes": { "prod": { "egress": egress } }
    });
    let Err(Error::Invalid(diags)) = load_str("e.json", &doc.to_string(), Syntax::Json) else {
        panic!("{egress} accepted");
    };
    assert_eq!(diags.len(), 1, "{diags:#?}");
    diags.into_iter().next().unwrap()
}

#[test]
fn rules_that_open_everything_or_cannot_work_are_refused() {
    let none = json!({});
    let cases = [
        (
            json!({ "fqdns": { "all": ["*"] } }),
            none.clone(),
            Code::BadValue,
            "/spokes/prod/egress/fqdns/all/0",
            "every host",
        ),
        (
            json!({ "network": { "out": { "protocols": ["TCP"], "destinationAddresses": ["0.0.0.0/0"], "ports": ["443"] } } }),
            none.clone(),
            Code::BadValue,
            "/spokes/prod/egress/network/out/destinationAddresses/0",
            "every address",
        ),
        (
            json!({ "network": { "out": { "protocols": ["TCP"], "destinationAddresses": ["203.0.113.1"], "ports": ["70000"] } } }),
            none.clone(),
            Code::BadValue,
            "/spokes/prod/egress/network/out/ports/0",
            "not a port",
        ),
        (
            json!({ "network": { "out": { "protocols": ["UDP"], "ports": ["53"] } } }),
            none.clone(),
            Code::MissingKey,
            "/spokes/prod/egress/network/out",
            "no destination",
        ),
        (
            json!({ "network": { "db": { "protocols": ["TCP"], "destinationFqdns": ["db.example.com"], "ports": ["5432"] } } }),
            json!({ "firewall": { "dnsProxy": false } }),
            Code::Inconsistent,
            "/spokes/prod/egress/network/db/destinationFqdns",
            "DNS proxy",
        ),
        (
            json!({ "fqdns": { "api": ["api.example.com"] } }),
            json!({ "firewall": { "extraFqdns": { "spoke-prod-api": ["x.example.com"] } } }),
            Code::BadValue,
            "/spokes/prod/egress/fqdns/api",
            "spoke-prod-api",
        ),
    ];
    for (egress, hub, code, pointer, says) in cases {
        let d = refused(&egress, &hub);
        assert_eq!(
            (d.code, d.pointer.as_str()),
            (code, pointer),
            "{egress}: {d:#?}"
        );
        assert!(d.message.contains(says), "{egress}: {}", d.message);
    }
}
