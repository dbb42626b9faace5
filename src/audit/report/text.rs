//! The report for a terminal: one line per control, then the evidence and fix for everything
//! that is not a plain pass, the warnings, and the summary.

use super::{CAP_NOTE, ControlResult, Outcome, Report, capped, is_capped};
use crate::audit::catalogue::Severity;
use crate::audit::eval::{Finding, Status};
use std::fmt::Write;

/// Render the text report; the last line is the summary with the verdict at `threshold`.
pub fn render(report: &Report, threshold: Severity) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "aks-harden audit of {} (tier {}, {} input) on {}",
        report.input.source.label,
        report.input.tier.as_str(),
        report.input.kind.as_str(),
        report.date
    );
    let _ = writeln!(s);
    for r in &report.results {
        let _ = writeln!(
            s,
            "  {:<12} {:<8} {:<22} {}",
            r.outcome.as_str(),
            r.control.severity.as_str(),
            r.control.id.as_str(),
            r.control.title
        );
    }
    let details: Vec<&ControlResult> = report
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.outcome,
                Outcome::Fail | Outcome::Waived | Outcome::Unknown
            )
        })
        .collect();
    let mut cut = report.input.notes.iter().any(|n| is_capped(n));
    for r in details {
        let _ = writeln!(s);
        details_of(&mut s, report, r);
        cut |= shown(r).any(|f| is_capped(&report.evidence(f)))
            || r.waiver
                .as_ref()
                .is_some_and(|w| is_capped(&w.waiver.reason));
    }
    if !report.flows.is_empty() {
        let _ = writeln!(
            s,
            "\n{} (`--flows` prints every trace):",
            super::flows::summary(&report.flows)
        );
        s.push_str(&super::flows::table(&report.flows));
        for f in report.flows.iter().filter(|f| {
            matches!(
                f.verdict(),
                crate::audit::flows::Verdict::Fail | crate::audit::flows::Verdict::Unknown
            )
        }) {
            s.push('\n');
            super::flows::trace(&mut s, f, false);
        }
    }
    if !report.input.notes.is_empty() {
        let _ = writeln!(s, "\nnotes on the input:");
        for n in &report.input.notes {
            let _ = writeln!(s, "  - {}", capped(n));
        }
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(s, "\nwarnings:");
        for w in &report.warnings {
            let _ = writeln!(s, "  - {w}");
        }
    }
    if cut {
        let _ = writeln!(s, "\n{CAP_NOTE}");
    }
    let _ = writeln!(s, "\n{}", report.verdict(threshold));
    s
}

/// The findings [`details_of`] lists: all but passes of a control that does not pass.
fn shown(r: &ControlResult) -> impl Iterator<Item = &Finding> {
    r.findings
        .iter()
        .filter(move |f| f.status != Status::Pass || r.outcome == Outcome::Pass)
}

/// The evidence, waiver and fix of one control, as the gate and `explain` print them too.
pub fn details_of(s: &mut String, report: &Report, r: &ControlResult) {
    let _ = writeln!(
        s,
        "{} {} ({}): {}",
        r.outcome.as_str().to_uppercase(),
        r.control.id.as_str(),
        r.control.severity.as_str(),
        r.control.title
    );
    let locate = report.locator(r);
    for f in shown(r) {
        let loc = locate(f);
        let at = match loc.line {
            Some(l) => format!(" ({}:{l})", loc.uri),
            None => String::new(),
        };
        let _ = writeln!(
            s,
            "  - {}: {}{at}",
            f.status.as_str(),
            capped(&report.evidence(f))
        );
    }
    if let Some(w) = &r.waiver {
        let _ = writeln!(s, "  {}: {}", w.describe(), capped(&w.waiver.reason));
    }
    if matches!(
        r.outcome,
        Outcome::Fail | Outcome::Unknown | Outcome::Waived
    ) {
        let _ = writeln!(s, "  fix: {}", r.control.fix);
    }
}
