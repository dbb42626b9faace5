//! Kinds carried as `azapi_resource`s, with the ARM body property for property and references
//! resolved to the azurerm resources they name:
//!
//! - AKS managed namespaces and Fleet Manager's auto-upgrade profiles, which azurerm 4.x has no
//!   resource for;
//! - the monitoring kinds: the Azure Monitor workspace, data collection endpoints, rules and
//!   associations, Prometheus rule groups, action groups and alerts. azurerm has resources for
//!   them, but they split the ARM body into blocks whose shapes lag the API (a data collection
//!   rule's Container Insights extension is a JSON string there, a Prometheus rule group's rules
//!   lose their resolve configuration), so the Terraform output would say less than ARM and
//!   Bicep.

use super::{B, Item, Tx, interp, js};
use crate::azure::types;
use crate::emit::terraform::{BODY_DEPTH, print_object};
use crate::ir::Expr;
use serde_json::{Value as Json, json};

/// `azapi_resource` with the ARM type, name, placement (the target of an extension resource,
/// else the resource group), location, body and tags.
pub(super) fn resource(tx: &mut Tx, it: &Item) {
    let root = it.root();
    let mut b = B::default();
    let rtype = it.r.rtype.as_str();
    b.put(
        "type",
        Some(json!(format!("{rtype}@{}", types::api_version(rtype)))),
    );
    b.put("name", js(Some(it.name())));
    let parent = if it.r.scope.is_some() {
        tx.target(it).map(Json::String)
    } else if it.names().len() > 1 {
        // A child: placed in its parent, the ARM type without its last segment.
        let parent = rtype.rsplit_once('/').map_or(rtype, |(p, _)| p);
        Some(tx.parent(it, parent, "id"))
    } else {
        let rg = crate::emit::terraform::scope_rg(&it.d.scope).to_string();
        match tx.resolve(it.d, None, None, types::RG, &[Expr::Str(rg)]) {
            Ok(a) => Some(interp(&a.id())),
            Err(e) => {
                tx.err(it, "", &e);
                None
            }
        }
    };
    b.put("parent_id", parent);
    let location = tx.v(it, &root.get("location"));
    b.put("location", location);
    // Printed straight from the IR (a body can be large), as the object of its entries.
    let mut body = Vec::new();
    for key in ["kind", "properties"] {
        if let Some(text) = tx.v_printed(it, &root.get(key), BODY_DEPTH + 2) {
            body.push((key, text));
        }
    }
    let mut text = String::new();
    print_object(&mut text, &body, BODY_DEPTH + 1);
    b.put_printed("body", Some(text));
    tx.tags(it, &mut b);
    tx.emit(it, b);
}
