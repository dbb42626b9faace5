//! The vocabulary of the control catalogue (`CONTROLS.md` in code) and the guideline's topics it
//! covers. The controls themselves, each with its check, live in [`super::controls`] by section.
//!
//! Each control has a stable id ([`ControlId`]), the guideline's severity, the seed topic it
//! answers, what it demands, why it matters, how to fix a failure, the third-party rules that
//! judge the same thing, and how it is judged. Waivers in estate files name these ids; ids never
//! change once released.

pub use super::controls::CONTROLS;
use super::eval::Check;
use crate::posture::ControlId;

/// Severity on the guideline's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// 💥
    Critical,
    /// 🔥
    High,
    /// ☁️
    Medium,
    /// ⛅
    Low,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    /// The guideline's mark.
    pub fn mark(self) -> &'static str {
        match self {
            Severity::Critical => "💥",
            Severity::High => "🔥",
            Severity::Medium => "☁️",
            Severity::Low => "⛅",
        }
    }

    /// Parse a lower-case name.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether this severity is at or above `threshold` (critical is above high).
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

/// A section of the guideline (and of `CONTROLS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Separating environments.
    SeparatingEnvironments,
    /// Securing a cluster.
    SecuringACluster,
    /// Authentication and authorisation.
    Authentication,
    /// Securing workloads.
    SecuringWorkloads,
    /// Special topics.
    SpecialTopics,
}

impl Section {
    /// Every section in guideline order.
    pub const ALL: [Section; 5] = [
        Section::SeparatingEnvironments,
        Section::SecuringACluster,
        Section::Authentication,
        Section::SecuringWorkloads,
        Section::SpecialTopics,
    ];

    /// The heading.
    pub fn title(self) -> &'static str {
        match self {
            Section::SeparatingEnvironments => "Separating environments",
            Section::SecuringACluster => "Securing a cluster",
            Section::Authentication => "Authentication and authorisation",
            Section::SecuringWorkloads => "Securing workloads",
            Section::SpecialTopics => "Special topics",
        }
    }

    /// A short slug for anchors and file names.
    pub fn slug(self) -> &'static str {
        match self {
            Section::SeparatingEnvironments => "separating-environments",
            Section::SecuringACluster => "securing-a-cluster",
            Section::Authentication => "authentication-and-authorisation",
            Section::SecuringWorkloads => "securing-workloads",
            Section::SpecialTopics => "special-topics",
        }
    }
}

/// How much of a control the JSON of a live cluster (`az aks show -o json`) can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// Everything the control demands is a property of the cluster.
    Full,
    /// The cluster's part; the rest (networks, vaults, role assignments) is not in that JSON.
    Partial,
    /// Nothing: the control is about resources around the cluster.
    No,
}

impl Live {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Live::Full => "full",
            Live::Partial => "partial",
            Live::No => "none",
        }
    }
}

/// A topic of the seed guideline (`guidelines-for-securing-kubernetes-on-azure.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    /// The seed section it is listed under.
    pub section: &'static str,
    /// The topic as the seed words it.
    pub text: &'static str,
    /// The seed's severity, for checklist items; `None` for headings of the seed's structure.
    pub severity: Option<Severity>,
}

const fn t(section: &'static str, text: &'static str, severity: Option<Severity>) -> Topic {
    Topic {
        section,
        text,
        severity,
    }
}

/// Every topic of the seed: its checklist items (with their severity) and the headings of its
/// structure that have no checklist item of their own. Every one is answered by at least one
/// control (a test checks this).
pub const SEED_TOPICS: &[Topic] = &[
    t(
        "Separating environments",
        "Cluster vs Namespace isolation",
        Some(Severity::High),
    ),
    t(
        "Separating environments",
        "Azure service principals and MSI",
        Some(Severity::High),
    ),
    t(
        "Separating environments",
        "Dedicated nodes / hyper-v isolation on Nodes",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Master Endpoint security in AKS / ACS-Engine",
        Some(Severity::Critical),
    ),
    t(
        "Securing a cluster",
        "Securing access to host vms",
        Some(Severity::Critical),
    ),
    t(
        "Securing a cluster",
        "Upgrading and mainting hosts, apparmor, linux capabilities filter, os security patching",
        Some(Severity::Critical),
    ),
    t(
        "Securing a cluster",
        "Evaluation of security benchbmarks like KubeBench / CSI",
        Some(Severity::High),
    ),
    t(
        "Securing a cluster",
        "Security Impact of activating addons and dashboard",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Encrypted service to service communication",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Service Endpoints for PaaS Service lockdown",
        Some(Severity::Medium),
    ),
    t(
        "Securing a cluster",
        "Monitoring and Auditing of security relevant events",
        None,
    ),
    t("Securing a cluster", "Configuration best practices", None),
    t(
        "Ensuring Authentication/ Authorization",
        "Azure AD Service Accounts and Groups",
        Some(Severity::High),
    ),
    t(
        "Ensuring Authentication/ Authorization",
        "Maintaining Secrets",
        Some(Severity::High),
    ),
    t(
        "Securing Workloads",
        "Image scanning in azure container registry and third party products like Twistlock, Neuvektor and Aqua",
        Some(Severity::High),
    ),
    t(
        "Securing Workloads",
        "Ensuring adimission controllers/ pod security policies, privileged pods, runasroot, volumes, fsGroups, hostports on AKS / ACS-Engine",
        Some(Severity::Medium),
    ),
    t(
        "Securing Workloads",
        "Capabilities of filtering network traffic with policies, azure firewall or network appliances",
        Some(Severity::Medium),
    ),
    t("Special topics", "Private clusters?", None),
    t("Special topics", "Forced tunneling", None),
];

/// One control.
#[derive(Debug, Clone, Copy)]
pub struct Control {
    /// Stable id.
    pub id: ControlId,
    /// Severity.
    pub severity: Severity,
    /// Catalogue section.
    pub section: Section,
    /// The seed topic it answers (a [`Topic::text`] of [`SEED_TOPICS`]).
    pub topic: &'static str,
    /// What it demands, in one line.
    pub title: &'static str,
    /// What it demands, in full, as ARM properties.
    pub demands: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// How to fix a failure, in an estate file or a template.
    pub fix: &'static str,
    /// checkov ids that judge the same thing.
    pub checkov: &'static [&'static str],
    /// PSRule for Azure rule names that judge the same thing.
    pub psrule: &'static [&'static str],
    /// CIS Azure Kubernetes Service Benchmark sections (v1.7 numbering).
    pub cis: &'static [&'static str],
    /// How much `az aks show -o json` answers.
    pub live: Live,
    /// Where an estate file sets what the control judges (JSON pointers, `*` for any map key),
    /// most specific first. Reports point there.
    pub estate_keys: &'static [&'static str],
    /// How it is judged.
    pub(crate) check: Check,
}

/// Controls are the same when their ids are.
impl PartialEq for Control {
    fn eq(&self, other: &Control) -> bool {
        self.id == other.id
    }
}

impl Eq for Control {}

impl Control {
    /// The seed topic this control answers.
    pub fn seed_topic(&self) -> Option<&'static Topic> {
        SEED_TOPICS.iter().find(|t| t.text == self.topic)
    }

    /// A CamelCase rule name for SARIF (`API-PRIVATE` → `ApiPrivate`).
    pub fn rule_name(&self) -> String {
        self.id
            .as_str()
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_string() + &c.as_str().to_lowercase(),
                    None => String::new(),
                }
            })
            .collect()
    }
}

/// The control with `id` (as written in estate files and reports).
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id.as_str() == id)
}
