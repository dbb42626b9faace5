//! Azure Firewall policies and how they decide: rules of a parent policy before the child's;
//! DNAT rules, then network rules, then application rules, each kind in rule collection group
//! priority then rule collection priority; the first rule that matches decides, and nothing
//! matching is denied. FQDNs in network rules need the DNS proxy; application rules match host
//! names (a leading `*` matches any number of labels) and FQDN tags.

use super::Step;
use super::addr::{Addr, Cidr, RangeIndex, Tri, fqdn_matches, port_in, prefix_matches};
use super::net::{Conn, FirstMatch, Net, Ordered, Ref, Trace};
use crate::audit::input::{Look, as_unknown, look};
use crate::azure::types;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// The FQDNs the `AzureKubernetesService` FQDN tag holds, as Microsoft documents the AKS egress
/// requirements the tag covers. A name not listed may or may not be in the tag.
pub(crate) const AKS_TAG_FQDNS: &[&str] = &[
    "mcr.microsoft.com",
    "*.data.mcr.microsoft.com",
    "mcr-0001.mcr-msedge.net",
    "management.azure.com",
    "login.microsoftonline.com",
    "packages.microsoft.com",
    "acs-mirror.azureedge.net",
    "packages.aks.azure.com",
    "*.hcp.*.azmk8s.io",
];

/// What a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RuleKind {
    Nat,
    Network,
    Application,
}

/// One rule of a policy.
#[derive(Debug, Clone)]
pub(crate) struct FwRule {
    pub res: usize,
    pub path: String,
    pub group: String,
    pub gprio: i64,
    pub coll: String,
    pub cprio: i64,
    pub kind: RuleKind,
    pub allow: bool,
    pub name: String,
    pub sources: Vec<Result<Cidr, String>>,
    pub source_groups: bool,
    pub protocols: Vec<String>,
    pub dest_addrs: Vec<String>,
    pub dest_fqdns: Vec<String>,
    pub dest_groups: bool,
    pub ports: Vec<String>,
    pub app_protocols: Vec<(String, u16)>,
    pub target_fqdns: Vec<String>,
    pub fqdn_tags: Vec<String>,
    pub other_targets: Option<String>,
    pub translated: Option<String>,
    pub unknown: Option<String>,
    /// How deep in the parent chain the rule's policy sits (parents first).
    pub depth: usize,
}

/// A firewall policy.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub res: usize,
    pub name: String,
    pub dns_proxy: Tri,
    pub dns_servers: Result<Vec<String>, String>,
    pub rules: Vec<FwRule>,
    /// The rules a source range can match, found without reading every rule.
    pub by_source: BySource,
}

/// The rules of a policy by source range. A rule whose every source is a known range matches
/// only traffic from inside one of them, so a query reads just the rules with a range that
/// overlaps its source, and the rules whose sources the model cannot read (IP groups,
/// unparsed text, unknown values).
#[derive(Debug, Clone, Default)]
pub(crate) struct BySource {
    ranges: RangeIndex,
    /// Rules that are always candidates.
    loose: Vec<usize>,
}

impl BySource {
    fn new(rules: &[FwRule]) -> BySource {
        let mut loose = Vec::new();
        let mut ranges = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let known: Option<Vec<Cidr>> = if r.unknown.is_some() || r.source_groups {
                None
            } else {
                r.sources.iter().map(|s| s.as_ref().ok().copied()).collect()
            };
            match known {
                Some(cidrs) => ranges.extend(cidrs.into_iter().map(|c| (c, i))),
                None => loose.push(i),
            }
        }
        BySource {
            ranges: RangeIndex::new(ranges),
            loose,
        }
    }

    /// The rules that may match traffic from `src`, in processing order, each with whether
    /// one of its sources is known to hold all of `src`.
    pub(crate) fn candidates(&self, src: Cidr) -> Vec<(usize, bool)> {
        let mut out = self.ranges.overlapping(src);
        out.extend(self.loose.iter().map(|&i| (i, false)));
        out.sort_unstable();
        out
    }
}

fn list(v: &Json, key: &str, unknown: &mut Option<String>) -> Vec<String> {
    match look(v, key) {
        Look::Unknown(u) => {
            *unknown = Some(u.to_string());
            Vec::new()
        }
        l => l
            .array()
            .iter()
            .filter_map(|x| match x {
                Json::String(s) => Some(s.clone()),
                other => {
                    if let Some(u) = as_unknown(other) {
                        *unknown = Some(u.to_string());
                    } else if let Some(n) = other.as_i64() {
                        return Some(n.to_string());
                    }
                    None
                }
            })
            .collect(),
    }
}

