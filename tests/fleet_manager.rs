//! Staged upgrades with Azure Kubernetes Fleet Manager: an estate with a `fleet` block gets the
//! fleet, every cluster as a member in the update group of its tier, and an update strategy whose
//! stages run dev, then staging, then prod, in every format; fleet-driven auto-upgrade turns the
//! clusters' own channels off as Fleet Manager's documentation asks, and the patching control
//! accepts it while the fleet's profile is on; without the block nothing of it is planned; update
//! groups and stages that Fleet Manager would refuse are refused with their pointers.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers fail loudly on unexpected output"
)]

mod support;

use aks_harden::audit::{self, Input, Outcome, Source};
use aks_harden::diag::Code;
use aks_harden::{Diagnostic, Error, Estate, Files, Format, Syntax, load_file, load_str};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use support::{render, root};

const FLEET: &str = "Microsoft.ContainerService/fleets";
const MEMBER: &str = "Microsoft.ContainerService/fleets/members";
const STRATEGY: &str = "Microsoft.ContainerService/fleets/updateStrategies";
const AUTO_UPGRADE: &str = "Microsoft.ContainerService/fleets/autoUpgradeProfiles";
const AKS: &str = "Microsoft.ContainerService/managedClusters";

fn fleet_estate() -> Estate {
    load_file(&root().join("tests/fixtures/valid/prod-fleet.json")).unwrap()
}

/// Every ARM resource outside the deployments, keyed by (deployment, type, name).
fn arm(files: &Files) -> BTreeMap<(String, String, String), Value> {
    fn walk(rs: &[Value], deployment: &str, out: &mut BTreeMap<(String, String, String), Value>) {
        for r in rs {
            let rtype = r["type"].as_str().unwrap().to_string();
            let name = r["name"].as_str().unwrap().to_string();
            if rtype == "Microsoft.Resources/deployments" {
                let inner = r["properties"]["template"]["resources"].as_array().unwrap();
                walk(inner, &name, out);
            } else {
                out.insert((deployment.to_string(), rtype, name), r.clone());
            }
        }
    }
    let doc: Value = serde_json::from_str(&files["arm/main.json"]).unwrap();
    let mut out = BTreeMap::new();
    walk(doc["resources"].as_array().unwrap(), "", &mut out);
    out
}

/// The ARM resources of one type, by name.
fn of_type(files: &Files, rtype: &str) -> BTreeMap<String, Value> {
    arm(files)
        .into_iter()
        .filter(|((_, t, _), _)| t == rtype)
        .map(|((_, _, n), v)| (n, v))
        .collect()
}

/// One Terraform file as JSON.
fn tf(files: &Files, name: &str) -> Value {
    serde_json::from_str(&files[&format!("terraform/{name}")]).unwrap()
}

/// A strategy's stages as (name, groups, wait).
fn stages(strategy: &Value) -> Vec<(String, Vec<String>, Option<u64>)> {
    strategy["properties"]["strategy"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|st| {
            (
                st["name"].as_str().unwrap().to_string(),
                st["groups"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| g["name"].as_str().unwrap().to_string())
                    .collect(),
                st["afterStageWaitInSeconds"].as_u64(),
            )
        })
        .collect()
}

fn tiers() -> Vec<(String, Vec<String>, Option<u64>)> {
    vec![
        ("dev".into(), vec!["dev".into()], Some(86_400)),
        ("staging".into(), vec!["staging".into()], Some(86_400)),
        ("prod".into(), vec!["prod".into()], None),
    ]
}

