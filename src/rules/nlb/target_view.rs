//! What a target sees of a connection a node relays to it (docs/model.md NLB-14, NLB-16, PL-5):
//! the source address, the proxy protocol v2 header, and what a server makes of them.
//!
//! Modelled: client IP preservation (`preserve_client_ip.enabled`: AWS's default is on for
//! instance targets, off for IP targets over TCP) shows a direct client's own address to the
//! target, whose security groups must then admit it (or the NLB's groups); through PrivateLink the
//! target sees the node's address whatever the setting (PL-5). A target whose own connection to
//! its NLB is sent back to itself with its address preserved sees a packet from itself and the
//! connection times out (hairpin). With `proxy_protocol_v2` on, the connection starts with the v2
//! header ([`crate::rules::proxy_protocol`]); a server that does not expect it reads it as the
//! request and answers `400 Bad Request`, and one that expects it but does not get it closes the
//! connection. Health checks carry the header too (AWS: "the proxy protocol header is also
//! included in health check connections", without client information); a TCP check needs only
//! the handshake, so a mismatch does not fail it.
//! Not modelled: the header's LOCAL command on health checks, TLVs other than the VPC endpoint ID.
//! Sources: <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#proxy-protocol>,
//! <https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-troubleshooting.html>

use std::net::Ipv4Addr;

use crate::model::Topology;
use crate::model::ids::{EndpointId, NodeId, TargetId};
use crate::rules::outcome::FailReason;
use crate::rules::proxy_protocol::Header;

/// How a connection reached the node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// The client's address and source port.
    pub client: (Ipv4Addr, u16),
    /// The address and port the client connected to (an endpoint ENI's, or the node's).
    pub entry: (Ipv4Addr, u16),
    /// The endpoint it came through, `None` for a direct client.
    pub endpoint: Option<EndpointId>,
}

/// True when `target` sees the client's own address for a connection `arrival` brought: a direct
/// client, and the target's group preserves client IPs (NLB-16; never through PrivateLink: PL-5).
pub fn preserved(t: &Topology, target: TargetId, arrival: &Arrival) -> bool {
    let group = &t.target_groups[t.targets[target.index()].target_group.index()];
    arrival.endpoint.is_none() && group.preserve_client_ip
}

/// The source address `target` sees for a connection that `arrival` brought to `node`.
pub fn source_seen(t: &Topology, node: NodeId, target: TargetId, arrival: &Arrival) -> Ipv4Addr {
    if preserved(t, target, arrival) {
        arrival.client.0
    } else {
        t.nodes[node.index()].ip
    }
}

/// True when the target would get its own connection back with its own address as the source:
/// a direct client that is the target's own instance, its address preserved (NLB-16).
pub fn hairpin(t: &Topology, target: TargetId, arrival: &Arrival) -> bool {
    preserved(t, target, arrival) && t.target_instance(target).ip == arrival.client.0
}

/// The proxy protocol v2 header `target` receives, when its group sends one (NLB-14).
pub fn header(t: &Topology, target: TargetId, arrival: &Arrival) -> Option<Header> {
    let group = &t.target_groups[t.targets[target.index()].target_group.index()];
    group.proxy_protocol_v2.then(|| Header {
        source: arrival.client,
        destination: arrival.entry,
        datagram: false,
        vpc_endpoint: arrival
            .endpoint
            .map(|e| t.endpoints[e.index()].endpoint_id.clone()),
    })
}

/// What `target`'s server makes of the start of a connection: `Err` when the header and what it
/// expects disagree (NLB-14).
pub fn server_reads(t: &Topology, target: TargetId) -> Result<(), FailReason> {
    let group = &t.target_groups[t.targets[target.index()].target_group.index()];
    let expects = t
        .target_instance(target)
        .web_server
        .as_ref()
        .is_some_and(|w| w.proxy_protocol);
    match (group.proxy_protocol_v2, expects) {
        (true, false) => Err(FailReason::ProxyProtocolUnexpected),
        (false, true) => Err(FailReason::ProxyProtocolMissing),
        _ => Ok(()),
    }
}