fn own_rules(n: &Net, policy: usize, depth: usize) -> Vec<FwRule> {
    let p = n.r(policy);
    let mut out = Vec::new();
    for g in n.q.named_under(types::RCG, &p.name) {
        let grp = n.r(g);
        let gprio = grp
            .get("properties.priority")
            .value()
            .and_then(Json::as_i64)
            .unwrap_or(i64::MAX);
        let gname = super::net::short(&grp.name).to_string();
        for (ci, coll) in grp
            .get("properties.ruleCollections")
            .array()
            .iter()
            .enumerate()
        {
            let cprio = look(coll, "priority")
                .value()
                .and_then(Json::as_i64)
                .unwrap_or(i64::MAX);
            let cname = look(coll, "name").str().unwrap_or("?").to_string();
            let allow = !look(coll, "action.type")
                .str()
                .is_some_and(|a| a.eq_ignore_ascii_case("Deny"));
            let nat = look(coll, "ruleCollectionType")
                .str()
                .is_some_and(|t| t.to_ascii_lowercase().contains("nat"));
            for (ri, rule) in look(coll, "rules").array().iter().enumerate() {
                let mut unknown = None;
                let kind = match look(rule, "ruleType")
                    .str()
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("natrule") => RuleKind::Nat,
                    Some("networkrule") => RuleKind::Network,
                    Some("applicationrule") => RuleKind::Application,
                    _ if nat => RuleKind::Nat,
                    _ => {
                        unknown = Some("a rule of unknown type".to_string());
                        RuleKind::Network
                    }
                };
                let sources = list(rule, "sourceAddresses", &mut unknown)
                    .into_iter()
                    .map(|s| {
                        if s.trim() == "*" {
                            Ok(Cidr::ANY)
                        } else {
                            Cidr::parse(&s).ok_or(s)
                        }
                    })
                    .collect();
                let app_protocols = look(rule, "protocols")
                    .array()
                    .iter()
                    .filter_map(|p| {
                        let t = look(p, "protocolType").str()?.to_string();
                        let port = look(p, "port")
                            .value()
                            .and_then(Json::as_u64)
                            .and_then(|x| u16::try_from(x).ok())?;
                        Some((t, port))
                    })
                    .collect();
                let web = list(rule, "webCategories", &mut unknown);
                let urls = list(rule, "targetUrls", &mut unknown);
                let other_targets = if !web.is_empty() {
                    Some(format!("web categories {}", web.join(", ")))
                } else if !urls.is_empty() {
                    Some(format!("target URLs {}", urls.join(", ")))
                } else {
                    None
                };
                out.push(FwRule {
                    res: g,
                    path: format!("properties.ruleCollections[{ci}].rules[{ri}]"),
                    group: gname.clone(),
                    gprio,
                    coll: cname.clone(),
                    cprio,
                    kind,
                    allow,
                    name: look(rule, "name").str().unwrap_or("?").to_string(),
                    sources,
                    source_groups: !look(rule, "sourceIpGroups").array().is_empty(),
                    protocols: list(rule, "ipProtocols", &mut unknown),
                    dest_addrs: list(rule, "destinationAddresses", &mut unknown),
                    dest_fqdns: list(rule, "destinationFqdns", &mut unknown),
                    dest_groups: !look(rule, "destinationIpGroups").array().is_empty(),
                    ports: list(rule, "destinationPorts", &mut unknown),
                    app_protocols,
                    target_fqdns: list(rule, "targetFqdns", &mut unknown),
                    fqdn_tags: list(rule, "fqdnTags", &mut unknown),
                    other_targets,
                    translated: look(rule, "translatedAddress").str().map(str::to_string),
                    unknown,
                    depth,
                });
            }
        }
    }
    out
}

