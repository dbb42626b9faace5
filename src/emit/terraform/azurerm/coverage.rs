//! The coverage walk: every leaf of an IR body that the translation neither read nor lists as
//! not expressible, so an IR property azurerm silently drops is a typed error.

use super::Paths;
use super::gaps::Gap;
use crate::ir::Value;

/// A scalar leaf spelled as text, for comparing with [`Gap::only`].
pub(super) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(n) => Some(n.to_string()),
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// Every leaf of a value (at `path`) that was neither read (`seen`) nor listed in `gaps`, with its
/// path and scalar spelling, in order. Empty objects carry nothing; arrays of scalars are one
/// leaf. One path buffer serves the whole walk, and a node read as a whole is not walked.
pub(super) fn uncovered(
    v: &Value,
    path: &mut String,
    seen: &Paths,
    gaps: &[&Gap],
    out: &mut Vec<(String, Option<String>)>,
) {
    let odd = path.is_empty() || path.contains(['.', '[']);
    walk(v, path, odd, seen, gaps, out);
}

/// [`uncovered`] below a node; `odd` when the walk started at the empty path or a key on the
/// way holds a `.` or a `[`. Otherwise the prefixes [`covered`] would look up are the paths of
/// the nodes above, which the walk has looked up already.
fn walk(
    v: &Value,
    path: &mut String,
    odd: bool,
    seen: &Paths,
    gaps: &[&Gap],
    out: &mut Vec<(String, Option<String>)>,
) {
    // A node read as a whole covers every leaf below it.
    if !path.is_empty() && seen.contains(path.as_str()) {
        return;
    }
    match v {
        Value::Null => {}
        Value::Object(o) => {
            for (k, x) in o {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(x, path, odd || k.contains(['.', '[']), seen, gaps, out);
                path.truncate(len);
            }
        }
        Value::Array(a) if a.iter().any(|x| matches!(x, Value::Object(_))) => {
            let len = path.len();
            path.push_str("[]");
            for x in a {
                walk(x, path, odd, seen, gaps, out);
            }
            path.truncate(len);
        }
        other => {
            let p = path.as_str();
            let gap = gaps
                .iter()
                .any(|g| g.path == p && g.only.is_none_or(|o| scalar(other).as_deref() == Some(o)));
            let read = odd && covered(seen, p);
            if !gap && !read {
                out.push((p.to_string(), scalar(other)));
            }
        }
    }
}

/// Whether a leaf path was read: the path itself, or a node above it (a prefix of it that ends
/// where a key or an array's `[]` begins). Looked up per prefix, so the check stays linear in
/// the size of a resource.
fn covered(seen: &Paths, path: &str) -> bool {
    seen.contains(path)
        || path
            .bytes()
            .enumerate()
            .any(|(i, b)| matches!(b, b'.' | b'[') && seen.contains(&path[..i]))
}
