//! What happens after deployment: each spoke's Azure Monitor workspace with managed Prometheus,
//! the data collection rules that make Container Insights and Prometheus collect (and their
//! associations with the cluster), the action group the estate's receivers form, and the alerts
//! that tell it when nodes, pods or the API server fail; the hub's firewall alerts.
//!
//! Order: `<spoke>-monitoring` (workspace, endpoint, rules, action group) before the cluster,
//! whose deployment associates the rules with it; `<spoke>-alerts` after the cluster, because an
//! alert's scope must exist when the alert is created.
//!
//! Private monitoring (`monitoring.private`) closes what Azure Monitor lets close without a
//! Private Link Scope, whose type aks-harden cannot emit: the Azure Monitor workspace refuses
//! public queries and gets a private endpoint (`prometheusMetrics`) in the spoke's private
//! endpoint subnet, resolved through the hub's `privatelink.<region>.prometheus.monitor.azure.com`
//! zone. The data collection endpoint and Log Analytics keep public network access: with it
//! disabled they accept only what arrives through a Private Link Scope, and ingestion would stop.

use super::spoke::workspace_id;
use super::{res, rg_deployment, rid, rid_in, spoke_sub_param, tags, types};
use crate::ir::{Deployment, Expr, Resource, Target, Value};
use crate::model::{Estate, Spoke};
use crate::obj;

/// Container Insights streams a platform team reads: container logs (the V2 schema), Kubernetes
/// events and inventories, and the node and container performance counters.
const INSIGHTS_STREAMS: &[&str] = &[
    "Microsoft-ContainerLogV2",
    "Microsoft-KubeEvents",
    "Microsoft-KubePodInventory",
    "Microsoft-KubeNodeInventory",
    "Microsoft-KubePVInventory",
    "Microsoft-KubeServices",
    "Microsoft-KubeMonAgentEvents",
    "Microsoft-InsightsMetrics",
    "Microsoft-ContainerInventory",
    "Microsoft-ContainerNodeInventory",
    "Microsoft-Perf",
];

/// Namespaces whose container logs Container Insights leaves out: AKS's own, already covered by
/// the control plane's diagnostic settings and noisy enough to dominate the bill.
const UNLOGGED_NAMESPACES: &[&str] = &["kube-system", "gatekeeper-system", "azure-arc"];

fn strings(xs: &[&str]) -> Value {
    Value::Expr(Expr::Strings(xs.iter().map(|s| (*s).to_string()).collect()))
}

/// Names of a spoke's monitoring resources.
pub(crate) struct Names {
    /// Azure Monitor workspace.
    pub account: String,
    /// Data collection endpoint for Prometheus.
    pub endpoint: String,
    /// Container Insights data collection rule.
    pub insights: String,
    /// Prometheus data collection rule.
    pub prometheus: String,
    /// Action group.
    pub action_group: String,
}

pub(crate) fn names(estate: &Estate, s: &Spoke) -> Names {
    let base = format!("{}-{}", estate.name, s.key);
    Names {
        account: format!("amw-{base}"),
        endpoint: format!("dce-{base}-prometheus"),
        insights: format!("dcr-{base}-insights"),
        prometheus: format!("dcr-{base}-prometheus"),
        action_group: format!("ag-{base}"),
    }
}

/// The private DNS zone of Azure Monitor workspaces (`prometheusMetrics`) in the estate's region.
pub(crate) fn prometheus_zone(estate: &Estate) -> String {
    format!(
        "privatelink.{}.prometheus.monitor.azure.com",
        estate.location
    )
}

/// The id of a resource in the spoke's shared resource group.
fn shared_id(s: &Spoke, rtype: &str, name: &str) -> Expr {
    rid_in(&spoke_sub_param(s), &s.shared_rg, rtype, &[name])
}

/// An action group with the estate's email receivers.
fn action_group(estate: &Estate, id: &str, name: &str, short: &str) -> Resource {
    let emails: Vec<Value> = estate
        .alert_emails
        .iter()
        .map(|(n, a)| obj! { "name" => n, "emailAddress" => a, "useCommonAlertSchema" => true })
        .collect();
    let short: String = short.chars().take(12).collect();
    res(
        id,
        types::ACTION_GROUP,
        &[name],
        obj! {
            "location" => "global",
            "tags" => tags(estate),
            "properties" => obj! {
                "groupShortName" => short,
                "enabled" => true,
                "emailReceivers" => Value::Array(emails),
            },
        },
    )
}

