//! Facts about Azure that every stage shares: resource types with their API versions, built-in
//! role and policy ids, regions with their zone support, subnet names Azure reserves, and the form
//! of an id. A leaf module: it imports nothing from the rest of the crate, and nothing else
//! restates what it holds.

pub mod kubernetes;
pub mod policies;
pub mod regions;
pub mod roles;
pub mod subnets;
pub mod types;

/// Whether `s` is a GUID in its canonical 8-4-4-4-12 hexadecimal form.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_form() {
        assert!(is_guid("4d97b98b-1d4f-4787-a291-c67834d212e7"));
        assert!(!is_guid("4d97b98b1d4f-4787-a291-c67834d212e7x"));
        assert!(!is_guid("4d97b98b-1d4f-4787-a291-c67834d212eg"));
        assert!(!is_guid(""));
    }

    #[test]
    fn every_role_and_policy_id_is_a_guid() {
        for r in roles::SCOPED {
            assert!(is_guid(r.id), "{}", r.name);
        }
        for (id, name) in roles::BROAD {
            assert!(is_guid(id), "{name}");
        }
        assert!(is_guid(policies::POD_SECURITY_BASELINE));
        assert!(is_guid(policies::POD_SECURITY_RESTRICTED));
        assert!(is_guid(policies::INTERNAL_LOAD_BALANCERS));
        assert!(is_guid(policies::ALLOWED_IMAGES));
        assert!(is_guid(policies::CONTAINER_LIMITS));
    }

    #[test]
    fn regions_are_sorted_unique_and_some_have_zones() {
        assert!(regions::REGIONS.windows(2).all(|w| w[0].name < w[1].name));
        assert!(regions::has_zones("West Europe"));
        assert!(!regions::has_zones("westcentralus"));
        assert!(!regions::has_zones("atlantis"));
    }

    #[test]
    fn region_pairs_are_sorted_and_name_known_regions() {
        assert!(regions::PAIRS.windows(2).all(|w| w[0].0 < w[1].0));
        for (r, p) in regions::PAIRS {
            assert!(regions::region(r).is_some(), "{r}");
            assert!(regions::region(p).is_some(), "{p}");
            assert_ne!(r, p);
        }
        assert_eq!(regions::pair("westeurope"), Some("northeurope"));
        assert_eq!(regions::pair("polandcentral"), None);
    }

    #[test]
    fn every_type_has_an_api_version_or_is_a_definition() {
        for (t, v) in types::API_VERSIONS {
            assert_eq!(types::api_version(t), *v);
            assert_eq!(
                v.len(),
                10 + if v.ends_with("-preview") { 8 } else { 0 },
                "{t}"
            );
        }
    }
}
