//! Built-in role definitions: the ids aks-harden assigns, and the ones the audit judges.

use super::types;

/// Network Contributor.
pub const NETWORK_CONTRIBUTOR: &str = "4d97b98b-1d4f-4787-a291-c67834d212e7";
/// AcrPull.
pub const ACR_PULL: &str = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
/// AcrPush: push and pull images.
pub const ACR_PUSH: &str = "8311e382-0749-4cb8-b61a-304f252e45ec";
/// AcrQuarantineWriter: mark quarantined images as passed (or failed).
pub const ACR_QUARANTINE_WRITER: &str = "c8d4ff99-41c3-41a8-9f60-21dfdad59608";
/// Managed Identity Operator.
pub const MANAGED_IDENTITY_OPERATOR: &str = "f1a07417-d97a-45cb-824c-7a7467783830";
/// Private DNS Zone Contributor.
pub const PRIVATE_DNS_ZONE_CONTRIBUTOR: &str = "b12aa53e-6015-4669-85d0-8515ebb3ae7f";
/// Key Vault Crypto User.
pub const KEY_VAULT_CRYPTO_USER: &str = "12338af0-0e69-4776-bea7-57ae8d297424";
/// Key Vault Crypto Service Encryption User.
pub const KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER: &str = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
/// Key Vault Secrets User.
pub const KEY_VAULT_SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
/// Key Vault Secrets Officer.
pub const KEY_VAULT_SECRETS_OFFICER: &str = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
/// Key Vault Crypto Officer.
pub const KEY_VAULT_CRYPTO_OFFICER: &str = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
/// Key Vault Administrator.
pub const KEY_VAULT_ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
/// Managed Identity Contributor.
pub const MANAGED_IDENTITY_CONTRIBUTOR: &str = "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59";
/// Owner.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// User Access Administrator.
pub const USER_ACCESS_ADMINISTRATOR: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
/// Role Based Access Control Administrator.
pub const RBAC_ADMINISTRATOR: &str = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";

/// A narrow built-in role and the resource types an assignment of it should be scoped to.
#[derive(Debug, Clone, Copy)]
pub struct ScopedRole {
    /// Role definition id.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Resource types the assignment belongs on.
    pub scopes: &'static [&'static str],
}

/// The narrow roles aks-harden assigns, each with where it belongs.
pub const SCOPED: &[ScopedRole] = &[
    ScopedRole {
        id: NETWORK_CONTRIBUTOR,
        name: "Network Contributor",
        scopes: &[types::SUBNET, types::RT],
    },
    ScopedRole {
        id: ACR_PULL,
        name: "AcrPull",
        scopes: &[types::ACR],
    },
    ScopedRole {
        id: ACR_PUSH,
        name: "AcrPush",
        scopes: &[types::ACR],
    },
    ScopedRole {
        id: ACR_QUARANTINE_WRITER,
        name: "AcrQuarantineWriter",
        scopes: &[types::ACR],
    },
    ScopedRole {
        id: MANAGED_IDENTITY_OPERATOR,
        name: "Managed Identity Operator",
        scopes: &[types::UAI],
    },
    ScopedRole {
        id: PRIVATE_DNS_ZONE_CONTRIBUTOR,
        name: "Private DNS Zone Contributor",
        scopes: &[types::DNS_ZONE],
    },
    ScopedRole {
        id: KEY_VAULT_CRYPTO_USER,
        name: "Key Vault Crypto User",
        scopes: &[types::KV_KEY],
    },
    ScopedRole {
        id: KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
        name: "Key Vault Crypto Service Encryption User",
        scopes: &[types::KV_KEY],
    },
    ScopedRole {
        id: KEY_VAULT_SECRETS_USER,
        name: "Key Vault Secrets User",
        scopes: &[types::KV, types::KV_SECRET],
    },
];

/// Roles that can change anything or grant access; no workload identity needs them.
pub const BROAD: &[(&str, &str)] = &[
    (OWNER, "Owner"),
    (CONTRIBUTOR, "Contributor"),
    (USER_ACCESS_ADMINISTRATOR, "User Access Administrator"),
    (
        RBAC_ADMINISTRATOR,
        "Role Based Access Control Administrator",
    ),
];
