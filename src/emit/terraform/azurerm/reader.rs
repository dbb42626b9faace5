//! The recording reader: an IR resource read node by node ([`N`]), each value read recording
//! its path, so that what no translator read can be reported.

use super::Kind;
use super::coverage::scalar;
use crate::emit::Untranslated;
use crate::ir::{Deployment, Resource, Value};
use indexmap::IndexMap;

/// The paths read from one resource (behind a lock: the parts of a fleet's translation run on
/// threads of their own, and any of them may read any resource).
pub(super) type Seen = std::sync::Mutex<Paths>;

/// A set of property paths, hashed with [`super::Fx`]: looked up once per node of the
/// coverage walk.
pub(super) type Paths = indexmap::IndexSet<String, crate::emit::terraform::FxBuild>;

/// A node of an IR body, with its path; reading a value records the path as translated.
#[derive(Clone)]
pub(super) struct N<'a> {
    pub(super) v: Option<&'a Value>,
    /// The resource's body, for the root node (whose `v` is `None`): read in place, never
    /// copied into a value of its own.
    pub(super) root: Option<&'a IndexMap<String, Value>>,
    pub(super) path: String,
    pub(super) seen: &'a Seen,
}

impl<'a> N<'a> {
    /// The node at a `.`-separated path of object keys below this one.
    pub(super) fn get(&self, path: &str) -> N<'a> {
        let mut v = self.v;
        let mut obj = self.root;
        let mut p = String::with_capacity(self.path.len() + path.len() + 1);
        if self.path.is_empty() {
            // Keys are joined by dots, and no dot starts a path.
            p.push_str(path.trim_start_matches('.'));
        } else {
            p.push_str(&self.path);
            p.push('.');
            p.push_str(path);
        }
        // The keys between the dots, one after the other, while each is found.
        let mut rest = path;
        loop {
            let (key, next) = match rest.bytes().position(|c| c == b'.') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            v = match (obj.take(), v) {
                (Some(o), _) | (None, Some(Value::Object(o))) => field(o, key),
                _ => None,
            };
            match next {
                Some(n) if v.is_some() => rest = n,
                _ => break,
            }
        }
        N {
            v,
            root: None,
            path: p,
            seen: self.seen,
        }
    }

    pub(super) fn present(&self) -> bool {
        self.root.is_some() || !matches!(self.v, None | Some(Value::Null))
    }

    /// Record this node (and everything below it) as translated.
    pub(super) fn mark(&self) {
        if self.present() {
            let mut seen = self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !seen.contains(&self.path) {
                seen.insert(self.path.clone());
            }
        }
    }

    /// The value `f` finds in this node, recorded as translated when it finds one.
    pub(super) fn take<T>(&self, f: impl FnOnce(&'a Value) -> Option<T>) -> Option<T> {
        let found = self.v.and_then(f);
        if found.is_some() {
            self.mark();
        }
        found
    }

    pub(super) fn str(&self) -> Option<&'a str> {
        self.take(|v| match v {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        })
    }

    pub(super) fn bool(&self) -> Option<bool> {
        self.take(|v| match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        })
    }

    pub(super) fn int(&self) -> Option<i64> {
        self.take(|v| match v {
            Value::Int(n) => Some(*n),
            _ => None,
        })
    }

    /// `Enabled`/`enabled` → true, `Disabled`/`disabled` → false.
    pub(super) fn enabled(&self) -> Option<bool> {
        self.take(|v| match v {
            Value::Str(s) if s.eq_ignore_ascii_case("enabled") => Some(true),
            Value::Str(s) if s.eq_ignore_ascii_case("disabled") => Some(false),
            _ => None,
        })
    }

    /// `Some(true)` for the scalar `yes`, `Some(false)` for `no`; recorded only then.
    pub(super) fn either(&self, yes: &str, no: &str) -> Option<bool> {
        if self.is(yes) {
            Some(true)
        } else if self.is(no) {
            Some(false)
        } else {
            None
        }
    }

    /// Whether the value is the scalar `lit`; recorded as translated only when it is.
    pub(super) fn is(&self, lit: &str) -> bool {
        let yes = self.v.and_then(scalar).as_deref() == Some(lit);
        if yes {
            self.mark();
        }
        yes
    }

    /// The items of an array (path `…[]`), not recorded themselves.
    pub(super) fn items(&self) -> Vec<N<'a>> {
        match self.v {
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| N {
                    v: Some(x),
                    root: None,
                    path: crate::emit::terraform::cat(&[&self.path, "[]"]),
                    seen: self.seen,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The value of a key: a small object is scanned, which costs less than hashing the key.
pub(super) fn field<'v>(o: &'v IndexMap<String, Value>, key: &str) -> Option<&'v Value> {
    if o.len() <= 8 {
        o.iter().find_map(|(k, v)| (k == key).then_some(v))
    } else {
        o.get(key)
    }
}

/// One IR resource with its body as a value and the paths read from it.
pub(super) struct Item<'t> {
    /// Its position among the template's resources.
    pub(super) index: usize,
    pub(super) d: &'t Deployment,
    pub(super) r: &'t Resource,
    /// Its kind, looked up once.
    pub(super) kind: Option<&'static Kind>,
    pub(super) seen: Seen,
    /// The positions of the items of its deployment (itself included).
    pub(super) siblings: std::ops::Range<usize>,
    /// The label of the block it becomes ([`item_label`]).
    pub(super) label: String,
}

impl<'t> Item<'t> {
    pub(super) fn root(&self) -> N<'_> {
        N {
            v: None,
            root: Some(&self.r.body),
            path: String::new(),
            seen: &self.seen,
        }
    }

    pub(super) fn names(&self) -> &'t [String] {
        self.r.name_segments()
    }

    /// The resource's own name (the last segment for a child).
    pub(super) fn name(&self) -> &'t str {
        self.names().last().map_or("", String::as_str)
    }

    /// Whether `x` is of type `rtype`, in the same deployment, with the same first name: this
    /// resource's host, or a child folded into it.
    pub(super) fn related(&self, x: &Item, rtype: &str) -> bool {
        std::ptr::eq(self.d, x.d) && x.r.rtype == rtype && x.names().first() == self.names().first()
    }

    /// The items of its deployment, the only ones [`Item::related`] can accept.
    pub(super) fn siblings<'i>(&self, items: &'i [Item<'t>]) -> &'i [Item<'t>] {
        &items[self.siblings.clone()]
    }

    /// A property of this resource left untranslated.
    pub(super) fn untranslated(
        &self,
        path: &str,
        value: Option<String>,
        why: &str,
    ) -> Untranslated {
        Untranslated::new(self.d, self.r, path, value, why)
    }
}
