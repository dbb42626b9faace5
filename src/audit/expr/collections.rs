//! Array and object functions, and the lambda functions (`map`, `filter`, `reduce`, `sort`,
//! `toObject`, `mapValues`, `groupBy`). The functions that only arrange values (`union`,
//! `createObject`, `first`, `length`, ...) keep unknowns inside them as markers, so a value built
//! with `union(createObject(...), ...)` stays judgeable where it is known.

use super::parse::Ast;
use super::{Bad, Ev, Unknown, Val, get_ci, known, norm, strings, truthy};
use serde_json::{Map, Value as Json};

/// The functions that take their arguments with unknowns inside them.
pub(super) const LOOSE: &[&str] = &[
    "array",
    "concat",
    "contains",
    "createarray",
    "createobject",
    "empty",
    "first",
    "flatten",
    "items",
    "last",
    "length",
    "objectkeys",
    "shallowmerge",
    "skip",
    "take",
    "tryget",
    "union",
];

/// A function of [`LOOSE`]; `None` when ARM would reject the call or it cannot be decided.
pub(super) fn loose(name: &str, a: Vec<Json>) -> Option<Json> {
    match name {
        "array" => Some(match a.into_iter().next()? {
            Json::Array(x) => Json::Array(x),
            other => Json::Array(vec![other]),
        }),
        "concat" => {
            if a.iter().all(Json::is_array) {
                Some(Json::Array(
                    a.into_iter()
                        .flat_map(|v| match v {
                            Json::Array(x) => x,
                            _ => Vec::new(),
                        })
                        .collect(),
                ))
            } else {
                strings::call("concat", &a).and_then(Result::ok)
            }
        }
        "contains" => contains(a.first()?, a.get(1)?).map(Json::Bool),
        "createarray" => Some(Json::Array(a)),
        "createobject" => {
            if a.len() % 2 != 0 {
                return None;
            }
            let mut m = Map::new();
            let mut it = a.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                m.insert(k.as_str()?.to_string(), v);
            }
            Some(Json::Object(m))
        }
        "empty" => Some(Json::Bool(match a.first()? {
            Json::Null => true,
            Json::String(s) => s.is_empty(),
            Json::Array(x) => x.is_empty(),
            Json::Object(o) => o.is_empty(),
            _ => return None,
        })),
        "length" => Some(Json::from(match a.first()? {
            Json::String(s) => s.chars().count(),
            Json::Array(x) => x.len(),
            Json::Object(o) => o.len(),
            _ => return None,
        })),
        "first" | "last" => Some(match a.into_iter().next()? {
            Json::String(s) => {
                let c = if name == "first" {
                    s.chars().next()
                } else {
                    s.chars().last()
                };
                Json::String(c.map(String::from).unwrap_or_default())
            }
            Json::Array(x) => {
                let v = if name == "first" {
                    x.into_iter().next()
                } else {
                    x.into_iter().last()
                };
                v.unwrap_or(Json::Null)
            }
            _ => return None,
        }),
        "take" | "skip" => {
            let n = usize::try_from(a.get(1)?.as_i64()?.max(0)).ok()?;
            let keep = |len: usize| {
                if name == "take" {
                    (0, n.min(len))
                } else {
                    (n.min(len), len)
                }
            };
            Some(match a.into_iter().next()? {
                Json::String(s) => {
                    let c: Vec<char> = s.chars().collect();
                    let (from, to) = keep(c.len());
                    Json::String(c[from..to].iter().collect())
                }
                Json::Array(x) => {
                    let (from, to) = keep(x.len());
                    Json::Array(x[from..to].to_vec())
                }
                _ => return None,
            })
        }
        "flatten" => {
            let mut out = Vec::new();
            for v in a.into_iter().next()?.as_array()? {
                match v {
                    Json::Array(x) => out.extend(x.iter().cloned()),
                    _ => return None,
                }
            }
            Some(Json::Array(out))
        }
        "items" => {
            let mut entries: Vec<(String, Json)> = a
                .into_iter()
                .next()?
                .as_object()?
                .clone()
                .into_iter()
                .collect();
            entries.sort_by(|x, y| x.0.cmp(&y.0));
            Some(Json::Array(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let mut m = Map::new();
                        m.insert("key".into(), Json::String(k));
                        m.insert("value".into(), v);
                        Json::Object(m)
                    })
                    .collect(),
            ))
        }
        "objectkeys" => Some(Json::Array(
            a.first()?
                .as_object()?
                .keys()
                .map(|k| Json::String(k.clone()))
                .collect(),
        )),
        "shallowmerge" => {
            let mut m = Map::new();
            for o in a.into_iter().next()?.as_array()? {
                for (k, v) in o.as_object()? {
                    m.insert(k.clone(), v.clone());
                }
            }
            Some(Json::Object(m))
        }
        "tryget" => {
            let mut v = a.first()?.clone();
            for k in &a[1..] {
                v = match (&v, k) {
                    (Json::Object(o), Json::String(key)) => {
                        get_ci(o, key).cloned().unwrap_or(Json::Null)
                    }
                    (Json::Array(x), Json::Number(n)) => n
                        .as_u64()
                        .and_then(|i| x.get(usize::try_from(i).ok()?))
                        .cloned()
                        .unwrap_or(Json::Null),
                    (Json::Null, _) => Json::Null,
                    _ => return None,
                };
            }
            Some(v)
        }
        "union" => union(a),
        _ => None,
    }
}

