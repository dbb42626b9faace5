//! Estate files and built-in profiles: reading JSON or YAML, resolving `extends` with JSON Merge
//! Patch (RFC 7386), checking the result against the estate JSON Schema, and deserialising it into
//! the raw [`EstateFile`]. This is the only module whose types implement `Deserialize`.

mod merge;
mod schema;
mod types;

pub use merge::merge_patch;
pub use schema::{
    did_you_mean, estate_schema, estate_schema_text, generated_schema, prepare_schema,
};
pub use types::*;

use crate::diag::{Code, Diagnostic};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Largest estate file aks-harden reads, in bytes.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// Deepest nesting aks-harden reads (the estate format itself nests about eight levels).
pub const MAX_DEPTH: usize = 64;
/// Most values (scalars, sequences and mappings, counting each alias expansion) a YAML document
/// may hold; an alias bomb ("billion laughs") is refused when it reaches this many.
pub const MAX_YAML_NODES: usize = 100_000;
/// Longest `extends` chain.
const MAX_EXTENDS: usize = 8;

/// The built-in profiles: name and JSON text, embedded in the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dev", include_str!("../../profiles/dev.json")),
    ("staging", include_str!("../../profiles/staging.json")),
    ("prod", include_str!("../../profiles/prod.json")),
    ("regulated", include_str!("../../profiles/regulated.json")),
];

/// The JSON text of a built-in profile.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The file name diagnostics use for a built-in profile.
pub fn builtin_file(name: &str) -> String {
    format!("profile:{name}")
}

/// The input syntax of an estate document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// JSON.
    Json,
    /// YAML (a JSON-compatible subset: no tags, bounded aliases).
    Yaml,
}

impl Syntax {
    /// Guess from a file name: `.yaml`/`.yml` is YAML, anything else JSON.
    pub fn from_path(path: &Path) -> Syntax {
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Syntax::Yaml,
            _ => Syntax::Json,
        }
    }
}

/// One document of an `extends` chain, as read.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Where it came from (path or `profile:<name>`).
    pub file: String,
    /// Its value, with `extends` removed.
    pub value: Value,
}

impl Layer {
    /// Whether the layer is a built-in profile, whose spokes are examples.
    pub fn is_builtin(&self) -> bool {
        self.file.starts_with("profile:")
    }
}

/// An estate document with `extends` resolved: the merged value plus the layers it came from, so
/// every diagnostic can name the file that holds the offending value.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Base first, the user's file last.
    pub layers: Vec<Layer>,
    /// The layers merged, spokes as written: `spokeDefaults` not yet applied.
    pub merged: Value,
    /// The merged document with `spokeDefaults` applied under every spoke.
    pub value: Value,
}

/// Merge the layers of a chain, base first. A built-in profile's spokes are examples: the first
/// file of the user's that lists spokes keeps only the example spokes it names.
pub fn merge_layers(layers: &[Layer]) -> Value {
    let mut merged = Value::Object(serde_json::Map::new());
    for (i, layer) in layers.iter().enumerate() {
        if Some(i) == deciding_layer(layers) {
            if let (Some(Value::Object(named)), Some(Value::Object(examples))) =
                (layer.value.get("spokes"), merged.get_mut("spokes"))
            {
                examples.retain(|key, _| named.contains_key(key));
            }
        }
        merge_patch(&mut merged, &layer.value);
    }
    merged
}

/// The first layer that is not a built-in profile and lists spokes: it decides which of the
/// profile's example spokes stay.
fn deciding_layer(layers: &[Layer]) -> Option<usize> {
    layers
        .iter()
        .position(|l| !l.is_builtin() && matches!(l.value.get("spokes"), Some(Value::Object(_))))
}

/// Keys a resolved spoke shows first, so `profiles show` reads like a spoke entry.
const SPOKE_FIRST: [&str; 3] = ["subscriptionId", "addressSpace", "subnets"];

