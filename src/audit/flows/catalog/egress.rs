//! The nodes' required egress and monitoring endpoints and the paths to them, and direct internet
//! egress.

use super::paths::{Egress, deliver, direct_egress};
use super::{Cluster, Dest, Seen, na, new_flow, range, svc, truthy, unplaced};
use crate::audit::flows::addr::Addr;
use crate::audit::flows::dns::{Name, resolve};
use crate::audit::flows::net::{Conn, Net, NextHop, Ref, Trace};
use crate::audit::flows::{Flow, Step};
use crate::audit::input::{Look, Place, Resource};
use crate::azure::types;
use indexmap::IndexMap;
use std::cell::RefCell;

/// What nodes reach on the internet: the endpoints AKS needs, and its enabled add-ons'.
pub(super) fn egress_endpoints(
    n: &Net,
    c: &Cluster,
) -> Vec<(String, Option<&'static str>, &'static str)> {
    let region = c.region.clone().unwrap_or_else(|| "{region}".into());
    let mut out: Vec<(String, Option<&'static str>, &'static str)> = vec![
        (
            "mcr.microsoft.com".into(),
            Some("MicrosoftContainerRegistry"),
            "AKS",
        ),
        (
            format!("{region}.data.mcr.microsoft.com"),
            Some("MicrosoftContainerRegistry"),
            "AKS",
        ),
        (
            "management.azure.com".into(),
            Some("AzureResourceManager"),
            "AKS",
        ),
        (
            "login.microsoftonline.com".into(),
            Some("AzureActiveDirectory"),
            "AKS",
        ),
        ("packages.microsoft.com".into(), None, "AKS"),
        ("acs-mirror.azureedge.net".into(), None, "AKS"),
        ("packages.aks.azure.com".into(), None, "AKS"),
    ];
    let r = n.r(c.res);
    if truthy(r.get("properties.addonProfiles.azurepolicy.enabled")) {
        for f in [
            "data.policy.core.windows.net",
            "store.policy.core.windows.net",
            "dc.services.visualstudio.com",
        ] {
            out.push((f.into(), None, "Azure Policy add-on"));
        }
    }
    if truthy(r.get("properties.securityProfile.defender.securityMonitoring.enabled")) {
        for f in [
            "{workspace-id}.ods.opinsights.azure.com",
            "{workspace-id}.oms.opinsights.azure.com",
        ] {
            out.push((f.into(), Some("AzureMonitor"), "Defender sensor"));
        }
    }
    out
}

/// A place as a key equal exactly when the places are equal (`==`, case included).
fn exact_key(p: Option<&Place>) -> (u8, String) {
    match p {
        None => (0, String::new()),
        Some(Place::Root) => (1, String::new()),
        Some(Place::Known(a)) => (2, a.clone()),
        Some(Place::Unknown(a)) => (3, a.clone()),
    }
}

/// A subscription (as [`Place::key`]) and an exact resource group.
type PlaceKey = ((u8, String), (u8, String));

/// The data collection endpoints, read once for every cluster: the endpoint of a cluster's
/// managed Prometheus is the first (in document order) in its subscription and resource group,
/// or whose name holds the cluster's name, whichever comes first.
pub(super) struct Dces {
    /// (resource, lower-case name), in document order.
    all: Vec<(usize, String)>,
    /// (subscription key, exact resource group) → the first endpoint there, by position.
    by_place: IndexMap<PlaceKey, usize>,
    /// For each length of name asked for: every piece of that length of a lower-case name →
    /// the first endpoint (by position) whose name holds it.
    pieces: RefCell<IndexMap<usize, IndexMap<Vec<u8>, usize>>>,
}

impl Dces {
    pub(super) fn new(n: &Net) -> Dces {
        let mut all = Vec::new();
        let mut by_place = IndexMap::new();
        for (pos, (i, d)) in n.q.of_type(types::DCE).enumerate() {
            all.push((i, d.name.to_ascii_lowercase()));
            by_place
                .entry((d.subscription.key(), exact_key(d.resource_group.as_ref())))
                .or_insert(pos);
        }
        Dces {
            all,
            by_place,
            pieces: RefCell::new(IndexMap::new()),
        }
    }

