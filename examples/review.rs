//! Reviewing a change in code: compare a proposed estate with the one in production using the
//! library's diff, and refuse it when a control gets worse, as `aks-harden diff` does in CI.

use aks_harden::audit::Severity;
use aks_harden::diff::{self, ChangeKind};
use aks_harden::posture::Date;
use aks_harden::{Syntax, load_profile, load_str};

/// Compare `prod` with a proposal that opens the API server to one address range. Returns the
/// Markdown a bot would post, and whether the proposal may merge.
pub fn run() -> Result<(String, bool), Box<dyn std::error::Error>> {
    let today = Date::parse("2026-01-15").ok_or("not a date")?;
    let base = load_profile("prod")?;
    let proposal = r#"{
        "extends": "prod",
        "spokes": { "prod": { "cluster": { "apiServer": {
            "private": false, "authorizedIpRanges": ["203.0.113.0/24"] } } } }
    }"#;
    let head = load_str("proposal.json", proposal, Syntax::Json)?;

    // Each side is planned once and audited once.
    let d = diff::estates(&base, &head, today);
    for r in d.resources.iter().filter(|r| r.kind == ChangeKind::Changed) {
        for p in &r.properties {
            println!("{}: {} {:?} -> {:?}", r.address, p.path, p.old, p.new);
        }
    }
    let worse = d.regressions(Severity::High);
    for c in &worse {
        println!("{} gets worse: {}", c.control, c.change.as_str());
    }
    Ok((diff::markdown(&d, Severity::High), worse.is_empty()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (markdown, ok) = run()?;
    println!("{markdown}");
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
