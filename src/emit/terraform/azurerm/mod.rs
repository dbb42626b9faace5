//! The azurerm flavour: every IR resource translated into idiomatic `hashicorp/azurerm`
//! resources, one file per IR deployment (`terraform/<deployment>.tf.json`).
//!
//! The translation reads the IR resource by resource, never the model. It reads each property
//! through a node (`N`) that records the paths it read, and every IR property path is either
//! read or listed in [`NOT_EXPRESSIBLE`] with the reason and what handles it instead;
//! [`untranslated`] lists the rest, and `render` refuses to render while anything is left.
//!
//! Deployments are not resources in Terraform: a deployment into another subscription becomes the
//! provider alias of that subscription (`provider = azurerm.<spoke>`), and references between
//! resources (`${azurerm_subnet.x.id}`) give Terraform its order. Child resources that azurerm
//! folds into their parent are folded: subnets are separate `azurerm_subnet`s with their NSG and
//! route table associations, maintenance configurations become the cluster's
//! `maintenance_window_*` blocks, DNS zone groups become the private endpoint's
//! `private_dns_zone_group`, and the first System pool becomes `default_node_pool`.
//!
//! Where azurerm 4.x cannot express a setting, `azapi_update_resource` (azapi 2.x) sets just that
//! piece on the resource azurerm created:
//!
//! - `Microsoft.ContainerService/managedClusters`: `nodeResourceGroupProfile.restrictionLevel`
//!   (the read-only node resource group); azurerm has no argument for it.
//! - `Microsoft.OperationalInsights/workspaces`: `replication` (the copy in the paired region).
//! - `Microsoft.ContainerService/managedClusters/agentPools`, one per pool:
//!   `securityProfile.sshAccess` (no SSH to nodes); neither `default_node_pool` nor
//!   `azurerm_kubernetes_cluster_node_pool` has it. On the default pool it also carries taints
//!   other than `CriticalAddonsOnly`, which `default_node_pool` cannot take.
//!
//! AKS managed namespaces, Fleet Manager's auto-upgrade profiles and the monitoring kinds (Azure
//! Monitor workspace, data collection endpoints, rules and associations, Prometheus rule groups,
//! action groups, activity log and log alerts) are `azapi_resource`s that carry the ARM body;
//! `carried` says why.
//!
//! Translations that are not one-to-one:
//!
//! - `Microsoft.KeyVault/vaults/keys`: azurerm's `rotation_policy` gives rotated versions their
//!   expiry, and the first version gets the same lifetime through `expiration_date` (creation
//!   time plus `expiryTime`, then ignored, so plans stay quiet).
//! - `Microsoft.ContainerRegistry/registries`: IP rules are CIDRs in azurerm (`/32` for a single
//!   address).
//! - Subnet delegations name the action Azure records for the delegated service, so that plans
//!   show no drift.
//! - A managed cluster waits (`depends_on`) for what the ARM deployments it depends on would have
//!   finished and no reference carries: its identities' roles, the private endpoints (the KMS
//!   vault), the peering to the hub and the subnets' route table and NSG associations (AKS checks
//!   the egress route when it creates the cluster). Other IR `dependsOn` edges become
//!   `depends_on` only where no reference already orders the two.
//! - `azapi_update_resource`s of one cluster run one after the other, after its node pools: AKS
//!   refuses an operation while another one runs on the same cluster.
//!
//! What the Terraform runner needs that ARM does not: `azurerm_key_vault_key` creates the KMS key
//! through the vault's data plane, so the runner must reach the vault (private endpoint in the
//! private profiles) and hold a data-plane role on it (Key Vault Crypto Officer).
//!
//! The code: this module holds the driver (`render`, [`untranslated`]), the translation state
//! and [`NOT_EXPRESSIBLE`], and `reader` the recording reader. One table, `KINDS`, maps each ARM
//! type to its azurerm resource type and its translator, which lives in the module of its family
//! (`network`, `firewall`, `gateway`, `dns`, `identity`, `security`, `governance`, `cluster`,
//! `gitops`, `fleet`). A kind that only copies properties is a table of attributes (`Flat`);
//! references between resources are resolved in `refs`, the `depends_on` the references do not
//! carry are added in `order`.

