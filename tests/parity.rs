//! The formats say the same thing: for every built-in profile, read each rendered format back
//! (ARM, Bicep, and Terraform in its default azurerm flavour), and compare the inventory of
//! resources by kind and a table of security-relevant settings. A difference names the setting,
//! the resource and the formats.
//!
//! ARM is the reference. Bicep is compared kind for kind and setting for setting. Terraform
//! realises the same estate with idiomatic azurerm resources, so it is read through two tables:
//! [`REALISES`] (which azurerm type, or folded block, realises which ARM kind, and how it is
//! named) and the `tf` column of [`SETTINGS`] (where azurerm carries each setting, and how its
//! spelling maps to ARM's). Only the kinds in [`KINDS`] are compared for Terraform; every ARM kind
//! a profile renders must be one of them, and every azurerm type must either realise one or be
//! listed in [`TF_ONLY`] with the reason it has no ARM resource of its own.
//!
//! Besides the built-in profiles, estates that switch on what no profile has are compared too:
//! `prod-gitops.json` (the Flux extension, its configuration and their firewall rule).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::emit::terraform::azurerm::NOT_EXPRESSIBLE;
use aks_harden::{Estate, Files, Format, load_file, load_profile};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use support::render;

/// The built-in profiles, and estate files in `tests/fixtures/valid` (named with `.json`).
const PROFILES: &[&str] = &["dev", "staging", "prod", "regulated", "prod-gitops.json"];

/// One resource as read back from a format: the ARM kind it is (or realises), the name every
/// format knows it by, its body in that format.
#[derive(Debug, Clone)]
struct Res {
    rtype: String,
    name: String,
    body: Value,
    /// Where it was read from: the ARM type for ARM and Bicep; for Terraform the azurerm type, or
    /// `type.block` for an ARM resource azurerm folds into a block of its parent.
    origin: String,
    /// Terraform only: the bodies of the `azapi_update_resource`s that patch this resource, by
    /// what their `resource_id` adds to this resource's id (`""`, `"/agentPools/system"`).
    azapi: BTreeMap<String, Value>,
}

impl Res {
    fn new(rtype: &str, name: String, body: Value, origin: &str) -> Res {
        Res {
            rtype: rtype.to_string(),
            name,
            body,
            origin: origin.to_string(),
            azapi: BTreeMap::new(),
        }
    }
}

