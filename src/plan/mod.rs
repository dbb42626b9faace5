//! Planning: [`Estate`] → [`Template`]. The only reader of the model after validation. Decides
//! every Azure resource, its name, properties and dependencies, in a fixed declaration order:
//! resource groups, the hub, then each spoke's identity, logs, network, shared services and
//! cluster, then the hub's links back to each spoke.

mod access;
mod cluster;
mod fleet;
mod gitops;
mod hub;
mod ingress;
mod monitoring;
mod spoke;

pub(crate) use crate::azure::types;
use crate::ir::{
    Deployment, Expr, Name, ParamType, Parameter, Resource, Scope, Target, Template, Value,
};
use crate::model::{Estate, Spoke};
use crate::obj;
use indexmap::IndexMap;
use std::borrow::Cow;

pub(crate) use crate::azure::{policies, roles};

/// How many spokes make planning worth a second thread.
const SIDE_BY_SIDE: usize = 16;

/// Plan the whole estate.
pub fn plan(estate: &Estate) -> Template {
    let mut params = IndexMap::new();
    params.insert(
        "tenantId".to_string(),
        Parameter {
            ptype: ParamType::String,
            description: "Entra ID tenant of the clusters' admin groups".into(),
            default: Some(Expr::DeploymentTenantId.into()),
            value: estate.tenant_id.as_ref().map(Into::into),
        },
    );
    params.insert(
        hub_sub_param().into(),
        Parameter {
            ptype: ParamType::String,
            description: "Connectivity subscription: the one this template is deployed to; spokes refer to the hub through it".into(),
            default: Some(Expr::DeploymentSubscriptionId.into()),
            value: None,
        },
    );
    if let Some(f) = &estate.fleet {
        if let Some(id) = &f.subscription_id {
            params.insert(
                fleet::SUB_PARAM.into(),
                Parameter {
                    ptype: ParamType::String,
                    description: "Management subscription of the Kubernetes fleet".into(),
                    default: Some(Expr::DeploymentSubscriptionId.into()),
                    value: Some(id.into()),
                },
            );
        }
    }
    for s in &estate.spokes {
        params.insert(
            spoke_sub_param(s),
            Parameter {
                ptype: ParamType::String,
                description: format!("Workload subscription of spoke {}", s.key),
                default: Some(Expr::DeploymentSubscriptionId.into()),
                value: s.subscription_id.as_ref().map(Into::into),
            },
        );
        params.insert(
            admin_param(s),
            Parameter {
                ptype: ParamType::Array,
                description: format!(
                    "Object ids of the Entra groups that administer cluster {}",
                    s.cluster.name
                ),
                default: None,
                value: s.cluster.admin_group_object_ids.clone().map(Into::into),
            },
        );
    }

    // One view of the estate per hub: its region, its hub and its spokes. A single-region
    // estate is its own view.
    let views = region_views(estate);
    let view_of = |s: &Spoke| -> &Estate {
        views
            .iter()
            .find(|v| v.location == s.region)
            .map_or(estate, |v| v.as_ref())
    };
    // The shared private DNS zones every region needs, declared once, with the hub of
    // `location`.
    let mut zones: Vec<String> = Vec::new();
    for v in &views {
        for z in hub::private_zones(v) {
            if !zones.contains(&z) {
                zones.push(z);
            }
        }
    }

    let mut deployments = vec![hub::resource_groups(estate)];
    for s in &estate.spokes {
        deployments.push(spoke::resource_groups(view_of(s), s));
    }
    deployments.extend(spoke::subscriptions(estate));
    deployments.extend(fleet::resource_groups(estate));
    deployments.push(hub::hub(&views[0], &zones, &[]));
    let mut earlier: Vec<&crate::model::Hub> = vec![&estate.hub];
    for v in views.iter().skip(1) {
        deployments.push(hub::hub(v, &[], &earlier));
        deployments.extend(hub::regional_links(estate, &v.hub, &earlier, &zones));
        earlier.push(&v.hub);
    }
    let per_spoke = |spokes: &[Spoke]| {
        let mut deployments = Vec::new();
        for s in spokes {
            let v = view_of(s);
            deployments.push(spoke::identity(v, s));
            deployments.push(spoke::logs(v, s));
            deployments.extend(monitoring::monitoring(v, s));
            deployments.push(spoke::network(v, s));
            deployments.push(spoke::shared(v, s));
            // The hub's links come before the cluster: its API server zone must be linked and
            // writable by the control plane when AKS creates the cluster.
            deployments.extend(hub::links(v, s));
            deployments.push(cluster::cluster(v, s));
            deployments.extend(monitoring::alerts(v, s));
            deployments.extend(spoke::workloads(v, s));
            deployments.extend(spoke::access(v, s));
            deployments.extend(ingress::ingress(v, s));
            deployments.extend(gitops::gitops(v, s));
        }
        deployments
    };
    // Each spoke's deployments read only the estate, so a fleet's halves are planned side by
    // side and joined in spoke order.
    let side_by_side = estate.spokes.len() >= SIDE_BY_SIDE;
    if side_by_side {
        let (a, b) = estate.spokes.split_at(estate.spokes.len() / 2);
        let (a, b) = crate::par::both(|| per_spoke(a), || per_spoke(b));
        deployments.extend(a);
        deployments.extend(b);
    } else {
        deployments.extend(per_spoke(&estate.spokes));
    }
    deployments.extend(fleet::fleet(estate));
    let pass_through = |ds: &mut [Deployment]| {
        for d in ds {
            d.parameters = used_params(d, &params);
        }
    };
    if side_by_side {
        let half = deployments.len() / 2;
        let (a, b) = deployments.split_at_mut(half);
        crate::par::both(|| pass_through(a), || pass_through(b));
    } else {
        pass_through(&mut deployments);
    }
    Template {
        estate: estate.name.clone(),
        location: estate.location.clone(),
        home: (
            "hub-resource-groups".into(),
            estate.hub.resource_group.clone(),
        ),
        parameters: params,
        deployments,
        manifests: ingress::manifests(estate),
    }
}

