//! Resource types aks-harden plans, emits or audits, each with the API version every format uses.
//!
//! The version is the newest stable one present in both the ARM resource schemas and the Bicep type
//! data aks-harden is checked against. `diagnosticSettings` is the exception: no stable version
//! newer than 2016-09-01 has the category groups and audit categories AKS uses, and the preview is
//! what the Azure portal and Bicep's own samples emit. `diskEncryptionSets` is not in the local
//! schema subset (the judges report it as unchecked); its properties follow Microsoft's template
//! reference for its version. The `Microsoft.KubernetesConfiguration` types (the Flux extension
//! and configuration) are published in the Bicep type data only: their versions are the newest
//! stable ones there, and the ARM judge reports them as unchecked.

/// `Microsoft.Authorization/locks`.
pub const LOCK: &str = "Microsoft.Authorization/locks";
/// `Microsoft.Authorization/policyAssignments`.
pub const POLICY: &str = "Microsoft.Authorization/policyAssignments";
/// `Microsoft.Authorization/roleAssignments`.
pub const ROLE: &str = "Microsoft.Authorization/roleAssignments";
/// `Microsoft.Compute/diskEncryptionSets`.
pub const DES: &str = "Microsoft.Compute/diskEncryptionSets";
/// `Microsoft.ContainerRegistry/registries`.
pub const ACR: &str = "Microsoft.ContainerRegistry/registries";
/// `Microsoft.ContainerService/managedClusters`.
pub const AKS: &str = "Microsoft.ContainerService/managedClusters";
/// `Microsoft.ContainerService/managedClusters/agentPools`.
pub const AKS_POOL: &str = "Microsoft.ContainerService/managedClusters/agentPools";
/// `Microsoft.ContainerService/managedClusters/managedNamespaces`.
pub const AKS_NAMESPACE: &str = "Microsoft.ContainerService/managedClusters/managedNamespaces";
/// `Microsoft.ContainerService/managedClusters/maintenanceConfigurations`.
pub const AKS_MAINT: &str = "Microsoft.ContainerService/managedClusters/maintenanceConfigurations";
/// `Microsoft.KubernetesConfiguration/extensions` (a cluster extension: Flux).
pub const K8S_EXTENSION: &str = "Microsoft.KubernetesConfiguration/extensions";
/// `Microsoft.KubernetesConfiguration/fluxConfigurations`.
pub const FLUX_CONFIG: &str = "Microsoft.KubernetesConfiguration/fluxConfigurations";
/// `Microsoft.Insights/actionGroups`.
pub const ACTION_GROUP: &str = "Microsoft.Insights/actionGroups";
/// `Microsoft.Insights/activityLogAlerts`.
pub const ACTIVITY_ALERT: &str = "Microsoft.Insights/activityLogAlerts";
/// `Microsoft.Insights/dataCollectionEndpoints`.
pub const DCE: &str = "Microsoft.Insights/dataCollectionEndpoints";
/// `Microsoft.Insights/dataCollectionRuleAssociations`.
pub const DCRA: &str = "Microsoft.Insights/dataCollectionRuleAssociations";
/// `Microsoft.Insights/dataCollectionRules`.
pub const DCR: &str = "Microsoft.Insights/dataCollectionRules";
/// `Microsoft.Insights/scheduledQueryRules`.
pub const QUERY_ALERT: &str = "Microsoft.Insights/scheduledQueryRules";
/// `Microsoft.Monitor/accounts` (an Azure Monitor workspace, for Prometheus metrics).
pub const MONITOR_ACCOUNT: &str = "Microsoft.Monitor/accounts";
/// `Microsoft.AlertsManagement/prometheusRuleGroups`.
pub const PROM_RULES: &str = "Microsoft.AlertsManagement/prometheusRuleGroups";
/// `Microsoft.Insights/diagnosticSettings`.
pub const DIAG: &str = "Microsoft.Insights/diagnosticSettings";
/// `Microsoft.KeyVault/vaults`.
pub const KV: &str = "Microsoft.KeyVault/vaults";
/// `Microsoft.KeyVault/vaults/keys`.
pub const KV_KEY: &str = "Microsoft.KeyVault/vaults/keys";
/// `Microsoft.KeyVault/vaults/secrets`.
pub const KV_SECRET: &str = "Microsoft.KeyVault/vaults/secrets";
/// `Microsoft.ManagedIdentity/userAssignedIdentities`.
pub const UAI: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";
/// `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`.
pub const FIC: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";
/// `Microsoft.Network/applicationGateways`.
pub const AGW: &str = "Microsoft.Network/applicationGateways";
/// `Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies`.
pub const WAF_POLICY: &str = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies";
/// `Microsoft.Network/bastionHosts`.
pub const BASTION: &str = "Microsoft.Network/bastionHosts";
/// `Microsoft.Network/azureFirewalls`.
pub const FW: &str = "Microsoft.Network/azureFirewalls";
/// `Microsoft.Network/firewallPolicies`.
pub const FWP: &str = "Microsoft.Network/firewallPolicies";
/// `Microsoft.Network/firewallPolicies/ruleCollectionGroups`.
pub const RCG: &str = "Microsoft.Network/firewallPolicies/ruleCollectionGroups";
/// `Microsoft.Network/networkSecurityGroups`.
pub const NSG: &str = "Microsoft.Network/networkSecurityGroups";
/// `Microsoft.Network/privateDnsZones`.
pub const DNS_ZONE: &str = "Microsoft.Network/privateDnsZones";
/// `Microsoft.Network/privateDnsZones/virtualNetworkLinks`.
pub const DNS_LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
/// `Microsoft.Network/privateEndpoints`.
pub const PE: &str = "Microsoft.Network/privateEndpoints";
/// `Microsoft.Network/privateEndpoints/privateDnsZoneGroups`.
pub const PE_DNS: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
/// `Microsoft.Network/publicIPAddresses`.
pub const PIP: &str = "Microsoft.Network/publicIPAddresses";
/// `Microsoft.Network/routeTables`.
pub const RT: &str = "Microsoft.Network/routeTables";
/// `Microsoft.Network/virtualNetworks`.
pub const VNET: &str = "Microsoft.Network/virtualNetworks";
/// `Microsoft.Network/virtualNetworks/subnets`.
pub const SUBNET: &str = "Microsoft.Network/virtualNetworks/subnets";
/// `Microsoft.Network/virtualNetworks/virtualNetworkPeerings`.
pub const PEERING: &str = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";
/// `Microsoft.OperationalInsights/workspaces`.
pub const LAW: &str = "Microsoft.OperationalInsights/workspaces";
/// `Microsoft.Resources/resourceGroups`.
pub const RG: &str = "Microsoft.Resources/resourceGroups";
/// `Microsoft.Security/pricings`.
pub const PRICING: &str = "Microsoft.Security/pricings";
/// `Microsoft.Resources/deployments`.
pub const DEPLOYMENT: &str = "Microsoft.Resources/deployments";
/// `Microsoft.Authorization/roleDefinitions`.
pub const ROLE_DEFINITION: &str = "Microsoft.Authorization/roleDefinitions";
/// `Microsoft.Authorization/policyDefinitions`.
pub const POLICY_DEFINITION: &str = "Microsoft.Authorization/policyDefinitions";
/// `Microsoft.Authorization/policySetDefinitions`.
pub const POLICY_SET_DEFINITION: &str = "Microsoft.Authorization/policySetDefinitions";

