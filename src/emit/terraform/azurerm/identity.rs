//! Identities: user-assigned identities (flat), their federated credentials, and role
//! assignments.

use super::{As, Flat, Item, Tx, js};
use crate::azure::types;
use crate::ir::Name;
use serde_json::Value as Json;

/// `azurerm_user_assigned_identity`: flat.
pub(super) const IDENTITY: &[Flat] = &[("location", "location", As::Value)];

/// `azurerm_role_assignment`, from `properties`.
pub(super) const ROLE_ASSIGNMENT: &[Flat] = &[
    ("role_definition_id", "roleDefinitionId", As::Value),
    ("principal_id", "principalId", As::Value),
    ("principal_type", "principalType", As::Str),
    ("description", "description", As::Str),
];

/// `azurerm_federated_identity_credential`.
pub(super) fn federation(tx: &mut Tx, it: &Item) {
    let mut b = tx.named(it);
    b.put(
        "user_assigned_identity_id",
        Some(tx.parent(it, types::UAI, "id")),
    );
    tx.copy(
        it,
        &it.root().get("properties"),
        &mut b,
        &[
            ("issuer", "issuer", As::Value),
            ("subject", "subject", As::Value),
            ("audience", "audiences", As::Value),
        ],
    );
    tx.emit(it, b);
}

/// `azurerm_role_assignment`.
pub(super) fn role_assignment(tx: &mut Tx, it: &Item) {
    let mut b = super::B::default();
    b.put("provider", tx.provider(it.d));
    // The name is a GUID expression in ARM; azurerm derives its own deterministic one from
    // scope, principal and role.
    if let Name::Literal(_) = it.r.name {
        b.put("name", js(Some(it.name())));
    }
    b.put("scope", tx.target(it).map(Json::String));
    tx.copy(it, &it.root().get("properties"), &mut b, ROLE_ASSIGNMENT);
    tx.emit(it, b);
}
