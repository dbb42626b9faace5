//! Security: the key vault and its keys (with rotation), disk encryption sets, the container
//! registry, and Defender pricings.

use super::{As, B, Flat, Item, Tx, jb, ji, js, json_or_null, scalar};
use crate::azure::types;
use serde_json::{Value as Json, json};

/// `azurerm_key_vault`, after its location (from the root).
const KEY_VAULT: &[Flat] = &[
    ("tenant_id", "properties.tenantId", As::Value),
    ("sku_name", "properties.sku.name", As::Str),
    (
        "rbac_authorization_enabled",
        "properties.enableRbacAuthorization",
        As::Bool,
    ),
    (
        "soft_delete_retention_days",
        "properties.softDeleteRetentionInDays",
        As::Int,
    ),
    (
        "purge_protection_enabled",
        "properties.enablePurgeProtection",
        As::Bool,
    ),
    (
        "enabled_for_deployment",
        "properties.enabledForDeployment",
        As::Bool,
    ),
    (
        "enabled_for_disk_encryption",
        "properties.enabledForDiskEncryption",
        As::Bool,
    ),
    (
        "enabled_for_template_deployment",
        "properties.enabledForTemplateDeployment",
        As::Bool,
    ),
    (
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        As::Enabled,
    ),
];

/// `azurerm_key_vault_key`, after its vault.
const KEY: &[Flat] = &[
    ("key_type", "kty", As::Str),
    ("key_size", "keySize", As::Int),
    ("curve", "curveName", As::Str),
    ("key_opts", "keyOps", As::Value),
];

/// `azurerm_container_registry`, after its location (from the root).
const REGISTRY: &[Flat] = &[
    ("sku", "sku.name", As::Str),
    ("admin_enabled", "properties.adminUserEnabled", As::Bool),
    (
        "anonymous_pull_enabled",
        "properties.anonymousPullEnabled",
        As::Bool,
    ),
    (
        "data_endpoint_enabled",
        "properties.dataEndpointEnabled",
        As::Bool,
    ),
    (
        "public_network_access_enabled",
        "properties.publicNetworkAccess",
        As::Enabled,
    ),
    (
        "network_rule_bypass_option",
        "properties.networkRuleBypassOptions",
        As::Str,
    ),
];

/// `P1Y`, `P30D`, `P2M`… as hours for `timeadd` (years of 365 days, months of 30).
fn iso_hours(d: &str) -> Option<u64> {
    let rest = d.strip_prefix('P')?;
    let mut hours = 0u64;
    let mut num = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        hours += n * match c {
            'Y' => 365 * 24,
            'M' => 30 * 24,
            'W' => 7 * 24,
            'D' => 24,
            _ => return None,
        };
    }
    (num.is_empty() && hours > 0).then_some(hours)
}

/// `azurerm_key_vault` with its network ACLs.
pub(super) fn key_vault(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.located(it, KEY_VAULT);
    let acls = p.get("networkAcls");
    if acls.present() {
        let mut a = B::default();
        a.put("bypass", js(acls.get("bypass").str()));
        a.put("default_action", js(acls.get("defaultAction").str()));
        let ip_rules = acls.get("ipRules");
        ip_rules.items().is_empty().then(|| ip_rules.mark());
        let ips: Vec<Json> = ip_rules
            .items()
            .iter()
            .filter_map(|r| tx.v(it, &r.get("value")))
            .collect();
        a.put("ip_rules", Some(Json::Array(ips)));
        let vnet_rules = acls.get("virtualNetworkRules");
        vnet_rules.items().is_empty().then(|| vnet_rules.mark());
        let subnets: Vec<Json> = vnet_rules
            .items()
            .iter()
            .filter_map(|r| tx.v(it, &r.get("id")))
            .collect();
        a.put("virtual_network_subnet_ids", Some(Json::Array(subnets)));
        b.put("network_acls", Some(json!([a.json()])));
    }
    tx.finish(it, b);
}

/// `azurerm_disk_encryption_set`.
pub(super) fn disk_encryption_set(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.head(it, true);
    let rotate = p.get("rotationToLatestKeyVersionEnabled").bool();
    // azurerm finds the vault from the key; with automatic rotation it wants the versionless
    // key id, where ARM takes the current version and follows rotations itself.
    p.get("activeKey.sourceVault.id").mark();
    let key = tx
        .v(it, &p.get("activeKey.keyUrl"))
        .map(|k| match (k, rotate) {
            (Json::String(s), Some(true)) => Json::String(s.replace(".id}", ".versionless_id}")),
            (k, _) => k,
        });
    b.put("key_vault_key_id", key);
    b.put("auto_key_rotation_enabled", jb(rotate));
    b.put("encryption_type", js(p.get("encryptionType").str()));
    let identity = it.root().get("identity.type");
    b.put(
        "identity",
        identity
            .str()
            .map(|t| json!([{ "type": t, "identity_ids": null }])),
    );
    tx.finish(it, b);
}