/// The estate as each hub sees it: the hub of `location` first, then each regional hub, each
/// view with its region as `location`, its hub as `hub` and only its own spokes. An estate
/// without regional hubs is its one view, unchanged.
fn region_views(estate: &Estate) -> Vec<Cow<'_, Estate>> {
    if estate.regional_hubs.is_empty() {
        return vec![Cow::Borrowed(estate)];
    }
    estate
        .hubs()
        .map(|h| {
            Cow::Owned(Estate {
                name: estate.name.clone(),
                description: estate.description.clone(),
                tier: estate.tier,
                location: h.region.clone(),
                tenant_id: estate.tenant_id.clone(),
                tags: estate.tags.clone(),
                hub: h.clone(),
                regional_hubs: estate.regional_hubs.clone(),
                zones_resource_group: estate.zones_resource_group.clone(),
                spokes: estate
                    .spokes
                    .iter()
                    .filter(|s| s.region == h.region)
                    .cloned()
                    .collect(),
                defender: estate.defender,
                locks: estate.locks,
                waivers: estate.waivers.clone(),
                alert_emails: estate.alert_emails.clone(),
                fleet: estate.fleet.clone(),
            })
        })
        .collect()
}

pub(crate) fn hub_sub_param() -> &'static str {
    "hubSubscriptionId"
}

pub(crate) fn spoke_sub_param(s: &Spoke) -> String {
    format!("{}SubscriptionId", s.key)
}

pub(crate) fn admin_param(s: &Spoke) -> String {
    format!("{}AdminGroupObjectIds", s.key)
}

/// The parameters a deployment's resources (and scope) refer to, passed through by name.
fn used_params(
    d: &Deployment,
    all: &IndexMap<String, Parameter>,
) -> IndexMap<String, (ParamType, Expr)> {
    let mut names = Vec::new();
    for r in &d.resources {
        if let Name::Expr(e) = &r.name {
            collect_expr(e, &mut names);
        }
        for v in r.body.values() {
            collect_value(v, &mut names);
        }
    }
    // In the order of the template's parameters; looked up by name, because a fleet's
    // template has thousands of them and a deployment uses a handful.
    let mut used: Vec<usize> = names.iter().filter_map(|n| all.get_index_of(n)).collect();
    used.sort_unstable();
    used.into_iter()
        .filter_map(|i| all.get_index(i))
        .map(|(n, p)| (n.clone(), (p.ptype, Expr::Param(n.clone()))))
        .collect()
}

fn collect_value(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_value(x, out)),
        Value::Object(o) => {
            o.values().for_each(|x| collect_value(x, out));
        }
        Value::Expr(e) => collect_expr(e, out),
        Value::ExprKeyed(kv) => {
            for (k, x) in kv {
                collect_expr(k, out);
                collect_value(x, out);
            }
        }
        _ => {}
    }
}

