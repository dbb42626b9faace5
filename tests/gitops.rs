//! GitOps with Flux: an estate that extends prod with a `gitops` block gets the Flux extension,
//! its configuration and the one firewall rule Flux needs, in every format; the rule opens
//! exactly Microsoft's documented endpoints and the repository's host, from that spoke's node
//! subnets only; without the block none of it is planned; a repository URL that is not HTTPS or
//! carries credentials is refused at its pointer, with a hint.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::diag::Code;
use aks_harden::{Error, Estate, Files, Format, Syntax, load_file, load_profile, load_str};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::{render, root};

const EXTENSION: &str = "Microsoft.KubernetesConfiguration/extensions";
const FLUX: &str = "Microsoft.KubernetesConfiguration/fluxConfigurations";

/// What Microsoft documents for the GitOps extension in westeurope, and the repository's host.
const FLUX_EGRESS: &[&str] = &[
    "westeurope.dp.kubernetesconfiguration.azure.com",
    "management.azure.com",
    "login.microsoftonline.com",
    "mcr.microsoft.com",
    "*.data.mcr.microsoft.com",
];

fn gitops_estate() -> Estate {
    load_file(&root().join("tests/fixtures/valid/prod-gitops.json")).unwrap()
}

fn all_formats(estate: &Estate) -> Files {
    render(estate, Format::IMPLEMENTED).unwrap()
}

/// Every ARM resource outside the deployments, keyed by (deployment, type, name).
fn arm(files: &Files) -> BTreeMap<(String, String, String), Value> {
    fn walk(rs: &[Value], deployment: &str, out: &mut BTreeMap<(String, String, String), Value>) {
        for r in rs {
            let rtype = r["type"].as_str().unwrap().to_string();
            let name = r["name"].as_str().unwrap().to_string();
            if rtype == "Microsoft.Resources/deployments" {
                let inner = r["properties"]["template"]["resources"].as_array().unwrap();
                walk(inner, &name, out);
            } else {
                out.insert((deployment.to_string(), rtype, name), r.clone());
            }
        }
    }
    let doc: Value = serde_json::from_str(&files["arm/main.json"]).unwrap();
    let mut out = BTreeMap::new();
    walk(doc["resources"].as_array().unwrap(), "", &mut out);
    out
}

fn arm_one<'a>(resources: &'a BTreeMap<(String, String, String), Value>, rtype: &str) -> &'a Value {
    let found: Vec<&Value> = resources
        .iter()
        .filter(|((_, t, _), _)| t == rtype)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(found.len(), 1, "one {rtype}");
    found[0]
}