mod carried;
mod cluster;
mod coverage;
mod dns;
mod firewall;
mod fleet;
mod gaps;
mod gateway;
mod gitops;
mod governance;
mod identity;
mod network;
mod order;
mod parts;
mod reader;
mod refs;
mod security;

use super::{BODY_DEPTH, Field, Module, Providers, interp, label, literal};
use crate::azure::types;
use crate::emit::{EmitError, Files, Untranslated, json};
use crate::ir::{Deployment, Template, Value};
use coverage::scalar;
use coverage::uncovered;
pub use gaps::{Gap, NOT_EXPRESSIBLE};
use indexmap::IndexMap;
use parts::{parts, threads_for};
use reader::{Item, N, Paths, Seen};
use refs::{Addr, item_label, keys, label_of, primary, subnet_label};
use serde_json::{Map, Value as Json, json};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// Render the azurerm flavour.
pub(crate) fn render(t: &Template, threads: Option<usize>) -> Result<Files, EmitError> {
    let bound = threads.unwrap_or(usize::MAX);
    let out = translate_in(t, &|items| threads_for(items).min(bound));
    if !out.untranslated.is_empty() {
        return Err(EmitError::Untranslated {
            format: "Terraform (azurerm)",
            left: out.untranslated,
        });
    }
    Ok(out.module.into_files(t, &out.providers))
}

/// Every IR property (and resource type) the azurerm translation neither translates nor lists in
/// [`NOT_EXPRESSIBLE`], and every reference it could not resolve. Empty when the translation is
/// complete.
pub fn untranslated(t: &Template) -> Vec<Untranslated> {
    translate(t).untranslated
}

struct Out {
    module: Module,
    providers: Providers,
    untranslated: Vec<Untranslated>,
}

// ---------------------------------------------------------------------------------------------
// The kinds

