//! A small, deterministic YAML printer for JSON values: block style, keys in their order, every
//! string double-quoted with JSON's escapes (a valid YAML scalar), so nothing a value holds can be
//! read back as another type.

use serde_json::Value;
use std::fmt::Write as _;

/// One document, without the `---` separator.
pub fn document(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => object(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => array(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        && k.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    let reserved = matches!(
        k.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    );
    if plain && !reserved {
        k.to_string()
    } else {
        Value::String(k.to_string()).to_string()
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

fn object(out: &mut String, m: &serde_json::Map<String, Value>, depth: usize) {
    for (k, v) in m {
        indent(out, depth);
        if is_block(v) {
            let _ = writeln!(out, "{}:", key(k));
            match v {
                Value::Object(inner) => object(out, inner, depth + 2),
                Value::Array(items) => array(out, items, depth + 2),
                _ => {}
            }
        } else {
            let _ = writeln!(out, "{}: {}", key(k), scalar(v));
        }
    }
}

fn array(out: &mut String, a: &[Value], depth: usize) {
    for v in a {
        indent(out, depth);
        match v {
            Value::Object(m) if !m.is_empty() => {
                // The first key shares the dash's line; the rest line up under it.
                let mut inner = String::new();
                object(&mut inner, m, depth + 2);
                out.push_str("- ");
                out.push_str(inner.get(depth + 2..).unwrap_or_default());
            }
            Value::Array(items) if !items.is_empty() => {
                out.push_str("-\n");
                array(out, items, depth + 2);
            }
            other => {
                let _ = writeln!(out, "- {}", scalar(other));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::document;
    use serde_json::json;

    #[test]
    fn prints_block_yaml_with_quoted_strings() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": { "name": "team-a", "labels": { "pod-security.kubernetes.io/enforce": "restricted", "on": "yes" } },
            "spec": { "ports": [ { "port": 443, "name": "https" }, { "port": 80 } ], "empty": {}, "list": [] },
            "data": [[1, 2], "x\ny"],
        });
        let want = r#"apiVersion: "v1"
kind: "Namespace"
metadata:
  name: "team-a"
  labels:
    pod-security.kubernetes.io/enforce: "restricted"
    "on": "yes"
spec:
  ports:
    - port: 443
      name: "https"
    - port: 80
  empty: {}
  list: []
data:
  -
    - 1
    - 2
  - "x\ny"
"#;
        assert_eq!(document(&v), want);
    }

    #[test]
    fn scalars_and_empty_documents() {
        assert_eq!(document(&json!(null)), "null\n");
        assert_eq!(document(&json!({})), "{}\n");
        assert_eq!(document(&json!("s")), "\"s\"\n");
    }
}
