//! A starter estate file: what `aks-harden init` writes. It extends a built-in profile and
//! spells out only what a user must decide (the region, the address ranges, the tenant,
//! subscription and Entra group ids), in YAML with a comment on each of those keys, or in JSON.
//!
//! The file is valid as written except for the ids, which are placeholders such as
//! `<prod-subscription-id>`: `aks-harden validate` names each one with its JSON pointer, and
//! once they are GUIDs the estate renders. Extra spokes are written like the profile's own: an
//! address space of their own, the rest from the profile's spoke defaults. Pure: the caller
//! writes the text.
//!
//! ```
//! use aks_harden::init::{Starter, starter};
//! use aks_harden::Syntax;
//!
//! let text = starter(&Starter::new("prod", "fabrikam"))?;
//! assert!(text.starts_with("# yaml-language-server: $schema=./estate.schema.json\n"));
//! // Only the placeholders stand between the starter and a valid estate.
//! let filled = text
//!     .replace("<tenant-id>", "00000000-0000-0000-0000-000000000000")
//!     .replace("<prod-subscription-id>", "11111111-1111-1111-1111-111111111111")
//!     .replace("<prod-admin-group-object-id>", "22222222-2222-2222-2222-222222222222");
//! let estate = aks_harden::load_str("estate.yaml", &filled, Syntax::Yaml).unwrap();
//! assert_eq!(estate.name, "fabrikam");
//! # Ok::<(), aks_harden::init::InitError>(())
//! ```

use crate::Syntax;
use serde_json::{Map, Value as Json, json};
use std::fmt::Write;

/// Where editors find the schema: `aks-harden schema > estate.schema.json` saves it beside the
/// estate file.
pub const SCHEMA_REF: &str = "./estate.schema.json";

/// The most spokes a starter spells out: each gets a VNet `10.<n>.0.0/16`; its subnets follow the
/// profile's subnet layout, and its pod and service ranges are the profile's (Azure CNI Overlay
/// lets clusters share them).
pub const MAX_SPOKES: usize = 6;

/// What the starter is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Starter {
    /// The built-in profile it extends.
    pub extends: String,
    /// The estate name.
    pub name: String,
    /// YAML (with comments) or JSON.
    pub syntax: Syntax,
    /// How many spokes: the profile's own, then `spoke2`, `spoke3`, ...
    pub spokes: usize,
}

impl Starter {
    /// One spoke, in YAML.
    pub fn new(extends: &str, name: &str) -> Starter {
        Starter {
            extends: extends.to_string(),
            name: name.to_string(),
            syntax: Syntax::Yaml,
            spokes: 1,
        }
    }

    /// YAML or JSON.
    #[must_use]
    pub fn syntax(mut self, syntax: Syntax) -> Starter {
        self.syntax = syntax;
        self
    }

    /// How many spokes (1 to [`MAX_SPOKES`]).
    #[must_use]
    pub fn spokes(mut self, spokes: usize) -> Starter {
        self.spokes = spokes;
        self
    }
}

/// Why no starter can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InitError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

fn error(message: String, hint: &str) -> InitError {
    InitError {
        message,
        hint: hint.to_string(),
    }
}

/// Whether `name` is a valid estate name: 2 to 10 lowercase letters and digits, starting with a
/// letter.
/// Whether `name` passes the rule validation applies to estate names.
fn valid_name(name: &str) -> bool {
    crate::validate::names::ESTATE.check(name).is_none()
}

/// Replace a leading `10.<from>.` with `10.<to>.`.
fn shift(v: &mut Json, from: usize, to: usize) {
    match v {
        Json::String(s) => {
            if let Some(rest) = s.strip_prefix(&format!("10.{from}.")) {
                *s = format!("10.{to}.{rest}");
            }
        }
        Json::Object(o) => o.values_mut().for_each(|v| shift(v, from, to)),
        _ => {}
    }
}

/// The ids the user fills in: placeholder for spoke `key`.
fn ids(spoke: &mut Map<String, Json>, key: &str) {
    let mut s = Map::new();
    s.insert(
        "subscriptionId".into(),
        json!(format!("<{key}-subscription-id>")),
    );
    s.extend(std::mem::take(spoke));
    *spoke = s;
    let cluster = spoke
        .entry("cluster")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(c) = cluster {
        c.insert(
            "entra".into(),
            json!({ "adminGroupObjectIds": [format!("<{key}-admin-group-object-id>")] }),
        );
    }
}