/// The application rules of every ARM rule collection group, by name.
fn arm_app_rules(resources: &BTreeMap<(String, String, String), Value>) -> BTreeMap<String, Value> {
    resources
        .iter()
        .filter(|((_, t, _), _)| t == "Microsoft.Network/firewallPolicies/ruleCollectionGroups")
        .flat_map(|(_, r)| {
            r["properties"]["ruleCollections"]
                .as_array()
                .unwrap()
                .clone()
        })
        .flat_map(|c| c["rules"].as_array().unwrap().clone())
        .filter(|r| r["ruleType"] == json!("ApplicationRule"))
        .map(|r| (r["name"].as_str().unwrap().to_string(), r))
        .collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn the_extension_its_configuration_and_its_rule_render_in_every_format() {
    let files = all_formats(&gitops_estate());

    // ARM: both extension resources on the cluster, the configuration after the extension.
    let resources = arm(&files);
    let ext = arm_one(&resources, EXTENSION);
    let scope = "Microsoft.ContainerService/managedClusters/aks-contoso-prod";
    assert_eq!(ext["scope"], json!(scope));
    assert_eq!(ext["name"], json!("flux"));
    assert_eq!(ext["properties"]["extensionType"], json!("microsoft.flux"));
    assert_eq!(
        ext["properties"]["scope"]["cluster"]["releaseNamespace"],
        json!("flux-system")
    );
    let cfg = arm_one(&resources, FLUX);
    assert_eq!(cfg["scope"], json!(scope));
    let p = &cfg["properties"];
    assert_eq!(p["scope"], json!("cluster"));
    assert_eq!(p["sourceKind"], json!("GitRepository"));
    assert_eq!(
        p["gitRepository"]["url"],
        json!("https://github.com/contoso/platform")
    );
    assert_eq!(p["gitRepository"]["repositoryRef"]["branch"], json!("main"));
    assert_eq!(p["gitRepository"]["localAuthRef"], json!("platform-repo"));
    assert_eq!(
        p["kustomizations"]["cluster"]["path"],
        json!("./clusters/prod")
    );
    assert_eq!(p["kustomizations"]["cluster"]["prune"], json!(true));
    assert!(
        cfg["dependsOn"][0]
            .as_str()
            .unwrap()
            .contains("'Microsoft.KubernetesConfiguration/extensions', 'flux')"),
        "{}",
        cfg["dependsOn"]
    );
    // Deployed into the cluster's resource group, after the cluster.
    let (deployment, _, _) = resources
        .keys()
        .find(|(_, t, _)| t == FLUX)
        .unwrap()
        .clone();
    assert_eq!(deployment, "contoso-prod-gitops");
    let main = &files["arm/main.json"];
    assert!(main.contains("\"resourceGroup\": \"rg-contoso-prod-cluster\""));
    assert!(arm_app_rules(&resources).contains_key("gitops-prod"));

    // Bicep: the module, both resources scoped to the cluster, the rule in the hub.
    let bicep = &files["bicep/modules/prod-gitops.bicep"];
    for needle in [
        "resource flux_extension 'Microsoft.KubernetesConfiguration/extensions@2025-03-01' = {",
        "resource flux_configuration 'Microsoft.KubernetesConfiguration/fluxConfigurations@2025-04-01' = {",
        "scope: existing_managedClusters_aks_contoso_prod",
        "extensionType: 'microsoft.flux'",
        "url: 'https://github.com/contoso/platform'",
        "branch: 'main'",
        "path: './clusters/prod'",
    ] {
        assert!(bicep.contains(needle), "prod-gitops.bicep lacks {needle}");
    }
    assert!(files["bicep/main.bicep"].contains("module prod_gitops 'modules/prod-gitops.bicep'"));
    assert!(files["bicep/modules/hub.bicep"].contains("name: 'gitops-prod'"));

    // Terraform: azurerm's own resources on the cluster, the rule in the hub's group.
    let tf: Value = serde_json::from_str(&files["terraform/prod-gitops.tf.json"]).unwrap();
    let ext = &tf["resource"]["azurerm_kubernetes_cluster_extension"]["prod_gitops_flux_extension"];
    assert_eq!(ext["extension_type"], json!("microsoft.flux"));
    assert_eq!(ext["release_namespace"], json!("flux-system"));
    assert_eq!(
        ext["cluster_id"],
        json!("${azurerm_kubernetes_cluster.prod_cluster_cluster.id}")
    );
    assert_eq!(ext["provider"], json!("azurerm.prod"));
    // Its agents need the firewall's rules before it installs.
    assert_eq!(
        ext["depends_on"],
        json!(["azurerm_firewall_policy_rule_collection_group.hub_firewall_rules_aks"])
    );
    let cfg =
        &tf["resource"]["azurerm_kubernetes_flux_configuration"]["prod_gitops_flux_configuration"];
    assert_eq!(cfg["cluster_id"], ext["cluster_id"]);
    let git = &cfg["git_repository"][0];
    assert_eq!(git["url"], json!("https://github.com/contoso/platform"));
    assert_eq!(git["reference_type"], json!("branch"));
    assert_eq!(git["reference_value"], json!("main"));
    assert_eq!(git["local_auth_reference"], json!("platform-repo"));
    assert_eq!(cfg["kustomizations"][0]["path"], json!("./clusters/prod"));
    assert_eq!(
        cfg["depends_on"],
        json!(["azurerm_kubernetes_cluster_extension.prod_gitops_flux_extension"])
    );
    let hub: Value = serde_json::from_str(&files["terraform/hub.tf.json"]).unwrap();
    let groups = hub["resource"]["azurerm_firewall_policy_rule_collection_group"]
        .as_object()
        .unwrap();
    let rules: Vec<&Value> = groups
        .values()
        .flat_map(|g| g["application_rule_collection"].as_array().unwrap())
        .flat_map(|c| c["rule"].as_array().unwrap())
        .filter(|r| r["name"] == json!("gitops-prod"))
        .collect();
    assert_eq!(rules.len(), 1);
    let mut expected: Vec<&str> = FLUX_EGRESS.to_vec();
    expected.push("github.com");
    assert_eq!(strings(&rules[0]["destination_fqdns"]), expected);
}

/// The azapi flavour carries both ARM bodies on the cluster.
#[test]
fn the_azapi_flavour_carries_both_on_the_cluster() {
    let options = aks_harden::emit::Options {
        terraform_provider: aks_harden::emit::TerraformProvider::Azapi,
    };
    let files = support::render_with(&gitops_estate(), &[Format::Terraform], options).unwrap();
    let tf: Value = serde_json::from_str(&files["terraform/prod-gitops.tf.json"]).unwrap();
    let azapi = &tf["resource"]["azapi_resource"];
    for (label, rtype) in [
        (
            "prod_gitops_flux_extension",
            "Microsoft.KubernetesConfiguration/extensions@2025-03-01",
        ),
        (
            "prod_gitops_flux_configuration",
            "Microsoft.KubernetesConfiguration/fluxConfigurations@2025-04-01",
        ),
    ] {
        assert_eq!(azapi[label]["type"], json!(rtype));
        assert_eq!(
            azapi[label]["parent_id"],
            json!("${azapi_resource.prod_cluster_cluster.id}")
        );
    }
    assert_eq!(
        azapi["prod_gitops_flux_configuration"]["body"]["properties"]["gitRepository"]["url"],
        json!("https://github.com/contoso/platform")
    );
}

#[test]
fn flux_gets_exactly_its_documented_egress_from_its_own_node_subnets() {
    // Two spokes; only qa syncs from a repository (on Azure DevOps).
    let path = root().join("tests/fixtures/valid/prod-two-spokes.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["spokes"]["qa"]["gitops"] = json!({
        "url": "https://dev.azure.com/contoso/platform/_git/clusters",
        "branch": "release/qa",
        "path": "clusters/qa",
        "prune": false,
        "syncIntervalSeconds": 600
    });
    let estate = load_str("two.json", &doc.to_string(), Syntax::Json).unwrap();
    let files = render(&estate, &[Format::Arm]).unwrap();
    let resources = arm(&files);
    let rules = arm_app_rules(&resources);
    let gitops: Vec<&String> = rules.keys().filter(|n| n.starts_with("gitops")).collect();
    assert_eq!(gitops, ["gitops-qa"], "one rule, for the spoke with GitOps");
    let rule = &rules["gitops-qa"];
    // The qa spoke's node subnets, and nothing else: not its API server subnet, not prod's.
    assert_eq!(
        strings(&rule["sourceAddresses"]),
        ["10.2.0.0/24", "10.2.4.0/22"]
    );
    let mut expected: Vec<&str> = FLUX_EGRESS.to_vec();
    expected.push("dev.azure.com");
    assert_eq!(strings(&rule["targetFqdns"]), expected);
    assert_eq!(
        rule["protocols"],
        json!([{ "protocolType": "Https", "port": 443 }])
    );
    assert!(rule.get("fqdnTags").is_none_or(Value::is_null));

    // The extension lands on qa's cluster only, with the estate's sync settings.
    let cfg = arm_one(&resources, FLUX);
    assert_eq!(
        cfg["scope"],
        json!("Microsoft.ContainerService/managedClusters/aks-contoso-qa")
    );
    let k = &cfg["properties"]["kustomizations"]["cluster"];
    assert_eq!(k["path"], json!("clusters/qa"));
    assert_eq!(k["prune"], json!(false));
    assert_eq!(k["syncIntervalInSeconds"], json!(600));
    assert_eq!(
        cfg["properties"]["gitRepository"]["repositoryRef"]["branch"],
        json!("release/qa")
    );
    assert!(
        cfg["properties"]["gitRepository"]
            .get("localAuthRef")
            .is_none()
    );

    // Flux's controllers are left out of qa's admission policies; prod's policies are unchanged.
    for ((deployment, rtype, name), r) in &resources {
        if rtype != "Microsoft.Authorization/policyAssignments" || name == "internal-load-balancers"
        {
            continue;
        }
        let excluded = strings(&r["properties"]["parameters"]["excludedNamespaces"]["value"]);
        assert_eq!(
            excluded.contains(&"flux-system"),
            deployment == "contoso-qa-cluster",
            "{deployment} {name}: {excluded:?}"
        );
    }
}

