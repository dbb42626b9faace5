//! What the audit judges: ARM-shaped resources, flattened from planned resources (the IR as the
//! ARM emitter spells it), from any ARM template (nested inline deployments and child resources included,
//! parameters substituted), or from the JSON of a live cluster (`az aks show -o json`).
//!
//! Values the audit cannot evaluate are replaced by an *unknown* marker that keeps the expression,
//! so a check can say "unknown" instead of guessing.

use super::expr::{self, Env, Unknown, Val};
use crate::emit::arm;
use crate::ir::Template;
use crate::posture::Tier;
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The key of the marker object that stands for a value the audit cannot evaluate.
const UNKNOWN_KEY: &str = "\u{1}aks-harden-unknown";

/// The marker for an unknown value.
pub fn unknown_value(what: &str) -> Json {
    let mut m = Map::new();
    m.insert(UNKNOWN_KEY.into(), Json::String(what.to_string()));
    Json::Object(m)
}

/// If `v` is the unknown marker, what it stands for.
pub fn as_unknown(v: &Json) -> Option<&str> {
    v.as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get(UNKNOWN_KEY))
        .and_then(Json::as_str)
}

/// What kind of input was audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A built-in profile or an estate file, rendered by aks-harden.
    Estate,
    /// An ARM template.
    Template,
    /// The JSON of a live cluster.
    Live,
}

impl Kind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Estate => "estate",
            Kind::Template => "template",
            Kind::Live => "live",
        }
    }
}

/// Where the input came from, for reports and locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// How reports name it: `profile prod`, `estate.json`, ...
    pub label: String,
    /// The path findings point into (relative, `/`-separated), e.g. `profiles/prod.json`.
    pub uri: String,
    /// Its text, when line numbers can be found in it.
    pub text: Option<String>,
}

impl Source {
    /// A source with a label and a path, and the text to find lines in.
    pub fn new(label: impl Into<String>, uri: impl Into<String>, text: Option<String>) -> Source {
        Source {
            label: label.into(),
            uri: uri.into(),
            text,
        }
    }
}

/// A deliberate relaxation of one control, from an estate file.
pub use crate::posture::Waiver;

/// What the audit knows of an estate beyond its resources: the tier it is judged against, its
/// waivers and the tags every resource must carry. Templates and live clusters have none of
/// these; [`Context::default`] judges them as `prod` with no waivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The tier the resources are judged against.
    pub tier: Tier,
    /// Accepted weakenings.
    pub waivers: Vec<Waiver>,
    /// The tags every resource must carry, when the input declares them.
    pub tags: Option<IndexMap<String, String>>,
}

impl Default for Context {
    fn default() -> Context {
        Context {
            tier: Tier::Prod,
            waivers: Vec::new(),
            tags: None,
        }
    }
}

/// The subscription or resource group a resource is deployed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The one the template itself is deployed to.
    Root,
    /// A literal id or name.
    Known(String),
    /// Decided at deployment, by the expression described.
    Unknown(String),
}

