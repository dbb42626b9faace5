//! The flows: what the estate's parts are (clusters with their subnets and identities,
//! registries, vaults, Bastion, the operations subnets, Application Gateways), and each
//! required or forbidden flow traced through the model.

mod api;
mod egress;
mod ingress;
mod isolation;
mod paas;
mod paths;
mod permissions;

use super::access::{self, Principal};
use super::addr::{Addr, Cidr, Service};
use super::net::{Net, Trace};
use super::{Flow, FlowKind, Step};
use crate::audit::expr::is_expression;
use crate::audit::input::{Look, look, parse_id};
use crate::azure::{subnets, types};
use crate::posture::ControlId;
use api::{internet_api, nodes_api, operator_flows};
use egress::{Dces, monitoring, nodes_egress, nodes_internet_direct};
use ingress::{ilb_assignments, ingress_points, internet_nodes, waf_flows};
use isolation::{diagnostics, spoke_to_spoke, ssh_rdp};
use paas::{kubelet_registry, pod_paas, workload_vault};
use permissions::permissions;
use serde_json::Value as Json;
use std::collections::BTreeSet;

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
    // Endpoints in the cluster's VNets or in VNets peered with them, in input order.
    let mut near: Vec<usize> = vnets
        .iter()
        .flat_map(|&v| std::iter::once(v).chain(n.peers(v).iter().copied()))
        .flat_map(|v| n.pes_of(v).iter().copied())
        .collect();
    near.sort_unstable();
    near.dedup();
    let mut out: Vec<usize> = near
        .into_iter()
        .flat_map(|pe| n.pes[pe].targets.iter().copied())
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

fn svc(fqdn: impl Into<String>, tag: Option<&'static str>, region: Option<String>) -> Addr {
    Addr::Service(Service {
        fqdn: fqdn.into(),
        tag,
        region,
    })
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

fn unplaced(c: &Cluster) -> String {
    if c.unplaced.is_empty() {
        "the cluster has no node pool".into()
    } else {
        c.unplaced.join("; ")
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
    let dces = Dces::new(n);
    for c in &all {
        operator_flows(n, c, &used, &mut out);
        nodes_api(n, c, &mut out);
        kubelet_registry(n, c, single, &mut out);
        nodes_egress(n, c, &mut out);
        workload_vault(n, c, single, &mut out);
        monitoring(n, c, &dces, &mut out);
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
    // Report order: by id in `IDS` (unknown ids last), the order they were traced within each.
    let mut by_id: Vec<Vec<Flow>> = (0..=IDS.len()).map(|_| Vec::new()).collect();
    for f in out {
        let at = IDS
            .iter()
            .position(|(i, ..)| *i == f.id)
            .unwrap_or(IDS.len());
        by_id[at].push(f);
    }
    by_id.into_iter().flatten().collect()
}
