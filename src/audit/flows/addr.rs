//! Addresses as the flow model sees them: IPv4 ranges, "some address on the internet", and the
//! public endpoint of a named Azure service; and how NSG and firewall address prefixes (CIDRs,
//! service tags, `*`) match them. Service tags are matched by name only: a tag's real ranges are
//! not published in the input, so an address the model cannot place in or out of a tag is
//! *maybe*, which ends as unknown, never a pass.

use std::fmt;

/// Whether something matches: yes, no, or the model cannot tell (and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tri {
    /// It matches.
    Yes,
    /// It does not.
    No,
    /// The model cannot tell.
    Maybe(String),
}

impl Tri {
    /// Both must match.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Maybe(a), _) | (_, Tri::Maybe(a)) => Tri::Maybe(a),
            (Tri::Yes, Tri::Yes) => Tri::Yes,
        }
    }

    /// Either may match.
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::Maybe(a), _) | (_, Tri::Maybe(a)) => Tri::Maybe(a),
            (Tri::No, Tri::No) => Tri::No,
        }
    }

    /// Any of them matches.
    pub fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::No, Tri::or)
    }
}

/// An IPv4 range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Cidr {
    /// The first address.
    pub base: u32,
    /// The prefix length.
    pub len: u8,
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

impl Cidr {
    /// `0.0.0.0/0`.
    pub const ANY: Cidr = Cidr { base: 0, len: 0 };

    /// Parse `10.0.0.0/16` or a bare address (a /32); host bits are cleared.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (ip, len) = match s.split_once('/') {
            Some((ip, l)) => (ip, l.parse::<u8>().ok().filter(|l| *l <= 32)?),
            None => (s, 32),
        };
        let addr: std::net::Ipv4Addr = ip.parse().ok()?;
        let base = u32::from(addr) & mask(len);
        Some(Cidr { base, len })
    }

    /// The range of `len` bits that holds `ip`.
    pub fn holding(ip: u32, len: u8) -> Cidr {
        Cidr {
            base: ip & mask(len),
            len,
        }
    }

    /// The last address of the range.
    pub fn last(self) -> u32 {
        self.base | !mask(self.len)
    }

    /// A single address.
    pub fn host(ip: u32) -> Cidr {
        Cidr { base: ip, len: 32 }
    }

    /// Whether `other` lies entirely inside this range.
    pub fn contains(self, other: Cidr) -> bool {
        self.len <= other.len && (other.base & mask(self.len)) == self.base
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The n-th address of the range.
    pub fn nth(self, n: u32) -> u32 {
        self.base.wrapping_add(n)
    }

    /// Whether the range is RFC 1918 or RFC 6598 space, which Azure routes to `None` by default.
    pub fn is_private(self) -> bool {
        PRIVATE.iter().any(|p| p.contains(self))
    }

    /// Whether no public IP address Azure allocates can lie in this range: private space,
    /// loopback, link-local, or the documentation ranges of RFC 5737.
    pub fn is_never_azure_public(self) -> bool {
        self.is_private() || NEVER_PUBLIC.iter().any(|p| p.contains(self))
    }
}

const fn v4(a: u32, b: u32, c: u32, d: u32, len: u8) -> Cidr {
    Cidr {
        base: (a << 24) | (b << 16) | (c << 8) | d,
        len,
    }
}

/// The prefixes Azure gives the next hop `None` by default (RFC 1918 and RFC 6598): private
/// space.
pub(crate) const PRIVATE: [Cidr; 4] = [
    v4(10, 0, 0, 0, 8),
    v4(172, 16, 0, 0, 12),
    v4(192, 168, 0, 0, 16),
    v4(100, 64, 0, 0, 10),
];

/// Loopback, link-local, "this network" and the documentation ranges of RFC 5737.
const NEVER_PUBLIC: [Cidr; 6] = [
    v4(127, 0, 0, 0, 8),
    v4(169, 254, 0, 0, 16),
    v4(192, 0, 2, 0, 24),
    v4(198, 51, 100, 0, 24),
    v4(203, 0, 113, 0, 24),
    v4(0, 0, 0, 0, 8),
];

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = [0u8; 18];
        let at = self.spell(&mut out);
        f.write_str(std::str::from_utf8(&out[..at]).map_err(|_| fmt::Error)?)
    }
}

impl Cidr {
    /// Append the range as `Display` prints it.
    pub(crate) fn write_into(self, s: &mut String) {
        let mut out = [0u8; 18];
        let at = self.spell(&mut out);
        s.push_str(std::str::from_utf8(&out[..at]).unwrap_or_default());
    }

