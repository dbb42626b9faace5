//! What azurerm cannot carry: IR properties the translation leaves out on purpose, each with the
//! reason nothing is lost and what handles it instead. The coverage check reads this list.

use crate::azure::types;

/// An IR property that azurerm cannot carry, and what takes care of it instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Resource type.
    pub rtype: &'static str,
    /// Property path: object keys joined by `.`, `[]` after an array.
    pub path: &'static str,
    /// The only value that may be left out (what azurerm always sends), or `None` for any value.
    pub only: Option<&'static str>,
    /// Why leaving it out loses nothing, and what handles it.
    pub why: &'static str,
}

/// IR properties that are not expressible in azurerm and are handled elsewhere.
pub const NOT_EXPRESSIBLE: &[Gap] = &[
    // Handled by azurerm itself: it always sends this value.
    Gap {
        rtype: types::AKS,
        path: "sku.name",
        only: Some("Base"),
        why: "azurerm_kubernetes_cluster always creates the Base SKU; only sku_tier is an argument",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.aadProfile.managed",
        only: Some("true"),
        why: "azurerm 4.x only creates managed Entra ID integration (the legacy mode is gone)",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.agentPoolProfiles[].osType",
        only: Some("Linux"),
        why: "default_node_pool is always Linux; node pools carry os_type",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.securityProfile.azureKeyVaultKms.enabled",
        only: Some("true"),
        why: "the key_management_service block enables KMS",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.securityProfile.azureKeyVaultKms.keyVaultResourceId",
        only: None,
        why: "azurerm looks the vault id up from key_vault_key_id when key_vault_network_access is Private",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.addonProfiles.kubeDashboard.enabled",
        only: Some("false"),
        why: "AKS retired the dashboard add-on and azurerm 4.x has no argument for it; it is never installed",
    },
    Gap {
        rtype: types::KV,
        path: "properties.sku.family",
        only: Some("A"),
        why: "azurerm_key_vault always sends family A, the only one",
    },
    Gap {
        rtype: types::KV,
        path: "properties.enableSoftDelete",
        only: Some("true"),
        why: "azurerm 4.x always enables soft delete (soft_delete_retention_days sets its length)",
    },
    Gap {
        rtype: types::KV,
        path: "properties.networkAcls.virtualNetworkRules[].ignoreMissingVnetServiceEndpoint",
        only: Some("false"),
        why: "azurerm_key_vault always sends false: a rule needs the subnet's service endpoint",
    },
    Gap {
        rtype: types::KV_KEY,
        path: "properties.attributes.enabled",
        only: Some("true"),
        why: "azurerm_key_vault_key creates enabled keys",
    },
    Gap {
        rtype: types::KV_KEY,
        path: "properties.attributes.exportable",
        only: Some("false"),
        why: "azurerm_key_vault_key creates non-exportable keys",
    },
    Gap {
        rtype: types::ACR,
        path: "properties.policies.azureADAuthenticationAsArmPolicy.status",
        only: Some("enabled"),
        why: "enabled is Azure's default and azurerm never changes it",
    },
    Gap {
        rtype: types::K8S_EXTENSION,
        path: "properties.autoUpgradeMinorVersion",
        only: Some("true"),
        why: "azurerm_kubernetes_cluster_extension lets the extension take new minor versions unless `version` pins one, and aks-harden pins none",
    },
    Gap {
        rtype: types::DNS_ZONE,
        path: "location",
        only: Some("global"),
        why: "private DNS zones are always global; azurerm has no location argument",
    },
    Gap {
        rtype: types::DNS_LINK,
        path: "location",
        only: Some("global"),
        why: "private DNS zone links are always global; azurerm has no location argument",
    },
    Gap {
        rtype: types::PE_DNS,
        path: "properties.privateDnsZoneConfigs[].name",
        only: None,
        why: "azurerm names each zone config after its zone",
    },
    Gap {
        rtype: types::VNET,
        path: "properties.subnets[].properties.serviceEndpoints[].locations",
        only: None,
        why: "azurerm_subnet takes service names only; Azure scopes each endpoint to the VNet's region",
    },
];
