//! The report as JSON, for tools: every control with its outcome, waiver, findings (with
//! locations) and references. A finding's `message` is cut like the other reports' evidence;
//! `fullMessage` then keeps it whole.

use super::{Outcome, Report, capped, is_capped};
use crate::audit::catalogue::{Control, Severity};
use serde_json::{Map, Value as Json, json};

/// The catalogue entry of a control as JSON (shared with the docs and SARIF).
pub fn control_json(c: &Control) -> Json {
    let topic = c.seed_topic();
    json!({
        "id": c.id.as_str(),
        "severity": c.severity.as_str(),
        "section": c.section.title(),
        "topic": {
            "section": topic.map(|t| t.section),
            "text": c.topic,
            "severity": topic.and_then(|t| t.severity).map(Severity::as_str),
        },
        "title": c.title,
        "demands": c.demands,
        "why": c.why,
        "fix": c.fix,
        "references": {
            "checkov": c.checkov,
            "psrule": c.psrule,
            "cis": c.cis,
        },
        "live": c.live.as_str(),
    })
}

/// Render the JSON report.
pub fn render(report: &Report, threshold: Severity) -> String {
    let mut summary = Map::new();
    summary.insert("controls".into(), json!(report.results.len()));
    for o in Outcome::ALL {
        summary.insert(o.key().into(), json!(report.count(o)));
    }
    summary.insert("threshold".into(), json!(threshold.as_str()));
    summary.insert(
        "failuresAtOrAboveThreshold".into(),
        json!(report.failures(threshold).len()),
    );
    let controls: Vec<Json> = report
        .results
        .iter()
        .map(|r| {
            let locate = report.locator(r);
            let findings: Vec<Json> = r
                .findings
                .iter()
                .map(|f| {
                    let loc = locate(f);
                    let res = f.resource.and_then(|i| report.input.resources.get(i));
                    let mut finding = json!({
                        "status": f.status.as_str(),
                        "resource": res.map(|x| json!({"type": x.rtype, "name": x.label})),
                        "path": f.path,
                        "message": capped(&f.message),
                        "waivable": f.waivable,
                        "location": {"uri": loc.uri, "line": loc.line},
                    });
                    // The message as the other reports cut it, and whole beside it.
                    if is_capped(&f.message) {
                        finding["fullMessage"] = json!(f.message);
                    }
                    finding
                })
                .collect();
            // The catalogue's prose is in `explain` and docs/controls/; the report keeps the fix.
            let mut entry = match control_json(r.control) {
                Json::Object(mut m) => {
                    m.remove("demands");
                    m.remove("why");
                    m
                }
                _ => Map::new(),
            };
            entry.insert("status".into(), json!(r.outcome.key()));
            entry.insert(
                "waiver".into(),
                r.waiver.as_ref().map_or(Json::Null, |w| {
                    json!({
                        "reason": w.waiver.reason,
                        "expires": w.waiver.expires.to_string(),
                        "approver": w.waiver.approver,
                        "state": w.state.as_str(),
                    })
                }),
            );
            entry.insert("findings".into(), Json::Array(findings));
            Json::Object(entry)
        })
        .collect();
    let doc = json!({
        "tool": "aks-harden",
        "input": {
            "kind": report.input.kind.as_str(),
            "label": report.input.source.label,
            "uri": report.input.source.uri,
            "tier": report.input.tier.as_str(),
        },
        "date": report.date.to_string(),
        "summary": summary,
        "controls": controls,
        "flows": super::flows::json(&report.flows, report),
        "notes": report.input.notes,
        "warnings": report.warnings,
    });
    crate::emit::pretty_json(&doc)
}