#[test]
fn the_fleet_its_members_and_the_staged_strategy_render_in_every_format() {
    let files = render(&fleet_estate(), Format::IMPLEMENTED).unwrap();

    // ARM: one fleet without a hub cluster, every cluster a member in its tier's group.
    let fleets = of_type(&files, FLEET);
    assert_eq!(fleets.keys().collect::<Vec<_>>(), ["fleet-contoso"]);
    assert_eq!(fleets["fleet-contoso"]["properties"], json!({}));
    let members = of_type(&files, MEMBER);
    for spoke in ["dev", "staging", "prod"] {
        let m = &members[&format!("fleet-contoso/{spoke}")];
        assert_eq!(m["properties"]["group"], json!(spoke));
        let cluster = m["properties"]["clusterResourceId"].as_str().unwrap();
        assert!(
            cluster.contains(&format!(
                "'rg-contoso-{spoke}-cluster', '{AKS}', 'aks-contoso-{spoke}'"
            )),
            "{cluster}"
        );
    }
    assert_eq!(members.len(), 3);
    // The fleet's deployment waits for every cluster.
    let doc: Value = serde_json::from_str(&files["arm/main.json"]).unwrap();
    let deployment = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == json!("contoso-fleet"))
        .unwrap();
    for spoke in ["dev", "staging", "prod"] {
        assert!(
            deployment["dependsOn"]
                .as_array()
                .unwrap()
                .contains(&json!(format!("contoso-{spoke}-cluster"))),
            "{}",
            deployment["dependsOn"]
        );
    }
    // The strategy: dev, then staging, then prod, a day's wait after each but the last.
    let strategies = of_type(&files, STRATEGY);
    assert_eq!(stages(&strategies["fleet-contoso/tiers"]), tiers());
    // Node images through the fleet, following the strategy; the clusters' own channel is off.
    let profiles = of_type(&files, AUTO_UPGRADE);
    assert_eq!(
        profiles.keys().collect::<Vec<_>>(),
        ["fleet-contoso/node-image"]
    );
    let p = &profiles["fleet-contoso/node-image"]["properties"];
    assert_eq!(p["channel"], json!("NodeImage"));
    assert_eq!(
        p["updateStrategyId"],
        json!(
            "[resourceId('Microsoft.ContainerService/fleets/updateStrategies', 'fleet-contoso', 'tiers')]"
        )
    );
    for (name, cluster) in of_type(&files, AKS) {
        let up = &cluster["properties"]["autoUpgradeProfile"];
        assert_eq!(up["nodeOSUpgradeChannel"], json!("None"), "{name}");
        assert_eq!(up["upgradeChannel"], json!("patch"), "{name}");
    }

    // Bicep: members and strategy beside their fleet.
    let bicep = &files["bicep/modules/fleet.bicep"];
    for needle in [
        "resource fleet 'Microsoft.ContainerService/fleets@2025-03-01' = {",
        "resource fleet_member_staging 'Microsoft.ContainerService/fleets/members@2025-03-01' = {\n  parent: fleet\n  name: 'staging'",
        "clusterResourceId: existing_managedClusters_aks_contoso_staging.id",
        "resource fleet_strategy 'Microsoft.ContainerService/fleets/updateStrategies@2025-03-01' = {\n  parent: fleet\n  name: 'tiers'",
        "afterStageWaitInSeconds: 86400",
        "channel: 'NodeImage'",
        "updateStrategyId: fleet_strategy.id",
    ] {
        assert!(
            bicep.contains(needle),
            "fleet.bicep lacks {needle}\n{bicep}"
        );
    }

    // Terraform: azurerm's fleet resources, the profile carried by azapi.
    let t = tf(&files, "fleet.tf.json");
    let r = &t["resource"];
    assert_eq!(
        r["azurerm_kubernetes_fleet_manager"]["fleet_fleet"]["name"],
        json!("fleet-contoso")
    );
    for spoke in ["dev", "staging", "prod"] {
        let m = &r["azurerm_kubernetes_fleet_member"][format!("fleet_fleet_member_{spoke}")];
        assert_eq!(m["group"], json!(spoke));
        assert_eq!(
            m["kubernetes_cluster_id"],
            json!(format!(
                "${{azurerm_kubernetes_cluster.{spoke}_cluster_cluster.id}}"
            ))
        );
        assert_eq!(
            m["kubernetes_fleet_id"],
            json!("${azurerm_kubernetes_fleet_manager.fleet_fleet.id}")
        );
    }
    let stage = &r["azurerm_kubernetes_fleet_update_strategy"]["fleet_fleet_strategy"]["stage"];
    assert_eq!(
        stage,
        &json!([
            { "name": "dev", "group": [{ "name": "dev" }], "after_stage_wait_in_seconds": 86400 },
            { "name": "staging", "group": [{ "name": "staging" }], "after_stage_wait_in_seconds": 86400 },
            { "name": "prod", "group": [{ "name": "prod" }] },
        ])
    );
    let profile = &r["azapi_resource"]["fleet_fleet_auto_upgrade_node_image"];
    assert_eq!(
        profile["type"],
        json!("Microsoft.ContainerService/fleets/autoUpgradeProfiles@2025-03-01")
    );
    assert_eq!(
        profile["body"]["properties"]["updateStrategyId"],
        json!("${azurerm_kubernetes_fleet_update_strategy.fleet_fleet_strategy.id}")
    );
}