#[test]
fn without_the_block_nothing_of_it_is_planned() {
    let prod = all_formats(&load_profile("prod").unwrap());
    for (path, text) in &prod {
        for needle in [
            "KubernetesConfiguration",
            "kubernetes_cluster_extension",
            "flux",
        ] {
            assert!(!text.contains(needle), "{path} mentions {needle}");
        }
    }
    // The GitOps estate differs from prod in the GitOps deployment, the hub's rule collection
    // group (Flux's rule) and the cluster's admission policies (Flux's namespace), and nowhere else.
    let plain = arm(&render(&load_profile("prod").unwrap(), &[Format::Arm]).unwrap());
    let with = arm(&render(&gitops_estate(), &[Format::Arm]).unwrap());
    let added: Vec<&(String, String, String)> =
        with.keys().filter(|k| !plain.contains_key(*k)).collect();
    assert_eq!(
        added,
        [
            &(
                "contoso-prod-gitops".to_string(),
                EXTENSION.to_string(),
                "flux".to_string()
            ),
            &(
                "contoso-prod-gitops".to_string(),
                FLUX.to_string(),
                "cluster-config".to_string()
            ),
        ]
    );
    assert!(
        plain.keys().all(|k| with.contains_key(k)),
        "nothing removed"
    );
    let mut changed: Vec<String> = plain
        .iter()
        .filter(|(k, v)| with[*k] != **v)
        .map(|((_, t, n), _)| format!("{t} {n}"))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "Microsoft.Authorization/policyAssignments allowed-images",
            "Microsoft.Authorization/policyAssignments container-limits",
            "Microsoft.Authorization/policyAssignments pod-security-restricted",
            "Microsoft.Network/firewallPolicies/ruleCollectionGroups afwp-contoso-hub/aks-egress",
        ]
    );
}

