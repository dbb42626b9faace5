//! The connectivity hub: resource group, VNet, Azure Firewall with its policy and the egress rules
//! AKS needs, private DNS zones, and the per-spoke peering and DNS links.

use super::{
    diagnostics, id_ref, lock, res, rg_deployment, rid, rid_in, spoke_sub_param, tags, types,
};
use crate::ir::{Deployment, Resource, Scope, Target, Value};
use crate::model::{Estate, FirewallMode, FirewallSku, Hub, PaasAccess, Spoke, SubnetRole};
use crate::obj;
use indexmap::IndexMap;

/// Private DNS zones the hub hosts: the vault's and the registry's for spokes that use private
/// endpoints, the Azure Monitor workspace's for spokes whose monitoring is private.
pub(crate) fn private_zones(estate: &Estate) -> Vec<String> {
    let mut out = Vec::new();
    if estate
        .spokes
        .iter()
        .any(|s| s.paas_access == PaasAccess::PrivateEndpoints)
    {
        out.extend([
            "privatelink.vaultcore.azure.net".into(),
            "privatelink.azurecr.io".into(),
            format!("{}.data.privatelink.azurecr.io", estate.location),
        ]);
    }
    if estate.spokes.iter().any(|s| s.private_monitoring) {
        out.push(super::monitoring::prometheus_zone(estate));
    }
    out
}

/// Whether spoke `s` resolves through the hub zone `zone`: the monitoring zone where its
/// monitoring is private, the others where it uses private endpoints.
fn linked(estate: &Estate, s: &Spoke, zone: &str) -> bool {
    if zone == super::monitoring::prometheus_zone(estate) {
        s.private_monitoring
    } else {
        s.paas_access == PaasAccess::PrivateEndpoints
    }
}

/// The symbolic id of a private DNS zone.
pub(crate) fn zone_id(zone: &str) -> String {
    let key: String = zone
        .split('.')
        .take_while(|p| *p != "azure" && *p != "azurecr")
        .collect::<Vec<_>>()
        .join("_");
    format!("zone_{key}").replace('-', "_")
}

fn mode(m: FirewallMode) -> &'static str {
    match m {
        FirewallMode::Deny => "Deny",
        FirewallMode::Alert => "Alert",
        FirewallMode::Off => "Off",
    }
}

/// The hubs' resource groups, each in its hub's region.
pub(crate) fn resource_groups(estate: &Estate) -> Deployment {
    let mut resources = vec![res(
        "rg_hub",
        types::RG,
        &[&estate.hub.resource_group],
        obj! { "location" => &estate.location, "tags" => tags(estate) },
    )];
    for h in &estate.regional_hubs {
        resources.push(res(
            &format!("rg_hub_{}", h.region),
            types::RG,
            &[&h.resource_group],
            obj! { "location" => &h.region, "tags" => tags(estate) },
        ));
    }
    Deployment {
        id: "hub-resource-groups".into(),
        scope: Scope::Subscription { subscription: None },
        parameters: IndexMap::new(),
        resources,
        depends_on: Vec::new(),
    }
}

/// The id of the deployment of the hub an estate view plans: `hub`, or `hub-<region>`.
pub(crate) fn deployment_id(estate: &Estate) -> String {
    format!("hub{}", estate.hub.suffix)
}

/// The deployments a spoke of `estate` (a view of one region) waits for to peer with its hub and
/// use the shared private DNS zones: the hub of `location`, and its own region's hub.
pub(crate) fn deployments(estate: &Estate) -> Vec<String> {
    let own = deployment_id(estate);
    if own == "hub" {
        vec![own]
    } else {
        vec!["hub".into(), own]
    }
}

