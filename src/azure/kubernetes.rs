//! Kubernetes versions as AKS offers them.

/// The first minor version AKS offers long-term support for (`supportPlan: AKSLongTermSupport`,
/// Premium tier only): 1.27. Microsoft's "Long-term support for AKS versions" lists the LTS
/// versions from 1.27 on; earlier minors never had it.
pub const LTS_SINCE: (u32, u32) = (1, 27);

/// `(major, minor)` of a version written `MAJOR.MINOR[.PATCH]`.
pub fn minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
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
}
