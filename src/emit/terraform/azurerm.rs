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
//! - `Microsoft.ContainerService/managedClusters/agentPools`, one per pool:
//!   `securityProfile.sshAccess` (no SSH to nodes); neither `default_node_pool` nor
//!   `azurerm_kubernetes_cluster_node_pool` has it. On the default pool it also carries taints
//!   other than `CriticalAddonsOnly`, which `default_node_pool` cannot take.
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

use super::{Module, Providers, interp, label, literal, var_name};
use crate::azure::types;
use crate::emit::{EmitError, Files};
use crate::ir::{Deployment, Expr, Name, Resource, Scope, Target, Template, Value};
use serde_json::{Map, Value as Json, json};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// An IR property that azurerm cannot carry, and what takes care of it instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// Resource type.
    pub rtype: &'static str,
    /// Property path: object keys joined by `.`, `[]` after an array.
    pub path: &'static str,
    /// The only value that may be left out (what azurerm always sends), or `None` for any value.
    pub only: Option<&'static str>,
    /// Why leaving it out loses nothing, and what handles it.
    pub why: &'static str,
}

/// IR properties that are not expressible in azurerm and are handled elsewhere.
pub const NOT_EXPRESSIBLE: &[Gap] = &[
    // Handled by azurerm itself: it always sends this value.
    Gap {
        rtype: types::AKS,
        path: "sku.name",
        only: Some("Base"),
        why: "azurerm_kubernetes_cluster always creates the Base SKU; only sku_tier is an argument",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.aadProfile.managed",
        only: Some("true"),
        why: "azurerm 4.x only creates managed Entra ID integration (the legacy mode is gone)",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.agentPoolProfiles[].osType",
        only: Some("Linux"),
        why: "default_node_pool is always Linux; node pools carry os_type",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.securityProfile.azureKeyVaultKms.enabled",
        only: Some("true"),
        why: "the key_management_service block enables KMS",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.securityProfile.azureKeyVaultKms.keyVaultResourceId",
        only: None,
        why: "azurerm looks the vault id up from key_vault_key_id when key_vault_network_access is Private",
    },
    Gap {
        rtype: types::AKS,
        path: "properties.addonProfiles.kubeDashboard.enabled",
        only: Some("false"),
        why: "AKS retired the dashboard add-on and azurerm 4.x has no argument for it; it is never installed",
    },
    Gap {
        rtype: types::KV,
        path: "properties.sku.family",
        only: Some("A"),
        why: "azurerm_key_vault always sends family A, the only one",
    },
    Gap {
        rtype: types::KV,
        path: "properties.enableSoftDelete",
        only: Some("true"),
        why: "azurerm 4.x always enables soft delete (soft_delete_retention_days sets its length)",
    },
    Gap {
        rtype: types::KV,
        path: "properties.networkAcls.virtualNetworkRules[].ignoreMissingVnetServiceEndpoint",
        only: Some("false"),
        why: "azurerm_key_vault always sends false: a rule needs the subnet's service endpoint",
    },
    Gap {
        rtype: types::KV_KEY,
        path: "properties.attributes.enabled",
        only: Some("true"),
        why: "azurerm_key_vault_key creates enabled keys",
    },
    Gap {
        rtype: types::KV_KEY,
        path: "properties.attributes.exportable",
        only: Some("false"),
        why: "azurerm_key_vault_key creates non-exportable keys",
    },
    Gap {
        rtype: types::ACR,
        path: "properties.policies.azureADAuthenticationAsArmPolicy.status",
        only: Some("enabled"),
        why: "enabled is Azure's default and azurerm never changes it",
    },
    Gap {
        rtype: types::DNS_ZONE,
        path: "location",
        only: Some("global"),
        why: "private DNS zones are always global; azurerm has no location argument",
    },
    Gap {
        rtype: types::DNS_LINK,
        path: "location",
        only: Some("global"),
        why: "private DNS zone links are always global; azurerm has no location argument",
    },
    Gap {
        rtype: types::PE_DNS,
        path: "properties.privateDnsZoneConfigs[].name",
        only: None,
        why: "azurerm names each zone config after its zone",
    },
    Gap {
        rtype: types::VNET,
        path: "properties.subnets[].properties.serviceEndpoints[].locations",
        only: None,
        why: "azurerm_subnet takes service names only; Azure scopes each endpoint to the VNet's region",
    },
];

/// Render the azurerm flavour.
pub(crate) fn render(t: &Template) -> Result<Files, EmitError> {
    let out = translate(t);
    if !out.untranslated.is_empty() {
        return Err(EmitError::NotYetSupported(
            "terraform (azurerm) for an IR resource type or property it cannot translate; this is a bug in aks-harden",
        ));
    }
    Ok(out.module.into_files(t, &out.providers))
}

/// Every IR property path (and resource type) the azurerm translation neither translates nor
/// lists in [`NOT_EXPRESSIBLE`], as `type deployment/resource: path: why`. Empty when the
/// translation is complete.
pub fn untranslated(t: &Template) -> Vec<String> {
    translate(t).untranslated
}

struct Out {
    module: Module,
    providers: Providers,
    untranslated: Vec<String>,
}

const CRITICAL_ONLY: &str = "CriticalAddonsOnly=true:NoSchedule";

// ---------------------------------------------------------------------------------------------
// Reading the IR

type Seen = RefCell<BTreeSet<String>>;

/// A node of an IR body, with its path; reading a value records the path as translated.
#[derive(Clone)]
struct N<'a> {
    v: Option<&'a Value>,
    path: String,
    seen: &'a Seen,
}

impl<'a> N<'a> {
    /// The node at a `.`-separated path of object keys below this one.
    fn get(&self, path: &str) -> N<'a> {
        let mut v = self.v;
        let mut p = self.path.clone();
        for key in path.split('.') {
            v = match v {
                Some(Value::Object(o)) => o.get(key),
                _ => None,
            };
            if !p.is_empty() {
                p.push('.');
            }
            p.push_str(key);
        }
        N {
            v,
            path: p,
            seen: self.seen,
        }
    }

    fn present(&self) -> bool {
        !matches!(self.v, None | Some(Value::Null))
    }

    /// Record this node (and everything below it) as translated.
    fn mark(&self) {
        if self.present() {
            self.seen.borrow_mut().insert(self.path.clone());
        }
    }

    fn str(&self) -> Option<&'a str> {
        match self.v {
            Some(Value::Str(s)) => {
                self.mark();
                Some(s)
            }
            _ => None,
        }
    }

    fn bool(&self) -> Option<bool> {
        match self.v {
            Some(Value::Bool(b)) => {
                self.mark();
                Some(*b)
            }
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self.v {
            Some(Value::Int(n)) => {
                self.mark();
                Some(*n)
            }
            _ => None,
        }
    }

    /// `Enabled`/`enabled` → true, `Disabled`/`disabled` → false.
    fn enabled(&self) -> Option<bool> {
        match self.v {
            Some(Value::Str(s)) if s.eq_ignore_ascii_case("enabled") => {
                self.mark();
                Some(true)
            }
            Some(Value::Str(s)) if s.eq_ignore_ascii_case("disabled") => {
                self.mark();
                Some(false)
            }
            _ => None,
        }
    }

    /// Whether the value is the scalar `lit`; recorded as translated only when it is.
    fn is(&self, lit: &str) -> bool {
        let yes = self.v.and_then(scalar).as_deref() == Some(lit);
        if yes {
            self.mark();
        }
        yes
    }

    /// The items of an array (path `…[]`), not recorded themselves.
    fn items(&self) -> Vec<N<'a>> {
        match self.v {
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| N {
                    v: Some(x),
                    path: format!("{}[]", self.path),
                    seen: self.seen,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// A scalar leaf spelled as text, for comparing with [`Gap::only`].
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(n) => Some(n.to_string()),
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// Every leaf path of a value with its scalar spelling. Empty objects carry nothing; arrays of
/// scalars are one leaf.
fn leaves(v: &Value, path: &str, out: &mut Vec<(String, Option<String>)>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Null => {}
        Value::Object(o) => {
            for (k, x) in o {
                leaves(x, &join(k), out);
            }
        }
        Value::Array(a) if a.iter().any(|x| matches!(x, Value::Object(_))) => {
            for x in a {
                leaves(x, &format!("{path}[]"), out);
            }
        }
        other => out.push((path.to_string(), scalar(other))),
    }
}

fn covered(seen: &BTreeSet<String>, path: &str) -> bool {
    seen.iter().any(|s| {
        path == s
            || (path.starts_with(s.as_str())
                && matches!(path.as_bytes().get(s.len()), Some(b'.' | b'[')))
    })
}

/// One IR resource with its body as a value and the paths read from it.
struct Item<'t> {
    d: &'t Deployment,
    r: &'t Resource,
    body: Value,
    seen: Seen,
}

impl<'t> Item<'t> {
    fn root(&self) -> N<'_> {
        N {
            v: Some(&self.body),
            path: String::new(),
            seen: &self.seen,
        }
    }

    fn names(&self) -> Vec<&'t str> {
        match &self.r.name {
            Name::Literal(segs) => segs.iter().map(String::as_str).collect(),
            Name::Expr(_) => Vec::new(),
        }
    }

    /// The resource's own name (the last segment for a child).
    fn name(&self) -> &'t str {
        self.names().last().copied().unwrap_or_default()
    }

    fn where_(&self) -> String {
        format!("{} {}/{}", self.r.rtype, self.d.id, self.r.id)
    }
}

fn deployment_rg(d: &Deployment) -> &str {
    match &d.scope {
        Scope::ResourceGroup { resource_group, .. } => resource_group,
        Scope::Subscription { .. } => "",
    }
}

