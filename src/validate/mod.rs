//! Semantic validation: [`EstateFile`] → [`Estate`] or every problem at once. Address plans,
//! Azure naming rules, ids, windows and settings that contradict each other. Names Azure needs to
//! be globally unique get a deterministic suffix derived from the estate, never a random one.

pub mod names;

pub use names::{NameRule, suffix};

use crate::diag::{Code, Diagnostic};
use crate::model::{self, Cidr, CidrError, SubnetRole};
use crate::posture::{ControlId, Date};
use crate::profile::{self, EstateFile, PoolSubnet};
use std::net::Ipv4Addr;

/// Validate a deserialised estate file into the model.
pub fn validate(file: &EstateFile) -> Result<model::Estate, Vec<Diagnostic>> {
    let mut v = Validator { diags: Vec::new() };
    let estate = v.estate(file);
    let errors: Vec<Diagnostic> = v
        .diags
        .into_iter()
        .filter(|d| d.severity == crate::diag::Severity::Error)
        .collect();
    if errors.is_empty() {
        Ok(estate)
    } else {
        Err(errors)
    }
}

struct Validator {
    diags: Vec<Diagnostic>,
}

/// A range with the pointer it came from, for overlap checks.
struct Range {
    cidr: Cidr,
    pointer: String,
    what: String,
}

