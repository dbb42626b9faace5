//! Terraform JSON: the azurerm flavour (idiomatic resources, [`azurerm`]) and the azapi flavour
//! (ARM bodies). This module holds what both share: the files around the resources
//! (`versions.tf.json`, `providers.tf.json`, `variables.tf.json`, `outputs.tf.json`,
//! `terraform.tfvars.json`), one provider configuration per subscription, names of variables and
//! labels, and a `Module` that collects blocks per file in declaration order.
//!
//! Every file is Terraform's JSON syntax in `emit::pretty`'s form, printed straight into one
//! buffer (a resource file from its blocks, never copied into one tree first). Labels
//! come from the IR's deployment and resource ids, so the same estate gives the same bytes.

pub mod azapi;
pub mod azurerm;

use super::{EmitError, Files, TerraformProvider, json, pretty};
use crate::ir::{Expr, ParamType, Scope, Template, Value};
use indexmap::IndexMap;
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// The folder every Terraform file goes to.
pub(crate) const DIR: &str = "terraform";
/// Terraform versions the output is written for (`plantimestamp`). Not written to
/// `versions.tf.json`: checkov 3.3's Terraform JSON parser fails on a `terraform` block with a
/// string argument (`required_version`) and then scans nothing of the file.
pub const TERRAFORM_VERSION: &str = ">= 1.9, < 2.0";
/// The azurerm releases whose schema the output is checked against (4.79).
pub(crate) const AZURERM_VERSION: &str = "~> 4.79";
/// The azapi releases whose schema the output is checked against (2.5).
pub(crate) const AZAPI_VERSION: &str = "~> 2.5";

/// Render the Terraform files for one flavour.
pub fn render(t: &Template, provider: TerraformProvider) -> Result<Files, EmitError> {
    match provider {
        TerraformProvider::Azurerm => azurerm::render(t),
        TerraformProvider::Azapi => azapi::render(t),
    }
}

/// `camelCase` → `snake_case`, for variable names (`prodSubscriptionId` → `prod_subscription_id`).
pub(crate) fn snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = true;
        } else {
            out.push('_');
            prev_lower = false;
        }
    }
    out
}

/// The Terraform variable that carries a template parameter.
pub(crate) fn var_name(param: &str) -> String {
    snake(param)
}

