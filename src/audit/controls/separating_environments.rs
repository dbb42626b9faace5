//! Separating environments: subscriptions, resource groups and networks per environment and
//! trust level, managed identities with least privilege, and dedicated or sandboxed nodes.

use crate::audit::catalogue::{
    Control, Live,
    Section::SeparatingEnvironments,
    Severity::{High, Medium},
};
use crate::audit::eval::{Check, Cx, Rule};
use crate::audit::eval::{Status, eq, show};
use crate::audit::expr::is_expression;
use crate::audit::input::{Look, Place, id_scope, parse_id};
use crate::audit::query::{Pool, last_segment};
use crate::azure::{is_guid, roles, subnets, types};
use crate::posture::ControlId;
use crate::posture::Tier;
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// The controls of this section, in guideline order.
pub(super) const CONTROLS: &[Control] = &[
    Control {
        id: ControlId::EnvSubscriptions,
        severity: High,
        section: SeparatingEnvironments,
        topic: "Cluster vs Namespace isolation",
        title: "connectivity and each environment's workload live in their own subscriptions",
        demands: "Shared connectivity (hub network, firewall, private DNS) lives in its own subscription; each environment's workload (spoke, cluster, registry, vault, logs) in its own. Dev may collapse to one subscription; prod never shares a subscription with non-prod.",
        why: "A subscription is Azure's strongest everyday boundary for RBAC, policy, quotas and billing. Whoever is Owner or Contributor on a shared subscription reaches every environment in it, so a compromised dev pipeline or a careless role assignment in a shared subscription reaches production and the hub that filters all its traffic.",
        fix: "Give every spoke its own `subscriptionId` in the estate (or its own `<spoke>SubscriptionId` parameter at deployment), different from the connectivity subscription and from every other spoke. In a template, deploy each environment through a deployment that names its own `subscriptionId`.",
        checkov: &[],
        psrule: &[],
        cis: &[],
        live: Live::No,
        estate_keys: &["/spokes/*/subscriptionId", "/spokes"],
        check: Check::Code(env_subscriptions),
    },
    Control {
        id: ControlId::EnvResourceGroups,
        severity: High,
        section: SeparatingEnvironments,
        topic: "Cluster vs Namespace isolation",
        title: "resource groups per concern; explicit, read-only node resource group",
        demands: "Separate resource groups per concern: hub network, spoke network, cluster, shared services (ACR, Key Vault, Log Analytics); the node resource group has an explicit name (`nodeResourceGroup`) and `nodeResourceGroupProfile.restrictionLevel: ReadOnly`.",
        why: "Resource groups are where roles, locks and policies usually attach. Mixing the network, the cluster and the vault in one group means the cluster's operators can also change routes and read secrets. A writable node resource group lets anyone with access change the VMs, disks and load balancers AKS manages behind the cluster's back.",
        fix: "Deploy the spoke network, the cluster and the shared services (registry, vault, workspace) into different resource groups. On the cluster set `nodeResourceGroup` to an explicit name and `nodeResourceGroupProfile.restrictionLevel` to `ReadOnly`.",
        checkov: &[],
        psrule: &[],
        cis: &[],
        live: Live::Partial,
        estate_keys: &["/spokes/*/cluster", "/spokes"],
        check: Check::Code(env_resource_groups),
    },
    Control {
        id: ControlId::EnvClusterIsolation,
        severity: High,
        section: SeparatingEnvironments,
        topic: "Cluster vs Namespace isolation",
        title: "one cluster and VNet per environment and trust level",
        demands: "One cluster per environment and trust level: a prod spoke and a non-prod spoke never share a cluster or a VNet; namespaces only separate workloads of the same trust level.",
        why: "Namespaces are not a security boundary: nodes, the kernel, the API server and cluster-wide resources are shared. A container escape or a mis-scoped role in one namespace reaches every other one, so workloads of different trust levels need different clusters, and clusters of different environments need different networks.",
        fix: "Give each environment its own spoke: its own VNet (non-overlapping address space) and its own cluster. Never place two clusters' node pools in the same VNet.",
        checkov: &[],
        psrule: &[],
        cis: &["5.6.2", "4.6.1"],
        live: Live::No,
        estate_keys: &["/spokes/*/addressSpace", "/spokes"],
        check: Check::Code(env_cluster_isolation),
    },
    Control {
        id: ControlId::IdManagedIdentity,
        severity: High,
        section: SeparatingEnvironments,
        topic: "Azure service principals and MSI",
        title: "user-assigned identities for control plane and kubelet; workload identity for pods",
        demands: "No service-principal secrets anywhere. The control plane uses a user-assigned identity (`identity.type: UserAssigned`); the kubelet uses a user-assigned identity (`identityProfile.kubeletidentity`); pods use workload identity (`oidcIssuerProfile.enabled`, `securityProfile.workloadIdentity.enabled`).",
        why: "A service principal's secret is a long-lived password that sits in files, pipelines and the nodes themselves, and expires at the worst moment. Managed identities have no secret to steal or rotate. User-assigned ones can be granted their roles before the cluster exists and survive its re-creation; workload identity gives each pod its own federated identity instead of the node's.",
        fix: "Set `identity.type: UserAssigned` with a control-plane identity, `identityProfile.kubeletidentity` with a kubelet identity, `oidcIssuerProfile.enabled: true` and `securityProfile.workloadIdentity.enabled: true`; remove `servicePrincipalProfile`. In an estate: `cluster.security.workloadIdentity: true`.",
        checkov: &[],
        psrule: &["Azure.AKS.ManagedIdentity"],
        cis: &["5.2.1"],
        live: Live::Full,
        estate_keys: &[
            "/spokes/*/cluster/security/workloadIdentity",
            "/spokes/*/cluster/security",
        ],
        check: Check::Code(id_managed_identity),
    },
    Control {
        id: ControlId::IdLeastPrivilege,
        severity: High,
        section: SeparatingEnvironments,
        topic: "Azure service principals and MSI",
        title: "role assignments scoped to the smallest resource, with deterministic names",
        demands: "Role assignments are scoped to the smallest resource that works: Network Contributor on the cluster subnets and route table (not the resource group), AcrPull on the registry for the kubelet identity, Managed Identity Operator on the kubelet identity for the control-plane identity, Private DNS Zone Contributor only on a BYO zone, Key Vault Crypto User on the KMS key. No Owner, Contributor or User Access Administrator. Role assignment names are deterministic `guid(...)`.",
        why: "An identity with Contributor on a resource group, or Network Contributor on a whole VNet, can rewrite routes, open NSGs and read neighbours' secrets when the cluster or a pod is compromised. Scoping each assignment to the one resource it needs keeps the blast radius small. Names from `newGuid()` create a new assignment on every deployment and leave stale ones behind.",
        fix: "Attach each role assignment to its resource with `scope` (the subnet, the route table, the registry, the identity, the key), never to a resource group or subscription; replace broad roles with the specific built-in role; name assignments `guid(scope, principal, role)`.",
        checkov: &[],
        psrule: &[],
        cis: &["5.1.2", "5.1.3"],
        live: Live::No,
        estate_keys: &["/spokes"],
        check: Check::Code(id_least_privilege),
    },
    Control {
        id: ControlId::NodeSystemDedicated,
        severity: Medium,
        section: SeparatingEnvironments,
        topic: "Dedicated nodes / hyper-v isolation on Nodes",
        title: "system pool runs only critical add-ons",
        demands: "The system pool runs only critical add-ons (`nodeTaints: CriticalAddonsOnly=true:NoSchedule` or `onlyCriticalAddonsEnabled`); workloads run in user pools.",
        why: "CoreDNS, konnectivity, the CSI drivers and the policy agent run on the system pool. A workload pod that lands there can starve them or, after an escape, reach their tokens; keeping workloads off the system pool protects the cluster's own machinery.",
        fix: "Add the taint `CriticalAddonsOnly=true:NoSchedule` to every pool with `mode: System` and run workloads in at least one pool with `mode: User`.",
        checkov: &["CKV_AZURE_232"],
        psrule: &[],
        cis: &[],
        live: Live::Full,
        estate_keys: &["/spokes/*/cluster/nodePools"],
        check: Check::Code(node_system_dedicated),
    },
    Control {
        id: ControlId::NodeSandbox,
        severity: Medium,
        section: SeparatingEnvironments,
        topic: "Dedicated nodes / hyper-v isolation on Nodes",
        title: "VM-isolated sandbox pool for untrusted workloads where the profile asks",
        demands: "Untrusted workloads get a pool with VM-level isolation (`workloadRuntime: KataVmIsolation`, the successor of Hyper-V isolation) where the profile asks for it (the regulated tier); a sandbox pool is tainted so that only workloads that ask for it land there, and a pool labelled or tainted for untrusted workloads really is sandboxed.",
        why: "Containers share the node's kernel, so one kernel exploit reaches every pod on the node. Kata VM isolation gives each pod its own kernel in a lightweight VM, which turns a kernel exploit in untrusted code into an escape into an empty VM.",
        fix: "Add a user pool with `workloadRuntime: KataVmIsolation` (estate: `sandbox: true`) and a taint such as `sandbox=kata:NoSchedule`; schedule untrusted workloads there with a toleration and the `kata-vm-isolation` runtime class.",
        checkov: &[],
        psrule: &[],
        cis: &["5.6.1", "5.6.2"],
        live: Live::Full,
        estate_keys: &["/spokes/*/cluster/nodePools", "/tier"],
        check: Check::Code(node_sandbox),
    },
];

