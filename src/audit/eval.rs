//! Judging the input against each control: one function per control, each pushing findings
//! (pass, fail, unknown, not applicable, not assessed) with the resource and property path that
//! show it.

use super::catalogue::{CONTROLS, Control, Live};
use super::input::{Input, Kind, Look, Place, Resource, id_scope, parse_id};
use crate::model::Tier;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// The status of a finding or of a whole control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// The input does what the control demands.
    Pass,
    /// It does not.
    Fail,
    /// A value the control depends on hides behind an expression the audit cannot evaluate.
    Unknown,
    /// The control does not apply to this input.
    NotApplicable,
    /// The input cannot show it (the JSON of a live cluster).
    NotAssessed,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotApplicable => "n/a",
            Status::NotAssessed => "not assessed",
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it shows.
    pub status: Status,
    /// The resource (index into [`Input::resources`]).
    pub resource: Option<usize>,
    /// The property path within the resource, e.g. `properties.apiServerAccessProfile.enablePrivateCluster`.
    pub path: String,
    /// What was found, in words.
    pub message: String,
    /// Whether a waiver may cover this failure.
    pub waivable: bool,
}

const CLUSTER: &str = "Microsoft.ContainerService/managedClusters";
const POOL: &str = "Microsoft.ContainerService/managedClusters/agentPools";
const MAINTENANCE: &str = "Microsoft.ContainerService/managedClusters/maintenanceConfigurations";
const VNET: &str = "Microsoft.Network/virtualNetworks";
const SUBNET: &str = "Microsoft.Network/virtualNetworks/subnets";
const NSG: &str = "Microsoft.Network/networkSecurityGroups";
const NSG_RULE: &str = "Microsoft.Network/networkSecurityGroups/securityRules";
const ROUTE_TABLE: &str = "Microsoft.Network/routeTables";
const ROUTE: &str = "Microsoft.Network/routeTables/routes";
const PRIVATE_ENDPOINT: &str = "Microsoft.Network/privateEndpoints";
const ZONE_GROUP: &str = "Microsoft.Network/privateEndpoints/privateDnsZoneGroups";
const FIREWALL: &str = "Microsoft.Network/azureFirewalls";
const FIREWALL_POLICY: &str = "Microsoft.Network/firewallPolicies";
const RULE_GROUP: &str = "Microsoft.Network/firewallPolicies/ruleCollectionGroups";
const GATEWAY: &str = "Microsoft.Network/virtualNetworkGateways";
const DNS_ZONE: &str = "Microsoft.Network/privateDnsZones";
const DNS_LINK: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
const VAULT: &str = "Microsoft.KeyVault/vaults";
const REGISTRY: &str = "Microsoft.ContainerRegistry/registries";
const WORKSPACE: &str = "Microsoft.OperationalInsights/workspaces";
const DIAGNOSTICS: &str = "Microsoft.Insights/diagnosticSettings";
const ROLE_ASSIGNMENT: &str = "Microsoft.Authorization/roleAssignments";
const LOCK: &str = "Microsoft.Authorization/locks";
const POLICY_ASSIGNMENT: &str = "Microsoft.Authorization/policyAssignments";
const PRICING: &str = "Microsoft.Security/pricings";

const RESTRICTED_INITIATIVE: &str = "42b8ef37-b724-4e24-bbc8-7a7708edfe00";
const BASELINE_INITIATIVE: &str = "a8640138-9b0a-4a28-b8cb-1666c838647d";

/// Built-in roles the control knows, with the resource types they should be scoped to.
const ROLES: &[(&str, &str, &[&str])] = &[
    (
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "Network Contributor",
        &[SUBNET, ROUTE_TABLE],
    ),
    (
        "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        "AcrPull",
        &[REGISTRY],
    ),
    (
        "f1a07417-d97a-45cb-824c-7a7467783830",
        "Managed Identity Operator",
        &["Microsoft.ManagedIdentity/userAssignedIdentities"],
    ),
    (
        "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
        "Private DNS Zone Contributor",
        &[DNS_ZONE],
    ),
    (
        "12338af0-0e69-4776-bea7-57ae8d297424",
        "Key Vault Crypto User",
        &["Microsoft.KeyVault/vaults/keys"],
    ),
    (
        "e147488a-f6f5-4113-8e2d-b22465e65bf6",
        "Key Vault Crypto Service Encryption User",
        &["Microsoft.KeyVault/vaults/keys"],
    ),
    (
        "4633458b-17de-408a-b874-0445c86b69e6",
        "Key Vault Secrets User",
        &[VAULT, "Microsoft.KeyVault/vaults/secrets"],
    ),
];

/// Roles no workload identity needs.
const BROAD_ROLES: &[(&str, &str)] = &[
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    (
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
    ),
    (
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "Role Based Access Control Administrator",
    ),
];

/// Regions with availability zones.
const ZONE_REGIONS: &[&str] = &[
    "australiaeast",
    "austriaeast",
    "belgiumcentral",
    "brazilsouth",
    "canadacentral",
    "centralindia",
    "centralus",
    "chilecentral",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "westeurope",
    "westus2",
    "westus3",
];

/// Subnets Azure forbids or restricts NSGs on.
const NSG_EXEMPT: &[&str] = &[
    "AzureFirewallSubnet",
    "AzureFirewallManagementSubnet",
    "GatewaySubnet",
    "RouteServerSubnet",
    "AzureBastionSubnet",
];

/// A value in a message: strings bare, everything else as compact JSON, long values cut.
pub fn show(v: &Json) -> String {
    let s = match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn eq(v: &Json, want: &str) -> bool {
    v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(want))
}

fn truthy(v: &Json) -> bool {
    match v {
        Json::Bool(b) => *b,
        Json::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn falsy(v: &Json) -> bool {
    match v {
        Json::Bool(b) => !*b,
        Json::String(s) => s.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn internet(prefix: &str) -> bool {
    ["*", "internet", "0.0.0.0/0", "any", "::/0"].contains(&prefix.to_ascii_lowercase().as_str())
}

fn covers_port(range: &str, port: u16) -> bool {
    let range = range.trim();
    if range == "*" {
        return true;
    }
    match range.split_once('-') {
        Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            (Ok(a), Ok(b)) => a <= port && port <= b,
            _ => false,
        },
        None => range.parse::<u16>() == Ok(port),
    }
}

/// A node pool, inline in the cluster or a child resource.
struct Pool {
    res: usize,
    prefix: String,
    name: String,
    system: bool,
}

/// A subnet, inline in its VNet or a child resource.
#[derive(Clone)]
struct SubnetView {
    res: usize,
    prefix: String,
    vnet: String,
    name: String,
}

struct Cx<'a> {
    i: &'a Input,
    f: Vec<Finding>,
}

impl<'a> Cx<'a> {
    fn live(&self) -> bool {
        self.i.kind == Kind::Live
    }

    fn r(&self, idx: usize) -> &'a Resource {
        &self.i.resources[idx]
    }

    fn push(&mut self, status: Status, r: Option<usize>, path: &str, message: String) {
        self.f.push(Finding {
            status,
            resource: r,
            path: path.to_string(),
            message,
            waivable: true,
        });
    }

    fn pass(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Pass, r, path, message.into());
    }

    fn fail(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Fail, r, path, message.into());
    }

    /// A failure no waiver covers.
    fn fail_hard(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Fail, r, path, message.into());
        if let Some(last) = self.f.last_mut() {
            last.waivable = false;
        }
    }

    fn unknown(&mut self, r: Option<usize>, path: &str, message: impl Into<String>) {
        self.push(Status::Unknown, r, path, message.into());
    }

    fn na(&mut self, message: impl Into<String>) {
        self.push(Status::NotApplicable, None, "", message.into());
    }

    /// Something a live cluster's JSON cannot show.
    fn gap(&mut self, message: impl Into<String>) {
        self.push(Status::NotAssessed, None, "", message.into());
    }

    /// Check a property: `ok` judges a known value; a missing one fails unless `default` says
    /// what the API does then and that it is fine.
    fn expect(
        &mut self,
        r: usize,
        path: &str,
        want: &str,
        ok: impl Fn(&Json) -> bool,
        default_ok: Option<&str>,
    ) -> Option<bool> {
        match self.r(r).get(path) {
            Look::Value(v) => {
                let good = ok(v);
                if good {
                    self.pass(Some(r), path, format!("is `{}`", show(v)));
                } else {
                    self.fail(Some(r), path, format!("is `{}`; want {want}", show(v)));
                }
                Some(good)
            }
            Look::Missing => {
                if let Some(d) = default_ok {
                    self.pass(Some(r), path, format!("is not set ({d})"));
                    Some(true)
                } else {
                    self.fail(Some(r), path, format!("is not set; want {want}"));
                    Some(false)
                }
            }
            Look::Unknown(u) => {
                self.unknown(
                    Some(r),
                    path,
                    format!("is `{u}`, which the audit cannot evaluate; want {want}"),
                );
                None
            }
        }
    }

    fn expect_true(&mut self, r: usize, path: &str) -> Option<bool> {
        self.expect(r, path, "`true`", truthy, None)
    }

    fn expect_str(&mut self, r: usize, path: &str, want: &[&str]) -> Option<bool> {
        let words = want
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        self.expect(r, path, &words, |v| want.iter().any(|w| eq(v, w)), None)
    }

    /// A property that must be present (any value, an expression too).
    fn expect_present(&mut self, r: usize, path: &str, what: &str) -> bool {
        match self.r(r).get(path) {
            Look::Value(v) if v.as_str() == Some("") || v.as_array().is_some_and(Vec::is_empty) => {
                self.fail(Some(r), path, format!("is empty; want {what}"));
                false
            }
            Look::Value(v) => {
                self.pass(Some(r), path, format!("is `{}`", show(v)));
                true
            }
            Look::Unknown(u) => {
                self.pass(Some(r), path, format!("is set at deployment by `{u}`"));
                true
            }
            Look::Missing => {
                self.fail(Some(r), path, format!("is not set; want {what}"));
                false
            }
        }
    }

    fn clusters(&self) -> Vec<usize> {
        self.i.of_type(CLUSTER).map(|(i, _)| i).collect()
    }

    fn pools(&mut self, c: usize) -> Vec<Pool> {
        let cluster = self.r(c);
        let mut out = Vec::new();
        match cluster.get("properties.agentPoolProfiles") {
            Look::Unknown(u) => {
                self.unknown(
                    Some(c),
                    "properties.agentPoolProfiles",
                    format!("is `{u}`, which the audit cannot evaluate"),
                );
            }
            l => {
                for (n, p) in l.array().iter().enumerate() {
                    let mode = super::input::look(p, "mode");
                    out.push(Pool {
                        res: c,
                        prefix: format!("properties.agentPoolProfiles[{n}]"),
                        name: p
                            .get("name")
                            .and_then(Json::as_str)
                            .unwrap_or("?")
                            .to_string(),
                        system: match mode.str() {
                            Some(m) => m.eq_ignore_ascii_case("System"),
                            None => n == 0,
                        },
                    });
                }
            }
        }
        let prefix = format!("{}/", cluster.name.to_ascii_lowercase());
        for (i, r) in self.i.of_type(POOL) {
            if r.name.to_ascii_lowercase().starts_with(&prefix) {
                out.push(Pool {
                    res: i,
                    prefix: "properties".into(),
                    name: last_segment(&r.name).to_string(),
                    system: r
                        .get("properties.mode")
                        .str()
                        .is_some_and(|m| m.eq_ignore_ascii_case("System")),
                });
            }
        }
        out
    }

    fn subnets(&self) -> Vec<SubnetView> {
        let mut out = Vec::new();
        for (i, v) in self.i.of_type(VNET) {
            for (n, s) in v.get("properties.subnets").array().iter().enumerate() {
                out.push(SubnetView {
                    res: i,
                    prefix: format!("properties.subnets[{n}].properties"),
                    vnet: v.name.clone(),
                    name: s
                        .get("name")
                        .and_then(Json::as_str)
                        .unwrap_or("?")
                        .to_string(),
                });
            }
        }
        for (i, s) in self.i.of_type(SUBNET) {
            if let Some((vnet, name)) = s.name.split_once('/') {
                if !out.iter().any(|x: &SubnetView| {
                    x.vnet.eq_ignore_ascii_case(vnet) && x.name.eq_ignore_ascii_case(name)
                }) {
                    out.push(SubnetView {
                        res: i,
                        prefix: "properties".into(),
                        vnet: vnet.to_string(),
                        name: name.to_string(),
                    });
                }
            }
        }
        out
    }

    fn subnet_by_id(&self, id: &str) -> Option<SubnetView> {
        let (rtype, names) = parse_id(id)?;
        if !rtype.eq_ignore_ascii_case(SUBNET) || names.len() != 2 {
            return None;
        }
        self.subnets().into_iter().find(|s| {
            s.vnet.eq_ignore_ascii_case(&names[0]) && s.name.eq_ignore_ascii_case(&names[1])
        })
    }

    fn subnet_get(&self, s: &SubnetView, key: &str) -> Look<'a> {
        self.r(s.res).get(&format!("{}.{key}", s.prefix))
    }

    /// Items of an inline list (`properties.<list>[i].properties`) and of child resources.
    fn children(
        &self,
        parent: usize,
        list: &str,
        child_type: &str,
    ) -> Vec<(usize, String, String)> {
        let p = self.r(parent);
        let mut out = Vec::new();
        for (n, item) in p
            .get(&format!("properties.{list}"))
            .array()
            .iter()
            .enumerate()
        {
            out.push((
                parent,
                format!("properties.{list}[{n}].properties"),
                item.get("name")
                    .and_then(Json::as_str)
                    .unwrap_or("?")
                    .to_string(),
            ));
        }
        let prefix = format!("{}/", p.name.to_ascii_lowercase());
        for (i, r) in self.i.of_type(child_type) {
            if r.name.to_ascii_lowercase().starts_with(&prefix) {
                out.push((i, "properties".into(), last_segment(&r.name).to_string()));
            }
        }
        out
    }

    /// Extension resources of `ext_type` attached to `target`.
    fn attached(&self, ext_type: &str, target: usize) -> Vec<usize> {
        let t = self.r(target);
        let short = last_segment(ext_type);
        let legacy = format!("{}/providers/{short}", t.rtype);
        let name_prefix = format!("{}/", t.name.to_ascii_lowercase());
        self.i
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                if r.is(ext_type) {
                    match &r.scope {
                        Some(s) => match self.i.find_id(s) {
                            Some(idx) => idx == target,
                            None => {
                                let l = s.to_ascii_lowercase();
                                super::expr::is_expression(s)
                                    && l.contains(&t.short_type().to_ascii_lowercase())
                                    && l.contains(&t.name.to_ascii_lowercase())
                            }
                        },
                        None => false,
                    }
                } else {
                    r.is(&legacy) && r.name.to_ascii_lowercase().starts_with(&name_prefix)
                }
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn same_rg(&self, a: usize, b: usize) -> bool {
        let (a, b) = (self.r(a), self.r(b));
        match (&a.resource_group, &b.resource_group) {
            (Some(x), Some(y)) => a.subscription.same(&b.subscription) && x.same(y),
            _ => false,
        }
    }

    fn rg_name(&self, r: usize) -> String {
        match &self.r(r).resource_group {
            Some(Place::Known(s)) => format!("resource group `{s}`"),
            Some(Place::Root) => "the deployment's resource group".into(),
            Some(Place::Unknown(u)) => format!("the resource group given by `{u}`"),
            None => "the subscription".into(),
        }
    }

    fn tier(&self) -> Tier {
        self.i.tier
    }

    /// Whether a Defender for Containers plan covers resource `r`'s subscription.
    fn defender_plan(&self, r: usize) -> Option<usize> {
        let sub = &self.r(r).subscription;
        self.i.of_type(PRICING).find_map(|(i, p)| {
            (last_segment(&p.name).eq_ignore_ascii_case("Containers")
                && p.get("properties.pricingTier")
                    .str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("Standard"))
                && p.subscription.same(sub))
            .then_some(i)
        })
    }
}