#[test]
fn without_a_fleet_block_nothing_of_it_is_planned() {
    let files = render(
        &aks_harden::load_profile("prod").unwrap(),
        Format::IMPLEMENTED,
    )
    .unwrap();
    for t in [FLEET, MEMBER, STRATEGY, AUTO_UPGRADE] {
        assert!(of_type(&files, t).is_empty(), "{t}");
    }
    assert!(!files.keys().any(|k| k.contains("fleet")));
    for (name, cluster) in of_type(&files, AKS) {
        let up = &cluster["properties"]["autoUpgradeProfile"];
        assert_eq!(up["nodeOSUpgradeChannel"], json!("NodeImage"), "{name}");
    }
}

fn host_patching(input: &Input) -> (Outcome, String) {
    let report = audit::audit(input, support::today());
    let r = report
        .results
        .iter()
        .find(|r| r.control.id.as_str() == "HOST-PATCHING")
        .unwrap();
    let text = r
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.status.as_str(), report.evidence(f)))
        .collect::<Vec<_>>()
        .join("\n");
    (r.outcome, text)
}

/// The patching control takes the fleet's node image profile for the clusters' channel, and
/// fails the clusters again once that profile is disabled.
#[test]
fn the_patching_control_accepts_fleet_upgrades_while_the_profile_is_on() {
    let estate = fleet_estate();
    let (outcome, text) = host_patching(&aks_harden::audit_input(
        &estate,
        Source::new("prod-fleet.json", "prod-fleet.json", None),
    ));
    assert_eq!(outcome, Outcome::Pass, "{text}");
    assert!(
        text.contains("fleet `fleet-contoso` upgrades node images in stages (auto-upgrade profile `node-image`)"),
        "{text}"
    );
    // The rendered template, read as any ARM template: the same verdict.
    let files = render(&estate, &[Format::Arm]).unwrap();
    let main = files["arm/main.json"].clone();
    let params = files["arm/main.parameters.json"].clone();
    let template = |text: String| {
        Input::from_template(
            Source::new("main.json", "main.json", Some(text)),
            Some(&params),
        )
        .unwrap()
    };
    assert_eq!(host_patching(&template(main.clone())).0, Outcome::Pass);
    let disabled = main.replace(
        "\"channel\": \"NodeImage\",",
        "\"channel\": \"NodeImage\",\n\"disabled\": true,",
    );
    assert_ne!(disabled, main);
    let (outcome, text) = host_patching(&template(disabled));
    assert_eq!(outcome, Outcome::Fail, "{text}");
    assert!(
        text.contains("nodeOSUpgradeChannel` is `None`; want"),
        "{text}"
    );
}

fn estate(fleet: &Value, spoke_defaults: &Value) -> Result<Estate, Vec<Diagnostic>> {
    let doc = json!({
        "extends": "prod",
        "description": "Fleet",
        "spokeDefaults": spoke_defaults,
        "spokes": {
            "dev": { "subscriptionId": "00000000-0000-0000-0000-0000000000d1", "addressSpace": "10.1.0.0/16" },
            "blue": { "subscriptionId": "00000000-0000-0000-0000-0000000000d2", "addressSpace": "10.2.0.0/16" },
            "green": { "subscriptionId": "00000000-0000-0000-0000-0000000000d3", "addressSpace": "10.3.0.0/16" }
        },
        "fleet": fleet,
    });
    match load_str("fleet.json", &doc.to_string(), Syntax::Json) {
        Ok(e) => Ok(e),
        Err(Error::Invalid(d)) => Err(d),
        Err(e) => panic!("{e}"),
    }
}