    /// The first endpoint (by position) whose lower-case name holds `stem` (lower case).
    fn holding(&self, stem: &str) -> Option<usize> {
        let len = stem.len();
        if len == 0 {
            return (!self.all.is_empty()).then_some(0);
        }
        let mut pieces = self.pieces.borrow_mut();
        let map = pieces.entry(len).or_insert_with(|| {
            let mut m = IndexMap::new();
            for (pos, (_, name)) in self.all.iter().enumerate() {
                for w in name.as_bytes().windows(len) {
                    m.entry(w.to_vec()).or_insert(pos);
                }
            }
            m
        });
        map.get(stem.as_bytes()).copied()
    }

    /// The lower-case name of the endpoint of a cluster deployed at `r`, whose name without
    /// `aks-` is `stem`.
    fn of(&self, r: &Resource, stem: &str) -> Option<&str> {
        let here = self
            .by_place
            .get(&(r.subscription.key(), exact_key(r.resource_group.as_ref())))
            .copied();
        let named = self.holding(stem);
        let first = match (here, named) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(self.all[first].1.as_str())
    }
}

pub(super) fn monitoring_endpoints(
    n: &Net,
    c: &Cluster,
    dces: &Dces,
) -> Vec<(String, Option<&'static str>, &'static str)> {
    let region = c.region.clone().unwrap_or_else(|| "{region}".into());
    let r = n.r(c.res);
    let mut out = Vec::new();
    if truthy(r.get("properties.addonProfiles.omsagent.enabled")) {
        for f in [
            "{workspace-id}.ods.opinsights.azure.com".to_string(),
            "{workspace-id}.oms.opinsights.azure.com".to_string(),
            "dc.services.visualstudio.com".to_string(),
            "global.handler.control.monitor.azure.com".to_string(),
            format!("{region}.handler.control.monitor.azure.com"),
            format!("{region}.ingest.monitor.azure.com"),
        ] {
            let tag = if f.starts_with("dc.") {
                None
            } else {
                Some("AzureMonitor")
            };
            out.push((f, tag, "Container Insights agent"));
        }
    }
    if truthy(r.get("properties.azureMonitorProfile.metrics.enabled")) {
        let stem = c.name.to_ascii_lowercase().replace("aks-", "");
        let dce = dces.of(r, &stem).unwrap_or("{endpoint}");
        for f in [
            "global.handler.control.monitor.azure.com".to_string(),
            format!("{region}.handler.control.monitor.azure.com"),
            format!("{dce}-{{suffix}}.{region}-1.metrics.ingest.monitor.azure.com"),
        ] {
            if !out.iter().any(|(x, ..)| *x == f) {
                out.push((f, Some("AzureMonitor"), "managed Prometheus"));
            }
        }
    }
    out
}

/// Nodes reach `endpoints` through the firewall only.
pub(super) fn egress_paths(
    n: &Net,
    c: &Cluster,
    f: &mut Flow,
    endpoints: &[(String, Option<&'static str>, &'static str)],
) {
    let egress = Egress {
        outbound: Some(c.outbound.clone()),
        node_public_ip: c.node_public_ip,
    };
    for s in c.node_subnets() {
        for (fqdn, tag, who) in endpoints {
            let mut t = Trace::new(text!(
                n.subnet_label(s),
                " → ",
                fqdn,
                " (HTTPS, for ",
                who,
                ")"
            ));
            resolve(
                n,
                &mut t,
                n.subnets[s].vnet,
                &Name {
                    fqdn: fqdn.clone(),
                    private: None,
                    records: Vec::new(),
                },
            );
            if !t.over() {
                let d = Dest {
                    addr: svc(fqdn.clone(), *tag, None),
                    subnet: None,
                    pe: None,
                };
                match deliver(n, &mut t, s, &d, Conn::HTTPS, &egress) {
                    Some(Seen::FirewallPublic(_)) => t.pass(
                        Step::Destination,
                        text!(fqdn, " through the firewall"),
                        None,
                    ),
                    Some(Seen::Direct) => t.block(
                        Step::Route,
                        format!(
                            "{fqdn} is reached straight from the subnet, not through the firewall"
                        ),
                        None,
                    ),
                    Some(Seen::ServiceEndpoint) => t.pass(
                        Step::Destination,
                        format!("{fqdn} over a service endpoint (the Azure backbone)"),
                        None,
                    ),
                    _ => {}
                }
            }
            f.paths.push(t.done());
        }
    }
}