/// A translator: reads one IR resource through the recording reader and adds its blocks.
type Translator = fn(&mut Tx<'_, '_>, &Item<'_>);

/// How one ARM type becomes azurerm.
enum How {
    /// A translator function.
    Fn(Translator),
    /// `provider`, `name`, `resource_group_name`, these attributes read from the body, `tags`.
    Flat(&'static [Flat]),
    /// Folded into the block of its host (this ARM type, in the same deployment, with the same
    /// first name), whose translator reads it.
    Into(&'static str),
}

/// One ARM type aks-harden translates to azurerm.
struct Kind {
    /// The ARM resource type.
    arm: &'static str,
    /// The azurerm resource type; empty for a kind folded into its host.
    tf: &'static str,
    /// The translation.
    how: How,
    /// The attribute of `tf` that holds the ARM resource id.
    id_attr: &'static str,
    /// What a `reference()` reads, as (ARM path from the resource's root, azurerm attribute).
    reads: &'static [(&'static str, &'static str)],
    /// An output per resource: (attribute, label suffix, what it is).
    output: Option<(&'static str, &'static str, &'static str)>,
}

impl Kind {
    const fn new(arm: &'static str, tf: &'static str, how: How) -> Kind {
        Kind {
            arm,
            tf,
            how,
            id_attr: "id",
            reads: &[],
            output: None,
        }
    }

    const fn folded(arm: &'static str, host: &'static str) -> Kind {
        Kind::new(arm, "", How::Into(host))
    }

    const fn reads(self, reads: &'static [(&'static str, &'static str)]) -> Kind {
        Kind { reads, ..self }
    }

    const fn output(self, attr: &'static str, suffix: &'static str, what: &'static str) -> Kind {
        Kind {
            output: Some((attr, suffix, what)),
            ..self
        }
    }
}

/// Every ARM type the azurerm flavour translates. A new kind is one entry here and, unless it
/// only copies properties (`How::Flat`), one translator in the module of its family.
const KINDS: &[Kind] = &[
    // governance
    Kind::new(
        types::RG,
        "azurerm_resource_group",
        How::Fn(governance::resource_group),
    ),
    Kind::new(
        types::LAW,
        "azurerm_log_analytics_workspace",
        How::Fn(governance::workspace),
    ),
    Kind::new(
        types::DIAG,
        "azurerm_monitor_diagnostic_setting",
        How::Fn(governance::diagnostics),
    ),
    Kind::new(
        types::LOCK,
        "azurerm_management_lock",
        How::Fn(governance::lock),
    ),
    Kind::new(
        types::POLICY,
        "azurerm_resource_policy_assignment",
        How::Fn(governance::policy_assignment),
    ),
    // identity
    Kind::new(
        types::UAI,
        "azurerm_user_assigned_identity",
        How::Flat(identity::IDENTITY),
    )
    .reads(&[
        ("properties.principalId", "principal_id"),
        ("properties.clientId", "client_id"),
    ]),
    Kind::new(
        types::FIC,
        "azurerm_federated_identity_credential",
        How::Fn(identity::federation),
    ),
    Kind::new(
        types::ROLE,
        "azurerm_role_assignment",
        How::Fn(identity::role_assignment),
    ),
    // network
    Kind::new(
        types::VNET,
        "azurerm_virtual_network",
        How::Fn(network::vnet),
    ),
    Kind::new(
        types::PEERING,
        "azurerm_virtual_network_peering",
        How::Fn(network::peering),
    ),
    Kind::new(
        types::NSG,
        "azurerm_network_security_group",
        How::Fn(network::nsg),
    ),
    Kind::new(
        types::RT,
        "azurerm_route_table",
        How::Fn(network::route_table),
    ),
    Kind::new(
        types::PIP,
        "azurerm_public_ip",
        How::Flat(network::PUBLIC_IP),
    )
    .reads(&[("properties.ipAddress", "ip_address")]),
    // firewall
    Kind::new(types::FW, "azurerm_firewall", How::Fn(firewall::firewall)).output(
        "ip_configuration[0].private_ip_address",
        "private_ip",
        "private IP address of firewall",
    ),
    Kind::new(
        types::FWP,
        "azurerm_firewall_policy",
        How::Fn(firewall::policy),
    ),
    Kind::new(
        types::RCG,
        "azurerm_firewall_policy_rule_collection_group",
        How::Fn(firewall::rule_collection_group),
    ),
    // gateways
    Kind::new(
        types::BASTION,
        "azurerm_bastion_host",
        How::Fn(gateway::bastion),
    ),
    Kind::new(
        types::WAF_POLICY,
        "azurerm_web_application_firewall_policy",
        How::Fn(gateway::waf_policy),
    ),
    Kind::new(
        types::AGW,
        "azurerm_application_gateway",
        How::Fn(gateway::application_gateway),
    ),
    // dns
    Kind::new(types::DNS_ZONE, "azurerm_private_dns_zone", How::Flat(&[])),
    Kind::new(
        types::DNS_LINK,
        "azurerm_private_dns_zone_virtual_network_link",
        How::Fn(dns::link),
    ),
    Kind::new(
        types::PE,
        "azurerm_private_endpoint",
        How::Fn(dns::private_endpoint),
    ),
    Kind::folded(types::PE_DNS, types::PE),
    // security
    Kind::new(types::KV, "azurerm_key_vault", How::Fn(security::key_vault))
        .reads(&[("properties.vaultUri", "vault_uri")])
        .output("vault_uri", "uri", "URI of key vault"),
    Kind {
        id_attr: "resource_versionless_id",
        ..Kind::new(
            types::KV_KEY,
            "azurerm_key_vault_key",
            How::Fn(security::key),
        )
        .reads(&[
            ("properties.keyUriWithVersion", "id"),
            ("properties.keyUri", "versionless_id"),
        ])
    },
    Kind::new(
        types::DES,
        "azurerm_disk_encryption_set",
        How::Fn(security::disk_encryption_set),
    )
    .reads(&[("identity.principalId", "identity[0].principal_id")]),
    Kind::new(
        types::ACR,
        "azurerm_container_registry",
        How::Fn(security::registry),
    )
    .output("login_server", "login_server", "login server of registry"),
    Kind::new(
        types::PRICING,
        "azurerm_security_center_subscription_pricing",
        How::Fn(security::pricing),
    ),
    // cluster
    Kind::new(
        types::AKS,
        "azurerm_kubernetes_cluster",
        How::Fn(cluster::cluster),
    )
    .reads(&[
        ("properties.oidcIssuerProfile.issuerURL", "oidc_issuer_url"),
        (
            "properties.addonProfiles.azureKeyvaultSecretsProvider.identity.objectId",
            "key_vault_secrets_provider[0].secret_identity[0].object_id",
        ),
        (
            "properties.addonProfiles.azureKeyvaultSecretsProvider.identity.clientId",
            "key_vault_secrets_provider[0].secret_identity[0].client_id",
        ),
        (
            "properties.identityProfile.kubeletidentity.objectId",
            "kubelet_identity[0].object_id",
        ),
    ])
    .output("id", "id", "resource id of cluster"),
    Kind::folded(types::AKS_MAINT, types::AKS),
    // gitops
    Kind::new(
        types::K8S_EXTENSION,
        "azurerm_kubernetes_cluster_extension",
        How::Fn(gitops::extension),
    ),
    Kind::new(
        types::FLUX_CONFIG,
        "azurerm_kubernetes_flux_configuration",
        How::Fn(gitops::flux_configuration),
    ),
    // fleet
    Kind::new(
        types::FLEET,
        "azurerm_kubernetes_fleet_manager",
        How::Flat(&[("location", "location", As::Value)]),
    ),
    Kind::new(
        types::FLEET_MEMBER,
        "azurerm_kubernetes_fleet_member",
        How::Fn(fleet::member),
    ),
    Kind::new(
        types::FLEET_STRATEGY,
        "azurerm_kubernetes_fleet_update_strategy",
        How::Fn(fleet::strategy),
    ),
    // carried as azapi_resource
    Kind::new(
        types::FLEET_AUTO_UPGRADE,
        "azapi_resource",
        How::Fn(carried::resource),
    ),
    Kind::new(
        types::AKS_NAMESPACE,
        "azapi_resource",
        How::Fn(carried::resource),
    ),
    Kind::new(
        types::MONITOR_ACCOUNT,
        "azapi_resource",
        How::Fn(carried::resource),
    ),
    Kind::new(types::DCE, "azapi_resource", How::Fn(carried::resource)),
    Kind::new(types::DCR, "azapi_resource", How::Fn(carried::resource)),
    Kind::new(types::DCRA, "azapi_resource", How::Fn(carried::resource)),
    Kind::new(
        types::PROM_RULES,
        "azapi_resource",
        How::Fn(carried::resource),
    ),
    Kind::new(
        types::ACTION_GROUP,
        "azapi_resource",
        How::Fn(carried::resource),
    ),
    Kind::new(
        types::ACTIVITY_ALERT,
        "azapi_resource",
        How::Fn(carried::resource),
    ),
    Kind::new(
        types::QUERY_ALERT,
        "azapi_resource",
        How::Fn(carried::resource),
    ),
];

/// An azurerm type read the other way, as ARM (the audit reads Terraform plans so): its ARM type
/// and the attribute rows the translation writes, each as (azurerm block, ARM node, rows). The
/// block is `""` for the resource itself, `name` for its first item, `name[]` for every item
/// (each one ARM item of the node, which then ends in `[]`).
pub(crate) struct ReadBack {
    /// The azurerm resource type.
    pub(crate) tf: &'static str,
    /// The ARM resource type.
    pub(crate) arm: &'static str,
    /// Where the rows are read from and written to.
    pub(crate) blocks: Vec<(&'static str, &'static str, &'static [Flat])>,
}

/// Every azurerm type the translation writes, read back as ARM, from [`KINDS`] and the rows its
/// translators use.
pub(crate) fn read_back() -> Vec<ReadBack> {
    let mut out: Vec<ReadBack> = KINDS
        .iter()
        .filter(|k| !k.tf.is_empty())
        .map(|k| ReadBack {
            tf: k.tf,
            arm: k.arm,
            blocks: match (&k.how, k.arm) {
                (How::Flat(rows), _) => vec![("", "", *rows)],
                (_, types::AKS) => cluster::CLUSTER_READ_BACK.to_vec(),
                (_, types::NSG) => vec![(
                    "security_rule[]",
                    "properties.securityRules[]",
                    network::SECURITY_RULE,
                )],
                (_, types::VNET) => vec![("", "", network::VNET)],
                (_, types::ROLE) => vec![("", "properties", identity::ROLE_ASSIGNMENT)],
                (_, types::FLEET_MEMBER) => vec![("", "properties", fleet::MEMBER)],
                _ => Vec::new(),
            },
        })
        .collect();
    out.push(ReadBack {
        tf: "azurerm_kubernetes_cluster_node_pool",
        arm: types::AKS_POOL,
        blocks: cluster::POOL_READ_BACK.to_vec(),
    });
    out
}

/// The subnet associations azurerm writes as their own resources: (ARM property of the subnet,
/// azurerm type, attribute holding the associated id).
pub(crate) fn subnet_associations()
-> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    network::ASSOCIATIONS
        .iter()
        .map(|&(prop, tf, attr, _)| (prop, tf, attr))
}

/// The maintenance windows of `azurerm_kubernetes_cluster`, read back: the ARM name of each
/// window's configuration with its azurerm block, every schedule as (ARM key, azurerm
/// frequency, rows), and the window's own rows.
#[allow(clippy::type_complexity)]
pub(crate) fn maintenance_read_back() -> (
    [(&'static str, &'static str); 2],
    &'static [(&'static str, &'static str, &'static [Flat])],
    &'static [Flat],
) {
    (cluster::WINDOWS, cluster::SCHEDULES, cluster::WINDOW)
}

// ---------------------------------------------------------------------------------------------
// The translation

struct Tx<'a, 't> {
    t: &'t Template,
    items: &'a [Item<'t>],
    /// Declared resources by (resource group, type, names), all lower case.
    keys: &'a refs::Keys<'t>,
    providers: &'a Providers,
    m: Module,
    errors: Vec<Untranslated>,
    client_config: bool,
    /// Providers (alias names; `None` for the default) whose subscription a data source reads.
    subscriptions: Vec<Option<String>>,
    /// The same providers as a set, for telling a new one.
    subscribed: BTreeSet<Option<String>>,
    /// Per item: every Terraform resource it produced.
    produced: Vec<Vec<(String, String)>>,
    /// The resource group name of each deployment, once resolved.
    rg_names: RefCell<IndexMap<*const Deployment, Json, super::FxBuild>>,
}

fn translate(t: &Template) -> Out {
    translate_in(t, &threads_for)
}

/// [`translate`] in the number of parts `threads` gives for the number of items.
fn translate_in(t: &Template, threads: &dyn Fn(usize) -> usize) -> Out {
    let items = items(t);
    let keys = keys(&items);
    let providers = Providers::of(t);
    let tx = || Tx {
        t,
        items: &items,
        keys: &keys,
        providers: &providers,
        m: Module::default(),
        errors: Vec::new(),
        client_config: false,
        subscriptions: Vec::new(),
        subscribed: BTreeSet::new(),
        produced: vec![Vec::new(); items.len()],
        rg_names: RefCell::default(),
    };
    // Each part is whole deployments, translated on a thread of its own, and the parts are
    // joined in order: a translator reads any item but writes only blocks of its own, so the
    // joined module is the one a single pass in item order builds.
    let parts = parts(&items, threads(items.len()));
    let mut translated = crate::par::each(&parts, |part| {
        let mut tx = tx();
        for it in &items[part.clone()] {
            match it.kind.map(|k| &k.how) {
                Some(How::Fn(translator)) => translator(&mut tx, it),
                Some(How::Flat(attrs)) => tx.flat(it, attrs),
                // Folded into their hosts, which read them; any other type is reported below.
                Some(How::Into(_)) | None => {}
            }
        }
        tx.into_part()
    })
    .into_iter();
    let mut tx = tx();
    for (part, done) in parts.iter().zip(translated.by_ref()) {
        tx.join(part.clone(), done);
    }
    tx.dependencies(&parts);
    tx.data_sources();
    tx.outputs();

    let mut untranslated = std::mem::take(&mut tx.errors);
    // The gaps of each type, gathered once rather than per resource.
    let mut gaps_of: IndexMap<&str, Vec<&Gap>> = IndexMap::new();
    for g in NOT_EXPRESSIBLE {
        gaps_of.entry(g.rtype).or_default().push(g);
    }
    // What no translator read, once every translator has run.
    let left = crate::par::each(&parts, |part| {
        let mut untranslated = Vec::new();
        for it in &items[part.clone()] {
            if it.kind.is_none() {
                untranslated.push(it.untranslated(
                    "",
                    None,
                    "the resource type has no azurerm translation",
                ));
                continue;
            }
            let gaps: &[&Gap] = gaps_of.get(it.r.rtype.as_str()).map_or(&[], Vec::as_slice);
            let mut left = Vec::new();
            let mut path = String::new();
            let seen = it
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (k, x) in &it.r.body {
                path.clear();
                path.push_str(k);
                uncovered(x, &mut path, &seen, gaps, &mut left);
            }
            for (path, value) in left {
                untranslated.push(it.untranslated(&path, value, "not translated"));
            }
        }
        untranslated
    });
    untranslated.extend(left.into_iter().flatten());
    Out {
        module: tx.m,
        providers,
        untranslated,
    }
}

/// Every IR resource of `t` as an item, in deployment order.
fn items(t: &Template) -> Vec<Item<'_>> {
    let kinds: IndexMap<&str, &'static Kind> = KINDS.iter().rev().map(|k| (k.arm, k)).collect();
    let mut items: Vec<Item> = Vec::new();
    for d in &t.deployments {
        let start = items.len();
        let siblings = start..start + d.resources.len();
        items.extend(d.resources.iter().enumerate().map(|(n, r)| Item {
            index: start + n,
            d,
            r,
            kind: kinds.get(r.rtype.as_str()).copied(),
            seen: Seen::default(),
            siblings: siblings.clone(),
            label: label_of(d, r),
        }));
    }
    items
}

