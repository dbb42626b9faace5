//! The network model: VNets and their DNS servers, subnets with their NSGs, route tables,
//! private-endpoint policies and service endpoints, peerings with their flags, Azure Firewalls and
//! their policies, private endpoints, private DNS zones and their VNet links. Built once from
//! the resources; the tracing steps (NSG evaluation, route selection, delivery through peerings
//! and the firewall) read it.

use super::addr::{Addr, Cidr, RESERVED_NONE, Tri, VnetTag, port_in, prefix_matches};
use super::{Effect, Hop, Path, Step};
use crate::audit::expr::is_expression;
use crate::audit::input::{Input, Look, Resource, as_unknown, look, parse_id};
use crate::audit::query::{Index, SubnetView, last_segment};
use crate::azure::{subnets, types};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A reference from one resource to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ref {
    /// None is set.
    None,
    /// The resource at this index.
    At(usize),
    /// Behind an expression the audit cannot evaluate.
    Unknown(String),
    /// An id of something not in the input.
    Absent(String),
}

/// How a VNet's hosts resolve names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dns {
    /// Azure-provided DNS (168.63.129.16), which answers from private zones linked to the VNet.
    Azure,
    /// Custom DNS servers.
    Servers(Vec<String>),
    /// Behind an expression.
    Unknown(String),
}

/// A VNet.
#[derive(Debug, Clone)]
pub(crate) struct Vnet {
    pub res: usize,
    pub name: String,
    pub ranges: Result<Vec<Cidr>, String>,
    pub dns: Dns,
}

/// A subnet.
#[derive(Debug, Clone)]
pub(crate) struct Subnet {
    pub view: SubnetView,
    pub vnet: usize,
    pub name: String,
    pub range: Result<Cidr, String>,
    pub nsg: Ref,
    pub rt: Ref,
    /// Private-endpoint network policies apply NSGs / route tables to its private endpoints.
    pub pe_nsg: bool,
    pub pe_rt: bool,
    /// `defaultOutboundAccess` (`None` when not set, which Azure takes as `true`).
    pub default_outbound: Option<bool>,
    pub nat_gateway: bool,
    /// Service endpoints (`Microsoft.KeyVault`, ...), lower case.
    pub service_endpoints: Vec<String>,
}

/// A peering from one VNet to another.
#[derive(Debug, Clone)]
pub(crate) struct Peering {
    pub res: usize,
    pub name: String,
    pub from: usize,
    pub to: Option<usize>,
    pub access: Tri,
    pub forwarded: Tri,
}

/// A next hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NextHop {
    VnetLocal,
    Peering(usize),
    Internet,
    None,
    Appliance(Option<u32>, String),
    Gateway,
    ServiceEndpoint(String),
    Endpoint(usize),
    Unknown(String),
}

impl NextHop {
    fn describe(&self) -> String {
        match self {
            NextHop::VnetLocal => "VnetLocal".into(),
            NextHop::Peering(_) => "VNetPeering".into(),
            NextHop::Internet => "Internet".into(),
            NextHop::None => "None (dropped)".into(),
            NextHop::Appliance(_, ip) => format!("VirtualAppliance {ip}"),
            NextHop::Gateway => "VirtualNetworkGateway".into(),
            NextHop::ServiceEndpoint(s) => format!("VirtualNetworkServiceEndpoint ({s})"),
            NextHop::Endpoint(_) => "InterfaceEndpoint (private endpoint /32)".into(),
            NextHop::Unknown(u) => format!("`{u}`"),
        }
    }
}

/// What a route's address prefix is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RoutePrefix {
    Cidr(Cidr),
    Tag(String),
    Unknown(String),
}

/// A user-defined route.
#[derive(Debug, Clone)]
pub(crate) struct Udr {
    pub res: usize,
    pub path: String,
    pub name: String,
    pub table: usize,
    pub prefix: RoutePrefix,
    pub hop: NextHop,
}

/// An NSG rule, or one of Azure's default rules.
#[derive(Debug, Clone)]
pub(crate) struct NsgRule {
    pub res: usize,
    pub path: String,
    pub name: String,
    pub priority: i64,
    pub inbound: bool,
    pub allow: bool,
    pub protocol: String,
    pub src: Vec<String>,
    pub dst: Vec<String>,
    pub ports: Vec<String>,
    /// Why the rule cannot be judged (a value behind an expression, an ASG).
    pub unknown: Option<String>,
    pub default: bool,
}

