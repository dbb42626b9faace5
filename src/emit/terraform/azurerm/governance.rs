//! Governance: resource groups, the Log Analytics workspace (flat, with an azapi update for its
//! replication), diagnostic settings, locks and policy assignments.

use super::{As, Flat, Item, Tx, interp, jb, js, json_or_null};
use crate::azure::types;
use crate::ir::{Expr, Scope};
use serde_json::{Value as Json, json};

/// `azurerm_log_analytics_workspace`: flat attributes.
pub(super) const WORKSPACE: &[Flat] = &[
    ("location", "location", As::Value),
    ("sku", "properties.sku.name", As::Str),
    ("retention_in_days", "properties.retentionInDays", As::Int),
    (
        "allow_resource_only_permissions",
        "properties.features.enableLogAccessUsingOnlyResourcePermissions",
        As::Bool,
    ),
    (
        "internet_ingestion_enabled",
        "properties.publicNetworkAccessForIngestion",
        As::Enabled,
    ),
    (
        "internet_query_enabled",
        "properties.publicNetworkAccessForQuery",
        As::Enabled,
    ),
];

/// `azurerm_log_analytics_workspace`, and an `azapi_update_resource` for `replication`, which
/// azurerm 4.x has no argument for.
pub(super) fn workspace(tx: &mut Tx, it: &Item) {
    let mut b = tx.head(it, false);
    tx.copy(it, &it.root(), &mut b, WORKSPACE);
    tx.tags(it, &mut b);
    let replication = it.root().get("properties.replication");
    let enabled = replication.get("enabled").bool();
    let location = replication.get("location").str();
    tx.emit(it, b);
    if let (Some(enabled), Some(location)) = (enabled, location) {
        let lab = super::refs::item_label(it).to_string();
        let id = format!("${{azurerm_log_analytics_workspace.{lab}.id}}");
        super::cluster::azapi_update(
            tx,
            it,
            &super::label(&[&lab, "replication"]),
            types::LAW,
            id,
            json!({ "properties": { "replication": { "enabled": enabled, "location": location } } }),
            Vec::new(),
        );
    }
}

/// `azurerm_resource_group`.
pub(super) fn resource_group(tx: &mut Tx, it: &Item) {
    let mut b = tx.named(it);
    tx.copy(
        it,
        &it.root(),
        &mut b,
        &[("location", "location", As::Value)],
    );
    tx.finish(it, b);
}

/// `azurerm_monitor_diagnostic_setting`: the enabled logs and metrics.
pub(super) fn diagnostics(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.named(it);
    b.put("target_resource_id", tx.target(it).map(Json::String));
    tx.copy(
        it,
        &p,
        &mut b,
        &[
            ("log_analytics_workspace_id", "workspaceId", As::Value),
            (
                "log_analytics_destination_type",
                "logAnalyticsDestinationType",
                As::Str,
            ),
        ],
    );
    let logs: Vec<Json> = p
        .get("logs")
        .items()
        .iter()
        .filter(|l| l.get("enabled").is("true"))
        .map(|l| {
            tx.block(
                it,
                l,
                &[
                    ("category", "category", As::Str),
                    ("category_group", "categoryGroup", As::Str),
                ],
            )
        })
        .collect();
    if !logs.is_empty() {
        b.put("enabled_log", Some(Json::Array(logs)));
    }
    let metrics: Vec<Json> = p
        .get("metrics")
        .items()
        .iter()
        .filter(|m| m.get("enabled").is("true"))
        .map(|m| json!({ "category": json_or_null(js(m.get("category").str())) }))
        .collect();
    if !metrics.is_empty() {
        b.put("enabled_metric", Some(Json::Array(metrics)));
    }
    tx.emit(it, b);
}

/// `azurerm_management_lock` on its target, its resource group or its subscription.
pub(super) fn lock(tx: &mut Tx, it: &Item) {
    let mut b = tx.named(it);
    let scope = match (&it.r.scope, &it.d.scope) {
        (Some(_), _) => tx.target(it).map(Json::String),
        (None, Scope::ResourceGroup { resource_group, .. }) => {
            match tx.resolve(
                it.d,
                None,
                None,
                types::RG,
                &[Expr::Str(resource_group.clone())],
            ) {
                Ok(a) => Some(interp(&a.id())),
                Err(e) => {
                    tx.err(it, "scope", &e);
                    None
                }
            }
        }
        (None, Scope::Subscription { .. }) => {
            let sub = tx.subscription_data(&it.d.scope);
            Some(interp(&format!("data.azurerm_subscription.{sub}.id")))
        }
    };
    b.put("scope", scope);
    tx.copy(
        it,
        &it.root().get("properties"),
        &mut b,
        &[
            ("lock_level", "level", As::Str),
            ("notes", "notes", As::Str),
        ],
    );
    tx.emit(it, b);
}

/// `azurerm_resource_policy_assignment`, for assignments scoped to a resource.
pub(super) fn policy_assignment(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.named(it);
    if it.r.scope.is_none() {
        tx.err(
            it,
            "scope",
            "only policy assignments scoped to a resource are translated",
        );
    }
    b.put("resource_id", tx.target(it).map(Json::String));
    tx.copy(
        it,
        &p,
        &mut b,
        &[
            ("policy_definition_id", "policyDefinitionId", As::Value),
            ("display_name", "displayName", As::Str),
            ("description", "description", As::Str),
        ],
    );
    let enforce = p.get("enforcementMode").either("Default", "DoNotEnforce");
    b.put("enforce", jb(enforce));
    let params = p.get("parameters");
    if let Some(Json::Object(m)) = tx.v(it, &params) {
        if !m.is_empty() {
            let text = serde_json::to_string(&Json::Object(m)).unwrap_or_default();
            b.put("parameters", Some(Json::String(text)));
        }
    }
    tx.emit(it, b);
}
