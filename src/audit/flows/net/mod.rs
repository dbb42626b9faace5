//! The network model: VNets and their DNS servers, subnets with their NSGs, route tables,
//! private-endpoint policies and service endpoints, peerings with their flags, Azure Firewalls and
//! their policies, private endpoints, private DNS zones and their VNet links. Built once from
//! the resources; the tracing steps (NSG evaluation, route selection, delivery through peerings
//! and the firewall) read it.

mod build;
mod nsg;
mod route;

use super::addr::{Cidr, RangeIndex, Tri, VnetTag};
use super::{Effect, Hop, Path, Step};
use crate::audit::expr::is_expression;
use crate::audit::input::{Input, Look, Resource, as_unknown, look, parse_id};
use crate::audit::query::{Index, SubnetView, last_segment};
use crate::azure::types;
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

/// How traces name a next hop.
impl std::fmt::Display for NextHop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NextHop::VnetLocal => f.write_str("VnetLocal"),
            NextHop::Peering(_) => f.write_str("VNetPeering"),
            NextHop::Internet => f.write_str("Internet"),
            NextHop::None => f.write_str("None (dropped)"),
            NextHop::Appliance(_, ip) => write!(f, "VirtualAppliance {ip}"),
            NextHop::Gateway => f.write_str("VirtualNetworkGateway"),
            NextHop::ServiceEndpoint(s) => write!(f, "VirtualNetworkServiceEndpoint ({s})"),
            NextHop::Endpoint(_) => f.write_str("InterfaceEndpoint (private endpoint /32)"),
            NextHop::Unknown(u) => write!(f, "`{u}`"),
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
}

/// How traces name a connection: `TCP 443`.
impl std::fmt::Display for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.proto.as_str(), self.port)
    }
}

/// A rule that ordered, first-match evaluation (NSG rules by priority, firewall rules by
/// collection) judges: what it does and where it is.
pub(crate) struct Ordered<'r> {
    pub allow: bool,
    pub res: usize,
    pub path: &'r str,
    pub name: &'r str,
}

/// Rules walked in order, first match wins: rules that may match (their match is unknown) are
/// remembered, and the first that certainly matches decides unless one of those would have
/// decided otherwise before it.
pub(crate) struct FirstMatch<'r> {
    step: Step,
    /// How a rule that may match stands to the deciding rule ("is processed before", "comes
    /// before").
    before: &'static str,
    maybes: Vec<(Ordered<'r>, String)>,
}

impl<'r> FirstMatch<'r> {
    pub fn new(step: Step, before: &'static str) -> FirstMatch<'r> {
        FirstMatch {
            step,
            before,
            maybes: Vec::new(),
        }
    }

    /// Judge one rule whose match is `m`; true once a rule has decided (the hop is in `t`).
    pub fn rule(&mut self, t: &mut Trace, m: Tri, rule: Ordered<'r>, desc: String) -> bool {
        match m {
            Tri::No => false,
            Tri::Maybe(why) => {
                self.maybes.push((rule, format!("{desc}? {why}")));
                false
            }
            Tri::Yes => {
                let at = Some((rule.res, rule.path));
                if let Some((m, why)) = self.maybes.iter().find(|(m, _)| m.allow != rule.allow) {
                    t.unknown(
                        self.step,
                        format!("{why}; it {} rule `{}`", self.before, rule.name),
                        Some((m.res, m.path)),
                    );
                } else if rule.allow {
                    t.pass(self.step, desc, at);
                } else {
                    t.block(self.step, desc, at);
                }
                true
            }
        }
    }

    /// The first rule that may allow, with why it may: what leaves "no rule allows" unsure.
    pub fn may_allow(&self) -> Option<(&Ordered<'r>, &str)> {
        self.maybes
            .iter()
            .find(|(m, _)| m.allow)
            .map(|(m, why)| (m, why.as_str()))
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
                hops: Vec::with_capacity(8),
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

    /// A hop that passes, blocks or is unknown as `t` says; only the text it needs is written.
    pub fn tri(
        &mut self,
        step: Step,
        t: Tri,
        yes: impl FnOnce() -> String,
        no: impl FnOnce() -> String,
        at: Option<(usize, &str)>,
    ) {
        match t {
            Tri::Yes => self.pass(step, yes(), at),
            Tri::No => self.block(step, no(), at),
            Tri::Maybe(why) => self.unknown(step, format!("{}? {why}", yes()), at),
        }
    }

    pub fn done(self) -> Path {
        self.path
    }
}

/// The system routes a VNet's peerings give it: each peer's ranges, in peer order then range
/// order, with the peer; indexed so a route looks only at the ranges that can matter to it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeerRoutes {
    /// (range, peer VNet).
    pub all: Vec<(Cidr, usize)>,
    /// Positions in `all` by range.
    by_range: RangeIndex,
    /// Positions in `all` of the ranges outside private space.
    public: Vec<usize>,
}

impl PeerRoutes {
    /// Positions in `all` of the ranges that overlap `c`, in order.
    pub fn overlapping(&self, c: Cidr) -> Vec<usize> {
        // A handful of peers is read faster than looked up.
        if self.all.len() <= 16 {
            return (0..self.all.len())
                .filter(|&i| self.all[i].0.overlaps(c))
                .collect();
        }
        self.by_range
            .overlapping(c)
            .into_iter()
            .map(|(i, _)| i)
            .collect()
    }

