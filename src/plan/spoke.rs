//! A spoke's resource groups, identities, Log Analytics, network (VNet, subnets, NSGs, route
//! table, peering, network roles) and shared services (Key Vault, KMS key, ACR, private
//! endpoints).

use super::hub::private_zones;
use super::{
    deny_admin_outbound, diagnostics, hub_sub_param, id_ref, lock, res, rg_deployment, rid, rid_in,
    role_assignment, role_assignment_for, roles, spoke_sub_param, tags, types,
};
use crate::ir::{Deployment, Expr, Resource, Scope, Target, Value};
use crate::model::{Defender, DiskEncryption, Estate, KeyVaultSku, PaasAccess, Spoke, SubnetRole};
use crate::obj;
use indexmap::IndexMap;

/// The control-plane identity's id, from any resource group of the spoke.
pub(crate) fn control_plane_id(s: &Spoke) -> Expr {
    rid_in(
        &spoke_sub_param(s),
        &s.cluster_rg,
        types::UAI,
        &[&s.cluster.control_plane_identity],
    )
}

/// The kubelet identity's id, from any resource group of the spoke.
pub(crate) fn kubelet_id(s: &Spoke) -> Expr {
    rid_in(
        &spoke_sub_param(s),
        &s.cluster_rg,
        types::UAI,
        &[&s.cluster.kubelet_identity],
    )
}

/// The spoke's Log Analytics workspace id.
pub(crate) fn workspace_id(s: &Spoke) -> Expr {
    rid_in(
        &spoke_sub_param(s),
        &s.shared_rg,
        types::LAW,
        &[&s.log_analytics_name],
    )
}

/// A spoke subnet's id.
pub(crate) fn subnet_id(s: &Spoke, role: SubnetRole) -> Expr {
    let name = s.subnet(role).map_or_else(String::new, |n| n.name.clone());
    rid_in(
        &spoke_sub_param(s),
        &s.network_rg,
        types::SUBNET,
        &[&s.vnet_name, &name],
    )
}

/// The spoke's resource groups and, when the estate gives the spoke no subscription id, the
/// subscription-level resources (Defender plans) of the subscription its parameter names: the
/// deployer decides where that is, so the spoke declares them there. Spokes whose subscription
/// the estate names get them from [`subscriptions`], once per subscription.
pub(crate) fn resource_groups(estate: &Estate, s: &Spoke) -> Deployment {
    let mut out = Vec::new();
    for (id, rg) in [
        ("rg_network", &s.network_rg),
        ("rg_cluster", &s.cluster_rg),
        ("rg_shared", &s.shared_rg),
    ] {
        out.push(res(
            id,
            types::RG,
            &[rg],
            obj! { "location" => &estate.location, "tags" => tags(estate) },
        ));
    }
    if s.subscription_id.is_none() {
        out.extend(subscription_resources(estate));
    }
    Deployment {
        id: format!("{}-resource-groups", s.key),
        scope: Scope::Subscription {
            subscription: Some(Expr::param(spoke_sub_param(s))),
        },
        parameters: IndexMap::new(),
        resources: out,
        depends_on: Vec::new(),
    }
}

/// What every workload subscription gets once: the estate's Defender plans.
fn subscription_resources(estate: &Estate) -> Vec<Resource> {
    let Defender {
        containers,
        key_vaults,
        arm,
    } = estate.defender;
    [
        (containers, "Containers"),
        (key_vaults, "KeyVaults"),
        (arm, "Arm"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, plan)| {
        res(
            &format!("defender_{}", plan.to_lowercase()),
            types::PRICING,
            &[plan],
            obj! { "properties" => obj! { "pricingTier" => "Standard" } },
        )
    })
    .collect()
}