/// `merged` with every spoke resolved: the merged `spokeDefaults`, then each layer's entry for
/// the spoke applied over it in turn (RFC 7386), so a `null` in a spoke removes a default.
pub fn apply_spoke_defaults(layers: &[Layer], merged: &Value) -> Value {
    let mut value = merged.clone();
    let defaults = match merged.get("spokeDefaults") {
        Some(Value::Object(d)) => d.clone(),
        _ => serde_json::Map::new(),
    };
    let decider = deciding_layer(layers);
    let Some(Value::Object(spokes)) = value.get_mut("spokes") else {
        return value;
    };
    for (key, spoke) in spokes.iter_mut() {
        // The entries that make this spoke: what came after its last deletion or replacement.
        let mut entries: Vec<&Value> = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            let dropped_example = layer.is_builtin()
                && decider.is_some_and(|d| {
                    d > i
                        && layers[d]
                            .value
                            .get("spokes")
                            .and_then(Value::as_object)
                            .is_some_and(|named| !named.contains_key(key))
                });
            if dropped_example {
                continue;
            }
            match layer.value.get("spokes") {
                Some(Value::Object(m)) => match m.get(key) {
                    Some(Value::Null) => entries.clear(),
                    Some(v @ Value::Object(_)) => entries.push(v),
                    Some(v) => {
                        entries.clear();
                        entries.push(v);
                    }
                    None => {}
                },
                Some(Value::Null) => entries.clear(),
                _ => {}
            }
        }
        if !spoke.is_object() {
            continue;
        }
        let mut full = Value::Object(defaults.clone());
        for e in entries {
            merge_patch(&mut full, e);
        }
        if let Value::Object(mut rest) = full {
            let mut ordered = serde_json::Map::new();
            for k in SPOKE_FIRST {
                if let Some(v) = rest.remove(k) {
                    ordered.insert(k.to_string(), v);
                }
            }
            ordered.extend(rest);
            *spoke = Value::Object(ordered);
        }
    }
    value
}

/// Each `regionalHubs` entry as the patch it is: the layers' entries composed with their `null`s
/// kept, so that a regional hub's `null` removes what it would otherwise take from `hub` (the
/// merge of the layers has already dropped it).
fn keep_regional_nulls(layers: &[Layer], value: &mut Value) {
    let Some(Value::Object(hubs)) = value.get_mut("regionalHubs") else {
        return;
    };
    for (key, entry) in hubs.iter_mut() {
        let mut patch = Value::Object(serde_json::Map::new());
        for layer in layers {
            match layer.value.get("regionalHubs") {
                Some(Value::Object(m)) => match m.get(key) {
                    Some(Value::Null) => patch = Value::Object(serde_json::Map::new()),
                    Some(v) => compose_patches(&mut patch, v),
                    None => {}
                },
                Some(Value::Null) => patch = Value::Object(serde_json::Map::new()),
                _ => {}
            }
        }
        if entry.is_object() && patch.is_object() {
            *entry = patch;
        }
    }
}

