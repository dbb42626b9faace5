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

/// Declared resources by a hash of (resource group, type, names) in lower case ([`key_hash`]);
/// a lookup keeps only the entries whose parts equal its own, so two keys that share a hash are
/// never taken for each other. The parts are read from the items, never copied.
pub(super) type Keys<'t> = IndexMap<u64, Vec<Key<'t>>, FxBuild>;

/// A declared resource: its item, and for a subnet declared inside its VNet the subnet's name.
pub(super) struct Key<'t> {
    item: usize,
    subnet: Option<&'t str>,
}

/// The hash of (resource group, type, names), each part in lower case: equal for parts equal
/// in lower case (each part's lower-case text is hashed eight bytes at a time, then its length).
fn key_hash<'a>(rg: &'a str, rtype: &'a str, names: impl Iterator<Item = &'a str>) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = FxBuild::default().build_hasher();
    let mut lowered = String::new();
    for part in [rg, rtype].into_iter().chain(names) {
        let bytes = if part.is_ascii() {
            part.as_bytes()
        } else {
            lowered.clear();
            lowered.extend(part.chars().flat_map(char::to_lowercase));
            lowered.as_bytes()
        };
        let mut chunks = bytes.chunks(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            w.make_ascii_lowercase();
            h.write_u64(u64::from_le_bytes(w));
        }
        h.write_usize(bytes.len());
    }
    h.finish()
}

