//! The control catalogue (`CONTROLS.md` in code) and the guideline's topics it covers.
//!
//! Each control has a stable id, the guideline's severity, the seed topic it answers, what it
//! demands, why it matters, how to fix a failure, and the third-party rules that judge the same
//! thing. Waivers in estate files name these ids; ids never change once released.

/// Severity on the guideline's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// 💥
    Critical,
    /// 🔥
    High,
    /// ☁️
    Medium,
    /// ⛅
    Low,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// The guideline's mark.
    pub fn mark(self) -> &'static str {
        match self {
            Severity::Critical => "💥",
            Severity::High => "🔥",
            Severity::Medium => "☁️",
            Severity::Low => "⛅",
        }
    }

    /// Parse a lower-case name.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether this severity is at or above `threshold` (critical is above high).
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

/// A section of the guideline (and of `CONTROLS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Separating environments.
    SeparatingEnvironments,
    /// Securing a cluster.
    SecuringACluster,
    /// Authentication and authorisation.
    Authentication,
    /// Securing workloads.
    SecuringWorkloads,
    /// Special topics.
    SpecialTopics,
}

impl Section {
    /// Every section in guideline order.
    pub const ALL: [Section; 5] = [
        Section::SeparatingEnvironments,
        Section::SecuringACluster,
        Section::Authentication,
        Section::SecuringWorkloads,
        Section::SpecialTopics,
    ];

    /// The heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::SeparatingEnvironments => "Separating environments",
            Section::SecuringACluster => "Securing a cluster",
            Section::Authentication => "Authentication and authorisation",
            Section::SecuringWorkloads => "Securing workloads",
            Section::SpecialTopics => "Special topics",
        }
    }

    /// A short slug for anchors and file names.
    pub fn slug(self) -> &'static str {
        match self {
            Section::SeparatingEnvironments => "separating-environments",
            Section::SecuringACluster => "securing-a-cluster",
            Section::Authentication => "authentication-and-authorisation",
            Section::SecuringWorkloads => "securing-workloads",
            Section::SpecialTopics => "special-topics",
        }
    }
}

/// How much of a control the JSON of a live cluster (`az aks show -o json`) can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// Everything the control demands is a property of the cluster.
    Full,
    /// The cluster's part; the rest (networks, vaults, role assignments) is not in that JSON.
    Partial,
    /// Nothing: the control is about resources around the cluster.
    No,
}

impl Live {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Live::Full => "full",
            Live::Partial => "partial",
            Live::No => "none",
        }
    }
}

/// A topic of the seed guideline (`guidelines-for-securing-kubernetes-on-azure.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    /// The seed section it is listed under.
    pub section: &'static str,
    /// The topic as the seed words it.
    pub text: &'static str,
    /// The seed's severity, for checklist items; `None` for headings of the seed's structure.
    pub severity: Option<Severity>,
}

const fn t(section: &'static str, text: &'static str, severity: Option<Severity>) -> Topic {
    Topic {
        section,
        text,
        severity,
    }
}

/// Every topic of the seed: its checklist items (with their severity) and the headings of its
/// structure that have no checklist item of their own. Every one is answered by at least one
/// control (a test checks this).
pub const SEED_TOPICS: &[Topic] = &[
    t(
        "Separating environments",
        "Cluster vs Namespace isolation",
        Some(Severity::High),
    ),
    t(
        "Separating environments",
        "Azure service principals and MSI",
        Some(Severity::High),
    ),
    t(
        "Separating environments",
        "Dedicated nodes / hyper-v isolation on Nodes",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Master Endpoint security in AKS / ACS-Engine",
        Some(Severity::Critical),
    ),
    t(
        "Securing a cluster",
        "Securing access to host vms",
        Some(Severity::Critical),
    ),
    t(
        "Securing a cluster",
        "Upgrading and mainting hosts, apparmor, linux capabilities filter, os security patching",
        Some(Severity::Critical),
    ),
    t(
        "Securing a cluster",
        "Evaluation of security benchbmarks like KubeBench / CSI",
        Some(Severity::High),
    ),
    t(
        "Securing a cluster",
        "Security Impact of activating addons and dashboard",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Encrypted service to service communication",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Service Endpoints for PaaS Service lockdown",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Monitoring and Auditing of security relevant events",
        None,
    ),
    t("Securing a cluster", "Configuration best practices", None),
    t(
        "Ensuring Authentication/ Authorization",
        "Azure AD Service Accounts and Groups",
        Some(Severity::High),
    ),
    t(
        "Ensuring Authentication/ Authorization",
        "Maintaining Secrets",
        Some(Severity::High),
    ),
    t(
        "Securing Workloads",
        "Image scanning in azure container registry and third party products like Twistlock, Neuvektor and Aqua",
        Some(Severity::High),
    ),
    t(
        "Securing Workloads",
        "Ensuring adimission controllers/ pod security policies, privileged pods, runasroot, volumes, fsGroups, hostports on AKS / ACS-Engine",
        Some(Severity::Medium),
    ),
    t(
        "Securing Workloads",
        "Capabilities of filtering network traffic with policies, azure firewall or network appliances",
        Some(Severity::Medium),
    ),
    t("Special topics", "Private clusters?", None),
    t("Special topics", "Forced tunneling", None),
];

