//! NET-INGRESS-WAF (securing workloads): workloads reach the internet only through a web
//! application firewall that blocks, and clusters cannot publish a load balancer of their own.

use crate::audit::catalogue::{Control, Live, Section::SecuringWorkloads, Severity::High};
use crate::audit::eval::{Check, Cx, eq, show};
use crate::audit::input::{Look, look};
use crate::audit::query::last_segment;
use crate::azure::{policies, types};
use crate::posture::{ControlId, Tier};
use serde_json::Value as Json;

/// The control.
pub(super) const CONTROL: Control = Control {
    id: ControlId::NetIngressWaf,
    severity: High,
    section: SecuringWorkloads,
    topic: "Capabilities of filtering network traffic with policies, azure firewall or network appliances",
    title: "public exposure only through a WAF in Prevention mode; internal load balancers only",
    demands: "Every Application Gateway is `WAF_v2` with a WAF policy (`ApplicationGatewayWebApplicationFirewallPolicies`) that is enabled, in `Prevention` mode (prod-like tiers), with Microsoft's default rule set (`Microsoft_DefaultRuleSet` 2.1 or `OWASP` 3.2); its TLS policy allows TLS 1.2 and newer only, and every plain-HTTP listener redirects to HTTPS. Every cluster carries the built-in policy \"Kubernetes clusters should use internal load balancers\" with effect `Deny` (prod-like tiers), so no Kubernetes service publishes a public IP around the WAF.",
    why: "An internet-facing service without a WAF meets every injection and scanner on the internet unfiltered; a WAF in Detection mode only writes down the attack that succeeds. A single `type: LoadBalancer` service is enough to publish a workload on a public IP that bypasses the gateway and the firewall.",
    fix: "Estate: `ingress: { type: applicationGateway, wafMode: Prevention }` on the spoke, with the Azure Policy add-on on. Template: `sku.tier: WAF_v2`, a `firewallPolicy` with `policySettings.mode: Prevention` and the managed rule sets, `sslPolicy.policyName: AppGwSslPolicy20220101S`, an HTTP listener that redirects, and a policy assignment of `3fc4dc25-5baf-40d8-9b05-7fe74c1bc64e` on each cluster with `effect: Deny`.",
    checkov: &["CKV_AZURE_120", "CKV_AZURE_122", "CKV_AZURE_218"],
    psrule: &[
        "Azure.AppGw.UseWAF",
        "Azure.AppGw.WAFEnabled",
        "Azure.AppGw.PreventionMode",
        "Azure.AppGw.MinTLS",
    ],
    cis: &[],
    live: Live::No,
    estate_keys: &[
        "/spokes/*/ingress/wafMode",
        "/spokes/*/ingress",
        "/spokes/*",
    ],
    check: Check::Code(ingress_waf),
};

/// TLS policies that allow TLS 1.2 and newer only.
const STRONG_TLS: &[&str] = &[
    "AppGwSslPolicy20220101",
    "AppGwSslPolicy20220101S",
    "AppGwSslPolicy20170401S",
];

fn is(l: Look<'_>, want: &str) -> bool {
    matches!(l, Look::Value(v) if eq(v, want))
}

fn ingress_waf(cx: &mut Cx) {
    if cx.live() {
        cx.gap("gateways and policy assignments are not in a live cluster's JSON");
        return;
    }
    let strict = cx.tier() != Tier::Dev;
    let gateways: Vec<usize> = cx.q.of_type(types::AGW).map(|(i, _)| i).collect();
    let clusters = cx.clusters();
    if gateways.is_empty() && clusters.is_empty() {
        cx.na("no Application Gateway and no cluster in the input");
        return;
    }
    for g in gateways {
        gateway(cx, g, strict);
    }
    for c in clusters {
        let assigned = cx.q.attached(types::POLICY, c).into_iter().find(|&a| {
            cx.r(a)
                .get("properties.policyDefinitionId")
                .str()
                .is_some_and(|d| {
                    last_segment(d).eq_ignore_ascii_case(policies::INTERNAL_LOAD_BALANCERS)
                })
        });
        let name = cx.r(c).name.clone();
        match assigned {
            Some(a) if is(cx.r(a).get("properties.parameters.effect.value"), "Deny") => cx.pass(
                Some(a),
                "properties.parameters.effect.value",
                format!("cluster `{name}` may only create internal load balancers (`Deny`)"),
            ),
            Some(a) if !strict => cx.pass(
                Some(a),
                "properties.parameters.effect.value",
                format!("cluster `{name}` reports public load balancers ({} tier)", cx.tier().as_str()),
            ),
            Some(a) => cx.fail(
                Some(a),
                "properties.parameters.effect.value",
                format!("does not deny public load balancers on cluster `{name}`; want `Deny`"),
            ),
            None if !strict => cx.pass(
                Some(c),
                "",
                format!("cluster `{name}` may publish load balancers ({} tier)", cx.tier().as_str()),
            ),
            None => cx.fail(
                Some(c),
                "",
                format!("cluster `{name}` has no \"internal load balancers only\" policy: a `type: LoadBalancer` service publishes a public IP around the WAF"),
            ),
        }
    }
}

