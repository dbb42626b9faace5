//! One ARM-shaped resource, where it is deployed, how its properties are looked up, the marker
//! that stands for a value the audit cannot evaluate, and resource ids taken apart.

use crate::audit::expr;
use serde_json::Value as Json;

/// The marker for an unknown value.
pub fn unknown_value(what: &str) -> Json {
    expr::marker(what)
}

/// If `v` is the unknown marker, what it stands for.
pub fn as_unknown(v: &Json) -> Option<&str> {
    expr::as_marker(v)
}

/// The subscription or resource group a resource is deployed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The one the template itself is deployed to.
    Root,
    /// A literal id or name.
    Known(String),
    /// Decided at deployment, by the expression described.
    Unknown(String),
}

impl Place {
    /// Whether two places are certainly the same.
    pub fn same(&self, other: &Place) -> bool {
        match (self, other) {
            (Place::Root, Place::Root) => true,
            (Place::Known(a), Place::Known(b)) | (Place::Unknown(a), Place::Unknown(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }

    /// A key equal for two places exactly when [`Place::same`] holds.
    pub fn key(&self) -> (u8, String) {
        match self {
            Place::Root => (0, String::new()),
            Place::Known(a) => (1, a.to_ascii_lowercase()),
            Place::Unknown(a) => (2, a.to_ascii_lowercase()),
        }
    }

    /// In words, for a subscription.
    pub fn describe(&self, what: &str) -> String {
        match self {
            Place::Root => format!("the deployment's {what}"),
            Place::Known(s) => format!("{what} `{s}`"),
            Place::Unknown(e) => format!("the {what} given by `{e}`"),
        }
    }
}

/// One resource, ARM-shaped.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Full resource type, e.g. `Microsoft.Network/virtualNetworks/subnets`.
    pub rtype: String,
    /// Full name (`vnet/subnet` for children), evaluated; the expression when it cannot be.
    pub name: String,
    /// How reports name it.
    pub label: String,
    /// The name as written.
    pub raw_name: String,
    /// Whether `name` is the evaluated name; when it is not, `name` places the resource by
    /// where it is written, which moves when resources are added before it.
    pub name_known: bool,
    /// For extension resources: the id of what they attach to (evaluated, or the expression).
    pub scope: Option<String>,
    /// Everything but type, apiVersion, name, scope, dependsOn and children, evaluated.
    pub body: Json,
    /// Its subscription.
    pub subscription: Place,
    /// Its resource group; `None` at subscription (or wider) scope.
    pub resource_group: Option<Place>,
    /// JSON pointer of the resource object in the source text.
    pub pointer: String,
    /// JSON pointer its `properties.` paths start at.
    pub properties_pointer: String,
    /// Names of the nested deployments it sits in, outermost first.
    pub deployment: Vec<String>,
}

impl Resource {
    /// Whether the type is `t` (case-insensitive, as in ARM).
    pub fn is(&self, t: &str) -> bool {
        self.rtype.eq_ignore_ascii_case(t)
    }

    /// The value at a property path such as `properties.agentPoolProfiles[0].mode`.
    pub fn get(&self, path: &str) -> Look<'_> {
        look(&self.body, path)
    }

    /// The last segment of the type (`managedClusters`).
    pub fn short_type(&self) -> &str {
        self.rtype.rsplit('/').next().unwrap_or(&self.rtype)
    }

    /// The JSON pointer of a property path of this resource.
    pub fn pointer_of(&self, path: &str) -> String {
        let mut segs = split_path(path).peekable();
        let mut out = if segs
            .peek()
            .is_some_and(|s| s.eq_ignore_ascii_case("properties"))
        {
            segs.next();
            self.properties_pointer.clone()
        } else {
            self.pointer.clone()
        };
        for s in segs {
            out.push('/');
            out.push_str(&s.replace('~', "~0").replace('/', "~1"));
        }
        out
    }
}

/// The result of looking up a property.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Look<'a> {
    /// Not there (or `null`).
    Missing,
    /// Hidden behind an expression the audit cannot evaluate.
    Unknown(&'a str),
    /// A value.
    Value(&'a Json),
}

impl<'a> Look<'a> {
    /// The value, if known.
    pub fn value(self) -> Option<&'a Json> {
        match self {
            Look::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a string, if known and a string.
    pub fn str(self) -> Option<&'a str> {
        self.value().and_then(Json::as_str)
    }

    /// The value as a boolean (`true`, or the string `"true"`), if known.
    pub fn bool(self) -> Option<bool> {
        match self.value()? {
            Json::Bool(b) => Some(*b),
            Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The value as an array of items, if known and an array.
    pub fn array(self) -> &'a [Json] {
        self.value()
            .and_then(Json::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// The segments of a property path (`properties.pools[0].name` → `properties`, `pools`, `0`,
/// `name`), borrowed from it: empty parts are skipped, and in a part with `[`, the text before
/// it and each `[...]` that follows are segments (what trails them is not).
fn split_path(path: &str) -> Segments<'_> {
    Segments {
        parts: path.split('.'),
        items: "",
    }
}

/// The iterator [`split_path`] gives: every property lookup walks one, so it is written out
/// rather than assembled from adapters.
struct Segments<'a> {
    parts: std::str::Split<'a, char>,
    /// What follows the head of the current part: its `[...]` items still to give.
    items: &'a str,
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let pending = std::mem::take(&mut self.items);
            if let Some(stripped) = pending.strip_prefix('[') {
                if let Some(end) = stripped.find(']') {
                    self.items = &stripped[end + 1..];
                    return Some(&stripped[..end]);
                }
            }
            let part = self.parts.next()?;
            match part.bytes().position(|b| b == b'[') {
                None if part.is_empty() => {}
                None => return Some(part),
                Some(i) => {
                    self.items = &part[i..];
                    if i > 0 {
                        return Some(&part[..i]);
                    }
                }
            }
        }
    }
}

/// An object's value under `key`: the exact key, else the first key equal ignoring ASCII case.
/// Small objects (most of a resource's) are scanned rather than hashed.
fn key_ci<'a>(o: &'a serde_json::Map<String, Json>, key: &str) -> Option<&'a Json> {
    let exact = if o.len() <= 16 {
        o.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    } else {
        o.get(key)
    };
    exact.or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Look up a property path in a JSON value: object keys case-insensitively (ARM's rule), `[i]`
/// for array items.
pub fn look<'a>(root: &'a Json, path: &str) -> Look<'a> {
    let mut v = root;
    for seg in split_path(path) {
        if let Some(u) = as_unknown(v) {
            return Look::Unknown(u);
        }
        v = match v {
            Json::Object(o) => match key_ci(o, seg) {
                Some(x) => x,
                None => return Look::Missing,
            },
            Json::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                Some(x) => x,
                None => return Look::Missing,
            },
            _ => return Look::Missing,
        };
    }
    if let Some(u) = as_unknown(v) {
        Look::Unknown(u)
    } else if v.is_null() {
        Look::Missing
    } else {
        Look::Value(v)
    }
}

