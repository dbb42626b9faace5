//! The operators' path to private clusters: Azure Bastion in the hub (with the NSG its subnet
//! needs), the operations subnet for self-hosted runners and jump hosts (routed through the
//! firewall), each private API server's own DNS zone in the hub (linked to the hub, where the
//! firewall's DNS proxy resolves, and to the spoke), and the spoke NSG rule that admits the
//! operators to the API server subnet and nothing else from outside the spoke.

use super::spoke::control_plane_id;
use super::{diagnostics, id_ref, res, rid, rid_in, role_assignment, spoke_sub_param, tags, types};
use crate::azure::{roles, subnets};
use crate::ir::{Expr, Resource, Target, Value};
use crate::model::{BastionSku, Estate, Spoke, SubnetRole};
use crate::obj;

/// One NSG rule.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rule(
    name: &str,
    about: &str,
    direction: &str,
    access: &str,
    priority: u32,
    protocol: &str,
    source: Value,
    destination: &str,
    ports: &[&str],
) -> Value {
    let (source_one, source_many) = match source {
        Value::Array(a) => (Value::Null, Value::Array(a)),
        one => (one, Value::Null),
    };
    let (port_one, port_many): (Value, Value) = match ports {
        [one] => ((*one).into(), Value::Null),
        many => (Value::Null, many.to_vec().into()),
    };
    obj! {
        "name" => name,
        "properties" => obj! {
            "description" => about,
            "protocol" => protocol,
            "sourcePortRange" => "*",
            "destinationPortRange" => port_one,
            "destinationPortRanges" => port_many,
            "sourceAddressPrefix" => source_one,
            "sourceAddressPrefixes" => source_many,
            "destinationAddressPrefix" => destination,
            "access" => access,
            "priority" => priority,
            "direction" => direction,
        },
    }
}

/// The rules Azure Bastion requires on `AzureBastionSubnet`, as Microsoft's "Configure NSG rules
/// for Azure Bastion" lists them (without any one of them Bastion stops receiving platform
/// updates or cannot reach its targets), plus 443 to the VNet for tunnels to the private API
/// servers and an explicit deny of any other inbound traffic.
fn bastion_rules() -> Vec<Value> {
    vec![
        rule(
            "AllowHttpsInbound",
            "Operators reach Bastion over TLS",
            "Inbound",
            "Allow",
            120,
            "Tcp",
            "Internet".into(),
            "*",
            &["443"],
        ),
        rule(
            "AllowGatewayManagerInbound",
            "Bastion's control plane",
            "Inbound",
            "Allow",
            130,
            "Tcp",
            "GatewayManager".into(),
            "*",
            &["443"],
        ),
        rule(
            "AllowAzureLoadBalancerInbound",
            "Health probes",
            "Inbound",
            "Allow",
            140,
            "Tcp",
            "AzureLoadBalancer".into(),
            "*",
            &["443"],
        ),
        rule(
            "AllowBastionHostCommunication",
            "Bastion's data plane between its instances",
            "Inbound",
            "Allow",
            150,
            "*",
            "VirtualNetwork".into(),
            "VirtualNetwork",
            &["8080", "5701"],
        ),
        rule(
            "DenyAllInbound",
            "Nothing else reaches Bastion",
            "Inbound",
            "Deny",
            4096,
            "*",
            "*".into(),
            "*",
            &["*"],
        ),
        rule(
            "AllowSshRdpOutbound",
            "Sessions to targets in the estate",
            "Outbound",
            "Allow",
            100,
            "*",
            "*".into(),
            "VirtualNetwork",
            &["22", "3389"],
        ),
        rule(
            "AllowApiServerOutbound",
            "Tunnels to the private API servers",
            "Outbound",
            "Allow",
            105,
            "Tcp",
            "*".into(),
            "VirtualNetwork",
            &["443"],
        ),
        rule(
            "AllowAzureCloudOutbound",
            "Bastion's diagnostics and platform endpoints",
            "Outbound",
            "Allow",
            110,
            "Tcp",
            "*".into(),
            "AzureCloud",
            &["443"],
        ),
        rule(
            "AllowBastionCommunication",
            "Bastion's data plane between its instances",
            "Outbound",
            "Allow",
            120,
            "*",
            "VirtualNetwork".into(),
            "VirtualNetwork",
            &["8080", "5701"],
        ),
        rule(
            "AllowHttpOutbound",
            "Certificate revocation checks and connection validation",
            "Outbound",
            "Allow",
            130,
            "*",
            "*".into(),
            "Internet",
            &["80"],
        ),
    ]
}

