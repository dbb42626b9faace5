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
pub fn render(
    t: &Template,
    provider: TerraformProvider,
    threads: Option<usize>,
) -> Result<Files, EmitError> {
    match provider {
        TerraformProvider::Azurerm => azurerm::render(t, threads),
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
    Json::String(cat(&["${", expr, "}"]))
}

/// The parts joined, in a string of their size (`format!` costs more for these short joins).
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
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
            let mut m = Map::with_capacity(o.len());
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
            let mut m = Map::with_capacity(kv.len());
            for (k, x) in kv {
                m.insert(expr(k)?, json_value(x, keyed, expr)?);
            }
            Json::Object(m)
        }
        Value::ExprKeyed(_) => return Err("an object keyed by expressions".into()),
    })
}

/// An IR value printed as Terraform JSON at nesting `depth`, as `json::value` prints what
/// [`json_value`] (not keyed) gives, without building that value; `expr` is called in the same
/// order. On an error, `out` holds part of the value.
pub(crate) fn print_value(
    out: &mut String,
    v: &Value,
    depth: usize,
    expr: &mut impl FnMut(&Expr) -> Result<String, String>,
) -> Result<(), String> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(n) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
        Value::Str(s) if s.contains('{') => json::string(out, &literal(s)),
        Value::Str(s) => json::string(out, s),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                json::indent(out, depth + 1);
                print_value(out, x, depth + 1, expr)?;
            }
            close(depth, ']', out);
        }
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        Value::Object(o) => {
            for (i, (k, x)) in o.iter().enumerate() {
                key(i == 0, k, depth, out);
                print_value(out, x, depth + 1, expr)?;
            }
            close(depth, '}', out);
        }
        Value::Expr(Expr::Strings(v)) if v.is_empty() => out.push_str("[]"),
        Value::Expr(Expr::Strings(v)) => {
            out.push('[');
            for (i, s) in v.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                json::indent(out, depth + 1);
                json::string(out, &literal(s));
            }
            close(depth, ']', out);
        }
        Value::Expr(e) => json::string(out, &expr(e)?),
        Value::ExprKeyed(_) => return Err("an object keyed by expressions".into()),
    }
    Ok(())
}

