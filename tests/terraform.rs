//! The Terraform JSON output, azurerm flavour: every built-in profile renders, every IR property
//! is translated or listed as not expressible, the output is stable, and spoke resources use
//! their subscription's provider alias.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::emit::terraform::azurerm::{NOT_EXPRESSIBLE, untranslated};
use aks_harden::emit::{Options, TerraformProvider};
use aks_harden::{Files, Format, Syntax, load_profile, load_str, plan};
use serde_json::Value;
use support::render_with;

const PROFILES: &[&str] = &["dev", "staging", "prod", "regulated"];

fn terraform(estate: &aks_harden::Estate) -> Files {
    render_with(estate, &[Format::Terraform], Options::default()).unwrap()
}

fn json(files: &Files, name: &str) -> Value {
    serde_json::from_str(&files[&format!("terraform/{name}")]).unwrap()
}

/// Every resource block of every `*.tf.json` file: (file, type, label, body).
fn resources(files: &Files) -> Vec<(String, String, String, Value)> {
    let mut out = Vec::new();
    for (path, content) in files {
        if !path.ends_with(".tf.json") {
            continue;
        }
        let doc: Value = serde_json::from_str(content).unwrap();
        if let Some(Value::Object(by_type)) = doc.get("resource") {
            for (rtype, by_label) in by_type {
                for (label, body) in by_label.as_object().unwrap() {
                    out.push((path.clone(), rtype.clone(), label.clone(), body.clone()));
                }
            }
        }
    }
    out
}

/// An estate that switches on the planner's optional branches: forced tunnelling through an
/// upstream appliance, a second spoke, a disk encryption set, a pinned Kubernetes version,
/// labelled and tainted pools.
const EXTRAS: &str = r#"{
  "extends": "regulated",
  "tenantId": "00000000-0000-0000-0000-000000000000",
  "hub": { "firewall": { "upstreamNextHop": "10.0.3.4", "extraFqdns": { "github": ["github.com"] } } },
  "spokes": {
    "prod": {
      "subscriptionId": "11111111-1111-1111-1111-111111111111",
      "cluster": {
        "kubernetesVersion": "1.36",
        "entra": { "adminGroupObjectIds": ["22222222-2222-2222-2222-222222222222"] },
        "security": { "diskEncryptionSetId": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-keys/providers/Microsoft.Compute/diskEncryptionSets/des-prod" }
      }
    }
  }
}"#;

#[test]
fn every_profile_renders_the_expected_files() {
    for name in PROFILES {
        let files = terraform(&load_profile(name).unwrap());
        for f in [
            "versions.tf.json",
            "providers.tf.json",
            "variables.tf.json",
            "outputs.tf.json",
            "terraform.tfvars.json",
            "data.tf.json",
            "hub.tf.json",
        ] {
            assert!(
                files.contains_key(&format!("terraform/{f}")),
                "{name}: no {f}"
            );
        }
        assert!(
            files
                .keys()
                .all(|p| p.starts_with("terraform/") || p.starts_with("k8s/") || p == "OPERATE.md")
        );
        for (path, content) in files.iter().filter(|(p, _)| p.starts_with("terraform/")) {
            serde_json::from_str::<Value>(content).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                content.ends_with('\n') && !content.ends_with("\n\n"),
                "{path}"
            );
            assert!(!content.contains('\r'), "{path}");
        }
        let v = json(&files, "versions.tf.json");
        assert_eq!(
            v["terraform"]["required_providers"]["azurerm"]["version"],
            "~> 4.79"
        );
    }
}

