//! ARM template JSON: one subscription-scope template that creates the resource groups and deploys
//! into them through nested inline deployments (inner expression scope), plus a parameter file
//! with the values the estate gives.

use super::Files;
use crate::ir::{Deployment, Expr, Name, ParamType, Resource, Scope, Template, Value};
use indexmap::IndexMap;
use serde_json::{Map, Value as Json, json};

const SUB_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#";
const RG_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const PARAMS_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";

/// Render the template set: `arm/main.json` and `arm/main.parameters.json`.
pub fn render(t: &Template) -> Files {
    files(&template(t), &parameters(t))
}

/// The ARM files of a template and parameter file already spelt by [`template`] and
/// [`parameters`].
pub fn files(template: &Json, parameters: &Json) -> Files {
    let mut files = Files::new();
    files.insert("arm/main.json".into(), super::pretty(template));
    files.insert("arm/main.parameters.json".into(), super::pretty(parameters));
    files
}

/// An expression in ARM's language, without the surrounding brackets.
pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Str(s) => format!("'{}'", s.replace('\'', "''")),
        Expr::Strings(v) => format!(
            "createArray({})",
            v.iter()
                .map(|s| format!("'{}'", s.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Expr::Param(p) => format!("parameters('{p}')"),
        Expr::DeploymentSubscriptionId => "subscription().subscriptionId".into(),
        Expr::DeploymentTenantId => "subscription().tenantId".into(),
        Expr::ResourceId {
            subscription,
            resource_group,
            rtype,
            names,
        } => {
            let mut args: Vec<String> = Vec::new();
            if let Some(s) = subscription {
                args.push(expr(s));
            }
            if let Some(rg) = resource_group {
                args.push(expr(rg));
            }
            args.push(format!("'{rtype}'"));
            args.extend(names.iter().map(expr));
            format!("resourceId({})", args.join(", "))
        }
        Expr::SubscriptionResourceId { rtype, name } => {
            format!("subscriptionResourceId('{rtype}', {})", expr(name))
        }
        Expr::TenantResourceId { rtype, name } => {
            format!("tenantResourceId('{rtype}', {})", expr(name))
        }
        Expr::Reference {
            id,
            api_version,
            full,
            path,
        } => {
            let full = if *full { ", 'full'" } else { "" };
            let mut s = format!("reference({}, '{api_version}'{full})", expr(id));
            for p in path {
                s.push('.');
                s.push_str(p);
            }
            s
        }
        Expr::Guid(parts) => format!(
            "guid({})",
            parts.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A whole-string ARM expression `[...]`.
pub fn expr_string(e: &Expr) -> String {
    format!("[{}]", expr(e))
}

/// A value as ARM JSON.
pub fn value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => json!(n),
        Value::Str(s) => {
            // A literal that starts with '[' would read as an expression; ARM escapes it as "[[".
            if s.starts_with('[') {
                Json::String(format!("[{s}"))
            } else {
                Json::String(s.clone())
            }
        }
        Value::Array(a) => Json::Array(a.iter().map(value).collect()),
        Value::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), value(v))).collect()),
        Value::Expr(e) => Json::String(expr_string(e)),
        Value::ExprKeyed(kv) => {
            Json::Object(kv.iter().map(|(k, v)| (expr_string(k), value(v))).collect())
        }
    }
}

fn param_type(p: ParamType) -> &'static str {
    match p {
        ParamType::String => "string",
        ParamType::Array => "array",
    }
}

pub use crate::ir::relative_id;

fn resource(r: &Resource) -> Json {
    let mut m = Map::new();
    m.insert("type".into(), json!(r.rtype));
    m.insert("apiVersion".into(), json!(r.api_version()));
    if let Some(scope) = &r.scope {
        m.insert(
            "scope".into(),
            json!(relative_id(&scope.rtype, &scope.names)),
        );
    }
    m.insert(
        "name".into(),
        match &r.name {
            Name::Literal(segs) => value(&Value::Str(segs.join("/"))),
            Name::Expr(e) => json!(expr_string(e)),
        },
    );
    for (k, v) in &r.body {
        m.insert(k.clone(), value(v));
    }
    m.insert("dependsOn".into(), json!([]));
    Json::Object(m)
}

fn depends(d: &Deployment, r: &Resource) -> Vec<Json> {
    r.depends_on
        .iter()
        .filter_map(|id| d.resources.iter().find(|x| &x.id == id))
        .map(|dep| {
            let names = match &dep.name {
                Name::Literal(segs) => segs.iter().map(|s| Expr::Str(s.clone())).collect(),
                Name::Expr(e) => vec![e.clone()],
            };
            let id = Expr::ResourceId {
                subscription: None,
                resource_group: None,
                rtype: dep.rtype.clone(),
                names,
            };
            match &dep.scope {
                // Extension resources are referenced by their scope-qualified id.
                Some(scope) => json!(format!(
                    "[extensionResourceId({}, '{}', {})]",
                    expr(&crate::ir::Target::id(scope)),
                    dep.rtype,
                    match &dep.name {
                        Name::Literal(segs) => format!("'{}'", segs.join("/")),
                        Name::Expr(e) => expr(e),
                    }
                )),
                None => json!(expr_string(&id)),
            }
        })
        .collect()
}

fn deployment_name(t: &Template, d: &Deployment) -> String {
    format!("{}-{}", t.estate, d.id)
}