/// A peering from the VNet `from` (in this resource group) to `to` (in the connectivity
/// subscription, resource group `to_rg`): hub to hub, forwarded traffic allowed both ways.
fn hub_peering(id: &str, from: &str, to_rg: &str, to: &str) -> Resource {
    res(
        id,
        types::PEERING,
        &[from, &format!("to-{to}")],
        obj! {
            "properties" => obj! {
                "remoteVirtualNetwork" => id_ref(rid_in(super::hub_sub_param(), to_rg, types::VNET, &[to])),
                "allowVirtualNetworkAccess" => true,
                "allowForwardedTraffic" => true,
                "allowGatewayTransit" => false,
                "useRemoteGateways" => false,
            },
        },
    )
}

/// The peerings from each earlier hub to a regional hub, declared in the earlier hub's resource
/// group once both exist, and the shared private DNS zones' links to the regional hub's VNet
/// (the zones live with the hub of `location`), so its firewall's DNS proxy resolves them too.
pub(crate) fn regional_links(
    estate: &Estate,
    regional: &Hub,
    earlier: &[&Hub],
    zones: &[String],
) -> Vec<Deployment> {
    let mut out = Vec::new();
    let own = format!("hub{}", regional.suffix);
    for a in earlier {
        let mut resources = vec![hub_peering(
            "peering_to_hub",
            &a.vnet_name,
            &regional.resource_group,
            &regional.vnet_name,
        )];
        if a.suffix.is_empty() {
            let vnet = rid_in(
                super::hub_sub_param(),
                &regional.resource_group,
                types::VNET,
                &[&regional.vnet_name],
            );
            for zone in zones {
                resources.push(res(
                    &format!("{}_hub", zone_id(zone)),
                    types::DNS_LINK,
                    &[zone, &regional.vnet_name],
                    obj! {
                        "location" => "global",
                        "tags" => tags(estate),
                        "properties" => obj! {
                            "registrationEnabled" => false,
                            "virtualNetwork" => id_ref(vnet.clone()),
                        },
                    },
                ));
            }
        }
        let id = if a.suffix.is_empty() {
            format!("{own}-links")
        } else {
            format!("{own}-links-{}", a.region)
        };
        out.push(rg_deployment(
            id,
            None,
            &a.resource_group,
            resources,
            vec![format!("hub{}", a.suffix), own.clone()],
        ));
    }
    out
}