impl Place {
    /// Whether two places are certainly the same.
    pub fn same(&self, other: &Place) -> bool {
        match (self, other) {
            (Place::Root, Place::Root) => true,
            (Place::Known(a), Place::Known(b)) | (Place::Unknown(a), Place::Unknown(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }

    /// In words, for a subscription.
    pub fn describe(&self, what: &str) -> String {
        match self {
            Place::Root => format!("the deployment's {what}"),
            Place::Known(s) => format!("{what} `{s}`"),
            Place::Unknown(e) => format!("the {what} given by `{e}`"),
        }
    }
}

/// One resource, ARM-shaped.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Full resource type, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    pub rtype: String,
    /// Full name (`vnet/subnet` for children), evaluated; the expression when it cannot be.
    pub name: String,
    /// How reports name it.
    pub label: String,
    /// The name as written.
    pub raw_name: String,
    /// For extension resources: the id of what they attach to (evaluated, or the expression).
    pub scope: Option<String>,
    /// Everything but type, apiVersion, name, scope, dependsOn and children, evaluated.
    pub body: Json,
    /// Its subscription.
    pub subscription: Place,
    /// Its resource group; `None` at subscription (or wider) scope.
    pub resource_group: Option<Place>,
    /// JSON pointer of the resource object in the source text.
    pub pointer: String,
    /// JSON pointer its `properties.` paths start at.
    pub properties_pointer: String,
    /// Names of the nested deployments it sits in, outermost first.
    pub deployment: Vec<String>,
}

impl Resource {
    /// Whether the type is `t` (case-insensitive, as in ARM).
    pub fn is(&self, t: &str) -> bool {
        self.rtype.eq_ignore_ascii_case(t)
    }

    /// The value at a property path such as `properties.agentPoolProfiles[0].mode`.
    pub fn get(&self, path: &str) -> Look<'_> {
        look(&self.body, path)
    }

    /// The last segment of the type (`managedClusters`).
    pub fn short_type(&self) -> &str {
        self.rtype.rsplit('/').next().unwrap_or(&self.rtype)
    }

    /// The JSON pointer of a property path of this resource.
    pub fn pointer_of(&self, path: &str) -> String {
        let mut segs = split_path(path);
        let mut out = if segs
            .first()
            .is_some_and(|s| s.eq_ignore_ascii_case("properties"))
        {
            segs.remove(0);
            self.properties_pointer.clone()
        } else {
            self.pointer.clone()
        };
        for s in segs {
            out.push('/');
            out.push_str(&s.replace('~', "~0").replace('/', "~1"));
        }
        out
    }
}

/// The result of looking up a property.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Look<'a> {
    /// Not there (or `null`).
    Missing,
    /// Hidden behind an expression the audit cannot evaluate.
    Unknown(&'a str),
    /// A value.
    Value(&'a Json),
}

impl<'a> Look<'a> {
    /// The value, if known.
    pub fn value(self) -> Option<&'a Json> {
        match self {
            Look::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a string, if known and a string.
    pub fn str(self) -> Option<&'a str> {
        self.value().and_then(Json::as_str)
    }

    /// The value as a boolean (`true`, or the string `"true"`), if known.
    pub fn bool(self) -> Option<bool> {
        match self.value()? {
            Json::Bool(b) => Some(*b),
            Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The value as an array of items, if known and an array.
    pub fn array(self) -> &'a [Json] {
        self.value()
            .and_then(Json::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|s| !s.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(rest[..i].to_string());
            }
            rest = &rest[i..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(end) = stripped.find(']') else { break };
                out.push(stripped[..end].to_string());
                rest = &stripped[end + 1..];
            }
        } else {
            out.push(rest.to_string());
        }
    }
    out
}

/// Look up a property path in a JSON value: object keys case-insensitively (ARM's rule), `[i]`
/// for array items.
pub fn look<'a>(root: &'a Json, path: &str) -> Look<'a> {
    let mut v = root;
    for seg in split_path(path) {
        if let Some(u) = as_unknown(v) {
            return Look::Unknown(u);
        }
        v = match v {
            Json::Object(o) => match o.get(&seg).or_else(|| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&seg))
                    .map(|(_, v)| v)
            }) {
                Some(x) => x,
                None => return Look::Missing,
            },
            Json::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(x) => x,
                None => return Look::Missing,
            },
            _ => return Look::Missing,
        };
    }
    if let Some(u) = as_unknown(v) {
        Look::Unknown(u)
    } else if v.is_null() {
        Look::Missing
    } else {
        Look::Value(v)
    }
}

/// What the audit judges.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// What kind of input it is.
    pub kind: Kind,
    /// Where it came from.
    pub source: Source,
    /// The tier it is judged against (an estate's own; `prod` unless told for others).
    pub tier: Tier,
    /// Waivers (estates only).
    pub waivers: Vec<Waiver>,
    /// The tags every resource must carry (estates only).
    pub tags: Option<IndexMap<String, String>>,
    /// The resources, in document order.
    pub resources: Vec<Resource>,
    /// Things worth knowing about the input itself (linked templates, undefined parameters).
    pub notes: Vec<String>,
    lines: BTreeMap<String, u32>,
}

/// Why an input cannot be audited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    /// What is wrong.
    pub message: String,
}

fn input_error(message: impl Into<String>) -> InputError {
    InputError {
        message: message.into(),
    }
}

impl Input {
    /// Audit planned resources: the IR as the ARM emitter spells it, with the estate's tier,
    /// waivers and tags from `context`. `source` names the estate file (or built-in profile).
    pub fn from_ir(template: &Template, context: Context, source: Source) -> Input {
        let doc = arm::template(template);
        let params = arm::parameters(template);
        let values = parameter_values(&params);
        let mut input = Input::template_doc(&doc, values, source);
        input.kind = Kind::Estate;
        input.tier = context.tier;
        input.tags = context.tags;
        input.waivers = context.waivers;
        input
    }

