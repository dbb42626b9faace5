//! The audit: the control catalogue and its evaluation over ARM-shaped resources, so one
//! catalogue judges three kinds of input:
//!
//! - planned resources (the IR of an estate, as the ARM emitter spells it), with the estate's
//!   tier, waivers and tags as a [`Context`] ([`Input::from_ir`]); the library builds both, see
//!   [`crate::audit_estate`] and [`crate::generate`];
//! - any ARM template, nested inline deployments and child resources included, with parameter
//!   values from a parameter file or the defaults ([`Input::from_template`]);
//! - the JSON of a live cluster from `az aks show -o json` ([`Input::from_live`]), for what that
//!   JSON can answer.
//!
//! ```text
//! input ──flatten──▶ resources (expressions evaluated or marked unknown) ──index──▶ queries
//!   ──evaluate──▶ findings per control ──waivers, today's date──▶ Report ──▶ text | JSON | SARIF | Markdown
//! ```
//!
//! Pure: no I/O and no clock. The caller passes today's date, which decides whether a waiver
//! has expired. A value hidden behind an expression the audit cannot evaluate is reported as
//! unknown, never as a pass. The audit reads the IR and the shared vocabulary of
//! [`crate::posture`]; it never reads the estate model or the estate-file types.
//!
//! ```
//! use aks_harden::audit::{self, Context, Date, Input, Outcome, Source};
//!
//! let estate = aks_harden::load_profile("prod")?;
//! let template = aks_harden::plan::plan(&estate);
//! let context = Context { tier: estate.tier, waivers: estate.waivers.clone(), tags: None };
//! let input = Input::from_ir(&template, context, Source::new("profile prod", "", None));
//! let report = audit::audit(&input, Date::parse("2025-06-01").unwrap());
//! assert_eq!(report.count(Outcome::Fail), 0);
//! # Ok::<(), aks_harden::Error>(())
//! ```

pub mod catalogue;
mod controls;
pub mod docs;
pub(crate) mod eval;
pub mod expr;
pub mod flows;
pub mod input;
mod query;
pub mod report;

pub use crate::posture::Date;
pub use catalogue::{CONTROLS, Control, Live, SEED_TOPICS, Section, Severity, Topic, control};
pub use eval::{Finding, Status};
pub use input::{Context, Input, InputError, Kind, Source, Waiver};
pub use report::{ControlResult, Outcome, Report, WaiverState, audit, judge};

/// An output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// For a terminal.
    Text,
    /// For tools.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// For a pull request.
    Markdown,
}

/// Render a report; `threshold` is the severity at or above which unwaived failures count.
pub fn render(
    report: &Report,
    format: ReportFormat,
    threshold: Severity,
) -> Result<String, report::markdown::TemplateError> {
    Ok(match format {
        ReportFormat::Text => report::text::render(report, threshold),
        ReportFormat::Json => report::json::render(report, threshold),
        ReportFormat::Sarif => report::sarif::render(report),
        ReportFormat::Markdown => report::markdown::render(report, threshold)?,
    })
}
