//! Special topics: egress forced through Azure Firewall, forced tunnelling to an upstream hop,
//! and governance (locks and tags).

use crate::audit::catalogue::{
    Control, Live,
    Section::SpecialTopics,
    Severity::{Critical, Low, Medium},
};
use crate::audit::eval::show;
use crate::audit::eval::{Check, Cx, Rule};
use crate::audit::input::{Look, Place, look};
use crate::audit::query::DefaultRoute;
use crate::azure::{subnets, types};
use crate::posture::ControlId;
use crate::posture::Tier;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};

/// The controls of this section, in guideline order.
pub(super) const CONTROLS: &[Control] = &[
    Control {
        id: ControlId::EgressFirewall,
        severity: Critical,
        section: SpecialTopics,
        topic: "Private clusters?",
        title: "all egress through Azure Firewall with only the rules AKS needs",
        demands: "All egress leaves through Azure Firewall: a route table on every cluster subnet with `0.0.0.0/0 → VirtualAppliance <firewall private IP>`, `networkProfile.outboundType: userDefinedRouting`, a firewall policy with the rules AKS needs (FQDN tag `AzureKubernetesService`, NTP, the add-ons' FQDNs) and no allow-everything rule, threat intelligence and (Premium) IDPS in `Deny`, DNS proxy on. Never a UDR to the firewall with `outboundType: loadBalancer`.",
        why: "Malware's first move is to call home and its last is to exfiltrate. With all egress forced through a firewall that allows only what AKS needs, both fail, and the firewall log shows the attempt; threat intelligence and IDPS block known-bad destinations outright.",
        fix: "Set `networkProfile.outboundType: userDefinedRouting`; attach a route table with `0.0.0.0/0 → VirtualAppliance` (the firewall's private IP) to every node and API server subnet; give the firewall a policy with `threatIntelMode: Deny`, `intrusionDetection.mode: Deny` (Premium), `dnsSettings.enableProxy: true`, an application rule with `fqdnTags: [AzureKubernetesService]` and an NTP rule; remove rules that allow `*`.",
        checkov: &["CKV_AZURE_219", "CKV_AZURE_220"],
        psrule: &["Azure.Firewall.PolicyMode"],
        cis: &[],
        live: Live::Partial,
        estate_keys: &["/hub/firewall", "/hub"],
        check: Check::Code(egress_firewall),
    },
    Control {
        id: ControlId::EgressForcedTunnel,
        severity: Medium,
        section: SpecialTopics,
        topic: "Forced tunneling",
        title: "forced tunnelling where an upstream hop is named",
        demands: "Where an upstream next hop is named (on-premises NVA or VPN/ExpressRoute gateway), the firewall runs in forced-tunnelling mode (`AzureFirewallManagementSubnet` and `managementIpConfiguration`) and `AzureFirewallSubnet` has a route table whose `0.0.0.0/0` points upstream.",
        why: "Forced tunnelling sends the firewall's own internet-bound traffic to the on-premises inspection point as policy requires. Half a configuration either breaks the firewall (no management path) or silently keeps a direct internet path the organisation believes is closed.",
        fix: "Estate: `hub.subnets.firewallManagement` and `hub.firewall.upstreamNextHop`. Template: an `AzureFirewallManagementSubnet`, a `managementIpConfiguration` on the firewall, and a route table on `AzureFirewallSubnet` with `0.0.0.0/0 → VirtualAppliance <upstream>`.",
        checkov: &[],
        psrule: &[],
        cis: &[],
        live: Live::No,
        estate_keys: &["/hub/firewall/upstreamNextHop", "/hub/subnets", "/hub"],
        check: Check::Code(egress_forced_tunnel),
    },
    Control {
        id: ControlId::GovLocksTags,
        severity: Low,
        section: SpecialTopics,
        topic: "Configuration best practices",
        title: "locks on prod resource groups; tags on every resource",
        demands: "In the prod and regulated tiers every resource group carries a `CanNotDelete` (or `ReadOnly`) lock; every taggable resource carries the estate's tags (any tags at all, for a template).",
        why: "A lock turns an accidental (or malicious) `az group delete` of production into a deliberate two-step act. Tags tell responders whose a resource is and which environment it belongs to, at 3 a.m., without guessing.",
        fix: "Estate: `locks: true` and `tags`. Template: a `Microsoft.Authorization/locks` with `level: CanNotDelete` in every resource group, and `tags` on every resource.",
        checkov: &[],
        psrule: &[],
        cis: &[],
        live: Live::Partial,
        estate_keys: &["/locks", "/tags"],
        check: Check::Code(gov_locks_tags),
    },
];