/// A block label from name parts: lower-case ASCII letters, digits and underscores, joined by `_`,
/// never starting with a digit.
pub(crate) fn label(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for p in parts {
        // Each part is written in place: runs of other characters become one `_`, none at
        // either end of the part; an empty part leaves nothing.
        let before = out.len();
        if before > 0 {
            out.push('_');
        }
        let start = out.len();
        for c in p.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if out.len() > start && !out.ends_with('_') {
                out.push('_');
            }
        }
        if out.ends_with('_') && out.len() > start {
            out.pop();
        }
        if out.len() == start {
            out.truncate(before);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A literal string as Terraform reads it: `${` and `%{` would start a template, so they are
/// doubled.
pub(crate) fn literal(s: &str) -> String {
    if !s.contains('{') {
        return s.to_string();
    }
    s.replace("${", "$${").replace("%{", "%%{")
}

/// A whole-value expression: `${expr}`.
pub(crate) fn interp(expr: &str) -> Json {
    Json::String(format!("${{{expr}}}"))
}

/// A literal IR value as JSON (parameter values, defaults); expressions have no literal form.
pub(crate) fn literal_value(v: &Value) -> Option<Json> {
    Some(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => json!(n),
        Value::Str(s) => Json::String(s.clone()),
        Value::Array(a) => Json::Array(a.iter().map(literal_value).collect::<Option<_>>()?),
        Value::Object(o) => Json::Object(
            o.iter()
                .map(|(k, x)| Some((k.clone(), literal_value(x)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Expr(_) | Value::ExprKeyed(_) => return None,
    })
}

/// The subscription parameter of a scope in another subscription; `None` for the deployment's
/// own subscription (or one that is not a parameter).
pub(crate) fn sub_param(scope: &Scope) -> Option<&str> {
    match scope.subscription() {
        Some(Expr::Param(p)) => Some(p),
        _ => None,
    }
}

/// The resource group of a scope; empty at subscription scope.
pub(crate) fn scope_rg(scope: &Scope) -> &str {
    match scope {
        Scope::ResourceGroup { resource_group, .. } => resource_group,
        Scope::Subscription { .. } => "",
    }
}

/// A template parameter as an HCL expression: `var.<name>`, or, for a parameter whose ARM
/// default is the deployment's own subscription or tenant, that of the provider's credentials
/// when the variable is null (`client` is the data source that reads them). The flag says
/// whether `client` is read.
pub(crate) fn param_hcl(t: &Template, p: &str, client: &str) -> (String, bool) {
    let v = var_name(p);
    match t.parameters.get(p).and_then(|x| x.default.as_ref()) {
        Some(Value::Expr(Expr::DeploymentSubscriptionId)) => {
            (format!("coalesce(var.{v}, {client}.subscription_id)"), true)
        }
        Some(Value::Expr(Expr::DeploymentTenantId)) => {
            (format!("coalesce(var.{v}, {client}.tenant_id)"), true)
        }
        _ => (format!("var.{v}"), false),
    }
}

/// The parts of a resource id expression: subscription, resource group, type and names.
pub(crate) type IdParts<'e> = (Option<&'e Expr>, Option<&'e Expr>, &'e str, &'e [Expr]);

/// The parts of the resource id a reference names; a computed id has none.
pub(crate) fn id_parts(id: &Expr) -> Result<IdParts<'_>, String> {
    let Expr::ResourceId {
        subscription,
        resource_group,
        rtype,
        names,
    } = id
    else {
        return Err("a reference to a computed resource id".into());
    };
    Ok((
        subscription.as_deref(),
        resource_group.as_deref(),
        rtype,
        names,
    ))
}

/// An IR value as Terraform JSON: literal strings escaped ([`literal`]), each expression spelled
/// by `expr` as the string Terraform reads. An object keyed by expressions takes its keys through
/// `expr` too when `keyed`, and is refused otherwise.
pub(crate) fn json_value(
    v: &Value,
    keyed: bool,
    expr: &mut impl FnMut(&Expr) -> Result<String, String>,
) -> Result<Json, String> {
    Ok(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) => json!(n),
        Value::Str(s) => Json::String(literal(s)),
        Value::Array(a) => Json::Array(
            a.iter()
                .map(|x| json_value(x, keyed, expr))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                m.insert(k.clone(), json_value(x, keyed, expr)?);
            }
            Json::Object(m)
        }
        Value::Expr(Expr::Strings(v)) => {
            Json::Array(v.iter().map(|s| Json::String(literal(s))).collect())
        }
        Value::Expr(e) => Json::String(expr(e)?),
        Value::ExprKeyed(kv) if keyed => {
            let mut m = Map::new();
            for (k, x) in kv {
                m.insert(expr(k)?, json_value(x, keyed, expr)?);
            }
            Json::Object(m)
        }
        Value::ExprKeyed(_) => return Err("an object keyed by expressions".into()),
    })
}

/// One provider configuration for another subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alias {
    /// Alias name (`prod`), used as `azurerm.prod`.
    pub name: String,
    /// The template parameter holding the subscription id.
    pub param: String,
}

/// The provider configurations: the default one deploys into the connectivity subscription (the
/// one the ARM template is deployed to); each other subscription a deployment names gets an
/// alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Providers {
    /// The parameter holding the connectivity subscription, if the template has one.
    pub default_param: Option<String>,
    /// Aliases, in parameter order.
    pub aliases: Vec<Alias>,
    /// The position of each alias by its parameter, so a fleet's resources find theirs without
    /// scanning every alias.
    by_param: BTreeMap<String, usize>,
}

