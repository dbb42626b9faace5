//! Gateways into the estate: Azure Bastion, and the Application Gateway with its WAF policy.
//! azurerm names an Application Gateway's parts by name where ARM uses ids of its child
//! resources (`.../applicationGateways/<gw>/frontendPorts/https`): those ids become names.

use super::{As, B, Flat, Item, N, Tx, js};
use crate::ir::{Expr, Value};
use serde_json::{Value as Json, json};

/// `azurerm_bastion_host`, after its location (from the root).
const BASTION: &[Flat] = &[
    ("sku", "sku.name", As::Str),
    ("tunneling_enabled", "properties.enableTunneling", As::Bool),
    ("ip_connect_enabled", "properties.enableIpConnect", As::Bool),
    (
        "shareable_link_enabled",
        "properties.enableShareableLink",
        As::Bool,
    ),
    ("file_copy_enabled", "properties.enableFileCopy", As::Bool),
    (
        "copy_paste_enabled",
        "properties.disableCopyPaste",
        As::NotBool,
    ),
    ("kerberos_enabled", "properties.enableKerberos", As::Bool),
    ("scale_units", "properties.scaleUnits", As::Int),
    ("zones", "zones", As::Value),
];

/// A Bastion `ip_configuration`.
const BASTION_IP: &[Flat] = &[
    ("name", "name", As::Str),
    ("subnet_id", "properties.subnet.id", As::Value),
    (
        "public_ip_address_id",
        "properties.publicIPAddress.id",
        As::Value,
    ),
];

/// `azurerm_bastion_host`.
pub(super) fn bastion(tx: &mut Tx, it: &Item) {
    let mut b = tx.located(it, BASTION);
    let configs: Vec<Json> = it
        .root()
        .get("properties.ipConfigurations")
        .items()
        .iter()
        .map(|c| tx.block(it, c, BASTION_IP))
        .collect();
    b.put("ip_configuration", Some(Json::Array(configs)));
    tx.finish(it, b);
}

/// `azurerm_web_application_firewall_policy`.
pub(super) fn waf_policy(tx: &mut Tx, it: &Item) {
    let mut b = tx.located(it, &[]);
    let s = it.root().get("properties.policySettings");
    let mut sb = B::default();
    sb.put(
        "enabled",
        s.get("state").either("Enabled", "Disabled").map(Json::Bool),
    );
    tx.copy(
        it,
        &s,
        &mut sb,
        &[
            ("mode", "mode", As::Str),
            ("request_body_check", "requestBodyCheck", As::Bool),
            (
                "max_request_body_size_in_kb",
                "maxRequestBodySizeInKb",
                As::Int,
            ),
            ("file_upload_limit_in_mb", "fileUploadLimitInMb", As::Int),
        ],
    );
    b.put("policy_settings", Some(json!([sb.json()])));
    let sets: Vec<Json> = it
        .root()
        .get("properties.managedRules.managedRuleSets")
        .items()
        .iter()
        .map(|r| {
            tx.block(
                it,
                r,
                &[
                    ("type", "ruleSetType", As::Str),
                    ("version", "ruleSetVersion", As::Str),
                ],
            )
        })
        .collect();
    b.put("managed_rules", Some(json!([{ "managed_rule_set": sets }])));
    tx.finish(it, b);
}

/// The name of the gateway part an id names (its last segment), recorded as translated.
fn part(n: &N) -> Option<Json> {
    n.get("id").take(|v| match v {
        Value::Expr(Expr::ResourceId { names, .. }) => match names.last() {
            Some(Expr::Str(s)) => Some(Json::String(s.clone())),
            _ => None,
        },
        _ => None,
    })
}

/// One list of gateway parts: each item's `name`, the flat attributes below its `properties`,
/// and the parts it names by id (`(attribute, property)`).
fn parts(tx: &mut Tx, it: &Item, list: &str, flat: &[Flat], named: &[(&str, &str)]) -> Json {
    let items = it.root().get("properties").get(list).items();
    let out: Vec<Json> = items
        .iter()
        .map(|x| {
            let mut b = B::default();
            b.put("name", js(x.get("name").str()));
            let p = x.get("properties");
            tx.copy(it, &p, &mut b, flat);
            for &(attr, prop) in named {
                b.put(attr, part(&p.get(prop)));
            }
            b.json()
        })
        .collect();
    Json::Array(out)
}