/// A JSON object built key by key, skipping absent values: its entries in order, a key put
/// again taking its value in place (as an object's insert does), so that it prints, or becomes
/// an object, without hashing every key. A block's own fields may be printed already
/// ([`B::put_printed`]).
#[derive(Default)]
struct B(Vec<(String, Put)>);

/// A value put in a [`B`].
enum Put {
    Value(Json),
    /// Printed at the depth of a block's fields.
    Printed(String),
}

impl B {
    fn put(&mut self, k: &str, v: impl Into<Option<Json>>) -> &mut Self {
        if let Some(v) = v.into() {
            self.set(k, Put::Value(v));
        }
        self
    }

    /// Put a field of a block printed already at the depth of a block's fields; only for a `B`
    /// that becomes a block.
    fn put_printed(&mut self, k: &str, text: Option<String>) -> &mut Self {
        if let Some(text) = text {
            self.set(k, Put::Printed(text));
        }
        self
    }

    fn set(&mut self, k: &str, v: Put) {
        match self.0.iter_mut().find(|(x, _)| x == k) {
            Some((_, old)) => *old = v,
            None => self.0.push((k.to_string(), v)),
        }
    }

    /// The entries as a block's fields.
    fn fields(&self) -> impl Iterator<Item = (&str, Field<'_>)> {
        self.0.iter().map(|(k, v)| {
            (
                k.as_str(),
                match v {
                    Put::Value(v) => Field::Value(v),
                    Put::Printed(t) => Field::Printed(t),
                },
            )
        })
    }

