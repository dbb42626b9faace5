//! Securing a cluster: the API server's endpoint, the hosts (access, patching, disks), the
//! completeness of the judgement, add-ons, service-to-service encryption, PaaS lockdown, and
//! monitoring.

mod operator_path;

use crate::audit::catalogue::{
    Control, Live,
    Section::SecuringACluster,
    Severity::{Critical, High, Medium},
};
use crate::audit::eval::{Check, Cx, Rule};
use crate::audit::eval::{eq, show, truthy};
use crate::audit::input::{Look, look};
use crate::audit::query::{SubnetView, internet, last_segment, prefix_len};
use crate::azure::{roles, types};
use crate::posture::ControlId;
use crate::posture::Tier;
use serde_json::Value as Json;

mod logging;
use logging::log_audit;

/// The controls of this section, in guideline order.
pub(super) const CONTROLS: &[Control] = &[
    Control {
        id: ControlId::ApiPrivate,
        severity: Critical,
        section: SecuringACluster,
        topic: "Master Endpoint security in AKS / ACS-Engine",
        title: "no public API server endpoint, or authorised IP ranges where a tier allows a public one",
        demands: "The API server has no public endpoint: `apiServerAccessProfile.enablePrivateCluster: true`, `enablePrivateClusterPublicFQDN: false`; private DNS zone `system`, or BYO with the link and role it needs. A tier that allows a public API server (with a waiver) must set `authorizedIPRanges` (never empty, never 0.0.0.0/0) instead; a waiver cannot cover an unrestricted public API server.",
        why: "The API server is the cluster's front door: every credential leak, token-validation bug or unpatched API-server flaw is exploitable by anyone who can reach it. A private endpoint means an attacker must first get into your network.",
        fix: "Estate: `cluster.apiServer.private: true`. Template: `apiServerAccessProfile.enablePrivateCluster: true`, `enablePrivateClusterPublicFQDN: false`, `privateDNSZone: system`. If the tier must keep a public endpoint, record a waiver and list the admin networks in `authorizedIPRanges`.",
        checkov: &["CKV_AZURE_115", "CKV_AZURE_6"],
        psrule: &["Azure.AKS.AuthorizedIPs"],
        cis: &["5.4.1", "5.4.2"],
        live: Live::Full,
        estate_keys: &[
            "/spokes/*/cluster/apiServer/private",
            "/spokes/*/cluster/apiServer",
        ],
        check: Check::Code(api_private),
    },
    Control {
        id: ControlId::ApiVnetIntegration,
        severity: High,
        section: SecuringACluster,
        topic: "Master Endpoint security in AKS / ACS-Engine",
        title: "API server VNet integration with a delegated /28",
        demands: "API server VNet integration (`apiServerAccessProfile.enableVnetIntegration: true` with `subnetId`), the subnet delegated to `Microsoft.ContainerService/managedClusters` and at least a /28.",
        why: "With VNet integration the API server gets an address in your own VNet: node-to-API traffic never leaves it, no private-link tunnel is needed, and NSGs and routes you control apply to the control plane's traffic.",
        fix: "Estate: `cluster.apiServer.vnetIntegration: true` with an `apiServer` subnet. Template: `enableVnetIntegration: true`, `subnetId` of a /28 (or larger) subnet delegated to `Microsoft.ContainerService/managedClusters`.",
        checkov: &[],
        psrule: &[],
        cis: &["5.4.2"],
        live: Live::Partial,
        estate_keys: &[
            "/spokes/*/cluster/apiServer/vnetIntegration",
            "/spokes/*/cluster/apiServer",
        ],
        check: Check::Code(api_vnet_integration),
    },
    Control {
        id: ControlId::ApiNoRunCommand,
        severity: Medium,
        section: SecuringACluster,
        topic: "Master Endpoint security in AKS / ACS-Engine",
        title: "run command disabled",
        demands: "`apiServerAccessProfile.disableRunCommand: true`.",
        why: "Run command lets anyone with the Azure role run arbitrary kubectl in the cluster through the Azure API, around the private endpoint and the network controls that protect the API server.",
        fix: "Estate: `cluster.apiServer.disableRunCommand: true`. Template: `apiServerAccessProfile.disableRunCommand: true`.",
        checkov: &[],
        psrule: &[],
        cis: &["5.4.1"],
        live: Live::Full,
        estate_keys: &[
            "/spokes/*/cluster/apiServer/disableRunCommand",
            "/spokes/*/cluster/apiServer",
        ],
        check: Check::Rules {
            on: types::AKS,
            rules: API_NO_RUN_COMMAND,
        },
    },
    operator_path::CONTROL,
    Control {
        id: ControlId::HostNoPublicAccess,
        severity: Critical,
        section: SecuringACluster,
        topic: "Securing access to host vms",
        title: "no node public IPs, no SSH, NSGs deny inbound from the internet",
        demands: "Nodes have no public IPs (`enableNodePublicIP: false`), no SSH key is generated or passed (no `linuxProfile`; `securityProfile.sshAccess: Disabled` on every pool), and the node subnets' NSGs allow nothing in from the internet.",
        why: "A node with a public IP or an SSH daemon reachable with a key is a host an attacker can reach without going through Kubernetes at all; from a node, every pod's secrets and the kubelet's identity are in reach.",
        fix: "On every pool set `enableNodePublicIP: false` and `securityProfile.sshAccess: Disabled`; remove `linuxProfile`; attach an NSG to every node subnet and remove inbound Allow rules whose source is `Internet`, `*` or `0.0.0.0/0`.",
        checkov: &["CKV_AZURE_143", "CKV_AZURE_10"],
        psrule: &[],
        cis: &["5.4.3"],
        live: Live::Partial,
        estate_keys: &["/spokes/*/cluster/nodePools"],
        check: Check::Code(host_no_public_access),
    },
    Control {
        id: ControlId::HostPatching,
        severity: Critical,
        section: SecuringACluster,
        topic: "Upgrading and mainting hosts, apparmor, linux capabilities filter, os security patching",
        title: "upgrade and node OS channels on, both maintenance windows, image cleaner",
        demands: "`autoUpgradeProfile.upgradeChannel` is `patch` or `stable` (never `none`), `nodeOSUpgradeChannel` is `NodeImage` or `SecurityPatch`, and both planned maintenance windows exist (`aksManagedAutoUpgradeSchedule`, `aksManagedNodeOSUpgradeSchedule`). OS SKU AzureLinux or Ubuntu on every pool; image cleaner on.",
        why: "Most node compromises use known, already-patched vulnerabilities. Automatic channels keep Kubernetes and the node image current without a human remembering to; maintenance windows make the updates predictable so nobody is tempted to turn them off; the image cleaner removes vulnerable images that linger on nodes.",
        fix: "Set `autoUpgradeProfile.upgradeChannel: patch` and `nodeOSUpgradeChannel: NodeImage`, declare the maintenance configurations `aksManagedAutoUpgradeSchedule` and `aksManagedNodeOSUpgradeSchedule`, `osSKU: AzureLinux` on every pool and `securityProfile.imageCleaner.enabled: true`. Estate: `cluster.upgrades`.",
        checkov: &["CKV_AZURE_171"],
        psrule: &[
            "Azure.AKS.AutoUpgrade",
            "Azure.AKS.NodeAutoUpgrade",
            "Azure.AKS.MaintenanceWindow",
        ],
        cis: &[],
        live: Live::Partial,
        estate_keys: &["/spokes/*/cluster/upgrades", "/spokes/*/cluster"],
        check: Check::Code(host_patching),
    },
    Control {
        id: ControlId::HostDiskEncryption,
        severity: High,
        section: SecuringACluster,
        topic: "Securing access to host vms",
        title: "encryption at host, ephemeral OS disks, optional customer-managed key",
        demands: "Encryption at host on every pool (`enableEncryptionAtHost: true`); ephemeral OS disks (`osDiskType: Ephemeral`) where the VM size allows; optionally a customer-managed key through a disk encryption set (`diskEncryptionSetID`).",
        why: "Encryption at host covers the temp disk and the caches that server-side encryption misses, so nothing of a pod's data is written to Azure storage in the clear. Ephemeral OS disks keep no state between reimages and never leave the host.",
        fix: "On every pool set `enableEncryptionAtHost: true` and `osDiskType: Ephemeral` (pick a VM size whose cache or temp disk holds the OS disk). Estate: `security.encryptionAtHost: true` and `osDiskType: Ephemeral` per pool.",
        checkov: &["CKV_AZURE_227", "CKV_AZURE_226", "CKV_AZURE_117"],
        psrule: &[],
        cis: &[],
        live: Live::Full,
        estate_keys: &[
            "/spokes/*/cluster/nodePools",
            "/spokes/*/cluster/security/encryptionAtHost",
        ],
        check: Check::Code(host_disk_encryption),
    },
    Control {
        id: ControlId::BenchJudged,
        severity: High,
        section: SecuringACluster,
        topic: "Evaluation of security benchbmarks like KubeBench / CSI",
        title: "every estate judged by the catalogue and third-party rules",
        demands: "Every estate is judged by the catalogue (`aks-harden audit`) and by third-party rules; the report names the CIS / checkov / PSRule rule each control corresponds to. The judgement is complete: no control is left unknown because a value hides behind an expression.",
        why: "A benchmark only protects what it can read. A value the audit cannot evaluate is a value nobody checked; the same holds for checkov, which cannot resolve parameters inside nested deployments.",
        fix: "Write security-relevant values as literals, or pass their parameters with `--parameters`, so every control can be judged; run checkov and PSRule on the generated templates as CI does.",
        checkov: &[],
        psrule: &[],
        cis: &[],
        live: Live::Full,
        estate_keys: &["/spokes"],
        check: Check::Completeness,
    },
    Control {
        id: ControlId::AddonMinimal,
        severity: Medium,
        section: SecuringACluster,
        topic: "Security Impact of activating addons and dashboard",
        title: "dashboard and HTTP application routing explicitly off",
        demands: "Kubernetes dashboard and HTTP application routing are off and say so explicitly (`addonProfiles.kubeDashboard.enabled: false`, `addonProfiles.httpApplicationRouting.enabled: false`); every enabled add-on is one the profiles name (Azure Policy, Container Insights, Key Vault secrets provider).",
        why: "Every add-on is more privileged code in the cluster. The dashboard has been the entry point of real cluster takeovers; HTTP application routing publishes services on public DNS and is not meant for production.",
        fix: "Set `addonProfiles.kubeDashboard.enabled: false` and `addonProfiles.httpApplicationRouting.enabled: false`, and disable add-ons you do not need.",
        checkov: &["CKV_AZURE_8", "CKV_AZURE_246"],
        psrule: &["Azure.AKS.HttpAppRouting"],
        cis: &[],
        live: Live::Full,
        estate_keys: &["/spokes/*/cluster/addons"],
        check: Check::Code(addon_minimal),
    },
    Control {
        id: ControlId::MeshMtls,
        severity: Medium,
        section: SecuringACluster,
        topic: "Encrypted service to service communication",
        title: "service-to-service encryption where the profile asks",
        demands: "Service-to-service encryption where the profile asks for it (the regulated tier): the Istio add-on (`serviceMeshProfile.mode: Istio`) with a pinned revision and strict mTLS, or Cilium with transparent encryption (`networkProfile.advancedNetworking.security.transitEncryption.type: WireGuard`).",
        why: "Inside the cluster, pod traffic crosses nodes unencrypted and unauthenticated; anyone who gets onto the node network can read or spoof it. mTLS encrypts it and proves which workload is talking.",
        fix: "Estate: `cluster.serviceMesh.revision` (Istio add-on). Template: `serviceMeshProfile: { mode: Istio, istio: { revisions: [...] } }`, then a mesh-wide `PeerAuthentication` with `mtls.mode: STRICT` in the cluster.",
        checkov: &[],
        psrule: &[],
        cis: &[],
        live: Live::Full,
        estate_keys: &["/spokes/*/cluster/serviceMesh", "/tier"],
        check: Check::Code(mesh_mtls),
    },
    Control {
        id: ControlId::PaasLockdown,
        severity: Medium,
        section: SecuringACluster,
        topic: "Service Endpoints for PaaS Service lockdown",
        title: "Key Vault and ACR reachable only from the spoke; in the regulated tier the Azure Monitor workspace too",
        demands: "Key Vault and ACR accept traffic only from the spoke: private endpoints with private DNS zone groups and `publicNetworkAccess: Disabled`. Service endpoints with network ACLs are the cheaper option a profile may choose, recorded as a waiver. In the regulated tier every Azure Monitor workspace (`Microsoft.Monitor/accounts`) refuses public queries too: `publicNetworkAccess: Disabled` with a private endpoint (`prometheusMetrics`) and its private DNS zone group.",
        why: "A vault or registry on a public endpoint is one leaked token away from exfiltration or image tampering from anywhere on the internet. Private endpoints take them off the internet entirely. A regulated estate's metrics describe its workloads and traffic; a workspace that answers queries only through its private endpoint cannot be read from outside the estate's networks with a stolen token.",
        fix: "Estate: `paasAccess: privateEndpoints`; in the regulated tier also `monitoring: {\"private\": true}` on every spoke. Template: a `Microsoft.Network/privateEndpoints` for each vault (`vault`), registry (`registry`) and, regulated, Azure Monitor workspace (`prometheusMetrics`) with a `privateDnsZoneGroups` child, and `publicNetworkAccess: Disabled` on each.",
        checkov: &[
            "CKV_AZURE_109",
            "CKV_AZURE_139",
            "CKV_AZURE_189",
            "CKV2_AZURE_32",
        ],
        psrule: &[],
        cis: &[],
        live: Live::No,
        estate_keys: &["/spokes/*/paasAccess", "/spokes/*/monitoring"],
        check: Check::Code(paas_lockdown),
    },
    Control {
        id: ControlId::LogAudit,
        severity: High,
        section: SecuringACluster,
        topic: "Monitoring and Auditing of security relevant events",
        title: "audit logs, platform diagnostics, Container Insights and Prometheus that collect, Defender, someone told",
        demands: "A Log Analytics workspace; the cluster's diagnostic settings send `kube-audit-admin`, `guard`, `kube-apiserver`, `kube-controller-manager`, `kube-scheduler` and `cluster-autoscaler`; firewall, Key Vault, ACR and NSGs send diagnostics too; Container Insights (`omsagent`) on with a data collection rule associated with the cluster that sends `Microsoft-ContainerLogV2` to Log Analytics; managed Prometheus (`azureMonitorProfile.metrics.enabled`) with a data collection rule associated with the cluster that sends `Microsoft-PrometheusMetrics` to an Azure Monitor workspace; an action group with at least one receiver and alert rules (Prometheus rule groups, activity log or log alerts) that notify it; Defender for Containers (`securityProfile.defender` and `Microsoft.Security/pricings` `Containers`).",
        why: "Without the API server's audit log nobody can tell who did what in the cluster after an incident, and without Defender nobody is told while it happens. The firewall, vault and NSG logs show the attacker's way in and out. An agent without a data collection rule collects nothing, and metrics without an alert and a receiver tell nobody that a node pool is exhausted or the firewall drops the cluster's traffic.",
        fix: "Add a `Microsoft.Insights/diagnosticSettings` on the cluster with the six categories, one on every firewall, vault, registry and NSG, enable the `omsagent` add-on, `securityProfile.defender.securityMonitoring.enabled: true`, and the `Containers` Defender plan on the workload subscription (estate: `defender.containers: true`). Associate a Container Insights data collection rule (ContainerLogV2 to the workspace) and a Prometheus one (to an Azure Monitor workspace, `azureMonitorProfile.metrics.enabled: true`) with the cluster; add an action group with receivers and alert rules. Estate: `cluster.addons.containerInsights`, `cluster.addons.managedPrometheus`, `alerts.email`.",
        checkov: &["CKV_AZURE_4", "CKV_AZURE_85"],
        psrule: &[
            "Azure.AKS.AuditLogs",
            "Azure.AKS.AuditAdmin",
            "Azure.AKS.PlatformLogs",
            "Azure.AKS.ContainerInsights",
            "Azure.AKS.DefenderProfile",
        ],
        cis: &["2.1.1"],
        live: Live::Partial,
        estate_keys: &[
            "/defender/containers",
            "/defender",
            "/spokes/*/cluster/addons",
            "/alerts",
        ],
        check: Check::Code(log_audit),
    },
];