/// `contains`: a substring (case-sensitive), an object key (case-insensitive), an array item.
/// Unknown (`None`) when the answer hangs on an unknown item.
fn contains(c: &Json, item: &Json) -> Option<bool> {
    if super::first_unknown(item).is_some() {
        return None;
    }
    match (c, item) {
        (Json::String(s), _) => Some(s.contains(super::text(item)?.as_str())),
        (Json::Object(o), _) => Some(get_ci(o, &super::text(item)?).is_some()),
        (Json::Array(x), _) => {
            if x.iter().any(|v| v == item) {
                Some(true)
            } else if x.iter().any(|v| super::first_unknown(v).is_some()) {
                None
            } else {
                Some(false)
            }
        }
        _ => None,
    }
}

/// `union`: arrays without duplicates in order; objects merged left to right, nested objects
/// recursively, anything else (arrays too) replaced by the later value.
fn union(a: Vec<Json>) -> Option<Json> {
    if a.iter().all(Json::is_array) {
        let mut out: Vec<Json> = Vec::new();
        for v in a.into_iter().flat_map(|v| match v {
            Json::Array(x) => x,
            _ => Vec::new(),
        }) {
            if super::first_unknown(&v).is_some() {
                return None;
            }
            if !out.contains(&v) {
                out.push(v);
            }
        }
        return Some(Json::Array(out));
    }
    let mut out = Map::new();
    for v in a {
        merge(&mut out, v.as_object()?);
    }
    Some(Json::Object(out))
}

fn merge(into: &mut Map<String, Json>, from: &Map<String, Json>) {
    for (k, v) in from {
        let key = into
            .keys()
            .find(|x| x.eq_ignore_ascii_case(k))
            .cloned()
            .unwrap_or_else(|| k.clone());
        match (into.get_mut(&key), v) {
            (Some(Json::Object(old)), Json::Object(new))
                if super::as_marker(v).is_none()
                    && super::as_marker(&Json::Object(old.clone())).is_none() =>
            {
                merge(old, new);
            }
            _ => {
                into.insert(key, v.clone());
            }
        }
    }
}

/// Strict array and object functions.
pub(super) fn call(name: &str, a: &[Json]) -> Option<Result<Json, Bad>> {
    let out = match name {
        "indexof" | "lastindexof" => {
            let x = a.first()?.as_array()?;
            let item = a.get(1)?;
            let at = if name == "indexof" {
                x.iter().position(|v| v == item)
            } else {
                x.iter().rposition(|v| v == item)
            };
            Some(Json::from(
                at.map_or(-1, |i| i64::try_from(i).unwrap_or(-1)),
            ))
        }
        "intersection" => {
            let (first, rest) = a.split_first()?;
            match first {
                Json::Array(x) => {
                    let mut out = Vec::new();
                    for v in x {
                        if rest
                            .iter()
                            .all(|r| r.as_array().is_some_and(|r| r.contains(v)))
                            && !out.contains(v)
                        {
                            out.push(v.clone());
                        }
                    }
                    Some(Json::Array(out))
                }
                Json::Object(o) => {
                    let mut out = Map::new();
                    for (k, v) in o {
                        if rest
                            .iter()
                            .all(|r| r.as_object().and_then(|r| r.get(k)) == Some(v))
                        {
                            out.insert(k.clone(), v.clone());
                        }
                    }
                    Some(Json::Object(out))
                }
                _ => None,
            }
        }
        "max" | "min" => {
            let nums: Vec<i64> = match a {
                [Json::Array(x)] => x.iter().map(Json::as_i64).collect::<Option<_>>()?,
                _ => a.iter().map(Json::as_i64).collect::<Option<_>>()?,
            };
            let v = if name == "max" {
                nums.into_iter().max()
            } else {
                nums.into_iter().min()
            };
            v.map(Json::from)
        }
        "range" => {
            let (start, count) = (a.first()?.as_i64()?, a.get(1)?.as_i64()?);
            if !(0..=10_000).contains(&count) {
                return Some(Err(Bad));
            }
            Some(Json::Array(
                (start..start + count).map(Json::from).collect(),
            ))
        }
        _ => return None,
    };
    Some(out.ok_or(Bad))
}

