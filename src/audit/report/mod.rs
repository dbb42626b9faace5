//! The audit's result: one [`ControlResult`] per control with its findings and waiver, and the
//! four ways to print it (text, JSON, SARIF, Markdown), one module each. What a report quotes
//! from the input (evidence, waiver reasons, notes) is cut at [`CAP`] characters; the JSON report
//! keeps the whole value beside the cut one.

pub mod flows;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod sarif;
pub mod text;

use super::catalogue::{Control, Severity};
use super::controls::CONTROLS;
use super::eval::{self, Finding, Status};
use super::input::{Input, Kind, Waiver, estate_line};
use crate::posture::Date;
use std::borrow::Cow;

/// The most characters a report cell or message quotes from the input.
pub const CAP: usize = 200;

/// What reports say once when they cut something at [`CAP`].
pub const CAP_NOTE: &str = "Evidence longer than 200 characters is cut short (…); the JSON report (`--format json`) keeps it whole.";

/// `s`, cut to [`CAP`] characters with an ellipsis when it is longer.
pub fn capped(s: &str) -> Cow<'_, str> {
    if s.chars().count() <= CAP {
        Cow::Borrowed(s)
    } else {
        let mut out: String = s.chars().take(CAP - 1).collect();
        out.push('…');
        Cow::Owned(out)
    }
}

/// Whether [`capped`] cuts `s`.
pub fn is_capped(s: &str) -> bool {
    s.chars().count() > CAP
}

/// What a control comes to once waivers are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// It holds.
    Pass,
    /// It fails, and no valid waiver covers it.
    Fail,
    /// It fails, and a valid waiver covers it.
    Waived,
    /// A value it depends on cannot be evaluated.
    Unknown,
    /// It does not apply.
    NotApplicable,
    /// The input cannot show it.
    NotAssessed,
}

impl Outcome {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Waived => "waived",
            Outcome::Unknown => "unknown",
            Outcome::NotApplicable => "n/a",
            Outcome::NotAssessed => "not assessed",
        }
    }

    /// A camelCase name for JSON.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Waived => "waived",
            Outcome::Unknown => "unknown",
            Outcome::NotApplicable => "notApplicable",
            Outcome::NotAssessed => "notAssessed",
        }
    }

    /// Every outcome, in summary order.
    pub const ALL: [Outcome; 6] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Waived,
        Outcome::Unknown,
        Outcome::NotApplicable,
        Outcome::NotAssessed,
    ];
}

/// What became of a waiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaiverState {
    /// It covers the failure.
    Applied,
    /// Its last day has passed: the failure stands.
    Expired,
    /// The control passes (or does not apply); the waiver should go.
    Unneeded,
    /// A failure it may not cover remains.
    Insufficient,
}

impl WaiverState {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Applied => "applied",
            WaiverState::Expired => "expired",
            WaiverState::Unneeded => "unneeded",
            WaiverState::Insufficient => "insufficient",
        }
    }
}

/// A waiver as it applied to a control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedWaiver {
    /// The waiver.
    pub waiver: Waiver,
    /// What became of it.
    pub state: WaiverState,
}

impl AppliedWaiver {
    /// `, approved by <who>` when the waiver names an approver, else nothing.
    pub fn approved_by(&self) -> String {
        self.waiver
            .approver
            .as_deref()
            .map(|a| format!(", approved by {a}"))
            .unwrap_or_default()
    }

    /// What became of the waiver, in words a reader cannot misread: `waived until 2027-06-30`,
    /// `waiver expired on 2025-05-31`, `waiver (until 2027-06-30) not needed`, ...
    pub fn describe(&self) -> String {
        let (date, by) = (self.waiver.expires, self.approved_by());
        match self.state {
            WaiverState::Applied => format!("waived until {date}{by}"),
            WaiverState::Expired => format!("waiver expired on {date}{by}"),
            WaiverState::Unneeded => format!("waiver (until {date}{by}) not needed"),
            WaiverState::Insufficient => {
                format!("waiver (until {date}{by}) does not cover every failure")
            }
        }
    }
}

/// One control's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlResult {
    /// The control.
    pub control: &'static Control,
    /// What the findings say, before waivers.
    pub status: Status,
    /// After waivers.
    pub outcome: Outcome,
    /// The waiver for this control, if the estate has one.
    pub waiver: Option<AppliedWaiver>,
    /// The evidence.
    pub findings: Vec<Finding>,
}

/// A place in the input a finding points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Path of the file.
    pub uri: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
}

