//! Network: virtual networks with their subnets (separate `azurerm_subnet`s with their NSG and
//! route table associations), peerings, network security groups, route tables and public IPs.

use super::refs::SUBNET;
use super::{Addr, As, B, Flat, Item, Tx, interp, jb, js, primary, subnet_label};
use crate::azure::types;
use crate::emit::terraform::label;
use serde_json::{Value as Json, json};

/// `azurerm_public_ip`: flat.
pub(super) const PUBLIC_IP: &[Flat] = &[
    ("location", "location", As::Value),
    (
        "allocation_method",
        "properties.publicIPAllocationMethod",
        As::Str,
    ),
    ("ip_version", "properties.publicIPAddressVersion", As::Str),
    ("sku", "sku.name", As::Str),
    ("sku_tier", "sku.tier", As::Str),
    ("zones", "zones", As::Value),
];

/// Every attribute of a `security_rule`, from a rule of `properties.securityRules`.
pub(super) const SECURITY_RULE: &[Flat] = &[
    ("access", "properties.access", As::Value),
    ("description", "properties.description", As::Value),
    (
        "destination_address_prefix",
        "properties.destinationAddressPrefix",
        As::Value,
    ),
    (
        "destination_address_prefixes",
        "properties.destinationAddressPrefixes",
        As::Value,
    ),
    // Application security groups are `{ id }` objects in ARM.
    (
        "destination_application_security_group_ids",
        "properties.destinationApplicationSecurityGroups",
        As::Ids,
    ),
    (
        "destination_port_range",
        "properties.destinationPortRange",
        As::Value,
    ),
    (
        "destination_port_ranges",
        "properties.destinationPortRanges",
        As::Value,
    ),
    ("direction", "properties.direction", As::Value),
    ("name", "name", As::Value),
    ("priority", "properties.priority", As::Value),
    ("protocol", "properties.protocol", As::Value),
    (
        "source_address_prefix",
        "properties.sourceAddressPrefix",
        As::Value,
    ),
    (
        "source_address_prefixes",
        "properties.sourceAddressPrefixes",
        As::Value,
    ),
    (
        "source_application_security_group_ids",
        "properties.sourceApplicationSecurityGroups",
        As::Ids,
    ),
    ("source_port_range", "properties.sourcePortRange", As::Value),
    (
        "source_port_ranges",
        "properties.sourcePortRanges",
        As::Value,
    ),
];

/// `azurerm_virtual_network`, from the root.
pub(super) const VNET: &[Flat] = &[
    (
        "address_space",
        "properties.addressSpace.addressPrefixes",
        As::Value,
    ),
    (
        "dns_servers",
        "properties.dhcpOptions.dnsServers",
        As::Value,
    ),
];

/// Every attribute of a `route`, from a route of `properties.routes`.
const ROUTE: &[Flat] = &[
    ("address_prefix", "properties.addressPrefix", As::Value),
    ("name", "name", As::Value),
    (
        "next_hop_in_ip_address",
        "properties.nextHopIpAddress",
        As::Value,
    ),
    ("next_hop_type", "properties.nextHopType", As::Value),
];

/// `azurerm_virtual_network_peering`, after its names.
const PEERING: &[Flat] = &[
    (
        "remote_virtual_network_id",
        "remoteVirtualNetwork.id",
        As::Value,
    ),
    (
        "allow_virtual_network_access",
        "allowVirtualNetworkAccess",
        As::Bool,
    ),
    ("allow_forwarded_traffic", "allowForwardedTraffic", As::Bool),
    ("allow_gateway_transit", "allowGatewayTransit", As::Bool),
    ("use_remote_gateways", "useRemoteGateways", As::Bool),
];

/// The association resources of a subnet: (IR property, azurerm type, attribute, label suffix).
pub(super) const ASSOCIATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "networkSecurityGroup.id",
        "azurerm_subnet_network_security_group_association",
        "network_security_group_id",
        "nsg",
    ),
    (
        "routeTable.id",
        "azurerm_subnet_route_table_association",
        "route_table_id",
        "route_table",
    ),
];

