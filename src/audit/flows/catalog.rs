//! The flows: what the estate's parts are (clusters with their subnets and identities,
//! registries, vaults, Bastion, the operations subnets, Application Gateways), and each
//! required or forbidden flow traced through the model.

use super::access::{self, Principal, Target, holds};
use super::addr::{Addr, Cidr, Service, Tri};
use super::dns::{Name, resolve};
use super::firewall::{dnat_into, filter};
use super::net::{Conn, Net, NextHop, Ref, Trace};
use super::{Flow, FlowKind, Path, Reach, Step};
use crate::audit::expr::is_expression;
use crate::audit::input::{Look, look, parse_id};
use crate::azure::{policies, roles, subnets, types};
use crate::posture::ControlId;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

use FlowKind::{Forbidden, Required};

/// Every flow, in report order: id, kind, the control it serves, what it checks.
pub(crate) const IDS: &[(&str, FlowKind, ControlId, &str)] = &[
    (
        "operator-api-bastion",
        Required,
        ControlId::ApiOperatorPath,
        "operators reach the private API server through Azure Bastion, its name resolving where Bastion resolves",
    ),
    (
        "operator-api-operations",
        Required,
        ControlId::ApiOperatorPath,
        "hosts in an operations subnet reach the private API server, its name resolving in their VNet",
    ),
    (
        "nodes-api",
        Required,
        ControlId::ApiVnetIntegration,
        "every node subnet reaches the API server, its name included (a public API server's failure counts for API-PRIVATE)",
    ),
    (
        "kubelet-registry",
        Required,
        ControlId::ImgRegistry,
        "nodes reach the registry (login server and data endpoint), through its private endpoint when it has one, names included",
    ),
    (
        "nodes-egress",
        Required,
        ControlId::EgressFirewall,
        "nodes reach the endpoints AKS and its add-ons need, through the firewall only",
    ),
    (
        "workload-vault",
        Required,
        ControlId::SecretsVault,
        "pods with workload identity get an Entra token and reach the vault, through its private endpoint when it has one",
    ),
    (
        "internet-waf-workload",
        Required,
        ControlId::NetIngressWaf,
        "the internet reaches a workload through the Application Gateway and its WAF",
    ),
    (
        "monitoring-workspace",
        Required,
        ControlId::LogAudit,
        "the cluster's monitoring agents reach Azure Monitor and their workspace accepts them",
    ),
    (
        "diagnostics-workspace",
        Required,
        ControlId::LogAudit,
        "every diagnostic setting sends to a destination in the input",
    ),
    (
        "cp-join-subnets",
        Required,
        ControlId::IdLeastPrivilege,
        "the control-plane identity may join the cluster's subnets (Network Contributor)",
    ),
    (
        "cp-dns-zone",
        Required,
        ControlId::ApiPrivate,
        "the control-plane identity may write the API server's private DNS zone (Private DNS Zone Contributor)",
    ),
    (
        "cp-kubelet-identity",
        Required,
        ControlId::IdManagedIdentity,
        "the control-plane identity may assign the kubelet identity (Managed Identity Operator)",
    ),
    (
        "kubelet-pull",
        Required,
        ControlId::ImgRegistry,
        "the kubelet identity may pull from the registry (AcrPull), and pushed images become pullable",
    ),
    (
        "csi-secrets",
        Required,
        ControlId::SecretsVault,
        "the Key Vault secrets provider's identity may read secrets (Key Vault Secrets User)",
    ),
    (
        "cp-kms-key",
        Required,
        ControlId::SecretsKms,
        "the control-plane identity may use the KMS key (Key Vault Crypto User)",
    ),
    (
        "internet-api",
        Forbidden,
        ControlId::ApiPrivate,
        "the internet reaches the API server",
    ),
    (
        "internet-nodes",
        Forbidden,
        ControlId::HostNoPublicAccess,
        "the internet reaches a node",
    ),
    (
        "nodes-internet-direct",
        Forbidden,
        ControlId::EgressFirewall,
        "a node reaches the internet without the firewall",
    ),
    (
        "spoke-to-spoke",
        Forbidden,
        ControlId::EnvClusterIsolation,
        "a spoke reaches another spoke (or any private address outside the estate's VNets)",
    ),
    (
        "pod-paas-public",
        Forbidden,
        ControlId::PaasLockdown,
        "a pod reaches the public endpoint of the vault or registry",
    ),
    (
        "ssh-rdp-lateral",
        Forbidden,
        ControlId::NetNsgEverySubnet,
        "SSH (22) or RDP (3389) from a subnet to another subnet",
    ),
];

fn new_flow(id: &'static str, scope: &str) -> Flow {
    let (kind, control, name) = IDS
        .iter()
        .find(|(i, ..)| *i == id)
        .map_or((Required, ControlId::BenchJudged, ""), |(_, k, c, n)| {
            (*k, *c, *n)
        });
    Flow {
        id,
        name: name.to_string(),
        scope: scope.to_string(),
        kind,
        control,
        paths: Vec::new(),
        na: None,
    }
}

/// A flow whose one path cannot be traced, for the reason given.
fn undecided(id: &'static str, c: &Cluster, why: &str) -> Flow {
    let mut f = new_flow(id, &c.name);
    let mut t = Trace::new(format!("the API server of `{}`", c.name));
    t.stuck(Step::Cluster, why.to_string(), Some((c.res, ASP)));
    f.paths.push(t.done());
    f
}

fn na(mut f: Flow, why: impl Into<String>) -> Flow {
    f.na = Some(why.into());
    f
}

/// The API server's private DNS zone.
#[derive(Debug, Clone)]
enum ApiZone {
    /// A zone of its own, by lower-case name, with its id.
    Byo(String, String),
    /// AKS creates the zone in the node resource group and links it to the cluster's VNet.
    System,
    /// A public record (`none`).
    Public,
    Unknown(String),
}

/// A cluster as the flows see it.
#[derive(Debug, Clone)]
struct Cluster {
    res: usize,
    name: String,
    region: Option<String>,
    dns_prefix: String,
    /// Node subnets (distinct, in pool order), with the pools on each.
    nodes: Vec<(usize, Vec<String>)>,
    /// Subnets pods of user pools run in (the node subnet, or the pod subnet).
    workloads: Vec<usize>,
    /// Node subnets that could not be placed, and why.
    unplaced: Vec<String>,
    private: bool,
    /// Why the model cannot tell whether the API server is private.
    private_unknown: Option<String>,
    vnet_integration: bool,
    api_subnet: Option<usize>,
    zone: ApiZone,
    public_fqdn: bool,
    authorized: Vec<String>,
    cp: Vec<Principal>,
    kubelet: Option<Principal>,
    kubelet_id: Option<String>,
    outbound: String,
    node_public_ip: bool,
}

const ASP: &str = "properties.apiServerAccessProfile";