impl Providers {
    /// The provider configurations a template needs.
    pub fn of(t: &Template) -> Providers {
        let scoped: BTreeSet<&str> = t
            .deployments
            .iter()
            .filter_map(|d| sub_param(&d.scope))
            .collect();
        let mut aliases = Vec::new();
        for name in t.parameters.keys() {
            if scoped.contains(&name.as_str()) {
                let base = name.strip_suffix("SubscriptionId").unwrap_or(name);
                aliases.push(Alias {
                    name: label(&[&snake(base)]),
                    param: name.clone(),
                });
            }
        }
        // The connectivity subscription: the one subscription parameter that defaults to the
        // deployment's own subscription and that no deployment is scoped to.
        let home: Vec<&String> = t
            .parameters
            .iter()
            .filter(|(n, p)| {
                p.default == Some(Value::Expr(Expr::DeploymentSubscriptionId))
                    && !scoped.contains(&n.as_str())
            })
            .map(|(n, _)| n)
            .collect();
        let mut by_param = BTreeMap::new();
        for (i, a) in aliases.iter().enumerate() {
            by_param.entry(a.param.clone()).or_insert(i);
        }
        Providers {
            default_param: (home.len() == 1).then(|| home[0].clone()),
            aliases,
            by_param,
        }
    }

    /// The alias for a deployment scope; `None` for the default provider.
    pub fn alias(&self, scope: &Scope) -> Option<&Alias> {
        let p = sub_param(scope)?;
        self.by_param.get(p).map(|&i| &self.aliases[i])
    }

    /// `providers.tf.json`.
    pub fn json(&self) -> Json {
        let mut configs = Vec::new();
        let mut default = Map::new();
        default.insert("features".into(), json!({}));
        if let Some(p) = &self.default_param {
            default.insert(
                "subscription_id".into(),
                interp(&format!("var.{}", var_name(p))),
            );
        }
        configs.push(Json::Object(default));
        for a in &self.aliases {
            configs.push(json!({
                "alias": a.name,
                "features": {},
                "subscription_id": interp(&format!("var.{}", var_name(&a.param))),
            }));
        }
        json!({ "provider": { "azurerm": configs } })
    }
}

/// `versions.tf.json`: the provider pins (see [`TERRAFORM_VERSION`] for Terraform's own).
pub(crate) fn versions(azapi: bool) -> Json {
    let mut req = Map::new();
    req.insert(
        "azurerm".into(),
        json!({ "source": "hashicorp/azurerm", "version": AZURERM_VERSION }),
    );
    if azapi {
        req.insert(
            "azapi".into(),
            json!({ "source": "Azure/azapi", "version": AZAPI_VERSION }),
        );
    }
    json!({ "terraform": { "required_providers": req } })
}

/// `variables.tf.json`: one variable per template parameter. A parameter whose ARM default is
/// the deployment's own subscription or tenant defaults to `null` here; the provider then uses
/// its own (the credentials' subscription, `ARM_SUBSCRIPTION_ID`).
pub(crate) fn variables(t: &Template) -> Json {
    let mut vars = Map::new();
    for (name, p) in &t.parameters {
        let mut m = Map::new();
        m.insert(
            "type".into(),
            json!(match p.ptype {
                ParamType::String => "string",
                ParamType::Array => "list(string)",
            }),
        );
        let mut description = p.description.clone();
        match &p.default {
            Some(Value::Expr(Expr::DeploymentSubscriptionId)) => {
                description
                    .push_str("; null: the subscription of the azurerm provider's credentials");
                m.insert("default".into(), Json::Null);
            }
            Some(Value::Expr(Expr::DeploymentTenantId)) => {
                description.push_str("; null: the tenant of the azurerm provider's credentials");
                m.insert("default".into(), Json::Null);
            }
            Some(v) => {
                if let Some(j) = literal_value(v) {
                    m.insert("default".into(), j);
                }
            }
            None => {}
        }
        m.insert("description".into(), json!(description));
        vars.insert(var_name(name), Json::Object(m));
    }
    json!({ "variable": vars })
}

