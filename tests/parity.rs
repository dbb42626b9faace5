//! The formats say the same thing: for every built-in profile, read each rendered format back,
//! and compare the inventory of resources by kind and a table of security-relevant settings.
//! A difference names the setting, the resource and the formats.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

use aks_harden::{Format, load_profile, render};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PROFILES: &[&str] = &["dev", "staging", "prod", "regulated"];

/// One resource as read back from a format: ARM type, name, body.
#[derive(Debug, Clone)]
struct Res {
    rtype: String,
    name: String,
    body: Value,
}

// ---------------------------------------------------------------- ARM

fn arm_resources(main: &str) -> Vec<Res> {
    fn walk(resources: &[Value], out: &mut Vec<Res>) {
        for r in resources {
            let rtype = r["type"].as_str().unwrap_or_default().to_string();
            if rtype == "Microsoft.Resources/deployments" {
                walk(
                    r["properties"]["template"]["resources"]
                        .as_array()
                        .map_or(&[][..], Vec::as_slice),
                    out,
                );
                continue;
            }
            let name = r["name"].as_str().unwrap_or_default();
            let name = if rtype == ROLE {
                let scope = r["scope"].as_str().unwrap_or_default();
                role_key(
                    scope.rsplit('/').next().unwrap_or_default(),
                    &r["properties"]["roleDefinitionId"],
                )
            } else {
                name.rsplit('/').next().unwrap_or(name).to_string()
            };
            out.push(Res {
                name,
                rtype,
                body: r.clone(),
            });
        }
    }
    let doc: Value = serde_json::from_str(main).expect("main.json is JSON");
    let mut out = Vec::new();
    walk(doc["resources"].as_array().expect("resources"), &mut out);
    out
}

// ---------------------------------------------------------------- Bicep

/// A reader for the Bicep aks-harden prints: one entry per line, objects and arrays opened at
/// the end of a line and closed on their own line. Expressions are kept as `expr:<text>`.
fn bicep_value(text: &str) -> Value {
    let t = text.trim();
    if let Some(s) = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        if !s.contains("${") {
            return Value::String(s.replace("\\'", "'").replace("\\\\", "\\"));
        }
    }
    match t {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        "{}" => json!({}),
        "[]" => json!([]),
        _ => t
            .parse::<i64>()
            .map_or_else(|_| Value::String(format!("expr:{t}")), Value::from),
    }
}

fn bicep_block(lines: &mut std::iter::Peekable<std::slice::Iter<&str>>, array: bool) -> Value {
    let mut obj = serde_json::Map::new();
    let mut arr = Vec::new();
    while let Some(line) = lines.next() {
        let l = line.trim();
        if l == "}" || l == "]" {
            break;
        }
        let (key, rest) = if array {
            (None, l)
        } else {
            let (k, v) = l.split_once(": ").expect("key: value");
            (Some(k.trim_matches('\'').to_string()), v)
        };
        let v = match rest {
            "{" => bicep_block(lines, false),
            "[" => bicep_block(lines, true),
            other => bicep_value(other),
        };
        match key {
            Some(k) => {
                obj.insert(k, v);
            }
            None => arr.push(v),
        }
    }
    if array {
        Value::Array(arr)
    } else {
        Value::Object(obj)
    }
}

fn bicep_resources(files: &BTreeMap<String, String>) -> Vec<Res> {
    let mut out = Vec::new();
    for (path, text) in files {
        if !path.starts_with("bicep/modules/") {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        let mut it = lines.iter().peekable();
        // symbol → Azure name (last segment), for declared and existing resources alike.
        let mut names = BTreeMap::new();
        let mut found = Vec::new();
        while let Some(line) = it.next() {
            let Some(rest) = line.strip_prefix("resource ") else {
                continue;
            };
            let symbol = rest.split(' ').next().expect("symbol").to_string();
            let ty = rest.split('\'').nth(1).expect("type");
            let body = bicep_block(&mut it, false);
            let name = body["name"].as_str().unwrap_or_default();
            names.insert(symbol, name.rsplit('/').next().unwrap_or(name).to_string());
            if !rest.contains(" existing = ") {
                found.push((ty.split('@').next().unwrap_or_default().to_string(), body));
            }
        }
        for (rtype, body) in found {
            let name = if rtype == ROLE {
                let scope = body["scope"]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches("expr:");
                role_key(&names[scope], &body["properties"]["roleDefinitionId"])
            } else {
                let n = body["name"].as_str().unwrap_or_default();
                n.rsplit('/').next().unwrap_or(n).to_string()
            };
            out.push(Res { rtype, name, body });
        }
    }
    out
}

/// Role assignments are known by what they grant on what: `<scope name>:<role definition GUID>`.
fn role_key(scope_name: &str, role_definition: &Value) -> String {
    let text = role_definition.to_string();
    let guid = text
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|w| w.len() == 36 && w.matches('-').count() == 4)
        .unwrap_or_default();
    format!("{scope_name}:{guid}")
}

