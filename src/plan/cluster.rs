//! The AKS cluster: managed cluster with its pools, both planned maintenance windows, audit
//! diagnostics and the pod security policy assignment.

use super::spoke::{control_plane_id, kubelet_id, subnet_id, workspace_id};
use super::{
    admin_param, diagnostics, lock, policies, res, rg_deployment, spoke_sub_param, tags, types,
};
use crate::ir::{Deployment, Expr, Target, Value};
use crate::model::{
    ClusterTier, DiskEncryption, Estate, NetworkPolicy, NetworkRule, NodeOsChannel, OsDiskType,
    OsSku, PodSecurityLevel, PolicyEffect, PoolMode, Spoke, SubnetRole, UpgradeChannel, Window,
};
use crate::obj;
use indexmap::IndexMap;

const CRITICAL_ONLY: &str = "CriticalAddonsOnly=true:NoSchedule";

fn maintenance(id: &str, cluster: &str, name: &str, w: &Window) -> crate::ir::Resource {
    let mut r = res(
        id,
        types::AKS_MAINT,
        &[cluster, name],
        obj! {
            "properties" => obj! {
                "maintenanceWindow" => obj! {
                    "schedule" => obj! {
                        "weekly" => obj! { "intervalWeeks" => 1u32, "dayOfWeek" => &w.day_of_week },
                    },
                    "durationHours" => w.duration_hours,
                    "startTime" => &w.start_time,
                    "utcOffset" => &w.utc_offset,
                },
            },
        },
    );
    r.depends_on.push("cluster".into());
    r
}

fn pool_profile(s: &Spoke, p: &crate::model::NodePool) -> Value {
    let mut taints = p.taints.clone();
    if p.mode == PoolMode::System && !taints.iter().any(|t| t == CRITICAL_ONLY) {
        taints.insert(0, CRITICAL_ONLY.to_string());
    }
    let labels: IndexMap<String, Value> = p
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::Str(v.clone())))
        .collect();
    obj! {
        "name" => &p.name,
        "mode" => match p.mode { PoolMode::System => "System", PoolMode::User => "User" },
        "type" => "VirtualMachineScaleSets",
        "vmSize" => &p.vm_size,
        "count" => p.min_count,
        "enableAutoScaling" => true,
        "minCount" => p.min_count,
        "maxCount" => p.max_count,
        "availabilityZones" => (!p.zones.is_empty()).then(|| p.zones.clone()),
        "osType" => "Linux",
        "osSKU" => match p.os_sku { OsSku::AzureLinux => "AzureLinux", OsSku::Ubuntu => "Ubuntu" },
        "osDiskType" => match p.os_disk_type { OsDiskType::Ephemeral => "Ephemeral", OsDiskType::Managed => "Managed" },
        "osDiskSizeGB" => p.os_disk_size_gb,
        "maxPods" => p.max_pods,
        "vnetSubnetID" => subnet_id(s, p.subnet),
        "enableNodePublicIP" => false,
        "enableEncryptionAtHost" => p.encryption_at_host,
        "enableFIPS" => p.fips,
        "workloadRuntime" => if p.sandbox { "KataVmIsolation" } else { "OCIContainer" },
        "nodeTaints" => (!taints.is_empty()).then_some(taints),
        "nodeLabels" => (!labels.is_empty()).then_some(Value::Object(labels)),
        "securityProfile" => obj! { "sshAccess" => "Disabled" },
        "upgradeSettings" => obj! { "maxSurge" => "33%" },
    }
}

/// The namespaces workload policies leave alone: AKS's own, the mesh's when it is on, and Flux's
/// when GitOps is on (its images come from MCR and its agent mounts a host path).
fn excluded_namespaces(c: &crate::model::Cluster) -> Vec<&'static str> {
    let mut out = policies::SYSTEM_NAMESPACES.to_vec();
    if c.mesh_revision.is_some() {
        out.extend(policies::MESH_NAMESPACES);
    }
    if c.gitops.is_some() {
        out.push(crate::model::GitOps::NAMESPACE);
    }
    out
}