/// The action Azure records when a subnet is delegated to a service.
fn delegation_actions(service: &str) -> Option<Vec<&'static str>> {
    match service {
        types::AKS => Some(vec![
            "Microsoft.Network/virtualNetworks/subnets/join/action",
        ]),
        _ => None,
    }
}

/// `azurerm_network_security_group` with every rule inline.
pub(super) fn nsg(tx: &mut Tx, it: &Item) {
    let mut b = tx.head(it, true);
    let rules = it.root().get("properties.securityRules").items();
    let rules = tx.every_printed(it, &rules, SECURITY_RULE);
    b.put_printed("security_rule", Some(rules));
    tx.finish(it, b);
}

/// `azurerm_route_table` with every route inline.
pub(super) fn route_table(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.located(
        it,
        &[(
            "bgp_route_propagation_enabled",
            "properties.disableBgpRoutePropagation",
            As::NotBool,
        )],
    );
    let routes = tx.every_printed(it, &p.get("routes").items(), ROUTE);
    b.put_printed("route", Some(routes));
    tx.finish(it, b);
}

/// `azurerm_virtual_network`, then each subnet as an `azurerm_subnet` with its associations.
pub(super) fn vnet(tx: &mut Tx, it: &Item) {
    let b = tx.located(it, VNET);
    tx.finish(it, b);

    let Some(vnet) = primary(tx.items, it.index) else {
        return;
    };
    for s in it.root().get("properties.subnets").items() {
        let Some(name) = s.get("name").str() else {
            tx.err(it, &s.path, "a subnet without a literal name");
            continue;
        };
        let sp = s.get("properties");
        let sl = subnet_label(&vnet, name);
        let mut b = B::default();
        b.put("provider", tx.provider(it.d));
        b.put("name", js(Some(name)));
        b.put("resource_group_name", Some(tx.rg_name(it.d)));
        b.put("virtual_network_name", Some(interp(&vnet.at("name"))));
        let prefixes = match tx.v(it, &sp.get("addressPrefix")) {
            Some(one) => Some(json!([one])),
            None => tx.v(it, &sp.get("addressPrefixes")),
        };
        b.put("address_prefixes", prefixes);
        b.put(
            "default_outbound_access_enabled",
            jb(sp.get("defaultOutboundAccess").bool()),
        );
        let endpoints: Vec<Json> = sp
            .get("serviceEndpoints")
            .items()
            .iter()
            .filter_map(|e| js(e.get("service").str()))
            .collect();
        if !endpoints.is_empty() {
            b.put("service_endpoints", Some(Json::Array(endpoints)));
        }
        let delegations: Vec<Json> = sp
            .get("delegations")
            .items()
            .iter()
            .map(|d| {
                let service = d.get("properties.serviceName").str().unwrap_or_default();
                let mut sd = B::default();
                sd.put("name", js(Some(service)));
                sd.put("actions", delegation_actions(service).map(|a| json!(a)));
                json!({ "name": js(d.get("name").str()), "service_delegation": [sd.json()] })
            })
            .collect();
        if !delegations.is_empty() {
            b.put("delegation", Some(Json::Array(delegations)));
        }
        b.put(
            "private_endpoint_network_policies",
            js(sp.get("privateEndpointNetworkPolicies").str()),
        );
        tx.add(it, SUBNET, &sl, b.json());
        let subnet_id = interp(&Addr::new(SUBNET, sl.clone()).id());
        for &(prop, tf, attr, suffix) in ASSOCIATIONS {
            if let Some(target) = tx.v(it, &sp.get(prop)) {
                let mut a = B::default();
                a.put("provider", tx.provider(it.d));
                a.put("subnet_id", Some(subnet_id.clone()));
                a.put(attr, Some(target));
                tx.add(it, tf, &label(&[&sl, suffix]), a.json());
            }
        }
    }
}

/// `azurerm_virtual_network_peering`.
pub(super) fn peering(tx: &mut Tx, it: &Item) {
    let mut b = tx.head(it, false);
    b.put(
        "virtual_network_name",
        Some(tx.parent(it, types::VNET, "name")),
    );
    tx.copy(it, &it.root().get("properties"), &mut b, PEERING);
    tx.emit(it, b);
}