fn sub_of(scope: &Scope) -> Option<&str> {
    match scope.subscription() {
        Some(Expr::Param(p)) => Some(p),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses

/// A Terraform resource address.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Addr {
    rtype: &'static str,
    label: String,
    /// The attribute that holds the ARM resource id.
    id_attr: &'static str,
}

impl Addr {
    fn new(rtype: &'static str, label: String) -> Addr {
        Addr {
            rtype,
            label,
            id_attr: "id",
        }
    }

    fn at(&self, attr: &str) -> String {
        format!("{}.{}.{attr}", self.rtype, self.label)
    }

    fn id(&self) -> String {
        self.at(self.id_attr)
    }

    fn whole(&self) -> String {
        format!("{}.{}", self.rtype, self.label)
    }
}

/// What an IR resource is known by: subscription parameter, resource group, type and names.
struct Key {
    sub: Option<String>,
    rg: String,
    rtype: String,
    names: Vec<String>,
    addr: Addr,
}

fn azurerm_type(rtype: &str) -> Option<&'static str> {
    use types as t;
    Some(match rtype {
        t::RG => "azurerm_resource_group",
        t::LOCK => "azurerm_management_lock",
        t::ROLE => "azurerm_role_assignment",
        t::POLICY => "azurerm_resource_policy_assignment",
        t::PRICING => "azurerm_security_center_subscription_pricing",
        t::DIAG => "azurerm_monitor_diagnostic_setting",
        t::UAI => "azurerm_user_assigned_identity",
        t::FIC => "azurerm_federated_identity_credential",
        t::LAW => "azurerm_log_analytics_workspace",
        t::VNET => "azurerm_virtual_network",
        t::PEERING => "azurerm_virtual_network_peering",
        t::NSG => "azurerm_network_security_group",
        t::RT => "azurerm_route_table",
        t::PIP => "azurerm_public_ip",
        t::FW => "azurerm_firewall",
        t::FWP => "azurerm_firewall_policy",
        t::RCG => "azurerm_firewall_policy_rule_collection_group",
        t::DNS_ZONE => "azurerm_private_dns_zone",
        t::DNS_LINK => "azurerm_private_dns_zone_virtual_network_link",
        t::PE | t::PE_DNS => "azurerm_private_endpoint",
        t::KV => "azurerm_key_vault",
        t::KV_KEY => "azurerm_key_vault_key",
        t::DES => "azurerm_disk_encryption_set",
        t::ACR => "azurerm_container_registry",
        t::AKS | t::AKS_MAINT => "azurerm_kubernetes_cluster",
        _ => return None,
    })
}

fn item_label(it: &Item) -> String {
    label(&[&it.d.id, &it.r.id])
}

/// The address an IR resource translates to (its host, for resources folded into a parent).
fn primary(items: &[Item], i: usize) -> Option<Addr> {
    let it = &items[i];
    let tf = azurerm_type(&it.r.rtype)?;
    let host = |rtype: &str| {
        let names = it.names();
        items.iter().find(|x| {
            std::ptr::eq(x.d, it.d) && x.r.rtype == rtype && x.names().first() == names.first()
        })
    };
    let lab = match it.r.rtype.as_str() {
        types::PE_DNS => item_label(host(types::PE)?),
        types::AKS_MAINT => item_label(host(types::AKS)?),
        _ => item_label(it),
    };
    let mut a = Addr::new(tf, lab);
    if it.r.rtype == types::KV_KEY {
        a.id_attr = "resource_versionless_id";
    }
    Some(a)
}

fn subnet_label(vnet: &Addr, subnet: &str) -> String {
    label(&[&vnet.label, subnet])
}

// ---------------------------------------------------------------------------------------------
// The translation

struct Tx<'a, 't> {
    t: &'t Template,
    items: &'a [Item<'t>],
    /// Declared resources by (resource group, type, names), all lower case.
    keys: BTreeMap<(String, String, Vec<String>), Vec<Key>>,
    providers: Providers,
    m: Module,
    errors: Vec<String>,
    client_config: bool,
    /// Providers (alias names; `None` for the default) whose subscription a data source reads.
    subscriptions: Vec<Option<String>>,
    /// Per item: every Terraform resource it produced.
    produced: Vec<Vec<(String, String)>>,
}

fn translate(t: &Template) -> Out {
    let items: Vec<Item> = t
        .resources()
        .map(|(d, r)| Item {
            d,
            r,
            body: Value::Object(r.body.clone()),
            seen: RefCell::new(BTreeSet::new()),
        })
        .collect();
    let mut keys = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let Some(addr) = primary(&items, i) else {
            continue;
        };
        let rg = if it.r.rtype == types::RG {
            String::new()
        } else {
            deployment_rg(it.d).to_lowercase()
        };
        let names: Vec<String> = it.names().iter().map(|s| s.to_lowercase()).collect();
        let sub = sub_of(&it.d.scope).map(str::to_string);
        if it.r.rtype == types::VNET {
            for s in it.root().get("properties.subnets").items() {
                if let Some(Value::Str(n)) = s.get("name").v {
                    let mut sn = names.clone();
                    sn.push(n.to_lowercase());
                    keys.push(Key {
                        sub: sub.clone(),
                        rg: rg.clone(),
                        rtype: types::SUBNET.to_lowercase(),
                        names: sn,
                        addr: Addr::new("azurerm_subnet", subnet_label(&addr, n)),
                    });
                }
            }
        }
        keys.push(Key {
            sub,
            rg,
            rtype: it.r.rtype.to_lowercase(),
            names,
            addr,
        });
    }
    let mut index: BTreeMap<(String, String, Vec<String>), Vec<Key>> = BTreeMap::new();
    for k in keys {
        index
            .entry((k.rg.clone(), k.rtype.clone(), k.names.clone()))
            .or_default()
            .push(k);
    }
    let mut tx = Tx {
        t,
        items: &items,
        keys: index,
        providers: Providers::of(t),
        m: Module::default(),
        errors: Vec::new(),
        client_config: false,
        subscriptions: Vec::new(),
        produced: vec![Vec::new(); items.len()],
    };
    for i in 0..items.len() {
        tx.resource(i);
    }
    tx.dependencies();
    tx.data_sources();
    tx.outputs();

    let mut untranslated = std::mem::take(&mut tx.errors);
    for it in &items {
        if azurerm_type(&it.r.rtype).is_none() {
            untranslated.push(format!(
                "{}: the resource type has no azurerm translation",
                it.where_()
            ));
            continue;
        }
        let mut paths = Vec::new();
        leaves(&it.body, "", &mut paths);
        let seen = it.seen.borrow();
        for (path, value) in paths {
            let gap = NOT_EXPRESSIBLE.iter().any(|g| {
                g.rtype == it.r.rtype
                    && g.path == path
                    && g.only.is_none_or(|o| value.as_deref() == Some(o))
            });
            if !gap && !covered(&seen, &path) {
                let shown = value.map_or_else(String::new, |v| format!(" = {v}"));
                untranslated.push(format!("{}: {path}{shown}: not translated", it.where_()));
            }
        }
    }
    Out {
        module: tx.m,
        providers: tx.providers,
        untranslated,
    }
}

/// A JSON object built key by key, skipping absent values.
#[derive(Default)]
struct B(Map<String, Json>);

impl B {
    fn put(&mut self, k: &str, v: impl Into<Option<Json>>) -> &mut Self {
        if let Some(v) = v.into() {
            self.0.insert(k.to_string(), v);
        }
        self
    }

    fn json(self) -> Json {
        Json::Object(self.0)
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

/// `P1Y`, `P30D`, `P2M`… as hours for `timeadd` (years of 365 days, months of 30).
fn iso_hours(d: &str) -> Option<u64> {
    let rest = d.strip_prefix('P')?;
    let mut hours = 0u64;
    let mut num = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        hours += n * match c {
            'Y' => 365 * 24,
            'M' => 30 * 24,
            'W' => 7 * 24,
            'D' => 24,
            _ => return None,
        };
    }
    (num.is_empty() && hours > 0).then_some(hours)
}

/// The action Azure records when a subnet is delegated to a service.
fn delegation_actions(service: &str) -> Option<Vec<&'static str>> {
    match service {
        "Microsoft.ContainerService/managedClusters" => Some(vec![
            "Microsoft.Network/virtualNetworks/subnets/join/action",
        ]),
        _ => None,
    }
}

impl Tx<'_, '_> {
    fn err(&mut self, it: &Item, path: &str, msg: &str) {
        self.errors.push(format!("{}: {path}: {msg}", it.where_()));
    }

    fn add(&mut self, i: usize, rtype: &str, lab: &str, body: Json) {
        if self.m.get(rtype, lab).is_some() {
            let items = self.items;
            self.err(&items[i], "", &format!("a second {rtype}.{lab}"));
        }
        let file = self.items[i].d.id.clone();
        self.m.resource(&file, rtype, lab, body);
        self.produced[i].push((rtype.to_string(), lab.to_string()));
    }

    // ----- spelling values

    fn param(&mut self, p: &str) -> String {
        let v = var_name(p);
        match self.t.parameters.get(p).and_then(|x| x.default.as_ref()) {
            Some(Value::Expr(Expr::DeploymentTenantId)) => {
                self.client_config = true;
                format!("${{coalesce(var.{v}, data.azurerm_client_config.connectivity.tenant_id)}}")
            }
            Some(Value::Expr(Expr::DeploymentSubscriptionId)) => {
                self.client_config = true;
                format!(
                    "${{coalesce(var.{v}, data.azurerm_client_config.connectivity.subscription_id)}}"
                )
            }
            _ => format!("${{var.{v}}}"),
        }
    }

    /// Find the Terraform resource behind an ARM resource id.
    fn resolve(
        &self,
        d: &Deployment,
        sub: Option<&Expr>,
        rg: Option<&Expr>,
        rtype: &str,
        names: &[Expr],
    ) -> Result<Addr, String> {
        let lit = |e: &Expr| match e {
            Expr::Str(s) => Ok(s.to_lowercase()),
            _ => Err("a resource id with a computed name".to_string()),
        };
        let rg = if rtype.eq_ignore_ascii_case(types::RG) {
            String::new()
        } else {
            match rg {
                Some(e) => lit(e)?,
                None => deployment_rg(d).to_lowercase(),
            }
        };
        let names = names.iter().map(lit).collect::<Result<Vec<_>, _>>()?;
        let sub = match sub {
            Some(Expr::Param(p)) => Some(p.as_str()),
            Some(_) => return Err("a resource id in a computed subscription".into()),
            None => sub_of(&d.scope),
        };
        let rtype = rtype.to_lowercase();
        let found: Vec<&Key> = self
            .keys
            .get(&(rg.clone(), rtype.clone(), names.clone()))
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let pick = match found.as_slice() {
            [one] => Some(*one),
            [] => None,
            many => {
                let same: Vec<&&Key> = many.iter().filter(|k| k.sub.as_deref() == sub).collect();
                (same.len() == 1).then(|| *same[0])
            }
        };
        pick.map(|k| k.addr.clone()).ok_or_else(|| {
            format!(
                "a reference to {rtype} {} in resource group {rg:?}, which the template does not declare",
                names.join("/")
            )
        })
    }