#[test]
fn every_ir_property_is_translated_or_listed_as_not_expressible() {
    let mut estates: Vec<(String, aks_harden::Estate)> = PROFILES
        .iter()
        .map(|n| ((*n).to_string(), load_profile(n).unwrap()))
        .collect();
    estates.push((
        "extras".into(),
        load_str("extras.json", EXTRAS, Syntax::Json).unwrap(),
    ));
    estates.push((
        "prod-gitops".into(),
        aks_harden::load_file(std::path::Path::new(
            "tests/fixtures/valid/prod-gitops.json",
        ))
        .unwrap(),
    ));
    estates.push((
        "prod-egress".into(),
        aks_harden::load_file(std::path::Path::new(
            "tests/fixtures/valid/prod-egress.json",
        ))
        .unwrap(),
    ));
    estates.push((
        "prod-fleet".into(),
        aks_harden::load_file(std::path::Path::new("tests/fixtures/valid/prod-fleet.json"))
            .unwrap(),
    ));
    // Kubernetes releases through the fleet too, from a management subscription.
    estates.push((
        "prod-fleet-kubernetes".into(),
        load_str(
            "fleet-kubernetes.json",
            r#"{"extends": "prod",
                "spokeDefaults": {"cluster": {"kubernetesVersion": null}},
                "fleet": {"subscriptionId": "00000000-0000-0000-0000-0000000000f1",
                          "autoUpgrade": {"kubernetes": "Rapid", "nodeImage": true}}}"#,
            Syntax::Json,
        )
        .unwrap(),
    ));
    estates.push((
        "prod-two-spokes".into(),
        aks_harden::load_file(std::path::Path::new(
            "tests/fixtures/valid/prod-two-spokes.json",
        ))
        .unwrap(),
    ));
    for (name, estate) in &estates {
        let left = untranslated(&plan::plan(estate));
        assert!(
            left.is_empty(),
            "{name}: IR properties the azurerm translation drops:\n{}",
            left.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // Every entry of the list explains itself.
    for gap in NOT_EXPRESSIBLE {
        assert!(!gap.why.is_empty() && !gap.path.is_empty());
    }
}

#[test]
fn a_second_render_gives_the_same_bytes() {
    for name in PROFILES {
        let a = terraform(&load_profile(name).unwrap());
        let b = terraform(&load_profile(name).unwrap());
        assert_eq!(a, b, "{name} renders differently on a second run");
    }
}

#[test]
fn spoke_resources_use_the_spoke_provider_alias() {
    let estate = aks_harden::load_file(std::path::Path::new(
        "tests/fixtures/valid/prod-two-spokes.json",
    ))
    .unwrap();
    let files = terraform(&estate);
    let providers = json(&files, "providers.tf.json");
    let configs = providers["provider"]["azurerm"].as_array().unwrap();
    assert_eq!(configs.len(), 3, "{configs:?}");
    assert_eq!(configs[0]["subscription_id"], "${var.hub_subscription_id}");
    assert!(configs[0].get("alias").is_none());
    for (i, spoke) in ["prod", "qa"].iter().enumerate() {
        assert_eq!(configs[i + 1]["alias"], *spoke);
        assert_eq!(
            configs[i + 1]["subscription_id"],
            format!("${{var.{spoke}_subscription_id}}")
        );
    }
    let all = resources(&files);
    for spoke in ["prod", "qa"] {
        let mine: Vec<_> = all
            .iter()
            .filter(|(path, ..)| path.starts_with(&format!("terraform/{spoke}-")))
            .collect();
        assert!(mine.len() > 20, "{spoke}: {} resources", mine.len());
        for (path, rtype, label, body) in mine {
            if rtype.starts_with("azapi_") {
                continue;
            }
            assert_eq!(
                body["provider"],
                format!("azurerm.{spoke}"),
                "{path}: {rtype}.{label}"
            );
        }
    }
    // The hub and its links back to each spoke use the default provider.
    for (path, rtype, label, body) in &all {
        if path.starts_with("terraform/hub") {
            assert!(body.get("provider").is_none(), "{path}: {rtype}.{label}");
        }
    }
}

#[test]
fn security_values_are_literals_and_references_name_resources() {
    for name in PROFILES {
        let files = terraform(&load_profile(name).unwrap());
        for (path, content) in &files {
            assert!(!content.contains("\"dynamic\""), "{path}: dynamic block");
            // Only subscriptions, the tenant and admin groups are variables.
            for (at, _) in content.match_indices("var.") {
                let rest = &content[at + 4..];
                let var: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    var.ends_with("_subscription_id")
                        || var == "tenant_id"
                        || var.ends_with("_admin_group_object_ids"),
                    "{path}: var.{var}"
                );
            }
        }
        let all = resources(&files);
        // Every subnet but the firewall's has an NSG association that references it.
        for (_, rtype, label, body) in &all {
            if rtype != "azurerm_subnet" || body["name"] == "AzureFirewallSubnet" {
                continue;
            }
            if body["name"] == "AzureFirewallManagementSubnet" {
                continue;
            }
            let want = format!("${{azurerm_subnet.{label}.id}}");
            assert!(
                all.iter().any(|(_, t, _, b)| t
                    == "azurerm_subnet_network_security_group_association"
                    && b["subnet_id"] == want),
                "{name}: subnet {label} has no NSG association"
            );
        }
        // Private endpoints reference the vault and the registry by their Terraform ids.
        for (_, rtype, label, _) in &all {
            if rtype != "azurerm_key_vault" || *name == "dev" {
                continue;
            }
            let want = format!("${{azurerm_key_vault.{label}.id}}");
            assert!(
                all.iter()
                    .any(|(_, t, _, b)| t == "azurerm_private_endpoint"
                        && b["private_service_connection"][0]["private_connection_resource_id"]
                            == want),
                "{name}: no private endpoint for {label}"
            );
        }
        // Inline security rules set every attribute.
        for (_, rtype, label, body) in &all {
            if rtype == "azurerm_network_security_group" {
                for rule in body["security_rule"].as_array().unwrap() {
                    assert_eq!(rule.as_object().unwrap().len(), 16, "{label}");
                }
            }
        }
    }
}