    fn json(self) -> Json {
        let mut m = Map::with_capacity(self.0.len());
        for (k, v) in self.0 {
            let v = match v {
                Put::Value(v) => v,
                // Not put in a `B` that becomes a value; read back should it happen.
                Put::Printed(t) => serde_json::from_str(&t).unwrap_or(Json::Null),
            };
            m.insert(k, v);
        }
        Json::Object(m)
    }
}

fn jb(b: Option<bool>) -> Option<Json> {
    b.map(Json::Bool)
}

fn ji(n: Option<i64>) -> Option<Json> {
    n.map(|n| json!(n))
}

fn js(s: Option<&str>) -> Option<Json> {
    s.map(|s| Json::String(literal(s)))
}

fn json_or_null(v: Option<Json>) -> Json {
    v.unwrap_or(Json::Null)
}

/// How an IR value becomes an azurerm attribute.
#[derive(Debug, Clone, Copy)]
pub(crate) enum As {
    /// A string.
    Str,
    /// A boolean.
    Bool,
    /// A boolean, negated (`disable…` becomes `…_enabled`).
    NotBool,
    /// An integer.
    Int,
    /// `Enabled`/`Disabled` (any case) as a boolean.
    Enabled,
    /// Any value, expressions spelled as references.
    Value,
    /// `[{ "id": … }]` as a list of ids; absent when empty.
    Ids,
}

