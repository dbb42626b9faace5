//! LOG-AUDIT: where the logs and metrics go. The control plane's audit log and the platform's
//! diagnostics, Container Insights through a data collection rule, managed Prometheus into an
//! Azure Monitor workspace, Defender, and someone to tell: an action group with receivers that
//! alerts reach.

use crate::audit::eval::{Cx, Rule};
use crate::audit::input::look;
use crate::azure::types;

/// LOG-AUDIT, on every cluster first: Container Insights and Defender's sensor.
const MONITORING: &[Rule] = &[
    Rule::is_true("properties.addonProfiles.omsagent.enabled"),
    Rule::is_true("properties.securityProfile.defender.securityMonitoring.enabled"),
];

pub(super) fn log_audit(cx: &mut Cx) {
    const CATEGORIES: &[&str] = &[
        "kube-audit-admin",
        "guard",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "cluster-autoscaler",
    ];
    let clusters = cx.clusters();
    if !cx.live() {
        match cx.q.of_type(types::LAW).next() {
            Some((w, r)) => {
                let name = r.name.clone();
                cx.pass(Some(w), "", format!("Log Analytics workspace `{name}`"));
            }
            None => cx.fail(None, "", "no Log Analytics workspace in the input"),
        }
    }
    for &c in &clusters {
        cx.check_all(c, "", MONITORING);
        if cx.live() {
            cx.gap("diagnostic settings and the Defender plan are not in a live cluster's JSON");
            continue;
        }
        let diags = cx.q.attached(types::DIAG, c);
        let (cats, unknown) = cx.q.enabled_logs(&diags);
        let all = cats.contains("group:alllogs");
        let missing: Vec<&str> = CATEGORIES
            .iter()
            .filter(|k| {
                let covered = all
                    || cats.contains(**k)
                    || (**k == "kube-audit-admin" && cats.contains("kube-audit"));
                !covered
            })
            .copied()
            .collect();
        let at = diags.first().copied().unwrap_or(c);
        if unknown && !missing.is_empty() {
            cx.unknown(
                Some(at),
                "properties.logs",
                "the diagnostic settings' logs cannot be evaluated",
            );
        } else if diags.is_empty() {
            cx.fail(
                Some(c),
                "diagnosticSettings",
                "the cluster has no diagnostic setting: no audit log",
            );
        } else if missing.is_empty() {
            cx.pass(
                Some(at),
                "properties.logs",
                format!("cluster sends {}", CATEGORIES.join(", ")),
            );
        } else {
            cx.fail(
                Some(at),
                "properties.logs",
                format!("cluster does not send {}", missing.join(", ")),
            );
        }
        collection(cx, c);
        match cx.q.defender_plan(c) {
            Some(p) => cx.pass(Some(p), "properties.pricingTier", "Defender for Containers plan `Standard` on the cluster's subscription"),
            None => cx.fail(
                Some(c),
                types::PRICING,
                "no Defender for Containers plan (`Microsoft.Security/pricings` `Containers`, `Standard`) on the cluster's subscription",
            ),
        }
    }
    if cx.live() {
        return;
    }
    if !clusters.is_empty() {
        told(cx);
    }
    let watched =
        cx.q.of_types(&[types::FW, types::KV, types::ACR, types::NSG]);
    for r in watched {
        let diags = cx.q.attached(types::DIAG, r);
        let (cats, unknown) = cx.q.enabled_logs(&diags);
        let what = format!("{} `{}`", cx.r(r).short_type(), cx.r(r).label);
        if !cats.is_empty() {
            cx.pass(
                Some(diags[0]),
                "properties.logs",
                format!("{what} sends its logs"),
            );
        } else if unknown {
            cx.unknown(
                Some(diags[0]),
                "properties.logs",
                format!("{what}: logs cannot be evaluated"),
            );
        } else {
            cx.fail(
                Some(r),
                "diagnosticSettings",
                format!("{what} sends no logs"),
            );
        }
    }
}

