//! A fleet's translation in parts: its items split into runs of whole deployments, each
//! translated on a thread of its own ([`parts`]), and what each made joined in item order
//! ([`Tx::join`]). A translator reads any item but writes only blocks of its own, so the joined
//! module is the one a single pass in item order builds.

use super::{Item, Module, Tx};
use crate::emit::Untranslated;

/// How many IR resources make splitting the translation across threads worth starting them
/// (a spoke has about sixty).
const SPLIT_FROM: usize = 3000;

/// How many parts the translation of `items` items is worth: one per thread this machine
/// offers (at most four), one for an estate too small to be worth the threads.
pub(super) fn threads_for(items: usize) -> usize {
    if items < SPLIT_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    }
}

/// The items split into at most `threads` runs of whole deployments, of about equal size.
pub(super) fn parts(items: &[Item<'_>], threads: usize) -> Vec<std::ops::Range<usize>> {
    let mut parts = Vec::with_capacity(threads);
    let mut start = 0;
    while start < items.len() {
        let left = threads.saturating_sub(parts.len()).max(1);
        let want = start + (items.len() - start).div_ceil(left);
        // The end of the deployment holding the item that reaches the share.
        let end = items[want.min(items.len()) - 1].siblings.end;
        parts.push(start..end);
        start = end;
    }
    parts
}

/// What one part of the translation made, to be joined to the parts before it.
pub(super) struct Part {
    m: Module,
    errors: Vec<Untranslated>,
    client_config: bool,
    subscriptions: Vec<Option<String>>,
    produced: Vec<Vec<(String, String)>>,
}

impl Tx<'_, '_> {
    pub(super) fn into_part(self) -> Part {
        Part {
            m: self.m,
            errors: self.errors,
            client_config: self.client_config,
            subscriptions: self.subscriptions,
            produced: self.produced,
        }
    }

    /// Join what the part of `items[range]` made after what the parts before it made, as if
    /// one pass had translated them all.
    pub(super) fn join(&mut self, range: std::ops::Range<usize>, mut part: Part) {
        for i in range {
            for (rtype, lab) in &part.produced[i] {
                if self.m.has(rtype, lab) {
                    let it = &self.items[i];
                    part.errors
                        .push(it.untranslated("", None, &format!("a second {rtype}.{lab}")));
                }
            }
            self.produced[i] = std::mem::take(&mut part.produced[i]);
        }
        self.m.append(part.m);
        self.errors.append(&mut part.errors);
        self.client_config |= part.client_config;
        for alias in part.subscriptions {
            if self.subscribed.insert(alias.clone()) {
                self.subscriptions.push(alias);
            }
        }
    }
}

/// The fleet estates the benchmarks measure: `prod` with spokes written as a name and an
/// address space.
#[cfg(test)]
#[path = "../../../../examples/fleet.rs"]
mod generated;

#[cfg(test)]
mod tests {
    use super::parts;
    use crate::emit::terraform::azurerm::{items, translate_in};
    use crate::ir::Template;

    /// `prod` with `n` spokes, planned.
    fn fleet(n: usize) -> Template {
        let text = super::generated::estate(n);
        let estate = crate::load_str("fleet.json", &text, crate::Syntax::Json).unwrap();
        crate::plan::plan(&estate)
    }

    #[test]
    fn parts_are_runs_of_whole_deployments_in_order() {
        let t = fleet(6);
        let items = items(&t);
        for threads in 1..=5 {
            let parts = parts(&items, threads);
            assert!(
                !parts.is_empty() && parts.len() <= threads,
                "{threads}: {parts:?}"
            );
            assert_eq!(parts[0].start, 0);
            assert_eq!(parts[parts.len() - 1].end, items.len());
            for w in parts.windows(2) {
                assert_eq!(w[0].end, w[1].start, "{parts:?}");
            }
            for p in &parts {
                assert!(!p.is_empty());
                assert_eq!(
                    items[p.start].siblings.start, p.start,
                    "{p:?} splits a deployment"
                );
            }
        }
        assert!(parts(&items, 3).len() > 1, "a fleet of six spokes splits");
    }

    #[test]
    fn a_fleet_translated_in_parts_gives_the_files_of_one_pass() {
        let t = fleet(6);
        let one = translate_in(&t, &|_| 1);
        assert!(one.untranslated.is_empty(), "{:?}", one.untranslated);
        let whole = one.module.into_files(&t, &one.providers);
        for threads in [2, 3, 5] {
            let out = translate_in(&t, &|_| threads);
            assert!(out.untranslated.is_empty(), "{:?}", out.untranslated);
            let files = out.module.into_files(&t, &out.providers);
            assert_eq!(files.len(), whole.len());
            for (path, text) in &whole {
                assert!(
                    files.get(path) == Some(text),
                    "{path} differs in {threads} parts"
                );
            }
        }
    }
}
