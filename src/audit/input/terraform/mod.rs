//! Terraform plans (`terraform show -json plan.out`) as ARM-shaped resources: the planned values
//! of the root module and every child module (each `count` and `for_each` instance is its own
//! resource there), azurerm resources read back through the azurerm translation's own table of
//! kinds and attribute rows ([`crate::emit::terraform::azurerm::read_back`]), so the emitter and
//! this reader cannot drift, and azapi resources, which carry ARM bodies as they are.
//!
//! A value Terraform knows only after apply (`after_unknown`) is unknown, except an id whose
//! configuration references exactly one resource of the plan: that one is the referenced
//! resource's id, as `resourceId()` spells it in a template. References are followed through
//! module variables and outputs.
//!
//! The irregular parts of the translation (identity blocks, add-on blocks, subnets, pools, the
//! `maintenance_window_*` blocks, subnet associations) are read back by hand here, next to the
//! rows the table gives.

mod convert;

use super::resource::{Place, Resource};
use crate::audit::expr::{self, relative_id};
use crate::emit::terraform::azurerm;
use convert::{azapi, azurerm_resource, set, str_of, subnet, windows};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// The taint `default_node_pool` spells as `only_critical_addons_enabled`.
const CRITICAL_ONLY: &str = "CriticalAddonsOnly=true:NoSchedule";
/// Marks a value that stands for the id of the resource at an address.
const REF: &str = "\u{1}ref:";

/// One planned resource instance.
struct Planned {
    address: String,
    /// The module it is in (`module.a.module.b`, empty for the root).
    module: String,
    tf: String,
    values: Json,
    pointer: String,
}

/// The resources of a plan, and notes on what was not read.
pub(super) fn resources(doc: &Json) -> Result<(Vec<Resource>, Vec<String>), String> {
    let root = doc
        .pointer("/planned_values/root_module")
        .map(|r| (r, "/planned_values/root_module"))
        .or_else(|| doc.pointer("/values/root_module").map(|r| (r, "/values/root_module")))
        .ok_or("not a Terraform plan: `terraform show -json` output with `planned_values` was expected")?;
    let unknown: BTreeMap<String, Json> = doc
        .get("resource_changes")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c.get("address")?.as_str()?.to_string(),
                c.pointer("/change/after_unknown")?.clone(),
            ))
        })
        .collect();
    let mut planned = Vec::new();
    collect(root.0, root.1, "", &mut planned);
    let config = doc.pointer("/configuration/root_module");
    let mut notes = Vec::new();
    for p in &mut planned {
        if let Some(u) = unknown.get(&p.address) {
            overlay(
                &mut p.values,
                u,
                &p.address,
                &mut Vec::new(),
                config,
                &p.module,
                &p.address,
            );
        }
    }
    let readings = azurerm::read_back();
    let mut out: Vec<(String, Resource)> = Vec::new();
    let mut updates = Vec::new();
    for p in &planned {
        match p.tf.as_str() {
            "azapi_update_resource" => updates.push(p),
            "azapi_resource" => out.push((p.address.clone(), azapi(p))),
            // Terraform's own resource, which `gen` writes as the end of a deployment that
            // others wait for: nothing in Azure to judge, nor to note.
            "terraform_data" => {}
            t => match readings.iter().find(|r| r.tf == t) {
                Some(r) => out.push((p.address.clone(), azurerm_resource(p, r))),
                None if t == "azurerm_subnet" => out.push((p.address.clone(), subnet(p))),
                None if t.starts_with("azurerm_subnet_") && t.ends_with("_association") => {}
                None => notes.push(format!(
                    "`{}` ({t}) is not a type the audit reads; it is not judged",
                    p.address
                )),
            },
        }
    }
    resolve(&mut out, &planned);
    for p in planned
        .iter()
        .filter(|p| p.tf.starts_with("azurerm_subnet_") && p.tf.ends_with("_association"))
    {
        associate(&mut out, p);
    }
    for p in updates {
        update(&mut out, p);
    }
    Ok((out.into_iter().map(|(_, r)| r).collect(), notes))
}