/// The spoke's monitoring deployment: before the cluster, which associates the rules with itself.
pub(crate) fn monitoring(estate: &Estate, s: &Spoke) -> Option<Deployment> {
    let c = &s.cluster;
    if !c.container_insights && !c.managed_prometheus {
        return None;
    }
    let n = names(estate, s);
    let loc = estate.location.as_str();
    let mut out = Vec::new();
    if c.container_insights {
        out.push(res(
            "dcr_insights",
            types::DCR,
            &[&n.insights],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "kind" => "Linux",
                "properties" => obj! {
                    "description" => format!("Container Insights for {}: ContainerLogV2, events, inventories and performance", c.name),
                    "dataSources" => obj! {
                        "extensions" => vec![obj! {
                            "name" => "ContainerInsightsExtension",
                            "streams" => strings(INSIGHTS_STREAMS),
                            "extensionName" => "ContainerInsights",
                            "extensionSettings" => obj! {
                                "dataCollectionSettings" => obj! {
                                    "interval" => "1m",
                                    "namespaceFilteringMode" => "Exclude",
                                    "namespaces" => UNLOGGED_NAMESPACES.to_vec(),
                                    "enableContainerLogV2" => true,
                                },
                            },
                        }],
                    },
                    "destinations" => obj! {
                        "logAnalytics" => vec![obj! {
                            "workspaceResourceId" => workspace_id(s),
                            "name" => "ciworkspace",
                        }],
                    },
                    "dataFlows" => vec![obj! {
                        "streams" => strings(INSIGHTS_STREAMS),
                        "destinations" => vec!["ciworkspace"],
                    }],
                },
            },
        ));
    }
    let private = c.managed_prometheus && s.private_monitoring;
    if c.managed_prometheus {
        out.push(res(
            "monitor_workspace",
            types::MONITOR_ACCOUNT,
            &[&n.account],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "properties" => obj! {
                    "publicNetworkAccess" => if private { "Disabled" } else { "Enabled" },
                },
            },
        ));

        out.push(res(
            "dce_prometheus",
            types::DCE,
            &[&n.endpoint],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "kind" => "Linux",
                "properties" => obj! {
                    "description" => format!("Prometheus metrics from {}", c.name),
                    "networkAcls" => obj! { "publicNetworkAccess" => "Enabled" },
                },
            },
        ));
        let mut dcr = res(
            "dcr_prometheus",
            types::DCR,
            &[&n.prometheus],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "kind" => "Linux",
                "properties" => obj! {
                    "description" => format!("Managed Prometheus for {}", c.name),
                    "dataCollectionEndpointId" => rid(types::DCE, &[&n.endpoint]),
                    "dataSources" => obj! {
                        "prometheusForwarder" => vec![obj! {
                            "name" => "PrometheusDataSource",
                            "streams" => vec!["Microsoft-PrometheusMetrics"],
                            "labelIncludeFilter" => obj! {},
                        }],
                    },
                    "destinations" => obj! {
                        "monitoringAccounts" => vec![obj! {
                            "accountResourceId" => rid(types::MONITOR_ACCOUNT, &[&n.account]),
                            "name" => "MonitoringAccount",
                        }],
                    },
                    "dataFlows" => vec![obj! {
                        "streams" => strings(&["Microsoft-PrometheusMetrics"]),
                        "destinations" => vec!["MonitoringAccount"],
                    }],
                },
            },
        );
        dcr.depends_on = vec!["monitor_workspace".into(), "dce_prometheus".into()];
        out.push(dcr);
    }
    out.push(action_group(
        estate,
        "action_group",
        &n.action_group,
        &format!("aks-{}", s.key),
    ));
    Some(rg_deployment(
        format!("{}-monitoring", s.key),
        Some(&spoke_sub_param(s)),
        &s.shared_rg,
        out,
        vec![format!("{}-logs", s.key)],
    ))
}

/// The Azure Monitor workspace's private endpoint, when the spoke's monitoring is private:
/// queries (Grafana, workbooks, the PromQL API) come from the estate's networks only. Declared
/// in the spoke's shared deployment beside the vault's and the registry's, after the subnet and
/// the hub zone exist.
pub(crate) fn private_endpoint(estate: &Estate, s: &Spoke) -> Vec<Resource> {
    if !(s.cluster.managed_prometheus && s.private_monitoring) {
        return Vec::new();
    }
    let n = names(estate, s);
    super::spoke::private_endpoint(
        estate,
        s,
        "pe_monitor_workspace",
        rid(types::MONITOR_ACCOUNT, &[&n.account]),
        "prometheusMetrics",
        &[prometheus_zone(estate)],
        &[],
    )
}

