//! The ARM template expression language (`"[format('{0}-aks', parameters('name'))]"`), evaluated
//! as Azure Resource Manager does before a deployment, for everything that needs no live
//! subscription: parameters, variables, copy indexes, lambdas, and the string, array, object,
//! comparison, logical, numeric, date and resource-id functions of Microsoft's template function
//! reference ([`FUNCTIONS`] lists them).
//!
//! What only Azure knows stays *unknown*: `reference()`, `list*()`, the subscription, resource
//! group, tenant and deployment a template lands in, `utcNow()`, `newGuid()`, and `guid()` and
//! `uniqueString()` (Azure hashes the deployment's own ids; the audit does not imitate the hash).
//! So does every value computed from an unknown one. An unknown inside an object or array
//! (`union(createObject('a', 1), createObject('b', reference('x')))`) is kept as a marker in
//! place, so the known parts stay judgeable; a function that must read a value (`equals`,
//! `format`, ...) is unknown as soon as what it reads is.

mod collections;
mod logic;
mod parse;
mod scope;
mod strings;
#[cfg(test)]
mod tests;

use parse::Ast;
use serde_json::{Map, Value as Json};

pub use crate::ir::relative_id;

/// A value the audit cannot evaluate, with the sub-expression it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown(pub String);

/// The result of evaluating an expression. An `Ok` value may hold unknown markers inside its
/// objects and arrays, never at its top.
pub type Val = Result<Json, Unknown>;

/// Where parameters, variables and copy indexes come from.
pub trait Env {
    /// A parameter's value.
    fn parameter(&self, name: &str) -> Val;
    /// A variable's value.
    fn variable(&self, name: &str) -> Val;
    /// The index of the copy loop named `name` (the innermost loop when `None`).
    fn copy_index(&self, name: Option<&str>) -> Val {
        Err(Unknown(match name {
            Some(n) => format!("copyIndex('{n}')"),
            None => "copyIndex()".into(),
        }))
    }
}

/// Every function the evaluator computes, by Microsoft's name (lower-case), grouped as the
/// template function reference groups them.
pub const FUNCTIONS: &[&str] = &[
    // array
    "array",
    "concat",
    "contains",
    "createarray",
    "empty",
    "first",
    "flatten",
    "indexof",
    "intersection",
    "last",
    "lastindexof",
    "length",
    "max",
    "min",
    "range",
    "skip",
    "take",
    "union",
    // comparison
    "coalesce",
    "equals",
    "greater",
    "greaterorequals",
    "less",
    "lessorequals",
    // date
    "datetimefromepoch",
    "datetimetoepoch",
    // deployment
    "copyindex",
    "deployment",
    "parameters",
    "variables",
    // lambda
    "filter",
    "groupby",
    "lambda",
    "lambdavariables",
    "map",
    "mapvalues",
    "reduce",
    "sort",
    "toobject",
    // logical
    "and",
    "bool",
    "false",
    "if",
    "not",
    "or",
    "true",
    // numeric
    "add",
    "div",
    "float",
    "int",
    "mod",
    "mul",
    "sub",
    // object
    "createobject",
    "items",
    "json",
    "null",
    "objectkeys",
    "shallowmerge",
    "tryget",
    // resource
    "extensionresourceid",
    "managementgroupresourceid",
    "resourceid",
    "subscriptionresourceid",
    "tenantresourceid",
    // scope
    "managementgroup",
    "resourcegroup",
    "subscription",
    "tenant",
    // string
    "base64",
    "base64tojson",
    "base64tostring",
    "datauri",
    "datauritostring",
    "endswith",
    "format",
    "join",
    "padleft",
    "replace",
    "split",
    "startswith",
    "string",
    "substring",
    "tolower",
    "toupper",
    "trim",
    "uri",
    "uricomponent",
    "uricomponenttostring",
];

/// Functions known to need Azure (or the moment of deployment): always unknown.
pub const AZURE_ONLY: &[&str] = &[
    "reference",
    "references",
    "list*",
    "pickzones",
    "providers",
    "environment",
    "deployer",
    "utcnow",
    "newguid",
    "datetimeadd",
    "guid",
    "uniquestring",
];

/// The key of the marker object that stands for a value the audit cannot evaluate.
const UNKNOWN_KEY: &str = "\u{1}aks-harden-unknown";

/// The marker for an unknown value, in place inside a JSON value.
pub fn marker(what: &str) -> Json {
    let mut m = Map::new();
    m.insert(UNKNOWN_KEY.into(), Json::String(what.to_string()));
    Json::Object(m)
}

/// If `v` is the unknown marker, what it stands for.
pub fn as_marker(v: &Json) -> Option<&str> {
    v.as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get(UNKNOWN_KEY))
        .and_then(Json::as_str)
}

/// The first unknown marker anywhere inside `v`.
pub fn first_unknown(v: &Json) -> Option<&str> {
    if let Some(u) = as_marker(v) {
        return Some(u);
    }
    match v {
        Json::Array(a) => a.iter().find_map(first_unknown),
        Json::Object(o) => o.values().find_map(first_unknown),
        _ => None,
    }
}

