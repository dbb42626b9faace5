//! Securing workloads: what may run (the registry and image scanning), how pods may run (pod
//! security admission), and what they may reach (network policy, NSGs).

use crate::audit::catalogue::{
    Control, Live,
    Section::SecuringWorkloads,
    Severity::{High, Medium},
};
use crate::audit::eval::{Check, Cx, Rule};
use crate::audit::eval::{falsy, show};
use crate::audit::input::Look;
use crate::audit::query::{InternetAllow, covers_port, last_segment};
use crate::azure::{policies, regions, roles, subnets, types};
use crate::posture::ControlId;
use serde_json::Value as Json;
use std::collections::BTreeSet;

/// The controls of this section, in guideline order.
pub(super) const CONTROLS: &[Control] = &[
    Control {
        id: ControlId::ImgRegistry,
        severity: High,
        section: SecuringWorkloads,
        topic: "Image scanning in azure container registry and third party products like Twistlock, Neuvektor and Aqua",
        title: "Premium ACR, no admin user, no anonymous pull, no public access, retention, an admission path that works",
        demands: "ACR Premium, admin user off, anonymous pull off, `publicNetworkAccess: Disabled`, a retention policy for untagged manifests, zone redundancy where the region has zones; Defender for Containers (`Microsoft.Security/pricings` `Containers`) scans it; the kubelet identity pulls with AcrPull on the registry. Images are admitted one of two ways, and the way chosen must work end to end: quarantine off and the built-in policy \"Kubernetes cluster containers should only use allowed images\" (`febd0533-8e55-448f-b837-bd0e06f16469`) assigned to a cluster with a regex naming this registry (the default); or `quarantinePolicy.status: enabled` with a principal holding AcrQuarantineWriter on the registry to mark scanned images passed.",
        why: "The registry decides what runs in the cluster. An admin user is a shared password, anonymous pull and public access expose images (and the secrets baked into them) to anyone, and without scanning a known-vulnerable image is deployed silently. Quarantine without a writer is worse than none: no pushed image ever becomes pullable, and the first fix under pressure is to switch every control off.",
        fix: "On the registry set `sku.name: Premium`, `adminUserEnabled: false`, `anonymousPullEnabled: false`, `publicNetworkAccess: Disabled`, `policies.retentionPolicy.status: enabled`, `zoneRedundancy: Enabled`; enable the `Containers` Defender plan; assign AcrPull on the registry to the kubelet identity. Either keep `quarantinePolicy.status: disabled` and assign the allowed-images policy to the cluster (`allowedContainerImagesRegex: ^<registry>\\.azurecr\\.io/.+$`), or enable quarantine and give the pipeline's principal AcrPush and AcrQuarantineWriter. Estate: `registry` (`quarantine`, `quarantineWriter`), `defender.containers`, `paasAccess: privateEndpoints`, `cluster.addons.azurePolicy`.",
        checkov: &[
            "CKV_AZURE_137",
            "CKV_AZURE_138",
            "CKV_AZURE_139",
            "CKV_AZURE_163",
            "CKV_AZURE_167",
            "CKV_AZURE_233",
        ],
        psrule: &[],
        cis: &["5.1.1", "5.1.3"],
        live: Live::No,
        estate_keys: &[
            "/spokes/*/registry",
            "/defender/containers",
            "/spokes/*/paasAccess",
        ],
        check: Check::Code(img_registry),
    },
    Control {
        id: ControlId::PodSecurity,
        severity: Medium,
        section: SecuringWorkloads,
        topic: "Ensuring adimission controllers/ pod security policies, privileged pods, runasroot, volumes, fsGroups, hostports on AKS / ACS-Engine",
        title: "Azure Policy add-on and the pod security initiative assigned",
        demands: "The Azure Policy add-on on, and the built-in Kubernetes pod security initiative assigned to the cluster: restricted (`42b8ef37-b724-4e24-bbc8-7a7708edfe00`) with effect `Deny` and `enforcementMode: Default`. Baseline or audit is a relaxation a profile records as a waiver.",
        why: "Pod security policies are gone; without admission control any user who may create a pod can run it privileged, as root, with host paths and host networking, which is a node takeover in one manifest.",
        fix: "Enable `addonProfiles.azurepolicy` and assign the restricted pod security initiative to the cluster with `effect: Deny`. Estate: `cluster.podSecurity: { level: restricted, effect: deny }`.",
        checkov: &["CKV_AZURE_116"],
        psrule: &["Azure.AKS.AzurePolicyAddOn"],
        cis: &["4.2"],
        live: Live::Partial,
        estate_keys: &["/spokes/*/cluster/podSecurity", "/spokes/*/cluster/addons"],
        check: Check::Code(pod_security),
    },
    Control {
        id: ControlId::NetPolicy,
        severity: Medium,
        section: SecuringWorkloads,
        topic: "Capabilities of filtering network traffic with policies, azure firewall or network appliances",
        title: "a network policy engine on Azure CNI, and default-deny namespaces",
        demands: "A network policy engine (`networkProfile.networkPolicy`: `azure`, `calico` or `cilium`) on Azure CNI (`networkPlugin: azure`, overlay by default). Every namespace a workload identity federates with is an AKS managed namespace (`managedClusters/managedNamespaces`), and every managed namespace denies ingress by default (`defaultNetworkPolicy.ingress: DenyAll`).",
        why: "Without a policy engine every pod can reach every other pod and every node port; NetworkPolicy objects are silently ignored. A compromised frontend then talks straight to the database. A bare namespace allows everything until someone remembers to write a policy; a default-deny one allows only what its team opens.",
        fix: "Set `networkProfile.networkPlugin: azure`, `networkPluginMode: overlay` and `networkPolicy: cilium` (with `networkDataplane: cilium`). Declare each workload namespace as a managed namespace with `defaultNetworkPolicy.ingress: DenyAll`. Estate: `cluster.network.policy`, `namespaces` (and the namespaces of `workloadIdentities`), `namespaces.<name>.ingress: denyAll`.",
        checkov: &["CKV_AZURE_7", "CKV2_AZURE_29"],
        psrule: &["Azure.AKS.NetworkPolicy"],
        cis: &["5.4.4", "4.3.2"],
        live: Live::Partial,
        estate_keys: &[
            "/spokes/*/cluster/network/policy",
            "/spokes/*/cluster/network",
            "/spokes/*/namespaces",
            "/spokes/*/workloadIdentities",
        ],
        check: Check::Code(net_policy),
    },
    Control {
        id: ControlId::NetNsgEverySubnet,
        severity: Medium,
        section: SecuringWorkloads,
        topic: "Capabilities of filtering network traffic with policies, azure firewall or network appliances",
        title: "an NSG on every subnet that allows one; no default outbound access",
        demands: "Every subnet that Azure allows an NSG on has one; no NSG rule allows SSH, RDP or everything in from the internet; every subnet has `defaultOutboundAccess: false`.",
        why: "An NSG is the last filter in front of anything placed in a subnet later, and a rule that lets SSH or RDP in from the internet is the most scanned door there is. Default outbound access gives VMs a hidden public egress IP around the firewall.",
        fix: "Attach a `networkSecurityGroup` to every subnet except `AzureFirewallSubnet`, `AzureFirewallManagementSubnet`, `GatewaySubnet`, `RouteServerSubnet` and `AzureBastionSubnet`; remove inbound Allow rules from `Internet`, `*` or `0.0.0.0/0` to ports 22, 3389 or `*`; set `defaultOutboundAccess: false` on every subnet.",
        checkov: &["CKV2_AZURE_31", "CKV_AZURE_9", "CKV_AZURE_10"],
        psrule: &["Azure.VNET.UseNSGs", "Azure.VNET.PrivateSubnet"],
        cis: &[],
        live: Live::No,
        estate_keys: &["/spokes/*/subnets", "/hub/subnets"],
        check: Check::Code(net_nsg_every_subnet),
    },
    super::ingress::CONTROL,
];