/// The cluster's `azureMonitorProfile`, when managed Prometheus is on.
pub(crate) fn monitor_profile(s: &Spoke) -> Option<Value> {
    s.cluster.managed_prometheus.then(|| {
        obj! {
            "metrics" => obj! {
                "enabled" => true,
                "kubeStateMetrics" => obj! {
                    "metricLabelsAllowlist" => "",
                    "metricAnnotationsAllowList" => "",
                },
            },
        }
    })
}

/// The associations of the spoke's data collection rules with its cluster, declared in the
/// cluster's deployment.
pub(crate) fn associations(estate: &Estate, s: &Spoke) -> Vec<Resource> {
    let c = &s.cluster;
    let n = names(estate, s);
    let mut out = Vec::new();
    let mut assoc = |id: &str, name: &str, rule: &str, what: &str| {
        let mut r = res(
            id,
            types::DCRA,
            &[name],
            obj! {
                "properties" => obj! {
                    "description" => what,
                    "dataCollectionRuleId" => shared_id(s, types::DCR, rule),
                },
            },
        );
        r.scope = Some(Target::new(types::AKS, &[&c.name]));
        r.depends_on.push("cluster".into());
        out.push(r);
    };
    if c.container_insights {
        assoc(
            "dcra_insights",
            "ContainerInsightsExtension",
            &n.insights,
            "Container Insights collects through this rule",
        );
    }
    if c.managed_prometheus {
        assoc(
            "dcra_prometheus",
            &format!("MSProm-{}-{}", estate.location, c.name),
            &n.prometheus,
            "Managed Prometheus sends the cluster's metrics through this rule",
        );
    }
    out
}

/// A Prometheus rule: a recording rule (`record`) or an alert (`alert`, with its severity, `for`
/// and description).
struct Rule {
    name: &'static str,
    alert: bool,
    expression: &'static str,
    severity: u32,
    wait: &'static str,
    about: &'static str,
}

const fn record(name: &'static str, expression: &'static str) -> Rule {
    Rule {
        name,
        alert: false,
        expression,
        severity: 0,
        wait: "",
        about: "",
    }
}

const fn alert(
    name: &'static str,
    expression: &'static str,
    severity: u32,
    wait: &'static str,
    about: &'static str,
) -> Rule {
    Rule {
        name,
        alert: true,
        expression,
        severity,
        wait,
        about,
    }
}

/// Microsoft's recommended node recording rules for managed Prometheus.
const NODE_RECORDING: &[Rule] = &[
    record(
        "instance:node_num_cpu:sum",
        r#"count without (cpu, mode) (node_cpu_seconds_total{job="node",mode="idle"})"#,
    ),
    record(
        "instance:node_cpu_utilisation:rate5m",
        r#"1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{job="node", mode=~"idle|iowait|steal"}[5m])))"#,
    ),
    record(
        "instance:node_load1_per_cpu:ratio",
        r#"(node_load1{job="node"} / instance:node_num_cpu:sum{job="node"})"#,
    ),
    record(
        "instance:node_memory_utilisation:ratio",
        r#"1 - ((node_memory_MemAvailable_bytes{job="node"} or (node_memory_Buffers_bytes{job="node"} + node_memory_Cached_bytes{job="node"} + node_memory_MemFree_bytes{job="node"} + node_memory_Slab_bytes{job="node"})) / node_memory_MemTotal_bytes{job="node"})"#,
    ),
    record(
        "instance:node_vmstat_pgmajfault:rate5m",
        r#"rate(node_vmstat_pgmajfault{job="node"}[5m])"#,
    ),
    record(
        "instance:node_network_receive_bytes_excluding_lo:rate5m",
        r#"sum without (device) (rate(node_network_receive_bytes_total{job="node", device!="lo"}[5m]))"#,
    ),
    record(
        "instance:node_network_transmit_bytes_excluding_lo:rate5m",
        r#"sum without (device) (rate(node_network_transmit_bytes_total{job="node", device!="lo"}[5m]))"#,
    ),
];

