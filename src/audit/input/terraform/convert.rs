//! Planned resources converted to ARM: azurerm through the translation's rows read back, with
//! the irregular blocks by hand, and azapi resources as the ARM bodies they carry.

use super::{CRITICAL_ONLY, Planned, REF};
use crate::audit::expr;
use crate::audit::input::resource::{Place, Resource};
use crate::emit::terraform::azurerm::{self, As, Flat};
use serde_json::{Map, Value as Json, json};

/// Read a row's value back the other way.
fn back(v: &Json, how: As) -> Option<Json> {
    if v.is_null() {
        return None;
    }
    if expr::as_marker(v).is_some() {
        return Some(v.clone());
    }
    Some(match how {
        As::NotBool => Json::Bool(!v.as_bool()?),
        As::Enabled => Json::String(if v.as_bool()? { "Enabled" } else { "Disabled" }.into()),
        As::Ids => Json::Array(v.as_array()?.iter().map(|id| json!({ "id": id })).collect()),
        As::Str | As::Bool | As::Int | As::Value => v.clone(),
    })
}

/// Set a value at a property path (`a.b[0].c`), making objects and arrays on the way.
pub(super) fn set(root: &mut Json, path: &str, v: Json) {
    let mut segs = Vec::new();
    for part in path.split('.').filter(|s| !s.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                segs.push(rest[..i].to_string());
            }
            rest = &rest[i..];
            while let Some(s) = rest.strip_prefix('[') {
                let Some(end) = s.find(']') else { break };
                segs.push(s[..end].to_string());
                rest = &s[end + 1..];
            }
        } else {
            segs.push(rest.to_string());
        }
    }
    let mut cur = root;
    for seg in segs {
        if let Ok(i) = seg.parse::<usize>() {
            if !cur.is_array() {
                *cur = Json::Array(Vec::new());
            }
            let Json::Array(a) = cur else { return };
            while a.len() <= i {
                a.push(Json::Object(Map::new()));
            }
            cur = &mut a[i];
        } else {
            if !cur.is_object() {
                *cur = Json::Object(Map::new());
            }
            let Json::Object(o) = cur else { return };
            cur = o.entry(seg).or_insert(Json::Object(Map::new()));
        }
    }
    *cur = v;
}

/// Copy rows read below `from` to below `to`.
fn rows(body: &mut Json, from: &Json, to: &str, attrs: &[Flat]) {
    for &(attr, path, how) in attrs {
        if let Some(v) = from.get(attr).and_then(|v| back(v, how)) {
            let at = if to.is_empty() {
                path.to_string()
            } else {
                format!("{to}.{path}")
            };
            set(body, &at, v);
        }
    }
}

/// The first item of a block (`[{...}]`), if set.
fn block<'a>(values: &'a Json, name: &str) -> Option<&'a Json> {
    values
        .get(name)?
        .as_array()?
        .first()
        .filter(|b| b.is_object())
}

pub(super) fn str_of(v: &Json, key: &str) -> Option<String> {
    v.get(key).and_then(Json::as_str).map(str::to_string)
}

/// A resource with the place, name and pointer of a planned resource.
fn resource(p: &Planned, rtype: &str, name: Option<String>, body: Json) -> Resource {
    let rg = match p.values.get("resource_group_name") {
        Some(Json::String(s)) => Place::Known(s.clone()),
        Some(v) if !v.is_null() => Place::Unknown(p.address.clone()),
        _ => Place::Root,
    };
    let label = name.clone().unwrap_or_else(|| p.address.clone());
    Resource {
        name_known: name.is_some(),
        rtype: rtype.to_string(),
        name: name.clone().unwrap_or_else(|| p.address.clone()),
        label,
        raw_name: name.unwrap_or_default(),
        scope: None,
        body,
        subscription: Place::Root,
        resource_group: Some(rg),
        pointer: p.pointer.clone(),
        properties_pointer: format!("{}/values", p.pointer),
        deployment: Vec::new(),
    }
}

/// The common arguments: location and tags.
fn head(p: &Planned) -> Json {
    let mut body = json!({});
    for k in ["location", "tags"] {
        if let Some(v) = p.values.get(k).filter(|v| !v.is_null()) {
            set(&mut body, k, v.clone());
        }
    }
    body
}