    fn resolve_target(&self, d: &Deployment, target: &Target) -> Result<Addr, String> {
        let names: Vec<Expr> = target.names.iter().map(|n| Expr::Str(n.clone())).collect();
        self.resolve(d, None, None, &target.rtype, &names)
    }

    /// An expression as a JSON string: a literal, `${…}`, or a template.
    fn expr(&mut self, d: &Deployment, e: &Expr) -> Result<String, String> {
        Ok(match e {
            Expr::Str(s) => literal(s),
            Expr::Param(p) => self.param(p),
            Expr::DeploymentSubscriptionId => {
                self.client_config = true;
                "${data.azurerm_client_config.connectivity.subscription_id}".into()
            }
            Expr::DeploymentTenantId => {
                self.client_config = true;
                "${data.azurerm_client_config.connectivity.tenant_id}".into()
            }
            Expr::ResourceId {
                subscription,
                resource_group,
                rtype,
                names,
            } => {
                let a = self.resolve(
                    d,
                    subscription.as_deref(),
                    resource_group.as_deref(),
                    rtype,
                    names,
                )?;
                format!("${{{}}}", a.id())
            }
            Expr::SubscriptionResourceId { rtype, name } => {
                let Expr::Str(n) = name.as_ref() else {
                    return Err("a subscription resource id with a computed name".into());
                };
                let sub = self.subscription_data(&d.scope);
                format!("${{data.azurerm_subscription.{sub}.id}}/providers/{rtype}/{n}")
            }
            Expr::TenantResourceId { rtype, name } => {
                let Expr::Str(n) = name.as_ref() else {
                    return Err("a tenant resource id with a computed name".into());
                };
                format!("/providers/{rtype}/{n}")
            }
            Expr::Reference {
                id,
                full: false,
                path,
                ..
            } => {
                let Expr::ResourceId {
                    subscription,
                    resource_group,
                    rtype,
                    names,
                } = id.as_ref()
                else {
                    return Err("a reference to a computed resource id".into());
                };
                let a = self.resolve(
                    d,
                    subscription.as_deref(),
                    resource_group.as_deref(),
                    rtype,
                    names,
                )?;
                let attr = match (a.rtype, path.join(".").as_str()) {
                    ("azurerm_user_assigned_identity", "principalId") => "principal_id",
                    ("azurerm_user_assigned_identity", "clientId") => "client_id",
                    ("azurerm_key_vault_key", "keyUriWithVersion") => "id",
                    ("azurerm_key_vault_key", "keyUri") => "versionless_id",
                    ("azurerm_public_ip", "ipAddress") => "ip_address",
                    ("azurerm_key_vault", "vaultUri") => "vault_uri",
                    ("azurerm_kubernetes_cluster", "oidcIssuerProfile.issuerURL") => {
                        "oidc_issuer_url"
                    }
                    (
                        "azurerm_kubernetes_cluster",
                        "addonProfiles.azureKeyvaultSecretsProvider.identity.objectId",
                    ) => "key_vault_secrets_provider[0].secret_identity[0].object_id",
                    (
                        "azurerm_kubernetes_cluster",
                        "addonProfiles.azureKeyvaultSecretsProvider.identity.clientId",
                    ) => "key_vault_secrets_provider[0].secret_identity[0].client_id",
                    ("azurerm_kubernetes_cluster", "identityProfile.kubeletidentity.objectId") => {
                        "kubelet_identity[0].object_id"
                    }
                    (_, p) => {
                        return Err(format!("no azurerm attribute for property {p} of {rtype}"));
                    }
                };
                format!("${{{}}}", a.at(attr))
            }
            Expr::Reference {
                id,
                full: true,
                path,
                ..
            } => {
                let Expr::ResourceId {
                    subscription,
                    resource_group,
                    rtype,
                    names,
                } = id.as_ref()
                else {
                    return Err("a reference to a computed resource id".into());
                };
                let a = self.resolve(
                    d,
                    subscription.as_deref(),
                    resource_group.as_deref(),
                    rtype,
                    names,
                )?;
                let attr = match (a.rtype, path.join(".").as_str()) {
                    ("azurerm_disk_encryption_set", "identity.principalId") => {
                        "identity[0].principal_id"
                    }
                    (_, p) => {
                        return Err(format!("no azurerm attribute for {p} of {rtype}"));
                    }
                };
                format!("${{{}}}", a.at(attr))
            }
            Expr::Guid(_) => return Err("a GUID expression has no azurerm spelling".into()),
        })
    }

    /// An IR value as Terraform JSON.
    fn spell(&mut self, d: &Deployment, v: &Value) -> Result<Json, String> {
        Ok(match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(n) => json!(n),
            Value::Str(s) => Json::String(literal(s)),
            Value::Array(a) => Json::Array(
                a.iter()
                    .map(|x| self.spell(d, x))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(o) => {
                let mut m = Map::new();
                for (k, x) in o {
                    m.insert(k.clone(), self.spell(d, x)?);
                }
                Json::Object(m)
            }
            Value::Expr(e) => Json::String(self.expr(d, e)?),
            Value::ExprKeyed(_) => return Err("an object keyed by expressions".into()),
        })
    }

    /// A node's value as Terraform JSON, recorded as translated; errors are recorded too.
    fn v(&mut self, it: &Item, n: &N) -> Option<Json> {
        let v = n.v.filter(|v| **v != Value::Null)?;
        match self.spell(it.d, v) {
            Ok(j) => {
                n.mark();
                Some(j)
            }
            Err(e) => {
                self.err(it, &n.path, &e);
                None
            }
        }
    }

    /// A reference to a resource by id expression, as `${…}` text.
    fn id_of(&mut self, it: &Item, n: &N) -> Option<Json> {
        self.v(it, n)
    }

    fn target(&mut self, it: &Item) -> Option<String> {
        let Some(target) = &it.r.scope else {
            self.err(it, "scope", "an extension resource without a target");
            return None;
        };
        match self.resolve_target(it.d, target) {
            Ok(a) => Some(format!("${{{}}}", a.id())),
            Err(e) => {
                self.err(it, "scope", &e);
                None
            }
        }
    }

    /// The data source label of a scope's subscription.
    fn subscription_data(&mut self, scope: &Scope) -> String {
        let alias = self.providers.alias(scope).map(|a| a.name.clone());
        if !self.subscriptions.contains(&alias) {
            self.subscriptions.push(alias.clone());
        }
        alias.unwrap_or_else(|| "connectivity".into())
    }

    /// `provider`, for resources in another subscription.
    fn provider(&self, d: &Deployment) -> Option<Json> {
        self.providers
            .alias(&d.scope)
            .map(|a| json!(format!("azurerm.{}", a.name)))
    }

    /// The resource group's name, as a reference when the template declares the group.
    fn rg_name(&self, d: &Deployment) -> Json {
        let rg = deployment_rg(d);
        match self.resolve(d, None, None, types::RG, &[Expr::Str(rg.to_string())]) {
            Ok(a) => interp(&a.at("name")),
            Err(_) => Json::String(literal(rg)),
        }
    }

    /// A parent resource's attribute by type and names, or the literal name.
    fn parent(&self, d: &Deployment, rtype: &str, names: &[&str], attr: &str) -> Json {
        let ns: Vec<Expr> = names.iter().map(|n| Expr::Str((*n).to_string())).collect();
        match self.resolve(d, None, None, rtype, &ns) {
            Ok(a) if attr == "id" => interp(&a.id()),
            Ok(a) => interp(&a.at(attr)),
            Err(_) => Json::String(literal(names.last().copied().unwrap_or_default())),
        }
    }

    /// `provider`, `name`, `resource_group_name`, `location` of a resource-group resource.
    fn head(&mut self, it: &Item, with_location: bool) -> B {
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
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
        b.put("tags", self.v(it, &n));
    }

    // ----- resources

    fn resource(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        match it.r.rtype.as_str() {
            types::RG => self.resource_group(i),
            types::PRICING => self.pricing(i),
            types::LAW => self.workspace(i),
            types::UAI => self.identity(i),
            types::FIC => self.federation(i),
            types::NSG => self.nsg(i),
            types::RT => self.route_table(i),
            types::VNET => self.vnet(i),
            types::PEERING => self.peering(i),
            types::PIP => self.public_ip(i),
            types::FWP => self.firewall_policy(i),
            types::RCG => self.rule_collection_group(i),
            types::FW => self.firewall(i),
            types::DNS_ZONE => self.dns_zone(i),
            types::DNS_LINK => self.dns_link(i),
            types::PE => self.private_endpoint(i),
            types::KV => self.key_vault(i),
            types::KV_KEY => self.key_vault_key(i),
            types::DES => self.disk_encryption_set(i),
            types::ACR => self.registry(i),
            types::DIAG => self.diagnostics(i),
            types::ROLE => self.role_assignment(i),
            types::LOCK => self.lock(i),
            types::POLICY => self.policy_assignment(i),
            types::AKS => self.cluster(i),
            // Folded into their parents (the private endpoint, the cluster); any other type is
            // reported by the coverage check.
            _ => {}
        }
    }

    fn resource_group(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        let loc = it.root().get("location");
        b.put("location", self.v(it, &loc));
        self.tags(it, &mut b);
        self.add(i, "azurerm_resource_group", &item_label(it), b.json());
    }

    fn pricing(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("resource_type", js(Some(it.name())));
        b.put("tier", js(p.get("pricingTier").str()));
        b.put("subplan", js(p.get("subPlan").str()));
        self.add(
            i,
            "azurerm_security_center_subscription_pricing",
            &item_label(it),
            b.json(),
        );
    }

