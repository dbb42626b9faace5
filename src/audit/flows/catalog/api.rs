//! The API server: its address and name, the operator, node and internet flows to it, authorized
//! ranges.

use super::ingress::{Ingress, ingress_paths};
use super::paths::{Egress, deliver};
use super::{
    ASP, ApiZone, Cluster, Dest, Seen, na, new_flow, platform, range, svc, truthy, undecided,
    unplaced,
};
use crate::audit::flows::addr::{Addr, Cidr};
use crate::audit::flows::dns::{Name, resolve};
use crate::audit::flows::net::{Conn, Net, Trace};
use crate::audit::flows::{Flow, Step};
use crate::audit::input::look;
use crate::azure::types;
use crate::posture::ControlId;
use std::collections::BTreeSet;

/// The API server as a destination, with how clients name it.
pub(super) fn api_dest(n: &Net, c: &Cluster) -> Result<(Dest, Name), String> {
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
pub(super) fn resolve_api(n: &Net, t: &mut Trace, c: &Cluster, vnet: usize, name: &Name) {
    if let ApiZone::System = c.zone {
        if !c.public_fqdn {
            // AKS creates the zone in the node resource group and links it to the cluster's VNet only.
            let mine = c.vnets(n);
            let Some(at) = crate::audit::flows::dns::resolver(n, t, vnet) else {
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

pub(super) fn operator_flows(n: &Net, c: &Cluster, used: &BTreeSet<usize>, out: &mut Vec<Flow>) {
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
    // With a hub per region, each region's operators reach its own clusters: the hubs peered
    // with the cluster's VNet, when there are such.
    let mine = c.vnets(n);
    let near = |v: usize| mine.iter().any(|m| *m == v || n.connected(*m, v));
    let bastions = own_region(bastions, |(_, s)| s.is_none_or(|s| near(n.subnets[s].vnet)));
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
    let hubs: BTreeSet<usize> = own_region(hubs.into_iter().collect(), |v| near(*v))
        .into_iter()
        .collect();
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

pub(super) fn api_text(n: &Net, c: &Cluster) -> String {
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

pub(super) fn nodes_api(n: &Net, c: &Cluster, out: &mut Vec<Flow>) {
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

/// The public API server's authorised ranges, for traffic that reached it from `seen`.
pub(super) fn authorized(n: &Net, t: &mut Trace, c: &Cluster, seen: Seen) {
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

pub(super) fn internet_api(n: &Net, c: &Cluster, ingress: &[Ingress], out: &mut Vec<Flow>) {
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

/// The items `near` keeps, or all of them when it keeps none.
fn own_region<T: Copy>(all: Vec<T>, near: impl Fn(&T) -> bool) -> Vec<T> {
    let some: Vec<T> = all.iter().copied().filter(|x| near(x)).collect();
    if some.is_empty() { all } else { some }
}
