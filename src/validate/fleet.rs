//! The estate's fleet: Azure Kubernetes Fleet Manager, every cluster a member in the update group
//! of its tier (or the one its spoke names), and an update strategy whose stages name only groups
//! that have members, each group in one stage. What the fleet upgrades by itself, the clusters'
//! own channels stop doing, as Fleet Manager's documentation asks ("Multi-cluster updates FAQ":
//! "If you want Fleet Manager to manage auto-upgrades, disable auto-upgrade on each member AKS
//! cluster", learn.microsoft.com/azure/kubernetes-fleet/faq).

use super::{Validator, esc, names};
use crate::diag::Code;
use crate::model::{self, NodeOsChannel, UpgradeChannel};
use crate::profile::{self, EstateFile};
use std::collections::BTreeMap;

/// The longest wait after a stage aks-harden writes, in seconds: a week.
const MAX_WAIT: u32 = 604_800;
/// The wait after dev and after staging in the default strategy: a day, in which a bad release
/// shows itself before the next tier takes it.
const DEFAULT_WAIT: u32 = 86_400;
/// The default stages, in order, each updating the group of its own name.
const TIERS: [&str; 3] = ["dev", "staging", "prod"];

/// A spoke's update group when it names none: its tier. The spoke's own name when it is a tier,
/// else the estate's tier, regulated counting as prod.
fn tier_group(key: &str, tier: profile::Tier) -> &'static str {
    if let Some(t) = TIERS.iter().find(|t| **t == key) {
        return t;
    }
    match tier {
        profile::Tier::Dev => "dev",
        profile::Tier::Staging => "staging",
        profile::Tier::Prod | profile::Tier::Regulated => "prod",
    }
}

impl Validator {
    /// The fleet, checked, with the spokes' update groups and the channels the fleet takes over
    /// set on their clusters. `spokes` are the validated spokes, in key order.
    pub(super) fn fleet(
        &mut self,
        f: &EstateFile,
        spokes: &mut [model::Spoke],
    ) -> Option<model::Fleet> {
        let Some(fleet) = &f.fleet else {
            for s in spokes.iter() {
                if f.spokes
                    .get(&s.key)
                    .is_some_and(|x| x.update_group.is_some())
                {
                    self.contradiction(
                        &format!("/spokes/{}/updateGroup", esc(&s.key)),
                        "/fleet",
                        "an update group without a fleet updates nothing".into(),
                        "add \"fleet\": {} to the estate, or remove \"updateGroup\"".into(),
                    );
                }
            }
            return None;
        };
        if let Some(sub) = &fleet.subscription_id {
            self.guid(sub, "/fleet/subscriptionId", "a subscription id");
        }
        // Members: every cluster, in its group.
        let mut members: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in spokes.iter_mut() {
            let written = f.spokes.get(&s.key).and_then(|x| x.update_group.clone());
            let group = match written {
                Some(g) => {
                    self.name(
                        &names::FLEET_GROUP,
                        &g,
                        &format!("/spokes/{}/updateGroup", esc(&s.key)),
                    );
                    g
                }
                None => tier_group(&s.key, f.tier).to_string(),
            };
            members
                .entry(group.clone())
                .or_default()
                .push(s.key.clone());
            s.update_group = Some(group);
        }
        let writing: Vec<&str> = f
            .spokes
            .iter()
            .filter(|(_, x)| x.update_group.is_some())
            .map(|(k, _)| k.as_str())
            .collect();
        let stages = match &fleet.stages {
            None => self.default_stages(&members),
            Some(written) => self.written_stages(written, &members, &writing),
        };
        let auto = fleet.auto_upgrade.clone().unwrap_or_default();
        for s in spokes.iter_mut() {
            let cp = format!("/spokes/{}/cluster", esc(&s.key));
            if auto.kubernetes.is_some() {
                if s.cluster.kubernetes_version.is_some() {
                    self.contradiction(
                        &format!("{cp}/kubernetesVersion"),
                        "/fleet/autoUpgrade/kubernetes",
                        "the fleet moves the clusters' Kubernetes minor version, and a pinned kubernetesVersion would ask the next deployment to downgrade them".into(),
                        "remove the pin (\"spokeDefaults\": {\"cluster\": {\"kubernetesVersion\": null}}), or let the clusters' own channel upgrade them: remove \"kubernetes\" from \"fleet.autoUpgrade\"".into(),
                    );
                }
                s.cluster.upgrade_channel = UpgradeChannel::None;
            }
            if auto.node_image {
                if s.cluster.node_os_channel == NodeOsChannel::SecurityPatch {
                    self.contradiction(
                        &format!("{cp}/upgrades/nodeOsChannel"),
                        "/fleet/autoUpgrade/nodeImage",
                        "the fleet's weekly node images would replace the cluster's SecurityPatch channel, which the fleet cannot run".into(),
                        "set \"nodeOsChannel\": \"NodeImage\", or keep node OS upgrades on the clusters: \"nodeImage\": false in \"fleet.autoUpgrade\"".into(),
                    );
                }
                s.cluster.node_os_channel = NodeOsChannel::None;
            }
        }
        Some(model::Fleet {
            name: format!("fleet-{}", f.name),
            resource_group: format!("rg-{}-fleet", f.name),
            subscription_id: fleet.subscription_id.clone(),
            strategy_name: "tiers".into(),
            stages,
            kubernetes: auto.kubernetes,
            node_image: auto.node_image,
        })
    }