/// An Azure Firewall.
#[derive(Debug, Clone)]
pub(crate) struct Firewall {
    pub res: usize,
    pub name: String,
    pub subnet: Option<usize>,
    pub ip: Option<u32>,
    pub policy: Ref,
    pub public_ip: bool,
    /// The public IP address resources it sends traffic from, by name (lower case).
    pub public_ip_names: Vec<String>,
}

/// A private DNS zone's link to a VNet.
#[derive(Debug, Clone)]
pub(crate) struct DnsLink {
    pub res: usize,
    pub name: String,
    pub vnet: Option<usize>,
    pub vnet_id: String,
}

/// A private endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Pe {
    pub res: usize,
    pub name: String,
    pub subnet: Option<usize>,
    pub targets: Vec<usize>,
    /// Zones its zone groups register records in (lower-case names), with the group resource.
    pub zones: Vec<(String, usize)>,
}

/// The transport of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Tcp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
        }
    }
}

/// A connection: transport, port and, for HTTP(S), the scheme application rules match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conn {
    pub proto: Proto,
    pub port: u16,
    pub scheme: Option<&'static str>,
}

impl Conn {
    pub const HTTPS: Conn = Conn {
        proto: Proto::Tcp,
        port: 443,
        scheme: Some("Https"),
    };

    pub fn tcp(port: u16) -> Conn {
        Conn {
            proto: Proto::Tcp,
            port,
            scheme: match port {
                443 => Some("Https"),
                80 => Some("Http"),
                _ => None,
            },
        }
    }

    pub fn describe(self) -> String {
        format!("{} {}", self.proto.as_str(), self.port)
    }
}

/// A trace under construction.
#[derive(Debug, Clone)]
pub(crate) struct Trace {
    pub path: Path,
}

impl Trace {
    pub fn new(label: impl Into<String>) -> Trace {
        Trace {
            path: Path {
                label: label.into(),
                hops: Vec::new(),
                stuck: false,
            },
        }
    }

    /// Whether tracing should stop: a hop blocked, or the trace cannot go on.
    pub fn over(&self) -> bool {
        self.path.stuck || self.path.hops.iter().any(|h| h.effect == Effect::Blocks)
    }

    pub fn hop(
        &mut self,
        step: Step,
        effect: Effect,
        text: impl Into<String>,
        at: Option<(usize, &str)>,
    ) {
        self.path.hops.push(Hop {
            step,
            effect,
            text: text.into(),
            resource: at.map(|(r, _)| r),
            path: at.map(|(_, p)| p.to_string()).unwrap_or_default(),
        });
    }

    pub fn pass(&mut self, step: Step, text: impl Into<String>, at: Option<(usize, &str)>) {
        self.hop(step, Effect::Passes, text, at);
    }

    pub fn block(&mut self, step: Step, text: impl Into<String>, at: Option<(usize, &str)>) {
        self.hop(step, Effect::Blocks, text, at);
    }

    pub fn unknown(&mut self, step: Step, text: impl Into<String>, at: Option<(usize, &str)>) {
        self.hop(step, Effect::Unknown, text, at);
    }

    /// An unknown hop after which the trace cannot go on.
    pub fn stuck(&mut self, step: Step, text: impl Into<String>, at: Option<(usize, &str)>) {
        self.unknown(step, text, at);
        self.path.stuck = true;
    }

    pub fn tri(&mut self, step: Step, t: Tri, yes: String, no: String, at: Option<(usize, &str)>) {
        match t {
            Tri::Yes => self.pass(step, yes, at),
            Tri::No => self.block(step, no, at),
            Tri::Maybe(why) => self.unknown(step, format!("{yes}? {why}"), at),
        }
    }

    pub fn done(self) -> Path {
        self.path
    }
}

/// Where a route candidate comes from.
#[derive(Debug, Clone, Copy)]
enum Origin {
    /// The i-th user-defined route of the subnet's table.
    User(usize),
    Vnet,
    Peer(usize),
    Default,
    Reserved,
}

/// A route candidate.
#[derive(Debug, Clone)]
struct Cand {
    prefix: Cidr,
    user: bool,
    hop: NextHop,
    origin: Origin,
}

/// The chosen route.
#[derive(Debug, Clone)]
pub(crate) struct Chosen {
    pub hop: NextHop,
    pub text: String,
    pub at: Option<(usize, String)>,
}

