//! The library is the composition root: an embedder calling [`aks_harden::generate`] gets the
//! same audit gate as `aks-harden gen`, and a documented way past it.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

use aks_harden::audit::{Outcome, Severity};
use aks_harden::posture::{ControlId, Date};
use aks_harden::{Error, Estate, Format, Gate, Options, generate, load_file};
use std::path::Path;

fn estate(fixture: &str) -> Estate {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audit/estates")
        .join(fixture);
    load_file(&path).expect("a valid estate")
}

fn day(s: &str) -> Date {
    Date::parse(s).expect("a date")
}

#[test]
fn an_unwaived_weakened_prod_estate_gives_the_findings_not_files() {
    let e = estate("public-api.json");
    match generate(&e, &Options::new(day("2026-01-15"))) {
        Err(Error::Refused { estate, report }) => {
            assert_eq!(estate, e.name);
            let failing: Vec<ControlId> = report
                .failures(Severity::High)
                .iter()
                .map(|r| r.control.id)
                .collect();
            assert_eq!(failing, [ControlId::ApiPrivate]);
            let message = Error::Refused { estate, report }.to_string();
            assert!(message.contains("API-PRIVATE (critical)"), "{message}");
            assert!(message.starts_with("the prod estate"), "{message}");
        }
        Ok(g) => panic!("rendered {} files past the gate", g.files.len()),
        Err(other) => panic!("refused for another reason: {other}"),
    }
}

#[test]
fn the_gate_can_be_turned_off_explicitly_and_the_report_still_comes_back() {
    let e = estate("public-api.json");
    let options = Options::new(day("2026-01-15"))
        .formats(&[Format::Arm])
        .gate(Gate::Off);
    let g = generate(&e, &options).expect("rendered anyway");
    assert_eq!(
        g.files
            .keys()
            .filter(|k| k.starts_with("arm/"))
            .collect::<Vec<_>>(),
        ["arm/main.json", "arm/main.parameters.json"]
    );
    let api = g
        .report
        .results
        .iter()
        .find(|r| r.control.id == ControlId::ApiPrivate)
        .expect("API-PRIVATE judged");
    assert_eq!(api.outcome, Outcome::Fail);
}

#[test]
fn a_waiver_passes_the_gate_until_it_expires() {
    let e = estate("public-api-waived.json");
    let options = Options::new(day("2030-06-30")).formats(&[Format::Bicep]);
    let g = generate(&e, &options).expect("waived until 2030-06-30");
    assert!(g.files.contains_key("bicep/main.bicep"));
    let expired = generate(&e, &Options::new(day("2030-07-01")));
    assert!(
        matches!(expired, Err(Error::Refused { .. })),
        "the day after the waiver expires, the gate refuses"
    );
}

#[test]
fn dev_is_not_gated() {
    let mut e = estate("public-api.json");
    e.tier = aks_harden::posture::Tier::Dev;
    e.waivers.clear();
    let g = generate(&e, &Options::new(day("2026-01-15")).formats(&[Format::Arm]))
        .expect("dev renders with its failures reported");
    assert!(!g.report.failures(Severity::High).is_empty());
}