fn refused(fleet: &Value, spoke_defaults: &Value) -> Vec<(Code, String, String)> {
    estate(fleet, spoke_defaults)
        .map(|_| ())
        .expect_err("refused")
        .into_iter()
        .map(|d| (d.code, d.pointer, d.message))
        .collect()
}

/// Kubernetes releases through the fleet: a pinned minor is refused once, at the fleet (the
/// user's line), and without the pin the clusters' channel is `none` and the profile follows
/// the strategy with one node image; the gate passes.
#[test]
fn kubernetes_upgrades_through_the_fleet_turn_the_cluster_channel_off() {
    let fleet = json!({ "autoUpgrade": { "kubernetes": "Stable" } });
    let d = refused(&fleet, &json!({}));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].0, Code::Inconsistent);
    assert_eq!(d[0].1, "/fleet/autoUpgrade/kubernetes");
    assert!(d[0].2.contains("downgrade"), "{}", d[0].2);

    let e = estate(&fleet, &json!({ "cluster": { "kubernetesVersion": null } })).unwrap();
    let g = aks_harden::generate(
        &e,
        &aks_harden::Options::new(support::today()).formats(&[Format::Arm]),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let files = g.files;
    for (name, cluster) in of_type(&files, AKS) {
        let up = &cluster["properties"]["autoUpgradeProfile"];
        assert_eq!(up["upgradeChannel"], json!("none"), "{name}");
        assert_eq!(up["nodeOSUpgradeChannel"], json!("NodeImage"), "{name}");
    }
    let profiles = of_type(&files, AUTO_UPGRADE);
    assert_eq!(
        profiles.keys().collect::<Vec<_>>(),
        ["fleet-contoso/kubernetes"]
    );
    let p = &profiles["fleet-contoso/kubernetes"]["properties"];
    assert_eq!(p["channel"], json!("Stable"));
    assert_eq!(p["nodeImageSelection"]["type"], json!("Consistent"));
    // Groups from the tiers: `dev` by its name, the others the estate's tier; stages without
    // clusters are left out, and the last stage does not wait.
    assert_eq!(
        stages(&of_type(&files, STRATEGY)["fleet-contoso/tiers"]),
        [
            ("dev".into(), vec!["dev".into()], Some(86_400)),
            ("prod".into(), vec!["prod".into()], None),
        ]
    );
}

#[test]
fn a_management_subscription_gets_its_parameter_and_provider() {
    let e = estate(
        &json!({ "subscriptionId": "00000000-0000-0000-0000-0000000000f1" }),
        &json!({}),
    )
    .unwrap();
    let files = render(&e, Format::IMPLEMENTED).unwrap();
    let params: Value = serde_json::from_str(&files["arm/main.parameters.json"]).unwrap();
    assert_eq!(
        params["parameters"]["fleetSubscriptionId"]["value"],
        json!("00000000-0000-0000-0000-0000000000f1")
    );
    let doc: Value = serde_json::from_str(&files["arm/main.json"]).unwrap();
    let rgs = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == json!("contoso-fleet-resource-groups"))
        .unwrap();
    // Routed through the hub's resource group into the management subscription.
    assert_eq!(
        rgs["properties"]["template"]["resources"][0]["subscriptionId"],
        json!("[parameters('fleetSubscriptionId')]"),
        "{rgs}"
    );
    let t = tf(&files, "fleet.tf.json");
    assert_eq!(
        t["resource"]["azurerm_kubernetes_fleet_manager"]["fleet_fleet"]["provider"],
        json!("azurerm.fleet")
    );
    assert!(files["terraform/providers.tf.json"].contains("${var.fleet_subscription_id}"));
}

