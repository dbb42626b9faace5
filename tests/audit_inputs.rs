//! Templates and plans as other tools write them: a `bicep build` template whose cluster
//! properties are one `union(createObject(...), if(...))` over parameters with defaults, with
//! copy loops and conditions; a `languageVersion: 2.0` template with symbolic resource names;
//! and a multi-module `terraform show -json` plan equivalent to it, which must be judged alike.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

use aks_harden::audit::{
    self, Date, Input, Outcome, Report, ReportFormat, Severity, Source, Status,
};
use std::path::Path;

const FIXTURES: &str = "tests/fixtures/audit";

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn today() -> Date {
    Date::parse("2025-06-01").expect("a date")
}

fn template(f: &str) -> Report {
    let uri = format!("{FIXTURES}/templates/{f}");
    let input = Input::from_template(
        Source::new(uri.clone(), uri, Some(read(&format!("templates/{f}")))),
        None,
    )
    .expect("a template");
    audit::audit(&input, today())
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots/audit");
    s.set_prepend_module_to_snapshot(false);
    s
}

fn counts(r: &Report) -> [usize; 4] {
    [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Unknown,
        Outcome::NotApplicable,
    ]
    .map(|o| r.count(o))
}

fn findings(r: &Report, id: &str) -> Vec<(Status, String)> {
    r.results
        .iter()
        .find(|x| x.control.id.as_str() == id)
        .expect("the control")
        .findings
        .iter()
        .map(|f| (f.status, r.evidence(f)))
        .collect()
}

#[test]
fn a_union_of_create_object_over_defaults_is_judged() {
    let r = template("bicep-union.json");
    // Everything the file decides is decided; the registry's region comes from resourceGroup().
    assert_eq!(counts(&r), [4, 22, 0, 4], "pass, fail, unknown, n/a");
    let unknown: Vec<_> = r
        .results
        .iter()
        .flat_map(|x| &x.findings)
        .filter(|f| f.status == Status::Unknown)
        .map(|f| r.evidence(f))
        .collect();
    assert_eq!(unknown.len(), 1, "{unknown:#?}");
    assert!(
        unknown[0].contains("region cannot be evaluated"),
        "{unknown:#?}"
    );
    // No failure for a property the evaluated template does not set.
    let id = findings(&r, "ID-MANAGED-IDENTITY");
    assert!(
        id.iter().any(|(s, e)| *s == Status::Pass
            && e.contains("`properties.servicePrincipalProfile` is not set")),
        "{id:#?}"
    );
    assert!(!id.iter().any(|(_, e)| e.contains("union(")), "{id:#?}");
    let host = findings(&r, "HOST-NO-PUBLIC-ACCESS");
    assert!(
        host.iter()
            .any(|(s, e)| *s == Status::Pass && e.contains("no SSH key is passed")),
        "{host:#?}"
    );
    // Names are evaluated, never fragments of an expression.
    let nsg = findings(&r, "NET-NSG-EVERY-SUBNET");
    assert!(
        nsg.iter()
            .any(|(_, e)| e.contains("subnet `snet-ingress-ext` has no NSG")),
        "{nsg:#?}"
    );
    for res in &r.input.resources {
        assert!(
            !res.label.starts_with('[') && !res.label.contains("('"),
            "{}",
            res.label
        );
    }
    // Conditions: no workspace (omsagent off); copy loops: two maintenance configurations.
    assert!(
        !r.input
            .resources
            .iter()
            .any(|x| x.is("Microsoft.OperationalInsights/workspaces"))
    );
    let maint: Vec<&str> = r
        .input
        .resources
        .iter()
        .filter(|x| x.is("Microsoft.ContainerService/managedClusters/maintenanceConfigurations"))
        .map(|x| x.name.as_str())
        .collect();
    assert_eq!(
        maint,
        [
            "aks-contoso/aksManagedAutoUpgradeSchedule",
            "aks-contoso/aksManagedNodeOSUpgradeSchedule"
        ]
    );
    let out = audit::render(&r, ReportFormat::Text, Severity::High).expect("text");
    settings().bind(|| insta::assert_snapshot!("template-bicep-union-text", out));
}