/// One `subscription-<id>` deployment per subscription id the estate names, in id order, with
/// that subscription's subscription-level resources: spokes that share a subscription declare
/// them once, so Terraform never creates the same pricing twice. Named after the subscription,
/// not a spoke, so adding or removing a spoke that shares it never moves them (a pricing
/// Terraform destroys drops the plan to Free). Deployed through the first spoke in it.
pub(crate) fn subscriptions(estate: &Estate) -> Vec<Deployment> {
    let resources = subscription_resources(estate);
    if resources.is_empty() {
        return Vec::new();
    }
    // Subscription id (lower case) -> the first spoke in it, in key order.
    let mut first: std::collections::BTreeMap<String, &Spoke> = std::collections::BTreeMap::new();
    for s in &estate.spokes {
        if let Some(id) = &s.subscription_id {
            first.entry(id.to_ascii_lowercase()).or_insert(s);
        }
    }
    first
        .into_iter()
        .map(|(id, s)| Deployment {
            id: format!("subscription-{id}"),
            scope: Scope::Subscription {
                subscription: Some(Expr::param(spoke_sub_param(s))),
            },
            parameters: IndexMap::new(),
            resources: resources.clone(),
            depends_on: Vec::new(),
        })
        .collect()
}

/// Control-plane and kubelet identities, and the control plane's right to assign the kubelet one.
pub(crate) fn identity(estate: &Estate, s: &Spoke) -> Deployment {
    let c = &s.cluster;
    let uai = |id: &str, name: &str| {
        res(
            id,
            types::UAI,
            &[name],
            obj! { "location" => &estate.location, "tags" => tags(estate), "properties" => obj! {} },
        )
    };
    let mut out = vec![
        uai("id_control_plane", &c.control_plane_identity),
        uai("id_kubelet", &c.kubelet_identity),
        role_assignment(
            "role_kubelet_operator",
            &Target::new(types::UAI, &[&c.kubelet_identity]),
            rid(types::UAI, &[&c.control_plane_identity]),
            roles::MANAGED_IDENTITY_OPERATOR,
            &["id_control_plane", "id_kubelet"],
        ),
    ];
    out.extend(super::ingress::identity(estate, s));
    rg_deployment(
        format!("{}-identity", s.key),
        Some(&spoke_sub_param(s)),
        &s.cluster_rg,
        out,
        vec![format!("{}-resource-groups", s.key)],
    )
}

/// The spoke's Log Analytics workspace, first so every diagnostic setting can use it.
pub(crate) fn logs(estate: &Estate, s: &Spoke) -> Deployment {
    let out = vec![res(
        "log_analytics",
        types::LAW,
        &[&s.log_analytics_name],
        obj! {
            "location" => &estate.location,
            "tags" => tags(estate),
            "properties" => obj! {
                "sku" => obj! { "name" => "PerGB2018" },
                "retentionInDays" => s.log_retention_days,
                "features" => obj! { "enableLogAccessUsingOnlyResourcePermissions" => true },
                "publicNetworkAccessForIngestion" => "Enabled",
                "publicNetworkAccessForQuery" => "Enabled",
                "replication" => s.log_replica.as_ref().map(|r| obj! { "enabled" => true, "location" => r }),
            },
        },
    )];
    rg_deployment(
        format!("{}-logs", s.key),
        Some(&spoke_sub_param(s)),
        &s.shared_rg,
        out,
        vec![format!("{}-resource-groups", s.key)],
    )
}

