//! What changes between two estates, as a typed change set: the resources added, removed and
//! changed (each changed property with its old and new value), and the security delta, the
//! controls whose verdict changes.
//!
//! Both sides are compared as the audit sees them: ARM-shaped resources with their expressions
//! evaluated, judged against the control catalogue. So one diff serves every output format, and
//! a side can be an estate (planned once, audited once: [`crate::audit_estate`]), a built-in
//! profile, or any ARM template such as a committed `arm/main.json` ([`crate::audit::Input::from_template`]).
//! Pure: the caller loads both sides (from files, a git revision or built-in profiles) and says
//! what day it is.
//!
//! ```text
//! estate ──plan──▶ IR ──ARM──▶ resources ──audit──▶ Report ─┐
//!                                                           ├──compare──▶ Diff ──▶ text | JSON | Markdown
//! template ──────────────────▶ resources ──audit──▶ Report ─┘
//! ```
//!
//! A resource is keyed by its [`Address`]: the deployment it sits in, its type, its name and,
//! for extension resources (diagnostic settings, locks, role assignments), what it attaches to.
//!
//! ```
//! use aks_harden::{diff, load_profile, load_str, posture::Date, Syntax};
//!
//! let today = Date::parse("2026-01-15").unwrap();
//! let base = load_profile("prod")?;
//! let head = load_str(
//!     "estate.json",
//!     r#"{ "extends": "prod", "spokes": { "prod": { "logAnalytics": { "retentionDays": 120 } } } }"#,
//!     Syntax::Json,
//! )?;
//! let d = diff::estates(&base, &head, today);
//! assert!(d.regressions(aks_harden::audit::Severity::Low).is_empty());
//! let changed = &d.resources[0];
//! assert_eq!(changed.address.name, "log-contoso-prod");
//! assert_eq!(changed.properties[0].path, "properties.retentionInDays");
//! # Ok::<(), aks_harden::Error>(())
//! ```

mod render;

pub use render::{json, markdown, text};

use crate::audit::{self, ControlResult, Outcome, Report, Severity, WaiverState};
use crate::posture::{Date, Tier};
use crate::{Estate, audit::input::Resource};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fmt;

/// A waiver that expires within this many days of the head side's date is called out.
pub const EXPIRING_DAYS: i64 = 30;

/// Where a resource lives, as the diff keys it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Address {
    /// The innermost deployment it sits in (`contoso-prod-cluster`); empty at the top level.
    pub deployment: String,
    /// Full resource type, e.g. `Microsoft.ContainerService/managedClusters`.
    pub rtype: String,
    /// Full name (`vnet/subnet` for children); the expression when it cannot be evaluated.
    pub name: String,
    /// For extension resources: the type and name of what they attach to.
    pub scope: Option<String>,
}

impl Address {
    fn of(r: &Resource) -> Address {
        Address {
            deployment: r.deployment.last().cloned().unwrap_or_default(),
            rtype: r.rtype.clone(),
            // A name that cannot be evaluated is keyed by its expression, which stays put when
            // resources are added before it; its place in the template would not.
            name: if r.name_known || r.raw_name.is_empty() {
                r.name.clone()
            } else {
                r.raw_name.clone()
            },
            scope: r.scope.as_deref().map(short_scope),
        }
    }

    fn key(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.deployment,
            self.rtype.to_ascii_lowercase(),
            self.name,
            self.scope.as_deref().unwrap_or_default()
        )
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.deployment.is_empty() {
            write!(f, "{}: ", self.deployment)?;
        }
        write!(f, "{} {}", self.rtype, self.name)?;
        if let Some(s) = &self.scope {
            write!(f, " on {s}")?;
        }
        Ok(())
    }
}

/// The provider part of a resource id (`Microsoft.Network/virtualNetworks/vnet-x`), without the
/// subscription and resource group, which may be parameters.
fn short_scope(scope: &str) -> String {
    let s = scope.trim_matches(|c| c == '[' || c == ']');
    match s.rfind("/providers/") {
        Some(i) => s[i + "/providers/".len()..].to_string(),
        None => s.to_string(),
    }
}