fn collect_expr(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Param(p) => {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        Expr::ResourceId {
            subscription,
            resource_group,
            names,
            ..
        } => {
            let scope = subscription
                .iter()
                .chain(resource_group.iter())
                .map(AsRef::as_ref);
            for x in scope.chain(names.iter()) {
                collect_expr(x, out);
            }
        }
        Expr::SubscriptionResourceId { name, .. } | Expr::TenantResourceId { name, .. } => {
            collect_expr(name, out);
        }
        Expr::Reference { id, .. } => collect_expr(id, out),
        Expr::Guid(parts) => parts.iter().for_each(|x| collect_expr(x, out)),
        Expr::Str(_)
        | Expr::Strings(_)
        | Expr::DeploymentSubscriptionId
        | Expr::DeploymentTenantId => {}
    }
}

/// A private DNS zone in the hub and its link to the hub VNet, where the firewall's DNS proxy
/// resolves for every spoke.
pub(crate) fn hub_zone(estate: &Estate, zid: &str, zone: &str) -> [Resource; 2] {
    let h = &estate.hub;
    let zone_res = res(
        zid,
        types::DNS_ZONE,
        &[zone],
        obj! { "location" => "global", "tags" => tags(estate), "properties" => obj! {} },
    );
    let mut link = res(
        &format!("{zid}_hub"),
        types::DNS_LINK,
        &[zone, &h.vnet_name],
        obj! {
            "location" => "global",
            "tags" => tags(estate),
            "properties" => obj! {
                "registrationEnabled" => false,
                "virtualNetwork" => id_ref(rid(types::VNET, &[&h.vnet_name])),
            },
        },
    );
    link.depends_on = vec![zid.to_string(), "vnet_hub".into()];
    [zone_res, link]
}

/// A network security group with `rules`, in the estate's region and with its tags.
pub(crate) fn nsg(estate: &Estate, id: &str, name: &str, rules: Vec<Value>) -> Resource {
    res(
        id,
        types::NSG,
        &[name],
        obj! {
            "location" => estate.location.as_str(),
            "tags" => tags(estate),
            "properties" => obj! { "securityRules" => rules },
        },
    )
}

/// A route table that sends everything (`0.0.0.0/0`) to the hub firewall, with BGP route
/// propagation off so no learned route can bypass it.
pub(crate) fn route_via_firewall(estate: &Estate, id: &str, name: &str) -> Resource {
    res(
        id,
        types::RT,
        &[name],
        obj! {
            "location" => estate.location.as_str(),
            "tags" => tags(estate),
            "properties" => obj! {
                "disableBgpRoutePropagation" => true,
                "routes" => vec![obj! {
                    "name" => "default-via-firewall",
                    "properties" => obj! {
                        "addressPrefix" => "0.0.0.0/0",
                        "nextHopType" => "VirtualAppliance",
                        "nextHopIpAddress" => estate.hub.firewall.private_ip.to_string(),
                    },
                }],
            },
        },
    )
}

/// A resource with a literal name.
pub(crate) fn res(id: &str, rtype: &str, name: &[&str], body: Value) -> Resource {
    Resource {
        id: id.to_string(),
        rtype: rtype.to_string(),
        name: Name::Literal(name.iter().map(|s| (*s).to_string()).collect()),
        scope: None,
        body: into_map(body),
        depends_on: Vec::new(),
    }
}

/// The fields of an object value (empty for anything else).
pub(crate) fn into_map(v: Value) -> IndexMap<String, Value> {
    match v {
        Value::Object(o) => o,
        _ => IndexMap::new(),
    }
}

/// A resource id in the current resource group.
pub(crate) fn rid(rtype: &str, names: &[&str]) -> Expr {
    Target::new(rtype, names).id()
}

/// A resource id in another resource group (and subscription parameter).
pub(crate) fn rid_in(sub_param: &str, rg: &str, rtype: &str, names: &[&str]) -> Expr {
    Expr::ResourceId {
        subscription: Some(Box::new(Expr::param(sub_param))),
        resource_group: Some(Box::new(Expr::str(rg))),
        rtype: rtype.to_string(),
        names: names.iter().map(|n| Expr::str(*n)).collect(),
    }
}

/// `{ "id": <expr> }`.
pub(crate) fn id_ref(e: Expr) -> Value {
    obj! { "id" => e }
}

/// The principal id of a user-assigned identity.
pub(crate) fn principal_of(identity: Expr) -> Expr {
    Expr::Reference {
        id: Box::new(identity),
        api_version: crate::azure::types::api_version(types::UAI).to_string(),
        full: false,
        path: vec!["principalId".into()],
    }
}

