//! How a flow can end without an answer, each reason tied to the rule that produces it
//! (docs/model.md, "Failure reasons").

use std::fmt;

/// Why a flow got no answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailReason {
    /// The name does not resolve from the client's VPC (DNS-1).
    DnsNxdomain,
    /// Nothing in the client's VPC owns the address curl picked; the SYN goes nowhere (NET-3).
    NoEndpointAtAddress,
    /// The client's own security groups let no SYN out to the endpoint ENI (SG-3).
    ClientSgDeny,
    /// The endpoint ENI's security groups drop the SYN; the client times out (PL-6).
    SgDeny,
    /// The NLB's security groups drop the PrivateLink traffic; the client times out (PL-7).
    NlbSgDeny,
    /// No listener on the port: the connection is reset (NLB-2).
    NoListener,
    /// No listener on the port takes UDP (a `UDP` or `TCP_UDP` listener): the node drops the
    /// datagram (UDP has no reset) and the client times out (NLB-17).
    NoUdpListener,
    /// The node has no registered target in scope (NLB-4).
    NoEligibleTarget,
    /// The NLB's security groups let no SYN out to the picked target (NLB-10).
    NlbSgEgressDeny,
    /// The picked target's instance is stopped; the client times out (NLB-10).
    TargetStopped,
    /// The target's security groups drop traffic from the NLB node; the client times out
    /// (NLB-10).
    TargetSgDeny,
    /// Nothing listens on the target port: the connection is reset (NLB-10).
    TargetRefused,
    /// No UDP server on the target port: the target answers ICMP port unreachable and the
    /// client's read fails at once (NLB-17).
    PortUnreachable,
    /// The SYN entered an impaired zone (an endpoint ENI or a target there) and was lost; the
    /// client times out (EV-4).
    ZoneImpaired,
    /// The hash sent a target's own connection to its NLB back to itself with its client IP
    /// preserved: source and destination are the same address, and the connection times out
    /// (NLB-16).
    HairpinTimeout,
    /// The target got a proxy protocol v2 header it does not expect and read it as the request:
    /// it answers `400 Bad Request` (NLB-14).
    ProxyProtocolUnexpected,
    /// The target expects a proxy protocol v2 header and got the request instead: it closes the
    /// connection without an answer (NLB-14).
    ProxyProtocolMissing,
}

impl FailReason {
    /// Every reason, in report order (the order of the path).
    pub const ALL: [FailReason; 17] = [
        FailReason::DnsNxdomain,
        FailReason::NoEndpointAtAddress,
        FailReason::ClientSgDeny,
        FailReason::SgDeny,
        FailReason::NlbSgDeny,
        FailReason::NoListener,
        FailReason::NoUdpListener,
        FailReason::NoEligibleTarget,
        FailReason::NlbSgEgressDeny,
        FailReason::TargetStopped,
        FailReason::TargetSgDeny,
        FailReason::TargetRefused,
        FailReason::PortUnreachable,
        FailReason::ZoneImpaired,
        FailReason::HairpinTimeout,
        FailReason::ProxyProtocolUnexpected,
        FailReason::ProxyProtocolMissing,
    ];