/// The network model.
pub(crate) struct Net<'a> {
    pub i: &'a Input,
    pub q: &'a Index<'a>,
    pub vnets: Vec<Vnet>,
    pub subnets: Vec<Subnet>,
    pub peerings: Vec<Peering>,
    pub firewalls: Vec<Firewall>,
    pub nsg_rules: BTreeMap<usize, Vec<NsgRule>>,
    pub udrs: BTreeMap<usize, Vec<Udr>>,
    /// Private DNS zones by lower-case name.
    pub zones: BTreeMap<String, usize>,
    /// VNet links by lower-case zone name.
    pub links: BTreeMap<String, Vec<DnsLink>>,
    pub pes: Vec<Pe>,
    /// Firewall policies by resource index.
    pub policies: BTreeMap<usize, super::firewall::Policy>,
    /// Peerings by (from VNet, to VNet).
    peering_at: BTreeMap<(usize, usize), usize>,
    /// VNets connected to each VNet by peering, sorted.
    peer_list: Vec<Vec<usize>>,
    /// The `VirtualNetwork` tag as each subnet's NSG sees it.
    tags: Vec<VnetTag>,
    /// How traces name each subnet: `vnet/subnet (10.1.0.0/24)`.
    labels: Vec<String>,
    /// Role assignments by role definition id.
    pub assignments: BTreeMap<String, Vec<super::access::Assignment>>,
    /// Subnets by (lower-case VNet name, lower-case subnet name).
    subnet_at: BTreeMap<(String, String), usize>,
    vnet_at: BTreeMap<String, usize>,
}

/// A value as a string, or why it is not one.
fn text(l: Look<'_>) -> Result<Option<String>, String> {
    match l {
        Look::Missing => Ok(None),
        Look::Unknown(u) => Err(u.to_string()),
        Look::Value(v) => match v.as_str() {
            Some(s) if is_expression(s) => Err(s.to_string()),
            Some(s) => Ok(Some(s.to_string())),
            None => Ok(Some(v.to_string())),
        },
    }
}

fn strings(v: &Json, key: &str) -> (Vec<String>, Option<String>) {
    match look(v, key) {
        Look::Unknown(u) => (Vec::new(), Some(u.to_string())),
        Look::Value(Json::String(s)) => (vec![s.clone()], None),
        l => {
            let mut out = Vec::new();
            let mut unknown = None;
            for item in l.array() {
                match item {
                    Json::String(s) => out.push(s.clone()),
                    other => {
                        if let Some(u) = as_unknown(other) {
                            unknown = Some(u.to_string());
                        }
                    }
                }
            }
            (out, unknown)
        }
    }
}

/// A tri-state flag with Azure's default when missing.
fn flag(l: Look<'_>, default: bool) -> Tri {
    match l {
        Look::Missing => {
            if default {
                Tri::Yes
            } else {
                Tri::No
            }
        }
        Look::Unknown(u) => Tri::Maybe(format!("is `{u}`, which the audit cannot evaluate")),
        Look::Value(v) => match v {
            Json::Bool(true) => Tri::Yes,
            Json::Bool(false) => Tri::No,
            Json::String(s) if s.eq_ignore_ascii_case("true") => Tri::Yes,
            Json::String(s) if s.eq_ignore_ascii_case("false") => Tri::No,
            other => Tri::Maybe(format!("is `{other}`")),
        },
    }
}