/// The whole audit.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// What was audited.
    pub input: Input,
    /// The date waivers were judged on.
    pub date: Date,
    /// One result per control, in catalogue order.
    pub results: Vec<ControlResult>,
    /// Waivers that are not right (unneeded, expired, for unknown controls).
    pub warnings: Vec<String>,
    /// The required and forbidden flows traced through the estate; a failing one is also a
    /// finding of the control it serves.
    pub flows: Vec<crate::audit::flows::Flow>,
}

/// Judge `input` against the catalogue; waivers expire after `today`. The report keeps a copy
/// of `input`; [`judge`] keeps the input itself.
pub fn audit(input: &Input, today: Date) -> Report {
    judge(input.clone(), today)
}

/// How many resources make the flows worth a thread of their own beside the controls (an
/// estate of one spoke has about a hundred; ten spokes, about eight hundred).
const SIDE_BY_SIDE: usize = 1000;

/// [`audit`] for an input the caller has no more use for: the report keeps it as it is, which
/// spares copying every resource (at fleet scale, a large part of the audit's time).
pub fn judge(input: Input, today: Date) -> Report {
    let (results, warnings, flows) = judged(&input, today);
    Report {
        input,
        date: today,
        results,
        warnings,
        flows,
    }
}

/// The results, warnings and flows of `input`.
fn judged(
    input: &Input,
    today: Date,
) -> (
    Vec<ControlResult>,
    Vec<String>,
    Vec<crate::audit::flows::Flow>,
) {
    // The controls and the flows read the same input, indexed once, and nothing else: side by
    // side, unless the input is so small that starting a thread costs more than it saves.
    let index = crate::audit::query::Index::new(input);
    let controls = || eval::evaluate(input, &index);
    let flows = || crate::audit::flows::analyse_indexed(input, &index);
    let (mut evaluated, traced) = if input.resources.len() < SIDE_BY_SIDE {
        (controls(), flows())
    } else {
        crate::par::both(controls, flows)
    };
    for f in &traced {
        if let (Some(finding), Some(n)) = (
            flows::finding(f),
            CONTROLS.iter().position(|c| c.id == f.control),
        ) {
            evaluated[n].push(finding);
        }
    }
    let mut warnings = Vec::new();
    let mut results = Vec::new();
    for (c, findings) in CONTROLS.iter().zip(evaluated) {
        let status = aggregate(&findings);
        let waiver = input.waivers.iter().find(|w| w.control == c.id).cloned();
        let (outcome, state) = match (&waiver, status) {
            (None, Status::Pass) => (Outcome::Pass, None),
            (None, Status::Fail) => (Outcome::Fail, None),
            (None, Status::Unknown) => (Outcome::Unknown, None),
            (None, Status::NotApplicable) => (Outcome::NotApplicable, None),
            (None, Status::NotAssessed) => (Outcome::NotAssessed, None),
            (Some(w), Status::Fail | Status::Unknown) => {
                let expired = w.expires < today;
                let hard = findings
                    .iter()
                    .any(|f| f.status == Status::Fail && !f.waivable);
                if expired {
                    warnings.push(format!(
                        "the waiver for {} expired on {}: the failure stands",
                        c.id.as_str(),
                        w.expires
                    ));
                    (Outcome::Fail, Some(WaiverState::Expired))
                } else if hard {
                    warnings.push(format!(
                        "the waiver for {} cannot cover every failure: see the findings",
                        c.id.as_str()
                    ));
                    (Outcome::Fail, Some(WaiverState::Insufficient))
                } else {
                    (Outcome::Waived, Some(WaiverState::Applied))
                }
            }
            (Some(_), s) => {
                warnings.push(format!(
                    "the waiver for {} is not needed: the control {}; remove the waiver",
                    c.id.as_str(),
                    if s == Status::Pass {
                        "passes"
                    } else {
                        "does not apply"
                    }
                ));
                let o = match s {
                    Status::Pass => Outcome::Pass,
                    Status::NotAssessed => Outcome::NotAssessed,
                    _ => Outcome::NotApplicable,
                };
                (o, Some(WaiverState::Unneeded))
            }
        };
        results.push(ControlResult {
            control: c,
            status,
            outcome,
            waiver: waiver.map(|w| AppliedWaiver {
                waiver: w,
                state: state.unwrap_or(WaiverState::Applied),
            }),
            findings,
        });
    }
    (results, warnings, traced)
}

fn aggregate(findings: &[Finding]) -> Status {
    let has = |s: Status| findings.iter().any(|f| f.status == s);
    if has(Status::Fail) {
        Status::Fail
    } else if has(Status::Unknown) {
        Status::Unknown
    } else if has(Status::Pass) {
        Status::Pass
    } else if has(Status::NotApplicable) || findings.is_empty() {
        Status::NotApplicable
    } else {
        Status::NotAssessed
    }
}