#[test]
fn a_language_version_2_template_is_judged() {
    let r = template("bicep-symbolic.json");
    // ID-MANAGED-IDENTITY fails through a flow: the control-plane identity holds no Managed
    // Identity Operator on the kubelet identity it must assign.
    assert_eq!(counts(&r), [10, 14, 0, 6], "pass, fail, unknown, n/a");
    // A copy loop over a parameter: one user pool; the false condition drops the public IP.
    assert!(
        r.input
            .resources
            .iter()
            .any(|x| x.name == "aks-fabrikam/apps")
    );
    assert!(
        !r.input
            .resources
            .iter()
            .any(|x| x.is("Microsoft.Network/publicIPAddresses"))
    );
    // The role assignment's name is a guid(): named by symbolic name and path.
    assert!(
        r.input
            .resources
            .iter()
            .any(|x| x.label == "nodeSubnetRole at resources.nodeSubnetRole"),
        "{:#?}",
        r.input
            .resources
            .iter()
            .map(|x| &x.label)
            .collect::<Vec<_>>()
    );
    let out = audit::render(&r, ReportFormat::Text, Severity::High).expect("text");
    settings().bind(|| insta::assert_snapshot!("template-bicep-symbolic-text", out));
}

#[test]
fn a_bicepparam_build_is_a_parameter_file() {
    let uri = format!("{FIXTURES}/templates/bicep-weak.json");
    let text = read("templates/bicep-weak.json");
    let params = r#"{"parametersJson": "{\"$schema\":\"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#\",\"contentVersion\":\"1.0.0.0\",\"parameters\":{\"disableLocalAccounts\":{\"value\":true},\"adminGroupObjectIds\":{\"value\":[\"00000000-0000-0000-0000-000000000001\"]}}}", "templateJson": "{}"}"#;
    let input = Input::from_template(Source::new(uri.clone(), uri, Some(text)), Some(params))
        .expect("a template");
    let r = audit::audit(&input, today());
    assert_eq!(r.count(Outcome::Unknown), 0);
}

fn plan(f: &str) -> Report {
    let uri = format!("{FIXTURES}/plans/{f}");
    let input = Input::from_plan(Source::new(
        uri.clone(),
        uri,
        Some(read(&format!("plans/{f}"))),
    ))
    .expect("a plan");
    audit::audit(&input, today())
}

#[test]
fn a_plan_is_judged_as_its_equivalent_template() {
    let t = template("bicep-symbolic.json");
    let p = plan("multi-module.tfplan.json");
    let outcomes = |r: &Report| -> Vec<(&'static str, Outcome)> {
        r.results
            .iter()
            .map(|x| (x.control.id.as_str(), x.outcome))
            .collect()
    };
    assert_eq!(outcomes(&p), outcomes(&t));
    // Every module's resources, each for_each and count instance.
    let names: Vec<(&str, &str)> = p
        .input
        .resources
        .iter()
        .map(|r| (r.rtype.as_str(), r.name.as_str()))
        .collect();
    for want in [
        (
            "Microsoft.Network/networkSecurityGroups",
            "nsg-fabrikam-nodes",
        ),
        (
            "Microsoft.Network/virtualNetworks/subnets",
            "vnet-fabrikam/snet-nodes",
        ),
        (
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "id-fabrikam-kubelet",
        ),
        ("Microsoft.ContainerService/managedClusters", "aks-fabrikam"),
        (
            "Microsoft.ContainerService/managedClusters/agentPools",
            "aks-fabrikam/apps",
        ),
    ] {
        assert!(names.contains(&want), "{want:?} in {names:#?}");
    }
    let get = |name: &str, path: &str| {
        let r = p
            .input
            .resources
            .iter()
            .find(|r| r.name == name)
            .expect(name);
        r.get(path)
    };
    // An id known after apply is the id of the resource the configuration references, through
    // module outputs and variables; anything else known after apply is unknown.
    assert_eq!(
        get(
            "vnet-fabrikam/snet-nodes",
            "properties.networkSecurityGroup.id"
        )
        .str(),
        Some("Microsoft.Network/networkSecurityGroups/nsg-fabrikam-nodes")
    );
    assert_eq!(
        get(
            "aks-fabrikam",
            "properties.agentPoolProfiles[0].vnetSubnetID"
        )
        .str(),
        Some("Microsoft.Network/virtualNetworks/vnet-fabrikam/subnets/snet-nodes")
    );
    assert!(matches!(
        get("aks-fabrikam", "properties.identityProfile.kubeletidentity.clientId"),
        audit::input::Look::Unknown(u) if u.contains("known after apply")
    ));
    let out = audit::render(&p, ReportFormat::Text, Severity::High).expect("text");
    settings().bind(|| insta::assert_snapshot!("plan-multi-module-text", out));
}

