//! The estate JSON Schema, generated from the Rust types, and the check of a document against it
//! that turns every schema error into a diagnostic with a JSON pointer and a hint.

use super::{EstateFile, kind_of};
use crate::diag::{Code, Diagnostic};
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;
use std::sync::OnceLock;

/// `schemas/estate.schema.json` as committed: [`generated_schema`] printed, which a test keeps
/// it equal to.
const COMMITTED: &str = include_str!("../../schemas/estate.schema.json");

/// The estate JSON Schema as a value. It is read from the committed schema, which is quicker
/// than deriving it from the Rust types on every run and is the same document.
pub fn estate_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(COMMITTED).unwrap_or_else(|_| generated_schema()))
}

/// The estate JSON Schema derived from the Rust types of the estate file.
pub fn generated_schema() -> Value {
    let schema = schemars::schema_for!(EstateFile);
    let mut v = serde_json::to_value(&schema).unwrap_or(Value::Null);
    bound_integers(&mut v);
    add_spoke_defaults(&mut v);
    add_regional_hub(&mut v);
    v
}

/// Compile the schema validator now, so that a later check finds it ready. A command that is
/// about to read an estate calls it on a thread of its own while it parses the file.
pub fn prepare_schema() {
    let _ = validator();
}

/// The schema of `spokeDefaults`: a reference to the definition [`add_spoke_defaults`] writes.
pub(crate) fn spoke_defaults_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "$ref": "#/$defs/SpokeDefaults" })
}

/// The schema of `regionalHubs`: regions mapped to the definition [`add_regional_hub`] writes.
pub(crate) fn regional_hubs_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": { "$ref": "#/$defs/RegionalHub" }
    })
}

/// Define `RegionalHub`: a hub in which every key, at every depth, may be left out (the estate's
/// `hub` completes it). Definitions it reaches that require keys get a `Partial` twin.
fn add_regional_hub(schema: &mut Value) {
    add_partial(
        schema,
        "Hub",
        "RegionalHub",
        "A hub for another region, merged over `hub`. Any key may be left out; write at least `addressSpace`.",
        None,
    );
}

/// Define `SpokeDefaults`: a spoke in which every key, at every depth, may be left out (each
/// spoke completes it), without `addressSpace` (every spoke needs its own). Definitions the spoke
/// reaches that require keys get a `Partial` twin without `required`.
fn add_spoke_defaults(schema: &mut Value) {
    add_partial(
        schema,
        "Spoke",
        "SpokeDefaults",
        "Settings every spoke gets; each spoke is merged over them. Any key may be left out.",
        Some("addressSpace"),
    );
}

/// Write `as_name`: the definition `root` with no key required at any depth, described by
/// `description` and without the property `without`; definitions it reaches that require keys
/// get a `Partial` twin without `required`.
fn add_partial(
    schema: &mut Value,
    root: &str,
    as_name: &str,
    description: &str,
    without: Option<&str>,
) {
    let Some(Value::Object(defs)) = schema.get_mut("$defs") else {
        return;
    };
    // Definitions reachable from the root, in a stable order.
    let mut reach: Vec<String> = vec![root.to_string()];
    let mut i = 0;
    while i < reach.len() {
        let mut refs = Vec::new();
        if let Some(d) = defs.get(&reach[i]) {
            collect_refs(d, &mut refs);
        }
        for r in refs {
            if !reach.contains(&r) {
                reach.push(r);
            }
        }
        i += 1;
    }
    let partial: Vec<String> = reach
        .iter()
        .filter(|n| defs.get(*n).is_some_and(|d| d.get("required").is_some()))
        .cloned()
        .collect();
    let rename = |name: &str| {
        if name == root {
            as_name.to_string()
        } else {
            format!("Partial{name}")
        }
    };
    for name in &partial {
        let Some(mut d) = defs.get(name).cloned() else {
            continue;
        };
        if let Value::Object(o) = &mut d {
            o.remove("required");
            if name == root {
                o.insert("description".into(), Value::from(description));
                if let (Some(Value::Object(props)), Some(w)) = (o.get_mut("properties"), without) {
                    props.remove(w);
                }
            }
        }
        retarget_refs(&mut d, &partial, &rename);
        defs.insert(rename(name), d);
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    out.push(name.to_string());
                }
            }
            o.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(a) => a.iter().for_each(|c| collect_refs(c, out)),
        _ => {}
    }
}