pub(super) fn nodes_egress(n: &Net, c: &Cluster, out: &mut Vec<Flow>) {
    let mut f = new_flow("nodes-egress", &c.name);
    egress_paths(n, c, &mut f, &egress_endpoints(n, c));
    if c.nodes.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}

pub(super) fn monitoring(n: &Net, c: &Cluster, dces: &Dces, out: &mut Vec<Flow>) {
    let mut f = new_flow("monitoring-workspace", &c.name);
    let endpoints = monitoring_endpoints(n, c, dces);
    if endpoints.is_empty() {
        out.push(na(
            f,
            "neither Container Insights nor managed Prometheus is enabled",
        ));
        return;
    }
    egress_paths(n, c, &mut f, &endpoints);
    // The workspace must accept the agents' data.
    let ws = n
        .r(c.res)
        .get("properties.addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID");
    if let Look::Value(v) = ws {
        let mut t = Trace::new(format!(
            "Container Insights of `{}` → its Log Analytics workspace",
            c.name
        ));
        match v.as_str().and_then(|id| n.q.find_id(id)) {
            Some(w) => {
                let wr = n.r(w);
                match wr.get("properties.publicNetworkAccessForIngestion").str() {
                    Some(p) if p.eq_ignore_ascii_case("Disabled") => {
                        if n.q.of_type("Microsoft.Insights/privateLinkScopes").next().is_some() {
                            t.unknown(Step::Destination, format!("workspace `{}` takes ingestion only over private link; the Azure Monitor Private Link Scope is not modelled", wr.name), Some((w, "properties.publicNetworkAccessForIngestion")));
                        } else {
                            t.block(Step::Destination, format!("workspace `{}` refuses public ingestion (publicNetworkAccessForIngestion: Disabled) and no private link scope is in the input", wr.name), Some((w, "properties.publicNetworkAccessForIngestion")));
                        }
                    }
                    _ => t.pass(Step::Destination, format!("workspace `{}` accepts ingestion from the agents (publicNetworkAccessForIngestion not Disabled)", wr.name), Some((w, "properties.publicNetworkAccessForIngestion"))),
                }
            }
            None => t.unknown(
                Step::Destination,
                format!(
                    "workspace `{}` is not in the input",
                    crate::audit::eval::show(v)
                ),
                Some((c.res, "properties.addonProfiles.omsagent.config")),
            ),
        }
        f.paths.push(t.done());
    }
    out.push(f);
}

pub(super) fn nodes_internet_direct(n: &Net, c: &Cluster, out: &mut Vec<Flow>) {
    let mut f = new_flow("nodes-internet-direct", &c.name);
    let egress = Egress {
        outbound: Some(c.outbound.clone()),
        node_public_ip: c.node_public_ip,
    };
    for s in c.node_subnets() {
        let mut targets = vec![Addr::Internet];
        if let Ref::At(rt) = n.subnets[s].rt {
            for u in n.udrs.get(&rt).map_or(&[][..], Vec::as_slice) {
                if let crate::audit::flows::net::RoutePrefix::Cidr(p) = u.prefix {
                    if p.len > 0 && !p.is_private() && u.hop == NextHop::Internet {
                        targets.push(Addr::Range(p));
                    }
                }
            }
        }
        for d in targets {
            let mut t = Trace::new(format!(
                "{} → {} (TCP 443) without the firewall",
                n.subnet_label(s),
                d
            ));
            let src = range(n, s).map_or(Addr::Internet, Addr::Range);
            n.nsg(&mut t, s, false, &src, &d, Conn::HTTPS);
            if !t.over() {
                if let Some(chosen) = n.route_hop(&mut t, s, &d, None) {
                    match chosen.hop {
                        NextHop::Appliance(_, ip) => {
                            t.block(
                                Step::Route,
                                format!(
                                    "it goes to {ip}, the firewall, which filters it: no bypass"
                                ),
                                chosen.at.as_ref().map(|(r, p)| (*r, p.as_str())),
                            );
                        }
                        NextHop::Internet => direct_egress(n, &mut t, s, &egress),
                        NextHop::None => {}
                        other => t.block(
                            Step::Route,
                            format!("next hop {other:?} does not reach the internet"),
                            None,
                        ),
                    }
                }
            }
            f.paths.push(t.done());
        }
    }
    if c.nodes.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}
