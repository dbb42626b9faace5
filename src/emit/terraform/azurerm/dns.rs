//! Private DNS and private endpoints: zone links, and private endpoints with their DNS zone group
//! folded in (`private_dns_zone_group`). Zones themselves are flat (see the kinds).

use super::{As, Item, Tx, js};
use crate::azure::types;
use serde_json::{Value as Json, json};

/// `azurerm_private_dns_zone_virtual_network_link`.
pub(super) fn link(tx: &mut Tx, it: &Item) {
    let mut b = tx.head(it, false);
    b.put(
        "private_dns_zone_name",
        Some(tx.parent(it, types::DNS_ZONE, "name")),
    );
    tx.copy(
        it,
        &it.root().get("properties"),
        &mut b,
        &[
            ("virtual_network_id", "virtualNetwork.id", As::Value),
            ("registration_enabled", "registrationEnabled", As::Bool),
        ],
    );
    tx.finish(it, b);
}

/// `azurerm_private_endpoint` with its one connection and its DNS zone group, which the IR
/// declares as a child.
pub(super) fn private_endpoint(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.located(it, &[("subnet_id", "properties.subnet.id", As::Value)]);
    let conns = p.get("privateLinkServiceConnections").items();
    if conns.len() != 1 {
        tx.err(
            it,
            &p.get("privateLinkServiceConnections").path,
            "azurerm takes exactly one private link service connection",
        );
    }
    if let Some(c) = conns.first() {
        let mut cb = super::B::default();
        cb.put("is_manual_connection", Some(Json::Bool(false)));
        tx.copy(
            it,
            c,
            &mut cb,
            &[
                ("name", "name", As::Str),
                (
                    "private_connection_resource_id",
                    "properties.privateLinkServiceId",
                    As::Value,
                ),
                ("subresource_names", "properties.groupIds", As::Value),
            ],
        );
        b.put("private_service_connection", Some(json!([cb.json()])));
    }
    let items = tx.items;
    let groups: Vec<&Item> = it
        .siblings(items)
        .iter()
        .filter(|x| it.related(x, types::PE_DNS))
        .collect();
    if groups.len() > 1 {
        tx.err(
            it,
            "",
            "azurerm takes one private DNS zone group per endpoint",
        );
    }
    if let Some(g) = groups.first() {
        let ids: Vec<Json> = g
            .root()
            .get("properties.privateDnsZoneConfigs")
            .items()
            .iter()
            .filter_map(|c| tx.v(g, &c.get("properties.privateDnsZoneId")))
            .collect();
        b.put(
            "private_dns_zone_group",
            Some(json!([{ "name": js(Some(g.name())), "private_dns_zone_ids": ids }])),
        );
    }
    tx.finish(it, b);
}
