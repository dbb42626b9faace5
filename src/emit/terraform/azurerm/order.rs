//! Order: the IR's `dependsOn` edges that no reference carries become `depends_on`, a cluster
//! waits for what AKS checks when it creates it (its identities' roles, the private endpoints, the
//! peering to the hub, the subnets' route table and NSG associations), and a cluster extension
//! for the firewall rules its agents need.

use super::{Item, Tx, primary};
use crate::azure::types;
use std::collections::BTreeMap;

impl Tx<'_, '_> {
    /// `depends_on` for IR dependencies that no reference carries, and a cluster's wait for the
    /// grants and private endpoints of the deployments it depends on.
    ///
    /// What each item waits for is worked out part by part (`parts`, runs of whole
    /// deployments), side by side, and set after.
    pub(super) fn dependencies(&mut self, parts: &[std::ops::Range<usize>]) {
        let items = self.items;
        // Items by (deployment, IR id), the first of each, and items by deployment id: looked
        // up per dependency, so ordering a fleet stays linear in its size.
        let mut by_id: BTreeMap<(usize, &str), usize> = BTreeMap::new();
        let mut by_deployment: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (j, x) in items.iter().enumerate() {
            by_id
                .entry((x.siblings.start, x.r.id.as_str()))
                .or_insert(j);
            by_deployment.entry(x.d.id.as_str()).or_default().push(j);
        }
        // The items of the deployments an item's deployment depends on, in item order.
        let waited_on = |it: &Item<'_>| {
            let mut waits: Vec<usize> =
                it.d.depends_on
                    .iter()
                    .filter_map(|d| by_deployment.get(d.as_str()))
                    .flatten()
                    .copied()
                    .collect();
            waits.sort_unstable();
            waits.dedup();
            waits
        };
        let (m, produced) = (&self.m, &self.produced);
        let waits = |i: usize| -> Option<Vec<String>> {
            let it = &items[i];
            let me = primary(items, i)?;
            if produced[i].is_empty() {
                return None;
            }
            // What its blocks refer to, read only when it has a candidate.
            let refs = std::cell::OnceCell::new();
            let refers = |t: &str, l: &str| {
                let r = refs.get_or_init(|| {
                    let mut out = Refs::new();
                    for body in produced[i].iter().filter_map(|(t, l)| m.get(t, l)) {
                        word_pairs(body, &mut out);
                    }
                    out
                });
                holds(r, t, l)
            };
            // A dependency is carried when any resource translated from it is referenced, e.g.
            // a subnet of the VNet the IR names.
            let carried = |j: usize| produced[j].iter().any(|(t, l)| refers(t, l));
            // Candidates: (address, already carried by a reference).
            let mut cands: Vec<(String, bool)> = Vec::new();
            for dep in &it.r.depends_on {
                if let Some(&j) = by_id.get(&(it.siblings.start, dep.as_str())) {
                    if let Some(a) = primary(items, j).filter(|a| *a != me) {
                        cands.push((a.whole(), carried(j)));
                    }
                }
            }
            if it.r.rtype == types::AKS {
                // What AKS checks when it creates the cluster and no reference carries: its
                // identities' roles, the private endpoints, the peering to the hub, and the
                // subnets' route table and NSG (egress through the firewall).
                for j in waited_on(it) {
                    let x = &items[j];
                    match x.r.rtype.as_str() {
                        types::ROLE | types::PE | types::PEERING => {
                            if let Some(a) = primary(items, j) {
                                cands.push((a.whole(), carried(j)));
                            }
                        }
                        types::VNET => {
                            for (t, l) in &produced[j] {
                                if t.ends_with("_association") {
                                    cands.push((
                                        crate::emit::terraform::cat(&[t, ".", l]),
                                        refers(t, l),
                                    ));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            if it.r.rtype == types::K8S_EXTENSION {
                // The extension's agents reach Microsoft's endpoints and the repository through
                // the hub firewall: its install waits for the rules of a deployment it depends on.
                for j in waited_on(it)
                    .into_iter()
                    .filter(|&j| items[j].r.rtype == types::RCG)
                {
                    if let Some(a) = primary(items, j) {
                        cands.push((a.whole(), carried(j)));
                    }
                }
            }
            let mut deps: Vec<String> = Vec::new();
            for (whole, refd) in cands {
                if !refd && !deps.contains(&whole) {
                    deps.push(whole);
                }
            }
            (!deps.is_empty()).then_some(deps)
        };
        let found = crate::par::each(parts, |part| {
            part.clone()
                .filter_map(|i| waits(i).map(|deps| (i, deps)))
                .collect::<Vec<_>>()
        });
        for (i, deps) in found.into_iter().flatten() {
            if let Some(me) = primary(items, i) {
                self.m.depends_on(me.rtype, &me.label, &deps);
            }
        }
    }
}

/// The references a block spells, `type.label.`: the word before each label's dot (of which
/// the type is the end) and the label.
type Refs<'b> = Vec<(&'b str, &'b str)>;

/// Whether `refs` holds a reference to `t.l` (`t` starting with `az`, as every type the
/// translation adds does).
fn holds(refs: &Refs<'_>, t: &str, l: &str) -> bool {
    refs.iter().any(|&(x, label)| label == l && x.ends_with(t))
}

/// The `word.word.` pairs of a printed block that [`holds`] needs: every one whose first word
/// holds `az` (each type does), the words being runs of ASCII letters, digits and `_` (all a
/// type or a label holds). The block refers to `type.label` exactly when one of its strings
/// holds `type.label.`, which is when `label` is the second word of such a pair whose first
/// word ends with `type`. Outside its strings the JSON text holds no dot (numbers are
/// integers) and no word next to a string's, and an escape sequence stands for a character
/// that is no word character, so it is skipped as one.
///
/// Without an escape sequence (a body with no backslash, the usual case) the words are the runs
/// of word characters: the pairs are found from each `az`, taking as first word the part of
/// the word from there (which ends with `type` when the whole word does, `type` starting with
/// `az`).
fn word_pairs<'b>(s: &'b str, out: &mut Refs<'b>) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether any byte of `w` is `c` (the "has a zero byte" word trick, exact for "any").
    let has = |w: u64, c: u8| {
        (w ^ (ONES * u64::from(c))).wrapping_sub(ONES) & !(w ^ (ONES * u64::from(c))) & HIGH != 0
    };
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let from = out.len();
    let mut i = 0;
    while i < b.len() {
        // Eight bytes at a time while none of them is a `z` or a backslash.
        if let Some(Ok(chunk)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) {
            let w = u64::from_le_bytes(chunk);
            if !has(w, b'z') && !has(w, b'\\') {
                i += 8;
                continue;
            }
        }
        let end = (i + 8).min(b.len());
        for z in i..end {
            match b[z] {
                b'\\' => {
                    out.truncate(from);
                    word_pairs_escaped(s, out);
                    return;
                }
                b'z' if z > 0 && b[z - 1] == b'a' => {
                    // The rest of the word from `az`, which a dot must follow, then the word
                    // after that dot, which a dot must follow too.
                    let mut dot = z + 1;
                    while dot < b.len() && word(b[dot]) {
                        dot += 1;
                    }
                    if b.get(dot) != Some(&b'.') {
                        continue;
                    }
                    let mut after = dot + 1;
                    while after < b.len() && word(b[after]) {
                        after += 1;
                    }
                    if after > dot + 1 && b.get(after) == Some(&b'.') {
                        out.push((&s[z - 1..dot], &s[dot + 1..after]));
                    }
                }
                _ => {}
            }
        }
        i = end;
    }
}

/// [`word_pairs`] for a text with escape sequences, read byte by byte.
fn word_pairs_escaped<'b>(s: &'b str, out: &mut Refs<'b>) {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // The previous word as (start, end), when a dot follows it directly.
    let mut before: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += if b.get(i + 1) == Some(&b'u') { 6 } else { 2 };
            before = None;
            continue;
        }
        if !word(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && word(b[i]) {
            i += 1;
        }
        let dot = b.get(i) == Some(&b'.');
        if let Some((ps, pe)) = before {
            if pe + 1 == start && dot {
                out.push((&s[ps..pe], &s[start..i]));
            }
        }
        before = dot.then_some((start, i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::json;
    use serde_json::json;

    #[test]
    fn pairs_of_a_printed_block_are_those_of_its_strings() {
        let body = json!({
            "id": "${azurerm_subnet.hub_a.id}",
            "x.y.z": ["a\u{1a}zurerm_x.lab.id", "q\nazurerm_y.l2.name", "n.1.5"],
            "n": 12,
            "t": "azurerm_z.\tl3.id azurerm_w.l4\".x",
        });
        let mut text = String::new();
        json::value(&mut text, &body, 3);
        let mut got = Refs::new();
        word_pairs(&text, &mut got);
        assert_eq!(
            got,
            vec![
                ("azurerm_subnet", "hub_a"),
                ("x", "y"),
                ("zurerm_x", "lab"),
                ("azurerm_y", "l2"),
                ("n", "1"),
            ]
        );
    }

    #[test]
    fn references_without_escapes_are_those_read_byte_by_byte() {
        let queries = [
            ("azurerm_subnet", "hub_a"),
            ("azurerm_subnet", "hub"),
            ("azurerm_x", "l1"),
            ("azurerm_y", "l2"),
            ("azurerm_client_config", "connectivity"),
            ("azapi_resource", "x"),
            ("azurerm_az", "b"),
            ("az", "b"),
        ];
        for text in [
            "",
            ".",
            "az.b.",
            "azaz.b.c.d",
            "xazurerm_az.b.",
            ".azurerm_x.l1.azurerm_y.l2.",
            "azurerm_x.l1..azurerm_y.l2.x azurerm_y.l2",
            "  \"${azurerm_subnet.hub_a.id}\",\n  \"n\": 1,\n \"a_1.b-2.c.\" azurerm_subnet.hub.",
            "azurerm_x.l1.id azapi_resource.x.name.x \"data.azurerm_client_config.connectivity.tenant_id\"",
            "é.azapi_resource.x.b. ü.c.d.",
            "0123456azurerm_x.l1.azurerm_y.l2.",
            "01234567azurerm_x.l1. \\u001azurerm_y.l2. azurerm_y.l2.",
            "012345678901234\\nazurerm_x.l1.",
        ] {
            let (mut fast, mut slow) = (Refs::new(), Refs::new());
            word_pairs(text, &mut fast);
            word_pairs_escaped(text, &mut slow);
            for (t, l) in queries {
                assert_eq!(holds(&fast, t, l), holds(&slow, t, l), "{text} {t}.{l}");
            }
        }
        let mut got = Refs::new();
        word_pairs("${azurerm_subnet.hub_a.id} azurerm_x.y", &mut got);
        assert!(holds(&got, "azurerm_subnet", "hub_a"));
        assert!(!holds(&got, "azurerm_x", "y"));
    }
}
