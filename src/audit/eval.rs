//! The engine that judges the input against each control of the catalogue: it runs every
//! control's check in catalogue order and owns the outcomes they share. A control whose subject a
//! live cluster's JSON cannot show is not assessed; one that finds nothing to judge (no cluster)
//! does not apply; a value hidden behind an expression is unknown, never a pass. Simple property
//! expectations are data ([`Rule`]), judged here; the rest is code beside its catalogue entry in
//! [`super::controls`].

use super::catalogue::{Control, Live};
use super::controls::CONTROLS;
use super::input::{Input, Kind, Look, Resource};
use super::query::{Index, Pool, SubnetView};
use crate::posture::Tier;
use serde_json::Value as Json;
use std::borrow::Cow;

/// The status of a finding or of a whole control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// The input does what the control demands.
    Pass,
    /// It does not.
    Fail,
    /// A value the control depends on hides behind an expression the audit cannot evaluate.
    Unknown,
    /// The control does not apply to this input.
    NotApplicable,
    /// The input cannot show it (the JSON of a live cluster).
    NotAssessed,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotApplicable => "n/a",
            Status::NotAssessed => "not assessed",
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it shows.
    pub status: Status,
    /// The resource (index into [`Input::resources`]).
    pub resource: Option<usize>,
    /// The property path within the resource, e.g. `properties.apiServerAccessProfile.enablePrivateCluster`.
    pub path: String,
    /// What was found, in words.
    pub message: String,
    /// Whether a waiver may cover this failure.
    pub waivable: bool,
}

/// How a control judges its input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    /// Data: every resource of a type must meet the rules, in order.
    Rules {
        /// The resource type judged (for now always clusters).
        on: &'static str,
        /// What each of them must meet.
        rules: &'static [Rule],
    },
    /// Code, for what property expectations cannot say.
    Code(fn(&mut Cx<'_>)),
    /// Whether every other control could be judged (no value hid behind an expression).
    Completeness,
}

/// What a property must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Want {
    /// `true` (or the string `"true"`).
    True,
    /// `false` (or the string `"false"`).
    False,
    /// Anything but `false`.
    NotFalse,
    /// One of these strings, in any case.
    OneOf(&'static [&'static str]),
    /// This integer.
    Int(i64),
    /// A non-empty string.
    Text,
    /// Present and not empty; a value set at deployment by an expression counts.
    Present,
}

/// A property expectation: on a resource, the value at `path` must be what `want` says.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    /// The property path (relative to a prefix for inline items such as node pools).
    pub path: &'static str,
    /// What it must be.
    pub want: Want,
    /// How the messages name what is wanted, where not derived from `want`.
    pub says: Option<&'static str>,
    /// What the API does when the property is missing, where that is fine.
    pub default: Option<&'static str>,
}

impl Rule {
    const fn new(path: &'static str, want: Want) -> Rule {
        Rule {
            path,
            want,
            says: None,
            default: None,
        }
    }

    /// `path` must be `true`.
    pub(crate) const fn is_true(path: &'static str) -> Rule {
        Rule::new(path, Want::True)
    }

    /// `path` must be `false`.
    pub(crate) const fn is_false(path: &'static str) -> Rule {
        Rule::new(path, Want::False)
    }

    /// `path` must not be `false`.
    pub(crate) const fn not_false(path: &'static str) -> Rule {
        Rule::new(path, Want::NotFalse)
    }

    /// `path` must be one of `words` (any case).
    pub(crate) const fn one_of(path: &'static str, words: &'static [&'static str]) -> Rule {
        Rule::new(path, Want::OneOf(words))
    }

    /// `path` must be the integer `n`.
    pub(crate) const fn int(path: &'static str, n: i64) -> Rule {
        Rule::new(path, Want::Int(n))
    }

    /// `path` must be a non-empty string, described as `what`.
    pub(crate) const fn text(path: &'static str, what: &'static str) -> Rule {
        Rule::new(path, Want::Text).saying(what)
    }

    /// `path` must be present and not empty, described as `what`.
    pub(crate) const fn present(path: &'static str, what: &'static str) -> Rule {
        Rule::new(path, Want::Present).saying(what)
    }

    /// Name what is wanted in the messages.
    pub(crate) const fn saying(self, says: &'static str) -> Rule {
        Rule {
            says: Some(says),
            ..self
        }
    }

    /// A missing property is fine: the API's default (`what`) does what the control demands.
    pub(crate) const fn or_default(self, what: &'static str) -> Rule {
        Rule {
            default: Some(what),
            ..self
        }
    }

    fn wanted(&self) -> Cow<'static, str> {
        if let Some(s) = self.says {
            return Cow::Borrowed(s);
        }
        match self.want {
            Want::True | Want::NotFalse => Cow::Borrowed("`true`"),
            Want::False => Cow::Borrowed("`false`"),
            Want::Int(n) => Cow::Owned(format!("`{n}`")),
            Want::OneOf(words) => Cow::Owned(
                words
                    .iter()
                    .map(|w| format!("`{w}`"))
                    .collect::<Vec<_>>()
                    .join(" or "),
            ),
            Want::Text | Want::Present => Cow::Borrowed("a value"),
        }
    }

