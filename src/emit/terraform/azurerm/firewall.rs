//! Azure Firewall: the firewall with its IP configurations, its policy, and the policy's rule
//! collection groups (network and application rule collections).

use super::{As, B, Flat, Item, Tx, ji, js, scalar};
use crate::azure::types;
use serde_json::{Value as Json, json};
use std::collections::BTreeSet;

/// An `ip_configuration` (or the `management_ip_configuration`).
const IP_CONFIGURATION: &[Flat] = &[
    ("name", "name", As::Str),
    (
        "public_ip_address_id",
        "properties.publicIPAddress.id",
        As::Value,
    ),
    ("subnet_id", "properties.subnet.id", As::Value),
];

/// A rule of a network rule collection.
const NETWORK_RULE: &[Flat] = &[
    ("protocols", "ipProtocols", As::Value),
    ("source_addresses", "sourceAddresses", As::Value),
    ("destination_addresses", "destinationAddresses", As::Value),
    ("destination_fqdns", "destinationFqdns", As::Value),
    ("destination_ports", "destinationPorts", As::Value),
];

/// A rule of an application rule collection, after its protocols.
const APPLICATION_RULE: &[Flat] = &[
    ("source_addresses", "sourceAddresses", As::Value),
    ("destination_fqdns", "targetFqdns", As::Value),
    ("destination_fqdn_tags", "fqdnTags", As::Value),
];

/// `azurerm_firewall`.
pub(super) fn firewall(tx: &mut Tx, it: &Item) {
    let root = it.root();
    let p = root.get("properties");
    let mut b = tx.located(
        it,
        &[
            ("sku_name", "properties.sku.name", As::Str),
            ("sku_tier", "properties.sku.tier", As::Str),
            (
                "firewall_policy_id",
                "properties.firewallPolicy.id",
                As::Value,
            ),
            ("zones", "zones", As::Value),
        ],
    );
    let configs: Vec<Json> = p
        .get("ipConfigurations")
        .items()
        .iter()
        .map(|c| tx.block(it, c, IP_CONFIGURATION))
        .collect();
    b.put("ip_configuration", Some(Json::Array(configs)));
    let mgmt = p.get("managementIpConfiguration");
    if mgmt.present() {
        let config = tx.block(it, &mgmt, IP_CONFIGURATION);
        b.put("management_ip_configuration", Some(json!([config])));
    }
    tx.finish(it, b);
}

/// `azurerm_firewall_policy`.
pub(super) fn policy(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.located(
        it,
        &[
            ("sku", "properties.sku.tier", As::Str),
            (
                "threat_intelligence_mode",
                "properties.threatIntelMode",
                As::Str,
            ),
        ],
    );
    if let Some(mode) = js(p.get("intrusionDetection.mode").str()) {
        b.put("intrusion_detection", Some(json!([{ "mode": mode }])));
    }
    let dns = p.get("dnsSettings");
    if dns.present() {
        let d = tx.block(
            it,
            &dns,
            &[
                ("proxy_enabled", "enableProxy", As::Bool),
                ("servers", "servers", As::Value),
            ],
        );
        b.put("dns", Some(json!([d])));
    }
    tx.finish(it, b);
}

/// `azurerm_firewall_policy_rule_collection_group`: filter rule collections, each of one rule
/// type, as network or application rule collections.
pub(super) fn rule_collection_group(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.named(it);
    b.put("firewall_policy_id", Some(tx.parent(it, types::FWP, "id")));
    b.put("priority", ji(p.get("priority").int()));
    let mut network = Vec::new();
    let mut application = Vec::new();
    for c in p.get("ruleCollections").items() {
        if !c
            .get("ruleCollectionType")
            .is("FirewallPolicyFilterRuleCollection")
        {
            continue;
        }
        let rules = c.get("rules").items();
        let kinds: BTreeSet<String> = rules
            .iter()
            .filter_map(|r| r.get("ruleType").v.and_then(scalar))
            .collect();
        let mut out = Vec::new();
        let kind = kinds.iter().next().cloned().unwrap_or_default();
        if kinds.len() > 1 {
            tx.err(it, &c.path, "a rule collection mixing rule types");
            continue;
        }
        for r in &rules {
            let mut rb = B::default();
            rb.put("name", js(r.get("name").str()));
            rb.put("description", js(r.get("description").str()));
            match kind.as_str() {
                "NetworkRule" => {
                    r.get("ruleType").mark();
                    tx.copy(it, r, &mut rb, NETWORK_RULE);
                }
                "ApplicationRule" => {
                    r.get("ruleType").mark();
                    let protocols: Vec<Json> = r
                        .get("protocols")
                        .items()
                        .iter()
                        .map(|x| {
                            json!({
                                "port": ji(x.get("port").int()),
                                "type": js(x.get("protocolType").str()),
                            })
                        })
                        .collect();
                    rb.put("protocols", Some(Json::Array(protocols)));
                    tx.copy(it, r, &mut rb, APPLICATION_RULE);
                }
                _ => {}
            }
            out.push(rb.json());
        }
        if out.is_empty() {
            // azurerm needs at least one rule; an empty collection allows nothing.
            for path in ["rules", "name", "priority", "action.type"] {
                c.get(path).mark();
            }
            continue;
        }
        let mut cb = B::default();
        cb.put("name", js(c.get("name").str()));
        cb.put("priority", ji(c.get("priority").int()));
        cb.put("action", js(c.get("action.type").str()));
        cb.put("rule", Some(Json::Array(out)));
        match kind.as_str() {
            "NetworkRule" => network.push(cb.json()),
            "ApplicationRule" => application.push(cb.json()),
            _ => {}
        }
    }
    if !network.is_empty() {
        b.put("network_rule_collection", Some(Json::Array(network)));
    }
    if !application.is_empty() {
        b.put(
            "application_rule_collection",
            Some(Json::Array(application)),
        );
    }
    tx.emit(it, b);
}
