//! References between resources: ARM resource ids and `reference()` reads resolved to the
//! Terraform addresses and attributes the azurerm translation declares, parameters and the
//! deployment's own subscription and tenant read from the provider's credentials, and IR values
//! spelled as Terraform JSON.

use super::{How, Item, KINDS, N, Tx};
use crate::azure::types;
use crate::emit::terraform::{
    FxBuild, cat, id_parts, interp, json_value, label, literal, param_hcl, print_value, scope_rg,
    sub_param,
};
use crate::ir::{Deployment, Expr, Scope, Target, Value};
use indexmap::IndexMap;
use serde_json::Value as Json;

/// The azurerm type of a subnet, which the translation declares apart from its VNet.
pub(super) const SUBNET: &str = "azurerm_subnet";

/// The data source that reads the provider's credentials.
const CLIENT: &str = "data.azurerm_client_config.connectivity";

/// A Terraform resource address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Addr {
    pub(super) rtype: &'static str,
    pub(super) label: String,
    /// The attribute that holds the ARM resource id.
    pub(super) id_attr: &'static str,
}

impl Addr {
    pub(super) fn new(rtype: &'static str, label: String) -> Addr {
        Addr {
            rtype,
            label,
            id_attr: "id",
        }
    }

    pub(super) fn at(&self, attr: &str) -> String {
        cat(&[self.rtype, ".", &self.label, ".", attr])
    }

    pub(super) fn id(&self) -> String {
        self.at(self.id_attr)
    }

    /// `${type.label.attr}`, the id attribute when `attr` is `None`.
    pub(super) fn interp_at(&self, attr: Option<&str>) -> String {
        let attr = attr.unwrap_or(self.id_attr);
        cat(&["${", self.rtype, ".", &self.label, ".", attr, "}"])
    }

    pub(super) fn whole(&self) -> String {
        cat(&[self.rtype, ".", &self.label])
    }
}

/// Declared resources by (resource group, type, names), all lower case.
pub(super) type Keys = IndexMap<(String, String, Vec<String>), Vec<Key>, FxBuild>;

/// What an IR resource is known by: subscription parameter, resource group, type and names.
pub(super) struct Key {
    sub: Option<String>,
    rg: String,
    rtype: String,
    names: Vec<String>,
    addr: Addr,
}

/// The label of the block an IR resource becomes, from its deployment's and its own id.
pub(super) fn item_label<'i>(it: &'i Item) -> &'i str {
    &it.label
}

/// [`item_label`], worked out once per item.
pub(super) fn label_of(d: &Deployment, r: &crate::ir::Resource) -> String {
    label(&[&d.id, &r.id])
}

/// The address an IR resource translates to (its host's, for resources folded into a parent).
pub(super) fn primary(items: &[Item], i: usize) -> Option<Addr> {
    let it = &items[i];
    let k = it.kind?;
    if let How::Into(host) = k.how {
        let j = it.siblings.start
            + it.siblings(items)
                .iter()
                .position(|x| it.related(x, host))?;
        return primary(items, j);
    }
    Some(Addr {
        rtype: k.tf,
        label: item_label(it).to_string(),
        id_attr: k.id_attr,
    })
}

pub(super) fn subnet_label(vnet: &Addr, subnet: &str) -> String {
    label(&[&vnet.label, subnet])
}

/// Every declared resource (and every subnet declared inside its VNet) by what ids name it.
pub(super) fn keys(items: &[Item]) -> Keys {
    let mut keys = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let Some(addr) = primary(items, i) else {
            continue;
        };
        let rg = if it.r.rtype == types::RG {
            String::new()
        } else {
            scope_rg(&it.d.scope).to_lowercase()
        };
        let names: Vec<String> = it.names().iter().map(|s| s.to_lowercase()).collect();
        let sub = sub_param(&it.d.scope).map(str::to_string);
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
                        addr: Addr::new(SUBNET, subnet_label(&addr, n)),
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
    let mut index = Keys::default();
    index.reserve(keys.len());
    for mut k in keys {
        // The key's parts move into the index's key; a `Key` keeps only what tells two apart.
        let at = (
            std::mem::take(&mut k.rg),
            std::mem::take(&mut k.rtype),
            std::mem::take(&mut k.names),
        );
        index.entry(at).or_default().push(k);
    }
    index
}

impl Tx<'_, '_> {
    fn param(&mut self, p: &str) -> String {
        let (e, client) = param_hcl(self.t, p, CLIENT);
        self.client_config |= client;
        cat(&["${", &e, "}"])
    }

