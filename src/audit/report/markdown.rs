//! The report in Markdown for a pull request: a Mermaid diagram of the estate, then one table
//! per guideline section with severity marks, status, evidence and fix. Rendered through the
//! handlebars template `templates/audit-report.md.hbs`.

use super::{CAP_NOTE, ControlResult, Outcome, Report, capped, is_capped};
use crate::audit::catalogue::{Section, Severity};
use crate::audit::eval::Status;
use serde_json::{Value as Json, json};

/// Why a template could not be rendered (always a bug in aks-harden).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot render {template}: {message}; this is a bug in aks-harden")]
pub struct TemplateError {
    /// The template.
    pub template: &'static str,
    /// What went wrong.
    pub message: String,
}

/// A handlebars registry for Markdown: strict, no HTML escaping, the given templates embedded.
pub fn registry(
    templates: &[(&'static str, &'static str)],
) -> Result<handlebars::Handlebars<'static>, TemplateError> {
    let mut h = handlebars::Handlebars::new();
    h.set_strict_mode(true);
    h.register_escape_fn(handlebars::no_escape);
    for (name, text) in templates {
        h.register_template_string(name, *text)
            .map_err(|e| TemplateError {
                template: name,
                message: e.to_string(),
            })?;
    }
    Ok(h)
}

/// Text safe inside a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn status_cell(r: &ControlResult) -> String {
    match r.outcome {
        Outcome::Pass => "✅ pass".into(),
        Outcome::Fail => "❌ **fail**".into(),
        Outcome::Waived => match &r.waiver {
            Some(w) => format!(
                "🟡 waived until {}{}: {}",
                w.waiver.expires,
                w.waiver
                    .approver
                    .as_deref()
                    .map(|a| format!(" by {a}"))
                    .unwrap_or_default(),
                cell(&capped(&w.waiver.reason))
            ),
            None => "🟡 waived".into(),
        },
        Outcome::Unknown => "❔ unknown".into(),
        Outcome::NotApplicable => "➖ n/a".into(),
        Outcome::NotAssessed => "⏭️ not assessed".into(),
    }
}

/// The evidence cell, and whether it cut something at [`super::CAP`].
fn evidence_cell(report: &Report, r: &ControlResult) -> (String, bool) {
    let wanted: &[Status] = match r.outcome {
        Outcome::Fail | Outcome::Waived | Outcome::Unknown => &[Status::Fail, Status::Unknown],
        Outcome::Pass => &[Status::Pass],
        Outcome::NotApplicable => &[Status::NotApplicable],
        Outcome::NotAssessed => &[Status::NotAssessed],
    };
    let shown: Vec<String> = r
        .findings
        .iter()
        .filter(|f| wanted.contains(&f.status))
        .map(|f| report.evidence(f))
        .collect();
    let limit = if r.outcome == Outcome::Pass { 3 } else { 12 };
    let mut cut = shown.iter().take(limit).any(|e| is_capped(e));
    let mut out: Vec<String> = shown.iter().take(limit).map(|e| cell(&capped(e))).collect();
    if shown.len() > limit {
        out.push(format!("… and {} more", shown.len() - limit));
    }
    let waiver_note = match &r.waiver {
        Some(w) if r.outcome != Outcome::Waived => Some(format!(
            "{}: {}",
            w.describe(),
            cell(&capped(&w.waiver.reason))
        )),
        _ => None,
    };
    out.extend(waiver_note);
    if let Some(w) = &r.waiver {
        cut |= is_capped(&w.waiver.reason);
    }
    (out.join("<br>"), cut)
}

/// The view the template renders.
pub fn view(report: &Report, threshold: Severity) -> Json {
    let mut cut = report.input.notes.iter().any(|n| is_capped(n));
    let sections: Vec<Json> = Section::ALL
        .iter()
        .map(|s| {
            let rows: Vec<Json> = report
                .results
                .iter()
                .filter(|r| r.control.section == *s)
                .map(|r| {
                    let (evidence, cut_here) = evidence_cell(report, r);
                    cut |= cut_here;
                    json!({
                        "mark": r.control.severity.mark(),
                        "id": r.control.id.as_str(),
                        "title": cell(r.control.title),
                        "status": status_cell(r),
                        "evidence": evidence,
                        "fix": if matches!(r.outcome, Outcome::Fail | Outcome::Unknown | Outcome::Waived) {
                            cell(r.control.fix)
                        } else {
                            "—".to_string()
                        },
                    })
                })
                .collect();
            json!({"title": s.title(), "rows": rows})
        })
        .collect();
    json!({
        "subject": report.input.source.label,
        "tier_line": format!(
            "Tier `{}` · {} input `{}` · judged on {} · threshold {}",
            report.input.tier.as_str(),
            report.input.kind.as_str(),
            report.input.source.uri,
            report.date,
            threshold.as_str()
        ),
        "summary": report.verdict(threshold),
        "mermaid": super::mermaid::render(&report.input),
        "sections": sections,
        "flows": super::flows::markdown(&report.flows),
        "notes": report.input.notes.iter().map(|n| capped(n)).collect::<Vec<_>>(),
        "cap_note": if cut { CAP_NOTE } else { "" },
        "warnings": report.warnings,
    })
}

/// Render the Markdown report.
pub fn render(report: &Report, threshold: Severity) -> Result<String, TemplateError> {
    const NAME: &str = "audit-report.md";
    let h = registry(&[(NAME, include_str!("../../../templates/audit-report.md.hbs"))])?;
    h.render(NAME, &view(report, threshold))
        .map_err(|e| TemplateError {
            template: NAME,
            message: e.to_string(),
        })
}