    fn workspace(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = self.head(it, true);
        b.put("sku", js(p.get("sku.name").str()));
        b.put("retention_in_days", ji(p.get("retentionInDays").int()));
        b.put(
            "allow_resource_only_permissions",
            jb(
                p.get("features.enableLogAccessUsingOnlyResourcePermissions")
                    .bool(),
            ),
        );
        b.put(
            "internet_ingestion_enabled",
            jb(p.get("publicNetworkAccessForIngestion").enabled()),
        );
        b.put(
            "internet_query_enabled",
            jb(p.get("publicNetworkAccessForQuery").enabled()),
        );
        self.tags(it, &mut b);
        self.add(
            i,
            "azurerm_log_analytics_workspace",
            &item_label(it),
            b.json(),
        );
    }

    fn identity(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let mut b = self.head(it, true);
        self.tags(it, &mut b);
        self.add(
            i,
            "azurerm_user_assigned_identity",
            &item_label(it),
            b.json(),
        );
    }

    fn federation(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let names = it.names();
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        b.put(
            "user_assigned_identity_id",
            Some(self.parent(it.d, types::UAI, &names[..1], "id")),
        );
        b.put("issuer", self.v(it, &p.get("issuer")));
        b.put("subject", self.v(it, &p.get("subject")));
        b.put("audience", self.v(it, &p.get("audiences")));
        self.add(
            i,
            "azurerm_federated_identity_credential",
            &item_label(it),
            b.json(),
        );
    }

    fn nsg(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let mut b = self.head(it, true);
        let mut rules = Vec::new();
        for r in it.root().get("properties.securityRules").items() {
            let p = r.get("properties");
            let mut m = Map::new();
            // Every attribute of the object, null where unused.
            for (attr, prop) in [
                ("access", "access"),
                ("description", "description"),
                ("destination_address_prefix", "destinationAddressPrefix"),
                ("destination_address_prefixes", "destinationAddressPrefixes"),
                (
                    "destination_application_security_group_ids",
                    "destinationApplicationSecurityGroups",
                ),
                ("destination_port_range", "destinationPortRange"),
                ("destination_port_ranges", "destinationPortRanges"),
                ("direction", "direction"),
                ("name", ""),
                ("priority", "priority"),
                ("protocol", "protocol"),
                ("source_address_prefix", "sourceAddressPrefix"),
                ("source_address_prefixes", "sourceAddressPrefixes"),
                (
                    "source_application_security_group_ids",
                    "sourceApplicationSecurityGroups",
                ),
                ("source_port_range", "sourcePortRange"),
                ("source_port_ranges", "sourcePortRanges"),
            ] {
                let node = if prop.is_empty() {
                    r.get("name")
                } else {
                    p.get(prop)
                };
                let v = if attr.ends_with("_group_ids") {
                    // Application security groups are `{ id }` objects in ARM.
                    let ids: Vec<Json> = node
                        .items()
                        .iter()
                        .filter_map(|x| self.v(it, &x.get("id")))
                        .collect();
                    (!ids.is_empty()).then_some(Json::Array(ids))
                } else {
                    self.v(it, &node)
                };
                m.insert(attr.into(), v.unwrap_or(Json::Null));
            }
            rules.push(Json::Object(m));
        }
        b.put("security_rule", Some(Json::Array(rules)));
        self.tags(it, &mut b);
        self.add(
            i,
            "azurerm_network_security_group",
            &item_label(it),
            b.json(),
        );
    }

    fn route_table(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = self.head(it, true);
        b.put(
            "bgp_route_propagation_enabled",
            jb(p.get("disableBgpRoutePropagation").bool().map(|x| !x)),
        );
        let mut routes = Vec::new();
        for r in p.get("routes").items() {
            let rp = r.get("properties");
            let mut m = Map::new();
            m.insert(
                "address_prefix".into(),
                json_or_null(self.v(it, &rp.get("addressPrefix"))),
            );
            m.insert("name".into(), json_or_null(self.v(it, &r.get("name"))));
            m.insert(
                "next_hop_in_ip_address".into(),
                json_or_null(self.v(it, &rp.get("nextHopIpAddress"))),
            );
            m.insert(
                "next_hop_type".into(),
                json_or_null(self.v(it, &rp.get("nextHopType"))),
            );
            routes.push(Json::Object(m));
        }
        b.put("route", Some(Json::Array(routes)));
        self.tags(it, &mut b);
        self.add(i, "azurerm_route_table", &item_label(it), b.json());
    }

    fn vnet(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let lab = item_label(it);
        let vnet = Addr::new("azurerm_virtual_network", lab.clone());
        let mut b = self.head(it, true);
        b.put(
            "address_space",
            self.v(it, &p.get("addressSpace.addressPrefixes")),
        );
        b.put("dns_servers", self.v(it, &p.get("dhcpOptions.dnsServers")));
        self.tags(it, &mut b);
        self.add(i, "azurerm_virtual_network", &lab, b.json());

        for s in p.get("subnets").items() {
            let Some(name) = s.get("name").str() else {
                self.err(it, &s.path, "a subnet without a literal name");
                continue;
            };
            let sp = s.get("properties");
            let sl = subnet_label(&vnet, name);
            let mut b = B::default();
            b.put("provider", self.provider(it.d));
            b.put("name", js(Some(name)));
            b.put("resource_group_name", Some(self.rg_name(it.d)));
            b.put("virtual_network_name", Some(interp(&vnet.at("name"))));
            let prefixes = match self.v(it, &sp.get("addressPrefix")) {
                Some(one) => Some(json!([one])),
                None => self.v(it, &sp.get("addressPrefixes")),
            };
            b.put("address_prefixes", prefixes);
            b.put(
                "default_outbound_access_enabled",
                jb(sp.get("defaultOutboundAccess").bool()),
            );
            let endpoints: Vec<Json> = sp
                .get("serviceEndpoints")
                .items()
                .iter()
                .filter_map(|e| js(e.get("service").str()))
                .collect();
            if !endpoints.is_empty() {
                b.put("service_endpoints", Some(Json::Array(endpoints)));
            }
            let delegations: Vec<Json> = sp
                .get("delegations")
                .items()
                .iter()
                .map(|d| {
                    let service = d.get("properties.serviceName").str().unwrap_or_default();
                    let mut sd = B::default();
                    sd.put("name", js(Some(service)));
                    sd.put("actions", delegation_actions(service).map(|a| json!(a)));
                    json!({ "name": js(d.get("name").str()), "service_delegation": [sd.json()] })
                })
                .collect();
            if !delegations.is_empty() {
                b.put("delegation", Some(Json::Array(delegations)));
            }
            b.put(
                "private_endpoint_network_policies",
                js(sp.get("privateEndpointNetworkPolicies").str()),
            );
            self.add(i, "azurerm_subnet", &sl, b.json());
            let subnet_id = interp(&Addr::new("azurerm_subnet", sl.clone()).id());
            for (prop, tf, attr, suffix) in [
                (
                    "networkSecurityGroup.id",
                    "azurerm_subnet_network_security_group_association",
                    "network_security_group_id",
                    "nsg",
                ),
                (
                    "routeTable.id",
                    "azurerm_subnet_route_table_association",
                    "route_table_id",
                    "route_table",
                ),
            ] {
                if let Some(target) = self.id_of(it, &sp.get(prop)) {
                    let mut a = B::default();
                    a.put("provider", self.provider(it.d));
                    a.put("subnet_id", Some(subnet_id.clone()));
                    a.put(attr, Some(target));
                    self.add(i, tf, &label(&[&sl, suffix]), a.json());
                }
            }
        }
    }

    fn peering(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let names = it.names();
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        b.put("resource_group_name", Some(self.rg_name(it.d)));
        b.put(
            "virtual_network_name",
            Some(self.parent(it.d, types::VNET, &names[..1], "name")),
        );
        b.put(
            "remote_virtual_network_id",
            self.id_of(it, &p.get("remoteVirtualNetwork.id")),
        );
        for (attr, prop) in [
            ("allow_virtual_network_access", "allowVirtualNetworkAccess"),
            ("allow_forwarded_traffic", "allowForwardedTraffic"),
            ("allow_gateway_transit", "allowGatewayTransit"),
            ("use_remote_gateways", "useRemoteGateways"),
        ] {
            b.put(attr, jb(p.get(prop).bool()));
        }
        self.add(
            i,
            "azurerm_virtual_network_peering",
            &item_label(it),
            b.json(),
        );
    }

    fn public_ip(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let root = it.root();
        let p = root.get("properties");
        let mut b = self.head(it, true);
        b.put(
            "allocation_method",
            js(p.get("publicIPAllocationMethod").str()),
        );
        b.put("ip_version", js(p.get("publicIPAddressVersion").str()));
        b.put("sku", js(root.get("sku.name").str()));
        b.put("sku_tier", js(root.get("sku.tier").str()));
        b.put("zones", self.v(it, &root.get("zones")));
        self.tags(it, &mut b);
        self.add(i, "azurerm_public_ip", &item_label(it), b.json());
    }

    fn firewall_policy(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = self.head(it, true);
        b.put("sku", js(p.get("sku.tier").str()));
        b.put(
            "threat_intelligence_mode",
            js(p.get("threatIntelMode").str()),
        );
        if let Some(mode) = js(p.get("intrusionDetection.mode").str()) {
            b.put("intrusion_detection", Some(json!([{ "mode": mode }])));
        }
        let dns = p.get("dnsSettings");
        if dns.present() {
            let mut d = B::default();
            d.put("proxy_enabled", jb(dns.get("enableProxy").bool()));
            d.put("servers", self.v(it, &dns.get("servers")));
            b.put("dns", Some(json!([d.json()])));
        }
        self.tags(it, &mut b);
        self.add(i, "azurerm_firewall_policy", &item_label(it), b.json());
    }