/// The hub network and firewall of one region (`estate` is the view of that region), declaring
/// the shared private DNS zones (`shared_zones`) when it is the hub of `location`, and peered with the `earlier`
/// hubs when it is a regional one.
pub(crate) fn hub(estate: &Estate, shared_zones: &[String], earlier: &[&Hub]) -> Deployment {
    let h = &estate.hub;
    let fw = &h.firewall;
    let loc = estate.location.as_str();
    let sfx = h.suffix.as_str();
    let mut out = Vec::new();

    let log_name = format!("log-{}-hub{sfx}", estate.name);
    out.push(res(
        "log_hub",
        types::LAW,
        &[&log_name],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "properties" => obj! {
                "sku" => obj! { "name" => "PerGB2018" },
                "retentionInDays" => 90u32,
                "features" => obj! { "enableLogAccessUsingOnlyResourcePermissions" => true },
                "publicNetworkAccessForIngestion" => "Enabled",
                "publicNetworkAccessForQuery" => "Enabled",
                // The firewall's logs replicate as soon as any spoke's do.
                "replication" => estate.spokes.iter().find_map(|s| s.log_replica.as_ref()).map(|r| obj! { "enabled" => true, "location" => r }),
            },
        },
    ));

    let forced = fw.upstream_next_hop.is_some();
    if let Some(next) = fw.upstream_next_hop {
        out.push(res(
            "rt_firewall",
            types::RT,
            &[&format!("rt-{}-afw{sfx}", estate.name)],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "properties" => obj! {
                    "disableBgpRoutePropagation" => false,
                    "routes" => vec![obj! {
                        "name" => "default-to-upstream",
                        "properties" => obj! {
                            "addressPrefix" => "0.0.0.0/0",
                            "nextHopType" => "VirtualAppliance",
                            "nextHopIpAddress" => next.to_string(),
                        },
                    }],
                },
            },
        ));
    }

    out.extend(super::access::before_vnet(estate));
    let (extra_subnets, extra_depends) = super::access::hub_subnets(estate);
    let mut subnets = vec![obj! {
        "name" => "AzureFirewallSubnet",
        "properties" => obj! {
            "addressPrefix" => h.firewall_subnet.to_string(),
            "routeTable" => forced.then(|| id_ref(rid(types::RT, &[&format!("rt-{}-afw{sfx}", estate.name)]))),
            "defaultOutboundAccess" => false,
        },
    }];
    if let Some(m) = h.management_subnet {
        subnets.push(obj! {
            "name" => "AzureFirewallManagementSubnet",
            "properties" => obj! {
                "addressPrefix" => m.to_string(),
                "defaultOutboundAccess" => false,
            },
        });
    }
    subnets.extend(extra_subnets);
    let mut vnet = res(
        "vnet_hub",
        types::VNET,
        &[&h.vnet_name],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "properties" => obj! {
                "addressSpace" => obj! { "addressPrefixes" => vec![h.address_space.to_string()] },
                "subnets" => Value::Array(subnets),
            },
        },
    );
    if forced {
        vnet.depends_on.push("rt_firewall".into());
    }
    vnet.depends_on.extend(extra_depends);
    out.push(vnet);

    let zones: Value = if fw.zones.is_empty() {
        Value::Null
    } else {
        fw.zones.clone().into()
    };
    let pip = |id: &str, name: &str| {
        res(
            id,
            types::PIP,
            &[name],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "sku" => obj! { "name" => "Standard", "tier" => "Regional" },
                "zones" => zones.clone(),
                "properties" => obj! {
                    "publicIPAllocationMethod" => "Static",
                    "publicIPAddressVersion" => "IPv4",
                },
            },
        )
    };
    out.push(pip("pip_firewall", &fw.public_ip_name));
    if forced {
        out.push(pip("pip_firewall_mgmt", &fw.management_ip_name));
    }

    let tier = match fw.sku {
        FirewallSku::Standard => "Standard",
        FirewallSku::Premium => "Premium",
    };
    out.push(res(
        "firewall_policy",
        types::FWP,
        &[&fw.policy_name],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "properties" => obj! {
                "sku" => obj! { "tier" => tier },
                "threatIntelMode" => mode(fw.threat_intel_mode),
                "intrusionDetection" => fw.idps_mode.map(|m| obj! { "mode" => mode(m) }),
                "dnsSettings" => obj! {
                    "enableProxy" => fw.dns_proxy,
                    "servers" => Value::Array(Vec::new()),
                },
            },
        },
    ));
    let mut rcg = res(
        "firewall_rules_aks",
        types::RCG,
        &[&fw.policy_name, "aks-egress"],
        obj! { "properties" => rule_collections(estate) },
    );
    rcg.depends_on.push("firewall_policy".into());
    out.push(rcg);

    let ip_configs = vec![obj! {
        "name" => "data",
        "properties" => obj! {
            "subnet" => id_ref(rid(types::SUBNET, &[&h.vnet_name, "AzureFirewallSubnet"])),
            "publicIPAddress" => id_ref(rid(types::PIP, &[&fw.public_ip_name])),
        },
    }];
    let mut firewall = res(
        "firewall",
        types::FW,
        &[&fw.name],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "zones" => zones.clone(),
            "properties" => obj! {
                "sku" => obj! { "name" => "AZFW_VNet", "tier" => tier },
                "firewallPolicy" => id_ref(rid(types::FWP, &[&fw.policy_name])),
                "ipConfigurations" => Value::Array(ip_configs),
                "managementIpConfiguration" => forced.then(|| obj! {
                    "name" => "management",
                    "properties" => obj! {
                        "subnet" => id_ref(rid(types::SUBNET, &[&h.vnet_name, "AzureFirewallManagementSubnet"])),
                        "publicIPAddress" => id_ref(rid(types::PIP, &[&fw.management_ip_name])),
                    },
                }),
            },
        },
    );
    firewall.depends_on = vec![
        "vnet_hub".into(),
        "pip_firewall".into(),
        "firewall_rules_aks".into(),
    ];
    if forced {
        firewall.depends_on.push("pip_firewall_mgmt".into());
    }
    out.push(firewall);
    out.push(diagnostics(
        "firewall_diagnostics",
        &Target::new(types::FW, &[&fw.name]),
        "firewall",
        rid(types::LAW, &[&log_name]),
        &["group:allLogs"],
    ));
    if let Some(last) = out.last_mut() {
        last.depends_on.push("log_hub".into());
    }
    out.extend(super::monitoring::hub_alerts(estate, &log_name));

    out.extend(super::access::after_vnet(estate, &log_name));
    for zone in shared_zones {
        let zid = zone_id(zone);
        out.extend(super::hub_zone(estate, &zid, zone));
    }
    let mut depends = vec!["hub-resource-groups".to_string()];
    for a in earlier {
        let mut p = hub_peering(
            &format!("peering_to_hub{}", a.suffix.replace('-', "_")),
            &h.vnet_name,
            &a.resource_group,
            &a.vnet_name,
        );
        p.depends_on.push("vnet_hub".into());
        out.push(p);
        depends.push(format!("hub{}", a.suffix));
    }
    out.extend(lock(estate));
    rg_deployment(deployment_id(estate), None, &h.resource_group, out, depends)
}