#[test]
fn a_plan_reads_past_terraform_data_and_notes_other_types() {
    let mut plan: serde_json::Value =
        serde_json::from_str(&read("plans/multi-module.tfplan.json")).expect("json");
    let resources = plan["planned_values"]["root_module"]["child_modules"][0]["resources"]
        .as_array_mut()
        .expect("resources");
    for (t, n) in [("terraform_data", "hub_deployed"), ("random_id", "suffix")] {
        resources.push(serde_json::json!({
            "address": format!("module.cluster.{t}.{n}"), "mode": "managed", "type": t,
            "name": n, "values": {}
        }));
    }
    let input = Input::from_plan(Source::new("p", "p", Some(plan.to_string()))).expect("a plan");
    assert!(
        !input.notes.iter().any(|n| n.contains("terraform_data")),
        "{:?}",
        input.notes
    );
    assert!(
        input.notes.iter().any(|n| n.contains("random_id.suffix")),
        "{:?}",
        input.notes
    );
}

#[test]
fn audit_plan_on_the_command_line() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args([
            "audit",
            "--plan",
            &format!("{FIXTURES}/plans/multi-module.tfplan.json"),
            "--format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("AKS_HARDEN_TODAY", "2025-06-01")
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args([
            "audit",
            "--plan",
            &format!("{FIXTURES}/templates/bicep-weak.json"),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a Terraform plan"));
}

/// A cluster whose whole `properties` come from another deployment's outputs: nothing the audit
/// cannot see may fail, least of all the service principal or SSH key the template never sets.
#[test]
fn properties_known_only_after_deployment_are_unknown_never_failures() {
    let r = template("reference-properties.json");
    for id in ["ID-MANAGED-IDENTITY", "HOST-NO-PUBLIC-ACCESS"] {
        let found = findings(&r, id);
        assert!(
            found.iter().all(|(status, _)| *status != Status::Fail),
            "{id}: {found:#?}"
        );
        assert!(
            found.iter().any(|(status, _)| *status == Status::Unknown),
            "{id}: {found:#?}"
        );
    }
}

/// The ARM spelling of a plan, or any template, judged from a borrowed value and from an owned
/// one (whose values move into the resources) gives the same resources and the same report:
/// every built-in profile, every valid estate fixture, and the templates above (copy loops with
/// child resources, conditions, symbolic names, nested deployments in both scopes).
#[test]
fn an_owned_arm_value_is_flattened_as_a_borrowed_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cases: Vec<(String, serde_json::Value, serde_json::Value, audit::Context)> = Vec::new();
    let mut estates: Vec<(String, aks_harden::model::Estate)> =
        ["dev", "staging", "prod", "regulated"]
            .iter()
            .map(|p| {
                (
                    (*p).to_string(),
                    aks_harden::load_profile(p).expect("a profile"),
                )
            })
            .collect();
    let mut valid: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/valid"))
        .expect("the valid fixtures")
        .map(|e| e.expect("an entry").path())
        .collect();
    valid.sort();
    for path in valid {
        estates.push((
            path.display().to_string(),
            aks_harden::load_file(&path).expect("a valid estate"),
        ));
    }
    for (label, estate) in estates {
        let plan = aks_harden::plan::plan(&estate);
        let context = audit::Context {
            tier: estate.tier,
            waivers: estate.waivers.clone(),
            tags: Some(estate.tags.clone()),
        };
        cases.push((
            label,
            aks_harden::emit::arm::template(&plan),
            aks_harden::emit::arm::parameters(&plan),
            context,
        ));
    }
    for f in [
        "bicep-symbolic.json",
        "bicep-union.json",
        "bicep-weak.json",
        "half-forced-tunnel.json",
        "paths.json",
        "reference-properties.json",
        "shared-vnet.json",
        "two-peered-vnets.json",
    ] {
        let doc: serde_json::Value =
            serde_json::from_str(&read(&format!("templates/{f}"))).expect("JSON");
        let params = if f == "bicep-weak.json" {
            serde_json::from_str(&read("templates/bicep-weak.parameters.json")).expect("JSON")
        } else {
            serde_json::json!({})
        };
        cases.push((f.to_string(), doc, params, audit::Context::default()));
    }
    assert!(cases.len() > 12);
    for (label, doc, params, context) in cases {
        let source = || Source::new(label.clone(), "", None);
        let borrowed = Input::from_arm(&doc, &params, context.clone(), source());
        let owned = Input::from_arm_owned(doc, params, context, source());
        assert!(!owned.resources.is_empty(), "{label}");
        assert!(borrowed == owned, "{label}: the resources differ");
        let render = |i: Input| {
            audit::render(&audit::judge(i, today()), ReportFormat::Json, Severity::Low)
                .expect("a report")
        };
        assert_eq!(render(borrowed), render(owned), "{label}");
    }
}