/// One control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// Stable id.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Catalogue section.
    pub section: Section,
    /// The seed topic it answers (a [`Topic::text`] of [`SEED_TOPICS`]).
    pub topic: &'static str,
    /// What it demands, in one line.
    pub title: &'static str,
    /// What it demands, in full, as ARM properties.
    pub demands: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix a failure, in an estate file or a template.
    pub fix: &'static str,
    /// checkov ids that judge the same thing.
    pub checkov: &'static [&'static str],
    /// PSRule for Azure rule names that judge the same thing.
    pub psrule: &'static [&'static str],
    /// CIS Azure Kubernetes Service Benchmark sections (v1.7 numbering).
    pub cis: &'static [&'static str],
    /// How much `az aks show -o json` answers.
    pub live: Live,
    /// Where an estate file sets what the control judges (JSON pointers, `*` for any map key),
    /// most specific first. Reports point there.
    pub estate_keys: &'static [&'static str],
}

impl Control {
    /// The seed topic this control answers.
    pub fn seed_topic(&self) -> Option<&'static Topic> {
        SEED_TOPICS.iter().find(|t| t.text == self.topic)
    }

    /// A CamelCase rule name for SARIF (`API-PRIVATE` → `ApiPrivate`).
    pub fn rule_name(&self) -> String {
        self.id
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_string() + &c.as_str().to_lowercase(),
                    None => String::new(),
                }
            })
            .collect()
    }
}

use Section::{
    Authentication, SecuringACluster, SecuringWorkloads, SeparatingEnvironments, SpecialTopics,
};
use Severity::{Critical, High, Low, Medium};