/// `(subscription, resource group)` of a full resource id.
pub fn id_scope(id: &str) -> (Option<String>, Option<String>) {
    let segs: Vec<&str> = id.split('/').collect();
    let mut sub = None;
    let mut rg = None;
    for w in segs.windows(2) {
        if w[0].eq_ignore_ascii_case("subscriptions") && sub.is_none() {
            sub = Some(w[1].to_string());
        }
        if w[0].eq_ignore_ascii_case("resourceGroups") && rg.is_none() {
            rg = Some(w[1].to_string());
        }
    }
    (sub, rg)
}

/// The segments of a resource id after its last `/providers/` (or of a provider-relative id):
/// `Ns/type`, then a name, then a type and a name for each child level; `None` when it is not
/// an id.
pub(crate) fn id_segments(id: &str) -> Option<Vec<&str>> {
    const PROVIDERS: &[u8] = b"/providers/";
    if expr::is_expression(id) {
        return None;
    }
    let rel = match id
        .as_bytes()
        .windows(PROVIDERS.len())
        .rposition(|w| w.eq_ignore_ascii_case(PROVIDERS))
    {
        Some(i) => &id[i + PROVIDERS.len()..],
        None => id.trim_start_matches('/'),
    };
    let segs: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() < 3 || segs.len() % 2 == 0 || !segs[0].contains('.') {
        return None;
    }
    Some(segs)
}

/// The type and name segments of a resource id: a full id
/// (`/subscriptions/…/providers/Ns/type/name/…`) or a provider-relative one (`Ns/type/name/…`).
pub fn parse_id(id: &str) -> Option<(String, Vec<String>)> {
    let segs = id_segments(id)?;
    let mut rtype = segs[0].to_string();
    let mut names = Vec::new();
    for pair in segs[1..].chunks(2) {
        rtype.push('/');
        rtype.push_str(pair[0]);
        names.push(pair[1].to_string());
    }
    Some((rtype, names))
}

/// The type and full name of a resource id, in lower case: what [`parse_id`] gives, its names
/// joined with `/`.
pub(crate) fn id_key(id: &str) -> Option<(String, String)> {
    let segs = id_segments(id)?;
    let mut rtype = String::with_capacity(id.len());
    let mut name = String::with_capacity(id.len());
    rtype.push_str(segs[0]);
    for (n, pair) in segs[1..].chunks(2).enumerate() {
        rtype.push('/');
        rtype.push_str(pair[0]);
        if n > 0 {
            name.push('/');
        }
        name.push_str(pair[1]);
    }
    rtype.make_ascii_lowercase();
    name.make_ascii_lowercase();
    Some((rtype, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ids_parse() {
        assert_eq!(
            parse_id("Microsoft.Network/virtualNetworks/v/subnets/s"),
            Some((
                "Microsoft.Network/virtualNetworks/subnets".into(),
                vec!["v".into(), "s".into()]
            ))
        );
        assert_eq!(
            parse_id(
                "/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt"
            ),
            Some(("Microsoft.Network/routeTables".into(), vec!["rt".into()]))
        );
        assert_eq!(parse_id("[resourceId('x')]"), None);
        assert_eq!(
            id_scope("/subscriptions/1/resourceGroups/rg/providers/X.Y/z/n"),
            (Some("1".into()), Some("rg".into()))
        );
    }

    #[test]
    fn paths_split_into_keys_and_items() {
        let cases: &[(&str, &[&str])] = &[
            (
                "properties.pools[0].name",
                &["properties", "pools", "0", "name"],
            ),
            ("a..b.", &["a", "b"]),
            ("", &[]),
            ("a[1][2]x.b", &["a", "1", "2", "b"]),
            ("[3].c", &["3", "c"]),
            ("a[x.y]", &["a", "y]"]),
            ("a[1", &["a"]),
            ("a[]b[2]", &["a", ""]),
        ];
        for (path, want) in cases {
            assert_eq!(split_path(path).collect::<Vec<_>>(), *want, "{path}");
        }
    }

    #[test]
    fn look_is_case_insensitive_and_knows_unknowns() {
        let v = serde_json::json!({"properties": {"enableRbac": true, "x": unknown_value("p")}});
        assert_eq!(
            look(&v, "properties.enableRBAC"),
            Look::Value(&Json::Bool(true))
        );
        assert_eq!(look(&v, "properties.x.y"), Look::Unknown("p"));
        assert_eq!(look(&v, "properties.z"), Look::Missing);
    }
}