/// VNet, subnets with NSGs and the firewall route, peering to the hub, and the control plane's
/// Network Contributor role on the cluster subnets and route table.
pub(crate) fn network(estate: &Estate, s: &Spoke) -> Deployment {
    let h = &estate.hub;
    let loc = estate.location.as_str();
    let mut out = Vec::new();
    for n in &s.subnets {
        let mut rules = super::access::subnet_rules(estate, s, n.role);
        rules.push(obj! {
            "name" => "deny-internet-inbound",
            "properties" => obj! {
                "description" => "Nothing from the internet reaches this subnet directly",
                "protocol" => "*",
                "sourcePortRange" => "*",
                "destinationPortRange" => "*",
                "sourceAddressPrefix" => "Internet",
                "destinationAddressPrefix" => "*",
                "access" => "Deny",
                "priority" => 4096u32,
                "direction" => "Inbound",
            },
        });
        rules.extend(deny_admin_outbound(&n.name));
        out.push(super::nsg(
            estate,
            &format!("nsg_{}", n.role.key()),
            &n.nsg_name,
            rules,
        ));
    }
    out.push(super::route_via_firewall(
        estate,
        "route_table",
        &s.route_table_name,
    ));
    let service_endpoints = s.paas_access == PaasAccess::ServiceEndpoints;
    let subnets: Vec<Value> = s
        .subnets
        .iter()
        .map(|n| {
            let node = matches!(n.role, SubnetRole::System | SubnetRole::User);
            obj! {
                "name" => &n.name,
                "properties" => obj! {
                    "addressPrefix" => n.cidr.to_string(),
                    "networkSecurityGroup" => id_ref(rid(types::NSG, &[&n.nsg_name])),
                    "routeTable" => n.role.routed().then(|| id_ref(rid(types::RT, &[&s.route_table_name]))),
                    // Only Key Vault: a registry admits no virtual network rule, so an ACR
                    // service endpoint would send pulls from the subnet's private address, which
                    // the registry's IP rule (the firewall's public IP) refuses.
                    "serviceEndpoints" => (service_endpoints && node).then(|| vec![
                        obj! { "service" => "Microsoft.KeyVault", "locations" => vec![loc] },
                    ]),
                    "delegations" => (n.role == SubnetRole::ApiServer).then(|| vec![obj! {
                        "name" => "aks-apiserver",
                        "properties" => obj! { "serviceName" => types::AKS },
                    }]),
                    "privateEndpointNetworkPolicies" => (n.role == SubnetRole::PrivateEndpoints).then_some("Enabled"),
                    "defaultOutboundAccess" => false,
                },
            }
        })
        .collect();
    let mut vnet = res(
        "vnet",
        types::VNET,
        &[&s.vnet_name],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "properties" => obj! {
                "addressSpace" => obj! { "addressPrefixes" => vec![s.address_space.to_string()] },
                "dhcpOptions" => h.firewall.dns_proxy.then(|| obj! {
                    "dnsServers" => vec![h.firewall.private_ip.to_string()],
                }),
                "subnets" => Value::Array(subnets),
            },
        },
    );
    vnet.depends_on = s
        .subnets
        .iter()
        .map(|n| format!("nsg_{}", n.role.key()))
        .collect();
    vnet.depends_on.push("route_table".into());
    out.push(vnet);
    let mut peering = res(
        "peering_to_hub",
        types::PEERING,
        &[&s.vnet_name, "to-hub"],
        obj! {
            "properties" => obj! {
                "remoteVirtualNetwork" => id_ref(rid_in(hub_sub_param(), &h.resource_group, types::VNET, &[&h.vnet_name])),
                "allowVirtualNetworkAccess" => true,
                "allowForwardedTraffic" => true,
                "allowGatewayTransit" => false,
                "useRemoteGateways" => false,
            },
        },
    );
    peering.depends_on.push("vnet".into());
    out.push(peering);
    for n in s.subnets.iter().filter(|n| n.role.routed()) {
        out.push(role_assignment(
            &format!("role_network_{}", n.role.key()),
            &Target::new(types::SUBNET, &[&s.vnet_name, &n.name]),
            control_plane_id(s),
            roles::NETWORK_CONTRIBUTOR,
            &["vnet"],
        ));
    }
    out.extend(super::access::network_roles(s));
    out.push(role_assignment(
        "role_network_route_table",
        &Target::new(types::RT, &[&s.route_table_name]),
        control_plane_id(s),
        roles::NETWORK_CONTRIBUTOR,
        &["route_table"],
    ));
    for n in &s.subnets {
        let mut d = diagnostics(
            &format!("nsg_{}_diagnostics", n.role.key()),
            &Target::new(types::NSG, &[&n.nsg_name]),
            &format!("nsg_{}", n.role.key()),
            workspace_id(s),
            &["group:allLogs"],
        );
        // NSGs publish no metrics.
        if let Some(Value::Object(p)) = d.body.get_mut("properties") {
            p.shift_remove("metrics");
        }
        out.push(d);
    }
    out.extend(lock(estate));
    rg_deployment(
        format!("{}-network", s.key),
        Some(&spoke_sub_param(s)),
        &s.network_rg,
        out,
        super::hub::deployments(estate)
            .into_iter()
            .chain([format!("{}-identity", s.key), format!("{}-logs", s.key)])
            .collect(),
    )
}

