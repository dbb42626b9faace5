//! The audit: a passing and a failing fixture for every control, every built-in profile's report
//! snapshotted in every format, SARIF against the SARIF 2.1.0 schema, an external template in
//! the style `bicep build` emits, the JSON of a weak live cluster, waivers and the `gen` gate,
//! the guideline topics the catalogue covers, and the generated docs.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::audit::{
    self, CONTROLS, Date, Input, Outcome, Report, ReportFormat, SEED_TOPICS, Severity, Source,
    Status,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PROFILES: [&str; 4] = ["dev", "staging", "prod", "regulated"];
const FIXTURES: &str = "tests/fixtures/audit";
/// The date every test judges waivers on (the library takes it as an argument).
const TODAY: &str = "2025-06-01";

fn today() -> Date {
    Date::parse(TODAY).expect("a date")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> PathBuf {
    root().join(FIXTURES).join(rel)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What to audit.
#[derive(Debug, Clone, Copy)]
enum Fx {
    /// A built-in profile.
    Profile(&'static str),
    /// An estate file under `tests/fixtures/audit/estates/`.
    Estate(&'static str),
    /// A template under `tests/fixtures/audit/templates/`, with an optional parameter file.
    Template(&'static str, Option<&'static str>),
    /// `az aks show -o json` under `tests/fixtures/audit/live/`.
    Live(&'static str),
}

fn input(fx: Fx) -> Input {
    match fx {
        Fx::Profile(p) => {
            let estate = aks_harden::load_profile(p).expect("built-in profile");
            aks_harden::audit_input(&estate, aks_harden::profile_source(p))
        }
        Fx::Estate(f) => {
            let path = fixture(&format!("estates/{f}"));
            let estate = aks_harden::load_file(&path)
                .unwrap_or_else(|e| panic!("{f}: {:#?}", e.diagnostics()));
            let uri = format!("{FIXTURES}/estates/{f}");
            aks_harden::audit_input(&estate, Source::new(uri.clone(), uri, Some(read(&path))))
        }
        Fx::Template(f, params) => {
            let uri = format!("{FIXTURES}/templates/{f}");
            let text = read(&fixture(&format!("templates/{f}")));
            let params = params.map(|p| read(&fixture(&format!("templates/{p}"))));
            Input::from_template(Source::new(uri.clone(), uri, Some(text)), params.as_deref())
                .expect("a template")
        }
        Fx::Live(f) => {
            let uri = format!("{FIXTURES}/live/{f}");
            let text = read(&fixture(&format!("live/{f}")));
            Input::from_live(Source::new(uri.clone(), uri, Some(text))).expect("a live cluster")
        }
    }
}

fn run_audit(fx: Fx) -> Report {
    audit::audit(&input(fx), today())
}

fn result<'a>(report: &'a Report, id: &str) -> &'a audit::ControlResult {
    report
        .results
        .iter()
        .find(|r| r.control.id.as_str() == id)
        .unwrap_or_else(|| panic!("{id} is in the report"))
}

/// Every finding of a control, for assertion messages.
fn explain(report: &Report, id: &str) -> String {
    result(report, id)
        .findings
        .iter()
        .map(|f| format!("  {}: {}", f.status.as_str(), report.evidence(f)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots/audit");
    s.set_prepend_module_to_snapshot(false);
    s
}

// ---- one passing and one failing fixture per control ----

/// Control → (a fixture it passes on, a fixture it fails on).
const CASES: &[(&str, Fx, Fx)] = &[
    (
        "ENV-SUBSCRIPTIONS",
        Fx::Estate("two-spokes.json"),
        Fx::Estate("two-spokes-one-subscription.json"),
    ),
    (
        "ENV-RESOURCE-GROUPS",
        Fx::Profile("prod"),
        Fx::Template("bicep-weak.json", None),
    ),
    (
        "ENV-CLUSTER-ISOLATION",
        Fx::Estate("two-spokes.json"),
        Fx::Template("shared-vnet.json", None),
    ),
    (
        "ID-MANAGED-IDENTITY",
        Fx::Profile("prod"),
        Fx::Estate("no-workload-identity.json"),
    ),
    (
        "ID-LEAST-PRIVILEGE",
        Fx::Profile("prod"),
        Fx::Template("bicep-weak.json", None),
    ),
    (
        "NODE-SYSTEM-DEDICATED",
        Fx::Profile("prod"),
        Fx::Live("weak-cluster.json"),
    ),
    (
        "NODE-SANDBOX",
        Fx::Profile("regulated"),
        Fx::Estate("regulated-no-sandbox.json"),
    ),
    (
        "API-PRIVATE",
        Fx::Profile("prod"),
        Fx::Estate("public-api.json"),
    ),
    (
        "API-VNET-INTEGRATION",
        Fx::Profile("prod"),
        Fx::Estate("no-vnet-integration.json"),
    ),
    (
        "API-NO-RUN-COMMAND",
        Fx::Profile("prod"),
        Fx::Estate("run-command.json"),
    ),
    (
        "API-OPERATOR-PATH",
        Fx::Profile("prod"),
        Fx::Estate("no-operator-path.json"),
    ),
    (
        "HOST-NO-PUBLIC-ACCESS",
        Fx::Profile("prod"),
        Fx::Template("bicep-weak.json", None),
    ),
    (
        "HOST-PATCHING",
        Fx::Profile("prod"),
        Fx::Estate("no-upgrades.json"),
    ),
    (
        "HOST-DISK-ENCRYPTION",
        Fx::Profile("prod"),
        Fx::Estate("managed-os-disk.json"),
    ),
    (
        "BENCH-JUDGED",
        Fx::Template("bicep-weak.json", Some("bicep-weak.parameters.json")),
        Fx::Template("bicep-weak.json", None),
    ),
    (
        "ADDON-MINIMAL",
        Fx::Profile("prod"),
        Fx::Live("weak-cluster.json"),
    ),
    (
        "MESH-MTLS",
        Fx::Profile("regulated"),
        Fx::Estate("regulated-no-mesh.json"),
    ),
    (
        "PAAS-LOCKDOWN",
        Fx::Profile("prod"),
        Fx::Estate("service-endpoints.json"),
    ),
    (
        "LOG-AUDIT",
        Fx::Profile("prod"),
        Fx::Estate("no-defender.json"),
    ),
    (
        "AAD-RBAC",
        Fx::Profile("prod"),
        Fx::Live("weak-cluster.json"),
    ),
    (
        "SECRETS-VAULT",
        Fx::Profile("prod"),
        Fx::Estate("short-soft-delete.json"),
    ),
    (
        "SECRETS-KMS",
        Fx::Profile("prod"),
        Fx::Estate("no-kms.json"),
    ),
    (
        "IMG-REGISTRY",
        Fx::Profile("prod"),
        Fx::Estate("registry-no-zones.json"),
    ),
    (
        "POD-SECURITY",
        Fx::Profile("prod"),
        Fx::Estate("baseline-pods.json"),
    ),
    (
        "NET-POLICY",
        Fx::Profile("prod"),
        Fx::Live("weak-cluster.json"),
    ),
    (
        "NET-NSG-EVERY-SUBNET",
        Fx::Profile("prod"),
        Fx::Template("bicep-weak.json", None),
    ),
    (
        "NET-INGRESS-WAF",
        Fx::Profile("prod"),
        Fx::Estate("waf-detection.json"),
    ),
    (
        "EGRESS-FIREWALL",
        Fx::Profile("prod"),
        Fx::Estate("firewall-alert.json"),
    ),
    (
        "EGRESS-FORCED-TUNNEL",
        Fx::Estate("regulated-forced-tunnel.json"),
        Fx::Template("half-forced-tunnel.json", None),
    ),
    (
        "GOV-LOCKS-TAGS",
        Fx::Profile("prod"),
        Fx::Estate("no-locks.json"),
    ),
];

#[test]
fn every_control_has_a_passing_and_a_failing_fixture() {
    let ids: Vec<&str> = CASES.iter().map(|(id, _, _)| *id).collect();
    let catalogue: Vec<&str> = CONTROLS.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, catalogue, "one case per control, in catalogue order");
    let mut cache: BTreeMap<String, Report> = BTreeMap::new();
    let mut get = |fx: Fx| -> Report {
        cache
            .entry(format!("{fx:?}"))
            .or_insert_with(|| run_audit(fx))
            .clone()
    };
    for (id, pass, fail) in CASES {
        let r = get(*pass);
        assert_eq!(
            result(&r, id).status,
            Status::Pass,
            "{id} passes on {pass:?}:\n{}",
            explain(&r, id)
        );
        let r = get(*fail);
        assert_eq!(
            result(&r, id).status,
            Status::Fail,
            "{id} fails on {fail:?}:\n{}",
            explain(&r, id)
        );
    }
}

/// Day-two failures: an estate that extends prod and breaks what happens after deployment fails
/// the control that owns it, and the working alternative passes.
const DAY_TWO: &[(&str, Fx, Fx)] = &[
    (
        "IMG-REGISTRY",
        Fx::Estate("quarantine-with-writer.json"),
        Fx::Estate("quarantine-no-writer.json"),
    ),
    (
        "LOG-AUDIT",
        Fx::Profile("prod"),
        Fx::Estate("no-prometheus.json"),
    ),
    (
        "LOG-AUDIT",
        Fx::Profile("prod"),
        Fx::Estate("no-receivers.json"),
    ),
    (
        "NET-POLICY",
        Fx::Estate("namespace-guarded.json"),
        Fx::Estate("namespace-open.json"),
    ),
    (
        "PAAS-LOCKDOWN",
        Fx::Profile("regulated"),
        Fx::Estate("regulated-public-monitoring.json"),
    ),
];

/// The prod ARM template with every resource of `rtype` whose name contains `name` removed, as
/// an external template: what an estate looks like after someone drops a resource by hand.
fn prod_without(rtype: &str, name: &str) -> Report {
    let estate = aks_harden::load_profile("prod").expect("prod");
    template_without(&estate, rtype, name)
}

/// [`prod_without`] for any estate.
fn template_without(estate: &aks_harden::Estate, rtype: &str, name: &str) -> Report {
    fn strip(v: &mut serde_json::Value, rtype: &str, name: &str) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(serde_json::Value::Array(rs)) = o.get_mut("resources") {
                    rs.retain(|r| {
                        !(r["type"] == rtype
                            && r["name"].as_str().is_some_and(|n| n.contains(name)))
                    });
                }
                o.values_mut().for_each(|x| strip(x, rtype, name));
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| strip(x, rtype, name)),
            _ => {}
        }
    }
    let files = support::render(estate, &[aks_harden::Format::Arm]).expect("renders");
    let mut doc: serde_json::Value =
        serde_json::from_str(&files["arm/main.json"]).expect("ARM JSON");
    strip(&mut doc, rtype, name);
    let text = serde_json::to_string_pretty(&doc).expect("JSON");
    let params = files["arm/main.parameters.json"].clone();
    let input = Input::from_template(
        Source::new("main.json", "main.json", Some(text)),
        Some(&params),
    )
    .expect("a template");
    audit::audit(&input, today())
}

/// Dropping the Container Insights data collection rule fails LOG-AUDIT: the agent runs and
/// collects nothing.
#[test]
fn a_cluster_without_its_data_collection_rule_fails_log_audit() {
    let r = prod_without("Microsoft.Insights/dataCollectionRules", "insights");
    let res = result(&r, "LOG-AUDIT");
    assert_eq!(res.status, Status::Fail, "{}", explain(&r, "LOG-AUDIT"));
    assert!(
        explain(&r, "LOG-AUDIT").contains("Container Insights collects nothing"),
        "{}",
        explain(&r, "LOG-AUDIT")
    );
}

/// A workload namespace whose managed namespace (and with it the default-deny network policy) is
/// removed from the template by hand fails NET-POLICY; the same estate as planned passes.
#[test]
fn a_workload_namespace_without_its_network_policy_fails_net_policy() {
    let path = fixture("estates/namespace-guarded.json");
    let estate = aks_harden::load_file(&path).expect("namespace-guarded.json");
    let planned = run_audit(Fx::Estate("namespace-guarded.json"));
    assert_eq!(result(&planned, "NET-POLICY").status, Status::Pass);
    let r = template_without(
        &estate,
        "Microsoft.ContainerService/managedClusters/managedNamespaces",
        "/orders",
    );
    let text = explain(&r, "NET-POLICY");
    assert_eq!(result(&r, "NET-POLICY").status, Status::Fail, "{text}");
    assert!(
        text.contains("workload namespace `orders` is not a managed namespace"),
        "{text}"
    );
}

/// The regulated tier keeps its metrics off the public network: a regulated estate whose Azure
/// Monitor workspace answers public queries fails PAAS-LOCKDOWN on that workspace alone; prod's
/// public workspace is not judged.
#[test]
fn regulated_monitoring_must_be_private() {
    let r = run_audit(Fx::Estate("regulated-public-monitoring.json"));
    let res = result(&r, "PAAS-LOCKDOWN");
    assert_eq!(res.status, Status::Fail, "{}", explain(&r, "PAAS-LOCKDOWN"));
    let failed: Vec<String> = res
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| r.evidence(f))
        .collect();
    assert!(
        !failed.is_empty() && failed.iter().all(|e| e.contains("amw-contoso-prod")),
        "{failed:?}"
    );
    assert!(failed.iter().any(|e| e.contains("no private endpoint")));
    let r = run_audit(Fx::Profile("regulated"));
    assert!(
        explain(&r, "PAAS-LOCKDOWN").contains("pe-contoso-prod-prometheusMetrics"),
        "{}",
        explain(&r, "PAAS-LOCKDOWN")
    );
    let r = run_audit(Fx::Profile("prod"));
    assert_eq!(result(&r, "PAAS-LOCKDOWN").status, Status::Pass);
    assert!(!explain(&r, "PAAS-LOCKDOWN").contains("amw-"));
}

