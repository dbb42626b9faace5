//! SARIF 2.1.0 for GitHub code scanning: the catalogue as rules (with `security-severity`), one
//! result per failing or unknown finding, waived ones carrying an external suppression.

use super::{Outcome, Report, capped, is_capped};
use crate::audit::catalogue::{CONTROLS, Control, Severity};
use crate::audit::eval::Status;
use serde_json::{Value as Json, json};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn refs(c: &Control) -> String {
    let mut parts = Vec::new();
    if !c.checkov.is_empty() {
        parts.push(format!("checkov {}", c.checkov.join(", ")));
    }
    if !c.psrule.is_empty() {
        parts.push(format!("PSRule {}", c.psrule.join(", ")));
    }
    if !c.cis.is_empty() {
        parts.push(format!("CIS AKS {}", c.cis.join(", ")));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("; ")
    }
}

fn rule(c: &Control) -> Json {
    let mut tags = vec![
        "security".to_string(),
        "aks".to_string(),
        c.section.slug().to_string(),
    ];
    tags.extend(c.checkov.iter().map(|s| (*s).to_string()));
    tags.extend(c.psrule.iter().map(|s| (*s).to_string()));
    tags.extend(c.cis.iter().map(|s| format!("CIS-AKS-{s}")));
    json!({
        "id": c.id.as_str(),
        "name": c.rule_name(),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.demands},
        "help": {
            "text": format!("Fix: {} Also judged by: {}.", c.fix, refs(c)),
            "markdown": format!(
                "**{} {}** ({})\n\n{}\n\n**Why.** {}\n\n**Fix.** {}\n\n**Also judged by:** {}",
                c.severity.mark(), c.id.as_str(), c.severity.as_str(), c.demands, c.why, c.fix, refs(c)
            ),
        },
        "defaultConfiguration": {"level": level(c.severity)},
        "properties": {
            "tags": tags,
            "precision": "high",
            "problem.severity": level(c.severity),
            "security-severity": security_severity(c.severity),
        },
    })
}

/// Render the SARIF log.
pub fn render(report: &Report) -> String {
    let rules: Vec<Json> = CONTROLS.iter().map(rule).collect();
    let mut results = Vec::new();
    for r in &report.results {
        if !matches!(
            r.outcome,
            Outcome::Fail | Outcome::Unknown | Outcome::Waived
        ) {
            continue;
        }
        let index = CONTROLS
            .iter()
            .position(|c| c.id == r.control.id)
            .unwrap_or(0);
        let shown: Vec<_> = r
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Unknown))
            .collect();
        let locate = report.locator(r);
        for f in shown {
            let loc = locate(f);
            let mut physical = json!({"artifactLocation": {"uri": loc.uri}});
            if let Some(l) = loc.line {
                physical["region"] = json!({"startLine": l});
            }
            let mut result = json!({
                "ruleId": r.control.id.as_str(),
                "ruleIndex": index,
                "level": level(r.control.severity),
                // The fix is the rule's help, which code scanning shows beside every result; the
                // message stays short: the control and what was found.
                "message": {"text": format!(
                    "{} ({}): {}: {}",
                    r.control.id.as_str(),
                    r.control.severity.as_str(),
                    r.control.title,
                    capped(&report.evidence(f)),
                )},
                "locations": [{"physicalLocation": physical}],
                "properties": {"outcome": r.outcome.key()},
            });
            let evidence = report.evidence(f);
            if let Some(flow) = report.flows.iter().find(|x| {
                x.control == r.control.id && f.message.starts_with(&super::flows::finding_prefix(x))
            }) {
                let mut trace = String::new();
                super::flows::trace(&mut trace, flow, false);
                result["properties"]["trace"] = json!(trace.lines().collect::<Vec<_>>());
            }
            if is_capped(&evidence) {
                result["properties"]["fullEvidence"] = json!(evidence);
            }
            if f.status == Status::Unknown && r.outcome != Outcome::Waived {
                result["kind"] = json!("review");
                result["level"] = json!("none");
            }
            if let (Outcome::Waived, Some(w)) = (r.outcome, &r.waiver) {
                let approver = w.approved_by();
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} (waiver until {}{approver})", capped(&w.waiver.reason), w.waiver.expires),
                }]);
            }
            results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "aks-harden",
                "rules": rules,
            }},
            "automationDetails": {"id": format!("aks-harden/{}/", report.input.source.uri)},
            "results": results,
        }],
    });
    crate::emit::pretty_json(&doc)
}
