//! ARM template JSON: one subscription-scope template that creates the resource groups and deploys
//! into them through nested inline deployments (inner expression scope), plus a parameter file
//! with the values the estate gives.

mod text;

use super::Files;
use crate::ir::{Deployment, Expr, Name, ParamType, Resource, Scope, Template, Value};
use indexmap::IndexMap;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

const SUB_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#";
const RG_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const PARAMS_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";

/// Render the template set: `arm/main.json` and `arm/main.parameters.json`, printed straight
/// from the plan; the same bytes as [`files`] of [`template`] and [`parameters`].
pub fn render(t: &Template) -> Files {
    let (main, params) = crate::par::both(|| text::template(t), || text::parameters(t));
    let mut files = Files::new();
    files.insert("arm/main.json".into(), main);
    files.insert("arm/main.parameters.json".into(), params);
    files
}

/// Azure Resource Manager's limits on one template, from Microsoft's template limits
/// (<https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices#template-limits>):
/// its size, its resources and its parameters. A nested inline template is a template of its
/// own, with the same limits.
pub mod limits {
    /// The largest template, in bytes (4 MB).
    pub const TEMPLATE_BYTES: usize = 4 * 1024 * 1024;
    /// The most resources in one template.
    pub const RESOURCES: usize = 800;
    /// The most parameters of one template.
    pub const PARAMETERS: usize = 256;
    /// Where the limits are documented.
    pub const DOC: &str = "https://learn.microsoft.com/azure/azure-resource-manager/templates/best-practices#template-limits";
}

/// Every limit on one template ([`limits`]) that `arm/main.json` breaks, in words, naming the
/// count and the limit; empty when it deploys as one template. `bytes` is the size of
/// `arm/main.json`, when it was rendered. `main.bicep` compiles to a template that nests the
/// same deployments, so its counts are the same.
pub fn over_limits(t: &Template, bytes: Option<usize>) -> Vec<String> {
    let mut over = Vec::new();
    if let Some(b) = bytes.filter(|&b| b > limits::TEMPLATE_BYTES) {
        over.push(format!("it is {:.1} MB (limit 4 MB)", mb(b)));
    }
    let (r, p) = (limits::RESOURCES, limits::PARAMETERS);
    let n = t.deployments.len();
    past(&mut over, n, r, || {
        format!("it holds {n} resources, a nested deployment per planned deployment")
    });
    let n = t.parameters.len();
    past(&mut over, n, p, || format!("it has {n} parameters"));
    for d in &t.deployments {
        let (n, id) = (d.resources.len(), &d.id);
        past(&mut over, n, r, || {
            format!("its nested deployment `{id}` holds {n} resources")
        });
        let n = d.parameters.len();
        past(&mut over, n, p, || {
            format!("its nested deployment `{id}` has {n} parameters")
        });
    }
    over
}

/// `what` with its limit, into `over` when `count` is past `limit`.
fn past(over: &mut Vec<String>, count: usize, limit: usize, what: impl FnOnce() -> String) {
    if count > limit {
        over.push(format!("{} (limit {limit})", what()));
    }
}

#[allow(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
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
    let mut out = String::with_capacity(64);
    expr_into(&mut out, e);
    out
}

/// A string literal in ARM's language: single-quoted, a quote doubled.
fn literal_into(out: &mut String, s: &str) {
    out.push('\'');
    let mut parts = s.split('\'');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for p in parts {
        out.push_str("''");
        out.push_str(p);
    }
    out.push('\'');
}

/// [`expr`], written into `out`.
fn expr_into(out: &mut String, e: &Expr) {
    match e {
        Expr::Str(s) => literal_into(out, s),
        Expr::Strings(v) => {
            out.push_str("createArray(");
            for (i, s) in v.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                literal_into(out, s);
            }
            out.push(')');
        }
        Expr::Param(p) => {
            out.push_str("parameters('");
            out.push_str(p);
            out.push_str("')");
        }
        Expr::DeploymentSubscriptionId => out.push_str("subscription().subscriptionId"),
        Expr::DeploymentTenantId => out.push_str("subscription().tenantId"),
        Expr::ResourceId {
            subscription,
            resource_group,
            rtype,
            names,
        } => {
            out.push_str("resourceId(");
            for x in subscription.iter().chain(resource_group.iter()) {
                expr_into(out, x);
                out.push_str(", ");
            }
            out.push('\'');
            out.push_str(rtype);
            out.push('\'');
            for n in names {
                out.push_str(", ");
                expr_into(out, n);
            }
            out.push(')');
        }
        Expr::SubscriptionResourceId { rtype, name } => {
            out.push_str("subscriptionResourceId('");
            out.push_str(rtype);
            out.push_str("', ");
            expr_into(out, name);
            out.push(')');
        }
        Expr::TenantResourceId { rtype, name } => {
            out.push_str("tenantResourceId('");
            out.push_str(rtype);
            out.push_str("', ");
            expr_into(out, name);
            out.push(')');
        }
        Expr::Reference {
            id,
            api_version,
            full,
            path,
        } => {
            out.push_str("reference(");
            expr_into(out, id);
            out.push_str(", '");
            out.push_str(api_version);
            out.push('\'');
            if *full {
                out.push_str(", 'full'");
            }
            out.push(')');
            for p in path {
                out.push('.');
                out.push_str(p);
            }
        }
        Expr::Guid(parts) => {
            out.push_str("guid(");
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr_into(out, p);
            }
            out.push(')');
        }
    }
}

