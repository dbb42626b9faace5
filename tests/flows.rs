//! The flow model can fail: for every required flow, a mutation of the rendered estate that
//! breaks it, and for every forbidden flow, one that opens it; each test checks that the verdict
//! flips and that the hop deciding it names the element changed. Then the built-in profiles
//! (every required flow passes, every forbidden one is blocked, or a waiver covers it), the
//! gate, a hand-written ARM template with a broken route, and the flows view in every format.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::audit::flows::{self, Flow, FlowKind, Verdict};
use aks_harden::audit::input::Resource;
use aks_harden::audit::{self, Input, Outcome};
use serde_json::{Value as Json, json};
use support::{assert_exit, run, stdout};

const VNET: &str = "Microsoft.Network/virtualNetworks";
const NSG: &str = "Microsoft.Network/networkSecurityGroups";
const RT: &str = "Microsoft.Network/routeTables";
const LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
const PEERING: &str = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings";
const RCG: &str = "Microsoft.Network/firewallPolicies/ruleCollectionGroups";
const FWP: &str = "Microsoft.Network/firewallPolicies";
const ROLE: &str = "Microsoft.Authorization/roleAssignments";
const AKS: &str = "Microsoft.ContainerService/managedClusters";
const KV: &str = "Microsoft.KeyVault/vaults";
const ACR: &str = "Microsoft.ContainerRegistry/registries";
const LAW: &str = "Microsoft.OperationalInsights/workspaces";
const WAF: &str = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies";
const ZONE_GROUP: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
const DIAG: &str = "Microsoft.Insights/diagnosticSettings";

fn input(profile: &str) -> Input {
    let estate = aks_harden::load_profile(profile).expect("a built-in profile");
    aks_harden::audit_input(&estate, aks_harden::profile_source(profile))
}

/// The flow `id`, or `id@scope` where several flows share the id.
fn flow<'a>(flows: &'a [Flow], id: &str) -> &'a Flow {
    let (id, scope) = id.split_once('@').map_or((id, None), |(i, s)| (i, Some(s)));
    flows
        .iter()
        .find(|f| f.id == id && scope.is_none_or(|s| f.scope == s))
        .unwrap_or_else(|| panic!("no flow `{id}`"))
}

fn trace(f: &Flow) -> String {
    let mut s = String::new();
    aks_harden::audit::report::flows::trace(&mut s, f, true);
    s
}

fn body<'a>(i: &'a mut Input, rtype: &str, name: &str) -> &'a mut Json {
    &mut i
        .resources
        .iter_mut()
        .find(|r| r.is(rtype) && r.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no {rtype} `{name}`"))
        .body
}