/// A role assignment on `target` (in this resource group) for a user-assigned identity.
pub(crate) fn role_assignment(
    id: &str,
    target: &Target,
    identity: Expr,
    role: &str,
    depends: &[&str],
) -> Resource {
    let principal = principal_of(identity.clone());
    role_assignment_for(id, target, identity, principal, role, depends)
}

/// A role assignment on `target` for `principal`; `who` (a resource id) makes the name unique.
pub(crate) fn role_assignment_for(
    id: &str,
    target: &Target,
    who: Expr,
    principal: Expr,
    role: &str,
    depends: &[&str],
) -> Resource {
    Resource {
        id: id.to_string(),
        rtype: types::ROLE.into(),
        name: Name::Expr(Expr::Guid(vec![target.id(), who, Expr::str(role)])),
        scope: Some(target.clone()),
        body: into_map(obj! {
            "properties" => obj! {
                "roleDefinitionId" => Expr::SubscriptionResourceId {
                    rtype: types::ROLE_DEFINITION.into(),
                    name: Box::new(Expr::str(role)),
                },
                "principalId" => principal,
                "principalType" => "ServicePrincipal",
            },
        }),
        depends_on: depends.iter().map(|s| (*s).to_string()).collect(),
    }
}

/// A diagnostic setting on `target` sending the given log categories (or category groups when a
/// name starts with `group:`) and all metrics to a workspace.
pub(crate) fn diagnostics(
    id: &str,
    target: &Target,
    depends: &str,
    workspace: Expr,
    logs: &[&str],
) -> Resource {
    let logs: Vec<Value> = logs
        .iter()
        .map(|c| match c.strip_prefix("group:") {
            Some(g) => obj! { "categoryGroup" => g, "enabled" => true },
            None => obj! { "category" => *c, "enabled" => true },
        })
        .collect();
    Resource {
        id: id.to_string(),
        rtype: types::DIAG.into(),
        name: Name::Literal(vec!["to-log-analytics".into()]),
        scope: Some(target.clone()),
        body: into_map(obj! {
            "properties" => obj! {
                "workspaceId" => workspace,
                "logAnalyticsDestinationType" => "Dedicated",
                "logs" => Value::Array(logs),
                "metrics" => vec![obj! { "category" => "AllMetrics", "enabled" => true }],
            },
        }),
        depends_on: vec![depends.to_string()],
    }
}

/// The NSG rule that closes what Azure's default `AllowVnetOutBound` leaves open: SSH and RDP
/// from this subnet to anything in the VNet or its peers, the way an intruder on one node moves to
/// the next. None for `AzureBastionSubnet`, whose NSG must let Bastion reach VMs on 22 and 3389.
pub(crate) fn deny_admin_outbound(subnet: &str) -> Option<Value> {
    (!subnet.eq_ignore_ascii_case(crate::azure::subnets::BASTION)).then(|| {
        obj! {
            "name" => "deny-ssh-rdp-vnet-outbound",
            "properties" => obj! {
                "description" => "No SSH or RDP from this subnet to the virtual network: no lateral movement between hosts",
                "protocol" => "*",
                "sourcePortRange" => "*",
                "destinationPortRanges" => vec!["22", "3389"],
                "sourceAddressPrefix" => "*",
                "destinationAddressPrefix" => "VirtualNetwork",
                "access" => "Deny",
                "priority" => 4000u32,
                "direction" => "Outbound",
            },
        }
    })
}

/// A `CanNotDelete` lock on the deployment's resource group.
pub(crate) fn lock(estate: &Estate) -> Option<Resource> {
    estate.locks.then(|| {
        res(
            "lock",
            types::LOCK,
            &["do-not-delete"],
            obj! {
                "properties" => obj! {
                    "level" => "CanNotDelete",
                    "notes" => "aks-harden: production resource group; remove the lock deliberately before deleting",
                },
            },
        )
    })
}

/// The estate's tags as a value.
pub(crate) fn tags(estate: &Estate) -> Value {
    Value::Object(
        estate
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), Value::Str(v.clone())))
            .collect(),
    )
}

/// A resource-group deployment.
pub(crate) fn rg_deployment(
    id: String,
    sub_param: Option<&str>,
    rg: &str,
    resources: Vec<Resource>,
    depends: Vec<String>,
) -> Deployment {
    Deployment {
        id,
        scope: Scope::ResourceGroup {
            subscription: sub_param.map(Expr::param),
            resource_group: rg.to_string(),
        },
        parameters: IndexMap::new(),
        resources,
        depends_on: depends,
    }
}