    fn rule_collection_group(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let names = it.names();
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        b.put(
            "firewall_policy_id",
            Some(self.parent(it.d, types::FWP, &names[..1], "id")),
        );
        b.put("priority", ji(p.get("priority").int()));
        let mut network = Vec::new();
        let mut application = Vec::new();
        for c in p.get("ruleCollections").items() {
            if !c
                .get("ruleCollectionType")
                .is("FirewallPolicyFilterRuleCollection")
            {
                continue;
            }
            let rules = c.get("rules").items();
            let kinds: BTreeSet<String> = rules
                .iter()
                .filter_map(|r| r.get("ruleType").v.and_then(scalar))
                .collect();
            let mut out = Vec::new();
            let kind = kinds.iter().next().cloned().unwrap_or_default();
            if kinds.len() > 1 {
                self.err(it, &c.path, "a rule collection mixing rule types");
                continue;
            }
            for r in &rules {
                let mut rb = B::default();
                rb.put("name", js(r.get("name").str()));
                rb.put("description", js(r.get("description").str()));
                match kind.as_str() {
                    "NetworkRule" => {
                        r.get("ruleType").mark();
                        rb.put("protocols", self.v(it, &r.get("ipProtocols")));
                        rb.put("source_addresses", self.v(it, &r.get("sourceAddresses")));
                        rb.put(
                            "destination_addresses",
                            self.v(it, &r.get("destinationAddresses")),
                        );
                        rb.put("destination_fqdns", self.v(it, &r.get("destinationFqdns")));
                        rb.put("destination_ports", self.v(it, &r.get("destinationPorts")));
                    }
                    "ApplicationRule" => {
                        r.get("ruleType").mark();
                        let protocols: Vec<Json> = r
                            .get("protocols")
                            .items()
                            .iter()
                            .map(|x| {
                                json!({
                                    "port": ji(x.get("port").int()),
                                    "type": js(x.get("protocolType").str()),
                                })
                            })
                            .collect();
                        rb.put("protocols", Some(Json::Array(protocols)));
                        rb.put("source_addresses", self.v(it, &r.get("sourceAddresses")));
                        rb.put("destination_fqdns", self.v(it, &r.get("targetFqdns")));
                        rb.put("destination_fqdn_tags", self.v(it, &r.get("fqdnTags")));
                    }
                    _ => {}
                }
                out.push(rb.json());
            }
            if out.is_empty() {
                // azurerm needs at least one rule; an empty collection allows nothing.
                c.get("rules").mark();
                c.get("name").mark();
                c.get("priority").mark();
                c.get("action.type").mark();
                continue;
            }
            let mut cb = B::default();
            cb.put("name", js(c.get("name").str()));
            cb.put("priority", ji(c.get("priority").int()));
            cb.put("action", js(c.get("action.type").str()));
            cb.put("rule", Some(Json::Array(out)));
            match kind.as_str() {
                "NetworkRule" => network.push(cb.json()),
                "ApplicationRule" => application.push(cb.json()),
                _ => {}
            }
        }
        if !network.is_empty() {
            b.put("network_rule_collection", Some(Json::Array(network)));
        }
        if !application.is_empty() {
            b.put(
                "application_rule_collection",
                Some(Json::Array(application)),
            );
        }
        self.add(
            i,
            "azurerm_firewall_policy_rule_collection_group",
            &item_label(it),
            b.json(),
        );
    }

    fn firewall(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let root = it.root();
        let p = root.get("properties");
        let mut b = self.head(it, true);
        b.put("sku_name", js(p.get("sku.name").str()));
        b.put("sku_tier", js(p.get("sku.tier").str()));
        b.put(
            "firewall_policy_id",
            self.id_of(it, &p.get("firewallPolicy.id")),
        );
        b.put("zones", self.v(it, &root.get("zones")));
        let configs: Vec<Json> = p
            .get("ipConfigurations")
            .items()
            .iter()
            .map(|c| {
                let mut cb = B::default();
                cb.put("name", js(c.get("name").str()));
                cb.put(
                    "public_ip_address_id",
                    self.id_of(it, &c.get("properties.publicIPAddress.id")),
                );
                cb.put("subnet_id", self.id_of(it, &c.get("properties.subnet.id")));
                cb.json()
            })
            .collect();
        b.put("ip_configuration", Some(Json::Array(configs)));
        let mgmt = p.get("managementIpConfiguration");
        if mgmt.present() {
            let mut cb = B::default();
            cb.put("name", js(mgmt.get("name").str()));
            cb.put(
                "public_ip_address_id",
                self.id_of(it, &mgmt.get("properties.publicIPAddress.id")),
            );
            cb.put(
                "subnet_id",
                self.id_of(it, &mgmt.get("properties.subnet.id")),
            );
            b.put("management_ip_configuration", Some(json!([cb.json()])));
        }
        self.tags(it, &mut b);
        self.add(i, "azurerm_firewall", &item_label(it), b.json());
    }

    fn dns_zone(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let mut b = self.head(it, false);
        self.tags(it, &mut b);
        self.add(i, "azurerm_private_dns_zone", &item_label(it), b.json());
    }

    fn dns_link(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let names = it.names();
        let mut b = self.head(it, false);
        b.put(
            "private_dns_zone_name",
            Some(self.parent(it.d, types::DNS_ZONE, &names[..1], "name")),
        );
        b.put(
            "virtual_network_id",
            self.id_of(it, &p.get("virtualNetwork.id")),
        );
        b.put(
            "registration_enabled",
            jb(p.get("registrationEnabled").bool()),
        );
        self.tags(it, &mut b);
        self.add(
            i,
            "azurerm_private_dns_zone_virtual_network_link",
            &item_label(it),
            b.json(),
        );
    }

    fn private_endpoint(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = self.head(it, true);
        b.put("subnet_id", self.id_of(it, &p.get("subnet.id")));
        let conns = p.get("privateLinkServiceConnections").items();
        if conns.len() != 1 {
            self.err(
                it,
                &p.get("privateLinkServiceConnections").path,
                "azurerm takes exactly one private link service connection",
            );
        }
        if let Some(c) = conns.first() {
            let mut cb = B::default();
            cb.put("is_manual_connection", Some(Json::Bool(false)));
            cb.put("name", js(c.get("name").str()));
            cb.put(
                "private_connection_resource_id",
                self.id_of(it, &c.get("properties.privateLinkServiceId")),
            );
            cb.put(
                "subresource_names",
                self.v(it, &c.get("properties.groupIds")),
            );
            b.put("private_service_connection", Some(json!([cb.json()])));
        }
        // The DNS zone group, declared as a child in the IR.
        let name = it.name();
        let groups: Vec<usize> = (0..self.items.len())
            .filter(|&j| {
                let x = &self.items[j];
                std::ptr::eq(x.d, it.d)
                    && x.r.rtype == types::PE_DNS
                    && x.names().first() == Some(&name)
            })
            .collect();
        if groups.len() > 1 {
            self.err(
                it,
                "",
                "azurerm takes one private DNS zone group per endpoint",
            );
        }
        if let Some(&j) = groups.first() {
            let g = &self.items[j];
            let ids: Vec<Json> = g
                .root()
                .get("properties.privateDnsZoneConfigs")
                .items()
                .iter()
                .filter_map(|c| self.id_of(g, &c.get("properties.privateDnsZoneId")))
                .collect();
            b.put(
                "private_dns_zone_group",
                Some(json!([{ "name": js(Some(g.name())), "private_dns_zone_ids": ids }])),
            );
        }
        self.tags(it, &mut b);
        self.add(i, "azurerm_private_endpoint", &item_label(it), b.json());
    }

    fn key_vault(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = self.head(it, true);
        b.put("tenant_id", self.v(it, &p.get("tenantId")));
        b.put("sku_name", js(p.get("sku.name").str()));
        b.put(
            "rbac_authorization_enabled",
            jb(p.get("enableRbacAuthorization").bool()),
        );
        b.put(
            "soft_delete_retention_days",
            ji(p.get("softDeleteRetentionInDays").int()),
        );
        b.put(
            "purge_protection_enabled",
            jb(p.get("enablePurgeProtection").bool()),
        );
        b.put(
            "enabled_for_deployment",
            jb(p.get("enabledForDeployment").bool()),
        );
        b.put(
            "enabled_for_disk_encryption",
            jb(p.get("enabledForDiskEncryption").bool()),
        );
        b.put(
            "enabled_for_template_deployment",
            jb(p.get("enabledForTemplateDeployment").bool()),
        );
        b.put(
            "public_network_access_enabled",
            jb(p.get("publicNetworkAccess").enabled()),
        );
        let acls = p.get("networkAcls");
        if acls.present() {
            let mut a = B::default();
            a.put("bypass", js(acls.get("bypass").str()));
            a.put("default_action", js(acls.get("defaultAction").str()));
            let ip_rules = acls.get("ipRules");
            ip_rules.items().is_empty().then(|| ip_rules.mark());
            let ips: Vec<Json> = ip_rules
                .items()
                .iter()
                .filter_map(|r| self.v(it, &r.get("value")))
                .collect();
            a.put("ip_rules", Some(Json::Array(ips)));
            let vnet_rules = acls.get("virtualNetworkRules");
            vnet_rules.items().is_empty().then(|| vnet_rules.mark());
            let subnets: Vec<Json> = vnet_rules
                .items()
                .iter()
                .filter_map(|r| self.id_of(it, &r.get("id")))
                .collect();
            a.put("virtual_network_subnet_ids", Some(Json::Array(subnets)));
            b.put("network_acls", Some(json!([a.json()])));
        }
        self.tags(it, &mut b);
        self.add(i, "azurerm_key_vault", &item_label(it), b.json());
    }

    fn disk_encryption_set(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = self.head(it, true);
        let rotate = p.get("rotationToLatestKeyVersionEnabled").bool();
        // azurerm finds the vault from the key; with automatic rotation it wants the versionless
        // key id, where ARM takes the current version and follows rotations itself.
        p.get("activeKey.sourceVault.id").mark();
        let key = self
            .v(it, &p.get("activeKey.keyUrl"))
            .map(|k| match (k, rotate) {
                (Json::String(s), Some(true)) => {
                    Json::String(s.replace(".id}", ".versionless_id}"))
                }
                (k, _) => k,
            });
        b.put("key_vault_key_id", key);
        b.put("auto_key_rotation_enabled", jb(rotate));
        b.put("encryption_type", js(p.get("encryptionType").str()));
        let identity = it.root().get("identity.type");
        b.put(
            "identity",
            identity
                .str()
                .map(|t| json!([{ "type": t, "identity_ids": null }])),
        );
        self.tags(it, &mut b);
        self.add(i, "azurerm_disk_encryption_set", &item_label(it), b.json());
    }