#[test]
fn day_two_failures_fail_the_right_control() {
    for (id, pass, fail) in DAY_TWO {
        let r = run_audit(*pass);
        assert_eq!(
            result(&r, id).status,
            Status::Pass,
            "{id} passes on {pass:?}:\n{}",
            explain(&r, id)
        );
        let r = run_audit(*fail);
        assert_eq!(
            result(&r, id).status,
            Status::Fail,
            "{id} fails on {fail:?}:\n{}",
            explain(&r, id)
        );
    }
}

// ---- the built-in profiles ----

#[test]
fn prod_and_regulated_pass_every_control() {
    for p in ["prod", "regulated"] {
        let r = run_audit(Fx::Profile(p));
        for c in &r.results {
            assert!(
                matches!(c.outcome, Outcome::Pass | Outcome::NotApplicable),
                "{p}: {} is {}:\n{}",
                c.control.id,
                c.outcome.as_str(),
                explain(&r, c.control.id.as_str())
            );
        }
        assert!(r.failures(Severity::Low).is_empty());
        assert!(r.warnings.is_empty(), "{p}: {:?}", r.warnings);
    }
    let r = run_audit(Fx::Profile("regulated"));
    for id in ["NODE-SANDBOX", "MESH-MTLS"] {
        assert_eq!(
            result(&r, id).outcome,
            Outcome::Pass,
            "regulated asks for {id}"
        );
    }
}