/// A private endpoint for `target` with its DNS zone group.
pub(crate) fn private_endpoint(
    estate: &Estate,
    s: &Spoke,
    id: &str,
    target: Expr,
    group: &str,
    zones: &[String],
    depends: &[&str],
) -> Vec<Resource> {
    let name = format!("pe-{}-{}-{group}", estate.name, s.key);
    let mut pe = res(
        id,
        types::PE,
        &[&name],
        obj! {
            "location" => &estate.location,
            "tags" => tags(estate),
            "properties" => obj! {
                "subnet" => id_ref(subnet_id(s, SubnetRole::PrivateEndpoints)),
                "privateLinkServiceConnections" => vec![obj! {
                    "name" => &name,
                    "properties" => obj! {
                        "privateLinkServiceId" => target,
                        "groupIds" => vec![group],
                    },
                }],
            },
        },
    );
    pe.depends_on
        .extend(depends.iter().map(|d| (*d).to_string()));
    let configs: Vec<Value> = zones
        .iter()
        .map(|z| {
            obj! {
                "name" => z.replace('.', "-"),
                "properties" => obj! {
                    "privateDnsZoneId" => rid_in(hub_sub_param(), &estate.zones_resource_group, types::DNS_ZONE, &[z]),
                },
            }
        })
        .collect();
    let mut dns = res(
        &format!("{id}_dns"),
        types::PE_DNS,
        &[&name, "default"],
        obj! { "properties" => obj! { "privateDnsZoneConfigs" => Value::Array(configs) } },
    );
    dns.depends_on.push(id.to_string());
    vec![pe, dns]
}