fn truthy(l: Look<'_>) -> bool {
    matches!(l, Look::Value(v) if v.as_bool() == Some(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")))
}

fn clusters(n: &Net) -> Vec<Cluster> {
    let mut out = Vec::new();
    for (res, c) in n.q.of_type(types::AKS) {
        let (_, pools) = n.q.pools(res);
        let mut nodes: Vec<(usize, Vec<String>)> = Vec::new();
        let mut workloads = Vec::new();
        let mut unplaced = Vec::new();
        let mut node_public_ip = false;
        let user_pools = pools.iter().any(|p| !p.system);
        for p in &pools {
            let r = n.r(p.res);
            let g = |k: &str| r.get(&format!("{}.{k}", p.prefix));
            node_public_ip |= truthy(g("enableNodePublicIP"));
            match n.subnet_ref(g("vnetSubnetID")) {
                Ok(Some(s)) => {
                    match nodes.iter_mut().find(|(x, _)| *x == s) {
                        Some((_, names)) => names.push(p.name.clone()),
                        None => nodes.push((s, vec![p.name.clone()])),
                    }
                    if !p.system || !user_pools {
                        let pod = n.subnet_ref(g("podSubnetID")).ok().flatten().unwrap_or(s);
                        if !workloads.contains(&pod) {
                            workloads.push(pod);
                        }
                    }
                }
                Ok(None) => unplaced.push(format!("pool `{}` has no vnetSubnetID: AKS creates its own VNet, which is not in the input", p.name)),
                Err(why) => unplaced.push(format!("the subnet of pool `{}` {why}", p.name)),
            }
        }
        let private = truthy(c.get(&format!("{ASP}.enablePrivateCluster")));
        let private_unknown = match c.get(&format!("{ASP}.enablePrivateCluster")) {
            Look::Unknown(u) => Some(format!(
                "enablePrivateCluster is `{u}`, which the audit cannot evaluate"
            )),
            _ => None,
        };
        let vnet_integration = truthy(c.get(&format!("{ASP}.enableVnetIntegration")));
        let api_subnet = if vnet_integration {
            n.subnet_ref(c.get(&format!("{ASP}.subnetId")))
                .ok()
                .flatten()
        } else {
            nodes.first().map(|(s, _)| *s)
        };
        let zone = match c.get(&format!("{ASP}.privateDNSZone")) {
            Look::Missing => ApiZone::System,
            Look::Unknown(u) => ApiZone::Unknown(u.to_string()),
            Look::Value(v) => match v.as_str() {
                Some(s) if s.eq_ignore_ascii_case("system") => ApiZone::System,
                Some(s) if s.eq_ignore_ascii_case("none") => ApiZone::Public,
                Some(s) if is_expression(s) => ApiZone::Unknown(s.to_string()),
                Some(s) => match parse_id(s) {
                    Some((_, names)) => ApiZone::Byo(
                        names
                            .last()
                            .cloned()
                            .unwrap_or_default()
                            .to_ascii_lowercase(),
                        s.to_string(),
                    ),
                    None => ApiZone::Unknown(s.to_string()),
                },
                None => ApiZone::Unknown(v.to_string()),
            },
        };
        let mut cp = Vec::new();
        let id_type = c
            .get("identity.type")
            .str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if id_type.contains("userassigned") {
            if let Some(ids) = c
                .get("identity.userAssignedIdentities")
                .value()
                .and_then(Json::as_object)
            {
                for k in ids.keys() {
                    if let Some((_, names)) = parse_id(k) {
                        cp.extend(
                            names
                                .last()
                                .map(|x| Principal::Identity(x.to_ascii_lowercase())),
                        );
                    }
                }
            }
        } else if id_type.contains("systemassigned") {
            cp.push(Principal::System(
                types::AKS.to_ascii_lowercase(),
                c.name.to_ascii_lowercase(),
            ));
        }
        let kubelet_id = c
            .get("properties.identityProfile.kubeletidentity.resourceId")
            .str()
            .filter(|s| !is_expression(s))
            .map(str::to_string);
        let kubelet = kubelet_id
            .as_deref()
            .and_then(parse_id)
            .and_then(|(_, names)| {
                names
                    .last()
                    .map(|x| Principal::Identity(x.to_ascii_lowercase()))
            })
            .or_else(|| {
                access::principal(c.get("properties.identityProfile.kubeletidentity.objectId"))
            });
        out.push(Cluster {
            res,
            name: c.name.clone(),
            region: c
                .get("location")
                .str()
                .filter(|s| !is_expression(s))
                .map(|s| s.to_ascii_lowercase().replace(' ', "")),
            dns_prefix: c
                .get("properties.dnsPrefix")
                .str()
                .unwrap_or(&c.name)
                .to_string(),
            nodes,
            workloads,
            unplaced,
            private,
            private_unknown,
            vnet_integration,
            api_subnet,
            zone,
            public_fqdn: truthy(c.get(&format!("{ASP}.enablePrivateClusterPublicFQDN"))),
            authorized: c
                .get(&format!("{ASP}.authorizedIPRanges"))
                .array()
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect(),
            cp,
            kubelet,
            kubelet_id,
            outbound: c
                .get("properties.networkProfile.outboundType")
                .str()
                .unwrap_or("loadBalancer")
                .to_string(),
            node_public_ip,
        });
    }
    out
}

impl Cluster {
    fn vnets(&self, n: &Net) -> BTreeSet<usize> {
        self.nodes.iter().map(|(s, _)| n.subnets[*s].vnet).collect()
    }

    fn node_subnets(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().map(|(s, _)| *s)
    }
}

/// Resources of type `t` that belong to cluster `c`: those with a private endpoint in (or
/// peered with) its VNets, else those its identities hold roles on, else all when the input
/// has one cluster.
fn belonging(n: &Net, c: &Cluster, t: &str, single: bool) -> Vec<usize> {
    let vnets = c.vnets(n);
    let mut out: Vec<usize> = n
        .pes
        .iter()
        .filter(|pe| {
            pe.subnet.is_some_and(|s| {
                let v = n.subnets[s].vnet;
                vnets.contains(&v) || vnets.iter().any(|w| n.connected(*w, v))
            })
        })
        .flat_map(|pe| pe.targets.iter().copied())
        .filter(|r| n.r(*r).is(t))
        .collect();
    if t.eq_ignore_ascii_case(types::KV) {
        if let Some(kv) = n
            .r(c.res)
            .get("properties.securityProfile.azureKeyVaultKms.keyVaultResourceId")
            .str()
            .and_then(|id| n.q.find_id(id))
        {
            out.push(kv);
        }
    }
    if out.is_empty() {
        let mine: BTreeSet<String> = c
            .vnets(n)
            .iter()
            .map(|v| n.vnets[*v].name.to_ascii_lowercase())
            .collect();
        // Vault and registry network rules that name the cluster's subnets.
        for (r, res) in n.q.of_type(t) {
            let rules = [
                res.get("properties.networkAcls.virtualNetworkRules"),
                res.get("properties.networkRuleSet.virtualNetworkRules"),
            ];
            if rules.iter().any(|l| {
                l.array().iter().any(|x| {
                    look(x, "id")
                        .str()
                        .and_then(parse_id)
                        .is_some_and(|(_, names)| {
                            names
                                .first()
                                .is_some_and(|v| mine.contains(&v.to_ascii_lowercase()))
                        })
                })
            }) {
                out.push(r);
            }
        }
    }
    if out.is_empty() && single {
        out = n.q.of_type(t).map(|(i, _)| i).collect();
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn range(n: &Net, s: usize) -> Option<Cidr> {
    n.subnets[s].range.clone().ok()
}

/// How the model reached the end of a network path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// From the source subnet's own address.
    Subnet,
    /// Through firewall `f`, from its public address.
    FirewallPublic(usize),
    /// Through firewall `f`, from the source's own address (network rules to private addresses).
    FirewallPrivate(usize),
    /// Straight to the internet from the source's own public egress.
    Direct,
    /// Over a service endpoint, from the subnet's own address.
    ServiceEndpoint,
}

/// Where a network path is going.
#[derive(Debug, Clone)]
struct Dest {
    addr: Addr,
    /// The subnet it lies in, for private addresses.
    subnet: Option<usize>,
    /// The private endpoint it is, if any.
    pe: Option<usize>,
}

/// Trace network traffic from subnet `s` to `d`; `None` when the trace is over.
fn deliver(
    n: &Net,
    t: &mut Trace,
    s: usize,
    d: &Dest,
    conn: Conn,
    egress: &Egress,
) -> Option<Seen> {
    let Some(src) = range(n, s) else {
        let (r, p) = n.subnet_at_path(s);
        t.stuck(
            Step::Source,
            format!(
                "the address range of {} cannot be evaluated",
                n.subnet_label(s)
            ),
            Some((r, &p)),
        );
        return None;
    };
    let src_addr = Addr::Range(src);
    n.nsg(t, s, false, &src_addr, &d.addr, conn);
    if t.over() {
        return None;
    }
    let chosen = n.route_hop(t, s, &d.addr, d.pe)?;
    if t.over() {
        return None;
    }
    match chosen.hop {
        NextHop::VnetLocal | NextHop::Peering(_) | NextHop::Endpoint(_) => {
            if !matches!(d.addr, Addr::Range(_)) {
                t.block(
                    Step::Route,
                    format!(
                        "{} is a public address, but the route keeps it in the VNet",
                        d.addr.describe()
                    ),
                    None,
                );
                return None;
            }
            arrive(n, t, s, &src_addr, d, conn, true);
            (!t.over()).then_some(Seen::Subnet)
        }
        NextHop::Appliance(ip, raw) => through_firewall(n, t, s, src, ip, &raw, d, conn),
        NextHop::Internet => {
            if !d.addr.is_public() {
                t.block(
                    Step::Route,
                    format!(
                        "{} is private, but the route sends it to the internet",
                        d.addr.describe()
                    ),
                    None,
                );
                return None;
            }
            direct_egress(n, t, s, egress);
            (!t.over()).then_some(Seen::Direct)
        }
        NextHop::ServiceEndpoint(_) => Some(Seen::ServiceEndpoint),
        NextHop::None => None,
        NextHop::Gateway => {
            t.stuck(Step::Route, "the next hop is a virtual network gateway: what lies beyond it is not in the input", None);
            None
        }
        NextHop::Unknown(u) => {
            t.stuck(
                Step::Route,
                format!("the next hop is `{u}`, which the audit cannot evaluate"),
                None,
            );
            None
        }
    }
}

/// Traffic arriving at a private destination from subnet `s`: the peering into its VNet, its
/// NSG, and the route replies take back (for a destination that routes its replies).
fn arrive(n: &Net, t: &mut Trace, s: usize, src: &Addr, d: &Dest, conn: Conn, check_peering: bool) {
    let Some(ds) = d.subnet else {
        t.stuck(
            Step::Destination,
            format!("{} lies in no subnet of the input", d.addr.describe()),
            None,
        );
        return;
    };
    let (sv, dv) = (n.subnets[s].vnet, n.subnets[ds].vnet);
    if check_peering && sv != dv {
        n.peering_hop(t, sv, dv, false);
        if t.over() {
            return;
        }
    }
    if d.pe.is_some() && !n.subnets[ds].pe_nsg {
        let (r, p) = n.subnet_at_path(ds);
        t.pass(
            Step::Nsg,
            format!("private endpoints in {} skip its NSG (privateEndpointNetworkPolicies does not enable NSGs)", n.subnet_label(ds)),
            Some((r, &format!("{p}.privateEndpointNetworkPolicies"))),
        );
    } else {
        n.nsg(t, ds, true, src, &d.addr, conn);
    }
    if t.over() || d.pe.is_some() {
        return;
    }
    let Some(back) = range(n, s) else { return };
    match n.route(ds, &Addr::Range(back), None) {
        Ok(c) => {
            let at = c.at.as_ref().map(|(r, p)| (*r, p.as_str()));
            match c.hop {
                NextHop::Appliance(_, ip) => t.block(
                    Step::Return,
                    format!("{} sends the replies from {} to {back} to {ip} while the requests came directly: the firewall sees half of each connection and drops it (asymmetric routing)", c.text, n.subnet_label(ds)),
                    at,
                ),
                NextHop::None => t.block(Step::Return, format!("replies from {} are dropped: {}", n.subnet_label(ds), c.text), at),
                _ => t.pass(Step::Return, format!("replies from {} take {}", n.subnet_label(ds), c.text), at),
            }
        }
        Err(why) => t.unknown(
            Step::Return,
            format!(
                "the route replies take from {} cannot be chosen: {why}",
                n.subnet_label(ds)
            ),
            None,
        ),
    }
}

/// Through the firewall at `ip`; `None` when the trace is over.
#[allow(clippy::too_many_arguments)]
fn through_firewall(
    n: &Net,
    t: &mut Trace,
    s: usize,
    src: Cidr,
    ip: Option<u32>,
    raw: &str,
    d: &Dest,
    conn: Conn,
) -> Option<Seen> {
    let Some(f) = ip.and_then(|ip| n.firewall_at(ip)) else {
        t.stuck(Step::Firewall, format!("the next hop {raw} is not an Azure Firewall in the input: what it does is not known"), None);
        return None;
    };
    let sv = n.subnets[s].vnet;
    let Some(fv) = n.firewall_vnet(f) else {
        t.stuck(
            Step::Firewall,
            format!(
                "the subnet of firewall `{}` is not in the input",
                n.firewalls[f].name
            ),
            None,
        );
        return None;
    };
    if sv != fv {
        n.peering_hop(t, sv, fv, false);
        if t.over() {
            return None;
        }
    }
    filter(n, t, f, src, &d.addr, conn);
    if t.over() {
        return None;
    }
    let fw = &n.firewalls[f];
    let fw_at = Some((fw.res, "properties.ipConfigurations"));
    if d.addr.is_public() {
        if !fw.public_ip {
            t.block(
                Step::Egress,
                format!(
                    "firewall `{}` has no public IP address to send it from",
                    fw.name
                ),
                fw_at,
            );
            return None;
        }
        if let Some(fs) = fw.subnet {
            match n.route(fs, &d.addr, None) {
                Ok(c) if matches!(c.hop, NextHop::Appliance(..) | NextHop::Gateway) => {
                    t.unknown(Step::Egress, format!("firewall `{}` forwards internet traffic onward ({}): what lies beyond is not in the input", fw.name, c.text), fw_at);
                }
                Ok(c) if c.hop == NextHop::None => {
                    t.block(
                        Step::Egress,
                        format!("firewall `{}` drops it: {}", fw.name, c.text),
                        fw_at,
                    );
                    return None;
                }
                _ => {}
            }
        }
        let names = if fw.public_ip_names.is_empty() {
            "its public IP".to_string()
        } else {
            format!("its public IP `{}`", fw.public_ip_names.join("`, `"))
        };
        t.pass(
            Step::Egress,
            format!(
                "firewall `{}` sends it to the internet from {names} (SNAT)",
                fw.name
            ),
            fw_at,
        );
        if sv != fv {
            n.peering_hop(t, fv, sv, true);
            if t.over() {
                return None;
            }
        }
        Some(Seen::FirewallPublic(f))
    } else {
        let Some(ds) = d.subnet else {
            t.pass(
                Step::Destination,
                format!(
                    "firewall `{}` forwards it to {}, which lies in no VNet of the input",
                    fw.name,
                    d.addr.describe()
                ),
                None,
            );
            return Some(Seen::FirewallPrivate(f));
        };
        let dv = n.subnets[ds].vnet;
        if dv != fv {
            n.peering_hop(t, fv, dv, true);
            if t.over() {
                return None;
            }
        }
        n.nsg(t, ds, true, &Addr::Range(src), &d.addr, conn);
        if t.over() {
            return None;
        }
        match n.route(ds, &Addr::Range(src), None) {
            Ok(c) => match &c.hop {
                NextHop::Appliance(Some(back), _) if Some(*back) == fw.ip => {
                    t.pass(Step::Return, format!("replies from {} return through the firewall: {}", n.subnet_label(ds), c.text), None);
                }
                _ => t.block(Step::Return, format!("replies from {} take {}, not the firewall: asymmetric, the firewall drops them", n.subnet_label(ds), c.text), None),
            },
            Err(why) => t.unknown(Step::Return, why, None),
        }
        (!t.over()).then_some(Seen::FirewallPrivate(f))
    }
}

/// What lets a subnet send straight to the internet.
#[derive(Debug, Clone, Default)]
struct Egress {
    /// The cluster's outbound type, when the subnet holds its nodes.
    outbound: Option<String>,
    node_public_ip: bool,
}

fn direct_egress(n: &Net, t: &mut Trace, s: usize, e: &Egress) {
    let sn = &n.subnets[s];
    let (r, p) = n.subnet_at_path(s);
    if sn.nat_gateway {
        t.pass(
            Step::Egress,
            format!(
                "{} has a NAT gateway, which sends it to the internet",
                n.subnet_label(s)
            ),
            Some((r, &format!("{p}.natGateway"))),
        );
        return;
    }
    if e.node_public_ip {
        t.pass(
            Step::Egress,
            "nodes have public IPs (enableNodePublicIP), which send it to the internet".to_string(),
            None,
        );
        return;
    }
    if let Some(o) = &e.outbound {
        if !o.eq_ignore_ascii_case("userDefinedRouting") && !o.eq_ignore_ascii_case("none") {
            t.pass(
                Step::Egress,
                format!("the cluster's outboundType `{o}` gives the nodes a public egress address"),
                None,
            );
            return;
        }
    }
    match sn.default_outbound {
        Some(false) => t.block(
            Step::Egress,
            format!("{} has defaultOutboundAccess: false and no NAT gateway, outbound rule or public IP: nothing sends it to the internet", n.subnet_label(s)),
            Some((r, &format!("{p}.defaultOutboundAccess"))),
        ),
        _ => t.pass(
            Step::Egress,
            format!("{} keeps default outbound access (defaultOutboundAccess not false): Azure gives it a hidden public address", n.subnet_label(s)),
            Some((r, &format!("{p}.defaultOutboundAccess"))),
        ),
    }
}

/// The public endpoint of a resource of the input.
fn service_of(n: &Net, r: usize) -> Option<Service> {
    let res = n.r(r);
    let region = res
        .get("location")
        .str()
        .filter(|s| !is_expression(s))
        .map(|s| s.to_ascii_lowercase().replace(' ', ""));
    let name = res.name.to_ascii_lowercase();
    let (fqdn, tag) = if res.is(types::KV) {
        (format!("{name}.vault.azure.net"), "AzureKeyVault")
    } else if res.is(types::ACR) {
        (format!("{name}.azurecr.io"), "AzureContainerRegistry")
    } else if res
        .rtype
        .eq_ignore_ascii_case("Microsoft.Storage/storageAccounts")
    {
        (format!("{name}.blob.core.windows.net"), "Storage")
    } else {
        return None;
    };
    Some(Service {
        fqdn,
        tag: Some(tag),
        region,
    })
}

fn svc(fqdn: impl Into<String>, tag: Option<&'static str>, region: Option<String>) -> Addr {
    Addr::Service(Service {
        fqdn: fqdn.into(),
        tag,
        region,
    })
}

/// A service's own network access, for traffic that reached its public endpoint from `seen`.
fn public_access(n: &Net, t: &mut Trace, r: usize, s: usize, seen: Seen) {
    let res = n.r(r);
    let label = format!("{} `{}`", super::net::kind(&res.rtype), res.name);
    match res.get("properties.publicNetworkAccess").str() {
        Some(p) if p.eq_ignore_ascii_case("Disabled") => {
            t.block(
                Step::Destination,
                format!("{label} refuses it: publicNetworkAccess: Disabled"),
                Some((r, "properties.publicNetworkAccess")),
            );
            return;
        }
        _ => {}
    }
    let (acl, path) = if res.is(types::KV) {
        ("properties.networkAcls", "properties.networkAcls")
    } else {
        ("properties.networkRuleSet", "properties.networkRuleSet")
    };
    let default = res
        .get(&format!("{acl}.defaultAction"))
        .str()
        .unwrap_or("Allow")
        .to_string();
    if default.eq_ignore_ascii_case("Allow") {
        t.pass(
            Step::Destination,
            format!("{label} accepts it: public network access with default action Allow"),
            Some((r, path)),
        );
        return;
    }
    // Default action Deny: the source must be named.
    let sn = &n.subnets[s];
    match seen {
        Seen::ServiceEndpoint | Seen::Subnet => {
            let hit = res
                .get(&format!("{acl}.virtualNetworkRules"))
                .array()
                .iter()
                .any(|x| {
                    look(x, "id")
                        .str()
                        .and_then(parse_id)
                        .is_some_and(|(_, names)| {
                            names.len() == 2
                                && names[0].eq_ignore_ascii_case(&n.vnets[sn.vnet].name)
                                && names[1].eq_ignore_ascii_case(&sn.name)
                        })
                });
            if hit {
                t.pass(
                    Step::Destination,
                    format!(
                        "{label} accepts it: a virtual network rule names {}",
                        n.subnet_label(s)
                    ),
                    Some((r, path)),
                );
            } else {
                t.block(Step::Destination, format!("{label} refuses it: default action Deny and no virtual network rule names {}", n.subnet_label(s)), Some((r, path)));
            }
        }
        Seen::FirewallPublic(f) => {
            let fw = &n.firewalls[f];
            let mut verdict = Tri::No;
            for rule in res.get(&format!("{acl}.ipRules")).array() {
                let text = match (look(rule, "value"), look(rule, "ipAddressOrRange")) {
                    (Look::Value(Json::String(s)), _) | (_, Look::Value(Json::String(s))) => {
                        s.clone()
                    }
                    (Look::Unknown(u), _) | (_, Look::Unknown(u)) => u.to_string(),
                    _ => continue,
                };
                let lower = text.to_ascii_lowercase();
                if fw
                    .public_ip_names
                    .iter()
                    .any(|p| lower.contains(&format!("'{p}'")))
                {
                    verdict = Tri::Yes;
                    break;
                }
                match Cidr::parse(&text) {
                    Some(c) if c.is_never_azure_public() => {}
                    _ => {
                        verdict = verdict.or(Tri::Maybe(format!(
                            "whether IP rule `{text}` holds the firewall's public IP is not known"
                        )));
                    }
                }
            }
            t.tri(
                Step::Destination,
                verdict,
                format!("{label} accepts it: an IP rule names the public IP of firewall `{}`", fw.name),
                format!("{label} refuses it: default action Deny and no IP rule holds the public IP of firewall `{}`", fw.name),
                Some((r, path)),
            );
        }
        Seen::FirewallPrivate(_) | Seen::Direct => {
            t.unknown(Step::Destination, format!("{label} has default action Deny; whether it names the sender's public address is not known"), Some((r, path)));
        }
    }
}

fn subnet_target(n: &Net, s: usize) -> Target {
    let sn = &n.subnets[s];
    let vres = n.vnets[sn.vnet].res;
    let v = n.r(vres);
    Target {
        rtype: types::SUBNET.to_string(),
        name: format!("{}/{}", v.name, sn.name),
        sub: Some(v.subscription.clone()),
        rg: v.resource_group.clone(),
        label: format!("subnet `{}/{}`", v.name, sn.name),
    }
}

/// The API server as a destination, with how clients name it.
fn api_dest(n: &Net, c: &Cluster) -> Result<(Dest, Name), String> {
    let s = c
        .api_subnet
        .ok_or("the subnet the API server is in is not in the input")?;
    let r = range(n, s).ok_or("the API server subnet's range cannot be evaluated")?;
    let zone = match &c.zone {
        ApiZone::Byo(z, _) => z.clone(),
        ApiZone::System => format!(
            "privatelink.{}.azmk8s.io",
            c.region.clone().unwrap_or_else(|| "{region}".into())
        ),
        ApiZone::Public => String::new(),
        ApiZone::Unknown(u) => {
            return Err(format!(
                "its privateDNSZone is `{u}`, which the audit cannot evaluate"
            ));
        }
    };
    let fqdn = format!("{}-{{hash}}.{zone}", c.dns_prefix.to_ascii_lowercase());
    let name = match &c.zone {
        ApiZone::Public => Name {
            fqdn: format!("{}-{{hash}}.{{region}}.azmk8s.io", c.dns_prefix),
            private: None,
            records: Vec::new(),
        },
        _ if c.public_fqdn => Name {
            fqdn: format!(
                "{}-{{hash}}.{{region}}.azmk8s.io (public FQDN of a private cluster)",
                c.dns_prefix
            ),
            private: None,
            records: Vec::new(),
        },
        _ => Name {
            fqdn: fqdn.clone(),
            private: Some(fqdn),
            records: vec![(
                zone,
                c.res,
                format!("{ASP}.privateDNSZone"),
                format!("AKS (for cluster `{}`)", c.name),
            )],
        },
    };
    Ok((
        Dest {
            addr: Addr::Range(r),
            subnet: Some(s),
            pe: None,
        },
        name,
    ))
}

/// How `vnet` resolves the API server name of `c`, adding hops.
fn resolve_api(n: &Net, t: &mut Trace, c: &Cluster, vnet: usize, name: &Name) {
    if let ApiZone::System = c.zone {
        if !c.public_fqdn {
            // AKS creates the zone in the node resource group and links it to the cluster's VNet only.
            let mine = c.vnets(n);
            let Some(at) = super::dns::resolver(n, t, vnet) else {
                return;
            };
            if mine.contains(&at) {
                t.pass(
                    Step::Resolve,
                    format!(
                        "{} resolves in the zone AKS creates and links to `{}`",
                        name.fqdn, n.vnets[at].name
                    ),
                    Some((c.res, ASP)),
                );
            } else {
                t.block(
                    Step::Resolve,
                    format!(
                        "{} is in the zone AKS creates (privateDNSZone: system), linked only to the cluster's VNet; `{}`, where the query is resolved, cannot resolve it",
                        name.fqdn, n.vnets[at].name
                    ),
                    Some((c.res, &format!("{ASP}.privateDNSZone"))),
                );
            }
            return;
        }
    }
    resolve(n, t, vnet, name);
}

fn operator_flows(n: &Net, c: &Cluster, used: &BTreeSet<usize>, out: &mut Vec<Flow>) {
    if let Some(u) = &c.private_unknown {
        out.push(undecided("operator-api-bastion", c, u));
        out.push(undecided("operator-api-operations", c, u));
        return;
    }
    let mut bastion = new_flow("operator-api-bastion", &c.name);
    let mut ops = new_flow("operator-api-operations", &c.name);
    if !c.private {
        out.push(na(
            bastion,
            "public API server: operators reach it through its authorised ranges",
        ));
        out.push(na(
            ops,
            "public API server: operators reach it through its authorised ranges",
        ));
        return;
    }
    let api = api_dest(n, c);
    let bastions: Vec<(usize, Option<usize>)> =
        n.q.of_type(types::BASTION)
            .map(|(i, b)| {
                (
                    i,
                    b.get("properties.ipConfigurations")
                        .array()
                        .first()
                        .and_then(|cfg| {
                            n.subnet_ref(look(cfg, "properties.subnet.id"))
                                .ok()
                                .flatten()
                        }),
                )
            })
            .collect();
    let without: Vec<String> = bastions
        .iter()
        .filter(|(b, _)| !truthy(n.r(*b).get("properties.enableTunneling")))
        .map(|(b, _)| n.r(*b).name.clone())
        .collect();
    let bastions: Vec<(usize, Option<usize>)> = bastions
        .into_iter()
        .filter(|(b, _)| truthy(n.r(*b).get("properties.enableTunneling")))
        .collect();
    if bastions.is_empty() {
        bastion = if without.is_empty() {
            na(bastion, "no Azure Bastion in the input")
        } else {
            na(
                bastion,
                format!(
                    "Bastion {} has enableTunneling off: it is no path to the API server (API-OPERATOR-PATH judges the operators' way in)",
                    without.join(", ")
                ),
            )
        };
    }
    for (b, bs) in &bastions {
        let bname = n.r(*b).name.clone();
        let mut t = Trace::new(format!(
            "Bastion `{bname}` → API server of `{}` (TCP 443)",
            c.name
        ));
        let tunnel = truthy(n.r(*b).get("properties.enableTunneling"));
        if tunnel {
            t.pass(Step::Source, format!("Bastion `{bname}` tunnels native clients (enableTunneling: true; `az aks bastion`)"), Some((*b, "properties.enableTunneling")));
        } else {
            t.block(Step::Source, format!("Bastion `{bname}` has enableTunneling off: `az aks bastion` cannot tunnel to the API server"), Some((*b, "properties.enableTunneling")));
        }
        match (bs, &api) {
            (Some(bs), Ok((d, name))) if !t.over() => {
                resolve_api(n, &mut t, c, n.subnets[*bs].vnet, name);
                if !t.over() {
                    deliver(n, &mut t, *bs, d, Conn::HTTPS, &Egress::default());
                }
                if !t.over() {
                    t.pass(Step::Destination, api_text(n, c), Some((c.res, ASP)));
                }
            }
            (None, _) => t.stuck(
                Step::Source,
                format!("the subnet of Bastion `{bname}` is not in the input"),
                Some((*b, "properties.ipConfigurations")),
            ),
            (_, Err(why)) => t.stuck(
                Step::Destination,
                format!("the API server of `{}`: {why}", c.name),
                Some((c.res, ASP)),
            ),
            _ => {}
        }
        bastion.paths.push(t.done());
    }
    out.push(bastion);
    // Operations subnets: the subnets of the hub (the VNet of the firewall or Bastion) that are
    // not Azure's own.
    let mut hubs: BTreeSet<usize> = bastions
        .iter()
        .filter_map(|(_, s)| s.map(|s| n.subnets[s].vnet))
        .collect();
    hubs.extend((0..n.firewalls.len()).filter_map(|f| n.firewall_vnet(f)));
    let op_subnets: Vec<usize> = (0..n.subnets.len())
        .filter(|s| {
            hubs.contains(&n.subnets[*s].vnet)
                && !platform(&n.subnets[*s].name)
                && !used.contains(s)
        })
        .collect();
    if op_subnets.is_empty() {
        out.push(na(ops, "no operations subnet in the hub"));
        return;
    }
    for s in op_subnets {
        let mut t = Trace::new(format!(
            "{} → API server of `{}` (TCP 443)",
            n.subnet_label(s),
            c.name
        ));
        match &api {
            Ok((d, name)) => {
                resolve_api(n, &mut t, c, n.subnets[s].vnet, name);
                if !t.over() {
                    deliver(n, &mut t, s, d, Conn::HTTPS, &Egress::default());
                }
                if !t.over() {
                    t.pass(Step::Destination, api_text(n, c), Some((c.res, ASP)));
                }
            }
            Err(why) => t.stuck(
                Step::Destination,
                format!("the API server of `{}`: {why}", c.name),
                Some((c.res, ASP)),
            ),
        }
        ops.paths.push(t.done());
    }
    out.push(ops);
}

fn api_text(n: &Net, c: &Cluster) -> String {
    match (c.vnet_integration, c.api_subnet) {
        (true, Some(s)) => format!(
            "the API server of `{}` (VNet integration: its internal load balancer in {})",
            c.name,
            n.subnet_label(s)
        ),
        (_, Some(s)) => format!(
            "the API server of `{}` (its private endpoint in {})",
            c.name,
            n.subnet_label(s)
        ),
        _ => format!("the API server of `{}`", c.name),
    }
}

/// Azure's own subnets, which no workload uses.
fn platform(name: &str) -> bool {
    [
        subnets::FIREWALL,
        subnets::FIREWALL_MANAGEMENT,
        subnets::GATEWAY,
        subnets::ROUTE_SERVER,
        subnets::BASTION,
    ]
    .iter()
    .any(|x| x.eq_ignore_ascii_case(name))
}

/// Subnets that hold clusters, private endpoints or gateways.
fn used_subnets(n: &Net) -> BTreeSet<usize> {
    let mut used = BTreeSet::new();
    for (c, _) in n.q.of_type(types::AKS) {
        let (_, pools) = n.q.pools(c);
        for p in pools {
            if let Ok(Some(s)) = n.subnet_ref(n.r(p.res).get(&format!("{}.vnetSubnetID", p.prefix)))
            {
                used.insert(s);
            }
        }
        if let Ok(Some(s)) = n.subnet_ref(n.r(c).get(&format!("{ASP}.subnetId"))) {
            used.insert(s);
        }
    }
    used.extend(n.pes.iter().filter_map(|p| p.subnet));
    for (_, g) in n.q.of_type(types::AGW) {
        for cfg in g.get("properties.gatewayIPConfigurations").array() {
            if let Ok(Some(s)) = n.subnet_ref(look(cfg, "properties.subnet.id")) {
                used.insert(s);
            }
        }
    }
    used
}

fn nodes_api(n: &Net, c: &Cluster, out: &mut Vec<Flow>) {
    if let Some(u) = &c.private_unknown {
        out.push(undecided("nodes-api", c, u));
        return;
    }
    let mut f = new_flow("nodes-api", &c.name);
    if !c.private {
        // A public API server's reach is API-PRIVATE's matter (authorised ranges).
        f.control = ControlId::ApiPrivate;
    }
    let egress = Egress {
        outbound: Some(c.outbound.clone()),
        node_public_ip: c.node_public_ip,
    };
    for (s, pools) in &c.nodes {
        let mut t = Trace::new(format!(
            "{} (pools {}) → API server (TCP 443)",
            n.subnet_label(*s),
            pools.join(", ")
        ));
        if c.private {
            match api_dest(n, c) {
                Ok((d, name)) => {
                    resolve_api(n, &mut t, c, n.subnets[*s].vnet, &name);
                    if !t.over() {
                        deliver(n, &mut t, *s, &d, Conn::HTTPS, &egress);
                    }
                    if !t.over() {
                        t.pass(Step::Destination, api_text(n, c), Some((c.res, ASP)));
                    }
                }
                Err(why) => t.stuck(Step::Destination, why, Some((c.res, ASP))),
            }
        } else {
            let fqdn = format!(
                "{}-{{hash}}.hcp.{}.azmk8s.io",
                c.dns_prefix.to_ascii_lowercase(),
                c.region.clone().unwrap_or_else(|| "{region}".into())
            );
            let d = Dest {
                addr: svc(fqdn.clone(), Some("AzureCloud"), c.region.clone()),
                subnet: None,
                pe: None,
            };
            resolve(
                n,
                &mut t,
                n.subnets[*s].vnet,
                &Name {
                    fqdn,
                    private: None,
                    records: Vec::new(),
                },
            );
            let seen = if t.over() {
                None
            } else {
                deliver(n, &mut t, *s, &d, Conn::HTTPS, &egress)
            };
            if let Some(seen) = seen {
                authorized(n, &mut t, c, seen);
            }
        }
        f.paths.push(t.done());
    }
    if c.nodes.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}

fn unplaced(c: &Cluster) -> String {
    if c.unplaced.is_empty() {
        "the cluster has no node pool".into()
    } else {
        c.unplaced.join("; ")
    }
}

/// The public API server's authorised ranges, for traffic that reached it from `seen`.
fn authorized(n: &Net, t: &mut Trace, c: &Cluster, seen: Seen) {
    let at = Some((
        c.res,
        "properties.apiServerAccessProfile.authorizedIPRanges",
    ));
    if c.authorized.is_empty() {
        t.pass(
            Step::Destination,
            format!(
                "the public API server of `{}` accepts every address (no authorizedIPRanges)",
                c.name
            ),
            at,
        );
        return;
    }
    let ranges = c.authorized.join(", ");
    match seen {
        Seen::FirewallPublic(f) => {
            let fw = &n.firewalls[f];
            if c.authorized.iter().all(|r| Cidr::parse(r).is_some_and(Cidr::is_never_azure_public)) {
                t.block(
                    Step::Destination,
                    format!(
                        "the public API server of `{}` admits only authorizedIPRanges [{ranges}], where no Azure public address lies: nodes leave through firewall `{}`'s public IP and are refused",
                        c.name, fw.name
                    ),
                    at,
                );
            } else {
                t.unknown(
                    Step::Destination,
                    format!("the public API server of `{}` admits only authorizedIPRanges [{ranges}]: they must hold the public IP of firewall `{}`, allocated at deployment", c.name, fw.name),
                    at,
                );
            }
        }
        Seen::Direct => t.pass(Step::Destination, format!("the public API server of `{}`: AKS adds the cluster's own outbound addresses to authorizedIPRanges", c.name), at),
        _ => t.unknown(Step::Destination, format!("the public API server of `{}` admits only authorizedIPRanges [{ranges}]", c.name), at),
    }
}

/// A private endpoint of `target` and the network destination it is, preferring one in (or
/// peered with) `vnet`.
fn pe_of(n: &Net, target: usize, vnet: usize) -> Option<usize> {
    let pes: Vec<usize> = (0..n.pes.len())
        .filter(|p| n.pes[*p].targets.contains(&target))
        .collect();
    pes.iter()
        .copied()
        .find(|p| {
            n.pes[*p]
                .subnet
                .is_some_and(|s| n.subnets[s].vnet == vnet || n.connected(vnet, n.subnets[s].vnet))
        })
        .or_else(|| pes.first().copied())
}

fn pe_dest(n: &Net, pe: usize) -> Option<Dest> {
    let s = n.pes[pe].subnet?;
    Some(Dest {
        addr: Addr::Range(range(n, s)?),
        subnet: Some(s),
        pe: Some(pe),
    })
}

fn pe_name(n: &Net, pe: usize, fqdn: &str, private: &str) -> Name {
    Name {
        fqdn: fqdn.to_string(),
        private: Some(private.to_string()),
        records: n.pes[pe]
            .zones
            .iter()
            .map(|(z, g)| {
                (
                    z.clone(),
                    *g,
                    "properties.privateDnsZoneConfigs".to_string(),
                    format!("private endpoint `{}`'s zone group", n.pes[pe].name),
                )
            })
            .collect(),
    }
}

/// Reach a PaaS resource from subnet `s`: through its private endpoint when it has one
/// (resolving each of `names`), else its public endpoint.
fn to_paas(
    n: &Net,
    t: &mut Trace,
    s: usize,
    r: usize,
    names: &[(String, String)],
    egress: &Egress,
) {
    let vnet = n.subnets[s].vnet;
    let res = n.r(r);
    let label = format!("{} `{}`", super::net::kind(&res.rtype), res.name);
    if let Some(pe) = pe_of(n, r, vnet) {
        for (fqdn, private) in names {
            resolve(n, t, vnet, &pe_name(n, pe, fqdn, private));
            if t.over() {
                return;
            }
        }
        let Some(d) = pe_dest(n, pe) else {
            t.stuck(
                Step::Destination,
                format!(
                    "the subnet of private endpoint `{}` is not in the input",
                    n.pes[pe].name
                ),
                Some((n.pes[pe].res, "properties.subnet")),
            );
            return;
        };
        deliver(n, t, s, &d, Conn::HTTPS, egress);
        if !t.over() {
            t.pass(
                Step::Destination,
                format!("{label} through private endpoint `{}`", n.pes[pe].name),
                Some((n.pes[pe].res, "properties.privateLinkServiceConnections")),
            );
        }
        return;
    }
    let Some(service) = service_of(n, r) else {
        t.stuck(
            Step::Destination,
            format!("{label} has no private endpoint, and its public endpoint is not modelled"),
            Some((r, "properties")),
        );
        return;
    };
    let fqdn = service.fqdn.clone();
    resolve(
        n,
        t,
        vnet,
        &Name {
            fqdn,
            private: None,
            records: Vec::new(),
        },
    );
    if t.over() {
        return;
    }
    let d = Dest {
        addr: Addr::Service(service),
        subnet: None,
        pe: None,
    };
    if let Some(seen) = deliver(n, t, s, &d, Conn::HTTPS, egress) {
        public_access(n, t, r, s, seen);
    }
}

fn registry_names(n: &Net, r: usize) -> Vec<(String, String)> {
    let res = n.r(r);
    let name = res.name.to_ascii_lowercase();
    let mut out = vec![(
        format!("{name}.azurecr.io"),
        format!("{name}.privatelink.azurecr.io"),
    )];
    if truthy(res.get("properties.dataEndpointEnabled")) {
        let region = res
            .get("location")
            .str()
            .unwrap_or("{region}")
            .to_ascii_lowercase()
            .replace(' ', "");
        out.push((
            format!("{name}.{region}.data.azurecr.io"),
            format!("{name}.{region}.data.privatelink.azurecr.io"),
        ));
    }
    out
}

fn vault_names(n: &Net, r: usize) -> Vec<(String, String)> {
    let name = n.r(r).name.to_ascii_lowercase();
    vec![(
        format!("{name}.vault.azure.net"),
        format!("{name}.privatelink.vaultcore.azure.net"),
    )]
}

fn kubelet_registry(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
    let mut f = new_flow("kubelet-registry", &c.name);
    let regs = belonging(n, c, types::ACR, single);
    let egress = Egress {
        outbound: Some(c.outbound.clone()),
        node_public_ip: c.node_public_ip,
    };
    for r in &regs {
        for s in c.node_subnets() {
            let mut t = Trace::new(format!(
                "{} → registry `{}` (HTTPS)",
                n.subnet_label(s),
                n.r(*r).name
            ));
            to_paas(n, &mut t, s, *r, &registry_names(n, *r), &egress);
            f.paths.push(t.done());
        }
    }
    if regs.is_empty() {
        f.na = Some("no registry belongs to the cluster in the input".into());
    } else if c.nodes.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}

/// What nodes reach on the internet: the endpoints AKS needs, and its enabled add-ons'.
fn egress_endpoints(n: &Net, c: &Cluster) -> Vec<(String, Option<&'static str>, &'static str)> {
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

fn monitoring_endpoints(n: &Net, c: &Cluster) -> Vec<(String, Option<&'static str>, &'static str)> {
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
        let dce =
            n.q.of_type(types::DCE)
                .find(|(_, d)| {
                    d.subscription.same(&r.subscription) && d.resource_group == r.resource_group
                        || d.name
                            .to_ascii_lowercase()
                            .contains(&c.name.to_ascii_lowercase().replace("aks-", ""))
                })
                .map_or_else(
                    || "{endpoint}".to_string(),
                    |(_, d)| d.name.to_ascii_lowercase(),
                );
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
fn egress_paths(
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
            let mut t = Trace::new(format!("{} → {fqdn} (HTTPS, for {who})", n.subnet_label(s)));
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
                        format!("{fqdn} through the firewall"),
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

fn nodes_egress(n: &Net, c: &Cluster, out: &mut Vec<Flow>) {
    let mut f = new_flow("nodes-egress", &c.name);
    egress_paths(n, c, &mut f, &egress_endpoints(n, c));
    if c.nodes.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}

fn monitoring(n: &Net, c: &Cluster, out: &mut Vec<Flow>) {
    let mut f = new_flow("monitoring-workspace", &c.name);
    let endpoints = monitoring_endpoints(n, c);
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

fn workload_vault(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
    let mut f = new_flow("workload-vault", &c.name);
    let vaults = belonging(n, c, types::KV, single);
    if vaults.is_empty() {
        out.push(na(f, "no vault belongs to the cluster in the input"));
        return;
    }
    let r = n.r(c.res);
    let oidc = truthy(r.get("properties.oidcIssuerProfile.enabled"));
    let wi = truthy(r.get("properties.securityProfile.workloadIdentity.enabled"));
    if !(oidc && wi) {
        out.push(na(
            f,
            "the cluster runs no workload identity (oidcIssuerProfile or securityProfile.workloadIdentity off): ID-MANAGED-IDENTITY judges that",
        ));
        return;
    }
    let egress = Egress {
        outbound: Some(c.outbound.clone()),
        node_public_ip: c.node_public_ip,
    };
    for s in c.workloads.clone() {
        // Token exchange with Entra ID.
        let mut t = Trace::new(format!(
            "pods in {} → login.microsoftonline.com (workload identity token)",
            n.subnet_label(s)
        ));
        t.pass(
            Step::Cluster,
            format!("cluster `{}` issues service account tokens Entra ID trusts (oidcIssuerProfile and workloadIdentity enabled)", c.name),
            Some((c.res, "properties.securityProfile.workloadIdentity.enabled")),
        );
        if !t.over() {
            let fqdn = "login.microsoftonline.com".to_string();
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
                    addr: svc(fqdn.clone(), Some("AzureActiveDirectory"), None),
                    subnet: None,
                    pe: None,
                };
                if deliver(n, &mut t, s, &d, Conn::HTTPS, &egress).is_some() {
                    t.pass(
                        Step::Destination,
                        "Entra ID exchanges the service account token for an access token",
                        None,
                    );
                }
            }
        }
        f.paths.push(t.done());
        for v in &vaults {
            let mut t = Trace::new(format!(
                "pods in {} → vault `{}` (HTTPS)",
                n.subnet_label(s),
                n.r(*v).name
            ));
            to_paas(n, &mut t, s, *v, &vault_names(n, *v), &egress);
            if !t.over() {
                let rbac = truthy(n.r(*v).get("properties.enableRbacAuthorization"));
                if rbac {
                    t.pass(Step::Destination, "the vault authorises with Azure RBAC (enableRbacAuthorization): each workload identity needs its own role on it", Some((*v, "properties.enableRbacAuthorization")));
                } else {
                    t.unknown(
                        Step::Destination,
                        "the vault authorises with access policies, which the model does not judge",
                        Some((*v, "properties.enableRbacAuthorization")),
                    );
                }
            }
            f.paths.push(t.done());
        }
    }
    if c.workloads.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}

fn permissions(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
    // Join the subnets.
    let mut f = new_flow("cp-join-subnets", &c.name);
    let mut subs: Vec<usize> = c.node_subnets().collect();
    if let (true, Some(a)) = (c.vnet_integration, c.api_subnet) {
        if !subs.contains(&a) {
            subs.push(a);
        }
    }
    for s in subs {
        let mut t = Trace::new(format!(
            "control plane of `{}` joins {}",
            c.name,
            n.subnet_label(s)
        ));
        holds(n, &mut t, &c.cp, access::JOIN_SUBNET, &subnet_target(n, s));
        f.paths.push(t.done());
    }
    if f.paths.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
    // The API server's zone.
    let mut f = new_flow("cp-dns-zone", &c.name);
    match (&c.zone, c.private) {
        _ if c.private_unknown.is_some() => {
            out.push(undecided(
                "cp-dns-zone",
                c,
                c.private_unknown.as_deref().unwrap_or_default(),
            ));
        }
        (ApiZone::Byo(zone, id), true) => {
            let mut t = Trace::new(format!(
                "control plane of `{}` writes zone `{zone}`",
                c.name
            ));
            match Target::id(n, id) {
                Some(target) => holds(n, &mut t, &c.cp, access::DNS_ZONE, &target),
                None => t.stuck(
                    Step::Permission,
                    format!("zone id `{id}` cannot be read"),
                    Some((c.res, ASP)),
                ),
            }
            f.paths.push(t.done());
            out.push(f);
        }
        (_, false) => out.push(na(f, "public API server: no private zone to write")),
        (ApiZone::Unknown(u), _) => {
            let mut t = Trace::new(format!("control plane of `{}` writes its zone", c.name));
            t.stuck(
                Step::Permission,
                format!("privateDNSZone is `{u}`, which the audit cannot evaluate"),
                Some((c.res, ASP)),
            );
            f.paths.push(t.done());
            out.push(f);
        }
        _ => out.push(na(
            f,
            "AKS manages the zone itself (privateDNSZone system or none)",
        )),
    }
    // The kubelet identity.
    let mut f = new_flow("cp-kubelet-identity", &c.name);
    let shared = c.kubelet.as_ref().is_some_and(|k| c.cp.contains(k));
    match (
        &c.kubelet_id,
        c.cp.iter().any(|p| matches!(p, Principal::Identity(_))),
    ) {
        _ if shared => out.push(na(
            f,
            "the control plane and the kubelet share one identity",
        )),
        (Some(id), true) => {
            let mut t = Trace::new(format!(
                "control plane of `{}` assigns its kubelet identity",
                c.name
            ));
            match Target::id(n, id) {
                Some(target) => holds(n, &mut t, &c.cp, access::IDENTITY_OPERATOR, &target),
                None => t.stuck(
                    Step::Permission,
                    format!("kubelet identity id `{id}` cannot be read"),
                    Some((c.res, "properties.identityProfile")),
                ),
            }
            f.paths.push(t.done());
            out.push(f);
        }
        _ => out.push(na(
            f,
            "no user-assigned kubelet identity with a user-assigned control-plane identity",
        )),
    }
    // Pull.
    let mut f = new_flow("kubelet-pull", &c.name);
    let regs = belonging(n, c, types::ACR, single);
    for r in &regs {
        let mut t = Trace::new(format!(
            "kubelet of `{}` pulls from registry `{}`",
            c.name,
            n.r(*r).name
        ));
        let who: Vec<Principal> = c.kubelet.iter().cloned().collect();
        holds(n, &mut t, &who, access::ACR_PULL, &Target::of(n, *r));
        let q = n.r(*r).get("properties.policies.quarantinePolicy.status");
        match q {
            Look::Value(v)
                if v.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("enabled")) =>
            {
                let writer = n.q.of_type(types::ROLE).any(|(_, a)| {
                    a.get("properties.roleDefinitionId").str().is_some_and(|d| {
                        d.to_ascii_lowercase()
                            .ends_with(roles::ACR_QUARANTINE_WRITER)
                    }) && a
                        .scope
                        .as_deref()
                        .and_then(parse_id)
                        .is_some_and(|(_, names)| {
                            names
                                .first()
                                .is_some_and(|x| x.eq_ignore_ascii_case(&n.r(*r).name))
                        })
                });
                if writer {
                    t.pass(Step::Destination, "quarantine is on and a principal holds AcrQuarantineWriter to mark scanned images passed: the kubelet pulls them once passed", Some((*r, "properties.policies.quarantinePolicy.status")));
                } else {
                    t.block(Step::Destination, "quarantine is on (quarantinePolicy.status: enabled) and nothing holds AcrQuarantineWriter: no pushed image ever becomes pullable", Some((*r, "properties.policies.quarantinePolicy.status")));
                }
            }
            Look::Unknown(u) => t.unknown(
                Step::Destination,
                format!("quarantinePolicy.status is `{u}`"),
                Some((*r, "properties.policies.quarantinePolicy.status")),
            ),
            _ => t.pass(
                Step::Destination,
                "quarantine is off: pushed images are pullable at once",
                Some((*r, "properties.policies.quarantinePolicy.status")),
            ),
        }
        f.paths.push(t.done());
    }
    if regs.is_empty() {
        f.na = Some("no registry belongs to the cluster in the input".into());
    }
    out.push(f);
    // Secrets.
    let mut f = new_flow("csi-secrets", &c.name);
    let csi = truthy(
        n.r(c.res)
            .get("properties.addonProfiles.azureKeyvaultSecretsProvider.enabled"),
    );
    let vaults = belonging(n, c, types::KV, single);
    if !csi {
        out.push(na(f, "the Key Vault secrets provider add-on is off"));
    } else if vaults.is_empty() {
        out.push(na(f, "no vault belongs to the cluster in the input"));
    } else {
        for v in &vaults {
            let mut t = Trace::new(format!(
                "secrets provider of `{}` reads secrets of vault `{}`",
                c.name,
                n.r(*v).name
            ));
            if truthy(n.r(*v).get("properties.enableRbacAuthorization")) {
                let who = vec![Principal::Addon(
                    c.name.to_ascii_lowercase(),
                    "azurekeyvaultsecretsprovider".into(),
                )];
                holds(n, &mut t, &who, access::SECRETS_USER, &Target::of(n, *v));
            } else {
                t.unknown(
                    Step::Permission,
                    "the vault authorises with access policies, which the model does not judge",
                    Some((*v, "properties.enableRbacAuthorization")),
                );
            }
            f.paths.push(t.done());
        }
        out.push(f);
    }
    // KMS.
    let mut f = new_flow("cp-kms-key", &c.name);
    let kms = "properties.securityProfile.azureKeyVaultKms";
    let r = n.r(c.res);
    if truthy(r.get(&format!("{kms}.enabled"))) {
        let mut t = Trace::new(format!("control plane of `{}` uses its KMS key", c.name));
        let key = kms_key(n, r.get(&format!("{kms}.keyId")));
        let target = key.or_else(|| {
            r.get(&format!("{kms}.keyVaultResourceId"))
                .str()
                .and_then(|id| Target::id(n, id))
        });
        match target {
            Some(target) => holds(n, &mut t, &c.cp, access::CRYPTO_USER, &target),
            None => t.stuck(
                Step::Permission,
                "the KMS key cannot be placed",
                Some((c.res, &format!("{kms}.keyId"))),
            ),
        }
        f.paths.push(t.done());
        out.push(f);
    } else {
        out.push(na(f, "KMS etcd encryption is off"));
    }
}

/// The key a KMS key id names: a key URI, or a `reference()` to a key resource.
fn kms_key(n: &Net, l: Look<'_>) -> Option<Target> {
    let s = match l {
        Look::Value(v) => v.as_str()?.to_string(),
        Look::Unknown(u) => u.to_string(),
        Look::Missing => return None,
    };
    if let Some(rest) = s.strip_prefix("https://") {
        let vault = rest.split('.').next()?;
        let key = rest.split('/').nth(2)?;
        return Target::id(n, &format!("{}/{vault}/keys/{key}", types::KV));
    }
    let args: Vec<&str> = s.split('\'').skip(1).step_by(2).collect();
    let ti = args
        .iter()
        .position(|a| a.eq_ignore_ascii_case(types::KV_KEY))?;
    let (vault, key) = (args.get(ti + 1)?, args.get(ti + 2)?);
    Target::id(n, &format!("{}/{vault}/keys/{key}", types::KV))
}

fn internet_api(n: &Net, c: &Cluster, ingress: &[Ingress], out: &mut Vec<Flow>) {
    if let Some(u) = &c.private_unknown {
        out.push(undecided("internet-api", c, u));
        return;
    }
    let mut f = new_flow("internet-api", &c.name);
    let mut t = Trace::new(format!("internet → API server of `{}`", c.name));
    if c.private {
        t.block(Step::Destination, format!("cluster `{}` is private (enablePrivateCluster: true): its API server has no public endpoint", c.name), Some((c.res, &format!("{ASP}.enablePrivateCluster"))));
    } else if c.authorized.is_empty() {
        t.pass(Step::Destination, format!("cluster `{}` has a public API server open to every address (no authorizedIPRanges)", c.name), Some((c.res, ASP)));
    } else {
        t.pass(
            Step::Destination,
            format!(
                "cluster `{}` has a public API server, open to authorizedIPRanges [{}]",
                c.name,
                c.authorized.join(", ")
            ),
            Some((c.res, &format!("{ASP}.authorizedIPRanges"))),
        );
    }
    f.paths.push(t.done());
    if let Some(r) = c.api_subnet.and_then(|s| range(n, s)) {
        ingress_paths(
            ingress,
            r,
            &format!("the API server of `{}`", c.name),
            &mut f,
        );
    }
    out.push(f);
}

/// Where the internet gets in other than by a public IP of the target itself: an Application
/// Gateway backend or a firewall DNAT rule, with the address it forwards to.
#[derive(Debug, Clone)]
struct Ingress {
    ip: Cidr,
    via: String,
    step: Step,
    text: String,
    res: usize,
    path: String,
}

/// Every ingress point of the input, read once.
fn ingress_points(n: &Net) -> Vec<Ingress> {
    let mut out = Vec::new();
    for (text, res, path, ip) in dnat_into(n, Cidr::ANY) {
        out.push(Ingress {
            ip,
            via: "firewall DNAT".into(),
            step: Step::Firewall,
            text,
            res,
            path,
        });
    }
    for (g, gw) in n.q.of_type(types::AGW) {
        for (pi, pool) in gw
            .get("properties.backendAddressPools")
            .array()
            .iter()
            .enumerate()
        {
            for a in look(pool, "properties.backendAddresses").array() {
                if let Some(ip) = look(a, "ipAddress").str().and_then(Cidr::parse) {
                    out.push(Ingress {
                        ip,
                        via: format!("Application Gateway `{}`", gw.name),
                        step: Step::Gateway,
                        text: format!(
                            "backend pool `{}` of `{}` forwards to {ip}",
                            look(pool, "name").str().unwrap_or("?"),
                            gw.name
                        ),
                        res: g,
                        path: format!("properties.backendAddressPools[{pi}]"),
                    });
                }
            }
        }
    }
    out
}

/// Open paths from the internet into `r` through an Application Gateway backend or a DNAT rule.
fn ingress_paths(ingress: &[Ingress], r: Cidr, what: &str, f: &mut Flow) {
    for i in ingress.iter().filter(|i| r.overlaps(i.ip)) {
        let mut t = Trace::new(format!("internet → {} → {what}", i.via));
        t.hop(
            i.step,
            super::Effect::Passes,
            i.text.clone(),
            Some((i.res, &i.path)),
        );
        f.paths.push(t.done());
    }
}

/// The internal-load-balancer policy assignments of the input, by the resource they are
/// assigned to (read once: a 50-spoke estate has hundreds of assignments).
fn ilb_assignments(n: &Net) -> BTreeMap<usize, Vec<usize>> {
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (a, p) in n.q.of_type(types::POLICY) {
        let ilb = p
            .get("properties.policyDefinitionId")
            .str()
            .is_some_and(|d| {
                d.to_ascii_lowercase()
                    .ends_with(policies::INTERNAL_LOAD_BALANCERS)
            });
        if let (true, Some(t)) = (ilb, p.scope.as_deref().and_then(|s| n.q.find_id(s))) {
            out.entry(t).or_default().push(a);
        }
    }
    out
}

fn internal_lb_policy(
    n: &Net,
    c: &Cluster,
    ilb: &BTreeMap<usize, Vec<usize>>,
) -> Option<(usize, bool)> {
    let mut found = None;
    for &a in ilb.get(&c.res).map_or(&[][..], Vec::as_slice) {
        let p = n.r(a);
        if p.get("properties.policyDefinitionId")
            .str()
            .is_some_and(|d| {
                d.to_ascii_lowercase()
                    .ends_with(policies::INTERNAL_LOAD_BALANCERS)
            })
        {
            let effect = p
                .get("properties.parameters.effect.value")
                .str()
                .unwrap_or("deny")
                .to_ascii_lowercase();
            let enforced = !p
                .get("properties.enforcementMode")
                .str()
                .is_some_and(|m| m.eq_ignore_ascii_case("DoNotEnforce"));
            found = Some((a, effect == "deny" && enforced));
        }
    }
    found
}

fn internet_nodes(
    n: &Net,
    c: &Cluster,
    ilb: &BTreeMap<usize, Vec<usize>>,
    ingress: &[Ingress],
    out: &mut Vec<Flow>,
) {
    let mut f = new_flow("internet-nodes", &c.name);
    let ilb = internal_lb_policy(n, c, ilb);
    for (s, pools) in &c.nodes {
        let Some(r) = range(n, *s) else { continue };
        let dst = Addr::Range(r);
        let public: Vec<&String> = pools.iter().filter(|p| pool_public_ip(n, c, p)).collect();
        for port in [22_u16, 443, 10250] {
            let mut t = Trace::new(format!(
                "internet → nodes in {} (TCP {port})",
                n.subnet_label(*s)
            ));
            if public.is_empty() {
                t.block(
                    Step::Source,
                    format!(
                        "no pool in {} gives nodes a public IP (enableNodePublicIP is off on {})",
                        n.subnet_label(*s),
                        pools.join(", ")
                    ),
                    Some((c.res, "properties.agentPoolProfiles")),
                );
            } else {
                t.pass(
                    Step::Source,
                    format!(
                        "pools {} give nodes public IPs (enableNodePublicIP)",
                        public
                            .iter()
                            .map(|p| format!("`{p}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some((c.res, "properties.agentPoolProfiles")),
                );
                n.nsg(&mut t, *s, true, &Addr::Internet, &dst, Conn::tcp(port));
            }
            f.paths.push(t.done());
        }
        // A Kubernetes service of type LoadBalancer with a public IP.
        let mut t = Trace::new(format!(
            "internet → public load balancer of a Kubernetes service → nodes in {} (TCP 443)",
            n.subnet_label(*s)
        ));
        match ilb {
            Some((a, true)) => t.block(Step::Cluster, format!("policy assignment `{}` (Kubernetes clusters should use internal load balancers, effect deny) refuses services with a public IP", n.r(a).name), Some((a, "properties.policyDefinitionId"))),
            Some((a, false)) => t.pass(Step::Cluster, format!("policy assignment `{}` only audits public load balancers", n.r(a).name), Some((a, "properties.parameters"))),
            None => t.pass(Step::Cluster, format!("nothing stops a Kubernetes service of `{}` from getting a public IP (no internal-load-balancer policy)", c.name), Some((c.res, "properties"))),
        }
        if !t.over() {
            n.nsg(&mut t, *s, true, &Addr::Internet, &dst, Conn::HTTPS);
        }
        f.paths.push(t.done());
        ingress_paths(
            ingress,
            r,
            &format!("nodes in {}", n.subnet_label(*s)),
            &mut f,
        );
    }
    if c.nodes.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}

fn pool_public_ip(n: &Net, c: &Cluster, pool: &str) -> bool {
    let (_, pools) = n.q.pools(c.res);
    pools.iter().any(|p| {
        p.name == pool && truthy(n.r(p.res).get(&format!("{}.enableNodePublicIP", p.prefix)))
    })
}

fn nodes_internet_direct(n: &Net, c: &Cluster, out: &mut Vec<Flow>) {
    let mut f = new_flow("nodes-internet-direct", &c.name);
    let egress = Egress {
        outbound: Some(c.outbound.clone()),
        node_public_ip: c.node_public_ip,
    };
    for s in c.node_subnets() {
        let mut targets = vec![Addr::Internet];
        if let Ref::At(rt) = n.subnets[s].rt {
            for u in n.udrs.get(&rt).map_or(&[][..], Vec::as_slice) {
                if let super::net::RoutePrefix::Cidr(p) = u.prefix {
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
                d.describe()
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

fn pod_paas(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
    let mut f = new_flow("pod-paas-public", &c.name);
    let mut targets = belonging(n, c, types::KV, single);
    targets.extend(belonging(n, c, types::ACR, single));
    let egress = Egress {
        outbound: Some(c.outbound.clone()),
        node_public_ip: c.node_public_ip,
    };
    for s in c.workloads.iter().take(1) {
        for r in &targets {
            let Some(service) = service_of(n, *r) else {
                continue;
            };
            let mut t = Trace::new(format!(
                "pods in {} → public endpoint of {} `{}` ({})",
                n.subnet_label(*s),
                super::net::kind(&n.r(*r).rtype),
                n.r(*r).name,
                service.fqdn
            ));
            let d = Dest {
                addr: Addr::Service(service),
                subnet: None,
                pe: None,
            };
            if let Some(seen) = deliver(n, &mut t, *s, &d, Conn::HTTPS, &egress) {
                public_access(n, &mut t, *r, *s, seen);
            }
            f.paths.push(t.done());
        }
    }
    if targets.is_empty() {
        f.na = Some("no vault or registry belongs to the cluster in the input".into());
    } else if c.workloads.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
}

fn waf_flows(n: &Net, out: &mut Vec<Flow>) {
    for (g, gw) in n.q.of_type(types::AGW) {
        let mut f = new_flow("internet-waf-workload", &gw.name);
        let subnet = gw
            .get("properties.gatewayIPConfigurations")
            .array()
            .first()
            .and_then(|cfg| {
                n.subnet_ref(look(cfg, "properties.subnet.id"))
                    .ok()
                    .flatten()
            });
        let port_of = |id: &str| -> Option<u16> {
            let name = super::net::short(id);
            gw.get("properties.frontendPorts")
                .array()
                .iter()
                .find(|p| {
                    look(p, "name")
                        .str()
                        .is_some_and(|x| x.eq_ignore_ascii_case(name))
                })
                .and_then(|p| look(p, "properties.port").value().and_then(Json::as_u64))
                .and_then(|p| u16::try_from(p).ok())
        };
        let listeners = gw.get("properties.httpListeners").array();
        let https = listeners.iter().enumerate().find(|(_, l)| {
            look(l, "properties.protocol")
                .str()
                .is_some_and(|p| p.eq_ignore_ascii_case("Https"))
        });
        let mut t = Trace::new(format!(
            "internet → Application Gateway `{}` → workload",
            gw.name
        ));
        let public_front = gw
            .get("properties.frontendIPConfigurations")
            .array()
            .iter()
            .any(|fe| !matches!(look(fe, "properties.publicIPAddress.id"), Look::Missing));
        let Some(s) = subnet else {
            t.stuck(
                Step::Gateway,
                format!("the subnet of `{}` is not in the input", gw.name),
                Some((g, "properties.gatewayIPConfigurations")),
            );
            f.paths.push(t.done());
            out.push(f);
            continue;
        };
        let Some((li, listener)) = https else {
            t.block(
                Step::Gateway,
                format!("`{}` has no HTTPS listener", gw.name),
                Some((g, "properties.httpListeners")),
            );
            f.paths.push(t.done());
            out.push(f);
            continue;
        };
        let lname = look(listener, "name").str().unwrap_or("?").to_string();
        let port = look(listener, "properties.frontendPort.id")
            .str()
            .and_then(port_of)
            .unwrap_or(443);
        if public_front {
            t.pass(
                Step::Source,
                format!(
                    "`{}` has a public frontend; listener `{lname}` takes HTTPS on port {port}",
                    gw.name
                ),
                Some((g, &format!("properties.httpListeners[{li}]"))),
            );
        } else {
            t.block(
                Step::Source,
                format!(
                    "`{}` has no public frontend IP: the internet cannot reach it",
                    gw.name
                ),
                Some((g, "properties.frontendIPConfigurations")),
            );
        }
        let grange = range(n, s);
        if let (false, Some(gr)) = (t.over(), grange) {
            n.nsg(
                &mut t,
                s,
                true,
                &Addr::Internet,
                &Addr::Range(gr),
                Conn::tcp(port),
            );
            if !t.over() {
                // Application Gateway v2 needs its infrastructure ports open to GatewayManager.
                let mut check = Trace::new("");
                let gm = Addr::Service(Service {
                    fqdn: "GatewayManager".into(),
                    tag: Some("GatewayManager"),
                    region: None,
                });
                n.nsg(&mut check, s, true, &gm, &Addr::Range(gr), Conn::tcp(65200));
                let hop = check.path.hops.pop();
                match hop.map(|h| (h.effect, h.text, h.resource, h.path)) {
                    Some((super::Effect::Passes, text, r, p)) => t.pass(Step::Nsg, format!("infrastructure ports 65200-65535 open to GatewayManager: {text}"), r.map(|r| (r, p.as_str()))),
                    Some((super::Effect::Blocks, text, r, p)) => t.block(Step::Nsg, format!("Application Gateway v2 needs 65200-65535 from GatewayManager, but {text}"), r.map(|r| (r, p.as_str()))),
                    Some((_, text, r, p)) => t.unknown(Step::Nsg, text, r.map(|r| (r, p.as_str()))),
                    None => {}
                }
            }
            if !t.over() {
                // Replies to clients leave the gateway's subnet for the internet directly.
                match n.route(s, &Addr::Internet, None) {
                    Ok(c) if matches!(c.hop, NextHop::Appliance(..)) => t.block(
                        Step::Return,
                        format!("{} sends 0.0.0.0/0 to an appliance ({}): Application Gateway v2 needs its replies to go to the internet directly", n.subnet_label(s), c.text),
                        c.at.as_ref().map(|(r, p)| (*r, p.as_str())),
                    ),
                    Ok(c) => t.pass(Step::Return, format!("replies to clients leave {} by {}", n.subnet_label(s), c.text), None),
                    Err(why) => t.unknown(Step::Return, why, None),
                }
            }
        }
        if !t.over() {
            match n.reference(gw.get("properties.firewallPolicy.id")) {
                Ref::At(w) => {
                    let wp = n.r(w);
                    let state = wp
                        .get("properties.policySettings.state")
                        .str()
                        .unwrap_or("Disabled")
                        .to_string();
                    let mode = wp
                        .get("properties.policySettings.mode")
                        .str()
                        .unwrap_or("Detection")
                        .to_string();
                    if state.eq_ignore_ascii_case("Enabled") {
                        t.pass(
                            Step::Gateway,
                            format!(
                                "WAF policy `{}` inspects it (state Enabled, mode {mode})",
                                wp.name
                            ),
                            Some((w, "properties.policySettings")),
                        );
                    } else {
                        t.block(Step::Gateway, format!("WAF policy `{}` is disabled: traffic reaches the workload uninspected", wp.name), Some((w, "properties.policySettings.state")));
                    }
                }
                Ref::None => {
                    let waf = gw.get("properties.webApplicationFirewallConfiguration.enabled");
                    if truthy(waf) {
                        t.pass(
                            Step::Gateway,
                            format!("`{}`'s WAF configuration inspects it", gw.name),
                            Some((g, "properties.webApplicationFirewallConfiguration")),
                        );
                    } else {
                        t.block(
                            Step::Gateway,
                            format!(
                                "`{}` has no WAF policy: traffic reaches the workload uninspected",
                                gw.name
                            ),
                            Some((g, "properties.firewallPolicy")),
                        );
                    }
                }
                other => t.unknown(
                    Step::Gateway,
                    format!("the WAF policy of `{}` is {other:?}", gw.name),
                    Some((g, "properties.firewallPolicy")),
                ),
            }
        }
        // The routing rule of the HTTPS listener and its backends.
        if !t.over() {
            let rules = gw.get("properties.requestRoutingRules").array();
            let rule = rules.iter().find(|r| {
                look(r, "properties.httpListener.id")
                    .str()
                    .is_some_and(|id| super::net::short(id).eq_ignore_ascii_case(&lname))
            });
            let pool = rule
                .and_then(|r| look(r, "properties.backendAddressPool.id").str())
                .map(super::net::short);
            let settings = rule
                .and_then(|r| look(r, "properties.backendHttpSettings.id").str())
                .map(super::net::short);
            let bport = settings
                .and_then(|s| {
                    gw.get("properties.backendHttpSettingsCollection")
                        .array()
                        .iter()
                        .find(|x| look(x, "name").str() == Some(s))
                        .cloned()
                })
                .and_then(|x| look(&x, "properties.port").value().and_then(Json::as_u64))
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(80);
            let addrs: Vec<String> = pool
                .and_then(|p| {
                    gw.get("properties.backendAddressPools")
                        .array()
                        .iter()
                        .find(|x| look(x, "name").str() == Some(p))
                        .cloned()
                })
                .map(|x| {
                    look(&x, "properties.backendAddresses")
                        .array()
                        .iter()
                        .filter_map(|a| look(a, "ipAddress").str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            match (rule, addrs.first()) {
                (None, _) => t.block(
                    Step::Gateway,
                    format!("no routing rule serves listener `{lname}`"),
                    Some((g, "properties.requestRoutingRules")),
                ),
                (Some(_), None) => t.unknown(
                    Step::Gateway,
                    format!(
                        "backend pool `{}` has no backend address the model can place",
                        pool.unwrap_or("?")
                    ),
                    Some((g, "properties.backendAddressPools")),
                ),
                (Some(_), Some(a)) => {
                    t.pass(
                        Step::Gateway,
                        format!(
                            "routing rule for `{lname}` forwards to backend {a} (HTTP {bport})"
                        ),
                        Some((g, "properties.requestRoutingRules")),
                    );
                    match Cidr::parse(a) {
                        Some(ip) => {
                            let d = Dest {
                                addr: Addr::Range(ip),
                                subnet: n.subnet_holding(ip),
                                pe: None,
                            };
                            deliver(n, &mut t, s, &d, Conn::tcp(bport), &Egress::default());
                            if !t.over() {
                                let sn = d.subnet.map(|x| n.subnet_label(x)).unwrap_or_default();
                                t.pass(Step::Destination, format!("{ip} in {sn}: the internal load balancer in front of the workload's ingress (a Kubernetes service the model does not see)"), None);
                            }
                        }
                        None => t.unknown(
                            Step::Gateway,
                            format!("backend `{a}` is not an address"),
                            Some((g, "properties.backendAddressPools")),
                        ),
                    }
                }
            }
        }
        f.paths.push(t.done());
        out.push(f);
    }
}

fn diagnostics(n: &Net, out: &mut Vec<Flow>) {
    let mut f = new_flow("diagnostics-workspace", "estate");
    for (d, ds) in n.q.of_type(types::DIAG) {
        let target = ds.scope.as_deref().map_or_else(
            || "its deployment".to_string(),
            |s| format!("`{}`", super::net::short(s)),
        );
        let mut t = Trace::new(format!("diagnostic setting `{}` of {target}", ds.name));
        let dest = [
            "workspaceId",
            "storageAccountId",
            "eventHubAuthorizationRuleId",
        ]
        .iter()
        .find_map(|k| match ds.get(&format!("properties.{k}")) {
            Look::Missing => None,
            l => Some((*k, l)),
        });
        match dest {
            None => t.block(Step::Destination, "names no destination", Some((d, "properties"))),
            Some((k, Look::Value(v))) => match v.as_str().and_then(|id| n.q.find_id(id)) {
                Some(w) => t.pass(
                    Step::Destination,
                    format!("{} `{}` receives it (Azure Monitor delivers resource logs on the platform's own path, not through the VNet)", super::net::kind(&n.r(w).rtype), n.r(w).name),
                    Some((d, &format!("properties.{k}"))),
                ),
                None => t.unknown(Step::Destination, format!("{k} `{}` is not in the input", crate::audit::eval::show(v)), Some((d, &format!("properties.{k}")))),
            },
            Some((k, _)) => t.unknown(Step::Destination, format!("{k} cannot be evaluated"), Some((d, &format!("properties.{k}")))),
        }
        f.paths.push(t.done());
    }
    if !f.paths.is_empty() {
        out.push(f);
    }
}

/// A private /16 outside every VNet of the input: where another spoke would be.
fn elsewhere(n: &Net) -> Cidr {
    let taken: Vec<Cidr> = n
        .vnets
        .iter()
        .flat_map(|v| v.ranges.clone().unwrap_or_default())
        .collect();
    (0..=255_u32)
        .rev()
        .map(|b| Cidr {
            base: 0x0A00_0000 | (b << 16),
            len: 16,
        })
        .find(|c| !taken.iter().any(|t| t.overlaps(*c)))
        .unwrap_or(Cidr {
            base: 0xAC10_0000,
            len: 16,
        })
}

fn spoke_to_spoke(n: &Net, all: &[Cluster], out: &mut Vec<Flow>) {
    let mut spokes: Vec<usize> = Vec::new();
    for c in all {
        for v in c.vnets(n) {
            if !spokes.contains(&v) {
                spokes.push(v);
            }
        }
    }
    let other = elsewhere(n);
    for &v in &spokes {
        let mut f = new_flow("spoke-to-spoke", &n.vnets[v].name);
        let subs: Vec<usize> = (0..n.subnets.len())
            .filter(|s| n.subnets[*s].vnet == v)
            .collect();
        // Spokes reached on purpose: direct peerings between spokes.
        for &w in &spokes {
            if w != v && n.connected(v, w) {
                let mut t = Trace::new(format!("`{}` → `{}`", n.vnets[v].name, n.vnets[w].name));
                n.peering_hop(&mut t, v, w, false);
                f.paths.push(t.done());
            }
        }
        // The rest, as a class: every other spoke, and any private address outside the estate.
        let mut dests: Vec<(String, Cidr, Option<usize>)> = vec![(
            format!("another spoke ({other}, outside every VNet of the input)"),
            other,
            None,
        )];
        for &w in &spokes {
            if w == v || n.connected(v, w) {
                continue;
            }
            // Another spoke is its own case only where a firewall rule names its addresses.
            let ranges = n.vnets[w].ranges.clone().unwrap_or_default();
            let named = n.policies.values().flat_map(|p| p.rules.iter()).any(|r| {
                r.dest_addrs
                    .iter()
                    .filter_map(|a| Cidr::parse(a))
                    .any(|a| a.len > 0 && ranges.iter().any(|x| x.overlaps(a)))
            });
            if named {
                if let Some(first) = (0..n.subnets.len()).find(|s| n.subnets[*s].vnet == w) {
                    if let Some(r) = range(n, first) {
                        dests.push((format!("`{}`", n.vnets[w].name), r, Some(first)));
                    }
                }
            }
        }
        for s in subs {
            if platform(&n.subnets[s].name) {
                continue;
            }
            for (label, r, ds) in &dests {
                let mut t = Trace::new(format!("{} → {label} (TCP 443)", n.subnet_label(s)));
                let d = Dest {
                    addr: Addr::Range(*r),
                    subnet: *ds,
                    pe: None,
                };
                if deliver(n, &mut t, s, &d, Conn::HTTPS, &Egress::default()).is_some()
                    && ds.is_none()
                {
                    t.pass(
                        Step::Destination,
                        format!("{r} is reached: a spoke there would be too"),
                        None,
                    );
                }
                f.paths.push(t.done());
            }
        }
        out.push(f);
    }
}

fn ssh_rdp(n: &Net, out: &mut Vec<Flow>) {
    for v in 0..n.vnets.len() {
        let sources: Vec<usize> = (0..n.subnets.len())
            .filter(|s| n.subnets[*s].vnet == v && !platform(&n.subnets[*s].name))
            .collect();
        if sources.is_empty() {
            continue;
        }
        let mut f = new_flow("ssh-rdp-lateral", &n.vnets[v].name);
        let mut reach_vnets = vec![v];
        reach_vnets.extend(n.peers(v));
        let dests: Vec<usize> = (0..n.subnets.len())
            .filter(|d| reach_vnets.contains(&n.subnets[*d].vnet) && !platform(&n.subnets[*d].name))
            .collect();
        for &s in &sources {
            for port in [22_u16, 3389] {
                let mut shown: Option<Path> = None;
                let mut others = 0;
                for &d in dests.iter().filter(|d| **d != s) {
                    let Some(r) = range(n, d) else { continue };
                    // Labelled only if shown: most destinations are judged and dropped.
                    let mut t = Trace::new(String::new());
                    let dest = Dest {
                        addr: Addr::Range(r),
                        subnet: Some(d),
                        pe: None,
                    };
                    deliver(n, &mut t, s, &dest, Conn::tcp(port), &Egress::default());
                    let mut p = t.done();
                    let worse = match (&shown, p.reach()) {
                        (None, _) => true,
                        (Some(old), Reach::Reaches) => old.reach() != Reach::Reaches,
                        (Some(old), Reach::Unknown) => old.reach() == Reach::Blocked,
                        _ => false,
                    };
                    if worse {
                        if shown.is_some() {
                            others += 1;
                        }
                        p.label =
                            format!("{} → {} (TCP {port})", n.subnet_label(s), n.subnet_label(d));
                        shown = Some(p);
                    } else {
                        others += 1;
                    }
                }
                if let Some(mut p) = shown {
                    if others > 0 {
                        p.label = format!(
                            "{} (and {others} other subnet{} judged the same way or better)",
                            p.label,
                            if others == 1 { "" } else { "s" }
                        );
                    }
                    f.paths.push(p);
                }
            }
        }
        if f.paths.is_empty() {
            continue;
        }
        out.push(f);
    }
}

/// Every flow of the model, in report order.
pub(crate) fn flows(n: &Net) -> Vec<Flow> {
    let all = clusters(n);
    let single = all.len() == 1;
    let mut out = Vec::new();
    let used = used_subnets(n);
    let ilb = ilb_assignments(n);
    let ingress = ingress_points(n);
    for c in &all {
        operator_flows(n, c, &used, &mut out);
        nodes_api(n, c, &mut out);
        kubelet_registry(n, c, single, &mut out);
        nodes_egress(n, c, &mut out);
        workload_vault(n, c, single, &mut out);
        monitoring(n, c, &mut out);
        permissions(n, c, single, &mut out);
        internet_api(n, c, &ingress, &mut out);
        internet_nodes(n, c, &ilb, &ingress, &mut out);
        nodes_internet_direct(n, c, &mut out);
        pod_paas(n, c, single, &mut out);
    }
    waf_flows(n, &mut out);
    diagnostics(n, &mut out);
    spoke_to_spoke(n, &all, &mut out);
    ssh_rdp(n, &mut out);
    let order = |id: &str| {
        IDS.iter()
            .position(|(i, ..)| *i == id)
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|f| order(f.id));
    out
}