pub(super) fn azurerm_resource(p: &Planned, r: &azurerm::ReadBack) -> Resource {
    let v = &p.values;
    let mut body = head(p);
    for &(blk, node, attrs) in &r.blocks {
        if let Some(each) = blk.strip_suffix("[]") {
            let node = node.trim_end_matches("[]");
            for (i, item) in v
                .get(each)
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                rows(&mut body, item, &format!("{node}[{i}]"), attrs);
            }
        } else if blk.is_empty() {
            rows(&mut body, v, node, attrs);
        } else if let Some(b) = block(v, blk) {
            rows(&mut body, b, node, attrs);
        }
    }
    always_sent(r.arm, &mut body);
    let mut name = str_of(v, "name");
    let mut scope = None;
    match r.tf {
        "azurerm_kubernetes_cluster" => cluster_extras(v, &mut body),
        "azurerm_kubernetes_cluster_node_pool" => {
            pool_extras(v, &mut body, "properties");
            let parent = v
                .get("kubernetes_cluster_id")
                .and_then(Json::as_str)
                .unwrap_or_default();
            name = name.map(|n| format!("{REF}{}/{n}", parent.trim_start_matches(REF)));
        }
        // A fleet's members and strategy are named under their fleet, as ARM names them.
        "azurerm_kubernetes_fleet_member" | "azurerm_kubernetes_fleet_update_strategy" => {
            let parent = ["kubernetes_fleet_id", "kubernetes_fleet_manager_id"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Json::as_str))
                .unwrap_or_default();
            name = name.map(|n| format!("{REF}{}/{n}", parent.trim_start_matches(REF)));
        }
        "azurerm_role_assignment" => {
            scope = v.get("scope").and_then(Json::as_str).map(str::to_string);
        }
        _ => {}
    }
    let mut res = resource(p, r.arm, name, body);
    res.scope = scope;
    res
}

/// What azurerm always sends and so has no argument for ([`azurerm::NOT_EXPRESSIBLE`] with a
/// single value), wherever the object it belongs to is present.
fn always_sent(arm: &str, body: &mut Json) {
    for gap in azurerm::NOT_EXPRESSIBLE
        .iter()
        .filter(|g| g.rtype == arm && !g.path.contains("[]"))
    {
        let Some(only) = gap.only else { continue };
        let parent = gap.path.rsplit_once('.').map_or("", |(p, _)| p);
        let present = parent.is_empty()
            || parent == "sku"
            || crate::audit::input::look(body, parent)
                .value()
                .is_some_and(Json::is_object);
        if present && crate::audit::input::look(body, gap.path).value().is_none() {
            let v = match only {
                "true" => Json::Bool(true),
                "false" => Json::Bool(false),
                other => Json::String(other.to_string()),
            };
            set(body, gap.path, v);
        }
    }
}

