//! One curl-like flow: what it sends, how it can end, and the client's ephemeral port.
//!
//! Modelled: an HTTP/1.1 GET as curl sends it and the web server's response (their byte counts
//! are the payload a flow carries); the Linux ephemeral port range 32768-60999
//! (aws-behaviour 6.1), a port drawn uniformly per flow (ASSUMPTION: Linux's port selection is
//! hash-based and sequential per destination; for a hash over many fields a uniform draw is
//! equivalent); the reasons a flow fails.
//! Not modelled: TCP/IP header bytes, retransmissions, keep-alive (every flow is a new
//! connection, as separate curl invocations are).

use std::fmt;

/// First port of the Linux ephemeral range (`net.ipv4.ip_local_port_range`).
pub const EPHEMERAL_FIRST: u16 = 32768;
/// Number of ports in the range (32768-60999).
pub const EPHEMERAL_COUNT: u64 = 28_232;

/// The source port of a flow from its uniform `bits`.
pub fn ephemeral_port(bits: u32) -> u16 {
    EPHEMERAL_FIRST + crate::rng::below(u64::from(bits) << 32, EPHEMERAL_COUNT) as u16
}

/// Bytes of the request curl sends for `http://host/path`.
pub fn request_bytes(host: &str, path: &str) -> u64 {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
        .len() as u64
}

/// Bytes of the web server's response carrying `body`.
pub fn response_bytes(body: &str) -> u64 {
    let headers = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n",
        body.len()
    );
    (headers.len() + body.len()) as u64
}

/// Why a flow got no answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailReason {
    /// The name does not resolve from the client's VPC.
    DnsNxdomain,
    /// The address curl picked is not an endpoint ENI in the client's VPC.
    NoEndpointAtAddress,
    /// The endpoint ENI's security groups drop the SYN; the client times out.
    SgDeny,
    /// The NLB's security groups drop the PrivateLink traffic; the client times out.
    NlbSgDeny,
    /// No listener on the port: the connection is reset.
    NoListener,
    /// The node has no target in scope (cross-zone off and no target in its AZ).
    NoEligibleTarget,
    /// The picked target's instance is stopped; the client times out.
    TargetStopped,
    /// Nothing listens on the target port: the connection is reset.
    TargetRefused,
    /// The target's security groups drop traffic from the NLB node; the client times out.
    TargetSgDeny,
}

impl FailReason {
    /// Every reason, in report order.
    pub const ALL: [FailReason; 9] = [
        FailReason::DnsNxdomain,
        FailReason::NoEndpointAtAddress,
        FailReason::SgDeny,
        FailReason::NlbSgDeny,
        FailReason::NoListener,
        FailReason::NoEligibleTarget,
        FailReason::TargetStopped,
        FailReason::TargetRefused,
        FailReason::TargetSgDeny,
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
            FailReason::SgDeny => "SG_DENY",
            FailReason::NlbSgDeny => "NLB_SG_DENY",
            FailReason::NoListener => "NO_LISTENER",
            FailReason::NoEligibleTarget => "NO_ELIGIBLE_TARGET",
            FailReason::TargetStopped => "TARGET_STOPPED",
            FailReason::TargetRefused => "TARGET_REFUSED",
            FailReason::TargetSgDeny => "TARGET_SG_DENY",
        }
    }

    /// What the client sees.
    pub fn client_sees(self) -> &'static str {
        match self {
            FailReason::DnsNxdomain => "curl: (6) Could not resolve host",
            FailReason::NoListener | FailReason::TargetRefused => "curl: (7) Connection refused",
            FailReason::NoEndpointAtAddress
            | FailReason::SgDeny
            | FailReason::NlbSgDeny
            | FailReason::NoEligibleTarget
            | FailReason::TargetStopped
            | FailReason::TargetSgDeny => "curl: (28) Connection timed out",
        }
    }
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The gap before a flow's arrival: exponential with mean `ns_per_mean` nanoseconds (Poisson
/// arrivals; [`crate::ziggurat`] from the flow's arrival word), rounded to the nearest whole
/// nanosecond (ties to even). Both engines use it.
#[inline(always)]
pub fn arrival_gap(arrival_bits: u64, ns_per_mean: f64) -> crate::time::Span {
    crate::time::Span(round_to_u64(
        crate::ziggurat::exponential(arrival_bits) * ns_per_mean,
    ))
}

/// `x >= 0` rounded to the nearest integer, ties to even. Below 2^52 by the IEEE addition of
/// 2^52 (whose sum has no fraction bits left, so the addition itself rounds): two instructions,
/// the same on every machine, no call to libm. Larger values are integers already.
#[inline(always)]
fn round_to_u64(x: f64) -> u64 {
    const TWO_POW_52: f64 = 4_503_599_627_370_496.0;
    if x < TWO_POW_52 {
        (x + TWO_POW_52).to_bits() - TWO_POW_52.to_bits()
    } else {
        x as u64
    }
}

/// Simulated time runs on 64-bit nanoseconds: 584 years. Arrivals use at most 2^64 - 2^62 of
/// them, the rest is left for the flows' own paths (latencies, response times, timeouts).
const ARRIVALS_ROOM_NS: f64 = 13_835_058_055_282_163_712.0;

/// `Err(years)` when `flows` arrivals at `rate` per second might not fit in simulated time:
/// their sum is bounded by `mean * (flows + 10 sqrt(flows) + 45)` (ten standard deviations of
/// the sum of exponentials, and the largest single gap the sampler can draw is under 45 means).
/// `years` is the expected duration.
pub fn arrivals_fit(flows: u64, rate: f64) -> Result<(), f64> {
    let mean = ns_per_mean(rate);
    let n = flows as f64;
    if mean * (n + 10.0 * n.sqrt() + 45.0) < ARRIVALS_ROOM_NS {
        Ok(())
    } else {
        Err(mean * n / 1e9 / (365.25 * 86_400.0))
    }
}

/// Nanoseconds per mean gap for `rate` flows per second.
pub fn ns_per_mean(rate: f64) -> f64 {
    1e9 / rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_cover_the_linux_range() {
        assert_eq!(ephemeral_port(0), 32768);
        assert_eq!(ephemeral_port(u32::MAX), 60999);
    }

    #[test]
    fn gaps_round_to_the_nearest_nanosecond() {
        for (x, want) in [
            (0.0, 0),
            (0.49, 0),
            (0.5, 0),
            (1.5, 2),
            (2.5, 2),
            (2.51, 3),
            (1e7 + 0.7, 10_000_001),
            (4.6e15, 4_600_000_000_000_000),
        ] {
            assert_eq!(round_to_u64(x), want, "{x}");
        }
    }

    #[test]
    fn byte_counts_follow_the_text() {
        // "GET / HTTP/1.1\r\n" 16 + "Host: a.b\r\n" 11 + "User-Agent: curl/8.5.0\r\n" 24
        // + "Accept: */*\r\n" 13 + "\r\n" 2
        assert_eq!(request_bytes("a.b", "/"), 66);
        let body = "Hello from Provider VPC on Subnet 1";
        // status 17 + "Content-Length: 35\r\n" 20 + content type 40 + blank line 2
        assert_eq!(response_bytes(body), 79 + body.len() as u64);
        assert!(
            FailReason::ALL
                .iter()
                .enumerate()
                .all(|(i, r)| r.index() == i)
        );
    }
}