/// The catalogue, in guideline order.
pub const CONTROLS: &[Control] = &[
    Control {
        id: "ENV-SUBSCRIPTIONS",
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
    },
    Control {
        id: "ENV-RESOURCE-GROUPS",
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
    },
    Control {
        id: "ENV-CLUSTER-ISOLATION",
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
    },
    Control {
        id: "ID-MANAGED-IDENTITY",
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
    },
    Control {
        id: "ID-LEAST-PRIVILEGE",
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
    },
    Control {
        id: "NODE-SYSTEM-DEDICATED",
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
    },
    Control {
        id: "NODE-SANDBOX",
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
    },
    Control {
        id: "API-PRIVATE",
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
    },
    Control {
        id: "API-VNET-INTEGRATION",
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
    },
    Control {
        id: "API-NO-RUN-COMMAND",
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
    },
    Control {
        id: "HOST-NO-PUBLIC-ACCESS",
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
    },
    Control {
        id: "HOST-PATCHING",
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
    },
    Control {
        id: "HOST-DISK-ENCRYPTION",
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
    },
    Control {
        id: "BENCH-JUDGED",
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
    },
    Control {
        id: "ADDON-MINIMAL",
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
    },
    Control {
        id: "MESH-MTLS",
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
    },
    Control {
        id: "PAAS-LOCKDOWN",
        severity: Medium,
        section: SecuringACluster,
        topic: "Service Endpoints for PaaS Service lockdown",
        title: "Key Vault and ACR reachable only from the spoke",
        demands: "Key Vault and ACR accept traffic only from the spoke: private endpoints with private DNS zone groups and `publicNetworkAccess: Disabled`. Service endpoints with network ACLs are the cheaper option a profile may choose, recorded as a waiver.",
        why: "A vault or registry on a public endpoint is one leaked token away from exfiltration or image tampering from anywhere on the internet. Private endpoints take them off the internet entirely.",
        fix: "Estate: `paasAccess: privateEndpoints`. Template: a `Microsoft.Network/privateEndpoints` for each vault (`vault`) and registry (`registry`) with a `privateDnsZoneGroups` child, and `publicNetworkAccess: Disabled` on both.",
        checkov: &[
            "CKV_AZURE_109",
            "CKV_AZURE_139",
            "CKV_AZURE_189",
            "CKV2_AZURE_32",
        ],
        psrule: &[],
        cis: &[],
        live: Live::No,
        estate_keys: &["/spokes/*/paasAccess"],
    },
    Control {
        id: "LOG-AUDIT",
        severity: High,
        section: SecuringACluster,
        topic: "Monitoring and Auditing of security relevant events",
        title: "audit logs, platform diagnostics, Container Insights and Defender",
        demands: "A Log Analytics workspace; the cluster's diagnostic settings send `kube-audit-admin`, `guard`, `kube-apiserver`, `kube-controller-manager`, `kube-scheduler` and `cluster-autoscaler`; firewall, Key Vault, ACR and NSGs send diagnostics too; Container Insights (`omsagent`) on; Defender for Containers (`securityProfile.defender` and `Microsoft.Security/pricings` `Containers`).",
        why: "Without the API server's audit log nobody can tell who did what in the cluster after an incident, and without Defender nobody is told while it happens. The firewall, vault and NSG logs show the attacker's way in and out.",
        fix: "Add a `Microsoft.Insights/diagnosticSettings` on the cluster with the six categories, one on every firewall, vault, registry and NSG, enable the `omsagent` add-on, `securityProfile.defender.securityMonitoring.enabled: true`, and the `Containers` Defender plan on the workload subscription (estate: `defender.containers: true`).",
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
        ],
    },
    Control {
        id: "AAD-RBAC",
        severity: High,
        section: Authentication,
        topic: "Azure AD Service Accounts and Groups",
        title: "managed Entra ID, Azure RBAC, no local accounts",
        demands: "`aadProfile.managed: true`, `aadProfile.enableAzureRBAC: true`, admin group object ids, `enableRBAC: true`, `disableLocalAccounts: true`.",
        why: "Local accounts give a shared cluster-admin certificate that cannot be revoked short of rotating the cluster's certificates. With Entra ID and Azure RBAC every access is a named person or group, with conditional access, MFA and one place to revoke.",
        fix: "Set `enableRBAC: true`, `disableLocalAccounts: true` and `aadProfile: { managed: true, enableAzureRBAC: true, adminGroupObjectIDs: [...] }`. Estate: `cluster.entra.adminGroupObjectIds` (or the `<spoke>AdminGroupObjectIds` parameter).",
        checkov: &["CKV_AZURE_5", "CKV_AZURE_141"],
        psrule: &[
            "Azure.AKS.ManagedAAD",
            "Azure.AKS.AzureRBAC",
            "Azure.AKS.LocalAccounts",
            "Azure.AKS.UseRBAC",
        ],
        cis: &["5.5.1", "5.5.2"],
        live: Live::Full,
        estate_keys: &["/spokes/*/cluster/entra", "/spokes/*/cluster"],
    },
    Control {
        id: "SECRETS-VAULT",
        severity: High,
        section: Authentication,
        topic: "Maintaining Secrets",
        title: "RBAC Key Vault with purge protection, no public access, CSI rotation",
        demands: "Key Vault with RBAC authorisation, soft delete kept for 90 days, purge protection, `publicNetworkAccess: Disabled` and `networkAcls.defaultAction: Deny`; the Secrets Store CSI add-on with rotation (`azureKeyvaultSecretsProvider.config.enableSecretRotation: \"true\"`, the API's string map).",
        why: "Secrets in Kubernetes Secret objects are base64 in etcd and in every backup. A vault keeps them out of the cluster; RBAC makes access auditable per identity; soft delete and purge protection stop an attacker (or a script) from destroying keys for ransom; rotation means a changed secret reaches pods without a redeploy.",
        fix: "On the vault set `enableRbacAuthorization: true`, `softDeleteRetentionInDays: 90`, `enablePurgeProtection: true`, `publicNetworkAccess: Disabled`, `networkAcls.defaultAction: Deny`; enable `addonProfiles.azureKeyvaultSecretsProvider` with `config.enableSecretRotation: \"true\"`. Estate: `keyVault.softDeleteRetentionDays: 90`, `addons.secretsStoreCsi: true`, `paasAccess: privateEndpoints`.",
        checkov: &[
            "CKV_AZURE_42",
            "CKV_AZURE_110",
            "CKV_AZURE_111",
            "CKV_AZURE_172",
        ],
        psrule: &[
            "Azure.AKS.SecretStore",
            "Azure.AKS.SecretStoreRotation",
            "Azure.KeyVault.SoftDelete",
            "Azure.KeyVault.PurgeProtect",
        ],
        cis: &["4.4.2"],
        live: Live::Partial,
        estate_keys: &["/spokes/*/keyVault", "/spokes/*/paasAccess"],
    },
    Control {
        id: "SECRETS-KMS",
        severity: High,
        section: Authentication,
        topic: "Maintaining Secrets",
        title: "etcd secrets encrypted with a Key Vault key",
        demands: "etcd secrets encrypted with a Key Vault key: `securityProfile.azureKeyVaultKms.enabled: true` with `keyId`, and `keyVaultNetworkAccess: Private` (with `keyVaultResourceId`) where the vault is private.",
        why: "Without KMS, Kubernetes Secrets sit in etcd with platform encryption only; with it, they are encrypted with a key you control, can rotate and can revoke, and an etcd backup alone reveals nothing.",
        fix: "Estate: `cluster.security.kms: true`. Template: `securityProfile.azureKeyVaultKms: { enabled: true, keyId: ..., keyVaultNetworkAccess: Private, keyVaultResourceId: ... }` and Key Vault Crypto User on the key for the control-plane identity.",
        checkov: &[],
        psrule: &[],
        cis: &["5.3.1"],
        live: Live::Full,
        estate_keys: &[
            "/spokes/*/cluster/security/kms",
            "/spokes/*/cluster/security",
        ],
    },
    Control {
        id: "IMG-REGISTRY",
        severity: High,
        section: SecuringWorkloads,
        topic: "Image scanning in azure container registry and third party products like Twistlock, Neuvektor and Aqua",
        title: "Premium ACR, no admin user, no anonymous pull, no public access, retention",
        demands: "ACR Premium, admin user off, anonymous pull off, `publicNetworkAccess: Disabled`, a retention policy for untagged manifests, zone redundancy where the region has zones; Defender for Containers (`Microsoft.Security/pricings` `Containers`) scans it; the kubelet identity pulls with AcrPull on the registry.",
        why: "The registry decides what runs in the cluster. An admin user is a shared password, anonymous pull and public access expose images (and the secrets baked into them) to anyone, and without scanning a known-vulnerable image is deployed silently.",
        fix: "On the registry set `sku.name: Premium`, `adminUserEnabled: false`, `anonymousPullEnabled: false`, `publicNetworkAccess: Disabled`, `policies.retentionPolicy.status: enabled`, `zoneRedundancy: Enabled`; enable the `Containers` Defender plan; assign AcrPull on the registry to the kubelet identity. Estate: `registry`, `defender.containers`, `paasAccess: privateEndpoints`.",
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
    },
    Control {
        id: "POD-SECURITY",
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
    },
    Control {
        id: "NET-POLICY",
        severity: Medium,
        section: SecuringWorkloads,
        topic: "Capabilities of filtering network traffic with policies, azure firewall or network appliances",
        title: "a network policy engine on Azure CNI",
        demands: "A network policy engine (`networkProfile.networkPolicy`: `azure`, `calico` or `cilium`) on Azure CNI (`networkPlugin: azure`, overlay by default).",
        why: "Without a policy engine every pod can reach every other pod and every node port; NetworkPolicy objects are silently ignored. A compromised frontend then talks straight to the database.",
        fix: "Set `networkProfile.networkPlugin: azure`, `networkPluginMode: overlay` and `networkPolicy: cilium` (with `networkDataplane: cilium`). Estate: `cluster.network.policy`.",
        checkov: &["CKV_AZURE_7", "CKV2_AZURE_29"],
        psrule: &["Azure.AKS.NetworkPolicy"],
        cis: &["5.4.4", "4.3.2"],
        live: Live::Full,
        estate_keys: &[
            "/spokes/*/cluster/network/policy",
            "/spokes/*/cluster/network",
        ],
    },
    Control {
        id: "NET-NSG-EVERY-SUBNET",
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
    },
    Control {
        id: "EGRESS-FIREWALL",
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
    },
    Control {
        id: "EGRESS-FORCED-TUNNEL",
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
    },
    Control {
        id: "GOV-LOCKS-TAGS",
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
    },
];

/// The control with `id`.
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}
