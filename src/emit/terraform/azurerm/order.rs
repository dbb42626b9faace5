//! Order: the IR's `dependsOn` edges that no reference carries become `depends_on`, a cluster
//! waits for what AKS checks when it creates it (its identities' roles, the private endpoints, the
//! peering to the hub, the subnets' route table and NSG associations), and a cluster extension
//! for the firewall rules its agents need.

use super::{Tx, primary};
use crate::azure::types;
use serde_json::{Value as Json, json};

impl Tx<'_, '_> {
    /// `depends_on` for IR dependencies that no reference carries, and a cluster's wait for the
    /// grants and private endpoints of the deployments it depends on.
    pub(super) fn dependencies(&mut self) {
        let items = self.items;
        for (i, it) in items.iter().enumerate() {
            let Some(me) = primary(items, i) else {
                continue;
            };
            if self.produced[i].is_empty() {
                continue;
            }
            let text: String = self.produced[i]
                .iter()
                .filter_map(|(t, l)| self.m.get(t, l))
                .map(ToString::to_string)
                .collect();
            // A dependency is carried when any resource translated from it is referenced, e.g.
            // a subnet of the VNet the IR names.
            let carried = |j: usize| {
                self.produced[j]
                    .iter()
                    .any(|(t, l)| text.contains(&format!("{t}.{l}.")))
            };
            // Candidates: (address, already carried by a reference).
            let mut cands: Vec<(String, bool)> = Vec::new();
            for dep in &it.r.depends_on {
                let found = (0..items.len())
                    .find(|&j| std::ptr::eq(items[j].d, it.d) && &items[j].r.id == dep);
                if let Some(j) = found {
                    if let Some(a) = primary(items, j).filter(|a| *a != me) {
                        cands.push((a.whole(), carried(j)));
                    }
                }
            }
            if it.r.rtype == types::AKS {
                // What AKS checks when it creates the cluster and no reference carries: its
                // identities' roles, the private endpoints, the peering to the hub, and the
                // subnets' route table and NSG (egress through the firewall).
                for (j, x) in items.iter().enumerate() {
                    if !it.d.depends_on.contains(&x.d.id) {
                        continue;
                    }
                    match x.r.rtype.as_str() {
                        types::ROLE | types::PE | types::PEERING => {
                            if let Some(a) = primary(items, j) {
                                cands.push((a.whole(), carried(j)));
                            }
                        }
                        types::VNET => {
                            for (t, l) in &self.produced[j] {
                                if t.ends_with("_association") {
                                    let whole = format!("{t}.{l}");
                                    let refd = text.contains(&format!("{whole}."));
                                    cands.push((whole, refd));
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
                for (j, x) in items.iter().enumerate() {
                    if it.d.depends_on.contains(&x.d.id) && x.r.rtype == types::RCG {
                        if let Some(a) = primary(items, j) {
                            cands.push((a.whole(), carried(j)));
                        }
                    }
                }
            }
            let mut deps: Vec<String> = Vec::new();
            for (whole, refd) in cands {
                if !refd && !deps.contains(&whole) {
                    deps.push(whole);
                }
            }
            if deps.is_empty() {
                continue;
            }
            if let Some(Json::Object(body)) = self.m.resource_mut(me.rtype, &me.label) {
                let lifecycle = body.remove("lifecycle");
                body.insert("depends_on".into(), json!(deps));
                if let Some(l) = lifecycle {
                    body.insert("lifecycle".into(), l);
                }
            }
        }
    }
}
