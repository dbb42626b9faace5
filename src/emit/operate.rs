//! `OPERATE.md`: how this estate's operators reach its private API servers and expose a workload
//! through its Application Gateway, with the estate's real names filled in. Read from the IR
//! (the Bastion, the clusters, the gateways and the ingress manifests), rendered from the
//! embedded handlebars template `templates/operate.md.hbs` in strict mode, with a cluster's
//! access (`operate-access.md.hbs`) and its gateway (`operate-gateway.md.hbs`) as partials.

use crate::azure::types;
use crate::ir::{Deployment, Expr, Resource, Scope, Template, Value};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

/// The template, embedded.
const TEMPLATE: &str = include_str!("../../templates/operate.md.hbs");

/// Its partials, embedded. Kept apart because compiling a template costs time that grows with
/// the square of its length (every element looks up its line from the start), and `OPERATE.md`
/// is compiled on every run.
const PARTIALS: [(&str, &str); 3] = [
    (
        "operate-access",
        include_str!("../../templates/operate-access.md.hbs"),
    ),
    (
        "operate-gateway",
        include_str!("../../templates/operate-gateway.md.hbs"),
    ),
    (
        "operate-fleet",
        include_str!("../../templates/operate-fleet.md.hbs"),
    ),
];

fn rg(d: &Deployment) -> &str {
    match &d.scope {
        Scope::ResourceGroup { resource_group, .. } => resource_group,
        Scope::Subscription { .. } => "",
    }
}

fn sub_param(d: &Deployment) -> String {
    match d.scope.subscription() {
        Some(Expr::Param(p)) => p.clone(),
        _ => "hubSubscriptionId".into(),
    }
}