/// Microsoft's recommended Kubernetes recording rules for managed Prometheus.
const KUBERNETES_RECORDING: &[Rule] = &[
    record(
        "node_namespace_pod_container:container_cpu_usage_seconds_total:sum_irate",
        r#"sum by (cluster, namespace, pod, container) (irate(container_cpu_usage_seconds_total{job="cadvisor", image!=""}[5m])) * on (cluster, namespace, pod) group_left(node) topk by (cluster, namespace, pod) (1, max by(cluster, namespace, pod, node) (kube_pod_info{node!=""}))"#,
    ),
    record(
        "node_namespace_pod_container:container_memory_working_set_bytes",
        r#"container_memory_working_set_bytes{job="cadvisor", image!=""} * on (namespace, pod) group_left(node) topk by(namespace, pod) (1, max by(namespace, pod, node) (kube_pod_info{node!=""}))"#,
    ),
    record(
        "namespace_cpu:kube_pod_container_resource_requests:sum",
        r#"sum by (namespace, cluster) (sum by (namespace, pod, cluster) (max by (namespace, pod, container, cluster) (kube_pod_container_resource_requests{resource="cpu",job="kube-state-metrics"}) * on(namespace, pod, cluster) group_left() max by (namespace, pod, cluster) (kube_pod_status_phase{phase=~"Pending|Running"} == 1)))"#,
    ),
    record(
        "namespace_memory:kube_pod_container_resource_requests:sum",
        r#"sum by (namespace, cluster) (sum by (namespace, pod, cluster) (max by (namespace, pod, container, cluster) (kube_pod_container_resource_requests{resource="memory",job="kube-state-metrics"}) * on(namespace, pod, cluster) group_left() max by (namespace, pod, cluster) (kube_pod_status_phase{phase=~"Pending|Running"} == 1)))"#,
    ),
];

/// Microsoft's recommended alerts for node and pod health, trimmed to those a platform team acts
/// on.
const HEALTH_ALERTS: &[Rule] = &[
    alert(
        "KubeNodeNotReady",
        r#"kube_node_status_condition{job="kube-state-metrics",condition="Ready",status="true"} == 0"#,
        3,
        "PT15M",
        "A node has not been Ready for 15 minutes.",
    ),
    alert(
        "KubeNodeUnreachable",
        r#"(kube_node_spec_taint{job="kube-state-metrics",key="node.kubernetes.io/unreachable",effect="NoSchedule"} unless ignoring(key,value) kube_node_spec_taint{job="kube-state-metrics",key=~"ToBeDeletedByClusterAutoscaler|cloud.google.com/impending-node-termination|aws-node-termination-handler/spot-itn"}) == 1"#,
        3,
        "PT15M",
        "A node is unreachable and its workloads are being rescheduled.",
    ),
    alert(
        "KubePodCrashLooping",
        r#"max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", job="kube-state-metrics"}[5m]) >= 1"#,
        4,
        "PT15M",
        "A pod has been crash looping for 15 minutes.",
    ),
    alert(
        "KubePodNotReadyByController",
        r#"sum by (namespace, pod, cluster) (max by(namespace, pod, cluster) (kube_pod_status_phase{job="kube-state-metrics", phase=~"Pending|Unknown"}) * on(namespace, pod, cluster) group_left(owner_kind) topk by(namespace, pod, cluster) (1, max by(namespace, pod, owner_kind, cluster) (kube_pod_owner{owner_kind!="Job"}))) > 0"#,
        3,
        "PT15M",
        "A pod has been Pending or Unknown for 15 minutes: often a node pool with no room left.",
    ),
    alert(
        "KubeContainerOOMKilledCount",
        r#"sum by (cluster, container, controller, namespace) (kube_pod_container_status_last_terminated_reason{reason="OOMKilled"} * on(cluster, namespace, pod) group_left(controller) label_replace(kube_pod_owner, "controller", "$1", "owner_name", "(.*)")) > 0"#,
        4,
        "PT5M",
        "A container was killed for running out of memory.",
    ),
    alert(
        "KubeQuotaAlmostFull",
        r#"kube_resourcequota{job="kube-state-metrics", type="used"} / ignoring(instance, job, type) (0 < kube_resourcequota{job="kube-state-metrics", type="hard"}) > 0.9 < 1"#,
        3,
        "PT15M",
        "A namespace has used more than 90% of a resource quota.",
    ),
    alert(
        "KubePodUnschedulable",
        r#"sum by (cluster, namespace, pod) (kube_pod_status_unschedulable{job="kube-state-metrics"}) > 0"#,
        2,
        "PT15M",
        "The scheduler has not placed a pod for 15 minutes: a node pool is at its maximum size or out of room.",
    ),
    alert(
        "NodeCPUHigh",
        r#"instance:node_cpu_utilisation:rate5m{job="node"} > 0.95"#,
        3,
        "PT15M",
        "A node's CPU has been above 95% for 15 minutes.",
    ),
    alert(
        "NodeMemoryHigh",
        r#"instance:node_memory_utilisation:ratio{job="node"} > 0.95"#,
        3,
        "PT15M",
        "A node's memory has been above 95% for 15 minutes.",
    ),
    alert(
        "KubeHpaMaxedOut",
        r#"kube_horizontalpodautoscaler_status_current_replicas{job="kube-state-metrics"} == kube_horizontalpodautoscaler_spec_max_replicas{job="kube-state-metrics"}"#,
        4,
        "PT15M",
        "A horizontal pod autoscaler has run at its maximum for 15 minutes.",
    ),
];

