//! Private endpoints and the flows to PaaS resources: kubelet to registry, workload to vault, pods
//! to PaaS.

use super::paths::{Egress, deliver, public_access};
use super::{Cluster, Dest, belonging, na, new_flow, range, svc, truthy, unplaced};
use crate::audit::expr::is_expression;
use crate::audit::flows::addr::{Addr, Service};
use crate::audit::flows::dns::{Name, resolve};
use crate::audit::flows::net::{Conn, Net, Trace};
use crate::audit::flows::{Flow, Step};
use crate::azure::types;

/// The public endpoint of a resource of the input.
pub(super) fn service_of(n: &Net, r: usize) -> Option<Service> {
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

/// A private endpoint of `target` and the network destination it is, preferring one in (or
/// peered with) `vnet`.
pub(super) fn pe_of(n: &Net, target: usize, vnet: usize) -> Option<usize> {
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

pub(super) fn pe_dest(n: &Net, pe: usize) -> Option<Dest> {
    let s = n.pes[pe].subnet?;
    Some(Dest {
        addr: Addr::Range(range(n, s)?),
        subnet: Some(s),
        pe: Some(pe),
    })
}

pub(super) fn pe_name(n: &Net, pe: usize, fqdn: &str, private: &str) -> Name {
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
pub(super) fn to_paas(
    n: &Net,
    t: &mut Trace,
    s: usize,
    r: usize,
    names: &[(String, String)],
    egress: &Egress,
) {
    let vnet = n.subnets[s].vnet;
    let res = n.r(r);
    let label = format!(
        "{} `{}`",
        crate::audit::flows::net::kind(&res.rtype),
        res.name
    );
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

pub(super) fn registry_names(n: &Net, r: usize) -> Vec<(String, String)> {
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

pub(super) fn vault_names(n: &Net, r: usize) -> Vec<(String, String)> {
    let name = n.r(r).name.to_ascii_lowercase();
    vec![(
        format!("{name}.vault.azure.net"),
        format!("{name}.privatelink.vaultcore.azure.net"),
    )]
}

pub(super) fn kubelet_registry(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
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

pub(super) fn workload_vault(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
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

pub(super) fn pod_paas(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
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
                crate::audit::flows::net::kind(&n.r(*r).rtype),
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