/// The last segment of a resource name or id.
fn last(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// What every format knows a resource by. Child resources carry their parents' names
/// (`vnet/peering`); role assignments are `<scope name>:<role definition GUID>`, diagnostic
/// settings `<target name>:<name>` and locks `<scope or resource group name>:<name>`, since their
/// own names say nothing (a GUID expression, the same name on every target).
fn key_name(
    rtype: &str,
    full_name: &str,
    scope: Option<&str>,
    resource_group: &str,
    role_definition: &Value,
) -> String {
    match rtype {
        ROLE => role_key(scope.unwrap_or_default(), role_definition),
        DIAG | K8S_EXTENSION | FLUX => format!("{}:{full_name}", scope.unwrap_or_default()),
        LOCK => format!("{}:{full_name}", scope.unwrap_or(resource_group)),
        _ => full_name.to_string(),
    }
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

/// ARM and Bicep declare node pools inline in the cluster (`properties.agentPoolProfiles`);
/// each becomes a pool of its own here, named `<cluster>/<pool>`, as azurerm declares them.
fn with_pools(mut out: Vec<Res>) -> Vec<Res> {
    let mut pools = Vec::new();
    for cluster in out.iter().filter(|r| r.rtype == AKS) {
        for pool in cluster.body["properties"]["agentPoolProfiles"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
        {
            let name = format!(
                "{}/{}",
                cluster.name,
                pool["name"].as_str().unwrap_or_default()
            );
            pools.push(Res::new(POOL, name, pool.clone(), AKS));
        }
    }
    out.extend(pools);
    out
}

// ---------------------------------------------------------------- ARM

fn arm_resources(main: &str) -> Vec<Res> {
    fn walk(resources: &[Value], resource_group: &str, out: &mut Vec<Res>) {
        for r in resources {
            let rtype = r["type"].as_str().unwrap_or_default();
            if rtype == "Microsoft.Resources/deployments" {
                walk(
                    r["properties"]["template"]["resources"]
                        .as_array()
                        .map_or(&[][..], Vec::as_slice),
                    r["resourceGroup"].as_str().unwrap_or_default(),
                    out,
                );
                continue;
            }
            let name = key_name(
                rtype,
                r["name"].as_str().unwrap_or_default(),
                r["scope"].as_str().map(last),
                resource_group,
                &r["properties"]["roleDefinitionId"],
            );
            out.push(Res::new(rtype, name, r.clone(), rtype));
        }
    }
    let doc: Value = serde_json::from_str(main).expect("main.json is JSON");
    let mut out = Vec::new();
    walk(
        doc["resources"].as_array().expect("resources"),
        "",
        &mut out,
    );
    with_pools(out)
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

/// The resource group each module is deployed to (empty for a subscription), from the module
/// declarations of `main.bicep`: module file → resource group.
fn bicep_module_groups(main: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut module = None;
    for line in main.lines() {
        if let Some(rest) = line.strip_prefix("module ") {
            module = rest.split('\'').nth(1).map(|p| format!("bicep/{p}"));
        } else if let Some(scope) = line.trim().strip_prefix("scope: ") {
            if let Some(m) = module.take() {
                let rg = if scope.starts_with("resourceGroup(") {
                    scope.rsplit('\'').nth(1).unwrap_or_default()
                } else {
                    ""
                };
                out.insert(m, rg.to_string());
            }
        }
    }
    out
}

/// A Bicep resource's name after its parents' (`parent: symbol`).
fn bicep_full_name(bodies: &BTreeMap<&str, &Value>, symbol: &str) -> String {
    let body = bodies[symbol];
    let own = body["name"].as_str().unwrap_or_default();
    match body["parent"]
        .as_str()
        .and_then(|p| p.strip_prefix("expr:"))
    {
        Some(parent) => format!("{}/{own}", bicep_full_name(bodies, parent)),
        None => own.to_string(),
    }
}

fn bicep_resources(files: &Files) -> Vec<Res> {
    let groups = bicep_module_groups(&files["bicep/main.bicep"]);
    let mut out = Vec::new();
    for (path, text) in files {
        if !path.starts_with("bicep/modules/") {
            continue;
        }
        let rg = groups.get(path).map_or("", String::as_str);
        let lines: Vec<&str> = text.lines().collect();
        let mut it = lines.iter().peekable();
        // Every resource, declared or existing: symbol, type, body.
        let mut all = Vec::new();
        while let Some(line) = it.next() {
            let Some(rest) = line.strip_prefix("resource ") else {
                continue;
            };
            let symbol = rest.split(' ').next().expect("symbol").to_string();
            let ty = rest.split('\'').nth(1).expect("type");
            let rtype = ty.split('@').next().unwrap_or_default().to_string();
            let body = bicep_block(&mut it, false);
            all.push((symbol, rtype, rest.contains(" existing = "), body));
        }
        // symbol → full Azure name; a parent may be declared after its child.
        let bodies: BTreeMap<&str, &Value> =
            all.iter().map(|(s, _, _, b)| (s.as_str(), b)).collect();
        let names: BTreeMap<&str, String> = bodies
            .keys()
            .map(|s| (*s, bicep_full_name(&bodies, s)))
            .collect();
        let found: Vec<(String, String, Value)> = all
            .iter()
            .filter(|(_, _, existing, _)| !existing)
            .map(|(s, rtype, _, body)| (rtype.clone(), names[s.as_str()].clone(), body.clone()))
            .collect();
        for (rtype, full, body) in found {
            let scope = body["scope"]
                .as_str()
                .and_then(|s| s.strip_prefix("expr:"))
                .map(|s| names.get(s).map_or(s, |n| last(n)));
            let name = key_name(
                &rtype,
                &full,
                scope,
                rg,
                &body["properties"]["roleDefinitionId"],
            );
            out.push(Res::new(&rtype, name, body, &rtype));
        }
    }
    with_pools(out)
}

// ---------------------------------------------------------------- Terraform (azurerm)

/// An azurerm resource type and the ARM kind it realises.
struct Realises {
    tf: &'static str,
    kind: &'static str,
    /// The attribute holding the resource's own name.
    name: &'static str,
    /// For a child resource: the attribute that refers to its ARM parent.
    parent: Option<&'static str>,
    /// For an extension resource (role assignment, diagnostic setting, lock): the attribute that
    /// refers to what it applies to.
    scope: Option<&'static str>,
}

const fn rz(tf: &'static str, kind: &'static str) -> Realises {
    Realises {
        tf,
        kind,
        name: "name",
        parent: None,
        scope: None,
    }
}

const fn child(tf: &'static str, kind: &'static str, parent: &'static str) -> Realises {
    Realises {
        parent: Some(parent),
        ..rz(tf, kind)
    }
}

const fn scoped(tf: &'static str, kind: &'static str, scope: &'static str) -> Realises {
    Realises {
        scope: Some(scope),
        ..rz(tf, kind)
    }
}

/// azurerm resources and the ARM kinds they realise.
const REALISES: &[Realises] = &[
    rz("azurerm_resource_group", RG),
    // Pricings have no name in azurerm: the plan (`Containers`) is the ARM name.
    Realises {
        name: "resource_type",
        ..rz("azurerm_security_center_subscription_pricing", PRICING)
    },
    rz("azurerm_log_analytics_workspace", LAW),
    rz("azurerm_user_assigned_identity", UAI),
    child(
        "azurerm_federated_identity_credential",
        FIC,
        "user_assigned_identity_id",
    ),
    rz("azurerm_virtual_network", VNET),
    child(
        "azurerm_virtual_network_peering",
        PEERING,
        "virtual_network_name",
    ),
    rz("azurerm_network_security_group", NSG),
    rz("azurerm_route_table", RT),
    rz("azurerm_public_ip", PIP),
    rz("azurerm_firewall", FW),
    rz("azurerm_firewall_policy", FWP),
    child(
        "azurerm_firewall_policy_rule_collection_group",
        RCG,
        "firewall_policy_id",
    ),
    rz("azurerm_private_dns_zone", DNS_ZONE),
    child(
        "azurerm_private_dns_zone_virtual_network_link",
        DNS_LINK,
        "private_dns_zone_name",
    ),
    rz("azurerm_private_endpoint", PE),
    rz("azurerm_key_vault", KV),
    child("azurerm_key_vault_key", KV_KEY, "key_vault_id"),
    rz("azurerm_disk_encryption_set", DES),
    rz("azurerm_container_registry", ACR),
    rz("azurerm_kubernetes_cluster", AKS),
    child(
        "azurerm_kubernetes_cluster_node_pool",
        POOL,
        "kubernetes_cluster_id",
    ),
    scoped(
        "azurerm_monitor_diagnostic_setting",
        DIAG,
        "target_resource_id",
    ),
    scoped("azurerm_role_assignment", ROLE, "scope"),
    scoped("azurerm_management_lock", LOCK, "scope"),
    scoped(
        "azurerm_kubernetes_cluster_extension",
        K8S_EXTENSION,
        "cluster_id",
    ),
    scoped("azurerm_kubernetes_flux_configuration", FLUX, "cluster_id"),
    rz("azurerm_resource_policy_assignment", POLICY),
    rz("azurerm_bastion_host", BASTION),
    rz("azurerm_application_gateway", AGW),
    rz("azurerm_web_application_firewall_policy", WAF),
];

/// ARM resources azurerm folds into a block of their parent: parent type, block, ARM kind. The
/// maintenance configurations are named by their block (AKS knows them by these fixed names).
const FOLDED: &[(&str, &str, &str)] = &[
    ("azurerm_kubernetes_cluster", "default_node_pool", POOL),
    (
        "azurerm_kubernetes_cluster",
        "maintenance_window_auto_upgrade",
        MAINT,
    ),
    (
        "azurerm_kubernetes_cluster",
        "maintenance_window_node_os",
        MAINT,
    ),
    ("azurerm_private_endpoint", "private_dns_zone_group", PE_DNS),
];

fn maintenance_name(block: &str) -> Option<&'static str> {
    match block {
        "maintenance_window_auto_upgrade" => Some("aksManagedAutoUpgradeSchedule"),
        "maintenance_window_node_os" => Some("aksManagedNodeOSUpgradeSchedule"),
        _ => None,
    }
}

/// azurerm resources that realise no ARM resource of their own, and why.
const TF_ONLY: &[(&str, &str)] = &[
    (
        "azurerm_subnet",
        "ARM declares subnets inline in the VNet (properties.subnets), not as resources",
    ),
    (
        "azurerm_subnet_network_security_group_association",
        "the subnet's networkSecurityGroup in ARM",
    ),
    (
        "azurerm_subnet_route_table_association",
        "the subnet's routeTable in ARM",
    ),
    (
        "azapi_update_resource",
        "patches a cluster, pool or workspace azurerm created; read as part of that resource's settings",
    ),
];

/// The ARM kinds compared between ARM and Terraform: every kind the profiles render.
const KINDS: &[&str] = &[
    RG,
    PRICING,
    LAW,
    UAI,
    FIC,
    VNET,
    PEERING,
    NSG,
    RT,
    PIP,
    FW,
    FWP,
    RCG,
    DNS_ZONE,
    DNS_LINK,
    PE,
    PE_DNS,
    KV,
    KV_KEY,
    DES,
    ACR,
    AKS,
    POOL,
    MAINT,
    DIAG,
    ROLE,
    LOCK,
    POLICY,
    BASTION,
    AGW,
    WAF,
    RG,
    PRICING,
    LAW,
    UAI,
    FIC,
    VNET,
    PEERING,
    NSG,
    RT,
    PIP,
    FW,
    FWP,
    RCG,
    DNS_ZONE,
    DNS_LINK,
    PE,
    PE_DNS,
    KV,
    KV_KEY,
    DES,
    ACR,
    AKS,
    POOL,
    MAINT,
    DIAG,
    ROLE,
    LOCK,
    POLICY,
    AKS_NAMESPACE,
    MONITOR_ACCOUNT,
    DCE,
    DCR,
    DCRA,
    PROM_RULES,
    ACTION_GROUP,
    ACTIVITY_ALERT,
    QUERY_ALERT,
    K8S_EXTENSION,
    FLUX,
];

/// The kinds the Terraform comparison must cover at the least.
const REQUIRED_KINDS: &[&str] = &[
    AKS, POOL, VNET, NSG, RT, FW, FWP, KV, KV_KEY, ACR, UAI, ROLE, PE, DNS_ZONE, DIAG, LOCK,
    POLICY, PRICING, RG, PEERING, LAW, DES,
];

/// One `resource` block of the Terraform JSON.
struct Block {
    ty: String,
    label: String,
    body: Value,
}

fn tf_blocks(files: &Files) -> Vec<Block> {
    let mut out = Vec::new();
    for (path, text) in files {
        if !(path.starts_with("terraform/") && path.ends_with(".tf.json")) {
            continue;
        }
        let doc: Value = serde_json::from_str(text).expect("Terraform JSON");
        let Some(resources) = doc["resource"].as_object() else {
            continue;
        };
        for (ty, labels) in resources {
            for (label, body) in labels.as_object().expect("type → label → body") {
                // Terraform's JSON syntax also allows a block as an array of one object.
                let body = body.as_array().map_or(body, |a| &a[0]);
                out.push(Block {
                    ty: ty.clone(),
                    label: label.clone(),
                    body: body.clone(),
                });
            }
        }
    }
    out
}

/// A whole-value reference `${type.label.attribute}…`: type, label and what follows the `}`.
fn reference(v: &Value) -> Option<(&str, &str, &str)> {
    let (expr, rest) = v.as_str()?.strip_prefix("${")?.split_once('}')?;
    let mut parts = expr.splitn(3, '.');
    Some((parts.next()?, parts.next()?, rest))
}

type Index<'a> = BTreeMap<(&'a str, &'a str), &'a Value>;

/// The full ARM name of an azurerm resource: its name, after its parents' for a child.
fn tf_name(index: &Index, ty: &str, label: &str) -> String {
    let Some(body) = index.get(&(ty, label)) else {
        return format!("<unknown {ty}.{label}>");
    };
    let rz = REALISES.iter().find(|r| r.tf == ty);
    let own = body[rz.map_or("name", |r| r.name)]
        .as_str()
        .unwrap_or_default();
    match rz.and_then(|r| r.parent) {
        Some(attr) => format!("{}/{own}", tf_ref_name(index, &body[attr])),
        None => own.to_string(),
    }
}

/// The name a reference points at; a literal is taken as it is.
fn tf_ref_name(index: &Index, v: &Value) -> String {
    match reference(v) {
        Some((ty, label, _)) if index.contains_key(&(ty, label)) => tf_name(index, ty, label),
        _ => v.as_str().unwrap_or_default().to_string(),
    }
}

fn tf_resources(files: &Files) -> Vec<Res> {
    let blocks = tf_blocks(files);
    let index: Index = blocks
        .iter()
        .map(|b| ((b.ty.as_str(), b.label.as_str()), &b.body))
        .collect();
    // azapi updates by the resource they patch: (type, label) → suffix → (ARM type, body).
    let mut azapi: BTreeMap<(String, String), BTreeMap<String, (String, Value)>> = BTreeMap::new();
    for b in blocks.iter().filter(|b| b.ty == "azapi_update_resource") {
        let (ty, label, suffix) = reference(&b.body["resource_id"])
            .unwrap_or_else(|| panic!("azapi_update_resource.{}: resource_id", b.label));
        let rtype = b.body["type"].as_str().unwrap_or_default();
        let rtype = rtype.split('@').next().unwrap_or_default().to_string();
        let prev = azapi
            .entry((ty.to_string(), label.to_string()))
            .or_default()
            .insert(suffix.to_string(), (rtype, b.body["body"].clone()));
        assert!(prev.is_none(), "two azapi updates of {ty}.{label}{suffix}");
    }
    let mut out = Vec::new();
    for b in &blocks {
        if TF_ONLY.iter().any(|(t, _)| *t == b.ty) {
            continue;
        }
        // A kind azurerm carries as `azapi_resource`: the ARM type, name and body, as they are.
        if b.ty == AZAPI {
            let rtype = b.body["type"].as_str().unwrap_or_default();
            let rtype = rtype.split('@').next().unwrap_or_default();
            let mut name = b.body["name"].as_str().unwrap_or_default().to_string();
            if rtype.matches('/').count() > 1 {
                // A child: ARM names it after its parent too.
                name = format!("{}/{name}", tf_ref_name(&index, &b.body["parent_id"]));
            }
            out.push(Res::new(rtype, name, b.body["body"].clone(), AZAPI));
            continue;
        }
        let rz = REALISES
            .iter()
            .find(|r| r.tf == b.ty)
            .unwrap_or_else(|| panic!("{}: no ARM kind in REALISES or reason in TF_ONLY", b.ty));
        let own = tf_name(&index, &b.ty, &b.label);
        let scope = rz.scope.map(|attr| tf_ref_name(&index, &b.body[attr]));
        let name = key_name(
            rz.kind,
            &own,
            scope.as_deref().map(last),
            "",
            &b.body["role_definition_id"],
        );
        let mut res = Res::new(rz.kind, name, b.body.clone(), &b.ty);
        for (suffix, (rtype, body)) in azapi
            .remove(&(b.ty.clone(), b.label.clone()))
            .unwrap_or_default()
        {
            let expected = if suffix.is_empty() {
                rz.kind
            } else {
                assert!(
                    suffix.starts_with("/agentPools/"),
                    "azapi update of {}{suffix}",
                    res.name
                );
                POOL
            };
            assert_eq!(rtype, expected, "azapi update of {}{suffix}", res.name);
            res.azapi.insert(suffix, body);
        }
        for (_, block, kind) in FOLDED.iter().filter(|(t, _, _)| *t == b.ty) {
            let origin = format!("{}.{block}", b.ty);
            for item in b.body[*block].as_array().map_or(&[][..], Vec::as_slice) {
                let own = maintenance_name(block)
                    .or_else(|| item["name"].as_str())
                    .unwrap_or_default();
                let mut folded =
                    Res::new(kind, format!("{}/{own}", res.name), item.clone(), &origin);
                if *kind == POOL {
                    if let Some(body) = res.azapi.get(&format!("/agentPools/{own}")) {
                        folded.azapi.insert(String::new(), body.clone());
                    }
                }
                out.push(folded);
            }
        }
        out.push(res);
    }
    assert!(
        azapi.is_empty(),
        "azapi updates of nothing azurerm declares: {:?}",
        azapi.keys()
    );
    out
}

// ---------------------------------------------------------------- settings

/// Maps a value as read (`None` when absent) to the value compared.
type Norm = fn(Option<&Value>) -> Option<Value>;

/// Where azurerm carries a setting.
enum Tf {
    /// `path` (Terraform's spelling: `block[0].attribute`) on the azurerm resource or folded block
    /// of one of the `via` origins (`|`-separated), read through `norm` into ARM's spelling.
    At {
        via: &'static str,
        path: &'static str,
        norm: Norm,
    },
    /// `path` in the body of the `azapi_update_resource` that patches the resource, found by what
    /// its `resource_id` adds to the resource's id (`{default}`: the default pool's name).
    Azapi {
        via: &'static str,
        target: &'static str,
        path: &'static str,
    },
    /// Read from several places; `what` says which.
    Custom {
        via: &'static str,
        what: &'static str,
        read: fn(&Res) -> Option<Value>,
    },
    /// azurerm cannot express the setting: the translation lists the ARM path in
    /// `NOT_EXPRESSIBLE` with the only value azurerm always sends, and that value is compared.
    Implied { via: &'static str },
}

impl Tf {
    fn via(&self) -> &'static str {
        match self {
            Tf::At { via, .. }
            | Tf::Azapi { via, .. }
            | Tf::Custom { via, .. }
            | Tf::Implied { via } => via,
        }
    }
}

/// A security-relevant setting: the resource type it lives on and the path inside the ARM body
/// (read through `arm`, for ARM and Bicep), and where azurerm carries it.
struct Setting {
    name: &'static str,
    rtype: &'static str,
    path: &'static str,
    arm: Norm,
    tf: Tf,
}

const fn s(name: &'static str, rtype: &'static str, path: &'static str, tf: Tf) -> Setting {
    Setting {
        name,
        rtype,
        path,
        arm: same,
        tf,
    }
}

/// The same meaning, spelled the same in both.
const fn at(via: &'static str, path: &'static str) -> Tf {
    Tf::At {
        via,
        path,
        norm: same,
    }
}

/// Spelled differently: `norm` maps azurerm's spelling to ARM's.
const fn atn(via: &'static str, path: &'static str, norm: Norm) -> Tf {
    Tf::At { via, path, norm }
}

const AKS: &str = "Microsoft.ContainerService/managedClusters";
const POOL: &str = "Microsoft.ContainerService/managedClusters/agentPools";
const MAINT: &str = "Microsoft.ContainerService/managedClusters/maintenanceConfigurations";
const KV: &str = "Microsoft.KeyVault/vaults";
const KV_KEY: &str = "Microsoft.KeyVault/vaults/keys";
const ACR: &str = "Microsoft.ContainerRegistry/registries";
const FW: &str = "Microsoft.Network/azureFirewalls";
const FWP: &str = "Microsoft.Network/firewallPolicies";
const RCG: &str = "Microsoft.Network/firewallPolicies/ruleCollectionGroups";
const RT: &str = "Microsoft.Network/routeTables";
const NSG: &str = "Microsoft.Network/networkSecurityGroups";
const VNET: &str = "Microsoft.Network/virtualNetworks";
const PEERING: &str = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";
const PIP: &str = "Microsoft.Network/publicIPAddresses";
const DNS_ZONE: &str = "Microsoft.Network/privateDnsZones";
const DNS_LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
const PE: &str = "Microsoft.Network/privateEndpoints";
const PE_DNS: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
const DES: &str = "Microsoft.Compute/diskEncryptionSets";
const UAI: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
const FIC: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";
const LAW: &str = "Microsoft.OperationalInsights/workspaces";
const DIAG: &str = "Microsoft.Insights/diagnosticSettings";
const ROLE: &str = "Microsoft.Authorization/roleAssignments";
const LOCK: &str = "Microsoft.Authorization/locks";
const POLICY: &str = "Microsoft.Authorization/policyAssignments";
const PRICING: &str = "Microsoft.Security/pricings";
const RG: &str = "Microsoft.Resources/resourceGroups";
const BASTION: &str = "Microsoft.Network/bastionHosts";
const AGW: &str = "Microsoft.Network/applicationGateways";
const WAF: &str = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies";
const AKS_NAMESPACE: &str = "Microsoft.ContainerService/managedClusters/managedNamespaces";
const MONITOR_ACCOUNT: &str = "Microsoft.Monitor/accounts";
const DCE: &str = "Microsoft.Insights/dataCollectionEndpoints";
const DCR: &str = "Microsoft.Insights/dataCollectionRules";
const DCRA: &str = "Microsoft.Insights/dataCollectionRuleAssociations";
const PROM_RULES: &str = "Microsoft.AlertsManagement/prometheusRuleGroups";
const ACTION_GROUP: &str = "Microsoft.Insights/actionGroups";
const ACTIVITY_ALERT: &str = "Microsoft.Insights/activityLogAlerts";
const QUERY_ALERT: &str = "Microsoft.Insights/scheduledQueryRules";
const K8S_EXTENSION: &str = "Microsoft.KubernetesConfiguration/extensions";
const FLUX: &str = "Microsoft.KubernetesConfiguration/fluxConfigurations";
/// The monitoring kinds, which the azurerm flavour carries as `azapi_resource`s.
const AZAPI: &str = "azapi_resource";

const TF_AKS: &str = "azurerm_kubernetes_cluster";
const TF_DEFAULT_POOL: &str = "azurerm_kubernetes_cluster.default_node_pool";
const TF_POOLS: &str =
    "azurerm_kubernetes_cluster.default_node_pool | azurerm_kubernetes_cluster_node_pool";
const TF_MAINT: &str = "azurerm_kubernetes_cluster.maintenance_window_auto_upgrade | azurerm_kubernetes_cluster.maintenance_window_node_os";
const TF_KV: &str = "azurerm_key_vault";
const TF_ACR: &str = "azurerm_container_registry";
const TF_FWP: &str = "azurerm_firewall_policy";
const TF_RT: &str = "azurerm_route_table";
const TF_DIAG: &str = "azurerm_monitor_diagnostic_setting";
const TF_BASTION: &str = "azurerm_bastion_host";
const TF_AGW: &str = "azurerm_application_gateway";
const TF_WAF: &str = "azurerm_web_application_firewall_policy";
const TF_NSG: &str = "azurerm_network_security_group";
const TF_LINK: &str = "azurerm_private_dns_zone_virtual_network_link";
const TF_POLICY: &str = "azurerm_resource_policy_assignment";
const TF_LAW: &str = "azurerm_log_analytics_workspace";
const TF_RCG: &str = "azurerm_firewall_policy_rule_collection_group";
const TF_EXTENSION: &str = "azurerm_kubernetes_cluster_extension";
const TF_FLUX: &str = "azurerm_kubernetes_flux_configuration";

/// The taint azurerm spells as `only_critical_addons_enabled` on the default pool.
const CRITICAL_ONLY: &str = "CriticalAddonsOnly=true:NoSchedule";

const SETTINGS: &[Setting] = &[
    s(
        "private cluster",
        AKS,
        "properties/apiServerAccessProfile/enablePrivateCluster",
        at(TF_AKS, "private_cluster_enabled"),
    ),
    s(
        "public FQDN",
        AKS,
        "properties/apiServerAccessProfile/enablePrivateClusterPublicFQDN",
        at(TF_AKS, "private_cluster_public_fqdn_enabled"),
    ),
    Setting {
        arm: zone_mode,
        ..s(
            "private DNS zone",
            AKS,
            "properties/apiServerAccessProfile/privateDNSZone",
            atn(TF_AKS, "private_dns_zone_id", zone_mode),
        )
    },
    s(
        "authorised ranges",
        AKS,
        "properties/apiServerAccessProfile/authorizedIPRanges",
        at(TF_AKS, "api_server_access_profile[0].authorized_ip_ranges"),
    ),
    s(
        "API server VNet integration",
        AKS,
        "properties/apiServerAccessProfile/enableVnetIntegration",
        at(
            TF_AKS,
            "api_server_access_profile[0].virtual_network_integration_enabled",
        ),
    ),
    s(
        "run command disabled",
        AKS,
        "properties/apiServerAccessProfile/disableRunCommand",
        atn(TF_AKS, "run_command_enabled", not),
    ),
    s(
        "outbound type",
        AKS,
        "properties/networkProfile/outboundType",
        at(TF_AKS, "network_profile[0].outbound_type"),
    ),
    s(
        "network plugin",
        AKS,
        "properties/networkProfile/networkPlugin",
        at(TF_AKS, "network_profile[0].network_plugin"),
    ),
    s(
        "network plugin mode",
        AKS,
        "properties/networkProfile/networkPluginMode",
        at(TF_AKS, "network_profile[0].network_plugin_mode"),
    ),
    s(
        "network policy",
        AKS,
        "properties/networkProfile/networkPolicy",
        at(TF_AKS, "network_profile[0].network_policy"),
    ),
    s(
        "network dataplane",
        AKS,
        "properties/networkProfile/networkDataplane",
        at(TF_AKS, "network_profile[0].network_data_plane"),
    ),
    s(
        "local accounts disabled",
        AKS,
        "properties/disableLocalAccounts",
        at(TF_AKS, "local_account_disabled"),
    ),
    s(
        "Kubernetes RBAC",
        AKS,
        "properties/enableRBAC",
        at(TF_AKS, "role_based_access_control_enabled"),
    ),
    // azurerm 4.x only creates managed Entra ID integration: the block is the setting.
    s(
        "managed Entra ID",
        AKS,
        "properties/aadProfile/managed",
        atn(
            TF_AKS,
            "azure_active_directory_role_based_access_control",
            present,
        ),
    ),
    s(
        "Azure RBAC",
        AKS,
        "properties/aadProfile/enableAzureRBAC",
        at(
            TF_AKS,
            "azure_active_directory_role_based_access_control[0].azure_rbac_enabled",
        ),
    ),
    s(
        "OIDC issuer",
        AKS,
        "properties/oidcIssuerProfile/enabled",
        at(TF_AKS, "oidc_issuer_enabled"),
    ),
    // azurerm leaves automatic_upgrade_channel out for ARM's `none`.
    s(
        "upgrade channel",
        AKS,
        "properties/autoUpgradeProfile/upgradeChannel",
        atn(TF_AKS, "automatic_upgrade_channel", or_none),
    ),
    s(
        "node OS channel",
        AKS,
        "properties/autoUpgradeProfile/nodeOSUpgradeChannel",
        at(TF_AKS, "node_os_upgrade_channel"),
    ),
    s("SKU tier", AKS, "sku/tier", at(TF_AKS, "sku_tier")),
    s(
        "Kubernetes version",
        AKS,
        "properties/kubernetesVersion",
        at(TF_AKS, "kubernetes_version"),
    ),
    s(
        "node resource group lockdown",
        AKS,
        "properties/nodeResourceGroupProfile/restrictionLevel",
        Tf::Azapi {
            via: TF_AKS,
            target: "",
            path: "properties.nodeResourceGroupProfile.restrictionLevel",
        },
    ),
    // ARM's first pool is azurerm's default pool: the pool rows below rely on it.
    s(
        "system pool name",
        AKS,
        "properties/agentPoolProfiles/0/name",
        at(TF_AKS, "default_node_pool[0].name"),
    ),
    s(
        "system pool encryption at host",
        AKS,
        "properties/agentPoolProfiles/0/enableEncryptionAtHost",
        at(TF_AKS, "default_node_pool[0].host_encryption_enabled"),
    ),
    s(
        "system pool OS disk",
        AKS,
        "properties/agentPoolProfiles/0/osDiskType",
        at(TF_AKS, "default_node_pool[0].os_disk_type"),
    ),
    s(
        "system pool max pods",
        AKS,
        "properties/agentPoolProfiles/0/maxPods",
        at(TF_AKS, "default_node_pool[0].max_pods"),
    ),
    s(
        "system pool taints",
        AKS,
        "properties/agentPoolProfiles/0/nodeTaints",
        Tf::Custom {
            via: TF_AKS,
            what: "default_node_pool[0].only_critical_addons_enabled, or the default pool's azapi update properties.nodeTaints",
            read: system_taints,
        },
    ),
    s(
        "system pool node public IP",
        AKS,
        "properties/agentPoolProfiles/0/enableNodePublicIP",
        at(TF_AKS, "default_node_pool[0].node_public_ip_enabled"),
    ),
    s(
        "system pool SSH",
        AKS,
        "properties/agentPoolProfiles/0/securityProfile/sshAccess",
        Tf::Azapi {
            via: TF_AKS,
            target: "/agentPools/{default}",
            path: "properties.securityProfile.sshAccess",
        },
    ),
    s(
        "system pool FIPS",
        AKS,
        "properties/agentPoolProfiles/0/enableFIPS",
        at(TF_AKS, "default_node_pool[0].fips_enabled"),
    ),
    // azurerm turns the Defender sensor on with the block (the translation writes it only then).
    s(
        "Defender sensor",
        AKS,
        "properties/securityProfile/defender/securityMonitoring/enabled",
        atn(TF_AKS, "microsoft_defender", present),
    ),
    s(
        "workload identity",
        AKS,
        "properties/securityProfile/workloadIdentity/enabled",
        at(TF_AKS, "workload_identity_enabled"),
    ),
    s(
        "image cleaner",
        AKS,
        "properties/securityProfile/imageCleaner/enabled",
        at(TF_AKS, "image_cleaner_enabled"),
    ),
    // NOT_EXPRESSIBLE: "the key_management_service block enables KMS".
    s(
        "KMS",
        AKS,
        "properties/securityProfile/azureKeyVaultKms/enabled",
        atn(TF_AKS, "key_management_service", present),
    ),
    s(
        "KMS network access",
        AKS,
        "properties/securityProfile/azureKeyVaultKms/keyVaultNetworkAccess",
        at(TF_AKS, "key_management_service[0].key_vault_network_access"),
    ),
    s(
        "Azure Policy add-on",
        AKS,
        "properties/addonProfiles/azurepolicy/enabled",
        at(TF_AKS, "azure_policy_enabled"),
    ),
    s(
        "Container Insights",
        AKS,
        "properties/addonProfiles/omsagent/enabled",
        atn(TF_AKS, "oms_agent", present),
    ),
    s(
        "CSI secret rotation",
        AKS,
        "properties/addonProfiles/azureKeyvaultSecretsProvider/config/enableSecretRotation",
        atn(
            TF_AKS,
            "key_vault_secrets_provider[0].secret_rotation_enabled",
            bool_text,
        ),
    ),
    // Not expressible: AKS retired the dashboard add-on; azurerm 4.x has no argument for it.
    s(
        "dashboard off",
        AKS,
        "properties/addonProfiles/kubeDashboard/enabled",
        Tf::Implied { via: TF_AKS },
    ),
    s(
        "HTTP application routing off",
        AKS,
        "properties/addonProfiles/httpApplicationRouting/enabled",
        at(TF_AKS, "http_application_routing_enabled"),
    ),
    s(
        "service mesh",
        AKS,
        "properties/serviceMeshProfile/mode",
        at(TF_AKS, "service_mesh_profile[0].mode"),
    ),
    // Every pool, the default one included.
    s(
        "pool mode",
        POOL,
        "mode",
        Tf::Custom {
            via: TF_POOLS,
            what: "System for default_node_pool, else mode",
            read: pool_mode,
        },
    ),
    s(
        "pool encryption at host",
        POOL,
        "enableEncryptionAtHost",
        at(TF_POOLS, "host_encryption_enabled"),
    ),
    s(
        "pool node public IP",
        POOL,
        "enableNodePublicIP",
        at(TF_POOLS, "node_public_ip_enabled"),
    ),
    s(
        "pool FIPS",
        POOL,
        "enableFIPS",
        at(TF_POOLS, "fips_enabled"),
    ),
    s(
        "pool SSH",
        POOL,
        "securityProfile/sshAccess",
        Tf::Azapi {
            via: TF_POOLS,
            target: "",
            path: "properties.securityProfile.sshAccess",
        },
    ),
    s(
        "pool taints",
        POOL,
        "nodeTaints",
        Tf::Custom {
            via: TF_POOLS,
            what: "node_taints; on default_node_pool only_critical_addons_enabled or its azapi update properties.nodeTaints",
            read: pool_taints,
        },
    ),
    s("pool OS SKU", POOL, "osSKU", at(TF_POOLS, "os_sku")),
    s(
        "pool OS disk",
        POOL,
        "osDiskType",
        at(TF_POOLS, "os_disk_type"),
    ),
    s("pool max pods", POOL, "maxPods", at(TF_POOLS, "max_pods")),
    s(
        "pool workload runtime",
        POOL,
        "workloadRuntime",
        at(TF_POOLS, "workload_runtime"),
    ),
    s(
        "pool zones",
        POOL,
        "availabilityZones",
        at(TF_POOLS, "zones"),
    ),
    // Both schedules: the cluster's upgrades and its node OS upgrades.
    Setting {
        arm: frequency,
        ..s(
            "maintenance window frequency",
            MAINT,
            "properties/maintenanceWindow/schedule",
            at(TF_MAINT, "frequency"),
        )
    },
    s(
        "maintenance window day of week",
        MAINT,
        "properties/maintenanceWindow/schedule/weekly/dayOfWeek",
        at(TF_MAINT, "day_of_week"),
    ),
    s(
        "maintenance window start",
        MAINT,
        "properties/maintenanceWindow/startTime",
        at(TF_MAINT, "start_time"),
    ),
    s(
        "maintenance window hours",
        MAINT,
        "properties/maintenanceWindow/durationHours",
        at(TF_MAINT, "duration"),
    ),
    s(
        "maintenance window UTC offset",
        MAINT,
        "properties/maintenanceWindow/utcOffset",
        at(TF_MAINT, "utc_offset"),
    ),
    s(
        "Key Vault purge protection",
        KV,
        "properties/enablePurgeProtection",
        at(TF_KV, "purge_protection_enabled"),
    ),
    // Not expressible: azurerm 4.x always enables soft delete.
    s(
        "Key Vault soft delete",
        KV,
        "properties/enableSoftDelete",
        Tf::Implied { via: TF_KV },
    ),
    s(
        "Key Vault soft delete days",
        KV,
        "properties/softDeleteRetentionInDays",
        at(TF_KV, "soft_delete_retention_days"),
    ),
    s(
        "Key Vault RBAC",
        KV,
        "properties/enableRbacAuthorization",
        at(TF_KV, "rbac_authorization_enabled"),
    ),
    s(
        "Key Vault public access",
        KV,
        "properties/publicNetworkAccess",
        atn(TF_KV, "public_network_access_enabled", enabled_disabled),
    ),
    s(
        "Key Vault network default action",
        KV,
        "properties/networkAcls/defaultAction",
        at(TF_KV, "network_acls[0].default_action"),
    ),
    s(
        "Key Vault network bypass",
        KV,
        "properties/networkAcls/bypass",
        at(TF_KV, "network_acls[0].bypass"),
    ),
    s("ACR SKU", ACR, "sku/name", at(TF_ACR, "sku")),
    s(
        "ACR admin user",
        ACR,
        "properties/adminUserEnabled",
        at(TF_ACR, "admin_enabled"),
    ),
    s(
        "ACR public access",
        ACR,
        "properties/publicNetworkAccess",
        atn(TF_ACR, "public_network_access_enabled", enabled_disabled),
    ),
    s(
        "ACR anonymous pull",
        ACR,
        "properties/anonymousPullEnabled",
        at(TF_ACR, "anonymous_pull_enabled"),
    ),
    s(
        "ACR retention",
        ACR,
        "properties/policies/retentionPolicy/days",
        at(TF_ACR, "retention_policy_in_days"),
    ),
    s(
        "ACR export",
        ACR,
        "properties/policies/exportPolicy/status",
        atn(TF_ACR, "export_policy_enabled", lower_enabled_disabled),
    ),
    s(
        "ACR quarantine",
        ACR,
        "properties/policies/quarantinePolicy/status",
        atn(TF_ACR, "quarantine_policy_enabled", lower_enabled_disabled),
    ),
    s(
        "firewall threat intel",
        FWP,
        "properties/threatIntelMode",
        at(TF_FWP, "threat_intelligence_mode"),
    ),
    s(
        "firewall IDPS",
        FWP,
        "properties/intrusionDetection/mode",
        at(TF_FWP, "intrusion_detection[0].mode"),
    ),
    s(
        "firewall DNS proxy",
        FWP,
        "properties/dnsSettings/enableProxy",
        at(TF_FWP, "dns[0].proxy_enabled"),
    ),
    s(
        "firewall tier",
        FWP,
        "properties/sku/tier",
        at(TF_FWP, "sku"),
    ),
    s(
        "route 0/0 next hop",
        RT,
        "properties/routes/0/properties/nextHopIpAddress",
        at(TF_RT, "route[0].next_hop_in_ip_address"),
    ),
    s(
        "route 0/0 next hop type",
        RT,
        "properties/routes/0/properties/nextHopType",
        at(TF_RT, "route[0].next_hop_type"),
    ),
    s(
        "BGP propagation off",
        RT,
        "properties/disableBgpRoutePropagation",
        atn(TF_RT, "bgp_route_propagation_enabled", not),
    ),
    s(
        "allowed images",
        POLICY,
        "properties/parameters/allowedContainerImagesRegex/value",
        Tf::Custom {
            via: TF_POLICY,
            what: "parameters (a JSON string) .allowedContainerImagesRegex.value",
            read: policy_parameter::<0>,
        },
    ),
    s(
        "policy effect",
        POLICY,
        "properties/parameters/effect/value",
        Tf::Custom {
            via: TF_POLICY,
            what: "parameters (a JSON string) .effect.value",
            read: policy_parameter::<1>,
        },
    ),
    s(
        "container CPU limit",
        POLICY,
        "properties/parameters/cpuLimit/value",
        Tf::Custom {
            via: TF_POLICY,
            what: "parameters (a JSON string) .cpuLimit.value",
            read: policy_parameter::<2>,
        },
    ),
    s(
        "namespace default ingress",
        AKS_NAMESPACE,
        "properties/defaultNetworkPolicy/ingress",
        at(AZAPI, "properties.defaultNetworkPolicy.ingress"),
    ),
    s(
        "namespace quota CPU limit",
        AKS_NAMESPACE,
        "properties/defaultResourceQuota/cpuLimit",
        at(AZAPI, "properties.defaultResourceQuota.cpuLimit"),
    ),
    s(
        "namespace pod security",
        AKS_NAMESPACE,
        "properties/labels",
        at(AZAPI, "properties.labels"),
    ),
    s(
        "NSG lateral SSH/RDP deny",
        NSG,
        "properties/securityRules/1/properties/destinationPortRanges",
        at(TF_NSG, "security_rule[1].destination_port_ranges"),
    ),
    s(
        "NSG lateral deny destination",
        NSG,
        "properties/securityRules/1/properties/destinationAddressPrefix",
        at(TF_NSG, "security_rule[1].destination_address_prefix"),
    ),
    s(
        "managed Prometheus",
        AKS,
        "properties/azureMonitorProfile/metrics/enabled",
        atn(TF_AKS, "monitor_metrics", present),
    ),
    s(
        "Container Insights log filter",
        DCR,
        "properties/dataSources/extensions/0/extensionSettings/dataCollectionSettings/namespaceFilteringMode",
        at(
            AZAPI,
            "properties.dataSources.extensions[0].extensionSettings.dataCollectionSettings.namespaceFilteringMode",
        ),
    ),
    s(
        "Prometheus destination",
        DCR,
        "properties/dataFlows/0/destinations",
        at(AZAPI, "properties.dataFlows[0].destinations"),
    ),
    s(
        "Azure Monitor workspace public access",
        MONITOR_ACCOUNT,
        "properties/publicNetworkAccess",
        at(AZAPI, "properties.publicNetworkAccess"),
    ),
    s(
        "alert receivers",
        ACTION_GROUP,
        "properties/emailReceivers",
        at(AZAPI, "properties.emailReceivers"),
    ),
    s(
        "Prometheus first rule",
        PROM_RULES,
        "properties/rules/0/expression",
        at(AZAPI, "properties.rules[0].expression"),
    ),
    s(
        "Prometheus rule scope cluster",
        PROM_RULES,
        "properties/clusterName",
        at(AZAPI, "properties.clusterName"),
    ),
    s(
        "cluster health alert",
        ACTIVITY_ALERT,
        "properties/condition",
        at(AZAPI, "properties.condition"),
    ),
    s(
        "log alert query",
        QUERY_ALERT,
        "properties/criteria/allOf/0/query",
        at(AZAPI, "properties.criteria.allOf[0].query"),
    ),
    s(
        "workspace replication",
        LAW,
        "properties/replication/location",
        Tf::Azapi {
            via: TF_LAW,
            target: "",
            path: "properties.replication.location",
        },
    ),
    // Every diagnostic setting, the cluster's control plane logs among them.
    Setting {
        arm: arm_categories,
        ..s(
            "diagnostic log categories",
            DIAG,
            "properties/logs",
            atn(TF_DIAG, "enabled_log", tf_categories),
        )
    },
    Setting {
        arm: arm_categories,
        ..s(
            "diagnostic metric categories",
            DIAG,
            "properties/metrics",
            atn(TF_DIAG, "enabled_metric", tf_categories),
        )
    },
    s(
        "diagnostic destination table",
        DIAG,
        "properties/logAnalyticsDestinationType",
        at(TF_DIAG, "log_analytics_destination_type"),
    ),
    // The operators' path and the ingress.
    s("Bastion SKU", BASTION, "sku/name", at(TF_BASTION, "sku")),
    s(
        "Bastion tunnelling",
        BASTION,
        "properties/enableTunneling",
        at(TF_BASTION, "tunneling_enabled"),
    ),
    s(
        "Bastion IP connect",
        BASTION,
        "properties/enableIpConnect",
        at(TF_BASTION, "ip_connect_enabled"),
    ),
    s(
        "Bastion shareable links",
        BASTION,
        "properties/enableShareableLink",
        at(TF_BASTION, "shareable_link_enabled"),
    ),
    s(
        "WAF mode",
        WAF,
        "properties/policySettings/mode",
        at(TF_WAF, "policy_settings[0].mode"),
    ),
    s(
        "WAF request body check",
        WAF,
        "properties/policySettings/requestBodyCheck",
        at(TF_WAF, "policy_settings[0].request_body_check"),
    ),
    s(
        "WAF rule set",
        WAF,
        "properties/managedRules/managedRuleSets/0/ruleSetType",
        at(TF_WAF, "managed_rules[0].managed_rule_set[0].type"),
    ),
    s(
        "WAF rule set version",
        WAF,
        "properties/managedRules/managedRuleSets/0/ruleSetVersion",
        at(TF_WAF, "managed_rules[0].managed_rule_set[0].version"),
    ),
    s(
        "WAF bot manager",
        WAF,
        "properties/managedRules/managedRuleSets/1/ruleSetType",
        at(TF_WAF, "managed_rules[0].managed_rule_set[1].type"),
    ),
    s(
        "gateway SKU",
        AGW,
        "properties/sku/tier",
        at(TF_AGW, "sku[0].tier"),
    ),
    s(
        "gateway TLS policy",
        AGW,
        "properties/sslPolicy/policyName",
        at(TF_AGW, "ssl_policy[0].policy_name"),
    ),
    s(
        "gateway TLS policy type",
        AGW,
        "properties/sslPolicy/policyType",
        at(TF_AGW, "ssl_policy[0].policy_type"),
    ),
    s(
        "gateway listener protocol",
        AGW,
        "properties/httpListeners/0/properties/protocol",
        at(TF_AGW, "http_listener[0].protocol"),
    ),
    s(
        "gateway redirect listener protocol",
        AGW,
        "properties/httpListeners/1/properties/protocol",
        at(TF_AGW, "http_listener[1].protocol"),
    ),
    s(
        "gateway redirect type",
        AGW,
        "properties/redirectConfigurations/0/properties/redirectType",
        at(TF_AGW, "redirect_configuration[0].redirect_type"),
    ),
    s(
        "gateway certificate",
        AGW,
        "properties/sslCertificates/0/properties/keyVaultSecretId",
        at(TF_AGW, "ssl_certificate[0].key_vault_secret_id"),
    ),
    s(
        "gateway backend address",
        AGW,
        "properties/backendAddressPools/0/properties/backendAddresses/0/ipAddress",
        at(TF_AGW, "backend_address_pool[0].ip_addresses[0]"),
    ),
    s(
        "NSG first rule",
        NSG,
        "properties/securityRules/0/name",
        at(TF_NSG, "security_rule[0].name"),
    ),
    s(
        "NSG first rule access",
        NSG,
        "properties/securityRules/0/properties/access",
        at(TF_NSG, "security_rule[0].access"),
    ),
    s(
        "NSG first rule source",
        NSG,
        "properties/securityRules/0/properties/sourceAddressPrefix",
        at(TF_NSG, "security_rule[0].source_address_prefix"),
    ),
    s(
        "NSG first rule sources",
        NSG,
        "properties/securityRules/0/properties/sourceAddressPrefixes",
        at(TF_NSG, "security_rule[0].source_address_prefixes"),
    ),
    s(
        "NSG first rule port",
        NSG,
        "properties/securityRules/0/properties/destinationPortRange",
        at(TF_NSG, "security_rule[0].destination_port_range"),
    ),
    s(
        "NSG first rule ports",
        NSG,
        "properties/securityRules/0/properties/destinationPortRanges",
        at(TF_NSG, "security_rule[0].destination_port_ranges"),
    ),
    s(
        "DNS zone link registration",
        DNS_LINK,
        "properties/registrationEnabled",
        at(TF_LINK, "registration_enabled"),
    ),
    // Every application rule with its sources and destinations: the FQDN tag, the add-ons', the
    // operators' and, with GitOps, Flux's.
    Setting {
        arm: arm_application_rules,
        ..s(
            "firewall application rules",
            RCG,
            "properties/ruleCollections",
            atn(TF_RCG, "application_rule_collection", tf_application_rules),
        )
    },
    // GitOps: the Flux extension and its configuration.
    s(
        "Flux extension type",
        K8S_EXTENSION,
        "properties/extensionType",
        at(TF_EXTENSION, "extension_type"),
    ),
    s(
        "Flux release namespace",
        K8S_EXTENSION,
        "properties/scope/cluster/releaseNamespace",
        at(TF_EXTENSION, "release_namespace"),
    ),
    s(
        "Flux release train",
        K8S_EXTENSION,
        "properties/releaseTrain",
        at(TF_EXTENSION, "release_train"),
    ),
    // Not expressible: azurerm takes new minor versions unless `version` pins one.
    s(
        "Flux minor upgrades",
        K8S_EXTENSION,
        "properties/autoUpgradeMinorVersion",
        Tf::Implied { via: TF_EXTENSION },
    ),
    s(
        "GitOps scope",
        FLUX,
        "properties/scope",
        at(TF_FLUX, "scope"),
    ),
    s(
        "GitOps namespace",
        FLUX,
        "properties/namespace",
        at(TF_FLUX, "namespace"),
    ),
    s(
        "GitOps suspended",
        FLUX,
        "properties/suspend",
        atn(TF_FLUX, "continuous_reconciliation_enabled", not),
    ),
    s(
        "GitOps repository",
        FLUX,
        "properties/gitRepository/url",
        at(TF_FLUX, "git_repository[0].url"),
    ),
    s(
        "GitOps branch",
        FLUX,
        "properties/gitRepository/repositoryRef/branch",
        at(TF_FLUX, "git_repository[0].reference_value"),
    ),
    s(
        "GitOps credentials secret",
        FLUX,
        "properties/gitRepository/localAuthRef",
        at(TF_FLUX, "git_repository[0].local_auth_reference"),
    ),
    s(
        "GitOps path",
        FLUX,
        "properties/kustomizations/cluster/path",
        at(TF_FLUX, "kustomizations[0].path"),
    ),
    s(
        "GitOps prune",
        FLUX,
        "properties/kustomizations/cluster/prune",
        at(TF_FLUX, "kustomizations[0].garbage_collection_enabled"),
    ),
    s(
        "GitOps sync interval",
        FLUX,
        "properties/kustomizations/cluster/syncIntervalInSeconds",
        at(TF_FLUX, "kustomizations[0].sync_interval_in_seconds"),
    ),
];

// Normalisations: each maps a spelling to the one compared.

/// A parameter of a policy assignment, which azurerm carries as a JSON string.
fn policy_parameter<const N: usize>(r: &Res) -> Option<Value> {
    const NAMES: [&str; 3] = ["allowedContainerImagesRegex", "effect", "cpuLimit"];
    let text = r.body["parameters"].as_str()?;
    let params: Value = serde_json::from_str(text).ok()?;
    params[NAMES[N]].get("value").cloned()
}

fn same(v: Option<&Value>) -> Option<Value> {
    v.cloned()
}

fn not(v: Option<&Value>) -> Option<Value> {
    v.map(|v| v.as_bool().map_or_else(|| v.clone(), |b| json!(!b)))
}

fn present(v: Option<&Value>) -> Option<Value> {
    v.map(|_| json!(true))
}

fn bool_text(v: Option<&Value>) -> Option<Value> {
    v.map(|v| {
        v.as_bool()
            .map_or_else(|| v.clone(), |b| json!(b.to_string()))
    })
}

fn enabled_disabled(v: Option<&Value>) -> Option<Value> {
    v.map(|v| {
        v.as_bool().map_or_else(
            || v.clone(),
            |b| json!(if b { "Enabled" } else { "Disabled" }),
        )
    })
}

fn lower_enabled_disabled(v: Option<&Value>) -> Option<Value> {
    v.map(|v| {
        v.as_bool().map_or_else(
            || v.clone(),
            |b| json!(if b { "enabled" } else { "disabled" }),
        )
    })
}

#[allow(clippy::unnecessary_wraps, reason = "a Norm, like the others")]
fn or_none(v: Option<&Value>) -> Option<Value> {
    Some(v.cloned().unwrap_or_else(|| json!("none")))
}

fn lowercase(v: Option<&Value>) -> Option<Value> {
    v.map(|v| {
        v.as_str()
            .map_or_else(|| v.clone(), |s| json!(s.to_lowercase()))
    })
}

/// A cluster's private DNS zone: `system` and `none` as they are (any case), a zone of its own as
/// the zone's name, whichever way the format refers to it (ARM `resourceId(...)`, a Bicep symbol,
/// a Terraform address); the zones themselves are compared as resources.
fn zone_mode(v: Option<&Value>) -> Option<Value> {
    let v = lowercase(v)?;
    let s = v.as_str().unwrap_or_default();
    Some(if s == "system" || s == "none" {
        v.clone()
    } else {
        json!("a zone of its own")
    })
}

/// ARM's schedule object (`{"weekly": …}`) as azurerm's frequency (`Weekly`).
fn frequency(v: Option<&Value>) -> Option<Value> {
    let kind = v?.as_object()?.keys().next()?;
    let mut chars = kind.chars();
    let first = chars.next()?.to_ascii_uppercase();
    Some(json!(format!("{first}{}", chars.as_str())))
}

/// ARM's enabled log or metric entries as sorted `category` / `group:categoryGroup` names.
fn arm_categories(v: Option<&Value>) -> Option<Value> {
    let items = v?.as_array()?;
    let mut out: Vec<String> = items
        .iter()
        .filter(|x| x["enabled"] == json!(true))
        .map(|x| category(&x["category"], &x["categoryGroup"]))
        .collect();
    out.sort();
    Some(json!(out))
}

/// azurerm's `enabled_log` / `enabled_metric` blocks, spelled as [`arm_categories`].
fn tf_categories(v: Option<&Value>) -> Option<Value> {
    let items = v?.as_array()?;
    let mut out: Vec<String> = items
        .iter()
        .map(|x| category(&x["category"], &x["category_group"]))
        .collect();
    out.sort();
    Some(json!(out))
}

/// One application rule as `name: sources -> FQDNs | FQDN tags`.
fn application_rule(name: &Value, sources: &Value, fqdns: &Value, tags: &Value) -> String {
    let list = |v: &Value| {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("<not a string>"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default()
    };
    format!(
        "{}: {} -> {} | {}",
        name.as_str().unwrap_or_default(),
        list(sources),
        list(fqdns),
        list(tags)
    )
}

/// ARM's rule collections' application rules, sorted.
fn arm_application_rules(v: Option<&Value>) -> Option<Value> {
    let mut out: Vec<String> = v?
        .as_array()?
        .iter()
        .flat_map(|c| c["rules"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["ruleType"] == json!("ApplicationRule"))
        .map(|r| {
            application_rule(
                &r["name"],
                &r["sourceAddresses"],
                &r["targetFqdns"],
                &r["fqdnTags"],
            )
        })
        .collect();
    out.sort();
    Some(json!(out))
}

/// azurerm's `application_rule_collection` blocks, spelled as [`arm_application_rules`].
fn tf_application_rules(v: Option<&Value>) -> Option<Value> {
    let mut out: Vec<String> = v?
        .as_array()?
        .iter()
        .flat_map(|c| c["rule"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            application_rule(
                &r["name"],
                &r["source_addresses"],
                &r["destination_fqdns"],
                &r["destination_fqdn_tags"],
            )
        })
        .collect();
    out.sort();
    Some(json!(out))
}

fn category(category: &Value, group: &Value) -> String {
    match (category.as_str(), group.as_str()) {
        (Some(c), _) => c.to_string(),
        (None, Some(g)) => format!("group:{g}"),
        (None, None) => "<neither category nor group>".to_string(),
    }
}

/// The default pool's taints: the CriticalAddonsOnly switch, or all of them in its azapi update.
fn default_pool_taints(pool: &Value, azapi: Option<&Value>) -> Option<Value> {
    if let Some(t) = azapi.and_then(|b| tf_lookup(b, "properties.nodeTaints")) {
        return Some(t.clone());
    }
    (pool["only_critical_addons_enabled"] == json!(true)).then(|| json!([CRITICAL_ONLY]))
}

fn system_taints(r: &Res) -> Option<Value> {
    let pool = &r.body["default_node_pool"][0];
    let name = pool["name"].as_str().unwrap_or_default();
    default_pool_taints(pool, r.azapi.get(&format!("/agentPools/{name}")))
}

fn pool_taints(r: &Res) -> Option<Value> {
    if r.origin == TF_DEFAULT_POOL {
        default_pool_taints(&r.body, r.azapi.get(""))
    } else {
        r.body.get("node_taints").filter(|v| !v.is_null()).cloned()
    }
}

fn pool_mode(r: &Res) -> Option<Value> {
    if r.origin == TF_DEFAULT_POOL {
        Some(json!("System"))
    } else {
        r.body.get("mode").cloned()
    }
}

fn step<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) => o.get(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

/// A `/`-separated ARM path.
fn lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(v, step)
}

/// A Terraform path: `block[0].attribute` (also `properties.x` in an azapi body).
fn tf_lookup<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .flat_map(|seg| match seg.split_once('[') {
            Some((k, i)) => vec![k, i.trim_end_matches(']')],
            None => vec![seg],
        })
        .try_fold(v, step)
}

/// The value azurerm always sends for a setting it cannot express, from the translation's list.
fn implied(st: &Setting) -> Value {
    let path = st.path.replace('/', ".");
    let gap = NOT_EXPRESSIBLE
        .iter()
        .find(|g| g.rtype == st.rtype && g.path == path)
        .unwrap_or_else(|| {
            panic!(
                "{:?}: {} {path} is not in the translation's NOT_EXPRESSIBLE",
                st.name, st.rtype
            )
        });
    let only = gap
        .only
        .unwrap_or_else(|| panic!("{:?}: NOT_EXPRESSIBLE allows any value", st.name));
    serde_json::from_str(only).unwrap_or_else(|_| json!(only))
}

/// The setting as azurerm carries it, in ARM's spelling.
fn tf_value(st: &Setting, r: &Res) -> Option<Value> {
    let via = st.tf.via();
    let reads = match &st.tf {
        Tf::Custom { what, .. } => what,
        _ => via,
    };
    assert!(
        via.split(" | ").any(|o| o == r.origin),
        "setting {:?}: Terraform realises {} {} as {}, which the row does not read (it reads {reads})",
        st.name,
        r.rtype,
        r.name,
        r.origin
    );
    match &st.tf {
        Tf::At { path, norm, .. } => norm(tf_lookup(&r.body, path).filter(|v| !v.is_null())),
        Tf::Azapi { target, path, .. } => {
            let default = r.body["default_node_pool"][0]["name"]
                .as_str()
                .unwrap_or_default();
            let target = target.replace("{default}", default);
            r.azapi
                .get(&target)
                .and_then(|b| tf_lookup(b, path))
                .cloned()
        }
        Tf::Custom { read, .. } => read(r),
        Tf::Implied { .. } => Some(implied(st)),
    }
}

/// How a format is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// ARM bodies: ARM and Bicep.
    Arm,
    /// azurerm resources.
    Terraform,
}

/// One format read back.
struct Read {
    format: &'static str,
    reader: Reader,
    res: Vec<Res>,
}

/// Setting values per (setting, resource name), as comparable strings.
fn settings(read: &Read) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for st in SETTINGS {
        for r in read.res.iter().filter(|r| r.rtype == st.rtype) {
            let v = match read.reader {
                Reader::Arm => (st.arm)(lookup(&r.body, st.path)),
                Reader::Terraform => tf_value(st, r),
            };
            let v = v.map_or_else(|| "<absent>".to_string(), |v| v.to_string());
            let prev = out.insert((st.name.to_string(), r.name.clone()), v);
            assert!(
                prev.is_none(),
                "{}: two {} resources are known as {}",
                read.format,
                st.rtype,
                r.name
            );
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

/// A built-in profile, or an estate file of `tests/fixtures/valid`.
fn estate(name: &str) -> Estate {
    if std::path::Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        load_file(&support::root().join("tests/fixtures/valid").join(name)).unwrap()
    } else {
        load_profile(name).unwrap()
    }
}

fn rendered(profile: &str) -> Files {
    render(&estate(profile), Format::IMPLEMENTED).unwrap()
}

/// Every implemented format read back; ARM first.
fn read(files: &Files) -> Vec<Read> {
    let mut out = vec![Read {
        format: "arm",
        reader: Reader::Arm,
        res: arm_resources(&files["arm/main.json"]),
    }];
    if Format::IMPLEMENTED.contains(&Format::Bicep) {
        out.push(Read {
            format: "bicep",
            reader: Reader::Arm,
            res: bicep_resources(files),
        });
    }
    if Format::IMPLEMENTED.contains(&Format::Terraform) {
        out.push(Read {
            format: "terraform",
            reader: Reader::Terraform,
            res: tf_resources(files),
        });
    }
    out
}

fn formats(profile: &str) -> Vec<Read> {
    read(&rendered(profile))
}

/// A difference between ARM and another format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Diff {
    Kind {
        profile: String,
        kind: String,
        formats: (&'static str, &'static str),
        names: (Vec<String>, Vec<String>),
    },
    Setting {
        profile: String,
        setting: String,
        resource: String,
        formats: (&'static str, &'static str),
        values: (String, String),
    },
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diff::Kind {
                profile,
                kind,
                formats: (a, b),
                names: (x, y),
            } => write!(
                f,
                "{profile}: {kind} differs between {a} and {b}: {a} {x:?}, {b} {y:?}"
            ),
            Diff::Setting {
                profile,
                setting,
                resource,
                formats: (a, b),
                values: (x, y),
            } => write!(
                f,
                "{profile}: setting {setting:?} on {resource} differs between {a} and {b}: {a} {x}, {b} {y}"
            ),
        }
    }
}