impl Report {
    /// How many controls came to each outcome.
    pub fn count(&self, o: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == o).count()
    }

    /// Unwaived failures at or above `threshold`.
    pub fn failures(&self, threshold: Severity) -> Vec<&ControlResult> {
        self.results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail && r.control.severity.at_least(threshold))
            .collect()
    }

    /// The one-line summary: `28 controls: 26 pass, 0 fail, ...`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = Outcome::ALL
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Outcome::Pass | Outcome::Fail | Outcome::Waived | Outcome::Unknown
                ) || self.count(**o) > 0
            })
            .map(|o| format!("{} {}", self.count(*o), o.as_str()))
            .collect();
        format!("{} controls: {}", self.results.len(), parts.join(", "))
    }

    /// The summary with the verdict at a threshold.
    pub fn verdict(&self, threshold: Severity) -> String {
        let n = self.failures(threshold).len();
        let verdict = if n == 0 {
            format!("no unwaived failure at or above {}", threshold.as_str())
        } else {
            format!(
                "{n} unwaived failure{} at or above {}",
                if n == 1 { "" } else { "s" },
                threshold.as_str()
            )
        };
        format!("{}; {verdict}", self.summary())
    }

    /// How reports name a finding's resource.
    pub fn resource_label(&self, f: &Finding) -> Option<&str> {
        f.resource
            .and_then(|i| self.input.resources.get(i))
            .map(|r| r.label.as_str())
    }

    /// A finding as one line of evidence: ``label `path`: message``.
    pub fn evidence(&self, f: &Finding) -> String {
        match (self.resource_label(f), f.path.is_empty()) {
            (Some(l), false) if f.message.starts_with("is ") => {
                format!("{l} `{}` {}", f.path, f.message)
            }
            (Some(l), false) => format!("{l} `{}`: {}", f.path, f.message),
            (Some(l), true) => format!("{l}: {}", f.message),
            (None, _) => f.message.clone(),
        }
    }

    /// [`Report::location`] for the findings of `r`, one after another: an estate's line
    /// depends on the control alone, so its file is searched once for all of them (a fleet's
    /// controls have thousands of findings).
    pub(crate) fn locator<'a>(
        &'a self,
        r: &'a ControlResult,
    ) -> impl Fn(&Finding) -> Location + 'a {
        let estate = self.input.kind == Kind::Estate;
        let once = std::cell::OnceCell::new();
        move |f| {
            if estate {
                once.get_or_init(|| self.location(r, None)).clone()
            } else {
                self.location(r, Some(f))
            }
        }
    }

    /// Where a finding points in the input.
    pub fn location(&self, r: &ControlResult, f: Option<&Finding>) -> Location {
        let uri = self.input.source.uri.clone();
        let line = match self.input.kind {
            Kind::Estate => self.input.source.text.as_deref().and_then(|text| {
                if r.outcome == Outcome::Waived || r.waiver.is_some() {
                    if let Some((l, _)) =
                        estate_line(text, &format!("/waivers/{}", r.control.id.as_str()))
                    {
                        return Some(l);
                    }
                }
                // The most specific key the file has; the first of equals. A spoke's setting
                // may be written once for every spoke, under `spokeDefaults` (first, since `*`
                // matches a spoke that may not write the setting).
                let best = r
                    .control
                    .estate_keys
                    .iter()
                    .flat_map(|k| {
                        let default = k
                            .strip_prefix("/spokes/*/")
                            .map(|rest| format!("/spokeDefaults/{rest}"));
                        [default, Some((*k).to_string())].into_iter().flatten()
                    })
                    .filter_map(|k| estate_line(text, &k))
                    .fold(None::<(u32, usize)>, |best, x| match best {
                        Some(b) if b.1 >= x.1 => Some(b),
                        _ => Some(x),
                    })
                    .map(|(l, _)| l);
                best.or_else(|| estate_line(text, "/extends").map(|(l, _)| l))
                    .or(Some(1))
            }),
            Kind::Template | Kind::Plan | Kind::Live => {
                let found = f.and_then(|f| {
                    let res = self.input.resources.get(f.resource?)?;
                    let ptr = if f.path.is_empty() {
                        res.pointer.clone()
                    } else {
                        res.pointer_of(&f.path)
                    };
                    self.input.line_of_pointer(&ptr)
                });
                found.or_else(|| self.input.line_of_pointer(""))
            }
        };
        Location { uri, line }
    }
}
