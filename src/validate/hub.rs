//! The hub: its address space and firewall subnets, the firewall's settings, and the forced
//! tunnelling next hop, which must not lead back through the firewall.

use super::{Range, Validator, esc, is_fqdn_pattern, names, sorted};
use crate::diag::Code;
use crate::model::{self, Cidr};
use crate::profile::{self, EstateFile};
use std::net::Ipv4Addr;

impl Validator {
    pub(super) fn hub(&mut self, f: &EstateFile) -> model::Hub {
        self.hub_at(f, &f.hub, "/hub", &f.location, "")
    }

    /// A hub read at `base` (`/hub`, or `/regionalHubs/<region>` once merged over the hub), in
    /// `region`, its names ending with `sfx`.
    fn hub_at(
        &mut self,
        f: &EstateFile,
        h: &profile::Hub,
        base: &str,
        region: &str,
        sfx: &str,
    ) -> model::Hub {
        let e = &f.name;
        let space = self.cidr(&h.address_space, &format!("{base}/addressSpace"));
        let fw = self.cidr(&h.subnets.firewall, &format!("{base}/subnets/firewall"));
        let mgmt = h
            .subnets
            .firewall_management
            .as_ref()
            .and_then(|m| self.cidr(m, &format!("{base}/subnets/firewallManagement")));
        let mut subnets = Vec::new();
        if let Some(c) = fw {
            if c.prefix_len() > 26 {
                self.err(
                    Code::SubnetSize,
                    &format!("{base}/subnets/firewall"),
                    format!("AzureFirewallSubnet {c} is smaller than /26"),
                    "Azure requires AzureFirewallSubnet to be /26 or larger".into(),
                );
            }
            subnets.push(Range {
                cidr: c,
                pointer: format!("{base}/subnets/firewall"),
                what: "AzureFirewallSubnet".into(),
            });
        }
        if let Some(c) = mgmt {
            if c.prefix_len() > 26 {
                self.err(
                    Code::SubnetSize,
                    &format!("{base}/subnets/firewallManagement"),
                    format!("AzureFirewallManagementSubnet {c} is smaller than /26"),
                    "Azure requires AzureFirewallManagementSubnet to be /26 or larger".into(),
                );
            }
            subnets.push(Range {
                cidr: c,
                pointer: format!("{base}/subnets/firewallManagement"),
                what: "AzureFirewallManagementSubnet".into(),
            });
        }
        let bastion = self.hub_subnet(
            h.subnets.bastion.as_ref(),
            &format!("{base}/subnets/bastion"),
            crate::azure::subnets::BASTION,
            Some(26),
            &mut subnets,
        );
        let operations = self.hub_subnet(
            h.subnets.operations.as_ref(),
            &format!("{base}/subnets/operations"),
            "the operations subnet",
            None,
            &mut subnets,
        );
        if h.bastion.is_some() && h.subnets.bastion.is_none() {
            self.err(
                Code::MissingKey,
                &format!("{base}/subnets"),
                "Azure Bastion needs AzureBastionSubnet".into(),
                format!(
                    "add {}",
                    in_hub(
                        base,
                        region,
                        "{\"subnets\": {\"bastion\": \"<a /26 inside the hub>\"}}"
                    )
                ),
            );
        }
        if let Some(space) = space {
            self.vnet_size(space, &format!("{base}/addressSpace"));
            let parent = Range {
                cidr: space,
                pointer: format!("{base}/addressSpace"),
                what: "the hub address space".into(),
            };
            for s in &subnets {
                self.inside(&parent, s);
            }
        }
        self.no_overlaps(&subnets, space);
        let fwc = &h.firewall;
        if fwc.idps_mode.is_some() && fwc.sku == model::FirewallSku::Standard {
            self.contradiction(
                &format!("{base}/firewall/idpsMode"),
                &format!("{base}/firewall/sku"),
                "IDPS needs the Premium firewall".into(),
                "set \"sku\": \"Premium\" or remove \"idpsMode\"".into(),
            );
        }
        self.zones(&fwc.zones, &format!("{base}/firewall/zones"));
        let upstream = fwc
            .upstream_next_hop
            .as_ref()
            .and_then(|s| self.ip(s, &format!("{base}/firewall/upstreamNextHop")));
        if upstream.is_some() && mgmt.is_none() {
            self.contradiction(
                &format!("{base}/firewall/upstreamNextHop"),
                &format!("{base}/subnets/firewallManagement"),
                "forced tunnelling needs AzureFirewallManagementSubnet".into(),
                format!(
                    "add {}",
                    in_hub(
                        base,
                        region,
                        "{\"subnets\": {\"firewallManagement\": \"<a /26>\"}}"
                    )
                ),
            );
        }
        for (rule, fqdns) in &fwc.extra_fqdns {
            let ptr = format!("{base}/firewall/extraFqdns/{}", esc(rule));
            self.name(&names::RULE, rule, &ptr);
            for (i, d) in fqdns.iter().enumerate() {
                if !is_fqdn_pattern(d) {
                    self.err(
                        Code::BadValue,
                        &format!("{ptr}/{i}"),
                        format!("{d:?} is not an FQDN"),
                        "write a host name such as \"api.example.com\" or \"*.example.com\"".into(),
                    );
                }
            }
        }
        let rg = format!("rg-{e}-hub-{region}");
        self.name(&names::RESOURCE_GROUP, &rg, "/name");
        let vnet = format!("vnet-{e}-hub{sfx}");
        self.name(&names::VNET, &vnet, "/name");
        let space = space.unwrap_or(Cidr::ANY);
        let fw_subnet = fw.unwrap_or(Cidr::ANY);
        model::Hub {
            region: region.to_string(),
            suffix: sfx.to_string(),
            resource_group: rg,
            vnet_name: vnet,
            address_space: space,
            firewall_subnet: fw_subnet,
            management_subnet: mgmt,
            bastion: h
                .bastion
                .as_ref()
                .zip(bastion)
                .map(|(b, subnet)| model::Bastion {
                    name: format!("bas-{e}-hub{sfx}"),
                    public_ip_name: format!("pip-{e}-bastion{sfx}"),
                    nsg_name: format!("nsg-{e}-bastion{sfx}"),
                    subnet,
                    sku: b.sku,
                }),
            operations: operations.map(|subnet| model::Operations {
                name: "snet-operations".into(),
                subnet,
                nsg_name: format!("nsg-{e}-operations{sfx}"),
                route_table_name: format!("rt-{e}-operations{sfx}"),
            }),
            firewall: model::Firewall {
                name: format!("afw-{e}-hub{sfx}"),
                policy_name: format!("afwp-{e}-hub{sfx}"),
                public_ip_name: format!("pip-{e}-afw{sfx}"),
                management_ip_name: format!("pip-{e}-afw-mgmt{sfx}"),
                sku: fwc.sku,
                threat_intel_mode: fwc.threat_intel_mode,
                idps_mode: fwc.idps_mode,
                dns_proxy: fwc.dns_proxy,
                zones: fwc.zones.clone(),
                private_ip: fw_subnet.nth(4).unwrap_or(Ipv4Addr::UNSPECIFIED),
                upstream_next_hop: upstream,
                extra_fqdns: sorted(&fwc.extra_fqdns)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            },
        }
    }