/// A flat attribute: the azurerm attribute, the IR path it copies (below a node), and how.
pub(crate) type Flat = (&'static str, &'static str, As);

impl Tx<'_, '_> {
    fn err(&mut self, it: &Item, path: &str, msg: &str) {
        self.errors.push(it.untranslated(path, None, msg));
    }

    /// Add a block produced from `it`.
    fn add(&mut self, it: &Item, rtype: &str, lab: &str, body: Json) {
        self.added(it, rtype, lab);
        self.m.resource(&it.d.id, rtype, lab, &body);
    }

    /// Add a block produced from `it` whose body is the object `b` builds, printed from its
    /// fields without building the object.
    fn add_fields(&mut self, it: &Item, rtype: &str, lab: &str, b: &B) {
        self.added(it, rtype, lab);
        self.m.resource_fields(&it.d.id, rtype, lab, b.fields());
    }

    /// Record a block produced from `it`, reporting a second one of the same address.
    fn added(&mut self, it: &Item, rtype: &str, lab: &str) {
        // `order` finds references by this prefix.
        debug_assert!(rtype.starts_with("az"), "{rtype}");
        if self.m.has(rtype, lab) {
            self.err(it, "", &format!("a second {rtype}.{lab}"));
        }
        self.produced[it.index].push((rtype.to_string(), lab.to_string()));
    }