/// Key Vault (+ KMS key), container registry, their private endpoints or network rules, and the
/// roles the cluster identities need on them.
pub(crate) fn shared(estate: &Estate, s: &Spoke) -> Deployment {
    let loc = estate.location.as_str();
    let kv = &s.key_vault;
    let private = s.paas_access == PaasAccess::PrivateEndpoints;
    let node_subnet_rules: Vec<Value> = [SubnetRole::System, SubnetRole::User]
        .iter()
        .map(|r| obj! { "id" => subnet_id(s, *r), "ignoreMissingVnetServiceEndpoint" => false })
        .collect();
    let mut out = vec![res(
        "key_vault",
        types::KV,
        &[&kv.name],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "properties" => obj! {
                "tenantId" => Expr::param("tenantId"),
                "sku" => obj! {
                    "family" => "A",
                    "name" => match kv.sku { KeyVaultSku::Standard => "standard", KeyVaultSku::Premium => "premium" },
                },
                "enableRbacAuthorization" => true,
                "enableSoftDelete" => true,
                "softDeleteRetentionInDays" => kv.soft_delete_retention_days,
                "enablePurgeProtection" => true,
                "enabledForDeployment" => false,
                "enabledForDiskEncryption" => false,
                "enabledForTemplateDeployment" => false,
                "publicNetworkAccess" => if private { "Disabled" } else { "Enabled" },
                "networkAcls" => obj! {
                    "defaultAction" => "Deny",
                    "bypass" => "AzureServices",
                    "ipRules" => Value::Array(Vec::new()),
                    "virtualNetworkRules" => if private { Value::Array(Vec::new()) } else { Value::Array(node_subnet_rules) },
                },
            },
        },
    )];
    if let Some(key) = &kv.kms_key_name {
        out.push(hsm_key("kms_key", &kv.name, key));
        out.push(role_assignment(
            "role_kms_crypto_user",
            &Target::new(types::KV_KEY, &[&kv.name, key]),
            control_plane_id(s),
            roles::KEY_VAULT_CRYPTO_USER,
            &["kms_key"],
        ));
    }
    if let (Some(key), DiskEncryption::Planned(des)) =
        (&kv.disk_key_name, &s.cluster.disk_encryption)
    {
        out.push(hsm_key("disk_key", &kv.name, key));
        let key_id = rid(types::KV_KEY, &[&kv.name, key]);
        let mut set = res(
            "disk_encryption_set",
            types::DES,
            &[des],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "identity" => obj! { "type" => "SystemAssigned" },
                "properties" => obj! {
                    "activeKey" => obj! {
                        "keyUrl" => Expr::Reference {
                            id: Box::new(key_id),
                            api_version: crate::azure::types::api_version(types::KV_KEY).to_string(),
                            full: false,
                            path: vec!["keyUriWithVersion".into()],
                        },
                        "sourceVault" => id_ref(rid(types::KV, &[&kv.name])),
                    },
                    "encryptionType" => "EncryptionAtRestWithCustomerKey",
                    "rotationToLatestKeyVersionEnabled" => true,
                },
            },
        );
        set.depends_on.push("disk_key".into());
        out.push(set);
        let des_id = rid(types::DES, &[des]);
        out.push(role_assignment_for(
            "role_disk_encryption_set",
            &Target::new(types::KV_KEY, &[&kv.name, key]),
            des_id.clone(),
            Expr::Reference {
                id: Box::new(des_id),
                api_version: crate::azure::types::api_version(types::DES).to_string(),
                full: true,
                path: vec!["identity".into(), "principalId".into()],
            },
            roles::KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
            &["disk_encryption_set"],
        ));
    }
    let acr = &s.registry;
    out.push(res(
        "registry",
        types::ACR,
        &[&acr.name],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "sku" => obj! { "name" => "Premium" },
            "properties" => obj! {
                "adminUserEnabled" => false,
                "anonymousPullEnabled" => false,
                "dataEndpointEnabled" => true,
                "publicNetworkAccess" => if private { "Disabled" } else { "Enabled" },
                "networkRuleBypassOptions" => "AzureServices",
                "networkRuleSet" => (!private).then(|| obj! {
                    "defaultAction" => "Deny",
                    "ipRules" => vec![obj! {
                        "action" => "Allow",
                        "value" => Expr::Reference {
                            id: Box::new(rid_in(hub_sub_param(), &estate.hub.resource_group, types::PIP, &[&estate.hub.firewall.public_ip_name])),
                            api_version: crate::azure::types::api_version(types::PIP).to_string(),
                            full: false,
                            path: vec!["ipAddress".into()],
                        },
                    }],
                }),
                "zoneRedundancy" => if acr.zone_redundancy { "Enabled" } else { "Disabled" },
                "policies" => obj! {
                    "quarantinePolicy" => obj! { "status" => if acr.quarantine { "enabled" } else { "disabled" } },
                    "retentionPolicy" => obj! { "days" => acr.retention_days, "status" => "enabled" },
                    "exportPolicy" => obj! { "status" => if private { "disabled" } else { "enabled" } },
                    "azureADAuthenticationAsArmPolicy" => obj! { "status" => "enabled" },
                },
            },
        },
    ));
    out.extend(super::ingress::vault_role(s));
    out.push(role_assignment(
        "role_kubelet_acr_pull",
        &Target::new(types::ACR, &[&acr.name]),
        kubelet_id(s),
        roles::ACR_PULL,
        &["registry"],
    ));
    if let Some(writer) = &acr.quarantine_writer {
        // The pipeline pushes, scans and marks images passed; without the marker role a
        // quarantined image never becomes pullable.
        for (id, role) in [
            ("role_quarantine_writer_push", roles::ACR_PUSH),
            ("role_quarantine_writer", roles::ACR_QUARANTINE_WRITER),
        ] {
            let mut a = role_assignment_for(
                id,
                &Target::new(types::ACR, &[&acr.name]),
                Expr::str(writer),
                Expr::str(writer),
                role,
                &["registry"],
            );
            // The estate gives the object id: a literal, not an expression.
            if let Some(Value::Object(p)) = a.body.get_mut("properties") {
                p.insert("principalId".into(), Value::Str(writer.clone()));
            }
            out.push(a);
        }
    }
    if private {
        let zones = private_zones(estate);
        let kv_zones: Vec<String> = zones
            .iter()
            .filter(|z| z.contains("vaultcore"))
            .cloned()
            .collect();
        let acr_zones: Vec<String> = zones
            .iter()
            .filter(|z| z.contains("azurecr"))
            .cloned()
            .collect();
        out.extend(private_endpoint(
            estate,
            s,
            "pe_key_vault",
            rid(types::KV, &[&kv.name]),
            "vault",
            &kv_zones,
            &["key_vault"],
        ));
        out.extend(private_endpoint(
            estate,
            s,
            "pe_registry",
            rid(types::ACR, &[&acr.name]),
            "registry",
            &acr_zones,
            &["registry"],
        ));
    }
    let monitor_endpoint = super::monitoring::private_endpoint(estate, s);
    let private_monitoring = !monitor_endpoint.is_empty();
    out.extend(monitor_endpoint);
    out.push(diagnostics(
        "key_vault_diagnostics",
        &Target::new(types::KV, &[&kv.name]),
        "key_vault",
        workspace_id(s),
        &["group:allLogs"],
    ));
    out.push(diagnostics(
        "registry_diagnostics",
        &Target::new(types::ACR, &[&acr.name]),
        "registry",
        workspace_id(s),
        &["group:allLogs"],
    ));
    out.extend(lock(estate));
    let mut depends = vec![
        format!("{}-network", s.key),
        format!("{}-identity", s.key),
        format!("{}-logs", s.key),
    ];
    depends.extend(super::hub::deployments(estate));
    if private_monitoring {
        depends.push(format!("{}-monitoring", s.key));
    }
    rg_deployment(
        format!("{}-shared", s.key),
        Some(&spoke_sub_param(s)),
        &s.shared_rg,
        out,
        depends,
    )
}