/// ENV-RESOURCE-GROUPS, on every cluster: an explicit, read-only node resource group.
const NODE_RESOURCE_GROUP: &[Rule] = &[
    Rule::text("properties.nodeResourceGroup", "an explicit name"),
    Rule::one_of(
        "properties.nodeResourceGroupProfile.restrictionLevel",
        &["ReadOnly"],
    ),
];

/// ID-MANAGED-IDENTITY, on every cluster after its control-plane identity.
const KUBELET_AND_WORKLOAD_IDENTITY: &[Rule] = &[
    Rule::present(
        "properties.identityProfile.kubeletidentity.resourceId",
        "a user-assigned kubelet identity",
    ),
    Rule::is_true("properties.oidcIssuerProfile.enabled"),
    Rule::is_true("properties.securityProfile.workloadIdentity.enabled"),
];

fn env_subscriptions(cx: &mut Cx) {
    let clusters = cx.clusters();
    if clusters.is_empty() {
        return;
    }
    let candidates =
        cx.q.of_types(&[types::FW, types::FWP, types::VNET_GATEWAY, types::VNET]);
    let hub = candidates.into_iter().find(|&i| {
        let r = cx.r(i);
        !r.is(types::VNET)
            || r.get("properties.subnets").array().iter().any(|s| {
                s.get("name")
                    .and_then(Json::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(subnets::FIREWALL))
            })
    });
    if hub.is_none() && clusters.len() == 1 {
        cx.na("the input holds one environment's workload and no connectivity resources; its subscription is chosen outside it");
        return;
    }
    for (n, &c) in clusters.iter().enumerate() {
        let sub = cx.r(c).subscription.clone();
        let mut ok = true;
        if let Some(h) = hub {
            let hub_sub = cx.r(h).subscription.clone();
            if sub.same(&hub_sub) {
                ok = false;
                cx.fail(
                    Some(c),
                    "subscriptionId",
                    format!(
                        "deploys into {}, the same as the connectivity resources ({})",
                        sub.describe("subscription"),
                        cx.r(h).label
                    ),
                );
            }
        }
        for &other in &clusters[n + 1..] {
            if sub.same(&cx.r(other).subscription) {
                ok = false;
                cx.fail(
                    Some(c),
                    "subscriptionId",
                    format!(
                        "shares {} with cluster {}",
                        sub.describe("subscription"),
                        cx.r(other).label
                    ),
                );
            }
        }
        if ok {
            let hub_text = hub.map_or(String::new(), |h| {
                format!(
                    "; connectivity in {}",
                    cx.r(h).subscription.describe("subscription")
                )
            });
            cx.pass(
                Some(c),
                "subscriptionId",
                format!("deploys into {}{hub_text}", sub.describe("subscription")),
            );
        }
    }
}