    fn key_vault_key(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let names = it.names();
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        b.put(
            "key_vault_id",
            Some(self.parent(it.d, types::KV, &names[..1], "id")),
        );
        b.put("key_type", js(p.get("kty").str()));
        b.put("key_size", ji(p.get("keySize").int()));
        b.put("curve", js(p.get("curveName").str()));
        b.put("key_opts", self.v(it, &p.get("keyOps")));
        let rp = p.get("rotationPolicy");
        let mut lifecycle = None;
        if rp.present() {
            let expiry = rp.get("attributes.expiryTime");
            let mut r = B::default();
            r.put("expire_after", js(expiry.str()));
            let mut auto = B::default();
            for a in rp.get("lifetimeActions").items() {
                let action = a.get("action.type");
                let (before, after) = (
                    a.get("trigger.timeBeforeExpiry"),
                    a.get("trigger.timeAfterCreate"),
                );
                if action.is("rotate") {
                    auto.put("time_before_expiry", js(before.str()));
                    auto.put("time_after_creation", js(after.str()));
                } else if action.is("notify") {
                    r.put("notify_before_expiry", js(before.str()));
                }
            }
            if !auto.0.is_empty() {
                r.put("automatic", Some(json!([auto.json()])));
            }
            b.put("rotation_policy", Some(json!([r.json()])));
            // The first version lives as long as the rotated ones.
            if let Some(h) = expiry.v.and_then(scalar).as_deref().and_then(iso_hours) {
                b.put(
                    "expiration_date",
                    Some(json!(format!("${{timeadd(plantimestamp(), \"{h}h\")}}"))),
                );
                lifecycle = Some(json!({ "ignore_changes": ["expiration_date"] }));
            }
        }
        self.tags(it, &mut b);
        b.put("lifecycle", lifecycle);
        self.add(i, "azurerm_key_vault_key", &item_label(it), b.json());
    }

    fn registry(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let root = it.root();
        let p = root.get("properties");
        let mut b = self.head(it, true);
        b.put("sku", js(root.get("sku.name").str()));
        b.put("admin_enabled", jb(p.get("adminUserEnabled").bool()));
        b.put(
            "anonymous_pull_enabled",
            jb(p.get("anonymousPullEnabled").bool()),
        );
        b.put(
            "data_endpoint_enabled",
            jb(p.get("dataEndpointEnabled").bool()),
        );
        b.put(
            "public_network_access_enabled",
            jb(p.get("publicNetworkAccess").enabled()),
        );
        b.put(
            "network_rule_bypass_option",
            js(p.get("networkRuleBypassOptions").str()),
        );
        let rules = p.get("networkRuleSet");
        if rules.present() {
            let ips: Vec<Json> = rules
                .get("ipRules")
                .items()
                .iter()
                .map(|r| {
                    let range = self.v(it, &r.get("value")).map(|v| match v {
                        Json::String(s) if !s.contains('/') => json!(format!("{s}/32")),
                        other => other,
                    });
                    json!({
                        "action": json_or_null(js(r.get("action").str())),
                        "ip_range": json_or_null(range),
                    })
                })
                .collect();
            if ips.is_empty() {
                rules.get("ipRules").mark();
            }
            b.put(
                "network_rule_set",
                Some(json!([{
                    "default_action": json_or_null(js(rules.get("defaultAction").str())),
                    "ip_rule": ips,
                }])),
            );
        }
        b.put(
            "zone_redundancy_enabled",
            jb(p.get("zoneRedundancy").enabled()),
        );
        let pol = p.get("policies");
        b.put(
            "quarantine_policy_enabled",
            jb(pol.get("quarantinePolicy.status").enabled()),
        );
        b.put(
            "trust_policy_enabled",
            jb(pol.get("trustPolicy.status").enabled()),
        );
        pol.get("trustPolicy.type").is("Notary");
        let retention = pol.get("retentionPolicy");
        match retention.get("status").enabled() {
            Some(true) => b.put("retention_policy_in_days", ji(retention.get("days").int())),
            Some(false) => {
                retention.get("days").mark();
                &mut b
            }
            None => &mut b,
        };
        b.put(
            "export_policy_enabled",
            jb(pol.get("exportPolicy.status").enabled()),
        );
        self.tags(it, &mut b);
        self.add(i, "azurerm_container_registry", &item_label(it), b.json());
    }

    fn diagnostics(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        b.put("target_resource_id", self.target(it).map(Json::String));
        b.put(
            "log_analytics_workspace_id",
            self.id_of(it, &p.get("workspaceId")),
        );
        b.put(
            "log_analytics_destination_type",
            js(p.get("logAnalyticsDestinationType").str()),
        );
        let logs: Vec<Json> = p
            .get("logs")
            .items()
            .iter()
            .filter(|l| l.get("enabled").is("true"))
            .map(|l| {
                let mut lb = B::default();
                lb.put("category", js(l.get("category").str()));
                lb.put("category_group", js(l.get("categoryGroup").str()));
                lb.json()
            })
            .collect();
        if !logs.is_empty() {
            b.put("enabled_log", Some(Json::Array(logs)));
        }
        let metrics: Vec<Json> = p
            .get("metrics")
            .items()
            .iter()
            .filter(|m| m.get("enabled").is("true"))
            .map(|m| json!({ "category": json_or_null(js(m.get("category").str())) }))
            .collect();
        if !metrics.is_empty() {
            b.put("enabled_metric", Some(Json::Array(metrics)));
        }
        self.add(
            i,
            "azurerm_monitor_diagnostic_setting",
            &item_label(it),
            b.json(),
        );
    }

    fn role_assignment(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        // The name is a GUID expression in ARM; azurerm derives its own deterministic one from
        // scope, principal and role.
        if let Name::Literal(_) = it.r.name {
            b.put("name", js(Some(it.name())));
        }
        b.put("scope", self.target(it).map(Json::String));
        b.put("role_definition_id", self.v(it, &p.get("roleDefinitionId")));
        b.put("principal_id", self.v(it, &p.get("principalId")));
        b.put("principal_type", js(p.get("principalType").str()));
        b.put("description", js(p.get("description").str()));
        self.add(i, "azurerm_role_assignment", &item_label(it), b.json());
    }

    fn lock(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        let scope = match (&it.r.scope, &it.d.scope) {
            (Some(_), _) => self.target(it).map(Json::String),
            (None, Scope::ResourceGroup { resource_group, .. }) => {
                match self.resolve(
                    it.d,
                    None,
                    None,
                    types::RG,
                    &[Expr::Str(resource_group.clone())],
                ) {
                    Ok(a) => Some(interp(&a.id())),
                    Err(e) => {
                        self.err(it, "scope", &e);
                        None
                    }
                }
            }
            (None, Scope::Subscription { .. }) => {
                let sub = self.subscription_data(&it.d.scope);
                Some(interp(&format!("data.azurerm_subscription.{sub}.id")))
            }
        };
        b.put("scope", scope);
        b.put("lock_level", js(p.get("level").str()));
        b.put("notes", js(p.get("notes").str()));
        self.add(i, "azurerm_management_lock", &item_label(it), b.json());
    }

    fn policy_assignment(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let p = it.root().get("properties");
        let mut b = B::default();
        b.put("provider", self.provider(it.d));
        b.put("name", js(Some(it.name())));
        if it.r.scope.is_none() {
            self.err(
                it,
                "scope",
                "only policy assignments scoped to a resource are translated",
            );
        }
        b.put("resource_id", self.target(it).map(Json::String));
        b.put(
            "policy_definition_id",
            self.v(it, &p.get("policyDefinitionId")),
        );
        b.put("display_name", js(p.get("displayName").str()));
        b.put("description", js(p.get("description").str()));
        let enforce = p.get("enforcementMode");
        let e = if enforce.is("Default") {
            Some(true)
        } else if enforce.is("DoNotEnforce") {
            Some(false)
        } else {
            None
        };
        b.put("enforce", jb(e));
        let params = p.get("parameters");
        if let Some(Json::Object(m)) = self.v(it, &params) {
            if !m.is_empty() {
                let text = serde_json::to_string(&Json::Object(m)).unwrap_or_default();
                b.put("parameters", Some(Json::String(text)));
            }
        }
        self.add(
            i,
            "azurerm_resource_policy_assignment",
            &item_label(it),
            b.json(),
        );
    }

    /// `azapi_update_resource` for the pieces azurerm cannot set.
    fn azapi_update(
        &mut self,
        i: usize,
        lab: &str,
        rtype: &str,
        resource_id: String,
        body: Json,
        after: Vec<String>,
    ) {
        let api = crate::azure::types::api_version(rtype);
        let mut b = B::default();
        b.put("type", Some(json!(format!("{rtype}@{api}"))));
        b.put("resource_id", Some(json!(resource_id)));
        b.put("body", Some(body));
        b.put("depends_on", (!after.is_empty()).then(|| json!(after)));
        self.add(i, "azapi_update_resource", lab, b.json());
    }