/// `patch` applied to `target` as one patch after another: objects merge, and a `null` stays.
fn compose_patches(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(tv @ Value::Object(_)) if v.is_object() => compose_patches(tv, v),
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

impl Resolved {
    /// A resolved document from its layers, base first.
    pub fn from_layers(layers: Vec<Layer>) -> Resolved {
        let merged = merge_layers(&layers);
        let mut value = apply_spoke_defaults(&layers, &merged);
        keep_regional_nulls(&layers, &mut value);
        Resolved {
            layers,
            merged,
            value,
        }
    }

    /// Where the value at `pointer` of the resolved document was written: a spoke's value that
    /// the spoke did not write but `spokeDefaults` gave is at `/spokeDefaults/...`. A missing
    /// value's pointer (an object that lacks a key) maps the same way, when the object came from
    /// the defaults.
    pub fn source(&self, pointer: &str) -> String {
        if let Some(tail) = spoke_tail(pointer) {
            let defaults = format!("/spokeDefaults{tail}");
            if self.merged.pointer(pointer).is_none() && self.merged.pointer(&defaults).is_some() {
                return defaults;
            }
        }
        pointer.to_string()
    }

    /// The file that provided the value at `pointer` (the topmost layer that has it, or the
    /// nearest parent it has).
    pub fn origin(&self, pointer: &str) -> &str {
        let mut p = pointer.to_string();
        loop {
            for layer in self.layers.iter().rev() {
                if layer.value.pointer(&p).is_some() {
                    return &layer.file;
                }
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => break,
            }
        }
        self.layers.last().map_or("", |l| l.file.as_str())
    }

    /// Attribute diagnostics without a file to the layer holding their pointer. A problem in a
    /// value `spokeDefaults` gave every spoke is reported once, at the default, with the number
    /// of other spokes it affects.
    pub fn attribute(&self, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = Vec::new();
        // Each problem at a default, with the spoke's name taken out of its message -> its index
        // in `out` and how many more spokes repeat it.
        let mut at_defaults: std::collections::BTreeMap<
            (Code, String, String, String),
            (usize, usize),
        > = std::collections::BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        for mut d in diags {
            let spoke = d
                .pointer
                .strip_prefix("/spokes/")
                .map(|rest| rest.split('/').next().unwrap_or(rest))
                .map(|k| format!("{:?}", k.replace("~1", "/").replace("~0", "~")));
            for written in [Some(d.pointer.clone()), d.related.clone()]
                .into_iter()
                .flatten()
            {
                let source = self.source(&written);
                if source != written {
                    // Hints name both places with "(at ...)": name where each was written.
                    d.hint = d
                        .hint
                        .replace(&format!("(at {written})"), &format!("(at {source})"));
                }
            }
            d.pointer = self.source(&d.pointer);
            d.related = d.related.map(|r| self.source(&r));
            // Report a problem between two values where the user wrote one of them.
            if let (Some(top), Some(other)) = (self.layers.last(), d.related.clone()) {
                if top.value.pointer(&d.pointer).is_none() && top.value.pointer(&other).is_some() {
                    d.related = Some(std::mem::replace(&mut d.pointer, other));
                }
            }
            if d.file.is_empty() {
                let f = self.origin(&d.pointer).to_string();
                d = d.in_file(f);
            }
            if d.pointer.starts_with("/spokeDefaults") {
                let message = match &spoke {
                    Some(k) => d.message.replace(k.as_str(), "\"*\""),
                    None => d.message.clone(),
                };
                let key = (d.code, d.file.clone(), d.pointer.clone(), message);
                if let Some((_, repeats)) = at_defaults.get_mut(&key) {
                    *repeats += 1;
                    continue;
                }
                at_defaults.insert(key, (out.len(), 0));
            } else if !seen.insert((d.code, d.file.clone(), d.pointer.clone(), d.message.clone())) {
                continue;
            }
            out.push(d);
        }
        for (i, repeats) in at_defaults.into_values() {
            if repeats > 0 {
                let d = &mut out[i];
                d.message = format!(
                    "{} (and the same in {repeats} more spoke{} that take this default)",
                    d.message,
                    if repeats == 1 { "" } else { "s" }
                );
            }
        }
        out
    }
}

/// The part of a pointer below `/spokes/<key>`, starting with `/`; `None` for other pointers and
/// for a spoke itself.
fn spoke_tail(pointer: &str) -> Option<&str> {
    let rest = pointer.strip_prefix("/spokes/")?;
    rest.find('/').map(|i| &rest[i..])
}

/// Parse estate text (JSON or YAML) into a JSON value, enforcing size and depth limits.
///
/// Hostile input is refused cheaply and with a diagnostic, never a panic: text over
/// [`MAX_FILE_BYTES`], nesting deeper than [`MAX_DEPTH`] (checked before any parser recurses),
/// duplicate keys, YAML tags other than the standard ones, several YAML documents, and YAML
/// aliases that expand beyond [`MAX_YAML_NODES`] nodes ("billion laughs").
pub fn parse_text(file: &str, text: &str, syntax: Syntax) -> Result<Value, Diagnostic> {
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(text.len()).in_file(file));
    }
    let value = match syntax {
        Syntax::Json => parse_json(text).map_err(|d| d.in_file(file))?,
        Syntax::Yaml => parse_yaml(text).map_err(|d| d.in_file(file))?,
    };
    if depth(&value) > MAX_DEPTH {
        return Err(too_deep().in_file(file));
    }
    if !value.is_object() {
        return Err(Diagnostic::error(
            Code::NotObject,
            "",
            format!("the document is {}, not an object", kind_of(&value)),
            "an estate file is a JSON object such as {\"extends\": \"prod\", ...}",
        )
        .in_file(file));
    }
    Ok(value)
}

