//! The flows in every report format: a table (verdict, kind, id, scope, what decided it) and
//! the trace of each path, hop by hop. A failing required flow or an open forbidden flow is
//! also a finding of the control it serves ([`finding`]), so the gate and SARIF see it.

use super::{Report, capped};
use crate::audit::catalogue::control;
use crate::audit::eval::{Finding, Status};
use crate::audit::flows::{Flow, FlowKind, Reach, Verdict};
use serde_json::{Value as Json, json};
use std::fmt::Write;

/// How a finding names its flow; also how SARIF finds the flow of a finding.
pub fn finding_prefix(f: &Flow) -> String {
    format!("{} flow `{}` ({})", f.kind.as_str(), f.id, f.scope)
}

/// The finding a failing flow adds to the control it serves: at the hop that decides it.
pub fn finding(f: &Flow) -> Option<Finding> {
    if f.verdict() != Verdict::Fail {
        return None;
    }
    let (path, hop) = f.decisive()?;
    let what = match f.kind {
        FlowKind::Required => "is blocked",
        FlowKind::Forbidden => "gets through",
    };
    Some(Finding {
        status: Status::Fail,
        resource: hop.resource,
        path: hop.path.clone(),
        message: format!(
            "{} {what} on path {}: {}",
            finding_prefix(f),
            path.label,
            hop.text
        ),
        waivable: true,
    })
}

fn reach(r: Reach, kind: FlowKind) -> &'static str {
    match (r, kind) {
        (Reach::Reaches, _) => "gets through",
        (Reach::Blocked, _) => "blocked",
        (Reach::Unknown, _) => "unknown",
    }
}

/// Count of flows per verdict, as one line: `21 flows: 17 pass, 1 fail, 0 unknown, 3 n/a`.
pub fn summary(flows: &[Flow]) -> String {
    let count = |v: Verdict| flows.iter().filter(|f| f.verdict() == v).count();
    format!(
        "{} flows: {} pass, {} fail, {} unknown, {} n/a",
        flows.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Unknown),
        count(Verdict::NotApplicable)
    )
}

/// The table, one line per flow.
pub fn table(flows: &[Flow]) -> String {
    let mut s = String::new();
    for f in flows {
        let _ = writeln!(
            s,
            "  {:<8} {:<9} {:<24} {:<22} {}",
            f.verdict().as_str(),
            f.kind.as_str(),
            f.id,
            f.scope,
            capped(&f.summary())
        );
    }
    s
}

/// One flow's heading and the trace of each of its paths (`all`), or of the paths that decide
/// it (up to five that fail or cannot be judged; the first of a pass).
pub fn trace(s: &mut String, f: &Flow, all: bool) {
    let sev = control(f.control.as_str()).map_or("", |c| c.severity.as_str());
    let _ = writeln!(
        s,
        "{} {} {} ({}) [{} {sev}]: {}",
        f.verdict().as_str().to_uppercase(),
        f.kind.as_str(),
        f.id,
        f.scope,
        f.control.as_str(),
        f.name
    );
    if let Some(why) = &f.na {
        if f.paths.is_empty() {
            let _ = writeln!(s, "  does not apply: {why}");
        }
    }
    let shown: Vec<&crate::audit::flows::Path> = if all {
        f.paths.iter().collect()
    } else {
        shown_paths(f)
    };
    for p in &shown {
        let _ = writeln!(s, "  path {}: {}", p.label, reach(p.reach(), f.kind));
        for (i, h) in p.hops.iter().enumerate() {
            let _ = writeln!(
                s,
                "    {}. {} ({}): {}",
                i + 1,
                h.step.as_str(),
                h.effect.as_str(),
                h.text
            );
        }
    }
    let more = f.paths.len() - shown.len();
    if more > 0 {
        let _ = writeln!(
            s,
            "  … and {more} more path{} (`--flows` prints every one)",
            if more == 1 { "" } else { "s" }
        );
    }
}