    /// The region a spoke is in: its own `region` (a known one, with a hub), else `location`.
    pub(super) fn spoke_region(
        &mut self,
        f: &EstateFile,
        key: &str,
        s: &profile::Spoke,
        p: &str,
    ) -> String {
        let Some(r) = &s.region else {
            return f.location.clone();
        };
        let ptr = format!("{p}/region");
        if crate::azure::regions::region(r).is_none() {
            let hint = match profile::did_you_mean(r, crate::azure::regions::names()) {
                Some(s) => format!("did you mean {s:?}?"),
                None => {
                    "use an Azure region name such as \"westeurope\" (lowercase, no spaces)".into()
                }
            };
            self.err(
                Code::Region,
                &ptr,
                format!("{r:?} is not a known Azure region"),
                hint,
            );
        } else if *r != f.location && !f.regional_hubs.contains_key(r) {
            let prefix = Cidr::parse(&f.hub.address_space).map_or(22, Cidr::prefix_len);
            self.err(
                Code::Region,
                &ptr,
                format!(
                    "spoke {key:?} is in {r:?}, which has no hub: the estate's hub is in {:?}",
                    f.location
                ),
                format!(
                    "add \"regionalHubs\": {{\"{r}\": {{\"addressSpace\": \"<a /{prefix} apart from every other network>\"}}}}: a spoke's traffic leaves through the firewall of its own region"
                ),
            );
        }
        r.clone()
    }