/// `azurerm_key_vault_key` with its rotation policy; the first version expires as the rotated
/// ones do.
pub(super) fn key(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.named(it);
    b.put("key_vault_id", Some(tx.parent(it, types::KV, "id")));
    tx.copy(it, &p, &mut b, KEY);
    let rp = p.get("rotationPolicy");
    let mut lifecycle = None;
    if rp.present() {
        let expiry = rp.get("attributes.expiryTime");
        let mut r = B::default();
        r.put("expire_after", js(expiry.str()));
        let mut auto = B::default();
        for a in rp.get("lifetimeActions").items() {
            let action = a.get("action.type");
            let (before, after) = (
                a.get("trigger.timeBeforeExpiry"),
                a.get("trigger.timeAfterCreate"),
            );
            if action.is("rotate") {
                auto.put("time_before_expiry", js(before.str()));
                auto.put("time_after_creation", js(after.str()));
            } else if action.is("notify") {
                r.put("notify_before_expiry", js(before.str()));
            }
        }
        if !auto.0.is_empty() {
            r.put("automatic", Some(json!([auto.json()])));
        }
        b.put("rotation_policy", Some(json!([r.json()])));
        // The first version lives as long as the rotated ones.
        if let Some(h) = expiry.v.and_then(scalar).as_deref().and_then(iso_hours) {
            b.put(
                "expiration_date",
                Some(json!(format!("${{timeadd(plantimestamp(), \"{h}h\")}}"))),
            );
            lifecycle = Some(json!({ "ignore_changes": ["expiration_date"] }));
        }
    }
    tx.tags(it, &mut b);
    b.put("lifecycle", lifecycle);
    tx.emit(it, b);
}

/// `azurerm_container_registry`: IP rules are CIDRs (`/32` for one address).
pub(super) fn registry(tx: &mut Tx, it: &Item) {
    let root = it.root();
    let p = root.get("properties");
    let mut b = tx.located(it, REGISTRY);
    let rules = p.get("networkRuleSet");
    if rules.present() {
        let ips: Vec<Json> = rules
            .get("ipRules")
            .items()
            .iter()
            .map(|r| {
                let range = tx.v(it, &r.get("value")).map(|v| match v {
                    Json::String(s) if !s.contains('/') => json!(format!("{s}/32")),
                    other => other,
                });
                json!({
                    "action": json_or_null(js(r.get("action").str())),
                    "ip_range": json_or_null(range),
                })
            })
            .collect();
        if ips.is_empty() {
            rules.get("ipRules").mark();
        }
        b.put(
            "network_rule_set",
            Some(json!([{
                "default_action": json_or_null(js(rules.get("defaultAction").str())),
                "ip_rule": ips,
            }])),
        );
    }
    let pol = p.get("policies");
    tx.copy(
        it,
        &p,
        &mut b,
        &[
            ("zone_redundancy_enabled", "zoneRedundancy", As::Enabled),
            (
                "quarantine_policy_enabled",
                "policies.quarantinePolicy.status",
                As::Enabled,
            ),
            (
                "trust_policy_enabled",
                "policies.trustPolicy.status",
                As::Enabled,
            ),
        ],
    );
    pol.get("trustPolicy.type").is("Notary");
    let retention = pol.get("retentionPolicy");
    match retention.get("status").enabled() {
        Some(true) => {
            b.put("retention_policy_in_days", ji(retention.get("days").int()));
        }
        Some(false) => retention.get("days").mark(),
        None => {}
    }
    tx.copy(
        it,
        &pol,
        &mut b,
        &[("export_policy_enabled", "exportPolicy.status", As::Enabled)],
    );
    tx.finish(it, b);
}

/// `azurerm_security_center_subscription_pricing`: the plan is the pricing's name.
pub(super) fn pricing(tx: &mut Tx, it: &Item) {
    let mut b = B::default();
    b.put("provider", tx.provider(it.d));
    b.put("resource_type", js(Some(it.name())));
    tx.copy(
        it,
        &it.root().get("properties"),
        &mut b,
        &[
            ("tier", "pricingTier", As::Str),
            ("subplan", "subPlan", As::Str),
        ],
    );
    tx.emit(it, b);
}
