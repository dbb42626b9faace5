//! Every `type → apiVersion` in one place: the newest stable version present in both the ARM
//! resource schemas and the Bicep type data that aks-harden is checked against.

/// Resource types and their API versions.
pub const API_VERSIONS: &[(&str, &str)] = &[
    ("Microsoft.Resources/resourceGroups", "2025-04-01"),
    ("Microsoft.Resources/deployments", "2025-04-01"),
    ("Microsoft.Authorization/locks", "2020-05-01"),
    ("Microsoft.Authorization/policyAssignments", "2026-06-01"),
    ("Microsoft.Authorization/roleAssignments", "2022-04-01"),
    ("Microsoft.ContainerRegistry/registries", "2025-11-01"),
    // Not in the local ARM schema and Bicep type subset (the judges report it as unchecked); the
    // properties follow Microsoft's template reference for this version.
    ("Microsoft.Compute/diskEncryptionSets", "2025-01-02"),
    ("Microsoft.ContainerService/managedClusters", "2026-05-01"),
    (
        "Microsoft.ContainerService/managedClusters/agentPools",
        "2026-05-01",
    ),
    (
        "Microsoft.ContainerService/managedClusters/maintenanceConfigurations",
        "2026-05-01",
    ),
    // No stable version newer than 2016-09-01 has the category groups and audit categories AKS
    // uses; the preview is what the Azure portal and Bicep's own samples emit.
    (
        "Microsoft.Insights/diagnosticSettings",
        "2021-05-01-preview",
    ),
    ("Microsoft.KeyVault/vaults", "2026-02-01"),
    ("Microsoft.KeyVault/vaults/keys", "2026-02-01"),
    (
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "2024-11-30",
    ),
    (
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        "2024-11-30",
    ),
    ("Microsoft.Network/azureFirewalls", "2025-07-01"),
    ("Microsoft.Network/firewallPolicies", "2025-07-01"),
    (
        "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
        "2025-07-01",
    ),
    ("Microsoft.Network/networkSecurityGroups", "2025-07-01"),
    ("Microsoft.Network/privateDnsZones", "2024-06-01"),
    (
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        "2024-06-01",
    ),
    ("Microsoft.Network/privateEndpoints", "2025-07-01"),
    (
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
        "2025-07-01",
    ),
    ("Microsoft.Network/publicIPAddresses", "2025-07-01"),
    ("Microsoft.Network/routeTables", "2025-07-01"),
    ("Microsoft.Network/virtualNetworks", "2025-07-01"),
    ("Microsoft.Network/virtualNetworks/subnets", "2025-07-01"),
    (
        "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
        "2025-07-01",
    ),
    ("Microsoft.OperationalInsights/workspaces", "2025-07-01"),
    ("Microsoft.Security/pricings", "2024-01-01"),
];

/// The API version for `rtype`. An unknown type is a bug in the planner, caught by the tests that
/// render every profile; it yields an empty string that no judge accepts.
pub fn api_version(rtype: &str) -> &'static str {
    API_VERSIONS
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(rtype))
        .map_or("", |(_, v)| v)
}