    /// Audit an ARM template (its text is `source.text`), with parameter values from a
    /// parameter file's text, else the template's defaults.
    pub fn from_template(source: Source, parameters: Option<&str>) -> Result<Input, InputError> {
        let text = source
            .text
            .clone()
            .ok_or_else(|| input_error("no template text"))?;
        let mut input = Input::template_text(&text, parameters, source)?;
        input.lines = json_lines(&text);
        Ok(input)
    }

    fn template_text(
        text: &str,
        parameters: Option<&str>,
        source: Source,
    ) -> Result<Input, InputError> {
        let doc: Json = serde_json::from_str(text)
            .map_err(|e| input_error(format!("not a JSON ARM template: {e}")))?;
        if !doc.is_object() || doc.get("resources").is_none() {
            return Err(input_error(
                "not an ARM template: a JSON object with `resources` was expected",
            ));
        }
        let values = match parameters {
            Some(p) => {
                let pdoc: Json = serde_json::from_str(p)
                    .map_err(|e| input_error(format!("not a JSON parameter file: {e}")))?;
                parameter_values(&pdoc)
            }
            None => Map::new(),
        };
        Ok(Input::template_doc(&doc, values, source))
    }

    fn template_doc(doc: &Json, values: Map<String, Json>, source: Source) -> Input {
        let mut fl = Flattener::default();
        let root_scope = Flattener::root_scope(doc, &values);
        let rg = if schema_is_subscription_level(doc) {
            None
        } else {
            Some(Place::Root)
        };
        fl.template(doc, &root_scope, &Place::Root, rg.as_ref(), "", &[]);
        let mut input = Input {
            kind: Kind::Template,
            source,
            tier: Context::default().tier,
            waivers: Vec::new(),
            tags: None,
            resources: fl.out,
            notes: fl.notes.into_inner(),
            lines: BTreeMap::new(),
        };
        input.label_resources();
        input
    }

    /// Audit the JSON of a live cluster (`az aks show -o json`; an array from `az aks list`
    /// works too). Its text is `source.text`.
    pub fn from_live(source: Source) -> Result<Input, InputError> {
        let text = source
            .text
            .clone()
            .ok_or_else(|| input_error("no live cluster JSON"))?;
        let doc: Json = serde_json::from_str(&text)
            .map_err(|e| input_error(format!("not JSON from `az aks show -o json`: {e}")))?;
        let items: Vec<(String, &Json)> = match &doc {
            Json::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("/{i}"), v))
                .collect(),
            other => vec![(String::new(), other)],
        };
        let mut resources = Vec::new();
        for (ptr, item) in items {
            let Some(obj) = item.as_object() else {
                return Err(input_error("expected the JSON object of a managed cluster"));
            };
            let is_cluster = obj.get("type").and_then(Json::as_str).is_some_and(|t| {
                t.eq_ignore_ascii_case("Microsoft.ContainerService/managedClusters")
            }) || obj.contains_key("agentPoolProfiles");
            if !is_cluster {
                return Err(input_error(
                    "not a managed cluster: `az aks show -o json` output was expected",
                ));
            }
            let name = obj
                .get("name")
                .and_then(Json::as_str)
                .unwrap_or("cluster")
                .to_string();
            let mut body = Map::new();
            for k in ["location", "tags", "sku", "identity", "zones"] {
                if let Some(v) = obj.get(k) {
                    body.insert(k.into(), v.clone());
                }
            }
            let (props, props_ptr) = match obj.get("properties") {
                Some(p @ Json::Object(_)) => (p.clone(), format!("{ptr}/properties")),
                _ => (item.clone(), ptr.clone()),
            };
            body.insert("properties".into(), props);
            let id = obj.get("id").and_then(Json::as_str).unwrap_or_default();
            let (sub, rg) = id_scope(id);
            resources.push(Resource {
                rtype: "Microsoft.ContainerService/managedClusters".into(),
                label: name.clone(),
                raw_name: name.clone(),
                name,
                scope: None,
                body: Json::Object(body),
                subscription: sub.map_or(Place::Root, Place::Known),
                resource_group: Some(
                    rg.or_else(|| {
                        obj.get("resourceGroup")
                            .and_then(Json::as_str)
                            .map(str::to_string)
                    })
                    .map_or(Place::Root, Place::Known),
                ),
                pointer: ptr.clone(),
                properties_pointer: props_ptr,
                deployment: Vec::new(),
            });
        }
        Ok(Input {
            kind: Kind::Live,
            lines: json_lines(&text),
            source,
            tier: Tier::Prod,
            waivers: Vec::new(),
            tags: None,
            resources,
            notes: Vec::new(),
        })
    }

    fn label_resources(&mut self) {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in &mut self.resources {
            let n = counts.entry(r.rtype.to_ascii_lowercase()).or_default();
            *n += 1;
            r.label = if expr::is_expression(&r.name) {
                format!("{}#{}", r.short_type(), n)
            } else {
                r.name.clone()
            };
        }
    }

    /// Resources of a type, with their index.
    pub fn of_type<'a>(&'a self, t: &'a str) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        self.resources
            .iter()
            .enumerate()
            .filter(move |(_, r)| r.is(t))
    }

    /// The resource a resource id (full or provider-relative) names, if it is in the input.
    pub fn find_id(&self, id: &str) -> Option<usize> {
        let (rtype, names) = parse_id(id)?;
        let name = names.join("/");
        self.resources
            .iter()
            .position(|r| r.is(&rtype) && r.name.eq_ignore_ascii_case(&name))
    }

    /// The line of a JSON pointer in the source text (templates and live JSON).
    pub fn line_of_pointer(&self, pointer: &str) -> Option<u32> {
        let mut p = pointer.to_ascii_lowercase();
        loop {
            if let Some(l) = self.lines.get(&p) {
                return Some(*l);
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => return self.lines.get("").copied(),
            }
        }
    }
}

