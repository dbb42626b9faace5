//! The control catalogue: every security control aks-harden realises, with the guideline's
//! severity. Waivers name these ids; `docs/controls.md` maps each id to the properties that
//! realise it.

/// Severity on the guideline's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// One control.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    /// Stable id.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// Guideline section.
    pub section: &'static str,
    /// What it demands, in one line.
    pub title: &'static str,
}

const fn c(
    id: &'static str,
    severity: Severity,
    section: &'static str,
    title: &'static str,
) -> Control {
    Control {
        id,
        severity,
        section,
        title,
    }
}

use Severity::{Critical, High, Low, Medium};

/// The catalogue, in guideline order.
pub const CONTROLS: &[Control] = &[
    c(
        "ENV-SUBSCRIPTIONS",
        High,
        "Separating environments",
        "connectivity and each environment's workload live in their own subscriptions",
    ),
    c(
        "ENV-RESOURCE-GROUPS",
        High,
        "Separating environments",
        "resource groups per concern; explicit, read-only node resource group",
    ),
    c(
        "ENV-CLUSTER-ISOLATION",
        High,
        "Separating environments",
        "one cluster and VNet per environment and trust level",
    ),
    c(
        "ID-MANAGED-IDENTITY",
        High,
        "Separating environments",
        "user-assigned identities for control plane and kubelet; workload identity for pods",
    ),
    c(
        "ID-LEAST-PRIVILEGE",
        High,
        "Separating environments",
        "role assignments scoped to the smallest resource, with deterministic names",
    ),
    c(
        "NODE-SYSTEM-DEDICATED",
        Medium,
        "Separating environments",
        "system pool runs only critical add-ons",
    ),
    c(
        "NODE-SANDBOX",
        Medium,
        "Separating environments",
        "VM-isolated sandbox pool for untrusted workloads where the profile asks",
    ),
    c(
        "API-PRIVATE",
        Critical,
        "Securing a cluster",
        "no public API server endpoint, or authorised IP ranges where a tier allows a public one",
    ),
    c(
        "API-VNET-INTEGRATION",
        High,
        "Securing a cluster",
        "API server VNet integration with a delegated /28",
    ),
    c(
        "API-NO-RUN-COMMAND",
        Medium,
        "Securing a cluster",
        "run command disabled",
    ),
    c(
        "HOST-NO-PUBLIC-ACCESS",
        Critical,
        "Securing a cluster",
        "no node public IPs, no SSH, NSGs deny inbound from the internet",
    ),
    c(
        "HOST-PATCHING",
        Critical,
        "Securing a cluster",
        "upgrade and node OS channels on, both maintenance windows, image cleaner",
    ),
    c(
        "HOST-DISK-ENCRYPTION",
        High,
        "Securing a cluster",
        "encryption at host, ephemeral OS disks, optional customer-managed key",
    ),
    c(
        "BENCH-JUDGED",
        High,
        "Securing a cluster",
        "every estate judged by the catalogue and third-party rules",
    ),
    c(
        "ADDON-MINIMAL",
        Medium,
        "Securing a cluster",
        "dashboard and HTTP application routing explicitly off",
    ),
    c(
        "MESH-MTLS",
        Medium,
        "Securing a cluster",
        "service-to-service encryption where the profile asks",
    ),
    c(
        "PAAS-LOCKDOWN",
        Medium,
        "Securing a cluster",
        "Key Vault and ACR reachable only from the spoke",
    ),
    c(
        "LOG-AUDIT",
        High,
        "Securing a cluster",
        "audit logs, platform diagnostics, Container Insights and Defender",
    ),
    c(
        "AAD-RBAC",
        High,
        "Authentication and authorisation",
        "managed Entra ID, Azure RBAC, no local accounts",
    ),
    c(
        "SECRETS-VAULT",
        High,
        "Authentication and authorisation",
        "RBAC Key Vault with purge protection, no public access, CSI rotation",
    ),
    c(
        "SECRETS-KMS",
        High,
        "Authentication and authorisation",
        "etcd secrets encrypted with a Key Vault key",
    ),
    c(
        "IMG-REGISTRY",
        High,
        "Securing workloads",
        "Premium ACR, no admin user, no anonymous pull, no public access, retention",
    ),
    c(
        "POD-SECURITY",
        Medium,
        "Securing workloads",
        "Azure Policy add-on and the pod security initiative assigned",
    ),
    c(
        "NET-POLICY",
        Medium,
        "Securing workloads",
        "a network policy engine on Azure CNI",
    ),
    c(
        "NET-NSG-EVERY-SUBNET",
        Medium,
        "Securing workloads",
        "an NSG on every subnet that allows one; no default outbound access",
    ),
    c(
        "EGRESS-FIREWALL",
        Critical,
        "Special topics",
        "all egress through Azure Firewall with only the rules AKS needs",
    ),
    c(
        "EGRESS-FORCED-TUNNEL",
        Medium,
        "Special topics",
        "forced tunnelling where an upstream hop is named",
    ),
    c(
        "GOV-LOCKS-TAGS",
        Low,
        "Special topics",
        "locks on prod resource groups; tags on every resource",
    ),
];

/// The control with `id`.
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}