/// Source ranges of every spoke's routed subnets.
fn node_sources(estate: &Estate) -> Vec<String> {
    estate
        .spokes
        .iter()
        .flat_map(|s| {
            s.subnets
                .iter()
                .filter(|n| n.role.routed())
                .map(|n| n.cidr.to_string())
        })
        .collect()
}

/// Source ranges of one spoke's node subnets, where its pods' traffic comes from: the sources of
/// the rules the spoke asks for itself.
fn spoke_nodes(s: &Spoke) -> Vec<String> {
    s.subnets
        .iter()
        .filter(|n| matches!(n.role, SubnetRole::System | SubnetRole::User))
        .map(|n| n.cidr.to_string())
        .collect()
}

fn net_rule(
    name: &str,
    proto: &str,
    src: &[String],
    dest_addr: &[&str],
    dest_fqdns: &[&str],
    ports: &[&str],
) -> Value {
    obj! {
        "ruleType" => "NetworkRule",
        "name" => name,
        "ipProtocols" => vec![proto],
        "sourceAddresses" => src.to_vec(),
        "destinationAddresses" => (!dest_addr.is_empty()).then(|| dest_addr.to_vec()),
        "destinationFqdns" => (!dest_fqdns.is_empty()).then(|| dest_fqdns.to_vec()),
        "destinationPorts" => ports.to_vec(),
    }
}

fn app_rule(name: &str, src: &[String], fqdns: &[String], tag: Option<&str>) -> Value {
    obj! {
        "ruleType" => "ApplicationRule",
        "name" => name,
        "protocols" => if tag.is_some() {
            vec![
                obj! { "protocolType" => "Http", "port" => 80u32 },
                obj! { "protocolType" => "Https", "port" => 443u32 },
            ]
        } else {
            vec![obj! { "protocolType" => "Https", "port" => 443u32 }]
        },
        "sourceAddresses" => src.to_vec(),
        "targetFqdns" => (!fqdns.is_empty()).then(|| fqdns.to_vec()),
        "fqdnTags" => tag.map(|t| vec![t]),
    }
}

