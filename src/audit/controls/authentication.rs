//! Authentication and authorisation: Entra ID with Azure RBAC, and secrets kept in Key Vault and
//! encrypted in etcd.

use crate::audit::catalogue::{Control, Live, Section::Authentication, Severity::High};
use crate::audit::eval::{Check, Cx, Rule};
use crate::audit::input::Look;
use crate::azure::types;
use crate::posture::ControlId;

/// The controls of this section, in guideline order.
pub(super) const CONTROLS: &[Control] = &[
    Control {
        id: ControlId::AadRbac,
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
        check: Check::Rules {
            on: types::AKS,
            rules: AAD_RBAC,
        },
    },
    Control {
        id: ControlId::SecretsVault,
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
        check: Check::Code(secrets_vault),
    },
    Control {
        id: ControlId::SecretsKms,
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
        check: Check::Code(secrets_kms),
    },
];

/// AAD-RBAC: managed Entra ID, Azure RBAC, no local accounts.
const AAD_RBAC: &[Rule] = &[
    Rule::is_true("properties.aadProfile.managed"),
    Rule::is_true("properties.aadProfile.enableAzureRBAC"),
    Rule::present(
        "properties.aadProfile.adminGroupObjectIDs",
        "the Entra groups that administer the cluster",
    ),
    Rule::is_true("properties.enableRBAC"),
    Rule::is_true("properties.disableLocalAccounts"),
];

/// SECRETS-VAULT, on every cluster: the Secrets Store CSI add-on with rotation.
const CSI_ROTATION: &[Rule] = &[
    Rule::is_true("properties.addonProfiles.azureKeyvaultSecretsProvider.enabled"),
    Rule::is_true(
        "properties.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation",
    )
    .saying("`\"true\"`"),
];

/// SECRETS-VAULT, on every vault.
const VAULT: &[Rule] = &[
    Rule::is_true("properties.enableRbacAuthorization"),
    Rule::not_false("properties.enableSoftDelete")
        .or_default("soft delete is always on for new vaults"),
    Rule::int("properties.softDeleteRetentionInDays", 90).or_default("API default 90 days"),
    Rule::is_true("properties.enablePurgeProtection"),
    Rule::one_of("properties.publicNetworkAccess", &["Disabled"]),
    Rule::one_of("properties.networkAcls.defaultAction", &["Deny"]),
];

fn secrets_vault(cx: &mut Cx) {
    let clusters = cx.clusters();
    for &c in &clusters {
        cx.check_all(c, "", CSI_ROTATION);
    }
    if cx.live() {
        cx.gap("the Key Vault is not in a live cluster's JSON");
        return;
    }
    let vaults: Vec<usize> = cx.q.of_type(types::KV).map(|(i, _)| i).collect();
    if vaults.is_empty() && !clusters.is_empty() {
        cx.fail(
            None,
            "",
            "no Key Vault in the input: secrets live in Kubernetes Secrets",
        );
    }
    for v in vaults {
        cx.check_all(v, "", VAULT);
    }
}

const KMS_ACCESS: &str = "properties.securityProfile.azureKeyVaultKms.keyVaultNetworkAccess";

fn secrets_kms(cx: &mut Cx) {
    for c in cx.clusters() {
        let enabled = Rule::is_true("properties.securityProfile.azureKeyVaultKms.enabled");
        if cx.check(c, &enabled) != Some(true) {
            continue;
        }
        cx.check(
            c,
            &Rule::present(
                "properties.securityProfile.azureKeyVaultKms.keyId",
                "the id of the KMS key",
            ),
        );
        let access = cx.r(c).get(KMS_ACCESS);
        if access
            .str()
            .is_some_and(|s| s.eq_ignore_ascii_case("Private"))
        {
            cx.pass(Some(c), KMS_ACCESS, "is `Private`");
            cx.check(
                c,
                &Rule::present(
                    "properties.securityProfile.azureKeyVaultKms.keyVaultResourceId",
                    "the vault's id",
                ),
            );
            continue;
        }
        if let Look::Unknown(u) = access {
            cx.unevaluated(c, KMS_ACCESS, u);
            continue;
        }
        if cx.live() {
            cx.gap("whether the KMS vault is private is not in a live cluster's JSON");
            cx.pass(Some(c), KMS_ACCESS, "is `Public`");
            continue;
        }
        let vault_private = cx.q.of_type(types::KV).any(|(_, v)| {
            v.get("properties.publicNetworkAccess")
                .str()
                .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
        });
        if vault_private {
            cx.fail(
                Some(c),
                KMS_ACCESS,
                "is `Public` (or not set) while the vault is private; want `Private`",
            );
        } else {
            cx.pass(
                Some(c),
                KMS_ACCESS,
                "is `Public`, and the vault is public too",
            );
        }
    }
}