/// The estate as a JSON value, in the order it is written.
fn document(s: &Starter) -> Result<Json, InitError> {
    let names: Vec<&str> = crate::profile::BUILTIN.iter().map(|(n, _)| *n).collect();
    let text = crate::profile::builtin(&s.extends).ok_or_else(|| {
        error(
            format!("there is no built-in profile `{}`", s.extends),
            &format!("--extends takes one of {}", names.join(", ")),
        )
    })?;
    if !valid_name(&s.name) {
        return Err(error(
            format!("`{}` is not a valid estate name", s.name),
            "an estate name is 2 to 10 lowercase letters and digits, starting with a letter; it goes into every resource name",
        ));
    }
    if !(1..=MAX_SPOKES).contains(&s.spokes) {
        return Err(error(
            format!("--spokes {} is out of range", s.spokes),
            &format!("a starter has 1 to {MAX_SPOKES} spokes; add more by hand afterwards"),
        ));
    }
    let profile: Json = serde_json::from_str(text)
        .map_err(|e| error(format!("profile `{}`: {e}", s.extends), "report this"))?;
    let Some((first, template)) = profile
        .get("spokes")
        .and_then(Json::as_object)
        .and_then(|m| m.iter().next())
    else {
        return Err(error(
            format!("profile `{}` has no spoke", s.extends),
            "report this",
        ));
    };
    let mut spokes = Map::new();
    for i in 0..s.spokes {
        let key = if i == 0 {
            first.clone()
        } else {
            format!("spoke{}", i + 1)
        };
        let mut spoke = Map::new();
        if i == 0 {
            // The profile's spoke: its ranges, the rest inherited.
            for k in ["addressSpace", "subnets"] {
                if let Some(v) = template.get(k) {
                    spoke.insert(k.into(), v.clone());
                }
            }
        } else {
            // The profile's spoke, with ranges of its own.
            if let Json::Object(mut o) = template.clone() {
                o.remove("subscriptionId");
                for k in ["addressSpace", "subnets"] {
                    if let Some(v) = o.get_mut(k) {
                        shift(v, 1, 1 + i);
                    }
                }
                if let Some(net) = o
                    .get_mut("cluster")
                    .and_then(|c| c.get_mut("network"))
                    .and_then(Json::as_object_mut)
                {
                    for (k, from, to) in [
                        ("podCidr", 244, 244 + 2 * i),
                        ("serviceCidr", 245, 245 + 2 * i),
                        ("dnsServiceIp", 245, 245 + 2 * i),
                    ] {
                        if let Some(v) = net.get_mut(k) {
                            shift(v, from, to);
                        }
                    }
                }
                spoke = o;
            }
        }
        ids(&mut spoke, &key);
        spokes.insert(key, Json::Object(spoke));
    }
    let hub = profile.get("hub").cloned().unwrap_or_else(|| json!({}));
    let mut hub_out = Map::new();
    for k in ["addressSpace", "subnets"] {
        if let Some(v) = hub.get(k) {
            hub_out.insert(k.into(), v.clone());
        }
    }
    Ok(json!({
        "$schema": SCHEMA_REF,
        "extends": s.extends,
        "description": format!("{}: hardened AKS on the {} profile", s.name, s.extends),
        "name": s.name,
        "location": profile.get("location").cloned().unwrap_or_else(|| json!("westeurope")),
        "tenantId": "<tenant-id>",
        "hub": hub_out,
        "spokes": spokes,
    }))
}