/// Every difference between ARM (the first format) and the others.
fn differences(profile: &str, reads: &[Read]) -> Vec<Diff> {
    let base = &reads[0];
    let base_inv = inventory(&base.res);
    let base_set = settings(base);
    let mut out = Vec::new();
    for other in &reads[1..] {
        let formats = (base.format, other.format);
        let inv = inventory(&other.res);
        let kinds: BTreeSet<&str> = match other.reader {
            Reader::Arm => base_inv
                .keys()
                .chain(inv.keys())
                .map(String::as_str)
                .collect(),
            Reader::Terraform => KINDS.iter().copied().collect(),
        };
        for kind in kinds {
            let (a, b) = (base_inv.get(kind), inv.get(kind));
            if a != b {
                out.push(Diff::Kind {
                    profile: profile.to_string(),
                    kind: kind.to_string(),
                    formats,
                    names: (
                        a.cloned().unwrap_or_default(),
                        b.cloned().unwrap_or_default(),
                    ),
                });
            }
        }
        let set = settings(other);
        for key in base_set.keys().chain(set.keys()).collect::<BTreeSet<_>>() {
            let missing = "<missing>".to_string();
            let (a, b) = (
                base_set.get(key).unwrap_or(&missing),
                set.get(key).unwrap_or(&missing),
            );
            if a != b {
                out.push(Diff::Setting {
                    profile: profile.to_string(),
                    setting: key.0.clone(),
                    resource: key.1.clone(),
                    formats,
                    values: (a.clone(), b.clone()),
                });
            }
        }
    }
    out
}

