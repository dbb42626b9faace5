//! Safe exposure of a spoke's workloads: an Application Gateway WAF_v2 alone in its subnet, with a
//! WAF policy in the mode the estate asks (Prevention by default) on Microsoft's default rule set
//! and bot manager, TLS 1.2 or newer from a certificate in Key Vault read by the gateway's own
//! identity, and HTTP redirected to HTTPS; its backend is the internal load balancer of App
//! Routing's nginx at a fixed address in the ingress subnet. The cluster gets the App Routing
//! add-on with no default controller and the policy that keeps every load balancer internal.

use super::spoke::workspace_id;
use super::{
    diagnostics, id_ref, policies, principal_of, res, rg_deployment, rid, rid_in,
    role_assignment_for, roles, spoke_sub_param, tags, types,
};
use crate::ir::{Deployment, Expr, Manifest, Resource, Target, Value};
use crate::model::{Estate, Ingress, Spoke, SubnetRole, Tier, WafMode};
use crate::obj;
use indexmap::IndexMap;
use serde_json::json;

/// Microsoft's current default rule set for Application Gateway WAF.
pub(crate) const RULE_SET: (&str, &str) = ("Microsoft_DefaultRuleSet", "2.1");
/// Microsoft's bot manager rule set.
pub(crate) const BOT_RULE_SET: (&str, &str) = ("Microsoft_BotManagerRuleSet", "1.1");
/// The predefined TLS policy: TLS 1.2 and newer, strong ciphers only.
pub(crate) const TLS_POLICY: &str = "AppGwSslPolicy20220101S";
/// The App Routing ingress class of the internal controller.
pub(crate) const INGRESS_CLASS: &str = "nginx-internal";

/// The gateway's user-assigned identity's id.
fn identity_id(s: &Spoke, i: &Ingress) -> Expr {
    rid_in(
        &spoke_sub_param(s),
        &s.cluster_rg,
        types::UAI,
        &[&i.identity_name],
    )
}

/// The gateway's identity, declared with the spoke's other identities.
pub(crate) fn identity(estate: &Estate, s: &Spoke) -> Vec<Resource> {
    s.ingress
        .iter()
        .map(|i| {
            res(
                "id_gateway",
                types::UAI,
                &[&i.identity_name],
                obj! { "location" => &estate.location, "tags" => tags(estate), "properties" => obj! {} },
            )
        })
        .collect()
}

/// The gateway identity's right to read the TLS certificate (a Key Vault secret) from the spoke's
/// vault. A certificate in another vault is the user's to grant.
pub(crate) fn vault_role(s: &Spoke) -> Vec<Resource> {
    s.ingress
        .iter()
        .filter(|i| i.certificate_in_spoke_vault)
        .map(|i| {
            let who = identity_id(s, i);
            role_assignment_for(
                "role_gateway_certificate",
                &Target::new(types::KV, &[&s.key_vault.name]),
                who.clone(),
                principal_of(who),
                roles::KEY_VAULT_SECRETS_USER,
                &["key_vault"],
            )
        })
        .collect()
}

/// The rules Application Gateway v2 needs on its subnet: its infrastructure ports from
/// GatewayManager, Azure's load balancer probes, and the listeners' ports from the internet.
pub(crate) fn gateway_rules() -> Vec<Value> {
    use super::access::rule;
    vec![
        rule(
            "AllowGatewayManagerInbound",
            "Application Gateway v2 infrastructure",
            "Inbound",
            "Allow",
            100,
            "Tcp",
            "GatewayManager".into(),
            "*",
            &["65200-65535"],
        ),
        rule(
            "AllowAzureLoadBalancerInbound",
            "Azure load balancer probes",
            "Inbound",
            "Allow",
            110,
            "*",
            "AzureLoadBalancer".into(),
            "*",
            &["*"],
        ),
        rule(
            "AllowHttpsInbound",
            "HTTPS to the WAF listener",
            "Inbound",
            "Allow",
            120,
            "Tcp",
            "Internet".into(),
            "*",
            &["443"],
        ),
        rule(
            "AllowHttpInbound",
            "HTTP, redirected to HTTPS",
            "Inbound",
            "Allow",
            130,
            "Tcp",
            "Internet".into(),
            "*",
            &["80"],
        ),
    ]
}

fn sub(gw: &str, kind: &str, name: &str) -> Value {
    id_ref(rid(&format!("{}/{kind}", types::AGW), &[gw, name]))
}