fn env_resource_groups(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.check_all(c, "", NODE_RESOURCE_GROUP);
        let subnet_id = cx
            .pools(c)
            .first()
            .and_then(|p| cx.r(p.res).get(&format!("{}.vnetSubnetID", p.prefix)).str())
            .map(str::to_string);
        if cx.live() {
            let cluster_rg = cx.r(c).resource_group.clone();
            if let (Some(id), Some(Place::Known(crg))) = (subnet_id, cluster_rg) {
                match id_scope(&id).1 {
                    Some(nrg) if nrg.eq_ignore_ascii_case(&crg) => cx.fail(
                        Some(c),
                        "properties.agentPoolProfiles[0].vnetSubnetId",
                        format!("the cluster and its network share resource group `{crg}`"),
                    ),
                    Some(nrg) => cx.pass(
                        Some(c),
                        "properties.agentPoolProfiles[0].vnetSubnetId",
                        format!("cluster in `{crg}`, network in `{nrg}`"),
                    ),
                    None => {}
                }
            }
            cx.gap("the resource groups of the registry, vault and workspace are not in a live cluster's JSON");
            continue;
        }
        let vnet = subnet_id
            .as_deref()
            .and_then(|id| cx.subnet_by_id(id))
            .map(|s| s.res);
        let mut groups: Vec<(usize, &str)> = vec![(c, "the cluster")];
        if let Some(v) = vnet {
            groups.push((v, "the spoke network"));
        }
        let sub = cx.r(c).subscription.clone();
        for t in [types::ACR, types::KV, types::LAW] {
            for (i, r) in cx.q.of_type(t) {
                if r.subscription.same(&sub) {
                    groups.push((i, "shared services"));
                }
            }
        }
        for (i, _) in cx.q.of_type(types::FW) {
            groups.push((i, "the hub network"));
        }
        let mut clash = false;
        for (n, &(a, ka)) in groups.iter().enumerate() {
            for &(b, kb) in &groups[n + 1..] {
                if ka != kb && cx.q.same_rg(a, b) {
                    clash = true;
                    let text = format!(
                        "{ka} ({}) and {kb} ({}) share {}",
                        cx.r(a).label,
                        cx.r(b).label,
                        cx.q.rg_name(a)
                    );
                    cx.fail(Some(b), "resourceGroup", text);
                }
            }
        }
        if !clash {
            let mut seen = Vec::new();
            for &(r, kind) in &groups {
                let text = format!("{kind} in {}", cx.q.rg_name(r));
                if !seen.contains(&text) {
                    seen.push(text);
                }
            }
            cx.pass(Some(c), "resourceGroup", seen.join("; "));
        }
    }
}

