//! Isolation flows: diagnostics, spoke to spoke, SSH and RDP.

use super::paths::{Egress, deliver};
use super::{Cluster, Dest, new_flow, platform, range};
use crate::audit::flows::addr::{Addr, Cidr};
use crate::audit::flows::net::{Conn, Net, Trace};
use crate::audit::flows::{Flow, Path, Reach, Step};
use crate::audit::input::Look;
use crate::azure::types;

pub(super) fn diagnostics(n: &Net, out: &mut Vec<Flow>) {
    let mut f = new_flow("diagnostics-workspace", "estate");
    for (d, ds) in n.q.of_type(types::DIAG) {
        let target = ds.scope.as_deref().map_or_else(
            || "its deployment".to_string(),
            |s| format!("`{}`", crate::audit::flows::net::short(s)),
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
                    format!("{} `{}` receives it (Azure Monitor delivers resource logs on the platform's own path, not through the VNet)", crate::audit::flows::net::kind(&n.r(w).rtype), n.r(w).name),
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
pub(super) fn elsewhere(n: &Net) -> Cidr {
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

pub(super) fn spoke_to_spoke(n: &Net, all: &[Cluster], out: &mut Vec<Flow>) {
    let mut spokes: Vec<usize> = Vec::new();
    for c in all {
        for v in c.vnets(n) {
            if !spokes.contains(&v) {
                spokes.push(v);
            }
        }
    }
    let other = elsewhere(n);
    // The addresses firewall rules name as destinations, read once.
    let named_dests: Vec<Cidr> = n
        .policies
        .values()
        .flat_map(|p| p.rules.iter())
        .flat_map(|r| r.dest_addrs.iter().filter_map(|a| Cidr::parse(a)))
        .filter(|a| a.len > 0)
        .collect();
    for &v in &spokes {
        let mut f = new_flow("spoke-to-spoke", &n.vnets[v].name);
        let subs = n.subnets_of(v);
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
            let ranges = n.vnets[w].ranges.as_ref().map_or(&[][..], Vec::as_slice);
            let named = named_dests
                .iter()
                .any(|a| ranges.iter().any(|x| x.overlaps(*a)));
            if named {
                if let Some(&first) = n.subnets_of(w).first() {
                    if let Some(r) = range(n, first) {
                        dests.push((format!("`{}`", n.vnets[w].name), r, Some(first)));
                    }
                }
            }
        }
        for &s in subs {
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

pub(super) fn ssh_rdp(n: &Net, out: &mut Vec<Flow>) {
    for v in 0..n.vnets.len() {
        let sources: Vec<usize> = n
            .subnets_of(v)
            .iter()
            .copied()
            .filter(|s| !platform(&n.subnets[*s].name))
            .collect();
        if sources.is_empty() {
            continue;
        }
        let mut f = new_flow("ssh-rdp-lateral", &n.vnets[v].name);
        let mut reach_vnets = vec![v];
        reach_vnets.extend(n.peers(v));
        reach_vnets.sort_unstable();
        let dests: Vec<usize> = (0..n.subnets.len())
            .filter(|d| {
                reach_vnets.binary_search(&n.subnets[*d].vnet).is_ok()
                    && !platform(&n.subnets[*d].name)
            })
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