#[test]
fn the_cluster_carries_the_hardening_checkov_reads() {
    let files = terraform(&load_profile("prod").unwrap());
    let all = resources(&files);
    let (_, _, _, aks) = all
        .iter()
        .find(|(_, t, ..)| t == "azurerm_kubernetes_cluster")
        .unwrap();
    assert_eq!(aks["sku_tier"], "Standard");
    assert_eq!(aks["private_cluster_enabled"], true);
    assert_eq!(aks["local_account_disabled"], true);
    assert_eq!(aks["azure_policy_enabled"], true);
    assert_eq!(aks["run_command_enabled"], false);
    assert_eq!(aks["network_profile"][0]["network_plugin"], "azure");
    assert_eq!(
        aks["default_node_pool"][0]["only_critical_addons_enabled"],
        true
    );
    assert_eq!(aks["default_node_pool"][0]["max_pods"], 50);
    assert_eq!(
        aks["key_vault_secrets_provider"][0]["secret_rotation_enabled"],
        true
    );
    assert_eq!(
        aks["key_management_service"][0]["key_vault_network_access"],
        "Private"
    );
    assert_eq!(
        aks["api_server_access_profile"][0]["virtual_network_integration_enabled"],
        true
    );
    assert!(aks["maintenance_window_auto_upgrade"][0]["day_of_week"].is_string());
    assert!(aks["maintenance_window_node_os"][0]["day_of_week"].is_string());
    // The cluster waits for what AKS checks at creation: the egress route and the grants.
    let deps = aks["depends_on"].as_array().unwrap();
    assert!(deps.iter().any(|d| {
        d.as_str()
            .unwrap()
            .starts_with("azurerm_subnet_route_table_association.")
    }));
    assert!(
        deps.iter()
            .any(|d| d.as_str().unwrap().starts_with("azurerm_role_assignment."))
    );
    // What azurerm cannot set goes through azapi.
    let lockdown = all
        .iter()
        .find(|(_, t, l, _)| t == "azapi_update_resource" && l.ends_with("node_resource_group"))
        .unwrap();
    assert_eq!(
        lockdown.3["body"]["properties"]["nodeResourceGroupProfile"]["restrictionLevel"],
        "ReadOnly"
    );
}

#[test]
fn the_azapi_flavour_carries_the_arm_bodies() {
    let estate = load_profile("prod").unwrap();
    let options = Options {
        terraform_provider: TerraformProvider::Azapi,
    };
    let files = render_with(&estate, &[Format::Terraform], options).unwrap();
    let arm = render_with(&estate, &[Format::Arm], options).unwrap();
    let cluster: serde_json::Value =
        serde_json::from_str(&files["terraform/prod-cluster.tf.json"]).unwrap();
    let aks = &cluster["resource"]["azapi_resource"]["prod_cluster_cluster"];
    assert_eq!(
        aks["type"],
        "Microsoft.ContainerService/managedClusters@2026-05-01"
    );
    assert_eq!(
        aks["body"]["properties"]["apiServerAccessProfile"]["enablePrivateCluster"],
        true
    );
    // Every resource of the ARM template is an azapi_resource, and no other Azure resource is
    // declared (the ends of deployments are Terraform's own `terraform_data`).
    let arm_count = arm["arm/main.json"].matches("\"apiVersion\": ").count()
        - arm["arm/main.json"]
            .matches("\"type\": \"Microsoft.Resources/deployments\"")
            .count();
    let azapi_count: usize = files
        .iter()
        .filter(|(p, _)| p.ends_with(".tf.json"))
        .map(|(_, c)| c.matches("\"type\": \"Microsoft.").count())
        .sum();
    assert_eq!(arm_count, azapi_count);
    assert!(!files.values().any(|c| c.contains("\"azurerm_")));
}