    fn pool(&mut self, it: &Item, pool: &N, default: bool) -> (B, Option<Json>) {
        let mut b = B::default();
        b.put("name", js(pool.get("name").str()));
        if default {
            pool.get("mode").is("System");
        } else {
            b.put("mode", js(pool.get("mode").str()));
            b.put("os_type", js(pool.get("osType").str()));
        }
        b.put("type", js(pool.get("type").str()).filter(|_| default));
        b.put("vm_size", js(pool.get("vmSize").str()));
        b.put("node_count", ji(pool.get("count").int()));
        b.put(
            "auto_scaling_enabled",
            jb(pool.get("enableAutoScaling").bool()),
        );
        b.put("min_count", ji(pool.get("minCount").int()));
        b.put("max_count", ji(pool.get("maxCount").int()));
        b.put("zones", self.v(it, &pool.get("availabilityZones")));
        b.put("os_sku", js(pool.get("osSKU").str()));
        b.put("os_disk_type", js(pool.get("osDiskType").str()));
        b.put("os_disk_size_gb", ji(pool.get("osDiskSizeGB").int()));
        b.put("max_pods", ji(pool.get("maxPods").int()));
        b.put("vnet_subnet_id", self.id_of(it, &pool.get("vnetSubnetID")));
        b.put(
            "node_public_ip_enabled",
            jb(pool.get("enableNodePublicIP").bool()),
        );
        b.put(
            "host_encryption_enabled",
            jb(pool.get("enableEncryptionAtHost").bool()),
        );
        b.put("fips_enabled", jb(pool.get("enableFIPS").bool()));
        b.put("workload_runtime", js(pool.get("workloadRuntime").str()));
        b.put("node_labels", self.v(it, &pool.get("nodeLabels")));
        let mut azapi = Map::new();
        let taints = pool.get("nodeTaints");
        if default {
            // default_node_pool spells the CriticalAddonsOnly taint as a switch; other taints go
            // through azapi.
            let list: Vec<String> = taints
                .items()
                .iter()
                .filter_map(|t| t.v.and_then(scalar))
                .collect();
            if list.iter().any(|t| t == CRITICAL_ONLY) {
                b.put("only_critical_addons_enabled", Some(Json::Bool(true)));
            }
            if list.iter().any(|t| t != CRITICAL_ONLY) {
                azapi.insert("nodeTaints".into(), json!(list));
            }
            taints.mark();
        } else {
            b.put("node_taints", self.v(it, &taints));
        }
        if let Some(s) = pool.get("upgradeSettings.maxSurge").str() {
            b.put(
                "upgrade_settings",
                Some(json!([{ "max_surge": literal(s) }])),
            );
        }
        if let Some(ssh) = pool.get("securityProfile.sshAccess").str() {
            azapi.insert("securityProfile".into(), json!({ "sshAccess": ssh }));
        }
        let azapi = (!azapi.is_empty()).then(|| json!({ "properties": azapi }));
        (b, azapi)
    }

    fn maintenance_window(&mut self, it: &Item, w: &N) -> Option<Json> {
        let mut b = B::default();
        let s = w.get("schedule");
        if s.get("weekly").present() {
            b.put("frequency", Some(json!("Weekly")));
            b.put("interval", ji(s.get("weekly.intervalWeeks").int()));
            b.put("day_of_week", js(s.get("weekly.dayOfWeek").str()));
        } else if s.get("daily").present() {
            b.put("frequency", Some(json!("Daily")));
            b.put("interval", ji(s.get("daily.intervalDays").int()));
        } else if s.get("absoluteMonthly").present() {
            b.put("frequency", Some(json!("AbsoluteMonthly")));
            b.put(
                "interval",
                ji(s.get("absoluteMonthly.intervalMonths").int()),
            );
            b.put(
                "day_of_month",
                ji(s.get("absoluteMonthly.dayOfMonth").int()),
            );
        } else if s.get("relativeMonthly").present() {
            b.put("frequency", Some(json!("RelativeMonthly")));
            b.put(
                "interval",
                ji(s.get("relativeMonthly.intervalMonths").int()),
            );
            b.put("day_of_week", js(s.get("relativeMonthly.dayOfWeek").str()));
            b.put("week_index", js(s.get("relativeMonthly.weekIndex").str()));
        } else {
            self.err(it, &s.path, "a maintenance window without a schedule");
            return None;
        }
        b.put("duration", ji(w.get("durationHours").int()));
        b.put("start_time", js(w.get("startTime").str()));
        b.put("utc_offset", js(w.get("utcOffset").str()));
        b.put("start_date", js(w.get("startDate").str()));
        Some(json!([b.json()]))
    }

    fn cluster(&mut self, i: usize) {
        let items = self.items;
        let it = &items[i];
        let root = it.root();
        let p = root.get("properties");
        let lab = item_label(it);
        let cluster = Addr::new("azurerm_kubernetes_cluster", lab.clone());
        let mut b = self.head(it, true);
        b.put("kubernetes_version", js(p.get("kubernetesVersion").str()));
        b.put("dns_prefix", js(p.get("dnsPrefix").str()));
        b.put("node_resource_group", js(p.get("nodeResourceGroup").str()));
        b.put("sku_tier", js(root.get("sku.tier").str()));
        root.get("sku.name").is("Base");

        // Identity.
        let id = root.get("identity");
        let ids = match id.get("userAssignedIdentities").v {
            Some(Value::ExprKeyed(kv)) => {
                let mut out = Vec::new();
                for (k, _) in kv {
                    match self.expr(it.d, k) {
                        Ok(s) => out.push(Json::String(s)),
                        Err(e) => self.err(it, "identity.userAssignedIdentities", &e),
                    }
                }
                id.get("userAssignedIdentities").mark();
                Some(Json::Array(out))
            }
            _ => None,
        };
        if id.present() {
            let mut ib = B::default();
            ib.put("type", js(id.get("type").str()));
            ib.put("identity_ids", ids);
            b.put("identity", Some(json!([ib.json()])));
        }
        let kubelet = p.get("identityProfile.kubeletidentity");
        if kubelet.present() {
            let mut kb = B::default();
            kb.put("client_id", self.v(it, &kubelet.get("clientId")));
            kb.put("object_id", self.v(it, &kubelet.get("objectId")));
            kb.put(
                "user_assigned_identity_id",
                self.id_of(it, &kubelet.get("resourceId")),
            );
            b.put("kubelet_identity", Some(json!([kb.json()])));
        }

        // Access.
        b.put(
            "role_based_access_control_enabled",
            jb(p.get("enableRBAC").bool()),
        );
        b.put(
            "local_account_disabled",
            jb(p.get("disableLocalAccounts").bool()),
        );
        let aad = p.get("aadProfile");
        if aad.present() && aad.get("managed").is("true") {
            let mut ab = B::default();
            ab.put(
                "admin_group_object_ids",
                self.v(it, &aad.get("adminGroupObjectIDs")),
            );
            ab.put("azure_rbac_enabled", jb(aad.get("enableAzureRBAC").bool()));
            ab.put("tenant_id", self.v(it, &aad.get("tenantID")));
            b.put(
                "azure_active_directory_role_based_access_control",
                Some(json!([ab.json()])),
            );
        }
        let api = p.get("apiServerAccessProfile");
        b.put(
            "private_cluster_enabled",
            jb(api.get("enablePrivateCluster").bool()),
        );
        b.put(
            "private_cluster_public_fqdn_enabled",
            jb(api.get("enablePrivateClusterPublicFQDN").bool()),
        );
        let zone = api.get("privateDNSZone");
        let zone_value = match zone.v.and_then(scalar).as_deref() {
            Some(z) if z.eq_ignore_ascii_case("system") => js(zone.str().map(|_| "System")),
            Some(z) if z.eq_ignore_ascii_case("none") => js(zone.str().map(|_| "None")),
            Some(_) => self.v(it, &zone),
            None => None,
        };
        b.put("private_dns_zone_id", zone_value);
        b.put(
            "run_command_enabled",
            jb(api.get("disableRunCommand").bool().map(|x| !x)),
        );
        let mut ab = B::default();
        ab.put(
            "authorized_ip_ranges",
            self.v(it, &api.get("authorizedIPRanges")),
        );
        ab.put(
            "virtual_network_integration_enabled",
            jb(api.get("enableVnetIntegration").bool()),
        );
        ab.put("subnet_id", self.id_of(it, &api.get("subnetId")));
        if !ab.0.is_empty() {
            b.put("api_server_access_profile", Some(json!([ab.json()])));
        }

        // Upgrades.
        let up = p.get("autoUpgradeProfile");
        let channel = up.get("upgradeChannel");
        if !channel.is("none") {
            b.put("automatic_upgrade_channel", js(channel.str()));
        }
        b.put(
            "node_os_upgrade_channel",
            js(up.get("nodeOSUpgradeChannel").str()),
        );
        let cname = it.name();
        let windows: Vec<usize> = (0..self.items.len())
            .filter(|&j| {
                let x = &self.items[j];
                std::ptr::eq(x.d, it.d)
                    && x.r.rtype == types::AKS_MAINT
                    && x.names().first() == Some(&cname)
            })
            .collect();
        for j in windows {
            let m = &self.items[j];
            let attr = match m.name() {
                "aksManagedAutoUpgradeSchedule" => "maintenance_window_auto_upgrade",
                "aksManagedNodeOSUpgradeSchedule" => "maintenance_window_node_os",
                _ => {
                    self.err(
                        m,
                        "",
                        "azurerm has no block for this maintenance configuration",
                    );
                    continue;
                }
            };
            let w = m.root().get("properties.maintenanceWindow");
            let block = self.maintenance_window(m, &w);
            b.put(attr, block);
        }

        // Network.
        let net = p.get("networkProfile");
        if net.present() {
            let mut nb = B::default();
            for (attr, prop) in [
                ("network_plugin", "networkPlugin"),
                ("network_plugin_mode", "networkPluginMode"),
                ("network_policy", "networkPolicy"),
                ("network_data_plane", "networkDataplane"),
                ("pod_cidr", "podCidr"),
                ("service_cidr", "serviceCidr"),
                ("dns_service_ip", "dnsServiceIP"),
                ("outbound_type", "outboundType"),
                ("load_balancer_sku", "loadBalancerSku"),
            ] {
                nb.put(attr, js(net.get(prop).str()));
            }
            b.put("network_profile", Some(json!([nb.json()])));
        }

        // Pools: the first System pool is the default pool.
        let pools = p.get("agentPoolProfiles").items();
        let first = pools
            .iter()
            .position(|x| x.get("mode").v.and_then(scalar).as_deref() == Some("System"));
        let mut extra = Vec::new();
        let mut azapi = Vec::new();
        for (k, pool) in pools.iter().enumerate() {
            let default = Some(k) == first;
            let (pb, update) = self.pool(it, pool, default);
            let name = pool.get("name").v.and_then(scalar).unwrap_or_default();
            if default {
                b.put("default_node_pool", Some(json!([pb.json()])));
                if let Some(body) = update {
                    azapi.push((
                        label(&[&lab, &name, "settings"]),
                        format!("${{{}}}/agentPools/{name}", cluster.id()),
                        body,
                    ));
                }
            } else {
                extra.push((name, pb, update));
            }
        }
        if first.is_none() {
            self.err(
                it,
                &p.get("agentPoolProfiles").path,
                "no System pool for default_node_pool",
            );
        }

        // Add-ons and security.
        let addons = p.get("addonProfiles");
        b.put(
            "azure_policy_enabled",
            jb(addons.get("azurepolicy.enabled").bool()),
        );
        b.put(
            "http_application_routing_enabled",
            jb(addons.get("httpApplicationRouting.enabled").bool()),
        );
        let oms = addons.get("omsagent");
        if oms.get("enabled").is("true") {
            let mut ob = B::default();
            ob.put(
                "log_analytics_workspace_id",
                self.id_of(it, &oms.get("config.logAnalyticsWorkspaceResourceID")),
            );
            let aad = oms.get("config.useAADAuth");
            let msi = if aad.is("true") {
                Some(true)
            } else if aad.is("false") {
                Some(false)
            } else {
                None
            };
            ob.put("msi_auth_for_monitoring_enabled", jb(msi));
            b.put("oms_agent", Some(json!([ob.json()])));
        } else {
            oms.get("enabled").is("false");
        }
        let kv = addons.get("azureKeyvaultSecretsProvider");
        if kv.get("enabled").is("true") {
            let mut kb = B::default();
            let rot = kv.get("config.enableSecretRotation");
            let r = if rot.is("true") {
                Some(true)
            } else if rot.is("false") {
                Some(false)
            } else {
                None
            };
            kb.put("secret_rotation_enabled", jb(r));
            kb.put(
                "secret_rotation_interval",
                js(kv.get("config.rotationPollInterval").str()),
            );
            b.put("key_vault_secrets_provider", Some(json!([kb.json()])));
        } else {
            kv.get("enabled").is("false");
        }
        b.put(
            "oidc_issuer_enabled",
            jb(p.get("oidcIssuerProfile.enabled").bool()),
        );
        let sec = p.get("securityProfile");
        b.put(
            "workload_identity_enabled",
            jb(sec.get("workloadIdentity.enabled").bool()),
        );
        let cleaner = sec.get("imageCleaner");
        b.put("image_cleaner_enabled", jb(cleaner.get("enabled").bool()));
        b.put(
            "image_cleaner_interval_hours",
            ji(cleaner.get("intervalHours").int()),
        );
        let defender = sec.get("defender");
        if defender.present() && defender.get("securityMonitoring.enabled").is("true") {
            b.put(
                "microsoft_defender",
                Some(json!([{
                    "log_analytics_workspace_id":
                        json_or_null(self.id_of(it, &defender.get("logAnalyticsWorkspaceResourceId"))),
                }])),
            );
        }
        let kms = sec.get("azureKeyVaultKms");
        if kms.present() && kms.get("enabled").v == Some(&Value::Bool(true)) {
            let mut kb = B::default();
            kb.put("key_vault_key_id", self.v(it, &kms.get("keyId")));
            kb.put(
                "key_vault_network_access",
                js(kms.get("keyVaultNetworkAccess").str()),
            );
            b.put("key_management_service", Some(json!([kb.json()])));
        }
        let mesh = p.get("serviceMeshProfile");
        if mesh.present() {
            let mut mb = B::default();
            mb.put("mode", js(mesh.get("mode").str()));
            mb.put("revisions", self.v(it, &mesh.get("istio.revisions")));
            for g in mesh.get("istio.components.ingressGateways").items() {
                let attr = if g.get("mode").is("Internal") {
                    "internal_ingress_gateway_enabled"
                } else if g.get("mode").is("External") {
                    "external_ingress_gateway_enabled"
                } else {
                    continue;
                };
                mb.put(attr, jb(g.get("enabled").bool()));
            }
            b.put("service_mesh_profile", Some(json!([mb.json()])));
        }
        b.put(
            "disk_encryption_set_id",
            self.v(it, &p.get("diskEncryptionSetID")),
        );
        self.tags(it, &mut b);
        b.put(
            "lifecycle",
            Some(json!({ "ignore_changes": ["default_node_pool[0].node_count"] })),
        );
        self.add(i, "azurerm_kubernetes_cluster", &lab, b.json());

        let mut pools_done = Vec::new();
        for (name, pb, update) in extra {
            let pl = label(&[&lab, &name]);
            let mut pb = pb;
            let mut nb = B::default();
            nb.put("provider", self.provider(it.d));
            nb.put("kubernetes_cluster_id", Some(interp(&cluster.id())));
            for (k, v) in std::mem::take(&mut pb.0) {
                nb.put(&k, Some(v));
            }
            nb.put(
                "lifecycle",
                Some(json!({ "ignore_changes": ["node_count"] })),
            );
            self.add(i, "azurerm_kubernetes_cluster_node_pool", &pl, nb.json());
            pools_done.push(format!("azurerm_kubernetes_cluster_node_pool.{pl}"));
            if let Some(body) = update {
                azapi.push((
                    label(&[&pl, "settings"]),
                    format!("${{azurerm_kubernetes_cluster_node_pool.{pl}.id}}"),
                    body,
                ));
            }
        }

        // What azurerm cannot set, one update at a time once every pool exists: AKS refuses an
        // operation on the cluster while another one runs.
        let mut updates = Vec::new();
        let restriction = p.get("nodeResourceGroupProfile.restrictionLevel");
        if let Some(level) = restriction.str() {
            updates.push((
                label(&[&lab, "node_resource_group"]),
                types::AKS,
                format!("${{{}}}", cluster.id()),
                json!({ "properties": { "nodeResourceGroupProfile": { "restrictionLevel": level } } }),
            ));
        }
        for (l, id, body) in azapi {
            updates.push((l, types::AKS_POOL, id, body));
        }
        let mut after = pools_done;
        for (l, rtype, id, body) in updates {
            self.azapi_update(i, &l, rtype, id, body, std::mem::take(&mut after));
            after = vec![format!("azapi_update_resource.{l}")];
        }
    }