/// Every policy of the input, with its rules (a parent's first) in processing order.
pub(crate) fn policies(n: &Net) -> BTreeMap<usize, Policy> {
    let mut out = BTreeMap::new();
    for (res, p) in n.q.of_type(types::FWP) {
        let mut chain = vec![res];
        let mut cur = res;
        while chain.len() < 8 {
            match n.reference(n.r(cur).get("properties.basePolicy.id")) {
                Ref::At(b) if !chain.contains(&b) => {
                    chain.push(b);
                    cur = b;
                }
                _ => break,
            }
        }
        let mut rules = Vec::new();
        for (depth, pol) in chain.iter().rev().enumerate() {
            rules.extend(own_rules(n, *pol, depth));
        }
        rules.sort_by_key(|r| (r.kind, r.depth, r.gprio, r.cprio));
        let dns_proxy = match p.get("properties.dnsSettings.enableProxy") {
            Look::Missing => Tri::No,
            Look::Unknown(u) => Tri::Maybe(format!("is `{u}`")),
            Look::Value(v) => {
                if v.as_bool() == Some(true)
                    || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
                {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
        };
        let dns_servers = match p.get("properties.dnsSettings.servers") {
            Look::Unknown(u) => Err(u.to_string()),
            l => Ok(l
                .array()
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect()),
        };
        out.insert(
            res,
            Policy {
                res,
                name: p.name.clone(),
                dns_proxy,
                dns_servers,
                by_source: BySource::new(&rules),
                rules,
            },
        );
    }
    out
}

/// The policy of firewall `f`, or why there is none to judge.
pub(crate) fn policy_of<'n>(n: &'n Net, f: usize) -> Result<&'n Policy, String> {
    let fw = &n.firewalls[f];
    match &fw.policy {
        Ref::At(p) => n
            .policies
            .get(p)
            .ok_or_else(|| format!("`{}` is not a firewall policy", n.r(*p).name)),
        Ref::None => Err(format!(
            "firewall `{}` has no firewall policy (classic rules are not modelled)",
            fw.name
        )),
        Ref::Unknown(u) => Err(format!(
            "the policy of firewall `{}` is `{u}`, which the audit cannot evaluate",
            fw.name
        )),
        Ref::Absent(id) => Err(format!(
            "the policy of firewall `{}` (`{id}`) is not in the input",
            fw.name
        )),
    }
}

fn source_matches(rule: &FwRule, src: Cidr) -> Tri {
    let mut t = Tri::any(rule.sources.iter().map(|s| match s {
        Ok(c) if c.contains(src) => Tri::Yes,
        Ok(c) if c.overlaps(src) => Tri::Maybe(format!("source {c} covers part of {src}")),
        Ok(_) => Tri::No,
        Err(s) => Tri::Maybe(format!("source `{s}`")),
    }));
    if rule.source_groups {
        t = t.or(Tri::Maybe(
            "IP groups, whose members the model does not see".into(),
        ));
    }
    t
}

fn aks_tag(fqdn: &str) -> Tri {
    if AKS_TAG_FQDNS.iter().any(|p| {
        if p.contains(".*.") {
            // `*.hcp.<region>.azmk8s.io`
            let l = fqdn.to_ascii_lowercase();
            l.contains(".hcp.") && l.ends_with(".azmk8s.io")
        } else {
            fqdn_matches(p, fqdn) == Tri::Yes
        }
    }) {
        Tri::Yes
    } else {
        Tri::Maybe(format!(
            "{fqdn} is not among the FQDNs Microsoft documents for the AzureKubernetesService tag"
        ))
    }
}