/// A built-in Kubernetes policy assigned to the cluster, with its effect following the pod
/// security effect and extra parameters.
fn cluster_policy(
    id: &str,
    s: &Spoke,
    name: &str,
    display: String,
    definition: &str,
    params: Vec<(&str, Value)>,
    excluded: &[&str],
) -> crate::ir::Resource {
    let c = &s.cluster;
    let mut parameters = IndexMap::new();
    for (k, v) in params {
        parameters.insert(k.to_string(), obj! { "value" => v });
    }
    parameters.insert(
        "effect".into(),
        obj! { "value" => match c.pod_security_effect { PolicyEffect::Audit => "Audit", PolicyEffect::Deny => "Deny" } },
    );
    parameters.insert(
        "excludedNamespaces".into(),
        obj! { "value" => excluded.to_vec() },
    );
    let mut p = res(
        id,
        types::POLICY,
        &[name],
        obj! {
            "properties" => obj! {
                "displayName" => display,
                "description" => "Assigned by aks-harden beside pod security: what the cluster's workloads may run",
                "policyDefinitionId" => format!("/providers/{}/{definition}", types::POLICY_DEFINITION),
                "enforcementMode" => "Default",
                "parameters" => Value::Object(parameters),
            },
        },
    );
    p.scope = Some(Target::new(types::AKS, &[&c.name]));
    p.depends_on.push("cluster".into());
    p
}

/// Image admission: containers run only images from the spoke's own registry, which Defender for
/// Containers scans. This takes the place of ACR quarantine, which needs a scanner to mark images.
fn allowed_images(s: &Spoke, excluded: &[&str]) -> crate::ir::Resource {
    let registry = &s.registry.name;
    cluster_policy(
        "allowed_images",
        s,
        "allowed-images",
        format!(
            "Only images from {registry}.azurecr.io on {}",
            s.cluster.name
        ),
        policies::ALLOWED_IMAGES,
        vec![(
            "allowedContainerImagesRegex",
            format!("^{registry}\\.azurecr\\.io/.+$").into(),
        )],
        excluded,
    )
}

/// The namespaces the pod security initiative leaves alone: AKS's own, and Flux's controllers
/// when GitOps is on.
fn pod_security_excluded(c: &crate::model::Cluster) -> Vec<&'static str> {
    let mut out = vec!["kube-system", "gatekeeper-system", "azure-arc"];
    if c.gitops.is_some() {
        out.push(crate::model::GitOps::NAMESPACE);
    }
    out
}

fn rule(r: NetworkRule) -> &'static str {
    match r {
        NetworkRule::DenyAll => "DenyAll",
        NetworkRule::AllowSameNamespace => "AllowSameNamespace",
        NetworkRule::AllowAll => "AllowAll",
    }
}

/// Managed namespaces: AKS creates each with its default network policy, resource quota and the
/// cluster's pod security level (enforced where the policy effect is deny, audited and warned
/// about where it is audit), and keeps them in that state.
fn namespaces(estate: &Estate, s: &Spoke) -> Vec<crate::ir::Resource> {
    let c = &s.cluster;
    let level = match c.pod_security {
        PodSecurityLevel::Baseline => "baseline",
        PodSecurityLevel::Restricted => "restricted",
    };
    let modes: &[&str] = match c.pod_security_effect {
        PolicyEffect::Deny => &["enforce"],
        PolicyEffect::Audit => &["audit", "warn"],
    };
    s.namespaces
        .iter()
        .map(|n| {
            let mut labels = IndexMap::new();
            for m in modes {
                labels.insert(
                    format!("pod-security.kubernetes.io/{m}"),
                    Value::Str(level.into()),
                );
            }
            let [cpu_request, cpu_limit, memory_request, memory_limit] = &n.quota;
            let mut r = res(
                &format!("namespace_{}", n.name.replace('-', "_")),
                types::AKS_NAMESPACE,
                &[&c.name, &n.name],
                obj! {
                    "location" => &estate.location,
                    "tags" => tags(estate),
                    "properties" => obj! {
                        "labels" => Value::Object(labels),
                        "defaultResourceQuota" => obj! {
                            "cpuRequest" => cpu_request,
                            "cpuLimit" => cpu_limit,
                            "memoryRequest" => memory_request,
                            "memoryLimit" => memory_limit,
                        },
                        "defaultNetworkPolicy" => obj! {
                            "ingress" => rule(n.ingress),
                            "egress" => rule(n.egress),
                        },
                        "adoptionPolicy" => "IfIdentical",
                        "deletePolicy" => "Keep",
                    },
                },
            );
            r.depends_on.push("cluster".into());
            r
        })
        .collect()
}