#[test]
fn dev_lists_its_relaxations_as_waived() {
    let estate = aks_harden::load_profile("dev").expect("dev");
    let r = run_audit(Fx::Profile("dev"));
    assert!(!estate.waivers.is_empty());
    for w in &estate.waivers {
        let c = result(&r, w.control.as_str());
        let warned = r.warnings.iter().any(|x| x.contains(w.control.as_str()));
        assert!(
            c.outcome == Outcome::Waived || warned,
            "dev's waiver for {} is neither applied nor reported: {}",
            w.control,
            c.outcome.as_str()
        );
        if c.outcome == Outcome::Waived {
            assert_eq!(
                c.waiver.as_ref().map(|x| x.waiver.reason.as_str()),
                Some(w.reason.as_str())
            );
        }
    }
    for id in [
        "API-PRIVATE",
        "API-VNET-INTEGRATION",
        "API-NO-RUN-COMMAND",
        "HOST-DISK-ENCRYPTION",
        "PAAS-LOCKDOWN",
        "SECRETS-KMS",
        "POD-SECURITY",
        "LOG-AUDIT",
        "IMG-REGISTRY",
    ] {
        assert_eq!(result(&r, id).outcome, Outcome::Waived, "dev waives {id}");
    }
}

#[test]
fn every_profile_in_every_format() {
    for p in PROFILES {
        let r = run_audit(Fx::Profile(p));
        for (format, ext) in [
            (ReportFormat::Text, "text"),
            (ReportFormat::Json, "json"),
            (ReportFormat::Sarif, "sarif"),
            (ReportFormat::Markdown, "markdown"),
        ] {
            let out = audit::render(&r, format, Severity::High).expect("renders");
            assert!(out.ends_with('\n') && !out.contains('\r'));
            let name = format!("{p}-{ext}");
            settings().bind(|| insta::assert_snapshot!(name, out));
        }
    }
}

