//! Names as the diagram shows them: the evaluated name, or a sketch of the expression that
//! names the resource (`format('acr{0}', uniqueString(…))` reads `acr…`), and node ids derived
//! from names: sanitised, deterministic, and made unique by a hash of what the node stands for,
//! never by its position.

use crate::audit::expr::is_expression;
use crate::audit::input::Resource;
use std::collections::BTreeMap;

/// The longest id kept before a hash stands for the rest.
const MAX_ID: usize = 48;

/// How the diagram names a resource.
pub(super) fn display_name(r: &Resource) -> String {
    if !r.name_known && is_expression(&r.raw_name) {
        let s = sketch(&r.raw_name);
        if s.is_empty() || s == "…" {
            r.label.clone()
        } else {
            s
        }
    } else {
        r.name.clone()
    }
}

/// A readable sketch of an ARM expression: literals kept, `parameters('x')` and
/// `variables('x')` as `{x}`, `format` and `concat` applied, anything else `…`.
pub(super) fn sketch(expression: &str) -> String {
    let inner = expression
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(expression);
    let mut p = Sketch {
        s: inner.as_bytes(),
        at: 0,
    };
    let out = p.expr();
    let mut tidy = String::new();
    for c in out.chars() {
        if !(c == '…' && tidy.ends_with('…')) {
            tidy.push(c);
        }
    }
    tidy
}

struct Sketch<'a> {
    s: &'a [u8],
    at: usize,
}

impl Sketch<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn blanks(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// A string literal (`'it''s'`), the opening quote next.
    fn literal(&mut self) -> String {
        self.at += 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.at += 1;
            if c == b'\'' {
                if self.peek() == Some(b'\'') {
                    self.at += 1;
                } else {
                    break;
                }
            }
            out.push(c);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn expr(&mut self) -> String {
        self.blanks();
        let mut value = match self.peek() {
            None => return "…".into(),
            Some(b'\'') => self.literal(),
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.at;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.at += 1;
                }
                let name = String::from_utf8_lossy(&self.s[start..self.at]).to_ascii_lowercase();
                self.blanks();
                let mut args = Vec::new();
                if self.peek() == Some(b'(') {
                    self.at += 1;
                    loop {
                        self.blanks();
                        match self.peek() {
                            Some(b')') => {
                                self.at += 1;
                                break;
                            }
                            Some(b',') => self.at += 1,
                            None => break,
                            _ => {
                                let before = self.at;
                                args.push(self.expr());
                                if self.at == before {
                                    self.at += 1;
                                }
                            }
                        }
                    }
                }
                apply(&name, &args)
            }
            Some(_) => {
                self.at += 1;
                "…".into()
            }
        };
        // Property access and indexing make the value unknown.
        loop {
            self.blanks();
            match self.peek() {
                Some(b'.') => {
                    self.at += 1;
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                    {
                        self.at += 1;
                    }
                    value = "…".into();
                }
                Some(b'[') => {
                    self.at += 1;
                    let _ = self.expr();
                    self.blanks();
                    if self.peek() == Some(b']') {
                        self.at += 1;
                    }
                    value = "…".into();
                }
                _ => return value,
            }
        }
    }
}

fn apply(name: &str, args: &[String]) -> String {
    match (name, args) {
        ("parameters" | "variables", [n]) => format!("{{{n}}}"),
        ("concat", _) => args.concat(),
        ("format", [f, rest @ ..]) => {
            let mut out = f.clone();
            for (i, a) in rest.iter().enumerate() {
                out = out.replace(&format!("{{{i}}}"), a);
            }
            out
        }
        ("tolower" | "toupper" | "trim" | "string", [a]) => a.clone(),
        _ => "…".into(),
    }
}

/// `s` as an id fragment: lower-case ASCII letters and digits, runs of anything else as `_`.
fn sanitise(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// FNV-1a, 32 bits, as 8 hex digits: stable across runs and platforms.
pub(super) fn hash(s: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// Ids for a set of nodes, each given as (prefix, name, key): `prefix_name`, sanitised (just
/// `name` when it starts with the prefix already); where
/// that is too long or two keys would share it, every one of them gets a hash of its key
/// instead, so an id never depends on which other nodes exist in what order.
pub(super) fn assign(nodes: &[(&str, &str, &str)]) -> BTreeMap<String, String> {
    let mut by_base: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut base_of = Vec::new();
    for (prefix, name, key) in nodes {
        let name = sanitise(name);
        let mut base = if name.is_empty() || name == *prefix {
            (*prefix).to_string()
        } else if name.starts_with(&format!("{prefix}_")) {
            name
        } else {
            format!("{prefix}_{name}")
        };
        if base.len() > MAX_ID {
            base.truncate(MAX_ID - 9);
            base.push('_');
            base.push_str(&hash(key));
        }
        let keys = by_base.entry(base.clone()).or_default();
        if !keys.contains(key) {
            keys.push(key);
        }
        base_of.push(base);
    }
    let mut out = BTreeMap::new();
    for ((_, _, key), base) in nodes.iter().zip(base_of) {
        let id = if by_base[&base].len() > 1 {
            format!("{base}_{}", hash(key))
        } else {
            base
        };
        out.insert((*key).to_string(), id);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_read_as_sketches() {
        assert_eq!(
            sketch("[format('acr{0}', uniqueString(resourceGroup().id))]"),
            "acr…"
        );
        assert_eq!(
            sketch("[concat(parameters('prefix'), '-vnet')]"),
            "{prefix}-vnet"
        );
        assert_eq!(
            sketch("[format('{0}/{1}', variables('hub'), 'to-spoke')]"),
            "{hub}/to-spoke"
        );
        assert_eq!(sketch("[reference('x').outputs.name.value]"), "…");
        assert_eq!(sketch("[it''s"), "…");
    }

    #[test]
    fn ids_are_sanitised_and_collisions_hashed() {
        let ids = assign(&[
            ("aks", "aks-contoso-prod", "k1"),
            ("vnet", "a-b", "k2"),
            ("vnet", "a_b", "k3"),
            ("vnet", &"x".repeat(80), "k4"),
            ("internet", "", "internet"),
        ]);
        assert_eq!(ids["k1"], "aks_contoso_prod");
        assert_eq!(ids["k2"], format!("vnet_a_b_{}", hash("k2")));
        assert_eq!(ids["k3"], format!("vnet_a_b_{}", hash("k3")));
        assert!(ids["k4"].len() <= MAX_ID);
        assert_eq!(ids["internet"], "internet");
    }
}