    /// Add the block `it` itself becomes: its kind's azurerm type, labelled after it.
    fn emit(&mut self, it: &Item, b: B) {
        if let Some(k) = it.kind {
            self.add_fields(it, k.tf, item_label(it), &b);
        }
    }

    /// Add the block `it` itself becomes, with its tags last.
    fn finish(&mut self, it: &Item, mut b: B) {
        self.tags(it, &mut b);
        self.emit(it, b);
    }

    /// A kind that only copies properties.
    fn flat(&mut self, it: &Item, attrs: &[Flat]) {
        let mut b = self.head(it, false);
        self.copy(it, &it.root(), &mut b, attrs);
        self.finish(it, b);
    }

    /// `head` with the location, then flat attributes read from the resource's root.
    fn located(&mut self, it: &Item, attrs: &[Flat]) -> B {
        let mut b = self.head(it, true);
        self.copy(it, &it.root(), &mut b, attrs);
        b
    }

    /// One value read as `how`.
    fn read(&mut self, it: &Item, n: &N, how: As) -> Option<Json> {
        match how {
            As::Str => js(n.str()),
            As::Bool => jb(n.bool()),
            As::NotBool => jb(n.bool().map(|x| !x)),
            As::Int => ji(n.int()),
            As::Enabled => jb(n.enabled()),
            As::Value => self.v(it, n),
            As::Ids => {
                let ids: Vec<Json> = n
                    .items()
                    .iter()
                    .filter_map(|x| self.v(it, &x.get("id")))
                    .collect();
                (!ids.is_empty()).then_some(Json::Array(ids))
            }
        }
    }