/// GitOps changes no verdict: the estate passes every control prod passes (the extension
/// resources take no tags, and Flux's namespace is left out of admission by name only).
#[test]
fn the_gitops_estate_passes_what_prod_passes() {
    let report = aks_harden::audit_estate(
        &gitops_estate(),
        aks_harden::audit::Source::new("prod-gitops.json", "prod-gitops.json", None),
        support::today(),
    );
    for r in &report.results {
        assert!(
            matches!(
                r.outcome,
                aks_harden::audit::Outcome::Pass | aks_harden::audit::Outcome::NotApplicable
            ),
            "{} is {}",
            r.control.id,
            r.outcome.as_str()
        );
    }
}

/// Loading an estate that extends prod with a GitOps block fails with one diagnostic.
fn refused(gitops: &Value) -> aks_harden::Diagnostic {
    let doc = json!({ "extends": "prod", "spokes": { "prod": { "gitops": gitops } } });
    let Err(Error::Invalid(diags)) = load_str("repo.json", &doc.to_string(), Syntax::Json) else {
        panic!("{gitops} accepted");
    };
    assert_eq!(diags.len(), 1, "{diags:#?}");
    diags.into_iter().next().unwrap()
}

#[test]
fn a_repository_that_is_not_https_or_carries_credentials_is_refused() {
    let cases = [
        (
            "http://github.com/contoso/platform",
            "not an https",
            "https://",
        ),
        ("git@github.com:contoso/platform.git", "not an https", "SSH"),
        (
            "https://flux:ghp_0123456789abcdef@github.com/contoso/platform",
            "credentials",
            "credentialsSecret",
        ),
        (
            "https://github.com/contoso/platform?private_token=0123456789abcdef",
            "query",
            "credentialsSecret",
        ),
        ("https://git.contoso.com:8443/platform", "port", "443"),
    ];
    for (url, says, hint) in cases {
        let d = refused(&json!({ "url": url, "branch": "main", "path": "./clusters/prod" }));
        assert_eq!(d.code, Code::BadValue, "{url}");
        assert_eq!(d.pointer, "/spokes/prod/gitops/url", "{url}");
        assert!(d.message.contains(says), "{url}: {}", d.message);
        assert!(d.hint.contains(hint), "{url}: {}", d.hint);
        // A secret in the URL is not repeated back.
        for shown in [&d.message, &d.hint] {
            assert!(!shown.contains("0123456789abcdef"), "{url}: {shown}");
        }
    }
    let d = refused(
        &json!({ "url": "https://github.com/contoso/platform", "branch": "main", "path": "../elsewhere" }),
    );
    assert_eq!(d.pointer, "/spokes/prod/gitops/path");
    let d = refused(
        &json!({ "url": "https://github.com/contoso/platform", "branch": "a b", "path": "." }),
    );
    assert_eq!(d.pointer, "/spokes/prod/gitops/branch");
    let d = refused(&json!({
        "url": "https://github.com/contoso/platform",
        "branch": "main",
        "path": ".",
        "syncIntervalSeconds": 5
    }));
    assert_eq!(d.pointer, "/spokes/prod/gitops/syncIntervalSeconds");
    assert!(d.hint.contains("60"), "{}", d.hint);
}

#[test]
fn private_monitoring_needs_managed_prometheus() {
    let doc = json!({
        "extends": "prod",
        "spokes": { "prod": {
            "monitoring": { "private": true },
            "cluster": { "addons": { "managedPrometheus": false } }
        } }
    });
    let Err(Error::Invalid(diags)) = load_str("m.json", &doc.to_string(), Syntax::Json) else {
        panic!("private monitoring without Prometheus accepted");
    };
    let d = &diags[0];
    assert_eq!(d.code, Code::Inconsistent);
    assert_eq!(d.pointer, "/spokes/prod/monitoring/private");
    assert!(d.hint.contains("managedPrometheus"), "{}", d.hint);
}