/// Evaluate every control; the findings per control, in catalogue order.
pub fn evaluate(input: &Input) -> Vec<Vec<Finding>> {
    let mut all: Vec<Vec<Finding>> = Vec::new();
    for c in CONTROLS {
        let mut cx = Cx {
            i: input,
            f: Vec::new(),
        };
        if input.kind == Kind::Live && c.live == Live::No {
            cx.gap("the JSON of a live cluster does not show what this control judges");
        } else if c.id != "BENCH-JUDGED" {
            run(c, &mut cx);
        }
        all.push(cx.f);
    }
    // BENCH-JUDGED: complete only if every other control could be judged.
    if let Some(pos) = CONTROLS.iter().position(|c| c.id == "BENCH-JUDGED") {
        let mut f = Vec::new();
        let mut unknown = Vec::new();
        for (c, findings) in CONTROLS.iter().zip(&all) {
            if findings.iter().any(|x| x.status == Status::Unknown) {
                unknown.push(c.id);
            }
        }
        if unknown.is_empty() {
            f.push(Finding {
                status: Status::Pass,
                resource: None,
                path: String::new(),
                message: format!(
                    "every control of the catalogue ({}) could be judged; the report names the checkov, PSRule and CIS rules of each",
                    CONTROLS.len()
                ),
                waivable: true,
            });
        } else {
            f.push(Finding {
                status: Status::Fail,
                resource: None,
                path: String::new(),
                message: format!(
                    "not judged, because values hide behind expressions: {}",
                    unknown.join(", ")
                ),
                waivable: true,
            });
        }
        all[pos] = f;
    }
    all
}

fn run(c: &Control, cx: &mut Cx) {
    match c.id {
        "ENV-SUBSCRIPTIONS" => env_subscriptions(cx),
        "ENV-RESOURCE-GROUPS" => env_resource_groups(cx),
        "ENV-CLUSTER-ISOLATION" => env_cluster_isolation(cx),
        "ID-MANAGED-IDENTITY" => id_managed_identity(cx),
        "ID-LEAST-PRIVILEGE" => id_least_privilege(cx),
        "NODE-SYSTEM-DEDICATED" => node_system_dedicated(cx),
        "NODE-SANDBOX" => node_sandbox(cx),
        "API-PRIVATE" => api_private(cx),
        "API-VNET-INTEGRATION" => api_vnet_integration(cx),
        "API-NO-RUN-COMMAND" => {
            for c in cx.clusters() {
                cx.expect_true(c, "properties.apiServerAccessProfile.disableRunCommand");
            }
        }
        "HOST-NO-PUBLIC-ACCESS" => host_no_public_access(cx),
        "HOST-PATCHING" => host_patching(cx),
        "HOST-DISK-ENCRYPTION" => host_disk_encryption(cx),
        "ADDON-MINIMAL" => addon_minimal(cx),
        "MESH-MTLS" => mesh_mtls(cx),
        "PAAS-LOCKDOWN" => paas_lockdown(cx),
        "LOG-AUDIT" => log_audit(cx),
        "AAD-RBAC" => aad_rbac(cx),
        "SECRETS-VAULT" => secrets_vault(cx),
        "SECRETS-KMS" => secrets_kms(cx),
        "IMG-REGISTRY" => img_registry(cx),
        "POD-SECURITY" => pod_security(cx),
        "NET-POLICY" => net_policy(cx),
        "NET-NSG-EVERY-SUBNET" => net_nsg_every_subnet(cx),
        "EGRESS-FIREWALL" => egress_firewall(cx),
        "EGRESS-FORCED-TUNNEL" => egress_forced_tunnel(cx),
        "GOV-LOCKS-TAGS" => gov_locks_tags(cx),
        _ => cx.na("no evaluation for this control"),
    }
    if cx.f.is_empty() {
        cx.na("nothing in the input that this control judges (no cluster)");
    }
}

fn env_subscriptions(cx: &mut Cx) {
    let clusters = cx.clusters();
    if clusters.is_empty() {
        return;
    }
    let hub = cx.i.resources.iter().position(|r| {
        r.is(FIREWALL)
            || r.is(FIREWALL_POLICY)
            || r.is(GATEWAY)
            || (r.is(VNET)
                && r.get("properties.subnets").array().iter().any(|s| {
                    s.get("name")
                        .and_then(Json::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case("AzureFirewallSubnet"))
                }))
    });
    if hub.is_none() && clusters.len() == 1 {
        cx.na("the input holds one environment's workload and no connectivity resources; its subscription is chosen outside it");
        return;
    }
    for (n, &c) in clusters.iter().enumerate() {
        let sub = cx.r(c).subscription.clone();
        let mut ok = true;
        if let Some(h) = hub {
            let hub_sub = cx.r(h).subscription.clone();
            if sub.same(&hub_sub) {
                ok = false;
                cx.fail(
                    Some(c),
                    "subscriptionId",
                    format!(
                        "deploys into {}, the same as the connectivity resources ({})",
                        sub.describe("subscription"),
                        cx.r(h).label
                    ),
                );
            }
        }
        for &other in &clusters[n + 1..] {
            if sub.same(&cx.r(other).subscription) {
                ok = false;
                cx.fail(
                    Some(c),
                    "subscriptionId",
                    format!(
                        "shares {} with cluster {}",
                        sub.describe("subscription"),
                        cx.r(other).label
                    ),
                );
            }
        }
        if ok {
            let hub_text = hub.map_or(String::new(), |h| {
                format!(
                    "; connectivity in {}",
                    cx.r(h).subscription.describe("subscription")
                )
            });
            cx.pass(
                Some(c),
                "subscriptionId",
                format!("deploys into {}{hub_text}", sub.describe("subscription")),
            );
        }
    }
}