/// Workload identities and their federated credentials, once the cluster's OIDC issuer exists.
pub(crate) fn workloads(estate: &Estate, s: &Spoke) -> Option<Deployment> {
    if s.workloads.is_empty() {
        return None;
    }
    let cluster_id = rid(types::AKS, &[&s.cluster.name]);
    let issuer = Expr::Reference {
        id: Box::new(cluster_id),
        api_version: crate::azure::types::api_version(types::AKS).to_string(),
        full: false,
        path: vec!["oidcIssuerProfile".into(), "issuerURL".into()],
    };
    let mut out = Vec::new();
    for w in &s.workloads {
        let id = format!("id_workload_{}", w.key.replace('-', "_"));
        out.push(res(
            &id,
            types::UAI,
            &[&w.identity],
            obj! { "location" => &estate.location, "tags" => tags(estate), "properties" => obj! {} },
        ));
        let mut fic = res(
            &format!("{id}_federation"),
            types::FIC,
            &[
                &w.identity,
                &format!("{}-{}", w.namespace, w.service_account),
            ],
            obj! {
                "properties" => obj! {
                    "issuer" => issuer.clone(),
                    "subject" => format!("system:serviceaccount:{}:{}", w.namespace, w.service_account),
                    "audiences" => vec!["api://AzureADTokenExchange"],
                },
            },
        );
        fic.depends_on.push(id);
        out.push(fic);
    }
    Some(rg_deployment(
        format!("{}-workloads", s.key),
        Some(&spoke_sub_param(s)),
        &s.cluster_rg,
        out,
        vec![format!("{}-cluster", s.key)],
    ))
}