fn cluster_extras(v: &Json, body: &mut Json) {
    if let Some(id) = block(v, "identity") {
        let mut ident = json!({ "type": id.get("type").cloned().unwrap_or(Json::Null) });
        let ids: Map<String, Json> = id
            .get("identity_ids")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(|s| (s.to_string(), json!({}))))
            .collect();
        if !ids.is_empty() {
            ident["userAssignedIdentities"] = Json::Object(ids);
        }
        body["identity"] = ident;
    }
    if let Some(zone) = v.get("private_dns_zone_id").filter(|z| !z.is_null()) {
        set(
            body,
            "properties.apiServerAccessProfile.privateDNSZone",
            zone.clone(),
        );
    }
    if let Some(c) = v.get("automatic_upgrade_channel").filter(|c| !c.is_null()) {
        set(
            body,
            "properties.autoUpgradeProfile.upgradeChannel",
            c.clone(),
        );
    }
    if let Some(c) = v.get("node_os_upgrade_channel").filter(|c| !c.is_null()) {
        set(
            body,
            "properties.autoUpgradeProfile.nodeOSUpgradeChannel",
            c.clone(),
        );
    }
    if block(v, "default_node_pool").is_some() {
        set(
            body,
            "properties.agentPoolProfiles[0].mode",
            json!("System"),
        );
        set(
            body,
            "properties.agentPoolProfiles[0].osType",
            json!("Linux"),
        );
        if let Some(n) = block(v, "default_node_pool").and_then(|b| b.get("name")) {
            set(body, "properties.agentPoolProfiles[0].name", n.clone());
        }
        if let Some(t) = block(v, "default_node_pool")
            .and_then(|b| b.get("type"))
            .filter(|t| !t.is_null())
        {
            set(body, "properties.agentPoolProfiles[0].type", t.clone());
        }
        if block(v, "default_node_pool")
            .and_then(|b| b.get("only_critical_addons_enabled"))
            .and_then(Json::as_bool)
            == Some(true)
        {
            set(
                body,
                "properties.agentPoolProfiles[0].nodeTaints",
                json!([CRITICAL_ONLY]),
            );
        }
    }
    let addon = |body: &mut Json, name: &str, on: bool| {
        set(
            body,
            &format!("properties.addonProfiles.{name}.enabled"),
            Json::Bool(on),
        );
    };
    if let Some(o) = block(v, "oms_agent") {
        {
            addon(body, "omsagent", true);
            if let Some(w) = o.get("log_analytics_workspace_id").filter(|w| !w.is_null()) {
                set(
                    body,
                    "properties.addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID",
                    w.clone(),
                );
            }
            if let Some(m) = o
                .get("msi_auth_for_monitoring_enabled")
                .and_then(Json::as_bool)
            {
                set(
                    body,
                    "properties.addonProfiles.omsagent.config.useAADAuth",
                    json!(m.to_string()),
                );
            }
        }
    }
    if let Some(k) = block(v, "key_vault_secrets_provider") {
        addon(body, "azureKeyvaultSecretsProvider", true);
        if let Some(r) = k.get("secret_rotation_enabled").and_then(Json::as_bool) {
            set(
                body,
                "properties.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation",
                json!(r.to_string()),
            );
        }
        if let Some(i) = k.get("secret_rotation_interval").filter(|i| !i.is_null()) {
            set(
                body,
                "properties.addonProfiles.azureKeyvaultSecretsProvider.config.rotationPollInterval",
                i.clone(),
            );
        }
    }
    if let Some(d) = block(v, "microsoft_defender") {
        set(
            body,
            "properties.securityProfile.defender.securityMonitoring.enabled",
            json!(true),
        );
        if let Some(w) = d.get("log_analytics_workspace_id").filter(|w| !w.is_null()) {
            set(
                body,
                "properties.securityProfile.defender.logAnalyticsWorkspaceResourceId",
                w.clone(),
            );
        }
    }
    if let Some(k) = block(v, "key_management_service") {
        set(
            body,
            "properties.securityProfile.azureKeyVaultKms.enabled",
            json!(true),
        );
        for (attr, path) in [
            ("key_vault_key_id", "keyId"),
            ("key_vault_network_access", "keyVaultNetworkAccess"),
        ] {
            if let Some(x) = k.get(attr).filter(|x| !x.is_null()) {
                set(
                    body,
                    &format!("properties.securityProfile.azureKeyVaultKms.{path}"),
                    x.clone(),
                );
            }
        }
    }
    if let Some(m) = block(v, "service_mesh_profile") {
        set(
            body,
            "properties.serviceMeshProfile.mode",
            m.get("mode").cloned().unwrap_or(Json::Null),
        );
        if let Some(r) = m.get("revisions").filter(|r| !r.is_null()) {
            set(
                body,
                "properties.serviceMeshProfile.istio.revisions",
                r.clone(),
            );
        }
        let mut gateways = Vec::new();
        for (attr, mode) in [
            ("internal_ingress_gateway_enabled", "Internal"),
            ("external_ingress_gateway_enabled", "External"),
        ] {
            if let Some(on) = m.get(attr).and_then(Json::as_bool) {
                gateways.push(json!({ "mode": mode, "enabled": on }));
            }
        }
        if !gateways.is_empty() {
            set(
                body,
                "properties.serviceMeshProfile.istio.components.ingressGateways",
                Json::Array(gateways),
            );
        }
    }
}

fn pool_extras(v: &Json, body: &mut Json, at: &str) {
    for (attr, path) in [
        ("mode", "mode"),
        ("os_type", "osType"),
        ("node_taints", "nodeTaints"),
    ] {
        if let Some(x) = v.get(attr).filter(|x| !x.is_null()) {
            set(body, &format!("{at}.{path}"), x.clone());
        }
    }
}

