//! What the diagram leaves out so that it stays readable and within Mermaid's limits. Above
//! [`FULL`] spokes, spokes of one shape (same kinds of nodes with the same traits, the same
//! paths out) are drawn once and the rest of them become one summary node; past [`DRAWN`]
//! shapes a shape is only summarised, and past [`SHAPES`] the rest is one node. No VNet or the
//! space outside the VNets shows more than [`PER_BOX`] nodes.

use super::model::{Graph, Kind, Line, Role};
use std::collections::BTreeMap;

/// Up to this many spokes, every spoke is drawn.
pub(super) const FULL: usize = 4;
/// Shapes with one spoke drawn in full.
pub(super) const DRAWN: usize = 4;
/// Shapes with a summary node of their own.
pub(super) const SHAPES: usize = 12;
/// Nodes one box (a VNet, or the space outside) shows before the rest become one node.
pub(super) const PER_BOX: usize = 16;

/// A node that stands for others.
#[derive(Debug, Clone)]
pub(super) struct Summary {
    /// What it stands for.
    pub key: String,
    /// Label lines.
    pub lines: Vec<String>,
}

/// What is drawn.
#[derive(Debug, Clone, Default)]
pub(super) struct Plan {
    /// Per VNet: whether its box is drawn.
    pub net_drawn: Vec<bool>,
    /// Per VNet whose box is not drawn: the summary that stands for it.
    pub net_in: Vec<Option<usize>>,
    /// Per node: the summary that stands for it, if it is not drawn.
    pub node_in: Vec<Option<usize>>,
    /// The summaries.
    pub summaries: Vec<Summary>,
}

/// Which VNet each node belongs to for grouping: its own, or for a vault, registry or other
/// private-link target, the one VNet all its private endpoints sit in.
fn owners(g: &Graph) -> Vec<Option<usize>> {
    let mut own: Vec<Option<usize>> = g.nodes.iter().map(|n| n.net).collect();
    let mut linked: BTreeMap<usize, Vec<Option<usize>>> = BTreeMap::new();
    for e in &g.edges {
        if g.nodes[e.from].kind == Kind::Endpoint {
            linked.entry(e.to).or_default().push(g.nodes[e.from].net);
        }
    }
    for (t, nets) in linked {
        if matches!(
            g.nodes[t].kind,
            Kind::Vault | Kind::Registry | Kind::Service
        ) && nets.iter().all(|n| n.is_some() && *n == nets[0])
        {
            own[t] = nets[0];
        }
    }
    own
}

/// What makes spokes alike: their nodes' kinds and traits, the paths that leave them and
/// the VNets they are peered to.
fn shape(g: &Graph, own: &[Option<usize>], net: usize) -> String {
    let inside = |i: usize| own[i] == Some(net);
    let describe = |i: usize| {
        if inside(i) {
            let n = &g.nodes[i];
            format!("{:?}[{}]{}", n.kind, n.traits.join("|"), n.warn)
        } else {
            g.nodes[i].key.clone()
        }
    };
    let mut parts: Vec<String> = Vec::new();
    for (i, _) in g.nodes.iter().enumerate().filter(|(i, _)| inside(*i)) {
        parts.push(describe(i));
    }
    for e in &g.edges {
        if inside(e.from) || inside(e.to) {
            parts.push(format!(
                "{} -{:?}:{}-> {}",
                describe(e.from),
                e.line,
                e.label,
                describe(e.to)
            ));
        }
    }
    for &(a, b) in &g.peerings {
        if a == net {
            parts.push(format!("peer {}", g.nets[b].key));
        } else if b == net {
            parts.push(format!("peer {}", g.nets[a].key));
        }
    }
    parts.sort();
    parts.join("\n")
}

/// What a spoke holds, in a few words for a summary.
fn phrases(g: &Graph, own: &[Option<usize>], net: usize) -> Vec<String> {
    let inside = |i: usize| own[i] == Some(net);
    let mut out = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if !inside(i) {
            continue;
        }
        match n.kind {
            Kind::Cluster => out.push(format!(
                "AKS: {}",
                n.traits
                    .iter()
                    .filter(|t| !t.starts_with("pools: ") || t.contains("Kata"))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · ")
            )),
            Kind::Gateway => out.push("Application Gateway ingress".into()),
            Kind::Vault | Kind::Registry if n.warn => {
                out.push(format!("{} with public network access", n.kind.noun()));
            }
            _ => {}
        }
    }
    let mut egress: Vec<String> = Vec::new();
    let mut links: Vec<&str> = Vec::new();
    for e in &g.edges {
        if !inside(e.from) || inside(e.to) {
            continue;
        }
        let (from, to) = (&g.nodes[e.from], &g.nodes[e.to]);
        let what = match (from.kind, to.kind) {
            (Kind::Routes | Kind::Cluster, Kind::Firewall) => {
                format!("{} → firewall {}", e.label, to.name)
            }
            (Kind::Routes | Kind::Cluster, _) => format!("{} → {}", e.label, to.name),
            _ => continue,
        };
        if !egress.contains(&what) {
            egress.push(what);
        }
    }
    for e in &g.edges {
        if inside(e.from) && g.nodes[e.from].kind == Kind::Endpoint {
            let noun = match g.nodes[e.to].kind {
                Kind::Vault => "Key Vault",
                Kind::Registry => "ACR",
                _ => "services",
            };
            if !links.contains(&noun) {
                links.push(noun);
            }
        }
    }
    out.extend(egress);
    if !links.is_empty() {
        out.push(format!("private endpoints to {}", links.join(" and ")));
    }
    out
}