#[test]
fn groups_and_stages_fleet_manager_would_refuse_are_refused() {
    // A group of its own without a stage to run it.
    let canary = json!({ "updateGroup": "canary" });
    let doc = json!({
        "extends": "prod",
        "spokes": { "prod": canary },
        "fleet": {},
    });
    let Err(Error::Invalid(d)) = load_str("f.json", &doc.to_string(), Syntax::Json) else {
        panic!("accepted");
    };
    assert_eq!(
        d.iter()
            .map(|d| (d.code, d.pointer.as_str()))
            .collect::<Vec<_>>(),
        [(Code::BadValue, "/spokes/prod/updateGroup")],
        "{d:#?}"
    );
    assert!(d[0].hint.contains("\"stages\""), "{}", d[0].hint);

    // A stage naming a group no cluster is in; a group in two stages.
    let d = refused(
        &json!({ "stages": [
            { "name": "first", "groups": ["dev", "qa"] },
            { "name": "prod", "groups": ["prod", "dev"] }
        ] }),
        &json!({}),
    );
    assert_eq!(
        d.iter()
            .map(|(c, p, _)| (*c, p.as_str()))
            .collect::<Vec<_>>(),
        [
            (Code::BadValue, "/fleet/stages/0/groups/1"),
            (Code::BadValue, "/fleet/stages/1/groups/1"),
        ],
        "{d:#?}"
    );
    assert!(
        d[0].2.contains("no cluster is in update group \"qa\""),
        "{d:#?}"
    );
    assert!(d[1].2.contains("already in stage \"first\""), "{d:#?}");

    // Written stages that leave a tier's group out.
    let d = refused(&json!({ "stages": [{ "name": "dev" }] }), &json!({}));
    assert_eq!(
        d,
        [(
            Code::BadValue,
            "/fleet/stages".to_string(),
            "update group \"prod\" is in no stage of the fleet's strategy".to_string()
        )]
    );

    // An update group without a fleet.
    let doc = json!({ "extends": "prod", "spokes": { "prod": { "updateGroup": "prod" } } });
    let Err(Error::Invalid(d)) = load_str("f.json", &doc.to_string(), Syntax::Json) else {
        panic!("accepted");
    };
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(
        (d[0].code, d[0].pointer.as_str()),
        (Code::Inconsistent, "/spokes/prod/updateGroup")
    );

    // Fleet node images cannot stand in for SecurityPatch.
    let d = refused(
        &json!({ "autoUpgrade": { "nodeImage": true } }),
        &json!({ "cluster": { "upgrades": { "nodeOsChannel": "SecurityPatch" } } }),
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].0, Code::Inconsistent);
    assert_eq!(d[0].1, "/spokeDefaults/cluster/upgrades/nodeOsChannel");
    assert!(d[0].2.contains("2 more spokes"), "{d:#?}");
}

