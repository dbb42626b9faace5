//! The three ways to print a [`Diff`]: text for a terminal, JSON for tools, Markdown for a pull
//! request comment. Each puts the posture first: the controls that get worse, then the rest,
//! then the resources.

use super::{ChangeKind, ControlChange, Diff, PropertyChange, ResourceChange};
use crate::audit::Severity;
use serde_json::{Value as Json, json};
use std::fmt::Write;

/// A value as the diff prints it: compact JSON, `(absent)` when missing, long values cut.
fn show(v: Option<&Json>, max: usize) -> String {
    let Some(v) = v else {
        return "(absent)".into();
    };
    let s = v.to_string();
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn was_now(c: &ControlChange) -> String {
    format!("{} → {}", c.old.as_str(), c.new.as_str())
}

fn tiers(d: &Diff) -> String {
    if d.tiers.0 == d.tiers.1 {
        format!("tier {}", d.tiers.1.as_str())
    } else {
        format!("tier {} → {}", d.tiers.0.as_str(), d.tiers.1.as_str())
    }
}

// ---- text ----

/// The diff for a terminal. `threshold` decides which regressions count for the verdict line.
pub fn text(d: &Diff, threshold: Severity) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "aks-harden diff of {} → {} ({}) on {}",
        d.base,
        d.head,
        tiers(d),
        d.date
    );
    if d.is_empty() {
        let _ = writeln!(s, "\nno changes: the same resources and the same verdicts");
    }
    let (worse, other): (Vec<&ControlChange>, Vec<&ControlChange>) =
        d.controls.iter().partition(|c| c.regresses());
    for (title, list) in [
        ("posture gets worse", &worse),
        ("other posture changes", &other),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title}:");
        for c in list {
            let _ = writeln!(
                s,
                "  {} {:<8} {:<22} {:<15} {} ({})",
                if c.regresses() { "!" } else { " " },
                c.severity.as_str(),
                c.control,
                c.change.as_str(),
                c.title,
                was_now(c)
            );
            for e in &c.evidence {
                let _ = writeln!(s, "      - {e}");
            }
            if let Some(w) = &c.waiver {
                let _ = writeln!(s, "      waiver {w}");
            }
        }
    }
    if !d.expiring.is_empty() {
        let _ = writeln!(s, "\nwaivers expiring soon:");
        for w in &d.expiring {
            let _ = writeln!(
                s,
                "  {:<22} expires {} (in {} day{}): {}",
                w.control,
                w.expires,
                w.days,
                if w.days == 1 { "" } else { "s" },
                w.reason
            );
        }
    }
    for kind in [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Changed] {
        let list: Vec<&ResourceChange> = d.resources.iter().filter(|r| r.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\nresources {} ({}):", kind.as_str(), list.len());
        let mark = match kind {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
        };
        for r in list {
            let _ = writeln!(s, "  {mark} {}", r.address);
            for p in &r.properties {
                let _ = writeln!(
                    s,
                    "      {}: {} → {}",
                    p.path,
                    show(p.old.as_ref(), 100),
                    show(p.new.as_ref(), 100)
                );
            }
        }
    }
    let _ = writeln!(s, "\n{}", verdict(d, threshold));
    s
}

/// The closing line: the summary and whether anything at or above `threshold` gets worse.
fn verdict(d: &Diff, threshold: Severity) -> String {
    let n = d.regressions(threshold).len();
    let v = if n == 0 {
        format!("no control at or above {} gets worse", threshold.as_str())
    } else {
        format!(
            "{n} control{} at or above {} get{} worse",
            if n == 1 { "" } else { "s" },
            threshold.as_str(),
            if n == 1 { "s" } else { "" }
        )
    };
    format!("{}; {v}", d.summary())
}

// ---- JSON ----

fn property_json(p: &PropertyChange) -> Json {
    json!({ "path": p.path, "old": p.old, "new": p.new })
}

