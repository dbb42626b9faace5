//! The estate as a graph the diagram draws: VNets with the role their topology gives them, the
//! nodes placed in them (clusters, firewalls, route tables, private endpoints, Bastion,
//! Application Gateway), the nodes outside (the Internet, upstream hops, vaults and registries,
//! Fleet), the paths between them and the peerings. Nothing here is positional: every node is
//! keyed by what it stands for.

use super::names::display_name;
use crate::audit::expr::is_expression;
use crate::audit::input::{Input, Look, Resource, look, parse_id};
use crate::audit::query::Index;
use crate::azure::{subnets, types};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// What a node is; it decides the node's shape and the prefix of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// The Internet, where egress ends.
    Internet,
    /// Clients on the Internet, where ingress starts.
    Clients,
    /// People who operate the estate.
    Operators,
    /// An AKS cluster.
    Cluster,
    /// An Azure Firewall.
    Firewall,
    /// A route table, drawn once with the subnets that use it.
    Routes,
    /// A next hop that is not a firewall of the input.
    Hop,
    /// A private endpoint.
    Endpoint,
    /// A Key Vault.
    Vault,
    /// A container registry.
    Registry,
    /// Another private-link target.
    Service,
    /// Azure Bastion.
    Bastion,
    /// An Application Gateway.
    Gateway,
    /// An AKS Fleet manager.
    Fleet,
    /// Spokes drawn as one node.
    Summary,
}

impl Kind {
    /// The prefix of the node's id.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Internet => "internet",
            Kind::Clients => "clients",
            Kind::Operators => "operators",
            Kind::Cluster => "aks",
            Kind::Firewall => "fw",
            Kind::Routes => "rt",
            Kind::Hop => "hop",
            Kind::Endpoint => "pe",
            Kind::Vault => "kv",
            Kind::Registry => "acr",
            Kind::Service => "svc",
            Kind::Bastion => "bas",
            Kind::Gateway => "agw",
            Kind::Fleet => "fleet",
            Kind::Summary => "spokes",
        }
    }

    /// How the node's kind reads before its name ("" when the name says it).
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Cluster => "AKS",
            Kind::Firewall => "Azure Firewall",
            Kind::Routes => "route table",
            Kind::Endpoint => "private endpoint",
            Kind::Vault => "Key Vault",
            Kind::Registry => "ACR",
            Kind::Bastion => "Bastion",
            Kind::Gateway => "Application Gateway",
            Kind::Fleet => "Fleet",
            _ => "",
        }
    }
}

/// A node.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// What it stands for, unique in the graph.
    pub key: String,
    /// What it is.
    pub kind: Kind,
    /// How it is named.
    pub name: String,
    /// Label lines after the name; with the kind, what makes two spokes alike.
    pub traits: Vec<String>,
    /// The VNet (index into [`Graph::nets`]) it sits in.
    pub net: Option<usize>,
    /// Whether it is a weakness worth a second look (public access).
    pub warn: bool,
}

/// How an edge is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Line {
    /// Traffic takes this path.
    Solid,
    /// A private link, membership or management path.
    Dotted,
}

/// An edge between two nodes (indices into [`Graph::nodes`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Edge {
    /// From.
    pub from: usize,
    /// To.
    pub to: usize,
    /// How it is drawn.
    pub line: Line,
    /// Its label, if any.
    pub label: String,
}

/// A VNet's role in the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Hosts a firewall and is peered to others.
    Hub,
    /// Peered to a hub.
    Spoke,
    /// Neither.
    Plain,
}

/// A VNet.
#[derive(Debug, Clone)]
pub(super) struct Net {
    /// What it stands for.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its address prefixes.
    pub prefixes: Vec<String>,
    /// Its role.
    pub role: Role,
}

/// The estate as a graph.
#[derive(Debug, Clone, Default)]
pub(super) struct Graph {
    /// VNets, in document order.
    pub nets: Vec<Net>,
    /// Nodes, in the order they were found.
    pub nodes: Vec<Node>,
    /// Edges, without repeats.
    pub edges: Vec<Edge>,
    /// Peered VNets, each pair once, lower index first.
    pub peerings: Vec<(usize, usize)>,
    /// Node key → node.
    keys: BTreeMap<String, usize>,
    /// Edges already drawn.
    seen: BTreeSet<Edge>,
}