fn env_cluster_isolation(cx: &mut Cx) {
    let clusters = cx.clusters();
    let mut vnets: Vec<(usize, BTreeSet<String>)> = Vec::new();
    for &c in &clusters {
        let mut set = BTreeSet::new();
        for p in cx.pools(c) {
            let path = format!("{}.vnetSubnetID", p.prefix);
            match cx.r(p.res).get(&path) {
                Look::Value(v) => {
                    if let Some((_, names)) = v.as_str().and_then(parse_id) {
                        set.insert(names[0].to_ascii_lowercase());
                    }
                }
                Look::Unknown(u) => cx.unevaluated(p.res, &path, u),
                Look::Missing => {
                    set.insert(format!("aks-managed:{}", cx.r(c).name));
                }
            }
        }
        vnets.push((c, set));
    }
    for (n, (c, set)) in vnets.iter().enumerate() {
        let mut shared = false;
        for (other, oset) in &vnets[n + 1..] {
            if let Some(v) = set.intersection(oset).next() {
                shared = true;
                cx.fail(
                    Some(*c),
                    "properties.agentPoolProfiles",
                    format!(
                        "shares VNet `{v}` with cluster {}: environments of different trust share a network",
                        cx.r(*other).label
                    ),
                );
            }
        }
        if !shared && !set.is_empty() {
            let list = set.iter().cloned().collect::<Vec<_>>().join(", ");
            let text = if clusters.len() == 1 {
                format!("the only cluster, in VNet {list}")
            } else {
                format!("has VNet {list} to itself")
            };
            cx.pass(Some(*c), "properties.agentPoolProfiles", text);
        }
    }
}