/// The AKS egress rules: the FQDN tag, the endpoints enabled add-ons need, NTP, and the
/// control-plane tunnel ports only when some API server is public.
fn rule_collections(estate: &Estate) -> Value {
    let src = node_sources(estate);
    let region_tag = format!("AzureCloud.{}", estate.location);
    let fw = &estate.hub.firewall;
    let mut net = Vec::new();
    if fw.dns_proxy {
        net.push(net_rule(
            "ntp",
            "UDP",
            &src,
            &[],
            &["ntp.ubuntu.com"],
            &["123"],
        ));
    } else {
        net.push(net_rule("ntp", "UDP", &src, &["*"], &[], &["123"]));
    }
    if estate.spokes.iter().any(|s| !s.cluster.private) {
        net.push(net_rule(
            "apiserver-udp",
            "UDP",
            &src,
            &[&region_tag],
            &[],
            &["1194"],
        ));
        net.push(net_rule(
            "apiserver-tcp",
            "TCP",
            &src,
            &[&region_tag],
            &[],
            &["9000", "443"],
        ));
    }
    for s in &estate.spokes {
        let src = spoke_nodes(s);
        for r in &s.egress_network {
            net.push(obj! {
                "ruleType" => "NetworkRule",
                "name" => &r.name,
                "ipProtocols" => r.protocols.clone(),
                "sourceAddresses" => src.clone(),
                "destinationAddresses" => (!r.addresses.is_empty()).then(|| r.addresses.clone()),
                "destinationFqdns" => (!r.fqdns.is_empty()).then(|| r.fqdns.clone()),
                "destinationPorts" => r.ports.clone(),
            });
        }
    }
    if estate.spokes.iter().any(|s| s.cluster.container_insights) {
        net.push(net_rule(
            "azure-monitor",
            "TCP",
            &src,
            &["AzureMonitor"],
            &[],
            &["443"],
        ));
    }

    let has = |f: fn(&Spoke) -> bool| estate.spokes.iter().any(f);
    let mut app = vec![app_rule(
        "aks-fqdn-tag",
        &src,
        &[],
        Some("AzureKubernetesService"),
    )];
    let list = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    // Container Insights and managed Prometheus both send through Azure Monitor's agent, which
    // fetches its data collection rules from the handler endpoints and ingests on them.
    if has(|s| s.cluster.container_insights || s.cluster.managed_prometheus) {
        let mut f = list(&[
            "*.ods.opinsights.azure.com",
            "*.oms.opinsights.azure.com",
            "dc.services.visualstudio.com",
            "*.monitoring.azure.com",
            "global.handler.control.monitor.azure.com",
            "*.ingest.monitor.azure.com",
        ]);
        f.push(format!(
            "{}.handler.control.monitor.azure.com",
            estate.location
        ));
        app.push(app_rule("azure-monitor", &src, &f, None));
    }
    if has(|s| s.cluster.azure_policy) {
        let f = list(&[
            "data.policy.core.windows.net",
            "store.policy.core.windows.net",
            "dc.services.visualstudio.com",
        ]);
        app.push(app_rule("azure-policy", &src, &f, None));
    }
    if has(|s| s.cluster.defender) {
        let f = list(&[
            "*.ods.opinsights.azure.com",
            "*.oms.opinsights.azure.com",
            "*.cloud.defender.microsoft.com",
        ]);
        app.push(app_rule("defender", &src, &f, None));
    }
    if has(|s| s.cluster.secrets_store_csi && s.paas_access == PaasAccess::ServiceEndpoints) {
        app.push(app_rule(
            "key-vault",
            &src,
            &list(&["*.vault.azure.net"]),
            None,
        ));
    }
    // Registries reached through the firewall (no private endpoint): their login server and
    // data endpoint, from the nodes of their own spoke.
    for s in estate
        .spokes
        .iter()
        .filter(|s| s.paas_access == PaasAccess::ServiceEndpoints)
    {
        let acr = &s.registry.name;
        let src: Vec<String> = s
            .subnets
            .iter()
            .filter(|n| n.role.routed())
            .map(|n| n.cidr.to_string())
            .collect();
        let f = vec![
            format!("{acr}.azurecr.io"),
            format!("{acr}.{}.data.azurecr.io", estate.location),
        ];
        app.push(app_rule(&format!("registry-{}", s.key), &src, &f, None));
    }
    for (name, fqdns) in &fw.extra_fqdns {
        app.push(app_rule(name, &src, fqdns, None));
    }
    for s in &estate.spokes {
        if let Some((name, sources, fqdns)) = super::gitops::egress(estate, s) {
            app.push(app_rule(&name, &sources, &fqdns, None));
        }
    }
    for s in &estate.spokes {
        let src = spoke_nodes(s);
        for (name, fqdns) in &s.egress_fqdns {
            app.push(app_rule(name, &src, fqdns, None));
        }
    }
    if let Some(o) = &estate.hub.operations {
        // Runners and jump hosts sign in to Entra ID and drive Azure Resource Manager; the
        // clusters and private endpoints they reach stay inside the estate, through the peering.
        let f = list(&[
            "login.microsoftonline.com",
            "management.azure.com",
            "graph.microsoft.com",
            "packages.aks.azure.com",
        ]);
        app.push(app_rule("operations", &[o.subnet.to_string()], &f, None));
    }
    obj! {
        "priority" => 200u32,
        "ruleCollections" => vec![
            obj! {
                "ruleCollectionType" => "FirewallPolicyFilterRuleCollection",
                "name" => "aks-network",
                "priority" => 100u32,
                "action" => obj! { "type" => "Allow" },
                "rules" => Value::Array(net),
            },
            obj! {
                "ruleCollectionType" => "FirewallPolicyFilterRuleCollection",
                "name" => "aks-application",
                "priority" => 200u32,
                "action" => obj! { "type" => "Allow" },
                "rules" => Value::Array(app),
            },
        ],
    }
}