/// The comment above a key, by JSON pointer (`*` for a spoke key).
fn comment(pointer: &str) -> Option<&'static str> {
    let mut parts: Vec<&str> = pointer.split('/').collect();
    if parts.len() > 2 && parts[1] == "spokes" {
        parts[2] = "*";
    }
    Some(match parts.join("/").as_str() {
        "/extends" => {
            "The built-in profile this estate extends: dev, staging, prod or regulated. Keys below\noverride it (objects merge, `null` deletes a key, arrays replace)."
        }
        "/name" => "The short name in every resource name: 2 to 10 lowercase letters and digits.",
        "/location" => {
            "DECIDE: the Azure region of every resource (az account list-locations -o table)."
        }
        "/tenantId" => {
            "DECIDE: the Entra ID tenant that holds the admin groups\n(az account show --query tenantId -o tsv). Delete the line to make it a template\nparameter that defaults to the tenant of the deployment subscription."
        }
        "/hub/addressSpace" => {
            "DECIDE: the hub network. No overlap with the spokes, the cluster ranges or any network\nyou connect (on-premises, other hubs)."
        }
        "/hub/subnets" => "The firewall subnet: at least /26, inside the hub network.",
        "/spokes" => "One spoke per environment: its own subscription, network and cluster.",
        "/spokes/*/subscriptionId" => {
            "DECIDE: the workload subscription of this spoke (az account list -o table). Delete the\nline to make it a template parameter."
        }
        "/spokes/*/addressSpace" => {
            "DECIDE: the spoke network; its subnets follow the profile's subnetLayout. No overlap with\nthe hub, the other spokes or the cluster ranges."
        }
        "/spokes/*/cluster/network" => {
            "DECIDE: the cluster's pod and service ranges; outside every network, per spoke."
        }
        "/spokes/*/cluster/entra/adminGroupObjectIds" => {
            "DECIDE: the object ids of the Entra groups that administer the cluster\n(az ad group show --group NAME --query id -o tsv). Delete the key to supply them\nas a template parameter at deployment."
        }
        _ => return None,
    })
}

fn yaml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        Json::String(k.to_string()).to_string()
    }
}

fn scalar(v: &Json) -> bool {
    !matches!(v, Json::Object(o) if !o.is_empty())
        && !matches!(v, Json::Array(a) if a.iter().any(|x| x.is_object() || x.is_array()))
}

/// Block-style YAML with a comment above each key that has one. Scalars are JSON (strings
/// double-quoted, arrays of scalars in flow style), which YAML reads as written.
fn yaml(out: &mut String, map: &Map<String, Json>, indent: usize, pointer: &str) {
    let pad = " ".repeat(indent);
    for (k, v) in map {
        let p = format!("{pointer}/{k}");
        if let Some(c) = comment(&p) {
            for line in c.lines() {
                let _ = writeln!(out, "{pad}# {line}");
            }
        }
        if scalar(v) {
            let _ = writeln!(out, "{pad}{}: {v}", yaml_key(k));
        } else if let Json::Object(o) = v {
            let _ = writeln!(out, "{pad}{}:", yaml_key(k));
            yaml(out, o, indent + 2, &p);
        } else if let Json::Array(a) = v {
            let _ = writeln!(out, "{pad}{}:", yaml_key(k));
            for item in a {
                if let Json::Object(o) = item {
                    let mut inner = String::new();
                    yaml(&mut inner, o, indent + 4, &p);
                    let trimmed = inner.trim_start();
                    let _ = write!(out, "{pad}  - {trimmed}");
                } else {
                    let _ = writeln!(out, "{pad}  - {item}");
                }
            }
        }
    }
}

/// The starter estate file's text.
pub fn starter(s: &Starter) -> Result<String, InitError> {
    let doc = document(s)?;
    Ok(match s.syntax {
        Syntax::Json => crate::emit::pretty_json(&doc),
        Syntax::Yaml => {
            let mut out = format!("# yaml-language-server: $schema={SCHEMA_REF}\n");
            let _ = writeln!(
                out,
                "#\n# The aks-harden estate `{}`, extending the built-in `{}` profile; `aks-harden profiles\n# show {}` prints everything it inherits. Fill in each value marked DECIDE: until the\n# ids are GUIDs, `aks-harden validate FILE` names each one. Then render it with\n# `aks-harden gen --estate FILE --out out`. Editors check this file against the schema\n# once it is saved beside it: `aks-harden schema > estate.schema.json`.\n",
                s.name, s.extends, s.extends
            );
            if let Json::Object(o) = &doc {
                yaml(&mut out, o, 0, "");
            }
            out
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_estate_rule() {
        assert!(valid_name("fabrikam"));
        assert!(!valid_name("Fabrikam"));
        assert!(!valid_name("f"));
        assert!(!valid_name("1abc"));
        assert!(!valid_name("averyverylongname"));
    }

    #[test]
    fn ranges_shift_per_spoke() {
        let mut v = json!({"a": "10.1.4.0/22", "b": "10.10.0.0/16"});
        shift(&mut v, 1, 3);
        assert_eq!(v, json!({"a": "10.3.4.0/22", "b": "10.10.0.0/16"}));
    }
}