/// The cluster deployment.
pub(crate) fn cluster(estate: &Estate, s: &Spoke) -> Deployment {
    let c = &s.cluster;
    let uai_api = crate::azure::types::api_version(types::UAI).to_string();
    let kubelet = kubelet_id(s);
    let kubelet_prop = |p: &str| Expr::Reference {
        id: Box::new(kubelet.clone()),
        api_version: uai_api.clone(),
        full: false,
        path: vec![p.to_string()],
    };
    let workspace = workspace_id(s);
    let kv_id = crate::plan::rid_in(
        &spoke_sub_param(s),
        &s.shared_rg,
        types::KV,
        &[&s.key_vault.name],
    );

    let mut api = IndexMap::new();
    api.insert("enablePrivateCluster".to_string(), Value::Bool(c.private));
    if c.private {
        api.insert("enablePrivateClusterPublicFQDN".into(), Value::Bool(false));
        api.insert(
            "privateDNSZone".into(),
            super::access::api_zone_ref(estate, s).map_or_else(|| "system".into(), Into::into),
        );
    } else {
        api.insert(
            "authorizedIPRanges".into(),
            c.authorized_ip_ranges
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .into(),
        );
    }
    api.insert(
        "enableVnetIntegration".into(),
        Value::Bool(c.vnet_integration),
    );
    if c.vnet_integration {
        api.insert(
            "subnetId".into(),
            subnet_id(s, SubnetRole::ApiServer).into(),
        );
    }
    api.insert(
        "disableRunCommand".into(),
        Value::Bool(c.disable_run_command),
    );

    let policy = match c.network_policy {
        NetworkPolicy::Azure => "azure",
        NetworkPolicy::Calico => "calico",
        NetworkPolicy::Cilium => "cilium",
    };
    let mut addons = IndexMap::new();
    addons.insert(
        "azurepolicy".to_string(),
        obj! { "enabled" => c.azure_policy },
    );
    addons.insert(
        "omsagent".into(),
        if c.container_insights {
            obj! {
                "enabled" => true,
                "config" => obj! { "logAnalyticsWorkspaceResourceID" => workspace.clone(), "useAADAuth" => "true" },
            }
        } else {
            obj! { "enabled" => false }
        },
    );
    addons.insert(
        "azureKeyvaultSecretsProvider".into(),
        if c.secrets_store_csi {
            obj! {
                "enabled" => true,
                "config" => obj! { "enableSecretRotation" => "true", "rotationPollInterval" => "2m" },
            }
        } else {
            obj! { "enabled" => false }
        },
    );
    addons.insert("kubeDashboard".into(), obj! { "enabled" => false });
    addons.insert("httpApplicationRouting".into(), obj! { "enabled" => false });

    let mut security = IndexMap::new();
    if c.defender {
        security.insert(
            "defender".to_string(),
            obj! {
                "logAnalyticsWorkspaceResourceId" => workspace.clone(),
                "securityMonitoring" => obj! { "enabled" => true },
            },
        );
    }
    security.insert(
        "workloadIdentity".into(),
        obj! { "enabled" => c.workload_identity },
    );
    security.insert(
        "imageCleaner".into(),
        match c.image_cleaner_interval_hours {
            Some(h) => obj! { "enabled" => true, "intervalHours" => h },
            None => obj! { "enabled" => false },
        },
    );
    if let Some(key) = &s.key_vault.kms_key_name {
        let key_id = crate::plan::rid_in(
            &spoke_sub_param(s),
            &s.shared_rg,
            types::KV_KEY,
            &[&s.key_vault.name, key],
        );
        security.insert(
            "azureKeyVaultKms".into(),
            obj! {
                "enabled" => true,
                "keyId" => Expr::Reference {
                    id: Box::new(key_id),
                    api_version: crate::azure::types::api_version(types::KV_KEY).to_string(),
                    full: false,
                    path: vec!["keyUriWithVersion".into()],
                },
                "keyVaultNetworkAccess" => "Private",
                "keyVaultResourceId" => kv_id.clone(),
            },
        );
    }

    let cp = control_plane_id(s);
    let props = obj! {
        "kubernetesVersion" => c.kubernetes_version.clone(),
        // The Premium tier exists to carry long-term support; asking for the tier without the
        // plan pays for what the cluster does not get.
        "supportPlan" => (c.sku_tier == ClusterTier::Premium).then_some("AKSLongTermSupport"),
        "dnsPrefix" => &c.dns_prefix,
        "nodeResourceGroup" => &s.nodes_rg,
        "nodeResourceGroupProfile" => obj! { "restrictionLevel" => "ReadOnly" },
        "enableRBAC" => true,
        "disableLocalAccounts" => true,
        "aadProfile" => obj! {
            "managed" => true,
            "enableAzureRBAC" => true,
            "adminGroupObjectIDs" => Expr::param(admin_param(s)),
            "tenantID" => Expr::param("tenantId"),
        },
        "apiServerAccessProfile" => Value::Object(api),
        "networkProfile" => obj! {
            "networkPlugin" => "azure",
            "networkPluginMode" => "overlay",
            "networkPolicy" => policy,
            "networkDataplane" => if c.cilium_dataplane { "cilium" } else { "azure" },
            "podCidr" => c.pod_cidr.to_string(),
            "serviceCidr" => c.service_cidr.to_string(),
            "dnsServiceIP" => c.dns_service_ip.to_string(),
            "outboundType" => "userDefinedRouting",
            "loadBalancerSku" => "standard",
        },
        "agentPoolProfiles" => Value::Array(c.pools.iter().map(|p| pool_profile(s, p)).collect()),
        "autoUpgradeProfile" => obj! {
            "upgradeChannel" => match c.upgrade_channel {
                UpgradeChannel::Patch => "patch",
                UpgradeChannel::Stable => "stable",
                UpgradeChannel::Rapid => "rapid",
                UpgradeChannel::None => "none",
            },
            "nodeOSUpgradeChannel" => match c.node_os_channel {
                NodeOsChannel::NodeImage => "NodeImage",
                NodeOsChannel::SecurityPatch => "SecurityPatch",
                NodeOsChannel::None => "None",
            },
        },
        "addonProfiles" => Value::Object(addons),
        "ingressProfile" => super::ingress::ingress_profile(s),
        "oidcIssuerProfile" => obj! { "enabled" => c.workload_identity },
        "securityProfile" => Value::Object(security),
        "identityProfile" => obj! {
            "kubeletidentity" => obj! {
                "resourceId" => kubelet.clone(),
                "clientId" => kubelet_prop("clientId"),
                "objectId" => kubelet_prop("principalId"),
            },
        },
        "serviceMeshProfile" => c.mesh_revision.as_ref().map(|rev| obj! {
            "mode" => "Istio",
            "istio" => obj! {
                "revisions" => vec![rev.clone()],
                "components" => obj! {
                    "ingressGateways" => vec![obj! { "mode" => "Internal", "enabled" => true }],
                },
            },
        }),
        "azureMonitorProfile" => super::monitoring::monitor_profile(s),
        "diskEncryptionSetID" => match &c.disk_encryption {
            DiskEncryption::PlatformManaged => Value::Null,
            DiskEncryption::Planned(des) => crate::plan::rid_in(&spoke_sub_param(s), &s.shared_rg, types::DES, &[des]).into(),
            DiskEncryption::Existing(id) => id.into(),
        },
    };
    let mut out = Vec::new();
    let cluster = res(
        "cluster",
        types::AKS,
        &[&c.name],
        obj! {
            "location" => &estate.location,
            "tags" => tags(estate),
            "sku" => obj! {
                "name" => "Base",
                "tier" => match c.sku_tier {
                    ClusterTier::Free => "Free",
                    ClusterTier::Standard => "Standard",
                    ClusterTier::Premium => "Premium",
                },
            },
            "identity" => obj! {
                "type" => "UserAssigned",
                "userAssignedIdentities" => Value::ExprKeyed(vec![(cp, Value::Object(IndexMap::new()))]),
            },
            "properties" => props,
        },
    );
    out.push(cluster);
    out.push(maintenance(
        "maintenance_upgrade",
        &c.name,
        "aksManagedAutoUpgradeSchedule",
        &c.auto_upgrade_window,
    ));
    out.push(maintenance(
        "maintenance_node_os",
        &c.name,
        "aksManagedNodeOSUpgradeSchedule",
        &c.node_os_window,
    ));
    out.push(diagnostics(
        "cluster_diagnostics",
        &Target::new(types::AKS, &[&c.name]),
        "cluster",
        workspace,
        &[
            "kube-apiserver",
            "kube-audit-admin",
            "kube-controller-manager",
            "kube-scheduler",
            "cluster-autoscaler",
            "guard",
        ],
    ));
    if c.azure_policy {
        let (set, label) = match c.pod_security {
            PodSecurityLevel::Baseline => (policies::POD_SECURITY_BASELINE, "baseline"),
            PodSecurityLevel::Restricted => (policies::POD_SECURITY_RESTRICTED, "restricted"),
        };
        let mut p = res(
            "pod_security",
            types::POLICY,
            &[&format!("pod-security-{label}")],
            obj! {
                "properties" => obj! {
                    "displayName" => format!("Pod security {label} standard on {}", c.name),
                    "description" => "Assigned by aks-harden: Kubernetes pod security standard enforced through Azure Policy",
                    "policyDefinitionId" => format!("/providers/{}/{set}", types::POLICY_SET_DEFINITION),
                    "enforcementMode" => "Default",
                    "parameters" => obj! {
                        "effect" => obj! { "value" => match c.pod_security_effect { PolicyEffect::Audit => "Audit", PolicyEffect::Deny => "Deny" } },
                        "excludedNamespaces" => obj! { "value" => pod_security_excluded(c) },
                    },
                },
            },
        );
        p.scope = Some(Target::new(types::AKS, &[&c.name]));
        p.depends_on.push("cluster".into());
        out.push(p);
        out.push(allowed_images(s, &excluded_namespaces(c)));
        out.push(cluster_policy(
            "container_limits",
            s,
            "container-limits",
            format!(
                "Containers on {} ask for at most {} CPU and {} memory",
                c.name, c.container_limits.0, c.container_limits.1
            ),
            policies::CONTAINER_LIMITS,
            vec![
                ("cpuLimit", c.container_limits.0.clone().into()),
                ("memoryLimit", c.container_limits.1.clone().into()),
            ],
            &excluded_namespaces(c),
        ));
    }
    out.extend(super::ingress::internal_lb_policy(estate, s));
    out.extend(namespaces(estate, s));
    let associations = super::monitoring::associations(estate, s);
    let mut depends = vec![
        format!("{}-network", s.key),
        format!("{}-shared", s.key),
        format!("{}-identity", s.key),
        format!("hub-links-{}", s.key),
    ];
    if !associations.is_empty() {
        depends.push(format!("{}-monitoring", s.key));
    }
    out.extend(associations);
    out.extend(lock(estate));
    rg_deployment(
        format!("{}-cluster", s.key),
        Some(&spoke_sub_param(s)),
        &s.cluster_rg,
        out,
        depends,
    )
}
