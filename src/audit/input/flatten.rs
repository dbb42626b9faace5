//! Flattening a template into resources: parameters and variables evaluated where they can be,
//! nested inline deployments followed with their scopes, child resources declared inside their
//! parents lifted out with their full type and name.

use super::resource::{Place, Resource, unknown_value};
use crate::audit::expr::{self, Env, Unknown, Val};
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};
use std::cell::RefCell;

/// The resources of a template, with parameter values from `values` (else the defaults), and
/// notes on what could not be followed (linked templates, undefined parameters).
pub(super) fn flatten(doc: &Json, values: &Map<String, Json>) -> (Vec<Resource>, Vec<String>) {
    let mut fl = Flattener::default();
    let root_scope = Flattener::root_scope(doc, values);
    let rg = if schema_is_subscription_level(doc) {
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