fn retarget_refs(v: &mut Value, partial: &[String], rename: &dyn Fn(&str) -> String) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    if partial.iter().any(|p| p == name) {
                        *r = format!("#/$defs/{}", rename(name));
                    }
                }
            }
            o.values_mut()
                .for_each(|c| retarget_refs(c, partial, rename));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| retarget_refs(c, partial, rename)),
        _ => {}
    }
}

/// schemars writes `u32` fields as `format: uint32` with a minimum only; give them their maximum
/// so the schema, not serde, refuses a number that does not fit.
fn bound_integers(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.get("format").and_then(Value::as_str) == Some("uint32") {
                o.entry("maximum").or_insert(Value::from(u32::MAX));
            }
            o.values_mut().for_each(bound_integers);
        }
        Value::Array(a) => a.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// The estate JSON Schema derived from the Rust types, as the text committed in
/// `schemas/estate.schema.json`.
pub fn estate_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&generated_schema()).unwrap_or_default();
    s.push('\n');
    s
}

fn validator() -> Option<&'static jsonschema::Validator> {
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| jsonschema::validator_for(estate_schema()).ok())
        .as_ref()
}

/// Every schema problem in `doc`, in document order.
/// `base` holds the layers the document extends, nearest last, and `merged` the document before
/// `spokeDefaults` applied: a missing key's hint then says what they do and do not give.
pub(crate) fn check(doc: &Value, base: &[super::Layer], merged: Option<&Value>) -> Vec<Diagnostic> {
    let Some(validator) = validator() else {
        return vec![Diagnostic::error(
            Code::WrongType,
            "",
            "the estate schema does not compile",
            "this is a bug in aks-harden; please report it",
        )];
    };
    let mut out = Vec::new();
    for err in validator.iter_errors(doc) {
        let at = err.instance_path().as_str().to_string();
        let schema_at = err.schema_path().as_str().to_string();
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = known_keys(&schema_at);
                for key in unexpected {
                    let hint = match did_you_mean(key, known.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean {s:?}?"),
                        None if known.is_empty() => "remove this key".to_string(),
                        None => format!("remove it; keys allowed here: {}", known.join(", ")),
                    };
                    out.push(Diagnostic::error(
                        Code::UnknownKey,
                        format!("{at}/{}", escape(key)),
                        format!("unknown key {key:?}"),
                        hint,
                    ));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                out.push(Diagnostic::error(
                    Code::MissingKey,
                    at.clone(),
                    format!("missing required key {name:?}"),
                    missing_key_hint(name, &at, base, merged),
                ));
            }
            ValidationErrorKind::Type { kind } => {
                out.push(Diagnostic::error(
                    Code::WrongType,
                    at.clone(),
                    format!(
                        "expected {}, found {}",
                        type_name(kind),
                        kind_of(err.instance())
                    ),
                    "write a value of the expected type (see schemas/estate.schema.json)",
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let allowed = options
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|v| !v.is_null())
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let given = err.instance().to_string();
                let hint = match options.as_array().and_then(|a| {
                    let names = a.iter().filter_map(Value::as_str);
                    did_you_mean(err.instance().as_str().unwrap_or_default(), names)
                }) {
                    Some(s) => format!("did you mean {s:?}? allowed: {allowed}"),
                    None => format!("use one of: {allowed}"),
                };
                out.push(Diagnostic::error(
                    Code::BadValue,
                    at.clone(),
                    format!("{given} is not allowed here"),
                    hint,
                ));
            }
            ValidationErrorKind::Maximum { limit } | ValidationErrorKind::Minimum { limit } => {
                out.push(Diagnostic::error(
                    Code::BadValue,
                    at.clone(),
                    format!("{} is out of range (limit {limit})", err.instance()),
                    "write a number within the range (see schemas/estate.schema.json)",
                ));
            }
            ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. }
                if !enum_consts(&schema_at).is_empty() && err.instance().is_string() =>
            {
                // schemars writes documented enums as `oneOf` of `const`s.
                let allowed = enum_consts(&schema_at);
                let given = err.instance().as_str().unwrap_or_default();
                let list = allowed
                    .iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let hint = match did_you_mean(given, allowed.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean {s:?}? allowed: {list}"),
                    None => format!("use one of: {list}"),
                };
                out.push(Diagnostic::error(
                    Code::BadValue,
                    at.clone(),
                    format!("{given:?} is not allowed here"),
                    hint,
                ));
            }
            ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
                out.push(Diagnostic::error(
                    Code::WrongType,
                    at.clone(),
                    format!("{} does not fit here", kind_of(err.instance())),
                    "write a value of the expected type (see schemas/estate.schema.json)",
                ));
            }
            _ => {
                out.push(Diagnostic::error(
                    Code::BadValue,
                    at.clone(),
                    first_line(&err.to_string()),
                    "see schemas/estate.schema.json for what this key takes",
                ));
            }
        }
    }
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out.dedup();
    out
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    use jsonschema::JsonType;
    use jsonschema::error::TypeKind;
    let one = |t: JsonType| match t {
        JsonType::Null => "a null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "a string",
        JsonType::Array => "an array",
        JsonType::Object => "an object",
    };
    match kind {
        TypeKind::Single(t) => one(*t).to_string(),
        TypeKind::Multiple(ts) => ts
            .iter()
            .filter(|t| *t != JsonType::Null)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// The string constants of a `oneOf`/`anyOf` keyword at `keyword_path` whose branches are all
/// constants (following one `$ref` hop per branch); empty otherwise.
fn enum_consts(keyword_path: &str) -> Vec<String> {
    let schema = estate_schema();
    let Some(branches) = schema.pointer(keyword_path).and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for b in branches {
        let b = match b.get("$ref").and_then(Value::as_str) {
            Some(r) => schema.pointer(r.trim_start_matches('#')).unwrap_or(b),
            None => b,
        };
        if b.get("type").and_then(Value::as_str) == Some("null") {
            continue;
        }
        if let Some(c) = b.get("const").and_then(Value::as_str) {
            out.push(c.to_string());
        } else if let Some(e) = b.get("enum").and_then(Value::as_array) {
            out.extend(e.iter().filter_map(Value::as_str).map(str::to_string));
        } else if b.get("oneOf").is_some() || b.get("anyOf").is_some() {
            // An optional enum: `anyOf [ {$ref: Enum}, {type: null} ]` where Enum is a `oneOf`.
            let key = if b.get("oneOf").is_some() {
                "oneOf"
            } else {
                "anyOf"
            };
            if let Some(inner) = b.get(key).and_then(Value::as_array) {
                for i in inner {
                    match i.get("const").and_then(Value::as_str) {
                        Some(c) => out.push(c.to_string()),
                        None => return Vec::new(),
                    }
                }
            }
        } else {
            return Vec::new();
        }
    }
    out
}

/// Property names allowed at the schema object holding the `additionalProperties` keyword at
/// `keyword_path`.
fn known_keys(keyword_path: &str) -> Vec<String> {
    let parent = keyword_path
        .rsplit_once('/')
        .map_or("", |(p, _)| p)
        .to_string();
    estate_schema()
        .pointer(&parent)
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The candidate closest to `given`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let given_l = given.to_ascii_lowercase();
    candidates
        .map(|c| (levenshtein(&given_l, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(given.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance counting a swap of two neighbouring letters as one edit (optimal string
/// alignment), so `nmae` is one edit from `name`.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// What to do about a missing key, truthful about where it could come from: a spoke gets what it
/// writes and what `spokeDefaults` gives, nothing from the other spokes.
fn missing_key_hint(name: &str, at: &str, base: &[super::Layer], merged: Option<&Value>) -> String {
    if let Some(rest) = at.strip_prefix("/spokes/") {
        let (key, tail) = rest.split_once('/').map_or((rest, ""), |(k, t)| (k, t));
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!("/{tail}")
        };
        let own = format!("{at}/{}", escape(name));
        let default = format!("/spokeDefaults{tail}/{}", escape(name));
        if let Some(l) = base
            .iter()
            .rev()
            .find(|l| l.value.pointer(&default).is_some() || l.value.pointer(&own).is_some())
        {
            let how = if l.value.pointer(&own).is_some() {
                "sets"
            } else {
                "gives every spoke"
            };
            return format!(
                "{} {how} {name:?}, but a later file removes it with null (RFC 7386 merge): give it a value at {at} or drop the null",
                l.file
            );
        }
        if name == "addressSpace" && tail.is_empty() {
            return format!(
                "give spoke {key:?} an address space of its own, e.g. \"addressSpace\": \"10.2.0.0/16\"; its subnets then follow the subnet layout"
            );
        }
        // The object lacking the key came from the defaults, not from the spoke.
        let from_defaults = !tail.is_empty() && merged.is_some_and(|m| m.pointer(at).is_none());
        let place = format!("/spokeDefaults{tail}");
        let chain = base
            .last()
            .map_or(String::new(), |l| format!(", nor does {}", l.file));
        return if from_defaults {
            format!(
                "add {name:?} at {place}, which every spoke gets, or to each spoke that needs it{chain}"
            )
        } else {
            format!(
                "add {name:?} at {at}, or at {place} so that every spoke gets it: neither this spoke nor \"spokeDefaults\" sets it{chain}"
            )
        };
    }
    let Some(nearest) = base.last() else {
        return format!(
            "add {name:?}, or extend a built-in profile that sets it (\"extends\": \"prod\")"
        );
    };
    let path = format!("{at}/{name}");
    let place = if at.is_empty() {
        "at the top level".to_string()
    } else {
        format!("at {at}")
    };
    match base.iter().rev().find(|l| l.value.pointer(&path).is_some()) {
        Some(l) => format!(
            "{} sets {name:?}, but this file removes it with null (RFC 7386 merge): give it a value {place} or drop the null",
            l.file
        ),
        None => format!("add {name:?} {place}: {} does not set it", nearest.file),
    }
}

#[cfg(test)]
mod tests {
    use super::{check, did_you_mean};
    use serde_json::json;

    #[test]
    fn wrong_type_names_the_expected_types() {
        let message = |doc, pointer: &str| {
            check(&doc, &[], None)
                .into_iter()
                .find(|d| d.pointer == pointer)
                .map(|d| d.message)
        };
        // `Option<String>`: a type set of string and null; null is not offered.
        assert_eq!(
            message(json!({"tenantId": 5}), "/tenantId").as_deref(),
            Some("expected a string, found a number")
        );
        assert_eq!(
            message(json!({"name": [1]}), "/name").as_deref(),
            Some("expected a string, found an array")
        );
        assert_eq!(
            message(
                json!({"spokes": {"x": {"registry": {"retentionDays": "7"}}}}),
                "/spokes/x/registry/retentionDays"
            )
            .as_deref(),
            Some("expected an integer, found a string")
        );
        assert_eq!(
            message(json!({"hub": 1}), "/hub").as_deref(),
            Some("expected an object, found a number")
        );
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = ["addressSpace", "subnets", "firewall"];
        assert_eq!(
            did_you_mean("adressSpace", keys.iter().copied()),
            Some("addressSpace")
        );
        assert_eq!(
            did_you_mean("Firewall", keys.iter().copied()),
            Some("firewall")
        );
        assert_eq!(did_you_mean("zzz", keys.iter().copied()), None);
        assert_eq!(
            did_you_mean("nmae", ["name", "tier"].into_iter()),
            Some("name")
        );
    }
}