    /// The range as text in `out`, and its length: written out by hand, since traces print
    /// millions of ranges at fleet scale and the standard address printer goes through padding
    /// it never needs here.
    fn spell(self, out: &mut [u8; 18]) -> usize {
        fn number(out: &mut [u8; 18], at: &mut usize, n: u8) {
            if n >= 100 {
                out[*at] = b'0' + n / 100;
                *at += 1;
            }
            if n >= 10 {
                out[*at] = b'0' + n / 10 % 10;
                *at += 1;
            }
            out[*at] = b'0' + n % 10;
            *at += 1;
        }
        let mut at = 0;
        for (i, octet) in self.base.to_be_bytes().into_iter().enumerate() {
            if i > 0 {
                out[at] = b'.';
                at += 1;
            }
            number(out, &mut at, octet);
        }
        if self.len != 32 {
            out[at] = b'/';
            at += 1;
            number(out, &mut at, self.len);
        }
        at
    }
}

/// The public endpoint of a service, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Service {
    /// Its host name (labels in `{…}` stand for a label the model does not know).
    pub fqdn: String,
    /// The service tag its addresses belong to (`AzureKeyVault`), if it is an Azure service
    /// with one; `AzureCloud` for Azure addresses of no narrower tag.
    pub tag: Option<&'static str>,
    /// The region its addresses are in, when regional.
    pub region: Option<String>,
}

/// An address a flow starts at or goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Addr {
    /// A known range (a subnet, a host).
    Range(Cidr),
    /// Some address on the internet, not an Azure service's.
    Internet,
    /// The public endpoint of a named service.
    Service(Service),
}

/// How traces name an address.
impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Range(c) => c.fmt(f),
            Addr::Internet => f.write_str("an internet address"),
            Addr::Service(s) => f.write_str(&s.fqdn),
        }
    }
}

impl Addr {
    /// The host name, when the address is a named service.
    pub fn fqdn(&self) -> Option<&str> {
        match self {
            Addr::Service(s) => Some(&s.fqdn),
            _ => None,
        }
    }

    /// Whether the address is public (not a private range).
    pub fn is_public(&self) -> bool {
        match self {
            Addr::Range(c) => !c.is_private(),
            _ => true,
        }
    }
}

