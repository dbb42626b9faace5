//! Name resolution: a VNet's hosts ask Azure-provided DNS (which answers from the private DNS
//! zones linked to that VNet) or the VNet's custom DNS servers; a custom server that is an Azure
//! Firewall with its DNS proxy on forwards to the firewall's own servers (Azure DNS in the
//! firewall's VNet when none are set). A private name is answered by the most specific zone
//! linked where the query is resolved; the record must have been registered in that zone.

use super::Step;
use super::net::{Dns, Net, Trace};
use crate::audit::flows::addr::{Cidr, Tri};
use crate::audit::flows::firewall::policy_of;

/// A name to resolve.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    /// The name clients use (`kv.vault.azure.net`).
    pub fqdn: String,
    /// The private-link name it points to (`kv.privatelink.vaultcore.azure.net`), when the
    /// service is reached through a private endpoint; `None` for public names.
    pub private: Option<String>,
    /// Zones the record is registered in (lower-case), with the resource and path that
    /// registers it and how traces name the registrar.
    pub records: Vec<(String, usize, String, String)>,
}

/// Which VNet's private zone links answer queries from hosts in `vnet`; adds the resolver hops.
pub(crate) fn resolver(n: &Net, t: &mut Trace, vnet: usize) -> Option<usize> {
    let v = &n.vnets[vnet];
    let at = Some((v.res, "properties.dhcpOptions.dnsServers"));
    let servers = match &v.dns {
        Dns::Azure => {
            t.pass(
                Step::Resolve,
                text!(
                    "`",
                    v.name,
                    "` uses Azure-provided DNS (168.63.129.16), which answers from the private DNS zones linked to `",
                    v.name,
                    "`"
                ),
                at,
            );
            return Some(vnet);
        }
        Dns::Unknown(u) => {
            t.stuck(
                Step::Resolve,
                format!(
                    "the DNS servers of `{}` are `{u}`, which the audit cannot evaluate",
                    v.name
                ),
                at,
            );
            return None;
        }
        Dns::Servers(s) => s,
    };
    let first = &servers[0];
    let Some(ip) = Cidr::parse(first).filter(|c| c.len == 32) else {
        t.stuck(
            Step::Resolve,
            format!("`{}` sends DNS to `{first}`, not an address", v.name),
            at,
        );
        return None;
    };
    let Some(f) = n.firewall_at(ip.base) else {
        t.stuck(
            Step::Resolve,
            format!("`{}` sends DNS to {first}, a server that is not in the input: what it answers is not known", v.name),
            at,
        );
        return None;
    };
    let fw = &n.firewalls[f];
    let policy = match policy_of(n, f) {
        Ok(p) => p,
        Err(why) => {
            t.stuck(
                Step::Resolve,
                format!(
                    "`{}` sends DNS to firewall `{}` ({first}): {why}",
                    v.name, fw.name
                ),
                at,
            );
            return None;
        }
    };
    match &policy.dns_proxy {
        Tri::Yes => {}
        Tri::No => {
            t.block(
                Step::Resolve,
                format!(
                    "`{}` sends DNS to {first}, firewall `{}`, but policy `{}` has no DNS proxy (dnsSettings.enableProxy): queries go unanswered",
                    v.name, fw.name, policy.name
                ),
                Some((policy.res, "properties.dnsSettings.enableProxy")),
            );
            return None;
        }
        Tri::Maybe(w) => {
            t.stuck(
                Step::Resolve,
                format!("the DNS proxy of policy `{}` {w}", policy.name),
                Some((policy.res, "properties.dnsSettings.enableProxy")),
            );
            return None;
        }
    }
    let Some(fw_vnet) = n.firewall_vnet(f) else {
        t.stuck(
            Step::Resolve,
            format!("the subnet of firewall `{}` is not in the input", fw.name),
            Some((fw.res, "properties.ipConfigurations")),
        );
        return None;
    };
    if fw_vnet != vnet && !n.connected(vnet, fw_vnet) {
        t.block(
            Step::Resolve,
            format!(
                "`{}` sends DNS to firewall `{}` in `{}`, which it is not peered with",
                v.name, fw.name, n.vnets[fw_vnet].name
            ),
            at,
        );
        return None;
    }
    match &policy.dns_servers {
        Ok(s) if s.is_empty() => {
            t.pass(
                Step::Resolve,
                text!(
                    "`",
                    v.name,
                    "` sends DNS to ",
                    first,
                    ": firewall `",
                    fw.name,
                    "` proxies it (policy `",
                    policy.name,
                    "`, dnsSettings.enableProxy) to Azure DNS in `",
                    n.vnets[fw_vnet].name,
                    "`, which answers from the zones linked to `",
                    n.vnets[fw_vnet].name,
                    "`"
                ),
                Some((policy.res, "properties.dnsSettings")),
            );
            Some(fw_vnet)
        }
        Ok(s) => {
            t.stuck(
                Step::Resolve,
                format!(
                    "firewall `{}` forwards DNS to custom servers {}, which the model does not see",
                    fw.name,
                    s.join(", ")
                ),
                Some((policy.res, "properties.dnsSettings.servers")),
            );
            None
        }
        Err(u) => {
            t.stuck(
                Step::Resolve,
                format!("the DNS servers of policy `{}` are `{u}`", policy.name),
                Some((policy.res, "properties.dnsSettings.servers")),
            );
            None
        }
    }
}

