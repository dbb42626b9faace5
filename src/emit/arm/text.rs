//! `arm/main.json` and `arm/main.parameters.json` printed straight from the IR, without building
//! the template as a JSON value first: the same bytes as printing [`super::template`] and
//! [`super::parameters`] (a test holds the two to that), in about half the time and memory for a
//! fleet. The layout of every object follows the value the other spelling builds, key by key.

use super::{
    ById, PARAMS_SCHEMA, RG_SCHEMA, SUB_SCHEMA, dependency_ids, deployment_dependencies,
    deployment_name, description, expr_into, param_type, relative_id,
};
use crate::emit::json;
use crate::ir::{Deployment, Expr, Name, ParamType, Resource, Scope, Target, Template, Value};
use indexmap::IndexMap;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A pretty printer driven by events (open, key, value, close) that writes what
/// [`json::value`] writes for the same value.
struct P {
    out: String,
    depth: usize,
    /// For each open container, whether nothing is in it yet.
    first: Vec<bool>,
    /// A key was just written: the next value follows it on the same line.
    after_key: bool,
    /// Reused for expressions and escaped literals.
    scratch: String,
}

impl P {
    fn new(capacity: usize) -> P {
        P {
            out: String::with_capacity(capacity),
            depth: 0,
            first: Vec::with_capacity(16),
            after_key: false,
            scratch: String::with_capacity(256),
        }
    }

    /// A printer that goes on an array at `depth` open containers after its first elements.
    fn inside_array(depth: usize, capacity: usize) -> P {
        let mut p = P::new(capacity);
        p.depth = depth;
        p.first.push(false);
        p
    }

    /// What goes before a value: nothing after a key, else the element separator and indent.
    fn sep(&mut self) {
        if self.after_key {
            self.after_key = false;
            return;
        }
        if let Some(first) = self.first.last_mut() {
            self.out.push_str(if *first { "\n" } else { ",\n" });
            *first = false;
            json::indent(&mut self.out, self.depth);
        }
    }

    fn key(&mut self, k: &str) {
        self.after_key = false;
        self.sep();
        json::string(&mut self.out, k);
        self.out.push_str(": ");
        self.after_key = true;
    }

    fn open(&mut self, c: char) {
        self.sep();
        self.out.push(c);
        self.depth += 1;
        self.first.push(true);
    }

    fn close(&mut self, c: char) {
        self.depth -= 1;
        if self.first.pop() == Some(false) {
            self.out.push('\n');
            json::indent(&mut self.out, self.depth);
        }
        self.out.push(c);
    }

    fn str(&mut self, s: &str) {
        self.sep();
        json::string(&mut self.out, s);
    }

    /// A bare token: `null`, `true`, `false` or a number.
    fn raw(&mut self, s: &str) {
        self.sep();
        self.out.push_str(s);
    }

    /// `[expression]` into the scratch buffer.
    fn spell(&mut self, e: &Expr) {
        self.scratch.clear();
        self.scratch.push('[');
        expr_into(&mut self.scratch, e);
        self.scratch.push(']');
    }

    /// `[expression]` as a string.
    fn expr(&mut self, e: &Expr) {
        self.spell(e);
        self.sep();
        json::string(&mut self.out, &self.scratch);
    }

    /// Elements printed elsewhere by an [`P::inside_array`] printer at this depth.
    fn splice(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.out.push_str(text);
        if let Some(first) = self.first.last_mut() {
            *first = false;
        }
    }

    /// An IR value as [`super::value`] spells it.
    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.raw("null"),
            Value::Bool(b) => self.raw(if *b { "true" } else { "false" }),
            Value::Int(n) => {
                self.sep();
                let _ = write!(self.out, "{n}");
            }
            Value::Str(s) => self.literal(s),
            Value::Array(a) => {
                self.open('[');
                for x in a {
                    self.value(x);
                }
                self.close(']');
            }
            Value::Object(o) => {
                self.open('{');
                for (k, x) in o {
                    self.key(k);
                    self.value(x);
                }
                self.close('}');
            }
            Value::Expr(e) => self.expr(e),
            Value::ExprKeyed(kv) => {
                self.open('{');
                for (k, x) in kv {
                    self.spell(k);
                    let key = std::mem::take(&mut self.scratch);
                    self.key(&key);
                    self.scratch = key;
                    self.value(x);
                }
                self.close('}');
            }
        }
    }

    /// A string literal; one that starts with `[` is escaped as `[[`.
    fn literal(&mut self, s: &str) {
        if s.starts_with('[') {
            self.scratch.clear();
            self.scratch.push('[');
            self.scratch.push_str(s);
            self.sep();
            json::string(&mut self.out, &self.scratch);
        } else {
            self.str(s);
        }
    }

    fn finish(mut self) -> String {
        self.out.push('\n');
        self.out
    }
}

