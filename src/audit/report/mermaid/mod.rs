//! A Mermaid flowchart of the audited estate, read left to right along the paths traffic takes:
//! clients and operators, the VNets (hubs and spokes as their peerings make them) with what is
//! deployed into them, egress drawn once per route table (subnets → route → firewall → upstream
//! hop or Internet), private endpoints beside their spoke and what they reach. Ids derive from
//! resource names, so a change to the estate changes only the lines it concerns. Large estates
//! are summarised (see [`collapse`]) so that every diagram stays within Mermaid's default limits;
//! GitHub renders it in the Markdown report.

mod collapse;
mod model;
mod names;

use crate::audit::input::Input;
use collapse::{End, Plan};
use model::{Graph, Kind, Line, Role};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Mermaid's default `maxTextSize`: a longer diagram is refused.
pub const MAX_TEXT: usize = 50_000;
/// Mermaid's default `maxEdges`: a diagram with more edges is refused.
pub const MAX_EDGES: usize = 500;
/// The longest label line drawn.
const MAX_LINE: usize = 90;

/// Text safe in a quoted Mermaid label, cut to `MAX_LINE` characters.
fn text(s: &str) -> String {
    let cut: String = if s.chars().count() > MAX_LINE {
        s.chars()
            .take(MAX_LINE - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        s.to_string()
    };
    let mut out = String::new();
    for c in cut.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Label lines joined for Mermaid.
fn label(lines: &[String]) -> String {
    lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| text(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// How many edges a diagram has (what Mermaid counts against `maxEdges`).
pub fn edge_count(diagram: &str) -> usize {
    diagram
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            !l.starts_with("classDef") && (l.contains("--") || l.contains("-."))
        })
        .count()
}

/// Render the flowchart (without the surrounding code fence).
pub fn render(input: &Input) -> String {
    let g = model::build(input);
    let plan = collapse::plan(&g);
    draw(&g, &plan)
}

fn shape(kind: Kind, id: &str, label: &str) -> String {
    match kind {
        Kind::Internet | Kind::Clients => format!("{id}((\"{label}\"))"),
        Kind::Operators => format!("{id}[/\"{label}\"/]"),
        Kind::Firewall => format!("{id}{{{{\"{label}\"}}}}"),
        Kind::Routes => format!("{id}>\"{label}\"]"),
        Kind::Hop | Kind::Fleet | Kind::Summary => format!("{id}[[\"{label}\"]]"),
        Kind::Endpoint => format!("{id}([\"{label}\"])"),
        Kind::Vault | Kind::Registry | Kind::Service => format!("{id}[(\"{label}\")]"),
        Kind::Cluster | Kind::Bastion | Kind::Gateway => format!("{id}[\"{label}\"]"),
    }
}

fn draw(g: &Graph, p: &Plan) -> String {
    // Ids, from names and keys only.
    let mut wanted: Vec<(&str, &str, &str)> = Vec::new();
    for n in &g.nodes {
        wanted.push((n.kind.prefix(), n.name.as_str(), n.key.as_str()));
    }
    let net_keys: Vec<String> = g.nets.iter().map(|n| format!("vnet:{}", n.key)).collect();
    for (n, k) in g.nets.iter().zip(&net_keys) {
        wanted.push(("vnet", n.name.as_str(), k.as_str()));
    }
    let summary_names: Vec<String> = p
        .summaries
        .iter()
        .map(|s| s.key.replace("virtualnetworks/", ""))
        .collect();
    for (s, name) in p.summaries.iter().zip(&summary_names) {
        wanted.push((Kind::Summary.prefix(), name.as_str(), s.key.as_str()));
    }
    let ids = names::assign(&wanted);
    let node_id = |i: usize| ids[&g.nodes[i].key].as_str();
    let net_id = |n: usize| ids[&net_keys[n]].as_str();
    let summary_id = |s: usize| ids[&p.summaries[s].key].as_str();

    let node_line = |i: usize| {
        let n = &g.nodes[i];
        let mut lines = vec![match n.kind.noun() {
            "" => n.name.clone(),
            noun => format!("{noun} {}", n.name),
        }];
        lines.extend(n.traits.iter().cloned());
        let mut s = shape(n.kind, node_id(i), &label(&lines));
        if n.warn {
            s.push_str(":::warn");
        }
        s
    };

    let mut s = String::from("flowchart LR\n");
    let drawn = |i: usize| p.node_in[i].is_none();
    // Where traffic starts.
    for i in g.of_kind(Kind::Clients).chain(g.of_kind(Kind::Operators)) {
        let _ = writeln!(s, "  {}", node_line(i));
    }
    let mut inside: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if let (Some(net), true) = (n.net, drawn(i)) {
            inside.entry(net).or_default().push(i);
        }
    }
    let mut extra: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (si, sm) in p.summaries.iter().enumerate() {
        if let Some(net) = sm
            .key
            .strip_prefix("more/")
            .and_then(|k| g.nets.iter().position(|n| n.key == k))
        {
            extra.entry(net).or_default().push(si);
        }
    }
    for (n, net) in g.nets.iter().enumerate() {
        if !p.net_drawn[n] {
            continue;
        }
        let role = match net.role {
            Role::Hub => "hub",
            Role::Spoke => "spoke",
            Role::Plain => "VNet",
        };
        let title = format!("{role} {} {}", net.name, net.prefixes.join(" "));
        let _ = writeln!(s, "  subgraph {}[\"{}\"]", net_id(n), text(title.trim()));
        for &i in inside.get(&n).map_or(&[][..], Vec::as_slice) {
            let _ = writeln!(s, "    {}", node_line(i));
        }
        for &si in extra.get(&n).map_or(&[][..], Vec::as_slice) {
            let _ = writeln!(
                s,
                "    {}:::many",
                shape(
                    Kind::Summary,
                    summary_id(si),
                    &label(&p.summaries[si].lines)
                )
            );
        }
        let _ = writeln!(s, "  end");
    }
    // Outside the VNets: the Internet, hops, PaaS, Fleet, and the summaries.
    for (i, n) in g.nodes.iter().enumerate() {
        if n.net.is_none() && drawn(i) && !matches!(n.kind, Kind::Clients | Kind::Operators) {
            let _ = writeln!(s, "  {}", node_line(i));
        }
    }
    for (si, sm) in p.summaries.iter().enumerate() {
        if !sm.key.starts_with("more/") {
            let _ = writeln!(
                s,
                "  {}:::many",
                shape(Kind::Summary, summary_id(si), &label(&sm.lines))
            );
        }
    }
    let end_id = |e: End| match e {
        End::Node(i) => node_id(i),
        End::Summary(si) => summary_id(si),
    };
    for (a, b, line, l) in collapse::edges(g, p) {
        // A private link reads from the service to its endpoint, which puts the service beside
        // the spoke rather than across the egress path.
        let link = matches!(a, End::Node(i) if g.nodes[i].kind == Kind::Endpoint);
        let (a, b, arrow) = match line {
            Line::Dotted if link => (b, a, "-.-"),
            Line::Solid => (a, b, "-->"),
            Line::Dotted => (a, b, "-.->"),
        };
        if l.is_empty() {
            let _ = writeln!(s, "  {} {arrow} {}", end_id(a), end_id(b));
        } else {
            let _ = writeln!(s, "  {} {arrow}|\"{}\"| {}", end_id(a), text(&l), end_id(b));
        }
    }
    let mut peerings: Vec<(String, String)> = Vec::new();
    let net_end = |n: usize| {
        if p.net_drawn[n] {
            Some(net_id(n).to_string())
        } else {
            p.net_in[n].map(|si| summary_id(si).to_string())
        }
    };
    for &(a, b) in &g.peerings {
        // The hub last: egress runs from spoke to hub, and so does the peering.
        let (a, b) = if g.nets[a].role == Role::Hub && g.nets[b].role != Role::Hub {
            (b, a)
        } else {
            (a, b)
        };
        if let (Some(x), Some(y)) = (net_end(a), net_end(b)) {
            let pair = (x, y);
            if pair.0 != pair.1 && !peerings.contains(&pair) {
                peerings.push(pair);
            }
        }
    }
    for (x, y) in peerings {
        let _ = writeln!(s, "  {x} -.-|\"peering\"| {y}");
    }
    s.push_str("  classDef warn stroke:#c62828,stroke-width:3px\n");
    s.push_str("  classDef many stroke-dasharray:5 3\n");
    s
}
