//! Kubernetes versions as AKS offers them.

/// The first minor version AKS offers long-term support for (`supportPlan: AKSLongTermSupport`,
/// Premium tier only): 1.27. Microsoft's "Long-term support for AKS versions" lists the LTS
/// versions from 1.27 on; earlier minors never had it.
pub const LTS_SINCE: (u32, u32) = (1, 27);

/// The minor versions AKS supports in community support, oldest first: Microsoft's "Supported
/// Kubernetes versions in AKS" release calendar as of December 2026. 1.34 reached its end of life
/// in November 2026 (long-term support carries it to November 2027), 1.37 became generally
/// available in October 2026, and 1.35 ends in March 2027. AKS supports three GA minors at a time
/// (N-2); refresh this list with the calendar. A Premium cluster may also run an older minor under
/// long-term support.
pub const SUPPORTED: &[&str] = &["1.35", "1.36", "1.37"];

/// `(major, minor)` of a version written `MAJOR.MINOR[.PATCH]`.
pub fn minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Whether AKS runs `version` (`MAJOR.MINOR[.PATCH]`): a supported minor, or with long-term
/// support (`lts`, the Premium tier) any minor from [`LTS_SINCE`] up to the newest supported one.
pub fn supported(version: &str, lts: bool) -> bool {
    let Some(m) = minor(version) else {
        return false;
    };
    let newest = SUPPORTED.iter().filter_map(|v| minor(v)).max();
    SUPPORTED.iter().any(|v| minor(v) == Some(m))
        || (lts && m >= LTS_SINCE && newest.is_some_and(|n| m <= n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minors_parse_and_order() {
        assert_eq!(minor("1.33"), Some((1, 33)));
        assert_eq!(minor("1.30.4"), Some((1, 30)));
        assert_eq!(minor("1"), None);
        assert_eq!(minor("1.x"), None);
        assert!(minor("1.26.9") < Some(LTS_SINCE));
        assert!(minor("1.27") >= Some(LTS_SINCE));
    }

    #[test]
    fn supported_minors_are_sorted_and_lts_reaches_back() {
        assert!(SUPPORTED.windows(2).all(|w| minor(w[0]) < minor(w[1])));
        assert!(supported("1.36", false));
        assert!(supported("1.36.2", false));
        assert!(!supported("1.34", false));
        assert!(supported("1.34", true));
        assert!(!supported("1.30", false));
        assert!(supported("1.30", true));
        assert!(!supported("1.26", true));
        assert!(!supported("1.99", true));
        assert!(!supported("latest", false));
    }
}