/// NET-POLICY: a network policy engine on Azure CNI.
const NET_POLICY: &[Rule] = &[
    Rule::one_of("properties.networkProfile.networkPlugin", &["azure"]),
    Rule::one_of(
        "properties.networkProfile.networkPolicy",
        &["azure", "calico", "cilium"],
    ),
];

/// IMG-REGISTRY, on every registry.
const REGISTRY: &[Rule] = &[
    Rule::one_of("sku.name", &["Premium"]),
    Rule::is_false("properties.adminUserEnabled").or_default("API default `false`"),
    Rule::is_false("properties.anonymousPullEnabled").or_default("API default `false`"),
    Rule::one_of("properties.publicNetworkAccess", &["Disabled"]),
    Rule::one_of("properties.policies.retentionPolicy.status", &["enabled"]),
];

/// POD-SECURITY, on every assignment of a pod security initiative.
const POD_SECURITY_ASSIGNMENT: &[Rule] = &[
    Rule::one_of("properties.parameters.effect.value", &["Deny"]),
    Rule::one_of("properties.enforcementMode", &["Default"]).or_default("API default `Default`"),
];

/// NET-POLICY: the engine, then the namespaces: every managed namespace denies ingress by
/// default, and every namespace a workload identity federates with is managed.
fn net_policy(cx: &mut Cx) {
    let clusters = cx.clusters();
    for &c in &clusters {
        cx.check_all(c, "", NET_POLICY);
    }
    if cx.live() {
        cx.gap("managed namespaces are not in `az aks show`; see `az aks namespace list`");
        return;
    }
    let mut managed = BTreeSet::new();
    for &c in &clusters {
        let cluster = cx.r(c).name.clone();
        for n in cx.q.named_under(types::AKS_NAMESPACE, &cluster) {
            managed.insert(last_segment(&cx.r(n).name).to_ascii_lowercase());
            cx.check(
                n,
                &Rule::one_of("properties.defaultNetworkPolicy.ingress", &["DenyAll"]),
            );
        }
    }
    let subjects: Vec<(usize, String)> =
        cx.q.of_type(types::FIC)
            .filter_map(|(i, f)| {
                let subject = f.get("properties.subject").str()?;
                let ns = subject
                    .strip_prefix("system:serviceaccount:")?
                    .split(':')
                    .next()?;
                Some((i, ns.to_ascii_lowercase()))
            })
            .collect();
    for (f, ns) in subjects {
        if managed.contains(&ns) {
            cx.pass(
                Some(f),
                "properties.subject",
                format!("workload namespace `{ns}` is a managed namespace"),
            );
        } else {
            cx.fail(
                Some(f),
                "properties.subject",
                format!("workload namespace `{ns}` is not a managed namespace: no default-deny network policy, quota or pod security labels"),
            );
        }
    }
}