/// The maintenance configurations a cluster's `maintenance_window_*` blocks stand for.
pub(super) fn windows(p: &Planned, cluster: &str) -> Vec<Resource> {
    let (names, schedules, window) = azurerm::maintenance_read_back();
    let mut out = Vec::new();
    for (arm_name, blk) in names {
        let Some(w) = block(&p.values, blk) else {
            continue;
        };
        let mut body = json!({});
        let freq = w
            .get("frequency")
            .and_then(Json::as_str)
            .unwrap_or_default();
        if let Some((key, _, attrs)) = schedules.iter().find(|(_, f, _)| *f == freq) {
            rows(
                &mut body,
                w,
                &format!("properties.maintenanceWindow.schedule.{key}"),
                attrs,
            );
        }
        rows(&mut body, w, "properties.maintenanceWindow", window);
        out.push(resource(
            p,
            crate::azure::types::AKS_MAINT,
            Some(format!("{cluster}/{arm_name}")),
            body,
        ));
    }
    out
}

pub(super) fn subnet(p: &Planned) -> Resource {
    let v = &p.values;
    let mut body = json!({});
    match v
        .get("address_prefixes")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
    {
        Some([one]) => set(&mut body, "properties.addressPrefix", one.clone()),
        Some(many) => set(
            &mut body,
            "properties.addressPrefixes",
            Json::Array(many.to_vec()),
        ),
        None => {}
    }
    if let Some(b) = v
        .get("default_outbound_access_enabled")
        .filter(|b| !b.is_null())
    {
        set(&mut body, "properties.defaultOutboundAccess", b.clone());
    }
    if let Some(eps) = v.get("service_endpoints").and_then(Json::as_array) {
        let eps: Vec<Json> = eps.iter().map(|s| json!({ "service": s })).collect();
        set(&mut body, "properties.serviceEndpoints", Json::Array(eps));
    }
    if let Some(ds) = v.get("delegation").and_then(Json::as_array) {
        let ds: Vec<Json> = ds
            .iter()
            .map(|d| {
                let service = d.pointer("/service_delegation/0/name").cloned().unwrap_or(Json::Null);
                json!({ "name": d.get("name").cloned().unwrap_or(Json::Null), "properties": { "serviceName": service } })
            })
            .collect();
        set(&mut body, "properties.delegations", Json::Array(ds));
    }
    if let Some(x) = v
        .get("private_endpoint_network_policies")
        .filter(|x| !x.is_null())
    {
        set(
            &mut body,
            "properties.privateEndpointNetworkPolicies",
            x.clone(),
        );
    }
    let name = match (str_of(v, "virtual_network_name"), str_of(v, "name")) {
        (Some(vnet), Some(n)) => Some(format!("{vnet}/{n}")),
        _ => None,
    };
    resource(p, "Microsoft.Network/virtualNetworks/subnets", name, body)
}

pub(super) fn azapi(p: &Planned) -> Resource {
    let v = &p.values;
    let full = v.get("type").and_then(Json::as_str).unwrap_or_default();
    let rtype = full.split('@').next().unwrap_or_default();
    let mut body = match v.get("body") {
        Some(Json::String(s)) => serde_json::from_str(s).unwrap_or(Json::Null),
        Some(b) => b.clone(),
        None => Json::Null,
    };
    if !body.is_object() {
        body = json!({});
    }
    for k in ["location", "tags"] {
        if let Some(x) = v
            .get(k)
            .filter(|x| !x.is_null() && body.get(k).is_none_or(Json::is_null))
        {
            body[k] = x.clone();
        }
    }
    if let Some(id) = block(v, "identity") {
        let ids: Map<String, Json> = id
            .get("identity_ids")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(|s| (s.to_string(), json!({}))))
            .collect();
        body["identity"] = json!({ "type": id.get("type").cloned().unwrap_or(Json::Null), "userAssignedIdentities": ids });
    }
    let levels = rtype.split('/').count().saturating_sub(1);
    let name = str_of(v, "name").map(|n| {
        if levels > 1 {
            let parent = v
                .get("parent_id")
                .and_then(Json::as_str)
                .unwrap_or_default();
            format!("{REF}{}/{n}", parent.trim_start_matches(REF))
        } else {
            n
        }
    });
    let mut r = resource(p, rtype, name, body);
    if let Some(Json::String(parent)) = v.get("parent_id") {
        if parent.to_ascii_lowercase().contains("/resourcegroups/") {
            r.resource_group = Some(
                crate::audit::input::id_scope(parent)
                    .1
                    .map_or(Place::Root, Place::Known),
            );
        }
    }
    r
}
