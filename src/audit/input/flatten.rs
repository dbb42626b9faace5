//! Flattening a template into resources, as Azure Resource Manager expands it before a
//! deployment: parameters (given, defaulted, or `null` when nullable), variables (with their
//! `copy` loops), resource `condition`s (a resource whose condition is false does not exist),
//! resource and property `copy` loops with counts the template decides, nested inline
//! deployments with inner or outer expression scope, `languageVersion: 2.0` templates whose
//! resources are an object keyed by symbolic name, and child resources declared inside their
//! parents, lifted out with their full type and name.
//!
//! A resource whose name cannot be evaluated is named after its symbolic name (or type) and its
//! JSON path in the template, never after a fragment of an expression.

use super::resource::{Place, Resource};
use crate::audit::expr::{self, Env, Unknown, Val, known, to_marker};
use crate::azure::types;
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How many instances a copy loop may expand to before it is judged once instead.
const MAX_COPIES: i64 = 200;

/// The resources of a template, with parameter values from `values` (else the defaults), and
/// notes on what could not be followed (linked templates, undefined parameters). An owned
/// template is consumed: what a resource keeps as it is written moves into the resource, and
/// each resource's declaration is freed once read.
pub(super) fn flatten(doc: Part<'_>, values: &Map<String, Json>) -> (Vec<Resource>, Vec<String>) {
    let mut fl = Flattener::default();
    // The first value whose name equals a parameter's, ignoring case.
    let mut by_name: IndexMap<String, &Json> = IndexMap::with_capacity(values.len());
    for (k, v) in values {
        by_name.entry(k.to_ascii_lowercase()).or_insert(v);
    }
    let root_scope = Scope::of(doc.json(), &|name, def, scope| {
        let given = by_name.get(&name.to_ascii_lowercase()).copied();
        match given {
            Some(v) if v.get("value").is_some() => Ok(v["value"].clone()),
            Some(v) if v.get("reference").is_some() => Err(Unknown(format!(
                "parameters('{name}') (a Key Vault reference)"
            ))),
            _ => default_value(name, def, scope),
        }
    });
    let rg = if schema_is_subscription_level(doc.json()) {
        None
    } else {
        Some(Place::Root)
    };
    fl.template(doc, &root_scope, &Place::Root, rg.as_ref(), "", &[]);
    (fl.out, fl.notes.into_inner())
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

/// [`get_ci`], for changing the value found.
fn get_ci_mut<'a>(o: &'a mut Json, key: &str) -> Option<&'a mut Json> {
    let obj = o.as_object_mut()?;
    if obj.contains_key(key) {
        return obj.get_mut(key);
    }
    obj.iter_mut()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// A part of the template being flattened: borrowed, so a resource copies what it keeps; or