    /// dev, staging and prod, each with the group of its name where that group has members, a
    /// day's wait between them; a group no stage updates is an error at the spokes in it.
    fn default_stages(
        &mut self,
        members: &BTreeMap<String, Vec<String>>,
    ) -> Vec<model::FleetStage> {
        let mut stages: Vec<model::FleetStage> = TIERS
            .iter()
            .filter(|t| members.contains_key(**t))
            .map(|t| model::FleetStage {
                name: (*t).to_string(),
                groups: vec![(*t).to_string()],
                after_wait_seconds: Some(DEFAULT_WAIT),
            })
            .collect();
        if let Some(last) = stages.last_mut() {
            last.after_wait_seconds = None;
        }
        for (group, keys) in members {
            if !TIERS.contains(&group.as_str()) {
                for k in keys {
                    self.err(
                        Code::BadValue,
                        &format!("/spokes/{}/updateGroup", esc(k)),
                        format!("update group {group:?} is in no stage of the fleet's strategy"),
                        format!("the default stages update dev, staging and prod; write \"fleet\": {{\"stages\": [...]}} with {group:?} in one stage"),
                    );
                }
            }
        }
        stages
    }

    /// The stages as written: named, each group in one stage and with members, every member's
    /// group in a stage.
    fn written_stages(
        &mut self,
        written: &[profile::FleetStage],
        members: &BTreeMap<String, Vec<String>>,
        spokes_writing: &[&str],
    ) -> Vec<model::FleetStage> {
        if written.is_empty() {
            self.err(
                Code::BadValue,
                "/fleet/stages",
                "the fleet's strategy has no stage".into(),
                "list at least one stage, or remove \"stages\" for dev, staging and prod".into(),
            );
        }
        let mut out = Vec::new();
        let mut staged: BTreeMap<String, String> = BTreeMap::new();
        let mut stage_names: Vec<&str> = Vec::new();
        for (i, st) in written.iter().enumerate() {
            let sp = format!("/fleet/stages/{i}");
            self.name(&names::FLEET_GROUP, &st.name, &format!("{sp}/name"));
            if stage_names.contains(&st.name.as_str()) {
                self.err(
                    Code::BadValue,
                    &format!("{sp}/name"),
                    format!("stage {:?} is named twice", st.name),
                    "give every stage its own name".into(),
                );
            }
            stage_names.push(&st.name);
            let groups = st.groups.clone().unwrap_or_else(|| vec![st.name.clone()]);
            if groups.is_empty() {
                self.err(
                    Code::BadValue,
                    &format!("{sp}/groups"),
                    format!("stage {:?} updates no group", st.name),
                    "name at least one update group, or remove \"groups\" for the group named like the stage".into(),
                );
            }
            for (j, g) in groups.iter().enumerate() {
                let gp = if st.groups.is_some() {
                    format!("{sp}/groups/{j}")
                } else {
                    format!("{sp}/name")
                };
                self.name(&names::FLEET_GROUP, g, &gp);
                if let Some(first) = staged.get(g) {
                    self.err(
                        Code::BadValue,
                        &gp,
                        format!("update group {g:?} is already in stage {first:?}"),
                        "a group is updated in one stage only; remove it from one of them".into(),
                    );
                } else {
                    staged.insert(g.clone(), st.name.clone());
                }
                if !members.contains_key(g) {
                    let known: Vec<&str> = members.keys().map(String::as_str).collect();
                    self.err(
                        Code::BadValue,
                        &gp,
                        format!("no cluster is in update group {g:?}"),
                        format!(
                            "Fleet Manager runs only groups that have members; the estate's groups are {}. Set \"updateGroup\" on a spoke, or remove the group",
                            known.join(", ")
                        ),
                    );
                }
            }
            if let Some(w) = st.after_stage_wait_seconds {
                if w > MAX_WAIT {
                    self.err(
                        Code::BadValue,
                        &format!("{sp}/afterStageWaitSeconds"),
                        format!("a wait of {w} seconds"),
                        format!("wait at most {MAX_WAIT} seconds (a week) after a stage"),
                    );
                }
            }
            out.push(model::FleetStage {
                name: st.name.clone(),
                groups,
                after_wait_seconds: st.after_stage_wait_seconds,
            });
        }
        for (group, keys) in members {
            if !staged.contains_key(group) {
                for k in keys {
                    let written = spokes_writing.contains(&k.as_str());
                    self.err(
                        Code::BadValue,
                        &if written {
                            format!("/spokes/{}/updateGroup", esc(k))
                        } else {
                            "/fleet/stages".to_string()
                        },
                        format!("update group {group:?} is in no stage of the fleet's strategy"),
                        format!("add {group:?} to the \"groups\" of a stage in \"fleet.stages\""),
                    );
                }
            }
        }
        out
    }
}