/// Whether data collection rule `r` has a data flow of `stream` into a destination of `kind`
/// (`logAnalytics`, `monitoringAccounts`).
fn flows(cx: &Cx, r: usize, stream: &str, kind: &str) -> bool {
    let res = cx.r(r);
    let names: Vec<String> = res
        .get(&format!("properties.destinations.{kind}"))
        .array()
        .iter()
        .filter_map(|d| look(d, "name").str().map(str::to_ascii_lowercase))
        .collect();
    res.get("properties.dataFlows").array().iter().any(|f| {
        let has_stream = look(f, "streams")
            .array()
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(stream)));
        let to_kind = look(f, "destinations").array().iter().any(|d| {
            d.as_str()
                .is_some_and(|d| names.contains(&d.to_ascii_lowercase()))
        });
        has_stream && to_kind
    })
}

/// Container Insights and managed Prometheus collect only through data collection rules
/// associated with the cluster: without one, the add-on runs and its data goes nowhere.
fn collection(cx: &mut Cx, c: usize) {
    let rules: Vec<usize> =
        cx.q.attached(types::DCRA, c)
            .into_iter()
            .filter_map(|a| {
                let id = cx.r(a).get("properties.dataCollectionRuleId").str()?;
                cx.q.find_id(id)
            })
            .collect();
    let logs = rules
        .iter()
        .copied()
        .find(|&r| flows(cx, r, "Microsoft-ContainerLogV2", "logAnalytics"));
    match logs {
        Some(r) => cx.pass(
            Some(r),
            "properties.dataFlows",
            format!(
                "data collection rule `{}` sends ContainerLogV2 to Log Analytics",
                cx.r(r).name
            ),
        ),
        None => cx.fail(
            Some(c),
            "dataCollectionRuleAssociations",
            "no data collection rule associated with the cluster sends container logs (ContainerLogV2) to a Log Analytics workspace: Container Insights collects nothing",
        ),
    }
    let metrics = cx
        .r(c)
        .get("properties.azureMonitorProfile.metrics.enabled")
        .bool()
        == Some(true);
    let prometheus = rules
        .iter()
        .copied()
        .find(|&r| flows(cx, r, "Microsoft-PrometheusMetrics", "monitoringAccounts"));
    match (metrics, prometheus) {
        (true, Some(r)) => cx.pass(
            Some(r),
            "properties.dataFlows",
            format!(
                "managed Prometheus: data collection rule `{}` sends metrics to an Azure Monitor workspace",
                cx.r(r).name
            ),
        ),
        (true, None) => cx.fail(
            Some(c),
            "dataCollectionRuleAssociations",
            "managed Prometheus is on but no data collection rule associated with the cluster sends its metrics to an Azure Monitor workspace",
        ),
        (false, _) => cx.fail(
            Some(c),
            "properties.azureMonitorProfile.metrics.enabled",
            "no managed Prometheus: the cluster's metrics go nowhere and no node or pod alert can fire",
        ),
    }
}

/// Someone is told: an action group with at least one receiver, and alerts that notify one.
fn told(cx: &mut Cx) {
    const RECEIVERS: &[&str] = &[
        "emailReceivers",
        "smsReceivers",
        "webhookReceivers",
        "azureAppPushReceivers",
        "voiceReceivers",
        "logicAppReceivers",
        "azureFunctionReceivers",
        "eventHubReceivers",
        "itsmReceivers",
        "armRoleReceivers",
        "automationRunbookReceivers",
    ];
    let groups: Vec<usize> =
        cx.q.of_type(types::ACTION_GROUP)
            .filter(|(_, g)| {
                RECEIVERS
                    .iter()
                    .any(|k| !g.get(&format!("properties.{k}")).array().is_empty())
            })
            .map(|(i, _)| i)
            .collect();
    let alerts =
        cx.q.of_types(&[types::PROM_RULES, types::ACTIVITY_ALERT, types::QUERY_ALERT]);
    match (groups.first(), alerts.first()) {
        (Some(&g), Some(_)) => cx.pass(
            Some(g),
            "properties",
            format!(
                "action group `{}` has receivers, and {} alert resources notify",
                cx.r(g).name,
                alerts.len()
            ),
        ),
        (None, _) => cx.fail(
            None,
            types::ACTION_GROUP,
            "no action group with a receiver: nobody is told when a node pool is exhausted or the firewall drops traffic (estate: `alerts.email`)",
        ),
        (Some(_), None) => cx.fail(
            None,
            types::PROM_RULES,
            "no alert rules: the action group is never notified",
        ),
    }
}