/// The diff for tools: one object with `summary`, `controls`, `expiringWaivers` and `resources`.
pub fn json(d: &Diff, threshold: Severity) -> String {
    let controls: Vec<Json> = d
        .controls
        .iter()
        .map(|c| {
            json!({
                "id": c.control,
                "severity": c.severity.as_str(),
                "title": c.title,
                "change": c.change.key(),
                "regresses": c.regresses(),
                "old": c.old.key(),
                "new": c.new.key(),
                "evidence": c.evidence,
                "waiver": c.waiver,
            })
        })
        .collect();
    let resources: Vec<Json> = d
        .resources
        .iter()
        .map(|r| {
            json!({
                "change": r.kind.as_str(),
                "address": r.address.to_string(),
                "deployment": r.address.deployment,
                "type": r.address.rtype,
                "name": r.address.name,
                "scope": r.address.scope,
                "properties": r.properties.iter().map(property_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    let expiring: Vec<Json> = d
        .expiring
        .iter()
        .map(|w| json!({ "id": w.control, "expires": w.expires.to_string(), "days": w.days, "reason": w.reason }))
        .collect();
    let doc = json!({
        "base": d.base,
        "head": d.head,
        "tiers": { "base": d.tiers.0.as_str(), "head": d.tiers.1.as_str() },
        "date": d.date.to_string(),
        "threshold": threshold.as_str(),
        "summary": {
            "empty": d.is_empty(),
            "regressions": d.regressions(threshold).len(),
            "controlsChanged": d.controls.len(),
            "added": d.count(ChangeKind::Added),
            "removed": d.count(ChangeKind::Removed),
            "changed": d.count(ChangeKind::Changed),
        },
        "controls": controls,
        "expiringWaivers": expiring,
        "resources": resources,
    });
    crate::emit::pretty_json(&doc)
}

// ---- Markdown ----

/// Text safe in a table cell: pipes escaped, no line breaks, no HTML.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// Inline code in a table cell that survives pipes and backticks in the value (code spans show
/// `<` as it is, so nothing else needs escaping).
fn code(s: &str) -> String {
    let s = s.replace('|', "\\|").replace(['\n', '\r'], " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn control_rows(s: &mut String, list: &[&ControlChange]) {
    let _ = writeln!(s, "| | control | severity | change | verdict | evidence |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for c in list {
        let mut ev: Vec<String> = c.evidence.iter().map(|e| cell(e)).collect();
        if let Some(w) = &c.waiver {
            ev.push(format!("waiver {}", cell(w)));
        }
        let _ = writeln!(
            s,
            "| {} | {} {} | {} | {} | {} | {} |",
            c.severity.mark(),
            code(&c.control),
            cell(&c.title),
            c.severity.as_str(),
            c.change.as_str(),
            was_now(c),
            ev.join("<br>")
        );
    }
}

/// The diff for a pull request comment: the summary first, the controls that get worse at the
/// top, the other changes and the resources folded in `<details>` blocks.
pub fn markdown(d: &Diff, threshold: Severity) -> String {
    let mut s = String::new();
    let regressions = d.regressions(threshold);
    let _ = writeln!(s, "## aks-harden diff\n");
    let head = if d.is_empty() {
        "✅ **No changes**: the same resources and the same verdicts.".to_string()
    } else if regressions.is_empty() {
        format!(
            "✅ **No control at or above {} gets worse.**",
            threshold.as_str()
        )
    } else {
        format!(
            "❌ **{} control{} at or above {} get{} worse.**",
            regressions.len(),
            if regressions.len() == 1 { "" } else { "s" },
            threshold.as_str(),
            if regressions.len() == 1 { "s" } else { "" }
        )
    };
    let _ = writeln!(s, "{head}\n");
    let _ = writeln!(
        s,
        "{} → {} ({}, judged on {}): {}.\n",
        code(&d.base),
        code(&d.head),
        tiers(d),
        d.date,
        d.summary()
    );
    let (worse, other): (Vec<&ControlChange>, Vec<&ControlChange>) =
        d.controls.iter().partition(|c| c.regresses());
    if !worse.is_empty() {
        let _ = writeln!(s, "### Posture gets worse\n");
        control_rows(&mut s, &worse);
        s.push('\n');
    }
    if !d.expiring.is_empty() {
        let _ = writeln!(s, "### Waivers expiring soon\n");
        for w in &d.expiring {
            let _ = writeln!(
                s,
                "- {} expires on {} (in {} day{}): {}",
                code(&w.control),
                w.expires,
                w.days,
                if w.days == 1 { "" } else { "s" },
                cell(&w.reason)
            );
        }
        s.push('\n');
    }
    if !other.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>Other posture changes ({})</summary>\n",
            other.len()
        );
        control_rows(&mut s, &other);
        let _ = writeln!(s, "\n</details>\n");
    }
    for kind in [ChangeKind::Added, ChangeKind::Removed] {
        let list: Vec<&ResourceChange> = d.resources.iter().filter(|r| r.kind == kind).collect();
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "<details><summary>Resources {} ({})</summary>\n",
            kind.as_str(),
            list.len()
        );
        let _ = writeln!(s, "| deployment | type | name |");
        let _ = writeln!(s, "|---|---|---|");
        for r in list {
            let name = match &r.address.scope {
                Some(sc) => format!("{} on {}", code(&r.address.name), code(sc)),
                None => code(&r.address.name),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {name} |",
                code(&r.address.deployment),
                code(&r.address.rtype)
            );
        }
        let _ = writeln!(s, "\n</details>\n");
    }
    let changed: Vec<&ResourceChange> = d
        .resources
        .iter()
        .filter(|r| r.kind == ChangeKind::Changed)
        .collect();
    if !changed.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>Resources changed ({})</summary>\n",
            changed.len()
        );
        for r in changed {
            let _ = writeln!(s, "{}\n", code(&r.address.to_string()));
            let _ = writeln!(s, "| property | before | after |");
            let _ = writeln!(s, "|---|---|---|");
            for p in &r.properties {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    code(&p.path),
                    code(&show(p.old.as_ref(), 200)),
                    code(&show(p.new.as_ref(), 200))
                );
            }
            s.push('\n');
        }
        let _ = writeln!(s, "</details>");
    }
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}