/// `Microsoft.Network/networkSecurityGroups/securityRules` (audited; aks-harden writes rules inline).
pub const NSG_RULE: &str = "Microsoft.Network/networkSecurityGroups/securityRules";
/// `Microsoft.Network/routeTables/routes` (audited; aks-harden writes routes inline).
pub const ROUTE: &str = "Microsoft.Network/routeTables/routes";
/// `Microsoft.Network/virtualNetworkGateways` (audited as a sign of a connectivity hub).
pub const VNET_GATEWAY: &str = "Microsoft.Network/virtualNetworkGateways";

/// `Microsoft.ContainerService/fleets` (drawn in diagrams; aks-harden does not plan it yet).
pub const FLEET: &str = "Microsoft.ContainerService/fleets";
/// `Microsoft.ContainerService/fleets/members`.
pub const FLEET_MEMBER: &str = "Microsoft.ContainerService/fleets/members";

/// Every resource type that has an API version, with that version.
pub const API_VERSIONS: &[(&str, &str)] = &[
    (RG, "2025-04-01"),
    (DEPLOYMENT, "2025-04-01"),
    (LOCK, "2020-05-01"),
    (POLICY, "2026-06-01"),
    (ROLE, "2022-04-01"),
    (ACR, "2025-11-01"),
    (DES, "2025-01-02"),
    (AKS, "2026-05-01"),
    (AKS_POOL, "2026-05-01"),
    (AKS_MAINT, "2026-05-01"),
    (AKS_NAMESPACE, "2026-05-01"),
    (K8S_EXTENSION, "2025-03-01"),
    (FLUX_CONFIG, "2025-04-01"),
    (DIAG, "2021-05-01-preview"),
    (ACTION_GROUP, "2023-01-01"),
    (ACTIVITY_ALERT, "2026-01-01"),
    (DCE, "2024-03-11"),
    (DCRA, "2024-03-11"),
    (DCR, "2024-03-11"),
    (QUERY_ALERT, "2026-03-01"),
    (MONITOR_ACCOUNT, "2025-10-03"),
    (PROM_RULES, "2023-03-01"),
    (KV, "2026-02-01"),
    (KV_KEY, "2026-02-01"),
    (UAI, "2024-11-30"),
    (FIC, "2024-11-30"),
    (AGW, "2025-07-01"),
    (WAF_POLICY, "2025-07-01"),
    (BASTION, "2025-07-01"),
    (FW, "2025-07-01"),
    (FWP, "2025-07-01"),
    (RCG, "2025-07-01"),
    (NSG, "2025-07-01"),
    (DNS_ZONE, "2024-06-01"),
    (DNS_LINK, "2024-06-01"),
    (PE, "2025-07-01"),
    (PE_DNS, "2025-07-01"),
    (PIP, "2025-07-01"),
    (RT, "2025-07-01"),
    (VNET, "2025-07-01"),
    (SUBNET, "2025-07-01"),
    (PEERING, "2025-07-01"),
    (LAW, "2025-07-01"),
    (PRICING, "2024-01-01"),
];

/// The API version for `rtype`. An unknown type is a bug in the planner, caught by the tests that
/// render every profile; it yields an empty string that no judge accepts.
pub fn api_version(rtype: &str) -> &'static str {
    API_VERSIONS
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(rtype))
        .map_or("", |(_, v)| v)
}
