//! The hub: its address space and firewall subnets, the firewall's settings, and the forced
//! tunnelling next hop, which must not lead back through the firewall.

use super::{Range, Validator, esc, is_fqdn_pattern, names, sorted};
use crate::diag::Code;
use crate::model::{self, Cidr};
use crate::profile::EstateFile;
use std::net::Ipv4Addr;

impl Validator {
    pub(super) fn hub(&mut self, f: &EstateFile) -> model::Hub {
        let h = &f.hub;
        let e = &f.name;
        let space = self.cidr(&h.address_space, "/hub/addressSpace");
        let fw = self.cidr(&h.subnets.firewall, "/hub/subnets/firewall");
        let mgmt = h
            .subnets
            .firewall_management
            .as_ref()
            .and_then(|m| self.cidr(m, "/hub/subnets/firewallManagement"));
        let mut subnets = Vec::new();
        if let Some(c) = fw {
            if c.prefix_len() > 26 {
                self.err(
                    Code::SubnetSize,
                    "/hub/subnets/firewall",
                    format!("AzureFirewallSubnet {c} is smaller than /26"),
                    "Azure requires AzureFirewallSubnet to be /26 or larger".into(),
                );
            }
            subnets.push(Range {
                cidr: c,
                pointer: "/hub/subnets/firewall".into(),
                what: "AzureFirewallSubnet".into(),
            });
        }
        if let Some(c) = mgmt {
            if c.prefix_len() > 26 {
                self.err(
                    Code::SubnetSize,
                    "/hub/subnets/firewallManagement",
                    format!("AzureFirewallManagementSubnet {c} is smaller than /26"),
                    "Azure requires AzureFirewallManagementSubnet to be /26 or larger".into(),
                );
            }
            subnets.push(Range {
                cidr: c,
                pointer: "/hub/subnets/firewallManagement".into(),
                what: "AzureFirewallManagementSubnet".into(),
            });
        }
        let bastion = self.hub_subnet(
            h.subnets.bastion.as_ref(),
            "/hub/subnets/bastion",
            crate::azure::subnets::BASTION,
            Some(26),
            &mut subnets,
        );
        let operations = self.hub_subnet(
            h.subnets.operations.as_ref(),
            "/hub/subnets/operations",
            "the operations subnet",
            None,
            &mut subnets,
        );
        if h.bastion.is_some() && h.subnets.bastion.is_none() {
            self.err(
                Code::MissingKey,
                "/hub/subnets",
                "Azure Bastion needs AzureBastionSubnet".into(),
                "add \"hub\": {\"subnets\": {\"bastion\": \"<a /26 inside the hub>\"}}".into(),
            );
        }
        if let Some(space) = space {
            self.vnet_size(space, "/hub/addressSpace");
            let parent = Range {
                cidr: space,
                pointer: "/hub/addressSpace".into(),
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
                "/hub/firewall/idpsMode",
                "/hub/firewall/sku",
                "IDPS needs the Premium firewall".into(),
                "set \"sku\": \"Premium\" or remove \"idpsMode\"".into(),
            );
        }
        self.zones(&fwc.zones, "/hub/firewall/zones");
        let upstream = fwc
            .upstream_next_hop
            .as_ref()
            .and_then(|s| self.ip(s, "/hub/firewall/upstreamNextHop"));
        if upstream.is_some() && mgmt.is_none() {
            self.contradiction(
                "/hub/firewall/upstreamNextHop",
                "/hub/subnets/firewallManagement",
                "forced tunnelling needs AzureFirewallManagementSubnet".into(),
                "add \"hub\": {\"subnets\": {\"firewallManagement\": \"<a /26>\"}}".into(),
            );
        }
        for (rule, fqdns) in &fwc.extra_fqdns {
            let ptr = format!("/hub/firewall/extraFqdns/{}", esc(rule));
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
        let rg = format!("rg-{e}-hub-{}", f.location);
        self.name(&names::RESOURCE_GROUP, &rg, "/name");
        let vnet = format!("vnet-{e}-hub");
        self.name(&names::VNET, &vnet, "/name");
        let space = space.unwrap_or(Cidr::ANY);
        let fw_subnet = fw.unwrap_or(Cidr::ANY);
        model::Hub {
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
                    name: format!("bas-{e}-hub"),
                    public_ip_name: format!("pip-{e}-bastion"),
                    nsg_name: format!("nsg-{e}-bastion"),
                    subnet,
                    sku: b.sku,
                }),
            operations: operations.map(|subnet| model::Operations {
                name: "snet-operations".into(),
                subnet,
                nsg_name: format!("nsg-{e}-operations"),
                route_table_name: format!("rt-{e}-operations"),
            }),
            firewall: model::Firewall {
                name: format!("afw-{e}-hub"),
                policy_name: format!("afwp-{e}-hub"),
                public_ip_name: format!("pip-{e}-afw"),
                management_ip_name: format!("pip-{e}-afw-mgmt"),
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
                "/hub/firewall/upstreamNextHop",
                format!(
                    "the upstream next hop {hop} lies in {cidr}, {what}: the firewall's default route would lead back through the firewall"
                ),
                "name the on-premises appliance or gateway at an address outside the firewall's subnets and outside every subnet routed through the firewall, e.g. an NVA or gateway subnet in the hub".into(),
            );
        }
    }
}