#[test]
fn the_same_estate_gives_the_same_report() {
    for p in PROFILES {
        let a = audit::render(
            &run_audit(Fx::Profile(p)),
            ReportFormat::Json,
            Severity::High,
        );
        let b = audit::render(
            &run_audit(Fx::Profile(p)),
            ReportFormat::Json,
            Severity::High,
        );
        assert_eq!(a, b);
    }
}

// ---- SARIF ----

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    // The OASIS SARIF 2.1.0 schema (draft-04), oasis-tcs/sarif-spec
    // `sarif-2.1/schema/sarif-schema-2.1.0.json` at e0583813964ec43cea53b6b531b402866095ed1f,
    // copied from the shared schemas-external/sarif/ so the test runs anywhere.
    let schema: serde_json::Value =
        serde_json::from_str(&read(&fixture("sarif-schema-2.1.0.json"))).expect("schema JSON");
    let validator = jsonschema::draft4::new(&schema).expect("a draft-04 schema");
    let mut inputs: Vec<Fx> = PROFILES.iter().map(|p| Fx::Profile(p)).collect();
    inputs.push(Fx::Template("bicep-weak.json", None));
    inputs.push(Fx::Live("weak-cluster.json"));
    inputs.push(Fx::Estate("public-api-waived.json"));
    for fx in inputs {
        let r = run_audit(fx);
        let text = audit::render(&r, ReportFormat::Sarif, Severity::High).expect("renders");
        let sarif: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{fx:?}: {errors:#?}");
        let run = &sarif["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().map(Vec::len),
            Some(CONTROLS.len())
        );
        for res in run["results"].as_array().expect("results") {
            let rule = res["ruleIndex"].as_u64().expect("rule index");
            assert_eq!(
                run["tool"]["driver"]["rules"][usize::try_from(rule).expect("index")]["id"],
                res["ruleId"]
            );
            let region = &res["locations"][0]["physicalLocation"]["region"]["startLine"];
            assert!(region.as_u64().is_some_and(|l| l >= 1), "{res}");
        }
    }
}