/// The values of a parameter file (`{"parameters": {...}}`, or the bare object).
fn parameter_values(doc: &Json) -> Map<String, Json> {
    let params = doc.get("parameters").unwrap_or(doc);
    params.as_object().cloned().unwrap_or_default()
}

/// `(subscription, resource group)` of a full resource id.
pub fn id_scope(id: &str) -> (Option<String>, Option<String>) {
    let segs: Vec<&str> = id.split('/').collect();
    let mut sub = None;
    let mut rg = None;
    for w in segs.windows(2) {
        if w[0].eq_ignore_ascii_case("subscriptions") && sub.is_none() {
            sub = Some(w[1].to_string());
        }
        if w[0].eq_ignore_ascii_case("resourceGroups") && rg.is_none() {
            rg = Some(w[1].to_string());
        }
    }
    (sub, rg)
}

/// The type and name segments of a resource id: a full id
/// (`/subscriptions/…/providers/Ns/type/name/…`) or a provider-relative one (`Ns/type/name/…`).
pub fn parse_id(id: &str) -> Option<(String, Vec<String>)> {
    if expr::is_expression(id) {
        return None;
    }
    let lower = id.to_ascii_lowercase();
    let rel = match lower.rfind("/providers/") {
        Some(i) => &id[i + "/providers/".len()..],
        None => id.trim_start_matches('/'),
    };
    let segs: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() < 3 || segs.len() % 2 == 0 || !segs[0].contains('.') {
        return None;
    }
    let mut rtype = segs[0].to_string();
    let mut names = Vec::new();
    for pair in segs[1..].chunks(2) {
        rtype.push('/');
        rtype.push_str(pair[0]);
        names.push(pair[1].to_string());
    }
    Some((rtype, names))
}

fn schema_is_subscription_level(doc: &Json) -> bool {
    let s = doc
        .get("$schema")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    s.contains("subscriptiondeploymenttemplate")
        || s.contains("managementgroupdeploymenttemplate")
        || s.contains("tenantdeploymenttemplate")
}

fn get_ci<'a>(o: &'a Json, key: &str) -> Option<&'a Json> {
    let obj = o.as_object()?;
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A template's parameters and variables.
struct Scope {
    params: IndexMap<String, Val>,
    vars: Map<String, Json>,
    depth: RefCell<u32>,
    undefined: RefCell<Vec<String>>,
}

impl Scope {
    /// A scope for `template`: its variables, no parameter values yet.
    fn of(template: &Json) -> Scope {
        Scope {
            params: IndexMap::new(),
            vars: template
                .get("variables")
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default(),
            depth: RefCell::new(0),
            undefined: RefCell::new(Vec::new()),
        }
    }
}