    fn holds(&self, v: &Json) -> bool {
        match self.want {
            Want::True => truthy(v),
            Want::False => falsy(v),
            Want::NotFalse => !falsy(v),
            Want::OneOf(words) => words.iter().any(|w| eq(v, w)),
            Want::Int(n) => v.as_i64() == Some(n),
            Want::Text | Want::Present => v.as_str().is_some_and(|s| !s.is_empty()),
        }
    }
}

/// A value in a message: strings bare, everything else as compact JSON, long values cut.
pub(crate) fn show(v: &Json) -> String {
    let s = match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// Whether `v` is the string `want`, in any case.
pub(crate) fn eq(v: &Json, want: &str) -> bool {
    v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(want))
}

/// `true`, or the string `"true"` in any case.
pub(crate) fn truthy(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// `false`, or the string `"false"` in any case.
pub(crate) fn falsy(v: &Json) -> bool {
    match v {
        Json::Bool(b) => !*b,
        Json::String(s) => s.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

/// The context one control's check runs in: the input, its index, and the findings so far.
pub(crate) struct Cx<'a> {
    /// The input.
    pub i: &'a Input,
    /// The input's resources, indexed.
    pub q: &'a Index<'a>,
    /// The findings so far.
    pub f: Vec<Finding>,
}

impl<'a> Cx<'a> {
    /// Whether the input is the JSON of a live cluster.
    pub fn live(&self) -> bool {
        self.i.kind == Kind::Live
    }

    /// The resource at `idx`.
    pub fn r(&self, idx: usize) -> &'a Resource {
        &self.i.resources[idx]
    }

    /// The tier the input is judged against.
    pub fn tier(&self) -> Tier {
        self.i.tier
    }

    fn push(&mut self, status: Status, r: Option<usize>, path: &str, message: String) {
        self.f.push(Finding {
            status,
            resource: r,
            path: path.to_string(),
            message,
            waivable: true,
        });
    }

    /// Evidence that the input does what the control demands.
    pub fn pass(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Pass, r, path, message.into());
    }

    /// Evidence that it does not.
    pub fn fail(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Fail, r, path, message.into());
    }

    /// A failure no waiver covers.
    pub fn fail_hard(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Fail, r, path, message.into());
        if let Some(last) = self.f.last_mut() {
            last.waivable = false;
        }
    }

    /// A value the audit cannot evaluate.
    pub fn unknown(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Unknown, r, path, message.into());
    }

    /// A value hidden behind the expression `u`.
    pub fn unevaluated(&mut self, r: usize, path: &str, u: &str) {
        self.unknown(
            Some(r),
            path,
            format!("is `{u}`, which the audit cannot evaluate"),
        );
    }

    /// The control does not apply.
    pub fn na(&mut self, message: impl Into<String>) {
        self.push(Status::NotApplicable, None, "", message.into());
    }

    /// Something a live cluster's JSON cannot show.
    pub fn gap(&mut self, message: impl Into<String>) {
        self.push(Status::NotAssessed, None, "", message.into());
    }

    /// Judge resource `r` by `rule`, its path under `prefix` (empty for the resource itself):
    /// `Some(whether it holds)`, `None` when the value cannot be evaluated.
    pub fn check_at(&mut self, r: usize, prefix: &str, rule: &Rule) -> Option<bool> {
        let path = if prefix.is_empty() {
            Cow::Borrowed(rule.path)
        } else {
            Cow::Owned(format!("{prefix}.{}", rule.path))
        };
        if let Want::Present = rule.want {
            return Some(self.expect_present(r, &path, &rule.wanted()));
        }
        let want = rule.wanted();
        match self.r(r).get(&path) {
            Look::Value(v) => {
                let good = rule.holds(v);
                if good {
                    self.pass(Some(r), &path, format!("is `{}`", show(v)));
                } else {
                    self.fail(Some(r), &path, format!("is `{}`; want {want}", show(v)));
                }
                Some(good)
            }
            Look::Missing => {
                if let Some(d) = rule.default {
                    self.pass(Some(r), &path, format!("is not set ({d})"));
                    Some(true)
                } else {
                    self.fail(Some(r), &path, format!("is not set; want {want}"));
                    Some(false)
                }
            }
            Look::Unknown(u) => {
                self.unknown(
                    Some(r),
                    &path,
                    format!("is `{u}`, which the audit cannot evaluate; want {want}"),
                );
                None
            }
        }
    }

    /// Judge resource `r` by `rule`.
    pub fn check(&mut self, r: usize, rule: &Rule) -> Option<bool> {
        self.check_at(r, "", rule)
    }

    /// Judge resource `r` by every rule, in order.
    pub fn check_all(&mut self, r: usize, prefix: &str, rules: &[Rule]) {
        for rule in rules {
            self.check_at(r, prefix, rule);
        }
    }

    fn expect_present(&mut self, r: usize, path: &str, what: &str) -> bool {
        match self.r(r).get(path) {
            Look::Value(v) if v.as_str() == Some("") || v.as_array().is_some_and(Vec::is_empty) => {
                self.fail(Some(r), path, format!("is empty; want {what}"));
                false
            }
            Look::Value(v) => {
                self.pass(Some(r), path, format!("is `{}`", show(v)));
                true
            }
            Look::Unknown(u) => {
                self.pass(Some(r), path, format!("is set at deployment by `{u}`"));
                true
            }
            Look::Missing => {
                self.fail(Some(r), path, format!("is not set; want {what}"));
                false
            }
        }
    }

    /// The clusters, in document order.
    pub fn clusters(&self) -> Vec<usize> {
        self.q.clusters()
    }

    /// A cluster's node pools; says so when its inline pools cannot be evaluated.
    pub fn pools(&mut self, c: usize) -> Vec<Pool> {
        let (unknown, pools) = self.q.pools(c);
        if let Some(u) = unknown {
            self.unevaluated(c, "properties.agentPoolProfiles", u);
        }
        pools
    }

    /// Every subnet, inline or a child resource.
    pub fn subnets(&self) -> &'a [SubnetView] {
        self.q.subnets()
    }

    /// The subnet a subnet id names, if it is in the input.
    pub fn subnet_by_id(&self, id: &str) -> Option<&'a SubnetView> {
        self.q.subnet_by_id(id)
    }

    /// A property of a subnet.
    pub fn subnet_get(&self, s: &SubnetView, key: &str) -> Look<'a> {
        self.q.subnet_get(s, key)
    }
}