fn img_registry(cx: &mut Cx) {
    let registries: Vec<usize> = cx.q.of_type(types::ACR).map(|(i, _)| i).collect();
    if registries.is_empty() {
        cx.na("no container registry in the input");
        return;
    }
    for r in registries {
        cx.check_all(r, "", REGISTRY);
        match cx.r(r).get("location") {
            Look::Value(Json::String(loc)) if !regions::has_zones(loc) => {
                cx.pass(
                    Some(r),
                    "properties.zoneRedundancy",
                    format!("region `{loc}` has no availability zones"),
                );
            }
            Look::Value(_) => {
                cx.check(r, &Rule::one_of("properties.zoneRedundancy", &["Enabled"]));
            }
            _ => {
                cx.unknown(
                    Some(r),
                    "location",
                    "the region cannot be evaluated, so zone redundancy cannot be judged",
                );
            }
        }
        match cx.q.defender_plan(r) {
            Some(p) => cx.pass(Some(p), "properties.pricingTier", "Defender for Containers scans the registry"),
            None => cx.fail(
                Some(r),
                types::PRICING,
                "no Defender for Containers plan on the registry's subscription: images are not scanned",
            ),
        }
        match cx.q.role_assignments(r, roles::ACR_PULL).first() {
            Some(&a) => cx.pass(
                Some(a),
                "properties.roleDefinitionId",
                "AcrPull on the registry for the kubelet identity",
            ),
            None => cx.fail(
                Some(r),
                "roleAssignments",
                "no AcrPull role assignment scoped to the registry",
            ),
        }
        image_admission(cx, r);
    }
}

/// IMG-REGISTRY: the registry's admission path works. Quarantine needs a principal that marks
/// images passed; without quarantine, a cluster must admit only this registry's images.
fn image_admission(cx: &mut Cx, r: usize) {
    const STATUS: &str = "properties.policies.quarantinePolicy.status";
    let status = cx.r(r).get(STATUS);
    if let Look::Unknown(u) = status {
        cx.unevaluated(r, STATUS, u);
        return;
    }
    let quarantine = status
        .str()
        .is_some_and(|s| s.eq_ignore_ascii_case("enabled"));
    if quarantine {
        match cx.q.role_assignments(r, roles::ACR_QUARANTINE_WRITER).first() {
            Some(&a) => cx.pass(
                Some(a),
                "properties.roleDefinitionId",
                "quarantine on, and AcrQuarantineWriter on the registry marks scanned images passed",
            ),
            None => cx.fail(
                Some(r),
                STATUS,
                "quarantine is on but nothing holds AcrQuarantineWriter on the registry: no pushed image ever becomes pullable",
            ),
        }
        return;
    }
    let name = cx.r(r).name.to_ascii_lowercase();
    let admits =
        cx.q.allowed_images()
            .iter()
            .find_map(|(i, regex)| regex.contains(&name).then_some(*i));
    match admits {
        Some(a) => cx.pass(
            Some(a),
            "properties.parameters.allowedContainerImagesRegex",
            format!("quarantine off; the cluster admits only images from `{name}`"),
        ),
        None => cx.fail(
            Some(r),
            STATUS,
            format!("quarantine is off and no cluster is limited to images from `{name}` (the allowed-images policy)"),
        ),
    }
}