fn gateway(cx: &mut Cx, g: usize, strict: bool) {
    let r = cx.r(g);
    let name = r.name.clone();
    match r.get("properties.sku.tier") {
        Look::Value(v) if eq(v, "WAF_v2") => cx.pass(Some(g), "properties.sku.tier", "is `WAF_v2`"),
        Look::Unknown(u) => cx.unevaluated(g, "properties.sku.tier", u),
        other => cx.fail(
            Some(g),
            "properties.sku.tier",
            format!(
                "is `{}`; want `WAF_v2`",
                other.value().map_or_else(|| "unset".into(), show)
            ),
        ),
    }
    match r.get("properties.sslPolicy.policyName").str() {
        Some(p) if STRONG_TLS.iter().any(|s| s.eq_ignore_ascii_case(p)) => cx.pass(
            Some(g),
            "properties.sslPolicy.policyName",
            format!("is `{p}` (TLS 1.2 and newer)"),
        ),
        _ if is(r.get("properties.sslPolicy.minProtocolVersion"), "TLSv1_2")
            || is(r.get("properties.sslPolicy.minProtocolVersion"), "TLSv1_3") =>
        {
            cx.pass(
                Some(g),
                "properties.sslPolicy.minProtocolVersion",
                "allows TLS 1.2 and newer only",
            );
        }
        _ => cx.fail(
            Some(g),
            "properties.sslPolicy",
            "does not limit clients to TLS 1.2 and newer; want `AppGwSslPolicy20220101S`",
        ),
    }
    let listeners = r.get("properties.httpListeners").array();
    let rules = r.get("properties.requestRoutingRules").array();
    for l in listeners {
        let lname = look(l, "name").str().unwrap_or_default();
        if !matches!(look(l, "properties.protocol"), Look::Value(v) if eq(v, "Http")) {
            continue;
        }
        let redirects = rules.iter().any(|rule| {
            look(rule, "properties.httpListener.id")
                .str()
                .is_some_and(|id| last_segment(id).eq_ignore_ascii_case(lname))
                && matches!(
                    look(rule, "properties.redirectConfiguration"),
                    Look::Value(_)
                )
        });
        if redirects {
            cx.pass(
                Some(g),
                "properties.httpListeners",
                format!("listener `{lname}` redirects HTTP to HTTPS"),
            );
        } else {
            cx.fail(
                Some(g),
                "properties.httpListeners",
                format!("listener `{lname}` serves plain HTTP"),
            );
        }
    }
    let policy_path = "properties.firewallPolicy.id";
    let Some(policy) = r.get(policy_path).str().and_then(|id| cx.q.find_id(id)) else {
        cx.fail(
            Some(g),
            policy_path,
            format!("gateway `{name}` has no WAF policy in the input"),
        );
        return;
    };
    let p = cx.r(policy);
    if !is(p.get("properties.policySettings.state"), "Enabled") {
        cx.fail(
            Some(policy),
            "properties.policySettings.state",
            "is not `Enabled`",
        );
    }
    let mode = "properties.policySettings.mode";
    match p.get(mode) {
        Look::Value(v) if eq(v, "Prevention") => cx.pass(Some(policy), mode, "is `Prevention`"),
        Look::Unknown(u) => cx.unevaluated(policy, mode, u),
        other if !strict => cx.pass(
            Some(policy),
            mode,
            format!(
                "is `{}`: attacks are logged, not blocked ({} tier)",
                other.value().map_or_else(|| "Detection".into(), show),
                cx.tier().as_str()
            ),
        ),
        other => cx.fail(
            Some(policy),
            mode,
            format!(
                "is `{}`: attacks are logged, not blocked; want `Prevention`",
                other
                    .value()
                    .map_or_else(|| "Detection (the default)".into(), show)
            ),
        ),
    }
    let sets = p.get("properties.managedRules.managedRuleSets").array();
    let core = sets.iter().find(|s| {
        let t = look(s, "ruleSetType").str().unwrap_or_default();
        let v = look(s, "ruleSetVersion").str().unwrap_or_default();
        (t.eq_ignore_ascii_case("Microsoft_DefaultRuleSet") && v >= "2.1")
            || (t.eq_ignore_ascii_case("OWASP") && v >= "3.2")
    });
    let path = "properties.managedRules.managedRuleSets";
    match core.map(|s| look(s, "ruleSetType").str().unwrap_or_default()) {
        Some(t) => cx.pass(Some(policy), path, format!("include `{t}`")),
        None => cx.fail(
            Some(policy),
            path,
            format!(
                "include no current core rule set ({}); want `Microsoft_DefaultRuleSet` 2.1",
                sets.iter()
                    .map(|s| show(look(s, "ruleSetType").value().unwrap_or(&Json::Null)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
}