/// What happened to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only the head side has it.
    Added,
    /// Only the base side has it.
    Removed,
    /// Both have it, with different properties.
    Changed,
}

impl ChangeKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One changed property of a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChange {
    /// Its path: `properties.apiServerAccessProfile.enablePrivateCluster`; array items that
    /// carry a `name` are addressed by it (`properties.subnets[name=system]`), others by index.
    pub path: String,
    /// The base side's value; `None` when it is absent there.
    pub old: Option<Json>,
    /// The head side's value; `None` when it is absent there.
    pub new: Option<Json>,
}

/// One resource that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    /// Where it lives.
    pub address: Address,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// For a changed resource, every property that differs, in document order.
    pub properties: Vec<PropertyChange>,
}

/// How a control's verdict moves from the base side to the head side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostureChange {
    /// It fails now, and did not before.
    NewFailure,
    /// Its waiver has expired, so the failure it covered stands.
    WaiverExpired,
    /// It fails now, covered by a waiver it did not have before.
    WaiverAdded,
    /// A value it depends on can no longer be evaluated.
    BecameUnknown,
    /// It failed (or was waived, or unknown), and now holds or does not apply.
    Fixed,
    /// It is waived on both sides, by a different waiver (a new date, reason or approver).
    WaiverChanged,
    /// Some other move, e.g. from pass to not applicable.
    Changed,
}

impl PostureChange {
    /// How reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            PostureChange::NewFailure => "new failure",
            PostureChange::WaiverExpired => "waiver expired",
            PostureChange::WaiverAdded => "waiver added",
            PostureChange::BecameUnknown => "became unknown",
            PostureChange::Fixed => "fixed",
            PostureChange::WaiverChanged => "waiver changed",
            PostureChange::Changed => "changed",
        }
    }

    /// A camelCase name for JSON.
    pub fn key(self) -> &'static str {
        match self {
            PostureChange::NewFailure => "newFailure",
            PostureChange::WaiverExpired => "waiverExpired",
            PostureChange::WaiverAdded => "waiverAdded",
            PostureChange::BecameUnknown => "becameUnknown",
            PostureChange::Fixed => "fixed",
            PostureChange::WaiverChanged => "waiverChanged",
            PostureChange::Changed => "changed",
        }
    }
}

/// One control whose verdict changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlChange {
    /// The control id, e.g. `API-PRIVATE`.
    pub control: String,
    /// Its severity.
    pub severity: Severity,
    /// What it demands, in one line.
    pub title: String,
    /// How the verdict moves.
    pub change: PostureChange,
    /// The base side's verdict.
    pub old: Outcome,
    /// The head side's verdict.
    pub new: Outcome,
    /// The evidence: the head side's failing (or unknown) findings for a regression, the base
    /// side's for a fix.
    pub evidence: Vec<String>,
    /// The head side's waiver for the control, as `until DATE: reason`, when it has one.
    pub waiver: Option<String>,
}

impl ControlChange {
    /// Whether the control gets worse: pass or not applicable < waived < unknown < fail.
    pub fn regresses(&self) -> bool {
        rank(self.new) > rank(self.old)
    }
}

/// A waiver on the head side that expires soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringWaiver {
    /// The control it waives.
    pub control: String,
    /// Its last valid day.
    pub expires: Date,
    /// Days from the head side's date to its last valid day.
    pub days: i64,
    /// Why it was granted.
    pub reason: String,
}