/// Whether `rule` matches; `held` says one of its sources is known to hold all of `src`.
fn rule_matches(
    policy: &Policy,
    rule: &FwRule,
    src: Cidr,
    held: bool,
    dst: &Addr,
    conn: Conn,
) -> Tri {
    let source = || {
        if held {
            Tri::Yes
        } else {
            source_matches(rule, src)
        }
    };
    if let Some(u) = &rule.unknown {
        return Tri::Maybe(format!("rule `{}` is `{u}`", rule.name));
    }
    match rule.kind {
        RuleKind::Nat => Tri::No,
        RuleKind::Network => {
            let proto = rule.protocols.iter().any(|p| {
                p.eq_ignore_ascii_case(conn.proto.as_str()) || p.eq_ignore_ascii_case("Any")
            });
            if !proto || !rule.ports.iter().any(|p| port_in(p, conn.port)) {
                return Tri::No;
            }
            let mut dest = Tri::any(rule.dest_addrs.iter().map(|p| prefix_matches(p, dst, None)));
            if let Some(fqdn) = dst.fqdn() {
                let named = Tri::any(rule.dest_fqdns.iter().map(|p| {
                    if p.contains('*') {
                        Tri::No
                    } else {
                        fqdn_matches(p, fqdn)
                    }
                }));
                dest = dest.or(match (named, &policy.dns_proxy) {
                    (Tri::No, _) | (_, Tri::No) => Tri::No,
                    (m, Tri::Yes) => m,
                    (_, Tri::Maybe(w)) => Tri::Maybe(format!("the DNS proxy {w}")),
                });
            }
            if rule.dest_groups {
                dest = dest.or(Tri::Maybe(
                    "IP groups, whose members the model does not see".into(),
                ));
            }
            source().and(dest)
        }
        RuleKind::Application => {
            let Some(scheme) = conn.scheme else {
                return Tri::No;
            };
            if !rule
                .app_protocols
                .iter()
                .any(|(t, p)| t.eq_ignore_ascii_case(scheme) && *p == conn.port)
            {
                return Tri::No;
            }
            let target = match dst.fqdn() {
                Some(fqdn) => {
                    let mut t = Tri::any(rule.target_fqdns.iter().map(|p| fqdn_matches(p, fqdn)));
                    for tag in &rule.fqdn_tags {
                        t = t.or(if tag.eq_ignore_ascii_case("AzureKubernetesService") {
                            aks_tag(fqdn)
                        } else {
                            Tri::Maybe(format!(
                                "FQDN tag `{tag}`, whose contents the model does not know"
                            ))
                        });
                    }
                    if let Some(o) = &rule.other_targets {
                        t = t.or(Tri::Maybe(o.clone()));
                    }
                    t
                }
                // The firewall connects to what the host name resolves to, never to the address
                // the client asked for; only a rule for every name can reach a bare address.
                None => {
                    if rule.target_fqdns.iter().any(|p| p.trim() == "*") {
                        Tri::Maybe(
                            "target FQDN `*` admits any name, which may resolve to this address"
                                .into(),
                        )
                    } else {
                        Tri::No
                    }
                }
            };
            source().and(target)
        }
    }
}

/// Judge traffic from `src` to `dst` at firewall `f`; adds the hop and says whether it passes.
pub(crate) fn filter(n: &Net, t: &mut Trace, f: usize, src: Cidr, dst: &Addr, conn: Conn) {
    let fw_name = &n.firewalls[f].name;
    let policy = match policy_of(n, f) {
        Ok(p) => p,
        Err(why) => {
            t.unknown(
                Step::Firewall,
                why,
                Some((n.firewalls[f].res, "properties.firewallPolicy")),
            );
            return;
        }
    };
    let mut walk = FirstMatch::new(Step::Firewall, "is processed before");
    for (i, held) in policy.by_source.candidates(src) {
        let rule = &policy.rules[i];
        let m = rule_matches(policy, rule, src, held, dst, conn);
        if m == Tri::No {
            continue;
        }
        let desc = text!(
            "firewall `",
            fw_name,
            "` policy `",
            policy.name,
            "`: ",
            if rule.kind == RuleKind::Application {
                "application"
            } else {
                "network"
            },
            " rule `",
            rule.name,
            "` in collection `",
            rule.coll,
            "` (priority ",
            rule.cprio,
            ") of group `",
            rule.group,
            "` (priority ",
            rule.gprio,
            ") ",
            if rule.allow { "allows" } else { "denies" },
            " ",
            src,
            " → ",
            *dst,
            " ",
            conn,
        );
        let ordered = Ordered {
            allow: rule.allow,
            res: rule.res,
            path: &rule.path,
            name: &rule.name,
        };
        if walk.rule(t, m, ordered, desc) {
            return;
        }
    }
    let none = format!(
        "firewall `{fw_name}` policy `{}`: no rule allows {src} → {} {}; Azure Firewall denies what no rule allows",
        policy.name, dst, conn
    );
    match walk.may_allow() {
        Some((m, why)) => t.unknown(
            Step::Firewall,
            format!("{why}; otherwise {none}"),
            Some((m.res, m.path)),
        ),
        None => t.block(Step::Firewall, none, Some((policy.res, "properties"))),
    }
}

/// DNAT rules of every policy that translate to an address inside `range`:
/// (description, resource, path, translated address).
pub(crate) fn dnat_into(n: &Net, range: Cidr) -> Vec<(String, usize, String, Cidr)> {
    let mut out = Vec::new();
    for p in n.policies.values() {
        for r in p.rules.iter().filter(|r| r.kind == RuleKind::Nat) {
            if let Some(c) = r.translated.as_deref().and_then(Cidr::parse) {
                if range.overlaps(c) {
                    out.push((
                        format!(
                            "DNAT rule `{}` of policy `{}` translates to {c}",
                            r.name, p.name
                        ),
                        r.res,
                        r.path.clone(),
                        c,
                    ));
                }
            }
        }
    }
    out
}