/// NSGs and the route table the hub's extra subnets need, declared before the hub VNet.
pub(crate) fn before_vnet(estate: &Estate) -> Vec<Resource> {
    let h = &estate.hub;
    let loc = estate.location.as_str();
    let mut out = Vec::new();
    if let Some(b) = &h.bastion {
        out.push(res(
            "nsg_bastion",
            types::NSG,
            &[&b.nsg_name],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "properties" => obj! { "securityRules" => bastion_rules() },
            },
        ));
    }
    if let Some(o) = &h.operations {
        let mut rules = vec![rule(
            "deny-internet-inbound",
            "Nothing from the internet reaches this subnet directly",
            "Inbound",
            "Deny",
            4096,
            "*",
            "Internet".into(),
            "*",
            &["*"],
        )];
        rules.extend(super::deny_admin_outbound("snet-operations"));
        out.push(super::nsg(estate, "nsg_operations", &o.nsg_name, rules));
        out.push(super::route_via_firewall(
            estate,
            "rt_operations",
            &o.route_table_name,
        ));
    }
    out
}

/// The hub's extra subnets and the symbolic ids the VNet waits for.
pub(crate) fn hub_subnets(estate: &Estate) -> (Vec<Value>, Vec<String>) {
    let h = &estate.hub;
    let mut subnets = Vec::new();
    let mut depends = Vec::new();
    if let Some(b) = &h.bastion {
        subnets.push(obj! {
            "name" => subnets::BASTION,
            "properties" => obj! {
                "addressPrefix" => b.subnet.to_string(),
                "networkSecurityGroup" => id_ref(rid(types::NSG, &[&b.nsg_name])),
                "defaultOutboundAccess" => false,
            },
        });
        depends.push("nsg_bastion".to_string());
    }
    if let Some(o) = &h.operations {
        subnets.push(obj! {
            "name" => &o.name,
            "properties" => obj! {
                "addressPrefix" => o.subnet.to_string(),
                "networkSecurityGroup" => id_ref(rid(types::NSG, &[&o.nsg_name])),
                "routeTable" => id_ref(rid(types::RT, &[&o.route_table_name])),
                "defaultOutboundAccess" => false,
            },
        });
        depends.push("nsg_operations".to_string());
        depends.push("rt_operations".to_string());
    }
    (subnets, depends)
}

/// The API server zone of a spoke's private cluster, as the hub names it.
fn api_zone(s: &Spoke) -> Option<&str> {
    s.cluster.api_dns_zone.as_deref()
}

/// The symbolic id of a spoke's API server zone.
fn api_zone_id(s: &Spoke) -> String {
    format!("zone_api_{}", s.key)
}

/// Bastion with its public IP and diagnostics, and every private API server's DNS zone linked
/// to the hub VNet, declared after the hub network.
pub(crate) fn after_vnet(estate: &Estate, log_name: &str) -> Vec<Resource> {
    let h = &estate.hub;
    let loc = estate.location.as_str();
    let mut out = Vec::new();
    if let Some(b) = &h.bastion {
        let zones: Value = if h.firewall.zones.is_empty() {
            Value::Null
        } else {
            h.firewall.zones.clone().into()
        };
        out.push(res(
            "pip_bastion",
            types::PIP,
            &[&b.public_ip_name],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "sku" => obj! { "name" => "Standard", "tier" => "Regional" },
                "zones" => zones,
                "properties" => obj! {
                    "publicIPAllocationMethod" => "Static",
                    "publicIPAddressVersion" => "IPv4",
                },
            },
        ));
        let mut host = res(
            "bastion",
            types::BASTION,
            &[&b.name],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "sku" => obj! { "name" => match b.sku { BastionSku::Standard => "Standard", BastionSku::Premium => "Premium" } },
                "properties" => obj! {
                    "enableTunneling" => true,
                    "enableIpConnect" => true,
                    "enableShareableLink" => false,
                    "enableFileCopy" => false,
                    "disableCopyPaste" => false,
                    "enableKerberos" => false,
                    "scaleUnits" => 2u32,
                    "ipConfigurations" => vec![obj! {
                        "name" => "default",
                        "properties" => obj! {
                            "subnet" => id_ref(rid(types::SUBNET, &[&h.vnet_name, subnets::BASTION])),
                            "publicIPAddress" => id_ref(rid(types::PIP, &[&b.public_ip_name])),
                        },
                    }],
                },
            },
        );
        host.depends_on = vec!["vnet_hub".into(), "pip_bastion".into()];
        out.push(host);
        let mut d = diagnostics(
            "bastion_diagnostics",
            &Target::new(types::BASTION, &[&b.name]),
            "bastion",
            rid(types::LAW, &[log_name]),
            &["group:allLogs"],
        );
        d.depends_on.push("log_hub".into());
        out.push(d);
    }
    let nsgs = h
        .bastion
        .iter()
        .map(|b| ("nsg_bastion", &b.nsg_name))
        .chain(h.operations.iter().map(|o| ("nsg_operations", &o.nsg_name)));
    for (id, name) in nsgs {
        let mut d = diagnostics(
            &format!("{id}_diagnostics"),
            &Target::new(types::NSG, &[name]),
            id,
            rid(types::LAW, &[log_name]),
            &["group:allLogs"],
        );
        // NSGs publish no metrics.
        if let Some(Value::Object(p)) = d.body.get_mut("properties") {
            p.shift_remove("metrics");
        }
        d.depends_on.push("log_hub".into());
        out.push(d);
    }
    for s in &estate.spokes {
        let Some(zone) = api_zone(s) else { continue };
        let zid = api_zone_id(s);
        out.extend(super::hub_zone(estate, &zid, zone));
    }
    out
}