/// Whether two strings are equal in lower case.
fn lower_eq(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// The names of the subnets a VNet declares inside it.
fn subnet_names(vnet: &crate::ir::Resource) -> impl Iterator<Item = &str> {
    let list = match vnet.properties().and_then(|p| p.at("subnets")) {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    };
    list.iter().filter_map(|s| match s.at("name") {
        Some(Value::Str(n)) => Some(n.as_str()),
        _ => None,
    })
}

/// The resource group an item's key names: none for a resource group itself.
fn key_rg<'t>(it: &Item<'t>) -> &'t str {
    if it.r.rtype == types::RG {
        ""
    } else {
        scope_rg(&it.d.scope)
    }
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
pub(super) fn keys<'t>(items: &[Item<'t>]) -> Keys<'t> {
    let mut index = Keys::default();
    index.reserve(items.len());
    for (i, it) in items.iter().enumerate() {
        if primary(items, i).is_none() {
            continue;
        }
        let rg = key_rg(it);
        let names = it.names();
        if it.r.rtype == types::VNET {
            for n in subnet_names(it.r) {
                let h = key_hash(
                    rg,
                    types::SUBNET,
                    names.iter().map(String::as_str).chain([n]),
                );
                index.entry(h).or_default().push(Key {
                    item: i,
                    subnet: Some(n),
                });
            }
        }
        let h = key_hash(rg, &it.r.rtype, names.iter().map(String::as_str));
        index.entry(h).or_default().push(Key {
            item: i,
            subnet: None,
        });
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
        fn lit(e: &Expr) -> Result<&str, String> {
            match e {
                Expr::Str(s) => Ok(s.as_str()),
                _ => Err("a resource id with a computed name".to_string()),
            }
        }
        let rg = if rtype.eq_ignore_ascii_case(types::RG) {
            ""
        } else {
            match rg {
                Some(e) => lit(e)?,
                None => scope_rg(&d.scope),
            }
        };
        let names = names.iter().map(lit).collect::<Result<Vec<_>, _>>()?;
        let sub = match sub {
            Some(Expr::Param(p)) => Some(p.as_str()),
            Some(_) => return Err("a resource id in a computed subscription".into()),
            None => sub_param(&d.scope),
        };
        let h = key_hash(rg, rtype, names.iter().copied());
        let found: Vec<&Key> = self
            .keys
            .get(&h)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|k| self.names_key(k, rg, rtype, &names))
            .collect();
        let sub_of = |k: &Key| sub_param(&self.items[k.item].d.scope);
        let pick = match found.as_slice() {
            [one] => Some(*one),
            [] => None,
            many => {
                let mut same = many.iter().filter(|k| sub_of(k) == sub);
                match (same.next(), same.next()) {
                    (Some(one), None) => Some(*one),
                    _ => None,
                }
            }
        };
        let addr = pick.and_then(|k| {
            let addr = primary(self.items, k.item)?;
            Some(match k.subnet {
                Some(n) => Addr::new(SUBNET, subnet_label(&addr, n)),
                None => addr,
            })
        });
        addr.ok_or_else(|| {
            let names: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
            format!(
                "a reference to {} {} in resource group {:?}, which the template does not declare",
                rtype.to_lowercase(),
                names.join("/"),
                rg.to_lowercase()
            )
        })
    }

    /// Whether `k` is the resource named by (resource group, type, names), in lower case.
    fn names_key(&self, k: &Key, rg: &str, rtype: &str, names: &[&str]) -> bool {
        let it = &self.items[k.item];
        let k_rtype = match k.subnet {
            Some(_) => types::SUBNET,
            None => it.r.rtype.as_str(),
        };
        let own = it.names();
        own.len() + usize::from(k.subnet.is_some()) == names.len()
            && lower_eq(k_rtype, rtype)
            && lower_eq(key_rg(it), rg)
            && own
                .iter()
                .map(String::as_str)
                .chain(k.subnet)
                .zip(names)
                .all(|(a, b)| lower_eq(a, b))
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
        let name = it.names()[0].as_str();
        match self.resolve(it.d, None, None, rtype, &[Expr::Str(name.to_string())]) {
            Ok(a) if attr == "id" => interp(&a.id()),
            Ok(a) => interp(&a.at(attr)),
            Err(_) => Json::String(literal(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{key_hash, lower_eq};
    use crate::emit::terraform::azurerm::{render, untranslated};
    use crate::ir::{Expr, Value};

    #[test]
    fn keys_equal_in_lower_case_hash_alike_and_parts_stay_apart() {
        let h = |rg: &'static str, t: &'static str, names: &[&'static str]| {
            key_hash(rg, t, names.iter().copied())
        };
        let a = h("rg-Hub", "Microsoft.Network/virtualNetworks", &["Vnet-Hub"]);
        assert_eq!(
            a,
            h("RG-HUB", "microsoft.network/VIRTUALNETWORKS", &["vnet-hub"])
        );
        // Text that is not ASCII hashes by its lower case too (the Kelvin sign is a `k`).
        assert_eq!(h("Ärger", "t", &["\u{212A}v"]), h("ärger", "T", &["kV"]));
        assert!(lower_eq("\u{212A}v", "KV") && lower_eq("Ärger", "äRGER"));
        assert!(!lower_eq("kv", "kvs") && !lower_eq("straße", "STRASSE"));
        // The same characters cut into other parts name another resource.
        assert_ne!(h("ab", "c", &["d"]), h("a", "bc", &["d"]));
        assert_ne!(h("rg", "t", &["a", "b"]), h("rg", "t", &["ab"]));
        assert_ne!(h("rg", "t", &["a"]), h("rg", "t", &["a", ""]));
    }

    /// Whether `e` is a resource id with literal names.
    fn literal_id(e: &Expr) -> bool {
        matches!(e, Expr::ResourceId { names, .. }
            if !names.is_empty() && names.iter().all(|n| matches!(n, Expr::Str(_))))
    }

    /// The first literal resource id in a value.
    fn first_id(v: &mut Value) -> Option<&mut Expr> {
        match v {
            Value::Expr(e) if literal_id(e) => Some(e),
            Value::Object(m) => m.values_mut().find_map(first_id),
            Value::Array(a) => a.iter_mut().find_map(first_id),
            _ => None,
        }
    }

    /// Change the first literal resource id of `t`'s resources.
    fn change_first_id(t: &mut crate::ir::Template, f: impl FnOnce(&mut String, &mut [Expr])) {
        let id = t
            .deployments
            .iter_mut()
            .flat_map(|d| d.resources.iter_mut())
            .find_map(|r| r.body.values_mut().find_map(first_id))
            .expect("prod refers to a resource by its id");
        if let Expr::ResourceId { rtype, names, .. } = id {
            f(rtype, names);
        }
    }

    #[test]
    fn a_resource_id_names_its_resource_in_any_case_and_a_missing_one_is_reported() {
        let mut t = crate::plan::plan(&crate::load_profile("prod").unwrap());
        let before = render(&t, None).unwrap();
        change_first_id(&mut t, |rtype, names| {
            *rtype = rtype.to_uppercase();
            for n in names.iter_mut() {
                if let Expr::Str(s) = n {
                    *s = s.to_uppercase();
                }
            }
        });
        assert_eq!(
            render(&t, None).unwrap(),
            before,
            "the same resource, whatever the case"
        );
        change_first_id(&mut t, |_, names| {
            if let Some(Expr::Str(last)) = names.last_mut() {
                *last = "Nowhere".to_string();
            }
        });
        let left = untranslated(&t);
        assert!(
            left.iter()
                .any(|u| u.why.contains("nowhere in resource group")
                    && u.why.ends_with("which the template does not declare")),
            "{left:?}"
        );
    }
}
