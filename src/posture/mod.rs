//! The vocabulary every stage shares about security posture: control ids, the tier an estate is
//! judged against, waivers and their dates. A leaf module: validation checks waivers against it,
//! the model carries it, the audit judges with it, and none of them needs another for it.

mod date;

pub use date::Date;
use std::fmt;

macro_rules! control_ids {
    ($($variant:ident = $id:literal,)*) => {
        /// A control of the catalogue, by its stable id. Ids never change once released.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ControlId {
            $(#[doc = concat!("`", $id, "`.")] $variant,)*
        }

        impl ControlId {
            /// Every control id, in catalogue order.
            pub const ALL: &'static [ControlId] = &[$(ControlId::$variant,)*];

            /// The id as written in estate files and reports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ControlId::$variant => $id,)*
                }
            }
        }
    };
}

control_ids! {
    EnvSubscriptions = "ENV-SUBSCRIPTIONS",
    EnvResourceGroups = "ENV-RESOURCE-GROUPS",
    EnvClusterIsolation = "ENV-CLUSTER-ISOLATION",
    IdManagedIdentity = "ID-MANAGED-IDENTITY",
    IdLeastPrivilege = "ID-LEAST-PRIVILEGE",
    NodeSystemDedicated = "NODE-SYSTEM-DEDICATED",
    NodeSandbox = "NODE-SANDBOX",
    ApiPrivate = "API-PRIVATE",
    ApiVnetIntegration = "API-VNET-INTEGRATION",
    ApiNoRunCommand = "API-NO-RUN-COMMAND",
    ApiOperatorPath = "API-OPERATOR-PATH",
    HostNoPublicAccess = "HOST-NO-PUBLIC-ACCESS",
    HostPatching = "HOST-PATCHING",
    HostDiskEncryption = "HOST-DISK-ENCRYPTION",
    BenchJudged = "BENCH-JUDGED",
    AddonMinimal = "ADDON-MINIMAL",
    MeshMtls = "MESH-MTLS",
    PaasLockdown = "PAAS-LOCKDOWN",
    LogAudit = "LOG-AUDIT",
    AadRbac = "AAD-RBAC",
    SecretsVault = "SECRETS-VAULT",
    SecretsKms = "SECRETS-KMS",
    ImgRegistry = "IMG-REGISTRY",
    PodSecurity = "POD-SECURITY",
    NetPolicy = "NET-POLICY",
    NetNsgEverySubnet = "NET-NSG-EVERY-SUBNET",
    NetIngressWaf = "NET-INGRESS-WAF",
    EgressFirewall = "EGRESS-FIREWALL",
    EgressForcedTunnel = "EGRESS-FORCED-TUNNEL",
    GovLocksTags = "GOV-LOCKS-TAGS",
}

impl ControlId {
    /// The control with this exact id.
    pub fn parse(s: &str) -> Option<ControlId> {
        ControlId::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// How strictly an estate is judged: a tier's name says what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Development.
    Dev,
    /// Pre-production.
    Staging,
    /// Production.
    Prod,
    /// Production under a regulatory regime.
    Regulated,
}

impl Tier {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Dev => "dev",
            Tier::Staging => "staging",
            Tier::Prod => "prod",
            Tier::Regulated => "regulated",
        }
    }

    /// Whether an unwaived critical or high failure stops `gen` for this tier.
    pub fn gated(self) -> bool {
        !matches!(self, Tier::Dev)
    }
}

/// An accepted weakening of one control, with its reason and last valid day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// The control it weakens.
    pub control: ControlId,
    /// Why.
    pub reason: String,
    /// Last valid day.
    pub expires: Date,
    /// Who approved it.
    pub approver: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_ids_round_trip_and_are_unique() {
        for c in ControlId::ALL {
            assert_eq!(ControlId::parse(c.as_str()), Some(*c));
        }
        let mut ids: Vec<_> = ControlId::ALL.iter().map(|c| c.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ControlId::ALL.len());
        assert_eq!(ControlId::parse("API-PUBLIC"), None);
    }
}