impl Graph {
    fn node(&mut self, n: Node) -> usize {
        if let Some(&i) = self.keys.get(&n.key) {
            return i;
        }
        self.keys.insert(n.key.clone(), self.nodes.len());
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    fn fixed(&mut self, kind: Kind, name: &str) -> usize {
        self.node(Node {
            key: kind.prefix().to_string(),
            kind,
            name: name.to_string(),
            traits: Vec::new(),
            net: None,
            warn: false,
        })
    }

    fn edge(&mut self, from: usize, to: usize, line: Line, label: &str) {
        let e = Edge {
            from,
            to,
            line,
            label: label.to_string(),
        };
        if self.seen.insert(e.clone()) {
            self.edges.push(e);
        }
    }

    /// Indices of the nodes of `kind`.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len()).filter(move |&i| self.nodes[i].kind == kind)
    }
}

/// What a resource stands for: its type and name, lower case.
pub(super) fn key_of(r: &Resource) -> String {
    format!("{}/{}", r.short_type(), r.name).to_ascii_lowercase()
}

fn resource_node(r: &Resource, kind: Kind, traits: Vec<String>, net: Option<usize>) -> Node {
    Node {
        key: key_of(r),
        kind,
        name: display_name(r),
        traits,
        net,
        warn: false,
    }
}

/// Builds the graph, with the index and what it learns on the way.
struct Builder<'a> {
    input: &'a Input,
    q: Index<'a>,
    g: Graph,
    /// Resource index of each VNet in `g.nets`.
    net_res: Vec<usize>,
    /// Lower-case VNet name → its first VNet in `g.nets`.
    net_names: BTreeMap<String, usize>,
    /// Firewall private addresses → firewall node.
    fw_ips: BTreeMap<String, usize>,
    /// Route table resource → its node.
    rt_nodes: BTreeMap<usize, usize>,
    /// Cluster resource → its node.
    clusters: BTreeMap<usize, usize>,
}

/// The graph of `input`.
pub(super) fn build(input: &Input) -> Graph {
    let mut b = Builder {
        input,
        q: Index::new(input),
        g: Graph::default(),
        net_res: Vec::new(),
        net_names: BTreeMap::new(),
        fw_ips: BTreeMap::new(),
        rt_nodes: BTreeMap::new(),
        clusters: BTreeMap::new(),
    };
    b.nets();
    b.peerings();
    b.firewalls();
    b.route_tables();
    b.clusters();
    b.endpoints();
    b.bastions();
    b.gateways();
    b.fleets();
    b.roles();
    b.g
}

