//! The estate as a system: a network and access model built once from the ARM-shaped resources
//! (so it works on planned estates, any ARM template and a Terraform plan alike), and flows
//! traced through it hop by hop.
//!
//! ```text
//! resources ──index──▶ Net (VNets, subnets, routes, NSGs, peerings, firewalls and their
//!   policies, private endpoints, private DNS zones and links, role assignments)
//!   ──flows──▶ required flows (must succeed) and forbidden flows (must be blocked),
//!              each a set of paths, each path a list of hops naming the element it crossed
//! ```
//!
//! A hop passes, blocks or is unknown. A path is blocked as soon as one hop blocks; a path
//! with an unknown hop and no block is unknown. A required flow passes when every path gets
//! through; a forbidden flow passes when every path is blocked. What the model cannot know (an
//! address behind an expression, the ranges of a service tag, a DNS server outside the input) is
//! unknown, never a pass. A failing required flow or an open forbidden flow becomes a finding of
//! the control it serves, with that control's severity, so the audit gate refuses it.
//!
//! The rules encoded, and what the model deliberately leaves out, are in `docs/flows.md`.

/// The text of a hop from its pieces, as `format!("{}{}…", …)` would print them, written into
/// one string sized up front: traces write millions of these at fleet scale, and plain pieces
/// need none of the formatting machinery.
macro_rules! text {
    ($($piece:expr),+ $(,)?) => {
        $crate::audit::flows::join(&[$(&$piece as &dyn $crate::audit::flows::Piece),+])
    };
}

mod access;
pub(crate) mod addr;
mod catalog;
mod dns;
mod firewall;
mod net;

use super::input::{Input, Kind as InputKind};
use super::query::Index;
use crate::posture::ControlId;

/// What `text!` builds: the pieces one after the other, in a string of their size.
pub(crate) fn join(pieces: &[&dyn Piece]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(Piece::size).sum());
    for p in pieces {
        p.put(&mut out);
    }
    out
}

/// A piece of a hop's text: how long it is at most, and how it is written.
pub(crate) trait Piece {
    /// An upper bound of its length.
    fn size(&self) -> usize;
    /// Write it as `Display` does.
    fn put(&self, out: &mut String);
}

impl Piece for str {
    fn size(&self) -> usize {
        self.len()
    }
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn size(&self) -> usize {
        self.len()
    }
    fn put(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl<T: Piece + ?Sized> Piece for &T {
    fn size(&self) -> usize {
        (**self).size()
    }
    fn put(&self, out: &mut String) {
        (**self).put(out);
    }
}

impl Piece for i64 {
    fn size(&self) -> usize {
        20
    }
    fn put(&self, out: &mut String) {
        if *self < 0 {
            out.push('-');
        }
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = self.unsigned_abs();
        loop {
            at -= 1;
            digits[at] = b'0' + u8::try_from(n % 10).unwrap_or_default();
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
    }
}

impl Piece for addr::Cidr {
    fn size(&self) -> usize {
        18
    }
    fn put(&self, out: &mut String) {
        self.write_into(out);
    }
}

impl Piece for addr::Addr {
    fn size(&self) -> usize {
        match self {
            addr::Addr::Range(_) => 18,
            addr::Addr::Internet => 19,
            addr::Addr::Service(s) => s.fqdn.len(),
        }
    }
    fn put(&self, out: &mut String) {
        match self {
            addr::Addr::Range(c) => c.write_into(out),
            addr::Addr::Internet => out.push_str("an internet address"),
            addr::Addr::Service(s) => out.push_str(&s.fqdn),
        }
    }
}

impl Piece for net::Conn {
    fn size(&self) -> usize {
        9
    }
    fn put(&self, out: &mut String) {
        out.push_str(self.proto.as_str());
        out.push(' ');
        i64::from(self.port).put(out);
    }
}

/// Whether a flow must succeed or must be blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FlowKind {
    /// It must succeed: the estate does not work without it.
    Required,
    /// It must be blocked: the estate is not safe with it.
    Forbidden,
}

impl FlowKind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Required => "required",
            FlowKind::Forbidden => "forbidden",
        }
    }
}