/// The gateway, its WAF policy and public IP, and its diagnostics.
pub(crate) fn ingress(estate: &Estate, s: &Spoke) -> Option<Deployment> {
    let i = s.ingress.as_ref()?;
    let gw_subnet = s.subnet(SubnetRole::ApplicationGateway)?;
    let loc = estate.location.as_str();
    let zones: Value = if i.zones.is_empty() {
        Value::Null
    } else {
        i.zones.clone().into()
    };
    let gw = i.gateway_name.as_str();
    let mode = match i.waf_mode {
        WafMode::Prevention => "Prevention",
        WafMode::Detection => "Detection",
    };
    let mut out = vec![
        res(
            "pip_gateway",
            types::PIP,
            &[&i.public_ip_name],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "sku" => obj! { "name" => "Standard", "tier" => "Regional" },
                "zones" => zones.clone(),
                "properties" => obj! {
                    "publicIPAllocationMethod" => "Static",
                    "publicIPAddressVersion" => "IPv4",
                },
            },
        ),
        res(
            "waf_policy",
            types::WAF_POLICY,
            &[&i.waf_policy_name],
            obj! {
                "location" => loc,
                "tags" => tags(estate),
                "properties" => obj! {
                    "policySettings" => obj! {
                        "state" => "Enabled",
                        "mode" => mode,
                        "requestBodyCheck" => true,
                        "maxRequestBodySizeInKb" => 128u32,
                        "fileUploadLimitInMb" => 100u32,
                    },
                    "managedRules" => obj! {
                        "managedRuleSets" => vec![
                            obj! { "ruleSetType" => RULE_SET.0, "ruleSetVersion" => RULE_SET.1 },
                            obj! { "ruleSetType" => BOT_RULE_SET.0, "ruleSetVersion" => BOT_RULE_SET.1 },
                        ],
                    },
                },
            },
        ),
    ];
    let host = i.host_name.clone();
    let backend = i.private_ip.to_string();
    let mut gateway = res(
        "gateway",
        types::AGW,
        &[gw],
        obj! {
            "location" => loc,
            "tags" => tags(estate),
            "zones" => zones,
            "identity" => obj! {
                "type" => "UserAssigned",
                "userAssignedIdentities" => Value::ExprKeyed(vec![(identity_id(s, i), Value::Object(IndexMap::new()))]),
            },
            "properties" => obj! {
                "sku" => obj! { "name" => "WAF_v2", "tier" => "WAF_v2" },
                "autoscaleConfiguration" => obj! { "minCapacity" => 2u32, "maxCapacity" => 10u32 },
                "enableHttp2" => true,
                "firewallPolicy" => id_ref(rid(types::WAF_POLICY, &[&i.waf_policy_name])),
                "sslPolicy" => obj! { "policyType" => "Predefined", "policyName" => TLS_POLICY },
                "gatewayIPConfigurations" => vec![obj! {
                    "name" => "gateway",
                    "properties" => obj! {
                        "subnet" => id_ref(rid(types::SUBNET, &[&s.vnet_name, &gw_subnet.name])),
                    },
                }],
                "frontendIPConfigurations" => vec![obj! {
                    "name" => "public",
                    "properties" => obj! { "publicIPAddress" => id_ref(rid(types::PIP, &[&i.public_ip_name])) },
                }],
                "frontendPorts" => vec![
                    obj! { "name" => "https", "properties" => obj! { "port" => 443u32 } },
                    obj! { "name" => "http", "properties" => obj! { "port" => 80u32 } },
                ],
                "sslCertificates" => vec![obj! {
                    "name" => "tls",
                    "properties" => obj! { "keyVaultSecretId" => &i.certificate_secret_id },
                }],
                "backendAddressPools" => vec![obj! {
                    "name" => "ingress",
                    "properties" => obj! { "backendAddresses" => vec![obj! { "ipAddress" => &backend }] },
                }],
                "probes" => vec![obj! {
                    "name" => "ingress",
                    "properties" => obj! {
                        "protocol" => "Http",
                        "host" => &backend,
                        "path" => "/",
                        "interval" => 30u32,
                        "timeout" => 30u32,
                        "unhealthyThreshold" => 3u32,
                        "pickHostNameFromBackendHttpSettings" => false,
                        // nginx answers an unknown host with 404: the controller is up.
                        "match" => obj! { "statusCodes" => vec!["200-399", "404"] },
                    },
                }],
                "backendHttpSettingsCollection" => vec![obj! {
                    "name" => "ingress",
                    "properties" => obj! {
                        "port" => 80u32,
                        "protocol" => "Http",
                        "cookieBasedAffinity" => "Disabled",
                        "requestTimeout" => 30u32,
                        "pickHostNameFromBackendAddress" => false,
                        "probe" => sub(gw, "probes", "ingress"),
                    },
                }],
                "httpListeners" => vec![
                    obj! {
                        "name" => "https",
                        "properties" => obj! {
                            "frontendIPConfiguration" => sub(gw, "frontendIPConfigurations", "public"),
                            "frontendPort" => sub(gw, "frontendPorts", "https"),
                            "protocol" => "Https",
                            "sslCertificate" => sub(gw, "sslCertificates", "tls"),
                            "hostName" => host.clone(),
                            "requireServerNameIndication" => host.is_some().then_some(true),
                        },
                    },
                    obj! {
                        "name" => "http",
                        "properties" => obj! {
                            "frontendIPConfiguration" => sub(gw, "frontendIPConfigurations", "public"),
                            "frontendPort" => sub(gw, "frontendPorts", "http"),
                            "protocol" => "Http",
                            "hostName" => host,
                        },
                    },
                ],
                "redirectConfigurations" => vec![obj! {
                    "name" => "http-to-https",
                    "properties" => obj! {
                        "redirectType" => "Permanent",
                        "targetListener" => sub(gw, "httpListeners", "https"),
                        "includePath" => true,
                        "includeQueryString" => true,
                    },
                }],
                "requestRoutingRules" => vec![
                    obj! {
                        "name" => "https",
                        "properties" => obj! {
                            "ruleType" => "Basic",
                            "priority" => 100u32,
                            "httpListener" => sub(gw, "httpListeners", "https"),
                            "backendAddressPool" => sub(gw, "backendAddressPools", "ingress"),
                            "backendHttpSettings" => sub(gw, "backendHttpSettingsCollection", "ingress"),
                        },
                    },
                    obj! {
                        "name" => "http-to-https",
                        "properties" => obj! {
                            "ruleType" => "Basic",
                            "priority" => 200u32,
                            "httpListener" => sub(gw, "httpListeners", "http"),
                            "redirectConfiguration" => sub(gw, "redirectConfigurations", "http-to-https"),
                        },
                    },
                ],
            },
        },
    );
    gateway.depends_on = vec!["pip_gateway".into(), "waf_policy".into()];
    out.push(gateway);
    out.push(diagnostics(
        "gateway_diagnostics",
        &Target::new(types::AGW, &[gw]),
        "gateway",
        workspace_id(s),
        &["group:allLogs"],
    ));
    Some(rg_deployment(
        format!("{}-ingress", s.key),
        Some(&spoke_sub_param(s)),
        &s.network_rg,
        out,
        vec![
            format!("{}-network", s.key),
            format!("{}-identity", s.key),
            format!("{}-shared", s.key),
            format!("{}-logs", s.key),
        ],
    ))
}