/// EGRESS-FIREWALL, on every cluster.
const OUTBOUND_UDR: Rule = Rule::one_of(
    "properties.networkProfile.outboundType",
    &["userDefinedRouting"],
);

/// EGRESS-FIREWALL, on every firewall policy.
const THREAT_INTEL: Rule = Rule::one_of("properties.threatIntelMode", &["Deny"]);
/// EGRESS-FIREWALL, on every Premium firewall policy.
const IDPS: Rule = Rule::one_of("properties.intrusionDetection.mode", &["Deny"]);
/// EGRESS-FIREWALL, on every firewall policy.
const DNS_PROXY: Rule = Rule::is_true("properties.dnsSettings.enableProxy");

fn egress_firewall(cx: &mut Cx) {
    let clusters = cx.clusters();
    for &c in &clusters {
        cx.check(c, &OUTBOUND_UDR);
    }
    if cx.live() {
        cx.gap("route tables and the firewall are not in a live cluster's JSON");
        return;
    }
    let firewalls: Vec<usize> = cx.q.of_type(types::FW).map(|(i, _)| i).collect();
    if firewalls.is_empty() {
        if !clusters.is_empty() {
            cx.fail(
                None,
                "",
                "no Azure Firewall in the input: nothing filters egress",
            );
        }
        return;
    }
    let all_ips = cx.q.firewall_ips();
    for &c in &clusters {
        // Judged against the firewall of the cluster's own region.
        let ips = all_ips.near(cx.r(c).get("location").str());
        let mut ids: Vec<(usize, String, String)> = Vec::new();
        for p in cx.pools(c) {
            let path = format!("{}.vnetSubnetID", p.prefix);
            if let Some(id) = cx.r(p.res).get(&path).str() {
                ids.push((p.res, path, id.to_string()));
            }
        }
        if let Some(id) = cx
            .r(c)
            .get("properties.apiServerAccessProfile.subnetId")
            .str()
        {
            ids.push((
                c,
                "properties.apiServerAccessProfile.subnetId".into(),
                id.to_string(),
            ));
        }
        let mut seen = BTreeSet::new();
        for (res, path, id) in ids {
            if !seen.insert(id.to_ascii_lowercase()) {
                continue;
            }
            let Some(s) = cx.subnet_by_id(&id) else {
                cx.unknown(Some(res), &path, "names a subnet that is not in the input");
                continue;
            };
            match cx.q.default_route(s) {
                Err(e) => cx.unknown(Some(s.res), &format!("{}.routeTable.id", s.prefix), e),
                Ok(None) => cx.fail(
                    Some(s.res),
                    &format!("{}.routeTable", s.prefix),
                    format!(
                        "cluster subnet `{}` has no route table: egress bypasses the firewall",
                        s.name
                    ),
                ),
                Ok(Some(DefaultRoute {
                    res: r,
                    prefix,
                    hop,
                })) => {
                    let ip_path = format!("{prefix}.nextHopIpAddress");
                    match cx.r(r).get(&ip_path) {
                        Look::Value(ip)
                            if hop.eq_ignore_ascii_case("VirtualAppliance")
                                && ip.as_str().is_some_and(|ip| ips.contains(&ip)) =>
                        {
                            cx.pass(
                                Some(r),
                                &ip_path,
                                format!(
                                    "subnet `{}`: `0.0.0.0/0` → firewall `{}`",
                                    s.name,
                                    show(ip)
                                ),
                            );
                        }
                        Look::Unknown(u) => cx.unevaluated(r, &ip_path, u),
                        other => cx.fail(
                            Some(r),
                            &format!("{prefix}.nextHopType"),
                            format!(
                                "subnet `{}`: `0.0.0.0/0` goes to {} {}, not to the firewall ({})",
                                s.name,
                                if hop.is_empty() {
                                    "no route:"
                                } else {
                                    hop.as_str()
                                },
                                other.value().map(show).unwrap_or_default(),
                                if ips.is_empty() {
                                    "address unknown".to_string()
                                } else {
                                    ips.join(", ")
                                }
                            ),
                        ),
                    }
                }
            }
        }
    }
    for fw in firewalls {
        let policy = match cx.r(fw).get("properties.firewallPolicy.id") {
            Look::Value(v) => v.as_str().and_then(|id| cx.q.find_id(id)),
            Look::Unknown(u) => {
                cx.unevaluated(fw, "properties.firewallPolicy.id", u);
                continue;
            }
            Look::Missing => {
                cx.fail(
                    Some(fw),
                    "properties.firewallPolicy",
                    "the firewall has no firewall policy",
                );
                continue;
            }
        };
        let Some(pol) = policy else {
            cx.unknown(
                Some(fw),
                "properties.firewallPolicy.id",
                "names a firewall policy that is not in the input",
            );
            continue;
        };
        let premium = cx
            .r(pol)
            .get("properties.sku.tier")
            .str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Premium"));
        cx.check(pol, &THREAT_INTEL);
        if premium {
            cx.check(pol, &IDPS);
        }
        cx.check(pol, &DNS_PROXY);

        let mut fqdn_tag = None;
        let mut ntp = None;
        let groups = cx.q.named_under(types::RCG, &cx.r(pol).name);
        for g in groups {
            for (n, coll) in cx
                .r(g)
                .get("properties.ruleCollections")
                .array()
                .iter()
                .enumerate()
            {
                let allow = look(coll, "action.type")
                    .str()
                    .is_none_or(|a| a.eq_ignore_ascii_case("Allow"));
                for (m, rule) in look(coll, "rules").array().iter().enumerate() {
                    let path = format!("properties.ruleCollections[{n}].rules[{m}]");
                    let list = |k: &str| -> Vec<String> {
                        look(rule, k)
                            .array()
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    };
                    if list("fqdnTags")
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case("AzureKubernetesService"))
                    {
                        fqdn_tag.get_or_insert((g, path.clone()));
                    }
                    if list("destinationPorts").iter().any(|p| p == "123")
                        && list("ipProtocols")
                            .iter()
                            .any(|p| p.eq_ignore_ascii_case("UDP"))
                    {
                        ntp.get_or_insert((g, path.clone()));
                    }
                    let wild = ["destinationAddresses", "targetFqdns", "destinationFqdns"]
                        .iter()
                        .any(|k| list(k).iter().any(|d| d == "*" || d == "0.0.0.0/0"));
                    if allow && wild {
                        let name = look(rule, "name").str().unwrap_or("?").to_string();
                        cx.fail(
                            Some(g),
                            &path,
                            format!("rule `{name}` allows egress to anywhere"),
                        );
                    }
                }
            }
        }
        match fqdn_tag {
            Some((g, p)) => cx.pass(
                Some(g),
                &p,
                "application rule with FQDN tag `AzureKubernetesService`",
            ),
            None => cx.fail(
                Some(pol),
                "ruleCollectionGroups",
                "no application rule with FQDN tag `AzureKubernetesService`",
            ),
        }
        match ntp {
            Some((g, p)) => cx.pass(Some(g), &p, "NTP (UDP 123) rule"),
            None => cx.fail(Some(pol), "ruleCollectionGroups", "no NTP (UDP 123) rule"),
        }
    }
}