/// The flows view of `aks-harden audit --flows`: the table, then every trace.
pub fn view(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "aks-harden flows of {} (tier {}, {} input) on {}\n",
        report.input.source.label,
        report.input.tier.as_str(),
        report.input.kind.as_str(),
        report.date
    );
    s.push_str(&table(&report.flows));
    for f in &report.flows {
        s.push('\n');
        trace(&mut s, f, true);
    }
    let _ = writeln!(s, "\n{}", summary(&report.flows));
    s
}

/// The flows as JSON, with every hop.
pub fn json(flows: &[Flow], report: &Report) -> Json {
    Json::Array(
        flows
            .iter()
            .map(|f| {
                json!({
                    "id": f.id,
                    "kind": f.kind.as_str(),
                    "scope": f.scope,
                    "name": f.name,
                    "control": f.control.as_str(),
                    "verdict": f.verdict().as_str(),
                    "summary": f.summary(),
                    "notApplicable": f.na,
                    "paths": f.paths.iter().map(|p| json!({
                        "label": p.label,
                        "reach": match p.reach() { Reach::Reaches => "reaches", Reach::Blocked => "blocked", Reach::Unknown => "unknown" },
                        "hops": p.hops.iter().map(|h| {
                            let res = h.resource.and_then(|i| report.input.resources.get(i));
                            json!({
                                "step": h.step.as_str(),
                                "effect": h.effect.as_str(),
                                "text": h.text,
                                "resource": res.map(|x| json!({"type": x.rtype, "name": x.label})),
                                "path": h.path,
                            })
                        }).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The Markdown of the flows: a table, then each flow's trace in a collapsible block.
pub fn markdown(flows: &[Flow]) -> String {
    if flows.is_empty() {
        return String::new();
    }
    let mark = |v: Verdict| match v {
        Verdict::Pass => "✅ pass",
        Verdict::Fail => "❌ **fail**",
        Verdict::Unknown => "❔ unknown",
        Verdict::NotApplicable => "➖ n/a",
    };
    let cell = super::markdown::cell;
    let mut s = String::from("## Flows\n\n");
    let _ = writeln!(s, "{}\n", summary(flows));
    s.push_str("| flow | kind | scope | status | decided by |\n|---|---|---|---|---|\n");
    for f in flows {
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            f.id,
            f.kind.as_str(),
            cell(&f.scope),
            mark(f.verdict()),
            cell(&capped(&f.summary()))
        );
    }
    s.push('\n');
    for f in flows.iter().filter(|f| !f.paths.is_empty()) {
        let _ = writeln!(
            s,
            "<details><summary>{} <code>{}</code> ({}): {}</summary>\n",
            mark(f.verdict()),
            f.id,
            html(&f.scope),
            html(&f.name)
        );
        let shown = shown_paths(f);
        for p in &shown {
            let _ = writeln!(s, "**{}**: {}\n", cell(&p.label), reach(p.reach(), f.kind));
            for (i, h) in p.hops.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{}. {} ({}): {}",
                    i + 1,
                    h.step.as_str(),
                    h.effect.as_str(),
                    cell(&h.text)
                );
            }
            s.push('\n');
        }
        let more = f.paths.len() - shown.len();
        if more > 0 {
            let _ = writeln!(
                s,
                "… and {more} more path{} (`aks-harden audit --flows` prints every one)\n",
                if more == 1 { "" } else { "s" }
            );
        }
        s.push_str("</details>\n\n");
    }
    s
}

/// The paths a pull request needs to see: the one that decides a pass, or up to five that
/// fail or cannot be judged.
fn shown_paths(f: &Flow) -> Vec<&crate::audit::flows::Path> {
    let bad = match (f.verdict(), f.kind) {
        (Verdict::Fail, FlowKind::Required) => Some(Reach::Blocked),
        (Verdict::Fail, FlowKind::Forbidden) => Some(Reach::Reaches),
        (Verdict::Unknown, _) => Some(Reach::Unknown),
        _ => None,
    };
    match bad {
        Some(r) => f.paths.iter().filter(|p| p.reach() == r).take(5).collect(),
        None => f.paths.iter().take(1).collect(),
    }
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