fn too_large(bytes: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        Code::TooLarge,
        "",
        format!("the file is {bytes} bytes; aks-harden reads at most {MAX_FILE_BYTES}"),
        "an estate file is a few kilobytes: check that this is the file you meant",
    )
}

fn too_deep() -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        "",
        format!("the document nests deeper than {MAX_DEPTH} levels"),
        "the estate format nests about eight levels; flatten the document",
    )
}

fn parse_json(text: &str) -> Result<Value, Diagnostic> {
    // Check nesting before serde_json recurses, so hostile input is refused cheaply.
    if bracket_depth(text) > MAX_DEPTH {
        return Err(too_deep());
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(StrictJson, &mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| {
            let mut d = Diagnostic::error(
                Code::Syntax,
                "",
                format!("invalid JSON: {}", strip_position(&e.to_string())),
                if e.to_string().starts_with("duplicate key") {
                    "keep one of the two entries; JSON objects take each key once"
                } else {
                    "fix the JSON syntax at the position shown (a YAML file needs a .yaml extension)"
                },
            );
            if e.line() > 0 {
                d.position = Some((e.line(), e.column()));
            }
            d
        })
}

/// Builds a [`Value`] like `serde_json::Value`'s own `Deserialize`, but refuses duplicate keys,
/// which `serde_json` would silently resolve to the last one.
#[derive(Clone, Copy)]
struct StrictJson;

impl<'de> serde::de::DeserializeSeed<'de> for StrictJson {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for StrictJson {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("duplicate key {key:?}")));
            }
            let value = map.next_value_seed(self)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

fn parse_yaml(text: &str) -> Result<Value, Diagnostic> {
    if bracket_depth(text) > MAX_DEPTH || indent_depth(text) > MAX_DEPTH {
        return Err(too_deep());
    }
    let mut options = serde_saphyr::options::Options::default();
    let mut budget = serde_saphyr::budget::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_events = 200_000;
    budget.max_nodes = MAX_YAML_NODES;
    budget.max_documents = 1;
    budget.max_merge_keys = 1_000;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES;
    budget.max_recorded_anchor_bytes = MAX_FILE_BYTES;
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_YAML_NODES;
    options.reject_unsupported_tags = true;
    serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| {
        let mut d = yaml_diagnostic(&e);
        if let Some(loc) = e.location() {
            d.position = Some((
                usize::try_from(loc.line()).unwrap_or(0),
                usize::try_from(loc.column()).unwrap_or(0),
            ));
        }
        d
    })
}

/// The diagnostic for a YAML error: a limit (`too-deep`, `too-large`) or a `syntax` error.
fn yaml_diagnostic(e: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let mut inner = e.without_snippet();
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let expands = |what: String| {
        Diagnostic::error(
            Code::TooLarge,
            "",
            format!("the YAML expands beyond what aks-harden reads: {what}"),
            "an estate needs few anchors and aliases; write the values out instead of nesting aliases",
        )
    };
    match inner {
        E::Budget {
            breach: B::Depth { .. },
            ..
        }
        | E::AliasReplayStackDepthExceeded { .. } => too_deep(),
        E::Budget { breach, .. } => match breach {
            B::Documents { .. } => Diagnostic::error(
                Code::Syntax,
                "",
                "invalid YAML: the file holds more than one document",
                "an estate file is one YAML document: remove the `---` separators after the first",
            ),
            B::Aliases { aliases } => expands(format!("more than {aliases} aliases")),
            B::Anchors { anchors } => expands(format!("more than {anchors} anchors")),
            B::Nodes { .. } | B::Events { .. } => {
                expands(format!("more than {MAX_YAML_NODES} values"))
            }
            _ => expands(format!("{breach:?}")),
        },
        E::AliasReplayLimitExceeded { .. } | E::AliasExpansionLimitExceeded { .. } => {
            expands(format!("aliases replay more than {MAX_YAML_NODES} values"))
        }
        E::UnsupportedTag { tag, .. } => Diagnostic::error(
            Code::Syntax,
            "",
            format!("invalid YAML: the tag {tag:?} is not supported"),
            "remove the tag; aks-harden reads plain YAML (no tags, few aliases)",
        ),
        _ => {
            let message = yaml_message(&e.to_string());
            let hint = if message.starts_with("duplicate mapping key") {
                "keep one of the two entries; YAML mappings take each key once"
            } else {
                "fix the YAML at the position shown; aks-harden reads plain YAML (no tags, few aliases)"
            };
            Diagnostic::error(Code::Syntax, "", format!("invalid YAML: {message}"), hint)
        }
    }
}