    /// Find the Terraform resource behind an ARM resource id.
    pub(super) fn resolve(
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
                None => scope_rg(&d.scope).to_lowercase(),
            }
        };
        let names = names.iter().map(lit).collect::<Result<Vec<_>, _>>()?;
        let sub = match sub {
            Some(Expr::Param(p)) => Some(p.as_str()),
            Some(_) => return Err("a resource id in a computed subscription".into()),
            None => sub_param(&d.scope),
        };
        let key = (rg, rtype.to_lowercase(), names);
        let found: &[Key] = self.keys.get(&key).map_or(&[], Vec::as_slice);
        let pick = match found {
            [one] => Some(one),
            [] => None,
            many => {
                let mut same = many.iter().filter(|k| k.sub.as_deref() == sub);
                match (same.next(), same.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            }
        };
        pick.map(|k| k.addr.clone()).ok_or_else(|| {
            let (rg, rtype, names) = key;
            format!(
                "a reference to {rtype} {} in resource group {rg:?}, which the template does not declare",
                names.join("/")
            )
        })
    }

    /// Find the Terraform resource behind an id expression.
    fn resolve_id(&self, d: &Deployment, id: &Expr) -> Result<Addr, String> {
        let (sub, rg, rtype, names) = id_parts(id)?;
        self.resolve(d, sub, rg, rtype, names)
    }

    /// An expression as a JSON string: a literal, `${…}`, or a template.
    pub(super) fn expr(&mut self, d: &Deployment, e: &Expr) -> Result<String, String> {
        Ok(match e {
            Expr::Str(s) => literal(s),
            Expr::Param(p) => self.param(p),
            Expr::DeploymentSubscriptionId => {
                self.client_config = true;
                format!("${{{CLIENT}.subscription_id}}")
            }
            Expr::DeploymentTenantId => {
                self.client_config = true;
                format!("${{{CLIENT}.tenant_id}}")
            }
            Expr::ResourceId { .. } => self.resolve_id(d, e)?.interp_at(None),
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
            Expr::Reference { id, full, path, .. } => {
                let a = self.resolve_id(d, id)?;
                let path = path.join(".");
                let from_root = if *full {
                    path
                } else {
                    format!("properties.{path}")
                };
                let attr = KINDS
                    .iter()
                    .find(|k| k.tf == a.rtype)
                    .and_then(|k| k.reads.iter().find(|(p, _)| *p == from_root))
                    .map(|(_, attr)| *attr)
                    .ok_or_else(|| {
                        format!("no azurerm attribute of {} for {from_root}", a.rtype)
                    })?;
                a.interp_at(Some(attr))
            }
            Expr::Guid(_) => return Err("a GUID expression has no azurerm spelling".into()),
            Expr::Strings(_) => return Err("a list inside a string".into()),
        })
    }

    /// An IR value as Terraform JSON.
    pub(super) fn spell(&mut self, d: &Deployment, v: &Value) -> Result<Json, String> {
        json_value(v, false, &mut |e| self.expr(d, e))
    }

    /// A node's value as Terraform JSON (references as `${…}`), recorded as translated; errors
    /// are recorded too.
    pub(super) fn v(&mut self, it: &Item, n: &N) -> Option<Json> {
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

    /// [`Tx::v`] printed at nesting `depth` rather than built.
    pub(super) fn v_printed(&mut self, it: &Item, n: &N, depth: usize) -> Option<String> {
        let v = n.v.filter(|v| **v != Value::Null)?;
        let mut out = String::new();
        match print_value(&mut out, v, depth, &mut |e| self.expr(it.d, e)) {
            Ok(()) => {
                n.mark();
                Some(out)
            }
            Err(e) => {
                self.err(it, &n.path, &e);
                None
            }
        }
    }

    /// The id of an extension resource's target, as `${…}`.
    pub(super) fn target(&mut self, it: &Item) -> Option<String> {
        let Some(target) = &it.r.scope else {
            self.err(it, "scope", "an extension resource without a target");
            return None;
        };
        match self.resolve_target(it.d, target) {
            Ok(a) => Some(a.interp_at(None)),
            Err(e) => {
                self.err(it, "scope", &e);
                None
            }
        }
    }

    fn resolve_target(&self, d: &Deployment, target: &Target) -> Result<Addr, String> {
        let names: Vec<Expr> = target.names.iter().map(|n| Expr::Str(n.clone())).collect();
        self.resolve(d, None, None, &target.rtype, &names)
    }

    /// The data source label of a scope's subscription.
    pub(super) fn subscription_data(&mut self, scope: &Scope) -> String {
        let alias = self.providers.alias(scope).map(|a| a.name.clone());
        if self.subscribed.insert(alias.clone()) {
            self.subscriptions.push(alias.clone());
        }
        alias.unwrap_or_else(|| "connectivity".into())
    }

    /// `provider`, for resources in another subscription.
    pub(super) fn provider(&self, d: &Deployment) -> Option<Json> {
        self.providers
            .alias(&d.scope)
            .map(|a| Json::String(cat(&["azurerm.", &a.name])))
    }

    /// The resource group's name, as a reference when the template declares the group.
    pub(super) fn rg_name(&self, d: &Deployment) -> Json {
        // The same for every resource of a deployment: resolved once per deployment.
        let at = std::ptr::from_ref(d);
        if let Some(j) = self.rg_names.borrow().get(&at) {
            return j.clone();
        }
        let j = self.resolve_rg_name(d);
        self.rg_names.borrow_mut().insert(at, j.clone());
        j
    }

    fn resolve_rg_name(&self, d: &Deployment) -> Json {
        let rg = scope_rg(&d.scope);
        match self.resolve(d, None, None, types::RG, &[Expr::Str(rg.to_string())]) {
            Ok(a) => interp(&a.at("name")),
            Err(_) => Json::String(literal(rg)),
        }
    }

    /// An attribute of a child's parent (of type `rtype`, named by the child's first name), or
    /// the parent's literal name when the template does not declare it.
    pub(super) fn parent(&self, it: &Item, rtype: &str, attr: &str) -> Json {
        let name = it.names()[0];
        match self.resolve(it.d, None, None, rtype, &[Expr::Str(name.to_string())]) {
            Ok(a) if attr == "id" => interp(&a.id()),
            Ok(a) => interp(&a.at(attr)),
            Err(_) => Json::String(literal(name)),
        }
    }
}
