//! IPv4 addresses and CIDR blocks as VPCs use them.
//!
//! Modelled: CIDR parsing (the network address must be exact, as AWS requires), containment,
//! overlap, the VPC/subnet size limits (/16 to /28) and the five addresses AWS reserves in every
//! subnet (network, +1 router, +2 DNS, +3 future use, broadcast).
//! Source: <https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html>
//! Not modelled: IPv6, secondary VPC CIDRs.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 CIDR block whose host bits are zero.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    network: u32,
    prefix: u8,
}

impl Cidr {
    /// The block of all addresses (`0.0.0.0/0`).
    pub const ANY: Cidr = Cidr {
        network: 0,
        prefix: 0,
    };

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix))
        }
    }

    /// The block's first address.
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.network)
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    /// True if `ip` is inside the block.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & Self::mask(self.prefix) == self.network
    }

    /// True if every address of `other` is inside this block.
    pub fn contains_block(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && self.contains(other.network())
    }

    /// True if the two blocks share at least one address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains_block(other) || other.contains_block(self)
    }

    /// The address at `offset` from the network address.
    pub fn nth(&self, offset: u64) -> Option<Ipv4Addr> {
        (offset < self.size()).then(|| Ipv4Addr::from(self.network + offset as u32))
    }

    /// True if `ip` is one of the five addresses AWS reserves in a subnet with this block.
    pub fn is_aws_reserved(&self, ip: Ipv4Addr) -> bool {
        let offset = u64::from(u32::from(ip).wrapping_sub(self.network));
        self.contains(ip) && (offset < 4 || offset == self.size() - 1)
    }

    /// The addresses instances and interfaces can take, in ascending order.
    pub fn assignable(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        (4..self.size().saturating_sub(1)).filter_map(|offset| self.nth(offset))
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a CIDR block: write it as \"10.0.0.0/24\""))?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("`/{prefix}` is not a prefix length from /0 to /32"))?;
        let network = u32::from(addr) & Cidr::mask(prefix);
        if network != u32::from(addr) {
            return Err(format!(
                "`{text}` has host bits set: the block starts at {}/{prefix}",
                Ipv4Addr::from(network)
            ));
        }
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(cidr("10.11.0.0/24").to_string(), "10.11.0.0/24");
        assert!(
            "10.11.0.1/24"
                .parse::<Cidr>()
                .unwrap_err()
                .contains("10.11.0.0/24")
        );
        assert!("10.11.0.0".parse::<Cidr>().is_err());
        assert!("10.11.0.0/33".parse::<Cidr>().is_err());
        assert!("10.300.0.0/16".parse::<Cidr>().is_err());
    }

    #[test]
    fn containment_and_overlap() {
        let vpc = cidr("10.11.0.0/24");
        assert!(vpc.contains_block(&cidr("10.11.0.64/26")));
        assert!(!vpc.contains_block(&cidr("10.11.1.0/26")));
        assert!(!vpc.contains_block(&cidr("10.11.0.0/23")));
        assert!(cidr("10.11.0.0/26").overlaps(&cidr("10.11.0.32/27")));
        assert!(!cidr("10.11.0.0/26").overlaps(&cidr("10.11.0.64/26")));
        assert!(Cidr::ANY.contains("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn reserved_addresses_are_the_first_four_and_the_last() {
        let subnet = cidr("10.11.0.64/26");
        let reserved: Vec<_> = (0..64)
            .filter_map(|i| subnet.nth(i))
            .filter(|ip| subnet.is_aws_reserved(*ip))
            .map(|ip| ip.to_string())
            .collect();
        assert_eq!(
            reserved,
            [
                "10.11.0.64",
                "10.11.0.65",
                "10.11.0.66",
                "10.11.0.67",
                "10.11.0.127"
            ]
        );
        assert_eq!(
            subnet.assignable().next(),
            Some("10.11.0.68".parse().unwrap())
        );
        assert_eq!(subnet.assignable().count(), 59);
    }
}