fn item<'a>(b: &'a mut Json, list: &str, name: &str) -> &'a mut Json {
    b["properties"][list]
        .as_array_mut()
        .expect("a list")
        .iter_mut()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` in {list}"))
}

fn remove(i: &mut Input, keep: impl Fn(&Resource) -> bool) {
    let before = i.resources.len();
    i.resources.retain(|r| keep(r));
    assert!(i.resources.len() < before, "the mutation removed nothing");
}

/// Remove the role assignments of `role` (a role definition id) scoped to `scope`'s end.
fn unassign(i: &mut Input, role: &str, scope_ends: &str) {
    remove(i, |r| {
        !(r.is(ROLE)
            && r.scope.as_deref().is_some_and(|s| s.ends_with(scope_ends))
            && r.body["properties"]["roleDefinitionId"]
                .as_str()
                .is_some_and(|d| d.ends_with(role)))
    });
}

fn rules<'a>(i: &'a mut Input, collection: &str) -> &'a mut Vec<Json> {
    body(i, RCG, "afwp-contoso-hub/aks-egress")["properties"]["ruleCollections"]
        .as_array_mut()
        .expect("collections")
        .iter_mut()
        .find(|c| c["name"] == collection)
        .expect("the collection")["rules"]
        .as_array_mut()
        .expect("rules")
}

/// The flow `id` passes on `profile`; after `mutate` it fails, and the hop that decides it
/// names every one of `names`.
fn flips(profile: &str, id: &str, mutate: impl FnOnce(&mut Input), names: &[&str]) -> Flow {
    let mut i = input(profile);
    let before = flows::analyse(&i);
    let f = flow(&before, id);
    assert_eq!(
        f.verdict(),
        Verdict::Pass,
        "{id} on {profile}:\n{}",
        trace(f)
    );
    mutate(&mut i);
    let after = flows::analyse(&i);
    let f = flow(&after, id).clone();
    assert_eq!(
        f.verdict(),
        Verdict::Fail,
        "{id} after the mutation:\n{}",
        trace(&f)
    );
    // A required flow names the element in the hop that blocks it; an open forbidden flow in
    // the path that gets through.
    let (path, hop) = f.decisive().expect("a deciding hop");
    let named = match f.kind {
        FlowKind::Required => hop.text.clone(),
        FlowKind::Forbidden => path
            .hops
            .iter()
            .map(|h| h.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    };
    for n in names {
        assert!(
            named.contains(n),
            "{id}: the trace names `{n}`: {named}\n{}",
            trace(&f)
        );
    }
    f
}

// ---- required flows: a mutation that breaks each ----

#[test]
fn unlinking_the_api_zone_from_the_hub_breaks_the_operator_path() {
    for p in ["prod", "regulated"] {
        for id in ["operator-api-bastion", "operator-api-operations"] {
            flips(
                p,
                id,
                |i| {
                    remove(i, |r| {
                        !(r.is(LINK)
                            && r.name == "prod.privatelink.westeurope.azmk8s.io/vnet-contoso-hub")
                    });
                },
                &["vnet-contoso-hub", "prod.privatelink.westeurope.azmk8s.io"],
            );
        }
    }
}

#[test]
fn a_deny_one_priority_above_the_operators_rule_breaks_the_operations_path() {
    flips(
        "prod",
        "operator-api-operations",
        |i| {
            let b = body(i, NSG, "nsg-contoso-prod-apiserver");
            item(b, "securityRules", "deny-vnet-inbound")["properties"]["priority"] = json!(99);
        },
        &[
            "nsg-contoso-prod-apiserver",
            "deny-vnet-inbound",
            "priority 99",
        ],
    );
}

#[test]
fn a_route_sending_replies_through_the_firewall_breaks_nodes_to_api() {
    let f = flips(
        "prod",
        "nodes-api",
        |i| {
            let b = body(i, RT, "rt-contoso-prod");
            b["properties"]["routes"]
                .as_array_mut()
                .expect("routes")
                .push(json!({
                    "name": "system-via-firewall",
                    "properties": {"addressPrefix": "10.1.0.0/24", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.0.4"}
                }));
        },
        &["rt-contoso-prod", "system-via-firewall", "asymmetric"],
    );
    let (_, hop) = f.decisive().expect("a hop");
    assert_eq!(
        hop.step,
        flows::Step::Return,
        "the replies break, not the requests"
    );
}

#[test]
fn unlinking_the_registry_zone_from_the_hub_breaks_the_pull() {
    for p in ["prod", "regulated"] {
        flips(
            p,
            "kubelet-registry",
            |i| {
                remove(i, |r| {
                    !(r.is(LINK) && r.name == "privatelink.azurecr.io/vnet-contoso-hub")
                });
            },
            &["privatelink.azurecr.io", "vnet-contoso-hub"],
        );
    }
}

#[test]
fn a_dns_proxy_turned_off_breaks_every_name_the_spoke_resolves() {
    flips(
        "prod",
        "kubelet-registry",
        |i| {
            body(i, FWP, "afwp-contoso-hub")["properties"]["dnsSettings"]["enableProxy"] =
                json!(false);
        },
        &["afwp-contoso-hub", "enableProxy", "10.0.0.4"],
    );
}

#[test]
fn deleting_the_aks_fqdn_tag_rule_breaks_egress() {
    flips(
        "prod",
        "nodes-egress",
        |i| rules(i, "aks-application").retain(|r| r["name"] != "aks-fqdn-tag"),
        &["afwp-contoso-hub", "no rule allows", "mcr.microsoft.com"],
    );
}

#[test]
fn dropping_the_forwarded_traffic_flag_breaks_egress_replies() {
    for p in ["prod", "regulated"] {
        flips(
            p,
            "nodes-egress",
            |i| {
                body(i, PEERING, "vnet-contoso-prod/to-hub")["properties"]["allowForwardedTraffic"] =
                    json!(false);
            },
            &["vnet-contoso-prod/to-hub", "allowForwardedTraffic: false"],
        );
    }
}

#[test]
fn a_zone_group_removed_from_the_vault_endpoint_breaks_workload_identity() {
    flips(
        "prod",
        "workload-vault",
        |i| {
            remove(i, |r| {
                !(r.is(ZONE_GROUP) && r.name == "pe-contoso-prod-vault/default")
            });
        },
        &[
            "privatelink.vaultcore.azure.net",
            "no private endpoint registers",
        ],
    );
}

#[test]
fn the_internet_deny_one_priority_too_high_breaks_the_waf_path() {
    flips(
        "prod",
        "internet-waf-workload",
        |i| {
            let b = body(i, NSG, "nsg-contoso-prod-appgw");
            item(b, "securityRules", "deny-internet-inbound")["properties"]["priority"] =
                json!(119);
        },
        &[
            "nsg-contoso-prod-appgw",
            "deny-internet-inbound",
            "priority 119",
        ],
    );
}

#[test]
fn a_disabled_waf_policy_breaks_the_waf_path() {
    flips(
        "regulated",
        "internet-waf-workload",
        |i| {
            body(i, WAF, "waf-contoso-prod")["properties"]["policySettings"]["state"] =
                json!("Disabled");
        },
        &["waf-contoso-prod", "disabled"],
    );
}

#[test]
fn a_workspace_closed_to_ingestion_breaks_monitoring() {
    flips(
        "prod",
        "monitoring-workspace",
        |i| {
            body(i, LAW, "log-contoso-prod")["properties"]["publicNetworkAccessForIngestion"] =
                json!("Disabled");
        },
        &["log-contoso-prod", "publicNetworkAccessForIngestion"],
    );
}

#[test]
fn a_diagnostic_setting_without_destination_breaks_diagnostics() {
    flips(
        "prod",
        "diagnostics-workspace",
        |i| {
            let d = i
                .resources
                .iter_mut()
                .find(|r| {
                    r.is(DIAG)
                        && r.scope
                            .as_deref()
                            .is_some_and(|s| s.ends_with("afw-contoso-hub"))
                })
                .expect("the firewall's diagnostic setting");
            d.body["properties"]
                .as_object_mut()
                .expect("properties")
                .remove("workspaceId");
        },
        &["names no destination"],
    );
}

#[test]
fn removed_role_assignments_break_the_identities_flows() {
    const NETWORK_CONTRIBUTOR: &str = "4d97b98b-1d4f-4787-a291-c67834d212e7";
    flips(
        "prod",
        "cp-join-subnets",
        |i| {
            unassign(i, NETWORK_CONTRIBUTOR, "subnets/snet-system");
            unassign(i, NETWORK_CONTRIBUTOR, "virtualNetworks/vnet-contoso-prod");
        },
        &[
            "id-contoso-prod-controlplane",
            "Network Contributor",
            "vnet-contoso-prod/snet-system",
        ],
    );
    flips(
        "prod",
        "cp-dns-zone",
        |i| {
            unassign(
                i,
                "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
                "prod.privatelink.westeurope.azmk8s.io",
            );
        },
        &[
            "Private DNS Zone Contributor",
            "prod.privatelink.westeurope.azmk8s.io",
        ],
    );
    flips(
        "prod",
        "cp-kubelet-identity",
        |i| {
            unassign(
                i,
                "f1a07417-d97a-45cb-824c-7a7467783830",
                "id-contoso-prod-kubelet",
            );
        },
        &["Managed Identity Operator", "id-contoso-prod-kubelet"],
    );
    flips(
        "regulated",
        "kubelet-pull",
        |i| {
            unassign(
                i,
                "7f951dda-4ed3-4680-a7ca-43fe172d538d",
                "acrcontosoprodipvxb",
            );
        },
        &["id-contoso-prod-kubelet", "AcrPull", "acrcontosoprodipvxb"],
    );
    flips(
        "prod",
        "csi-secrets",
        |i| {
            remove(i, |r| {
                !(r.is(ROLE)
                    && r.body["properties"]["principalId"]
                        .to_string()
                        .contains("azureKeyvaultSecretsProvider"))
            });
        },
        &["azurekeyvaultsecretsprovider", "Key Vault Secrets User"],
    );
    flips(
        "prod",
        "cp-kms-key",
        |i| unassign(i, "12338af0-0e69-4776-bea7-57ae8d297424", "keys/kms-etcd"),
        &["Key Vault Crypto User", "kms-etcd"],
    );
}

#[test]
fn quarantine_without_a_writer_breaks_the_pull() {
    flips(
        "prod",
        "kubelet-pull",
        |i| {
            body(i, ACR, "acrcontosoprodipvxb")["properties"]["policies"]["quarantinePolicy"]["status"] =
                json!("enabled");
        },
        &["quarantine", "AcrQuarantineWriter"],
    );
}

#[test]
fn the_registry_service_endpoint_dev_used_to_carry_refused_every_pull() {
    // Until the flow model caught it, dev's node subnets carried a Microsoft.ContainerRegistry
    // service endpoint: pulls left from the subnet's private address, and the registry, which
    // admits the firewall's public IP only (and no virtual network rule), refused them.
    flips(
        "dev",
        "kubelet-registry",
        |i| {
            let subnets = body(i, VNET, "vnet-contoso-dev")["properties"]["subnets"]
                .as_array_mut()
                .expect("subnets");
            for s in subnets
                .iter_mut()
                .filter(|s| s["name"] == "snet-system" || s["name"] == "snet-user")
            {
                s["properties"]["serviceEndpoints"]
                    .as_array_mut()
                    .expect("service endpoints")
                    .push(json!({"service": "Microsoft.ContainerRegistry", "locations": ["westeurope"]}));
            }
        },
        &[
            "acrcontosodev8kroa",
            "no virtual network rule",
            "snet-system",
        ],
    );
}

// ---- forbidden flows: a mutation that opens each ----

#[test]
fn a_public_api_server_opens_it_to_the_internet() {
    flips(
        "prod",
        "internet-api",
        |i| {
            let asp = &mut body(i, AKS, "aks-contoso-prod")["properties"]["apiServerAccessProfile"];
            asp["enablePrivateCluster"] = json!(false);
        },
        &["aks-contoso-prod", "public API server", "every address"],
    );
}

#[test]
fn node_public_ips_without_the_internet_deny_open_the_nodes() {
    // With a 0.0.0.0/0 user-defined route on the subnet, the VirtualNetwork tag covers the
    // internet: Azure's AllowVnetInBound admits it once the explicit deny is gone.
    let f = flips(
        "prod",
        "internet-nodes",
        |i| {
            let c = body(i, AKS, "aks-contoso-prod");
            c["properties"]["agentPoolProfiles"][0]["enableNodePublicIP"] = json!(true);
            let b = body(i, NSG, "nsg-contoso-prod-system");
            b["properties"]["securityRules"]
                .as_array_mut()
                .expect("rules")
                .retain(|r| r["name"] != "deny-internet-inbound");
        },
        &[
            "nsg-contoso-prod-system",
            "AllowVnetInBound",
            "an internet address",
        ],
    );
    assert!(trace(&f).contains("enableNodePublicIP"));
}

#[test]
fn a_direct_route_and_a_load_balancer_let_nodes_bypass_the_firewall() {
    flips(
        "prod",
        "nodes-internet-direct",
        |i| {
            let b = body(i, RT, "rt-contoso-prod");
            let r = item(b, "routes", "default-via-firewall");
            r["properties"] = json!({"addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"});
            body(i, AKS, "aks-contoso-prod")["properties"]["networkProfile"]["outboundType"] =
                json!("loadBalancer");
        },
        &["outboundType `loadBalancer`"],
    );
}

#[test]
fn a_firewall_rule_between_private_ranges_opens_spoke_to_spoke() {
    flips(
        "prod",
        "spoke-to-spoke",
        |i| {
            rules(i, "aks-network").push(json!({
                "ruleType": "NetworkRule",
                "name": "east-west",
                "ipProtocols": ["Any"],
                "sourceAddresses": ["10.0.0.0/8"],
                "destinationAddresses": ["10.0.0.0/8"],
                "destinationPorts": ["*"]
            }));
        },
        &[],
    );
    let mut i = input("prod");
    rules(&mut i, "aks-network").push(json!({
        "ruleType": "NetworkRule", "name": "east-west", "ipProtocols": ["Any"],
        "sourceAddresses": ["10.0.0.0/8"], "destinationAddresses": ["10.0.0.0/8"], "destinationPorts": ["*"]
    }));
    let fs = flows::analyse(&i);
    assert!(
        trace(flow(&fs, "spoke-to-spoke")).contains("network rule `east-west`"),
        "the open path names the rule"
    );
}

#[test]
fn a_public_vault_and_a_firewall_rule_open_the_vault_to_pods() {
    flips(
        "prod",
        "pod-paas-public",
        |i| {
            let v = &mut body(i, KV, "kv-contosoprod-ipvxb")["properties"];
            v["publicNetworkAccess"] = json!("Enabled");
            v["networkAcls"]["defaultAction"] = json!("Allow");
            rules(i, "aks-application").push(json!({
                "ruleType": "ApplicationRule",
                "name": "vaults",
                "protocols": [{"protocolType": "Https", "port": 443}],
                "sourceAddresses": ["10.1.4.0/22"],
                "targetFqdns": ["*.vault.azure.net"]
            }));
        },
        &["kv-contosoprod-ipvxb", "accepts it"],
    );
}

#[test]
fn an_ssh_deny_turned_allow_opens_lateral_movement() {
    for p in ["prod", "regulated"] {
        flips(
            p,
            "ssh-rdp-lateral@vnet-contoso-prod",
            |i| {
                let b = body(i, NSG, "nsg-contoso-prod-user");
                item(b, "securityRules", "deny-ssh-rdp-vnet-outbound")["properties"]["access"] =
                    json!("Allow");
            },
            &[
                "nsg-contoso-prod-user",
                "deny-ssh-rdp-vnet-outbound",
                "allows",
            ],
        );
    }
}

#[test]
fn directly_peered_spokes_reach_each_other() {
    let estate = aks_harden::load_file(
        &support::root().join("tests/fixtures/audit/estates/two-spokes.json"),
    )
    .expect("the estate");
    let mut i = aks_harden::audit_input(&estate, audit::Source::new("two spokes", "", None));
    let before = flows::analyse(&i);
    let spokes: Vec<&Flow> = before.iter().filter(|f| f.id == "spoke-to-spoke").collect();
    assert_eq!(spokes.len(), 2, "one per spoke");
    for f in &spokes {
        assert_eq!(f.verdict(), Verdict::Pass, "{}", trace(f));
    }
    let names: Vec<String> = i
        .resources
        .iter()
        .filter(|r| r.is(VNET) && !r.name.contains("hub"))
        .map(|r| r.name.clone())
        .collect();
    let [a, b] = names.as_slice() else {
        panic!("two spoke VNets: {names:?}")
    };
    for (from, to) in [(a, b), (b, a)] {
        let mut p = i
            .resources
            .iter()
            .find(|r| r.is(PEERING) && r.name.starts_with(&format!("{from}/")))
            .expect("a peering")
            .clone();
        p.name = format!("{from}/to-{to}");
        p.body["properties"]["remoteVirtualNetwork"]["id"] =
            json!(format!("Microsoft.Network/virtualNetworks/{to}"));
        i.resources.push(p);
    }
    let after = flows::analyse(&i);
    let f = after
        .iter()
        .find(|f| f.id == "spoke-to-spoke" && f.scope == *a)
        .expect("the flow");
    assert_eq!(f.verdict(), Verdict::Fail, "{}", trace(f));
    assert!(
        f.decisive()
            .expect("a hop")
            .1
            .text
            .contains(&format!("{a}/to-{b}"))
    );
}

// ---- the estates aks-harden plans ----

#[test]
fn every_built_in_profile_passes_its_required_flows_and_blocks_its_forbidden_ones() {
    for p in ["staging", "prod", "regulated"] {
        let fs = flows::analyse(&input(p));
        assert!(fs.len() >= 20, "{p}: {} flows", fs.len());
        for f in &fs {
            assert!(
                matches!(f.verdict(), Verdict::Pass | Verdict::NotApplicable),
                "{p}: {} ({}) is {}:\n{}",
                f.id,
                f.scope,
                f.verdict().as_str(),
                trace(f)
            );
        }
        for kind in [FlowKind::Required, FlowKind::Forbidden] {
            assert!(
                fs.iter()
                    .any(|f| f.kind == kind && f.verdict() == Verdict::Pass),
                "{p} has a passing {} flow",
                kind.as_str()
            );
        }
    }
    // prod and regulated: every flow applies.
    for p in ["prod", "regulated"] {
        let fs = flows::analyse(&input(p));
        assert!(fs.iter().all(|f| f.verdict() == Verdict::Pass), "{p}");
    }
}

#[test]
fn dev_fails_only_flows_its_waivers_cover() {
    // dev keeps a public API server (its authorised ranges are a documentation placeholder,
    // which no firewall egress address lies in) and reaches the vault over a service endpoint:
    // relaxations it waives, nothing else.
    let i = input("dev");
    let r = audit::audit(&i, support::today());
    let failing: Vec<(&str, &str)> = r
        .flows
        .iter()
        .filter(|f| f.verdict() == Verdict::Fail)
        .map(|f| (f.id, f.control.as_str()))
        .collect();
    assert_eq!(
        failing,
        [
            ("nodes-api", "API-PRIVATE"),
            ("internet-api", "API-PRIVATE"),
            ("pod-paas-public", "PAAS-LOCKDOWN")
        ]
    );
    for (_, control) in failing {
        let c = r
            .results
            .iter()
            .find(|x| x.control.id.as_str() == control)
            .expect("the control");
        assert_eq!(c.outcome, Outcome::Waived, "{control}");
    }
    assert!(r.flows.iter().all(|f| f.verdict() != Verdict::Unknown));
}

#[test]
fn a_failing_flow_fails_its_control_and_the_gate() {
    let mut i = input("prod");
    body(&mut i, PEERING, "vnet-contoso-prod/to-hub")["properties"]["allowForwardedTraffic"] =
        json!(false);
    let r = audit::audit(&i, support::today());
    let c = r
        .results
        .iter()
        .find(|x| x.control.id.as_str() == "EGRESS-FIREWALL")
        .expect("the control");
    assert_eq!(c.outcome, Outcome::Fail);
    let finding = c
        .findings
        .iter()
        .find(|f| f.message.starts_with("required flow `nodes-egress`"))
        .expect("the flow's finding");
    assert_eq!(finding.path, "properties.allowForwardedTraffic");
    assert_eq!(
        r.input.resources[finding.resource.expect("a resource")].name,
        "vnet-contoso-prod/to-hub"
    );
    assert!(
        r.failures(audit::Severity::High)
            .iter()
            .any(|x| x.control.id.as_str() == "EGRESS-FIREWALL")
    );
}

#[test]
fn a_live_cluster_has_no_flows_and_an_unknown_address_is_never_a_pass() {
    let live = std::fs::read_to_string(
        support::root().join("tests/fixtures/audit/live/weak-cluster.json"),
    )
    .expect("fixture");
    let i = Input::from_live(audit::Source::new("live", "live.json", Some(live))).expect("live");
    assert!(flows::analyse(&i).is_empty());
    // The spoke's address space behind an expression: every flow that depends on it is
    // unknown, none passes.
    let mut i = input("prod");
    body(&mut i, VNET, "vnet-contoso-prod")["properties"]["subnets"][0]["properties"]["addressPrefix"] =
        aks_harden::audit::input::unknown_value("[parameters('systemSubnet')]");
    let fs = flows::analyse(&i);
    for id in ["nodes-egress", "kubelet-registry", "nodes-api"] {
        let f = flow(&fs, id);
        assert_eq!(f.verdict(), Verdict::Unknown, "{id}:\n{}", trace(f));
    }
}

// ---- a template aks-harden did not write ----

const BROKEN: &str = "tests/fixtures/flows/broken-return-route.json";

#[test]
fn a_hand_written_template_with_a_broken_route_names_the_flow_and_the_route() {
    let o = run(["audit", "--template", BROKEN, "--flows"]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("operator-api-operations"))
        .expect("the flow's line");
    assert!(line.trim_start().starts_with("fail"), "{line}");
    assert!(
        line.contains("route table `rt-api` route `hub-via-firewall`"),
        "{line}"
    );
    assert!(
        out.contains("route table `rt-api` route `hub-via-firewall`"),
        "{out}"
    );
    // The other flows of the same template pass: only the broken route is blamed.
    for ok in ["nodes-api", "nodes-egress"] {
        let l = out.lines().find(|l| l.contains(ok)).expect("a line");
        assert!(l.trim_start().starts_with("pass"), "{l}");
    }
    // The audit report carries it as an API-OPERATOR-PATH finding at the route's line.
    let o = run(["audit", "--template", BROKEN, "--format", "sarif"]);
    let sarif: Json = serde_json::from_str(&stdout(&o)).expect("SARIF");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let r = results
        .iter()
        .find(|r| r["properties"]["trace"].is_array())
        .expect("a result with a trace");
    assert_eq!(r["ruleId"], "API-OPERATOR-PATH");
    let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
        .as_u64()
        .expect("a line");
    let text = std::fs::read_to_string(support::root().join(BROKEN)).expect("fixture");
    let at = text
        .lines()
        .nth(usize::try_from(line).expect("small") - 1)
        .expect("the line");
    assert!(at.contains("hub-via-firewall"), "line {line}: {at}");
}

// ---- where users see it ----

#[test]
fn the_flows_view_prints_every_trace_in_every_format() {
    let o = run(["audit", "--profile", "prod", "--flows"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    settings().bind(|| insta::assert_snapshot!("prod-flows-text", text));
    assert!(text.contains("22 flows: 22 pass, 0 fail, 0 unknown, 0 n/a"));

    let o = run(["audit", "--profile", "prod", "--flows", "--format", "json"]);
    assert_exit(&o, 0);
    let j: Json = serde_json::from_str(&stdout(&o)).expect("JSON");
    let flows = j.as_array().expect("an array");
    assert_eq!(flows.len(), 22);
    let egress = flows
        .iter()
        .find(|f| f["id"] == "nodes-egress")
        .expect("egress");
    assert_eq!(egress["control"], "EGRESS-FIREWALL");
    assert!(egress["paths"][0]["hops"].as_array().expect("hops").len() >= 8);

    let o = run([
        "audit",
        "--profile",
        "regulated",
        "--flows",
        "--format",
        "markdown",
    ]);
    assert_exit(&o, 0);
    let md = stdout(&o);
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert_eq!(md.matches("<details>").count(), 22);
}

#[test]
fn the_markdown_report_fits_a_pull_request_comment() {
    for p in ["dev", "staging", "prod", "regulated"] {
        let o = run(["audit", "--profile", p, "--format", "markdown"]);
        let md = stdout(&o);
        assert!(md.contains("## Flows"), "{p}");
        assert!(
            md.chars().count() < 65_536,
            "{p}: {} characters",
            md.chars().count()
        );
    }
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}