/// Data-plane roles on the vault and registry for the CSI driver and the workload identities.
pub(crate) fn access(_estate: &Estate, s: &Spoke) -> Option<Deployment> {
    let vault = Target::new(types::KV, &[&s.key_vault.name]);
    let registry = Target::new(types::ACR, &[&s.registry.name]);
    let mut out = Vec::new();
    if s.cluster.secrets_store_csi {
        let cluster = rid_in(
            &spoke_sub_param(s),
            &s.cluster_rg,
            types::AKS,
            &[&s.cluster.name],
        );
        let principal = Expr::Reference {
            id: Box::new(cluster.clone()),
            api_version: crate::azure::types::api_version(types::AKS).to_string(),
            full: false,
            path: vec![
                "addonProfiles".into(),
                "azureKeyvaultSecretsProvider".into(),
                "identity".into(),
                "objectId".into(),
            ],
        };
        out.push(role_assignment_for(
            "role_csi_secrets_user",
            &vault,
            cluster,
            principal,
            roles::KEY_VAULT_SECRETS_USER,
            &[],
        ));
    }
    for w in &s.workloads {
        let identity = rid_in(
            &spoke_sub_param(s),
            &s.cluster_rg,
            types::UAI,
            &[&w.identity],
        );
        let key = w.key.replace('-', "_");
        if w.key_vault_secrets {
            out.push(role_assignment(
                &format!("role_workload_{key}_secrets"),
                &vault,
                identity.clone(),
                roles::KEY_VAULT_SECRETS_USER,
                &[],
            ));
        }
        if w.acr_pull {
            out.push(role_assignment(
                &format!("role_workload_{key}_acr_pull"),
                &registry,
                identity,
                roles::ACR_PULL,
                &[],
            ));
        }
    }
    if out.is_empty() {
        return None;
    }
    let mut depends = vec![format!("{}-cluster", s.key), format!("{}-shared", s.key)];
    if !s.workloads.is_empty() {
        depends.push(format!("{}-workloads", s.key));
    }
    Some(rg_deployment(
        format!("{}-access", s.key),
        Some(&spoke_sub_param(s)),
        &s.shared_rg,
        out,
        depends,
    ))
}

/// An HSM-backed RSA key that rotates itself yearly and notifies 30 days before expiry.
fn hsm_key(id: &str, vault: &str, key: &str) -> Resource {
    let mut k = res(
        id,
        types::KV_KEY,
        &[vault, key],
        obj! {
            "properties" => obj! {
                "kty" => "RSA-HSM",
                "keySize" => 2048u32,
                "keyOps" => vec!["encrypt", "decrypt", "wrapKey", "unwrapKey"],
                "attributes" => obj! { "enabled" => true, "exportable" => false },
                "rotationPolicy" => obj! {
                    "attributes" => obj! { "expiryTime" => "P1Y" },
                    "lifetimeActions" => vec![
                        obj! {
                            "trigger" => obj! { "timeBeforeExpiry" => "P30D" },
                            "action" => obj! { "type" => "rotate" },
                        },
                        obj! {
                            "trigger" => obj! { "timeBeforeExpiry" => "P30D" },
                            "action" => obj! { "type" => "notify" },
                        },
                    ],
                },
            },
        },
    );
    k.depends_on.push("key_vault".into());
    k
}