/// A top-level field of a resource, in the order the spelt object has them.
enum Field<'a> {
    Type,
    ApiVersion,
    Scope(&'a Target),
    Name,
    Body(&'a Value),
    DependsOn(&'a [String]),
}

/// Set field `k` as a map insert would: in its place if present, else last.
fn put<'a>(fields: &mut Vec<(&'a str, Field<'a>)>, k: &'a str, f: Field<'a>) {
    match fields.iter_mut().find(|(key, _)| *key == k) {
        Some(slot) => slot.1 = f,
        None => fields.push((k, f)),
    }
}

fn resource(p: &mut P, r: &Resource, by_id: &ById) {
    // The object the other spelling builds, key by key: fixed fields, the body (a body key
    // equal to a fixed one takes its place), then `dependsOn`.
    let deps = dependency_ids(r, by_id);
    let mut fields: Vec<(&str, Field)> = Vec::with_capacity(r.body.len() + 5);
    fields.push(("type", Field::Type));
    fields.push(("apiVersion", Field::ApiVersion));
    if let Some(scope) = &r.scope {
        fields.push(("scope", Field::Scope(scope)));
    }
    fields.push(("name", Field::Name));
    for (k, v) in &r.body {
        put(&mut fields, k.as_str(), Field::Body(v));
    }
    if !deps.is_empty() {
        put(&mut fields, "dependsOn", Field::DependsOn(&deps));
    } else if let Some(i) = fields.iter().position(|(k, _)| *k == "dependsOn") {
        // A body of its own `dependsOn` loses it, the last field moving into its place.
        fields.swap_remove(i);
    }
    p.open('{');
    for (k, f) in fields {
        p.key(k);
        match f {
            Field::Type => p.str(&r.rtype),
            Field::ApiVersion => p.str(r.api_version()),
            Field::Scope(scope) => p.str(&relative_id(&scope.rtype, &scope.names)),
            Field::Name => match &r.name {
                Name::Literal(segs) => p.literal(&segs.join("/")),
                Name::Expr(e) => p.expr(e),
            },
            Field::Body(v) => p.value(v),
            Field::DependsOn(ids) => {
                p.open('[');
                for id in ids {
                    p.str(id);
                }
                p.close(']');
            }
        }
    }
    p.close('}');
}

/// A nested inline deployment (inner expression scope) named `name`, its target fields (string
/// values), passing `params` through, with `resources` printed inside its template.
fn nested(
    p: &mut P,
    name: &str,
    target: &[(&str, &str)],
    params: &IndexMap<String, (ParamType, Expr)>,
    schema: &str,
    resources: impl FnOnce(&mut P),
) {
    p.key("type");
    p.str(crate::azure::types::DEPLOYMENT);
    p.key("apiVersion");
    p.str(crate::azure::types::api_version(
        crate::azure::types::DEPLOYMENT,
    ));
    p.key("name");
    p.str(name);
    for (k, v) in target {
        p.key(k);
        p.str(v);
    }
    p.key("properties");
    p.open('{');
    p.key("expressionEvaluationOptions");
    p.open('{');
    p.key("scope");
    p.str("Inner");
    p.close('}');
    p.key("mode");
    p.str("Incremental");
    p.key("parameters");
    p.open('{');
    for (pname, (_, e)) in params {
        p.key(pname);
        p.open('{');
        p.key("value");
        p.expr(e);
        p.close('}');
    }
    p.close('}');
    p.key("template");
    p.open('{');
    p.key("$schema");
    p.str(schema);
    p.key("contentVersion");
    p.str("1.0.0.0");
    p.key("parameters");
    p.open('{');
    for (pname, (ptype, _)) in params {
        p.key(pname);
        p.open('{');
        p.key("type");
        p.str(param_type(*ptype));
        p.close('}');
    }
    p.close('}');
    p.key("resources");
    p.open('[');
    resources(p);
    p.close(']');
    p.close('}');
    p.close('}');
}

fn deployment(p: &mut P, t: &Template, d: &Deployment, deployments: &BTreeSet<&str>) {
    let by_id = ById::new(&d.resources);
    let name = deployment_name(t, d);
    let (sub, schema, place) = match &d.scope {
        Scope::Subscription { subscription } => (
            subscription.as_ref(),
            SUB_SCHEMA,
            ("location", t.location.as_str()),
        ),
        Scope::ResourceGroup {
            subscription,
            resource_group,
        } => (
            subscription.as_ref(),
            RG_SCHEMA,
            ("resourceGroup", resource_group.as_str()),
        ),
    };
    let sub_id = sub.map(super::expr_string);
    let mut target: Vec<(&str, &str)> = Vec::with_capacity(2);
    if let Some(s) = &sub_id {
        target.push(("subscriptionId", s));
    }
    target.push(place);
    let inner = |p: &mut P| {
        p.open('{');
        nested(p, &name, &target, &d.parameters, schema, |p| {
            for r in &d.resources {
                resource(p, r, &by_id);
            }
        });
    };
    let deps = deployment_dependencies(t, d, deployments);
    match super::hop_parameters(d) {
        Some(params) => {
            p.open('{');
            nested(
                p,
                &name,
                &[("resourceGroup", t.home.1.as_str())],
                &params,
                RG_SCHEMA,
                |p| {
                    inner(p);
                    p.close('}');
                },
            );
        }
        None => inner(p),
    }
    if !deps.is_empty() {
        p.key("dependsOn");
        p.open('[');
        for dep in &deps {
            p.str(dep);
        }
        p.close(']');
    }
    p.close('}');
}

/// Fewest deployments worth printing on a second thread.
const PARALLEL_DEPLOYMENTS: usize = 64;

/// `arm/main.json`.
pub(super) fn template(t: &Template) -> String {
    let ids: BTreeSet<&str> = t.deployments.iter().map(|d| d.id.as_str()).collect();
    // About what a resource takes printed, so that a fleet's text is not copied as it grows.
    let size =
        |ds: &[Deployment]| -> usize { ds.iter().map(|d| 4096 + d.resources.len() * 1536).sum() };
    let (first, second) = if t.deployments.len() < PARALLEL_DEPLOYMENTS {
        (&t.deployments[..], &[][..])
    } else {
        t.deployments.split_at(t.deployments.len() / 2)
    };
    let mut p = P::new(16 * 1024 + size(first) + size(second));
    p.open('{');
    p.key("$schema");
    p.str(SUB_SCHEMA);
    p.key("contentVersion");
    p.str("1.0.0.0");
    p.key("metadata");
    p.open('{');
    p.key("_generator");
    p.open('{');
    p.key("name");
    p.str("aks-harden");
    p.close('}');
    p.key("description");
    p.str(&description(t));
    p.close('}');
    p.key("parameters");
    p.open('{');
    for (name, param) in &t.parameters {
        p.key(name);
        p.open('{');
        p.key("type");
        p.str(param_type(param.ptype));
        if let Some(d) = &param.default {
            p.key("defaultValue");
            p.value(d);
        }
        p.key("metadata");
        p.open('{');
        p.key("description");
        p.str(&param.description);
        p.close('}');
        p.close('}');
    }
    p.close('}');
    p.key("resources");
    p.open('[');
    // A fleet in two halves side by side: the second printed at the depth of the array on a
    // thread of its own, then joined.
    if second.is_empty() {
        for d in first {
            deployment(&mut p, t, d, &ids);
        }
    } else {
        let depth = p.depth;
        let rest = crate::par::both(
            || {
                for d in first {
                    deployment(&mut p, t, d, &ids);
                }
            },
            || {
                let mut h = P::inside_array(depth, size(second));
                for d in second {
                    deployment(&mut h, t, d, &ids);
                }
                h.out
            },
        )
        .1;
        p.splice(&rest);
    }
    p.close(']');
    p.close('}');
    p.finish()
}

/// `arm/main.parameters.json`.
pub(super) fn parameters(t: &Template) -> String {
    let mut p = P::new(4096);
    p.open('{');
    p.key("$schema");
    p.str(PARAMS_SCHEMA);
    p.key("contentVersion");
    p.str("1.0.0.0");
    p.key("parameters");
    p.open('{');
    for (name, param) in &t.parameters {
        if let Some(v) = &param.value {
            p.key(name);
            p.open('{');
            p.key("value");
            p.value(v);
            p.close('}');
        }
    }
    p.close('}');
    p.close('}');
    p.finish()
}
