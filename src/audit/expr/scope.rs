//! Resource ids (`resourceId` and its scope variants) and the objects that describe where a
//! deployment lands (`subscription()`, `resourceGroup()`, `tenant()`, `managementGroup()`,
//! `deployment()`), whose values only Azure knows and which are therefore unknown markers.
//!
//! A resource id whose subscription and resource group are the deployment's own is written
//! provider-relative (`Microsoft.Network/virtualNetworks/vnet`): the audit does not know the
//! subscription, and the catalogue matches ids by type and name.

use super::{Bad, Unknown, Val, marker, relative_id, text};
use serde_json::{Map, Value as Json};

fn is_type(s: &str) -> bool {
    match s.split_once('/') {
        Some((ns, rest)) => ns.contains('.') && !rest.is_empty() && !s.starts_with('/'),
        None => false,
    }
}

/// A resource id function, its arguments evaluated (each known or not). `None` when the call is
/// malformed.
pub(super) fn resource_id(name: &str, args: &[Val]) -> Option<Val> {
    let (scope, rest) = match name {
        "extensionresourceid" | "managementgroupresourceid" if !args.is_empty() => {
            let first_is_type = args[0]
                .as_ref()
                .ok()
                .and_then(Json::as_str)
                .is_some_and(is_type);
            if name == "managementgroupresourceid" && first_is_type {
                (None, args)
            } else {
                (Some(&args[0]), &args[1..])
            }
        }
        _ => (None, args),
    };
    let ti = rest
        .iter()
        .position(|a| a.as_ref().ok().and_then(Json::as_str).is_some_and(is_type))?;
    let rtype = rest[ti].as_ref().ok()?.as_str()?;
    let mut names = Vec::new();
    for a in &rest[ti + 1..] {
        match a {
            Ok(v) => names.push(text(v)?),
            // An id whose name is unknown is unknown as a whole: the call as written is what
            // tells one resource from another (`format('acra{0}', …)` from `format('acrb{0}', …)`).
            Err(_) => return None,
        }
    }
    if names.is_empty() {
        return None;
    }
    // Several names may come in one argument ('vnet/snet').
    let names: Vec<String> = names
        .iter()
        .flat_map(|n| n.split('/').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let rel = relative_id(rtype, &names);
    let known = |i: usize| rest.get(i).and_then(|a| a.as_ref().ok()).and_then(text);
    let id = match (name, ti) {
        ("resourceid", 2) => match (known(0), known(1)) {
            (Some(s), Some(rg)) => {
                format!("/subscriptions/{s}/resourceGroups/{rg}/providers/{rel}")
            }
            _ => rel,
        },
        ("subscriptionresourceid", 1) => match known(0) {
            Some(s) => format!("/subscriptions/{s}/providers/{rel}"),
            None => rel,
        },
        ("tenantresourceid", _) => format!("/providers/{rel}"),
        ("managementgroupresourceid", _) => match scope {
            Some(Ok(mg)) => format!(
                "/providers/Microsoft.Management/managementGroups/{}/providers/{rel}",
                text(mg)?
            ),
            Some(Err(u)) => return Some(Err(u.clone())),
            None => return Some(Err(Unknown("managementGroup().name".into()))),
        },
        ("extensionresourceid", _) => match scope {
            Some(Ok(s)) => format!("{}/providers/{rel}", text(s)?),
            Some(Err(u)) => return Some(Err(u.clone())),
            None => return None,
        },
        _ => rel,
    };
    Some(Ok(Json::String(id)))
}

/// An object whose every property is unknown, described as `what.property`.
fn unknown_object(what: &str, props: &[&str], known: &[(&str, &str)]) -> Json {
    let mut m = Map::new();
    for p in props {
        m.insert((*p).to_string(), marker(&format!("{what}.{p}")));
    }
    for (k, v) in known {
        m.insert((*k).to_string(), Json::String((*v).to_string()));
    }
    Json::Object(m)
}

/// The scope functions.
pub(super) fn call(name: &str, a: &[Json]) -> Option<Result<Json, Bad>> {
    if !a.is_empty() {
        return match name {
            "subscription" | "resourcegroup" | "tenant" | "managementgroup" | "deployment" => {
                Some(Err(Bad))
            }
            _ => None,
        };
    }
    let v = match name {
        "subscription" => unknown_object(
            "subscription()",
            &["id", "subscriptionId", "tenantId", "displayName"],
            &[],
        ),
        "resourcegroup" => unknown_object(
            "resourceGroup()",
            &["id", "name", "location", "managedBy", "tags", "properties"],
            &[("type", "Microsoft.Resources/resourceGroups")],
        ),
        "tenant" => unknown_object(
            "tenant()",
            &["id", "tenantId", "countryCode", "displayName"],
            &[],
        ),
        "managementgroup" => unknown_object(
            "managementGroup()",
            &["id", "name", "properties"],
            &[("type", "Microsoft.Management/managementGroups")],
        ),
        "deployment" => unknown_object("deployment()", &["name", "location", "properties"], &[]),
        _ => return None,
    };
    Some(Ok(v))
}