#[test]
fn estate_values_go_to_the_tfvars_file() {
    let estate = load_str("extras.json", EXTRAS, Syntax::Json).unwrap();
    let files = terraform(&estate);
    let tfvars = json(&files, "terraform.tfvars.json");
    assert_eq!(tfvars["tenant_id"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(
        tfvars["prod_subscription_id"],
        "11111111-1111-1111-1111-111111111111"
    );
    assert_eq!(
        tfvars["prod_admin_group_object_ids"][0],
        "22222222-2222-2222-2222-222222222222"
    );
    for (path, content) in &files {
        if path.ends_with(".tf.json") {
            assert!(
                !content.contains("11111111-1111-1111-1111-111111111111/resourceGroups/rg-contoso")
                    && !content.contains("22222222-2222"),
                "{path}: an estate id in a template"
            );
        }
    }
    let vars = json(&files, "variables.tf.json");
    assert_eq!(
        vars["variable"]["prod_admin_group_object_ids"]["type"],
        "list(string)"
    );
    assert!(vars["variable"]["tenant_id"]["default"].is_null());
}

#[test]
fn an_unknown_property_type_or_value_is_reported_not_dropped() {
    use aks_harden::ir::{Name, Resource, Value as Ir};
    let mut t = plan::plan(&load_profile("prod").unwrap());
    for d in &mut t.deployments {
        for r in &mut d.resources {
            if r.rtype != "Microsoft.ContainerService/managedClusters" {
                continue;
            }
            let Some(Ir::Object(p)) = r.body.get_mut("properties") else {
                panic!("cluster without properties");
            };
            p.insert("futureSetting".into(), Ir::Bool(true));
            // A value azurerm cannot leave out: the gap list only covers the dashboard off.
            if let Some(Ir::Object(addons)) = p.get_mut("addonProfiles") {
                addons.insert(
                    "kubeDashboard".into(),
                    Ir::Object(
                        [("enabled".to_string(), Ir::Bool(true))]
                            .into_iter()
                            .collect(),
                    ),
                );
            }
        }
    }
    t.deployments[0].resources.push(Resource {
        id: "widget".into(),
        rtype: "Microsoft.Example/widgets".into(),
        name: Name::Literal(vec!["w".into()]),
        scope: None,
        body: indexmap::IndexMap::new(),
        depends_on: Vec::new(),
    });
    let left = untranslated(&t);
    assert!(
        left.iter().any(|l| l.path == "properties.futureSetting"),
        "{left:#?}"
    );
    assert!(
        left.iter().any(
            |l| l.path == "properties.addonProfiles.kubeDashboard.enabled"
                && l.value.as_deref() == Some("true")
        ),
        "{left:#?}"
    );
    assert!(
        left.iter().any(|l| l.rtype == "Microsoft.Example/widgets"),
        "{left:#?}"
    );
    match aks_harden::emit::render(&t, Format::Terraform, &Options::default()) {
        Err(e @ aks_harden::emit::EmitError::Untranslated { .. }) => {
            let text = e.to_string();
            assert!(text.contains("bug in aks-harden"), "{text}");
            assert!(text.contains("properties.futureSetting"), "{text}");
        }
        other => panic!("rendering must refuse what it cannot translate: {other:?}"),
    }
}

#[path = "../examples/fleet.rs"]
#[allow(dead_code, reason = "only the estate generator is used")]
mod generated;

/// A Terraform label as aks-harden forms one from name parts: lower-case letters, digits and
/// single underscores.
fn label_of(parts: &[&str]) -> String {
    let mut out = String::new();
    for p in parts {
        if !out.is_empty() {
            out.push('_');
        }
        let mut gap = false;
        for c in p.chars() {
            if c.is_ascii_alphanumeric() {
                if gap && !out.is_empty() && !out.ends_with('_') {
                    out.push('_');
                }
                gap = false;
                out.push(c.to_ascii_lowercase());
            } else {
                gap = true;
            }
        }
    }
    out
}

/// The labels of the `azapi_resource`s a text refers to.
fn azapi_refs(text: &str) -> std::collections::BTreeSet<String> {
    text.match_indices("azapi_resource.")
        .map(|(i, m)| {
            text[i + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// A fleet of `n` spokes in the azapi flavour, with its plan.
fn azapi_fleet(n: usize) -> (aks_harden::ir::Template, Files) {
    let estate = load_str("fleet.json", &generated::estate(n), Syntax::Json).unwrap();
    let options = Options {
        terraform_provider: TerraformProvider::Azapi,
    };
    let files = render_with(&estate, &[Format::Terraform], options).unwrap();
    (plan::plan(&estate), files)
}

/// The longest `depends_on` list of an `azapi_resource` (a deployment's end lists all of it).
fn longest_wait(files: &Files) -> usize {
    resources(files)
        .iter()
        .filter(|(_, t, _, _)| t == "azapi_resource")
        .map(|(_, _, _, b)| b["depends_on"].as_array().map_or(0, Vec::len))
        .max()
        .unwrap_or(0)
}

#[test]
fn azapi_waits_for_a_deployment_through_its_end_as_arm_does() {
    let (t, files) = azapi_fleet(6);
    let blocks = resources(&files);
    let block = |file: &str, rtype: &str, label: &str| {
        blocks
            .iter()
            .find(|(f, t, l, _)| f == file && t == rtype && l == label)
            .map(|(_, _, _, b)| b)
    };
    let mut ends_named = 0;
    for d in &t.deployments {
        let file = format!("terraform/{}.tf.json", d.id);
        let labels = |d: &aks_harden::ir::Deployment| -> Vec<String> {
            d.resources
                .iter()
                .map(|r| label_of(&[&d.id, &r.id]))
                .collect()
        };
        // A deployment's end, where declared, waits for every resource of the deployment.
        if let Some(end) = block(&file, "terraform_data", &label_of(&[&d.id, "deployed"])) {
            let mut all: Vec<String> = labels(d)
                .iter()
                .map(|l| format!("azapi_resource.{l}"))
                .collect();
            all.sort();
            assert_eq!(end["depends_on"], serde_json::json!(all), "{}", d.id);
        }
        // A resource that waits for nothing in its deployment waits for all of every deployment
        // its deployment depends on: through that deployment's end, or by referring to each of
        // its resources.
        for r in d.resources.iter().filter(|r| r.depends_on.is_empty()) {
            let b = block(&file, "azapi_resource", &label_of(&[&d.id, &r.id]))
                .unwrap_or_else(|| panic!("{} {}", d.id, r.id));
            let waits = b["depends_on"].as_array().cloned().unwrap_or_default();
            let refs = azapi_refs(&b.to_string());
            for dep in t
                .deployments
                .iter()
                .filter(|x| d.depends_on.contains(&x.id))
            {
                let end = format!("terraform_data.{}", label_of(&[&dep.id, "deployed"]));
                if waits.contains(&Value::String(end.clone())) {
                    ends_named += 1;
                    let declared = format!("terraform/{}.tf.json", dep.id);
                    assert!(
                        block(&declared, "terraform_data", &end["terraform_data.".len()..])
                            .is_some(),
                        "{end} is not declared"
                    );
                } else {
                    assert!(
                        labels(dep).iter().all(|l| refs.contains(l)),
                        "{} {} neither waits for {} nor refers to all of it",
                        d.id,
                        r.id,
                        dep.id
                    );
                }
            }
            // Nothing else from another deployment is waited for.
            for w in &waits {
                let w = w.as_str().unwrap();
                assert!(
                    w.starts_with("terraform_data.")
                        || w.starts_with(&format!("azapi_resource.{}_", label_of(&[&d.id]))),
                    "{} {} waits for {w}",
                    d.id,
                    r.id
                );
            }
        }
    }
    assert!(ends_named > 0, "no resource waits for another deployment");
}

#[test]
fn azapi_waits_do_not_grow_with_the_fleet() {
    // Every spoke's resources wait for the hub, which gains resources with every spoke: waiting
    // through the hub's end keeps each list as long at twelve spokes as at three.
    let (_, three) = azapi_fleet(3);
    let (_, twelve) = azapi_fleet(12);
    assert_eq!(longest_wait(&twelve), longest_wait(&three));
    let size = |f: &Files| f.values().map(String::len).sum::<usize>();
    assert!(
        size(&twelve) * 3 < size(&three) * 12 * 11 / 10,
        "the output grows faster than the fleet: {} bytes at 3 spokes, {} at 12",
        size(&three),
        size(&twelve)
    );
}