// ---------------------------------------------------------------- settings

/// A security-relevant setting: the resource type it lives on and the path inside the body.
struct Setting {
    name: &'static str,
    rtype: &'static str,
    path: &'static str,
}

const fn s(name: &'static str, rtype: &'static str, path: &'static str) -> Setting {
    Setting { name, rtype, path }
}

const AKS: &str = "Microsoft.ContainerService/managedClusters";
const KV: &str = "Microsoft.KeyVault/vaults";
const ACR: &str = "Microsoft.ContainerRegistry/registries";
const FWP: &str = "Microsoft.Network/firewallPolicies";
const RT: &str = "Microsoft.Network/routeTables";
const ROLE: &str = "Microsoft.Authorization/roleAssignments";

const SETTINGS: &[Setting] = &[
    s(
        "private cluster",
        AKS,
        "properties/apiServerAccessProfile/enablePrivateCluster",
    ),
    s(
        "public FQDN",
        AKS,
        "properties/apiServerAccessProfile/enablePrivateClusterPublicFQDN",
    ),
    s(
        "authorised ranges",
        AKS,
        "properties/apiServerAccessProfile/authorizedIPRanges",
    ),
    s(
        "API server VNet integration",
        AKS,
        "properties/apiServerAccessProfile/enableVnetIntegration",
    ),
    s(
        "run command disabled",
        AKS,
        "properties/apiServerAccessProfile/disableRunCommand",
    ),
    s(
        "outbound type",
        AKS,
        "properties/networkProfile/outboundType",
    ),
    s(
        "network plugin",
        AKS,
        "properties/networkProfile/networkPlugin",
    ),
    s(
        "network plugin mode",
        AKS,
        "properties/networkProfile/networkPluginMode",
    ),
    s(
        "network policy",
        AKS,
        "properties/networkProfile/networkPolicy",
    ),
    s(
        "network dataplane",
        AKS,
        "properties/networkProfile/networkDataplane",
    ),
    s(
        "local accounts disabled",
        AKS,
        "properties/disableLocalAccounts",
    ),
    s("Kubernetes RBAC", AKS, "properties/enableRBAC"),
    s("managed Entra ID", AKS, "properties/aadProfile/managed"),
    s("Azure RBAC", AKS, "properties/aadProfile/enableAzureRBAC"),
    s(
        "upgrade channel",
        AKS,
        "properties/autoUpgradeProfile/upgradeChannel",
    ),
    s(
        "node OS channel",
        AKS,
        "properties/autoUpgradeProfile/nodeOSUpgradeChannel",
    ),
    s("SKU tier", AKS, "sku/tier"),
    s(
        "node resource group lockdown",
        AKS,
        "properties/nodeResourceGroupProfile/restrictionLevel",
    ),
    s(
        "system pool encryption at host",
        AKS,
        "properties/agentPoolProfiles/0/enableEncryptionAtHost",
    ),
    s(
        "system pool OS disk",
        AKS,
        "properties/agentPoolProfiles/0/osDiskType",
    ),
    s(
        "system pool max pods",
        AKS,
        "properties/agentPoolProfiles/0/maxPods",
    ),
    s(
        "system pool taints",
        AKS,
        "properties/agentPoolProfiles/0/nodeTaints",
    ),
    s(
        "system pool node public IP",
        AKS,
        "properties/agentPoolProfiles/0/enableNodePublicIP",
    ),
    s(
        "system pool SSH",
        AKS,
        "properties/agentPoolProfiles/0/securityProfile/sshAccess",
    ),
    s(
        "system pool FIPS",
        AKS,
        "properties/agentPoolProfiles/0/enableFIPS",
    ),
    s(
        "Defender sensor",
        AKS,
        "properties/securityProfile/defender/securityMonitoring/enabled",
    ),
    s(
        "workload identity",
        AKS,
        "properties/securityProfile/workloadIdentity/enabled",
    ),
    s(
        "image cleaner",
        AKS,
        "properties/securityProfile/imageCleaner/enabled",
    ),
    s(
        "KMS",
        AKS,
        "properties/securityProfile/azureKeyVaultKms/enabled",
    ),
    s(
        "KMS network access",
        AKS,
        "properties/securityProfile/azureKeyVaultKms/keyVaultNetworkAccess",
    ),
    s(
        "Azure Policy add-on",
        AKS,
        "properties/addonProfiles/azurepolicy/enabled",
    ),
    s(
        "Container Insights",
        AKS,
        "properties/addonProfiles/omsagent/enabled",
    ),
    s(
        "CSI secret rotation",
        AKS,
        "properties/addonProfiles/azureKeyvaultSecretsProvider/config/enableSecretRotation",
    ),
    s(
        "dashboard off",
        AKS,
        "properties/addonProfiles/kubeDashboard/enabled",
    ),
    s(
        "HTTP application routing off",
        AKS,
        "properties/addonProfiles/httpApplicationRouting/enabled",
    ),
    s("service mesh", AKS, "properties/serviceMeshProfile/mode"),
    s(
        "Key Vault purge protection",
        KV,
        "properties/enablePurgeProtection",
    ),
    s("Key Vault soft delete", KV, "properties/enableSoftDelete"),
    s("Key Vault RBAC", KV, "properties/enableRbacAuthorization"),
    s(
        "Key Vault public access",
        KV,
        "properties/publicNetworkAccess",
    ),
    s(
        "Key Vault network default action",
        KV,
        "properties/networkAcls/defaultAction",
    ),
    s("ACR SKU", ACR, "sku/name"),
    s("ACR admin user", ACR, "properties/adminUserEnabled"),
    s("ACR public access", ACR, "properties/publicNetworkAccess"),
    s("ACR anonymous pull", ACR, "properties/anonymousPullEnabled"),
    s(
        "ACR retention",
        ACR,
        "properties/policies/retentionPolicy/days",
    ),
    s("firewall threat intel", FWP, "properties/threatIntelMode"),
    s("firewall IDPS", FWP, "properties/intrusionDetection/mode"),
    s(
        "firewall DNS proxy",
        FWP,
        "properties/dnsSettings/enableProxy",
    ),
    s("firewall tier", FWP, "properties/sku/tier"),
    s(
        "route 0/0 next hop",
        RT,
        "properties/routes/0/properties/nextHopIpAddress",
    ),
    s(
        "route 0/0 next hop type",
        RT,
        "properties/routes/0/properties/nextHopType",
    ),
    s(
        "BGP propagation off",
        RT,
        "properties/disableBgpRoutePropagation",
    ),
];

fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(v, |v, k| match v {
        Value::Object(o) => o.get(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// Setting values per (setting, resource name), as comparable strings.
fn settings(resources: &[Res]) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for st in SETTINGS {
        for r in resources.iter().filter(|r| r.rtype == st.rtype) {
            let v =
                lookup(&r.body, st.path).map_or_else(|| "<absent>".to_string(), Value::to_string);
            out.insert((st.name.to_string(), r.name.clone()), v);
        }
    }
    out
}

/// Resources by kind: type → sorted names.
fn inventory(resources: &[Res]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in resources {
        out.entry(r.rtype.clone()).or_default().push(r.name.clone());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn formats(profile: &str) -> Vec<(&'static str, Vec<Res>)> {
    let files = render(&load_profile(profile).unwrap(), Format::IMPLEMENTED).unwrap();
    let mut out = vec![("arm", arm_resources(&files["arm/main.json"]))];
    if Format::IMPLEMENTED.contains(&Format::Bicep) {
        out.push(("bicep", bicep_resources(&files)));
    }
    out
}

#[test]
fn settings_table_is_large_enough_and_covers_every_profile() {
    assert!(
        SETTINGS.len() >= 30,
        "the parity table has {} settings",
        SETTINGS.len()
    );
    for profile in PROFILES {
        let (_, arm) = &formats(profile)[0];
        let table = settings(arm);
        for st in SETTINGS {
            assert!(
                table.keys().any(|(n, _)| n == st.name),
                "{profile}: no {} resource carries {:?}",
                st.rtype,
                st.name
            );
        }
        // The settings are real: in prod-like profiles the key ones are present, not absent.
        if *profile != "dev" {
            for must in [
                "private cluster",
                "firewall IDPS",
                "KMS",
                "Key Vault purge protection",
            ] {
                assert!(
                    table.iter().any(|((n, _), v)| n == must && v != "<absent>"),
                    "{profile}: {must} is absent"
                );
            }
        }
    }
}

#[test]
fn every_format_has_the_same_resources_and_settings() {
    for profile in PROFILES {
        let all = formats(profile);
        let (base_name, base) = &all[0];
        let base_inv = inventory(base);
        let base_set = settings(base);
        for (name, res) in &all[1..] {
            let inv = inventory(res);
            for kind in base_inv.keys().chain(inv.keys()) {
                assert_eq!(
                    base_inv.get(kind),
                    inv.get(kind),
                    "{profile}: {kind} differs between {base_name} and {name}"
                );
            }
            let set = settings(res);
            for (key, v) in &base_set {
                assert_eq!(
                    Some(v),
                    set.get(key),
                    "{profile}: setting {:?} on {} differs between {base_name} and {name}",
                    key.0,
                    key.1
                );
            }
            assert_eq!(
                base_set.len(),
                set.len(),
                "{profile}: {name} has other settings"
            );
        }
    }
}