fn nested(
    name: &str,
    target: Map<String, Json>,
    params: &IndexMap<String, (ParamType, Expr)>,
    schema: &str,
    resources: Vec<Json>,
) -> Map<String, Json> {
    let mut inner_params = Map::new();
    let mut outer_params = Map::new();
    for (pname, (ptype, e)) in params {
        inner_params.insert(pname.clone(), json!({ "type": param_type(*ptype) }));
        outer_params.insert(pname.clone(), json!({ "value": expr_string(e) }));
    }
    let mut m = Map::new();
    m.insert("type".into(), json!(crate::azure::types::DEPLOYMENT));
    m.insert(
        "apiVersion".into(),
        json!(crate::azure::types::api_version(
            crate::azure::types::DEPLOYMENT
        )),
    );
    m.insert("name".into(), json!(name));
    m.extend(target);
    // Built by moving values: `json!` would serialise (deep-copy) every nested template again.
    let mut template = Map::new();
    template.insert("$schema".into(), json!(schema));
    template.insert("contentVersion".into(), json!("1.0.0.0"));
    template.insert("parameters".into(), Json::Object(inner_params));
    template.insert("resources".into(), Json::Array(resources));
    let mut properties = Map::new();
    properties.insert(
        "expressionEvaluationOptions".into(),
        json!({ "scope": "Inner" }),
    );
    properties.insert("mode".into(), json!("Incremental"));
    properties.insert("parameters".into(), Json::Object(outer_params));
    properties.insert("template".into(), Json::Object(template));
    m.insert("properties".into(), Json::Object(properties));
    m
}

/// A deployment. Into the deployment's own subscription it is a nested deployment of the main
/// template; into another subscription it is routed through a resource-group deployment in the
/// home resource group, because only resource-group-scope deployments may name a subscription.
fn deployment(t: &Template, d: &Deployment) -> Json {
    let resources: Vec<Json> = d
        .resources
        .iter()
        .map(|r| {
            let mut j = resource(r);
            let deps = depends(d, r);
            if let Json::Object(m) = &mut j {
                if deps.is_empty() {
                    m.remove("dependsOn");
                } else {
                    m.insert("dependsOn".into(), Json::Array(deps));
                }
            }
            j
        })
        .collect();
    let name = deployment_name(t, d);
    let mut target = Map::new();
    let schema = match &d.scope {
        Scope::Subscription { subscription } => {
            if let Some(sub) = subscription {
                target.insert("subscriptionId".into(), json!(expr_string(sub)));
            }
            target.insert("location".into(), json!(t.location));
            SUB_SCHEMA
        }
        Scope::ResourceGroup {
            subscription,
            resource_group,
        } => {
            if let Some(sub) = subscription {
                target.insert("subscriptionId".into(), json!(expr_string(sub)));
            }
            target.insert("resourceGroup".into(), json!(resource_group));
            RG_SCHEMA
        }
    };
    let mut m = nested(&name, target, &d.parameters, schema, resources);
    let mut deps: Vec<Json> = d
        .depends_on
        .iter()
        .filter_map(|id| t.deployments.iter().find(|x| &x.id == id))
        .map(|x| json!(deployment_name(t, x)))
        .collect();
    if let Some(sub) = d.scope.subscription() {
        // The hop: an RG-scope deployment in the home resource group that holds `m`. It needs the
        // parameters `m` is given, and the subscription parameter that `m` is scoped by.
        let mut home = Map::new();
        home.insert("resourceGroup".into(), json!(t.home.1));
        let mut params = d.parameters.clone();
        if let Expr::Param(p) = sub {
            params
                .entry(p.clone())
                .or_insert((ParamType::String, Expr::Param(p.clone())));
        }
        m = nested(&name, home, &params, RG_SCHEMA, vec![Json::Object(m)]);
        // Inside the hop, parameters pass through under the same names.
        let home_id = json!(format!("{}-{}", t.estate, t.home.0));
        if !deps.contains(&home_id) {
            deps.insert(0, home_id);
        }
    }
    if !deps.is_empty() {
        m.insert("dependsOn".into(), Json::Array(deps));
    }
    Json::Object(m)
}

/// The template document, `arm/main.json`, as JSON.
pub fn template(t: &Template) -> Json {
    let mut params = Map::new();
    for (name, p) in &t.parameters {
        let mut m = Map::new();
        m.insert("type".into(), json!(param_type(p.ptype)));
        if let Some(d) = &p.default {
            m.insert("defaultValue".into(), value(d));
        }
        m.insert("metadata".into(), json!({ "description": p.description }));
        params.insert(name.clone(), Json::Object(m));
    }
    let mut m = Map::new();
    m.insert("$schema".into(), json!(SUB_SCHEMA));
    m.insert("contentVersion".into(), json!("1.0.0.0"));
    m.insert(
        "metadata".into(),
        json!({
            "_generator": { "name": "aks-harden" },
            "description": format!("Hardened AKS estate {}: generated by aks-harden, do not edit; change the estate file and generate again", t.estate),
        }),
    );
    m.insert("parameters".into(), Json::Object(params));
    m.insert(
        "resources".into(),
        Json::Array(t.deployments.iter().map(|d| deployment(t, d)).collect()),
    );
    Json::Object(m)
}

/// The parameter file, `arm/main.parameters.json`, as JSON.
pub fn parameters(t: &Template) -> Json {
    let mut params = Map::new();
    for (name, p) in &t.parameters {
        if let Some(v) = &p.value {
            params.insert(name.clone(), json!({ "value": value(v) }));
        }
    }
    json!({
        "$schema": PARAMS_SCHEMA,
        "contentVersion": "1.0.0.0",
        "parameters": params,
    })
}