fn env_resource_groups(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.expect(
            c,
            "properties.nodeResourceGroup",
            "an explicit name",
            |v| v.as_str().is_some_and(|s| !s.is_empty()),
            None,
        );
        cx.expect_str(
            c,
            "properties.nodeResourceGroupProfile.restrictionLevel",
            &["ReadOnly"],
        );
        let subnet_id = cx
            .pools(c)
            .first()
            .and_then(|p| cx.r(p.res).get(&format!("{}.vnetSubnetID", p.prefix)).str())
            .map(str::to_string);
        if cx.live() {
            let cluster_rg = cx.r(c).resource_group.clone();
            if let (Some(id), Some(Place::Known(crg))) = (subnet_id, cluster_rg) {
                match id_scope(&id).1 {
                    Some(nrg) if nrg.eq_ignore_ascii_case(&crg) => cx.fail(
                        Some(c),
                        "properties.agentPoolProfiles[0].vnetSubnetId",
                        format!("the cluster and its network share resource group `{crg}`"),
                    ),
                    Some(nrg) => cx.pass(
                        Some(c),
                        "properties.agentPoolProfiles[0].vnetSubnetId",
                        format!("cluster in `{crg}`, network in `{nrg}`"),
                    ),
                    None => {}
                }
            }
            cx.gap("the resource groups of the registry, vault and workspace are not in a live cluster's JSON");
            continue;
        }
        let vnet = subnet_id
            .as_deref()
            .and_then(|id| cx.subnet_by_id(id))
            .map(|s| s.res);
        let mut groups: Vec<(usize, &str)> = vec![(c, "the cluster")];
        if let Some(v) = vnet {
            groups.push((v, "the spoke network"));
        }
        let sub = cx.r(c).subscription.clone();
        for t in [REGISTRY, VAULT, WORKSPACE] {
            for (i, r) in cx.i.of_type(t) {
                if r.subscription.same(&sub) {
                    groups.push((i, "shared services"));
                }
            }
        }
        for (i, r) in cx.i.resources.iter().enumerate() {
            if r.is(FIREWALL) {
                groups.push((i, "the hub network"));
            }
        }
        let mut clash = false;
        for (n, &(a, ka)) in groups.iter().enumerate() {
            for &(b, kb) in &groups[n + 1..] {
                if ka != kb && cx.same_rg(a, b) {
                    clash = true;
                    let text = format!(
                        "{ka} ({}) and {kb} ({}) share {}",
                        cx.r(a).label,
                        cx.r(b).label,
                        cx.rg_name(a)
                    );
                    cx.fail(Some(b), "resourceGroup", text);
                }
            }
        }
        if !clash {
            let mut seen = Vec::new();
            for &(r, kind) in &groups {
                let text = format!("{kind} in {}", cx.rg_name(r));
                if !seen.contains(&text) {
                    seen.push(text);
                }
            }
            cx.pass(Some(c), "resourceGroup", seen.join("; "));
        }
    }
}

fn env_cluster_isolation(cx: &mut Cx) {
    let clusters = cx.clusters();
    let mut vnets: Vec<(usize, BTreeSet<String>)> = Vec::new();
    for &c in &clusters {
        let mut set = BTreeSet::new();
        for p in cx.pools(c) {
            let path = format!("{}.vnetSubnetID", p.prefix);
            match cx.r(p.res).get(&path) {
                Look::Value(v) => {
                    if let Some((_, names)) = v.as_str().and_then(parse_id) {
                        set.insert(names[0].to_ascii_lowercase());
                    }
                }
                Look::Unknown(u) => cx.unknown(
                    Some(p.res),
                    &path,
                    format!("is `{u}`, which the audit cannot evaluate"),
                ),
                Look::Missing => {
                    set.insert(format!("aks-managed:{}", cx.r(c).name));
                }
            }
        }
        vnets.push((c, set));
    }
    for (n, (c, set)) in vnets.iter().enumerate() {
        let mut shared = false;
        for (other, oset) in &vnets[n + 1..] {
            if let Some(v) = set.intersection(oset).next() {
                shared = true;
                cx.fail(
                    Some(*c),
                    "properties.agentPoolProfiles",
                    format!(
                        "shares VNet `{v}` with cluster {}: environments of different trust share a network",
                        cx.r(*other).label
                    ),
                );
            }
        }
        if !shared && !set.is_empty() {
            let list = set.iter().cloned().collect::<Vec<_>>().join(", ");
            let text = if clusters.len() == 1 {
                format!("the only cluster, in VNet {list}")
            } else {
                format!("has VNet {list} to itself")
            };
            cx.pass(Some(*c), "properties.agentPoolProfiles", text);
        }
    }
}

fn id_managed_identity(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.expect_str(c, "identity.type", &["UserAssigned"]);
        match cx.r(c).get("properties.servicePrincipalProfile.clientId") {
            Look::Value(v) if eq(v, "msi") => cx.pass(
                Some(c),
                "properties.servicePrincipalProfile.clientId",
                "is `msi`: managed identity, no secret",
            ),
            Look::Value(v) => cx.fail(
                Some(c),
                "properties.servicePrincipalProfile.clientId",
                format!("is `{}`: a service principal with a secret", show(v)),
            ),
            Look::Unknown(u) => cx.fail(
                Some(c),
                "properties.servicePrincipalProfile",
                format!("is set (client id `{u}`): a service principal with a secret"),
            ),
            Look::Missing => cx.pass(
                Some(c),
                "properties.servicePrincipalProfile",
                "is not set: no service principal",
            ),
        }
        cx.expect_present(
            c,
            "properties.identityProfile.kubeletidentity.resourceId",
            "a user-assigned kubelet identity",
        );
        cx.expect_true(c, "properties.oidcIssuerProfile.enabled");
        cx.expect_true(c, "properties.securityProfile.workloadIdentity.enabled");
    }
}