/// API-NO-RUN-COMMAND: run command disabled.
const API_NO_RUN_COMMAND: &[Rule] = &[Rule::is_true(
    "properties.apiServerAccessProfile.disableRunCommand",
)];

const PRIVATE: &str = "properties.apiServerAccessProfile.enablePrivateCluster";

fn api_private(cx: &mut Cx) {
    const ASP: &str = "properties.apiServerAccessProfile";
    for c in cx.clusters() {
        let private = cx.r(c).get(PRIVATE);
        match private {
            Look::Unknown(u) => cx.unknown(
                Some(c),
                PRIVATE,
                format!("is `{u}`, which the audit cannot evaluate; want `true`"),
            ),
            Look::Value(v) if truthy(v) => {
                cx.pass(Some(c), PRIVATE, "is `true`");
                cx.check(
                    c,
                    &Rule::is_false(
                        "properties.apiServerAccessProfile.enablePrivateClusterPublicFQDN",
                    ),
                );
                let zone_path = format!("{ASP}.privateDNSZone");
                match cx.r(c).get(&zone_path) {
                    Look::Missing => cx.pass(Some(c), &zone_path, "is not set (API default `system`)"),
                    Look::Value(v) if eq(v, "system") => cx.pass(Some(c), &zone_path, "is `system`"),
                    Look::Value(v) if eq(v, "none") => cx.fail(
                        Some(c),
                        &zone_path,
                        "is `none`: the private address is published in public DNS; want `system` or a BYO zone",
                    ),
                    Look::Value(v) => byo_zone(cx, c, &zone_path, v.as_str().unwrap_or_default()),
                    Look::Unknown(u) => cx.unevaluated(c, &zone_path, u),
                }
            }
            _ => {
                let what = match private {
                    Look::Missing => "is not set (public API server)",
                    _ => "is `false` (public API server)",
                };
                cx.fail(Some(c), PRIVATE, format!("{what}; want `true`"));
                let ranges_path = format!("{ASP}.authorizedIPRanges");
                match cx.r(c).get(&ranges_path) {
                    Look::Unknown(u) => cx.unevaluated(c, &ranges_path, u),
                    l => {
                        let ranges: Vec<&str> = l.array().iter().filter_map(Json::as_str).collect();
                        if ranges.is_empty() || ranges.iter().any(|r| internet(r)) {
                            cx.fail_hard(
                                Some(c),
                                &ranges_path,
                                "is empty or open to everyone: a public API server must be restricted to authorised IP ranges, waiver or not",
                            );
                        } else {
                            cx.pass(
                                Some(c),
                                &ranges_path,
                                format!("restricts the public endpoint to {}", ranges.join(", ")),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn byo_zone(cx: &mut Cx, c: usize, path: &str, zone_id: &str) {
    if cx.live() {
        cx.pass(
            Some(c),
            path,
            format!("is a BYO zone `{}`", last_segment(zone_id)),
        );
        cx.gap("the BYO zone's VNet link and role are not in a live cluster's JSON");
        return;
    }
    let Some(zone) = cx.q.find_id(zone_id) else {
        cx.unknown(
            Some(c),
            path,
            format!(
                "is BYO zone `{}`, which is not in the input",
                last_segment(zone_id)
            ),
        );
        return;
    };
    let linked = !cx
        .q
        .named_under(types::DNS_LINK, &cx.r(zone).name)
        .is_empty();
    let role = !cx
        .q
        .role_assignments(zone, roles::PRIVATE_DNS_ZONE_CONTRIBUTOR)
        .is_empty();
    if linked && role {
        cx.pass(
            Some(c),
            path,
            format!(
                "is BYO zone `{}` with a VNet link and Private DNS Zone Contributor",
                cx.r(zone).name
            ),
        );
    } else {
        cx.fail(
            Some(c),
            path,
            format!(
                "is BYO zone `{}` without {}",
                cx.r(zone).name,
                if linked {
                    "Private DNS Zone Contributor for the control-plane identity"
                } else {
                    "a VNet link"
                }
            ),
        );
    }
}

/// API-VNET-INTEGRATION, on every cluster, each rule only once the one before holds.
const VNET_INTEGRATION: &[Rule] = &[
    Rule::is_true("properties.apiServerAccessProfile.enableVnetIntegration"),
    Rule::present(API_SUBNET, "the id of a delegated /28 subnet"),
];

const API_SUBNET: &str = "properties.apiServerAccessProfile.subnetId";

fn api_vnet_integration(cx: &mut Cx) {
    for c in cx.clusters() {
        if !VNET_INTEGRATION
            .iter()
            .all(|rule| cx.check(c, rule) == Some(true))
        {
            continue;
        }
        if cx.live() {
            cx.gap("the API server subnet's delegation and size are not in a live cluster's JSON");
            continue;
        }
        let Some(id) = cx.r(c).get(API_SUBNET).str() else {
            continue;
        };
        let Some(s) = cx.subnet_by_id(id) else {
            cx.unknown(
                Some(c),
                API_SUBNET,
                "names a subnet that is not in the input",
            );
            continue;
        };
        let delegated = cx.subnet_get(s, "delegations").array().iter().any(|d| {
            look(d, "properties.serviceName")
                .str()
                .is_some_and(|n| n.eq_ignore_ascii_case(types::AKS))
        });
        let path = format!("{}.delegations", s.prefix);
        if delegated {
            cx.pass(
                Some(s.res),
                &path,
                format!("subnet `{}` is delegated to `{}`", s.name, types::AKS),
            );
        } else {
            cx.fail(
                Some(s.res),
                &path,
                format!("subnet `{}` is not delegated to `{}`", s.name, types::AKS),
            );
        }
        let pfx_path = format!("{}.addressPrefix", s.prefix);
        match cx.subnet_get(s, "addressPrefix") {
            Look::Value(v) => match v.as_str().and_then(prefix_len) {
                Some(l) if l <= 28 => cx.pass(Some(s.res), &pfx_path, format!("is `{}`", show(v))),
                _ => cx.fail(
                    Some(s.res),
                    &pfx_path,
                    format!("is `{}`; want at least a /28", show(v)),
                ),
            },
            Look::Unknown(u) => cx.unevaluated(s.res, &pfx_path, u),
            Look::Missing => {}
        }
    }
}

/// HOST-NO-PUBLIC-ACCESS, on every node pool.
const NO_PUBLIC_NODE: &[Rule] = &[
    Rule::is_false("enableNodePublicIP").or_default("API default `false`"),
    Rule::one_of("securityProfile.sshAccess", &["Disabled"]),
];

fn host_no_public_access(cx: &mut Cx) {
    for c in cx.clusters() {
        match cx.r(c).get("properties.linuxProfile") {
            Look::Missing => cx.pass(
                Some(c),
                "properties.linuxProfile",
                "is not set: no SSH key is passed to the nodes",
            ),
            Look::Unknown(u) => cx.unevaluated(c, "properties.linuxProfile", u),
            Look::Value(_) => cx.fail(
                Some(c),
                "properties.linuxProfile",
                "passes an SSH key to the nodes; remove it",
            ),
        }
        let pools = cx.pools(c);
        let mut subnets: Vec<(usize, String, String)> = Vec::new();
        for p in &pools {
            cx.check_all(p.res, &p.prefix, NO_PUBLIC_NODE);
            let sp = format!("{}.vnetSubnetID", p.prefix);
            match cx.r(p.res).get(&sp) {
                Look::Value(v) => {
                    if let Some(id) = v.as_str() {
                        if !subnets.iter().any(|(_, _, x)| x.eq_ignore_ascii_case(id)) {
                            subnets.push((p.res, sp.clone(), id.to_string()));
                        }
                    }
                }
                Look::Unknown(u) => cx.unevaluated(p.res, &sp, u),
                Look::Missing => {}
            }
        }
        if cx.live() {
            cx.gap("the node subnets' NSGs are not in a live cluster's JSON");
            continue;
        }
        for (res, path, id) in subnets {
            let Some(s) = cx.subnet_by_id(&id) else {
                cx.unknown(
                    Some(res),
                    &path,
                    "names a node subnet that is not in the input",
                );
                continue;
            };
            nsg_denies_internet(cx, s);
        }
    }
}

fn nsg_denies_internet(cx: &mut Cx, s: &SubnetView) {
    let nsg_path = format!("{}.networkSecurityGroup.id", s.prefix);
    let nsg = match cx.subnet_get(s, "networkSecurityGroup.id") {
        Look::Value(v) => v.as_str().and_then(|id| cx.q.find_id(id)),
        Look::Unknown(u) => {
            cx.unevaluated(s.res, &nsg_path, u);
            return;
        }
        Look::Missing => {
            cx.fail(
                Some(s.res),
                &nsg_path,
                format!("node subnet `{}` has no NSG", s.name),
            );
            return;
        }
    };
    let Some(nsg) = nsg else {
        cx.unknown(
            Some(s.res),
            &nsg_path,
            "names an NSG that is not in the input",
        );
        return;
    };
    let allows = cx.q.internet_allows(nsg);
    if allows.is_empty() {
        cx.pass(
            Some(nsg),
            "properties.securityRules",
            format!(
                "node subnet `{}`: NSG allows nothing in from the internet",
                s.name
            ),
        );
    } else {
        for a in allows {
            cx.fail(
                Some(a.res),
                &a.prefix,
                format!(
                    "rule `{}` allows inbound from the internet to port {} of node subnet `{}`",
                    a.name,
                    a.ports.join(", "),
                    s.name
                ),
            );
        }
    }
}

/// HOST-PATCHING, on every cluster first.
const UPGRADE_CHANNELS: &[Rule] = &[
    Rule::one_of(
        "properties.autoUpgradeProfile.upgradeChannel",
        &["patch", "stable"],
    ),
    Rule::one_of(
        "properties.autoUpgradeProfile.nodeOSUpgradeChannel",
        &["NodeImage", "SecurityPatch"],
    ),
];

fn host_patching(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.check_all(c, "", UPGRADE_CHANNELS);
        if cx.live() {
            cx.gap("maintenance windows are not in `az aks show`; see `az aks maintenanceconfiguration list`");
        } else {
            let cluster = &cx.r(c).name;
            for window in [
                "aksManagedAutoUpgradeSchedule",
                "aksManagedNodeOSUpgradeSchedule",
            ] {
                match cx.q.named(types::AKS_MAINT, &format!("{cluster}/{window}")) {
                    Some(m)
                        if !matches!(
                            cx.r(m).get("properties.maintenanceWindow"),
                            Look::Missing
                        ) =>
                    {
                        cx.pass(
                            Some(m),
                            "properties.maintenanceWindow",
                            format!("`{window}` is planned"),
                        );
                    }
                    Some(m) => cx.fail(
                        Some(m),
                        "properties.maintenanceWindow",
                        format!("`{window}` has no maintenance window"),
                    ),
                    None => cx.fail(
                        Some(c),
                        "maintenanceConfigurations",
                        format!("no `{window}` maintenance configuration"),
                    ),
                }
            }
        }
        for p in cx.pools(c) {
            let path = format!("{}.osSKU", p.prefix);
            match cx.r(p.res).get(&path) {
                Look::Value(v) => {
                    let s = v.as_str().unwrap_or_default().to_ascii_lowercase();
                    if s.starts_with("azurelinux") || s.starts_with("ubuntu") || s == "cblmariner" {
                        cx.pass(
                            Some(p.res),
                            &path,
                            format!("pool `{}` runs `{}`", p.name, show(v)),
                        );
                    } else {
                        cx.fail(
                            Some(p.res),
                            &path,
                            format!(
                                "pool `{}` runs `{}`; want `AzureLinux` or `Ubuntu`",
                                p.name,
                                show(v)
                            ),
                        );
                    }
                }
                Look::Missing => {
                    let windows = cx
                        .r(p.res)
                        .get(&format!("{}.osType", p.prefix))
                        .str()
                        .is_some_and(|s| s.eq_ignore_ascii_case("Windows"));
                    if windows {
                        cx.fail(
                            Some(p.res),
                            &path,
                            format!("pool `{}` runs Windows", p.name),
                        );
                    } else {
                        cx.pass(
                            Some(p.res),
                            &path,
                            format!("pool `{}`: not set (API default `Ubuntu`)", p.name),
                        );
                    }
                }
                Look::Unknown(u) => cx.unevaluated(p.res, &path, u),
            }
        }
        cx.check(
            c,
            &Rule::is_true("properties.securityProfile.imageCleaner.enabled"),
        );
    }
}

/// HOST-DISK-ENCRYPTION, on every node pool.
const DISK_ENCRYPTION: &[Rule] = &[
    Rule::is_true("enableEncryptionAtHost"),
    Rule::one_of("osDiskType", &["Ephemeral"]).saying(
        "`Ephemeral` (where the VM size allows; pick one whose cache or temp disk holds the OS disk)",
    ),
];

fn host_disk_encryption(cx: &mut Cx) {
    for c in cx.clusters() {
        for p in cx.pools(c) {
            cx.check_all(p.res, &p.prefix, DISK_ENCRYPTION);
            if let Look::Value(v) = cx
                .r(p.res)
                .get(&format!("{}.diskEncryptionSetID", p.prefix))
            {
                cx.pass(
                    Some(p.res),
                    &format!("{}.diskEncryptionSetID", p.prefix),
                    format!("customer-managed key through `{}`", last_segment(&show(v))),
                );
            }
        }
    }
}

const DASHBOARD: &str = "properties.addonProfiles.kubeDashboard.enabled";
const HTTP_ROUTING: &str = "properties.addonProfiles.httpApplicationRouting.enabled";

/// ADDON-MINIMAL, on every template's or estate's cluster: off, and saying so.
const ADDONS_OFF_WRITTEN: &[Rule] = &[
    Rule::is_false(DASHBOARD).saying("`false`, written out"),
    Rule::is_false(HTTP_ROUTING).saying("`false`, written out"),
];

/// ADDON-MINIMAL, on a live cluster, whose JSON leaves out add-ons that are off.
const ADDONS_OFF_LIVE: &[Rule] = &[
    Rule::is_false(DASHBOARD).or_default("not returned by the API: off"),
    Rule::is_false(HTTP_ROUTING).or_default("not returned by the API: off"),
];

fn addon_minimal(cx: &mut Cx) {
    const KNOWN: &[&str] = &[
        "azurepolicy",
        "omsagent",
        "azurekeyvaultsecretsprovider",
        "kubedashboard",
        "httpapplicationrouting",
    ];
    for c in cx.clusters() {
        let rules = if cx.live() {
            ADDONS_OFF_LIVE
        } else {
            ADDONS_OFF_WRITTEN
        };
        cx.check_all(c, "", rules);
        if let Look::Value(Json::Object(addons)) = cx.r(c).get("properties.addonProfiles") {
            let extra: Vec<String> = addons
                .iter()
                .filter(|(k, v)| {
                    !KNOWN.contains(&k.to_ascii_lowercase().as_str())
                        && look(v, "enabled").bool() != Some(false)
                })
                .map(|(k, _)| k.clone())
                .collect();
            for e in extra {
                cx.fail(
                    Some(c),
                    &format!("properties.addonProfiles.{e}.enabled"),
                    format!("add-on `{e}` is enabled; it is not one the profiles name"),
                );
            }
        }
    }
}

fn mesh_mtls(cx: &mut Cx) {
    for c in cx.clusters() {
        let mode = cx.r(c).get("properties.serviceMeshProfile.mode");
        let wireguard = cx
            .r(c)
            .get("properties.networkProfile.advancedNetworking.security.transitEncryption.type")
            .str()
            .is_some_and(|t| t.eq_ignore_ascii_case("WireGuard"));
        if mode.str().is_some_and(|m| m.eq_ignore_ascii_case("Istio")) {
            let revs: Vec<String> = cx
                .r(c)
                .get("properties.serviceMeshProfile.istio.revisions")
                .array()
                .iter()
                .map(show)
                .collect();
            if revs.is_empty() {
                cx.fail(
                    Some(c),
                    "properties.serviceMeshProfile.istio.revisions",
                    "the Istio add-on has no pinned revision",
                );
            } else {
                cx.pass(
                    Some(c),
                    "properties.serviceMeshProfile",
                    format!("Istio add-on, revision {}", revs.join(", ")),
                );
                cx.gap("strict mTLS is a `PeerAuthentication` inside the cluster, not an Azure property");
            }
        } else if wireguard {
            cx.pass(
                Some(c),
                "properties.networkProfile.advancedNetworking.security.transitEncryption.type",
                "Cilium transparent encryption (WireGuard)",
            );
        } else if let Look::Unknown(u) = mode {
            cx.unevaluated(c, "properties.serviceMeshProfile.mode", u);
        } else if cx.tier() == Tier::Regulated {
            cx.fail(
                Some(c),
                "properties.serviceMeshProfile",
                "the regulated tier asks for service-to-service encryption; no Istio add-on and no Cilium transparent encryption",
            );
        }
    }
    if cx.f.is_empty() && !cx.clusters().is_empty() {
        cx.na(format!(
            "the {} tier asks for no service mesh and none is declared",
            cx.tier().as_str()
        ));
    }
}

fn paas_lockdown(cx: &mut Cx) {
    // The regulated tier keeps its monitoring data off the public network as well.
    let kinds: &[&str] = if cx.tier() == Tier::Regulated {
        &[types::KV, types::ACR, types::MONITOR_ACCOUNT]
    } else {
        &[types::KV, types::ACR]
    };
    let targets = cx.q.of_types(kinds);
    if targets.is_empty() {
        cx.na("no Key Vault or container registry in the input");
        return;
    }
    for t in targets {
        if cx.r(t).is(types::MONITOR_ACCOUNT) {
            private_monitor_workspace(cx, t);
            continue;
        }
        let is_vault = cx.r(t).is(types::KV);
        let pes = cx.q.private_endpoints_to(t);
        let pna = cx.r(t).get("properties.publicNetworkAccess");
        if let Some(&pe) = pes.first() {
            if cx.q.has_zone_group(pe) {
                cx.pass(
                    Some(pe),
                    "properties.privateLinkServiceConnections",
                    format!(
                        "private endpoint `{}` with a private DNS zone group",
                        cx.r(pe).label
                    ),
                );
            } else {
                cx.fail(
                    Some(pe),
                    "privateDnsZoneGroups",
                    format!("private endpoint `{}` has no private DNS zone group: the name still resolves publicly", cx.r(pe).label),
                );
            }
            cx.check(
                t,
                &Rule::one_of("properties.publicNetworkAccess", &["Disabled"]),
            );
        } else if pna
            .str()
            .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
        {
            cx.pass(
                Some(t),
                "properties.publicNetworkAccess",
                "is `Disabled` (its private endpoint is not in the input)",
            );
        } else {
            let acl = if is_vault {
                "properties.networkAcls.defaultAction"
            } else {
                "properties.networkRuleSet.defaultAction"
            };
            let deny = cx
                .r(t)
                .get(acl)
                .str()
                .is_some_and(|s| s.eq_ignore_ascii_case("Deny"));
            if deny {
                cx.fail(
                    Some(t),
                    "properties.publicNetworkAccess",
                    "service endpoints and network ACLs (default Deny) instead of a private endpoint: the cheaper option, which a profile records as a waiver",
                );
            } else {
                cx.fail(
                    Some(t),
                    "properties.publicNetworkAccess",
                    format!(
                        "reachable from the internet: no private endpoint, public network access `{}` and no default-deny network rule",
                        pna.value().map_or_else(|| "Enabled".to_string(), show)
                    ),
                );
            }
        }
    }
}

/// PAAS-LOCKDOWN, regulated: an Azure Monitor workspace answers queries only through its private
/// endpoint. Its ingestion goes through data collection endpoints, which stay public until an
/// Azure Monitor Private Link Scope carries them (see docs/controls.md).
fn private_monitor_workspace(cx: &mut Cx, t: usize) {
    let label = cx.r(t).label.clone();
    match cx.q.private_endpoints_to(t).first() {
        Some(&pe) if cx.q.has_zone_group(pe) => cx.pass(
            Some(pe),
            "properties.privateLinkServiceConnections",
            format!(
                "Azure Monitor workspace `{label}`: private endpoint `{}` with a private DNS zone group",
                cx.r(pe).label
            ),
        ),
        Some(&pe) => cx.fail(
            Some(pe),
            "privateDnsZoneGroups",
            format!(
                "private endpoint `{}` has no private DNS zone group: queries from the estate still resolve to the workspace's public endpoint",
                cx.r(pe).label
            ),
        ),
        None if cx
            .r(t)
            .get("properties.publicNetworkAccess")
            .str()
            .is_some_and(|s| s.eq_ignore_ascii_case("Disabled")) =>
        {
            cx.pass(
                Some(t),
                "properties.publicNetworkAccess",
                format!("Azure Monitor workspace `{label}` refuses public queries (its private endpoint is not in the input)"),
            );
            return;
        }
        None => cx.fail(
            Some(t),
            "privateEndpoints",
            format!("Azure Monitor workspace `{label}` has no private endpoint (`prometheusMetrics`): the regulated tier keeps its metrics off the public network (estate: `monitoring.private`)"),
        ),
    }
    cx.check(
        t,
        &Rule::one_of("properties.publicNetworkAccess", &["Disabled"]),
    );
}