#[test]
fn sarif_points_into_the_template_and_suppresses_waivers() {
    let r = run_audit(Fx::Template("bicep-weak.json", None));
    let sarif: serde_json::Value = serde_json::from_str(
        &audit::render(&r, ReportFormat::Sarif, Severity::High).expect("renders"),
    )
    .expect("JSON");
    let text = read(&fixture("templates/bicep-weak.json"));
    let lines: Vec<&str> = text.lines().collect();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let public_ip = results
        .iter()
        .find(|r| {
            r["ruleId"] == "HOST-NO-PUBLIC-ACCESS"
                && r["message"]["text"]
                    .as_str()
                    .is_some_and(|m| m.contains("enableNodePublicIP` is `true`"))
        })
        .expect("a result for the node public IP");
    let loc = &public_ip["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "tests/fixtures/audit/templates/bicep-weak.json"
    );
    let line = usize::try_from(loc["region"]["startLine"].as_u64().expect("line")).expect("usize");
    assert!(
        lines[line - 1].contains("\"enableNodePublicIP\": true"),
        "line {line}: {}",
        lines[line - 1]
    );

    let r = run_audit(Fx::Estate("public-api-waived.json"));
    let sarif: serde_json::Value = serde_json::from_str(
        &audit::render(&r, ReportFormat::Sarif, Severity::High).expect("renders"),
    )
    .expect("JSON");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let waived = results
        .iter()
        .find(|r| r["ruleId"] == "API-PRIVATE")
        .expect("API-PRIVATE is reported");
    assert_eq!(waived["suppressions"][0]["kind"], "external");
    let estate = read(&fixture("estates/public-api-waived.json"));
    let line = usize::try_from(
        waived["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .expect("line"),
    )
    .expect("usize");
    assert!(
        estate
            .lines()
            .nth(line - 1)
            .is_some_and(|l| l.contains("\"API-PRIVATE\"")),
        "a waived finding points at its waiver"
    );
}

// ---- inputs other than estates ----

#[test]
fn an_external_bicep_built_template_is_audited() {
    let r = run_audit(Fx::Template("bicep-weak.json", None));
    let expected: &[(&str, Outcome)] = &[
        ("ENV-SUBSCRIPTIONS", Outcome::NotApplicable),
        ("ENV-RESOURCE-GROUPS", Outcome::Fail),
        ("ENV-CLUSTER-ISOLATION", Outcome::Pass),
        ("ID-MANAGED-IDENTITY", Outcome::Fail),
        ("ID-LEAST-PRIVILEGE", Outcome::Fail),
        ("NODE-SYSTEM-DEDICATED", Outcome::Fail),
        ("NODE-SANDBOX", Outcome::NotApplicable),
        ("API-PRIVATE", Outcome::Fail),
        ("API-VNET-INTEGRATION", Outcome::Fail),
        ("API-NO-RUN-COMMAND", Outcome::Fail),
        ("API-OPERATOR-PATH", Outcome::Pass),
        ("HOST-NO-PUBLIC-ACCESS", Outcome::Fail),
        ("HOST-PATCHING", Outcome::Fail),
        ("HOST-DISK-ENCRYPTION", Outcome::Fail),
        ("BENCH-JUDGED", Outcome::Fail),
        ("ADDON-MINIMAL", Outcome::Fail),
        ("MESH-MTLS", Outcome::NotApplicable),
        ("PAAS-LOCKDOWN", Outcome::Fail),
        ("LOG-AUDIT", Outcome::Fail),
        ("AAD-RBAC", Outcome::Fail),
        ("SECRETS-VAULT", Outcome::Fail),
        ("SECRETS-KMS", Outcome::Fail),
        ("IMG-REGISTRY", Outcome::Fail),
        ("POD-SECURITY", Outcome::Fail),
        ("NET-POLICY", Outcome::Fail),
        ("NET-NSG-EVERY-SUBNET", Outcome::Fail),
        ("NET-INGRESS-WAF", Outcome::Fail),
        ("EGRESS-FIREWALL", Outcome::Fail),
        ("EGRESS-FORCED-TUNNEL", Outcome::NotApplicable),
        ("GOV-LOCKS-TAGS", Outcome::Fail),
    ];
    for (id, want) in expected {
        assert_eq!(result(&r, id).outcome, *want, "{id}:\n{}", explain(&r, id));
    }
    let has = |id: &str, status: Status, needle: &str| {
        result(&r, id)
            .findings
            .iter()
            .any(|f| f.status == status && r.evidence(f).contains(needle))
    };
    // A value behind a parameter without a default is unknown, never a pass.
    assert!(has(
        "AAD-RBAC",
        Status::Unknown,
        "parameters('disableLocalAccounts')"
    ));
    // Parameters flow into the nested (module) deployment.
    assert!(has(
        "IMG-REGISTRY",
        Status::Fail,
        "`properties.adminUserEnabled` is `true`"
    ));
    // `format()`, `variables()` and the top-level child subnet.
    assert!(has(
        "NET-NSG-EVERY-SUBNET",
        Status::Fail,
        "subnet `snet-ingress` has no NSG"
    ));
    assert!(has(
        "ID-LEAST-PRIVILEGE",
        Status::Fail,
        "Network Contributor on virtualNetworks `vnet-aks-fabrikam`"
    ));
    assert!(has(
        "HOST-NO-PUBLIC-ACCESS",
        Status::Fail,
        "rule `allow-ssh`"
    ));
    // The child agent pool declared at top level is a pool of its cluster.
    assert!(has(
        "HOST-DISK-ENCRYPTION",
        Status::Fail,
        "aks-fabrikam/user `properties.enableEncryptionAtHost` is `false`"
    ));
    // The diagnostic setting scoped with format() attaches to the cluster.
    assert!(has(
        "LOG-AUDIT",
        Status::Fail,
        "cluster does not send guard"
    ));
    // `[[` escapes a literal bracket.
    let nsg = r
        .input
        .resources
        .iter()
        .find(|x| x.rtype == "Microsoft.Network/networkSecurityGroups")
        .expect("the NSG");
    assert_eq!(nsg.body["tags"]["owner"], "[team-fabrikam]");

    // With the parameter file, the unknowns become values.
    let r = run_audit(Fx::Template(
        "bicep-weak.json",
        Some("bicep-weak.parameters.json"),
    ));
    assert_eq!(
        result(&r, "AAD-RBAC").outcome,
        Outcome::Pass,
        "{}",
        explain(&r, "AAD-RBAC")
    );
    assert_eq!(result(&r, "BENCH-JUDGED").outcome, Outcome::Pass);
    assert_eq!(r.count(Outcome::Unknown), 0);
}

#[test]
fn nested_child_resources_get_their_full_type() {
    let r = run_audit(Fx::Template("shared-vnet.json", None));
    let subnets: Vec<&str> = r
        .input
        .resources
        .iter()
        .filter(|x| x.rtype == "Microsoft.Network/virtualNetworks/subnets")
        .map(|x| x.name.as_str())
        .collect();
    assert_eq!(subnets, ["vnet-shared/snet-prod", "vnet-shared/snet-dev"]);
    assert!(
        explain(&r, "ENV-CLUSTER-ISOLATION")
            .contains("shares VNet `vnet-shared` with cluster aks-dev")
    );
}

#[test]
fn a_weak_live_cluster_reports_its_failures() {
    let r = run_audit(Fx::Live("weak-cluster.json"));
    let fails = [
        "ENV-RESOURCE-GROUPS",
        "ID-MANAGED-IDENTITY",
        "NODE-SYSTEM-DEDICATED",
        "API-PRIVATE",
        "API-VNET-INTEGRATION",
        "API-NO-RUN-COMMAND",
        "HOST-NO-PUBLIC-ACCESS",
        "HOST-PATCHING",
        "HOST-DISK-ENCRYPTION",
        "ADDON-MINIMAL",
        "LOG-AUDIT",
        "AAD-RBAC",
        "SECRETS-VAULT",
        "SECRETS-KMS",
        "POD-SECURITY",
        "NET-POLICY",
        "EGRESS-FIREWALL",
        "GOV-LOCKS-TAGS",
    ];
    let not_assessed = [
        "ENV-SUBSCRIPTIONS",
        "ENV-CLUSTER-ISOLATION",
        "ID-LEAST-PRIVILEGE",
        "PAAS-LOCKDOWN",
        "IMG-REGISTRY",
        "NET-NSG-EVERY-SUBNET",
        "NET-INGRESS-WAF",
        "EGRESS-FORCED-TUNNEL",
    ];
    for c in &r.results {
        let id = c.control.id.as_str();
        let want = if fails.contains(&id) {
            Outcome::Fail
        } else if not_assessed.contains(&id) {
            Outcome::NotAssessed
        } else if id == "BENCH-JUDGED" || id == "API-OPERATOR-PATH" {
            Outcome::Pass
        } else {
            Outcome::NotApplicable
        };
        assert_eq!(c.outcome, want, "{id}:\n{}", explain(&r, id));
    }
    // az spells properties its own way (enableRbac, enableNodePublicIp, osSku): still judged.
    assert!(explain(&r, "HOST-NO-PUBLIC-ACCESS").contains("enableNodePublicIP` is `true`"));
    assert!(explain(&r, "API-PRIVATE").contains("authorizedIPRanges"));
    // What the JSON cannot show is said, not passed.
    assert!(explain(&r, "HOST-PATCHING").contains("az aks maintenanceconfiguration list"));
    let out = audit::render(&r, ReportFormat::Text, Severity::High).expect("renders");
    settings().bind(|| insta::assert_snapshot!("live-weak-cluster-text", out));
}

// ---- waivers ----

#[test]
fn waivers_cover_failures_until_they_expire_and_are_flagged_when_unneeded() {
    let r = run_audit(Fx::Estate("public-api.json"));
    let c = result(&r, "API-PRIVATE");
    assert_eq!(
        (c.outcome, c.control.severity),
        (Outcome::Fail, Severity::Critical)
    );
    assert_eq!(r.failures(Severity::High).len(), 1);

    let r = run_audit(Fx::Estate("public-api-waived.json"));
    let c = result(&r, "API-PRIVATE");
    assert_eq!(c.outcome, Outcome::Waived);
    assert_eq!(
        c.waiver.as_ref().and_then(|w| w.waiver.approver.as_deref()),
        Some("security-board")
    );
    assert!(r.failures(Severity::Low).is_empty());

    let r = run_audit(Fx::Estate("expired-waiver.json"));
    let c = result(&r, "API-NO-RUN-COMMAND");
    assert_eq!(c.outcome, Outcome::Fail, "an expired waiver is a failure");
    assert_eq!(
        c.waiver.as_ref().map(|w| w.state),
        Some(audit::WaiverState::Expired)
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("expired on 2024-12-31"))
    );
    // Every report says what became of the waiver in words that cannot be misread.
    for format in [ReportFormat::Text, ReportFormat::Markdown] {
        let text = audit::render(&r, format, Severity::High).expect("renders");
        assert!(
            text.contains("waiver expired on 2024-12-31"),
            "{format:?}: {text}"
        );
        assert!(!text.contains("expired until"), "{format:?}");
    }
    // The same waiver still holds on its last day.
    let r2 = audit::audit(
        &input(Fx::Estate("expired-waiver.json")),
        Date::parse("2024-12-31").expect("date"),
    );
    assert_eq!(result(&r2, "API-NO-RUN-COMMAND").outcome, Outcome::Waived);

    let r = run_audit(Fx::Estate("unneeded-waiver.json"));
    assert_eq!(result(&r, "NET-POLICY").outcome, Outcome::Pass);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("NET-POLICY") && w.contains("not needed")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_waiver_cannot_cover_an_unrestricted_public_api_server() {
    let estate = aks_harden::load_profile("dev").expect("dev");
    let mut input = aks_harden::audit_input(&estate, aks_harden::profile_source("dev"));
    let cluster = input
        .resources
        .iter_mut()
        .find(|r| r.rtype == "Microsoft.ContainerService/managedClusters")
        .expect("a cluster");
    cluster.body["properties"]["apiServerAccessProfile"]["authorizedIPRanges"] =
        serde_json::json!(["0.0.0.0/0"]);
    let r = audit::audit(&input, today());
    assert_eq!(result(&r, "API-PRIVATE").outcome, Outcome::Fail);
}

// ---- the command line ----

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args(args)
        .current_dir(root())
        .env("AKS_HARDEN_TODAY", TODAY)
        .output()
        .expect("run aks-harden")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn audit_exit_codes() {
    for p in ["prod", "regulated"] {
        let o = cli(&["audit", "--profile", p]);
        assert_eq!(code(&o), 0, "{}", text(&o.stdout));
        assert!(text(&o.stdout).contains("0 fail, 0 waived, 0 unknown"));
    }
    let o = cli(&["audit", "--profile", "staging", "--min-severity", "medium"]);
    assert_eq!(
        code(&o),
        0,
        "staging waives run command: {}",
        text(&o.stdout)
    );
    assert!(
        text(&o.stdout).contains("WAIVED API-NO-RUN-COMMAND"),
        "{}",
        text(&o.stdout)
    );
    let o = cli(&[
        "audit",
        "--estate",
        "tests/fixtures/audit/estates/run-command.json",
        "--min-severity",
        "medium",
    ]);
    assert_eq!(
        code(&o),
        1,
        "run command kept without a waiver: a medium failure"
    );
    let o = cli(&[
        "audit",
        "--estate",
        "tests/fixtures/audit/estates/public-api.json",
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stdout).contains("FAIL API-PRIVATE (critical)"),
        "{}",
        text(&o.stdout)
    );
    let o = cli(&[
        "audit",
        "--estate",
        "tests/fixtures/audit/estates/public-api-waived.json",
        "--format",
        "markdown",
    ]);
    assert_eq!(code(&o), 0);
    assert!(text(&o.stdout).contains("🟡 waived until 2030-06-30 by security-board"));
    let o = cli(&[
        "audit",
        "--template",
        "tests/fixtures/audit/templates/bicep-weak.json",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1);
    assert!(text(&o.stderr).contains("API-PRIVATE (critical)"));
    let o = cli(&[
        "audit",
        "--live",
        "tests/fixtures/audit/live/weak-cluster.json",
        "--min-severity",
        "critical",
    ]);
    assert_eq!(code(&o), 1);
    // Usage and input errors.
    assert_eq!(code(&cli(&["audit"])), 2);
    assert_eq!(
        code(&cli(&["audit", "--profile", "prod", "--tier", "dev"])),
        2
    );
    assert_eq!(code(&cli(&["audit", "--template", "missing.json"])), 2);
    assert_eq!(
        code(&cli(&[
            "audit",
            "--live",
            "tests/fixtures/audit/templates/bicep-weak.json"
        ])),
        2
    );
    let o = Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args(["audit", "--profile", "prod"])
        .current_dir(root())
        .env("AKS_HARDEN_TODAY", "tomorrow")
        .output()
        .expect("run");
    assert_eq!(code(&o), 2);
    assert!(text(&o.stderr).contains("AKS_HARDEN_TODAY"));
}

#[test]
fn gen_refuses_prod_like_estates_with_unwaived_critical_or_high_failures() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let out_s = out.to_string_lossy().into_owned();
    let o = cli(&[
        "gen",
        "--estate",
        "tests/fixtures/audit/estates/public-api.json",
        "--out",
        &out_s,
    ]);
    assert_eq!(code(&o), 1);
    let err = text(&o.stderr);
    assert!(err.contains("API-PRIVATE (critical)"), "{err}");
    assert!(err.contains("nothing was written"));
    assert!(!out.exists(), "nothing is written");

    let o = cli(&[
        "gen",
        "--estate",
        "tests/fixtures/audit/estates/public-api-waived.json",
        "--out",
        &out_s,
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    // A medium failure does not stop gen; an expired waiver on a high one would.
    let o = cli(&[
        "gen",
        "--estate",
        "tests/fixtures/audit/estates/run-command.json",
        "--out",
        &out_s,
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let o = cli(&[
        "gen",
        "--estate",
        "tests/fixtures/audit/estates/no-kms.json",
        "--out",
        &out_s,
    ]);
    assert_eq!(code(&o), 1);
    assert!(text(&o.stderr).contains("SECRETS-KMS (high)"));
    // dev is not gated.
    let o = cli(&["gen", "--profile", "dev", "--out", &out_s]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
}

#[test]
fn explain_and_controls() {
    let o = cli(&["explain", "API-PRIVATE"]);
    assert_eq!(code(&o), 0);
    let out = text(&o.stdout);
    for needle in [
        "💥 API-PRIVATE (critical)",
        "CKV_AZURE_115",
        "Azure.AKS.AuthorizedIPs",
        "5.4.2",
        "  prod: pass",
        "  dev: waived until 2030-12-31",
        "enablePrivateCluster",
    ] {
        assert!(out.contains(needle), "{needle}:\n{out}");
    }
    assert_eq!(code(&cli(&["explain", "NO-SUCH-CONTROL"])), 2);
    let o = cli(&["controls"]);
    assert_eq!(code(&o), 0);
    let listed = text(&o.stdout);
    assert_eq!(listed.lines().count(), CONTROLS.len());
    settings().bind(|| insta::assert_snapshot!("controls", listed));
}

// ---- the catalogue ----

#[test]
fn every_seed_topic_is_covered_by_a_control() {
    for t in SEED_TOPICS {
        assert!(
            CONTROLS.iter().any(|c| c.topic == t.text),
            "no control answers the guideline topic {:?} ({})",
            t.text,
            t.section
        );
    }
    for c in CONTROLS {
        assert!(
            c.seed_topic().is_some(),
            "{}: topic {:?} is not a seed topic",
            c.id,
            c.topic
        );
        assert!(
            !c.why.is_empty() && !c.fix.is_empty() && !c.demands.is_empty(),
            "{}",
            c.id
        );
    }
    let mut ids: Vec<&str> = CONTROLS.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CONTROLS.len(), "control ids are unique");
}

// ---- docs/controls ----

#[test]
fn docs_controls_are_fresh() {
    let files = audit::docs::render().expect("docs render");
    let dir = root().join(audit::docs::DIR);
    let mut stale = Vec::new();
    for (path, content) in &files {
        let on_disk = std::fs::read_to_string(root().join(path)).unwrap_or_default();
        if &on_disk != content {
            stale.push(path.clone());
            if let Some(parent) = root().join(path).parent() {
                std::fs::create_dir_all(parent).expect("create docs/controls");
            }
            std::fs::write(root().join(path), content).expect("write docs");
        }
    }
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let rel = format!("{}/{}", audit::docs::DIR, e.file_name().to_string_lossy());
            if !files.contains_key(&rel) {
                stale.push(format!("{rel} (not generated; remove it)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/controls/ was stale and has been regenerated: {stale:?}\nrun `cargo test --test audit docs_controls_are_fresh` and commit docs/controls/"
    );
}

#[test]
fn odd_templates_are_judged_without_panicking() {
    let docs = [
        r#"{"resources": []}"#,
        r#"{"resources": [1, "x", null, {"type": 5}]}"#,
        r#"{"resources": {"aks": {"type": "Microsoft.ContainerService/managedClusters", "name": "[concat()]", "properties": {"agentPoolProfiles": "[parameters('p')]"}}}}"#,
        r#"{"resources": [{"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"template": {"resources": [{"type": "Microsoft.Resources/deployments", "name": "e", "properties": {"templateLink": {"uri": "https://example.invalid/t.json"}}}]}}}]}"#,
        r#"{"resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {"subnets": [{"name": 3}, {}]}, "resources": [{"type": "subnets", "name": "[format()]"}]}]}"#,
        r#"{"parameters": {"a": {"defaultValue": "[parameters('b')]"}, "b": {"defaultValue": "[parameters('a')]"}}, "variables": {"x": "[variables('x')]"}, "resources": [{"type": "Microsoft.ContainerRegistry/registries", "name": "[variables('x')]", "location": "[parameters('a')]", "condition": "[equals(1, 1)]"}]}"#,
    ];
    for (n, doc) in docs.iter().enumerate() {
        let input = Input::from_template(
            Source::new(
                format!("odd-{n}"),
                format!("odd-{n}.json"),
                Some((*doc).to_string()),
            ),
            None,
        )
        .expect("a template");
        let r = audit::audit(&input, today());
        for format in [
            ReportFormat::Text,
            ReportFormat::Json,
            ReportFormat::Sarif,
            ReportFormat::Markdown,
        ] {
            audit::render(&r, format, Severity::High).expect("renders");
        }
    }
    let linked = Input::from_template(
        Source::new("linked", "linked.json", Some(docs[3].to_string())),
        None,
    )
    .expect("a template");
    assert!(
        linked.notes.iter().any(|n| n.contains("example.invalid")),
        "{:?}",
        linked.notes
    );
    for bad in ["[]", "{}", "not json", r#"{"resources": 1}"#] {
        let r = Input::from_template(Source::new("bad", "bad.json", Some(bad.to_string())), None);
        if bad == r#"{"resources": 1}"# {
            assert!(r.is_ok());
        } else {
            assert!(r.is_err(), "{bad}");
        }
    }
    assert!(
        Input::from_live(Source::new("x", "x.json", Some(r#"{"name": "vm"}"#.into()))).is_err()
    );
}