/// The API server zone's link to the spoke and the control plane's right to write its records,
/// declared in the hub once the spoke's network and identities exist.
pub(crate) fn spoke_links(estate: &Estate, s: &Spoke) -> Vec<Resource> {
    let Some(zone) = api_zone(s) else {
        return Vec::new();
    };
    let zid = api_zone_id(s);
    let spoke_vnet = rid_in(
        &spoke_sub_param(s),
        &s.network_rg,
        types::VNET,
        &[&s.vnet_name],
    );
    vec![
        res(
            &format!("{zid}_spoke"),
            types::DNS_LINK,
            &[zone, &s.vnet_name],
            obj! {
                "location" => "global",
                "tags" => tags(estate),
                "properties" => obj! {
                    "registrationEnabled" => false,
                    "virtualNetwork" => id_ref(spoke_vnet),
                },
            },
        ),
        role_assignment(
            &format!("role_{zid}"),
            &Target::new(types::DNS_ZONE, &[zone]),
            control_plane_id(s),
            roles::PRIVATE_DNS_ZONE_CONTRIBUTOR,
            &[],
        ),
    ]
}

/// The API server zone's id, for the cluster's `privateDNSZone`.
pub(crate) fn api_zone_ref(estate: &Estate, s: &Spoke) -> Option<Expr> {
    api_zone(s).map(|z| {
        rid_in(
            super::hub_sub_param(),
            &estate.hub.resource_group,
            types::DNS_ZONE,
            &[z],
        )
    })
}

/// Rules a spoke subnet's NSG carries besides the internet deny: the API server subnet admits
/// 443 from Bastion and the operations subnet, everything from the spoke itself, and nothing else
/// from the virtual network; the gateway subnet admits what Application Gateway v2 needs.
pub(crate) fn subnet_rules(estate: &Estate, s: &Spoke, role: SubnetRole) -> Vec<Value> {
    match role {
        SubnetRole::ApiServer if s.cluster.private => {
            let h = &estate.hub;
            let operators: Vec<String> = h
                .bastion
                .iter()
                .map(|b| b.subnet.to_string())
                .chain(h.operations.iter().map(|o| o.subnet.to_string()))
                .collect();
            let mut rules = Vec::new();
            if !operators.is_empty() {
                rules.push(rule(
                    "allow-operators-https",
                    "Operators reach the API server from Bastion and the operations subnet",
                    "Inbound",
                    "Allow",
                    100,
                    "Tcp",
                    operators.into(),
                    "*",
                    &["443"],
                ));
            }
            rules.push(rule(
                "allow-spoke-inbound",
                "The cluster's own nodes and pods",
                "Inbound",
                "Allow",
                110,
                "*",
                s.address_space.to_string().into(),
                "*",
                &["*"],
            ));
            rules.push(rule(
                "deny-vnet-inbound",
                "Nothing else from peered networks",
                "Inbound",
                "Deny",
                4000,
                "*",
                "VirtualNetwork".into(),
                "*",
                &["*"],
            ));
            rules
        }
        SubnetRole::ApplicationGateway => super::ingress::gateway_rules(),
        _ => Vec::new(),
    }
}

/// The control plane's Network Contributor on the spoke VNet (AKS links its API server zone to
/// the VNet) and on the ingress subnet, where it places the internal load balancer.
pub(crate) fn network_roles(s: &Spoke) -> Vec<Resource> {
    let mut out = Vec::new();
    if s.cluster.api_dns_zone.is_some() {
        out.push(role_assignment(
            "role_network_vnet",
            &Target::new(types::VNET, &[&s.vnet_name]),
            control_plane_id(s),
            roles::NETWORK_CONTRIBUTOR,
            &["vnet"],
        ));
    }
    if let (Some(_), Some(n)) = (&s.ingress, s.subnet(SubnetRole::Ingress)) {
        out.push(role_assignment(
            "role_network_ingress",
            &Target::new(types::SUBNET, &[&s.vnet_name, &n.name]),
            control_plane_id(s),
            roles::NETWORK_CONTRIBUTOR,
            &["vnet"],
        ));
    }
    out
}
