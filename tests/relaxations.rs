//! What a relaxation costs: for each single weakening of `prod` an estate author may choose, the
//! controls that then fail. The table is the one `docs/controls.md` prints, so an author can
//! predict the waivers a change needs, and this test keeps the two equal.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

use aks_harden::audit::{Outcome, Source};
use aks_harden::posture::Date;
use aks_harden::{Syntax, audit_estate, load_str};
use std::fmt::Write as _;

/// (what the author changes, the estate file's keys over `prod`, the controls that fail, why).
const RELAXATIONS: &[(&str, &str, &[&str], &str)] = &[
    (
        "service endpoints instead of private endpoints",
        r#""spokes": {"prod": {"paasAccess": "serviceEndpoints", "cluster": {"security": {"kms": false}}}}"#,
        &[
            "PAAS-LOCKDOWN",
            "SECRETS-VAULT",
            "SECRETS-KMS",
            "IMG-REGISTRY",
        ],
        "the vault and the registry keep public network access on, behind network rules (PAAS-LOCKDOWN, and the no-public-access demand of SECRETS-VAULT and IMG-REGISTRY); AKS KMS cannot use a vault restricted to selected networks, so validation asks for `kms: false` (SECRETS-KMS)",
    ),
    (
        "a public API server behind authorised ranges",
        r#""spokes": {"prod": {"cluster": {"apiServer": {"private": false, "authorizedIpRanges": ["203.0.113.0/24"]}}}}"#,
        &["API-PRIVATE"],
        "the API server gets a public endpoint",
    ),
    (
        "no API server VNet integration",
        r#""spokes": {"prod": {"cluster": {"apiServer": {"vnetIntegration": false}}}}"#,
        &["API-VNET-INTEGRATION"],
        "nodes reach the API server through a tunnel instead of the delegated subnet",
    ),
    (
        "run command left on",
        r#""spokes": {"prod": {"cluster": {"apiServer": {"disableRunCommand": false}}}}"#,
        &["API-NO-RUN-COMMAND"],
        "`az aks command invoke` can run commands in the cluster",
    ),
    (
        "no KMS etcd encryption",
        r#""spokes": {"prod": {"cluster": {"security": {"kms": false}}}}"#,
        &["SECRETS-KMS"],
        "etcd secrets are encrypted with platform keys only",
    ),
    (
        "no Secrets Store CSI driver",
        r#""spokes": {"prod": {"cluster": {"addons": {"secretsStoreCsi": false}}}}"#,
        &["SECRETS-VAULT"],
        "pods no longer read vault secrets with rotation",
    ),
    (
        "no workload identity",
        r#""spokes": {"prod": {"cluster": {"security": {"workloadIdentity": false}}}}"#,
        &["ID-MANAGED-IDENTITY"],
        "workloads lose federated managed identities",
    ),
    (
        "no Defender for Containers plan",
        r#""defender": {"containers": false}"#,
        &["LOG-AUDIT", "IMG-REGISTRY"],
        "the plan both watches the cluster (LOG-AUDIT) and scans the registry's images (IMG-REGISTRY)",
    ),
    (
        "no Container Insights",
        r#""spokes": {"prod": {"cluster": {"addons": {"containerInsights": false}}}}"#,
        &["LOG-AUDIT"],
        "container logs and metrics are no longer collected",
    ),
    (
        "baseline pod security in audit mode",
        r#""spokes": {"prod": {"cluster": {"podSecurity": {"level": "baseline", "effect": "audit"}}}}"#,
        &["POD-SECURITY"],
        "privileged pods are reported, not refused",
    ),
    (
        "no automatic upgrades",
        r#""spokes": {"prod": {"cluster": {"upgrades": {"channel": "none"}}}}"#,
        &["HOST-PATCHING"],
        "the cluster stays on its version until someone upgrades it",
    ),
    (
        "threat intelligence alerts instead of denying",
        r#""hub": {"firewall": {"threatIntelMode": "Alert"}}"#,
        &["EGRESS-FIREWALL"],
        "traffic to known-malicious addresses is logged, not dropped",
    ),
    (
        "no resource locks",
        r#""locks": false"#,
        &["GOV-LOCKS-TAGS"],
        "resource groups can be deleted in one step",
    ),
    (
        "no Bastion",
        r#""hub": {"bastion": null, "subnets": {"bastion": null}}"#,
        &["API-OPERATOR-PATH"],
        "the private API server, with run command off, has no way in: the operations subnet is only a place for runners and jump hosts, not one of them",
    ),
    (
        "the web application firewall in Detection mode",
        r#""spokes": {"prod": {"ingress": {"wafMode": "Detection"}}}"#,
        &["NET-INGRESS-WAF"],
        "attacks on the published workloads are logged, not blocked",
    ),
    (
        "no ingress",
        r#""spokes": {"prod": {"ingress": {"type": "none"}}}"#,
        &[],
        "nothing is published; the policy still keeps every load balancer internal",
    ),
];

/// The table as `docs/controls.md` prints it.
fn markdown() -> String {
    let mut s = String::from(
        "| relaxation (over `prod`) | estate keys | controls that fail | why |\n|---|---|---|---|\n",
    );
    for (what, keys, controls, why) in RELAXATIONS {
        let controls: Vec<String> = controls.iter().map(|c| format!("`{c}`")).collect();
        let controls = if controls.is_empty() {
            "none".to_string()
        } else {
            controls.join(", ")
        };
        let _ = writeln!(
            s,
            "| {what} | `{}` | {controls} | {why} |",
            keys.replace('|', "\\|"),
        );
    }
    s
}

#[test]
fn each_relaxation_costs_exactly_the_controls_the_docs_name() {
    let today = Date::parse("2026-01-15").expect("a date");
    for (what, keys, controls, _) in RELAXATIONS {
        let text = format!(r#"{{ "extends": "prod", {keys} }}"#);
        let estate = load_str("estate.json", &text, Syntax::Json)
            .unwrap_or_else(|e| panic!("{what}: {:#?}", e.diagnostics()));
        let report = audit_estate(&estate, Source::new("estate.json", "", None), today);
        let mut failing: Vec<&str> = report
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .map(|r| r.control.id.to_string())
            .map(|id| {
                *controls.iter().find(|c| **c == id).unwrap_or_else(|| {
                    panic!("{what}: {id} fails too, and the table does not say so")
                })
            })
            .collect();
        failing.sort_unstable();
        let mut want = controls.to_vec();
        want.sort_unstable();
        assert_eq!(failing, want, "{what}");
    }
}

#[test]
fn the_docs_print_the_same_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/controls.md");
    let docs = std::fs::read_to_string(path).expect("docs/controls.md");
    assert!(
        docs.contains(&markdown()),
        "docs/controls.md does not print the relaxation table; replace it with:\n\n{}",
        markdown()
    );
}