/// A Terraform plan is judged as the template is: a cluster whose node OS channel is off passes
/// on the node image profile of the fleet its `azurerm_kubernetes_fleet_member` joins it to.
#[test]
fn a_plan_with_fleet_members_is_judged_on_the_fleet_profile() {
    let fleet_id = "/subscriptions/00000000-0000-0000-0000-0000000000f1/resourceGroups/rg-f/providers/Microsoft.ContainerService/fleets/fleet-f";
    let plan = |profile_channel: &str| {
        json!({
            "format_version": "1.2",
            "planned_values": { "root_module": { "resources": [
                {
                    "address": "azurerm_kubernetes_cluster.c", "mode": "managed",
                    "type": "azurerm_kubernetes_cluster", "name": "c",
                    "values": {
                        "name": "aks-f", "location": "westeurope", "resource_group_name": "rg-c",
                        "automatic_upgrade_channel": "patch", "node_os_upgrade_channel": "None"
                    }
                },
                {
                    "address": "azurerm_kubernetes_fleet_manager.f", "mode": "managed",
                    "type": "azurerm_kubernetes_fleet_manager", "name": "f",
                    "values": { "name": "fleet-f", "location": "westeurope", "resource_group_name": "rg-f" }
                },
                {
                    "address": "azurerm_kubernetes_fleet_member.m", "mode": "managed",
                    "type": "azurerm_kubernetes_fleet_member", "name": "m",
                    "values": {
                        "name": "f", "group": "prod", "kubernetes_fleet_id": fleet_id,
                        "kubernetes_cluster_id": "/subscriptions/00000000-0000-0000-0000-0000000000c1/resourceGroups/rg-c/providers/Microsoft.ContainerService/managedClusters/aks-f"
                    }
                },
                {
                    "address": "azapi_resource.p", "mode": "managed", "type": "azapi_resource", "name": "p",
                    "values": {
                        "type": "Microsoft.ContainerService/fleets/autoUpgradeProfiles@2025-03-01",
                        "name": "node-image", "parent_id": fleet_id,
                        "body": { "properties": { "channel": profile_channel } }
                    }
                }
            ] } }
        })
        .to_string()
    };
    let judge = |text: String| {
        host_patching(&Input::from_plan(Source::new("plan.json", "plan.json", Some(text))).unwrap())
    };
    let (_, text) = judge(plan("NodeImage"));
    assert!(
        text.contains("pass: aks-f `properties.autoUpgradeProfile.nodeOSUpgradeChannel`: `None`: fleet `fleet-f` upgrades node images"),
        "{text}"
    );
    // A Kubernetes-only profile does not stand in for the node OS channel.
    let (outcome, text) = judge(plan("Stable"));
    assert_eq!(outcome, Outcome::Fail, "{text}");
    assert!(
        text.contains("nodeOSUpgradeChannel` is `None`; want"),
        "{text}"
    );
}

#[test]
fn operate_md_says_how_to_run_the_staged_upgrades() {
    let files = render(&fleet_estate(), &[Format::Arm]).unwrap();
    let text = &files["OPERATE.md"];
    let fleet = of_type(&files, FLEET).into_keys().next().unwrap();
    let strategy = of_type(&files, STRATEGY);
    let (name, body) = strategy.iter().next().unwrap();
    let name = name.rsplit('/').next().unwrap();
    // The section comes before the clusters', and names the fleet's own resource group.
    let section = text
        .split("## Staged upgrades through Fleet Manager")
        .nth(1)
        .expect("a section on the fleet")
        .split("\n## Cluster ")
        .next()
        .unwrap();
    assert!(section.contains(&format!("Fleet Manager `{fleet}` in `rg-contoso-fleet`")));
    // Every member with its group, every stage in the strategy's order.
    for (m, v) in of_type(&files, MEMBER) {
        let member = m.rsplit('/').next().unwrap();
        let group = v["properties"]["group"].as_str().unwrap();
        assert!(
            section.contains(&format!("- `{member}`: group `{group}`")),
            "{member}"
        );
    }
    let mut at = 0;
    for (n, (stage, groups, wait)) in stages(body).iter().enumerate() {
        let groups: Vec<String> = groups.iter().map(|g| format!("`{g}`")).collect();
        let line = format!("{}. `{stage}`: update groups {}", n + 1, groups.join(", "));
        let found = section[at..]
            .find(&line)
            .unwrap_or_else(|| panic!("{line}"));
        at += found + line.len();
        let then = wait.map(|w| format!(", then {w} seconds before the next stage"));
        assert_eq!(
            section[at..].lines().next().unwrap(),
            then.unwrap_or_default(),
            "{stage}"
        );
    }
    for command in [
        format!("--fleet-name {fleet} \\\n  --name <run-name> --upgrade-type Full"),
        format!("--update-strategy-name {name}\n"),
        format!("az fleet updaterun start --resource-group rg-contoso-fleet --fleet-name {fleet}"),
        "az fleet autoupgradeprofile list".to_string(),
    ] {
        assert!(section.contains(&command), "{command}\n{section}");
    }
    // Without a fleet, nothing of it.
    let prod = render(&aks_harden::load_profile("prod").unwrap(), &[Format::Arm]).unwrap();
    assert!(!prod["OPERATE.md"].contains("Fleet Manager"));
}
