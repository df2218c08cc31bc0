//! The client (curl on Linux): its source port, its sequence number, what it sends and what it
//! gets back.
//!
//! Modelled (docs/model.md CLI-1 to CLI-3): the Linux ephemeral range 32768-60999, of which
//! `connect()` tries the ports of the range's parity first (even ports, from a keyed-hash offset
//! in steps of 2: kernel `net/ipv4/inet_hashtables.c`, RFC 6056 algorithm 4). ASSUMPTION: a port
//! uniform over the 14,116 even ports (the kernel's offset is a secret hash; under a hash of many
//! fields a uniform draw is equivalent). The initial sequence number is uniform over 32 bits
//! (RFC 6528's keyed hash). An HTTP/1.1 GET as curl sends it and the web server's response: their
//! byte counts are the payload a flow carries.
//! Not modelled: TCP/IP header bytes, retransmissions, keep-alive (every flow is a new
//! connection, as separate curl invocations are), ports already in use.

/// First port of the Linux ephemeral range (`net.ipv4.ip_local_port_range`).
pub const EPHEMERAL_FIRST: u16 = 32768;
/// Number of ports in the range (32768-60999).
pub const EPHEMERAL_COUNT: u64 = 28_232;
/// Number of even ports in the range, the ones `connect()` tries first.
pub const EVEN_PORTS: u64 = EPHEMERAL_COUNT / 2;

/// The source port of a flow from its uniform `bits`: an even port of the range (CLI-1).
#[inline(always)]
pub fn ephemeral_port(bits: u32) -> u16 {
    EPHEMERAL_FIRST + 2 * crate::rng::below(u64::from(bits) << 32, EVEN_PORTS) as u16
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_the_even_ports_of_the_linux_range() {
        assert_eq!(ephemeral_port(0), 32768);
        assert_eq!(ephemeral_port(u32::MAX), 60998);
        let mut state = 5;
        for _ in 0..1000 {
            let port = ephemeral_port(crate::rng::splitmix64(&mut state) as u32);
            assert!(port % 2 == 0 && (32768..=60998).contains(&port), "{port}");
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
    }
}
