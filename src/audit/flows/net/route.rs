//! Route selection by longest prefix among system routes, peerings, service endpoints and UDRs,
//! and the route and peering hops of a trace.

use super::{Net, NextHop, Ref, RoutePrefix, Trace, Udr};
use crate::audit::flows::Step;
use crate::audit::flows::addr::{Addr, Cidr, PRIVATE, Tri, prefix_matches};

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

impl Net<'_> {
    /// The effective user-defined routes of subnet `s`, or why they cannot be known.
    pub(super) fn subnet_udrs(&self, s: usize) -> Result<Vec<&Udr>, String> {
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
                                        u.hop
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
        // Only a peer range that can be chosen or that covers part of the destination matters:
        // one overlapping a range destination, or one outside private space for any other.
        let peer_routes = self.peer_routes(sn.vnet);
        let overlapping;
        let relevant = match dst {
            Addr::Range(c) => {
                overlapping = peer_routes.overlapping(*c);
                &overlapping[..]
            }
            _ => peer_routes.public(),
        };
        for &i in relevant {
            let (r, p) = peer_routes.all[i];
            cands.push(Cand {
                prefix: r,
                user: false,
                hop: NextHop::Peering(p),
                origin: Origin::Peer(p),
            });
        }
        cands.push(Cand {
            prefix: Cidr::ANY,
            user: false,
            hop: NextHop::Internet,
            origin: Origin::Default,
        });
        if !user_default {
            for c in PRIVATE {
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
        let text = |c: &Cand| -> String {
            match c.origin {
                Origin::User(i) => {
                    let u = udrs[i];
                    let hop = match &u.hop {
                        NextHop::Appliance(_, ip) => text!("VirtualAppliance ", ip),
                        other => other.to_string(),
                    };
                    text!(
                        "route table `",
                        self.r(u.table).name,
                        "` route `",
                        u.name,
                        "` (",
                        c.prefix,
                        " → ",
                        hop,
                        ")"
                    )
                }
                Origin::Vnet => text!(
                    "system route ",
                    c.prefix,
                    " → VnetLocal (`",
                    vnet.name,
                    "`)"
                ),
                Origin::Peer(p) => text!(
                    "system route ",
                    c.prefix,
                    " → VNetPeering (`",
                    self.vnets[p].name,
                    "`)"
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
                dst,
                text(best)
            ));
        }
        Ok(Chosen {
            hop: best.hop.clone(),
            text: text!(text(best), ", longest prefix for ", *dst),
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
                        text!("from ", self.subnet_label(s), ": ", c.text),
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
                || text!("peering `", ba.name, "` (allowForwardedTraffic: true) lets traffic forwarded from `", an, "` into `", bn, "`"),
                || format!("peering `{}` has allowForwardedTraffic: false: traffic forwarded by the firewall from `{an}` is dropped entering `{bn}`", ba.name),
                Some((ba.res, "properties.allowForwardedTraffic")),
            );
        } else {
            t.tri(
                Step::Peering,
                ab.access.clone(),
                || {
                    text!(
                        "peering `",
                        ab.name,
                        "` → `",
                        bn,
                        "` (connected both ways, allowVirtualNetworkAccess: true)"
                    )
                },
                || {
                    format!(
                        "peering `{}` has allowVirtualNetworkAccess: false: `{an}` cannot reach `{bn}`",
                        ab.name
                    )
                },
                Some((ab.res, "properties.allowVirtualNetworkAccess")),
            );
        }
    }
}