/// `terraform.tfvars.json`: the values the estate gives.
pub(crate) fn tfvars(t: &Template) -> Json {
    let mut m = Map::new();
    for (name, p) in &t.parameters {
        if let Some(j) = p.value.as_ref().and_then(literal_value) {
            m.insert(var_name(name), j);
        }
    }
    Json::Object(m)
}

/// An object whose values `value` prints.
fn write_object<'v, V: 'v>(
    entries: impl IntoIterator<Item = (&'v String, &'v V)>,
    depth: usize,
    out: &mut String,
    value: impl Fn(&V, usize, &mut String),
) {
    let mut first = true;
    for (k, v) in entries {
        key(first, k, depth, out);
        value(v, depth + 1, out);
        first = false;
    }
    if first {
        out.push_str("{}");
    } else {
        close(depth, '}', out);
    }
}

/// The start of an object's entry: `{` before the first, the key at its indent, then `: `.
fn key(first: bool, k: &str, depth: usize, out: &mut String) {
    out.push_str(if first { "{\n" } else { ",\n" });
    json::indent(out, depth + 1);
    json::string(out, k);
    out.push_str(": ");
}

/// The end of a non-empty array or object.
fn close(depth: usize, c: char, out: &mut String) {
    out.push('\n');
    json::indent(out, depth);
    out.push(c);
}

/// One `*.tf.json` file being built.
#[derive(Debug, Default)]
struct Doc {
    data: IndexMap<String, IndexMap<String, Json>>,
    resource: IndexMap<String, IndexMap<String, Json>>,
}

impl Doc {
    /// The file as printed: the banner comment, then its data sources and resources (each left
    /// out when empty), in the form [`pretty`] gives.
    fn print(&self, banner: &str) -> String {
        let mut out = String::with_capacity(16 * 1024);
        key(true, "//", 0, &mut out);
        json::string(&mut out, banner);
        for (name, blocks) in [("data", &self.data), ("resource", &self.resource)] {
            if blocks.is_empty() {
                continue;
            }
            key(false, name, 0, &mut out);
            write_object(blocks, 1, &mut out, |labels, depth, out| {
                write_object(labels, depth, out, |v, depth, out| {
                    json::value(out, v, depth);
                });
            });
        }
        close(0, '}', &mut out);
        out.push('\n');
        out
    }
}