    /// Put the flat attributes read below `from`, in order; absent ones are left out.
    fn copy(&mut self, it: &Item, from: &N, b: &mut B, attrs: &[Flat]) {
        for &(attr, path, how) in attrs {
            let v = self.read(it, &from.get(path), how);
            b.put(attr, v);
        }
    }

    /// A block of the flat attributes read below `from`.
    fn block(&mut self, it: &Item, from: &N, attrs: &[Flat]) -> Json {
        let mut b = B::default();
        self.copy(it, from, &mut b, attrs);
        b.json()
    }

    /// An object of every attribute read below each node, null where the IR has no value
    /// (azurerm's attribute blocks such as `security_rule`), as an array printed at the depth of
    /// a block's fields.
    fn every_printed(&mut self, it: &Item, nodes: &[N], attrs: &[Flat]) -> String {
        let depth = BODY_DEPTH + 1;
        let mut out = String::new();
        if nodes.is_empty() {
            out.push_str("[]");
            return out;
        }
        out.push('[');
        for (i, from) in nodes.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            json::indent(&mut out, depth + 1);
            if attrs.is_empty() {
                out.push_str("{}");
                continue;
            }
            for (j, &(attr, path, how)) in attrs.iter().enumerate() {
                let v = self.read(it, &from.get(path), how);
                super::key(j == 0, attr, depth + 1, &mut out);
                match v {
                    Some(v) => json::value(&mut out, &v, depth + 2),
                    None => out.push_str("null"),
                }
            }
            super::close(depth + 1, '}', &mut out);
        }
        super::close(depth, ']', &mut out);
        out
    }

    /// `provider` and `name`.
    fn named(&mut self, it: &Item) -> B {
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        b
    }

    /// `provider`, `name`, `resource_group_name`, `location` of a resource-group resource.
    fn head(&mut self, it: &Item, with_location: bool) -> B {
        let mut b = self.named(it);
        b.put("resource_group_name", Some(self.rg_name(it.d)));
        if with_location {
            let loc = it.root().get("location");
            b.put("location", self.v(it, &loc));
        }
        b
    }

    fn tags(&mut self, it: &Item, b: &mut B) {
        let n = it.root().get("tags");
        if matches!(n.v, Some(Value::Object(o)) if o.is_empty()) {
            n.mark();
            return;
        }
        b.put_printed("tags", self.v_printed(it, &n, BODY_DEPTH + 1));
    }

    fn data_sources(&mut self) {
        if self.client_config {
            self.m
                .data("data", "azurerm_client_config", "connectivity", &json!({}));
        }
        for alias in std::mem::take(&mut self.subscriptions) {
            let (lab, body) = match &alias {
                Some(a) => (a.clone(), json!({ "provider": format!("azurerm.{a}") })),
                None => ("connectivity".to_string(), json!({})),
            };
            self.m.data("data", "azurerm_subscription", &lab, &body);
        }
    }

    fn outputs(&mut self) {
        for it in self.items {
            let Some(k) = it.kind else {
                continue;
            };
            let Some((attr, suffix, what)) = k.output else {
                continue;
            };
            let lab = item_label(it);
            self.m.output(
                &label(&[lab, suffix]),
                interp(&format!("{}.{lab}.{attr}", k.tf)),
                &format!("The {what} {}", it.name()),
            );
        }
    }
}
