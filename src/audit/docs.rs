//! `docs/controls/`: the catalogue as Markdown, one page per control and an index, rendered
//! from the handlebars templates in `templates/`. Committed, and kept fresh by a test.

use super::catalogue::{CONTROLS, Control, SEED_TOPICS, Section};
use super::report::markdown::{TemplateError, cell, registry};
use crate::emit::Files;
use serde_json::json;

/// The folder the pages live in, relative to the repository root.
pub const DIR: &str = "docs/controls";

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "—".into()
    } else {
        items
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn control_view(c: &Control) -> serde_json::Value {
    let topic = c.seed_topic();
    json!({
        "id": c.id.as_str(),
        "mark": c.severity.mark(),
        "severity": c.severity.as_str(),
        "section": c.section.title(),
        "topic": c.topic,
        "topic_section": topic.map_or("", |t| t.section),
        "title": cell(c.title),
        "demands": c.demands,
        "why": c.why,
        "fix": c.fix,
        "checkov": list(c.checkov),
        "psrule": list(c.psrule),
        "cis": list(c.cis),
        "live": c.live.as_str(),
    })
}

/// Every page: path (relative to the repository root) → content.
pub fn render() -> Result<Files, TemplateError> {
    const INDEX: &str = "controls-index.md";
    const PAGE: &str = "control.md";
    let h = registry(&[
        (INDEX, include_str!("../../templates/controls-index.md.hbs")),
        (PAGE, include_str!("../../templates/control.md.hbs")),
    ])?;
    let err = |template: &'static str| {
        move |e: handlebars::RenderError| TemplateError {
            template,
            message: e.to_string(),
        }
    };
    let mut files = Files::new();
    let sections: Vec<_> = Section::ALL
        .iter()
        .map(|s| {
            let controls: Vec<_> = CONTROLS
                .iter()
                .filter(|c| c.section == *s)
                .map(control_view)
                .collect();
            json!({"title": s.title(), "controls": controls})
        })
        .collect();
    let topics: Vec<_> = SEED_TOPICS
        .iter()
        .map(|t| {
            let ids: Vec<String> = CONTROLS
                .iter()
                .filter(|c| c.topic == t.text)
                .map(|c| format!("[`{0}`]({0}.md)", c.id.as_str()))
                .collect();
            json!({
                "section": t.section,
                "text": cell(t.text),
                "mark": t.severity.map_or("—", |s| s.mark()),
                "controls": ids.join(", "),
            })
        })
        .collect();
    let index = h
        .render(
            INDEX,
            &json!({"count": CONTROLS.len(), "sections": sections, "topics": topics}),
        )
        .map_err(err(INDEX))?;
    files.insert(format!("{DIR}/README.md"), index);
    for c in CONTROLS {
        let page = h.render(PAGE, &control_view(c)).map_err(err(PAGE))?;
        files.insert(format!("{DIR}/{}.md", c.id.as_str()), page);
    }
    Ok(files)
}