    /// Positions in `all` of the ranges outside private space, in order.
    pub fn public(&self) -> &[usize] {
        &self.public
    }
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
    /// The system routes each VNet's peerings give it.
    peer_routes: Vec<PeerRoutes>,
    /// The `VirtualNetwork` tag as each subnet's NSG sees it.
    tags: Vec<VnetTag>,
    /// How traces name each subnet: `vnet/subnet (10.1.0.0/24)`.
    labels: Vec<String>,
    /// Role assignments by role definition id.
    pub assignments: BTreeMap<String, super::access::Grants>,
    /// Subnets by (lower-case VNet name, lower-case subnet name).
    subnet_at: BTreeMap<(String, String), usize>,
    vnet_at: BTreeMap<String, usize>,
    /// Subnets of each VNet, in input order.
    subnets_of: Vec<Vec<usize>>,
    /// Private endpoints placed in each VNet, in input order.
    pes_of: Vec<Vec<usize>>,
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
            peer_routes: Vec::new(),
            tags: Vec::new(),
            assignments: BTreeMap::new(),
            labels: Vec::new(),
            subnet_at: BTreeMap::new(),
            vnet_at: BTreeMap::new(),
            subnets_of: Vec::new(),
            pes_of: Vec::new(),
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
        n.subnets_of = vec![Vec::new(); n.vnets.len()];
        for (i, sn) in n.subnets.iter().enumerate() {
            n.subnets_of[sn.vnet].push(i);
        }
        n.pes_of = vec![Vec::new(); n.vnets.len()];
        for (i, pe) in n.pes.iter().enumerate() {
            if let Some(s) = pe.subnet {
                n.pes_of[n.subnets[s].vnet].push(i);
            }
        }
        n.peer_routes = (0..n.vnets.len())
            .map(|v| n.compute_peer_routes(v))
            .collect();
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
        let (vnet, name) = crate::audit::query::subnet_id(id)?;
        self.subnet_at
            .get(&(vnet.to_ascii_lowercase(), name.to_ascii_lowercase()))
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

    /// The peering from `a` to `b`.
    pub fn peering(&self, a: usize, b: usize) -> Option<&Peering> {
        self.peering_at.get(&(a, b)).map(|&i| &self.peerings[i])
    }

    /// Whether `a` and `b` are peered both ways (the peering is connected).
    pub fn connected(&self, a: usize, b: usize) -> bool {
        a != b && self.peering_at.contains_key(&(a, b)) && self.peering_at.contains_key(&(b, a))
    }

    /// The subnets of VNet `v`, in input order.
    pub fn subnets_of(&self, v: usize) -> &[usize] {
        self.subnets_of.get(v).map_or(&[], Vec::as_slice)
    }

    /// The private endpoints placed in VNet `v`, in input order.
    pub fn pes_of(&self, v: usize) -> &[usize] {
        self.pes_of.get(v).map_or(&[], Vec::as_slice)
    }

    /// VNets connected to `a` by peering.
    pub fn peers(&self, a: usize) -> &[usize] {
        self.peer_list.get(a).map_or(&[], Vec::as_slice)
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

    /// The system routes the peerings of VNet `v` give it.
    pub fn peer_routes(&self, v: usize) -> &PeerRoutes {
        &self.peer_routes[v]
    }

    fn compute_peer_routes(&self, v: usize) -> PeerRoutes {
        let mut all = Vec::new();
        for &p in self.peers(v) {
            for r in self.vnets[p].ranges.as_ref().map_or(&[][..], Vec::as_slice) {
                all.push((*r, p));
            }
        }
        let public = (0..all.len()).filter(|&i| !all[i].0.is_private()).collect();
        let by_range = if all.len() > 16 {
            RangeIndex::new(all.iter().enumerate().map(|(i, (c, _))| (*c, i)))
        } else {
            RangeIndex::default()
        };
        PeerRoutes {
            all,
            by_range,
            public,
        }
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