/// the flattening's own, so what a resource keeps moves out of it.
pub(super) enum Part<'a> {
    /// Read only.
    Shared(&'a Json),
    /// Taken apart as it is read.
    Owned(&'a mut Json),
}

impl<'a> Part<'a> {
    /// The JSON, to read.
    fn json(&self) -> &Json {
        match self {
            Part::Shared(j) => j,
            Part::Owned(j) => j,
        }
    }

    /// The same part, for a call that does not consume it.
    fn reborrow(&mut self) -> Part<'_> {
        match self {
            Part::Shared(j) => Part::Shared(j),
            Part::Owned(j) => Part::Owned(j),
        }
    }

    /// The same part, read only: for a copy-loop instance that others follow.
    fn shared(&self) -> Part<'_> {
        Part::Shared(self.json())
    }

    /// The items of the array at `key` (with no key), or the members of the object there (with
    /// their keys); `ci` finds the key ignoring case.
    fn members(self, key: &str, ci: bool) -> Vec<(Option<&'a str>, Part<'a>)> {
        match self {
            Part::Shared(j) => match if ci { get_ci(j, key) } else { j.get(key) } {
                Some(Json::Array(a)) => a.iter().map(|x| (None, Part::Shared(x))).collect(),
                Some(Json::Object(o)) if !ci => o
                    .iter()
                    .map(|(k, x)| (Some(k.as_str()), Part::Shared(x)))
                    .collect(),
                _ => Vec::new(),
            },
            Part::Owned(j) => match if ci {
                get_ci_mut(j, key)
            } else {
                j.get_mut(key)
            } {
                Some(Json::Array(a)) => a.iter_mut().map(|x| (None, Part::Owned(x))).collect(),
                Some(Json::Object(o)) if !ci => o
                    .iter_mut()
                    .map(|(k, x)| (Some(k.as_str()), Part::Owned(x)))
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    /// Free an owned part that has been read.
    fn free(self) {
        if let Part::Owned(j) = self {
            *j = Json::Null;
        }
    }

    /// The evaluated members of a resource object, but those named in `skip`: copied from a
    /// shared part, moved out of an owned one where evaluating leaves them as they are.
    fn body(self, skip: &[&str], env: &dyn Env) -> Map<String, Json> {
        let keep = |k: &str| !skip.iter().any(|s| s.eq_ignore_ascii_case(k));
        let mut body = Map::with_capacity(self.json().as_object().map_or(0, Map::len));
        match self {
            Part::Shared(j) => {
                for (k, v) in j.as_object().into_iter().flatten() {
                    if keep(k) {
                        body.insert(k.clone(), to_marker(eval_value(v, env)));
                    }
                }
            }
            Part::Owned(j) => {
                for (k, v) in j.as_object_mut().into_iter().flatten() {
                    if keep(k) {
                        let val = match evaluated(v, env) {
                            Some(val) => to_marker(val),
                            None => std::mem::take(v),
                        };
                        body.insert(k.clone(), val);
                    }
                }
            }
        }
        body
    }
}

/// A parameter's default: its `defaultValue` evaluated, `null` when it is nullable, else unknown.
fn default_value(name: &str, def: &Json, scope: &Scope) -> Val {
    match get_ci(def, "defaultValue") {
        Some(d) => eval_value(d, scope).map_err(|_| Unknown(format!("parameters('{name}')"))),
        None if get_ci(def, "nullable").and_then(Json::as_bool) == Some(true) => Ok(Json::Null),
        None => Err(Unknown(format!("parameters('{name}')"))),
    }
}

/// A template's parameters and variables.
struct Scope {
    params: IndexMap<String, Val>,
    /// Lower-case parameter name → the first parameter of that name, by position in `params`.
    param_at: IndexMap<String, usize>,
    vars: Map<String, Json>,
    var_loops: Vec<Json>,
    cache: RefCell<BTreeMap<String, Val>>,
    depth: RefCell<u32>,
    undefined: RefCell<Vec<String>>,
}

/// How a parameter gets its value: (name, definition, the scope so far).
type Given<'a> = dyn Fn(&str, &Json, &Scope) -> Val + 'a;

impl Scope {
    /// The scope of `template`: its variables, and its parameters valued by `given` in order (a
    /// default may use the parameters before it).
    fn of(template: &Json, given: &Given) -> Scope {
        let mut vars = template
            .get("variables")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let var_loops = match vars.remove("copy") {
            Some(Json::Array(a)) => a,
            _ => Vec::new(),
        };
        let mut scope = Scope {
            params: IndexMap::new(),
            param_at: IndexMap::new(),
            vars,
            var_loops,
            cache: RefCell::new(BTreeMap::new()),
            depth: RefCell::new(0),
            undefined: RefCell::new(Vec::new()),
        };
        let defs = template
            .get("parameters")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        for (name, def) in &defs {
            let val = given(name, def, &scope);
            let (at, _) = scope.params.insert_full(name.clone(), val);
            scope
                .param_at
                .entry(name.to_ascii_lowercase())
                .or_insert(at);
        }
        scope
    }

    fn variable_uncached(&self, name: &str) -> Val {
        let unknown = || Unknown(format!("variables('{name}')"));
        if let Some(l) = self.var_loops.iter().find(|l| {
            get_ci(l, "name")
                .and_then(Json::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) {
            let count = copy_count(l, self).map_err(|_| unknown())?;
            let input = get_ci(l, "input").cloned().unwrap_or(Json::Null);
            let mut out = Vec::new();
            for i in 0..count {
                let env = Looped {
                    inner: self,
                    name: Some(name),
                    index: i,
                };
                out.push(to_marker(eval_value(&input, &env)));
            }
            return Ok(Json::Array(out));
        }
        let raw = self
            .vars
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(unknown)?;
        eval_value(&raw, self)
    }
}

impl Env for Scope {
    fn parameter(&self, name: &str) -> Val {
        let found = self
            .param_at
            .get(&name.to_ascii_lowercase())
            .and_then(|&at| self.params.get_index(at));
        match found {
            Some((_, v)) => v.clone(),
            None => {
                self.undefined.borrow_mut().push(name.to_string());
                Err(Unknown(format!("parameters('{name}')")))
            }
        }
    }

    fn variable(&self, name: &str) -> Val {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.cache.borrow().get(&key) {
            return v.clone();
        }
        if *self.depth.borrow() > 32 {
            return Err(Unknown(format!("variables('{name}')")));
        }
        *self.depth.borrow_mut() += 1;
        let v = self.variable_uncached(name);
        *self.depth.borrow_mut() -= 1;
        self.cache.borrow_mut().insert(key, v.clone());
        v
    }
}

/// An environment inside one iteration of a copy loop.
struct Looped<'a> {
    inner: &'a dyn Env,
    name: Option<&'a str>,
    index: i64,
}

impl Env for Looped<'_> {
    fn parameter(&self, name: &str) -> Val {
        self.inner.parameter(name)
    }

    fn variable(&self, name: &str) -> Val {
        self.inner.variable(name)
    }

    fn copy_index(&self, name: Option<&str>) -> Val {
        match (name, self.name) {
            (None, _) => Ok(Json::from(self.index)),
            (Some(n), Some(m)) if n.eq_ignore_ascii_case(m) => Ok(Json::from(self.index)),
            _ => self.inner.copy_index(name),
        }
    }
}

/// The `count` of a copy loop, when the template decides it.
fn copy_count(l: &Json, env: &dyn Env) -> Result<i64, Unknown> {
    let c = known(eval_value(get_ci(l, "count").unwrap_or(&Json::Null), env))?;
    match c
        .as_i64()
        .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
    {
        Some(n) if (0..=MAX_COPIES).contains(&n) => Ok(n),
        _ => Err(Unknown("copy count".into())),
    }
}

/// Evaluate a value: expressions evaluated, `[[` unescaped, property `copy` loops expanded;
/// unknowns inside objects and arrays become markers.
fn eval_value(v: &Json, env: &dyn Env) -> Val {
    evaluated(v, env).unwrap_or_else(|| Ok(v.clone()))
}

/// Whether evaluating a string changes it: an expression, or the `[[` escape.
fn changes(s: &str) -> bool {
    s.starts_with('[') && (expr::is_expression(s) || s.starts_with("[["))
}

/// [`eval_value`], or `None` when evaluating leaves `v` as it is (nothing in it is an
/// expression, an escape or a copy loop): the caller clones it whole rather than rebuilding it.
fn evaluated(v: &Json, env: &dyn Env) -> Option<Val> {
    match v {
        Json::String(s) if changes(s) => Some(expr::eval_json(v, env)),
        Json::Array(a) => {
            let mut out: Option<Vec<Json>> = None;
            for (i, x) in a.iter().enumerate() {
                match (evaluated(x, env), &mut out) {
                    (None, None) => {}
                    (None, Some(o)) => o.push(x.clone()),
                    (Some(val), o) => {
                        let o = o.get_or_insert_with(|| {
                            let mut o = Vec::with_capacity(a.len());
                            o.extend(a[..i].iter().cloned());
                            o
                        });
                        o.push(to_marker(val));
                    }
                }
            }
            out.map(|o| Ok(Json::Array(o)))
        }
        Json::Object(o)
            if o.iter()
                .any(|(k, x)| k == "copy" && x.is_array() || changes(k)) =>
        {
            Some(Ok(Json::Object(eval_object(o, env))))
        }
        Json::Object(o) => {
            let mut out: Option<Map<String, Json>> = None;
            for (i, (k, x)) in o.iter().enumerate() {
                match (evaluated(x, env), &mut out) {
                    (None, None) => {}
                    (None, Some(m)) => {
                        m.insert(k.clone(), x.clone());
                    }
                    (Some(val), m) => {
                        let m = m.get_or_insert_with(|| {
                            let mut m = Map::with_capacity(o.len());
                            for (k, x) in o.iter().take(i) {
                                m.insert(k.clone(), x.clone());
                            }
                            m
                        });
                        m.insert(k.clone(), to_marker(val));
                    }
                }
            }
            out.map(|m| Ok(Json::Object(m)))
        }
        _ => None,
    }
}

/// An object with property `copy` loops or expression keys, evaluated.
fn eval_object(o: &Map<String, Json>, env: &dyn Env) -> Map<String, Json> {
    let mut m = Map::with_capacity(o.len());
    for (k, x) in o {
        if k == "copy" && x.is_array() {
            for l in x.as_array().into_iter().flatten() {
                let Some(n) = get_ci(l, "name").and_then(Json::as_str) else {
                    continue;
                };
                let input = get_ci(l, "input").cloned().unwrap_or(Json::Null);
                let items = copy_count(l, env).map(|count| {
                    (0..count)
                        .map(|i| {
                            let looped = Looped {
                                inner: env,
                                name: Some(n),
                                index: i,
                            };
                            to_marker(eval_value(&input, &looped))
                        })
                        .collect::<Vec<_>>()
                });
                m.insert(
                    n.to_string(),
                    match items {
                        Ok(items) => Json::Array(items),
                        Err(_) => expr::marker(&format!("copy loop `{n}`")),
                    },
                );
            }
            continue;
        }
        let key = if expr::is_expression(k) {
            match known(expr::eval_string(k, env)) {
                Ok(Json::String(s)) => s,
                _ => k.clone(),
            }
        } else {
            k.clone()
        };
        m.insert(key, to_marker(eval_value(x, env)));
    }
    m
}

/// A value as a string, when it is known.
fn known_string(v: Option<&Json>, env: &dyn Env) -> Option<Result<String, String>> {
    let v = v?;
    Some(match known(eval_value(v, env)) {
        Ok(Json::String(s)) => Ok(s),
        Ok(other) => expr::text(&other).ok_or_else(|| other.to_string()),
        Err(Unknown(u)) => Err(u),
    })
}

/// A JSON pointer as a path: `/resources/3/properties/template/resources/aks` becomes
/// `resources[3].properties.template.resources.aks`.
fn json_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').filter(|s| !s.is_empty()) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.chars().all(|c| c.is_ascii_digit()) {
            let _ = write!(out, "[{seg}]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
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
    "import",
];

/// Where a resource sits: its deployment's subscription and resource group, its JSON pointer,
/// the deployments it is nested in, and its symbolic name (`languageVersion: 2.0`).
struct At<'a> {
    sub: &'a Place,
    rg: Option<&'a Place>,
    pointer: String,
    deployment: &'a [String],
    symbol: Option<&'a str>,
    /// Where the template it is declared in starts, in `pointer`.
    base: usize,
}

impl At<'_> {
    /// Its JSON path inside its own template, and the deployments that template sits in:
    /// `resources[2] of deployment hub/dev-access`.
    fn path(&self) -> String {
        let local = json_path(&self.pointer[self.base.min(self.pointer.len())..]);
        if self.deployment.is_empty() {
            local
        } else {
            format!("{local} of deployment {}", self.deployment.join("/"))
        }
    }
}