fn id_least_privilege(cx: &mut Cx) {
    let assignments: Vec<usize> = cx.i.of_type(ROLE_ASSIGNMENT).map(|(i, _)| i).collect();
    if assignments.is_empty() {
        cx.na("no role assignments in the input");
        return;
    }
    for a in assignments {
        let r = cx.r(a);
        let role = match r.get("properties.roleDefinitionId") {
            Look::Value(v) => v.as_str().map(|s| last_segment(s).to_ascii_lowercase()),
            Look::Unknown(u) => {
                cx.unknown(
                    Some(a),
                    "properties.roleDefinitionId",
                    format!("is `{u}`, which the audit cannot evaluate"),
                );
                continue;
            }
            Look::Missing => None,
        };
        let Some(role) = role else {
            cx.fail(Some(a), "properties.roleDefinitionId", "is not set");
            continue;
        };
        let known = ROLES.iter().find(|(id, _, _)| *id == role);
        let role_name =
            known.map_or_else(|| format!("role `{role}`"), |(_, n, _)| (*n).to_string());
        if let Some((_, broad)) = BROAD_ROLES.iter().find(|(id, _)| *id == role) {
            cx.fail(
                Some(a),
                "properties.roleDefinitionId",
                format!("assigns {broad}, which no workload identity needs"),
            );
            continue;
        }
        let scope_target = match &r.scope {
            Some(s) => match parse_id(s) {
                Some((t, names)) => Some((t, names.join("/"))),
                None => {
                    cx.unknown(
                        Some(a),
                        "scope",
                        format!("is `{s}`, which the audit cannot evaluate"),
                    );
                    continue;
                }
            },
            None => None,
        };
        let deterministic = {
            let raw = r.raw_name.to_ascii_lowercase();
            if raw.contains("newguid") {
                Some(false)
            } else if raw.starts_with("[guid(") || is_guid(&r.raw_name) {
                Some(true)
            } else if super::expr::is_expression(&r.raw_name) {
                is_guid(&r.name).then_some(true)
            } else {
                Some(false)
            }
        };
        match scope_target {
            None => {
                let at = match &r.resource_group {
                    Some(_) => cx.rg_name(a),
                    None => "the whole subscription".into(),
                };
                cx.fail(
                    Some(a),
                    "scope",
                    format!("{role_name} is assigned on {at}, not on the resource it needs"),
                );
            }
            Some((t, name)) => {
                let allowed = known.map(|(_, _, types)| *types);
                match allowed {
                    Some(types) if !types.iter().any(|x| x.eq_ignore_ascii_case(&t)) => cx.fail(
                        Some(a),
                        "scope",
                        format!(
                            "{role_name} on {} `{name}`; want it on {}",
                            last_segment(&t),
                            types
                                .iter()
                                .map(|x| last_segment(x))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    ),
                    _ => match deterministic {
                        Some(true) => cx.pass(
                            Some(a),
                            "scope",
                            format!("{role_name} on {} `{name}`, name `guid(...)`", last_segment(&t)),
                        ),
                        Some(false) => cx.fail(
                            Some(a),
                            "name",
                            format!(
                                "{role_name} on {} `{name}` has name `{}`; want a deterministic `guid(scope, principal, role)`",
                                last_segment(&t),
                                show(&Json::String(r.raw_name.clone()))
                            ),
                        ),
                        None => cx.unknown(
                            Some(a),
                            "name",
                            format!(
                                "{role_name} on {} `{name}` is named by `{}`, which the audit cannot evaluate",
                                last_segment(&t),
                                r.raw_name
                            ),
                        ),
                    },
                }
            }
        }
    }
}

fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn taints(cx: &Cx, p: &Pool) -> Vec<String> {
    cx.r(p.res)
        .get(&format!("{}.nodeTaints", p.prefix))
        .array()
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

fn node_system_dedicated(cx: &mut Cx) {
    for c in cx.clusters() {
        let pools = cx.pools(c);
        let mut users = 0;
        for p in &pools {
            if !p.system {
                users += 1;
                continue;
            }
            let path = format!("{}.nodeTaints", p.prefix);
            match cx.r(p.res).get(&path) {
                Look::Unknown(u) => cx.unknown(
                    Some(p.res),
                    &path,
                    format!("is `{u}`, which the audit cannot evaluate"),
                ),
                _ => {
                    let t = taints(cx, p);
                    if t.iter().any(|x| {
                        x.to_ascii_lowercase()
                            .starts_with("criticaladdonsonly=true:no")
                    }) {
                        cx.pass(
                            Some(p.res),
                            &path,
                            format!(
                                "system pool `{}` has `CriticalAddonsOnly=true:NoSchedule`",
                                p.name
                            ),
                        );
                    } else {
                        cx.fail(
                            Some(p.res),
                            &path,
                            format!(
                                "system pool `{}` has no `CriticalAddonsOnly=true:NoSchedule` taint: workloads land on it",
                                p.name
                            ),
                        );
                    }
                }
            }
        }
        if users == 0 && !pools.is_empty() {
            cx.fail(
                Some(c),
                "properties.agentPoolProfiles",
                "no pool has `mode: User`: workloads run on the system pool",
            );
        } else if users > 0 {
            cx.pass(
                Some(c),
                "properties.agentPoolProfiles",
                format!(
                    "{users} user pool{} for workloads",
                    if users == 1 { "" } else { "s" }
                ),
            );
        }
    }
}

fn node_sandbox(cx: &mut Cx) {
    for c in cx.clusters() {
        let pools = cx.pools(c);
        let mut kata = 0;
        for p in &pools {
            let rt_path = format!("{}.workloadRuntime", p.prefix);
            let runtime = cx.r(p.res).get(&rt_path);
            let is_kata = runtime
                .str()
                .is_some_and(|s| s.to_ascii_lowercase().starts_with("kata"));
            let t = taints(cx, p);
            let labels = cx.r(p.res).get(&format!("{}.nodeLabels", p.prefix));
            let marked = t.iter().any(|x| {
                let l = x.to_ascii_lowercase();
                l.contains("sandbox") || l.contains("untrusted")
            }) || labels.value().and_then(Json::as_object).is_some_and(|o| {
                o.iter().any(|(k, v)| {
                    let text =
                        format!("{k}={}", v.as_str().unwrap_or_default()).to_ascii_lowercase();
                    text.contains("sandbox") || text.contains("untrusted")
                })
            });
            if is_kata {
                kata += 1;
                if t.iter()
                    .any(|x| x.to_ascii_lowercase().ends_with(":noschedule"))
                {
                    cx.pass(
                        Some(p.res),
                        &rt_path,
                        format!("pool `{}` runs `KataVmIsolation`, tainted so only workloads that ask land there", p.name),
                    );
                } else {
                    cx.fail(
                        Some(p.res),
                        &format!("{}.nodeTaints", p.prefix),
                        format!("sandbox pool `{}` has no NoSchedule taint: any workload may land on it", p.name),
                    );
                }
            } else if marked {
                cx.fail(
                    Some(p.res),
                    &rt_path,
                    format!(
                        "pool `{}` is marked for untrusted workloads but runs `{}`, not `KataVmIsolation`",
                        p.name,
                        runtime.str().unwrap_or("OCIContainer")
                    ),
                );
            }
        }
        if kata == 0 && cx.tier() == Tier::Regulated {
            cx.fail(
                Some(c),
                "properties.agentPoolProfiles",
                "the regulated tier asks for a sandbox pool; no pool has `workloadRuntime: KataVmIsolation`",
            );
        }
    }
    if !cx.f.iter().any(|f| f.status != Status::NotApplicable) {
        cx.f.clear();
        cx.na(format!(
            "the {} tier asks for no sandbox pool and none is declared",
            tier_name(cx.tier())
        ));
    }
}

/// Lower-case tier name.
pub fn tier_name(t: Tier) -> &'static str {
    match t {
        Tier::Dev => "dev",
        Tier::Staging => "staging",
        Tier::Prod => "prod",
        Tier::Regulated => "regulated",
    }
}

fn api_private(cx: &mut Cx) {
    const ASP: &str = "properties.apiServerAccessProfile";
    for c in cx.clusters() {
        let private = cx.r(c).get(&format!("{ASP}.enablePrivateCluster"));
        match private {
            Look::Unknown(u) => cx.unknown(
                Some(c),
                &format!("{ASP}.enablePrivateCluster"),
                format!("is `{u}`, which the audit cannot evaluate; want `true`"),
            ),
            Look::Value(v) if truthy(v) => {
                cx.pass(Some(c), &format!("{ASP}.enablePrivateCluster"), "is `true`");
                cx.expect(
                    c,
                    &format!("{ASP}.enablePrivateClusterPublicFQDN"),
                    "`false`",
                    falsy,
                    None,
                );
                let zone_path = format!("{ASP}.privateDNSZone");
                match cx.r(c).get(&zone_path) {
                    Look::Missing => cx.pass(Some(c), &zone_path, "is not set (API default `system`)"),
                    Look::Value(v) if eq(v, "system") => cx.pass(Some(c), &zone_path, "is `system`"),
                    Look::Value(v) if eq(v, "none") => cx.fail(
                        Some(c),
                        &zone_path,
                        "is `none`: the private address is published in public DNS; want `system` or a BYO zone",
                    ),
                    Look::Value(v) => byo_zone(cx, c, &zone_path, v.as_str().unwrap_or_default()),
                    Look::Unknown(u) => cx.unknown(
                        Some(c),
                        &zone_path,
                        format!("is `{u}`, which the audit cannot evaluate"),
                    ),
                }
            }
            _ => {
                let what = match private {
                    Look::Missing => "is not set (public API server)",
                    _ => "is `false` (public API server)",
                };
                cx.fail(
                    Some(c),
                    &format!("{ASP}.enablePrivateCluster"),
                    format!("{what}; want `true`"),
                );
                let ranges_path = format!("{ASP}.authorizedIPRanges");
                match cx.r(c).get(&ranges_path) {
                    Look::Unknown(u) => cx.unknown(
                        Some(c),
                        &ranges_path,
                        format!("is `{u}`, which the audit cannot evaluate"),
                    ),
                    l => {
                        let ranges: Vec<&str> = l.array().iter().filter_map(Json::as_str).collect();
                        if ranges.is_empty() || ranges.iter().any(|r| internet(r)) {
                            cx.fail_hard(
                                Some(c),
                                &ranges_path,
                                "is empty or open to everyone: a public API server must be restricted to authorised IP ranges, waiver or not",
                            );
                        } else {
                            cx.pass(
                                Some(c),
                                &ranges_path,
                                format!("restricts the public endpoint to {}", ranges.join(", ")),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn byo_zone(cx: &mut Cx, c: usize, path: &str, zone_id: &str) {
    if cx.live() {
        cx.pass(
            Some(c),
            path,
            format!("is a BYO zone `{}`", last_segment(zone_id)),
        );
        cx.gap("the BYO zone's VNet link and role are not in a live cluster's JSON");
        return;
    }
    let Some(zone) = cx.i.find_id(zone_id) else {
        cx.unknown(
            Some(c),
            path,
            format!(
                "is BYO zone `{}`, which is not in the input",
                last_segment(zone_id)
            ),
        );
        return;
    };
    let zone_name = cx.r(zone).name.to_ascii_lowercase();
    let linked = cx.i.of_type(DNS_LINK).any(|(_, l)| {
        l.name
            .to_ascii_lowercase()
            .starts_with(&format!("{zone_name}/"))
    });
    let role = cx.attached(ROLE_ASSIGNMENT, zone).iter().any(|&a| {
        cx.r(a)
            .get("properties.roleDefinitionId")
            .str()
            .is_some_and(|s| {
                s.to_ascii_lowercase()
                    .ends_with("b12aa53e-6015-4669-85d0-8515ebb3ae7f")
            })
    });
    if linked && role {
        cx.pass(
            Some(c),
            path,
            format!(
                "is BYO zone `{}` with a VNet link and Private DNS Zone Contributor",
                cx.r(zone).name
            ),
        );
    } else {
        cx.fail(
            Some(c),
            path,
            format!(
                "is BYO zone `{}` without {}",
                cx.r(zone).name,
                if linked {
                    "Private DNS Zone Contributor for the control-plane identity"
                } else {
                    "a VNet link"
                }
            ),
        );
    }
}

fn prefix_len(prefix: &str) -> Option<u8> {
    prefix.split_once('/').and_then(|(_, l)| l.parse().ok())
}

fn api_vnet_integration(cx: &mut Cx) {
    const ASP: &str = "properties.apiServerAccessProfile";
    for c in cx.clusters() {
        if cx.expect_true(c, &format!("{ASP}.enableVnetIntegration")) != Some(true) {
            continue;
        }
        let sid_path = format!("{ASP}.subnetId");
        if !cx.expect_present(c, &sid_path, "the id of a delegated /28 subnet") {
            continue;
        }
        if cx.live() {
            cx.gap("the API server subnet's delegation and size are not in a live cluster's JSON");
            continue;
        }
        let Some(id) = cx.r(c).get(&sid_path).str().map(str::to_string) else {
            continue;
        };
        let Some(s) = cx.subnet_by_id(&id) else {
            cx.unknown(
                Some(c),
                &sid_path,
                "names a subnet that is not in the input",
            );
            continue;
        };
        let delegated = cx.subnet_get(&s, "delegations").array().iter().any(|d| {
            super::input::look(d, "properties.serviceName")
                .str()
                .is_some_and(|n| n.eq_ignore_ascii_case(CLUSTER))
        });
        let path = format!("{}.delegations", s.prefix);
        if delegated {
            cx.pass(
                Some(s.res),
                &path,
                format!("subnet `{}` is delegated to `{CLUSTER}`", s.name),
            );
        } else {
            cx.fail(
                Some(s.res),
                &path,
                format!("subnet `{}` is not delegated to `{CLUSTER}`", s.name),
            );
        }
        let pfx_path = format!("{}.addressPrefix", s.prefix);
        match cx.subnet_get(&s, "addressPrefix") {
            Look::Value(v) => match v.as_str().and_then(prefix_len) {
                Some(l) if l <= 28 => cx.pass(Some(s.res), &pfx_path, format!("is `{}`", show(v))),
                _ => cx.fail(
                    Some(s.res),
                    &pfx_path,
                    format!("is `{}`; want at least a /28", show(v)),
                ),
            },
            Look::Unknown(u) => cx.unknown(
                Some(s.res),
                &pfx_path,
                format!("is `{u}`, which the audit cannot evaluate"),
            ),
            Look::Missing => {}
        }
    }
}

/// An NSG's inbound Allow rules from the internet: (resource, path, rule name, ports).
fn internet_allows(cx: &Cx, nsg: usize) -> Vec<(usize, String, String, Vec<String>)> {
    let mut out = Vec::new();
    for (res, prefix, name) in cx.children(nsg, "securityRules", NSG_RULE) {
        let r = cx.r(res);
        let g = |k: &str| r.get(&format!("{prefix}.{k}"));
        let inbound = g("direction")
            .str()
            .is_some_and(|d| d.eq_ignore_ascii_case("Inbound"));
        let allow = g("access")
            .str()
            .is_some_and(|d| d.eq_ignore_ascii_case("Allow"));
        let mut sources: Vec<String> = g("sourceAddressPrefixes")
            .array()
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        if let Some(s) = g("sourceAddressPrefix").str() {
            sources.push(s.to_string());
        }
        if inbound && allow && sources.iter().any(|s| internet(s)) {
            let mut ports: Vec<String> = g("destinationPortRanges")
                .array()
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            if let Some(p) = g("destinationPortRange").str() {
                ports.push(p.to_string());
            }
            out.push((res, prefix, name, ports));
        }
    }
    out
}

fn host_no_public_access(cx: &mut Cx) {
    for c in cx.clusters() {
        match cx.r(c).get("properties.linuxProfile") {
            Look::Missing => cx.pass(
                Some(c),
                "properties.linuxProfile",
                "is not set: no SSH key is passed to the nodes",
            ),
            _ => cx.fail(
                Some(c),
                "properties.linuxProfile",
                "passes an SSH key to the nodes; remove it",
            ),
        }
        let pools = cx.pools(c);
        let mut subnets: Vec<(usize, String, String)> = Vec::new();
        for p in &pools {
            cx.expect(
                p.res,
                &format!("{}.enableNodePublicIP", p.prefix),
                "`false`",
                falsy,
                Some("API default `false`"),
            );
            cx.expect_str(
                p.res,
                &format!("{}.securityProfile.sshAccess", p.prefix),
                &["Disabled"],
            );
            let sp = format!("{}.vnetSubnetID", p.prefix);
            match cx.r(p.res).get(&sp) {
                Look::Value(v) => {
                    if let Some(id) = v.as_str() {
                        if !subnets.iter().any(|(_, _, x)| x.eq_ignore_ascii_case(id)) {
                            subnets.push((p.res, sp.clone(), id.to_string()));
                        }
                    }
                }
                Look::Unknown(u) => cx.unknown(
                    Some(p.res),
                    &sp,
                    format!("is `{u}`, which the audit cannot evaluate"),
                ),
                Look::Missing => {}
            }
        }
        if cx.live() {
            cx.gap("the node subnets' NSGs are not in a live cluster's JSON");
            continue;
        }
        for (res, path, id) in subnets {
            let Some(s) = cx.subnet_by_id(&id) else {
                cx.unknown(
                    Some(res),
                    &path,
                    "names a node subnet that is not in the input",
                );
                continue;
            };
            nsg_denies_internet(cx, &s);
        }
    }
}

fn nsg_denies_internet(cx: &mut Cx, s: &SubnetView) {
    let nsg_path = format!("{}.networkSecurityGroup.id", s.prefix);
    let nsg = match cx.subnet_get(s, "networkSecurityGroup.id") {
        Look::Value(v) => v.as_str().and_then(|id| cx.i.find_id(id)),
        Look::Unknown(u) => {
            cx.unknown(
                Some(s.res),
                &nsg_path,
                format!("is `{u}`, which the audit cannot evaluate"),
            );
            return;
        }
        Look::Missing => {
            cx.fail(
                Some(s.res),
                &nsg_path,
                format!("node subnet `{}` has no NSG", s.name),
            );
            return;
        }
    };
    let Some(nsg) = nsg else {
        cx.unknown(
            Some(s.res),
            &nsg_path,
            "names an NSG that is not in the input",
        );
        return;
    };
    let allows = internet_allows(cx, nsg);
    if allows.is_empty() {
        cx.pass(
            Some(nsg),
            "properties.securityRules",
            format!(
                "node subnet `{}`: NSG allows nothing in from the internet",
                s.name
            ),
        );
    } else {
        for (res, prefix, name, ports) in allows {
            cx.fail(
                Some(res),
                &prefix,
                format!(
                    "rule `{name}` allows inbound from the internet to port {} of node subnet `{}`",
                    ports.join(", "),
                    s.name
                ),
            );
        }
    }
}

fn host_patching(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.expect_str(
            c,
            "properties.autoUpgradeProfile.upgradeChannel",
            &["patch", "stable"],
        );
        cx.expect_str(
            c,
            "properties.autoUpgradeProfile.nodeOSUpgradeChannel",
            &["NodeImage", "SecurityPatch"],
        );
        if cx.live() {
            cx.gap("maintenance windows are not in `az aks show`; see `az aks maintenanceconfiguration list`");
        } else {
            let cluster = cx.r(c).name.to_ascii_lowercase();
            for window in [
                "aksManagedAutoUpgradeSchedule",
                "aksManagedNodeOSUpgradeSchedule",
            ] {
                let want = format!("{cluster}/{}", window.to_ascii_lowercase());
                let found =
                    cx.i.of_type(MAINTENANCE)
                        .find(|(_, r)| r.name.to_ascii_lowercase() == want)
                        .map(|(i, _)| i);
                match found {
                    Some(m)
                        if !matches!(
                            cx.r(m).get("properties.maintenanceWindow"),
                            Look::Missing
                        ) =>
                    {
                        cx.pass(
                            Some(m),
                            "properties.maintenanceWindow",
                            format!("`{window}` is planned"),
                        );
                    }
                    Some(m) => cx.fail(
                        Some(m),
                        "properties.maintenanceWindow",
                        format!("`{window}` has no maintenance window"),
                    ),
                    None => cx.fail(
                        Some(c),
                        "maintenanceConfigurations",
                        format!("no `{window}` maintenance configuration"),
                    ),
                }
            }
        }
        for p in cx.pools(c) {
            let path = format!("{}.osSKU", p.prefix);
            match cx.r(p.res).get(&path) {
                Look::Value(v) => {
                    let s = v.as_str().unwrap_or_default().to_ascii_lowercase();
                    if s.starts_with("azurelinux") || s.starts_with("ubuntu") || s == "cblmariner" {
                        cx.pass(
                            Some(p.res),
                            &path,
                            format!("pool `{}` runs `{}`", p.name, show(v)),
                        );
                    } else {
                        cx.fail(
                            Some(p.res),
                            &path,
                            format!(
                                "pool `{}` runs `{}`; want `AzureLinux` or `Ubuntu`",
                                p.name,
                                show(v)
                            ),
                        );
                    }
                }
                Look::Missing => {
                    let windows = cx
                        .r(p.res)
                        .get(&format!("{}.osType", p.prefix))
                        .str()
                        .is_some_and(|s| s.eq_ignore_ascii_case("Windows"));
                    if windows {
                        cx.fail(
                            Some(p.res),
                            &path,
                            format!("pool `{}` runs Windows", p.name),
                        );
                    } else {
                        cx.pass(
                            Some(p.res),
                            &path,
                            format!("pool `{}`: not set (API default `Ubuntu`)", p.name),
                        );
                    }
                }
                Look::Unknown(u) => cx.unknown(
                    Some(p.res),
                    &path,
                    format!("is `{u}`, which the audit cannot evaluate"),
                ),
            }
        }
        cx.expect_true(c, "properties.securityProfile.imageCleaner.enabled");
    }
}

fn host_disk_encryption(cx: &mut Cx) {
    for c in cx.clusters() {
        for p in cx.pools(c) {
            cx.expect_true(p.res, &format!("{}.enableEncryptionAtHost", p.prefix));
            let path = format!("{}.osDiskType", p.prefix);
            cx.expect(
                p.res,
                &path,
                "`Ephemeral` (where the VM size allows; pick one whose cache or temp disk holds the OS disk)",
                |v| eq(v, "Ephemeral"),
                None,
            );
            if let Look::Value(v) = cx
                .r(p.res)
                .get(&format!("{}.diskEncryptionSetID", p.prefix))
            {
                cx.pass(
                    Some(p.res),
                    &format!("{}.diskEncryptionSetID", p.prefix),
                    format!("customer-managed key through `{}`", last_segment(&show(v))),
                );
            }
        }
    }
}

fn addon_minimal(cx: &mut Cx) {
    const KNOWN: &[&str] = &[
        "azurepolicy",
        "omsagent",
        "azurekeyvaultsecretsprovider",
        "kubedashboard",
        "httpapplicationrouting",
    ];
    for c in cx.clusters() {
        for addon in ["kubeDashboard", "httpApplicationRouting"] {
            let path = format!("properties.addonProfiles.{addon}.enabled");
            if cx.live() {
                cx.expect(
                    c,
                    &path,
                    "`false`",
                    falsy,
                    Some("not returned by the API: off"),
                );
            } else {
                cx.expect(c, &path, "`false`, written out", falsy, None);
            }
        }
        if let Look::Value(Json::Object(addons)) = cx.r(c).get("properties.addonProfiles") {
            let extra: Vec<String> = addons
                .iter()
                .filter(|(k, v)| {
                    !KNOWN.contains(&k.to_ascii_lowercase().as_str())
                        && super::input::look(v, "enabled").bool() != Some(false)
                })
                .map(|(k, _)| k.clone())
                .collect();
            for e in extra {
                cx.fail(
                    Some(c),
                    &format!("properties.addonProfiles.{e}.enabled"),
                    format!("add-on `{e}` is enabled; it is not one the profiles name"),
                );
            }
        }
    }
}

fn mesh_mtls(cx: &mut Cx) {
    for c in cx.clusters() {
        let mode = cx.r(c).get("properties.serviceMeshProfile.mode");
        let wireguard = cx
            .r(c)
            .get("properties.networkProfile.advancedNetworking.security.transitEncryption.type")
            .str()
            .is_some_and(|t| t.eq_ignore_ascii_case("WireGuard"));
        if mode.str().is_some_and(|m| m.eq_ignore_ascii_case("Istio")) {
            let revs: Vec<String> = cx
                .r(c)
                .get("properties.serviceMeshProfile.istio.revisions")
                .array()
                .iter()
                .map(show)
                .collect();
            if revs.is_empty() {
                cx.fail(
                    Some(c),
                    "properties.serviceMeshProfile.istio.revisions",
                    "the Istio add-on has no pinned revision",
                );
            } else {
                cx.pass(
                    Some(c),
                    "properties.serviceMeshProfile",
                    format!("Istio add-on, revision {}", revs.join(", ")),
                );
                cx.gap("strict mTLS is a `PeerAuthentication` inside the cluster, not an Azure property");
            }
        } else if wireguard {
            cx.pass(
                Some(c),
                "properties.networkProfile.advancedNetworking.security.transitEncryption.type",
                "Cilium transparent encryption (WireGuard)",
            );
        } else if let Look::Unknown(u) = mode {
            cx.unknown(
                Some(c),
                "properties.serviceMeshProfile.mode",
                format!("is `{u}`, which the audit cannot evaluate"),
            );
        } else if cx.tier() == Tier::Regulated {
            cx.fail(
                Some(c),
                "properties.serviceMeshProfile",
                "the regulated tier asks for service-to-service encryption; no Istio add-on and no Cilium transparent encryption",
            );
        }
    }
    if cx.f.is_empty() && !cx.clusters().is_empty() {
        cx.na(format!(
            "the {} tier asks for no service mesh and none is declared",
            tier_name(cx.tier())
        ));
    }
}

fn private_endpoints_to(cx: &Cx, target: usize) -> Vec<usize> {
    cx.i.of_type(PRIVATE_ENDPOINT)
        .filter(|(_, pe)| {
            [
                "privateLinkServiceConnections",
                "manualPrivateLinkServiceConnections",
            ]
            .iter()
            .any(|list| {
                pe.get(&format!("properties.{list}"))
                    .array()
                    .iter()
                    .any(|conn| {
                        super::input::look(conn, "properties.privateLinkServiceId")
                            .str()
                            .and_then(|id| cx.i.find_id(id))
                            == Some(target)
                    })
            })
        })
        .map(|(i, _)| i)
        .collect()
}

fn paas_lockdown(cx: &mut Cx) {
    let targets: Vec<usize> =
        cx.i.resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is(VAULT) || r.is(REGISTRY))
            .map(|(i, _)| i)
            .collect();
    if targets.is_empty() {
        cx.na("no Key Vault or container registry in the input");
        return;
    }
    for t in targets {
        let is_vault = cx.r(t).is(VAULT);
        let pes = private_endpoints_to(cx, t);
        let pna = cx.r(t).get("properties.publicNetworkAccess");
        if let Some(&pe) = pes.first() {
            let pe_name = cx.r(pe).name.to_ascii_lowercase();
            let zoned = cx.i.of_type(ZONE_GROUP).any(|(_, z)| {
                z.name
                    .to_ascii_lowercase()
                    .starts_with(&format!("{pe_name}/"))
                    && !z.get("properties.privateDnsZoneConfigs").array().is_empty()
            }) || !cx
                .r(pe)
                .get("properties.privateDnsZoneGroups")
                .array()
                .is_empty();
            if zoned {
                cx.pass(
                    Some(pe),
                    "properties.privateLinkServiceConnections",
                    format!(
                        "private endpoint `{}` with a private DNS zone group",
                        cx.r(pe).label
                    ),
                );
            } else {
                cx.fail(
                    Some(pe),
                    "privateDnsZoneGroups",
                    format!("private endpoint `{}` has no private DNS zone group: the name still resolves publicly", cx.r(pe).label),
                );
            }
            cx.expect_str(t, "properties.publicNetworkAccess", &["Disabled"]);
        } else if pna
            .str()
            .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
        {
            cx.pass(
                Some(t),
                "properties.publicNetworkAccess",
                "is `Disabled` (its private endpoint is not in the input)",
            );
        } else {
            let acl = if is_vault {
                "properties.networkAcls.defaultAction"
            } else {
                "properties.networkRuleSet.defaultAction"
            };
            let deny = cx
                .r(t)
                .get(acl)
                .str()
                .is_some_and(|s| s.eq_ignore_ascii_case("Deny"));
            if deny {
                cx.fail(
                    Some(t),
                    "properties.publicNetworkAccess",
                    "service endpoints and network ACLs (default Deny) instead of a private endpoint: the cheaper option, which a profile records as a waiver",
                );
            } else {
                cx.fail(
                    Some(t),
                    "properties.publicNetworkAccess",
                    format!(
                        "reachable from the internet: no private endpoint, public network access `{}` and no default-deny network rule",
                        pna.value().map_or_else(|| "Enabled".to_string(), show)
                    ),
                );
            }
        }
    }
}

fn enabled_logs(cx: &Cx, diags: &[usize]) -> (BTreeSet<String>, bool) {
    let mut cats = BTreeSet::new();
    let mut unknown = false;
    for &d in diags {
        match cx.r(d).get("properties.logs") {
            Look::Unknown(_) => unknown = true,
            l => {
                for log in l.array() {
                    if super::input::look(log, "enabled").bool() != Some(true) {
                        continue;
                    }
                    if let Some(c) = super::input::look(log, "category").str() {
                        cats.insert(c.to_ascii_lowercase());
                    }
                    if let Some(g) = super::input::look(log, "categoryGroup").str() {
                        cats.insert(format!("group:{}", g.to_ascii_lowercase()));
                    }
                }
            }
        }
    }
    (cats, unknown)
}

fn log_audit(cx: &mut Cx) {
    const CATEGORIES: &[&str] = &[
        "kube-audit-admin",
        "guard",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "cluster-autoscaler",
    ];
    let clusters = cx.clusters();
    if !cx.live() {
        match cx.i.of_type(WORKSPACE).next() {
            Some((w, r)) => {
                let name = r.name.clone();
                cx.pass(Some(w), "", format!("Log Analytics workspace `{name}`"));
            }
            None => cx.fail(None, "", "no Log Analytics workspace in the input"),
        }
    }
    for &c in &clusters {
        cx.expect_true(c, "properties.addonProfiles.omsagent.enabled");
        cx.expect_true(
            c,
            "properties.securityProfile.defender.securityMonitoring.enabled",
        );
        if cx.live() {
            cx.gap("diagnostic settings and the Defender plan are not in a live cluster's JSON");
            continue;
        }
        let diags = cx.attached(DIAGNOSTICS, c);
        let (cats, unknown) = enabled_logs(cx, &diags);
        let all = cats.contains("group:alllogs");
        let missing: Vec<&str> = CATEGORIES
            .iter()
            .filter(|k| {
                let covered = all
                    || cats.contains(**k)
                    || (**k == "kube-audit-admin" && cats.contains("kube-audit"));
                !covered
            })
            .copied()
            .collect();
        let at = diags.first().copied().unwrap_or(c);
        if unknown && !missing.is_empty() {
            cx.unknown(
                Some(at),
                "properties.logs",
                "the diagnostic settings' logs cannot be evaluated",
            );
        } else if diags.is_empty() {
            cx.fail(
                Some(c),
                "diagnosticSettings",
                "the cluster has no diagnostic setting: no audit log",
            );
        } else if missing.is_empty() {
            cx.pass(
                Some(at),
                "properties.logs",
                format!("cluster sends {}", CATEGORIES.join(", ")),
            );
        } else {
            cx.fail(
                Some(at),
                "properties.logs",
                format!("cluster does not send {}", missing.join(", ")),
            );
        }
        match cx.defender_plan(c) {
            Some(p) => cx.pass(Some(p), "properties.pricingTier", "Defender for Containers plan `Standard` on the cluster's subscription"),
            None => cx.fail(
                Some(c),
                "Microsoft.Security/pricings",
                "no Defender for Containers plan (`Microsoft.Security/pricings` `Containers`, `Standard`) on the cluster's subscription",
            ),
        }
    }
    if cx.live() {
        return;
    }
    let watched: Vec<usize> =
        cx.i.resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is(FIREWALL) || r.is(VAULT) || r.is(REGISTRY) || r.is(NSG))
            .map(|(i, _)| i)
            .collect();
    for r in watched {
        let diags = cx.attached(DIAGNOSTICS, r);
        let (cats, unknown) = enabled_logs(cx, &diags);
        let what = format!("{} `{}`", cx.r(r).short_type(), cx.r(r).label);
        if !cats.is_empty() {
            cx.pass(
                Some(diags[0]),
                "properties.logs",
                format!("{what} sends its logs"),
            );
        } else if unknown {
            cx.unknown(
                Some(diags[0]),
                "properties.logs",
                format!("{what}: logs cannot be evaluated"),
            );
        } else {
            cx.fail(
                Some(r),
                "diagnosticSettings",
                format!("{what} sends no logs"),
            );
        }
    }
}

fn aad_rbac(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.expect_true(c, "properties.aadProfile.managed");
        cx.expect_true(c, "properties.aadProfile.enableAzureRBAC");
        cx.expect_present(
            c,
            "properties.aadProfile.adminGroupObjectIDs",
            "the Entra groups that administer the cluster",
        );
        cx.expect_true(c, "properties.enableRBAC");
        cx.expect_true(c, "properties.disableLocalAccounts");
    }
}

fn secrets_vault(cx: &mut Cx) {
    let clusters = cx.clusters();
    for &c in &clusters {
        cx.expect_true(
            c,
            "properties.addonProfiles.azureKeyvaultSecretsProvider.enabled",
        );
        cx.expect(
            c,
            "properties.addonProfiles.azureKeyvaultSecretsProvider.config.enableSecretRotation",
            "`\"true\"`",
            truthy,
            None,
        );
    }
    if cx.live() {
        cx.gap("the Key Vault is not in a live cluster's JSON");
        return;
    }
    let vaults: Vec<usize> = cx.i.of_type(VAULT).map(|(i, _)| i).collect();
    if vaults.is_empty() && !clusters.is_empty() {
        cx.fail(
            None,
            "",
            "no Key Vault in the input: secrets live in Kubernetes Secrets",
        );
    }
    for v in vaults {
        cx.expect_true(v, "properties.enableRbacAuthorization");
        cx.expect(
            v,
            "properties.enableSoftDelete",
            "`true`",
            |x| !falsy(x),
            Some("soft delete is always on for new vaults"),
        );
        cx.expect(
            v,
            "properties.softDeleteRetentionInDays",
            "`90`",
            |x| x.as_i64() == Some(90),
            Some("API default 90 days"),
        );
        cx.expect_true(v, "properties.enablePurgeProtection");
        cx.expect_str(v, "properties.publicNetworkAccess", &["Disabled"]);
        cx.expect_str(v, "properties.networkAcls.defaultAction", &["Deny"]);
    }
}

fn secrets_kms(cx: &mut Cx) {
    const KMS: &str = "properties.securityProfile.azureKeyVaultKms";
    for c in cx.clusters() {
        if cx.expect_true(c, &format!("{KMS}.enabled")) != Some(true) {
            continue;
        }
        cx.expect_present(c, &format!("{KMS}.keyId"), "the id of the KMS key");
        let access = cx.r(c).get(&format!("{KMS}.keyVaultNetworkAccess"));
        let private = access
            .str()
            .is_some_and(|s| s.eq_ignore_ascii_case("Private"));
        if private {
            cx.pass(
                Some(c),
                &format!("{KMS}.keyVaultNetworkAccess"),
                "is `Private`",
            );
            cx.expect_present(c, &format!("{KMS}.keyVaultResourceId"), "the vault's id");
            continue;
        }
        if let Look::Unknown(u) = access {
            cx.unknown(
                Some(c),
                &format!("{KMS}.keyVaultNetworkAccess"),
                format!("is `{u}`, which the audit cannot evaluate"),
            );
            continue;
        }
        if cx.live() {
            cx.gap("whether the KMS vault is private is not in a live cluster's JSON");
            cx.pass(
                Some(c),
                &format!("{KMS}.keyVaultNetworkAccess"),
                "is `Public`",
            );
            continue;
        }
        let vault_private = cx.i.of_type(VAULT).any(|(_, v)| {
            v.get("properties.publicNetworkAccess")
                .str()
                .is_some_and(|s| s.eq_ignore_ascii_case("Disabled"))
        });
        if vault_private {
            cx.fail(
                Some(c),
                &format!("{KMS}.keyVaultNetworkAccess"),
                "is `Public` (or not set) while the vault is private; want `Private`",
            );
        } else {
            cx.pass(
                Some(c),
                &format!("{KMS}.keyVaultNetworkAccess"),
                "is `Public`, and the vault is public too",
            );
        }
    }
}

fn img_registry(cx: &mut Cx) {
    let registries: Vec<usize> = cx.i.of_type(REGISTRY).map(|(i, _)| i).collect();
    if registries.is_empty() {
        cx.na("no container registry in the input");
        return;
    }
    for r in registries {
        cx.expect_str(r, "sku.name", &["Premium"]);
        cx.expect(
            r,
            "properties.adminUserEnabled",
            "`false`",
            falsy,
            Some("API default `false`"),
        );
        cx.expect(
            r,
            "properties.anonymousPullEnabled",
            "`false`",
            falsy,
            Some("API default `false`"),
        );
        cx.expect_str(r, "properties.publicNetworkAccess", &["Disabled"]);
        cx.expect_str(
            r,
            "properties.policies.retentionPolicy.status",
            &["enabled"],
        );
        match cx.r(r).get("location") {
            Look::Value(Json::String(loc))
                if !ZONE_REGIONS.contains(&loc.to_ascii_lowercase().replace(' ', "").as_str()) =>
            {
                cx.pass(
                    Some(r),
                    "properties.zoneRedundancy",
                    format!("region `{loc}` has no availability zones"),
                );
            }
            Look::Value(_) => {
                cx.expect_str(r, "properties.zoneRedundancy", &["Enabled"]);
            }
            _ => {
                cx.unknown(
                    Some(r),
                    "location",
                    "the region cannot be evaluated, so zone redundancy cannot be judged",
                );
            }
        }
        match cx.defender_plan(r) {
            Some(p) => cx.pass(Some(p), "properties.pricingTier", "Defender for Containers scans the registry"),
            None => cx.fail(
                Some(r),
                "Microsoft.Security/pricings",
                "no Defender for Containers plan on the registry's subscription: images are not scanned",
            ),
        }
        let acr_pull = cx.attached(ROLE_ASSIGNMENT, r).into_iter().find(|&a| {
            cx.r(a)
                .get("properties.roleDefinitionId")
                .str()
                .is_some_and(|s| {
                    s.to_ascii_lowercase()
                        .ends_with("7f951dda-4ed3-4680-a7ca-43fe172d538d")
                })
        });
        match acr_pull {
            Some(a) => cx.pass(
                Some(a),
                "properties.roleDefinitionId",
                "AcrPull on the registry for the kubelet identity",
            ),
            None => cx.fail(
                Some(r),
                "roleAssignments",
                "no AcrPull role assignment scoped to the registry",
            ),
        }
    }
}

fn pod_security(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.expect_true(c, "properties.addonProfiles.azurepolicy.enabled");
        if cx.live() {
            cx.gap("policy assignments are not in a live cluster's JSON");
            continue;
        }
        let mut assignments = cx.attached(POLICY_ASSIGNMENT, c);
        for (i, a) in cx.i.of_type(POLICY_ASSIGNMENT) {
            if a.scope.is_none() && cx.same_rg(i, c) {
                assignments.push(i);
            }
        }
        let mut judged = false;
        for a in assignments {
            let def = cx
                .r(a)
                .get("properties.policyDefinitionId")
                .str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let level = if def.ends_with(RESTRICTED_INITIATIVE) {
                "restricted"
            } else if def.ends_with(BASELINE_INITIATIVE) {
                "baseline"
            } else {
                continue;
            };
            judged = true;
            if level == "baseline" {
                cx.fail(
                    Some(a),
                    "properties.policyDefinitionId",
                    "assigns the baseline pod security initiative; want restricted (a profile records baseline as a waiver)",
                );
            } else {
                cx.pass(
                    Some(a),
                    "properties.policyDefinitionId",
                    "assigns the restricted pod security initiative",
                );
            }
            cx.expect(
                a,
                "properties.parameters.effect.value",
                "`Deny`",
                |v| eq(v, "deny"),
                None,
            );
            cx.expect(
                a,
                "properties.enforcementMode",
                "`Default`",
                |v| eq(v, "Default"),
                Some("API default `Default`"),
            );
        }
        if !judged {
            cx.fail(
                Some(c),
                "policyAssignments",
                "no pod security initiative is assigned to the cluster",
            );
        }
    }
}

fn net_policy(cx: &mut Cx) {
    for c in cx.clusters() {
        cx.expect_str(c, "properties.networkProfile.networkPlugin", &["azure"]);
        cx.expect_str(
            c,
            "properties.networkProfile.networkPolicy",
            &["azure", "calico", "cilium"],
        );
    }
}

fn net_nsg_every_subnet(cx: &mut Cx) {
    let subnets = cx.subnets();
    if subnets.is_empty() {
        cx.na("no subnets in the input");
        return;
    }
    let mut nsgs = BTreeSet::new();
    for s in &subnets {
        let exempt = NSG_EXEMPT.iter().any(|x| x.eq_ignore_ascii_case(&s.name));
        if !exempt {
            let path = format!("{}.networkSecurityGroup.id", s.prefix);
            match cx.subnet_get(s, "networkSecurityGroup.id") {
                Look::Value(v) => {
                    cx.pass(
                        Some(s.res),
                        &path,
                        format!("subnet `{}` has NSG `{}`", s.name, last_segment(&show(v))),
                    );
                    if let Some(n) = v.as_str().and_then(|id| cx.i.find_id(id)) {
                        nsgs.insert(n);
                    }
                }
                Look::Unknown(u) => cx.unknown(
                    Some(s.res),
                    &path,
                    format!("is `{u}`, which the audit cannot evaluate"),
                ),
                Look::Missing => cx.fail(
                    Some(s.res),
                    &path,
                    format!("subnet `{}` has no NSG", s.name),
                ),
            }
        }
        let path = format!("{}.defaultOutboundAccess", s.prefix);
        match cx.subnet_get(s, "defaultOutboundAccess") {
            Look::Value(v) if falsy(v) => cx.pass(Some(s.res), &path, format!("subnet `{}`: `false`", s.name)),
            Look::Value(v) => cx.fail(Some(s.res), &path, format!("subnet `{}`: `{}`; want `false`", s.name, show(v))),
            Look::Unknown(u) => cx.unknown(Some(s.res), &path, format!("is `{u}`, which the audit cannot evaluate")),
            Look::Missing => cx.fail(
                Some(s.res),
                &path,
                format!("subnet `{}`: not set; want `false` (default outbound access gives a hidden public egress IP)", s.name),
            ),
        }
    }
    for (n, _) in cx.i.of_type(NSG) {
        nsgs.insert(n);
    }
    for nsg in nsgs {
        for (res, prefix, name, ports) in internet_allows(cx, nsg) {
            let risky = ports.is_empty()
                || ports
                    .iter()
                    .any(|p| covers_port(p, 22) || covers_port(p, 3389));
            if risky {
                cx.fail(
                    Some(res),
                    &prefix,
                    format!(
                        "NSG `{}` rule `{name}` allows {} in from the internet",
                        cx.r(nsg).name,
                        if ports.iter().any(|p| p.trim() == "*") || ports.is_empty() {
                            "everything".to_string()
                        } else {
                            format!("port {}", ports.join(", "))
                        }
                    ),
                );
            }
        }
    }
}

fn firewall_ips(cx: &Cx) -> Vec<String> {
    let mut ips = Vec::new();
    for (_, fw) in cx.i.of_type(FIREWALL) {
        for cfg in fw.get("properties.ipConfigurations").array() {
            if let Some(ip) = super::input::look(cfg, "properties.privateIPAddress").str() {
                ips.push(ip.to_string());
            }
        }
    }
    for s in cx.subnets() {
        if s.name.eq_ignore_ascii_case("AzureFirewallSubnet") {
            if let Some(prefix) = cx.subnet_get(&s, "addressPrefix").str() {
                if let Some((net, _)) = prefix.split_once('/') {
                    if let Ok(a) = net.parse::<Ipv4Addr>() {
                        ips.push(Ipv4Addr::from(u32::from(a).wrapping_add(4)).to_string());
                    }
                }
            }
        }
    }
    ips
}

/// The `0.0.0.0/0` route of the route table attached to a subnet: (resource, path, next hop type, next hop IP).
fn default_route(
    cx: &Cx,
    s: &SubnetView,
) -> Result<Option<(usize, String, String, Look<'static>)>, String> {
    let rt = match cx.subnet_get(s, "routeTable.id") {
        Look::Value(v) => match v.as_str().and_then(|id| cx.i.find_id(id)) {
            Some(rt) => rt,
            None => return Err("names a route table that is not in the input".into()),
        },
        Look::Unknown(u) => return Err(format!("is `{u}`, which the audit cannot evaluate")),
        Look::Missing => return Ok(None),
    };
    for (res, prefix, _) in cx.children(rt, "routes", ROUTE) {
        let r = &cx.i.resources[res];
        if r.get(&format!("{prefix}.addressPrefix")).str() == Some("0.0.0.0/0") {
            let hop = r
                .get(&format!("{prefix}.nextHopType"))
                .str()
                .unwrap_or_default()
                .to_string();
            return Ok(Some((res, prefix, hop, Look::Missing)));
        }
    }
    Ok(Some((
        rt,
        "properties.routes".into(),
        String::new(),
        Look::Missing,
    )))
}

fn egress_firewall(cx: &mut Cx) {
    let clusters = cx.clusters();
    for &c in &clusters {
        cx.expect_str(
            c,
            "properties.networkProfile.outboundType",
            &["userDefinedRouting"],
        );
    }
    if cx.live() {
        cx.gap("route tables and the firewall are not in a live cluster's JSON");
        return;
    }
    let firewalls: Vec<usize> = cx.i.of_type(FIREWALL).map(|(i, _)| i).collect();
    if firewalls.is_empty() {
        if !clusters.is_empty() {
            cx.fail(
                None,
                "",
                "no Azure Firewall in the input: nothing filters egress",
            );
        }
        return;
    }
    let ips = firewall_ips(cx);
    for &c in &clusters {
        let mut ids: Vec<(usize, String, String)> = Vec::new();
        for p in cx.pools(c) {
            let path = format!("{}.vnetSubnetID", p.prefix);
            if let Some(id) = cx.r(p.res).get(&path).str() {
                ids.push((p.res, path, id.to_string()));
            }
        }
        if let Some(id) = cx
            .r(c)
            .get("properties.apiServerAccessProfile.subnetId")
            .str()
        {
            ids.push((
                c,
                "properties.apiServerAccessProfile.subnetId".into(),
                id.to_string(),
            ));
        }
        let mut seen = BTreeSet::new();
        for (res, path, id) in ids {
            if !seen.insert(id.to_ascii_lowercase()) {
                continue;
            }
            let Some(s) = cx.subnet_by_id(&id) else {
                cx.unknown(Some(res), &path, "names a subnet that is not in the input");
                continue;
            };
            match default_route(cx, &s) {
                Err(e) => cx.unknown(Some(s.res), &format!("{}.routeTable.id", s.prefix), e),
                Ok(None) => cx.fail(
                    Some(s.res),
                    &format!("{}.routeTable", s.prefix),
                    format!(
                        "cluster subnet `{}` has no route table: egress bypasses the firewall",
                        s.name
                    ),
                ),
                Ok(Some((r, prefix, hop, _))) => {
                    let ip_path = format!("{prefix}.nextHopIpAddress");
                    match cx.r(r).get(&ip_path) {
                        Look::Value(ip)
                            if hop.eq_ignore_ascii_case("VirtualAppliance")
                                && ip.as_str().is_some_and(|ip| ips.iter().any(|x| x == ip)) =>
                        {
                            cx.pass(
                                Some(r),
                                &ip_path,
                                format!(
                                    "subnet `{}`: `0.0.0.0/0` → firewall `{}`",
                                    s.name,
                                    show(ip)
                                ),
                            );
                        }
                        Look::Unknown(u) => cx.unknown(
                            Some(r),
                            &ip_path,
                            format!("is `{u}`, which the audit cannot evaluate"),
                        ),
                        other => cx.fail(
                            Some(r),
                            &format!("{prefix}.nextHopType"),
                            format!(
                                "subnet `{}`: `0.0.0.0/0` goes to {} {}, not to the firewall ({})",
                                s.name,
                                if hop.is_empty() {
                                    "no route:"
                                } else {
                                    hop.as_str()
                                },
                                other.value().map(show).unwrap_or_default(),
                                if ips.is_empty() {
                                    "address unknown".to_string()
                                } else {
                                    ips.join(", ")
                                }
                            ),
                        ),
                    }
                }
            }
        }
    }
    for fw in firewalls {
        let policy = match cx.r(fw).get("properties.firewallPolicy.id") {
            Look::Value(v) => v.as_str().and_then(|id| cx.i.find_id(id)),
            Look::Unknown(u) => {
                cx.unknown(
                    Some(fw),
                    "properties.firewallPolicy.id",
                    format!("is `{u}`, which the audit cannot evaluate"),
                );
                continue;
            }
            Look::Missing => {
                cx.fail(
                    Some(fw),
                    "properties.firewallPolicy",
                    "the firewall has no firewall policy",
                );
                continue;
            }
        };
        let Some(pol) = policy else {
            cx.unknown(
                Some(fw),
                "properties.firewallPolicy.id",
                "names a firewall policy that is not in the input",
            );
            continue;
        };
        cx.expect_str(pol, "properties.threatIntelMode", &["Deny"]);
        let premium = cx
            .r(pol)
            .get("properties.sku.tier")
            .str()
            .is_some_and(|t| t.eq_ignore_ascii_case("Premium"));
        if premium {
            cx.expect_str(pol, "properties.intrusionDetection.mode", &["Deny"]);
        }
        cx.expect_true(pol, "properties.dnsSettings.enableProxy");
        let pname = cx.r(pol).name.to_ascii_lowercase();
        let mut fqdn_tag = None;
        let mut ntp = None;
        let groups: Vec<usize> =
            cx.i.of_type(RULE_GROUP)
                .filter(|(_, g)| {
                    g.name
                        .to_ascii_lowercase()
                        .starts_with(&format!("{pname}/"))
                })
                .map(|(i, _)| i)
                .collect();
        for g in groups {
            for (n, coll) in cx
                .r(g)
                .get("properties.ruleCollections")
                .array()
                .iter()
                .enumerate()
            {
                let allow = super::input::look(coll, "action.type")
                    .str()
                    .is_none_or(|a| a.eq_ignore_ascii_case("Allow"));
                for (m, rule) in super::input::look(coll, "rules").array().iter().enumerate() {
                    let path = format!("properties.ruleCollections[{n}].rules[{m}]");
                    let list = |k: &str| -> Vec<String> {
                        super::input::look(rule, k)
                            .array()
                            .iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    };
                    if list("fqdnTags")
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case("AzureKubernetesService"))
                    {
                        fqdn_tag.get_or_insert((g, path.clone()));
                    }
                    if list("destinationPorts").iter().any(|p| p == "123")
                        && list("ipProtocols")
                            .iter()
                            .any(|p| p.eq_ignore_ascii_case("UDP"))
                    {
                        ntp.get_or_insert((g, path.clone()));
                    }
                    let wild = ["destinationAddresses", "targetFqdns", "destinationFqdns"]
                        .iter()
                        .any(|k| list(k).iter().any(|d| d == "*" || d == "0.0.0.0/0"));
                    if allow && wild {
                        let name = super::input::look(rule, "name")
                            .str()
                            .unwrap_or("?")
                            .to_string();
                        cx.fail(
                            Some(g),
                            &path,
                            format!("rule `{name}` allows egress to anywhere"),
                        );
                    }
                }
            }
        }
        match fqdn_tag {
            Some((g, p)) => cx.pass(
                Some(g),
                &p,
                "application rule with FQDN tag `AzureKubernetesService`",
            ),
            None => cx.fail(
                Some(pol),
                "ruleCollectionGroups",
                "no application rule with FQDN tag `AzureKubernetesService`",
            ),
        }
        match ntp {
            Some((g, p)) => cx.pass(Some(g), &p, "NTP (UDP 123) rule"),
            None => cx.fail(Some(pol), "ruleCollectionGroups", "no NTP (UDP 123) rule"),
        }
    }
}

fn egress_forced_tunnel(cx: &mut Cx) {
    let firewalls: Vec<usize> = cx.i.of_type(FIREWALL).map(|(i, _)| i).collect();
    for fw in firewalls {
        let fw_subnet = cx
            .r(fw)
            .get("properties.ipConfigurations")
            .array()
            .iter()
            .find_map(|cfg| {
                super::input::look(cfg, "properties.subnet.id")
                    .str()
                    .map(str::to_string)
            });
        let Some(fw_subnet) = fw_subnet.and_then(|id| cx.subnet_by_id(&id)) else {
            continue;
        };
        let route = default_route(cx, &fw_subnet);
        let upstream = matches!(&route, Ok(Some((_, _, hop, _))) if !hop.is_empty() && !hop.eq_ignore_ascii_case("Internet"));
        let mgmt = !matches!(
            cx.r(fw).get("properties.managementIpConfiguration"),
            Look::Missing
        );
        if !upstream && !mgmt {
            continue;
        }
        if mgmt {
            cx.pass(
                Some(fw),
                "properties.managementIpConfiguration",
                "the firewall has a management IP configuration",
            );
        } else {
            cx.fail(
                Some(fw),
                "properties.managementIpConfiguration",
                "`AzureFirewallSubnet` routes upstream but the firewall has no management IP configuration: it cannot be managed",
            );
        }
        let has_mgmt_subnet = cx.subnets().iter().any(|s| {
            s.vnet.eq_ignore_ascii_case(&fw_subnet.vnet)
                && s.name.eq_ignore_ascii_case("AzureFirewallManagementSubnet")
        });
        if has_mgmt_subnet {
            cx.pass(
                Some(fw_subnet.res),
                "properties.subnets",
                "`AzureFirewallManagementSubnet` exists",
            );
        } else {
            cx.fail(
                Some(fw_subnet.res),
                "properties.subnets",
                "no `AzureFirewallManagementSubnet` in the hub VNet",
            );
        }
        match route {
            Ok(Some((r, prefix, hop, _))) if upstream => {
                let ip = cx.r(r).get(&format!("{prefix}.nextHopIpAddress")).value().map(show).unwrap_or_default();
                cx.pass(Some(r), &prefix, format!("`AzureFirewallSubnet`: `0.0.0.0/0` → {hop} {ip}"));
            }
            Err(e) => cx.unknown(Some(fw_subnet.res), &format!("{}.routeTable.id", fw_subnet.prefix), e),
            _ => cx.fail(
                Some(fw_subnet.res),
                &format!("{}.routeTable", fw_subnet.prefix),
                "the firewall is in forced-tunnelling mode but `AzureFirewallSubnet` has no route sending `0.0.0.0/0` upstream",
            ),
        }
    }
    if cx.f.is_empty() {
        cx.na("no upstream next hop is named; the firewall egresses to the internet directly");
    }
}

fn gov_locks_tags(cx: &mut Cx) {
    let tier = cx.tier();
    if matches!(tier, Tier::Prod | Tier::Regulated) {
        if cx.live() {
            cx.gap("resource group locks are not in a live cluster's JSON");
        } else {
            let mut groups: Vec<(Place, Place, usize)> = Vec::new();
            for (i, r) in cx.i.resources.iter().enumerate() {
                if let Some(rg) = &r.resource_group {
                    if !groups
                        .iter()
                        .any(|(s, g, _)| s.same(&r.subscription) && g.same(rg))
                    {
                        groups.push((r.subscription.clone(), rg.clone(), i));
                    }
                }
            }
            for (sub, rg, first) in groups {
                let lock = cx.i.of_type(LOCK).find(|(_, l)| {
                    l.scope.is_none()
                        && l.subscription.same(&sub)
                        && l.resource_group.as_ref().is_some_and(|g| g.same(&rg))
                        && l.get("properties.level").str().is_some_and(|v| {
                            v.eq_ignore_ascii_case("CanNotDelete")
                                || v.eq_ignore_ascii_case("ReadOnly")
                        })
                });
                let name = cx.rg_name(first);
                match lock {
                    Some((l, _)) => {
                        cx.pass(Some(l), "properties.level", format!("{name} is locked"));
                    }
                    None => cx.fail(
                        Some(first),
                        "Microsoft.Authorization/locks",
                        format!("{name} has no `CanNotDelete` lock"),
                    ),
                }
            }
        }
    }
    let want = cx.i.tags.clone();
    let mut tagged = 0usize;
    for (i, r) in cx.i.resources.iter().enumerate() {
        let segs = r.rtype.split('/').count();
        let ns = r
            .rtype
            .split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let taggable = segs == 2
            && !matches!(
                ns.as_str(),
                "microsoft.authorization" | "microsoft.security" | "microsoft.insights"
            )
            && !r.is("Microsoft.Resources/deployments");
        if !taggable {
            continue;
        }
        match r.get("tags") {
            Look::Value(Json::Object(tags)) if !tags.is_empty() => {
                let missing: Vec<String> = want
                    .iter()
                    .flatten()
                    .filter(|(k, v)| tags.get(*k).and_then(Json::as_str) != Some(v.as_str()))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                if missing.is_empty() {
                    tagged += 1;
                } else {
                    cx.fail(
                        Some(i),
                        "tags",
                        format!("lacks the estate's tags {}", missing.join(", ")),
                    );
                }
            }
            Look::Unknown(u) => cx.unknown(
                Some(i),
                "tags",
                format!("is `{u}`, which the audit cannot evaluate"),
            ),
            _ => cx.fail(Some(i), "tags", "carries no tags"),
        }
    }
    if tagged > 0 {
        cx.pass(
            None,
            "tags",
            format!(
                "{tagged} resource{} carry {}",
                if tagged == 1 { "" } else { "s" },
                if want.as_ref().is_some_and(|w| !w.is_empty()) {
                    "the estate's tags"
                } else {
                    "tags"
                }
            ),
        );
    }
    if !matches!(tier, Tier::Prod | Tier::Regulated) && !cx.live() {
        cx.pass(
            None,
            "",
            format!("the {} tier asks for no locks", tier_name(tier)),
        );
    }
}