/// Everything that changes from the base side to the head side.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// How reports name the base side (`profile prod`, `main:estate.yaml`).
    pub base: String,
    /// How reports name the head side.
    pub head: String,
    /// The tier each side is judged against: (base, head).
    pub tiers: (Tier, Tier),
    /// The date the head side's waivers are judged on.
    pub date: Date,
    /// Added resources in the head side's order, then removed ones in the base side's order,
    /// then changed ones in the head side's order.
    pub resources: Vec<ResourceChange>,
    /// Controls whose verdict changes: regressions first (most severe first), then the rest, in
    /// catalogue order within each.
    pub controls: Vec<ControlChange>,
    /// Waivers on the head side that expire within [`EXPIRING_DAYS`]. A notice only: they do not
    /// make the diff non-empty.
    pub expiring: Vec<ExpiringWaiver>,
}

impl Diff {
    /// Nothing changes: no resource and no verdict.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.controls.is_empty()
    }

    /// Controls at or above `threshold` that get worse, most severe first.
    pub fn regressions(&self, threshold: Severity) -> Vec<&ControlChange> {
        self.controls
            .iter()
            .filter(|c| c.regresses() && c.severity.at_least(threshold))
            .collect()
    }

    /// How many resources changed this way.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.resources.iter().filter(|r| r.kind == kind).count()
    }

    /// One line: `1 control gets worse, 0 better; resources: 58 added, 0 removed, 2 changed`.
    pub fn summary(&self) -> String {
        let worse = self.controls.iter().filter(|c| c.regresses()).count();
        let better = self
            .controls
            .iter()
            .filter(|c| rank(c.new) < rank(c.old))
            .count();
        format!(
            "{worse} control{} worse, {better} better; resources: {} added, {} removed, {} changed",
            if worse == 1 { " gets" } else { "s get" },
            self.count(ChangeKind::Added),
            self.count(ChangeKind::Removed),
            self.count(ChangeKind::Changed),
        )
    }
}

/// Compare two estates: plan and audit each once, on `today`.
pub fn estates(base: &Estate, head: &Estate, today: Date) -> Diff {
    let source = |e: &Estate| audit::Source::new(format!("estate {}", e.name), "", None);
    compare(
        &crate::audit_estate(base, source(base), today),
        &crate::audit_estate(head, source(head), today),
    )
}

/// Compare two audited sides. Each report carries the resources it judged, so nothing is
/// planned or audited again.
pub fn compare(base: &Report, head: &Report) -> Diff {
    Diff {
        base: base.input.source.label.clone(),
        head: head.input.source.label.clone(),
        tiers: (base.input.tier, head.input.tier),
        date: head.date,
        resources: resources(&base.input.resources, &head.input.resources),
        controls: controls(base, head),
        expiring: expiring(head),
    }
}

// ---- resources ----

/// Resources by key, in document order; a second resource with the same key gets `#2`.
fn keyed(resources: &[Resource]) -> Vec<(String, Address, &Resource)> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    resources
        .iter()
        .map(|r| {
            let mut a = Address::of(r);
            let n = seen.entry(a.key()).or_default();
            *n += 1;
            if *n > 1 {
                a.name = format!("{}#{n}", a.name);
            }
            (a.key(), a, r)
        })
        .collect()
}

fn resources(base: &[Resource], head: &[Resource]) -> Vec<ResourceChange> {
    let base = keyed(base);
    let head = keyed(head);
    let base_by: BTreeMap<&str, &Resource> =
        base.iter().map(|(k, _, r)| (k.as_str(), *r)).collect();
    let head_by: BTreeMap<&str, &Resource> =
        head.iter().map(|(k, _, r)| (k.as_str(), *r)).collect();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for (k, a, r) in &head {
        match base_by.get(k.as_str()) {
            None => added.push(ResourceChange {
                address: a.clone(),
                kind: ChangeKind::Added,
                properties: Vec::new(),
            }),
            Some(old) => {
                let mut properties = Vec::new();
                values("", &old.body, &r.body, &mut properties);
                if !properties.is_empty() {
                    changed.push(ResourceChange {
                        address: a.clone(),
                        kind: ChangeKind::Changed,
                        properties,
                    });
                }
            }
        }
    }
    let removed = base
        .iter()
        .filter(|(k, _, _)| !head_by.contains_key(k.as_str()))
        .map(|(_, a, _)| ResourceChange {
            address: a.clone(),
            kind: ChangeKind::Removed,
            properties: Vec::new(),
        });
    added.extend(removed);
    added.extend(changed);
    added
}