/// A lambda: its variable names and body.
fn lambda(a: &Ast) -> Option<(Vec<String>, &Ast)> {
    let Ast::Call(f, args) = a else { return None };
    if !f.eq_ignore_ascii_case("lambda") {
        return None;
    }
    let (body, names) = args.split_last()?;
    let names = names
        .iter()
        .map(|n| match n {
            Ast::Str(s) => Some(s.clone()),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((names, body))
}

impl Ev<'_> {
    /// Apply a lambda to values bound to its variables.
    fn apply(&self, (names, body): &(Vec<String>, &Ast), vals: &[Json], depth: usize) -> Val {
        let mut locals = self.locals.clone();
        for (n, v) in names.iter().zip(vals) {
            locals.push((n.clone(), v.clone()));
        }
        Ev {
            env: self.env,
            locals,
        }
        .eval(body, depth + 1)
    }
}

/// The lambda functions; `None` when the call is malformed.
pub(super) fn lambda_call(ev: &Ev, name: &str, args: &[Ast], depth: usize) -> Option<Val> {
    let input = match ev.eval(args.first()?, depth + 1) {
        Ok(v) => v,
        Err(u) => return Some(Err(u)),
    };
    let r: Val = (|| match name {
        "map" | "filter" | "sort" | "groupby" | "toobject" => {
            let items = input.as_array().ok_or_else(|| Unknown(name.into()))?;
            let f = lambda(args.get(1).ok_or_else(|| Unknown(name.into()))?)
                .ok_or_else(|| Unknown(name.into()))?;
            match name {
                "map" => Ok(Json::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, x)| {
                            ev.apply(&f, &[x.clone(), Json::from(i)], depth)
                                .map(|v| super::to_marker(Ok(v)))
                        })
                        .collect::<Result<_, _>>()?,
                )),
                "filter" => {
                    let mut out = Vec::new();
                    for (i, x) in items.iter().enumerate() {
                        let keep = known(ev.apply(&f, &[x.clone(), Json::from(i)], depth))?;
                        if truthy(&keep).ok_or_else(|| Unknown("filter".into()))? {
                            out.push(x.clone());
                        }
                    }
                    Ok(Json::Array(out))
                }
                "sort" => {
                    let mut out: Vec<Json> = Vec::new();
                    for x in items {
                        let mut at = out.len();
                        for (j, y) in out.iter().enumerate() {
                            let less = known(ev.apply(&f, &[x.clone(), y.clone()], depth))?;
                            if truthy(&less) == Some(true) {
                                at = j;
                                break;
                            }
                        }
                        out.insert(at, x.clone());
                    }
                    Ok(Json::Array(out))
                }
                "groupby" => {
                    let mut out = Map::new();
                    for x in items {
                        let k = known(ev.apply(&f, std::slice::from_ref(x), depth))?;
                        let k = super::text(&k).ok_or_else(|| Unknown("groupBy".into()))?;
                        if let Json::Array(g) =
                            out.entry(k).or_insert_with(|| Json::Array(Vec::new()))
                        {
                            g.push(x.clone());
                        }
                    }
                    Ok(Json::Object(out))
                }
                _ => {
                    let value_fn = args.get(2).and_then(lambda);
                    let mut out = Map::new();
                    for x in items {
                        let k = known(ev.apply(&f, std::slice::from_ref(x), depth))?;
                        let k = super::text(&k).ok_or_else(|| Unknown("toObject".into()))?;
                        let v = match &value_fn {
                            Some(g) => {
                                super::to_marker(ev.apply(g, std::slice::from_ref(x), depth))
                            }
                            None => x.clone(),
                        };
                        out.insert(k, v);
                    }
                    Ok(Json::Object(out))
                }
            }
        }
        "mapvalues" => {
            let o = input.as_object().ok_or_else(|| Unknown(name.into()))?;
            let f = lambda(args.get(1).ok_or_else(|| Unknown(name.into()))?)
                .ok_or_else(|| Unknown(name.into()))?;
            let mut out = Map::new();
            for (k, v) in o {
                out.insert(
                    k.clone(),
                    super::to_marker(ev.apply(&f, std::slice::from_ref(v), depth)),
                );
            }
            Ok(Json::Object(out))
        }
        "reduce" => {
            let items = input.as_array().ok_or_else(|| Unknown(name.into()))?;
            let mut acc = ev.eval(args.get(1).ok_or_else(|| Unknown(name.into()))?, depth + 1)?;
            let f = lambda(args.get(2).ok_or_else(|| Unknown(name.into()))?)
                .ok_or_else(|| Unknown(name.into()))?;
            for (i, x) in items.iter().enumerate() {
                acc = ev.apply(&f, &[acc, x.clone(), Json::from(i)], depth)?;
            }
            Ok(acc)
        }
        _ => Err(Unknown(name.into())),
    })();
    Some(r.and_then(norm))
}
