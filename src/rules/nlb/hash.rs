//! The flow hash of an NLB-like node and the target pick: pure, allocation-free functions.
//!
//! Modelled (docs/model.md NLB-7): for TCP a node hashes protocol, source IP, source port,
//! destination IP, destination port and the connection's initial sequence number, and the
//! connection stays on the picked target for its life. For UDP (docs/model.md NLB-17) it hashes
//! the 5-tuple only: protocol 17, source IP and port, destination IP and port, no sequence
//! number (UDP has none), so every datagram a client sends from one source port to one address
//! lands on the same target while the flow lives.
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/introduction.html>
//! ("For UDP traffic, the load balancer selects a target using a flow hash algorithm based on the
//! protocol, source IP address, source port, destination IP address, and destination port").
//! ASSUMPTION (docs/model.md NLB-7): AWS does not publish its hash function. This is an
//! "NLB-like" hash: two rounds of a 64x64 -> 128-bit multiply-fold (the `mum` step of wyhash)
//! over the packed fields, which passes the chi-squared uniformity test below. The pick maps the
//! hash onto the eligible targets by multiply-shift (`(h * n) >> 64`), a uniform choice;
//! [`super::pick`] has it and the Maglev alternative behind one interface.

/// The fields an NLB-like node hashes for a TCP connection or a UDP flow (whose `isn` plays no
/// part).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    /// IP protocol number (6 for TCP).
    pub protocol: u8,
    /// Source IPv4 address, as a big-endian integer.
    pub src_ip: u32,
    /// Source port.
    pub src_port: u16,
    /// Destination IPv4 address.
    pub dst_ip: u32,
    /// Destination port.
    pub dst_port: u16,
    /// Initial sequence number of the connection (ignored for UDP).
    pub isn: u32,
}

/// IP protocol number of TCP.
pub const TCP: u8 = 6;

/// IP protocol number of UDP.
pub const UDP: u8 = 17;

const P0: u64 = 0xa076_1d64_78bd_642f;
const P1: u64 = 0xe703_7ed1_a0b4_28db;
const P2: u64 = 0x8ebc_6af0_9c88_c6e3;
const P3: u64 = 0x5899_65cc_7537_4cc3;

#[inline(always)]
fn mum(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The 64-bit NLB-like hash of a flow.
#[inline]
pub fn flow_hash(key: &FlowKey) -> u64 {
    FlowHasher::new(key.protocol, key.src_ip, key.dst_ip, key.dst_port).hash(key.src_port, key.isn)
}

/// [`flow_hash`] with the fields one path shares (protocol, addresses, destination port) folded
/// in once: what a node does per flow is then two multiplies over the source port and sequence
/// number. `FlowHasher::new(p, s, d, dp).hash(sp, isn) == flow_hash(&FlowKey { .. })`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlowHasher {
    first: u64,
    /// `dst_port << 32 ^ P1`: the path's part of the first round's second operand.
    first_rest: u64,
    /// `second ^ dst_port << 32`: the path's part of the second round's second operand.
    second_rest: u64,
    /// The bits of the sequence number hashed: all for TCP, none for UDP (NLB-17).
    isn_mask: u32,
}

impl FlowHasher {
    /// The hasher of flows with these shared fields.
    #[inline]
    pub fn new(protocol: u8, src_ip: u32, dst_ip: u32, dst_port: u16) -> FlowHasher {
        let addresses = (u64::from(src_ip) << 32) | u64::from(dst_ip);
        let second = addresses.rotate_left(29) ^ u64::from(protocol) ^ P3;
        let dst_port = u64::from(dst_port) << 32;
        FlowHasher {
            first: addresses ^ P0,
            first_rest: dst_port ^ P1,
            second_rest: second ^ dst_port,
            isn_mask: if protocol == UDP { 0 } else { u32::MAX },
        }
    }

    /// True for a UDP hasher, which ignores the sequence number: a flow's hash then depends on
    /// its source port alone.
    pub fn ignores_isn(&self) -> bool {
        self.isn_mask == 0
    }

    /// The hash of the flow with this source port and initial sequence number (which a UDP
    /// hasher ignores).
    ///
    /// The packed fields `rest = src_port << 48 | dst_port << 32 | isn` occupy disjoint bits, so
    /// `rest ^ k == (src_port << 48 | isn) ^ (dst_port << 32 ^ k)`: the destination port is
    /// folded into each round's constant once, per path.
    #[inline(always)]
    pub fn hash(&self, src_port: u16, isn: u32) -> u64 {
        let own = (u64::from(src_port) << 48) | u64::from(isn & self.isn_mask);
        mum(
            mum(self.first, own ^ self.first_rest) ^ P2,
            own ^ self.second_rest,
        )
    }
}

/// Uniform pick of one of `n` eligible targets (`n >= 1`) from a flow hash.
#[inline]
pub fn pick_uniform(hash: u64, n: usize) -> usize {
    crate::rng::below(hash, n as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(src_port: u16, isn: u32) -> FlowKey {
        FlowKey {
            protocol: TCP,
            src_ip: u32::from_be_bytes([10, 11, 0, 20]),
            src_port,
            dst_ip: u32::from_be_bytes([10, 11, 0, 4]),
            dst_port: 80,
            isn,
        }
    }

    #[test]
    fn same_fields_same_hash_and_every_field_matters() {
        let base = key(40000, 12345);
        assert_eq!(flow_hash(&base), flow_hash(&key(40000, 12345)));
        let variants = [
            FlowKey {
                protocol: 17,
                ..base
            },
            FlowKey {
                src_ip: base.src_ip + 1,
                ..base
            },
            FlowKey {
                src_port: base.src_port + 1,
                ..base
            },
            FlowKey {
                dst_ip: base.dst_ip + 1,
                ..base
            },
            FlowKey {
                dst_port: 81,
                ..base
            },
            FlowKey {
                isn: base.isn + 1,
                ..base
            },
        ];
        for v in variants {
            assert_ne!(flow_hash(&v), flow_hash(&base), "{v:?}");
        }
    }

    #[test]
    fn udp_hashes_the_five_tuple_only() {
        let udp = |src_port, isn| FlowKey {
            protocol: UDP,
            ..key(src_port, isn)
        };
        assert_eq!(flow_hash(&udp(40000, 1)), flow_hash(&udp(40000, 99)));
        assert_ne!(flow_hash(&udp(40000, 1)), flow_hash(&udp(40001, 1)));
        assert_ne!(flow_hash(&udp(40000, 0)), flow_hash(&key(40000, 0)));
    }

    /// Chi-squared goodness of fit of the pick over 3 and 7 targets, with a fixed sequence of
    /// keys: the statistic must stay below the 0.999 quantile (13.82 for 2 degrees of freedom,
    /// 22.46 for 6), i.e. this fails for a fair hash with probability 0.001 per count, and it is
    /// deterministic.
    #[test]
    fn pick_is_uniform_by_chi_squared() {
        for (n, bound) in [(3usize, 13.82), (7, 22.46)] {
            let mut counts = vec![0u64; n];
            let flows = 90_000u32;
            for i in 0..flows {
                let k = key(32768 + (i % 28232) as u16, i.wrapping_mul(2_654_435_761));
                counts[pick_uniform(flow_hash(&k), n)] += 1;
            }
            let expected = f64::from(flows) / n as f64;
            let chi2: f64 = counts
                .iter()
                .map(|&c| (c as f64 - expected).powi(2) / expected)
                .sum();
            assert!(chi2 < bound, "n = {n}: chi2 = {chi2}, counts {counts:?}");
        }
    }
}