    /// Position in [`FailReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The reason code reports use.
    pub fn code(self) -> &'static str {
        match self {
            FailReason::DnsNxdomain => "DNS_NXDOMAIN",
            FailReason::NoEndpointAtAddress => "NO_ENDPOINT_AT_ADDRESS",
            FailReason::ClientSgDeny => "CLIENT_SG_DENY",
            FailReason::SgDeny => "SG_DENY",
            FailReason::NlbSgDeny => "NLB_SG_DENY",
            FailReason::NoListener => "NO_LISTENER",
            FailReason::NoUdpListener => "NO_UDP_LISTENER",
            FailReason::NoEligibleTarget => "NO_ELIGIBLE_TARGET",
            FailReason::NlbSgEgressDeny => "NLB_SG_EGRESS_DENY",
            FailReason::TargetStopped => "TARGET_STOPPED",
            FailReason::TargetSgDeny => "TARGET_SG_DENY",
            FailReason::TargetRefused => "TARGET_REFUSED",
            FailReason::PortUnreachable => "PORT_UNREACHABLE",
            FailReason::ZoneImpaired => "ZONE_IMPAIRED",
            FailReason::HairpinTimeout => "HAIRPIN_TIMEOUT",
            FailReason::ProxyProtocolUnexpected => "PROXY_PROTOCOL_UNEXPECTED",
            FailReason::ProxyProtocolMissing => "PROXY_PROTOCOL_MISSING",
        }
    }

    /// The rule that produces it (docs/model.md, "Failure reasons"), after CLI-4, which says
    /// when the client learns it: what `sim explain` cites on a failed flow's last line.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            FailReason::DnsNxdomain => &["CLI-4", "DNS-1"],
            FailReason::NoEndpointAtAddress => &["CLI-4", "NET-3"],
            FailReason::ClientSgDeny => &["CLI-4", "SG-3"],
            FailReason::SgDeny => &["CLI-4", "PL-6"],
            FailReason::NlbSgDeny => &["CLI-4", "PL-7"],
            FailReason::NoListener => &["CLI-4", "NLB-2"],
            FailReason::NoUdpListener | FailReason::PortUnreachable => &["CLI-4", "NLB-17"],
            FailReason::NoEligibleTarget => &["CLI-4", "NLB-4"],
            FailReason::NlbSgEgressDeny | FailReason::TargetSgDeny | FailReason::TargetRefused => {
                &["CLI-4", "NLB-10"]
            }
            FailReason::TargetStopped => &["CLI-4", "HC-3"],
            FailReason::ZoneImpaired => &["CLI-4", "EV-4"],
            FailReason::HairpinTimeout => &["CLI-4", "NLB-16"],
            FailReason::ProxyProtocolUnexpected | FailReason::ProxyProtocolMissing => {
                &["CLI-4", "NLB-14"]
            }
        }
    }

    /// The reason with this code.
    pub fn from_code(code: &str) -> Option<FailReason> {
        FailReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// What the client sees.
    pub fn client_sees(self) -> &'static str {
        match self {
            FailReason::DnsNxdomain => "curl: (6) Could not resolve host",
            FailReason::NoListener | FailReason::TargetRefused => "curl: (7) Connection refused",
            FailReason::PortUnreachable => {
                "nc -u: read: Connection refused (ICMP port unreachable)"
            }
            FailReason::NoUdpListener => "nc -u: no answer (timed out)",
            FailReason::NoEndpointAtAddress
            | FailReason::ClientSgDeny
            | FailReason::SgDeny
            | FailReason::NlbSgDeny
            | FailReason::NoEligibleTarget
            | FailReason::NlbSgEgressDeny
            | FailReason::TargetStopped
            | FailReason::TargetSgDeny
            | FailReason::ZoneImpaired
            | FailReason::HairpinTimeout => "curl: (28) Connection timed out",
            FailReason::ProxyProtocolUnexpected => "HTTP/1.1 400 Bad Request",
            FailReason::ProxyProtocolMissing => "curl: (52) Empty reply from server",
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_indices_round_trip() {
        for (i, r) in FailReason::ALL.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert_eq!(FailReason::from_code(r.code()), Some(*r));
        }
    }

    /// Each reason cites the rule docs/model.md's "Failure reasons" table gives it (the first of
    /// its rule column), after CLI-4.
    #[test]
    fn each_reason_cites_the_rule_of_the_failure_table() {
        let table = crate::rules::catalog::MODEL
            .split("## Failure reasons")
            .nth(1)
            .expect("docs/model.md has the table");
        for r in FailReason::ALL {
            let row = table
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", r.code())))
                .unwrap_or_else(|| panic!("{r}: no row"));
            let rule = row.split('|').nth(3).expect("a rule column").trim();
            let first = rule.split(", ").next().expect("a rule");
            assert_eq!(r.rules(), ["CLI-4", first], "{r}: {row}");
        }
    }
}