    /// The regional hubs, by region: each `regionalHubs` entry merged over `hub`, with the hub's
    /// subnets it does not write moved to the same offsets inside its own address space. A
    /// regional hub serves the spokes of its region; one for a region without spokes is refused
    /// (a firewall that filters nobody's traffic, paid for by the hour).
    pub(super) fn regional_hubs(&mut self, f: &EstateFile) -> Vec<model::Hub> {
        let mut out = Vec::new();
        for (region, partial) in sorted(&f.regional_hubs) {
            let base = format!("/regionalHubs/{}", esc(region));
            if crate::azure::regions::region(region).is_none() {
                let hint = match profile::did_you_mean(region, crate::azure::regions::names()) {
                    Some(s) => format!("did you mean {s:?}?"),
                    None => "key each regional hub by an Azure region name such as \"northeurope\" (lowercase, no spaces)".into(),
                };
                self.err(
                    Code::Region,
                    &base,
                    format!("{region:?} is not a known Azure region"),
                    hint,
                );
                continue;
            }
            if *region == f.location {
                self.contradiction(
                    &base,
                    "/location",
                    format!("{region:?} is the estate's location, whose hub is \"hub\""),
                    "remove this entry; \"hub\" is the hub of the estate's location".into(),
                );
                continue;
            }
            let used = f
                .spokes
                .values()
                .any(|s| s.region.as_deref() == Some(region.as_str()));
            if !used {
                self.err(
                    Code::Region,
                    &base,
                    format!("no spoke is in {region:?}: its hub would filter nobody's traffic"),
                    format!(
                        "remove this entry, or give a spoke \"region\": \"{region}\"; a firewall costs the same whether traffic passes or not"
                    ),
                );
                continue;
            }
            let Some(text) = partial
                .get("addressSpace")
                .and_then(serde_json::Value::as_str)
            else {
                self.err(
                    Code::MissingKey,
                    &base,
                    format!("regional hub {region:?} has no \"addressSpace\""),
                    "write \"addressSpace\": a range of its own, apart from the hub and every spoke"
                        .into(),
                );
                continue;
            };
            let Some(space) = self.cidr(text, &format!("{base}/addressSpace")) else {
                continue;
            };
            let Ok(mut value) = serde_json::to_value(&f.hub) else {
                continue;
            };
            let written = partial
                .get("subnets")
                .and_then(serde_json::Value::as_object);
            let mut fits = true;
            if let (Ok(home), Some(serde_json::Value::Object(subnets))) =
                (Cidr::parse(&f.hub.address_space), value.get_mut("subnets"))
            {
                for (key, v) in subnets.iter_mut() {
                    if written.is_some_and(|w| w.contains_key(key)) {
                        continue;
                    }
                    // A subnet outside the hub is reported at /hub.
                    let Some(c) = v
                        .as_str()
                        .and_then(|t| Cidr::parse(t).ok())
                        .filter(|c| home.contains(*c))
                    else {
                        continue;
                    };
                    let offset = c.start() - home.start();
                    let moved = space
                        .start()
                        .checked_add(offset)
                        .and_then(|a| Cidr::from_parts(a, c.prefix_len()))
                        .filter(|m| space.contains(*m));
                    if let Some(m) = moved {
                        *v = serde_json::Value::String(m.to_string());
                    } else {
                        fits = false;
                        let reach = u64::from(offset) + c.size();
                        let need = 32 - reach.next_power_of_two().trailing_zeros().min(32);
                        self.err(
                            Code::CidrOutside,
                            &format!("{base}/addressSpace"),
                            format!(
                                "the hub's subnet {key:?} ({c}) lies {offset} addresses into {home}; at the same offset it does not fit in {space}"
                            ),
                            format!(
                                "give regional hub {region:?} an address space of at least /{need}, or write the subnet yourself: \"regionalHubs\": {{\"{region}\": {{\"subnets\": {{\"{key}\": \"<a /{} inside {space}>\"}}}}}}",
                                c.prefix_len()
                            ),
                        );
                    }
                }
            }
            if !fits {
                continue;
            }
            crate::profile::merge_patch(&mut value, &serde_json::Value::Object(partial.clone()));
            match serde_json::from_value::<profile::Hub>(value) {
                Ok(h) => {
                    let before = self.diags.len();
                    out.push(self.hub_at(f, &h, &base, region, &format!("-{region}")));
                    self.drop_inherited(before, &base, partial);
                }
                Err(err) => self.err(
                    Code::WrongType,
                    &base,
                    format!("regional hub {region:?} merged over \"hub\" is not a hub: {err}"),
                    "write the keys a hub takes (see schemas/estate.schema.json)".into(),
                ),
            }
        }
        out
    }