/// A whole-string ARM expression `[...]`.
pub fn expr_string(e: &Expr) -> String {
    let mut out = String::with_capacity(64);
    out.push('[');
    expr_into(&mut out, e);
    out.push(']');
    out
}

/// A value as ARM JSON.
pub fn value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => Json::from(*n),
        Value::Str(s) => {
            // A literal that starts with '[' would read as an expression; ARM escapes it as "[[".
            if s.starts_with('[') {
                let mut escaped = String::with_capacity(s.len() + 1);
                escaped.push('[');
                escaped.push_str(s);
                Json::String(escaped)
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

/// The resources of one deployment by id, the first of each id, for the deployments large enough
/// that scanning them for every dependency would add up (a hub with a peering per spoke).
struct ById<'a> {
    all: &'a [Resource],
    index: Option<BTreeMap<&'a str, &'a Resource>>,
}

impl<'a> ById<'a> {
    fn new(all: &'a [Resource]) -> Self {
        let index = (all.len() > 16).then(|| {
            let mut index = BTreeMap::new();
            for r in all {
                index.entry(r.id.as_str()).or_insert(r);
            }
            index
        });
        ById { all, index }
    }

    fn get(&self, id: &str) -> Option<&'a Resource> {
        match &self.index {
            Some(index) => index.get(id).copied(),
            None => self.all.iter().find(|x| x.id == id),
        }
    }
}

fn resource(r: &Resource, by_id: &ById) -> Json {
    let mut m = Map::with_capacity(r.body.len() + 5);
    m.insert("type".into(), Json::String(r.rtype.clone()));
    m.insert("apiVersion".into(), Json::String(r.api_version().into()));
    if let Some(scope) = &r.scope {
        m.insert(
            "scope".into(),
            Json::String(relative_id(&scope.rtype, &scope.names)),
        );
    }
    m.insert(
        "name".into(),
        match &r.name {
            Name::Literal(segs) => value(&Value::Str(segs.join("/"))),
            Name::Expr(e) => Json::String(expr_string(e)),
        },
    );
    for (k, v) in &r.body {
        m.insert(k.clone(), value(v));
    }
    let deps = dependency_ids(r, by_id);
    if !deps.is_empty() {
        m.insert(
            "dependsOn".into(),
            Json::Array(deps.into_iter().map(Json::String).collect()),
        );
    } else if r.body.contains_key("dependsOn") {
        // What a body of its own `dependsOn` has always become: replaced, then swap-removed.
        m.insert("dependsOn".into(), json!([]));
        m.remove("dependsOn");
    }
    Json::Object(m)
}