fn under(name: &str, zone: &str) -> bool {
    let (n, z) = (name.as_bytes(), zone.as_bytes());
    n.len() >= z.len()
        && n[n.len() - z.len()..].eq_ignore_ascii_case(z)
        && (n.len() == z.len() || n[n.len() - z.len() - 1] == b'.')
}

/// Resolve `name` from a host in `vnet`; adds the hops.
pub(crate) fn resolve(n: &Net, t: &mut Trace, vnet: usize, name: &Name) {
    let Some(at_vnet) = resolver(n, t, vnet) else {
        return;
    };
    let Some(private) = &name.private else {
        t.pass(
            Step::Resolve,
            text!(name.fqdn, " is a public name; public DNS answers it"),
            None,
        );
        return;
    };
    let vname = n.vnets[at_vnet].name.clone();
    let asked = if name.fqdn == *private {
        name.fqdn.clone()
    } else {
        format!("{} → {private}", name.fqdn)
    };
    // The most specific zone linked where the query is resolved answers it.
    // The zones it lies under are its ends that start a label, looked up longest first
    // rather than every zone of the estate read (a fleet has one per cluster).
    let mut linked: Vec<(&String, &super::net::DnsLink)> = Vec::new();
    let lower = private.to_ascii_lowercase();
    let mut from = 0;
    loop {
        let end = &lower[from..];
        if let Some((zone, links)) = n.links.get_key_value(end) {
            if let Some(l) = links.iter().find(|l| l.vnet == Some(at_vnet)) {
                linked.push((zone, l));
            }
        }
        match end.find('.') {
            Some(i) => from += i + 1,
            None => break,
        }
    }
    let record = name
        .records
        .iter()
        .filter(|(z, ..)| under(private, z))
        .max_by_key(|(z, ..)| z.len());
    match (linked.first(), record) {
        (None, _) => {
            let candidates: Vec<String> = n
                .zones
                .keys()
                .filter(|z| under(private, z))
                .map(|z| {
                    let links: Vec<String> = n
                        .links
                        .get(z)
                        .map(|ls| {
                            ls.iter()
                                .map(|l| {
                                    l.vnet
                                        .map_or(l.vnet_id.clone(), |v| n.vnets[v].name.clone())
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if links.is_empty() {
                        format!("zone `{z}` is linked to no VNet")
                    } else {
                        format!("zone `{z}` is linked to {}", links.join(", "))
                    }
                })
                .collect();
            let zone_res = n
                .zones
                .iter()
                .find(|(z, _)| under(private, z))
                .map(|(_, r)| *r);
            t.block(
                Step::Resolve,
                format!(
                    "{asked}: no private DNS zone for it is linked to `{vname}`, where the query is resolved, so it resolves to the public endpoint{}",
                    if candidates.is_empty() { String::new() } else { format!(" ({})", candidates.join("; ")) }
                ),
                zone_res.map(|r| (r, "properties")),
            );
        }
        (Some((zone, link)), Some((rz, rres, rpath, who))) if *rz == **zone => {
            t.pass(
                Step::Resolve,
                format!(
                    "{asked}: zone `{zone}` is linked to `{vname}` (link `{}`) and holds the record {who} registers",
                    link.name
                ),
                Some((*rres, rpath.as_str())),
            );
        }
        (Some((zone, link)), rec) => {
            let why = match rec {
                Some((rz, ..)) => format!("the record is registered in zone `{rz}`"),
                None => "no private endpoint registers a record for it".to_string(),
            };
            t.block(
                Step::Resolve,
                format!(
                    "{asked}: `{vname}` resolves it in zone `{zone}` (link `{}`), but {why}",
                    link.name
                ),
                Some((link.res, "properties.virtualNetwork")),
            );
        }
    }
}