/// An object of entries whose values are printed already (at `depth + 1`), at nesting `depth`.
pub(crate) fn print_object(out: &mut String, entries: &[(&str, String)], depth: usize) {
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    for (i, (k, text)) in entries.iter().enumerate() {
        key(i == 0, k, depth, out);
        out.push_str(text);
    }
    close(depth, '}', out);
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
pub(crate) fn key(first: bool, k: &str, depth: usize, out: &mut String) {
    out.push_str(if first { "{\n" } else { ",\n" });
    json::indent(out, depth + 1);
    json::string(out, k);
    out.push_str(": ");
}

/// The end of a non-empty array or object.
pub(crate) fn close(depth: usize, c: char, out: &mut String) {
    out.push('\n');
    json::indent(out, depth);
    out.push(c);
}

/// A fast hash for the module's own lookups of labels, types and resource keys (the
/// multiply-rotate hash of the Rust compiler's tables): their keys are short and never
/// adversarial, and no iteration order depends on it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds [`Fx`] hashers.
pub(crate) type FxBuild = std::hash::BuildHasherDefault<Fx>;

/// The nesting at which a block's body is printed: inside the file, its kind (`resource`), its
/// type and its label.
pub(crate) const BODY_DEPTH: usize = 3;

/// One `*.tf.json` file being built: each block's body already printed (at [`BODY_DEPTH`]), so
/// no tree outlives the block it was built for.
#[derive(Debug, Default)]
struct Doc {
    data: IndexMap<String, IndexMap<String, String, FxBuild>, FxBuild>,
    resource: IndexMap<String, IndexMap<String, String, FxBuild>, FxBuild>,
}

impl Doc {
    /// The file as printed: the banner comment, then its data sources and resources (each left
    /// out when empty), in the form [`pretty`] gives.
    fn print(&self, banner: &str) -> String {
        let size: usize = [&self.data, &self.resource]
            .iter()
            .flat_map(|m| m.values())
            .flat_map(|b| b.iter())
            .map(|(l, body)| l.len() + body.len() + 16)
            .sum();
        let mut out = String::with_capacity(size + banner.len() + 256);
        key(true, "//", 0, &mut out);
        json::string(&mut out, banner);
        for (name, blocks) in [("data", &self.data), ("resource", &self.resource)] {
            if blocks.is_empty() {
                continue;
            }
            key(false, name, 0, &mut out);
            write_object(blocks, 1, &mut out, |labels, depth, out| {
                write_object(labels, depth, out, |body: &String, depth, out| {
                    debug_assert_eq!(depth, BODY_DEPTH);
                    out.push_str(body);
                });
            });
        }
        close(0, '}', &mut out);
        out.push('\n');
        out
    }
}

/// A body printed at [`BODY_DEPTH`], in a string of its own size (`scratch` is reused).
fn printed(scratch: &mut String, body: &Json) -> String {
    scratch.clear();
    json::value(scratch, body, BODY_DEPTH);
    scratch.as_str().to_owned()
}

/// A printed body with `depends_on` set to `deps`, as the body's object would be amended: its
/// `lifecycle` taken out (the last entry taking its place, as `Map::remove` does), `depends_on`
/// set (in place when present, else at the end), then `lifecycle` put back at the end.
fn with_depends_on(body: &str, deps: &[String]) -> String {
    // Each top-level entry starts on a line of its own at the body's inner indentation; any
    // deeper line is indented further, and strings hold no raw line breaks.
    let mut inner = String::from("\n");
    json::indent(&mut inner, BODY_DEPTH + 1);
    inner.push('"');
    // Found line by line (each line break, then the entry's indentation and quote), which costs
    // less than a search for the whole pattern.
    let starts: Vec<usize> = body
        .match_indices('\n')
        .filter(|&(i, _)| body[i..].starts_with(&inner))
        .map(|(i, _)| i + 1)
        .collect();
    // A non-empty body ends with a line break and the closing brace at the body's indentation.
    let close_at = body.len().saturating_sub(2 * BODY_DEPTH + 2);
    let mut entries: Vec<&str> = starts
        .iter()
        .enumerate()
        .map(|(n, &a)| {
            let end = starts.get(n + 1).map_or(close_at, |&b| b - 2);
            &body[a..end]
        })
        .collect();
    let key_of = |e: &str| -> String {
        let k = &e[2 * (BODY_DEPTH + 1)..];
        let mut out = String::new();
        let mut esc = false;
        for c in k[1..].chars() {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                break;
            }
            out.push(c);
        }
        out
    };
    let lifecycle = entries
        .iter()
        .position(|e| key_of(e) == "lifecycle")
        .map(|i| entries.swap_remove(i));
    let mut dep = String::new();
    json::indent(&mut dep, BODY_DEPTH + 1);
    json::string(&mut dep, "depends_on");
    dep.push_str(": ");
    let list = Json::Array(deps.iter().map(|d| Json::String(d.clone())).collect());
    json::value(&mut dep, &list, BODY_DEPTH + 1);
    match entries.iter().position(|e| key_of(e) == "depends_on") {
        Some(i) => entries[i] = &dep,
        None => entries.push(&dep),
    }
    entries.extend(lifecycle);
    let mut out = String::with_capacity(body.len() + dep.len() + 4);
    out.push('{');
    for (n, e) in entries.iter().enumerate() {
        out.push_str(if n == 0 { "\n" } else { ",\n" });
        out.push_str(e);
    }
    close(BODY_DEPTH, '}', &mut out);
    out
}