fn egress_forced_tunnel(cx: &mut Cx) {
    let firewalls: Vec<usize> = cx.q.of_type(types::FW).map(|(i, _)| i).collect();
    for fw in firewalls {
        let fw_subnet = cx
            .r(fw)
            .get("properties.ipConfigurations")
            .array()
            .iter()
            .find_map(|cfg| look(cfg, "properties.subnet.id").str().map(str::to_string));
        let Some(fw_subnet) = fw_subnet.and_then(|id| cx.subnet_by_id(&id)) else {
            continue;
        };
        let route = cx.q.default_route(fw_subnet);
        let upstream = matches!(&route, Ok(Some(r)) if !r.hop.is_empty() && !r.hop.eq_ignore_ascii_case("Internet"));
        let mgmt = !matches!(
            cx.r(fw).get("properties.managementIpConfiguration"),
            Look::Missing
        );
        if !upstream && !mgmt {
            continue;
        }
        if mgmt {
            cx.pass(
                Some(fw),
                "properties.managementIpConfiguration",
                "the firewall has a management IP configuration",
            );
        } else {
            cx.fail(
                Some(fw),
                "properties.managementIpConfiguration",
                "`AzureFirewallSubnet` routes upstream but the firewall has no management IP configuration: it cannot be managed",
            );
        }
        let has_mgmt_subnet =
            cx.q.subnet(&fw_subnet.vnet, subnets::FIREWALL_MANAGEMENT)
                .is_some();
        if has_mgmt_subnet {
            cx.pass(
                Some(fw_subnet.res),
                "properties.subnets",
                "`AzureFirewallManagementSubnet` exists",
            );
        } else {
            cx.fail(
                Some(fw_subnet.res),
                "properties.subnets",
                "no `AzureFirewallManagementSubnet` in the hub VNet",
            );
        }
        match route {
            Ok(Some(DefaultRoute {
                res: r,
                prefix,
                hop,
            })) if upstream => {
                let ip = cx.r(r).get(&format!("{prefix}.nextHopIpAddress")).value().map(show).unwrap_or_default();
                cx.pass(Some(r), &prefix, format!("`AzureFirewallSubnet`: `0.0.0.0/0` → {hop} {ip}"));
            }
            Err(e) => cx.unknown(Some(fw_subnet.res), &format!("{}.routeTable.id", fw_subnet.prefix), e),
            _ => cx.fail(
                Some(fw_subnet.res),
                &format!("{}.routeTable", fw_subnet.prefix),
                "the firewall is in forced-tunnelling mode but `AzureFirewallSubnet` has no route sending `0.0.0.0/0` upstream",
            ),
        }
    }
    if cx.f.is_empty() {
        cx.na("no upstream next hop is named; the firewall egresses to the internet directly");
    }
}

