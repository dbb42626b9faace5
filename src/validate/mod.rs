//! Semantic validation: [`EstateFile`] → [`Estate`] or every problem at once. Address plans,
//! Azure naming rules, ids, windows and settings that contradict each other. Names Azure needs to
//! be globally unique get a deterministic suffix derived from the estate, never a random one.

mod address;
mod egress;
mod fleet;
mod gitops;
mod hub;
mod ingress;
pub mod names;
mod spoke;

pub use names::{NameRule, suffix};

use crate::diag::{Code, Diagnostic};
use crate::model::{self, Cidr, CidrError};
use crate::posture::{ControlId, Date};
use crate::profile::{self, EstateFile};
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
        let mut regional_hubs = self.regional_hubs(f);
        if f.spokes.is_empty() {
            self.err(
                Code::MissingKey,
                "/spokes",
                "the estate has no spoke".into(),
                "add at least one spoke, e.g. by extending a built-in profile".into(),
            );
        }
        let mut plan = address::AddressPlan::default();
        // A hub range that does not parse is reported once, at /hub/addressSpace.
        if Cidr::parse(&f.hub.address_space).is_ok() {
            plan.networks.push(Range {
                cidr: hub.address_space,
                pointer: "/hub/addressSpace".into(),
                what: "the hub address space".into(),
            });
        }
        for (region, _) in sorted(&f.regional_hubs) {
            let Some(h) = regional_hubs.iter().find(|h| h.region == *region) else {
                continue;
            };
            plan.networks.push(Range {
                cidr: h.address_space,
                pointer: format!("/regionalHubs/{}/addressSpace", esc(region)),
                what: format!("regional hub {region:?} address space"),
            });
        }
        let mut spokes = Vec::new();
        for (key, s) in sorted(&f.spokes) {
            spokes.push(self.spoke(f, key, s, &mut plan));
        }
        if !f.regional_hubs.is_empty()
            && !spokes.is_empty()
            && !spokes.iter().any(|s| s.region == f.location)
        {
            self.err(
                Code::Region,
                "/location",
                format!(
                    "no spoke is in {:?}, the region of the estate's hub",
                    f.location
                ),
                "set \"location\" to the region of some spokes and move its hub's settings from \"regionalHubs\" to \"hub\"".into(),
            );
        }
        self.address_plan(&plan);
        self.no_route_loop(&hub, &spokes);
        for h in &regional_hubs {
            self.no_route_loop(h, &spokes);
        }
        // A gateway takes the zones of its own region's firewall.
        for s in &mut spokes {
            if let (Some(h), Some(i)) = (
                regional_hubs.iter().find(|h| h.region == s.region),
                &mut s.ingress,
            ) {
                i.zones.clone_from(&h.firewall.zones);
            }
        }
        let fleet = self.fleet(f, &mut spokes);
        let mut hub = hub;
        no_zones_without_zones(&mut hub, &mut regional_hubs, &mut spokes);
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
        let mut alert_emails = Vec::new();
        for (name, address) in sorted(&f.alerts.email) {
            let ptr = format!("/alerts/email/{}", esc(name));
            let name_ok = !name.is_empty()
                && name.len() <= 128
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !name_ok {
                self.err(
                    Code::NameChars,
                    &ptr,
                    format!("{name:?} is not a receiver name"),
                    "name receivers with letters, digits and hyphens, e.g. \"platform-team\""
                        .into(),
                );
            }
            let at = address.split('@').collect::<Vec<_>>();
            let address_ok = at.len() == 2
                && !at[0].is_empty()
                && at[1].contains('.')
                && !address.chars().any(char::is_whitespace);
            if !address_ok {
                self.err(
                    Code::BadValue,
                    &ptr,
                    format!("{address:?} is not an email address"),
                    "write an address such as \"platform@contoso.com\"".into(),
                );
            }
            alert_emails.push((name.clone(), address.clone()));
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
            zones_resource_group: hub.resource_group.clone(),
            hub,
            regional_hubs,
            spokes,
            defender: model::Defender {
                containers: f.defender.containers,
                key_vaults: f.defender.key_vaults,
                arm: f.defender.arm,
            },
            locks: f.locks,
            waivers,
            alert_emails,
            fleet,
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
}

/// In a region without availability zones (`azure::regions`), nothing asks for zones: the
/// firewall, its public IPs and the Application Gateways (which take the firewall's zones), node
/// pools, and registries (zone redundancy), whatever the profile or estate wrote for a region
/// that has them. Azure refuses zones where the region has none. Each hub and spoke is judged by
/// its own region.
fn no_zones_without_zones(
    hub: &mut model::Hub,
    regional: &mut [model::Hub],
    spokes: &mut [model::Spoke],
) {
    let zoneless = |region: &str| {
        crate::azure::regions::region(region).is_some() && !crate::azure::regions::has_zones(region)
    };
    for h in std::iter::once(hub).chain(regional.iter_mut()) {
        if zoneless(&h.region) {
            h.firewall.zones.clear();
        }
    }
    for s in spokes.iter_mut().filter(|s| zoneless(&s.region)) {
        for p in &mut s.cluster.pools {
            p.zones.clear();
        }
        if let Some(i) = &mut s.ingress {
            i.zones.clear();
        }
        s.registry.zone_redundancy = false;
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