    // ----- after every resource

    /// `depends_on` for IR dependencies that no reference carries, and a cluster's wait for the
    /// grants and private endpoints of the deployments it depends on.
    fn dependencies(&mut self) {
        for i in 0..self.items.len() {
            let items = self.items;
            let it = &items[i];
            let Some(me) = primary(items, i) else {
                continue;
            };
            if self.produced[i].is_empty() {
                continue;
            }
            let text: String = self.produced[i]
                .iter()
                .filter_map(|(t, l)| self.m.get(t, l))
                .map(ToString::to_string)
                .collect();
            // A dependency is carried when any resource translated from it is referenced, e.g.
            // a subnet of the VNet the IR names.
            let carried = |j: usize| {
                self.produced[j]
                    .iter()
                    .any(|(t, l)| text.contains(&format!("{t}.{l}.")))
            };
            // Candidates: (address, already carried by a reference).
            let mut cands: Vec<(String, bool)> = Vec::new();
            for dep in &it.r.depends_on {
                let found = (0..items.len())
                    .find(|&j| std::ptr::eq(items[j].d, it.d) && &items[j].r.id == dep);
                if let Some(j) = found {
                    if let Some(a) = primary(items, j).filter(|a| *a != me) {
                        cands.push((a.whole(), carried(j)));
                    }
                }
            }
            if it.r.rtype == types::AKS {
                // What AKS checks when it creates the cluster and no reference carries: its
                // identities' roles, the private endpoints, the peering to the hub, and the
                // subnets' route table and NSG (egress through the firewall).
                for (j, x) in items.iter().enumerate() {
                    if !it.d.depends_on.contains(&x.d.id) {
                        continue;
                    }
                    match x.r.rtype.as_str() {
                        types::ROLE | types::PE | types::PEERING => {
                            if let Some(a) = primary(items, j) {
                                cands.push((a.whole(), carried(j)));
                            }
                        }
                        types::VNET => {
                            for (t, l) in &self.produced[j] {
                                if t.ends_with("_association") {
                                    let whole = format!("{t}.{l}");
                                    let refd = text.contains(&format!("{whole}."));
                                    cands.push((whole, refd));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            let mut deps: Vec<String> = Vec::new();
            for (whole, refd) in cands {
                if !refd && !deps.contains(&whole) {
                    deps.push(whole);
                }
            }
            if deps.is_empty() {
                continue;
            }
            if let Some(Json::Object(body)) = self.m.resource_mut(me.rtype, &me.label) {
                let lifecycle = body.remove("lifecycle");
                body.insert("depends_on".into(), json!(deps));
                if let Some(l) = lifecycle {
                    body.insert("lifecycle".into(), l);
                }
            }
        }
    }

    fn data_sources(&mut self) {
        if self.client_config {
            self.m
                .data("data", "azurerm_client_config", "connectivity", json!({}));
        }
        for alias in std::mem::take(&mut self.subscriptions) {
            let (lab, body) = match &alias {
                Some(a) => (a.clone(), json!({ "provider": format!("azurerm.{a}") })),
                None => ("connectivity".to_string(), json!({})),
            };
            self.m.data("data", "azurerm_subscription", &lab, body);
        }
    }

    fn outputs(&mut self) {
        for i in 0..self.items.len() {
            let items = self.items;
            let it = &items[i];
            let lab = item_label(it);
            let (tf, attr, suffix, what) = match it.r.rtype.as_str() {
                types::AKS => (
                    "azurerm_kubernetes_cluster",
                    "id",
                    "id",
                    "resource id of cluster",
                ),
                types::FW => (
                    "azurerm_firewall",
                    "ip_configuration[0].private_ip_address",
                    "private_ip",
                    "private IP address of firewall",
                ),
                types::ACR => (
                    "azurerm_container_registry",
                    "login_server",
                    "login_server",
                    "login server of registry",
                ),
                types::KV => ("azurerm_key_vault", "vault_uri", "uri", "URI of key vault"),
                _ => continue,
            };
            self.m.output(
                &label(&[&lab, suffix]),
                interp(&format!("{tf}.{lab}.{attr}")),
                &format!("The {what} {}", it.name()),
            );
        }
    }
}

fn json_or_null(v: Option<Json>) -> Json {
    v.unwrap_or(Json::Null)
}