impl<'a> Builder<'a> {
    fn res(&self, i: usize) -> &'a Resource {
        &self.input.resources[i]
    }

    fn nets(&mut self) {
        for (i, r) in self.q.of_type(types::VNET) {
            let prefixes = r
                .get("properties.addressSpace.addressPrefixes")
                .array()
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            self.g.nets.push(Net {
                key: key_of(r),
                name: display_name(r),
                prefixes,
                role: Role::Plain,
            });
            self.net_names
                .entry(r.name.to_ascii_lowercase())
                .or_insert(self.net_res.len());
            self.net_res.push(i);
        }
    }

    /// The VNet called `name`.
    fn net_named(&self, name: &str) -> Option<usize> {
        self.net_names.get(&name.to_ascii_lowercase()).copied()
    }

    /// The VNet a subnet or VNet id points into: through the id when it is known, else the one
    /// VNet whose name (or the expression that names it) the unevaluated id spells out.
    fn net_of(&self, id: Look<'_>) -> Option<usize> {
        match id {
            Look::Value(v) => {
                let (t, names) = parse_id(v.as_str()?)?;
                (t.eq_ignore_ascii_case(types::SUBNET) || t.eq_ignore_ascii_case(types::VNET))
                    .then(|| self.net_named(&names[0]))
                    .flatten()
            }
            Look::Unknown(e) => {
                let e = e.to_ascii_lowercase();
                let hits: Vec<usize> = (0..self.net_res.len())
                    .filter(|&n| {
                        let r = self.res(self.net_res[n]);
                        e.contains(&format!("'{}'", r.name.to_ascii_lowercase()))
                            || (is_expression(&r.raw_name)
                                && e.contains(
                                    &r.raw_name.trim_matches(['[', ']']).to_ascii_lowercase(),
                                ))
                    })
                    .collect();
                (hits.len() == 1).then(|| hits[0])
            }
            Look::Missing => None,
        }
    }

    /// The subnet name a subnet id ends in, when known.
    fn subnet_name(id: Look<'_>) -> Option<String> {
        let (_, names) = parse_id(id.str()?)?;
        names.get(1).cloned()
    }

    fn peerings(&mut self) {
        let mut pairs = BTreeSet::new();
        for (n, &vi) in self.net_res.iter().enumerate() {
            for p in self
                .res(vi)
                .get("properties.virtualNetworkPeerings")
                .array()
            {
                if let Some(m) = self.net_of(look(p, "properties.remoteVirtualNetwork.id")) {
                    pairs.insert((n.min(m), n.max(m)));
                }
            }
        }
        for (_, p) in self.q.of_type(types::PEERING) {
            let from = p.name.split('/').next().and_then(|v| self.net_named(v));
            let to = self.net_of(p.get("properties.remoteVirtualNetwork.id"));
            if let (Some(a), Some(b)) = (from, to) {
                if a != b {
                    pairs.insert((a.min(b), a.max(b)));
                }
            }
        }
        self.g.peerings = pairs.into_iter().collect();
    }

    fn firewalls(&mut self) {
        let fws: Vec<usize> = self.q.of_type(types::FW).map(|(i, _)| i).collect();
        for i in fws {
            let r = self.res(i);
            let configs = r.get("properties.ipConfigurations").array();
            let net = configs
                .iter()
                .find_map(|c| self.net_of(look(c, "properties.subnet.id")));
            let mut traits = Vec::new();
            if let Some(t) = r.get("properties.sku.tier").str() {
                traits.push(t.to_string());
            }
            let forced = !matches!(r.get("properties.managementIpConfiguration"), Look::Missing);
            if forced {
                traits.push("forced tunnelling".into());
            }
            let mut ips: Vec<String> = configs
                .iter()
                .filter_map(|c| look(c, "properties.privateIPAddress").str())
                .map(str::to_string)
                .collect();
            if let Some(n) = net {
                ips.extend(self.firewall_subnet_ip(self.net_res[n]));
            }
            let node = resource_node(r, Kind::Firewall, traits, net);
            let node = self.g.node(node);
            for ip in ips {
                self.fw_ips.entry(ip).or_insert(node);
            }
        }
    }

    /// The fourth address of a VNet's `AzureFirewallSubnet`, which Azure gives the firewall.
    fn firewall_subnet_ip(&self, vnet: usize) -> Option<String> {
        let name = &self.res(vnet).name;
        let s = self.q.subnet(name, subnets::FIREWALL)?;
        let prefix = self.q.subnet_get(s, "addressPrefix").str()?;
        let a: Ipv4Addr = prefix.split_once('/')?.0.parse().ok()?;
        Some(Ipv4Addr::from(u32::from(a).wrapping_add(4)).to_string())
    }

    fn route_tables(&mut self) {
        // Route table → the subnets that use it, with their VNet.
        let mut users: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
        for s in self.q.subnets() {
            let id = self.q.subnet_get(s, "routeTable.id");
            if let Some(rt) = id.str().and_then(|id| self.q.find_id(id)) {
                if let Some(n) = self.net_named(&s.vnet) {
                    users.entry(rt).or_default().push((n, s.name.clone()));
                }
            }
        }
        for (rt, users) in users {
            let Some(&(net, _)) = users.first() else {
                continue;
            };
            let mut hop = None;
            for (res, prefix, _) in self.q.children(rt, "routes", types::ROUTE) {
                let r = self.res(res);
                if r.get(&format!("{prefix}.addressPrefix")).str() == Some("0.0.0.0/0") {
                    let t = r.get(&format!("{prefix}.nextHopType")).str().unwrap_or("");
                    let ip = r.get(&format!("{prefix}.nextHopIpAddress")).str();
                    hop = Some((t.to_string(), ip.map(str::to_string)));
                }
            }
            let subnet_list: Vec<&str> = users.iter().map(|(_, s)| s.as_str()).collect();
            let route = match &hop {
                Some((_, Some(ip))) => format!("0.0.0.0/0 → {ip}"),
                Some((t, None)) => format!("0.0.0.0/0 → {t}"),
                None => "no 0.0.0.0/0 route".into(),
            };
            let node = resource_node(
                self.res(rt),
                Kind::Routes,
                vec![subnet_list.join(", "), route],
                Some(net),
            );
            let node = self.g.node(node);
            self.rt_nodes.insert(rt, node);
            let Some((t, ip)) = hop else { continue };
            let target = match ip.as_deref().and_then(|ip| self.fw_ips.get(ip)) {
                Some(&fw) => fw,
                None if t.eq_ignore_ascii_case("Internet") => {
                    self.g.fixed(Kind::Internet, "Internet")
                }
                None => {
                    let what = if t.eq_ignore_ascii_case("VirtualNetworkGateway") {
                        "VPN or ExpressRoute gateway".to_string()
                    } else {
                        format!("upstream next hop {}", ip.as_deref().unwrap_or(&t))
                    };
                    let key = format!("hop/{}", ip.as_deref().unwrap_or(&t)).to_ascii_lowercase();
                    self.g.node(Node {
                        key,
                        kind: Kind::Hop,
                        name: what,
                        traits: Vec::new(),
                        net: None,
                        warn: false,
                    })
                }
            };
            self.g.edge(node, target, Line::Solid, "0.0.0.0/0");
        }
        // What sits in a subnet with a route table sends its egress there.
        let fws: Vec<usize> = self.g.of_kind(Kind::Firewall).collect();
        for fw in fws {
            let net = self.g.nodes[fw].net;
            let rt = net.and_then(|n| {
                let s = self
                    .q
                    .subnet(&self.res(self.net_res[n]).name, subnets::FIREWALL)?;
                let id = self.q.subnet_get(s, "routeTable.id");
                self.rt_nodes.get(&self.q.find_id(id.str()?)?).copied()
            });
            match rt {
                Some(rt) => self.g.edge(fw, rt, Line::Solid, ""),
                None => {
                    let internet = self.g.fixed(Kind::Internet, "Internet");
                    self.g.edge(fw, internet, Line::Solid, "");
                }
            }
        }
    }

    /// A cluster's subnet ids: node pools' (inline, then child pools), then the API server's.
    fn cluster_subnets(&self, c: usize) -> (Vec<Look<'a>>, Look<'a>) {
        let r = self.res(c);
        let (_, pools) = self.q.pools(c);
        let nodes = pools
            .iter()
            .map(|p| self.res(p.res).get(&format!("{}.vnetSubnetID", p.prefix)))
            .filter(|l| !matches!(l, Look::Missing))
            .collect();
        (nodes, r.get("properties.apiServerAccessProfile.subnetId"))
    }

    fn cluster_traits(&self, c: usize) -> (Vec<String>, bool) {
        let r = self.res(c);
        let private = r
            .get("properties.apiServerAccessProfile.enablePrivateCluster")
            .bool()
            == Some(true);
        let mut api = if private {
            "private API server".to_string()
        } else {
            "public API server".to_string()
        };
        if r.get("properties.apiServerAccessProfile.enableVnetIntegration")
            .bool()
            == Some(true)
        {
            api.push_str(", VNet-integrated");
        }
        let (_, pools) = self.q.pools(c);
        let mut fips = !pools.is_empty();
        let names: Vec<String> = pools
            .iter()
            .map(|p| {
                let pr = self.res(p.res);
                let g = |k: &str| pr.get(&format!("{}.{k}", p.prefix));
                fips &= g("enableFIPS").bool() == Some(true);
                let kata = g("workloadRuntime")
                    .str()
                    .is_some_and(|w| w.eq_ignore_ascii_case("KataVmIsolation"));
                if kata {
                    format!("{} (Kata)", p.name)
                } else {
                    p.name.clone()
                }
            })
            .collect();
        let mut traits = vec![api];
        if !names.is_empty() {
            traits.push(format!("pools: {}", names.join(", ")));
        }
        let mut extras = Vec::new();
        if r.get("properties.serviceMeshProfile.mode")
            .str()
            .is_some_and(|m| m.eq_ignore_ascii_case("Istio"))
        {
            let revs: Vec<&str> = r
                .get("properties.serviceMeshProfile.istio.revisions")
                .array()
                .iter()
                .filter_map(Json::as_str)
                .collect();
            extras.push(if revs.is_empty() {
                "Istio mesh".to_string()
            } else {
                format!("Istio mesh {}", revs.join(", "))
            });
        }
        if fips {
            extras.push("FIPS nodes".into());
        }
        if !extras.is_empty() {
            traits.push(extras.join(" · "));
        }
        (traits, !private)
    }

    fn clusters(&mut self) {
        let clusters = self.q.clusters();
        for c in clusters {
            let (nodes, api) = self.cluster_subnets(c);
            let net = nodes
                .iter()
                .chain(std::iter::once(&api))
                .find_map(|l| self.net_of(*l));
            let (traits, public) = self.cluster_traits(c);
            let mut n = resource_node(self.res(c), Kind::Cluster, traits, net);
            n.warn = public;
            let node = self.g.node(n);
            self.clusters.insert(c, node);
            // Egress: the route tables of the node subnets, else straight out.
            let mut rts: Vec<usize> = Vec::new();
            for l in &nodes {
                let Some(n) = self.net_of(*l) else { continue };
                let Some(name) = Self::subnet_name(*l) else {
                    continue;
                };
                let vnet = self.res(self.net_res[n]).name.clone();
                let rt = self.q.subnet(&vnet, &name).and_then(|s| {
                    let id = self.q.subnet_get(s, "routeTable.id");
                    self.rt_nodes.get(&self.q.find_id(id.str()?)?).copied()
                });
                if let Some(rt) = rt.filter(|rt| !rts.contains(rt)) {
                    rts.push(rt);
                }
            }
            for rt in &rts {
                self.g.edge(node, *rt, Line::Solid, "");
            }
            if rts.is_empty() {
                let outbound = self
                    .res(c)
                    .get("properties.networkProfile.outboundType")
                    .str()
                    .unwrap_or("loadBalancer")
                    .to_string();
                let internet = self.g.fixed(Kind::Internet, "Internet");
                self.g
                    .edge(node, internet, Line::Solid, &format!("egress: {outbound}"));
            }
        }
    }

    fn paas_node(&mut self, target: usize) -> usize {
        let r = self.res(target);
        let kind = if r.is(types::KV) {
            Kind::Vault
        } else if r.is(types::ACR) {
            Kind::Registry
        } else {
            Kind::Service
        };
        let public = (kind != Kind::Service)
            && !r
                .get("properties.publicNetworkAccess")
                .str()
                .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"));
        let traits = if public {
            vec!["public network access".to_string()]
        } else if kind == Kind::Service {
            vec![r.short_type().to_string()]
        } else {
            Vec::new()
        };
        let mut n = resource_node(r, kind, traits, None);
        n.warn = public;
        self.g.node(n)
    }

    fn endpoints(&mut self) {
        let paas: Vec<usize> = self.q.of_types(&[types::KV, types::ACR]);
        for p in paas {
            self.paas_node(p);
        }
        let pes: Vec<usize> = self.q.of_type(types::PE).map(|(i, _)| i).collect();
        for pe in pes {
            let r = self.res(pe);
            let net = self.net_of(r.get("properties.subnet.id"));
            let targets: Vec<usize> = [
                "privateLinkServiceConnections",
                "manualPrivateLinkServiceConnections",
            ]
            .iter()
            .flat_map(|list| r.get(&format!("properties.{list}")).array())
            .filter_map(|conn| self.target_of(look(conn, "properties.privateLinkServiceId")))
            .collect();
            let node = resource_node(r, Kind::Endpoint, Vec::new(), net);
            let node = self.g.node(node);
            for t in targets {
                let t = self.paas_node(t);
                self.g.edge(node, t, Line::Dotted, "private link");
            }
        }
    }

    /// The resource an id names: through the id when it is known, else the one resource whose
    /// name expression the unevaluated id spells out.
    fn target_of(&self, id: Look<'_>) -> Option<usize> {
        match id {
            Look::Value(v) => self.q.find_id(v.as_str()?),
            Look::Unknown(e) => {
                let e = e.to_ascii_lowercase();
                let hits: Vec<usize> = (0..self.input.resources.len())
                    .filter(|&i| {
                        let r = self.res(i);
                        is_expression(&r.raw_name)
                            && e.contains(&r.raw_name.trim_matches(['[', ']']).to_ascii_lowercase())
                            && e.contains(&r.short_type().to_ascii_lowercase())
                    })
                    .collect();
                (hits.len() == 1).then(|| hits[0])
            }
            Look::Missing => None,
        }
    }

    /// Cluster nodes in VNet `net` or in a VNet peered to it.
    fn clusters_near(&self, net: usize) -> Vec<usize> {
        let near = |m: usize| {
            m == net
                || self
                    .g
                    .peerings
                    .iter()
                    .any(|&(a, b)| (a, b) == (net.min(m), net.max(m)))
        };
        self.clusters
            .values()
            .copied()
            .filter(|&c| self.g.nodes[c].net.is_some_and(near))
            .collect()
    }

    fn bastions(&mut self) {
        let hosts: Vec<usize> = self.q.of_type(types::BASTION).map(|(i, _)| i).collect();
        for b in hosts {
            let r = self.res(b);
            let net = r
                .get("properties.ipConfigurations")
                .array()
                .iter()
                .find_map(|c| self.net_of(look(c, "properties.subnet.id")));
            let traits = r
                .get("sku.name")
                .str()
                .map(|s| vec![s.to_string()])
                .unwrap_or_default();
            let node = self.g.node(resource_node(r, Kind::Bastion, traits, net));
            let ops = self.g.fixed(Kind::Operators, "operators");
            self.g.edge(ops, node, Line::Solid, "");
            if let Some(n) = net {
                for c in self.clusters_near(n) {
                    self.g.edge(node, c, Line::Dotted, "operator access");
                }
            }
        }
    }

    fn gateways(&mut self) {
        let gws: Vec<usize> = self.q.of_type(types::AGW).map(|(i, _)| i).collect();
        for gw in gws {
            let r = self.res(gw);
            let net = r
                .get("properties.gatewayIPConfigurations")
                .array()
                .iter()
                .find_map(|c| self.net_of(look(c, "properties.subnet.id")));
            let public = r
                .get("properties.frontendIPConfigurations")
                .array()
                .iter()
                .any(|f| !matches!(look(f, "properties.publicIPAddress"), Look::Missing));
            let mut traits = Vec::new();
            let tier = r.get("properties.sku.tier").str().unwrap_or_default();
            if !tier.is_empty() {
                traits.push(tier.to_string());
            }
            let waf = !tier.to_ascii_uppercase().contains("WAF")
                && (!matches!(r.get("properties.firewallPolicy"), Look::Missing)
                    || r.get("properties.webApplicationFirewallConfiguration.enabled")
                        .bool()
                        == Some(true));
            if waf {
                traits.push("WAF".into());
            }
            let node = self.g.node(resource_node(r, Kind::Gateway, traits, net));
            let clients = self.g.fixed(Kind::Clients, "clients");
            let label = if public {
                "public frontend"
            } else {
                "private frontend"
            };
            self.g.edge(clients, node, Line::Solid, label);
            if let Some(n) = net {
                for c in self.clusters_near(n) {
                    self.g.edge(node, c, Line::Solid, "ingress");
                }
            }
        }
    }

    fn fleets(&mut self) {
        let fleets: Vec<usize> = self.q.of_type(types::FLEET).map(|(i, _)| i).collect();
        for f in fleets {
            let node = self
                .g
                .node(resource_node(self.res(f), Kind::Fleet, Vec::new(), None));
            let name = self.res(f).name.clone();
            for m in self.q.named_under(types::FLEET_MEMBER, &name) {
                let member = self
                    .res(m)
                    .get("properties.clusterResourceId")
                    .str()
                    .and_then(|id| self.q.find_id(id))
                    .and_then(|c| self.clusters.get(&c).copied());
                if let Some(c) = member {
                    self.g.edge(node, c, Line::Dotted, "member");
                }
            }
        }
    }

    /// A VNet hosting a firewall and peered to others is a hub; one peered to a hub is a spoke.
    fn roles(&mut self) {
        let peered = |n: usize, g: &Graph| g.peerings.iter().any(|&(a, b)| a == n || b == n);
        for n in 0..self.g.nets.len() {
            let hosts = self
                .g
                .of_kind(Kind::Firewall)
                .any(|f| self.g.nodes[f].net == Some(n));
            if hosts && peered(n, &self.g) {
                self.g.nets[n].role = Role::Hub;
            }
        }
        for n in 0..self.g.nets.len() {
            if self.g.nets[n].role == Role::Hub {
                continue;
            }
            let to_hub = self.g.peerings.iter().any(|&(a, b)| {
                (a == n && self.g.nets[b].role == Role::Hub)
                    || (b == n && self.g.nets[a].role == Role::Hub)
            });
            if to_hub {
                self.g.nets[n].role = Role::Spoke;
            }
        }
    }
}
