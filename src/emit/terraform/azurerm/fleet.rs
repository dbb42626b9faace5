//! Azure Kubernetes Fleet Manager: members and the update strategy as azurerm's
//! `azurerm_kubernetes_fleet_member` and `azurerm_kubernetes_fleet_update_strategy`, each on its
//! fleet (`kubernetes_fleet_id`, `kubernetes_fleet_manager_id`). The fleet itself is flat (see
//! the kinds); azurerm 4.x has no auto-upgrade profile, which is carried as an `azapi_resource`.

use super::{As, B, Flat, Item, Tx, js};
use crate::azure::types;
use serde_json::{Value as Json, json};

/// `azurerm_kubernetes_fleet_member`, from `properties`.
pub(super) const MEMBER: &[Flat] = &[
    ("kubernetes_cluster_id", "clusterResourceId", As::Value),
    ("group", "group", As::Str),
];

/// `azurerm_kubernetes_fleet_member`.
pub(super) fn member(tx: &mut Tx, it: &Item) {
    let mut b = tx.named(it);
    b.put(
        "kubernetes_fleet_id",
        Some(tx.parent(it, types::FLEET, "id")),
    );
    tx.copy(it, &it.root().get("properties"), &mut b, MEMBER);
    tx.emit(it, b);
}

/// `azurerm_kubernetes_fleet_update_strategy`: one `stage` block per stage, one `group` block
/// per group.
pub(super) fn strategy(tx: &mut Tx, it: &Item) {
    let mut b = tx.named(it);
    b.put(
        "kubernetes_fleet_manager_id",
        Some(tx.parent(it, types::FLEET, "id")),
    );
    let stages: Vec<Json> = it
        .root()
        .get("properties.strategy.stages")
        .items()
        .iter()
        .map(|st| {
            let mut sb = B::default();
            sb.put("name", js(st.get("name").str()));
            let groups: Vec<Json> = st
                .get("groups")
                .items()
                .iter()
                .map(|g| json!({ "name": js(g.get("name").str()) }))
                .collect();
            sb.put("group", Some(Json::Array(groups)));
            sb.put(
                "after_stage_wait_in_seconds",
                st.get("afterStageWaitInSeconds").int().map(|n| json!(n)),
            );
            sb.json()
        })
        .collect();
    b.put("stage", Some(Json::Array(stages)));
    tx.emit(it, b);
}