fn pod_security(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.check(
            c,
            &Rule::is_true("properties.addonProfiles.azurepolicy.enabled"),
        );
        if cx.live() {
            cx.gap("policy assignments are not in a live cluster's JSON");
            continue;
        }
        let mut assignments = cx.q.attached(types::POLICY, c);
        for (i, a) in cx.q.of_type(types::POLICY) {
            if a.scope.is_none() && cx.q.same_rg(i, c) {
                assignments.push(i);
            }
        }
        let mut judged = false;
        for a in assignments {
            let def = cx
                .r(a)
                .get("properties.policyDefinitionId")
                .str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let level = if def.ends_with(policies::POD_SECURITY_RESTRICTED) {
                "restricted"
            } else if def.ends_with(policies::POD_SECURITY_BASELINE) {
                "baseline"
            } else {
                continue;
            };
            judged = true;
            if level == "baseline" {
                cx.fail(
                    Some(a),
                    "properties.policyDefinitionId",
                    "assigns the baseline pod security initiative; want restricted (a profile records baseline as a waiver)",
                );
            } else {
                cx.pass(
                    Some(a),
                    "properties.policyDefinitionId",
                    "assigns the restricted pod security initiative",
                );
            }
            cx.check_all(a, "", POD_SECURITY_ASSIGNMENT);
        }
        if !judged {
            cx.fail(
                Some(c),
                "policyAssignments",
                "no pod security initiative is assigned to the cluster",
            );
        }
    }
}

fn net_nsg_every_subnet(cx: &mut Cx) {
    let all = cx.subnets();
    if all.is_empty() {
        cx.na("no subnets in the input");
        return;
    }
    let mut nsgs = BTreeSet::new();
    for s in all {
        if !subnets::nsg_exempt(&s.name) {
            let path = format!("{}.networkSecurityGroup.id", s.prefix);
            match cx.subnet_get(s, "networkSecurityGroup.id") {
                Look::Value(v) => {
                    cx.pass(
                        Some(s.res),
                        &path,
                        format!("subnet `{}` has NSG `{}`", s.name, last_segment(&show(v))),
                    );
                    if let Some(n) = v.as_str().and_then(|id| cx.q.find_id(id)) {
                        nsgs.insert(n);
                    }
                }
                Look::Unknown(u) => cx.unevaluated(s.res, &path, u),
                Look::Missing => cx.fail(
                    Some(s.res),
                    &path,
                    format!("subnet `{}` has no NSG", s.name),
                ),
            }
        }
        let path = format!("{}.defaultOutboundAccess", s.prefix);
        match cx.subnet_get(s, "defaultOutboundAccess") {
            Look::Value(v) if falsy(v) => cx.pass(Some(s.res), &path, format!("subnet `{}`: `false`", s.name)),
            Look::Value(v) => cx.fail(Some(s.res), &path, format!("subnet `{}`: `{}`; want `false`", s.name, show(v))),
            Look::Unknown(u) => cx.unevaluated(s.res, &path, u),
            Look::Missing => cx.fail(
                Some(s.res),
                &path,
                format!("subnet `{}`: not set; want `false` (default outbound access gives a hidden public egress IP)", s.name),
            ),
        }
    }
    for (n, _) in cx.q.of_type(types::NSG) {
        nsgs.insert(n);
    }
    for nsg in nsgs {
        for InternetAllow {
            res,
            prefix,
            name,
            ports,
        } in cx.q.internet_allows(nsg)
        {
            let risky = ports.is_empty()
                || ports
                    .iter()
                    .any(|p| covers_port(p, 22) || covers_port(p, 3389));
            if risky {
                cx.fail(
                    Some(res),
                    &prefix,
                    format!(
                        "NSG `{}` rule `{name}` allows {} in from the internet",
                        cx.r(nsg).name,
                        if ports.iter().any(|p| p.trim() == "*") || ports.is_empty() {
                            "everything".to_string()
                        } else {
                            format!("port {}", ports.join(", "))
                        }
                    ),
                );
            }
        }
    }
}