/// A value with unknowns turned into markers (the form values take inside resources).
pub fn to_marker(v: Val) -> Json {
    match v {
        Ok(v) => v,
        Err(Unknown(u)) => marker(&u),
    }
}

/// `Ok` for a value known throughout, else the first unknown in it.
pub fn known(v: Val) -> Val {
    let v = v?;
    match first_unknown(&v) {
        Some(u) => Err(Unknown(u.to_string())),
        None => Ok(v),
    }
}

/// A top-level marker becomes an `Err`.
fn norm(v: Json) -> Val {
    match as_marker(&v) {
        Some(u) => Err(Unknown(u.to_string())),
        None => Ok(v),
    }
}

/// Whether a JSON string is an ARM expression (`[...]`, not the `[[` escape).
pub fn is_expression(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

/// Evaluate a whole-string expression such as `[parameters('x')]` (brackets included). An
/// unknown names the smallest sub-expression the audit could not evaluate
/// (`parameters('x')`, `reference('vnet').id`).
pub fn eval_string(s: &str, env: &dyn Env) -> Val {
    let inner = &s[1..s.len() - 1];
    let Some(ast) = parse::parse(inner) else {
        return Err(Unknown(s.to_string()));
    };
    Ev {
        env,
        locals: Vec::new(),
    }
    .eval(&ast, 0)
    .map_err(|Unknown(u)| {
        // An unknown that is the whole expression is shown as written.
        let bare = matches!(&ast, Ast::Call(f, _)
            if f.eq_ignore_ascii_case("parameters") || f.eq_ignore_ascii_case("variables"));
        if u == ast.to_string() && !bare {
            Unknown(s.to_string())
        } else {
            Unknown(u)
        }
    })
}

/// `reference('x').id` is unknown as a whole when `reference('x')` is.
fn extend(u: Unknown, base: &Ast, whole: &Ast) -> Unknown {
    if u.0 == base.to_string() {
        Unknown(whole.to_string())
    } else {
        u
    }
}

/// Evaluate a JSON value that may be, or hold, expressions: strings are evaluated, `[[`
/// unescaped; objects and arrays keep unknowns as markers.
pub fn eval_json(v: &Json, env: &dyn Env) -> Val {
    match v {
        Json::String(s) if is_expression(s) => eval_string(s, env),
        Json::String(s) if s.starts_with("[[") => Ok(Json::String(s[1..].to_string())),
        Json::Array(a) => Ok(Json::Array(
            a.iter().map(|x| to_marker(eval_json(x, env))).collect(),
        )),
        Json::Object(o) => {
            let mut m = Map::new();
            for (k, x) in o {
                let key = if is_expression(k) {
                    match known(eval_string(k, env)) {
                        Ok(Json::String(s)) => s,
                        _ => k.clone(),
                    }
                } else {
                    k.clone()
                };
                m.insert(key, to_marker(eval_json(x, env)));
            }
            Ok(Json::Object(m))
        }
        other => Ok(other.clone()),
    }
}

fn unknown<T>(what: impl Into<String>) -> Result<T, Unknown> {
    Err(Unknown(what.into()))
}

/// ARM's text for a scalar: strings as they are, numbers in decimal, booleans `True`/`False`.
pub(super) fn text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        _ => None,
    }
}

/// A boolean, or the strings `true`/`false`.
pub(super) fn truthy(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An object's value under a key, case-insensitively as ARM looks keys up.
pub(super) fn get_ci<'a>(o: &'a Map<String, Json>, key: &str) -> Option<&'a Json> {
    o.get(key).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A call ARM would reject (or one the audit cannot compute from known arguments).
pub(super) struct Bad;

/// The evaluator: an environment and the lambda variables in scope.
struct Ev<'a> {
    env: &'a dyn Env,
    locals: Vec<(String, Json)>,
}