fn rule_group(
    estate: &Estate,
    s: &Spoke,
    id: &str,
    name: &str,
    about: &str,
    rules: &[Rule],
) -> Resource {
    let n = names(estate, s);
    let c = &s.cluster;
    let ag = rid(types::ACTION_GROUP, &[&n.action_group]);
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            if r.alert {
                obj! {
                    "alert" => r.name,
                    "expression" => r.expression,
                    "for" => r.wait,
                    "severity" => r.severity,
                    "enabled" => true,
                    "labels" => obj! { "severity" => "warning" },
                    "annotations" => obj! { "description" => r.about },
                    "resolveConfiguration" => obj! { "autoResolved" => true, "timeToResolve" => "PT10M" },
                    "actions" => vec![obj! { "actionGroupId" => ag.clone() }],
                }
            } else {
                obj! { "record" => r.name, "expression" => r.expression, "enabled" => true }
            }
        })
        .collect();
    res(
        id,
        types::PROM_RULES,
        &[name],
        obj! {
            "location" => &estate.location,
            "tags" => tags(estate),
            "properties" => obj! {
                "description" => about,
                "scopes" => vec![
                    rid(types::MONITOR_ACCOUNT, &[&n.account]),
                    rid_in(&spoke_sub_param(s), &s.cluster_rg, types::AKS, &[&c.name]),
                ],
                "clusterName" => &c.name,
                "enabled" => true,
                "interval" => "PT1M",
                "rules" => Value::Array(rules),
            },
        },
    )
}

/// A log alert on the hub's workspace: fires when `query` returns a row in 15 minutes.
#[allow(clippy::too_many_arguments)]
fn log_alert(
    estate: &Estate,
    id: &str,
    name: &str,
    title: &str,
    about: &str,
    workspace: &str,
    query: String,
    action_group: Expr,
) -> Resource {
    res(
        id,
        types::QUERY_ALERT,
        &[name],
        obj! {
            "location" => &estate.location,
            "tags" => tags(estate),
            "kind" => "LogAlert",
            "properties" => obj! {
                "displayName" => title,
                "description" => about,
                "severity" => 2u32,
                "enabled" => true,
                "scopes" => vec![rid(types::LAW, &[workspace])],
                "evaluationFrequency" => "PT5M",
                "windowSize" => "PT15M",
                // The firewall's tables exist only once it has logged; validating the query
                // before then would fail the deployment.
                "skipQueryValidation" => true,
                "criteria" => obj! {
                    "allOf" => vec![obj! {
                        "query" => query,
                        "timeAggregation" => "Count",
                        "operator" => "GreaterThan",
                        "threshold" => 0u32,
                        "failingPeriods" => obj! {
                            "numberOfEvaluationPeriods" => 1u32,
                            "minFailingPeriodsToAlert" => 1u32,
                        },
                    }],
                },
                "autoMitigate" => true,
                "actions" => obj! { "actionGroups" => vec![action_group] },
            },
        },
    )
}