fn esc(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl Validator {
    fn err(&mut self, code: Code, ptr: &str, msg: String, hint: String) {
        self.diags.push(Diagnostic::error(code, ptr, msg, hint));
    }

    /// Two settings that contradict each other: reported at `ptr`, or at `other` when the
    /// user's own file wrote `other` and not `ptr` (see `profile::Resolved::attribute`).
    fn contradiction(&mut self, ptr: &str, other: &str, msg: String, hint: String) {
        self.diags
            .push(Diagnostic::error(Code::Inconsistent, ptr, msg, hint).related_to(other));
    }

    fn cidr(&mut self, s: &str, ptr: &str) -> Option<Cidr> {
        match Cidr::parse(s) {
            Ok(c) => Some(c),
            Err(CidrError::Syntax) => {
                self.err(
                    Code::CidrSyntax,
                    ptr,
                    format!("{s:?} is not an IPv4 CIDR"),
                    "write a range such as \"10.1.0.0/16\"".into(),
                );
                None
            }
            Err(CidrError::Ipv6) => {
                self.err(
                    Code::CidrSyntax,
                    ptr,
                    format!("{s:?} is IPv6; this setting takes IPv4 only"),
                    "write an IPv4 range such as \"10.1.0.0/16\"".into(),
                );
                None
            }
            Err(CidrError::HostBits(net)) => {
                self.err(
                    Code::CidrHostBits,
                    ptr,
                    format!("{s:?} has host bits set"),
                    format!("did you mean \"{net}\"?"),
                );
                None
            }
        }
    }

    fn ip(&mut self, s: &str, ptr: &str) -> Option<Ipv4Addr> {
        if let Ok(ip) = s.parse::<Ipv4Addr>() {
            Some(ip)
        } else {
            self.err(
                Code::CidrSyntax,
                ptr,
                format!("{s:?} is not an IPv4 address"),
                "write an address such as \"10.245.0.10\"".into(),
            );
            None
        }
    }

    fn guid(&mut self, s: &str, ptr: &str, what: &str) {
        if !crate::azure::is_guid(s) {
            self.err(
                Code::Guid,
                ptr,
                format!("{s:?} is not a GUID"),
                format!("{what} is a GUID like 00000000-0000-0000-0000-000000000000; omit it to make it a template parameter"),
            );
        }
    }

    fn name(&mut self, rule: &NameRule, name: &str, ptr: &str) {
        if let Some((code, msg)) = rule.check(name) {
            let hint = format!("{} names: {}", rule.what, rule.describe());
            self.err(
                code,
                ptr,
                format!("{} name {name:?} {msg}", rule.what),
                hint,
            );
        }
    }

    fn inside(&mut self, parent: &Range, child: &Range) {
        if !parent.cidr.contains(child.cidr) {
            self.err(
                Code::CidrOutside,
                &child.pointer,
                format!(
                    "{} {} is not inside {} {}",
                    child.what, child.cidr, parent.what, parent.cidr
                ),
                format!("choose a range inside {}", parent.cidr),
            );
        }
    }

    fn no_overlaps(&mut self, ranges: &[Range]) {
        for (i, a) in ranges.iter().enumerate() {
            for b in &ranges[i + 1..] {
                if a.cidr.overlaps(b.cidr) {
                    self.diags.push(
                        Diagnostic::error(
                            Code::CidrOverlap,
                            &b.pointer,
                            format!("{} {} and {} {} overlap", a.what, a.cidr, b.what, b.cidr),
                            format!(
                                "give {} (at {}) or {} (at {}) a range the other does not cover",
                                a.what, a.pointer, b.what, b.pointer
                            ),
                        )
                        .related_to(&a.pointer),
                    );
                }
            }
        }
    }

    fn estate(&mut self, f: &EstateFile) -> model::Estate {
        self.name(&names::ESTATE, &f.name, "/name");
        if crate::azure::regions::region(&f.location).is_none() {
            let hint = match profile::did_you_mean(&f.location, crate::azure::regions::names()) {
                Some(s) => format!("did you mean {s:?}?"),
                None => {
                    "use an Azure region name such as \"westeurope\" (lowercase, no spaces)".into()
                }
            };
            self.err(
                Code::Region,
                "/location",
                format!("{:?} is not a known Azure region", f.location),
                hint,
            );
        }
        if let Some(t) = &f.tenant_id {
            self.guid(t, "/tenantId", "a tenant id");
        }
        for (k, v) in &f.tags {
            if k.len() > 512 || v.len() > 256 || k.chars().any(|c| "<>%&\\?/".contains(c)) {
                self.err(
                    Code::BadValue,
                    &format!("/tags/{}", esc(k)),
                    format!("tag {k:?} breaks Azure's tag rules"),
                    "tag names: at most 512 characters, none of <>%&\\?/; values at most 256"
                        .into(),
                );
            }
        }
        let hub = self.hub(f);
        if f.spokes.is_empty() {
            self.err(
                Code::MissingKey,
                "/spokes",
                "the estate has no spoke".into(),
                "add at least one spoke, e.g. by extending a built-in profile".into(),
            );
        }
        let mut ranges = vec![Range {
            cidr: hub.address_space,
            pointer: "/hub/addressSpace".into(),
            what: "the hub address space".into(),
        }];
        let mut spokes = Vec::new();
        for (key, s) in sorted(&f.spokes) {
            spokes.push(self.spoke(f, key, s, &mut ranges));
        }
        self.no_overlaps(&ranges);
        self.no_route_loop(&hub, &spokes);
        let mut waivers = Vec::new();
        for (id, w) in sorted(&f.waivers) {
            let ptr = format!("/waivers/{}", esc(id));
            let control = ControlId::parse(id);
            if control.is_none() {
                let hint =
                    match profile::did_you_mean(id, ControlId::ALL.iter().map(|c| c.as_str())) {
                        Some(s) => {
                            format!("did you mean {s:?}? docs/controls.md lists the control ids")
                        }
                        None => "docs/controls.md lists the control ids".into(),
                    };
                self.err(
                    Code::WaiverUnknown,
                    &ptr,
                    format!("no control is called {id:?}"),
                    hint,
                );
            }
            let expires = Date::parse(&w.expires);
            if expires.is_none() {
                self.err(
                    Code::Date,
                    &format!("{ptr}/expires"),
                    format!("{:?} is not a date", w.expires),
                    "write the last valid day as YYYY-MM-DD".into(),
                );
            }
            if let (Some(control), Some(expires)) = (control, expires) {
                waivers.push(model::Waiver {
                    control,
                    reason: w.reason.clone(),
                    expires,
                    approver: w.approver.clone(),
                });
            }
        }
        model::Estate {
            name: f.name.clone(),
            description: f.description.clone(),
            tier: match f.tier {
                profile::Tier::Dev => model::Tier::Dev,
                profile::Tier::Staging => model::Tier::Staging,
                profile::Tier::Prod => model::Tier::Prod,
                profile::Tier::Regulated => model::Tier::Regulated,
            },
            location: f.location.clone(),
            tenant_id: f.tenant_id.clone(),
            tags: sorted(&f.tags)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            hub,
            spokes,
            defender: model::Defender {
                containers: f.defender.containers,
                key_vaults: f.defender.key_vaults,
                arm: f.defender.arm,
            },
            locks: f.locks,
            waivers,
        }
    }

    fn hub(&mut self, f: &EstateFile) -> model::Hub {
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
        self.no_overlaps(&subnets);
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

    /// The firewall's default route goes to the upstream next hop, and every routed subnet's
    /// default route goes to the firewall: a next hop in one of those ranges sends the traffic
    /// back to the firewall, forever.
    fn no_route_loop(&mut self, hub: &model::Hub, spokes: &[model::Spoke]) {
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

    fn vnet_size(&mut self, c: Cidr, ptr: &str) {
        if c.prefix_len() > 29 {
            self.err(
                Code::SubnetSize,
                ptr,
                format!("address space {c} is too small for a VNet"),
                "Azure VNets need at least a /29; the estate's subnets need far more".into(),
            );
        }
    }

    fn zones(&mut self, zones: &[String], ptr: &str) {
        for (i, z) in zones.iter().enumerate() {
            if !["1", "2", "3"].contains(&z.as_str()) {
                self.err(
                    Code::BadValue,
                    &format!("{ptr}/{i}"),
                    format!("{z:?} is not an availability zone"),
                    "zones are \"1\", \"2\" and \"3\"".into(),
                );
            }
        }
    }

    fn window(&mut self, w: &profile::MaintenanceWindow, ptr: &str) -> model::Window {
        const DAYS: [&str; 7] = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        if !DAYS.contains(&w.day_of_week.as_str()) {
            let hint = match profile::did_you_mean(&w.day_of_week, DAYS.iter().copied()) {
                Some(d) => format!("did you mean {d:?}?"),
                None => format!("use one of: {}", DAYS.join(", ")),
            };
            self.err(
                Code::BadValue,
                &format!("{ptr}/dayOfWeek"),
                format!("{:?} is not a day of the week", w.day_of_week),
                hint,
            );
        }
        if !is_hhmm(&w.start_time) {
            self.err(
                Code::Time,
                &format!("{ptr}/startTime"),
                format!("{:?} is not a time HH:MM", w.start_time),
                "write the start as HH:MM, e.g. \"02:00\"".into(),
            );
        }
        if !(w.utc_offset.starts_with('+') || w.utc_offset.starts_with('-'))
            || !is_hhmm(&w.utc_offset[1.min(w.utc_offset.len())..])
        {
            self.err(
                Code::Time,
                &format!("{ptr}/utcOffset"),
                format!("{:?} is not a UTC offset", w.utc_offset),
                "write the offset as +HH:MM or -HH:MM, e.g. \"+00:00\"".into(),
            );
        }
        if !(4..=24).contains(&w.duration_hours) {
            self.err(
                Code::BadValue,
                &format!("{ptr}/durationHours"),
                format!("a window of {} hours", w.duration_hours),
                "AKS needs maintenance windows of 4 to 24 hours".into(),
            );
        }
        model::Window {
            day_of_week: w.day_of_week.clone(),
            start_time: w.start_time.clone(),
            duration_hours: w.duration_hours,
            utc_offset: w.utc_offset.clone(),
        }
    }

    fn spoke(
        &mut self,
        f: &EstateFile,
        key: &str,
        s: &profile::Spoke,
        all: &mut Vec<Range>,
    ) -> model::Spoke {
        let p = format!("/spokes/{}", esc(key));
        let e = &f.name;
        self.name(&names::SPOKE, key, &p);
        if key == "hub" {
            self.err(
                Code::NameChars,
                &p,
                "spoke name \"hub\" is reserved for the connectivity hub".into(),
                "name the spoke after its environment, e.g. \"prod\" or \"qa\"".into(),
            );
        }
        if let Some(sub) = &s.subscription_id {
            self.guid(sub, &format!("{p}/subscriptionId"), "a subscription id");
        }
        let space = self.cidr(&s.address_space, &format!("{p}/addressSpace"));
        if let Some(c) = space {
            self.vnet_size(c, &format!("{p}/addressSpace"));
            all.push(Range {
                cidr: c,
                pointer: format!("{p}/addressSpace"),
                what: format!("spoke {key:?} address space"),
            });
        }
        let c = &s.cluster;
        let cp = format!("{p}/cluster");
        let api_needed = c.api_server.vnet_integration;
        let roles: [(SubnetRole, &str, Option<&String>); 5] = [
            (SubnetRole::System, "system", Some(&s.subnets.system)),
            (SubnetRole::User, "user", Some(&s.subnets.user)),
            (
                SubnetRole::ApiServer,
                "apiServer",
                s.subnets.api_server.as_ref(),
            ),
            (
                SubnetRole::PrivateEndpoints,
                "privateEndpoints",
                Some(&s.subnets.private_endpoints),
            ),
            (SubnetRole::Ingress, "ingress", Some(&s.subnets.ingress)),
        ];
        let mut subnets = Vec::new();
        let mut sranges = Vec::new();
        for (role, field, value) in roles {
            let Some(value) = value else { continue };
            if role == SubnetRole::ApiServer && !api_needed {
                continue;
            }
            let ptr = format!("{p}/subnets/{field}");
            let Some(cidr) = self.cidr(value, &ptr) else {
                continue;
            };
            if role == SubnetRole::ApiServer && cidr.prefix_len() != 28 {
                self.err(
                    Code::SubnetSize,
                    &ptr,
                    format!("API server subnet {cidr} is not a /28"),
                    "API server VNet integration takes a delegated /28 subnet".into(),
                );
            }
            if matches!(role, SubnetRole::System | SubnetRole::User) && cidr.prefix_len() > 28 {
                self.err(
                    Code::SubnetSize,
                    &ptr,
                    format!("node subnet {cidr} is too small"),
                    "node subnets need at least a /28; a /24 leaves room to scale".into(),
                );
            }
            if role == SubnetRole::PrivateEndpoints && cidr.prefix_len() > 28 {
                self.err(
                    Code::SubnetSize,
                    &ptr,
                    format!("private endpoint subnet {cidr} is too small"),
                    "use at least a /28".into(),
                );
            }
            sranges.push(Range {
                cidr,
                pointer: ptr,
                what: format!("subnet {field}"),
            });
            subnets.push(model::Subnet {
                role,
                name: format!("snet-{}", role.key()),
                nsg_name: format!("nsg-{e}-{key}-{}", role.key()),
                cidr,
            });
        }
        if api_needed && s.subnets.api_server.is_none() {
            self.err(
                Code::MissingKey,
                &format!("{p}/subnets"),
                "API server VNet integration needs an apiServer subnet".into(),
                "add \"apiServer\": \"<a /28 inside the spoke>\" or turn vnetIntegration off"
                    .into(),
            );
        }
        if let Some(space) = space {
            let parent = Range {
                cidr: space,
                pointer: format!("{p}/addressSpace"),
                what: format!("spoke {key:?} address space"),
            };
            for r in &sranges {
                self.inside(&parent, r);
            }
        }
        self.no_overlaps(&sranges);

        // Cluster network ranges: outside every VNet and each other.
        let net = &c.network;
        let pod = self.cidr(&net.pod_cidr, &format!("{cp}/network/podCidr"));
        let svc = self.cidr(&net.service_cidr, &format!("{cp}/network/serviceCidr"));
        let dns = self.ip(&net.dns_service_ip, &format!("{cp}/network/dnsServiceIp"));
        if let (Some(svc), Some(dns)) = (svc, dns) {
            if !svc.contains_ip(dns) || dns == svc.network() {
                self.err(
                    Code::CidrOutside,
                    &format!("{cp}/network/dnsServiceIp"),
                    format!("dnsServiceIp {dns} is not a usable address in serviceCidr {svc}"),
                    format!(
                        "pick an address inside {svc} other than its first, e.g. {}",
                        svc.nth(10).unwrap_or(dns)
                    ),
                );
            }
        }
        for (c2, field) in [(pod, "podCidr"), (svc, "serviceCidr")] {
            if let Some(c2) = c2 {
                all.push(Range {
                    cidr: c2,
                    pointer: format!("{cp}/network/{field}"),
                    what: format!("spoke {key:?} {field}"),
                });
            }
        }
        if net.cilium_dataplane && net.policy != model::NetworkPolicy::Cilium {
            self.contradiction(
                &format!("{cp}/network/ciliumDataplane"),
                &format!("{cp}/network/policy"),
                "the Cilium dataplane needs network policy cilium".into(),
                "set \"policy\": \"cilium\" or turn ciliumDataplane off".into(),
            );
        }
        if net.policy == model::NetworkPolicy::Cilium && !net.cilium_dataplane {
            self.contradiction(
                &format!("{cp}/network/policy"),
                &format!("{cp}/network/ciliumDataplane"),
                "network policy cilium needs the Cilium dataplane".into(),
                "set \"ciliumDataplane\": true or choose policy azure or calico".into(),
            );
        }

        // API server.
        let api = &c.api_server;
        let mut ranges = Vec::new();
        for (i, r) in api.authorized_ip_ranges.iter().enumerate() {
            if let Some(c) = self.cidr(r, &format!("{cp}/apiServer/authorizedIpRanges/{i}")) {
                ranges.push(c);
            }
        }
        if !api.private && api.authorized_ip_ranges.is_empty() {
            self.contradiction(
                &format!("{cp}/apiServer/authorizedIpRanges"),
                &format!("{cp}/apiServer/private"),
                "a public API server without authorised IP ranges is open to the internet".into(),
                "set \"private\": true, or list the client ranges in \"authorizedIpRanges\"".into(),
            );
        }
        if api.private && !api.authorized_ip_ranges.is_empty() {
            self.contradiction(
                &format!("{cp}/apiServer/authorizedIpRanges"),
                &format!("{cp}/apiServer/private"),
                "authorised IP ranges do not apply to a private API server".into(),
                "remove \"authorizedIpRanges\" or set \"private\": false".into(),
            );
        }
        if let Some(ids) = &c.entra.admin_group_object_ids {
            for (i, id) in ids.iter().enumerate() {
                self.guid(
                    id,
                    &format!("{cp}/entra/adminGroupObjectIds/{i}"),
                    "an Entra group object id",
                );
            }
        }
        if let Some(v) = &c.kubernetes_version {
            let ok = v.split('.').count() >= 2
                && v.split('.')
                    .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                self.err(
                    Code::BadValue,
                    &format!("{cp}/kubernetesVersion"),
                    format!("{v:?} is not a Kubernetes version"),
                    "write a version such as \"1.33\" or omit it to follow the upgrade channel"
                        .into(),
                );
            }
        }
        let auto_w = self.window(
            &c.upgrades.auto_upgrade_window,
            &format!("{cp}/upgrades/autoUpgradeWindow"),
        );
        let os_w = self.window(
            &c.upgrades.node_os_window,
            &format!("{cp}/upgrades/nodeOsWindow"),
        );

        // Pools.
        let mut pools = Vec::new();
        for (name, np) in sorted(&c.node_pools) {
            let pp = format!("{cp}/nodePools/{}", esc(name));
            self.name(&names::POOL, name, &pp);
            if np.min_count > np.max_count {
                self.err(
                    Code::PoolCount,
                    &format!("{pp}/minCount"),
                    format!(
                        "minCount {} is above maxCount {}",
                        np.min_count, np.max_count
                    ),
                    "make minCount at most maxCount".into(),
                );
            }
            if np.max_count > 1000 || (np.mode == model::PoolMode::System && np.min_count == 0) {
                self.err(
                    Code::PoolCount,
                    &format!("{pp}/minCount"),
                    "node counts out of range".into(),
                    "system pools need at least one node; no pool exceeds 1000".into(),
                );
            }
            if !(10..=250).contains(&np.max_pods) {
                self.err(
                    Code::BadValue,
                    &format!("{pp}/maxPods"),
                    format!("maxPods {} is out of range", np.max_pods),
                    "AKS takes 10 to 250 pods per node; 50 or more is recommended".into(),
                );
            }
            if !(30..=2048).contains(&np.os_disk_size_gb) {
                self.err(
                    Code::BadValue,
                    &format!("{pp}/osDiskSizeGb"),
                    format!("osDiskSizeGb {} is out of range", np.os_disk_size_gb),
                    "use 30 to 2048 GB".into(),
                );
            }
            if np.vm_size.is_empty()
                || !np
                    .vm_size
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.err(
                    Code::BadValue,
                    &format!("{pp}/vmSize"),
                    format!("{:?} is not a VM size", np.vm_size),
                    "write a size such as \"Standard_D4ds_v5\"".into(),
                );
            }
            if np.sandbox && np.mode == model::PoolMode::System {
                self.contradiction(
                    &format!("{pp}/sandbox"),
                    &format!("{pp}/mode"),
                    "a system pool cannot be a sandbox pool".into(),
                    "put sandboxed workloads in a user pool".into(),
                );
            }
            self.zones(&np.zones, &format!("{pp}/zones"));
            pools.push(model::NodePool {
                name: name.clone(),
                mode: np.mode,
                vm_size: np.vm_size.clone(),
                min_count: np.min_count,
                max_count: np.max_count,
                zones: np.zones.clone(),
                os_sku: np.os_sku,
                os_disk_type: np.os_disk_type,
                os_disk_size_gb: np.os_disk_size_gb,
                max_pods: np.max_pods,
                fips: np.fips,
                sandbox: np.sandbox,
                encryption_at_host: c.security.encryption_at_host,
                subnet: match np.subnet {
                    PoolSubnet::System => SubnetRole::System,
                    PoolSubnet::User => SubnetRole::User,
                },
                taints: np.taints.clone(),
                labels: sorted(&np.labels)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            });
        }
        if !pools.iter().any(|p| p.mode == model::PoolMode::System) {
            self.err(
                Code::PoolSystem,
                &format!("{cp}/nodePools"),
                "the cluster has no system node pool".into(),
                "add a pool with \"mode\": \"System\"".into(),
            );
        }
        pools.sort_by_key(|p| p.mode != model::PoolMode::System);

        if let Some(m) = &c.service_mesh {
            if !m.revision.starts_with("asm-") {
                self.err(
                    Code::BadValue,
                    &format!("{cp}/serviceMesh/revision"),
                    format!("{:?} is not an Istio add-on revision", m.revision),
                    "write a revision such as \"asm-1-25\"".into(),
                );
            }
        }
        if c.security.kms && s.paas_access == model::PaasAccess::ServiceEndpoints {
            self.contradiction(
                &format!("{cp}/security/kms"),
                &format!("{p}/paasAccess"),
                "KMS cannot reach a key vault behind service endpoints: AKS supports KMS with a private vault (private endpoint) or a public one, not one restricted to selected networks".into(),
                "set \"paasAccess\": \"privateEndpoints\", or turn \"kms\" off and waive SECRETS-KMS".into(),
            );
        }
        let needs_hsm = c.security.kms || c.security.customer_managed_disk_key;
        if needs_hsm && s.key_vault.sku != model::KeyVaultSku::Premium {
            let cause = if c.security.kms {
                format!("{cp}/security/kms")
            } else {
                format!("{cp}/security/customerManagedDiskKey")
            };
            self.contradiction(
                &format!("{p}/keyVault/sku"),
                &cause,
                "KMS and customer-managed disk keys use HSM-backed keys, which need the Premium vault".into(),
                "set \"keyVault\": {\"sku\": \"premium\"}, or turn kms and customerManagedDiskKey off".into(),
            );
        }
        if let Some(id) = &c.security.disk_encryption_set_id {
            let ok = id.starts_with("/subscriptions/")
                && id
                    .to_ascii_lowercase()
                    .contains("/providers/microsoft.compute/diskencryptionsets/");
            if !ok {
                self.err(
                    Code::BadValue,
                    &format!("{cp}/security/diskEncryptionSetId"),
                    format!("{id:?} is not a disk encryption set id"),
                    "write /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/diskEncryptionSets/<name>".into(),
                );
            }
        }
        if s.key_vault.soft_delete_retention_days < 7 || s.key_vault.soft_delete_retention_days > 90
        {
            self.err(
                Code::BadValue,
                &format!("{p}/keyVault/softDeleteRetentionDays"),
                "soft-delete retention out of range".into(),
                "Key Vault keeps deleted items 7 to 90 days".into(),
            );
        }
        if !(30..=730).contains(&s.log_analytics.retention_days) {
            self.err(
                Code::BadValue,
                &format!("{p}/logAnalytics/retentionDays"),
                "retention out of range".into(),
                "Log Analytics keeps data 30 to 730 days".into(),
            );
        }
        if s.registry.retention_days > 365 {
            self.err(
                Code::BadValue,
                &format!("{p}/registry/retentionDays"),
                "retention out of range".into(),
                "ACR keeps untagged manifests 0 to 365 days".into(),
            );
        }

        // Names.
        let tag = suffix(&[e, key, &f.location]);
        let cluster_name = format!("aks-{e}-{key}");
        let kv_name = s.key_vault.name.clone().unwrap_or_else(|| {
            let stem: String = format!("{e}{key}").chars().take(15).collect();
            format!("kv-{stem}-{tag}")
        });
        let acr_name = s
            .registry
            .name
            .clone()
            .unwrap_or_else(|| format!("acr{e}{key}{tag}"));
        let rgs = [
            format!("rg-{e}-{key}-network"),
            format!("rg-{e}-{key}-cluster"),
            format!("rg-{e}-{key}-shared"),
            format!("rg-{e}-{key}-nodes"),
        ];
        for rg in &rgs {
            self.name(&names::RESOURCE_GROUP, rg, &p);
        }
        self.name(&names::AKS, &cluster_name, &p);
        self.name(&names::DNS_PREFIX, &cluster_name, &p);
        let kv_ptr = if s.key_vault.name.is_some() {
            format!("{p}/keyVault/name")
        } else {
            p.clone()
        };
        self.name(&names::KEY_VAULT, &kv_name, &kv_ptr);
        let acr_ptr = if s.registry.name.is_some() {
            format!("{p}/registry/name")
        } else {
            p.clone()
        };
        self.name(&names::REGISTRY, &acr_name, &acr_ptr);
        let log_name = format!("log-{e}-{key}");
        self.name(&names::LOG_ANALYTICS, &log_name, &p);
        let mut workloads = Vec::new();
        for (wk, w) in sorted(&s.workload_identities) {
            let wp = format!("{p}/workloadIdentities/{}", esc(wk));
            self.name(&names::WORKLOAD, wk, &wp);
            self.name(&names::K8S_NAME, &w.namespace, &format!("{wp}/namespace"));
            self.name(
                &names::K8S_NAME,
                &w.service_account,
                &format!("{wp}/serviceAccount"),
            );
            if !c.security.workload_identity {
                self.contradiction(
                    &wp,
                    &format!("{cp}/security/workloadIdentity"),
                    "workload identities need the OIDC issuer and workload identity on the cluster"
                        .into(),
                    "set \"cluster\": {\"security\": {\"workloadIdentity\": true}}".into(),
                );
            }
            workloads.push(model::Workload {
                key: wk.clone(),
                identity: format!("id-{e}-{key}-{wk}"),
                namespace: w.namespace.clone(),
                service_account: w.service_account.clone(),
                key_vault_secrets: w.key_vault_secrets,
                acr_pull: w.acr_pull,
            });
        }
        let [network_rg, cluster_rg, shared_rg, nodes_rg] = rgs;
        model::Spoke {
            key: key.to_string(),
            subscription_id: s.subscription_id.clone(),
            network_rg,
            cluster_rg,
            shared_rg,
            nodes_rg,
            vnet_name: format!("vnet-{e}-{key}"),
            address_space: space.unwrap_or(Cidr::ANY),
            route_table_name: format!("rt-{e}-{key}"),
            subnets,
            paas_access: s.paas_access,
            cluster: model::Cluster {
                name: cluster_name.clone(),
                dns_prefix: cluster_name,
                control_plane_identity: format!("id-{e}-{key}-controlplane"),
                kubelet_identity: format!("id-{e}-{key}-kubelet"),
                kubernetes_version: c.kubernetes_version.clone(),
                sku_tier: c.sku_tier,
                private: api.private,
                vnet_integration: api.vnet_integration,
                disable_run_command: api.disable_run_command,
                authorized_ip_ranges: ranges,
                network_policy: net.policy,
                cilium_dataplane: net.cilium_dataplane,
                pod_cidr: pod.unwrap_or(Cidr::ANY),
                service_cidr: svc.unwrap_or(Cidr::ANY),
                dns_service_ip: dns.unwrap_or(Ipv4Addr::UNSPECIFIED),
                admin_group_object_ids: c.entra.admin_group_object_ids.clone(),
                upgrade_channel: c.upgrades.channel,
                node_os_channel: c.upgrades.node_os_channel,
                auto_upgrade_window: auto_w,
                node_os_window: os_w,
                pools,
                azure_policy: c.addons.azure_policy,
                container_insights: c.addons.container_insights,
                secrets_store_csi: c.addons.secrets_store_csi,
                defender: c.security.defender,
                workload_identity: c.security.workload_identity,
                image_cleaner_interval_hours: c.security.image_cleaner_interval_hours,
                kms: c.security.kms,
                disk_encryption: match (
                    &c.security.disk_encryption_set_id,
                    c.security.customer_managed_disk_key,
                ) {
                    (Some(id), _) => model::DiskEncryption::Existing(id.clone()),
                    (None, true) => model::DiskEncryption::Planned(format!("des-{e}-{key}")),
                    (None, false) => model::DiskEncryption::PlatformManaged,
                },
                pod_security: c.pod_security.level,
                pod_security_effect: c.pod_security.effect,
                mesh_revision: c.service_mesh.as_ref().map(|m| m.revision.clone()),
            },
            registry: model::Registry {
                name: acr_name,
                retention_days: s.registry.retention_days,
                zone_redundancy: s.registry.zone_redundancy,
            },
            key_vault: model::KeyVault {
                name: kv_name,
                sku: s.key_vault.sku,
                soft_delete_retention_days: s.key_vault.soft_delete_retention_days,
                kms_key_name: c.security.kms.then(|| "kms-etcd".to_string()),
                disk_key_name: (c.security.customer_managed_disk_key
                    && c.security.disk_encryption_set_id.is_none())
                .then(|| "disk-encryption".to_string()),
            },
            log_analytics_name: log_name,
            log_retention_days: s.log_analytics.retention_days,
            workloads,
        }
    }
}

/// A user-keyed map in key order: the output never depends on the order keys were written in.
fn sorted<V>(m: &indexmap::IndexMap<String, V>) -> impl Iterator<Item = (&String, &V)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.into_iter()
}

fn is_hhmm(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
        && s[..2].parse::<u32>().is_ok_and(|h| h < 24)
        && s[3..].parse::<u32>().is_ok_and(|m| m < 60)
}

fn is_fqdn_pattern(s: &str) -> bool {
    let s = s.strip_prefix("*.").unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').count() >= 2
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}