impl Ev<'_> {
    fn eval(&self, ast: &Ast, depth: usize) -> Val {
        if depth > 64 {
            return unknown("an expression nested too deep");
        }
        match ast {
            Ast::Str(s) => Ok(Json::String(s.clone())),
            Ast::Int(n) => Ok(Json::from(*n)),
            Ast::Lit(v) => Ok(v.clone()),
            Ast::Member(base, name) => {
                let v = self
                    .eval(base, depth + 1)
                    .map_err(|u| extend(u, base, ast))?;
                match v.as_object().and_then(|o| get_ci(o, name)) {
                    Some(x) => norm(x.clone()),
                    None => unknown(ast.to_string()),
                }
            }
            Ast::Index(base, idx) => {
                let v = self
                    .eval(base, depth + 1)
                    .map_err(|u| extend(u, base, ast))?;
                let i = known(self.eval(idx, depth + 1))?;
                let found = match (&v, &i) {
                    (Json::Array(a), Json::Number(n)) => n
                        .as_u64()
                        .and_then(|n| a.get(usize::try_from(n).ok()?))
                        .cloned(),
                    (Json::Object(o), Json::String(k)) => get_ci(o, k).cloned(),
                    _ => None,
                };
                match found {
                    Some(x) => norm(x),
                    None => unknown(ast.to_string()),
                }
            }
            Ast::Call(f, args) => self.call(ast, f, args, depth),
        }
    }

    /// Every argument, known throughout.
    fn strict(&self, args: &[Ast], depth: usize) -> Result<Vec<Json>, Unknown> {
        args.iter()
            .map(|a| known(self.eval(a, depth + 1)))
            .collect()
    }

    /// Every argument, unknowns inside kept as markers.
    fn loose(&self, args: &[Ast], depth: usize) -> Result<Vec<Json>, Unknown> {
        args.iter().map(|a| self.eval(a, depth + 1)).collect()
    }

    fn call(&self, ast: &Ast, f: &str, args: &[Ast], depth: usize) -> Val {
        let name = f.to_ascii_lowercase();
        let bad = || Unknown(ast.to_string());
        let arg = |i: usize| -> Val {
            match args.get(i) {
                Some(a) => self.eval(a, depth + 1),
                None => Err(bad()),
            }
        };
        match name.as_str() {
            "parameters" => {
                let n = known(arg(0))?;
                self.env.parameter(n.as_str().unwrap_or_default())
            }
            "variables" => {
                let n = known(arg(0))?;
                self.env.variable(n.as_str().unwrap_or_default())
            }
            "copyindex" => {
                let vals = self.strict(args, depth)?;
                let (loop_name, offset) = match vals.as_slice() {
                    [] => (None, 0),
                    [Json::String(n)] => (Some(n.as_str()), 0),
                    [Json::Number(o)] => (None, o.as_i64().ok_or_else(bad)?),
                    [Json::String(n), Json::Number(o)] => {
                        (Some(n.as_str()), o.as_i64().ok_or_else(bad)?)
                    }
                    _ => return Err(bad()),
                };
                let i = self.env.copy_index(loop_name)?;
                let i = i.as_i64().ok_or_else(bad)?;
                Ok(Json::from(i + offset))
            }
            "lambdavariables" => {
                let n = known(arg(0))?;
                let n = n.as_str().unwrap_or_default();
                self.locals
                    .iter()
                    .rev()
                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                    .map_or_else(|| Err(bad()), |(_, v)| norm(v.clone()))
            }
            "if" => match truthy(&known(arg(0))?) {
                Some(true) => arg(1),
                Some(false) => arg(2),
                None => Err(bad()),
            },
            "coalesce" => {
                for a in args {
                    let v = self.eval(a, depth + 1)?;
                    if !v.is_null() {
                        return Ok(v);
                    }
                }
                Ok(Json::Null)
            }
            "and" | "or" => {
                // Decided by any known argument that decides it, whatever the others are.
                let decisive = name == "or";
                let mut first_unknown = None;
                for a in args {
                    match known(self.eval(a, depth + 1)).map(|v| truthy(&v)) {
                        Ok(Some(b)) if b == decisive => return Ok(Json::Bool(decisive)),
                        Ok(Some(_)) => {}
                        Ok(None) => return Err(bad()),
                        Err(u) => first_unknown = first_unknown.or(Some(u)),
                    }
                }
                match first_unknown {
                    Some(u) => Err(u),
                    None if args.is_empty() => Err(bad()),
                    None => Ok(Json::Bool(!decisive)),
                }
            }
            "map" | "filter" | "reduce" | "sort" | "toobject" | "mapvalues" | "groupby" => {
                collections::lambda_call(self, &name, args, depth).unwrap_or_else(|| Err(bad()))
            }
            "lambda" => Err(bad()),
            "resourceid"
            | "subscriptionresourceid"
            | "tenantresourceid"
            | "managementgroupresourceid"
            | "extensionresourceid" => {
                let vals: Vec<Val> = args
                    .iter()
                    .map(|a| known(self.eval(a, depth + 1)))
                    .collect();
                scope::resource_id(&name, &vals).ok_or_else(bad)?
            }
            _ if AZURE_ONLY.contains(&name.as_str()) || name.starts_with("list") => Err(bad()),
            "createobject" | "createarray" => {
                // What they build holds an unknown argument in place.
                let vals = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| match self.eval(a, depth + 1) {
                        Err(u) if name == "createobject" && i % 2 == 0 => Err(u),
                        v => Ok(to_marker(v)),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                collections::loose(&name, vals).ok_or_else(bad)
            }
            _ if collections::LOOSE.contains(&name.as_str()) => {
                collections::loose(&name, self.loose(args, depth)?).ok_or_else(bad)
            }
            _ => {
                let vals = self.strict(args, depth)?;
                let r = strings::call(&name, &vals)
                    .or_else(|| logic::call(&name, &vals))
                    .or_else(|| collections::call(&name, &vals))
                    .or_else(|| scope::call(&name, &vals));
                match r {
                    Some(Ok(v)) => Ok(v),
                    _ => Err(bad()),
                }
            }
        }
    }
}