/// Every managed resource of a module and its children.
fn collect(module: &Json, pointer: &str, prefix: &str, out: &mut Vec<Planned>) {
    for (i, r) in module
        .get("resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if r.get("mode").and_then(Json::as_str) != Some("managed") {
            continue;
        }
        out.push(Planned {
            address: r
                .get("address")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            module: prefix.to_string(),
            tf: r
                .get("type")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            values: r.get("values").cloned().unwrap_or(Json::Null),
            pointer: format!("{pointer}/resources/{i}"),
        });
    }
    for (i, c) in module
        .get("child_modules")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let addr = c.get("address").and_then(Json::as_str).unwrap_or_default();
        collect(c, &format!("{pointer}/child_modules/{i}"), addr, out);
    }
}

/// Put the values known only after apply in place: an id that references one resource as a
/// reference to it, anything else as an unknown marker.
#[allow(clippy::too_many_arguments)]
fn overlay(
    v: &mut Json,
    unknown: &Json,
    address: &str,
    path: &mut Vec<String>,
    config: Option<&Json>,
    module: &str,
    own: &str,
) {
    match unknown {
        Json::Bool(true) => {
            *v = match reference(config, module, own, path) {
                Some(target) => Json::String(format!("{REF}{target}")),
                None => expr::marker(&format!("{address}.{} (known after apply)", path.join("."))),
            };
        }
        Json::Object(o) => {
            if !v.is_object() {
                *v = Json::Object(Map::new());
            }
            for (k, u) in o {
                if let Json::Object(m) = v {
                    let slot = m.entry(k.clone()).or_insert(Json::Null);
                    path.push(k.clone());
                    overlay(slot, u, address, path, config, module, own);
                    path.pop();
                }
            }
        }
        Json::Array(a) => {
            if !v.is_array() {
                *v = Json::Array(Vec::new());
            }
            for (i, u) in a.iter().enumerate() {
                if let Json::Array(items) = v {
                    while items.len() <= i {
                        items.push(Json::Null);
                    }
                    path.push(i.to_string());
                    overlay(&mut items[i], u, address, path, config, module, own);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

/// The configuration module at a module address (`module.a.module.b`).
fn config_module<'a>(config: &'a Json, module: &str) -> Option<&'a Json> {
    let mut m = config;
    let segs: Vec<&str> = module.split('.').filter(|s| !s.is_empty()).collect();
    for pair in segs.chunks(2) {
        let name = pair.get(1)?.split('[').next()?;
        m = m.get("module_calls")?.get(name)?.get("module")?;
    }
    Some(m)
}

/// The resource address an attribute's configuration references, when it is exactly the id of
/// one resource: followed through `var.*` (the module call's argument) and `module.*.*` (the
/// module's output). `each.key` and `count.index` pick the referring instance's own key.
fn reference(config: Option<&Json>, module: &str, own: &str, path: &[String]) -> Option<String> {
    let config = config?;
    let m = config_module(config, module)?;
    let local = own
        .strip_prefix(module)
        .unwrap_or(own)
        .trim_start_matches('.');
    let base = strip_index(local);
    let res = m
        .get("resources")?
        .as_array()?
        .iter()
        .find(|r| r.get("address").and_then(Json::as_str) == Some(base.as_str()))?;
    let mut e = res.get("expressions")?;
    for seg in path {
        if e.get("references").is_some() {
            break;
        }
        e = match e {
            Json::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            other => other.get(seg)?,
        };
    }
    let refs = e.get("references")?;
    let (mut target, attr) = follow(config, module, refs, 0)?;
    let attr_name = path
        .iter()
        .rev()
        .find(|s| s.parse::<usize>().is_err())
        .map_or("", String::as_str);
    let id_like = attr_name.ends_with("_id") || attr_name.ends_with("_ids") || attr_name == "scope";
    let ok = match attr.as_deref() {
        Some("id") => true,
        None => id_like,
        Some(_) => false,
    };
    let keyed = refs
        .as_array()
        .is_some_and(|a| a.iter().any(|r| r == "each.key" || r == "count.index"));
    if keyed && !target.ends_with(']') {
        if let Some(i) = local.rfind('[') {
            target.push_str(&local[i..]);
        }
    }
    ok.then_some(target)
}

fn strip_index(a: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in a.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The resource (and attribute) the first reference names.
fn follow(
    config: &Json,
    module: &str,
    refs: &Json,
    depth: usize,
) -> Option<(String, Option<String>)> {
    if depth > 16 {
        return None;
    }
    let first = refs.as_array()?.first()?.as_str()?;
    let segs: Vec<&str> = first.split('.').collect();
    match segs.as_slice() {
        ["var", name, ..] => {
            // The argument of this module's call, in the parent module.
            let (parent, call) = module.rsplit_once(".module.").map_or_else(
                || ("", module.strip_prefix("module.")),
                |(p, c)| (p, Some(c)),
            );
            let call = call?.split('[').next()?;
            let pm = config_module(config, parent)?;
            let e = pm
                .get("module_calls")?
                .get(call)?
                .get("expressions")?
                .get(*name)?;
            follow(config, parent, e.get("references")?, depth + 1)
        }
        ["module", m, output, ..] => {
            let child = if module.is_empty() {
                format!("module.{m}")
            } else {
                format!("{module}.module.{m}")
            };
            let cm = config_module(config, &child)?;
            let e = cm.get("outputs")?.get(*output)?.get("expression")?;
            follow(config, &child, e.get("references")?, depth + 1)
        }
        [t, n, rest @ ..] if t.contains('_') => {
            let local = format!("{t}.{n}");
            let address = if module.is_empty() {
                local
            } else {
                format!("{module}.{local}")
            };
            Some((address, rest.first().map(|a| (*a).to_string())))
        }
        _ => None,
    }
}

/// The ARM id of a converted resource, as `resourceId()` spells it.
fn id_of(r: &Resource) -> String {
    let names: Vec<String> = r.name.split('/').map(str::to_string).collect();
    relative_id(&r.rtype, &names)
}

/// Replace references to resources (`{REF}address`) with their ids; the names of children
/// (`{REF}parent-id/name`) with their parent's name.
fn resolve(out: &mut Vec<(String, Resource)>, planned: &[Planned]) {
    // Windows first: they need the cluster's name.
    for p in planned
        .iter()
        .filter(|p| p.tf == "azurerm_kubernetes_cluster")
    {
        if let Some(name) = str_of(&p.values, "name") {
            out.extend(
                windows(p, &name)
                    .into_iter()
                    .map(|r| (p.address.clone(), r)),
            );
        }
    }
    let ids: Vec<(String, String, String)> = out
        .iter()
        .filter(|(_, r)| !r.name.starts_with(REF))
        .map(|(a, r)| (a.clone(), id_of(r), r.name.clone()))
        .collect();
    let lookup = |s: &str| -> Option<Json> {
        let target = s.strip_prefix(REF)?;
        ids.iter()
            .find(|(a, _, _)| a == target)
            .map(|(_, id, _)| Json::String(id.clone()))
    };
    for (_, r) in out.iter_mut() {
        fix(&mut r.body, &lookup);
        if let Some(s) = r.scope.clone() {
            if let Some(Json::String(id)) = lookup(&s) {
                r.scope = Some(id);
            }
        }
        if let Some(rest) = r.name.clone().strip_prefix(REF) {
            // `{parent}/{name}`: the parent is a reference or a full id.
            let (parent, own) = rest.rsplit_once('/').unwrap_or(("", rest));
            let parent_name = match lookup(&format!("{REF}{parent}")) {
                Some(Json::String(id)) => super::parse_id(&id).map(|(_, n)| n.join("/")),
                _ => super::parse_id(parent).map(|(_, n)| n.join("/")),
            };
            r.name = match parent_name {
                Some(pn) => format!("{pn}/{own}"),
                None => format!("(unknown)/{own}"),
            };
            r.label = r.name.clone();
            r.raw_name = own.to_string();
        }
    }
    // Extension resources (role assignments) live in the resource group of what they attach to.
    let placed: Vec<(String, Option<Place>)> = out
        .iter()
        .map(|(_, r)| (id_of(r).to_ascii_lowercase(), r.resource_group.clone()))
        .collect();
    for (_, r) in out.iter_mut() {
        if let Some(scope) = &r.scope {
            let scope = scope.to_ascii_lowercase();
            if let Some((_, g)) = placed.iter().find(|(id, _)| *id == scope) {
                r.resource_group.clone_from(g);
            }
        }
    }
    // Pools and children inherit their parent's resource group.
    let groups: Vec<(String, Option<Place>)> = out
        .iter()
        .map(|(_, r)| (r.name.to_ascii_lowercase(), r.resource_group.clone()))
        .collect();
    for (_, r) in out.iter_mut() {
        if matches!(r.resource_group, Some(Place::Root)) {
            if let Some((parent, _)) = r.name.rsplit_once('/') {
                if let Some((_, g)) = groups
                    .iter()
                    .find(|(n, _)| *n == parent.to_ascii_lowercase())
                {
                    r.resource_group.clone_from(g);
                }
            }
        }
    }
}

fn fix(v: &mut Json, lookup: &dyn Fn(&str) -> Option<Json>) {
    match v {
        Json::String(s) if s.starts_with(REF) => {
            *v = lookup(s).unwrap_or_else(|| {
                expr::marker(&format!("{} (known after apply)", &s[REF.len()..]))
            });
        }
        Json::Array(a) => a.iter_mut().for_each(|x| fix(x, lookup)),
        Json::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                if let Some(Json::String(id)) = k.strip_prefix(REF).and_then(|_| lookup(&k)) {
                    if let Some(x) = o.remove(&k) {
                        o.insert(id, x);
                    }
                }
            }
            o.values_mut().for_each(|x| fix(x, lookup));
        }
        _ => {}
    }
}

/// A subnet association sets the subnet's property.
fn associate(out: &mut [(String, Resource)], p: &Planned) {
    let Some((prop, _, attr)) = azurerm::subnet_associations().find(|(_, tf, _)| *tf == p.tf)
    else {
        return;
    };
    let ids: Vec<(usize, String)> = out
        .iter()
        .enumerate()
        .map(|(i, (_, r))| (i, id_of(r)))
        .collect();
    let find = |v: &Json| -> Option<Json> {
        match v.as_str()? {
            s if s.starts_with(REF) => {
                let target = &s[REF.len()..];
                out.iter()
                    .position(|(a, _)| a == target)
                    .map(|i| Json::String(ids[i].1.clone()))
            }
            s => Some(Json::String(s.to_string())),
        }
    };
    let Some(Json::String(subnet)) = p.values.get("subnet_id").and_then(find) else {
        return;
    };
    let target = p
        .values
        .get(attr)
        .and_then(find)
        .unwrap_or_else(|| expr::marker(&format!("{}.{attr}", p.address)));
    let Some((rtype, names)) = super::parse_id(&subnet) else {
        return;
    };
    if let Some((_, r)) = out
        .iter_mut()
        .find(|(_, r)| r.is(&rtype) && r.name.eq_ignore_ascii_case(&names.join("/")))
    {
        set(&mut r.body, &format!("properties.{prop}"), target);
    }
}

/// `azapi_update_resource` merges its body into the resource it names.
fn update(out: &mut [(String, Resource)], p: &Planned) {
    let body = match p.values.get("body") {
        Some(Json::String(s)) => serde_json::from_str(s).unwrap_or(Json::Null),
        Some(b) => b.clone(),
        None => return,
    };
    let target = match p.values.get("resource_id").and_then(Json::as_str) {
        Some(s) if s.starts_with(REF) => {
            let a = &s[REF.len()..];
            out.iter().position(|(x, _)| x == a)
        }
        Some(s) => super::parse_id(s).and_then(|(t, n)| {
            out.iter()
                .position(|(_, r)| r.is(&t) && r.name.eq_ignore_ascii_case(&n.join("/")))
        }),
        None => None,
    };
    if let Some(i) = target {
        merge(&mut out[i].1.body, &body);
    }
}

fn merge(into: &mut Json, from: &Json) {
    match (into, from) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k.clone()).or_insert(Json::Null), v);
            }
        }
        (slot, v) => *slot = v.clone(),
    }
}