/// A Terraform module being built: blocks per file, in declaration order; outputs go to
/// `outputs.tf.json`.
#[derive(Debug, Default)]
pub(crate) struct Module {
    files: IndexMap<String, Doc>,
    outputs: IndexMap<String, Json>,
    /// type → label → the position of the file holding that block, so lookups do not scan
    /// every file (and allocate nothing).
    located: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Module {
    /// Add a resource block to `file` (without `.tf.json`).
    pub fn resource(&mut self, file: &str, rtype: &str, label: &str, body: Json) {
        let (at, doc) = self.doc(file);
        let blocks = match doc.resource.get_mut(rtype) {
            Some(b) => b,
            None => doc.resource.entry(rtype.to_string()).or_default(),
        };
        blocks.insert(label.to_string(), body);
        let labels = match self.located.get_mut(rtype) {
            Some(l) => l,
            None => self.located.entry(rtype.to_string()).or_default(),
        };
        labels.insert(label.to_string(), at);
    }

    /// The file `file` (without `.tf.json`) with its position, added when new.
    fn doc(&mut self, file: &str) -> (usize, &mut Doc) {
        let at = match self.files.get_index_of(file) {
            Some(at) => at,
            None => self.files.insert_full(file.to_string(), Doc::default()).0,
        };
        (at, &mut self.files[at])
    }

    /// Add a data block to `file` (without `.tf.json`).
    pub fn data(&mut self, file: &str, dtype: &str, label: &str, body: Json) {
        self.doc(file)
            .1
            .data
            .entry(dtype.to_string())
            .or_default()
            .insert(label.to_string(), body);
    }

    /// Add an output.
    pub fn output(&mut self, name: &str, value: Json, description: &str) {
        self.outputs.insert(
            name.to_string(),
            json!({ "description": description, "value": value }),
        );
    }

    /// A resource body already added.
    pub fn get(&self, rtype: &str, label: &str) -> Option<&Json> {
        let &file = self.located.get(rtype)?.get(label)?;
        self.files
            .get_index(file)?
            .1
            .resource
            .get(rtype)?
            .get(label)
    }

    /// A resource body already added, for amending it.
    pub fn resource_mut(&mut self, rtype: &str, label: &str) -> Option<&mut Json> {
        let &file = self.located.get(rtype)?.get(label)?;
        self.files
            .get_index_mut(file)?
            .1
            .resource
            .get_mut(rtype)?
            .get_mut(label)
    }

    /// Whether any resource of a type whose name starts with `prefix` was added.
    pub fn uses(&self, prefix: &str) -> bool {
        self.files
            .values()
            .any(|d| d.resource.keys().any(|t| t.starts_with(prefix)))
    }

    /// Every file of the module, with the shared ones.
    pub fn into_files(self, t: &Template, providers: &Providers) -> Files {
        let mut files = Files::new();
        let azapi = self.uses("azapi_");
        let banner = format!(
            "Hardened AKS estate {}: generated by aks-harden, do not edit; change the estate file and generate again",
            t.estate
        );
        let mut put = |name: &str, v: Json| {
            // Terraform JSON takes a "//" key as a comment; the variable values file takes none.
            let v = match v {
                Json::Object(m) if name.ends_with(".tf.json") => {
                    let mut with = Map::new();
                    with.insert("//".into(), json!(banner));
                    with.extend(m);
                    Json::Object(with)
                }
                other => other,
            };
            files.insert(format!("{DIR}/{name}"), pretty(&v));
        };
        put("versions.tf.json", versions(azapi));
        put("providers.tf.json", providers.json());
        put("variables.tf.json", variables(t));
        put("terraform.tfvars.json", tfvars(t));
        put("outputs.tf.json", json!({ "output": self.outputs }));
        for (name, doc) in &self.files {
            // Printed straight from the blocks, in the order `put` would give them: a fleet's
            // files are never copied into a second tree first.
            files.insert(format!("{DIR}/{name}.tf.json"), doc.print(&banner));
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("prodSubscriptionId"), "prod_subscription_id");
        assert_eq!(snake("tenantId"), "tenant_id");
        assert_eq!(
            label(&["prod-network", "nsg_system"]),
            "prod_network_nsg_system"
        );
        assert_eq!(
            label(&["hub", "AzureFirewallSubnet"]),
            "hub_azurefirewallsubnet"
        );
        assert_eq!(label(&["1x"]), "_1x");
        assert_eq!(label(&["--a--b--", "", "_", "C"]), "a_b_c");
        assert_eq!(label(&["", "-"]), "_");
        assert_eq!(label(&["é1", "x"]), "_1_x");
        assert_eq!(literal("a ${b} %{c}"), "a $${b} %%{c}");
    }

    #[test]
    fn a_file_prints_as_its_json_value_does() {
        // A file of the module prints as its JSON value does.
        let mut m = Module::default();
        m.resource("f", "azurerm_x", "a", json!({ "name": "a", "tags": {} }));
        m.resource("f", "azurerm_y", "b", json!([]));
        m.data("f", "azurerm_client_config", "c", json!({}));
        let doc = &m.files["f"];
        let whole = json!({
            "//": "banner",
            "data": { "azurerm_client_config": { "c": {} } },
            "resource": {
                "azurerm_x": { "a": { "name": "a", "tags": {} } },
                "azurerm_y": { "b": [] },
            },
        });
        assert_eq!(doc.print("banner"), pretty(&whole));
        m.files["f"].data.clear();
        let only = json!({ "//": "b", "resource": whole["resource"].clone() });
        assert_eq!(m.files["f"].print("b"), pretty(&only));
    }
}