    /// Drop the errors (from position `from` on) that a regional hub at `base` repeats from
    /// `hub`: at a path its own entry (`partial`) does not write, with the code of the hub's
    /// error at the same path. The hub's error already names the line to change, and changing
    /// it mends both.
    fn drop_inherited(
        &mut self,
        from: usize,
        base: &str,
        partial: &serde_json::Map<String, serde_json::Value>,
    ) {
        let own = serde_json::Value::Object(partial.clone());
        let added = self.diags.split_off(from);
        let earlier = &self.diags;
        let kept: Vec<crate::diag::Diagnostic> = added
            .into_iter()
            .filter(|d| {
                let Some(rel) = d.pointer.strip_prefix(base) else {
                    return true;
                };
                if rel.is_empty() || own.pointer(rel).is_some() {
                    return true;
                }
                let at_hub = format!("/hub{rel}");
                !earlier
                    .iter()
                    .any(|e| e.code == d.code && e.pointer == at_hub)
            })
            .collect();
        self.diags.extend(kept);
    }

    /// An optional hub subnet: parsed, at least `min` (a prefix length) when Azure asks for one,
    /// and added to the ranges that must not overlap.
    fn hub_subnet(
        &mut self,
        value: Option<&String>,
        ptr: &str,
        what: &str,
        min: Option<u8>,
        ranges: &mut Vec<Range>,
    ) -> Option<Cidr> {
        let c = self.cidr(value?, ptr)?;
        if let Some(min) = min.filter(|m| c.prefix_len() > *m) {
            self.err(
                Code::SubnetSize,
                ptr,
                format!("{what} {c} is smaller than /{min}"),
                format!("Azure requires {what} to be /{min} or larger"),
            );
        }
        ranges.push(Range {
            cidr: c,
            pointer: ptr.into(),
            what: what.into(),
        });
        Some(c)
    }

    /// The firewall's default route goes to the upstream next hop, and every routed subnet's
    /// default route goes to the firewall: a next hop in one of those ranges sends the traffic
    /// back to the firewall, forever.
    pub(super) fn no_route_loop(&mut self, hub: &model::Hub, spokes: &[model::Spoke]) {
        let Some(hop) = hub.firewall.upstream_next_hop else {
            return;
        };
        let mut back: Vec<(Cidr, String)> = Vec::new();
        if hub.firewall_subnet != Cidr::ANY {
            back.push((
                hub.firewall_subnet,
                "AzureFirewallSubnet, where the firewall itself lives".into(),
            ));
        }
        if let Some(m) = hub.management_subnet {
            back.push((
                m,
                "AzureFirewallManagementSubnet, the firewall's own management subnet".into(),
            ));
        }
        for s in spokes {
            for n in s.subnets.iter().filter(|n| n.role.routed()) {
                back.push((
                    n.cidr,
                    format!(
                        "subnet {} of spoke {}, whose default route goes to the firewall",
                        n.name, s.key
                    ),
                ));
            }
        }
        if let Some((cidr, what)) = back.iter().find(|(c, _)| c.contains_ip(hop)) {
            self.err(
                Code::RouteLoop,
                &if hub.suffix.is_empty() {
                    "/hub/firewall/upstreamNextHop".to_string()
                } else {
                    format!("/regionalHubs/{}/firewall/upstreamNextHop", esc(&hub.region))
                },
                format!(
                    "the upstream next hop {hop} lies in {cidr}, {what}: the firewall's default route would lead back through the firewall"
                ),
                "name the on-premises appliance or gateway at an address outside the firewall's subnets and outside every subnet routed through the firewall, e.g. an NVA or gateway subnet in the hub".into(),
            );
        }
    }
}

/// `value` written under the hub at `base`, as the user would write it in the estate file.
fn in_hub(base: &str, region: &str, value: &str) -> String {
    if base == "/hub" {
        format!("\"hub\": {value}")
    } else {
        format!("\"regionalHubs\": {{\"{region}\": {value}}}")
    }
}
