//! Building the network model from the resources: VNets, subnets, peerings, NSGs, route tables,
//! firewalls, DNS zones and links, private endpoints.

use super::{
    Dns, DnsLink, Firewall, Net, NextHop, NsgRule, Pe, Peering, RoutePrefix, Subnet, Udr, Vnet,
    flag, strings, text,
};
use crate::audit::flows::addr::Cidr;
use crate::audit::input::{Look, as_unknown, look, parse_id};
use crate::azure::types;
use serde_json::Value as Json;

impl Net<'_> {
    pub(super) fn build_vnets(&mut self) {
        for (res, v) in self.q.of_type(types::VNET) {
            let ranges = match v.get("properties.addressSpace.addressPrefixes") {
                Look::Unknown(u) => Err(u.to_string()),
                l => {
                    let mut out = Vec::new();
                    let mut bad = None;
                    for p in l.array() {
                        match p.as_str().and_then(Cidr::parse) {
                            Some(c) => out.push(c),
                            None => bad = Some(crate::audit::eval::show(p)),
                        }
                    }
                    match bad {
                        Some(b) => Err(b),
                        None => Ok(out),
                    }
                }
            };
            let dns = match v.get("properties.dhcpOptions.dnsServers") {
                Look::Unknown(u) => Dns::Unknown(u.to_string()),
                l => {
                    let (servers, unknown) = strings(&Json::Array(l.array().to_vec()), "");
                    match unknown {
                        Some(u) => Dns::Unknown(u),
                        None if servers.is_empty() => Dns::Azure,
                        None => Dns::Servers(servers),
                    }
                }
            };
            self.vnet_at
                .entry(v.name.to_ascii_lowercase())
                .or_insert(self.vnets.len());
            self.vnets.push(Vnet {
                res,
                name: v.name.clone(),
                ranges,
                dns,
            });
        }
    }

    pub(super) fn build_subnets(&mut self) {
        for view in self.q.subnets() {
            let Some(&vnet) = self.vnet_at.get(&view.vnet.to_ascii_lowercase()) else {
                continue;
            };
            let g = |k: &str| self.q.subnet_get(view, k);
            let range = match g("addressPrefix") {
                Look::Value(v) => v
                    .as_str()
                    .and_then(Cidr::parse)
                    .ok_or_else(|| crate::audit::eval::show(v)),
                Look::Unknown(u) => Err(u.to_string()),
                Look::Missing => match g("addressPrefixes") {
                    Look::Unknown(u) => Err(u.to_string()),
                    l => l
                        .array()
                        .first()
                        .and_then(Json::as_str)
                        .and_then(Cidr::parse)
                        .ok_or_else(|| "no address prefix".to_string()),
                },
            };
            let nsg = self.reference(g("networkSecurityGroup.id"));
            let rt = self.reference(g("routeTable.id"));
            let policies = g("privateEndpointNetworkPolicies")
                .str()
                .unwrap_or("Disabled")
                .to_ascii_lowercase();
            let (pe_nsg, pe_rt) = match policies.as_str() {
                "enabled" => (true, true),
                "networksecuritygroupenabled" => (true, false),
                "routetableenabled" => (false, true),
                _ => (false, false),
            };
            let default_outbound = match g("defaultOutboundAccess") {
                Look::Value(v) => v
                    .as_bool()
                    .or_else(|| v.as_str().map(|s| s.eq_ignore_ascii_case("true"))),
                _ => None,
            };
            let nat_gateway = !matches!(g("natGateway.id"), Look::Missing);
            let service_endpoints = g("serviceEndpoints")
                .array()
                .iter()
                .filter_map(|e| look(e, "service").str())
                .map(str::to_ascii_lowercase)
                .collect();
            self.subnet_at
                .entry((
                    view.vnet.to_ascii_lowercase(),
                    view.name.to_ascii_lowercase(),
                ))
                .or_insert(self.subnets.len());
            self.subnets.push(Subnet {
                view: view.clone(),
                vnet,
                name: view.name.clone(),
                range,
                nsg,
                rt,
                pe_nsg,
                pe_rt,
                default_outbound,
                nat_gateway,
                service_endpoints,
            });
        }
    }

    pub(super) fn build_peerings(&mut self) {
        for (res, p) in self.q.of_type(types::PEERING) {
            let Some((vnet_name, _)) = p.name.split_once('/') else {
                continue;
            };
            let Some(&from) = self.vnet_at.get(&vnet_name.to_ascii_lowercase()) else {
                continue;
            };
            let remote = text(p.get("properties.remoteVirtualNetwork.id"))
                .ok()
                .flatten()
                .unwrap_or_default();
            let to = self.vnet_by_id(&remote);
            self.peerings.push(Peering {
                res,
                name: p.name.clone(),
                from,
                to,
                access: flag(p.get("properties.allowVirtualNetworkAccess"), true),
                forwarded: flag(p.get("properties.allowForwardedTraffic"), false),
            });
        }
        // Inline peerings in the VNet body.
        for v in 0..self.vnets.len() {
            let res = self.vnets[v].res;
            let items = self
                .r(res)
                .get("properties.virtualNetworkPeerings")
                .array()
                .to_vec();
            for p in &items {
                let remote = look(p, "properties.remoteVirtualNetwork.id")
                    .str()
                    .unwrap_or_default()
                    .to_string();
                let to = self.vnet_by_id(&remote);
                self.peerings.push(Peering {
                    res,
                    name: format!(
                        "{}/{}",
                        self.vnets[v].name,
                        look(p, "name").str().unwrap_or("?")
                    ),
                    from: v,
                    to,
                    access: flag(look(p, "properties.allowVirtualNetworkAccess"), true),
                    forwarded: flag(look(p, "properties.allowForwardedTraffic"), false),
                });
            }
        }
    }

    pub(super) fn index_peerings(&mut self) {
        for (i, p) in self.peerings.iter().enumerate() {
            if let Some(to) = p.to {
                self.peering_at.entry((p.from, to)).or_insert(i);
            }
        }
        let mut list = vec![Vec::new(); self.vnets.len()];
        for &(a, b) in self.peering_at.keys() {
            if a != b && self.peering_at.contains_key(&(b, a)) {
                list[a].push(b);
            }
        }
        self.peer_list = list;
    }

    pub(super) fn build_nsgs(&mut self) {
        for (nsg, _) in self.q.of_type(types::NSG) {
            let mut rules = Vec::new();
            for (res, prefix, name) in self.q.children(nsg, "securityRules", types::NSG_RULE) {
                let r = self.r(res);
                // Look the rule up once, then its properties within it.
                let (props, whole) = match r.get(&prefix) {
                    Look::Value(v) => (v, None),
                    Look::Unknown(u) => (&Json::Null, Some(u.to_string())),
                    Look::Missing => (&Json::Null, None),
                };
                let g = |k: &str| look(props, k);
                let mut unknown = whole;
                let list = |one: &str, many: &str, unknown: &mut Option<String>| -> Vec<String> {
                    let mut out = Vec::new();
                    match g(one) {
                        Look::Value(v) => {
                            if let Some(s) = v.as_str() {
                                out.push(s.to_string());
                            }
                        }
                        Look::Unknown(u) => *unknown = Some(u.to_string()),
                        Look::Missing => {}
                    }
                    match g(many) {
                        Look::Unknown(u) => *unknown = Some(u.to_string()),
                        l => {
                            for v in l.array() {
                                match v.as_str() {
                                    Some(s) => out.push(s.to_string()),
                                    None => {
                                        *unknown =
                                            as_unknown(v).map(str::to_string).or(unknown.take());
                                    }
                                }
                            }
                        }
                    }
                    out
                };
                let src = list("sourceAddressPrefix", "sourceAddressPrefixes", &mut unknown);
                let dst = list(
                    "destinationAddressPrefix",
                    "destinationAddressPrefixes",
                    &mut unknown,
                );
                let ports = list(
                    "destinationPortRange",
                    "destinationPortRanges",
                    &mut unknown,
                );
                if !g("sourceApplicationSecurityGroups").array().is_empty()
                    || !g("destinationApplicationSecurityGroups").array().is_empty()
                {
                    unknown = Some(
                        "an application security group, whose members the model does not see"
                            .into(),
                    );
                }
                let priority = match g("priority") {
                    Look::Value(v) => v.as_i64().unwrap_or(i64::MAX),
                    Look::Unknown(u) => {
                        unknown = Some(u.to_string());
                        i64::MAX
                    }
                    Look::Missing => i64::MAX,
                };
                let is = |k: &str, w: &str| g(k).str().is_some_and(|s| s.eq_ignore_ascii_case(w));
                if matches!(g("access"), Look::Unknown(_))
                    || matches!(g("direction"), Look::Unknown(_))
                {
                    unknown = Some("its access or direction is set by an expression".into());
                }
                rules.push(NsgRule {
                    res,
                    path: prefix.clone(),
                    name,
                    priority,
                    inbound: is("direction", "Inbound"),
                    allow: is("access", "Allow"),
                    protocol: g("protocol").str().unwrap_or("*").to_string(),
                    src,
                    dst,
                    ports,
                    unknown,
                    default: false,
                });
            }
            let d =
                |name: &str, priority: i64, inbound: bool, allow: bool, src: &str, dst: &str| {
                    NsgRule {
                        res: nsg,
                        path: "properties.defaultSecurityRules".into(),
                        name: name.into(),
                        priority,
                        inbound,
                        allow,
                        protocol: "*".into(),
                        src: vec![src.into()],
                        dst: vec![dst.into()],
                        ports: vec!["*".into()],
                        unknown: None,
                        default: true,
                    }
                };
            rules.extend([
                d(
                    "AllowVnetInBound",
                    65000,
                    true,
                    true,
                    "VirtualNetwork",
                    "VirtualNetwork",
                ),
                d(
                    "AllowAzureLoadBalancerInBound",
                    65001,
                    true,
                    true,
                    "AzureLoadBalancer",
                    "*",
                ),
                d("DenyAllInBound", 65500, true, false, "*", "*"),
                d(
                    "AllowVnetOutBound",
                    65000,
                    false,
                    true,
                    "VirtualNetwork",
                    "VirtualNetwork",
                ),
                d("AllowInternetOutBound", 65001, false, true, "*", "Internet"),
                d("DenyAllOutBound", 65500, false, false, "*", "*"),
            ]);
            rules.sort_by_key(|r| r.priority);
            self.nsg_rules.insert(nsg, rules);
        }
    }

    pub(super) fn build_routes(&mut self) {
        for (rt, _) in self.q.of_type(types::RT) {
            let mut out = Vec::new();
            for (res, prefix, name) in self.q.children(rt, "routes", types::ROUTE) {
                let r = self.r(res);
                let g = |k: &str| r.get(&format!("{prefix}.{k}"));
                let rp = match text(g("addressPrefix")) {
                    Ok(Some(p)) => Cidr::parse(&p).map_or(RoutePrefix::Tag(p), RoutePrefix::Cidr),
                    Ok(None) => RoutePrefix::Unknown("no address prefix".into()),
                    Err(u) => RoutePrefix::Unknown(u),
                };
                let hop = match text(g("nextHopType")) {
                    Ok(Some(h)) => match h.to_ascii_lowercase().as_str() {
                        "vnetlocal" => NextHop::VnetLocal,
                        "internet" => NextHop::Internet,
                        "none" => NextHop::None,
                        "virtualnetworkgateway" => NextHop::Gateway,
                        "virtualappliance" => match text(g("nextHopIpAddress")) {
                            Ok(Some(ip)) => NextHop::Appliance(
                                Cidr::parse(&ip).filter(|c| c.len == 32).map(|c| c.base),
                                ip,
                            ),
                            Ok(None) => NextHop::Appliance(None, "(no address)".into()),
                            Err(u) => NextHop::Unknown(u),
                        },
                        other => NextHop::Unknown(other.to_string()),
                    },
                    Ok(None) => NextHop::Unknown("no next hop type".into()),
                    Err(u) => NextHop::Unknown(u),
                };
                out.push(Udr {
                    res,
                    path: prefix,
                    name,
                    table: rt,
                    prefix: rp,
                    hop,
                });
            }
            self.udrs.insert(rt, out);
        }
    }

    pub(super) fn build_firewalls(&mut self) {
        for (res, fw) in self.q.of_type(types::FW) {
            let mut subnet = None;
            let mut ip = None;
            let mut public_ip = false;
            let mut public_ip_names = Vec::new();
            for cfg in fw.get("properties.ipConfigurations").array() {
                if subnet.is_none() {
                    subnet = self
                        .subnet_ref(look(cfg, "properties.subnet.id"))
                        .ok()
                        .flatten();
                }
                if let Some(a) = look(cfg, "properties.privateIPAddress")
                    .str()
                    .and_then(Cidr::parse)
                {
                    ip = Some(a.base);
                }
                if let Look::Value(v) = look(cfg, "properties.publicIPAddress.id") {
                    public_ip = true;
                    if let Some((_, names)) = v.as_str().and_then(parse_id) {
                        public_ip_names.extend(names.last().map(|n| n.to_ascii_lowercase()));
                    }
                } else if let Look::Unknown(_) = look(cfg, "properties.publicIPAddress.id") {
                    public_ip = true;
                }
            }
            if ip.is_none() {
                // Azure gives the firewall the fourth address of AzureFirewallSubnet.
                ip = subnet
                    .and_then(|s| self.subnets[s].range.clone().ok())
                    .map(|c| c.nth(4));
            }
            let policy = self.reference(fw.get("properties.firewallPolicy.id"));
            self.firewalls.push(Firewall {
                res,
                name: fw.name.clone(),
                subnet,
                ip,
                policy,
                public_ip,
                public_ip_names,
            });
        }
    }

    pub(super) fn build_dns(&mut self) {
        for (res, z) in self.q.of_type(types::DNS_ZONE) {
            self.zones.entry(z.name.to_ascii_lowercase()).or_insert(res);
        }
        for (res, l) in self.q.of_type(types::DNS_LINK) {
            let Some((zone, _)) = l.name.split_once('/') else {
                continue;
            };
            let vnet_id = text(l.get("properties.virtualNetwork.id"))
                .ok()
                .flatten()
                .unwrap_or_default();
            let vnet = self.vnet_by_id(&vnet_id);
            self.links
                .entry(zone.to_ascii_lowercase())
                .or_default()
                .push(DnsLink {
                    res,
                    name: l.name.clone(),
                    vnet,
                    vnet_id,
                });
        }
    }

    pub(super) fn build_pes(&mut self) {
        for (res, pe) in self.q.of_type(types::PE) {
            let subnet = self
                .subnet_ref(pe.get("properties.subnet.id"))
                .ok()
                .flatten();
            let mut targets = Vec::new();
            for list in [
                "privateLinkServiceConnections",
                "manualPrivateLinkServiceConnections",
            ] {
                for conn in pe.get(&format!("properties.{list}")).array() {
                    if let Some(t) = look(conn, "properties.privateLinkServiceId")
                        .str()
                        .and_then(|id| self.q.find_id(id))
                    {
                        targets.push(t);
                    }
                }
            }
            let mut zones = Vec::new();
            let mut groups: Vec<(usize, Vec<Json>)> = self
                .q
                .named_under(types::PE_DNS, &pe.name)
                .into_iter()
                .map(|g| {
                    (
                        g,
                        self.r(g)
                            .get("properties.privateDnsZoneConfigs")
                            .array()
                            .to_vec(),
                    )
                })
                .collect();
            for g in pe.get("properties.privateDnsZoneGroups").array() {
                groups.push((
                    res,
                    look(g, "properties.privateDnsZoneConfigs").array().to_vec(),
                ));
            }
            for (g, configs) in groups {
                for c in configs {
                    if let Some((_, names)) = look(&c, "properties.privateDnsZoneId")
                        .str()
                        .and_then(parse_id)
                    {
                        if let Some(z) = names.last() {
                            zones.push((z.to_ascii_lowercase(), g));
                        }
                    }
                }
            }
            self.pes.push(Pe {
                res,
                name: pe.name.clone(),
                subnet,
                targets,
                zones,
            });
        }
    }
}