/// The cluster's `ingressProfile`: App Routing without its default (public) controller.
pub(crate) fn ingress_profile(s: &Spoke) -> Value {
    s.ingress.as_ref().map_or(Value::Null, |_| {
        obj! {
            "webAppRouting" => obj! {
                "enabled" => true,
                "nginx" => obj! { "defaultIngressControllerType" => "None" },
            },
        }
    })
}

/// The policy that keeps every Kubernetes load balancer of the cluster internal.
pub(crate) fn internal_lb_policy(estate: &Estate, s: &Spoke) -> Option<Resource> {
    let c = &s.cluster;
    if !c.azure_policy {
        return None;
    }
    let mut p = res(
        "internal_load_balancers",
        types::POLICY,
        &["internal-load-balancers"],
        obj! {
            "properties" => obj! {
                "displayName" => format!("Internal load balancers only on {}", c.name),
                "description" => "Assigned by aks-harden: Kubernetes services of type LoadBalancer get no public IP; workloads are exposed through the Application Gateway WAF",
                "policyDefinitionId" => format!("/providers/{}/{}", types::POLICY_DEFINITION, policies::INTERNAL_LOAD_BALANCERS),
                "enforcementMode" => "Default",
                "parameters" => obj! {
                    // Dev reports public load balancers; every other tier denies them.
                    "effect" => obj! { "value" => if estate.tier == Tier::Dev { "Audit" } else { "Deny" } },
                    "excludedNamespaces" => obj! { "value" => vec!["kube-system", "gatekeeper-system", "azure-arc"] },
                },
            },
        },
    );
    p.scope = Some(Target::new(types::AKS, &[&c.name]));
    p.depends_on.push("cluster".into());
    Some(p)
}

/// The App Routing controller that serves the gateway: nginx behind an internal load balancer
/// at the fixed address the gateway's backend names, in the ingress subnet.
pub(crate) fn manifests(estate: &Estate) -> Vec<Manifest> {
    estate
        .spokes
        .iter()
        .filter_map(|s| {
            let i = s.ingress.as_ref()?;
            let subnet = s.subnet(SubnetRole::Ingress)?;
            Some(Manifest {
                path: format!("{}/ingress-controller.yaml", s.key),
                about: format!(
                    "App Routing nginx of cluster {}, behind an internal load balancer at {} (the backend of Application Gateway {})",
                    s.cluster.name, i.private_ip, i.gateway_name
                ),
                objects: vec![json!({
                    "apiVersion": "approuting.kubernetes.azure.com/v1alpha1",
                    "kind": "NginxIngressController",
                    "metadata": { "name": INGRESS_CLASS },
                    "spec": {
                        "ingressClassName": INGRESS_CLASS,
                        "controllerNamePrefix": INGRESS_CLASS,
                        "loadBalancerAnnotations": {
                            "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                            "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": subnet.name,
                            "service.beta.kubernetes.io/azure-load-balancer-ipv4": i.private_ip.to_string(),
                        },
                    },
                })],
            })
        })
        .collect()
}