/// What a flow comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// A required flow gets through, or a forbidden flow is blocked.
    Pass,
    /// A required flow is blocked, or a forbidden flow gets through.
    Fail,
    /// The model cannot tell.
    Unknown,
    /// Nothing in the input the flow applies to.
    NotApplicable,
}

impl Verdict {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Unknown => "unknown",
            Verdict::NotApplicable => "n/a",
        }
    }
}

/// What a hop of a trace is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Name resolution.
    Resolve,
    /// Where the flow starts.
    Source,
    /// A network security group's rules.
    Nsg,
    /// The route chosen.
    Route,
    /// A virtual network peering.
    Peering,
    /// Azure Firewall's rules.
    Firewall,
    /// How traffic leaves for the internet.
    Egress,
    /// The way replies come back.
    Return,
    /// An Application Gateway and its WAF.
    Gateway,
    /// A setting of the cluster the flow depends on.
    Cluster,
    /// A role assignment.
    Permission,
    /// Where the flow ends.
    Destination,
}

impl Step {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Resolve => "resolve",
            Step::Source => "source",
            Step::Nsg => "nsg",
            Step::Route => "route",
            Step::Peering => "peering",
            Step::Firewall => "firewall",
            Step::Egress => "egress",
            Step::Return => "return",
            Step::Gateway => "gateway",
            Step::Cluster => "cluster",
            Step::Permission => "permission",
            Step::Destination => "destination",
        }
    }
}

/// What a hop does to the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It lets it through.
    Passes,
    /// It stops it.
    Blocks,
    /// The model cannot tell.
    Unknown,
}

impl Effect {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Passes => "passes",
            Effect::Blocks => "blocks",
            Effect::Unknown => "unknown",
        }
    }
}

/// One hop of a trace: the element crossed and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// What kind of hop it is.
    pub step: Step,
    /// What it did.
    pub effect: Effect,
    /// The element and its decision, in words: resource names, rule names and priorities.
    pub text: String,
    /// The resource that decided (index into [`Input::resources`]).
    pub resource: Option<usize>,
    /// The property path of the deciding element in that resource.
    pub path: String,
}

/// Whether a path gets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every hop lets it through.
    Reaches,
    /// A hop stops it.
    Blocked,
    /// No hop stops it, and some hop cannot be judged.
    Unknown,
}

/// One way traffic can take, hop by hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// What the path is (`snet-system → mcr.microsoft.com:443`).
    pub label: String,
    /// The hops, in order; a path ends at the hop that blocks it.
    pub hops: Vec<Hop>,
    /// Set when the trace could not go on (a route the model cannot choose).
    pub stuck: bool,
}

impl Path {
    /// Whether the path gets through.
    pub fn reach(&self) -> Reach {
        if self.hops.iter().any(|h| h.effect == Effect::Blocks) {
            Reach::Blocked
        } else if self.stuck || self.hops.iter().any(|h| h.effect == Effect::Unknown) {
            Reach::Unknown
        } else {
            Reach::Reaches
        }
    }

    /// The hop that decides the path: the one that blocks it, else the first unknown one, else
    /// the last.
    pub fn decisive(&self) -> Option<&Hop> {
        self.hops
            .iter()
            .find(|h| h.effect == Effect::Blocks)
            .or_else(|| self.hops.iter().find(|h| h.effect == Effect::Unknown))
            .or_else(|| self.hops.last())
    }
}

/// A required or forbidden flow, with its paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// A stable id (`nodes-egress`), the same for every estate.
    pub id: &'static str,
    /// What it is, in words.
    pub name: String,
    /// What it is about: the cluster, spoke, gateway or VNet.
    pub scope: String,
    /// Required or forbidden.
    pub kind: FlowKind,
    /// The control it serves: a failure is a finding of that control, at its severity.
    pub control: ControlId,
    /// The paths; empty when nothing in the input applies.
    pub paths: Vec<Path>,
    /// Why the flow does not apply, when it does not.
    pub na: Option<String>,
}

