//! A Mermaid flowchart of the audited estate: hub and spoke networks, the firewall, clusters,
//! private endpoints and where egress goes. GitHub renders it in the Markdown report.

use crate::audit::input::{Input, Look, look, parse_id};
use crate::azure::{subnets, types};
use serde_json::Value as Json;
use std::fmt::Write;

fn label(s: &str) -> String {
    s.replace('"', "'")
}

/// The VNet (resource index) that a subnet id points into.
fn vnet_of(input: &Input, subnet_id: &str) -> Option<usize> {
    let (t, names) = parse_id(subnet_id)?;
    if !t.eq_ignore_ascii_case(types::SUBNET) {
        return None;
    }
    input
        .resources
        .iter()
        .position(|r| r.is(types::VNET) && r.name.eq_ignore_ascii_case(&names[0]))
}

fn first_str<'a>(v: &'a Json, paths: &[&str]) -> Option<&'a str> {
    paths.iter().find_map(|p| look(v, p).str())
}

/// Render the flowchart (without the surrounding code fence).
pub fn render(input: &Input) -> String {
    let mut nodes: Vec<(Option<usize>, String)> = Vec::new(); // (vnet, node line)
    let mut edges: Vec<String> = Vec::new();
    let res = &input.resources;
    let hub = |i: usize| {
        res[i].get("properties.subnets").array().iter().any(|s| {
            s.get("name")
                .and_then(Json::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(subnets::FIREWALL))
        })
    };
    let mut firewall_ips: Vec<(usize, String)> = Vec::new();
    for (i, r) in res.iter().enumerate() {
        if r.is(types::FW) {
            let vnet = r
                .get("properties.ipConfigurations")
                .array()
                .iter()
                .find_map(|c| look(c, "properties.subnet.id").str())
                .and_then(|id| vnet_of(input, id));
            let tier = r.get("properties.sku.tier").str().unwrap_or("");
            nodes.push((
                vnet,
                format!(
                    "fw{i}[\"Azure Firewall {}<br/>{}\"]",
                    label(&r.label),
                    label(tier)
                ),
            ));
            edges.push(format!("fw{i} --> internet"));
            if let Some(v) = vnet {
                for s in res[v].get("properties.subnets").array() {
                    if s.get("name").and_then(Json::as_str) == Some(subnets::FIREWALL) {
                        if let Some(p) = look(s, "properties.addressPrefix").str() {
                            if let Some(ip) = p
                                .split_once('/')
                                .and_then(|(n, _)| n.parse::<std::net::Ipv4Addr>().ok())
                            {
                                firewall_ips.push((
                                    i,
                                    std::net::Ipv4Addr::from(u32::from(ip).wrapping_add(4))
                                        .to_string(),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    for (i, r) in res.iter().enumerate() {
        if r.is(types::AKS) {
            let subnet = r
                .get("properties.agentPoolProfiles")
                .array()
                .iter()
                .find_map(|p| first_str(p, &["vnetSubnetID"]))
                .map(str::to_string);
            let vnet = subnet.as_deref().and_then(|id| vnet_of(input, id));
            let private = r
                .get("properties.apiServerAccessProfile.enablePrivateCluster")
                .bool()
                == Some(true);
            nodes.push((
                vnet,
                format!(
                    "aks{i}[\"AKS {}<br/>{} API server\"]",
                    label(&r.label),
                    if private { "private" } else { "public" }
                ),
            ));
            let outbound = r
                .get("properties.networkProfile.outboundType")
                .str()
                .unwrap_or("loadBalancer");
            let mut routed = false;
            if outbound.eq_ignore_ascii_case("userDefinedRouting") {
                let hop = subnet.as_deref().and_then(|id| default_hop(input, id));
                if let Some(ip) = hop {
                    match firewall_ips.iter().find(|(_, x)| *x == ip) {
                        Some((fw, _)) => {
                            edges.push(format!("aks{i} -- \"0.0.0.0/0 via {ip}\" --> fw{fw}"));
                        }
                        None => {
                            nodes.push((None, format!("hop{i}[\"next hop {ip}\"]")));
                            edges.push(format!("aks{i} -- \"0.0.0.0/0\" --> hop{i}"));
                        }
                    }
                    routed = true;
                }
            }
            if !routed {
                edges.push(format!(
                    "aks{i} -- \"egress: {}\" --> internet",
                    label(outbound)
                ));
            }
        }
    }
    for (i, r) in res.iter().enumerate() {
        if r.is(types::PE) {
            let vnet = r
                .get("properties.subnet.id")
                .str()
                .and_then(|id| vnet_of(input, id));
            nodes.push((
                vnet,
                format!("pe{i}([\"private endpoint {}\"])", label(&r.label)),
            ));
            for conn in r.get("properties.privateLinkServiceConnections").array() {
                if let Some(t) = look(conn, "properties.privateLinkServiceId")
                    .str()
                    .and_then(|id| input.find_id(id))
                {
                    edges.push(format!("pe{i} -.-> paas{t}"));
                }
            }
        }
        if r.is(types::KV) || r.is(types::ACR) {
            let kind = if r.is(types::KV) { "Key Vault" } else { "ACR" };
            let public = !r
                .get("properties.publicNetworkAccess")
                .str()
                .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"));
            nodes.push((
                None,
                format!(
                    "paas{i}[(\"{kind} {}{}\")]",
                    label(&r.label),
                    if public {
                        "<br/>public network access"
                    } else {
                        ""
                    }
                ),
            ));
        }
        if r.is(types::PEERING) {
            let from = r.name.split('/').next().and_then(|v| {
                res.iter()
                    .position(|x| x.is(types::VNET) && x.name.eq_ignore_ascii_case(v))
            });
            let to = r
                .get("properties.remoteVirtualNetwork.id")
                .str()
                .and_then(|id| input.find_id(id));
            if let (Some(a), Some(b)) = (from, to) {
                let (a, b) = if a < b { (a, b) } else { (b, a) };
                let e = format!("vnet{a} -. peering .- vnet{b}");
                if !edges.contains(&e) {
                    edges.push(e);
                }
            }
        }
    }
    let mut s = String::from("flowchart LR\n  internet((\"Internet\"))\n");
    for (i, r) in res.iter().enumerate() {
        if !r.is(types::VNET) {
            continue;
        }
        let role = if hub(i) { "hub" } else { "spoke" };
        let prefixes: Vec<String> = match r.get("properties.addressSpace.addressPrefixes") {
            Look::Value(Json::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let _ = writeln!(
            s,
            "  subgraph vnet{i}[\"{role}: {} {}\"]",
            label(&r.label),
            prefixes.join(" ")
        );
        let inside: Vec<&String> = nodes
            .iter()
            .filter(|(v, _)| *v == Some(i))
            .map(|(_, n)| n)
            .collect();
        if inside.is_empty() {
            let _ = writeln!(s, "    vnet{i}_empty[\" \"]");
        }
        for n in inside {
            let _ = writeln!(s, "    {n}");
        }
        let _ = writeln!(s, "  end");
    }
    for (v, n) in &nodes {
        if v.is_none() {
            let _ = writeln!(s, "  {n}");
        }
    }
    for e in edges {
        let _ = writeln!(s, "  {e}");
    }
    s
}

/// The next-hop IP of the `0.0.0.0/0` route on a subnet's route table.
fn default_hop(input: &Input, subnet_id: &str) -> Option<String> {
    let (_, names) = parse_id(subnet_id)?;
    let vnet = vnet_of(input, subnet_id)?;
    let subnet = input.resources[vnet]
        .get("properties.subnets")
        .array()
        .iter()
        .find(|s| {
            s.get("name")
                .and_then(Json::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(&names[1]))
        })?;
    let rt = input.find_id(look(subnet, "properties.routeTable.id").str()?)?;
    input.resources[rt]
        .get("properties.routes")
        .array()
        .iter()
        .find(|r| look(r, "properties.addressPrefix").str() == Some("0.0.0.0/0"))
        .and_then(|r| look(r, "properties.nextHopIpAddress").str())
        .map(str::to_string)
}