#[test]
fn settings_table_is_large_enough_and_covers_every_profile() {
    assert!(
        SETTINGS.len() >= 53,
        "the parity table has {} settings",
        SETTINGS.len()
    );
    let names: BTreeSet<&str> = SETTINGS.iter().map(|st| st.name).collect();
    assert_eq!(names.len(), SETTINGS.len(), "setting names are unique");
    let mut carried: BTreeSet<&str> = BTreeSet::new();
    for profile in PROFILES {
        let reads = formats(profile);
        let table = settings(&reads[0]);
        for st in SETTINGS {
            let has_kind = reads[0].res.iter().any(|r| r.rtype == st.rtype);
            // Bastion and the Application Gateway exist only where the profile plans them.
            assert!(
                !has_kind || table.keys().any(|(n, _)| n == st.name),
                "{profile}: no {} resource carries {:?}",
                st.rtype,
                st.name
            );
            if has_kind {
                carried.insert(st.name);
            }
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
        // Both maintenance schedules, and the cluster's control plane logs, are compared.
        let cluster = reads[0]
            .res
            .iter()
            .find(|r| r.rtype == AKS)
            .expect("a cluster")
            .name
            .clone();
        for key in [
            (
                "maintenance window day of week",
                format!("{cluster}/aksManagedAutoUpgradeSchedule"),
            ),
            (
                "maintenance window day of week",
                format!("{cluster}/aksManagedNodeOSUpgradeSchedule"),
            ),
            (
                "diagnostic log categories",
                format!("{cluster}:to-log-analytics"),
            ),
        ] {
            let v = table.get(&(key.0.to_string(), key.1.clone()));
            assert!(
                v.is_some_and(|v| v != "<absent>" && v != "[]"),
                "{profile}: {} on {} is {v:?}",
                key.0,
                key.1
            );
        }
    }
    for st in SETTINGS {
        assert!(
            carried.contains(st.name),
            "no profile carries {:?}",
            st.name
        );
    }
}

#[test]
fn the_terraform_comparison_is_explicit_about_kinds() {
    for kind in REQUIRED_KINDS {
        assert!(KINDS.contains(kind), "{kind} is not compared for Terraform");
    }
    for r in REALISES {
        assert!(
            KINDS.contains(&r.kind),
            "{} realises {}, not compared",
            r.tf,
            r.kind
        );
    }
    for (_, _, kind) in FOLDED {
        assert!(KINDS.contains(kind), "{kind} is folded, not compared");
    }
    let mut seen = BTreeSet::new();
    for profile in PROFILES {
        let reads = formats(profile);
        for r in &reads[0].res {
            assert!(
                KINDS.contains(&r.rtype.as_str()),
                "{profile}: ARM renders {}, which the Terraform comparison leaves out",
                r.rtype
            );
            seen.insert(r.rtype.clone());
        }
    }
    // The comparison is not vacuous: the profiles render every required kind.
    for kind in REQUIRED_KINDS {
        assert!(seen.contains(*kind), "no profile renders {kind}");
    }
}

#[test]
fn every_format_has_the_same_resources_and_settings() {
    let mut all = Vec::new();
    for profile in PROFILES {
        let reads = formats(profile);
        assert!(
            reads.iter().any(|r| r.reader == Reader::Terraform),
            "Terraform is compared"
        );
        all.extend(differences(profile, &reads));
    }
    let text: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert!(all.is_empty(), "{}", text.join("\n"));
}

// ---------------------------------------------------------------- the comparison can fail

/// The rendered files of a profile with one change to every Terraform file, as an emitter bug
/// would make it, read back.
fn mutated(profile: &str, change: fn(&mut Value)) -> Vec<Read> {
    let mut files = rendered(profile);
    for (path, text) in &mut files {
        if path.starts_with("terraform/") && path.ends_with(".tf.json") {
            let mut doc: Value = serde_json::from_str(text).unwrap();
            change(&mut doc);
            *text = serde_json::to_string_pretty(&doc).unwrap();
        }
    }
    read(&files)
}

/// Each block of one Terraform type in a file.
fn each_block(doc: &mut Value, ty: &str, f: impl Fn(&mut Value)) {
    if let Some(blocks) = doc
        .pointer_mut(&format!("/resource/{ty}"))
        .and_then(Value::as_object_mut)
    {
        for body in blocks.values_mut() {
            f(body);
        }
    }
}

fn private_cluster_off(doc: &mut Value) {
    each_block(doc, "azurerm_kubernetes_cluster", |b| {
        b["private_cluster_enabled"] = json!(false);
    });
}

fn vault_public(doc: &mut Value) {
    each_block(doc, "azurerm_key_vault", |b| {
        b["public_network_access_enabled"] = json!(true);
    });
}

fn system_pool_ssh(doc: &mut Value) {
    each_block(doc, "azapi_update_resource", |b| {
        if b["resource_id"]
            .as_str()
            .is_some_and(|id| id.ends_with("/agentPools/system"))
        {
            b["body"]["properties"]["securityProfile"]["sshAccess"] = json!("LocalUser");
        }
    });
}

fn node_os_window_moved(doc: &mut Value) {
    each_block(doc, "azurerm_kubernetes_cluster", |b| {
        b["maintenance_window_node_os"][0]["day_of_week"] = json!("Monday");
    });
}

fn cluster_audit_log_dropped(doc: &mut Value) {
    each_block(doc, "azurerm_monitor_diagnostic_setting", |b| {
        if b["target_resource_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("${azurerm_kubernetes_cluster."))
        {
            b["enabled_log"]
                .as_array_mut()
                .unwrap()
                .retain(|l| l["category"] != json!("kube-audit-admin"));
        }
    });
}

fn node_pools_dropped(doc: &mut Value) {
    if let Some(resources) = doc["resource"].as_object_mut() {
        resources.remove("azurerm_kubernetes_cluster_node_pool");
        // The pools' azapi updates go with them.
        if let Some(updates) = resources
            .get_mut("azapi_update_resource")
            .and_then(Value::as_object_mut)
        {
            updates.retain(|_, b| {
                !b["resource_id"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("${azurerm_kubernetes_cluster_node_pool.")
            });
        }
    }
}

fn flux_branch_moved(doc: &mut Value) {
    each_block(doc, "azurerm_kubernetes_flux_configuration", |b| {
        b["git_repository"][0]["reference_value"] = json!("develop");
    });
}

fn gitops_rule_widened(doc: &mut Value) {
    each_block(doc, "azurerm_firewall_policy_rule_collection_group", |b| {
        for c in b["application_rule_collection"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            for r in c["rule"].as_array_mut().into_iter().flatten() {
                if r["name"] == json!("gitops-prod") {
                    r["destination_fqdns"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!("*.blob.core.windows.net"));
                }
            }
        }
    });
}

/// A change to the Terraform, the setting it changes and the resource that carries it.
type GitopsCase = (fn(&mut Value), &'static str, &'static str);

/// The GitOps rows can fail: a branch or a firewall rule Terraform changes is reported on the
/// setting, the resource and the formats.
#[test]
fn a_gitops_difference_is_reported() {
    let profile = "prod-gitops.json";
    assert_eq!(
        differences(profile, &formats(profile)),
        [],
        "{profile} starts out equal"
    );
    let cases: [GitopsCase; 2] = [
        (
            flux_branch_moved,
            "GitOps branch",
            "aks-contoso-prod:cluster-config",
        ),
        (
            gitops_rule_widened,
            "firewall application rules",
            "afwp-contoso-hub/aks-egress",
        ),
    ];
    for (change, setting, resource) in cases {
        let diffs = differences(profile, &mutated(profile, change));
        let got: Vec<(String, String)> = diffs
            .iter()
            .map(|d| match d {
                Diff::Setting {
                    setting, resource, ..
                } => (setting.clone(), resource.clone()),
                Diff::Kind { .. } => panic!("only settings differ: {d}"),
            })
            .collect();
        assert_eq!(
            got,
            [(setting.to_string(), resource.to_string())],
            "{diffs:#?}"
        );
    }
}

/// A change to the Terraform, and the (setting, resource) differences it must cause.
type Case = (fn(&mut Value), Vec<(&'static str, String)>);

#[test]
fn a_terraform_difference_is_reported_by_setting_resource_and_formats() {
    let profile = "prod";
    let clean = formats(profile);
    assert_eq!(
        differences(profile, &clean),
        [],
        "{profile} starts out equal"
    );
    let arm = &clean[0].res;
    let one = |kind: &str| {
        let found: Vec<&str> = arm
            .iter()
            .filter(|r| r.rtype == kind)
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(found.len(), 1, "{profile} has one {kind}");
        found[0].to_string()
    };
    let cluster = one(AKS);
    let vault = one(KV);
    let cases: [Case; 5] = [
        (
            private_cluster_off,
            vec![("private cluster", cluster.clone())],
        ),
        (vault_public, vec![("Key Vault public access", vault)]),
        (
            system_pool_ssh,
            vec![
                ("pool SSH", format!("{cluster}/system")),
                ("system pool SSH", cluster.clone()),
            ],
        ),
        (
            node_os_window_moved,
            vec![(
                "maintenance window day of week",
                format!("{cluster}/aksManagedNodeOSUpgradeSchedule"),
            )],
        ),
        (
            cluster_audit_log_dropped,
            vec![(
                "diagnostic log categories",
                format!("{cluster}:to-log-analytics"),
            )],
        ),
    ];
    for (change, expected) in cases {
        let diffs = differences(profile, &mutated(profile, change));
        let mut got = Vec::new();
        for d in &diffs {
            let Diff::Setting {
                setting,
                resource,
                formats,
                ..
            } = d
            else {
                panic!("only settings differ: {d}");
            };
            assert_eq!(*formats, ("arm", "terraform"), "{d}");
            let text = d.to_string();
            for part in [setting.as_str(), resource.as_str(), "arm", "terraform"] {
                assert!(text.contains(part), "{text:?} names {part}");
            }
            got.push((setting.as_str(), resource.clone()));
        }
        got.sort();
        assert_eq!(got, expected, "{diffs:#?}");
    }

    // A pool Terraform leaves out is missing from the inventory, and its settings with it.
    let diffs = differences(profile, &mutated(profile, node_pools_dropped));
    let user = format!("{cluster}/user");
    assert!(
        diffs.iter().any(|d| matches!(
            d,
            Diff::Kind { kind, formats: ("arm", "terraform"), names: (a, b), .. }
                if kind == POOL && a.contains(&user) && !b.contains(&user)
        )),
        "{diffs:#?}"
    );
    for d in &diffs {
        match d {
            Diff::Kind { kind, .. } => assert_eq!(kind, POOL, "{d}"),
            Diff::Setting {
                resource, values, ..
            } => {
                assert_eq!(*resource, user, "{d}");
                assert_eq!(values.1, "<missing>", "{d}");
            }
        }
    }
}