/// `azurerm_application_gateway`.
pub(super) fn application_gateway(tx: &mut Tx, it: &Item) {
    let root = it.root();
    let p = root.get("properties");
    let mut b = tx.located(
        it,
        &[
            ("zones", "zones", As::Value),
            ("http2_enabled", "properties.enableHttp2", As::Bool),
            (
                "firewall_policy_id",
                "properties.firewallPolicy.id",
                As::Value,
            ),
        ],
    );
    let id = root.get("identity");
    if let Some(Value::ExprKeyed(kv)) = id.get("userAssignedIdentities").v {
        let mut ids = Vec::new();
        for (k, _) in kv {
            match tx.expr(it.d, k) {
                Ok(s) => ids.push(Json::String(s)),
                Err(e) => tx.err(it, "identity.userAssignedIdentities", &e),
            }
        }
        id.get("userAssignedIdentities").mark();
        b.put(
            "identity",
            Some(json!([{ "type": js(id.get("type").str()), "identity_ids": ids }])),
        );
    }
    let sku = tx.block(
        it,
        &p.get("sku"),
        &[("name", "name", As::Str), ("tier", "tier", As::Str)],
    );
    b.put("sku", Some(json!([sku])));
    let scale = tx.block(
        it,
        &p.get("autoscaleConfiguration"),
        &[
            ("min_capacity", "minCapacity", As::Int),
            ("max_capacity", "maxCapacity", As::Int),
        ],
    );
    b.put("autoscale_configuration", Some(json!([scale])));
    let ssl = tx.block(
        it,
        &p.get("sslPolicy"),
        &[
            ("policy_type", "policyType", As::Str),
            ("policy_name", "policyName", As::Str),
        ],
    );
    b.put("ssl_policy", Some(json!([ssl])));
    let v = parts(
        tx,
        it,
        "gatewayIPConfigurations",
        &[("subnet_id", "subnet.id", As::Value)],
        &[],
    );
    b.put("gateway_ip_configuration", Some(v));
    let v = parts(
        tx,
        it,
        "frontendIPConfigurations",
        &[("public_ip_address_id", "publicIPAddress.id", As::Value)],
        &[],
    );
    b.put("frontend_ip_configuration", Some(v));
    let v = parts(tx, it, "frontendPorts", &[("port", "port", As::Int)], &[]);
    b.put("frontend_port", Some(v));
    let v = parts(
        tx,
        it,
        "sslCertificates",
        &[("key_vault_secret_id", "keyVaultSecretId", As::Str)],
        &[],
    );
    b.put("ssl_certificate", Some(v));
    let pools: Vec<Json> = p
        .get("backendAddressPools")
        .items()
        .iter()
        .map(|x| {
            let ips: Vec<Json> = x
                .get("properties.backendAddresses")
                .items()
                .iter()
                .filter_map(|a| js(a.get("ipAddress").str()))
                .collect();
            json!({ "name": js(x.get("name").str()), "ip_addresses": ips })
        })
        .collect();
    b.put("backend_address_pool", Some(Json::Array(pools)));
    let probes: Vec<Json> = p
        .get("probes")
        .items()
        .iter()
        .map(|x| {
            let q = x.get("properties");
            let mut pb = B::default();
            pb.put("name", js(x.get("name").str()));
            tx.copy(
                it,
                &q,
                &mut pb,
                &[
                    ("protocol", "protocol", As::Str),
                    ("host", "host", As::Str),
                    ("path", "path", As::Str),
                    ("interval", "interval", As::Int),
                    ("timeout", "timeout", As::Int),
                    ("unhealthy_threshold", "unhealthyThreshold", As::Int),
                    (
                        "pick_host_name_from_backend_http_settings",
                        "pickHostNameFromBackendHttpSettings",
                        As::Bool,
                    ),
                ],
            );
            let codes = tx.v(it, &q.get("match.statusCodes"));
            pb.put("match", codes.map(|c| json!([{ "status_code": c }])));
            pb.json()
        })
        .collect();
    b.put("probe", Some(Json::Array(probes)));
    let v = parts(
        tx,
        it,
        "backendHttpSettingsCollection",
        &[
            ("port", "port", As::Int),
            ("protocol", "protocol", As::Str),
            ("cookie_based_affinity", "cookieBasedAffinity", As::Str),
            ("request_timeout", "requestTimeout", As::Int),
            (
                "pick_host_name_from_backend_address",
                "pickHostNameFromBackendAddress",
                As::Bool,
            ),
        ],
        &[("probe_name", "probe")],
    );
    b.put("backend_http_settings", Some(v));
    let v = parts(
        tx,
        it,
        "httpListeners",
        &[
            ("protocol", "protocol", As::Str),
            ("host_name", "hostName", As::Str),
            ("require_sni", "requireServerNameIndication", As::Bool),
        ],
        &[
            ("frontend_ip_configuration_name", "frontendIPConfiguration"),
            ("frontend_port_name", "frontendPort"),
            ("ssl_certificate_name", "sslCertificate"),
        ],
    );
    b.put("http_listener", Some(v));
    let v = parts(
        tx,
        it,
        "redirectConfigurations",
        &[
            ("redirect_type", "redirectType", As::Str),
            ("include_path", "includePath", As::Bool),
            ("include_query_string", "includeQueryString", As::Bool),
        ],
        &[("target_listener_name", "targetListener")],
    );
    b.put("redirect_configuration", Some(v));
    let v = parts(
        tx,
        it,
        "requestRoutingRules",
        &[
            ("rule_type", "ruleType", As::Str),
            ("priority", "priority", As::Int),
        ],
        &[
            ("http_listener_name", "httpListener"),
            ("backend_address_pool_name", "backendAddressPool"),
            ("backend_http_settings_name", "backendHttpSettings"),
            ("redirect_configuration_name", "redirectConfiguration"),
        ],
    );
    b.put("request_routing_rule", Some(v));
    tx.finish(it, b);
}
