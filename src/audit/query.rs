//! Questions about the input's resources, answered from an index built once per audit: resources
//! by type and by type and name (so by id), subnets by VNet and name, and the relations the
//! controls follow (a cluster's pools, a parent's children, extension resources attached to a
//! resource, private endpoints, routes, NSG rules, diagnostic logs). Answers are in document
//! order, as a scan of the input would give them.

use super::expr::is_expression;
use super::input::{Input, Look, Place, Resource, id_key, id_segments, look};
use crate::azure::{policies, subnets, types};
use indexmap::IndexMap;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// A node pool, inline in the cluster or a child resource.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    /// The resource holding it.
    pub res: usize,
    /// The path of its properties in that resource.
    pub prefix: String,
    /// Its name.
    pub name: String,
    /// Whether it is a system pool.
    pub system: bool,
}

/// A subnet, inline in its VNet or a child resource.
#[derive(Debug, Clone)]
pub(crate) struct SubnetView {
    /// The resource holding it.
    pub res: usize,
    /// The path of its properties in that resource.
    pub prefix: String,
    /// Its VNet's name.
    pub vnet: String,
    /// Its name.
    pub name: String,
}

/// An NSG's inbound Allow rule from the internet.
#[derive(Debug, Clone)]
pub(crate) struct InternetAllow {
    /// The resource holding it.
    pub res: usize,
    /// The path of its properties in that resource.
    pub prefix: String,
    /// Its name.
    pub name: String,
    /// The destination ports it opens.
    pub ports: Vec<String>,
}

/// The `0.0.0.0/0` route of a subnet's route table.
#[derive(Debug, Clone)]
pub(crate) struct DefaultRoute {
    /// The resource holding it (the route table itself when it has no such route).
    pub res: usize,
    /// The path of its properties in that resource.
    pub prefix: String,
    /// Its next hop type; empty when there is no such route.
    pub hop: String,
}

/// The VNet and subnet names of a subnet id.
pub(crate) fn subnet_id(id: &str) -> Option<(&str, &str)> {
    let segs = id_segments(id)?;
    let subnet_type = [segs.first()?, segs.get(1)?, segs.get(3)?];
    let is_subnet = segs.len() == 5
        && types::SUBNET
            .split('/')
            .zip(subnet_type)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
    is_subnet.then(|| (segs[2], segs[4]))
}

/// The last segment of a type, id or name.
pub(crate) fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Whether an address prefix means the whole internet.
pub(crate) fn internet(prefix: &str) -> bool {
    ["*", "internet", "0.0.0.0/0", "any", "::/0"].contains(&prefix.to_ascii_lowercase().as_str())
}

/// Whether a port range (`22`, `20-30`, `*`) covers `port`.
pub(crate) fn covers_port(range: &str, port: u16) -> bool {
    let range = range.trim();
    if range == "*" {
        return true;
    }
    match range.split_once('-') {
        Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            (Ok(a), Ok(b)) => a <= port && port <= b,
            _ => false,
        },
        None => range.parse::<u16>() == Ok(port),
    }
}

/// The length of a CIDR prefix (`/28` → 28).
pub(crate) fn prefix_len(prefix: &str) -> Option<u8> {
    prefix.split_once('/').and_then(|(_, l)| l.parse().ok())
}

fn item_name(item: &Json) -> String {
    item.get("name")
        .and_then(Json::as_str)
        .unwrap_or("?")
        .to_string()
}

fn strings(v: Look<'_>) -> impl Iterator<Item = String> + '_ {
    v.array()
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
}

/// The input's resources, indexed once.
pub(crate) struct Index<'a> {
    input: &'a Input,
    /// Lower-case type → its position in `by_type` and `by_name`.
    types: IndexMap<String, usize>,
    /// Each type's resources, in document order.
    by_type: Vec<Vec<usize>>,
    /// Each type's resources by name.
    by_name: Vec<Names>,
    subnets: Vec<SubnetView>,
    /// (lower-case VNet, lower-case subnet) → the first subnet of that name in `subnets`.
    subnet_at: BTreeMap<(String, String), usize>,
    /// Target → extension resources whose `scope` names it, in document order.
    scoped_to: BTreeMap<usize, Vec<usize>>,
    /// Extension resources whose `scope` is an expression naming nothing in the input, in
    /// document order: the only ones [`Index::attached`] may still attach by their text.
    scoped_elsewhere: Vec<usize>,
    /// Target → private endpoints with a connection to it, in document order.
    endpoints_to: BTreeMap<usize, Vec<usize>>,
    /// Subscription → the first Defender for Containers plan on the Standard tier there.
    containers_plans: BTreeMap<(u8, String), usize>,
    /// Assignments of the allowed-images policy with their image pattern (lower case), in
    /// document order.
    allowed_images: Vec<(usize, String)>,
}