/// Whether a service's address belongs to service tag `tag` (`AzureCloud`, `AzureCloud.westeurope`,
/// `AzureKeyVault.WestEurope`, ...), by the tag's documented meaning.
fn service_in_tag(s: &Service, tag: &str) -> Tri {
    let (name, region) = match tag.split_once('.') {
        Some((n, r)) => (n, Some(r)),
        None => (tag, None),
    };
    let region_ok = |want: Option<&str>| -> Tri {
        match (want, &s.region) {
            (None, _) => Tri::Yes,
            (Some(w), Some(have)) => {
                if w.eq_ignore_ascii_case(have) {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
            (Some(w), None) => Tri::Maybe(format!(
                "whether {} is in region `{w}` is not known",
                s.fqdn
            )),
        }
    };
    match s.tag {
        None => Tri::Maybe(format!(
            "the addresses of {} are not published in the input; service tag `{tag}` may hold them",
            s.fqdn
        )),
        Some(own) => {
            if name.eq_ignore_ascii_case("AzureCloud") || name.eq_ignore_ascii_case(own) {
                region_ok(region)
            } else if own == "AzureCloud" {
                Tri::Maybe(format!(
                    "whether {} is in service tag `{tag}` is not known",
                    s.fqdn
                ))
            } else {
                Tri::No
            }
        }
    }
}

/// The address space a subnet's `VirtualNetwork` tag stands for: its VNet's ranges, the ranges
/// of connected peered VNets, and the prefixes of its route table's user-defined routes.
#[derive(Debug, Clone, Default)]
pub(crate) struct VnetTag {
    /// The ranges.
    pub ranges: Vec<Cidr>,
}

impl VnetTag {
    fn covers(&self, c: Cidr) -> Tri {
        if self.ranges.iter().any(|r| r.contains(c)) {
            Tri::Yes
        } else if self.ranges.iter().any(|r| r.overlaps(c)) {
            Tri::Maybe(format!("part of {c} is in the VirtualNetwork tag"))
        } else {
            Tri::No
        }
    }
}

/// Whether an NSG or firewall address prefix (`*`, a CIDR, an address, a service tag) matches
/// `a`. `vnet` is the `VirtualNetwork` tag where the rule is evaluated (NSGs only).
pub(crate) fn prefix_matches(prefix: &str, a: &Addr, vnet: Option<&VnetTag>) -> Tri {
    let p = prefix.trim();
    if p == "*" || p.eq_ignore_ascii_case("any") {
        return Tri::Yes;
    }
    if let Some(c) = Cidr::parse(p) {
        return match a {
            Addr::Range(r) => {
                if c.contains(*r) {
                    Tri::Yes
                } else if c.overlaps(*r) {
                    Tri::Maybe(format!("{p} covers part of {r}"))
                } else {
                    Tri::No
                }
            }
            _ if c.len == 0 => Tri::Yes,
            _ if c.is_never_azure_public() => Tri::No,
            other => Tri::Maybe(format!("whether {other} lies in {p} is not known")),
        };
    }
    let is = |word: &str| p.eq_ignore_ascii_case(word);
    match () {
        () if is("virtualnetwork") => match (a, vnet) {
            (Addr::Range(r), Some(v)) => v.covers(*r),
            (_, Some(v)) if v.ranges.iter().any(|r| r.len == 0) => Tri::Yes,
            (Addr::Range(r), None) if r.is_private() => {
                Tri::Maybe("the VirtualNetwork tag outside an NSG".into())
            }
            _ => Tri::No,
        },
        () if is("internet") => match a {
            Addr::Range(r) => {
                let in_vnet =
                    vnet.is_some_and(|v| v.ranges.iter().any(|x| x.len > 0 && x.contains(*r)));
                if r.is_private() || in_vnet {
                    Tri::No
                } else {
                    Tri::Yes
                }
            }
            _ => Tri::Yes,
        },
        () if is("azureloadbalancer") => match a {
            Addr::Range(r) if *r == Cidr::host(0xA83F_8110) => Tri::Yes,
            _ => Tri::No,
        },
        () => match a {
            Addr::Range(r) if r.is_private() => Tri::No,
            Addr::Range(r) => Tri::Maybe(format!(
                "whether {r} is in service tag `{p}` is not known (service tag ranges are not in the input)"
            )),
            Addr::Internet => {
                // Infrastructure tags hold Microsoft's own addresses, never an arbitrary
                // internet host; tags of services anyone can rent addresses in may hold one.
                if [
                    "gatewaymanager",
                    "azurefrontdoor.backend",
                    "azuretrafficmanager",
                ]
                .iter()
                .any(|w| is(w))
                {
                    Tri::No
                } else {
                    Tri::Maybe(format!(
                        "an internet address may be in service tag `{p}` (its ranges are not in the input)"
                    ))
                }
            }
            Addr::Service(s) => service_in_tag(s, p),
        },
    }
}

/// Whether a port range (`443`, `65200-65535`, `*`) covers `port`.
pub(crate) fn port_in(range: &str, port: u16) -> bool {
    let r = range.trim();
    if r == "*" || r.eq_ignore_ascii_case("any") {
        return true;
    }
    match r.split_once('-') {
        Some((a, b)) => match (a.trim().parse::<u16>(), b.trim().parse::<u16>()) {
            (Ok(a), Ok(b)) => a <= port && port <= b,
            _ => false,
        },
        None => r.parse::<u16>() == Ok(port),
    }
}

/// Whether host name pattern `pattern` (`*.contoso.com`, `contoso.com`, `*`) matches `name`. A
/// leading `*` matches any number of labels, as Azure Firewall's application rules do; a label in
/// `{…}` in `name` stands for a label the model does not know.
pub(crate) fn fqdn_matches(pattern: &str, name: &str) -> Tri {
    let p = pattern.trim().trim_end_matches('.');
    let n = name.trim().trim_end_matches('.');
    if n.contains('{') {
        return fqdn_may_match(pattern, name);
    }
    // A name of known labels: compared in place, ignoring case.
    if p == "*" {
        return Tri::Yes;
    }
    let (p, n) = (p.as_bytes(), n.as_bytes());
    let hit = match p.strip_prefix(b"*.") {
        Some(suffix) => {
            n.len() > suffix.len() + 1
                && n[n.len() - suffix.len() - 1] == b'.'
                && n[n.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        }
        None => p.eq_ignore_ascii_case(n),
    };
    if hit { Tri::Yes } else { Tri::No }
}

/// [`fqdn_matches`] for a name with labels in `{…}`.
fn fqdn_may_match(pattern: &str, name: &str) -> Tri {
    let p = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if p == "*" {
        return Tri::Yes;
    }
    let unknown_labels = n.contains('{');
    if let Some(suffix) = p.strip_prefix("*.") {
        let tail = format!(".{suffix}");
        if n.ends_with(&tail) && !n[..n.len() - tail.len()].is_empty() {
            return Tri::Yes;
        }
        return if unknown_labels && could_match(&format!("x{tail}"), &n) {
            Tri::Maybe(format!("{name} may match {pattern}"))
        } else {
            Tri::No
        };
    }
    if p == n {
        return Tri::Yes;
    }
    if unknown_labels && could_match(&p, &n) {
        Tri::Maybe(format!("{name} may be {pattern}"))
    } else {
        Tri::No
    }
}

/// Whether `name`, with `{…}` labels standing for any label, could be `pattern` (no wildcard).
fn could_match(pattern: &str, name: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let n: Vec<&str> = name.split('.').collect();
    if p.len() < n.len() {
        return false;
    }
    let offset = p.len() - n.len();
    if offset > 0 && !n.first().is_some_and(|l| l.starts_with('{')) {
        return false;
    }
    n.iter()
        .zip(&p[offset..])
        .all(|(a, b)| a.starts_with('{') || a == b)
}

/// Ranges, each with a payload (an index into whatever the caller keeps), found by overlap
/// without reading them all: entries are grouped by prefix length and sorted by first address,
/// so a range as wide as the query or wider is one lookup per length and a narrower one a
/// slice. Estates with many spokes have ranges per spoke; reading them all for every spoke's
/// traffic would grow with the square of the spoke count.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeIndex {
    /// `(prefix length, first address, payload)`, sorted.
    entries: Vec<(u8, u32, usize)>,
    /// Where each prefix length's entries start and end.
    lengths: Vec<(u8, usize, usize)>,
}

impl RangeIndex {
    /// The index of `items`.
    pub fn new(items: impl IntoIterator<Item = (Cidr, usize)>) -> RangeIndex {
        let mut entries: Vec<(u8, u32, usize)> =
            items.into_iter().map(|(c, p)| (c.len, c.base, p)).collect();
        entries.sort_unstable();
        entries.dedup();
        let mut lengths = Vec::new();
        let mut start = 0;
        while start < entries.len() {
            let len = entries[start].0;
            let end = start + entries[start..].partition_point(|e| e.0 == len);
            lengths.push((len, start, end));
            start = end;
        }
        RangeIndex { entries, lengths }
    }

    /// The payloads of the ranges that share an address with `c`, sorted, each once, with
    /// whether one of its ranges holds all of `c`.
    pub fn overlapping(&self, c: Cidr) -> Vec<(usize, bool)> {
        let mut out = Vec::new();
        for &(len, start, end) in &self.lengths {
            let group = &self.entries[start..end];
            let holds = len <= c.len;
            let (lo, hi) = if holds {
                let base = Cidr::holding(c.base, len).base;
                (base, base)
            } else {
                (c.base, c.last())
            };
            let from = group.partition_point(|e| e.1 < lo);
            let to = group.partition_point(|e| e.1 <= hi);
            out.extend(group[from..to].iter().map(|e| (e.2, holds)));
        }
        // Holding first, so the entry kept for a payload says whether any of its ranges holds.
        out.sort_unstable_by_key(|&(p, holds)| (p, !holds));
        out.dedup_by_key(|e| e.0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_index_finds_what_reading_every_range_finds() {
        // Deterministic ranges of every width inside 10.0.0.0/8, queried with others.
        let mut seed = 0x2545_f491_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let mut random = || {
            let len = 8 + (next() % 25) as u8;
            Cidr::holding(0x0a00_0000 | (next() & 0x00ff_ffff), len)
        };
        let ranges: Vec<(Cidr, usize)> = (0..400).map(|i| (random(), i / 3)).collect();
        let index = RangeIndex::new(ranges.clone());
        for _ in 0..400 {
            let q = random();
            let mut want: Vec<(usize, bool)> = Vec::new();
            for &(c, p) in &ranges {
                if c.overlaps(q) {
                    match want.iter_mut().find(|e| e.0 == p) {
                        Some(e) => e.1 |= c.contains(q),
                        None => want.push((p, c.contains(q))),
                    }
                }
            }
            want.sort_unstable();
            assert_eq!(index.overlapping(q), want, "query {q}");
        }
    }

    #[test]
    fn cidrs_contain_and_print() {
        let a = Cidr::parse("10.1.0.0/16").unwrap();
        let b = Cidr::parse("10.1.4.0/22").unwrap();
        assert!(a.contains(b) && !b.contains(a) && a.overlaps(b));
        assert_eq!(Cidr::parse("10.1.4.7/22").unwrap(), b);
        assert_eq!(Cidr::parse("10.0.0.4").unwrap().to_string(), "10.0.0.4");
        assert!(Cidr::ANY.contains(a));
        assert!(b.is_private() && !Cidr::parse("20.1.0.0/16").unwrap().is_private());
        assert!(
            Cidr::parse("203.0.113.0/24")
                .unwrap()
                .is_never_azure_public()
        );
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        let reserved = [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
        ];
        for (p, c) in reserved.iter().zip(PRIVATE) {
            assert_eq!(Cidr::parse(p), Some(c));
        }
    }

    #[test]
    fn prefixes_match_ranges_tags_and_services() {
        let node = Addr::Range(Cidr::parse("10.1.0.0/24").unwrap());
        let tag = VnetTag {
            ranges: vec![Cidr::parse("10.1.0.0/16").unwrap()],
        };
        assert_eq!(prefix_matches("10.1.0.0/16", &node, None), Tri::Yes);
        assert_eq!(prefix_matches("10.2.0.0/16", &node, None), Tri::No);
        assert!(matches!(
            prefix_matches("10.1.0.0/25", &node, None),
            Tri::Maybe(_)
        ));
        assert_eq!(
            prefix_matches("VirtualNetwork", &node, Some(&tag)),
            Tri::Yes
        );
        assert_eq!(prefix_matches("Internet", &node, Some(&tag)), Tri::No);
        assert_eq!(
            prefix_matches("Internet", &Addr::Internet, Some(&tag)),
            Tri::Yes
        );
        assert_eq!(
            prefix_matches("GatewayManager", &Addr::Internet, None),
            Tri::No
        );
        let kv = Addr::Service(Service {
            fqdn: "kv.vault.azure.net".into(),
            tag: Some("AzureKeyVault"),
            region: Some("westeurope".into()),
        });
        assert_eq!(prefix_matches("AzureKeyVault", &kv, None), Tri::Yes);
        assert_eq!(prefix_matches("AzureCloud.westeurope", &kv, None), Tri::Yes);
        assert_eq!(prefix_matches("AzureCloud.northeurope", &kv, None), Tri::No);
        assert_eq!(prefix_matches("AzureMonitor", &kv, None), Tri::No);
        assert!(matches!(
            prefix_matches("20.0.0.0/8", &kv, None),
            Tri::Maybe(_)
        ));
    }

    #[test]
    fn fqdn_patterns_match_as_the_firewall_does() {
        assert_eq!(fqdn_matches("*.contoso.com", "a.b.contoso.com"), Tri::Yes);
        assert_eq!(fqdn_matches("*.contoso.com", "contoso.com"), Tri::No);
        assert_eq!(fqdn_matches("contoso.com", "CONTOSO.com"), Tri::Yes);
        assert_eq!(
            fqdn_matches(
                "*.ods.opinsights.azure.com",
                "{workspace}.ods.opinsights.azure.com"
            ),
            Tri::Yes
        );
        assert!(matches!(
            fqdn_matches(
                "x.ods.opinsights.azure.com",
                "{workspace}.ods.opinsights.azure.com"
            ),
            Tri::Maybe(_)
        ));
        assert!(port_in("65200-65535", 65300) && !port_in("80", 443) && port_in("*", 1));
    }

    /// Names of known labels are compared in place; the result is the one lower-casing both
    /// sides gives.
    #[test]
    fn known_names_match_as_when_lower_cased() {
        let patterns = [
            "*",
            " * ",
            "*.Contoso.com.",
            "contoso.COM",
            "*.com",
            "*.",
            "*.a",
            "A.b",
            "ü.b",
            "*.ü.b",
        ];
        let names = [
            "contoso.com",
            "A.CONTOSO.com.",
            "x.contoso.com",
            "com",
            ".com",
            "a",
            "b.a",
            "a.b",
            "ü.B",
            "x.ü.b",
            "",
            ".",
        ];
        for p in patterns {
            for n in names {
                assert_eq!(fqdn_matches(p, n), fqdn_may_match(p, n), "{p} against {n}");
            }
        }
    }

    #[test]
    fn ranges_print_as_addresses_do() {
        for (base, len) in [
            (0, 0),
            (0x0A00_1000, 24),
            (0xFFFF_FFFF, 32),
            (0xA83F_8110, 32),
            (0x6464_0A09, 9),
            (0x0102_0304, 30),
        ] {
            let c = Cidr { base, len };
            let a = std::net::Ipv4Addr::from(base);
            let want = if len == 32 {
                a.to_string()
            } else {
                format!("{a}/{len}")
            };
            assert_eq!(c.to_string(), want);
        }
    }
}