fn names(g: &Graph, nets: &[usize]) -> String {
    let mut s: Vec<&str> = nets
        .iter()
        .take(3)
        .map(|&n| g.nets[n].name.as_str())
        .collect();
    if nets.len() > 3 {
        s.push("…");
    }
    s.join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Decide what is drawn.
pub(super) fn plan(g: &Graph) -> Plan {
    let own = owners(g);
    let mut p = Plan {
        net_drawn: vec![true; g.nets.len()],
        net_in: vec![None; g.nets.len()],
        node_in: vec![None; g.nodes.len()],
        summaries: Vec::new(),
    };
    let spokes: Vec<usize> = (0..g.nets.len())
        .filter(|&n| g.nets[n].role != Role::Hub)
        .collect();
    if spokes.len() > FULL {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        let mut at: BTreeMap<String, usize> = BTreeMap::new();
        for &n in &spokes {
            let s = shape(g, &own, n);
            match at.get(&s) {
                Some(&i) => groups[i].1.push(n),
                None => {
                    at.insert(s.clone(), groups.len());
                    groups.push((s, vec![n]));
                }
            }
        }
        let mut rest: Vec<usize> = Vec::new();
        let mut rest_shapes = 0;
        for (gi, (_, members)) in groups.iter().enumerate() {
            let (shown, hidden) = if gi < DRAWN {
                (Some(members[0]), &members[1..])
            } else {
                (None, &members[..])
            };
            if hidden.is_empty() {
                continue;
            }
            if gi >= SHAPES {
                rest.extend_from_slice(hidden);
                rest_shapes += 1;
                continue;
            }
            let first = &g.nets[shown.unwrap_or(hidden[0])];
            let mut lines = vec![match shown {
                Some(_) => format!(
                    "{} like {}",
                    plural(hidden.len(), "more spoke", "more spokes"),
                    first.name
                ),
                None => plural(hidden.len(), "spoke", "spokes"),
            }];
            lines.extend(phrases(g, &own, hidden[0]));
            lines.push(names(g, hidden));
            hide(&mut p, &own, hidden, format!("spokes/{}", first.key), lines);
        }
        if !rest.is_empty() {
            let lines = vec![
                format!(
                    "{} in {} other shapes",
                    plural(rest.len(), "more spoke", "more spokes"),
                    rest_shapes
                ),
                names(g, &rest),
            ];
            hide(&mut p, &own, &rest, "spokes/more".into(), lines);
        }
    }
    cap_boxes(g, &mut p);
    p
}

/// Hide the VNets `nets` and all they own behind one new summary.
fn hide(p: &mut Plan, own: &[Option<usize>], nets: &[usize], key: String, lines: Vec<String>) {
    let s = p.summaries.len();
    p.summaries.push(Summary { key, lines });
    let set: std::collections::BTreeSet<usize> = nets.iter().copied().collect();
    for &n in nets {
        p.net_drawn[n] = false;
        p.net_in[n] = Some(s);
    }
    for (i, o) in own.iter().enumerate() {
        if o.is_some_and(|n| set.contains(&n)) {
            p.node_in[i] = Some(s);
        }
    }
}

/// No box shows more than [`PER_BOX`] nodes: the rest of a box becomes one node.
fn cap_boxes(g: &Graph, p: &mut Plan) {
    let mut boxes: BTreeMap<Option<usize>, Vec<usize>> = BTreeMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if p.node_in[i].is_none()
            && !matches!(n.kind, Kind::Internet | Kind::Clients | Kind::Operators)
        {
            boxes.entry(n.net).or_default().push(i);
        }
    }
    for (net, nodes) in boxes {
        if nodes.len() <= PER_BOX {
            continue;
        }
        let hidden = &nodes[PER_BOX - 1..];
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in hidden {
            let noun = match g.nodes[i].kind.noun() {
                "" => "other",
                n => n,
            };
            *counts.entry(noun).or_default() += 1;
        }
        let what: Vec<String> = counts.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
        let key = match net {
            Some(n) => format!("more/{}", g.nets[n].key),
            None => "more".into(),
        };
        let s = p.summaries.len();
        p.summaries.push(Summary {
            key,
            lines: vec![format!("{} more", hidden.len()), what.join(", ")],
        });
        for &i in hidden {
            p.node_in[i] = Some(s);
        }
    }
}

/// Where an edge end lands once summaries stand in: the node, or the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum End {
    /// A drawn node.
    Node(usize),
    /// A summary.
    Summary(usize),
}

/// The edges as drawn: ends replaced by their summaries, edges inside one summary dropped,
/// repeats dropped.
pub(super) fn edges(g: &Graph, p: &Plan) -> Vec<(End, End, Line, String)> {
    let end = |i: usize| p.node_in[i].map_or(End::Node(i), End::Summary);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for e in &g.edges {
        let (a, b) = (end(e.from), end(e.to));
        if a == b {
            continue;
        }
        let x = (a, b, e.line, e.label.clone());
        if seen.insert(x.clone()) {
            out.push(x);
        }
    }
    out
}