/// A subscription as a key that is equal exactly when [`Place::same`] says so.
fn place_key(p: &Place) -> (u8, String) {
    match p {
        Place::Root => (0, String::new()),
        Place::Known(s) => (1, s.to_ascii_lowercase()),
        Place::Unknown(s) => (2, s.to_ascii_lowercase()),
    }
}

/// The resources of one type by name.
#[derive(Debug, Default)]
struct Names {
    /// Lower-case name → the first resource of that name.
    first: IndexMap<String, usize>,
    /// (position of the name in `first`, resource), by name then resource: for names under a
    /// parent.
    sorted: Vec<(usize, usize)>,
}

impl<'a> Index<'a> {
    /// Index `input`.
    pub fn new(input: &'a Input) -> Index<'a> {
        let mut types: IndexMap<String, usize> = IndexMap::new();
        let mut by_type: Vec<Vec<usize>> = Vec::new();
        let mut by_name: Vec<Names> = Vec::new();
        for (i, r) in input.resources.iter().enumerate() {
            let next = types.len();
            let t = *types.entry(r.rtype.to_ascii_lowercase()).or_insert(next);
            if t == by_type.len() {
                by_type.push(Vec::new());
                by_name.push(Names::default());
            }
            by_type[t].push(i);
            let names = &mut by_name[t];
            let entry = names.first.entry(r.name.to_ascii_lowercase());
            let at = entry.index();
            entry.or_insert(i);
            names.sorted.push((at, i));
        }
        for names in &mut by_name {
            let first = &names.first;
            let name = |at: usize| first.get_index(at).map_or("", |(k, _)| k.as_str());
            names
                .sorted
                .sort_unstable_by(|a, b| name(a.0).cmp(name(b.0)).then(a.1.cmp(&b.1)));
        }
        let mut q = Index {
            input,
            types,
            by_type,
            by_name,
            subnets: Vec::new(),
            subnet_at: BTreeMap::new(),
            scoped_to: BTreeMap::new(),
            scoped_elsewhere: Vec::new(),
            endpoints_to: BTreeMap::new(),
            containers_plans: BTreeMap::new(),
            allowed_images: Vec::new(),
        };
        q.index_subnets();
        q.index_references();
        q
    }

    /// Resolve once what extension resources attach to and what private endpoints connect to,
    /// so that checks asking it per resource stay linear in the size of the input.
    fn index_references(&mut self) {
        let mut scoped_to: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut elsewhere = Vec::new();
        for (i, r) in self.input.resources.iter().enumerate() {
            if let Some(s) = &r.scope {
                match self.find_id(s) {
                    Some(target) => scoped_to.entry(target).or_default().push(i),
                    None if is_expression(s) => elsewhere.push(i),
                    None => {}
                }
            }
        }
        let mut endpoints_to: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, pe) in self.of_type(types::PE) {
            let mut targets: Vec<usize> = [
                "privateLinkServiceConnections",
                "manualPrivateLinkServiceConnections",
            ]
            .iter()
            .flat_map(|list| pe.get(&format!("properties.{list}")).array().iter())
            .filter_map(|conn| {
                look(conn, "properties.privateLinkServiceId")
                    .str()
                    .and_then(|id| self.find_id(id))
            })
            .collect();
            targets.sort_unstable();
            targets.dedup();
            for t in targets {
                endpoints_to.entry(t).or_default().push(i);
            }
        }
        let mut plans = BTreeMap::new();
        for (i, p) in self.of_type(types::PRICING) {
            if last_segment(&p.name).eq_ignore_ascii_case("Containers")
                && p.get("properties.pricingTier")
                    .str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("Standard"))
            {
                plans.entry(place_key(&p.subscription)).or_insert(i);
            }
        }
        self.containers_plans = plans;
        self.allowed_images = self
            .of_type(types::POLICY)
            .filter_map(|(i, a)| {
                let def = a.get("properties.policyDefinitionId").str()?;
                let regex = a
                    .get("properties.parameters.allowedContainerImagesRegex.value")
                    .str()?;
                def.to_ascii_lowercase()
                    .ends_with(policies::ALLOWED_IMAGES)
                    .then(|| (i, regex.to_ascii_lowercase()))
            })
            .collect();
        self.scoped_to = scoped_to;
        self.scoped_elsewhere = elsewhere;
        self.endpoints_to = endpoints_to;
    }

    fn index_subnets(&mut self) {
        let mut out = Vec::new();
        for (i, v) in self.of_type(types::VNET) {
            for (n, s) in v.get("properties.subnets").array().iter().enumerate() {
                out.push(SubnetView {
                    res: i,
                    prefix: format!("properties.subnets[{n}].properties"),
                    vnet: v.name.clone(),
                    name: item_name(s),
                });
            }
        }
        let mut at = BTreeMap::new();
        for (n, s) in out.iter().enumerate() {
            at.entry((s.vnet.to_ascii_lowercase(), s.name.to_ascii_lowercase()))
                .or_insert(n);
        }
        for (i, s) in self.of_type(types::SUBNET) {
            if let Some((vnet, name)) = s.name.split_once('/') {
                let key = (vnet.to_ascii_lowercase(), name.to_ascii_lowercase());
                if let std::collections::btree_map::Entry::Vacant(e) = at.entry(key) {
                    e.insert(out.len());
                    out.push(SubnetView {
                        res: i,
                        prefix: "properties".into(),
                        vnet: vnet.to_string(),
                        name: name.to_string(),
                    });
                }
            }
        }
        self.subnets = out;
        self.subnet_at = at;
    }

    fn r(&self, idx: usize) -> &'a Resource {
        &self.input.resources[idx]
    }

    /// The position of type `t` (any case) in `by_type` and `by_name`.
    fn type_at(&self, t: &str) -> Option<usize> {
        if t.bytes().any(|b| b.is_ascii_uppercase()) {
            self.types.get(&t.to_ascii_lowercase()).copied()
        } else {
            self.types.get(t).copied()
        }
    }

    /// Resources of a type, with their index, in document order.
    pub fn of_type(&self, t: &str) -> impl Iterator<Item = (usize, &'a Resource)> + use<'a, '_> {
        let input = self.input;
        self.type_at(t)
            .map_or(&[][..], |at| self.by_type[at].as_slice())
            .iter()
            .map(move |&i| (i, &input.resources[i]))
    }

    /// Resources of any of these types, in document order.
    pub fn of_types(&self, ts: &[&str]) -> Vec<usize> {
        let mut out: Vec<usize> = ts
            .iter()
            .flat_map(|t| self.of_type(t).map(|(i, _)| i))
            .collect();
        out.sort_unstable();
        out
    }

    /// The clusters, in document order.
    pub fn clusters(&self) -> Vec<usize> {
        self.of_type(types::AKS).map(|(i, _)| i).collect()
    }

    /// The first resource of type `t` called `name` (any case).
    pub fn named(&self, t: &str, name: &str) -> Option<usize> {
        let names = &self.by_name[self.type_at(t)?];
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            names.first.get(&name.to_ascii_lowercase()).copied()
        } else {
            names.first.get(name).copied()
        }
    }

    /// The resource a resource id (full or provider-relative) names, if it is in the input.
    pub fn find_id(&self, id: &str) -> Option<usize> {
        let (rtype, name) = id_key(id)?;
        let at = *self.types.get(&rtype)?;
        self.by_name[at].first.get(&name).copied()
    }

    /// Resources of type `t` whose name is `parent/…`, in document order.
    pub fn named_under(&self, t: &str, parent: &str) -> Vec<usize> {
        let Some(at) = self.type_at(t) else {
            return Vec::new();
        };
        let names = &self.by_name[at];
        let prefix = format!("{}/", parent.to_ascii_lowercase());
        let name = |e: &(usize, usize)| names.first.get_index(e.0).map_or("", |(k, _)| k.as_str());
        let from = names.sorted.partition_point(|e| name(e) < prefix.as_str());
        let mut out: Vec<usize> = names.sorted[from..]
            .iter()
            .take_while(|e| name(e).starts_with(&prefix))
            .map(|e| e.1)
            .collect();
        out.sort_unstable();
        out
    }

    /// A cluster's node pools (inline, then child resources), with the expression that hides
    /// its inline pools when they cannot be evaluated.
    pub fn pools(&self, c: usize) -> (Option<&'a str>, Vec<Pool>) {
        let cluster = self.r(c);
        let mut out = Vec::new();
        let mut unknown = None;
        match cluster.get("properties.agentPoolProfiles") {
            Look::Unknown(u) => unknown = Some(u),
            l => {
                for (n, p) in l.array().iter().enumerate() {
                    out.push(Pool {
                        res: c,
                        prefix: format!("properties.agentPoolProfiles[{n}]"),
                        name: item_name(p),
                        system: match look(p, "mode").str() {
                            Some(m) => m.eq_ignore_ascii_case("System"),
                            None => n == 0,
                        },
                    });
                }
            }
        }
        for i in self.named_under(types::AKS_POOL, &cluster.name) {
            let r = self.r(i);
            out.push(Pool {
                res: i,
                prefix: "properties".into(),
                name: last_segment(&r.name).to_string(),
                system: r
                    .get("properties.mode")
                    .str()
                    .is_some_and(|m| m.eq_ignore_ascii_case("System")),
            });
        }
        (unknown, out)
    }

    /// Every subnet: inline in its VNet, then child resources not already inline.
    pub fn subnets(&self) -> &[SubnetView] {
        &self.subnets
    }

    /// The subnet called `name` in VNet `vnet` (any case).
    pub fn subnet(&self, vnet: &str, name: &str) -> Option<&SubnetView> {
        self.subnet_at
            .get(&(vnet.to_ascii_lowercase(), name.to_ascii_lowercase()))
            .map(|&n| &self.subnets[n])
    }

    /// The subnet a subnet id names, if it is in the input.
    pub fn subnet_by_id(&self, id: &str) -> Option<&SubnetView> {
        let (vnet, name) = subnet_id(id)?;
        self.subnet(vnet, name)
    }

    /// A property of a subnet.
    pub fn subnet_get(&self, s: &SubnetView, key: &str) -> Look<'a> {
        self.r(s.res).get(&format!("{}.{key}", s.prefix))
    }

    /// Items of an inline list (`properties.<list>[i].properties`) and of child resources:
    /// (resource, path of its properties, name).
    pub fn children(
        &self,
        parent: usize,
        list: &str,
        child_type: &str,
    ) -> Vec<(usize, String, String)> {
        let p = self.r(parent);
        let mut out = Vec::new();
        for (n, item) in p
            .get(&format!("properties.{list}"))
            .array()
            .iter()
            .enumerate()
        {
            out.push((
                parent,
                format!("properties.{list}[{n}].properties"),
                item_name(item),
            ));
        }
        for i in self.named_under(child_type, &p.name) {
            out.push((
                i,
                "properties".into(),
                last_segment(&self.r(i).name).to_string(),
            ));
        }
        out
    }

    /// Extension resources of `ext_type` attached to `target`, in document order.
    pub fn attached(&self, ext_type: &str, target: usize) -> Vec<usize> {
        let t = self.r(target);
        let of_type = |i: &usize| self.r(*i).rtype.eq_ignore_ascii_case(ext_type);
        let mut out: Vec<usize> = self
            .scoped_to
            .get(&target)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(of_type)
            .collect();
        out.extend(
            self.scoped_elsewhere
                .iter()
                .copied()
                .filter(of_type)
                .filter(|&i| {
                    self.r(i).scope.as_deref().is_some_and(|s| {
                        let l = s.to_ascii_lowercase();
                        l.contains(&t.short_type().to_ascii_lowercase())
                            && l.contains(&t.name.to_ascii_lowercase())
                    })
                }),
        );
        let legacy = format!("{}/providers/{}", t.rtype, last_segment(ext_type));
        out.extend(self.named_under(&legacy, &t.name));
        out.sort_unstable();
        out
    }

    /// Whether two resources are known to share a resource group.
    pub fn same_rg(&self, a: usize, b: usize) -> bool {
        let (a, b) = (self.r(a), self.r(b));
        match (&a.resource_group, &b.resource_group) {
            (Some(x), Some(y)) => a.subscription.same(&b.subscription) && x.same(y),
            _ => false,
        }
    }

    /// How messages name a resource's resource group.
    pub fn rg_name(&self, r: usize) -> String {
        match &self.r(r).resource_group {
            Some(Place::Known(s)) => format!("resource group `{s}`"),
            Some(Place::Root) => "the deployment's resource group".into(),
            Some(Place::Unknown(u)) => format!("the resource group given by `{u}`"),
            None => "the subscription".into(),
        }
    }

    /// Assignments of the allowed-images policy with their image pattern (lower case).
    pub fn allowed_images(&self) -> &[(usize, String)] {
        &self.allowed_images
    }

    /// The Defender for Containers plan (Standard tier) on the subscription of `r`.
    pub fn defender_plan(&self, r: usize) -> Option<usize> {
        self.containers_plans
            .get(&place_key(&self.r(r).subscription))
            .copied()
    }

    /// Role assignments attached to `target` whose role is `role` (a role definition id).
    pub fn role_assignments(&self, target: usize, role: &str) -> Vec<usize> {
        self.attached(types::ROLE, target)
            .into_iter()
            .filter(|&a| {
                self.r(a)
                    .get("properties.roleDefinitionId")
                    .str()
                    .is_some_and(|s| s.to_ascii_lowercase().ends_with(role))
            })
            .collect()
    }

    /// Private endpoints that connect to `target`.
    pub fn private_endpoints_to(&self, target: usize) -> Vec<usize> {
        self.endpoints_to.get(&target).cloned().unwrap_or_default()
    }

    /// Whether a private endpoint has a private DNS zone group (inline or a child resource).
    pub fn has_zone_group(&self, pe: usize) -> bool {
        self.named_under(types::PE_DNS, &self.r(pe).name)
            .into_iter()
            .any(|z| {
                !self
                    .r(z)
                    .get("properties.privateDnsZoneConfigs")
                    .array()
                    .is_empty()
            })
            || !self
                .r(pe)
                .get("properties.privateDnsZoneGroups")
                .array()
                .is_empty()
    }

    /// An NSG's inbound Allow rules from the internet.
    pub fn internet_allows(&self, nsg: usize) -> Vec<InternetAllow> {
        let mut out = Vec::new();
        for (res, prefix, name) in self.children(nsg, "securityRules", types::NSG_RULE) {
            let r = self.r(res);
            let g = |k: &str| r.get(&format!("{prefix}.{k}"));
            let is = |k: &str, want: &str| g(k).str().is_some_and(|d| d.eq_ignore_ascii_case(want));
            let mut sources: Vec<String> = strings(g("sourceAddressPrefixes")).collect();
            sources.extend(g("sourceAddressPrefix").str().map(str::to_string));
            if is("direction", "Inbound")
                && is("access", "Allow")
                && sources.iter().any(|s| internet(s))
            {
                let mut ports: Vec<String> = strings(g("destinationPortRanges")).collect();
                ports.extend(g("destinationPortRange").str().map(str::to_string));
                out.push(InternetAllow {
                    res,
                    prefix,
                    name,
                    ports,
                });
            }
        }
        out
    }

    /// The `0.0.0.0/0` route of the route table attached to a subnet: `Ok(None)` without a route
    /// table, `Err(why)` when the route table cannot be found.
    pub fn default_route(&self, s: &SubnetView) -> Result<Option<DefaultRoute>, String> {
        let rt = match self.subnet_get(s, "routeTable.id") {
            Look::Value(v) => match v.as_str().and_then(|id| self.find_id(id)) {
                Some(rt) => rt,
                None => return Err("names a route table that is not in the input".into()),
            },
            Look::Unknown(u) => return Err(format!("is `{u}`, which the audit cannot evaluate")),
            Look::Missing => return Ok(None),
        };
        for (res, prefix, _) in self.children(rt, "routes", types::ROUTE) {
            let r = self.r(res);
            if r.get(&format!("{prefix}.addressPrefix")).str() == Some("0.0.0.0/0") {
                let hop = r
                    .get(&format!("{prefix}.nextHopType"))
                    .str()
                    .unwrap_or_default()
                    .to_string();
                return Ok(Some(DefaultRoute { res, prefix, hop }));
            }
        }
        Ok(Some(DefaultRoute {
            res: rt,
            prefix: "properties.routes".into(),
            hop: String::new(),
        }))
    }

    /// The private addresses of the firewalls (configured, or the fourth address of an
    /// `AzureFirewallSubnet`, which Azure gives the firewall), each with its region (lower
    /// case, spaces dropped) when the input says it. Read once; [`FirewallIps::near`] picks
    /// those of a cluster's region.
    pub fn firewall_ips(&self) -> FirewallIps {
        let norm = |l: &str| l.to_ascii_lowercase().replace(' ', "");
        let mut all: Vec<(String, Option<String>)> = Vec::new();
        for (_, fw) in self.of_type(types::FW) {
            let loc = fw.get("location").str().map(norm);
            for cfg in fw.get("properties.ipConfigurations").array() {
                if let Some(ip) = look(cfg, "properties.privateIPAddress").str() {
                    all.push((ip.to_string(), loc.clone()));
                }
            }
        }
        for s in self.subnets() {
            if !s.name.eq_ignore_ascii_case(subnets::FIREWALL) {
                continue;
            }
            let loc = self
                .named(types::VNET, &s.vnet)
                .and_then(|v| self.r(v).get("location").str())
                .map(norm);
            if let Some(prefix) = self.subnet_get(s, "addressPrefix").str() {
                if let Some((net, _)) = prefix.split_once('/') {
                    if let Ok(a) = net.parse::<Ipv4Addr>() {
                        let ip = Ipv4Addr::from(u32::from(a).wrapping_add(4)).to_string();
                        all.push((ip, loc));
                    }
                }
            }
        }
        FirewallIps(all)
    }

    /// The log categories (lower case; `group:<name>` for category groups) that diagnostic
    /// settings enable, and whether some of their logs cannot be evaluated.
    pub fn enabled_logs(&self, diags: &[usize]) -> (BTreeSet<String>, bool) {
        let mut cats = BTreeSet::new();
        let mut unknown = false;
        for &d in diags {
            match self.r(d).get("properties.logs") {
                Look::Unknown(_) => unknown = true,
                l => {
                    for log in l.array() {
                        if look(log, "enabled").bool() != Some(true) {
                            continue;
                        }
                        if let Some(c) = look(log, "category").str() {
                            cats.insert(c.to_ascii_lowercase());
                        }
                        if let Some(g) = look(log, "categoryGroup").str() {
                            cats.insert(format!("group:{}", g.to_ascii_lowercase()));
                        }
                    }
                }
            }
        }
        (cats, unknown)
    }
}

/// The firewalls' private addresses with their regions; see [`Index::firewall_ips`].
#[derive(Debug, Clone, Default)]
pub struct FirewallIps(Vec<(String, Option<String>)>);

impl FirewallIps {
    /// The addresses of the firewalls in `location` (any case, spaces ignored) when some
    /// firewall is there, else of every firewall: a cluster's default route goes to the
    /// firewall of its own region.
    pub fn near(&self, location: Option<&str>) -> Vec<&str> {
        let want = location.map(|l| l.to_ascii_lowercase().replace(' ', ""));
        let near: Vec<&str> = self
            .0
            .iter()
            .filter(|(_, l)| want.is_some() && *l == want)
            .map(|(ip, _)| ip.as_str())
            .collect();
        if near.is_empty() {
            self.0.iter().map(|(ip, _)| ip.as_str()).collect()
        } else {
            near
        }
    }
}
