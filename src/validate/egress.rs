//! A spoke's own egress: hub firewall rules whose source is that spoke's node subnets alone, so
//! one team's allowance is not every team's. Named `spoke-<spoke>-<rule>` in the policy; FQDNs,
//! addresses and ports checked as the hub-wide rules are, and nothing that opens the firewall to
//! everything.

use super::{Validator, esc, is_fqdn_pattern, names, sorted};
use crate::diag::Code;
use crate::model::{self, Cidr};
use crate::profile::{self, EgressProtocol, EstateFile};

/// The longest rule name Azure Firewall takes.
const MAX_RULE_NAME: usize = 80;

/// Whether `s` is an Azure service tag (`AzureCloud.westeurope`, `Storage`): letters first, then
/// letters, digits, dots and hyphens.
fn is_service_tag(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.len() <= 80
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// Whether `p` is a port (`587`) or a port range (`8000-8080`) in 1..=65535.
fn is_port(p: &str) -> bool {
    let one = |x: &str| {
        !x.is_empty()
            && x.bytes().all(|b| b.is_ascii_digit())
            && x.parse::<u32>().is_ok_and(|n| (1..=65_535).contains(&n))
    };
    match p.split_once('-') {
        Some((a, b)) => one(a) && one(b) && a.parse::<u32>().ok() <= b.parse::<u32>().ok(),
        None => one(p),
    }
}

/// The policy's name for a spoke's rule.
pub(super) fn rule_name(spoke: &str, rule: &str) -> String {
    format!("spoke-{spoke}-{rule}")
}

impl Validator {
    /// The spoke's egress rules, checked, named as the policy names them, in name order.
    pub(super) fn egress(
        &mut self,
        f: &EstateFile,
        key: &str,
        s: &profile::Spoke,
        p: &str,
    ) -> (Vec<(String, Vec<String>)>, Vec<model::EgressRule>) {
        let Some(e) = &s.egress else {
            return (Vec::new(), Vec::new());
        };
        let ep = format!("{p}/egress");
        let mut fqdns = Vec::new();
        for (rule, list) in sorted(&e.fqdns) {
            let ptr = format!("{ep}/fqdns/{}", esc(rule));
            let name = self.egress_rule_name(f, key, rule, &ptr);
            if list.is_empty() {
                self.err(
                    Code::BadValue,
                    &ptr,
                    format!("rule {rule:?} allows no FQDN"),
                    "list the host names the spoke reaches over HTTPS, or remove the rule".into(),
                );
            }
            for (i, d) in list.iter().enumerate() {
                self.egress_fqdn(d, &format!("{ptr}/{i}"));
            }
            fqdns.push((name, list.clone()));
        }
        let mut network = Vec::new();
        for (rule, r) in sorted(&e.network) {
            let ptr = format!("{ep}/network/{}", esc(rule));
            let name = self.egress_rule_name(f, key, rule, &ptr);
            if r.protocols.is_empty() {
                self.err(
                    Code::BadValue,
                    &format!("{ptr}/protocols"),
                    format!("rule {rule:?} names no protocol"),
                    "list \"TCP\", \"UDP\" or \"ICMP\"".into(),
                );
            }
            if r.destination_addresses.is_empty() && r.destination_fqdns.is_empty() {
                self.err(
                    Code::MissingKey,
                    &ptr,
                    format!("rule {rule:?} names no destination"),
                    "add \"destinationAddresses\" (addresses, CIDRs or service tags) or \"destinationFqdns\"".into(),
                );
            }
            for (i, a) in r.destination_addresses.iter().enumerate() {
                let ap = format!("{ptr}/destinationAddresses/{i}");
                let open = a == "*" || Cidr::parse(a).is_ok_and(|c| c.prefix_len() == 0);
                if open {
                    self.err(
                        Code::BadValue,
                        &ap,
                        format!("{a:?} opens the firewall to every address"),
                        "name the addresses, ranges or service tag the spoke needs".into(),
                    );
                } else if a.contains('/') {
                    self.cidr(a, &ap);
                } else if a.parse::<std::net::Ipv4Addr>().is_err() && !is_service_tag(a) {
                    self.err(
                        Code::BadValue,
                        &ap,
                        format!("{a:?} is not an address, a CIDR or a service tag"),
                        "write \"203.0.113.10\", \"203.0.113.0/24\" or a service tag such as \"Storage.westeurope\"".into(),
                    );
                }
            }
            if !r.destination_fqdns.is_empty() && !f.hub.firewall.dns_proxy {
                self.contradiction(
                    &format!("{ptr}/destinationFqdns"),
                    "/hub/firewall/dnsProxy",
                    "FQDNs in network rules need the firewall's DNS proxy".into(),
                    "set \"dnsProxy\": true on the hub firewall, or use \"egress.fqdns\" for HTTPS"
                        .into(),
                );
            }
            for (i, d) in r.destination_fqdns.iter().enumerate() {
                self.egress_fqdn(d, &format!("{ptr}/destinationFqdns/{i}"));
            }
            if r.ports.is_empty() {
                self.err(
                    Code::BadValue,
                    &format!("{ptr}/ports"),
                    format!("rule {rule:?} names no port"),
                    "list the destination ports, e.g. \"587\" or \"8000-8080\"".into(),
                );
            }
            for (i, port) in r.ports.iter().enumerate() {
                if !is_port(port) {
                    self.err(
                        Code::BadValue,
                        &format!("{ptr}/ports/{i}"),
                        format!("{port:?} is not a port or a port range"),
                        "write a port from 1 to 65535, or a range such as \"8000-8080\"".into(),
                    );
                }
            }
            let mut protocols: Vec<String> = r
                .protocols
                .iter()
                .map(|p| {
                    match p {
                        EgressProtocol::Tcp => "TCP",
                        EgressProtocol::Udp => "UDP",
                        EgressProtocol::Icmp => "ICMP",
                    }
                    .to_string()
                })
                .collect();
            protocols.sort();
            protocols.dedup();
            network.push(model::EgressRule {
                name,
                protocols,
                addresses: r.destination_addresses.clone(),
                fqdns: r.destination_fqdns.clone(),
                ports: r.ports.clone(),
            });
        }
        (fqdns, network)
    }

    /// The policy's name for a spoke rule: a valid rule name, short enough, and not one of the
    /// hub's own extra rules.
    fn egress_rule_name(&mut self, f: &EstateFile, key: &str, rule: &str, ptr: &str) -> String {
        self.name(&names::RULE, rule, ptr);
        let name = rule_name(key, rule);
        if name.len() > MAX_RULE_NAME {
            self.err(
                Code::NameLength,
                ptr,
                format!("the firewall rule {name:?} is longer than {MAX_RULE_NAME} characters"),
                format!(
                    "shorten the rule's name to at most {} characters",
                    MAX_RULE_NAME.saturating_sub(name.len() - rule.len())
                ),
            );
        }
        if f.hub.firewall.extra_fqdns.contains_key(&name) {
            self.err(
                Code::BadValue,
                ptr,
                format!("the hub's extra rule {name:?} has the name this spoke rule takes"),
                "rename one of them: spoke rules are named spoke-<spoke>-<rule> in the policy"
                    .into(),
            );
        }
        name
    }

    fn egress_fqdn(&mut self, d: &str, ptr: &str) {
        if d == "*" {
            self.err(
                Code::BadValue,
                ptr,
                "\"*\" opens the firewall to every host".into(),
                "name the hosts the spoke reaches".into(),
            );
        } else if !is_fqdn_pattern(d) {
            self.err(
                Code::BadValue,
                ptr,
                format!("{d:?} is not an FQDN"),
                "write a host name such as \"api.example.com\" or \"*.example.com\"".into(),
            );
        }
    }
}