/// The parameter definitions of a template.
fn parameter_definitions(template: &Json) -> Map<String, Json> {
    template
        .get("parameters")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default()
}

impl Env for Scope {
    fn parameter(&self, name: &str) -> Val {
        match self
            .params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some((_, v)) => v.clone(),
            None => {
                self.undefined.borrow_mut().push(name.to_string());
                Err(Unknown(format!("parameters('{name}')")))
            }
        }
    }

    fn variable(&self, name: &str) -> Val {
        let Some(raw) = self
            .vars
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
        else {
            return Err(Unknown(format!("variables('{name}')")));
        };
        if *self.depth.borrow() > 16 {
            return Err(Unknown(format!("variables('{name}')")));
        }
        *self.depth.borrow_mut() += 1;
        let v = eval_top(&raw, self);
        *self.depth.borrow_mut() -= 1;
        v.map_err(|_| Unknown(format!("variables('{name}')")))
    }
}

/// Evaluate a value; an expression string that cannot be evaluated makes the whole value
/// unknown (nested unknowns become markers).
fn eval_top(v: &Json, env: &dyn Env) -> Val {
    match v {
        Json::String(s) if expr::is_expression(s) => expr::eval_string(s, env),
        other => Ok(eval_deep(other, env)),
    }
}

/// Evaluate every expression inside a value; unknowns become markers.
fn eval_deep(v: &Json, env: &dyn Env) -> Json {
    match v {
        Json::String(s) if expr::is_expression(s) => match expr::eval_string(s, env) {
            Ok(v) => v,
            Err(Unknown(u)) => unknown_value(&u),
        },
        Json::String(s) if s.starts_with("[[") => Json::String(s[1..].to_string()),
        Json::Array(a) => Json::Array(a.iter().map(|x| eval_deep(x, env)).collect()),
        Json::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                if k == "copy" && x.is_array() {
                    // Property loops: each named property is generated; judge it as unknown.
                    for c in x.as_array().into_iter().flatten() {
                        if let Some(n) = c.get("name").and_then(Json::as_str) {
                            m.insert(n.to_string(), unknown_value(&format!("copy loop `{n}`")));
                        }
                    }
                    continue;
                }
                let key = if expr::is_expression(k) {
                    match expr::eval_string(k, env) {
                        Ok(Json::String(s)) => s,
                        _ => k.clone(),
                    }
                } else {
                    k.clone()
                };
                m.insert(key, eval_deep(x, env));
            }
            Json::Object(m)
        }
        other => other.clone(),
    }
}

fn eval_str(v: Option<&Json>, env: &dyn Env) -> Option<Result<String, String>> {
    let v = v?;
    Some(match eval_top(v, env) {
        Ok(Json::String(s)) => Ok(s),
        Ok(other) => Ok(other.to_string()),
        Err(Unknown(u)) => Err(u),
    })
}

#[derive(Default)]
struct Flattener {
    out: Vec<Resource>,
    notes: RefCell<Vec<String>>,
}

const BODY_SKIP: &[&str] = &[
    "type",
    "apiVersion",
    "name",
    "scope",
    "dependsOn",
    "resources",
    "condition",
    "copy",
    "comments",
    "existing",
    "metadata",
    "subscriptionId",
    "resourceGroup",
];

