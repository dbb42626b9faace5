//! Subscription-level resources once per subscription: spokes that write the same subscription id
//! share one declaration of its Defender plans in every format, so Terraform never creates the
//! same pricing twice; a spoke without an id declares them in the subscription its parameter
//! names; and the declaration is named after the subscription, so adding a spoke that shares it
//! moves nothing.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::{Estate, Files, Format, Syntax, load_str};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::render;

const PRICING: &str = "Microsoft.Security/pricings";
const X: &str = "11111111-1111-1111-1111-111111111111";
const Y: &str = "22222222-2222-2222-2222-222222222222";

/// dev (which may share subscriptions) with every Defender plan on: blue and green share X, red
/// is alone in Y, grey names none.
fn estate(extra: &Value) -> Estate {
    let mut spokes = json!({
        "blue": { "subscriptionId": X, "addressSpace": "10.1.0.0/16" },
        "green": { "subscriptionId": X, "addressSpace": "10.2.0.0/16" },
        "red": { "subscriptionId": Y, "addressSpace": "10.3.0.0/16" },
        "grey": { "addressSpace": "10.4.0.0/16" }
    });
    for (k, v) in extra.as_object().unwrap() {
        spokes[k] = v.clone();
    }
    let doc = json!({
        "extends": "dev",
        "defender": { "containers": true, "keyVaults": true, "arm": true },
        "spokes": spokes,
    });
    load_str("subscriptions.json", &doc.to_string(), Syntax::Json).unwrap()
}

/// ARM parameter values: name → value.
fn arm_parameters(files: &Files) -> BTreeMap<String, Value> {
    let p: Value = serde_json::from_str(&files["arm/main.parameters.json"]).unwrap();
    p["parameters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["value"].clone()))
        .collect()
}

/// Every ARM pricing as (the subscription it is deployed to, its plan), the subscription the
/// parameter value (or the parameter's name when the estate gives none).
fn arm_pricings(files: &Files) -> Vec<(String, String)> {
    let params = arm_parameters(files);
    let doc: Value = serde_json::from_str(&files["arm/main.json"]).unwrap();
    let mut out = Vec::new();
    let mut stack: Vec<(Option<String>, &Value)> = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (None, r))
        .collect();
    while let Some((sub, r)) = stack.pop() {
        if r["type"] == json!("Microsoft.Resources/deployments") {
            let here = r["subscriptionId"].as_str().map(|s| {
                let p = s
                    .trim_start_matches("[parameters('")
                    .trim_end_matches("')]");
                params
                    .get(p)
                    .and_then(Value::as_str)
                    .map_or_else(|| p.to_string(), str::to_string)
            });
            for inner in r["properties"]["template"]["resources"].as_array().unwrap() {
                stack.push((here.clone().or_else(|| sub.clone()), inner));
            }
        } else if r["type"] == json!(PRICING) {
            out.push((
                sub.clone().unwrap_or_else(|| "connectivity".into()),
                r["name"].as_str().unwrap().to_string(),
            ));
        }
    }
    out.sort();
    out
}

fn each_once(subs: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = subs
        .iter()
        .flat_map(|s| {
            ["Arm", "Containers", "KeyVaults"]
                .iter()
                .map(|p| ((*s).to_string(), (*p).to_string()))
        })
        .collect();
    out.sort();
    out
}

/// Every Terraform pricing as (the subscription its provider points at, its plan).
fn tf_pricings(files: &Files) -> Vec<(String, String)> {
    let vars: Value = serde_json::from_str(&files["terraform/terraform.tfvars.json"]).unwrap();
    let mut out = Vec::new();
    for (path, text) in files {
        if !path.starts_with("terraform/") || !path.ends_with(".tf.json") {
            continue;
        }
        let doc: Value = serde_json::from_str(text).unwrap();
        let Some(blocks) =
            doc["resource"]["azurerm_security_center_subscription_pricing"].as_object()
        else {
            continue;
        };
        for b in blocks.values() {
            let alias = b["provider"]
                .as_str()
                .unwrap()
                .trim_start_matches("azurerm.");
            let var = format!("{alias}_subscription_id");
            let sub = vars[&var]
                .as_str()
                .map_or_else(|| format!("{alias}SubscriptionId"), str::to_string);
            out.push((sub, b["resource_type"].as_str().unwrap().to_string()));
        }
    }
    out.sort();
    out
}

/// Each plan once per subscription: X (shared by blue and green), Y, and grey's own parameter.
#[test]
fn spokes_that_share_a_subscription_declare_its_plans_once_in_every_format() {
    let files = render(&estate(&json!({})), Format::IMPLEMENTED).unwrap();
    let want = each_once(&[X, Y, "greySubscriptionId"]);
    assert_eq!(arm_pricings(&files), want, "ARM");
    assert_eq!(tf_pricings(&files), want, "Terraform (azurerm)");
    // Bicep: the same modules, scoped to the same subscriptions.
    let main = &files["bicep/main.bicep"];
    for (module, scope) in [
        (
            format!("subscription_{}", X.replace('-', "_")),
            "blueSubscriptionId",
        ),
        (
            format!("subscription_{}", Y.replace('-', "_")),
            "redSubscriptionId",
        ),
        ("grey_resource_groups".to_string(), "greySubscriptionId"),
    ] {
        let at = main
            .find(&format!("module {module} "))
            .unwrap_or_else(|| panic!("{module}"));
        assert!(
            main[at..].contains(&format!("scope: subscription({scope})")),
            "{module}"
        );
    }
    let bicep_pricings = files
        .iter()
        .filter(|(p, _)| p.starts_with("bicep/modules/"))
        .map(|(_, t)| t.matches(&format!("'{PRICING}@")).count())
        .sum::<usize>();
    assert_eq!(bicep_pricings, 9, "Bicep");
    for spoke in ["blue", "green", "red"] {
        assert!(
            !files[&format!("bicep/modules/{spoke}-resource-groups.bicep")].contains(PRICING),
            "{spoke} names its subscription: its plans are the subscription's"
        );
    }
    // The azapi flavour carries the same resources.
    let azapi = support::render_with(
        &estate(&json!({})),
        &[Format::Terraform],
        aks_harden::emit::Options {
            terraform_provider: aks_harden::TerraformProvider::Azapi,
        },
    )
    .unwrap();
    let n = azapi
        .values()
        .map(|t| t.matches(&format!("\"{PRICING}@")).count())
        .sum::<usize>();
    assert_eq!(n, 9, "Terraform (azapi)");
}

/// A spoke that joins X and sorts first changes neither the file nor the labels of X's plans:
/// Terraform keeps them (destroying a pricing would drop the plan to Free).
#[test]
fn a_new_spoke_in_a_shared_subscription_moves_nothing() {
    let before = render(&estate(&json!({})), &[Format::Terraform]).unwrap();
    let after = render(
        &estate(&json!({ "amber": { "subscriptionId": X, "addressSpace": "10.5.0.0/16" } })),
        &[Format::Terraform],
    )
    .unwrap();
    let file = format!("terraform/subscription-{X}.tf.json");
    let labels = |files: &Files| -> Vec<String> {
        let doc: Value = serde_json::from_str(&files[&file]).unwrap();
        doc["resource"]["azurerm_security_center_subscription_pricing"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(labels(&before), labels(&after));
    assert_eq!(tf_pricings(&after), tf_pricings(&before));
    assert!(!after["terraform/amber-resource-groups.tf.json"].contains("pricing"));
}