/// The spoke's alerts, once the cluster exists.
pub(crate) fn alerts(estate: &Estate, s: &Spoke) -> Option<Deployment> {
    let c = &s.cluster;
    if !c.container_insights && !c.managed_prometheus {
        return None;
    }
    let n = names(estate, s);
    let (e, k) = (&estate.name, &s.key);
    let cluster = rid_in(&spoke_sub_param(s), &s.cluster_rg, types::AKS, &[&c.name]);
    let ag = rid(types::ACTION_GROUP, &[&n.action_group]);
    let mut out = Vec::new();
    if c.managed_prometheus {
        out.push(rule_group(
            estate,
            s,
            "rules_node_recording",
            &format!("NodeRecordingRulesRuleGroup-{}", c.name),
            "Node recording rules (Microsoft's recommended set for managed Prometheus)",
            NODE_RECORDING,
        ));
        out.push(rule_group(
            estate,
            s,
            "rules_kubernetes_recording",
            &format!("KubernetesRecordingRulesRuleGroup-{}", c.name),
            "Kubernetes recording rules (Microsoft's recommended set for managed Prometheus)",
            KUBERNETES_RECORDING,
        ));
        out.push(rule_group(
            estate,
            s,
            "rules_health_alerts",
            &format!("KubernetesAlerts-{}", c.name),
            "Node and pod health: Microsoft's recommended Prometheus alerts",
            HEALTH_ALERTS,
        ));
    }
    out.push(res(
        "alert_cluster_health",
        types::ACTIVITY_ALERT,
        &[&format!("alert-{e}-{k}-cluster-health")],
        obj! {
            "location" => "global",
            "tags" => tags(estate),
            "properties" => obj! {
                "description" => format!("{} (its API server) is degraded or unavailable", c.name),
                "enabled" => true,
                "scopes" => vec![cluster],
                "condition" => obj! {
                    "allOf" => vec![
                        obj! { "field" => "category", "equals" => "ResourceHealth" },
                        obj! {
                            "anyOf" => vec![
                                obj! { "field" => "properties.currentHealthStatus", "equals" => "Degraded" },
                                obj! { "field" => "properties.currentHealthStatus", "equals" => "Unavailable" },
                            ],
                        },
                    ],
                },
                "actions" => obj! { "actionGroups" => vec![obj! { "actionGroupId" => ag }] },
            },
        },
    ));
    Some(rg_deployment(
        format!("{}-alerts", s.key),
        Some(&spoke_sub_param(s)),
        &s.shared_rg,
        out,
        vec![
            format!("{}-cluster", s.key),
            format!("{}-monitoring", s.key),
        ],
    ))
}

/// The hub's action group and firewall alerts: its health, and traffic from the spokes' clusters
/// that the firewall denied (an add-on endpoint or an image registry the rules miss).
pub(crate) fn hub_alerts(estate: &Estate, log_hub: &str) -> Vec<Resource> {
    let e = &estate.name;
    let sfx = &estate.hub.suffix;
    let ag = rid(types::ACTION_GROUP, &[&format!("ag-{e}-hub{sfx}")]);
    let mut out = vec![action_group(
        estate,
        "action_group_hub",
        &format!("ag-{e}-hub{sfx}"),
        "aks-hub",
    )];
    let mut health = log_alert(
        estate,
        "alert_firewall_health",
        &format!("alert-{e}-firewall-health{sfx}"),
        "Azure Firewall health below 90%",
        "The firewall reports less than 90% health: SNAT port exhaustion or an unhealthy instance",
        log_hub,
        "AzureMetrics | where ResourceProvider == \"MICROSOFT.NETWORK\" and MetricName == \"FirewallHealth\" | where Average < 90".into(),
        ag.clone(),
    );
    health.depends_on = vec!["log_hub".into(), "action_group_hub".into()];
    out.push(health);
    let sources: Vec<String> = estate
        .spokes
        .iter()
        .flat_map(|s| {
            s.subnets
                .iter()
                .filter(|n| n.role.routed())
                .map(|n| format!("\"{}\"", n.cidr))
        })
        .collect();
    let query = format!(
        "union AZFWApplicationRule, AZFWNetworkRule | where Action == \"Deny\" | where ipv4_is_in_any_range(SourceIp, dynamic([{}])) | summarize Denied = count() by SourceIp, bin(TimeGenerated, 5m)",
        sources.join(", ")
    );
    let mut denied = log_alert(
        estate,
        "alert_firewall_denied",
        &format!("alert-{e}-firewall-denied-aks{sfx}"),
        "Azure Firewall denied traffic from AKS nodes",
        "The firewall dropped traffic from a cluster subnet: an add-on or workload needs an endpoint the egress rules do not allow",
        log_hub,
        query,
        ag,
    );
    denied.depends_on = vec!["log_hub".into(), "action_group_hub".into()];
    out.push(denied);
    out
}