fn gov_locks_tags(cx: &mut Cx) {
    let tier = cx.tier();
    if matches!(tier, Tier::Prod | Tier::Regulated) {
        if cx.live() {
            cx.gap("resource group locks are not in a live cluster's JSON");
        } else {
            // Resource groups in order of their first resource, each read once.
            let mut seen = BTreeSet::new();
            let mut groups: Vec<usize> = Vec::new();
            let mut last: Option<(&Place, &Place)> = None;
            for (i, r) in cx.i.resources.iter().enumerate() {
                if let Some(rg) = &r.resource_group {
                    // Resources of one group mostly come together: the group just seen is known.
                    if last == Some((&r.subscription, rg)) {
                        continue;
                    }
                    last = Some((&r.subscription, rg));
                    if seen.insert((r.subscription.key(), rg.key())) {
                        groups.push(i);
                    }
                }
            }
            // The first lock of each group that forbids deletion.
            let mut locks = BTreeMap::new();
            for (l, lr) in cx.q.of_type(types::LOCK) {
                let level = lr.get("properties.level").str().is_some_and(|v| {
                    v.eq_ignore_ascii_case("CanNotDelete") || v.eq_ignore_ascii_case("ReadOnly")
                });
                if let (None, Some(g), true) = (&lr.scope, &lr.resource_group, level) {
                    locks.entry((lr.subscription.key(), g.key())).or_insert(l);
                }
            }
            for first in groups {
                let r = &cx.i.resources[first];
                let lock = r
                    .resource_group
                    .as_ref()
                    .and_then(|g| locks.get(&(r.subscription.key(), g.key())).copied());
                let name = cx.q.rg_name(first);
                match lock {
                    Some(l) => {
                        cx.pass(Some(l), "properties.level", format!("{name} is locked"));
                    }
                    None => cx.fail(
                        Some(first),
                        types::LOCK,
                        format!("{name} has no `CanNotDelete` lock"),
                    ),
                }
            }
        }
    }
    let want = cx.i.tags.clone();
    let mut tagged = 0usize;
    for (i, r) in cx.i.resources.iter().enumerate() {
        let segs = r.rtype.split('/').count();
        let ns = r.rtype.split('/').next().unwrap_or_default();
        // Cluster extensions and Flux configurations take no tags either.
        let taggable = segs == 2
            && ![
                "microsoft.authorization",
                "microsoft.security",
                "microsoft.insights",
                "microsoft.kubernetesconfiguration",
            ]
            .iter()
            .any(|x| ns.eq_ignore_ascii_case(x))
            && !r.is(types::DEPLOYMENT);
        if !taggable {
            continue;
        }
        match r.get("tags") {
            Look::Value(Json::Object(tags)) if !tags.is_empty() => {
                let missing: Vec<String> = want
                    .iter()
                    .flatten()
                    .filter(|(k, v)| tags.get(*k).and_then(Json::as_str) != Some(v.as_str()))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                if missing.is_empty() {
                    tagged += 1;
                } else {
                    cx.fail(
                        Some(i),
                        "tags",
                        format!("lacks the estate's tags {}", missing.join(", ")),
                    );
                }
            }
            Look::Unknown(u) => cx.unevaluated(i, "tags", u),
            _ => cx.fail(Some(i), "tags", "carries no tags"),
        }
    }
    if tagged > 0 {
        cx.pass(
            None,
            "tags",
            format!(
                "{tagged} resource{} carry {}",
                if tagged == 1 { "" } else { "s" },
                if want.as_ref().is_some_and(|w| !w.is_empty()) {
                    "the estate's tags"
                } else {
                    "tags"
                }
            ),
        );
    }
    if !matches!(tier, Tier::Prod | Tier::Regulated) && !cx.live() {
        cx.pass(
            None,
            "",
            format!("the {} tier asks for no locks", tier.as_str()),
        );
    }
}