impl Flattener {
    fn root_scope(doc: &Json, values: &Map<String, Json>) -> Scope {
        let mut scope = Scope::of(doc);
        let defs = parameter_definitions(doc);
        for (name, def) in &defs {
            let given = values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v);
            let val = match given {
                Some(v) if v.get("value").is_some() => Ok(v["value"].clone()),
                Some(v) if v.get("reference").is_some() => Err(Unknown(format!(
                    "parameters('{name}') (a Key Vault reference)"
                ))),
                _ => match get_ci(def, "defaultValue") {
                    Some(d) => {
                        eval_top(d, &scope).map_err(|_| Unknown(format!("parameters('{name}')")))
                    }
                    None => Err(Unknown(format!("parameters('{name}')"))),
                },
            };
            scope.params.insert(name.clone(), val);
        }
        scope
    }

    fn note_undefined(&self, scope: &Scope, deployment: &[String]) {
        let mut undefined = scope.undefined.borrow_mut();
        if undefined.is_empty() {
            return;
        }
        undefined.sort();
        undefined.dedup();
        let at = if deployment.is_empty() {
            "the template".to_string()
        } else {
            format!("deployment `{}`", deployment.join("/"))
        };
        for p in undefined.drain(..) {
            let note = format!(
                "{at} uses parameter `{p}`, which is not declared in its scope; ARM will reject it"
            );
            let mut notes = self.notes.borrow_mut();
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }

    fn template(
        &mut self,
        doc: &Json,
        scope: &Scope,
        sub: &Place,
        rg: Option<&Place>,
        pointer: &str,
        deployment: &[String],
    ) {
        match doc.get("resources") {
            Some(Json::Array(a)) => {
                for (i, r) in a.iter().enumerate() {
                    let p = format!("{pointer}/resources/{i}");
                    self.resource(r, None, scope, sub, rg, &p, deployment);
                }
            }
            Some(Json::Object(o)) => {
                for (k, r) in o {
                    let p = format!(
                        "{pointer}/resources/{}",
                        k.replace('~', "~0").replace('/', "~1")
                    );
                    self.resource(r, None, scope, sub, rg, &p, deployment);
                }
            }
            _ => {}
        }
        self.note_undefined(scope, deployment);
    }

    #[allow(clippy::too_many_arguments)]
    fn resource(
        &mut self,
        r: &Json,
        parent: Option<(&str, &str)>,
        scope: &Scope,
        sub: &Place,
        rg: Option<&Place>,
        pointer: &str,
        deployment: &[String],
    ) {
        if !r.is_object() || get_ci(r, "existing").and_then(Json::as_bool) == Some(true) {
            return;
        }
        if let Some(c) = get_ci(r, "condition") {
            if let Ok(v) = eval_top(c, scope) {
                if v == Json::Bool(false)
                    || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("false"))
                {
                    return;
                }
            }
        }
        let raw_type = get_ci(r, "type").and_then(Json::as_str).unwrap_or_default();
        let raw_name = get_ci(r, "name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let name = match eval_str(get_ci(r, "name"), scope) {
            Some(Ok(n)) => n,
            _ => raw_name.clone(),
        };
        let (rtype, name) = match parent {
            Some((pt, pn)) if !raw_type.split('/').next().unwrap_or_default().contains('.') => {
                (format!("{pt}/{raw_type}"), format!("{pn}/{name}"))
            }
            _ => (raw_type.to_string(), name),
        };
        if rtype.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
            self.deployment(r, &name, scope, sub, rg, pointer, deployment);
            return;
        }
        if get_ci(r, "copy").is_some() {
            self.notes.borrow_mut().push(format!(
                "`{name}` ({rtype}) is declared in a copy loop; it is judged once"
            ));
        }
        let mut body = Map::new();
        if let Some(o) = r.as_object() {
            for (k, v) in o {
                if BODY_SKIP.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                    continue;
                }
                body.insert(k.clone(), eval_deep(v, scope));
            }
        }
        let scope_attr = get_ci(r, "scope").map(|s| match eval_top(s, scope) {
            Ok(Json::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => s.as_str().unwrap_or_default().to_string(),
        });
        self.out.push(Resource {
            rtype: rtype.clone(),
            label: name.clone(),
            name: name.clone(),
            raw_name,
            scope: scope_attr,
            body: Json::Object(body),
            subscription: sub.clone(),
            resource_group: rg.cloned(),
            pointer: pointer.to_string(),
            properties_pointer: format!("{pointer}/properties"),
            deployment: deployment.to_vec(),
        });
        if let Some(Json::Array(children)) = get_ci(r, "resources") {
            for (i, c) in children.iter().enumerate() {
                let p = format!("{pointer}/resources/{i}");
                self.resource(c, Some((&rtype, &name)), scope, sub, rg, &p, deployment);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn deployment(
        &mut self,
        r: &Json,
        name: &str,
        scope: &Scope,
        sub: &Place,
        rg: Option<&Place>,
        pointer: &str,
        deployment: &[String],
    ) {
        let props = get_ci(r, "properties").cloned().unwrap_or(Json::Null);
        let Some(template) = get_ci(&props, "template").filter(|t| t.is_object()) else {
            if let Some(link) = get_ci(&props, "templateLink") {
                let uri = get_ci(link, "uri")
                    .or_else(|| get_ci(link, "id"))
                    .and_then(Json::as_str)
                    .unwrap_or("?");
                self.notes.borrow_mut().push(format!(
                    "deployment `{name}` links template `{uri}`; its resources are not audited"
                ));
            }
            return;
        };
        let place = |key: &str| -> Option<Place> {
            eval_str(get_ci(r, key), scope).map(|v| match v {
                Ok(s) => Place::Known(s),
                Err(u) => Place::Unknown(u),
            })
        };
        let new_sub = place("subscriptionId").unwrap_or_else(|| sub.clone());
        let given_rg = place("resourceGroup");
        let new_rg = if schema_is_subscription_level(template) {
            None
        } else {
            match given_rg {
                Some(p) => Some(p),
                None if get_ci(r, "subscriptionId").is_some() && rg.is_none() => {
                    Some(Place::Unknown("resourceGroup".into()))
                }
                None => rg.cloned().or(Some(Place::Unknown("resourceGroup".into()))),
            }
        };
        let inner = get_ci(&props, "expressionEvaluationOptions")
            .and_then(|o| get_ci(o, "scope"))
            .and_then(Json::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let mut path = deployment.to_vec();
        path.push(name.to_string());
        let tpointer = format!("{pointer}/properties/template");
        if inner {
            let given = get_ci(&props, "parameters").cloned().unwrap_or(Json::Null);
            let mut inner_scope = Scope::of(template);
            let defs = parameter_definitions(template);
            for (pname, def) in &defs {
                let passed = get_ci(&given, pname);
                let val = match passed {
                    Some(p) if get_ci(p, "value").is_some() => {
                        eval_top(get_ci(p, "value").unwrap_or(&Json::Null), scope)
                    }
                    Some(_) => Err(Unknown(format!("parameters('{pname}') (a reference)"))),
                    None => match get_ci(def, "defaultValue") {
                        Some(d) => eval_top(d, &inner_scope)
                            .map_err(|_| Unknown(format!("parameters('{pname}')"))),
                        None => Err(Unknown(format!("parameters('{pname}')"))),
                    },
                };
                inner_scope.params.insert(pname.clone(), val);
            }
            self.note_undefined(scope, deployment);
            self.template(
                template,
                &inner_scope,
                &new_sub,
                new_rg.as_ref(),
                &tpointer,
                &path,
            );
        } else {
            self.template(template, scope, &new_sub, new_rg.as_ref(), &tpointer, &path);
        }
    }
}

/// The line (1-based) of every value in a JSON text, by lower-case JSON pointer. For members
/// of an object, the line of the key.
pub fn json_lines(text: &str) -> BTreeMap<String, u32> {
    struct S<'a> {
        b: &'a [u8],
        i: usize,
        line: u32,
        out: BTreeMap<String, u32>,
    }
    impl S<'_> {
        fn ws(&mut self) {
            while let Some(&c) = self.b.get(self.i) {
                if c == b'\n' {
                    self.line += 1;
                } else if !c.is_ascii_whitespace() {
                    break;
                }
                self.i += 1;
            }
        }
        fn string(&mut self) -> Option<String> {
            // at '"'
            self.i += 1;
            let start = self.i;
            while let Some(&c) = self.b.get(self.i) {
                match c {
                    b'\\' => self.i += 2,
                    b'"' => {
                        let s = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
                        self.i += 1;
                        return Some(s);
                    }
                    b'\n' => {
                        self.line += 1;
                        self.i += 1;
                    }
                    _ => self.i += 1,
                }
            }
            None
        }
        fn value(&mut self, ptr: &str, depth: u32) -> Option<()> {
            if depth > 256 {
                return None;
            }
            self.ws();
            self.out.entry(ptr.to_string()).or_insert(self.line);
            match *self.b.get(self.i)? {
                b'{' => {
                    self.i += 1;
                    loop {
                        self.ws();
                        match *self.b.get(self.i)? {
                            b'}' => {
                                self.i += 1;
                                return Some(());
                            }
                            b',' => self.i += 1,
                            b'"' => {
                                let line = self.line;
                                let key = self.string()?;
                                let child = format!(
                                    "{ptr}/{}",
                                    key.to_ascii_lowercase()
                                        .replace('~', "~0")
                                        .replace('/', "~1")
                                );
                                self.out.entry(child.clone()).or_insert(line);
                                self.ws();
                                if self.b.get(self.i) != Some(&b':') {
                                    return None;
                                }
                                self.i += 1;
                                let before = self.out.get(&child).copied();
                                self.value(&child, depth + 1)?;
                                if let Some(l) = before {
                                    self.out.insert(child, l);
                                }
                            }
                            _ => return None,
                        }
                    }
                }
                b'[' => {
                    self.i += 1;
                    let mut n = 0usize;
                    loop {
                        self.ws();
                        match *self.b.get(self.i)? {
                            b']' => {
                                self.i += 1;
                                return Some(());
                            }
                            b',' => self.i += 1,
                            _ => {
                                self.value(&format!("{ptr}/{n}"), depth + 1)?;
                                n += 1;
                            }
                        }
                    }
                }
                b'"' => self.string().map(|_| ()),
                _ => {
                    while let Some(&c) = self.b.get(self.i) {
                        if c == b',' || c == b'}' || c == b']' || c.is_ascii_whitespace() {
                            break;
                        }
                        self.i += 1;
                    }
                    Some(())
                }
            }
        }
    }
    let mut s = S {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        out: BTreeMap::new(),
    };
    let _ = s.value("", 0);
    s.out
}

/// The line of the setting at a JSON pointer pattern (`*` matches any key) in an estate file,
/// JSON or YAML, by scanning for its keys in order. Returns the line and how many segments were
/// found.
pub fn estate_line(text: &str, pattern: &str) -> Option<(u32, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0usize;
    let mut found = None;
    let mut matched = 0usize;
    for seg in pattern.split('/').filter(|s| !s.is_empty()) {
        if seg == "*" {
            matched += 1;
            continue;
        }
        let quoted = format!("\"{seg}\"");
        let hit = (at..lines.len()).find(|&i| {
            let l = lines[i].trim_start();
            let l = l.strip_prefix("- ").unwrap_or(l);
            (l.starts_with(&quoted) && l[quoted.len()..].trim_start().starts_with(':'))
                || (l.starts_with(seg) && l[seg.len()..].starts_with(':'))
        });
        match hit {
            Some(i) => {
                at = i + 1;
                matched += 1;
                found = Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
            None => break,
        }
    }
    found.map(|l| (l, matched))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse() {
        assert_eq!(
            parse_id("Microsoft.Network/virtualNetworks/v/subnets/s"),
            Some((
                "Microsoft.Network/virtualNetworks/subnets".into(),
                vec!["v".into(), "s".into()]
            ))
        );
        assert_eq!(
            parse_id(
                "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt"
            ),
            Some(("Microsoft.Network/routeTables".into(), vec!["rt".into()]))
        );
        assert_eq!(parse_id("[resourceId('x')]"), None);
        assert_eq!(
            id_scope("/subscriptions/1/resourceGroups/rg/providers/X.Y/z/n"),
            (Some("1".into()), Some("rg".into()))
        );
    }

    #[test]
    fn lines_of_pointers() {
        let text = "{\n  \"a\": {\n    \"b\": [\n      1,\n      {\"c\": true}\n    ]\n  }\n}\n";
        let l = json_lines(text);
        assert_eq!(l.get("/a"), Some(&2));
        assert_eq!(l.get("/a/b/0"), Some(&4));
        assert_eq!(l.get("/a/b/1/c"), Some(&5));
    }

    #[test]
    fn estate_keys_are_found_in_order() {
        let text = "{\n  \"extends\": \"prod\",\n  \"spokes\": {\n    \"prod\": {\n      \"cluster\": {\n        \"apiServer\": {\n          \"private\": false\n        }\n      }\n    }\n  }\n}\n";
        assert_eq!(
            estate_line(text, "/spokes/*/cluster/apiServer/private"),
            Some((7, 5))
        );
        let yaml = "extends: prod\nspokes:\n  prod:\n    cluster:\n      apiServer:\n        private: false\n";
        assert_eq!(
            estate_line(yaml, "/spokes/*/cluster/apiServer/private"),
            Some((6, 5))
        );
    }

    #[test]
    fn look_is_case_insensitive_and_knows_unknowns() {
        let v = serde_json::json!({"properties": {"enableRbac": true, "x": unknown_value("p")}});
        assert_eq!(
            look(&v, "properties.enableRBAC"),
            Look::Value(&Json::Bool(true))
        );
        assert_eq!(look(&v, "properties.x.y"), Look::Unknown("p"));
        assert_eq!(look(&v, "properties.z"), Look::Missing);
    }
}
