//! The proxy protocol v2 header an NLB prepends to a connection when its target group's
//! `proxy_protocol_v2` attribute is on (docs/model.md NLB-14), byte for byte.
//!
//! Modelled: the binary v2 header of the PROXY protocol: the 12-byte signature, version 2 with
//! the PROXY command, the IPv4 family over a stream (TCP) or datagrams (UDP), the length of what
//! follows, the source and destination addresses and ports, then type-length-value fields; through
//! PrivateLink one TLV of type `0xEA` (AWS) whose value is the subtype `0x01` followed by the VPC
//! endpoint's ID in ASCII. ASSUMPTION: the destination is the address and port the client
//! connected to (an endpoint ENI's through PrivateLink, a node's directly); AWS does not say.
//!
//! Used by [`crate::rules::nlb::target_view`]: the header a target of a group with
//! `proxy_protocol_v2` receives, which `sim explain` prints byte for byte.
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#proxy-protocol>,
//! the PROXY protocol specification (version 2): <https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt>

use std::net::Ipv4Addr;

/// The signature every v2 header starts with.
pub const SIGNATURE: [u8; 12] = [
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
];

/// Version 2, command PROXY (the connection was relayed for a client).
const VERSION_PROXY: u8 = 0x21;

/// Address family IPv4 (high nibble) and transport: stream (TCP) or datagram (UDP).
const INET_STREAM: u8 = 0x11;
const INET_DGRAM: u8 = 0x12;

/// The TLV type AWS uses (`PP2_TYPE_AWS`), and its subtype for the VPC endpoint ID.
pub const TYPE_AWS: u8 = 0xEA;
/// `PP2_SUBTYPE_AWS_VPCE_ID`.
pub const SUBTYPE_VPCE_ID: u8 = 0x01;

/// What a header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The client's address and port.
    pub source: (Ipv4Addr, u16),
    /// The address and port the client connected to.
    pub destination: (Ipv4Addr, u16),
    /// True for UDP (datagrams), false for TCP.
    pub datagram: bool,
    /// Through PrivateLink: the ID of the VPC endpoint the connection came through.
    pub vpc_endpoint: Option<String>,
}

impl Header {
    /// The header's bytes, as the target reads them before the client's first byte.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut tlvs = Vec::new();
        if let Some(id) = &self.vpc_endpoint {
            let value_len = 1 + id.len();
            tlvs.push(TYPE_AWS);
            tlvs.extend_from_slice(&(value_len as u16).to_be_bytes());
            tlvs.push(SUBTYPE_VPCE_ID);
            tlvs.extend_from_slice(id.as_bytes());
        }
        // Addresses (4 + 4) and ports (2 + 2), then the TLVs.
        let len = 12 + tlvs.len();
        let mut out = Vec::with_capacity(16 + len);
        out.extend_from_slice(&SIGNATURE);
        out.push(VERSION_PROXY);
        out.push(if self.datagram {
            INET_DGRAM
        } else {
            INET_STREAM
        });
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&self.source.0.octets());
        out.extend_from_slice(&self.destination.0.octets());
        out.extend_from_slice(&self.source.1.to_be_bytes());
        out.extend_from_slice(&self.destination.1.to_be_bytes());
        out.extend_from_slice(&tlvs);
        out
    }
}

/// `bytes` in hexadecimal, 16 to a line, for `explain`.
pub fn hex_lines(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .map(|row| {
            row.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader of v2 headers written from the specification, independent of `to_bytes`.
    fn parse(bytes: &[u8]) -> (Header, usize) {
        assert_eq!(bytes[..12], SIGNATURE, "signature");
        assert_eq!(bytes[12] >> 4, 2, "version 2");
        assert_eq!(bytes[12] & 0x0F, 1, "PROXY command");
        let datagram = match bytes[13] {
            0x11 => false,
            0x12 => true,
            other => panic!("family/transport {other:#04x}"),
        };
        let len = u16::from_be_bytes([bytes[14], bytes[15]]) as usize;
        let body = &bytes[16..16 + len];
        let ip = |at: usize| Ipv4Addr::new(body[at], body[at + 1], body[at + 2], body[at + 3]);
        let port = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
        let mut vpc_endpoint = None;
        let mut at = 12;
        while at < body.len() {
            let (kind, n) = (
                body[at],
                u16::from_be_bytes([body[at + 1], body[at + 2]]) as usize,
            );
            let value = &body[at + 3..at + 3 + n];
            if kind == TYPE_AWS && value[0] == SUBTYPE_VPCE_ID {
                vpc_endpoint = Some(String::from_utf8(value[1..].to_vec()).unwrap());
            }
            at += 3 + n;
        }
        assert_eq!(at, body.len(), "the TLVs fill the length exactly");
        (
            Header {
                source: (ip(0), port(8)),
                destination: (ip(4), port(10)),
                datagram,
                vpc_endpoint,
            },
            16 + len,
        )
    }

    #[test]
    fn a_direct_tcp_header_is_28_bytes_as_the_specification_lays_them_out() {
        let h = Header {
            source: (Ipv4Addr::new(10, 11, 0, 4), 43044),
            destination: (Ipv4Addr::new(10, 20, 0, 5), 80),
            datagram: false,
            vpc_endpoint: None,
        };
        let bytes = h.to_bytes();
        #[rustfmt::skip]
        let want: [u8; 28] = [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            0x21, 0x11, 0x00, 0x0C,
            10, 11, 0, 4,
            10, 20, 0, 5,
            0xA8, 0x24, // 43044
            0x00, 0x50, // 80
        ];
        assert_eq!(bytes, want);
        assert_eq!(parse(&bytes), (h, 28));
    }

    #[test]
    fn through_privatelink_the_aws_tlv_carries_the_endpoint_id() {
        let h = Header {
            source: (Ipv4Addr::new(10, 11, 0, 4), 40000),
            destination: (Ipv4Addr::new(10, 11, 0, 5), 80),
            datagram: false,
            vpc_endpoint: Some("vpce-004bee863ea4c8bdc".into()),
        };
        let bytes = h.to_bytes();
        // 16 + 12 + (3 + 1 + 22): the TLV is type, a two-byte length, the subtype, the ID.
        assert_eq!(bytes.len(), 54);
        assert_eq!(&bytes[14..16], &[0x00, 38]);
        assert_eq!(&bytes[28..32], &[0xEA, 0x00, 23, 0x01]);
        assert_eq!(&bytes[32..], b"vpce-004bee863ea4c8bdc");
        assert_eq!(parse(&bytes), (h, 54));
    }

    #[test]
    fn udp_headers_say_datagram_and_hex_lines_show_the_bytes() {
        let h = Header {
            source: (Ipv4Addr::new(192, 168, 1, 2), 5353),
            destination: (Ipv4Addr::new(192, 168, 9, 9), 53),
            datagram: true,
            vpc_endpoint: None,
        };
        let bytes = h.to_bytes();
        assert_eq!(bytes[13], 0x12);
        assert_eq!(parse(&bytes).0, h);
        let lines = hex_lines(&bytes);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "0d 0a 0d 0a 00 0d 0a 51 55 49 54 0a 21 12 00 0c");
    }
}