/// Hub → spoke peering and the private DNS zone links to the spoke VNet, after the spoke exists.
/// `estate` is the view of the spoke's region: the peering and the API server zone are its hub's;
/// the shared zones live with the hub of `location`, so a regional spoke's links to them are a
/// deployment of their own there.
pub(crate) fn links(estate: &Estate, s: &Spoke) -> Vec<Deployment> {
    let h = &estate.hub;
    let spoke_vnet = rid_in(
        &spoke_sub_param(s),
        &s.network_rg,
        types::VNET,
        &[&s.vnet_name],
    );
    let mut out: Vec<Resource> = vec![res(
        "peering_to_spoke",
        types::PEERING,
        &[&h.vnet_name, &format!("to-{}", s.vnet_name)],
        obj! {
            "properties" => obj! {
                "remoteVirtualNetwork" => id_ref(spoke_vnet.clone()),
                "allowVirtualNetworkAccess" => true,
                "allowForwardedTraffic" => true,
                "allowGatewayTransit" => false,
                "useRemoteGateways" => false,
            },
        },
    )];
    let mut zone_links = Vec::new();
    for zone in private_zones(estate) {
        if linked(estate, s, &zone) {
            zone_links.push(res(
                &format!("{}_{}", zone_id(&zone), s.key),
                types::DNS_LINK,
                &[&zone, &s.vnet_name],
                obj! {
                    "location" => "global",
                    "tags" => tags(estate),
                    "properties" => obj! {
                        "registrationEnabled" => false,
                        "virtualNetwork" => id_ref(spoke_vnet.clone()),
                    },
                },
            ));
        }
    }
    let regional = !h.suffix.is_empty();
    let mut shared = Vec::new();
    if regional {
        if !zone_links.is_empty() {
            shared.push(rg_deployment(
                format!("hub-zones-{}", s.key),
                None,
                &estate.zones_resource_group,
                zone_links,
                vec!["hub".into(), format!("{}-network", s.key)],
            ));
        }
    } else {
        out.extend(zone_links);
    }
    out.extend(super::access::spoke_links(estate, s));
    let mut all = vec![rg_deployment(
        format!("hub-links-{}", s.key),
        None,
        &h.resource_group,
        out,
        vec![
            deployment_id(estate),
            format!("{}-network", s.key),
            format!("{}-identity", s.key),
        ],
    )];
    all.extend(shared);
    all
}
