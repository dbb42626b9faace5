//! Delivery along a path: arrival in a subnet, peerings, the firewall, direct egress, and a
//! resource's public access.

use super::{Dest, Seen, range};
use crate::audit::flows::Step;
use crate::audit::flows::addr::{Addr, Cidr, Tri};
use crate::audit::flows::firewall::filter;
use crate::audit::flows::net::{Conn, Net, NextHop, Trace};
use crate::audit::input::{Look, look, parse_id};
use crate::azure::types;
use serde_json::Value as Json;

/// Trace network traffic from subnet `s` to `d`; `None` when the trace is over.
pub(super) fn deliver(
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
                        d.addr
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
                        d.addr
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
pub(super) fn arrive(
    n: &Net,
    t: &mut Trace,
    s: usize,
    src: &Addr,
    d: &Dest,
    conn: Conn,
    check_peering: bool,
) {
    let Some(ds) = d.subnet else {
        t.stuck(
            Step::Destination,
            format!("{} lies in no subnet of the input", d.addr),
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
pub(super) fn through_firewall(
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
            text!("its public IP `", fw.public_ip_names.join("`, `"), "`")
        };
        t.pass(
            Step::Egress,
            text!(
                "firewall `",
                fw.name,
                "` sends it to the internet from ",
                names,
                " (SNAT)"
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
                    fw.name, d.addr
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
pub(super) struct Egress {
    /// The cluster's outbound type, when the subnet holds its nodes.
    pub(super) outbound: Option<String>,
    pub(super) node_public_ip: bool,
}

pub(super) fn direct_egress(n: &Net, t: &mut Trace, s: usize, e: &Egress) {
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

/// A service's own network access, for traffic that reached its public endpoint from `seen`.
pub(super) fn public_access(n: &Net, t: &mut Trace, r: usize, s: usize, seen: Seen) {
    let res = n.r(r);
    let label = format!(
        "{} `{}`",
        crate::audit::flows::net::kind(&res.rtype),
        res.name
    );
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
                || format!("{label} accepts it: an IP rule names the public IP of firewall `{}`", fw.name),
                || format!("{label} refuses it: default action Deny and no IP rule holds the public IP of firewall `{}`", fw.name),
                Some((r, path)),
            );
        }
        Seen::FirewallPrivate(_) | Seen::Direct => {
            t.unknown(Step::Destination, format!("{label} has default action Deny; whether it names the sender's public address is not known"), Some((r, path)));
        }
    }
}
