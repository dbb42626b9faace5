//! IPv4 addresses and CIDR ranges: parsing with precise errors, containment and overlap.

use std::fmt;
use std::net::Ipv4Addr;

/// An IPv4 network `a.b.c.d/len` with no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: u32,
    len: u8,
}

/// Why a CIDR string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// Not of the form `a.b.c.d/len` with an IPv4 address and 0..=32.
    Syntax,
    /// An IPv6 range where only IPv4 works.
    Ipv6,
    /// Host bits set: carries the network the user probably meant.
    HostBits(Cidr),
}

impl Cidr {
    /// `0.0.0.0/0`; stands in for a range that failed validation (the model is then discarded).
    pub const ANY: Cidr = Cidr { addr: 0, len: 0 };

    /// Parse `a.b.c.d/len`, refusing host bits.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let (ip, len) = s.split_once('/').ok_or(if s.contains(':') {
            CidrError::Ipv6
        } else {
            CidrError::Syntax
        })?;
        if ip.contains(':') {
            return Err(CidrError::Ipv6);
        }
        let ip: Ipv4Addr = ip.parse().map_err(|_| CidrError::Syntax)?;
        if len.is_empty() || len.len() > 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::Syntax);
        }
        let len: u8 = len.parse().map_err(|_| CidrError::Syntax)?;
        if len > 32 {
            return Err(CidrError::Syntax);
        }
        let addr = u32::from(ip);
        let net = Cidr {
            addr: addr & mask(len),
            len,
        };
        if net.addr == addr {
            Ok(net)
        } else {
            Err(CidrError::HostBits(net))
        }
    }

    /// The network `addr/len`, or `None` when `addr` has host bits set or `len` exceeds 32.
    pub fn from_parts(addr: u32, len: u8) -> Option<Cidr> {
        (len <= 32 && addr & mask(len) == addr).then_some(Cidr { addr, len })
    }

    /// Prefix length.
    pub fn prefix_len(self) -> u8 {
        self.len
    }

    /// First address, as a number.
    pub fn start(self) -> u32 {
        self.addr
    }

    /// Last address, as a number.
    pub fn end(self) -> u32 {
        self.last()
    }

    /// Number of addresses.
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.len))
    }

    /// First address.
    pub fn network(self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr)
    }

    /// The address `offset` places after the network address, if it lies inside the range.
    pub fn nth(self, offset: u32) -> Option<Ipv4Addr> {
        (u64::from(offset) < self.size()).then(|| Ipv4Addr::from(self.addr + offset))
    }

    fn last(self) -> u32 {
        self.addr | !mask(self.len)
    }

    /// Whether `other` lies wholly inside this range.
    pub fn contains(self, other: Cidr) -> bool {
        other.len >= self.len && other.addr & mask(self.len) == self.addr
    }

    /// Whether `ip` lies inside this range.
    pub fn contains_ip(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.len) == self.addr
    }

    /// Whether the two ranges share any address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.addr <= other.last() && other.addr <= self.last()
    }
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(
            Cidr::parse("10.0.0.0/22").unwrap().to_string(),
            "10.0.0.0/22"
        );
        assert_eq!(Cidr::parse("10.0.0.0/33"), Err(CidrError::Syntax));
        assert_eq!(Cidr::parse("10.0.0/8"), Err(CidrError::Syntax));
        assert_eq!(Cidr::parse("10.0.0.0"), Err(CidrError::Syntax));
        assert_eq!(Cidr::parse("10.0.0.0/+8"), Err(CidrError::Syntax));
        assert_eq!(Cidr::parse("fd00::/64"), Err(CidrError::Ipv6));
        assert_eq!(
            Cidr::parse("10.0.1.0/22"),
            Err(CidrError::HostBits(Cidr::parse("10.0.0.0/22").unwrap()))
        );
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().size(), 1 << 32);
    }

    #[test]
    fn containment_and_overlap() {
        let hub = Cidr::parse("10.0.0.0/22").unwrap();
        let fw = Cidr::parse("10.0.0.0/26").unwrap();
        let spoke = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(hub.contains(fw));
        assert!(!fw.contains(hub));
        assert!(hub.overlaps(fw) && fw.overlaps(hub));
        assert!(!hub.overlaps(spoke));
        assert!(Cidr::parse("10.0.0.0/8").unwrap().overlaps(spoke));
        assert_eq!(fw.nth(4).unwrap().to_string(), "10.0.0.4");
        assert_eq!(fw.nth(64), None);
        assert!(spoke.contains_ip("10.1.255.255".parse().unwrap()));
        assert!(!spoke.contains_ip("10.2.0.0".parse().unwrap()));
    }
}