/// A field of a block body: a value, or its text printed at the depth of a body's fields.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field<'f> {
    /// A value, printed when the block is.
    Value(&'f Json),
    /// Printed already, at `BODY_DEPTH + 1`.
    Printed(&'f str),
}

/// A Terraform module being built: blocks per file, in declaration order, each printed when it
/// is added; outputs go to `outputs.tf.json`.
#[derive(Debug, Default)]
pub(crate) struct Module {
    files: IndexMap<String, Doc, FxBuild>,
    outputs: IndexMap<String, Json>,
    /// type → label → the position of the file holding that block, so lookups do not scan
    /// every file (and allocate nothing).
    located: IndexMap<String, IndexMap<String, usize, FxBuild>, FxBuild>,
    /// Where bodies are printed before they are stored.
    scratch: String,
}

impl Module {
    /// Add a resource block to `file` (without `.tf.json`).
    pub fn resource(&mut self, file: &str, rtype: &str, label: &str, body: &Json) {
        let text = printed(&mut self.scratch, body);
        self.store(file, rtype, label, text);
    }

    /// Add a resource block to `file` (without `.tf.json`) whose body is the object of
    /// `fields`, printed as that object's value would be.
    pub fn resource_fields<'f>(
        &mut self,
        file: &str,
        rtype: &str,
        label: &str,
        fields: impl Iterator<Item = (&'f str, Field<'f>)>,
    ) {
        self.scratch.clear();
        let out = &mut self.scratch;
        let mut first = true;
        for (k, v) in fields {
            key(first, k, BODY_DEPTH, out);
            first = false;
            match v {
                Field::Value(v) => json::value(out, v, BODY_DEPTH + 1),
                Field::Printed(text) => out.push_str(text),
            }
        }
        if first {
            out.push_str("{}");
        } else {
            close(BODY_DEPTH, '}', out);
        }
        let text = self.scratch.as_str().to_owned();
        self.store(file, rtype, label, text);
    }

    /// Add every block, data source and output of `other` after those of this module, as if
    /// they had been added here in the order `other` got them. Into an empty module, `other`
    /// moves whole.
    pub fn append(&mut self, other: Module) {
        if self.files.is_empty() && self.outputs.is_empty() {
            *self = other;
            return;
        }
        for (file, doc) in other.files {
            let (at, mine) = self.doc(&file);
            for (dtype, blocks) in doc.data {
                mine.data.entry(dtype).or_default().extend(blocks);
            }
            for (rtype, blocks) in doc.resource {
                let labels = self.located.entry(rtype.clone()).or_default();
                labels.extend(blocks.keys().map(|l| (l.clone(), at)));
                let mine = &mut self.files[at];
                mine.resource.entry(rtype).or_default().extend(blocks);
            }
        }
        self.outputs.extend(other.outputs);
    }

    /// Store a printed resource body.
    fn store(&mut self, file: &str, rtype: &str, label: &str, text: String) {
        let (at, doc) = self.doc(file);
        let blocks = match doc.resource.get_mut(rtype) {
            Some(b) => b,
            None => doc.resource.entry(rtype.to_string()).or_default(),
        };
        blocks.insert(label.to_string(), text);
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
    pub fn data(&mut self, file: &str, dtype: &str, label: &str, body: &Json) {
        let text = printed(&mut self.scratch, body);
        self.doc(file)
            .1
            .data
            .entry(dtype.to_string())
            .or_default()
            .insert(label.to_string(), text);
    }

    /// Add an output.
    pub fn output(&mut self, name: &str, value: Json, description: &str) {
        self.outputs.insert(
            name.to_string(),
            json!({ "description": description, "value": value }),
        );
    }

    /// Whether a resource block was added.
    pub fn has(&self, rtype: &str, label: &str) -> bool {
        self.located
            .get(rtype)
            .is_some_and(|l| l.contains_key(label))
    }

    /// A resource body already added, as printed (at [`BODY_DEPTH`]).
    pub fn get(&self, rtype: &str, label: &str) -> Option<&str> {
        let &file = self.located.get(rtype)?.get(label)?;
        self.files
            .get_index(file)?
            .1
            .resource
            .get(rtype)?
            .get(label)
            .map(String::as_str)
    }

    /// Set a resource's `depends_on` (see [`with_depends_on`]).
    pub fn depends_on(&mut self, rtype: &str, label: &str, deps: &[String]) {
        let Some(&file) = self.located.get(rtype).and_then(|l| l.get(label)) else {
            return;
        };
        if let Some(body) = self
            .files
            .get_index_mut(file)
            .and_then(|(_, d)| d.resource.get_mut(rtype))
            .and_then(|b| b.get_mut(label))
        {
            *body = with_depends_on(body, deps);
        }
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
        for (name, doc) in self.files {
            // Printed straight from the blocks, in the order `put` would give them: a fleet's
            // files are never copied into a second tree first, and each file's blocks are
            // freed once it is printed.
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
    fn an_ir_value_prints_as_its_json_value_does() {
        let obj = |kv: Vec<(&str, Value)>| {
            Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let spell = |e: &Expr| match e {
            Expr::Param(p) if p == "bad" => Err("no".to_string()),
            Expr::Param(p) => Ok(format!("${{var.{p}}}")),
            _ => Ok("x".to_string()),
        };
        let values = [
            Value::Null,
            Value::Bool(false),
            Value::Int(-7),
            Value::Str("a ${b} %{c} \"q\"\n".into()),
            Value::Array(vec![]),
            obj(vec![]),
            Value::Expr(Expr::Strings(vec![])),
            Value::Expr(Expr::Strings(vec!["${a}".into(), "b".into()])),
            obj(vec![
                ("k{", Value::Str("v".into())),
                (
                    "n",
                    Value::Array(vec![Value::Int(1), obj(vec![("x", Value::Null)])]),
                ),
                ("e", Value::Expr(Expr::Param("p".into()))),
                (
                    "z",
                    obj(vec![("deep", Value::Array(vec![Value::Array(vec![])]))]),
                ),
            ]),
        ];
        for v in &values {
            for depth in [0, 3, 5] {
                let want = json_value(v, false, &mut |e| spell(e)).unwrap();
                let mut want_text = String::new();
                json::value(&mut want_text, &want, depth);
                let mut got = String::new();
                print_value(&mut got, v, depth, &mut |e| spell(e)).unwrap();
                assert_eq!(got, want_text, "{v:?} at {depth}");
            }
        }
        // Errors are the same.
        for v in [
            Value::Array(vec![Value::Int(1), Value::Expr(Expr::Param("bad".into()))]),
            Value::ExprKeyed(vec![]),
        ] {
            let want = json_value(&v, false, &mut |e| spell(e)).unwrap_err();
            let got = print_value(&mut String::new(), &v, 3, &mut |e| spell(e)).unwrap_err();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn a_file_prints_as_its_json_value_does() {
        // A file of the module prints as its JSON value does.
        let mut m = Module::default();
        m.resource("f", "azurerm_x", "a", &json!({ "name": "a", "tags": {} }));
        m.resource("f", "azurerm_y", "b", &json!([]));
        m.data("f", "azurerm_client_config", "c", &json!({}));
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

    #[test]
    fn depends_on_amends_a_printed_body_as_its_object() {
        // The printed body with `depends_on` set prints as the object amended in place does:
        // `lifecycle` swapped out, `depends_on` set, `lifecycle` last.
        let deps = vec!["azurerm_x.a".to_string(), "azurerm_y.b".to_string()];
        for body in [
            json!({}),
            json!({ "name": "a" }),
            json!({ "lifecycle": { "ignore_changes": ["x"] } }),
            json!({ "name": "a", "lifecycle": { "x": [1] }, "tags": { "k": "v" }, "z": [] }),
            json!({ "name": "a", "tags": {}, "lifecycle": {} }),
            json!({ "depends_on": ["old"], "name": "a\"lifecycle", "lifecycle": null }),
            json!({ "a": { "lifecycle": 1, "depends_on": 2 }, "b": [{ "lifecycle": 3 }] }),
        ] {
            let mut amended = body.clone();
            let Json::Object(o) = &mut amended else {
                unreachable!()
            };
            let lifecycle = o.remove("lifecycle");
            o.insert("depends_on".into(), json!(deps));
            if let Some(l) = lifecycle {
                o.insert("lifecycle".into(), l);
            }
            let mut want = String::new();
            json::value(&mut want, &amended, BODY_DEPTH);
            let got = with_depends_on(&printed(&mut String::new(), &body), &deps);
            assert_eq!(got, want, "{body}");
        }
    }
}