fn id_managed_identity(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.check(c, &Rule::one_of("identity.type", &["UserAssigned"]));
        match cx.r(c).get("properties.servicePrincipalProfile.clientId") {
            Look::Value(v) if eq(v, "msi") => cx.pass(
                Some(c),
                "properties.servicePrincipalProfile.clientId",
                "is `msi`: managed identity, no secret",
            ),
            Look::Value(v) => cx.fail(
                Some(c),
                "properties.servicePrincipalProfile.clientId",
                format!("is `{}`: a service principal with a secret", show(v)),
            ),
            Look::Unknown(u) => {
                cx.unevaluated(c, "properties.servicePrincipalProfile.clientId", u);
            }
            Look::Missing => cx.pass(
                Some(c),
                "properties.servicePrincipalProfile",
                "is not set: no service principal",
            ),
        }
        cx.check_all(c, "", KUBELET_AND_WORKLOAD_IDENTITY);
    }
}

fn id_least_privilege(cx: &mut Cx) {
    let assignments: Vec<usize> = cx.q.of_type(types::ROLE).map(|(i, _)| i).collect();
    if assignments.is_empty() {
        cx.na("no role assignments in the input");
        return;
    }
    let mut byo_vnets: Option<BTreeSet<String>> = None;
    for a in assignments {
        let r = cx.r(a);
        let role = match r.get("properties.roleDefinitionId") {
            Look::Value(v) => v.as_str().map(|s| last_segment(s).to_ascii_lowercase()),
            Look::Unknown(u) => {
                cx.unevaluated(a, "properties.roleDefinitionId", u);
                continue;
            }
            Look::Missing => None,
        };
        let Some(role) = role else {
            cx.fail(Some(a), "properties.roleDefinitionId", "is not set");
            continue;
        };
        let known = roles::SCOPED.iter().find(|k| k.id == role);
        let role_name = known.map_or_else(|| format!("role `{role}`"), |k| k.name.to_string());
        if let Some((_, broad)) = roles::BROAD.iter().find(|(id, _)| *id == role) {
            cx.fail(
                Some(a),
                "properties.roleDefinitionId",
                format!("assigns {broad}, which no workload identity needs"),
            );
            continue;
        }
        let scope_target = match &r.scope {
            Some(s) => match parse_id(s) {
                Some((t, names)) => Some((t, names.join("/"))),
                None => {
                    cx.unknown(
                        Some(a),
                        "scope",
                        format!("is `{s}`, which the audit cannot evaluate"),
                    );
                    continue;
                }
            },
            None => None,
        };
        let deterministic = {
            let raw = r.raw_name.to_ascii_lowercase();
            if raw.contains("newguid") {
                Some(false)
            } else if raw.starts_with("[guid(") || is_guid(&r.raw_name) {
                Some(true)
            } else if is_expression(&r.raw_name) {
                is_guid(&r.name).then_some(true)
            } else {
                Some(false)
            }
        };
        if let Some((t, name)) = &scope_target {
            if role == roles::NETWORK_CONTRIBUTOR
                && t.eq_ignore_ascii_case(types::VNET)
                && byo_vnets
                    .get_or_insert_with(|| byo_zone_vnets(cx))
                    .contains(&name.to_ascii_lowercase())
            {
                cx.pass(
                    Some(a),
                    "scope",
                    format!("Network Contributor on VNet `{name}`, whose cluster keeps its API server name in a zone of its own: AKS links that zone to the VNet"),
                );
                continue;
            }
        }
        match scope_target {
            None => {
                let at = match &r.resource_group {
                    Some(_) => cx.q.rg_name(a),
                    None => "the whole subscription".into(),
                };
                cx.fail(
                    Some(a),
                    "scope",
                    format!("{role_name} is assigned on {at}, not on the resource it needs"),
                );
            }
            Some((t, name)) => {
                match known.map(|k| k.scopes) {
                    Some(scopes) if !scopes.iter().any(|x| x.eq_ignore_ascii_case(&t)) => cx.fail(
                        Some(a),
                        "scope",
                        format!(
                            "{role_name} on {} `{name}`; want it on {}",
                            last_segment(&t),
                            scopes
                                .iter()
                                .map(|x| last_segment(x))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    ),
                    _ => match deterministic {
                        Some(true) => cx.pass(
                            Some(a),
                            "scope",
                            format!("{role_name} on {} `{name}`, name `guid(...)`", last_segment(&t)),
                        ),
                        Some(false) => cx.fail(
                            Some(a),
                            "name",
                            format!(
                                "{role_name} on {} `{name}` has name `{}`; want a deterministic `guid(scope, principal, role)`",
                                last_segment(&t),
                                show(&Json::String(r.raw_name.clone()))
                            ),
                        ),
                        None => cx.unknown(
                            Some(a),
                            "name",
                            format!(
                                "{role_name} on {} `{name}` is named by `{}`, which the audit cannot evaluate",
                                last_segment(&t),
                                r.raw_name
                            ),
                        ),
                    },
                }
            }
        }
    }
}

fn taints(cx: &Cx, p: &Pool) -> Vec<String> {
    cx.r(p.res)
        .get(&format!("{}.nodeTaints", p.prefix))
        .array()
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

fn node_system_dedicated(cx: &mut Cx) {
    for c in cx.clusters() {
        let pools = cx.pools(c);
        let mut users = 0;
        for p in &pools {
            if !p.system {
                users += 1;
                continue;
            }
            let path = format!("{}.nodeTaints", p.prefix);
            match cx.r(p.res).get(&path) {
                Look::Unknown(u) => cx.unevaluated(p.res, &path, u),
                _ => {
                    let t = taints(cx, p);
                    if t.iter().any(|x| {
                        x.to_ascii_lowercase()
                            .starts_with("criticaladdonsonly=true:no")
                    }) {
                        cx.pass(
                            Some(p.res),
                            &path,
                            format!(
                                "system pool `{}` has `CriticalAddonsOnly=true:NoSchedule`",
                                p.name
                            ),
                        );
                    } else {
                        cx.fail(
                            Some(p.res),
                            &path,
                            format!(
                                "system pool `{}` has no `CriticalAddonsOnly=true:NoSchedule` taint: workloads land on it",
                                p.name
                            ),
                        );
                    }
                }
            }
        }
        if users == 0 && !pools.is_empty() {
            cx.fail(
                Some(c),
                "properties.agentPoolProfiles",
                "no pool has `mode: User`: workloads run on the system pool",
            );
        } else if users > 0 {
            cx.pass(
                Some(c),
                "properties.agentPoolProfiles",
                format!(
                    "{users} user pool{} for workloads",
                    if users == 1 { "" } else { "s" }
                ),
            );
        }
    }
}

fn node_sandbox(cx: &mut Cx) {
    for c in cx.clusters() {
        let pools = cx.pools(c);
        let mut kata = 0;
        for p in &pools {
            let rt_path = format!("{}.workloadRuntime", p.prefix);
            let runtime = cx.r(p.res).get(&rt_path);
            let is_kata = runtime
                .str()
                .is_some_and(|s| s.to_ascii_lowercase().starts_with("kata"));
            let t = taints(cx, p);
            let labels = cx.r(p.res).get(&format!("{}.nodeLabels", p.prefix));
            let marked = t.iter().any(|x| {
                let l = x.to_ascii_lowercase();
                l.contains("sandbox") || l.contains("untrusted")
            }) || labels.value().and_then(Json::as_object).is_some_and(|o| {
                o.iter().any(|(k, v)| {
                    let text =
                        format!("{k}={}", v.as_str().unwrap_or_default()).to_ascii_lowercase();
                    text.contains("sandbox") || text.contains("untrusted")
                })
            });
            if is_kata {
                kata += 1;
                if t.iter()
                    .any(|x| x.to_ascii_lowercase().ends_with(":noschedule"))
                {
                    cx.pass(
                        Some(p.res),
                        &rt_path,
                        format!("pool `{}` runs `KataVmIsolation`, tainted so only workloads that ask land there", p.name),
                    );
                } else {
                    cx.fail(
                        Some(p.res),
                        &format!("{}.nodeTaints", p.prefix),
                        format!("sandbox pool `{}` has no NoSchedule taint: any workload may land on it", p.name),
                    );
                }
            } else if marked {
                cx.fail(
                    Some(p.res),
                    &rt_path,
                    format!(
                        "pool `{}` is marked for untrusted workloads but runs `{}`, not `KataVmIsolation`",
                        p.name,
                        runtime.str().unwrap_or("OCIContainer")
                    ),
                );
            }
        }
        if kata == 0 && cx.tier() == Tier::Regulated {
            cx.fail(
                Some(c),
                "properties.agentPoolProfiles",
                "the regulated tier asks for a sandbox pool; no pool has `workloadRuntime: KataVmIsolation`",
            );
        }
    }
    if !cx.f.iter().any(|f| f.status != Status::NotApplicable) {
        cx.f.clear();
        cx.na(format!(
            "the {} tier asks for no sandbox pool and none is declared",
            cx.tier().as_str()
        ));
    }
}

/// The VNets (lower case) whose clusters keep their API server's name in a private DNS
/// zone of its own (`privateDNSZone` a zone id): AKS then links the zone to that VNet, and the
/// control plane needs Network Contributor on the VNet, as Microsoft's private cluster docs say.
fn byo_zone_vnets(cx: &mut Cx) -> BTreeSet<String> {
    const NEEDLE: &str = "/virtualnetworks/";
    let mut out = BTreeSet::new();
    for c in cx.clusters() {
        let byo = cx
            .r(c)
            .get("properties.apiServerAccessProfile.privateDNSZone")
            .str()
            .is_some_and(|z| z.contains('/'));
        if !byo {
            continue;
        }
        for p in cx.pools(c) {
            let Some(id) = cx.r(p.res).get(&format!("{}.vnetSubnetID", p.prefix)).str() else {
                continue;
            };
            let id = id.to_ascii_lowercase();
            for (at, _) in id.match_indices(NEEDLE) {
                let rest = &id[at + NEEDLE.len()..];
                if let Some((vnet, _)) = rest.split_once('/') {
                    out.insert(vnet.to_string());
                }
            }
        }
    }
    out
}