impl Flow {
    /// What the flow comes to.
    pub fn verdict(&self) -> Verdict {
        if self.paths.is_empty() {
            return Verdict::NotApplicable;
        }
        let any = |r: Reach| self.paths.iter().any(|p| p.reach() == r);
        let bad = match self.kind {
            FlowKind::Required => Reach::Blocked,
            FlowKind::Forbidden => Reach::Reaches,
        };
        if any(bad) {
            Verdict::Fail
        } else if any(Reach::Unknown) {
            Verdict::Unknown
        } else {
            Verdict::Pass
        }
    }

    /// The path and hop that decide the verdict: for a failure, the blocking hop of a required
    /// flow or the last hop of an open forbidden path; for unknown, the first unknown hop; for a
    /// pass, the blocking hop of a forbidden flow's first path (or the last hop of a required one).
    pub fn decisive(&self) -> Option<(&Path, &Hop)> {
        let want = match (self.verdict(), self.kind) {
            (Verdict::Fail, FlowKind::Required) | (Verdict::Pass, FlowKind::Forbidden) => {
                Reach::Blocked
            }
            (Verdict::Fail, FlowKind::Forbidden) | (Verdict::Pass, FlowKind::Required) => {
                Reach::Reaches
            }
            (Verdict::Unknown, _) => Reach::Unknown,
            (Verdict::NotApplicable, _) => return None,
        };
        let p = self.paths.iter().find(|p| p.reach() == want)?;
        Some((p, p.decisive()?))
    }

    /// One line: the verdict in words with the deciding element.
    pub fn summary(&self) -> String {
        let v = self.verdict();
        let head = match (self.kind, v) {
            (FlowKind::Required, Verdict::Pass) | (FlowKind::Forbidden, Verdict::Fail) => {
                "gets through"
            }
            (FlowKind::Required, Verdict::Fail) | (FlowKind::Forbidden, Verdict::Pass) => {
                "is blocked"
            }
            (_, Verdict::Unknown) => "cannot be judged",
            (_, Verdict::NotApplicable) => "does not apply",
        };
        match (self.decisive(), &self.na) {
            (_, Some(why)) if v == Verdict::NotApplicable => format!("{head}: {why}"),
            (Some((p, h)), _) if v != Verdict::Pass || self.kind == FlowKind::Forbidden => {
                format!("{head} ({}): {}", p.label, h.text)
            }
            _ => format!(
                "{head} ({} path{})",
                self.paths.len(),
                if self.paths.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Build the model of `input` and trace every flow it holds. A live cluster's JSON holds no
/// network, so it has no flows.
pub fn analyse(input: &Input) -> Vec<Flow> {
    if input.kind == InputKind::Live {
        return Vec::new();
    }
    analyse_indexed(input, &Index::new(input))
}

/// [`analyse`] with the input's index already built (the audit builds it once for the
/// controls and the flows).
pub(crate) fn analyse_indexed(input: &Input, index: &Index<'_>) -> Vec<Flow> {
    if input.kind == InputKind::Live {
        return Vec::new();
    }
    let model = net::Net::build(input, index);
    catalog::flows(&model)
}

/// Every flow id with what it checks and the control it serves, in report order.
pub const FLOW_IDS: &[(&str, FlowKind, ControlId, &str)] = catalog::IDS;

#[cfg(test)]
mod tests {
    use super::addr::{Addr, Cidr};
    use super::net::Conn;

    /// A hop's text from pieces is what `format!` prints for them.
    #[test]
    fn pieces_print_as_display_does() {
        for n in [0_i64, 7, 10, 65000, -1, -4096, i64::MAX, i64::MIN] {
            for port in [0_u16, 22, 443, 65535] {
                let conn = Conn::tcp(port);
                let range = Addr::Range(Cidr {
                    base: 0x0A00_1000,
                    len: 24,
                });
                assert_eq!(
                    text!(
                        "rule `",
                        "x",
                        "` (priority ",
                        n,
                        ") ",
                        range,
                        " ",
                        conn,
                        " → ",
                        Addr::Internet
                    ),
                    format!("rule `x` (priority {n}) {range} {conn} → an internet address")
                );
            }
        }
    }
}