/// Evaluate every control; the findings per control, in catalogue order.
pub(crate) fn evaluate(input: &Input, index: &Index<'_>) -> Vec<Vec<Finding>> {
    let mut all: Vec<Vec<Finding>> = Vec::new();
    for c in CONTROLS {
        let mut cx = Cx {
            i: input,
            q: index,
            f: Vec::new(),
        };
        if input.kind == Kind::Live && c.live == Live::No {
            cx.gap("the JSON of a live cluster does not show what this control judges");
        } else {
            run(c, &mut cx);
        }
        all.push(cx.f);
    }
    for (n, c) in CONTROLS.iter().enumerate() {
        if let Check::Completeness = c.check {
            all[n] = vec![completeness(&all)];
        }
    }
    all
}

fn run(c: &Control, cx: &mut Cx) {
    match c.check {
        Check::Completeness => return,
        Check::Rules { on, rules } => {
            let targets: Vec<usize> = cx.q.of_type(on).map(|(i, _)| i).collect();
            for t in targets {
                cx.check_all(t, "", rules);
            }
        }
        Check::Code(check) => check(cx),
    }
    if cx.f.is_empty() {
        cx.na("nothing in the input that this control judges (no cluster)");
    }
}

/// Complete only if every other control could be judged.
fn completeness(all: &[Vec<Finding>]) -> Finding {
    let unknown: Vec<&str> = CONTROLS
        .iter()
        .zip(all)
        .filter(|(_, findings)| findings.iter().any(|x| x.status == Status::Unknown))
        .map(|(c, _)| c.id.as_str())
        .collect();
    let (status, message) = if unknown.is_empty() {
        (
            Status::Pass,
            format!(
                "every control of the catalogue ({}) could be judged; the report names the checkov, PSRule and CIS rules of each",
                CONTROLS.len()
            ),
        )
    } else {
        (
            Status::Fail,
            format!(
                "not judged, because values hide behind expressions: {}",
                unknown.join(", ")
            ),
        )
    };
    Finding {
        status,
        resource: None,
        path: String::new(),
        message,
        waivable: true,
    }
}
