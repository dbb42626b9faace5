//! What the audit judges: ARM-shaped resources, flattened from planned resources (the IR as the
//! ARM emitter spells it), from any ARM template (nested inline deployments and child resources
//! included, evaluated as Resource Manager expands it), from a Terraform plan (azurerm and azapi
//! resources read back as ARM), or from the JSON of a live cluster (`az aks show -o json`).
//!
//! Values the audit cannot evaluate are replaced by an *unknown* marker that keeps the expression,
//! so a check can say "unknown" instead of guessing.

mod flatten;
mod lines;
mod resource;
mod terraform;

use crate::azure::types;
use crate::emit::arm;
use crate::ir::Template;
use crate::posture::Tier;
use indexmap::IndexMap;
pub use lines::{estate_line, json_lines};
pub use resource::{Look, Place, Resource, as_unknown, id_scope, look, parse_id, unknown_value};
pub(crate) use resource::{id_key, id_segments};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// What kind of input was audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A built-in profile or an estate file, rendered by aks-harden.
    Estate,
    /// An ARM template.
    Template,
    /// A Terraform plan (`terraform show -json`).
    Plan,
    /// The JSON of a live cluster.
    Live,
}

impl Kind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Estate => "estate",
            Kind::Template => "template",
            Kind::Plan => "plan",
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
    /// Resources of `kind` judged in `context`, with no line numbers yet.
    fn new(
        kind: Kind,
        source: Source,
        context: Context,
        resources: Vec<Resource>,
        notes: Vec<String>,
    ) -> Input {
        Input {
            kind,
            source,
            tier: context.tier,
            waivers: context.waivers,
            tags: context.tags,
            resources,
            notes,
            lines: BTreeMap::new(),
        }
    }

    /// The text of `source`, which the input of a file must carry; `what` names it.
    fn text_of(source: &Source, what: &str) -> Result<String, InputError> {
        source
            .text
            .clone()
            .ok_or_else(|| input_error(format!("no {what}")))
    }

    /// Audit planned resources: the IR as the ARM emitter spells it, with the estate's tier,
    /// waivers and tags from `context`. `source` names the estate file (or built-in profile).
    pub fn from_ir(template: &Template, context: Context, source: Source) -> Input {
        Input::from_arm_owned(
            arm::template(template),
            arm::parameters(template),
            context,
            source,
        )
    }

    /// [`Input::from_ir`] when the ARM emitter has already spelt the plan (`doc`, `params`):
    /// `generate` spells it once for the audit and for `arm/main.json`.
    pub fn from_arm(doc: &Json, params: &Json, context: Context, source: Source) -> Input {
        let (resources, notes) =
            flatten::flatten(flatten::Part::Shared(doc), &parameter_values(params));
        Input::new(Kind::Estate, source, context, resources, notes)
    }

    /// [`Input::from_arm`] for a spelling the caller has no more use for: the resources take
    /// their values from `doc` instead of copying them, and what they do not take is freed as
    /// the flattening goes, so the template and its resources are never both held whole.
    pub fn from_arm_owned(mut doc: Json, params: Json, context: Context, source: Source) -> Input {
        let values = parameter_values_owned(params);
        let (resources, notes) = flatten::flatten(flatten::Part::Owned(&mut doc), &values);
        Input::new(Kind::Estate, source, context, resources, notes)
    }

    /// Audit an ARM template (its text is `source.text`), with parameter values from a
    /// parameter file's text, else the template's defaults.
    pub fn from_template(source: Source, parameters: Option<&str>) -> Result<Input, InputError> {
        let text = Input::text_of(&source, "template text")?;
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
                parameter_values_owned(pdoc)
            }
            None => Map::new(),
        };
        let mut doc = doc;
        let (resources, notes) = flatten::flatten(flatten::Part::Owned(&mut doc), &values);
        Ok(Input::new(
            Kind::Template,
            source,
            Context::default(),
            resources,
            notes,
        ))
    }

    /// Audit a Terraform plan: the JSON `terraform show -json plan.out` prints (its text is
    /// `source.text`). Its azurerm and azapi resources are judged as the ARM resources they
    /// stand for; values known only after apply are unknown.
    pub fn from_plan(source: Source) -> Result<Input, InputError> {
        let text = Input::text_of(&source, "plan JSON")?;
        let doc: Json = serde_json::from_str(&text)
            .map_err(|e| input_error(format!("not JSON from `terraform show -json`: {e}")))?;
        let (resources, notes) = terraform::resources(&doc).map_err(input_error)?;
        let mut input = Input::new(Kind::Plan, source, Context::default(), resources, notes);
        input.lines = json_lines(&text);
        Ok(input)
    }

    /// Audit the JSON of a live cluster (`az aks show -o json`; an array from `az aks list`
    /// works too). Its text is `source.text`.
    pub fn from_live(source: Source) -> Result<Input, InputError> {
        let text = Input::text_of(&source, "live cluster JSON")?;
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
            let is_cluster = obj
                .get("type")
                .and_then(Json::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(types::AKS))
                || obj.contains_key("agentPoolProfiles");
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
                rtype: types::AKS.into(),
                label: name.clone(),
                raw_name: name.clone(),
                name_known: true,
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
        let mut input = Input::new(
            Kind::Live,
            source,
            Context::default(),
            resources,
            Vec::new(),
        );
        input.lines = json_lines(&text);
        Ok(input)
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

/// The values of a parameter file: the deployment parameters form (`{"parameters": {...}}`),
/// the bare object, or what `bicep build-params --stdout` prints for a `.bicepparam` file (the
/// parameters form as the string `parametersJson`).
fn parameter_values(doc: &Json) -> Map<String, Json> {
    if let Some(inner) = doc
        .get("parametersJson")
        .and_then(Json::as_str)
        .and_then(|s| serde_json::from_str::<Json>(s).ok())
    {
        return parameter_values(&inner);
    }
    let params = doc.get("parameters").unwrap_or(doc);
    params.as_object().cloned().unwrap_or_default()
}

/// [`parameter_values`], taking them out of `doc`.
fn parameter_values_owned(mut doc: Json) -> Map<String, Json> {
    if doc
        .get("parametersJson")
        .and_then(Json::as_str)
        .and_then(|s| serde_json::from_str::<Json>(s).ok())
        .is_some()
    {
        return parameter_values(&doc);
    }
    let params = match doc.get_mut("parameters") {
        Some(p) => std::mem::take(p),
        None => doc,
    };
    match params {
        Json::Object(o) => o,
        _ => Map::new(),
    }
}