fn last_name(e: Option<&Value>) -> Option<String> {
    match e {
        Some(Value::Expr(Expr::ResourceId { names, .. })) => match names.last() {
            Some(Expr::Str(s)) => Some(s.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The data the template reads.
fn view(t: &Template) -> Json {
    // Each hub's operator path, by region: its Bastion and its operations subnet.
    let location = |r: &Resource| match r.body.get("location") {
        Some(Value::Str(l)) => l.clone(),
        _ => String::new(),
    };
    let bastions: Vec<(String, Json)> = t
        .resources()
        .filter(|(_, r)| r.rtype == types::BASTION)
        .map(|(d, r)| {
            (
                location(r),
                json!({ "name": r.literal_name(), "rg": rg(d) }),
            )
        })
        .collect();
    let hubs: Vec<(String, Json, Json)> = t
        .resources()
        .filter(|(_, r)| r.rtype == types::VNET && r.id == "vnet_hub")
        .map(|(d, r)| {
            let operations = match r.body.get("properties").and_then(|p| p.at("subnets")) {
                Some(Value::Array(subnets)) => subnets
                    .iter()
                    .find(|s| matches!(s.at("name"), Some(Value::Str(n)) if n == "snet-operations"))
                    .map_or(Json::Null, |s| match s.at("properties/addressPrefix") {
                        Some(Value::Str(p)) => {
                            json!({ "subnet": p, "vnet": r.literal_name(), "rg": rg(d) })
                        }
                        _ => Json::Null,
                    }),
                _ => Json::Null,
            };
            let loc = location(r);
            let bastion = bastions
                .iter()
                .find(|(l, _)| *l == loc)
                .map_or(Json::Null, |(_, b)| b.clone());
            (loc, bastion, operations)
        })
        .collect();
    // The operator path of a region: its own hub's, else the first hub's.
    let path_of = |loc: &str| {
        hubs.iter()
            .find(|(l, _, _)| l == loc)
            .or(hubs.first())
            .map_or((Json::Null, Json::Null), |(_, b, o)| (b.clone(), o.clone()))
    };
    let regions: Vec<Json> = if hubs.len() > 1 {
        hubs.iter()
            .map(|(l, b, o)| json!({ "region": l, "bastion": b, "operations": o }))
            .collect()
    } else {
        Vec::new()
    };
    // Looked up once per cluster: by id and by path, so a fleet stays linear.
    let deployments: BTreeMap<&str, &Deployment> =
        t.deployments.iter().map(|g| (g.id.as_str(), g)).collect();
    let manifests: BTreeMap<&str, _> = t.manifests.iter().map(|m| (m.path.as_str(), m)).collect();
    let mut clusters = Vec::new();
    for (d, r) in t.resources().filter(|(_, r)| r.rtype == types::AKS) {
        let name = r.literal_name().unwrap_or_default();
        let spoke = d.id.trim_end_matches("-cluster").to_string();
        let private = matches!(
            r.properties()
                .and_then(|p| p.at("apiServerAccessProfile/enablePrivateCluster")),
            Some(Value::Bool(true))
        );
        let zone = last_name(
            r.properties()
                .and_then(|p| p.at("apiServerAccessProfile/privateDNSZone")),
        );
        let gateway = deployments
            .get(format!("{spoke}-ingress").as_str())
            .into_iter()
            .flat_map(|g| g.resources.iter().map(move |x| (g, x)))
            .find(|(_, x)| x.rtype == types::AGW)
            .map(|(g, x)| {
                let p = x.properties();
                let secret = p
                    .and_then(|p| p.at("sslCertificates/0/properties/keyVaultSecretId"))
                    .and_then(|v| match v {
                        Value::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let vault = secret
                    .trim_start_matches("https://")
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let cert = secret.rsplit('/').next().unwrap_or_default().to_string();
                let backend = p
                    .and_then(|p| {
                        p.at("backendAddressPools/0/properties/backendAddresses/0/ipAddress")
                    })
                    .and_then(|v| match v {
                        Value::Str(s) => Some(s.clone()),
                        _ => None,
                    });
                let host = p
                    .and_then(|p| p.at("httpListeners/0/properties/hostName"))
                    .and_then(|v| match v {
                        Value::Str(s) => Some(s.clone()),
                        _ => None,
                    });
                let class = manifests
                    .get(format!("{spoke}/ingress-controller.yaml").as_str())
                    .and_then(|m| m.objects.first())
                    .and_then(|o| o.pointer("/spec/ingressClassName"))
                    .cloned()
                    .unwrap_or(Json::Null);
                let pip = g
                    .resources
                    .iter()
                    .find(|y| y.rtype == types::PIP)
                    .and_then(Resource::literal_name);
                json!({
                    "name": x.literal_name(),
                    "rg": rg(g),
                    "pip": pip,
                    "secret": secret,
                    "vault": vault,
                    "certificate": cert,
                    "backend": backend,
                    "host": host.unwrap_or_else(|| "app.example.com".into()),
                    "manifest": format!("k8s/{spoke}/ingress-controller.yaml"),
                    "class": class,
                })
            });
        let (bastion, operations) = path_of(&location(r));
        clusters.push(json!({
            "bastion": bastion,
            "operations": operations,
            "name": name,
            "rg": rg(d),
            "spoke": spoke,
            "subscription": sub_param(d),
            "private": private,
            "zone": zone,
            "gateway": gateway,
        }));
    }
    json!({
        "estate": t.estate,
        "regions": regions,
        "hub_subscription": "hubSubscriptionId",
        "fleet": fleet(t),
        "clusters": clusters,
    })
}

/// Fleet Manager, when the estate has one: its name and place, the update strategy's stages,
/// the members with their update groups, and the auto-upgrade profiles.
fn fleet(t: &Template) -> Json {
    let of = |rtype: &'static str| t.resources().filter(move |(_, r)| r.rtype == rtype);
    let Some((d, f)) = of(types::FLEET).next() else {
        return Json::Null;
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::Str(s)) => s.clone(),
        _ => String::new(),
    };
    let own = |r: &Resource| r.name_segments().last().cloned().unwrap_or_default();
    let strategy = of(types::FLEET_STRATEGY).next().map(|(_, s)| {
        let stages: Vec<Json> = match s.properties().and_then(|p| p.at("strategy/stages")) {
            Some(Value::Array(stages)) => stages
                .iter()
                .enumerate()
                .map(|(n, st)| {
                    let groups: Vec<String> = match st.at("groups") {
                        Some(Value::Array(g)) => g
                            .iter()
                            .map(|g| format!("`{}`", text(g.at("name"))))
                            .collect(),
                        _ => Vec::new(),
                    };
                    let wait = match st.at("afterStageWaitInSeconds") {
                        Some(Value::Int(n)) if *n > 0 => Json::from(*n),
                        _ => Json::Null,
                    };
                    json!({
                        "n": n + 1,
                        "name": text(st.at("name")),
                        "groups": groups.join(", "),
                        "wait": wait,
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        json!({ "name": own(s), "stages": stages })
    });
    // The resources of a type, each as its name and one of its properties.
    let each = |rtype: &'static str, key: &str, path: &str| -> Vec<Json> {
        of(rtype)
            .map(|(_, r)| {
                let mut m = serde_json::Map::new();
                m.insert("name".into(), Json::String(own(r)));
                m.insert(
                    key.into(),
                    Json::String(text(r.properties().and_then(|p| p.at(path)))),
                );
                Json::Object(m)
            })
            .collect()
    };
    let members = each(types::FLEET_MEMBER, "group", "group");
    let profiles = each(types::FLEET_AUTO_UPGRADE, "channel", "channel");
    json!({
        "name": f.literal_name(),
        "rg": rg(d),
        "subscription": sub_param(d),
        "strategy": strategy,
        "members": members,
        "auto_upgrade": profiles,
    })
}

/// `OPERATE.md` for the estate.
pub(crate) fn render(t: &Template) -> Result<String, String> {
    let mut h = handlebars::Handlebars::new();
    h.set_strict_mode(true);
    h.register_escape_fn(handlebars::no_escape);
    h.register_template_string("operate", TEMPLATE)
        .map_err(|e| e.to_string())?;
    for (name, text) in PARTIALS {
        h.register_partial(name, text).map_err(|e| e.to_string())?;
    }
    h.render("operate", &view(t)).map_err(|e| e.to_string())
}
