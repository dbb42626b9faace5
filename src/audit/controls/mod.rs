//! The catalogue, assembled: every control with its check, one file per section of the guideline
//! ([`Section`](super::catalogue::Section)), each control's check beside its entry.
//!
//! To add a control: give it an id in [`ControlId`](crate::posture::ControlId) (catalogue order),
//! and an entry with its check in its section's file, where the order of entries is the
//! catalogue's. A control cannot be declared without its check: `check` is a required field.

mod authentication;
mod ingress;
mod securing_a_cluster;
mod securing_workloads;
mod separating_environments;
mod special_topics;

use super::catalogue::Control;

/// The sections' controls, in guideline order.
const SECTIONS: [&[Control]; 5] = [
    separating_environments::CONTROLS,
    securing_a_cluster::CONTROLS,
    authentication::CONTROLS,
    securing_workloads::CONTROLS,
    special_topics::CONTROLS,
];

const COUNT: usize = {
    let mut n = 0;
    let mut s = 0;
    while s < SECTIONS.len() {
        n += SECTIONS[s].len();
        s += 1;
    }
    n
};

const ALL: [Control; COUNT] = {
    let mut out = [SECTIONS[0][0]; COUNT];
    let mut k = 0;
    let mut s = 0;
    while s < SECTIONS.len() {
        let mut i = 0;
        while i < SECTIONS[s].len() {
            out[k] = SECTIONS[s][i];
            k += 1;
            i += 1;
        }
        s += 1;
    }
    out
};

/// The catalogue, in guideline order.
pub const CONTROLS: &[Control] = &ALL;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::catalogue::Section;
    use crate::posture::ControlId;

    #[test]
    fn catalogue_order_is_the_ids_order_and_sections_follow_the_guideline() {
        let ids: Vec<ControlId> = CONTROLS.iter().map(|c| c.id).collect();
        assert_eq!(ids, ControlId::ALL);
        for (n, section) in SECTIONS.iter().enumerate() {
            assert!(!section.is_empty());
            assert!(section.iter().all(|c| c.section == Section::ALL[n]));
        }
    }
}
