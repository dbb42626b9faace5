//! A small evaluator for ARM template expressions (`"[parameters('x')]"`). It knows the functions
//! that carry values templates are judged on (parameters, variables, string and logic functions,
//! resource ids); everything else (`reference`, `resourceGroup()`, `uniqueString`...) is unknown,
//! and an unknown value is never judged as a pass.

use serde_json::{Map, Value as Json};

/// A value the audit cannot evaluate, with a description of where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown(pub String);

/// The result of evaluating an expression.
pub type Val = Result<Json, Unknown>;

/// Where parameters and variables come from.
pub trait Env {
    /// A parameter's value.
    fn parameter(&self, name: &str) -> Val;
    /// A variable's value.
    fn variable(&self, name: &str) -> Val;
}

#[derive(Debug, Clone, PartialEq)]
enum Ast {
    Str(String),
    Int(i64),
    Call(String, Vec<Ast>),
    Member(Box<Ast>, String),
    Index(Box<Ast>, Box<Ast>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self, depth: usize) -> Option<Ast> {
        if depth > 64 {
            return None;
        }
        let mut e = match self.peek()? {
            b'\'' => {
                self.i += 1;
                let mut out = Vec::new();
                loop {
                    let c = *self.s.get(self.i)?;
                    self.i += 1;
                    if c == b'\'' {
                        if self.s.get(self.i) == Some(&b'\'') {
                            out.push(b'\'');
                            self.i += 1;
                        } else {
                            break;
                        }
                    } else {
                        out.push(c);
                    }
                }
                Ast::Str(String::from_utf8(out).ok()?)
            }
            c if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                Ast::Int(text.parse().ok()?)
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let name = self.ident()?;
                let mut name = name;
                // User-defined functions: namespace.function(...)
                while self.s.get(self.i) == Some(&b'.') {
                    let save = self.i;
                    self.i += 1;
                    match self.ident() {
                        Some(more) if self.peek() == Some(b'(') => {
                            name = format!("{name}.{more}");
                        }
                        _ => {
                            self.i = save;
                            break;
                        }
                    }
                }
                if !self.eat(b'(') {
                    return None;
                }
                let mut args = Vec::new();
                if !self.eat(b')') {
                    loop {
                        args.push(self.expr(depth + 1)?);
                        if self.eat(b')') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Ast::Call(name, args)
            }
            _ => return None,
        };
        loop {
            if self.eat(b'.') {
                let name = self.ident()?;
                e = Ast::Member(Box::new(e), name);
            } else if self.eat(b'[') {
                let idx = self.expr(depth + 1)?;
                if !self.eat(b']') {
                    return None;
                }
                e = Ast::Index(Box::new(e), Box::new(idx));
            } else {
                return Some(e);
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
}

fn parse(src: &str) -> Option<Ast> {
    let mut p = Parser {
        s: src.as_bytes(),
        i: 0,
    };
    let e = p.expr(0)?;
    p.ws();
    (p.i == p.s.len()).then_some(e)
}

/// Whether a JSON string is an ARM expression (`[...]`, not the `[[` escape).
pub fn is_expression(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

/// Evaluate a whole-string expression such as `[parameters('x')]` (brackets included). A bare
/// `parameters('x')` or `variables('x')` passes its value's own unknown description through, so
/// the same unknown parameter is recognisable wherever it is used.
pub fn eval_string(s: &str, env: &dyn Env) -> Val {
    let inner = &s[1..s.len() - 1];
    let Some(ast) = parse(inner) else {
        return Err(Unknown(s.to_string()));
    };
    match &ast {
        Ast::Call(f, args)
            if args.len() == 1
                && (f.eq_ignore_ascii_case("parameters")
                    || f.eq_ignore_ascii_case("variables")) =>
        {
            eval(&ast, env, 0)
        }
        _ => eval(&ast, env, 0).map_err(|_| Unknown(s.to_string())),
    }
}

fn unknown(what: &str) -> Val {
    Err(Unknown(what.to_string()))
}

fn as_str(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(if *b { "True".into() } else { "False".into() }),
        _ => None,
    }
}

fn truthy(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn is_type(s: &str) -> bool {
    match s.split_once('/') {
        Some((ns, rest)) => ns.contains('.') && !rest.is_empty() && !s.starts_with('/'),
        None => false,
    }
}

pub use crate::ir::relative_id;

fn resource_id(args: &[Val], kind: &str) -> Val {
    let Some(ti) = args
        .iter()
        .position(|a| a.as_ref().ok().and_then(Json::as_str).is_some_and(is_type))
    else {
        return unknown(kind);
    };
    let rtype = args[ti]
        .as_ref()
        .ok()
        .and_then(Json::as_str)
        .unwrap_or_default();
    let mut names = Vec::new();
    for a in &args[ti + 1..] {
        match a {
            Ok(v) => names.push(as_str(v).ok_or_else(|| Unknown(kind.into()))?),
            Err(u) => return Err(u.clone()),
        }
    }
    // Several names may come in one argument ('vnet/snet').
    let names: Vec<String> = names
        .iter()
        .flat_map(|n| n.split('/').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let rel = relative_id(rtype, &names);
    let known = |i: usize| args.get(i).and_then(|a| a.as_ref().ok()).and_then(as_str);
    let id = match (kind, ti) {
        ("resourceId", 2) => match (known(0), known(1)) {
            (Some(s), Some(rg)) => {
                format!("/subscriptions/{s}/resourceGroups/{rg}/providers/{rel}")
            }
            _ => rel,
        },
        ("subscriptionResourceId", 1) => match known(0) {
            Some(s) => format!("/subscriptions/{s}/providers/{rel}"),
            None => rel,
        },
        ("tenantResourceId", _) => format!("/providers/{rel}"),
        _ => rel,
    };
    Ok(Json::String(id))
}

fn format_string(fmt: &str, args: &[Json]) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    spec.push(d);
                }
                let idx: usize = spec.split(':').next()?.trim().parse().ok()?;
                out.push_str(&as_str(args.get(idx)?)?);
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

fn eval(ast: &Ast, env: &dyn Env, depth: usize) -> Val {
    if depth > 64 {
        return unknown("expression too deep");
    }
    match ast {
        Ast::Str(s) => Ok(Json::String(s.clone())),
        Ast::Int(n) => Ok(Json::from(*n)),
        Ast::Member(base, name) => {
            let v = eval(base, env, depth + 1)?;
            v.as_object()
                .and_then(|o| {
                    o.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.clone())
                })
                .ok_or_else(|| Unknown(format!(".{name}")))
        }
        Ast::Index(base, idx) => {
            let v = eval(base, env, depth + 1)?;
            let i = eval(idx, env, depth + 1)?;
            match (&v, &i) {
                (Json::Array(a), Json::Number(n)) => n
                    .as_u64()
                    .and_then(|n| a.get(usize::try_from(n).ok()?))
                    .cloned()
                    .ok_or_else(|| Unknown("index".into())),
                (Json::Object(o), Json::String(k)) => o
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| Unknown("index".into())),
                _ => unknown("index"),
            }
        }
        Ast::Call(f, args) => call(f, args, env, depth),
    }
}

fn call(f: &str, args: &[Ast], env: &dyn Env, depth: usize) -> Val {
    let name = f.to_ascii_lowercase();
    let arg = |i: usize| -> Val {
        match args.get(i) {
            Some(a) => eval(a, env, depth + 1),
            None => unknown("missing argument"),
        }
    };
    let all =
        || -> Result<Vec<Json>, Unknown> { args.iter().map(|a| eval(a, env, depth + 1)).collect() };
    match name.as_str() {
        "parameters" => {
            let n = arg(0)?;
            env.parameter(n.as_str().unwrap_or_default())
        }
        "variables" => {
            let n = arg(0)?;
            env.variable(n.as_str().unwrap_or_default())
        }
        "true" => Ok(Json::Bool(true)),
        "false" => Ok(Json::Bool(false)),
        "null" => Ok(Json::Null),
        "concat" => {
            let vals = all()?;
            if vals.iter().all(Json::is_array) {
                Ok(Json::Array(
                    vals.into_iter()
                        .flat_map(|v| match v {
                            Json::Array(a) => a,
                            _ => Vec::new(),
                        })
                        .collect(),
                ))
            } else {
                let mut s = String::new();
                for v in &vals {
                    s.push_str(&as_str(v).ok_or_else(|| Unknown("concat".into()))?);
                }
                Ok(Json::String(s))
            }
        }
        "format" => {
            let vals = all()?;
            let Some((first, rest)) = vals.split_first() else {
                return unknown("format");
            };
            format_string(first.as_str().unwrap_or_default(), rest)
                .map(Json::String)
                .ok_or_else(|| Unknown("format".into()))
        }
        "tolower" | "toupper" | "string" | "trim" => {
            let v = arg(0)?;
            let s = match &v {
                Json::String(s) => s.clone(),
                other if name == "string" => other.to_string(),
                _ => return unknown(&name),
            };
            Ok(Json::String(match name.as_str() {
                "tolower" => s.to_lowercase(),
                "toupper" => s.to_uppercase(),
                "trim" => s.trim().to_string(),
                _ => s,
            }))
        }
        "int" => match arg(0)? {
            Json::Number(n) => Ok(Json::Number(n)),
            Json::String(s) => s
                .trim()
                .parse::<i64>()
                .map(Json::from)
                .map_err(|_| Unknown("int".into())),
            _ => unknown("int"),
        },
        "bool" => truthy(&arg(0)?)
            .or_else(|| arg(0).ok().and_then(|v| v.as_i64()).map(|n| n != 0))
            .map(Json::Bool)
            .ok_or_else(|| Unknown("bool".into())),
        "equals" => {
            let (a, b) = (arg(0)?, arg(1)?);
            Ok(Json::Bool(a == b))
        }
        "not" => truthy(&arg(0)?)
            .map(|b| Json::Bool(!b))
            .ok_or_else(|| Unknown("not".into())),
        "and" | "or" => {
            let vals = all()?;
            let bools: Option<Vec<bool>> = vals.iter().map(truthy).collect();
            let bools = bools.ok_or_else(|| Unknown(name.clone()))?;
            Ok(Json::Bool(if name == "and" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "if" => match truthy(&arg(0)?) {
            Some(true) => arg(1),
            Some(false) => arg(2),
            None => unknown("if"),
        },
        "coalesce" => {
            for a in args {
                let v = eval(a, env, depth + 1)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Json::Null)
        }
        "empty" => Ok(Json::Bool(match arg(0)? {
            Json::Null => true,
            Json::String(s) => s.is_empty(),
            Json::Array(a) => a.is_empty(),
            Json::Object(o) => o.is_empty(),
            _ => false,
        })),
        "length" => match arg(0)? {
            Json::String(s) => Ok(Json::from(s.chars().count())),
            Json::Array(a) => Ok(Json::from(a.len())),
            Json::Object(o) => Ok(Json::from(o.len())),
            _ => unknown("length"),
        },
        "contains" => {
            let (c, item) = (arg(0)?, arg(1)?);
            Ok(Json::Bool(match (&c, &item) {
                (Json::String(s), Json::String(i)) => s.contains(i.as_str()),
                (Json::Array(a), _) => a.contains(&item),
                (Json::Object(o), Json::String(k)) => o.contains_key(k),
                _ => return unknown("contains"),
            }))
        }
        "createarray" => Ok(Json::Array(all()?)),
        "createobject" => {
            let vals = all()?;
            let mut m = Map::new();
            for pair in vals.chunks(2) {
                if let [Json::String(k), v] = pair {
                    m.insert(k.clone(), v.clone());
                } else {
                    return unknown("createObject");
                }
            }
            Ok(Json::Object(m))
        }
        "json" => match arg(0)? {
            Json::String(s) => serde_json::from_str(&s).map_err(|_| Unknown("json".into())),
            _ => unknown("json"),
        },
        "resourceid" | "subscriptionresourceid" | "tenantresourceid" => {
            let vals: Vec<Val> = args.iter().map(|a| eval(a, env, depth + 1)).collect();
            let kind = match name.as_str() {
                "resourceid" => "resourceId",
                "subscriptionresourceid" => "subscriptionResourceId",
                _ => "tenantResourceId",
            };
            resource_id(&vals, kind)
        }
        "extensionresourceid" => {
            let scope = arg(0)?;
            let vals: Vec<Val> = args
                .iter()
                .skip(1)
                .map(|a| eval(a, env, depth + 1))
                .collect();
            let rel = resource_id(&vals, "extensionResourceId")?;
            match (scope.as_str(), rel.as_str()) {
                (Some(s), Some(r)) => Ok(Json::String(format!("{s}/providers/{r}"))),
                _ => unknown("extensionResourceId"),
            }
        }
        _ => unknown(&name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct E;
    impl Env for E {
        fn parameter(&self, name: &str) -> Val {
            match name {
                "name" => Ok(json!("aks")),
                "private" => Ok(json!(true)),
                _ => Err(Unknown(format!("parameters('{name}')"))),
            }
        }
        fn variable(&self, name: &str) -> Val {
            match name {
                "v" => Ok(json!({"a": [1, 2]})),
                _ => Err(Unknown(format!("variables('{name}')"))),
            }
        }
    }

    fn ev(s: &str) -> Val {
        eval_string(s, &E)
    }

    #[test]
    fn evaluates_what_templates_use() {
        assert_eq!(ev("[parameters('name')]"), Ok(json!("aks")));
        assert_eq!(ev("[parameters( 'private' )]"), Ok(json!(true)));
        assert_eq!(
            ev("[format('{0}/{1}', parameters('name'), 'x')]"),
            Ok(json!("aks/x"))
        );
        assert_eq!(ev("[concat('a', 'b''c')]"), Ok(json!("ab'c")));
        assert_eq!(ev("[variables('v').a[1]]"), Ok(json!(2)));
        assert_eq!(
            ev("[not(equals(parameters('name'), 'x'))]"),
            Ok(json!(true))
        );
        assert_eq!(
            ev("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v', 's')]"),
            Ok(json!("Microsoft.Network/virtualNetworks/v/subnets/s"))
        );
        assert_eq!(
            ev("[resourceId(parameters('sub'), 'rg', 'Microsoft.Network/routeTables', 'rt')]"),
            Ok(json!("Microsoft.Network/routeTables/rt"))
        );
        assert_eq!(
            ev("[resourceId('s', 'rg', 'Microsoft.Network/routeTables', 'rt')]"),
            Ok(json!(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt"
            ))
        );
    }

    #[test]
    fn unknowns_keep_their_origin() {
        assert_eq!(
            ev("[parameters('sub')]"),
            Err(Unknown("parameters('sub')".into()))
        );
        assert_eq!(
            ev("[reference('x').id]"),
            Err(Unknown("[reference('x').id]".into()))
        );
        assert_eq!(
            ev("[concat(parameters('sub'), 'x')]"),
            Err(Unknown("[concat(parameters('sub'), 'x')]".into()))
        );
        assert_eq!(ev("[broken("), Err(Unknown("[broken(".into())));
        for hostile in [
            "[format()]",
            "[extensionResourceId()]",
            "[resourceId()]",
            "[if()]",
            "[createObject('a')]",
            "[concat()]",
            "[variables('v')[9]]",
            "[]",
            "['unterminated]",
        ] {
            assert!(
                ev(hostile).is_err() || ev(hostile).is_ok(),
                "{hostile} does not panic"
            );
        }
        assert!(!is_expression("[[literal]"));
    }
}
