//! Regions without availability zones: an estate in such a region (from the one table in
//! `azure::regions`) asks for no zones anywhere, whatever its profile writes for regions that
//! have them: no pool, firewall, public IP or gateway zones, no registry zone redundancy; the
//! gate passes, and a region with zones keeps them.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::{Estate, Files, Syntax, load_str};
use serde_json::json;

fn estate(location: &str) -> Estate {
    let doc = json!({ "extends": "prod", "location": location });
    load_str("region.json", &doc.to_string(), Syntax::Json).unwrap()
}

fn files(e: &Estate) -> Files {
    support::render_gated(e)
}

/// Every place a format asks for zones.
fn zone_mentions(files: &Files) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            let l = line.trim_start();
            let zones = l.starts_with("\"availabilityZones\"")
                || l.starts_with("\"zones\"")
                || l.starts_with("zones:")
                || l.starts_with("availabilityZones:")
                || l.contains("\"zoneRedundancy\": \"Enabled\"")
                || l.contains("zoneRedundancy: 'Enabled'")
                || l.contains("\"zone_redundancy_enabled\": true");
            if zones {
                out.push(format!("{path}:{}: {l}", i + 1));
            }
        }
    }
    out
}

#[test]
fn a_region_without_zones_gets_no_zones_anywhere() {
    assert!(!aks_harden::azure::regions::has_zones("canadaeast"));
    let f = files(&estate("canadaeast"));
    assert_eq!(zone_mentions(&f), Vec::<String>::new());
    assert!(f["arm/main.json"].contains("\"zoneRedundancy\": \"Disabled\""));

    // The same profile where the region has zones keeps them in every format.
    assert!(aks_harden::azure::regions::has_zones("westeurope"));
    let f = files(&estate("westeurope"));
    let mentions = zone_mentions(&f);
    for needle in [
        "arm/main.json",
        "bicep/modules/hub.bicep",
        "bicep/modules/prod-cluster.bicep",
        "terraform/hub.tf.json",
        "terraform/prod-cluster.tf.json",
    ] {
        assert!(
            mentions.iter().any(|m| m.starts_with(needle)),
            "{needle}: {mentions:#?}"
        );
    }
}