/// The `dependsOn` entries of a resource: each dependency's id expression, `[...]`.
fn dependency_ids(r: &Resource, by_id: &ById) -> Vec<String> {
    r.depends_on
        .iter()
        .filter_map(|id| by_id.get(id))
        .map(|dep| {
            let mut s = String::with_capacity(128);
            match &dep.scope {
                // Extension resources are referenced by their scope-qualified id.
                Some(scope) => {
                    s.push_str("[extensionResourceId(");
                    expr_into(&mut s, &crate::ir::Target::id(scope));
                    s.push_str(", '");
                    s.push_str(&dep.rtype);
                    s.push_str("', ");
                    match &dep.name {
                        Name::Literal(segs) => {
                            s.push('\'');
                            s.push_str(&segs.join("/"));
                            s.push('\'');
                        }
                        Name::Expr(e) => expr_into(&mut s, e),
                    }
                    s.push_str(")]");
                }
                None => {
                    s.push_str("[resourceId('");
                    s.push_str(&dep.rtype);
                    s.push('\'');
                    match &dep.name {
                        Name::Literal(segs) => {
                            for seg in segs {
                                s.push_str(", ");
                                literal_into(&mut s, seg);
                            }
                        }
                        Name::Expr(e) => {
                            s.push_str(", ");
                            expr_into(&mut s, e);
                        }
                    }
                    s.push_str(")]");
                }
            }
            s
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
fn deployment(t: &Template, d: &Deployment, deployments: &BTreeSet<&str>) -> Json {
    let by_id = ById::new(&d.resources);
    let resources: Vec<Json> = d.resources.iter().map(|r| resource(r, &by_id)).collect();
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
    if let Some(params) = hop_parameters(d) {
        let mut home = Map::new();
        home.insert("resourceGroup".into(), json!(t.home.1));
        m = nested(&name, home, &params, RG_SCHEMA, vec![Json::Object(m)]);
    }
    let deps = deployment_dependencies(t, d, deployments);
    if !deps.is_empty() {
        m.insert(
            "dependsOn".into(),
            Json::Array(deps.into_iter().map(Json::String).collect()),
        );
    }
    Json::Object(m)
}

/// For a deployment into another subscription, the parameters of the hop that holds it (see
/// [`deployment`]): the deployment's own, and the subscription parameter it is scoped by.
fn hop_parameters(d: &Deployment) -> Option<IndexMap<String, (ParamType, Expr)>> {
    let sub = d.scope.subscription()?;
    let mut params = d.parameters.clone();
    if let Expr::Param(p) = sub {
        params
            .entry(p.clone())
            .or_insert((ParamType::String, Expr::Param(p.clone())));
    }
    Some(params)
}

/// The deployment names a deployment waits for; a deployment routed through a hop in the home
/// resource group waits for the home deployment first.
fn deployment_dependencies(
    t: &Template,
    d: &Deployment,
    deployments: &BTreeSet<&str>,
) -> Vec<String> {
    let mut deps: Vec<String> = d
        .depends_on
        .iter()
        .filter(|id| deployments.contains(id.as_str()))
        .map(|id| format!("{}-{id}", t.estate))
        .collect();
    if d.scope.subscription().is_some() {
        let home_id = format!("{}-{}", t.estate, t.home.0);
        if !deps.contains(&home_id) {
            deps.insert(0, home_id);
        }
    }
    deps
}

/// Fewest deployments worth spelling on a second thread.
const PARALLEL_DEPLOYMENTS: usize = 64;

/// Every deployment spelt, in template order. A fleet's thousands of deployments are spelt in
/// two halves side by side: nothing else runs while the template is spelt, because the audit and
/// every format read it.
fn deployments(t: &Template) -> Vec<Json> {
    // Every deployment id once, so that a dependency is found without scanning them all.
    let ids: BTreeSet<&str> = t.deployments.iter().map(|d| d.id.as_str()).collect();
    let spell =
        |ds: &[Deployment]| -> Vec<Json> { ds.iter().map(|d| deployment(t, d, &ids)).collect() };
    if t.deployments.len() < PARALLEL_DEPLOYMENTS {
        return spell(&t.deployments);
    }
    let (first, second) = t.deployments.split_at(t.deployments.len() / 2);
    let (mut all, rest) = crate::par::both(|| spell(first), || spell(second));
    all.extend(rest);
    all
}

/// What `arm/main.json` says of itself.
fn description(t: &Template) -> String {
    format!(
        "Hardened AKS estate {}: generated by aks-harden, do not edit; change the estate file and generate again",
        t.estate
    )
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
            "description": description(t),
        }),
    );
    m.insert("parameters".into(), Json::Object(params));
    m.insert("resources".into(), Json::Array(deployments(t)));
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

#[cfg(test)]
mod limit_tests {
    use super::{limits, over_limits};
    use crate::ir::{ParamType, Parameter};

    fn prod() -> crate::ir::Template {
        crate::plan::plan(&crate::load_profile("prod").unwrap())
    }

    #[test]
    fn a_template_within_every_limit_has_nothing_over() {
        assert!(over_limits(&prod(), Some(limits::TEMPLATE_BYTES)).is_empty());
    }

    #[test]
    fn each_limit_one_past_its_bound_is_named_with_its_count() {
        let mut t = prod();
        let first = t.deployments[0].clone();
        while t.deployments.len() <= limits::RESOURCES {
            t.deployments.push(first.clone());
        }
        let r = t.deployments[0].resources[0].clone();
        while t.deployments[0].resources.len() <= limits::RESOURCES {
            t.deployments[0].resources.push(r.clone());
        }
        for n in t.parameters.len()..=limits::PARAMETERS {
            t.parameters.insert(
                format!("extra{n}"),
                Parameter {
                    ptype: ParamType::String,
                    description: String::new(),
                    default: None,
                    value: None,
                },
            );
        }
        let over = over_limits(&t, Some(limits::TEMPLATE_BYTES + 1));
        assert_eq!(
            over,
            [
                "it is 4.0 MB (limit 4 MB)".to_string(),
                format!(
                    "it holds {} resources, a nested deployment per planned deployment (limit 800)",
                    limits::RESOURCES + 1
                ),
                format!("it has {} parameters (limit 256)", limits::PARAMETERS + 1),
                format!(
                    "its nested deployment `{}` holds {} resources (limit 800)",
                    first.id,
                    limits::RESOURCES + 1
                ),
            ]
        );
        // At each bound, the template is within it.
        t.deployments.truncate(limits::RESOURCES);
        t.deployments[0].resources.truncate(limits::RESOURCES);
        t.parameters.truncate(limits::PARAMETERS);
        assert!(over_limits(&t, Some(limits::TEMPLATE_BYTES)).is_empty());
    }
}
