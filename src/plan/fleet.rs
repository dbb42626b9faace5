//! Azure Kubernetes Fleet Manager, when the estate has a fleet: the fleet (without a hub cluster:
//! it orchestrates updates and places nothing) in its own resource group of the connectivity or
//! the named management subscription, with its update strategy and, when the fleet drives
//! upgrades, the auto-upgrade profiles that start update runs following the strategy ("Update
//! Kubernetes and node images across multiple member clusters", Microsoft's Fleet Manager
//! documentation: learn.microsoft.com/azure/kubernetes-fleet/concepts-update-orchestration); and
//! every cluster a member, in its update group. One `fleet` deployment holds them all, after
//! every cluster, so each member is declared beside its fleet (Bicep's `parent`).

use super::{lock, res, rg_deployment, rid, rid_in, spoke_sub_param, tags, types};
use crate::ir::{Deployment, Expr, Resource, Scope, Value};
use crate::model::{Estate, Fleet, FleetChannel, Spoke};
use crate::obj;
use indexmap::IndexMap;

/// The template parameter of the fleet's management subscription.
pub(crate) const SUB_PARAM: &str = "fleetSubscriptionId";

/// The subscription parameter the fleet's deployments use: `None` for the connectivity
/// subscription, where the template is deployed.
fn sub(f: &Fleet) -> Option<&'static str> {
    f.subscription_id.as_ref().map(|_| SUB_PARAM)
}

/// The fleet's resource group.
pub(crate) fn resource_groups(estate: &Estate) -> Option<Deployment> {
    let f = estate.fleet.as_ref()?;
    Some(Deployment {
        id: "fleet-resource-groups".into(),
        scope: Scope::Subscription {
            subscription: sub(f).map(Expr::param),
        },
        parameters: IndexMap::new(),
        resources: vec![res(
            "rg_fleet",
            types::RG,
            &[&f.resource_group],
            obj! { "location" => &estate.location, "tags" => tags(estate) },
        )],
        depends_on: Vec::new(),
    })
}

/// The fleet, its members, its update strategy and its auto-upgrade profiles, once every
/// cluster exists.
pub(crate) fn fleet(estate: &Estate) -> Option<Deployment> {
    let f = estate.fleet.as_ref()?;
    let mut out = vec![res(
        "fleet",
        types::FLEET,
        &[&f.name],
        obj! {
            "location" => &estate.location,
            "tags" => tags(estate),
            // No hubProfile: a fleet without a hub cluster, for update orchestration only.
            "properties" => obj! {},
        },
    )];
    let mut depends = vec!["fleet-resource-groups".to_string()];
    for s in &estate.spokes {
        out.push(member(f, s));
        depends.push(format!("{}-cluster", s.key));
    }
    out.extend(strategy(f));
    out.extend(lock(estate));
    Some(rg_deployment(
        "fleet".into(),
        sub(f),
        &f.resource_group,
        out,
        depends,
    ))
}

/// Spoke `s`'s cluster as a member of the fleet, in its update group.
fn member(f: &Fleet, s: &Spoke) -> Resource {
    let cluster = rid_in(
        &spoke_sub_param(s),
        &s.cluster_rg,
        types::AKS,
        &[&s.cluster.name],
    );
    let mut member = res(
        &format!("fleet_member_{}", s.key),
        types::FLEET_MEMBER,
        &[&f.name, &s.key],
        obj! {
            "properties" => obj! {
                "clusterResourceId" => cluster,
                "group" => s.update_group.clone(),
            },
        },
    );
    member.depends_on.push("fleet".into());
    member
}

/// The update strategy, and the auto-upgrade profiles that follow it.
fn strategy(f: &Fleet) -> Vec<Resource> {
    let stages: Vec<Value> = f
        .stages
        .iter()
        .map(|st| {
            obj! {
                "name" => &st.name,
                "groups" => st.groups.iter().map(|g| obj! { "name" => g.as_str() }).collect::<Vec<_>>(),
                "afterStageWaitInSeconds" => st.after_wait_seconds,
            }
        })
        .collect();
    let mut strategy = res(
        "fleet_strategy",
        types::FLEET_STRATEGY,
        &[&f.name, &f.strategy_name],
        obj! { "properties" => obj! { "strategy" => obj! { "stages" => stages } } },
    );
    strategy.depends_on.push("fleet".into());
    let mut out = vec![strategy];
    let strategy_id = rid(types::FLEET_STRATEGY, &[&f.name, &f.strategy_name]);
    if let Some(channel) = f.kubernetes {
        let mut p = res(
            "fleet_auto_upgrade_kubernetes",
            types::FLEET_AUTO_UPGRADE,
            &[&f.name, "kubernetes"],
            obj! {
                "properties" => obj! {
                    "channel" => match channel {
                        FleetChannel::Stable => "Stable",
                        FleetChannel::Rapid => "Rapid",
                    },
                    // One node image for every cluster of the run, as tried in the stage before.
                    "nodeImageSelection" => obj! { "type" => "Consistent" },
                    "updateStrategyId" => strategy_id.clone(),
                },
            },
        );
        p.depends_on.push("fleet_strategy".into());
        out.push(p);
    }
    if f.node_image {
        let mut p = res(
            "fleet_auto_upgrade_node_image",
            types::FLEET_AUTO_UPGRADE,
            &[&f.name, "node-image"],
            obj! {
                "properties" => obj! {
                    "channel" => "NodeImage",
                    "updateStrategyId" => strategy_id,
                },
            },
        );
        p.depends_on.push("fleet_strategy".into());
        out.push(p);
    }
    out
}
