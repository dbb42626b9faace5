//! Inbound traffic: Application Gateways and their WAF, ingress points, internal load balancers,
//! internet to nodes.

use super::paths::{Egress, deliver};
use super::{Cluster, Dest, new_flow, range, truthy, unplaced};
use crate::audit::flows::addr::{Addr, Cidr, Service};
use crate::audit::flows::firewall::dnat_into;
use crate::audit::flows::net::{Conn, Net, NextHop, Ref, Trace};
use crate::audit::flows::{Flow, Step};
use crate::audit::input::{Look, look};
use crate::azure::{policies, types};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Where the internet gets in other than by a public IP of the target itself: an Application
/// Gateway backend or a firewall DNAT rule, with the address it forwards to.
#[derive(Debug, Clone)]
pub(super) struct Ingress {
    ip: Cidr,
    via: String,
    step: Step,
    text: String,
    res: usize,
    path: String,
}

/// Every ingress point of the input, read once.
pub(super) fn ingress_points(n: &Net) -> Vec<Ingress> {
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
pub(super) fn ingress_paths(ingress: &[Ingress], r: Cidr, what: &str, f: &mut Flow) {
    for i in ingress.iter().filter(|i| r.overlaps(i.ip)) {
        let mut t = Trace::new(format!("internet → {} → {what}", i.via));
        t.hop(
            i.step,
            crate::audit::flows::Effect::Passes,
            i.text.clone(),
            Some((i.res, &i.path)),
        );
        f.paths.push(t.done());
    }
}

/// The internal-load-balancer policy assignments of the input, by the resource they are
/// assigned to (read once: a 50-spoke estate has hundreds of assignments).
pub(super) fn ilb_assignments(n: &Net) -> BTreeMap<usize, Vec<usize>> {
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

pub(super) fn internal_lb_policy(
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

pub(super) fn internet_nodes(
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

pub(super) fn pool_public_ip(n: &Net, c: &Cluster, pool: &str) -> bool {
    let (_, pools) = n.q.pools(c.res);
    pools.iter().any(|p| {
        p.name == pool && truthy(n.r(p.res).get(&format!("{}.enableNodePublicIP", p.prefix)))
    })
}

pub(super) fn waf_flows(n: &Net, out: &mut Vec<Flow>) {
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
            let name = crate::audit::flows::net::short(id);
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
                    Some((crate::audit::flows::Effect::Passes, text, r, p)) => t.pass(Step::Nsg, format!("infrastructure ports 65200-65535 open to GatewayManager: {text}"), r.map(|r| (r, p.as_str()))),
                    Some((crate::audit::flows::Effect::Blocks, text, r, p)) => t.block(Step::Nsg, format!("Application Gateway v2 needs 65200-65535 from GatewayManager, but {text}"), r.map(|r| (r, p.as_str()))),
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
                    .is_some_and(|id| {
                        crate::audit::flows::net::short(id).eq_ignore_ascii_case(&lname)
                    })
            });
            let pool = rule
                .and_then(|r| look(r, "properties.backendAddressPool.id").str())
                .map(crate::audit::flows::net::short);
            let settings = rule
                .and_then(|r| look(r, "properties.backendHttpSettings.id").str())
                .map(crate::audit::flows::net::short);
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