/// The YAML error without the position the diagnostic shows anyway, and without advice meant
/// for programmers using the YAML library.
fn yaml_message(s: &str) -> String {
    let line = first_line(s);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line
        .find(" column ")
        .and_then(|i| line[i..].find(": ").map(|j| i + j + 2))
    {
        Some(i) if line.starts_with("line ") => &line[i..],
        _ => line,
    };
    let line = [", set DuplicateKeyPolicy", "; use from_str_multiple"]
        .iter()
        .filter_map(|cut| line.find(cut))
        .min()
        .map_or(line, |i| &line[..i]);
    line.to_string()
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s).trim()
}

fn strip_position(s: &str) -> String {
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Deepest `[`/`{` nesting outside strings; a cheap bound checked before any parser recurses.
fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for c in text.chars() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Deepest block nesting of a YAML text, counted in two-column steps: leading spaces plus the
/// `- ` of sequence entries that open a nested sequence on the same line (`- - - x`). A run of
/// dashes such as a Markdown rule inside a block scalar does not count.
fn indent_depth(text: &str) -> usize {
    text.lines()
        .map(|line| {
            let b = line.as_bytes();
            let mut i = 0;
            loop {
                match b.get(i) {
                    Some(b' ') => i += 1,
                    Some(b'-' | b'?') if matches!(b.get(i + 1), None | Some(b' ')) => i += 2,
                    _ => break i,
                }
            }
        })
        .max()
        .unwrap_or(0)
        / 2
}

/// Nesting depth of a value. Iterative, so even a value built without the parsers' limits
/// cannot exhaust the stack.
fn depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(a) => {
                max = max.max(d + 1);
                stack.extend(a.iter().map(|c| (c, d + 1)));
            }
            Value::Object(o) => {
                max = max.max(d + 1);
                stack.extend(o.values().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    max
}

/// A JSON type name for messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Where `extends` may look for files: nowhere (strings only) or relative to a folder.
#[derive(Debug, Clone)]
pub enum Base {
    /// Only built-in profiles may be extended.
    BuiltinOnly,
    /// Files are looked up relative to this folder.
    Dir(PathBuf),
}

/// Read an estate from a file and resolve its `extends` chain.
pub fn resolve_file(path: &Path) -> Result<Resolved, Vec<Diagnostic>> {
    let file = path.display().to_string();
    let text = read_text(path).map_err(|d| vec![d.in_file(&file)])?;
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let base = Base::Dir(
        canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    );
    let value = parse_text(&file, &text, Syntax::from_path(path)).map_err(|d| vec![d])?;
    resolve_value(&file, &canonical.display().to_string(), value, &base)
}

/// Read a built-in profile and resolve it.
pub fn resolve_builtin(name: &str) -> Result<Resolved, Vec<Diagnostic>> {
    match builtin(name) {
        Some(text) => resolve_text(&builtin_file(name), text, Syntax::Json, &Base::BuiltinOnly),
        None => Err(vec![unknown_profile(name, "").in_file("<command line>")]),
    }
}

/// Resolve an estate document given as text.
pub fn resolve_text(
    file: &str,
    text: &str,
    syntax: Syntax,
    base: &Base,
) -> Result<Resolved, Vec<Diagnostic>> {
    let value = parse_text(file, text, syntax).map_err(|d| vec![d])?;
    resolve_value(file, file, value, base)
}

/// Resolve a parsed document; `identity` is how the cycle check knows the file.
fn resolve_value(
    file: &str,
    identity: &str,
    value: Value,
    base: &Base,
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut chain = vec![identity.to_string()];
    let mut layers = Vec::new();
    collect_layers(file, value, base, &mut chain, &mut layers)?;
    layers.reverse();
    Ok(Resolved::from_layers(layers))
}

fn collect_layers(
    file: &str,
    mut value: Value,
    base: &Base,
    chain: &mut Vec<String>,
    out: &mut Vec<Layer>,
) -> Result<(), Vec<Diagnostic>> {
    let extends = value.as_object_mut().and_then(|o| o.remove("extends"));
    out.push(Layer {
        file: file.to_string(),
        value,
    });
    let Some(extends) = extends else {
        return Ok(());
    };
    let Value::String(target) = extends else {
        return Err(vec![
            Diagnostic::error(
                Code::WrongType,
                "/extends",
                format!("`extends` is {}, not a string", kind_of(&extends)),
                "name a built-in profile, e.g. \"extends\": \"prod\"",
            )
            .in_file(file),
        ]);
    };
    if chain.len() > MAX_EXTENDS {
        return Err(vec![
            Diagnostic::error(
                Code::ExtendsCycle,
                "/extends",
                format!("the `extends` chain is longer than {MAX_EXTENDS}"),
                "extend a built-in profile directly",
            )
            .in_file(file),
        ]);
    }
    let (name, text, syntax, next_base) = if let Some(text) = builtin(&target) {
        (
            builtin_file(&target),
            text.to_string(),
            Syntax::Json,
            Base::BuiltinOnly,
        )
    } else if let (Base::Dir(dir), true) = (base, looks_like_path(&target)) {
        let joined = dir.join(&target);
        // Canonical paths, so `./a.json` and `a.json` are one file in the cycle check.
        let path = std::fs::canonicalize(&joined).unwrap_or(joined);
        let name = path.display().to_string();
        let text = read_text(&path).map_err(|d| {
            vec![
                Diagnostic::error(
                    Code::ExtendsUnknown,
                    "/extends",
                    format!("`extends` names {target:?}, which cannot be read: {}", d.message),
                    "name a built-in profile (dev, staging, prod, regulated) or a readable estate file",
                )
                .in_file(file),
            ]
        })?;
        let next = Base::Dir(path.parent().map(Path::to_path_buf).unwrap_or_default());
        (name, text, Syntax::from_path(&path), next)
    } else {
        return Err(vec![unknown_profile(&target, "/extends").in_file(file)]);
    };
    if chain.contains(&name) {
        return Err(vec![
            Diagnostic::error(
                Code::ExtendsCycle,
                "/extends",
                format!("`extends` forms a cycle: {} -> {name}", chain.join(" -> ")),
                "break the cycle: one file in the chain should extend a built-in profile",
            )
            .in_file(file),
        ]);
    }
    let parent = parse_text(&name, &text, syntax).map_err(|d| vec![d])?;
    chain.push(name.clone());
    collect_layers(&name, parent, &next_base, chain, out)
}

fn looks_like_path(s: &str) -> bool {
    s.contains('/')
        || s.contains('\\')
        || [".json", ".yaml", ".yml"]
            .iter()
            .any(|ext| s.to_ascii_lowercase().ends_with(ext))
}

fn unknown_profile(name: &str, pointer: &str) -> Diagnostic {
    let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    let hint = match did_you_mean(name, names.iter().copied()) {
        Some(s) => format!(
            "did you mean {s:?}? built-in profiles: {}",
            names.join(", ")
        ),
        None => format!("built-in profiles: {}", names.join(", ")),
    };
    Diagnostic::error(
        Code::ExtendsUnknown,
        pointer,
        format!("there is no built-in profile {name:?}"),
        hint,
    )
}

/// Read a file as UTF-8 text with the size limit, mapping every failure to a diagnostic.
///
/// Only regular files are read (a FIFO would block and a device such as `/dev/zero` never
/// ends), and never more than [`MAX_FILE_BYTES`] + 1 bytes, even if the file grows meanwhile.
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    use std::io::Read as _;
    let io = |msg: String, hint: &str| Diagnostic::error(Code::Io, "", msg, hint);
    let cannot = |e: std::io::Error| {
        io(
            format!("cannot read the file: {e}"),
            "check the path and permissions",
        )
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(io(
            "the path is a directory, not a file".into(),
            "name an estate file (.json, .yaml or .yml)",
        ));
    }
    if !meta.is_file() {
        return Err(io(
            "the path is not a regular file (a pipe, socket or device)".into(),
            "name an estate file (.json, .yaml or .yml); aks-harden does not read devices or pipes",
        ));
    }
    if usize::try_from(meta.len()).map_or(true, |n| n > MAX_FILE_BYTES) {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(format!("more than {MAX_FILE_BYTES}")));
    }
    String::from_utf8(bytes).map_err(|e| {
        Diagnostic::error(
            Code::NotUtf8,
            "",
            format!(
                "the file is not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            "save the file as UTF-8",
        )
    })
}

/// Check a resolved document against the estate schema and deserialise it. All schema problems
/// come back at once.
pub fn to_estate_file(resolved: &Resolved) -> Result<EstateFile, Vec<Diagnostic>> {
    let base = &resolved.layers[..resolved.layers.len().saturating_sub(1)];
    let diags = schema::check(&resolved.value, base, Some(&resolved.merged));
    if !diags.is_empty() {
        return Err(resolved.attribute(diags));
    }
    serde_json::from_value::<EstateFile>(resolved.value.clone()).map_err(|e| {
        resolved.attribute(vec![Diagnostic::error(
            Code::WrongType,
            "",
            format!("the estate does not fit the estate format: {e}"),
            "this is a bug in aks-harden if the schema accepted the file; please report it",
        )])
    })
}

/// After schema errors, a best-effort copy of the document that the schema accepts: unknown keys
/// dropped, and wrongly typed values replaced by what the layers below give (or dropped). The
/// semantic validator runs on it, so one run reports schema and semantic problems together.
/// `None` when no such copy can be made. The diagnostics are attributed ones: their pointers
/// name what the files wrote (a spoke's own value, or `spokeDefaults`).
pub fn repair(resolved: &Resolved, diags: &[Diagnostic]) -> Option<EstateFile> {
    let mut doc = resolved.value.clone();
    let below =
        Resolved::from_layers(resolved.layers[..resolved.layers.len().saturating_sub(1)].to_vec())
            .value;
    let spokes: Vec<String> = doc
        .get("spokes")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for d in diags {
        if d.pointer.is_empty() {
            return None;
        }
        match d.code {
            Code::UnknownKey | Code::WrongType | Code::BadValue => {
                // What the layers below give, or for a spoke's own value, the default.
                let fallback = below
                    .pointer(&d.pointer)
                    .or_else(|| {
                        spoke_tail(&d.pointer)
                            .and_then(|t| resolved.value.pointer(&format!("/spokeDefaults{t}")))
                    })
                    .cloned();
                // A default is fixed where it is written and in every spoke that takes it.
                let mut targets = vec![d.pointer.clone()];
                if let Some(tail) = d.pointer.strip_prefix("/spokeDefaults") {
                    for key in &spokes {
                        let at = format!(
                            "/spokes/{}{tail}",
                            key.replace('~', "~0").replace('/', "~1")
                        );
                        if resolved.source(&at) == d.pointer && doc.pointer(&at).is_some() {
                            targets.push(at);
                        }
                    }
                }
                for target in targets {
                    let (parent, key) = target.rsplit_once('/')?;
                    let key = key.replace("~1", "/").replace("~0", "~");
                    match doc.pointer_mut(parent) {
                        Some(Value::Object(o)) => {
                            match fallback.clone() {
                                Some(v) if d.code != Code::UnknownKey => o.insert(key, v),
                                _ => o.remove(&key),
                            };
                        }
                        Some(Value::Array(a)) => {
                            let i: usize = key.parse().ok()?;
                            match fallback.clone() {
                                Some(v) if i < a.len() => a[i] = v,
                                _ => return None,
                            }
                        }
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
    }
    if !schema::check(&doc, &[], None).is_empty() {
        return None;
    }
    serde_json::from_value(doc).ok()
}