impl<'a> Net<'a> {
    pub fn r(&self, i: usize) -> &'a Resource {
        &self.i.resources[i]
    }

    /// Build the model.
    pub fn build(i: &'a Input, q: &'a Index<'a>) -> Net<'a> {
        let mut n = Net {
            i,
            q,
            vnets: Vec::new(),
            subnets: Vec::new(),
            peerings: Vec::new(),
            firewalls: Vec::new(),
            nsg_rules: BTreeMap::new(),
            udrs: BTreeMap::new(),
            zones: BTreeMap::new(),
            links: BTreeMap::new(),
            pes: Vec::new(),
            policies: BTreeMap::new(),
            peering_at: BTreeMap::new(),
            peer_list: Vec::new(),
            tags: Vec::new(),
            assignments: BTreeMap::new(),
            labels: Vec::new(),
            subnet_at: BTreeMap::new(),
            vnet_at: BTreeMap::new(),
        };
        n.build_vnets();
        n.build_subnets();
        n.build_peerings();
        n.index_peerings();
        n.build_nsgs();
        n.build_routes();
        n.build_firewalls();
        n.build_dns();
        n.build_pes();
        n.policies = super::firewall::policies(&n);
        n.tags = (0..n.subnets.len()).map(|s| n.compute_tag(s)).collect();
        n.assignments = super::access::assignments(&n);
        n.labels = n
            .subnets
            .iter()
            .map(|sn| match &sn.range {
                Ok(r) => format!("`{}/{}` ({r})", n.vnets[sn.vnet].name, sn.name),
                Err(_) => format!("`{}/{}`", n.vnets[sn.vnet].name, sn.name),
            })
            .collect();
        n
    }

    fn build_vnets(&mut self) {
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

    fn build_subnets(&mut self) {
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

    /// Resolve an `{ "id": ... }` reference.
    pub fn reference(&self, l: Look<'_>) -> Ref {
        match l {
            Look::Missing => Ref::None,
            Look::Unknown(u) => Ref::Unknown(u.to_string()),
            Look::Value(v) => match v.as_str() {
                Some(id) if is_expression(id) => Ref::Unknown(id.to_string()),
                Some(id) => self
                    .q
                    .find_id(id)
                    .map_or_else(|| Ref::Absent(id.to_string()), Ref::At),
                None => Ref::Unknown(v.to_string()),
            },
        }
    }

    /// The VNet a VNet id names.
    pub fn vnet_by_id(&self, id: &str) -> Option<usize> {
        let (t, names) = parse_id(id)?;
        if !t.eq_ignore_ascii_case(types::VNET) {
            return None;
        }
        self.vnet_at
            .get(&names.first()?.to_ascii_lowercase())
            .copied()
    }

    /// The subnet a subnet id names.
    pub fn subnet_by_id(&self, id: &str) -> Option<usize> {
        let (t, names) = parse_id(id)?;
        if !t.eq_ignore_ascii_case(types::SUBNET) || names.len() != 2 {
            return None;
        }
        self.subnet_at
            .get(&(names[0].to_ascii_lowercase(), names[1].to_ascii_lowercase()))
            .copied()
    }

    /// The subnet a look-up of a subnet id names: `Ok(None)` when none is set.
    pub fn subnet_ref(&self, l: Look<'_>) -> Result<Option<usize>, String> {
        match l {
            Look::Missing => Ok(None),
            Look::Unknown(u) => Err(format!("is `{u}`, which the audit cannot evaluate")),
            Look::Value(v) => {
                let id = v.as_str().unwrap_or_default();
                if is_expression(id) {
                    return Err(format!("is `{id}`, which the audit cannot evaluate"));
                }
                self.subnet_by_id(id)
                    .map(Some)
                    .ok_or_else(|| format!("names subnet `{id}`, which is not in the input"))
            }
        }
    }

    fn build_peerings(&mut self) {
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

    fn index_peerings(&mut self) {
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

    /// The peering from `a` to `b`.
    pub fn peering(&self, a: usize, b: usize) -> Option<&Peering> {
        self.peering_at.get(&(a, b)).map(|&i| &self.peerings[i])
    }

    /// Whether `a` and `b` are peered both ways (the peering is connected).
    pub fn connected(&self, a: usize, b: usize) -> bool {
        a != b && self.peering_at.contains_key(&(a, b)) && self.peering_at.contains_key(&(b, a))
    }

    /// VNets connected to `a` by peering.
    pub fn peers(&self, a: usize) -> &[usize] {
        self.peer_list.get(a).map_or(&[], Vec::as_slice)
    }

    fn build_nsgs(&mut self) {
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

    fn build_routes(&mut self) {
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

    fn build_firewalls(&mut self) {
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

    fn build_dns(&mut self) {
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

    fn build_pes(&mut self) {
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

    /// The subnet whose range holds `c`, searched in `vnets` (every VNet when empty).
    pub fn subnet_holding(&self, c: Cidr) -> Option<usize> {
        self.subnets
            .iter()
            .position(|s| s.range.as_ref().is_ok_and(|r| r.contains(c)))
    }

    /// The firewall with private address `ip`.
    pub fn firewall_at(&self, ip: u32) -> Option<usize> {
        self.firewalls.iter().position(|f| f.ip == Some(ip))
    }

    /// The VNet a firewall sits in.
    pub fn firewall_vnet(&self, f: usize) -> Option<usize> {
        self.firewalls[f].subnet.map(|s| self.subnets[s].vnet)
    }

    /// How traces name a subnet: `vnet/subnet (10.1.0.0/24)`.
    pub fn subnet_label(&self, s: usize) -> &str {
        &self.labels[s]
    }

    /// The resource and property path of a subnet, for hop locations.
    pub fn subnet_at_path(&self, s: usize) -> (usize, String) {
        let v = &self.subnets[s].view;
        (v.res, v.prefix.clone())
    }

    /// The `VirtualNetwork` service tag as an NSG on subnet `s` sees it.
    pub fn vnet_tag(&self, s: usize) -> &VnetTag {
        &self.tags[s]
    }

    fn compute_tag(&self, s: usize) -> VnetTag {
        let sn = &self.subnets[s];
        let mut ranges: Vec<Cidr> = self.vnets[sn.vnet].ranges.clone().unwrap_or_default();
        for &p in self.peers(sn.vnet) {
            let access = self.peering(sn.vnet, p).map(|x| x.access.clone());
            if access != Some(Tri::No) {
                ranges.extend(self.vnets[p].ranges.clone().unwrap_or_default());
            }
        }
        if let Ref::At(rt) = sn.rt {
            for u in self.udrs.get(&rt).map_or(&[][..], Vec::as_slice) {
                if let RoutePrefix::Cidr(c) = u.prefix {
                    ranges.push(c);
                }
            }
        }
        VnetTag { ranges }
    }

    /// Evaluate the NSG of subnet `s` for traffic in `inbound` direction; adds the hop.
    pub fn nsg(&self, t: &mut Trace, s: usize, inbound: bool, src: &Addr, dst: &Addr, conn: Conn) {
        let sn = &self.subnets[s];
        let dir = if inbound { "inbound" } else { "outbound" };
        let (sres, spath) = self.subnet_at_path(s);
        let nsg = match &sn.nsg {
            Ref::None => {
                if subnets::nsg_exempt(&sn.name) {
                    t.pass(
                        Step::Nsg,
                        format!(
                            "{} has no NSG (Azure allows none on it)",
                            self.subnet_label(s)
                        ),
                        Some((sres, &spath)),
                    );
                } else {
                    t.pass(
                        Step::Nsg,
                        format!(
                            "{} has no NSG: nothing filters {dir} traffic",
                            self.subnet_label(s)
                        ),
                        Some((sres, &spath)),
                    );
                }
                return;
            }
            Ref::Unknown(u) => {
                t.unknown(
                    Step::Nsg,
                    format!(
                        "the NSG of {} is `{u}`, which the audit cannot evaluate",
                        self.subnet_label(s)
                    ),
                    Some((sres, &spath)),
                );
                return;
            }
            Ref::Absent(id) => {
                t.unknown(
                    Step::Nsg,
                    format!(
                        "the NSG of {} is `{id}`, which is not in the input",
                        self.subnet_label(s)
                    ),
                    Some((sres, &spath)),
                );
                return;
            }
            Ref::At(n) => *n,
        };
        let tag = self.vnet_tag(s);
        let nsg_name = self.r(nsg).name.clone();
        let mut maybes: Vec<(&NsgRule, String)> = Vec::new();
        for rule in self.nsg_rules.get(&nsg).map_or(&[][..], Vec::as_slice) {
            if rule.inbound != inbound {
                continue;
            }
            let proto_ok = rule.protocol == "*"
                || rule.protocol.eq_ignore_ascii_case("any")
                || rule.protocol.eq_ignore_ascii_case(conn.proto.as_str());
            if (!proto_ok || !rule.ports.iter().any(|p| port_in(p, conn.port)))
                && rule.unknown.is_none()
            {
                continue;
            }
            let m = match &rule.unknown {
                Some(u) => Tri::Maybe(u.clone()),
                None => Tri::any(rule.src.iter().map(|p| prefix_matches(p, src, Some(tag)))).and(
                    Tri::any(rule.dst.iter().map(|p| prefix_matches(p, dst, Some(tag)))),
                ),
            };
            if m == Tri::No {
                continue;
            }
            let desc = format!(
                "NSG `{nsg_name}` {} rule `{}` (priority {}{}) {} {} {} → {}",
                dir,
                rule.name,
                rule.priority,
                if rule.default {
                    ", Azure's default"
                } else {
                    ""
                },
                if rule.allow { "allows" } else { "denies" },
                src.describe(),
                conn.describe(),
                dst.describe(),
            );
            match m {
                Tri::No => {}
                Tri::Maybe(why) => maybes.push((rule, format!("{desc}? {why}"))),
                Tri::Yes => {
                    let at = Some((rule.res, rule.path.as_str()));
                    if let Some((m, why)) = maybes.iter().find(|(m, _)| m.allow != rule.allow) {
                        t.unknown(
                            Step::Nsg,
                            format!("{why}; it comes before rule `{}`", rule.name),
                            Some((m.res, m.path.as_str())),
                        );
                    } else if rule.allow {
                        t.pass(Step::Nsg, desc, at);
                    } else {
                        t.block(Step::Nsg, desc, at);
                    }
                    return;
                }
            }
        }
        t.unknown(
            Step::Nsg,
            format!("NSG `{nsg_name}`: no rule decides"),
            Some((nsg, "properties.securityRules")),
        );
    }

    /// The effective user-defined routes of subnet `s`, or why they cannot be known.
    fn subnet_udrs(&self, s: usize) -> Result<Vec<&Udr>, String> {
        match &self.subnets[s].rt {
            Ref::None => Ok(Vec::new()),
            Ref::At(rt) => Ok(self
                .udrs
                .get(rt)
                .map(|v| v.iter().collect())
                .unwrap_or_default()),
            Ref::Unknown(u) => Err(format!(
                "its route table is `{u}`, which the audit cannot evaluate"
            )),
            Ref::Absent(id) => Err(format!("its route table `{id}` is not in the input")),
        }
    }

    /// The route subnet `s` uses for `dst` (a private endpoint's address when `pe` is set), by
    /// longest prefix match with user-defined routes before system routes of the same prefix.
    pub fn route(&self, s: usize, dst: &Addr, pe: Option<usize>) -> Result<Chosen, String> {
        let sn = &self.subnets[s];
        let udrs = self.subnet_udrs(s)?;
        let vnet = &self.vnets[sn.vnet];
        let ranges = vnet
            .ranges
            .as_ref()
            .map_err(|u| format!("the address space of `{}` is `{u}`", vnet.name))?;
        let user_default = udrs
            .iter()
            .any(|u| u.prefix == RoutePrefix::Cidr(Cidr::ANY));
        let mut cands: Vec<Cand> = Vec::new();
        for (i, u) in udrs.iter().enumerate() {
            match &u.prefix {
                RoutePrefix::Cidr(c) => cands.push(Cand {
                    prefix: *c,
                    user: true,
                    hop: u.hop.clone(),
                    origin: Origin::User(i),
                }),
                RoutePrefix::Tag(tag) => {
                    if dst.is_public() {
                        match prefix_matches(tag, dst, None) {
                            Tri::Yes => {
                                return Ok(Chosen {
                                    hop: u.hop.clone(),
                                    text: format!(
                                        "route table `{}` route `{}` (service tag {tag} → {})",
                                        self.r(u.table).name,
                                        u.name,
                                        u.hop.describe()
                                    ),
                                    at: Some((u.res, u.path.clone())),
                                });
                            }
                            Tri::No => {}
                            Tri::Maybe(why) => {
                                return Err(format!(
                                    "route `{}` sends service tag {tag} elsewhere: {why}",
                                    u.name
                                ));
                            }
                        }
                    }
                }
                RoutePrefix::Unknown(why) => {
                    return Err(format!("route `{}` has address prefix `{why}`", u.name));
                }
            }
        }
        for r in ranges {
            cands.push(Cand {
                prefix: *r,
                user: false,
                hop: NextHop::VnetLocal,
                origin: Origin::Vnet,
            });
        }
        for &p in self.peers(sn.vnet) {
            for r in self.vnets[p].ranges.as_ref().map_or(&[][..], Vec::as_slice) {
                cands.push(Cand {
                    prefix: *r,
                    user: false,
                    hop: NextHop::Peering(p),
                    origin: Origin::Peer(p),
                });
            }
        }
        cands.push(Cand {
            prefix: Cidr::ANY,
            user: false,
            hop: NextHop::Internet,
            origin: Origin::Default,
        });
        if !user_default {
            for p in RESERVED_NONE {
                if let Some(c) = Cidr::parse(p) {
                    if !ranges.iter().any(|r| r.contains(c)) {
                        cands.push(Cand {
                            prefix: c,
                            user: false,
                            hop: NextHop::None,
                            origin: Origin::Reserved,
                        });
                    }
                }
            }
        }
        let text = |c: &Cand| -> String {
            match c.origin {
                Origin::User(i) => {
                    let u = udrs[i];
                    format!(
                        "route table `{}` route `{}` ({} → {})",
                        self.r(u.table).name,
                        u.name,
                        c.prefix,
                        u.hop.describe()
                    )
                }
                Origin::Vnet => format!("system route {} → VnetLocal (`{}`)", c.prefix, vnet.name),
                Origin::Peer(p) => format!(
                    "system route {} → VNetPeering (`{}`)",
                    c.prefix, self.vnets[p].name
                ),
                Origin::Default => "system route 0.0.0.0/0 → Internet".into(),
                Origin::Reserved => {
                    format!("system route {} → None (reserved private space)", c.prefix)
                }
            }
        };
        let at = |c: &Cand| -> Option<(usize, String)> {
            match c.origin {
                Origin::User(i) => Some((udrs[i].res, udrs[i].path.clone())),
                _ => None,
            }
        };
        // A service endpoint sends the service's public addresses straight to it.
        if let Addr::Service(svc) = dst {
            if let Some(provider) = svc.tag.and_then(endpoint_provider) {
                if sn
                    .service_endpoints
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(provider))
                {
                    let (r, p) = self.subnet_at_path(s);
                    return Ok(Chosen {
                        hop: NextHop::ServiceEndpoint(provider.into()),
                        text: format!(
                            "service endpoint {provider} on {} (VirtualNetworkServiceEndpoint)",
                            self.subnet_label(s)
                        ),
                        at: Some((r, format!("{p}.serviceEndpoints"))),
                    });
                }
            }
        }
        let target = match dst {
            Addr::Range(c) => Some(*c),
            _ => None,
        };
        // A private endpoint's /32 route, in its VNet and directly peered VNets.
        if let (Some(pe), Some(c)) = (pe, target) {
            if let Some(pes) = self.pes[pe].subnet {
                let pe_vnet = self.subnets[pes].vnet;
                if pe_vnet == sn.vnet || self.connected(sn.vnet, pe_vnet) {
                    let pe_space = self.vnets[pe_vnet].ranges.clone().unwrap_or_default();
                    let overriding = if self.subnets[pes].pe_rt {
                        cands.iter().find(|k| {
                            k.user
                                && k.prefix.len > 0
                                && k.prefix.contains(c)
                                && pe_space
                                    .iter()
                                    .any(|v| k.prefix.len <= v.len && k.prefix.contains(*v))
                        })
                    } else {
                        None
                    };
                    return Ok(match overriding {
                        Some(k) => Chosen {
                            hop: k.hop.clone(),
                            text: format!(
                                "{}, which overrides the private endpoint's /32 route (network policies for route tables are on in its subnet)",
                                text(k)
                            ),
                            at: at(k),
                        },
                        None => Chosen {
                            hop: NextHop::Endpoint(pe),
                            text: format!(
                                "system route to private endpoint `{}` (/32 InterfaceEndpoint, longest prefix)",
                                self.pes[pe].name
                            ),
                            at: Some((self.pes[pe].res, "properties.subnet".into())),
                        },
                    });
                }
            }
        }
        let best = match target {
            Some(c) => cands
                .iter()
                .filter(|k| k.prefix.contains(c))
                .max_by_key(|k| (k.prefix.len, k.user)),
            None => cands
                .iter()
                .filter(|k| k.prefix.len == 0)
                .max_by_key(|k| (k.prefix.len, k.user)),
        };
        let Some(best) = best else {
            return Err("no route matches".into());
        };
        // A more specific route covering part of the destination makes the choice uncertain.
        let partial = cands.iter().find(|k| {
            k.prefix.len > best.prefix.len
                && match target {
                    Some(c) => k.prefix.overlaps(c) && !k.prefix.contains(c),
                    None => !k.prefix.is_private() && k.hop != best.hop,
                }
        });
        if let Some(k) = partial {
            return Err(format!(
                "{} covers part of {} and {} the rest",
                text(k),
                dst.describe(),
                text(best)
            ));
        }
        Ok(Chosen {
            hop: best.hop.clone(),
            text: format!("{}, longest prefix for {}", text(best), dst.describe()),
            at: at(best),
        })
    }

    /// Add the route hop; `None` when the trace cannot go on.
    pub fn route_hop(
        &self,
        t: &mut Trace,
        s: usize,
        dst: &Addr,
        pe: Option<usize>,
    ) -> Option<Chosen> {
        match self.route(s, dst, pe) {
            Ok(c) => {
                let at = c.at.as_ref().map(|(r, p)| (*r, p.as_str()));
                if c.hop == NextHop::None {
                    t.block(Step::Route, format!("{}: dropped", c.text), at);
                } else {
                    t.pass(
                        Step::Route,
                        format!("from {}: {}", self.subnet_label(s), c.text),
                        at,
                    );
                }
                Some(c)
            }
            Err(why) => {
                let (r, p) = self.subnet_at_path(s);
                t.stuck(
                    Step::Route,
                    format!(
                        "route from {} cannot be chosen: {why}",
                        self.subnet_label(s)
                    ),
                    Some((r, &p)),
                );
                None
            }
        }
    }

    /// Add the hop for the peering from VNet `a` into VNet `b`: it must be connected both ways
    /// and let `a` reach `b`; `forwarded` asks for traffic that did not start in `a` (forwarded
    /// by a firewall), which `b`'s own peering to `a` must allow.
    pub fn peering_hop(&self, t: &mut Trace, a: usize, b: usize, forwarded: bool) {
        let (an, bn) = (&self.vnets[a].name, &self.vnets[b].name);
        let Some(ab) = self.peering(a, b) else {
            t.block(
                Step::Peering,
                format!("`{an}` has no peering to `{bn}`"),
                Some((self.vnets[a].res, "properties")),
            );
            return;
        };
        let Some(ba) = self.peering(b, a) else {
            t.block(
                Step::Peering,
                format!(
                    "peering `{}` is not connected: `{bn}` has no peering back to `{an}`",
                    ab.name
                ),
                Some((ab.res, "properties")),
            );
            return;
        };
        if forwarded {
            t.tri(
                Step::Peering,
                ba.forwarded.clone(),
                format!("peering `{}` (allowForwardedTraffic: true) lets traffic forwarded from `{an}` into `{bn}`", ba.name),
                format!("peering `{}` has allowForwardedTraffic: false: traffic forwarded by the firewall from `{an}` is dropped entering `{bn}`", ba.name),
                Some((ba.res, "properties.allowForwardedTraffic")),
            );
        } else {
            t.tri(
                Step::Peering,
                ab.access.clone(),
                format!(
                    "peering `{}` → `{bn}` (connected both ways, allowVirtualNetworkAccess: true)",
                    ab.name
                ),
                format!(
                    "peering `{}` has allowVirtualNetworkAccess: false: `{an}` cannot reach `{bn}`",
                    ab.name
                ),
                Some((ab.res, "properties.allowVirtualNetworkAccess")),
            );
        }
    }
}

/// The provider a service endpoint for a service tag's service is named by.
fn endpoint_provider(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "AzureKeyVault" => "Microsoft.KeyVault",
        "AzureContainerRegistry" => "Microsoft.ContainerRegistry",
        "Storage" => "Microsoft.Storage",
        "Sql" => "Microsoft.Sql",
        "AzureCosmosDB" => "Microsoft.AzureCosmosDB",
        "EventHub" => "Microsoft.EventHub",
        "ServiceBus" => "Microsoft.ServiceBus",
        _ => return None,
    })
}

/// How traces name a resource type: `vault`, `registry`, `private DNS zone`, ...
pub(crate) fn kind(rtype: &str) -> String {
    let known: &[(&str, &str)] = &[
        (types::KV, "vault"),
        (types::KV_KEY, "key"),
        (types::ACR, "registry"),
        (types::LAW, "workspace"),
        (types::DNS_ZONE, "private DNS zone"),
        (types::UAI, "identity"),
        (types::SUBNET, "subnet"),
        (types::VNET, "VNet"),
        (types::RT, "route table"),
        (types::AKS, "cluster"),
        ("Microsoft.Storage/storageAccounts", "storage account"),
    ];
    known
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(rtype))
        .map_or_else(
            || last_segment(rtype).to_string(),
            |(_, k)| (*k).to_string(),
        )
}

/// The last segment of a name or id, for traces.
pub(crate) fn short(s: &str) -> &str {
    last_segment(s)
}