impl Flattener {
    fn note(&self, note: String) {
        let mut notes = self.notes.borrow_mut();
        if !notes.contains(&note) {
            notes.push(note);
        }
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
            self.note(format!(
                "{at} uses parameter `{p}`, which is not declared in its scope; ARM will reject it"
            ));
        }
    }

    fn template(
        &mut self,
        doc: Part<'_>,
        scope: &Scope,
        sub: &Place,
        rg: Option<&Place>,
        pointer: &str,
        deployment: &[String],
    ) {
        for (i, (key, mut r)) in doc.members("resources", false).into_iter().enumerate() {
            let at = At {
                sub,
                rg,
                pointer: match key {
                    None => format!("{pointer}/resources/{i}"),
                    Some(k) => format!(
                        "{pointer}/resources/{}",
                        k.replace('~', "~0").replace('/', "~1")
                    ),
                },
                deployment,
                symbol: key,
                base: pointer.len(),
            };
            self.looped(r.reborrow(), None, scope, &at);
            r.free();
        }
        self.note_undefined(scope, deployment);
    }

    /// A resource, once per instance of its copy loop (only the last takes an owned part apart).
    fn looped(&mut self, mut r: Part<'_>, parent: Option<(&str, &str)>, env: &dyn Env, at: &At) {
        let Some(l) = get_ci(r.json(), "copy").filter(|l| l.is_object()) else {
            self.resource(r, parent, env, at, None);
            return;
        };
        let name = get_ci(l, "name").and_then(Json::as_str).map(str::to_string);
        match copy_count(l, env) {
            Ok(count) => {
                for i in 0..count {
                    let looped = Looped {
                        inner: env,
                        name: name.as_deref(),
                        index: i,
                    };
                    let part = if i + 1 == count {
                        r.reborrow()
                    } else {
                        r.shared()
                    };
                    self.resource(part, parent, &looped, at, Some(i));
                }
            }
            Err(_) => {
                let what = at
                    .symbol
                    .map_or_else(|| json_path(&at.pointer), str::to_string);
                self.note(format!(
                    "`{what}` is declared in a copy loop whose count the audit cannot evaluate; it is judged once"
                ));
                self.resource(r, parent, env, at, None);
            }
        }
    }

    /// One instance of a resource.
    fn resource(
        &mut self,
        part: Part<'_>,
        parent: Option<(&str, &str)>,
        env: &dyn Env,
        at: &At,
        instance: Option<i64>,
    ) {
        let r = part.json();
        if !r.is_object() || get_ci(r, "existing").and_then(Json::as_bool) == Some(true) {
            return;
        }
        if let Some(c) = get_ci(r, "condition") {
            if let Ok(v) = known(eval_value(c, env)) {
                if expr::truthy(&v) == Some(false) {
                    return;
                }
            }
        }
        let raw_type = get_ci(r, "type").and_then(Json::as_str).unwrap_or_default();
        let raw_name = get_ci(r, "name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string();
        let child =
            parent.filter(|_| !raw_type.split('/').next().unwrap_or_default().contains('.'));
        let rtype = match child {
            Some((pt, _)) => format!("{pt}/{raw_type}"),
            None => raw_type.to_string(),
        };
        let evaluated = known_string(get_ci(r, "name"), env).and_then(Result::ok);
        let label = match &evaluated {
            Some(n) => match child {
                Some((_, pn)) => format!("{pn}/{n}"),
                None => n.clone(),
            },
            None => {
                let what = at.symbol.map_or_else(
                    || rtype.rsplit('/').next().unwrap_or_default().to_string(),
                    str::to_string,
                );
                let copy = instance.map(|i| format!(" (copy {i})")).unwrap_or_default();
                format!("{what} at {}{copy}", at.path())
            }
        };
        let name = match (&evaluated, child) {
            (Some(_), _) => label.clone(),
            (None, Some((_, pn))) => format!("{pn}/{label}"),
            (None, None) => {
                // One segment per level of the type; only the last one is this resource's own.
                let levels = rtype.split('/').count().saturating_sub(1).max(1);
                let mut segs = vec!["(unknown)".to_string(); levels - 1];
                segs.push(label.clone());
                segs.join("/")
            }
        };
        if rtype.eq_ignore_ascii_case(types::DEPLOYMENT) {
            self.deployment(part, &name, env, at);
            return;
        }
        let scope_attr = get_ci(r, "scope").map(|s| match known_string(Some(s), env) {
            Some(Ok(s)) => s,
            Some(Err(u)) => format!("[{u}]"),
            None => String::new(),
        });
        let name_known = evaluated.is_some();
        let mut part = part;
        let body = part.reborrow().body(BODY_SKIP, env);
        self.out.push(Resource {
            rtype: rtype.clone(),
            label: if name_known { name.clone() } else { label },
            name: name.clone(),
            raw_name,
            name_known,
            scope: scope_attr,
            body: Json::Object(body),
            subscription: at.sub.clone(),
            resource_group: at.rg.cloned(),
            pointer: at.pointer.clone(),
            properties_pointer: format!("{}/properties", at.pointer),
            deployment: at.deployment.to_vec(),
        });
        for (i, (_, c)) in part.members("resources", true).into_iter().enumerate() {
            let child_at = At {
                sub: at.sub,
                rg: at.rg,
                pointer: format!("{}/resources/{i}", at.pointer),
                deployment: at.deployment,
                symbol: None,
                base: at.base,
            };
            self.looped(c, Some((&rtype, &name)), env, &child_at);
        }
    }

    fn deployment(&mut self, part: Part<'_>, name: &str, env: &dyn Env, at: &At) {
        let r = part.json();
        let props = get_ci(r, "properties").unwrap_or(&Json::Null);
        let Some(template) = get_ci(props, "template").filter(|t| t.is_object()) else {
            if let Some(link) = get_ci(props, "templateLink") {
                let uri = get_ci(link, "uri")
                    .or_else(|| get_ci(link, "id"))
                    .and_then(Json::as_str)
                    .unwrap_or("?");
                self.note(format!(
                    "deployment `{name}` links template `{uri}`; its resources are not audited"
                ));
            }
            return;
        };
        let place = |key: &str| -> Option<Place> {
            known_string(get_ci(r, key), env).map(|v| match v {
                Ok(s) => Place::Known(s),
                Err(u) => Place::Unknown(u),
            })
        };
        let new_sub = place("subscriptionId").unwrap_or_else(|| at.sub.clone());
        let given_rg = place("resourceGroup");
        let new_rg = if schema_is_subscription_level(template) {
            None
        } else {
            match given_rg {
                Some(p) => Some(p),
                None if get_ci(r, "subscriptionId").is_some() && at.rg.is_none() => {
                    Some(Place::Unknown("resourceGroup".into()))
                }
                None => at
                    .rg
                    .cloned()
                    .or(Some(Place::Unknown("resourceGroup".into()))),
            }
        };
        let inner = get_ci(props, "expressionEvaluationOptions")
            .and_then(|o| get_ci(o, "scope"))
            .and_then(Json::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let mut path = at.deployment.to_vec();
        path.push(name.to_string());
        let tpointer = format!("{}/properties/template", at.pointer);
        let inner_scope = inner.then(|| {
            let given = get_ci(props, "parameters").unwrap_or(&Json::Null);
            Scope::of(template, &|pname, def, scope| match get_ci(given, pname) {
                Some(p) if get_ci(p, "value").is_some() => {
                    eval_value(get_ci(p, "value").unwrap_or(&Json::Null), env)
                }
                Some(_) => Err(Unknown(format!("parameters('{pname}') (a reference)"))),
                None => default_value(pname, def, scope),
            })
        });
        // An owned nested template is moved out of the deployment and freed with this call.
        let mut taken = Json::Null;
        let template = match part {
            Part::Shared(_) => Part::Shared(template),
            Part::Owned(r) => {
                if let Some(t) = get_ci_mut(r, "properties").and_then(|p| get_ci_mut(p, "template"))
                {
                    taken = std::mem::take(t);
                }
                Part::Owned(&mut taken)
            }
        };
        if let Some(inner_scope) = inner_scope {
            self.template(
                template,
                &inner_scope,
                &new_sub,
                new_rg.as_ref(),
                &tpointer,
                &path,
            );
        } else {
            // Outer scope: the nested template's expressions are the parent's.
            let outer = Outer { env };
            self.outer_template(
                template,
                &outer,
                &new_sub,
                new_rg.as_ref(),
                &tpointer,
                &path,
            );
        }
    }

    fn outer_template(
        &mut self,
        doc: Part<'_>,
        env: &Outer,
        sub: &Place,
        rg: Option<&Place>,
        pointer: &str,
        deployment: &[String],
    ) {
        for (i, (symbol, mut r)) in doc.members("resources", false).into_iter().enumerate() {
            let at = At {
                sub,
                rg,
                pointer: match symbol {
                    None => format!("{pointer}/resources/{i}"),
                    Some(k) => format!("{pointer}/resources/{k}"),
                },
                deployment,
                symbol,
                base: pointer.len(),
            };
            self.looped(r.reborrow(), None, env.env, &at);
            r.free();
        }
    }
}

/// The environment of a nested template in outer scope: its parent's.
struct Outer<'a> {
    env: &'a dyn Env,
}