fn child(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$' || c == '@');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", Json::String(key.to_string())),
    }
}

/// Whether every item is an object with a distinct string `name`.
fn named(items: &[Json]) -> Option<Vec<&str>> {
    let names: Option<Vec<&str>> = items
        .iter()
        .map(|v| {
            (audit::input::as_unknown(v).is_none())
                .then(|| v.get("name").and_then(Json::as_str))
                .flatten()
        })
        .collect();
    let names = names?;
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == names.len()).then_some(names)
}

fn push(out: &mut Vec<PropertyChange>, path: &str, old: Option<&Json>, new: Option<&Json>) {
    out.push(PropertyChange {
        path: path.to_string(),
        old: old.map(clean),
        new: new.map(clean),
    });
}

/// Every difference between two values, depth first in document order.
fn values(path: &str, old: &Json, new: &Json, out: &mut Vec<PropertyChange>) {
    if old == new {
        return;
    }
    let unknown =
        audit::input::as_unknown(old).is_some() || audit::input::as_unknown(new).is_some();
    match (old, new) {
        (Json::Object(a), Json::Object(b)) if !unknown => {
            for (k, v) in a {
                let p = child(path, k);
                match b.get(k) {
                    Some(w) => values(&p, v, w, out),
                    None if v.is_null() => {}
                    None => push(out, &p, Some(v), None),
                }
            }
            for (k, w) in b {
                if !a.contains_key(k) && !w.is_null() {
                    push(out, &child(path, k), None, Some(w));
                }
            }
        }
        (Json::Array(a), Json::Array(b)) => {
            if let (Some(na), Some(nb)) = (named(a), named(b)) {
                for (name, v) in na.iter().zip(a) {
                    let p = format!("{path}[name={name}]");
                    match nb.iter().position(|n| n == name) {
                        Some(i) => values(&p, v, &b[i], out),
                        None => push(out, &p, Some(v), None),
                    }
                }
                for (name, w) in nb.iter().zip(b) {
                    if !na.contains(name) {
                        push(out, &format!("{path}[name={name}]"), None, Some(w));
                    }
                }
            } else if a.len() == b.len() && a.iter().chain(b).any(Json::is_object) {
                for (i, (v, w)) in a.iter().zip(b).enumerate() {
                    values(&format!("{path}[{i}]"), v, w, out);
                }
            } else {
                push(out, path, Some(old), Some(new));
            }
        }
        _ => push(out, path, Some(old), Some(new)),
    }
}

/// The value with the audit's markers for unknown values spelt as `<unknown: what>`.
fn clean(v: &Json) -> Json {
    if let Some(u) = audit::input::as_unknown(v) {
        return Json::String(format!("<unknown: {u}>"));
    }
    match v {
        Json::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), clean(v))).collect()),
        Json::Array(a) => Json::Array(a.iter().map(clean).collect()),
        other => other.clone(),
    }
}

// ---- posture ----

/// How bad a verdict is: pass or not applicable < waived < unknown < fail.
fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Pass | Outcome::NotApplicable | Outcome::NotAssessed => 0,
        Outcome::Waived => 1,
        Outcome::Unknown => 2,
        Outcome::Fail => 3,
    }
}

fn waiver_text(r: &ControlResult) -> Option<String> {
    r.waiver.as_ref().map(|w| {
        format!(
            "until {}{}: {}",
            w.waiver.expires,
            w.approved_by(),
            w.waiver.reason
        )
    })
}

fn evidence(report: &Report, r: &ControlResult) -> Vec<String> {
    let wanted = if r.outcome == Outcome::Unknown {
        audit::Status::Unknown
    } else {
        audit::Status::Fail
    };
    r.findings
        .iter()
        .filter(|f| f.status == wanted)
        .map(|f| report.evidence(f))
        .collect()
}

fn classify(old: &ControlResult, new: &ControlResult) -> Option<PostureChange> {
    let (a, b) = (rank(old.outcome), rank(new.outcome));
    let expired = new
        .waiver
        .as_ref()
        .is_some_and(|w| w.state == WaiverState::Expired);
    Some(match (old.outcome, new.outcome) {
        (x, y) if x == y => {
            if x == Outcome::Waived && old.waiver != new.waiver {
                PostureChange::WaiverChanged
            } else {
                return None;
            }
        }
        (_, Outcome::Fail) if expired => PostureChange::WaiverExpired,
        (_, Outcome::Fail) => PostureChange::NewFailure,
        (_, Outcome::Waived) if old.outcome != Outcome::Fail || old.waiver.is_none() => {
            PostureChange::WaiverAdded
        }
        (_, Outcome::Unknown) if b > a => PostureChange::BecameUnknown,
        _ if b == 0 && a > 0 => PostureChange::Fixed,
        _ => PostureChange::Changed,
    })
}

fn controls(base: &Report, head: &Report) -> Vec<ControlChange> {
    let mut out: Vec<ControlChange> = Vec::new();
    for new in &head.results {
        let id = new.control.id.to_string();
        let Some(old) = base.results.iter().find(|r| r.control.id == new.control.id) else {
            continue;
        };
        let Some(change) = classify(old, new) else {
            continue;
        };
        let evidence = if rank(new.outcome) >= rank(old.outcome) {
            evidence(head, new)
        } else {
            evidence(base, old)
        };
        out.push(ControlChange {
            control: id,
            severity: new.control.severity,
            title: new.control.title.to_string(),
            change,
            old: old.outcome,
            new: new.outcome,
            evidence,
            waiver: waiver_text(new),
        });
    }
    // Regressions first, most severe first; the sort is stable, so catalogue order holds within.
    out.sort_by_key(|c| {
        (
            !c.regresses(),
            if c.regresses() {
                c.severity
            } else {
                Severity::Critical
            },
        )
    });
    out
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days(d: Date) -> i64 {
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(d.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn expiring(head: &Report) -> Vec<ExpiringWaiver> {
    head.results
        .iter()
        .filter_map(|r| {
            let w = r.waiver.as_ref()?;
            let left = days(w.waiver.expires) - days(head.date);
            (w.state == WaiverState::Applied && (0..=EXPIRING_DAYS).contains(&left)).then(|| {
                ExpiringWaiver {
                    control: r.control.id.to_string(),
                    expires: w.waiver.expires,
                    days: left,
                    reason: w.waiver.reason.clone(),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn days_round_trip() {
        for n in [-1000_i64, 0, 59, 60, 365, 10_957, 20_000, 50_000] {
            assert_eq!(days(Date::from_unix_days(n)), n);
        }
    }

    #[test]
    fn property_paths_name_items_and_values() {
        let mut out = Vec::new();
        values(
            "",
            &json!({"properties": {"a": true, "subnets": [{"name": "x", "p": 1}], "r": ["1"]}}),
            &json!({"properties": {"a": false, "subnets": [{"name": "x", "p": 2}, {"name": "y"}], "r": ["1", "2"], "n": 3}}),
            &mut out,
        );
        let paths: Vec<&str> = out.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "properties.a",
                "properties.subnets[name=x].p",
                "properties.subnets[name=y]",
                "properties.r",
                "properties.n"
            ]
        );
        assert_eq!(out[0].old, Some(json!(true)));
        assert_eq!(out[4].old, None);
    }

    #[test]
    fn scopes_lose_their_subscription() {
        assert_eq!(
            short_scope(
                "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"
            ),
            "Microsoft.Network/networkSecurityGroups/nsg"
        );
    }
}
